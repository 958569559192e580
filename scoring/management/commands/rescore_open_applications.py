import time

from django.core.management.base import BaseCommand, CommandError

from scoring.batches import CHUNK_SIZE, rescore_run_start, run_progress
from scoring.models import BatchRun
from scoring.tasks import score_chunk


class Command(BaseCommand):
    help = (
        "Rescore every open application now, as the nightly run does: chunk tasks fanned out over the workers. "
        "With --wait, print the run's progress (done, rate, time left) until it finishes; with --follow RUN, "
        "follow a run already going (the nightly one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help=f"Applications per task ({CHUNK_SIZE}).")
        parser.add_argument("--wait", action="store_true", help="Follow the run until it finishes.")
        parser.add_argument("--follow", type=int, metavar="RUN", help="Follow this run instead of starting one.")
        parser.add_argument("--every", type=float, default=2.0, help="Seconds between progress lines (2).")

    def handle(self, *args, chunk_size, wait, follow, every, **options):
        if follow is not None:
            run = BatchRun.objects.filter(pk=follow).first()
            if run is None:
                raise CommandError(f"There is no scoring run {follow}.")
        else:
            if not 1 <= chunk_size <= 100_000:
                raise CommandError("--chunk-size must be between 1 and 100000.")
            run = rescore_run_start(chunk_task=score_chunk, chunk_size=chunk_size)
        self.stdout.write(run_progress(run).line())
        while (wait or follow is not None) and run.finished_at is None:
            time.sleep(every)
            run = BatchRun.objects.get(pk=run.pk)
            self.stdout.write(run_progress(run).line())
