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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    fmt.line_spacing = 1.0  # single, whatever the document's body spacing (1.5 in zh)
    if not text:
        return None
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    _set_fonts(run, size, *fonts)
    return run


#: Advance widths (em) of Times New Roman's characters (the Adobe Times-Roman metrics, which
#: Liberation Serif, LibreOffice's substitute, shares); a CJK character is 1 em, anything else
#: 0.6 em. Measured widths keep a number on one line without making its column too wide.
_EM = {
    **dict.fromkeys("0123456789*_#$", 0.5),
    **dict.fromkeys(" .,:;/\\", 0.26),
    **dict.fromkeys("()[]{}'!-", 0.333),
    **dict.fromkeys("+<=>−×±≤≥", 0.564),
    "%": 0.833, "&": 0.778, "?": 0.444, "@": 0.921, "\u2014": 1.0, "\u2013": 0.5,
    "\u2192": 1.0, "\u221a": 0.55, "\u00b2": 0.3, "\u00a0": 0.25, "|": 0.2,
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (0.444, 0.5, 0.444, 0.5, 0.444, 0.333, 0.5,
        0.5, 0.278, 0.278, 0.5, 0.278, 0.778, 0.5, 0.5, 0.5, 0.5, 0.333, 0.389, 0.278, 0.5,
        0.5, 0.722, 0.5, 0.5, 0.444), strict=True)),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (0.722, 0.667, 0.667, 0.722, 0.611, 0.556,
        0.722, 0.722, 0.333, 0.389, 0.722, 0.611, 0.889, 0.722, 0.722, 0.556, 0.722, 0.667,
        0.556, 0.611, 0.722, 0.722, 0.944, 0.722, 0.722, 0.611), strict=True)),
}  # fmt: skip
#: Estimates are a little wide on purpose: a column too narrow by a hair breaks a number.
_SAFETY = 1.04
#: Word's default cell margin (0.19 cm each side) and the tighter one tried before shrinking.
PAD_TWIPS = 108
TIGHT_PAD_TWIPS = 57
#: Font sizes tried in turn when a table does not fit: 五号, 小五, 六号.
SIZES_PT = (TABLE_PT, 9.0, 7.5)
#: A wrapping stub (first column) keeps at least this many ems, and, while the other columns
#: can give way, a quarter of the width.
STUB_MIN_EM = 4.0
_NUMERIC_CHARS = set("0123456789.,()[]<>=%*+- \u2212\u2013\u2014\u00a0")


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _text_twips(text: str, size_pt: float) -> float:
    """Estimated printed width of `text` in twips (1/20 pt), from per-character advances."""
    ems = sum(1.0 if _is_cjk(ch) else _EM.get(ch, 0.6) for ch in text)
    return ems * size_pt * 20 * _SAFETY


def is_numeric(text: str) -> bool:
    """A cell of numbers (estimates, marks, SEs, CIs, p-values, N): it must never wrap inside a
    number. "—" alone counts too."""
    text = text.strip()
    return text == "\u2014" or (any(ch.isdigit() for ch in text) and set(text) <= _NUMERIC_CHARS)


def unbreakable_tokens(text: str) -> list[str]:
    """The pieces of a cell that must stay on one line.

    A numeric cell breaks only after the comma of a CI (``[−0.16, −0.06]`` → ``[−0.16,``,
    ``−0.06]``) when a digit or a minus follows; ``[.021, .024]``, ``< .001`` and ``−0.11***``
    stay whole. Other text breaks at spaces and between CJK characters (a digit or Latin
    letters stay with the character before them, so 模型1 never ends a line with 模型).
    """
    if is_numeric(text):
        pieces: list[str] = []
        for part in text.split(", "):
            # a line may break before a digit or a minus, never before "." (UAX #14 class IS:
            # LibreOffice and Word keep ", .024" together), so "[.021, .024]" is one piece
            if pieces and not part[:1].isdigit() and part[:1] != "\u2212":
                pieces[-1] += ", " + part
            else:
                pieces.append(part)
        return [t + "," for t in pieces[:-1]] + pieces[-1:]
    tokens: list[str] = []
    for word in text.split():
        current = ""
        for ch in word:
            if _is_cjk(ch) and current:
                tokens.append(current)
                current = ""
            current += ch
        tokens.append(current)
    return tokens


def _cells(table: Table, lang: str) -> list[tuple[int, str, int]]:
    """(column, text, indent levels) of every header and body cell that sets a column's width."""
    out = [(col, text_in(h, lang), 0) for col, h in enumerate(table.header)]
    for row in table.rows():
        out += [(col, text_in(c, lang), row.indent if col == 0 else 0)
                for col, c in enumerate(row.cells)]  # fmt: skip
    return out


