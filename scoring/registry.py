"""The one way to get a model: lazily loaded, checksum verified against the database, cached.

Versions on disk (``settings.ML_MODELS_DIR``) are registered as ``ModelVersion`` rows the first time a
name is asked for. A published version never changes: a retrained model is a new version, ``v<N>`` or
``v<N>-<kind>`` with a higher N (a generation). A database meeting a name for the first time registers its
newest generation only, the first version as champion and a second as challenger (for the default
pledge-risk pair: the scorecard champion, the boosting model challenger). A database that already has a
champion takes a newer version as challenger, never as champion: the champion changes only through
``services.model_promote`` (a win beyond the noise) or ``services.model_upgrade`` (a version that reads
inputs the champion does not), and every role change is an audited, chained status change with its reason.

A version stays loadable for as long as scores name it (``load_for_audit``); ``load`` serves scoring and says
plainly when an artefact reads inputs today's feature code no longer computes.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from scoring.ml.artefacts import ArtefactError, load_artefact, read_metadata
from scoring.ml.schema import RISK_FEATURE_NAMES, VALUE_FEATURES
from scoring.ml.train import RISK_MODEL_NAME, VALUE_MODEL_NAME
from tongzhirong.core.models import StatusChange
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import STATUS_CHANGE_FIELDS

from .models import ModelRole, ModelVersion

_cache: dict[tuple[str, str, str], tuple[Any, list[str]]] = {}
_lock = threading.Lock()

# Which default version takes which role when a fresh database first meets the artefacts.
DEFAULT_ROLES = {("pledge_risk", "scorecard"): ModelRole.CHAMPION, ("pledge_risk", "gbm"): ModelRole.CHALLENGER}
GENERATION = re.compile(r"^v(\d+)(?:-|$)")
# What today's feature code computes, by the shape of an artefact's recorded features.
RISK_INPUTS = frozenset(RISK_FEATURE_NAMES)
VALUE_INPUTS = frozenset(name for columns in VALUE_FEATURES.values() for name in columns)


class ModelUnavailable(ArtefactError):
    """No usable model of that name: none trained, or its file failed verification."""


def models_dir() -> Path:
    return Path(settings.ML_MODELS_DIR)


BANK_MODEL_PREFIX = "pledge_risk_bank_"


def bank_model_name(bank_id: int) -> str:
    """The name of a bank's own pledge-risk models: one champion and one challenger per bank, as per name."""
    return f"{BANK_MODEL_PREFIX}{bank_id}"


def generation(version: str) -> int | None:
    """N of ``v<N>`` or ``v<N>-<kind>``; None for another label (a bank's timestamped versions)."""
    match = GENERATION.match(version)
    return int(match.group(1)) if match else None


def inputs_read(metadata: dict) -> set[str]:
    """The inputs an artefact reads, as its metadata records them (a list, or lists per value family)."""
    features = metadata.get("features") or []
    if isinstance(features, dict):
        return {name for columns in features.values() for name in columns}
    return set(features)


def version_metadata(version: ModelVersion) -> dict:
    """The metadata of the artefact of ``version``, on disk."""
    try:
        return read_metadata(models_dir() / version.name / version.version)
    except ArtefactError as exc:
        raise ModelUnavailable(str(exc)) from exc


def version_inputs(version: ModelVersion) -> set[str]:
    """The inputs the artefact of ``version`` reads, from its metadata on disk."""
    return inputs_read(version_metadata(version))


def inputs_not_computed(name: str, metadata: dict) -> list[str]:
    """The inputs an artefact of a model the platform scores with (the defaults, a bank's own) reads that today's
    feature code no longer computes: it cannot score with them. A model of another name (``train_risk_model
    --name`` on a file's own columns) is not held to the platform's features."""
    if name not in (VALUE_MODEL_NAME, RISK_MODEL_NAME) and not name.startswith(BANK_MODEL_PREFIX):
        return []
    known = VALUE_INPUTS if name == VALUE_MODEL_NAME else RISK_INPUTS
    return sorted(inputs_read(metadata) - known)


def role_change(version: ModelVersion, *, to: str, reason: str, actor=None) -> StatusChange:
    """Give ``version`` the role ``to`` and write why: a status change of the version (from role, to role,
    reason, who), chained as evidence in the same transaction. Callers free a role before giving it."""
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().values_list("role", flat=True).get(pk=version.pk)
        version.role = to
        fields = ["role"]
        if to == ModelRole.CHAMPION:
            version.promoted_at = timezone.now()
            fields.append("promoted_at")
        version.save(update_fields=fields)
        change = StatusChange.objects.create(
            content_type=ContentType.objects.get_for_model(ModelVersion),
            object_id=version.pk,
            from_status=current,
            to_status=to,
            actor=actor,
            reason=reason,
        )
        evidence_append(actor=actor, kind="status_change", record=change, fields=STATUS_CHANGE_FIELDS, subject=version)
    return change


