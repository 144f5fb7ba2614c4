"""Named model specifications (``params.yaml`` → ``models.specs``) run into tidy tables.

A spec is a mapping with a ``kind`` and the kind's arguments; a new model is a new entry, no code.
Variables are columns of the analysis data: construct codes (their scale scores), background
items, ``workload`` (the cross-level township workload), cluster columns. Kinds:

==================  =========================================================================
kind                arguments (optional in brackets)
==================  =========================================================================
``descriptives``    variables
``icc``             variables, groups, [nested]
``ols``             y, blocks (lists of terms; ``a:b`` = centred product), [se: nonrobust |
                    HC1 | HC3 | cluster], [cluster], [target]
``ordered_logit``   y (a single Likert item), x
``mixed``           formula, groups, [nested], [random_slopes: "~x"], [reml]
``process``         model (1, 4, 6, 7, 14), x (one or a list: one fit each), y, [m], [w],
                    [covariates], [n_boot], [ci_type], [cluster_bootstrap]
``sem``             equations {outcome: [predictors]} (``A_x_B`` = latent interaction),
                    [method_factor], [target]
==================  =========================================================================

``target`` names the truth's estimand family the spec's final coefficients estimate
(``observed_score`` or ``latent_standardized``), read by the recovery stage.

Every runner returns a `SpecOutput` of three tidy tables with shared columns:

* ``coefficients``: spec, kind, equation, step, term, estimate, se, stat, p, ci_low, ci_high,
  std, std_ci_low, std_ci_high, vif, n, method, target;
* ``fit``: spec, equation, step, statistic, value;
* ``effects``: spec, equation, term, estimate, se, ci_low, ci_high, method (indirect,
  conditional and simple-slope effects, Johnson–Neyman points).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from jianfu.core.errors import JianfuError
from jianfu.models import descriptives, multilevel, process, regression, sem

COEF_COLUMNS = [
    "spec", "kind", "equation", "step", "term", "estimate", "se", "stat", "p", "ci_low",
    "ci_high", "std", "std_ci_low", "std_ci_high", "vif", "n", "method", "target",
]  # fmt: skip
FIT_COLUMNS = ["spec", "equation", "step", "statistic", "value"]
EFFECT_COLUMNS = ["spec", "equation", "term", "estimate", "se", "ci_low", "ci_high", "method"]
TARGETS = ("observed_score", "latent_standardized")


@dataclass
class SpecOutput:
    """Tidy results of one spec (see the module docstring)."""

    coefficients: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COEF_COLUMNS))
    fit: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIT_COLUMNS))
    effects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EFFECT_COLUMNS))
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    # fitted PROCESS results, one per x (kind process): the PROCESS-layout text is made from them
    process: list = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What every runner may use besides its spec."""

    data: pd.DataFrame  # the analysis data (scores, background, clusters, workload)
    items: pd.DataFrame  # scored item responses, same rows (for SEM)
    measurement: dict[str, list[str]]  # construct -> items, marker first
    labels: dict[str, dict[str, str]]  # variable -> {"zh": …, "en": …}
    reliabilities: dict[str, float]  # construct -> alpha
    cluster: str  # default cluster column (SEs, clustered bootstrap)
    bootstrap: Mapping  # n_boot, seed, ci, ci_type, cluster (bool)
    ci: float = 0.95


def _z(ci: float) -> float:
    return float(stats.norm.ppf(0.5 + ci / 2))


def _require(spec: Mapping, name: str, keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in spec]
    if missing:
        raise JianfuError(f"models.specs.{name}: missing {missing} (kind {spec.get('kind')!r})")


def _check_columns(name: str, data: pd.DataFrame, columns) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        raise JianfuError(
            f"models.specs.{name}: variables {missing} are not in the analysis data; "
            f"available: {sorted(data.columns)}"
        )


def _frame(rows: list[dict] | pd.DataFrame, columns: list[str], **const) -> pd.DataFrame:
    frame = pd.DataFrame(rows).assign(**const) if len(rows) else pd.DataFrame(columns=columns)
    for col in columns:
        if col not in frame.columns:
            frame[col] = np.nan
    return frame[columns]


# --------------------------------------------------------------------------- runners


