"""The one way to get a model: lazily loaded, checksum verified against the database, cached.

Versions on disk (``settings.ML_MODELS_DIR``) are registered as ``ModelVersion`` rows the first time a
name is asked for; the first registered version of a name becomes its champion, a second one its
challenger (for the default pledge-risk pair: the scorecard is champion, the boosting model challenger).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from scoring.ml.artefacts import ArtefactError, load_artefact, read_metadata

from .models import ModelRole, ModelVersion

_cache: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()

# Which default version takes which role when a fresh database first meets the artefacts.
DEFAULT_ROLES = {("pledge_risk", "scorecard"): ModelRole.CHAMPION, ("pledge_risk", "gbm"): ModelRole.CHALLENGER}


class ModelUnavailable(ArtefactError):
    """No usable model of that name: none trained, or its file failed verification."""


def models_dir() -> Path:
    return Path(settings.ML_MODELS_DIR)


BANK_MODEL_PREFIX = "pledge_risk_bank_"


def bank_model_name(bank_id: int) -> str:
    """The name of a bank's own pledge-risk models: one champion and one challenger per bank, as per name."""
    return f"{BANK_MODEL_PREFIX}{bank_id}"


def register_from_disk(name: str, *, bank_id: int | None = None) -> list[ModelVersion]:
    """Create rows for versions found on disk that the database does not know yet. A bank's model
    (``bank_id``) comes in as its challenger: it becomes the bank's champion only through
    ``model_promote``."""
    root = models_dir() / name
    if not root.is_dir():
        return []
    created = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        metadata = read_metadata(directory)
        if ModelVersion.objects.filter(name=name, version=directory.name).exists():
            continue
        taken = set(ModelVersion.objects.filter(name=name).values_list("role", flat=True))
        role = DEFAULT_ROLES.get((name, metadata.get("kind")))
        if bank_id is not None:
            role = ModelRole.RETIRED if ModelRole.CHALLENGER in taken else ModelRole.CHALLENGER
        elif role is None or role in taken:
            role = next((r for r in (ModelRole.CHAMPION, ModelRole.CHALLENGER) if r not in taken), ModelRole.RETIRED)
        try:
            with transaction.atomic():
                created.append(
                    ModelVersion.objects.create(
                        name=name,
                        version=directory.name,
                        kind=metadata.get("kind", ""),
                        task=metadata.get("task", ""),
                        sha256=metadata["sha256"],
                        metrics=metadata.get("metrics", {}),
                        role=role,
                        bank_id=bank_id,
                    )
                )
        except IntegrityError:  # another process registered it first
            continue
    return created


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
    key = (version.name, version.version, version.sha256)
    model = _cache.get(key)
    if model is None:
        with _lock:
            model = _cache.get(key)
            if model is None:
                try:
                    model = load_artefact(models_dir() / version.name / version.version, expected_sha256=version.sha256)
                except ArtefactError as exc:
                    raise ModelUnavailable(str(exc)) from exc
                _cache[key] = model
    return model


def get_model(name: str, role: str = ModelRole.CHAMPION) -> tuple[ModelVersion, Any]:
    version = get_version(name, role)
    return version, load(version)


def clear_cache() -> None:
    _cache.clear()
