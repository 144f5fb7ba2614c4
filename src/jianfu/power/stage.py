"""Stage `power`: Monte Carlo power and estimator performance over sample designs.

Reads: params ``power.*`` and the figures' font (``--fonts``: the fonts stage's folder or the
TTF itself).
Writes:
  ``<out>/replications.parquet``  one row per (design, effect level, replication, estimand):
                                  estimate, SE, CI, p, reject, covered, error;
  ``<out>/summary.parquet|.csv``  per estimand × design × effect level: power, bias, RMSE,
                                  coverage and their Monte Carlo SEs, with the design's sizes;
  ``<out>/grant_table.csv|.md``   per estimand and effect size, the smallest design with 80 %
                                  power (the table a grant application quotes);
  ``<out>/power_curves_{zh,en}.{pdf,svg,png}``  the power curves;
  ``--checkpoint``                finished replications (JSON lines), kept between runs so that
                                  an interrupted run resumes (declare it ``persist: true``);
  ``<out>/summary.json``           power, coverage, bias per estimand, design and effect level
                                  (rounded, nested: `metrics`);
  ``--metrics``                   the headline numbers (DVC metrics, `headline`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from jianfu.core.io import atomic_dir, write_csv, write_json, write_text
from jianfu.core.params import TrackedParams
from jianfu.figures import fonts
from jianfu.figures.style import LANGS, save_figure
from jianfu.power.figures import power_curves
from jianfu.power.study import (
    describe,
    grant_markdown,
    grant_table,
    run_study,
    study_from_params,
    summarise,
)

TARGET_POWER = 0.80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fonts", required=True, type=Path, help="fonts folder or the TTF")
    parser.add_argument("--out", required=True, type=Path, help="folder for results and figures")
    parser.add_argument(
        "--checkpoint", required=True, type=Path, help="folder of finished replications (resume)"
    )
    parser.add_argument("--metrics", required=True, type=Path)
    parser.add_argument("--workers", type=int, default=None, help="override power.workers")


def _progress(message: str) -> None:
    print(f"jianfu power: {message}", file=sys.stderr, flush=True)


def font_path(path: Path) -> Path:
    return path / fonts.FONT_FILE if path.is_dir() else path


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["power"]
    study = study_from_params(p)
    backend = str(p["backend"])
    workers = int(p["workers"]) if args.workers is None else int(args.workers)
    scheduler = p["dask"]["scheduler"]
    n = len(study.keys())
    _progress(
        f"{len(study.designs)} designs × {len(study.effects)} effect levels × "
        f"{study.replications} replications = {n} on {backend}"
        + (f" ({scheduler})" if backend == "dask" else f" ({workers} workers)")
    )
    results = run_study(
        study,
        backend=backend,
        workers=workers,
        scheduler=None if scheduler is None else str(scheduler),
        checkpoint=args.checkpoint,
    )
    summary = describe(summarise(results), study)
    table = grant_table(summary, TARGET_POWER)
    fonts.use_font(font_path(args.fonts))
    with atomic_dir(args.out) as out:
        results.to_parquet(out / "replications.parquet", index=False)
        summary.to_parquet(out / "summary.parquet", index=False)
        write_csv(out / "summary.csv", summary)
        write_csv(out / "grant_table.csv", table)
        write_text(
            out / "grant_table.md",
            grant_markdown(table, target=TARGET_POWER, alpha=study.model.alpha),
        )
        for lang in LANGS:
            fig = power_curves(summary, lang, alpha=study.model.alpha)
            save_figure(fig, out / f"power_curves_{lang}")
        detail = metrics(summary)
        write_json(out / "summary.json", detail)
    write_json(args.metrics, headline(detail))
    _progress(f"done: {args.out}")


def _r(value) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)


def metrics(summary: pd.DataFrame) -> dict:
    """Power and coverage per estimand, design and effect level (rounded for DVC)."""
    out: dict = {}
    for r in summary.itertuples(index=False):
        key = f"{r.design_label} | effect {r.truth:g}"
        out.setdefault(str(r.estimand), {})[key] = {
            "power": _r(r.power),
            "coverage": _r(r.coverage),
            "bias": _r(r.bias),
            "n_reps": int(r.n_reps),
        }
    return out


def headline(detail: dict) -> dict:
    """The DVC metrics from `metrics`' nested numbers: how many estimands, designs and effect
    levels, replications per cell, and the range of power and coverage over all cells."""
    cells = [c for by_design in detail.values() for c in by_design.values()]

    def extreme(fn, key: str) -> float | None:
        values = [c[key] for c in cells if c[key] is not None]
        return fn(values) if values else None

    return {
        "estimands": len(detail),
        "cells": len(cells),
        "replications_min": extreme(min, "n_reps"),
        "power_min": extreme(min, "power"),
        "power_max": extreme(max, "power"),
        "coverage_min": extreme(min, "coverage"),
        "coverage_max": extreme(max, "coverage"),
    }
