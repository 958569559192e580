import pytest


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Assertions read error messages in English; the product default stays zh-hans."""
    settings.LANGUAGE_CODE = "en"
