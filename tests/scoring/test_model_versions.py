"""Published model versions never change: an installation that registered v1 keeps scoring and explaining with v1
after an upgrade brings the newer versions (ip_value v2, pledge_risk v2, v3 and v4), which take charge only by rule
(promotion or the logged upgrade step)."""

import json
import shutil
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from scoring import registry
from scoring.management.commands.train_models import _next_version
from scoring.ml.artefacts import ArtefactError, load_artefact, sha256_of
from scoring.models import ApplicationScore, AssetValuation, ModelRole, ModelVersion
from scoring.services import application_score, model_promote, model_upgrade
from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.core.errors import Conflict
from tongzhirong.core.models import StatusChange
from tongzhirong.evidence.models import Entry
from tongzhirong.evidence.selectors import chain_verify
from tongzhirong.financing.models import ApplicationAsset

pytestmark = pytest.mark.django_db

V1 = {"ip_value": ["v1"], "pledge_risk": ["v1-scorecard", "v1-gbm"]}
V2 = {"ip_value": ["v2"], "pledge_risk": ["v2-scorecard", "v2-gbm"]}
V3 = {"pledge_risk": ["v3-scorecard", "v3-gbm"]}
V4 = {"pledge_risk": ["v4-scorecard", "v4-gbm"]}
COMMITTED = registry.models_dir()


def _publish(root, versions):
    for name, labels in versions.items():
        for label in labels:
            shutil.copytree(COMMITTED / name / label, root / name / label)


@pytest.fixture
def disk(tmp_path, settings):
    """A models directory holding what an installation had before this upgrade: the v1 artefacts only."""
    settings.ML_MODELS_DIR = tmp_path
    registry.clear_cache()
    _publish(tmp_path, V1)
    yield tmp_path
    registry.clear_cache()


def _application():
    application = ApplicationFactory()
    asset = IPAssetFactory(owner=application.enterprise, forward_citations=12, family_size=4, overseas_family_members=2)
    ApplicationAsset.objects.create(application=application, asset=asset)
    return application


def _roles(name):
    return dict(ModelVersion.objects.filter(name=name).exclude(role=ModelRole.RETIRED).values_list("role", "version"))


def _reasons(version):
    return list(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(ModelVersion), object_id=version.pk
        ).values_list("to_status", "reason")
    )


@pytest.fixture
def old_database(disk):
    """A database that registered and scored with v1, then the upgrade: v2, v3 and v4 land on disk and `make run`
    runs `train_models --if-missing`."""
    old_score = application_score(application=_application())
    assert old_score.model_version.version == "v1-scorecard"
    for versions in (V2, V3, V4):
        _publish(disk, versions)
    call_command("train_models", "--if-missing", stdout=StringIO())
    return old_score


def test_the_v1_artefacts_are_the_ones_published_before_the_in_place_retraining():
    # sha256 of the files committed in df13628, which installations registered as v1.
    assert sha256_of(COMMITTED / "ip_value" / "v1" / "model.skops").startswith("0991eb06c87b")
    assert sha256_of(COMMITTED / "pledge_risk" / "v1-scorecard" / "model.skops").startswith("4666186591760")
    assert sha256_of(COMMITTED / "pledge_risk" / "v1-gbm" / "model.skops").startswith("f8e0c0f3c9d4")


def test_each_published_version_carries_its_own_label_and_card():
    for name, labels in {
        "ip_value": V1["ip_value"] + V2["ip_value"],
        "pledge_risk": V1["pledge_risk"] + V2["pledge_risk"] + V3["pledge_risk"] + V4["pledge_risk"],
    }.items():
        for label in labels:
            metadata = json.loads((COMMITTED / name / label / "metadata.json").read_text())
            assert metadata["version"] == label
            assert metadata["sha256"] == sha256_of(COMMITTED / name / label / "model.skops")
            assert (COMMITTED / name / label / "card.md").read_text().startswith(f"# Model card — {name} {label}\n")


def test_a_fresh_database_gets_the_newest_versions(tmp_path, settings):
    settings.ML_MODELS_DIR = tmp_path
    for versions in (V1, V2, V3, V4):
        _publish(tmp_path, versions)
    call_command("train_models", "--if-missing", stdout=StringIO())
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v4-scorecard", ModelRole.CHALLENGER: "v4-gbm"}
    assert _roles("ip_value") == {ModelRole.CHAMPION: "v2"}
    # Nothing here was scored with the older versions: they are not registered.
    assert set(ModelVersion.objects.values_list("version", flat=True)) == {"v2", "v4-scorecard", "v4-gbm"}


