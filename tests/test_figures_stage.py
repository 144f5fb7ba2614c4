"""The figures stage's speed work keeps every byte: the process pool and the font build order.

- `draw_all` with ``jobs=2`` (a forkserver pool, each worker set up once) writes the same files,
  byte for byte, and the same manifest, in catalogue order, as ``jobs=1`` (in process).
- A figure that fails is named in the error, in process and on the pool.
- The font built by subsetting without the CFF outlines and converting only the kept glyphs
  (the fonts stage's order) is byte-identical to the one built by subsetting the outlines too.

Timings are in ``benchmarks/bench_figures.py``, not here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.figures import fonts
from jianfu.figures import stage as figures_stage

pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")

#: A few entries of the stage's catalogue, with tiny inputs: a flow chart, a heatmap and the
#: specification-curve summary before the grid has run (its "not run" figure).
KEYS = ("cleaning_flow", "correlations", "spec_curve_summary")


def _entries() -> list[figures_stage.Entry]:
    entries = [e for e in figures_stage.CATALOGUE if e.key in KEYS]
    assert [e.key for e in entries] == list(KEYS)
    return entries


def _data(*, chained: bool = True) -> dict:
    flow = pd.DataFrame(
        {
            "step": ["duplicate", "attention_fail", "new_rule"],
            "rows_before": [120, 115, 104],
            "removed": [5, 11, 0],
            "rows_after": [115, 104 if chained else 90, 104],
        }
    )
    names = ["FB", "EE", "WE", "SO"]
    corr = pd.DataFrame(
        [
            {"var1": a, "var2": b, "r": round(0.1 * (i + j) - 0.35, 2), "p": 0.01 * (i + 1)}
            for i, a in enumerate(names)
            for j, b in enumerate(names)
            if j < i
        ]
    )
    return {
        "reports/ingest/cleaning_flow.csv": flow,
        "reports/models/table1__correlations.csv": corr,
        figures_stage.SPEC_SUMMARY: pd.DataFrame(),
    }


LABELS = {
    "FB": {"zh": "形式主义负担", "en": "Formalism burden"},
    "EE": {"zh": "情绪耗竭", "en": "Emotional exhaustion"},
    "WE": {"zh": "工作投入（精气神）", "en": "Work engagement"},
    "SO": {"zh": "服务群众成效", "en": "Service outcomes"},
}


def _hashes(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_pool_writes_the_same_bytes_and_manifest_as_one_process(cjk_font, tmp_path, capsys):
    manifests, hashes = {}, {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        manifests[jobs] = figures_stage.draw_all(
            _entries(), _data(), LABELS, out, ["zh", "en"], jobs=jobs
        )
        hashes[jobs] = _hashes(out)
    assert len(hashes[1]) == len(KEYS) * 2 * 3  # every figure, language and format; no temp files
    assert hashes[2] == hashes[1]
    assert json.dumps(manifests[2], sort_keys=True) == json.dumps(manifests[1], sort_keys=True)
    assert [m["key"] for m in manifests[2]] == list(KEYS)  # catalogue order, not finishing order
    assert manifests[2][0]["files"]["en"] == {
        "png": "png/cleaning_flow_en.png",
        "pdf": "pdf/cleaning_flow_en.pdf",
        "svg": "svg/cleaning_flow_en.svg",
    }
    progress = [line for line in capsys.readouterr().err.splitlines() if "] " in line]
    assert len(progress) == 2 * len(KEYS) * 2  # one line per figure and language, per run
    assert progress[-1].startswith(f"jianfu figures: [{len(KEYS) * 2}/{len(KEYS) * 2}]")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_figure_is_named(cjk_font, tmp_path, jobs):
    with pytest.raises(ValueError, match="chain") as caught:
        figures_stage.draw_all(
            _entries(), _data(chained=False), LABELS, tmp_path, ["zh", "en"], jobs=jobs
        )
    notes = getattr(caught.value, "__notes__", [])
    assert any("while drawing figure cleaning_flow (zh)" in n for n in notes), notes


def test_an_input_problem_stays_a_one_line_error_naming_the_figure(cjk_font, tmp_path):
    def draw(d, lab, lang):
        raise JianfuError("reports/ingest/cleaning_flow.csv: no column 'removed'")

    entry = replace(_entries()[0], draw=draw)
    with pytest.raises(JianfuError, match=r"^figure cleaning_flow \(zh\): reports/ingest/"):
        figures_stage.draw_all([entry], _data(), LABELS, tmp_path, ["zh"], jobs=1)
    # the pool finds drawing functions by key: an entry it does not know is refused, not redrawn
    with pytest.raises(JianfuError, match="only be drawn with jobs=1"):
        figures_stage.draw_all([entry], _data(), LABELS, tmp_path, ["zh", "en"], jobs=2)


def test_jobs_param():
    assert figures_stage.resolve_jobs("auto") >= 1
    assert figures_stage.resolve_jobs(3) == 3
    assert figures_stage.resolve_jobs("2") == 2  # --jobs on the command line
    for bad in (0, -1, 1.5, True, "many", None):
        with pytest.raises(JianfuError, match=r"figures\.jobs"):
            figures_stage.resolve_jobs(bad)


def test_font_subset_without_outlines_is_byte_identical(cjk_font, tmp_path, monkeypatch):
    """The fonts stage subsets Noto Sans SC with its CFF table removed and converts only the
    kept glyphs; subsetting the CFF outlines first (the order for a name-keyed CFF, and the
    stage's order before) must give the same file."""
    from fontTools.ttLib import TTFont

    assert fonts._cid_keyed(TTFont(str(fonts.source_font()), lazy=True))
    # a few hanzi, Latin, a ligature-prone pair and the layout features' closure
    wanted = [ord(c) for c in "形式主义负担减负（）、fi Burden −0.12 →"]
    fast = fonts.build_font(tmp_path / "fast", codepoints=wanted)
    monkeypatch.setattr(fonts, "_cid_keyed", lambda font: False)
    slow = fonts.build_font(tmp_path / "slow", codepoints=wanted)
    assert fast.font.read_bytes() == slow.font.read_bytes()
    assert fast.fontlog.read_bytes() == slow.fontlog.read_bytes()
    tt = TTFont(fast.font)
    assert "glyf" in tt and "CFF " not in tt
    assert set(wanted) - {ord(" ")} <= set(tt.getBestCmap())
