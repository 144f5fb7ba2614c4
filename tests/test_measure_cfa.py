"""CFA against R lavaan 0.6-20 on Holzinger–Swineford (1939) and a simulated recovery check.

Reference (R_lavaan_HS_cfa_reference.csv, from the lavaan tutorial, ch. 5)::

    model <- 'visual =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed =~ x7 + x8 + x9'
    fit <- cfa(model, data = HolzingerSwineford1939)
    parameterEstimates(fit); fitMeasures(fit)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REFERENCE
from jianfu.core.errors import JianfuError
from jianfu.measure.cfa import fit_cfa, lavaan_syntax

HS_SPEC = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "holzinger_swineford1939.csv")


@pytest.fixture(scope="module")
def hs_fit(hs):
    return fit_cfa(hs, HS_MODEL)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "R_lavaan_HS_cfa_reference.csv")


def test_lavaan_syntax():
    assert lavaan_syntax(HS_SPEC) == HS_MODEL.replace("; ", "\n")


def test_hs_estimates_and_ses_match_lavaan(hs_fit, reference):
    ref = reference[reference["op"].isin(["=~", "~~"])]
    merged = ref.merge(hs_fit.estimates, on=["lhs", "op", "rhs"], suffixes=("_lavaan", ""))
    assert len(merged) == len(ref) == 21
    # lavaan prints 3 decimals: our value rounded to 3 dp must equal the printed one
    assert (merged["est"].round(3) - merged["est_lavaan"]).abs().max() < 1e-9
    assert (merged["se"].round(3) - merged["se_lavaan"]).abs().max() < 1e-9


def test_hs_fit_measures_match_lavaan(hs_fit):
    fit = hs_fit.fit
    printed = {  # lavaan tutorial, printed digits
        "chisq": 85.306, "df": 24, "baseline_chisq": 918.852, "baseline_df": 36, "cfi": 0.931,
        "tli": 0.896, "rmsea": 0.092, "rmsea_ci_lower": 0.071, "rmsea_ci_upper": 0.114,
        "srmr": 0.065, "logl": -3737.745, "aic": 7517.490, "bic": 7595.339, "npar": 21, "n": 301,
    }  # fmt: skip
    for key, value in printed.items():
        assert round(fit[key], 3) == pytest.approx(value, abs=1e-9), key


def test_hs_standardized_and_scores(hs, hs_fit):
    std = hs_fit.std_loadings
    assert std.loc["x1", "visual"] == pytest.approx(0.772, abs=5e-4)  # lavaan std.all
    corr = hs_fit.factor_correlations
    assert corr.loc["visual", "textual"] == pytest.approx(0.459, abs=5e-4)
    scores = hs_fit.factor_scores(hs)
    assert scores.shape == (301, 3)
    # regression scores have mean 0 and covariance Phi L' Sigma^-1 L Phi (closed form)
    assert np.allclose(scores.mean(), 0, atol=1e-10)
    lam, phi, sig = hs_fit.lambda_, hs_fit.phi, hs_fit.sigma
    expected = (
        phi @ lam.T @ np.linalg.solve(sig, hs_fit.sample_cov) @ np.linalg.solve(sig, lam) @ phi
    )
    assert np.allclose(np.cov(scores.to_numpy(), rowvar=False, bias=True), expected, atol=1e-10)


def test_std_lv_is_a_reparametrization(hs, hs_fit):
    res = fit_cfa(hs, HS_MODEL, std_lv=True)
    assert res.fit["chisq"] == pytest.approx(hs_fit.fit["chisq"], abs=1e-6)
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("visual", "~~", "visual")] == 1.0
    assert est[("visual", "=~", "x1")] == pytest.approx(0.900, abs=5e-4)  # lavaan std.lv
    assert np.allclose(res.std_loadings, hs_fit.std_loadings, atol=1e-6)


def test_listwise_deletion_reports_n(hs):
    data = hs.copy()
    data.loc[:4, "x2"] = np.nan
    res = fit_cfa(data, HS_MODEL)
    assert (res.n, res.n_dropped) == (296, 5)


def test_recovers_simulated_loadings():
    rng = np.random.default_rng(20240603)
    true = np.zeros((12, 3))
    for f in range(3):
        true[4 * f : 4 * f + 4, f] = [0.8, 0.7, 0.6, 0.75]
    phi = np.array([[1, 0.4, 0.3], [0.4, 1, 0.5], [0.3, 0.5, 1]])
    sigma = true @ phi @ true.T
    sigma += np.diag(1 - np.diag(sigma))
    cols = [f"y{i + 1}" for i in range(12)]
    data = pd.DataFrame(rng.multivariate_normal(np.zeros(12), sigma, 2000), columns=cols)
    spec = {f"F{f + 1}": cols[4 * f : 4 * f + 4] for f in range(3)}
    res = fit_cfa(data, lavaan_syntax(spec))
    assert res.converged and res.admissible
    assert np.abs(res.std_loadings.to_numpy() - true).max() < 0.05
    assert np.abs(res.factor_correlations.to_numpy() - phi).max() < 0.05


def test_invalid_options_raise(hs):
    with pytest.raises(JianfuError, match="solver"):
        fit_cfa(hs, HS_MODEL, solver="newton")
    with pytest.raises(JianfuError, match="no column"):
        fit_cfa(hs, "f =~ x1 + x2 + nope")
    with pytest.raises(JianfuError, match="=~"):
        fit_cfa(hs, "x1 ~~ x2")
    with pytest.raises(JianfuError, match="method"):
        fit_cfa(hs, HS_MODEL).factor_scores(hs, method="bartlett")
