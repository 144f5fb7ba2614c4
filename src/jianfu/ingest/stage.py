"""Stage `ingest`: read, map, normalise, de-identify and clean the survey; validate the office
records. Nothing personal leaves this stage in clear text.

Reads: the survey export in ``--survey-dir`` (the one file matching ``ingest.survey_file``), the
office records in ``--admin-dir`` (registry, roll-out, events, hotline), the codebook, the
township reference; params ``ingest.*``.
Writes:
  ``<data-out>/survey/``  clean.parquet, quarantine.parquet (all reasons per row),
                          extra_columns.parquet, survey.sav and survey.dta (Chinese labels);
  ``<data-out>/admin/``   clean and quarantined events, hotline tickets, roll-out, registry;
  ``<reports-out>/``      the mapping and cleaning report (JSON), the CONSORT-style flow and
                          the cell issues (CSV for Excel), the office records' validation;
  ``--metrics``           counts per rule and table (DVC metrics).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.core.io import atomic_dir, write_json
from jianfu.core.params import TrackedParams
from jianfu.core.reference import read_reference
from jianfu.ingest import admin
from jianfu.ingest.survey import process_survey, require_file, write_survey_outputs

REGISTRY = ("registry_districts.parquet", "registry_townships.parquet", "registry_villages.parquet")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--districts", required=True, type=Path)
    parser.add_argument("--townships", required=True, type=Path)
    parser.add_argument("--survey-dir", required=True, type=Path)
    parser.add_argument("--admin-dir", required=True, type=Path)
    parser.add_argument("--data-out", required=True, type=Path)
    parser.add_argument("--reports-out", required=True, type=Path)
    parser.add_argument("--metrics", required=True, type=Path)


def _progress(message: str) -> None:
    print(f"jianfu ingest: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["ingest"]
    cb = load_codebook(args.codebook)
    districts, towns = read_reference(args.districts, args.townships)
    path = require_file(args.survey_dir, p["survey_file"])
    _progress(f"reading {path.name}")
    result = process_survey(
        path,
        cb,
        towns,
        p,
        simulated=bool(p["simulated_data"]),
        root=Path.cwd(),
        districts=districts,
    )
    with (
        atomic_dir(args.data_out / "survey") as data_dir,
        atomic_dir(args.reports_out) as report_dir,
    ):
        report = write_survey_outputs(result, cb, data_dir, report_dir)
        _progress(
            f"survey: {report['rows']['in']} rows in, {report['rows']['clean']} clean, "
            f"{report['rows']['quarantined']} quarantined; validating office records"
        )
        with atomic_dir(args.data_out / "admin") as admin_dir:
            admin_reports = validate_admin(args.admin_dir, admin_dir, p["admin"])
        write_json(report_dir / "admin_validation_report.json", admin_reports)
    write_json(
        args.metrics,
        {
            "survey": {
                "rows": report["rows"],
                "reasons": report["reasons"],
                "townships": {
                    k: v for k, v in report["townships"].items() if k in ("by_status", "by_method")
                },
            },
            "admin": {
                name: {k: r[k] for k in ("rows_in", "rows_clean", "rows_quarantined")}
                for name, r in admin_reports.items()
            },
        },
    )


def validate_admin(src: Path, out: Path, p) -> dict:
    """Validate every office table into clean / quarantine files; copy the registry."""
    registry = src / "registry_townships.parquet"
    reports = {}
    for name, validate in (("events", admin.validate_events), ("hotline", admin.validate_hotline)):
        _progress(f"validating {name}")
        reports[name] = validate(
            src / f"{name}.parquet",
            registry,
            out / f"{name}.parquet",
            out / f"{name}_quarantine.parquet",
            p,
        )
    reports["rollout"] = admin.validate_rollout(
        src / "rollout.parquet",
        src / "registry_districts.parquet",
        out / "rollout.parquet",
        out / "rollout_quarantine.parquet",
        p,
    )
    for name in REGISTRY:
        shutil.copyfile(src / name, out / name)
    return reports
