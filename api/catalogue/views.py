from rest_framework import viewsets

from tongzhirong.assets.models import IPAsset
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.products.models import LoanProduct
from tongzhirong.products.selectors import loan_product_list

from .serializers import IPAssetOutput, LoanProductOutput


class LoanProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = LoanProduct.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = LoanProductOutput
    filterset_fields = ("bank", "requires_insurance", "requires_guarantee")

    def get_queryset(self):
        return loan_product_list(user=self.request.user)


class IPAssetViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = IPAsset.objects.none()
    serializer_class = IPAssetOutput
    filterset_fields = ("ip_type", "legal_status")

    def get_queryset(self):
        return ip_asset_list(user=self.request.user)
