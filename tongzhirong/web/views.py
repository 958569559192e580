"""The start page, signing in and out, and notifications: the pages every side shares."""

from __future__ import annotations

import io
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongzhirong.core.throttling import ScopedRateThrottle
from tongzhirong.financing.selectors import application_list, filing_package_pdf
from tongzhirong.notifications.selectors import notification_list
from tongzhirong.notifications.services import notification_mark_read, notifications_mark_all_read

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


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's): the site's icon, not a 404."""
    return redirect(static("web/favicon.svg"), permanent=True)


class LoginView(auth_views.LoginView):
    """Sign-in attempts count against the API token endpoint's "auth" rate from the same client address, so
    neither door is a way round the other's limit (lockouts per username and address are django-axes')."""

    template_name = "web/login.html"
    redirect_authenticated_user = True
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        throttle = ScopedRateThrottle()
        if throttle.allow_request(request, self):
            return super().post(request, *args, **kwargs)
        wait = max(1, math.ceil(throttle.wait() or 1))
        # Unbound: a bound AuthenticationForm would check the password (and count a failure) to show its errors.
        form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
        refusal = _("Too many sign-in attempts from your address: try again in %(seconds)s seconds.") % {
            "seconds": wait
        }
        response = self.render_to_response(self.get_context_data(form=form, refusal=refusal), status=429)
        response["Retry-After"] = str(wait)
        return response


@login_required
def notifications(request):
    if request.method == "POST":
        if request.POST.get("action") == "read-all":
            count = notifications_mark_all_read(actor=request.user)
            done = ngettext("%(count)s notice marked read.", "%(count)s notices marked read.", count)
            messages.success(request, done % {"count": count})
        else:
            item = posted(request, notification_list(user=request.user), "id")
            notification_mark_read(actor=request.user, notification=item)
        return redirect("web:notifications")
    pages = Paginator(notification_list(user=request.user), 25)
    current = pages.get_page(request.GET.get("page"))
    kind = kind_of(request.user)
    items = [(notice, notice_link(notice, kind)) for notice in current.object_list]
    return page(request, "web/notifications.html", {"page_obj": current, "items": items})


# Where a notice about an application or a loan is read, by the reader's side.
NOTICE_PAGES = {
    ("financing", "application"): {
        OrganisationKind.BANK: "web:bank-application",
        OrganisationKind.SME: "web:sme-application",
        OrganisationKind.PLATFORM: "web:bank-application",
    },
    ("financing", "loan"): {OrganisationKind.BANK: "web:bank-loan", OrganisationKind.SME: "web:sme-loan"},
}


def notice_link(notice, kind: str | None) -> str | None:
    """The page of the notice's subject (a status change's object, or the subject it names) for the reader."""
    if notice.status_change_id:
        change = notice.status_change
        content_type, object_id = change.content_type, change.object_id
    elif notice.subject_type_id:
        content_type, object_id = notice.subject_type, notice.subject_id
    else:
        return None
    name = NOTICE_PAGES.get((content_type.app_label, content_type.model), {}).get(kind)
    return reverse(name, args=[object_id]) if name else None


@login_required
def package_pdf(request, pk: int):
    """The filing package's PDF, the bytes both parties sign, for the pledgor and the pledgee: a registry's current
    version, or ``?version=`` an earlier one. Shown in the browser (its PDF viewer saves it)."""
    item = get_object_or_404(application_list(user=request.user), pk=pk)
    version = request.GET.get("version", "")
    if version and not version.isdigit():
        raise Http404
    try:
        package = filing_package_pdf(
            user=request.user,
            application=item,
            registry=request.GET.get("registry") or None,
            version=int(version) if version else None,
        )
    except PermissionDenied as refused:
        raise DjangoPermissionDenied from refused
    except (NotFound, ValidationFailed) as missing:
        raise Http404 from missing
    return FileResponse(
        io.BytesIO(bytes(package.pdf)),
        content_type="application/pdf",
        filename=f"{item.reference}-{package.registry}-v{package.version}.pdf",
    )
