"""Figures: every survey figure in Chinese and English on tiny tidy frames made here.

Checked for each figure and language: no glyph is missing from the fonts (matplotlib's "Glyph …
missing from font(s)" warning is an error in this module), re-running the figure function and
`save_figure` gives byte-identical PDF, SVG and PNG files, and the PDF embeds its fonts as
TrueType (no Type 3) with the text extractable. The PDF checks use poppler (`pdffonts`,
`pdftotext`) when installed, else pypdf when installed, else a structural byte check.

The font is built once per session (about 7 s); without the PyPI package that carries Noto Sans
SC (``pylopdf-fonts-zh-cn``) the figure tests skip and say so.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.figures import fonts, labels, save_figure, survey
from jianfu.figures._draw import fmt, stars
from jianfu.figures.style import figure_style, localize

pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")

LABELS = {
    "PV": {"zh": "正确政绩观", "en": "Results-oriented view of achievement"},
    "DM": {"zh": "精文减会", "en": "Fewer documents and meetings"},
    "DE": {"zh": "智能技术赋能", "en": "Digital empowerment"},
    "DL": {"zh": "数字素养", "en": "Digital literacy"},
    "FB": {"zh": "形式主义负担", "en": "Formalism burden"},
    "EE": {"zh": "情绪耗竭", "en": "Emotional exhaustion"},
    "WE": {"zh": "工作投入（精气神）", "en": "Work engagement"},
    "SO": {"zh": "服务群众成效", "en": "Service outcomes"},
}


#: The structural model of the study (params models.specs.sem), for the path diagram's layout.
SEM_MODEL = {
    "FB": ["PV", "RL", "DM", "DE", "FC", "FT", "AS", "DL", "workload", "DE_x_DL"],
    "EE": ["FB", "FT", "PSM", "FB_x_FT"],
    "WE": ["FB", "EE", "FT", "PSM"],
    "SO": ["FB", "EE", "WE", "AS"],
}
SEM_LABELS = {
    **LABELS,
    "RL": {"zh": "权责清单", "en": "Duty lists and delineation of responsibilities"},
    "FC": {"zh": "减负反馈渠道", "en": "Feedback channels on burden reduction"},
    "FT": {"zh": "容错纠错机制", "en": "Fault tolerance"},
    "AS": {"zh": "履责督察", "en": "Supervision of duty performance"},
    "PSM": {"zh": "公共服务动机", "en": "Public service motivation"},
    "workload": {"zh": "乡镇行政工作量", "en": "Township workload"},
}


def _sem_model() -> pd.DataFrame:
    """Every path of the study's model, with estimates close to the pipeline's (tight spots)."""
    rng = np.random.default_rng(7)
    rows = [
        {"kind": "sem", "equation": y, "term": x, "std": rng.uniform(-0.3, 0.3),
         "p": [1e-5, 0.004, 0.03, 0.4][k % 4]}
        for y, xs in SEM_MODEL.items() for k, x in enumerate(xs)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _test_codepoints() -> set[int]:
    """The font's extra ranges plus every character of the figures' texts and of these tests.

    The tests build the font on this subset (~1.5 s, 0.2 MB) instead of all of GB2312 (~7 s,
    2.4 MB): the build code is the same, and `test_charset_covers_every_fixed_text_and_label`
    checks the full character set separately.
    """
    texts = [t for label in (*survey.TEXT.values(), *survey.STEP_LABELS.values(),
             *survey.FAMILY_LABELS.values(), *LABELS.values()) for t in label.values()]  # fmt: skip
    texts += [str(v) for v in _likert()[2][["label_zh", "label_en"]].to_numpy().ravel()]
    texts += [str(v) for v in _likert()[1].filter(like="_").to_numpy().ravel()]
    texts += [localize(survey.TEXT["jn_point"], "zh"), "形式主义负担×容错纠错机制公共服务动机"]
    texts += [t for label in SEM_LABELS.values() for t in label.values()]
    extra = {cp for lo, hi in fonts.EXTRA_RANGES for cp in range(lo, hi + 1)}
    return extra | {ord(ch) for t in texts for ch in t}


@pytest.fixture(scope="session")
def font(cjk_font):
    return cjk_font


# --------------------------------------------------------------------------- tiny inputs


def _flow() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": ["duplicate", "attention_fail", "new_rule"],
            "rows_before": [120, 115, 104],
            "removed": [5, 11, 0],
            "rows_after": [115, 104, 104],
        }
    )


def _likert():
    rng = np.random.default_rng(3)
    responses = pd.DataFrame(
        {
            "PV1": rng.integers(1, 6, 40),
            "PV2": rng.integers(1, 6, 40),
            "EE1": rng.integers(0, 7, 40),
        }
    )
    responses.loc[0, "PV2"] = pd.NA
    items = pd.DataFrame(
        {
            "item": ["PV1", "PV2", "EE1"],
            "construct": ["PV", "PV", "EE"],
            "scale": ["agree5", "agree5", "freq7"],
            "reverse": [False, True, False],
            "label_zh": [
                "领导更看重工作的实际成效，而不是材料和痕迹",
                "新领导上任后，前任定下的规划和承诺常常被搁置不管",
                "忙完一天的工作，我连话都不想多说",
            ],
            "label_en": [
                "Leaders care more about the real results of our work than about paperwork",
                "When a new leader takes office, the plans of the predecessor are often shelved",
                "After a full day's work, I don't even feel like talking",
            ],
            "short_zh": [
                "领导看重实效而非材料痕迹",
                "新领导上任后前任规划常被搁置",
                "忙完一天连话都不想说",
            ],
            "short_en": [
                "Leaders value results over paperwork",
                "Plans are shelved when leaders change",
                "Too tired to talk after work",
            ],
        }
    )
    agree = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
    agree_en = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    freq = ["从不", "几乎没有", "很少", "有时", "经常", "十分频繁", "每天"]
    freq_en = ["Never", "Almost never", "Rarely", "Sometimes", "Often", "Very often", "Every day"]
    scales = pd.concat(
        [
            pd.DataFrame(
                {"scale": "agree5", "code": range(1, 6), "label_zh": agree, "label_en": agree_en}
            ),
            pd.DataFrame(
                {"scale": "freq7", "code": range(7), "label_zh": freq, "label_en": freq_en}
            ),
        ],
        ignore_index=True,
    )
    return responses, items, scales


def _correlations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "var1": ["DM", "FB", "FB"],
            "var2": ["PV", "PV", "DM"],
            "r": [0.31, -0.24, -0.02],
            "p": [1e-9, 1e-4, 0.4],
            "mark": ["***", "***", None],
        }
    )


def _cfa() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lhs": ["PV", "PV", "PV", "FB", "FB", "FB", "PV"],
            "op": ["=~", "=~", "=~", "=~", "=~", "=~", "~~"],
            "rhs": ["PV1", "PV2", "PV3", "FB1", "FB2", "FB3", "FB"],
            "std_all": [0.71, 0.78, 0.62, 0.8, 0.75, 0.69, -0.3],
        }
    )


def _coefficients() -> pd.DataFrame:
    def row(spec, kind, equation, step, term, est, p, std=np.nan):
        half = abs(est) / 2 + 0.01
        return {
            "spec": spec, "kind": kind, "equation": equation, "step": step, "term": term,
            "estimate": est, "se": half / 2, "p": p, "ci_low": est - half, "ci_high": est + half,
            "std": std, "std_ci_low": std - 0.05, "std_ci_high": std + 0.05,
        }  # fmt: skip

    rows = [
        row("h1_burden", "ols", "FB", 1, "const", 3.0, 0.0),
        row("h1_burden", "ols", "FB", 2, "PV", -0.09, 0.01),
        row("h1_burden", "ols", "FB", 2, "DM", -0.02, 0.4),
        row("h1_burden", "ols", "FB", 2, "DE", -0.05, 0.03),
        row("sem", "sem", "FB", 1, "PV", -0.1, 0.001, -0.11),
        row("sem", "sem", "FB", 1, "DM", -0.03, 0.3, -0.03),
        row("sem", "sem", "FB", 1, "DE", -0.06, 0.02, -0.07),
        row("sem", "sem", "FB", 1, "DE_x_DL", -0.08, 0.01, -0.08),
        row("sem", "sem", "EE", 1, "FB", 0.57, 1e-9, 0.46),
        row("sem", "sem", "WE", 1, "EE", -0.23, 1e-6, -0.23),
        row("sem", "sem", "WE", 1, "FB", -0.3, 1e-6, -0.24),
    ]
    for x in ("PV", "DM"):
        chain4, chain6 = f"{x}→FB→EE", f"{x}→FB→WE→SO"
        rows += [
            row("h5_exhaustion", "process", f"{chain4}: FB", 1, x, -0.22, 1e-9),
            row("h5_exhaustion", "process", f"{chain4}: EE", 1, x, 0.02, 0.4),
            row("h5_exhaustion", "process", f"{chain4}: EE", 1, "FB", 0.59, 1e-9),
            row("h5_exhaustion", "process", f"{chain4}: EE (total)", 1, x, -0.11, 1e-4),
            row("h5_serial", "process", f"{chain6}: FB", 1, x, -0.22, 1e-9),
            row("h5_serial", "process", f"{chain6}: WE", 1, x, 0.15, 1e-6),
            row("h5_serial", "process", f"{chain6}: WE", 1, "FB", -0.48, 1e-9),
            row("h5_serial", "process", f"{chain6}: SO", 1, x, 0.07, 0.001),
            row("h5_serial", "process", f"{chain6}: SO", 1, "FB", -0.06, 0.01),
            row("h5_serial", "process", f"{chain6}: SO", 1, "WE", 0.35, 1e-9),
            row("h5_serial", "process", f"{chain6}: SO (total)", 1, x, 0.17, 1e-9),
        ]
    return pd.DataFrame(rows)


def _effects() -> pd.DataFrame:
    rows = []
    for x in ("PV", "DM"):
        rows += [
            ("h5_exhaustion", f"{x}→FB→EE", "ind[FB]", -0.132, -0.16, -0.107),
            ("h5_serial", f"{x}→FB→WE→SO", "ind[FB]", 0.014, 0.004, 0.025),
            ("h5_serial", f"{x}→FB→WE→SO", "ind[FB->WE]", 0.038, 0.03, 0.047),
            ("h5_serial", f"{x}→FB→WE→SO", "ind[WE]", 0.052, 0.035, 0.07),
            ("h5_serial", f"{x}→FB→WE→SO", "ind[total]", 0.103, 0.082, 0.126),
        ]
    out = pd.DataFrame(rows, columns=["spec", "equation", "term", "estimate", "ci_low", "ci_high"])
    return out.assign(se=0.01)


@functools.cache
def _moderation_tables():
    """A PROCESS model 1 fit on simulated data, as the models stage tabulates it."""
    from jianfu.models.process import process_model1

    rng = np.random.default_rng(1)
    n = 300
    data = pd.DataFrame({"DE": rng.normal(3, 1, n), "DL": rng.normal(3, 1, n)})
    data["FB"] = 1 + 0.2 * data.DE + 0.1 * data.DL - 0.1 * data.DE * data.DL + rng.normal(0, 1, n)
    result = process_model1(data, "DE", "DL", "FB")
    coefs = result.coefficients.assign(spec="h3", equation="DE→FB: FB")
    jn = pd.DataFrame(
        {"term": [f"JN point {k} (DL)" for k, _ in enumerate(result.jn_points, 1)],
         "estimate": list(result.jn_points)}
    )  # fmt: skip
    effects = pd.concat([result.conditional.drop(columns="w"), jn], ignore_index=True)
    return coefs, effects.assign(spec="h3", equation="DE→FB"), result


def _recovery() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": ["latent_standardized"] * 3 + ["observed_score"] * 2,
            "equation": ["FB", "FB", "SO", "FB", "FB"],
            "term": ["PV", "DM", "FB", "PV", "DM"],
            "truth": [-0.12, -0.15, -0.05, -0.12, -0.11],
            "estimate": [-0.11, -0.13, 0.01, -0.11, -0.09],
            "ci_low": [-0.16, -0.18, -0.04, -0.16, -0.13],
            "ci_high": [-0.06, -0.08, 0.07, -0.06, -0.05],
            "covered": [True, True, False, True, True],
        }
    )


FIGURES = {
    "cleaning_flow": (
        lambda lang: survey.cleaning_flow(_flow(), lang=lang),
        {"zh": "重复提交", "en": "Duplicatesubmissions"},
    ),
    "likert_bars": (
        lambda lang: survey.likert_bars(*_likert(), labels=LABELS, lang=lang),
        {"zh": "非常同意", "en": "Stronglyagree"},
    ),
    "correlation_heatmap": (
        lambda lang: survey.correlation_heatmap(_correlations(), labels=LABELS, lang=lang),
        {"zh": "精文减会", "en": "Fewerdocuments"},
    ),
    "cfa_loadings": (
        lambda lang: survey.cfa_loadings(_cfa(), labels=LABELS, lang=lang),
        {"zh": "正确政绩观", "en": "Standardizedloading"},
    ),
    "sem_path_diagram": (
        lambda lang: survey.sem_path_diagram(_coefficients(), labels=LABELS, lang=lang),
        {"zh": "情绪耗竭", "en": "Emotionalexhaustion"},
    ),
    "burden_forest": (
        lambda lang: survey.burden_forest(
            _coefficients(), measures=["PV", "DM", "DE"], labels=LABELS, lang=lang
        ),
        {"zh": "智能技术赋能", "en": "Digitalempowerment"},
    ),
    "mediation_serial": (
        lambda lang: survey.mediation_diagram(
            _coefficients(), _effects(), spec="h5_serial", labels=LABELS, lang=lang
        ),
        {"zh": "服务群众成效", "en": "Serviceoutcomes"},
    ),
    "mediation_simple": (
        lambda lang: survey.mediation_diagram(
            _coefficients(), _effects(), spec="h5_exhaustion", x="PV", labels=LABELS, lang=lang
        ),
        {"zh": "间接效应", "en": "Indirecteffects"},
    ),
    "moderation_plot": (
        lambda lang: survey.moderation_plot(
            *_moderation_tables()[:2], spec="h3", x_range=(1, 5), labels=LABELS, lang=lang
        ),
        {"zh": "数字素养", "en": "Digitalliteracy"},
    ),
    "recovery_plot": (
        lambda lang: survey.recovery_plot(_recovery(), labels=LABELS, lang=lang),
        {"zh": "真值", "en": "Truevalue"},
    ),
}


# --------------------------------------------------------------------------- PDF checks


def _pdf_check(path, expected: str) -> None:
    """No Type 3 font, every font embedded, `expected` extractable (poppler/pypdf/bytes).

    `expected` is compared with the extracted text with all white space removed (line breaks
    and spacing depend on the extractor).
    """
    if shutil.which("pdffonts") and shutil.which("pdftotext"):
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True)
        assert listing.returncode == 0, listing.stderr
        assert "Mismatch" not in listing.stderr and "Error" not in listing.stderr, listing.stderr
        rows = listing.stdout.splitlines()[2:]
        assert rows, listing.stdout
        assert all("Type 3" not in r for r in rows), listing.stdout
        assert all(" yes " in r for r in rows), listing.stdout  # embedded
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        assert text.returncode == 0 and "Mismatch" not in text.stderr, text.stderr
        assert expected in "".join(text.stdout.split()), text.stdout
        return
    try:
        import pypdf
    except ImportError:
        data = path.read_bytes()
        assert b"/Type3" not in data
        assert b"/CIDFontType2" in data and b"/ToUnicode" in data and b"/FontFile2" in data
        return
    reader = pypdf.PdfReader(str(path))
    page = reader.pages[0]
    for font in page["/Resources"]["/Font"].values():
        assert font.get_object()["/Subtype"] != "/Type3"
    assert expected in "".join(page.extract_text().split())


def _hashes(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_renders_reproducibly_with_searchable_text(name, lang, font, tmp_path):
    make, expected = FIGURES[name]
    # the in-process re-run once per figure (zh: the CJK font path, the one more likely to vary);
    # both languages of every figure are compared byte for byte across processes by the forced
    # pipeline rerun (test_pipeline_rerun.py)
    runs = ("a", "b") if lang == "zh" else ("a",)
    for run in runs:  # a re-run makes the figure afresh, as a DVC re-run would
        written = save_figure(make(lang), tmp_path / run / name)
        assert [p.suffix for p in written] == [".pdf", ".svg", ".png"]
    if len(runs) == 2:
        assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert len(_hashes(tmp_path / "a")) == 3  # no temporary files left behind
    _pdf_check(tmp_path / "a" / f"{name}.pdf", expected[lang])


def test_figures_do_not_depend_on_the_hash_seed(font, tmp_path):
    """Drawing order must not follow set iteration (str hashing is salted per process)."""
    import os
    import sys

    script = (
        "import sys; sys.path.insert(0, 'tests'); import test_figures as T\n"
        "from jianfu.figures import fonts, save_figure\n"
        f"fonts.use_font({str(font.font)!r})\n"
        "fig = T.FIGURES['sem_path_diagram'][0]('zh')\n"
        "save_figure(fig, sys.argv[1] + '/sem', formats=['svg'])\n"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = tmp_path / seed
        out.mkdir()
        proc = subprocess.run([sys.executable, "-c", script, str(out)], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    assert _hashes(tmp_path / "1") == _hashes(tmp_path / "2")


def test_pdf_check_without_poppler(font, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    (path,) = save_figure(survey.cleaning_flow(_flow()), tmp_path / "flow", formats=["pdf"])
    _pdf_check(path, "重复提交")


def test_missing_glyph_is_an_error(font):
    import matplotlib as mpl

    fig = survey.cleaning_flow(_flow(), lang="en")
    fig.axes[0].text(0, 0, "形式主义", family="DejaVu Sans")
    with (
        mpl.rc_context({"font.family": ["DejaVu Sans"]}),
        pytest.raises(UserWarning, match="Glyph"),
    ):
        fig.savefig(io.BytesIO(), format="png")


def test_chinese_figure_needs_the_font(monkeypatch):
    monkeypatch.setattr(fonts, "font_family", lambda: None)
    with pytest.raises(JianfuError, match="build_font"):
        survey.cleaning_flow(_flow(), lang="zh")


# --------------------------------------------------------------------------- the font


def test_font_build_is_deterministic_and_licensed(font, tmp_path):
    from fontTools.ttLib import TTFont

    wanted = [ord(c) for c in "形式主义负担 Burden−0.12"]
    first = fonts.build_font(tmp_path / "a", codepoints=wanted)
    second = fonts.build_font(tmp_path / "b", codepoints=wanted)
    for a, b in zip(
        _hashes(tmp_path / "a").values(), _hashes(tmp_path / "b").values(), strict=True
    ):
        assert a == b
    tt = TTFont(first.font)
    assert "glyf" in tt and "CFF " not in tt
    assert tt["name"].getDebugName(1) == fonts.FONT_FAMILY
    assert set(wanted) <= set(tt.getBestCmap())
    ofl = first.license.read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in ofl and "Adobe" in ofl
    assert fonts.SOURCE_SHA256 in first.fontlog.read_text(encoding="utf-8")
    assert second.family == fonts.FONT_FAMILY


def test_charset_covers_every_fixed_text_and_label(font, codebook):
    from fontTools.ttLib import TTFont

    cmap = set(TTFont(str(fonts.source_font()), lazy=True).getBestCmap()) & fonts.charset()
    texts = [localize(t, lang) for t in (*survey.TEXT.values(), *survey.STEP_LABELS.values(),
             *survey.FAMILY_LABELS.values()) for lang in ("zh", "en")]  # fmt: skip
    texts += [c.label.zh for c in codebook.constructs]
    texts += [v.label.zh for s in codebook.scales.values() if s.ordinal for v in s.values]
    missing = sorted({ch for t in texts for ch in t if not ch.isspace() and ord(ch) not in cmap})
    assert not missing


def test_use_font_rejects_cff_outlines_and_missing_files(font, tmp_path):
    with pytest.raises(JianfuError, match="TrueType"):
        fonts.use_font(fonts.source_font())
    with pytest.raises(JianfuError, match="not found"):
        fonts.use_font(tmp_path / "nope.ttf")
    assert fonts.use_font(font.font) == fonts.FONT_FAMILY  # idempotent


def test_gb2312_charset():
    chars = fonts.gb2312_codepoints()
    assert len(chars) == 7445
    assert {ord("减"), ord("负")} <= chars
    assert {ord("A"), ord("→"), ord("−")} <= fonts.charset()


# --------------------------------------------------------------------------- pieces


def test_moderation_curve_recovered_from_the_tables():
    from jianfu.figures import _moderation

    coefs, effects, result = _moderation_tables()
    fit = _moderation.recover(coefs, effects, "h3")
    probes = result.conditional.set_index("term")["w"]
    recovered = fit.probes.set_index("label")["w"]
    for label, w in recovered.items():
        assert w == pytest.approx(probes[f"DE|DL={label}"], rel=1e-9)
    # the band's edge touches zero exactly at the Johnson–Neyman points
    theta, low, high, _ = fit.band(np.array(result.jn_points))
    edge = np.where(theta < 0, high, low)
    assert edge == pytest.approx(np.zeros(len(result.jn_points)), abs=1e-9)


def test_moderation_with_covariates_needs_their_values():
    from jianfu.figures import _moderation

    coefs, effects, _ = _moderation_tables()
    extra = coefs.iloc[[1]].assign(term="gender")
    with pytest.raises(JianfuError, match="covariate_means"):
        _moderation.recover(pd.concat([coefs, extra]), effects, "h3")


def test_invalid_inputs_raise_clear_errors(font):
    flow = _flow()
    flow.loc[1, "removed"] = 3
    with pytest.raises(ValueError, match="rows_after"):
        survey.cleaning_flow(flow)
    with pytest.raises(ValueError, match="measures without estimates"):
        survey.burden_forest(_coefficients(), measures=["PV", "XX"])
    responses, items, scales = _likert()
    with pytest.raises(ValueError, match="items not in the responses"):
        survey.likert_bars(responses.drop(columns="EE1"), items, scales)
    with pytest.raises(ValueError, match="lang"):
        survey.recovery_plot(_recovery(), lang="fr")
    with pytest.raises(ValueError, match="missing columns"):
        survey.cfa_loadings(_cfa().drop(columns="std_all"))


def test_labels_and_formatting(codebook):
    assert localize({"zh": "减负", "en": "burden reduction"}, "en") == "burden reduction"
    assert localize(codebook.construct("FB").label, "zh") == "形式主义负担"
    assert fmt(-0.123) == "−0.12" and fmt(-0.001) == "0.00"
    assert [stars(p) for p in (0.0001, 0.005, 0.04, 0.2)] == ["***", "**", "*", ""]
    assert labels.measure_codes(codebook) == ["PV", "RL", "DM", "DE", "FC", "FT", "AS"]
    items = labels.item_table(codebook)
    assert {"item", "construct", "scale", "reverse"} <= set(items.columns)
    assert set(items["scale"]) <= set(labels.scale_table(codebook)["scale"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with figure_style("en") as style:
            assert style.width("single") == pytest.approx(8.5 / 2.54)


# --------------------------------------------------------------------------- readability


def _texts(fig) -> list:
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_path_diagram_texts_do_not_overlap(lang, font):
    """Every label, box and legend text of the study's model is drawn clear of the others."""
    fig = survey.sem_path_diagram(_sem_model(), labels=SEM_LABELS, lang=lang)
    texts = _texts(fig)
    renderer = fig.canvas.get_renderer()
    extents = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    clashes = [(a, b) for (a, ea), (b, eb) in itertools.combinations(extents, 2) if ea.overlaps(eb)]
    assert not clashes
    # the edge labels also stay off the node boxes' frames
    boxed = [t.get_bbox_patch() for t in texts if t.get_bbox_patch() is not None]
    frames = [b.get_window_extent(renderer) for b in boxed if b.get_edgecolor()[3] > 0]
    labels_ = [e for t, (_, e) in zip(texts, extents, strict=True) if t.get_zorder() == 5]
    assert len(frames) == 16 and len(labels_) == 22
    assert not [(f, e) for f in frames for e in labels_ if f.overlaps(e)]
    shown = {t.get_text() for t in texts}
    if lang == "zh":
        assert "形式主义负担\n×容错纠错机制" in shown and "标准化路径系数 β" in "".join(shown)
        assert not any(code in "".join(shown) for code in ("FB", "FT", "DE", "DL"))
    else:
        assert "Formalism burden\n× Fault tolerance" in shown


