"""The specification curve: the grid, its evaluation in parallel, the curve, figures, table.

Unit tests on tiny inputs; on the pipeline fixture's outputs, a small grid evaluated on the
local pool equals the single-specification functions, and a DVC experiment of one
specification (`dvc exp run -S robustness.spec.…`) reproduces the `spec_curve` stage's rows of
it; the fixture's (smaller) grid is checked in its outputs, and params.yaml's default grid of
127 specifications is evaluated whole in the slow tier.
"""

from __future__ import annotations

import json
import operator
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, clone_with_outputs, dvc, run_jianfu
from jianfu.core.errors import JianfuError
from jianfu.core.parallel import run_tasks
from jianfu.core.params import load_params
from jianfu.robustness import choices, curve, evaluate
from jianfu.robustness import grid as gridmod

MAIN = dict(choices.DEFAULTS)


def _params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- the grid


def test_default_grid_has_the_documented_number_of_specifications():
    rob = _params()["robustness"]
    specs = gridmod.expand(rob["spec"], rob["grid"])
    assert specs[0] == choices.canonical(rob["spec"])  # the main specification first
    assert len(gridmod.family_specs(specs, "survey")) == 112
    assert len(gridmod.family_specs(specs, "policy")) == 16
    assert len(specs) == 112 + 16 - 1 >= 48
    names = [gridmod.experiment_name(s) for s in specs]
    assert len(set(names)) == len(names)
    # a family's specifications vary only their own family's choices
    survey_keys, policy_keys = gridmod.FAMILIES["survey"], gridmod.FAMILIES["policy"]
    for s in specs:
        varied_survey = any(s[k] != specs[0][k] for k in survey_keys)
        varied_policy = any(s[k] != specs[0][k] for k in policy_keys)
        assert not (varied_survey and varied_policy)


def test_choices_an_estimator_ignores_collapse():
    specs = gridmod.expand(
        MAIN, {"survey": {"estimator": ["ols", "sem"], "se": ["cluster", "hc3"]}}
    )
    # ols x cluster (main), ols x hc3, sem (its se is ignored): 3, not 4
    assert [(s["estimator"], s["se"]) for s in specs] == [
        ("ols", "cluster"),
        ("ols", "hc3"),
        ("sem", "cluster"),
    ]


def test_spec_ids_are_stable_and_never_numeric():
    a = {"scoring": "mean", "estimator": "ols"}
    b = {"estimator": "ols", "scoring": "mean"}
    assert gridmod.spec_id(a) == gridmod.spec_id(b)
    assert gridmod.spec_id({**a, "scoring": "factor"}) != gridmod.spec_id(a)
    assert gridmod.spec_id({"x": 0.5}) == gridmod.spec_id({"x": 0.50})
    fid = gridmod.family_spec_id(MAIN, "survey")
    assert fid.startswith("survey-") and len(fid) == len("survey-") + 8
    assert gridmod.experiment_name(MAIN).startswith("spec-")


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"surveys": {"scoring": ["mean"]}}, "unknown family surveys"),
        ({"survey": {"cs_control": ["never"]}}, "not a survey choice"),
        ({"survey": {"scoring": "factor"}}, "non-empty list"),
        ({"survey": {"scoring": ["mean", "median"]}}, "'median' is not allowed"),
        ({"policy": {"cs_method": ["dr", "gmm"]}}, "'gmm' is not allowed"),
    ],
)
def test_bad_grids_are_clear_errors(grid, message):
    with pytest.raises(JianfuError, match=message):
        gridmod.expand(MAIN, grid)


def test_exp_run_arguments_set_every_choice_and_target_the_spec_stages():
    spec = {**MAIN, "cs_baseline": False, "speeder_median_share": 0.5}
    args = gridmod.exp_run_args(spec)
    assert args[:4] == ["exp", "run", "-n", gridmod.experiment_name(spec)]
    sets = [args[i + 1] for i, a in enumerate(args) if a == "-S"]
    assert len(sets) == len(MAIN)
    assert "robustness.spec.cs_baseline=false" in sets
    assert "robustness.spec.speeder_median_share=0.5" in sets
    assert 'robustness.spec.scoring="mean"' in sets
    assert args[-2:] == ["spec_survey", "spec_policy"]
    assert gridmod.exp_run_args(spec, "survey")[-1] == "spec_survey"
    # only the spec stages: never ingest, which cannot run without the git-ignored own exports
    assert args[4] == "--single-item"


