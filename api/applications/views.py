"""Applications: the SME's side (create, edit, submit, withdraw, answer, accept or decline an offer) and
the bank's (queue, review, request information, approve with maker-checker, reject). Thin: every write
is one service call; every read goes through a scoped selector."""

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import chosen_filters, filter_parameters
from api.idempotency import IdempotentMixin
from api.parsers import UPLOAD_PARSERS
from api.renderers import PDFFileRenderer
from scoring.selectors import application_collateral, collateral_limit
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongzhirong.financing import services
from tongzhirong.financing.documents import MAGIC, application_document_add
from tongzhirong.financing.filing import (
    application_filings,
    current_package,
    filing_package_generate,
    filing_package_sign,
    filing_packages_generate,
)
from tongzhirong.financing.filters import QueueFilter
from tongzhirong.financing.models import Application
from tongzhirong.financing.pledge import application_precheck
from tongzhirong.financing.selectors import application_list, filing_package_pdf, stage_times_by_bank
from tongzhirong.lending.applications import (
    application_approve,
    application_confirm_approval,
    application_decline_offer,
    application_reject,
    application_submit,
    application_withdraw,
)
from tongzhirong.lending.loans import application_disburse
from tongzhirong.lending.queue import application_queue, application_queue_page
from tongzhirong.lending.timeline import application_timeline
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.products.selectors import loan_product_list

from . import serializers as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT_TYPES = tuple(media_type for _magic, media_type in MAGIC)  # what an upload may be


