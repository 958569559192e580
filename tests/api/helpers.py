"""Helpers shared by the API tests: a signed-in client, an application made through the API, concurrency."""

import threading
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from rest_framework.test import APIClient

from scoring.selectors import collateral_limit
from scoring.services import application_collateral_valuate


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def apply(sme, product, assets, **overrides):
    body = {
        "product": product.pk,
        "assets": [a.pk for a in assets],
        "requested_amount": "2000000.00",
        "requested_term_months": 12,
        "repayment_method": "equal_instalment",
        "purpose": "研发投入",
        **overrides,
    }
    return client_for(sme).post("/api/v1/applications/", body, format="json")


def all_at_once(request, times: int) -> list[int]:
    """Run ``request`` in ``times`` threads released together; return their status codes."""
    codes, barrier = [], threading.Barrier(times)

    def run():
        barrier.wait()
        codes.append(request().status_code)
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def within_limit(application, share="0.5"):
    return (collateral_limit(application_collateral_valuate(application=application)) * Decimal(share)).quantize(
        Decimal("1"), rounding=ROUND_DOWN
    )


def accepted_offer(application, officer, sme) -> str:
    """Approve ``application`` (under review) within its limit and accept the offer; return its URL."""
    url = f"/api/v1/applications/{application.pk}/"
    for asset in application.assets.all():
        asset.annual_fee_paid_through = asset.expiry_date
        asset.save()
    amount = within_limit(application)
    approved = client_for(officer).post(
        url + "approve/", {"amount": str(amount), "rate": "0.045", "term_months": 12}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert client_for(sme).post(url + "accept-offer/").json()["status"] == "offer_accepted"
    return url


def signed_package(url, officer, sme) -> dict:
    """Generate the filing package and have both parties sign it; return the package as the API shows it."""
    package = client_for(officer).post(url + "filing-package/")
    assert package.status_code == 201, package.json()
    for signer in (sme, officer):
        signed = client_for(signer).post(url + "filing-package/sign/", {"sha256": package.json()["sha256"]})
        assert signed.status_code == 200, signed.json()
    return signed.json()
