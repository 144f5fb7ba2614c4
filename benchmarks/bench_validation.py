"""Benchmark: estimator validation -- coverage of the 95 % CIs over 500 replications.

Runs `jianfu.power` replications of the default design (14 districts x 5 townships x 34
cadres, 24 months: the survey design of params.yaml's ``simulate`` section) at the true effects
of the survey model (DM -> FB -> EE: a = -0.15, b = 0.45, indirect -0.0675; FB x FT -> EE:
-0.08) and a policy ATT of -0.3 SD, and prints, per estimand, the coverage of the 95 % CIs of
the indirect effect (percentile cluster bootstrap), the moderation interaction (cluster-robust
by township) and the Callaway-Sant'Anna simple aggregate ATT (CR1 by district), with Monte Carlo
SEs, plus bias, empirical SD and mean SE. Target: coverage in [0.93, 0.97].

    .venv/bin/python benchmarks/bench_validation.py [--reps 500] [--workers 2] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import time

from jianfu.power.simulate import Design, Effects, ModelSettings
from jianfu.power.study import Study, run_study, summarise

DEFAULT_DESIGN = Design(14, 5, 34, 24)
TRUE_EFFECTS = Effects(indirect=-0.15 * 0.45, interaction=-0.08, att=-0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240603)
    parser.add_argument("--districts", type=int, default=DEFAULT_DESIGN.districts)
    parser.add_argument("--checkpoint", default=None, help="folder to resume from")
    args = parser.parse_args()
    design = Design(
        args.districts,
        DEFAULT_DESIGN.townships_per_district,
        DEFAULT_DESIGN.cadres_per_township,
        DEFAULT_DESIGN.months,
    )
    study = Study(
        seed=args.seed,
        designs=(design,),
        effects=(TRUE_EFFECTS,),
        replications=args.reps,
        model=ModelSettings(n_boot=args.n_boot, b_path=0.45),
    )
    t0 = time.perf_counter()
    results = run_study(study, workers=args.workers, checkpoint=args.checkpoint)
    elapsed = time.perf_counter() - t0
    summary = summarise(results)
    print(f"design {design.label('en')}, {args.reps} replications, n_boot {args.n_boot}, "
          f"{elapsed:.0f} s")  # fmt: skip
    heads = ["truth", "coverage", "± MCSE", "bias", "± MCSE", "emp SD", "mean SE", "SE/SD"]
    widths = [8, 9, 7, 8, 7, 7, 8, 6]
    cols = " ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
    print(f"{'estimand':<12} {cols} {'power':>6} {'failed':>6}")
    for r in summary.itertuples(index=False):
        flag = "" if 0.93 <= r.coverage <= 0.97 else "  <- outside [0.93, 0.97]"
        print(
            f"{r.estimand:<12} {r.truth:>8.4f} {r.coverage:>9.3f} {r.coverage_mcse:>7.3f} "
            f"{r.bias:>8.4f} {r.bias_mcse:>7.4f} {r.emp_sd:>7.4f} {r.mean_se:>8.4f} "
            f"{r.mean_se / r.emp_sd:>6.2f} {r.power:>6.2f} {r.n_failed:>6}{flag}"
        )


if __name__ == "__main__":
    main()
