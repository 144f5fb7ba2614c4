"""Word conventions of a Chinese project report (结项报告): page, styles, fields.

`setup_document` turns python-docx's default document (Calibri, blue headings, US Letter) into
the Chinese official default: A4, margins 2.54 cm top and bottom and 3.17 cm left and right
(Word's 普通 preset in its Chinese edition), body text 宋体 SimSun + Times New Roman 小四 12 pt
at 1.5 line spacing (en: 11 pt, 1.15), headings 黑体 SimHei in black (三号 16 / 四号 14 /
小四 12 pt), title 黑体 小二 18 pt centred, captions (题注) 黑体 五号 10.5 pt centred, a small
centred header on every page but the cover and a centred page number in the footer.

Fields are Word's own, so Word keeps them up to date: the table of contents (``TOC``), caption
numbers (``SEQ 图`` / ``SEQ 表``, ``SEQ Figure`` / ``SEQ Table``) and the page number
(``PAGE``). Each carries a cached result, so the document reads correctly before its fields
are updated (LibreOffice shows the cached text; Word updates on open: ``w:updateFields``).

Font names are names only: nothing is embedded; Word and LibreOffice substitute fonts that are
missing. Everything here is deterministic, so a document saved with
`jianfu.core.io.save_docx` stays byte-identical across runs.
"""

from __future__ import annotations

from typing import Literal

from jianfu.core.errors import JianfuError

SONG = "SimSun"  # 宋体
HEI = "SimHei"  # 黑体
LATIN = "Times New Roman"
#: Page: A4, and the margins of Word's default in its Chinese edition (cm).
PAGE_CM = (21.0, 29.7)
MARGINS_CM = {"top": 2.54, "bottom": 2.54, "left": 3.17, "right": 3.17}
#: Body text size (pt) and line spacing by language: 小四 and 1.5 lines for Chinese.
BODY = {"zh": (12.0, 1.5), "en": (11.0, 1.15)}
#: Heading sizes (pt): 三号, 四号, 小四.
HEADING_PT = {1: 16.0, 2: 14.0, 3: 12.0}
TITLE_PT = 18.0  # 小二
CAPTION_PT = 10.5  # 五号
HEADER_PT = 9.0  # 小五
NOTE_PT = 9.0
CAPTION_LABEL = {
    "zh": {"figure": "图", "table": "表"},
    "en": {"figure": "Figure", "table": "Table"},
}
TOC_HEADING = {"zh": "目录", "en": "Contents"}
TOC_HINT = {
    "zh": "右键单击并选择“更新域”以生成目录",
    "en": "Right-click and choose Update Field to build the table of contents",
}
#: The elements that follow ``w:updateFields`` in ``w:settings`` (schema order).
_SETTINGS_AFTER_UPDATE = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
    "listSeparator",
)  # fmt: skip


class WordStyleError(JianfuError, ValueError):
    """A bad argument to the Word helpers (language, caption kind, TOC levels)."""


def _check_lang(lang: str) -> None:
    if lang not in BODY:
        raise WordStyleError(f"unknown language {lang!r}; choose 'zh' or 'en'")


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _el(tag: str, **attrs: str):
    from docx.oxml import OxmlElement

    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(_qn(f"w:{key}"), value)
    return el


