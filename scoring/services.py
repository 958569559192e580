"""Valuation and scoring services: features → model → a row that records version, inputs and outputs.

Rows are idempotent per (subject, model version, input hash): asking again with nothing changed returns
the existing row instead of writing a second one.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import operator
from collections.abc import Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, FloatField
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.ml import rules
from scoring.ml.risk import render_reason
from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.train import paired_comparison, synthetic_holdout
from scoring.ml.value import InvalidAssetData, validate_assets
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES
from tongzhirong.assets.models import CoOwner, FilingFlag, IPAsset
from tongzhirong.core.bulk import insert_new_rows, reserved_ids
from tongzhirong.core.errors import Conflict, ValidationFailed
from tongzhirong.core.lookups import In
from tongzhirong.core.money import to_yuan
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.selectors import current_facts
from tongzhirong.facts.sources.refresh import facts_refresh_stale
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
from tongzhirong.notifications.tasks import notify_platform_admins
from tongzhirong.outbox.services import task_enqueue

from . import registry
from .features import (
    APPLICATION_COLUMNS,
    APPLICATION_READ_EXPRESSIONS,
    ASSET_COLUMNS,
    application_feature_rows,
    asset_feature_rows,
    asset_features,
    asset_read_expressions,
    conflict_reasons,
    filing_reasons,
    input_hash,
    input_provenance,
    inputs_hashed,
    score_diff,
)
from .lookups import FloatCast
from .models import ApplicationScore, AssetValuation, DriftReport, ModelRole, ModelVersion, ScoreChange, ScoreTrigger
from .selectors import collateral_items, pledged_assets

logger = logging.getLogger(__name__)

VALUE_MODEL = "ip_value"
RISK_MODEL = "pledge_risk"


class ScoringUnavailable(Conflict):
    code = "scoring_unavailable"
    status = 503
    title = "The scoring model is not available."


def champion_model(name: str, role: str = ModelRole.CHAMPION):
    """The registered model of ``name`` in ``role`` (the champion unless asked), or a 503 problem."""
    return champion_models((name, role))[0]


def champion_models(*wanted: tuple[str, str], bank_champions: dict | None = None) -> list[tuple[ModelVersion, Any]]:
    """(version, model) of each (name, role), the versions read in one query; or a 503 problem. A
    ``bank_champions`` dict receives the banks' own champions (bank id → version) from the same query."""
    try:
        return [
            (version, registry.load(version))
            for version in registry.get_versions(*wanted, bank_champions=bank_champions)
        ]
    except registry.ModelUnavailable as exc:
        raise ScoringUnavailable(str(exc)) from exc


def _loaded(version: ModelVersion) -> tuple[ModelVersion, Any]:
    try:
        return version, registry.load(version)
    except registry.ModelUnavailable as exc:
        raise ScoringUnavailable(str(exc)) from exc


def _create_or_get(model, lookup: dict, values: dict):
    """Create the row the caller found missing; if a concurrent request wrote it first, return that."""
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **values)
    except IntegrityError:  # a concurrent request wrote the same row first
        return model.objects.get(**lookup)


def asset_valuate(*, asset: IPAsset, as_of: dt.date | None = None) -> AssetValuation:
    """Value one asset with the champion value model (a range, a realisable value, flags, sub-scores)."""
    return assets_valuate(assets=[asset], as_of=as_of)[0]


def assets_valuate(*, assets: list[IPAsset], as_of: dt.date | None = None) -> list[AssetValuation]:
    """Value many assets with one model call; assets already valued on the same inputs are reused."""
    version, model = champion_model(VALUE_MODEL)
    as_of = as_of or timezone.localdate()
    inputs = {a.pk: asset_features(a, as_of=as_of) for a in assets}
    digests = {pk: input_hash(i) for pk, i in inputs.items()}
    matched = _current_valuations(version, digests)
    missing = [pk for pk in inputs if pk not in matched]
    if missing:
        _valuations_write(version, model, [(pk, inputs[pk], digests[pk]) for pk in missing])
        matched = _current_valuations(version, digests)
    found = {v.asset_id: v for v in AssetValuation.objects.filter(pk__in=[pk for pk, _ in matched.values()])}
    for valuation in found.values():
        valuation.model_version = version  # the caller shows it; spare a query per row
    return [found[a.pk] for a in assets]


def application_collateral_valuate(*, application: Application) -> list[dict]:
    """The application's collateral (``selectors.application_collateral``) on valuations of the assets' current
    inputs, valuing those not yet valued on them: what an approval is held to."""
    assets = pledged_assets(application)
    valuations = assets_valuate(assets=assets) if assets else []
    return collateral_items(application, assets, {v.asset_id: v for v in valuations})


VALUATION_KEYS = AssetValuation.objects.order_by().values_list("asset_id", "input_hash", "pk", "p50")


