"""Feature rows for the models, built from the platform's records.

The same names as ``scoring.ml.schema`` and the synthetic generator, so the default models score real
records. Dates are measured at ``as_of`` (today in Asia/Shanghai by default), in whole months.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
from django.db.models import F, FloatField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Left, Upper
from django.utils import timezone

from scoring.lookups import FloatCast, IntCoalesce, JSONArrayLength
from scoring.ml.schema import CONFLICT_PREFIX, FILING_PREFIX, RISK_FEATURE_NAMES
from scoring.ml.synthetic import expected_citations
from tongzhirong.assets.models import IPAsset, LegalStatus, statutory_expiry
from tongzhirong.core.reference import PATENT_TYPES
from tongzhirong.facts.selectors import CurrentFact

DEFAULT_LIFE_YEARS = 30.0  # trademarks renew indefinitely, copyrights run decades: treat as long


def _years(start: dt.date | None, end: dt.date) -> float | None:
    """Whole calendar months from ``start`` to ``end`` (rounded down; negative when ``end`` is earlier),
    in years to two decimals. In months rather than days so that an asset's or a firm's inputs change
    once a month, not every day: the nightly rescore then finds most inputs, and so most valuations and
    scores, unchanged instead of writing new rows for a quarter of the assets each night."""
    if start is None:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return round(months / 12, 2)


# Columns of an asset that its features read as they are; ``asset_features_from_values`` takes them as
# a mapping, with the ``asset_read_expressions`` (what it needs of the JSON lists and of the licence
# revenue), ``cluster`` (the owner's) and ``co_owner_consent_missing``, so a batch reads plain rows.
ASSET_COLUMNS = (
    "ip_type",
    "filing_date",
    "expiry_date",
    "legal_status",
    "annual_fee_paid_through",
    "invalidation_pending",
    "ownership_dispute",
    "court_preservation",
    "licence_count",
    "claims_count",
    "forward_citations",
    "backward_citations",
    "family_size",
    "overseas_family_members",
    "award",
    "renewals",
    "well_known",
)


def asset_read_expressions(prefix: str = "") -> dict[str, Any]:
    """Computed by the database for a batch read (``prefix`` is the path to the asset, e.g. ``asset__``):
    the IPC section and the sizes of the two JSON lists instead of the lists, and the licence revenue as
    a float (and the sales under the right), so no JSON is decoded and no ``Decimal`` is built per row."""
    return {
        "ipc_section": Upper(Left(KeyTextTransform("0", f"{prefix}ipc_classes"), 1)),
        "ipc_class_count": IntCoalesce(JSONArrayLength(F(f"{prefix}ipc_classes")), 0),
        "nice_class_count": IntCoalesce(JSONArrayLength(F(f"{prefix}nice_classes")), 0),
        "licence_revenue": FloatCast(F(f"{prefix}licence_revenue"), FloatField()),
        "use_revenue": FloatCast(F(f"{prefix}use_revenue"), FloatField()),
    }


# Application columns (``values()`` paths) that ``application_features_from_values`` reads, with the
# ``APPLICATION_READ_EXPRESSIONS`` (money it uses as floats, read as floats).
APPLICATION_COLUMNS = {
    "requested_amount": "requested_amount",
    "term_months": "requested_term_months",
    "insurance_product_id": "insurance_product_id",
    "guarantee_product_id": "guarantee_product_id",
    "requires_insurance": "product__requires_insurance",
    "requires_guarantee": "product__requires_guarantee",
    "founded_on": "enterprise__founded_on",
    "overdue_events_24m": "enterprise__overdue_events_24m",
    "max_days_past_due_24m": "enterprise__max_days_past_due_24m",
    "has_court_enforcement": "enterprise__has_court_enforcement",
    "tax_credit_grade": "enterprise__tax_credit_grade",
    "is_high_tech": "enterprise__is_high_tech",
    "is_specialised": "enterprise__is_specialised",
    "cluster": "enterprise__cluster",
    "enterprise_id": "enterprise_id",
}
APPLICATION_READ_EXPRESSIONS = {
    "annual_revenue": FloatCast(F("enterprise__annual_revenue"), FloatField()),
    "existing_debt": FloatCast(F("enterprise__existing_debt"), FloatField()),
}


def asset_features(asset: IPAsset, *, as_of: dt.date | None = None, cluster: str | None = None) -> dict[str, Any]:
    values = {name: getattr(asset, name) for name in ASSET_COLUMNS}
    ipc_classes, nice_classes = asset.ipc_classes or [], asset.nice_classes or []
    values["ipc_section"] = ipc_classes[0][:1].upper() if ipc_classes else None
    values["ipc_class_count"] = len(ipc_classes)
    values["nice_class_count"] = len(nice_classes)
    values["licence_revenue"] = float(asset.licence_revenue)
    values["use_revenue"] = float(asset.use_revenue)
    values["cluster"] = cluster if cluster is not None else asset.owner.cluster
    values["co_owner_consent_missing"] = any(not c.consent_given for c in asset.co_owners.all())
    return asset_features_from_values(values, as_of=as_of or timezone.localdate())


def asset_features_from_values(asset: Mapping[str, Any], *, as_of: dt.date) -> dict[str, Any]:
    """The value model's features of one asset given its ``ASSET_COLUMNS``, the keys of
    ``asset_read_expressions``, ``cluster`` (its owner's) and ``co_owner_consent_missing``."""
    return asset_feature_rows({key: (value,) for key, value in asset.items()}, as_of=as_of)[0]


ASSET_FEATURE_NAMES = (
    "ip_type",
    "cluster",
    "legal_status",
    "age_years",
    "remaining_life_years",
    "claims_count",
    "forward_citations",
    "citations_cohort_ratio",
    "backward_citations",
    "family_size",
    "overseas_family_members",
    "ipc_class_count",
    "licence_count",
    "licence_revenue",
    "has_award",
    "award",
    "nice_class_count",
    "renewals",
    "use_revenue",
    "well_known",
    "invalidation_pending",
    "ownership_dispute",
    "court_preservation",
    "co_owner_consent_missing",
    "annual_fee_overdue",
)


def _by_distinct(function, keys: Sequence) -> list:
    """``[function(*key) for key in keys]``, calling it once per distinct key: the features that follow from the
    dates depend on a few thousand distinct dates among a batch's hundred thousand rows."""
    done = {key: function(*key) for key in set(keys)}
    return [done[key] for key in keys]


def asset_feature_rows(assets: Mapping[str, Sequence[Any]], *, as_of: dt.date) -> list[dict[str, Any]]:
    """``asset_features_from_values`` of many assets, given by column (the same keys, a sequence of one value per
    asset each), in their order. Column by column rather than asset by asset: the date arithmetic once per
    distinct date, the rest in one pass per column, and each asset's dict made once at the end."""
    ip_type, filing = assets["ip_type"], assets["filing_date"]
    patent = [t in PATENT_TYPES for t in ip_type]
    age = _by_distinct(lambda filed: max(_years(filed, as_of) or 0.0, 0.0), [(f,) for f in filing])
    # By the expiry date (the statutory one where none is recorded): a few thousand distinct dates, where the
    # (type, filing, expiry) triples of a batch are nearly all distinct.
    expiry = [
        recorded or statutory_expiry(kind, filed)
        for kind, filed, recorded in zip(ip_type, filing, assets["expiry_date"], strict=True)
    ]
    life = _by_distinct(lambda until: _years(as_of, until) if until else DEFAULT_LIFE_YEARS, [(e,) for e in expiry])
    section = [(s or "") if p else "" for s, p in zip(assets["ipc_section"], patent, strict=True)]
    # The cohort's expected citations stand in for its mean, so a count is read against its peers even
    # when the platform holds few patents of that filing year and field.
    ratio = _by_distinct(_citations_ratio, list(zip(section, age, assets["forward_citations"], strict=True)))
    status = assets["legal_status"]
    overdue = [
        bool(p and s == LegalStatus.VALID and paid and paid < as_of)
        for p, s, paid in zip(patent, status, assets["annual_fee_paid_through"], strict=True)
    ]
    columns = {
        "ip_type": ip_type,
        "cluster": assets["cluster"],
        "legal_status": status,
        "age_years": age,
        "remaining_life_years": life,
        "citations_cohort_ratio": ratio,
        "has_award": [int(bool(a)) for a in assets["award"]],
        "well_known": [int(bool(w)) for w in assets["well_known"]],
        "co_owner_consent_missing": [bool(c) for c in assets["co_owner_consent_missing"]],
        "annual_fee_overdue": overdue,
    }
    ordered = [columns[name] if name in columns else assets[name] for name in ASSET_FEATURE_NAMES]
    return [dict(zip(ASSET_FEATURE_NAMES, row, strict=True)) for row in zip(*ordered, strict=True)]


def _citations_ratio(section: str, age: float, forward: int) -> float:
    return round(forward / max(expected_citations(section, age), 0.5), 4) if section else 0.0


def application_features(application, valuations: list, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Risk features of an application; ``valuations`` are the current valuations of its assets."""
    firm, product = application.enterprise, application.product
    values = {
        "requested_amount": application.requested_amount,
        "term_months": application.requested_term_months,
        "insurance_product_id": application.insurance_product_id,
        "guarantee_product_id": application.guarantee_product_id,
        "requires_insurance": product.requires_insurance,
        "requires_guarantee": product.requires_guarantee,
        "annual_revenue": float(firm.annual_revenue),
        "existing_debt": float(firm.existing_debt),
        **{
            key: getattr(firm, path.removeprefix("enterprise__"))
            for key, path in APPLICATION_COLUMNS.items()
            if path.startswith("enterprise__")
        },
    }
    return application_features_from_values(
        values, [(v.p50, v.inputs) for v in valuations], as_of=as_of or timezone.localdate()
    )


def application_features_from_values(
    application: Mapping[str, Any], collateral: list[tuple[Decimal, dict]], *, as_of: dt.date
) -> dict[str, Any]:
    """Risk features from the keys of ``APPLICATION_COLUMNS`` and the (P50, asset features) of each
    pledged asset's current valuation."""
    return application_feature_rows({key: (value,) for key, value in application.items()}, [collateral], as_of=as_of)[0]


def application_feature_rows(
    applications: Mapping[str, Sequence[Any]],
    collateral: Sequence[Sequence[tuple[Decimal, Mapping]]],
    *,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    """``application_features_from_values`` of many applications, given by column (the keys of
    ``APPLICATION_COLUMNS``, a sequence of one value per application each) with each one's collateral, in their
    order; column by column, as ``asset_feature_rows``."""
    revenue = applications["annual_revenue"]
    pledge_rate, min_life, invention_share = [], [], []
    for amount, pledged in zip(applications["requested_amount"], collateral, strict=True):
        value = sum((p50 for p50, _ in pledged), Decimal("0"))
        pledge_rate.append(round(float(amount / value), 4) if value > 0 else None)
        min_life.append(min((a["remaining_life_years"] for _, a in pledged), default=None))
        invention_share.append(
            round(sum(a["ip_type"] == "invention_patent" for _, a in pledged) / len(pledged), 4) if pledged else None
        )
    columns = {
        "firm_age_years": _by_distinct(
            lambda founded: _years(founded, as_of), [(f,) for f in applications["founded_on"]]
        ),
        "annual_revenue": revenue,
        "debt_ratio": [
            round(debt / r, 4) if r > 0 else None
            for debt, r in zip(applications["existing_debt"], revenue, strict=True)
        ],
        "overdue_events_24m": applications["overdue_events_24m"],
        "max_days_past_due_24m": applications["max_days_past_due_24m"],
        "has_court_enforcement": [int(c) for c in applications["has_court_enforcement"]],
        "tax_credit_grade": applications["tax_credit_grade"],
        "is_high_tech": [int(h) for h in applications["is_high_tech"]],
        "is_specialised": [int(s) for s in applications["is_specialised"]],
        "cluster": applications["cluster"],
        "pledge_rate": pledge_rate,
        "term_months": applications["term_months"],
        "insured_or_guaranteed": [
            int(bool(i or g or ri or rg))
            for i, g, ri, rg in zip(
                applications["insurance_product_id"],
                applications["guarantee_product_id"],
                applications["requires_insurance"],
                applications["requires_guarantee"],
                strict=True,
            )
        ],
        "collateral_min_life_years": min_life,
        "invention_share": invention_share,
        "collateral_count": [len(pledged) for pledged in collateral],
    }
    ordered = [columns[name] for name in RISK_FEATURE_NAMES]
    return [dict(zip(RISK_FEATURE_NAMES, row, strict=True)) for row in zip(*ordered, strict=True)]


def input_hash(inputs: dict[str, Any]) -> str:
    """SHA-256 of the inputs as compact JSON with sorted keys (orjson rather than ``json.dumps``, since the
    batch path hashes every asset and application). Values JSON does not know (a date, a
    ``Decimal``) hash as their text. Migration ``scoring/0004`` rehashed the rows stored before."""
    return hashlib.sha256(_input_json(inputs)).hexdigest()


def _input_json(value: Any) -> bytes:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS)


def inputs_hashed(many: Sequence[dict[str, Any]], shared: str = "provenance") -> list[tuple[bytes, str]]:
    """(the JSON ``input_hash`` hashes, that hash) of each of many inputs: the same bytes and hash, made faster. The
    value under ``shared`` that several inputs hold as one object (every firm with no fact on file has the same
    provenance, about two thirds of an application's JSON) is encoded once and spliced in (``orjson.Fragment``)
    instead of once per row. The JSON is also what the batch stores: a score row's inputs are not encoded twice."""
    fragments: dict[int, orjson.Fragment] = {}
    hashed = []
    for inputs in many:
        value = inputs.get(shared)
        if isinstance(value, dict):
            fragment = fragments.get(id(value))  # the objects outlive the loop: an id stays theirs
            if fragment is None:
                fragment = fragments[id(value)] = orjson.Fragment(_input_json(value))
            inputs = {**inputs, shared: fragment}
        encoded = _input_json(inputs)
        hashed.append((encoded, hashlib.sha256(encoded).hexdigest()))
    return hashed


# The facts behind each input the firm's side decides: an input is verified when every fact behind it is.
# Revenue and cluster have no source yet; the other inputs are the application's own terms and its collateral
# as the applicant registered it (declared until the IP register's feed confirms the assets).
FEATURE_FACTS: dict[str, tuple[str, ...]] = {
    "firm_age_years": ("founded_on",),
    "annual_revenue": ("annual_revenue",),
    "debt_ratio": ("existing_debt", "annual_revenue"),
    "overdue_events_24m": ("overdue_events_24m",),
    "max_days_past_due_24m": ("max_days_past_due_24m",),
    "has_court_enforcement": ("has_court_enforcement",),
    "tax_credit_grade": ("tax_credit_grade",),
    "is_high_tech": ("is_high_tech",),
    "is_specialised": ("is_specialised",),
    "cluster": ("cluster",),
}
TERMS = frozenset({"pledge_rate", "term_months", "insured_or_guaranteed"})
VERIFIED, DECLARED, APPLICATION_TERMS = "verified", "declared", "terms"


def input_provenance(facts: Mapping[str, CurrentFact]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(provenance, conflicts) of a firm's inputs from what is known of it now (``current_facts``).

    ``provenance["inputs"]`` says per risk input verified, declared or terms; ``provenance["facts"]`` per fact
    behind them the source, its reference, when observed and the fact's id (and ``disputed`` while the firm
    disputes it), or "declared". ``conflicts`` names every fact the firm declared otherwise than its source
    says, with both values: a warning to the bank whatever the model makes of it."""
    sources: dict[str, Any] = {}
    for name in sorted({n for names in FEATURE_FACTS.values() for n in names}):
        current = facts.get(name)
        fact = current.verified if current is not None else None
        if fact is None:
            sources[name] = DECLARED
            continue
        sources[name] = {
            "source": fact.source,
            "reference": fact.reference,
            "observed_at": fact.observed_at.isoformat(),
            "fact": fact.pk,
        }
        if current.open_dispute is not None:
            sources[name]["disputed"] = True
    inputs = {}
    for feature in RISK_FEATURE_NAMES:
        if feature in TERMS:
            inputs[feature] = APPLICATION_TERMS
        elif feature in FEATURE_FACTS and all(sources[n] != DECLARED for n in FEATURE_FACTS[feature]):
            inputs[feature] = VERIFIED
        else:
            inputs[feature] = DECLARED
    conflicts = {
        name: {"declared": c.declared.value, "verified": c.verified.value, "source": c.verified.source}
        for name, c in sorted(facts.items())
        if c.conflict
    }
    return {"inputs": inputs, "facts": sources}, conflicts


def conflict_reasons(conflicts: Mapping[str, Any]) -> list[list]:
    """The score's reasons for the conflicts, stored packed as the model's are (``[feature, pd_impact]``)."""
    return [[f"{CONFLICT_PREFIX}{name}", 0.0] for name in conflicts]


def filing_reasons(inputs: Mapping[str, Any]) -> list[list]:
    """The score's reasons for the live filing flags on the firm and its pledged assets (packed, as above)."""
    return [[f"{FILING_PREFIX}{code}", 0.0] for code in sorted({f["code"] for f in inputs.get("filing_flags") or ()})]


def score_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from one score to the next, each as ``[before, after]``: band, PD, points, the model
    version, each risk input's value and provenance, and the conflicts. ``before`` and ``after`` carry
    ``inputs``, ``band``, ``pd``, ``points`` and ``model_version``; the first score has no ``before``."""
    if before is None:
        return {"band": [None, after["band"]], "pd": [None, str(after["pd"])]}
    changes: dict[str, Any] = {}
    for key in ("band", "model_version"):
        if before[key] != after[key]:
            changes[key] = [before[key], after[key]]
    for key in ("pd", "points"):  # Decimals, as text
        if before[key] != after[key]:
            changes[key] = [str(before[key]), str(after[key])]
    old, new = before["inputs"], after["inputs"]
    values = {f: [old.get(f), new.get(f)] for f in RISK_FEATURE_NAMES if old.get(f) != new.get(f)}
    if values:
        changes["inputs"] = values
    old_p = (old.get("provenance") or {}).get("inputs", {})
    new_p = (new.get("provenance") or {}).get("inputs", {})
    provenance = {f: [old_p.get(f), new_p.get(f)] for f in RISK_FEATURE_NAMES if old_p.get(f) != new_p.get(f)}
    if provenance:
        changes["provenance"] = provenance
    if (old.get("conflicts") or {}) != (new.get("conflicts") or {}):
        changes["conflicts"] = [sorted(old.get("conflicts") or {}), sorted(new.get("conflicts") or {})]
    old_f = sorted({f["code"] for f in old.get("filing_flags") or ()})
    new_f = sorted({f["code"] for f in new.get("filing_flags") or ()})
    if old_f != new_f:
        changes["filing_flags"] = [old_f, new_f]
    return changes
