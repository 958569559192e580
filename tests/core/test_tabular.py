"""Reading the spreadsheets people send: CSV in the encodings Chinese office software writes, XLSX, and the
files that must be refused with a reason a person can act on."""

import codecs
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from tests.core import hostile_files
from tongzhirong.core.tabular import TabularError, read_table, write_csv, write_xlsx

HEADER = "identifier,title,filing_date"
ROW = "201710601862.3,一种高强度化学纤维的制备方法,2017-07-27"


def xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, name: str = "assets.csv", **limits):
    return read_table(io.BytesIO(data), name=name, **limits)


def refusal(data: bytes, name: str = "assets.csv", **limits) -> str:
    with pytest.raises(TabularError) as refused:
        read(data, name, **limits)
    return str(refused.value)


EXPECTED = {"identifier": "201710601862.3", "title": "一种高强度化学纤维的制备方法", "filing_date": "2017-07-27"}


def test_a_utf8_csv_becomes_one_dict_per_row_keyed_by_the_header():
    assert read(f"{HEADER}\n{ROW}\n".encode()) == [EXPECTED]


def test_the_bom_excel_writes_before_utf8_is_not_part_of_the_first_column():
    rows = read(codecs.BOM_UTF8 + f"{HEADER}\r\n{ROW}\r\n".encode())

    assert rows == [EXPECTED]


def test_a_gbk_csv_from_chinese_excel_is_read():
    rows = read(f"{HEADER}\r\n{ROW}\r\n".encode("gbk"))

    assert rows[0]["title"] == "一种高强度化学纤维的制备方法"


def test_text_that_is_neither_utf8_nor_gbk_is_refused():
    assert "neither UTF-8 nor GBK" in refusal(f"{HEADER}\n".encode() + b"\x81\x20\xff\xfe\n")


def test_a_tab_separated_file_is_read_by_its_header_line():
    rows = read(f"{HEADER}\n{ROW}\n".replace(",", "\t").encode())

    assert rows == [EXPECTED]


def test_rows_keep_their_spreadsheet_number_past_blank_rows():
    rows = read(f"{HEADER}\n{ROW}\n,,\n\n{ROW}\n".encode())

    assert [row.number for row in rows] == [2, 5]


def test_empty_cells_are_none_and_text_is_stripped():
    rows = read(f"{HEADER}\n  201710601862.3 ,,2017-07-27\n".encode())

    assert rows[0] == {"identifier": "201710601862.3", "title": None, "filing_date": "2017-07-27"}


def test_a_short_row_has_every_column_of_the_header():
    assert read(f"{HEADER}\n201710601862.3\n".encode())[0] == {
        "identifier": "201710601862.3",
        "title": None,
        "filing_date": None,
    }


def test_a_value_outside_the_named_columns_is_refused_with_its_row_and_column():
    assert refusal(f"{HEADER}\n{ROW},extra\n".encode()) == (
        "Row 2 has a value in column D, which has no name in the header row."
    )


def test_a_repeated_column_name_is_refused():
    assert (
        refusal(b"identifier,identifier\n1,2\n") == "The column \u201cidentifier\u201d appears twice in the header row."
    )


def test_a_header_without_data_is_refused():
    assert refusal(f"{HEADER}\n\n".encode()) == "The file has a header row but no data rows."


def test_a_blank_first_row_is_refused():
    assert refusal(f",,\n{HEADER}\n{ROW}\n".encode()) == "The first row must hold the column names."


def test_an_empty_file_is_refused():
    assert refusal(b"") == "The file is empty."


def test_a_file_over_the_size_limit_is_refused():
    data = f"{HEADER}\n".encode() + f"{ROW}\n".encode() * 100

    assert refusal(data, max_bytes=1024).startswith("The file is larger than")


def test_the_default_size_limit_is_5_mb():
    data = f"{HEADER}\n".encode() + b"x" * (5 * 1024 * 1024)

    assert refusal(data) == "The file is larger than 5 MB; split it into smaller files."


def test_more_data_rows_than_the_limit_are_refused():
    data = (f"{HEADER}\n" + f"{ROW}\n" * 4).encode()

    assert len(read(data, max_rows=4)) == 4
    assert refusal(data + f"{ROW}\n".encode(), max_rows=4) == (
        "The file has more than 4 data rows; split it into smaller files."
    )


# --- XLSX ---------------------------------------------------------------------------------------------


