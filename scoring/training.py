"""A bank's own pledge-risk model, asked for by its risk team (issue 20, item 3).

The request is checked in full before anything is stored (the importers' size and row limits, the outcome column,
both outcomes present, the platform's feature columns only, no cell a spreadsheet would run as a formula), so a
bad file is refused at once with the reason. Training then runs in a task: on all but the last quarter of the
rows, measured out of time on that quarter against the platform's champion, written as a versioned artefact with
its model card, and registered as the bank's challenger. It becomes the champion of the bank's queue only through
``model_promote`` (when it wins beyond the noise). Other banks never see a bank's trainings or models.

No role on the platform is named for a bank's risk team; the bank's manager (``Role.BANK_MANAGER``, the bank's
administrator) is the one who may train and promote."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pandas as pd
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.ml.artefacts import CARD_FILE, ArtefactError
from scoring.ml.risk import KINDS, InvalidTrainingData
from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.train import train_csv
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import Conflict, RowsRejected, ValidationFailed
from tongzhirong.core.tabular import MAX_BYTES, TabularError, read_table
from tongzhirong.evidence.state import transition

from . import registry
from .models import BankModelTraining, ModelRole, ModelVersion, TrainingStatus
from .services import model_promote

RISK_TEAM_ROLES = frozenset({Role.BANK_MANAGER})
# The share of the file's last rows (a bank's export in time order) held out to measure the model out of time.
HOLDOUT_SHARE = 0.25
# The fewest rows of each outcome training needs (``prepare_target``), in the training rows and in the held-out.
MIN_PER_CLASS = 10
# What a spreadsheet runs as a formula when the cell is opened (CSV injection); a number like -0.5 is not one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def _require_risk_team(actor, bank_id: int | None = None) -> None:
    require(
        actor,
        organisation_id=bank_id,
        kinds={OrganisationKind.BANK},
        roles=RISK_TEAM_ROLES,
        message=_("Only the bank's manager trains and promotes the bank's own risk models."),
    )


def bank_model_training_request(*, actor, upload, target: str, bad: str, kind: str = "scorecard") -> BankModelTraining:
    """Check the bank's file and store the request (``lending.risk_models`` queues its training); refused with the
    reason when the file cannot train a model."""
    _require_risk_team(actor)
    if kind not in KINDS:
        raise ValidationFailed({"kind": [_("Choose the scorecard or the gradient-boosting model.")]})
    target, bad = target.strip(), bad.strip()
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationFailed(
            {"file": [_("The file is larger than %(limit)s MB; split it into smaller files.") % {"limit": 5}]}
        )
    data = upload.read()
    try:
        rows = read_table(io.BytesIO(data), name=upload.name or "")
    except TabularError as exc:
        raise ValidationFailed({"file": [str(exc)]}) from exc
    if not rows:
        raise ValidationFailed({"file": [_("The file has no data rows.")]})
    columns = list(rows[0])
    if target not in columns:
        raise ValidationFailed(
            {"target": [_("Column %(column)s is not in the file; its columns are: %(columns)s.")
                        % {"column": target, "columns": "、".join(columns)}]}
        )  # fmt: skip
    unknown = sorted(set(columns) - {target, *RISK_FEATURE_NAMES})
    if unknown:
        # The bank's queue is scored on the platform's features: a model on other columns would see blanks there.
        raise ValidationFailed(
            {"file": [_("A bank's model uses the platform's risk features only; unknown columns: %(columns)s.")
                      % {"columns": "、".join(unknown)}]}
        )  # fmt: skip
    _refuse_formulas(rows)
    outcomes = [str(row[target] or "") for row in rows]
    bad_rows = sum(value == bad for value in outcomes)
    _check_outcomes(outcomes, target=target, bad=bad, bad_rows=bad_rows)
    return BankModelTraining.objects.create(
        bank_id=actor.organisation_id,
        requested_by=actor,
        kind=kind,
        target=target,
        bad_value=bad,
        original_name=(upload.name or "")[:200],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        rows=len(rows),
        bad_rows=bad_rows,
    )


def _refuse_formulas(rows) -> None:
    found = [
        {
            "row": row.number,
            "field": column,
            "message": _("The cell starts with %(char)r: a spreadsheet would run it as a formula.")
            % {"char": value[:1]},
        }
        for row in rows
        for column, value in row.items()
        if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value)
    ]
    if found:
        raise RowsRejected(found[:50], detail=_("Cells that would run as formulas are refused; nothing was stored."))


def _check_outcomes(outcomes: list[str], *, target: str, bad: str, bad_rows: int) -> None:
    if any(not value for value in outcomes):
        raise ValidationFailed({"target": [_("Some rows have no value in %(column)s.") % {"column": target}]})
    if bad_rows == 0:
        raise ValidationFailed(
            {"bad": [_("No row has %(column)s = %(value)s: there are no defaults to learn from (values seen: "
                       "%(seen)s).") % {"column": target, "value": bad, "seen": "、".join(sorted(set(outcomes))[:10])}]}
        )  # fmt: skip
    if bad_rows == len(outcomes):
        raise ValidationFailed(
            {"bad": [_("Every row has %(column)s = %(value)s: there are no good loans to learn from.")
                     % {"column": target, "value": bad}]}
        )  # fmt: skip
    held_out = outcomes[len(outcomes) - round(len(outcomes) * HOLDOUT_SHARE) :]
    fitted = outcomes[: len(outcomes) - len(held_out)]
    for part in (fitted, held_out):
        bad_in_part = sum(value == bad for value in part)
        if min(bad_in_part, len(part) - bad_in_part) < MIN_PER_CLASS:
            raise ValidationFailed(
                {"file": [_("At least %(n)s defaults and %(n)s good loans are needed both in the first three "
                            "quarters of the rows (to train on) and in the last quarter (to measure out of time).")
                          % {"n": MIN_PER_CLASS}]}
            )  # fmt: skip


def training_frame(data: bytes, *, name: str) -> pd.DataFrame:
    """The stored file as the models read it: numbers as numbers, blanks as missing, text as text."""
    rows = read_table(io.BytesIO(data), name=name)
    frame = pd.DataFrame([dict(row) for row in rows])
    for column in frame.columns:
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() == frame[column].notna().sum():
            frame[column] = converted
    return frame


def risk_model_train_csv(
    *,
    frame: pd.DataFrame,
    name: str,
    target: str,
    bad,
    kind: str,
    version: str | None = None,
    seed: int = 42,
    bank_id: int | None = None,
    holdout_share: float = 0.0,
    compare=None,
    compare_label: str = "",
) -> dict:
    """Train a pledge-risk model on ``frame``, write its artefact and card under ``name``/``version`` (default: a
    timestamp and the kind) and register it (a bank's as its challenger). Returns the artefact's metadata; raises
    ``InvalidTrainingData`` or ``ArtefactError`` when the data cannot make a model."""
    version = version or timezone.now().strftime("%Y%m%d%H%M%S") + f"-{kind}"
    metadata = train_csv(
        frame,
        target=target,
        bad=bad,
        kind=kind,
        name=name,
        version=version,
        root=registry.models_dir(),
        seed=seed,
        holdout_share=holdout_share,
        compare=compare,
        compare_label=compare_label,
    )
    registry.register_from_disk(name, bank_id=bank_id)
    return metadata


def bank_model_train(
    *, frame: pd.DataFrame, bank_id: int, target: str, bad, kind: str, version: str | None = None, seed: int = 42
) -> ModelVersion:
    """Train a bank's model on ``frame`` (time order): on all but its last rows, measured on them out of time
    against the model in charge of the bank's queue (its own champion, else the platform's); registered as the
    bank's challenger."""
    name = registry.bank_model_name(bank_id)
    in_charge = ModelVersion.objects.filter(name=name, role=ModelRole.CHAMPION).first()
    in_charge, champion_model = (
        (in_charge, registry.load(in_charge)) if in_charge else registry.get_model("pledge_risk")
    )
    metadata = risk_model_train_csv(
        frame=frame,
        name=name,
        target=target,
        bad=bad,
        kind=kind,
        version=version,
        seed=seed,
        bank_id=bank_id,
        holdout_share=HOLDOUT_SHARE,
        compare=champion_model,
        compare_label=f"{in_charge.name} {in_charge.version}",
    )
    return ModelVersion.objects.get(name=name, version=metadata["version"])


