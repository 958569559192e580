"""What every page shares: who may open it, the navigation for the caller's side, and running a service so
that its refusal reaches the person as a form error or a message in their language."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed

CITY_WIDE = (OrganisationKind.CITY_OFFICE, OrganisationKind.PLATFORM)

NAV = {
    OrganisationKind.SME: (
        ("web:sme", _("Overview")),
        ("web:sme-assets", _("IP assets")),
        ("web:sme-matches", _("Products")),
        ("web:sme-apply", _("Apply")),
        ("web:sme-subsidies", _("Subsidies")),
        ("web:sme-auctions", _("IP auctions")),
    ),
    OrganisationKind.BANK: (
        ("web:bank-queue", _("Review queue")),
        ("web:bank-loans", _("Loan book")),
        ("web:bank-disposal", _("Disposal desk")),
        ("web:bank-risk-models", _("Risk models")),
    ),
    OrganisationKind.INSURER: (("web:provider", _("Policies and claims")),),
    OrganisationKind.GUARANTOR: (("web:provider", _("Guarantees and claims")),),
    OrganisationKind.APPRAISER: (("web:appraiser", _("Appraised loans")),),
    OrganisationKind.CITY_OFFICE: (
        ("web:city", _("Dashboard")),
        ("web:city-subsidies", _("Subsidy claims")),
        ("web:city-policies", _("Subsidy policies")),
    ),
    OrganisationKind.PLATFORM: (
        ("web:city", _("Dashboard")),
        ("web:bank-queue", _("Applications")),
        ("web:city-subsidies", _("Subsidy claims")),
        ("web:platform-disputes", _("Disputed facts")),
    ),
}


def kind_of(user) -> str | None:
    return OrganisationKind.PLATFORM if user.is_superuser else user.kind


def for_kinds(*kinds: str):
    """The page is for signed-in people of these organisation kinds, by the services' own rule (``require``); a
    superuser counts as the platform (``kind_of``). Anyone else gets 403."""
    platform_page = OrganisationKind.PLATFORM in kinds

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            superuser = request.user.is_superuser
            try:
                require(request.user, kinds=() if superuser else kinds, superuser_ok=platform_page)
            except PermissionDenied as refused:
                raise DjangoPermissionDenied from refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def page(request, template: str, context: dict | None = None, status: int = 200):
    """A page in the site's layout (its navigation and unread count come from the ``site`` template tags)."""
    return render(request, template, context or {}, status=status)


def refused_filters(request, errors: dict, labels: dict, summary: str) -> None:
    """Say why a list's filters were refused (an API filter input's ``errors``): ``summary``, then each
    problem named by its filter's label."""
    messages.error(request, summary)
    for field, problems in errors.items():
        label = labels.get(field, field)
        for problem in problems:
            messages.error(request, gettext("%(filter)s: %(problem)s") % {"filter": label, "problem": problem})


def attempt(request, action, form=None) -> bool:
    """Run ``action`` (a service call). A refusal becomes field errors on ``form`` where it names a field of
    it, and a message otherwise. True when the action went through."""
    try:
        action()
    except ValidationFailed as exc:
        for field, problems in exc.errors.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                if form is not None and field in form.fields:
                    form.add_error(field, str(problem))
                else:
                    messages.error(request, f"{problem}")
        return False
    except InvalidTransition as exc:
        if "from_status" not in exc.extra:  # a service's own refusal, written for people
            messages.error(request, exc.detail)
            return False
        # The state machine's detail is for developers ("… cannot go from approved to approved"); a person meets it
        # after a second click or from a page opened before someone else moved the object on.
        messages.error(request, _("This step is not possible in the current status; the page shows it as it is now."))
        return False
    except DomainError as exc:
        messages.error(request, exc.detail)
        return False
    return True


def posted(request, queryset, field: str):
    """The object of ``queryset`` whose id the form posted as ``field``: 404 when it is missing, is not a
    number, or is not among the caller's."""
    value = request.POST.get(field, "")
    if not value.isdigit():
        raise Http404
    return get_object_or_404(queryset, pk=int(value))
