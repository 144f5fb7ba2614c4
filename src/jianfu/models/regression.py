"""Hierarchical (blockwise) OLS regression and the ordered logit model.

Where each method comes from, and the convention it follows:

- ``hierarchical_ols``: the blockwise ("hierarchical") regression of SPSS's ``REGRESSION
  /METHOD=ENTER`` blocks as reported in Chinese journal papers. Every step is fitted on the same
  rows: listwise deletion over the outcome, all blocks and the cluster columns. R^2 change is
  tested with the nested-model F test on the non-robust (classical) fits, whatever ``cov_type`` is
  asked for (as SPSS and R ``anova(m1, m2)`` do); the coefficient SEs follow ``cov_type``:
  ``"nonrobust"``, ``"HC1"`` (Stata ``, robust``), ``"HC3"``, or ``"cluster"`` (Stata ``,
  vce(cluster c)``; statsmodels ``cov_type="cluster"`` with its default small-sample correction;
  two columns give the two-way Cameron-Gelbach-Miller SE). On Petersen (2009) this reproduces
  Stata's one- and two-way clustered SEs to 4 decimals. VIFs are statsmodels
  ``variance_inflation_factor`` on the design with its constant (= 1 / (1 - R^2_j)). An
  interaction term ``"a:b"`` in a block enters as the product of the *mean-centred* components
  (centred on the analysis rows); the main effects enter as given.
- ``ordered_logit``: proportional-odds model, statsmodels ``OrderedModel(distr="logit")`` without a
  constant (the thresholds play its part), which equals R ``MASS::polr``. Thresholds are reported
  as cut points (statsmodels stores increments on the log scale; they are transformed back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.outliers_influence import variance_inflation_factor

CovType = Literal["nonrobust", "HC1", "HC3", "cluster"]
COV_TYPES: tuple[str, ...] = ("nonrobust", "HC1", "HC3", "cluster")


@dataclass(frozen=True)
class HierarchicalResult:
    """Blockwise OLS fits on one set of rows.

    Attributes
    ----------
    fits : list of statsmodels results with the requested SEs, one per step.
    steps : one row per step: n, k, r2, adj_r2, delta_r2, f_change, df1, df2, p_change.
    coefficients : one row per (step, term): coef, se, stat, p, vif.
    cov_type : the SE type of ``coefficients``.
    """

    fits: list
    steps: pd.DataFrame
    coefficients: pd.DataFrame
    cov_type: str
    nobs: int

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (step, term), with the step's R^2 statistics alongside."""
        return self.coefficients.merge(self.steps, on="step", how="left")


def _columns_of(term: str) -> list[str]:
    return term.split(":")


