"""Validate a codebook and print a summary, or every problem with its line and location."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.codebook.stage import summarize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "codebook",
        type=Path,
        nargs="?",
        default=Path("codebook/cadre_survey.yaml"),
        help="codebook file (default: codebook/cadre_survey.yaml)",
    )


def run(args: argparse.Namespace) -> None:
    cb = load_codebook(args.codebook)
    print(f"{args.codebook}: valid")
    print(json.dumps(summarize(cb), ensure_ascii=False, indent=2))
