"""Notifications as a page (issue 18, item 7): paged, marked read all at once, each linked to what it is about."""

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.services import notify_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return UserFactory()


def notices(user, n):
    Notification.objects.bulk_create(Notification(recipient=user, title=f"notice {i}") for i in range(n))


def test_the_notifications_are_paged_with_their_total(client, person):
    notices(person, 30)
    client.force_login(person)
    page = client.get(reverse("web:notifications")).content.decode()
    assert page.count("notice ") == 25
    assert "30 in all" in page
    second = client.get(reverse("web:notifications"), {"page": "2"}).content.decode()
    assert second.count("notice ") == 5


def test_mark_all_read_reads_the_readers_notices_only(client, person):
    other = UserFactory()
    notices(person, 3)
    notices(other, 2)
    client.force_login(person)
    assert "Mark all 3 read" in client.get(reverse("web:notifications")).content.decode()
    response = client.post(reverse("web:notifications"), {"action": "read-all"}, follow=True)
    assert "3 notices marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=person, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_a_notice_about_an_application_links_to_its_page_for_the_reader(client):
    application = ApplicationFactory()
    checker = UserFactory(organisation=application.product.bank, role=Role.BANK_CHECKER)
    notify_users(users=[checker], title="APP awaits your check", subject=application)
    client.force_login(checker)
    page = client.get(reverse("web:notifications")).content.decode()
    assert f'<a href="{reverse("web:bank-application", args=[application.pk])}">' in page
