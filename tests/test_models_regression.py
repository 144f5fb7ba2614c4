"""Hierarchical OLS and ordered logit against Stata (Petersen 2009), closed forms and MASS::polr.

Stata numbers are parsed from ``tests/reference/misc_reference_values.csv`` (Petersen's
test-data page: ``regress y x``, ``, robust`` and ``, cluster(firm)`` / ``cluster(year)`` /
two-way). They are printed to 4 decimals; we require agreement to those 4 decimals.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.anova import anova_lm

from conftest import REFERENCE
from jianfu.models.regression import hierarchical_ols, ordered_logit

PETERSEN_TOL = 0.5e-4  # half a unit in the 4th printed decimal


def _reference(method: str, quantity: str) -> list[list[float]]:
    ref = pd.read_csv(REFERENCE / "misc_reference_values.csv")
    row = ref[(ref["method"] == method) & (ref["quantity"] == quantity)]
    assert len(row) == 1, (method, quantity)
    groups = str(row["reference_value"].iloc[0]).split("/")
    return [[float(v) for v in re.findall(r"-?\d+\.\d+", g)] for g in groups]


@pytest.fixture(scope="module")
def petersen() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "PetersenCL.csv")


def _const_x(result, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    c = result.coefficients.query("step == @step").set_index("term")
    return c.loc[["const", "x"], "coef"].to_numpy(), c.loc[["const", "x"], "se"].to_numpy()


def test_petersen_coefficients_and_ols_se(petersen):
    coef = [v for group in _reference("OLS cluster SE", "coef const/x") for v in group]
    ols_se, white_se = _reference("OLS SE", "OLS / White SE")
    b, se = _const_x(hierarchical_ols(petersen, "y", [["x"]]))
    np.testing.assert_allclose(b, coef, atol=PETERSEN_TOL)
    np.testing.assert_allclose(se, ols_se, atol=PETERSEN_TOL)
    _, se_hc1 = _const_x(hierarchical_ols(petersen, "y", [["x"]], cov_type="HC1"))
    np.testing.assert_allclose(se_hc1, white_se, atol=PETERSEN_TOL)


@pytest.mark.parametrize(("cluster", "which"), [("firm", 0), ("year", 1), (["firm", "year"], 2)])
def test_petersen_cluster_se_matches_stata(petersen, cluster, which):
    expected = _reference("OLS cluster SE", "SE firm / year / firm+year")[which]
    res = hierarchical_ols(petersen, "y", [["x"]], cluster=cluster, cov_type="cluster")
    _, se = _const_x(res)
    np.testing.assert_allclose(se, expected, atol=PETERSEN_TOL)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 300
    d = pd.DataFrame(
        {
            "age": rng.normal(40, 8, n),
            "female": rng.integers(0, 2, n).astype(float),
            "burden": rng.normal(3, 1, n),
            "support": rng.normal(3, 1, n),
        }
    )
    d["burnout"] = (
        0.02 * d["age"]
        + 0.4 * d["burden"]
        - 0.3 * d["support"]
        - 0.2 * (d["burden"] - 3) * (d["support"] - 3)
        + rng.normal(0, 1, n)
    )
    d.loc[[3, 50], "support"] = np.nan
    return d


def test_delta_r2_and_f_equal_nested_anova(survey):
    blocks = [["age", "female"], ["burden", "support"], ["burden:support"]]
    res = hierarchical_ols(survey, "burnout", blocks)
    rows = survey.dropna()
    assert res.nobs == len(rows) == 298
    # the same models by hand: centred product, nested F via anova_lm
    d = rows.assign(bxs=(rows.burden - rows.burden.mean()) * (rows.support - rows.support.mean()))
    designs = [
        ["age", "female"],
        ["age", "female", "burden", "support"],
        ["age", "female", "burden", "support", "bxs"],
    ]
    fits = [sm.OLS(d.burnout, sm.add_constant(d[c])).fit() for c in designs]
    steps = res.steps.set_index("step")
    for i in (1, 2):
        table = anova_lm(fits[i - 1], fits[i])
        assert steps.loc[i + 1, "f_change"] == pytest.approx(table["F"].iloc[1], rel=1e-10)
        assert steps.loc[i + 1, "p_change"] == pytest.approx(table["Pr(>F)"].iloc[1], rel=1e-8)
        assert steps.loc[i + 1, "delta_r2"] == pytest.approx(
            fits[i].rsquared - fits[i - 1].rsquared, rel=1e-10
        )
    assert steps.loc[1, "f_change"] == pytest.approx(fits[0].fvalue, rel=1e-10)
    assert steps.loc[3, "adj_r2"] == pytest.approx(fits[2].rsquared_adj, rel=1e-12)
    coef = res.coefficients.query("step == 3").set_index("term")["coef"]
    assert coef["burden:support"] == pytest.approx(fits[2].params["bxs"], rel=1e-10)


def test_vif_equals_one_over_one_minus_r2(survey):
    res = hierarchical_ols(survey, "burnout", [["age", "female", "burden", "support"]])
    rows = survey.dropna()
    vif = res.coefficients.set_index("term")["vif"]
    for col in ["age", "female", "burden", "support"]:
        others = [c for c in ["age", "female", "burden", "support"] if c != col]
        r2 = sm.OLS(rows[col], sm.add_constant(rows[others])).fit().rsquared
        assert vif[col] == pytest.approx(1 / (1 - r2), rel=1e-10)
    assert np.isnan(vif["const"])


def test_to_frame_is_tidy(survey):
    res = hierarchical_ols(survey, "burnout", [["age"], ["burden"]], cov_type="HC3")
    frame = res.to_frame()
    assert list(frame["step"]) == [1, 1, 2, 2, 2]
    assert {"term", "coef", "se", "p", "vif", "r2", "delta_r2", "f_change"} <= set(frame.columns)


def test_invalid_options_raise(survey):
    with pytest.raises(ValueError, match="cov_type must be one of"):
        hierarchical_ols(survey, "burnout", [["age"]], cov_type="HC0")
    with pytest.raises(ValueError, match="needs the cluster"):
        hierarchical_ols(survey, "burnout", [["age"]], cov_type="cluster")
    with pytest.raises(KeyError, match="nope"):
        hierarchical_ols(survey, "burnout", [["nope"]])


def test_ordered_logit_matches_mass_polr():
    # R MASS::polr(apply ~ pared + public + gpa, method = "logistic"), values stored in
    # statsmodels' own test suite (results_ordinal_model.py, R 3.4.4); imported, not retyped.
    ref = pytest.importorskip("statsmodels.miscmodels.tests.results.results_ordinal_model")
    r = ref.res_ord_logit
    data = pd.read_csv(REFERENCE / "ologit_ucla.csv")
    res = ordered_logit(
        data,
        "apply",
        ["pared", "public", "gpa"],
        levels=["unlikely", "somewhat likely", "very likely"],
    )
    frame = res.to_frame().set_index("term")
    slopes = frame.loc[["pared", "public", "gpa"]]
    # same tolerances as statsmodels' test: estimates 2e-4, SEs (printed to 4 dp) 1e-4
    np.testing.assert_allclose(slopes["coef"], r.coefficients_val, atol=2e-4)
    np.testing.assert_allclose(slopes["se"], r.coefficients_stdE, atol=1e-4)
    # Thresholds: polr's optim() (BFGS, default reltol) stops short of the maximum; ours is the
    # exact MLE (Newton gives the same to 1e-8). They differ by 6e-4, so the tolerance is 1e-3
    # (statsmodels' own test uses 4e-4 with a looser fit); the log-likelihood at polr's
    # estimates must not exceed ours.
    np.testing.assert_allclose(frame.loc[["cut1", "cut2"], "coef"], r.thresholds, atol=1e-3)
    cut1, cut2 = r.thresholds
    polr_params = np.r_[r.coefficients_val, cut1, np.log(cut2 - cut1)]
    assert res.fit.model.loglike(polr_params) <= res.fit.llf + 1e-9
    with pytest.raises(ValueError, match="pass `levels`"):
        ordered_logit(data, "apply", ["pared"])
