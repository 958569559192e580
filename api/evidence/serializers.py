from rest_framework import serializers


class BreakOutput(serializers.Serializer):
    seq = serializers.IntegerField(
        allow_null=True,
        help_text="The first entry where the chain stops holding; null for a record that has no entry at all.",
    )
    kind = serializers.CharField()
    subject = serializers.CharField(
        help_text="What the entry is about: <app>.<model>#<id> (for record_unchained, the record with no entry)."
    )
    problem = serializers.ChoiceField(
        choices=[
            "missing",
            "broken_link",
            "rewritten",
            "altered",
            "record_changed",
            "record_deleted",
            "record_unchained",
            "head_mismatch",
            "checkpoint_unsigned",
            "checkpoint_mismatch",
        ]
    )
    expected = serializers.CharField(help_text="The hash (or recorded value) the chain holds.")
    found = serializers.CharField(help_text="The hash (or value) found now.")
    detail = serializers.CharField()


class AuditReportOutput(serializers.Serializer):
    intact = serializers.BooleanField()
    entries = serializers.IntegerField(help_text="Entries checked.")
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    checkpoints = serializers.IntegerField()
    first_break = BreakOutput(allow_null=True)
    unchained = serializers.IntegerField(
        help_text="Rows of the evidence tables (money records, status changes, filings, signatures) with no "
        "chain entry; counted once the chain itself holds."
    )


class CheckpointFileOutput(serializers.Serializer):
    """The notary's file (README, "Evidence chain"): ``statement`` is the exact signed UTF-8 text."""

    id = serializers.IntegerField()
    format = serializers.CharField()
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    signed_at = serializers.CharField()
    algorithm = serializers.CharField()
    statement = serializers.CharField()
    signature = serializers.CharField(help_text="Ed25519 signature of the statement, base64.")
    public_key = serializers.CharField(help_text="The raw 32-byte Ed25519 public key, base64.")
    public_key_fingerprint = serializers.CharField(help_text="SHA-256 of the raw public key, hex.")
