"""What request bodies the API reads: JSON everywhere, multipart only on the endpoints that take a file.

One media type per operation keeps the contract one shape: a generated client sends what the schema shows, and
no field is read twice from a form (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``; the upload endpoints set
``parser_classes = UPLOAD_PARSERS``)."""

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reads the request stream, which Django does not bound (only ``request.body`` is bound by
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``): refuse a larger body with 413 before reading it, and never read past it."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = _content_length(request)
        if limit is not None and declared > limit:
            raise PayloadTooLarge(f"A JSON body may be at most {limit} bytes; this one declares {declared}.")
        return super().parse(stream, media_type, parser_context)


def _content_length(request) -> int:
    meta = getattr(request, "META", {}) if request is not None else {}
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


UPLOAD_PARSERS = [parsers.MultiPartParser]
