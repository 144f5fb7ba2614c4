"""PROCESS models 1, 4, 6, 7, 14: Hayes' printed values, closed forms, and bootstrap identity."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from conftest import REFERENCE
from jianfu.models.process import (
    bootstrap_resamples,
    process_model1,
    process_model4,
    process_model6,
    process_model7,
    process_model14,
)


@pytest.fixture(scope="module")
def pmi() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "Tal_Or_pmi.csv")


@pytest.fixture(scope="module")
def protest() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "Garcia_protest.csv")


def _ols(frame: pd.DataFrame, y: str, xs: list[str]):
    return sm.OLS(frame[y], sm.add_constant(frame[xs], has_constant="add")).fit()


def _reference_model4() -> dict[str, tuple[float, float | None]]:
    """PROCESS model 4 on pmi from misc_reference_values.csv: {name: (estimate, t or None)}."""
    ref = pd.read_csv(REFERENCE / "misc_reference_values.csv")
    row = ref[ref["method"] == "PROCESS model 4"].iloc[0]
    names = [n.strip() for n in row["quantity"].split(" / ")]
    out = {}
    for name, text in zip(names, row["reference_value"].split(" / "), strict=True):
        match = re.fullmatch(r"\s*(-?[\d.]+)(?:\s*\(t (-?[\d.]+)\))?\s*", text)
        assert match, text
        out[name] = (float(match[1]), None if match[2] is None else float(match[2]))
    return out


def test_model4_reproduces_process_on_pmi(pmi):
    ref = _reference_model4()
    assert set(ref) == {"a", "b", "c'", "c", "ab"}
    res = process_model4(pmi, "cond", ["pmi"], "reaction", n_boot=200, seed=1)
    ours = {"a": "a[pmi]", "b": "b[pmi]", "c'": "c'", "c": "c", "ab": "ind[pmi]"}
    for name, (estimate, t) in ref.items():
        assert res.params[ours[name]] == pytest.approx(estimate, abs=5e-5), name
        if t is not None:
            assert res.tvalues[ours[name]] == pytest.approx(t, abs=5e-5), name
    # OLS identity: total = direct + indirect on the same rows
    assert res.params["c"] == pytest.approx(res.params["c'"] + res.params["ind[pmi]"], abs=1e-12)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "t", "p", "ci_low"]
    assert {"ci_high", "method"} <= set(frame.columns)
    assert "ind[pmi]" in res.summary()
    assert res.boot_draws.shape == (200, 1)


def _loop_indirect(frame, x, m, y, covs, resamples) -> np.ndarray:
    """The straightforward bootstrap: statsmodels OLS on every resample of rows."""
    out = []
    for rows in resamples:
        sample = frame.iloc[rows]
        a = _ols(sample, m, [x, *covs]).params[x]
        b = _ols(sample, y, [x, m, *covs]).params[m]
        out.append(a * b)
    return np.array(out)


@pytest.mark.parametrize("covs", [[], ["age", "gender"]])
def test_vectorised_bootstrap_equals_statsmodels_loop(pmi, covs):
    data = pmi[["cond", "pmi", "reaction", *covs]]
    res = process_model4(data, "cond", "pmi", "reaction", covs, n_boot=200, seed=7)
    loop = _loop_indirect(data, "cond", "pmi", "reaction", covs, bootstrap_resamples(123, 200, 7))
    np.testing.assert_allclose(res.boot_draws["ind[pmi]"].to_numpy(), loop, rtol=0, atol=1e-10)


def test_clustered_bootstrap_resamples_whole_clusters(pmi):
    data = pmi.assign(cluster=np.arange(len(pmi)) // 5)  # 25 clusters of <= 5 rows
    res = process_model4(data, "cond", "pmi", "reaction", n_boot=50, seed=3, cluster="cluster")
    resamples = list(bootstrap_resamples(len(data), 50, 3, clusters=data["cluster"]))
    for rows in resamples:
        drawn = data["cluster"].to_numpy()[rows]
        for g in np.unique(drawn):  # every drawn cluster enters with all its rows, k times
            copies = np.sum(drawn == g) / np.sum(data["cluster"] == g)
            assert copies == int(copies)
    loop = _loop_indirect(data, "cond", "pmi", "reaction", [], resamples)
    np.testing.assert_allclose(res.boot_draws["ind[pmi]"].to_numpy(), loop, rtol=0, atol=1e-10)
    # sample sizes of resamples vary with cluster sizes (the last cluster has 3 rows)
    assert len({len(r) for r in resamples}) > 1


def test_bootstrap_intervals(pmi):
    res = process_model4(pmi, "cond", "pmi", "reaction", n_boot=1000, seed=11)
    draws = res.boot_draws["ind[pmi]"].to_numpy()
    lo, hi = res.conf_int().loc["ind[pmi]"]
    assert (lo, hi) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])))
    z0 = stats.norm.ppf(np.mean(draws < res.params["ind[pmi]"]))
    probs = stats.norm.cdf(2 * z0 + stats.norm.ppf([0.025, 0.975]))
    bc = res.conf_int("bc").loc["ind[pmi]"]
    assert tuple(bc) == pytest.approx(tuple(np.quantile(draws, probs)))
    assert res.bse["ind[pmi]"] == pytest.approx(draws.std(ddof=1))


def test_model6_serial_matches_component_regressions(pmi):
    res = process_model6(pmi, "cond", ["import", "pmi"], "reaction", ["age"], n_boot=100, seed=2)
    m1 = _ols(pmi, "import", ["cond", "age"]).params
    m2 = _ols(pmi, "pmi", ["cond", "import", "age"]).params
    yy = _ols(pmi, "reaction", ["cond", "import", "pmi", "age"]).params
    total = _ols(pmi, "reaction", ["cond", "age"]).params["cond"]
    p = res.params
    assert p["ind[import]"] == pytest.approx(m1["cond"] * yy["import"], abs=1e-12)
    assert p["ind[import->pmi]"] == pytest.approx(m1["cond"] * m2["import"] * yy["pmi"], abs=1e-12)
    assert p["ind[pmi]"] == pytest.approx(m2["cond"] * yy["pmi"], abs=1e-12)
    assert p["c'"] + p["ind[total]"] == pytest.approx(total, abs=1e-12)


def test_model1_protest_matches_closed_form(protest):
    res = process_model1(protest, "protest", "sexism", "liking")
    data = protest.assign(xw=protest["protest"] * protest["sexism"])
    fit = _ols(data, "liking", ["protest", "sexism", "xw"])
    assert res.params["protest:sexism"] == pytest.approx(fit.params["xw"], abs=1e-12)
    assert res.bse["protest:sexism"] == pytest.approx(fit.bse["xw"], abs=1e-12)
    # conditional effect = b1 + b3 w: refit with W centred at w, the coefficient of X is theta(w)
    cond = res.conditional.set_index("term")
    mean, sd = protest["sexism"].mean(), protest["sexism"].std()
    expected_w = [mean - sd, mean, mean + sd, *np.percentile(protest["sexism"], [16, 50, 84])]
    np.testing.assert_allclose(cond["w"], expected_w)
    for term, row in cond.iterrows():
        shifted = data.assign(
            ws=protest["sexism"] - row["w"],
            xws=protest["protest"] * (protest["sexism"] - row["w"]),
        )
        refit = _ols(shifted, "liking", ["protest", "ws", "xws"])
        assert row["estimate"] == pytest.approx(refit.params["protest"], abs=1e-10), term
        assert row["se"] == pytest.approx(refit.bse["protest"], abs=1e-10), term
        assert row["p"] == pytest.approx(refit.pvalues["protest"], abs=1e-10), term

    # Johnson-Neyman: t(w) = +-t_crit solved numerically
    b, v = fit.params, fit.cov_params()

    def t_of(w):
        var = v.loc["protest", "protest"] + 2 * w * v.loc["protest", "xw"]
        se = np.sqrt(var + w**2 * v.loc["xw", "xw"])
        return (b["protest"] + b["xw"] * w) / se

    tcrit = stats.t.ppf(0.975, fit.df_resid)
    assert len(res.jn_roots) == 2
    for root in res.jn_roots:
        sign = np.sign(t_of(root))
        num = optimize.brentq(lambda w, s=sign: t_of(w) - s * tcrit, root - 0.5, root + 0.5)
        assert root == pytest.approx(num, abs=1e-8)
    lo, hi = protest["sexism"].min(), protest["sexism"].max()
    assert res.jn_points == tuple(r for r in res.jn_roots if lo <= r <= hi)


def test_model1_center_and_hc3(protest):
    plain = process_model1(protest, "prot2", "sexism", "liking")
    centred = process_model1(protest, "prot2", "sexism", "liking", center=True)
    # centring changes b1 to the effect at the mean, but not b3, the probes or JN points
    assert centred.params["prot2:sexism"] == pytest.approx(plain.params["prot2:sexism"])
    assert centred.params["prot2"] == pytest.approx(plain.params["prot2|sexism=mean"])
    np.testing.assert_allclose(centred.conditional["estimate"], plain.conditional["estimate"])
    np.testing.assert_allclose(centred.jn_roots, plain.jn_roots)
    hc3 = process_model1(protest, "prot2", "sexism", "liking", hc="HC3")
    data = protest.assign(xw=protest["prot2"] * protest["sexism"])
    design = sm.add_constant(data[["prot2", "sexism", "xw"]])
    ref = sm.OLS(data["liking"], design).fit(cov_type="HC3")
    assert hc3.bse["prot2:sexism"] == pytest.approx(ref.bse["xw"], abs=1e-12)


def test_model7_and_14_index_equals_component_products(protest):
    r7 = process_model7(protest, "prot2", "respappr", "sexism", "liking", n_boot=200, seed=5)
    data = protest.assign(xw=protest["prot2"] * protest["sexism"])
    a = _ols(data, "respappr", ["prot2", "sexism", "xw"]).params
    b = _ols(data, "liking", ["prot2", "respappr"]).params["respappr"]
    assert r7.params["imm[respappr]"] == pytest.approx(a["xw"] * b, abs=1e-12)
    row = r7.conditional.iloc[0]
    assert row["estimate"] == pytest.approx((a["prot2"] + a["xw"] * row["w"]) * b, abs=1e-12)

    r14 = process_model14(protest, "prot2", "respappr", "sexism", "liking", n_boot=200, seed=5)
    data = protest.assign(mw=protest["respappr"] * protest["sexism"])
    a = _ols(data, "respappr", ["prot2"]).params["prot2"]
    yy = _ols(data, "liking", ["prot2", "respappr", "sexism", "mw"]).params
    assert r14.params["imm[respappr]"] == pytest.approx(a * yy["mw"], abs=1e-12)
    assert r14.params["b3[respappr]"] == pytest.approx(yy["mw"], abs=1e-12)


@pytest.mark.parametrize("model", [7, 14])
def test_moderated_mediation_recovers_known_paths(model):
    rng = np.random.default_rng(2024)
    n = 3000
    x = rng.binomial(1, 0.5, n).astype(float)
    w = rng.normal(0, 1, n)
    c1 = rng.normal(0, 1, n)
    if model == 7:  # a1 = 0.4, a3 = 0.3, b = 0.5 -> index 0.15
        m = 0.4 * x + 0.2 * w + 0.3 * x * w + 0.2 * c1 + rng.normal(0, 1, n)
        y = 0.1 * x + 0.5 * m + 0.2 * c1 + rng.normal(0, 1, n)
        truth = 0.3 * 0.5
        fn = process_model7
    else:  # a = 0.5, b1 = 0.4, b3 = 0.25 -> index 0.125
        m = 0.5 * x + 0.2 * c1 + rng.normal(0, 1, n)
        y = 0.1 * x + 0.4 * m + 0.2 * w + 0.25 * m * w + 0.2 * c1 + rng.normal(0, 1, n)
        truth = 0.5 * 0.25
        fn = process_model14
    data = pd.DataFrame({"x": x, "m": m, "w": w, "y": y, "c1": c1})
    res = fn(data, "x", "m", "w", "y", ["c1"], n_boot=500, seed=9, w_values=[-1, 0, 1])
    lo, hi = res.conf_int().loc["imm[m]"]
    assert lo < truth < hi
    assert list(res.conditional["w"]) == [-1.0, 0.0, 1.0]


def test_invalid_options_raise_clear_errors(pmi, protest):
    with pytest.raises(ValueError, match="ci_type must be one of"):
        process_model4(pmi, "cond", "pmi", "reaction", n_boot=10, seed=1, ci_type="bca")
    with pytest.raises(ValueError, match="n_boot must be a positive integer"):
        process_model4(pmi, "cond", "pmi", "reaction", n_boot=0, seed=1)
    with pytest.raises(ValueError, match="columns not in data"):
        process_model4(pmi, "cond", "nope", "reaction", n_boot=10, seed=1)
    with pytest.raises(ValueError, match="more than one role"):
        process_model4(pmi, "cond", "cond", "reaction", n_boot=10, seed=1)
    with pytest.raises(ValueError, match="exactly 2 serial mediators"):
        process_model6(pmi, "cond", ["pmi"], "reaction", n_boot=10, seed=1)
    with pytest.raises(ValueError, match="hc must be one of"):
        process_model1(protest, "protest", "sexism", "liking", hc="HC9")
    with pytest.raises(ValueError, match="singular design"):  # X is constant within clusters
        process_model4(protest, "prot2", "respappr", "liking", n_boot=50, seed=1, cluster="protest")
