"""What the layout needs on every page it frames, the site's error pages included: the caller's navigation and
unread count, read from the request so that no view has to pass them."""

from django import template
from django.urls import reverse

from tongzhirong.notifications.models import Notification

from ..landing import bank_book_counts, sme_counts
from ..pages import NAV, kind_of

register = template.Library()


def _person(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return request, (user if user is not None and user.is_authenticated else None)


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[dict]:
    request, user = _person(context)
    if user is None:
        return []
    items = []
    for name, label in NAV.get(kind_of(user), ()):
        url = reverse(name)
        items.append({"url": url, "label": label, "current": request.path == url})
    return items


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    _request, user = _person(context)
    if user is None:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@register.simple_tag(takes_context=True)
def landing_counts(context, side: str) -> dict:
    """The start page's figures for ``side`` ("sme" or "bank-book"), as the caller may see them."""
    _request, user = _person(context)
    if user is None:
        return {}
    return sme_counts(user=user) if side == "sme" else bank_book_counts(user=user)
