import re

from django.core.management.base import BaseCommand, CommandError

from scoring import registry
from scoring.ml.artefacts import ArtefactError
from scoring.ml.risk import KINDS, InvalidTrainingData
from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.training import bank_model_train, risk_model_train_csv
from tongzhirong.accounts.models import Organisation, OrganisationKind

from ._csv import read_table

NAME = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class Command(BaseCommand):
    help = (
        "Train a new pledge-risk model version from a bank's CSV and register it. With --bank, the model is that "
        "bank's own: trained on all but the last quarter of the rows, measured on them out of time against the "
        "model in charge of its queue (its own champion, else the platform's), registered as the bank's challenger "
        "(model_promote makes it the champion of its queue only when it wins there beyond the noise)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--target", required=True)
        parser.add_argument("--bad", required=True)
        parser.add_argument("--name", help="Model name, e.g. bank_risk (lower case, digits, _); not with --bank.")
        parser.add_argument("--bank", type=int, help="The id of the bank whose own model this is.")
        parser.add_argument("--kind", choices=KINDS, default="scorecard")
        parser.add_argument("--model-version", help="Version label; default: a timestamp.")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, csv, target, bad, name, bank, kind, model_version, seed, **options):
        bank_id = None
        if bank is not None:
            organisation = Organisation.objects.filter(pk=bank, kind=OrganisationKind.BANK).first()
            if organisation is None:
                raise CommandError(f"--bank {bank}: no such bank.")
            bank_id, name = organisation.pk, registry.bank_model_name(organisation.pk)
        elif name is None:
            raise CommandError("Give --name, or --bank for a bank's own model.")
        if not NAME.match(name):
            raise CommandError("--name must be lower case letters, digits and _, starting with a letter.")
        frame = read_table(csv)
        unknown = sorted(set(frame.columns) - {target, *RISK_FEATURE_NAMES})
        if bank_id is not None and unknown:
            # The bank's queue is scored on the platform's features: a model on other columns would see blanks.
            raise CommandError(f"A bank's model uses the platform's risk features only; unknown columns: {unknown}.")
        try:
            if bank_id is not None:
                trained = bank_model_train(
                    frame=frame, bank_id=bank_id, target=target, bad=bad, kind=kind, version=model_version, seed=seed
                )
                self.stdout.write(f"{name} {trained.version}: {trained.metrics['holdout']}")
                return
            metadata = risk_model_train_csv(
                frame=frame, name=name, target=target, bad=bad, kind=kind, version=model_version, seed=seed
            )
        except (InvalidTrainingData, ArtefactError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{name} {metadata['version']}: {metadata['metrics']['cv']}")
