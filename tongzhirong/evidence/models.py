"""The evidence chain (区块链+公证): every fact worth proving later — a status move, a signature, a filing, a
registration, a repayment, a claim payment — is appended as an entry that carries the previous entry's hash.
Altering or removing any entry breaks every hash after it; the signed checkpoints (``checkpoints.py``) pin the
head with a key held outside the database, so even a rewritten chain is caught against them.

On PostgreSQL the database itself refuses UPDATE and DELETE of entries and checkpoints (django-pgtrigger);
on SQLite ``verify_audit`` names the first entry that no longer matches."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.triggers import append_only, never_deleted

HASH_LENGTH = 64  # SHA-256, hex
GENESIS_HASH = "0" * HASH_LENGTH  # the "previous hash" of entry 1


class Entry(models.Model):
    """One link of the chain. ``hash`` = SHA-256 over the previous hash, the sequence number, the time, the
    kind, the subject and the canonical payload (``chain.entry_hash`` documents the exact bytes)."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=100)
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    # Stored as the exact canonical text that was hashed (sorted keys, compact, UTF-8), never re-serialised.
    payload = models.TextField(_("payload (canonical JSON)"))
    prev_hash = models.CharField(_("previous hash"), max_length=HASH_LENGTH, unique=True)
    hash = models.CharField(_("hash"), max_length=HASH_LENGTH, unique=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("evidence entry")
        verbose_name_plural = _("evidence entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]
        constraints = [models.CheckConstraint(condition=Q(seq__gte=1), name="evidence_entry_seq_positive")]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject_type}#{self.subject_id}"


class ChainHead(models.Model):
    """The one row every append locks (``select_for_update``), so two appends can never both follow the same
    entry: the chain cannot fork. ``seq`` 0 with the genesis hash is the empty chain."""

    seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    hash = models.CharField(_("last hash"), max_length=HASH_LENGTH, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="evidence_chainhead_single_row")]
        # The head moves forward with every append; it is never deleted.
        triggers = [never_deleted()]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class Checkpoint(models.Model):
    """A signed statement "the chain's entry ``seq`` has hash ``hash``", made periodically with the Ed25519
    key outside the database; ``statement`` is the exact signed text, exported as the notary's file."""

    seq = models.PositiveBigIntegerField(_("head sequence number"))
    hash = models.CharField(_("head hash"), max_length=HASH_LENGTH)
    signed_at = models.DateTimeField(_("signed at"))
    statement = models.TextField(_("signed statement (canonical JSON)"))
    signature = models.CharField(_("signature (base64)"), max_length=120)
    public_key = models.CharField(_("public key (base64)"), max_length=60)
    key_fingerprint = models.CharField(_("public key fingerprint (SHA-256)"), max_length=HASH_LENGTH)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["-signed_at", "-id"]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]} @ {self.signed_at:%Y-%m-%d %H:%M}"
