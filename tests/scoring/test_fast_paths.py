"""The fast scoring paths give what the plain ones gave: vectorised and one-row ``explain``, compact stored
reasons rendered on read, the batch path's plain-row features, and bounded query counts."""

import json
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest
from django.db import connection

from scoring import registry
from scoring.features import (
    application_features,
    application_features_from_values,
    asset_features,
    asset_features_from_values,
)
from scoring.ml.metrics import band_of
from scoring.ml.risk import render_improvement, render_reason
from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.synthetic import WorldParams, generate_world
from scoring.models import ApplicationScore
from scoring.services import _pledged_columns, application_score, applications_rescore, assets_valuate
from tests.factories import ApplicationFactory, CoOwnerFactory, IPAssetFactory
from tongzhirong.financing.models import Application, ApplicationAsset

FEATURES = list(RISK_FEATURE_NAMES)


@pytest.fixture(scope="module")
def rows():
    """300 synthetic loans with some unseen categories and missing values mixed in."""
    frame = generate_world(WorldParams(n_loans=1500, seed=11, first_vintage=2026, last_vintage=2026))["loans"]
    frame = frame[FEATURES].iloc[:300].copy()
    frame.loc[frame.index[:15], "tax_credit_grade"] = "Z"
    frame.loc[frame.index[15:30], "cluster"] = None
    frame.loc[frame.index[30:45], "debt_ratio"] = np.nan
    frame.loc[frame.index[45:60], "pledge_rate"] = None
    return frame


@pytest.fixture(scope="module", params=["v3-scorecard", "v4-scorecard", "v4-gbm"])
def model(request):
    from scoring.ml.artefacts import load_artefact

    return load_artefact(registry.models_dir() / "pledge_risk" / request.param)


def _per_row_reference(model, frame, top=5, min_impact=0.0005):
    """The per-row loop ``explain`` used before it was vectorised (argsort per row, ``band_of``)."""
    base, impacts = model._pd_and_impacts(frame)
    points = model.points(base)
    results = []
    for i in range(len(frame)):
        order = [j for j in np.argsort(-impacts[i]) if impacts[i, j] > min_impact][:top]
        reasons = [render_reason(model.columns_[j], round(float(impacts[i, j]), 5)) for j in order]
        results.append(
            {
                "pd": float(base[i]),
                "points": float(points[i]),
                "band": band_of(float(base[i])),
                "reasons": reasons,
                "improvements": [
                    {"feature": r["feature"], "zh": r["hint_zh"], "en": r["hint_en"]}
                    for r in reasons
                    if r["actionable"]
                ],
            }
        )
    return results


def _dicts(frame):
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def test_vectorised_explain_equals_the_per_row_loop(model, rows):
    assert model.explain(rows) == _per_row_reference(model, rows)


def test_packed_explain_is_what_a_score_row_stores_of_the_full_one(model, rows):
    """The batch stores ``explain_packed``'s columns as they are; read back, they must be ``explain``'s rows."""
    packed, full = model.explain_packed(rows), _per_row_reference(model, rows)
    assert [[r["feature"], r["pd_impact"]] for row in full for r in row["reasons"]] == [
        reason for reasons in packed["reasons"] for reason in reasons
    ]
    assert packed["improvements"] == [[i["feature"] for i in row["improvements"]] for row in full]
    assert (packed["pd"], packed["points"], packed["band"]) == tuple(
        [row[key] for row in full] for key in ("pd", "points", "band")
    )


def test_explaining_one_feature_dict_gives_what_the_frame_gives(model, rows):
    frame_results = model.explain(rows)
    for i, row in enumerate(_dicts(rows)):
        one = model.explain([row])[0]
        expected = frame_results[i]
        assert one["pd"] == pytest.approx(expected["pd"], abs=1e-12)
        assert (one["band"], one["points"]) == (expected["band"], expected["points"])
        assert [r["feature"] for r in one["reasons"]] == [r["feature"] for r in expected["reasons"]]
        assert [r["pd_impact"] for r in one["reasons"]] == pytest.approx(
            [r["pd_impact"] for r in expected["reasons"]], abs=1e-5
        )
        assert one["improvements"] == expected["improvements"]


