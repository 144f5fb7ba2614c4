"""The project report (结项报告) as Word and HTML, and the figure/table register FIGURES.md.

Both documents come from the same sections (`jianfu.report.content`), tables (`jianfu.tables`)
and figure manifest (written by the figures stage). Word conventions (`jianfu.report.wordstyle`):
a cover page, 摘要, a TOC field (目录), headings 标题1–2 in 黑体, body 宋体/Times New Roman,
captions as Word caption fields (题注: SEQ 图 / SEQ 表), a header and page numbers; tables that
do not fit the portrait width go in landscape sections. Citations ``[@key]`` are numbered in
order of first appearance and listed under 参考文献 in GB/T 7714-2015
(`jianfu.report.references`). Each figure's and table's source (stage, function, params,
inputs) goes to an appendix, or under the item with params ``report.provenance: caption``.
The .docx is byte-reproducible (`jianfu.core.io.save_docx`); the HTML is one self-contained
file (figures as embedded PNG, no external assets).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field, replace
from pathlib import Path

from jianfu.core.io import save_docx, write_text
from jianfu.report import references, wordstyle
from jianfu.report.content import Section
from jianfu.tables.markup import render_html
from jianfu.tables.table import Table, text_in
from jianfu.tables.word import add_table, needs_landscape, text_width_twips

FIGURE = {"zh": "图", "en": "Figure"}
TABLE = {"zh": "表", "en": "Table"}
SOURCE = {"zh": "来源", "en": "Source"}
TOC = {"zh": "目录", "en": "Contents"}
#: tables with long row labels that read better across a landscape page
LANDSCAPE = {"hypotheses", "pretrends"}
#: the style of the sections' paragraphs (Word's built-in 正文文本), apart from notes and captions
BODY_STYLE = "Body Text"


@dataclass
class Report:
    """Everything one document is made of (both formats)."""

    sections: list[Section]
    tables: dict[str, tuple[Table, list[str]]]
    manifest: dict[str, dict]
    figure_root: Path
    lang: str
    front: list[tuple[str, dict[str, str]]]
    cover: dict
    header: dict
    bibliography: dict[str, dict]
    provenance: str = "appendix"  # appendix | caption
    #: filled by `prepare`: paragraph texts with citations numbered, the cited keys in order
    texts: dict[int, str] = field(default_factory=dict)
    cited: list[str] = field(default_factory=list)

    def prepare(self) -> None:
        """Number the citations of every paragraph (document order) for `lang`."""
        ids, raw = [], []
        for sec in self.sections:
            for kind, value in sec.blocks:
                if kind == "p":
                    ids.append(id(value))
                    raw.append(value[self.lang])
        new, self.cited = references.number_citations(raw, known=self.bibliography)
        self.texts = dict(zip(ids, new, strict=True))

    def text(self, value: dict[str, str]) -> str:
        return self.texts.get(id(value), value[self.lang])

    def cover_text(self, key: str) -> str:
        value = self.cover.get(key, "")
        if value is None or isinstance(value, str | int | float):
            return str(value or "")
        return str(value.get(self.lang, "") or "")  # {zh, en} (a mapping of params)


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


def _table_source(table: Table, lang: str) -> str:
    return text_in(table.source, lang) if table.source is not None else ""


def provenance_lines(rep: Report) -> list[str]:
    """'图3：来源: stage …' for every figure and table, in order (the provenance appendix)."""
    lang = rep.lang
    lines = []
    for key, n in figure_numbers(rep.sections, rep.manifest).items():
        _, source = _caption(rep.manifest[key], n, lang)
        lines.append(f"{FIGURE[lang]}{'' if lang == 'zh' else ' '}{n}: {source}")
    placed = [v for s in rep.sections for k, v in s.blocks if k == "table" and v in rep.tables]
    for key in dict.fromkeys(placed):
        table = rep.tables[key][0]
        lines.append(f"{table.caption_number(lang)}: {_table_source(table, lang)}")
    return lines


def _heading(sec: Section, lang: str) -> str:
    return sec.heading[lang]


def write_docx(path: Path, rep: Report) -> dict[str, int]:
    """Write the report; returns the counts of figures and tables it holds."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    lang = rep.lang
    rep.prepare()
    doc = Document()
    wordstyle.setup_document(doc, lang, rep.header.get(lang, ""))
    # the cover
    for _ in range(4):
        doc.add_paragraph()
    doc.add_paragraph(rep.cover_text("title"), style="Title")
    sub = doc.add_paragraph(rep.cover_text("subtitle"), style="Title")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(6):
        doc.add_paragraph()
    labels = {"team": ("课题组", "Team"), "institution": ("单位", "Institution"),
              "project_no": ("项目编号", "Project no."), "date": ("日期", "Date")}  # fmt: skip
    for key, (zh, en) in labels.items():
        value = rep.cover_text(key)
        if value:
            para = doc.add_paragraph(f"{zh if lang == 'zh' else en}：{value}" if lang == "zh"
                                     else f"{en}: {value}")  # fmt: skip
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    for kind, text in rep.front:
        para = doc.add_paragraph()
        run = para.add_run(text[lang])
        run.bold = kind == "notice"
        run.font.size = Pt(10.5)
    wordstyle.add_page_break(doc)

    numbers = figure_numbers(rep.sections, rep.manifest)
    counts = {"figures": 0, "tables": 0}
    portrait = text_width_twips(doc)
    toc_done = False
    for sec in rep.sections:
        if sec.numbered and not toc_done:  # 目录 after 摘要, before the body
            wordstyle.add_page_break(doc)
            wordstyle.add_toc(doc, lang)
            wordstyle.add_page_break(doc)
            toc_done = True
        doc.add_heading(_heading(sec, lang), level=sec.level)
        if sec.kind == "references":
            for line in references.reference_list(rep.cited, rep.bibliography):
                doc.add_paragraph(line)
            continue
        if sec.kind == "provenance":
            if rep.provenance == "appendix":
                for line in provenance_lines(rep):
                    para = doc.add_paragraph(line)
                    for run in para.runs:
                        run.font.size = Pt(9)
            else:
                doc.add_paragraph(
                    "每幅图、每张表的来源写在其下方。" if lang == "zh"
                    else "Each figure's and table's source is printed under it."
                )  # fmt: skip
            continue
        for kind, value in sec.blocks:
            if kind == "p":
                body = wordstyle.add_body(doc, rep.text(value), lang)
                body.style = doc.styles[BODY_STYLE]
            elif kind == "table" and value in rep.tables:
                table = rep.tables[value][0]
                if rep.provenance == "appendix":
                    table = replace(table, source=None)
                wide = value in LANDSCAPE or needs_landscape(table, lang, portrait)
                if wide:
                    wordstyle.start_section(doc, landscape=True)
                title = text_in(table.title, lang)
                number = int(table.number)
                add_table(
                    doc, table, lang,
                    caption=lambda d, n=number, t=title: wordstyle.add_caption(
                        d, "table", n, t, lang),
                )  # fmt: skip
                if wide:
                    wordstyle.start_section(doc, landscape=False)
                else:
                    doc.add_paragraph()
                counts["tables"] += 1
            elif kind == "figure" and value in rep.manifest:
                entry = rep.manifest[value]
                png = rep.figure_root / entry["files"][lang]["png"]
                doc.add_picture(str(png), width=Cm(15.0))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                doc.paragraphs[-1].paragraph_format.keep_with_next = True
                _, source = _caption(entry, numbers[value], lang)
                wordstyle.add_caption(doc, "figure", numbers[value], entry["title"][lang], lang)
                if rep.provenance == "caption":
                    small = doc.add_paragraph(source)
                    for run in small.runs:
                        run.font.size = Pt(8)
                counts["figures"] += 1
    save_docx(doc, path)
    return counts