def _current_valuations(version: ModelVersion, digests: dict[int, str]) -> dict[int, tuple[int, Decimal]]:
    """(pk, P50) of the valuation of each asset on its current inputs, by asset id.

    One covering read of the assets' valuations by this version, matched to the hashes here. It reads
    each asset's earlier valuations too (one per month its inputs changed): filtering on the hashes as
    well makes SQLite probe the unique index once per (asset, hash) pair, and PostgreSQL plan a
    thousands-long text array and scan the table, both slower than reading them."""
    rows = VALUATION_KEYS.filter(In(F("asset_id"), list(digests)), model_version=version)
    return {asset_id: (pk, p50) for asset_id, digest, pk, p50 in rows if digests[asset_id] == digest}


VALUATION_FIELDS = (
    "asset_id",
    "input_hash",
    "inputs",
    "p10",
    "p50",
    "p90",
    "realisable",
    "high_value_flags",
    "sub_scores",
)


def _valuations_write(version: ModelVersion, model, items: list[tuple[int, dict, str]]) -> dict[int, Decimal]:
    """Predict and store valuations of (asset id, features, input hash); the P50 of each asset. A row a
    concurrent request wrote first on the same inputs is kept (it holds the same figures)."""
    try:
        predicted = model.predict(pd.DataFrame([inputs for _, inputs, _ in items]))
    except InvalidAssetData as exc:
        raise ValidationFailed({"assets": [str(exc)]}) from exc
    rows = [
        (
            asset_id,
            digest,
            inputs,
            to_yuan(Decimal(str(p10))),
            to_yuan(Decimal(str(p50))),
            to_yuan(Decimal(str(p90))),
            to_yuan(Decimal(str(realisable))),
            # Stored compact (the fields render them in full when read), without building the full form.
            rules.raised_flags(inputs),
            rules.sub_score_points(inputs),
        )
        for (asset_id, inputs, digest), p10, p50, p90, realisable in zip(
            items,
            predicted["p10"].tolist(),
            predicted["p50"].tolist(),
            predicted["p90"].tolist(),
            predicted["realisable"].tolist(),
            strict=True,
        )
    ]
    insert_new_rows(AssetValuation, VALUATION_FIELDS, rows, constants=_batch_constants(version), expect_new=True)
    return {asset_id: p50 for asset_id, _, _, _, p50, *_ in rows}


def _valuable(items: list[tuple[int, dict, str]]) -> tuple[list[tuple[int, dict, str]], dict[int, str]]:
    """The (asset id, features, input hash) a valuation can be made of, and why each other cannot be (a right whose
    term ended while its legal status still reads valid, until the status refresh): one such asset must not fail
    the batch that reads it, every night and at every retry. Checked once for all; asset by asset only when
    some asset fails."""
    if not items:
        return items, {}
    try:
        validate_assets(pd.DataFrame([inputs for _, inputs, _ in items]))
        return items, {}
    except InvalidAssetData:
        pass
    refused = {}
    for asset_id, inputs, _digest in items:
        try:
            validate_assets(pd.DataFrame([inputs]))
        except InvalidAssetData as exc:
            refused[asset_id] = str(exc)
    return [item for item in items if item[0] not in refused], refused


def _batch_constants(version: ModelVersion) -> dict:
    return {"model_version": version.pk, "created_at": timezone.now()}


def _score_values(explained: dict[str, Any], inputs: dict) -> dict:
    return {
        "inputs": inputs,
        "pd": Decimal(str(round(explained["pd"], 6))),
        "points": Decimal(str(explained["points"])),
        "band": explained["band"],
        # The conflicts first: the bank reads them before the model's reasons.
        "reasons": [*_conflict_items(inputs), *explained["reasons"]],
        "improvements": explained["improvements"],
    }


def _conflict_items(inputs: dict) -> list[dict]:
    """The warnings the model's figures do not carry: conflicts with the sources, then filing flags."""
    packed = [*conflict_reasons(inputs.get("conflicts") or {}), *filing_reasons(inputs)]
    return [render_reason(f, impact) for f, impact in packed]


def _features(inputs: dict) -> dict:
    """What the model reads of a score's inputs (not their provenance)."""
    return {name: inputs[name] for name in RISK_FEATURE_NAMES}


_model_features = operator.itemgetter(*RISK_FEATURE_NAMES)  # ``_features``' values, in order, as a tuple


def application_rescore(*, actor, application: Application) -> ApplicationScore:
    """The reviewing bank's explicit "refresh facts and rescore": the facts past their freshness window are asked
    again, then the application is scored on the facts known now: a new score row when the inputs (values or
    provenance) or the champion changed since the last one, the same row otherwise; either way the timeline
    shows the rescore and what it changed."""
    require(
        actor,
        organisation_id=application.product.bank_id,
        roles=BANK_ROLES,
        message=_("Only the reviewing bank rescores an application."),
    )
    facts_refresh_stale(enterprise=application.enterprise)
    return application_score(application=application, trigger=ScoreTrigger.BANK, actor=actor)


