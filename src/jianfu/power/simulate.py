"""A light replication generator and the estimators run on it (one Monte Carlo replication).

The full questionnaire simulator (`jianfu.simulate`) writes a 问卷星 export with items, dirt and
office records; a power study needs thousands of data sets, so this module draws the two data
sets the analysis ends with, directly:

(a) **cadre scale scores** (one row per cadre, in SD units) for ``districts`` districts ×
    ``townships_per_district`` townships × ``cadres_per_township`` cadres. Every exogenous score
    and every residual is ``sqrt(icc_district)·u_d + sqrt(icc_township)·u_t + sqrt(1 − both)·e``
    with standard normal district, township and cadre parts, so that scores are clustered as in
    the survey. The structural model is::

        M = a·X + r_M
        Y = c'·X + b·M + g·W + h·(X·W) + r_Y

    with the indirect effect ``a·b`` (``a = indirect / b``, ``b`` fixed by the model settings)
    and the moderation ``h``.
(b) **a township-month panel** of ``months`` months: districts adopt a measure in a few
    staggered cohorts (first treated months spread evenly over the panel) or never; the outcome
    is ``unit effect + month effect + district-month shock + noise + att·treated``, with a
    constant ATT.

`run_replication` then runs the project's own estimators, as the analysis does:
`jianfu.models.process.process_model4` (percentile bootstrap of the indirect effect, optionally
resampling whole townships), `jianfu.models.regression.hierarchical_ols` (the X·W interaction
with cluster-robust SEs by township) and `jianfu.policy.did.callaway_santanna` with never-treated
controls and SEs clustered by district, aggregated with ``aggregate("simple")``.
Every random draw comes from the replication's own `numpy.random.SeedSequence`, so a result
depends on its seed only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

#: Estimands, in the order of every output.
ESTIMANDS: tuple[str, ...] = ("indirect", "interaction", "att")

#: Bilingual names of the estimands (tables and figures).
ESTIMAND_LABELS: dict[str, dict[str, str]] = {
    "indirect": {"zh": "间接效应 a·b（X→M→Y）", "en": "Indirect effect a·b (X→M→Y)"},
    "interaction": {"zh": "调节效应 X×W", "en": "Moderation X×W"},
    "att": {"zh": "政策效应 ATT（CS 简单汇总）", "en": "Policy ATT (CS simple aggregate)"},
}


@dataclass(frozen=True)
class Design:
    """A sample design: districts sampled, townships per district, cadres per township, months."""

    districts: int
    townships_per_district: int
    cadres_per_township: int
    months: int

    def __post_init__(self) -> None:
        for name, low in (
            ("districts", 2),
            ("townships_per_district", 1),
            ("cadres_per_township", 2),
            ("months", 3),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"design.{name} must be an integer >= {low}, got {value!r}")

    @property
    def townships(self) -> int:
        return self.districts * self.townships_per_district

    @property
    def cadres(self) -> int:
        return self.townships * self.cadres_per_township

    def label(self, lang: str = "en") -> str:
        """Short label: ``14×5×34, 24 mo`` (districts × townships × cadres, months)."""
        unit = "个月" if lang == "zh" else " mo"
        return (
            f"{self.districts}×{self.townships_per_district}×{self.cadres_per_township}, "
            f"{self.months}{unit}"
        )


@dataclass(frozen=True)
class Effects:
    """True effect sizes of one grid point (SD units of the outcome scores / panel outcome)."""

    indirect: float
    interaction: float
    att: float

    def truth(self, estimand: str) -> float:
        return float(getattr(self, estimand))


@dataclass(frozen=True)
class ModelSettings:
    """Nuisance parameters of the generator and the estimators' settings."""

    icc_township: float = 0.07
    icc_district: float = 0.03
    b_path: float = 0.45  # M -> Y; a = indirect / b_path
    direct: float = 0.10  # c'
    w_effect: float = 0.20  # main effect of the moderator W on Y
    cohorts: int = 3  # adoption cohorts of the panel (plus never-treated)
    unit_sd: float = 1.0  # township effect of the panel outcome
    month_sd: float = 0.3  # common month effects
    district_month_sd: float = 0.2  # district x month shocks (why SEs cluster by district)
    noise_sd: float = 1.0
    n_boot: int = 500
    cluster_bootstrap: bool = True  # resample whole townships for the indirect effect
    did_method: str = "dr"
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if not 0 <= self.icc_township + self.icc_district < 1:
            raise ValueError("icc_township + icc_district must lie in [0, 1)")
        if self.b_path == 0:
            raise ValueError("b_path must not be 0 (a = indirect / b_path)")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}")

    def as_dict(self) -> dict:
        return asdict(self)


