"""Reading a PDF as its reader does: the text PDFium (Chromium's PDF engine) extracts, and the fonts it draws with."""

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def pdf_fonts(data: bytes) -> set[tuple[str, bool]]:
    """Each font the text is drawn in, by its base name without the subset tag, and whether it is embedded."""
    fonts = set()
    for page in pdfium.PdfDocument(data):
        for text in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_c.FPDFTextObj_GetFont(text.raw)
            size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            name = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
            fonts.add((name.value.decode().rpartition("+")[2], bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    return fonts
