"""Stage `simulate`: the default input data, a simulated survey export and office records.

Reads: the codebook; the reference frame (districts, townships); params ``simulate.*``.
Writes:
  ``<survey-out>/``  问卷星 exports (按文本 and 按序号 .xlsx, optional GBK .csv), as real files are;
  ``<admin-out>/``   office records (Parquet): the unit registry, the policy roll-out table,
                     workload events (streamed) and 12345 hotline tickets;
  ``<truth-out>/``   the truth: parameters and estimands (JSON), respondents' latent scores and
                     true townships, true ATT(g,t) per measure and outcome, every dirty row with
                     its reason; ``summary.json``: counts per reason, table and event type;
  ``--metrics``      the headline counts (DVC metrics, `headline`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.codebook.load import load_codebook
from jianfu.core.io import atomic_dir, write_csv, write_json
from jianfu.core.params import TrackedParams
from jianfu.simulate import admin, export, frame, generate, rollout


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--districts", required=True, type=Path)
    parser.add_argument("--townships", required=True, type=Path)
    parser.add_argument(
        "--survey-out", required=True, type=Path, help="folder for the survey export files"
    )
    parser.add_argument(
        "--admin-out", required=True, type=Path, help="folder for the office records (Parquet)"
    )
    parser.add_argument("--truth-out", required=True, type=Path, help="folder for the truth")
    parser.add_argument("--metrics", required=True, type=Path, help="metrics JSON")


def _progress(message: str) -> None:
    print(f"jianfu simulate: {message}", file=sys.stderr, flush=True)


def export_name(survey_id: int, variant: str, title: str, n: int, ext: str) -> str:
    """问卷星's file name: ``{问卷ID}_按文本_{标题}_{n}_{n}.xlsx``."""
    label = {"text": "按文本", "code": "按序号"}[variant]
    return f"{survey_id}_{label}_{title}_{n}_{n}.{ext}"


def write_survey_exports(cb, draw: generate.SurveyDraw, p, out: Path, seed: int) -> pd.DataFrame:
    """Write the export files; return the blank-row dirt (file, sheet row) they contain."""
    rng = generate.component_rng(seed, "blank_rows")
    n = len(draw.answers)
    blank_rate = float(p["dirt"]["blank_row_rate"])
    k = round(blank_rate * n)
    positions = np.sort(rng.choice(n, size=k, replace=False))
    records = []
    for variant in p["export"]["variants"]:
        table = export.wjx_table(cb, draw.answers, variant, draw.skipped, draw.contact)
        table, sheet_rows = export.insert_blank_rows(table, positions)
        formats = [("xlsx", "xlsx")] + (
            [("csv_gbk", "csv")] if p["export"]["gbk_csv"] and variant == "text" else []
        )
        for fmt, ext in formats:
            name = export_name(p["export"]["survey_id"], variant, cb.title.zh, n, ext)
            export.write_export(table, out / name, fmt)
            records += [{"file": name, "sheet_row": r, "reason": "blank_row"} for r in sheet_rows]
    return pd.DataFrame(records, columns=["file", "sheet_row", "reason"])


#: Survey workload items (block C) and the office event type whose roll-out effects they share.
WORKLOAD_EVENT_TYPES = {
    "meetings_month": "meeting",
    "documents_month": "document",
    "report_forms_month": "report_submission",
    "report_submissions_month": "report_submission",
    "inspections_month": "inspection",
    "app_minutes_day": "app_minutes",
}


