"""Scale reliability and factorability: Cronbach's alpha, KMO and Bartlett's test.

Where each method comes from, and the convention it follows:

- ``cronbach_alpha`` / ``alpha_table``: Cronbach (1951) as computed by R ``psych::alpha``
  (Revelle): raw alpha from the item covariance matrix, standardized alpha from the item
  correlation matrix, both with pairwise-complete covariances (``use = "pairwise"``, psych's
  default); r.drop and alpha-if-deleted from the same matrix. Items are not reverse-keyed
  (psych's ``check.keys = FALSE``): reverse negatively worded items before calling.
  On Holzinger & Swineford (1939) this reproduces the psych::alpha values in
  ``tests/reference/R_lavaan_HS_cfa_reference.csv`` to 10 decimals.
- ``kmo``: Kaiser-Meyer-Olkin measure of sampling adequacy (Kaiser 1970; Kaiser & Rice 1974)
  as ``psych::KMO``: pairwise correlations, their inverse via ``solve``, partial correlations from
  the anti-image (the inverse scaled to unit diagonal).
- ``bartlett``: Bartlett's (1951) test of sphericity as ``psych::cortest.bartlett`` on raw data:
  pairwise correlations and n = number of rows (psych's convention, also when rows have missing
  values), chi2 = -(n - 1 - (2p + 5) / 6) log|R|, df = p (p - 1) / 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def _numeric_items(items: pd.DataFrame, *, min_items: int = 2) -> pd.DataFrame:
    """Check that `items` is a DataFrame of >= `min_items` numeric columns; return it as float."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of items, got {type(items).__name__}")
    if items.shape[1] < min_items:
        raise ValueError(f"need at least {min_items} item columns, got {items.shape[1]}")
    non_numeric = [c for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
    if non_numeric:
        raise ValueError(f"item columns must be numeric; not numeric: {non_numeric}")
    out = items.astype("float64")
    constant = [c for c in out.columns if not out[c].std() > 0]
    if constant:
        raise ValueError(f"items without variance (constant or empty): {constant}")
    return out


def _pairwise_cov(items: pd.DataFrame) -> np.ndarray:
    """Covariance matrix with pairwise-complete observations (R ``cov(use = "pairwise")``)."""
    cov = items.cov().to_numpy(copy=True)  # pandas uses pairwise-complete observations
    if np.isnan(cov).any():
        raise ValueError("some item pairs have fewer than 2 jointly observed rows")
    return cov


def _pairwise_corr(data: pd.DataFrame) -> np.ndarray:
    """Correlation matrix with pairwise-complete observations (R ``cor(use = "pairwise")``)."""
    corr = data.corr().to_numpy(copy=True)
    if np.isnan(corr).any():
        raise ValueError("some variable pairs have fewer than 2 jointly observed rows")
    return corr


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Raw alpha from a covariance (or, for standardized alpha, a correlation) matrix."""
    k = cov.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(cov) / cov.sum()))


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of a set of items, as psych::alpha's ``raw_alpha``.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item, one row per respondent; missing values allowed.

    Returns
    -------
    float
        ``k / (k - 1) * (1 - tr(C) / sum(C))`` with C the pairwise-complete item covariance matrix.
    """
    return _alpha_from_cov(_pairwise_cov(_numeric_items(items)))


@dataclass(frozen=True)
class AlphaResult:
    """Reliability of one scale, with item statistics (psych::alpha's ``total`` and ``item.stats``).

    Attributes
    ----------
    raw_alpha, std_alpha : float
        Alpha from covariances and from correlations.
    n_obs : int
        Number of rows (respondents).
    items : tuple of str
        Item names, in column order.
    n : pandas.Series
        Non-missing responses per item.
    r_drop : pandas.Series
        Corrected item-total correlation: item with the sum of the other items (psych ``r.drop``).
    alpha_if_deleted : pandas.Series
        Raw alpha of the scale without the item (psych ``alpha.drop$raw_alpha``).
    mean, sd : pandas.Series
        Item means and standard deviations (available cases, divisor n - 1).
    """

    raw_alpha: float
    std_alpha: float
    n_obs: int
    items: tuple[str, ...]
    n: pd.Series
    r_drop: pd.Series
    alpha_if_deleted: pd.Series
    mean: pd.Series
    sd: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Item table: one row per item (n, mean, sd, r_drop, alpha_if_deleted)."""
        frame = pd.DataFrame(
            {
                "n": self.n,
                "mean": self.mean,
                "sd": self.sd,
                "r_drop": self.r_drop,
                "alpha_if_deleted": self.alpha_if_deleted,
            }
        )
        frame.index.name = "item"
        return frame


def alpha_table(items: pd.DataFrame) -> AlphaResult:
    """Cronbach's alpha with the item statistics psych::alpha reports.

    Parameters
    ----------
    items : pandas.DataFrame
        At least 3 numeric item columns (alpha if deleted needs 2 remaining items).

    Returns
    -------
    AlphaResult
        Raw and standardized alpha, r.drop and alpha if item deleted per item, item means/SDs.
    """
    items = _numeric_items(items, min_items=3)
    cov = _pairwise_cov(items)
    corr = _pairwise_corr(items)
    names = [str(c) for c in items.columns]
    k = len(names)
    r_drop, alpha_drop = np.empty(k), np.empty(k)
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        v_rest = cov[np.ix_(rest, rest)].sum()
        r_drop[i] = cov[i, rest].sum() / np.sqrt(cov[i, i] * v_rest)
        alpha_drop[i] = _alpha_from_cov(cov[np.ix_(rest, rest)])
    index = pd.Index(names, name="item")
    return AlphaResult(
        raw_alpha=_alpha_from_cov(cov),
        std_alpha=_alpha_from_cov(corr),
        n_obs=len(items),
        items=tuple(names),
        n=pd.Series(items.notna().sum().to_numpy(), index=index, name="n"),
        r_drop=pd.Series(r_drop, index=index, name="r_drop"),
        alpha_if_deleted=pd.Series(alpha_drop, index=index, name="alpha_if_deleted"),
        mean=pd.Series(items.mean().to_numpy(), index=index, name="mean"),
        sd=pd.Series(items.std().to_numpy(), index=index, name="sd"),
    )


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy (psych::KMO's ``MSA`` and ``MSAi``)."""

    overall: float
    per_item: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Per-item MSA with the overall MSA as a last row labelled ``overall``."""
        values = [*self.per_item.to_numpy(), self.overall]
        index = pd.Index([*self.per_item.index, "overall"], name="item")
        return pd.DataFrame({"msa": values}, index=index)


def kmo(data: pd.DataFrame) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, as psych::KMO.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric variables; missing values allowed (correlations use pairwise-complete rows).

    Returns
    -------
    KMOResult
        ``overall = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, and the same sums per
        column for each item, where q_ij are the partial correlations (anti-image correlations,
        ``Q = solve(R)`` scaled to unit diagonal; the sign does not matter as they are squared).

    Notes
    -----
    Like psych (and unlike factor_analyzer's ``calculate_kmo``, which needs complete data), the
    correlations are pairwise-complete; with missing data the two differ slightly.
    """
    data = _numeric_items(data)
    r = _pairwise_corr(data)
    try:
        q = np.linalg.solve(r, np.eye(len(r)))
    except np.linalg.LinAlgError as err:
        raise ValueError("the correlation matrix is singular; KMO is not defined") from err
    d = 1.0 / np.sqrt(np.diag(q))
    partial = q * np.outer(d, d)
    np.fill_diagonal(partial, 0.0)
    np.fill_diagonal(r, 0.0)
    r2, p2 = r**2, partial**2
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + p2.sum())
    names = pd.Index([str(c) for c in data.columns], name="item")
    return KMOResult(overall=float(overall), per_item=pd.Series(per_item, index=names, name="msa"))


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity (psych::cortest.bartlett): chi-square, df, p-value, n."""

    chisq: float
    df: int
    pvalue: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        """One-row table: chisq, df, pvalue, n."""
        row = {"chisq": self.chisq, "df": self.df, "pvalue": self.pvalue, "n": self.n}
        return pd.DataFrame([row])


def bartlett(data: pd.DataFrame) -> BartlettResult:
    """Bartlett's test that the population correlation matrix is the identity.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric variables; missing values allowed.

    Returns
    -------
    BartlettResult
        ``chisq = -(n - 1 - (2p + 5) / 6) * log det(R)`` on ``df = p (p - 1) / 2``, with R the
        pairwise-complete correlation matrix and n the number of rows (psych's convention, even
        when some rows have missing values).
    """
    data = _numeric_items(data)
    r = _pairwise_corr(data)
    n, p = data.shape
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise ValueError("the correlation matrix is not positive definite; Bartlett's test fails")
    chisq = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return BartlettResult(chisq=float(chisq), df=df, pvalue=float(stats.chi2.sf(chisq, df)), n=n)
