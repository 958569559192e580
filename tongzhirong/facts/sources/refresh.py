"""Asking the sources again: what each says about a set of enterprises and their live IP assets, recorded as
facts by the feed's system actor, and how each attempt went on ``SourceFetch``.

A fact is recorded when the source says something new (another value or another reference); an unchanged
answer only moves the fetch's ``succeeded_at``, which is what the freshness window is measured from, so a
nightly refresh of ten thousand assets does not write fifty thousand identical rows. Enterprises are asked in
groups of about ``FACTS_HTTP_BATCH`` subjects: a failure costs its group, not the run. Within a group each
enterprise is recorded in its own transaction; an answer the catalogue cannot hold (an unknown fact, a value
of the wrong kind) leaves that enterprise's facts as they were and its fetch "malformed"."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import DomainError
from tongzhirong.enterprises.models import Enterprise

from ..catalogue import FACTS, Source
from ..models import Fact, FetchOutcome, SourceFetch
from ..services import Observed, facts_record_batch
from . import FactSource, Observation, SourceMalformed, SourceUnavailable, Subject
from .http import HttpProvider

logger = logging.getLogger(__name__)

FEED_USERNAME = "source-feed"
# The sources a feed may ask on its own; a credit report is pulled by a bank under the firm's authorisation.
FEED_SOURCES = (
    Source.ENTERPRISE_REGISTER,
    Source.COURT,
    Source.TAX,
    Source.CERTIFICATION,
    Source.IP_REGISTER,
)


def feed_actor() -> User:
    """The system user the feeds record facts as: a platform analyst who cannot sign in."""
    user = User.objects.filter(username=FEED_USERNAME).first()
    if user is not None:
        return user
    platform = Organisation.objects.filter(kind=OrganisationKind.PLATFORM).order_by("pk").first()
    if platform is None:
        platform = Organisation.objects.create(kind=OrganisationKind.PLATFORM, name="通知融平台（数据接入）")
    user, _created = User.objects.get_or_create(
        username=FEED_USERNAME,
        defaults={
            "organisation": platform,
            "role": Role.ANALYST,
            "first_name": "数据源同步",
            "password": make_password(None),
        },
    )
    return user


def provider_for(source: str, *, attempts: int | None = None) -> FactSource | None:
    """The backend ``settings.FACT_SOURCES`` names for ``source`` if it can be asked (``http``); None for a
    source fed by files only, or switched off."""
    if settings.FACT_SOURCES.get(source) == "http":
        return HttpProvider(source, attempts=attempts)
    return None


def fresh_until(source: str, succeeded_at: dt.datetime) -> dt.datetime:
    return succeeded_at + dt.timedelta(days=settings.FACT_FRESHNESS_DAYS.get(source, 30))


@dataclass
class RefreshResult:
    asked: int = 0  # subjects asked
    observed: int = 0  # facts the sources answered with
    recorded: int = 0  # of which new (another value or reference)
    failed: dict[str, list[int]] = field(default_factory=dict)  # source -> enterprise ids


def facts_refresh(
    *,
    enterprise_ids: Iterable[int],
    sources: Sequence[str] | None = None,
    only_stale: bool = False,
    now: dt.datetime | None = None,
    attempts: int | None = None,
) -> RefreshResult:
    """Ask each (askable) source about the enterprises and their live assets; ``only_stale`` asks only where the
    last good fetch is older than the source's freshness window (or there is none). Once a provider could not
    be reached, the run asks it nothing more (its other sources are recorded unavailable with the same reason):
    one outage costs one request's timeouts, not one per source."""
    now = now or timezone.now()
    result = RefreshResult()
    providers = {source: provider_for(source, attempts=attempts) for source in sources or FEED_SOURCES}
    providers = {source: provider for source, provider in providers.items() if provider is not None}
    if not providers:  # nothing to ask (a source fed by files only): no system user made either
        return result
    actor = feed_actor()
    ids = sorted(set(enterprise_ids))
    down: dict[str, str] = {}  # provider URL -> why it could not be reached in this run
    for source, provider in providers.items():
        wanted = _stale(ids, source, now) if only_stale else ids
        for group in _groups(wanted, source):
            _refresh_group(provider, source, group, actor=actor, result=result, down=down)
    return result


