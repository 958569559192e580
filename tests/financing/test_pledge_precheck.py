import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import ApplicationFactory, CoOwnerFactory, IPAssetFactory
from tongzhirong.assets.models import LegalStatus
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.financing.pledge import application_precheck

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def precheck(application_kwargs=None, **asset_kwargs):
    terms = {"approved_amount": Decimal("2000000.00"), "approved_term_months": 12, **(application_kwargs or {})}
    application = ApplicationFactory(**terms)
    asset = IPAssetFactory(
        owner=application.enterprise, **{"annual_fee_paid_through": dt.date(2027, 5, 10), **asset_kwargs}
    )
    ApplicationAsset.objects.create(application=application, asset=asset)
    result = application_precheck(application, today=TODAY)
    return result, {c["code"]: c["result"] for c in result["assets"][0]["checks"]}


def test_a_clean_granted_patent_passes_every_ground():
    result, checks = precheck()
    assert result["result"] == "pass"
    assert len(checks) == 12


@pytest.mark.parametrize(
    ("asset_kwargs", "code"),
    [
        ({"legal_status": LegalStatus.INVALIDATED}, "in_force"),
        ({"legal_status": LegalStatus.PENDING, "grant_date": None}, "granted"),
        ({"annual_fee_paid_through": dt.date(2026, 5, 1)}, "annual_fee_paid"),
        ({"court_preservation": True}, "no_dispute_or_preservation"),
        ({"expiry_date": dt.date(2027, 3, 1), "filing_date": dt.date(2019, 5, 10)}, "debt_within_term"),
    ],
)
def test_each_refusal_ground_fails_with_its_code(asset_kwargs, code):
    result, checks = precheck(**asset_kwargs)
    assert checks[code] == "fail"
    assert result["result"] == "fail"


def test_a_co_owner_without_consent_fails():
    application = ApplicationFactory(approved_amount=Decimal("2000000.00"), approved_term_months=12)
    asset = IPAssetFactory(owner=application.enterprise)
    CoOwnerFactory(asset=asset, consent_given=False)
    ApplicationAsset.objects.create(application=application, asset=asset)
    checks = {c["code"]: c["result"] for c in application_precheck(application, today=TODAY)["assets"][0]["checks"]}
    assert checks["co_owners_consent"] == "fail"


def test_an_asset_pledged_under_another_application_fails():
    first = ApplicationFactory(status=ApplicationStatus.REGISTERED)
    asset = IPAssetFactory(owner=first.enterprise)
    ApplicationAsset.objects.create(application=first, asset=asset)
    second = ApplicationFactory(
        enterprise=first.enterprise, approved_amount=Decimal("1000000"), approved_term_months=12
    )
    ApplicationAsset.objects.create(application=second, asset=asset)
    checks = {c["code"]: c["result"] for c in application_precheck(second, today=TODAY)["assets"][0]["checks"]}
    assert checks["not_already_pledged"] == "fail"


def test_pending_invalidation_needs_the_parties_confirmation():
    result, checks = precheck(invalidation_pending=True)
    assert checks["no_invalidation_pending"] == "needs_confirmation"
    assert result["result"] == "needs_confirmation"


def test_a_contract_without_approved_terms_is_incomplete():
    _, checks = precheck(application_kwargs={"approved_amount": None})
    assert checks["contract_complete"] == "fail"
