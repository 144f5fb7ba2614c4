"""CR / AVE, Fornell–Larcker, HTMT and common-method checks on Holzinger–Swineford (1939).

No published semTools numbers are stored in the reference folder, so CR / AVE and HTMT are checked
against closed forms computed here from the fitted standardized loadings and the item correlations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REFERENCE
from jianfu.core.errors import JianfuError
from jianfu.measure.cfa import fit_cfa, lavaan_syntax
from jianfu.measure.validity import (
    ave,
    composite_reliability,
    fornell_larcker_table,
    harman_single_factor,
    htmt,
    method_factor_comparison,
    omega,
)

HS_SPEC = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "holzinger_swineford1939.csv")


@pytest.fixture(scope="module")
def hs_fit(hs):
    return fit_cfa(hs, lavaan_syntax(HS_SPEC))


def test_fornell_larcker_cr_ave_closed_form(hs_fit):
    cr = composite_reliability(hs_fit, variant="fornell_larcker")
    av = ave(hs_fit, variant="fornell_larcker")
    for factor, items in HS_SPEC.items():
        lam = np.array([hs_fit.std_loadings.loc[i, factor] for i in items])
        assert cr[factor] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))
        assert av[factor] == pytest.approx((lam**2).mean())
    assert "Fornell-Larcker" in cr.name and "Fornell-Larcker" in av.name


def test_semtools_cr_ave_closed_form(hs, hs_fit):
    cr = omega(hs_fit)
    av = ave(hs_fit, variant="semtools")
    est = hs_fit.estimates.set_index(["lhs", "op", "rhs"])["est"]
    for factor, items in HS_SPEC.items():
        lam = np.array([est[(factor, "=~", i)] for i in items])
        psi = est[(factor, "~~", factor)]
        s = hs[items].cov(ddof=0).to_numpy()  # lavaan's sample covariance: divisor N
        assert cr[factor] == pytest.approx(lam.sum() ** 2 * psi / s.sum())
        assert av[factor] == pytest.approx((lam**2).sum() * psi / np.trace(s))
    assert "semTools" in cr.name
    # the two variants differ, but only in the 2nd-3rd decimal on these data
    diff = (cr - composite_reliability(hs_fit, "fornell_larcker")).abs()
    assert 0 < diff.max() < 0.02


def test_fornell_larcker_table(hs_fit):
    table = fornell_larcker_table(hs_fit)
    assert np.allclose(np.diag(table), np.sqrt(ave(hs_fit, "fornell_larcker")))
    assert table.loc["textual", "visual"] == pytest.approx(
        hs_fit.factor_correlations.loc["textual", "visual"]
    )
    assert np.isnan(table.loc["visual", "textual"])


def _htmt_closed_form(r: np.ndarray, a: list[int], b: list[int], geometric: bool) -> float:
    def mean(v):
        return np.exp(np.mean(np.log(v))) if geometric else np.mean(v)

    def mono(ix):
        return mean([r[i, j] for i in ix for j in ix if i < j])

    return mean([r[i, j] for i in a for j in b]) / np.sqrt(mono(a) * mono(b))


@pytest.mark.parametrize("variant", ["original", "semtools"])
def test_htmt_closed_form(hs, variant):
    out = htmt(hs, HS_SPEC, variant=variant)
    r = hs[[f"x{i}" for i in range(1, 10)]].corr().to_numpy()
    geometric = variant == "semtools"
    r = np.abs(r) if geometric else r
    expected = _htmt_closed_form(r, [0, 1, 2], [3, 4, 5], geometric)
    assert out.loc["textual", "visual"] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(out.loc["visual", "textual"])
    assert ("geometric" in out.attrs["label"]) == geometric


def test_harman(hs):
    res = harman_single_factor(hs, [f"x{i}" for i in range(1, 10)])
    assert res["n_items"] == 9 and res["n"] == 301
    assert res["first_factor_share"] == pytest.approx(res["eigenvalues"][0] / 9)
    assert res["eigenvalues"].sum() == pytest.approx(9)
    assert res["criterion"] == 0.5 and "principal component" in res["method"]


def test_method_factor_comparison(hs):
    res = method_factor_comparison(hs, HS_SPEC)
    fits = res["fits"]
    assert list(fits.index) == ["single_factor", "trait", "trait_method"]
    assert fits.loc["trait", "chisq"] == pytest.approx(85.306, abs=5e-4)  # lavaan, as above
    assert fits.loc["trait_method", "chisq"] <= fits.loc["trait", "chisq"]
    assert fits.loc["single_factor", "df"] - fits.loc["trait", "df"] == 3
    assert fits.loc["trait", "df"] - fits.loc["trait_method", "df"] == 9
    assert len(res["tests"]) == 2 and (res["tests"]["delta_chisq"] >= 0).all()
    assert res["loading_change"].shape == (9, 5)


def test_invalid_variants_raise(hs, hs_fit):
    with pytest.raises(JianfuError, match="variant"):
        composite_reliability(hs_fit, variant="raykov")
    with pytest.raises(JianfuError, match="variant"):
        htmt(hs, HS_SPEC, variant="htmt3")
    with pytest.raises(JianfuError, match="reserved"):
        method_factor_comparison(hs, {"method_factor": ["x1", "x2", "x3"]})