def application_score(
    *, application: Application, role: str = ModelRole.CHAMPION, trigger: str | None = None, actor=None
) -> ApplicationScore:
    """Score an application: value its assets, build the risk features with their provenance, PD with reasons
    and hints. With a ``trigger`` (submission, the bank's rescore) the score change is recorded against the
    score the application had.

    The batch path's own reads (plain rows, no model instances), so both paths build the same inputs."""
    banks = {} if role == ModelRole.CHAMPION else None
    (value_version, value_model), (version, model) = champion_models(
        (VALUE_MODEL, ModelRole.CHAMPION), (RISK_MODEL, role), bank_champions=banks
    )
    if banks:  # some bank scores its own queue with its own champion: is this one of them?
        bank_id = Application.objects.filter(pk=application.pk).values_list("product__bank_id", flat=True).first()
        if bank_id in banks:
            version, model = _loaded(banks[bank_id])
    rows, refused = _feature_rows([application.pk], value_version, value_model, timezone.localdate())
    if refused:
        raise ValidationFailed({"assets": sorted(set(refused.values()))})
    if not rows:
        raise ValidationFailed({"assets": ["An application needs at least one pledged asset to be scored."]})
    inputs = rows[0][1]
    digest = input_hash(inputs)
    if trigger is None:
        return _score_row(application, version, model, inputs, digest)
    with transaction.atomic():
        previous = ApplicationScore.objects.filter(application_id=application.pk).first()
        score = _score_row(application, version, model, inputs, digest)
        ScoreChange.objects.create(
            application_id=application.pk,
            trigger=trigger,
            actor=actor,
            score=score,
            previous=previous,
            changes=score_diff(_compared(previous), _compared(score)),
        )
    return score


def _score_row(application: Application, version: ModelVersion, model, inputs: dict, digest: str) -> ApplicationScore:
    """The score of these inputs by this version: the stored one, or a new row."""
    existing = ApplicationScore.objects.filter(
        application_id=application.pk, model_version=version, input_hash=digest
    ).first()
    if existing is not None:
        return existing
    explained = model.explain([_features(inputs)])[0]  # a list of one row: the scorecard skips pandas
    return _create_or_get(
        ApplicationScore,
        {"application_id": application.pk, "model_version": version, "input_hash": digest},
        _score_values(explained, inputs),
    )


def _compared(score: ApplicationScore | None) -> dict | None:
    if score is None:
        return None
    return {
        "inputs": score.inputs,
        "band": score.band,
        "pd": score.pd,
        "points": score.points,
        "model_version": score.model_version_id,
    }


def applications_rescore(*, application_ids: list[int], batch_size: int = 5000) -> int:
    """Batch path: per batch two ``values()`` reads, a valuation and a score lookup (by subject, matched
    to the input hashes), one model call per model for what is new, and ``insert_new_rows`` (COPY on
    PostgreSQL). Scores already stored on the same inputs are neither recomputed nor offered again (on a
    night within the month, most of them). Returns the score rows written (not those a concurrent run
    wrote first)."""
    banks: dict[int, ModelVersion] = {}
    (value_version, value_model), (version, model) = champion_models(
        (VALUE_MODEL, ModelRole.CHAMPION), (RISK_MODEL, ModelRole.CHAMPION), bank_champions=banks
    )
    as_of = timezone.localdate()
    written = 0
    for start in range(0, len(application_ids), batch_size):
        ids = application_ids[start : start + batch_size]
        groups = [(version, model, ids)]
        if banks:  # a bank with its own champion scores its applications with it; the rest, the platform's
            of_bank = dict(
                Application.objects.filter(pk__in=ids, product__bank_id__in=banks).values_list("pk", "product__bank_id")
            )
            groups = [(version, model, [pk for pk in ids if pk not in of_bank])] + [
                (*_loaded(banks[bank_id]), [pk for pk in ids if of_bank.get(pk) == bank_id])
                for bank_id in sorted(set(of_bank.values()))
            ]
        for group_version, group_model, group_ids in groups:
            if group_ids:
                # One transaction a batch: its scores and their timeline entries are written together or not at
                # all (a score left without its change would never get one: the next run finds it stored).
                with _cyclic_gc_paused(), transaction.atomic():
                    written += _rescore_batch(group_ids, group_version, group_model, value_version, value_model, as_of)
    return written


