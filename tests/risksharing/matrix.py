"""Risk-sharing objects for each side of the access-matrix world (tests/api/common/test_access_matrix.py): a pool run
by the side's city office, an application ready to file, a filed one, an insured loan that defaulted — with its
policy, the claim opened on default and a disposal case for its first pledged asset — and the cover asked of the
side's insurer for another application, besides one whose cover is not asked for yet."""

from decimal import Decimal

from tests.factories import (
    ApplicationFactory,
    InsuranceProductFactory,
    InsurerFactory,
    IPAssetFactory,
    cover_accepted,
)
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.risksharing.services import cover_request_open, disposal_case_open, pool_file

from .helpers import city_user, defaulted_loan, pool_for


def _ready(side, assets=1, **fields):
    enterprise = side.application.enterprise
    application = ApplicationFactory(
        enterprise=enterprise,
        product=side.product,
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal("300000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
        **fields,
    )
    for _ in range(assets):
        ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=enterprise))
    cover_accepted(application, officer=side.users["officer"])
    return application


def attach_risk(own, foreign, users) -> None:
    """Own side: its insurer and city office are the matrix's ``insurer`` and ``city`` callers; the foreign
    side has its own."""
    for tag, side, insurer, city in (
        ("own", own, users["insurer"].organisation, users["city"]),
        ("foreign", foreign, InsurerFactory(), city_user()),
    ):
        officer = side.users["officer"]
        side.pool = pool_for(city, name=f"RiskPool-{tag}")
        side.ready_application = _ready(side)
        side.pool_filing = pool_file(actor=officer, pool=side.pool, application=_ready(side))
        application = _ready(side, assets=2, insurance_product=InsuranceProductFactory(insurer=insurer))
        side.defaulted_loan = defaulted_loan(officer, application, contract=f"RiskContract-{tag}")
        side.cover_policy = side.defaulted_loan.cover_policies.get()
        side.risk_claim = side.defaulted_loan.claims.get()
        first, second = application.assets.order_by("pk")
        side.disposal_case = disposal_case_open(actor=officer, loan=side.defaulted_loan, asset=first)
        side.case_asset = second
        side.city_org = city.organisation
        side.insurance_product = InsuranceProductFactory(insurer=insurer)
        side.coverable_application = ApplicationFactory(
            enterprise=side.application.enterprise,
            product=side.product,
            status=ApplicationStatus.REGISTERED,
            approved_amount=Decimal("300000.00"),
            approved_rate=Decimal("0.04"),
            approved_term_months=12,
            insurance_product=side.insurance_product,
        )
        side.cover_request = cover_request_open(
            actor=officer,
            application=ApplicationFactory(
                enterprise=side.application.enterprise,
                product=side.product,
                status=ApplicationStatus.REGISTERED,
                approved_amount=Decimal("200000.00"),
                insurance_product=side.insurance_product,
            ),
            product=side.insurance_product,
        )
        side.markers.append(f"RiskContract-{tag}")
