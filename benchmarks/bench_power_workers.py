"""Benchmark: replications per second of a power study with 1 and with 2 workers.

The same study (one design, one effect level, `--reps` replications; n_boot 500) runs in this
process (1 worker) and on a 2-process pool (`--backend local`) or a 2-worker Dask LocalCluster
(`--backend dask`), in the same run; results must be identical, and the speed-up (replications
per second with 2 workers / with 1) should be at least 1.8 on a machine with 2 idle cores. Pool
or cluster start-up is included in the 2-worker time.

    .venv/bin/python benchmarks/bench_power_workers.py [--reps 120] [--backend local|dask]
"""

from __future__ import annotations

import argparse
import os
import time

import pandas as pd

from jianfu.power.simulate import Design, Effects, ModelSettings
from jianfu.power.study import Study, process_pool, run_study


def _timed(study: Study, **kwargs) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    out = run_study(study, progress=False, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=120)
    parser.add_argument("--backend", choices=["local", "dask"], default="local")
    parser.add_argument("--n-boot", type=int, default=500)
    args = parser.parse_args()
    study = Study(
        seed=1,
        designs=(Design(14, 5, 34, 24),),
        effects=(Effects(-0.0675, -0.08, -0.3),),
        replications=args.reps,
        model=ModelSettings(n_boot=args.n_boot),
    )
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    one, t1 = _timed(study, workers=1)
    if args.backend == "local":
        two, t2 = _timed(study, workers=2)
        # steady state: a pool already started (and warmed up on other seeds)
        with process_pool(2) as pool:
            warm = Study(2, study.designs, study.effects, 4, study.model)
            run_study(warm, executor=pool, chunk_size=1, progress=False)
            again, t2w = _timed(study, executor=pool)
        pd.testing.assert_frame_equal(one, again, check_exact=True)
        print(f"2 workers, warm pool: {t2w:6.1f} s  {args.reps / t2w:6.2f} replications/s "
              f"(speed-up {t1 / t2w:.2f})")  # fmt: skip
    else:
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            two, _ = _timed(study, backend="dask", client=client)
        t2 = time.perf_counter() - t0
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    r1, r2 = args.reps / t1, args.reps / t2
    print(f"1 worker : {t1:6.1f} s  {r1:6.2f} replications/s")
    print(f"2 workers: {t2:6.1f} s  {r2:6.2f} replications/s ({args.backend}, start-up included)")
    print(f"speed-up : {r2 / r1:.2f} (target >= 1.8); results identical")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
