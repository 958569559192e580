"""Reads of the facts: what the sources say about an enterprise now, with history and disputes; who may see it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.models import LegalStatus
from tongzhirong.core.lookups import In
from tongzhirong.enterprises.models import Enterprise

from .catalogue import FACTS, Source
from .models import CreditAuthorisation, DisputeStatus, Fact, FactDispute


@dataclass
class CurrentFact:
    """One input of one enterprise (or asset) as known now: the latest verified fact, the latest declared
    value, and whether the verified one is under dispute."""

    name: str
    verified: Fact | None = None
    declared: Fact | None = None
    open_dispute: FactDispute | None = None
    history: list[Fact] = field(default_factory=list)

    @property
    def kind(self):
        return FACTS[self.name]

    @property
    def shown_verified(self) -> str:
        return shown(self.name, self.verified.value) if self.verified is not None else ""

    @property
    def shown_declared(self) -> str:
        return shown(self.name, self.declared.value) if self.declared is not None else ""

    @property
    def conflict(self) -> bool:
        """The applicant declared something else than the source says."""
        return self.verified is not None and self.declared is not None and self.declared.value != self.verified.value


def shown(name: str, value) -> str:
    """A stored value as a person reads it: yes/no, an amount in yuan, a date, a grade or text."""
    kind = FACTS[name].kind
    if kind == "boolean":
        return str(_("Yes") if value else _("No"))
    if kind == "money":
        return f"{value} {_('yuan')}"
    if kind == "choice" and value == "":
        return str(_("Not rated"))
    if name == "legal_status" and value in LegalStatus.values:
        return str(LegalStatus(value).label)
    if kind == "co_owners":
        return "、".join(c["name"] for c in value) or str(_("none"))
    return str(value)


def facts_of(enterprise: Enterprise) -> list[CurrentFact]:
    """What is known of the enterprise's own facts, in the catalogue's order, each with its history."""
    found = current_facts([enterprise.pk], with_history=True)[enterprise.pk]
    return [found[name] for name in FACTS if name in found]


def current_facts(enterprise_ids: Iterable[int], *, with_history: bool = False) -> dict[int, dict[str, CurrentFact]]:
    """Per enterprise, per fact name of the enterprise itself (asset facts are left out): what is known now.
    Two queries whatever the number of enterprises, each with the ids as one array parameter (``In``): the
    nightly batch asks for thousands of firms at a time."""
    ids = list(enterprise_ids)
    found: dict[int, dict[str, CurrentFact]] = {pk: {} for pk in ids}
    rows = Fact.objects.filter(In(F("enterprise_id"), ids), asset__isnull=True).order_by(
        "observed_at", "fetched_at", "id"
    )
    if with_history:
        rows = rows.select_related("fetched_by__organisation", "authorisation__bank")
    for fact in rows:
        current = found[fact.enterprise_id].setdefault(fact.name, CurrentFact(fact.name))
        if fact.source == Source.DECLARED:
            current.declared = fact
        else:
            current.verified = fact
        if with_history:
            current.history.append(fact)
    disputes = FactDispute.objects.filter(In(F("enterprise_id"), ids), status=DisputeStatus.OPEN).select_related("fact")
    for dispute in disputes:
        current = found[dispute.enterprise_id].get(dispute.fact.name)
        if current is not None and current.verified is not None and current.verified.pk == dispute.fact_id:
            current.open_dispute = dispute
    return found


def facts_visible_to(*, user, enterprise: Enterprise) -> bool:
    """The enterprise itself, the platform, and a bank the enterprise applied to or authorised."""
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return True
    if user.kind == OrganisationKind.SME:
        return user.organisation_id == enterprise.organisation_id
    if user.kind == OrganisationKind.BANK:
        return (
            enterprise.applications.filter(product__bank_id=user.organisation_id).exclude(status="draft").exists()
            or CreditAuthorisation.objects.filter(enterprise=enterprise, bank_id=user.organisation_id).exists()
        )
    return False


def credit_authorisation_list(*, user) -> QuerySet[CreditAuthorisation]:
    """The firm sees those it signed, a bank those it holds, the platform all."""
    qs = CreditAuthorisation.objects.select_related("enterprise", "bank", "signed_by")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(enterprise__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    return qs.none()


def live_authorisation(*, enterprise: Enterprise, bank_id: int) -> CreditAuthorisation | None:
    """The bank's authorisation from the enterprise that runs longest, if one is live today."""
    return (
        CreditAuthorisation.objects.filter(
            enterprise=enterprise, bank_id=bank_id, revoked_at__isnull=True, expires_on__gte=timezone.localdate()
        )
        .order_by("-expires_on", "-id")
        .first()
    )


def dispute_list(*, user) -> QuerySet[FactDispute]:
    """The firm sees its disputes, a bank those of enterprises that applied to it, the platform all."""
    qs = FactDispute.objects.select_related("fact", "enterprise", "raised_by", "resolved_by")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(enterprise__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(enterprise_id__in=_enterprises_of_bank(user.organisation_id))
    return qs.none()


def fact_list(*, user) -> QuerySet[Fact]:
    """Facts the caller may see: the firm its own, a bank those of firms that applied to it or authorised it
    (as ``facts_visible_to``), the platform all."""
    qs = Fact.objects.select_related("enterprise", "asset", "fetched_by__organisation")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(enterprise__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(enterprise_id__in=_enterprises_of_bank(user.organisation_id))
    return qs.none()


def _enterprises_of_bank(bank_id: int) -> QuerySet[Enterprise]:
    """The firms that applied to the bank (past the draft) or signed it a credit-check authorisation."""
    applied = Q(applications__product__bank_id=bank_id) & ~Q(applications__status="draft")
    authorised = Q(credit_authorisations__bank_id=bank_id)
    return Enterprise.objects.filter(applied | authorised).values("pk")


def asset_register_facts(asset_ids: Iterable[int]) -> dict[int, dict[str, Fact]]:
    """Per asset, per fact name: the latest verified fact (the register's, or a confirmed fee receipt). One
    query whatever the number of assets."""
    found: dict[int, dict[str, Fact]] = {}
    rows = (
        Fact.objects.filter(asset_id__in=list(asset_ids))
        .exclude(source=Source.DECLARED)
        .order_by("observed_at", "fetched_at", "id")
    )
    for fact in rows:
        found.setdefault(fact.asset_id, {})[fact.name] = fact
    return found
