"""Reference values defined once for the Django side and once for the pure model package agree."""

from scoring.ml.metrics import BANDS
from tongzhirong.core.reference import RISK_BANDS


def test_the_risk_bands_are_the_models_bands():
    assert tuple(name for name, _, _ in BANDS) == RISK_BANDS