CSS = """
body { font-family: "Noto Serif SC", "Source Han Serif SC", "SimSun", serif;
       max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.7; color: #222; }
h1, h2, h3 { font-family: "Noto Sans SC", "Source Han Sans SC", "SimHei", sans-serif; }
.cover { text-align: center; margin-bottom: 3em; } .subtitle { font-size: 1.3em; }
.notice { border: 1px solid #b00; padding: .6em 1em; color: #800; font-weight: bold;
          text-align: left; }
.toc ul { list-style: none; padding-left: 0; } .toc li.l2 { padding-left: 2em; }
figure { margin: 1.5em 0; text-align: center; } figure img { max-width: 100%; }
figcaption { font-size: .95em; } .source { font-size: .8em; color: #555; }
.data-source { font-weight: bold; } .refs { font-size: .95em; }
"""


def write_html(path: Path, rep: Report) -> None:
    """One self-contained HTML file (figures embedded as PNG data), same content as the docx."""
    lang = rep.lang
    rep.prepare()
    numbers = figure_numbers(rep.sections, rep.manifest)
    title = rep.cover_text("title")
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f'<header class="cover"><h1>{esc(title)}</h1>'
        f'<p class="subtitle">{esc(rep.cover_text("subtitle"))}</p>',
    ]
    for key in ("team", "institution", "project_no", "date"):
        if value := rep.cover_text(key):
            parts.append(f'<p class="meta">{esc(value)}</p>')
    for kind, text in rep.front:
        css = "notice" if kind == "notice" else "data-source"
        parts.append(f'<p class="{css}">{esc(text[lang])}</p>')
    parts.append("</header>")
    anchors = [(f"s{i}", sec) for i, sec in enumerate(rep.sections)]
    toc = "".join(
        f'<li class="l{sec.level}"><a href="#{a}">{esc(_heading(sec, lang))}</a></li>'
        for a, sec in anchors
    )
    toc_done = False
    for anchor, sec in anchors:
        if sec.numbered and not toc_done:
            parts.append(f'<nav class="toc"><h2>{TOC[lang]}</h2><ul>{toc}</ul></nav>')
            toc_done = True
        tag = f"h{sec.level + 1}"
        parts.append(f'<{tag} id="{anchor}">{esc(_heading(sec, lang))}</{tag}>')
        if sec.kind == "references":
            parts.append('<ol class="refs">' + "".join(
                f"<li>{esc(line)}</li>"
                for line in references.reference_list(rep.cited, rep.bibliography)
            ) + "</ol>")  # fmt: skip
            continue
        if sec.kind == "provenance":
            if rep.provenance == "appendix":
                parts += [f'<p class="source">{esc(line)}</p>' for line in provenance_lines(rep)]
            continue
        for kind, value in sec.blocks:
            if kind == "p":
                parts.append(f"<p>{esc(rep.text(value))}</p>")
            elif kind == "table" and value in rep.tables:
                table = rep.tables[value][0]
                if rep.provenance == "appendix":
                    table = replace(table, source=None)
                parts.append(render_html(table, lang))
            elif kind == "figure" and value in rep.manifest:
                entry = rep.manifest[value]
                png = (rep.figure_root / entry["files"][lang]["png"]).read_bytes()
                cap, source = _caption(entry, numbers[value], lang)
                data = base64.b64encode(png).decode("ascii")
                src = f'<p class="source">{esc(source)}</p>' if rep.provenance == "caption" else ""
                parts.append(
                    f'<figure><img alt="{esc(cap)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{esc(cap)}</figcaption>{src}</figure>"
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
