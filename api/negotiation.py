"""Content negotiation: DRF's, except that an unknown ``?format=`` is 406 Not Acceptable (what the caller asked
for cannot be answered), documented on every operation, where DRF answers 404 as if the resource were missing."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            formats = ", ".join(renderer.format for renderer in renderers)
            raise NotAcceptable(f"Ask for one of these formats: {formats}.") from None
