"""Staggered difference-in-differences: Callaway–Sant'Anna, TWFE and Sun–Abraham event studies.

Every function takes a long unit-period panel (one row per unit and period) and the names of its
columns; nothing here knows the project's own column names.

Conventions shared by all estimators
------------------------------------
- ``time`` is numeric: integers are recommended (years, or months coded as ``year * 12 + month``,
  or a 0, 1, 2, ... period index). Dates, ``Period`` and strings are refused: convert them first.
  Event time is ``time - cohort`` in the units of ``time``. On a grid with gaps the
  Callaway–Sant'Anna base period is the nearest *observed* earlier period (as in R ``did``).
- ``cohort`` is the **first treated period**, in the units of ``time``, constant within a unit.
  **Never-treated units have cohort 0, NaN or +inf** (all three are accepted). Because 0 means
  "never", a panel whose periods include 0 must not have units with cohort 0 (the error says so).
- A treated cohort must be one of the observed periods and must have a pre-period: cohorts after
  the last period, at or before the first period (always treated) or between observed periods are
  refused with a message; recode or drop those units yourself (R ``did`` drops units treated in
  the first period with a warning).
- ``cluster`` is a column constant within unit (units nested in clusters, e.g. townships in
  districts). Without it, inference is at the unit level.
- Every result has ``tidy()`` returning the columns of `TIDY_COLUMNS` (``term, group, time,
  event_time, estimate, se, ci_low, ci_high, p``) plus method-specific extra columns.
- Bad input raises `DiDInputError`, which is both a ``ValueError`` and the project's
  ``JianfuError``.

Where each method comes from
----------------------------
- `callaway_santanna`: Callaway & Sant'Anna (2021), implemented here in NumPy following R ``did``
  2.x (``att_gt`` / ``aggte``) and R ``DRDID`` (``drdid_panel``, ``std_ipw_did_panel``,
  ``reg_did_panel``) formula by formula, including the influence functions, the weight influence
  function of the aggregations, the base-period rules ("varying" / "universal"), not-yet-treated
  controls and anticipation. It reproduces R ``did`` on ``mpdta`` (all 12 ATT(g,t), their analytic
  SEs and the simple aggregate agree to about 1e-16) and ``diff_diff.CallawaySantAnna`` 3.13 (group
  and event-study aggregates, not-yet-treated controls, ipw / reg with covariates, clustered SEs:
  about 1e-16), which the tests check. With covariates, "dr" differs from ``diff_diff`` in the
  6th decimal: ``diff_diff`` does not normalise the control weights of the doubly robust
  estimator, R ``DRDID::drdid_panel`` does and so does this code. ``diff_diff`` is not wrapped
  because its per-unit
  influence functions are not public API (they are needed for clustered pre-trend tests and for
  one cluster multiplier bootstrap shared by all aggregations) and it has no calendar
  aggregation. Deliberate differences from R ``did``:

  * clustered analytic SEs: R ``did`` clusters only through the bootstrap. Here
    ``V = G/(G-1) * sum_c (S_c - mean S)^2 / n^2`` with ``S_c`` the cluster sum of the unit
    influence functions (the CR1 form ``diff_diff`` uses, and the one the tests compare with).
  * the cluster multiplier bootstrap perturbs cluster *sums* (``(1/n) sum_c v_c S_c``); R ``did``
    perturbs cluster *means* scaled by the number of clusters, which is the same with equal
    cluster sizes. Without clustering both are R's unit-level bootstrap; SEs are R's
    IQR-based ``(q75 - q25) / (z75 - z25)`` and bands are R's sup-t bands.
  * the SE of the overall "group" aggregate uses the weight influence function over the cohorts
    (``G == g`` for each cohort g). R ``did`` (up to 2.1.2 at least) indexes the cohorts of the
    first ``len(glist)`` ATT(g,t) cells there, which looks like a bug; the per-cohort rows and the
    point estimate are unaffected.
  * the pre-trend Wald test uses the cells with ``t < g - anticipation`` (R uses ``t < g``; the
    same when ``anticipation = 0``) and a pseudo-inverse when the covariance is singular (which
    happens with fewer clusters than cells), with the rank as degrees of freedom; it also reports
    a small-sample F version, and can test the event-time aggregates instead of the cells (with
    few clusters the chi-squared test over-rejects badly, see `CallawaySantAnnaResult.
    pretrend_test`).
  * SEs of exactly zero (the reference cells of the universal base period) are reported as NaN;
    R also blanks SEs below ``sqrt(machine eps) * 10``, which would hide genuine SEs of outcomes
    on a very small scale.

  With ``anticipation > 0`` the aggregations count ``t >= g`` as post-treatment, as R ``did``;
  ``diff_diff`` also counts the anticipation window ``g - anticipation <= t < g``.
- `twfe`: static (treated x post) or dynamic (event-time dummies) two-way fixed-effects
  regression fitted with ``pyfixest.feols`` (unit and period fixed effects, CRV1 cluster-robust
  SEs with pyfixest's / fixest's default small-sample correction and t(G-1) inference). The wild
  cluster bootstrap is implemented here (``pyfixest.wildboottest`` needs the ``wildboottest``
  package, which is not installed): restricted (WCR), symmetric p-values, confidence intervals by
  test inversion, Roodman et al. (2019) "fast and wild" algebra after Frisch–Waugh–Lovell.
- `sun_abraham`: interaction-weighted estimator of Sun & Abraham (2021): a saturated
  cohort x event-time TWFE regression (``pyfixest.feols``, CRV1) aggregated with the cohort
  shares at each event time as fixed weights (as ``fixest::sunab`` and ``diff_diff`` do; the
  sampling error of the shares is ignored). With never-treated controls and a balanced panel its
  event-time estimates equal the Callaway–Sant'Anna dynamic aggregate with never-treated controls
  and ``base_period="universal"`` exactly (post-period ones also with "varying").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse, special
from scipy.special import expit
from threadpoolctl import threadpool_limits

from jianfu.core.errors import JianfuError

__all__ = [
    "TIDY_COLUMNS",
    "CallawaySantAnnaResult",
    "DiDInputError",
    "SunAbrahamResult",
    "TWFEResult",
    "WaldTest",
    "callaway_santanna",
    "sun_abraham",
    "twfe",
]

#: Columns every ``tidy()`` starts with, in this order.
TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "group",
    "time",
    "event_time",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
)

BootWeights = Literal["rademacher", "mammen", "webb"]
_BOOT_WEIGHTS = ("rademacher", "mammen", "webb")


def _norm_ppf(q):
    """``scipy.stats.norm.ppf`` through the special function it calls (the same numbers):
    ``scipy.stats`` takes about 0.4 s to import, a fifth of the stage's start-up."""
    return special.ndtri(q)


def _norm_sf(x):
    return special.ndtr(-np.asarray(x, float))


def _t_ppf(q, df):
    q = np.asarray(q, float)
    return np.where(q == 0, -np.inf, np.where(q == 1, np.inf, special.stdtrit(df, q)))


def _t_sf(x, df):
    return special.stdtr(df, -np.asarray(x, float))


def _chi2_sf(x, df):
    return special.chdtrc(df, np.maximum(x, 0.0))  # below the support: 1, as scipy.stats


def _f_sf(x, dfn, dfd):
    return special.fdtrc(dfn, dfd, np.maximum(x, 0.0))


_Z_IQR = _norm_ppf(0.75) - _norm_ppf(0.25)


class DiDInputError(JianfuError, ValueError):
    """A panel or an argument the difference-in-differences estimators cannot use."""


# ------------------------------------------------------------------------------------------------
# Input checks and panel preparation
# ------------------------------------------------------------------------------------------------


def _examples(values, k: int = 5) -> str:
    vals = list(values)
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in vals[:k])
    return shown + (f", ... ({len(vals)} in all)" if len(vals) > k else "")


def _check_choice(name: str, value, choices: Sequence) -> None:
    if value not in choices:
        raise DiDInputError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise DiDInputError(f"alpha must be between 0 and 1, got {alpha!r}")


@dataclass
class _Long:
    """The validated long panel, with internal column names and integer codes."""

    df: pd.DataFrame  # columns: y, unit, time, g (0.0 = never), cl, x0..xk-1, u_code, t_code
    times: np.ndarray  # sorted distinct periods
    cohorts: np.ndarray  # sorted distinct treated cohorts
    n_units: int
    cluster_name: str | None
    covariates: list[str]
    time_dtype: object


