"""The start page, signing in and out, and notifications: the pages every side shares."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.notifications.selectors import notification_list
from tongzhirong.notifications.services import notification_mark_read

from .pages import CITY_WIDE, kind_of, page, posted

DEMO_ACCOUNTS = (
    "demo-sme", "demo-bank-officer", "demo-bank-checker", "demo-insurer", "demo-guarantor", "demo-appraiser",
    "demo-city", "demo-admin",
)  # fmt: skip

ROLE_HOME = {
    OrganisationKind.SME: "web:sme",
    OrganisationKind.BANK: "web:bank-queue",
    OrganisationKind.INSURER: "web:provider",
    OrganisationKind.GUARANTOR: "web:provider",
    OrganisationKind.APPRAISER: "web:appraiser",
    **dict.fromkeys(CITY_WIDE, "web:city"),
}


def home(request):
    """Signed in: the caller's own start page. Otherwise the product's front door with the sign-in."""
    if request.user.is_authenticated:
        target = ROLE_HOME.get(kind_of(request.user))
        if target:
            return redirect(target)
        return page(request, "web/partner.html")
    demo = settings.ENVIRONMENT != "production"
    return render(request, "home.html", {"demo": demo, "demo_accounts": DEMO_ACCOUNTS})


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@login_required
def notifications(request):
    if request.method == "POST":
        item = posted(request, notification_list(user=request.user), "id")
        notification_mark_read(actor=request.user, notification=item)
        return redirect("web:notifications")
    return page(request, "web/notifications.html", {"items": notification_list(user=request.user)[:100]})
