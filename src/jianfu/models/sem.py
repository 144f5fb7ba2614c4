"""Latent structural equation models (SEM) by maximum likelihood: the estimator of latent paths.

Provenance
----------
- Estimation: the lavaan-equivalent ML engine of `jianfu.measure.cfa` (semopy parses the syntax;
  numpy discrepancy, gradient and expected information; Fisher-scoring polish). Structural
  regressions among factors and observed exogenous predictors (``FB ~ PV + workload``) are
  allowed; markers (first indicator) identify the factors, as lavaan's ``sem()``.
- Standardized paths are lavaan's ``std.all`` (``B_ij sd_j / sd_i`` from the model-implied
  latent covariance); their SEs are by the delta method (numerical Jacobian with the expected-
  information covariance), as lavaan's ``standardizedSolution()``.
- Latent interactions: product indicators of matched pairs with double-mean-centring (Marsh,
  Wen & Hau 2004, unconstrained approach; Lin et al. 2010). Items are paired in order (the
  i-th indicator of A with the i-th of B, ``min(k_A, k_B)`` pairs) and the product factor
  correlates freely with the exogenous factors. Its std.all coefficient refers to a product of
  unit variance; for jointly normal A and B with correlation r, ``Var(A·B) = 1 + r²``, so the
  path per unit of the *raw* product of standardized factors (what a structural equation
  ``η = β·A·B`` means) is ``std.all / sqrt(1 + r²)``, reported as ``std_product``.
- Common-method variance: optionally an acquiescence / unmeasured latent method factor loading
  on every indicator (free loadings, orthogonal to the substantive factors and predictors;
  Podsakoff et al. 2003). Acquiescence raises agreement with every item; with reverse-keyed
  items recoded, it enters those with the opposite sign, which identifies it.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from jianfu.core.errors import JianfuError
from jianfu.measure import cfa

#: Name of the method factor added by ``method_factor=True``.
METHOD_FACTOR = "CMV"
INTERACTION_SEP = "_x_"


@dataclass(frozen=True)
class SEMResult:
    """A fitted SEM.

    Attributes
    ----------
    paths : DataFrame, one row per structural path ``lhs ~ rhs``: est, se, z, p (unstandardized),
        std (lavaan std.all), std_se, std_ci_low, std_ci_high, and for interaction terms the
        per-unit-product coefficient in the same columns (``std`` is then ``std_product``).
    fit : lavaan fit measures of the whole model (chisq, df, cfi, tli, rmsea, srmr, aic, bic…).
    estimates : the full lavaan-style parameter table.
    syntax : the lavaan syntax that was fitted (incl. product-indicator factors, method factor).
    n : rows used (complete on every model variable).
    """

    paths: pd.DataFrame
    fit: dict[str, float]
    estimates: pd.DataFrame
    syntax: str
    n: int
    n_dropped: int
    converged: bool
    product_indicators: dict[str, list[str]] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy paths (copy)."""
        return self.paths.copy()


def product_indicators(
    data: pd.DataFrame, left: list[str], right: list[str], name: str
) -> pd.DataFrame:
    """Double-mean-centred products of matched indicator pairs (Lin et al. 2010).

    Parameters
    ----------
    data : DataFrame with the indicators (rows with any missing indicator give missing products).
    left, right : indicators of the two factors, paired in order; ``min(len)`` pairs.
    name : prefix of the product columns (``{name}_{i}``).

    Returns
    -------
    DataFrame with one column per pair, indexed as ``data``.
    """
    k = min(len(left), len(right))
    if k == 0:
        raise JianfuError(f"product indicators for {name!r}: a factor has no indicators")
    out = {}
    for i, (a, b) in enumerate(zip(left[:k], right[:k], strict=True), start=1):
        x = data[a].astype(float)
        z = data[b].astype(float)
        prod = (x - x.mean()) * (z - z.mean())
        out[f"{name}_{i}"] = prod - prod.mean()
    return pd.DataFrame(out, index=data.index)


def sem_syntax(
    measurement: dict[str, list[str]],
    equations: dict[str, list[str]],
    *,
    product_items: dict[str, list[str]] | None = None,
    method_factor: bool = False,
) -> str:
    """lavaan syntax of a full SEM.

    Parameters
    ----------
    measurement : factor -> indicators (the first is the marker).
    equations : outcome -> predictors; a predictor ``A_x_B`` is the latent interaction of A and B.
    product_items : interaction name -> its product-indicator columns (`product_indicators`).
    method_factor : add a method factor on every indicator of ``measurement``, orthogonal to the
        exogenous factors, the interaction factors and the observed predictors.
    """
    product_items = product_items or {}
    lines = [cfa.lavaan_syntax({**measurement, **product_items})]
    for outcome, predictors in equations.items():
        lines.append(f"{outcome} ~ " + " + ".join(predictors))
    if method_factor:
        indicators = [i for items in measurement.values() for i in items]
        lines.append(f"{METHOD_FACTOR} =~ " + " + ".join(indicators))
        endogenous = set(equations)
        others = [
            p
            for p in dict.fromkeys([*measurement, *product_items, *_predictors(equations)])
            if p not in endogenous
        ]
        lines += [f"{METHOD_FACTOR} ~~ 0*{p}" for p in others]
    return "\n".join(lines)


def _predictors(equations: dict[str, list[str]]) -> list[str]:
    return [p for preds in equations.values() for p in preds]


