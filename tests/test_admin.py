"""Every model registered in the admin renders for a superuser: list (with a search), add form and
change form, on a database holding one of everything."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    CoOwnerFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    SuperuserFactory,
    UserFactory,
    cover_accepted,
)
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, Loan, Repayment, ScheduleLine
from tongzhirong.financing.services import application_change_status, repayment_record
from tongzhirong.lending.loans import loan_disburse

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Admins that are append-only on purpose: nobody adds rows by hand.
# Append-only or machine-written records: their admins deliberately have no add form.
NO_ADD_FORM = {
    "core.StatusChange",
    # Money and evidence: written by the services only, never edited (tongzhirong.evidence).
    "evidence.Entry",
    "evidence.Checkpoint",
    "financing.Repayment",
    "financing.ScheduleLine",
    "risksharing.Recovery",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "idempotency.IdempotencyRecord",
    "token_blacklist.OutstandingToken",
    # Written by the collateral monitor and by claims through the services, never by hand.
    "monitoring.CollateralFlag",
    "monitoring.PledgeBaseline",
    "subsidies.SubsidyAllowance",
    "subsidies.SubsidyClaim",
    "risksharing.PoolJournal",  # the ledger is append-only: journals are posted by the services
    "risksharing.CoverRequest",  # asked for by the bank, decided by the insurer or guarantor (underwriting)
    # Written by the services and the workers (tongzhirong.outbox); dead letters are resent by an action.
    "outbox.OutboxMessage",
    "outbox.DeadLetter",
    # Facts, authorisations and disputes change only through tongzhirong.facts' services.
    "facts.Fact",
    "facts.CreditAuthorisation",
    "facts.FactDispute",
    "facts.SourceFetch",  # written by the source refreshes and the file feed
    "facts.FeeReceipt",  # uploaded by the owner, decided by the pledgee bank (financing.fee_receipts)
    # Raised and cleared by the filing-flag refresh only (tongzhirong.facts.flagging).
    "assets.FilingFlag",
    "scoring.BatchRun",  # opened by the nightly rescore or its command; its chunks move the counters
}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """One of everything: a disbursed, partly repaid loan on a co-owned patent, with its audit trail."""
    officer = BankOfficerFactory()
    application = ApplicationFactory(
        product__bank=officer.organisation,
        status=ApplicationStatus.PLEDGE_REGISTRATION,
        approved_amount=Decimal("120000.00"),
        approved_rate=Decimal("0.060000"),
        approved_term_months=12,
        repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
        insurance_product=InsuranceProductFactory(),
        guarantee_product=GuaranteeProductFactory(),
    )
    asset = IPAssetFactory(owner=application.enterprise)
    CoOwnerFactory(asset=asset)
    ApplicationAsset.objects.create(application=application, asset=asset)
    UserFactory(organisation=application.enterprise.organisation)
    Group.objects.create(name="Reviewers")
    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(actor=officer, application=application, to=ApplicationStatus.REGISTERED)
        cover_accepted(application, officer=officer)
        loan = loan_disburse(actor=officer, application=application, contract_number="JK-ADMIN-1")
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"))


@pytest.fixture
def superuser_client(client, world):
    client.force_login(SuperuserFactory())
    return client


def test_every_domain_app_is_in_the_admin():
    labels = {model._meta.app_label for model in REGISTERED}

    assert {"core", "accounts", "enterprises", "assets", "products", "financing", "notifications"} <= labels


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_the_changelist_renders_with_a_search(superuser_client, model):
    response = superuser_client.get(url(model, "changelist"), {"q": "x"})

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_the_changelist_lists_the_worlds_rows(superuser_client, model):
    response = superuser_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_the_add_form_renders(superuser_client, model):
    response = superuser_client.get(url(model, "add"))

    assert response.status_code == (403 if model._meta.label in NO_ADD_FORM else 200)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_the_change_form_renders(superuser_client, model):
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        pytest.skip(f"the world holds no {model._meta.verbose_name}")

    assert superuser_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [Repayment, ScheduleLine], ids=lambda model: model._meta.label)
def test_repayments_and_schedule_lines_cannot_be_edited_or_deleted_in_the_admin(superuser_client, model):
    """After a repayment was deleted here, the schedule showed more interest paid than was repaid: money moves
    only through the services, which chain each fact as evidence."""
    obj = model._default_manager.order_by("pk").first()
    form = superuser_client.get(url(model, "change", obj.pk))

    assert form.status_code == 200
    assert b'name="_save"' not in form.content
    assert superuser_client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert superuser_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_a_loans_money_is_not_edited_in_the_admin(superuser_client):
    loan = Loan.objects.get()
    superuser_client.post(url(Loan, "change", loan.pk), {"principal": "1.00", "outstanding_principal": "0.00"})
    assert superuser_client.post(url(Loan, "delete", loan.pk), {"post": "yes"}).status_code == 403

    refreshed = Loan.objects.get()
    assert (refreshed.principal, refreshed.outstanding_principal) == (loan.principal, loan.outstanding_principal)
    assert refreshed.schedule.count() == loan.schedule.count()
