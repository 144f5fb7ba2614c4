"""The analysis sample of a specification: the ingest cleaning rules re-applied to every row.

The ingest stage writes the kept rows (``clean.parquet``, with ``flag_<rule>`` columns for the
rules whose action is ``flag``) and the removed ones (``quarantine.parquet``, with ``reasons``).
Together they are every de-identified survey row. `select_sample` runs the ingest rules
(`jianfu.ingest.clean.detect` and `apply_rules`) on them again with the spec's speeder threshold
and the spec's actions for straight-lining and attention checks; every other rule, threshold and
action is the one in ``ingest.clean`` of params.yaml. With the default spec the sample is the
ingest stage's clean rows, row for row.

Two inputs of `detect` are not columns of the de-identified rows and are recovered from them:

- blank rows (every cell of the raw export empty): the rows whose ``reasons`` name
  ``blank_row`` (or with ``flag_blank_row`` true, if that rule's action is ``flag``);
- the township match status: the ``township_match`` column, taken as "matched" for blank rows
  (as ingest does).

``keep`` = the ingest action ``flag``: the rows stay in the sample with a ``flag_<rule>``
column, as any flagged rule's rows do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from jianfu.codebook.model import Codebook
from jianfu.core.errors import JianfuError
from jianfu.ingest import clean
from jianfu.robustness.choices import validate

#: Spec choices that set the action of an ingest rule (spec value -> ingest action).
RULE_CHOICES = ("straightliner", "attention_fail")
ACTION = {"remove": "remove", "keep": "flag"}
#: Bookkeeping columns of the ingest outputs that are not survey values.
REASONS = "reasons"
FLAG_PREFIX = "flag_"
ORDER_COLUMNS = ("source_file", "file_row", "seq")


@dataclass(frozen=True)
class SampleResult:
    """The analysis sample of one spec.

    Attributes
    ----------
    sample : the kept rows in the export's row order (``file_row``), index 0..n-1, with the
        columns of ``clean.parquet`` (plus ``flag_straightliner`` / ``flag_attention_fail`` when
        the spec keeps those rows).
    removed : the removed rows, same order, with ``reasons`` (every rule that fired).
    flags : one boolean column per rule, one row per input row (same order as the input sorted
        by ``file_row``).
    summary : plain numbers to log: ``rows``, ``kept``, ``removed``; ``speeder_seconds`` (the
        effective speeder threshold: the larger of ``speeder_min_seconds`` and the share of the
        median time); ``actions`` (rule -> remove/flag); ``fired`` (rows per rule, a row can
        count for several); ``removed_by`` (removed rows per removing rule that fired on them);
        ``flow`` (the CONSORT-style sequential removals: step, rows_before, removed,
        rows_after).
    """

    sample: pd.DataFrame
    removed: pd.DataFrame
    flags: pd.DataFrame
    summary: dict[str, Any]


def _plain(params: Mapping) -> dict:
    if hasattr(params, "to_dict"):
        return params.to_dict()
    return {
        k: _plain(v) if isinstance(v, Mapping) else (list(v) if isinstance(v, list) else v)
        for k, v in params.items()
    }


def clean_params_for(clean_params: Mapping, spec: Mapping | None) -> dict:
    """The ``ingest.clean`` params with the spec's speeder share and rule actions."""
    full = validate(spec)
    p = _plain(clean_params)
    for key in ("speeder_median_share", "actions"):
        if key not in p:
            raise JianfuError(f"ingest.clean params: missing key {key!r}")
    p["speeder_median_share"] = full["speeder_median_share"]
    p["actions"] = dict(p["actions"])
    for rule in RULE_CHOICES:
        p["actions"][rule] = ACTION[full[rule]]
    return p


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ORDER_COLUMNS if c in rows.columns]
    if not keys:
        raise JianfuError(
            "robustness sample: the survey rows have neither 'file_row' nor 'seq' "
            "(pass pd.concat([clean.parquet, quarantine.parquet]) of the ingest stage)"
        )
    # a row is identified by its row in its export file (several files: and the file)
    ident = (
        keys[: keys.index("file_row") + 1]
        if "file_row" in keys
        else [k for k in keys if k != "source_file"][:1] or keys
    )
    if rows.duplicated(ident).any():
        raise JianfuError(
            f"robustness sample: {' + '.join(ident)!r} repeats; pass each survey row once "
            "(clean.parquet and quarantine.parquet, concatenated)"
        )
    return rows.sort_values(keys, kind="stable").reset_index(drop=True)


def _blank(rows: pd.DataFrame) -> pd.Series:
    blank = pd.Series(False, index=rows.index)
    if REASONS in rows.columns:
        reasons = rows[REASONS].astype("string").fillna("")
        blank |= reasons.str.split(";").map(lambda r: "blank_row" in r).astype(bool)
    if f"{FLAG_PREFIX}blank_row" in rows.columns:
        blank |= rows[f"{FLAG_PREFIX}blank_row"].astype("boolean").fillna(False).astype(bool)
    return blank


def select_sample(
    rows: pd.DataFrame, cb: Codebook, clean_params: Mapping, spec: Mapping | None
) -> SampleResult:
    """Re-apply the ingest cleaning rules with the spec's choices (see the module docstring).

    Parameters
    ----------
    rows : every de-identified survey row: ``pd.concat([clean, quarantine])`` of the ingest
        stage's ``data/processed/survey`` (any order; ``file_row`` orders them).
    cb : the codebook.
    clean_params : the ``ingest.clean`` params section (mapping or `TrackedParams`).
    spec : the specification (`jianfu.robustness.choices`); only ``speeder_median_share``,
        ``straightliner`` and ``attention_fail`` matter here.

    Returns
    -------
    SampleResult
    """
    p = clean_params_for(clean_params, spec)
    ordered = _ordered(rows)
    blank = _blank(ordered)
    status = None
    if "township_match" in ordered.columns:
        status = ordered["township_match"].astype("object").where(~blank, "matched")
    drop = [c for c in ordered.columns if c == REASONS or c.startswith(FLAG_PREFIX)]
    values = ordered.drop(columns=drop)
    flags = clean.detect(values, cb, p, blank=blank, township_status=status)
    result = clean.apply_rules(values, flags, p)
    sample = result.clean.reset_index(drop=True)
    removed = result.quarantine.reset_index(drop=True)
    removing = [r for r in clean.RULES if p["actions"][r] == "remove"]
    gone = flags[removing].any(axis=1)
    seconds = values["duration_s"].astype("float64") if "duration_s" in values else None
    threshold = None
    if seconds is not None:
        median = seconds[~blank].median()
        # a speeder is below either threshold, i.e. below the larger
        threshold = max(
            float(p["speeder_min_seconds"]), float(p["speeder_median_share"]) * float(median)
        )
    summary = {
        "rows": len(values),
        "kept": len(sample),
        "removed": len(removed),
        "speeder_seconds": threshold,
        "actions": {r: p["actions"][r] for r in clean.RULES},
        "fired": {r: int(flags[r].sum()) for r in clean.RULES},
        "removed_by": {r: int((flags[r] & gone).sum()) for r in removing},
        "flow": result.flow.to_dict(orient="records"),
    }
    return SampleResult(sample=sample, removed=removed, flags=flags, summary=summary)


def analysis_sample(
    rows: pd.DataFrame, cb: Codebook, clean_params: Mapping, spec: Mapping | None
) -> pd.DataFrame:
    """The kept rows of `select_sample` (the analysis sample of the spec), in export order."""
    return select_sample(rows, cb, clean_params, spec).sample
