"""Stage `spec_curve`: the specification curve from the collected experiments.

Reads ``robustness/experiments.csv`` (written by ``jianfu spec-curve run`` / ``collect`` from
the DVC experiments, one per specification; git-tracked) and the current run's own estimates
of the main specification (``metrics/spec_survey.json`` and ``metrics/spec_policy.json``).

Checks, and says so in its outputs, the report and the log:

* which specifications of the current grid (``robustness.spec`` + ``robustness.grid``) have
  results and which are missing (collected rows of specifications no longer in the grid are
  left out);
* whether the collected results are *current*: every collected specification must carry this
  run's fingerprint (the hash of the input data, the code and the settings shared by all
  specifications: `jianfu.robustness.stage.fingerprint`), and the main specification's
  estimates must equal this run's (to 1e-9). If the data, the code or a setting changed since
  the experiments ran, the curve is marked stale (rerun ``jianfu spec-curve run``), never
  silently mixed with new numbers.

Writes ``<out>/spec_curve.csv`` (every specification × effect: choices, estimate, CI, rank
within the effect, whether it is the main specification, significance),
``<out>/summary.csv`` (per effect: number of specifications, the main estimate, median,
range, share with the main estimate's sign, share significant at ``alpha``, share significant
with that sign — the descriptive specification-curve summary of Simonsohn et al. 2020) and
``<out>/status.json`` and ``<out>/summary.json`` (the counts, the staleness flag and the
summary per effect); ``--metrics`` holds the headline (`headline`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, write_csv, write_json, write_skipped
from jianfu.core.params import GRID_NOT_RUN, TrackedParams, data_source
from jianfu.robustness import grid as gridmod
from jianfu.robustness.experiments import METRICS, RESULT_COLUMNS

TOLERANCE = 1e-9
#: display order of the effects: by kind, then by measure (the three pillars' order)
KIND_ORDER = ("path", "indirect", "att")
X_ORDER = ("PV", "RL", "DM", "DE", "FC", "FT", "AS",
           "yibiaotong", "app_clean", "negative_list", "duty_list")  # fmt: skip


def _effect_order(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` sorted by kind, measure (`X_ORDER`, others after) and outcome."""
    kind = frame["kind"].map({k: i for i, k in enumerate(KIND_ORDER)}).fillna(len(KIND_ORDER))
    x = frame["x"].map({k: i for i, k in enumerate(X_ORDER)}).fillna(len(X_ORDER))
    keyed = frame.assign(_k=kind, _x=x)
    return keyed.sort_values(["_k", "_x", "x", "y"], kind="stable").drop(columns=["_k", "_x"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiments", required=True, type=Path, help="collected table")
    parser.add_argument("--main-survey", required=True, type=Path, help=METRICS["survey"])
    parser.add_argument("--main-policy", required=True, type=Path, help=METRICS["policy"])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--metrics", required=True, type=Path)


def read_collected(path: Path) -> pd.DataFrame:
    """The collected table (an empty one if the grid has not been run yet)."""
    if not path.exists():
        raise JianfuError(
            f"{path}: not found. Run the specification grid first: `jianfu spec-curve run` "
            "(README, 'Robustness: the specification curve')"
        )
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"spec_id": str})
    missing = [c for c in ("family", "spec_id", *RESULT_COLUMNS) if c not in frame.columns]
    if missing and not frame.empty:
        raise JianfuError(f"{path}: missing columns {', '.join(missing)} (write it with collect)")
    return frame


def _main_rows(metrics: Mapping, family: str) -> pd.DataFrame:
    effects = metrics.get("effects") or {}
    return pd.DataFrame(
        [{"effect": k, **{c: v.get(c) for c in ("estimate", "se")}} for k, v in effects.items()]
    )


def curve_table(
    collected: pd.DataFrame, specs: list[dict], main: Mapping, current: Mapping[str, Mapping]
) -> tuple[pd.DataFrame, dict]:
    """The grid's rows of the collected table, ranked per effect, and the status.

    ``specs``: the grid's full specifications (`grid.expand`); ``main``: the main spec;
    ``current``: family -> this run's metrics of the main specification.
    """
    parts, status = [], {"families": {}, "stale": False, "stale_effects": []}
    for family in gridmod.FAMILIES:
        skipped = (current.get(family) or {}).get("skipped")
        if skipped is not None or family not in current:
            # e.g. own data without office records: spec_policy was skipped
            status["families"][family] = {
                "skipped": skipped or "no main-specification metrics",
                "specifications": 0,
                "collected": 0,
                "missing": [],
                "not_in_grid": 0,
                "stale_specifications": 0,
            }
            continue
        wanted = {gridmod.family_spec_id(s, family): s for s in specs}
        main_id = gridmod.family_spec_id(main, family)
        rows = (
            collected[collected["family"] == family]
            if not collected.empty
            else pd.DataFrame(columns=["family", "spec_id", *RESULT_COLUMNS])
        )
        have = set(rows["spec_id"])
        status["families"][family] = {
            "specifications": len(wanted),
            "collected": len(have & set(wanted)),
            "missing": sorted(set(wanted) - have),
            "not_in_grid": len(have - set(wanted)),
            "main_spec_id": main_id,
        }
        rows = rows[rows["spec_id"].isin(list(wanted))].copy()
        rows["main"] = rows["spec_id"] == main_id
        # is the collected main specification the one this run estimates?
        now = _main_rows(current[family], family)
        then = rows[rows["main"]][["effect", "estimate", "se"]]
        merged = now.merge(then, on="effect", how="outer", suffixes=("_now", "_then"))
        diff = np.zeros(len(merged), dtype=bool)
        for col in ("estimate", "se"):
            now_, then_ = (merged[f"{col}_{w}"].astype(float) for w in ("now", "then"))
            diff |= ~np.isclose(now_, then_, rtol=0, atol=TOLERANCE, equal_nan=True)
        if diff.any() and not then.empty:  # not collected at all: missing, not stale
            status["stale"] = True
            status["stale_effects"] += sorted(merged.loc[diff, "effect"].astype(str))
        # every specification, not only the main one, must come from this run's data, code
        # and shared settings (`stage.fingerprint`)
        now_print = current[family].get("fingerprint") or ""
        prints = rows["fingerprint"] if "fingerprint" in rows.columns else pd.Series("", rows.index)
        other = sorted(rows.loc[prints.fillna("").astype(str) != now_print, "spec_id"].unique())
        status["families"][family]["fingerprint"] = now_print
        status["families"][family]["stale_specifications"] = len(other)
        if other:
            status["stale"] = True
        parts.append(rows)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not table.empty:
        table = table.sort_values(["family", "effect", "estimate", "spec_id"], kind="stable")
        table["rank"] = table.groupby(["family", "effect"]).cumcount() + 1
        table = table.reset_index(drop=True)
    status["specifications"] = sum(f["specifications"] for f in status["families"].values())
    status["collected"] = sum(f["collected"] for f in status["families"].values())
    status["complete"] = status["collected"] == status["specifications"]
    return table, status


