"""Collateral health: the flags the daily monitor raised on pledged IP, for the parties to the loan."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from tongzhirong.monitoring.models import CollateralFlag
from tongzhirong.monitoring.selectors import collateral_flag_list
from tongzhirong.monitoring.services import collateral_flag_accept

from .serializers import AcceptInput, CollateralFlagOutput, FlagFilterInput


class CollateralFlagViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flags on pledged IP of the loans you are party to (borrower, lending bank, insurer or guarantor)."""

    queryset = CollateralFlag.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = CollateralFlagOutput

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            params = FlagFilterInput(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            filters = params.validated_data
        return collateral_flag_list(user=self.request.user, filters=filters)

    @extend_schema(parameters=[FlagFilterInput], summary="Collateral flags on loans you are party to")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AcceptInput,
        responses=CollateralFlagOutput,
        summary="Bank: accept the asset's new co-owners (they become the pledge's baseline; the flag resolves)",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        flag = collateral_flag_accept(actor=request.user, flag=self.get_object(), note=data.validated_data["note"])
        return Response(CollateralFlagOutput(self.get_queryset().get(pk=flag.pk)).data)
