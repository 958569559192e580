"""Filing flags stored with their evidence, kept current by the refresh, and acted on: eligibility refuses a
flagged right with the reason, the pre-check names it, the score carries it as a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from tests.factories import (
    ApplicationFactory,
    CoOwnerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import FilingFlag
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.reference import IPType
from tongzhirong.facts.flagging import evidence_text, filing_flags_refresh
from tongzhirong.financing import services
from tongzhirong.financing.eligibility import assets_eligibility
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.financing.pledge import application_precheck
from tongzhirong.products.models import PledgeRateCap

pytestmark = pytest.mark.django_db

DYE = "一种纺织品染色装置"
DYE_VARIED = "一种纺织品的染色装置"


@pytest.fixture
def firm():
    return EnterpriseFactory(employees=40)


@pytest.fixture
def owner(firm):
    return UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)


@pytest.fixture
def product():
    product = LoanProductFactory(min_amount=Decimal("10000.00"))
    PledgeRateCap.objects.create(product=product, ip_type=IPType.TRADEMARK, max_pledge_rate=Decimal("0.50"))
    return product


@pytest.fixture
def refiled(firm):
    """A patent and its trivially varied re-filing, and an unrelated patent of the same firm."""
    return (
        IPAssetFactory(owner=firm, title=DYE),
        IPAssetFactory(owner=firm, title=DYE_VARIED),
        IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备"),
    )


def mark(firm, text, number):
    return IPAssetFactory(
        owner=firm,
        ip_type=IPType.TRADEMARK,
        identifier=number,
        title=text,
        filing_date=dt.date(2016, 3, 1),
        expiry_date=None,
        annual_fee_paid_through=None,
        ipc_classes=[],
        nice_classes=[24],
    )


def live(firm):
    return {(f.code, f.asset_id) for f in FilingFlag.objects.filter(enterprise=firm, cleared_at__isnull=True)}


def reasons(asset, product):
    found = assets_eligibility(assets=[asset], product=product, enterprise_id=asset.owner_id, term_months=12)
    return found[asset.pk]


def test_the_refresh_stores_each_flag_with_its_evidence(firm, refiled):
    original, copy, _other = refiled

    changes = filing_flags_refresh(enterprise_id=firm.pk)

    assert changes.raised == 2
    assert live(firm) == {("near_duplicate", original.pk), ("near_duplicate", copy.pk)}
    flag = FilingFlag.objects.get(asset=original)
    assert flag.evidence["other_identifier"] == copy.identifier
    assert flag.evidence["other_title"] == DYE_VARIED
    with translation.override("zh-hans"):
        assert copy.identifier in evidence_text(flag.code, flag.evidence)


def test_a_second_refresh_on_the_same_records_changes_nothing(firm, refiled):
    filing_flags_refresh(enterprise_id=firm.pk)

    again = filing_flags_refresh(enterprise_id=firm.pk)

    assert (again.raised, again.cleared, again.kept) == (0, 0, 2)
    assert FilingFlag.objects.count() == 2


def test_ordinary_assets_are_not_flagged(firm):
    IPAssetFactory(owner=firm, title="一种锂电池隔膜及其制备方法")
    IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备")
    mark(firm, "织锦", "30123456")

    assert filing_flags_refresh(enterprise_id=firm.pk).raised == 0


def test_a_split_across_a_related_party_is_seen_from_both_sides(firm):
    sister = EnterpriseFactory()
    mine = IPAssetFactory(owner=firm, title=DYE)
    theirs = IPAssetFactory(owner=sister, title=DYE_VARIED)
    CoOwnerFactory(asset=IPAssetFactory(owner=firm, title="一种锂电池隔膜"), uscc=sister.uscc, name=sister.legal_name)

    filing_flags_refresh(enterprise_id=firm.pk)
    filing_flags_refresh(enterprise_id=sister.pk)

    assert live(firm) == {("split_filing", mine.pk)}
    assert live(sister) == {("split_filing", theirs.pk)}
    # An unrelated firm with the same title is not a split.
    stranger = EnterpriseFactory()
    IPAssetFactory(owner=stranger, title=DYE_VARIED)
    assert filing_flags_refresh(enterprise_id=stranger.pk).raised == 0


def test_a_flagged_patent_cannot_secure_a_loan_and_the_reason_says_why(firm, owner, product, refiled):
    original, _copy, other = refiled
    assert reasons(original, product) == []
    filing_flags_refresh(enterprise_id=firm.pk)

    found = reasons(original, product)
    assert [r.code for r in found] == ["abnormal_filing"]
    with translation.override("zh-hans"):
        assert "非正常" in found[0].message
    assert reasons(other, product) == []
    with pytest.raises(ValidationFailed) as refused:
        services.application_create(
            actor=owner,
            enterprise=firm,
            product=product,
            assets=[original],
            requested_amount=Decimal("1000000"),
            requested_term_months=12,
            repayment_method="equal_instalment",
        )
    assert "abnormal patent filing" in str(refused.value.errors)


def test_a_mark_copying_a_well_known_mark_is_a_bad_faith_reason(firm, product):
    copied = mark(firm, "娃恰哈", "30123456")
    own = mark(firm, "织锦", "30123457")
    filing_flags_refresh(enterprise_id=firm.pk)

    found = reasons(copied, product)
    assert [r.code for r in found] == ["bad_faith_trademark"]
    assert found[0].params["mark"] == "娃哈哈"
    assert reasons(own, product) == []


def test_the_precheck_fails_ground_13_on_a_flagged_right(firm, refiled):
    original, _copy, other = refiled
    application = ApplicationFactory(enterprise=firm)
    ApplicationAsset.objects.create(application=application, asset=original)
    ApplicationAsset.objects.create(application=application, asset=other)
    filing_flags_refresh(enterprise_id=firm.pk)

    checks = {a["asset"]: {c["code"]: c for c in a["checks"]} for a in application_precheck(application)["assets"]}
    assert checks[original.pk]["no_filing_flag"]["result"] == "fail"
    assert "非正常申请" in checks[original.pk]["no_filing_flag"]["reason_zh"]
    assert checks[other.pk]["no_filing_flag"]["result"] == "pass"
