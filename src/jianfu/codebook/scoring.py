"""Scale scores from the codebook: reverse-keyed items recoded, mean scores with a missing-item
rule. Shared by the simulator (its observed-score estimands) and the measure stage.

A construct's mean score is the mean of its answered items (reverse-keyed items recoded with the
scale's reverse, e.g. 1↔5), computed only when at least ``min_answered_share`` of its items are
answered; otherwise it is missing. The rule is a param (``measure.min_answered_share``), stated
in the tables that use the scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook


def construct_spec(cb: Codebook) -> dict[str, list[str]]:
    """Construct id -> its scored item ids, in questionnaire order."""
    return {c.id: [i.id for i in cb.construct_items(c.id)] for c in cb.constructs}


def scored_items(frame: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    """Every scored item as float, reverse-keyed items recoded (higher = more of the construct)."""
    out = {}
    for c in cb.constructs:
        for item in cb.construct_items(c.id):
            x = pd.to_numeric(frame[item.id], errors="coerce").astype("float64")
            out[item.id] = cb.scales[item.scale].reverse(x) if item.reverse else x
    return pd.DataFrame(out, index=frame.index)


def mean_scores(
    items: pd.DataFrame, spec: dict[str, list[str]], min_answered_share: float
) -> pd.DataFrame:
    """Mean of the answered items per construct; missing when too few items are answered."""
    if not 0 < min_answered_share <= 1:
        raise ValueError(f"measure.min_answered_share must be in (0, 1], got {min_answered_share}")
    out = {}
    for construct, cols in spec.items():
        block = items[cols]
        answered = block.notna().sum(axis=1)
        enough = answered >= np.ceil(min_answered_share * len(cols))
        out[construct] = block.mean(axis=1).where(enough)
    return pd.DataFrame(out, index=items.index)
