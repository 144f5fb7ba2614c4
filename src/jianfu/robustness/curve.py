"""Stage `spec_curve`: the specification curve, every specification estimated in this run.

Evaluates every specification of the grid (``robustness.spec`` + ``robustness.grid``,
`jianfu.robustness.grid.expand`) on the workspace's current inputs — every de-identified survey
row (the ingest stage's clean rows and its quarantine) and the township-month panel — in
parallel (`jianfu.robustness.evaluate`; ``robustness.backend`` and ``robustness.workers``, the
same local-pool / Dask backend as the power study). The curve is therefore never out of date:
`dvc repro` reruns it whenever the data, the code or a setting it depends on changes.

The main specification's estimates must equal the single-specification stages' own
(``metrics/spec_survey.json``, ``metrics/spec_policy.json``) to 1e-9: the two code paths
compute the same numbers, and a difference is an error, not a warning.

Writes ``<out>/spec_curve.csv`` (every specification × effect: choices, estimate, CI, rank
within the effect, whether it is the main specification, significance, the error of a
specification that could not be estimated), ``<out>/summary.csv`` (per effect: number of
specifications, the main estimate, median, range, share with the main estimate's sign, share
significant at ``alpha``, share significant with that sign — the descriptive
specification-curve summary of Simonsohn et al. 2020) and ``<out>/status.json`` and
``<out>/summary.json`` (the counts per family and the summary per effect); ``--metrics`` holds
the headline (`headline`).
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
from jianfu.core.io import atomic_dir, skipped_reason, write_csv, write_json
from jianfu.core.params import TrackedParams
from jianfu.robustness import grid as gridmod

TOLERANCE = 1e-9
#: display order of the effects: by kind, then by measure (the three pillars' order)
KIND_ORDER = ("path", "indirect", "att")
X_ORDER = ("PV", "RL", "DM", "DE", "FC", "FT", "AS",
           "yibiaotong", "app_clean", "negative_list", "duty_list")  # fmt: skip
#: the single-specification stages' metrics files (their main-specification estimates)
METRICS = {"survey": "metrics/spec_survey.json", "policy": "metrics/spec_policy.json"}


def _effect_order(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` sorted by kind, measure (`X_ORDER`, others after) and outcome."""
    kind = frame["kind"].map({k: i for i, k in enumerate(KIND_ORDER)}).fillna(len(KIND_ORDER))
    x = frame["x"].map({k: i for i, k in enumerate(X_ORDER)}).fillna(len(X_ORDER))
    keyed = frame.assign(_k=kind, _x=x)
    return keyed.sort_values(["_k", "_x", "x", "y"], kind="stable").drop(columns=["_k", "_x"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path, help="the questionnaire codebook")
    parser.add_argument("--survey", required=True, type=Path, help="the ingest stage's survey dir")
    parser.add_argument("--panel", required=True, type=Path, help="the panel stage's output dir")
    parser.add_argument("--main-survey", required=True, type=Path, help=METRICS["survey"])
    parser.add_argument("--main-policy", required=True, type=Path, help=METRICS["policy"])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--metrics", required=True, type=Path)


def check_main(grid: pd.DataFrame, family: str, main_id: str, metrics: Mapping) -> None:
    """The grid's main specification must reproduce the single-specification stage's numbers."""
    rows = grid[(grid["family"] == family) & (grid["spec_id"] == main_id)]
    effects = metrics.get("effects") or {}
    got = {str(r["effect"]): r for r in rows.to_dict(orient="records")}
    if set(got) != set(effects):
        raise JianfuError(
            f"spec_curve: the grid's main {family} specification has the effects "
            f"{sorted(got)}, {METRICS[family]} has {sorted(effects)}"
        )
    for effect, want in effects.items():
        for col in ("estimate", "se", "ci_low", "ci_high", "p"):
            a, b = got[effect][col], want.get(col)
            a = float("nan") if a is None else float(a)
            b = float("nan") if b is None else float(b)
            if not np.isclose(a, b, rtol=0, atol=TOLERANCE, equal_nan=True):
                raise JianfuError(
                    f"spec_curve: the main {family} specification's {effect} {col} is {a!r} in "
                    f"the grid but {b!r} in {METRICS[family]}: the grid and the "
                    f"spec_{family} stage must compute the same numbers"
                )


def curve_table(
    grid: pd.DataFrame, specs: list[dict], main: Mapping, skipped: Mapping[str, str]
) -> tuple[pd.DataFrame, dict]:
    """The grid's rows ranked per effect (``rank``, ``main``), and the status per family.

    ``grid``: `evaluate.evaluate_grid`'s table; ``specs``: the grid's full specifications;
    ``main``: the main specification; ``skipped``: family -> why it was not estimated.
    """
    status: dict = {"families": {}}
    parts = []
    for family in gridmod.FAMILIES:
        wanted = {gridmod.family_spec_id(s, family) for s in specs}
        if family in skipped:
            # e.g. own data without office records: no panel, no policy effects
            status["families"][family] = {
                "skipped": skipped[family], "specifications": 0, "estimated": 0, "failed": [],
            }  # fmt: skip
            continue
        rows = grid[grid["family"] == family].copy()
        errors = rows[rows["error"] != ""].drop_duplicates("spec_id")
        status["families"][family] = {
            "specifications": len(wanted),
            "estimated": len(wanted) - len(errors),
            "failed": [
                {"spec_id": r["spec_id"], "error": r["error"]}
                for r in errors.to_dict(orient="records")
            ],
            "main_spec_id": gridmod.family_spec_id(main, family),
        }
        rows = rows[rows["error"] == ""]
        rows["main"] = rows["spec_id"] == gridmod.family_spec_id(main, family)
        parts.append(rows)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not table.empty:
        table = table.sort_values(["family", "effect", "estimate", "spec_id"], kind="stable")
        table["rank"] = table.groupby(["family", "effect"]).cumcount() + 1
        table = table.reset_index(drop=True)
    fams = status["families"].values()
    status["specifications"] = sum(f["specifications"] for f in fams)
    status["estimated"] = sum(f["estimated"] for f in fams)
    status["complete"] = status["estimated"] == status["specifications"]
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


def _survey_rows(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_parquet(folder / "clean.parquet"), pd.read_parquet(folder / "quarantine.parquet")],
        ignore_index=True,
    )


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    from jianfu.codebook.load import load_codebook
    from jianfu.robustness import evaluate
    from jianfu.robustness.policy import PANEL_FILE, load_panel

    rob = params["robustness"]
    main = {k: rob["spec"][k] for k in gridmod.FAMILIES["survey"] + gridmod.FAMILIES["policy"]}
    specs = gridmod.expand(main, rob["grid"].to_dict())
    alpha = float(rob["alpha"])
    current = {
        "survey": json.loads(args.main_survey.read_text(encoding="utf-8")),
        "policy": json.loads(args.main_policy.read_text(encoding="utf-8")),
    }
    skipped = {f: m["skipped"] for f, m in current.items() if m.get("skipped") is not None}
    panel_skip = skipped_reason(args.panel)
    if panel_skip is not None:
        skipped.setdefault("policy", panel_skip)
    survey = None
    if "survey" not in skipped:
        survey = (
            _survey_rows(args.survey),
            load_codebook(args.codebook),
            params["ingest"]["clean"].to_dict(),
            evaluate.survey_settings(params),
        )
    policy = None
    if "policy" not in skipped:
        panel_file = args.panel / PANEL_FILE if args.panel.is_dir() else args.panel
        policy = (load_panel(panel_file), evaluate.policy_settings(params))
    n_survey = len(gridmod.family_specs(specs, "survey")) if survey is not None else 0
    n_policy = len(gridmod.family_specs(specs, "policy")) if policy is not None else 0
    backend = rob["backend"]
    workers = int(rob["workers"])
    print(
        f"spec_curve: {n_survey} survey + {n_policy} policy specifications on {backend}"
        + (f" ({workers} workers)" if backend == "local" else ""),
        file=sys.stderr,
        flush=True,
    )
    grid = evaluate.evaluate_grid(
        specs,
        survey=survey,
        policy=policy,
        backend=backend,
        workers=workers,
        scheduler=rob["dask"]["scheduler"],
        progress=evaluate.stderr_progress("spec_curve"),
    )
    for family in gridmod.FAMILIES:
        if family not in skipped:
            check_main(grid, family, gridmod.family_spec_id(main, family), current[family])
    table, status = curve_table(grid, specs, main, skipped)
    summ = summary(table, alpha)
    status["alpha"] = alpha
    status["main"] = main
    for family, f in status["families"].items():
        line = f"spec_curve: {family}: {f['estimated']}/{f['specifications']} estimated"
        if f.get("skipped"):
            line += f" (skipped: {f['skipped']})"
        for failed in f["failed"]:
            line += f"\nspec_curve: WARNING: {failed['spec_id']} failed: {failed['error']}"
        print(line, file=sys.stderr)
    with atomic_dir(args.out) as folder:
        write_csv(folder / "spec_curve.csv", table)
        write_csv(folder / "summary.csv", summ)
        write_json(folder / "status.json", status)
        detail = {
            "specifications": status["specifications"],
            "estimated": status["estimated"],
            "complete": status["complete"],
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
    """The DVC metrics: the grid's counts and completeness, the number of effects and the lowest
    and median share of specifications in which an effect is significant (per effect in
    ``<out>/summary.json`` and ``summary.csv``)."""
    shares = [e["share_significant"] for e in detail["effects"].values()]
    shares = sorted(s for s in shares if s is not None)
    return {
        **{k: v for k, v in detail.items() if k != "effects"},
        "effects": len(detail["effects"]),
        "share_significant_min": shares[0] if shares else None,
        "share_significant_median": _round(float(np.median(shares))) if shares else None,
    }
