from django.core.management.base import BaseCommand, CommandError

from scoring import registry
from scoring.ml.artefacts import ArtefactError
from scoring.ml.synthetic import WorldParams
from scoring.ml.train import RISK_MODEL_NAME, VALUE_MODEL_NAME, train_default_models
from scoring.models import ModelRole, ModelVersion


class Command(BaseCommand):
    help = (
        "Train the default value and pledge-risk models on the synthetic world as a new version and register them. "
        "A published version is never overwritten: the default label is the next generation after those on disk."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model-version", help="Version label for the new artefacts, v<N> (default: one above the newest)."
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--loans", type=int, default=100_000, help="Loans in the synthetic world.")
        parser.add_argument("--default-rate", type=float, default=0.04)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Train nothing when the default artefacts are already on disk; register what the database lacks.",
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
            if model_version is not None and registry.generation(model_version) is None:
                raise CommandError("--model-version must read v<N> (v2, v3, ...): the registry orders versions by N.")
            params = WorldParams(n_loans=loans, seed=seed, default_rate=default_rate)
            try:
                results = train_default_models(root, params=params, version=model_version or _next_version(root))
            except ArtefactError as exc:
                raise CommandError(str(exc)) from exc
            for name, metadata in results.items():
                self.stdout.write(f"{name}: {metadata['name']} {metadata['version']} {metadata['metrics']}")
        for name in (VALUE_MODEL_NAME, RISK_MODEL_NAME):
            for version_row in registry.register_from_disk(name):
                self.stdout.write(f"registered {version_row}")
            roles = dict(
                ModelVersion.objects.filter(name=name, bank__isnull=True)
                .exclude(role=ModelRole.RETIRED)
                .values_list("role", "version")
            )
            champion, challenger = roles.get(ModelRole.CHAMPION), roles.get(ModelRole.CHALLENGER)
            self.stdout.write(f"{name}: champion {champion or '-'}, challenger {challenger or '-'}")
            if champion and challenger and _generation(challenger) > _generation(champion):
                self.stdout.write(
                    f"  {challenger} is newer than the champion {champion}: `python manage.py upgrade_models` "
                    "promotes it when it wins (or reads inputs the champion does not), with the reason logged."
                )


def _generation(version: str) -> int:
    return registry.generation(version) or 0


def _next_version(root) -> str:
    found = [
        registry.generation(directory.name) or 0
        for name in (VALUE_MODEL_NAME, RISK_MODEL_NAME)
        if (root / name).is_dir()
        for directory in (root / name).iterdir()
        if directory.is_dir()
    ]
    return f"v{max(found, default=0) + 1}"
