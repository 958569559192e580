from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.financing.filing import pledge_release_record
from tongzhirong.financing.models import Loan
from tongzhirong.financing.selectors import loan_list, loan_repayment
from tongzhirong.financing.services import loan_pay_off, loan_payoff_quote, repayment_record, repayment_reverse

from .serializers import (
    LoanOutput,
    PayoffInput,
    PayoffQuoteInput,
    PayoffQuoteOutput,
    ReleaseInput,
    RepaymentInput,
    RepaymentOutput,
    RepaymentReverseInput,
)


class LoanViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """Loans with their schedule, days past due and delinquency bucket (current, 1-30, 31-60, 61-90, 90+)."""

    queryset = Loan.objects.none()
    serializer_class = LoanOutput
    filterset_fields = ("status",)

    def get_queryset(self):
        return loan_list(user=self.request.user)

    @extend_schema(request=RepaymentInput, responses={201: RepaymentOutput}, summary="Bank: record a repayment")
    @action(detail=True, methods=["post"])
    def repayments(self, request, pk=None):
        loan = self.get_object()
        require(request.user, kinds=(OrganisationKind.BANK,), message="Repayments are recorded by the lending bank.")
        data = RepaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        repayment = repayment_record(actor=request.user, loan=loan, **data.validated_data)
        return Response(RepaymentOutput(repayment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RepaymentReverseInput,
        responses={201: RepaymentOutput},
        summary="Bank checker or manager: reverse a wrong repayment by a reversing entry",
        description=(
            "Appends a repayment of the exact negative amount and parts that names the original (`reverses`) and "
            "the reason, takes back from each instalment what the original paid there, restores the outstanding "
            "principal and days past due, and chains the entry as evidence. Only the lending bank's checker or "
            "manager, and not whoever recorded the repayment (403). A repayment already reversed, a reversal, or "
            "a repayment of a closed loan: 409 `conflict`."
        ),
    )
    @action(detail=True, methods=["post"], url_path=r"repayments/(?P<repayment_id>\d+)/reverse")
    def reverse_repayment(self, request, pk=None, repayment_id=None):
        loan = self.get_object()
        repayment = loan_repayment(loan=loan, repayment_id=int(repayment_id))
        data = RepaymentReverseInput(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = repayment_reverse(actor=request.user, repayment=repayment, reason=data.validated_data["reason"])
        return Response(RepaymentOutput(reversal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReleaseInput,
        responses=LoanOutput,
        summary="Bank: record a registry's release of the pledge after payoff",
    )
    @action(detail=True, methods=["post"], url_path="record-release")
    def record_release(self, request, pk=None):
        loan = self.get_object()
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        pledge_release_record(actor=request.user, loan=loan, **data.validated_data)
        return Response(LoanOutput(self.get_queryset().get(pk=loan.pk)).data)

    @extend_schema(
        parameters=[PayoffQuoteInput],
        responses=PayoffQuoteOutput,
        summary="What settles the loan early on a date: principal, interest due and accrued (actual/360)",
    )
    @action(detail=True, methods=["get"], url_path="payoff-quote")
    def payoff_quote(self, request, pk=None):
        params = PayoffQuoteInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        quote = loan_payoff_quote(loan=self.get_object(), as_of=params.validated_data.get("as_of"))
        return Response(PayoffQuoteOutput(quote).data)

    @extend_schema(request=PayoffInput, responses={201: RepaymentOutput}, summary="Bank: record an early payoff today")
    @action(detail=True, methods=["post"])
    def payoff(self, request, pk=None):
        loan = self.get_object()
        data = PayoffInput(data=request.data)
        data.is_valid(raise_exception=True)
        repayment = loan_pay_off(actor=request.user, loan=loan, reference=data.validated_data["reference"])
        return Response(RepaymentOutput(repayment).data, status=status.HTTP_201_CREATED)
