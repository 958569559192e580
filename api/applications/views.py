"""Applications: the SME's side (create, edit, submit, withdraw, answer, accept or decline an offer) and
the bank's (queue, review, request information, approve with maker-checker, reject). Thin: every write
is one service call; every read goes through a scoped selector."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.financing import services
from tongzhirong.financing.models import Application
from tongzhirong.financing.pledge import application_precheck
from tongzhirong.financing.selectors import application_queue, application_timeline
from tongzhirong.products.selectors import loan_product_list

from . import serializers as s


def _owned_assets(user, ids: list[int]):
    assets = list(ip_asset_list(user=user).filter(pk__in=ids))
    missing = sorted(set(ids) - {a.pk for a in assets})
    if missing:
        raise ValidationFailed({"assets": [f"No such asset of yours: {', '.join(map(str, missing))}."]})
    return assets


class ApplicationViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Application.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = s.ApplicationOutput

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            params = s.QueueFilterInput(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            filters = dict(params.validated_data)
            if filters.get("ordering"):
                filters["ordering"] = [filters["ordering"]]
        return application_queue(user=self.request.user, filters=filters)

    def _respond(self, application, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(s.ApplicationOutput(fresh).data, status=code)

    @extend_schema(parameters=[s.QueueFilterInput], summary="Applications you may see, filtered and ordered")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ApplicationCreateInput, responses={201: s.ApplicationOutput}, summary="Apply (draft)")
    def create(self, request):
        data = s.ApplicationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if request.user.kind != OrganisationKind.SME or not hasattr(request.user.organisation, "enterprise"):
            raise PermissionDenied("Only an SME with an enterprise profile applies.")
        product = loan_product_list(user=request.user).filter(pk=v["product"]).first()
        if product is None:
            raise ValidationFailed({"product": ["No such published product."]})
        application = services.application_create(
            actor=request.user,
            enterprise=request.user.organisation.enterprise,
            product=product,
            assets=_owned_assets(request.user, v["assets"]),
            requested_amount=v["requested_amount"],
            requested_term_months=v["requested_term_months"],
            repayment_method=v["repayment_method"],
            purpose=v["purpose"],
        )
        return self._respond(application, status.HTTP_201_CREATED)

    @extend_schema(request=s.ApplicationUpdateInput, responses=s.ApplicationOutput, summary="Edit a draft")
    def partial_update(self, request, pk=None):
        application = self.get_object()
        data = s.ApplicationUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        assets = _owned_assets(request.user, fields.pop("assets")) if "assets" in fields else None
        services.application_update(actor=request.user, application=application, assets=assets, **fields)
        return self._respond(application)

    def _move(self, service, input_class=None, **extra):
        application = self.get_object()
        arguments = {}
        if input_class is not None:
            data = input_class(data=self.request.data)
            data.is_valid(raise_exception=True)
            arguments = dict(data.validated_data)
        service(actor=self.request.user, application=application, **arguments, **extra)
        return self._respond(application)

    @extend_schema(request=None, responses=s.ApplicationOutput, summary="Submit a draft for review")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._move(services.application_submit)

    @extend_schema(request=s.CommentInput, responses=s.ApplicationOutput, summary="Withdraw the application")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        comment = self._comment()
        return self._move(services.application_withdraw, reason=comment)

    @extend_schema(request=s.RequiredCommentInput, responses=s.ApplicationOutput, summary="Answer an info request")
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return self._move(services.application_respond, s.RequiredCommentInput)

    @extend_schema(request=None, responses=s.ApplicationOutput, summary="Accept the bank's offer")
    @action(detail=True, methods=["post"], url_path="accept-offer")
    def accept_offer(self, request, pk=None):
        return self._move(services.application_accept_offer)

    @extend_schema(request=s.CommentInput, responses=s.ApplicationOutput, summary="Decline the bank's offer")
    @action(detail=True, methods=["post"], url_path="decline-offer")
    def decline_offer(self, request, pk=None):
        return self._move(services.application_decline_offer, reason=self._comment())

    @extend_schema(request=None, responses=s.ApplicationOutput, summary="Bank: start the review")
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        return self._move(services.application_start_review)

    @extend_schema(request=s.RequiredCommentInput, responses=s.ApplicationOutput, summary="Bank: ask for information")
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request, pk=None):
        return self._move(services.application_request_info, s.RequiredCommentInput)

    @extend_schema(
        request=s.ApproveInput,
        responses=s.ApplicationOutput,
        summary="Bank: approve with terms (above the bank's threshold this records the maker's proposal)",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._move(services.application_approve, s.ApproveInput)

    @extend_schema(request=s.CommentInput, responses=s.ApplicationOutput, summary="Bank checker: confirm terms")
    @action(detail=True, methods=["post"], url_path="confirm-approval")
    def confirm_approval(self, request, pk=None):
        return self._move(services.application_confirm_approval, s.CommentInput)

    @extend_schema(request=s.RejectInput, responses=s.ApplicationOutput, summary="Bank: reject with a reason code")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._move(services.application_reject, s.RejectInput)

    @extend_schema(responses=s.TimelineEntryOutput(many=True), summary="Every status change: who, when, why")
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        application = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(s.TimelineEntryOutput(application_timeline(application=application), many=True).data)

    @extend_schema(
        responses=s.PrecheckOutput,
        summary="Pledge registration pre-check: the 12 CNIPA refusal grounds per asset, pass/fail/confirm",
    )
    @action(detail=True, methods=["get"], url_path="pledge-precheck")
    def pledge_precheck(self, request, pk=None):
        return Response(s.PrecheckOutput(application_precheck(self.get_object())).data)

    @extend_schema(request=None, responses=s.ApplicationOutput, summary="Bank: file the pledge (pre-check must pass)")
    @action(detail=True, methods=["post"], url_path="file-pledge")
    def file_pledge(self, request, pk=None):
        services.pledge_registration_file(actor=request.user, application=self.get_object())
        return self._respond(self.get_object())

    @extend_schema(request=s.RegistrationInput, responses=s.ApplicationOutput, summary="Bank: record the notice")
    @action(detail=True, methods=["post"], url_path="record-registration")
    def record_registration(self, request, pk=None):
        return self._move(services.pledge_registration_record, s.RegistrationInput)

    @extend_schema(request=s.DisburseInput, responses=s.ApplicationOutput, summary="Bank: disburse (creates the loan)")
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        return self._move(services.application_disburse, s.DisburseInput)

    def _comment(self) -> str:
        data = s.CommentInput(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["comment"]