def _prepare(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    require_balanced: bool = False,
) -> _Long:
    if not isinstance(data, pd.DataFrame):
        raise DiDInputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = [] if covariates is None else list(covariates)
    roles = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort}
    if cluster is not None:
        roles["cluster"] = cluster
    for name, col in roles.items():
        if not isinstance(col, str):
            raise DiDInputError(f"{name} must be a column name (str), got {col!r}")
    needed = [outcome, unit, time, cohort, *covariates] + ([cluster] if cluster else [])
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise DiDInputError(
            f"column(s) not found in data: {_examples(missing)}; "
            f"available columns: {_examples(list(data.columns), 12)}"
        )
    if len(data) == 0:
        raise DiDInputError("data has no rows")

    tcol = data[time]
    if not pd.api.types.is_numeric_dtype(tcol) or pd.api.types.is_bool_dtype(tcol):
        raise DiDInputError(
            f"time column {time!r} must be numeric (e.g. years, or months coded as "
            f"year * 12 + month), got dtype {tcol.dtype}"
        )
    if tcol.isna().any():
        raise DiDInputError(f"time column {time!r} has {int(tcol.isna().sum())} missing values")
    if data[unit].isna().any():
        raise DiDInputError(
            f"unit column {unit!r} has {int(data[unit].isna().sum())} missing values"
        )
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        ex = data.loc[dup, [unit, time]].drop_duplicates().head(5)
        pairs = ", ".join(f"({u!r}, {t!r})" for u, t in ex.itertuples(index=False))
        raise DiDInputError(
            f"{int(dup.sum())} rows share a (unit, time) pair with another row; a panel needs "
            f"one row per {unit!r} and {time!r}: e.g. {pairs}"
        )
    gcol = data[cohort]
    if not pd.api.types.is_numeric_dtype(gcol) or pd.api.types.is_bool_dtype(gcol):
        raise DiDInputError(
            f"cohort column {cohort!r} must be numeric (first treated period, in the units of "
            f"{time!r}; 0 / NaN / inf for never treated), got dtype {gcol.dtype}"
        )
    for col, role in [(outcome, "outcome"), *((c, "covariate") for c in covariates)]:
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise DiDInputError(f"{role} column {col!r} must be numeric, got dtype {s.dtype}")
        if s.isna().any():
            raise DiDInputError(
                f"{role} column {col!r} has {int(s.isna().sum())} missing values; drop those "
                f"rows (or units) first"
            )

    df = pd.DataFrame(
        {
            "y": data[outcome].to_numpy(dtype=float),
            "unit": data[unit].to_numpy(),
            "time": tcol.to_numpy(),
            "g": gcol.to_numpy(dtype=float),
        }
    )
    for j, c in enumerate(covariates):
        df[f"x{j}"] = data[c].to_numpy(dtype=float)
    times = np.sort(df["time"].unique())
    g = df["g"].to_numpy()
    never = np.isnan(g) | (g == 0) | (np.isposinf(g))
    if (g == 0).any() and (times == 0).any():
        raise DiDInputError(
            f"time {time!r} has a period 0 and some units have cohort 0, which here means "
            f"'never treated'; recode never-treated units as NaN (or shift the time index)"
        )
    df["g"] = np.where(never, 0.0, g)
    nuniq = df.groupby("unit", sort=False)["g"].nunique()
    if (nuniq > 1).any():
        raise DiDInputError(
            f"cohort {cohort!r} must be constant within each unit; it varies for "
            f"{int((nuniq > 1).sum())} units: {_examples(nuniq.index[nuniq > 1])}"
        )
    treated = np.unique(df.loc[df["g"] != 0, "g"].to_numpy())
    after = treated[treated > times.max()]
    before = treated[treated <= times.min()]
    between = treated[(treated > times.min()) & (treated <= times.max()) & ~np.isin(treated, times)]
    problems = []
    if len(after):
        problems.append(
            f"after the last period {_fmt(times.max())}: {_examples(after)} (if these units are "
            f"not treated within the panel, recode them as never treated)"
        )
    if len(before):
        problems.append(
            f"at or before the first period {_fmt(times.min())}: {_examples(before)} (always "
            f"treated, no pre-period: drop these units)"
        )
    if len(between):
        problems.append(f"not among the observed periods: {_examples(between)}")
    if problems:
        raise DiDInputError(
            f"cohort {cohort!r} (first treated period, in the units of {time!r}) has values "
            + "; ".join(problems)
        )
    if len(treated) == 0:
        raise DiDInputError(f"cohort {cohort!r}: no unit is ever treated")

    if cluster is not None:
        cl = data[cluster]
        if cl.isna().any():
            raise DiDInputError(
                f"cluster column {cluster!r} has {int(cl.isna().sum())} missing values"
            )
        df["cl"] = cl.to_numpy()
        ncl = df.groupby("unit", sort=False)["cl"].nunique()
        if (ncl > 1).any():
            raise DiDInputError(
                f"cluster {cluster!r} must be constant within each unit (units nested in "
                f"clusters); it varies for {int((ncl > 1).sum())} units: "
                f"{_examples(ncl.index[ncl > 1])}"
            )
    else:
        df["cl"] = df["unit"]
    df["u_code"] = pd.factorize(df["unit"], sort=True)[0]
    df["t_code"] = np.searchsorted(times, df["time"].to_numpy())
    n_units = int(df["u_code"].max()) + 1
    if require_balanced:
        counts = df.groupby("u_code").size()
        short = counts[counts < len(times)]
        if len(short):
            labels = pd.factorize(df["unit"], sort=True)[1]
            raise DiDInputError(
                f"the panel is unbalanced: {len(short)} of {n_units} units are not observed in "
                f"all {len(times)} periods (e.g. {_examples(labels[short.index.to_numpy()])}); "
                f"Callaway–Sant'Anna here needs a balanced panel: keep units observed in every "
                f"period (R did balances the panel the same way)"
            )
    return _Long(
        df=df.sort_values(["u_code", "t_code"], kind="stable").reset_index(drop=True),
        times=times,
        cohorts=treated,
        n_units=n_units,
        cluster_name=cluster,
        covariates=covariates,
        time_dtype=tcol.dtype,
    )


def _time_values(values, dtype) -> pd.Series:
    """A time-like column: nullable integers when ``time`` was integer, floats otherwise."""
    s = pd.Series(values, dtype="float64")
    if pd.api.types.is_integer_dtype(dtype):
        return s.astype("Int64")
    return s


# ------------------------------------------------------------------------------------------------
# Inference helpers
# ------------------------------------------------------------------------------------------------