@contextmanager
def _cyclic_gc_paused():
    """A batch allocates some 10⁵ dicts and rows, freed by reference counting; meanwhile Python's cyclic
    collector would run several full passes over the whole heap (Django, pandas, scikit-learn: ~10⁶
    objects) and find nothing to free. Paused for one batch, then restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rescore_batch(
    ids: list[int], version: ModelVersion, model, value_version: ModelVersion, value_model, as_of: dt.date
) -> int:
    found, refused = _feature_rows(ids, value_version, value_model, as_of)
    if refused:
        logger.warning(
            "Applications not rescored: a pledged asset cannot be valued",
            extra={"assets": refused, "applications": len(ids) - len(found)},
        )
    stored = _stored_scores([app_id for app_id, _ in found])
    rows, encoded = [], []
    hashed = inputs_hashed([inputs for _app_id, inputs in found])
    for (app_id, inputs), (raw, digest) in zip(found, hashed, strict=True):
        if (version.pk, digest) not in stored.get(app_id, {}).get("keys", ()):
            rows.append((app_id, inputs, digest))
            encoded.append(raw)
    if not rows:
        return 0
    # The frame by column, as the features were built: a frame from a dict per row infers the same columns slower.
    # The columns are taken out of the rows by one itemgetter per row (in C) rather than a lookup per value.
    columns = zip(*map(_model_features, (inputs for _, inputs, _ in rows)), strict=True)
    frame = pd.DataFrame(dict(zip(RISK_FEATURE_NAMES, map(list, columns), strict=True)))
    explained = model.explain_packed(frame)
    previous = _previous_scores(rows, stored)
    # The new rows' ids taken from the sequence beforehand (PostgreSQL), so their score changes need not read them
    # back; SQLite numbers the rows itself.
    pks = reserved_ids(ApplicationScore, len(rows))
    score_rows = _score_rows(rows, encoded, explained, pks)
    # A row a concurrent run wrote since the lookup is kept, and not counted.
    written = insert_new_rows(
        ApplicationScore,
        SCORE_FIELDS if pks is None else ("id", *SCORE_FIELDS),
        score_rows,
        constants=_batch_constants(version),
        expect_new=True,  # just looked up and found missing
    )
    # Every row went in with its reserved id, or (a concurrent run stored some first, or SQLite) they are read.
    new = _new_scores(score_rows) if pks is not None and written == len(rows) else _new_scores_read(rows, version)
    _score_changes_write(rows, version, previous, new)
    return written


def _stored_scores(application_ids: list[int]) -> dict[int, dict]:
    """Per application, the (model version, input hash) of each score it has (``keys``) and its latest score's
    ``_compared`` keys but the inputs, with its id (``latest``). One narrow read: no JSON."""
    found: dict[int, dict] = {}
    scores = (
        _of_applications(ApplicationScore.objects, application_ids)
        .order_by("application_id", "created_at", "id")
        .values_list("application_id", "pk", "model_version_id", "input_hash", "band", "pd", "points")
    )
    for app_id, pk, version_id, digest, band, pd_, points in scores:
        entry = found.setdefault(app_id, {"keys": set()})
        entry["keys"].add((version_id, digest))
        entry["latest"] = {"pk": pk, "band": band, "pd": pd_, "points": points, "model_version": version_id}
    return found


def _of_applications(scores, application_ids: list[int]):
    """``scores`` of these applications: by the array of ids, and by its bounds too. The bounds read nothing less;
    they let PostgreSQL estimate the rows where the column has no statistics (a table analysed empty: a new table's
    first night, or bench_batch's reset), which it otherwise estimates at the whole table for an array of
    thousands of ids and reads with a sequential scan of every score: 94 ms against 16 ms for 5,000 ids among
    100,000 scores, at every batch."""
    if not application_ids:
        return scores.none()
    return scores.filter(
        In(F("application_id"), application_ids),
        application_id__gte=min(application_ids),
        application_id__lte=max(application_ids),
    )


def _previous_scores(rows: list[tuple[int, dict, str]], stored: dict[int, dict]) -> dict[int, dict]:
    """The latest score (``_compared``'s keys and its id) of each application of ``rows`` that has one, by
    application id: the inputs are read only for those, one query."""
    latest = {app_id: stored[app_id]["latest"] for app_id, _, _ in rows if app_id in stored}
    if not latest:
        return {}
    by_pk = {entry["pk"]: app_id for app_id, entry in latest.items()}
    for pk, inputs in ApplicationScore.objects.filter(In(F("pk"), list(by_pk))).values_list("pk", "inputs"):
        latest[by_pk[pk]]["inputs"] = inputs
    return latest


SCORE_CHANGE_FIELDS = ("application_id", "trigger", "score_id", "previous_id", "changes")


def _new_scores(score_rows: list[tuple]) -> dict[tuple[int, str], tuple]:
    """(id, band, PD, points) of each score row written with its reserved id (``_score_rows``), by (application id,
    input hash): the values as the database stores them."""
    return {(app_id, digest): (pk, band, pd_, points) for pk, app_id, digest, _, pd_, points, band, *_ in score_rows}


def _new_scores_read(rows: list[tuple[int, dict, str]], version: ModelVersion) -> dict[tuple[int, str], tuple]:
    """``_new_scores`` read back: one narrow read of the batch's scores by this version."""
    return {
        (app_id, digest): (pk, band, pd_, points)
        for app_id, digest, pk, band, pd_, points in _of_applications(
            ApplicationScore.objects, [app_id for app_id, _, _ in rows]
        )
        .filter(model_version=version)
        .order_by()
        .values_list("application_id", "input_hash", "pk", "band", "pd", "points")
    }


def _score_changes_write(
    rows: list[tuple[int, dict, str]], version: ModelVersion, previous: dict[int, dict], new: dict[tuple, tuple]
) -> None:
    """The nightly batch's score changes: one per application whose inputs changed, against its score before and
    its new score in ``new`` (``_new_scores``); written as plain rows (``insert_new_rows``)."""
    changes = []
    for app_id, inputs, digest in rows:
        pk, band, pd_, points = new[(app_id, digest)]
        before = previous.get(app_id)
        after = {"inputs": inputs, "band": band, "pd": pd_, "points": points, "model_version": version.pk}
        changes.append(
            (app_id, ScoreTrigger.NIGHTLY.value, pk, before["pk"] if before else None, score_diff(before, after))
        )
    insert_new_rows(
        ScoreChange, SCORE_CHANGE_FIELDS, changes, constants={"created_at": timezone.now()}, expect_new=True
    )


SCORE_FIELDS = ("application_id", "input_hash", "inputs", "pd", "points", "band", "reasons", "improvements")


def _score_rows(
    rows: list[tuple[int, dict, str]], encoded: list[bytes], explained: dict[str, list], pks: list[int] | None
) -> list[tuple]:
    """``SCORE_FIELDS`` of (application id, inputs, input hash), the inputs' JSON as hashed (``inputs_hashed``: stored
    as it is, not encoded again) and ``explain_packed``'s columns, led by the row's id from ``pks`` when given. PD
    and points are the ``Decimal`` the columns store, the reasons and improvements packed, as the
    fields store them (they render the text when read): what the fields make of ``_score_values``' full items,
    without their per-item checks."""
    return [
        (
            *pk,
            app_id,
            digest,
            orjson.Fragment(raw),
            # The six and one places the columns keep (formatting rounds as ``round`` does): equal to the stored
            # values, digits and all, as the score changes take them.
            Decimal(f"{pd_:.6f}"),
            Decimal(f"{points:.1f}"),
            band,
            # The warnings first, as _score_values puts them; most rows have none. Encoded here: the packed form is
            # what the fields store, so it need not be walked by their compaction (``insert_new_rows``' Fragment).
            orjson.Fragment(
                orjson.dumps([*conflict_reasons(inputs["conflicts"]), *filing_reasons(inputs), *reasons])
                if inputs.get("conflicts") or "filing_flags" in inputs
                else orjson.dumps(reasons)
            ),
            orjson.Fragment(orjson.dumps(improvements)),
        )
        for pk, (app_id, inputs, digest), raw, pd_, points, band, reasons, improvements in zip(
            [()] * len(rows) if pks is None else [(pk,) for pk in pks],
            rows,
            encoded,
            explained["pd"],
            explained["points"],
            explained["band"],
            explained["reasons"],
            explained["improvements"],
            strict=True,
        )
    ]


def _feature_rows(
    ids: list[int], value_version: ModelVersion, value_model, as_of: dt.date
) -> tuple[list[tuple[int, dict]], dict[int, str]]:
    """(application id, risk features with their provenance and conflicts) of the applications with pledged
    assets, their assets valued (the valuations missing on current inputs are written), and why the assets that
    cannot be valued cannot (by asset id): the applications pledging one are left out, not the whole batch. The
    features are built column by column (``asset_feature_rows``, ``application_feature_rows``) from the columns the
    batch reads."""
    applications, pledged, assets = _pledged_columns(ids)
    if not assets["pk"]:
        return [], {}
    inputs = dict(zip(assets["pk"], asset_feature_rows(assets, as_of=as_of), strict=True))
    digests = {asset_id: input_hash(i) for asset_id, i in inputs.items()}
    p50 = {asset_id: value for asset_id, (_, value) in _current_valuations(value_version, digests).items()}
    missing = [(asset_id, inputs[asset_id], digests[asset_id]) for asset_id in inputs if asset_id not in p50]
    missing, refused = _valuable(missing)
    if missing:
        p50.update(_valuations_write(value_version, value_model, missing))
    chosen = [k for k, pk in enumerate(applications["pk"]) if pk in pledged and refused.keys().isdisjoint(pledged[pk])]
    if len(chosen) < len(applications["pk"]):
        applications = {key: [column[k] for k in chosen] for key, column in applications.items()}
    firms = applications["enterprise_id"]
    facts = current_facts(set(firms))
    flags = _live_filing_flags(set(firms))
    collateral = [[(p50[a], inputs[a]) for a in pledged[pk]] for pk in applications["pk"]]
    rows = []
    # Every firm with no fact on file has the same provenance (all declared, no conflict): built once. The rows
    # share it, as they share nothing else that is ever changed in place.
    unverified = input_provenance({})
    for pk, firm, row in zip(
        applications["pk"], firms, application_feature_rows(applications, collateral, as_of=as_of), strict=True
    ):
        known = facts[firm]
        row["provenance"], row["conflicts"] = input_provenance(known) if known else unverified
        # The firm's own flags and those of the assets it pledges; the key only when there are some, so the
        # inputs (and their hash) of an unflagged application stay what they were.
        if firm in flags:
            pledged_ids = set(pledged[pk])
            own = [f for f in flags[firm] if f["asset"] is None or f["asset"] in pledged_ids]
            if own:
                row["filing_flags"] = own
        rows.append((pk, row))
    return rows, refused


def _live_filing_flags(enterprise_ids: set[int]) -> dict[int, list[dict]]:
    """Per enterprise, its live filing flags as ``{"code", "asset", "flag"}`` (one query)."""
    found: dict[int, list[dict]] = {}
    rows = FilingFlag.objects.filter(In(F("enterprise_id"), list(enterprise_ids)), cleared_at__isnull=True).order_by(
        "code", "pk"
    )
    for pk, enterprise_id, asset_id, code in rows.values_list("pk", "enterprise_id", "asset_id", "code"):
        found.setdefault(enterprise_id, []).append({"code": code, "asset": asset_id, "flag": pk})
    return found


ASSET_READ = asset_read_expressions()
ASSET_KEYS = (*ASSET_COLUMNS, *ASSET_READ, "cluster", "co_owner_consent_missing")
APPLICATION_KEYS = (*APPLICATION_COLUMNS, *APPLICATION_READ_EXPRESSIONS)
# The firm's part of an application's inputs is read from the firms' own table by primary key: joined to the
# applications, PostgreSQL hashes a batch's few thousand rows and scans every firm (and, for the assets, every
# asset) once per batch, which grows with the register rather than with the batch.
FIRM_PREFIX = "enterprise__"
OWN_COLUMNS = {key: path for key, path in APPLICATION_COLUMNS.items() if not path.startswith(FIRM_PREFIX)}
FIRM_COLUMNS = {
    key: path.removeprefix(FIRM_PREFIX) for key, path in APPLICATION_COLUMNS.items() if path.startswith(FIRM_PREFIX)
}
FIRM_FLOATS = {  # APPLICATION_READ_EXPRESSIONS on the firm's own row (a test holds them equal)
    key: FloatCast(F(expression.source_expressions[0].name.removeprefix(FIRM_PREFIX)), FloatField())
    for key, expression in APPLICATION_READ_EXPRESSIONS.items()
}
# The reads with their columns resolved once per process; a call only adds the ids, so a single score does not
# pay for resolving some thirty columns and expressions again. Each filters its table by primary key or by an
# indexed foreign key, with one array parameter (``lookups.In``).
APPLICATION_ROWS = Application.objects.order_by("pk").values_list("pk", *OWN_COLUMNS.values())
FIRM_ROWS = Enterprise.objects.order_by().values_list("pk", *FIRM_COLUMNS.values(), *FIRM_FLOATS.values())
PLEDGED_ROWS = ApplicationAsset.objects.order_by().values_list("application_id", "asset_id")
ASSET_ROWS = IPAsset.objects.order_by().values_list("pk", "owner_id", *ASSET_COLUMNS, *ASSET_READ.values())
CONSENT_MISSING = CoOwner.objects.order_by().filter(consent_given=False).values_list("asset_id", flat=True)


def _pledged_columns(ids: list[int]) -> tuple[dict[str, Sequence], dict[int, list[int]], dict[str, Sequence]]:
    """Plain columns, neither model instances nor a dict per row (five instances per application cost more than
    the rest of the path): the applications' ``pk`` and ``APPLICATION_KEYS`` by column, in id order; the pledged
    asset ids of each application; the assets' ``pk``, ``owner_id`` and ``ASSET_KEYS`` by column. Five queries,
    each reading only the batch's rows by key; the firm's columns are spread over its applications and assets
    by position (NumPy's take over object arrays), not looked up row by row."""
    applications = _columns(("pk", *OWN_COLUMNS), APPLICATION_ROWS.filter(In(F("pk"), ids)))
    pledged: dict[int, list[int]] = {}
    for application_id, asset_id in PLEDGED_ROWS.filter(In(F("application_id"), ids)):
        pledged.setdefault(application_id, []).append(asset_id)
    asset_ids = sorted({asset_id for assets in pledged.values() for asset_id in assets})
    asset_rows = ASSET_ROWS.filter(In(F("pk"), asset_ids)) if asset_ids else []
    assets = _columns(("pk", "owner_id", *ASSET_KEYS[:-2]), asset_rows)
    missing_consent = set(CONSENT_MISSING.filter(In(F("asset_id"), asset_ids))) if asset_ids else set()
    firm_ids = sorted(set(applications["enterprise_id"]) | set(assets["owner_id"]))
    firms = _columns(("pk", *FIRM_COLUMNS, *FIRM_FLOATS), FIRM_ROWS.filter(In(F("pk"), firm_ids)) if firm_ids else [])
    position = {pk: k for k, pk in enumerate(firms["pk"])}
    of_applications = np.fromiter((position[pk] for pk in applications["enterprise_id"]), dtype=np.intp)
    for key in (*FIRM_COLUMNS, *FIRM_FLOATS):
        applications[key] = _objects(firms[key])[of_applications].tolist()
    owners = np.fromiter((position[pk] for pk in assets["owner_id"]), dtype=np.intp)
    assets["cluster"] = _objects(firms["cluster"])[owners].tolist()
    assets["co_owner_consent_missing"] = [pk in missing_consent for pk in assets["pk"]]
    return applications, pledged, assets


def _columns(names: tuple[str, ...], rows) -> dict[str, Sequence]:
    """Rows of ``values_list`` as a tuple per column, by name."""
    columns = list(zip(*rows, strict=True)) or [()] * len(names)
    return dict(zip(names, columns, strict=True))


def _objects(values: Sequence) -> np.ndarray:
    """A one-dimensional object array of ``values`` (the Python objects themselves, whatever their type)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


# How many standard errors of the paired AUC difference a challenger must win by: outside the 95 % interval.
PROMOTION_Z = 1.96


def model_promote(*, name: str, actor=None) -> ModelVersion:
    """Make the challenger the champion only when it wins out of time by more than the noise.

    Both are measured on the same out-of-time rows and win = ΔAUC > ``PROMOTION_Z`` × SE, the SE of the paired
    difference (DeLong): a platform version against the champion on the synthetic world's holdout vintage,
    regenerated now for both (the AUCs each recorded at training may come from different versions of the
    generator); a bank's version against the model in charge of its queue on the last rows of its file, scored
    at training (``versus_champion``).
    """
    with transaction.atomic():
        versions = {v.role: v for v in ModelVersion.objects.select_for_update().filter(name=name)}
        champion, challenger = versions.get(ModelRole.CHAMPION), versions.get(ModelRole.CHALLENGER)
        if challenger is not None and champion is None and challenger.bank_id is not None:
            # A bank's first model replaces the platform's champion for its queue.
            champion = registry.get_version(RISK_MODEL)
        if champion is None or challenger is None:
            raise Conflict(f"{name} needs both a champion and a challenger to compare.")
        compared = (_bank_comparison if challenger.bank_id else _holdout_comparison)(champion, challenger)
        delta, noise = compared["auc_delta"], PROMOTION_Z * compared["se"]
        figures = f"ΔAUC {delta:+.4f} > {PROMOTION_Z} × SE {compared['se']:.4f} on the same {compared['rows']} loans"
        if delta <= noise:
            raise Conflict(
                f"The challenger does not win by more than the noise: ΔAUC {delta:+.4f} ≤ {PROMOTION_Z} × SE "
                f"{compared['se']:.4f} on the same {compared['rows']} out-of-time loans.",
                delta_auc=delta,
                se=compared["se"],
                noise=round(noise, 5),
            )
        if champion.name == name:
            registry.role_change(
                champion,
                to=ModelRole.RETIRED,
                actor=actor,
                reason=f"Superseded by {challenger.version}, which wins out of time ({figures}).",
            )
        registry.role_change(
            challenger,
            to=ModelRole.CHAMPION,
            actor=actor,
            reason=f"Promoted: wins out of time over {champion.name} {champion.version} ({figures}).",
        )
    if challenger.bank_id is None:
        registry.register_from_disk(name)  # a version waiting for the challenger's role takes it
    return challenger


def _holdout_comparison(champion: ModelVersion, challenger: ModelVersion) -> dict:
    """Both platform versions scored now on the challenger's out-of-time vintage as today's generator makes it."""
    if "auc" not in challenger.metrics.get("holdout", {}) or "auc" not in champion.metrics.get("holdout", {}):
        raise Conflict(f"{challenger.name}: both versions need an out-of-time holdout AUC to compare.")
    try:
        old, new = registry.load(champion), registry.load(challenger)
        generator = registry.version_metadata(challenger)["data"].get("generator")
    except registry.ModelUnavailable as exc:
        raise Conflict(f"{challenger.name}: {exc}") from exc
    if generator is None:
        raise Conflict(f"{challenger.name} {challenger.version} was not trained on the synthetic world: no holdout.")
    X, y = synthetic_holdout(generator)
    return paired_comparison(y, old.predict_pd(X[old.columns_]), new.predict_pd(X[new.columns_]))


def _bank_comparison(champion: ModelVersion, challenger: ModelVersion) -> dict:
    """The paired figures a bank's version recorded at training against the model then in charge of its queue,
    valid only while that model still is."""
    compared = challenger.metrics.get("versus_champion")
    if compared is None:
        raise Conflict(
            f"{challenger.name} {challenger.version} has no paired out-of-time comparison with the model in charge "
            "of the queue: train it again."
        )
    if compared["version"] != f"{champion.name} {champion.version}":
        raise Conflict(
            f"{challenger.name} {challenger.version} was compared with {compared['version']}, but "
            f"{champion.name} {champion.version} is in charge now: train it again to compare with it."
        )
    return compared


def model_upgrade(*, name: str, actor=None) -> ModelVersion:
    """Make the challenger the champion because it reads inputs the champion does not: the explicit upgrade step
    for a version whose features the old one cannot serve (ip_value v2 values marks and copyrights on their use,
    recognition and disputes, which v1 never reads), where the out-of-time comparison of ``model_promote`` does
    not apply. Only a challenger of a newer generation (``registry.generation``) that reads every input the
    champion reads and more; the champion is retired with the reason, both moves audited and chained."""
    with transaction.atomic():
        versions = {v.role: v for v in ModelVersion.objects.select_for_update().filter(name=name, bank__isnull=True)}
        champion, challenger = versions.get(ModelRole.CHAMPION), versions.get(ModelRole.CHALLENGER)
        if champion is None or challenger is None:
            raise Conflict(f"{name} needs both a champion and a challenger to upgrade.")
        old, new = registry.generation(champion.version), registry.generation(challenger.version)
        if old is None or new is None or new <= old:
            raise Conflict(
                f"{name}: the challenger {challenger.version} is not a newer version than {champion.version}."
            )
        try:
            before, after = registry.version_inputs(champion), registry.version_inputs(challenger)
        except registry.ModelUnavailable as exc:
            raise Conflict(f"{name}: {exc}") from exc
        added = sorted(after - before)
        if not added:
            raise Conflict(
                f"{name}: {challenger.version} reads the same inputs as {champion.version}: model_promote decides "
                "on the out-of-time figures."
            )
        registry.role_change(
            champion,
            to=ModelRole.RETIRED,
            actor=actor,
            reason=f"Upgrade: superseded by {challenger.version}; {champion.version} does not read "
            f"{', '.join(added)}, which the features carry now. It stays loadable for the scores it gave.",
        )
        registry.role_change(
            challenger,
            to=ModelRole.CHAMPION,
            actor=actor,
            reason=f"Upgrade: reads {', '.join(added)}, which {champion.version} does not; holdout "
            f"{_holdout_summary(challenger.metrics)} against {_holdout_summary(champion.metrics)}.",
        )
    registry.register_from_disk(name)
    return challenger


def _holdout_summary(metrics: dict) -> str:
    holdout = metrics.get("holdout", {})
    shown = {key: holdout[key] for key in ("auc", "spearman_p50_truth", "p10_p90_coverage") if key in holdout}
    return ", ".join(f"{key} {value}" for key, value in shown.items()) or "no figures"


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.INFO_REQUESTED,
)


def open_application_ids() -> list[int]:
    return list(Application.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True))


def drift_report_compute(*, window_days: int = 30) -> DriftReport | None:
    """PSI of each feature and of the PD: the champion's recent scores against its training data.
    At ``settings.SCORING_PSI_ALARM`` (0.25) or above the report is an alarm and platform admins are told."""
    version, model = champion_model(RISK_MODEL)
    return _drift_report(version, model, window_days)


def bank_drift_reports_compute(*, window_days: int = 30) -> list[DriftReport]:
    """The same drift watch on each bank's own champion, over the scores it gave that bank's queue (0.10
    watch, 0.25 act, per bank)."""
    versions = ModelVersion.objects.filter(role=ModelRole.CHAMPION, bank__isnull=False).order_by("pk")
    reports = [_drift_report(*_loaded(version), window_days) for version in versions]
    return [report for report in reports if report is not None]


def _drift_report(version: ModelVersion, model, window_days: int) -> DriftReport | None:
    since = timezone.now() - dt.timedelta(days=window_days)
    recent = list(
        ApplicationScore.objects.filter(model_version=version, created_at__gte=since).values_list("inputs", "pd")
    )
    if not recent:
        return None
    frame = pd.DataFrame([inputs for inputs, _ in recent])
    psi = model.psi(frame, pd_values=[float(p) for _, p in recent])
    finite = [v for v in psi.values() if v == v]  # NaN (a column with no values) is not drift
    largest = max(finite, default=0.0)
    with transaction.atomic():
        report = DriftReport.objects.create(
            model_version=version,
            window_days=window_days,
            rows=len(recent),
            psi=psi,
            max_psi=largest,
            alarm=largest >= settings.SCORING_PSI_ALARM,
        )
        if report.alarm:
            logger.warning("PSI alarm on %s: %s", version, {k: v for k, v in psi.items() if v >= 0.25})
            title = f"模型漂移告警 Drift alarm: {version.name} {version.version} PSI {largest:.2f}"
            task_enqueue(notify_platform_admins, title, json.dumps(psi), dedupe_key=f"drift-alarm:{report.pk}")
    return report
