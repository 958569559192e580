#!/usr/bin/env python
"""What a platform loan's rollups cost its writer: ``rollup_record`` for one loan disbursed today (a repeat
borrower's, whose spans exist, and a new firm's, whose spans are inserted), with every group of ``CROSSED`` and
without a bank's own groups (``BANK_CROSSED``), on a database a ``bench_city.py --keep-db`` run left.

    .venv/bin/python bench/bench_rollup_write.py --database-url postgres://…/citybench [--loans 200]

Each loan is written in its own transaction, rolled back (the book is left as it was); the loans are existing
ones, moved to today. Prints the day-row keys and span rows per loan, statements and the median time."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time

from bench_dashboard import open_database


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--loans", type=int, default=200)
    args = parser.parse_args(argv)
    open_database(args.database_url, reuse=True)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tongzhirong.financing import rollups
    from tongzhirong.financing.models import Loan

    every = dict(rollups.CROSSED)
    today = dt.date.today()
    loans = Loan.objects.select_related("borrower", "application").order_by("?")[: args.loans]
    entries = [loan._rollup_entries()[0][0] for loan in loans]

    def today_entry(entry, *, new_firm: bool):
        groups = {d: k for d, k in entry.keys.items() if d not in every and d not in rollups.PERIODS}
        groups.pop(rollups.ALL, None)
        firm = f"9{entry.firm[1:]}" if new_firm else entry.firm  # a USCC no loan has
        return rollups.loan_entry(source=entry.source, day=today, firm=firm, amount=entry.amount, groups=groups)

    print(f"rollup_record per platform loan on {connection.vendor}, {Loan.objects.count():,} loans")
    print("| bank's own groups | borrower | day-row keys | span rows | statements | median | load |")
    print("|---|---|---|---|---|---|---|")
    try:
        for with_bank in (False, True):
            rollups.CROSSED.clear()
            rollups.CROSSED.update({k: v for k, v in every.items() if with_bank or k not in rollups.BANK_CROSSED})
            for new_firm in (False, True):
                seconds, statements, keys = [], [], []
                for entry in entries:
                    loan = today_entry(entry, new_firm=new_firm)
                    keys.append(sum(len(v) for v in loan.keys.values()))
                    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        rollups.rollup_record([loan])
                        seconds.append(time.perf_counter() - started)
                        transaction.set_rollback(True)
                    statements.append(len(queries.captured_queries))
                print(
                    f"| {'with' if with_bank else 'without'} | {'new firm' if new_firm else 'repeat'} | "
                    f"{statistics.mean(keys):.1f} | {2 * statistics.mean(keys):.1f} | "
                    f"{statistics.mean(statements):.1f} | {statistics.median(seconds) * 1000:.1f} ms | "
                    f"{os.getloadavg()[0]:.1f} |"
                )
    finally:
        rollups.CROSSED.clear()
        rollups.CROSSED.update(every)


if __name__ == "__main__":
    main()
