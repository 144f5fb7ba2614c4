"""Stage `ingest`: read, map, normalise, de-identify and clean the survey; validate the office
records. Nothing personal leaves this stage in clear text.

Reads, by params ``data.source``:
  ``simulated``  the simulator's exports in ``<simulated-dir>/survey`` and office records in
                 ``<simulated-dir>/admin``;
  ``own``        the researcher's exports in ``<own-dir>/survey`` and, when supplied, office
                 records in ``<own-dir>/admin`` (docs/own_data.md gives the format). Nothing is
                 ever written there.
Every survey file matching ``data.survey_files.<source>`` is read; rows keep their file
(``source_file``). Also reads the codebook, the township reference; params ``data``, ``ingest.*``.
Writes:
  ``<data-out>/survey/``  clean.parquet, quarantine.parquet (all reasons per row),
                          extra_columns.parquet, survey.sav and survey.dta (Chinese labels);
  ``<data-out>/admin/``   clean and quarantined events, hotline tickets, roll-out, registry —
                          or only SKIPPED.json when there are no office records (own data);
  ``<reports-out>/``      the mapping and cleaning report (JSON), the CONSORT-style flow and
                          the cell issues (CSV for Excel), the office records' validation,
                          ``summary.json`` (counts per rule and table);
  ``--metrics``           the headline counts (DVC metrics: rows in, clean, quarantined …).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.codebook.params_check import check_stage_params
from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, write_json, write_skipped
from jianfu.core.params import NO_RECORDS, TrackedParams, data_source
from jianfu.core.reference import read_reference
from jianfu.ingest import admin
from jianfu.ingest.survey import find_exports, process_survey, write_survey_outputs

REGISTRY = ("registry_districts", "registry_townships", "registry_villages")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--districts", required=True, type=Path)
    parser.add_argument("--townships", required=True, type=Path)
    parser.add_argument(
        "--simulated-dir", required=True, type=Path, help="the simulator's survey/ and admin/"
    )
    parser.add_argument(
        "--own-dir", required=True, type=Path, help="your own survey/ (and admin/) exports"
    )
    parser.add_argument("--data-out", required=True, type=Path)
    parser.add_argument("--reports-out", required=True, type=Path)
    parser.add_argument("--metrics", required=True, type=Path)


def _progress(message: str) -> None:
    print(f"jianfu ingest: {message}", file=sys.stderr, flush=True)


#: The office tables, each as Parquet or CSV (UTF-8, header row); the registries as Parquet.
ADMIN_TABLES = ("events", "hotline", "rollout")
#: The codebook id the simulator writes its exports for.
SIMULATOR_CODEBOOK_ID = "cadre_survey"


def _admin_file(folder: Path, name: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        if (folder / f"{name}{suffix}").exists():
            return folder / f"{name}{suffix}"
    return None


def admin_files(folder: Path) -> dict[str, Path] | None:
    """The office records in `folder` (None when it holds none; a clear error when only some
    of the required files are there)."""
    found = {name: _admin_file(folder, name) for name in ADMIN_TABLES}
    found |= {
        name: folder / f"{name}.parquet"
        for name in REGISTRY
        if (folder / f"{name}.parquet").exists()
    }
    present = {k: v for k, v in found.items() if v is not None}
    if not present:
        return None
    required = [*ADMIN_TABLES, *REGISTRY[:2]]
    missing = [name for name in required if name not in present]
    if missing:
        raise JianfuError(
            f"{folder}: office records are incomplete: missing "
            + ", ".join(
                f"{m}.parquet" + (" (or .csv)" if m in ADMIN_TABLES else "") for m in missing
            )
            + "; supply all of them (docs/own_data.md, 'Office records') or none"
        )
    return present


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["ingest"]
    source = data_source(params)
    cb = load_codebook(args.codebook)
    check_stage_params("ingest", params, cb)
    if source == "simulated" and cb.id != SIMULATOR_CODEBOOK_ID:
        raise JianfuError(
            f"data.source is simulated, but data.codebook ({args.codebook}) is the codebook "
            f"{cb.id!r}: the simulated data follow codebook/cadre_survey.yaml. Set data.source: "
            "own to analyse your own exports, or data.codebook back to the cadre codebook"
        )
    districts, towns = read_reference(args.districts, args.townships)
    base = args.simulated_dir if source == "simulated" else args.own_dir
    paths = find_exports(
        base / "survey",
        params["data"]["survey_files"].to_dict()[source],
        key=f"data.survey_files.{source}",
    )
    _progress(f"reading {len(paths)} file(s) ({source} data): {', '.join(x.name for x in paths)}")
    result = process_survey(
        paths,
        cb,
        towns,
        p,
        simulated=source == "simulated",
        root=Path.cwd(),
        districts=districts,
    )
    admin_in = admin_files(base / "admin")
    with (
        atomic_dir(args.data_out / "survey") as data_dir,
        atomic_dir(args.reports_out) as report_dir,
    ):
        report = write_survey_outputs(result, cb, data_dir, report_dir)
        report_source = {"source": source, "files": [x.name for x in paths]}
        write_json(report_dir / "data_source.json", report_source)
        _progress(
            f"survey: {report['rows']['in']} rows in, {report['rows']['clean']} clean, "
            f"{report['rows']['quarantined']} quarantined"
        )
        if admin_in is None:
            reason = NO_RECORDS.format(folder=(base / "admin").as_posix())
            write_skipped("ingest (office records)", reason, [args.data_out / "admin"])
            admin_reports = {}
        else:
            _progress("validating office records")
            with atomic_dir(args.data_out / "admin") as admin_dir:
                admin_reports = validate_admin(admin_in, admin_dir, p["admin"])
        write_json(report_dir / "admin_validation_report.json", admin_reports)
        detail = summary(source, len(paths), report, admin_reports)
        write_json(report_dir / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def summary(source: str, files: int, report: dict, admin_reports: dict) -> dict:
    """Counts per rule and table (``<reports-out>/summary.json``; the report reads it)."""
    return {
        "source": source,
        "survey": {
            "files": files,
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
    }


def headline(detail: dict) -> dict:
    """The DVC metrics: rows in / clean / quarantined, files, unmatched townships and the office
    records' quarantined rows (none without office records); the detail is in `summary`."""
    survey = detail["survey"]
    out = {
        "source": detail["source"],
        "files": survey["files"],
        "rows_in": survey["rows"]["in"],
        "rows_clean": survey["rows"]["clean"],
        "rows_quarantined": survey["rows"]["quarantined"],
        "townships_unmatched": survey["townships"].get("by_status", {}).get("unmatched", 0),
    }
    if detail["admin"]:
        out["admin_rows_quarantined"] = sum(t["rows_quarantined"] for t in detail["admin"].values())
    return out


def validate_admin(files: dict[str, Path], out: Path, p) -> dict:
    """Validate every office table into clean / quarantine files; copy the registry."""
    registry = files["registry_townships"]
    reports = {}
    for name, validate in (("events", admin.validate_events), ("hotline", admin.validate_hotline)):
        _progress(f"validating {name}")
        reports[name] = validate(
            files[name],
            registry,
            out / f"{name}.parquet",
            out / f"{name}_quarantine.parquet",
            p,
        )
    reports["rollout"] = admin.validate_rollout(
        files["rollout"],
        files["registry_districts"],
        out / "rollout.parquet",
        out / "rollout_quarantine.parquet",
        p,
    )
    for name in REGISTRY:
        if name in files:
            shutil.copyfile(files[name], out / f"{name}.parquet")
    return reports