def _draw_weights(rng: np.random.Generator, shape, kind: str) -> np.ndarray:
    if kind == "rademacher":
        return rng.integers(0, 2, size=shape).astype(float) * 2.0 - 1.0
    if kind == "mammen":
        s5 = math.sqrt(5.0)
        lo, hi = -(s5 - 1) / 2, (s5 + 1) / 2
        p_lo = (s5 + 1) / (2 * s5)
        return np.where(rng.random(shape) < p_lo, lo, hi)
    if kind == "webb":
        vals = np.array(
            [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
        )
        return vals[rng.integers(0, 6, size=shape)]
    raise DiDInputError(f"boot_weights must be one of {list(_BOOT_WEIGHTS)}, got {kind!r}")


def _normal_p(est, se):
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2 * _norm_sf(np.abs(np.asarray(est, float) / np.asarray(se, float)))


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test that a set of coefficients is zero.

    Attributes
    ----------
    statistic : the Wald statistic ``W = b' V^+ b``.
    df : its degrees of freedom q (the rank of ``V``).
    p_value : ``P(chi2(q) > W)``, the large-sample test (R ``did``'s pre-test).
    f_statistic, df_denom, p_value_f : small-sample version for a covariance built from G
        cluster (or unit) sums, Hotelling's T^2 approximation: ``F = W (G - q) / (q (G - 1))``
        against ``F(q, G - q)`` (NaN when ``G <= q``). Prefer it with few clusters.
    n_clusters : G.
    n_cells : how many coefficients were tested.
    terms : labels of the tested coefficients.
    note : why ``df`` is below ``n_cells`` (singular covariance), if it is.
    """

    statistic: float
    df: int
    p_value: float
    f_statistic: float
    df_denom: int
    p_value_f: float
    n_clusters: int
    n_cells: int
    terms: tuple[str, ...] = ()
    note: str = ""

    def as_dict(self) -> dict:
        """The numbers as a flat dict (for a one-row table)."""
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "f_statistic": self.f_statistic,
            "df_denom": self.df_denom,
            "p_value_f": self.p_value_f,
            "n_clusters": self.n_clusters,
            "n_cells": self.n_cells,
            "note": self.note,
        }


def _wald(est: np.ndarray, V: np.ndarray, terms: Sequence[str], n_clusters: int) -> WaldTest:
    est = np.asarray(est, float)
    if est.size == 0:
        raise DiDInputError("no pre-treatment coefficients to test")
    w, vecs = np.linalg.eigh((V + V.T) / 2)
    tol = max(w.max(), 0.0) * len(w) * np.finfo(float).eps * 10
    keep = w > tol
    q = int(keep.sum())
    if q == 0:
        raise DiDInputError("the covariance of the pre-treatment coefficients is zero")
    proj = vecs[:, keep].T @ est
    stat = float(np.sum(proj**2 / w[keep]))
    note = ""
    if q < len(est):
        note = (
            f"covariance has rank {q} < {len(est)} coefficients (e.g. fewer clusters than "
            f"cells); pseudo-inverse used, df = rank"
        )
    G = int(n_clusters)
    df2 = G - q
    if df2 > 0:
        f_stat = stat * df2 / (q * (G - 1))
        p_f = float(_f_sf(f_stat, q, df2))
    else:
        f_stat, p_f = np.nan, np.nan
    return WaldTest(
        statistic=stat,
        df=q,
        p_value=float(_chi2_sf(stat, q)),
        f_statistic=float(f_stat),
        df_denom=int(df2),
        p_value_f=p_f,
        n_clusters=G,
        n_cells=len(est),
        terms=tuple(terms),
        note=note,
    )


# ------------------------------------------------------------------------------------------------
# Callaway–Sant'Anna: the 2x2 building block (R DRDID, panel data)
# ------------------------------------------------------------------------------------------------


def _logit(X: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Fitted probabilities of the logit MLE (Newton–Raphson with step halving)."""
    k = X.shape[1]
    beta = np.zeros(k)
    p_bar = D.mean()
    beta[0] = math.log(p_bar / (1 - p_bar)) if X[:, 0].std() == 0 else 0.0

    def loglik(b):
        eta = X @ b
        return float(np.sum(D * eta - np.logaddexp(0.0, eta)))

    ll = loglik(beta)
    for _ in range(200):
        p = expit(X @ beta)
        H = X.T @ (X * (p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(H, X.T @ (D - p))
        except np.linalg.LinAlgError as exc:
            raise DiDInputError(
                "propensity-score logit is singular (collinear or constant covariates in a "
                "comparison)"
            ) from exc
        t = 1.0
        while True:
            new = beta + t * step
            ll_new = loglik(new)
            if ll_new >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2
        beta, ll = new, ll_new
        if np.max(np.abs(t * step)) < 1e-11 * (1 + np.max(np.abs(beta))):
            break
    else:  # pragma: no cover - pathological data
        warnings.warn("propensity-score logit did not converge", RuntimeWarning, stacklevel=4)
    p = expit(X @ beta)
    if np.any(p > 1 - 1e-10) or np.any(p < 1e-10):
        warnings.warn(
            "propensity scores of 0 or 1 (perfect separation by the covariates)",
            RuntimeWarning,
            stacklevel=4,
        )
    return p


def _design(D: np.ndarray, X: np.ndarray, method: str) -> dict:
    """The parts of a 2x2 comparison that depend only on who is treated (``D``) and on the
    covariates ``X``, not on the outcome: the control units' Gram matrix of the outcome
    regression and, for "ipw" and "dr", the propensity scores and their weights.

    Cells of one cohort often share them (never-treated controls, covariates taken in a base
    period that does not vary, e.g. a time-invariant baseline), so `callaway_santanna` computes
    them once per distinct (D, X) and reuses them: the same arithmetic, identical numbers.
    """
    n = len(D)
    out: dict = {}
    if method in ("reg", "dr"):
        c = D == 0
        Xc = X[c]
        XtX = Xc.T @ Xc
        if np.linalg.matrix_rank(XtX) < X.shape[1]:
            raise DiDInputError(
                "outcome regression on the control units is singular (collinear or constant "
                "covariates among the controls of a comparison, or too few controls)"
            )
        w = 1.0 - D
        out.update(c=c, Xc=Xc, XtX=XtX, XpX_inv=np.linalg.inv((X * w[:, None]).T @ X / n), w=w)
    if method in ("ipw", "dr"):
        ps = np.minimum(_logit(X, D), 1 - 1e-6)
        vcov_ps = np.linalg.inv(X.T @ (X * (ps * (1 - ps))[:, None]))  # at the capped scores
        trim = np.ones(n)
        trim[D == 0] = ps[D == 0] < 0.995
        out.update(
            alr_ps=((D - ps)[:, None] * X) @ (vcov_ps * n),
            w_t=trim * D,
            w_c=trim * ps * (1 - D) / (1 - ps),
        )
    return out


def _ols_on_controls(dy: np.ndarray, D: np.ndarray, X: np.ndarray, design: dict | None = None):
    """Outcome regression of the change on the controls; prediction and its linear rep."""
    d = _design(D, X, "reg") if design is None else design
    beta = np.linalg.solve(d["XtX"], d["Xc"].T @ dy[d["c"]])
    out = X @ beta
    alr_ols = ((d["w"] * (dy - out))[:, None] * X) @ d["XpX_inv"]
    return out, alr_ols


def _att_2x2(dy: np.ndarray, D: np.ndarray, X: np.ndarray, method: str, design: dict | None = None):
    """ATT and its influence function (``att_hat - att ~ mean(inf)``) for one comparison.

    Follows R DRDID: ``drdid_panel`` (method "dr"), ``std_ipw_did_panel`` ("ipw") and
    ``reg_did_panel`` ("reg"), with unit weights 1. ``design``: `_design` of ``D, X``, if
    already computed.
    """
    d = _design(D, X, method) if design is None else design
    if method == "reg":
        out, alr_ols = _ols_on_controls(dy, D, X, d)
        w_t = D
        w_c = D
        att_t = w_t * dy
        att_c = w_c * out
        eta_t = att_t.mean() / w_t.mean()
        eta_c = att_c.mean() / w_c.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m1 = (w_c[:, None] * X).mean(axis=0)
        inf_c = (att_c - w_c * eta_c + alr_ols @ m1) / w_c.mean()
        return eta_t - eta_c, inf_t - inf_c

    alr_ps, w_t, w_c = d["alr_ps"], d["w_t"], d["w_c"]
    if method == "ipw":
        att_t = w_t * dy
        att_c = w_c * dy
        eta_t = att_t.mean() / w_t.mean()
        eta_c = att_c.mean() / w_c.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m2 = ((w_c * (dy - eta_c))[:, None] * X).mean(axis=0)
        inf_c = (att_c - w_c * eta_c + alr_ps @ m2) / w_c.mean()
        return eta_t - eta_c, inf_t - inf_c

    out, alr_ols = _ols_on_controls(dy, D, X, d)
    resid = dy - out
    att_t = w_t * resid
    att_c = w_c * resid
    eta_t = att_t.mean() / w_t.mean()
    eta_c = att_c.mean() / w_c.mean()
    m1 = (w_t[:, None] * X).mean(axis=0)
    inf_t = (att_t - w_t * eta_t - alr_ols @ m1) / w_t.mean()
    m2 = ((w_c * (resid - eta_c))[:, None] * X).mean(axis=0)
    m3 = (w_c[:, None] * X).mean(axis=0)
    inf_c = (att_c - w_c * eta_c + alr_ps @ m2 - alr_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


# ------------------------------------------------------------------------------------------------
# Callaway–Sant'Anna: estimation and aggregation
# ------------------------------------------------------------------------------------------------


@dataclass
class CallawaySantAnnaResult:
    """Group-time average treatment effects ATT(g,t) and their influence functions.

    Attributes
    ----------
    attgt : DataFrame, one row per (group, time) cell: ``group, time, event_time, base_time,
        post, att, se, ci_low, ci_high, p, n_treated, n_control`` and, with the bootstrap,
        ``cband_low, cband_high`` (simultaneous band over all cells).
    influence : array (n_units, n_cells), the influence function of each ATT(g,t), scaled as in
        R ``did`` (``att_hat - att ~ mean over units``).
    units : the unit labels, in the row order of ``influence``.
    unit_cohort : each unit's cohort (0 = never treated), same order.
    n_units, n_clusters : sample sizes (``n_clusters`` = units when not clustered).
    control, method, base_period, anticipation, alpha, cluster : the settings used.
    bootstrap : whether SEs and bands come from the multiplier bootstrap.
    """

    attgt: pd.DataFrame = field(repr=False)
    influence: np.ndarray = field(repr=False)
    units: np.ndarray = field(repr=False)
    unit_cohort: np.ndarray = field(repr=False)
    n_units: int
    n_clusters: int
    control: str
    method: str
    base_period: str
    anticipation: int
    alpha: float
    cluster: str | None
    bootstrap: bool
    n_boot: int
    seed: int | None
    boot_weights: str
    _cluster_codes: np.ndarray = field(repr=False)
    _boot_v: np.ndarray | None = field(repr=False, default=None)
    _time_dtype: object = field(repr=False, default=None)

    # --- inference on any set of influence functions ------------------------------------------

    def _cluster_sums(self, psi: np.ndarray) -> np.ndarray:
        S = np.zeros((self.n_clusters, psi.shape[1]))
        np.add.at(S, self._cluster_codes, psi)
        return S

    def _vcov(self, psi: np.ndarray) -> np.ndarray:
        """Analytic covariance of estimators with influence functions ``psi`` (n x r)."""
        n = self.n_units
        if self.cluster is None:
            return psi.T @ psi / n**2
        S = self._cluster_sums(psi)
        S = S - S.mean(axis=0)
        G = self.n_clusters
        return G / (G - 1) * (S.T @ S) / n**2

    def _inference(self, est: np.ndarray, psi: np.ndarray) -> pd.DataFrame:
        """SE, pointwise CI, p and (bootstrap) sup-t band for estimates with IFs ``psi``."""
        est = np.asarray(est, float)
        z = _norm_ppf(1 - self.alpha / 2)
        out = pd.DataFrame(index=range(len(est)))
        if self._boot_v is None:
            se = np.sqrt(np.clip(np.diag(self._vcov(psi)), 0, None))
        else:
            draws = self._boot_v @ self._cluster_sums(psi) / self.n_units  # (B, r)
            q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
            se = (q75 - q25) / _Z_IQR
        se = np.where(se > 0, se, np.nan)  # zero: reference cells (R: se < sqrt(eps) * 10)
        out["estimate"] = est
        out["se"] = se
        out["ci_low"] = est - z * se
        out["ci_high"] = est + z * se
        out["p"] = _normal_p(est, se)
        if self._boot_v is not None:
            ok = np.isfinite(se)
            crit = z
            if ok.any():
                tmax = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
                crit = float(np.quantile(tmax, 1 - self.alpha, method="inverted_cdf"))
                crit = max(crit, z)  # R did falls back to pointwise bands in that case
            out["cband_low"] = est - crit * se
            out["cband_high"] = est + crit * se
            out.attrs["crit"] = crit
        return out

    def unclustered(self) -> CallawaySantAnnaResult:
        """The same fit with unit-level inference, as ``callaway_santanna(..., cluster=None)``
        returns it (identical numbers, bootstrap draws included), without estimating again:
        the ATT(g,t) and influence functions do not depend on the clustering."""
        if self.cluster is None:
            return self
        n = self.n_units
        boot_v = None
        if self.bootstrap:
            rng = np.random.default_rng(self.seed)
            boot_v = _draw_weights(rng, (self.n_boot, n), self.boot_weights)
        res = replace(
            self,
            attgt=self.attgt.copy(),
            n_clusters=n,
            cluster=None,
            _cluster_codes=np.arange(n),
            _boot_v=boot_v,
        )
        inf = res._inference(res.attgt["att"].to_numpy(float), res.influence)
        for c in ("se", "ci_low", "ci_high", "p", "cband_low", "cband_high"):
            if c in res.attgt:
                res.attgt[c] = inf[c].to_numpy()
        return res

    # --- aggregations --------------------------------------------------------------------------

    def _cells(self):
        a = self.attgt
        ok = np.isfinite(a["att"].to_numpy())
        return (
            a["group"].to_numpy(float),
            a["time"].to_numpy(float),
            a["att"].to_numpy(float),
            ok,
        )

    def _pg(self, groups: np.ndarray) -> np.ndarray:
        """Share of all units in each cohort of ``groups``."""
        return np.array([np.mean(self.unit_cohort == g) for g in groups])

    def _wif(self, groups: np.ndarray, pg: np.ndarray) -> np.ndarray:
        """Influence function of the estimated weights ``pg / sum(pg)`` (R did ``wif``)."""
        ind = (self.unit_cohort[:, None] == groups[None, :]).astype(float) - pg[None, :]
        s = pg.sum()
        return ind / s - np.outer(ind.sum(axis=1), pg / s**2)

    def _weighted(self, idx: np.ndarray, att: np.ndarray, groups: np.ndarray):
        """Cohort-size weighted average of the cells ``idx`` and its influence function."""
        if len(idx) == 0:
            raise DiDInputError("no estimated post-treatment ATT(g,t) cells to aggregate")
        pg = self._pg(groups[idx])
        w = pg / pg.sum()
        est = float(np.sum(w * att[idx]))
        psi = self.influence[:, idx] @ w + self._wif(groups[idx], pg) @ att[idx]
        return est, psi

    def aggregate(
        self,
        kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
    ) -> pd.DataFrame:
        """Aggregate the ATT(g,t) as R ``did::aggte`` does.

        Parameters
        ----------
        kind : {"simple", "group", "dynamic", "calendar"}
            "simple": post-treatment cells averaged with cohort-size weights (one row).
            "group": per cohort, the mean of its post-treatment cells; "overall" row = their
            cohort-size weighted average.
            "dynamic" (event study): per event time e = t - g, the cohort-size weighted mean of
            the cells at e (pre-periods included); "overall" row = mean over e >= 0.
            "calendar": per period t, the cohort-size weighted mean of the cells treated by t;
            "overall" row = mean over those periods.
        min_e, max_e : float
            Event-time window ("dynamic"; ``max_e`` also limits "simple" and "group", as in R).
        balance_e : int, optional
            "dynamic" only: keep the cohorts observed for at least ``balance_e`` periods after
            treatment, and event times up to ``balance_e`` (R's ``balance_e``).

        Returns
        -------
        DataFrame with the `TIDY_COLUMNS` (``term`` is "ATT", "g=...", "e=...", "t=..." or
        "overall") plus ``aggregation`` and, with the bootstrap, ``cband_low, cband_high``
        (simultaneous over the non-overall rows). SEs come from the influence functions
        (clustered when the fit was), or from the shared multiplier bootstrap draws.
        """
        _check_choice("kind", kind, ("simple", "group", "dynamic", "calendar"))
        group, time, att, ok = self._cells()
        post = (group <= time) & ok
        rows: list[dict] = []
        psis: list[np.ndarray] = []

        def add(term, g=np.nan, t=np.nan, e=np.nan, est=np.nan, psi=None):
            rows.append({"term": term, "group": g, "time": t, "event_time": e, "estimate": est})
            psis.append(np.zeros(self.n_units) if psi is None else psi)

        if kind == "simple":
            idx = np.flatnonzero(post & (time <= group + max_e))
            est, psi = self._weighted(idx, att, group)
            add("ATT", est=est, psi=psi)
        elif kind == "group":
            glist = np.unique(group)
            ests, gpsi = [], []
            for g in glist:
                idx = np.flatnonzero((group == g) & post & (time <= group + max_e))
                if len(idx) == 0:
                    continue
                est = float(att[idx].mean())
                psi = self.influence[:, idx].mean(axis=1)
                ests.append((g, est))
                gpsi.append(psi)
                add(f"g={_fmt(g)}", g=g, est=est, psi=psi)
            if not ests:
                raise DiDInputError("no estimated post-treatment ATT(g,t) cells to aggregate")
            gs = np.array([g for g, _ in ests])
            theta = np.array([e for _, e in ests])
            pg = self._pg(gs)
            psi_all = np.column_stack(gpsi) @ (pg / pg.sum()) + self._wif(gs, pg) @ theta
            add("overall", est=float(np.sum(theta * pg / pg.sum())), psi=psi_all)
        elif kind == "dynamic":
            include = ok.copy()
            e_all = time - group
            eseq = np.unique(e_all[ok])
            if balance_e is not None:
                tmin, tmax = self.attgt["time"].min(), self.attgt["time"].max()
                include &= (tmax - group) >= balance_e
                eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            ests, epsi = [], []
            for e in eseq:
                idx = np.flatnonzero((e_all == e) & include)
                if len(idx) == 0:
                    continue
                est, psi = self._weighted(idx, att, group)
                ests.append((e, est))
                epsi.append(psi)
                add(f"e={_fmt(e)}", e=e, est=est, psi=psi)
            pos = [i for i, (e, _) in enumerate(ests) if e >= 0]
            if pos:
                est = float(np.mean([ests[i][1] for i in pos]))
                add("overall", est=est, psi=np.column_stack([epsi[i] for i in pos]).mean(axis=1))
        else:  # calendar
            tlist = np.unique(time[time >= group.min()])
            ests, tpsi = [], []
            for t in tlist:
                idx = np.flatnonzero((time == t) & post)
                if len(idx) == 0:
                    continue
                est, psi = self._weighted(idx, att, group)
                ests.append(est)
                tpsi.append(psi)
                add(f"t={_fmt(t)}", t=t, est=est, psi=psi)
            if ests:
                add("overall", est=float(np.mean(ests)), psi=np.column_stack(tpsi).mean(axis=1))

        table = pd.DataFrame(rows)
        psi_mat = np.column_stack(psis)
        inf = self._inference(table["estimate"].to_numpy(), psi_mat)
        for c in inf.columns:
            table[c] = inf[c].to_numpy()
        if self._boot_v is not None:
            comp = (table["term"] != "overall").to_numpy()
            if comp.sum() > 1:  # simultaneous band over the components, R's cband
                band = self._inference(table["estimate"].to_numpy()[comp], psi_mat[:, comp])
                table.loc[comp, "cband_low"] = band["cband_low"].to_numpy()
                table.loc[comp, "cband_high"] = band["cband_high"].to_numpy()
            table.loc[~comp, ["cband_low", "cband_high"]] = np.nan
        for c in ("group", "time"):
            table[c] = _time_values(table[c], self._time_dtype)
        table["event_time"] = _time_values(table["event_time"], self._time_dtype)
        table.insert(0, "aggregation", kind)
        return table

    def aggregate_all(self) -> pd.DataFrame:
        """All four aggregations stacked in one table (column ``aggregation`` tells which)."""
        return pd.concat(
            [self.aggregate(k) for k in ("simple", "group", "dynamic", "calendar")],
            ignore_index=True,
        )

    def pretrend_test(self, kind: Literal["attgt", "dynamic"] = "attgt") -> WaldTest:
        """Wald test of no pre-treatment effects (parallel pre-trends).

        Parameters
        ----------
        kind : {"attgt", "dynamic"}
            "attgt" (R ``did``'s pre-test): all pre-treatment ATT(g,t), ``t < g -
            anticipation``, are zero. "dynamic": the pre-treatment event-time aggregates
            (e < -anticipation) of ``aggregate("dynamic")`` are zero: fewer restrictions, each
            using more clusters.

        Returns
        -------
        WaldTest
            ``p_value`` is the chi-squared p-value; ``p_value_f`` the small-sample (Hotelling
            F) version with G = clusters (units when unclustered).

        Notes
        -----
        Uses the analytic covariance of the influence functions (clustered when the fit
        was; the bootstrap, if any, is not used). Cells with no variance (the reference cells
        of ``base_period="universal"``) are left out; a singular covariance (fewer clusters
        than cells) is handled with a pseudo-inverse, ``df`` = its rank.

        With few clusters the chi-squared test over-rejects badly: in a simulation with 40
        clusters, 12 periods and 3 cohorts (15 pre-treatment cells) under true parallel trends
        it rejected about 65 % of the time at the 5 % level; ``kind="dynamic"`` with
        ``p_value_f`` rejected about 8-10 %. With 38 districts use ``p_value_f`` of
        ``kind="dynamic"`` and look at the event-study bands.
        """
        _check_choice("kind", kind, ("attgt", "dynamic"))
        group, time, att, ok = self._cells()
        if kind == "attgt":
            se = self.attgt["se"].to_numpy(float)
            idx = np.flatnonzero(ok & (time < group - self.anticipation) & np.isfinite(se))
            if len(idx) == 0:
                raise DiDInputError("no pre-treatment ATT(g,t) cells to test")
            est = att[idx]
            psi = self.influence[:, idx]
            terms = [f"ATT({_fmt(group[i])},{_fmt(time[i])})" for i in idx]
        else:
            e_all = time - group
            ests, psis, terms = [], [], []
            for e in np.unique(e_all[ok & (e_all < -self.anticipation)]):
                idx = np.flatnonzero(ok & (e_all == e))
                est_e, psi_e = self._weighted(idx, att, group)
                if np.all(psi_e == 0):
                    continue  # universal base period reference
                ests.append(est_e)
                psis.append(psi_e)
                terms.append(f"e={_fmt(e)}")
            if not ests:
                raise DiDInputError("no pre-treatment event times to test")
            est = np.array(ests)
            psi = np.column_stack(psis)
        return _wald(est, self._vcov(psi), terms, self.n_clusters)

    def tidy(self) -> pd.DataFrame:
        """ATT(g,t) table in the common tidy layout (term ``ATT(g,t)``)."""
        a = self.attgt
        out = pd.DataFrame(
            {
                "term": [
                    f"ATT({_fmt(g)},{_fmt(t)})" for g, t in zip(a["group"], a["time"], strict=True)
                ],
                "group": a["group"],
                "time": a["time"],
                "event_time": a["event_time"],
                "estimate": a["att"],
                "se": a["se"],
                "ci_low": a["ci_low"],
                "ci_high": a["ci_high"],
                "p": a["p"],
            }
        )
        extra = [c for c in ("cband_low", "cband_high", "n_treated", "n_control") if c in a]
        for c in extra:
            out[c] = a[c].to_numpy()
        return out


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def callaway_santanna(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: Literal["never", "notyet"] = "never",
    method: Literal["dr", "ipw", "reg"] = "dr",
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    wild_bootstrap: bool = False,
    n_boot: int = 999,
    seed: int | None = None,
    boot_weights: BootWeights = "rademacher",
) -> CallawaySantAnnaResult:
    """Callaway & Sant'Anna (2021) group-time ATTs on a balanced panel (R ``did::att_gt``).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; must be balanced.
    outcome, unit, time, cohort : str
        Column names. ``time`` numeric (integers recommended); ``cohort`` = first treated
        period in the units of ``time``, constant within unit; 0, NaN or +inf = never treated.
    control : {"never", "notyet"}
        Comparison units: never-treated only, or never-treated plus not-yet-treated (units with
        cohort > max(t, base period) + anticipation). With "notyet" and no never-treated units,
        the periods from the last cohort's treatment (minus anticipation) on are dropped and
        that cohort serves as control, as R ``did`` does.
    method : {"dr", "ipw", "reg"}
        Doubly robust (Sant'Anna & Zhao 2020, R ``DRDID::drdid_panel``), inverse probability
        weighting (``std_ipw_did_panel``) or outcome regression (``reg_did_panel``). Without
        covariates all three give the same ATT(g,t).
    covariates : list of str, optional
        Conditioning covariates, taken in the base period of each comparison (as R ``did``);
        an intercept is added.
    cluster : str, optional
        Cluster column (constant within unit). Analytic SEs are then CR1 cluster-robust on the
        influence functions, and the bootstrap draws one multiplier per cluster.
    alpha : float
        1 - confidence level.
    anticipation : int
        How long before ``cohort`` units may already react, in the units of ``time`` (R's
        ``anticipation``): post-treatment cells use the base period before
        ``cohort - anticipation``, and not-yet-treated controls must be untreated until
        ``max(t, base) + anticipation``.
    base_period : {"varying", "universal"}
        R's ``base_period``: "varying" compares pre-period t with t-1; "universal" compares
        every period with g - 1 - anticipation (that reference cell is reported with att 0 and
        NaN SE). Post-treatment cells are the same under both.
    wild_bootstrap : bool
        If True, SEs of the ATT(g,t) and of every aggregation come from the multiplier
        bootstrap (R ``bstrap=TRUE``) with one weight per cluster (per unit if unclustered), and
        sup-t simultaneous bands (``cband_low``, ``cband_high``) are added. The weights are
        drawn once at fit time from ``seed``, so results are reproducible.
    n_boot : int
        Number of bootstrap draws.
    seed : int, optional
        Seed of the bootstrap weights.
    boot_weights : {"rademacher", "mammen", "webb"}
        Multiplier distribution (R did uses Rademacher; Webb's six-point weights suit very few
        clusters).

    Returns
    -------
    CallawaySantAnnaResult
        With ``attgt`` / ``tidy()``, ``aggregate(kind)`` and ``pretrend_test()``.

    Notes
    -----
    Inference is normal-theory (as R ``did``). Clustered analytic SEs are an addition to R
    ``did``, which clusters only via the bootstrap; see the module docstring.
    """
    _check_choice("control", control, ("never", "notyet"))
    _check_choice("method", method, ("dr", "ipw", "reg"))
    _check_choice("base_period", base_period, ("varying", "universal"))
    _check_alpha(alpha)
    if isinstance(anticipation, bool) or not isinstance(anticipation, int | np.integer):
        raise DiDInputError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if anticipation < 0:
        raise DiDInputError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if wild_bootstrap:
        _check_choice("boot_weights", boot_weights, _BOOT_WEIGHTS)
        if not isinstance(n_boot, int | np.integer) or n_boot < 2:
            raise DiDInputError(f"n_boot must be an integer >= 2, got {n_boot!r}")

    P = _prepare(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        cluster=cluster,
        covariates=covariates,
        require_balanced=True,
    )
    df = P.df
    times = P.times
    n_t = len(times)
    n = P.n_units
    first = df.groupby("u_code", sort=True).first()
    unit_cohort = first["g"].to_numpy(float)
    units = first["unit"].to_numpy()
    Y = df["y"].to_numpy().reshape(n, n_t)
    k = len(P.covariates)
    Xall = df[[f"x{j}" for j in range(k)]].to_numpy().reshape(n, n_t, k) if k else None

    if not (unit_cohort == 0).any():
        if control == "never":
            raise DiDInputError(
                f"no never-treated units (cohort {cohort!r} 0 / NaN / inf); use "
                f"control='notyet', or drop the periods from the last cohort's treatment on and "
                f"use the last cohort as control"
            )
        g_last = P.cohorts.max()
        keep_t = times < g_last - anticipation
        if keep_t.sum() < 2:
            raise DiDInputError("too few periods before the last cohort is treated")
        times = times[keep_t]
        n_t = len(times)
        Y = Y[:, keep_t]
        Xall = Xall[:, keep_t] if Xall is not None else None
        unit_cohort = np.where(unit_cohort == g_last, 0.0, unit_cohort)
        warnings.warn(
            f"no never-treated units: periods >= {_fmt(g_last - anticipation)} dropped and "
            f"cohort {_fmt(g_last)} used as not-yet-treated control (as R did)",
            UserWarning,
            stacklevel=2,
        )
    glist = np.unique(unit_cohort[unit_cohort != 0])
    no_base = [g for g in glist if not (times + anticipation < g).any()]
    if no_base:
        if len(no_base) == len(glist):
            raise DiDInputError(
                f"no cohort has a period before g - anticipation to compare with "
                f"(anticipation = {anticipation})"
            )
        warnings.warn(
            f"cohort(s) {_examples(no_base)} have no period before g - anticipation: their "
            f"ATT(g,t) are not estimated (the units stay in the sample, as in R did)",
            UserWarning,
            stacklevel=2,
        )

    rows = []
    psi_cols = []
    designs: dict = {}  # `_design` per distinct (comparison units, covariates)
    for g in glist:
        pre_ok = np.flatnonzero(times + anticipation < g)
        if len(pre_ok) == 0:
            continue  # no base period (warned above)
        last_pre = pre_ok[-1]
        t_range = range(n_t) if base_period == "universal" else range(1, n_t)
        for ti in t_range:
            t = times[ti]
            bi = last_pre if (t >= g or base_period == "universal") else ti - 1
            row = {
                "group": g,
                "time": t,
                "event_time": t - g,
                "base_time": times[bi],
                "post": bool(t >= g),
            }
            if bi == ti:  # universal reference cell
                row.update(att=0.0, n_treated=int((unit_cohort == g).sum()), n_control=0)
                rows.append(row)
                psi_cols.append(np.zeros(n))
                continue
            treat = unit_cohort == g
            if control == "never":
                ctrl = unit_cohort == 0
            else:
                horizon = max(t, times[bi]) + anticipation
                ctrl = (unit_cohort == 0) | ((unit_cohort > horizon) & (unit_cohort != g))
            sel = treat | ctrl
            n1 = int(sel.sum())
            row.update(n_treated=int(treat.sum()), n_control=int(ctrl.sum()))
            if ctrl.sum() == 0:
                warnings.warn(
                    f"ATT({_fmt(g)},{_fmt(t)}): no control units; cell left out",
                    UserWarning,
                    stacklevel=2,
                )
                row["att"] = np.nan
                rows.append(row)
                psi_cols.append(np.zeros(n))
                continue
            dy = Y[sel, ti] - Y[sel, bi]
            D = treat[sel].astype(float)
            if Xall is None:
                X = np.ones((n1, 1))
            else:
                X = np.column_stack([np.ones(n1), Xall[sel, bi, :]])
            key = (g, sel.tobytes(), X.tobytes())
            if key not in designs:
                designs[key] = _design(D, X, method)
            att, inf = _att_2x2(dy, D, X, method, designs[key])
            psi = np.zeros(n)
            psi[sel] = (n / n1) * inf
            row["att"] = float(att)
            rows.append(row)
            psi_cols.append(psi)

    attgt = pd.DataFrame(rows)
    influence = np.column_stack(psi_cols)
    if cluster is None:
        cl_codes = np.arange(n)
    else:
        cl_codes = pd.factorize(first["cl"].to_numpy(), sort=True)[0]
    n_cl = int(cl_codes.max()) + 1
    if cluster is not None and n_cl < 2:
        raise DiDInputError(f"cluster {cluster!r} has a single cluster; cannot cluster")
    boot_v = None
    if wild_bootstrap:
        rng = np.random.default_rng(seed)
        boot_v = _draw_weights(rng, (int(n_boot), n_cl), boot_weights)

    res = CallawaySantAnnaResult(
        attgt=attgt,
        influence=influence,
        units=units,
        unit_cohort=unit_cohort,
        n_units=n,
        n_clusters=n_cl,
        control=control,
        method=method,
        base_period=base_period,
        anticipation=int(anticipation),
        alpha=alpha,
        cluster=cluster,
        bootstrap=bool(wild_bootstrap),
        n_boot=int(n_boot) if wild_bootstrap else 0,
        seed=seed,
        boot_weights=boot_weights,
        _cluster_codes=cl_codes,
        _boot_v=boot_v,
        _time_dtype=P.time_dtype,
    )
    inf = res._inference(attgt["att"].to_numpy(float), influence)
    for c in inf.columns:
        attgt[c] = inf[c].to_numpy()
    for c in ("group", "time", "event_time", "base_time"):
        attgt[c] = _time_values(attgt[c], P.time_dtype)
    cols = ["group", "time", "event_time", "base_time", "post", "att", "se", "ci_low", "ci_high"]
    cols += ["p", *[c for c in ("cband_low", "cband_high") if c in attgt]]
    cols += ["n_treated", "n_control"]
    res.attgt = attgt.drop(columns=["estimate"])[cols]
    return res


# ------------------------------------------------------------------------------------------------
# Fixed-effects regressions (pyfixest) and the wild cluster bootstrap
# ------------------------------------------------------------------------------------------------


class _TwoWayDemeaner:
    """Residuals of columns on unit and period dummies (exact when balanced)."""

    def __init__(self, u: np.ndarray, t: np.ndarray):
        n = len(u)
        self.nu, self.nt = int(u.max()) + 1, int(t.max()) + 1
        self.Au = sparse.csr_matrix((np.ones(n), (np.arange(n), u)), shape=(n, self.nu))
        self.At = sparse.csr_matrix((np.ones(n), (np.arange(n), t)), shape=(n, self.nt))
        self.cu = np.asarray(self.Au.sum(axis=0)).ravel()
        self.ct = np.asarray(self.At.sum(axis=0)).ravel()
        self.balanced = n == self.nu * self.nt
        # rows sorted by unit, then period (as `_prepare` leaves them): means by reshaping
        self.grid = (
            self.balanced
            and np.array_equal(u, np.repeat(np.arange(self.nu), self.nt))
            and np.array_equal(t, np.tile(np.arange(self.nt), self.nu))
        )

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, float)
        one = Z.ndim == 1
        Z = Z[:, None] if one else Z.copy()
        if self.grid:
            Z3 = Z.reshape(self.nu, self.nt, -1)
            R = Z3 - Z3.mean(axis=1, keepdims=True) - Z3.mean(axis=0, keepdims=True)
            R = (R + Z.mean(axis=0)).reshape(Z.shape)
        elif self.balanced:
            R = (
                Z
                - self.Au @ (self.Au.T @ Z / self.cu[:, None])
                - self.At @ (self.At.T @ Z / self.ct[:, None])
                + Z.mean(axis=0)
            )
        else:
            R = Z - Z.mean(axis=0)
            scale = np.maximum(np.abs(Z).max(axis=0), 1.0)
            for _ in range(100_000):
                R -= self.Au @ (self.Au.T @ R / self.cu[:, None])
                step = self.At @ (self.At.T @ R / self.ct[:, None])
                R -= step
                if np.max(np.abs(step) / scale) < 1e-13:
                    break
            else:  # pragma: no cover
                warnings.warn(
                    "fixed-effect demeaning did not converge", RuntimeWarning, stacklevel=3
                )
        return R[:, 0] if one else R


def _wcr_setup(yd, Xd, k, cl, n_cl, demean):
    """Quantities of the restricted wild cluster bootstrap for coefficient ``k``.

    ``yd`` and ``Xd`` are the outcome and regressors already purged of the fixed effects
    (``demean``); ``cl`` are cluster codes 0..n_cl-1. By Frisch–Waugh–Lovell everything is a
    regression of ``yt`` on ``xt`` (both purged of the other regressors too). For a bootstrap
    draw v (one weight per cluster) and H0: beta = beta0, the bootstrap coefficient is
    ``beta0 + v @ (a_y - beta0 d) / D`` and its cluster scores are
    ``v @ (K_y - beta0 K_x).T - (beta* - beta0) d``, with
    ``K_z[h, g] = sum_{i in h} xt_i (M (1_g * z))_i`` (M: residual maker of the fixed effects and
    the other regressors). ``K_z = T_z - B (Xo'Xo)^-1 E_z'``: ``T_z[h, g] = sum_{i in g}
    (M_FE (1_h * xt))_i z_i``, ``B = A'(xt * Xo)``, ``E_z = A'(Xo * z)``, A the cluster
    indicator matrix and Xo the other (purged) regressors.
    """
    n = len(yd)
    others = np.delete(Xd, k, axis=1)
    r = others.shape[1]
    if r:
        coef = np.linalg.lstsq(others, np.column_stack([Xd[:, k], yd]), rcond=None)[0]
        xt = Xd[:, k] - others @ coef[:, 0]
        yt = yd - others @ coef[:, 1]
        oo_inv = np.linalg.pinv(others.T @ others)
    else:
        xt, yt = Xd[:, k].copy(), yd.copy()
    D = float(xt @ xt)
    scale = max(float(Xd[:, k] @ Xd[:, k]), 1e-300)
    if D / scale <= 1e-12:
        raise DiDInputError("a treatment term is collinear with the fixed effects and controls")
    beta = float(xt @ yt) / D
    uhat = yt - beta * xt
    A = sparse.csr_matrix((np.ones(n), (np.arange(n), cl)), shape=(n, n_cl))
    score = A.T @ (xt * uhat)
    se0 = math.sqrt(float(score @ score)) / D
    d = A.T @ (xt * xt)
    a_y = A.T @ (xt * yt)
    K_y = np.zeros((n_cl, n_cl))
    K_x = np.zeros((n_cl, n_cl))
    for start in range(0, n_cl, 64):  # in chunks of clusters h, to bound memory
        hs = np.arange(start, min(start + 64, n_cl))
        rows = np.flatnonzero((cl >= start) & (cl < start + len(hs)))
        U = np.zeros((n, len(hs)))
        U[rows, cl[rows] - start] = xt[rows]
        Dm = demean(U)  # column h: M_FE (1_h * xt)
        K_y[hs, :] = (A.T @ (Dm * yt[:, None])).T
        K_x[hs, :] = (A.T @ (Dm * xt[:, None])).T
    if r:
        B = A.T @ (xt[:, None] * others)
        K_y -= B @ oo_inv @ (A.T @ (others * yt[:, None])).T
        K_x -= B @ oo_inv @ (A.T @ (others * xt[:, None])).T
    return {"beta": beta, "se0": se0, "D": D, "d": d, "a_y": a_y, "K_y": K_y, "K_x": K_x}


def _wcr_pvalue(setup: dict, v: np.ndarray, beta0: float) -> tuple[float, np.ndarray]:
    """Restricted wild cluster bootstrap p-value of H0: beta = beta0, and the bootstrap t's."""
    a = setup["a_y"] - beta0 * setup["d"]
    K = setup["K_y"] - beta0 * setup["K_x"]
    dbeta = (v @ a) / setup["D"]
    S = v @ K.T - dbeta[:, None] * setup["d"][None, :]
    se = np.sqrt(np.sum(S * S, axis=1)) / setup["D"]
    with np.errstate(invalid="ignore", divide="ignore"):
        tstar = dbeta / se
    t0 = (setup["beta"] - beta0) / setup["se0"]
    return float(np.mean(np.abs(tstar) >= abs(t0) - 1e-12 * abs(t0))), tstar


def _wcr_ci(setup: dict, v: np.ndarray, alpha: float) -> tuple[float, float]:
    """Confidence interval by inverting the restricted bootstrap test."""
    b, s = setup["beta"], setup["se0"]
    bounds = []
    for sign in (-1.0, 1.0):
        inside = b
        m = 1.0
        while True:
            outside = b + sign * m * s
            if _wcr_pvalue(setup, v, outside)[0] < alpha:
                break
            inside = outside
            m *= 2
            if m > 1e6:
                outside = np.inf * sign
                break
        if not np.isfinite(outside):
            bounds.append(outside)
            continue
        for _ in range(60):
            mid = (inside + outside) / 2
            if _wcr_pvalue(setup, v, mid)[0] < alpha:
                outside = mid
            else:
                inside = mid
            if abs(outside - inside) < 1e-7 * s:
                break
        bounds.append((inside + outside) / 2)
    return bounds[0], bounds[1]


def _feols(long: pd.DataFrame, regs: list[str], covs: list[str]):
    import pyfixest as pf

    rhs = " + ".join([*regs, *covs])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = pf.feols(
            f"y ~ {rhs} | u_code + t_code",
            data=long,
            vcov={"CRV1": "cl_code"},
            fixef_rm="none",
        )
    dropped = [r for r in regs if r not in list(fit._coefnames)]
    if dropped:
        raise DiDInputError(
            f"treatment terms not identified (collinear with the fixed effects): "
            f"{_examples(dropped)}; with no never-treated units a fully dynamic specification "
            f"needs binned endpoints (window=...) or a second reference period"
        )
    noise = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    for w in caught:  # pyfixest's own deprecation noise and collinearity notes are dropped
        if "multicollinearity" not in str(w.message) and not issubclass(w.category, noise):
            warnings.warn(w.message, w.category, stacklevel=3)
    return fit


@dataclass
class _FEFit:
    """A two-way fixed-effects OLS fit with CRV1 SEs, with the parts of pyfixest's ``Feols``
    that this module reads (``coef()``, ``se()``, ``_vcov``, ``_coefnames``, ``_df_t``)."""

    _coefnames: list[str]
    _beta: np.ndarray = field(repr=False)
    _vcov: np.ndarray = field(repr=False)
    _df_t: float
    _N: int
    _G: int

    def coef(self) -> pd.Series:
        return pd.Series(self._beta, index=self._coefnames, name="Estimate")

    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._vcov)), index=self._coefnames, name="Std. Error")


def _fe_ols(y: np.ndarray, X, u: np.ndarray, t: np.ndarray, cl: np.ndarray, names: list[str]):
    """``y ~ X | unit + period`` with CRV1 SEs on a balanced panel, as ``pyfixest.feols``
    (``fixef_rm="none"``, its default small-sample correction), or None when the panel is
    unbalanced or ``X`` is (nearly) collinear with the fixed effects: the caller then uses
    `_feols`.

    Why not pyfixest here: the Sun–Abraham regression has one dummy per cohort x event time
    (hundreds of columns) and pyfixest demeans and multiplies them as a dense matrix; on a
    balanced panel the two-way residual maker is ``M = I - P_unit - P_period + P_1`` exactly,
    so ``X'MX``, ``X'My`` and the cluster scores ``X'M(1_g * u)`` come from sparse products with
    the unit and period sums of ``X`` (seconds become milliseconds). The test suite checks the
    numbers against pyfixest.
    """
    n = len(y)
    demean = _TwoWayDemeaner(u, t)
    if not demean.balanced:
        return None
    X = sparse.csc_matrix(X, dtype=float)
    k = X.shape[1]
    Xu = demean.Au.T @ X
    Xt = demean.At.T @ X
    s = np.asarray(X.sum(axis=0)).ravel()
    xmx = (
        (X.T @ X).toarray()
        - (Xu.T @ sparse.diags(1.0 / demean.cu) @ Xu).toarray()
        - (Xt.T @ sparse.diags(1.0 / demean.ct) @ Xt).toarray()
        + np.outer(s, s) / n
    )
    xmx = (xmx + xmx.T) / 2
    scale = np.sqrt(np.clip(np.diag(xmx), 0, None))
    raw = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
    if np.any(scale <= 1e-8 * np.maximum(raw, 1e-300)):
        return None  # a column (nearly) absorbed by the fixed effects
    corr = xmx / np.outer(scale, scale)
    if np.linalg.eigvalsh(corr)[0] < 1e-10:
        return None  # collinear regressors: pyfixest drops some, and says which
    yd = demean(y)
    beta = np.linalg.solve(xmx, X.T @ yd)
    resid = yd - demean(X @ beta)
    n_cl = int(cl.max()) + 1
    # cluster scores X'M W, W[i, g] = resid_i 1[i in g]: k x G, by the same sparse algebra
    W = sparse.csc_matrix((resid, (np.arange(n), cl)), shape=(n, n_cl))
    scores = (
        (X.T @ W).toarray()
        - (Xu.T @ sparse.diags(1.0 / demean.cu) @ (demean.Au.T @ W)).toarray()
        - (Xt.T @ sparse.diags(1.0 / demean.ct) @ (demean.At.T @ W)).toarray()
        + np.outer(s, np.asarray(W.sum(axis=0)).ravel()) / n
    )
    bread = np.linalg.inv(xmx)
    # pyfixest's default ssc: (N-1)/(N-df_k) * G/(G-1), fixed effects nested in the clusters
    # not counted in df_k (one per fully nested FE added back), t(G-1) inference
    nested = [bool((pd.Series(cl).groupby(codes).nunique() == 1).all()) for codes in (u, t)]
    k_fe = [demean.nu, demean.nt]
    df_k = k + sum(k_fe) - 1
    if any(nested):
        df_k += -sum(kf for kf, nst in zip(k_fe, nested, strict=True) if nst) + sum(nested)
    adj = (n - 1) / (n - df_k) * n_cl / (n_cl - 1)
    vcov = adj * bread @ (scores @ scores.T) @ bread
    return _FEFit(
        _coefnames=list(names), _beta=beta, _vcov=vcov, _df_t=float(n_cl - 1), _N=n, _G=n_cl
    )


def _fit_fe(long: pd.DataFrame, X, regs: list[str], covs: list[str]):
    """The TWFE regression of ``long["y"]`` on ``X`` (the columns ``regs``, a dense or sparse
    matrix) and ``covs`` with unit and period fixed effects, CRV1 at ``cl_code``: `_fe_ols`
    where it applies, else pyfixest (`_feols`) on ``long`` with the columns added."""
    Z = X if not covs else sparse.hstack([sparse.csc_matrix(X), long[covs].to_numpy(float)])
    fit = _fe_ols(
        long["y"].to_numpy(float),
        Z,
        long["u_code"].to_numpy(),
        long["t_code"].to_numpy(),
        long["cl_code"].to_numpy(),
        [*regs, *covs],
    )
    if fit is not None:
        return fit
    dense = X.toarray() if sparse.issparse(X) else np.asarray(X, float)
    wide = pd.concat([long, pd.DataFrame(dense, columns=regs, index=long.index)], axis=1)
    return _feols(wide, regs, covs)


def _reg_table(fit, terms: list[str], alpha: float) -> pd.DataFrame:
    coef = fit.coef()
    se = fit.se()
    df_t = float(fit._df_t)
    crit = _t_ppf(1 - alpha / 2, df_t)
    est = coef[terms].to_numpy(float)
    s = se[terms].to_numpy(float)
    return pd.DataFrame(
        {
            "estimate": est,
            "se": s,
            "ci_low": est - crit * s,
            "ci_high": est + crit * s,
            "p": 2 * _t_sf(np.abs(est / s), df_t),
        }
    ).assign(df=df_t)


def _long_codes(P: _Long) -> pd.DataFrame:
    long = P.df.copy()
    long["cl_code"] = pd.factorize(long["cl"], sort=True)[0]
    return long


@dataclass
class TWFEResult:
    """Two-way fixed-effects DiD (static or event study).

    Attributes
    ----------
    table : DataFrame in the tidy layout (see ``tidy()``).
    fit : the ``pyfixest`` Feols object (coefficients of all regressors, vcov, ...).
    event_study : whether event-time dummies were estimated.
    cluster : the cluster column used for the CRV1 SEs (the unit column if none was given).
    n_obs, n_clusters : sample sizes.
    wild_bootstrap : whether ``p_wild``, ``ci_low_wild``, ``ci_high_wild`` are filled.
    """

    table: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    event_study: bool
    cluster: str
    n_obs: int
    n_clusters: int
    alpha: float
    wild_bootstrap: bool
    n_boot: int
    seed: int | None
    _regs: list = field(repr=False, default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """The treatment coefficients in the common tidy layout.

        Columns: `TIDY_COLUMNS` (``p`` from t(G-1), as fixest / Stata), then ``df`` and, with
        the wild bootstrap, ``p_wild`` (share of bootstrap ``|t*| >= |t|`` under H0: b = 0;
        0 means below ``1 / n_boot``), ``ci_low_wild``, ``ci_high_wild`` (the b0 not rejected
        at ``alpha``).
        """
        return self.table.copy()

    def pretrend_test(self) -> WaldTest:
        """Wald test that the pre-treatment event-time coefficients are zero.

        Event study only; uses the CRV1 covariance of the coefficients (chi-squared and the
        small-sample F version, see `WaldTest`). Under heterogeneous effects the TWFE
        pre-period coefficients are contaminated, so this is not a clean pre-trend test.
        """
        if not self.event_study:
            raise DiDInputError("pretrend_test needs event_study=True")
        tab = self.table
        pre = tab[(tab["event_time"] < 0).fillna(False).to_numpy(bool)]
        V = self.fit._vcov
        names = list(self.fit._coefnames)
        regs = [self._regs[i] for i in pre.index]
        idx = [names.index(r) for r in regs]
        est = pre["estimate"].to_numpy()
        return _wald(est, V[np.ix_(idx, idx)], list(pre["term"]), self.n_clusters)


def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    event_study: bool = False,
    covariates: Sequence[str] | None = None,
    window: tuple[int, int] | None = None,
    reference: int = -1,
    alpha: float = 0.05,
    wild_bootstrap: bool = False,
    n_boot: int = 9999,
    seed: int | None = None,
    boot_weights: BootWeights = "rademacher",
) -> TWFEResult:
    """Two-way fixed-effects DiD: static treated x post, or a dynamic event study.

    ``y_it = a_i + l_t + b * D_it (+ covariates) + e_it`` with ``D_it = 1[t >= cohort_i]``, or
    with event-time dummies ``1[t - cohort_i = e]`` for ``e != reference`` (never-treated units
    have none). Fitted with ``pyfixest.feols`` (unit and period fixed effects), CRV1 SEs
    clustered at ``cluster`` (default: the unit), t(G-1) p-values and intervals.

    Known problem, and why this is here only for comparison: under staggered adoption with
    effects that differ across cohorts or grow over time, the static TWFE coefficient is a
    weighted average of 2x2 comparisons that include "forbidden" ones using already-treated
    units as controls, with weights that can be negative (Goodman-Bacon 2021; de Chaisemartin &
    D'Haultfœuille 2020); with effects growing in event time it is typically biased toward zero
    or even of the wrong sign. Dynamic TWFE coefficients are contaminated by effects at other
    event times and cohorts (Sun & Abraham 2021). Use `callaway_santanna` or `sun_abraham`
    for estimates; report TWFE next to them.

    Parameters
    ----------
    data, outcome, unit, time, cohort :
        As in `callaway_santanna` (the panel need not be balanced here).
    cluster : str, optional
        Cluster column for CRV1 SEs and the wild bootstrap; default: the unit.
    event_study : bool
        Estimate event-time coefficients instead of one static coefficient.
    covariates : list of str, optional
        Time-varying controls added linearly.
    window : (int, int), optional
        Event study: bin event times below ``window[0]`` into ``window[0]`` and above
        ``window[1]`` into ``window[1]`` (binned endpoints). Default: all event times.
    reference : int
        Omitted event time (default -1).
    alpha : float
        1 - confidence level.
    wild_bootstrap : bool
        Add restricted wild cluster bootstrap p-values (``p_wild``) and test-inversion intervals
        (``ci_low_wild``, ``ci_high_wild``) for each treatment coefficient, clustered at
        ``cluster``. Recommended with few clusters (e.g. 38 districts).
    n_boot : int
        Bootstrap draws (default 9999; the algorithm costs O(n_boot x G^2) per coefficient).
    seed : int, optional
        Seed of the bootstrap weights (the same draws are used for every coefficient).
    boot_weights : {"rademacher", "mammen", "webb"}
        Bootstrap weight distribution; Webb's is preferable with fewer than about 12 clusters.

    Returns
    -------
    TWFEResult
    """
    _check_alpha(alpha)
    if wild_bootstrap:
        _check_choice("boot_weights", boot_weights, _BOOT_WEIGHTS)
        if not isinstance(n_boot, int | np.integer) or n_boot < 2:
            raise DiDInputError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if window is not None and (len(window) != 2 or window[0] > reference or window[1] < reference):
        raise DiDInputError(
            f"window must be (low, high) with low <= reference <= high, got {window!r}"
        )
    P = _prepare(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        cluster=cluster,
        covariates=covariates,
    )
    long = _long_codes(P)
    g = long["g"].to_numpy()
    tt = long["time"].to_numpy(float)
    treated = g != 0
    covs = [f"x{j}" for j in range(len(P.covariates))]
    if not event_study:
        R = (treated & (tt >= g)).astype(float)[:, None]
        regs = ["D"]
        meta = [{"term": "treat_post", "event_time": np.nan}]
    else:
        e = np.where(treated, tt - g, np.nan)
        if window is not None:
            e = np.where(treated, np.clip(e, window[0], window[1]), np.nan)
        evs = [x for x in np.unique(e[treated]) if x != reference]
        if not evs:
            raise DiDInputError("no event times besides the reference period")
        regs, meta = [], []
        R = np.column_stack([(e == x).astype(float) for x in evs])
        for x in evs:
            name = f"ev_{'m' if x < 0 else 'p'}{_fmt(abs(x)).replace('.', '_')}"
            regs.append(name)
            label = f"e={_fmt(x)}"
            if window is not None and x == window[0] and (tt - g)[treated].min() < x:
                label = f"e<={_fmt(x)}"
            if window is not None and x == window[1] and (tt - g)[treated].max() > x:
                label = f"e>={_fmt(x)}"
            meta.append({"term": label, "event_time": x})
    fit = _fit_fe(long, R, regs, covs)
    tab = pd.concat(
        [pd.DataFrame(meta), _reg_table(fit, regs, alpha).reset_index(drop=True)], axis=1
    )
    tab["group"] = np.nan
    tab["time"] = np.nan
    n_cl = int(long["cl_code"].max()) + 1
    if wild_bootstrap:
        if n_cl < 2:
            raise DiDInputError("the wild cluster bootstrap needs at least 2 clusters")
        rng = np.random.default_rng(seed)
        v = _draw_weights(rng, (int(n_boot), n_cl), boot_weights)
        demean = _TwoWayDemeaner(long["u_code"].to_numpy(), long["t_code"].to_numpy())
        yd = demean(long["y"].to_numpy(float))
        Xd = demean(np.column_stack([R, long[covs].to_numpy(float)]) if covs else R)
        cl = long["cl_code"].to_numpy()
        p_w, lo_w, hi_w = [], [], []
        with threadpool_limits(limits=1, user_api="blas"):  # many small products: 1 thread is
            for k in range(len(regs)):  # faster, and much faster on a busy machine
                setup = _wcr_setup(yd, Xd, k, cl, n_cl, demean)
                p_w.append(_wcr_pvalue(setup, v, 0.0)[0])
                lo, hi = _wcr_ci(setup, v, alpha)
                lo_w.append(lo)
                hi_w.append(hi)
        tab["p_wild"] = p_w
        tab["ci_low_wild"] = lo_w
        tab["ci_high_wild"] = hi_w
    tab["group"] = _time_values(tab["group"], P.time_dtype)
    tab["time"] = _time_values(tab["time"], P.time_dtype)
    tab["event_time"] = _time_values(tab["event_time"], P.time_dtype)
    extra = [c for c in ("df", "p_wild", "ci_low_wild", "ci_high_wild") if c in tab]
    tab = tab[[*TIDY_COLUMNS, *extra]]
    return TWFEResult(
        table=tab,
        fit=fit,
        event_study=event_study,
        cluster=cluster if cluster is not None else unit,
        n_obs=len(long),
        n_clusters=n_cl,
        alpha=alpha,
        wild_bootstrap=wild_bootstrap,
        n_boot=int(n_boot) if wild_bootstrap else 0,
        seed=seed,
        _regs=regs,
    )


# ------------------------------------------------------------------------------------------------
# Sun & Abraham (2021)
# ------------------------------------------------------------------------------------------------


@dataclass
class SunAbrahamResult:
    """Interaction-weighted event study (Sun & Abraham 2021).

    Attributes
    ----------
    table : event-time estimates in the tidy layout plus an "overall" row (mean over e >= 0,
        as the Callaway–Sant'Anna dynamic overall).
    cohort_effects : the saturated regression's cohort x event-time coefficients
        (``group, event_time, estimate, se``) and each one's interaction weight ``weight``.
    fit : the ``pyfixest`` Feols object of the saturated regression.
    control : "never" or "last".
    """

    table: pd.DataFrame = field(repr=False)
    cohort_effects: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    control: str
    cluster: str
    n_obs: int
    n_clusters: int
    alpha: float
    _vcov_e: np.ndarray = field(repr=False, default=None)

    def tidy(self) -> pd.DataFrame:
        """Event-time estimates: `TIDY_COLUMNS` (t(G-1) inference) plus ``df``."""
        return self.table.copy()

    def pretrend_test(self) -> WaldTest:
        """Wald test that all pre-treatment interaction-weighted coefficients are zero."""
        tab = self.table
        is_pre = (tab["term"] != "overall").to_numpy() & (tab["event_time"] < 0).fillna(False)
        pre = np.flatnonzero(is_pre.to_numpy(bool))
        V = self._vcov_e[np.ix_(pre, pre)]
        est = tab["estimate"].to_numpy()[pre]
        return _wald(est, V, list(tab["term"].iloc[pre]), self.n_clusters)


def sun_abraham(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    control: Literal["never", "last"] = "never",
    anticipation: int = 0,
    alpha: float = 0.05,
) -> SunAbrahamResult:
    """Sun & Abraham (2021) interaction-weighted event study.

    Fits ``y_it = a_i + l_t + sum_{g, e != -1-anticipation} d_ge 1[G_i = g, t - g = e] + e_it``
    by ``pyfixest.feols`` (CRV1 SEs clustered at ``cluster``, default the unit) and averages
    ``d_ge`` over cohorts at each event time e with weights equal to the cohorts' shares of
    the treated observations at e (fixed weights, as ``fixest::sunab``).

    Parameters
    ----------
    data, outcome, unit, time, cohort :
        As in `callaway_santanna` (the panel need not be balanced).
    cluster : str, optional
        Cluster column; default: the unit.
    control : {"never", "last"}
        "never": never-treated units are the control cohort (required to exist). "last": the
        last-treated cohort is the control cohort (together with never-treated units, if
        any); periods from its treatment (minus anticipation) on are dropped.
    anticipation : int
        The reference event time is ``-1 - anticipation``.
    alpha : float
        1 - confidence level.

    Returns
    -------
    SunAbrahamResult
        With ``tidy()``, ``cohort_effects`` and ``pretrend_test()``.

    Notes
    -----
    With never-treated controls, no covariates and a balanced panel the event-time estimates
    are identical to ``callaway_santanna(..., control="never", base_period="universal")
    .aggregate("dynamic")`` (and the post-treatment ones to the "varying" base too); the SEs
    differ (regression CRV1 vs influence function) but are close.
    """
    _check_choice("control", control, ("never", "last"))
    _check_alpha(alpha)
    if isinstance(anticipation, bool) or not isinstance(anticipation, int | np.integer):
        raise DiDInputError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if anticipation < 0:
        raise DiDInputError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    P = _prepare(data, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster)
    long = _long_codes(P)
    ref = -1 - anticipation
    if control == "never":
        if not (long["g"] == 0).any():
            raise DiDInputError(
                f"no never-treated units (cohort {cohort!r} 0 / NaN / inf); use control='last'"
            )
    else:
        g_last = P.cohorts.max()
        if len(P.cohorts) < 2 and not (long["g"] == 0).any():
            raise DiDInputError("control='last' needs at least two treated cohorts")
        long = long[long["time"] < g_last - anticipation].copy()
        long.loc[long["g"] == g_last, "g"] = 0.0
        long["u_code"] = pd.factorize(long["u_code"], sort=True)[0]
        long["t_code"] = pd.factorize(long["t_code"], sort=True)[0]
        long["cl_code"] = pd.factorize(long["cl_code"], sort=True)[0]
    g = long["g"].to_numpy()
    tt = long["time"].to_numpy(float)
    e = np.where(g != 0, tt - g, np.nan)
    cells = (
        pd.DataFrame({"group": g, "event_time": e})[g != 0]
        .value_counts()
        .rename("n_obs")
        .reset_index()
        .sort_values(["group", "event_time"])
    )
    cells = cells[cells["event_time"] != ref].reset_index(drop=True)
    if cells.empty:
        raise DiDInputError("no treated cohort x event-time cells to estimate")
    gcodes = {gv: i for i, gv in enumerate(np.unique(cells["group"]))}
    regs = [
        f"sa_g{gcodes[gv]}_{'m' if ev < 0 else 'p'}{_fmt(abs(ev)).replace('.', '_')}"
        for gv, ev in zip(cells["group"], cells["event_time"], strict=True)
    ]
    # one dummy per cohort x event-time cell, as a sparse matrix (row i: its cell, if any)
    lookup = {
        (float(gv), float(ev)): j
        for j, (gv, ev) in enumerate(zip(cells["group"], cells["event_time"], strict=True))
    }
    treated_rows = np.flatnonzero(g != 0)
    col = np.array(
        [lookup.get((float(g[i]), float(e[i])), -1) for i in treated_rows], dtype=np.int64
    )
    rows, col = treated_rows[col >= 0], col[col >= 0]
    X = sparse.csc_matrix((np.ones(len(rows)), (rows, col)), shape=(len(long), len(regs)))
    fit = _fit_fe(long, X, regs, [])
    names = list(fit._coefnames)
    idx = [names.index(r) for r in regs]
    b = fit.coef()[regs].to_numpy(float)
    V = np.asarray(fit._vcov)[np.ix_(idx, idx)]
    cells["estimate"] = b
    cells["se"] = np.sqrt(np.diag(V))
    evs = np.unique(cells["event_time"])
    W = np.zeros((len(evs), len(regs)))
    for i, ev in enumerate(evs):
        m = (cells["event_time"] == ev).to_numpy()
        W[i, m] = cells["n_obs"].to_numpy(float)[m] / cells["n_obs"].to_numpy(float)[m].sum()
    cells["weight"] = W.sum(axis=0)
    pos = evs >= 0
    labels = [f"e={_fmt(x)}" for x in evs]
    if pos.any():
        W = np.vstack([W, W[pos].mean(axis=0)])
        labels.append("overall")
    est = W @ b
    Ve = W @ V @ W.T
    se = np.sqrt(np.diag(Ve))
    df_t = float(fit._df_t)
    crit = _t_ppf(1 - alpha / 2, df_t)
    ev_col = list(evs) + ([np.nan] if pos.any() else [])
    tab = pd.DataFrame(
        {
            "term": labels,
            "group": _time_values([np.nan] * len(labels), P.time_dtype),
            "time": _time_values([np.nan] * len(labels), P.time_dtype),
            "event_time": _time_values(ev_col, P.time_dtype),
            "estimate": est,
            "se": se,
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
            "p": 2 * _t_sf(np.abs(est / se), df_t),
            "df": df_t,
        }
    )
    cells["group"] = _time_values(cells["group"], P.time_dtype)
    cells["event_time"] = _time_values(cells["event_time"], P.time_dtype)
    return SunAbrahamResult(
        table=tab,
        cohort_effects=cells[["group", "event_time", "estimate", "se", "weight", "n_obs"]],
        fit=fit,
        control=control,
        cluster=cluster if cluster is not None else unit,
        n_obs=len(long),
        n_clusters=int(long["cl_code"].max()) + 1,
        alpha=alpha,
        _vcov_e=Ve,
    )
