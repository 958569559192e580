"""Keeping an enterprise's abnormal-filing and bad-faith-trademark flags current: read its register records (its
IP assets and the register's facts about them) and those of its related parties, compute the signals
(``tongzhirong.facts.filing``) and store them as ``FilingFlag`` rows with their evidence. A flag no longer found
is cleared; one whose evidence changed is cleared and raised again, so each row says what was seen when.

Run by a task after an asset is registered, corrected or imported, after the notified list is imported, and
every night; never on a read. Related parties are firms linked by co-ownership: one names the other, by its
unified social credit code, as a co-owner of a right."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.models import CoOwner, FilingFlag, IPAsset
from tongzhirong.core import identifiers as ids
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.enterprises.models import Enterprise

from . import filing
from .models import Fact
from .services import fact_record

# The register's facts about an asset that the signals read, by fact name (``tongzhirong.facts.catalogue``).
ABSTRACT, TRANSFERRED_ON, NOTIFIED, IN_USE = (
    "abstract",
    "transferred_on",
    "abnormal_filing_notified",
    "trademark_in_use",
)
SIGNAL_FACTS = (ABSTRACT, TRANSFERRED_ON, NOTIFIED, IN_USE)


@dataclass(frozen=True)
class FlagChanges:
    raised: int = 0
    cleared: int = 0
    kept: int = 0


def related_parties(enterprise_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per enterprise, the enterprises linked to it by co-ownership, either way round (two queries)."""
    ids = set(enterprise_ids)
    related: dict[int, set[int]] = {pk: set() for pk in ids}
    usccs = dict(Enterprise.objects.filter(pk__in=ids).values_list("uscc", "pk"))
    # It names another firm as a co-owner of one of its rights.
    named = CoOwner.objects.filter(asset__owner_id__in=ids, asset__archived_at__isnull=True).exclude(uscc="")
    by_uscc = dict(Enterprise.objects.filter(uscc__in=named.values_list("uscc", flat=True)).values_list("uscc", "pk"))
    for owner_id, uscc in named.values_list("asset__owner_id", "uscc"):
        if uscc in by_uscc and by_uscc[uscc] != owner_id:
            related[owner_id].add(by_uscc[uscc])
    # Another firm names it as a co-owner of one of its rights.
    naming = CoOwner.objects.filter(uscc__in=usccs, asset__archived_at__isnull=True)
    for owner_id, uscc in naming.values_list("asset__owner_id", "uscc"):
        if usccs[uscc] != owner_id:
            related[usccs[uscc]].add(owner_id)
    return related


def _filings(enterprise_ids: Iterable[int]) -> dict[int, list[filing.Filing]]:
    """The register records of each enterprise: its live IP assets with the signal facts about them (the
    latest of each name)."""
    ids = list(enterprise_ids)
    assets = list(IPAsset.objects.filter(owner_id__in=ids, archived_at__isnull=True).order_by("filing_date", "pk"))
    latest: dict[tuple[int, str], Fact] = {}
    rows = Fact.objects.filter(asset__in=[a.pk for a in assets], name__in=SIGNAL_FACTS).order_by(
        "observed_at", "fetched_at", "id"
    )
    for fact in rows:
        latest[(fact.asset_id, fact.name)] = fact
    found: dict[int, list[filing.Filing]] = {pk: [] for pk in ids}
    for a in assets:
        abstract, transfer = latest.get((a.pk, ABSTRACT)), latest.get((a.pk, TRANSFERRED_ON))
        notified, in_use = latest.get((a.pk, NOTIFIED)), latest.get((a.pk, IN_USE))
        found[a.owner_id].append(
            filing.Filing(
                asset_id=a.pk,
                enterprise_id=a.owner_id,
                ip_type=a.ip_type,
                identifier=a.identifier,
                title=a.title,
                filing_date=a.filing_date,
                legal_status=a.legal_status,
                abstract=abstract.value if abstract else "",
                nice_classes=tuple(a.nice_classes or ()),
                in_use=in_use.value if in_use else None,
                transferred_on=dt.date.fromisoformat(transfer.value) if transfer else None,
                transferred_from=transfer.reference if transfer else "",
                notified=notified.reference if notified and notified.value else "",
            )
        )
    return found