def test_a_string_in_a_numeric_column_takes_the_frame_path(rows):
    from scoring.ml.artefacts import load_artefact

    scorecard = load_artefact(registry.models_dir() / "pledge_risk" / "v3-scorecard")
    row = {**_dicts(rows)[0], "debt_ratio": "0.8"}
    assert scorecard._evidence_rows([row]) is None
    assert scorecard.explain([row])[0] == scorecard.explain(rows.iloc[[0]].assign(debt_ratio="0.8"))[0]


# --- stored rows -------------------------------------------------------------------------------------


def _application(assets=1, **kwargs):
    application = ApplicationFactory(**kwargs)
    for k in range(assets):
        asset = IPAssetFactory(owner=application.enterprise, forward_citations=3 + k, family_size=2)
        ApplicationAsset.objects.create(application=application, asset=asset)
    return application


def _asset_values(application_id):
    """What the batch reads of each pledged asset (``_pledged_columns``), as one mapping per asset, by id."""
    _, _, columns = _pledged_columns([application_id])
    found = {}
    for values in zip(*columns.values(), strict=True):
        row = dict(zip(columns, values, strict=True))
        del row["owner_id"]
        found[row.pop("pk")] = row
    return found


def _stored(score_id, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM scoring_applicationscore WHERE id = %s", [score_id])  # noqa: S608
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.django_db
def test_reasons_are_stored_compact_and_read_back_with_their_text():
    application = _application()
    application.enterprise.existing_debt = application.enterprise.annual_revenue * 3
    application.enterprise.save()
    score = application_score(application=application)
    _, model = registry.get_model("pledge_risk")
    explained = model.explain([score.inputs])[0]

    assert score.reasons == explained["reasons"]  # the returned row, before any read
    assert ApplicationScore.objects.get(pk=score.pk).reasons == explained["reasons"]
    assert ApplicationScore.objects.get(pk=score.pk).improvements == explained["improvements"]
    assert _stored(score.pk, "reasons") == [[r["feature"], r["pd_impact"]] for r in score.reasons]
    assert _stored(score.pk, "improvements") == [i["feature"] for i in score.improvements]
    assert score.reasons[0]["zh"]
    assert score.reasons[0]["en"]


@pytest.mark.django_db
def test_reasons_stored_keyed_before_packing_read_as_before():
    score = application_score(application=_application())
    keyed = [{"feature": "debt_ratio", "pd_impact": 0.01}, {"feature": "firm_age_years", "pd_impact": 0.002}]
    with connection.cursor() as cursor:  # as migration 0002's rows are: keyed items, not packed
        cursor.execute(
            "UPDATE scoring_applicationscore SET reasons = %s, improvements = %s WHERE id = %s",
            [json.dumps(keyed), json.dumps([{"feature": "debt_ratio"}]), score.pk],
        )
    row = ApplicationScore.objects.get(pk=score.pk)
    assert row.reasons == [render_reason("debt_ratio", 0.01), render_reason("firm_age_years", 0.002)]
    assert row.improvements == [render_improvement("debt_ratio")]
    row.save()  # written again, they are packed
    assert _stored(score.pk, "reasons") == [["debt_ratio", 0.01], ["firm_age_years", 0.002]]
    assert _stored(score.pk, "improvements") == ["debt_ratio"]


@pytest.mark.django_db
def test_a_reason_with_other_text_is_stored_as_it_is():
    score = application_score(application=_application())
    custom = {**render_reason("debt_ratio", 0.01), "zh": "另一种说法"}
    ApplicationScore.objects.filter(pk=score.pk).update(
        reasons=[custom], improvements=[render_improvement("debt_ratio")]
    )
    assert _stored(score.pk, "reasons") == [custom]
    assert ApplicationScore.objects.get(pk=score.pk).reasons == [custom]
    assert ApplicationScore.objects.get(pk=score.pk).improvements == [render_improvement("debt_ratio")]


@pytest.mark.django_db
def test_batch_and_single_paths_store_the_same_score():
    applications = [_application(assets=1 + k % 3) for k in range(4)]
    CoOwnerFactory(asset=applications[1].assets.first(), consent_given=False)
    applications_rescore(application_ids=[a.pk for a in applications])
    batch = {s.application_id: s for s in ApplicationScore.objects.all()}
    ApplicationScore.objects.all().delete()
    for application in applications:
        single = application_score(application=application)
        stored = batch[application.pk]
        assert (single.input_hash, single.inputs, single.pd, single.points, single.band) == (
            stored.input_hash,
            stored.inputs,
            stored.pd,
            stored.points,
            stored.band,
        )
        assert ApplicationScore.objects.get(pk=single.pk).reasons == stored.reasons
        assert ApplicationScore.objects.get(pk=single.pk).improvements == stored.improvements
    assert batch[applications[1].pk].inputs["collateral_count"] == 2


@pytest.mark.django_db
def test_plain_row_asset_features_equal_the_instance_ones():
    application = _application(assets=2)
    asset = application.assets.first()
    CoOwnerFactory(asset=asset, consent_given=False)
    CoOwnerFactory(asset=asset, consent_given=True)
    for pk, values in _asset_values(application.pk).items():
        instance = type(asset).objects.get(pk=pk)
        assert asset_features_from_values(values, as_of=asset.filing_date.replace(year=2026)) == asset_features(
            instance, as_of=asset.filing_date.replace(year=2026)
        )
    assert asset_features(asset)["co_owner_consent_missing"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"ipc_classes": [], "licence_revenue": "0.10"},
        {"ipc_classes": ["g06f 16/00", "H04L 9/32"], "licence_revenue": "12345678.91"},
        {"ipc_classes": [""], "licence_revenue": "1"},
        {"ip_type": "trademark", "ipc_classes": [], "nice_classes": [9, 35, 42], "licence_revenue": "250000.05"},
    ],
)
def test_what_the_database_computes_for_a_batch_equals_the_instance_features(fields):
    """The IPC section, the list sizes and the licence revenue are read as SQL expressions for a batch
    (``asset_read_expressions``); they must give what the instance's own lists and Decimal give."""
    asset = IPAssetFactory(**fields)
    application = ApplicationFactory(enterprise=asset.owner)
    ApplicationAsset.objects.create(application=application, asset=asset)
    assets = _asset_values(application.pk)
    as_of = asset.filing_date.replace(year=2026)
    assert asset_features_from_values(assets[asset.pk], as_of=as_of) == asset_features(asset, as_of=as_of)


