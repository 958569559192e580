import contextlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tongzhirong.demo.simulator import RegisterSimulator, serve


class Command(BaseCommand):
    help = (
        "Serve the demo world's sources (registers, court lists, tax grade, certifications) over HTTP in the fact "
        "provider contract (docs/fact-sources.md). `make run` starts it; the seed publishes the records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--state",
            type=Path,
            default=settings.BASE_DIR / ".run" / "register-simulator.json",
            help="Where the records are kept between runs.",
        )

    def handle(self, *args, port: int, state: Path, **options):
        app = RegisterSimulator(token=settings.FACTS_HTTP_TOKEN, state=state)
        server = serve(app, port=port)
        self.stdout.write(f"Register simulator on http://127.0.0.1:{port} ({len(app.records)} records)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
