"""PROCESS-layout text (`jianfu.models.process_layout`): every printed number is read back and
compared with the fitted result, the Model Summary with statsmodels OLS of the same equation,
and model 4 on Hayes' pmi data with PROCESS's own printed values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import REFERENCE
from jianfu.models import specs
from jianfu.models.process import (
    process_model1,
    process_model4,
    process_model6,
    process_model7,
    process_model14,
)
from jianfu.models.process_layout import fmt_number, process_text, spec_text

# F10.4: a printed number is the value rounded to 4 decimals (plus float noise)
TOL = 5e-5 + 1e-9


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 250
    d = pd.DataFrame(
        {"X": rng.normal(size=n), "W": rng.normal(3, 1, size=n), "C1": rng.normal(size=n),
         "C2": rng.integers(0, 2, size=n).astype(float)}
    )  # fmt: skip
    d["M"] = 0.5 * d.X - 0.3 * d.X * (d.W - 3) + 0.2 * d.C1 + rng.normal(size=n)
    d["M2"] = 0.4 * d.M + rng.normal(size=n)
    d["Y"] = 0.4 * d.M + 0.2 * d.X + 0.25 * d.M * (d.W - 3) + 0.3 * d.C2 + rng.normal(size=n)
    return d


# --------------------------------------------------------------------------- reading text back


def _num(token: str) -> float:
    return float("nan") if token == "." else float(token)


def _table(lines: list[str], heading: str, start: int = 0) -> tuple[list[str], dict[str, list]]:
    """The fixed-width table under the first line equal to `heading` at or after `start`:
    column names and {row label (or row number): numbers}."""
    i = lines.index(heading, start) + 1
    while not lines[i].strip():
        i += 1
    columns = re.split(r"\s{2,}", lines[i].strip())  # names may hold one space ("% below")
    rows: dict = {}
    for line in lines[i + 1 :]:
        if not line.strip() or line.startswith("-"):
            break
        tokens = line.split()
        if len(tokens) == len(columns):
            rows[len(rows)] = [_num(t) for t in tokens]
        else:
            rows[tokens[0]] = [_num(t) for t in tokens[1:]]
    return columns, rows


def _outcome_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(outcome, lines) of every OUTCOME VARIABLE block, in order."""
    lines = text.splitlines()
    starts = [k for k, line in enumerate(lines) if line == "OUTCOME VARIABLE:"]
    ends = [*starts[1:], len(lines)]
    return [(lines[s + 1].strip(), lines[s:e]) for s, e in zip(starts, ends, strict=True)]


def _ols(d: pd.DataFrame, y: str, xs: list[str], cov_type: str = "nonrobust"):
    # use_t: PROCESS (and jianfu) use t(df_resid) also with HC standard errors
    design = sm.add_constant(d[xs], has_constant="add")
    return sm.OLS(d[y], design).fit(cov_type=cov_type, use_t=True)


def _check_equation(block: list[str], fit, names: dict[str, str]) -> None:
    """Model Summary and coefficient table of one block against a statsmodels fit."""
    _, summary = _table(block, "Model Summary")
    r, r2, mse, f, df1, df2, p = summary[0]
    assert r2 == pytest.approx(fit.rsquared, abs=TOL)
    assert r == pytest.approx(np.sqrt(fit.rsquared), abs=TOL)
    assert mse == pytest.approx(fit.ssr / fit.df_resid, abs=TOL)
    assert f == pytest.approx(fit.fvalue, abs=TOL)
    assert (df1, df2) == (fit.df_model, fit.df_resid)
    assert p == pytest.approx(fit.f_pvalue, abs=TOL)
    columns, coefs = _table(block, "Model")
    assert columns[0] == "coeff" and columns[-2:] == ["LLCI", "ULCI"]
    ci = fit.conf_int()
    assert set(coefs) == {names.get(t, t) for t in fit.params.index}
    for term in fit.params.index:
        printed = coefs[names.get(term, term)]
        expected = [fit.params[term], fit.bse[term], fit.tvalues[term], fit.pvalues[term],
                    ci.loc[term, 0], ci.loc[term, 1]]  # fmt: skip
        assert printed == pytest.approx(expected, abs=TOL), term


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.23, ".2300"), (-0.09, "-.0900"), (2139.0, "2139.0000"), (12.34567, "12.3457"),
     (-4e-6, ".0000"), (float("nan"), "."), (None, ".")],
)  # fmt: skip
def test_numbers_print_as_spss_f10_4(value, text):
    assert fmt_number(value) == text


