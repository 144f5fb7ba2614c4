"""Stage `policy_recovery`: the policy estimates against the simulator's true ATT(g,t).

The truth (``data/truth/att.parquet``, docs/dgp_admin.md §7) holds ATT(g,t) per measure ×
outcome × adoption cohort × month, from expectations: exactly 0 before adoption and for
outcomes a measure does not target. The aggregates' truths are computed here with the
estimator's own weights (each cohort weighted by its number of townships, as Callaway and
Sant'Anna's ``aggte``): simple = the weighted mean of the post-adoption cells; dynamic(e) =
the weighted mean over the cohorts observed at event time e; group(g) = the mean of cohort g's
post cells; from the lag = the mean of dynamic(e) over e ≥ lag in the event window. TWFE's static
coefficient and the TWFE event study are compared with the same truths: under dynamic,
heterogeneous effects TWFE does not target them, and the table shows it.

Cells are compared with both CIs: cluster-robust by district (the pipeline's default) and
unit-level (township). In the simulation there are no district-level shocks, so unit-level SEs
are valid, while the cluster-robust SE of a cell whose cohort is one or two districts is too
small (the treated units' influence sums to ~0 within their cluster; Conley & Taber 2011).
The table reports the number of districts in each cohort so the two can be read side by side.

Reads: the policy stage's tables, the township-month panel (cohort sizes), the truth; params
``data.source`` (skipped for own data). Writes ``<out>/{attgt,aggregates}_recovery.csv``,
``<out>/summary.json`` (every coverage: `summary`) and ``--metrics`` (the headline: `headline`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.core.io import atomic_dir, write_csv, write_json, write_skipped
from jianfu.core.params import NO_TRUTH, TrackedParams, data_source

#: Panel outcome name → the truth's outcome name (the hotline outcomes carry a prefix there).
TRUTH_OUTCOME = {
    "response_hours": "hotline_response_hours",
    "resolution_rate": "hotline_resolution_rate",
    "satisfaction_rate": "hotline_satisfaction_rate",
}


def _truth(att: pd.DataFrame, measure: str, outcome: str) -> pd.DataFrame:
    name = TRUTH_OUTCOME.get(outcome, outcome)
    rows = att[(att["measure"] == measure) & (att["outcome"] == name)]
    return rows.rename(columns={"cohort": "group", "month": "time", "att": "truth"})[
        ["group", "time", "event_time", "truth"]
    ]


def _covered(frame: pd.DataFrame, lo: str, hi: str) -> pd.Series:
    return (frame[lo] <= frame["truth"]) & (frame["truth"] <= frame[hi])


def cohort_districts(township_month: pd.DataFrame) -> pd.DataFrame:
    """Districts per adoption cohort and measure (measure, group, districts)."""
    rows = []
    for col in [c for c in township_month.columns if c.startswith("adopt_")]:
        by_district = township_month.groupby("district_code")[col].first().dropna()
        counts = by_district.value_counts()
        rows += [
            {"measure": col.removeprefix("adopt_"), "group": g, "districts": int(n)}
            for g, n in counts.items()
        ]
    return pd.DataFrame(rows, columns=["measure", "group", "districts"])


def attgt_recovery(attgt: pd.DataFrame, att: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """Every estimated ATT(g,t) with its truth, both CIs and whether each covers it."""
    parts = []
    for (measure, outcome), cells in attgt.groupby(["measure", "outcome"], sort=False):
        truth = _truth(att, measure, outcome).drop(columns="event_time")
        parts.append(cells.merge(truth, on=["group", "time"], how="left"))
    out = pd.concat(parts, ignore_index=True)
    out = out.merge(sizes, on=["measure", "group"], how="left")
    out["covered"] = _covered(out, "ci_low", "ci_high")
    out["covered_unit"] = _covered(out, "ci_low_unit", "ci_high_unit")
    cols = [
        "measure", "outcome", "estimator", "group", "time", "event_time", "post", "districts",
        "n_treated", "truth", "att", "se", "ci_low", "ci_high", "covered", "se_unit",
        "ci_low_unit", "ci_high_unit", "covered_unit",
    ]  # fmt: skip
    return out[cols]


def _weighted(cells: pd.DataFrame) -> float:
    w = cells["n_treated"].astype(float)
    return float((cells["truth"] * w).sum() / w.sum()) if w.sum() > 0 else np.nan


def aggregate_truths(cells: pd.DataFrame, lags: dict[str, int]) -> pd.DataFrame:
    """True aggregates from the true ATT(g,t) of the cells an estimator used (its weights)."""
    rows = []
    for (measure, outcome, estimator), part in cells.groupby(
        ["measure", "outcome", "estimator"], sort=False
    ):
        key = {"measure": measure, "outcome": outcome, "estimator": estimator}
        post = part[part["post"].astype(bool)]
        rows.append({**key, "aggregation": "simple", "term": "ATT", "truth": _weighted(post)})
        for g, cohort in post.groupby("group", sort=True):
            rows.append({**key, "aggregation": "group", "term": f"g={g}",
                         "truth": float(cohort["truth"].mean())})  # fmt: skip
        dynamic = part.groupby("event_time", sort=True).apply(_weighted, include_groups=False)
        for e, value in dynamic.items():
            rows.append(
                {**key, "aggregation": "dynamic", "term": f"e={int(e)}", "truth": float(value)}
            )
        lag = int(lags.get(outcome, 0))
        if lag > 0:
            rows.append({**key, "aggregation": f"from_lag_{lag}", "term": "overall",
                         "truth": float(dynamic[dynamic.index >= lag].mean())})  # fmt: skip
    return pd.DataFrame(rows)


def aggregates_recovery(
    aggregates: pd.DataFrame,
    event_study: pd.DataFrame,
    cells: pd.DataFrame,
    lags: dict[str, int],
    event_window: tuple[int, int],
) -> pd.DataFrame:
    """CS aggregates, TWFE (static, event study) and Sun–Abraham against the true aggregates."""
    truths = aggregate_truths(cells, lags)
    lo_e, hi_e = event_window
    event = pd.to_numeric(truths["term"].str.removeprefix("e="), errors="coerce")
    truths = truths[(truths["aggregation"] != "dynamic") | event.between(lo_e, hi_e)]
    # the TWFE and Sun–Abraham rows target the same quantities as CS with never-treated
    # controls when there are any (else not-yet-treated)
    reference = (
        truths.assign(has_never=truths["estimator"] == "cs_never")
        .sort_values("has_never", ascending=False, kind="stable")
        .drop_duplicates(["measure", "outcome", "aggregation", "term"])
        .drop(columns=["estimator", "has_never"])
    )
    cs = aggregates[aggregates["estimator"].str.startswith("cs_")].merge(
        truths, on=["measure", "outcome", "estimator", "aggregation", "term"], how="inner"
    )
    twfe_static = aggregates[aggregates["estimator"] == "twfe"].assign(
        aggregation="simple", term="ATT"
    )
    es = event_study[
        event_study["term"].str.startswith("e=") & ~event_study["estimator"].str.startswith("cs_")
    ].assign(aggregation="dynamic")
    others = pd.concat([twfe_static, es], ignore_index=True).merge(
        reference, on=["measure", "outcome", "aggregation", "term"], how="inner"
    )
    out = pd.concat([cs, others], ignore_index=True)
    out["covered"] = _covered(out, "ci_low", "ci_high")
    out["covered_unit"] = _covered(out, "ci_low_unit", "ci_high_unit").where(
        out["ci_low_unit"].notna()
    )
    out["bias"] = out["estimate"] - out["truth"]
    cols = ["measure", "outcome", "estimator", "aggregation", "term", "truth", "estimate",
            "se", "ci_low", "ci_high", "covered", "se_unit", "ci_low_unit", "ci_high_unit",
            "covered_unit", "bias"]  # fmt: skip
    return out[cols]


def summary(cells: pd.DataFrame, aggregates: pd.DataFrame) -> dict:
    """Coverage of the cells (both SE types; by cohort size) and of the aggregates."""

    def share(s: pd.Series) -> float | None:
        return round(float(s.mean()), 4) if len(s) else None

    big = cells["districts"] >= 5
    out = {
        "attgt_cells": len(cells),
        "attgt_coverage_unit_se": share(cells["covered_unit"]),
        "attgt_coverage_cluster_se": share(cells["covered"]),
        "attgt_coverage_cluster_se_cohorts_5plus_districts": share(cells.loc[big, "covered"]),
        "attgt_coverage_unit_se_by_estimator": {
            str(k): share(v) for k, v in cells.groupby("estimator")["covered_unit"]
        },
        "aggregates": {},
    }
    for (est, agg), rows in aggregates.groupby(
        ["estimator", aggregates["aggregation"].str.replace(r"_\d+$", "", regex=True)]
    ):
        out["aggregates"].setdefault(str(est), {})[str(agg)] = {
            "n": len(rows),
            "coverage": share(rows["covered"]),
            "coverage_unit_se": share(rows["covered_unit"].dropna().astype(bool)),
            "mean_abs_bias": round(float(rows["bias"].abs().mean()), 4),
        }
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, type=Path, help="policy stage's data folder")
    parser.add_argument("--panel", required=True, type=Path, help="panel stage's folder")
    parser.add_argument("--truth", required=True, type=Path, help="att.parquet")
    parser.add_argument("--out", required=True, type=Path, help="folder for the tables")
    parser.add_argument("--metrics", required=True, type=Path)


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    if data_source(params) != "simulated":
        write_skipped("policy_recovery", NO_TRUTH, [args.out], args.metrics)
        return
    policy = params["policy"]
    lags = {str(k): int(v) for k, v in policy["lags"].to_dict().items()}
    window = tuple(int(v) for v in policy["event_window"])
    att = pd.read_parquet(args.truth)
    sizes = cohort_districts(pd.read_parquet(args.panel / "township_month.parquet"))
    cells = attgt_recovery(pd.read_parquet(args.policy / "attgt.parquet"), att, sizes)
    aggs = aggregates_recovery(
        pd.read_parquet(args.policy / "aggregates.parquet"),
        pd.read_parquet(args.policy / "event_study.parquet"),
        cells,
        lags,
        window,
    )
    with atomic_dir(args.out) as out:
        write_csv(out / "attgt_recovery.csv", cells)
        write_csv(out / "aggregates_recovery.csv", aggs)
        detail = summary(cells, aggs)
        write_json(out / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics from `summary`: the cells' coverage (both SE types, and cluster SEs in
    cohorts of 5+ districts) and each estimator's coverage of the simple aggregate."""
    out = {
        "cells": detail["attgt_cells"],
        "coverage_unit_se": detail["attgt_coverage_unit_se"],
        "coverage_cluster_se": detail["attgt_coverage_cluster_se"],
        "coverage_cluster_se_5plus": detail["attgt_coverage_cluster_se_cohorts_5plus_districts"],
    }
    for estimator, by_agg in sorted(detail["aggregates"].items()):
        if "simple" in by_agg:
            out[f"simple_coverage_{estimator}"] = by_agg["simple"]["coverage"]
    return out
