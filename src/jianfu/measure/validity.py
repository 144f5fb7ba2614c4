"""Reliability and validity of a measurement model: CR/AVE, Fornell–Larcker, HTMT, method bias.

Provenance
----------
- ``variant="semtools"``: R semTools ``compRelSEM()`` (omega) and ``AVE()`` with their defaults
  (``obs.var = TRUE``, ``tau.eq = FALSE``): unstandardized loadings and factor variance in the
  numerator, the *observed* variance in the denominator (of the unit-weighted composite for omega;
  the sum of the indicators' variances for AVE). Observed (co)variances use divisor N, as lavaan.
- ``variant="fornell_larcker"``: the textbook formulas of Fornell & Larcker (1981) on completely
  standardized loadings: CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)), AVE = mean(l^2).
  The two variants differ in the 3rd decimal; every output says which one it is.
- HTMT: Henseler, Ringle & Sarstedt (2015), arithmetic means of the (signed) item correlations
  (``variant="original"``); semTools ``htmt()`` default (``htmt2 = TRUE``, ``absolute = TRUE``):
  geometric means of absolute correlations (Roemer, Schuberth & Henseler 2021)
  (``variant="semtools"``).
- Common-method variance (Podsakoff, MacKenzie, Lee & Podsakoff 2003): Harman's single-factor test
  (first unrotated principal component of the item correlation matrix) and the unmeasured latent
  method construct: the trait model plus an orthogonal method factor loading on every item,
  compared with the trait and the single-factor models by chi-square difference tests.

Formulas assume simple structure (each item loads on one factor); factor membership is read from
``CFAResult.indicators``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from jianfu.core.errors import JianfuError
from jianfu.measure.cfa import CFAResult, fit_cfa, lavaan_syntax

RELIABILITY_VARIANTS = ("semtools", "fornell_larcker")
HTMT_VARIANTS = ("original", "semtools")
_LABELS = {
    "semtools": "semTools compRelSEM/AVE (unstandardized loadings, observed variances)",
    "fornell_larcker": "Fornell-Larcker (1981) on standardized loadings",
    "original": "HTMT, Henseler et al. (2015): arithmetic means of item correlations",
    "htmt_semtools": "HTMT2, semTools default: geometric means of absolute item correlations",
}
#: Harman's test: the conventional threshold for the first factor's share (reported, not enforced).
HARMAN_CRITERION = 0.50
METHOD_FACTOR = "method_factor"


def _check(variant: str, allowed: tuple[str, ...], what: str) -> None:
    if variant not in allowed:
        raise JianfuError(f"{what}: variant {variant!r} not supported; use one of {allowed}")


def _parts(result: CFAResult, factor: str):
    items = result.indicators[factor]
    idx = [result.observed.index(i) for i in items]
    j = result.factors.index(factor)
    return idx, result.lambda_[idx, j], result.phi[j, j], result.std_loadings.to_numpy()[idx, j]


def composite_reliability(
    result: CFAResult, variant: Literal["semtools", "fornell_larcker"] = "semtools"
) -> pd.Series:
    """Composite reliability of each factor.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.
    variant : {"semtools", "fornell_larcker"}
        ``"semtools"``: omega as semTools ``compRelSEM`` (default options);
        ``"fornell_larcker"``: the textbook CR on standardized loadings.

    Returns
    -------
    pandas.Series
        One value per factor; ``name`` says which formula was used.
    """
    _check(variant, RELIABILITY_VARIANTS, "composite_reliability")
    out = {}
    for f in result.indicators:
        idx, lam, phi, std = _parts(result, f)
        if variant == "semtools":
            total = result.sample_cov[np.ix_(idx, idx)].sum()
            out[f] = lam.sum() ** 2 * phi / total
        else:
            out[f] = std.sum() ** 2 / (std.sum() ** 2 + (1 - std**2).sum())
    return pd.Series(out, name=f"CR [{_LABELS[variant]}]", dtype=float)


def omega(result: CFAResult) -> pd.Series:
    """McDonald's omega per factor as semTools ``compRelSEM`` (``obs.var = TRUE``)."""
    return composite_reliability(result, variant="semtools")


