"""The survey effects of one specification: H1's paths to formalism burden and H5's indirect
effects on service, re-estimated under the spec's scoring, controls, estimator and SEs.

Model (X = each of the seven measures PV RL DM DE FC FT AS; C = the background covariates
``models.covariates`` when ``controls = background``, none otherwise)::

    FB ~ PV + RL + DM + DE + FC + FT + AS + DL + C          (a paths: FB <- X)
    SO ~ FB + PV + RL + DM + DE + FC + FT + AS + DL + C     (b path: SO <- FB)

Effects, one row each (`EFFECT_COLUMNS`):

- ``FB<-X`` (kind ``path``): the a path of X, **standardized** (SD units of X and FB);
- ``SO<-FB<-X`` (kind ``indirect``): a·b, with a Monte Carlo CI (Selig & Preacher 2008):
  a and b are drawn from independent normals around their estimates with their SEs (seeded
  numpy Generator, ``n_draws`` draws, default 20,000); the CI is the percentile interval of
  the products, ``se`` their SD, ``p`` = 2·(1 − Φ(|a·b| / se)) (a normal approximation: the
  product is not normal, so read the CI, not p, for small effects). Effect k uses the
  generator ``default_rng([seed, k])``: independent draws per effect, and the same draws in
  every spec (common random numbers, so MC noise does not differ between specs).

Estimators (``estimator``):

- ``ols``: `jianfu.models.regression.hierarchical_ols` on construct scores z-scored over the
  estimation rows (covariates as they are); SEs clustered by township (``se = cluster``,
  statsmodels' CR1 = Stata) or HC3; CIs and p as statsmodels reports them for the SE type.
- ``mixed``: `jianfu.models.multilevel.mixed_model`, same z-scored variables, random
  intercepts for districts and for townships within districts (REML); Wald z CIs.
- ``sem``: `jianfu.models.sem.fit_sem`, latent ML on the items (reverse-keyed ones recoded)
  of the ten constructs of the model (PV RL DM DE FC FT AS DL FB SO; markers positively keyed
  as in the models stage) with the project's common-method factor (``method_factor=True``, as
  the ``sem`` spec of params.yaml); covariates enter as observed predictors of FB and SO.
  Estimates are lavaan's std.all with delta-method SEs; p from std / SE. ``scoring`` is
  ignored (the SEM does not use scores).

``scoring = factor``: CFA regression factor scores of all constructs, refitted on the spec's
sample exactly as the measure stage does (`jianfu.measure.cfa.fit_cfa` of the codebook's
measurement model, ``measure.cfa_solver``). ``mean``: scale means with the measure stage's
missing-item rule (``measure.min_answered_share``).

Estimation rows: the sample's rows complete on every model variable and on the township and
district codes (for every estimator, so that ``se`` and ``estimator`` compare the same
respondents); ``n`` is their number (the analysis-sample size when nothing is missing, as on
the default data). The SEM further drops rows with a missing item (listwise).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from jianfu.codebook.model import Codebook
from jianfu.codebook.scoring import construct_spec, mean_scores, scored_items
from jianfu.core.errors import JianfuError
from jianfu.measure import cfa
from jianfu.models import multilevel, regression, sem
from jianfu.models.stage import measurement_model
from jianfu.robustness.choices import EFFECT_COLUMNS, validate

#: The seven burden-reduction measures (H1).
MEASURES = ("PV", "RL", "DM", "DE", "FC", "FT", "AS")
MODERATOR = "DL"
MEDIATOR = "FB"
OUTCOME = "SO"
#: The tidy columns of every effects frame (survey and policy).
DEFAULT_SEED = 20240603
N_DRAWS = 20_000
DISTRICT_COLUMN = "district"


def construct_scores(
    sample: pd.DataFrame,
    cb: Codebook,
    scoring: str,
    *,
    min_answered_share: float = 0.8,
    cfa_solver: cfa.Solver = "L-BFGS-B",
) -> pd.DataFrame:
    """Scores of every construct of the codebook, one row per sample row (index as ``sample``).

    ``mean``: `jianfu.codebook.scoring.mean_scores`; ``factor``: the measure stage's CFA of all
    constructs refitted on ``sample``, regression factor scores (NaN for rows with a missing
    item, which the CFA drops listwise).
    """
    items = scored_items(sample, cb)
    spec = construct_spec(cb)
    if scoring == "mean":
        return mean_scores(items, spec, float(min_answered_share))
    if scoring == "factor":
        all_items = [i for cols in spec.values() for i in cols]
        fitted = cfa.fit_cfa(items[all_items], cfa.lavaan_syntax(spec), solver=cfa_solver)
        return fitted.factor_scores(items[all_items])
    raise JianfuError(f"robustness: scoring {scoring!r} unknown; use mean or factor")


def monte_carlo_indirect(
    a: float,
    se_a: float,
    b: float,
    se_b: float,
    *,
    ci: float = 0.95,
    n_draws: int = N_DRAWS,
    seed: int | Sequence[int] = DEFAULT_SEED,
) -> dict[str, float]:
    """Monte Carlo CI of the indirect effect a·b (Selig & Preacher 2008).

    a ~ N(a, se_a²) and b ~ N(b, se_b²) independently, ``n_draws`` draws from
    ``numpy.random.default_rng(seed)``; returns ``estimate`` (= a·b), ``se`` (SD of the drawn
    products), ``ci_low``, ``ci_high`` (their percentiles) and ``p`` (normal approximation,
    2·(1 − Φ(|a·b| / se))).
    """
    if not 0 < ci < 1:
        raise JianfuError(f"robustness: ci must be between 0 and 1, got {ci!r}")
    if int(n_draws) < 2:
        raise JianfuError(f"robustness: n_draws must be at least 2, got {n_draws!r}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(n_draws), 2))
    draws = (a + se_a * z[:, 0]) * (b + se_b * z[:, 1])
    lo, hi = np.quantile(draws, [(1 - ci) / 2, (1 + ci) / 2])
    se = float(draws.std(ddof=1))
    est = float(a * b)
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    return {"estimate": est, "se": se, "ci_low": float(lo), "ci_high": float(hi), "p": p}


def _zscore(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        x = out[col].astype("float64")
        sd = x.std(ddof=1)
        if not sd > 0:
            raise JianfuError(f"robustness: {col} has no variance in the estimation rows")
        out[col] = (x - x.mean()) / sd
    return out


def _fit_ols(
    data: pd.DataFrame, y: str, terms: list[str], se: str, cluster: str, ci: float
) -> dict[str, dict[str, float]]:
    cov_type = "cluster" if se == "cluster" else "HC3"
    result = regression.hierarchical_ols(
        data, y, [terms], cluster=cluster if cov_type == "cluster" else None, cov_type=cov_type
    )
    fit = result.fits[-1]
    bounds = fit.conf_int(alpha=1 - ci)
    return {
        t: {
            "estimate": float(fit.params[t]),
            "se": float(fit.bse[t]),
            "ci_low": float(bounds.loc[t].iloc[0]),
            "ci_high": float(bounds.loc[t].iloc[1]),
            "p": float(fit.pvalues[t]),
        }
        for t in terms
    }


def _fit_mixed(
    data: pd.DataFrame, y: str, terms: list[str], township: str, district: str, ci: float
) -> dict[str, dict[str, float]]:
    result = multilevel.mixed_model(
        data,
        f"{y} ~ " + " + ".join(terms),
        district,
        vc_formula={township: f"0 + C({township})"},
        reml=True,
    )
    z = float(stats.norm.ppf(0.5 + ci / 2))
    fixed = result.fixed.set_index("term")
    return {
        t: {
            "estimate": float(fixed.at[t, "coef"]),
            "se": float(fixed.at[t, "se"]),
            "ci_low": float(fixed.at[t, "coef"] - z * fixed.at[t, "se"]),
            "ci_high": float(fixed.at[t, "coef"] + z * fixed.at[t, "se"]),
            "p": float(fixed.at[t, "p"]),
        }
        for t in terms
    }


def _fit_sem(
    data: pd.DataFrame,
    cb: Codebook,
    predictors: list[str],
    controls: list[str],
    ci: float,
    method_factor: bool,
) -> tuple[dict[tuple[str, str], dict[str, float]], int]:
    constructs = {*predictors, MEDIATOR, OUTCOME}
    measurement = {c: items for c, items in measurement_model(cb).items() if c in constructs}
    equations = {
        MEDIATOR: [*predictors, *controls],
        OUTCOME: [MEDIATOR, *predictors, *controls],
    }
    result = sem.fit_sem(data, measurement, equations, method_factor=method_factor, ci=ci)
    if not result.converged:
        warnings.warn("robustness: the SEM did not converge", RuntimeWarning, stacklevel=3)
    out = {}
    for r in result.paths.itertuples(index=False):
        p = 2 * stats.norm.sf(abs(r.std) / r.std_se) if r.std_se > 0 else float("nan")
        out[(r.lhs, r.rhs)] = {
            "estimate": float(r.std),
            "se": float(r.std_se),
            "ci_low": float(r.std_ci_low),
            "ci_high": float(r.std_ci_high),
            "p": float(p),
        }
    return out, int(result.n)


def survey_effects(
    sample: pd.DataFrame,
    cb: Codebook,
    spec: Mapping[str, Any] | None,
    *,
    covariates: Sequence[str],
    cluster: str = "township_code",
    district: str = DISTRICT_COLUMN,
    ci: float = 0.95,
    seed: int = DEFAULT_SEED,
    n_draws: int = N_DRAWS,
    min_answered_share: float = 0.8,
    cfa_solver: cfa.Solver = "L-BFGS-B",
    method_factor: bool = True,
    scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The spec's survey effects: 7 standardized paths FB<-X and 7 indirect effects SO<-FB<-X.

    Parameters
    ----------
    sample : the spec's analysis sample (`jianfu.robustness.sample.analysis_sample`): survey
        rows with the items, the covariates, ``cluster`` and ``district`` columns.
    cb : the codebook.
    spec : the specification; ``scoring``, ``controls``, ``estimator`` and ``se`` are used.
    covariates : the background covariates (``models.covariates``), used as numeric codes
        (as the models stage does) when ``controls = background``.
    cluster : township column (clusters of the OLS SEs; lower level of the mixed model).
    district : district column (upper level of the mixed model).
    ci : confidence level of every interval.
    seed, n_draws : the Monte Carlo draws of the indirect effects.
    min_answered_share : ``measure.min_answered_share`` (mean scores).
    cfa_solver : ``measure.cfa_solver`` (factor scores).
    method_factor : the SEM's common-method factor (the models stage's ``sem`` spec uses one).
    scores : `construct_scores` of ``sample`` with the spec's scoring, when the caller already
        has them (the grid shares them between the specifications of one sample); computed
        here otherwise.

    Returns
    -------
    DataFrame with `EFFECT_COLUMNS`, 14 rows (paths in the order of `MEASURES`, then the
    indirect effects), ``family`` "survey", ``scale`` "sd". Deterministic.
    """
    full = validate(spec)
    if not 0 < ci < 1:
        raise JianfuError(f"robustness: ci must be between 0 and 1, got {ci!r}")
    controls = list(covariates) if full["controls"] == "background" else []
    needed = [*controls, cluster, district]
    missing = [c for c in needed if c not in sample.columns]
    if missing:
        raise JianfuError(f"robustness: the analysis sample has no column(s) {missing}")
    predictors = [*MEASURES, MODERATOR]
    constructs = [*predictors, MEDIATOR, OUTCOME]
    with threadpool_limits(limits=1):
        design = sample[needed].apply(pd.to_numeric, errors="coerce").astype("float64")
        design = design.reset_index(drop=True)
        if full["estimator"] == "sem":
            items = scored_items(sample, cb).reset_index(drop=True)
            data = pd.concat([items, design], axis=1).dropna(subset=needed)
            paths, n = _fit_sem(data, cb, predictors, controls, ci, method_factor)
            a = {x: paths[(MEDIATOR, x)] for x in MEASURES}
            b = paths[(OUTCOME, MEDIATOR)]
        else:
            if scores is None:
                scores = construct_scores(
                    sample, cb, full["scoring"], min_answered_share=min_answered_share,
                    cfa_solver=cfa_solver,
                )  # fmt: skip
            scores = scores.reset_index(drop=True)
            data = pd.concat([scores[constructs], design], axis=1).dropna()
            n = len(data)
            if n <= len(predictors) + len(controls) + 2:
                raise JianfuError(f"robustness: only {n} complete rows in the analysis sample")
            data = _zscore(data.reset_index(drop=True), constructs)
            terms_a = [*predictors, *controls]
            terms_b = [MEDIATOR, *predictors, *controls]
            if full["estimator"] == "ols":
                fit_a = _fit_ols(data, MEDIATOR, terms_a, full["se"], cluster, ci)
                fit_b = _fit_ols(data, OUTCOME, terms_b, full["se"], cluster, ci)
            else:
                fit_a = _fit_mixed(data, MEDIATOR, terms_a, cluster, district, ci)
                fit_b = _fit_mixed(data, OUTCOME, terms_b, cluster, district, ci)
            a = {x: fit_a[x] for x in MEASURES}
            b = fit_b[MEDIATOR]
    rows = []
    for x in MEASURES:
        rows.append(
            {"effect": f"{MEDIATOR}<-{x}", "kind": "path", "x": x, "m": "", "y": MEDIATOR, **a[x]}
        )
    for k, x in enumerate(MEASURES):
        mc = monte_carlo_indirect(
            a[x]["estimate"], a[x]["se"], b["estimate"], b["se"], ci=ci, n_draws=n_draws,
            seed=[int(seed), k],
        )  # fmt: skip
        rows.append(
            {"effect": f"{OUTCOME}<-{MEDIATOR}<-{x}", "kind": "indirect", "x": x, "m": MEDIATOR,
             "y": OUTCOME, **mc}
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out.insert(0, "family", "survey")
    out["n"] = int(n)
    out["scale"] = "sd"
    return out[EFFECT_COLUMNS].astype({"n": "int64"})