@pytest.mark.django_db
def test_the_batch_reads_of_firm_and_terms_give_the_instance_features():
    """The batch reads an application's firm from the firms' own table by key (not joined); what it gives the
    features must be what the instances give, the owner's cluster of an asset another firm owns included."""
    application = _application(assets=1, requested_amount=Decimal("1234567.89"))
    other = IPAssetFactory(forward_citations=2)  # owned by another firm, in another cluster
    ApplicationAsset.objects.create(application=application, asset=other)
    firm = application.enterprise
    firm.annual_revenue, firm.existing_debt = Decimal("98765432.10"), Decimal("1234.56")
    firm.save()
    applications, pledged, _ = _pledged_columns([application.pk])
    assets = _asset_values(application.pk)
    values = {key: column[0] for key, column in applications.items()}
    pk, as_of = values.pop("pk"), firm.founded_on.replace(year=2026)
    valuations = [
        SimpleNamespace(p50=Decimal("500000.00"), inputs=asset_features(a, as_of=as_of))
        for a in (type(other).objects.get(pk=a) for a in pledged[pk])
    ]
    batch = application_features_from_values(values, [(v.p50, v.inputs) for v in valuations], as_of=as_of)
    assert batch == application_features(Application.objects.get(pk=pk), valuations, as_of=as_of)
    assert assets[other.pk]["cluster"] == other.owner.cluster


