"""Feature rows for the models, built from the platform's records.

The same names as ``scoring.ml.schema`` and the synthetic generator, so the default models score real
records. Dates are measured at ``as_of`` (today in Asia/Shanghai by default).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.synthetic import expected_citations
from tongzhirong.assets.models import IPAsset, LegalStatus, statutory_expiry
from tongzhirong.core.reference import PATENT_TYPES

DEFAULT_LIFE_YEARS = 30.0  # trademarks renew indefinitely, copyrights run decades: treat as long


def _years(start: dt.date | None, end: dt.date) -> float | None:
    return None if start is None else round((end - start).days / 365.25, 2)


def asset_features(asset: IPAsset, *, as_of: dt.date | None = None, cluster: str | None = None) -> dict[str, Any]:
    as_of = as_of or timezone.localdate()
    age = max(_years(asset.filing_date, as_of) or 0.0, 0.0)
    expiry = asset.expiry_date or statutory_expiry(asset.ip_type, asset.filing_date)
    life = _years(as_of, expiry) if expiry else DEFAULT_LIFE_YEARS
    section = (asset.ipc_classes[0][:1].upper() if asset.ipc_classes else "") if asset.ip_type in PATENT_TYPES else ""
    # The cohort's expected citations stand in for its mean, so a count is read against its peers even
    # when the platform holds few patents of that filing year and field.
    cohort_mean = expected_citations(section, age)
    co_owners = list(asset.co_owners.all())
    return {
        "ip_type": asset.ip_type,
        "cluster": cluster if cluster is not None else asset.owner.cluster,
        "legal_status": asset.legal_status,
        "age_years": age,
        "remaining_life_years": life,
        "claims_count": asset.claims_count,
        "forward_citations": asset.forward_citations,
        "citations_cohort_ratio": round(asset.forward_citations / max(cohort_mean, 0.5), 4) if section else 0.0,
        "backward_citations": asset.backward_citations,
        "family_size": asset.family_size,
        "overseas_family_members": asset.overseas_family_members,
        "ipc_class_count": len(asset.ipc_classes or []),
        "licence_count": asset.licence_count,
        "licence_revenue": float(asset.licence_revenue),
        "has_award": int(bool(asset.award)),
        "award": asset.award,
        "nice_class_count": len(asset.nice_classes or []),
        "renewals": asset.renewals,
        "invalidation_pending": asset.invalidation_pending,
        "ownership_dispute": asset.ownership_dispute,
        "court_preservation": asset.court_preservation,
        "co_owner_consent_missing": any(not c.consent_given for c in co_owners),
        "annual_fee_overdue": bool(
            asset.ip_type in PATENT_TYPES
            and asset.legal_status == LegalStatus.VALID
            and asset.annual_fee_paid_through
            and asset.annual_fee_paid_through < as_of
        ),
    }


def application_features(application, valuations: list, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Risk features of an application; ``valuations`` are the current valuations of its assets."""
    as_of = as_of or timezone.localdate()
    firm = application.enterprise
    revenue = float(firm.annual_revenue)
    collateral = sum((v.p50 for v in valuations), Decimal("0"))
    assets = [v.inputs for v in valuations]
    insured = bool(
        application.insurance_product_id
        or application.guarantee_product_id
        or application.product.requires_insurance
        or application.product.requires_guarantee
    )
    row = {
        "firm_age_years": _years(firm.founded_on, as_of),
        "annual_revenue": revenue,
        "debt_ratio": round(float(firm.existing_debt) / revenue, 4) if revenue > 0 else None,
        "overdue_events_24m": firm.overdue_events_24m,
        "max_days_past_due_24m": firm.max_days_past_due_24m,
        "has_court_enforcement": int(firm.has_court_enforcement),
        "tax_credit_grade": firm.tax_credit_grade,
        "is_high_tech": int(firm.is_high_tech),
        "is_specialised": int(firm.is_specialised),
        "cluster": firm.cluster,
        "pledge_rate": round(float(application.requested_amount / collateral), 4) if collateral > 0 else None,
        "term_months": application.requested_term_months,
        "insured_or_guaranteed": int(insured),
        "collateral_min_life_years": min((a["remaining_life_years"] for a in assets), default=None),
        "invention_share": round(sum(a["ip_type"] == "invention_patent" for a in assets) / len(assets), 4)
        if assets
        else None,
        "collateral_count": len(assets),
    }
    return {name: row[name] for name in RISK_FEATURE_NAMES}


def input_hash(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
