"""List where the pipeline's results are: every stage's outputs, metrics and plots."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dvc-file", type=Path, default=Path("dvc.yaml"))


def outputs(dvc_file: Path) -> dict[str, list[str]]:
    """Stage name -> declared outputs, metrics and plots (templated paths resolved by DVC)."""
    from dvc.repo import Repo

    with Repo(str(dvc_file.parent.resolve())) as repo:
        result = {}
        for stage in repo.index.stages:
            result[stage.name] = sorted(str(o.def_path) for o in stage.outs)
    return result


def run(args: argparse.Namespace) -> None:
    print("Results of the pipeline (stage: outputs):")
    for stage, paths in outputs(args.dvc_file).items():
        for path in paths:
            mark = "ok " if Path(path).exists() else "-- "
            print(f"  {mark}{stage:<16} {path}")
    print(
        "Report: reports/report.docx (and .html); figures: reports/figures/; tables: "
        "reports/tables/; metrics: `dvc metrics show`."
    )
