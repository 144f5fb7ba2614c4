r"""Render a `Table` to LaTeX: booktabs rules, threeparttable notes.

The output is a ``table`` float holding a ``threeparttable``: ``\toprule`` above the header,
``\cmidrule(lr){a-b}`` under each spanning header, ``\midrule`` below the header,
``\bottomrule`` below the body, no vertical rules; notes in ``tablenotes``. LaTeX numbers the
table itself (`Table.number` is not printed); ``\label{tab:<name>}`` lets the text refer to it.

The preamble needs ``\usepackage{booktabs, threeparttable}``; Chinese tables need XeLaTeX with
``ctex`` (``\documentclass{ctexart}``). ``standalone=True`` writes a complete document with that
preamble. Text is escaped: the ten LaTeX special characters, ``<`` and ``>`` (which the OT1
encoding prints as ¡ ¿), and the Unicode symbols the tables use (minus U+2212, α, β, ω, χ, Δ,
², √, ×, →) become math-mode commands so that pdfLaTeX and XeLaTeX print the same.
"""

from __future__ import annotations

from jianfu.tables.table import Table, check_lang, text_in

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
    "\u2212": r"$-$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "ω": r"$\omega$",
    "χ": r"$\chi$",
    "Δ": r"$\Delta$",
    "²": r"$^{2}$",
    "√": r"$\surd$",
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
}


def escape_latex(text: str) -> str:
    """Escape LaTeX's special characters and map the tables' Unicode symbols to math mode."""
    out: list[str] = []
    math: list[str] = []  # adjacent math-mode symbols share one $...$ ("−α" -> "$-\alpha$")
    for ch in text:
        rep = _SPECIAL.get(ch, ch)
        if rep.startswith("$") and len(rep) > 2:
            math.append(rep[1:-1])
            continue
        if math:
            out.append("$" + "".join(math) + "$")
            math = []
        out.append(rep)
    if math:
        out.append("$" + "".join(math) + "$")
    return "".join(out)


def _row(cells: list[str]) -> str:
    return " & ".join(cells) + r" \\"


def render_latex(table: Table, lang: str = "zh", *, standalone: bool = False) -> str:
    """The table as LaTeX source (a ``table`` float, or a whole document with `standalone`)."""
    check_lang(lang)
    t = table
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\begin{threeparttable}",
        rf"\caption{{{escape_latex(text_in(t.title, lang))}}}",
        rf"\label{{tab:{t.name}}}",
        rf"\begin{{tabular}}{{{''.join(t.align)}}}",
        r"\toprule",
    ]
    for spans in t.spanners:
        by_start = {s.start: s for s in spans}
        cells, rules, col = [], [], 0
        while col < t.ncol:
            s = by_start.get(col)
            if s is None:
                cells.append("")
                col += 1
                continue
            text = escape_latex(text_in(s.text, lang))
            width = s.stop - s.start
            cells.append(text if width == 1 else rf"\multicolumn{{{width}}}{{c}}{{{text}}}")
            if text:
                rules.append(rf"\cmidrule(lr){{{s.start + 1}-{s.stop}}}")
            col = s.stop
        lines.append(_row(cells))
        if rules:
            lines.append(" ".join(rules))
    lines.append(_row([escape_latex(text_in(h, lang)) for h in t.header]))
    lines.append(r"\midrule")
    for p, panel in enumerate(t.panels):
        if panel.title is not None:
            title = escape_latex(text_in(panel.title, lang))
            if p:
                lines.append(r"\addlinespace")
            lines.append(rf"\multicolumn{{{t.ncol}}}{{l}}{{\textit{{{title}}}}} \\")
        for row in panel.rows:
            cells = [escape_latex(text_in(c, lang)) for c in row.cells]
            if row.indent:
                cells[0] = r"\quad" * row.indent + " " + cells[0]
            lines.append(_row(cells))
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}")
    notes = t.notes(lang)
    if notes:
        lines.append(r"\begin{tablenotes}[flushleft]")
        lines.append(r"\footnotesize")
        for lead, text in notes:
            lead_tex = r"\textit{Note.}" if lead == "Note." else escape_latex(lead)
            sep = "" if lang == "zh" else " "
            lines.append(r"\item " + (lead_tex + sep if lead else "") + escape_latex(text))
        lines.append(r"\end{tablenotes}")
    lines += [r"\end{threeparttable}", r"\end{table}"]
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    cls = r"\documentclass{ctexart}" if lang == "zh" else r"\documentclass{article}"
    return (
        f"{cls}\n\\usepackage{{booktabs}}\n\\usepackage{{threeparttable}}\n"
        f"\\begin{{document}}\n{body}\\end{{document}}\n"
    )
