from django.core.management.base import BaseCommand, CommandError

from scoring import registry
from scoring.ml.artefacts import ArtefactError, read_metadata
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
            "--only",
            choices=(VALUE_MODEL_NAME, RISK_MODEL_NAME),
            help="Train one of the two (a new pledge_risk version need not republish an unchanged ip_value).",
        )
        parser.add_argument(
            "--history",
            help="Why this version was trained, for its metadata and its card's version history (which version it "
            "supersedes is found on disk).",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Train nothing when the default artefacts are already on disk; register what the database lacks.",
        )

    def handle(self, *args, model_version, seed, loans, default_rate, only, history, if_missing, **options):
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
            version = model_version or _next_version(root)
            names = (only,) if only else (RISK_MODEL_NAME, VALUE_MODEL_NAME)
            try:
                results = train_default_models(
                    root,
                    params=params,
                    version=version,
                    models=names,
                    supersedes=_predecessors(root, names, version),
                    history=history,
                )
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


def _predecessors(root, names, version: str) -> dict[str, str]:
    """For each label about to be written, the newest published version of the same model and kind."""
    newest: dict[str, tuple[int, str]] = {}
    for name in names:
        for directory in sorted((root / name).iterdir()) if (root / name).is_dir() else ():
            if directory.is_dir() and (found := registry.generation(directory.name)) is not None:
                kind = read_metadata(directory).get("kind")
                label = f"{version}-{kind}" if name == RISK_MODEL_NAME else version
                if found < (registry.generation(version) or 0) and found > newest.get(label, (-1, ""))[0]:
                    newest[label] = (found, directory.name)
    return {label: previous for label, (_, previous) in newest.items()}


def _next_version(root) -> str:
    found = [
        registry.generation(directory.name) or 0
        for name in (VALUE_MODEL_NAME, RISK_MODEL_NAME)
        if (root / name).is_dir()
        for directory in (root / name).iterdir()
        if directory.is_dir()
    ]
    return f"v{max(found, default=0) + 1}"
