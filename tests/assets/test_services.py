"""Registering an IP right: identifiers and dates must agree, and a right lives on the platform once."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    SuperuserFactory,
    UserFactory,
    make_patent_number,
)
from tongzhirong.assets.models import IPAsset, LegalStatus
from tongzhirong.assets.services import co_owner_record_consent, ip_asset_archive, ip_asset_register
from tongzhirong.core.errors import DuplicateObject, PermissionDenied, ValidationFailed
from tongzhirong.core.reference import IPType

pytestmark = pytest.mark.django_db

UTILITY_MODEL_NUMBER = make_patent_number(601862, year=2017, type_digit="2")


@pytest.fixture
def owner():
    return EnterpriseFactory()


@pytest.fixture
def owner_user(owner):
    return UserFactory(organisation=owner.organisation)


def invention(**overrides):
    fields = {
        "ip_type": IPType.INVENTION_PATENT,
        "identifier": "201710601862.3",
        "title": "一种高强度化学纤维的制备方法",
        "filing_date": dt.date(2017, 7, 27),
        "grant_date": dt.date(2019, 11, 5),
        "expiry_date": dt.date(2037, 7, 27),
        "legal_status": LegalStatus.VALID,
    }
    return {**fields, **overrides}


def trademark(**overrides):
    fields = {
        "ip_type": IPType.TRADEMARK,
        "identifier": "12345678",
        "title": "通纺",
        "filing_date": dt.date(2015, 3, 2),
        "grant_date": dt.date(2016, 6, 7),
        "nice_classes": [24, 25],
    }
    return {**fields, **overrides}


def refusal(actor, owner, **fields):
    with pytest.raises(ValidationFailed) as refused:
        ip_asset_register(actor=actor, owner=owner, **fields)
    assert not IPAsset.objects.exists()
    return refused.value.errors


def test_the_owner_registers_a_granted_invention_patent(owner, owner_user):
    asset = ip_asset_register(actor=owner_user, owner=owner, **invention())

    assert IPAsset.objects.get() == asset
    assert (asset.owner, asset.identifier) == (owner, "201710601862.3")


def test_a_patent_number_is_stored_in_its_canonical_form(owner, owner_user):
    asset = ip_asset_register(actor=owner_user, owner=owner, **invention(identifier="zl 201710601862.3"))

    assert asset.identifier == "201710601862.3"


def test_a_grant_before_the_filing_date_is_refused(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(grant_date=dt.date(2017, 7, 26)))

    assert errors["grant_date"] == ["The grant date cannot be before the filing date."]


def test_an_expiry_past_the_statutory_term_is_refused(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(expiry_date=dt.date(2037, 7, 28)))

    assert errors["expiry_date"] == ["The expiry date is past the statutory term of this patent type."]


def test_a_utility_model_runs_ten_years(owner, owner_user):
    errors = refusal(
        owner_user,
        owner,
        **invention(ip_type=IPType.UTILITY_MODEL, identifier=UTILITY_MODEL_NUMBER, expiry_date=dt.date(2027, 7, 28)),
    )

    assert "expiry_date" in errors


@pytest.mark.parametrize(
    ("filed", "expiry", "accepted"),
    [
        (dt.date(2021, 5, 31), dt.date(2031, 5, 31), True),
        (dt.date(2021, 5, 31), dt.date(2031, 6, 1), False),
        (dt.date(2021, 6, 1), dt.date(2036, 6, 1), True),
        (dt.date(2021, 6, 1), dt.date(2036, 6, 2), False),
    ],
    ids=["before-june-2021-10y", "before-june-2021-over", "from-june-2021-15y", "from-june-2021-over"],
)
def test_a_design_patent_runs_15_years_if_filed_from_june_2021_else_10(owner, owner_user, filed, expiry, accepted):
    fields = invention(
        ip_type=IPType.DESIGN_PATENT,
        identifier=make_patent_number(123456, year=filed.year, type_digit="3"),
        filing_date=filed,
        grant_date=filed + dt.timedelta(days=120),
        expiry_date=expiry,
    )

    if accepted:
        assert ip_asset_register(actor=owner_user, owner=owner, **fields).expiry_date == expiry
    else:
        assert "expiry_date" in refusal(owner_user, owner, **fields)


def test_an_expiry_before_the_grant_is_refused(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(expiry_date=dt.date(2019, 1, 1)))

    assert errors["expiry_date"] == ["The expiry date must be after the grant date."]


def test_a_filing_date_in_the_future_is_refused(owner, owner_user):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    errors = refusal(
        owner_user, owner, **invention(filing_date=tomorrow, grant_date=None, expiry_date=None, legal_status="pending")
    )

    assert errors["filing_date"] == ["The filing date cannot be in the future."]


def test_a_utility_model_number_cannot_be_registered_as_an_invention(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(identifier=UTILITY_MODEL_NUMBER))

    assert errors["identifier"] == [f"The number {UTILITY_MODEL_NUMBER} is a utility model number."]


def test_a_patent_number_with_a_wrong_check_character_is_refused(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(identifier="201710601862.4"))

    assert errors["identifier"] == ["Patent check character should be 3, not 4."]


def test_a_valid_patent_has_a_grant_date(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(grant_date=None))

    assert "grant_date" in errors


def test_a_pending_patent_needs_no_grant_date(owner, owner_user):
    asset = ip_asset_register(
        actor=owner_user, owner=owner, **invention(grant_date=None, expiry_date=None, legal_status=LegalStatus.PENDING)
    )

    assert asset.grant_date is None


def test_a_trademark_is_registered_with_its_nice_classes(owner, owner_user):
    asset = ip_asset_register(actor=owner_user, owner=owner, **trademark())

    assert asset.nice_classes == [24, 25]


@pytest.mark.parametrize("classes", [[], [0], [46], ["25"]], ids=["none", "zero", "46", "text"])
def test_a_trademark_needs_nice_classes_from_1_to_45(owner, owner_user, classes):
    errors = refusal(owner_user, owner, **trademark(nice_classes=classes))

    assert errors["nice_classes"] == ["A trademark has one or more Nice classes, each from 1 to 45."]


def test_a_boolean_is_not_a_nice_class(owner, owner_user):
    errors = refusal(owner_user, owner, **trademark(nice_classes=[True]))

    assert "nice_classes" in errors


def test_a_second_live_record_of_the_same_right_is_a_duplicate(owner, owner_user):
    IPAssetFactory(identifier="201710601862.3")

    with pytest.raises(DuplicateObject) as refused:
        ip_asset_register(actor=owner_user, owner=owner, **invention())

    assert refused.value.code == "duplicate"
    assert IPAsset.objects.count() == 1


def test_the_same_right_written_differently_is_still_a_duplicate(owner, owner_user):
    IPAssetFactory(identifier="201710601862.3")

    with pytest.raises(DuplicateObject):
        ip_asset_register(actor=owner_user, owner=owner, **invention(identifier="ZL2017106018623"))


def test_a_trademark_typed_with_full_width_digits_is_still_a_duplicate(owner, owner_user):
    ip_asset_register(actor=owner_user, owner=owner, **trademark())

    with pytest.raises(DuplicateObject):
        ip_asset_register(actor=owner_user, owner=owner, **trademark(identifier="１２３４５６７８"))


def test_an_archived_right_may_be_registered_again(owner, owner_user):
    first = ip_asset_register(actor=owner_user, owner=owner, **invention())
    ip_asset_archive(actor=owner_user, asset=first)

    second = ip_asset_register(actor=owner_user, owner=owner, **invention())

    assert second.pk != first.pk
    assert IPAsset.objects.filter(archived_at__isnull=True).get() == second


def test_another_enterprise_cannot_register_for_the_owner(owner):
    with pytest.raises(PermissionDenied):
        ip_asset_register(actor=UserFactory(), owner=owner, **invention())

    assert not IPAsset.objects.exists()


def test_a_bank_cannot_register_an_enterprises_right(owner):
    with pytest.raises(PermissionDenied):
        ip_asset_register(actor=BankOfficerFactory(), owner=owner, **invention())


def test_a_superuser_may_register_on_an_enterprises_behalf(owner):
    assert ip_asset_register(actor=SuperuserFactory(), owner=owner, **invention()).owner == owner


def test_unknown_fields_are_refused(owner, owner_user):
    errors = refusal(owner_user, owner, **invention(archived_at=timezone.now()))

    assert errors == {"archived_at": ["Unknown field."]}


def test_co_owners_are_registered_with_the_right(owner, owner_user):
    asset = ip_asset_register(
        actor=owner_user, owner=owner, co_owners=[{"name": "南通大学", "consent_given": True}], **invention()
    )

    co_owner = asset.co_owners.get()
    assert co_owner.name == "南通大学"
    assert co_owner.consent_recorded_at is not None


def test_an_invalid_co_owner_leaves_nothing_behind(owner, owner_user):
    with pytest.raises(ValidationFailed):
        ip_asset_register(
            actor=owner_user, owner=owner, co_owners=[{"name": "南通大学", "uscc": "914403001922038217"}], **invention()
        )

    assert not IPAsset.objects.exists()


def test_recording_a_co_owners_consent_stamps_the_time(owner, owner_user):
    asset = ip_asset_register(actor=owner_user, owner=owner, co_owners=[{"name": "南通大学"}], **invention())

    co_owner = co_owner_record_consent(actor=owner_user, co_owner=asset.co_owners.get(), consent_given=True)

    assert co_owner.consent_given
    assert co_owner.consent_recorded_at is not None
