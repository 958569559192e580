"""Versioned, immutable, checksummed model artefacts saved with skops (never pickle or joblib).

ml_models/<name>/<version>/model.skops     the fitted object
ml_models/<name>/<version>/metadata.json   sha256, data hash, generator parameters, versions, features, metrics
ml_models/<name>/<version>/card.md         the model card
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy
import sklearn
import skops
import skops.io as sio

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "card.md"

# Exactly the types our artefacts contain beyond skops' defaults. Anything else in a file is refused.
TRUSTED_TYPES = [
    "builtins.float",
    "functools.partial",
    "builtins.int",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "scoring.ml.reference.ReferenceModel",
    "scoring.ml.risk.RiskModel",
    "scoring.ml.value.ValueModel",
    "scoring.ml.woe.WOEBinner",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.PinballLoss",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.utils.validation.check_array",
]


class ArtefactError(Exception):
    """An artefact is missing, tampered with, or holds types we do not trust."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "skops": skops.__version__,
    }


def save_artefact(obj: Any, directory: Path, *, metadata: dict, card: str) -> dict:
    """Write a new version. Refuses to touch an existing one: published versions are immutable."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ArtefactError(f"{directory} already exists: published versions are immutable, bump the version.")
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    sio.dump(obj, model_path)
    untrusted = set(sio.get_untrusted_types(file=model_path)) - set(TRUSTED_TYPES)
    if untrusted:
        model_path.unlink()
        raise ArtefactError(f"The model holds types not on the trusted list: {sorted(untrusted)}.")
    metadata = {**metadata, "sha256": sha256_of(model_path), "library_versions": library_versions()}
    (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False, default=_json) + "\n")
    (directory / CARD_FILE).write_text(card)
    return metadata


def read_metadata(directory: Path) -> dict:
    path = Path(directory) / METADATA_FILE
    if not path.exists():
        raise ArtefactError(f"No metadata at {path}.")
    return json.loads(path.read_text())


def load_artefact(directory: Path, *, expected_sha256: str | None = None) -> Any:
    """Load a model after checking its sha256 against the metadata (and the registry's record)."""
    directory = Path(directory)
    model_path = directory / MODEL_FILE
    if not model_path.exists():
        raise ArtefactError(f"No model file at {model_path}.")
    metadata = read_metadata(directory)
    actual = sha256_of(model_path)
    for source, expected in (("metadata.json", metadata.get("sha256")), ("the registry", expected_sha256)):
        if expected is not None and expected != actual:
            raise ArtefactError(
                f"{model_path} has sha256 {actual[:12]}…, {source} says {expected[:12]}…: the file was changed."
            )
    try:
        model = sio.load(model_path, trusted=TRUSTED_TYPES)
    except Exception as exc:  # skops raises UntrustedTypesFoundException or format errors
        raise ArtefactError(f"{model_path} cannot be loaded safely: {exc}") from exc
    restore = getattr(model, "restore_from_metadata", None)
    if restore is not None:  # what an older artefact did not keep itself, from the metadata saved with it
        try:
            restore(metadata)
        except ValueError as exc:
            raise ArtefactError(f"{model_path}: {exc}") from exc
    return model


def _json(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value)} is not JSON serialisable")
