"""Evaluate the whole specification grid in one process tree: every specification's effects.

The grid (`jianfu.robustness.grid.expand`) is split into tasks that share work:

- **survey**: one task per combination of the cleaning choices (speeder threshold,
  straight-liners, attention checks). The task draws that analysis sample once
  (`sample.analysis_sample`), scores it once per scoring (a CFA fit for factor scores) and
  estimates every survey specification of the combination on it (`survey.survey_effects`);
- **policy**: one task per comparison group and baseline choice; the task prepares each
  measure → outcome pair's estimation panel once and estimates every policy specification of
  the group on it (`policy.policy_effects`).

Tasks run on `jianfu.core.parallel` (``robustness.backend``: a local process pool of
``robustness.workers`` processes, or a Dask cluster) and come back in grid order, so the table is
the same whatever the backend, the number of workers or the order tasks finish in. Every number
of a specification is the one the single-specification stages (`spec_survey`, `spec_policy`,
i.e. ``dvc exp run -S robustness.spec.<choice>=<value>``) compute for it: both call the same
functions with the same settings (`survey_settings`, `policy_settings`).

A specification that fails (e.g. a model that cannot be estimated on a sample) does not stop
the grid: its rows carry NaN estimates and the error, and the curve's status lists it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from jianfu.core.errors import JianfuError
from jianfu.core.parallel import run_tasks
from jianfu.robustness import grid as gridmod

#: The grid table's choice columns are ``spec_<choice>`` (a choice may share a result's name:
#: the SE type ``se`` and the standard error ``se``).
CHOICE_PREFIX = "spec_"
RESULT_COLUMNS = [
    "effect", "kind", "x", "m", "y", "estimate", "se", "ci_low", "ci_high", "p", "n", "scale",
]  # fmt: skip
#: the cleaning choices: specifications that share them share their analysis sample
CLEANING = ("speeder_median_share", "straightliner", "attention_fail")
#: the policy choices that decide the estimation panels (specifications that share them share
#: the prepared panels; the comparison group splits the policy grid into tasks of similar size)
POLICY_SHARED = ("cs_baseline", "cs_control")
#: the survey-effects settings every specification shares (params keys in `survey_settings`)
SURVEY_PARAMS = (
    "models.covariates", "models.cluster", "models.ci", "robustness.seed", "robustness.mc_draws",
    "measure.min_answered_share", "measure.cfa_solver",
)  # fmt: skip
#: modules every local worker imports once (forkserver preload)
PRELOAD = ("jianfu.robustness.evaluate", "jianfu.robustness.survey", "jianfu.robustness.policy")


def _plain(value):
    return value.to_dict() if hasattr(value, "to_dict") else value


def survey_settings(params: Mapping) -> dict[str, Any]:
    """The keyword arguments of `survey_effects` that do not vary between specifications."""
    models, measure, rob = params["models"], params["measure"], params["robustness"]
    return {
        "covariates": list(models["covariates"]),
        "cluster": models["cluster"],
        "ci": float(models["ci"]),
        "seed": int(rob["seed"]),
        "n_draws": int(rob["mc_draws"]),
        "min_answered_share": float(measure["min_answered_share"]),
        "cfa_solver": measure["cfa_solver"],
    }


def policy_settings(params: Mapping) -> dict[str, Any]:
    """The ``policy`` params `policy_effects` reads (its `PARAM_KEYS`)."""
    from jianfu.robustness.policy import PARAM_KEYS

    policy = params["policy"]
    return {k: _plain(policy[k]) for k in PARAM_KEYS}


def _rows(family: str, spec: Mapping, effects: pd.DataFrame | None, error: str = "") -> list[dict]:
    part = gridmod.family_spec(spec, family)
    head = {
        "family": family,
        "spec_id": gridmod.family_spec_id(spec, family),
        **{CHOICE_PREFIX + k: part[k] for k in part},
    }
    if effects is None:
        return [{**head, "effect": None, "error": error}]
    return [
        {**head, **{c: r[c] for c in RESULT_COLUMNS}, "error": error}
        for r in effects.to_dict(orient="records")
    ]


def survey_task(
    rows: pd.DataFrame, cb, clean_params: Mapping, specs: Sequence[Mapping], settings: Mapping
) -> list[dict]:
    """The effects of survey specifications that share their cleaning choices (one sample)."""
    from jianfu.robustness.sample import analysis_sample
    from jianfu.robustness.survey import construct_scores, survey_effects

    sample = analysis_sample(rows, cb, clean_params, specs[0])
    scores: dict[str, pd.DataFrame] = {}
    out = []
    for spec in specs:
        try:
            if spec["estimator"] != "sem" and spec["scoring"] not in scores:
                scores[spec["scoring"]] = construct_scores(
                    sample, cb, spec["scoring"],
                    min_answered_share=settings["min_answered_share"],
                    cfa_solver=settings["cfa_solver"],
                )  # fmt: skip
            effects = survey_effects(
                sample, cb, spec, scores=scores.get(spec["scoring"]), **settings
            )
            out += _rows("survey", spec, effects)
        except (JianfuError, ArithmeticError, ValueError, RuntimeError) as exc:
            out += _rows("survey", spec, None, f"{type(exc).__name__}: {exc}")
    return out


def policy_task(panel: pd.DataFrame, specs: Sequence[Mapping], settings: Mapping) -> list[dict]:
    """The effects of policy specifications that share their baseline choice (each pair's
    estimation panel is prepared once)."""
    from jianfu.robustness.policy import policy_effects

    prepared: dict = {}
    out = []
    for spec in specs:
        try:
            effects = policy_effects(panel, spec, settings, prepared=prepared)
            out += _rows("policy", spec, effects)
        except (JianfuError, ArithmeticError, ValueError, RuntimeError) as exc:
            out += _rows("policy", spec, None, f"{type(exc).__name__}: {exc}")
    return out


def plan(specs: Sequence[Mapping]) -> list[tuple[str, list[dict]]]:
    """The tasks of a grid: (family, its specifications), survey groups first (the longer ones:
    a pool that starts them first finishes sooner), each family in grid order."""
    groups: dict[tuple, list[dict]] = {}
    for spec in gridmod.family_specs(list(specs), "survey"):
        groups.setdefault(tuple(spec[k] for k in CLEANING), []).append(spec)
    survey = [("survey", g) for g in groups.values()]
    pgroups: dict[tuple, list[dict]] = {}
    for spec in gridmod.family_specs(list(specs), "policy"):
        pgroups.setdefault(tuple(spec[k] for k in POLICY_SHARED), []).append(spec)
    policy = [("policy", g) for g in pgroups.values()]
    return [*survey, *policy]


def evaluate_grid(
    specs: Sequence[Mapping],
    *,
    survey: tuple[pd.DataFrame, Any, Mapping, Mapping] | None,
    policy: tuple[pd.DataFrame, Mapping] | None,
    backend: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    client=None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Every family specification's effects: one row per (family, specification, effect).

    Parameters
    ----------
    specs : the grid's full specifications (`grid.expand`).
    survey : (every de-identified survey row, the codebook, ``ingest.clean``,
        `survey_settings`), or None to leave the survey family out.
    policy : (the township-month panel, `policy_settings`), or None to leave it out (e.g.
        own data without office records).
    backend, workers, scheduler, client : `jianfu.core.parallel.run_tasks`.
    progress : called with one line per finished task.

    Returns
    -------
    DataFrame: ``family``, ``spec_id``, the ``spec_<choice>`` columns of both families (a
    family's own choices filled), `RESULT_COLUMNS`, ``error`` ("" when estimated); sorted by
    family (survey first), specification id and effect.
    """
    tasks, funcs = [], []
    for family, group in plan(specs):
        if family == "survey" and survey is not None:
            rows, cb, clean_params, settings = survey
            tasks.append((rows, cb, dict(clean_params), group, dict(settings)))
            funcs.append("survey")
        elif family == "policy" and policy is not None:
            panel, settings = policy
            tasks.append((panel, group, dict(settings)))
            funcs.append("policy")
    sizes = [len(t[3]) if f == "survey" else len(t[1]) for t, f in zip(tasks, funcs, strict=True)]
    n_specs = sum(sizes)
    finished = {"specs": 0}
    t0 = time.perf_counter()

    def on_done(i: int, _result) -> None:
        finished["specs"] += sizes[i]
        if progress is not None:
            progress(
                f"[{finished['specs']}/{n_specs}] specifications ({time.perf_counter() - t0:.0f} s)"
            )

    results = run_tasks(
        _dispatch,
        [(f, t) for f, t in zip(funcs, tasks, strict=True)],
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        client=client,
        preload=PRELOAD,
        on_done=on_done,
        where="robustness",
    )
    return grid_table([r for part in results for r in part])


def _dispatch(kind: str, args: tuple) -> list[dict]:
    return survey_task(*args) if kind == "survey" else policy_task(*args)


def grid_table(rows: list[dict]) -> pd.DataFrame:
    """The rows of `evaluate_grid` as a frame in its canonical column and row order."""
    choice_columns = [CHOICE_PREFIX + k for f in gridmod.FAMILIES.values() for k in f]
    columns = ["family", "spec_id", *choice_columns, *RESULT_COLUMNS, "error"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    order = {"survey": 0, "policy": 1}
    frame = frame.sort_values(
        ["family", "spec_id", "effect"],
        key=lambda s: s.map(order) if s.name == "family" else s,
        kind="stable",
    ).reset_index(drop=True)
    frame["error"] = frame["error"].fillna("")
    return frame


def stderr_progress(prefix: str) -> Callable[[str], None]:
    def report(line: str) -> None:
        print(f"{prefix}: {line}", file=sys.stderr, flush=True)

    return report