def replication_seed(run_seed: int, design: int, effect: int, rep: int) -> np.random.SeedSequence:
    """The seed of replication `rep` of grid point (`design`, `effect`): order-free."""
    return np.random.SeedSequence(int(run_seed), spawn_key=(int(design), int(effect), int(rep)))


def _clustered(rng, shape_d: int, shape_t: int, n: int, district, township, m: ModelSettings):
    """Standard normal draws with district and township intraclass correlations."""
    ud = rng.standard_normal(shape_d)[district]
    ut = rng.standard_normal(shape_t)[township]
    e = rng.standard_normal(n)
    resid = 1.0 - m.icc_district - m.icc_township
    return math.sqrt(m.icc_district) * ud + math.sqrt(m.icc_township) * ut + math.sqrt(resid) * e


def draw_survey(
    design: Design, effects: Effects, model: ModelSettings, rng: np.random.Generator
) -> pd.DataFrame:
    """Cadre-level scores X, M, W, Y with the district and township codes."""
    nd, nt = design.districts, design.townships
    n = design.cadres
    township = np.repeat(np.arange(nt), design.cadres_per_township)
    district = township // design.townships_per_district
    x = _clustered(rng, nd, nt, n, district, township, model)
    w = _clustered(rng, nd, nt, n, district, township, model)
    r_m = _clustered(rng, nd, nt, n, district, township, model)
    r_y = _clustered(rng, nd, nt, n, district, township, model)
    a = effects.indirect / model.b_path
    m = a * x + r_m
    y = model.direct * x + model.b_path * m + model.w_effect * w + effects.interaction * x * w
    y = y + r_y
    return pd.DataFrame(
        {
            "district": district,
            "township": township,
            "X": x,
            "M": m,
            "W": w,
            "Y": y,
        }
    )


