"""Stage `figures`: every figure of the report in zh and en.

The Chinese font comes from the `fonts` stage (`jianfu.figures.font_stage`). `figures` draws
the `CATALOGUE`: each entry reads pipeline outputs, calls one public figure function and is
saved as PDF, SVG and PNG (300 dpi) per language, byte-identical on re-runs. ``figures.json``
records, per figure, the function, the stage, the params and the inputs that made it (the
report's captions and ``reports/FIGURES.md`` are built from it).

Outputs: ``<out>/png/<key>_<lang>.png`` (declared as DVC image plots: ``dvc plots diff``
compares them between revisions, offline), ``<out>/pdf/…``, ``<out>/svg/…``, and
``<out>/figures.json``. The font's licence (``OFL.txt``) and change log are copied next to
the PDFs that embed it.

Own data (params ``data.source: own``): a figure whose input was made by a skipped stage
(``SKIPPED.json`` in its folder, ``{"skipped": …}`` as its metrics; `jianfu.figures.available`)
is left out and listed in ``figures.json`` with ``"left_out"``: the skipped stage's one-line
reason (and ``"files": {}``); every other figure is drawn. Figures comparing with the simulated
truth are left out, and the truth overlay of the event studies dropped, for own data.

Speed (params ``figures.jobs``): each task draws one figure in one language and saves its three
formats. With more than one job the tasks run on a process pool (forkserver, as the power
study's local backend: workers fork from a server that has imported this module once); each
worker registers the font, sets the house style and receives the loaded inputs once, in its
initializer. Nothing a figure shows depends on the worker or the order: every file is
byte-identical to the serial run (``jobs: 1``), and ``figures.json`` lists the figures in
`CATALOGUE` order. A failing figure is named in the error (`_draw_one`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from jianfu.codebook.load import load_codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, read_output, write_json
from jianfu.core.params import NO_TRUTH, TrackedParams, data_source
from jianfu.figures import fonts, policy, robustness, survey
from jianfu.figures import labels as figlabels
from jianfu.figures.available import skipped_input
from jianfu.figures.style import (
    FigureStyle,
    current_style,
    figure_style,
    save_figure,
    set_style,
    use_style,
)

FORMATS = ("png", "pdf", "svg")


@dataclass(frozen=True)
class Entry:
    """One figure: key, titles, the function, its inputs (relative paths) and how to call it."""

    key: str
    title: dict[str, str]
    function: Callable[..., Figure]
    inputs: tuple[str, ...]
    draw: Callable[[dict, dict, str], Figure]  # (loaded inputs, labels, lang) -> Figure
    params: tuple[str, ...] = field(default_factory=tuple)
    #: inputs drawn only when present: a skipped stage's (or, for own data, the simulated
    #: truth) is passed as None and the figure drawn without it
    optional: tuple[str, ...] = field(default_factory=tuple)
    #: (project root) -> why a part of an input the figure needs was skipped, or None
    skip_if: Callable[[Path], str | None] | None = None
    #: compares with the simulated truth: left out for own data
    simulated_only: bool = False


COEF = "data/processed/models/coefficients.parquet"
EFFECTS = "data/processed/models/effects.parquet"


def _moderation(d, lab, lang):
    coefs, effects = d[COEF], d[EFFECTS]
    spec = "h3_digital_literacy"
    return survey.moderation_plot(
        coefs[coefs["spec"] == spec], effects[effects["spec"] == spec], spec=spec,
        x_range=(1.0, 5.0), w_range=(1.0, 5.0), labels=lab, lang=lang,
    )  # fmt: skip


def _likert(constructs: list[str]):
    def draw(d, lab, lang):
        items, scales = d["codebook"]
        clean = d["data/processed/survey/clean.parquet"]
        return survey.likert_bars(
            clean[items["item"].tolist()], items, scales, constructs=constructs, labels=lab,
            lang=lang,
        )  # fmt: skip

    return draw


def _mediation(d, lab, lang):
    spec = "h5_serial"
    coefs, effects = d[COEF], d[EFFECTS]
    return survey.mediation_diagram(
        coefs[coefs["spec"] == spec], effects[effects["spec"] == spec], spec=spec, x="DM",
        labels=lab, lang=lang,
    )  # fmt: skip


CATALOGUE: list[Entry] = [
    Entry(
        "cleaning_flow",
        {"zh": "问卷数据清洗流程", "en": "Survey cleaning flow"},
        survey.cleaning_flow,
        ("reports/ingest/cleaning_flow.csv",),
        lambda d, lab, lang: survey.cleaning_flow(d["reports/ingest/cleaning_flow.csv"], lang=lang),
        ("ingest.clean",),
    ),
    Entry(
        "likert_measures",
        {"zh": "减负措施各题项的回答分布", "en": "Answers to the items on the measures"},
        survey.likert_bars,
        ("data/processed/survey/clean.parquet", "codebook/cadre_survey.yaml"),
        _likert(["PV", "RL", "DM", "DE", "FC", "FT", "AS"]),
    ),
    Entry(
        "likert_outcomes",
        {
            "zh": "负担、状态与服务各题项的回答分布",
            "en": "Answers to the items on burden, cadres' state and service",
        },
        survey.likert_bars,
        ("data/processed/survey/clean.parquet", "codebook/cadre_survey.yaml"),
        _likert(["FB", "EE", "WE", "SO", "DL", "PSM"]),
    ),
    Entry(
        "correlations",
        {"zh": "构念间相关系数", "en": "Correlations between constructs"},
        survey.correlation_heatmap,
        ("reports/models/table1__correlations.csv",),
        lambda d, lab, lang: survey.correlation_heatmap(
            d["reports/models/table1__correlations.csv"], labels=lab, lang=lang
        ),
        ("models.specs.table1",),
    ),
    Entry(
        "cfa_loadings",
        {"zh": "验证性因子分析标准化载荷", "en": "CFA standardized loadings"},
        survey.cfa_loadings,
        ("reports/measure/cfa_estimates.csv",),
        lambda d, lab, lang: survey.cfa_loadings(
            d["reports/measure/cfa_estimates.csv"], labels=lab, lang=lang
        ),
        ("measure.cfa_solver",),
    ),
    Entry(
        "path_diagram",
        {"zh": "结构方程模型路径图（标准化系数）", "en": "Structural model (standardized paths)"},
        survey.sem_path_diagram,
        (COEF,),
        lambda d, lab, lang: survey.sem_path_diagram(d[COEF], labels=lab, lang=lang),
        ("models.specs.sem",),
    ),
    Entry(
        "coefficients",
        {
            "zh": "七项减负措施对形式主义负担的影响",
            "en": "Effects of the seven measures on formalism burden",
        },
        survey.burden_forest,
        (COEF,),
        lambda d, lab, lang: survey.burden_forest(
            d[COEF], measures=["PV", "RL", "DM", "DE", "FC", "FT", "AS"], labels=lab, lang=lang
        ),
        ("models.specs.h1_burden", "models.specs.sem"),
    ),
    Entry(
        "mediation",
        {
            "zh": "链式中介：措施→负担→工作投入→服务成效",
            "en": "Serial mediation: measure → burden → engagement → service",
        },
        survey.mediation_diagram,
        (COEF, EFFECTS),
        _mediation,
        ("models.specs.h5_serial", "models.bootstrap"),
    ),
    Entry(
        "simple_slopes",
        {
            "zh": "数字素养的调节作用：简单斜率与 Johnson–Neyman 区间",
            "en": "Digital literacy as moderator: simple slopes and Johnson–Neyman region",
        },
        survey.moderation_plot,
        (COEF, EFFECTS),
        _moderation,
        ("models.specs.h3_digital_literacy",),
    ),
    Entry(
        "recovery",
        {"zh": "估计值与模拟真值", "en": "Estimates against the simulated truth"},
        survey.recovery_plot,
        ("reports/recovery/survey/survey_recovery.csv",),
        lambda d, lab, lang: survey.recovery_plot(
            d["reports/recovery/survey/survey_recovery.csv"], labels=lab, lang=lang
        ),
        ("models.specs",),
        simulated_only=True,
    ),
]

ES = "data/processed/policy/event_study.parquet"
AGG_REC = "reports/recovery/policy/aggregates_recovery.csv"
DISTRICT_MONTH = "data/processed/panel/district_month.parquet"
ROLLOUT = "data/processed/admin/rollout.parquet"


def _event_study(measure: str, outcome: str, lag: int | None = None):
    def draw(d, lab, lang):
        return policy.event_study(
            d[ES], measure, outcome, truth=d.get(AGG_REC), window=(-12, 12), lag=lag,
            layout="panels", labels=lab, lang=lang,
        )  # fmt: skip

    return draw


CATALOGUE += [
    Entry(
        "event_study",
        {
            "zh": "一表通对报表填报的事件研究：CS 与双向固定效应",
            "en": "One-form reporting and report submissions: event study, CS against TWFE",
        },
        policy.event_study,
        (ES, AGG_REC),
        _event_study("yibiaotong", "report_submissions"),
        ("policy.event_window", "policy.controls", "policy.baseline_covariate"),
        optional=(AGG_REC,),
    ),
    Entry(
        "event_study_documents",
        {
            "zh": "发文开会负面清单对收文的事件研究",
            "en": "Negative list and documents: event study",
        },
        policy.event_study,
        (ES, AGG_REC),
        _event_study("negative_list", "documents"),
        ("policy.event_window", "policy.controls", "policy.baseline_covariate"),
        optional=(AGG_REC,),
    ),
    Entry(
        "workload_trends",
        {
            "zh": "分区域的报表填报趋势与一表通推行",
            "en": "Report submissions by region and the adoption of one-form reporting",
        },
        policy.workload_trends,
        (DISTRICT_MONTH,),
        lambda d, lab, lang: policy.workload_trends(
            d[DISTRICT_MONTH], "adopt_yibiaotong", "report_submissions", labels=lab, lang=lang
        ),
        ("panel.window", "panel.events_scale"),
    ),
    Entry(
        "hotline",
        {
            "zh": "一表通推行前后的12345热线服务",
            "en": "The 12345 hotline before and after one-form reporting",
        },
        policy.hotline_before_after,
        (DISTRICT_MONTH,),
        lambda d, lab, lang: policy.hotline_before_after(
            d[DISTRICT_MONTH], "yibiaotong", labels=lab, lang=lang
        ),
        ("panel.window", "policy.lags"),
    ),
    Entry(
        "district_map",
        {"zh": "38个区县的减负措施推行时间", "en": "When the 38 districts adopted each measure"},
        policy.district_tile_map,
        (ROLLOUT,),
        lambda d, lab, lang: policy.district_tile_map(
            d[ROLLOUT],
            value="adoption_month",
            facet="measure",
            month_range=("2023-01", "2025-12"),
            labels=lab,
            lang=lang,
        ),
        ("simulate.rollout",),
    ),
    Entry(
        "policy_recovery",
        {
            "zh": "政策效应估计值与模拟真值之比：CS 与双向固定效应",
            "en": "Estimated policy effects relative to the simulated truth: CS against TWFE",
        },
        policy.policy_recovery_plot,
        (AGG_REC,),
        lambda d, lab, lang: policy.policy_recovery_plot(
            d[AGG_REC], ci="unit", labels=lab, lang=lang
        ),
        ("policy",),
        simulated_only=True,
    ),
]

SPEC_CURVE = "reports/robustness/spec_curve.csv"
SPEC_SUMMARY = "reports/robustness/summary.csv"
SPEC_STATUS = "reports/robustness/status.json"


def _policy_family_skipped(root: Path) -> str | None:
    """Why the policy half of the curve is missing (own data without office records: the
    `spec_curve` stage records the skipped `spec_policy` in status.json), or None."""
    status = read_output(root, SPEC_STATUS)
    return status.get("families", {}).get("policy", {}).get("skipped")


def _spec_curve(kind: str):
    def draw(d, lab, lang):
        effect, table = d["figures.spec_curve"][kind], d[SPEC_CURVE]
        if table.empty or effect not in set(table["effect"]):
            return robustness.not_run(effect, lang=lang)
        return robustness.spec_curve(
            table, effect, choices=list(robustness.CHOICE_LABELS),
            alpha=float(d[SPEC_STATUS]["alpha"]), labels=lab, lang=lang,
        )  # fmt: skip

    return draw


def _spec_summary(d, lab, lang):
    if d[SPEC_SUMMARY].empty:
        return robustness.not_run("reports/robustness/summary.csv", lang=lang)
    return robustness.spec_curve_summary(d[SPEC_SUMMARY], labels=lab, lang=lang)


CATALOGUE += [
    Entry(
        f"spec_curve_{kind}",
        title,
        robustness.spec_curve,
        (SPEC_CURVE, SPEC_STATUS),
        _spec_curve(kind),
        ("figures.spec_curve", "robustness.grid"),
        skip_if=_policy_family_skipped if kind == "att" else None,
    )
    for kind, title in (
        ("path", {"zh": "规格曲线：减负措施对形式主义负担的效应",
                  "en": "Specification curve: a measure's effect on formalism burden"}),
        ("indirect", {"zh": "规格曲线：经由形式主义负担对服务成效的间接效应",
                      "en": "Specification curve: the indirect effect on service via burden"}),
        ("att", {"zh": "规格曲线：政策措施的平均处理效应（CS）",
                 "en": "Specification curve: a measure's average effect (CS ATT)"}),
    )
] + [
    Entry(
        "spec_curve_summary",
        {"zh": "各关键效应在全部规格下的方向与显著性",
         "en": "Sign and significance of every key effect across specifications"},
        robustness.spec_curve_summary,
        (SPEC_SUMMARY,),
        _spec_summary,
        ("robustness.grid", "robustness.alpha"),
    ),
]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--root", default=Path("."), type=Path, help="project root")
    parser.add_argument("--fonts", required=True, type=Path, help="the fonts stage's folder")
    parser.add_argument("--out", required=True, type=Path, help="folder for the figures")
    parser.add_argument("--metrics", required=True, type=Path)
    parser.add_argument(
        "--jobs", default=None, help="override figures.jobs (a number of processes, or auto)"
    )


def plan(catalogue: list[Entry], root: Path, source: str) -> tuple[list[Entry], dict[str, str]]:
    """The entries to draw (optional inputs of skipped stages removed) and, for the others,
    why they are left out: the skipped stage's reason (`skipped_input`, `Entry.skip_if`) or,
    for a comparison with the simulated truth on own data, `NO_TRUTH`."""
    drawn, left_out = [], {}
    for entry in catalogue:
        reason = next(
            (
                r
                for rel in entry.inputs
                if rel not in entry.optional and (r := skipped_input(root, rel)) is not None
            ),
            None,
        )
        if reason is None and entry.skip_if is not None:
            reason = entry.skip_if(root)
        if reason is None and entry.simulated_only and source != "simulated":
            reason = NO_TRUTH
        if reason is not None:
            left_out[entry.key] = reason
            continue
        dropped = [
            rel
            for rel in entry.optional
            if source != "simulated" or skipped_input(root, rel) is not None
        ]
        if dropped:
            entry = replace(entry, inputs=tuple(r for r in entry.inputs if r not in dropped))
        drawn.append(entry)
    return drawn, left_out


def _record(entry: Entry, source: str) -> dict:
    # own data: no params of the simulator in the captions (they made nothing shown)
    params = [p for p in entry.params if source == "simulated" or not p.startswith("simulate.")]
    return {
        "key": entry.key,
        "title": entry.title,
        "function": f"{entry.function.__module__}.{entry.function.__name__}",
        "stage": "figures",
        "params": params,
        "inputs": list(entry.inputs),
    }


def resolve_jobs(value: Any) -> int:
    """params ``figures.jobs``: a positive integer, or ``"auto"`` (the CPUs this process may
    use). The command line's ``--jobs`` gives it as text."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # macOS, Windows
            return os.cpu_count() or 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise JianfuError(f"figures.jobs must be a positive integer or 'auto', got {value!r}")
    return value


