"""Latent SEM (`jianfu.models.sem`): against lavaan on Holzinger–Swineford, delta-method SEs,
product-indicator latent interactions and the method factor on simulated data with known truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REFERENCE
from jianfu.core.errors import JianfuError
from jianfu.measure.cfa import fit_cfa
from jianfu.models.sem import fit_sem, product_indicators, sem_syntax

HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "holzinger_swineford1939.csv")


@pytest.fixture(scope="module")
def lavaan() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "R_lavaan_HS_cfa_reference.csv")


def test_saturated_structural_model_equals_lavaan_cfa(hs, lavaan):
    """speed ~ visual + textual is the CFA reparametrized: lavaan's chi-square, and the paths
    implied by lavaan's factor covariances (B = Phi_xx^-1 phi_xy)."""
    result = fit_sem(hs, HS, {"speed": ["visual", "textual"]})
    fit = lavaan[lavaan["lhs"] == "fit"].set_index("op")["est"]
    assert round(result.fit["chisq"], 3) == fit["chisq"]
    assert result.fit["df"] == 24
    cov = lavaan[lavaan["op"] == "~~"].set_index(["lhs", "rhs"])["est"]
    phi = np.array(
        [
            [cov[("visual", "visual")], cov[("visual", "textual")]],
            [cov[("visual", "textual")], cov[("textual", "textual")]],
        ]
    )
    phi_y = np.array([cov[("visual", "speed")], cov[("textual", "speed")]])
    implied = np.linalg.solve(phi, phi_y)
    paths = result.paths.set_index("rhs")
    # lavaan prints covariances to 3 dp; propagated rounding of the solve is below 3e-3
    assert paths.loc["visual", "est"] == pytest.approx(implied[0], abs=3e-3)
    assert paths.loc["textual", "est"] == pytest.approx(implied[1], abs=3e-3)


def test_standardized_path_and_delta_se_equal_the_std_lv_correlation(hs):
    """With one predictor the standardized path is the factor correlation; the delta-method SE
    equals the information-based SE of the correlation in the std.lv parametrization."""
    two = {"visual": HS["visual"], "textual": HS["textual"]}
    result = fit_sem(hs, two, {"textual": ["visual"]})
    cfa = fit_cfa(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", std_lv=True)
    est = cfa.estimates.set_index(["lhs", "op", "rhs"])
    r = est.loc[("visual", "~~", "textual")]
    path = result.paths.iloc[0]
    assert path["std"] == pytest.approx(r["est"], abs=1e-6)
    assert path["std_se"] == pytest.approx(r["se"], rel=1e-4)
    assert path["std_ci_low"] < path["std"] < path["std_ci_high"]


def _simulate(n: int, seed: int, *, beta_x=0.4, beta_z=0.2, beta_xz=-0.2, kappa=0.0):
    rng = np.random.default_rng(seed)
    r = 0.3
    xz = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    x, z = xz[:, 0], xz[:, 1]
    systematic = beta_x * x + beta_z * z + beta_xz * x * z
    # residual variance that gives Var(y) = 1 (Var(xz) = 1 + r^2 for normal x, z)
    explained = beta_x**2 + beta_z**2 + 2 * beta_x * beta_z * r + beta_xz**2 * (1 + r * r)
    y = systematic + np.sqrt(1 - explained) * rng.standard_normal(n)
    m = rng.standard_normal(n)
    cols = {}
    signs = {"x": [1, 1, 1, -1], "z": [1, 1, -1], "y": [1, 1, 1, -1]}
    for name, eta in (("x", x), ("z", z), ("y", y)):
        sign = signs[name]
        for k, s in enumerate(sign, start=1):
            lam = 0.75
            raw = s * (lam * eta + np.sqrt(1 - lam**2) * rng.standard_normal(n)) + kappa * m
            cols[f"{name}{k}"] = s * raw  # reverse-keyed items recoded, as scored_items does
    return pd.DataFrame(cols), {"x": beta_x, "z": beta_z, "x_x_z": beta_xz}


def test_latent_interaction_by_product_indicators_recovers_the_paths():
    data, truth = _simulate(3000, 1)
    measurement = {
        "x": ["x1", "x2", "x3", "x4"],
        "z": ["z1", "z2", "z3"],
        "y": ["y1", "y2", "y3", "y4"],
    }
    result = fit_sem(data, measurement, {"y": ["x", "z", "x_x_z"]})
    assert result.product_indicators == {"x_x_z": ["pi_x_x_z_1", "pi_x_x_z_2", "pi_x_x_z_3"]}
    paths = result.paths.set_index("rhs")
    for term, value in truth.items():
        row = paths.loc[term]
        assert abs(row["std"] - value) < 3 * row["std_se"], (term, row["std"], value)
        assert row["std_se"] < 0.03


def test_method_factor_removes_acquiescence_bias():
    """Acquiescence on every item inflates the latent paths; the method factor corrects them."""
    data, truth = _simulate(3000, 2, beta_xz=0.0, kappa=0.45)
    measurement = {
        "x": ["x1", "x2", "x3", "x4"],
        "z": ["z1", "z2", "z3"],
        "y": ["y1", "y2", "y3", "y4"],
    }
    plain = fit_sem(data, measurement, {"y": ["x", "z"]}).paths.set_index("rhs")
    corrected = fit_sem(data, measurement, {"y": ["x", "z"]}, method_factor=True)
    paths = corrected.paths.set_index("rhs")
    assert plain.loc["x", "std"] - truth["x"] > 3 * plain.loc["x", "std_se"]  # biased without
    for term in ("x", "z"):
        assert abs(paths.loc[term, "std"] - truth[term]) < 3 * paths.loc[term, "std_se"], term
    assert "CMV =~" in corrected.syntax and "CMV ~~ 0*x" in corrected.syntax


def test_product_indicators_are_double_mean_centred():
    frame = pd.DataFrame({"a1": [1.0, 2, 3, 4], "a2": [2.0, 2, 3, 5], "b1": [1.0, 0, 1, 0]})
    out = product_indicators(frame, ["a1", "a2"], ["b1"], "ab")
    assert list(out.columns) == ["ab_1"]
    expected = (frame.a1 - 2.5) * (frame.b1 - 0.5)
    assert np.allclose(out["ab_1"], expected - expected.mean())
    assert out["ab_1"].mean() == pytest.approx(0.0)


def test_syntax_and_errors(hs):
    syntax = sem_syntax(
        {"A": ["a1", "a2"], "B": ["b1", "b2"]}, {"B": ["A", "w"]}, method_factor=True
    )
    assert syntax.splitlines() == [
        "A =~ a1 + a2",
        "B =~ b1 + b2",
        "B ~ A + w",
        "CMV =~ a1 + a2 + b1 + b2",
        "CMV ~~ 0*A",
        "CMV ~~ 0*w",
    ]
    with pytest.raises(JianfuError, match="'nope' of 'speed' is neither a factor nor a column"):
        fit_sem(hs, HS, {"speed": ["visual", "nope"]})
    with pytest.raises(JianfuError, match="outcome 'x1' is not a factor"):
        fit_sem(hs, HS, {"x1": ["visual"]})
