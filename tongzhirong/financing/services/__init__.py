"""Application and loan services. Every state change goes through ``tongzhirong.evidence.state.transition``
(the status audit row and the evidence chain, in the same transaction); tasks are queued through the outbox.

By topic: ``applications`` (the application's life, the SME's moves and the bank's, maker-checker),
``registration`` (the pledge filed and recorded), ``loans`` (disbursement, repayments, payoff, delinquency,
reminders). Callers import from the package."""

from .applications import (
    application_accept_offer,
    application_approve,
    application_change_status,
    application_confirm_approval,
    application_create,
    application_decline_offer,
    application_reject,
    application_request_info,
    application_respond,
    application_start_review,
    application_submit,
    application_update,
    application_withdraw,
)
from .loans import (
    DELINQUENCY_BUCKETS,
    DISBURSEMENT_FACTS,
    REVERSING_ROLES,
    PayoffQuote,
    delinquency_bucket,
    delinquency_bucket_filter,
    loan_disburse,
    loan_pay_off,
    loan_payoff_quote,
    loans_due_reminders,
    loans_refresh_delinquency,
    repayment_record,
    repayment_reverse,
)
from .registration import pledge_registration_file, pledge_registration_record

__all__ = [
    "DELINQUENCY_BUCKETS",
    "DISBURSEMENT_FACTS",
    "REVERSING_ROLES",
    "PayoffQuote",
    "application_accept_offer",
    "application_approve",
    "application_change_status",
    "application_confirm_approval",
    "application_create",
    "application_decline_offer",
    "application_reject",
    "application_request_info",
    "application_respond",
    "application_start_review",
    "application_submit",
    "application_update",
    "application_withdraw",
    "delinquency_bucket",
    "delinquency_bucket_filter",
    "loan_disburse",
    "loan_pay_off",
    "loan_payoff_quote",
    "loans_due_reminders",
    "loans_refresh_delinquency",
    "pledge_registration_file",
    "pledge_registration_record",
    "repayment_record",
    "repayment_reverse",
]