def register_from_disk(name: str, *, bank_id: int | None = None) -> list[ModelVersion]:
    """Create rows for versions found on disk that the database does not know yet. A bank's model
    (``bank_id``) comes in as its challenger: it becomes the bank's champion only through
    ``model_promote``. For the platform's models see the module's docstring: the newest generation only,
    a newer one as challenger (replacing a challenger of an older generation, which is retired with the
    reason), one waiting on disk while the challenger is of its own generation. A row whose file moved to
    another version's directory (same sha256) is re-labelled first (``_relabel_moved``)."""
    root = models_dir() / name
    if not root.is_dir():
        return []
    on_disk = {p.name: read_metadata(p) for p in sorted(root.iterdir()) if p.is_dir()}
    if bank_id is not None:
        return _register_bank_versions(name, bank_id, on_disk)
    _relabel_moved(name, on_disk)
    known = set(ModelVersion.objects.filter(name=name).values_list("version", flat=True))
    generations = [g for g in map(generation, known) if g is not None]
    newest = max(generations) if generations else None
    # Newest first; within a generation the default champion's kind first, so it takes the first free role.
    unknown = sorted((v for v in on_disk if v not in known), key=lambda v: _registration_order(name, v, on_disk[v]))
    created = []
    for version in unknown:
        metadata, this = on_disk[version], generation(version)
        if this is not None and newest is not None and this < newest:
            continue  # superseded before this database registered its name: nothing here was scored with it
        if inputs_not_computed(name, metadata):
            continue  # it could not score here (``load`` names the missing inputs)
        role = _role_for(name, metadata, this)
        if role is None:
            continue  # the challenger is of its own generation: it waits on disk until the slot is free
        row = _create(name, version, metadata, role, bank_id=None)
        if row is not None:
            created.append(row)
            if this is not None:
                newest = this if newest is None else max(newest, this)
    return created


def _registration_order(name: str, version: str, metadata: dict) -> tuple:
    default_champion = DEFAULT_ROLES.get((name, metadata.get("kind"))) == ModelRole.CHAMPION
    return (-(generation(version) or 0), not default_champion, version)


def _role_for(name: str, metadata: dict, this: int | None) -> str | None:
    held = {v.role: v for v in ModelVersion.objects.filter(name=name).exclude(role=ModelRole.RETIRED)}
    if ModelRole.CHAMPION not in held:
        role = DEFAULT_ROLES.get((name, metadata.get("kind")))
        if role is None or role in held:
            role = next((r for r in (ModelRole.CHAMPION, ModelRole.CHALLENGER) if r not in held), None)
        return role
    challenger = held.get(ModelRole.CHALLENGER)
    if challenger is None:
        return ModelRole.CHALLENGER
    older = generation(challenger.version)
    if this is not None and older is not None and older < this:
        role_change(
            challenger,
            to=ModelRole.RETIRED,
            reason=f"Replaced as challenger by {metadata.get('version')}, a newer version of {name}; it stays "
            "loadable for the scores it gave.",
        )
        return ModelRole.CHALLENGER
    return None


def _register_bank_versions(name: str, bank_id: int, on_disk: dict[str, dict]) -> list[ModelVersion]:
    """Each new training of a bank comes in as its challenger, so the bank compares its latest training with the
    model in charge of its queue; the challenger it replaces is retired with the reason (before, a training made
    while a challenger waited was retired on arrival and could never be promoted)."""
    created = []
    for version, metadata in on_disk.items():
        with transaction.atomic():
            if ModelVersion.objects.filter(name=name, version=version).exists():
                continue
            for waiting in ModelVersion.objects.select_for_update().filter(name=name, role=ModelRole.CHALLENGER):
                role_change(
                    waiting,
                    to=ModelRole.RETIRED,
                    reason=f"Replaced as challenger by {version}, the bank's newer training; it stays loadable for "
                    "the scores it gave.",
                )
            row = _create(name, version, metadata, ModelRole.CHALLENGER, bank_id=bank_id)
            if row is None:  # another process registered it first, and replaced the challenger itself
                transaction.set_rollback(True)
                continue
        created.append(row)
    return created


def _create(name: str, version: str, metadata: dict, role: str, *, bank_id: int | None) -> ModelVersion | None:
    try:
        with transaction.atomic():
            return ModelVersion.objects.create(
                name=name,
                version=version,
                kind=metadata.get("kind", ""),
                task=metadata.get("task", ""),
                sha256=metadata["sha256"],
                metrics=metadata.get("metrics", {}),
                role=role,
                bank_id=bank_id,
            )
    except IntegrityError:  # another process registered it first
        return None


