"""PROCESS-style mediation, moderation and moderated mediation on any DataFrame.

Where the methods come from: Hayes, A. F. (2022), *Introduction to Mediation, Moderation, and
Conditional Process Analysis* (3rd ed., Guilford), and the model numbers of his PROCESS macro
(v4). Every equation is an OLS regression with an intercept; covariates enter every equation
(PROCESS's default); rows with a missing value in any variable used are dropped (listwise).

- ``process_model4``: parallel mediation (PROCESS model 4), paths a, b, c', total c, indirect
  effects a·b per mediator and their sum.
- ``process_model6``: serial mediation with two mediators (model 6): X→M1→Y, X→M1→M2→Y, X→M2→Y.
- ``process_model1``: simple moderation (model 1), conditional effects of X at values of W
  (−1 SD / mean / +1 SD and the 16th/50th/84th percentiles, or both values of a dichotomous W)
  and the Johnson–Neyman points (Hayes 2022, §7.4; closed form: roots of a quadratic in W).
- ``process_model7`` / ``process_model14``: first- / second-stage moderated mediation; conditional
  indirect effects at the probe values of W and the index of moderated mediation (Hayes 2015,
  *Multivariate Behavioral Research* 50: 1–22): a3·b (model 7) and a·b3 (model 14).

Path SEs, t and p are OLS (PROCESS's default) or heteroskedasticity-consistent (``hc="HC0"`` …
``"HC3"``, PROCESS's ``hc`` option), with t(df_resid) for p-values and intervals. Indirect effects
use the nonparametric bootstrap: resamples are drawn once with ``np.random.default_rng(seed)``
(rows, or whole clusters with ``cluster=``), turned into resample counts, and all B weighted
least-squares problems are solved together with batched numpy (counts as weights give the same
estimates as OLS on the resampled rows). Percentile intervals use numpy's linear quantile rule;
bias-corrected (BC) intervals follow Efron (1987) with z0 from the proportion of draws below the
estimate — close to, but not digit-for-digit, PROCESS's own quantile rule. On Hayes' pmi data
model 4 reproduces PROCESS's printed a, b, c', c, ab and their t values to 4 decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

CIType = Literal["percentile", "bc"]
CI_TYPES: tuple[str, ...] = ("percentile", "bc")
HC_TYPES: tuple[str | None, ...] = (None, "HC0", "HC1", "HC2", "HC3")
#: Resamples solved per batch: bounds memory at ~_CHUNK x n floats per weight matrix.
_CHUNK = 250

# An equation: (label, outcome column, predictor columns); the intercept is implied.
_Equation = tuple[str, str, tuple[str, ...]]
_Coefs = Mapping[tuple[str, str], "float | np.ndarray"]


@dataclass(frozen=True)
class BootstrapConfig:
    """Immutable record of what a bootstrap asks for."""

    n_boot: int
    seed: int | None
    ci: float = 0.95
    ci_type: CIType = "percentile"
    cluster: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.n_boot, int | np.integer) or self.n_boot < 1:
            raise ValueError(f"n_boot must be a positive integer, got {self.n_boot!r}")
        if not 0 < self.ci < 1:
            raise ValueError(f"ci must be between 0 and 1, got {self.ci!r}")
        if self.ci_type not in CI_TYPES:
            raise ValueError(f"ci_type must be one of {CI_TYPES}, got {self.ci_type!r}")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class _Result:
    """Common interface: a tidy table with one row per term."""

    table: pd.DataFrame
    n_obs: int
    variables: Mapping[str, object]

    def _col(self, name: str) -> pd.Series:
        return self.table.set_index("term")[name]

    @property
    def params(self) -> pd.Series:
        return self._col("estimate")

    @property
    def bse(self) -> pd.Series:
        return self._col("se")

    @property
    def tvalues(self) -> pd.Series:
        return self._col("t")

    @property
    def pvalues(self) -> pd.Series:
        return self._col("p")

    def conf_int(self) -> pd.DataFrame:
        """Interval per term (columns ``ci_low``, ``ci_high``)."""
        return self.table.set_index("term")[["ci_low", "ci_high"]]

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: term, estimate, se, t, p, ci_low, ci_high, method."""
        return self.table.copy()

    def summary(self) -> str:
        head = ", ".join(f"{k} = {v}" for k, v in self.variables.items())
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            body = self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{type(self).__name__} (n = {self.n_obs}; {head})\n{body}"


