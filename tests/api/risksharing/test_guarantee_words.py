"""A guarantee is asked, granted and refused in a guarantor's words (担保申请, 已同意担保, 已拒绝担保), not an
insurer's (核保, 承保, 拒保): in the notices the guarantor and the bank receive (and their e-mail copies) and in
the API's refusals, in Chinese and in English. An insurance request keeps the insurer's words."""

import pytest

from tests.api.helpers import client_for
from tests.factories import GuaranteeProductFactory, InsuranceProductFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

INSURER_WORDS = ("核保", "承保", "拒保", "保险", "Cover ")
GUARANTOR_WORDS = ("担保申请", "已同意担保", "已拒绝担保")


def ask(under_review, officer, product, field, language, capture):
    setattr(under_review, field, product)
    under_review.save(update_fields=[field])
    with capture(execute=True):
        response = client_for(officer).post(
            f"/api/v1/applications/{under_review.pk}/approve/",
            {"amount": "500000", "rate": "0.045", "term_months": 12},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 200, response.content


def decide(client, cover_id, move, body, language, capture):
    with capture(execute=True):
        return client.post(
            f"/api/v1/cover-requests/{cover_id}/{move}/", body, format="json", HTTP_ACCEPT_LANGUAGE=language
        )


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


@pytest.mark.parametrize(
    ("language", "asked", "accepted", "decided"),
    [
        ("zh-hans", "担保申请：", "已同意担保：", "该担保申请已处理（已同意担保）"),
        (
            "en",
            "Guarantee requested: ",
            "Guarantee accepted: ",
            "guarantee request is already decided (Guarantee accepted",
        ),
    ],
)
def test_the_guarantor_and_the_bank_read_a_guarantee_in_a_guarantors_words(
    under_review, officer, language, asked, accepted, decided, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    guarantee = GuaranteeProductFactory()
    underwriter = UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER)
    ask(under_review, officer, guarantee, "guarantee_product", language, capture)
    [told] = titles(underwriter)
    assert told.startswith(asked)
    assert under_review.reference in told

    guarantor = client_for(underwriter)
    [cover] = guarantor.get("/api/v1/cover-requests/").json()["results"]
    assert decide(guarantor, cover["id"], "accept", {}, language, capture).status_code == 200
    [told] = titles(officer)
    assert told.startswith(accepted)
    again = decide(guarantor, cover["id"], "accept", {}, language, capture)
    assert again.status_code == 409
    assert decided in again.json()["detail"]

    said = [*titles(underwriter), *titles(officer), again.json()["detail"]]
    assert not any(word in text for text in said for word in INSURER_WORDS), said


def test_the_guarantor_reads_a_declined_guarantee_and_its_lapse_in_its_words(
    under_review, officer, sme, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    guarantee = GuaranteeProductFactory()
    underwriter = UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER)
    ask(under_review, officer, guarantee, "guarantee_product", "zh-hans", capture)
    guarantor = client_for(underwriter)
    [cover] = guarantor.get("/api/v1/cover-requests/").json()["results"]
    assert decide(guarantor, cover["id"], "decline", {"reason": "反担保不足"}, "zh-hans", capture).status_code == 200
    [told] = titles(officer)
    assert told.startswith("已拒绝担保：")

    other = GuaranteeProductFactory()
    second = UserFactory(organisation=other.guarantor, role=Role.UNDERWRITER)
    with capture(execute=True):
        response = client_for(officer).post(
            "/api/v1/cover-requests/",
            {"application": under_review.pk, "kind": "guarantee", "product": other.pk},
            format="json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 201, response.content
    with capture(execute=True):
        client_for(sme).post(
            f"/api/v1/applications/{under_review.pk}/decline-offer/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    lapsed = titles(second)[-1]
    assert lapsed.startswith("担保申请随申请终止：")


def test_an_insurers_request_keeps_the_insurers_words(under_review, officer, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    insurance = InsuranceProductFactory()
    underwriter = UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER)
    ask(under_review, officer, insurance, "insurance_product", "zh-hans", capture)
    [told] = titles(underwriter)
    assert told.startswith("核保申请：")
    [cover] = client_for(underwriter).get("/api/v1/cover-requests/").json()["results"]
    decide(client_for(underwriter), cover["id"], "accept", {}, "zh-hans", capture)
    [told] = titles(officer)
    assert told.startswith("已承保：")
