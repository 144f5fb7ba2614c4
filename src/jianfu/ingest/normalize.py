"""Normalise a mapped survey export into typed values in the codebook's codes.

What real exports contain, and what becomes of it:

* Likert and choice answers as text (按文本), with the wording variants of the codebook's scales
  (比较符合 for 同意, full-width or stray spaces) → the scale's code; as option positions 1..k
  (问卷星 按序号) → the code of the k-th option; as codes (SPSS / Stata / CSV of codes) → checked
  against the scale.
* Numbers typed by people: full-width digits, spaces, a unit or 约 around them (``约２０次``) →
  a number; anything else → missing with the issue ``invalid_number``; a number outside the
  item's valid range → missing with ``out_of_range`` (the row is flagged by the cleaning rule).
* Time taken: ``125秒``, ``2分5秒``, ``1小时2分``, plain seconds → seconds.
* The export's markers: ``(跳过)`` / ``-3`` → missing, reason ``skipped`` (questionnaire logic);
  ``(空)`` / ``-2`` / an empty cell → missing, reason ``empty``.
* Multi-choice: ``A┋B┋其他〖钉钉〗`` or split 0/1 columns → one 0/1 indicator per option
  (``channels_used_1`` …) and the "other" text (``channels_used_other``).

Every cell that could not be used is listed in an issues table (file row, column, issue) so the
cleaning report can say exactly what happened; raw values are not copied there (they may be
personal data).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook, Item
from jianfu.ingest.types import ColumnMap, RawSurvey

SKIP_MARKERS = {"(跳过)", "跳过", "-3"}
EMPTY_MARKERS = {"", "(空)", "空", "-2", "nan", "None"}
_NUMBER = re.compile(
    r"^(?:约|大约|大概|共|共计)?\s*(-?\d+(?:\.\d+)?)\s*(?:[a-z\u4e00-\u9fff]{0,4})$"
)
_DURATION = re.compile(r"^(?:(\d+)(?:小时|时))?(?:(\d+)分(?:钟)?)?(?:(\d+(?:\.\d+)?)秒)?$")
_OTHER = re.compile(r"^(.*?)〖(.*)〗$")
MULTI_SEPARATORS = re.compile(r"┋|\|")


def canon(value) -> str:
    """NFKC text with all whitespace removed (full-width → half-width, stray spaces gone)."""
    return re.sub(r"\s+", "", canon_keep_spaces(value))


def nfkc(value) -> str:
    """NFKC text stripped at both ends (inner spaces kept: ``20 30`` is not ``2030``)."""
    return canon_keep_spaces(value).strip()


def canon_keep_spaces(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value))


def by_unique(column: pd.Series, func) -> pd.Series:
    """`func` applied once per distinct value (exports repeat the same answers many times)."""
    values = column if column.dtype == object else column.astype(object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(v) for v in uniques] + [func(None)], dtype=object)
    return pd.Series(mapped[codes], index=column.index, dtype=object)


def _markers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Masks of skipped and empty cells (after `canon`)."""
    return text.isin(SKIP_MARKERS), text.isin(EMPTY_MARKERS)


def parse_number(text: pd.Series) -> pd.Series:
    """Numbers as people type them (``约20次``, ``２０``); NaN where it is not a number."""
    extracted = text.str.extract(_NUMBER, expand=False)
    return pd.to_numeric(extracted, errors="coerce")


def parse_duration(text: pd.Series) -> pd.Series:
    """Seconds from ``125秒``, ``2分5秒``, ``1小时2分5秒`` or a plain number of seconds."""
    plain = pd.to_numeric(text, errors="coerce")
    parts = text.str.extract(_DURATION)
    hours, minutes, seconds = (pd.to_numeric(parts[i], errors="coerce") for i in range(3))
    any_part = hours.notna() | minutes.notna() | seconds.notna()
    total = hours.fillna(0) * 3600 + minutes.fillna(0) * 60 + seconds.fillna(0)
    return plain.where(plain.notna(), total.where(any_part))


def _choice_lookup(cb: Codebook, item: Item, positional: bool) -> dict[str, int]:
    scale = cb.scales[item.scale]
    if positional:
        return {str(k): v.code for k, v in enumerate(scale.values, start=1)}
    lookup = {canon(text): code for text, code in scale.text_to_code().items()}
    lookup.update({str(code): code for code in scale.codes})
    return lookup


class _Issues:
    def __init__(self, file_rows: np.ndarray):
        self.file_rows = file_rows
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, column: str, issue: str) -> None:
        rows = self.file_rows[mask.to_numpy()]
        if len(rows):
            self.parts.append(pd.DataFrame({"file_row": rows, "column": column, "issue": issue}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"file_row": pd.Series(dtype="int64"), "column": "", "issue": ""})
        return pd.concat(self.parts, ignore_index=True)