def _moved_to(version: ModelVersion, on_disk: dict[str, dict]) -> str | None:
    """The one other directory of the name whose artefact is the one this row registered (by sha256), when
    the row's own directory holds another file: the version it is now published as."""
    if on_disk.get(version.version, {}).get("sha256") == version.sha256:
        return None
    found = [v for v, metadata in on_disk.items() if metadata.get("sha256") == version.sha256]
    return found[0] if len(found) == 1 else None


def _relabel_moved(name: str, on_disk: dict[str, dict]) -> None:
    """Re-label rows whose artefact is now published under another version. da651b5 retrained the default
    models in place under v1; a database that registered them then holds v1 rows with the retrained files'
    sha256, which are now v2's (v1 is its earlier artefact again). Those rows, and the scores that name them,
    are about the v2 files: the row takes the version its file is published as, chained as evidence."""
    with transaction.atomic():
        rows = list(ModelVersion.objects.select_for_update().filter(name=name, bank__isnull=True))
        labels = {row.version for row in rows}
        for row in rows:
            target = _moved_to(row, on_disk)
            if target is None or target in labels:
                continue
            was, row.version = row.version, target
            row.save(update_fields=["version"])
            labels = (labels - {was}) | {target}
            evidence_append(
                actor=None,
                kind="model_relabel",
                record=row,
                fields=("name", "version", "sha256"),
                context={
                    "was": was,
                    "reason": f"The file this row registered as {name} {was} is published as {target} (same "
                    f"sha256); {was} on disk is another artefact.",
                },
            )


def get_versions(*wanted: tuple[str, str], bank_champions: dict | None = None) -> list[ModelVersion]:
    """The version of each (name, role), champions and challengers in one query (each is one row at
    most); a retired role, or a name the database does not know yet, goes through ``get_version``.
    Given a ``bank_champions`` dict, the banks' own champions (by bank id) come in the same query."""
    unique = [(name, role) for name, role in wanted if role in (ModelRole.CHAMPION, ModelRole.CHALLENGER)]
    found = {}
    if unique:
        condition = Q()
        for name, role in unique:
            condition |= Q(name=name, role=role, bank__isnull=True)
        if bank_champions is not None:
            condition |= Q(role=ModelRole.CHAMPION, bank__isnull=False)
        for v in ModelVersion.objects.filter(condition):
            if v.bank_id is None:
                found[(v.name, v.role)] = v
            elif bank_champions is not None:
                bank_champions[v.bank_id] = v
    return [found.get((name, role)) or get_version(name, role) for name, role in wanted]


def get_version(name: str, role: str = ModelRole.CHAMPION) -> ModelVersion:
    version = ModelVersion.objects.filter(name=name, role=role).first()
    if version is None:
        register_from_disk(name)
        version = ModelVersion.objects.filter(name=name, role=role).first()
    if version is None:
        raise ModelUnavailable(f"No {role} model named {name!r}: run `python manage.py train_models`.")
    return version


def load(version: ModelVersion) -> Any:
    """The model of ``version`` to score with; refused, with the reason, when it reads inputs today's
    feature code does not compute."""
    model, missing = _loaded(version)
    if missing:
        raise ModelUnavailable(
            f"{version.name} {version.version} reads inputs today's features no longer compute "
            f"({', '.join(missing)}): it cannot score new inputs. It stays loadable to explain the scores it "
            "gave (registry.load_for_audit); `python manage.py upgrade_models` promotes a version that can."
        )
    return model


def load_for_audit(version: ModelVersion) -> Any:
    """The model of ``version`` whatever today's features are: to explain or reproduce the scores it gave
    (on their stored inputs). Checksum-verified like ``load``."""
    return _loaded(version)[0]


def _loaded(version: ModelVersion) -> tuple[Any, list[str]]:
    key = (version.name, version.version, version.sha256)
    found = _cache.get(key)
    if found is None:
        with _lock:
            found = _cache.get(key)
            if found is None:
                directory = models_dir() / version.name / version.version
                try:
                    model = load_artefact(directory, expected_sha256=version.sha256)
                    found = (model, inputs_not_computed(version.name, read_metadata(directory)))
                except ArtefactError as exc:
                    raise ModelUnavailable(_unavailable_reason(version, exc)) from exc
                _cache[key] = found
    return found


def _unavailable_reason(version: ModelVersion, exc: ArtefactError) -> str:
    """The artefact's error, and where the file this row registered is published now, if it moved."""
    root = models_dir() / version.name
    try:
        on_disk = {p.name: read_metadata(p) for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}
    except ArtefactError:
        on_disk = {}
    target = _moved_to(version, on_disk)
    if target is None:
        return str(exc)
    return (
        f"{exc} The file this database registered as {version.name} {version.version} is published as {target}: "
        "`python manage.py train_models --if-missing` re-labels the row."
    )


def get_model(name: str, role: str = ModelRole.CHAMPION) -> tuple[ModelVersion, Any]:
    version = get_version(name, role)
    return version, load(version)


def clear_cache() -> None:
    _cache.clear()
