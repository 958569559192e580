"""The filing package as the PDF both parties read and sign.

``render_package_pdf`` turns a package's content (``filing._package_content``) into an A4 PDF in Chinese: the
application form's data (both parties, the secured debt, its term, the guarantee's scope, the pledged rights),
the pledge contract's required items each present or missing, the grounds the parties confirm by signing, and
the attachments by hash. It is rendered once, when the package is generated; the stored bytes are what both
parties download, and their SHA-256 is the hash they sign (``FilingPackage.sha256``). The PDF prints the hash of
the canonical content it renders (``FilingPackage.content_sha256``), so the signed bytes also bind the data.

The document is in the registry's language whoever generates it: its bytes, and so its hash, must not depend
on the reader's language, so its words are written here in Chinese rather than translated per request. The
font is Noto Sans CJK SC (SIL Open Font License), from the system's fonts (Debian's fonts-noto-cjk, which
``make setup`` and the Dockerfile install), embedded as a subset of the glyphs used: any character an
enterprise name or a patent title holds renders, and the file stays small (tens of KB). fpdf2 embeds the font's
CFF outlines as they are (a CIDFontType0 font), and writes the same bytes for the same content and fpdf2
version — the creation date is the package's own date, not the clock."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from tongzhirong.core.money import to_rate
from tongzhirong.core.reference import SHANGHAI, IPType

FAMILY = "NotoSansCJK"
FACE = "Noto Sans CJK SC"  # the simplified-Chinese face of a pan-CJK collection
MARGIN = 18  # mm
BODY, SMALL, HEADING = 10, 8, 12  # pt
LINE = 5.5  # mm
GREY = (95, 95, 95)


@functools.cache
def _font_face(path: str) -> tuple[str, int]:
    """The font file and, in a collection (.ttc), the index of its simplified-Chinese face."""
    if not Path(path).is_file():
        raise ImproperlyConfigured(
            f"FILING_PDF_FONT: no font file at {path}. Install Debian's fonts-noto-cjk (make setup does) or point "
            "FILING_PDF_FONT at a Noto Sans CJK / Source Han Sans file."
        )
    if path.lower().endswith((".ttc", ".otc")):
        faces = [font["name"].getDebugName(1) for font in TTCollection(path, lazy=True).fonts]
        if FACE not in faces:
            raise ImproperlyConfigured(f"FILING_PDF_FONT: {path} has no {FACE} face (it has {', '.join(faces)}).")
        return path, faces.index(FACE)
    TTFont(path, lazy=True)  # fails early on a file that is not a font
    return path, 0


def _yuan(amount: str | None) -> str:
    return "—" if amount in (None, "", "None") else f"{Decimal(amount):,.2f} 元"


def _rate(rate: str | None) -> str:
    if rate in (None, "", "None"):
        return "—"
    return f"{(to_rate(rate) * 100).normalize() + 0:f}%"


def _ip_type(code: str) -> str:
    try:
        return str(IPType(code).label)
    except ValueError:
        return code


class _Document(FPDF):
    def __init__(self, *, reference: str, version, content_sha256: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.reference, self.version, self.content_sha256 = reference, version, content_sha256
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 4)

    def footer(self):
        self.set_y(-MARGIN)
        self.set_font(FAMILY, size=SMALL - 1)
        self.set_text_color(*GREY)
        self.cell(0, 4, f"{self.reference} 第 {self.version} 版 · 内容 SHA-256 {self.content_sha256}", align="L")
        self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FAMILY, size=HEADING)
        self.multi_cell(0, 7, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=BODY)

    def para(self, text: str, *, size: int = BODY, grey: bool = False) -> None:
        self.set_font(FAMILY, size=size)
        if grey:
            self.set_text_color(*GREY)
        self.multi_cell(0, LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FAMILY, size=BODY)

    def rows(self, rows, *, widths, header=None, size: int = BODY) -> None:
        self.set_font(FAMILY, size=size)
        with self.table(
            col_widths=widths,
            first_row_as_headings=header is not None,
            line_height=LINE,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(fill_color=(235, 235, 235)),
        ) as table:
            for row in ([header] if header is not None else []) + list(rows):
                table.row([str(cell) for cell in row])
        self.set_font(FAMILY, size=BODY)


def render_package_pdf(content: dict, *, content_sha256: str) -> bytes:
    """The package's PDF: same content, same fpdf2 and font → same bytes."""
    path, index = _font_face(str(settings.FILING_PDF_FONT))
    form = content["form"]
    reference, version = content["application"], content["version"]
    generated_on = dt.date.fromisoformat(content["generated_on"])
    registry = content.get("registry") or {}
    with translation.override("zh-hans"):  # the type names come from the catalogue
        return _render(
            content,
            form,
            doc=_Document(reference=reference, version=version, content_sha256=content_sha256),
            font=(path, index),
            generated_on=generated_on,
            registry_name=registry.get("name_zh", ""),
        )


