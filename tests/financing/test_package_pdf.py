"""The filing package's PDF as the parties read it: every fact of the package in Chinese, in an embedded CJK font,
the same bytes for the same package."""

import copy
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.financing.pdf import pdf_fonts, pdf_text
from tongzhirong.financing.package_pdf import render_package_pdf

CONTENT_HASH = "c0ffee" + "0" * 58

CONTENT = {
    "version": 2,
    "application": "APP-2026-000123",
    "generated_on": "2026-12-07",
    "registry": {"code": "cnipa", "name_zh": "国家知识产权局", "name_en": "CNIPA"},
    "form": {
        "pledgor": {
            "name": "南通蓝海精密机械有限公司",
            "uscc": "91320600MA1W2X3Y4Z",
            "address": "江苏省南通市崇川区工农路88号",
        },
        "pledgee": {"name": "江苏银行南通分行", "uscc": "91320600134567890K", "address": "南通市崇川区人民中路1号"},
        "secured_debt": {
            "kind": "IP pledge loan 知识产权质押贷款",
            "amount_yuan": "5800000.00",
            "annual_rate": "0.0345",
        },
        "debt_term": {"months": 12, "from": "2026-12-07", "to": "2027-12-07"},
        "guarantee_scope": {"zh": "主债权本金、利息、罚息、复利、违约金、损害赔偿金和实现质权的费用", "en": "…"},
        "rights": [
            {
                "ip_type": "invention_patent",
                "identifier": "ZL202110123456.7",
                "title": "一种用于高速纺织机的张力自适应控制装置及其控制方法",
                "filing_date": "2021-02-01",
                "grant_date": "2023-05-09",
                "co_owners": [],
            },
            {
                "ip_type": "utility_model",
                "identifier": "ZL202220654321.X",
                "title": "船用LNG燃料罐支座",
                "filing_date": "2022-03-04",
                "grant_date": "2022-09-30",
                "co_owners": ["南通大学"],
            },
        ],
        "patent_count": 2,
    },
    "contract_items": [
        {"code": "parties", "label_zh": "当事人的名称和住所", "label_en": "The parties", "present": True},
        {"code": "debt_term", "label_zh": "债务人履行债务的期限", "label_en": "The term", "present": False},
    ],
    "no_forfeiture_clause": True,
    "confirmations": [
        {
            "identifier": "ZL202220654321.X",
            "ground": 4,
            "reason_zh": "共有专利：须全体共有人书面同意出质",
            "reason_en": "Co-owned",
        }
    ],
    "attachments": [],
}


def flat(text: str) -> str:
    """The text without the line breaks a cell's wrapping put in it."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_package_pdf(CONTENT, content_sha256=CONTENT_HASH)


def test_it_is_a_pdf_in_an_embedded_chinese_font(rendered):
    assert rendered.startswith(b"%PDF-")
    assert pdf_fonts(rendered) == {("NotoSansCJKSC", True)}


def test_it_reads_the_application_form_in_chinese(rendered):
    text = flat(pdf_text(rendered))
    for expected in (
        "知识产权质押登记申请材料",
        "APP-2026-000123",
        "第2版",
        "登记机关国家知识产权局",
        "出质人南通蓝海精密机械有限公司",
        "91320600MA1W2X3Y4Z",
        "江苏省南通市崇川区工农路88号",
        "质权人江苏银行南通分行",
        "被担保主债权种类知识产权质押贷款",
        "被担保主债权数额5,800,000.00元",
        "年利率3.45%",
        "2026-12-07至2027-12-07（12个月）",
        "主债权本金、利息、罚息、复利、违约金、损害赔偿金和实现质权的费用",
    ):
        assert expected in text


def test_it_lists_each_pledged_right_with_its_type_number_title_dates_and_co_owners(rendered):
    text = flat(pdf_text(rendered))
    assert "质押的权利（共2项）" in text
    assert "1发明专利ZL202110123456.7一种用于高速纺织机的张力自适应控制装置及其控制方法2021-02-012023-05-09" in text
    assert "2实用新型ZL202220654321.X船用LNG燃料罐支座2022-03-042022-09-30南通大学" in text


def test_it_marks_each_contract_item_present_or_missing_and_names_the_confirmations(rendered):
    text = flat(pdf_text(rendered))
    assert "当事人的名称和住所具备" in text
    assert "债务人履行债务的期限缺失" in text
    assert "合同不含流质条款" in text
    assert "ZL202220654321.X第4项共有专利：须全体共有人书面同意出质" in text


def test_it_prints_the_hash_of_the_content_it_renders(rendered):
    assert CONTENT_HASH in flat(pdf_text(rendered))


def test_the_same_package_renders_to_the_same_bytes_and_a_changed_one_does_not(rendered):
    assert render_package_pdf(copy.deepcopy(CONTENT), content_sha256=CONTENT_HASH) == rendered
    changed = copy.deepcopy(CONTENT)
    changed["form"]["rights"][1]["title"] = "船用LNG燃料罐鞍座"
    assert render_package_pdf(changed, content_sha256=CONTENT_HASH) != rendered


def test_attachments_are_named_by_size_and_hash():
    content = copy.deepcopy(CONTENT)
    content["attachments"] = [{"name": "pledged-patents.xlsx", "sha256": "ab" * 32, "size": 12345}]
    text = flat(pdf_text(render_package_pdf(content, content_sha256=CONTENT_HASH)))
    assert "pledged-patents.xlsx12,345字节" + "ab" * 32 in text


def test_a_long_list_of_rights_runs_over_numbered_pages():
    content = copy.deepcopy(CONTENT)
    right = content["form"]["rights"][0]
    content["form"]["rights"] = [{**right, "identifier": f"ZL2021101234{n:02d}.7"} for n in range(60)]
    text = flat(pdf_text(render_package_pdf(content, content_sha256=CONTENT_HASH)))
    pages = re.findall(r"第(\d+)页/共(\d+)页", text)
    assert len(pages) > 1
    assert pages == [(str(n), str(len(pages))) for n in range(1, len(pages) + 1)]
    assert "60发明专利ZL202110123459.7" in text


def test_without_the_font_it_refuses_rather_than_render_boxes(settings):
    settings.FILING_PDF_FONT = "/nonexistent/NotoSansCJK-Regular.ttc"
    with pytest.raises(ImproperlyConfigured, match="fonts-noto-cjk"):
        render_package_pdf(CONTENT, content_sha256=CONTENT_HASH)
