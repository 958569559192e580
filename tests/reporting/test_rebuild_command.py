"""``manage.py rebuild_rollups`` puts back rollups lost or never written (a bulk load)."""

import json
from io import StringIO

from django.core.management import call_command

from tongzhirong.financing.rollups import LoanDayFigure, LoanFirmSpan
from tongzhirong.reporting.selectors import ReportFilters, Scope, breakdown


def test_the_command_rebuilds_what_the_loans_say(world):
    before = breakdown(scope=Scope(bank_id=None), filters=ReportFilters(), by="district")
    LoanDayFigure.objects.all().delete()
    LoanFirmSpan.objects.all().delete()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert json.loads(out.getvalue())["figures"] > 0
    assert breakdown(scope=Scope(bank_id=None), filters=ReportFilters(), by="district") == before