def run_descriptives(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("variables",))
    cols = list(spec["variables"])
    _check_columns(name, ctx.data, cols)
    table = descriptives.descriptive_table(
        ctx.data,
        cols,
        reliabilities={c: ctx.reliabilities[c] for c in cols if c in ctx.reliabilities},
    )
    summary = table.summary.rename_axis("variable").reset_index()
    summary = summary.assign(
        label_zh=[ctx.labels.get(v, {}).get("zh", v) for v in summary["variable"]],
        label_en=[ctx.labels.get(v, {}).get("en", v) for v in summary["variable"]],
    )
    corr = table.to_frame()
    out = SpecOutput()
    out.fit = _frame(
        [
            {"equation": row["variable"], "statistic": stat, "value": float(row[stat])}
            for _, row in summary.iterrows()
            for stat in ("n", "mean", "sd", "alpha")
            if stat in summary.columns
        ],
        FIT_COLUMNS,
        spec=name,
        step=0,
    )
    out.extra = {"summary": summary, "correlations": corr}
    return out


def run_icc(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("variables", "groups"))
    cols = list(spec["variables"])
    nested = spec.get("nested")
    _check_columns(name, ctx.data, [*cols, spec["groups"], *([nested] if nested else [])])
    rows = []
    for var in cols:
        values = multilevel.icc(ctx.data, var, spec["groups"], nested=nested)
        rows += [{"equation": var, "statistic": k, "value": float(v)} for k, v in values.items()]
    return SpecOutput(fit=_frame(rows, FIT_COLUMNS, spec=name, step=0))


def run_ols(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("y", "blocks"))
    blocks = [list(b) for b in spec["blocks"]]
    se = spec.get("se", "cluster")
    cluster = spec.get("cluster", ctx.cluster) if se == "cluster" else None
    columns = [spec["y"], *(c for b in blocks for t in b for c in t.split(":"))]
    _check_columns(name, ctx.data, columns + ([cluster] if cluster else []))
    result = regression.hierarchical_ols(ctx.data, spec["y"], blocks, cluster=cluster, cov_type=se)
    coefs = result.coefficients
    last = int(coefs["step"].max())
    target = spec.get("target")
    rows = []
    for row in coefs.itertuples(index=False):
        rows.append(
            {
                "equation": spec["y"],
                "step": int(row.step),
                "term": row.term,
                "estimate": row.coef,
                "se": row.se,
                "stat": row.stat,
                "p": row.p,
                "vif": row.vif,
                "n": result.nobs,
                "method": f"OLS, SE {se}" + (f" by {cluster}" if cluster else ""),
                "target": target if int(row.step) == last and row.term != "const" else None,
            }
        )
    # intervals as statsmodels reports them for the SE type
    for fit, step in zip(result.fits, sorted(coefs["step"].unique()), strict=True):
        ci = fit.conf_int(alpha=1 - ctx.ci)
        for r in rows:
            if r["step"] == step and r["term"] in ci.index:
                r["ci_low"], r["ci_high"] = (float(v) for v in ci.loc[r["term"]])
    fit_rows = [
        {
            "equation": spec["y"],
            "step": int(s.step),
            "statistic": stat,
            "value": float(getattr(s, stat)),
        }
        for s in result.steps.itertuples(index=False)
        for stat in ("n", "r2", "adj_r2", "delta_r2", "f_change", "df1", "df2", "p_change")
    ]
    return SpecOutput(
        coefficients=_frame(rows, COEF_COLUMNS, spec=name, kind="ols"),
        fit=_frame(fit_rows, FIT_COLUMNS, spec=name),
    )


def run_ordered_logit(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("y", "x"))
    x = list(spec["x"])
    _check_columns(name, ctx.data, [spec["y"], *x])
    result = regression.ordered_logit(ctx.data, spec["y"], x)
    table = result.to_frame()
    z = _z(ctx.ci)
    n = int(result.fit.nobs)
    rows = [
        {
            "equation": spec["y"],
            "step": 1,
            "term": row.term if row.kind == "slope" else f"threshold {row.term}",
            "estimate": row.coef,
            "se": row.se,
            "stat": row.z,
            "p": row.p,
            "ci_low": row.coef - z * row.se,
            "ci_high": row.coef + z * row.se,
            "n": n,
            "method": "ordered logit (ML), log-odds",
        }
        for row in table.itertuples(index=False)
    ]
    fit_rows = [
        {"equation": spec["y"], "step": 1, "statistic": "loglik", "value": float(result.fit.llf)},
        {"equation": spec["y"], "step": 1, "statistic": "aic", "value": float(result.fit.aic)},
        {"equation": spec["y"], "step": 1, "statistic": "n", "value": float(n)},
    ]
    return SpecOutput(
        coefficients=_frame(rows, COEF_COLUMNS, spec=name, kind="ordered_logit"),
        fit=_frame(fit_rows, FIT_COLUMNS, spec=name),
    )