@pytest.mark.django_db
def test_valuing_returns_rows_in_the_order_asked():
    assets = [IPAssetFactory(forward_citations=k) for k in range(3)]
    first = assets_valuate(assets=assets)
    again = assets_valuate(assets=list(reversed(assets)))
    assert [v.asset_id for v in first] == [a.pk for a in assets]
    assert [v.pk for v in again] == [v.pk for v in reversed(first)]


# --- query counts ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_application_score_query_count(django_assert_num_queries):
    application = _application(assets=3)
    application_score(application=application)  # registers the models and writes the valuations
    ApplicationScore.objects.all().delete()
    # both model versions, application row, pledged asset ids, their rows, their co-owners missing consent, the
    # firms' rows (each read by key), valuation lookup, the firm's facts and open disputes (provenance), its live
    # filing flags, existing score, then the insert in a savepoint
    with django_assert_num_queries(14):
        application_score(application=application)
    with django_assert_num_queries(11):  # nothing changed: the existing row is returned
        application_score(application=application)


@pytest.mark.django_db
def test_batch_rescoring_queries_do_not_grow_with_applications(django_assert_num_queries):
    small = [_application(assets=1 + k % 2).pk for k in range(2)]
    large = [_application(assets=1 + k % 3).pk for k in range(6)]
    applications_rescore(application_ids=[small[0]])  # registers the models
    ApplicationScore.objects.all().delete()
    # A batch runs in its own transaction (a savepoint here). An insert in a savepoint: one executemany on SQLite;
    # on PostgreSQL a COPY straight into the table in a savepoint of its own (the rows were just found missing).
    batch = 2
    insert = 2 + (3 if connection.vendor == "postgresql" else 1)
    # both model versions; per batch: applications, pledged asset ids, their rows, co-owners missing consent and
    # the firms (each read by key), valuation lookup, valuation insert, the firms' facts, open disputes and live
    # filing flags, the scores before (one narrow read), score insert, the new scores' ids and the score changes'
    # insert
    with django_assert_num_queries(12 + batch + 3 * insert):
        applications_rescore(application_ids=small)
    with django_assert_num_queries(12 + batch + 3 * insert):
        applications_rescore(application_ids=large)
    ApplicationScore.objects.all().delete()
    with django_assert_num_queries(12 + batch + 2 * insert):  # valuations reused: no valuation insert
        assert applications_rescore(application_ids=small + large) == 8
    with django_assert_num_queries(11 + batch):  # nothing changed: no model call, no insert
        assert applications_rescore(application_ids=small + large) == 0


@pytest.mark.django_db
def test_batch_rescoring_restores_the_cyclic_garbage_collector():
    import gc

    ids = [_application().pk]
    applications_rescore(application_ids=ids)
    assert gc.isenabled()
    gc.disable()
    try:
        ApplicationScore.objects.all().delete()
        applications_rescore(application_ids=ids)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.django_db
def test_inputs_change_once_a_month_so_a_nightly_rescore_within_the_month_writes_nothing(monkeypatch):
    """Ages are whole months: on the days between two monthly anniversaries of the filings and of the
    firm's founding nothing changes, so the second night finds every valuation and score in place."""
    import datetime as dt

    from django.utils import timezone

    from scoring.models import AssetValuation

    application = _application(assets=2)
    firm = application.enterprise
    firm.founded_on = dt.date(2019, 3, 10)
    firm.save()
    application.assets.update(filing_date=dt.date(2021, 6, 12))
    counts = []
    for night in (dt.date(2026, 11, 14), dt.date(2026, 11, 15), dt.date(2026, 12, 12)):
        monkeypatch.setattr(timezone, "localdate", lambda *a, night=night, **k: night)
        applications_rescore(application_ids=[application.pk])
        counts.append((AssetValuation.objects.count(), ApplicationScore.objects.count()))
    assert counts[0] == counts[1] == (2, 1)  # 14 and 15 November: the same month of age (days would differ)
    assert counts[2] == (4, 2)  # 12 December: the filings' anniversary, a month older


# --- features by column ------------------------------------------------------------------------------


