"""Stage `panel`: the office records → township-month and district-month panels (H6).

Reads: ``data/processed/admin/`` (the ingest stage's clean event log, hotline tickets,
registries and roll-out table); params ``panel.*`` and, for ``events_scale: auto``,
``data.source`` and ``simulate.admin.events_scale``.
Writes: ``<out>/township_month.parquet``, ``<out>/district_month.parquet`` (see
`jianfu.policy.panel`) and ``--metrics`` (rows, units, months, events and tickets used).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.io import skipped_reason, write_json, write_skipped
from jianfu.core.params import TrackedParams, data_source
from jianfu.policy import panel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin", required=True, type=Path, help="ingest's office-record folder")
    parser.add_argument("--out", required=True, type=Path, help="folder for the two panels")
    parser.add_argument("--metrics", required=True, type=Path)


def events_scale(params: TrackedParams) -> float:
    """The log's share of all events: a number, or ``auto`` (the simulator's scale for the
    simulated data, 1 for a real, complete log)."""
    value = params["panel"]["events_scale"]
    if value != "auto":
        return float(value)
    if data_source(params) == "simulated":
        return float(params["simulate"]["admin"]["events_scale"])
    return 1.0


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    skipped = skipped_reason(args.admin)
    if skipped is not None:
        write_skipped("panel", skipped, [args.out], args.metrics)
        return
    p = params["panel"]
    window = p["window"]
    if len(window) != 2:
        raise JianfuError(f"panel.window must be [first, last] months, got {window!r}")
    started = time.perf_counter()
    admin = args.admin
    summary = panel.build_panels(
        admin / "events.parquet",
        admin / "hotline.parquet",
        admin / "registry_townships.parquet",
        admin / "registry_districts.parquet",
        admin / "rollout.parquet",
        args.out,
        engine=str(p["engine"]),
        events_scale=events_scale(params),
        window=(str(window[0]), str(window[1])),
        memory_limit=str(p["duckdb"]["memory_limit"]),
        threads=int(p["duckdb"]["threads"]),
        spark_master=p["spark"]["master"],
        spark_conf={str(k): str(v) for k, v in p["spark"]["conf"].to_dict().items()},
    )
    print(
        f"jianfu panel: {summary['township_rows']:,} township-months, "
        f"{summary['events_used']:,} events, {summary['tickets_used']:,} tickets "
        f"({summary['engine']}, {time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    write_json(args.metrics, {k: v for k, v in summary.items() if k != "engine"})