def filing_signals(enterprise: Enterprise, *, today: dt.date | None = None) -> list[filing.Signal]:
    """What the signals say about ``enterprise`` now (reads only)."""
    today = today or timezone.localdate()
    related = related_parties([enterprise.pk])[enterprise.pk]
    filings = _filings([enterprise.pk, *related])
    applicant = filing.Applicant(enterprise.pk, enterprise.legal_name, enterprise.employees, frozenset(related))
    others = [f for pk in related for f in filings[pk]]
    return filing.signals(applicant, filings[enterprise.pk], related=others, today=today)


def _key(code: str, asset_id: int | None, evidence: Mapping[str, Any]) -> tuple:
    return (code, asset_id, _canonical(evidence))


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    return value


def filing_flags_refresh(*, enterprise_id: int, today: dt.date | None = None) -> FlagChanges:
    """Store what the signals say about the enterprise now: raise the new flags, clear those no longer found.
    Idempotent: run twice on the same records, the second run changes nothing."""
    with transaction.atomic():
        enterprise = Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
        if enterprise is None:
            return FlagChanges()
        found = {_key(s.code, s.asset_id, s.evidence): s for s in filing_signals(enterprise, today=today)}
        live = {
            _key(f.code, f.asset_id, f.evidence): f
            for f in FilingFlag.objects.filter(enterprise=enterprise, cleared_at__isnull=True)
        }
        gone = [flag.pk for key, flag in live.items() if key not in found]
        if gone:
            FilingFlag.objects.filter(pk__in=gone).update(cleared_at=timezone.now())
        new = [
            FilingFlag(enterprise=enterprise, asset_id=s.asset_id, code=s.code, evidence=s.evidence)
            for key, s in found.items()
            if key not in live
        ]
        FilingFlag.objects.bulk_create(new)
    return FlagChanges(raised=len(new), cleared=len(gone), kept=len(live) - len(gone))


