import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring import registry
from scoring.ml.artefacts import ArtefactError
from scoring.ml.risk import KINDS, InvalidTrainingData
from scoring.ml.train import train_csv

from ._csv import read_table

NAME = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class Command(BaseCommand):
    help = "Train a new pledge-risk model version from a bank's CSV and register it."

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--target", required=True)
        parser.add_argument("--bad", required=True)
        parser.add_argument("--name", required=True, help="Model name, e.g. bank_risk (lower case, digits, _).")
        parser.add_argument("--kind", choices=KINDS, default="scorecard")
        parser.add_argument("--model-version", help="Version label; default: a timestamp.")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, csv, target, bad, name, kind, model_version, seed, **options):
        if not NAME.match(name):
            raise CommandError("--name must be lower case letters, digits and _, starting with a letter.")
        version = model_version or timezone.now().strftime("%Y%m%d%H%M%S") + f"-{kind}"
        frame = read_table(csv)
        try:
            metadata = train_csv(
                frame,
                target=target,
                bad=bad,
                kind=kind,
                name=name,
                version=version,
                root=registry.models_dir(),
                seed=seed,
            )
        except (InvalidTrainingData, ArtefactError) as exc:
            raise CommandError(str(exc)) from exc
        registry.register_from_disk(name)
        self.stdout.write(f"{name} {version}: {metadata['metrics']['cv']}")
