"""Table 1 (N, M, SD, correlations) against pandas and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jianfu.models.descriptives import descriptive_table, significance_mark


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 120
    a = rng.normal(size=n)
    d = pd.DataFrame(
        {"burden": a, "burnout": 0.5 * a + rng.normal(size=n), "support": rng.normal(size=n)}
    )
    d.loc[[1, 2, 3], "burnout"] = np.nan
    d.loc[[3, 4], "support"] = np.nan
    return d


def test_correlations_equal_pandas_and_pvalues_equal_pearsonr(data):
    cols = ["burden", "burnout", "support"]
    table = descriptive_table(data, cols)
    np.testing.assert_allclose(table.r.to_numpy(), data[cols].corr().to_numpy(), rtol=1e-12)
    tidy = table.to_frame()
    assert len(tidy) == 3
    for row in tidy.itertuples():
        pair = data[[row.var1, row.var2]].dropna()
        res = stats.pearsonr(pair[row.var1], pair[row.var2])
        assert row.p == pytest.approx(res.pvalue, rel=1e-12)
        assert row.n == len(pair)
        assert row.mark == significance_mark(res.pvalue)
    assert table.n.loc["burnout", "support"] == 120 - 4


def test_summary_and_formatted(data):
    table = descriptive_table(
        data, ["burden", "burnout"], reliabilities={"burden": 0.87}, labels={"burden": "减负感知"}
    )
    s = table.summary
    assert s.loc["burnout", "n"] == 117
    assert s.loc["burnout", "sd"] == pytest.approx(data["burnout"].std(ddof=1))
    text = table.formatted()
    assert "(.87)" in text and "减负感知" in text and "*** p < .001" in text
    r = table.r.loc["burnout", "burden"]
    assert f"{r:.2f}".replace("0.", ".") + "***" in text


def test_marks():
    assert [significance_mark(p) for p in (0.0001, 0.005, 0.03, 0.2)] == ["***", "**", "*", ""]


def test_invalid_input_raises(data):
    with pytest.raises(ValueError, match="not in the table"):
        descriptive_table(data, ["burden", "burnout"], reliabilities={"support": 0.8})
    with pytest.raises(KeyError, match="nope"):
        descriptive_table(data, ["burden", "nope"])
