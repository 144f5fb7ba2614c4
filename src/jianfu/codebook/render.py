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


def render_docx(cb: Codebook, lang: str = "zh", font: str = "SimSun"):
    """The questionnaire as a python-docx `Document` (save it with `jianfu.core.io.save_docx`).

    `font` is the East Asian font name Word should use; it is a name only, no font is embedded.
    """
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    for line in questionnaire_lines(cb, lang):
        if line.kind == "title":
            doc.add_heading(line.text, level=0)
        elif line.kind == "heading":
            doc.add_heading(line.text, level=1)
        elif line.kind == "question":
            doc.add_paragraph().add_run(line.text).bold = True
        elif line.kind == "option":
            doc.add_paragraph("    ".join(f"{line.mark} {o}" for o in line.options))
        elif line.kind == "matrix":
            table = doc.add_table(rows=1 + len(line.rows), cols=1 + len(line.options))
            table.style = "Table Grid"
            for j, opt in enumerate(line.options, start=1):
                table.cell(0, j).text = opt
            for i, row in enumerate(line.rows, start=1):
                table.cell(i, 0).text = row
                for j in range(1, len(line.options) + 1):
                    table.cell(i, j).text = "○"
        elif line.kind == "note":
            doc.add_paragraph().add_run(line.text).italic = True
        else:
            doc.add_paragraph(line.text)
    return doc