@dataclass(frozen=True)
class MediationResult(_Result):
    """Mediation / moderated mediation: OLS paths plus bootstrapped (conditional) indirect effects.

    ``paths`` holds every coefficient of every equation; ``boot_draws`` the B bootstrap draws of
    each bootstrapped effect; ``conditional`` the conditional indirect effects (models 7 and 14).
    ``model_summary`` has PROCESS's "Model Summary" of every equation (R, R², MSE, F, df1, df2,
    p); models 7 and 14 add ``interactions`` (the test of the product term: R² change, F, df1,
    df2, p) and ``conditional_paths`` (the moderated path at the probe values of W, t-based).
    """

    model: int = 0
    paths: pd.DataFrame = field(default_factory=pd.DataFrame)
    boot_draws: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: BootstrapConfig | None = None
    conditional: pd.DataFrame | None = None
    model_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    interactions: pd.DataFrame = field(default_factory=pd.DataFrame)
    conditional_paths: pd.DataFrame | None = None

    def conf_int(self, ci_type: CIType | None = None) -> pd.DataFrame:
        """Intervals per term; ``ci_type`` recomputes the bootstrap rows (percentile or bc)."""
        out = super().conf_int().copy()
        if ci_type is None or self.config is None:
            return out
        if ci_type not in CI_TYPES:
            raise ValueError(f"ci_type must be one of {CI_TYPES}, got {ci_type!r}")
        for term in self.boot_draws.columns:
            est = float(self.params[term])
            out.loc[term] = _boot_ci(self.boot_draws[term].to_numpy(), est, self.config.ci, ci_type)
        return out


@dataclass(frozen=True)
class ModerationResult(_Result):
    """Simple moderation: coefficients, conditional effects of X and Johnson–Neyman points.

    ``jn_roots`` are all real roots of the JN quadratic (values of W where the conditional effect
    is exactly significant at level 1 − ci); ``jn_points`` those inside the observed range of W,
    which PROCESS prints. ``model_summary`` (R, R², MSE, F, df1, df2, p), ``interactions`` (R²
    change and F test of X·W), ``jn_table`` (each JN point with the % of cases below / above)
    and ``jn_grid`` (the conditional effect at 21 equally spaced values of W from its minimum to
    its maximum plus the JN points, as PROCESS's ``jn=1`` prints it) complete PROCESS's output.
    """

    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    conditional: pd.DataFrame = field(default_factory=pd.DataFrame)
    jn_roots: tuple[float, ...] = ()
    jn_points: tuple[float, ...] = ()
    ci: float = 0.95
    model_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    interactions: pd.DataFrame = field(default_factory=pd.DataFrame)
    jn_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    jn_grid: pd.DataFrame = field(default_factory=pd.DataFrame)


# --------------------------------------------------------------------------- data


def _as_list(value: str | Sequence[str], name: str) -> list[str]:
    out = [value] if isinstance(value, str) else list(value)
    if not out:
        raise ValueError(f"{name} must name at least one column")
    return out


