"""Run the specification grid as DVC experiments and collect their metrics.

Each specification is one DVC experiment (``dvc exp run --queue -S robustness.spec.<choice>=…
-n spec-<id> spec_survey spec_policy``). An experiment changes only ``robustness.spec``, so DVC
reruns only the stage whose choices changed (``spec_survey`` or ``spec_policy``); every stage
before them is unchanged and comes from the cache, and a stage run with the same inputs and
choices before is restored from DVC's run-cache. ``dvc queue start -j N`` runs them N at a time;
the experiments are kept as Git refs under the current commit (``dvc exp show``), so a rerun
queues only the specifications that have no successful experiment yet.

`collect` reads every experiment's ``metrics/spec_survey.json`` and ``metrics/spec_policy.json``
(``dvc exp show --json``) into one tidy table, ``robustness/experiments.csv``: one row per
family specification and effect. The ``spec_curve`` stage turns it into the curve's table,
figures and the report's appendix. Commit that file with the code it was made from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from jianfu.core.errors import JianfuError
from jianfu.robustness import grid as gridmod

#: the stages an experiment reproduces (and their metrics files)
TARGETS = ("spec_survey", "spec_policy")
METRICS = {"survey": "metrics/spec_survey.json", "policy": "metrics/spec_policy.json"}
#: the collected table (git-tracked, read by the `spec_curve` stage)
COLLECTED = "robustness/experiments.csv"
#: the collected table's choice columns are ``spec_<choice>`` (a choice may share a result's
#: name: the SE type ``se`` and the standard error ``se``)
CHOICE_PREFIX = "spec_"
RESULT_COLUMNS = [
    "effect", "kind", "x", "m", "y", "estimate", "se", "ci_low", "ci_high", "p", "n", "scale",
]  # fmt: skip


def dvc_executable() -> str:
    """The dvc next to this Python (the project's environment), else dvc on PATH."""
    here = Path(sys.executable).with_name("dvc")
    return str(here) if here.exists() else "dvc"


def _env() -> dict[str, str]:
    # the queue's workers run the stages' `jianfu` commands: this environment's first
    return {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }


def start_workers(root: Path, jobs: int) -> None:
    """``dvc queue start -j jobs``, returning at once.

    The workers it spawns inherit its output streams: captured through pipes, the call would
    only return when the last worker exits (when the queue is empty), so they go to a log file.
    """
    log = root / ".dvc" / "tmp" / "spec-curve-queue-start.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.run(
            [dvc_executable(), "queue", "start", "-j", str(max(1, int(jobs)))],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, env=_env(),
        ).returncode  # fmt: skip
    if code != 0:
        raise JianfuError(f"`dvc queue start` failed in {root}: {log.read_text(encoding='utf-8')}")


def _dvc(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [dvc_executable(), *args],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(),
    )
    if check and proc.returncode != 0:
        raise JianfuError(
            f"`dvc {' '.join(args[:3])} …` failed in {root} (exit {proc.returncode}):\n"
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
        )
    return proc


