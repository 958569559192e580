"""The spreadsheet writers the exports use never hand a spreadsheet a formula made of someone's text."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tongzhirong.core.tabular import write_csv, write_xlsx

DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_like_a_formula_is_prefixed_in_csv(text):
    data = write_csv(["名称"], [[text]])
    [[_header], [cell]] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert cell == "'" + text


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_like_a_formula_stays_text_in_xlsx(text):
    sheet = load_workbook(io.BytesIO(write_xlsx(["名称"], [[text]]))).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "'" + text.replace("\r", "\n")  # XML reads a carriage return back as a newline


def test_numbers_and_ordinary_text_are_written_as_they_are():
    data = write_csv(["金额", "名称"], [[Decimal("-5.00"), "南通测试科技有限公司"]])
    assert data.decode("utf-8-sig").splitlines()[1] == "-5.00,南通测试科技有限公司"
    sheet = load_workbook(io.BytesIO(write_xlsx(["金额"], [[-5]]))).active
    assert sheet["A2"].value == -5


def test_a_header_is_defused_too():
    sheet = load_workbook(io.BytesIO(write_xlsx(["=cmd"], [["a"]]))).active
    assert sheet["A1"].value == "'=cmd"
