"""Before the bank approves, the facts past their freshness window are asked again: a patent the register now
says has lapsed cannot be approved against, though the record the bank opened said it was valid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import EnterpriseFactory, IPAssetFactory, LoanProductFactory, UserFactory
from tests.facts.simulator import register_record, simulator  # noqa: F401
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.facts.models import Fact
from tongzhirong.financing import services
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.lending.applications import application_approve

pytestmark = pytest.mark.django_db


def test_the_approval_asks_the_register_again_and_refuses_a_lapsed_patent(simulator):  # noqa: F811
    firm = EnterpriseFactory()
    owner = UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)
    product = LoanProductFactory(min_amount=Decimal("10000.00"))
    asset = IPAssetFactory(owner=firm)
    application = services.application_create(
        actor=owner,
        enterprise=firm,
        product=product,
        assets=[asset],
        requested_amount=Decimal("1000000"),
        requested_term_months=12,
        repayment_method="equal_instalment",
    )
    services.application_submit(actor=owner, application=application)
    officer = UserFactory(organisation=product.bank, role=Role.BANK_OFFICER)
    services.application_start_review(actor=officer, application=application)
    simulator.load([register_record(asset, legal_status="lapsed")])

    with pytest.raises(ValidationFailed) as refused:
        application_approve(
            actor=officer, application=application, amount=Decimal("100000"), rate=product.min_rate, term_months=12
        )

    assert asset.identifier in refused.value.errors["assets"][0]
    assert Fact.objects.get(asset=asset, name="legal_status").value == "lapsed"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
