from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import MeOutput


class MeView(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in person, their organisation and role")
    def get(self, request):
        return Response(MeOutput(request.user).data)
