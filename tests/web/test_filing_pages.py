"""A mixed portfolio's filings on the pages (issue 17, item 7): each registry's package, signatures and
registration, named in Chinese, and the bank's forms for one registry at a time."""

import re

import pytest
from django.urls import reverse

from tests.api.conftest import assets, bank, officer, product, sme, submitted, under_review  # noqa: F401
from tests.api.financing.test_mixed_filing import mixed  # noqa: F401
from tests.api.helpers import client_for
from tongzhirong.financing.models import Application, PledgeRegistration

pytestmark = pytest.mark.django_db


def page(client, user, name, pk):
    client.force_login(user)
    response = client.get(reverse(name, args=[pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_both_sides_see_each_registrys_package_and_sign_it_on_its_own(client, mixed, officer, sme):  # noqa: F811
    application = Application.objects.get(pk=int(mixed.rstrip("/").rsplit("/", 1)[1]))
    client_for(officer).post(mixed + "filings/")
    firm_page = page(client, sme, "web:sme-application", application.pk)
    assert "签署向国家知识产权局提交的登记材料" in firm_page
    assert "签署向中国版权保护中心提交的登记材料" in firm_page
    text = visible(firm_page)
    assert "质押登记 · 国家知识产权局" in text
    assert "质押登记 · 中国版权保护中心" in text
    assert "copyright_centre" not in text

    bank_page = page(client, officer, "web:bank-application", application.pk)
    assert "以质权人身份签署向中国版权保护中心提交的登记材料" in bank_page
    package = application.filing_packages.get(registry="copyright_centre", superseded_at__isnull=True)
    client.force_login(officer)
    client.post(reverse("web:bank-application", args=[application.pk]), {"action": "sign", "sha256": package.sha256})
    assert list(package.signatures.values_list("party", flat=True)) == ["pledgee"]
    assert not application.filing_packages.get(registry="cnipa").signatures.exists()


def test_the_bank_records_one_registrys_notice_at_a_time(client, mixed, officer, sme):  # noqa: F811
    url, bank_api = mixed, client_for(officer)
    for filing in bank_api.post(url + "filings/").json()["results"]:
        for signer in (sme, officer):
            client_for(signer).post(url + "filing-package/sign/", {"sha256": filing["package"]["sha256"]})
    assert bank_api.post(url + "file-pledge/").status_code == 200
    application = Application.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    target = reverse("web:bank-application", args=[application.pk])
    first = page(client, officer, "web:bank-application", application.pk)
    assert 'name="registry" value="cnipa"' in first
    client.post(
        target,
        {
            "action": "record-registration",
            "registry": "cnipa",
            "registration_number": "Y1",
            "registered_on": "2026-11-20",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    after = client.get(target, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="registry" value="copyright_centre"' in after
    assert PledgeRegistration.objects.get(application=application, registry="cnipa").registration_number == "Y1"
    application.refresh_from_db()
    assert application.status == "pledge_registration"
