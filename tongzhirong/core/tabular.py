"""The spreadsheets people exchange with the platform: CSV or XLSX, one header row, one record per row.

``read_table`` reads what Chinese office software writes: XLSX from Excel or WPS, and CSV in UTF-8 (with or
without the BOM Excel adds) or in GB18030, the superset of the GBK that Chinese Excel uses for "CSV (逗号分隔)".
The type is taken from the file's name and confirmed by its content, so a renamed file is refused with a plain
reason instead of being half-read. Limits keep one upload from tying up a worker: 5 MB and 5,000 data rows by
default. ``write_csv`` and ``write_xlsx`` produce the same shapes (templates, exports).

Values come back as the file holds them: text stripped, an empty cell as ``None``; XLSX cells keep their type
(``int``, ``float``, ``bool``, ``datetime``). Turning them into domain values is the caller's business.

A hostile file is refused before it costs much. An XLSX is a zip of XML parts: a 1 MB upload can unpack to
gigabytes (one huge shared string), declare a sheet of ``A1:XFD1048576``, hold millions of empty elements or
XML entity bombs. So before openpyxl parses anything, ``_check_archive`` reads the zip's directory (part count,
compression methods, unpacked sizes, compression ratio) and then streams every XML part once through a byte
scanner that refuses entity declarations, rows wider than ``MAX_COLUMNS``, more than ``MAX_CELLS`` cells or
``MAX_SHARED_STRINGS`` shared strings, a text longer than a cell holds and declared dimensions past the limits.
openpyxl then reads each sheet's ``sheetData`` only (what lies before or after it, merged cells, links,
validations, is cut off on the way in) and the rows stop at the header's width, the row limit and
``MAX_SECONDS``. defusedxml stays installed as openpyxl's parser, a second line against entities. A CSV is
refused on a line with more than ``MAX_COLUMNS`` fields before the csv module splits it. Every refusal is a
``TabularError`` with a reason a person can act on."""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
# Physical rows read past the data limit, blank ones included, before the sheet is refused: a workbook
# formatted down to row 1,048,576 or a compressed sheet that unpacks to millions of rows stops here.
MAX_BLANK_ROWS = 10_000
# The imports have a dozen or so columns; a row reaching past column CV is not a table someone filled in.
MAX_COLUMNS = 100
# Excel's own limit on the characters in one cell.
MAX_CELL_CHARS = 32_767
# Reading stops here whatever the file: the checks below keep honest files far under it.
MAX_SECONDS = 10.0

