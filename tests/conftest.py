"""Shared fixtures: project paths, the reference folder, the default codebook, the Chinese font
and the pipeline project that the end-to-end tests read.

The tests run in parallel (pytest-xdist, `-n auto --dist loadfile` in pyproject.toml; see
docs/testing.md). Each worker is a process with its own session fixtures, so the two expensive
ones are built once per test run in the run's common temporary folder and shared by every worker:

- `cjk_font`: the first worker that needs it builds it under a file lock (pytest-xdist's
  "Making session-scoped fixtures execute only once"); the others wait for the lock and reuse it.
- `pipeline_project`: `dvc repro` in a copy of the project, run by a background process that
  starts as soon as the tests are collected, so the unit tests run while it builds; the tests that
  need it are scheduled last. The shared project is read-only for tests: a test that changes
  files or runs stages works in its own `clone_with_outputs` of it.

Without xdist (`-n 0`, `-p no:xdist`) the same code runs in the one process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Published reference data and results, stored with the tests (origin, licence and the command
#: behind each value in tests/reference/README.md), so that a clone of the repository has them.
REFERENCE = ROOT / "tests" / "reference"
CODEBOOK = ROOT / "codebook" / "cadre_survey.yaml"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def common_dir(config: pytest.Config) -> Path:
    """The test run's common temporary folder: the base temporary folder of the one process,
    or the parent of every xdist worker's own (worker gwN gets `<basetemp>/popen-gwN`)."""
    # pytest-xdist itself reads `config._tmp_path_factory` to make the workers' folders
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(config: pytest.Config, name: str, build) -> Path:
    """`build(folder)` once per test run, whatever the number of xdist workers; returns the folder.

    The first process to get the file lock builds; the others wait for the lock and find the
    folder built, or the error (or skip) of the build, which they report in their turn.
    """
    from filelock import FileLock

    common = common_dir(config)
    folder, record = common / name, common / f"{name}.json"
    with FileLock(str(common / f"{name}.lock")):
        if not record.exists():
            folder.mkdir()
            try:
                build(folder)
                result = {"ok": True}
            except pytest.skip.Exception as exc:
                result = {"skip": str(exc.msg)}
            except Exception:
                result = {"error": traceback.format_exc()}
            record.write_text(json.dumps(result), encoding="utf-8")
        result = json.loads(record.read_text(encoding="utf-8"))
    if "skip" in result:
        pytest.skip(result["skip"])
    if "error" in result:
        pytest.fail(f"building the shared fixture {name} failed:\n{result['error']}")
    return folder


@pytest.fixture(scope="session")
def cjk_font(request):
    """The figures' Chinese font, built once per test run with the full character set.

    One font for every test module: matplotlib finds a family by name, so test modules that
    each built their own subset under the same name would get whichever was registered first.
    """
    from jianfu.core.errors import JianfuError
    from jianfu.figures import fonts

    def build(folder: Path) -> None:
        try:
            fonts.source_font()
        except JianfuError as exc:
            pytest.skip(f"figure font source missing: {exc}")
        fonts.build_font(folder)

    folder = build_once(request.config, "cjk_font", build)
    files = fonts.FontFiles(
        folder / fonts.FONT_FILE, folder / fonts.LICENSE_FILE, folder / fonts.FONTLOG_FILE
    )
    fonts.use_font(files.font)  # in every worker: matplotlib's registry is per process
    return files


@pytest.fixture(scope="session")
def codebook():
    from jianfu.codebook import load_codebook

    return load_codebook(CODEBOOK)


DVC = [sys.executable, "-m", "dvc"]
#: Stage commands call `jianfu`: the test environment's, as if it were activated.
ENV = {
    "DVC_NO_ANALYTICS": "1",
    "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
}


def _project_files(root: Path) -> list[str]:
    if (root / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        return [f for f in out.split("\0") if f and (root / f).is_file()]
    skip = {".venv", ".git", "test-results", "reports", "metrics", ".dvc/cache", ".dvc/tmp"}
    return [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not any(p.relative_to(root).as_posix().startswith(s) for s in skip)
    ]


def copy_project(dest: Path, *, git: bool, params: dict | None = None) -> Path:
    """A copy of the project's source files (no outputs), optionally with `params` (dotted key
    -> value) set in its params.yaml, committed to a new Git repository when `git`."""
    for rel in _project_files(ROOT):
        if rel.startswith(("metrics/", "reports/")) or rel == "dvc.lock":
            continue  # generated by the pipeline
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    if params:
        set_params(dest / "params.yaml", params)
    if git:
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "copy"]):
            run_git(dest, *cmd)
    else:
        dvc(dest, "config", "--local", "core.no_scm", "true")
    return dest


