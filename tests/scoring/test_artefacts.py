import shutil

import pytest

from scoring import registry
from scoring.ml.artefacts import ArtefactError, load_artefact, save_artefact
from scoring.models import ModelRole, ModelVersion


@pytest.fixture
def model_copy(tmp_path, settings):
    """A private copy of the default artefacts, so tests may damage them."""
    for name in ("pledge_risk", "ip_value"):
        shutil.copytree(registry.models_dir() / name, tmp_path / name)
    settings.ML_MODELS_DIR = tmp_path
    return tmp_path


def test_a_tampered_model_file_is_refused(model_copy):
    path = model_copy / "pledge_risk" / "v1-scorecard" / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match="was changed"):
        load_artefact(path.parent)


def test_a_published_version_cannot_be_overwritten(model_copy):
    with pytest.raises(ArtefactError, match="immutable"):
        save_artefact({"a": 1}, model_copy / "pledge_risk" / "v1-scorecard", metadata={}, card="")


def test_untrusted_types_are_never_written(tmp_path):
    class Sneaky:
        pass

    with pytest.raises(ArtefactError, match="not on the trusted list"):
        save_artefact(Sneaky(), tmp_path / "x" / "v1", metadata={}, card="")
    assert not (tmp_path / "x" / "v1" / "model.skops").exists()


@pytest.mark.django_db
def test_registry_registers_defaults_with_the_scorecard_as_champion(model_copy):
    version, model = registry.get_model("pledge_risk")
    assert version.role == ModelRole.CHAMPION
    assert version.kind == "scorecard"
    assert ModelVersion.objects.get(name="pledge_risk", version="v4-gbm").role == ModelRole.CHALLENGER
    assert model.kind == "scorecard"


@pytest.mark.django_db
def test_registry_refuses_a_file_whose_checksum_differs_from_the_database(model_copy):
    version = registry.get_version("ip_value")
    ModelVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    version.refresh_from_db()
    with pytest.raises(registry.ModelUnavailable, match="the registry says"):
        registry.load(version)


@pytest.mark.django_db
def test_a_missing_model_is_a_clear_error(tmp_path, settings):
    settings.ML_MODELS_DIR = tmp_path
    with pytest.raises(registry.ModelUnavailable, match="train_models"):
        registry.get_model("pledge_risk")


@pytest.mark.django_db
def test_several_versions_are_read_in_one_query(model_copy, django_assert_num_queries):
    registry.get_version("ip_value"), registry.get_version("pledge_risk")  # registered from disk
    wanted = [("pledge_risk", ModelRole.CHALLENGER), ("ip_value", ModelRole.CHAMPION), ("pledge_risk", "champion")]
    with django_assert_num_queries(1):
        versions = registry.get_versions(*wanted)
    assert [(v.name, v.role) for v in versions] == wanted
    assert versions == [registry.get_version(name, role) for name, role in wanted]


@pytest.mark.django_db
def test_several_versions_register_what_is_missing_and_refuse_what_is_not_there(model_copy):
    assert ModelVersion.objects.count() == 0
    value, risk = registry.get_versions(("ip_value", ModelRole.CHAMPION), ("pledge_risk", ModelRole.CHAMPION))
    assert (value.name, risk.kind) == ("ip_value", "scorecard")
    with pytest.raises(registry.ModelUnavailable, match="No retired model"):
        registry.get_versions(("ip_value", ModelRole.CHAMPION), ("pledge_risk", ModelRole.RETIRED))
