"""From one survey export to clean, de-identified data: read → map → normalise → match townships
→ de-identify → clean, with every row accounted for.

`ingest_survey` is what both the pipeline's `ingest` stage and the `jianfu clean-survey`
command run, so a researcher's own 问卷星 / 腾讯问卷 / SPSS / Stata / CSV file goes through
exactly the steps the default data go through.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
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
    """Everything `process_survey` found. `raws`/`cmaps` hold one entry per export file, in the
    order read; `raw`/`cmap` are the first file's (the only one when a single file was read)."""

    raws: tuple[RawSurvey, ...]
    cmaps: tuple[ColumnMap, ...]
    cleaned: clean.Cleaned
    issues: pd.DataFrame
    townships: pd.DataFrame
    deid_report: dict
    extra: pd.DataFrame

    @property
    def raw(self) -> RawSurvey:
        return self.raws[0]

    @property
    def cmap(self) -> ColumnMap:
        return self.cmaps[0]

    @property
    def rows_in(self) -> int:
        return sum(len(r.frame) for r in self.raws)


def _blank_rows(raw: RawSurvey) -> pd.Series:
    if not len(raw.frame.columns):
        return pd.Series(True, index=range(len(raw.frame)))
    empty = pd.concat([by_unique(raw.frame[c], canon) == "" for c in raw.frame.columns], axis=1)
    return empty.all(axis=1).reset_index(drop=True)


def _text_columns(cb: Codebook, values: pd.DataFrame) -> list[str]:
    cols = [i.id for i in cb.items if i.type == "text" and i.id in values]
    cols += [c for c in values.columns if c.endswith("_other")]
    return cols


def _with_source(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """`frame` with the export file's name as its first column, ``source_file``."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "source_file", pd.Series(name, index=frame.index, dtype="str"))
    return frame


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-file frames; a column one file lacks is missing (NA) in its rows, and
    each column keeps the nullable type the files gave it."""
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True, sort=False)


def _refuse_two_downloads_of_one_survey(raws: list[RawSurvey], parts: list[pd.DataFrame]) -> None:
    """The 按文本 and the 按序号 download of the same answers (same 序号 and submission times)
    are one survey twice: reading both would count every respondent twice."""
    keys = [
        frozenset(zip(v["seq"].dropna(), v.loc[v["seq"].notna(), "submitted_at"], strict=True))
        if {"seq", "submitted_at"} <= set(v.columns)
        else frozenset()
        for v in parts
    ]
    for i, j in itertools.combinations(range(len(raws)), 2):
        if (
            {raws[i].kind, raws[j].kind} == {"wjx_text", "wjx_code"}
            and keys[i]
            and keys[i] == keys[j]
        ):
            raise JianfuError(
                f"{raws[i].path.name} and {raws[j].path.name} are the 按文本 and 按序号 downloads "
                "of the same answers (same 序号 and submission times): keep one of them in the "
                "survey folder, or narrow data.survey_files in params.yaml; reading both would "
                "count every respondent twice"
            )


def _renumber(values: pd.DataFrame) -> pd.DataFrame:
    """Several files whose 序号 overlap (each 问卷星 link counts from 1): ``seq`` becomes a
    running number over the files, in the order read, and the file's own 序号 is kept in
    ``seq_in_file`` (``source_file`` + ``file_row`` still point at the cell in the export)."""
    if "seq" not in values or not values["seq"].dropna().duplicated().any():
        return values
    if values["source_file"].nunique() < 2:
        return values  # one file: a repeated 序号 is the duplicate rule's business
    values = values.copy()
    values.insert(values.columns.get_loc("seq") + 1, "seq_in_file", values["seq"])
    values["seq"] = pd.Series(np.arange(1, len(values) + 1), dtype="Float64")
    return values


