"""Render `Table`s to Word (.docx) as three-line tables, byte-identically across runs.

The rules are cell borders written into the table's XML (``w:tcPr/w:tcBorders``): 1.5 pt above
the header and below the body, 0.75 pt below the header, 0.5 pt under spanning headers; the
table's own borders (``w:tblBorders``) are all ``nil`` so that no style can add vertical or
inner rules. Every run carries its fonts in ``w:rFonts``: Times New Roman for Latin text
(``w:ascii``, ``w:hAnsi``) and 宋体 SimSun for Chinese (``w:eastAsia``), 10.5 pt (五号) in the
table and 9 pt (小五) in the notes. Save with `write_docx` (through `jianfu.core.io.save_docx`,
which fixes the archive's timestamps and document properties).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from jianfu.core.io import save_docx
from jianfu.tables.table import Table, check_lang, text_in

EAST_ASIA_FONT = "SimSun"
LATIN_FONT = "Times New Roman"
TABLE_PT = 10.5
NOTE_PT = 9.0
#: Border widths in eighths of a point (the unit of ``w:sz``).
RULE_SZ = {"top": 12, "mid": 6, "span": 4, "bottom": 12}

_TCPR_BEFORE_BORDERS = ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge")
_TBLPR_BEFORE_BORDERS = (
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
)


def _set_fonts(run, size_pt: float, east_asia: str, latin: str) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size_pt)
    run.font.name = latin  # sets w:ascii and w:hAnsi
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _insert_after_predecessors(parent, child, predecessors: Sequence[str]) -> None:
    """Insert `child` into `parent` after its last schema predecessor (OOXML order matters)."""
    from docx.oxml.ns import qn

    names = {qn(p) for p in predecessors}
    index = 0
    for i, el in enumerate(parent):
        if el.tag in names:
            index = i + 1
    parent.insert(index, child)


def _border_element(tag: str, edges: dict[str, int | None]):
    """``<w:{tag}>`` with one child per edge: a single rule of that size or ``nil``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    box = OxmlElement(tag)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        if size is None:
            el.set(qn("w:val"), "nil")
        else:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        box.append(el)
    return box


def _cell_rules(cell, top: int | None = None, bottom: int | None = None) -> None:
    if top is None and bottom is None:
        return
    tc_pr = cell._tc.get_or_add_tcPr()
    edges = {}
    if top is not None:
        edges["top"] = top
    if bottom is not None:
        edges["bottom"] = bottom
    _insert_after_predecessors(tc_pr, _border_element("w:tcBorders", edges), _TCPR_BEFORE_BORDERS)


