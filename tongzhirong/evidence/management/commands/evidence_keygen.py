from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongzhirong.evidence import keys


class Command(BaseCommand):
    help = (
        "Create the Ed25519 key that signs the evidence chain's checkpoints, at EVIDENCE_SIGNING_KEY (or --path). "
        "Never overwrites a key; prints the public-key fingerprint to lodge with the notary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, help="Where to write the PEM file (default: EVIDENCE_SIGNING_KEY).")

    def handle(self, *args, path=None, **options):
        path = path or keys.key_path()
        if path.exists():
            raise CommandError(f"{path} exists; a signing key is never overwritten.")
        key = keys.generate(path)
        self.stdout.write(f"Key written to {path} (mode 600). Keep it out of the database and the repository.")
        self.stdout.write(f"Public key fingerprint (SHA-256): {keys.fingerprint(keys.raw_public(key.public_key()))}")
