"""The access policy, endpoint by endpoint, generated from the URL configuration.

Every endpoint under /api/v1/ must have a row in POLICY — a new endpoint without one fails
``test_every_endpoint_has_a_policy``. Each endpoint is then called by every role, on an object of the
caller's own side and on a foreign one, with a body that would pass validation, and the answer must be:

* ``hidden``    — 404: the object is not the caller's to see (another tenant's, or another side's);
* ``forbidden`` — 403: the caller sees the object (or the collection) but the role may not do this;
* ``allowed``   — past the gate: 2xx, or 400/409/422 about the data or the state, never 401/403/404.

Anonymous callers get 401 everywhere. No answer to anyone but the platform ever contains a foreign
marker (the other tenant's names, references, identifiers, contract numbers or notices).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from scoring.models import BankModelTraining, ModelRole, ModelVersion
from scoring.services import application_score, assets_valuate
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    CoOwnerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    OrganisationFactory,
    SubsidyPolicyFactory,
    UserFactory,
    make_patent_number,
    open_flag,
    submitted_claim,
)
from tests.risksharing.matrix import attach_risk
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.facts.models import AuthorisationScope, FeeReceipt
from tongzhirong.facts.services import credit_authorisation_sign, fact_dispute_open, fact_record
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.financing.services import repayment_record
from tongzhirong.lending.loans import loan_disburse
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"
SME_SIDE = {"sme", "sme_staff"}
BANK_SIDE = {"officer", "checker"}
PARTIES = SME_SIDE | BANK_SIDE
OTHERS = {"insurer", "guarantor", "appraiser", "city"}
ROLES = (*sorted(PARTIES), *sorted(OTHERS), "platform")
EVERYONE = frozenset(ROLES)

# Who may see one object of each kind when it is their side's ("own"); a foreign one only the platform.
VISIBLE = {
    "application": PARTIES | {"platform"},
    "loan": PARTIES | {"platform"},
    "asset": SME_SIDE | {"platform"},
    "product": EVERYONE,  # published products are public to signed-in users, foreign ones included
    "notification": EVERYONE,  # one's own notice; someone else's is hidden from everyone
    "subsidy_policy": EVERYONE,  # the city's public programmes
    "subsidy_claim": SME_SIDE | {"city", "platform"},
    "collateral_flag": PARTIES | {"platform"},
    # Risk sharing: pools are public; a claim is the claimant bank's and the payer's; a filing the bank's
    # and the pool's operator's; a policy the loan's parties' and the insurer's; a disposal case the parties'.
    "pool": EVERYONE,
    "risk_claim": BANK_SIDE | {"insurer", "platform"},
    "pool_filing": BANK_SIDE | {"city", "platform"},
    "cover_policy": PARTIES | {"insurer", "platform"},
    # Cover asked before disbursement: the application's parties and the insurer asked.
    "cover_request": PARTIES | {"insurer", "platform"},
    "disposal_case": PARTIES | {"platform"},
    # Facts, their disputes and credit-check authorisations: the firm's, the bank it applied to or authorised.
    "fact": PARTIES | {"platform"},
    "fact_dispute": PARTIES | {"platform"},
    "authorisation": PARTIES | {"platform"},
    # A fee receipt: the owner's, and the pledgee bank's to confirm.
    "fee_receipt": PARTIES | {"platform"},
    # A bank's own risk models and their trainings: that bank's people (and the platform) only.
    "bank_model": BANK_SIDE | {"platform"},
    "bank_training": BANK_SIDE | {"platform"},
}
# Resources with no tenant: everyone signed in sees the other side's as well as their own.
PUBLIC_RESOURCES = {"product", "pool", "subsidy_policy"}

TODAY = dt.date(2026, 11, 25).isoformat()


def row(resource, who, body=None, *, multipart=False, query="", gate=None, foreign_ok=False, sees_all=()):
    """``gate``: roles let through to the object at all; the rest are refused (403) before any lookup.
    ``foreign_ok``: a foreign object the caller can see may be used too (reading a public product).
    ``sees_all``: roles that see every tenant's objects here, as the platform does (the city office deciding
    every firm's subsidy claims): a foreign object is theirs to act on and its markers are no leak."""
    return {
        "foreign_ok": foreign_ok,
        "sees_all": frozenset(sees_all),
        "resource": resource,
        "who": frozenset(who),
        "body": body,
        "multipart": multipart,
        "query": query,
        "gate": frozenset(gate) if gate is not None else EVERYONE,
    }


