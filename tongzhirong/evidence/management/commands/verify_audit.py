from django.core.management.base import BaseCommand, CommandError

from tongzhirong.evidence.selectors import chain_verify


class Command(BaseCommand):
    help = (
        "Walk the evidence chain: every link, every entry's hash, every chained record against its row, the head "
        "and the signed checkpoints, then every row of the evidence tables against the entries. Names the first "
        "broken entry (or the first record with no entry) and exits non-zero."
    )

    def handle(self, *args, **options):
        report = chain_verify()
        if report.intact:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Evidence chain intact: {report.entries} entries, head {report.head_seq} {report.head_hash}, "
                    f"{report.checkpoints} checkpoints."
                )
            )
            return
        found = report.first_break
        if found.seq is None:
            raise CommandError(
                f"Evidence chain incomplete: {report.unchained} record(s) have no entry, first {found.subject} "
                f"({found.problem}): {found.detail}"
            )
        raise CommandError(
            f"Evidence chain broken at entry {found.seq} (kind {found.kind or '-'}, subject {found.subject or '-'}, "
            f"{found.problem}): {found.detail} expected {found.expected}, found {found.found}"
        )
