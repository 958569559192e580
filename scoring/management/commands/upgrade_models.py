from django.core.management.base import BaseCommand

from scoring import registry
from scoring.ml.train import RISK_MODEL_NAME, VALUE_MODEL_NAME
from scoring.services import model_promote, model_upgrade
from tongzhirong.core.errors import Conflict


class Command(BaseCommand):
    help = (
        "After an upgrade brings newer default model versions: register them (as challengers), then put each in "
        "charge only by rule, every role change audited with its reason. A challenger that reads inputs the "
        "champion does not (the champion cannot serve today's features) is promoted by model_upgrade; one that "
        "reads the same inputs only when it wins out of time beyond the noise (model_promote)."
    )

    def handle(self, *args, **options):
        for name in (VALUE_MODEL_NAME, RISK_MODEL_NAME):
            for row in registry.register_from_disk(name):
                self.stdout.write(f"registered {row}")
            try:
                promoted = model_upgrade(name=name)
            except Conflict as upgrade_refused:
                try:
                    promoted = model_promote(name=name)
                except Conflict as exc:
                    self.stdout.write(f"{name}: no change ({upgrade_refused} / {exc})")
                    continue
            self.stdout.write(f"{name}: {promoted.version} is the champion now")
            for row in registry.register_from_disk(name):
                self.stdout.write(f"registered {row}")
