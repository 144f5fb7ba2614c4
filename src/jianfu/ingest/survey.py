"""From one survey export to clean, de-identified data: read → map → normalise → match townships
→ de-identify → clean, with every row accounted for.

`ingest_survey` is what both the pipeline's `ingest` stage and the `jianfu clean-survey`
command run, so a researcher's own 问卷星 / 腾讯问卷 / SPSS / Stata / CSV file goes through
exactly the steps the default data go through.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import write_csv, write_json
from jianfu.ingest import clean, deid, labelled, township
from jianfu.ingest.mapping import map_columns
from jianfu.ingest.normalize import by_unique, canon, normalise
from jianfu.ingest.read import read_survey
from jianfu.ingest.types import ColumnMap, RawSurvey

#: Meta fields that are personal data, and the pseudonym kind each gets.
PERSONAL = ("name", "phone", "id_number", "email", "ip")


@dataclass(frozen=True)
class SurveyResult:
    raw: RawSurvey
    cmap: ColumnMap
    cleaned: clean.Cleaned
    issues: pd.DataFrame
    townships: pd.DataFrame
    deid_report: dict
    extra: pd.DataFrame


def _blank_rows(raw: RawSurvey) -> pd.Series:
    empty = pd.concat([by_unique(raw.frame[c], canon) == "" for c in raw.frame.columns], axis=1)
    return empty.all(axis=1).reset_index(drop=True)


def _text_columns(cb: Codebook, values: pd.DataFrame) -> list[str]:
    cols = [i.id for i in cb.items if i.type == "text" and i.id in values]
    cols += [c for c in values.columns if c.endswith("_other")]
    return cols


def process_survey(
    path: Path,
    cb: Codebook,
    towns: pd.DataFrame,
    p,
    *,
    simulated: bool,
    root: Path,
    sheet: str | None = None,
    districts: pd.DataFrame | None = None,
) -> SurveyResult:
    """Run every ingest step on one export file (nothing is written).

    Parameters
    ----------
    path : the export file.
    cb : the codebook the file is mapped to.
    towns : the township reference (township_code, township_name, district_code).
    districts : the district reference (to recognise district names typed before a township).
    p : the ``ingest`` params section.
    simulated : the input is the built-in simulated data (allows the documented demo key).
    root : the project root (where the de-identification key file is looked for).
    """
    raw = read_survey(path, sheet=sheet)
    cmap = map_columns(raw, cb)
    values, issues = normalise(raw, cmap, cb)
    blank = _blank_rows(raw)

    status = None
    matched = pd.DataFrame(index=values.index)
    if "township_name" in values and "district" in values:
        matched = township.match_townships(
            values["township_name"],
            values["district"],
            towns,
            p["township"],
            districts=districts,
        )
        values["township_code"] = matched["township_code"].to_numpy()
        values["township_match_score"] = matched["score"].to_numpy()
        values["township_match"] = matched["status"].to_numpy()
        status = matched["status"].where(~blank.to_numpy(), "matched")

    key = deid.load_key(p["deid"], simulated=simulated, root=root)
    pseudo = deid.Pseudonymizer(key)
    personal = {kind: kind for kind in PERSONAL if kind in values}
    values, deid_report = deid.deidentify(values, personal, _text_columns(cb, values), pseudo)
    extra = _extra_columns(raw, cmap, pseudo)

    flags = clean.detect(values, cb, p["clean"], blank=blank, township_status=status)
    cleaned = clean.apply_rules(values, flags, p["clean"])
    if len(cleaned.clean) + len(cleaned.quarantine) != len(raw.frame):
        raise AssertionError("accounting: rows in != rows clean + rows quarantined")
    return SurveyResult(raw, cmap, cleaned, issues, matched, deid_report, extra)


def _extra_columns(raw: RawSurvey, cmap: ColumnMap, pseudo) -> pd.DataFrame:
    """Unmapped columns, kept aside (scrubbed of personal data), with the file row."""
    extra = (
        raw.frame[cmap.extra].astype("str") if cmap.extra else pd.DataFrame(index=raw.frame.index)
    )
    for col in extra.columns:
        extra[col], _ = deid.scrub_text(extra[col], [], pseudo)
    extra.insert(0, "file_row", np.asarray(raw.file_rows))
    return extra.reset_index(drop=True)


def survey_report(result: SurveyResult) -> dict:
    """The ingest report: what was read, how it was mapped, what was cleaned and why."""
    raw, cleaned = result.raw, result.cleaned
    issues = result.issues.groupby("issue").size().to_dict() if len(result.issues) else {}
    return {
        "file": raw.path.name,
        "kind": raw.kind,
        "encoding": raw.encoding,
        "sheet": raw.sheet,
        "header_row": raw.header_row,
        "reader_notes": list(raw.notes),
        "mapping": result.cmap.report(),
        "rows": {
            "in": len(raw.frame),
            "clean": len(cleaned.clean),
            "quarantined": len(cleaned.quarantine),
        },
        "reasons": cleaned.counts,
        "flow": cleaned.flow.to_dict(orient="records"),
        "cell_issues": {k: int(v) for k, v in sorted(issues.items())},
        "townships": township.match_report(result.townships)
        if len(result.townships.columns)
        else {},
        "deidentification": result.deid_report,
    }


def write_survey_outputs(
    result: SurveyResult, cb: Codebook, data_dir: Path, report_dir: Path
) -> dict:
    """Write clean data (Parquet, .sav, .dta), quarantine, extras and reports; return the
    report."""
    cleaned = result.cleaned
    cleaned.clean.to_parquet(data_dir / "clean.parquet", index=False)
    cleaned.quarantine.to_parquet(data_dir / "quarantine.parquet", index=False)
    result.extra.to_parquet(data_dir / "extra_columns.parquet", index=False)
    labels = {
        "township_code": "镇街代码（匹配）",
        "township_match_score": "镇街匹配得分",
        "township_match": "镇街匹配状态",
        **deid.column_labels("zh"),
    }
    written = {
        fmt: labelled.write_labelled(
            _for_stats(cleaned.clean), cb, data_dir / f"survey.{fmt}", fmt, labels=labels
        )
        for fmt in ("sav", "dta")
    }
    report = survey_report(result)
    report["labelled_files"] = written
    write_json(report_dir / "survey_ingest_report.json", report)
    write_csv(report_dir / "cleaning_flow.csv", cleaned.flow)
    write_csv(report_dir / "cell_issues.csv", result.issues)
    return report


def _for_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """The clean data without the bookkeeping columns SPSS/Stata users do not need."""
    drop = [c for c in frame.columns if c.endswith("__missing")]
    return frame.drop(columns=drop)


def require_file(folder: Path, pattern: str) -> Path:
    """The single export in `folder` matching `pattern` (a clear error otherwise)."""
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        names = ", ".join(p.name for p in sorted(folder.iterdir())) if folder.exists() else ""
        raise JianfuError(
            f"{folder}: expected exactly one file matching {pattern!r} "
            f"(ingest.survey_file in params.yaml), found {len(found)}"
            + (f"; the folder holds: {names}" if names else "")
        )
    return found[0]
