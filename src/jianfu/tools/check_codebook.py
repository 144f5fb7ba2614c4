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
    summary = summarize(cb)
    summary["standalone_attention_checks"] = sum(i.type != "matrix" for i in cb.attention_checks)
    summary["logic_conflicts"] = [rule.name for rule in cb.logic_conflicts]
    print(json.dumps(summary, ensure_ascii=False, indent=2))
