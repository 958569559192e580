from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongzhirong.core.errors import ValidationFailed
from tongzhirong.facts.sources.feed import fact_feed_import
from tongzhirong.facts.sources.refresh import FEED_SOURCES


class Command(BaseCommand):
    help = (
        "Import one extract a source sent through 知慧通 (CSV, XLSX or JSON, one fact per row; docs/fact-sources.md) "
        "and print its row report. Bad rows are reported and skipped; the others are recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, choices=[str(s) for s in FEED_SOURCES])

    def handle(self, *args, path: Path, source: str, **options):
        try:
            with path.open("rb") as file:
                report = fact_feed_import(file=file, name=path.name, source=source)
        except (OSError, ValidationFailed) as exc:
            raise CommandError(str(getattr(exc, "errors", exc))) from exc
        self.stdout.write(
            f"{report.rows} rows: {report.recorded} facts recorded, {report.unchanged} unchanged, "
            f"{report.skipped_rows} rows skipped"
        )
        for problem in report.problems:
            self.stdout.write(f"  row {problem['row']} {problem['field'] or ''}: {problem['message']}")
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s) in the extract")