def cohort_months(months: int, cohorts: int) -> list[int]:
    """First treated months (1-based periods), spread evenly, each with a pre-period."""
    firsts = sorted({1 + (months * (k + 1)) // (cohorts + 1) for k in range(cohorts)})
    return [g for g in firsts if 2 <= g <= months]


def draw_panel(
    design: Design, effects: Effects, model: ModelSettings, rng: np.random.Generator
) -> pd.DataFrame:
    """Balanced township-month panel with staggered district adoption (cohort 0 = never)."""
    nd, nt, nm = design.districts, design.townships, design.months
    firsts = cohort_months(nm, model.cohorts)
    groups = [0, *firsts]  # never-treated first: any design has never-treated districts
    order = rng.permutation(nd)
    district_cohort = np.empty(nd, dtype=np.int64)
    district_cohort[order] = [groups[i % len(groups)] for i in range(nd)]
    township_district = np.arange(nt) // design.townships_per_district
    cohort = district_cohort[township_district]
    time = np.arange(1, nm + 1)
    unit_fx = model.unit_sd * rng.standard_normal(nt)
    month_fx = model.month_sd * rng.standard_normal(nm)
    dm = model.district_month_sd * rng.standard_normal((nd, nm))[township_district]
    noise = model.noise_sd * rng.standard_normal((nt, nm))
    treated = (cohort[:, None] > 0) & (time[None, :] >= cohort[:, None])
    y = unit_fx[:, None] + month_fx[None, :] + dm + noise + effects.att * treated
    return pd.DataFrame(
        {
            "township": np.repeat(np.arange(nt), nm),
            "district": np.repeat(township_district, nm),
            "month": np.tile(time, nt),
            "cohort": np.repeat(cohort, nm),
            "y": y.ravel(),
        }
    )


def _row(estimand, estimate, se, lo, hi, p, rejected, error=""):
    return {
        "estimand": estimand,
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p": float(p),
        "reject": bool(rejected),
        "error": error,
    }


def _failed(estimand: str, exc: Exception) -> dict:
    nan = float("nan")
    return _row(estimand, nan, nan, nan, nan, nan, False, f"{type(exc).__name__}: {exc}")


def estimate_indirect(survey: pd.DataFrame, model: ModelSettings, boot_seed: int) -> dict:
    from jianfu.models.process import process_model4

    res = process_model4(
        survey,
        "X",
        "M",
        "Y",
        n_boot=int(model.n_boot),
        seed=boot_seed,
        ci=1 - model.alpha,
        ci_type="percentile",
        cluster="township" if model.cluster_bootstrap else None,
    )
    t = res.table.set_index("term").loc["ind[M]"]
    lo, hi = float(t["ci_low"]), float(t["ci_high"])
    return _row("indirect", t["estimate"], t["se"], lo, hi, np.nan, lo > 0 or hi < 0)


def estimate_interaction(survey: pd.DataFrame, model: ModelSettings) -> dict:
    from jianfu.models.regression import hierarchical_ols

    res = hierarchical_ols(
        survey, "Y", [["X", "M", "W"], ["X:W"]], cluster="township", cov_type="cluster"
    )
    fit = res.fits[-1]
    lo, hi = (float(v) for v in fit.conf_int(alpha=model.alpha).loc["X:W"])
    p = float(fit.pvalues["X:W"])
    return _row("interaction", fit.params["X:W"], fit.bse["X:W"], lo, hi, p, p < model.alpha)


def estimate_att(panel: pd.DataFrame, model: ModelSettings) -> dict:
    from jianfu.policy.did import callaway_santanna

    res = callaway_santanna(
        panel,
        outcome="y",
        unit="township",
        time="month",
        cohort="cohort",
        control="never",
        method=model.did_method,
        cluster="district",
        alpha=model.alpha,
    )
    agg = res.aggregate("simple").iloc[0]
    p = float(agg["p"])
    return _row(
        "att", agg["estimate"], agg["se"], agg["ci_low"], agg["ci_high"], p, p < model.alpha
    )


def run_replication(
    run_seed: int,
    keys: tuple[int, int, int],
    design: Design,
    effects: Effects,
    model: ModelSettings,
) -> list[dict]:
    """Draw both data sets of one replication and run the three estimators.

    Returns one record per estimand: ``design, effect, rep, estimand, truth, estimate, se,
    ci_low, ci_high, p, reject, covered, error`` (an estimator that fails gives NaNs and its
    error message; the summary counts it as missing).
    """
    d, e, r = keys
    ss = replication_seed(run_seed, d, e, r)
    data_ss, boot_ss = ss.spawn(2)
    rng = np.random.default_rng(data_ss)
    boot_seed = int(boot_ss.generate_state(1, np.uint64)[0])
    survey = draw_survey(design, effects, model, rng)
    panel = draw_panel(design, effects, model, rng)
    out = []
    for estimand, fn in (
        ("indirect", lambda: estimate_indirect(survey, model, boot_seed)),
        ("interaction", lambda: estimate_interaction(survey, model)),
        ("att", lambda: estimate_att(panel, model)),
    ):
        try:
            row = fn()
        except Exception as exc:  # a failed fit is a result of the study: record it
            row = _failed(estimand, exc)
        truth = effects.truth(estimand)
        covered = bool(row["ci_low"] <= truth <= row["ci_high"]) if not row["error"] else False
        out.append({"design": d, "effect": e, "rep": r, **row, "truth": truth, "covered": covered})
    return out