def _needs(table: Table, lang: str, size_pt: float, pad: float) -> tuple[list[float], list[float]]:
    """(natural, minimum) width of each column in twips: every cell on one line, and the widest
    piece that may not break (the stub at least `STUB_MIN_EM`)."""
    natural = [0.0] * table.ncol
    minimum = [0.0] * table.ncol
    for col, text, indent in _cells(table, lang):
        lead = size_pt * 20 * indent
        natural[col] = max(natural[col], _text_twips(text, size_pt) + lead)
        widest = max((_text_twips(t, size_pt) for t in unbreakable_tokens(text)), default=0.0)
        minimum[col] = max(minimum[col], widest + lead)
    minimum[0] = min(natural[0], max(minimum[0], STUB_MIN_EM * size_pt * 20))
    for spans in table.spanners:  # a spanning header's longest word fits its columns together
        for s in spans:
            widest = max(
                (_text_twips(t, size_pt) for t in unbreakable_tokens(text_in(s.text, lang))),
                default=0.0,
            )
            cols = range(s.start, s.stop)
            short = widest - sum(minimum[c] + 2 * pad for c in cols) + 2 * pad
            for c in cols:
                minimum[c] += max(short, 0.0) / len(cols)
                natural[c] = max(natural[c], minimum[c])
    return [w + 2 * pad for w in natural], [w + 2 * pad for w in minimum]


def _shrink(widths: list[float], floors: Sequence[float], cols: Sequence[int], excess: float):
    """Take `excess` twips from `cols`, in proportion to what each can give above its floor."""
    room = sum(max(widths[c] - floors[c], 0.0) for c in cols)
    if room <= 0 or excess <= 0:
        return excess
    take = min(excess, room)
    for c in cols:
        widths[c] -= take * max(widths[c] - floors[c], 0.0) / room
    return excess - take


def _distribute(natural: list[float], minimum: list[float], width: float) -> list[float]:
    """Column widths that fill `width`: natural widths scaled up when they fit; otherwise the
    stub gives way first (down to a quarter of the width), then columns that may wrap (CIs,
    long headers), then the stub down to its minimum. Never below `minimum`."""
    if sum(natural) <= width:
        return [w * width / sum(natural) for w in natural]
    widths = list(natural)
    excess = sum(widths) - width
    soft = [max(minimum[0], min(natural[0], width / 4)), *minimum[1:]]
    excess = _shrink(widths, soft, [0], excess)
    excess = _shrink(widths, minimum, range(1, len(widths)), excess)
    _shrink(widths, minimum, [0], excess)
    return widths


@dataclass(frozen=True)
class Layout:
    """How a table is laid out in a given width: font size, cell padding, column widths (twips).

    `fits` is False when even the smallest size leaves a number wider than its share: the
    columns then keep their minimum widths and the table runs into the margin.
    """

    size_pt: float
    pad_twips: float
    widths: tuple[float, ...]
    fits: bool


def table_layout(
    table: Table, lang: str, width_twips: float, sizes: Sequence[float] = SIZES_PT
) -> Layout:
    """The first layout, from the table's own size down through `sizes`, in which every number
    stays on one line within `width_twips` (first with Word's cell padding, then tighter)."""
    check_lang(lang)
    tries = [(sizes[0], PAD_TWIPS)] + [(s, TIGHT_PAD_TWIPS) for s in sizes]
    for size, pad in tries:
        natural, minimum = _needs(table, lang, size, pad)
        if sum(minimum) <= width_twips:
            widths = _distribute(natural, minimum, width_twips)
            return Layout(size, pad, tuple(widths), True)
    return Layout(size, pad, tuple(minimum), False)


def needs_landscape(table: Table, lang: str, portrait_twips: float) -> bool:
    """Whether `table` cannot keep its numbers on one line at its full size (五号 10.5 pt) within
    the portrait text width `portrait_twips` (see `text_width_twips`): put it in a landscape
    section (`jianfu.report.wordstyle.start_section`). In landscape, or when the caller keeps
    it in portrait, `add_table` shrinks the font (小五, then 六号) until it fits."""
    return not table_layout(table, lang, portrait_twips, sizes=(TABLE_PT,)).fits


def natural_widths(table: Table, lang: str) -> list[float]:
    """Each column's width (twips) to print its header and body cells on one line."""
    return _needs(table, lang, TABLE_PT, PAD_TWIPS)[0]


_TCPR_BEFORE_NOWRAP = (*_TCPR_BEFORE_BORDERS, "w:tcBorders", "w:shd")
_TBLPR_BEFORE_CELLMAR = (*_TBLPR_BEFORE_BORDERS, "w:tblBorders", "w:shd", "w:tblLayout")