def _design(data: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Design matrix with a constant; "a:b" is the product of mean-centred a and b."""
    cols = {}
    for term in terms:
        parts = _columns_of(term)
        if len(parts) == 1:
            cols[term] = data[term].astype("float64")
        else:
            prod = pd.Series(1.0, index=data.index)
            for part in parts:
                col = data[part].astype("float64")
                prod = prod * (col - col.mean())
            cols[term] = prod
    return sm.add_constant(pd.DataFrame(cols, index=data.index), has_constant="add")


def _cluster_groups(data: pd.DataFrame, cluster: str | list[str]) -> np.ndarray:
    names = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(names) <= 2:
        raise ValueError(f"cluster takes one or two columns, got {names}")
    codes = [pd.factorize(data[c])[0] for c in names]
    return codes[0] if len(codes) == 1 else np.column_stack(codes)


def _vifs(design: pd.DataFrame) -> dict[str, float]:
    exog = design.to_numpy()
    return {
        name: float(variance_inflation_factor(exog, i))
        for i, name in enumerate(design.columns)
        if name != "const"
    }


def hierarchical_ols(
    data: pd.DataFrame,
    y: str,
    blocks: list[list[str]],
    *,
    cluster: str | list[str] | None = None,
    cov_type: CovType = "nonrobust",
) -> HierarchicalResult:
    """Fit OLS models block by block on the same rows.

    Parameters
    ----------
    data : DataFrame with the outcome, predictors and cluster columns.
    y : outcome column.
    blocks : predictor blocks, entered cumulatively; "a:b" is a centred product term.
    cluster : one column (one-way) or two columns (two-way) for ``cov_type="cluster"``.
    cov_type : "nonrobust", "HC1", "HC3" or "cluster".

    Returns
    -------
    HierarchicalResult
    """
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}, got {cov_type!r}")
    if cov_type == "cluster" and cluster is None:
        raise ValueError('cov_type="cluster" needs the cluster column(s) in `cluster`')
    if not blocks or any(not b for b in blocks):
        raise ValueError("blocks must be a non-empty list of non-empty lists of terms")
    terms_all = [t for b in blocks for t in b]
    if len(set(terms_all)) != len(terms_all):
        raise ValueError(f"a term appears in more than one block: {terms_all}")
    clusters = [] if cluster is None else ([cluster] if isinstance(cluster, str) else cluster)
    needed = list(dict.fromkeys([y, *[c for t in terms_all for c in _columns_of(t)], *clusters]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    rows = data[needed].dropna()
    endog = rows[y].astype("float64")
    fit_kwargs: dict = {"cov_type": cov_type}
    if cov_type == "cluster":
        fit_kwargs["cov_kwds"] = {"groups": _cluster_groups(rows, cluster)}

    fits, step_rows, coef_rows = [], [], []
    prev_plain = None
    for step, _ in enumerate(blocks, start=1):
        terms = [t for b in blocks[:step] for t in b]
        design = _design(rows, terms)
        plain = sm.OLS(endog, design).fit()
        fit = plain if cov_type == "nonrobust" else sm.OLS(endog, design).fit(**fit_kwargs)
        if prev_plain is None:
            df1 = int(plain.df_model)
            delta = plain.rsquared
            ssr_prev = plain.centered_tss
        else:
            df1 = int(plain.df_model - prev_plain.df_model)
            delta = plain.rsquared - prev_plain.rsquared
            ssr_prev = prev_plain.ssr
        df2 = int(plain.df_resid)
        f_change = ((ssr_prev - plain.ssr) / df1) / (plain.ssr / df2)
        step_rows.append(
            {
                "step": step,
                "n": int(plain.nobs),
                "k": int(plain.df_model),
                "r2": plain.rsquared,
                "adj_r2": plain.rsquared_adj,
                "delta_r2": delta,
                "f_change": f_change,
                "df1": df1,
                "df2": df2,
                "p_change": float(stats.f.sf(f_change, df1, df2)),
            }
        )
        vifs = _vifs(design)
        for term in design.columns:
            coef_rows.append(
                {
                    "step": step,
                    "term": term,
                    "coef": fit.params[term],
                    "se": fit.bse[term],
                    "stat": fit.tvalues[term],
                    "p": fit.pvalues[term],
                    "vif": vifs.get(term, np.nan),
                }
            )
        fits.append(fit)
        prev_plain = plain
    return HierarchicalResult(
        fits=fits,
        steps=pd.DataFrame(step_rows),
        coefficients=pd.DataFrame(coef_rows),
        cov_type=cov_type,
        nobs=len(rows),
    )


@dataclass(frozen=True)
class OrderedLogitResult:
    """An ordered logit fit: the statsmodels result and a tidy table."""

    fit: object
    levels: list
    table: pd.DataFrame

    @property
    def params(self) -> pd.Series:
        return self.table.set_index("term")["coef"]

    @property
    def bse(self) -> pd.Series:
        return self.table.set_index("term")["se"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def ordered_logit(
    data: pd.DataFrame, y: str, x: list[str], *, levels: list | None = None
) -> OrderedLogitResult:
    """Proportional-odds (ordered logit) model, as R ``MASS::polr(method = "logistic")``.

    Parameters
    ----------
    data : DataFrame.
    y : ordinal outcome: an ordered categorical, a numeric column, or any column with ``levels``.
    x : predictor columns (no constant: the thresholds replace it).
    levels : the outcome categories from lowest to highest; required for unordered text outcomes.

    Returns
    -------
    OrderedLogitResult with ``to_frame()``: term, kind ("slope"/"threshold"), coef, se, z, p.
    Threshold rows hold the cut points; their SEs are those of statsmodels' parameterization
    (first cut point exact, later ones are SEs of log increments) and are left as NaN beyond
    the first.
    """
    rows = data[[y, *x]].dropna()
    outcome = rows[y]
    if levels is not None:
        unknown = set(outcome.unique()) - set(levels)
        if unknown:
            raise ValueError(f"values of {y!r} not in levels: {sorted(map(str, unknown))}")
        outcome = pd.Series(
            pd.Categorical(outcome, categories=list(levels), ordered=True), index=rows.index
        )
    elif isinstance(outcome.dtype, pd.CategoricalDtype):
        if not outcome.cat.ordered:
            raise ValueError(f"{y!r} is an unordered categorical: pass `levels` in order")
    elif not pd.api.types.is_numeric_dtype(outcome):
        raise ValueError(f"{y!r} is not numeric or ordered categorical: pass `levels` in order")
    model = OrderedModel(outcome, rows[x].astype("float64"), distr="logit")
    fit = model.fit(method="bfgs", disp=False, maxiter=1000, gtol=1e-8)
    k = len(x)
    cuts = model.transform_threshold_params(fit.params.to_numpy())[1:-1]
    table = pd.DataFrame(
        {
            "term": list(x) + [f"cut{i + 1}" for i in range(len(cuts))],
            "kind": ["slope"] * k + ["threshold"] * len(cuts),
            "coef": np.concatenate([fit.params.to_numpy()[:k], cuts]),
            "se": np.concatenate(
                [fit.bse.to_numpy()[:k], [fit.bse.iloc[k]], [np.nan] * (len(cuts) - 1)]
            ),
            "z": np.concatenate([fit.tvalues.to_numpy()[:k], [np.nan] * len(cuts)]),
            "p": np.concatenate([fit.pvalues.to_numpy()[:k], [np.nan] * len(cuts)]),
        }
    )
    cats = list(outcome.cat.categories) if hasattr(outcome, "cat") else sorted(outcome.unique())
    return OrderedLogitResult(fit=fit, levels=cats, table=table)
