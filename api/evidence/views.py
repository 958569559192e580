"""The evidence chain for the platform's administrators and the city office: is it intact (and if not, the first
broken entry), and the signed checkpoints, each as the file a notary or a court checks."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from tongzhirong.evidence.checkpoints import checkpoint_export
from tongzhirong.evidence.models import Checkpoint
from tongzhirong.evidence.selectors import checkpoint_list, evidence_report

from .serializers import AuditReportOutput, CheckpointFileOutput


class AuditView(APIView):
    @extend_schema(
        responses=AuditReportOutput,
        summary="Platform admin, city office: verify the evidence chain and name its first broken entry",
    )
    def get(self, request):
        return Response(AuditReportOutput(evidence_report(actor=request.user).as_dict()).data)


class CheckpointListView(generics.ListAPIView):
    """Each checkpoint as the notary's file (README, "Evidence chain"), newest first."""

    queryset = Checkpoint.objects.none()  # the schema's model; requests read checkpoint_list
    serializer_class = CheckpointFileOutput

    def get_queryset(self):
        return checkpoint_list(actor=self.request.user)

    def get_serializer(self, *args, **kwargs):
        if args:
            args = ([{"id": c.pk, **checkpoint_export(c)} for c in args[0]], *args[1:])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(summary="Platform admin, city office: the signed checkpoints of the chain head, each as its file")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