def enterprises_to_flag() -> list[int]:
    """Every enterprise with a live IP asset (the nightly refresh)."""
    return list(
        Enterprise.objects.filter(ip_assets__archived_at__isnull=True)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def flags_affected_by(enterprise_ids: Sequence[int]) -> list[int]:
    """The enterprises whose flags may change when these enterprises' records change: themselves and their
    related parties (a split filing is seen from both sides)."""
    related = related_parties(enterprise_ids)
    return sorted({*enterprise_ids, *(pk for linked in related.values() for pk in linked)})


@dataclass(frozen=True)
class NotifiedImport:
    rows: int
    matched: list[str]  # the platform's patents the list names
    enterprises: list[int]


def notified_list_import(*, actor, rows: Sequence[Mapping[str, Any]], now: dt.datetime | None = None) -> NotifiedImport:
    """Import a batch of CNIPA's notified list of abnormal patent applications (rows of ``application_number``,
    ``batch``, ``notified_on``): each number that is a live patent on the platform gets the register's fact
    ``abnormal_filing_notified`` (the batch as its reference), and its owner's flags are refreshed. Numbers not on
    the platform are skipped, not errors: the list names applicants across the country. A malformed row refuses
    the whole file, naming the row and field (``{"rows": {i: {field: [...]}}}``, ``rows/<i>/<field>`` in the API)."""
    require(
        actor,
        kinds={OrganisationKind.PLATFORM},
        message=_("Only the platform imports the notified lists."),
        superuser_ok=True,
    )
    now = now or timezone.now()
    errors: dict[int, dict[str, list[str]]] = {}
    parsed: list[tuple[str, str, dt.datetime]] = []
    for i, row in enumerate(rows):
        problems: dict[str, list[str]] = {}
        try:
            number = ids.normalise_patent_number(str(row.get("application_number") or ""))
        except ids.IdentifierError as exc:
            problems["application_number"] = [str(exc)]
        batch = str(row.get("batch") or "").strip()
        if not batch:
            problems["batch"] = [_("The list's batch is required.")]
        try:
            day = dt.date.fromisoformat(str(row.get("notified_on") or "").strip())
            if day > now.date():
                problems["notified_on"] = [_("A list cannot be notified in the future.")]
        except ValueError:
            problems["notified_on"] = [_("Expected a date (YYYY-MM-DD).")]
        if problems:
            errors[i] = problems
        else:
            parsed.append((number, batch[:100], dt.datetime.combine(day, dt.time(), tzinfo=now.tzinfo)))
    if errors:
        raise ValidationFailed({"rows": errors})
    assets = IPAsset.objects.filter(
        identifier__in=[n for n, _b, _d in parsed], archived_at__isnull=True, ip_type__in=filing.PATENT_TYPES
    ).select_related("owner")
    by_number = {a.identifier: a for a in assets}
    matched = []
    with transaction.atomic():
        for number, batch, day in parsed:
            asset = by_number.get(number)
            if asset is None:
                continue
            fact_record(
                actor=actor,
                enterprise=asset.owner,
                asset=asset,
                name=NOTIFIED,
                value=True,
                reference=batch,
                observed_at=day,
            )
            matched.append(number)
        owners = sorted({by_number[n].owner_id for n in matched})
        # Refreshed in the import's transaction: a list names few of the platform's firms.
        for enterprise_id in flags_affected_by(owners):
            filing_flags_refresh(enterprise_id=enterprise_id, today=now.date())
    return NotifiedImport(rows=len(parsed), matched=matched, enterprises=owners)


# What each signal's evidence says, in the reader's language (zh_Hans catalogue).
EVIDENCE_TEXTS = {
    filing.NEAR_DUPLICATE: gettext_noop(
        "Similarity %(similarity)s with %(other_identifier)s “%(other_title)s”, filed %(other_filed_on)s."
    ),
    filing.SPLIT_FILING: gettext_noop(
        "Similarity %(similarity)s with %(other_identifier)s “%(other_title)s” of a related party (linked by "
        "co-ownership), filed %(other_filed_on)s."
    ),
    filing.FILING_VOLUME: gettext_noop(
        "%(filed)s patent applications in %(window_days)s days with %(employees)s employees: %(per_employee)s "
        "each, above %(threshold)s."
    ),
    filing.TRANSFERRED_BEFORE_PLEDGE: gettext_noop(
        "Transferred to the applicant on %(transferred_on)s, %(days_ago)s days ago (register record "
        "%(transferred_from)s)."
    ),
    filing.HIGH_LAPSE_SHARE: gettext_noop(
        "%(withdrawn_rejected_or_lapsed)s of %(filings)s patent applications withdrawn, rejected or lapsed "
        "(%(share)s, flagged from %(threshold)s), e.g. %(examples)s."
    ),
    filing.NOTIFIED_LIST: gettext_noop("%(identifier)s is named on CNIPA's notified list, batch %(list)s."),
    filing.MASS_CLASS_FILING: gettext_noop(
        "%(marks)s marks filed in %(class_count)s Nice classes within %(window_days)s days; %(in_use)s with "
        "evidence of use."
    ),
    filing.WELL_KNOWN_MARK: gettext_noop("“%(mark)s” %(match)s the well-known mark “%(well_known)s” of %(holder)s."),
    filing.HOARDING: gettext_noop(
        "%(marks)s live marks held by a firm of %(employees)s employees; %(in_use)s with evidence of use."
    ),
}
MATCH_TEXTS = {
    "identical": gettext_noop("is identical to"),
    "contains": gettext_noop("contains"),
    "one_character_apart": gettext_noop("is one character apart from"),
}


def evidence_text(code: str, evidence: Mapping[str, Any]) -> str:
    """A flag's evidence as a sentence in the active language."""
    params = dict(evidence)
    for name in ("share", "threshold"):
        if code == filing.HIGH_LAPSE_SHARE and name in params:
            params[name] = f"{float(params[name]):.0%}"
    if "match" in params:
        params["match"] = _(MATCH_TEXTS.get(params["match"], params["match"]))
    if "examples" in params:
        params["examples"] = "、".join(params["examples"])
    try:
        return _(EVIDENCE_TEXTS[code]) % params
    except (KeyError, TypeError, ValueError):  # evidence written by an older rule
        return ""
