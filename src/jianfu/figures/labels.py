"""Bilingual labels and tidy codebook tables for the figure functions.

The figure functions take tidy DataFrames and a ``labels`` mapping (variable code →
``{"zh": ..., "en": ...}``), never the codebook file itself; these helpers build both from the
codebook (`jianfu.codebook.load.load_codebook`) or from a results table that carries
``label_zh`` / ``label_en`` columns (e.g. the models stage's ``table1__summary.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from jianfu.codebook.model import Codebook

Labels = dict[str, dict[str, str]]


def variable_labels(cb: Codebook, extra: Mapping[str, Mapping[str, str]] | None = None) -> Labels:
    """Construct code → {"zh", "en"} from the codebook, plus `extra` (e.g. ``workload``)."""
    out: Labels = {c.id: {"zh": c.label.zh, "en": c.label.en} for c in cb.constructs}
    for code, label in (extra or {}).items():
        out[code] = {"zh": str(label["zh"]), "en": str(label["en"])}
    return out


def labels_from_table(frame: pd.DataFrame, code: str = "variable") -> Labels:
    """Labels from a table with columns `code`, ``label_zh`` and ``label_en``."""
    missing = [c for c in (code, "label_zh", "label_en") if c not in frame.columns]
    if missing:
        raise ValueError(f"labels table: missing columns {missing}")
    return {
        str(row[code]): {"zh": str(row["label_zh"]), "en": str(row["label_en"])}
        for _, row in frame.iterrows()
    }


def measure_codes(cb: Codebook) -> list[str]:
    """The burden-reduction measures (constructs with role ``measure``), in codebook order."""
    return [c.id for c in cb.constructs if c.role == "measure"]


#: Longest row label of a figure, in characters (as the codebook's short labels).
SHORT_MAX = {"zh": 18, "en": 40}


def shorten(text: str, lang: str, limit: int | None = None) -> str:
    """`text` cut to `limit` characters (default `SHORT_MAX`) with an ellipsis.

    Chinese is cut at the last punctuation mark (，、；) inside the limit when there is one in
    its second half, else at the limit; English at the last word boundary.
    """
    limit = limit or SHORT_MAX[lang]
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if lang == "zh":
        cut = max(head.rfind(mark) for mark in "，、；：")
        head = head[:cut] if cut >= limit // 2 else head
    else:
        cut = head.rfind(" ")
        head = head[:cut].rstrip(",;:") if cut > 0 else head
    return head + "…"


def item_table(cb: Codebook) -> pd.DataFrame:
    """One row per scored item: item, construct, scale, reverse, label_zh, label_en, and
    short_zh, short_en (the codebook's short label, else the wording `shorten`-ed)."""
    rows = [
        {
            "item": i.id,
            "construct": c.id,
            "scale": i.scale,
            "reverse": bool(i.reverse),
            "label_zh": i.label.zh,
            "label_en": i.label.en,
            "short_zh": i.short.zh if i.short else shorten(i.label.zh, "zh"),
            "short_en": i.short.en if i.short else shorten(i.label.en, "en"),
        }
        for c in cb.constructs
        for i in cb.construct_items(c.id)
    ]
    return pd.DataFrame(rows)


def scale_table(cb: Codebook) -> pd.DataFrame:
    """One row per answer code of every ordinal scale: scale, code, label_zh, label_en."""
    rows = [
        {"scale": s.id, "code": v.code, "label_zh": v.label.zh, "label_en": v.label.en}
        for s in cb.scales.values()
        if s.ordinal
        for v in s.values
    ]
    return pd.DataFrame(rows)
