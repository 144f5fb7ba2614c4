"""Staggered DiD (jianfu.policy.did): R did on mpdta, diff_diff, and a synthetic staggered panel."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import REFERENCE
from jianfu.core.errors import JianfuError
from jianfu.policy import did
from jianfu.policy.did import (
    TIDY_COLUMNS,
    DiDInputError,
    _draw_weights,
    _long_codes,
    _prepare,
    _TwoWayDemeaner,
    _wcr_pvalue,
    _wcr_setup,
    callaway_santanna,
    sun_abraham,
    twfe,
)

MPDTA = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
SYN = dict(outcome="y", unit="id", time="period", cohort="first_treat")
COHORTS = {4: 1.0, 7: 0.6, 10: 0.3}  # first treated period -> slope of the effect in event time


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "mpdta.csv")


def make_panel(
    seed: int = 0, n_cl: int = 40, per_cl: int = 5, n_t: int = 12, pretrend: float = 0.0
) -> pd.DataFrame:
    """Staggered adoption by cluster (district): cohorts 4, 7, 10 and never treated, a quarter each.

    Effect of cohort g at event time e >= 0: slope_g * (e + 1), so effects grow with exposure and
    are larger for earlier cohorts; the true ATT(g,t) is exactly that (column ``tau``). Outcome =
    unit effect + period effect + district-period shock + effect + noise; ``pretrend`` adds
    ``pretrend * e`` before treatment for the treated cohorts (a violation of parallel trends).
    """
    rng = np.random.default_rng(seed)
    n = n_cl * per_cl
    cl = np.repeat(np.arange(n_cl), per_cl)
    g_cl = np.zeros(n_cl)
    for block, g in zip(np.array_split(np.arange(n_cl), 4)[:3], COHORTS, strict=True):
        g_cl[block] = g
    g = g_cl[cl]
    t = np.arange(1, n_t + 1)
    e = t[None, :] - g[:, None]
    slope = np.array([COHORTS.get(x, 0.0) for x in g])[:, None]
    treated = (g > 0)[:, None]
    tau = np.where(treated & (e >= 0), slope * (e + 1), 0.0)
    pre = np.where(treated & (e < 0), pretrend * e, 0.0)
    y = (
        rng.normal(0, 1, n)[:, None]
        + 0.05 * g[:, None]
        + np.cumsum(rng.normal(0.2, 0.3, n_t))[None, :]
        + rng.normal(0, 0.2, (n_cl, n_t))[cl]
        + tau
        + pre
        + rng.normal(0, 0.5, (n, n_t))
    )
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), n_t),
            "district": np.repeat(cl, n_t),
            "period": np.tile(t, n),
            "first_treat": np.repeat(g, n_t),
            "y": y.ravel(),
            "tau": tau.ravel(),
        }
    )


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="module")
def truth(panel) -> pd.DataFrame:
    """True ATT(g,t) of the synthetic panel."""
    tr = panel[panel["first_treat"] > 0]
    out = tr.groupby(["first_treat", "period"], as_index=False)["tau"].mean()
    return out.rename(columns={"first_treat": "group", "period": "time", "tau": "true"})


@pytest.fixture(scope="module")
def cs_never(panel):
    return callaway_santanna(panel, **SYN, cluster="district")


def _true_simple(truth: pd.DataFrame, panel: pd.DataFrame) -> float:
    """Cohort-size weighted mean of the post-treatment true ATT(g,t) (the 'simple' estimand)."""
    size = panel.groupby("first_treat")["id"].nunique()
    post = truth[truth["time"] >= truth["group"]]
    w = post["group"].map(size).to_numpy(float)
    return float(np.sum(w * post["true"]) / w.sum())


# ------------------------------------------------------------------------------------------------
# R did on mpdta
# ------------------------------------------------------------------------------------------------


def test_reproduces_r_did_attgt(mpdta):
    ref = pd.read_csv(REFERENCE / "R_did_reference_attgt.csv")
    ref = ref[ref["scenario"] == "mpdta_nev_dr"]
    res = callaway_santanna(mpdta, **MPDTA, control="never", method="dr")
    got = res.attgt.astype({"group": float, "time": float})
    m = ref.merge(got, left_on=["group", "t"], right_on=["group", "time"], suffixes=("_r", ""))
    assert len(m) == len(ref) == len(got) == 12
    np.testing.assert_allclose(m["att"], m["att_r"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(m["se"], m["se_r"], rtol=0, atol=1e-6)


def test_reproduces_r_did_aggregates(mpdta):
    ref = pd.read_csv(REFERENCE / "R_did_reference_aggte.csv")
    ref = ref[ref["scenario"] == "mpdta_nev_dr"]
    assert len(ref) > 0
    res = callaway_santanna(mpdta, **MPDTA)
    for _, row in ref.iterrows():
        agg = res.aggregate(row["type"])
        overall = agg.iloc[0] if row["type"] == "simple" else agg[agg["term"] == "overall"].iloc[0]
        assert overall["estimate"] == pytest.approx(row["overall_att"], abs=1e-6)
        assert overall["se"] == pytest.approx(row["overall_se"], abs=1e-6)
        if pd.notna(row["egt"]):  # per-component rows, if the reference has them
            comp = agg[agg["term"] != "overall"]
            key = {"group": "group", "dynamic": "event_time", "calendar": "time"}[row["type"]]
            hit = comp[comp[key].astype(float) == float(row["egt"])].iloc[0]
            assert hit["estimate"] == pytest.approx(row["att_egt"], abs=1e-6)
            assert hit["se"] == pytest.approx(row["se_egt"], abs=1e-6)


def test_never_treated_codes_0_nan_inf_are_equivalent(mpdta):
    base = callaway_santanna(mpdta, **MPDTA).attgt
    for code in (np.nan, np.inf):
        d = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, code)})
        pd.testing.assert_frame_equal(callaway_santanna(d, **MPDTA).attgt, base)


# ------------------------------------------------------------------------------------------------
# diff_diff (CallawaySantAnna 3.13) as a second reference
# ------------------------------------------------------------------------------------------------


def _diff_diff_fit(data, control, method, covariates, cluster):
    dd = pytest.importorskip("diff_diff")
    est = dd.CallawaySantAnna(
        control_group={"never": "never_treated", "notyet": "not_yet_treated"}[control],
        estimation_method=method,
        cluster=cluster,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(
            data,
            outcome="lemp",
            unit="countyreal",
            time="year",
            first_treat="first.treat",
            covariates=covariates,
        )


@pytest.mark.parametrize(
    ("control", "method", "covariates", "cluster", "tol"),
    [
        ("notyet", "dr", None, None, 1e-10),
        ("never", "dr", None, "cl", 1e-10),
        ("notyet", "reg", ["lpop"], "cl", 1e-10),
        ("never", "ipw", ["lpop"], None, 1e-10),
        # diff_diff's DR does not normalise the control weights (R DRDID drdid_panel does, and so
        # do we): with covariates the two differ in the 6th decimal.
        ("notyet", "dr", ["lpop"], None, 2e-5),
    ],
)
def test_matches_diff_diff(mpdta, control, method, covariates, cluster, tol):
    data = mpdta.assign(cl=mpdta["countyreal"] % 23)
    ours = callaway_santanna(
        data, **MPDTA, control=control, method=method, covariates=covariates, cluster=cluster
    )
    ref = _diff_diff_fit(data, control, method, covariates, cluster)
    theirs = ref.to_dataframe()
    m = ours.attgt.astype({"group": float, "time": float}).merge(
        theirs.astype({"group": float, "time": float}), on=["group", "time"]
    )
    assert len(m) == 12
    np.testing.assert_allclose(m["att"], m["effect"], rtol=0, atol=tol)
    np.testing.assert_allclose(m["se_x"], m["se_y"], rtol=0, atol=tol)
    simple = ours.aggregate("simple").iloc[0]
    assert simple["estimate"] == pytest.approx(ref.overall_att, abs=tol)
    assert simple["se"] == pytest.approx(ref.overall_se, abs=tol)
    for kind, level, key in [("dynamic", "event_study", "event_time"), ("group", "group", "group")]:
        a = ours.aggregate(kind)
        a = a[a["term"] != "overall"]
        b = ref.aggregate(level).to_dataframe()
        lab = "event_time" if level == "event_study" else "label"
        b = b.set_index(b[lab].astype(float)).loc[a[key].astype(float).to_numpy()]
        np.testing.assert_allclose(a["estimate"], b["att"], rtol=0, atol=tol)
        np.testing.assert_allclose(a["se"], b["se"], rtol=0, atol=tol)


@pytest.mark.parametrize(
    ("control", "base_period", "anticipation"),
    [("never", "universal", 0), ("never", "varying", 1), ("notyet", "universal", 1)],
)
def test_attgt_base_period_and_anticipation_match_diff_diff(
    mpdta, control, base_period, anticipation
):
    dd = pytest.importorskip("diff_diff")
    kw = dict(control=control, base_period=base_period, anticipation=anticipation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cohort 2004 has no base period when anticipation = 1
        ours = callaway_santanna(mpdta, **MPDTA, **kw).attgt
        ref = dd.CallawaySantAnna(
            control_group={"never": "never_treated", "notyet": "not_yet_treated"}[control],
            base_period=base_period,
            anticipation=anticipation,
        ).fit(mpdta, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat")
    theirs = ref.to_dataframe().dropna(subset=["effect"])
    m = ours.astype({"group": float, "time": float}).merge(
        theirs.astype({"group": float, "time": float}), on=["group", "time"]
    )
    assert len(m) == len(theirs) > 0
    np.testing.assert_allclose(m["att"], m["effect"], rtol=0, atol=1e-10)
    real = m["se_y"] > 0  # diff_diff reports the universal reference cells with SE 0
    np.testing.assert_allclose(m.loc[real, "se_x"], m.loc[real, "se_y"], rtol=0, atol=1e-10)
    assert m.loc[~real, "se_x"].isna().all()


# ------------------------------------------------------------------------------------------------
# synthetic staggered panel with known ATT(g,t)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_cs_covers_the_truth(panel, truth, control):
    res = callaway_santanna(panel, **SYN, control=control, cluster="district")
    m = res.attgt.astype({"group": float, "time": float}).merge(truth, on=["group", "time"])
    assert len(m) == 3 * 11
    covered = (m["ci_low"] <= m["true"]) & (m["true"] <= m["ci_high"])
    assert covered.mean() >= 0.85
    # and the estimates are not trivially wide: on average within 0.3 of the truth
    assert (m["att"] - m["true"]).abs().mean() < 0.3
    simple = res.aggregate("simple").iloc[0]
    true_simple = _true_simple(truth, panel)
    assert simple["ci_low"] <= true_simple <= simple["ci_high"]
    assert simple["estimate"] == pytest.approx(true_simple, rel=0.05)
    dyn = res.aggregate("dynamic")
    post = dyn[(dyn["term"] != "overall") & (dyn["event_time"] >= 0)]
    true_e = truth.assign(e=truth["time"] - truth["group"]).groupby("e")["true"].mean()
    true_e = true_e.loc[post["event_time"].astype(float).to_numpy()].to_numpy()
    inside = (post["ci_low"].to_numpy() <= true_e) & (true_e <= post["ci_high"].to_numpy())
    assert inside.mean() >= 0.8


def test_twfe_static_is_biased_toward_zero(panel, truth, cs_never):
    """Effects grow with exposure and early cohorts gain most: TWFE uses already-treated units as
    controls, so its coefficient falls far below the true average effect (Goodman-Bacon 2021)."""
    true_simple = _true_simple(truth, panel)
    tw = twfe(panel, **SYN, cluster="district")
    b = tw.tidy().iloc[0]
    assert b["term"] == "treat_post"
    assert 0 < b["estimate"] < 0.6 * true_simple
    assert b["ci_high"] < true_simple  # the bias is not sampling noise
    cs = cs_never.aggregate("simple").iloc[0]
    assert abs(cs["estimate"] - true_simple) < abs(b["estimate"] - true_simple) / 5


def test_sun_abraham_equals_cs_dynamic(panel):
    sa = sun_abraham(panel, **SYN, cluster="district").tidy()
    cs_u = callaway_santanna(panel, **SYN, cluster="district", base_period="universal")
    dyn = cs_u.aggregate("dynamic")
    m = sa.merge(dyn, on="term", suffixes=("_sa", "_cs"))
    assert len(m) == len(sa) == 18  # e = -9..-2, 0..8, overall
    # identical estimands (never-treated controls, base g-1, cohort-share weights): equal numbers
    np.testing.assert_allclose(m["estimate_sa"], m["estimate_cs"], rtol=0, atol=1e-8)
    # regression CRV1 vs influence-function SEs: same order of magnitude
    ratio = m["se_sa"] / m["se_cs"]
    assert ratio.between(0.3, 1.5).all()
    # post-treatment event times also equal the default (varying base) CS
    dyn_v = callaway_santanna(panel, **SYN, cluster="district").aggregate("dynamic")
    post = sa[sa["event_time"] >= 0].merge(dyn_v, on="term", suffixes=("_sa", "_cs"))
    np.testing.assert_allclose(post["estimate_sa"], post["estimate_cs"], rtol=0, atol=1e-8)


def test_sun_abraham_last_treated_control(panel, truth):
    sa = sun_abraham(panel, **SYN, cluster="district", control="last").tidy()
    # cohort 10 is the control, periods >= 10 are dropped: event times up to 9 - 4 = 5
    assert sa.loc[sa["term"] != "overall", "event_time"].max() == 5
    true_e = truth.assign(e=truth["time"] - truth["group"])
    true_e = true_e[(true_e["group"] < 10) & (true_e["time"] < 10)].groupby("e")["true"].mean()
    post = sa[(sa["term"] != "overall") & (sa["event_time"] >= 0)]
    err = np.abs(post["estimate"].to_numpy() - true_e.loc[post["event_time"].astype(float)])
    assert (err < 4 * post["se"].to_numpy()).all()


def test_pretrend_test_size_and_power():
    """Under parallel trends the p-values are not small; an injected pre-trend is detected."""
    p_null, p_alt = [], []
    for seed in range(10):
        null = callaway_santanna(make_panel(seed), **SYN, cluster="district")
        p_null.append(null.pretrend_test("dynamic").p_value_f)
        alt = callaway_santanna(make_panel(seed, pretrend=0.3), **SYN, cluster="district")
        w = alt.pretrend_test()
        p_alt.append(max(w.p_value, w.p_value_f, alt.pretrend_test("dynamic").p_value_f))
    assert np.median(p_null) > 0.2
    assert np.mean(np.array(p_null) < 0.05) <= 0.3
    assert max(p_alt) < 1e-6


def test_pretrend_test_details(cs_never):
    w = cs_never.pretrend_test()
    assert w.n_cells == 15  # 2 + 5 + 8 pre-treatment cells (t = 2.. g-1)
    assert w.df == 15 and w.n_clusters == 40 and w.df_denom == 25
    assert w.f_statistic == pytest.approx(w.statistic * 25 / (15 * 39))
    assert set(w.as_dict()) >= {"statistic", "df", "p_value", "p_value_f"}
    # universal base: the reference cells (no variance) are left out
    u = callaway_santanna(make_panel(), **SYN, cluster="district", base_period="universal")
    assert u.pretrend_test().n_cells == 15
    dyn = cs_never.pretrend_test("dynamic")
    assert dyn.terms[0] == "e=-8" and dyn.n_cells == 8  # varying base: e = -8 .. -1


def test_aggregations_are_weighted_means_of_attgt(cs_never, panel):
    a = cs_never.attgt.astype({"group": float, "time": float})
    size = panel.groupby("first_treat")["id"].nunique()
    a["w"] = a["group"].map(size)
    post = a[a["post"]]
    cal = cs_never.aggregate("calendar")
    comp = cal[cal["term"] != "overall"]
    want = post.groupby("time").apply(lambda d: np.sum(d["w"] * d["att"]) / d["w"].sum())
    np.testing.assert_allclose(comp["estimate"], want.loc[comp["time"].astype(float)], atol=1e-12)
    assert cal.iloc[-1]["estimate"] == pytest.approx(comp["estimate"].mean())
    grp = cs_never.aggregate("group")
    gcomp = grp[grp["term"] != "overall"]
    want_g = post.groupby("group")["att"].mean()
    np.testing.assert_allclose(gcomp["estimate"], want_g.to_numpy(), atol=1e-12)
    w = size.loc[want_g.index].to_numpy(float)
    assert grp.iloc[-1]["estimate"] == pytest.approx(np.sum(w * want_g) / w.sum())
    assert (grp["se"] > 0).all() and (cal["se"] > 0).all()
    everything = cs_never.aggregate_all()
    assert set(everything["aggregation"]) == {"simple", "group", "dynamic", "calendar"}


def test_clustering_changes_the_ses(panel):
    by_unit = callaway_santanna(panel, **SYN).aggregate("simple").iloc[0]
    by_district = callaway_santanna(panel, **SYN, cluster="district").aggregate("simple").iloc[0]
    assert by_unit["estimate"] == by_district["estimate"]
    # treatment is assigned by district: the district-clustered SE is the larger one
    assert by_district["se"] > 1.5 * by_unit["se"]


def test_tidy_layout_is_shared(cs_never, panel):
    tw = twfe(panel, **SYN, cluster="district", event_study=True, window=(-4, 4))
    sa = sun_abraham(panel, **SYN, cluster="district")
    for table in (
        cs_never.tidy(),
        cs_never.aggregate("dynamic"),
        tw.tidy(),
        sa.tidy(),
    ):
        cols = [c for c in table.columns if c in TIDY_COLUMNS]
        assert cols == list(TIDY_COLUMNS)
        assert str(table["event_time"].dtype) == "Int64"  # integer time stays integer
    es = tw.tidy()
    assert es["term"].iloc[0] == "e<=-4" and es["term"].iloc[-1] == "e>=4"
    assert "e=-1" not in set(es["term"])
    assert tw.pretrend_test().n_cells == 3
    assert sa.pretrend_test().n_cells == 8


# ------------------------------------------------------------------------------------------------
# bootstrap
# ------------------------------------------------------------------------------------------------


def test_cs_multiplier_bootstrap_is_seeded(panel):
    kw = dict(**SYN, cluster="district", wild_bootstrap=True, n_boot=499)
    a = callaway_santanna(panel, **kw, seed=7).aggregate("dynamic")
    b = callaway_santanna(panel, **kw, seed=7).aggregate("dynamic")
    c = callaway_santanna(panel, **kw, seed=8).aggregate("dynamic")
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["se"], c["se"])
    analytic = callaway_santanna(panel, **SYN, cluster="district").aggregate("dynamic")
    np.testing.assert_array_equal(a["estimate"], analytic["estimate"])
    # bootstrap and analytic SEs estimate the same thing
    assert (a["se"] / analytic["se"]).between(0.7, 1.4).all()
    comp = a["term"] != "overall"
    assert (a.loc[comp, "cband_low"] < a.loc[comp, "ci_low"]).all()  # sup-t band is wider


def test_twfe_wild_cluster_bootstrap_is_seeded(panel):
    kw = dict(**SYN, cluster="district", wild_bootstrap=True, n_boot=999)
    a = twfe(panel, **kw, seed=3).tidy()
    b = twfe(panel, **kw, seed=3).tidy()
    pd.testing.assert_frame_equal(a, b)
    row = a.iloc[0]
    assert row["ci_low_wild"] < row["estimate"] < row["ci_high_wild"]
    assert row["p_wild"] < 0.05
    # with 40 clusters the bootstrap interval is close to the CRV1 t(G-1) one
    assert row["ci_high_wild"] - row["ci_low_wild"] == pytest.approx(
        row["ci_high"] - row["ci_low"], rel=0.25
    )


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pyfixest internals under pandas 3
def test_wild_bootstrap_algebra_equals_refitting():
    """The fast restricted wild bootstrap t* equals refitting feols on each bootstrap sample."""
    pf = pytest.importorskip("pyfixest")
    data = make_panel(seed=5, n_cl=12, per_cl=3, n_t=10)
    data = data.assign(x=np.random.default_rng(1).normal(size=len(data))).sample(
        frac=0.9, random_state=2
    )  # unbalanced, with a covariate
    P = _prepare(data, **SYN, cluster="district", covariates=["x"])
    long = _long_codes(P)
    long["D"] = ((long["g"] > 0) & (long["time"] >= long["g"])).astype(float)
    y = long["y"].to_numpy()
    X = long[["D", "x0"]].to_numpy()
    cl = long["cl_code"].to_numpy()
    G = int(cl.max()) + 1
    demean = _TwoWayDemeaner(long["u_code"].to_numpy(), long["t_code"].to_numpy())
    fml = "y ~ D + x0 | u_code + t_code"
    fit = pf.feols(fml, data=long, vcov={"CRV1": "cl_code"}, fixef_rm="none")
    v = _draw_weights(np.random.default_rng(0), (2, G), "rademacher")
    beta0 = 0.3
    for k, name in enumerate(["D", "x0"]):
        setup = _wcr_setup(demean(y), demean(X), k, cl, G, demean)
        assert setup["beta"] == pytest.approx(fit.coef()[name], abs=1e-10)
        ssc = (fit.se()[name] / setup["se0"]) ** 2  # pyfixest's small-sample factor
        _, tstar = _wcr_pvalue(setup, v, beta0)
        other = "x0" if name == "D" else "D"
        restricted = pf.feols(
            f"yr ~ {other} | u_code + t_code",
            data=long.assign(yr=y - beta0 * long[name]),
            fixef_rm="none",
        ).resid()
        for b in range(2):
            ystar = y - restricted + v[b, cl] * restricted
            fb = pf.feols(
                fml.replace("y ~", "ys ~"),
                data=long.assign(ys=ystar),
                vcov={"CRV1": "cl_code"},
                fixef_rm="none",
            )
            t_ref = (fb.coef()[name] - beta0) / fb.se()[name]
            assert tstar[b] / np.sqrt(ssc) == pytest.approx(t_ref, rel=1e-7)


# ------------------------------------------------------------------------------------------------
# the fast paths give the numbers of the straightforward ones
# ------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pyfixest internals under pandas 3
@pytest.mark.parametrize(
    ("estimator", "kw"),
    [
        ("twfe", {}),
        ("twfe", {"event_study": True, "window": (-4, 4)}),
        ("twfe", {"event_study": True, "cluster": None}),
        ("sun_abraham", {}),
        ("sun_abraham", {"control": "last"}),
    ],
)
def test_sparse_fixed_effects_ols_equals_pyfixest(panel, monkeypatch, estimator, kw):
    """On a balanced panel `_fe_ols` replaces pyfixest (the Sun–Abraham regression has a dummy
    per cohort x event time); coefficients, the CRV1 covariance (pyfixest's small-sample
    correction) and t(G-1) inference agree to rounding."""
    pytest.importorskip("pyfixest")
    kw = {"cluster": "district", **kw}
    fast = getattr(did, estimator)(panel, **SYN, **kw)
    assert isinstance(fast.fit, did._FEFit)
    monkeypatch.setattr(did, "_fe_ols", lambda *a, **k: None)  # force pyfixest
    ref = getattr(did, estimator)(panel, **SYN, **kw)
    assert not isinstance(ref.fit, did._FEFit)
    names = list(ref.fit._coefnames)
    assert fast.fit._coefnames == names
    np.testing.assert_allclose(fast.fit.coef()[names], ref.fit.coef()[names], rtol=1e-10)
    np.testing.assert_allclose(fast.fit._vcov, np.asarray(ref.fit._vcov), rtol=1e-9, atol=1e-14)
    assert fast.fit._df_t == ref.fit._df_t
    a, b = fast.tidy(), ref.tidy()
    num = [c for c in a.columns if a[c].dtype.kind == "f"]
    np.testing.assert_allclose(a[num], b[num], rtol=1e-9, atol=1e-12)
    if estimator == "sun_abraham" or kw.get("event_study"):
        assert fast.pretrend_test().p_value == pytest.approx(ref.pretrend_test().p_value, 1e-9)


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_unbalanced_or_collinear_panels_go_to_pyfixest(panel):
    pytest.importorskip("pyfixest")
    unbalanced = panel.sample(frac=0.9, random_state=0)
    assert not isinstance(twfe(unbalanced, **SYN, cluster="district").fit, did._FEFit)
    # a covariate equal to the period: absorbed by the period effects, pyfixest drops it
    collinear = panel.assign(x=panel["period"].astype(float))
    fit = twfe(collinear, **SYN, cluster="district", covariates=["x"]).fit
    assert not isinstance(fit, did._FEFit) and "x0" not in list(fit._coefnames)


def test_unclustered_equals_a_fit_without_cluster(panel):
    for boot in ({}, {"wild_bootstrap": True, "n_boot": 199, "seed": 3}):
        clustered = callaway_santanna(panel, **SYN, cluster="district", **boot)
        derived = clustered.unclustered()
        direct = callaway_santanna(panel, **SYN, **boot)
        pd.testing.assert_frame_equal(derived.attgt, direct.attgt)
        assert derived.n_clusters == direct.n_clusters and derived.cluster is None
        for kind in ("simple", "dynamic", "calendar"):
            pd.testing.assert_frame_equal(derived.aggregate(kind), direct.aggregate(kind))
        assert derived.pretrend_test("dynamic") == direct.pretrend_test("dynamic")
        # the clustered fit is left as it was
        assert clustered.cluster == "district" and clustered.n_clusters == 40


@pytest.mark.parametrize(
    ("control", "method"), [("never", "dr"), ("notyet", "dr"), ("notyet", "ipw")]
)
def test_shared_comparison_designs_change_no_number(panel, monkeypatch, control, method):
    """Propensity scores and control Gram matrices are computed once per distinct comparison
    (`_design`) and shared by the cells; recomputing them in every cell (the loop as it was)
    gives bit-identical ATT(g,t) and influence functions."""
    data = panel.assign(base=panel.groupby("id")["y"].transform("first"))
    kw = dict(**SYN, control=control, method=method, covariates=["base"], cluster="district")
    calls = []
    real_design = did._design
    monkeypatch.setattr(did, "_design", lambda *a: calls.append(1) or real_design(*a))
    shared = callaway_santanna(data, **kw)
    n_shared = len(calls)
    real_att = did._att_2x2
    monkeypatch.setattr(did, "_att_2x2", lambda dy, D, X, m, design=None: real_att(dy, D, X, m))
    calls.clear()
    loop = callaway_santanna(data, **kw)
    assert n_shared < len(shared.attgt) <= len(calls)  # shared: fewer designs than cells
    pd.testing.assert_frame_equal(shared.attgt, loop.attgt)
    np.testing.assert_array_equal(shared.influence, loop.influence)


def test_distribution_functions_equal_scipy_stats():
    """did uses scipy.special directly (scipy.stats is slow to import): the same numbers."""
    from scipy import stats

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, 500), [0, -0.0, np.inf, -np.inf, np.nan, 40, -40]])
    q = np.concatenate([rng.uniform(0, 1, 500), [0, 1, 0.5, 0.975, 0.025, np.nan]])

    def same(a, b):
        return np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True)

    assert same(did._norm_sf(x), stats.norm.sf(x))
    assert same(did._norm_ppf(q), stats.norm.ppf(q))
    for df in (1, 2.5, 37, 1030):
        assert same(did._t_sf(x, df), stats.t.sf(x, df))
        assert same(did._t_ppf(q, df), stats.t.ppf(q, df))
        assert same(did._chi2_sf(x, df), stats.chi2.sf(x, df))
        for df2 in (1, 37):
            assert same(did._f_sf(x, df, df2), stats.f.sf(x, df, df2))


# ------------------------------------------------------------------------------------------------
# input errors
# ------------------------------------------------------------------------------------------------


def test_missing_column_is_named(panel):
    with pytest.raises(ValueError, match="'yy'"):
        callaway_santanna(panel, **{**SYN, "outcome": "yy"})
    with pytest.raises(DiDInputError, match="'county'"):
        twfe(panel, **SYN, cluster="county")
    assert issubclass(DiDInputError, JianfuError)


def test_duplicate_unit_time_rows(panel):
    bad = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(ValueError, match=r"share a \(unit, time\) pair"):
        callaway_santanna(bad, **SYN)


def test_cohort_outside_the_time_range(panel):
    late = panel.assign(first_treat=panel["first_treat"].replace(10, 20))
    with pytest.raises(ValueError, match="after the last period"):
        callaway_santanna(late, **SYN)
    early = panel.assign(first_treat=panel["first_treat"].replace(4, 1))
    with pytest.raises(ValueError, match="always treated"):
        sun_abraham(early, **SYN)
    gap = panel.assign(first_treat=panel["first_treat"].replace(7, 6.5))
    with pytest.raises(ValueError, match="not among the observed periods"):
        callaway_santanna(gap, **SYN)


def test_no_never_treated_units(panel):
    no_never = panel[panel["first_treat"] > 0]
    with pytest.raises(ValueError, match="no never-treated units"):
        callaway_santanna(no_never, **SYN, control="never")
    with pytest.raises(ValueError, match="no never-treated units"):
        sun_abraham(no_never, **SYN, control="never")
    with pytest.warns(UserWarning, match="cohort 10 used as not-yet-treated control"):
        res = callaway_santanna(no_never, **SYN, control="notyet")
    assert set(res.attgt["group"]) == {4, 7}
    assert res.attgt["time"].max() == 9


def test_other_bad_inputs(panel):
    with pytest.raises(ValueError, match="unbalanced"):
        callaway_santanna(panel.iloc[1:], **SYN)
    varying = panel.copy()
    varying.loc[0, "first_treat"] = 7
    with pytest.raises(ValueError, match="constant within each unit"):
        callaway_santanna(varying, **SYN)
    moved = panel.copy()
    moved.loc[0, "district"] = 39
    with pytest.raises(ValueError, match="cluster 'district' must be constant"):
        callaway_santanna(moved, **SYN, cluster="district")
    dates = panel.assign(
        period=pd.to_datetime("2024-01-01") + pd.to_timedelta(panel["period"], "D")
    )
    with pytest.raises(ValueError, match="must be numeric"):
        callaway_santanna(dates, **SYN)
    with pytest.raises(ValueError, match="missing values"):
        callaway_santanna(panel.assign(y=panel["y"].where(panel.index != 3)), **SYN)
    zero = panel.assign(period=panel["period"] - 1, first_treat=panel["first_treat"])
    with pytest.raises(ValueError, match="period 0"):
        callaway_santanna(zero, **SYN)
    with pytest.raises(ValueError, match="control"):
        callaway_santanna(panel, **SYN, control="last")
    with pytest.raises(ValueError, match="kind"):
        callaway_santanna(panel, **SYN).aggregate("cohort")
