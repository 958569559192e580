"""Facts with their provenance, the applicant's disputes and credit-check authorisations: thin over
``tongzhirong.facts`` (selectors scope every read to what the caller may see; services refuse what the caller may
not do, so the pages and the shell are refused alike)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from tongzhirong.core.errors import PermissionDenied
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.facts.credit import credit_report_record
from tongzhirong.facts.models import CreditAuthorisation, Fact, FactDispute
from tongzhirong.facts.selectors import credit_authorisation_list, dispute_list, fact_list
from tongzhirong.facts.services import (
    credit_authorisation_revoke,
    credit_authorisation_sign,
    fact_dispute_open,
    fact_dispute_resolve,
)

from . import serializers as s


def _filtered(request, serializer_class) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class FactViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the sources said about an enterprise and its IP assets, newest observation first: the firm sees its
    own, a bank those of firms that applied to it or authorised it, the platform all."""

    queryset = Fact.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = s.FactOutput

    def get_queryset(self):
        qs = fact_list(user=self.request.user)
        if self.action == "list":
            qs = qs.filter(**_filtered(self.request, s.FactFilterInput))
        return qs.order_by("-observed_at", "-fetched_at", "-id")

    @extend_schema(parameters=[s.FactFilterInput], summary="Facts you may see, with their provenance")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One fact with its provenance")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=s.DisputeOpenInput,
        responses={201: s.DisputeOutput},
        summary="SME: dispute what a source says about you (the bank sees it; the platform resolves it)",
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        data = s.DisputeOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = fact_dispute_open(actor=request.user, fact=self.get_object(), reason=data.validated_data["reason"])
        return Response(s.DisputeOutput(dispute).data, status=status.HTTP_201_CREATED)


class FactDisputeViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disputes of facts: the firm sees its own, a bank those of firms that applied to it or authorised it, the
    platform all and resolves them."""

    queryset = FactDispute.objects.none()
    serializer_class = s.DisputeOutput

    def get_queryset(self):
        qs = dispute_list(user=self.request.user)
        if self.action == "list":
            qs = qs.filter(**_filtered(self.request, s.DisputeFilterInput))
        return qs

    @extend_schema(parameters=[s.DisputeFilterInput], summary="Disputes you may see")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One dispute")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=s.DisputeResolveInput,
        responses=s.DisputeOutput,
        summary="Platform: resolve a dispute (upheld with a corrected value records it as a new fact)",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = s.DisputeResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = fact_dispute_resolve(actor=request.user, dispute=self.get_object(), **data.validated_data)
        return Response(s.DisputeOutput(self.get_queryset().get(pk=dispute.pk)).data)


class CreditAuthorisationViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Credit-check authorisations: the firm's owner signs and revokes them, the bank named reads them."""

    queryset = CreditAuthorisation.objects.none()
    serializer_class = s.AuthorisationOutput

    def get_queryset(self):
        return credit_authorisation_list(user=self.request.user)

    @extend_schema(summary="Authorisations you signed (SME) or hold (bank)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One authorisation")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=s.AuthorisationSignInput,
        responses={201: s.AuthorisationOutput},
        summary="SME owner: authorise a bank to pull your credit report for a scope until a day",
    )
    def create(self, request):
        data = s.AuthorisationSignInput(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = enterprise_of(user=request.user)
        if enterprise is None:
            raise PermissionDenied(_("Only an enterprise's owner signs a credit-check authorisation."))
        authorisation = credit_authorisation_sign(actor=request.user, enterprise=enterprise, **data.validated_data)
        return Response(s.AuthorisationOutput(authorisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.AuthorisationOutput, summary="SME owner: revoke an authorisation")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        authorisation = credit_authorisation_revoke(actor=request.user, authorisation=self.get_object())
        return Response(s.AuthorisationOutput(self.get_queryset().get(pk=authorisation.pk)).data)


class CreditReportViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """A bank records the credit report it pulled under the firm's live authorisation."""

    queryset = Fact.objects.none()
    serializer_class = s.FactOutput

    @extend_schema(
        request=s.CreditReportInput,
        responses={201: s.CreditReportOutput},
        summary="Bank: record a credit report pulled under the firm's live authorisation (all lines or none)",
    )
    def create(self, request):
        data = s.CreditReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        facts = credit_report_record(actor=request.user, **data.validated_data)
        report = {"enterprise": data.validated_data["enterprise"].pk, "reference": facts[0].reference, "facts": facts}
        return Response(s.CreditReportOutput(report).data, status=status.HTTP_201_CREATED)