def _draw_one(entry: Entry, data: dict, labels: dict, out: Path, lang: str) -> dict[str, str]:
    """Draw `entry` once in `lang` and save it in every format; the files written (relative).

    The formats are saved in `FORMATS` order, as the serial stage always has: each save lays the
    figure out afresh, so the order is part of what makes the bytes reproducible. A failure
    names the figure: a `JianfuError` (a problem with the inputs) keeps its one-line form with
    the figure in front; any other exception keeps its traceback and gets a note.
    """
    stem = f"{entry.key}_{lang}"
    try:
        with figure_style(lang):
            fig = entry.draw(data, labels, lang)
            for fmt in FORMATS:
                save_figure(fig, out / fmt / stem, formats=(fmt,))
    except JianfuError as exc:
        raise JianfuError(f"figure {entry.key} ({lang}): {exc}") from exc
    except Exception as exc:
        exc.add_note(f"jianfu figures: while drawing figure {entry.key} ({lang})")
        raise
    return {fmt: f"{fmt}/{stem}.{fmt}" for fmt in FORMATS}


#: A pool worker's state, set once by `_init_worker`: every task of the worker reuses it.
_WORKER: dict[str, Any] = {}


def _init_worker(font: str | None, style: FigureStyle, data: dict, labels: dict) -> None:
    """Set a worker up once: the parent's font and house style, the loaded inputs, the labels."""
    if font is not None:
        fonts.use_font(font)
    set_style(style)
    _WORKER.update(entries={e.key: e for e in CATALOGUE}, data=data, labels=labels)