APP = "/api/v1/applications/{pk}/"
POLICY_URL = "/api/v1/subsidy-policies/{pk}/"
CLAIM = "/api/v1/subsidy-claims/{pk}/"
RISK_CLAIM = "/api/v1/claims/{pk}/"
COVER_REQUEST = "/api/v1/cover-requests/{pk}/"
CASE = "/api/v1/disposal-cases/{pk}/"
FACT = "/api/v1/facts/{pk}/"
DISPUTE = "/api/v1/fact-disputes/{pk}/"
AUTHORISATION = "/api/v1/credit-authorisations/{pk}/"
FEE_RECEIPT = "/api/v1/fee-receipts/{pk}/"
POLICY = {
    ("GET", "/api/v1/me/"): row(None, EVERYONE),
    # Fee receipts of pledged IP: the owner uploads, the pledgee bank confirms or rejects.
    ("GET", "/api/v1/fee-receipts/"): row(None, EVERYONE),
    ("POST", "/api/v1/fee-receipts/"): row(
        None, SME_SIDE, {"asset": "{asset}", "paid_through": "{in_400_days}"}, multipart=True
    ),
    ("GET", FEE_RECEIPT): row("fee_receipt", PARTIES | {"platform"}),
    ("GET", FEE_RECEIPT + "file/"): row("fee_receipt", PARTIES | {"platform"}),
    ("POST", FEE_RECEIPT + "confirm/"): row("fee_receipt", BANK_SIDE),
    ("POST", FEE_RECEIPT + "reject/"): row("fee_receipt", BANK_SIDE, {"reason": "金额不符"}),
    # A bank's own risk models: only the bank's manager (not in this matrix) trains and promotes; its people read.
    ("GET", "/api/v1/bank-model-trainings/"): row(None, EVERYONE),
    ("POST", "/api/v1/bank-model-trainings/"): row(None, (), {"target": "status", "bad": "bad"}, multipart=True),
    ("GET", "/api/v1/bank-model-trainings/{pk}/"): row("bank_training", BANK_SIDE | {"platform"}),
    ("GET", "/api/v1/bank-models/"): row(None, EVERYONE),
    ("GET", "/api/v1/bank-models/{pk}/"): row("bank_model", BANK_SIDE | {"platform"}),
    ("POST", "/api/v1/bank-models/{pk}/promote/"): row("bank_model", ()),
    ("GET", "/api/v1/products/"): row(None, EVERYONE),
    ("GET", "/api/v1/products/{pk}/"): row("product", EVERYONE, foreign_ok=True),
    ("POST", "/api/v1/products/"): row(
        None,
        BANK_SIDE,
        {
            "name": "新产品",
            "min_amount": "100000.00",
            "max_amount": "5000000.00",
            "min_term_months": 6,
            "max_term_months": 24,
            "min_rate": "0.03",
            "max_rate": "0.05",
            "repayment_methods": ["equal_principal"],
            "pledge_rate_caps": {"invention_patent": "0.3"},
        },
    ),
    # Anyone sees a published product; only its bank may change it (another bank: 403, not hidden).
    ("PATCH", "/api/v1/products/{pk}/"): row("product", BANK_SIDE, {"is_active": True}, gate=BANK_SIDE | {"platform"}),
    ("GET", "/api/v1/products/matches/"): row(None, SME_SIDE, query="assets={asset}&term_months=12"),
    ("GET", "/api/v1/enterprise/"): row(None, SME_SIDE),
    ("POST", "/api/v1/enterprise/"): row(
        None,
        SME_SIDE,
        {
            "legal_name": "南通另一家科技有限公司",
            "uscc": "91320600MA1X0000XX",
            "district": "320613",
            "cluster": "next_gen_it",
            "chain": "software_it_services",
            "founded_on": "2016-01-01",
            "registered_capital": "1000000.00",
            "employees": 10,
            "annual_revenue": "5000000.00",
        },
    ),
    ("PATCH", "/api/v1/enterprise/"): row(None, SME_SIDE, {"employees": 95}),
    ("GET", "/api/v1/ip-assets/"): row(None, EVERYONE),
    ("POST", "/api/v1/ip-assets/"): row(
        None,
        SME_SIDE,
        {"ip_type": "invention_patent", "identifier": "{new_patent}", "title": "新专利", "filing_date": "2020-01-02"},
    ),
    ("PATCH", "/api/v1/ip-assets/{pk}/"): row("asset", SME_SIDE, {"title": "更名"}, gate=SME_SIDE | {"platform"}),
    ("POST", "/api/v1/ip-assets/{pk}/archive/"): row("asset", SME_SIDE, gate=SME_SIDE | {"platform"}),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/"): row(
        "asset", SME_SIDE, {"name": "南通大学"}, gate=SME_SIDE | {"platform"}
    ),
    ("POST", "/api/v1/ip-assets/{pk}/co-owners/{co_owner_id}/consent/"): row(
        "asset", SME_SIDE, {"consent_given": True}, gate=SME_SIDE | {"platform"}
    ),
    ("POST", "/api/v1/ip-assets/import/"): row(None, SME_SIDE, multipart=True),
    ("GET", "/api/v1/ip-assets/import-template/"): row(None, EVERYONE, query="format=csv"),
    ("GET", "/api/v1/ip-assets/{pk}/"): row("asset", SME_SIDE | {"platform"}),
    ("GET", "/api/v1/ip-assets/{pk}/valuation/"): row("asset", SME_SIDE | {"platform"}),
    ("GET", "/api/v1/notifications/"): row(None, EVERYONE),
    ("POST", "/api/v1/notifications/{pk}/read/"): row("notification", EVERYONE),
    ("GET", "/api/v1/applications/"): row(None, EVERYONE),
    ("POST", "/api/v1/applications/"): row(
        None,
        SME_SIDE,
        {
            "product": "{product}",
            "assets": ["{asset}"],
            "requested_amount": "1000000.00",
            "requested_term_months": 12,
            "repayment_method": "equal_instalment",
        },
    ),
    ("GET", "/api/v1/applications/stage-times/"): row(None, BANK_SIDE | {"platform"}),
    ("GET", APP): row("application", PARTIES | {"platform"}),
    ("PATCH", APP): row("application", SME_SIDE, {"purpose": "扩大生产"}),
    ("GET", APP + "score/"): row("application", PARTIES | {"platform"}),
    ("GET", APP + "timeline/"): row("application", PARTIES | {"platform"}),
    ("GET", APP + "pledge-precheck/"): row("application", PARTIES | {"platform"}),
    ("GET", APP + "collateral/"): row("application", PARTIES | {"platform"}),
    ("POST", APP + "submit/"): row("application", SME_SIDE),
    ("POST", APP + "withdraw/"): row("application", SME_SIDE, {"comment": "不再需要"}),
    ("POST", APP + "respond/"): row("application", SME_SIDE, {"comment": "已补充"}),
    ("POST", APP + "accept-offer/"): row("application", SME_SIDE),
    ("POST", APP + "decline-offer/"): row("application", SME_SIDE, {"comment": "利率偏高"}),
    ("POST", APP + "start-review/"): row("application", BANK_SIDE),
    ("POST", APP + "rescore/"): row("application", BANK_SIDE),
    ("POST", APP + "request-info/"): row("application", BANK_SIDE, {"comment": "请补充财务报表"}),
    ("POST", APP + "approve/"): row("application", BANK_SIDE, {"amount": "100000", "rate": "0.04", "term_months": 12}),
    ("POST", APP + "confirm-approval/"): row("application", {"checker"}, {"comment": "同意"}),
    ("POST", APP + "reject/"): row("application", BANK_SIDE, {"reason_code": "high_risk"}),
    ("POST", APP + "file-pledge/"): row("application", BANK_SIDE),
    ("POST", APP + "record-registration/"): row(
        "application", BANK_SIDE, {"registration_number": "Y2026320000777", "registered_on": TODAY}
    ),
    ("POST", APP + "disburse/"): row("application", BANK_SIDE, {"contract_number": "NT-MATRIX-1"}),
    ("GET", APP + "documents/"): row("application", PARTIES | {"platform"}),
    ("POST", APP + "documents/"): row("application", PARTIES, multipart=True),
    ("GET", APP + "documents/{document_id}/"): row("application", PARTIES | {"platform"}),
    ("GET", APP + "filing-package/"): row("application", PARTIES | {"platform"}),
    ("POST", APP + "filing-package/"): row("application", BANK_SIDE),
    ("POST", APP + "filing-package/sign/"): row("application", {"sme"} | BANK_SIDE, {"sha256": "{sha256}"}),
    ("GET", APP + "filing-package/asset-list/"): row("application", PARTIES | {"platform"}),
    # The PDF both parties sign: theirs alone; the platform sees the application but not the document.
    ("GET", APP + "filing-package/pdf/"): row("application", PARTIES),
    ("GET", APP + "filings/"): row("application", PARTIES | {"platform"}),
    ("POST", APP + "filings/"): row("application", BANK_SIDE),
    ("GET", "/api/v1/loans/"): row(None, EVERYONE),
    ("GET", "/api/v1/loans/{pk}/"): row("loan", PARTIES | {"platform"}),
    ("GET", "/api/v1/loans/{pk}/payoff-quote/"): row("loan", PARTIES | {"platform"}),
    ("POST", "/api/v1/loans/{pk}/repayments/"): row("loan", BANK_SIDE, {"amount": "100.00"}),
    ("POST", "/api/v1/loans/{pk}/payoff/"): row("loan", BANK_SIDE),
    # The officer recorded the repayment: only a second person, the lending bank's checker, reverses it.
    ("POST", "/api/v1/loans/{pk}/repayments/{repayment_id}/reverse/"): row("loan", {"checker"}, {"reason": "录错"}),
    ("POST", "/api/v1/loans/{pk}/record-release/"): row("loan", BANK_SIDE, {"released_on": TODAY}),
    # Reporting: the city office and the platform see the city, a bank its own book; nobody else any figure.
    ("GET", "/api/v1/reporting/summary/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", "/api/v1/reporting/monthly/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", "/api/v1/reporting/breakdowns/"): row(None, BANK_SIDE | {"city", "platform"}, query="by=bank"),
    ("GET", "/api/v1/reporting/coverage/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", "/api/v1/reporting/speed/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", "/api/v1/reporting/risk/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", "/api/v1/reporting/export/"): row(
        None, BANK_SIDE | {"city", "platform"}, query="table=breakdown&by=bank&format=csv"
    ),
    ("GET", "/api/v1/reporting/district-report/"): row(None, BANK_SIDE | {"city", "platform"}, query="month=2026-10"),
    ("GET", "/api/v1/reporting/indicators/"): row(None, {"city", "platform"}),
    # The evidence chain: its check and its signed checkpoints, for the city office and the platform's admins.
    ("GET", "/api/v1/evidence/audit/"): row(None, {"city", "platform"}),
    ("GET", "/api/v1/evidence/checkpoints/"): row(None, {"city", "platform"}),
    ("POST", "/api/v1/reporting/official-figures/"): row(
        None, {"city", "platform"}, {"indicator": "population", "as_of": "2025-12-31", "value": "7720000"}
    ),
    ("POST", "/api/v1/reporting/reported-loans/import/"): row(None, BANK_SIDE | {"city", "platform"}, multipart=True),
    ("GET", "/api/v1/reporting/reported-loans/import-template/"): row(
        None, BANK_SIDE | {"city", "platform"}, query="format=csv"
    ),
    # Subsidies: policies are public and set by the city office; a firm claims, the city office decides and pays.
    ("GET", "/api/v1/subsidy-policies/"): row(None, EVERYONE),
    ("POST", "/api/v1/subsidy-policies/"): row(
        None,
        {"city"},
        {
            "name": "新贴息政策",
            "kind": "interest",
            "interest_basis": "interest_paid",
            "share": "0.5",
            "annual_cap": "300000",
            "first_year": 2026,
        },
    ),
    ("GET", POLICY_URL): row("subsidy_policy", EVERYONE, foreign_ok=True),
    ("PATCH", POLICY_URL): row("subsidy_policy", {"city"}, {"description": "2026年度"}, foreign_ok=True),
    ("GET", POLICY_URL + "eligibility/"): row("subsidy_policy", SME_SIDE, query="year=2026", foreign_ok=True),
    ("GET", "/api/v1/subsidy-claims/"): row(None, EVERYONE, sees_all={"city"}),
    ("POST", "/api/v1/subsidy-claims/"): row(
        None, SME_SIDE, {"policy": "{subsidy_policy}", "year": 2026, "loans": ["{loan}"]}
    ),
    ("GET", "/api/v1/subsidy-claims/export/"): row(None, {"city", "platform"}, query="format=csv", sees_all={"city"}),
    ("GET", CLAIM): row("subsidy_claim", SME_SIDE | {"city", "platform"}, sees_all={"city"}),
    ("POST", CLAIM + "approve/"): row("subsidy_claim", {"city"}, {"reason": "符合条件"}, sees_all={"city"}),
    ("POST", CLAIM + "reject/"): row("subsidy_claim", {"city"}, {"reason": "材料不全"}, sees_all={"city"}),
    ("POST", CLAIM + "record-payment/"): row(
        "subsidy_claim", {"city"}, {"paid_on": TODAY, "reference": "GK-2026-1"}, sees_all={"city"}
    ),
    ("POST", CLAIM + "withdraw/"): row("subsidy_claim", SME_SIDE, {"reason": "重新申报"}, sees_all={"city"}),
    # Collateral flags: the parties to the loan see them; the lending bank accepts new co-owners.
    ("GET", "/api/v1/collateral-flags/"): row(None, EVERYONE),
    ("GET", "/api/v1/collateral-flags/{pk}/"): row("collateral_flag", PARTIES | {"platform"}),
    ("POST", "/api/v1/collateral-flags/{pk}/accept/"): row("collateral_flag", BANK_SIDE, {"note": "已取得书面同意"}),
    # Risk sharing: cover, claims (the bank submits, the payer decides and pays), pools and filings, the loss per
    # party, the disposal desk (nobody on the case's own side may bid: the borrower and the lending bank).
    ("GET", "/api/v1/loans/{pk}/loss/"): row("loan", PARTIES | {"platform"}),
    ("GET", "/api/v1/cover-policies/"): row(None, EVERYONE),
    ("GET", "/api/v1/cover-policies/{pk}/"): row("cover_policy", PARTIES | {"insurer", "platform"}),
    ("GET", "/api/v1/cover-requests/"): row(None, EVERYONE),
    ("POST", "/api/v1/cover-requests/"): row(
        None,
        BANK_SIDE,
        {"application": "{coverable_application}", "kind": "insurance", "product": "{insurance_product}"},
    ),
    ("GET", COVER_REQUEST): row("cover_request", PARTIES | {"insurer", "platform"}),
    ("POST", COVER_REQUEST + "accept/"): row("cover_request", {"insurer"}, {"conditions": "按季报送财务报表"}),
    ("POST", COVER_REQUEST + "decline/"): row("cover_request", {"insurer"}, {"reason": "行业风险集中"}),
    ("POST", COVER_REQUEST + "withdraw/"): row("cover_request", BANK_SIDE, {"reason": "改由担保"}),
    ("POST", COVER_REQUEST + "go-without/"): row("cover_request", BANK_SIDE),
    ("GET", "/api/v1/claims/"): row(None, EVERYONE),
    ("GET", RISK_CLAIM): row("risk_claim", BANK_SIDE | {"insurer", "platform"}),
    ("POST", RISK_CLAIM + "submit/"): row("risk_claim", BANK_SIDE, {"comment": "借款人违约"}),
    ("POST", RISK_CLAIM + "approve/"): row("risk_claim", {"insurer"}, {"amount": "1.00"}),
    ("POST", RISK_CLAIM + "reject/"): row("risk_claim", {"insurer"}, {"reason": "不属于保险责任"}),
    ("POST", RISK_CLAIM + "record-payment/"): row("risk_claim", {"insurer"}, {"reference": "PAY-1"}),
    ("GET", "/api/v1/pools/"): row(None, EVERYONE),
    ("POST", "/api/v1/pools/"): row(
        None,
        {"city"},
        {
            "name": "新资金池",
            "sponsors": [{"organisation": "{city_org}", "contribution": "5000000.00"}],
            "leverage_cap": "10",
            "share_fund": "54",
            "share_bank": "26",
            "share_insurer": "16",
            "share_appraiser": "4",
        },
    ),
    ("GET", "/api/v1/pools/{pk}/"): row("pool", EVERYONE, foreign_ok=True),
    ("GET", "/api/v1/pools/{pk}/ledger/"): row("pool", {"city", "platform"}),
    ("POST", "/api/v1/pools/{pk}/what-if/"): row("pool", {"city", "platform"}, {"scenarios": 1000}),
    ("POST", "/api/v1/pools/{pk}/top-up/"): row("pool", {"city"}, {"sponsor": "{city_org}", "amount": "1.00"}),
    ("GET", "/api/v1/pool-filings/"): row(None, EVERYONE),
    ("POST", "/api/v1/pool-filings/"): row(None, BANK_SIDE, {"pool": "{pool}", "application": "{ready_application}"}),
    ("GET", "/api/v1/pool-filings/{pk}/"): row("pool_filing", BANK_SIDE | {"city", "platform"}),
    ("POST", "/api/v1/pool-filings/{pk}/withdraw/"): row("pool_filing", BANK_SIDE),
    ("POST", "/api/v1/pool-filings/{pk}/claim/"): row("pool_filing", BANK_SIDE, {}),
    ("GET", "/api/v1/disposal-cases/"): row(None, EVERYONE),
    ("GET", "/api/v1/auctions/"): row(None, EVERYONE),
    ("POST", "/api/v1/disposal-cases/"): row(None, BANK_SIDE, {"loan": "{defaulted_loan}", "asset": "{case_asset}"}),
    ("GET", "/api/v1/disposal-cases/recovery-rates/"): row(None, BANK_SIDE | {"city", "platform"}),
    ("GET", CASE): row("disposal_case", PARTIES | {"platform"}),
    ("POST", CASE + "agreed-transfer/"): row("disposal_case", BANK_SIDE, {"buyer": "买方", "price": "100000"}),
    ("POST", CASE + "exchange-sale/"): row(
        "disposal_case",
        BANK_SIDE,
        {"exchange": "江苏省技术产权交易所", "listing_reference": "L-1", "buyer": "买方", "price": "100000"},
    ),
    ("POST", CASE + "equity-swap/"): row(
        "disposal_case", BANK_SIDE, {"company": "南通某科技有限公司", "stake": "0.1", "value": "100000"}
    ),
    ("POST", CASE + "auction/"): row(
        "disposal_case",
        BANK_SIDE,
        {"opens_at": "2030-01-01T09:00:00+08:00", "closes_at": "2030-01-08T17:00:00+08:00", "reserve_price": "1000"},
    ),
    ("POST", CASE + "bids/"): row("disposal_case", set(), {"amount": "100000"}),
    ("POST", CASE + "close-auction/"): row("disposal_case", BANK_SIDE, {"costs": "0"}),
    ("POST", CASE + "licence/"): row(
        "disposal_case", BANK_SIDE, {"licensee": "被许可人", "royalties": [{"due_on": TODAY, "amount": "1000"}]}
    ),
    ("POST", CASE + "royalties/"): row("disposal_case", BANK_SIDE, {"amount": "1000"}),
    # Facts: the firm disputes, the platform resolves, the firm's owner signs and revokes authorisations, the bank
    # it authorised records the credit report it pulled.
    ("GET", "/api/v1/facts/"): row(None, EVERYONE),
    ("GET", FACT): row("fact", PARTIES | {"platform"}),
    ("POST", FACT + "dispute/"): row("fact", SME_SIDE, {"reason": "该记录已于上月撤销"}),
    ("GET", "/api/v1/fact-disputes/"): row(None, EVERYONE),
    ("GET", DISPUTE): row("fact_dispute", PARTIES | {"platform"}),
    ("POST", DISPUTE + "resolve/"): row("fact_dispute", {"platform"}, {"upheld": False, "resolution": "来源无误"}),
    ("GET", "/api/v1/credit-authorisations/"): row(None, EVERYONE),
    ("POST", "/api/v1/credit-authorisations/"): row(
        None, {"sme"}, {"bank": "{bank}", "scope": "loan_review", "expires_on": "{in_90_days}"}
    ),
    ("GET", AUTHORISATION): row("authorisation", PARTIES | {"platform"}),
    ("POST", AUTHORISATION + "revoke/"): row("authorisation", {"sme"}),
    ("POST", "/api/v1/credit-reports/"): row(
        None,
        BANK_SIDE,
        {
            "enterprise": "{enterprise}",
            "reference": "CR-2026-1",
            "observed_at": "2026-11-20T10:00:00+08:00",
            "values": {"overdue_events_24m": 0},
        },
    ),
}
# Signing in, refreshing and signing out are for anyone holding credentials: tested in test_auth.py.
PUBLIC = {("POST", "/api/v1/auth/token/"), ("POST", "/api/v1/auth/token/refresh/"), ("POST", "/api/v1/auth/logout/")}


