"""Importing the IP pledge loans banks made outside the platform, from their CSV or XLSX reports.

All or nothing, like the IP asset import (``tongzhirong.assets.importing``; cells read by ``tongzhirong.core.cells``):
every row is read and checked, duplicates are looked for in the file, among loans reported before and among
the platform's own loans of the same bank (a loan is one bank and one contract number), all before anything
is written; one problem anywhere and nothing is, and the report names every problem by row and column.

A bank imports its own loans (the bank column may be left out); the city office and the platform import
any bank's, named by its full name, short name or USCC. The borrower's profile is taken from the platform
when its USCC is registered there; otherwise the district comes from the USCC's division code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.core import identifiers as ids
from tongzhirong.core.cells import (
    HEADER_ROW,
    LOOKUP_BATCH,
    Column,
    ImportResult,
    header_key,
    match_columns,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_date,
    parse_text,
    parse_text_list,
    row_problem,
    rows_rejected,
    typed,
)
from tongzhirong.core.errors import RowsRejected
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import District, IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Loan
from tongzhirong.financing.rollups import rollup_record

from .models import ReportedLoan
from .selectors import day_start, leading_ip_type, reporting_scope

EARLIEST = dt.date(2000, 1, 1)


def _uscc(value: Any) -> str:
    try:
        return ids.normalise_uscc(parse_text(value))
    except ids.IdentifierError as exc:
        raise ValueError(str(exc)) from None


def _identifier(value: str) -> tuple[str, str]:
    """(IP type, canonical number) of one pledged right, recognised from the number's shape."""
    raw = typed(value).upper().replace(" ", "")
    for recognise in (_patent, _software, _copyright, _trademark):
        found = recognise(raw)
        if found:
            return found
    raise ValueError(_("“%(value)s” is not a patent, trademark or copyright number we recognise.") % {"value": value})


def _patent(raw: str) -> tuple[str, str] | None:
    try:
        number = ids.normalise_patent_number(raw)
    except ids.IdentifierError:
        return None
    return ids.patent_type_of(number) or IPType.INVENTION_PATENT.value, number


def _software(raw: str) -> tuple[str, str] | None:
    try:
        return IPType.SOFTWARE_COPYRIGHT.value, ids.normalise_software_copyright_number(raw)
    except ids.IdentifierError:
        return None


def _copyright(raw: str) -> tuple[str, str] | None:
    try:
        return IPType.COPYRIGHT.value, ids.normalise_copyright_number(raw)
    except ids.IdentifierError:
        return None


def _trademark(raw: str) -> tuple[str, str] | None:
    try:
        return IPType.TRADEMARK.value, ids.normalise_trademark_number(raw)
    except ids.IdentifierError:
        return None


def _identifiers(value: Any) -> list[tuple[str, str]]:
    found = [_identifier(part) for part in parse_text_list(value)]
    if not found:
        raise ValueError(_("Name at least one pledged IP right."))
    return found


def _positive(value: Any):
    amount = to_yuan(parse_amount(value))
    if amount <= 0:
        raise ValueError(_("The amount must be positive."))
    return amount


COLUMNS: tuple[Column, ...] = (
    Column("bank", "贷款银行", parse_text),
    Column("contract_number", "合同编号", parse_text, required=True),
    Column("borrower_uscc", "借款人统一社会信用代码", _uscc, required=True),
    Column("borrower_name", "借款人名称", parse_text),
    Column("ip_identifiers", "质押知识产权编号", _identifiers, required=True),
    Column("ip_type", "主要知识产权类型", parse_choice(IPType)),
    Column("principal", "贷款金额（元）", _positive, required=True),
    Column("disbursed_on", "放款日", parse_date, required=True),
    Column("maturity_date", "到期日", parse_date),
    Column("first_loan", "首贷", parse_bool),
    Column("district", "区县/园区", parse_choice(District)),
    Column("is_tech_sme", "科技型中小企业", parse_bool),
)

