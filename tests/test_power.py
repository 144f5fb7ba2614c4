"""Monte Carlo power study (`jianfu.power`): backends agree, resume, seeds, summary, figure.

A tiny study (2 designs × 2 effect levels × 3 replications, n_boot = 50) runs in process, on a
2-process pool and on a 2-process Dask LocalCluster; the per-replication rows and the summaries
must be identical to the last bit.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.power import simulate, stage, study
from jianfu.power.simulate import Design, Effects, ModelSettings

pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")

TINY = study.Study(
    seed=20240603,
    designs=(Design(3, 2, 6, 6), Design(4, 3, 8, 8)),
    effects=(Effects(0.0, 0.0, 0.0), Effects(0.15, 0.15, 0.5)),
    replications=3,
    model=ModelSettings(n_boot=50),
)

PARAMS = {
    "seed": 7,
    "alpha": 0.05,
    "n_boot": 50,
    "cluster_bootstrap": True,
    "did_method": "dr",
    "replications": 2,
    "backend": "local",
    "workers": 1,
    "dask": {"scheduler": None},
    "designs": [
        {"districts": 3, "townships_per_district": 2, "cadres_per_township": 6, "months": 6},
        {"districts": 4, "townships_per_district": 2, "cadres_per_township": 8, "months": 8},
    ],
    "effects": {"indirect": [0.0, 0.2], "interaction": [0.0, 0.2], "att": [0.0, 1.0]},
    "model": {
        "icc_township": 0.07,
        "icc_district": 0.03,
        "b_path": 0.45,
        "direct": 0.1,
        "w_effect": 0.2,
        "cohorts": 2,
        "unit_sd": 1.0,
        "month_sd": 0.3,
        "district_month_sd": 0.2,
        "noise_sd": 1.0,
    },
}


@pytest.fixture(scope="module")
def inprocess() -> pd.DataFrame:
    return study.run_study(TINY, workers=1, progress=False)


# --------------------------------------------------------------------------- backends


def test_local_pool_and_dask_give_identical_results(inprocess):
    from distributed import Client, LocalCluster

    pool = study.run_study(TINY, workers=2, chunk_size=2, progress=False)
    pd.testing.assert_frame_equal(pool, inprocess, check_exact=True)
    with (
        # one worker process: the tasks are still pickled, sent and gathered out of order
        # (chunk_size=1); the results do not depend on the worker count (seeds per replication,
        # shown for the local pool with two workers above)
        LocalCluster(
            n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dask = study.run_study(TINY, backend="dask", client=client, chunk_size=1, progress=False)
    pd.testing.assert_frame_equal(dask, inprocess, check_exact=True)
    pd.testing.assert_frame_equal(
        study.summarise(dask), study.summarise(inprocess), check_exact=True
    )


def test_results_are_complete_and_valid(inprocess):
    assert len(inprocess) == len(TINY.keys()) * len(simulate.ESTIMANDS)
    assert (inprocess["error"] == "").all()
    assert list(inprocess.columns) == study.RESULT_COLUMNS
    ok = inprocess
    assert (ok["ci_low"] <= ok["estimate"]).all() and (ok["estimate"] <= ok["ci_high"]).all()
    covered = (ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])
    assert (covered == ok["covered"]).all()


def test_unknown_backend_and_missing_scheduler():
    with pytest.raises(JianfuError, match="backend"):
        study.run_study(TINY, backend="spark", progress=False)
    with pytest.raises(JianfuError, match="scheduler"):
        study.run_study(TINY, backend="dask", progress=False)


# --------------------------------------------------------------------------- resume


def test_resume_runs_only_missing_replications(tmp_path, inprocess, monkeypatch):
    ckpt = tmp_path / "ckpt"
    half = study.run_study(TINY, checkpoint=ckpt, max_replications=5, progress=False)
    assert half[["design", "effect", "rep"]].drop_duplicates().shape[0] == 5
    ran: list = []
    original = study.run_replication

    def counting(run_seed, keys, *args):
        ran.append(keys)
        return original(run_seed, keys, *args)

    monkeypatch.setattr(study, "run_replication", counting)
    full = study.run_study(TINY, checkpoint=ckpt, progress=False)
    pd.testing.assert_frame_equal(full, inprocess, check_exact=True)
    assert len(ran) == len(TINY.keys()) - 5
    assert set(ran).isdisjoint(set(map(tuple, half[["design", "effect", "rep"]].to_numpy())))
    # nothing left to run: the checkpoint alone gives the same frame
    ran.clear()
    again = study.run_study(TINY, checkpoint=ckpt, progress=False)
    assert ran == []
    pd.testing.assert_frame_equal(again, inprocess, check_exact=True)


def test_checkpoint_ignores_torn_line_and_other_studies(tmp_path):
    ckpt = tmp_path / "ckpt"
    study.run_study(TINY, checkpoint=ckpt, max_replications=2, progress=False)
    store = study.Checkpoint(ckpt, TINY.fingerprint())
    with store.path.open("a") as fh:
        fh.write('[{"design": 0, "eff')  # a write cut short
    assert len(store.load()) == 2 * len(simulate.ESTIMANDS)
    other = study.Study(1, TINY.designs, TINY.effects, 3, TINY.model)
    assert other.fingerprint() != TINY.fingerprint()
    more = study.Study(TINY.seed, TINY.designs, TINY.effects, 50, TINY.model)
    assert more.fingerprint() == TINY.fingerprint()  # more replications reuse the finished ones


# --------------------------------------------------------------------------- seeds


def test_replication_depends_on_its_key_only():
    design, effects, model = TINY.designs[1], TINY.effects[1], TINY.model
    first = simulate.run_replication(5, (1, 1, 2), design, effects, model)
    simulate.run_replication(5, (0, 0, 0), design, effects, model)  # anything in between
    again = simulate.run_replication(5, (1, 1, 2), design, effects, model)
    assert first == again
    other = simulate.run_replication(5, (1, 1, 3), design, effects, model)
    assert other[0]["estimate"] != first[0]["estimate"]
    shuffled = study._run_chunk(5, [(1, 1, 3), (1, 1, 2)], TINY.designs, TINY.effects, model)
    assert shuffled[3:] == first


def test_generator_shapes_and_cohorts():
    rng = np.random.default_rng(0)
    des = Design(5, 2, 4, 12)
    survey = simulate.draw_survey(des, Effects(0.1, 0.1, 0.1), ModelSettings(), rng)
    assert len(survey) == 40 and survey["township"].nunique() == 10
    panel = simulate.draw_panel(des, Effects(0.1, 0.1, 0.1), ModelSettings(cohorts=3), rng)
    assert len(panel) == 10 * 12
    assert set(panel["cohort"]) <= {0, *simulate.cohort_months(12, 3)}
    assert (panel["cohort"] == 0).any()
    assert simulate.cohort_months(12, 3) == [4, 7, 10]
    with pytest.raises(ValueError, match="districts"):
        Design(1, 2, 4, 12)


# --------------------------------------------------------------------------- summary


def test_summary_mcse_formulas():
    rows = []
    est = [0.1, 0.3, 0.2, 0.6]
    for r, value in enumerate(est):
        rows.append(
            {"design": 0, "effect": 0, "rep": r, "estimand": "att", "truth": 0.25,
             "estimate": value, "se": 0.1, "ci_low": value - 0.2, "ci_high": value + 0.2,
             "p": 0.01, "reject": r < 3, "covered": abs(value - 0.25) <= 0.2, "error": ""}
        )  # fmt: skip
    rows.append(rows[-1] | {"rep": 4, "estimate": np.nan, "error": "boom"})
    s = study.summarise(study.results_frame(rows)).iloc[0]
    assert s["n_reps"] == 4 and s["n_failed"] == 1
    assert s["power"] == 0.75
    assert math.isclose(s["power_mcse"], math.sqrt(0.75 * 0.25 / 4))
    assert math.isclose(s["coverage"], 0.75)
    err = np.array(est) - 0.25
    assert math.isclose(s["bias"], err.mean())
    assert math.isclose(s["bias_mcse"], np.std(est, ddof=1) / 2)
    mse = np.mean(err**2)
    assert math.isclose(s["rmse"], math.sqrt(mse))
    mse_se = math.sqrt(np.sum((err**2 - mse) ** 2) / (4 * 3))
    assert math.isclose(s["rmse_mcse"], mse_se / (2 * math.sqrt(mse)))


def test_grant_table_picks_smallest_design_reaching_target(inprocess):
    described = study.describe(study.summarise(inprocess), TINY)
    described["power"] = np.where(described["design"] == 1, 0.9, 0.5)
    table = study.grant_table(described)
    assert len(table) == len(simulate.ESTIMANDS)  # effect size 0 (type I error) left out
    assert set(table["design"]) == {TINY.designs[1].label("en")}
    described["power"] = 0.1
    none = study.grant_table(described)
    assert (none["design"] == "").all()
    assert "none of the designs" in study.grant_markdown(none)


def test_effect_grid_checks_lengths():
    grid = study.effect_grid({"indirect": [0, 0.1], "interaction": [0, 0.2], "att": [0, 1]})
    assert grid[1] == Effects(0.1, 0.2, 1.0)
    with pytest.raises(JianfuError, match="equally long"):
        study.effect_grid({"indirect": [0], "interaction": [0, 0.2], "att": [0]})


# --------------------------------------------------------------------------- figure + stage


def _codepoints() -> set[int]:
    from jianfu.figures import fonts
    from jianfu.power.figures import TEXT

    texts = [
        t for lab in (*TEXT.values(), *simulate.ESTIMAND_LABELS.values()) for t in lab.values()
    ]
    texts += [d.label(lang) for d in TINY.designs for lang in ("zh", "en")]
    texts.append("0123456789.,-−+×%() ")
    extra = {cp for lo, hi in fonts.EXTRA_RANGES for cp in range(lo, hi + 1)}
    return extra | {ord(ch) for t in texts for ch in t}


@pytest.fixture(scope="module")
def font(cjk_font):
    return cjk_font


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_power_curves_figure(font, inprocess, lang, tmp_path):
    from jianfu.figures.style import save_figure
    from jianfu.power.figures import power_curves

    described = study.describe(study.summarise(inprocess), TINY)
    fig = power_curves(described, lang)
    assert len(fig.axes) == len(simulate.ESTIMANDS)
    paths = save_figure(fig, tmp_path / f"curves_{lang}", formats=("png",))
    first = paths[0].read_bytes()
    save_figure(power_curves(described, lang), tmp_path / f"curves_{lang}", formats=("png",))
    assert paths[0].read_bytes() == first


def test_stage_writes_outputs_and_resumes(font, tmp_path):
    args = argparse.Namespace(
        fonts=font.font,
        out=tmp_path / "out",
        checkpoint=tmp_path / "ckpt",
        metrics=tmp_path / "metrics.json",
        workers=None,
    )
    params = TrackedParams({"power": PARAMS})
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        stage.run(args, params)
    out = args.out
    for name in ("replications.parquet", "summary.parquet", "summary.csv", "grant_table.csv",
                 "grant_table.md", "power_curves_zh.pdf", "power_curves_en.png"):  # fmt: skip
        assert (out / name).is_file(), name
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 3 * 2 * 2
    detail = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(detail) == set(simulate.ESTIMANDS)
    metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
    assert metrics == stage.headline(detail)
    assert metrics["estimands"] == 3 and metrics["cells"] == len(summary)
    assert {k.split(".")[0] for k in params.accessed} == {"power"}
    first = (out / "summary.csv").read_bytes()
    stage.run(args, params)  # everything from the checkpoint: same outputs
    assert (out / "summary.csv").read_bytes() == first
