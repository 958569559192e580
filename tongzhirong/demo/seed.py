"""The demo world: a deterministic, realistic Nantong marketplace for one seed.

Five banks, an insurer, a guarantor, an appraiser, the city financial office and the platform; 60 SMEs over
every district, park and 616 cluster; 300 IP assets of every type with valid identifiers; the banks',
insurer's and guarantor's products; applications in every status; loans with schedules and repayments, a few
overdue and a couple defaulted; and one demo account per role.

Every draw comes from one ``random.Random(seed)`` and every date is counted back from the world's as-of day
(today unless given), so a seed yields the same world for the same day. The world is dated as of today rather
than a fixed day because the services judge by today: the pledge pre-check (fees paid, debt within the right's
term), valuations and the daily delinquency refresh, which would find every instalment due since a fixed day
unpaid. Applications and loans go through the domain services, so validation, the state machines and the
audit trail all run; the timestamps those services stamp with "now" are moved onto the world's timeline.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pgtrigger
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, OrganisationKind, User
from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.core.models import StatusChange
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import (
    Application,
    Loan,
    LoanStatus,
    Repayment,
    ScheduleLine,
)
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap

from .accounts import seed_institutions
from .appraisals import seed_appraisals
from .assets import seed_ip_assets, value_assets
from .enterprises import seed_enterprises
from .facts import seed_facts
from .filing import seed_filing_flags
from .financing import seed_applications
from .monitoring import seed_monitoring
from .products import seed_products
from .register import seed_fee_paid, seed_register
from .reporting import seed_reporting
from .risksharing import seed_risksharing
from .subsidies import seed_subsidies
from .world import DemoWorld


def build_demo_world(seed: int = 42, *, as_of: date | None = None) -> dict[str, int]:
    """Build the demo world for ``seed`` into an empty database, in one transaction; return counts per model.

    ``as_of`` (default today, never later) is the world's present: everything happened before it."""
    today = timezone.localdate()
    if as_of is not None and as_of > today:
        raise ValueError(f"The demo world cannot be dated in the future ({as_of} > {today}).")
    with transaction.atomic():
        build(DemoWorld(seed, as_of or today))
    return demo_world_counts()


def build(world: DemoWorld) -> None:
    """Each domain in turn, in the order (and so with the random draws) the world has always been built in."""
    seed_institutions(world)
    seed_enterprises(world)
    seed_products(world)
    seed_facts(world)
    seed_ip_assets(world)
    # The registers over HTTP (the simulator `make run` started), before anyone applies.
    published = seed_register(world)
    value_assets(world)
    seed_applications(world)
    seed_subsidies(world)
    seed_monitoring(world)
    seed_reporting(world)
    apply_stamps(world)
    seed_risksharing(world)
    seed_filing_flags(world)  # after everyone applied: the register's findings arrive during review
    # A pledged patent's fee paid: the register's feed updates it, the monitor clears its flag.
    seed_fee_paid(world, published=published)
    seed_appraisals(world)  # last, so that nothing before it changes


def demo_world_counts() -> dict[str, int]:
    counted: dict[str, models.QuerySet] = {
        "organisations": Organisation.objects.all(),
        "banks": Organisation.objects.filter(kind=OrganisationKind.BANK),
        "users": User.objects.all(),
        "enterprises": Enterprise.objects.all(),
        "ip_assets": IPAsset.objects.all(),
        "co_owners": CoOwner.objects.all(),
        "loan_products": LoanProduct.objects.all(),
        "pledge_rate_caps": PledgeRateCap.objects.all(),
        "insurance_products": InsuranceProduct.objects.all(),
        "guarantee_products": GuaranteeProduct.objects.all(),
        "applications": Application.objects.all(),
        "loans": Loan.objects.all(),
        "loans_overdue": Loan.objects.filter(status=LoanStatus.OVERDUE),
        "loans_defaulted": Loan.objects.filter(status=LoanStatus.DEFAULTED),
        "schedule_lines": ScheduleLine.objects.all(),
        "repayments": Repayment.objects.all(),
        "status_changes": StatusChange.objects.all(),
    }
    return {name: qs.count() for name, qs in counted.items()}


def apply_stamps(world: DemoWorld) -> None:
    """Move the services' "now" timestamps onto the world's timeline."""
    for model, pk, values in world.stamps:
        model.objects.filter(pk=pk).update(**values)
    for model in (Application, Loan):
        content_type = ContentType.objects.get_for_model(model)
        changes = defaultdict(list)
        for change_id, object_id in (
            StatusChange.objects.filter(content_type=content_type)
            .order_by("object_id", "pk")
            .values_list("pk", "object_id")
        ):
            changes[object_id].append(change_id)
        for object_id, change_ids in changes.items():
            times = world.change_times[(model, object_id)]
            if len(times) != len(change_ids):
                raise RuntimeError(f"{model.__name__} {object_id}: {len(change_ids)} changes, {len(times)} times.")
            # The audit trail refuses updates (core.StatusChange:append_only on PostgreSQL); only the demo, whose
            # history is invented, moves its times, naming the trigger it passes. The chain's entries keep the
            # true recording time.
            with pgtrigger.ignore("core.StatusChange:append_only"):
                for change_id, moment in zip(change_ids, times, strict=True):
                    StatusChange.objects.filter(pk=change_id).update(created_at=moment)
