from django.shortcuts import get_object_or_404
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from api.parsers import UPLOAD_PARSERS
from api.permissions import InOrganisationKind
from api.renderers import CSVFileRenderer, XLSXFileRenderer
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.importing import template_headers, template_rows
from tongzhirong.assets.models import IPAsset
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.assets.services import ip_asset_archive
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.core.tabular import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    TabularError,
    read_table,
    write_table,
)
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.lending.assets import (
    co_owner_add,
    co_owner_record_consent,
    ip_asset_register,
    ip_asset_update,
    ip_assets_import,
)
from tongzhirong.lending.matching import products_match
from tongzhirong.products.models import LoanProduct
from tongzhirong.products.selectors import loan_product_list
from tongzhirong.products.services import loan_product_create, loan_product_update

from .serializers import (
    ConsentInput,
    CoOwnerInput,
    CoOwnerOutput,
    ImportInput,
    ImportOutput,
    IPAssetCreateInput,
    IPAssetOutput,
    IPAssetUpdateInput,
    LoanProductCreateInput,
    LoanProductOutput,
    LoanProductUpdateInput,
    MatchesOutput,
    MatchInput,
)


class LoanProductViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """Published loan products; a bank posts and edits its own; ``matches`` ranks them for an SME's own IP."""

    queryset = LoanProduct.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = LoanProductOutput
    filterset_fields = ("bank", "requires_insurance", "requires_guarantee")

    def get_queryset(self):
        return loan_product_list(user=self.request.user)

    def _bank_only(self):
        require(
            self.request.user, kinds=(OrganisationKind.BANK,), message=_("Only a bank posts and changes loan products.")
        )

    @extend_schema(request=LoanProductCreateInput, responses={201: LoanProductOutput}, summary="Bank: post a product")
    def create(self, request):
        self._bank_only()
        data = LoanProductCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        product = loan_product_create(
            actor=request.user,
            bank=request.user.organisation,
            pledge_rate_caps=fields.pop("pledge_rate_caps"),
            **fields,
        )
        return Response(LoanProductOutput(self.get_queryset().get(pk=product.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LoanProductUpdateInput,
        responses=LoanProductOutput,
        summary="Bank: change its product (terms freeze once an application used it; publishing stays open)",
    )
    def partial_update(self, request, pk=None):
        self._bank_only()
        product = self.get_object()
        data = LoanProductUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        loan_product_update(actor=request.user, product=product, **data.validated_data)
        return Response(LoanProductOutput(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(
        parameters=[MatchInput],
        responses=MatchesOutput,
        summary="Products this SME can use for these assets: estimated limit, rate and all-in cost, ranked; "
        "the others with the reasons they do not fit",
    )
    @action(detail=False, methods=["get"])
    def matches(self, request):
        params = MatchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        refusal = "Matching is for an SME with an enterprise profile."
        require(request.user, kinds=(OrganisationKind.SME,), message=refusal)
        if not hasattr(request.user.organisation, "enterprise"):
            raise PermissionDenied(refusal)
        ids = params.validated_data["assets"]
        assets = list(ip_asset_list(user=request.user).filter(pk__in=ids))
        if len(assets) != len(set(ids)):
            raise ValidationFailed({"assets": ["Use only your own live assets."]})
        matches, excluded = products_match(
            enterprise=request.user.organisation.enterprise,
            assets=assets,
            products=list(self.get_queryset().filter(is_active=True)),
            amount=params.validated_data.get("amount"),
            term_months=params.validated_data["term_months"],
        )
        return Response(MatchesOutput({"matches": matches, "excluded": excluded}).data)


class IPAssetViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """IP assets. Anyone signed in reads what the selector lets them see; only the owning SME writes: register
    one right or a file of them, correct one, archive it, record its co-owners and their consent."""

    queryset = IPAsset.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = IPAssetOutput
    filterset_fields = ("ip_type", "legal_status")
    permission_classes = [InOrganisationKind]
    kind_denied_message = gettext_lazy("Only an SME registers and changes IP assets.")
    read_actions = frozenset({"list", "retrieve", "import_template"})

    @property
    def allowed_kinds(self):
        return None if self.action in self.read_actions else (OrganisationKind.SME,)

    def get_queryset(self):
        return ip_asset_list(user=self.request.user)

    def _owner(self):
        enterprise = enterprise_of(user=self.request.user)
        if enterprise is None:
            raise PermissionDenied(_("Create your enterprise profile before registering IP assets."))
        return enterprise

    @extend_schema(summary="IP assets you may see: an SME its own live assets")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=IPAssetCreateInput,
        responses={201: IPAssetOutput},
        summary="Register an IP right of yours, with its co-owners if any (409 `duplicate` if already registered)",
    )
    def create(self, request):
        owner = self._owner()
        data = IPAssetCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        co_owners = [dict(co) for co in fields.pop("co_owners", [])]
        asset = ip_asset_register(actor=request.user, owner=owner, co_owners=co_owners, **fields)
        return Response(IPAssetOutput(asset).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=IPAssetUpdateInput,
        responses=IPAssetOutput,
        summary="Correct an asset's record; refused (409 `locked`) while an application pledges it",
    )
    def partial_update(self, request, pk=None):
        asset = self.get_object()
        data = IPAssetUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        asset = ip_asset_update(actor=request.user, asset=asset, **data.validated_data)
        return Response(IPAssetOutput(asset).data)

    @extend_schema(
        request=None,
        responses=IPAssetOutput,
        summary="Archive an asset (it leaves your list); refused (409 `locked`) while an application pledges it",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        asset = ip_asset_archive(actor=request.user, asset=self.get_object())
        return Response(IPAssetOutput(asset).data)

    @extend_schema(
        request=CoOwnerInput,
        responses={201: CoOwnerOutput},
        summary="Record a co-owner of an asset; every co-owner must consent before the asset is pledged",
    )
    @action(detail=True, methods=["post"], url_path="co-owners")
    def co_owners(self, request, pk=None):
        asset = self.get_object()
        data = CoOwnerInput(data=request.data)
        data.is_valid(raise_exception=True)
        co_owner = co_owner_add(actor=request.user, asset=asset, **data.validated_data)
        return Response(CoOwnerOutput(co_owner).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ConsentInput,
        responses=CoOwnerOutput,
        parameters=[OpenApiParameter("co_owner_id", int, OpenApiParameter.PATH, description="The co-owner's id.")],
        summary="Record whether a co-owner consents to pledging the asset",
    )
    @action(detail=True, methods=["post"], url_path=r"co-owners/(?P<co_owner_id>[0-9]+)/consent")
    def co_owner_consent(self, request, pk=None, co_owner_id=None):
        co_owner = get_object_or_404(self.get_object().co_owners, pk=co_owner_id)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        co_owner = co_owner_record_consent(actor=request.user, co_owner=co_owner, **data.validated_data)
        return Response(CoOwnerOutput(co_owner).data)

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={201: ImportOutput, 200: ImportOutput},
        summary="Register a CSV or XLSX file of IP rights, all or none: 422 `rows_rejected` lists every problem "
        "by row and column; `dry_run` checks without writing (200)",
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=UPLOAD_PARSERS)
    def import_file(self, request):
        owner = self._owner()
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            rows = read_table(upload, name=upload.name)
        except TabularError as exc:
            raise ValidationFailed({"file": [str(exc)]}) from exc
        result = ip_assets_import(actor=request.user, owner=owner, rows=rows, dry_run=data.validated_data["dry_run"])
        body = {"dry_run": result.dry_run, "rows": result.rows, "created": len(result.created), "ids": result.created}
        code = status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        return Response(ImportOutput(body).data, status=code)

    @extend_schema(
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
        summary="The import template: the column names (Chinese in a Chinese session) and one example row",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="import-template",
        renderer_classes=[CSVFileRenderer, XLSXFileRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def import_template(self, request):
        chinese = (get_language() or "").startswith("zh")
        headers, rows = template_headers(chinese=chinese), template_rows(chinese=chinese)
        kind = request.accepted_renderer.format
        content = write_table(headers, rows, kind=kind, title="IP")
        disposition = f'attachment; filename="ip-assets-import-template.{kind}"'
        return Response(content, headers={"Content-Disposition": disposition})