def _prepare(
    data: pd.DataFrame, columns: Sequence[str], cluster: str | None = None
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Complete cases of `columns` as float, and integer cluster codes (or None)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if len(set(columns)) != len(columns):
        dup = sorted({c for c in columns if list(columns).count(c) > 1})
        raise ValueError(f"a column has more than one role in the model: {dup}")
    wanted = [*columns, *([cluster] if cluster is not None else [])]
    missing = [c for c in wanted if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in data: {missing}")
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if non_numeric:
        raise ValueError(f"model variables must be numeric; not numeric: {non_numeric}")
    complete = data[wanted].dropna()
    frame = complete[list(columns)].astype("float64").reset_index(drop=True)
    if len(frame) <= len(columns) + 1:
        raise ValueError(f"too few complete rows ({len(frame)}) for the model")
    codes = None if cluster is None else pd.factorize(complete[cluster])[0]
    return frame, codes


def _probe_values(w: pd.Series) -> list[tuple[str, float]]:
    """PROCESS probe values of W: both values if dichotomous, else ±1 SD, mean, p16/p50/p84."""
    values = np.unique(w)
    if len(values) == 2:
        return [(f"{v:g}", float(v)) for v in values]
    mean, sd = float(w.mean()), float(w.std(ddof=1))
    pct = np.percentile(w, [16, 50, 84])
    return [
        ("-1 SD", mean - sd),
        ("mean", mean),
        ("+1 SD", mean + sd),
        ("p16", float(pct[0])),
        ("p50", float(pct[1])),
        ("p84", float(pct[2])),
    ]


# --------------------------------------------------------------------------- estimation


def _ols(frame: pd.DataFrame, outcome: str, predictors: Sequence[str], hc: str | None):
    design = sm.add_constant(frame[list(predictors)], has_constant="add")
    return sm.OLS(frame[outcome], design).fit(cov_type=hc or "nonrobust")


def _coef_rows(label: str, fit, ci: float, method: str) -> pd.DataFrame:
    """Tidy rows of one fitted equation with t(df_resid) p-values and intervals."""
    est, se = fit.params.to_numpy(), fit.bse.to_numpy()
    t = est / se
    df = fit.df_resid
    half = stats.t.ppf(0.5 + ci / 2, df) * se
    return pd.DataFrame(
        {
            "equation": label,
            "term": list(fit.params.index),
            "estimate": est,
            "se": se,
            "t": t,
            "p": 2 * stats.t.sf(np.abs(t), df),
            "ci_low": est - half,
            "ci_high": est + half,
            "method": method,
        }
    )


def _model_summary(label: str, outcome: str, fit) -> dict:
    """PROCESS's "Model Summary" of one OLS equation: R, R², MSE, F, df1, df2, p.

    MSE is the residual mean square SSR / df_resid. With an ``hc`` covariance, F is the Wald F of
    all slopes under that covariance (PROCESS prints it as F(HC3) etc.), else the usual F.
    """
    r2 = float(fit.rsquared)
    return {
        "equation": label,
        "outcome": outcome,
        "r": float(np.sqrt(r2)),
        "r2": r2,
        "mse": float(fit.mse_resid),
        "f": float(fit.fvalue),
        "df1": float(fit.df_model),
        "df2": float(fit.df_resid),
        "p": float(fit.f_pvalue),
    }


def _interaction_test(
    frame: pd.DataFrame,
    label: str,
    outcome: str,
    predictors: Sequence[str],
    product: str,
    fit,
) -> dict:
    """PROCESS's "Test(s) of highest order unconditional interaction(s)" for one product term.

    R² change: the R² lost when the product is dropped (both OLS). F: the squared t of the
    product (its Wald F on 1 and df_resid; robust when the fit has an ``hc`` covariance).
    """
    reduced = _ols(frame, outcome, [p for p in predictors if p != product], None)
    f = float(fit.tvalues[product]) ** 2
    df2 = float(fit.df_resid)
    return {
        "equation": label,
        "term": product,
        "r2_change": float(fit.rsquared - reduced.rsquared),
        "f": f,
        "df1": 1.0,
        "df2": df2,
        "p": float(stats.f.sf(f, 1, df2)),
    }


def _conditional_slopes(
    fit, focal: str, product: str, values: Sequence[float], shift: float, ci: float
) -> pd.DataFrame:
    """Conditional effect θ(w) = b_focal + b_product·(w − shift) at each w of `values`.

    SE from the coefficient covariance, t(df_resid) p-value and interval (Hayes 2022, §7.2);
    `shift` is the mean W was centred by before forming the product (0 if not centred).
    """
    b1, b3 = fit.params[focal], fit.params[product]
    cov = fit.cov_params()
    v11, v13, v33 = cov.loc[focal, focal], cov.loc[focal, product], cov.loc[product, product]
    df = fit.df_resid
    tcrit = stats.t.ppf(0.5 + ci / 2, df)
    w = np.asarray(values, dtype="float64")
    wc = w - shift
    theta = b1 + b3 * wc
    se = np.sqrt(v11 + 2 * wc * v13 + wc**2 * v33)
    t = theta / se
    return pd.DataFrame(
        {"w": w, "estimate": theta, "se": se, "t": t, "p": 2 * stats.t.sf(np.abs(t), df),
         "ci_low": theta - tcrit * se, "ci_high": theta + tcrit * se}
    )  # fmt: skip


def _batched_coefs(
    frame: pd.DataFrame, equations: Sequence[_Equation], weights: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """Weighted least squares of every equation for every row of `weights` (shape B x n).

    Columns are centred and scaled on the full sample before forming the normal equations (a
    reparametrisation that leaves the fit unchanged and keeps the systems well conditioned);
    equations with the same predictors share one batched solve.
    """
    n = len(frame)
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for label, outcome, predictors in equations:
        groups.setdefault(predictors, []).append((label, outcome))
    out: dict[tuple[str, str], np.ndarray] = {}
    for predictors, targets in groups.items():
        x = frame[list(predictors)].to_numpy()
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        z = np.column_stack([np.ones(n), (x - mean) / scale])
        y = frame[[outcome for _, outcome in targets]].to_numpy()
        p, k = z.shape[1], y.shape[1]
        zz = (z[:, :, None] * z[:, None, :]).reshape(n, p * p)
        zy = (z[:, :, None] * y[:, None, :]).reshape(n, p * k)
        try:
            g = np.linalg.solve((weights @ zz).reshape(-1, p, p), (weights @ zy).reshape(-1, p, k))
        except np.linalg.LinAlgError as err:
            raise ValueError(
                f"a bootstrap resample has a singular design for predictors {list(predictors)} "
                "(e.g. a dichotomous variable took one value); use more data or fewer clusters"
            ) from err
        slopes = g[:, 1:, :] / scale[None, :, None]
        for j, (label, _) in enumerate(targets):
            for i, term in enumerate(predictors):
                out[(label, term)] = slopes[:, i, j]
            out[(label, "const")] = g[:, 0, j] - slopes[:, :, j] @ mean
    return out


def _unit_draws(rng: np.random.Generator, n_units: int, n_boot: int) -> Iterator[np.ndarray]:
    """Resampled unit positions, `_CHUNK` resamples at a time (this order defines the draws)."""
    done = 0
    while done < n_boot:
        size = min(_CHUNK, n_boot - done)
        yield rng.integers(0, n_units, size=(size, n_units))
        done += size


def bootstrap_resamples(
    n_rows: int, n_boot: int, seed: int | None, clusters: Sequence | None = None
) -> Iterator[np.ndarray]:
    """Row positions of each bootstrap resample, exactly as the PROCESS functions draw them.

    Positions refer to the complete-case rows of the model variables, in data order. With
    `clusters` (one label per row) whole clusters are drawn with replacement and all their
    rows enter the resample. For checking the vectorised bootstrap against a loop.
    """
    rng = np.random.default_rng(seed)
    if clusters is None:
        for chunk in _unit_draws(rng, n_rows, n_boot):
            yield from chunk
        return
    codes = pd.factorize(pd.Series(list(clusters)))[0]
    rows_of = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    for chunk in _unit_draws(rng, len(rows_of), n_boot):
        for draw in chunk:
            yield np.concatenate([rows_of[g] for g in draw])


def _weight_chunks(
    n_rows: int, n_boot: int, seed: int | None, codes: np.ndarray | None
) -> Iterator[np.ndarray]:
    """Resample counts per row (B x n, in chunks): the weights of the batched least squares."""
    rng = np.random.default_rng(seed)
    n_units = n_rows if codes is None else int(codes.max()) + 1
    for chunk in _unit_draws(rng, n_units, n_boot):
        size = chunk.shape[0]
        flat = (chunk + (np.arange(size) * n_units)[:, None]).ravel()
        counts = np.bincount(flat, minlength=size * n_units).reshape(size, n_units)
        counts = counts.astype("float64")
        yield counts if codes is None else counts[:, codes]


def _boot_ci(draws: np.ndarray, estimate: float, ci: float, ci_type: str) -> tuple[float, float]:
    alpha = 1 - ci
    probs = np.array([alpha / 2, 1 - alpha / 2])
    if ci_type == "bc":
        z0 = stats.norm.ppf(np.mean(draws < estimate))
        probs = stats.norm.cdf(2 * z0 + stats.norm.ppf(probs))
    lo, hi = np.quantile(draws, probs)
    return float(lo), float(hi)


def _mediation(
    frame: pd.DataFrame,
    codes: np.ndarray | None,
    equations: Sequence[_Equation],
    paths: Mapping[str, tuple[str, str]],
    effects: Callable[[_Coefs], dict[str, float | np.ndarray]],
    config: BootstrapConfig,
    hc: str | None,
    model: int,
    variables: Mapping[str, object],
) -> MediationResult:
    """Fit the equations (OLS), bootstrap `effects` (batched WLS) and assemble the result."""
    if hc not in HC_TYPES:
        raise ValueError(f"hc must be one of {HC_TYPES}, got {hc!r}")
    method = "OLS" if hc is None else f"OLS {hc}"
    fits = {label: _ols(frame, outcome, preds, hc) for label, outcome, preds in equations}
    coef_table = pd.concat(
        [_coef_rows(label, fit, config.ci, method) for label, fit in fits.items()],
        ignore_index=True,
    )
    point = effects(
        {(lab, t): float(v) for lab, fit in fits.items() for t, v in fit.params.items()}
    )
    draws: dict[str, list[np.ndarray]] = {name: [] for name in point}
    for weights in _weight_chunks(len(frame), config.n_boot, config.seed, codes):
        for name, value in effects(_batched_coefs(frame, equations, weights)).items():
            draws[name].append(value)
    boot = pd.DataFrame({name: np.concatenate(parts) for name, parts in draws.items()})

    indexed = coef_table.set_index(["equation", "term"])
    rows = [{"term": name, **indexed.loc[key].to_dict()} for name, key in paths.items()]
    for name, est in point.items():
        lo, hi = _boot_ci(boot[name].to_numpy(), float(est), config.ci, config.ci_type)
        se = float(boot[name].std(ddof=1))
        rows.append(
            {"term": name, "estimate": float(est), "se": se, "t": np.nan, "p": np.nan,
             "ci_low": lo, "ci_high": hi, "method": f"bootstrap {config.ci_type}"}
        )  # fmt: skip
    table = pd.DataFrame(rows)[["term", "estimate", "se", "t", "p", "ci_low", "ci_high", "method"]]
    summary = [_model_summary(label, outcome, fits[label]) for label, outcome, _ in equations]
    return MediationResult(
        table=table,
        n_obs=len(frame),
        variables=dict(variables),
        model=model,
        paths=coef_table,
        boot_draws=boot,
        config=config,
        model_summary=pd.DataFrame(summary),
    )


def _conditional_table(result: MediationResult, spec: list[tuple[str, str, str, float]]):
    """Conditional indirect effects as rows (mediator, probe, w, estimate, se, CI)."""
    t = result.table.set_index("term")
    rows = [
        {"mediator": med, "probe": probe, "w": w, **t.loc[term, ["estimate", "se"]].to_dict(),
         "ci_low": t.loc[term, "ci_low"], "ci_high": t.loc[term, "ci_high"]}
        for term, med, probe, w in spec
    ]  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- public models


def process_model4(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: Sequence[str] = (),
    *,
    n_boot: int = 5000,
    seed: int | None,
    ci: float = 0.95,
    ci_type: CIType = "percentile",
    cluster: str | None = None,
    hc: str | None = None,
) -> MediationResult:
    """PROCESS model 4: X → M_j → Y with parallel mediators.

    Parameters
    ----------
    data : DataFrame with the model columns (listwise deletion over them).
    x, m, y : column names of the antecedent, mediator(s) and outcome.
    covariates : columns entered in every equation.
    n_boot, seed : number of bootstrap resamples and the seed of ``np.random.default_rng``.
    ci, ci_type : interval level and bootstrap interval type ("percentile" or "bc").
    cluster : column whose clusters are resampled whole (clustered bootstrap).
    hc : None (OLS SEs, PROCESS default) or "HC0"–"HC3" for the path SEs.

    Returns
    -------
    MediationResult with terms ``a[M]``, ``b[M]``, ``c'``, ``c`` (OLS), ``ind[M]`` and, with
    more than one mediator, ``ind[total]`` (bootstrap SE and CI).
    """
    ms, covs = _as_list(m, "m"), tuple(covariates)
    config = BootstrapConfig(n_boot, seed, ci, ci_type, cluster)
    frame, codes = _prepare(data, [x, *ms, y, *covs], cluster)
    total = f"{y} (total)"
    equations = [(mj, mj, (x, *covs)) for mj in ms]
    equations += [(y, y, (x, *ms, *covs)), (total, y, (x, *covs))]
    paths = {f"a[{mj}]": (mj, x) for mj in ms}
    paths |= {f"b[{mj}]": (y, mj) for mj in ms} | {"c'": (y, x), "c": (total, x)}

    def effects(c: _Coefs) -> dict:
        out = {f"ind[{mj}]": c[(mj, x)] * c[(y, mj)] for mj in ms}
        if len(ms) > 1:
            out["ind[total]"] = sum(out.values())
        return out

    variables = {"x": x, "m": ms, "y": y, "covariates": list(covs), "cluster": cluster}
    return _mediation(frame, codes, equations, paths, effects, config, hc, 4, variables)


def process_model6(
    data: pd.DataFrame,
    x: str,
    m: Sequence[str],
    y: str,
    covariates: Sequence[str] = (),
    *,
    n_boot: int = 5000,
    seed: int | None,
    ci: float = 0.95,
    ci_type: CIType = "percentile",
    cluster: str | None = None,
    hc: str | None = None,
) -> MediationResult:
    """PROCESS model 6: serial mediation X → M1 → M2 → Y (two mediators, in causal order).

    Parameters as :func:`process_model4`. Terms: ``a[M1]``, ``a[M2]``, ``d[M1->M2]``, ``b[M1]``,
    ``b[M2]``, ``c'``, ``c`` (OLS); ``ind[M1]`` = a1·b1, ``ind[M1->M2]`` = a1·d21·b2,
    ``ind[M2]`` = a2·b2 and ``ind[total]`` (bootstrap).
    """
    ms, covs = _as_list(m, "m"), tuple(covariates)
    if len(ms) != 2:
        raise ValueError(f"model 6 takes exactly 2 serial mediators, got {len(ms)}: {ms}")
    m1, m2 = ms
    config = BootstrapConfig(n_boot, seed, ci, ci_type, cluster)
    frame, codes = _prepare(data, [x, m1, m2, y, *covs], cluster)
    total = f"{y} (total)"
    equations = [
        (m1, m1, (x, *covs)),
        (m2, m2, (x, m1, *covs)),
        (y, y, (x, m1, m2, *covs)),
        (total, y, (x, *covs)),
    ]
    paths = {
        f"a[{m1}]": (m1, x),
        f"a[{m2}]": (m2, x),
        f"d[{m1}->{m2}]": (m2, m1),
        f"b[{m1}]": (y, m1),
        f"b[{m2}]": (y, m2),
        "c'": (y, x),
        "c": (total, x),
    }

    def effects(c: _Coefs) -> dict:
        out = {
            f"ind[{m1}]": c[(m1, x)] * c[(y, m1)],
            f"ind[{m1}->{m2}]": c[(m1, x)] * c[(m2, m1)] * c[(y, m2)],
            f"ind[{m2}]": c[(m2, x)] * c[(y, m2)],
        }
        out["ind[total]"] = sum(out.values())
        return out

    variables = {"x": x, "m": ms, "y": y, "covariates": list(covs), "cluster": cluster}
    return _mediation(frame, codes, equations, paths, effects, config, hc, 6, variables)


def _moderated_mediation(
    stage: Literal["first", "second"],
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    w: str,
    y: str,
    covariates: Sequence[str],
    w_values: Sequence[float] | None,
    config: BootstrapConfig,
    hc: str | None,
) -> MediationResult:
    ms, covs = _as_list(m, "m"), tuple(covariates)
    frame, codes = _prepare(data, [x, *ms, w, y, *covs], config.cluster)
    probes = (
        _probe_values(frame[w]) if w_values is None else [(f"{v:g}", float(v)) for v in w_values]
    )
    if stage == "first":  # model 7: W moderates X -> M
        xw = f"{x}:{w}"
        frame[xw] = frame[x] * frame[w]
        equations = [(mj, mj, (x, w, xw, *covs)) for mj in ms] + [(y, y, (x, *ms, *covs))]
        paths = {}
        for mj in ms:
            paths |= {f"a1[{mj}]": (mj, x), f"a2[{mj}]": (mj, w), f"a3[{mj}]": (mj, xw)}
        paths |= {f"b[{mj}]": (y, mj) for mj in ms} | {"c'": (y, x)}
    else:  # model 14: W moderates M -> Y
        mw = {mj: f"{mj}:{w}" for mj in ms}
        for mj in ms:
            frame[mw[mj]] = frame[mj] * frame[w]
        equations = [(mj, mj, (x, *covs)) for mj in ms]
        equations += [(y, y, (x, *ms, w, *mw.values(), *covs))]
        paths = {f"a[{mj}]": (mj, x) for mj in ms}
        for mj in ms:
            paths |= {f"b1[{mj}]": (y, mj), f"b3[{mj}]": (y, mw[mj])}
        paths |= {"b2": (y, w), "c'": (y, x)}

    def effects(c: _Coefs) -> dict:
        out = {}
        for mj in ms:
            if stage == "first":
                out[f"imm[{mj}]"] = c[(mj, xw)] * c[(y, mj)]
            else:
                out[f"imm[{mj}]"] = c[(mj, x)] * c[(y, mw[mj])]
            for label, v in probes:
                if stage == "first":
                    value = (c[(mj, x)] + c[(mj, xw)] * v) * c[(y, mj)]
                else:
                    value = c[(mj, x)] * (c[(y, mj)] + c[(y, mw[mj])] * v)
                out[f"ind[{mj}|{w}={label}]"] = value
        return out

    model = 7 if stage == "first" else 14
    variables = {"x": x, "m": ms, "w": w, "y": y, "covariates": list(covs)}
    variables["cluster"] = config.cluster
    result = _mediation(frame, codes, equations, paths, effects, config, hc, model, variables)
    spec = [(f"ind[{mj}|{w}={lab}]", mj, lab, v) for mj in ms for lab, v in probes]
    # the moderated path at the probe values (PROCESS prints it under its equation)
    tests, slopes = [], []
    for label, outcome, predictors in equations:
        for mj in ms:
            focal, product = (x, xw) if stage == "first" else (mj, mw[mj])
            if product not in predictors or (stage == "first" and label != mj):
                continue
            fit = _ols(frame, outcome, predictors, hc)
            tests.append(_interaction_test(frame, label, outcome, predictors, product, fit))
            rows = _conditional_slopes(fit, focal, product, [v for _, v in probes], 0.0, config.ci)
            rows.insert(0, "probe", [lab for lab, _ in probes])
            rows.insert(0, "focal", focal)
            rows.insert(0, "equation", label)
            slopes.append(rows)
    keep = {k: getattr(result, k) for k in result.__dataclass_fields__}
    keep |= {
        "conditional": _conditional_table(result, spec),
        "interactions": pd.DataFrame(tests),
        "conditional_paths": pd.concat(slopes, ignore_index=True),
    }
    return MediationResult(**keep)


def process_model7(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    w: str,
    y: str,
    covariates: Sequence[str] = (),
    *,
    w_values: Sequence[float] | None = None,
    n_boot: int = 5000,
    seed: int | None,
    ci: float = 0.95,
    ci_type: CIType = "percentile",
    cluster: str | None = None,
    hc: str | None = None,
) -> MediationResult:
    """PROCESS model 7: first-stage moderated mediation (W moderates X → M).

    M = i + a1 X + a2 W + a3 XW (+ covariates); Y = i + c' X + b M (+ covariates). Terms: the
    paths (OLS); ``ind[M|W=probe]`` = (a1 + a3 w)·b at the probe values of W (``w_values``, or
    PROCESS's: both values of a dichotomous W, else −1 SD/mean/+1 SD and p16/p50/p84) and the
    index of moderated mediation ``imm[M]`` = a3·b (bootstrap). Other parameters as
    :func:`process_model4`; ``result.conditional`` lists the conditional indirect effects.
    """
    config = BootstrapConfig(n_boot, seed, ci, ci_type, cluster)
    return _moderated_mediation("first", data, x, m, w, y, covariates, w_values, config, hc)


def process_model14(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    w: str,
    y: str,
    covariates: Sequence[str] = (),
    *,
    w_values: Sequence[float] | None = None,
    n_boot: int = 5000,
    seed: int | None,
    ci: float = 0.95,
    ci_type: CIType = "percentile",
    cluster: str | None = None,
    hc: str | None = None,
) -> MediationResult:
    """PROCESS model 14: second-stage moderated mediation (W moderates M → Y).

    M = i + a X (+ covariates); Y = i + c' X + b1 M + b2 W + b3 MW (+ covariates). Conditional
    indirect effects ``ind[M|W=probe]`` = a·(b1 + b3 w) and the index ``imm[M]`` = a·b3
    (bootstrap); otherwise as :func:`process_model7`.
    """
    config = BootstrapConfig(n_boot, seed, ci, ci_type, cluster)
    return _moderated_mediation("second", data, x, m, w, y, covariates, w_values, config, hc)


def process_model1(
    data: pd.DataFrame,
    x: str,
    w: str,
    y: str,
    covariates: Sequence[str] = (),
    *,
    center: bool = False,
    ci: float = 0.95,
    hc: str | None = None,
    w_values: Sequence[float] | None = None,
) -> ModerationResult:
    """PROCESS model 1: Y = i + b1 X + b2 W + b3 XW (+ covariates), probed at values of W.

    Parameters
    ----------
    data, x, w, y, covariates : the DataFrame and column names (listwise deletion).
    center : mean-centre X and W before forming the product (PROCESS ``center=1``); the
        conditional effects are still reported at W in its original units.
    ci : level of the t intervals and of the Johnson–Neyman significance threshold.
    hc : None (OLS, PROCESS's default) or "HC0"–"HC3".
    w_values : probe values of W; default PROCESS's (see :func:`process_model7`).

    Returns
    -------
    ModerationResult: coefficient rows, conditional-effect rows ``x|W=probe`` (θ = b1 + b3 w,
    SE from the coefficient covariance, t(df_resid)), and the Johnson–Neyman points.
    """
    if hc not in HC_TYPES:
        raise ValueError(f"hc must be one of {HC_TYPES}, got {hc!r}")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1, got {ci!r}")
    covs = tuple(covariates)
    frame, _ = _prepare(data, [x, w, y, *covs])
    probes = (
        _probe_values(frame[w]) if w_values is None else [(f"{v:g}", float(v)) for v in w_values]
    )
    shift = frame[w].mean() if center else 0.0
    fit_frame = frame.copy()
    if center:
        fit_frame[x] -= frame[x].mean()
        fit_frame[w] -= shift
    xw = f"{x}:{w}"
    fit_frame[xw] = fit_frame[x] * fit_frame[w]
    fit = _ols(fit_frame, y, (x, w, xw, *covs), hc)
    method = "OLS" if hc is None else f"OLS {hc}"
    coefs = _coef_rows(y, fit, ci, method).drop(columns="equation")

    b1, b3 = fit.params[x], fit.params[xw]
    cov = fit.cov_params()
    v11, v13, v33 = cov.loc[x, x], cov.loc[x, xw], cov.loc[xw, xw]
    tcrit = stats.t.ppf(0.5 + ci / 2, fit.df_resid)
    conditional = _conditional_slopes(fit, x, xw, [v for _, v in probes], shift, ci)
    conditional.insert(0, "term", [f"{x}|{w}={label}" for label, _ in probes])
    conditional["method"] = f"conditional effect ({method})"
    # Johnson-Neyman: (b1 + b3 w)^2 = tcrit^2 (v11 + 2 w v13 + w^2 v33), a quadratic in w.
    roots = np.roots(
        [b3**2 - tcrit**2 * v33, 2 * (b1 * b3 - tcrit**2 * v13), b1**2 - tcrit**2 * v11]
    )
    real = sorted(float(r.real) + shift for r in roots if abs(r.imag) < 1e-12)
    lo, hi = frame[w].min(), frame[w].max()
    points = tuple(r for r in real if lo <= r <= hi)
    observed = frame[w].to_numpy()
    jn_table = pd.DataFrame(
        {"value": list(points),
         "pct_below": [100 * float(np.mean(observed < r)) for r in points],
         "pct_above": [100 * float(np.mean(observed > r)) for r in points]}
    )  # fmt: skip
    grid = sorted({*np.linspace(lo, hi, 21).tolist(), *points})
    table = pd.concat([coefs, conditional.drop(columns="w")], ignore_index=True)
    predictors = (x, w, xw, *covs)
    return ModerationResult(
        table=table,
        n_obs=len(frame),
        variables={"x": x, "w": w, "y": y, "covariates": list(covs), "center": center},
        coefficients=coefs,
        conditional=conditional,
        jn_roots=tuple(real),
        jn_points=points,
        ci=ci,
        model_summary=pd.DataFrame([_model_summary(y, y, fit)]),
        interactions=pd.DataFrame([_interaction_test(fit_frame, y, y, predictors, xw, fit)]),
        jn_table=jn_table,
        jn_grid=_conditional_slopes(fit, x, xw, grid, shift, ci),
    )