def bank_model_training_run(*, training_id: int) -> BankModelTraining | None:
    """Train what a request queued (the task's one service). Idempotent: a finished training is left as it is; one
    left running (its worker died, or the task is retried after a database error) is trained again, since the broker
    hands a task out again only once no worker can still be running it (CELERY_VISIBILITY_TIMEOUT)."""
    with transaction.atomic():
        training = BankModelTraining.objects.select_for_update().filter(pk=training_id).first()
        if training is None or training.status not in (TrainingStatus.QUEUED, TrainingStatus.RUNNING):
            return training
        if training.status == TrainingStatus.QUEUED:
            transition(training, to=TrainingStatus.RUNNING, actor=None, reason=_("Training started"))
    try:
        frame = training_frame(bytes(training.data), name=training.original_name)
        version = bank_model_train(
            frame=frame,
            bank_id=training.bank_id,
            target=training.target,
            bad=training.bad_value,
            kind=training.kind,
            version=f"{timezone.now():%Y%m%d%H%M%S}-{training.pk}-{training.kind}",
        )
    except (InvalidTrainingData, ArtefactError, TabularError, ValueError) as exc:
        with transaction.atomic():
            training.error, training.finished_at = str(exc)[:500], timezone.now()
            transition(
                training,
                to=TrainingStatus.FAILED,
                actor=None,
                reason=training.error,
                extra_fields=("error", "finished_at"),
            )
        return training
    with transaction.atomic():
        training.model_version, training.finished_at = version, timezone.now()
        transition(
            training,
            to=TrainingStatus.REGISTERED,
            actor=None,
            reason=_("Registered as the bank's challenger"),
            extra_fields=("model_version", "finished_at"),
        )
    return training