def process_survey(
    path: Path | Sequence[Path],
    cb: Codebook,
    towns: pd.DataFrame,
    p,
    *,
    simulated: bool,
    root: Path,
    sheet: str | None = None,
    districts: pd.DataFrame | None = None,
) -> SurveyResult:
    """Run every ingest step on one export file or several read together (nothing is written).

    Parameters
    ----------
    path : the export file, or several (batches, waves, one link per district). Each file is
        read and mapped to the codebook on its own (the files may differ in kind, 按文本 or
        按序号, and in column order); their rows are then cleaned together, so a respondent who
        answered twice in different files is caught by the duplicate rule. Every row keeps its
        file in ``source_file`` (and its row in that file in ``file_row``).
    cb : the codebook the files are mapped to.
    towns : the township reference (township_code, township_name, district_code).
    districts : the district reference (to recognise district names typed before a township).
    p : the ``ingest`` params section.
    simulated : the input is the built-in simulated data (allows the documented demo key).
    root : the project root (where the de-identification key file is looked for).
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(x) for x in path]
    if not paths:
        raise JianfuError("no survey export given")
    if len({x.name for x in paths}) != len(paths):
        raise JianfuError(
            "two export files have the same name: "
            + ", ".join(str(x) for x in paths)
            + "; rename one so that every row's source_file is unambiguous"
        )
    raws, cmaps, parts, issue_parts, blanks = [], [], [], [], []
    for file in paths:
        raw = read_survey(file, sheet=sheet)
        cmap = map_columns(raw, cb)
        values, issues = normalise(raw, cmap, cb)
        raws.append(raw)
        cmaps.append(cmap)
        parts.append(_with_source(values, file.name))
        issue_parts.append(_with_source(issues, file.name))
        blanks.append(_blank_rows(raw))
    _refuse_two_downloads_of_one_survey(raws, parts)
    values = _renumber(_stack(parts))
    issues = _stack(issue_parts)
    blank = pd.concat(blanks, ignore_index=True)

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
    extra = _stack(
        [
            _with_source(_extra_columns(raw, cmap, pseudo), file.name)
            for raw, cmap, file in zip(raws, cmaps, paths, strict=True)
        ]
    )

    flags = clean.detect(values, cb, p["clean"], blank=blank, township_status=status)
    cleaned = clean.apply_rules(values, flags, p["clean"])
    rows_in = sum(len(r.frame) for r in raws)
    if len(cleaned.clean) + len(cleaned.quarantine) != rows_in:
        raise AssertionError("accounting: rows in != rows clean + rows quarantined")
    return SurveyResult(tuple(raws), tuple(cmaps), cleaned, issues, matched, deid_report, extra)


def _extra_columns(raw: RawSurvey, cmap: ColumnMap, pseudo) -> pd.DataFrame:
    """Unmapped columns, kept aside (scrubbed of personal data), with the file row."""
    extra = (
        raw.frame[cmap.extra].astype("str") if cmap.extra else pd.DataFrame(index=raw.frame.index)
    )
    for col in extra.columns:
        extra[col], _ = deid.scrub_text(extra[col], [], pseudo)
    extra.insert(0, "file_row", np.asarray(raw.file_rows))
    return extra.reset_index(drop=True)


def _file_report(raw: RawSurvey, cmap: ColumnMap) -> dict:
    return {
        "file": raw.path.name,
        "kind": raw.kind,
        "encoding": raw.encoding,
        "sheet": raw.sheet,
        "header_row": raw.header_row,
        "rows_in": len(raw.frame),
        "reader_notes": list(raw.notes),
        "mapping": cmap.report(),
    }


def survey_report(result: SurveyResult) -> dict:
    """The ingest report: what was read, how it was mapped, what was cleaned and why.

    The top-level reader and mapping fields are the first file's; ``files`` lists every file
    read, each with its own reader notes, mapping and row count.
    """
    cleaned = result.cleaned
    issues = result.issues.groupby("issue").size().to_dict() if len(result.issues) else {}
    files = [_file_report(r, m) for r, m in zip(result.raws, result.cmaps, strict=True)]
    first = files[0]
    return {
        **{k: v for k, v in first.items() if k not in ("rows_in", "mapping")},
        "file": ", ".join(f["file"] for f in files),
        "files": files,
        "mapping": first["mapping"],
        "rows": {
            "in": result.rows_in,
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


def find_exports(folder: Path, patterns: str | Sequence[str], *, key: str) -> list[Path]:
    """Every export in `folder` matching one of `patterns`, sorted by name (a clear error when
    there is none). `key` names the params setting of the patterns, for the message."""
    patterns = [patterns] if isinstance(patterns, str) else [str(p) for p in patterns]
    if not folder.is_dir():
        raise JianfuError(
            f"{folder}: the survey folder does not exist; create it and put your export(s) "
            "there (README, 'Your own survey')"
        )
    found = sorted(
        {p for pattern in patterns for p in folder.glob(pattern) if p.is_file()},
        key=lambda p: p.name,
    )
    found = [p for p in found if not p.name.startswith((".", "~$"))]
    if not found:
        names = ", ".join(p.name for p in sorted(folder.iterdir()))
        raise JianfuError(
            f"{folder}: no survey export matches {patterns} ({key} in params.yaml)"
            + (f"; the folder holds: {names}" if names else "; the folder is empty")
        )
    return found
