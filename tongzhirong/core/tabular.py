"""The spreadsheets people exchange with the platform: CSV or XLSX, one header row, one record per row.

``read_table`` reads what Chinese office software writes: XLSX from Excel or WPS, and CSV in UTF-8 (with or
without the BOM Excel adds) or in GB18030, the superset of the GBK that Chinese Excel uses for "CSV (逗号分隔)".
The type is taken from the file's name and confirmed by its content, so a renamed file is refused with a plain
reason instead of being half-read. Limits keep one upload from tying up a worker: 5 MB and 5,000 data rows by
default. ``write_csv`` and ``write_xlsx`` produce the same shapes (templates, exports).

Values come back as the file holds them: text stripped, an empty cell as ``None``; XLSX cells keep their type
(``int``, ``float``, ``bool``, ``datetime``). Turning them into domain values is the caller's business."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
# Physical rows read past the data limit, blank ones included, before the sheet is refused: a workbook
# formatted down to row 1,048,576 or a compressed sheet that unpacks to millions of rows stops here.
MAX_BLANK_ROWS = 10_000

CSV_CONTENT_TYPE = "text/csv"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc)
# What a damaged or foreign file makes openpyxl raise; defusedxml's refusals are ValueErrors.
_UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, OSError, SyntaxError)


class TabularError(ValueError):
    """The file cannot be read as a table; the message says why in plain words."""


class Row(dict):
    """One data row keyed by the header's column names; ``number`` is its row in the spreadsheet (the header
    is row 1), the number a person looks for when a report names the row."""

    def __init__(self, values: dict[str, Any], *, number: int) -> None:
        super().__init__(values)
        self.number = number


def read_table(file, *, name: str, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> list[Row]:
    """Read a CSV or XLSX file (a binary file object) whose first row holds the column names.

    ``name`` is the file's name as uploaded; its extension must agree with the content. Blank rows are
    skipped; every returned row has every column of the header. Raises ``TabularError``."""
    data = file.read(max_bytes + 1)
    if not data:
        raise TabularError(_("The file is empty."))
    if len(data) > max_bytes:
        raise TabularError(
            _("The file is larger than %(limit)s MB; split it into smaller files.")
            % {"limit": f"{max_bytes / 2**20:g}"}
        )
    if _kind(name, data) == "xlsx":
        return _table(_xlsx_cells(data), max_rows=max_rows)
    return _table(_csv_cells(data), max_rows=max_rows)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM: without it Excel opens Chinese text as mojibake."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_defused(headers))
    writer.writerows(_defused(row) for row in rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(_defused(headers))
    for row in rows:
        sheet.append(_defused(row))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, kind: str, title: str = "Sheet1") -> bytes:
    """An export as ``kind`` "xlsx" or "csv"."""
    return write_xlsx(headers, rows, title=title) if kind == "xlsx" else write_csv(headers, rows)


# A text cell starting with one of these is run as a formula by Excel, WPS or LibreOffice (CSV injection): an
# exported firm name such as ``=HYPERLINK(...)`` would otherwise become a live link or command. OWASP's advice:
# prefix the text with an apostrophe, which spreadsheets show as text and do not evaluate.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defused(cells: Iterable[Any]) -> list[Any]:
    return [f"'{c}" if isinstance(c, str) and c.startswith(_FORMULA_STARTS) else c for c in cells]


def _kind(name: str, data: bytes) -> str:
    suffix = PurePath(name or "").suffix.lower()
    zipped = data.startswith(_ZIP_MAGIC)
    if suffix == ".xlsx":
        if not zipped:
            raise TabularError(_("The file is named .xlsx but is not an Excel workbook."))
        return "xlsx"
    if suffix == ".csv":
        if zipped or b"\x00" in data:
            raise TabularError(_("The file is named .csv but is not a text file; save it as CSV or send the .xlsx."))
        return "csv"
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise TabularError(_("The old .xls format is not read: save the workbook as .xlsx or as CSV."))
    raise TabularError(_("Only .csv and .xlsx files are accepted."))


def _decode(data: bytes) -> str:
    # With a BOM the file says it is UTF-8; without one, UTF-8 is tried first: GB18030 would decode almost anything.
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularError(_("The text is neither UTF-8 nor GBK; save the file as “CSV UTF-8”."))


def _csv_cells(data: bytes) -> Iterator[list[Any]]:
    text = _decode(data)
    header_line = text.split("\n", 1)[0]
    # Excel writes commas; some locales and tools use tabs or semicolons. The header line tells which.
    delimiter = max(",\t;", key=header_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise TabularError(_("The CSV cannot be read: %(reason)s.") % {"reason": exc}) from exc


def _xlsx_cells(data: bytes) -> Iterator[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    except _UNREADABLE as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    finally:
        book.close()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _table(cells: Iterator[list[Any]], *, max_rows: int) -> list[Row]:
    headers: list[str | None] | None = None
    rows: list[Row] = []
    blank = 0
    for number, raw in enumerate(cells, start=1):
        values = [_clean(v) for v in raw]
        if headers is None:
            headers = _headers(values)
            continue
        if all(v is None for v in values):
            blank += 1
            if blank > MAX_BLANK_ROWS:
                raise TabularError(
                    _("The sheet runs on past row %(number)s with blank rows; copy the data to a new sheet.")
                    % {"number": number}
                )
            continue
        if len(rows) == max_rows:
            raise TabularError(
                _("The file has more than %(limit)s data rows; split it into smaller files.") % {"limit": max_rows}
            )
        for column, value in enumerate(values):
            if value is not None and (column >= len(headers) or headers[column] is None):
                raise TabularError(
                    _("Row %(row)s has a value in column %(column)s, which has no name in the header row.")
                    % {"row": number, "column": get_column_letter(column + 1)}
                )
        padded = values + [None] * (len(headers) - len(values))
        rows.append(Row({h: v for h, v in zip(headers, padded, strict=False) if h is not None}, number=number))
    if headers is None:
        raise TabularError(_("The file is empty."))
    if not rows:
        raise TabularError(_("The file has a header row but no data rows."))
    return rows


def _headers(values: list[Any]) -> list[str | None]:
    if all(v is None for v in values):
        raise TabularError(_("The first row must hold the column names."))
    headers = [None if v is None else str(v) for v in values]
    seen = set()
    for header in headers:
        if header is not None and header in seen:
            raise TabularError(_("The column “%(name)s” appears twice in the header row.") % {"name": header})
        seen.add(header)
    return headers
