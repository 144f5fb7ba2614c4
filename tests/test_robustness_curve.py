"""The specification curve: grid, DVC experiments, collection, staleness, figures, table.

Unit tests on tiny inputs; the quick tier runs a 4-specification grid as real DVC experiments
end to end (queue, run, collect, the spec_curve stage, figures and report); the slow tier runs
the default grid (127 experiments: 112 survey and 16 policy specifications).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, clone_with_outputs, dvc, run_git, run_jianfu
from jianfu.core.errors import JianfuError
from jianfu.robustness import choices, curve, experiments
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
    args = experiments.exp_run_args({**MAIN, "cs_baseline": False, "speeder_median_share": 0.5})
    assert args[:5] == ["exp", "run", "--queue", "-n", gridmod.experiment_name(
        {**MAIN, "cs_baseline": False, "speeder_median_share": 0.5})]  # fmt: skip
    sets = [args[i + 1] for i, a in enumerate(args) if a == "-S"]
    assert len(sets) == len(MAIN)
    assert "robustness.spec.cs_baseline=false" in sets
    assert "robustness.spec.speeder_median_share=0.5" in sets
    assert 'robustness.spec.scoring="mean"' in sets
    assert args[-2:] == list(experiments.TARGETS)
    # only the spec stages: never ingest, which cannot run without the git-ignored own exports
    assert args[5] == "--single-item"


# ----------------------------------------------------------------------------- collection


def _metrics(family: str, shift: float = 0.0, fingerprint: str = "f0") -> dict:
    if family == "survey":
        effects = {"FB<-DM": (-0.1 + shift, "path", "DM", "", "FB")}
    else:
        effects = {"ATT:negative_list->documents": (-15.0 + shift, "att", "negative_list", "",
                                                    "documents")}  # fmt: skip
    return {
        "fingerprint": fingerprint,
        "effects": {
            e: {"kind": k, "x": x, "m": m, "y": y, "estimate": v, "se": 0.02, "ci_low": v - 0.04,
                "ci_high": v + 0.04, "p": 0.001, "n": 100, "scale": "sd"}
            for e, (v, k, x, m, y) in effects.items()
        }
    }  # fmt: skip


def _shown(specs_and_shifts) -> list[dict]:
    """A `dvc exp show --json` document with one experiment per (spec, survey, policy shift)."""
    exps = []
    for spec, ds, dp, error in specs_and_shifts:
        rev = {
            "rev": "abc",
            "name": gridmod.experiment_name(spec),
            "error": error,
            "data": {
                "params": {"params.yaml": {"data": {"robustness": {"spec": spec}}}},
                "metrics": {
                    experiments.METRICS["survey"]: {"data": _metrics("survey", ds)},
                    experiments.METRICS["policy"]: {"data": _metrics("policy", dp)},
                },
            },
        }
        exps.append({"revs": [rev], "name": rev["name"]})
    return [{"rev": "workspace"}, {"rev": "base", "experiments": exps}]


def test_collect_makes_one_row_per_family_specification_and_effect():
    specs = gridmod.expand(
        MAIN, {"survey": {"scoring": ["mean", "factor"]}, "policy": {"cs_control": ["notyet",
                                                                                     "never"]}}
    )  # fmt: skip
    assert len(specs) == 3
    shown = _shown([(specs[0], 0, 0, None), (specs[1], 0.01, 0, None), (specs[2], 0, 1.0, None)])
    table, missing = experiments.collect(shown, specs)
    assert missing == []
    assert len(table) == 4  # survey: main, factor; policy: main, never
    assert list(table.columns[:2]) == ["family", "spec_id"]
    assert set(table["spec_scoring"].dropna()) == {"mean", "factor"}
    assert table.loc[table["spec_scoring"] == "factor", "estimate"].item() == pytest.approx(-0.09)
    # an experiment that failed, or none at all, is reported missing, never invented
    table, missing = experiments.collect(
        _shown([(specs[0], 0, 0, None), (specs[1], 0.01, 0, "boom")]), specs
    )
    assert missing == [gridmod.experiment_name(specs[1]), gridmod.experiment_name(specs[2])]
    assert len(table) == 2


def test_collect_refuses_experiments_from_different_inputs():
    specs = gridmod.expand(MAIN, {"policy": {"cs_control": ["notyet", "never"]}})
    # both experiments hold the main survey specification, with different results
    shown = _shown([(specs[0], 0, 0, None), (specs[1], 0.5, 1.0, None)])
    with pytest.raises(JianfuError, match="different inputs"):
        experiments.collect(shown, specs)


def test_curve_marks_stale_and_missing_specifications():
    specs = gridmod.expand(MAIN, {"survey": {"scoring": ["mean", "factor"]}})
    table, _ = experiments.collect(_shown([(specs[0], 0, 0, None)]), specs)
    current = {"survey": _metrics("survey"), "policy": _metrics("policy")}
    rows, status = curve.curve_table(table, specs, MAIN, current)
    assert not status["stale"] and not status["complete"]
    assert status["families"]["survey"]["missing"] == [gridmod.family_spec_id(specs[1], "survey")]
    assert rows["main"].sum() == 2
    # the data changed since the experiments ran: the main estimate differs -> stale
    current["survey"] = _metrics("survey", shift=1e-6)
    _, status = curve.curve_table(table, specs, MAIN, current)
    assert status["stale"] and status["stale_effects"] == ["FB<-DM"]


def test_curve_marks_specifications_from_other_data_or_code_stale():
    """A code change that moves only another specification (not the main one) is caught."""
    specs = gridmod.expand(MAIN, {"survey": {"estimator": ["ols", "sem"]}})
    table, _ = experiments.collect(_shown([(s, 0, 0, None) for s in specs]), specs)
    table.loc[table["spec_estimator"] == "sem", "fingerprint"] = "f1"  # made by other code
    current = {"survey": _metrics("survey"), "policy": _metrics("policy")}
    _, status = curve.curve_table(table, specs, MAIN, current)
    assert status["stale"] and status["stale_effects"] == []
    assert status["families"]["survey"]["stale_specifications"] == 1
    assert status["families"]["policy"]["stale_specifications"] == 0
    table["fingerprint"] = "f0"
    assert not curve.curve_table(table, specs, MAIN, current)[1]["stale"]


def test_fingerprint_follows_data_settings_and_code(tmp_path):
    from jianfu.robustness.stage import fingerprint

    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    a.write_bytes(b"data")
    b.write_bytes(b"data")
    base = fingerprint({"clean": a}, {"seed": 1})
    assert fingerprint({"clean": b}, {"seed": 1}) == base  # contents, not paths
    assert fingerprint({"clean": a}, {"seed": 2}) != base
    b.write_bytes(b"other")
    assert fingerprint({"clean": b}, {"seed": 1}) != base


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


def _set_grid(project: Path, grid: dict) -> None:
    path = project / "params.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\n  grid:\n", text.index("\nrobustness:"))
    end = text.index("\n  alpha:", start)
    block = yaml.safe_dump({"grid": grid}, default_flow_style=None, sort_keys=False)
    block = "\n" + "".join(f"  {line}\n" for line in block.splitlines())
    path.write_text(text[:start] + block.rstrip("\n") + text[end:], encoding="utf-8")


def _commit(project: Path, message: str) -> None:
    run_git(project, "add", "-A")
    run_git(project, "commit", "-qm", message)


def _jianfu(project: Path, *args: str) -> str:
    proc = run_jianfu(project, *args)
    return proc.stdout + proc.stderr


def _run_grid(pipeline_project, tmp_path, grid: dict | None, jobs: int) -> Path:
    project = clone_with_outputs(pipeline_project[0], tmp_path / "clone")
    if grid is not None:
        _set_grid(project, grid)
        _commit(project, "grid")
    out = _jianfu(project, "spec-curve", "run", "-j", str(jobs))
    assert "specifications collected" in out
    return project


def _check_curve(project: Path, n_specs: int) -> tuple[pd.DataFrame, dict]:
    table = pd.read_csv(project / experiments.COLLECTED, encoding="utf-8-sig")
    status = json.loads((project / "reports/robustness/status.json").read_text(encoding="utf-8"))
    assert status["specifications"] == n_specs
    assert status["complete"] and not status["stale"], status
    return table, status


@pytest.mark.pipeline
def test_quick_grid_runs_as_dvc_experiments_end_to_end(pipeline_project, tmp_path):
    """4 specifications (2 scorings x OLS/multilevel) -> experiments -> table -> report."""
    grid = {"survey": {"scoring": ["mean", "factor"], "estimator": ["ols", "mixed"]}, "policy": {}}
    project = _run_grid(pipeline_project, tmp_path, grid, jobs=2)
    names = [e["name"] for e in experiments.experiments(experiments.show(project))]
    assert len(names) == 4
    # an unchanged grid runs nothing again
    assert "0 to queue" in _jianfu(project, "spec-curve", "run")
    out = dvc(project, "repro", "report")
    ran = {line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")}
    # only the curve and what shows it rerun; the estimates of the main spec come from cache
    assert ran == {"spec_curve", "figures", "report"}, ran
    table, status = _check_curve(project, n_specs=4 + 1)
    assert len(table) == 4 * 14 + 5
    # the experiment of the main specification reproduces the workspace's own estimates
    main = json.loads((project / experiments.METRICS["survey"]).read_text(encoding="utf-8"))
    rows = table[table["spec_id"] == status["families"]["survey"]["main_spec_id"]]
    for _, r in rows.iterrows():
        assert r["estimate"] == pytest.approx(main["effects"][r["effect"]]["estimate"], abs=1e-12)
    # every specification of a family used the same rows unless a cleaning choice changed
    assert set(table.loc[table["family"] == "survey", "n"]) == {main["n"]}
    figures = json.loads((project / "reports/figures/figures.json").read_text(encoding="utf-8"))
    keys = {f["key"] for f in figures}
    assert {
        "spec_curve_path",
        "spec_curve_indirect",
        "spec_curve_att",
        "spec_curve_summary",
    } <= keys
    register = (project / "reports/FIGURES.md").read_text(encoding="utf-8")
    assert "spec_curve" in register
    assert (project / "reports/tables/spec_curve_zh.md").exists()


@pytest.mark.pipeline
@pytest.mark.slow
def test_default_grid_of_127_specifications(pipeline_project, tmp_path):
    """The acceptance run: every specification of params.yaml's grid as a DVC experiment."""
    project = _run_grid(pipeline_project, tmp_path, None, jobs=2)
    dvc(project, "repro", "spec_curve")
    table, _ = _check_curve(project, n_specs=112 + 16)
    assert table.groupby("family")["spec_id"].nunique().to_dict() == {"survey": 112, "policy": 16}
    # cleaning choices change the sample: keeping straight-liners never removes a row and
    # adds some where failed attention checks are kept too (most straight-liners fail them)
    survey = table[table["family"] == "survey"].drop_duplicates("spec_id")
    others = [f"spec_{c}" for c in gridmod.FAMILIES["survey"] if c != "straightliner"]
    pairs = survey.pivot_table(index=others, columns="spec_straightliner", values="n")
    assert len(pairs) == 112 // 2
    assert (pairs["keep"] >= pairs["remove"]).all()
    assert (pairs["keep"] > pairs["remove"]).any()