def _offered(model, pk: int | None, field: str):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise ValidationFailed({field: ["No such published product."]})
    return found


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
        if self.action != "list":  # one application: the scope, without the queue's score and stage columns
            return application_list(user=self.request.user)
        filters = chosen_filters(QueueFilter, self.request).queue_filters()  # the bank's queue page's too
        return application_queue(user=self.request.user, filters=filters)

    def _respond(self, application, code=status.HTTP_200_OK):
        (row,) = application_queue_page(queue=application_queue(user=self.request.user), ids=[application.pk])
        return Response(s.ApplicationOutput(row, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        parameters=[filter_parameters(QueueFilter)], summary="Applications you may see, filtered and ordered"
    )
    def list(self, request, *args, **kwargs):
        # Count and cut on the narrow query, then read the page's rows (application_queue_page).
        queue = self.get_queryset()
        rows = application_queue_page(queue=queue, ids=self.paginate_queryset(queue.values_list("pk", flat=True)))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request, pk=None):
        return self._respond(self.get_object())

    @extend_schema(request=s.ApplicationCreateInput, responses={201: s.ApplicationOutput}, summary="Apply (draft)")
    def create(self, request):
        data = s.ApplicationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        refusal = "Only an SME with an enterprise profile applies."
        require(request.user, kinds=(OrganisationKind.SME,), message=refusal)
        if not hasattr(request.user.organisation, "enterprise"):
            raise PermissionDenied(refusal)
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
            insurance_product=_offered(InsuranceProduct, v["insurance_product"], "insurance_product"),
            guarantee_product=_offered(GuaranteeProduct, v["guarantee_product"], "guarantee_product"),
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
        return self._move(application_submit)

    @extend_schema(request=s.CommentInput, responses=s.ApplicationOutput, summary="Withdraw the application")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        comment = self._comment()
        return self._move(application_withdraw, reason=comment)

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
        return self._move(application_decline_offer, reason=self._comment())

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
        return self._move(application_approve, s.ApproveInput)

    @extend_schema(request=s.CommentInput, responses=s.ApplicationOutput, summary="Bank checker: confirm terms")
    @action(detail=True, methods=["post"], url_path="confirm-approval")
    def confirm_approval(self, request, pk=None):
        return self._move(application_confirm_approval, s.CommentInput)

    @extend_schema(request=s.RejectInput, responses=s.ApplicationOutput, summary="Bank: reject with a reason code")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._move(application_reject, s.RejectInput)

    @extend_schema(
        responses=s.TimelineEntryOutput(many=True),
        summary="Every status change (who, when, why) and every rescore with what it changed",
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        application = generics.get_object_or_404(self.get_queryset(), pk=pk)  # a malformed id is a 404 too
        entries = self.paginate_queryset(application_timeline(application=application))
        return self.get_paginated_response(s.TimelineEntryOutput(entries, many=True).data)

    @extend_schema(
        parameters=[s.StageTimesInput],
        responses=s.StageTimeOutput(many=True),
        summary="Time in each stage per bank: median and p90 of stages left, open ones and SLA breaches",
    )
    @action(detail=False, methods=["get"], url_path="stage-times")
    def stage_times(self, request):
        require(
            request.user,
            kinds=(OrganisationKind.BANK, OrganisationKind.PLATFORM),
            superuser_ok=True,
            message="Stage times are for banks (their own) and the platform.",
        )
        params = s.StageTimesInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = self.paginate_queryset(stage_times_by_bank(user=request.user, days=params.validated_data["days"]))
        return self.get_paginated_response(s.StageTimeOutput(rows, many=True).data)

    @extend_schema(methods=["GET"], responses=s.DocumentOutput(many=True), summary="Documents attached")
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": s.DocumentInput},
        responses={201: s.DocumentOutput},
        summary="Attach a document (PDF, PNG or JPEG; size capped)",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=UPLOAD_PARSERS)
    def documents(self, request, pk=None):
        application = self.get_object()
        if request.method == "GET":
            documents = self.paginate_queryset(
                application.documents.select_related("uploaded_by__organisation").order_by("created_at", "pk")
            )
            return self.get_paginated_response(s.DocumentOutput(documents, many=True).data)
        data = s.DocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = application_document_add(
            actor=request.user,
            application=application,
            kind=data.validated_data["kind"],
            upload=data.validated_data["file"],
        )
        return Response(s.DocumentOutput(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY) for media_type in DOCUMENT_TYPES},
        summary="Download a document, in the media type it was uploaded as (PDF, PNG or JPEG)",
    )
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>[0-9]+)")
    def document(self, request, pk=None, document_id=None):
        document = get_object_or_404(self.get_object().documents, pk=document_id)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.mime_type,
        )

    def _registry(self) -> str | None:
        """The ``registry`` query parameter: which registry's filing a request means (None: the only one)."""
        data = s.RegistryInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        return data.validated_data.get("registry")

    @extend_schema(
        methods=["GET"],
        responses=s.FilingOutput(many=True),
        summary="Each registry's filing: the rights it lists, its current package, signatures and registration",
    )
    @extend_schema(
        methods=["POST"],
        request=None,
        responses={201: s.FilingOutput(many=True)},
        summary="Bank: generate every registry's filing package (a new version needs new signatures)",
    )
    @action(detail=True, methods=["get", "post"])
    def filings(self, request, pk=None):
        application = self.get_object()
        if request.method == "POST":
            filing_packages_generate(actor=request.user, application=application)
        page = self.paginate_queryset(application_filings(application))  # one or two: one page
        response = self.get_paginated_response(s.FilingOutput(page, many=True).data)
        if request.method == "POST":
            response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        methods=["GET"],
        parameters=[s.RegistryInput],
        responses=s.FilingPackageOutput,
        summary="A registry's current filing package and its signatures",
    )
    @extend_schema(
        methods=["POST"],
        parameters=[s.RegistryInput],
        request=None,
        responses={201: s.FilingPackageOutput},
        summary="Bank: generate a registry's pledge filing package (a new version needs new signatures)",
    )
    @action(detail=True, methods=["get", "post"], url_path="filing-package")
    def filing_package(self, request, pk=None):
        application, registry = self.get_object(), self._registry()
        if request.method == "POST":
            package = filing_package_generate(actor=request.user, application=application, registry=registry)
            return Response(
                s.FilingPackageOutput(current_package(application, package.registry)).data,
                status=status.HTTP_201_CREATED,
            )
        return Response(s.FilingPackageOutput(current_package(application, registry)).data)

    @extend_schema(
        request=s.SignInput,
        responses=s.FilingPackageOutput,
        summary="Sign a registry's current package as pledgor (SME legal representative) or pledgee (bank)",
    )
    @action(detail=True, methods=["post"], url_path="filing-package/sign")
    def sign_filing_package(self, request, pk=None):
        application = self.get_object()
        data = s.SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        signature = filing_package_sign(actor=request.user, application=application, **data.validated_data)
        return Response(s.FilingPackageOutput(current_package(application, signature.package.registry)).data)

    @extend_schema(
        parameters=[s.PackagePdfInput],
        responses={(200, PDFFileRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The filing package as the PDF both parties read and sign: its SHA-256 is the package's `sha256` "
        "(pledgor and pledgee only)",
    )
    @action(detail=True, methods=["get"], url_path="filing-package/pdf", renderer_classes=[PDFFileRenderer])
    def package_pdf(self, request, pk=None):
        application = self.get_object()
        query = s.PackagePdfInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        package = filing_package_pdf(user=request.user, application=application, **query.validated_data)
        name = f"{application.reference}-{package.registry}-v{package.version}.pdf"
        return Response(bytes(package.pdf), headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @extend_schema(
        parameters=[s.RegistryInput],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The pledged patents as XLSX (CNIPA packages over 10 patents)",
    )
    @action(detail=True, methods=["get"], url_path="filing-package/asset-list")
    def filing_package_asset_list(self, request, pk=None):
        application = self.get_object()
        package = current_package(application, self._registry())
        if package.asset_list_xlsx is None:
            raise NotFound("This package names 10 patents or fewer: it has no separate asset list.")
        name = f"{application.reference}-v{package.version}-pledged-patents.xlsx"
        return HttpResponse(
            bytes(package.asset_list_xlsx),
            content_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @extend_schema(
        responses=s.CollateralOutput,
        summary="The pledged assets' value ranges, pledge-rate caps and the collateral limit they support",
    )
    @action(detail=True, methods=["get"])
    def collateral(self, request, pk=None):
        items = application_collateral(self.get_object())
        return Response(s.CollateralOutput({"limit": collateral_limit(items), "items": items}).data)

    @extend_schema(
        responses=s.PrecheckOutput,
        summary="Pledge registration pre-check: the 12 CNIPA refusal grounds per asset, pass/fail/confirm",
    )
    @action(detail=True, methods=["get"], url_path="pledge-precheck")
    def pledge_precheck(self, request, pk=None):
        return Response(s.PrecheckOutput(application_precheck(self.get_object())).data)

    @extend_schema(
        request=None,
        responses=s.ApplicationOutput,
        summary="Bank: file the pledge at every registry its rights need (pre-check passed, every package signed)",
    )
    @action(detail=True, methods=["post"], url_path="file-pledge")
    def file_pledge(self, request, pk=None):
        application = self.get_object()
        services.pledge_registration_file(actor=request.user, application=application)
        return self._respond(application)

    @extend_schema(
        request=s.RegistrationInput,
        responses=s.ApplicationOutput,
        summary="Bank: record a registry's registration notice (registered once every registry's is recorded)",
    )
    @action(detail=True, methods=["post"], url_path="record-registration")
    def record_registration(self, request, pk=None):
        return self._move(services.pledge_registration_record, s.RegistrationInput)

    @extend_schema(request=s.DisburseInput, responses=s.ApplicationOutput, summary="Bank: disburse (creates the loan)")
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        return self._move(application_disburse, s.DisburseInput)

    def _comment(self) -> str:
        data = s.CommentInput(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["comment"]
