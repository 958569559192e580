import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread_per_numeric_library():
    """Tests fit many small models: OpenMP/BLAS threads only fight each other (and a CI worker) for the
    two cores, which made a 3 s fit take over a minute under load."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Assertions read error messages in English; the product default stays zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the cache; each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
