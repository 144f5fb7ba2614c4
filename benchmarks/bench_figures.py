"""Benchmark: the figures stage serial (jobs 1, the old path) against the pool, and the font build.

Run from the project root after the pipeline has made the figures' inputs and the font
(``dvc repro fonts figures``). In the same run it prints

1. phases of one serial pass in this process (wall and CPU seconds): imports, font
   registration, reading the inputs, and per figure drawing and saving PNG, PDF and SVG;
2. the stage command, ``jianfu figures --jobs 1`` (every figure in one process: the stage as it
   was before the pool) and ``--jobs N`` (default ``auto``), each a fresh process as under
   ``dvc repro``, start-up included: wall seconds, the ratio, and whether every output file
   of every run is byte-identical;
3. with ``--fonts``: the fonts stage's build, subsetting the CFF outlines and then converting
   (the order before) against subsetting without them and converting the kept glyphs (the
   stage's order now): seconds, ratio, identical bytes.

    .venv/bin/python benchmarks/bench_figures.py [--jobs auto] [--repeat 1] [--fonts]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "data/interim/fonts"
CODEBOOK = "codebook/cadre_survey.yaml"
WORKLOAD = {"workload": {"zh": "乡镇行政工作量", "en": "Township workload"}}  # as the stage


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def phases() -> None:
    """One serial pass in this process, timed per phase (the stage's own steps)."""
    with Clock() as imports:
        from dataclasses import replace

        from jianfu.codebook.load import load_codebook
        from jianfu.core.io import read_output
        from jianfu.core.params import load_params
        from jianfu.figures import fonts, stage
        from jianfu.figures import labels as figlabels
        from jianfu.figures.style import current_style, figure_style, save_figure, use_style
    with Clock() as font:
        fonts.use_font(FONTS / fonts.FONT_FILE)
    params = load_params(ROOT / "params.yaml")
    with Clock() as reading:
        cb = load_codebook(ROOT / CODEBOOK)
        labels = figlabels.variable_labels(cb, WORKLOAD)
        drawn, _ = stage.plan(stage.CATALOGUE, ROOT, "simulated")
        wanted = {r for e in drawn for r in e.inputs if not r.endswith(".yaml")}
        data = {rel: read_output(ROOT, rel) for rel in sorted(wanted)}
        data["codebook"] = (figlabels.item_table(cb), figlabels.scale_table(cb))
        data["figures.spec_curve"] = params["figures"]["spec_curve"].to_dict()
    print(f"imports {imports.wall:5.2f} s (CPU {imports.cpu:5.2f})")
    print(f"font    {font.wall:5.2f} s (CPU {font.cpu:5.2f})")
    print(f"inputs  {reading.wall:5.2f} s (CPU {reading.cpu:5.2f})")
    steps = ("draw", *stage.FORMATS)
    total = dict.fromkeys(steps, 0.0)
    cpu = dict.fromkeys(steps, 0.0)
    style = replace(current_style(), svg_text=str(params["figures"]["svg_text"]))
    print(f"{'figure':24s} " + " ".join(f"{s:>6s}" for s in steps) + "  (wall s, both languages)")
    with tempfile.TemporaryDirectory() as tmp, use_style(style):
        for entry in drawn:
            row = dict.fromkeys(steps, 0.0)
            for lang in params["figures"]["languages"]:
                with figure_style(lang):
                    with Clock() as c:
                        fig = entry.draw(data, labels, lang)
                    row["draw"] += c.wall
                    cpu["draw"] += c.cpu
                    for fmt in stage.FORMATS:
                        with Clock() as c:
                            save_figure(fig, Path(tmp) / fmt / f"{entry.key}_{lang}", formats=[fmt])
                        row[fmt] += c.wall
                        cpu[fmt] += c.cpu
            for s in steps:
                total[s] += row[s]
            print(f"{entry.key:24s} " + " ".join(f"{row[s]:6.2f}" for s in steps))
    print(f"{'total':24s} " + " ".join(f"{total[s]:6.2f}" for s in steps))
    print(f"{'total CPU':24s} " + " ".join(f"{cpu[s]:6.2f}" for s in steps))


def stage_runs(jobs: str, repeat: int) -> None:
    """The stage command with --jobs 1 and --jobs `jobs`, alternating, fresh processes."""
    times: dict[str, list[float]] = {"1": [], jobs: []}
    hashes = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            for j in ("1", jobs):
                out = Path(tmp) / f"{j}_{r}"
                cmd = [sys.executable, "-m", "jianfu", "figures", "--codebook", CODEBOOK,
                       "--fonts", str(FONTS), "--out", str(out / "figures"),
                       "--metrics", str(out / "metrics.json"), "--jobs", j]  # fmt: skip
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                times[j].append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    sys.exit(f"jianfu figures --jobs {j} failed:\n{proc.stderr}")
                hashes.append(_hashes(out / "figures"))
                print(f"run {r + 1}: --jobs {j:>4s} {times[j][-1]:6.1f} s")
    serial, pool = statistics.median(times["1"]), statistics.median(times[jobs])
    same = all(h == hashes[0] for h in hashes)
    print(
        f"stage, jobs 1 (serial): {serial:6.1f} s   jobs {jobs}: {pool:6.1f} s   "
        f"speed-up {serial / pool:.2f}   {len(hashes[0])} files, byte-identical: {same}"
    )
    if not same:
        sys.exit("outputs differ between runs")


def font_builds() -> None:
    """The fonts stage's build in the old order (outlines subset) and the new one."""
    from jianfu.figures import fonts

    cid_keyed = fonts._cid_keyed
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        orders = (
            ("subset the outlines, convert (before)", lambda font: False),
            ("subset without outlines, convert kept (now)", cid_keyed),
        )
        for name, keyed in orders:
            fonts._cid_keyed = keyed
            try:
                with Clock() as c:
                    built = fonts.build_font(Path(tmp) / str(len(result)))
            finally:
                fonts._cid_keyed = cid_keyed
            result[name] = (c, built.font.read_bytes())
            print(f"font: {name:44s} {c.wall:6.1f} s (CPU {c.cpu:5.1f})")
    (before, a), (now, b) = result.values()
    print(f"font: speed-up {before.wall / now.wall:.2f} (CPU {before.cpu / now.cpu:.2f}), "
          f"byte-identical: {a == b}, same as data/interim/fonts: "
          f"{b == (FONTS / fonts.FONT_FILE).read_bytes()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", default="auto", help="the pool's size (default auto)")
    parser.add_argument("--repeat", type=int, default=1, help="stage runs per setting")
    parser.add_argument("--fonts", action="store_true", help="also time the font build")
    parser.add_argument("--no-phases", action="store_true", help="skip the per-phase pass")
    args = parser.parse_args()
    os.chdir(ROOT)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if not args.no_phases:
        phases()
    stage_runs(args.jobs, args.repeat)
    if args.fonts:
        font_builds()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