EXAMPLE = {
    "bank": "江苏银行南通分行",
    "contract_number": "JSNT-ZY-2026-0001",
    "borrower_uscc": "91320612MA1MXXXX0X",
    "borrower_name": "南通某某科技有限公司",
    "ip_identifiers": "201710601862.3; 12345678",
    "ip_type": "",
    "principal": "5000000.00",
    "disbursed_on": dt.date(2026, 3, 18),
    "maturity_date": dt.date(2027, 3, 17),
    "first_loan": "是",
    "district": "",
    "is_tech_sme": "是",
}


def template_headers(*, chinese: bool) -> list[str]:
    return [column.zh if chinese else column.field for column in COLUMNS]


def template_rows() -> list[list[Any]]:
    return [[EXAMPLE[column.field] for column in COLUMNS]]


def reported_loans_import(*, actor, rows: Sequence[Mapping[str, Any]], dry_run: bool = False) -> ImportResult:
    """Record every row of ``rows`` (dicts keyed by column name, e.g. from ``read_table``) as a reported loan,
    in one transaction, or none: raises ``RowsRejected`` listing every problem by row and column."""
    scope = reporting_scope(user=actor)
    problems: list[dict[str, Any]] = []
    columns = match_columns(rows, problems, COLUMNS, also_required=["bank"] if scope.city_wide else [])
    if problems:
        raise rows_rejected(problems, rows=len(rows))
    banks = _banks()
    today = timezone.localdate()
    parsed = []
    for i, row in enumerate(rows):
        number = getattr(row, "number", i + HEADER_ROW + 1)
        fields = _parse(row, columns, number, problems)
        bank_id = _bank_of(fields.pop("bank", None), scope, banks, number, problems)
        _dates(fields, today, number, problems)
        parsed.append((number, bank_id, fields))
    with transaction.atomic():
        problems.extend(_duplicates(parsed))
        if problems:
            raise rows_rejected(problems, rows=len(rows))
        profiles = _profiles({fields["borrower_uscc"] for _, _, fields in parsed})
        loans = [_loan(actor, bank_id, fields, profiles) for _, bank_id, fields in parsed]
        if dry_run:
            return ImportResult(rows=len(rows), created=[], dry_run=True)
        try:
            with transaction.atomic():
                created = ReportedLoan.objects.bulk_create(loans)
                rollup_record(loan.rollup_entry() for loan in created)
        except IntegrityError as exc:  # a concurrent import of the same contract won the race
            raise RowsRejected(
                [row_problem(HEADER_ROW, None, _("Another import of the same loans ran at the same time; try again."))],
                detail=_("Nothing was imported."),
            ) from exc
    return ImportResult(rows=len(rows), created=[loan.pk for loan in created], dry_run=False)


def _parse(row: Mapping[str, Any], columns: dict[str, Column], number: int, problems: list) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for header, value in row.items():
        column = columns[header]
        if value is None or value == "":
            if column.required:
                problems.append(row_problem(number, column.field, _("This cell is required.")))
            continue
        try:
            fields[column.field] = column.parse(value)
        except ValueError as exc:
            problems.append(row_problem(number, column.field, str(exc)))
    contract = fields.get("contract_number", "")
    if len(contract) > ReportedLoan._meta.get_field("contract_number").max_length:
        problems.append(row_problem(number, "contract_number", _("A contract number has at most 40 characters.")))
    if len(fields.get("borrower_name", "")) > 200:
        problems.append(row_problem(number, "borrower_name", _("A name has at most 200 characters.")))
    return fields


def _banks() -> dict[str, int]:
    """Every way a bank may be named in a file → its id."""
    names = {}
    for pk, name, short, uscc in Organisation.objects.filter(kind=OrganisationKind.BANK).values_list(
        "pk", "name", "short_name", "uscc"
    ):
        for alias in (name, short, uscc):
            if alias:
                names[header_key(alias)] = pk
    return names


