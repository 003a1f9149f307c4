"""Building blocks shared by the generated DOCX documents.

Page set-up, fonts, the national motto, horizontal rules, dates and place names follow the
presentation rules of Decree 30/2020/NĐ-CP (Appendix I) on administrative documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from datetime import date
from io import BytesIO
from typing import Final, Generic, TypeVar, cast

from docx import Document
from docx.blkcntnr import BlockItemContainer
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.document import CT_Body
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Length, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT: Final = "Times New Roman"
PAGE_WIDTH: Final = Cm(21)
PAGE_HEIGHT: Final = Cm(29.7)
MARGIN_TOP: Final = Cm(2)
MARGIN_BOTTOM: Final = Cm(2)
MARGIN_LEFT: Final = Cm(3)
MARGIN_RIGHT: Final = Cm(2)
TEXT_WIDTH: Final = Length(PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)

# Whatever a document is added to: the body or a table cell (or a scratch one, see `Stamp`).
Container = DocxDocument | BlockItemContainer

# Characters python-docx writes as elements of their own (w:tab, w:br) instead of w:t text.
_BREAKS = re.compile("[\t\n\r]")

# XML 1.0 forbids these; a stray one pasted into a chat would otherwise make lxml refuse the
# whole document, so they are dropped rather than escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Dotted space a citizen fills in by hand; a dot-leader tab then runs it on to the margin.
DOTS: Final = "......................................"

# Word rejects property elements out of schema order, so new ones go before these.
_AFTER_PARAGRAPH_BORDERS: Final = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
_AFTER_TABLE_BORDERS: Final = (
    "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription",
    "w:tblPrChange",
)

# Lines meant for handwriting get room for pen strokes above and below the dots.
HANDWRITING_SPACING: Final = 1.4

_UNIT_PREFIXES: Final = ("thành phố", "thị trấn", "đặc khu", "phường", "tỉnh", "xã")


def clean_text(text: str) -> str:
    """`text` with Windows/Mac line ends turned into "\\n" and XML-illegal characters dropped."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def date_phrase(day: date) -> str:
    """"ngày 05 tháng 3 năm 2026": Decree 30 pads days below 10 and months 1 and 2 only.

    Padding January and February keeps "tháng 1" from being extended into "tháng 11" by hand.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_name(unit: str) -> str:
    """"Tân Thuận Tây" for "Xã Tân Thuận Tây": the place-date line names the place bare."""
    for prefix in _UNIT_PREFIXES:
        if unit[: len(prefix) + 1].lower() == prefix + " ":
            return unit[len(prefix) + 1 :].strip()
    return unit.strip()


def unit_in_sentence(unit: str) -> str:
    """"xã Tân Thuận Tây" for "Xã Tân Thuận Tây": the unit type is a common noun mid-sentence."""
    for prefix in _UNIT_PREFIXES:
        if unit[: len(prefix) + 1].lower() == prefix + " ":
            return prefix + unit[len(prefix) :]
    return unit


def new_document(body_size: float, *, page_numbers: bool = True) -> DocxDocument:
    """An empty A4 document with Decree 30 margins, Times New Roman and page numbers.

    Without `page_numbers` for sheets that stand alone, such as one poster per page.
    """
    document = Document()
    section = document.sections[0]
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.top_margin = MARGIN_TOP
    section.bottom_margin = MARGIN_BOTTOM
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    section.header_distance = Cm(1)
    section.footer_distance = Cm(1)
    _use_times_everywhere(document, body_size)
    if page_numbers:
        _number_pages(document, body_size)
    return document


def _use_times_everywhere(document: DocxDocument, body_size: float) -> None:
    # The template's defaults point at theme fonts, which win over a plain w:ascii in Word;
    # without w:eastAsia, Word may pick another font for some Vietnamese letters.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for fonts in defaults.iter(qn("w:rFonts")):
            _set_fonts(fonts)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(body_size)
    run_properties = normal.element.get_or_add_rPr()
    _set_fonts(run_properties.get_or_add_rFonts())
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "vi-VN")
    language.set(qn("w:eastAsia"), "vi-VN")
    run_properties.append(language)
    paragraph_format = normal.paragraph_format
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing = 1.0


def _set_fonts(fonts: BaseOxmlElement) -> None:
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT)


def _number_pages(document: DocxDocument, size: float) -> None:
    # Decree 30: page numbers centred in the top margin, from the second page on.
    section = document.sections[0]
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = number.add_run()
    run.font.size = Pt(size)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        run._r.append(element)


def paragraph(
    container: Container,
    text: str = "",
    *,
    size: float | None = None,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first_line: Length | None = None,
    after: float = 0,
    before: float = 0,
) -> Paragraph:
    """A paragraph holding `text` as one run; "\\n" in `text` become line breaks."""
    added = container.add_paragraph()
    if align is not None:
        added.alignment = align
    paragraph_format = added.paragraph_format
    paragraph_format.space_before = Pt(before)
    paragraph_format.space_after = Pt(after)
    if first_line is not None:
        paragraph_format.first_line_indent = first_line
    if text:
        run(added, text, size=size, bold=bold, italic=italic)
    return added


def run(
    target: Paragraph, text: str, *, size: float | None = None, bold: bool = False,
    italic: bool = False,
) -> Run:
    added = target.add_run(clean_text(text))
    if bold:
        added.bold = True
    if italic:
        added.italic = True
    if size is not None:
        added.font.size = Pt(size)
    return added


def fill_run(element: CT_R, text: str) -> None:
    """Gives the run `element`, which holds no text yet, the content `run()` writes for `text`."""
    text = clean_text(text)
    if _BREAKS.search(text):
        element.text = text  # python-docx's own loop, one character at a time
    elif text:
        element.add_t(text)


Model = TypeVar("Model", bound=BaseOxmlElement)


class Stamp(Generic[Model]):
    """A paragraph or table row built once with the usual helpers, then copied for each use.

    The fast path for documents with thousands of entries: python-docx finds the place of every
    new paragraph by scanning all the body's children (quadratic time) and sets each property
    through several look-ups. A copy of a prepared element with its texts filled in is the same
    XML at a fraction of the cost; `append_to_body` then adds the copies in one go.
    """

    def __init__(self, model: Model) -> None:
        """`model`'s runs keep their formatting; their texts are placeholders, dropped here."""
        parent = model.getparent()
        if parent is not None:
            parent.remove(model)
        for element in model.iter(qn("w:r")):
            cast(CT_R, element).clear_content()
        self._model = model

    def __call__(self, *texts: str | None) -> Model:
        """A copy with `texts` in its runs, in document order (as `run()` writes them); None
        leaves that run out."""
        copy = deepcopy(self._model)
        for element, text in zip(list(copy.iter(qn("w:r"))), texts, strict=True):
            if text is None:
                element.getparent().remove(element)
            else:
                fill_run(element, text)
        return copy


