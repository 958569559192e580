from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.models import IPAsset
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.financing.matching import products_match
from tongzhirong.products.models import LoanProduct
from tongzhirong.products.selectors import loan_product_list

from .serializers import IPAssetOutput, LoanProductOutput, MatchInput, MatchOutput


class LoanProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Published loan products; ``matches`` ranks them for an SME's own IP."""

    queryset = LoanProduct.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = LoanProductOutput
    filterset_fields = ("bank", "requires_insurance", "requires_guarantee")

    def get_queryset(self):
        return loan_product_list(user=self.request.user)

    @extend_schema(
        parameters=[MatchInput],
        responses=MatchOutput(many=True),
        summary="Products this SME can use for these assets: estimated limit, rate and all-in cost, ranked",
    )
    @action(detail=False, methods=["get"])
    def matches(self, request):
        params = MatchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        if request.user.kind != OrganisationKind.SME or not hasattr(request.user.organisation, "enterprise"):
            raise PermissionDenied("Matching is for an SME with an enterprise profile.")
        ids = params.validated_data["assets"]
        assets = list(ip_asset_list(user=request.user).filter(pk__in=ids))
        if len(assets) != len(set(ids)):
            raise ValidationFailed({"assets": ["Use only your own live assets."]})
        matches = products_match(
            enterprise=request.user.organisation.enterprise,
            assets=assets,
            products=list(self.get_queryset().filter(is_active=True)),
            amount=params.validated_data.get("amount"),
            term_months=params.validated_data["term_months"],
        )
        return Response(MatchOutput(matches, many=True).data)


class IPAssetViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = IPAsset.objects.none()
    serializer_class = IPAssetOutput
    filterset_fields = ("ip_type", "legal_status")

    def get_queryset(self):
        return ip_asset_list(user=self.request.user)
