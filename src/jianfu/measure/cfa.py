"""Confirmatory factor analysis (CFA) by maximum likelihood, with lavaan's defaults and definitions.

Provenance
----------
- Model, estimator and defaults follow R lavaan (Rosseel 2012, `cfa()`): ML on the sample covariance
  matrix with divisor N, first loading of each factor fixed to 1 (or, with ``std_lv``, factor
  variances fixed to 1), factor covariances and residual variances free, listwise deletion.
- The lavaan syntax is parsed, and the parameter table, matrices and starting values are built, by
  semopy (Igolkina & Meshcheryakov 2020). The ML discrepancy, its gradient (in matrix form) and the
  expected information are computed here in numpy: semopy's own gradient builds one p x p matrix per
  parameter (semopy's own BFGS fit took ~35 s on a 13-factor, 80-indicator model; this path takes
  0.3-0.7 s). Estimates are polished with Fisher-scoring steps so that they do not depend on the
  solver's stopping rule (why semopy's default SLSQP differs from lavaan in the 3rd decimal).
- Standard errors: lavaan's default ``information = "expected"``: Var = (N/2 Delta' W Delta)^-1.
- Fit measures use lavaan's definitions (``fitMeasures``): chi-square = N F_ML; CFI, TLI against the
  independence baseline; RMSEA = sqrt(max(0, (X2 - df) / (N df))) with the 90 % interval by
  inversion of the noncentral chi-square and the close-fit p-value (H0: RMSEA <= .05); SRMR in
  Bentler's version; logL = -N/2 [p log 2 pi + log|Sigma| + tr(S Sigma^-1)]; AIC, BIC (log N) and
  sample-size adjusted BIC (log((N + 2) / 24)).
- Factor scores: lavaan ``lavPredict(method = "regression")`` (Thurstone):
  Phi Lambda' Sigma^-1 (x - xbar).
"""

from __future__ import annotations

import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import semopy
from scipy import optimize, stats

from jianfu.core.errors import JianfuError

try:  # in the lock via scikit-learn; optional so that a missing copy only costs speed
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

#: scipy.optimize.minimize methods that use the analytic gradient.
SOLVERS = ("BFGS", "L-BFGS-B", "CG", "SLSQP")
FACTOR_SCORE_METHODS = ("regression",)
Solver = Literal["BFGS", "L-BFGS-B", "CG", "SLSQP"]

_LOG2PI = np.log(2 * np.pi)


def lavaan_syntax(spec: dict[str, list[str]]) -> str:
    """Write a measurement model as lavaan syntax, one ``F =~ a + b + c`` line per factor.

    Parameters
    ----------
    spec : dict of str to list of str
        Factor name -> its indicator column names, in order (the first is the marker).

    Returns
    -------
    str
        lavaan model syntax.
    """
    if not spec:
        raise JianfuError("measurement model: no factors given")
    lines = []
    for factor, items in spec.items():
        if not items:
            raise JianfuError(f"measurement model: factor {factor!r} has no indicators")
        lines.append(f"{factor} =~ " + " + ".join(items))
    return "\n".join(lines)


def _measurement_order(model: str) -> dict[str, list[str]]:
    """Factors and their indicators in the order the syntax names them."""
    order: dict[str, list[str]] = {}
    for stmt in re.split(r"[\n;]", model):
        stmt = stmt.split("#")[0].strip()
        if "=~" not in stmt:
            continue
        lhs, rhs = stmt.split("=~", 1)
        items = [term.split("*")[-1].strip() for term in rhs.split("+")]
        order.setdefault(lhs.strip(), []).extend(i for i in items if i)
    return order