# ----------------------------------------------------------------------------- evaluation


def _metrics(family: str, shift: float = 0.0) -> dict:
    if family == "survey":
        effects = {"FB<-DM": (-0.1 + shift, "path", "DM", "", "FB")}
    else:
        effects = {"ATT:negative_list->documents": (-15.0 + shift, "att", "negative_list", "",
                                                    "documents")}  # fmt: skip
    return {
        "effects": {
            e: {"kind": k, "x": x, "m": m, "y": y, "estimate": v, "se": 0.02, "ci_low": v - 0.04,
                "ci_high": v + 0.04, "p": 0.001, "n": 100, "scale": "sd"}
            for e, (v, k, x, m, y) in effects.items()
        }
    }  # fmt: skip


def test_tasks_share_a_sample_per_cleaning_choice_survey_first():
    grid = {"survey": {"straightliner": ["remove", "keep"], "scoring": ["mean", "factor"]},
            "policy": {"cs_method": ["dr", "reg"], "cs_control": ["notyet", "never"]}}  # fmt: skip
    tasks = evaluate.plan(gridmod.expand(MAIN, grid))
    assert [(f, len(g)) for f, g in tasks] == [
        ("survey", 2), ("survey", 2), ("policy", 2), ("policy", 2)
    ]  # fmt: skip
    for _, group in tasks[:2]:
        assert len({s["straightliner"] for s in group}) == 1
    for _, group in tasks[2:]:  # one comparison group and baseline: the panels are shared
        assert len({(s["cs_control"], s["cs_baseline"]) for s in group}) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_tasks_come_back_in_order_on_the_local_backend(workers):
    tasks = [(i, 10) for i in range(7)]
    seen = []
    out = run_tasks(operator.add, tasks, workers=workers, on_done=lambda i, r: seen.append(i))
    assert out == [i + 10 for i in range(7)]
    assert sorted(seen) == list(range(7))


def test_tasks_run_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:  # fmt: skip
        out = run_tasks(operator.mul, [(i, 3) for i in range(5)], backend="dask", client=client)
    assert out == [0, 3, 6, 9, 12]
    with pytest.raises(JianfuError, match=r"needs robustness\.dask\.scheduler"):
        run_tasks(operator.mul, [(1, 2)], backend="dask", where="robustness")
    with pytest.raises(JianfuError, match="backend must be one of"):
        run_tasks(operator.mul, [(1, 2)], backend="spark", where="robustness")


def _grid_rows(specs, family, ds=0.0, error=""):
    rows = []
    for spec in gridmod.family_specs(specs, family):
        m = _metrics(family, ds)
        effects = None if error else pd.DataFrame(
            [{"effect": e, **v} for e, v in m["effects"].items()]
        )  # fmt: skip
        rows += evaluate._rows(family, spec, effects, error)
    return rows


def test_curve_lists_failed_specifications_and_is_then_incomplete():
    specs = gridmod.expand(MAIN, {"survey": {"scoring": ["mean", "factor"]}})
    grid = evaluate.grid_table(
        _grid_rows(specs[:1], "survey") + _grid_rows(specs, "policy")
        + _grid_rows(specs[1:], "survey", error="ValueError: boom")
    )  # fmt: skip
    rows, status = curve.curve_table(grid, specs, MAIN, {})
    assert status["specifications"] == 3 and status["estimated"] == 2
    assert not status["complete"]
    failed = status["families"]["survey"]["failed"]
    assert failed == [
        {"spec_id": gridmod.family_spec_id(specs[1], "survey"), "error": "ValueError: boom"}
    ]
    assert rows["main"].sum() == 2  # one survey, one policy row of the main specification
    # a family without inputs (own data without office records) is reported skipped
    _, status = curve.curve_table(grid, specs, MAIN, {"policy": "no office records"})
    assert status["families"]["policy"] == {
        "skipped": "no office records", "specifications": 0, "estimated": 0, "failed": []
    }  # fmt: skip


