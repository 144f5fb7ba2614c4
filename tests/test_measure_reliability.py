"""Reliability and factorability (jianfu.measure.reliability) against psych and closed forms.

References:
- psych::alpha raw_alpha per Holzinger-Swineford factor, stored in
  tests/reference/R_lavaan_HS_cfa_reference.csv (rows ``rel,alpha,...``):
  ``psych::alpha(HolzingerSwineford1939[, c("x1","x2","x3")])`` etc.
- psych::KMO(bfi[1:25]) prints "Overall MSA = 0.85" (2 decimals; the only precision sourced).
- Everything else is checked against closed forms or factor_analyzer (an independent package),
  as stated in each test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from scipy import stats

from conftest import REFERENCE
from jianfu.measure.reliability import (
    AlphaResult,
    alpha_table,
    bartlett,
    cronbach_alpha,
    kmo,
)

HS_FACTORS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "holzinger_swineford1939.csv")


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bfi.csv", index_col=0).iloc[:, :25]


@pytest.fixture(scope="module")
def psych_alpha() -> dict[str, float]:
    ref = pd.read_csv(REFERENCE / "R_lavaan_HS_cfa_reference.csv")
    rows = ref[(ref["lhs"] == "rel") & (ref["op"] == "alpha")]
    return dict(zip(rows["rhs"], rows["est"].astype(float), strict=True))


@pytest.mark.parametrize("factor", list(HS_FACTORS))
def test_alpha_matches_psych_on_holzinger_swineford(hs, psych_alpha, factor):
    # the reference is printed to 10 decimals; we match to 1e-9
    assert cronbach_alpha(hs[HS_FACTORS[factor]]) == pytest.approx(psych_alpha[factor], abs=1e-9)


def test_alpha_uses_pairwise_covariances(bfi_items):
    items = bfi_items[["A2", "A3", "A4", "A5"]]  # positively keyed agreeableness items
    k = items.shape[1]
    # independent pairwise covariance: each pair on its own jointly observed rows
    cov = np.empty((k, k))
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            x, y = items[a].to_numpy(), items[b].to_numpy()
            both = ~np.isnan(x) & ~np.isnan(y)
            cov[i, j] = np.cov(x[both], y[both])[0, 1]
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(items) == pytest.approx(expected, abs=1e-12)
    # and it is not the complete-case value (bfi has missing responses)
    assert abs(cronbach_alpha(items) - cronbach_alpha(items.dropna())) > 1e-5


def test_alpha_table_item_statistics_closed_form(hs):
    items = hs[[f"x{i}" for i in range(1, 10)]]
    res = alpha_table(items)
    assert isinstance(res, AlphaResult)
    assert res.raw_alpha == pytest.approx(cronbach_alpha(items), abs=1e-14)
    corr = items.corr().to_numpy()
    k = corr.shape[0]
    rbar = corr[np.triu_indices(k, 1)].mean()
    assert res.std_alpha == pytest.approx(k * rbar / (1 + (k - 1) * rbar), abs=1e-12)
    for item in items:
        rest = items.drop(columns=item)
        # complete data: r.drop is the correlation of the item with the sum of the others
        r = np.corrcoef(items[item], rest.sum(axis=1))[0, 1]
        assert res.r_drop[item] == pytest.approx(r, abs=1e-12)
        assert res.alpha_if_deleted[item] == pytest.approx(cronbach_alpha(rest), abs=1e-14)
    assert res.n_obs == 301
    frame = res.to_frame()
    assert list(frame.columns) == ["n", "mean", "sd", "r_drop", "alpha_if_deleted"]
    np.testing.assert_allclose(frame["mean"], items.mean(), atol=1e-12)
    np.testing.assert_allclose(frame["sd"], items.std(), atol=1e-12)


def test_kmo_bfi_overall_matches_psych_print(bfi_items):
    # psych::KMO(bfi[1:25]) prints "Overall MSA = 0.85" (2 decimals)
    assert round(kmo(bfi_items).overall, 2) == 0.85


def test_kmo_complete_cases_equals_factor_analyzer(bfi_items):
    complete = bfi_items.dropna()
    per_item, overall = calculate_kmo(complete)
    res = kmo(complete)
    assert res.overall == pytest.approx(overall, abs=1e-12)
    np.testing.assert_allclose(res.per_item.to_numpy(), per_item, atol=1e-12)


def test_kmo_pairwise_per_item_closed_form(bfi_items):
    # closed form with partial correlations from the precision matrix of the pairwise R
    r = bfi_items.corr().to_numpy()
    prec = np.linalg.inv(r)
    partial = -prec / np.sqrt(np.outer(np.diag(prec), np.diag(prec)))
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r**2, 0).sum(axis=0)
    p2 = np.where(off, partial**2, 0).sum(axis=0)
    res = kmo(bfi_items)
    np.testing.assert_allclose(res.per_item.to_numpy(), r2 / (r2 + p2), atol=1e-12)
    assert res.overall == pytest.approx(r2.sum() / (r2.sum() + p2.sum()), abs=1e-12)
    # pairwise (psych) and complete-case (factor_analyzer) conventions differ in the 3rd decimal
    assert abs(res.overall - kmo(bfi_items.dropna()).overall) > 1e-3
    assert list(res.to_frame().index)[-1] == "overall"


def test_bartlett_closed_form_and_psych_n_convention(hs, bfi_items):
    data = hs[[f"x{i}" for i in range(1, 10)]]
    n, p = data.shape
    expected = -(n - 1 - (2 * p + 5) / 6) * np.log(np.linalg.det(data.corr().to_numpy()))
    res = bartlett(data)
    assert res.chisq == pytest.approx(expected, rel=1e-12)
    assert res.df == 36
    assert res.pvalue == pytest.approx(stats.chi2.sf(expected, 36), rel=1e-9)
    # complete data: the same as factor_analyzer
    chisq, _ = calculate_bartlett_sphericity(bfi_items.dropna())
    assert bartlett(bfi_items.dropna()).chisq == pytest.approx(chisq, rel=1e-12)
    # with missing data psych uses n = nrow(data), not the complete-case count
    assert bartlett(bfi_items).n == len(bfi_items) == 2800


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "at least 2 item columns"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), "must be numeric"),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 1.0]}), "without variance"),
    ],
)
def test_invalid_items_raise_clear_errors(frame, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(frame)


def test_alpha_table_needs_three_items(hs):
    with pytest.raises(ValueError, match="at least 3 item columns"):
        alpha_table(hs[["x1", "x2"]])
