"""Render the printable questionnaire from the codebook (Markdown and Word).

The instrument fielded and the instrument analysed come from the same file, so they cannot drift
apart: a change to an item's wording in the codebook changes both the printed questionnaire and
every label in the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from jianfu.codebook.model import Codebook, Question

_TYPE_HINT = {
    "zh": {
        "single": "（单选）",
        "multi": "（多选）",
        "number": "（请填写数字）",
        "text": "（请填写）",
        "matrix": "（矩阵单选，每行选一项）",
    },
    "en": {
        "single": " (choose one)",
        "multi": " (choose all that apply)",
        "number": " (enter a number)",
        "text": " (write in)",
        "matrix": " (one answer per row)",
    },
}
_WORDS = {
    "zh": {
        "version": "问卷版本",
        "generated": "本问卷由 {source} 自动生成，请勿手工修改",
        "other": "请注明",
        "blank": "________",
    },
    "en": {
        "version": "Questionnaire version",
        "generated": "Generated from {source}; do not edit by hand",
        "other": "please specify",
        "blank": "________",
    },
}


@dataclass(frozen=True)
class _Line:
    """One block of the rendered questionnaire, independent of the output format."""

    kind: str  # title | para | heading | question | option | matrix | blank | note
    text: str = ""
    options: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    mark: str = "○"


def _question_text(cb: Codebook, q: Question, lang: str) -> str:
    text = f"{q.qnum}、{q.text.get(lang)}{_TYPE_HINT[lang][q.type]}"
    if q.type == "number":
        (item,) = cb.question_items(q.qnum)
        if item.unit is not None:
            text += f" [{item.unit.get(lang)}]"
    return text


def questionnaire_lines(cb: Codebook, lang: str = "zh") -> list[_Line]:
    """The questionnaire as format-neutral lines, in the order respondents see it."""
    words = _WORDS[lang]
    lines = [_Line("title", cb.title.get(lang)), _Line("para", cb.intro.get(lang))]
    block_names = {b.id: b.label.get(lang) for b in cb.blocks}
    current = None
    for q in cb.questions:
        if q.block != current:
            current = q.block
            lines.append(_Line("heading", f"{q.block}. {block_names[q.block]}"))
        lines.append(_Line("question", _question_text(cb, q, lang)))
        items = cb.question_items(q.qnum)
        if q.type == "matrix":
            scale = cb.scales[q.scale]
            lines.append(
                _Line(
                    "matrix",
                    options=tuple(v.label.get(lang) for v in scale.values),
                    rows=tuple(f"{i.row}. {i.label.get(lang)}" for i in items),
                )
            )
        elif q.type in ("single", "multi"):
            scale = cb.scales[items[0].scale]
            options = tuple(
                v.label.get(lang)
                + (f" {words['blank']}（{words['other']}）" if v.other_text else "")
                for v in scale.values
            )
            lines.append(_Line("option", options=options, mark="○" if q.type == "single" else "□"))
        else:
            lines.append(_Line("blank", words["blank"]))
    lines.append(_Line("para", cb.closing.get(lang)))
    lines.append(
        _Line(
            "note",
            f"{words['version']} {cb.version} · " + words["generated"].format(source=cb.source),
        )
    )
    return lines


def render_markdown(cb: Codebook, lang: str = "zh") -> str:
    """The questionnaire as Markdown (GitHub tables for matrices)."""
    out: list[str] = []
    for line in questionnaire_lines(cb, lang):
        if line.kind == "title":
            out += [f"# {line.text}", ""]
        elif line.kind == "heading":
            out += [f"## {line.text}", ""]
        elif line.kind == "question":
            out += [f"**{line.text}**", ""]
        elif line.kind == "option":
            out += [f"- {line.mark} {o}" for o in line.options] + [""]
        elif line.kind == "matrix":
            out.append("| | " + " | ".join(line.options) + " |")
            out.append("|---|" + "---|" * len(line.options))
            out += [f"| {r} | " + " | ".join("○" for _ in line.options) + " |" for r in line.rows]
            out.append("")
        elif line.kind == "blank":
            out += [line.text, ""]
        elif line.kind == "note":
            out += ["---", "", f"*{line.text}*", ""]
        else:
            out += [line.text, ""]
    return "\n".join(out)


#: Matrix questions in Word: the answer columns' width (twips) holds at least three CJK
#: characters of the 9 pt header; the item column takes the rest of the A4 text width.
_MATRIX_HEAD_PT = 9.0
_MATRIX_PAD = 2 * 57  # cell margins 0.1 cm each side


def _ems(text: str) -> float:
    """Estimated width in ems: a CJK character 1, anything else about half."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def matrix_widths(options: tuple[str, ...], text_twips: float) -> list[float]:
    """Column widths (twips) of a matrix question: item wording first, then one narrow column
    per answer option, as wide as the option's longest Latin word and at least three CJK
    characters of the 9 pt header (a Chinese label wraps), so that an item takes one or two
    lines on A4 portrait."""
    pt20 = _MATRIX_HEAD_PT * 20
    # Chinese labels may wrap between any two characters (非常/不同意); a Latin word may not
    words = [w for o in options for w in o.split() if w.isascii()]
    option = max([3.0, *(_ems(w) for w in words)]) * pt20 + _MATRIX_PAD
    return [text_twips - option * len(options), *[option] * len(options)]


