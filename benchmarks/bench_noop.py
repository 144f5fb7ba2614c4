"""Benchmark: a no-op `dvc repro` and `dvc status` on this project against DVC's own floor.

Run it after a complete `dvc repro` (every stage up to date). It times, in this project, `dvc
status` and `dvc repro` with nothing to do (median of --repeat runs, wall and CPU seconds of the
child processes), then the same two commands in a tiny 3-stage project made in a temporary
folder (git + DVC, the same `.dvc/config` settings: no analytics, no update check): the floor
that DVC itself costs on this machine. The issue (Step 13) measured 4.8–5.1 s for the no-op repro
and 3.7 s for `dvc status` before, and cites 0.5 s as DVC's floor; the target is 1.5 s.

It also says whether ruamel.yaml's C loader (`ruamel.yaml.clib`) is installed: DVC parses
params.yaml once for every stage that has params (16 here), ~70 ms each with the pure-Python
loader and ~13 ms with the C one; that is most of the difference to the floor.

    .venv/bin/python benchmarks/bench_noop.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = {"status": "3.7", "repro": "4.8–5.1"}  # issue 18, quiet machine
FLOOR_ISSUE = "0.5"


def dvc() -> list[str]:
    exe = Path(sys.executable).with_name("dvc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dvc"]


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system of the child processes) seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(cwd: Path, repeat: int) -> dict[str, tuple[float, float]]:
    out = {}
    for name, args in (("status", ["status", "-q"]), ("repro", ["repro", "-q"])):
        runs = [timed([*dvc(), *args], cwd) for _ in range(repeat)]
        out[name] = (
            statistics.median(w for w, _ in runs),
            statistics.median(c for _, c in runs),
        )
    return out


def tiny_project(folder: Path) -> None:
    """Three chained stages, each writing a small file, with a params key each."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}

    def run(*cmd: str) -> None:
        subprocess.run(cmd, cwd=folder, env=env, check=True, capture_output=True)

    run("git", "init", "-q")
    run(*dvc(), "init", "-q")
    shutil.copy(ROOT / ".dvc" / "config", folder / ".dvc" / "config")
    (folder / "params.yaml").write_text("a: 1\nb: 2\nc: 3\n", encoding="utf-8")
    py = sys.executable
    stages = ["stages:"]
    for i, (name, dep) in enumerate((("one", None), ("two", "one.txt"), ("three", "two.txt"))):
        key = "abc"[i]
        src = f"open('{name}.txt', 'w').write('{name}')"
        stages += [f"  {name}:", f'    cmd: {py} -c "{src}"', f"    params: [{key}]"]
        if dep:
            stages.append(f"    deps: [{dep}]")
        stages.append(f"    outs: [{name}.txt]")
    (folder / "dvc.yaml").write_text("\n".join(stages) + "\n", encoding="utf-8")
    run(*dvc(), "repro", "-q")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "tiny")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    try:
        import _ruamel_yaml  # noqa: F401

        loader = "C (ruamel.yaml.clib installed)"
    except ImportError:
        loader = "pure Python (ruamel.yaml.clib not installed)"
    print(f"ruamel.yaml loader: {loader}")
    project = measure(ROOT, args.repeat)
    with tempfile.TemporaryDirectory(prefix="jianfu-noop-") as tmp:
        tiny_project(Path(tmp))
        floor = measure(Path(tmp), args.repeat)
    print(f"median of {args.repeat} runs; seconds (wall / CPU)")
    print(f"{'command':<16}{'jianfu':>16}{'3-stage floor':>18}{'jianfu/floor':>14}"
          f"{'before (issue)':>16}")  # fmt: skip
    for name in ("status", "repro"):
        (w, c), (fw, fc) = project[name], floor[name]
        print(
            f"dvc {name:<12}{w:>8.2f} / {c:<5.2f}{fw:>10.2f} / {fc:<5.2f}{w / fw:>12.2f}"
            f"{BEFORE[name]:>16}"
        )
    print(f"target: no-op repro <= 1.5 s; DVC's floor in the issue: {FLOOR_ISSUE} s")


if __name__ == "__main__":
    main()
