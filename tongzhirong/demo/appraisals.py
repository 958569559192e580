"""The demo world's formal appraisals: the demo appraisal firm has the demo bank's request on the demo SME's
application under review waiting for it, and has filed one on another application the bank is reviewing, so its
report sits beside the model's range on the bank's page."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.appraisals import appraisal_file, appraisal_request
from tongzhirong.accounts.models import Organisation, OrganisationKind, User
from tongzhirong.core.money import to_yuan
from tongzhirong.financing.models import Application, ApplicationStatus

from .world import DemoWorld

# A one-page PDF standing in for the firm's signed report (the demo has no real reports).
REPORT = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def seed_appraisals(world: DemoWorld) -> int:
    firm = Organisation.objects.filter(kind=OrganisationKind.APPRAISER).order_by("pk").first()
    officer = User.objects.get(username="demo-bank-officer")
    appraiser = User.objects.get(username="demo-appraiser")
    reviewing = Application.objects.filter(
        status=ApplicationStatus.UNDER_REVIEW, product__bank_id=officer.organisation_id
    ).order_by("created_at", "pk")
    waiting = reviewing.filter(enterprise__organisation__members__username="demo-sme").first()
    filed = reviewing.exclude(enterprise__organisation__members__username="demo-sme").first()
    made = 0
    for application in (waiting, filed):
        if application is None:
            continue
        appraisal = appraisal_request(actor=officer, application=application, appraiser=firm)
        made += 1
        if application is filed:
            # Fixed, not drawn: the world's random draws stay those it was always built with.
            value = to_yuan(application.requested_amount * Decimal("2.8"))
            appraisal_file(
                actor=appraiser,
                appraisal=appraisal,
                value=value,
                method="income",
                fee=to_yuan(value * Decimal("0.02")),
                report=SimpleUploadedFile("report.pdf", REPORT, content_type="application/pdf"),
            )
    return made