def test_likert_rows_are_labelled_with_the_item_wording(font):
    responses, items, scales = _likert()
    fig = survey.likert_bars(responses, items, scales, labels=LABELS, lang="zh")
    rows = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert rows == [
        "领导看重实效而非材料痕迹",
        "新领导上任后前任规划常被搁置（反向）",
        "忙完一天连话都不想说",
    ]
    # without short labels: the wording, cut with an ellipsis; the codes never
    fig = survey.likert_bars(responses, items.drop(columns=["short_zh", "short_en"]), scales,
                             lang="en")  # fmt: skip
    rows = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert rows[0] == "Leaders care more about the real…"
    assert all(len(r.removesuffix(" (R)")) <= 40 for r in rows)
    assert not any(re.fullmatch(r"[A-Z]+\d+.*", r) for r in rows)


#: ASCII words a Chinese figure may show: statistical abbreviations and estimators' author
#: names that Chinese journals print as they are (docs/figures.md, "Chinese figures").
#: Variable codes (PV, FB, …) are allowed only where the figure also shows their Chinese label.
ZH_ALLOWED_WORDS = {"OLS", "SEM", "CI", "SD", "SE", "ATT", "TWFE", "CS", "HC"} | {
    "Callaway", "Sant'Anna", "Sun", "Abraham"
}  # fmt: skip


