"""Reads of what scoring stored: the latest score, the latest valuations, the collateral they support.

Nothing here computes or writes: scores and valuations are made on submit, on the bank's rescore, on an
asset's registration and in the nightly batch (``scoring.services``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from tongzhirong.assets.models import IPAsset
from tongzhirong.core.money import to_yuan
from tongzhirong.financing.eligibility import assets_eligibility
from tongzhirong.financing.models import Application

from .models import ApplicationScore, AssetValuation


def latest_score_of_outer() -> QuerySet[ApplicationScore]:
    """The latest score of the outer query's application, for a subquery (``.values("band")[:1]``)."""
    return ApplicationScore.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id")


def latest_score(application: Application) -> ApplicationScore | None:
    """The application's latest score (the one the bank reviews), or None before it is scored."""
    return ApplicationScore.objects.filter(application=application).select_related("model_version").first()


def latest_valuations(asset_ids) -> dict[int, AssetValuation]:
    """Each asset's latest valuation, by asset id; an asset never valued is absent (one query)."""
    latest = AssetValuation.objects.filter(asset=OuterRef("asset")).order_by("-created_at", "-id").values("pk")[:1]
    rows = AssetValuation.objects.filter(asset_id__in=list(asset_ids), pk=Subquery(latest))
    return {v.asset_id: v for v in rows.select_related("model_version")}


def pledged_assets(application: Application) -> list[IPAsset]:
    """The application's pledged assets in a stable order, with what valuing and showing them reads."""
    return list(application.assets.select_related("owner").prefetch_related("co_owners").order_by("id"))


def application_collateral(application: Application) -> list[dict]:
    """Each pledged asset with its latest valuation (None before it is valued), as ``collateral_items``."""
    assets = pledged_assets(application)
    return collateral_items(application, assets, latest_valuations(a.pk for a in assets))


def collateral_items(
    application: Application, assets: list[IPAsset], valuations: dict[int, AssetValuation]
) -> list[dict]:
    """Each of ``assets`` with its valuation (P10/P50/P90, realisable value; None when absent), the product's
    pledge-rate cap for its type, why it cannot secure the loan (``ineligible``: the eligibility reasons while
    the application is still to be disbursed) and what it adds to the limit (P50 × cap; nothing unvalued and
    nothing ineligible)."""
    caps = {c.ip_type: c.max_pledge_rate for c in application.product.pledge_rate_caps.all()}
    why_not = {}
    if application.status not in Application.TERMINAL:
        why_not = assets_eligibility(
            assets=assets,
            product=application.product,
            enterprise_id=application.enterprise_id,
            term_months=application.approved_term_months or application.requested_term_months,
            application=application,
        )
    items = []
    for asset in assets:
        valuation, cap = valuations.get(asset.pk), caps.get(asset.ip_type, Decimal("0"))
        ineligible = [reason.message for reason in why_not.get(asset.pk, ())]
        counted = valuation is not None and not ineligible
        limit = to_yuan(valuation.p50 * cap) if counted else Decimal("0.00")
        items.append(
            {"asset": asset, "valuation": valuation, "pledge_rate_cap": cap, "limit": limit, "ineligible": ineligible}
        )
    return items


def collateral_limit(items: list[dict]) -> Decimal:
    """Σ over the pledged assets of P50 × the product's pledge-rate cap for the asset's type."""
    return sum((item["limit"] for item in items), Decimal("0.00"))
