"""Valuation and scoring services: features → model → a row that records version, inputs and outputs.

Rows are idempotent per (subject, model version, input hash): asking again with nothing changed returns
the existing row instead of writing a second one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from scoring.ml import rules
from scoring.ml.value import InvalidAssetData
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import Conflict, ValidationFailed
from tongzhirong.core.money import to_yuan
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.notifications.tasks import notify_platform_admins

from . import registry
from .features import application_features, asset_features, input_hash
from .models import ApplicationScore, AssetValuation, DriftReport, ModelRole, ModelVersion

logger = logging.getLogger(__name__)

# Owners joined in, not prefetched: Django prefetches a foreign key on SQLite as an OR chain that fails
# past ~1,000 owners in one batch.
PLEDGED_ASSETS = Prefetch("assets", queryset=IPAsset.objects.select_related("owner").prefetch_related("co_owners"))

VALUE_MODEL = "ip_value"
RISK_MODEL = "pledge_risk"


class ScoringUnavailable(Conflict):
    code = "scoring_unavailable"
    status = 503
    title = "The scoring model is not available."


def champion_model(name: str, role: str = ModelRole.CHAMPION):
    """The registered model of ``name`` in ``role`` (the champion unless asked), or a 503 problem."""
    try:
        return registry.get_model(name, role)
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
    inputs = [asset_features(a, as_of=as_of) for a in assets]
    digests = [input_hash(i) for i in inputs]
    existing = {
        (v.asset_id, v.input_hash): v
        for v in AssetValuation.objects.filter(
            model_version=version, asset__in=[a.pk for a in assets], input_hash__in=set(digests)
        )
    }
    missing = [k for k, (a, d) in enumerate(zip(assets, digests, strict=True)) if (a.pk, d) not in existing]
    if missing:
        try:
            predicted = model.predict(pd.DataFrame([inputs[k] for k in missing]))
        except InvalidAssetData as exc:
            raise ValidationFailed({"assets": [str(exc)]}) from exc
        rows = [
            AssetValuation(
                asset=assets[k],
                model_version=version,
                input_hash=digests[k],
                inputs=inputs[k],
                p10=to_yuan(Decimal(str(p["p10"]))),
                p50=to_yuan(Decimal(str(p["p50"]))),
                p90=to_yuan(Decimal(str(p["p90"]))),
                realisable=to_yuan(Decimal(str(p["realisable"]))),
                high_value_flags=rules.high_value_flags(inputs[k]),
                sub_scores=rules.sub_scores(inputs[k]),
            )
            for k, p in zip(missing, predicted.to_dict("records"), strict=True)
        ]
        with transaction.atomic():
            AssetValuation.objects.bulk_create(rows, ignore_conflicts=True)
        existing.update(
            {
                (v.asset_id, v.input_hash): v
                for v in AssetValuation.objects.filter(
                    model_version=version, asset__in=[assets[k].pk for k in missing], input_hash__in=set(digests)
                )
            }
        )
    return [existing[(a.pk, d)] for a, d in zip(assets, digests, strict=True)]


def _score_values(explained: dict[str, Any], inputs: dict) -> dict:
    return {
        "inputs": inputs,
        "pd": Decimal(str(round(explained["pd"], 6))),
        "points": Decimal(str(explained["points"])),
        "band": explained["band"],
        "reasons": explained["reasons"],
        "improvements": explained["improvements"],
    }


def application_score(*, application: Application, role: str = ModelRole.CHAMPION) -> ApplicationScore:
    """Score an application: value its assets, build the risk features, PD with reasons and hints."""
    application = (
        Application.objects.select_related("enterprise", "product")
        .prefetch_related(PLEDGED_ASSETS)
        .get(pk=application.pk)
    )
    assets = list(application.assets.all())
    if not assets:
        raise ValidationFailed({"assets": ["An application needs at least one pledged asset to be scored."]})
    valuations = assets_valuate(assets=assets)
    version, model = champion_model(RISK_MODEL, role)
    inputs = application_features(application, valuations)
    digest = input_hash(inputs)
    existing = ApplicationScore.objects.filter(
        application=application, model_version=version, input_hash=digest
    ).first()
    if existing is not None:
        return existing
    explained = model.explain(pd.DataFrame([inputs]))[0]
    return _create_or_get(
        ApplicationScore,
        {"application": application, "model_version": version, "input_hash": digest},
        _score_values(explained, inputs),
    )


def applications_rescore(*, application_ids: list[int], batch_size: int = 900) -> int:
    """Batch path: one model call per batch and ``bulk_create``; rows already present are skipped.
    Batches stay under 1,000 applications: SQLite refuses larger lookups ("Expression tree is too large")."""
    version, model = champion_model(RISK_MODEL)
    written = 0
    for start in range(0, len(application_ids), batch_size):
        ids = application_ids[start : start + batch_size]
        rows = _feature_rows(ids)
        if not rows:
            continue
        frame = pd.DataFrame([inputs for _, inputs in rows])
        explained = model.explain(frame)
        scores = [
            ApplicationScore(
                application_id=app_id,
                model_version=version,
                input_hash=input_hash(inputs),
                **_score_values(result, inputs),
            )
            for (app_id, inputs), result in zip(rows, explained, strict=True)
        ]
        with transaction.atomic():
            ApplicationScore.objects.bulk_create(scores, ignore_conflicts=True, batch_size=1000)
        written += len(scores)
    return written


def _feature_rows(ids: list[int]) -> list[tuple[int, dict]]:
    applications = list(
        Application.objects.filter(pk__in=ids)
        .select_related("enterprise", "product")
        .prefetch_related(PLEDGED_ASSETS)
        .order_by("pk")
    )
    assets = {a.pk: a for application in applications for a in application.assets.all()}
    valued = dict(zip(assets, assets_valuate(assets=list(assets.values())), strict=True)) if assets else {}
    return [
        (application.pk, application_features(application, [valued[a.pk] for a in application.assets.all()]))
        for application in applications
        if application.assets.all()
    ]


def model_promote(*, name: str, actor=None) -> ModelVersion:
    """Make the challenger the champion only when it wins out of time by more than the noise.

    Win = challenger holdout AUC − champion holdout AUC > √(σ²_champion + σ²_challenger), the σ being
    the cross-validated AUC standard deviations recorded in each version's metrics.
    """
    with transaction.atomic():
        versions = {v.role: v for v in ModelVersion.objects.select_for_update().filter(name=name)}
        champion, challenger = versions.get(ModelRole.CHAMPION), versions.get(ModelRole.CHALLENGER)
        if champion is None or challenger is None:
            raise Conflict(f"{name} needs both a champion and a challenger to compare.")
        try:
            delta = challenger.metrics["holdout"]["auc"] - champion.metrics["holdout"]["auc"]
            noise = (champion.metrics["cv"]["auc_std"] ** 2 + challenger.metrics["cv"]["auc_std"] ** 2) ** 0.5
        except KeyError as exc:
            raise Conflict(f"{name}: both versions need holdout AUC and cross-validation noise to compare.") from exc
        if delta <= noise:
            raise Conflict(
                f"The challenger does not win by more than the noise: ΔAUC {delta:+.4f} ≤ {noise:.4f}.",
                delta_auc=round(delta, 5),
                noise=round(noise, 5),
            )
        champion.role = ModelRole.RETIRED
        champion.save(update_fields=["role"])
        challenger.role = ModelRole.CHAMPION
        challenger.promoted_at = timezone.now()
        challenger.save(update_fields=["role", "promoted_at"])
    return challenger


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
        transaction.on_commit(lambda: notify_platform_admins.delay(title, json.dumps(psi)))
    return report
