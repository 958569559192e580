"""The web app's part in the fault tests: submit applications as their applicants, one transaction each, and
say how many submissions answered and how long the slowest took. Run by tests/integration/faults.py:

    python -m tests.integration.fault_client 12 13 14
"""

import json
import os
import sys
import time

import django


def main(ids: list[int]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhirong.settings.base")
    django.setup()
    from tongzhirong.accounts.models import User
    from tongzhirong.financing.models import Application
    from tongzhirong.lending.applications import application_submit

    answered, failed, slowest = 0, [], 0.0
    for application in Application.objects.filter(pk__in=ids).select_related("enterprise"):
        actor = User.objects.filter(organisation_id=application.enterprise.organisation_id).first()
        started = time.monotonic()
        try:
            application_submit(actor=actor, application=application)
        except Exception as exc:  # the figure the test reads; a 500 in the web app
            failed.append(f"{application.pk}: {exc.__class__.__name__}: {exc}")
        else:
            answered += 1
        slowest = max(slowest, time.monotonic() - started)
    print("FAULT-CLIENT " + json.dumps({"answered": answered, "failed": failed, "slowest_s": round(slowest, 3)}))


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]])
