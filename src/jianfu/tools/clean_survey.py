"""Clean any survey export with the pipeline's ingest steps: 问卷星 (xlsx/CSV, 按文本/按序号),
腾讯问卷 xlsx, SPSS .sav, Stata .dta or plain CSV.

Writes to OUT the same files as the pipeline's ingest stage: clean.parquet, quarantine.parquet
(every removed row with all its reasons), extra_columns.parquet, survey.sav, survey.dta, and the
mapping / cleaning report (survey_ingest_report.json, cleaning_flow.csv, cell_issues.csv).
Settings come from the ``ingest`` section of params.yaml. Personal data are replaced by keyed
pseudonyms: set JIANFU_DEID_KEY or create the key file named in params.yaml first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.codebook.params_check import check_stage_params
from jianfu.core.io import atomic_dir
from jianfu.core.params import load_params
from jianfu.core.reference import read_reference
from jianfu.ingest.survey import process_survey, write_survey_outputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="the export file")
    parser.add_argument("--codebook", required=True, type=Path, help="codebook YAML")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--sheet",
        default=None,
        help="worksheet name (xlsx/xls; default: the sheet that holds the answers)",
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--districts", type=Path, default=Path("data/reference/cq_districts.csv"))
    parser.add_argument(
        "--townships", type=Path, default=Path("data/reference/cq_townships_2023.csv")
    )


def run(args: argparse.Namespace) -> None:
    p = load_params(args.params)["ingest"]
    cb = load_codebook(args.codebook)
    check_stage_params("clean-survey", {"ingest": p}, cb)
    districts, towns = read_reference(args.districts, args.townships)
    result = process_survey(
        args.input,
        cb,
        towns,
        p,
        simulated=False,
        root=Path.cwd(),
        sheet=args.sheet,
        districts=districts,
    )
    with atomic_dir(args.out) as out:
        report = write_survey_outputs(result, cb, out, out)
    rows = report["rows"]
    print(
        f"{args.input}: {rows['in']} rows in, {rows['clean']} clean, "
        f"{rows['quarantined']} quarantined -> {args.out}/"
    )
