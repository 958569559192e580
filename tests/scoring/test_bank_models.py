"""Issue 20, item 3: a bank's own model, trained from its CSV, scores that bank's queue and no other's."""

import numpy as np
import pandas as pd
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from scoring import registry
from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.synthetic import WorldParams, generate_world
from scoring.models import ModelRole, ModelVersion
from scoring.services import application_score, applications_rescore, bank_drift_reports_compute, model_promote
from tests.factories import ApplicationFactory, BankFactory, IPAssetFactory, LoanProductFactory
from tongzhirong.core.errors import Conflict
from tongzhirong.core.models import StatusChange
from tongzhirong.financing.models import ApplicationAsset

pytestmark = pytest.mark.django_db
REPO_MODELS = registry.models_dir()


@pytest.fixture
def models_dir(settings, tmp_path):
    """The platform's committed models, and room for the bank's new one."""
    for name in ("pledge_risk", "ip_value"):
        (tmp_path / name).symlink_to(REPO_MODELS / name, target_is_directory=True)
    settings.ML_MODELS_DIR = tmp_path
    registry.clear_cache()
    yield tmp_path
    registry.clear_cache()


def bank_csv(path, *, rows=3_000, seed=8):
    """A bank whose defaults follow its own book (leverage and pledge rate weigh far more than in the
    platform's world), in time order, with the platform's feature columns and a text outcome."""
    loans = generate_world(WorldParams(n_loans=rows, seed=seed))["loans"]
    frame = loans[list(RISK_FEATURE_NAMES)].copy()
    logit = -2.2 + 2.5 * (frame["debt_ratio"] > frame["debt_ratio"].median()) - 2.0 * (frame["pledge_rate"] < 0.3)
    rng = np.random.default_rng(seed)
    frame["status"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "bad", "good")
    frame.to_csv(path, index=False)
    return path


def _application(bank):
    application = ApplicationFactory(product=LoanProductFactory(bank=bank))
    asset = IPAssetFactory(owner=application.enterprise, forward_citations=12, family_size=4)
    ApplicationAsset.objects.create(application=application, asset=asset)
    return application


def _train(csv, bank):
    call_command("train_risk_model", "--csv", str(csv), "--target", "status", "--bad", "bad", "--bank", str(bank.pk))
    return ModelVersion.objects.get(name=registry.bank_model_name(bank.pk))


def test_a_banks_model_from_its_csv_scores_its_queue_and_no_other(models_dir, tmp_path):
    ours, theirs = BankFactory(), BankFactory()
    version = _train(bank_csv(tmp_path / "book.csv"), ours)
    assert (version.role, version.bank_id) == (ModelRole.CHALLENGER, ours.pk)
    card = (models_dir / version.name / version.version / "card.md").read_text()
    assert "Calibration by band" in card
    assert "out of time" in card
    # A challenger scores nothing yet: both queues still get the platform's champion.
    platform = ModelVersion.objects.get(name="pledge_risk", role=ModelRole.CHAMPION)
    assert application_score(application=_application(ours)).model_version_id == platform.pk

    promoted = model_promote(name=version.name)  # it beats the platform's champion on the bank's last rows
    assert promoted.role == ModelRole.CHAMPION
    mine, other = _application(ours), _application(theirs)
    assert application_score(application=mine).model_version_id == version.pk
    assert application_score(application=other).model_version_id == platform.pk
    # The nightly batch path picks the same model for each queue.
    batch_mine, batch_other = _application(ours), _application(theirs)
    applications_rescore(application_ids=[batch_mine.pk, batch_other.pk])
    assert batch_mine.scores.get().model_version_id == version.pk
    assert batch_other.scores.get().model_version_id == platform.pk
    # Drift is watched per bank: the bank's champion against its own queue's scores.
    (report,) = bank_drift_reports_compute()
    assert (report.model_version_id, report.rows) == (version.pk, 2)


