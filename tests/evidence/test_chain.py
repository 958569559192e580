"""The evidence chain as an auditor meets it: the real flows append to it, verify_audit finds it intact, and any
change made behind the services' back — to an entry, to a chained record, to the end of the chain — is named
by the entry where it shows."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongzhirong.core.models import StatusChange
from tongzhirong.evidence.chain import entry_hash
from tongzhirong.evidence.models import ChainHead, Entry
from tongzhirong.evidence.selectors import chain_verify
from tongzhirong.financing.models import PackageSignature, Repayment

from .helpers import repaid_loan_journey, tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(under_review, officer, sme):
    return repaid_loan_journey(under_review, officer, sme)


def kinds_about(model_label: str, pk: int) -> list[str]:
    return list(Entry.objects.filter(subject_type=model_label, subject_id=pk).values_list("kind", flat=True))


def verify_audit_fails() -> str:
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    return str(failed.value)


def test_the_lending_journey_is_chained_in_order(loan, under_review, capsys):
    assert kinds_about("financing.application", under_review.pk)[-10:] == [
        "filing_package",
        "package_signature",  # the pledgor
        "package_signature",  # the pledgee
        "status_change",  # → pledge registration
        "pledge_filing",
        "pledge_registration",
        "status_change",  # → registered
        "status_change",  # → disbursed
        "pledge_release_drafted",
        "pledge_release",
    ]
    assert kinds_about("financing.loan", loan.pk) == ["disbursement", "repayment", "status_change"]
    assert list(Entry.objects.values_list("seq", flat=True)) == list(range(1, Entry.objects.count() + 1))
    call_command("verify_audit")
    assert "Evidence chain intact" in capsys.readouterr().out


def test_an_entry_carries_the_facts_and_links_to_the_one_before(loan):
    entry = Entry.objects.get(kind="repayment")
    repayment = Repayment.objects.get(loan=loan)
    payload = json.loads(entry.payload)
    assert payload["model"] == "financing.repayment"
    assert payload["pk"] == repayment.pk
    assert payload["fields"]["amount"] == str(repayment.amount)
    assert payload["context"]["contract_number"] == "NT-EV-1"
    # What it paid of each instalment: [sequence, principal, interest], adding up to its parts.
    allocation = payload["context"]["allocation"]
    assert [line[0] for line in allocation] == list(range(1, len(allocation) + 1))
    assert sum(Decimal(line[1]) for line in allocation) == repayment.principal_part
    assert sum(Decimal(line[2]) for line in allocation) == repayment.interest_part
    before = Entry.objects.get(seq=entry.seq - 1)
    assert entry.prev_hash == before.hash
    assert entry.hash == entry_hash(
        prev_hash=before.hash,
        seq=entry.seq,
        at=entry.created_at,
        kind="repayment",
        subject_type="financing.loan",
        subject_id=loan.pk,
        payload=entry.payload,
    )
    # Canonical: sorted keys, no spaces, characters as themselves.
    assert entry.payload == json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == Entry.objects.values_list("seq", "hash").last()


def test_an_altered_entry_is_named_with_its_expected_and_found_hash(loan):
    entry = Entry.objects.get(kind="repayment")
    tamper(
        'UPDATE evidence_entry SET payload = REPLACE(payload, \'"amount":"\', \'"amount":"1\') WHERE seq = %s',
        [entry.seq],
    )
    report = chain_verify()
    assert not report.intact
    found = report.first_break
    assert (found.seq, found.kind, found.subject, found.problem) == (
        entry.seq,
        "repayment",
        f"financing.loan#{loan.pk}",
        "altered",
    )
    assert found.expected == entry.hash
    assert found.found != entry.hash
    message = verify_audit_fails()
    assert f"entry {entry.seq} (kind repayment, subject financing.loan#{loan.pk}, altered)" in message
    assert entry.hash in message


def test_a_repayment_changed_with_raw_sql_is_named_by_its_entry(loan):
    repayment = Repayment.objects.get(loan=loan)
    entry = Entry.objects.get(kind="repayment")
    # The parts still add up, so the database's own checks let it through.
    tamper(
        "UPDATE financing_repayment SET amount = amount - 100, principal_part = principal_part - 100 WHERE id = %s",
        [repayment.pk],
    )
    found = chain_verify().first_break
    assert (found.seq, found.kind, found.problem) == (entry.seq, "repayment", "record_changed")
    assert found.expected == f"amount={str(repayment.amount)!r}"
    assert found.found == f"amount={str(repayment.amount - Decimal(100))!r}"
    assert f"entry {entry.seq} (kind repayment" in verify_audit_fails()


def test_a_status_change_rewritten_or_deleted_with_raw_sql_is_named(loan, under_review):
    change = StatusChange.objects.filter(object_id=under_review.pk, to_status="registered").get()
    entry = next(e for e in Entry.objects.filter(kind="status_change") if json.loads(e.payload)["pk"] == change.pk)
    tamper("UPDATE core_statuschange SET reason = 'nothing happened' WHERE id = %s", [change.pk])
    found = chain_verify().first_break
    assert (found.seq, found.subject, found.problem) == (
        entry.seq,
        f"financing.application#{under_review.pk}",
        "record_changed",
    )
    tamper("DELETE FROM core_statuschange WHERE id = %s", [change.pk])
    found = chain_verify().first_break
    assert (found.seq, found.problem) == (entry.seq, "record_deleted")


def test_a_signature_removed_is_named(loan, under_review):
    signature = PackageSignature.objects.get(party="pledgor")
    entry = next(
        e for e in Entry.objects.filter(kind="package_signature") if json.loads(e.payload)["pk"] == signature.pk
    )
    tamper("DELETE FROM financing_packagesignature WHERE id = %s", [signature.pk])
    found = chain_verify().first_break
    assert (found.seq, found.kind, found.problem) == (entry.seq, "package_signature", "record_deleted")


def test_a_deleted_entry_is_named_by_its_number(loan):
    tamper("DELETE FROM evidence_entry WHERE seq = 3")
    found = chain_verify().first_break
    assert (found.seq, found.problem, found.expected, found.found) == (3, "missing", "entry 3", "entry 4")


def test_an_entry_rewritten_with_a_recomputed_hash_is_named_by_its_successor_s_link(loan):
    entry = Entry.objects.get(kind="disbursement")
    forged = entry.payload.replace('"contract_number":"NT-EV-1"', '"contract_number":"NT-EV-9"')
    digest = entry_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        at=entry.created_at,
        kind=entry.kind,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        payload=forged,
    )
    tamper("UPDATE evidence_entry SET payload = %s, hash = %s WHERE seq = %s", [forged, digest, entry.seq])
    found = chain_verify().first_break
    assert (found.seq, found.kind, found.problem) == (entry.seq, "disbursement", "rewritten")
    assert (found.expected, found.found) == (entry.hash, digest)


def test_entries_cut_from_the_end_are_caught_by_the_head(loan):
    last = Entry.objects.last()
    tamper("DELETE FROM evidence_entry WHERE seq = %s", [last.seq])
    found = chain_verify().first_break
    assert (found.seq, found.problem) == (last.seq, "head_mismatch")
    assert f"entry {last.seq}" in verify_audit_fails()


def test_an_empty_chain_is_intact(db, capsys):
    assert chain_verify().intact
    call_command("verify_audit")
    assert "0 entries" in capsys.readouterr().out