#: a committer for the tests' own Git repositories (machines may have none configured)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def run_git(cwd: Path, *args: str) -> str:
    """`git *args` in `cwd` with the tests' committer; asserts success, returns stdout."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **GIT_ENV},
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def dvc(cwd: Path, *args: str, env: dict | None = None) -> str:
    proc = subprocess.run(
        [*DVC, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **ENV, **(env or {})},
    )
    assert proc.returncode == 0, f"dvc {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def run_jianfu(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`jianfu *args` in `cwd` as a program (its own fixed hash seed, DVC analytics off);
    asserts success, returns the finished process."""
    proc = subprocess.run(
        [sys.executable, "-m", "jianfu", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 0, f"jianfu {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def clone_for_rerun(source: Path, dest: Path) -> Path:
    """A clone of the pipeline project with its outputs, for the tests that rerun stages.

    Outputs that DVC keeps between runs (`persist`, outside the cache) are copied too, so a
    rerun finds what it would find in the project itself (the power study's checkpoint)."""
    import shutil

    import yaml

    path = clone_with_outputs(source, dest)
    stages = yaml.safe_load((source / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for body in stages.values():
        for out in body.get("outs", []):
            if isinstance(out, dict):
                ((rel, options),) = out.items()
                if options.get("persist") and (source / rel).exists():
                    copy = shutil.copytree if (source / rel).is_dir() else shutil.copy2
                    (path / rel).parent.mkdir(parents=True, exist_ok=True)
                    copy(source / rel, path / rel)
    return path


def set_params(path: Path, values: dict) -> None:
    """Set scalar params (dotted key -> value) in a params.yaml in place, keeping its layout and
    comments (tests edit its text); a key the file does not have is left out."""
    import yaml

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for key, value in values.items():
        start, end, indent = 0, len(lines), 0
        for depth, part in enumerate(parts := key.split(".")):
            pattern = re.compile(rf"^ {{{indent}}}{re.escape(part)}:(\s|$)")
            found = next((i for i in range(start, end) if pattern.match(lines[i])), None)
            if found is None:
                break
            if depth == len(parts) - 1:
                line = lines[found]
                rest = line[line.index(":") + 1 :]
                comment = rest[rest.index(" #") :] if " #" in rest else "\n"
                lines[found] = f"{line[: line.index(':') + 1]} {json.dumps(value)}{comment}"
                break
            # the block of this key: the following lines indented deeper
            start, indent = found + 1, indent + 2
            end = next(
                (
                    i
                    for i in range(start, end)
                    if lines[i].strip() and not lines[i].startswith(" " * indent)
                ),
                end,
            )
    text = "".join(lines)
    path.write_text(text, encoding="utf-8")
    params = yaml.safe_load(text)
    for key, value in values.items():
        node = params
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        assert node is None or node == value, f"{key} was not set in {path}"


#: Params of the fixture's pipeline run that set how much computing a number gets (bootstrap
#: resamples, Monte Carlo draws and replications), never the data: the checks on its outputs
#: keep their meaning at a fraction of the run time. Keys params.yaml does not hold are ignored.
FIXTURE_PARAMS: dict = {
    "measure.parallel_iterations": 20,
    "models.bootstrap.n_boot": 1000,
    "policy.wild_bootstrap.n_boot": 199,
    "power.replications": 5,
    "robustness.mc_draws": 5000,
    # a smaller specification grid (16 survey + 2 policy specifications instead of 112 + 16):
    # every kind of choice still varies (cleaning, scoring, OLS/multilevel, CS method), the run
    # and the forced rerun save ~25 CPU s each. The default grid's 127 specifications run in
    # `bootstrap.py pipeline`, benchmarks/bench_spec_curve.py and the slow tier.
    "robustness.grid.survey.speeder_median_share": [0.3333],
    "robustness.grid.survey.controls": ["background"],
    "robustness.grid.survey.estimator": ["ols", "mixed"],
    "robustness.grid.survey.se": ["cluster"],
    "robustness.grid.policy.cs_control": ["notyet"],
    "robustness.grid.policy.cs_se": ["unit"],
    "robustness.grid.policy.cs_baseline": [True],
    "robustness.grid.policy.cs_method": ["dr", "reg"],
}


def _build_pipeline_project(folder: Path, rerun: bool = False) -> None:
    """Run by the background process (`python -c`): the project copy, `dvc repro` in it, and a
    record of the result (`pipeline_project.json` beside the folder; the error if it failed);
    then, with `rerun`, the forced rerun of a clone (`_forced_rerun`).

    It holds `pipeline_project.running` (a file lock) while it lives, so a test waiting for the
    record learns that the process died without writing one.
    """
    from filelock import FileLock

    common = folder.parent
    with FileLock(str(common / "pipeline_project.running")):
        (common / "pipeline_project.started").write_text(str(os.getpid()), encoding="utf-8")
        started = time.perf_counter()
        try:
            project = copy_project(folder, git=True, params=FIXTURE_PARAMS)
            log = project / "dependency-log.jsonl"
            output = dvc(project, "repro", env={"JIANFU_DEPENDENCY_LOG": str(log)})
            result = {"project": str(project), "output": output, "log": str(log)}
        except Exception:
            result = {"error": traceback.format_exc()}
        result["seconds"] = round(time.perf_counter() - started, 1)
        _write_record(common / "pipeline_project.json", result)
        if rerun and "error" not in result:
            _forced_rerun(project, common)


def _write_record(record: Path, result: dict) -> None:
    record.with_suffix(".tmp").write_text(json.dumps(result), encoding="utf-8")
    os.replace(record.with_suffix(".tmp"), record)


def _forced_rerun(project: Path, common: Path) -> None:
    """`dvc repro --force` in a clone of the built project, for test_pipeline_rerun.py: its
    dvc.lock (every output's hash) before and after, in `pipeline_rerun.json`.

    The builder runs it as soon as the build is done, at the builder's priority: the longest
    check of the default tier then overlaps the other tests instead of waiting for a worker.
    """
    started = time.perf_counter()
    try:
        clone = clone_for_rerun(project, common / "pipeline_rerun" / "project")
        before = (clone / "dvc.lock").read_text(encoding="utf-8")
        output = dvc(clone, "repro", "--force")
        after = (clone / "dvc.lock").read_text(encoding="utf-8")
        result = {"clone": str(clone), "before": before, "after": after, "output": output}
    except Exception:
        result = {"error": traceback.format_exc()}
    result["seconds"] = round(time.perf_counter() - started, 1)
    _write_record(common / "pipeline_rerun.json", result)


def start_pipeline_project(config: pytest.Config, rerun: bool = False) -> None:
    """Start the background build of the pipeline project, unless a process of this run did;
    with `rerun` (the forced-rerun test is selected) the build goes on with that rerun."""
    from filelock import FileLock

    common = common_dir(config)
    with FileLock(str(common / "pipeline_project.lock")):
        folder = common / "pipeline_project"
        if folder.exists():
            return
        folder.mkdir()
        if rerun:
            (common / "pipeline_rerun.requested").touch()
        code = (
            "import sys, conftest; "
            "conftest._build_pipeline_project(conftest.Path(sys.argv[1]), sys.argv[2] == '1')"
        )
        with (common / "pipeline_project.log").open("wb") as log:
            subprocess.Popen(
                [sys.executable, "-c", code, str(folder), "1" if rerun else "0"],
                cwd=Path(__file__).parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )


def wait_for_pipeline_project(config: pytest.Config, name: str = "pipeline_project") -> dict:
    """The record of the background build (`pipeline_rerun`: of its forced rerun), once it is
    there (the build takes minutes)."""
    from filelock import FileLock, Timeout

    common = common_dir(config)
    record, started = common / f"{name}.json", common / "pipeline_project.started"
    since = time.monotonic()
    while not record.exists():
        time.sleep(0.5)
        if not started.exists():
            if time.monotonic() - since > 120:
                pytest.fail(f"the pipeline project's build did not start: {common}")
            continue
        try:
            with FileLock(str(common / "pipeline_project.running"), timeout=0):
                pass
        except Timeout:
            continue  # still running
        if not record.exists():
            log = (common / "pipeline_project.log").read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"the pipeline project's build stopped without a result:\n{log[-5000:]}")
    return json.loads(record.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pipeline_project(request):
    """A copy of the project (with git) in which `dvc repro` has run: (path, output, log).

    Built once per test run and shared by every test and xdist worker: treat it as read-only
    (`clone_with_outputs` gives a test its own copy to change).
    """
    start_pipeline_project(request.config)  # started at collection unless requested late
    result = wait_for_pipeline_project(request.config)
    if "error" in result:
        pytest.fail(f"dvc repro in the pipeline project failed:\n{result['error']}")
    return Path(result["project"]), result["output"], Path(result["log"])


def clone_with_outputs(project: Path, dest: Path, *, commit: bool = True) -> Path:
    """A Git clone of a project in which `dvc repro` has run, with its outputs checked out.

    The clone shares the project's DVC cache (linked, not copied, where the file system allows)
    and gets the project's dvc.lock and metrics, committed: a team member's up-to-date checkout.
    The source project is not changed.
    """
    run_git(project.parent, "clone", "-q", str(project), str(dest))
    metrics = [p.relative_to(project).as_posix() for p in project.glob("metrics/*")]
    for rel in ["dvc.lock", *metrics]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / rel, dest / rel)
    # what `dvc config --local cache.dir …` and `cache.type …` write (two DVC start-ups saved)
    cache = (project / ".dvc" / "cache").as_posix()
    (dest / ".dvc" / "config.local").write_text(
        f'[cache]\n    dir = {cache}\n    type = "reflink,hardlink,copy"\n', encoding="utf-8"
    )
    dvc(dest, "checkout", "--quiet")
    if commit:
        run_git(dest, "add", "-A")
        run_git(dest, "commit", "-qm", "pipeline run")
    return dest


# --- scheduling and the tiers' times ----------------------------------------------------------


#: The test file whose forced rerun the pipeline builder runs (`_forced_rerun`).
RERUN_FILE = "test_pipeline_rerun.py"


def needs_pipeline(item: pytest.Item) -> bool:
    """Whether a test reads the pipeline project (its fixture, or the `pipeline` marker)."""
    return (
        "pipeline_project" in item.fixturenames or item.get_closest_marker("pipeline") is not None
    )


@pytest.hookimpl(trylast=True)  # after deselection (-m, -k) and pytest's own ordering
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The test files that need the pipeline project run last, test_pipeline.py first among
    them: the unit tests run while the project builds (and the builder reruns it for
    test_pipeline_rerun.py). Whole files move, in their order, so xdist's `--dist loadfile`
    keeps each file on one worker."""
    late = {item.path for item in items if needs_pipeline(item)}
    first = ("test_pipeline.py",)
    key = {path: (first.index(path.name) if path.name in first else len(first),) for path in late}
    items[:] = [i for i in items if i.path not in late] + sorted(
        (i for i in items if i.path in late), key=lambda i: key[i.path]
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start building the pipeline project at once when a selected test needs it."""
    if session.config.option.collectonly or not any(needs_pipeline(i) for i in session.items):
        return
    rerun = any(i.path.name == RERUN_FILE for i in session.items)
    start_pipeline_project(session.config, rerun=rerun)
    if os.environ.get("PYTEST_XDIST_WORKER") and hasattr(os, "nice"):
        # The build is the run's critical path (the pipeline tests wait for it); the workers'
        # unit tests fill the cores it leaves idle. The builder, started above, keeps its
        # priority; the workers (and what they start) take a lower one.
        os.nice(10)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the main process: stop a pipeline build that no test waited for to the end (the run
    was interrupted or stopped at its first failure)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    common = common_dir(session.config)
    started = common / "pipeline_project.started"
    done = (common / "pipeline_project.json").exists() and (
        not (common / "pipeline_rerun.requested").exists()
        or (common / "pipeline_rerun.json").exists()
    )
    if not started.exists() or done:
        return
    import psutil

    try:
        builder = psutil.Process(int(started.read_text(encoding="utf-8")))
        for proc in [*builder.children(recursive=True), builder]:
            proc.terminate()
    except (psutil.Error, ValueError):
        pass  # already gone


#: (tests, seconds) per tier of the tests reported in this process
_TIERS = {"slow": [0, 0.0], "default": [0, 0.0]}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _TIERS["slow" if "slow" in report.keywords else "default"]
    tier[0] += report.when == "call"
    tier[1] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    """The time of each tier: the sum of its tests' durations (set-up and teardown included;
    shared fixtures are counted in the first test that waits for them)."""
    for name, (count, seconds) in _TIERS.items():
        if count:
            terminalreporter.write_line(f"{name} tier: {count} tests, {seconds:.0f} s of test time")