def test_the_main_specification_must_match_the_single_spec_stage():
    specs = gridmod.expand(MAIN, {})
    grid = evaluate.grid_table(_grid_rows(specs, "survey"))
    main_id = gridmod.family_spec_id(MAIN, "survey")
    curve.check_main(grid, "survey", main_id, _metrics("survey"))
    with pytest.raises(JianfuError, match="must compute the same numbers"):
        curve.check_main(grid, "survey", main_id, _metrics("survey", shift=1e-6))


def test_summary_shares():
    table = pd.DataFrame(
        {
            "family": "survey",
            "effect": "FB<-DM",
            "kind": "path",
            "x": "DM",
            "m": "",
            "y": "FB",
            "estimate": [-0.2, -0.1, -0.05, 0.02],
            "p": [0.001, 0.01, 0.2, 0.6],
            "main": [False, True, False, False],
        }
    )
    s = curve.summary(table, alpha=0.05).iloc[0]
    assert s["specifications"] == 4
    assert s["main_estimate"] == -0.1
    assert s["median"] == pytest.approx(-0.075)
    assert (s["min"], s["max"]) == (-0.2, 0.02)
    assert s["share_same_sign"] == 0.75
    assert s["share_significant"] == 0.5
    assert s["share_significant_same_sign"] == 0.5


# ----------------------------------------------------------------------------- figures, table


