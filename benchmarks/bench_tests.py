"""Benchmark: fresh clone -> the README's test command (Step 13's target: default tier <= 5 min).

Clones this repository (its committed HEAD) into a temporary folder with nothing beside it (no
`../shared`), runs `python3 bootstrap.py test` there (set-up from uv's cache, then the default
tier on pytest-xdist, the pipeline fixture included) and prints the set-up seconds, the test
session's seconds and the total beside the figure measured before Step 13 (issue 18: 761 tests
in one process, 14–21 min). With `--all` it runs `bootstrap.py test --all` and prints the slow
tier's test time too (pytest's own summary lines).

The machine is shared: run it when nothing else runs, or read the numbers as an upper bound.

    python3 benchmarks/bench_tests.py [--all] [--keep] [--repo PATH] [--log F]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "14–21 min (761 tests, one process; 42.7 min under load)"
SESSION = re.compile(r"=+ test session starts =+")
TIER = re.compile(r"^(default|slow) tier: .*")
RESULT = re.compile(r"^=+ .*(passed|failed).* in [0-9.]+s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to clone")
    parser.add_argument("--all", action="store_true", help="run the slow tier too")
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints where)")
    parser.add_argument("--log", type=Path, help="also write the test command's output here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jianfu-bench-tests-"))
    clone = tmp / "jianfu"  # nothing beside it: no ../shared
    lines: list[str] = []
    try:
        subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
        command = [sys.executable, "bootstrap.py", "test", *(["--all"] if args.all else [])]
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=clone,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        setup = None
        log = args.log.open("w", encoding="utf-8") if args.log else None
        for line in proc.stdout:
            now = time.perf_counter() - start
            if log:
                log.write(f"{now:8.2f} {line}")
            if setup is None and SESSION.search(line):
                setup = now
            if TIER.match(line.strip()) or RESULT.match(line.strip()):
                lines.append(line.strip())
        code = proc.wait()
        total = time.perf_counter() - start
        if log:
            log.close()
    finally:
        if args.keep:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    setup = setup or 0.0
    print(f"{'step':<22}{'seconds':>9}   before Step 13")
    print(f"{'set-up':<22}{setup:>9.1f}")
    print(f"{'test session':<22}{total - setup:>9.1f}")
    print(f"{'total':<22}{total:>9.1f}   {BEFORE}")
    for line in lines:
        print(line)
    print(f"exit status {code}; target: default tier <= 300 s on 2 cores, set-up included")
    if code != 0:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
