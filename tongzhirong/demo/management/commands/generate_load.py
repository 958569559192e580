import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from tongzhirong.demo.load import generate_load


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic load for the dashboard benchmarks: enterprises, IP assets, banks, "
        "products, disbursed applications and their loans, and reported loans. COPY on PostgreSQL, bulk_create "
        "elsewhere. Refused under the production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loans", type=int, default=100_000)
        parser.add_argument("--assets", type=int, default=None, help="default: loans / 5")
        parser.add_argument("--enterprises", type=int, default=None, help="default: min(loans / 5, assets)")
        parser.add_argument("--reported", type=int, default=None, help="reported loans (default: loans / 20)")
        parser.add_argument("--seed", type=int, default=20260101)

    def handle(self, *args, loans, assets, enterprises, reported, seed, **options):
        from django.conf import settings

        if getattr(settings, "ENVIRONMENT", "") == "production" or "production" in settings.SETTINGS_MODULE:
            raise CommandError("generate_load writes synthetic loans: not under the production settings.")
        if loans < 1:
            raise CommandError("--loans must be at least 1")
        started = time.perf_counter()
        result = generate_load(
            loans=loans,
            assets=assets if assets is not None else max(loans // 5, 1),
            enterprises=enterprises,
            reported=reported,
            seed=seed,
            progress=lambda m: print(f"[{time.perf_counter() - started:7.1f} s] {m}", file=sys.stderr, flush=True),
        )
        result["seconds"] = round(time.perf_counter() - started, 1)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
