"""Render a `Table` to Markdown (a pipe table and notes) and HTML (one self-contained table).

Markdown pipe tables have no spanning cells: a column's spanning headers are joined to its own
header with " / " ("FB / Model 1"), panel titles become a bold row, indented stubs are prefixed
with non-breaking spaces. Cell text is escaped (``\\ | * _ ` ``), so significance marks print as
stars instead of starting emphasis.

HTML is one ``<table>`` element whose styles are inline (no ``<style>`` block, no external CSS,
no scripts): it keeps its three rules when pasted into a page, an e-mail or Word. It sits in a
``<div class="table-wrap">`` that scrolls sideways when the table is wider than the page, and
numeric cells do not wrap (``white-space:nowrap``), so a number is never broken across lines.
The caption is a ``<caption>``, spanning headers are ``colspan`` cells with a thin rule below,
the notes sit in ``<tfoot>`` under the bottom rule. ``standalone=True`` wraps it in a minimal
UTF-8 document.
"""

from __future__ import annotations

import html

from jianfu.tables.table import Table, check_lang, text_in
from jianfu.tables.word import is_numeric

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|*_`"})
_MD_ALIGN = {"l": ":---", "c": ":---:", "r": "---:"}
_NBSP = "\u00a0"


def escape_markdown(text: str) -> str:
    """Escape the characters that would start emphasis, code or a cell break."""
    return text.translate(_MD_SPECIAL)


def render_markdown(table: Table, lang: str = "zh") -> str:
    """The table as GitHub-flavoured Markdown: caption line, pipe table, notes."""
    check_lang(lang)
    t = table
    number = t.caption_number(lang)
    title = escape_markdown(text_in(t.title, lang))
    if lang == "zh":
        caption = f"**{number}** {title}" if number else f"**{title}**"
    else:
        caption = f"**{number}**\n\n*{title}*" if number else f"*{title}*"
    heads = [[text_in(h, lang)] for h in t.header]
    for spans in reversed(t.spanners):
        for s in spans:
            text = text_in(s.text, lang)
            for col in range(s.start, s.stop):
                if text:
                    heads[col].insert(0, text)
    head = [escape_markdown(" / ".join(parts)) for parts in heads]
    lines = [caption, "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "|".join(_MD_ALIGN[a] for a in t.align) + "|")
    for panel in t.panels:
        if panel.title is not None:
            title_cell = f"**{escape_markdown(text_in(panel.title, lang))}**"
            lines.append("| " + " | ".join([title_cell] + [""] * (t.ncol - 1)) + " |")
        for row in panel.rows:
            cells = [escape_markdown(text_in(c, lang)) for c in row.cells]
            if row.indent:
                cells[0] = _NBSP * 4 * row.indent + cells[0]
            lines.append("| " + " | ".join(cells) + " |")
    notes = t.notes(lang)
    if notes:
        lines.append("")
    for lead, text in notes:
        if lead == "Note.":
            lead_md = "*Note.* "
        else:
            lead_md = escape_markdown(lead) + (" " if lead and lang == "en" else "")
        lines.append(lead_md + escape_markdown(text))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML -------------------------------------------------------------------------------------

_FONT = "'Times New Roman', SimSun, '宋体', serif"
_RULE = {"top": "1.5pt solid #000", "mid": "0.75pt solid #000", "span": "0.5pt solid #000"}
_RULE["bottom"] = _RULE["top"]
_CELL = "padding:2px 8px;vertical-align:top;border:none;"
_TEXT_ALIGN = {"l": "left", "c": "center", "r": "right"}
_NOWRAP = "white-space:nowrap;"
#: The scrolling box around every table: a wide table scrolls inside the page instead of
#: running off it.
WRAP_OPEN = '<div class="table-wrap" style="overflow-x:auto;max-width:100%;">'


def _cell(tag: str, text: str, *, align: str, top=None, bottom=None, extra="", attrs="") -> str:
    style = _CELL + f"text-align:{align};"
    if top:
        style += f"border-top:{_RULE[top]};"
    if bottom:
        style += f"border-bottom:{_RULE[bottom]};"
    style += extra
    return f'<{tag}{attrs} style="{style}">{html.escape(text)}</{tag}>'


def render_html(table: Table, lang: str = "zh", *, standalone: bool = False) -> str:
    """The table as one self-contained ``<table>`` with inline CSS (or a whole HTML document)."""
    check_lang(lang)
    t = table
    n_head = len(t.spanners) + 1
    number = t.caption_number(lang)
    title = html.escape(text_in(t.title, lang))
    caption_align = "center" if lang == "zh" else "left"
    if lang == "zh":
        caption = f"<b>{html.escape(number)}</b> {title}" if number else f"<b>{title}</b>"
    else:
        caption = f"<b>{html.escape(number)}</b><br><i>{title}</i>" if number else f"<i>{title}</i>"
    out = [
        WRAP_OPEN,
        f'<table class="three-line-table" id="tab-{html.escape(t.name)}" lang="{lang}" '
        f'style="border-collapse:collapse;border:none;font-family:{_FONT};font-size:10.5pt;">',
        f'<caption style="caption-side:top;text-align:{caption_align};padding-bottom:4px;">'
        f"{caption}</caption>",
        "<thead>",
    ]
    for level, spans in enumerate(t.spanners):
        by_start = {s.start: s for s in spans}
        cells, col = [], 0
        while col < t.ncol:
            s = by_start.get(col)
            stop, text = (s.stop, text_in(s.text, lang)) if s else (col + 1, "")
            span = f' colspan="{stop - col}"' if stop - col > 1 else ""
            cells.append(
                _cell(
                    "th",
                    text,
                    align="center",
                    top="top" if level == 0 else None,
                    bottom="span" if text else None,
                    attrs=span + (' scope="colgroup"' if text else ""),
                )
            )
            col = stop
        out.append("<tr>" + "".join(cells) + "</tr>")
    leaf = [
        _cell(
            "th",
            text_in(h, lang),
            align="left" if col == 0 else "center",
            top="top" if n_head == 1 else None,
            bottom="mid",
            attrs=' scope="col"',
        )
        for col, h in enumerate(t.header)
    ]
    out += ["<tr>" + "".join(leaf) + "</tr>", "</thead>", "<tbody>"]
    body: list[tuple[str, object]] = []
    for panel in t.panels:
        if panel.title is not None:
            body.append(("title", panel.title))
        body += [("row", row) for row in panel.rows]
    for i, (what, item) in enumerate(body):
        bottom = "bottom" if i == len(body) - 1 else None
        if what == "title":
            style = "font-style:italic;" if lang == "en" else "font-weight:bold;"
            cell = _cell(
                "td",
                text_in(item, lang),
                align="left",
                bottom=bottom,
                extra=style,
                attrs=f' colspan="{t.ncol}"',
            )
            out.append("<tr>" + cell + "</tr>")
            continue
        cells = []
        for col, text in enumerate(item.cells):
            indent = f"padding-left:{8 + 16 * item.indent}px;" if col == 0 and item.indent else ""
            tag = "th" if col == 0 else "td"
            cells.append(
                _cell(
                    tag,
                    text_in(text, lang),
                    align=_TEXT_ALIGN[t.align[col]],
                    bottom=bottom,
                    extra=indent
                    + ("font-weight:normal;" if tag == "th" else "")
                    + (_NOWRAP if col and is_numeric(text_in(text, lang)) else ""),
                    attrs=' scope="row"' if tag == "th" else "",
                )
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    notes = t.notes(lang)
    if notes:
        out.append("<tfoot>")
        for lead, text in notes:
            lead_html = "<i>Note.</i>" if lead == "Note." else html.escape(lead)
            sep = " " if lead and lang == "en" else ""
            out.append(
                f'<tr><td colspan="{t.ncol}" style="{_CELL}text-align:left;font-size:9pt;">'
                f"{lead_html}{sep}{html.escape(text)}</td></tr>"
            )
        out.append("</tfoot>")
    out.append("</table>")
    out.append("</div>")
    fragment = "\n".join(out) + "\n"
    if not standalone:
        return fragment
    doc_title = html.escape(f"{number} {text_in(t.title, lang)}".strip())
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{doc_title}</title>\n</head>\n<body>\n{fragment}</body>\n</html>\n"
    )
