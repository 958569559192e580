"""The city office's pools on its dashboard (issue 20, item 5): capacity as the fund stands, and the
what-if's figures in Chinese after the office asks for them."""

import pytest
from django.urls import reverse

from tests.risksharing.helpers import bank_officer, city_user, pool_for, registered_application, score_with
from tongzhirong.risksharing import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def city_with_pool():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, name="南通知识产权风险补偿资金池", fund="1000000.00", leverage="10")
    for amount, pd in (("3000000.00", "0.03"), ("2000000.00", "0.08")):
        application = registered_application(officer, amount=amount)
        services.pool_file(actor=officer, pool=pool, application=application)
        score_with(application, pd)
    return city, pool


def test_the_dashboard_lists_the_pool_with_its_capacity(client, city_with_pool):
    city, _ = city_with_pool
    client.force_login(city)
    page = client.get(reverse("web:city")).content.decode()
    assert "风险补偿资金池：容量与压力测试" in page
    assert 'data-yuan="10000000.00"' in page  # capacity: fund 1,000,000 × 10
    assert "压力测试" in page
    assert "模拟损失" not in page  # nothing simulated on reading the page


def test_the_office_runs_the_what_if_and_reads_its_figures(client, city_with_pool):
    city, pool = city_with_pool
    client.force_login(city)
    response = client.post(
        reverse("web:city"), {"pool": pool.pk, "correlation": "0.15", "target": "0.01", "recovery_rate": "0.2"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "模拟损失" in page
    # The fund bears 40% of 80% of each loan on default: 0.32 × (3,000,000 × 0.03 + 2,000,000 × 0.08).
    assert 'data-yuan="80000.00"' in page
    for words in ("预期损失", "资金池耗尽的概率", "所需追加出资", "最高放大倍数"):
        assert words in page


def test_a_refused_assumption_is_said_on_the_form(client, city_with_pool):
    city, pool = city_with_pool
    client.force_login(city)
    page = client.post(
        reverse("web:city"), {"pool": pool.pk, "correlation": "0.9", "target": "0.01", "recovery_rate": "0.2"}
    ).content.decode()
    assert "相关系数应在0.01至0.5之间。" in page
    assert "模拟损失" not in page


def test_another_city_office_sees_no_pool_it_does_not_run(client, city_with_pool):
    _, pool = city_with_pool
    client.force_login(city_user())
    assert "风险补偿资金池：容量与压力测试" not in client.get(reverse("web:city")).content.decode()
    response = client.post(
        reverse("web:city"), {"pool": pool.pk, "correlation": "0.15", "target": "0.01", "recovery_rate": "0.2"}
    )
    assert response.status_code == 404