def _english_words(texts: list[str], labels_: dict) -> set[str]:
    joined = "\n".join(texts)
    words = set(re.findall(r"[A-Za-z][A-Za-z'’]+", joined))
    explained = {code for code, label in labels_.items() if label["zh"] in joined}
    return {w for w in words if w not in ZH_ALLOWED_WORDS and w not in explained}


def test_chinese_figures_show_no_english_words(font):
    import test_figures_policy as policy_tests
    import test_robustness_curve as robustness_tests
    from jianfu.figures import robustness

    table = robustness_tests._curve_frame()
    makers = {
        **{name: make for name, (make, _) in FIGURES.items()},
        **{name: make for name, (make, _) in policy_tests.FIGURES.items()},
        # the test flow's third rule is unknown on purpose (shown by its id)
        "cleaning_flow": lambda lang: survey.cleaning_flow(_flow().iloc[:2], lang=lang),
        "sem_model": lambda lang: survey.sem_path_diagram(
            _sem_model(), labels=SEM_LABELS, lang=lang
        ),
        "spec_curve": lambda lang: robustness.spec_curve(
            table, "FB<-DM", choices=list(robustness.CHOICE_LABELS), labels=SEM_LABELS,
            lang=lang,
        ),
    }  # fmt: skip
    offenders = {}
    for name, make in makers.items():
        words = _english_words([t.get_text() for t in _texts(make("zh"))], SEM_LABELS)
        if words:
            offenders[name] = sorted(words)
    assert not offenders


@pytest.mark.parametrize("mode", ["text", "path"])
def test_svg_text_is_text_naming_the_font_or_outlines(mode, font, tmp_path):
    from dataclasses import replace

    from jianfu.figures.style import SVG_FONT_FALLBACKS, current_style, use_style

    with use_style(replace(current_style(), svg_text=mode)):
        for run in ("a", "b"):
            save_figure(survey.cleaning_flow(_flow()), tmp_path / run / "flow", formats=["svg"])
    svg = (tmp_path / "a" / "flow.svg").read_text(encoding="utf-8")
    assert svg == (tmp_path / "b" / "flow.svg").read_text(encoding="utf-8")
    if mode == "text":
        assert re.search(r"<text [^>]*>剔除：重复提交</text>", svg)
        family = re.search(r"font-family: ([^;\"]+)", svg).group(1)
        assert family.startswith(f"'{fonts.FONT_FAMILY}'") and family.endswith("sans-serif")
        assert all(f"'{name}'" in family for name in SVG_FONT_FALLBACKS)
    else:
        assert "<text" not in svg and f'<path id="{fonts.FONT_FILE.removesuffix(".ttf")}' in svg
    with pytest.raises(JianfuError, match="svg_text"):
        replace(current_style(), svg_text="outline")
