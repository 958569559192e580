from django.core.management.base import BaseCommand, CommandError

from scoring import registry
from scoring.ml.artefacts import ArtefactError
from scoring.ml.synthetic import WorldParams
from scoring.ml.train import RISK_MODEL_NAME, VALUE_MODEL_NAME, train_default_models


class Command(BaseCommand):
    help = "Train the default value and pledge-risk models on the synthetic world and register them."

    def add_arguments(self, parser):
        parser.add_argument("--model-version", default="v1", help="Version label for the new artefacts (default v1).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--loans", type=int, default=100_000, help="Loans in the synthetic world.")
        parser.add_argument("--default-rate", type=float, default=0.04)
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing when the default artefacts are already on disk."
        )

    def handle(self, *args, model_version, seed, loans, default_rate, if_missing, **options):
        root = registry.models_dir()
        if if_missing and (root / VALUE_MODEL_NAME).is_dir() and (root / RISK_MODEL_NAME).is_dir():
            self.stdout.write("Default models are present; nothing to train.")
        else:
            if not 0 < default_rate < 0.5:
                raise CommandError("--default-rate must be between 0 and 0.5.")
            if loans < 5_000:
                raise CommandError("--loans must be at least 5000 so that the holdout has defaults to measure.")
            params = WorldParams(n_loans=loans, seed=seed, default_rate=default_rate)
            try:
                results = train_default_models(root, params=params, version=model_version)
            except ArtefactError as exc:
                raise CommandError(str(exc)) from exc
            for name, metadata in results.items():
                self.stdout.write(f"{name}: {metadata['name']} {metadata['version']} {metadata['metrics']}")
        for name in (VALUE_MODEL_NAME, RISK_MODEL_NAME):
            for version_row in registry.register_from_disk(name):
                self.stdout.write(f"registered {version_row}")
