"""Checkpoints as a notary meets them: a JSON file signed with the platform's Ed25519 key that names the
chain's head; it holds against the chain it was made from, and neither an edited file, another key nor a
chain rewritten after it (every hash recomputed) gets past it."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError

from tongzhirong.evidence import keys
from tongzhirong.evidence.chain import entry_hash
from tongzhirong.evidence.checkpoints import (
    checkpoint_create,
    checkpoint_export,
    checkpoint_file_problems,
    trusted_fingerprint,
)
from tongzhirong.evidence.keys import SigningKeyMissing
from tongzhirong.evidence.models import Entry
from tongzhirong.evidence.selectors import chain_verify
from tongzhirong.evidence.tasks import make_checkpoint

from .helpers import repaid_loan_journey, tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(under_review, officer, sme):
    return repaid_loan_journey(under_review, officer, sme)


@pytest.fixture
def exported(chain, signing_key):
    return checkpoint_export(checkpoint_create(actor=None))


def test_the_file_names_the_head_and_verifies_with_nothing_but_the_public_key(exported, signing_key):
    last = Entry.objects.last()
    assert (exported["seq"], exported["hash"]) == (last.seq, last.hash)
    assert json.loads(exported["statement"]) == {
        "chain": "tongzhirong-evidence",
        "format": "tongzhirong-evidence-checkpoint/1",
        "hash": last.hash,
        "seq": last.seq,
        "signed_at": exported["signed_at"],
    }
    # What a court's expert does: the raw public key and the signature over the statement's UTF-8 bytes.
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(exported["public_key"]))
    public.verify(base64.b64decode(exported["signature"]), exported["statement"].encode())
    assert exported["public_key_fingerprint"] == keys.fingerprint(keys.raw_public(signing_key.public_key()))
    assert checkpoint_file_problems(exported, trusted_fingerprint=trusted_fingerprint()) == []


def test_verify_checkpoint_command_accepts_the_exported_file(chain, signing_key, tmp_path, capsys):
    out = tmp_path / "checkpoint.json"
    call_command("evidence_checkpoint", "--out", str(out))
    call_command("verify_checkpoint", str(out))
    assert "Checkpoint holds" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", 1), ("hash", "f" * 64), ("signed_at", "2020-01-01T00:00:00.000000+00:00")],
)
def test_a_file_edited_outside_its_statement_is_refused(exported, field, value):
    assert checkpoint_file_problems({**exported, field: value}) == [
        f"The file's {field} differs from the signed statement."
    ]


def test_an_edited_statement_no_longer_matches_its_signature(exported):
    forged = exported["statement"].replace(exported["hash"], "f" * 64)
    assert checkpoint_file_problems({**exported, "statement": forged, "hash": "f" * 64}) == [
        "The signature does not match the statement."
    ]


def test_a_checkpoint_signed_with_another_key_is_refused_against_the_platform_s(exported, tmp_path):
    other = Ed25519PrivateKey.generate()
    raw = keys.raw_public(other.public_key())
    forged = {
        **exported,
        "signature": keys.sign(other, exported["statement"]),
        "public_key": base64.b64encode(raw).decode(),
        "public_key_fingerprint": keys.fingerprint(raw),
    }
    assert checkpoint_file_problems(forged) == []  # well-formed and self-consistent …
    platform = trusted_fingerprint()
    assert checkpoint_file_problems(forged, trusted_fingerprint=platform) == [  # … but not the platform's key
        f"Signed by key {keys.fingerprint(raw)}, not the platform's {platform}."
    ]
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="not the platform's"):
        call_command("verify_checkpoint", str(path))


def test_a_chain_rewritten_after_the_checkpoint_is_caught_though_every_link_holds(exported):
    """An insider rewrites entry 2 and recomputes every hash after it: links and hashes agree again; only the
    signed checkpoint, made with a key the database never held, still knows the old head."""
    entries = list(Entry.objects.order_by("seq"))
    prev = entries[0].hash
    tamper("DELETE FROM evidence_entry WHERE seq >= 2")
    for entry in entries[1:]:
        payload = entry.payload.replace('"actor":', '"actor_was":') if entry.seq == 2 else entry.payload
        digest = entry_hash(
            prev_hash=prev,
            seq=entry.seq,
            at=entry.created_at,
            kind=entry.kind,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            payload=payload,
        )
        tamper(
            "INSERT INTO evidence_entry (seq, kind, subject_type, subject_id, payload, prev_hash, hash, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [entry.seq, entry.kind, entry.subject_type, entry.subject_id, payload, prev, digest, entry.created_at],
        )
        prev = digest
    tamper("UPDATE evidence_chainhead SET hash = %s", [prev])
    found = chain_verify().first_break
    assert (found.seq, found.problem) == (exported["seq"], "checkpoint_mismatch")
    assert (found.expected, found.found) == (exported["hash"], prev)
    assert checkpoint_file_problems(exported) == [
        f"Entry {exported['seq']} has hash {prev}, the checkpoint signed {exported['hash']}."
    ]


def test_the_beat_task_signs_the_head(chain, signing_key):
    checkpoint = make_checkpoint.delay().get()
    assert checkpoint  # the new checkpoint's id
    assert chain_verify().checkpoints == 1


def test_without_a_key_no_checkpoint_is_made_and_the_reason_says_where_it_was_looked_for(chain, settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "absent.pem"
    with pytest.raises(SigningKeyMissing, match=r"absent\.pem"):
        checkpoint_create(actor=None)


def test_keygen_never_overwrites_a_key(settings, tmp_path, capsys):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "k.pem"
    call_command("evidence_keygen")
    assert "Public key fingerprint" in capsys.readouterr().out
    assert oct(settings.EVIDENCE_SIGNING_KEY.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("evidence_keygen")