# Attempts per request on a decision's path (a person waits): one; the nightly task keeps FACTS_HTTP_ATTEMPTS.
DECISION_ATTEMPTS = 1


def facts_refresh_stale(*, enterprise: Enterprise) -> RefreshResult:
    """Before a decision: ask again whatever is older than its freshness window, once per request. A source
    that fails leaves its state for the bank to read; the decision goes on with the facts as they are, marked
    stale."""
    return facts_refresh(enterprise_ids=[enterprise.pk], only_stale=True, attempts=DECISION_ATTEMPTS)


def _stale(ids: list[int], source: str, now: dt.datetime) -> list[int]:
    window = dt.timedelta(days=settings.FACT_FRESHNESS_DAYS.get(source, 30))
    fresh = set(
        SourceFetch.objects.filter(enterprise_id__in=ids, source=source, succeeded_at__gt=now - window).values_list(
            "enterprise_id", flat=True
        )
    )
    return [pk for pk in ids if pk not in fresh]


@dataclass
class _Group:
    enterprises: dict[str, Enterprise]  # by USCC
    subjects: list[Subject]
    assets: dict[Subject, IPAsset]


def _groups(ids: list[int], source: str) -> Iterable[_Group]:
    """The enterprises in groups of about ``FACTS_HTTP_BATCH`` subjects (a firm's assets are never split)."""
    size = max(1, settings.FACTS_HTTP_BATCH)
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        enterprises = {e.uscc: e for e in Enterprise.objects.filter(pk__in=chunk).order_by("pk")}
        assets: dict[str, dict[Subject, IPAsset]] = {uscc: {} for uscc in enterprises}
        if source == Source.IP_REGISTER:
            live = (
                IPAsset.objects.filter(owner_id__in=chunk, archived_at__isnull=True)
                .select_related("owner")
                .prefetch_related("co_owners")
            )
            for asset in live.order_by("pk"):
                assets[asset.owner.uscc][Subject(asset.owner.uscc, asset.ip_type, asset.identifier)] = asset
        group = _Group({}, [], {})
        for uscc, enterprise in enterprises.items():
            group.enterprises[uscc] = enterprise
            group.assets |= assets[uscc]
            # The register of IP is asked about assets; the other sources about the enterprise itself.
            group.subjects += list(assets[uscc]) if source == Source.IP_REGISTER else [Subject(uscc)]
            if len(group.subjects) >= size:
                yield group
                group = _Group({}, [], {})
        if group.enterprises:
            yield group


def _refresh_group(
    provider: FactSource, source: str, group: _Group, *, actor, result: RefreshResult, down: dict[str, str]
) -> None:
    now = timezone.now()
    result.asked += len(group.subjects)
    where = getattr(provider, "base_url", source)
    try:
        if where in down:
            raise SourceUnavailable(down[where])
        answers = provider.fetch(group.subjects) if group.subjects else {}
    except SourceUnavailable as exc:
        if not isinstance(exc, SourceMalformed):
            down.setdefault(where, str(exc))
        outcome = FetchOutcome.MALFORMED if isinstance(exc, SourceMalformed) else FetchOutcome.UNAVAILABLE
        logger.warning("Source %s %s for %s enterprise(s): %s", source, outcome, len(group.enterprises), exc)
        for enterprise in group.enterprises.values():
            fetch_failed(enterprise, source, outcome, str(exc), now)
        result.failed.setdefault(source, []).extend(e.pk for e in group.enterprises.values())
        return
    by_firm: dict[str, list[Observation]] = {uscc: [] for uscc in group.enterprises}
    for subject, observations in answers.items():
        if observations:
            by_firm[subject.uscc].extend(observations)
    assets = group.assets
    latest = latest_facts([e.pk for e in group.enterprises.values()], source)
    succeeded = []
    # One commit per group (a commit is most of the cost on a small database), a savepoint per enterprise: an
    # answer that cannot be held rolls back that enterprise's facts only.
    with transaction.atomic():
        for uscc, enterprise in group.enterprises.items():
            observations = by_firm[uscc]
            result.observed += len(observations)
            try:
                with transaction.atomic():
                    recorded = record_observations(enterprise, source, observations, assets, latest, actor=actor)
            except (DomainError, Unusable) as exc:
                detail = getattr(exc, "errors", None) or str(exc)
                fetch_failed(enterprise, source, FetchOutcome.MALFORMED, f"{detail}", now)
                result.failed.setdefault(source, []).append(enterprise.pk)
                continue
            result.recorded += recorded
            succeeded.append(enterprise.pk)
        fetches_succeeded(succeeded, source, now)


