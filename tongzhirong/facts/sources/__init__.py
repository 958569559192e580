"""Where facts come from, behind one interface (README "Fact sources", docs/fact-sources.md).

A source answers for *subjects*: an enterprise (by its USCC, the register's join key) or one of its IP assets (by
type and identifier). Two backends, chosen per source by ``settings.FACT_SOURCES``:

- ``http`` (``.http.HttpProvider``): the provider contracted for the source, asked on demand; a refresh task,
  or a decision that finds the facts older than their freshness window, asks it again;
- ``file`` (``.feed``): the extracts the city receives through 知慧通 (CSV, XLSX or JSON), imported as they arrive,
  with a row report.

Both hand back ``Observation`` s, which ``.refresh`` records as facts through the facts services with the feed's
system actor. A source that times out, errors or answers with malformed data raises ``SourceUnavailable`` or
``SourceMalformed``; the refresh records that on the enterprise's ``SourceFetch`` and records no fact, so the
bank reads the state rather than a default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Subject:
    """An enterprise (``ip_type`` and ``identifier`` empty) or one of its IP assets."""

    uscc: str
    ip_type: str = ""
    identifier: str = ""

    @property
    def is_asset(self) -> bool:
        return bool(self.identifier)

    def as_json(self) -> dict[str, str]:
        found = {"uscc": self.uscc}
        if self.is_asset:
            found |= {"ip_type": self.ip_type, "identifier": self.identifier}
        return found


@dataclass(frozen=True)
class Observation:
    """One thing a source said about a subject."""

    subject: Subject
    name: str
    value: Any
    reference: str
    observed_at: dt.datetime


class SourceUnavailable(Exception):
    """The source could not be asked: it timed out, refused, errored, or its circuit is open."""


class SourceMalformed(SourceUnavailable):
    """The source answered, but not in the contract's shape."""


class FactSource(Protocol):
    source: str

    def fetch(self, subjects: Sequence[Subject]) -> dict[Subject, list[Observation] | None]:
        """What the source says about each subject (``None``: not on its register). Raises
        ``SourceUnavailable`` or ``SourceMalformed`` for the whole batch."""
        ...