def _asset_reference(asset, as_of):
    """The per-asset features as they were built one asset at a time before the batch built them by column."""
    from scoring.features import DEFAULT_LIFE_YEARS, _years
    from scoring.ml.synthetic import expected_citations
    from tongzhirong.assets.models import LegalStatus, statutory_expiry
    from tongzhirong.core.reference import PATENT_TYPES

    ip_type, filing_date = asset["ip_type"], asset["filing_date"]
    patent = ip_type in PATENT_TYPES
    age = max(_years(filing_date, as_of) or 0.0, 0.0)
    expiry = asset["expiry_date"] or statutory_expiry(ip_type, filing_date)
    life = _years(as_of, expiry) if expiry else DEFAULT_LIFE_YEARS
    section = (asset["ipc_section"] or "") if patent else ""
    forward, paid_through = asset["forward_citations"], asset["annual_fee_paid_through"]
    return {
        **{k: asset[k] for k in ("ip_type", "cluster", "legal_status", "claims_count", "forward_citations")},
        **{k: asset[k] for k in ("backward_citations", "family_size", "overseas_family_members", "ipc_class_count")},
        **{k: asset[k] for k in ("licence_count", "licence_revenue", "award", "nice_class_count", "renewals")},
        **{k: asset[k] for k in ("use_revenue", "invalidation_pending", "ownership_dispute", "court_preservation")},
        "age_years": age,
        "remaining_life_years": life,
        "citations_cohort_ratio": round(forward / max(expected_citations(section, age), 0.5), 4) if section else 0.0,
        "has_award": int(bool(asset["award"])),
        "well_known": int(bool(asset["well_known"])),
        "co_owner_consent_missing": bool(asset["co_owner_consent_missing"]),
        "annual_fee_overdue": bool(
            patent and asset["legal_status"] == LegalStatus.VALID and paid_through and paid_through < as_of
        ),
    }


def _application_reference(application, collateral, as_of):
    """The risk features as they were built one application at a time (see ``_asset_reference``)."""
    from scoring.features import _years

    revenue = application["annual_revenue"]
    value = sum((p50 for p50, _ in collateral), Decimal("0"))
    assets = [inputs for _, inputs in collateral]
    insured = bool(
        application["insurance_product_id"]
        or application["guarantee_product_id"]
        or application["requires_insurance"]
        or application["requires_guarantee"]
    )
    row = {
        "firm_age_years": _years(application["founded_on"], as_of),
        "annual_revenue": revenue,
        "debt_ratio": round(application["existing_debt"] / revenue, 4) if revenue > 0 else None,
        "overdue_events_24m": application["overdue_events_24m"],
        "max_days_past_due_24m": application["max_days_past_due_24m"],
        "has_court_enforcement": int(application["has_court_enforcement"]),
        "tax_credit_grade": application["tax_credit_grade"],
        "is_high_tech": int(application["is_high_tech"]),
        "is_specialised": int(application["is_specialised"]),
        "cluster": application["cluster"],
        "pledge_rate": round(float(application["requested_amount"] / value), 4) if value > 0 else None,
        "term_months": application["term_months"],
        "insured_or_guaranteed": int(insured),
        "collateral_min_life_years": min((a["remaining_life_years"] for a in assets), default=None),
        "invention_share": round(sum(a["ip_type"] == "invention_patent" for a in assets) / len(assets), 4)
        if assets
        else None,
        "collateral_count": len(assets),
    }
    return {name: row[name] for name in RISK_FEATURE_NAMES}