def fit_sem(
    data: pd.DataFrame,
    measurement: dict[str, list[str]],
    equations: dict[str, list[str]],
    *,
    method_factor: bool = False,
    ci: float = 0.95,
    solver: cfa.Solver = "L-BFGS-B",
) -> SEMResult:
    """Fit a latent structural model by ML and return its standardized paths with delta-method CIs.

    Parameters
    ----------
    data : DataFrame with the indicators and any observed predictors (listwise deletion).
    measurement : factor -> indicators, first = marker (use a positively keyed item; recode
        reverse-keyed items before).
    equations : outcome factor -> predictors (factors, observed columns of ``data``, or ``A_x_B``
        latent interactions of two factors in ``measurement``).
    method_factor : add an orthogonal method factor on every indicator (common-method variance).
    ci : level of the standardized paths' Wald intervals.
    solver : scipy method of the main search (`jianfu.measure.cfa.fit_cfa`).

    Returns
    -------
    SEMResult

    Examples
    --------
    >>> measurement = {"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}
    >>> fit_sem(df, measurement, {"Y": ["X"]}).paths  # doctest: +SKIP
    """
    if not 0 < ci < 1:
        raise JianfuError(f"fit_sem: ci must be between 0 and 1, got {ci!r}")
    for outcome, predictors in equations.items():
        if outcome not in measurement:
            raise JianfuError(f"fit_sem: outcome {outcome!r} is not a factor of the measurement")
        for term in predictors:
            parts = term.split(INTERACTION_SEP)
            if len(parts) == 2 and all(p in measurement for p in parts):
                continue
            if term not in measurement and term not in data.columns:
                raise JianfuError(
                    f"fit_sem: predictor {term!r} of {outcome!r} is neither a factor nor a column"
                )
    work = data.copy()
    products: dict[str, list[str]] = {}
    for term in dict.fromkeys(_predictors(equations)):
        parts = term.split(INTERACTION_SEP)
        if len(parts) == 2 and term not in measurement and all(p in measurement for p in parts):
            frame = product_indicators(
                work, measurement[parts[0]], measurement[parts[1]], f"pi_{term}"
            )
            work = pd.concat([work, frame], axis=1)
            products[term] = list(frame.columns)
    syntax = sem_syntax(measurement, equations, product_items=products, method_factor=method_factor)
    result, ml = cfa.fit_ml(work, syntax, solver=solver)
    paths = _paths(ml, products, ci)
    paths = paths.merge(
        result.estimates[result.estimates["op"] == "~"][["lhs", "rhs", "est", "se", "z", "pvalue"]],
        on=["lhs", "rhs"],
        how="left",
    ).rename(columns={"pvalue": "p"})
    order = {
        (o, p): k for k, (o, p) in enumerate((o, p) for o, ps in equations.items() for p in ps)
    }
    paths["_o"] = [
        order.get((a, b), len(order)) for a, b in zip(paths["lhs"], paths["rhs"], strict=True)
    ]
    paths = paths.sort_values("_o").drop(columns="_o").reset_index(drop=True)
    cols = ["lhs", "rhs", "est", "se", "z", "p", "std", "std_se", "std_ci_low", "std_ci_high"]
    return SEMResult(
        paths=paths[[*cols, "std_all"]],
        fit=result.fit,
        estimates=result.estimates,
        syntax=syntax,
        n=result.n,
        n_dropped=result.n_dropped,
        converged=result.converged,
        product_indicators=products,
    )


def _standardized(ml: cfa.MLFit, products: dict[str, list[str]], x: np.ndarray) -> np.ndarray:
    """std.all of every structural path (and std_product for interactions) at parameters x."""
    sem = ml.sem
    c, _m, psi, _sigma = ml.problem.matrices(x)
    beta = sem.mx_beta
    inner = list(sem.names_lambda[1])
    cov = c @ psi @ c.T
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    out = []
    for i, j in _beta_free(ml):
        value = beta[i, j] * sd[j] / sd[i]
        name = inner[j]
        if name in products:
            a, b = (inner.index(p) for p in name.split(INTERACTION_SEP))
            r = cov[a, b] / (sd[a] * sd[b])
            value = value / np.sqrt(1.0 + r * r)
        out.append(value)
    return np.asarray(out)


def _beta_free(ml: cfa.MLFit) -> list[tuple[int, int]]:
    sem = ml.sem
    cells = []
    for param in sem.parameters.values():
        loc = param.locations[0]
        if loc.matrix is sem.mx_beta:
            cells.append(tuple(loc.indices))
    return cells


def _paths(ml: cfa.MLFit, products: dict[str, list[str]], ci: float) -> pd.DataFrame:
    x = ml.x
    limit = cfa.threadpool_limits(limits=1, user_api="blas") if cfa.threadpool_limits else None
    with limit or nullcontext():
        std_all = _standardized(ml, {}, x)
        std = _standardized(ml, products, x)
        jac = np.empty((len(std), len(x)))
        for k in range(len(x)):
            h = 1e-6 * max(1.0, abs(x[k]))
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            jac[:, k] = (_standardized(ml, products, up) - _standardized(ml, products, down)) / (
                2 * h
            )
        ml.problem.matrices(x)  # leave the semopy matrices at the estimate
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, ml.vcov, jac), 0, None))
    zq = stats.norm.ppf(0.5 + ci / 2)
    inner = list(ml.sem.names_lambda[1])
    cells = _beta_free(ml)
    return pd.DataFrame(
        {
            "lhs": [inner[i] for i, _ in cells],
            "rhs": [inner[j] for _, j in cells],
            "std": std,
            "std_se": se,
            "std_ci_low": std - zq * se,
            "std_ci_high": std + zq * se,
            "std_all": std_all,
        }
    )
