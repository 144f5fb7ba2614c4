"""Stage `policy`: staggered adoption effects of the measures on workload and hotline outcomes (H6).

For every measure and each of its outcomes (``policy.effects``) on the township-month panel:

* Callaway–Sant'Anna ATT(g,t) with never-treated and not-yet-treated controls (``policy.
  controls``; "never" is skipped, with a note, when every district adopts), doubly robust by
  default, SEs clustered by district; each cell also with unit-level (township) SEs. Cohorts
  of one or two districts make cluster-robust SEs of single cells unreliable: the treated
  units' influence sums to zero within their one cluster (Conley & Taber 2011); the aggregates
  pool many districts and are fine. Both are written; docs/policy.md explains.
* Aggregations simple, group, dynamic (event time, ``policy.event_window``) and calendar; for
  outcomes with an adoption lag (``policy.lags``) the average effect from the lag on; the
  pre-trend test (Wald χ² and its small-sample F version, dynamic pre-periods).
* The covariate ``baseline`` for the outcomes in ``policy.baseline_covariate``: each
  township's mean of the outcome over ``policy.baseline_months``, before any adoption. Counts
  per cadre scale with a township's level, so seasonal and common shocks move high-level
  townships more: trends are parallel given the baseline level, not unconditionally
  (docs/policy.md). Hotline rates do not scale so and go without.
* TWFE (static, with a wild cluster bootstrap p-value; and its event study) for comparison,
  and the Sun–Abraham event study.
* Heterogeneity by region (一区两群): the simple aggregate within each stratum.

Reads: ``data/processed/panel/township_month.parquet``; params ``policy.*``.
Writes: ``<data-out>/{attgt,aggregates,event_study,pretrends,notes}.parquet``, the same as CSV
in ``<tables-out>`` with ``summary.json`` (every simple ATT and pre-trend p-value, `metrics`),
and ``--metrics`` (the headline counts and shares, `headline`).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.core.errors import JianfuError
from jianfu.core.io import (
    atomic_dir,
    concat_tidy,
    skipped_reason,
    write_csv,
    write_json,
    write_skipped,
)
from jianfu.core.params import TrackedParams
from jianfu.policy import did

CONTROLS = ("never", "notyet")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--panel", required=True, type=Path, help="the panel stage's folder")
    parser.add_argument("--data-out", required=True, type=Path, help="folder for Parquet results")
    parser.add_argument("--tables-out", required=True, type=Path, help="folder for CSV tables")
    parser.add_argument("--metrics", required=True, type=Path)


def month_index(months: pd.Series) -> pd.Series:
    """'YYYY-MM' → year·12 + month − 1 (consecutive integers); missing stays missing."""
    text = months.astype("string")
    return text.str[:4].astype("Int64") * 12 + text.str[5:7].astype("Int64") - 1


def month_label(index) -> str | None:
    """Inverse of `month_index` for one value."""
    if index is None or pd.isna(index) or not np.isfinite(index) or index == 0:
        return None
    i = int(index)
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def prepare(
    township_month: pd.DataFrame, measure: str, outcome: str, baseline_months: list[str] | None
) -> tuple[pd.DataFrame, list[dict]]:
    """The estimation panel for one measure × outcome: integer time ``t``, cohort ``g`` (0 =
    never adopted), the ``baseline`` covariate; units that cannot enter dropped with notes."""
    adopt = f"adopt_{measure}"
    for col in (adopt, outcome):
        if col not in township_month.columns:
            raise JianfuError(
                f"policy: column {col!r} is not in the township-month panel "
                f"(measures and outcomes come from the panel stage)"
            )
    frame = township_month[
        ["township_code", "district_code", "stratum", "month", adopt, outcome]
    ].copy()
    frame["t"] = month_index(frame["month"]).astype("int64")
    frame["g"] = month_index(frame[adopt]).fillna(0).astype("int64")
    notes = []
    first = int(frame["t"].min())
    always = frame["g"].between(1, first)
    if always.any():
        n = frame.loc[always, "township_code"].nunique()
        notes.append(
            {"measure": measure, "outcome": outcome, "note": (
                f"{n} townships adopted before the panel's first month (always treated, "
                "no pre-period): left out, their ATT is not identified")}
        )  # fmt: skip
        frame = frame[~always]
    missing = frame[outcome].isna().groupby(frame["township_code"]).transform("any")
    if missing.any():
        n = frame.loc[missing, "township_code"].nunique()
        notes.append(
            {"measure": measure, "outcome": outcome, "note": (
                f"{n} townships have months without a value (e.g. no rated hotline ticket): "
                "left out (the estimator needs a balanced panel)")}
        )  # fmt: skip
        frame = frame[~missing]
    if baseline_months:
        lo, hi = month_index(pd.Series(baseline_months)).astype("int64")
        early = frame["g"].between(1, hi)
        if early.any():
            raise JianfuError(
                f"policy.baseline_months ends {baseline_months[1]}, but some districts adopt "
                f"{measure} by then: the baseline would be post-treatment; choose an earlier "
                "window or set policy.covariates to []"
            )
        base = frame[frame["t"].between(lo, hi)].groupby("township_code")[outcome].mean()
        frame["baseline"] = frame["township_code"].map(base)
    return frame.reset_index(drop=True), notes


def _with_labels(table: pd.DataFrame, **const) -> pd.DataFrame:
    out = table.copy()
    for col in ("group", "time"):
        if col in out.columns:
            out[col] = [month_label(v) for v in out[col]]
    if "term" in out.columns:  # "g=24296" / "t=24300" → "g=2024-09" / "t=2025-01"
        out["term"] = [
            f"{t[:2]}{month_label(float(t[2:]))}" if t[:2] in ("g=", "t=") else t
            for t in out["term"].astype(str)
        ]
    for key, value in reversed(const.items()):
        out.insert(0, key, value)
    return out


def estimate(
    frame: pd.DataFrame,
    *,
    measure: str,
    outcome: str,
    p: dict,
) -> dict[str, list[pd.DataFrame]]:
    """Every estimator for one measure × outcome (see the module docstring)."""
    cluster = p["cluster"]
    covariates = ["baseline"] if outcome in p["baseline_covariate"] else None
    alpha = float(p["alpha"])
    lo_e, hi_e = (int(v) for v in p["event_window"])
    boot = p["wild_bootstrap"]
    out: dict[str, list[pd.DataFrame]] = {k: [] for k in ("attgt", "agg", "es", "pre", "notes")}
    has_never = bool((frame["g"] == 0).any())
    common = dict(outcome=outcome, unit="township_code", time="t", cohort="g", alpha=alpha)
    for control in p["controls"]:
        if control not in CONTROLS:
            raise JianfuError(f"policy.controls: {control!r} is not one of {CONTROLS}")
        if control == "never" and not has_never:
            out["notes"].append(pd.DataFrame([{
                "measure": measure, "outcome": outcome,
                "note": "every district adopts: no never-treated controls; not-yet-treated only",
            }]))  # fmt: skip
            continue
        label = f"cs_{control}"
        fit = did.callaway_santanna(
            frame, **common, control=control, method=p["method"], covariates=covariates,
            cluster=cluster,
        )  # fmt: skip
        unit = fit.unclustered()  # unit-level SEs of the same estimates
        cells = fit.attgt.copy()
        for col in ("se", "ci_low", "ci_high"):
            cells[f"{col}_unit"] = unit.attgt[col].to_numpy()
        out["attgt"].append(_with_labels(cells, measure=measure, outcome=outcome, estimator=label))
        lag = int(p["lags"].get(outcome, 0))
        aggs = _aggregates(fit, unit, (lo_e, hi_e), lag)
        dynamic = aggs[3]
        for table in aggs:
            out["agg"].append(
                _with_labels(table, measure=measure, outcome=outcome, estimator=label)
            )
        es = dynamic[dynamic["term"] != "overall"]
        out["es"].append(_with_labels(es, measure=measure, outcome=outcome, estimator=label))
        test = fit.pretrend_test("dynamic").as_dict()
        test_unit = unit.pretrend_test("dynamic")
        test.update(p_value_unit=test_unit.p_value, p_value_f_unit=test_unit.p_value_f)
        out["pre"].append(
            pd.DataFrame([{"measure": measure, "outcome": outcome, "estimator": label, **test}])
        )
        if p["heterogeneity"]:
            for stratum, part in frame.groupby(p["heterogeneity"], sort=True):
                ctrl = control if (part["g"] == 0).any() else "notyet"
                try:
                    sub = did.callaway_santanna(
                        part, **common, control=ctrl, method=p["method"],
                        covariates=covariates, cluster=cluster,
                    ).aggregate("simple")  # fmt: skip
                except did.DiDInputError as exc:
                    out["notes"].append(pd.DataFrame([{
                        "measure": measure, "outcome": outcome,
                        "note": f"{label} in {stratum}: not estimable ({exc})",
                    }]))  # fmt: skip
                    continue
                sub = sub.assign(aggregation=f"simple[{stratum}]")
                out["agg"].append(
                    _with_labels(sub, measure=measure, outcome=outcome, estimator=label)
                )
    twfe_kw = dict(outcome=outcome, unit="township_code", time="t", cohort="g", cluster=cluster)
    static = did.twfe(
        frame, **twfe_kw, covariates=None, alpha=alpha, wild_bootstrap=True,
        n_boot=int(boot["n_boot"]), seed=int(boot["seed"]),
    ).tidy()  # fmt: skip
    out["agg"].append(
        _with_labels(static.assign(aggregation="static"), measure=measure, outcome=outcome,
                     estimator="twfe")
    )  # fmt: skip
    dyn = did.twfe(frame, **twfe_kw, event_study=True, window=(lo_e, hi_e), alpha=alpha)
    out["es"].append(
        _with_labels(dyn.tidy().assign(aggregation="dynamic"), measure=measure, outcome=outcome,
                     estimator="twfe")
    )  # fmt: skip
    out["pre"].append(pd.DataFrame([{
        "measure": measure, "outcome": outcome, "estimator": "twfe",
        **dyn.pretrend_test().as_dict(),
    }]))  # fmt: skip
    sa = did.sun_abraham(frame, **twfe_kw, control="never" if has_never else "last", alpha=alpha)
    sa_rows = sa.tidy()
    sa_rows = sa_rows[
        (sa_rows["term"] == "overall") | sa_rows["event_time"].between(lo_e, hi_e)
    ].assign(aggregation="dynamic")
    out["es"].append(
        _with_labels(sa_rows, measure=measure, outcome=outcome, estimator="sun_abraham")
    )
    out["pre"].append(pd.DataFrame([{
        "measure": measure, "outcome": outcome, "estimator": "sun_abraham",
        **sa.pretrend_test().as_dict(),
    }]))  # fmt: skip
    return out


def _aggregates(fit, unit, window: tuple[int, int], lag: int) -> list[pd.DataFrame]:
    """simple, group, calendar, dynamic (event window) and from-the-lag aggregates, each with
    the cluster-robust SEs of ``fit`` and the unit-level ones of ``unit`` (same estimates)."""

    def both(kind: str, **kw) -> pd.DataFrame:
        table = fit.aggregate(kind, **kw)
        other = unit.aggregate(kind, **kw)
        for col in ("se", "ci_low", "ci_high"):
            table[f"{col}_unit"] = other[col].to_numpy()
        return table

    out = [both(k) for k in ("simple", "group", "calendar")]
    out.append(both("dynamic", min_e=window[0], max_e=window[1]))
    if lag > 0:
        lagged = both("dynamic", min_e=lag, max_e=window[1])
        out.append(lagged[lagged["term"] == "overall"].assign(aggregation=f"from_lag_{lag}"))
    return out


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    skipped = skipped_reason(args.panel)
    if skipped is not None:
        write_skipped("policy", skipped, [args.data_out, args.tables_out], args.metrics)
        return
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # pyfixest's pandas-3 deprecations and did's "cohort skipped" notices are recorded in
        # the notes table instead
        warnings.simplefilter("ignore")
        _run(args, params)


def _run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["policy"].to_dict()
    started = time.perf_counter()
    township_month = pd.read_parquet(args.panel / "township_month.parquet")
    baseline = p["baseline_months"]
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("attgt", "agg", "es", "pre", "notes")}
    pairs = [(m, o) for m, outcomes in p["effects"].items() for o in outcomes]
    for k, (measure, outcome) in enumerate(pairs, start=1):
        print(f"jianfu policy: [{k}/{len(pairs)}] {measure} → {outcome}", file=sys.stderr)
        frame, notes = prepare(
            township_month,
            measure,
            outcome,
            baseline if outcome in p["baseline_covariate"] else None,
        )
        if notes:
            parts["notes"].append(pd.DataFrame(notes))
        for key, tables in estimate(frame, measure=measure, outcome=outcome, p=p).items():
            parts[key].extend(tables)
    tables = {
        "attgt": concat_tidy(parts["attgt"]),
        "aggregates": concat_tidy(parts["agg"]),
        "event_study": concat_tidy(parts["es"]),
        "pretrends": concat_tidy(parts["pre"]),
        "notes": concat_tidy(parts["notes"], columns=["measure", "outcome", "note"]),
    }
    with atomic_dir(args.data_out) as out:
        for name, table in tables.items():
            table.to_parquet(out / f"{name}.parquet", index=False)
    with atomic_dir(args.tables_out) as out:
        for name, table in tables.items():
            write_csv(out / f"{name}.csv", table)
        summary = metrics(tables["aggregates"], tables["pretrends"])
        write_json(out / "summary.json", summary)
    write_json(args.metrics, headline(summary))
    print(f"jianfu policy: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def metrics(aggregates: pd.DataFrame, pretrends: pd.DataFrame) -> dict:
    """Simple ATT (with CI) per measure → outcome and estimator; pre-trend F p-values (cluster-
    robust and, for Callaway–Sant'Anna, unit-level)."""

    def rnd(v):
        return None if pd.isna(v) else round(float(v), 4)

    out: dict = {"att": {}, "pretrend_p_f": {}, "pretrend_p_f_unit": {}}
    keep = aggregates[aggregates["aggregation"].isin(["simple", "static"])]
    for r in keep.itertuples(index=False):
        key = f"{r.measure}→{r.outcome}"
        out["att"].setdefault(key, {})[r.estimator] = {
            "estimate": rnd(r.estimate), "ci": [rnd(r.ci_low), rnd(r.ci_high)]
        }  # fmt: skip
    for r in pretrends.itertuples(index=False):
        key = f"{r.measure}→{r.outcome}"
        out["pretrend_p_f"].setdefault(key, {})[r.estimator] = rnd(r.p_value_f)
        if not pd.isna(getattr(r, "p_value_f_unit", np.nan)):
            out["pretrend_p_f_unit"].setdefault(key, {})[r.estimator] = rnd(r.p_value_f_unit)
    return out


#: the p-value below which a pre-trend test counts as rejecting parallel trends in `headline`
PRETREND_P = 0.05


def headline(summary: dict) -> dict:
    """The DVC metrics from `metrics`' numbers: how many simple ATTs (measure → outcome ×
    estimator) and the share whose CI excludes 0; how many pre-trend F tests and the share with
    p < `PRETREND_P` (cluster-robust)."""
    atts = [e for by_est in summary["att"].values() for e in by_est.values()]
    without_0 = [
        e for e in atts if None not in e["ci"] and (e["ci"][0] > 0 or e["ci"][1] < 0)
    ]  # fmt: skip
    tests = [p for by_est in summary["pretrend_p_f"].values() for p in by_est.values()]
    tests = [p for p in tests if p is not None]

    def share(part: list, whole: list) -> float | None:
        return round(len(part) / len(whole), 4) if whole else None

    return {
        "pairs": len(summary["att"]),
        "atts": len(atts),
        "atts_ci_without_0": share(without_0, atts),
        "pretrend_tests": len(tests),
        "pretrend_p_below_05": share([p for p in tests if p < PRETREND_P], tests),
    }