def test_an_old_database_keeps_its_champions_and_gets_the_newest_as_challenger(old_database):
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v1-scorecard", ModelRole.CHALLENGER: "v4-scorecard"}
    assert _roles("ip_value") == {ModelRole.CHAMPION: "v1", ModelRole.CHALLENGER: "v2"}
    replaced = ModelVersion.objects.get(name="pledge_risk", version="v1-gbm")
    assert replaced.role == ModelRole.RETIRED
    ((to, reason),) = _reasons(replaced)
    assert to == ModelRole.RETIRED
    assert "v4-scorecard" in reason
    assert not ModelVersion.objects.filter(version="v4-gbm").exists()  # waits for the challenger's role
    superseded = V2["pledge_risk"] + V3["pledge_risk"]
    assert not ModelVersion.objects.filter(version__in=superseded).exists()  # superseded before they came
    # New scores still come from the v1 champions, whose files pass the registry's checksum.
    score = application_score(application=_application())
    assert score.model_version.version == "v1-scorecard"
    assert AssetValuation.objects.filter(model_version__version="v1").count() == 2


def test_an_old_score_is_explained_by_the_artefact_that_gave_it(old_database):
    model = registry.load_for_audit(old_database.model_version)
    features = {key: old_database.inputs[key] for key in model.columns_}
    explained = model.explain([features])[0]
    assert Decimal(str(round(explained["pd"], 6))) == old_database.pd
    assert explained["band"] == old_database.band
    # The retired v1 challenger, trained before the stacked gbm, still explains with its own calibrated trees.
    gbm = registry.load_for_audit(ModelVersion.objects.get(name="pledge_risk", version="v1-gbm"))
    assert 0 < gbm.explain([features])[0]["pd"] < 1


def test_promotion_switches_new_scores_to_v4_and_gives_the_challenger_role_to_v4_gbm(old_database):
    promoted = model_promote(name="pledge_risk")
    assert promoted.version == "v4-scorecard"
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v4-scorecard", ModelRole.CHALLENGER: "v4-gbm"}
    old = ModelVersion.objects.get(name="pledge_risk", version="v1-scorecard")
    assert [to for to, _ in _reasons(old)] == [ModelRole.RETIRED]
    assert "ΔAUC" in _reasons(promoted)[0][1]
    score = application_score(application=_application())
    assert score.model_version.version == "v4-scorecard"
    assert ApplicationScore.objects.get(pk=old_database.pk).model_version.version == "v1-scorecard"
    assert chain_verify().intact


def test_the_value_model_changes_only_through_the_logged_upgrade_step(old_database):
    with pytest.raises(Conflict, match="holdout AUC"):
        model_promote(name="ip_value")  # no out-of-time AUC to compare: the promotion rule does not apply
    with pytest.raises(Conflict, match="same inputs"):
        model_upgrade(name="pledge_risk")  # same inputs: that one is the promotion rule's to decide
    upgraded = model_upgrade(name="ip_value")
    assert upgraded.version == "v2"
    assert _roles("ip_value") == {ModelRole.CHAMPION: "v2"}
    retired = ModelVersion.objects.get(name="ip_value", version="v1")
    ((to, reason),) = _reasons(retired)
    assert to == ModelRole.RETIRED
    assert "use_revenue" in reason
    assert "well_known" in reason
    assert Entry.objects.filter(kind="status_change", subject_id=retired.pk).exists()
    assert chain_verify().intact
    assert registry.load_for_audit(retired).predict  # still loadable for the valuations it gave


def test_the_upgrade_command_ends_where_a_fresh_database_starts(old_database):
    call_command("upgrade_models", stdout=StringIO())
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v4-scorecard", ModelRole.CHALLENGER: "v4-gbm"}
    assert _roles("ip_value") == {ModelRole.CHAMPION: "v2"}
    assert application_score(application=_application()).model_version.version == "v4-scorecard"


def _at_then_upgraded(disk, older: dict, newer: dict) -> None:
    """A database that registered ``older``'s pair, then ``newer`` lands on disk and `make run` registers it."""
    (scorecard, gbm) = older["pledge_risk"]
    _publish(disk, older)
    call_command("train_models", "--if-missing", stdout=StringIO())
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: scorecard, ModelRole.CHALLENGER: gbm}
    _publish(disk, newer)
    call_command("train_models", "--if-missing", stdout=StringIO())
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: scorecard, ModelRole.CHALLENGER: newer["pledge_risk"][0]}


def test_a_database_at_v2_gets_v3_as_challenger_and_keeps_its_champion_unless_v3_wins(disk):
    _at_then_upgraded(disk, V2, V3)
    with pytest.raises(Conflict, match="noise"):  # the same holdout AUC (0.8140): not a win
        model_promote(name="pledge_risk")
    call_command("upgrade_models", stdout=StringIO())
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v2-scorecard", ModelRole.CHALLENGER: "v3-scorecard"}