def bank_model_promote(*, actor, version: ModelVersion) -> ModelVersion:
    """The bank's manager asks to put its challenger in charge of its queue; ``model_promote`` decides (a win out
    of time beyond the noise) and refuses otherwise with the figures."""
    _require_risk_team(actor, version.bank_id)
    if version.bank_id is None or version.role != ModelRole.CHALLENGER:
        raise Conflict(_("Only the bank's current challenger can be promoted."))
    return model_promote(name=version.name, actor=actor)


def bank_model_training_list(*, user) -> QuerySet[BankModelTraining]:
    """The trainings of the caller's bank; every bank's for the platform; none for anyone else (other banks never
    see them)."""
    trainings = BankModelTraining.objects.select_related("model_version", "requested_by")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return trainings
    if user.kind != OrganisationKind.BANK:
        return trainings.none()
    return trainings.filter(bank_id=user.organisation_id)


def bank_model_version_list(*, user) -> QuerySet[ModelVersion]:
    """The caller's bank's own model versions (champion, challenger, retired); every bank's for the platform."""
    versions = ModelVersion.objects.filter(bank__isnull=False)
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return versions
    if user.kind != OrganisationKind.BANK:
        return versions.none()
    return versions.filter(bank_id=user.organisation_id)


def model_card(version: ModelVersion) -> str:
    """The model card written with the artefact (Markdown), or an empty text when the file is missing."""
    path = Path(registry.models_dir()) / version.name / version.version / CARD_FILE
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