def _yaml_value(value) -> str:
    """A value as `dvc exp run -S` parses it (YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def exp_run_args(spec: Mapping) -> list[str]:
    """The `dvc exp run --queue` arguments of one specification (every choice set).

    ``--single-item``: an experiment reproduces the two spec stages only, from the upstream
    outputs of its baseline. Without it, DVC would check the upstream stages in the
    experiment's temporary copy of the project, where git-ignored own exports (data/own/) are
    absent, and rerun ingest there, which fails.
    """
    args = ["exp", "run", "--queue", "-n", gridmod.experiment_name(spec), "--single-item"]
    for key in sorted(spec):
        args += ["-S", f"robustness.spec.{key}={_yaml_value(spec[key])}"]
    return [*args, *TARGETS]


def show(root: Path) -> list[dict]:
    """``dvc exp show --json`` for the current commit."""
    proc = _dvc(root, "exp", "show", "--json", "--no-pager")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise JianfuError(f"`dvc exp show --json` printed no JSON: {proc.stdout[:500]}") from exc


def experiments(shown: list[dict]) -> list[dict]:
    """The spec experiments of the current commit: name, rev, params, metrics, error."""
    out = []
    for baseline in shown:
        if baseline.get("rev") == "workspace":
            continue
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs") or []:
                name = rev.get("name") or exp.get("name") or ""
                if not name.startswith(gridmod.EXPERIMENT_PREFIX):
                    continue
                data = rev.get("data") or {}
                params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
                metrics = {
                    path: (m or {}).get("data") for path, m in (data.get("metrics") or {}).items()
                }
                out.append(
                    {
                        "name": name,
                        "rev": rev.get("rev"),
                        "spec": ((params.get("robustness") or {}).get("spec")) or {},
                        "metrics": metrics,
                        "error": rev.get("error"),
                    }
                )
    return out


#: Consecutive failures of ``dvc queue status`` tolerated while waiting (DVC 3.67 now and then
#: fails with "Expecting value" when it reads a worker's status file while it is written).
STATUS_RETRIES = 10


def _queue_status(root: Path) -> dict[str, tuple[str, str]] | None:
    """task -> (name, status: Queued, Running, Success, Failed) of the spec experiments in
    ``dvc queue status``; None when the command failed (the caller retries). The queue keeps
    finished tasks of earlier runs under the same names: tell them apart by task."""
    proc = _dvc(root, "queue", "status", check=False)
    if proc.returncode != 0:
        return None
    out = {}
    for line in proc.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[1].startswith(gridmod.EXPERIMENT_PREFIX):
            out[parts[0]] = (parts[1], parts[-1])
    return out


def check_up_to_date(root: Path) -> None:
    """The experiments start from the workspace: every stage they need must be up to date.

    Otherwise each experiment would first rerun the stale stages (the whole pipeline, each
    time), and its results would not belong to the committed data.
    """
    proc = _dvc(root, "status", "--json", *TARGETS)
    try:
        stale = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        stale = {"?": proc.stdout}
    if stale:
        raise JianfuError(
            f"the pipeline is not up to date for the experiments (stages: "
            f"{', '.join(sorted(stale))}). Run `dvc repro`, commit (git add dvc.lock …), then "
            "`jianfu spec-curve run` again."
        )


def _queue(root: Path, specs: list[dict], progress: Callable[[str], None]) -> list[str]:
    """`dvc exp run --queue` per specification, in this process (DVC's start-up paid once)."""
    from dvc.cli import main as dvc_main

    names, cwd = [], os.getcwd()
    os.chdir(root)
    try:
        for i, spec in enumerate(specs, 1):
            args = exp_run_args(spec)
            if dvc_main([*args[:3], "--quiet", *args[3:]]) != 0:
                raise JianfuError(f"`dvc {' '.join(args)}` failed in {root} (its message is above)")
            names.append(gridmod.experiment_name(spec))
            if i % 10 == 0 or i == len(specs):
                progress(f"spec-curve: queued {i}/{len(specs)}")
    finally:
        os.chdir(cwd)
    return names


def run(
    root: Path,
    specs: list[dict],
    *,
    jobs: int = 1,
    poll: float = 2.0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Queue every specification without a successful experiment, run the queue, wait.

    Returns counts (specs, reused, queued, succeeded) and raises a `JianfuError` naming the
    failed experiments (with the end of their logs) if any failed.
    """
    progress = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    check_up_to_date(root)
    done = {e["name"] for e in experiments(show(root)) if not e["error"]}
    todo = [s for s in specs if gridmod.experiment_name(s) not in done]
    progress(
        f"spec-curve: {len(specs)} specifications, {len(specs) - len(todo)} already run, "
        f"{len(todo)} to queue"
    )
    earlier = _queue_status(root) or {}  # finished tasks of earlier runs: not ours
    names = _queue(root, todo, progress)
    if names:
        start_workers(root, jobs)
        start = time.monotonic()
        last, failures, status = -1, 0, {}
        try:
            while True:
                polled = _queue_status(root)
                if polled is None:
                    failures += 1
                    if failures > STATUS_RETRIES:
                        _dvc(root, "queue", "status")  # raises with DVC's message
                    time.sleep(poll)
                    continue
                failures = 0
                status = {
                    name: state for task, (name, state) in polled.items() if task not in earlier
                }
                finished = [n for n in names if status.get(n) in ("Success", "Failed")]
                if len(finished) != last:
                    last = len(finished)
                    elapsed = time.monotonic() - start
                    eta = elapsed / last * (len(names) - last) if last else float("nan")
                    progress(
                        f"spec-curve: {last}/{len(names)} experiments done, "
                        f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s"
                    )
                if len(finished) == len(names):
                    break
                time.sleep(poll)
        finally:
            _dvc(root, "queue", "stop", check=False)
        failed = [n for n in names if status.get(n) == "Failed"]
        if failed:
            logs = _dvc(root, "queue", "logs", failed[0], check=False).stdout[-1500:]
            raise JianfuError(
                f"{len(failed)} of {len(names)} experiments failed: {', '.join(failed[:10])}. "
                f"`dvc queue logs {failed[0]}` ends with:\n{logs}"
            )
    return {"specs": len(specs), "reused": len(specs) - len(todo), "queued": len(names)}


def _rows(family: str, spec: Mapping, metrics: Mapping, source: str) -> list[dict]:
    part = gridmod.family_spec(spec, family)
    effects = (metrics or {}).get("effects")
    if not isinstance(effects, Mapping) or not effects:
        raise JianfuError(f"{source}: {METRICS[family]} holds no effects")
    rows = []
    for effect, r in effects.items():
        rows.append(
            {
                "family": family,
                "spec_id": gridmod.family_spec_id(spec, family),
                **{CHOICE_PREFIX + k: part[k] for k in part},
                "effect": effect,
                **{c: r.get(c) for c in RESULT_COLUMNS if c != "effect"},
                "fingerprint": metrics.get("fingerprint"),
            }
        )
    return rows


def collect(shown: list[dict], specs: list[dict]) -> tuple[pd.DataFrame, list[str]]:
    """The tidy table of every specification of ``specs`` that has a successful experiment.

    One row per family specification and effect: family, spec_id, the family's choices, then
    `RESULT_COLUMNS`. A family specification run by several experiments (the main survey
    choices appear in every policy experiment) must give identical results in each; a
    difference means the experiments were made from different inputs and is an error.
    Returns the table and the names of the specifications with no successful experiment.
    """
    by_name = {e["name"]: e for e in experiments(shown) if not e["error"]}
    rows: dict[tuple[str, str], list[dict]] = {}
    missing = []
    for spec in specs:
        name = gridmod.experiment_name(spec)
        exp = by_name.get(name)
        if exp is None:
            missing.append(name)
            continue
        for family, path in METRICS.items():
            got = _rows(family, spec, exp["metrics"].get(path), f"experiment {name}")
            key = (family, gridmod.family_spec_id(spec, family))
            if key in rows and _values(rows[key]) != _values(got):
                raise JianfuError(
                    f"experiment {name}: the {family} specification {key[1]} gives other "
                    "results than in another experiment; the experiments were run from "
                    "different inputs. Remove them (`dvc exp remove -A`) and run again."
                )
            rows.setdefault(key, got)
    choice_columns = [CHOICE_PREFIX + k for f in gridmod.FAMILIES.values() for k in f]
    columns = ["family", "spec_id", *choice_columns, *RESULT_COLUMNS, "fingerprint"]
    frame = pd.DataFrame([r for part in rows.values() for r in part])
    if frame.empty:
        return pd.DataFrame(columns=columns), missing
    order = {"survey": 0, "policy": 1}
    frame = frame.sort_values(
        ["family", "spec_id", "effect"], key=lambda s: s.map(order) if s.name == "family" else s
    ).reset_index(drop=True)
    return frame[columns], missing


def _values(rows: list[dict]) -> list[tuple]:
    return sorted((r["effect"], r["estimate"], r["se"], r["fingerprint"]) for r in rows)
