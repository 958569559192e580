import json

from django.core.management.base import BaseCommand, CommandError

from scoring.ml.risk import InvalidTrainingData
from scoring.ml.train import evaluate_csv

from ._csv import read_table


class Command(BaseCommand):
    help = (
        "Stratified k-fold evaluation of the champion scorecard, the challenger and a plain one-hot logistic "
        "regression (the reference) on the same folds of a CSV; prints JSON naming the winner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--target", required=True, help="Column holding the outcome.")
        parser.add_argument("--bad", required=True, help="The value of --target that marks a default.")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, csv, target, bad, folds, seed, **options):
        frame = read_table(csv)
        try:
            result = evaluate_csv(frame, target=target, bad=bad, folds=folds, seed=seed)
        except (InvalidTrainingData, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