def _matrix_table(doc, line: _Line, font: str) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, Twips

    from jianfu.report.wordstyle import text_width_twips

    widths = matrix_widths(line.options, text_width_twips(doc))
    table = doc.add_table(rows=1 + len(line.rows), cols=1 + len(line.options))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(_MATRIX_PAD // 2))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    look = table._tbl.tblPr.find(qn("w:tblLook"))  # w:tblCellMar comes before w:tblLook
    if look is None:
        table._tbl.tblPr.append(margins)
    else:
        look.addprevious(margins)
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Twips(round(w))
    cells = [row.cells for row in table.rows]
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # repeated on a new page
    texts = [("", *line.options)] + [(r, *("○",) * len(line.options)) for r in line.rows]
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            cell = cells[i][j]
            cell.width = Twips(round(widths[j]))
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            fmt = p.paragraph_format
            fmt.space_before = fmt.space_after = Pt(1)
            fmt.line_spacing = 1.0
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(text)
            run.font.size = Pt(_MATRIX_HEAD_PT if i == 0 else 10.5)
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def render_docx(cb: Codebook, lang: str = "zh", font: str = "SimSun"):
    """The questionnaire as a python-docx `Document` (save it with `jianfu.core.io.save_docx`).

    A4 with the report's page and styles (`jianfu.report.wordstyle`): black 黑体 headings,
    page numbers. A matrix question is one table: the item wording in a wide first column, the
    answer options once as a header row over narrow columns of ○ (`matrix_widths`).
    `font` is the East Asian font name Word should use; it is a name only, no font is embedded.
    """
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from jianfu.report.wordstyle import setup_document

    doc = Document()
    setup_document(doc, lang, cb.title.get(lang))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.line_spacing = 1.25
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    for line in questionnaire_lines(cb, lang):
        if line.kind == "title":
            doc.add_heading(line.text, level=0)
        elif line.kind == "heading":
            doc.add_heading(line.text, level=1)
        elif line.kind == "question":
            p = doc.add_paragraph()
            p.paragraph_format.space_before = Pt(6)
            p.paragraph_format.keep_with_next = True
            p.add_run(line.text).bold = True
        elif line.kind == "option":
            doc.add_paragraph("    ".join(f"{line.mark} {o}" for o in line.options))
        elif line.kind == "matrix":
            _matrix_table(doc, line, font)
        elif line.kind == "note":
            doc.add_paragraph().add_run(line.text).italic = True
        else:
            doc.add_paragraph(line.text)
    return doc
