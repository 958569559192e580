"""Subsidies: the city office sets policies and decides claims; a firm checks what its loans earn and claims.
Thin: every write is one service call; every read goes through a scoped selector."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import chosen_filters, filter_parameters
from api.idempotency import IdempotentMixin
from api.renderers import CSVFileRenderer, XLSXFileRenderer
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, write_table
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.subsidies import services
from tongzhirong.subsidies.filters import ClaimFilter
from tongzhirong.subsidies.models import SubsidyClaim, SubsidyPolicy
from tongzhirong.subsidies.selectors import (
    SEES_ALL_CLAIMS,
    claimable_loans,
    export_headers,
    export_rows,
    subsidy_claim_list,
    subsidy_policy_list,
)

from . import serializers as s


def _sme_enterprise(user):
    enterprise = enterprise_of(user=user)
    if enterprise is None:
        raise PermissionDenied(_("Subsidies are claimed by a firm with an enterprise profile."))
    return enterprise


class SubsidyPolicyViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """The city's subsidy policies: public to everyone signed in, set by the city office."""

    queryset = SubsidyPolicy.objects.none()  # for the schema; requests use the selector
    serializer_class = s.SubsidyPolicyOutput
    filterset_fields = ("kind", "is_active")

    def get_queryset(self):
        return subsidy_policy_list(user=self.request.user)

    def _city_office_only(self):
        require(
            self.request.user,
            kinds=(OrganisationKind.CITY_OFFICE,),
            message=_("Only the city office sets subsidy policies."),
        )

    @extend_schema(
        request=s.SubsidyPolicyCreateInput, responses={201: s.SubsidyPolicyOutput}, summary="City office: new policy"
    )
    def create(self, request):
        self._city_office_only()
        data = s.SubsidyPolicyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.subsidy_policy_create(actor=request.user, **data.validated_data)
        return Response(s.SubsidyPolicyOutput(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SubsidyPolicyUpdateInput,
        responses=s.SubsidyPolicyOutput,
        summary="City office: change a policy (terms freeze once a firm has claimed: 409 `locked`)",
    )
    def partial_update(self, request, pk=None):
        self._city_office_only()
        policy = self.get_object()
        data = s.SubsidyPolicyUpdateInput(policy, data=request.data, partial=True)  # its own name is no clash
        data.is_valid(raise_exception=True)
        policy = services.subsidy_policy_update(actor=request.user, policy=policy, **data.validated_data)
        return Response(s.SubsidyPolicyOutput(policy).data)

    @extend_schema(
        parameters=[s.EligibilityInput],
        responses=s.EligibilityOutput,
        summary="SME: what each of your loans earns under the policy in a year, why not if nothing, "
        "and what is left of your cap",
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        policy = self.get_object()
        enterprise = _sme_enterprise(request.user)
        params = s.EligibilityInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        year = params.validated_data["year"]
        loans = list(claimable_loans(user=request.user, year=year))
        quote = services.subsidy_claim_quote(policy=policy, enterprise=enterprise, year=year, loans=loans)
        body = {
            "year": year,
            "firm_reasons": quote.firm_reasons,
            "cap": quote.cap,
            "committed": quote.committed,
            "remaining": quote.remaining,
            "computed_amount": quote.computed_amount,
            "amount": quote.amount,
            "lines": quote.lines,
        }
        return Response(s.EligibilityOutput(body).data)


class SubsidyClaimViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims: a firm claims and may withdraw while submitted; the city office approves or rejects with a reason
    and records the payment. A firm sees its own claims, the city office and the platform all."""

    queryset = SubsidyClaim.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = s.SubsidyClaimOutput

    def get_queryset(self):
        filters = {}
        if self.action in ("list", "export"):
            filters = chosen_filters(ClaimFilter, self.request).chosen()  # the city office's claims page's too
        return subsidy_claim_list(user=self.request.user, filters=filters)

    def _respond(self, claim, code=status.HTTP_200_OK):
        return Response(s.SubsidyClaimOutput(self.get_queryset().get(pk=claim.pk)).data, status=code)

    @extend_schema(parameters=[filter_parameters(ClaimFilter)], summary="Subsidy claims you may see")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.SubsidyClaimCreateInput,
        responses={201: s.SubsidyClaimOutput},
        summary="SME: claim for your loans under a policy and year; 422 `not_eligible` says why per loan, "
        "409 `subsidy_cap_reached` when your annual cap is used up",
    )
    def create(self, request):
        _sme_enterprise(request.user)
        data = s.SubsidyClaimCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        policy = subsidy_policy_list(user=request.user).filter(pk=v["policy"]).first()
        if policy is None:
            raise ValidationFailed({"policy": [_("No such policy.")]})
        ids = set(v["loans"])
        loans = list(claimable_loans(user=request.user).filter(pk__in=ids))
        if len(loans) != len(ids):
            raise ValidationFailed({"loans": [_("Claim only for your own loans.")]})
        fees = {item["loan"]: item["fee"] for item in v.get("appraisal_fees", [])}
        if set(fees) - ids:
            raise ValidationFailed({"appraisal_fees": [_("Declare fees only for the loans you claim for.")]})
        claim = services.subsidy_claim_submit(
            actor=request.user, policy=policy, year=v["year"], loans=loans, appraisal_fees=fees
        )
        return self._respond(claim, status.HTTP_201_CREATED)

    @extend_schema(request=s.DecisionInput, responses=s.SubsidyClaimOutput, summary="City office: approve")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._move(services.subsidy_claim_approve, s.DecisionInput)

    @extend_schema(
        request=s.ClaimRejectInput, responses=s.SubsidyClaimOutput, summary="City office: reject with a reason"
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._move(services.subsidy_claim_reject, s.ClaimRejectInput)

    @extend_schema(request=s.DecisionInput, responses=s.SubsidyClaimOutput, summary="SME: withdraw a submitted claim")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._move(services.subsidy_claim_withdraw, s.DecisionInput)

    @extend_schema(request=s.PaymentInput, responses=s.SubsidyClaimOutput, summary="City office: record the payment")
    @action(detail=True, methods=["post"], url_path="record-payment")
    def record_payment(self, request, pk=None):
        return self._move(services.subsidy_claim_record_payment, s.PaymentInput)

    def _move(self, service, input_class):
        claim = self.get_object()
        data = input_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        service(actor=self.request.user, claim=claim, **data.validated_data)
        return self._respond(claim)

    @extend_schema(
        parameters=[filter_parameters(ClaimFilter)],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY},
        summary="City office: the claims as CSV (`?format=csv`) or XLSX (`?format=xlsx`), filtered like the list",
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[CSVFileRenderer, XLSXFileRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def export(self, request):
        require(
            request.user,
            kinds=SEES_ALL_CLAIMS,
            superuser_ok=True,
            message=_("Claims are exported by the city office and the platform."),
        )
        claims = self.get_queryset()
        headers, rows = export_headers(), export_rows(claims)
        kind = request.accepted_renderer.format
        content = write_table(headers, rows, kind=kind, title="Subsidies")
        disposition = f'attachment; filename="subsidy-claims-{timezone.localdate().isoformat()}.{kind}"'
        return Response(content, headers={"Content-Disposition": disposition})