# XLSX limits, checked in the zip's directory and one streamed pass over its XML before openpyxl parses it.
# Excel and WPS write ten to twenty parts; openpyxl parses about a megabyte of sheet XML a second, 40 µs a
# shared string and 15 µs a cell, so the counts below keep an honest file at the limits to a few seconds.
MAX_PARTS = 1_000
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Deflate shrinks repetitive sheet XML 10 to 30 times; a thousand times is padding (deflate's ceiling).
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # parts smaller than this unpacked cannot hurt whatever their ratio
MAX_CELLS = 250_000
MAX_SHARED_STRINGS = 50_000
# One shared string as stored (a cell's 32,767 characters at up to four UTF-8 bytes each, escaped, with runs).
MAX_SHARED_STRING_BYTES = 256 * 1024
# XML elements in one part besides eight for each cell, row and shared string: openpyxl builds an object for
# each element of the styles, theme and workbook parts and keeps unknown ones in memory; the largest honest
# parts (a style-bloated workbook) hold tens of thousands.
MAX_PART_ELEMENTS = 100_000

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
    deadline = time.monotonic() + MAX_SECONDS
    if _kind(name, data) == "xlsx":
        return _table(_xlsx_cells(data, max_rows=max_rows), max_rows=max_rows, deadline=deadline)
    return _table(_csv_cells(data), max_rows=max_rows, deadline=deadline)


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
    end = text.find("\n")
    header_line = text[: end if end >= 0 else len(text)]
    # Excel writes commas; some locales and tools use tabs or semicolons. The header line tells which.
    delimiter = max(",\t;", key=header_line.count)
    try:
        yield from csv.reader(_csv_lines(text, delimiter), delimiter=delimiter)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TabularError(_too_long_text()) from exc
        raise TabularError(_("The CSV cannot be read: %(reason)s.") % {"reason": exc}) from exc


def _csv_lines(text: str, delimiter: str) -> Iterator[str]:
    """The lines as the csv module pulls them, each refused before it is split if it holds more delimiters than
    a row of ``MAX_COLUMNS`` fields could (a quoted field may hold some: ten times the limit leaves room)."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if line.count(delimiter) > 10 * MAX_COLUMNS:
            raise TabularError(_too_wide(number))
        yield line


def _xlsx_cells(data: bytes, *, max_rows: int) -> Iterator[list[Any]]:
    sheets = _check_archive(data, max_rows=max_rows)
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        # openpyxl opens every part through its archive: this one hands it only the sheetData of each sheet.
        reader.archive.close()
        reader.archive = _SheetDataArchive(io.BytesIO(data), sheets)
        reader.read()
        book = reader.wb
    except _UNREADABLE as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except _UNREADABLE as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    finally:
        book.close()


# --- XLSX checks --------------------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_EOCD_FORMAT = "<4s4H2LH"
_EOCD_SIZE = struct.calcsize(_EOCD_FORMAT)
_ZIP64_MARK = 0xFFFF
# A central directory entry is 46 bytes plus the name and extra fields: 512 bytes each is plenty.
_DIRECTORY_BYTES_PER_PART = 512
_CHUNK = 1024 * 1024
# The tags the scan looks at, with or without a namespace prefix.
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(_PREFIX + rb"c(?=[\s/>])")
_ROW = re.compile(_PREFIX + rb"row(?=[\s/>])")
_SHARED_STRING = re.compile(_PREFIX + rb"si(?=[\s/>])")
_SHEET_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(dimension|sheetData)(?=[\s/>])([^<>]*)")
# A cell reference past MAX_COLUMNS (CV): three letters, or two from DA on, or CW to CZ. Written to start with
# the literal ``r=`` so that the regex engine skips ahead to it.
_FAR_CELL = re.compile(rb"r=[\"']\$?(?:[A-Za-z]{3}|[D-Zd-z][A-Za-z]|[Cc][W-Zw-z])\$?\d")
_ROW_NUMBER = re.compile(rb"\br\s*=\s*[\"'](\d{1,7})")
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)[^<>]*>")
_DIMENSION_REF = re.compile(rb"\bref\s*=\s*[\"']([^\"']*)[\"']")
_RANGE_END = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


@dataclass
class _SheetData:
    """Where a sheet part's root start tag ends and its sheetData starts and ends, in unpacked bytes."""

    root: bytes
    root_end: int
    start: int | None = None
    end: int | None = None


@dataclass
class _Scan:
    max_rows: int
    cells: int = 0
    strings: int = 0
    rows: int = 0
    last_string: int | None = None
    sheets: dict[str, _SheetData] = field(default_factory=dict)


def _check_archive(data: bytes, *, max_rows: int) -> dict[str, _SheetData]:
    """Refuse what would cost openpyxl too much, from the zip's directory and one streamed pass over the XML.
    Returns where each sheet's sheetData lies, so that openpyxl is handed that and nothing else."""
    _check_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise TabularError(_too_many_parts(len(parts)))
        unpacked = 0
        for part in parts:
            if part.flag_bits & 0x1:
                raise TabularError(_("The workbook is encrypted; remove the password and save it again."))
            if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise TabularError(_not_office())
            unpacked += part.file_size
            if part.file_size > MAX_PART_BYTES or unpacked > MAX_UNPACKED_BYTES:
                raise TabularError(
                    _("The workbook unpacks to more than %(limit)s MB; copy the data to a new workbook or send CSV.")
                    % {"limit": (MAX_UNPACKED_BYTES if unpacked > MAX_UNPACKED_BYTES else MAX_PART_BYTES) // 2**20}
                )
            if part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                raise TabularError(
                    _("Part %(part)s of the workbook is compressed %(ratio)s to 1, far more than any spreadsheet.")
                    % {"part": part.filename, "ratio": part.file_size // max(part.compress_size, 1)}
                )
        scan = _Scan(max_rows=max_rows)
        for part in parts:
            if part.filename.endswith((".xml", ".rels", ".vml")) or part.filename == "[Content_Types].xml":
                _scan_part(archive, part, scan)
        return scan.sheets


def _check_directory(data: bytes) -> None:
    """Count the parts from the zip's end record before ``zipfile`` builds an object for each."""
    at = data.rfind(_EOCD, max(0, len(data) - _EOCD_SIZE - 0xFFFF))
    if at < 0 or len(data) - at < _EOCD_SIZE:
        raise TabularError(_("The file is not a readable Excel workbook."))
    _sig, _disk, _start, _here, total, directory, _offset, _comment = struct.unpack(
        _EOCD_FORMAT, data[at : at + _EOCD_SIZE]
    )
    if total == _ZIP64_MARK or total > MAX_PARTS or directory > MAX_PARTS * _DIRECTORY_BYTES_PER_PART:
        raise TabularError(_too_many_parts(total))


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, scan: _Scan) -> None:
    elements = 0
    position = 0  # unpacked bytes before ``carry``
    carry = b""
    sheet: _SheetData | None = None
    first = True
    strings_before = scan.strings
    before = scan.cells + scan.rows + scan.strings
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                text = carry + chunk
                # A tag cut by the chunk's end is scanned with the next chunk (unless it is absurdly long).
                cut = text.rfind(b"<")
                cut = cut if cut >= 0 and len(text) - cut <= 64 * 1024 and text.find(b">", cut) < 0 else len(text)
                body, carry = text[:cut], text[cut:]
                if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
                    raise TabularError(_("The workbook declares XML entities, which spreadsheets never do."))
                elements += body.count(b"<") - body.count(b"</") - body.count(b"<?")
                if first and (root := _ROOT.search(body)):
                    sheet = _SheetData(root=root.group(1), root_end=position + root.end())
                    first = False
                sheet = _scan_tags(body, position, scan, sheet)
                position += len(body)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise TabularError(_("The file is not a readable Excel workbook.")) from exc
    if scan.last_string is not None and scan.strings > strings_before:
        _check_string_length(position + len(carry) - scan.last_string)
        scan.last_string = None
    if sheet is not None and sheet.start is not None:
        if sheet.end is None:
            raise TabularError(_("The file is not a readable Excel workbook."))
        scan.sheets[part.filename] = sheet
    # Elements openpyxl keeps until their parent closes: a few per cell, row or string, few besides.
    content = scan.cells + scan.rows + scan.strings - before
    if elements > MAX_PART_ELEMENTS + 8 * content:
        raise TabularError(
            _("Part %(part)s of the workbook holds more than %(limit)s elements; copy the data to a new workbook.")
            % {"part": part.filename, "limit": MAX_PART_ELEMENTS}
        )


def _scan_tags(body: bytes, position: int, scan: _Scan, sheet: _SheetData | None) -> _SheetData | None:
    # Counted in C (findall), not tag by tag in Python: a quarter of a million cells take milliseconds.
    scan.cells += len(_CELL.findall(body))
    if scan.cells > MAX_CELLS:
        raise TabularError(
            _("The workbook has more than %(limit)s cells; split it into smaller files.") % {"limit": MAX_CELLS}
        )
    if far := _FAR_CELL.search(body):
        raise TabularError(_too_wide(_row_of(body, far.start(), scan)))
    scan.rows += len(_ROW.findall(body))
    if scan.rows > scan.max_rows + MAX_BLANK_ROWS + 1:
        raise TabularError(_runs_on(scan.max_rows + MAX_BLANK_ROWS + 1))
    # The regexes below try every "<" of the chunk: a substring test in C first skips chunks without them.
    for match in _SHARED_STRING.finditer(body) if b"si" in body else ():
        start = position + match.start()
        if scan.last_string is not None:
            _check_string_length(start - scan.last_string)
        scan.last_string = start
        scan.strings += 1
        if scan.strings > MAX_SHARED_STRINGS:
            raise TabularError(
                _("The workbook holds more than %(limit)s different texts; split it into smaller files.")
                % {"limit": MAX_SHARED_STRINGS}
            )
    for match in _SHEET_TAG.finditer(body) if b"dimension" in body or b"sheetData" in body else ():
        closing, name, attributes = match.groups()
        if name == b"dimension":
            _check_dimension(attributes, max_rows=scan.max_rows)
        elif sheet is None:
            continue
        elif closing and sheet.start is not None and sheet.end is None:
            end = body.find(b">", match.end())
            sheet.end = position + (end + 1 if end >= 0 else match.end())
        elif not closing and sheet.start is None:
            sheet.start = position + match.start()
            if attributes.rstrip().endswith(b"/"):  # <sheetData/>: an empty sheet
                sheet.end = position + match.end() + 1
    return sheet


def _row_of(body: bytes, at: int, scan: _Scan) -> int:
    """The number of the row holding the tag at ``at``, for the refusal's message."""
    row = body.rfind(b"row ", 0, at)
    number = _ROW_NUMBER.search(body, row, at) if row >= 0 else None
    return int(number.group(1)) if number else scan.rows + 1


def _check_string_length(size: int) -> None:
    if size > MAX_SHARED_STRING_BYTES:
        raise TabularError(_too_long_text())


def _check_dimension(attributes: bytes, *, max_rows: int) -> None:
    """The size the sheet declares (``A1:XFD1048576`` is every cell Excel has), refused past the limits."""
    ref = _DIMENSION_REF.search(attributes)
    end = _RANGE_END.search(ref.group(1).decode("ascii", "replace").split(":")[-1]) if ref else None
    if end is None:
        return
    columns, rows = column_index_from_string(end.group(1).upper()), int(end.group(2))
    if columns > MAX_COLUMNS or rows > max_rows + MAX_BLANK_ROWS + 1:
        raise TabularError(
            _(
                "The sheet declares the range %(range)s, more than %(columns)s columns or %(rows)s rows; copy the "
                "data to a new sheet."
            )
            % {
                "range": ref.group(1).decode("ascii", "replace"),
                "columns": MAX_COLUMNS,
                "rows": max_rows + MAX_BLANK_ROWS + 1,
            }
        )


class _SheetDataArchive(zipfile.ZipFile):
    """The workbook as openpyxl should see it: each sheet part cut down to its root element and sheetData."""

    def __init__(self, file, sheets: dict[str, _SheetData]) -> None:
        super().__init__(file)
        self._sheets = sheets

    def open(self, name, mode="r", pwd=None, **kwargs):
        stream = super().open(name, mode, pwd, **kwargs)
        key = name.filename if isinstance(name, zipfile.ZipInfo) else name
        if mode == "r" and key in self._sheets:
            return _SheetDataOnly(stream, self._sheets[key])
        return stream


class _SheetDataOnly(io.RawIOBase):
    """Reads a sheet part as ``<worksheet ...>`` + a one-cell dimension + its ``<sheetData>…</sheetData>`` +
    ``</worksheet>``: merged cells, links, validations and whatever a crafted file puts around the data are
    skipped unparsed. The stand-in dimension lets openpyxl find the sheet's size at once (it would parse the
    whole sheet looking for one); the reader then drops it, so rows are padded only to their last cell."""

    def __init__(self, stream, sheet: _SheetData) -> None:
        super().__init__()
        self._stream = stream
        self._position = 0
        prefix = sheet.root[: sheet.root.rfind(b":") + 1]
        self._pieces: list[tuple[int, int] | bytes] = [
            (0, sheet.root_end),
            b"<" + prefix + b'dimension ref="A1"/>',
            (sheet.start, sheet.end),
            b"</" + sheet.root + b">",
        ]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        while self._pieces:
            piece = self._pieces[0]
            if isinstance(piece, bytes):
                data, rest = piece[:size], piece[size:]
                if rest:
                    self._pieces[0] = rest
                else:
                    self._pieces.pop(0)
                return data
            start, end = piece
            if self._position < start:  # skip what lies between the pieces, unparsed
                skipped = self._stream.read(min(start - self._position, _CHUNK))
                if not skipped:
                    break
                self._position += len(skipped)
                continue
            data = self._stream.read(min(size, end - self._position)) if self._position < end else b""
            self._position += len(data)
            if data:
                return data
            self._pieces.pop(0)
        return b""

    def close(self) -> None:
        self._stream.close()
        super().close()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _table(cells: Iterator[list[Any]], *, max_rows: int, deadline: float) -> list[Row]:
    headers: list[str | None] | None = None
    rows: list[Row] = []
    blank = 0
    for number, raw in enumerate(cells, start=1):
        if time.monotonic() > deadline:
            raise TabularError(
                _("Reading the file took longer than %(seconds)s seconds; split it into smaller files.")
                % {"seconds": f"{MAX_SECONDS:g}"}
            )
        if len(raw) > MAX_COLUMNS and any(v not in (None, "") for v in raw[MAX_COLUMNS:]):
            raise TabularError(_too_wide(number))
        values = [_clean(v) for v in raw[:MAX_COLUMNS]]
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
            raise TabularError(_too_long_text())
        if headers is None:
            headers = _headers(values)
            continue
        if all(v is None for v in values):
            blank += 1
            if blank > MAX_BLANK_ROWS:
                raise TabularError(_runs_on(number))
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


def _too_wide(number: int) -> str:
    return _("Row %(row)s reaches past column %(column)s; copy the table to a new sheet without the extra columns.") % {
        "row": number,
        "column": get_column_letter(MAX_COLUMNS),
    }


def _too_long_text() -> str:
    return _("A cell holds more than %(limit)s characters, more than a spreadsheet cell can.") % {
        "limit": f"{MAX_CELL_CHARS:,}"
    }


def _too_many_parts(count: int) -> str:
    return _("The workbook is made of %(count)s parts, more than %(limit)s; copy the data to a new workbook.") % {
        "count": count,
        "limit": MAX_PARTS,
    }


def _not_office() -> str:
    return _("The workbook is packed in a way Excel and WPS never use; open it and save it again as .xlsx.")


def _runs_on(number: int) -> str:
    return _("The sheet runs on past row %(number)s with blank rows; copy the data to a new sheet.") % {
        "number": number
    }


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
