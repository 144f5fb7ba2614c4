"""Benchmark of the workload-event generator: throughput and peak memory (a streaming check).

Generates N events (default 100,000,000) with `jianfu.simulate.admin.write_events` into a
temporary directory, and as a baseline in the same run a small log of N·small_share events.
Each run is a fresh subprocess, so its peak resident memory (``ru_maxrss``) is its own. Prints
events per second, peak RSS, file size, and the ratio of peak RSS large / small, which stays near
1 when memory does not grow with the number of events.

The params come from a params file (default params.yaml) with the sections named by
``--frame-section``, ``--rollout-section`` and ``--admin-section``; ``events_scale`` is replaced
by the scale that gives N expected events (`admin.expected_event_count`).

    python benchmarks/bench_events.py 20000000
    python benchmarks/bench_events.py --params my_params.yaml
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _section(params, dotted: str):
    for key in dotted.split("."):
        params = params[key]
    return params


def worker(args: argparse.Namespace) -> None:
    """One generator run; prints a JSON line of measurements."""
    import numpy as np

    from jianfu.core.params import load_params
    from jianfu.simulate import admin, frame, rollout

    params = load_params(args.params)
    ref = ROOT / "data" / "reference"
    districts, townships = frame.read_reference(
        ref / "cq_districts.csv", ref / "cq_townships_2023.csv"
    )
    units = frame.build_frame(
        districts,
        townships,
        _section(params, args.frame_section),
        np.random.default_rng(args.seed),
    )
    roll = rollout.make_rollout(
        units, _section(params, args.rollout_section), np.random.default_rng(args.seed + 1)
    )
    p = _section(params, args.admin_section).to_dict()
    per_unit_scale = admin.expected_event_count(units, roll, p) / p["events_scale"]
    p["events_scale"] = args.worker / per_unit_scale
    path = Path(args.out) / f"events_{args.worker}.parquet"
    start = time.perf_counter()
    summary = admin.write_events(units, roll, p, args.seed, path)
    seconds = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {
        "target": args.worker,
        "events": summary["events"],
        "rows": summary["rows"],
        "seconds": seconds,
        "events_per_second": summary["events"] / seconds,
        "peak_rss_mib": rss_kib / 1024,
        "file_mib": path.stat().st_size / 2**20,
        "events_scale": p["events_scale"],
    }
    path.unlink()
    print(json.dumps(result))


def _run(n: int, args: argparse.Namespace, out: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(n),
        "--out",
        out,
        "--params",
        str(args.params),
        "--seed",
        str(args.seed),
        "--frame-section",
        args.frame_section,
        "--rollout-section",
        args.rollout_section,
        "--admin-section",
        args.admin_section,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"benchmark run of {n:,} events failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict) -> str:
    return (
        f"{label:<9}{r['events']:>14,} events {r['seconds']:>9.1f} s "
        f"{r['events_per_second']:>13,.0f} events/s   peak RSS {r['peak_rss_mib']:>8.1f} MiB   "
        f"file {r['file_mib']:>8.1f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000_000, help="events to generate")
    parser.add_argument("--small-share", type=float, default=0.01, help="baseline size / N")
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--seed", type=int, default=20240603)
    parser.add_argument("--frame-section", default="simulate.frame")
    parser.add_argument("--rollout-section", default="simulate.rollout")
    parser.add_argument("--admin-section", default="simulate.admin")
    parser.add_argument("--tmp", default=None, help="directory for the temporary files")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args)
        return
    small_n = max(1, round(args.n * args.small_share))
    with tempfile.TemporaryDirectory(dir=args.tmp) as out:
        print(f"write_events benchmark: baseline {small_n:,} events, then {args.n:,} events")
        small = _run(small_n, args, out)
        print(_line("baseline", small), flush=True)
        large = _run(args.n, args, out)
        print(_line("large", large))
    print(f"peak RSS large / baseline: {large['peak_rss_mib'] / small['peak_rss_mib']:.2f}")
    print(
        f"throughput large / baseline: "
        f"{large['events_per_second'] / small['events_per_second']:.2f}"
    )


if __name__ == "__main__":
    main()