def _curve_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for k, (scoring, estimator) in enumerate(
        [("mean", "ols"), ("factor", "ols"), ("mean", "mixed"), ("factor", "mixed")]
    ):
        est = -0.1 + rng.normal(0, 0.02)
        rows.append(
            {"family": "survey", "spec_id": f"survey-{k:08x}", "spec_scoring": scoring,
             "spec_estimator": estimator, "effect": "FB<-DM", "kind": "path", "x": "DM", "m": "",
             "y": "FB", "estimate": est, "ci_low": est - 0.05, "ci_high": est + 0.05,
             "p": 0.01 if k else 0.2, "main": k == 0}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_spec_curve_figures_draw(cjk_font, lang):
    from jianfu.figures import robustness as fig

    table = _curve_frame()
    f = fig.spec_curve(table, "FB<-DM", choices=list(fig.CHOICE_LABELS), lang=lang)
    bottom = f.axes[1]
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert len(labels) == 4  # two choices x two values, the constant ones left out
    assert ("Estimator: multilevel" in labels) if lang == "en" else ("估计方法: 多层模型" in labels)
    summ = curve.summary(table, 0.05)
    fig.spec_curve_summary(summ, lang=lang)
    with pytest.raises(ValueError, match="no specifications"):
        fig.spec_curve(table, "FB<-PV", choices=["scoring"], lang=lang)


def test_choice_values_are_labelled_in_both_languages():
    from jianfu.figures import robustness as fig

    assert fig.value_label(True, "zh") == fig.value_label("True", "zh") == "是"
    assert fig.value_label("notyet", "en") == "not yet treated"
    assert fig.value_label(0.3333, "en") == "0.333"
    for name, choice in choices.CHOICES.items():  # a new choice or value needs its labels
        assert name in fig.CHOICE_LABELS, name
        for value in choice.values or ():
            assert str(value).lower() in fig.VALUE_LABELS, (name, value)


def test_spec_curve_table_renders_in_every_format():
    from jianfu.tables import fmt_num, render
    from jianfu.tables.build_robustness import spec_curve_table

    summ = curve.summary(_curve_frame(), 0.05)
    t = spec_curve_table(summ, {"FB<-DM": {"zh": "精文减会 → 负担", "en": "DM → FB"}})
    for fmt in ("md", "html", "tex"):
        for lang in ("zh", "en"):
            text = render(t, fmt, lang)
            assert ("精文减会" if lang == "zh" else "DM") in text
    main = summ["main_estimate"].item()
    assert fmt_num(main, "effect") in render(t, "md", "en")


# ----------------------------------------------------------------------------- end to end


def _survey_rows(project: Path) -> pd.DataFrame:
    folder = project / "data/processed/survey"
    return pd.concat(
        [pd.read_parquet(folder / "clean.parquet"), pd.read_parquet(folder / "quarantine.parquet")],
        ignore_index=True,
    )


@pytest.mark.pipeline
def test_grid_on_the_pool_equals_the_single_specification_functions(pipeline_project, codebook):
    """A small grid on two workers: each row is what `survey_effects` / `policy_effects` give
    for that specification alone (the functions of the spec_survey and spec_policy stages)."""
    from jianfu.robustness.policy import load_panel, policy_effects
    from jianfu.robustness.sample import analysis_sample
    from jianfu.robustness.survey import survey_effects

    project = pipeline_project[0]
    params = load_params(project / "params.yaml")
    grid = {"survey": {"scoring": ["mean", "factor"], "attention_fail": ["remove", "keep"]},
            "policy": {"cs_method": ["dr", "reg"]}}  # fmt: skip
    specs = gridmod.expand(MAIN, grid)
    rows, clean = _survey_rows(project), params["ingest"]["clean"].to_dict()
    panel = load_panel(project / "data/processed/panel")
    survey = (rows, codebook, clean, evaluate.survey_settings(params))
    policy = (panel, evaluate.policy_settings(params))
    table = evaluate.evaluate_grid(specs, survey=survey, policy=policy, workers=2)
    assert (table["error"] == "").all()
    assert table.groupby("family")["spec_id"].nunique().to_dict() == {"survey": 4, "policy": 2}
    # one specification of each family, alone
    spec = {**MAIN, "scoring": "factor", "attention_fail": "keep"}
    sample = analysis_sample(rows, codebook, clean, spec)
    alone = survey_effects(sample, codebook, spec, **evaluate.survey_settings(params))
    got = table[table["spec_id"] == gridmod.family_spec_id(spec, "survey")].set_index("effect")
    # 1e-12, not ==: the grid scores each cleaning combination's sample once and shares the
    # scores across its specifications; alone, the function scores it itself (same arithmetic,
    # another summation order: the last bit can differ). The stage's check_main asks 1e-9.
    for r in alone.itertuples():
        assert got.at[r.effect, "estimate"] == pytest.approx(r.estimate, rel=1e-12, abs=1e-15)
        assert got.at[r.effect, "se"] == pytest.approx(r.se, rel=1e-12)
        assert got.at[r.effect, "n"] == r.n
    spec = {**MAIN, "cs_method": "reg"}
    alone = policy_effects(panel, spec, evaluate.policy_settings(params))
    got = table[table["spec_id"] == gridmod.family_spec_id(spec, "policy")].set_index("effect")
    for r in alone.itertuples():
        assert got.at[r.effect, "estimate"] == r.estimate and got.at[r.effect, "p"] == r.p


def test_default_grid_has_127_specifications():
    """params.yaml's grid: 112 survey + 16 policy rows, 127 distinct specifications."""
    grid = _params()["robustness"]["grid"]
    specs = gridmod.expand(MAIN, grid)
    assert len(specs) == 127
    assert evaluate.plan(specs)  # every specification has its task


@pytest.mark.pipeline
@pytest.mark.slow
def test_the_default_grid_is_estimated_whole(pipeline_project, codebook):
    """params.yaml's 127 specifications on the fixture's data, on the local pool: none fails.

    Slow tier: the whole default grid (~30 CPU s); the fixture runs a smaller one."""
    project = pipeline_project[0]
    params = load_params(project / "params.yaml")
    specs = gridmod.expand(MAIN, _params()["robustness"]["grid"])
    rows, clean = _survey_rows(project), params["ingest"]["clean"].to_dict()
    survey = (rows, codebook, clean, evaluate.survey_settings(params))
    policy = (_load_panel(project / "data/processed/panel"), evaluate.policy_settings(params))
    table = evaluate.evaluate_grid(specs, survey=survey, policy=policy, workers=2)
    assert (table["error"] == "").all()
    assert table.groupby("family")["spec_id"].nunique().to_dict() == {"survey": 112, "policy": 16}


@pytest.mark.pipeline
def test_the_fixture_grid_is_estimated_in_the_pipeline(pipeline_project):
    """The pipeline's spec_curve stage estimated every specification of the run's grid (the
    fixture's smaller grid, conftest.FIXTURE_PARAMS: 16 survey + 2 policy specifications)."""
    project = pipeline_project[0]
    grid = load_params(project / "params.yaml")["robustness"]["grid"].to_dict()
    n = {f: len(gridmod.expand(MAIN, {**{g: {} for g in grid}, f: grid[f]})) for f in grid}
    table = pd.read_csv(project / "reports/robustness/spec_curve.csv", encoding="utf-8-sig")
    status = json.loads((project / "reports/robustness/status.json").read_text(encoding="utf-8"))
    assert n == {"survey": 16, "policy": 2}
    assert status["specifications"] == 16 + 2 and status["complete"], status
    assert table.groupby("family")["spec_id"].nunique().to_dict() == n
    # cleaning choices change the sample: keeping straight-liners never removes a row and
    # adds some where failed attention checks are kept too (most straight-liners fail them)
    survey = table[table["family"] == "survey"].drop_duplicates("spec_id")
    others = [f"spec_{c}" for c in gridmod.FAMILIES["survey"] if c != "straightliner"]
    pairs = survey.pivot_table(index=others, columns="spec_straightliner", values="n")
    assert len(pairs) == 16 // 2
    assert (pairs["keep"] >= pairs["remove"]).all()
    assert (pairs["keep"] > pairs["remove"]).any()
    # the main specification's rows are the single-specification stage's numbers
    main = json.loads((project / curve.METRICS["survey"]).read_text(encoding="utf-8"))
    rows = table[table["spec_id"] == status["families"]["survey"]["main_spec_id"]]
    assert set(rows["effect"]) == set(main["effects"])
    for r in rows.itertuples():
        assert r.estimate == pytest.approx(main["effects"][r.effect]["estimate"], abs=1e-12)
    figures = json.loads((project / "reports/figures/figures.json").read_text(encoding="utf-8"))
    keys = {f["key"] for f in figures}
    assert {
        "spec_curve_path",
        "spec_curve_indirect",
        "spec_curve_att",
        "spec_curve_summary",
    } <= keys
    assert (project / "reports/tables/spec_curve_zh.md").exists()


@pytest.mark.pipeline
@pytest.mark.slow
def test_a_dvc_experiment_reproduces_a_grid_row(pipeline_project, tmp_path):
    """`dvc exp run -S robustness.spec.…` (the command `jianfu spec-curve exp <id>` prints)
    estimates one specification of the curve: its metrics equal the spec_curve stage's rows.

    Slow tier: two DVC experiments in a clone (~30 s); the default tier's pool test checks the
    grid's rows against the same single-specification functions the experiment runs."""
    project = clone_with_outputs(pipeline_project[0], tmp_path / "clone")
    table = pd.read_csv(project / "reports/robustness/spec_curve.csv", encoding="utf-8-sig")
    want = {
        "survey": {**MAIN, "estimator": "mixed", "scoring": "factor", "attention_fail": "keep"},
        "policy": {**MAIN, "cs_method": "reg"},
    }  # specifications of the fixture's grid (conftest.FIXTURE_PARAMS)
    for family, spec in want.items():
        spec_id = gridmod.family_spec_id(spec, family)
        command = _jianfu(project, "spec-curve", "exp", spec_id).strip().splitlines()[-1]
        assert command.startswith("dvc exp run ") and f"spec_{family}" in command
        dvc(project, *shlex.split(command)[1:])
        got = json.loads((project / curve.METRICS[family]).read_text(encoding="utf-8"))
        assert got["spec"] == gridmod.family_spec(spec, family)
        rows = table[table["spec_id"] == spec_id]
        assert len(rows) == len(got["effects"]) > 0
        for r in rows.itertuples():
            e = got["effects"][r.effect]
            for col in ("estimate", "se", "ci_low", "ci_high", "p"):
                if e[col] is None:  # JSON null: not defined for this effect
                    assert pd.isna(getattr(r, col)), (r.effect, col)
                    continue
                assert getattr(r, col) == pytest.approx(e[col], rel=1e-12), (r.effect, col)
        assert got["effects"][rows["effect"].iloc[0]]["n"] == rows["n"].iloc[0]


def _jianfu(project: Path, *args: str) -> str:
    proc = run_jianfu(project, *args)
    return proc.stdout + proc.stderr


def _load_panel(path: Path):
    from jianfu.robustness.policy import load_panel

    return load_panel(path)