def _set_fonts(rpr, east_asia: str, latin: str = LATIN) -> None:
    """Explicit fonts in ``w:rFonts``; theme fonts (Calibri, Cambria) removed, they would win."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(_qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(_qn(f"w:{attr}"), latin)
    fonts.set(_qn("w:eastAsia"), east_asia)


def _black(rpr) -> None:
    """Text colour black: drop the theme colour (accent1 blue) that Word would apply."""
    for old in rpr.findall(_qn("w:color")):
        rpr.remove(old)
    rpr.append(_el("w:color", val="000000"))


def _style_text(style, *, east_asia: str, size: float, bold: bool | None = None) -> None:
    from docx.shared import Pt

    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr, east_asia)
    _black(rpr)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False


def _docdefaults(doc, lang: str) -> None:
    """Document defaults without theme fonts, Chinese as the East Asian language."""
    styles = doc.styles.element
    rpr = styles.find(_qn("w:docDefaults")).find(_qn("w:rPrDefault")).find(_qn("w:rPr"))
    fonts = rpr.find(_qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(_qn(f"w:{attr}"), LATIN)
    fonts.set(_qn("w:eastAsia"), SONG)
    lang_el = rpr.find(_qn("w:lang"))
    lang_el.set(_qn("w:val"), "en-US")
    lang_el.set(_qn("w:eastAsia"), "zh-CN")
    settings = doc.settings.element
    theme_lang = settings.find(_qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(_qn("w:eastAsia"), "zh-CN")


def _page(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    width, height = (Cm(PAGE_CM[1]), Cm(PAGE_CM[0])) if landscape else map(Cm, PAGE_CM)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height
    for side, cm in MARGINS_CM.items():
        setattr(section, f"{side}_margin", Cm(cm))
    section.header_distance = section.footer_distance = Cm(1.5)


def _add_field(paragraph, instruction: str, cached: str, *, bold: bool | None = None):
    """A complex field (``fldChar`` begin / ``instrText`` / separate / cached result / end)."""
    runs = []
    for part in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run()
        if part == "instr":
            text = _el("w:instrText")
            text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            text.text = f" {instruction} "
            run._r.append(text)
        elif part == "result":
            run.text = cached
        else:
            run._r.append(_el("w:fldChar", fldCharType="begin" if part == "begin" else part))
        run.bold = bold
        runs.append(run)
    return runs


def _header_footer(section, header_text: str) -> None:
    """Centred small header (with a thin rule below, 页眉线) and centred page number."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    section.different_first_page_header_footer = True  # the cover has neither
    header = section.header
    header.is_linked_to_previous = False
    p = header.paragraphs[0]
    p.text = header_text
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in p.runs:
        run.font.size = Pt(HEADER_PT)
    borders = _el("w:pBdr")
    borders.append(_el("w:bottom", val="single", sz="4", space="1", color="000000"))
    p._p.get_or_add_pPr().append(borders)
    footer = section.footer
    footer.is_linked_to_previous = False
    f = footer.paragraphs[0]
    f.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in _add_field(f, "PAGE", "1"):
        run.font.size = Pt(HEADER_PT)