SUMMARY_COLUMNS = [
    "family", "effect", "kind", "x", "m", "y", "specifications", "main_estimate", "median", "min",
    "max", "share_same_sign", "share_significant", "share_significant_same_sign",
]  # fmt: skip


def summary(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per effect: specifications, main estimate, median, range and the sign/significance shares."""
    rows = []
    groups = table.groupby(["family", "effect"], sort=False) if len(table) else []
    for (family, effect), g in groups:
        # a specification that cannot estimate the effect (e.g. never-treated controls when
        # every district adopts a measure) is not a specification of it
        g = g[g["estimate"].notna()]
        if g.empty:
            continue
        main = g[g["main"]]
        main_est = float(main["estimate"].iloc[0]) if len(main) else float("nan")
        sign = np.sign(main_est) if np.isfinite(main_est) else np.sign(g["estimate"].median())
        significant = g["p"] < alpha
        same = np.sign(g["estimate"]) == sign
        first = g.iloc[0]
        rows.append(
            {
                "family": family,
                "effect": effect,
                "kind": first["kind"],
                "x": first["x"],
                "m": first["m"] if isinstance(first["m"], str) else "",
                "y": first["y"],
                "specifications": len(g),
                "main_estimate": main_est,
                "median": float(g["estimate"].median()),
                "min": float(g["estimate"].min()),
                "max": float(g["estimate"].max()),
                "share_same_sign": float(same.mean()),
                "share_significant": float(significant.mean()),
                "share_significant_same_sign": float((significant & same).mean()),
            }
        )
    return _effect_order(pd.DataFrame(rows, columns=SUMMARY_COLUMNS)).reset_index(drop=True)


def _round(value, digits: int = 4):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    rob = params["robustness"]
    main = {k: rob["spec"][k] for k in gridmod.FAMILIES["survey"] + gridmod.FAMILIES["policy"]}
    specs = gridmod.expand(main, rob["grid"].to_dict())
    alpha = float(rob["alpha"])
    collected = read_collected(args.experiments)
    current = {
        "survey": json.loads(args.main_survey.read_text(encoding="utf-8")),
        "policy": json.loads(args.main_policy.read_text(encoding="utf-8")),
    }
    table, status = curve_table(collected, specs, main, current)
    if data_source(params) == "own" and (status["stale"] or not status["collected"]):
        write_skipped("spec_curve", GRID_NOT_RUN, [args.out], args.metrics)
        return
    summ = summary(table, alpha)
    status["alpha"] = alpha
    status["main"] = main
    for family, f in status["families"].items():
        print(
            f"spec_curve: {family}: {f['collected']}/{f['specifications']} specifications "
            "collected" + (f", missing {len(f['missing'])}" if f["missing"] else ""),
            file=sys.stderr,
        )
    if status["stale"]:
        n_other = sum(f["stale_specifications"] for f in status["families"].values())
        differ = ", ".join(status["stale_effects"][:5]) or "none"
        print(
            f"spec_curve: WARNING: the collected experiments are stale: {n_other} "
            "specifications were made from other data, code or settings than this run; main "
            f"estimates that differ: {differ}. Rerun `jianfu spec-curve run`.",
            file=sys.stderr,
        )
    with atomic_dir(args.out) as folder:
        write_csv(folder / "spec_curve.csv", table)
        write_csv(folder / "summary.csv", summ)
        write_json(folder / "status.json", status)
        detail = {
            "specifications": status["specifications"],
            "collected": status["collected"],
            "complete": status["complete"],
            "stale": status["stale"],
            "effects": {
                r["effect"]: {
                    "specifications": int(r["specifications"]),
                    "median": _round(r["median"]),
                    "share_same_sign": _round(r["share_same_sign"]),
                    "share_significant": _round(r["share_significant"]),
                }
                for _, r in summ.iterrows()
            },
        }
        write_json(folder / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics: the grid's counts, completeness and staleness, the number of effects and
    the lowest and median share of specifications in which an effect is significant (per effect
    in ``<out>/summary.json`` and ``summary.csv``)."""
    shares = [e["share_significant"] for e in detail["effects"].values()]
    shares = sorted(s for s in shares if s is not None)
    return {
        **{k: v for k, v in detail.items() if k != "effects"},
        "effects": len(detail["effects"]),
        "share_significant_min": shares[0] if shares else None,
        "share_significant_median": _round(float(np.median(shares))) if shares else None,
    }
