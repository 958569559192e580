import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongzhirong.evidence.checkpoints import checkpoint_file_problems, trusted_fingerprint


class Command(BaseCommand):
    help = (
        "Check an exported checkpoint file: its Ed25519 signature, that the key is this platform's (the configured "
        "key's fingerprint, or --fingerprint), and that this database's chain is intact up to the signed entry and "
        "carries the signed hash. Exits non-zero with the reasons when it does not hold."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--fingerprint", help="The public-key fingerprint lodged with the notary.")
        parser.add_argument(
            "--signature-only", action="store_true", help="Check the file alone, without this database's chain."
        )

    def handle(self, *args, file, fingerprint=None, signature_only=False, **options):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        trusted = fingerprint or trusted_fingerprint()
        problems = checkpoint_file_problems(document, trusted_fingerprint=trusted, against_chain=not signature_only)
        if problems:
            raise CommandError("The checkpoint does not hold: " + " ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint holds: entry {document['seq']} has hash {document['hash']}, signed at "
                f"{document['signed_at']} by key {document['public_key_fingerprint']}"
                + ("" if trusted else " (no trusted fingerprint given: the key itself was not checked)")
                + ("." if signature_only else "; the chain is intact up to it.")
            )
        )
