"""The file feed: the extracts the city receives through 知慧通 (a register's legal-status data, the enterprise
register's changes, the court lists), as CSV, XLSX or JSON, one file per source, one fact per row:

    统一社会信用代码 uscc | 知识产权类型 ip_type | 登记号 identifier | 事实 fact | 值 value |
    来源编号 reference | 观察时间 observed_at

(``ip_type`` and ``identifier`` only for a fact about an IP asset; JSON is an array of objects with those keys).
The file is read with the importers' checks and limits (``tongzhirong.core.tabular``: size, rows, hostile
XLSX). Unlike an applicant's import, a feed is not all-or-nothing: a register extract holds thousands of
firms, and one bad row must not keep the others' facts stale. So each row is checked on its own, a bad row is
reported and skipped, and each firm's good rows are recorded together (in one transaction, as a refresh
would). The report says, per row, what went wrong."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.assets.models import IPAsset, normalise_identifier
from tongzhirong.core import tabular
from tongzhirong.core.cells import (
    MAX_REPORTED,
    Column,
    match_columns,
    parse_choice,
    parse_date,
    parse_text,
    row_problem,
    typed,
)
from tongzhirong.core.errors import DomainError, ValidationFailed
from tongzhirong.core.identifiers import IdentifierError
from tongzhirong.core.reference import IPType
from tongzhirong.enterprises.models import Enterprise

from ..catalogue import FACTS, FactValueError
from . import Observation, Subject
from .refresh import FEED_SOURCES, Unusable, feed_actor, fetch_succeeded, latest_facts, record_observations


def _raw(value: Any) -> Any:
    return value


def parse_observed_at(value: Any) -> dt.datetime:
    """A time with its zone, or a day (taken as the start of that day in the platform's zone)."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = typed(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            moment = parse_date(text)
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


COLUMNS = (
    Column("uscc", "统一社会信用代码", parse_text, required=True),
    Column("ip_type", "知识产权类型", parse_choice(IPType)),
    Column("identifier", "登记号", parse_text),
    Column("fact", "事实", parse_text, required=True),
    Column("value", "值", _raw, required=True),
    Column("reference", "来源编号", parse_text),
    Column("observed_at", "观察时间", parse_observed_at, required=True),
)


@dataclass
class FeedReport:
    source: str
    rows: int = 0
    recorded: int = 0  # facts new to the platform
    unchanged: int = 0  # rows that said what the platform already knew
    problems: list[dict] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return len({p["row"] for p in self.problems if p["row"] > 1})


def fact_feed_import(*, file, name: str, source: str) -> FeedReport:
    """Import one extract of ``source``; raises ``ValidationFailed`` when the file cannot be read at all (the
    hostile-file checks, the size and row limits) or is not of a source fed by files."""
    if source not in FEED_SOURCES:
        raise ValidationFailed({"source": [_("Not a source fed by files.")]})
    rows = _rows(file, name)
    report = FeedReport(source=source, rows=len(rows))
    matched = match_columns(rows, report.problems, COLUMNS)
    if report.problems:
        return report
    by_firm: dict[str, list[tuple[int, Observation]]] = defaultdict(list)
    for row in rows:
        parsed = _parse_row(row, matched, source, report)
        if parsed is not None:
            by_firm[parsed.subject.uscc].append((row.number, parsed))
    _record(source, by_firm, report)
    report.problems = sorted(report.problems, key=lambda p: p["row"])[:MAX_REPORTED]
    return report


def _rows(file, name: str) -> list[tabular.Row]:
    try:
        if name.lower().endswith(".json"):
            return _json_rows(file)
        return tabular.read_table(file, name=name)
    except tabular.TabularError as exc:
        raise ValidationFailed({"file": [str(exc)]}) from exc


def _json_rows(file) -> list[tabular.Row]:
    data = file.read(tabular.MAX_BYTES + 1)
    if len(data) > tabular.MAX_BYTES:
        raise tabular.TabularError(
            _("The file is larger than %(limit)s MB; split it into smaller files.") % {"limit": "5"}
        )
    try:
        items = json.load(io.BytesIO(data))
    except ValueError as exc:
        raise tabular.TabularError(_("The file is not JSON.")) from exc
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise tabular.TabularError(_("A JSON feed is an array of objects, one fact each."))
    if len(items) > tabular.MAX_ROWS:
        raise tabular.TabularError(_("The file has more than %(rows)s rows.") % {"rows": tabular.MAX_ROWS})
    return [tabular.Row({str(k): v for k, v in item.items()}, number=n + 2) for n, item in enumerate(items)]


def _parse_row(row: tabular.Row, matched: dict[str, Column], source: str, report: FeedReport) -> Observation | None:
    values: dict[str, Any] = {}
    problems = []
    for header, column in matched.items():
        value = row.get(header)
        if value in (None, ""):
            if column.required:
                problems.append(row_problem(row.number, column.field, _("This cell is required.")))
            continue
        try:
            values[column.field] = column.parse(value)
        except ValueError as exc:
            problems.append(row_problem(row.number, column.field, str(exc)))
    kind = FACTS.get(values.get("fact", ""))
    if "fact" in values and (kind is None or kind.source != source):
        problems.append(row_problem(row.number, "fact", _("Not a fact of this source.")))
    elif kind is not None and "value" in values:
        try:
            kind.parse(values["value"])
        except FactValueError as exc:
            problems.append(row_problem(row.number, "value", _("Expected %(what)s.") % {"what": exc}))
    if kind is not None and kind.on_asset != bool(values.get("identifier")):
        problems.append(
            row_problem(
                row.number,
                "identifier",
                _("This fact is about an IP asset: give its type and number.")
                if kind.on_asset
                else _("This fact is about the enterprise: leave the asset's columns empty."),
            )
        )
    if problems:
        report.problems.extend(problems)
        return None
    identifier = values.get("identifier", "")
    ip_type = values.get("ip_type", "")
    if identifier:
        try:
            identifier = normalise_identifier(ip_type, identifier) if ip_type else identifier
        except (IdentifierError, KeyError) as exc:
            report.problems.append(row_problem(row.number, "identifier", str(exc)))
            return None
    return Observation(
        subject=Subject(values["uscc"].upper(), ip_type, identifier),
        name=kind.name,
        value=values["value"],
        reference=values.get("reference", "")[:100],
        observed_at=values["observed_at"],
    )


def _record(source: str, by_firm: dict[str, list[tuple[int, Observation]]], report: FeedReport) -> None:
    actor = feed_actor()
    now = timezone.now()
    enterprises = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=list(by_firm))}
    assets = {
        Subject(a.owner.uscc, a.ip_type, a.identifier): a
        for a in IPAsset.objects.filter(owner__in=enterprises.values(), archived_at__isnull=True)
        .select_related("owner")
        .prefetch_related("co_owners")
    }
    latest = latest_facts([e.pk for e in enterprises.values()], source)
    for uscc, numbered in by_firm.items():
        enterprise = enterprises.get(uscc)
        good = []
        for number, observation in numbered:
            if enterprise is None:
                report.problems.append(row_problem(number, "uscc", _("No enterprise on the platform has this code.")))
            elif observation.subject.is_asset and observation.subject not in assets:
                report.problems.append(
                    row_problem(number, "identifier", _("The enterprise has no live IP asset of this type and number."))
                )
            else:
                good.append((number, observation))
        if not good:
            continue
        try:
            with transaction.atomic():
                recorded = record_observations(enterprise, source, [o for _n, o in good], assets, latest, actor=actor)
                fetch_succeeded(enterprise, source, now)
        except (DomainError, Unusable) as exc:
            detail = getattr(exc, "errors", None) or str(exc)
            for number, _observation in good:
                report.problems.append(row_problem(number, None, str(detail)))
            continue
        report.recorded += recorded
        report.unchanged += len(good) - recorded
