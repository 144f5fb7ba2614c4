"""Linear mixed (multilevel) models and intraclass correlations, reported as R lme4 reports them.

Method: statsmodels ``MixedLM`` (Lindstrom & Bates 1988 profiled likelihood), fitted with the
quasi-Newton BFGS optimizer and a tight gradient tolerance (``gtol=1e-8``); Nelder-Mead is never
used (it can stop at a wrong optimum with only a warning). If BFGS does not converge, L-BFGS is
tried from its end point and a non-convergence is raised as an error, not a warning.

Conventions, as lme4 (Bates et al. 2015, ``summary.merMod``):

- ``groups`` always carries a random intercept (lme4 ``(1 | groups)``); ``re_formula`` adds random
  slopes (``"~Days"`` = ``(Days | groups)``, correlated); ``vc_formula`` adds variance components
  nested in ``groups`` (``{"cask": "0 + C(cask)"}`` = ``(1 | batch/cask)``).
- Variance components are reported as variances, SDs and the correlations of the random effects.
- ML fits: logLik = statsmodels ``llf``; AIC = -2 logLik + 2k, BIC = -2 logLik + k log(n), with k
  the number of fixed effects + covariance parameters + 1 (residual variance), as ``logLik.merMod``.
- REML fits: the REML criterion = -2 x REML log-likelihood (lme4's "REML criterion at
  convergence"); AIC/BIC are not reported for REML fits (they are not comparable across fixed
  effects). On sleepstudy statsmodels' REML ``llf`` gives lme4's criterion (1743.6).
- ``icc``: null model ``y ~ 1``; the share of the total variance at each level. For three levels
  (``nested`` within ``groups``), ``icc_<groups>`` = sigma2_groups / total (two units in the same
  upper unit, different lower units) and ``icc_<nested>`` = (sigma2_groups + sigma2_nested) / total
  (two units in the same lower unit), as Snijders & Bosker (2012, sec. 4.9).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import ConvergenceWarning

GTOL = 1e-8


@dataclass(frozen=True)
class MixedResult:
    """A fitted linear mixed model with lme4-style summaries.

    Attributes
    ----------
    fit : the statsmodels ``MixedLMResults``.
    fixed : fixed effects: term, coef, se, z, p.
    random : variance components: group, term, variance, sd (residual last).
    correlations : random-effect correlations: group, term1, term2, corr.
    reml : whether REML was used.
    nobs, n_params : observations and the number of parameters (lme4's ``df`` of logLik).
    """

    fit: object
    fixed: pd.DataFrame
    random: pd.DataFrame
    correlations: pd.DataFrame
    reml: bool
    nobs: int
    n_params: int

    @property
    def loglik(self) -> float:
        """Log-likelihood (REML log-likelihood for REML fits), as lme4 ``logLik``."""
        return float(self.fit.llf)

    @property
    def reml_criterion(self) -> float:
        """lme4's "REML criterion at convergence" (-2 REML logLik); NaN for ML fits."""
        return -2.0 * self.loglik if self.reml else float("nan")

    @property
    def deviance(self) -> float:
        """-2 logLik of an ML fit; NaN for REML fits."""
        return float("nan") if self.reml else -2.0 * self.loglik

    @property
    def aic(self) -> float:
        return float("nan") if self.reml else self.deviance + 2 * self.n_params

    @property
    def bic(self) -> float:
        return float("nan") if self.reml else self.deviance + self.n_params * np.log(self.nobs)

    def fit_statistics(self) -> pd.Series:
        return pd.Series(
            {
                "nobs": self.nobs,
                "n_params": self.n_params,
                "loglik": self.loglik,
                "reml_criterion": self.reml_criterion,
                "aic": self.aic,
                "bic": self.bic,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: fixed effects, then variance components (SDs), then correlations."""
        fixed = self.fixed.assign(effect="fixed", group="")
        random = self.random.rename(columns={"sd": "coef"}).assign(effect="ran_sd")
        corr = self.correlations.assign(
            effect="ran_corr", term=lambda d: d["term1"] + "," + d["term2"]
        ).rename(columns={"corr": "coef"})
        cols = ["effect", "group", "term", "coef", "se", "z", "p", "variance"]
        parts = [f.reindex(columns=cols) for f in (fixed, random, corr)]
        return pd.concat([p for p in parts if not p.empty], ignore_index=True)


def _fit(model, reml: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = model.fit(reml=reml, method="bfgs", gtol=GTOL, maxiter=2000)
        if not result.converged:
            start = result.params_object
            result = model.fit(reml=reml, method="lbfgs", start_params=start, maxiter=2000)
    if not result.converged:
        raise RuntimeError("MixedLM did not converge with BFGS nor L-BFGS; check the model")
    return result


def _re_name(name: str, groups: str) -> str:
    """lme4's name of a random effect: statsmodels calls the random intercept after the group."""
    return "(Intercept)" if name in (groups, "Group", "Intercept") else name


def mixed_model(
    data: pd.DataFrame,
    formula: str,
    groups: str,
    *,
    re_formula: str | None = None,
    vc_formula: dict[str, str] | None = None,
    reml: bool = True,
) -> MixedResult:
    """Fit a linear mixed model.

    Parameters
    ----------
    data : DataFrame.
    formula : fixed part, patsy syntax (``"Reaction ~ Days"``).
    groups : the top-level grouping column (always with a random intercept).
    re_formula : random slopes in ``groups`` (``"~Days"``); ``None`` = intercept only.
    vc_formula : variance components nested in ``groups``, e.g. ``{"township": "0 + C(township)"}``.
    reml : REML (default, as lme4) or ML (for likelihood-ratio tests, AIC/BIC).

    Returns
    -------
    MixedResult
    """
    if groups not in data.columns:
        raise KeyError(f"groups column {groups!r} not in data")
    model = smf.mixedlm(
        formula, data, groups=groups, re_formula=re_formula or "1", vc_formula=vc_formula
    )
    result = _fit(model, reml)

    fe_names = list(result.fe_params.index)
    z = result.fe_params / result.bse_fe
    fixed = pd.DataFrame(
        {
            "term": fe_names,
            "coef": result.fe_params.to_numpy(),
            "se": result.bse_fe.to_numpy(),
            "z": z.to_numpy(),
            "p": result.pvalues[fe_names].to_numpy(),
        }
    )
    cov_re = result.cov_re
    names = [_re_name(n, groups) for n in cov_re.index]
    rows = [
        {"group": groups, "term": n, "variance": float(cov_re.iloc[i, i])}
        for i, n in enumerate(names)
    ]
    corr_rows = []
    sd = np.sqrt(np.diag(cov_re.to_numpy()))
    for i in range(len(names)):
        for j in range(i):
            corr_rows.append(
                {
                    "group": groups,
                    "term1": names[j],
                    "term2": names[i],
                    "corr": float(cov_re.iloc[i, j] / (sd[i] * sd[j])),
                }
            )
    for name, var in zip(model.exog_vc.names, np.atleast_1d(result.vcomp), strict=True):
        rows.append({"group": f"{name}:{groups}", "term": "(Intercept)", "variance": float(var)})
    rows.append({"group": "Residual", "term": "", "variance": float(result.scale)})
    random = pd.DataFrame(rows).assign(sd=lambda d: np.sqrt(d["variance"]))
    correlations = pd.DataFrame(corr_rows, columns=["group", "term1", "term2", "corr"])
    k_re = len(names) * (len(names) + 1) // 2
    n_params = len(fe_names) + k_re + len(model.exog_vc.names) + 1
    return MixedResult(
        fit=result,
        fixed=fixed,
        random=random,
        correlations=correlations,
        reml=reml,
        nobs=int(result.nobs),
        n_params=n_params,
    )


def icc(
    data: pd.DataFrame, y: str, groups: str, *, nested: str | None = None, reml: bool = True
) -> pd.Series:
    """Intraclass correlations from the null model ``y ~ 1``.

    Parameters
    ----------
    data : DataFrame.
    y : outcome column.
    groups : the upper-level unit (e.g. ``district``).
    nested : an optional lower-level unit nested in ``groups`` (e.g. ``township``), fitted as a
        variance component: a three-level null model.
    reml : REML (default) or ML.

    Returns
    -------
    Series: ``var_<level>`` for each level and the residual, ``icc_<groups>`` and, with ``nested``,
    ``icc_<nested>`` (see the module docstring for the definitions).
    """
    rows = data[[c for c in (y, groups, nested) if c is not None]].dropna()
    vc = None if nested is None else {nested: f"0 + C({nested})"}
    result = mixed_model(rows, f"{y} ~ 1", groups, vc_formula=vc, reml=reml)
    var = result.random["variance"].to_numpy()
    total = var.sum()
    out = {f"var_{groups}": var[0]}
    if nested is not None:
        out[f"var_{nested}"] = var[1]
    out["var_residual"] = var[-1]
    out[f"icc_{groups}"] = var[0] / total
    if nested is not None:
        out[f"icc_{nested}"] = (var[0] + var[1]) / total
    return pd.Series(out, dtype="float64")
