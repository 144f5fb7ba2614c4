"""Word output that renders: the report's Word conventions, and tables whose numbers never break.

The fast tests check the XML that `jianfu.report.wordstyle` writes (fields, fonts, colours,
sections) and the unbroken-number check itself. The slow ones render .docx files to PDF with
LibreOffice (``soffice --headless --convert-to pdf``) and read the PDF's text with poppler's
``pdftotext -layout``: every number of every table must appear whole on one line of the PDF.
They skip, saying why, where LibreOffice or poppler is not installed
(``apt-get install libreoffice-writer-nogui poppler-utils fonts-noto-cjk``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jianfu.core.io import save_docx
from jianfu.report import wordstyle
from jianfu.tables import descriptives_table, regression_table, write_docx
from jianfu.tables.word import is_numeric, needs_landscape, unbreakable_tokens

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
M = "\u2212"
SPACES = re.compile(r"\s+")


# --- the check: every table number whole on one line of the PDF ------------------------------


def table_numbers(docx_path: Path) -> Counter:
    """The unbreakable pieces of every numeric cell of every table in a .docx, counted."""
    from docx import Document

    wanted: Counter = Counter()
    for table in Document(str(docx_path)).tables:
        for tr in table._tbl.tr_lst:
            for tc in tr.tc_lst:
                text = "".join(t.text or "" for t in tc.iter(f"{W}t"))
                if is_numeric(text):
                    wanted.update(SPACES.sub("", t) for t in unbreakable_tokens(text))
    return wanted


def broken_numbers(wanted: Counter, pdf_text: str) -> list[str]:
    """The numbers of `wanted` found whole on fewer lines of `pdf_text` than they occur in the
    tables: broken across lines (or lost). Spaces are ignored, a line is one line of
    ``pdftotext -layout``."""
    lines = [SPACES.sub("", line) for line in pdf_text.splitlines()]
    missing = []
    for token, n in sorted(wanted.items()):
        if sum(line.count(token) for line in lines) < n:
            missing.append(token)
    return missing


def _tools() -> tuple[str, str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None:
        pytest.skip(
            "LibreOffice (soffice) is not on PATH: apt-get install libreoffice-writer-nogui"
        )
    if pdftotext is None:
        pytest.skip("pdftotext is not on PATH: apt-get install poppler-utils")
    return soffice, pdftotext


def render_pdf_text(docx_files: list[Path], out: Path) -> dict[Path, str]:
    """Each .docx rendered to PDF by LibreOffice, then its text (``pdftotext -layout``)."""
    soffice, pdftotext = _tools()
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "lo-profile"  # a private profile: no clash with a running LibreOffice
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(out), *map(str, docx_files)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    texts = {}
    for docx in docx_files:
        pdf = out / (docx.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {docx}"
        proc = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True,
                              capture_output=True, timeout=120)  # fmt: skip
        texts[docx] = proc.stdout.decode("utf-8")
    return texts


def test_the_check_finds_a_number_broken_across_lines():
    wanted = Counter({f"{M}0.11***": 2, "(0.03)": 1, "[.021,": 1, ".024]": 1})
    whole = f"Model  {M}0.11***   {M}0.11***\n  (0.03)  [.021,\n .024]\n"
    assert broken_numbers(wanted, whole) == []
    broken = f"Model  {M}0.1  {M}0.11***\n 1***  (0.03\n )  [.021, .024]\n"
    assert broken_numbers(wanted, broken) == ["(0.03)", f"{M}0.11***"]


# --- realistic wide tables from the builders ----------------------------------------------------

NAMES = [
    ("正确政绩观", "Results-oriented view of achievement"),
    ("权责清单", "Duty lists and delineation of responsibilities"),
    ("精文减会", "Fewer documents and meetings"),
    ("智能技术赋能", "Digital empowerment"),
    ("减负反馈渠道", "Feedback channels on burden reduction"),
    ("容错纠错机制", "Fault tolerance"),
    ("履责督察", "Supervision of duty performance"),
    ("数字素养", "Digital literacy"),
    ("公共服务动机", "Public service motivation"),
    ("形式主义负担", "Formalism burden"),
    ("情绪耗竭", "Emotional exhaustion"),
    ("工作投入（精气神）", "Work engagement"),
    ("服务群众成效", "Service outcomes"),
    ("乡镇行政工作量（标准化）", "Township workload (z)"),
]
CODES = [f"V{i + 1}" for i in range(len(NAMES))]
LABELS = {c: {"zh": zh, "en": en} for c, (zh, en) in zip(CODES, NAMES, strict=True)}


def wide_descriptives():
    """A 14-variable correlation matrix with stars, like Table 1 of the report."""
    rng = np.random.default_rng(17)
    summary = pd.DataFrame({
        "variable": CODES, "n": 2142, "mean": rng.uniform(-0.3, 4, 14),
        "sd": rng.uniform(0.7, 1.1, 14), "alpha": [*rng.uniform(0.8, 0.95, 13), np.nan],
    })  # fmt: skip
    pairs = [(a, b) for i, a in enumerate(CODES) for b in CODES[:i]]
    correlations = pd.DataFrame({
        "var1": [a for a, _ in pairs], "var2": [b for _, b in pairs],
        "r": rng.uniform(-0.45, 0.45, len(pairs)), "p": rng.choice([1e-9, 0.004, 0.03, 0.4],
                                                                    len(pairs)), "n": 2142,
    })  # fmt: skip
    return descriptives_table(summary, correlations, LABELS, number=1)


def wide_regression():
    """Five models side by side, every coefficient like −0.11*** over its SE."""
    rng = np.random.default_rng(12)
    specs = [f"s{i}" for i in range(5)]
    terms = ["const", *CODES[:9], "V4:V8"]
    coef = pd.DataFrame([
        {"spec": s, "kind": "ols", "equation": CODES[9 + i % 4], "step": 1, "term": t,
         "estimate": rng.uniform(-0.3, 0.3) if t != "const" else 3.2, "se": 0.031,
         "p": rng.choice([1e-5, 0.003, 0.02, 0.3]), "method": "OLS, SE cluster by township_code",
         "n": 2142}
        for i, s in enumerate(specs) for t in terms
    ])  # fmt: skip
    fit = pd.DataFrame([
        (s, CODES[9 + i % 4], 1, k, v) for i, s in enumerate(specs)
        for k, v in {"n": 2142, "r2": 0.1556, "delta_r2": 0.1556, "f_change": 43.36,
                     "p_change": 1e-9}.items()
    ], columns=["spec", "equation", "step", "statistic", "value"])  # fmt: skip
    return regression_table(coef, fit, specs, LABELS, number=2)


def test_the_wide_tables_are_wide():
    regression, descriptives = wide_regression(), wide_descriptives()
    assert regression.ncol == 6 and descriptives.ncol == 17
    assert f"{M}" in "".join(c for r in regression.rows() for c in r.cells[1:])
    portrait = 8311  # A4 less 3.17 cm margins
    assert not needs_landscape(regression, "zh", portrait)
    assert needs_landscape(descriptives, "en", portrait)


# --- wordstyle: the XML Word reads ----------------------------------------------------------


def build_styled(path: Path, lang: str = "zh") -> None:
    from docx import Document

    from jianfu.tables.word import add_table

    doc = Document()
    wordstyle.setup_document(doc, lang, "重庆市基层减负研究 结项报告")
    doc.add_heading("重庆市基层减负研究", level=0)
    wordstyle.add_page_break(doc)
    wordstyle.add_toc(doc, lang)
    doc.add_heading("一、研究背景", level=1)
    doc.add_heading("（一）问题", level=2)
    doc.add_heading("1. 子问题", level=3)
    wordstyle.add_body(doc, "正文。" * 20, lang)
    table = wide_regression()
    add_table(doc, table, lang,
              caption=lambda d: wordstyle.add_caption(d, "table", 2, "层级回归", lang))  # fmt: skip
    wordstyle.start_section(doc, landscape=True)
    add_table(doc, wide_descriptives(), lang,
              caption=lambda d: wordstyle.add_caption(d, "table", 1, "描述统计", lang))  # fmt: skip
    wordstyle.start_section(doc, landscape=False)
    wordstyle.add_caption(doc, "figure", 3, "路径图", lang)
    wordstyle.add_note(doc, "来源：stage figures")
    save_docx(doc, path)


def _xml(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def test_wordstyle_fields_fonts_sections_and_reproducibility(tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    build_styled(a)
    build_styled(b)
    assert a.read_bytes() == b.read_bytes()
    body, styles = _xml(a, "word/document.xml"), _xml(a, "word/styles.xml")
    settings = _xml(a, "word/settings.xml")
    assert 'TOC \\o "1-3" \\h \\z \\u' in body and "更新域" in body
    assert body.count("SEQ 表 \\* ARABIC") == 2 and body.count("SEQ 图 \\* ARABIC") == 1
    assert '<w:updateFields w:val="true"/>' in settings
    footers = [n for n in zipfile.ZipFile(a).namelist() if n.startswith("word/footer")]
    assert any(" PAGE " in _xml(a, n) for n in footers)
    headers = [n for n in zipfile.ZipFile(a).namelist() if n.startswith("word/header")]
    assert any("重庆市基层减负研究 结项报告" in _xml(a, n) for n in headers)

    from docx import Document

    doc = Document(str(a))
    for level, size in ((1, 16), (2, 14), (3, 12)):
        style = doc.styles[f"Heading {level}"].element
        fonts = style.rPr.rFonts
        assert fonts.get(f"{W}eastAsia") == "SimHei" and fonts.get(f"{W}ascii") == "Times New Roman"
        assert fonts.get(f"{W}asciiTheme") is None and fonts.get(f"{W}eastAsiaTheme") is None
        (color,) = style.rPr.findall(f"{W}color")
        assert color.get(f"{W}val") == "000000" and color.get(f"{W}themeColor") is None
        assert doc.styles[f"Heading {level}"].font.size.pt == size
    assert "4F81BD" not in styles.split("<w:style ")[0]  # no blue in the defaults
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 12 and normal.paragraph_format.line_spacing == 1.5
    assert normal.element.rPr.rFonts.get(f"{W}eastAsia") == "SimSun"
    caption = doc.styles["Caption"]
    assert caption.font.size.pt == 10.5
    assert caption.element.rPr.rFonts.get(f"{W}eastAsia") == "SimHei"

    first, landscape, last = doc.sections
    assert first.different_first_page_header_footer  # the cover has no header or footer
    assert round(first.page_width.cm, 2) == 21.0 and round(first.left_margin.cm, 2) == 3.17
    assert round(first.top_margin.cm, 2) == 2.54
    assert (round(landscape.page_width.cm, 1), round(landscape.page_height.cm, 1)) == (29.7, 21.0)
    assert landscape.orientation == 1 and round(landscape.left_margin.cm, 2) == 3.17
    assert (
        landscape.header.is_linked_to_previous and not landscape.different_first_page_header_footer
    )
    assert last.orientation == 0 and last.footer.is_linked_to_previous


def test_caption_text_and_bad_arguments():
    from docx import Document

    doc = Document()
    wordstyle.setup_document(doc, "en", "Report")
    p = wordstyle.add_caption(doc, "figure", 3, "Path diagram", "en")
    assert p.text == "Figure 3. Path diagram" and p.style.name == "Caption"
    assert not p.paragraph_format.keep_with_next
    t = wordstyle.add_caption(doc, "table", 4, "Fit", "en")
    assert t.text == "Table 4. Fit" and t.paragraph_format.keep_with_next
    doc_zh = Document()
    wordstyle.setup_document(doc_zh, "zh", "报告")
    assert wordstyle.add_caption(doc_zh, "table", 2, "回归", "zh").text == "表 2 回归"
    with pytest.raises(wordstyle.WordStyleError, match="'figure' or 'table'"):
        wordstyle.add_caption(doc, "chart", 1, "x", "en")
    with pytest.raises(wordstyle.WordStyleError, match="unknown language 'fr'"):
        wordstyle.setup_document(Document(), "fr", "x")
    with pytest.raises(wordstyle.WordStyleError, match="like '1-3'"):
        wordstyle.add_toc(doc, "en", levels="1..3")


# --- rendered: LibreOffice ------------------------------------------------------------------


@pytest.mark.slow
def test_rendered_tables_keep_every_number_whole(tmp_path):
    files = []
    for lang in ("zh", "en"):
        for table in (wide_regression(), wide_descriptives()):
            files.append(tmp_path / f"{table.name}_{lang}.docx")
            write_docx(table, files[-1], lang)
    files.append(tmp_path / "styled.docx")
    build_styled(files[-1])
    texts = render_pdf_text(files, tmp_path / "pdf")
    for path, text in texts.items():
        wanted = table_numbers(path)
        assert sum(wanted.values()) > 50, path
        assert broken_numbers(wanted, text) == [], path.name


@pytest.mark.slow
def test_the_old_fixed_widths_fail_the_check(tmp_path, monkeypatch):
    """Columns scaled into the portrait width at 10.5 pt and free to wrap: what the report did
    before; LibreOffice breaks the numbers and the check sees it."""
    from jianfu.tables import word

    def old_layout(table, lang, width, sizes=word.SIZES_PT):
        natural = word.natural_widths(table, lang)
        scaled = tuple(w * width / sum(natural) for w in natural)
        return word.Layout(word.TABLE_PT, word.PAD_TWIPS, scaled, True)

    monkeypatch.setattr(word, "table_layout", old_layout)
    monkeypatch.setattr(word, "_no_wrap", lambda cell: None)
    path = tmp_path / "old.docx"
    write_docx([wide_regression(), wide_descriptives()], path, "en", landscape=False)
    (text,) = render_pdf_text([path], tmp_path / "pdf").values()
    broken = broken_numbers(table_numbers(path), text)
    assert len(broken) > 10, broken


@pytest.mark.slow
def test_pipeline_report_and_tables_keep_every_number_whole(pipeline_project, tmp_path):
    project, _, _ = pipeline_project
    files = [project / "reports" / "report.docx", *sorted(project.glob("reports/tables/*.docx"))]
    texts = render_pdf_text(files, tmp_path / "pdf")
    for path, text in texts.items():
        assert broken_numbers(table_numbers(path), text) == [], path.name


# --- the questionnaire's matrix questions ---------------------------------------------------


def test_matrix_questions_give_the_item_wording_most_of_the_width(codebook):
    from jianfu.codebook.render import matrix_widths, render_docx

    widths = matrix_widths(("非常不同意", "不同意", "一般", "同意", "非常同意"), 8311)
    assert sum(widths) == pytest.approx(8311)
    assert widths[0] > 0.55 * 8311 and len(set(widths[1:])) == 1  # 24 characters a line
    english = matrix_widths(("Strongly disagree", "Disagree", "Neutral"), 8311)
    assert english[1] > 8 * 0.5 * 9 * 20  # "Disagree" fits its column whole
    doc = render_docx(codebook, "zh")
    matrices = [t for t in doc.tables if len(t.columns) > 3]
    assert matrices
    for table in matrices:
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.iter(f"{W}gridCol")]
        assert len(set(grid[1:])) == 1 and grid[1] <= 3 * 9 * 20 + 114  # 3 characters of 9 pt
        assert grid[0] == sum(grid) - grid[1] * (len(grid) - 1) and grid[0] > 0.4 * sum(grid)
        assert table.rows[0].cells[1].text in ("非常不同意", "从不")
        assert all(row.cells[1].text == "○" for row in table.rows[1:])
    assert doc.sections[0].orientation == 0 and round(doc.sections[0].page_width.cm, 1) == 21.0
