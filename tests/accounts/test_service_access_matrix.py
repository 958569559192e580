"""The API's access matrix, held by the services themselves.

Every write endpoint of the access matrix (tests/api/common/test_access_matrix.py, POST, PATCH and DELETE rows)
maps to the service it calls. Each service is called directly — no view, no scoped queryset in front of it — by
every role, on the same own and foreign objects of the same world, and must answer what the endpoint's row
says: where the API hides (404) or forbids (403), the service refuses (``PermissionDenied``, or ``NotFound``
for what the caller may not know of); where the API lets the caller through, the service does too (it succeeds,
or says what is wrong with the data or the state). So the pages, tasks and the shell are refused as the API is.
A write endpoint without a row here fails, as an endpoint without a policy fails the API's test.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

import tests.api.common.test_access_matrix as api_matrix
from scoring.services import application_rescore
from scoring.training import bank_model_promote, bank_model_training_request
from tests.api.common.test_access_matrix import (
    APP,
    AUTHORISATION,
    CASE,
    CLAIM,
    COVER_REQUEST,
    DISPUTE,
    FACT,
    FEE_RECEIPT,
    PDF,
    POLICY,
    POLICY_URL,
    RISK_CLAIM,
    ROLES,
    expected,
)
from tests.factories import make_patent_number
from tongzhirong.assets import services as assets
from tongzhirong.assets.importing import ip_assets_import as asset_rows_import
from tongzhirong.core.errors import DomainError, NotFound, PermissionDenied
from tongzhirong.enterprises.services import enterprise_create, enterprise_update
from tongzhirong.facts import services as facts
from tongzhirong.facts.credit import credit_report_record
from tongzhirong.financing import services as financing
from tongzhirong.financing.documents import application_document_add
from tongzhirong.financing.fee_receipts import fee_receipt_confirm, fee_receipt_reject, fee_receipt_upload
from tongzhirong.financing.filing import (
    filing_package_generate,
    filing_package_sign,
    filing_packages_generate,
    pledge_release_record,
)
from tongzhirong.lending.applications import (
    application_approve,
    application_decline_offer,
    application_reject,
    application_submit,
    application_withdraw,
)
from tongzhirong.lending.assets import (
    co_owner_add,
    co_owner_record_consent,
    ip_asset_register,
    ip_asset_update,
    ip_assets_import,
)
from tongzhirong.lending.loans import application_disburse
from tongzhirong.monitoring.services import collateral_flag_accept
from tongzhirong.notifications.services import notification_mark_read
from tongzhirong.products.services import loan_product_create, loan_product_update
from tongzhirong.reporting.importing import reported_loans_import
from tongzhirong.reporting.services import official_figure_record
from tongzhirong.risksharing import services as risk
from tongzhirong.risksharing.models import DisposalRoute
from tongzhirong.subsidies import services as subsidies

pytestmark = pytest.mark.django_db

world = api_matrix.world  # the API test's two tenants, their outsiders and the platform

TODAY = dt.date.fromisoformat(api_matrix.TODAY)
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _sale(route, counterparty, price, **terms):
    return lambda u, case, s: risk.disposal_direct_sale(
        actor=u, case=case, route=route, counterparty=counterparty, price=D(price), terms=terms
    )


# Each write endpoint's service, called as the view calls it: ``u`` the caller, ``obj`` the row's object (of the
# side being tried), ``s`` that side (for a collection, the caller's own side: its bank, its firm, its objects).
SERVICE = {
    ("POST", "/api/v1/products/"): lambda u, obj, s: loan_product_create(
        actor=u,
        bank=s.product.bank,
        pledge_rate_caps={"invention_patent": D("0.3")},
        name="新产品",
        min_amount=D("100000.00"),
        max_amount=D("5000000.00"),
        min_term_months=6,
        max_term_months=24,
        min_rate=D("0.03"),
        max_rate=D("0.05"),
        repayment_methods=["equal_principal"],
    ),
    ("PATCH", "/api/v1/products/{pk}/"): lambda u, obj, s: loan_product_update(actor=u, product=obj, is_active=True),
    ("POST", "/api/v1/enterprise/"): lambda u, obj, s: enterprise_create(
        actor=u,
        organisation=s.application.enterprise.organisation,
        uscc="91320600MA1X0000XX",
        legal_name="南通另一家科技有限公司",
        district="320613",
        founded_on=dt.date(2016, 1, 1),
        registered_capital=D("1000000.00"),
        employees=10,
    ),
    ("PATCH", "/api/v1/enterprise/"): lambda u, obj, s: enterprise_update(
        actor=u, enterprise=s.application.enterprise, employees=95
    ),
    ("POST", "/api/v1/ip-assets/"): lambda u, obj, s: ip_asset_register(
        actor=u,
        owner=s.application.enterprise,
        ip_type="invention_patent",
        identifier=make_patent_number(777_777, year=2020),
        title="新专利",
        filing_date=dt.date(2020, 1, 2),
    ),
    ("PATCH", "/api/v1/ip-assets/{pk}/"): lambda u, obj, s: ip_asset_update(actor=u, asset=obj, title="更名"),
    ("POST", "/api/v1/ip-assets/{pk}/archive/"): lambda u, obj, s: assets.ip_asset_archive(actor=u, asset=obj),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/"): lambda u, obj, s: co_owner_add(actor=u, asset=obj, name="南通大学"),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/{co_owner_id}/consent/"): lambda u, obj, s: co_owner_record_consent(
        actor=u, co_owner=s.co_owner, consent_given=True
    ),
    ("POST", "/api/v1/ip-assets/import/"): lambda u, obj, s: ip_assets_import(
        actor=u, owner=s.application.enterprise, rows=[], dry_run=True
    ),
    ("POST", "/api/v1/notifications/{pk}/read/"): lambda u, obj, s: notification_mark_read(actor=u, notification=obj),
    ("POST", "/api/v1/applications/"): lambda u, obj, s: financing.application_create(
        actor=u,
        enterprise=s.application.enterprise,
        product=s.product,
        assets=[s.assets[0]],
        requested_amount=D("1000000.00"),
        requested_term_months=12,
        repayment_method="equal_instalment",
    ),
    ("PATCH", APP): lambda u, obj, s: financing.application_update(actor=u, application=obj, purpose="扩大生产"),
    ("POST", APP + "submit/"): lambda u, obj, s: application_submit(actor=u, application=obj),
    ("POST", APP + "withdraw/"): lambda u, obj, s: application_withdraw(actor=u, application=obj, reason="不再需要"),
    ("POST", APP + "respond/"): lambda u, obj, s: financing.application_respond(
        actor=u, application=obj, comment="已补充"
    ),
    ("POST", APP + "accept-offer/"): lambda u, obj, s: financing.application_accept_offer(actor=u, application=obj),
    ("POST", APP + "decline-offer/"): lambda u, obj, s: application_decline_offer(
        actor=u, application=obj, reason="利率偏高"
    ),
    ("POST", APP + "start-review/"): lambda u, obj, s: financing.application_start_review(actor=u, application=obj),
    ("POST", APP + "rescore/"): lambda u, obj, s: application_rescore(actor=u, application=obj),
    ("POST", APP + "request-info/"): lambda u, obj, s: financing.application_request_info(
        actor=u, application=obj, comment="请补充财务报表"
    ),
    ("POST", APP + "approve/"): lambda u, obj, s: application_approve(
        actor=u, application=obj, amount=D("100000"), rate=D("0.04"), term_months=12
    ),
    ("POST", APP + "confirm-approval/"): lambda u, obj, s: financing.application_confirm_approval(
        actor=u, application=obj, comment="同意"
    ),
    ("POST", APP + "reject/"): lambda u, obj, s: application_reject(actor=u, application=obj, reason_code="high_risk"),
    ("POST", APP + "file-pledge/"): lambda u, obj, s: financing.pledge_registration_file(actor=u, application=obj),
    ("POST", APP + "record-registration/"): lambda u, obj, s: financing.pledge_registration_record(
        actor=u, application=obj, registration_number="Y2026320000777", registered_on=TODAY
    ),
    ("POST", APP + "disburse/"): lambda u, obj, s: application_disburse(
        actor=u, application=obj, contract_number="NT-MATRIX-1"
    ),
    ("POST", APP + "documents/"): lambda u, obj, s: application_document_add(
        actor=u, application=obj, kind="other", upload=SimpleUploadedFile("x.pdf", PDF)
    ),
    ("POST", APP + "filing-package/"): lambda u, obj, s: filing_package_generate(actor=u, application=obj),
    ("POST", APP + "filings/"): lambda u, obj, s: filing_packages_generate(actor=u, application=obj),
    ("POST", APP + "filing-package/sign/"): lambda u, obj, s: filing_package_sign(
        actor=u, application=obj, sha256=s.package.sha256
    ),
    ("POST", "/api/v1/loans/{pk}/repayments/"): lambda u, obj, s: financing.repayment_record(
        actor=u, loan=obj, amount=D("100.00")
    ),
    ("POST", "/api/v1/loans/{pk}/payoff/"): lambda u, obj, s: financing.loan_pay_off(actor=u, loan=obj),
    ("POST", "/api/v1/loans/{pk}/repayments/{repayment_id}/reverse/"): lambda u, obj, s: financing.repayment_reverse(
        actor=u, repayment=s.repayment, reason="录错"
    ),
    ("POST", "/api/v1/loans/{pk}/record-release/"): lambda u, obj, s: pledge_release_record(
        actor=u, loan=obj, released_on=TODAY
    ),
    ("POST", "/api/v1/reporting/official-figures/"): lambda u, obj, s: official_figure_record(
        actor=u, indicator_code="population", as_of=dt.date(2025, 12, 31), value=D("7720000")
    ),
    ("POST", "/api/v1/reporting/reported-loans/import/"): lambda u, obj, s: reported_loans_import(
        actor=u, rows=[], dry_run=True
    ),
    ("POST", "/api/v1/subsidy-policies/"): lambda u, obj, s: subsidies.subsidy_policy_create(
        actor=u,
        name="新贴息政策",
        kind="interest",
        interest_basis="interest_paid",
        share=D("0.5"),
        annual_cap=D("300000"),
        first_year=2026,
    ),
    ("PATCH", POLICY_URL): lambda u, obj, s: subsidies.subsidy_policy_update(
        actor=u, policy=obj, description="2026年度"
    ),
    ("POST", "/api/v1/subsidy-claims/"): lambda u, obj, s: subsidies.subsidy_claim_submit(
        actor=u, policy=s.subsidy_policy, year=2026, loans=[s.loan]
    ),
    ("POST", CLAIM + "approve/"): lambda u, obj, s: subsidies.subsidy_claim_approve(
        actor=u, claim=obj, reason="符合条件"
    ),
    ("POST", CLAIM + "reject/"): lambda u, obj, s: subsidies.subsidy_claim_reject(
        actor=u, claim=obj, reason="材料不全"
    ),
    ("POST", CLAIM + "record-payment/"): lambda u, obj, s: subsidies.subsidy_claim_record_payment(
        actor=u, claim=obj, paid_on=TODAY, reference="GK-2026-1"
    ),
    ("POST", CLAIM + "withdraw/"): lambda u, obj, s: subsidies.subsidy_claim_withdraw(
        actor=u, claim=obj, reason="重新申报"
    ),
    ("POST", "/api/v1/collateral-flags/{pk}/accept/"): lambda u, obj, s: collateral_flag_accept(
        actor=u, flag=obj, note="已取得书面同意"
    ),
    ("POST", "/api/v1/cover-requests/"): lambda u, obj, s: risk.cover_request_open(
        actor=u, application=s.coverable_application, product=s.insurance_product
    ),
    ("POST", COVER_REQUEST + "accept/"): lambda u, obj, s: risk.cover_request_accept(
        actor=u, cover=obj, conditions="按季报送财务报表"
    ),
    ("POST", COVER_REQUEST + "decline/"): lambda u, obj, s: risk.cover_request_decline(
        actor=u, cover=obj, reason="行业风险集中"
    ),
    ("POST", COVER_REQUEST + "withdraw/"): lambda u, obj, s: risk.cover_request_withdraw(
        actor=u, cover=obj, reason="改由担保"
    ),
    ("POST", COVER_REQUEST + "go-without/"): lambda u, obj, s: risk.cover_go_without(actor=u, cover=obj),
    ("POST", RISK_CLAIM + "submit/"): lambda u, obj, s: risk.claim_submit(actor=u, claim=obj, comment="借款人违约"),
    ("POST", RISK_CLAIM + "approve/"): lambda u, obj, s: risk.claim_approve(actor=u, claim=obj, amount=D("1.00")),
    ("POST", RISK_CLAIM + "reject/"): lambda u, obj, s: risk.claim_reject(actor=u, claim=obj, reason="不属于保险责任"),
    ("POST", RISK_CLAIM + "record-payment/"): lambda u, obj, s: risk.claim_record_payment(
        actor=u, claim=obj, reference="PAY-1"
    ),
    ("POST", "/api/v1/pools/"): lambda u, obj, s: risk.pool_create(
        actor=u,
        name="新资金池",
        sponsors=[(s.city_org, D("5000000.00"))],
        leverage_cap=D("10"),
        share_fund=D("54"),
        share_bank=D("26"),
        share_insurer=D("16"),
        share_appraiser=D("4"),
    ),
    ("POST", "/api/v1/pools/{pk}/what-if/"): lambda u, obj, s: risk.pool_what_if(actor=u, pool=obj, scenarios=1000),
    ("POST", "/api/v1/pools/{pk}/top-up/"): lambda u, obj, s: risk.pool_top_up(
        actor=u, pool=obj, sponsor=s.city_org, amount=D("1.00")
    ),
    ("POST", "/api/v1/pool-filings/"): lambda u, obj, s: risk.pool_file(
        actor=u, pool=s.pool, application=s.ready_application
    ),
    ("POST", "/api/v1/pool-filings/{pk}/withdraw/"): lambda u, obj, s: risk.pool_filing_withdraw(actor=u, filing=obj),
    ("POST", "/api/v1/pool-filings/{pk}/claim/"): lambda u, obj, s: risk.pool_claim_create(actor=u, filing=obj),
    ("POST", "/api/v1/disposal-cases/"): lambda u, obj, s: risk.disposal_case_open(
        actor=u, loan=s.defaulted_loan, asset=s.case_asset
    ),
    ("POST", CASE + "agreed-transfer/"): _sale(DisposalRoute.AGREED_TRANSFER, "买方", "100000"),
    ("POST", CASE + "exchange-sale/"): _sale(
        DisposalRoute.EXCHANGE_LISTING, "买方", "100000", exchange="江苏省技术产权交易所", listing_reference="L-1"
    ),
    ("POST", CASE + "equity-swap/"): _sale(DisposalRoute.EQUITY_SWAP, "南通某科技有限公司", "100000", stake="0.1"),
    ("POST", CASE + "auction/"): lambda u, obj, s: risk.auction_start(
        actor=u,
        case=obj,
        opens_at=dt.datetime.fromisoformat("2030-01-01T09:00:00+08:00"),
        closes_at=dt.datetime.fromisoformat("2030-01-08T17:00:00+08:00"),
        reserve_price=D("1000"),
    ),
    ("POST", CASE + "bids/"): lambda u, obj, s: risk.auction_bid(actor=u, case=obj, amount=D("100000")),
    ("POST", CASE + "close-auction/"): lambda u, obj, s: risk.auction_close(actor=u, case=obj, costs=D("0")),
    ("POST", CASE + "licence/"): lambda u, obj, s: risk.disposal_license(
        actor=u, case=obj, licensee="被许可人", royalties=[{"due_on": TODAY, "amount": D("1000")}]
    ),
    ("POST", CASE + "royalties/"): lambda u, obj, s: risk.disposal_royalty_record(actor=u, case=obj, amount=D("1000")),
    ("POST", FACT + "dispute/"): lambda u, obj, s: facts.fact_dispute_open(
        actor=u, fact=obj, reason="该记录已于上月撤销"
    ),
    ("POST", DISPUTE + "resolve/"): lambda u, obj, s: facts.fact_dispute_resolve(
        actor=u, dispute=obj, upheld=False, resolution="来源无误"
    ),
    ("POST", "/api/v1/credit-authorisations/"): lambda u, obj, s: facts.credit_authorisation_sign(
        actor=u,
        enterprise=s.application.enterprise,
        bank=s.product.bank,
        scope="loan_review",
        expires_on=timezone.localdate() + dt.timedelta(days=90),
    ),
    ("POST", AUTHORISATION + "revoke/"): lambda u, obj, s: facts.credit_authorisation_revoke(
        actor=u, authorisation=obj
    ),
    ("POST", "/api/v1/credit-reports/"): lambda u, obj, s: credit_report_record(
        actor=u,
        enterprise=s.application.enterprise,
        reference="CR-2026-1",
        observed_at=dt.datetime.fromisoformat("2026-11-20T10:00:00+08:00"),
        values={"overdue_events_24m": 0},
    ),
    ("POST", "/api/v1/fee-receipts/"): lambda u, obj, s: fee_receipt_upload(
        actor=u,
        asset=s.assets[0],
        paid_through=timezone.localdate() + dt.timedelta(days=400),
        upload=SimpleUploadedFile("receipt.pdf", PDF),
    ),
    ("POST", FEE_RECEIPT + "confirm/"): lambda u, obj, s: fee_receipt_confirm(actor=u, receipt=obj),
    ("POST", FEE_RECEIPT + "reject/"): lambda u, obj, s: fee_receipt_reject(actor=u, receipt=obj, reason="金额不符"),
    ("POST", "/api/v1/bank-model-trainings/"): lambda u, obj, s: bank_model_training_request(
        actor=u, upload=SimpleUploadedFile("book.csv", b"status\nbad\n"), target="status", bad="bad"
    ),
    ("POST", "/api/v1/bank-models/{pk}/promote/"): lambda u, obj, s: bank_model_promote(actor=u, version=obj),
}
# The services those wrap (a workflow above two apps calls them), called from the shell or a task as well: each
# holds the same rule itself. The issue found loan_disburse without the bank role check of application_disburse.
BENEATH = {
    ("POST", "/api/v1/ip-assets/"): lambda u, obj, s: assets.ip_asset_register(
        actor=u,
        owner=s.application.enterprise,
        ip_type="invention_patent",
        identifier=make_patent_number(777_777, year=2020),
        title="新专利",
        filing_date=dt.date(2020, 1, 2),
    ),
    ("PATCH", "/api/v1/ip-assets/{pk}/"): lambda u, obj, s: assets.ip_asset_update(actor=u, asset=obj, title="更名"),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/"): lambda u, obj, s: assets.co_owner_add(
        actor=u, asset=obj, name="南通大学"
    ),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/{co_owner_id}/consent/"): lambda u, obj, s: (
        assets.co_owner_record_consent(actor=u, co_owner=s.co_owner, consent_given=True)
    ),
    ("POST", "/api/v1/ip-assets/import/"): lambda u, obj, s: asset_rows_import(
        actor=u, owner=s.application.enterprise, rows=[], dry_run=True
    ),
    ("POST", APP + "submit/"): lambda u, obj, s: financing.application_submit(actor=u, application=obj),
    ("POST", APP + "approve/"): lambda u, obj, s: financing.application_approve(
        actor=u,
        application=obj,
        amount=D("100000"),
        rate=D("0.04"),
        term_months=12,
        collateral_limit=lambda locked: D("100000000"),
    ),
    ("POST", APP + "disburse/"): lambda u, obj, s: financing.loan_disburse(
        actor=u, application=obj, contract_number="NT-MATRIX-1"
    ),
}
WRITE_ROWS = sorted(key for key in POLICY if key[0] in WRITES)


def test_every_write_endpoint_has_its_service():
    # From the URL configuration, as the API's test reads it (signing in, refreshing and out aside: no service).
    writes = {(method, path) for method, path in api_matrix.endpoints() if method in WRITES}
    assert writes - set(SERVICE) == set(), "map each write endpoint to the service it calls"
    assert set(BENEATH) <= set(SERVICE)


def attempt(call) -> str:
    """``refused``, ``allowed`` (done, or refused for the data or the state), or what else went wrong. Each
    call is undone so that the next caller meets the same world."""
    try:
        with transaction.atomic():
            call()
            transaction.set_rollback(True)
    except (PermissionDenied, NotFound):
        return "refused"
    except DomainError:
        return "allowed"
    except Exception as exc:  # a mapping that does not call the service as the view does
        return f"{type(exc).__name__}: {exc}"
    return "allowed"


def test_each_service_refuses_whom_the_api_refuses(world):
    """One world for every row (each call is undone): building it per row would take minutes."""
    own, foreign, users, extra_notices = world
    mismatches = []
    for method, path in (row for row in WRITE_ROWS if row in SERVICE):  # the rest fail the test above
        rule = POLICY[(method, path)]
        services = [("", SERVICE[(method, path)])]
        if (method, path) in BENEATH:
            services.append((" (the service beneath)", BENEATH[(method, path)]))
        targets = [("own", own), ("foreign", foreign)] if rule["resource"] else [(None, own)]
        for whose, side in targets:
            for caller in ROLES:
                obj = None
                if rule["resource"] == "notification" and whose == "foreign":
                    obj = foreign.notifications["sme"]  # someone else's notice
                elif rule["resource"]:
                    obj = side.object(rule["resource"], caller, extra_notices)
                want = "allowed" if expected(rule, caller, whose) == "allowed" else "refused"
                for label, service in services:
                    got = attempt(lambda: service(users[caller], obj, side))  # noqa: B023 - called at once
                    if got != want:
                        mismatches.append(
                            f"{method} {path}{label} — {caller} on {whose or 'collection'}: {got} ({want} expected)"
                        )
    assert not mismatches, "\n".join(mismatches)


def test_a_deactivated_person_is_refused_by_every_service(world):
    """Signing in refuses them, and so does each write service called from a task or the shell: every row, as each
    role the row lets through, on its own side's object, with that person switched off."""
    own, _foreign, users, extra_notices = world
    let_through = []
    for method, path in (row for row in WRITE_ROWS if row in SERVICE):
        rule = POLICY[(method, path)]
        for caller in ROLES:
            if expected(rule, caller, "own" if rule["resource"] else None) != "allowed":
                continue
            obj = own.object(rule["resource"], caller, extra_notices) if rule["resource"] else None
            gone = copy.copy(users[caller])
            gone.is_active = False
            got = attempt(lambda: SERVICE[(method, path)](gone, obj, own))  # noqa: B023 - called at once
            if got != "refused":
                let_through.append(f"{method} {path} — {caller}, deactivated: {got}")
    assert not let_through, "\n".join(let_through)
