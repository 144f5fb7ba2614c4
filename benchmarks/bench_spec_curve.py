"""Benchmark: the specification grid evaluated by the `spec_curve` stage, 1 vs N workers.

Evaluates every specification of params.yaml's grid (127 full specifications: 112 survey and 16
policy ones) on the pipeline's current outputs (run `dvc repro spec_survey spec_policy` first),
in this process (1 worker) and on a local pool of ``--workers`` processes, in the same run; the
two tables must be identical. Prints wall seconds, specifications per second, the speed-up and
the machine's busy CPU seconds (run it on an idle machine), beside the figure measured before
Step 13, when each specification was one DVC experiment (`jianfu spec-curve run -j 2`: 18–36
minutes for the default grid on the 2-core machine, most of it DVC's own work per experiment).

    .venv/bin/python benchmarks/bench_spec_curve.py [--workers 2] [--skip-serial]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from jianfu.codebook.load import load_codebook
from jianfu.core.params import load_params
from jianfu.robustness import evaluate
from jianfu.robustness import grid as gridmod
from jianfu.robustness.policy import load_panel

ROOT = Path(__file__).resolve().parents[1]
#: the default grid as DVC experiments before Step 13 (two queue workers, 2 cores)
BEFORE_SECONDS = (18 * 60, 36 * 60)


def _cpu() -> float:
    """The machine's busy CPU seconds (all processes): the pool's workers are children of
    multiprocessing's forkserver, not of this process, so `os.times()` misses them. On an
    idle machine this is the run's own CPU time."""
    import psutil

    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def _timed(specs, survey, policy, workers: int) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    table = evaluate.evaluate_grid(specs, survey=survey, policy=policy, workers=workers)
    return table, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-serial", action="store_true", help="only the pool")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    rob = params["robustness"]
    main_spec = {k: rob["spec"][k] for fam in gridmod.FAMILIES.values() for k in fam}
    specs = gridmod.expand(main_spec, rob["grid"].to_dict())
    folder = ROOT / "data/processed/survey"
    rows = pd.concat(
        [pd.read_parquet(folder / "clean.parquet"), pd.read_parquet(folder / "quarantine.parquet")],
        ignore_index=True,
    )
    survey = (
        rows,
        load_codebook(ROOT / params["data"]["codebook"]),
        params["ingest"]["clean"].to_dict(),
        evaluate.survey_settings(params),
    )
    policy = (load_panel(ROOT / "data/processed/panel"), evaluate.policy_settings(params))
    n = sum(len(gridmod.family_specs(specs, f)) for f in gridmod.FAMILIES)
    print(f"grid: {len(specs)} full specifications, {n} family specifications; os.cpu_count() "
          f"= {os.cpu_count()}")  # fmt: skip
    cpu0 = _cpu()
    pooled, t_pool = _timed(specs, survey, policy, args.workers)
    cpu_pool = _cpu() - cpu0
    print(f"{args.workers} workers: {t_pool:.1f} s wall ({n / t_pool:.2f} specifications/s), "
          f"{cpu_pool:.1f} CPU s")  # fmt: skip
    if not args.skip_serial:
        cpu0 = _cpu()
        serial, t_serial = _timed(specs, survey, policy, 1)
        print(f"1 worker:  {t_serial:.1f} s wall ({n / t_serial:.2f} specifications/s), "
              f"{_cpu() - cpu0:.1f} CPU s")  # fmt: skip
        pd.testing.assert_frame_equal(serial, pooled)
        print(f"identical tables; speed-up {t_serial / t_pool:.2f}")
    lo, hi = BEFORE_SECONDS
    print(f"before Step 13 (one DVC experiment per specification, 2 queue workers): "
          f"{lo / 60:.0f}–{hi / 60:.0f} min; now {t_pool:.1f} s = 1/{lo / t_pool:.0f} to "
          f"1/{hi / t_pool:.0f} of that")  # fmt: skip


if __name__ == "__main__":
    main()
