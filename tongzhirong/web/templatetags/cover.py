"""The cover asked for an application, for the section the bank's and the firm's application pages share: what
the caller may see of it (``cover_request_list``) and, for the lending bank, what it may do next."""

from django import template

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.risksharing.models import LIVE_COVER_REQUEST, CoverKind
from tongzhirong.risksharing.selectors import cover_request_list
from tongzhirong.risksharing.services import COVERABLE, PRODUCT_FIELD, REQUIRED_FLAG

register = template.Library()

PRODUCTS = {CoverKind.INSURANCE: InsuranceProduct, CoverKind.GUARANTEE: GuaranteeProduct}


@register.simple_tag(takes_context=True)
def application_cover(context, application) -> dict:
    """The requests, newest first; for the lending bank after a decline or a withdrawal (nothing of that kind
    standing, the loan not yet disbursed), the other published products to ask and whether it may go without."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"requests": [], "next_steps": []}
    requests = list(cover_request_list(user=user).filter(application=application).order_by("-created_at", "-id"))
    next_steps = []
    if user.kind == OrganisationKind.BANK and application.status in COVERABLE:
        for kind in CoverKind.values:
            of_kind = [r for r in requests if r.kind == kind]
            if not of_kind or any(r.status in LIVE_COVER_REQUEST for r in of_kind):
                continue
            if getattr(application, f"{PRODUCT_FIELD[kind]}_id") is None:
                continue  # the bank went ahead without it
            next_steps.append(
                {
                    "kind": kind,
                    "last": of_kind[0],
                    "products": PRODUCTS[kind].objects.filter(is_active=True).order_by("name", "-version"),
                    "may_go_without": not getattr(application.product, REQUIRED_FLAG[kind]),
                }
            )
    return {"requests": requests, "next_steps": next_steps}