def run_mixed(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("formula", "groups"))
    nested = spec.get("nested")
    vc = {nested: f"0 + C({nested})"} if nested else None
    y, rhs = (s.strip() for s in spec["formula"].split("~", 1))
    variables = [y, *(t.strip() for t in rhs.replace("*", "+").replace(":", "+").split("+"))]
    variables = [v for v in variables if v and v != "1"]
    slopes = spec.get("random_slopes")
    if slopes:
        variables += [
            v.strip() for v in slopes.replace("~", "").split("+") if v.strip() not in ("", "1")
        ]
    _check_columns(name, ctx.data, [*variables, spec["groups"], *([nested] if nested else [])])
    rows_used = ctx.data[
        list(dict.fromkeys([*variables, spec["groups"], *([nested] if nested else [])]))
    ].dropna()
    reml = bool(spec.get("reml", True))
    result = multilevel.mixed_model(
        rows_used, spec["formula"], spec["groups"], re_formula=slopes, vc_formula=vc, reml=reml
    )
    z = _z(ctx.ci)
    rows = [
        {
            "equation": y,
            "step": 1,
            "term": "const" if row.term == "Intercept" else row.term,
            "estimate": row.coef,
            "se": row.se,
            "stat": row.z,
            "p": row.p,
            "ci_low": row.coef - z * row.se,
            "ci_high": row.coef + z * row.se,
            "n": result.nobs,
            "method": f"linear mixed model ({'REML' if reml else 'ML'})",
        }
        for row in result.fixed.itertuples(index=False)
    ]
    fit_rows = [
        {
            "equation": y,
            "step": 1,
            "statistic": f"var[{r.group}:{r.term}]",
            "value": float(r.variance),
        }
        for r in result.random.itertuples(index=False)
    ]
    for stat in ("loglik", "aic", "bic"):
        fit_rows.append(
            {"equation": y, "step": 1, "statistic": stat, "value": float(getattr(result, stat))}
        )
    fit_rows.append({"equation": y, "step": 1, "statistic": "n", "value": float(result.nobs)})
    return SpecOutput(
        coefficients=_frame(rows, COEF_COLUMNS, spec=name, kind="mixed"),
        fit=_frame(fit_rows, FIT_COLUMNS, spec=name),
    )


_PROCESS = {
    1: ("w",),
    4: ("m",),
    6: ("m",),
    7: ("m", "w"),
    14: ("m", "w"),
}


def run_process(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("model", "x", "y"))
    model = int(spec["model"])
    if model not in _PROCESS:
        raise JianfuError(
            f"models.specs.{name}: PROCESS model {model} not available; use {sorted(_PROCESS)}"
        )
    _require(spec, name, _PROCESS[model])
    xs = [spec["x"]] if isinstance(spec["x"], str) else list(spec["x"])
    m = spec.get("m")
    ms = [] if m is None else ([m] if isinstance(m, str) else list(m))
    covariates = list(spec.get("covariates", []))
    w = spec.get("w")
    _check_columns(name, ctx.data, [*xs, spec["y"], *ms, *covariates, *([w] if w else [])])
    boot = ctx.bootstrap
    n_boot = int(spec.get("n_boot", boot["n_boot"]))
    ci_type = spec.get("ci_type", boot["ci_type"])
    cluster = ctx.cluster if spec.get("cluster_bootstrap", boot["cluster"]) else None
    seed = int(spec.get("seed", boot["seed"]))
    coef_rows, effect_rows, fit_rows, results = [], [], [], []
    for x in xs:
        label = f"{x}→{spec['y']}" if not ms else f"{x}→{'→'.join(ms)}→{spec['y']}"
        cols = [
            x,
            spec["y"],
            *ms,
            *covariates,
            *([w] if w else []),
            *([cluster] if cluster else []),
        ]
        frame = ctx.data[list(dict.fromkeys(cols))].dropna()
        kwargs = dict(n_boot=n_boot, seed=seed, ci=ctx.ci, ci_type=ci_type, cluster=cluster)
        if model == 1:
            result = process.process_model1(frame, x, w, spec["y"], covariates, ci=ctx.ci)
            paths = result.coefficients.assign(equation=spec["y"])
            effects = result.table[~result.table["term"].isin(paths["term"])]
            for k, point in enumerate(result.jn_points, start=1):
                effect_rows.append(
                    {"equation": label, "term": f"JN point {k} ({w})", "estimate": point,
                     "method": f"Johnson–Neyman, {ctx.ci:.0%}"}
                )  # fmt: skip
        else:
            fn = {4: process.process_model4, 6: process.process_model6,
                  7: process.process_model7, 14: process.process_model14}[model]  # fmt: skip
            if model in (7, 14):
                result = fn(frame, x, ms, w, spec["y"], covariates, **kwargs)
            else:
                result = fn(frame, x, ms, spec["y"], covariates, **kwargs)
            paths = result.paths
            effects = result.table[result.table["method"].str.startswith("bootstrap")]
        results.append(result)
        for row in paths.itertuples(index=False):
            coef_rows.append(
                {"equation": f"{label}: {row.equation}", "step": 1, "term": row.term,
                 "estimate": row.estimate, "se": row.se, "stat": row.t, "p": row.p,
                 "ci_low": row.ci_low, "ci_high": row.ci_high, "n": len(frame),
                 "method": f"PROCESS model {model}, {row.method}"}
            )  # fmt: skip
        for row in effects.itertuples(index=False):
            effect_rows.append(
                {"equation": label, "term": row.term, "estimate": row.estimate, "se": row.se,
                 "ci_low": row.ci_low, "ci_high": row.ci_high,
                 "method": f"PROCESS model {model}, {row.method}"
                 + (f", {n_boot} resamples" + (f" of {cluster}" if cluster else "")
                    if row.method.startswith("bootstrap") else "")}
            )  # fmt: skip
        fit_rows.append(
            {"equation": label, "step": 1, "statistic": "n", "value": float(len(frame))}
        )
    return SpecOutput(
        coefficients=_frame(coef_rows, COEF_COLUMNS, spec=name, kind="process"),
        fit=_frame(fit_rows, FIT_COLUMNS, spec=name),
        effects=_frame(effect_rows, EFFECT_COLUMNS, spec=name),
        process=results,
    )


