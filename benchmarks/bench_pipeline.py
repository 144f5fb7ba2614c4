"""Benchmark: fresh clone -> complete report, with each stage's seconds (Step 13's target: 120 s).

Clones this repository (its committed HEAD) into a temporary folder with nothing beside it (no
`../shared`), runs the README's `python3 bootstrap.py pipeline` there (set-up from uv's cache,
then the whole `dvc repro`) and prints, from the output's lines as they arrive:

* set-up: from the start to DVC's first "Running stage";
* per stage: the wall seconds from its "Running stage" line to the next one (what the stage costs
  the pipeline: Python and DVC start-up, imports, work, DVC saving its outputs) and the stage's
  own "jianfu <stage>: done in X s" (in-process, after imports);
* the total, and beside each the figure measured before Step 13 (issue 18, a fresh clone on a
  2-core machine: pipeline 250–298 s including set-up; a later session measured 180 s).

The machine is shared: run it when nothing else runs, or read the numbers as an upper bound.

    python3 benchmarks/bench_pipeline.py [--keep] [--repo PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: seconds per stage before Step 13 (issue 18); stages not listed there have no figure
BEFORE = {
    "figures": "52–70",
    "policy": "32–39",
    "fonts": "12",
    "simulate": "10.5",
    "ingest": "10",
    "models": "7.6",
    "power": "8",
}
BEFORE_TOTAL = "250–298 (180 in a later session)"
RUNNING = re.compile(r"Running stage '([^']+)'")
DONE = re.compile(r"^jianfu (\S+): done in ([0-9.]+) s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to clone")
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints where)")
    parser.add_argument("--log", type=Path, help="also write the pipeline's output here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jianfu-bench-pipeline-"))
    clone = tmp / "jianfu"  # nothing beside it: no ../shared
    try:
        subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "bootstrap.py", "pipeline"],
            cwd=clone,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # lines as they happen
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        setup = None
        order: list[str] = []
        began: dict[str, float] = {}
        done: dict[str, float] = {}
        log = args.log.open("w", encoding="utf-8") if args.log else None
        for line in proc.stdout:
            now = time.perf_counter() - start
            if log:
                log.write(f"{now:8.2f} {line}")
            if m := RUNNING.search(line):
                setup = now if setup is None else setup
                order.append(m.group(1))
                began[m.group(1)] = now
            elif m := DONE.match(line.strip()):
                done.setdefault(m.group(1), float(m.group(2)))
        code = proc.wait()
        total = time.perf_counter() - start
        if log:
            log.close()
        if code != 0:
            raise SystemExit(f"bootstrap.py pipeline failed (exit {code}); see --log")
    finally:
        if args.keep:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    ends = [began[s] for s in order[1:]] + [total]
    print(f"{'step':<18}{'wall s':>8}{'in-stage s':>12}   before Step 13 (s)")
    print(f"{'set-up':<18}{setup or 0.0:>8.1f}{'':>12}   (included in the total)")
    for stage, end in zip(order, ends, strict=True):
        wall = end - began[stage]
        inner = f"{done[stage]:.1f}" if stage in done else "-"
        print(f"{stage:<18}{wall:>8.1f}{inner:>12}   {BEFORE.get(stage, '')}")
    print(f"{'total':<18}{total:>8.1f}{'':>12}   {BEFORE_TOTAL}")
    print("target: <= 120 s on 2 cores, set-up included")


if __name__ == "__main__":
    main()
