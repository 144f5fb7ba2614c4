"""Stage `verify_cleaning`: each cleaning rule's precision and recall against the simulated truth.

Only meaningful for the built-in simulated data, whose truth (`data/truth/`) says which export
rows are speeders, straight-liners, duplicates and so on, and which township each respondent
really belongs to. Reads the ingest stage's clean and quarantined rows (de-identified; matched
by 序号); writes every rule's scores and the township matching accuracy to
``<out>/summary.json`` and the headline (lowest precision and recall, errors, township accuracy:
`headline`) as DVC metrics.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.core.io import atomic_dir, write_json, write_skipped
from jianfu.core.params import NO_TRUTH, TrackedParams, data_source
from jianfu.ingest.clean import RULES, precision_recall

#: Cleaning rules with a simulated truth, and the truth's reason for each.
TRUTH_REASONS = {
    "speeder": "speeder",
    "straightliner": "straightliner",
    "attention_fail": "attention_fail",
    "duplicate": "duplicate",
    "out_of_range": "out_of_range",
    "logic_conflict": "logic_conflict",
    "blank_row": "blank_row",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--survey", required=True, type=Path, help="ingest's survey folder")
    parser.add_argument("--report", required=True, type=Path, help="ingest's reports folder")
    parser.add_argument("--truth", required=True, type=Path, help="the simulator's truth")
    parser.add_argument("--out", required=True, type=Path, help="folder for summary.json")
    parser.add_argument("--metrics", required=True, type=Path)


def rule_flags(clean: pd.DataFrame, quarantine: pd.DataFrame) -> pd.DataFrame:
    """Which rules fired on every input row, rebuilt from the clean and quarantined rows."""
    rows = pd.concat([clean.assign(reasons=""), quarantine], ignore_index=True)
    flags = pd.DataFrame(
        {rule: rows["reasons"].str.split(";").map(lambda r, x=rule: x in r) for rule in RULES}
    )
    for rule in RULES:
        col = f"flag_{rule}"
        if col in rows:
            flags[rule] |= rows[col].fillna(False).astype(bool)
    flags["seq"] = rows["seq"].to_numpy()
    flags["file_row"] = rows["file_row"].to_numpy()
    flags["township_code"] = rows.get("township_code", pd.Series(pd.NA, index=rows.index))
    flags["township_match"] = rows.get("township_match", pd.Series(pd.NA, index=rows.index))
    return flags


def truth_flags(flags: pd.DataFrame, truth: Path, file_name: str) -> dict[str, np.ndarray]:
    """The true dirt of every row: by respondent (a resubmission inherits it) and by row."""
    dirt = pd.read_csv(truth / "survey_dirt.csv", encoding="utf-8-sig")
    subs = pd.read_csv(truth / "survey_submissions.csv", encoding="utf-8-sig")
    blank = pd.read_csv(truth / "survey_blank_rows.csv", encoding="utf-8-sig")
    response = flags["seq"].map(subs.set_index("seq")["response_id"])
    out = {}
    for rule, reason in TRUTH_REASONS.items():
        if reason == "blank_row":
            rows = blank.loc[blank["file"] == file_name, "sheet_row"]
            out[rule] = flags["file_row"].isin(rows).to_numpy()
        elif reason == "duplicate":
            seqs = dirt.loc[dirt["reason"] == "duplicate", "seq"]
            out[rule] = flags["seq"].isin(seqs).to_numpy()
        else:
            ids = dirt.loc[dirt["reason"] == reason, "response_id"]
            out[rule] = response.isin(ids).to_numpy()
    return out


def township_accuracy(flags: pd.DataFrame, truth: Path) -> dict:
    """Share of respondents whose township was matched correctly; confident wrong matches."""
    subs = pd.read_csv(truth / "survey_submissions.csv", encoding="utf-8-sig")
    people = pd.read_parquet(truth / "survey_respondents.parquet")
    rows = flags[flags["seq"].notna()]
    response = rows["seq"].map(subs.set_index("seq")["response_id"])
    true_code = response.map(people.set_index("response_id")["township_code"])
    got = pd.to_numeric(rows["township_code"], errors="coerce")
    matched = rows["township_match"] == "matched"
    correct = matched & (got == true_code)
    return {
        "respondent_rows": len(rows),
        "matched_correctly": round(float(correct.mean()), 4),
        "confident_wrong_matches": int((matched & (got != true_code)).sum()),
        "flagged_for_review": int((~matched).sum()),
    }


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    if data_source(params) != "simulated":
        write_skipped("verify_cleaning", NO_TRUTH, [args.out], args.metrics)
        return
    clean = pd.read_parquet(args.survey / "clean.parquet")
    quarantine = pd.read_parquet(args.survey / "quarantine.parquet")
    report = json.loads((args.report / "survey_ingest_report.json").read_text(encoding="utf-8"))
    flags = rule_flags(clean, quarantine)
    scores = precision_recall(flags, truth_flags(flags, args.truth, report["file"]))
    detail = {"rules": scores, "townships": township_accuracy(flags, args.truth)}
    with atomic_dir(args.out) as out:
        write_json(out / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics: rules scored, the lowest precision and recall over them, the rows wrongly
    flagged or missed in all, and the township matcher's accuracy."""
    rules = detail["rules"].values()

    def lowest(key: str) -> float | None:
        values = [r[key] for r in rules if r[key] is not None]
        return min(values) if values else None

    towns = detail["townships"]
    return {
        "rules": len(detail["rules"]),
        "precision_min": lowest("precision"),
        "recall_min": lowest("recall"),
        "false_positives": sum(r["false_positives"] for r in rules),
        "false_negatives": sum(r["false_negatives"] for r in rules),
        "townships_matched_correctly": towns["matched_correctly"],
        "townships_confident_wrong": towns["confident_wrong_matches"],
    }
