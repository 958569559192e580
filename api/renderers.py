"""Renderers for the files the API hands out (import templates, exports, the filing package's PDF).

The view makes the file's bytes; the renderer passes them through. DRF picks the renderer from ``?format=csv``
or ``?format=xlsx`` (or the Accept header). When the request fails instead, the problem body is a dict and is
written as JSON under its own ``application/problem+json`` content type."""

from rest_framework.renderers import BaseRenderer, JSONRenderer

from tongzhirong.core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE


class _FileRenderer(BaseRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, None, renderer_context)


class CSVFileRenderer(_FileRenderer):
    media_type = CSV_CONTENT_TYPE
    format = "csv"
    charset = "utf-8"


class XLSXFileRenderer(_FileRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None


class PDFFileRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