def endpoints() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, _, method, _ in EndpointEnumerator().get_api_endpoints()
        if path.startswith("/api/v1/") and (method, path) not in PUBLIC
    }


def test_every_endpoint_has_a_policy():
    assert endpoints() - set(POLICY) == set(), "add a POLICY row for each new endpoint"
    assert set(POLICY) - endpoints() == set(), "POLICY names endpoints that no longer exist"


class Side:
    """One tenant's world: an SME with a staff member, its bank with an officer and a checker, a product, 11
    patents, an application under review with a signed-for package and a document, a disbursed loan."""

    def __init__(self, tag: str):
        bank = BankFactory(name=f"Bank-{tag}", maker_checker_threshold=Decimal("1000000"))
        enterprise = EnterpriseFactory(legal_name=f"Enterprise-{tag}")
        org = enterprise.organisation
        self.users = {
            "sme": UserFactory(organisation=org, role=Role.SME_OWNER),
            "sme_staff": UserFactory(organisation=org, role=Role.SME_STAFF),
            "officer": UserFactory(organisation=bank, role=Role.BANK_OFFICER),
            "checker": UserFactory(organisation=bank, role=Role.BANK_CHECKER),
        }
        self.product = LoanProductFactory(bank=bank, name=f"Product-{tag}")
        self.assets = [IPAssetFactory(owner=enterprise, title=f"Asset-{tag}-{i}") for i in range(11)]
        self.co_owner = CoOwnerFactory(asset=self.assets[0], name=f"CoOwner-{tag}")
        self.application = ApplicationFactory(
            enterprise=enterprise, product=self.product, status=ApplicationStatus.UNDER_REVIEW
        )
        ApplicationAsset.objects.bulk_create(
            ApplicationAsset(application=self.application, asset=a) for a in self.assets
        )
        application_score(application=self.application)  # scored at submission, as the flow does
        self.document = self.application.documents.create(
            kind="other",
            file=SimpleUploadedFile("a.pdf", PDF),
            original_name=f"Doc-{tag}.pdf",
            mime_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=self.users["sme"],
        )
        self.package = self.application.filing_packages.create(
            registry="cnipa",
            version=1,
            content={"tag": tag},
            asset_list_xlsx=b"PK",
            pdf=PDF,
            sha256="a" * 64,
            created_by=self.users["officer"],
        )
        loaned = ApplicationFactory(
            enterprise=enterprise,
            product=self.product,
            status=ApplicationStatus.REGISTERED,
            approved_amount=Decimal("500000"),
            approved_rate=Decimal("0.04"),
            approved_term_months=12,
        )
        self.loan = loan_disburse(actor=self.users["officer"], application=loaned, contract_number=f"Contract-{tag}")
        self.notifications = {
            name: Notification.objects.create(recipient=user, title=f"Notice-{tag}-{name}")
            for name, user in self.users.items()
        }
        self.markers = [
            f"Enterprise-{tag}",
            self.application.reference,
            loaned.reference,
            f"Contract-{tag}",
            f"Asset-{tag}-",
            f"Doc-{tag}",
            f"CoOwner-{tag}",
            f"Notice-{tag}-",
        ]
        # Subsidies and collateral monitoring: a public policy, a submitted claim on the loan, an open flag.
        self.subsidy_policy = SubsidyPolicyFactory(name=f"Policy-{tag}")
        self.subsidy_claim = submitted_claim(self.subsidy_policy, self.loan)
        self.collateral_flag = open_flag(self.loan, asset=self.assets[0])
        # Facts: the firm authorised its bank, which recorded two facts; the firm disputes the second.
        self.authorisation = credit_authorisation_sign(
            actor=self.users["sme"],
            enterprise=enterprise,
            bank=bank,
            scope=AuthorisationScope.LOAN_REVIEW,
            expires_on=timezone.localdate() + dt.timedelta(days=90),
        )
        recorded = [
            fact_record(
                actor=self.users["officer"],
                enterprise=enterprise,
                name=name,
                value=False,
                reference=f"FactRef-{tag}-{name}",
                observed_at=timezone.now() - dt.timedelta(days=1),
            )
            for name in ("dishonest_debtor", "has_court_enforcement")
        ]
        self.fact = recorded[0]
        self.fact_dispute = fact_dispute_open(actor=self.users["sme"], fact=recorded[1], reason=f"Dispute-{tag}")
        self.markers += [f"FactRef-{tag}", f"Dispute-{tag}"]
        # The owner's receipt for the first patent's annual fee, awaiting the bank.
        self.fee_receipt = FeeReceipt.objects.create(
            asset=self.assets[0],
            paid_through=timezone.localdate() + dt.timedelta(days=400),
            file=SimpleUploadedFile("r.pdf", PDF),
            original_name=f"Receipt-{tag}.pdf",
            mime_type="application/pdf",
            size=len(PDF),
            sha256=("1" if tag == "own" else "2") * 64,
            uploaded_by=self.users["sme"],
        )
        self.markers += [f"Receipt-{tag}"]
        # The bank's own risk model (its challenger) and the training that made it.
        self.bank_model = ModelVersion.objects.create(
            name=f"pledge_risk_bank_{bank.pk}",
            version=f"BankModel-{tag}",
            kind="scorecard",
            task="pledge_risk",
            sha256="0" * 64,
            role=ModelRole.CHALLENGER,
            bank=bank,
        )
        self.bank_training = BankModelTraining.objects.create(
            bank=bank,
            requested_by=self.users["checker"],
            kind="scorecard",
            target="status",
            bad_value="bad",
            original_name=f"Book-{tag}.csv",
            data=b"status\n",
            sha256="0" * 64,
            rows=1,
            bad_rows=0,
        )
        self.markers += [f"BankModel-{tag}", f"Book-{tag}"]
        # A repayment the officer recorded, for the reversal (last, so nothing above sees it).
        self.repayment = repayment_record(actor=self.users["officer"], loan=self.loan, amount=Decimal("100.00"))

    def object(self, resource: str, caller: str, others: dict):
        if resource == "notification":
            return self.notifications.get(caller) or others[caller]
        return self.assets[0] if resource == "asset" else getattr(self, resource)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    own, foreign = Side("own"), Side("foreign")
    outsiders = {
        "insurer": OrganisationKind.INSURER,
        "guarantor": OrganisationKind.GUARANTOR,
        "appraiser": OrganisationKind.APPRAISER,
        "city": OrganisationKind.CITY_OFFICE,
        "platform": OrganisationKind.PLATFORM,
    }
    role_of = {
        "insurer": Role.UNDERWRITER,
        "guarantor": Role.UNDERWRITER,
        "appraiser": Role.APPRAISER,
        "city": Role.ANALYST,
        "platform": Role.PLATFORM_ADMIN,
    }
    users = dict(own.users)
    for name, kind in outsiders.items():
        users[name] = UserFactory(organisation=OrganisationFactory(kind=kind), role=role_of[name])
    extra_notices = {
        name: Notification.objects.create(recipient=users[name], title=f"Notice-own-{name}") for name in outsiders
    }
    attach_risk(own, foreign, users)
    # Registration values an asset after commit; these factory-made ones are valued here, as it would have.
    assets_valuate(assets=[own.assets[0], foreign.assets[0]])
    return own, foreign, users, extra_notices


