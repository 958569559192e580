"""The evidence chain for the platform's administrators and the city office: is it intact (and if not, the first
broken entry), and the signed checkpoints, each downloadable as the file a notary or a court checks."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from tongzhirong.evidence.checkpoints import checkpoint_export
from tongzhirong.evidence.models import Checkpoint
from tongzhirong.evidence.selectors import checkpoint_list, evidence_report

from .serializers import AuditReportOutput, CheckpointFileOutput, CheckpointOutput


class AuditView(APIView):
    @extend_schema(
        responses=AuditReportOutput,
        summary="Platform admin, city office: verify the evidence chain and name its first broken entry",
    )
    def get(self, request):
        return Response(AuditReportOutput(evidence_report(actor=request.user).as_dict()).data)


class CheckpointListView(generics.ListAPIView):
    queryset = Checkpoint.objects.none()  # the schema's model; requests read checkpoint_list
    serializer_class = CheckpointOutput

    def get_queryset(self):
        return checkpoint_list(actor=self.request.user)

    @extend_schema(summary="Platform admin, city office: the signed checkpoints of the chain head, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CheckpointFileView(APIView):
    @extend_schema(responses=CheckpointFileOutput, summary="Platform admin, city office: a checkpoint as its file")
    def get(self, request, pk):
        checkpoint = get_object_or_404(checkpoint_list(actor=request.user), pk=pk)
        disposition = f'attachment; filename="evidence-checkpoint-{checkpoint.seq}.json"'
        return Response(checkpoint_export(checkpoint), headers={"Content-Disposition": disposition})