def test_model4_text_equals_the_fit_and_statsmodels(frame):
    res = process_model4(frame, "X", ["M"], "Y", ["C1", "C2"], n_boot=300, seed=5)
    text = process_text(res)
    for heading in ("Run MATRIX procedure:", "Model  : 4", "    Y  : Y", "    X  : X",
                    "    M  : M", "Sample", "Size:  250", "Custom", "Seed:  5",
                    "TOTAL EFFECT MODEL", "TOTAL, DIRECT, AND INDIRECT EFFECTS OF X ON Y",
                    "Indirect effect(s) of X on Y:", "ANALYSIS NOTES AND ERRORS",
                    "------ END MATRIX -----"):  # fmt: skip
        assert heading in text, heading
    assert "Not produced by PROCESS" in text
    assert "Covariates:\n C1   C2\n" in text

    blocks = _outcome_blocks(text)
    assert [o for o, _ in blocks] == ["M", "Y", "Y"]
    names = {"const": "constant"}
    _check_equation(blocks[0][1], _ols(frame, "M", ["X", "C1", "C2"]), names)
    _check_equation(blocks[1][1], _ols(frame, "Y", ["X", "M", "C1", "C2"]), names)
    _check_equation(blocks[2][1], _ols(frame, "Y", ["X", "C1", "C2"]), names)

    lines = text.splitlines()
    t = res.table.set_index("term")
    for heading, term in (("Total effect of X on Y", "c"), ("Direct effect of X on Y", "c'")):
        _, rows = _table(lines, heading)
        assert rows[0] == pytest.approx(list(t.loc[term, ["estimate", "se", "t", "p", "ci_low",
                                                         "ci_high"]]), abs=TOL)  # fmt: skip
    columns, rows = _table(lines, "Indirect effect(s) of X on Y:")
    assert columns == ["Effect", "BootSE", "BootLLCI", "BootULCI"]
    expected = t.loc["ind[M]", ["estimate", "se", "ci_low", "ci_high"]]
    assert rows["M"] == pytest.approx(list(expected), abs=TOL)
    # the notes state the interval level and the number of resamples
    assert "Level of confidence for all confidence intervals in output:\n  95.0000" in text
    assert "percentile bootstrap confidence intervals:\n  300" in text


def test_model4_on_pmi_prints_processs_own_values():
    # PROCESS model 4 on Hayes' pmi data (misc_reference_values.csv): a .4765 (t 2.0218),
    # b .5064 (t 5.2185), c' .2544 (t .9943), c .4957 (t 1.7860)
    pmi = pd.read_csv(REFERENCE / "Tal_Or_pmi.csv")
    text = process_text(process_model4(pmi, "cond", ["pmi"], "reaction", n_boot=100, seed=1))
    blocks = dict((("total" if k == 2 else o), b) for k, (o, b) in enumerate(_outcome_blocks(text)))
    _, m_rows = _table(blocks["pmi"], "Model")
    assert m_rows["cond"][0] == 0.4765 and m_rows["cond"][2] == 2.0218
    _, y_rows = _table(blocks["reaction"], "Model")
    assert y_rows["pmi"][0] == 0.5064 and y_rows["pmi"][2] == 5.2185
    assert y_rows["cond"][0] == 0.2544 and y_rows["cond"][2] == 0.9943
    _, c_rows = _table(blocks["total"], "Model")
    assert c_rows["cond"][0] == 0.4957 and c_rows["cond"][2] == 1.7860