def ave(
    result: CFAResult, variant: Literal["semtools", "fornell_larcker"] = "semtools"
) -> pd.Series:
    """Average variance extracted per factor.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.
    variant : {"semtools", "fornell_larcker"}
        ``"semtools"``: sum(lambda^2 psi) / sum of observed indicator variances (semTools ``AVE``);
        ``"fornell_larcker"``: mean of squared standardized loadings.

    Returns
    -------
    pandas.Series
        One value per factor; ``name`` says which formula was used.
    """
    _check(variant, RELIABILITY_VARIANTS, "ave")
    out = {}
    for f in result.indicators:
        idx, lam, phi, std = _parts(result, f)
        if variant == "semtools":
            out[f] = (lam**2).sum() * phi / np.diag(result.sample_cov)[idx].sum()
        else:
            out[f] = (std**2).mean()
    return pd.Series(out, name=f"AVE [{_LABELS[variant]}]", dtype=float)


def fornell_larcker_table(
    result: CFAResult, variant: Literal["semtools", "fornell_larcker"] = "fornell_larcker"
) -> pd.DataFrame:
    """Fornell–Larcker criterion table: sqrt(AVE) on the diagonal, factor correlations below it.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.
    variant : {"fornell_larcker", "semtools"}
        Which AVE formula gives the diagonal (see `ave`).

    Returns
    -------
    pandas.DataFrame
        Factors x factors; NaN above the diagonal. ``attrs["label"]`` names the AVE variant.
    """
    root = np.sqrt(ave(result, variant))
    corr = result.factor_correlations.loc[list(root.index), list(root.index)].to_numpy()
    table = np.where(np.tril(np.ones_like(corr, dtype=bool), -1), corr, np.nan)
    np.fill_diagonal(table, root.to_numpy())
    out = pd.DataFrame(table, index=root.index, columns=root.index)
    out.attrs["label"] = f"diagonal: sqrt({root.name}); below: latent correlations"
    return out


def _mean(values: np.ndarray, geometric: bool) -> float:
    if values.size == 0:
        return np.nan
    return float(np.exp(np.log(values).mean())) if geometric else float(values.mean())


def htmt(
    data: pd.DataFrame,
    spec: dict[str, list[str]],
    variant: Literal["original", "semtools"] = "original",
) -> pd.DataFrame:
    """Heterotrait–monotrait ratio of correlations for every pair of constructs.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses; rows missing any item are deleted listwise (as semTools via lavCor).
    spec : dict of str to list of str
        Construct -> its items.
    variant : {"original", "semtools"}
        ``"original"``: Henseler et al. (2015), arithmetic means of signed correlations;
        ``"semtools"``: semTools ``htmt()`` default, geometric means of absolute correlations.

    Returns
    -------
    pandas.DataFrame
        Constructs x constructs, values below the diagonal (NaN elsewhere); ``attrs["label"]``
        names the variant. A single-item construct gives NaN (no monotrait correlations).
    """
    _check(variant, HTMT_VARIANTS, "htmt")
    items = [i for v in spec.values() for i in v]
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise JianfuError(f"htmt: data has no column(s) {', '.join(missing)}")
    r = data[items].dropna().corr().to_numpy()
    geometric = variant == "semtools"
    if geometric:
        r = np.abs(r)
    pos, start = {}, 0
    for c, v in spec.items():
        pos[c] = np.arange(start, start + len(v))
        start += len(v)
    mono = {}
    for c, ix in pos.items():
        block = r[np.ix_(ix, ix)]
        mono[c] = _mean(block[np.triu_indices(len(ix), 1)], geometric)
    names = list(spec)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in range(len(names)):
        for b in range(a):
            hetero = _mean(r[np.ix_(pos[names[a]], pos[names[b]])].ravel(), geometric)
            out.iloc[a, b] = hetero / np.sqrt(mono[names[a]] * mono[names[b]])
    out.attrs["label"] = _LABELS["original" if variant == "original" else "htmt_semtools"]
    return out


