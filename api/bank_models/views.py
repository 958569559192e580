"""A bank's own pledge-risk models, thin over ``scoring.training``: its manager uploads a CSV of the bank's loans
(trained by a task, registered as the bank's challenger with its model card), follows the training, reads each
version's card, and asks to promote the challenger (the service's rule decides). Other banks see none of it."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.parsers import UPLOAD_PARSERS, JSONParser
from scoring.models import BankModelTraining, ModelVersion
from scoring.training import bank_model_promote, bank_model_training_list, bank_model_version_list
from tongzhirong.lending.risk_models import bank_model_training_queue

from . import serializers as s


class BankModelTrainingViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = BankModelTraining.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = s.BankModelTrainingOutput
    parser_classes = UPLOAD_PARSERS

    def get_queryset(self):
        return bank_model_training_list(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(summary="Bank manager: your bank's model trainings, newest first")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One training: queued, training, registered as challenger (with its version) or failed")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.BankModelTrainingInput},
        responses={202: s.BankModelTrainingOutput},
        summary="Bank manager: train the bank's own risk model on its CSV (checked now, trained by a task)",
    )
    def create(self, request, *args, **kwargs):
        data = s.BankModelTrainingInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        training = bank_model_training_queue(
            actor=request.user, upload=fields["file"], target=fields["target"], bad=fields["bad"], kind=fields["kind"]
        )
        return Response(s.BankModelTrainingOutput(training).data, status=status.HTTP_202_ACCEPTED)


class BankModelVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ModelVersion.objects.none()
    serializer_class = s.BankModelVersionOutput

    def get_queryset(self):
        return bank_model_version_list(user=self.request.user).order_by("-registered_at", "-pk")

    @extend_schema(summary="Bank: your bank's own model versions (champion, challenger, retired) with their cards")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One of your bank's model versions with its card")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=s.BankModelVersionOutput,
        summary="Bank manager: promote the challenger to score your queue",
        description="Only when it wins out of time beyond the noise (model_promote); otherwise 409 with the figures.",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def promote(self, request, pk=None):
        promoted = bank_model_promote(actor=request.user, version=self.get_object())
        return Response(s.BankModelVersionOutput(promoted).data)