def test_waiting_survives_a_failing_queue_status(monkeypatch, tmp_path):
    """`dvc queue status` now and then fails while a worker writes its status file: the wait
    retries instead of stopping the workers; a status that keeps failing is an error."""

    specs = [dict(MAIN), {**MAIN, "speeder_median_share": 0.5}]
    names = [gridmod.experiment_name(s) for s in specs]
    # the queue still lists a finished task of an earlier run under the second name
    old = {"t0": (names[1], "Success")}
    ours = {"t1": (names[0], "Success"), "t2": (names[1], "Running")}
    done = {**ours, "t2": (names[1], "Success")}
    replies = iter([old, None, None, old | ours, None, old | ours, old | done])
    monkeypatch.setattr(experiments, "check_up_to_date", lambda root: None)
    monkeypatch.setattr(experiments, "show", lambda root: [])
    monkeypatch.setattr(experiments, "_queue", lambda root, todo, progress: names)
    monkeypatch.setattr(experiments, "start_workers", lambda root, jobs: None)
    monkeypatch.setattr(experiments, "_queue_status", lambda root: next(replies))
    monkeypatch.setattr(
        experiments, "_dvc", lambda root, *a, check=True: subprocess.CompletedProcess(a, 0, "", "")
    )
    out = experiments.run(tmp_path, specs, poll=0, progress=lambda m: None)
    assert out == {"specs": 2, "reused": 0, "queued": 2}
    assert next(replies, "used up") == "used up"  # it waited for our t2, not the earlier t0

    monkeypatch.setattr(experiments, "_queue_status", lambda root: None)

    def dvc(root, *args, check=True):
        if check and args[:2] == ("queue", "status"):
            raise experiments.JianfuError("`dvc queue status …` failed")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(experiments, "_dvc", dvc)
    with pytest.raises(experiments.JianfuError, match="queue status"):
        experiments.run(tmp_path, specs, poll=0, progress=lambda m: None)
