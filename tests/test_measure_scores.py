"""Scale scores: reverse keys and the missing-item rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jianfu.codebook.scoring import construct_spec, mean_scores, scored_items


def test_reverse_keyed_items_are_recoded(codebook):
    pv = [i.id for i in codebook.construct_items("PV")]
    frame = pd.DataFrame({i.id: [5, 1] for i in codebook.items if i.construct})
    items = scored_items(frame, codebook)
    reverse = [i for i in pv if codebook.item(i).reverse]
    assert reverse and (items[reverse[0]] == [1.0, 5.0]).all()
    forward = items[[i for i in pv if i not in reverse]]
    assert (forward.iloc[0] == 5.0).all() and (forward.iloc[1] == 1.0).all()


def test_missing_item_rule():
    items = pd.DataFrame(
        {
            "a": [1, 1, np.nan],
            "b": [2, np.nan, np.nan],
            "c": [3, 3, 3],
            "d": [4, 4, np.nan],
            "e": [5, 5, 5],
        }
    )
    scores = mean_scores(items, {"X": ["a", "b", "c", "d", "e"]}, 0.8)
    assert scores["X"].iloc[0] == 3 and scores["X"].iloc[1] == pytest.approx(13 / 4)
    assert np.isnan(scores["X"].iloc[2])  # 2 of 5 answered < 80 %
    with pytest.raises(ValueError, match="min_answered_share"):
        mean_scores(items, {"X": ["a"]}, 0)


def test_spec_covers_every_construct(codebook):
    spec = construct_spec(codebook)
    assert set(spec) == {c.id for c in codebook.constructs}
    assert all(len(v) >= 3 for v in spec.values())
