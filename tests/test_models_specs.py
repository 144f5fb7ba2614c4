"""Named model specs (`jianfu.models.specs`), the cross-level workload and the recovery table,
on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.models import crosslevel, recovery, specs


@pytest.fixture(scope="module")
def ctx() -> specs.Context:
    rng = np.random.default_rng(7)
    n, k = 400, 40
    town = np.repeat(np.arange(k), n // k)
    u = rng.normal(0, 0.3, k)[town]
    x = rng.normal(size=n) + u
    w = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + 0.3 * (x - x.mean()) * (w - w.mean()) + u + rng.normal(size=n)
    data = pd.DataFrame(
        {"X": x, "W": w, "M": m, "Y": y, "township_code": town, "district_code": town // 5,
         "item": np.clip(np.round(y + 3), 1, 5)}
    )  # fmt: skip
    items = pd.DataFrame(
        {f"{c}{j}": data[c] * 0.8 + rng.normal(0, 0.6, n) for c in "XY" for j in (1, 2, 3)}
    )
    return specs.Context(
        data=data,
        items=items,
        measurement={"X": ["X1", "X2", "X3"], "Y": ["Y1", "Y2", "Y3"]},
        labels={"X": {"zh": "自变量", "en": "Predictor"}},
        reliabilities={"X": 0.8},
        cluster="township_code",
        bootstrap={"n_boot": 200, "seed": 1, "ci_type": "percentile", "cluster": False},
    )


def _check_layout(out: specs.SpecOutput) -> None:
    assert list(out.coefficients.columns) == specs.COEF_COLUMNS
    assert list(out.fit.columns) == specs.FIT_COLUMNS
    assert list(out.effects.columns) == specs.EFFECT_COLUMNS


def test_ols_spec_matches_hierarchical_ols_and_marks_its_target(ctx):
    spec = {"kind": "ols", "y": "Y", "blocks": [["X"], ["W", "X:W"]], "target": "observed_score"}
    out = specs.run_spec("h", spec, ctx)
    _check_layout(out)
    coefs = out.coefficients.set_index(["step", "term"])
    assert coefs.loc[(2, "X:W"), "estimate"] == pytest.approx(0.3, abs=0.1)
    assert coefs.loc[(2, "X:W"), "target"] == "observed_score"
    assert pd.isna(coefs.loc[(1, "X"), "target"])  # only the final step estimates the target
    row = coefs.loc[(2, "X")]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert "cluster by township_code" in row["method"]
    stats = out.fit.set_index(["step", "statistic"])["value"]
    assert stats[(2, "delta_r2")] > 0 and stats[(2, "p_change")] < 0.05


def test_process_spec_runs_each_x_and_reports_indirect_effects(ctx):
    spec = {"kind": "process", "model": 4, "x": ["X", "W"], "m": ["M"], "y": "Y"}
    out = specs.run_spec("med", spec, ctx)
    _check_layout(out)
    ind = out.effects[out.effects["term"] == "ind[M]"].set_index("equation")
    assert list(ind.index) == ["X→M→Y", "W→M→Y"]
    assert ind.loc["X→M→Y", "ci_low"] > 0  # a = .5, b = .4
    assert "200 resamples" in ind.loc["X→M→Y", "method"]


def test_moderation_spec_reports_simple_slopes_and_jn(ctx):
    out = specs.run_spec("mod", {"kind": "process", "model": 1, "x": "X", "w": "W", "y": "Y"}, ctx)
    terms = list(out.effects["term"])
    assert "X|W=-1 SD" in terms and "X|W=p84" in terms


def test_descriptives_icc_mixed_ordered_logit_and_sem_specs(ctx):
    desc = specs.run_spec("t1", {"kind": "descriptives", "variables": ["X", "Y"]}, ctx)
    summary = desc.extra["summary"].set_index("variable")
    assert summary.loc["X", "label_zh"] == "自变量" and summary.loc["Y", "label_en"] == "Y"
    assert summary.loc["X", "alpha"] == 0.8
    icc = specs.run_spec(
        "icc", {"kind": "icc", "variables": ["Y"], "groups": "district_code",
                "nested": "township_code"}, ctx
    )  # fmt: skip
    assert "icc_township_code" in set(icc.fit["statistic"])
    mixed = specs.run_spec(
        "ml", {"kind": "mixed", "formula": "Y ~ X + W", "groups": "township_code"}, ctx
    )
    assert set(mixed.coefficients["term"]) == {"const", "X", "W"}
    ologit = specs.run_spec("ol", {"kind": "ordered_logit", "y": "item", "x": ["X"]}, ctx)
    assert ologit.coefficients.set_index("term").loc["X", "estimate"] > 0
    sem = specs.run_spec(
        "sem", {"kind": "sem", "equations": {"Y": ["X", "W"]}, "target": "latent_standardized"}, ctx
    )
    _check_layout(sem)
    assert set(sem.coefficients["term"]) == {"X", "W"}
    assert sem.coefficients["std"].notna().all()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "anova"}, "kind 'anova' unknown"),
        ({"kind": "ols", "y": "Y"}, "missing \\['blocks'\\]"),
        ({"kind": "ols", "y": "Y", "blocks": [["nope"]]}, "variables \\['nope'\\] are not in"),
        ({"kind": "process", "model": 5, "x": "X", "y": "Y"}, "PROCESS model 5 not available"),
        ({"kind": "process", "model": 4, "x": "X", "y": "Y"}, "missing \\['m'\\]"),
        ({"kind": "sem", "equations": {"Y": ["Q_x_X"]}}, "\\['Q_x_X'\\] are not in the analysis"),
        ({"kind": "ols", "y": "Y", "blocks": [["X"]], "target": "latent"}, "target 'latent'"),
    ],
)
def test_spec_errors_name_the_spec(ctx, spec, message):
    with pytest.raises((JianfuError, ValueError), match=message):
        specs.run_spec("bad", spec, ctx)


def test_township_workload_per_cadre(tmp_path):
    events = pd.DataFrame(
        {
            "township_code": [1, 1, 1, 2, 2, 1],
            "timestamp": pd.to_datetime(
                [
                    "2023-01-05",
                    "2023-02-01",
                    "2023-02-28 23:59",
                    "2023-01-10",
                    "2023-03-01",
                    "2022-12-31",
                ],
                format="ISO8601",
            ),
        }
    )
    towns = pd.DataFrame(
        {"township_code": [1, 2, 3], "district_code": [9, 9, 9], "cadres": [3, 1, 2]}
    )
    events.to_parquet(tmp_path / "e.parquet")
    towns.to_parquet(tmp_path / "t.parquet")
    out = crosslevel.township_workload(
        tmp_path / "e.parquet", tmp_path / "t.parquet", ["2023-01", "2023-02"]
    ).set_index("township_code")
    # township 1: 3 events in Jan-Feb, 3 cadres, 2 months; 2: 1 event (March is outside); 3: none
    assert out["events"].tolist() == [3, 1, 0]
    assert out.loc[1, "events_per_cadre_month"] == pytest.approx(0.5)
    assert out.loc[2, "events_per_cadre_month"] == pytest.approx(0.5)
    assert np.isnan(out.loc[3, "workload"])
    with pytest.raises(JianfuError, match="two months"):
        crosslevel.township_workload(tmp_path / "e.parquet", tmp_path / "t.parquet", ["2023-1"])
    with pytest.raises(JianfuError, match="file not found"):
        crosslevel.township_workload(
            tmp_path / "x.parquet", tmp_path / "t.parquet", ["2023-01"] * 2
        )


def test_recovery_table_covers_misses_and_untargeted_estimands():
    coefs = pd.DataFrame(
        {
            "spec": ["a", "a", "s"], "kind": ["ols", "ols", "sem"], "equation": ["Y", "Y", "Y"],
            "term": ["X", "X:W", "X"], "estimate": [0.5, -0.1, 9.0], "ci_low": [0.4, -0.2, 8.0],
            "ci_high": [0.6, 0.0, 10.0], "std": [np.nan, np.nan, 0.3],
            "std_ci_low": [np.nan, np.nan, 0.25], "std_ci_high": [np.nan, np.nan, 0.35],
            "method": ["OLS", "OLS", "SEM"],
            "target": ["observed_score", "observed_score", "latent_standardized"],
        }
    )  # fmt: skip
    truth = {
        "observed_score": {"Y": {"X": 0.55, "X_x_W": 0.1, "W": 0.2}},
        "latent_standardized": {"Y": {"X": 0.3}},
        "population_n": 10,
    }
    table = recovery.recovery_table(coefs, truth).set_index(["family", "term"])
    assert bool(table.loc[("observed_score", "X"), "covered"])
    miss = table.loc[("observed_score", "X_x_W")]
    assert not miss["covered"] and "below the truth by 0.200" in miss["note"]
    assert "misses expected by chance" in miss["note"]
    assert table.loc[("observed_score", "W"), "note"].startswith("no spec targets")
    # the SEM row is compared on the standardized scale
    assert table.loc[("latent_standardized", "X"), "estimate"] == 0.3
    result = recovery.summary(table.reset_index())
    assert result["estimands"] == 4 and result["covered"] == 2