def _set_widths(grid, widths: Sequence[float], pad: float) -> None:
    """Fix the grid, the table and every cell to `widths` (twips), a merged cell to the sum it
    spans; cell margins `pad` left and right."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    for col, w in zip(grid.columns, widths, strict=True):
        col.width = Twips(round(w))
    tbl_pr = grid._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(sum(round(w) for w in widths)))
    if pad != PAD_TWIPS:
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(round(pad)))
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        _insert_after_predecessors(tbl_pr, mar, _TBLPR_BEFORE_CELLMAR)
    for tr in grid._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc_w = tc.get_or_add_tcPr().get_or_add_tcW()
            tc_w.set(qn("w:type"), "dxa")
            tc_w.set(qn("w:w"), str(sum(round(w) for w in widths[start : start + span])))
            start += span


def _no_wrap(cell) -> None:
    """``w:noWrap``: Word and LibreOffice keep the cell's text on one line."""
    from docx.oxml import OxmlElement

    _insert_after_predecessors(cell._tc.get_or_add_tcPr(), OxmlElement("w:noWrap"),
                               _TCPR_BEFORE_NOWRAP)  # fmt: skip


def _plain_caption(document, table: Table, lang: str, fonts) -> None:
    """The table's own caption: 表1 标题 (zh, centred, bold) or APA's two lines (en)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

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
            num = _paragraph(document, number, size=TABLE_PT, fonts=fonts, bold=True)
            num.paragraph_format.keep_with_next = True
        cap = _paragraph(document, title, size=TABLE_PT, fonts=fonts, italic=True)
    cap.paragraph_format.keep_with_next = True


def add_table(
    document,
    table: Table,
    lang: str = "zh",
    *,
    fonts=None,
    width_twips: float | None = None,
    caption: Callable[[object], object] | None = None,
) -> Layout:
    """Append `table` (caption, three-line table, notes) to a python-docx `Document`.

    Parameters
    ----------
    document : python-docx ``Document``; the table goes at its end, in its last section.
    table : the `Table`.
    lang : "zh" or "en".
    fonts : (East Asian font, Latin font); default (SimSun, Times New Roman).
    width_twips : the width to fill; default the last section's text width.
    caption : called with `document` instead of writing the table's plain-text caption, e.g.
        ``lambda doc: wordstyle.add_caption(doc, "table", 3, title, lang)`` for a Word caption
        field (题注); it should leave its paragraph ``keep_with_next``.

    Returns
    -------
    Layout
        Font size and column widths used. Columns are as wide as their content: numbers never
        wrap (their cells are ``w:noWrap``; a CI may break after its comma), the stub wraps.
        When the table does not fit at 五号, the font shrinks to 小五 or 六号; ``fits`` is
        False when it overflows even then. Call `needs_landscape` first to avoid both.
    """
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    check_lang(lang)
    fonts = fonts or (EAST_ASIA_FONT, LATIN_FONT)
    layout = table_layout(table, lang, width_twips or text_width_twips(document))
    size = layout.size_pt
    align = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER}
    align["r"] = WD_ALIGN_PARAGRAPH.RIGHT
    if caption is None:
        _plain_caption(document, table, lang, fonts)
    else:
        caption(document)

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
    nowrap = []

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
            _write(cell.paragraphs[0], text, size=size, fonts=fonts)
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
        _write(cell.paragraphs[0], text_in(text, lang), size=size, fonts=fonts)
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
                size=size,
                fonts=fonts,
                italic=lang == "en",
                bold=lang == "zh",
            )
            _cell_rules(cell, bottom=bottom)
            continue
        for col, text in enumerate(row.cells):
            cell = grid_cells[r][col]
            p = cell.paragraphs[0]
            content = text_in(text, lang)
            _write(p, content, size=size, fonts=fonts)
            p.alignment = align[table.align[col]]
            if col == 0 and row.indent:
                p.paragraph_format.left_indent = Pt(size * row.indent)
            _cell_rules(cell, bottom=bottom)
            if col and is_numeric(content) and len(unbreakable_tokens(content)) == 1:
                nowrap.append(cell)

    _set_widths(grid, layout.widths, layout.pad_twips)
    for cell in nowrap:  # after the widths: w:noWrap follows w:tcW in the schema
        _no_wrap(cell)

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
    return layout


def text_width_twips(document) -> float:
    """The text width (page width less the margins) of the document's last section, in twips."""
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
    landscape : A4 landscape instead of portrait; default: landscape when a table cannot keep
        its numbers on one line at 10.5 pt within the portrait text width (`needs_landscape`).

    Every table spans the text width; its columns are as wide as their content (`add_table`).
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
        portrait = text_width_twips(doc)
        landscape = any(needs_landscape(t, lang, portrait) for t in tables)
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