def expected(rule: dict, caller: str, whose: str | None) -> str:
    if caller not in rule["gate"]:
        return "forbidden"
    resource = rule["resource"]
    if resource is not None:
        foreign_visible = EVERYONE if resource in PUBLIC_RESOURCES else {"platform"} | rule["sees_all"]
        visible = VISIBLE[resource] if whose == "own" else foreign_visible
        if resource == "notification" and whose == "foreign":
            visible = set()
        if caller not in visible:
            return "hidden"
        if whose == "foreign" and caller not in {"platform"} | rule["sees_all"] and not rule["foreign_ok"]:
            return "forbidden"
    return "allowed" if caller in rule["who"] else "forbidden"


def outcome(status: int) -> str:
    return {401: "unauthenticated", 403: "forbidden", 404: "hidden"}.get(status, "allowed")


def fill(value, side: Side):
    if isinstance(value, str):
        names = {
            "product": side.product.pk,
            "asset": side.assets[0].pk,
            "sha256": side.package.sha256,
            "new_patent": make_patent_number(777_777, year=2020),
            "loan": side.loan.pk,
            "subsidy_policy": side.subsidy_policy.pk,
            "pool": side.pool.pk,
            "ready_application": side.ready_application.pk,
            "defaulted_loan": side.defaulted_loan.pk,
            "coverable_application": side.coverable_application.pk,
            "insurance_product": side.insurance_product.pk,
            "case_asset": side.case_asset.pk,
            "city_org": side.city_org.pk,
            "bank": side.product.bank_id,
            "enterprise": side.application.enterprise_id,
            "in_90_days": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
            "in_400_days": (timezone.localdate() + dt.timedelta(days=400)).isoformat(),
        }
        return names[value[1:-1]] if value.startswith("{") and value.endswith("}") else value
    if isinstance(value, list):
        return [fill(v, side) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, side) for k, v in value.items()}
    return value


