"""Spreadsheets built to hurt the reader: each is small on the wire and costly to open naively (memory, CPU or
both). The import tests send every one to every import endpoint and page; ``bench/bench_hostile_files.py``
measures how fast and how cheaply each is refused.

The workbooks are assembled part by part (content types, workbook, relationships, one sheet, shared strings)
so that each bomb changes exactly one thing in an otherwise valid file."""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
HEADER = ("identifier", "title", "filing_date")


def _content_types(*, shared_strings: bool) -> str:
    strings = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        if shared_strings
        else ""
    )
    return (
        XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        f"{strings}</Types>"
    )


def _workbook_rels(*, shared_strings: bool) -> str:
    strings = (
        f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>' if shared_strings else ""
    )
    return (
        XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>{strings}</Relationships>'
    )


def _cell(reference: str, value) -> str:
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_xml(number: int, values) -> str:
    cells = "".join(_cell(f"{_column(i)}{number}", v) for i, v in enumerate(values) if v is not None)
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows_xml: str, *, dimension: str | None = "A1:C2", prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        XML_DECL
        + prolog
        + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'
    )


def data_rows(count: int) -> list[tuple]:
    return [(f"2017{n:08d}.3", f"一种高强度化学纤维的制备方法{n}", "2017-07-27") for n in range(count)]


def normal_sheet(count: int = 1) -> str:
    rows = [row_xml(1, HEADER)] + [row_xml(n + 2, row) for n, row in enumerate(data_rows(count))]
    return sheet_xml("".join(rows), dimension=f"A1:C{count + 1}")


def workbook(
    *,
    sheet: str | bytes | Iterable[bytes] | None = None,
    shared_strings: str | bytes | Iterable[bytes] | None = None,
    extra: dict[str, bytes] | None = None,
    level: int = 9,
) -> bytes:
    """An XLSX whose parts are given as text, bytes or an iterable of byte chunks (streamed); ``extra`` adds
    members (name → bytes)."""
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": _content_types(shared_strings=shared_strings is not None),
        "_rels/.rels": XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": XML_DECL + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _workbook_rels(shared_strings=shared_strings is not None),
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else normal_sheet(),
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    parts.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in parts.items():
            if isinstance(content, str | bytes):
                archive.writestr(name, content.encode() if isinstance(content, str) else content)
                continue
            with archive.open(name, "w", force_zip64=True) as member:  # streamed: gigabytes never sit in memory
                for piece in content:
                    member.write(piece)
    return out.getvalue()


def _repeated(text: bytes, size: int) -> Iterator[bytes]:
    block = text * (2**20 // len(text))
    for _ in range(size // len(block)):
        yield block


def _shared_sheet() -> str:
    """A header row whose first name is shared string 0, the rest inline."""
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c>' + "".join(
        _cell(f"{_column(i)}1", name) for i, name in enumerate(HEADER) if i
    )
    return sheet_xml(header + "</row>" + row_xml(2, data_rows(1)[0]))


def _sst(items: str, count: int) -> str:
    return XML_DECL + f'<sst xmlns="{MAIN_NS}" count="{count}" uniqueCount="{count}">{items}</sst>'


# --- The bombs ------------------------------------------------------------------------------------------


def huge_shared_string(size: int = 256 * 2**20) -> bytes:
    """One shared string of ``size`` characters: 256 MB of text in about 256 KB."""
    head, tail = _sst("<si><t>SPLIT</t></si>", 1).encode().split(b"SPLIT")
    return workbook(sheet=_shared_sheet(), shared_strings=[head, *_repeated(b"a", size), tail])


def long_shared_string() -> bytes:
    """A shared string longer than Excel's 32,767 characters per cell, in a table small enough to pass the size
    checks: no office program writes it."""
    return workbook(sheet=_shared_sheet(), shared_strings=_sst(f"<si><t>{'a' * 300_000}</t></si>", 1))


def many_shared_strings(count: int = 2_000_000) -> bytes:
    """Millions of empty shared strings: each costs an object and parser time, the file stays tiny."""
    return workbook(sheet=_shared_sheet(), shared_strings=_sst("<si><t/></si>" * count, count))


def whole_sheet_dimension() -> bytes:
    """A two-row sheet declaring ``A1:XFD1048576``: a naive reader pads every row to 16,384 columns and the
    sheet to 1,048,576 rows."""
    return workbook(sheet=normal_sheet(1).replace('ref="A1:C2"', 'ref="A1:XFD1048576"'))


def far_row() -> bytes:
    """The header, one row, then a row numbered 1,048,576 (no dimension): a reader yields every row between."""
    rows = row_xml(1, HEADER) + row_xml(2, data_rows(1)[0]) + row_xml(1_048_576, data_rows(1)[0])
    return workbook(sheet=sheet_xml(rows, dimension=None))


def wide_row() -> bytes:
    """A data row of 16,384 cells under a three-column header."""
    cells = "".join(f'<c r="{_column(i)}2"><v>1</v></c>' for i in range(16_384))
    return workbook(sheet=sheet_xml(row_xml(1, HEADER) + f'<row r="2">{cells}</row>', dimension=None))


def deep_ratio(size: int = 30 * 2**20) -> bytes:
    """A sheet padded with ``size`` bytes of whitespace, under the size limits: deflate shrinks it about a
    thousand times, which no spreadsheet comes near."""
    head, tail = normal_sheet(1).encode().split(b"<sheetData>")
    return workbook(sheet=[head, *_repeated(b" ", size), b"<sheetData>" + tail])


def junk_elements(count: int = 1_000_000) -> bytes:
    """A million empty elements after the data: openpyxl keeps each one in memory until the sheet ends."""
    return workbook(sheet=normal_sheet(1).replace("</sheetData>", "</sheetData>" + "<x/>" * count))


def merged_cells(count: int = 200_000) -> bytes:
    """200,000 merged ranges: openpyxl builds several objects for each, tens of seconds in all."""
    merges = "".join(f'<mergeCell ref="A{n}:B{n}"/>' for n in range(3, count + 3))
    return workbook(sheet=normal_sheet(1).replace("</sheetData>", f"</sheetData><mergeCells>{merges}</mergeCells>"))


def many_cells(rows: int = 6_000, columns: int = 50) -> bytes:
    """300,000 numeric cells in rows of fifty: each is parsed, none is a data row past the limits."""
    cells = "".join(f'<c r="{_column(i)}{{n}}"><v>1</v></c>' for i in range(columns))
    body = row_xml(1, HEADER) + "".join(
        f'<row r="{n}">' + cells.replace("{n}", str(n)) + "</row>" for n in range(2, rows)
    )
    return workbook(sheet=sheet_xml(body, dimension=None))


def many_members(count: int = 20_000) -> bytes:
    """A valid workbook carrying ``count`` extra empty members."""
    return workbook(extra={f"customXml/item{n}.xml": b"" for n in range(count)}, level=1)


def entity_expansion() -> bytes:
    """The billion-laughs XML bomb in the shared strings: ten levels of ten references each."""
    levels = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10)]
    prolog = f"<!DOCTYPE sst [{''.join(levels)}]>"
    return workbook(
        sheet=_shared_sheet(),
        shared_strings=XML_DECL
        + prolog
        + f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&e9;</t></si></sst>',
    )