@dataclass(frozen=True, eq=False)
class CFAResult:
    """A fitted CFA: lavaan-style parameter table, fit measures and the fitted matrices.

    Attributes
    ----------
    model : str
        The lavaan syntax that was fitted.
    estimates : pandas.DataFrame
        lavaan ``parameterEstimates`` layout: lhs, op, rhs, est, se, z, pvalue, std_all (free and
        fixed parameters; fixed ones have se = 0 and NaN z / pvalue, as lavaan prints).
    fit : dict of str to float
        lavaan's fit measures (see the module docstring).
    n : int
        Rows used (complete on every model variable); ``n_dropped`` rows were deleted listwise.
    """

    model: str
    estimates: pd.DataFrame
    fit: dict[str, float]
    n: int
    n_dropped: int
    converged: bool
    iterations: int
    observed: tuple[str, ...]
    factors: tuple[str, ...]
    indicators: dict[str, list[str]]
    lambda_: np.ndarray = field(repr=False)
    phi: np.ndarray = field(repr=False)
    theta: np.ndarray = field(repr=False)
    sigma: np.ndarray = field(repr=False)
    sample_cov: np.ndarray = field(repr=False)
    sample_mean: np.ndarray = field(repr=False)

    # --- common results interface (as statsmodels: params, bse, pvalues, conf_int, summary) ---
    @property
    def params(self) -> pd.Series:
        """Free parameter estimates, indexed by ``lhs op rhs``."""
        free = self.estimates[self.estimates["se"] > 0]
        return pd.Series(free["est"].to_numpy(), index=_labels(free), name="est")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the free parameters (expected information)."""
        free = self.estimates[self.estimates["se"] > 0]
        return pd.Series(free["se"].to_numpy(), index=_labels(free), name="se")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided Wald p-values of the free parameters."""
        free = self.estimates[self.estimates["se"] > 0]
        return pd.Series(free["pvalue"].to_numpy(), index=_labels(free), name="pvalue")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals for the free parameters."""
        q = stats.norm.ppf(1 - alpha / 2)
        est, se = self.params, self.bse
        return pd.DataFrame({"lower": est - q * se, "upper": est + q * se})

    @property
    def admissible(self) -> bool:
        """False for a Heywood case: a negative factor or residual variance."""
        return bool(np.all(np.diag(self.phi) >= 0) and np.all(np.diag(self.theta) >= 0))

    @property
    def loadings(self) -> pd.DataFrame:
        """Unstandardized loadings, indicators x factors (0 where an item does not load)."""
        return pd.DataFrame(self.lambda_, index=list(self.observed), columns=list(self.factors))

    @property
    def std_loadings(self) -> pd.DataFrame:
        """Completely standardized loadings (lavaan ``std.all``)."""
        sd_f = _sqrt(np.diag(self.phi))
        sd_x = _sqrt(np.diag(self.sigma))
        std = self.lambda_ * sd_f[None, :] / sd_x[:, None]
        return pd.DataFrame(std, index=list(self.observed), columns=list(self.factors))

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Model-implied correlations between the factors."""
        sd = _sqrt(np.diag(self.phi))
        corr = self.phi / np.outer(sd, sd)
        return pd.DataFrame(corr, index=list(self.factors), columns=list(self.factors))

    def factor_scores(
        self, data: pd.DataFrame, method: Literal["regression"] = "regression"
    ) -> pd.DataFrame:
        """Factor scores as lavaan ``lavPredict`` (regression / Thurstone scores).

        Parameters
        ----------
        data : pandas.DataFrame
            Rows to score; must contain every indicator. Rows with a missing indicator get NaN.
        method : {"regression"}
            Only Thurstone's regression method is implemented.

        Returns
        -------
        pandas.DataFrame
            One column per factor, index as ``data``.
        """
        if method not in FACTOR_SCORE_METHODS:
            raise JianfuError(
                f"factor_scores: method {method!r} not supported; use one of {FACTOR_SCORE_METHODS}"
            )
        _require_columns(data, self.observed)
        x = data[list(self.observed)].to_numpy(dtype=float) - self.sample_mean
        weights = self.phi @ self.lambda_.T @ np.linalg.inv(self.sigma)
        return pd.DataFrame(x @ weights.T, index=data.index, columns=list(self.factors))

    def summary(self) -> str:
        """A lavaan-like text summary: sample, test, fit indices and the parameter table."""
        f = self.fit
        lines = [
            "CFA by maximum likelihood (lavaan defaults)",
            f"  Observations used {self.n} (deleted listwise {self.n_dropped}); "
            f"free parameters {f['npar']:.0f}; converged {self.converged}; "
            f"admissible {self.admissible}",
            f"  Chi-square {f['chisq']:.3f}, df {f['df']:.0f}, p {f['pvalue']:.3f}  "
            f"(baseline {f['baseline_chisq']:.3f}, df {f['baseline_df']:.0f})",
            f"  CFI {f['cfi']:.3f}  TLI {f['tli']:.3f}  RMSEA {f['rmsea']:.3f} "
            f"[{f['rmsea_ci_lower']:.3f}, {f['rmsea_ci_upper']:.3f}] p(close) "
            f"{f['rmsea_pvalue']:.3f}  SRMR {f['srmr']:.3f}",
            f"  logL {f['logl']:.3f} (unrestricted {f['unrestricted_logl']:.3f})  "
            f"AIC {f['aic']:.3f}  BIC {f['bic']:.3f}  SABIC {f['bic2']:.3f}",
            "",
            self.estimates.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        return "\n".join(lines)


def _sqrt(values: np.ndarray) -> np.ndarray:
    """Square root with NaN (no warning) for negative variances of an inadmissible solution."""
    return np.sqrt(np.where(values >= 0, values, np.nan))


def _labels(frame: pd.DataFrame) -> list[str]:
    return [f"{a} {o} {b}" for a, o, b in zip(frame["lhs"], frame["op"], frame["rhs"], strict=True)]


def _require_columns(data: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise JianfuError(f"CFA: data has no column(s) {', '.join(missing)}")


class _MLProblem:
    """The ML discrepancy of a semopy model, with matrix-form gradient and expected information.

    Sigma = Lambda C Psi C' Lambda' + Theta with C = (I - B)^-1 (semopy's matrices); the discrepancy
    is F = log|Sigma| + tr(S Sigma^-1) - log|S| - p, so chi-square = N F.
    """

    def __init__(self, sem: semopy.Model):
        self.sem = sem
        self.s = sem.mx_cov
        self.p = self.s.shape[0]
        self.logdet_s = np.linalg.slogdet(self.s)[1]
        # matrix index -> (rows, cols, parameter index), mirrored entries of symmetric ones included
        self.ranges = []
        for n, (idx, pidx) in enumerate(sem.param_ranges):
            if pidx:
                self.ranges.append((n, np.asarray(idx[0]), np.asarray(idx[1]), np.asarray(pidx)))
        self.npar = len(sem.param_vals)

    def matrices(self, x: np.ndarray):
        self.sem.update_matrices(x)
        beta, lam, psi, theta = (self.sem.mx_beta, self.sem.mx_lambda, self.sem.mx_psi,
                                 self.sem.mx_theta)  # fmt: skip
        c = np.linalg.inv(np.eye(beta.shape[0]) - beta)
        m = lam @ c
        sigma = m @ psi @ m.T + theta
        return c, m, psi, sigma

    def objective(self, x: np.ndarray) -> float:
        *_, sigma = self.matrices(x)
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return 1e10  # outside the admissible region: the line search steps back
        logdet = 2 * np.log(np.diag(chol)).sum()
        inv_chol = np.linalg.inv(chol)
        trace = np.einsum("ij,ij->", inv_chol @ self.s, inv_chol)
        return float(logdet + trace - self.logdet_s - self.p)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        c, m, psi, sigma = self.matrices(x)
        try:
            inv = np.linalg.inv(sigma)
        except np.linalg.LinAlgError:
            return np.zeros(self.npar)
        g = inv - inv @ self.s @ inv
        gm = g @ m
        mats = {
            0: 2 * m.T @ gm @ psi @ c.T,  # d/dB
            1: 2 * gm @ psi @ c.T,  # d/dLambda
            2: m.T @ gm,  # d/dPsi
            3: g,  # d/dTheta
        }
        grad = np.zeros(self.npar)
        for n, rows, cols, pidx in self.ranges:
            grad += np.bincount(pidx, weights=mats[n][rows, cols], minlength=self.npar)
        return grad

    def information(self, x: np.ndarray) -> np.ndarray:
        """Expected Hessian of F: H_kl = tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)."""
        c, m, psi, sigma = self.matrices(x)
        p_mat = c @ psi @ m.T  # inner x p
        d = np.zeros((self.npar, self.p, self.p))
        for n, rows, cols, pidx in self.ranges:
            for i, j, k in zip(rows, cols, pidx, strict=True):
                if n == 0:  # B
                    d[k] += np.outer(m[:, i], p_mat[j]) + np.outer(p_mat[j], m[:, i])
                elif n == 1:  # Lambda
                    d[k, i, :] += p_mat[j]
                    d[k, :, i] += p_mat[j]
                elif n == 2:  # Psi
                    d[k] += np.outer(m[:, i], m[:, j])
                else:  # Theta
                    d[k, i, j] += 1.0
        inv_chol = np.linalg.inv(np.linalg.cholesky(sigma))
        a = inv_chol @ d @ inv_chol.T
        flat = a.reshape(self.npar, -1)
        return flat @ flat.T


def _prepare_semopy(model: str, data: pd.DataFrame, std_lv: bool) -> semopy.Model:
    sem = semopy.Model(model.replace(";", "\n"))
    if std_lv:
        lam_names = sem.names_lambda
        psi_names = sem.names_psi
        latent = sem.vars["latent"]
        for param in sem.parameters.values():
            for loc in param.locations:
                if loc.matrix is sem.mx_lambda and not param.active:
                    if lam_names[1][loc.indices[1]] in latent and param.start == 1.0:
                        param.active = True  # free the marker loading
                elif loc.matrix is sem.mx_psi and param.active:
                    i, j = loc.indices
                    if i == j and psi_names[0][i] in latent:
                        param.active, param.start = False, 1.0  # fix the factor variance
    sem.load(data=data)
    return sem


def fit_cfa(
    data: pd.DataFrame, model: str, *, solver: Solver = "BFGS", std_lv: bool = False
) -> CFAResult:
    """Fit a CFA by maximum likelihood with lavaan's ``cfa()`` defaults.

    Parameters
    ----------
    data : pandas.DataFrame
        Raw data; rows missing any model variable are deleted listwise.
    model : str
        lavaan syntax (``=~`` lines; ``~~`` and fixed values such as ``0*`` as semopy accepts them).
    solver : {"BFGS", "L-BFGS-B", "CG", "SLSQP"}
        scipy quasi-Newton method for the main search (followed by Fisher-scoring polish steps).
    std_lv : bool
        If True, identify factors by fixing their variances to 1 and freeing every loading.

    Returns
    -------
    CFAResult
    """
    return fit_ml(data, model, solver=solver, std_lv=std_lv)[0]


def fit_ml(
    data: pd.DataFrame, model: str, *, solver: Solver = "BFGS", std_lv: bool = False
) -> tuple[CFAResult, MLFit]:
    """`fit_cfa` for any lavaan-syntax model, also returning the estimation state (`MLFit`).

    Structural regressions (``F ~ G + x``) and observed predictors are allowed; `fit_sem` in
    `jianfu.models.sem` uses the state for delta-method SEs of derived quantities.
    """
    if solver not in SOLVERS:
        raise JianfuError(f"fit_cfa: solver {solver!r} not supported; use one of {SOLVERS}")
    order = _measurement_order(model)
    if not order:
        raise JianfuError("fit_cfa: the model has no measurement (=~) statements")
    variables = _observed_variables(model, order)
    _require_columns(data, variables)
    complete = data[variables].apply(pd.to_numeric, errors="coerce").dropna()
    n = len(complete)
    if n <= len(variables):
        raise JianfuError(f"fit_cfa: only {n} complete rows for {len(variables)} variables")

    # The matrices are small: multi-threaded BLAS only adds contention (measured 0.5 s single-
    # threaded vs up to 5 s with two busy cores on the 13-factor, 77-indicator model).
    limit = threadpool_limits(limits=1, user_api="blas") if threadpool_limits else nullcontext()
    with limit:
        ml, info = estimate_ml(complete.astype(float), model, solver, std_lv)
        result = _assemble(
            ml.sem, ml.problem, ml.x, info, model, order, n, len(data) - n, ml.converged,
            ml.iterations,
        )  # fmt: skip
    return result, ml


def _observed_variables(model: str, order: dict[str, list[str]]) -> list[str]:
    """Observed variables of the model: indicators in syntax order, then observed variables of the
    structural part (e.g. an observed exogenous predictor in ``F ~ x``)."""
    indicators = [i for items in order.values() for i in items if i not in order]
    structural = sorted(semopy.Model(model.replace(";", "\n")).vars["observed"])
    return list(dict.fromkeys(indicators + structural))


@dataclass(frozen=True, eq=False)
class MLFit:
    """The estimation state behind a `CFAResult`: semopy model, ML problem, free parameters ``x``
    and their covariance ``vcov`` (expected information, lavaan's default)."""

    sem: semopy.Model
    problem: _MLProblem
    x: np.ndarray
    vcov: np.ndarray
    converged: bool
    iterations: int


def estimate_ml(
    complete: pd.DataFrame, model: str, solver: Solver = "BFGS", std_lv: bool = False
) -> tuple[MLFit, np.ndarray]:
    """Fit any lavaan-syntax model (measurement and structural parts) by ML on complete data.

    The engine behind `fit_ml`. Returns ``(MLFit, info)`` with
    ``info`` the expected information at the estimate (for `_assemble`).
    """
    sem = _prepare_semopy(model, complete, std_lv)
    prob = _MLProblem(sem)
    with np.errstate(all="ignore"):
        res = optimize.minimize(
            prob.objective, sem.param_vals, jac=prob.gradient, method=solver,
            options={"maxiter": 10_000, "gtol": 1e-7} if solver != "SLSQP" else {"maxiter": 10_000},
        )  # fmt: skip
    x, converged = res.x, bool(res.success)
    # Fisher scoring: Newton steps with the expected Hessian, each kept only if F does not rise.
    info = prob.information(x)
    for _ in range(10):
        step = np.linalg.solve(info, prob.gradient(x))
        if np.max(np.abs(step)) < 1e-9:
            converged = True
            break
        if prob.objective(x - step) > prob.objective(x) + 1e-12:
            break
        x = x - step
        info = prob.information(x)
    if not converged:
        logging.getLogger(__name__).warning("fit_cfa: optimizer did not converge: %s", res.message)
    sem.param_vals = x
    vcov = 2.0 / len(complete) * np.linalg.inv(info)
    return MLFit(sem, prob, x, vcov, converged, int(res.nit)), info


def _assemble(sem, prob, x, info, model, order, n, n_dropped, converged, iterations) -> CFAResult:
    c, m, psi, sigma = prob.matrices(x)
    s, p = prob.s, prob.p
    cov = 2.0 / n * np.linalg.inv(info)
    se_free = np.sqrt(np.clip(np.diag(cov), 0, None))

    obs = list(sem.names_lambda[0])
    inner = list(sem.names_lambda[1])
    factors = [f for f in order if f in inner] + sorted(set(sem.vars["latent"]) - set(order))
    fi = [inner.index(f) for f in factors]
    lam = m[:, fi]
    phi = psi[np.ix_(fi, fi)]
    theta = sem.mx_theta.copy()
    sd_obs = _sqrt(np.diag(sigma))
    sd_inner = _sqrt(np.diag(c @ psi @ c.T))

    # name of each free parameter (semopy's) -> index in x
    free_index = {name: k for k, name in enumerate(nm for nm, pr in sem.parameters.items()
                                                   if pr.active)}  # fmt: skip
    rows = []
    for name, param in sem.parameters.items():
        loc = param.locations[0]
        mat = next(k for k, mx in enumerate(sem.matrices) if mx is loc.matrix)
        i, j = loc.indices
        est = float(x[free_index[name]]) if param.active else float(loc.matrix[i, j])
        se = float(se_free[free_index[name]]) if param.active else 0.0
        if mat == 1:
            lhs, op, rhs = inner[j], "=~", obs[i]
            std = est * sd_inner[j] / sd_obs[i]
        elif mat == 2:
            lhs, op, rhs = inner[i], "~~", inner[j]
            std = est / (sd_inner[i] * sd_inner[j])
        elif mat == 3:
            lhs, op, rhs = obs[i], "~~", obs[j]
            std = est / (sd_obs[i] * sd_obs[j])
        else:
            lhs, op, rhs = inner[i], "~", inner[j]
            std = est * sd_inner[j] / sd_inner[i]
        if mat == 2 and lhs in factors and rhs in factors:
            lhs, rhs = sorted((lhs, rhs), key=factors.index)
        z = est / se if se > 0 else np.nan
        rows.append((lhs, op, rhs, est, se, z, 2 * stats.norm.sf(abs(z)), std))
    est = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"])
    rank = {"=~": 0, "~": 1, "~~": 2}
    pos = {v: k for k, v in enumerate(factors + [o for o in obs if o not in factors])}
    # lavaan order: loadings (syntax order), then residual variances, then factor (co)variances
    est["_a"] = est["op"].map(rank) + np.where((est["op"] == "~~") & est["lhs"].isin(factors), 1, 0)
    est["_b"] = est["lhs"].map(pos).fillna(len(pos))
    indicator_pos = {(f, i): k for f, items in order.items() for k, i in enumerate(items)}
    est["_c"] = [
        indicator_pos.get((a, b), pos.get(b, len(pos)))
        for a, b in zip(est["lhs"], est["rhs"], strict=True)
    ]
    est = est.sort_values(["_a", "_b", "_c"], kind="stable").drop(columns=["_a", "_b", "_c"])

    fit = _fit_measures(s, sigma, n, p, len(x))
    # present observed variables in the order the syntax names them (semopy sorts them)
    wanted = [v for items in order.values() for v in items if v in obs]
    ix = [obs.index(v) for v in dict.fromkeys(wanted)] + [
        k for k, v in enumerate(obs) if v not in wanted
    ]
    mean = np.asarray(sem.mx_data.mean(axis=0))
    return CFAResult(
        model=model, estimates=est.reset_index(drop=True), fit=fit, n=n, n_dropped=n_dropped,
        converged=converged, iterations=iterations, observed=tuple(obs[k] for k in ix),
        factors=tuple(factors), indicators={f: list(order[f]) for f in factors if f in order},
        lambda_=lam[ix], phi=phi, theta=theta[np.ix_(ix, ix)], sigma=sigma[np.ix_(ix, ix)],
        sample_cov=s[np.ix_(ix, ix)], sample_mean=mean[ix],
    )  # fmt: skip


def _rmsea_ncp(x2: float, df: float, prob: float) -> float:
    """Noncentrality lambda with P(chi2_df(lambda) <= x2) = prob (0 if none exists)."""
    if df <= 0 or stats.chi2.cdf(x2, df) < prob:
        return 0.0
    upper = max(x2, 1.0)
    while stats.ncx2.cdf(x2, df, upper) > prob:
        upper *= 2
    return optimize.brentq(lambda lam: stats.ncx2.cdf(x2, df, lam) - prob, 1e-12, upper, xtol=1e-12)


def _fit_measures(s: np.ndarray, sigma: np.ndarray, n: int, p: int, npar: int) -> dict[str, float]:
    """lavaan's ``fitMeasures`` for a single-group ML fit without a mean structure."""
    logdet_s = np.linalg.slogdet(s)[1]
    logdet_sig = np.linalg.slogdet(sigma)[1]
    inv = np.linalg.inv(sigma)
    trace = float(np.einsum("ij,ji->", s, inv))
    chisq = max(n * (logdet_sig + trace - logdet_s - p), 0.0)
    df = p * (p + 1) / 2 - npar
    base = n * (np.log(np.diag(s)).sum() - logdet_s)
    base_df = p * (p - 1) / 2
    cfi_den = max(chisq - df, base - base_df, 0.0)
    cfi = 1.0 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((base / base_df) - (chisq / df)) / ((base / base_df) - 1.0) if df > 0 else 1.0
    rmsea = np.sqrt(max(0.0, (chisq - df) / (n * df))) if df > 0 else 0.0
    lo = np.sqrt(_rmsea_ncp(chisq, df, 0.95) / (n * df)) if df > 0 else 0.0
    hi = np.sqrt(_rmsea_ncp(chisq, df, 0.05) / (n * df)) if df > 0 else 0.0
    p_close = float(stats.ncx2.sf(chisq, df, n * df * 0.05**2)) if df > 0 else np.nan
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt(np.mean(resid[np.tril_indices(p)] ** 2)))
    logl = -n / 2 * (p * _LOG2PI + logdet_sig + trace)
    logl_h1 = -n / 2 * (p * _LOG2PI + logdet_s + p)
    return {
        "npar": float(npar), "n": float(n),
        "chisq": float(chisq), "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan,
        "baseline_chisq": float(base), "baseline_df": float(base_df),
        "baseline_pvalue": float(stats.chi2.sf(base, base_df)),
        "cfi": float(cfi), "tli": float(tli),
        "rmsea": float(rmsea), "rmsea_ci_lower": float(lo), "rmsea_ci_upper": float(hi),
        "rmsea_pvalue": p_close, "srmr": srmr,
        "logl": float(logl), "unrestricted_logl": float(logl_h1),
        "aic": float(-2 * logl + 2 * npar), "bic": float(-2 * logl + npar * np.log(n)),
        "bic2": float(-2 * logl + npar * np.log((n + 2) / 24)),
    }  # fmt: skip