def setup_document(doc, lang: str, header_text: str) -> None:
    """Page, styles, header and footer of a report; call it first, on a new ``Document()``.

    Parameters
    ----------
    doc : a python-docx ``Document`` (the default template).
    lang : "zh" or "en": body size and line spacing (see `BODY`).
    header_text : the running header (e.g. the report's short title), on every page but the
        first (the cover: ``w:titlePg``).
    """
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    _check_lang(lang)
    _docdefaults(doc, lang)
    size, spacing = BODY[lang]
    normal = doc.styles["Normal"]
    _style_text(normal, east_asia=SONG, size=size)
    normal.font.bold = None
    normal.paragraph_format.line_spacing = spacing
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    for level, pt in HEADING_PT.items():
        style = doc.styles[f"Heading {level}"]
        _style_text(style, east_asia=HEI, size=pt, bold=True)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(pt), Pt(pt / 2)
        fmt.line_spacing = 1.0
        fmt.keep_with_next = True
    title = doc.styles["Title"]
    _style_text(title, east_asia=HEI, size=TITLE_PT, bold=True)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(_qn("w:pBdr")):  # the default Title has a blue rule below
        ppr.remove(border)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(TITLE_PT)
    title.font.all_caps = False
    for name in ("Heading1Char", "Heading2Char", "Heading3Char", "TitleChar"):
        linked = doc.styles.element.get_by_id(name)
        if linked is not None:  # character twins of the headings carry the blue too
            rpr = linked.get_or_add_rPr()
            _set_fonts(rpr, HEI)
            _black(rpr)
    caption = doc.styles["Caption"]
    _style_text(caption, east_asia=HEI, size=CAPTION_PT, bold=False)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(6)
    caption.paragraph_format.line_spacing = 1.0
    if "Table Note" not in [s.name for s in doc.styles]:
        note = doc.styles.add_style("Table Note", WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = normal
        _style_text(note, east_asia=SONG, size=NOTE_PT)
        note.paragraph_format.line_spacing = 1.0
    section = doc.sections[0]
    _page(section, landscape=False)
    _header_footer(section, header_text)


def add_toc(doc, lang: str, levels: str = "1-3") -> None:
    """A "目录" / "Contents" heading and a ``TOC`` field over heading levels `levels`.

    The field's cached text is a hint to update it (LibreOffice and Word before updating show
    it); ``w:updateFields`` in settings.xml makes Word offer to update every field on open.
    The heading is a Title-like centred paragraph, not a Heading, so it is not in the TOC.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    _check_lang(lang)
    lo, _, hi = levels.partition("-")
    if not (lo.isdigit() and hi.isdigit() and 1 <= int(lo) <= int(hi) <= 9):
        raise WordStyleError(f"TOC levels must look like '1-3', got {levels!r}")
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(TOC_HEADING[lang])
    run.bold = True
    run.font.size = Pt(HEADING_PT[1])
    _set_fonts(run._r.get_or_add_rPr(), HEI)
    head.paragraph_format.space_after = Pt(HEADING_PT[1] / 2)
    _add_field(doc.add_paragraph(), f'TOC \\o "{levels}" \\h \\z \\u', TOC_HINT[lang])
    settings = doc.settings.element
    if settings.find(_qn("w:updateFields")) is None:
        update = _el("w:updateFields", val="true")
        later = [i for i, el in enumerate(settings) if el.tag.split("}")[1] in
                 _SETTINGS_AFTER_UPDATE]  # fmt: skip
        settings.insert(later[0] if later else len(settings), update)


def add_caption(doc, kind: Literal["figure", "table"], number: int, title: str, lang: str):
    """A caption (题注) paragraph: "图 3 标题" / "Figure 3. Title", the number a ``SEQ`` field.

    The number is a ``SEQ 图 \\* ARABIC`` (zh) / ``SEQ Figure \\* ARABIC`` (en) field (表 /
    Table for tables) whose cached result is `number`, so Word's cross-references and list of
    figures work and the text is right before fields update. A table caption goes above its
    table and keeps with it (``keep_with_next``); a figure caption goes below its figure.
    Returns the python-docx ``Paragraph``.
    """
    _check_lang(lang)
    if kind not in ("figure", "table"):
        raise WordStyleError(f"caption kind must be 'figure' or 'table', got {kind!r}")
    label = CAPTION_LABEL[lang][kind]
    p = doc.add_paragraph(style="Caption")
    p.add_run(f"{label} ")
    _add_field(p, f"SEQ {label} \\* ARABIC", str(number))
    p.add_run(f" {title}" if lang == "zh" else f". {title}")
    p.paragraph_format.keep_with_next = kind == "table"
    return p


def add_figure(doc, image_path, width_cm: float = 14.5):
    """A centred picture paragraph that stays on the page of its caption (add it next)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.line_spacing = 1.0  # a multiple spacing would clip the picture's top
    p.add_run().add_picture(str(image_path), width=Cm(width_cm))
    return p


def add_note(doc, text: str):
    """A small note (9 pt, single spaced): a figure's source line, a remark under a table."""
    return doc.add_paragraph(text, style="Table Note")


def add_body(doc, text: str, lang: str):
    """A body paragraph; Chinese body text gets the 2-character first-line indent (首行缩进)."""
    _check_lang(lang)
    p = doc.add_paragraph(text)
    if lang == "zh":
        ind = _el("w:ind", firstLineChars="200", firstLine=str(int(BODY["zh"][0] * 2 * 20)))
        p._p.get_or_add_pPr().append(ind)
    return p


def start_section(doc, landscape: bool) -> None:
    """Start a new section on a new page, A4 landscape or portrait, same margins.

    Header and footer are linked to the previous section (same text, page numbers continue);
    only the first section has a different first page (the cover).
    """
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape)
    section.different_first_page_header_footer = False
    section.header.is_linked_to_previous = True
    section.footer.is_linked_to_previous = True


def add_page_break(doc) -> None:
    """A page break (a paragraph holding ``w:br w:type="page"``)."""
    from docx.enum.text import WD_BREAK

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def text_width_twips(doc) -> float:
    """The text width of the document's last section (twips), for `needs_landscape`."""
    section = doc.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 635