def harman_single_factor(data: pd.DataFrame, items: list[str]) -> dict:
    """Harman's single-factor test: variance share of the first unrotated component.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses; rows missing any item are deleted listwise.
    items : list of str
        All substantive items.

    Returns
    -------
    dict
        ``method``, ``n``, ``n_items``, ``first_factor_share`` (first eigenvalue of the correlation
        matrix / number of items), ``eigenvalues``, ``criterion`` (0.50) and ``exceeds_criterion``.
        The criterion is reported, not enforced (Podsakoff et al. 2003: the test is insensitive).
    """
    if len(items) < 2:
        raise JianfuError("harman_single_factor: needs at least two items")
    complete = data[items].dropna()
    eig = np.sort(np.linalg.eigvalsh(complete.corr().to_numpy()))[::-1]
    share = float(eig[0] / len(items))
    return {
        "method": "first unrotated principal component of the item correlation matrix "
        "(listwise complete cases); share = eigenvalue_1 / number of items",
        "n": len(complete),
        "n_items": len(items),
        "first_factor_share": share,
        "eigenvalues": eig,
        "criterion": HARMAN_CRITERION,
        "exceeds_criterion": share > HARMAN_CRITERION,
    }


_FIT_COLUMNS = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "npar"]


def method_factor_comparison(data: pd.DataFrame, spec: dict[str, list[str]]) -> dict:
    """Common-method comparison: single-factor, trait and trait + latent method factor CFAs.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses (rows missing any item are deleted listwise by `fit_cfa`).
    spec : dict of str to list of str
        The trait model: construct -> items.

    Returns
    -------
    dict
        ``fits`` (DataFrame, rows ``single_factor``, ``trait``, ``trait_method``; ``admissible`` is
        False for a Heywood case, common with a method factor: read its loadings with care),
        ``tests`` (chi-square difference tests single_factor vs trait and trait vs trait_method),
        ``loading_change`` (per item: standardized trait loading without and with the method factor,
        and their difference), ``mean_loading_change`` (mean of with - without),
        ``mean_abs_loading_change``, ``method_variance_share`` (mean squared standardized method
        loading) and ``results`` (the three `CFAResult`).
    """
    if METHOD_FACTOR in spec or "common_factor" in spec:
        raise JianfuError(f"method_factor_comparison: {METHOD_FACTOR!r} is a reserved factor name")
    items = [i for v in spec.values() for i in v]
    single = lavaan_syntax({"common_factor": items})
    trait = lavaan_syntax(spec)
    method = "\n".join(
        [trait, f"{METHOD_FACTOR} =~ " + " + ".join(items)]
        + [f"{METHOD_FACTOR} ~~ 0*{f}" for f in spec]
    )
    results = {
        "single_factor": fit_cfa(data, single),
        "trait": fit_cfa(data, trait),
        "trait_method": fit_cfa(data, method),
    }
    fits = pd.DataFrame({k: {c: r.fit[c] for c in _FIT_COLUMNS} for k, r in results.items()}).T
    fits["admissible"] = [r.admissible for r in results.values()]
    tests = []
    for restricted, full in [("single_factor", "trait"), ("trait", "trait_method")]:
        d_chi = fits.loc[restricted, "chisq"] - fits.loc[full, "chisq"]
        d_df = fits.loc[restricted, "df"] - fits.loc[full, "df"]
        tests.append(
            {"restricted": restricted, "full": full, "delta_chisq": d_chi, "delta_df": d_df,
             "pvalue": float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else np.nan}
        )  # fmt: skip
    before = results["trait"].std_loadings
    after = results["trait_method"].std_loadings
    rows = []
    for f, v in spec.items():
        for i in v:
            rows.append((f, i, before.loc[i, f], after.loc[i, f]))
    change = pd.DataFrame(rows, columns=["factor", "item", "without_method", "with_method"])
    change["difference"] = change["with_method"] - change["without_method"]
    return {
        "fits": fits,
        "tests": pd.DataFrame(tests),
        "loading_change": change,
        "mean_loading_change": float(change["difference"].mean()),
        "mean_abs_loading_change": float(change["difference"].abs().mean()),
        "method_variance_share": float((after.loc[items, METHOD_FACTOR] ** 2).mean()),
        "results": results,
    }
