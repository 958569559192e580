from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tongzhirong.core.errors import DomainError
from tongzhirong.core.tabular import TabularError, read_table
from tongzhirong.facts.flagging import notified_list_import


class Command(BaseCommand):
    help = (
        "Import a batch of CNIPA's notified list of abnormal patent applications (CSV or XLSX with the columns "
        "application_number, batch, notified_on): each number that is a live patent on the platform gets the "
        "register's fact, and its owner's filing flags are refreshed. A malformed row refuses the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="the platform user the import is recorded under")

    def handle(self, *args, path: Path, user: str, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        try:
            with path.open("rb") as file:
                rows = read_table(file, name=path.name)
            result = notified_list_import(actor=actor, rows=rows)
        except (OSError, TabularError) as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(str(getattr(exc, "errors", None) or exc.detail)) from exc
        self.stdout.write(
            f"{result.rows} rows: {len(result.matched)} patents on the platform named "
            f"({', '.join(result.matched) or 'none'}); flags refreshed for {len(result.enterprises)} enterprises"
        )
