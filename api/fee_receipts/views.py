"""Annual fee receipts for pledged IP, thin over ``tongzhirong.financing.fee_receipts``: the owner uploads the
office's receipt between two register refreshes; the bank holding the pledge confirms it (a fact from the receipt
that updates the asset's record) or rejects it with a reason."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from api.parsers import UPLOAD_PARSERS, JSONParser
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.facts.models import FeeReceipt
from tongzhirong.financing.documents import MAGIC
from tongzhirong.financing.fee_receipts import fee_receipt_list, fee_receipt_reject, fee_receipt_upload
from tongzhirong.lending.fee_receipts import fee_receipt_confirm

from . import serializers as s

RECEIPT_TYPES = tuple(media_type for _magic, media_type in MAGIC)


class FeeReceiptViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fee receipts: the owner sees its own, a bank those of assets pledged to it, the platform all."""

    queryset = FeeReceipt.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = s.FeeReceiptOutput

    def get_queryset(self):
        return fee_receipt_list(user=self.request.user).order_by("-created_at", "-pk")

    # The upload (create) takes multipart; the decisions take JSON like every other endpoint.
    parser_classes = UPLOAD_PARSERS

    @extend_schema(summary="Fee receipts you uploaded (SME) or may confirm (the pledgee bank)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One fee receipt")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.FeeReceiptInput},
        responses={201: s.FeeReceiptOutput},
        summary="SME: upload the receipt of a pledged asset's annual fee, for the pledgee bank to confirm",
    )
    def create(self, request):
        enterprise = enterprise_of(user=request.user)
        if enterprise is None:
            raise PermissionDenied(_("Only the owning enterprise uploads its fee receipts."))
        data = s.FeeReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        asset = ip_asset_list(user=request.user).filter(pk=data.validated_data["asset"], owner=enterprise).first()
        if asset is None:
            raise ValidationFailed({"asset": [_("No such asset of yours.")]})
        receipt = fee_receipt_upload(
            actor=request.user,
            asset=asset,
            paid_through=data.validated_data["paid_through"],
            upload=data.validated_data["file"],
        )
        return Response(s.FeeReceiptOutput(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.FeeReceiptOutput,
        summary="Pledgee bank: confirm the receipt (records paid-through as a fact from the receipt)",
        description="The collateral monitor re-checks the loans the asset secures at once, so the fee flag clears.",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def confirm(self, request, pk=None):
        receipt = fee_receipt_confirm(actor=request.user, receipt=self.get_object())
        return Response(s.FeeReceiptOutput(self.get_queryset().get(pk=receipt.pk)).data)

    @extend_schema(request=s.FeeReceiptRejectInput, responses=s.FeeReceiptOutput, summary="Pledgee bank: reject it")
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def reject(self, request, pk=None):
        data = s.FeeReceiptRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = fee_receipt_reject(
            actor=request.user, receipt=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(s.FeeReceiptOutput(self.get_queryset().get(pk=receipt.pk)).data)

    @extend_schema(
        responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY) for media_type in RECEIPT_TYPES},
        summary="Download the receipt, in the media type it was uploaded as (PDF, PNG or JPEG)",
    )
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        receipt = self.get_object()
        return FileResponse(
            receipt.file.open("rb"), as_attachment=True, filename=receipt.original_name, content_type=receipt.mime_type
        )