def test_an_xlsx_is_read_from_its_first_sheet_with_cell_types_kept():
    data = xlsx(["identifier", "filing_date", "claims_count", "title"], ["12345678", dt.date(2015, 3, 2), 12, None])

    rows = read(data, "assets.xlsx")

    assert rows == [
        {"identifier": "12345678", "filing_date": dt.datetime(2015, 3, 2), "claims_count": 12, "title": None}
    ]
    assert rows[0].number == 2


def test_an_xlsx_with_a_row_over_the_limit_is_refused():
    data = xlsx(["identifier"], *[[str(n)] for n in range(6)])

    assert "more than 5 data rows" in refusal(data, "assets.xlsx", max_rows=5)


def test_a_csv_renamed_to_xlsx_is_refused():
    assert refusal(f"{HEADER}\n{ROW}\n".encode(), "assets.xlsx") == (
        "The file is named .xlsx but is not an Excel workbook."
    )


def test_a_workbook_renamed_to_csv_is_refused():
    assert "named .csv but is not a text file" in refusal(xlsx(["identifier"], ["1"]), "assets.csv")


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    assert refusal(out.getvalue(), "assets.xlsx") == "The file is not a readable Excel workbook."


def test_a_workbook_declaring_xml_entities_is_refused():
    """Entity expansion is how an XML bomb grows a small upload into gigabytes."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(["identifier"], ["1"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                entities = b'<!DOCTYPE worksheet [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet'
                data = data.replace(b"<worksheet", entities, 1)
            archive.writestr(item, data)

    assert refusal(out.getvalue(), "assets.xlsx") == "The workbook declares XML entities, which spreadsheets never do."


def test_a_workbook_with_merged_cells_links_and_validation_around_its_data_is_read():
    """Only the sheet's data reaches openpyxl: what Excel writes around it is cut off on the way in."""
    book = Workbook()
    sheet = book.active
    sheet.append(["identifier", "title"])
    sheet.append(["201710601862.3", "一种方法"])
    sheet.merge_cells("C1:D2")
    sheet["A2"].hyperlink = "https://cpquery.cponline.cnipa.gov.cn/"
    sheet.auto_filter.ref = "A1:B2"
    out = io.BytesIO()
    book.save(out)

    assert read(out.getvalue(), "assets.xlsx") == [{"identifier": "201710601862.3", "title": "一种方法"}]


def test_a_sheet_written_with_namespace_prefixes_is_read():
    """Some tools (the Open XML SDK) write ``<x:worksheet>``, ``<x:row>``, ``<x:c>``."""
    sheet = hostile_files.normal_sheet(2)
    for tag in ("worksheet", "dimension", "sheetData", "row", "c", "is", "t", "v"):
        sheet = sheet.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
        sheet = sheet.replace(f"</{tag}>", f"</x:{tag}>").replace(f"<{tag}/>", f"<x:{tag}/>")
    sheet = sheet.replace('xmlns="', 'xmlns:x="', 1)

    rows = read(hostile_files.workbook(sheet=sheet), "assets.xlsx")

    assert [row["identifier"] for row in rows] == ["201700000000.3", "201700000001.3"]


@pytest.mark.parametrize("name", hostile_files.BOMBS)
def test_a_crafted_file_is_refused_with_a_reason_of_its_own(name):
    """Each is refused by the check meant for it, not by openpyxl failing somewhere."""
    assert refusal(*hostile_files.build(name)) != "The file is not a readable Excel workbook."


def test_the_old_xls_format_is_refused_with_what_to_do():
    assert "save the workbook as .xlsx" in refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "assets.xls")


@pytest.mark.parametrize("name", ["assets.pdf", "assets.txt", "assets"])
def test_other_file_types_are_refused(name):
    assert refusal(f"{HEADER}\n{ROW}\n".encode(), name) == "Only .csv and .xlsx files are accepted."


def test_the_extension_is_read_in_any_case():
    assert read(f"{HEADER}\n{ROW}\n".encode(), "ASSETS.CSV") == [EXPECTED]


# --- Writing --------------------------------------------------------------------------------------------


def test_a_written_csv_reads_back_and_carries_the_bom_excel_needs():
    data = write_csv(["名称", "申请日"], [["一种方法", dt.date(2017, 7, 27)]])

    assert data.startswith(codecs.BOM_UTF8)
    assert read(data) == [{"名称": "一种方法", "申请日": "2017-07-27"}]


def test_a_written_xlsx_reads_back():
    data = write_xlsx(["名称", "申请日"], [["一种方法", dt.date(2017, 7, 27)]], title="IP")

    assert load_workbook(io.BytesIO(data)).sheetnames == ["IP"]
    assert read(data, "template.xlsx") == [{"名称": "一种方法", "申请日": dt.datetime(2017, 7, 27)}]