class Unusable(Exception):
    """An observation the catalogue cannot hold."""


def latest_facts(enterprise_ids: list[int], source: str) -> dict[tuple[int, int | None, str], tuple]:
    """(enterprise, asset, name) -> (value, reference) of the latest fact from ``source``."""
    latest = {}
    rows = (
        Fact.objects.filter(enterprise_id__in=enterprise_ids, source=source)
        .order_by("observed_at", "fetched_at", "id")
        .values_list("enterprise_id", "asset_id", "name", "value", "reference")
    )
    for enterprise_id, asset_id, name, value, reference in rows:
        latest[(enterprise_id, asset_id, name)] = (value, reference)
    return latest


def record_observations(enterprise, source, observations, assets, latest, *, actor) -> int:
    """Record what is new among ``observations`` (one enterprise's) in one batch; ``Unusable`` or a
    ``DomainError`` if any cannot be held, and then none is recorded. Returns how many were new."""
    new = []
    for observation in observations:
        kind = FACTS.get(observation.name)
        if kind is None or kind.source != source:
            raise Unusable(f"{observation.name}: not a fact of this source")
        asset = assets.get(observation.subject) if observation.subject.is_asset else None
        if observation.subject.is_asset and asset is None:
            raise Unusable(f"{observation.subject.identifier}: not an asset of this enterprise")
        try:
            stored = kind.parse(observation.value)
        except ValueError as exc:
            raise Unusable(f"{observation.name}: {exc}") from exc
        if latest.get((enterprise.pk, asset.pk if asset else None, kind.name)) == (stored, observation.reference):
            continue
        new.append(Observed(kind.name, stored, observation.reference, observation.observed_at, asset))
    facts_record_batch(actor=actor, enterprise=enterprise, source=source, observed=new)
    return len(new)


def fetch_succeeded(enterprise: Enterprise, source: str, now: dt.datetime) -> None:
    SourceFetch.objects.update_or_create(
        enterprise=enterprise,
        source=source,
        defaults={
            "outcome": FetchOutcome.OK,
            "attempted_at": now,
            "succeeded_at": now,
            "failing_since": None,
            "error": "",
        },
    )


def fetches_succeeded(enterprise_ids: list[int], source: str, now: dt.datetime) -> None:
    """``fetch_succeeded`` for many enterprises in two statements."""
    SourceFetch.objects.bulk_create(
        [
            SourceFetch(enterprise_id=pk, source=source, outcome=FetchOutcome.OK, attempted_at=now, succeeded_at=now)
            for pk in enterprise_ids
        ],
        ignore_conflicts=True,
    )
    SourceFetch.objects.filter(enterprise_id__in=enterprise_ids, source=source).update(
        outcome=FetchOutcome.OK, attempted_at=now, succeeded_at=now, failing_since=None, error=""
    )


def fetch_failed(enterprise: Enterprise, source: str, outcome: str, error: str, now: dt.datetime) -> None:
    with transaction.atomic():
        fetch, created = SourceFetch.objects.select_for_update().get_or_create(
            enterprise=enterprise,
            source=source,
            defaults={"outcome": outcome, "attempted_at": now, "failing_since": now, "error": error[:300]},
        )
        if not created:
            fetch.outcome, fetch.attempted_at, fetch.error = outcome, now, error[:300]
            fetch.failing_since = fetch.failing_since or now
            fetch.save(update_fields=["outcome", "attempted_at", "error", "failing_since"])
