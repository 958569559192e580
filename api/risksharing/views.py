"""Risk sharing: cover policies, claims (insurer, guarantor, pool), the pools and their ledger, pool filings,
the loss per party of a loan, and the disposal desk with its auctions. Thin: each write is one service call;
each read goes through a scoped selector (another tenant's object: 404; a role that may not act: 403)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import IdempotentMixin
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.financing.selectors import application_list, loan_list
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.risksharing import selectors, services
from tongzhirong.risksharing.models import (
    Claim,
    CoverKind,
    CoverPolicy,
    CoverRequest,
    DisposalCase,
    DisposalRoute,
    Pool,
    PoolFiling,
)

from . import serializers as s

DENIED_TO_OUTSIDERS = "Only the lending bank's people do this."


def _valid(input_class, data):
    serializer = input_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _require_kind(user, *kinds, message=DENIED_TO_OUTSIDERS):
    """Refuse before reading the body, as the services would refuse (``require``)."""
    require(user, kinds=kinds, message=message)


class CoverPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Insurance policies and guarantees bound to loans at disbursement, with premium or fee and cover."""

    queryset = CoverPolicy.objects.none()
    serializer_class = s.CoverPolicyOutput

    def get_queryset(self):
        return selectors.cover_policy_list(user=self.request.user)


class CoverRequestViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cover asked of insurers and guarantors before disbursement: the lending bank asks (approval asks for the
    cover the terms name), the provider's underwriters accept with conditions or decline with a reason; after a
    decline the bank asks another provider or goes ahead without where its loan product allows."""

    queryset = CoverRequest.objects.none()
    serializer_class = s.CoverRequestOutput
    filterset_fields = ("status", "kind", "application")

    def get_queryset(self):
        return selectors.cover_request_list(user=self.request.user)

    def _act(self, service, input_class=None):
        cover = self.get_object()
        arguments = _valid(input_class, self.request.data) if input_class else {}
        service(actor=self.request.user, cover=cover, **arguments)
        return Response(s.CoverRequestOutput(self.get_queryset().get(pk=cover.pk)).data)

    @extend_schema(
        request=s.CoverRequestCreateInput,
        responses={201: s.CoverRequestOutput},
        summary="Bank: ask an insurer or guarantor to cover an approved application's loan",
    )
    def create(self, request):
        _require_kind(request.user, OrganisationKind.BANK)
        data = _valid(s.CoverRequestCreateInput, request.data)
        # An id in the body names no object of the path: one that is not yours is a field error (400), as the product.
        application = application_list(user=request.user).filter(pk=data["application"]).first()
        if application is None:
            raise ValidationFailed({"application": ["No such application."]})
        model = InsuranceProduct if data["kind"] == CoverKind.INSURANCE else GuaranteeProduct
        product = model.objects.filter(pk=data["product"]).first()
        if product is None:
            raise ValidationFailed({"product": [f"No such {data['kind']} product."]})
        created = services.cover_request_open(actor=request.user, application=application, product=product)
        return Response(s.CoverRequestOutput(self.get_queryset().get(pk=created.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CoverRequestAcceptInput,
        responses=s.CoverRequestOutput,
        summary="Insurer or guarantor: accept, with conditions and the terms (default: the product's)",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(services.cover_request_accept, s.CoverRequestAcceptInput)

    @extend_schema(
        request=s.CoverRequestDeclineInput,
        responses=s.CoverRequestOutput,
        summary="Insurer or guarantor: decline with a reason",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(services.cover_request_decline, s.CoverRequestDeclineInput)

    @extend_schema(
        request=s.CoverRequestWithdrawInput, responses=s.CoverRequestOutput, summary="Bank: withdraw the request"
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(services.cover_request_withdraw, s.CoverRequestWithdrawInput)

    @extend_schema(
        request=None,
        responses=s.CoverRequestOutput,
        summary="Bank: go ahead without this kind of cover (after a decline or a withdrawal; not when the loan "
        "product requires it)",
    )
    @action(detail=True, methods=["post"], url_path="go-without")
    def go_without(self, request, pk=None):
        return self._act(services.cover_go_without)


class ClaimViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims of the lending bank on insurers, guarantors and pools: opened on default, submitted by the
    bank, decided and paid by the payer."""

    queryset = Claim.objects.none()
    serializer_class = s.RiskClaimOutput
    filterset_fields = ("status", "kind")

    def get_queryset(self):
        return selectors.claim_list(user=self.request.user)

    def _act(self, service, input_class=None):
        claim = self.get_object()
        arguments = _valid(input_class, self.request.data) if input_class else {}
        service(actor=self.request.user, claim=claim, **arguments)
        return Response(s.RiskClaimOutput(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(
        request=s.RiskClaimSubmitInput, responses=s.RiskClaimOutput, summary="Bank: submit a claim with documents"
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(services.claim_submit, s.RiskClaimSubmitInput)

    @extend_schema(request=s.RiskClaimApproveInput, responses=s.RiskClaimOutput, summary="Payer: approve an amount")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(services.claim_approve, s.RiskClaimApproveInput)

    @extend_schema(request=s.RiskClaimRejectInput, responses=s.RiskClaimOutput, summary="Payer: reject with a reason")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(services.claim_reject, s.RiskClaimRejectInput)

    @extend_schema(request=s.RiskClaimPaymentInput, responses=s.RiskClaimOutput, summary="Payer: record the payment")
    @action(detail=True, methods=["post"], url_path="record-payment")
    def record_payment(self, request, pk=None):
        return self._act(services.claim_record_payment, s.RiskClaimPaymentInput)


class PoolViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Risk-compensation pools (风险补偿资金池): public to signed-in users, set up by the city office."""

    queryset = Pool.objects.none()
    serializer_class = s.PoolOutput

    def get_queryset(self):
        return selectors.pool_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "balances": selectors.pool_balances_visible(user=self.request.user)}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        if context["balances"]:
            context["positions"] = selectors.pools_positions(pools=page)
        return self.get_paginated_response(s.PoolOutput(page, many=True, context=context).data)

    @extend_schema(request=s.PoolCreateInput, responses={201: s.PoolOutput}, summary="City office: set up a pool")
    def create(self, request):
        _require_kind(request.user, OrganisationKind.CITY_OFFICE, message="Pools are set up by the city office.")
        data = _valid(s.PoolCreateInput, request.data)
        ids = [row["organisation"] for row in data["sponsors"]]
        organisations = Organisation.objects.in_bulk(ids)
        missing = sorted(set(ids) - set(organisations))
        if missing:
            raise ValidationFailed({"sponsors": [f"No such organisation: {', '.join(map(str, missing))}."]})
        data["sponsors"] = [(organisations[row["organisation"]], row["contribution"]) for row in data["sponsors"]]
        pool = services.pool_create(actor=request.user, **data)
        output = s.PoolOutput(self.get_queryset().get(pk=pool.pk), context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PoolTopUpInput,
        responses=s.PoolOutput,
        summary="City office (the pool's operator): record a sponsor's top-up of the fund",
    )
    @action(detail=True, methods=["post"], url_path="top-up")
    def top_up(self, request, pk=None):
        pool = self.get_object()
        data = _valid(s.PoolTopUpInput, request.data)
        sponsor = Organisation.objects.filter(pk=data["sponsor"]).first()
        if sponsor is None:
            raise ValidationFailed({"sponsor": ["No such organisation."]})
        services.pool_top_up(actor=request.user, pool=pool, sponsor=sponsor, amount=data["amount"])
        output = s.PoolOutput(self.get_queryset().get(pk=pool.pk), context=self.get_serializer_context())
        return Response(output.data)

    @extend_schema(
        request=s.PoolWhatIfInput,
        responses=s.PoolWhatIfOutput,
        summary="City office: simulate the pool's losses on its filed loans (one-factor Gaussian copula)",
        description="Expected loss, 95%/99% loss quantiles, the probability the fund is exhausted, capacity left, "
        "and the top-up and leverage that keep exhaustion at the target. Computed on request, nothing stored; "
        "409 `pool_nothing_to_simulate` when no filed loan has a score.",
    )
    @action(detail=True, methods=["post"], url_path="what-if")
    def what_if(self, request, pk=None):
        _require_kind(
            request.user,
            OrganisationKind.CITY_OFFICE,
            OrganisationKind.PLATFORM,
            message="The pool's what-if is for the city office.",
        )
        pool = self.get_object()
        result = services.pool_what_if(actor=request.user, pool=pool, **_valid(s.PoolWhatIfInput, request.data))
        return Response(s.PoolWhatIfOutput(result.as_dict()).data)

    @extend_schema(responses=s.LedgerOutput, summary="The pool's double-entry ledger and its position")
    @action(detail=True, methods=["get"])
    def ledger(self, request, pk=None):
        pool = self.get_object()
        if not selectors.pool_may_read_ledger(user=request.user, pool=pool):
            raise PermissionDenied("The ledger is for the pool's operator.")
        body = {"position": selectors.pool_position(pool=pool), "journals": selectors.pool_journal_list(pool=pool)}
        return Response(s.LedgerOutput(body).data)


class PoolFilingViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Loans filed with a pool before disbursement (事前备案): the bank files, withdraws and claims."""

    queryset = PoolFiling.objects.none()
    serializer_class = s.PoolFilingOutput
    filterset_fields = ("status", "pool")

    def get_queryset(self):
        return selectors.pool_filing_list(user=self.request.user)

    @extend_schema(
        request=s.PoolFilingInput,
        responses={201: s.PoolFilingOutput},
        summary="Bank: file an approved application with a pool (within fund × leverage)",
    )
    def create(self, request):
        _require_kind(request.user, OrganisationKind.BANK)
        data = _valid(s.PoolFilingInput, request.data)
        pool = selectors.pool_list(user=request.user).filter(pk=data["pool"]).first()
        application = application_list(user=request.user).filter(pk=data["application"]).first()
        errors = {}
        if pool is None:
            errors["pool"] = ["No such pool."]
        if application is None:
            errors["application"] = ["No such application of yours."]
        appraiser = None
        if data["appraiser"] is not None:
            appraiser = Organisation.objects.filter(pk=data["appraiser"], kind=OrganisationKind.APPRAISER).first()
            if appraiser is None:
                errors["appraiser"] = ["No such appraisal firm."]
        if errors:
            raise ValidationFailed(errors)
        filing = services.pool_file(actor=request.user, pool=pool, application=application, appraiser=appraiser)
        return Response(s.PoolFilingOutput(filing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PoolFilingOutput, summary="Bank: withdraw a filing before disbursement")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        filing = services.pool_filing_withdraw(actor=request.user, filing=self.get_object())
        return Response(s.PoolFilingOutput(self.get_queryset().get(pk=filing.pk)).data)

    @extend_schema(
        request=s.RiskClaimSubmitInput,
        responses={201: s.RiskClaimOutput},
        summary="Bank: claim the pool's share once the loan is past the pool's trigger",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        filing = self.get_object()
        claim = services.pool_claim_create(
            actor=request.user, filing=filing, **_valid(s.RiskClaimSubmitInput, request.data)
        )
        return Response(s.RiskClaimOutput(claim).data, status=status.HTTP_201_CREATED)


class LoanLossView(APIView):
    @extend_schema(responses=s.LoanLossOutput, summary="The loan's loss per party: borne, recovered, final")
    def get(self, request, pk):
        loan = get_object_or_404(loan_list(user=request.user), pk=pk)
        return Response(s.LoanLossOutput(selectors.loan_loss_summary(loan=loan)).data)


class AuctionListingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Running auctions of pledged IP (质物拍卖), for registered buyers: any enterprise on the platform but the
    borrower. Bids go to ``POST /disposal-cases/{id}/bids/``."""

    queryset = DisposalCase.objects.none()
    serializer_class = s.AuctionListingOutput

    def get_queryset(self):
        return selectors.auction_listing_list(user=self.request.user).order_by("pk")


class DisposalCaseViewSet(IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The disposal desk (质物处置): the lending bank opens a case for a pledged asset of a defaulted loan and
    takes a route; registered buyers bid in running auctions."""

    queryset = DisposalCase.objects.none()
    serializer_class = s.DisposalCaseOutput
    filterset_fields = ("status", "route")

    def get_queryset(self):
        return selectors.disposal_case_list(user=self.request.user)

    def _case(self, case):
        return Response(s.DisposalCaseOutput(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(
        request=s.DisposalCaseInput,
        responses={201: s.DisposalCaseOutput},
        summary="Bank: open the disposal of a pledged asset of a defaulted loan",
    )
    def create(self, request):
        _require_kind(request.user, OrganisationKind.BANK)
        data = _valid(s.DisposalCaseInput, request.data)
        loan = loan_list(user=request.user).filter(pk=data["loan"]).first()
        if loan is None:
            raise ValidationFailed({"loan": ["No such loan of yours."]})
        asset = loan.application.assets.filter(pk=data["asset"]).first()
        if asset is None:
            raise ValidationFailed({"asset": ["This asset is not pledged for the loan."]})
        case = services.disposal_case_open(actor=request.user, loan=loan, asset=asset)
        return Response(s.DisposalCaseOutput(case).data, status=status.HTTP_201_CREATED)

    def _sale(self, route, counterparty_key, price_key, extra_terms=()):
        case = self.get_object()
        input_class = {
            DisposalRoute.AGREED_TRANSFER: s.AgreedTransferInput,
            DisposalRoute.EXCHANGE_LISTING: s.ExchangeSaleInput,
            DisposalRoute.EQUITY_SWAP: s.EquitySwapInput,
        }[route]
        data = _valid(input_class, self.request.data)
        services.disposal_direct_sale(
            actor=self.request.user,
            case=case,
            route=route,
            counterparty=data[counterparty_key],
            price=data[price_key],
            costs=data["costs"],
            terms={k: str(data[k]) for k in extra_terms},
            received_on=data.get("received_on"),
        )
        return self._case(case)

    @extend_schema(request=s.AgreedTransferInput, responses=s.DisposalCaseOutput, summary="Bank: agreed transfer")
    @action(detail=True, methods=["post"], url_path="agreed-transfer")
    def agreed_transfer(self, request, pk=None):
        return self._sale(DisposalRoute.AGREED_TRANSFER, "buyer", "price")

    @extend_schema(request=s.ExchangeSaleInput, responses=s.DisposalCaseOutput, summary="Bank: sold on an IP exchange")
    @action(detail=True, methods=["post"], url_path="exchange-sale")
    def exchange_sale(self, request, pk=None):
        return self._sale(DisposalRoute.EXCHANGE_LISTING, "buyer", "price", ("exchange", "listing_reference"))

    @extend_schema(request=s.EquitySwapInput, responses=s.DisposalCaseOutput, summary="Bank: equity swap (作价入股)")
    @action(detail=True, methods=["post"], url_path="equity-swap")
    def equity_swap(self, request, pk=None):
        return self._sale(DisposalRoute.EQUITY_SWAP, "company", "value", ("stake",))

    @extend_schema(request=s.AuctionInput, responses=s.DisposalCaseOutput, summary="Bank: put the asset up for auction")
    @action(detail=True, methods=["post"])
    def auction(self, request, pk=None):
        case = self.get_object()
        services.auction_start(actor=request.user, case=case, **_valid(s.AuctionInput, request.data))
        return self._case(case)

    @extend_schema(request=s.BidInput, responses={201: s.BidOutput}, summary="Registered buyer: bid in the auction")
    @action(detail=True, methods=["post"])
    def bids(self, request, pk=None):
        # A buyer finds the case among the listings; a party to it finds it among its cases, and the service
        # refuses its bid (403), as it would anyone's on their own case's IP.
        user = request.user
        listed = selectors.auction_listing_list(user=user).filter(pk=pk).first()
        case = listed or get_object_or_404(selectors.disposal_case_list(user=user), pk=pk)
        bid = services.auction_bid(actor=user, case=case, **_valid(s.BidInput, request.data))
        return Response(s.BidOutput(bid).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CostsInput, responses=s.DisposalCaseOutput, summary="Bank: close the auction after its time"
    )
    @action(detail=True, methods=["post"], url_path="close-auction")
    def close_auction(self, request, pk=None):
        case = self.get_object()
        services.auction_close(actor=request.user, case=case, **_valid(s.CostsInput, request.data))
        return self._case(case)

    @extend_schema(
        request=s.LicenceInput, responses=s.DisposalCaseOutput, summary="Bank: license with a royalty schedule"
    )
    @action(detail=True, methods=["post"])
    def licence(self, request, pk=None):
        case = self.get_object()
        services.disposal_license(actor=request.user, case=case, **_valid(s.LicenceInput, request.data))
        return self._case(case)

    @extend_schema(request=s.RoyaltyInput, responses=s.DisposalCaseOutput, summary="Bank: record a royalty received")
    @action(detail=True, methods=["post"])
    def royalties(self, request, pk=None):
        case = self.get_object()
        services.disposal_royalty_record(actor=request.user, case=case, **_valid(s.RoyaltyInput, request.data))
        return self._case(case)

    @extend_schema(
        responses=s.RecoveryRateOutput(many=True),
        summary="Recovery rate by route and IP type (a bank's own cases; the city's for the city office)",
    )
    @action(detail=False, methods=["get"], url_path="recovery-rates", filter_backends=[])
    def recovery_rates(self, request):
        _require_kind(
            request.user,
            OrganisationKind.BANK,
            OrganisationKind.CITY_OFFICE,
            OrganisationKind.PLATFORM,
            message="Recovery rates are for banks, the city office and the platform.",
        )
        rows = self.paginate_queryset(selectors.recovery_rates(user=request.user))
        return self.get_paginated_response(s.RecoveryRateOutput(rows, many=True).data)
