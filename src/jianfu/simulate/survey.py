"""The cadre survey's data-generating process: latent structural model → items → answers.

Equations (defaults in params.yaml ``simulate.survey``; documented in docs/dgp.md):

* Exogenous constructs X = (PV, RL, DM, DE, FC, FT, AS, DL, PSM), each with unit variance:
  ``X = sqrt(icc_d)·u_district + sqrt(icc_t)·u_township + sqrt(1-icc_d-icc_t)·e``, with the
  individual parts e correlated (``measure_correlation`` among the seven measures,
  ``moderator_correlation`` between the moderators and everything else).
* Township workload W (standardised ``workload_z`` of the frame, shared with the office records).
* Structural equations, in order FB → EE → WE → SO, each ``η = Σ β·predictor + ζ`` with
  interactions as products of the (unit-variance) constructs, e.g. ``DE_x_DL = DE·DL``.
  Residual variances are calibrated on a large population draw so that every η has variance 1
  (the βs are then standardized for the exogenous predictors); the residuals carry township and
  district components with the same ICCs.
* Items: the response latent ``y* = s·(μ_c + λ_j·η + sqrt(1-λ_j²)·ε) + κ·m`` with s = -1 for
  reverse-keyed items, κ the common-method (acquiescence) loading on a respondent factor m,
  cut at the scale's thresholds. μ_c is solved so that the construct's item mean hits its target.

The truth (every parameter, calibrated residual variances, standardized and observed-score
estimands) is returned with the data, so each estimator can be checked against what it targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from jianfu.codebook.model import Codebook
from jianfu.codebook.scoring import construct_spec, mean_scores, scored_items

#: Exogenous constructs of the structural model, in a fixed order.
MEASURES = ("PV", "RL", "DM", "DE", "FC", "FT", "AS")
MODERATORS = ("DL", "PSM")
EXOGENOUS = MEASURES + MODERATORS
#: Endogenous constructs in causal order.
ENDOGENOUS = ("FB", "EE", "WE", "SO")
WORKLOAD = "workload"


@dataclass(frozen=True)
class StructuralModel:
    """Paths, correlations and cluster structure of the latent model (read from params)."""

    paths: dict[str, dict[str, float]]
    measure_correlation: float
    moderator_correlation: float
    icc_township: float
    icc_district: float
    residual_variance: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_params(cls, p) -> StructuralModel:
        paths = {eq: {k: float(v) for k, v in dict(p["paths"][eq]).items()} for eq in ENDOGENOUS}
        known = set(EXOGENOUS) | set(ENDOGENOUS) | {WORKLOAD}
        for eq, terms in paths.items():
            for term in terms:
                parts = term.split("_x_")
                if not set(parts) <= known or len(parts) > 2:
                    raise ValueError(f"simulate.survey.model.paths.{eq}: unknown term {term!r}")
        return cls(
            paths,
            float(p["measure_correlation"]),
            float(p["moderator_correlation"]),
            float(p["icc_township"]),
            float(p["icc_district"]),
        )

    def exogenous_correlation(self) -> np.ndarray:
        k = len(EXOGENOUS)
        r = np.full((k, k), self.moderator_correlation)
        m = len(MEASURES)
        r[:m, :m] = self.measure_correlation
        np.fill_diagonal(r, 1.0)
        return r


def _term(values: dict[str, np.ndarray], term: str) -> np.ndarray:
    parts = term.split("_x_")
    out = values[parts[0]]
    for part in parts[1:]:
        out = out * values[part]
    return out


def draw_cluster_effects(n_units: int, rng: np.random.Generator) -> np.ndarray:
    """Standard-normal random effects of n units for every construct (columns EXOGENOUS +
    ENDOGENOUS); scaled by the ICCs inside `draw_latent`."""
    return rng.standard_normal((n_units, len(EXOGENOUS + ENDOGENOUS)))


def draw_latent(
    model: StructuralModel,
    n: int,
    township_idx: np.ndarray,
    district_idx: np.ndarray,
    workload: np.ndarray,
    rng: np.random.Generator,
    residual_variance: dict[str, float] | None = None,
    u_township: np.ndarray | None = None,
    u_district: np.ndarray | None = None,
) -> pd.DataFrame:
    """Draw every construct for n respondents.

    Parameters
    ----------
    township_idx, district_idx : integer cluster index of each respondent (rows of the
        effect arrays).
    workload : standardised township workload of each respondent's township.
    residual_variance : ζ variances; default the model's calibrated ones.
    u_township, u_district : cluster random effects (`draw_cluster_effects`); drawn here if
        not given.
    """
    resid = residual_variance if residual_variance is not None else model.residual_variance
    icc_t, icc_d = model.icc_township, model.icc_district
    w_ind = np.sqrt(1.0 - icc_t - icc_d)
    names = EXOGENOUS + ENDOGENOUS
    u_t = (
        u_township
        if u_township is not None
        else draw_cluster_effects(int(township_idx.max()) + 1, rng)
    )
    u_d = (
        u_district
        if u_district is not None
        else draw_cluster_effects(int(district_idx.max()) + 1, rng)
    )
    chol = np.linalg.cholesky(model.exogenous_correlation())
    e_x = rng.standard_normal((n, len(EXOGENOUS))) @ chol.T
    values: dict[str, np.ndarray] = {}
    for j, name in enumerate(EXOGENOUS):
        values[name] = (
            np.sqrt(icc_d) * u_d[district_idx, j]
            + np.sqrt(icc_t) * u_t[township_idx, j]
            + w_ind * e_x[:, j]
        )
    values[WORKLOAD] = workload
    e_y = rng.standard_normal((n, len(ENDOGENOUS)))
    for k, name in enumerate(ENDOGENOUS):
        j = len(EXOGENOUS) + k
        zeta = (
            np.sqrt(icc_d) * u_d[district_idx, j]
            + np.sqrt(icc_t) * u_t[township_idx, j]
            + w_ind * e_y[:, k]
        )
        systematic = sum(
            (beta * _term(values, term) for term, beta in model.paths[name].items()), np.zeros(n)
        )
        values[name] = systematic + np.sqrt(resid.get(name, 1.0)) * zeta
    return pd.DataFrame({name: values[name] for name in names})


def township_expected(
    model: StructuralModel,
    u_township: np.ndarray,
    u_district: np.ndarray,
    district_idx: np.ndarray,
    workload: np.ndarray,
) -> pd.DataFrame:
    """Each township's expected construct values given its random effects and workload.

    The township-level part of every construct, propagated through the structural paths
    (products of township means for interaction terms). Used as the true township mean work
    engagement behind hotline outcomes (H4, cross-level and cross-source).
    """
    names = EXOGENOUS + ENDOGENOUS
    icc_t, icc_d = model.icc_township, model.icc_district
    cluster = np.sqrt(icc_d) * u_district[district_idx] + np.sqrt(icc_t) * u_township
    values = {name: cluster[:, j] for j, name in enumerate(EXOGENOUS)}
    values[WORKLOAD] = workload
    for k, name in enumerate(ENDOGENOUS):
        j = len(EXOGENOUS) + k
        systematic = sum(
            (beta * _term(values, term) for term, beta in model.paths[name].items()),
            np.zeros(len(workload)),
        )
        values[name] = systematic + np.sqrt(model.residual_variance[name]) * cluster[:, j]
    return pd.DataFrame({name: values[name] for name in names})


def calibrate(
    model: StructuralModel, rng: np.random.Generator, n: int = 200_000
) -> StructuralModel:
    """Residual variances that give every endogenous construct variance 1 (population draw).

    The population has the model's clusters (townships of 40, districts of 20 townships) and a
    standard-normal township workload, as the frame's standardised workload.
    """
    township = np.arange(n) // 40
    district = township // 20
    workload = rng.standard_normal(township.max() + 1)[township]
    resid: dict[str, float] = {}
    for name in ENDOGENOUS:
        trial = {**resid, name: 0.0}
        draw = draw_latent(
            model,
            n,
            township,
            district,
            workload,
            np.random.default_rng(rng.integers(2**32)),
            {**{e: 1.0 for e in ENDOGENOUS}, **trial},
        )
        explained = float(draw[name].var())
        if explained >= 0.95:
            raise ValueError(
                f"simulate.survey.model.paths.{name}: the paths explain "
                f"{explained:.2f} of a unit variance; lower them"
            )
        resid[name] = 1.0 - explained
    return StructuralModel(
        model.paths,
        model.measure_correlation,
        model.moderator_correlation,
        model.icc_township,
        model.icc_district,
        resid,
    )


# --- items ----------------------------------------------------------------------------------


def item_intercept(target_mean: float, thresholds: np.ndarray, base: int) -> float:
    """μ such that E[base + #{τ_k < μ + Z}] = target_mean for Z ~ N(0, 1)."""

    def gap(mu: float) -> float:
        return base + stats.norm.cdf(mu - thresholds).sum() - target_mean

    lo, hi = -8.0, 8.0
    if not gap(lo) < 0 < gap(hi):
        raise ValueError(f"target mean {target_mean} is outside the scale")
    return float(optimize.brentq(gap, lo, hi, xtol=1e-10))


@dataclass(frozen=True)
class ItemModel:
    """Loadings, intercepts and thresholds of every scored item."""

    loadings: dict[str, float]
    intercepts: dict[str, float]
    thresholds: dict[str, np.ndarray]
    cmv_loading: float


def make_item_model(cb: Codebook, p, rng: np.random.Generator) -> ItemModel:
    """Draw item loadings (fixed by the seed) and solve intercepts for the target means."""
    loadings, intercepts, thresholds = {}, {}, {}
    lam_mean, lam_sd = float(p["loading_mean"]), float(p["loading_sd"])
    lam_lo, lam_hi = (float(x) for x in p["loading_range"])
    targets = dict(p["construct_means"])
    taus = {k: np.asarray(v, dtype=float) for k, v in dict(p["thresholds"]).items()}
    for c in cb.constructs:
        if c.id not in targets:
            raise ValueError(f"simulate.survey.model.construct_means: no target for {c.id}")
        for item in cb.construct_items(c.id):
            scale = cb.scales[item.scale]
            tau = taus[item.scale]
            if len(tau) != len(scale.codes) - 1:
                raise ValueError(
                    f"simulate.survey.model.thresholds.{item.scale}: needs "
                    f"{len(scale.codes) - 1} thresholds"
                )
            loadings[item.id] = float(np.clip(rng.normal(lam_mean, lam_sd), lam_lo, lam_hi))
            intercepts[item.id] = item_intercept(targets[c.id], tau, min(scale.codes))
            thresholds[item.id] = tau
    return ItemModel(loadings, intercepts, thresholds, float(p["cmv_loading"]))


def draw_items(
    cb: Codebook, latent: pd.DataFrame, im: ItemModel, rng: np.random.Generator
) -> pd.DataFrame:
    """Ordinal answers (codebook codes, reverse-keyed items as answered) for every scored item."""
    n = len(latent)
    method = rng.standard_normal(n)
    out = {}
    kappa = im.cmv_loading
    for c in cb.constructs:
        eta = latent[c.id].to_numpy()
        for item in cb.construct_items(c.id):
            lam = im.loadings[item.id]
            unique = np.sqrt(max(1.0 - lam**2 - kappa**2, 0.05))
            content = lam * eta + unique * rng.standard_normal(n)
            sign = -1.0 if item.reverse else 1.0
            ystar = sign * (im.intercepts[item.id] + content) + kappa * method
            base = min(cb.scales[item.scale].codes)
            out[item.id] = base + (ystar[:, None] > im.thresholds[item.id][None, :]).sum(axis=1)
    return pd.DataFrame(out, index=latent.index)


def score_means(cb: Codebook, items: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per construct (reverse-keyed items recoded) of complete simulated answers."""
    return mean_scores(scored_items(items, cb), construct_spec(cb), min_answered_share=1.0)


def population_estimands(
    cb: Codebook, model: StructuralModel, im: ItemModel, rng: np.random.Generator, n: int = 100_000
) -> dict:
    """What the default estimators target, computed on a large simulated population.

    * ``latent_standardized``: OLS of each η on its structural predictors, in the population
      (equals the structural βs up to Monte-Carlo error; what SEM targets).
    * ``observed_score``: OLS of each construct's mean score on the predictors' mean scores
      (interactions of centred mean scores); attenuated by measurement error and inflated by
      common-method variance — the estimand of a regression on scale means.
    """
    township = np.arange(n) // 40
    district = township // 20
    workload = rng.standard_normal(township.max() + 1)[township]
    latent = draw_latent(model, n, township, district, workload, rng)
    latent[WORKLOAD] = workload
    scores = score_means(cb, draw_items(cb, latent, im, rng))
    scores[WORKLOAD] = workload
    out = {"latent_standardized": {}, "observed_score": {}, "population_n": n}
    for eq, terms in model.paths.items():
        for key, frame in (("latent_standardized", latent), ("observed_score", scores)):
            centred = frame - frame.mean()
            design = np.column_stack(
                [np.ones(n)]
                + [_term({c: centred[c].to_numpy() for c in centred}, t) for t in terms]
            )
            beta, *_ = np.linalg.lstsq(design, centred[eq].to_numpy(), rcond=None)
            out[key][eq] = {t: round(float(b), 6) for t, b in zip(terms, beta[1:], strict=True)}
    return out


def latent_summary(latent: pd.DataFrame, township: np.ndarray) -> dict:
    """Realised means, SDs and township ICCs (one-way ANOVA estimator) of the drawn constructs."""
    out = {}
    for name in EXOGENOUS + ENDOGENOUS:
        out[name] = {
            "mean": round(float(latent[name].mean()), 6),
            "sd": round(float(latent[name].std()), 6),
            "icc_township": round(icc_anova(latent[name].to_numpy(), township), 6),
        }
    return out


def icc_anova(y: np.ndarray, groups: np.ndarray) -> float:
    """ICC(1) from the one-way random-effects ANOVA (unbalanced groups, n0 correction)."""
    frame = pd.DataFrame({"y": y, "g": groups})
    g = frame.groupby("g")["y"]
    n_i, means = g.size().to_numpy(dtype=float), g.mean().to_numpy()
    k, n = len(n_i), len(y)
    ms_between = (n_i * (means - y.mean()) ** 2).sum() / (k - 1)
    ms_within = ((frame["y"] - g.transform("mean")) ** 2).sum() / (n - k)
    n0 = (n - (n_i**2).sum() / n) / (k - 1)
    var_between = max((ms_between - ms_within) / n0, 0.0)
    return float(var_between / (var_between + ms_within))
