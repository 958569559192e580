from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from scoring.services import application_score, asset_valuate
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.financing.selectors import application_list

from .serializers import ApplicationScoreOutput, AssetValuationOutput


class AssetValuationView(APIView):
    @extend_schema(
        responses=AssetValuationOutput,
        summary="Instant pre-valuation of an IP asset: P10/P50/P90, realisable value, flags, sub-scores",
    )
    def get(self, request, pk: int):
        asset = get_object_or_404(ip_asset_list(user=request.user), pk=pk)
        return Response(AssetValuationOutput(asset_valuate(asset=asset)).data)


class ApplicationScoreView(APIView):
    @extend_schema(
        responses=ApplicationScoreOutput,
        summary="Pledge-risk score of an application: PD, points, band, reasons and what would improve it",
    )
    def get(self, request, pk: int):
        application = get_object_or_404(application_list(user=request.user), pk=pk)
        return Response(ApplicationScoreOutput(application_score(application=application)).data)