def _task(key: str, lang: str, out: str) -> dict[str, str]:
    return _draw_one(_WORKER["entries"][key], _WORKER["data"], _WORKER["labels"], Path(out), lang)


def _pool_context():
    """forkserver, as the power study's local backend (no fork of a parent that has threads,
    e.g. Arrow's after reading Parquet); the server imports this module once and every worker
    forks from it. spawn where forkserver does not exist (Windows, some macOS set-ups)."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__])
    return ctx


def _check_poolable(catalogue: list[Entry]) -> None:
    """Workers find an entry's drawing function by key in `CATALOGUE` (lambdas do not pickle)."""
    known = {e.key: e for e in CATALOGUE}
    foreign = [e.key for e in catalogue if e.key not in known or known[e.key].draw is not e.draw]
    if foreign:
        raise JianfuError(
            f"figures: entries not in the stage's CATALOGUE ({', '.join(foreign)}) can only be "
            "drawn with jobs=1"
        )


def draw_all(
    catalogue: list[Entry],
    data: dict,
    labels: dict,
    out: Path,
    langs: list[str],
    source: str = "simulated",
    jobs: int = 1,
) -> list[dict]:
    """Draw and save every entry in every language; the manifest records what made each.

    One task per (entry, language), run in this process (``jobs=1``) or on a pool of `jobs`
    processes set up once each (`_init_worker`). The files and the manifest, in `catalogue`
    order, are the same whatever `jobs` is; one progress line per task as it finishes.
    """
    tasks = [(entry, lang) for entry in catalogue for lang in langs]
    for fmt in FORMATS:
        (out / fmt).mkdir(parents=True, exist_ok=True)
    files: dict[tuple[str, str], dict[str, str]] = {}

    def done(entry: Entry, lang: str, written: dict[str, str]) -> None:
        files[entry.key, lang] = written
        print(
            f"jianfu figures: [{len(files)}/{len(tasks)}] {entry.key} ({lang})",
            file=sys.stderr,
            flush=True,
        )

    workers = min(jobs, len(tasks))
    if workers <= 1:
        for entry, lang in tasks:
            done(entry, lang, _draw_one(entry, data, labels, out, lang))
    else:
        _check_poolable(catalogue)
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(fonts.font_path(), current_style(), data, labels),
        )
        try:
            futures = {pool.submit(_task, e.key, lang, str(out)): (e, lang) for e, lang in tasks}
            for fut in as_completed(futures):
                entry, lang = futures[fut]
                try:
                    written = fut.result()
                except Exception as exc:
                    if not any(f"figure {entry.key} ({lang})" in n for n in _notes(exc)):
                        exc.add_note(f"jianfu figures: the pool failed on {entry.key} ({lang})")
                    raise
                done(entry, lang, written)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [
        {**_record(entry, source), "files": {lang: files[entry.key, lang] for lang in langs}}
        for entry in catalogue
    ]


