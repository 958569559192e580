import pytest

from scoring.ml.synthetic import WorldParams, generate_world


@pytest.fixture(scope="session")
def holdout_world():
    """A fresh out-of-time world (vintage 2026 only, a seed the default models never saw)."""
    return generate_world(WorldParams(n_loans=25_000, seed=20261125, first_vintage=2026, last_vintage=2026))
