"""The policy stage's pieces on tiny panels: months, preparation, estimators, recovery truths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.policy import recovery, stage


def test_month_index_round_trip():
    idx = stage.month_index(pd.Series(["2023-01", "2024-12", None]))
    assert idx.iloc[0] == 2023 * 12 and idx.iloc[1] == 2024 * 12 + 11 and pd.isna(idx.iloc[2])
    assert stage.month_label(2024 * 12 + 11) == "2024-12"
    assert stage.month_label(0) is None and stage.month_label(np.nan) is None


def _panel(rng: np.random.Generator, effect: float = -2.0) -> pd.DataFrame:
    """20 districts x 3 townships x 12 months; districts adopt in month 6, 9 or never; one
    district adopted before the window. Outcome = level x season + effect after adoption."""
    rows = []
    months = [f"2023-{m:02d}" for m in range(1, 13)]
    for d in range(20):
        adopt = ["2023-06", "2023-09", None, None][d % 4] if d else "2019-01"
        for k in range(3):
            level = np.exp(rng.normal(0, 0.3)) * 10
            for i, month in enumerate(months):
                treated = adopt is not None and month >= adopt
                y = level * (1 + 0.2 * np.sin(i)) + (effect if treated else 0) + rng.normal()
                rows.append(
                    {"township_code": d * 10 + k, "district_code": d,
                     "stratum": "A" if d < 10 else "B", "month": month, "adopt_m": adopt, "y": y}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_prepare_drops_always_treated_and_incomplete_units_with_notes():
    panel = _panel(np.random.default_rng(1))
    panel.loc[(panel["township_code"] == 31) & (panel["month"] == "2023-04"), "y"] = np.nan
    frame, notes = stage.prepare(panel, "m", "y", ["2023-01", "2023-03"])
    assert 0 not in set(frame["district_code"])  # adopted 2019-01: always treated
    assert 31 not in set(frame["township_code"])
    assert [n["note"][:2] for n in notes] == ["3 ", "1 "]
    assert frame["baseline"].notna().all()
    with pytest.raises(JianfuError, match="baseline would be post-treatment"):
        stage.prepare(panel, "m", "y", ["2023-01", "2023-06"])
    with pytest.raises(JianfuError, match="'adopt_nope' is not in the township-month panel"):
        stage.prepare(panel, "nope", "y", None)


def test_estimate_writes_every_estimator_and_recovers_a_constant_effect():
    frame, _ = stage.prepare(_panel(np.random.default_rng(2)), "m", "y", ["2023-01", "2023-03"])
    p = {
        "cluster": "district_code", "baseline_covariate": ["y"], "alpha": 0.05,
        "event_window": [-3, 3], "wild_bootstrap": {"n_boot": 99, "seed": 1},
        "controls": ["never", "notyet"], "method": "dr", "lags": {"y": 2},
        "heterogeneity": "stratum",
    }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = stage.estimate(frame, measure="m", outcome="y", p=p)
    aggs = pd.concat(out["agg"])
    simple = aggs[aggs["aggregation"] == "simple"].set_index("estimator")
    for est in ("cs_never", "cs_notyet"):
        row = simple.loc[est]
        assert row["ci_low_unit"] < -2.0 < row["ci_high_unit"], row
    assert {"simple[A]", "simple[B]", "from_lag_2", "static", "group", "calendar"} <= set(
        aggs["aggregation"]
    )
    cells = pd.concat(out["attgt"])
    assert set(cells["group"]) == {"2023-06", "2023-09"}  # month labels, not indices
    assert {"se_unit", "ci_low_unit"} <= set(cells.columns)
    es = pd.concat(out["es"])
    assert set(es["estimator"]) == {"cs_never", "cs_notyet", "twfe", "sun_abraham"}
    pre = pd.concat(out["pre"])
    assert pre.set_index("estimator").loc["cs_never", "p_value_f_unit"] > 0.01


def test_recovery_truths_use_the_estimators_cohort_weights():
    cells = pd.DataFrame(
        {
            "measure": "m", "outcome": "y", "estimator": "cs_never",
            "group": ["a", "a", "b", "b"], "time": ["1", "2", "1", "2"],
            "event_time": [0, 1, -1, 0], "post": [True, True, False, True],
            "n_treated": [10, 10, 30, 30], "truth": [-1.0, -2.0, 0.0, -4.0],
        }
    )  # fmt: skip
    truths = recovery.aggregate_truths(cells, {"y": 1}).set_index(["aggregation", "term"])
    # simple: (10*-1 + 10*-2 + 30*-4) / 50 = -3
    assert truths.loc[("simple", "ATT"), "truth"] == pytest.approx(-3.0)
    assert truths.loc[("group", "g=a"), "truth"] == pytest.approx(-1.5)
    # dynamic e=0: (10*-1 + 30*-4) / 40
    assert truths.loc[("dynamic", "e=0"), "truth"] == pytest.approx(-3.25)
    assert truths.loc[("from_lag_1", "overall"), "truth"] == pytest.approx(-2.0)


def test_cohort_districts_counts_districts_per_adoption_month():
    panel = pd.DataFrame(
        {
            "district_code": [1, 1, 2, 3, 4],
            "adopt_m": ["2024-01", "2024-01", "2024-01", None, "2024-03"],
        }
    )
    sizes = recovery.cohort_districts(panel).set_index("group")["districts"]
    assert sizes.to_dict() == {"2024-01": 2, "2024-03": 1}
