"""Filing flags in the flow: a change to an asset queues the owner's refresh (and its related parties'), and the
score carries the firm's flags as reasons."""

from __future__ import annotations

import pytest
from django.utils import timezone

from scoring.services import application_score
from tests.factories import ApplicationFactory, CoOwnerFactory, EnterpriseFactory, IPAssetFactory
from tongzhirong.assets.models import FilingFlag
from tongzhirong.celery import app
from tongzhirong.facts.flagging import filing_flags_refresh
from tongzhirong.facts.tasks import refresh_all_filing_flags, refresh_filing_flags
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.lending.assets import ip_asset_update

pytestmark = pytest.mark.django_db

DYE = "一种纺织品染色装置"
DYE_VARIED = "一种纺织品的染色装置"


@pytest.fixture
def firm(enterprise):
    return enterprise


@pytest.fixture
def refiled(firm):
    return (
        IPAssetFactory(owner=firm, title=DYE),
        IPAssetFactory(owner=firm, title=DYE_VARIED),
        IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备"),
    )


def live(firm):
    return {(f.code, f.asset_id) for f in FilingFlag.objects.filter(enterprise=firm, cleared_at__isnull=True)}


def test_the_task_refreshes_the_related_parties_too(firm):
    sister = EnterpriseFactory()
    mine = IPAssetFactory(owner=firm, title=DYE)
    theirs = IPAssetFactory(owner=sister, title=DYE_VARIED)
    CoOwnerFactory(asset=IPAssetFactory(owner=firm, title="一种锂电池隔膜"), uscc=sister.uscc, name=sister.legal_name)

    refresh_filing_flags([firm.pk])

    assert live(firm) == {("split_filing", mine.pk)}
    assert live(sister) == {("split_filing", theirs.pk)}


def test_a_corrected_title_clears_the_flags_through_the_task_the_change_queues(
    firm, owner, refiled, django_capture_on_commit_callbacks
):
    _original, copy, _other = refiled
    filing_flags_refresh(enterprise_id=firm.pk)

    with django_capture_on_commit_callbacks(execute=True):  # the tasks run after commit (eager)
        ip_asset_update(actor=owner, asset=copy, title="一种涤纶长丝的加弹工艺")

    assert live(firm) == set()
    assert FilingFlag.objects.filter(cleared_at__isnull=False).count() == 2  # kept, cleared, not deleted


def test_the_score_carries_the_firms_flags_as_reasons_and_an_unflagged_score_is_unchanged(firm, refiled):
    _original, _copy, other = refiled
    application = ApplicationFactory(enterprise=firm, status="submitted")
    ApplicationAsset.objects.create(application=application, asset=other)
    clean = application_score(application=application)
    assert "filing_flags" not in clean.inputs
    for i in range(12):  # twelve applications this year from a firm of eight
        IPAssetFactory(
            owner=firm,
            title=f"第{i}种用途的装置外壳结构{i * 7919}",
            filing_date=timezone.localdate(),
            grant_date=None,
            legal_status="pending",
        )
    firm.employees = 8
    firm.save(update_fields=["employees"])
    filing_flags_refresh(enterprise_id=firm.pk)

    flagged = application_score(application=application)

    codes = {f["code"] for f in flagged.inputs["filing_flags"]}
    assert "filing_volume" in codes
    assert "near_duplicate" not in codes  # the copies are not pledged here
    features = [r["feature"] for r in flagged.reasons]
    assert "filing:filing_volume" in features
    reason = next(r for r in flagged.reasons if r["feature"] == "filing:filing_volume")
    assert reason["zh"] == "专利申请量与研发能力明显不符"


def test_every_night_every_firm_with_live_assets_is_refreshed(settings, firm, refiled):
    entry = settings.CELERY_BEAT_SCHEDULE["facts-filing-flags-nightly"]
    assert app.tasks[entry["task"]].name == refresh_all_filing_flags.name

    assert refresh_all_filing_flags() == 2
    assert refresh_all_filing_flags() == 0  # nothing new the second time
