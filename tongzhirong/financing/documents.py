"""Application documents: PDF or image, checked by content and size, stored once with their hash."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import Conflict, ValidationFailed

from .models import Application, ApplicationDocument, DocumentKind

# Leading bytes of each accepted type; the name and the browser's declared type are not trusted.
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def sniff_type(head: bytes) -> str | None:
    return next((mime for magic, mime in MAGIC if head.startswith(magic)), None)


def _document_errors(upload) -> tuple[list[str], str | None]:
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size == 0:
        return [_("The file is empty.")], None
    if upload.size > limit:
        return [
            _("The file is %(size)s bytes; at most %(limit)s are accepted.") % {"size": upload.size, "limit": limit}
        ], None
    upload.seek(0)
    mime = sniff_type(upload.read(16))
    upload.seek(0)
    if mime is None:
        return [_("Only PDF, PNG or JPEG files are accepted.")], None
    declared = EXTENSIONS.get(PurePath(upload.name or "").suffix.lower())
    if declared != mime:
        return [
            _("The file's content is %(mime)s but its name %(name)s says otherwise.")
            % {"mime": mime, "name": upload.name}
        ], None
    return [], mime


def application_document_add(*, actor, application: Application, kind: str, upload) -> ApplicationDocument:
    """Attach a document. The applicant or the reviewing bank may, while the application is live."""
    side = application.enterprise.organisation_id, application.product.bank_id
    require(
        actor,
        organisation_id=side,
        kinds=(OrganisationKind.SME, OrganisationKind.BANK),
        message=_("Only the applicant or the reviewing bank attaches documents."),
    )
    if application.status in Application.TERMINAL - {"disbursed"}:
        raise Conflict(_("The application is %(status)s: it takes no more documents.") % {"status": application.status})
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Use one of %(kinds)s.") % {"kinds": ", ".join(DocumentKind.values)}]
    file_errors, mime = _document_errors(upload)
    if file_errors:
        errors["file"] = file_errors
    if errors:
        raise ValidationFailed(errors)
    document = ApplicationDocument(application=application, kind=kind, uploaded_by=actor)
    return stored_with_file(document, upload, mime=mime)


def stored_with_file(record, upload, *, mime: str):
    """Save ``record`` (an uploaded file's row: ``file``, ``original_name``, ``mime_type``, ``size``, ``sha256``)
    with ``upload``, checked already. The file is written first; if the row cannot be, the file goes too, so
    nothing is half-stored."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    record.original_name = PurePath(upload.name).name[:200]
    record.mime_type, record.size, record.sha256 = mime, upload.size, digest.hexdigest()
    record.file.save(upload.name, upload, save=False)
    try:
        with transaction.atomic():
            record.save()
    except Exception:
        record.file.delete(save=False)
        raise
    return record


# What every application's package holds (专利权质押登记办法: the parties' identity, or an undertaking in its place)
# and what the bank reads before deciding.
ALWAYS_REQUIRED = (DocumentKind.BUSINESS_LICENCE, DocumentKind.IDENTITY_PROOF, DocumentKind.FINANCIAL_STATEMENT)
# A document of the second kind stands in for one of the first.
STANDS_IN_FOR = {DocumentKind.IDENTITY_PROOF: DocumentKind.UNDERTAKING}


def application_document_checklist(application: Application, documents=None) -> list[dict]:
    """The kinds of document the application's product requires, each with whether one is attached: the business
    licence, an identity proof (or an undertaking) and a financial statement always; an appraisal report when the
    amount asked (or approved) is above the product's appraisal-free ceiling. Reads only."""
    kinds = list(ALWAYS_REQUIRED)
    amount = application.approved_amount or application.requested_amount
    if amount > application.product.appraisal_free_ceiling:
        kinds.append(DocumentKind.APPRAISAL_REPORT)
    if documents is None:
        documents = application.documents.all()
    attached = {d.kind for d in documents}
    return [
        {
            "kind": kind,
            "label": DocumentKind(kind).label,
            "present": kind in attached or STANDS_IN_FOR.get(kind) in attached,
        }
        for kind in kinds
    ]
