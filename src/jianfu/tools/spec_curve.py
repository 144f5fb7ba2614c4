"""List the specification grid, and the DVC experiment that reproduces one specification.

  jianfu spec-curve plan            every specification of params.yaml's grid: its id and the
                                    choices that differ from the main specification
  jianfu spec-curve exp <spec-id>   the `dvc exp run -S …` command that reproduces one of them
                                    (a ``survey-…`` or ``policy-…`` id of spec_curve.csv)

The grid itself is evaluated by the pipeline (stage ``spec_curve``, `dvc repro`), in parallel,
from the workspace's current data: there is nothing to run or collect by hand. To add a choice:
add the value to ``robustness.grid`` in params.yaml (docs/robustness.md).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.params import load_params
from jianfu.robustness import grid as gridmod


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["plan", "exp"])
    parser.add_argument("spec_id", nargs="?", help="exp: a spec_id of spec_curve.csv")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))


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
    specs, _ = grid_specs(args.params)
    if args.action == "plan":
        for family in gridmod.FAMILIES:
            print(f"{family}: {len(gridmod.family_specs(specs, family))} specifications")
        print(f"full specifications (the main one counted once): {len(specs)}")
        for spec in specs:
            varied = ", ".join(f"{k}={v}" for k, v in spec.items() if v != specs[0][k])
            ids = " ".join(gridmod.family_spec_id(spec, f) for f in gridmod.FAMILIES)
            print(f"  {ids}  {varied or '(main specification)'}")
        return
    if not args.spec_id:
        raise JianfuError("spec-curve exp: give a spec_id, e.g. survey-1a2b3c4d (spec-curve plan)")
    family = args.spec_id.split("-", 1)[0]
    if family not in gridmod.FAMILIES:
        raise JianfuError(f"spec-curve exp: {args.spec_id!r} is not a survey-… or policy-… id")
    for spec in specs:
        if gridmod.family_spec_id(spec, family) == args.spec_id:
            print(shlex.join(["dvc", *gridmod.exp_run_args(spec, family)]))
            return
    raise JianfuError(
        f"spec-curve exp: {args.spec_id} is not a specification of params.yaml's grid "
        "(`jianfu spec-curve plan` lists them)"
    )
