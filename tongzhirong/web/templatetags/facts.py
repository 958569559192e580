"""The facts and filing flags a page shows beside an asset or an application, read where the template needs them
(as the layout's own tags read the navigation), so that a view does not have to pass them."""

from django import template

from ..facts_panel import facts_panel
from ..filing_flags import filing_flag_items

register = template.Library()


@register.inclusion_tag("web/_filing_flags.html")
def asset_filing_flags(asset) -> dict:
    """The live flags on ``asset``, and those about its owner's filing of this kind of right."""
    return {
        "filing_flags": filing_flag_items(enterprise_id=asset.owner_id, asset_ids=[asset.pk], ip_types=[asset.ip_type])
    }


@register.inclusion_tag("web/_filing_flags.html")
def application_filing_flags(application, collateral) -> dict:
    """The live flags on the rights an application pledges (``collateral``: its rows) and about the firm's filing."""
    asset_ids = [row["asset"].pk for row in collateral]
    return {"filing_flags": filing_flag_items(enterprise_id=application.enterprise_id, asset_ids=asset_ids)}


@register.inclusion_tag("web/_facts_panel.html", takes_context=True)
def applicant_facts(context, application) -> dict:
    """What the sources say about the applicant and its disputes, as far as the reader may see them."""
    return {"facts_panel": facts_panel(user=context["request"].user, enterprise=application.enterprise)}
