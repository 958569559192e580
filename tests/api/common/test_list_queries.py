"""Every list endpoint, found in the URL configuration, runs the same number of queries for a page of 2
as for a page of 12: no query per row."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator

from scoring.models import BankModelTraining, ModelVersion
from tests.api.helpers import client_for
from tests.factories import (
    ApplicationFactory,
    CoOwnerFactory,
    InsuranceProductFactory,
    InsurerFactory,
    IPAssetFactory,
    LoanProductFactory,
    PlatformAdminFactory,
    SubsidyPolicyFactory,
    UserFactory,
    open_flag,
    submitted_claim,
)
from tests.risksharing.helpers import city_user, defaulted_loan, pool_for, registered_application
from tongzhirong.accounts.models import Role
from tongzhirong.facts.models import AuthorisationScope
from tongzhirong.facts.services import credit_authorisation_sign, fact_dispute_open, fact_record
from tongzhirong.financing.fee_receipts import fee_receipt_upload
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.lending.loans import loan_disburse
from tongzhirong.notifications.models import Notification
from tongzhirong.risksharing.services import auction_start, disposal_case_open, pool_file

pytestmark = pytest.mark.django_db

ROWS = 12
PDF = b"%PDF-1.7\n%%EOF\n"


def list_endpoints() -> list[str]:
    return sorted(
        path
        for path, _, method, callback in EndpointEnumerator().get_api_endpoints()
        if method == "GET" and getattr(callback, "actions", {}).get("get") == "list"
    )


@pytest.fixture
def platform_admin(settings, tmp_path):
    """Twelve of everything a list endpoint shows, each with the relations its rows display."""
    settings.MEDIA_ROOT = tmp_path  # the fee receipts' files
    admin = PlatformAdminFactory()
    city = city_user()
    for n in range(ROWS):
        product = LoanProductFactory()
        officer = UserFactory(organisation=product.bank, role=Role.BANK_OFFICER)
        application = ApplicationFactory(
            product=product,
            status=ApplicationStatus.REGISTERED,
            approved_amount=Decimal("500000"),
            approved_rate=Decimal("0.04"),
            approved_term_months=6,
        )
        for _ in range(2):
            asset = IPAssetFactory(owner=application.enterprise)
            CoOwnerFactory(asset=asset)
            ApplicationAsset.objects.create(application=application, asset=asset)
        loan = loan_disburse(actor=officer, application=application, contract_number=f"LQ-{n}")
        owner = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
        credit_authorisation_sign(
            actor=owner,
            enterprise=application.enterprise,
            bank=product.bank,
            scope=AuthorisationScope.LOAN_REVIEW,
            expires_on=timezone.localdate() + timedelta(days=90),
        )
        fact = fact_record(
            actor=officer,
            enterprise=application.enterprise,
            name="has_court_enforcement",
            value=False,
            reference=f"ZXGK-{n}",
            observed_at=timezone.now() - timedelta(days=1),
        )
        fact_dispute_open(actor=owner, fact=fact, reason="有误")
        fee_receipt_upload(
            actor=owner,
            asset=asset,
            paid_through=asset.annual_fee_paid_through + timedelta(days=365),
            upload=SimpleUploadedFile("缴费收据.pdf", PDF, content_type="application/pdf"),
        )
        submitted_claim(SubsidyPolicyFactory(), loan)
        open_flag(loan, asset=asset)
        Notification.objects.create(recipient=admin, title=f"notice {n}")
        bank_model = ModelVersion.objects.create(
            name=f"pledge_risk_bank_{product.bank_id}", version="v1", kind="scorecard", sha256="0" * 64,
            bank=product.bank,
        )  # fmt: skip
        BankModelTraining.objects.create(
            bank=product.bank, requested_by=officer, kind="scorecard", target="status", bad_value="bad",
            original_name="book.csv", data=b"status\n", sha256="0" * 64, rows=1, bad_rows=0, model_version=bank_model,
        )  # fmt: skip
        pool = pool_for(city, name=f"Pool {n}")
        pool_file(actor=officer, pool=pool, application=registered_application(officer))
        insured = registered_application(
            officer, assets=2, insurance_product=InsuranceProductFactory(insurer=InsurerFactory())
        )
        defaulted = defaulted_loan(officer, insured, contract=f"LQ-D-{n}")
        case = disposal_case_open(actor=officer, loan=defaulted, asset=insured.assets.first())
        now = timezone.now()
        auction_start(
            actor=officer, case=case, opens_at=now, closes_at=now + timedelta(days=7), reserve_price=Decimal("1000")
        )
    return admin


def queries(client, path: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{path}?page_size={page_size}")
    assert response.status_code == 200, response.json()
    assert len(response.json()["results"]) == page_size
    return len(captured)


def test_the_list_endpoints_are_the_ones_we_know():
    assert list_endpoints() == [
        "/api/v1/applications/",
        "/api/v1/auctions/",
        "/api/v1/bank-model-trainings/",
        "/api/v1/bank-models/",
        "/api/v1/claims/",
        "/api/v1/collateral-flags/",
        "/api/v1/cover-policies/",
        "/api/v1/cover-requests/",
        "/api/v1/credit-authorisations/",
        "/api/v1/disposal-cases/",
        "/api/v1/fact-disputes/",
        "/api/v1/facts/",
        "/api/v1/fee-receipts/",
        "/api/v1/ip-assets/",
        "/api/v1/loans/",
        "/api/v1/notifications/",
        "/api/v1/pool-filings/",
        "/api/v1/pools/",
        "/api/v1/products/",
        "/api/v1/subsidy-claims/",
        "/api/v1/subsidy-policies/",
    ]


@pytest.mark.parametrize("path", list_endpoints())
def test_a_page_costs_the_same_queries_whatever_its_size(platform_admin, path):
    client = client_for(platform_admin)
    queries(client, path, 2)  # warm caches (content types, model versions) before counting
    assert queries(client, path, 2) == queries(client, path, ROWS)


def test_page_sizes_are_capped_at_200():
    admin = PlatformAdminFactory()
    Notification.objects.bulk_create(Notification(recipient=admin, title=f"n{n}") for n in range(205))
    response = client_for(admin).get("/api/v1/notifications/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 200
    assert response.json()["count"] == 205


def test_a_first_page_that_is_not_full_is_counted_without_a_count_query():
    admin = PlatformAdminFactory()
    Notification.objects.bulk_create(Notification(recipient=admin, title=f"n{n}") for n in range(7))
    client = client_for(admin)
    for page_size, count_queries in ((10, 0), (7, 1), (3, 1)):
        with CaptureQueriesContext(connection) as captured:
            body = client.get(f"/api/v1/notifications/?page_size={page_size}").json()
        assert body["count"] == 7
        assert body["next"] is None if page_size >= 7 else body["next"].endswith(f"page=2&page_size={page_size}")
        assert sum("COUNT(" in q["sql"].upper() for q in captured) == count_queries
    last = client.get("/api/v1/notifications/?page_size=3&page=3").json()
    assert (last["count"], len(last["results"]), last["next"]) == (7, 1, None)
    assert client.get("/api/v1/notifications/?page_size=3&page=4").status_code == 404
    assert client.get("/api/v1/notifications/?page_size=3&page=last").json()["results"] == last["results"]
