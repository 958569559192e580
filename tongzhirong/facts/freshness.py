"""How current each source's facts about an enterprise are, for the bank: fresh until a day, stale since a day,
or the source unavailable (or answering garbage) since a time, with the reason. Reads only what the refreshes
and the recorded facts stored; never asks a source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tongzhirong.enterprises.models import Enterprise

from .catalogue import Source
from .models import Fact, FetchOutcome, SourceFetch

# The sources whose state the bank reads: the feeds' and the credit report a bank pulls itself.
SOURCES = (
    Source.ENTERPRISE_REGISTER,
    Source.CREDIT_REPORT,
    Source.COURT,
    Source.TAX,
    Source.CERTIFICATION,
    Source.IP_REGISTER,
)


class State:
    FRESH = "fresh"
    STALE = "stale"
    UNAVAILABLE = "unavailable"
    MALFORMED = "malformed"
    NEVER = "never"


@dataclass(frozen=True)
class SourceState:
    source: str
    state: str
    fetched_at: dt.datetime | None  # the last good fetch
    fresh_until: dt.datetime | None
    failing_since: dt.datetime | None
    error: str

    @property
    def label(self) -> str:
        return str(Source(self.source).label)

    @property
    def is_fresh(self) -> bool:
        return self.state == State.FRESH

    @property
    def message(self) -> str:
        """What the bank reads, in the reader's language."""
        if self.state == State.FRESH:
            return _("Fresh until %(when)s") % {"when": _when(self.fresh_until)}
        if self.state == State.NEVER:
            return _("Never fetched from this source")
        stale = (
            _("facts stale since %(when)s") % {"when": _when(self.fresh_until)}
            if self.fresh_until is not None
            else _("no facts from this source yet")
        )
        if self.state == State.STALE:
            return stale[:1].upper() + stale[1:]
        if self.state == State.MALFORMED:
            failing = _("Source answered with malformed data since %(when)s") % {"when": _when(self.failing_since)}
        else:
            failing = _("Source unavailable since %(when)s") % {"when": _when(self.failing_since)}
        return f"{failing}; {stale}"


def _when(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment is not None else ""


def window(source: str) -> dt.timedelta:
    return dt.timedelta(days=settings.FACT_FRESHNESS_DAYS.get(source, 30))


def source_states(*, enterprise: Enterprise, now: dt.datetime | None = None) -> list[SourceState]:
    """One state per source, in a fixed order. The feeds' sources read their last fetch; the credit report
    reads the latest report a bank recorded."""
    now = now or timezone.now()
    fetches = {f.source: f for f in SourceFetch.objects.filter(enterprise=enterprise)}
    report = Fact.objects.filter(enterprise=enterprise, source=Source.CREDIT_REPORT).order_by("-fetched_at").first()
    states = []
    for source in SOURCES:
        if source == Source.CREDIT_REPORT:
            fetched_at, fetch = (report.fetched_at if report else None), None
        else:
            fetch = fetches.get(source)
            fetched_at = fetch.succeeded_at if fetch else None
        until = fetched_at + window(source) if fetched_at else None
        failing = fetch is not None and fetch.outcome != FetchOutcome.OK
        if failing:
            state = State.MALFORMED if fetch.outcome == FetchOutcome.MALFORMED else State.UNAVAILABLE
        elif until is None:
            state = State.NEVER
        else:
            state = State.FRESH if until > now else State.STALE
        states.append(
            SourceState(
                source=source,
                state=state,
                fetched_at=fetched_at,
                fresh_until=until,
                failing_since=fetch.failing_since if failing else None,
                error=fetch.error if failing else "",
            )
        )
    return states