def _no_table_borders(table) -> None:
    edges = dict.fromkeys(("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr = table._tbl.tblPr
    _insert_after_predecessors(
        tbl_pr, _border_element("w:tblBorders", edges), _TBLPR_BEFORE_BORDERS
    )


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def _paragraph(document, text: str, *, size: float, fonts, align=None, bold=False, italic=False):
    p = document.add_paragraph()
    _write(p, text, size=size, fonts=fonts, bold=bold, italic=italic)
    if align is not None:
        p.alignment = align
    return p


def _write(paragraph, text: str, *, size: float, fonts, bold=False, italic=False):
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if not text:
        return None
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    _set_fonts(run, size, *fonts)
    return run


def _text_twips(text: str, size_pt: float) -> float:
    """Estimated printed width: a CJK (full-width) character is 1 em, others half an em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)
    return ems * size_pt * 20


def natural_widths(table: Table, lang: str) -> list[float]:
    """Each column's width (twips) to print its header and body cells on one line."""
    pad = 2 * 108  # Word's default cell margins, 0.075 in each side
    widths = [_text_twips(text_in(h, lang), TABLE_PT) for h in table.header]
    for row in table.rows():
        for col, cell in enumerate(row.cells):
            indent = TABLE_PT * 20 * row.indent if col == 0 else 0
            widths[col] = max(widths[col], _text_twips(text_in(cell, lang), TABLE_PT) + indent)
    return [w + pad for w in widths]


def _set_widths(grid, widths: Sequence[float]) -> None:
    """Fix the grid and every cell to `widths` (twips); a merged cell gets the sum it spans."""
    from docx.oxml.ns import qn
    from docx.shared import Twips

    for col, w in zip(grid.columns, widths, strict=True):
        col.width = Twips(round(w))
    for tr in grid._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc_w = tc.get_or_add_tcPr().get_or_add_tcW()
            tc_w.set(qn("w:type"), "dxa")
            tc_w.set(qn("w:w"), str(round(sum(widths[start : start + span]))))
            start += span


def add_table(
    document, table: Table, lang: str = "zh", *, fonts=None, width_twips: float | None = None
) -> None:
    """Append `table` (caption, three-line table, notes) to a python-docx `Document`."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    check_lang(lang)
    fonts = fonts or (EAST_ASIA_FONT, LATIN_FONT)
    align = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER}
    align["r"] = WD_ALIGN_PARAGRAPH.RIGHT
    title = text_in(table.title, lang)
    number = table.caption_number(lang)
    if lang == "zh":  # 表1 标题, centred, one line
        cap = _paragraph(
            document,
            f"{number} {title}".strip(),
            size=TABLE_PT,
            fonts=fonts,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            bold=True,
        )
    else:  # APA 7: "Table 1" in bold, the title in italic title case on the next line
        if number:
            _paragraph(document, number, size=TABLE_PT, fonts=fonts, bold=True)
        cap = _paragraph(document, title, size=TABLE_PT, fonts=fonts, italic=True)
    cap.paragraph_format.keep_with_next = True

    n_head = len(table.spanners) + 1
    body: list[tuple[str, object, object]] = []
    for panel in table.panels:
        if panel.title is not None:
            body.append(("title", panel.title, None))
        body += [("row", None, row) for row in panel.rows]
    grid = document.add_table(rows=n_head + len(body), cols=table.ncol)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_table_borders(grid)
    grid.autofit = False
    last = n_head + len(body) - 1
    grid_rows = list(grid.rows)
    # a row's cells, fetched once: Table.cell(r, c) rescans the whole table on every call
    grid_cells = [row.cells for row in grid_rows]

    for level, spans in enumerate(table.spanners):
        _repeat_header(grid_rows[level])
        covered: dict[int, tuple[int, str]] = {}
        for s in spans:
            covered[s.start] = (s.stop, text_in(s.text, lang))
        col = 0
        while col < table.ncol:
            stop, text = covered.get(col, (col + 1, ""))
            cell = grid_cells[level][col]
            if stop - col > 1:
                cell = cell.merge(grid_cells[level][stop - 1])
            _write(cell.paragraphs[0], text, size=TABLE_PT, fonts=fonts)
            cell.paragraphs[0].alignment = align["c"]
            _cell_rules(
                cell,
                top=RULE_SZ["top"] if level == 0 else None,
                bottom=RULE_SZ["span"] if text else None,
            )
            col = stop

    leaf = n_head - 1
    _repeat_header(grid_rows[leaf])
    for col, text in enumerate(table.header):
        cell = grid_cells[leaf][col]
        _write(cell.paragraphs[0], text_in(text, lang), size=TABLE_PT, fonts=fonts)
        cell.paragraphs[0].alignment = align["l" if col == 0 else "c"]
        _cell_rules(cell, top=RULE_SZ["top"] if leaf == 0 else None, bottom=RULE_SZ["mid"])

    for i, (what, title_text, row) in enumerate(body):
        r = n_head + i
        bottom = RULE_SZ["bottom"] if r == last else None
        if what == "title":
            cell = grid_cells[r][0].merge(grid_cells[r][table.ncol - 1])
            _write(
                cell.paragraphs[0],
                text_in(title_text, lang),
                size=TABLE_PT,
                fonts=fonts,
                italic=lang == "en",
                bold=lang == "zh",
            )
            _cell_rules(cell, bottom=bottom)
            continue
        for col, text in enumerate(row.cells):
            cell = grid_cells[r][col]
            p = cell.paragraphs[0]
            _write(p, text_in(text, lang), size=TABLE_PT, fonts=fonts)
            p.alignment = align[table.align[col]]
            if col == 0 and row.indent:
                p.paragraph_format.left_indent = Pt(TABLE_PT * row.indent)
            _cell_rules(cell, bottom=bottom)

    natural = natural_widths(table, lang)
    scale = (width_twips or _text_width_twips(document)) / sum(natural)
    _set_widths(grid, [w * scale for w in natural])

    for lead, text in table.notes(lang):
        p = document.add_paragraph()
        if lead:
            _write(
                p,
                lead + ("" if lang == "zh" else " "),
                size=NOTE_PT,
                fonts=fonts,
                italic=lang == "en" and lead == "Note.",
            )
        _write(p, text, size=NOTE_PT, fonts=fonts)


def _text_width_twips(document) -> float:
    section = document.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 635  # EMU


def docx_document(
    tables: Table | Sequence[Table],
    lang: str = "zh",
    *,
    fonts: tuple[str, str] | None = None,
    landscape: bool | None = None,
):
    """A python-docx `Document` holding one table or several (separated by an empty line).

    Parameters
    ----------
    tables : one `Table` or a sequence of them.
    lang : "zh" or "en".
    fonts : (East Asian font, Latin font); default (SimSun, Times New Roman). Names only: no
        font is embedded, Word substitutes when one is missing.
    landscape : A4 landscape instead of portrait; default: landscape when a table's cells do not
        fit the portrait text width (16 cm) on one line.

    Every table spans the text width; its columns are as wide as their longest cell, scaled.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    check_lang(lang)
    tables = [tables] if isinstance(tables, Table) else list(tables)
    fonts = fonts or (EAST_ASIA_FONT, LATIN_FONT)
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(TABLE_PT)
    normal.font.name = fonts[1]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fonts[0])
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.54))
    if landscape is None:
        portrait = _text_width_twips(doc)
        landscape = any(sum(natural_widths(t, lang)) > portrait for t in tables)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for i, table in enumerate(tables):
        if i:
            doc.add_paragraph()
        add_table(doc, table, lang, fonts=fonts)
    return doc


def write_docx(
    tables: Table | Sequence[Table],
    path: str | Path,
    lang: str = "zh",
    *,
    fonts: tuple[str, str] | None = None,
    landscape: bool | None = None,
) -> None:
    """Write one or several tables to a .docx file, byte-identical across runs."""
    save_docx(docx_document(tables, lang, fonts=fonts, landscape=landscape), path)
