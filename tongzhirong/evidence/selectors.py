"""Checking the chain: every link, every entry's hash, every chained record against its row, the head, and the
signed checkpoints. Reads only; the first break found (lowest sequence number) is named."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.apps import apps
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind, Role

from .chain import entry_hash, fact
from .keys import signature_problem
from .models import GENESIS_HASH, ChainHead, Checkpoint, Entry

BATCH = 2000

# The tables whose rows are evidence: every row (matching the filter) is chained by the service that writes it, in
# the same transaction, so a row with no entry was written past the services (raw SQL, a bulk load) and is named.
CHAINED_RECORDS: dict[str, dict] = {
    "core.statuschange": {},
    "financing.loan": {},
    "financing.repayment": {},
    "financing.pledgeregistration": {},
    "financing.filingpackage": {},
    "financing.packagesignature": {},
    "risksharing.pooljournal": {},
    "risksharing.recovery": {},
    "risksharing.claim": {"paid_on__isnull": False},
}


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding: the entry (``seq``), what it is about, what was expected and what was
    found (hashes, or the recorded and the current value of a field)."""

    seq: int | None  # None for a record the chain does not hold at all
    kind: str
    subject: str
    problem: str
    expected: str
    found: str
    detail: str

    def describe(self) -> str:
        return (
            f"entry {self.seq} ({self.kind}, {self.subject}): {self.detail} "
            f"expected {self.expected}, found {self.found}"
        )


@dataclass(frozen=True)
class Report:
    intact: bool
    entries: int
    head_seq: int
    head_hash: str
    checkpoints: int
    first_break: Break | None
    unchained: int = 0  # rows of the evidence tables with no entry

    def as_dict(self) -> dict:
        return asdict(self)


def _entries(up_to: int | None) -> Iterator[list[Entry]]:
    last = 0
    while True:
        batch = Entry.objects.filter(seq__gt=last).order_by("seq")
        if up_to is not None:
            batch = batch.filter(seq__lte=up_to)
        rows = list(batch[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].seq


def _subject(entry: Entry) -> str:
    return f"{entry.subject_type}#{entry.subject_id}"


def _break(entry: Entry, problem: str, expected: str, found: str, detail: str) -> Break:
    return Break(entry.seq, entry.kind, _subject(entry), problem, expected, found, detail)


def _link_breaks(rows: list[Entry], previous: Entry | None) -> Break | None:
    for entry in rows:
        expected_seq = previous.seq + 1 if previous else 1
        if entry.seq != expected_seq:
            return Break(
                expected_seq,
                "",
                "",
                "missing",
                f"entry {expected_seq}",
                f"entry {entry.seq}",
                _("Entries are missing from the chain."),
            )
        if entry.prev_hash != (previous.hash if previous else GENESIS_HASH):
            if previous is None:
                detail = _("The first entry is not chained to the start.")
                return _break(entry, "broken_link", GENESIS_HASH, entry.prev_hash, detail)
            # The successor remembers the hash this entry had when it was chained: this entry was rewritten
            # (content and hash together).
            return _break(
                previous,
                "rewritten",
                entry.prev_hash,
                previous.hash,
                _("The entry's hash differs from the one the next entry was chained to."),
            )
        recomputed = entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            at=entry.created_at,
            kind=entry.kind,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            payload=entry.payload,
        )
        if recomputed != entry.hash:
            return _break(entry, "altered", entry.hash, recomputed, _("The entry's content no longer gives its hash."))
        previous = entry
    return None


def _record_breaks(rows: list[Entry], seen: dict[str, set[int]]) -> Break | None:
    """Hold each chained record's row to the facts recorded: a changed field or a deleted row is a break. The
    records met are added to ``seen``."""
    wanted: dict[str, list[tuple[Entry, dict]]] = defaultdict(list)
    for entry in rows:
        payload = json.loads(entry.payload)
        if "model" in payload:
            wanted[payload["model"]].append((entry, payload))
            seen[payload["model"]].add(payload["pk"])
    found: list[Break] = []
    for model_label, items in wanted.items():
        model = apps.get_model(model_label)
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        attnames = sorted({name for _entry, payload in items for name in payload["fields"]})
        current = {
            row["pk"]: row
            for row in model._base_manager.filter(pk__in={payload["pk"] for _entry, payload in items}).values(
                "pk", *attnames
            )
        }
        for entry, payload in items:
            row = current.get(payload["pk"])
            record = f"{model_label}#{payload['pk']}"
            if row is None:
                found.append(_break(entry, "record_deleted", record, "-", _("The chained record no longer exists:")))
                continue
            for name, recorded in sorted(payload["fields"].items()):
                now = fact(by_attname[name], row[name])
                if now != recorded:
                    found.append(
                        _break(
                            entry,
                            "record_changed",
                            f"{name}={recorded!r}",
                            f"{name}={now!r}",
                            _("The chained record %(record)s was changed:") % {"record": record},
                        )
                    )
                    break
    return min(found, key=lambda b: b.seq, default=None)


