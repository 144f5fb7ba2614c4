"""Publication tables: number formatting, the four renderers, the builders (jianfu.tables)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.core.io import FIXED_TIME
from jianfu.tables import (
    STAR_LEVELS,
    Label,
    NumberStyle,
    Panel,
    Row,
    Span,
    Table,
    TableError,
    conditional_effects_table,
    descriptives_table,
    did_table,
    docx_document,
    fit_table,
    fmt_ci,
    fmt_coef,
    fmt_num,
    fmt_p,
    fmt_se,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    mediation_table,
    regression_table,
    reliability_table,
    render_html,
    render_latex,
    render_markdown,
    significance_note,
    stars,
    write_docx,
    write_table,
)
from jianfu.tables.latex import escape_latex
from jianfu.tables.table import single_panel, text_in
from jianfu.tables.word import (
    add_table,
    is_numeric,
    needs_landscape,
    table_layout,
    unbreakable_tokens,
)

M = "\u2212"  # the minus sign every table uses
LABELS = {
    "A": {"zh": "甲构念", "en": "Construct A"},
    "B": {"zh": "乙构念", "en": "Construct B"},
    "C": {"zh": "丙构念", "en": "Construct C"},
    "Y": {"zh": "结果", "en": "Outcome Y"},
}


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "kind", "expected"),
    [
        (0.345, "r", ".35"),  # bounded by 1: no leading zero
        (0.345, "coef", "0.35"),  # unbounded: leading zero
        (-0.345, "r", f"{M}.35"),
        (-0.345, "coef", f"{M}0.35"),
        (0.9766, "fit", ".977"),
        (1.0002, "fit", "1.000"),  # TLI above 1 prints as 1.000
        (0.0225, "fit", ".023"),
        (0.1556, "r2", ".156"),
        (0.84, "alpha", ".84"),
        (0.341, "htmt", "0.34"),  # HTMT can exceed 1: keeps the zero
        (0.0136, "effect", "0.014"),
        (3.5069, "mean", "3.51"),
        (2142, "n", "2,142"),
        (1517.0, "df", "1,517"),
        (46419.7734, "chisq", "46,419.77"),
    ],
)
def test_fmt_num_leading_zero_decimals_and_thousands(x, kind, expected):
    assert fmt_num(x, kind) == expected


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.125, 2, "0.13"),  # Python's format gives 0.12 (half to even)
        (0.135, 2, "0.14"),
        (2.675, 2, "2.68"),  # binary 2.67499999… still rounds as printed
        (1.005, 2, "1.01"),
        (-0.125, 2, f"{M}0.13"),  # half away from zero
        (0.0005, 3, "0.001"),
        (0.12345, 4, "0.1235"),
    ],
)
def test_rounding_is_half_away_from_zero_on_the_printed_value(x, decimals, expected):
    assert fmt_num(x, "coef", decimals=decimals) == expected


def test_minus_sign_and_negative_zero():
    assert fmt_num(-1.5) == "\u22121.50"
    assert fmt_num(-1.5, style=NumberStyle(minus="-")) == "-1.50"
    assert fmt_num(-0.001) == "0.00"  # rounds to zero: no sign
    assert fmt_num(-0.004, "r") == ".00"


def test_style_options():
    assert fmt_num(0.345, "r", style=NumberStyle(leading_zero=True)) == "0.35"
    assert fmt_num(2142, "n", style=NumberStyle(thousands="")) == "2142"
    assert fmt_num(float("nan")) == "" and fmt_num(None, missing="—") == "—"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0004, "< .001"),
        (0.0009999, "< .001"),
        (0.001, ".001"),
        (0.0234, ".023"),
        (0.05, ".050"),
        (0.9996, "> .999"),
        (float("nan"), ""),
    ],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected


def test_fmt_p_prefix_and_invalid():
    assert fmt_p(0.0004, prefix=True) == "p < .001"
    assert fmt_p(0.0234, prefix=True) == "p = .023"
    with pytest.raises(JianfuError, match=r"p-value must lie in \[0, 1\]"):
        fmt_p(1.2)


@pytest.mark.parametrize(
    ("p", "mark"),
    [(0.0009, "***"), (0.001, "**"), (0.0099, "**"), (0.01, "*"), (0.049, "*"), (0.05, "")],
)
def test_stars_thresholds_are_strict(p, mark):
    assert stars(p) == mark


def test_stars_agree_with_the_models_stage():
    from jianfu.models.descriptives import MARKS

    assert STAR_LEVELS == MARKS
    assert stars(float("nan")) == "" and stars(None) == ""


def test_se_ci_coef_and_note():
    assert fmt_se(0.0258) == "(0.03)"
    assert fmt_ci(-0.1711, 0.0655) == f"[{M}0.17, 0.07]"
    assert fmt_ci(0.021384, 0.023591, "fit") == "[.021, .024]"
    assert fmt_ci(np.nan, 1.0) == ""
    assert fmt_coef(-0.1122, 1e-5) == f"{M}0.11***"
    assert fmt_coef(0.5, None) == "0.50"
    note = significance_note()
    assert note.en == "*p < .05. **p < .01. ***p < .001. Two-tailed."
    assert note.zh.startswith("* p < .05，** p < .01，*** p < .001")


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(JianfuError, match="unknown statistic kind 'beta2'"):
        fmt_num(0.5, "beta2")


# --- the table object and its renderers -----------------------------------------------------


def _demo(spanners: bool = True) -> Table:
    rows = (
        Row((Label("甲", "Alpha_1"), f"{M}0.11***", "0.20", "")),
        Row(("", "(0.03)", "(0.10)", "")),
    )
    return Table(
        name="demo",
        title=Label("示例表", "Demo Table"),
        header=(Label("变量", "Variable"), "M1", "M2", "M3"),
        spanners=((Span(Label("因变量", "Outcome A"), 1, 3), Span("B_&%", 3, 4)),)
        if spanners
        else (),
        panels=(
            Panel(rows, title=Label("A组", "Panel A")),
            Panel((Row(("N", "2,142", "2,142", "2,142"), indent=1),)),
        ),
        number=1,
        note=Label("示例注释 p < .05", "A demo note, p < .05"),
        significance=significance_note(),
        source=Label("作者计算", "Authors' calculations"),
    )


def test_table_checks_its_shape():
    with pytest.raises(TableError, match="row 1 has 2 cells, the header has 3"):
        Table("t", "T", ("a", "b", "c"), (Panel((Row(("x", "y")),)),))
    with pytest.raises(TableError, match="out of range"):
        Table("t", "T", ("a", "b"), (Panel((Row(("x", "y")),)),), spanners=((Span("s", 1, 3),),))
    with pytest.raises(TableError, match="unknown language 'fr'"):
        render_markdown(_demo(), "fr")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _rules(docx_table) -> set[tuple]:
    """Every drawn border of the Word table: (row, edge, size, first column, last column)."""
    tbl = docx_table._tbl
    for el in tbl.tblPr.iter():  # the table's own borders are all switched off
        if el.tag.startswith(_W) and el.get(f"{_W}val") not in (None, "nil", "none"):
            assert not el.tag.endswith(("left", "right", "insideV", "insideH", "top", "bottom"))
    rules = set()
    for r, tr in enumerate(tbl.tr_lst):
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            borders = tc.tcPr.find(f"{_W}tcBorders")
            for b in [] if borders is None else list(borders):
                if b.get(f"{_W}val") not in ("nil", "none"):
                    edge = b.tag[len(_W) :]
                    rules.add((r, edge, int(b.get(f"{_W}sz")), col, col + span - 1))
            col += span
    return rules


def _merge(rules: set[tuple]) -> set[tuple]:
    """Join adjacent cell borders into rules: (row, edge, size, first column, last column)."""
    out, by_key = set(), {}
    for r, edge, sz, a, b in sorted(rules):
        by_key.setdefault((r, edge, sz), []).append((a, b))
    for (r, edge, sz), spans in by_key.items():
        start, end = spans[0]
        for a, b in spans[1:]:
            if a == end + 1:
                end = b
            else:
                out.add((r, edge, sz, start, end))
                start, end = a, b
        out.add((r, edge, sz, start, end))
    return out


def test_docx_has_exactly_the_three_rules_and_the_cell_texts(tmp_path):
    from docx import Document

    path = tmp_path / "demo.docx"
    write_docx(_demo(spanners=False), path, "en")
    doc = Document(str(path))
    (t,) = doc.tables
    # header, panel title, 2 rows, panel-less N row
    assert [c.text for c in t.rows[0].cells] == ["Variable", "M1", "M2", "M3"]
    assert [c.text for c in t.rows[2].cells] == ["Alpha_1", f"{M}0.11***", "0.20", ""]
    assert t.rows[1].cells[0].text == "Panel A"
    last = len(t.rows) - 1
    assert _merge(_rules(t)) == {(0, "top", 12, 0, 3), (0, "bottom", 6, 0, 3),
                                 (last, "bottom", 12, 0, 3)}  # fmt: skip
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["Table 1", "Demo Table"]
    assert texts[2:] == ["Note. A demo note, p < .05", significance_note().en,
                         "Source: Authors' calculations"]  # fmt: skip


def test_docx_spanners_get_a_short_rule_only_under_their_columns():
    doc = docx_document(_demo(), "zh")
    (t,) = doc.tables
    last = len(t.rows) - 1
    assert _merge(_rules(t)) == {
        (0, "top", 12, 0, 3),  # top rule, over the spanner row
        (0, "bottom", 4, 1, 3),  # \cmidrule under "因变量" (1-2) and "B_&%" (3), adjacent
        (1, "bottom", 6, 0, 3),  # rule under the header
        (last, "bottom", 12, 0, 3),  # bottom rule
    }
    assert t.rows[0].cells[1].text == "因变量" and t.rows[0].cells[2].text == "因变量"
    assert doc.paragraphs[0].text == "表1 示例表"
    assert doc.paragraphs[1].text.startswith("注：示例注释")


def test_docx_fonts_are_set_for_latin_and_east_asian_text():
    doc = docx_document(_demo(), "zh")
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [
        r for row in doc.tables[0].rows for c in row.cells for p in c.paragraphs for r in p.runs
    ]
    assert runs
    for run in runs:
        fonts = run._element.rPr.rFonts
        assert fonts.get(f"{_W}eastAsia") == "SimSun"
        assert fonts.get(f"{_W}ascii") == "Times New Roman"


def test_docx_is_byte_identical_on_re_render(tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    write_docx([_demo(), _demo(spanners=False)], a, "zh")
    write_docx([_demo(), _demo(spanners=False)], b, "zh")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(io.BytesIO(a.read_bytes())) as z:
        assert {i.date_time for i in z.infolist()} == {FIXED_TIME.timetuple()[:6]}


def test_docx_goes_landscape_when_the_table_is_wide():
    from docx.enum.section import WD_ORIENT

    assert docx_document(_demo(), "en").sections[0].orientation == WD_ORIENT.PORTRAIT
    wide = Table("w", "W", tuple(f"column {i}" for i in range(16)),
                 (Panel((Row(tuple("−0.123***" for _ in range(16))),)),))  # fmt: skip
    assert docx_document(wide, "en").sections[0].orientation == WD_ORIENT.LANDSCAPE


def test_latex_booktabs_rules_and_escapes():
    tex = render_latex(_demo(), "en")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1
    assert r"\cmidrule(lr){2-3} \cmidrule(lr){4-4}" in tex
    assert r"\multicolumn{2}{c}{Outcome A}" in tex
    assert r"B\_\&\%" in tex and r"Alpha\_1" in tex
    assert r"$-$0.11***" in tex
    assert r"\begin{tabular}{lccc}" in tex  # no vertical rules
    assert r"\label{tab:demo}" in tex and r"\caption{Demo Table}" in tex
    assert r"\item \textit{Note.} A demo note, p $<$ .05" in tex
    assert r"\multicolumn{4}{l}{\textit{Panel A}}" in tex and r"\quad N &" in tex
    zh = render_latex(_demo(), "zh", standalone=True)
    assert zh.startswith(r"\documentclass{ctexart}") and r"\item 注：示例注释" in zh


def test_escape_latex():
    assert escape_latex("a_b & 50% $x #1 {y} ~^\\") == (
        r"a\_b \& 50\% \$x \#1 \{y\} \textasciitilde{}\textasciicircum{}\textbackslash{}"
    )
    assert escape_latex(f"{M}α < χ²") == r"$-\alpha$ $<$ $\chi^{2}$"


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_pipe_table_and_notes():
    md = render_markdown(_demo(), "en")
    lines = md.splitlines()
    assert lines[:3] == ["**Table 1**", "", "*Demo Table*"]
    table = [ln for ln in lines if ln.startswith("|")]
    assert all(_unescaped_pipes(ln) == 5 for ln in table)
    assert table[0] == r"| Variable | Outcome A / M1 | Outcome A / M2 | B\_&% / M3 |"
    assert table[1] == "|:---|:---:|:---:|:---:|"
    assert r"| Alpha\_1 | −0.11\*\*\* | 0.20 |  |" in table
    assert "| **Panel A** |  |  |  |" in table
    assert "*Note.* A demo note, p < .05" in lines
    assert "Source: Authors' calculations" in lines
    assert render_markdown(_demo(), "zh").startswith("**表1** 示例表\n")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.seen, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, dict(attrs)))
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_table_with_the_three_rules():
    out = render_html(_demo(), "en")
    parser = _Tags()
    parser.feed(out)
    assert parser.stack == []  # balanced
    assert out.startswith('<div class="table-wrap" style="overflow-x:auto;')  # scrolls
    assert out.rstrip().endswith("</table>\n</div>")
    for forbidden in ("<link", "<script", "<style", "src=", "href=", "border-left", "border-right"):
        assert forbidden not in out
    styles = [a.get("style", "") for _, a in parser.seen]
    spans = [int(a.get("colspan", 1)) for _, a in parser.seen]
    top = sum(n for n, s in zip(spans, styles, strict=True) if "border-top:1.5pt" in s)
    assert top == 4  # the first header row, over every column
    assert sum("border-bottom:0.5pt" in s for s in styles) == 2  # the two spanners
    assert sum("border-bottom:0.75pt" in s for s in styles) == 4
    assert sum("border-bottom:1.5pt" in s for s in styles) == 4  # last body row
    (spanner,) = [a for tag, a in parser.seen if tag == "th" and a.get("colspan") == "2"]
    assert spanner["scope"] == "colgroup" and "border-bottom:0.5pt" in spanner["style"]
    assert "B_&amp;%" in out and "Alpha_1" in out
    doc = render_html(_demo(), "zh", standalone=True)
    assert doc.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in doc
    assert "注：示例注释" in doc


def test_write_table_writes_every_format_and_language(tmp_path):
    paths = write_table(_demo(), tmp_path)
    assert sorted(p.name for p in paths) == sorted(
        f"demo_{lang}.{ext}" for lang in ("zh", "en") for ext in ("docx", "tex", "md", "html")
    )
    with pytest.raises(TableError, match="unknown format"):
        write_table(_demo(), tmp_path, formats=["pdf"])


# --- builders ---------------------------------------------------------------------------------


def _cells(table: Table, lang: str = "en") -> list[list[str]]:
    return [[text_in(c, lang) for c in row.cells] for row in table.rows()]


def _summary(n=(500, 500, 500)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variable": ["A", "B", "C"],
            "n": list(n),
            "mean": [3.5069, 3.3786, -0.232],
            "sd": [0.8099, 0.8566, 0.972],
            "alpha": [0.8377, 0.8205, np.nan],
            "label_zh": ["甲", "乙", "丙"],
            "label_en": ["a", "b", "c"],
        }
    )


def _correlations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "var1": ["B", "C", "C"],
            "var2": ["A", "A", "B"],
            "r": [0.2962, -0.0512, 0.004],
            "p": [1e-40, 0.021, 0.86],
            "n": [500, 500, 500],
        }
    )


def test_descriptives_table():
    t = descriptives_table(_summary(), _correlations(), LABELS)
    assert [text_in(h, "en") for h in t.header] == ["Variable", "M", "SD", "1", "2", "3"]
    assert _cells(t) == [
        ["1. Construct A", "3.51", "0.81", "(.84)", "", ""],
        ["2. Construct B", "3.38", "0.86", ".30***", "(.82)", ""],
        ["3. Construct C", f"{M}0.23", "0.97", f"{M}.05*", ".00", "—"],
    ]
    assert t.note.en.startswith("N = 500. Cronbach's α in parentheses on the diagonal")
    # labels from the summary when the dict has none; unequal n gives an N column
    t2 = descriptives_table(_summary(n=(500, 498, 500)), _correlations())
    assert _cells(t2, "zh")[1][:2] == ["2. 乙", "498"]


def test_descriptives_table_missing_pair():
    with pytest.raises(TableError, match=r"no row for \(C, B\)"):
        descriptives_table(_summary(), _correlations().iloc[:2], LABELS)


def test_reliability_table():
    rel = pd.DataFrame({"construct": ["A", "B"], "raw_alpha": [0.8377, 0.8205],
                        "std_alpha": [0.84, 0.82], "n_items": [4, 3], "n": [500, 500]})  # fmt: skip
    crave = pd.DataFrame(
        {
            "construct": ["A", "B"],
            "omega_semtools": [0.8404, 0.8208],
            "ave_semtools": [0.5759, 0.6045],
            "cr_fornell_larcker": [0.8421, 0.8212],
            "ave_fornell_larcker": [0.5759, 0.6052],
        }
    )
    t = reliability_table(rel, crave, LABELS)
    assert _cells(t) == [
        ["Construct A", "4", ".84", ".84", ".84", ".58"],
        ["Construct B", "3", ".82", ".82", ".82", ".61"],
    ]
    assert _cells(reliability_table(rel, crave, LABELS, variant="semtools"))[1][-1] == ".60"
    with pytest.raises(TableError, match="unknown variant 'x'"):
        reliability_table(rel, crave, variant="x")
    with pytest.raises(TableError, match="missing column"):
        reliability_table(rel.drop(columns="raw_alpha"), crave)


def _matrix(diag, off) -> pd.DataFrame:
    m = pd.DataFrame(np.nan, index=["A", "B", "C"], columns=["A", "B", "C"])
    for i, v in enumerate(diag):
        m.iat[i, i] = v
    m.iat[1, 0], m.iat[2, 0], m.iat[2, 1] = off
    return m.rename_axis("index").reset_index()


def test_fornell_larcker_and_htmt_tables():
    fl = fornell_larcker_table(_matrix([0.7589, 0.7779, 0.8225], [0.3736, -0.2614, 0.4227]))
    assert _cells(fl) == [
        ["1. A", "(.76)", "", ""],
        ["2. B", ".37", "(.78)", ""],
        ["3. C", f"{M}.26", ".42", "(.82)"],
    ]
    ht = htmt_table(_matrix([np.nan] * 3, [0.3411, 0.2511, 1.02]), LABELS)
    assert _cells(ht)[2] == ["3. Construct C", "0.25", "1.02", "—"]
    bad = _matrix([1, 1, 1], [0, 0, 0]).set_index("index")
    bad.columns = ["A", "C", "B"]
    with pytest.raises(TableError, match="same constructs in the same order"):
        htmt_table(bad)


def test_fit_table_from_the_measure_and_models_outputs():
    cfa = {"chisq": 3160.266, "df": 1517.0, "pvalue": 0.0, "cfi": 0.976561, "tli": 0.974459,
           "rmsea": 0.022488, "rmsea_ci_lower": 0.021384, "rmsea_ci_upper": 0.023591,
           "srmr": 0.036233, "n": 2142.0}  # fmt: skip
    methods = pd.DataFrame(
        {
            "index": ["single_factor", "trait", "trait_method"],
            "chisq": [46419.77, 3160.27, 1447.0],
            "df": [1595.0, 1517.0, 1459.0],
            "pvalue": [0.0, 0.0, 0.58],
            "cfi": [0.3606, 0.9766, 1.0],
            "tli": [0.3374, 0.9745, 1.0002],
            "rmsea": [0.1145, 0.0225, 0.0],
            "srmr": [0.1228, 0.0362, 0.0130],
        }
    )
    stats = {"chisq": 2017.42, "df": 1946.0, "cfi": 0.999, "tli": 0.9989, "rmsea": 0.0041,
             "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.0066, "srmr": 0.0163}  # fmt: skip
    fit = pd.DataFrame(
        [("sem", "model", 1, k, v) for k, v in stats.items()] + [("h1", "FB", 1, "r2", 0.15)],
        columns=["spec", "equation", "step", "statistic", "value"],
    )
    fits = measurement_fits(cfa, methods, fit)
    assert list(fits.index) == ["single_factor", "trait", "trait_method", "sem"]
    t = fit_table(fits)
    assert _cells(t) == [
        ["Single-factor model", "46,419.77", "1,595", "29.10", ".361", ".337", ".115", "—",
         ".123"],
        ["Measurement model (CFA)", "3,160.27", "1,517", "2.08", ".977", ".974", ".022",
         "[.021, .024]", ".036"],
        ["Measurement model + common method factor", "1,447.00", "1,459", "0.99", "1.000",
         "1.000", ".000", "—", ".013"],
        ["Structural equation model", "2,017.42", "1,946", "1.04", ".999", ".999", ".004",
         "[.000, .007]", ".016"],
    ]  # fmt: skip
    with pytest.raises(TableError, match="unknown SEM spec 'sem2'"):
        measurement_fits(fit=fit, sem_specs=["sem2"])


def _regression_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    method = "OLS, SE cluster by township_code"
    rows = [
        ("h1", 1, "const", 3.2873, 0.0942, 1e-200),
        ("h1", 1, "gender", 0.0277, 0.0313, 0.376),
        ("h1", 2, "const", 5.1103, 0.1180, 1e-200),
        ("h1", 2, "gender", 0.0134, 0.0269, 0.619),
        ("h1", 2, "A", -0.1122, 0.0258, 1.4e-5),
        ("h1", 2, "B", -0.0536, 0.0245, 0.0288),
        ("h1", 2, "A:B", -0.0632, 0.0174, 0.0003),
        ("h2", 1, "const", 2.6126, 0.1201, 1e-100),
        ("h2", 1, "A", 0.5804, 0.0283, 1e-80),
    ]
    coef = pd.DataFrame(
        [
            {
                "spec": s,
                "kind": "ols",
                "equation": "Y",
                "step": st,
                "term": t,
                "estimate": e,
                "se": se,
                "p": p,
                "method": method,
                "n": 2142,
            }
            for s, st, t, e, se, p in rows
        ]
    )
    coef = pd.concat([coef, coef.iloc[[0]].assign(kind="mixed", spec="h7")], ignore_index=True)
    stats = {
        ("h1", 1): {"n": 2142, "r2": 0.000626, "delta_r2": 0.000626, "f_change": 0.2676,
                    "p_change": 0.93},
        ("h1", 2): {"n": 2142, "r2": 0.155566, "delta_r2": 0.15494, "f_change": 43.3632,
                    "p_change": 7.9e-72},
        ("h2", 1): {"n": 2140, "r2": 0.3087, "delta_r2": 0.3087, "f_change": 237.0,
                    "p_change": 1e-160},
    }  # fmt: skip
    fit = pd.DataFrame(
        [(s, "Y", st, k, v) for (s, st), d in stats.items() for k, v in d.items()],
        columns=["spec", "equation", "step", "statistic", "value"],
    )
    return coef, fit


def test_regression_table():
    coef, fit = _regression_frames()
    t = regression_table(coef, fit, ["h1", "h2"], LABELS)
    assert [text_in(h, "en") for h in t.header] == ["Variable", "Model 1", "Model 2", "Model 1"]
    assert [(text_in(s.text, "en"), s.start, s.stop) for s in t.spanners[0]] == [
        ("Outcome Y", 1, 3),
        ("Outcome Y", 3, 4),
    ]
    cells = _cells(t)
    assert [c[0] for c in cells] == [
        "gender", "", "Construct A", "", "Construct B", "", "Construct A × Construct B", "",
        "Constant", "", "N", "R²", "ΔR²", "ΔF",
    ]  # fmt: skip
    assert cells[2] == ["Construct A", "", f"{M}0.11***", "0.58***"]
    assert cells[3] == ["", "", "(0.03)", "(0.03)"]
    assert cells[8] == ["Constant", "3.29***", "5.11***", "2.61***"]
    assert cells[10:] == [
        ["N", "2,142", "2,142", "2,140"],
        ["R²", ".001", ".156", ".309"],
        ["ΔR²", ".001", ".155", ".309"],
        ["ΔF", "0.27", "43.36***", "237.00***"],
    ]
    assert "cluster-robust standard errors (by township)" in t.note.en
    assert "按乡镇聚类" in t.note.zh and "mean-centred" in t.note.en


def test_regression_table_collapses_controls_and_rejects_unknown_specs():
    coef, fit = _regression_frames()
    t = regression_table(coef, fit, "h1", LABELS, collapse=["gender"], steps=[2])
    cells = _cells(t)
    assert ["Controls", "Yes"] in cells and "gender" not in [c[0] for c in cells]
    assert "Controls: gender." in t.note.en
    with pytest.raises(TableError, match=r"no ols coefficients for \['h7'\]"):
        regression_table(coef, fit, ["h7"])


def _effects() -> pd.DataFrame:
    boot = "PROCESS model 6, bootstrap percentile, 5000 resamples"
    ols = "PROCESS model 1, conditional effect (OLS)"
    rows = [
        ("med", "A→B→C→Y", "ind[B]", 0.013617, 0.005445, 0.003645, 0.024673, boot),
        ("med", "A→B→C→Y", "ind[B->C]", 0.037596, 0.004289, 0.029545, 0.046516, boot),
        ("med", "A→B→C→Y", "ind[total]", 0.103385, 0.011216, 0.082235, 0.125623, boot),
        ("mod", "A→Y", "A|B=-1 SD", -0.118122, 0.02685, -0.170777, -0.065467, ols),
        ("mod", "A→Y", "JN point 1 (B)", 2.145258, np.nan, np.nan, np.nan, "Johnson–Neyman, 95%"),
        ("mod", "A→Y", "A|B=+1 SD", -0.225572, 0.028509, -0.281479, -0.169664, ols),
        ("mod", "A→Y", "A|B=mean", -0.171847, 0.020173, -0.211407, -0.132287, ols),
        ("mod", "A→Y", "A|B=p16", -0.109317, 0.029001, -0.166189, -0.052445, ols),
        ("mm", "A→B→Y", "imm[B]", 0.030415, 0.010761, 0.010055, 0.052232, boot),
        ("mm", "A→B→Y", "ind[B|C=mean]", 0.080582, 0.010465, 0.061049, 0.101641, boot),
    ]
    return pd.DataFrame(
        rows, columns=["spec", "equation", "term", "estimate", "se", "ci_low", "ci_high", "method"]
    )


def test_mediation_table():
    t = mediation_table(_effects(), LABELS)
    assert len(t.panels) == 1
    assert text_in(t.panels[0].title, "en") == "Construct A → Construct B → Construct C → Outcome Y"
    assert _cells(t) == [
        ["Via Construct B", "0.014", "0.005", "[0.004, 0.025]"],
        ["Via Construct B → Construct C", "0.038", "0.004", "[0.030, 0.047]"],
        ["Total indirect effect", "0.103", "0.011", "[0.082, 0.126]"],
    ]
    assert _cells(t, "zh")[0][0] == "经由 乙构念"
    assert t.note.en.startswith("Percentile bootstrap 95% CIs (5,000 resamples); an effect")
    with pytest.raises(TableError, match="no indirect effects"):
        mediation_table(_effects(), specs="mod")
    with pytest.raises(TableError, match=r"no rows for spec\(s\) \['nope'\]"):
        mediation_table(_effects(), specs=["nope"])


def test_conditional_effects_table():
    t = conditional_effects_table(_effects(), LABELS, specs=["mod", "mm"])
    assert [text_in(p.title, "en") for p in t.panels] == [
        "Construct A → Outcome Y (moderator: Construct B)",
        "Construct A → Construct B → Outcome Y (moderator: Construct C)",
    ]
    assert _cells(t) == [
        ["Low (M − 1 SD)", f"{M}0.118", "0.027", f"[{M}0.171, {M}0.065]"],
        ["Mean (M)", f"{M}0.172", "0.020", f"[{M}0.211, {M}0.132]"],
        ["High (M + 1 SD)", f"{M}0.226", "0.029", f"[{M}0.281, {M}0.170]"],
        ["Johnson–Neyman point 1", "2.15", "—", "—"],
        ["Indirect effect: mean (M)", "0.081", "0.010", "[0.061, 0.102]"],
        ["Index of moderated mediation", "0.030", "0.011", "[0.010, 0.052]"],
    ]
    pct = conditional_effects_table(_effects(), specs="mod", points=["p16"])
    assert _cells(pct)[0][0] == "16th percentile"


def test_conditional_effects_table_rejects_unknown_terms_and_points():
    bad = _effects().assign(term=lambda d: d["term"].replace({"A|B=mean": "slope(A)"}))
    with pytest.raises(TableError, match=r"cannot read the term 'slope\(A\)' of mod"):
        conditional_effects_table(bad, specs="mod")
    with pytest.raises(TableError, match="unknown points"):
        conditional_effects_table(_effects(), points=["-2 SD"])


def _did() -> pd.DataFrame:
    rows = []
    for est, shift in (("callaway_santanna", 0.0), ("twfe", 0.01)):
        rows.append(("RL", "meetings", est, "simple", "ATT", -0.1234 + shift, 0.0312, 1e-4))
        for term, value in (("overall", -0.12), ("e=1", -0.15), ("e=-1", 0.004), ("e=0", -0.1)):
            rows.append(("RL", "meetings", est, "dynamic", term, value + shift, 0.02, 0.03))
    frame = pd.DataFrame(
        rows,
        columns=["measure", "outcome", "estimator", "aggregation", "term", "estimate", "se", "p"],
    )
    frame["ci_low"] = frame["estimate"] - 0.04
    frame["ci_high"] = frame["estimate"] + 0.04
    frame["cband_low"] = np.nan  # extra columns are ignored
    return frame


def test_did_table():
    labels = {
        "RL": {"zh": "权责清单", "en": "Duty lists"},
        "meetings": {"zh": "会议", "en": "Meetings"},
    }
    t = did_table(_did(), labels)
    assert [text_in(h, "en") for h in t.header] == ["Estimate", "Callaway–Sant'Anna", "TWFE"]
    assert [(text_in(s.text, "en"), s.start, s.stop) for s in t.spanners[0]] == [
        ("Duty lists", 1, 3)
    ]
    assert text_in(t.panels[0].title, "zh") == "会议"
    cells = _cells(t)
    assert cells[0] == ["Average treatment effect (ATT)", f"{M}0.123***", f"{M}0.113***"]
    assert cells[1] == ["", "(0.031)", "(0.031)"]
    assert cells[2][0] == "Event study (event time e)"
    assert [c[0] for c in cells[3::2]] == [f"e = {M}1", "e = 0", "e = 1", "Overall"]
    assert cells[3][1:] == ["0.004*", "0.014*"]
    ci = did_table(_did(), labels, second="ci", aggregations=["simple"])
    assert _cells(ci)[1] == ["", f"[{M}0.163, {M}0.083]", f"[{M}0.153, {M}0.073]"]
    assert ci.note.en.startswith("95% confidence intervals in brackets")


def test_did_table_requires_its_columns():
    with pytest.raises(TableError, match=r"missing column.*ci_high"):
        did_table(_did().drop(columns="ci_high"))
    with pytest.raises(TableError, match="unknown second 'p'"):
        did_table(_did(), second="p")
    with pytest.raises(TableError, match="unknown twfe2"):
        did_table(_did(), estimators=["twfe2"])


# --- the pipeline's own outputs (when `dvc repro` has made them) ------------------------------

_REPORTS = ROOT / "reports"
_MODELS = ROOT / "data" / "processed" / "models"


@pytest.mark.skipif(
    not (_REPORTS / "models" / "table1__summary.csv").exists()
    or not (_MODELS / "effects.parquet").exists(),
    reason="pipeline outputs not built",
)
def test_builders_accept_the_pipeline_outputs(tmp_path):
    def csv(path):
        return pd.read_csv(_REPORTS / path, encoding="utf-8-sig")

    coef = pd.read_parquet(_MODELS / "coefficients.parquet")
    fit = pd.read_parquet(_MODELS / "fit.parquet")
    effects = pd.read_parquet(_MODELS / "effects.parquet")
    cfa = json.loads((_REPORTS / "measure" / "cfa_fit.json").read_text(encoding="utf-8"))
    ols = sorted(coef.loc[coef["kind"] == "ols", "spec"].unique())
    tables = [
        descriptives_table(
            csv("models/table1__summary.csv"), csv("models/table1__correlations.csv")
        ),
        reliability_table(csv("measure/reliability.csv"), csv("measure/cr_ave.csv")),
        fornell_larcker_table(csv("measure/fornell_larcker.csv")),
        htmt_table(csv("measure/htmt_semtools.csv")),
        fit_table(measurement_fits(cfa, csv("measure/method_factor_fits.csv"), fit)),
        regression_table(coef, fit, ols),
        mediation_table(effects),
        conditional_effects_table(effects),
    ]
    for t in tables:
        for lang in ("zh", "en"):
            assert render_markdown(t, lang) and render_latex(t, lang) and render_html(t, lang)
    write_docx(tables, tmp_path / "all.docx", "zh")
    assert (tmp_path / "all.docx").stat().st_size > 10_000


# --- Word: widths from content, numbers never wrap --------------------------------------------

_SERIF = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")


def _wide(ncol: int, cell: str = f"{M}0.11***", stub: str = "Results-oriented view") -> Table:
    rows = [Row((f"{stub} {i}", *(cell,) * ncol)) for i in range(3)]
    rows.append(Row(("", *(f"[{M}0.16, {M}0.06]",) * ncol)))
    return Table("w", "W", ("Variable", *(f"Model {i + 1}" for i in range(ncol))),
                 single_panel(rows))  # fmt: skip


def test_unbreakable_tokens_keep_numbers_whole():
    assert unbreakable_tokens(f"{M}0.11***") == [f"{M}0.11***"]
    assert unbreakable_tokens("< .001") == ["< .001"]  # the space in a p-value does not break
    assert unbreakable_tokens(f"[{M}0.16, {M}0.06]") == [f"[{M}0.16,", f"{M}0.06]"]
    assert unbreakable_tokens("2,142") == ["2,142"]
    assert unbreakable_tokens("[.021, .024]") == ["[.021, .024]"]  # no break before "."
    assert unbreakable_tokens("Digital empowerment") == ["Digital", "empowerment"]
    assert unbreakable_tokens("模型1 工作投入") == ["模", "型1", "工", "作", "投", "入"]
    assert is_numeric("(.84)") and is_numeric("—") and not is_numeric("Yes")


def test_columns_are_as_wide_as_their_numbers_and_the_stub_takes_the_rest():
    table = _wide(5)
    portrait = 8311  # A4 less 3.17 cm margins
    layout = table_layout(table, "en", portrait)
    assert layout.fits and layout.size_pt == 10.5
    assert sum(layout.widths) == pytest.approx(portrait)
    # the five estimate columns are equally wide, the stub wider, and the stub wraps first
    assert len({round(w) for w in layout.widths[1:]}) == 1
    assert layout.widths[0] > layout.widths[1]
    assert not needs_landscape(table, "en", portrait)
    # 11 columns do not fit portrait at 五号: flagged; landscape (A4 less 3.17 cm) fits
    assert needs_landscape(_wide(11), "en", portrait)
    assert table_layout(_wide(11), "en", 13243).size_pt == 10.5
    # in portrait anyway, the font shrinks instead of breaking numbers
    assert table_layout(_wide(11), "en", portrait).size_pt < 10.5
    squeezed = table_layout(_wide(40), "en", portrait)
    assert not squeezed.fits and squeezed.size_pt == 7.5


@pytest.mark.skipif(not _SERIF.exists(), reason="Liberation Serif (Times metrics) not installed")
def test_every_number_fits_its_column_in_the_real_font_metrics():
    from fontTools.ttLib import TTFont

    font = TTFont(str(_SERIF))
    cmap, hmtx, upem = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm

    def twips(text: str, size: float) -> float:
        return sum(hmtx[cmap[ord(ch)]][0] for ch in text) / upem * size * 20

    for ncol, width in ((5, 8311), (11, 8311), (11, 13243), (14, 13243)):
        table = _wide(ncol)
        layout = table_layout(table, "en", width)
        for row in table.rows():
            for col, text in enumerate(row.cells[1:], start=1):
                room = layout.widths[col] - 2 * layout.pad_twips
                for token in unbreakable_tokens(text):
                    assert twips(token, layout.size_pt) <= room, (ncol, width, token)


def test_docx_numeric_cells_do_not_wrap_and_widths_sum_to_the_grid():
    doc = docx_document(_wide(5), "en")
    (t,) = doc.tables
    tcs = t._tbl.tr_lst[1].tc_lst
    assert [tc.tcPr.find(f"{_W}noWrap") is not None for tc in tcs] == [False] + [True] * 5
    ci_row = t._tbl.tr_lst[-1].tc_lst  # a CI may break after its comma: no noWrap
    assert all(tc.tcPr.find(f"{_W}noWrap") is None for tc in ci_row)
    grid = [int(c.get(f"{_W}w")) for c in t._tbl.tblGrid.iter(f"{_W}gridCol")]
    assert [int(tc.tcPr.find(f"{_W}tcW").get(f"{_W}w")) for tc in tcs] == grid
    assert int(t._tbl.tblPr.find(f"{_W}tblW").get(f"{_W}w")) == sum(grid)


def test_add_table_caption_hook_replaces_the_plain_caption():
    from docx import Document

    doc = Document()
    seen = []

    def caption(d):
        seen.append(d)
        d.add_paragraph("CAPTION FIELD")

    layout = add_table(doc, _demo(), "zh", caption=caption)
    assert seen == [doc] and layout.fits
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "CAPTION FIELD" and "表1 示例表" not in texts


def test_html_numbers_do_not_wrap():
    out = render_html(_wide(3), "en")
    parser = _Tags()
    parser.feed(out)
    styles = {a.get("style", "") for tag, a in parser.seen if tag == "td"}
    assert any("white-space:nowrap" in s for s in styles)
    stub = [a for tag, a in parser.seen if tag == "th" and a.get("scope") == "row"]
    assert stub and not any("nowrap" in a["style"] for a in stub)  # the stub wraps