def external_entity() -> bytes:
    """An external entity (XXE) reading a local file into a cell."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = row_xml(1, HEADER) + '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    return workbook(sheet=sheet_xml(rows, prolog=prolog))


def bzip2_member() -> bytes:
    """A workbook whose sheet is compressed with bzip2: legal in ZIP, never written by office software."""
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(workbook()))
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            method = zipfile.ZIP_BZIP2 if item.filename.endswith("sheet1.xml") else zipfile.ZIP_DEFLATED
            archive.writestr(item.filename, source.read(item.filename), compress_type=method)
    return out.getvalue()


XLSX_BOMBS: dict[str, Callable[[], bytes]] = {
    "huge_shared_string": huge_shared_string,
    "long_shared_string": long_shared_string,
    "many_shared_strings": many_shared_strings,
    "whole_sheet_dimension": whole_sheet_dimension,
    "far_row": far_row,
    "wide_row": wide_row,
    "deep_ratio": deep_ratio,
    "junk_elements": junk_elements,
    "merged_cells": merged_cells,
    "many_cells": many_cells,
    "many_members": many_members,
    "entity_expansion": entity_expansion,
    "external_entity": external_entity,
    "bzip2_member": bzip2_member,
}


# --- CSV ------------------------------------------------------------------------------------------------


def csv_huge_field(size: int = 4 * 2**20) -> bytes:
    """One quoted field of ``size`` characters."""
    return b'identifier,title,filing_date\n1,"' + b"a" * size + b'",2017-07-27\n'


def csv_wide_row(size: int = 4 * 2**20) -> bytes:
    """A data row of millions of empty fields under a three-column header."""
    return b"identifier,title,filing_date\n1,2," + b"," * size + b"\n"


def csv_wide_header(size: int = 4 * 2**20) -> bytes:
    """A header of millions of columns."""
    return b"c," * (size // 2) + b"\n1\n"


def csv_blank_lines(size: int = 4 * 2**20) -> bytes:
    """The header, one row, then millions of empty lines."""
    return b"identifier,title,filing_date\n1,2,3\n" + b",,\n" * (size // 3)


CSV_BOMBS: dict[str, Callable[[], bytes]] = {
    "csv_huge_field": csv_huge_field,
    "csv_wide_row": csv_wide_row,
    "csv_wide_header": csv_wide_header,
    "csv_blank_lines": csv_blank_lines,
}


def normal_xlsx(count: int = 1000) -> bytes:
    """A well-formed import of ``count`` rows, the baseline the bombs are measured against."""
    return workbook(sheet=normal_sheet(count))


BOMBS = {**XLSX_BOMBS, **CSV_BOMBS}


@functools.cache
def build(name: str) -> tuple[bytes, str]:
    """The crafted file ``name`` and a file name with its extension, built once per run (the largest take a
    second or two to compress)."""
    return BOMBS[name](), f"{name}.{'csv' if name in CSV_BOMBS else 'xlsx'}"