def _random_assets(rng, n):
    import datetime as dt

    types = ["invention_patent", "utility_model", "design_patent", "trademark", "copyright", "software_copyright"]
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 9800, n)]
    days[:3] = [dt.date(2016, 2, 29), dt.date(2021, 5, 31), dt.date(2021, 6, 1)]  # leap day, design term change
    return [
        {
            "ip_type": types[k % len(types)],
            "filing_date": day,
            "expiry_date": None if rng.random() < 0.7 else day + dt.timedelta(days=int(rng.integers(-400, 9000))),
            "legal_status": ["valid", "valid", "pending", "lapsed", "expired"][int(rng.integers(5))],
            "annual_fee_paid_through": None if rng.random() < 0.3 else dt.date(2026, int(rng.integers(1, 13)), 1),
            "invalidation_pending": bool(rng.random() < 0.1),
            "ownership_dispute": bool(rng.random() < 0.1),
            "court_preservation": bool(rng.random() < 0.1),
            "licence_count": int(rng.integers(0, 4)),
            "claims_count": int(rng.integers(0, 30)),
            "forward_citations": int(rng.integers(0, 40)),
            "backward_citations": int(rng.integers(0, 20)),
            "family_size": int(rng.integers(1, 8)),
            "overseas_family_members": int(rng.integers(0, 3)),
            "award": ["", "", "china_patent_gold", None][int(rng.integers(4))],
            "renewals": int(rng.integers(0, 3)),
            "well_known": bool(rng.random() < 0.1),
            "ipc_section": [None, "", "G", "H", "A", "C", "Z"][int(rng.integers(7))],
            "ipc_class_count": int(rng.integers(0, 5)),
            "nice_class_count": int(rng.integers(0, 5)),
            "licence_revenue": round(float(rng.random() * 1e6), 2),
            "use_revenue": round(float(rng.random() * 1e7), 2),
            "cluster": ["shipbuilding", "textiles", None][int(rng.integers(3))],
            "co_owner_consent_missing": bool(rng.random() < 0.1),
        }
        for k, day in enumerate(days)
    ]


def _by_column(rows):
    return {key: [row[key] for row in rows] for key in rows[0]}


def test_features_built_by_column_equal_those_built_one_row_at_a_time():
    """The batch builds asset and application features column by column (``asset_feature_rows``,
    ``application_feature_rows``); each row must be what the per-row code gave, to the type (the input hash
    reads the JSON)."""
    import datetime as dt

    from scoring.features import application_feature_rows, asset_feature_rows, input_hash

    rng = np.random.default_rng(5)
    as_of = dt.date(2026, 12, 7)
    assets = _random_assets(rng, 600)
    built = asset_feature_rows(_by_column(assets), as_of=as_of)
    expected = [_asset_reference(a, as_of) for a in assets]
    assert built == expected
    assert [input_hash(b) for b in built] == [input_hash(e) for e in expected]
    collateral = [
        [(Decimal(str(round(float(rng.random() * 3e6), 2))), expected[int(j)]) for j in rng.integers(0, 600, k % 4)]
        for k in range(400)
    ]
    applications = [
        {
            "requested_amount": Decimal(str(round(float(rng.random() * 5e6), 2))),
            "term_months": int(rng.integers(6, 37)),
            "insurance_product_id": [None, 3][int(rng.integers(2))],
            "guarantee_product_id": [None, 4][int(rng.integers(2))],
            "requires_insurance": bool(rng.random() < 0.2),
            "requires_guarantee": bool(rng.random() < 0.2),
            "founded_on": None if k == 0 else dt.date(1995, 2, 28) + dt.timedelta(days=int(rng.integers(0, 11000))),
            "overdue_events_24m": int(rng.integers(0, 3)),
            "max_days_past_due_24m": int(rng.integers(0, 90)),
            "has_court_enforcement": bool(rng.random() < 0.05),
            "tax_credit_grade": ["A", "B", "M", ""][int(rng.integers(4))],
            "is_high_tech": bool(rng.random() < 0.4),
            "is_specialised": bool(rng.random() < 0.2),
            "cluster": ["textiles", None][int(rng.integers(2))],
            "annual_revenue": [0.0, 25e6, float(rng.random() * 1e8)][int(rng.integers(3))],
            "existing_debt": float(rng.random() * 1e7),
        }
        for k in range(400)
    ]
    built = application_feature_rows(_by_column(applications), collateral, as_of=as_of)
    expected = [_application_reference(a, c, as_of) for a, c in zip(applications, collateral, strict=True)]
    assert built == expected
    assert [input_hash(b) for b in built] == [input_hash(e) for e in expected]