def test_model1_text_has_interaction_test_conditional_effects_and_jn(frame):
    res = process_model1(frame, "X", "W", "M", ["C1"])
    text = process_text(res)
    lines = text.splitlines()
    blocks = _outcome_blocks(text)
    d = frame.assign(**{"X:W": frame.X * frame.W})
    full = _ols(d, "M", ["X", "W", "X:W", "C1"])
    _check_equation(blocks[0][1], full, {"const": "constant", "X:W": "Int_1"})
    assert "Product terms key:\n Int_1    :        X        x        W" in text

    columns, rows = _table(lines, "Test(s) of highest order unconditional interaction(s):")
    assert columns == ["R2-chng", "F", "df1", "df2", "p"]
    reduced = _ols(d, "M", ["X", "W", "C1"])
    r2_change, f, df1, df2, p = rows["X*W"]
    assert r2_change == pytest.approx(full.rsquared - reduced.rsquared, abs=TOL)
    # nested-model F of the product = the squared t of its coefficient
    f_nested = (reduced.ssr - full.ssr) / (full.ssr / full.df_resid)
    assert f == pytest.approx(f_nested, abs=TOL) and (df1, df2) == (1, full.df_resid)
    assert p == pytest.approx(full.pvalues["X:W"], abs=TOL)

    assert "    Focal predict: X        (X)" in text and "          Mod var: W        (W)" in text
    head = "Conditional effects of the focal predictor at values of the moderator(s):"
    columns, rows = _table(lines, head)
    assert columns == ["W", "Effect", "se", "t", "p", "LLCI", "ULCI"]
    cond = res.conditional[["w", "estimate", "se", "t", "p", "ci_low", "ci_high"]]
    assert [rows[k] for k in range(len(cond))] == [
        pytest.approx(list(row), abs=TOL) for row in cond.itertuples(index=False)
    ]
    # the conditional effect at W = w by hand: b1 + b3 w, SE from the coefficient covariance
    w = cond["w"].iloc[0]
    v = full.cov_params()
    se = np.sqrt(v.loc["X", "X"] + 2 * w * v.loc["X", "X:W"] + w**2 * v.loc["X:W", "X:W"])
    assert rows[0][1] == pytest.approx(full.params["X"] + full.params["X:W"] * w, abs=TOL)
    assert rows[0][2] == pytest.approx(se, abs=TOL)

    columns, jn = _table(
        lines, "Moderator value(s) defining Johnson-Neyman significance region(s):"
    )
    assert columns == ["Value", "% below", "% above"]
    assert len(res.jn_points) >= 1 and len(jn) == len(res.jn_points)
    for k, point in enumerate(res.jn_points):
        value, below, above = jn[k]
        assert value == pytest.approx(point, abs=TOL)
        assert below == pytest.approx(100 * np.mean(point > frame.W), abs=TOL)
        assert above == pytest.approx(100 * np.mean(point < frame.W), abs=TOL)
    _, grid = _table(lines, "Conditional effect of focal predictor at values of the moderator:")
    assert len(grid) == 21 + len(res.jn_points)
    ws = [row[0] for row in grid.values()]
    assert ws == sorted(ws) and ws[0] == pytest.approx(frame.W.min(), abs=TOL)
    at_jn = [row for row in grid.values() if abs(row[0] - res.jn_points[0]) < 1e-4]
    assert at_jn[0][4] == pytest.approx(0.05, abs=TOL)  # p = .05 exactly at a JN point
    assert "16th, 50th, and 84th percentiles" in text


def test_model6_key_and_indirect_effects(frame):
    res = process_model6(frame, "X", ["M", "M2"], "Y", n_boot=200, seed=2)
    text = process_text(res)
    assert "   M1  : M\n   M2  : M2\n" in text
    assert [o for o, _ in _outcome_blocks(text)] == ["M", "M2", "Y", "Y"]
    _check_equation(_outcome_blocks(text)[1][1], _ols(frame, "M2", ["X", "M"]),
                    {"const": "constant"})  # fmt: skip
    _, rows = _table(text.splitlines(), "Indirect effect(s) of X on Y:")
    t = res.table.set_index("term")
    for label, term in (("TOTAL", "ind[total]"), ("Ind1", "ind[M]"), ("Ind2", "ind[M->M2]"),
                        ("Ind3", "ind[M2]")):  # fmt: skip
        expected = list(t.loc[term, ["estimate", "se", "ci_low", "ci_high"]])
        assert rows[label] == pytest.approx(expected, abs=TOL), label
    assert re.search(r"Ind2\s+X\s+->\s+M\s+->\s+M2\s+->\s+Y", text)