def run_sem(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    _require(spec, name, ("equations",))
    equations = {str(k): list(v) for k, v in dict(spec["equations"]).items()}
    factors = set(equations)
    observed = []
    for preds in equations.values():
        for term in preds:
            parts = term.split(sem.INTERACTION_SEP)
            if all(p in ctx.measurement for p in parts):
                factors.update(parts)
            else:
                observed.append(term)
    unknown = [f for f in factors if f not in ctx.measurement]
    if unknown:
        raise JianfuError(f"models.specs.{name}: {unknown} are not constructs of the codebook")
    _check_columns(name, ctx.data, observed)
    measurement = {f: ctx.measurement[f] for f in ctx.measurement if f in factors}
    data = pd.concat([ctx.items, ctx.data[observed]], axis=1)
    result = sem.fit_sem(
        data,
        measurement,
        equations,
        method_factor=bool(spec.get("method_factor", False)),
        ci=ctx.ci,
    )
    target = spec.get("target")
    rows = [
        {
            "equation": r.lhs, "step": 1, "term": r.rhs, "estimate": r.est, "se": r.se,
            "stat": r.z, "p": r.p, "ci_low": r.est - _z(ctx.ci) * r.se,
            "ci_high": r.est + _z(ctx.ci) * r.se, "std": r.std, "std_ci_low": r.std_ci_low,
            "std_ci_high": r.std_ci_high, "n": result.n,
            "method": "SEM (ML" + (", method factor" if spec.get("method_factor") else "")
            + (", product indicators" if result.product_indicators else "") + ")",
            "target": target,
        }
        for r in result.paths.itertuples(index=False)
    ]  # fmt: skip
    fit_rows = [
        {"equation": "model", "step": 1, "statistic": k, "value": float(v)}
        for k, v in result.fit.items()
    ]
    fit_rows.append({"equation": "model", "step": 1, "statistic": "n", "value": float(result.n)})
    return SpecOutput(
        coefficients=_frame(rows, COEF_COLUMNS, spec=name, kind="sem"),
        fit=_frame(fit_rows, FIT_COLUMNS, spec=name),
        extra={"estimates": result.estimates, "syntax": pd.DataFrame({"syntax": [result.syntax]})},
    )


RUNNERS: dict[str, Callable[[str, Mapping, Context], SpecOutput]] = {
    "descriptives": run_descriptives,
    "icc": run_icc,
    "ols": run_ols,
    "ordered_logit": run_ordered_logit,
    "mixed": run_mixed,
    "process": run_process,
    "sem": run_sem,
}


def run_spec(name: str, spec: Mapping, ctx: Context) -> SpecOutput:
    """Run one named spec (dispatch on ``kind``)."""
    kind = spec.get("kind")
    if kind not in RUNNERS:
        raise JianfuError(
            f"models.specs.{name}: kind {kind!r} unknown; use one of {sorted(RUNNERS)}"
        )
    target = spec.get("target")
    if target is not None and target not in TARGETS:
        raise JianfuError(f"models.specs.{name}: target {target!r} unknown; use one of {TARGETS}")
    return RUNNERS[kind](name, spec, ctx)