def _render(content, form, *, doc: _Document, font, generated_on: dt.date, registry_name: str) -> bytes:
    path, index = font
    reference, version = content["application"], content["version"]
    doc.add_font(FAMILY, "", path, collection_font_number=index)
    doc.set_creation_date(dt.datetime.combine(generated_on, dt.time(), tzinfo=SHANGHAI))
    doc.set_title(f"{reference} 质押登记材料 第 {version} 版")
    doc.set_subject("知识产权质押登记申请材料")
    doc.set_creator("通知融")
    doc.set_lang("zh-CN")
    doc.alias_nb_pages()
    doc.add_page()

    doc.set_font(FAMILY, size=16)
    doc.multi_cell(0, 9, "知识产权质押登记申请材料", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.para(
        f"申请编号 {reference} · 第 {version} 版 · 生成日期 {generated_on.isoformat()}"
        + (f" · 登记机关 {registry_name}" if registry_name else ""),
        size=SMALL,
        grey=True,
    )

    doc.heading("一、质押登记申请表")
    pledgor, pledgee = form["pledgor"], form["pledgee"]
    debt, term = form["secured_debt"], form["debt_term"]
    doc.rows(
        [
            ("出质人", pledgor["name"]),
            ("统一社会信用代码", pledgor["uscc"] or "—"),
            ("住所", pledgor["address"] or "—"),
            ("质权人", pledgee["name"]),
            ("统一社会信用代码", pledgee["uscc"] or "—"),
            ("住所", pledgee["address"] or "—"),
            ("被担保主债权种类", debt["kind"].split(" ")[-1]),
            ("被担保主债权数额", _yuan(debt["amount_yuan"])),
            ("年利率", _rate(debt["annual_rate"])),
            ("债务履行期限", f"{term['from']} 至 {term['to']}（{term['months']} 个月）"),
            ("质押担保范围", form["guarantee_scope"]["zh"]),
        ],
        widths=(32, 142),
    )

    rights = form["rights"]
    doc.heading(f"二、质押的权利（共 {len(rights)} 项）")
    doc.rows(
        (
            (
                n,
                _ip_type(r["ip_type"]),
                r["identifier"],
                r["title"],
                r["filing_date"] or "—",
                r["grant_date"] or "—",
                "、".join(r["co_owners"]) or "—",
            )
            for n, r in enumerate(rights, start=1)
        ),
        header=("序号", "类型", "号码", "名称", "申请日", "授权公告日", "共有人"),
        widths=(10, 20, 30, 52, 20, 22, 20),
        size=SMALL,
    )

    items = content["contract_items"]
    doc.heading("三、质押合同必备条款")
    doc.rows(
        ((item["label_zh"], "具备" if item["present"] else "缺失") for item in items),
        header=("条款", "合同中"),
        widths=(144, 30),
    )
    doc.para(
        "合同不含流质条款（债务人到期不履行时质押的权利归质权人所有的约定）。"
        if content["no_forfeiture_clause"]
        else "合同含流质条款，须删除后方可登记。"
    )

    doc.heading("四、当事人确认事项")
    confirmations = content["confirmations"]
    if confirmations:
        doc.para("以下事项经预审须由双方确认，双方签署本文件即确认：")
        doc.rows(
            ((c["identifier"], f"第 {c['ground']} 项", c["reason_zh"]) for c in confirmations),
            header=("权利号码", "审查事由", "确认内容"),
            widths=(34, 22, 118),
        )
    else:
        doc.para("无。")

    doc.heading("五、附件")
    attachments = content["attachments"]
    if attachments:
        doc.rows(
            ((a["name"], f"{a['size']:,} 字节", a["sha256"]) for a in attachments),
            header=("文件", "大小", "SHA-256"),
            widths=(40, 24, 110),
            size=SMALL,
        )
    else:
        doc.para("无（质押专利不超过 10 项，已列于上表）。")

    doc.heading("六、签署")
    doc.para(
        "出质人（法定代表人）与质权人在通知融平台内分别签署本文件：签署的对象是本 PDF 文件的 SHA-256 摘要，"
        "平台记录签署人、所代表的单位、时间与摘要。文件内容如有改动，须生成新版本并重新签署。",
        size=SMALL,
    )
    doc.para(f"本文件所载数据的规范 JSON 摘要（SHA-256）：{doc.content_sha256}", size=SMALL, grey=True)
    return bytes(doc.output())