def normalise(raw: RawSurvey, cmap: ColumnMap, cb: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed values in codebook codes, and the table of cell issues.

    Returns
    -------
    values : one row per row of ``raw.frame`` (same order): ``file_row``, the meta fields
        present (``seq``, ``submitted_at``, ``duration_s``, …; personal-data fields as text, to
        be de-identified next), one column per mapped item (choice/matrix items as nullable
        integers ``Int64``, numbers as ``Float64``, text as strings), multi-choice indicators
        ``<item>_<code>`` (``Int8``) and ``<item>_other``, and ``<item>__missing`` reasons
        (``skipped`` / ``empty`` / ``invalid_…`` / ``out_of_range``) for items with a missing
        value.
    issues : (file_row, column, issue) for every cell that could not be used as given.
    """
    frame = raw.frame
    issues = _Issues(np.asarray(raw.file_rows))
    out: dict[str, pd.Series] = {"file_row": pd.Series(np.asarray(raw.file_rows), dtype="int64")}
    text = {col: by_unique(frame[col], canon) for col in frame.columns}

    for field, col in cmap.meta.items():
        t = text[col]
        if field == "seq":
            out["seq"] = parse_number(t).astype("Float64")
        elif field in ("submitted_at", "started_at"):
            parsed = pd.to_datetime(
                frame[col].map(lambda v: "" if v is None else str(v).strip()),
                format="mixed",
                errors="coerce",
            )
            out[field] = parsed
            issues.add(parsed.isna() & (t != ""), col, "invalid_time")
        elif field == "duration":
            seconds = parse_duration(t)
            out["duration_s"] = seconds.astype("Float64")
            issues.add(seconds.isna() & (t != ""), col, "invalid_duration")
        else:
            out[field] = (
                frame[col].map(lambda v: None if v is None else str(v).strip()).astype("str")
            )

    for item in cb.items:
        if item.id in cmap.multi_split:
            _multi_split(cb, item, cmap.multi_split[item.id], text, out, issues)
            continue
        col = cmap.items.get(item.id)
        if col is None:
            continue
        t = text[col]
        skipped, empty = _markers(t)
        reason = pd.Series(pd.NA, index=t.index, dtype="str")
        reason = reason.mask(skipped, "skipped").mask(empty & ~skipped, "empty")
        if item.type in ("single", "matrix"):
            lookup = _choice_lookup(cb, item, cmap.positional)
            codes = t.map(lookup)
            bad = codes.isna() & ~skipped & ~empty
            reason = reason.mask(bad, "invalid_choice")
            issues.add(bad, col, "invalid_choice")
            out[item.id] = codes.astype("Int64")
        elif item.type == "number":
            number = parse_number(by_unique(frame[col], nfkc))
            bad = number.isna() & ~skipped & ~empty
            lo, hi = cb.valid_range(item)
            outside = number.notna() & ((number < lo) | (number > hi))
            reason = reason.mask(bad, "invalid_number").mask(outside, "out_of_range")
            issues.add(bad, col, "invalid_number")
            issues.add(outside, col, "out_of_range")
            out[item.id] = number.where(~outside).astype("Float64")
        elif item.type == "multi":
            _multi_joined(cb, item, frame[col], out, issues, col, skipped | empty)
        else:  # text
            kept = frame[col].map(lambda v: None if v is None else str(v).strip())
            out[item.id] = kept.where(~skipped & ~empty).astype("str")
        if item.type != "multi":
            out[f"{item.id}__missing"] = reason
    values = pd.DataFrame(out)
    return values, issues.frame()


def _multi_split(
    cb: Codebook,
    item: Item,
    columns: dict[int, str],
    text: dict[str, pd.Series],
    out: dict[str, pd.Series],
    issues: _Issues,
) -> None:
    for code, col in columns.items():
        t = text[col]
        skipped, empty = _markers(t)
        flag = pd.to_numeric(t, errors="coerce")
        bad = ~flag.isin([0, 1]) & ~skipped & ~empty
        issues.add(bad, col, "invalid_choice")
        out[f"{item.id}_{code}"] = flag.where(flag.isin([0, 1])).astype("Int8")
    other = next((v.code for v in cb.scales[item.scale].values if v.other_text), None)
    if other is not None:
        out[f"{item.id}_other"] = pd.Series(
            pd.NA, index=next(iter(text.values())).index, dtype="str"
        )


def _multi_joined(
    cb: Codebook,
    item: Item,
    raw: pd.Series,
    out: dict[str, pd.Series],
    issues: _Issues,
    col: str,
    missing: pd.Series,
) -> None:
    scale = cb.scales[item.scale]
    lookup = {canon(text): code for text, code in scale.text_to_code().items()}
    other_code = next((v.code for v in scale.values if v.other_text), None)

    def parse(value) -> tuple[frozenset[int], str | None, bool]:
        picked, other_text, unknown = set(), None, False
        for part in MULTI_SEPARATORS.split(str(value)):
            part = part.strip()
            if not part:
                continue
            m = _OTHER.match(part)
            if m and other_code is not None:
                picked.add(other_code)
                other_text = m.group(2).strip() or None
                continue
            code = lookup.get(canon(part))
            if code is None:
                unknown = True
            else:
                picked.add(code)
        return frozenset(picked), other_text, unknown

    # exports repeat the same combinations: parse each distinct answer once
    codes, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
    parsed = [parse(v) for v in uniques] + [(frozenset(), None, False)]
    rows = [parsed[c] for c in codes]
    is_missing = missing.to_numpy()
    unknown = np.array([r[2] for r in rows], dtype=bool) & ~is_missing
    issues.add(pd.Series(unknown), col, "invalid_choice")
    for code in scale.codes:
        flags = pd.Series([int(code in r[0]) for r in rows], dtype="Int8")
        out[f"{item.id}_{code}"] = flags.mask(is_missing)
    if other_code is not None:
        others = pd.Series([r[1] for r in rows], dtype="str")
        out[f"{item.id}_other"] = others.mask(is_missing)
