from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from scoring.selectors import latest_score, latest_valuations
from scoring.services import application_rescore
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import NotFound
from tongzhirong.financing.selectors import application_list

from .serializers import ApplicationScoreOutput, AssetValuationOutput


class AssetValuationView(APIView):
    @extend_schema(
        responses=AssetValuationOutput,
        summary="Pre-valuation of an IP asset: P10/P50/P90, realisable value, flags, sub-scores",
        description="The latest valuation: taken right after the asset is registered, corrected or its co-owners "
        "change, and every night; reading never values. 404 `not_found` until the first valuation is in.",
    )
    def get(self, request, pk: int):
        asset = get_object_or_404(ip_asset_list(user=request.user), pk=pk)
        valuation = latest_valuations([asset.pk]).get(asset.pk)
        if valuation is None:
            raise NotFound(
                _("This asset is not valued yet: it is valued within minutes of being registered or corrected.")
            )
        return Response(AssetValuationOutput(valuation).data)


class ApplicationScoreView(APIView):
    @extend_schema(
        responses=ApplicationScoreOutput,
        summary="Pledge-risk score of an application: PD, points, band, reasons and what would improve it",
        description="The latest score, taken at submission or by the bank's rescore; reading never rescores. "
        "404 `not_found` until the application is first scored.",
    )
    def get(self, request, pk: int):
        application = get_object_or_404(application_list(user=request.user), pk=pk)
        score = latest_score(application)
        if score is None:
            raise NotFound(_("This application is not scored yet: it is scored when submitted."))
        return Response(ApplicationScoreOutput(score).data)


class ApplicationRescoreView(APIView):
    @extend_schema(
        request=None,
        responses=ApplicationScoreOutput,
        summary="Bank: rescore the application on its current inputs and the champion model",
    )
    def post(self, request, pk: int):
        application = get_object_or_404(application_list(user=request.user), pk=pk)
        return Response(ApplicationScoreOutput(application_rescore(actor=request.user, application=application)).data)
