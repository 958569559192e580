"""Valuations store sub-scores as points per factor and flags as the names raised; every read renders
them exactly as the full form was, and rows written in full read as they were."""

import json

import pytest
from django.db import connection

from scoring.ml import rules
from scoring.ml.synthetic import generate_world
from scoring.models import AssetValuation
from scoring.services import applications_rescore, asset_valuate
from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.financing.models import ApplicationAsset

TRADEMARK = {"ip_type": "trademark", "age_years": 4.0, "renewals": 1, "nice_class_count": 3, "cluster": "other"}
PATENT = {
    "ip_type": "invention_patent",
    "legal_status": "valid",
    "cluster": "next_gen_it",
    "age_years": 11.5,
    "remaining_life_years": 8.5,
    "citations_cohort_ratio": 1.2,
    "claims_count": 12,
    "ipc_class_count": 2,
    "family_size": 4,
    "backward_citations": 9,
    "overseas_family_members": 2,
    "licence_count": 1,
    "licence_revenue": 250_000.0,
    "co_owner_consent_missing": True,
}


def test_the_full_form_of_a_patent_follows_from_its_points():
    full = rules.sub_scores(PATENT)
    assert full["legal"] == {
        "score": 82.7,  # (30 + 17.7 + 15 + 15 + 0 + 5) of 100
        "factors": [
            {"factor": "legal_status", "label_zh": "法律状态", "points": 30, "max_points": 30},
            {"factor": "remaining_life", "label_zh": "剩余保护期", "points": 17.7, "max_points": 25},
            {"factor": "no_invalidation", "label_zh": "无无效宣告", "points": 15, "max_points": 15},
            {"factor": "clear_ownership", "label_zh": "权属清晰", "points": 15, "max_points": 15},
            {"factor": "co_owner_consent", "label_zh": "共有人同意", "points": 0, "max_points": 10},
            {"factor": "fees_paid", "label_zh": "年费已缴", "points": 5, "max_points": 5},
        ],
    }
    assert [f["factor"] for f in full["technical"]["factors"]] == list(rules.technical_points(PATENT))
    assert rules.high_value_flags(PATENT) == {
        "strategic_emerging_industry": True,
        "overseas_family_member": True,
        "maintained_over_10_years": True,
        "high_pledge_amount": False,
        "national_award": False,
    }
    assert rules.raised_flags(PATENT) == [
        "strategic_emerging_industry",
        "overseas_family_member",
        "maintained_over_10_years",
    ]


def test_the_compact_forms_render_exactly_as_the_full_forms():
    assets = [*generate_world()["assets"].iloc[:3000].to_dict("records"), PATENT, TRADEMARK]
    for asset in assets:
        stored_points = json.loads(json.dumps(rules.sub_score_points(asset)))  # as a JSON column gives it back
        stored_flags = json.loads(json.dumps(rules.raised_flags(asset)))
        # json.dumps: also the order of the keys and 30 against 30.0
        assert json.dumps(rules.render_sub_scores(stored_points)) == json.dumps(rules.sub_scores(asset))
        assert json.dumps(rules.render_flags(stored_flags)) == json.dumps(rules.high_value_flags(asset))
        assert rules.compact_sub_scores(rules.sub_scores(asset)) == stored_points
        assert rules.compact_flags(rules.high_value_flags(asset)) == stored_flags


def _stored(valuation_id, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM scoring_assetvaluation WHERE id = %s", [valuation_id])  # noqa: S608
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


def _store_raw(valuation_id, column, value):
    """Write a value as a row from before the compact form holds it, past the field's compaction."""
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE scoring_assetvaluation SET {column} = {cast} WHERE id = %s",  # noqa: S608
            [json.dumps(value), valuation_id],
        )


@pytest.mark.django_db
def test_a_valuation_is_stored_compact_and_read_in_full():
    valuation = asset_valuate(asset=IPAssetFactory(overseas_family_members=1, family_size=3))
    inputs = valuation.inputs

    assert _stored(valuation.pk, "sub_scores") == rules.sub_score_points(inputs)
    assert _stored(valuation.pk, "high_value_flags") == rules.raised_flags(inputs)
    assert valuation.sub_scores == rules.sub_scores(inputs)
    assert valuation.high_value_flags == rules.high_value_flags(inputs)
    row = AssetValuation.objects.values("sub_scores", "high_value_flags").get(pk=valuation.pk)
    assert row == {"sub_scores": rules.sub_scores(inputs), "high_value_flags": rules.high_value_flags(inputs)}


@pytest.mark.django_db
def test_the_batch_path_stores_the_same_valuations_as_the_single_one():
    application = ApplicationFactory()
    asset = IPAssetFactory(owner=application.enterprise, overseas_family_members=2)
    ApplicationAsset.objects.create(application=application, asset=asset)
    applications_rescore(application_ids=[application.pk])
    batch = AssetValuation.objects.get(asset=asset)

    assert asset_valuate(asset=asset).pk == batch.pk
    assert batch.sub_scores == rules.sub_scores(batch.inputs)
    assert batch.high_value_flags == rules.high_value_flags(batch.inputs)


@pytest.mark.django_db
def test_a_row_written_in_full_reads_as_it_was():
    valuation = asset_valuate(asset=IPAssetFactory())
    full_scores, full_flags = rules.sub_scores(valuation.inputs), rules.high_value_flags(valuation.inputs)
    _store_raw(valuation.pk, "sub_scores", full_scores)
    _store_raw(valuation.pk, "high_value_flags", full_flags)

    again = AssetValuation.objects.get(pk=valuation.pk)
    assert again.sub_scores == full_scores
    assert again.high_value_flags == full_flags


@pytest.mark.django_db
def test_sub_scores_that_do_not_render_back_are_stored_as_they_are():
    valuation = asset_valuate(asset=IPAssetFactory())
    other = rules.sub_scores(valuation.inputs)
    other["legal"]["factors"][0]["label_zh"] = "另一种说法"
    AssetValuation.objects.filter(pk=valuation.pk).update(sub_scores=other)

    stored = _stored(valuation.pk, "sub_scores")
    assert stored["legal"] == other["legal"]
    assert stored["technical"] == rules.sub_score_points(valuation.inputs)["technical"]
    assert AssetValuation.objects.get(pk=valuation.pk).sub_scores == other