def _bank_of(name: str | None, scope, banks: dict[str, int], number: int, problems: list) -> int | None:
    if name is None:
        if scope.bank_id is None:
            problems.append(row_problem(number, "bank", _("Name the bank that made the loan.")))
        return scope.bank_id
    bank_id = banks.get(header_key(name))
    if bank_id is None:
        problems.append(row_problem(number, "bank", _("“%(name)s” is not a bank on the platform.") % {"name": name}))
    elif scope.bank_id is not None and bank_id != scope.bank_id:
        problems.append(row_problem(number, "bank", _("A bank reports only its own loans.")))
    return bank_id


def _dates(fields: dict[str, Any], today: dt.date, number: int, problems: list) -> None:
    disbursed = fields.get("disbursed_on")
    if disbursed is None:
        return
    if disbursed > today:
        problems.append(row_problem(number, "disbursed_on", _("The disbursement date is in the future.")))
    if disbursed < EARLIEST:
        problems.append(row_problem(number, "disbursed_on", _("The disbursement date is before 2000.")))
    maturity = fields.get("maturity_date")
    if maturity is not None and maturity <= disbursed:
        problems.append(row_problem(number, "maturity_date", _("The maturity date must come after the disbursement.")))


def _duplicates(parsed: list[tuple[int, int | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One loan per bank and contract number: in the file, among reported loans and the platform's loans."""
    keys = [(bank, f["contract_number"]) for _, bank, f in parsed if bank is not None and "contract_number" in f]
    contracts = sorted({c for _, c in keys})
    known: dict[tuple[int, str], str] = {}
    for start in range(0, len(contracts), LOOKUP_BATCH):
        batch = contracts[start : start + LOOKUP_BATCH]
        for pair in Loan.objects.filter(contract_number__in=batch).values_list("bank_id", "contract_number"):
            known[pair] = _("This contract is a loan made on the platform; it is counted already.")
        for pair in ReportedLoan.objects.filter(contract_number__in=batch).values_list("bank_id", "contract_number"):
            known.setdefault(pair, _("This contract was reported before."))
    found, first_seen = [], {}
    for number, bank, fields in parsed:
        key = (bank, fields.get("contract_number"))
        if bank is None or key[1] is None:
            continue
        if key in known:
            found.append(row_problem(number, "contract_number", known[key]))
        elif key in first_seen:
            found.append(
                row_problem(
                    number,
                    "contract_number",
                    _("This contract appears again; it is first in row %(row)s.") % {"row": first_seen[key]},
                )
            )
        else:
            first_seen[key] = number
    return found


_PROFILE_FIELDS = ("district", "cluster", "chain", "is_high_tech", "is_tech_sme", "is_specialised", "is_little_giant")


def _profiles(usccs: set[str]) -> dict[str, dict[str, Any]]:
    found = {}
    ordered = sorted(usccs)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        for row in Enterprise.objects.filter(uscc__in=ordered[start : start + LOOKUP_BATCH]).values(
            "pk", "uscc", "prior_ip_loans", *_PROFILE_FIELDS
        ):
            found[row["uscc"]] = row
    return found


def _loan(actor, bank_id: int, fields: dict[str, Any], profiles: dict[str, dict[str, Any]]) -> ReportedLoan:
    pledged = fields.pop("ip_identifiers")
    ip_type = fields.pop("ip_type", None) or leading_ip_type(t for t, _ in pledged)
    profile = profiles.get(fields["borrower_uscc"])
    loan = ReportedLoan(
        bank_id=bank_id,
        imported_by=actor,
        ip_type=ip_type,
        ip_identifiers=[{"ip_type": t, "identifier": n} for t, n in pledged],
        disbursed_at=day_start(fields["disbursed_on"]),
        **fields,
    )
    if profile is not None:
        loan.borrower_id = profile["pk"]
        for name in _PROFILE_FIELDS:
            setattr(loan, name, profile[name])
    elif not loan.district:
        division = ids.uscc_division(loan.borrower_uscc)
        loan.district = division if division in District.values else ""
    return loan
