import json
import time

from django.core.management.base import BaseCommand

from tongzhirong.reporting.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the financial office's rollups (amounts and loans per day and group, firms' first and last days) "
        "from the platform and reported loans, in one transaction. Needed only after loans were written in bulk "
        "around the models (COPY, bulk_create) or to recover from a fault; every loan written otherwise keeps them."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = rollups_rebuild()
        result["seconds"] = round(time.perf_counter() - started, 1)
        self.stdout.write(json.dumps(result))
