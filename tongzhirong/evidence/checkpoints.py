"""Signed checkpoints of the chain head (公证): "entry ``seq`` of the 通知融 evidence chain has hash ``hash``",
signed with the Ed25519 key outside the database and exported as a JSON file that a notary or a court can
check with any Ed25519 implementation (README, "Evidence chain")."""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import keys
from .chain import b64, canonical, timestamp
from .models import Checkpoint, Entry
from .selectors import chain_verify
from .services import locked_head

FORMAT = "tongzhirong-evidence-checkpoint/1"
CHAIN = "tongzhirong-evidence"
ALGORITHM = "Ed25519"


def statement_text(*, seq: int, hash: str, signed_at: dt.datetime) -> str:
    return canonical({"chain": CHAIN, "format": FORMAT, "hash": hash, "seq": seq, "signed_at": timestamp(signed_at)})


def checkpoint_create(*, actor=None) -> Checkpoint:
    """Sign the current head. The head is read under its lock, so the signed hash is a committed entry's."""
    key = keys.signing_key()
    public_raw = keys.raw_public(key.public_key())
    with transaction.atomic():
        head = locked_head()
        signed_at = timezone.now()
        statement = statement_text(seq=head.seq, hash=head.hash, signed_at=signed_at)
        return Checkpoint.objects.create(
            seq=head.seq,
            hash=head.hash,
            signed_at=signed_at,
            statement=statement,
            signature=keys.sign(key, statement),
            public_key=b64(public_raw),
            key_fingerprint=keys.fingerprint(public_raw),
        )


def checkpoint_export(checkpoint: Checkpoint) -> dict:
    """The notary's file. ``statement`` is the exact signed UTF-8 text; the other fields repeat it for
    reading and are checked against it."""
    return {
        "format": FORMAT,
        "chain": CHAIN,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "signed_at": timestamp(checkpoint.signed_at),
        "algorithm": ALGORITHM,
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "public_key": checkpoint.public_key,
        "public_key_fingerprint": checkpoint.key_fingerprint,
    }


def checkpoint_file_problems(document: dict, *, trusted_fingerprint: str | None = None, against_chain: bool = True):
    """Why an exported checkpoint does not hold, as a list of sentences (empty: it holds): its signature, its
    key (the one the operator lodged, when ``trusted_fingerprint`` is given), its readable fields, and —
    ``against_chain`` — this database's chain, intact up to the entry with the signed hash."""
    if not isinstance(document, dict):
        return [_("The file is not a checkpoint.")]
    if document.get("format") != FORMAT or document.get("algorithm") != ALGORITHM:
        return [_("The file is not a checkpoint in format %(format)s.") % {"format": FORMAT}]
    statement, signature, public_key = (document.get(k) for k in ("statement", "signature", "public_key"))
    if not all(isinstance(v, str) for v in (statement, signature, public_key)):
        return [_("The file lacks its statement, signature or public key.")]
    problems = []
    problem = keys.signature_problem(statement, signature, public_key)
    if problem:
        return [problem]
    fingerprint = keys.fingerprint(base64.b64decode(public_key))
    if document.get("public_key_fingerprint") != fingerprint:
        problems.append(_("The fingerprint does not belong to the public key."))
    if trusted_fingerprint and fingerprint != trusted_fingerprint:
        problems.append(
            _("Signed by key %(found)s, not the platform's %(trusted)s.")
            % {"found": fingerprint, "trusted": trusted_fingerprint}
        )
    signed = _json(statement)
    if (
        signed is None
        or (signed.get("format"), signed.get("chain")) != (FORMAT, CHAIN)
        or not isinstance(signed.get("seq"), int)
    ):
        return [*problems, _("The signed statement is not a checkpoint of this chain.")]
    for name in ("seq", "hash", "signed_at"):
        if document.get(name) != signed.get(name):
            problems.append(_("The file's %(field)s differs from the signed statement.") % {"field": name})
    if against_chain and not problems:
        problems.extend(_chain_problems(signed["seq"], signed["hash"]))
    return problems


def _chain_problems(seq: int, signed_hash: str) -> list[str]:
    if seq == 0:
        return []
    entry = Entry.objects.filter(seq=seq).first()
    if entry is None:
        return [_("The chain has no entry %(seq)s.") % {"seq": seq}]
    if entry.hash != signed_hash:
        return [
            _("Entry %(seq)s has hash %(found)s, the checkpoint signed %(signed)s.")
            % {"seq": seq, "found": entry.hash, "signed": signed_hash}
        ]
    report = chain_verify(up_to=seq)
    return [] if report.intact else [report.first_break.describe()]


def trusted_fingerprint() -> str | None:
    """The configured key's fingerprint, when this installation holds the key."""
    try:
        key = keys.signing_key()
    except keys.SigningKeyMissing:
        return None
    return keys.fingerprint(keys.raw_public(key.public_key()))


def _json(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
