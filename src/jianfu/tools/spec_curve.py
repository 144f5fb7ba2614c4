"""Run the specification curve's grid as DVC experiments and collect the results.

  jianfu spec-curve plan             list the specifications of params.yaml's grid
  jianfu spec-curve run [-j N]       queue one DVC experiment per specification that has none
                                     yet (`dvc exp run --queue -S robustness.spec.…`), run the
                                     queue N at a time (`dvc queue start -j N`), wait, collect
  jianfu spec-curve collect          only collect: every experiment's metrics -> one table

The table is ``robustness/experiments.csv``; commit it with the code and data it was made from,
then `dvc repro` draws the curve (stage ``spec_curve``), its figures and the report's appendix.
Run from the project root, in a Git repository whose last commit holds the current pipeline
(experiments are based on it, with your uncommitted changes). To add a choice: add the value
to ``robustness.grid`` in params.yaml (README, "Robustness: the specification curve").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.io import write_csv
from jianfu.core.params import load_params
from jianfu.robustness import experiments
from jianfu.robustness import grid as gridmod


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["plan", "run", "collect"])
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="experiments at a time (robustness.jobs)"
    )
    parser.add_argument("--out", type=Path, default=Path(experiments.COLLECTED))


def grid_specs(params_path: Path) -> tuple[list[dict], dict]:
    """The full specifications of the grid and the robustness params."""
    rob = load_params(params_path)["robustness"].to_dict()
    keys = gridmod.FAMILIES["survey"] + gridmod.FAMILIES["policy"]
    missing = [k for k in keys if k not in rob.get("spec", {})]
    if missing:
        raise JianfuError(f"{params_path}: robustness.spec lacks {', '.join(missing)}")
    main = {k: rob["spec"][k] for k in keys}
    return gridmod.expand(main, rob.get("grid") or {}), rob


def run(args: argparse.Namespace) -> None:
    root = args.params.resolve().parent
    specs, rob = grid_specs(args.params)
    if args.action == "plan":
        for family in gridmod.FAMILIES:
            print(f"{family}: {len(gridmod.family_specs(specs, family))} specifications")
        print(f"experiments (the main specification counted once): {len(specs)}")
        for spec in specs:
            varied = ", ".join(f"{k}={v}" for k, v in spec.items() if v != specs[0][k])
            print(f"  {gridmod.experiment_name(spec)}  {varied or '(main specification)'}")
        return
    if args.action == "run":
        jobs = args.jobs if args.jobs is not None else int(rob.get("jobs", 1))
        experiments.run(root, specs, jobs=jobs)
    table, missing = experiments.collect(experiments.show(root), specs)
    out = args.out if args.out.is_absolute() else root / args.out
    write_csv(out, table)
    print(
        f"spec-curve: {len(specs) - len(missing)}/{len(specs)} specifications collected into "
        f"{out.relative_to(root) if out.is_relative_to(root) else out} ({len(table)} rows)"
    )
    if missing:
        print(f"spec-curve: no successful experiment yet for {len(missing)}: run `run` again")
    print("Next: `dvc repro` (stage spec_curve, figures, report), then commit the table.")