def paragraph_stamp(document: DocxDocument, build: Callable[[Container], object]) -> Stamp[CT_P]:
    """A stamp of the one paragraph `build` adds to the (scratch) container it is given."""
    scratch = cast(CT_Body, OxmlElement("w:body"))
    build(BlockItemContainer(scratch, document))
    (model,) = scratch
    return Stamp(cast(CT_P, model))


def append_to_body(document: DocxDocument, elements: Iterable[BaseOxmlElement]) -> None:
    """Adds `elements` at the end of the body in one go, as many `add_paragraph` calls would."""
    body = document.element.body
    body.extend(elements)
    # The body's own section properties must stay its last child.
    properties = body.find(qn("w:sectPr"))
    if properties is not None:
        body.append(properties)


def rule(container: Container, width: Length, room: Length) -> Paragraph:
    """A centred horizontal line `width` long under the previous line, within `room`.

    It is the bottom border of an empty paragraph squeezed between indents, which Word and
    LibreOffice both draw the same way, unlike floating drawing shapes.
    """
    line = container.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph_format = line.paragraph_format
    side = Length(max(0, (room - width) // 2))
    paragraph_format.left_indent = side
    paragraph_format.right_indent = side
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing = Pt(2)
    properties = line._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                        ("w:color", "000000")):
        bottom.set(qn(name), value)
    borders.append(bottom)
    properties.insert_element_before(borders, *_AFTER_PARAGRAPH_BORDERS)
    # The empty paragraph's own mark sets its height: keep it tiny so the line hugs the text.
    mark = OxmlElement("w:rPr")
    mark_size = OxmlElement("w:sz")
    mark_size.set(qn("w:val"), "4")
    mark.append(mark_size)
    properties.insert_element_before(mark, "w:sectPr", "w:pPrChange")
    return line


def dotted_line(
    container: Container, label: str = "", *, dots: str = DOTS, size: float | None = None
) -> Paragraph:
    """`label` and `dots`, then a dot leader to the right margin, for the reader to write on.

    The typed dots survive copying the text; the leader makes every line end at the margin.
    """
    line = paragraph(container, label, size=size, after=3)
    line.paragraph_format.line_spacing = HANDWRITING_SPACING
    line.paragraph_format.tab_stops.add_tab_stop(
        TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )
    run(line, dots + "\t", size=size)
    return line


def national_motto(container: Container, room: Length) -> None:
    """"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc" and its rule."""
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(container, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=center)
    paragraph(container, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align=center)
    # As long as the motto itself (about 5.6 cm in 13 pt bold Times New Roman).
    rule(container, Cm(5.6), room)


def borderless_table(document: DocxDocument, widths: Sequence[Length]) -> Table:
    """A one-row table with fixed column `widths`, no borders and no cell padding."""
    table: Table = document.add_table(rows=1, cols=len(widths))
    fix_widths(table, widths)
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{edge}")
        border.set(qn("w:val"), "nil")
        borders.append(border)
    properties.insert_element_before(borders, *_AFTER_TABLE_BORDERS)
    narrow_cell_margins(table, Length(0))
    # A fresh cell holds one empty paragraph; content is added after it, so drop it.
    for cell in table.rows[0].cells:
        cell._tc.remove(cell.paragraphs[0]._p)
    return table


def narrow_cell_margins(table: Table, margin: Length) -> None:
    """Left and right cell padding of `margin` instead of the default 0.19 cm."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(round(margin.twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.insert_element_before(margins, *_AFTER_TABLE_BORDERS[3:])


def fix_widths(table: Table, widths: Sequence[Length]) -> None:
    """Column widths that hold: Word reads them from the cells, LibreOffice from the grid."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def to_bytes(document: DocxDocument) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