def _notes(exc: BaseException) -> list[str]:
    return [str(exc), *getattr(exc, "__notes__", [])]


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    langs = [str(v) for v in params["figures"]["languages"]]
    svg_text = str(params["figures"]["svg_text"])
    source = data_source(params)
    jobs = resolve_jobs(params["figures"]["jobs"] if args.jobs is None else args.jobs)
    started = time.perf_counter()
    fonts.use_font(args.fonts / fonts.FONT_FILE)
    cb = load_codebook(args.codebook)
    labels = figlabels.variable_labels(
        cb, {"workload": {"zh": "乡镇行政工作量", "en": "Township workload"}}
    )
    drawn, left_out = plan(CATALOGUE, args.root, source)
    for key, reason in left_out.items():
        print(f"jianfu figures: {key} left out: {reason}", file=sys.stderr, flush=True)
    wanted = {rel for entry in drawn for rel in entry.inputs if not rel.endswith(".yaml")}
    data = {rel: read_output(args.root, rel) for rel in sorted(wanted)}
    data["codebook"] = (figlabels.item_table(cb), figlabels.scale_table(cb))
    data["figures.spec_curve"] = params["figures"]["spec_curve"].to_dict()
    entries = {e.key: e for e in CATALOGUE}
    with (
        atomic_dir(args.out) as out,
        use_style(replace(current_style(), svg_text=svg_text)),
    ):
        manifest = draw_all(drawn, data, labels, out, langs, source, jobs=jobs)
        manifest += [
            {**_record(entries[key], source), "files": {}, "left_out": reason}
            for key, reason in left_out.items()
        ]
        # the PDFs embed the font: its licence travels with them
        (out / "pdf").mkdir(parents=True, exist_ok=True)
        for name in (fonts.LICENSE_FILE, fonts.FONTLOG_FILE):
            (out / "pdf" / name).write_bytes((args.fonts / name).read_bytes())
        (out / "figures.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
    write_json(
        args.metrics,
        {"figures": len(manifest) - len(left_out), "languages": langs, "left_out": left_out},
    )
    print(f"jianfu figures: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