def survey_multipliers(roll: pd.DataFrame, month: str, p_admin) -> generate.Multipliers:
    """The roll-out's effect on each respondent's workload answers for `month` ("last month")."""

    def multipliers(people: pd.DataFrame) -> dict[str, np.ndarray]:
        codes = people["district_code"].to_numpy()
        return {
            item: rollout.rate_multiplier(roll, codes, month, event, p_admin)
            for item, event in WORKLOAD_EVENT_TYPES.items()
        }

    return multipliers


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["simulate"]
    seed = int(p["seed"])
    cb = load_codebook(args.codebook)
    districts, townships = frame.read_reference(args.districts, args.townships)
    units = frame.build_frame(
        districts, townships, p["frame"], generate.component_rng(seed, "frame")
    )
    roll = rollout.make_rollout(units, p["rollout"], generate.component_rng(seed, "rollout"))
    fielded = pd.Timestamp(p["survey"]["fielding"]["fielded"])
    last_month = (fielded.to_period("M") - 1).strftime("%Y-%m")
    _progress("drawing the cadre survey")
    draw = generate.simulate_survey(
        cb, units, p["survey"], seed, survey_multipliers(roll, last_month, p["admin"])
    )
    _progress(f"{len(draw.answers)} submissions; writing exports")
    with atomic_dir(args.survey_out) as survey_dir:
        blank = write_survey_exports(cb, draw, p["survey"], survey_dir, seed)
    with atomic_dir(args.admin_out) as admin_dir:
        registry = admin.write_registry(units, admin_dir / "registry_")
        roll.to_parquet(admin_dir / "rollout.parquet", index=False)
        _progress("streaming the workload event log")
        events = admin.write_events(units, roll, p["admin"], seed, admin_dir / "events.parquet")
        _progress(f"{events['rows']:,} event rows; streaming 12345 hotline tickets")
        hotline = admin.write_hotline(
            units, roll, draw.township_we, p["admin"], seed, admin_dir / "hotline.parquet"
        )
    _progress("writing the truth")
    with atomic_dir(args.truth_out) as truth_dir:
        write_json(truth_dir / "survey_truth.json", draw.truth)
        draw.respondents.to_parquet(truth_dir / "survey_respondents.parquet", index=False)
        write_csv(truth_dir / "survey_dirt.csv", draw.dirt)
        write_csv(truth_dir / "survey_blank_rows.csv", blank)
        submissions = draw.answers[["seq", "response_id", "duplicate_of"]].rename(
            columns={"duplicate_of": "duplicate_of_response"}
        )
        write_csv(truth_dir / "survey_submissions.csv", submissions)
        draw.township_we.reset_index().to_parquet(truth_dir / "township_we.parquet", index=False)
        att = rollout.att_truth(units, roll, p["admin"], draw.township_we)
        att.to_parquet(truth_dir / "att.parquet", index=False)
        admin_dirt = pd.concat([events["dirt"], hotline["dirt"]], ignore_index=True)
        admin_dirt.to_parquet(truth_dir / "admin_dirt.parquet", index=False)
        reasons = draw.dirt.drop_duplicates(["seq", "reason"])["reason"].value_counts()
        admin_reasons = admin_dirt.groupby(["table", "reason"]).size()
        detail = {
            "survey": {
                "respondents": draw.truth["design"]["respondents"],
                "submissions": draw.truth["design"]["submissions"],
                "townships": draw.truth["design"]["townships"],
                "districts": len(draw.truth["design"]["districts"]),
                "dirty_rows": {k: int(v) for k, v in sorted(reasons.items())},
                "blank_rows": int(blank["sheet_row"].nunique()) if len(blank) else 0,
            },
            "admin": {
                "registry": registry,
                "event_rows": int(events["rows"]),
                "events_by_type": events["by_type"],
                "hotline_tickets": int(hotline["rows"]),
                "dirty_rows": {f"{t}.{r}": int(v) for (t, r), v in sorted(admin_reasons.items())},
            },
        }
        write_json(truth_dir / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics: respondents, submissions, the dirty survey rows (each counted once per
    reason, so a row with two reasons counts twice), townships, event rows, hotline tickets and
    dirty office rows; per reason and type in ``<truth-out>/summary.json``."""
    survey, admin_ = detail["survey"], detail["admin"]
    return {
        "respondents": survey["respondents"],
        "submissions": survey["submissions"],
        "dirty_row_reasons": sum(survey["dirty_rows"].values()),
        "blank_rows": survey["blank_rows"],
        "townships": survey["townships"],
        "event_rows": admin_["event_rows"],
        "hotline_tickets": admin_["hotline_tickets"],
        "admin_dirty_rows": sum(admin_["dirty_rows"].values()),
    }