def call(client, method, path, rule, side: Side):
    body = fill(rule["body"], side) or {}
    if rule["multipart"]:
        body = {**(fill(rule["body"], side) or {"kind": "other"}), "file": SimpleUploadedFile("x.pdf", PDF)}
    query = rule["query"].format(asset=side.assets[0].pk)
    url = path + (f"?{query}" if query else "")
    kwargs = {"format": "multipart" if rule["multipart"] else "json"}
    # Each call is undone so that the next caller meets the same world.
    with transaction.atomic():
        response = getattr(client, method.lower())(url, body, **kwargs) if method != "GET" else client.get(url)
        transaction.set_rollback(True)
    return response


def body_text(response) -> str:
    if hasattr(response, "streaming_content") or not response.get("Content-Type", "").startswith("application/"):
        return ""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return ""


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
def test_the_policy_holds_for_every_role_on_own_and_foreign_objects(world, method, path):
    own, foreign, users, extra_notices = world
    rule = POLICY[(method, path)]
    targets = [("own", own), ("foreign", foreign)] if rule["resource"] else [(None, own)]
    mismatches = []
    for whose, side in targets:
        for caller in ROLES:
            url = path
            if rule["resource"]:
                if rule["resource"] == "notification" and whose == "foreign":
                    obj = foreign.notifications["sme"]  # someone else's notice
                else:
                    obj = side.object(rule["resource"], caller, extra_notices)
                url = (
                    path.replace("{pk}", str(obj.pk))
                    .replace("{document_id}", str(side.document.pk))
                    .replace("{co_owner_id}", str(side.co_owner.pk))
                    .replace("{repayment_id}", str(side.repayment.pk))
                )
            client = APIClient()
            client.force_authenticate(users[caller])
            response = call(client, method, url, rule, side)
            got, want = outcome(response.status_code), expected(rule, caller, whose)
            if got != want:
                mismatches.append(f"{caller} on {whose or 'collection'}: {response.status_code} ({want} expected)")
            text = body_text(response)
            leaked = [m for m in foreign.markers if m in text]
            if caller != "platform" and caller not in rule["sees_all"] and leaked:
                mismatches.append(f"{caller} on {whose or 'collection'}: foreign {leaked} in the body")
        anonymous = call(APIClient(), method, re.sub(r"\{\w+\}", "1", path), rule, side)
        if anonymous.status_code != 401:
            mismatches.append(f"anonymous: {anonymous.status_code} (401 expected)")
    assert not mismatches, "\n".join(mismatches)
