"""The project report (结项报告) as Word and HTML, and the figure/table register FIGURES.md.

Both documents come from the same sections (`jianfu.report.content`), tables (`jianfu.tables`)
and figure manifest (written by the figures stage). Figures are captioned with their source:
the stage, the function and the params that made them. The .docx is byte-reproducible
(`jianfu.core.io.save_docx`); the HTML is one self-contained file (figures as embedded PNG, no
external assets).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from jianfu.core.io import save_docx, write_text
from jianfu.report.content import Section
from jianfu.tables.markup import render_html
from jianfu.tables.table import Table
from jianfu.tables.word import EAST_ASIA_FONT, LATIN_FONT, add_table

TITLE = {
    "zh": "重庆市基层减负研究：措施、机制与成效——结项报告",
    "en": "Burden Reduction for Grassroots Cadres in Chongqing: Measures, Mechanisms and "
    "Outcomes — Final Project Report",
}
FIGURE = {"zh": "图", "en": "Figure"}
SOURCE = {"zh": "来源", "en": "Source"}


def _caption(entry: dict, number: int, lang: str) -> tuple[str, str]:
    title = entry["title"][lang]
    params = ", ".join(entry.get("params", [])) or "—"
    source = (
        f"{SOURCE[lang]}: stage {entry['stage']}, {entry['function']}; params {params}; "
        f"inputs {', '.join(entry.get('inputs', []))}"
    )
    sep = "" if lang == "zh" else "."
    return f"{FIGURE[lang]}{'' if lang == 'zh' else ' '}{number}{sep} {title}", source


def figure_numbers(sections: list[Section], manifest: dict[str, dict]) -> dict[str, int]:
    """Figure key -> number, in order of first appearance (figures missing from the manifest
    are skipped)."""
    numbers: dict[str, int] = {}
    for sec in sections:
        for kind, key in sec.blocks:
            if kind == "figure" and key in manifest and key not in numbers:
                numbers[key] = len(numbers) + 1
    return numbers


def write_docx(
    path: Path,
    sections: list[Section],
    tables: dict[str, tuple[Table, list[str]]],
    manifest: dict[str, dict],
    figure_root: Path,
    lang: str,
    front: list[tuple[str, dict[str, str]]],
) -> dict[str, int]:
    """Write the report; returns the counts of figures and tables it holds. `front`: the first
    page's paragraphs after the title, ("notice" (bold) | "p", text by language)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    doc.add_heading(TITLE[lang], level=0)
    for kind, text in front:
        para = doc.add_paragraph()
        run = para.add_run(text[lang])
        run.bold = kind == "notice"
    numbers = figure_numbers(sections, manifest)
    counts = {"figures": 0, "tables": 0}
    for sec in sections:
        doc.add_heading(sec.heading[lang], level=1)
        for kind, value in sec.blocks:
            if kind == "p":
                doc.add_paragraph(value[lang])
            elif kind == "table" and value in tables:
                add_table(doc, tables[value][0], lang)
                doc.add_paragraph()
                counts["tables"] += 1
            elif kind == "figure" and value in manifest:
                entry = manifest[value]
                png = figure_root / entry["files"][lang]["png"]
                doc.add_picture(str(png), width=Cm(15.5))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                title, source = _caption(entry, numbers[value], lang)
                cap = doc.add_paragraph(title)
                cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
                small = doc.add_paragraph(source)
                for run in small.runs:
                    run.font.size = Pt(8)
                counts["figures"] += 1
    save_docx(doc, path)
    return counts


CSS = """
body { font-family: "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
       max-width: 48em; margin: 2em auto; line-height: 1.6; color: #222; }
.notice { border: 1px solid #b00; padding: .6em 1em; color: #800; font-weight: bold; }
figure { margin: 1.5em 0; text-align: center; } figure img { max-width: 100%; }
figcaption { font-size: .95em; } .source { font-size: .8em; color: #555; }
.data-source { font-weight: bold; }
"""


def write_html(
    path: Path,
    sections: list[Section],
    tables: dict[str, tuple[Table, list[str]]],
    manifest: dict[str, dict],
    figure_root: Path,
    lang: str,
    front: list[tuple[str, dict[str, str]]],
) -> None:
    """One self-contained HTML file (figures embedded as PNG data)."""
    numbers = figure_numbers(sections, manifest)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{html.escape(TITLE[lang])}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(TITLE[lang])}</h1>",
    ]
    for kind, text in front:
        css = "notice" if kind == "notice" else "data-source"
        parts.append(f'<p class="{css}">{html.escape(text[lang])}</p>')
    for sec in sections:
        parts.append(f"<h2>{html.escape(sec.heading[lang])}</h2>")
        for kind, value in sec.blocks:
            if kind == "p":
                parts.append(f"<p>{html.escape(value[lang])}</p>")
            elif kind == "table" and value in tables:
                parts.append(render_html(tables[value][0], lang))
            elif kind == "figure" and value in manifest:
                entry = manifest[value]
                png = (figure_root / entry["files"][lang]["png"]).read_bytes()
                title, source = _caption(entry, numbers[value], lang)
                data = base64.b64encode(png).decode("ascii")
                parts.append(
                    f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(title)}</figcaption>"
                    f'<p class="source">{html.escape(source)}</p></figure>'
                )
    parts.append("</body></html>")
    write_text(path, "\n".join(parts) + "\n")


def figures_register(
    sections: list[Section],
    tables: dict[str, tuple[Table, list[str]]],
    manifest: dict[str, dict],
    sources: dict[str, str],
    left_out: dict[str, str] | None = None,
) -> str:
    """reports/FIGURES.md: every figure and table of the report with its provenance; `left_out`
    (what the report leaves out -> why: a skipped stage's reason) is listed after them."""
    numbers = figure_numbers(sections, manifest)
    lines = [
        "# Figures and tables of the report",
        "",
        "Generated by the `report` stage; every entry names the stage, the function and the",
        "params that made it. The report holds exactly these figures and tables.",
        "",
        "## Figures",
        "",
        "| # | figure | function | stage | params | inputs | files |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, n in numbers.items():
        e = manifest[key]
        files = ", ".join(sorted({f for lang in e["files"].values() for f in lang.values()}))
        lines.append(
            f"| {n} | {e['title']['en']} ({e['title']['zh']}) | `{e['function']}` | "
            f"{e['stage']} | {', '.join(e.get('params', [])) or '—'} | "
            f"{', '.join(e.get('inputs', []))} | {files} |"
        )
    lines += ["", "## Tables", "", "| # | table | builder inputs | files |", "|---|---|---|---|"]
    placed = [v for sec in sections for k, v in sec.blocks if k == "table" and v in tables]
    for n, key in enumerate(dict.fromkeys(placed), start=1):
        table, keys = tables[key]
        title = table.title
        text = title.en if hasattr(title, "en") else str(title)
        files = f"reports/tables/{table.name}_{{zh,en}}.{{docx,tex,md,html}}"
        lines.append(f"| {n} | {text} | {'; '.join(sources[k] for k in keys)} | {files} |")
    if left_out:
        lines += [
            "",
            "## Left out",
            "",
            "Not made for these data: the stage they need was skipped (no file exists).",
            "",
            "| left out | why |",
            "|---|---|",
        ]
        lines += [f"| {what} | {why} |" for what, why in left_out.items()]
    return "\n".join(lines) + "\n"
