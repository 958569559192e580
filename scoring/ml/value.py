"""IP value: a range (P10/P50/P90 in yuan) from quantile gradient boosting on log value, one model per
IP family, and a realisable value after haircuts for type and liquidity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from .schema import FAMILY_OF_TYPE, LICENSED_RELIEF, SHORT_LIFE_HAIRCUT, TYPE_HAIRCUT, VALUE_FAMILIES, VALUE_FEATURES

QUANTILES = (0.1, 0.5, 0.9)
IP_TYPE_CODES = {t: i for i, t in enumerate(sorted(FAMILY_OF_TYPE))}


class InvalidAssetData(ValueError):
    """Asset rows cannot be valued; the message says which and why."""


class ValueModel:
    """Per-family quantile models of log value. ``predict`` returns p10, p50, p90 and realisable."""

    def __init__(self, random_state: int = 42):
        self.random_state = random_state

    def fit(self, assets: pd.DataFrame, value: np.ndarray) -> ValueModel:
        value = np.asarray(value, dtype=float)
        if (value <= 0).any() or not np.isfinite(value).all():
            raise InvalidAssetData("Training values must be positive yuan amounts.")
        self.models_: dict[str, list[HistGradientBoostingRegressor]] = {}
        # The inputs it reads, kept with the model: the schema's lists change between versions.
        self.features_ = {family: list(columns) for family, columns in VALUE_FEATURES.items()}
        families = assets["ip_type"].map(FAMILY_OF_TYPE)
        for family in VALUE_FAMILIES:
            mask = (families == family).to_numpy()
            if mask.sum() < 50:
                continue
            X = self._matrix(assets[mask], family)
            target = np.log(value[mask])
            self.models_[family] = [
                HistGradientBoostingRegressor(
                    loss="quantile",
                    quantile=q,
                    learning_rate=0.1,
                    max_iter=150,
                    max_leaf_nodes=15,
                    min_samples_leaf=40,
                    random_state=self.random_state,
                ).fit(X, target)
                for q in QUANTILES
            ]
        return self

    def predict(self, assets: pd.DataFrame) -> pd.DataFrame:
        validate_assets(assets)
        out = pd.DataFrame(index=assets.index, columns=["p10", "p50", "p90"], dtype=float)
        families = assets["ip_type"].map(FAMILY_OF_TYPE)
        for family, models in self.models_.items():
            mask = (families == family).to_numpy()
            if not mask.any():
                continue
            X = self._matrix(assets[mask], family)
            logs = np.sort(np.column_stack([m.predict(X) for m in models]), axis=1)  # no quantile crossing
            out.loc[mask, ["p10", "p50", "p90"]] = np.exp(logs)
        out = out.round(2)
        out["realisable"] = (out["p50"] * (1 - haircut(assets))).round(2)
        return out

    def restore_from_metadata(self, metadata: dict) -> None:
        """An artefact saved before the model kept its feature lists (ip_value v1 and v2) reads those its
        metadata records, not the schema's of today; each list must be as wide as its fitted regressors."""
        if hasattr(self, "features_"):
            return
        features = metadata.get("features") or {}
        for family, models in self.models_.items():
            width = {m.n_features_in_ for m in models}
            if family not in features or width != {len(features[family])}:
                raise ValueError(
                    f"The metadata's {family} features ({features.get(family)}) do not match its models' "
                    f"{sorted(width)} inputs."
                )
        self.features_ = {family: list(columns) for family, columns in features.items()}

    def _matrix(self, assets: pd.DataFrame, family: str) -> np.ndarray:
        columns = []
        for name in self.features_[family]:
            if name == "ip_type":
                columns.append(assets["ip_type"].map(IP_TYPE_CODES).to_numpy(dtype=float))
            else:
                columns.append(pd.to_numeric(assets[name], errors="coerce").to_numpy(dtype=float))
        return np.column_stack(columns)


def haircut(assets: pd.DataFrame) -> np.ndarray:
    """Share of P50 lost in a forced sale: by type, more when little protection is left, less when
    the right is already licensed (there is a market for it)."""
    cut = assets["ip_type"].map(TYPE_HAIRCUT).to_numpy(dtype=float)
    life = pd.to_numeric(assets.get("remaining_life_years"), errors="coerce").to_numpy(dtype=float)
    cut = cut + np.where(np.nan_to_num(life, nan=99) < 3, SHORT_LIFE_HAIRCUT, 0.0)
    licensed = pd.to_numeric(assets.get("licence_count"), errors="coerce").fillna(0).to_numpy() > 0
    cut = cut - np.where(licensed, LICENSED_RELIEF, 0.0)
    return np.clip(cut, 0.0, 0.95)


def validate_assets(assets: pd.DataFrame) -> None:
    """Refuse rows a valuation would be meaningless for. Missing optional numbers are imputed by the
    gradient-boosting models (they route missing values), which is documented in the model card."""
    if "ip_type" not in assets:
        raise InvalidAssetData("Every asset needs an ip_type.")
    unknown = set(assets["ip_type"]) - set(FAMILY_OF_TYPE)
    if unknown:
        raise InvalidAssetData(f"Unknown IP types: {sorted(unknown)}.")
    for column in ("age_years", "claims_count", "forward_citations", "family_size", "licence_revenue", "use_revenue"):
        if column in assets:
            values = pd.to_numeric(assets[column], errors="coerce")
            if (values < 0).any():
                raise InvalidAssetData(f"{column} cannot be negative.")
    if "remaining_life_years" in assets and "age_years" in assets:
        life = pd.to_numeric(assets["remaining_life_years"], errors="coerce")
        if (life < 0).any():
            raise InvalidAssetData("The expiry date is before the valuation date or before filing.")
