import json
from pathlib import Path

from django.core.management.base import BaseCommand

from tongzhirong.evidence.checkpoints import checkpoint_create, checkpoint_export


class Command(BaseCommand):
    help = "Sign the evidence chain's head now and, with --out, export the checkpoint as the notary's JSON file."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="Write the checkpoint file here.")

    def handle(self, *args, out=None, **options):
        checkpoint = checkpoint_create(actor=None)
        document = json.dumps(checkpoint_export(checkpoint), ensure_ascii=False, indent=2) + "\n"
        if out:
            out.write_text(document, encoding="utf-8")
            self.stdout.write(f"Checkpoint of entry {checkpoint.seq} ({checkpoint.hash}) written to {out}.")
        else:
            self.stdout.write(document)