def _unchained(seen: dict[str, set[int]]) -> tuple[int, Break | None]:
    """Rows of the evidence tables that no entry holds: one primary-key query per table, compared as sets with
    the records the walk met. The first such row (by table, then id) is named."""
    count, first = 0, None
    for model_label, filters in CHAINED_RECORDS.items():
        model = apps.get_model(model_label)
        missing = set(model._base_manager.filter(**filters).values_list("pk", flat=True)) - seen.get(model_label, set())
        count += len(missing)
        if missing and first is None:
            record = f"{model_label}#{min(missing)}"
            first = Break(
                None,
                "",
                record,
                "record_unchained",
                _("an evidence entry"),
                _("none"),
                _("The record %(record)s has no evidence entry (written past the services):") % {"record": record},
            )
    return count, first


def _checkpoint_breaks(checked_up_to: int) -> Break | None:
    """A signed checkpoint whose entry no longer carries the signed hash: the chain was rewritten at or before
    that entry (perhaps every hash recomputed, which only the signature outside the database can reveal)."""
    for checkpoint in Checkpoint.objects.filter(seq__lte=checked_up_to).order_by("seq", "id"):
        problem = signature_problem(checkpoint.statement, checkpoint.signature, checkpoint.public_key)
        entry = Entry.objects.filter(seq=checkpoint.seq).first()
        if problem:
            return Break(checkpoint.seq, "checkpoint", "", "checkpoint_unsigned", "-", "-", problem)
        if checkpoint.seq and (entry is None or entry.hash != checkpoint.hash):
            return Break(
                checkpoint.seq,
                entry.kind if entry else "",
                _subject(entry) if entry else "",
                "checkpoint_mismatch",
                checkpoint.hash,
                entry.hash if entry else "-",
                _("The chain differs from the checkpoint signed at %(at)s:") % {"at": checkpoint.signed_at.isoformat()},
            )
    return None


def chain_verify(*, up_to: int | None = None) -> Report:
    """Walk the chain (up to entry ``up_to``) and report the first break, if any."""
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    previous, count, first = None, 0, None
    seen: dict[str, set[int]] = defaultdict(set)
    for rows in _entries(up_to):
        candidates = [b for b in (_link_breaks(rows, previous), _record_breaks(rows, seen)) if b is not None]
        if candidates:
            first = min(candidates, key=lambda b: b.seq)
            break
        previous, count = rows[-1], count + len(rows)
    last_seq, last_hash = (previous.seq, previous.hash) if previous else (0, GENESIS_HASH)
    if first is None and up_to is None and (head_seq, head_hash) != (last_seq, last_hash):
        first = Break(
            min(head_seq, last_seq + 1) or 1,
            "head",
            "",
            "head_mismatch",
            f"{head_seq}:{head_hash}",
            f"{last_seq}:{last_hash}",
            _("The chain does not end where its head says (entries removed from the end, or the head moved):"),
        )
    if first is None:
        first = _checkpoint_breaks(last_seq)
    unchained = 0
    if up_to is None and first is None:  # the whole chain was walked: every record it holds is in ``seen``
        unchained, first = _unchained(seen)
    return Report(
        intact=first is None,
        entries=count,
        head_seq=head_seq,
        head_hash=head_hash,
        checkpoints=Checkpoint.objects.count(),
        first_break=first,
        unchained=unchained,
    )


def _require_auditor(actor) -> None:
    message = _("Only the platform's administrators and the city office check the evidence chain.")
    if getattr(actor, "kind", None) == OrganisationKind.PLATFORM:
        require(actor, roles=(Role.PLATFORM_ADMIN,), message=message, superuser_ok=True)
    else:
        require(actor, kinds=(OrganisationKind.CITY_OFFICE,), message=message, superuser_ok=True)


def evidence_report(*, actor) -> Report:
    """The chain's state, for the platform's administrators and the city office."""
    _require_auditor(actor)
    return chain_verify()


def checkpoint_list(*, actor):
    """The signed checkpoints, newest first, for the same readers."""
    _require_auditor(actor)
    return Checkpoint.objects.order_by("-signed_at", "-id")