def test_a_banks_model_that_does_not_beat_the_platform_stays_a_challenger(models_dir, tmp_path):
    bank = BankFactory()
    # The platform's own world: the bank's model has nothing to add beyond the noise.
    loans = generate_world(WorldParams(n_loans=3_000, seed=9))["loans"]
    frame = loans[list(RISK_FEATURE_NAMES)].assign(status=np.where(loans["defaulted"] == 1, "bad", "good"))
    frame.to_csv(tmp_path / "same.csv", index=False)
    version = _train(tmp_path / "same.csv", bank)
    with pytest.raises(Conflict, match="noise"):
        model_promote(name=version.name)
    assert ModelVersion.objects.get(pk=version.pk).role == ModelRole.CHALLENGER


def test_a_banks_next_model_is_compared_with_the_banks_own_champion(models_dir, tmp_path):
    bank = BankFactory()
    book = bank_csv(tmp_path / "book.csv")
    first = _train(book, bank)
    assert first.metrics["versus_champion"]["version"] == "pledge_risk v4-scorecard"
    assert first.metrics["versus_champion"]["auc_delta"] > 1.96 * first.metrics["versus_champion"]["se"]
    model_promote(name=first.name)
    call_command(
        "train_risk_model", "--csv", str(book), "--target", "status", "--bad", "bad", "--bank", str(bank.pk),
        "--model-version", "again",
    )  # fmt: skip
    again = ModelVersion.objects.get(name=first.name, version="again")
    # Measured on the same last rows against the bank's champion, not the platform's: the same file, no win.
    assert again.metrics["versus_champion"]["version"] == f"{first.name} {first.version}"
    assert again.metrics["versus_champion"]["auc_delta"] == 0
    with pytest.raises(Conflict, match="noise"):
        model_promote(name=first.name)


def test_a_banks_newer_training_replaces_its_waiting_challenger(models_dir, tmp_path):
    """Before, a training made while an earlier one waited as challenger was retired on arrival: the bank could
    never promote its newer model."""
    bank = BankFactory()
    for version, seed in (("first", 8), ("second", 10)):
        call_command(
            "train_risk_model", "--csv", str(bank_csv(tmp_path / f"{version}.csv", seed=seed)), "--target", "status",
            "--bad", "bad", "--bank", str(bank.pk), "--model-version", version,
        )  # fmt: skip
    name = registry.bank_model_name(bank.pk)
    roles = dict(ModelVersion.objects.filter(name=name).values_list("version", "role"))
    assert roles == {"first": ModelRole.RETIRED, "second": ModelRole.CHALLENGER}
    first = ModelVersion.objects.get(name=name, version="first")
    (change,) = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(ModelVersion), object_id=first.pk
    )
    assert (change.to_status, change.reason.startswith("Replaced as challenger by second")) == (ModelRole.RETIRED, True)
    assert model_promote(name=name).version == "second"


def test_a_banks_model_compared_with_a_model_no_longer_in_charge_is_not_promoted(models_dir, tmp_path):
    bank = BankFactory()
    version = _train(bank_csv(tmp_path / "book.csv"), bank)
    compared = {**version.metrics["versus_champion"], "version": "pledge_risk v2-scorecard"}
    ModelVersion.objects.filter(pk=version.pk).update(metrics={**version.metrics, "versus_champion": compared})
    with pytest.raises(Conflict, match="v4-scorecard is in charge now"):
        model_promote(name=version.name)
    assert ModelVersion.objects.get(pk=version.pk).role == ModelRole.CHALLENGER


def test_a_banks_model_takes_the_platforms_features_only(models_dir, tmp_path):
    path = bank_csv(tmp_path / "book.csv", rows=400)
    frame = pd.read_csv(path).assign(branch_code="NT01")
    frame.to_csv(path, index=False)
    with pytest.raises(CommandError, match="branch_code"):
        _train(path, BankFactory())
