"""Risk sharing: cover bound at disbursement, the pool (filing, ledger), claims, disposal and recoveries.

Every state change goes through ``tongzhirong.evidence.state.transition``; money goes through ``to_yuan``;
the arithmetic of who bears what is in ``waterfall.py`` and the ledger's in ``ledger.py``.

By topic: ``underwriting`` (cover asked for and accepted before disbursement), ``cover`` (policies bound at
disbursement), ``claims`` (opened at default, submitted, decided, paid),
``pools`` (set-up, filings, release), ``disposal`` (sales, auctions, licences, recoveries), and ``common`` (what
they share: the lending bank's check and the pool's ledger posting). Callers import from the package."""

from .claims import (
    claim_approve,
    claim_record_payment,
    claim_reject,
    claim_submit,
    loan_default_notify,
    loan_default_open_claims,
    pool_claim_create,
)
from .cover import loan_risk_bind
from .disposal import (
    AuctionClosed,
    auction_bid,
    auction_close,
    auction_start,
    auction_winner,
    disposal_case_open,
    disposal_direct_sale,
    disposal_license,
    disposal_royalty_record,
)
from .pools import (
    FILEABLE,
    PoolCapacityExceeded,
    pool_create,
    pool_file,
    pool_filing_withdraw,
    pool_filings_release_repaid,
    pool_top_up,
)
from .underwriting import (
    COVERABLE,
    PRODUCT_FIELD,
    REQUIRED_FLAG,
    cover_for_disbursement,
    cover_go_without,
    cover_request_accept,
    cover_request_decline,
    cover_request_open,
    cover_request_withdraw,
    cover_requests_lapse_ended,
    cover_requests_lapse_for,
    cover_requests_open_for,
)
from .what_if import NothingToSimulate, WhatIf, pool_what_if

__all__ = [
    "COVERABLE",
    "FILEABLE",
    "PRODUCT_FIELD",
    "REQUIRED_FLAG",
    "AuctionClosed",
    "NothingToSimulate",
    "PoolCapacityExceeded",
    "WhatIf",
    "auction_bid",
    "auction_close",
    "auction_start",
    "auction_winner",
    "claim_approve",
    "claim_record_payment",
    "claim_reject",
    "claim_submit",
    "cover_for_disbursement",
    "cover_go_without",
    "cover_request_accept",
    "cover_request_decline",
    "cover_request_open",
    "cover_request_withdraw",
    "cover_requests_lapse_ended",
    "cover_requests_lapse_for",
    "cover_requests_open_for",
    "disposal_case_open",
    "disposal_direct_sale",
    "disposal_license",
    "disposal_royalty_record",
    "loan_default_notify",
    "loan_default_open_claims",
    "loan_risk_bind",
    "pool_claim_create",
    "pool_create",
    "pool_file",
    "pool_filing_withdraw",
    "pool_filings_release_repaid",
    "pool_top_up",
    "pool_what_if",
]