def test_a_database_at_v3_promotes_v4_because_it_wins_beyond_the_noise(disk):
    """v4-scorecard is v3's world fitted with the blended scorecard (issue 20). On the 2026 holdout vintage both score
    the same 28,516 loans: ΔAUC +0.0025 with a paired SE of 0.0010 (z 2.6), a win by rule, the figures in the reason."""
    _at_then_upgraded(disk, V3, V4)
    promoted = model_promote(name="pledge_risk")
    assert promoted.version == "v4-scorecard"
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v4-scorecard", ModelRole.CHALLENGER: "v4-gbm"}
    reason = _reasons(promoted)[0][1]
    assert "ΔAUC +0.0025" in reason, reason
    assert application_score(application=_application()).model_version.version == "v4-scorecard"


def test_a_tampered_artefact_is_still_refused(old_database, disk):
    path = disk / "pledge_risk" / "v1-scorecard" / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    registry.clear_cache()
    with pytest.raises(registry.ModelUnavailable, match="was changed"):
        registry.load(old_database.model_version)
    with pytest.raises(registry.ModelUnavailable, match="was changed"):
        registry.load_for_audit(old_database.model_version)


def test_a_database_that_registered_the_in_place_retraining_as_v1_is_relabelled(disk):
    """da651b5's retrained files were published under v1 for a while: a database that registered them then
    holds v1 rows with the sha256 of today's v2 files. The rows take the label their files are published as."""
    _publish(disk, V2)
    v2 = {
        label: json.loads((disk / "pledge_risk" / label / "metadata.json").read_text()) for label in V2["pledge_risk"]
    }
    row = ModelVersion.objects.create(
        name="pledge_risk",
        version="v1-scorecard",
        kind="scorecard",
        task="pledge_risk",
        sha256=v2["v2-scorecard"]["sha256"],
        metrics=v2["v2-scorecard"]["metrics"],
        role=ModelRole.CHAMPION,
    )
    with pytest.raises(registry.ModelUnavailable, match="published as v2-scorecard"):
        registry.load(row)
    registry.register_from_disk("pledge_risk")
    row.refresh_from_db()
    assert row.version == "v2-scorecard"
    assert row.role == ModelRole.CHAMPION
    assert registry.load(row).kind == "scorecard"
    assert _roles("pledge_risk") == {ModelRole.CHAMPION: "v2-scorecard", ModelRole.CHALLENGER: "v2-gbm"}
    assert Entry.objects.filter(kind="model_relabel", subject_id=row.pk).exists()
    assert chain_verify().intact


def test_an_artefact_reading_inputs_no_longer_computed_says_so(disk):
    metadata_path = disk / "pledge_risk" / "v1-scorecard" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["features"].append("fax_number")
    metadata_path.write_text(json.dumps(metadata))
    assert registry.register_from_disk("pledge_risk") == [ModelVersion.objects.get(version="v1-gbm")]
    row = ModelVersion.objects.create(
        name="pledge_risk", version="v1-scorecard", kind="scorecard", task="pledge_risk", sha256=metadata["sha256"],
        role=ModelRole.RETIRED,
    )  # fmt: skip
    with pytest.raises(registry.ModelUnavailable, match=r"no longer compute \(fax_number\)"):
        registry.load(row)
    assert registry.load_for_audit(row).kind == "scorecard"


def test_a_value_artefact_reads_the_features_it_was_trained_on(disk):
    model = load_artefact(disk / "ip_value" / "v1")
    assert model.features_["trademark"] == [
        "age_years",
        "nice_class_count",
        "renewals",
        "licence_count",
        "licence_revenue",
    ]
    metadata_path = disk / "ip_value" / "v1" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["features"]["trademark"].append("well_known")
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(ArtefactError, match="trademark features"):
        load_artefact(disk / "ip_value" / "v1")


def test_training_without_a_label_writes_the_next_generation(disk):
    assert _next_version(disk) == "v2"
    _publish(disk, V2)
    assert _next_version(disk) == "v3"


def test_training_refuses_a_label_the_registry_cannot_order(disk):
    with pytest.raises(CommandError, match="v<N>"):
        call_command("train_models", "--model-version", "latest", stdout=StringIO())


def test_training_one_model_writes_its_next_version_with_what_it_supersedes(disk):
    """`train_models --only` trains one of the two (pledge_risk v4 was trained so, without republishing ip_value);
    the version of the same kind it follows is found on disk and written with the reason, as the v2-v4 files carry."""
    _publish(disk, V2)
    call_command(
        "train_models", "--only", "ip_value", "--loans", "5000", "--history", "Trained to test the lineage.",
        stdout=StringIO(),
    )  # fmt: skip
    assert not (disk / "pledge_risk" / "v3-scorecard").exists()
    metadata = json.loads((disk / "ip_value" / "v3" / "metadata.json").read_text())
    assert (metadata["supersedes"], metadata["history"]) == ("v2", "Trained to test the lineage.")
    card = (disk / "ip_value" / "v3" / "card.md").read_text()
    assert card.endswith("## Version history\n- Supersedes v2 (still published, unchanged, for the scores it gave).\n"
                         "- Trained to test the lineage.\n")  # fmt: skip
    assert _roles("ip_value") == {ModelRole.CHAMPION: "v3"}  # a fresh database registers the newest generation
