"""Benchmark: the policy stage's estimators, as they were before Step 13 and as they are now.

Runs `jianfu.policy.stage.estimate` (Callaway–Sant'Anna with never/not-yet controls, cluster and
unit SEs, strata; TWFE with the wild cluster bootstrap; its event study; Sun–Abraham) on the
pipeline's township-month panel for some measure -> outcome pairs, twice in the same process:

* "before": the code paths of the stage before Step 13, restored by patching: pyfixest for every
  fixed-effects regression (the Sun–Abraham one has a dummy per cohort x event time), a second
  Callaway–Sant'Anna fit for the unit-level SEs, the propensity score and outcome-regression
  design recomputed in every ATT(g,t) cell, the sparse-matrix two-way demeaning;
* "now": the stage as it runs (sparse two-way FE algebra on balanced panels, one fit with both
  SE kinds, designs shared by the cells, demeaning by reshaping).

It prints the seconds of each (CPU and wall), their ratio and the largest difference between the
two sets of tables (the fixed-effects numbers agree to rounding, ~1e-11; everything else is
bit-identical, and the wild bootstrap draws are the same). Before Step 13 the stage took 32–39 s
on a fresh clone (issue 18).

    .venv/bin/python benchmarks/bench_policy.py [--panel data/processed/panel] [--pairs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.core.params import load_params
from jianfu.policy import did, stage


@contextlib.contextmanager
def before_step13():
    """The estimators' code paths before Step 13 (see the module docstring)."""
    saved = {
        "fe_ols": did._fe_ols,
        "att": did._att_2x2,
        "cs": did.callaway_santanna,
        "unclustered": did.CallawaySantAnnaResult.unclustered,
        "init": did._TwoWayDemeaner.__init__,
    }

    def cs(data, **kw):
        res = saved["cs"](data, **kw)
        res._refit_unit = lambda: saved["cs"](data, **{**kw, "cluster": None})
        return res

    def init(self, u, t):
        saved["init"](self, u, t)
        self.grid = False

    did._fe_ols = lambda *a, **k: None
    did._att_2x2 = lambda dy, D, X, method, design=None: saved["att"](dy, D, X, method)
    did.callaway_santanna = cs
    did.CallawaySantAnnaResult.unclustered = lambda self: self._refit_unit()
    did._TwoWayDemeaner.__init__ = init
    try:
        yield
    finally:
        did._fe_ols = saved["fe_ols"]
        did._att_2x2 = saved["att"]
        did.callaway_santanna = saved["cs"]
        did.CallawaySantAnnaResult.unclustered = saved["unclustered"]
        did._TwoWayDemeaner.__init__ = saved["init"]


def run(panel: pd.DataFrame, pairs, p: dict) -> tuple[float, float, dict]:
    out: dict[str, list[pd.DataFrame]] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for measure, outcome in pairs:
            base = p["baseline_months"] if outcome in p["baseline_covariate"] else None
            frame, _ = stage.prepare(panel, measure, outcome, base)
            for key, tables in stage.estimate(frame, measure=measure, outcome=outcome, p=p).items():
                out.setdefault(key, []).extend(tables)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def largest_difference(a: dict, b: dict) -> float:
    worst = 0.0
    for key in a:
        x, y = pd.concat(a[key], ignore_index=True), pd.concat(b[key], ignore_index=True)
        assert list(x.columns) == list(y.columns) and len(x) == len(y), key
        for col in x.columns:
            if x[col].dtype.kind == "f":
                u, v = x[col].to_numpy(float), y[col].to_numpy(float)
                assert (np.isnan(u) == np.isnan(v)).all(), (key, col)
                d = np.abs(u - v) / np.maximum(np.abs(v), 1.0)
                worst = max(worst, float(np.nanmax(d, initial=0.0)))
            else:
                assert x[col].equals(y[col]), (key, col)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panel", type=Path, default=Path("data/processed/panel"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--pairs", type=int, default=3, help="measure -> outcome pairs (of 9)")
    args = parser.parse_args()
    p = load_params(args.params)["policy"].to_dict()
    panel = pd.read_parquet(args.panel / "township_month.parquet")
    pairs = [(m, o) for m, outcomes in p["effects"].items() for o in outcomes]
    # spread over the measures (their cohorts differ: 5 to 16 adoption months)
    pick = [pairs[i] for i in np.linspace(0, len(pairs) - 1, args.pairs).round().astype(int)]
    print(f"pairs: {', '.join(f'{m}→{o}' for m, o in pick)}")
    run(panel, pick[:1], p)  # warm-up: imports, caches
    with before_step13():
        old_wall, old_cpu, old = run(panel, pick, p)
    new_wall, new_cpu, new = run(panel, pick, p)
    print(f"before Step 13: {old_wall:7.2f} s wall {old_cpu:7.2f} s CPU")
    print(f"now:            {new_wall:7.2f} s wall {new_cpu:7.2f} s CPU")
    print(f"ratio before / now: {old_wall / new_wall:.1f} wall, {old_cpu / new_cpu:.1f} CPU")
    print(f"largest difference between the tables (relative, or absolute below 1): "
          f"{largest_difference(new, old):.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