@pytest.mark.parametrize("model", [7, 14])
def test_moderated_mediation_index_and_conditional_indirect_effects(frame, model):
    fn = process_model7 if model == 7 else process_model14
    res = fn(frame, "X", ["M"], "W", "Y", ["C1"], n_boot=200, seed=3, hc="HC3")
    text = process_text(res)
    lines = text.splitlines()
    assert "DIRECT AND INDIRECT EFFECTS OF X ON Y" in text
    assert "TOTAL EFFECT MODEL" not in text  # PROCESS has no total effect in models 7 / 14
    # heteroskedasticity-consistent SEs are labelled as PROCESS labels them
    assert "se(HC3)" in text and "F(HC3)" in text
    d = frame.assign(**{"X:W": frame.X * frame.W, "M:W": frame.M * frame.W})
    outcome, predictors = ("M", ["X", "W", "X:W", "C1"]) if model == 7 else (
        "Y", ["X", "M", "W", "M:W", "C1"])  # fmt: skip
    fit = _ols(d, outcome, predictors, "HC3")
    block = dict(_outcome_blocks(text))[outcome]
    _check_equation(block, fit, {"const": "constant", "X:W": "Int_1", "M:W": "Int_1"})
    _, tests = _table(block, "Test(s) of highest order unconditional interaction(s):")
    label = "X*W" if model == 7 else "M*W"
    assert tests[label][1] == pytest.approx(fit.tvalues[predictors[2 if model == 7 else 3]] ** 2,
                                            abs=TOL)  # fmt: skip
    focal = "X" if model == 7 else "M"
    assert f"    Focal predict: {focal:<8} ({focal})" in text

    t = res.table.set_index("term")
    _, index = _table(lines, "      Index of moderated mediation:")
    assert index["W"] == pytest.approx(
        list(t.loc["imm[M]", ["estimate", "se", "ci_low", "ci_high"]]), abs=TOL
    )
    _, rows = _table(lines, " X        ->    M        ->    Y")
    cond = res.conditional[["w", "estimate", "se", "ci_low", "ci_high"]]
    assert [rows[k] for k in range(len(cond))] == [
        pytest.approx(list(r), abs=TOL) for r in cond.itertuples(index=False)
    ]
    _, direct = _table(lines, "Direct effect of X on Y")
    assert direct[0][0] == pytest.approx(t.loc["c'", "estimate"], abs=TOL)


def test_spec_text_names_the_spec_and_the_covariates(frame):
    alone = [process_model4(frame, x, ["M"], "Y", n_boot=50, seed=1) for x in ("X", "W")]
    text = spec_text("h5_exhaustion", alone)
    head = text.split("Run MATRIX procedure:")[0]
    assert "spec 'h5_exhaustion' (params.yaml models.specs.h5_exhaustion)" in head
    assert "NOT output of the PROCESS macro" in head and "并非 PROCESS 宏的输出" in head
    assert "X             : X, W (2 separate runs below, one per X)" in head
    assert "Covariates    : none. Each X is fitted alone" in head
    assert "未控制其他 X 与协变量" in head
    assert text.count("Run MATRIX procedure:") == 2 and text.count("Covariates:\n (none)") == 2
    assert text.count("    X  : W\n") == 1

    adjusted = spec_text("adj", [process_model1(frame, "X", "W", "M", ["C1", "C2"])])
    assert "Covariates    : C1, C2 (in every equation" in adjusted
    assert "Covariates:\n C1   C2\n" in adjusted and "none" not in adjusted
    # same results, same bytes
    assert spec_text("h5_exhaustion", alone) == text
    assert text.endswith("------ END MATRIX -----\n")


def test_process_spec_output_carries_one_result_per_x(frame):
    ctx = specs.Context(
        data=frame.assign(township_code=np.arange(len(frame)) // 10),
        items=pd.DataFrame(index=frame.index),
        measurement={},
        labels={},
        reliabilities={},
        cluster="township_code",
        bootstrap={"n_boot": 50, "seed": 1, "ci_type": "bc", "cluster": True},
    )
    spec = {"kind": "process", "model": 6, "x": ["X", "W"], "m": ["M", "M2"], "y": "Y",
            "covariates": ["C1"]}  # fmt: skip
    out = specs.run_spec("serial", spec, ctx)
    assert [r.variables["x"] for r in out.process] == ["X", "W"]
    text = spec_text("serial", out.process)
    assert "50 resamples of whole clusters of township_code, bias-corrected" in text
    assert "bias-corrected bootstrap confidence intervals:\n  50" in text
    assert "resamples whole clusters of township_code" in text
    assert not specs.run_spec("t1", {"kind": "descriptives", "variables": ["X", "Y"]}, ctx).process


def test_errors_are_clear():
    with pytest.raises(ValueError, match="no PROCESS results"):
        spec_text("empty", [])
    with pytest.raises(TypeError, match="models 1, 4, 6, 7, 14"):
        process_text(object())
