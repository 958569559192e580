import time
from datetime import date

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, User
from tongzhirong.demo.reference import DEMO_USERNAMES
from tongzhirong.demo.seed import build_demo_world


class Command(BaseCommand):
    help = (
        "Load the demo world: a deterministic Nantong IP pledge financing marketplace (banks, insurer, guarantor, "
        "60 SMEs, 300 IP assets, products, applications and loans) and one demo account per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="The same seed and day build the same world.")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="The world's present, YYYY-MM-DD (default today; never in the future).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already holds organisations."
        )
        mode.add_argument(
            "--reset",
            action="store_true",
            help="Empty the WHOLE database first (like `manage.py flush`, users included), then seed.",
        )

    def handle(self, *args, seed: int, as_of: date | None, if_empty: bool, reset: bool, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run in production: the demo world has known passwords.")
        if as_of is not None and as_of > timezone.localdate():
            raise CommandError(f"--as-of {as_of} lies in the future: the demo world only holds the past.")
        if Organisation.objects.exists():
            if if_empty:
                self.stdout.write("The database already holds data: the demo world was not loaded.")
                return
            if not reset:
                raise CommandError(
                    "The database is not empty. Run `manage.py flush` first, or pass --reset to empty it and seed."
                )
        started = time.perf_counter()
        with transaction.atomic():
            if reset:
                call_command("flush", interactive=False, verbosity=0)
                ContentType.objects.clear_cache()
            counts = build_demo_world(seed, as_of=as_of)
        elapsed = time.perf_counter() - started

        as_of = as_of or timezone.localdate()
        self.stdout.write(self.style.SUCCESS(f"Demo world (seed {seed}, as of {as_of}) built in {elapsed:.1f} s:"))
        for name, count in counts.items():
            self.stdout.write(f"  {name:<20} {count:>6}")
        self.stdout.write("Demo accounts (password: the DEMO_PASSWORD setting):")
        for user in User.objects.filter(username__in=DEMO_USERNAMES).select_related("organisation").order_by("pk"):
            self.stdout.write(f"  {user.username:<20} {user.get_role_display()} · {user.organisation}")
