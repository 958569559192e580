"""Issue 20, item 3 through the API and the page: a bank's manager uploads its loans, the training runs as a task
and registers the bank's challenger with its model card, promotion goes through the service's rule, and other
banks never see any of it. A hostile or useless file is refused at once with a problem that says why."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from scoring import registry
from scoring.models import BankModelTraining, ModelRole, ModelVersion, TrainingStatus
from scoring.tasks import train_bank_model
from scoring.training import bank_model_training_request
from tests.factories import BankFactory, UserFactory
from tongzhirong.accounts.models import Role

from .test_bank_models import bank_csv, models_dir  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db
TRAININGS = "/api/v1/bank-model-trainings/"
MODELS = "/api/v1/bank-models/"


def manager_of(bank):
    return UserFactory(organisation=bank, role=Role.BANK_MANAGER)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, content: bytes, *, name="book.csv", target="status", bad="bad", kind="scorecard"):
    body = {"file": SimpleUploadedFile(name, content), "target": target, "bad": bad, "kind": kind}
    return client.post(TRAININGS, body, format="multipart")


@pytest.fixture
def book(tmp_path):
    return bank_csv(tmp_path / "book.csv").read_bytes()


def test_a_managers_upload_trains_the_banks_challenger_which_promotes_only_through_the_rule(
    models_dir,  # noqa: F811
    book,
    django_capture_on_commit_callbacks,
):
    ours, theirs = BankFactory(), BankFactory()
    manager = manager_of(ours)
    with django_capture_on_commit_callbacks(execute=True):
        queued = upload(client_for(manager), book)
    assert queued.status_code == 202, queued.content
    assert (queued.json()["status"], queued.json()["rows"]) == ("queued", 3000)

    training = client_for(manager).get(f"{TRAININGS}{queued.json()['id']}/").json()
    assert training["status"] == "registered", training
    version = ModelVersion.objects.get(pk=training["model_version"])
    assert (version.name, version.bank_id, version.role) == (registry.bank_model_name(ours.pk), ours.pk, "challenger")
    listed = client_for(manager).get(MODELS).json()["results"]
    assert [v["id"] for v in listed] == [version.pk]
    assert "Calibration by band" in listed[0]["card"]
    assert "out of time" in listed[0]["card"]

    stranger = manager_of(theirs)
    assert client_for(stranger).get(MODELS).json()["results"] == []
    assert client_for(stranger).get(TRAININGS).json()["results"] == []
    assert client_for(stranger).post(f"{MODELS}{version.pk}/promote/").status_code == 404
    officer = UserFactory(organisation=ours, role=Role.BANK_OFFICER)
    refused = client_for(officer).post(f"{MODELS}{version.pk}/promote/")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")

    promoted = client_for(manager).post(f"{MODELS}{version.pk}/promote/")
    assert promoted.status_code == 200, promoted.content
    assert promoted.json()["role"] == ModelRole.CHAMPION
    again = client_for(manager).post(f"{MODELS}{version.pk}/promote/")
    assert again.status_code == 409  # no longer the challenger


def test_only_the_banks_manager_may_train(models_dir, book):  # noqa: F811
    officer = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    sme = UserFactory(role=Role.SME_OWNER)
    for user in (officer, sme):
        refused = upload(client_for(user), book)
        assert refused.status_code == 403
    assert not BankModelTraining.objects.exists()


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_a_missing_outcome_column_is_named(models_dir, book):  # noqa: F811
    body = problem(upload(client_for(manager_of(BankFactory())), book, target="defaulted"), 400)
    assert "Column defaulted is not in the file" in body["errors"]["target"][0]


def test_a_file_with_one_outcome_only_is_refused(models_dir, book):  # noqa: F811
    good_only = book.replace(b",bad\n", b",good\n")
    body = problem(upload(client_for(manager_of(BankFactory())), good_only), 400)
    assert "there are no defaults to learn from" in body["errors"]["bad"][0]


def test_cells_that_would_run_as_formulas_are_refused_with_their_place(models_dir, book):  # noqa: F811
    lines = book.split(b"\n")
    header = lines[0].split(b",")
    cells = lines[3].split(b",")
    cells[1] = b'"=HYPERLINK(""http://evil.example"",""x"")"'
    lines[3] = b",".join(cells)
    body = problem(upload(client_for(manager_of(BankFactory())), b"\n".join(lines)), 422)
    assert body["rows"][0]["row"] == 4
    assert body["rows"][0]["field"] == header[1].decode()
    assert "formula" in body["rows"][0]["message"]
    assert not BankModelTraining.objects.exists()


def test_negative_numbers_are_not_formulas(models_dir, book, django_capture_on_commit_callbacks):  # noqa: F811
    lines = book.split(b"\n")
    cells = lines[3].split(b",")
    cells[0] = b"-0.5"
    lines[3] = b",".join(cells)
    assert upload(client_for(manager_of(BankFactory())), b"\n".join(lines)).status_code == 202


def test_a_file_past_the_importers_limit_is_refused(models_dir):  # noqa: F811
    big = b"status,debt_ratio\n" + b"good,0.5\n" * (5 * 1024 * 1024 // 9 + 10)
    body = problem(upload(client_for(manager_of(BankFactory())), big), 400)
    assert "larger than 5 MB" in body["errors"]["file"][0]


def test_columns_the_queue_does_not_have_are_refused(models_dir, book):  # noqa: F811
    renamed = book.replace(b"status", b"status,customer_name", 1)
    body = problem(upload(client_for(manager_of(BankFactory())), renamed), 400)
    assert "customer_name" in body["errors"]["file"][0]


def test_the_risk_page_trains_and_lists_only_the_banks_own(
    client,
    models_dir,  # noqa: F811
    tmp_path,
    django_capture_on_commit_callbacks,
):
    ours, theirs = BankFactory(), BankFactory()
    client.force_login(manager_of(ours))
    page = client.get(reverse("web:bank-risk-models")).content.decode()
    assert 'name="file"' in page
    assert "no model of its own yet" in page

    content = bank_csv(tmp_path / "small.csv", rows=1200).read_bytes()
    body = {"action": "train", "file": SimpleUploadedFile("small.csv", content), "target": "status", "bad": "bad",
            "kind": "scorecard"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("web:bank-risk-models"), body, follow=True).content.decode()
    assert "The file is accepted and the model is being trained" in done
    trained = client.get(reverse("web:bank-risk-models")).content.decode()  # the task ran after commit
    assert "Registered as challenger" in trained
    assert "Calibration by band" in trained
    compared = BankModelTraining.objects.get().model_version.metrics["versus_champion"]
    assert escape("the model then in charge of your queue (the platform's model v4-scorecard)") in trained
    chinese = client.get(reverse("web:bank-risk-models"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "当时负责本行队列的模型（平台模型 v4-scorecard）" in chinese  # words, not the model's code name
    assert f"Difference {compared['auc_delta']}, standard error {compared['se']}" in trained

    lines = content.split(b"\n")
    lines[1] = b",".join([b"@SUM(1+1)", *lines[1].split(b",")[1:]])
    body["file"] = SimpleUploadedFile("bad.csv", b"\n".join(lines))
    refused = client.post(reverse("web:bank-risk-models"), body).content.decode()
    assert "Row 2, column" in refused

    client.force_login(manager_of(theirs))
    assert "Calibration by band" not in client.get(reverse("web:bank-risk-models")).content.decode()
    officer = UserFactory(organisation=ours, role=Role.BANK_OFFICER)
    client.force_login(officer)
    page = client.get(reverse("web:bank-risk-models")).content.decode()
    assert 'name="file"' not in page
    assert "Calibration by band" in page
    assert BankModelTraining.objects.get().status == TrainingStatus.REGISTERED


def test_a_training_left_running_by_a_dead_worker_is_trained_when_the_task_comes_again(models_dir, tmp_path):  # noqa: F811
    manager = manager_of(BankFactory())
    content = bank_csv(tmp_path / "small.csv", rows=1200).read_bytes()
    training = bank_model_training_request(
        actor=manager, upload=SimpleUploadedFile("small.csv", content), target="status", bad="bad"
    )
    BankModelTraining.objects.filter(pk=training.pk).update(status=TrainingStatus.RUNNING)

    train_bank_model(training.pk)
    train_bank_model(training.pk)  # and once more: nothing changes

    training.refresh_from_db()
    assert training.status == TrainingStatus.REGISTERED
    assert ModelVersion.objects.filter(bank=training.bank).count() == 1


def test_the_model_card_on_the_page_reads_in_chinese_with_the_artefacts_figures(
    client,
    settings,
    models_dir,  # noqa: F811
    tmp_path,
):
    """Issue 20: the card was the artefact's English Markdown in a <pre>. The page now shows it under Chinese
    headings and labels, with the figures of the artefact as written; card.md itself is left as written."""
    settings.LANGUAGE_CODE = "zh-hans"
    bank = BankFactory()
    call_command(
        "train_risk_model", "--csv", str(bank_csv(tmp_path / "book.csv", rows=1200)), "--target", "status",
        "--bad", "bad", "--bank", str(bank.pk),
    )  # fmt: skip
    version = ModelVersion.objects.get(name=registry.bank_model_name(bank.pk))
    directory = models_dir / version.name / version.version
    card_md = (directory / "card.md").read_bytes()
    metadata = json.loads((directory / "metadata.json").read_text())
    client.force_login(manager_of(bank))
    page = client.get(reverse("web:bank-risk-models")).content.decode()
    shown = page[page.index('class="model-card"') : page.index("<pre>")]
    chinese = ("适用范围", "模型表现", "分档校准", "各取值区间得分", "注意事项", "负债收入比", "时间外验证", "交叉拟合")
    for heading in chinese:
        assert heading in shown, heading
    for english in ("Intended use", "Calibration by band", "Points per attribute", "debt_ratio", "Caveats"):
        assert english not in shown, english
    holdout = metadata["metrics"]["holdout"]
    assert f'<td class="num">{holdout["auc"]}</td>' in shown  # the figure as the artefact holds it
    assert f'<td class="num">{holdout["brier"]}</td>' in shown
    assert metadata["data"]["sha256"][:16] in shown
    assert "Calibration by band" in page[page.index("<pre>") :]  # the artefact's own card, collapsed below
    assert (directory / "card.md").read_bytes() == card_md
