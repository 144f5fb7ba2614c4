"""Policy figures (H6): staggered adoption of the burden-reduction measures in Chongqing.

One public function per figure, tidy DataFrames in, a matplotlib Figure out, ``lang="zh"``
(default) or ``"en"``, as in `jianfu.figures.survey`. Labels of the measures, outcomes,
estimators and regions are `MEASURE_LABELS`, `OUTCOME_LABELS`, `ESTIMATOR_LABELS` and
`REGION_LABELS`; every function takes ``labels`` (code → ``{"zh": ..., "en": ...}``) to override
or add any of them.

Catalogue (inputs → figure):

- `event_study`: the policy stage's event studies (``event_study.parquet``) → Callaway–Sant'Anna
  (Callaway & Sant'Anna 2021) and TWFE (optionally Sun & Abraham 2021) by event time, with the
  simulation's true effects when given.
- `workload_trends`: the district-month panel → workload per cadre by region (一区两群) with the
  share of the region's districts that have adopted the measure.
- `hotline_before_after`: the district-month panel → 12345 hotline outcomes of the adopting
  districts around adoption against districts not (yet) adopting in the same calendar months.
- `district_tile_map`: one value per district (e.g. the adoption month from ``rollout.parquet``)
  → tile map of the 38 districts (`chongqing_tiles`, hand-made grid ``chongqing_tiles.csv``).
- `policy_recovery_plot`: the policy recovery table (``aggregates_recovery.csv``) → estimated
  ATTs as a share of the true ATT, CS against TWFE, with CIs and coverage.

Rates (resolution, satisfaction) are stored as shares 0–1 and drawn in percent (levels) or
percentage points (effects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MultipleLocator
from scipy import stats

from jianfu.figures import _draw
from jianfu.figures.style import check_lang, figure_style, localize, new_figure

LabelMap = Mapping[str, Mapping[str, str]] | None

#: The staggered measures (``params.yaml`` ``policy.effects``), in the order shown.
MEASURE_LABELS: dict[str, dict[str, str]] = {
    "yibiaotong": {"zh": "一表通", "en": "One-form reporting"},
    "app_clean": {"zh": "政务应用与工作群清理", "en": "App and work-group clean-up"},
    "negative_list": {"zh": "发文开会负面清单", "en": "Document/meeting negative list"},
    "duty_list": {"zh": "村（社区）职责清单", "en": "Village duty lists"},
}

#: Outcomes of the panels; workload counts are per cadre and month.
OUTCOME_LABELS: dict[str, dict[str, str]] = {
    "report_submissions": {
        "zh": "报表填报（次/人·月）",
        "en": "Report submissions per cadre-month",
    },
    "documents": {"zh": "收文（件/人·月）", "en": "Documents per cadre-month"},
    "meetings": {"zh": "会议（次/人·月）", "en": "Meetings per cadre-month"},
    "inspections": {"zh": "督查检查（次/人·月）", "en": "Inspections per cadre-month"},
    "app_tasks": {"zh": "政务应用任务（次/人·月）", "en": "App tasks per cadre-month"},
    "app_minutes": {"zh": "政务应用用时（分钟/人·月）", "en": "App minutes per cadre-month"},
    "response_hours": {"zh": "12345首次响应时长（小时）", "en": "12345 first response (hours)"},
    "resolution_rate": {"zh": "12345办结率", "en": "12345 resolution rate"},
    "satisfaction_rate": {"zh": "12345满意率", "en": "12345 satisfaction rate"},
}

#: Estimators of the policy stage (`jianfu.policy.did`).
ESTIMATOR_LABELS: dict[str, dict[str, str]] = {
    "cs_never": {"zh": "CS（从未处理组）", "en": "CS (never treated)"},
    "cs_notyet": {"zh": "CS（尚未处理组）", "en": "CS (not yet treated)"},
    "twfe": {"zh": "双向固定效应", "en": "TWFE"},
    "sun_abraham": {"zh": "Sun–Abraham", "en": "Sun–Abraham"},
}

#: The three regions of 一区两群 (the panels' ``stratum``).
REGION_LABELS: dict[str, dict[str, str]] = {
    "主城都市区": {"zh": "主城都市区", "en": "Metropolitan area"},
    "渝东北三峡库区城镇群": {
        "zh": "渝东北三峡库区城镇群",
        "en": "North-east: Three Gorges Reservoir",
    },
    "渝东南武陵山区城镇群": {
        "zh": "渝东南武陵山区城镇群",
        "en": "South-east: Wuling Mountains",
    },
}

#: Outcomes stored as shares (0–1): drawn as percent (levels) and percentage points (effects).
RATE_OUTCOMES: tuple[str, ...] = ("resolution_rate", "satisfaction_rate")
HOTLINE_OUTCOMES: tuple[str, ...] = ("response_hours", *RATE_OUTCOMES)

#: Fixed texts of the figures, in both languages.
TEXT: dict[str, dict[str, str]] = {
    "event_time": {"zh": "相对实施的月份 e", "en": "Months since adoption (e)"},
    "att": {"zh": "效应 ATT（95% CI）", "en": "Effect ATT (95% CI)"},
    "adoption": {"zh": "实施", "en": "adoption"},
    "lag": {"zh": "滞后约{k}个月", "en": "~{k}-month lag"},
    "reference": {"zh": "参照期（e = −1，取 0）", "en": "Reference period (e = −1, set to 0)"},
    "truth": {"zh": "真值（模拟设定）", "en": "True value (simulation)"},
    "percent": {"zh": "（%）", "en": " (%)"},
    "points": {"zh": "（百分点）", "en": " (percentage points)"},
    "adopted": {"zh": "已实施区县占比（%）", "en": "Districts adopted (%)"},
    "treated": {"zh": "实施区县（按实施月对齐）", "en": "Adopting districts (aligned on adoption)"},
    "comparison_notyet": {
        "zh": "对照：同期尚未实施的区县",
        "en": "Comparison: districts not yet adopting, same months",
    },
    "comparison_never": {
        "zh": "对照：同期从未实施的区县",
        "en": "Comparison: never-adopting districts, same months",
    },
    "never": {"zh": "从未实施", "en": "Never adopted"},
    "no_data": {"zh": "无数据", "en": "No data"},
    "adoption_month": {"zh": "实施月份", "en": "Adoption month"},
    "relative": {
        "zh": "估计值占真值的百分比（95% CI）",
        "en": "Estimate as % of the true ATT (95% CI)",
    },
    "covered": {"zh": "置信区间覆盖真值", "en": "CI covers the truth"},
    "missed": {"zh": "置信区间未覆盖真值", "en": "CI misses the truth"},
    "coverage": {"zh": "{name}：覆盖 {k}/{n}", "en": "{name}: covers {k}/{n}"},
    "from_lag": {"zh": "第{k}个月起", "en": "from month {k}"},
}

_ESTIMATOR_STYLE: dict[str, tuple[int, str]] = {  # palette index, marker
    "cs_never": (0, "o"),
    "cs_notyet": (2, "s"),
    "twfe": (1, "D"),
    "sun_abraham": (3, "^"),
}
_LINESTYLES = ("-", "--", "-.", ":")
_TILE_COLUMNS = [
    "district_code",
    "name",
    "name_en",
    "short_zh",
    "short_en",
    "region",
    "row",
    "col",
]


def _t(key: str, lang: str, **kwargs: Any) -> str:
    return localize(TEXT[key], lang).format(**kwargs)


def _name(code: str, lang: str, labels: LabelMap = None) -> str:
    """The label of a measure, outcome, estimator or region; the code itself when unknown."""
    for table in (labels or {}, MEASURE_LABELS, OUTCOME_LABELS, ESTIMATOR_LABELS, REGION_LABELS):
        if code in table:
            return localize(table[code], lang)
    return str(code)


def _scale(outcome: str) -> float:
    return 100.0 if outcome in RATE_OUTCOMES else 1.0


def _axis_label(outcome: str, lang: str, labels: LabelMap, effect: bool) -> str:
    """The outcome's label, with ``(%)`` for rates (``(percentage points)`` for effects)."""
    text = _name(outcome, lang, labels)
    if outcome in RATE_OUTCOMES:
        text += _t("points" if effect else "percent", lang)
    return text


def _month_index(months: pd.Series) -> pd.Series:
    """'YYYY-MM' → year·12 + month − 1 (consecutive integers); missing or malformed → NaN."""
    text = months.astype("string")
    ok = text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
    year = pd.to_numeric(text.str[:4].where(ok), errors="coerce")
    month = pd.to_numeric(text.str[5:7].where(ok), errors="coerce")
    return (year * 12 + month - 1).astype("float64")


def _month_text(index: float) -> str:
    year, month = divmod(round(float(index)), 12)
    return f"{year}-{month + 1:02d}"


def _year_ticks(ax, lo: float, hi: float) -> None:
    """Major ticks at every January (labelled with the year), minor ticks every quarter."""
    years = range(int(lo) // 12, int(hi) // 12 + 1)
    majors = [y * 12 for y in years if lo - 0.5 <= y * 12 <= hi + 0.5]
    ax.set_xticks(majors, [str(m // 12) for m in majors])
    ax.set_xticks([q for q in range(int(lo), int(hi) + 1) if q % 3 == 0], minor=True)


def _adoption_line(ax, st, lang: str, lag: int | None) -> None:
    """Adoption between e = −1 and e = 0; the lag as a shaded span after it."""
    ax.axvline(-0.5, color="black", linewidth=st.line_width, linestyle="--", zorder=1)
    ax.annotate(
        _t("adoption", lang),
        (-0.5, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-2, -2),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=st.small_size,
    )
    if lag:
        ax.axvspan(-0.5, lag - 0.5, color=st.box_face, linewidth=0, zorder=0)
        ax.annotate(
            _t("lag", lang, k=lag),
            (-0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=st.small_size,
            color=st.muted,
        )


# --------------------------------------------------------------------------- (a) event study


def _truth_curve(truth: pd.DataFrame, measure: str, outcome: str) -> pd.DataFrame:
    """event_time, truth from a (event_time, truth) frame or the policy recovery table."""
    if "event_time" not in truth.columns and {"aggregation", "term"} <= set(truth.columns):
        rows = truth[(truth["aggregation"] == "dynamic") & truth["term"].str.startswith("e=")]
        for column, code in (("measure", measure), ("outcome", outcome)):
            if column in rows.columns:
                rows = rows[rows[column] == code]
        truth = rows.assign(event_time=rows["term"].str[2:].astype(int))
    _draw.require_columns(truth, ["event_time", "truth"], "event study truth")
    curve = truth.groupby("event_time", as_index=False)["truth"].first()
    return curve.sort_values("event_time")


def event_study(
    event_study: pd.DataFrame,
    measure: str,
    outcome: str,
    *,
    estimators: Sequence[str] | None = None,
    truth: pd.DataFrame | None = None,
    layout: str = "overlay",
    window: tuple[int, int] | None = None,
    lag: int | None = None,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Event study of one measure on one outcome: estimates with 95% CIs by event time.

    Parameters
    ----------
    event_study : the policy stage's event studies (``data/processed/policy/event_study.parquet``):
        measure, outcome, estimator, term (``e=k``; binned ends ``e<=-12`` / ``e>=12`` and
        ``overall`` are not drawn), event_time, estimate, ci_low, ci_high.
    estimators : which, in order (default: ``cs_never``, else ``cs_notyet``, then ``twfe``); add
        ``sun_abraham`` to show it too.
    truth : the simulation's true effects: a frame with event_time and truth, or the policy
        recovery table (``reports/recovery/policy/aggregates_recovery.csv``: its dynamic rows of
        this measure and outcome are used). Drawn as a black line.
    layout : ``"overlay"`` (one panel, estimators dodged horizontally) or ``"panels"`` (one
        panel per estimator, shared axes).
    window : event times drawn (default: all in the table, e.g. ``policy.event_window``).
    lag : months after adoption before the outcome responds (``policy.lags``): shaded.

    The dashed vertical line is adoption, between e = −1 and e = 0. CS with a varying base period
    estimates every pre-period; TWFE and Sun–Abraham omit e = −1 (the reference, drawn as a
    hollow marker at 0). Rates are in percentage points.
    """
    check_lang(lang)
    need = [
        "measure",
        "outcome",
        "estimator",
        "term",
        "event_time",
        "estimate",
        "ci_low",
        "ci_high",
    ]
    _draw.require_columns(event_study, need, "event study")
    if layout not in ("overlay", "panels"):
        raise ValueError(f"event study: layout must be 'overlay' or 'panels', got {layout!r}")
    rows = event_study[(event_study["measure"] == measure) & (event_study["outcome"] == outcome)]
    rows = rows[rows["term"].astype(str).str.fullmatch(r"e=-?\d+")]
    if rows.empty:
        raise ValueError(f"event study: no event-time rows for {measure} → {outcome}")
    present = list(dict.fromkeys(rows["estimator"].astype(str)))
    if estimators is None:
        cs = [e for e in ("cs_never", "cs_notyet") if e in present][:1]
        estimators = cs + [e for e in ("twfe",) if e in present] or present[:1]
    estimators = list(estimators)
    missing = [e for e in estimators if e not in present]
    if missing or not estimators:
        raise ValueError(
            f"event study: no rows of estimators {missing} for {measure} → {outcome} "
            f"(has {present})"
        )
    if window is not None:
        times = rows["event_time"].astype(float)
        rows = rows[(times >= window[0]) & (times <= window[1])]
    scale = _scale(outcome)
    curve = _truth_curve(truth, measure, outcome) if truth is not None else None
    if curve is not None and window is not None:
        curve = curve[curve["event_time"].between(*window)]
    k = len(estimators)
    panels = layout == "panels" and k > 1
    with figure_style(lang) as st:
        fig = new_figure("double", 7.5 if panels else 7.0)
        axes = fig.subplots(1, k if panels else 1, sharex=True, sharey=True, squeeze=False)[0]
        dodge = np.linspace(-0.2, 0.2, k) if k > 1 and not panels else np.zeros(k)
        reference = False
        for i, est in enumerate(estimators):
            ax = axes[i if panels else 0]
            part = rows[rows["estimator"] == est].sort_values("event_time")
            color_index, marker = _ESTIMATOR_STYLE.get(est, (4 + i % 3, "o"))
            color = st.palette[color_index % len(st.palette)]
            x = part["event_time"].to_numpy(dtype=float) + dodge[i]
            y, lo, hi = (
                part[c].to_numpy(dtype=float) * scale for c in ("estimate", "ci_low", "ci_high")
            )
            ax.errorbar(
                x,
                y,
                yerr=[y - lo, hi - y],
                fmt=marker,
                color=color,
                markersize=2.8,
                linewidth=0.8,
                capsize=0,
                label=_name(est, lang, labels),
                zorder=3,
            )
            times = set(part["event_time"].astype(int))
            if -1 not in times and any(t < -1 for t in times):
                ax.plot(-1 + dodge[i], 0, marker, color=color, markerfacecolor="white", ms=2.8)
                reference = True
        for ax in axes:
            _adoption_line(ax, st, lang, lag)
            ax.axhline(0, color="black", linewidth=st.line_width, zorder=1)
            if curve is not None:  # before and after adoption apart: the truth jumps at e = 0
                for part in (curve[curve["event_time"] < 0], curve[curve["event_time"] >= 0]):
                    ax.plot(
                        part["event_time"],
                        part["truth"] * scale,
                        color="black",
                        linewidth=0.9,
                        label=_t("truth", lang),
                        zorder=4,
                    )
            ax.xaxis.set_major_locator(MultipleLocator(3))
            ax.set_xlabel(_t("event_time", lang))
        if panels:
            for ax, est in zip(axes, estimators, strict=True):
                ax.set_title(_name(est, lang, labels), fontsize=st.font_size)
        axes[0].set_ylabel(f"{_t('att', lang)}\n{_axis_label(outcome, lang, labels, True)}")
        title = f"{_name(measure, lang, labels)} → {_name(outcome, lang, labels)}"
        fig.suptitle(title, x=0.01, ha="left")
        handles, names = [], []
        shown = [] if panels else [_name(e, lang, labels) for e in estimators]
        for ax in axes:
            for h, n in zip(*ax.get_legend_handles_labels(), strict=True):
                if n not in names and (n in shown or n == _t("truth", lang)):
                    handles.append(h)
                    names.append(n)
        order = sorted(range(len(names)), key=lambda j: names[j] == _t("truth", lang))
        handles, names = [handles[j] for j in order], [names[j] for j in order]
        if reference:
            handles.append(
                Line2D([], [], marker="o", ms=2.8, ls="", color="black", markerfacecolor="white")
            )
            names.append(_t("reference", lang))
        if names:
            fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4))
    return fig


# --------------------------------------------------------------------------- (b) trends


def _region_order(regions: Sequence[str]) -> list[str]:
    known = [r for r in REGION_LABELS if r in regions]
    return known + sorted(r for r in regions if r not in REGION_LABELS)


def workload_trends(
    panel: pd.DataFrame,
    rollout_col: str,
    outcome: str,
    *,
    weight: str = "cadres",
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Monthly workload per cadre by region (一区两群), with the measure's adoption below.

    Parameters
    ----------
    panel : the district-month panel (``data/processed/panel/district_month.parquet``):
        district_code, stratum, month (``YYYY-MM``), the outcome, the weight and `rollout_col`.
    rollout_col : the column with each district's adoption month of the measure (``YYYY-MM``,
        missing = never), e.g. ``adopt_yibiaotong``; the measure's label is looked up without
        the ``adopt_`` prefix.
    outcome : the outcome column, e.g. ``report_submissions`` (per cadre and month).
    weight : districts are averaged within each region weighted by this column (default the
        number of cadres, so that the line is the region's workload per cadre).

    Top: the region's weighted mean by month. Bottom: the share of the region's districts that
    have adopted the measure by then (adoption months before the panel count from its start).
    Rates are in percent.
    """
    check_lang(lang)
    need = ["district_code", "stratum", "month", outcome, weight, rollout_col]
    _draw.require_columns(panel, need, "workload panel")
    data = panel[need].copy()
    data["t"] = _month_index(data["month"])
    if data["t"].isna().any():
        raise ValueError("workload panel: month must be 'YYYY-MM'")
    data["adopted_at"] = _month_index(data[rollout_col])
    data["y"] = data[outcome].astype(float) * _scale(outcome)
    data["w"] = data[weight].astype(float)
    data = data[data["y"].notna() & data["w"].notna()]
    data["wy"] = data["w"] * data["y"]
    regions = _region_order(list(dict.fromkeys(data["stratum"].astype(str))))
    measure = rollout_col.removeprefix("adopt_")
    with figure_style(lang) as st:
        fig = new_figure("double", 9.0)
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
        for i, region in enumerate(regions):
            part = data[data["stratum"] == region]
            sums = part.groupby("t")[["wy", "w"]].sum()
            color = st.palette[i % len(st.palette)]
            style = _LINESTYLES[i % len(_LINESTYLES)]
            name = _name(region, lang, labels)
            top.plot(sums.index, sums["wy"] / sums["w"], style, color=color, label=name)
            firsts = part.groupby("district_code")["adopted_at"].first()
            months = np.sort(part["t"].unique())
            share = [(firsts <= m).mean() * 100 for m in months]
            bottom.plot(months, share, style, color=color, drawstyle="steps-mid", label=name)
        top.set_ylabel(_axis_label(outcome, lang, labels, effect=False))
        top.grid(axis="y", color="#E0E0E0")
        top.set_axisbelow(True)
        bottom.set_ylim(-5, 105)
        bottom.set_yticks([0, 50, 100])
        bottom.set_ylabel(_t("adopted", lang))
        bottom.set_title(_name(measure, lang, labels), fontsize=st.small_size)
        _year_ticks(bottom, float(data["t"].min()), float(data["t"].max()))
        fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


# --------------------------------------------------------------------------- (c) hotline


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and t-based 95% CI across the non-missing rows (CI NaN for fewer than 2)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def _aligned(
    panel: pd.DataFrame, adopt_col: str, outcome: str, window: tuple[int, int], control: str
) -> pd.DataFrame:
    """Adopting districts' outcome and their comparison mean by event time.

    For every adopting district d and event time e in `window`, at calendar month t = g_d + e:
    y_d(t), and the mean of y at t over the comparison districts (``notyet``: adoption after t or
    never; ``never``: never adopting). Returns event_time, group (treated / comparison), mean,
    ci_low, ci_high, n (districts), averaging over the adopting districts with a t-based CI.
    """
    data = panel[["district_code", "month", outcome, adopt_col]].copy()
    data["t"] = _month_index(data["month"])
    wide = data.pivot_table(index="district_code", columns="t", values=outcome, aggfunc="mean")
    adopted_at = data.groupby("district_code")[adopt_col].first()
    g = _month_index(adopted_at).reindex(wide.index).to_numpy()
    months = wide.columns.to_numpy(dtype=float)
    y = wide.to_numpy(dtype=float)
    if control == "never":
        comparison = np.broadcast_to(np.isnan(g)[:, None], y.shape)
    else:
        comparison = np.isnan(g)[:, None] | (g[:, None] > months[None, :])
    masked = np.where(comparison, y, np.nan)
    counts = (~np.isnan(masked)).sum(axis=0)
    sums = np.nansum(masked, axis=0)
    control_mean = np.divide(sums, counts, out=np.full(len(months), np.nan), where=counts > 0)
    column = {m: j for j, m in enumerate(months)}
    treated = np.flatnonzero(~np.isnan(g))
    rows = []
    for e in range(window[0], window[1] + 1):
        pairs = [
            (y[d, column[g[d] + e]], control_mean[column[g[d] + e]])
            for d in treated
            if g[d] + e in column
        ]
        values = np.array(pairs, dtype=float).reshape(-1, 2)
        both = values[~np.isnan(values).any(axis=1)]
        for j, group in enumerate(("treated", "comparison")):
            mean, lo, hi = _mean_ci(both[:, j])
            rows.append((e, group, mean, lo, hi, len(both)))
    return pd.DataFrame(rows, columns=["event_time", "group", "mean", "ci_low", "ci_high", "n"])


def hotline_before_after(
    panel: pd.DataFrame,
    measure: str = "yibiaotong",
    *,
    outcomes: Sequence[str] = HOTLINE_OUTCOMES,
    window: tuple[int, int] = (-12, 12),
    control: str = "notyet",
    lag: int | None = 3,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """12345 hotline outcomes around adoption: adopting districts against comparison districts.

    Parameters
    ----------
    panel : the district-month panel: district_code, month (``YYYY-MM``), ``adopt_<measure>``
        (adoption month, missing = never) and the outcomes.
    outcomes : one panel each (default response hours, resolution rate, satisfaction rate).
    window : event times e (months since adoption) drawn.
    control : ``"notyet"`` (districts that have not adopted by that month, never-adopters
        included) or ``"never"`` (never-adopting districts only).
    lag : months before the hotline responds (``policy.lags``): shaded after adoption.

    What it shows: each adopting district is aligned on its adoption month; at event time e its
    outcome (solid, blue) is set against the mean of the comparison districts in the same
    calendar month (dashed, vermilion), so seasonality and common shocks hit both lines alike.
    Lines are means over the adopting districts observed at e (each district counts once,
    unweighted); bands are 95% t intervals across those districts (the comparison band shows how
    the comparison months vary, not sampling error of the comparison mean). A raw, descriptive
    view: the estimates are `event_study` (Callaway–Sant'Anna). Rates are in percent.
    """
    check_lang(lang)
    if control not in ("notyet", "never"):
        raise ValueError(f"hotline: control must be 'notyet' or 'never', got {control!r}")
    adopt_col = f"adopt_{measure}"
    outcomes = list(outcomes)
    _draw.require_columns(panel, ["district_code", "month", adopt_col, *outcomes], "hotline panel")
    if _month_index(panel["month"]).isna().any():
        raise ValueError("hotline panel: month must be 'YYYY-MM'")
    if _month_index(panel[adopt_col]).isna().all():
        raise ValueError(f"hotline panel: no district adopts {measure} ({adopt_col} all missing)")
    with figure_style(lang) as st:
        fig = new_figure("double", 6.5)
        axes = fig.subplots(1, len(outcomes), sharex=True, squeeze=False)[0]
        styles = {
            "treated": (st.positive, "-", _t("treated", lang)),
            "comparison": (st.negative, "--", _t(f"comparison_{control}", lang)),
        }
        for ax, outcome in zip(axes, outcomes, strict=True):
            table = _aligned(panel, adopt_col, outcome, window, control)
            scale = _scale(outcome)
            for group, (color, style, name) in styles.items():
                part = table[table["group"] == group]
                ax.fill_between(
                    part["event_time"],
                    part["ci_low"] * scale,
                    part["ci_high"] * scale,
                    color=color,
                    alpha=0.18,
                    linewidth=0,
                )
                ax.plot(part["event_time"], part["mean"] * scale, style, color=color, label=name)
            _adoption_line(ax, st, lang, lag)
            ax.set_title(_name(outcome, lang, labels), fontsize=st.font_size)
            if outcome in RATE_OUTCOMES:
                ax.set_ylabel("%")
            ax.set_xlabel(_t("event_time", lang))
            ax.xaxis.set_major_locator(MultipleLocator(6))
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig


# --------------------------------------------------------------------------- (d) tile map


def chongqing_tiles() -> pd.DataFrame:
    """The tile grid of Chongqing's 38 districts (package data ``chongqing_tiles.csv``).

    Columns: district_code (adcode), name, name_en, short_zh, short_en, region (一区两群), row
    (0 = north), col (0 = west). A hand-made square grid keeping the rough geography: the
    central city as a 3 × 3 block with the new metropolitan districts around it (west and
    centre), 渝东北 north-east along the Yangtze, 渝东南 south-east.
    """
    source = resources.files("jianfu.figures").joinpath("chongqing_tiles.csv")
    with source.open("r", encoding="utf-8") as fh:
        tiles = pd.read_csv(fh, dtype={"district_code": "int64", "row": "int64", "col": "int64"})
    return tiles[_TILE_COLUMNS]


def _value_kind(values: pd.Series, kind: str) -> str:
    if kind != "auto":
        if kind not in ("month", "sequential", "diverging"):
            raise ValueError(
                f"tile map: kind must be auto, month, sequential or diverging, got {kind!r}"
            )
        return kind
    if not pd.api.types.is_numeric_dtype(values):
        return "month"
    finite = values.dropna().astype(float)
    return "diverging" if (finite < 0).any() and (finite > 0).any() else "sequential"


_VOWELS = "aeiouü"


def _split_pinyin(name: str) -> str:
    """A pinyin place name on two lines at the syllable break nearest its middle (Sha- pingba).

    A break comes before an initial consonant that follows a vowel, n or ng and is itself
    followed by a vowel (zh, ch, sh kept whole); names of up to 6 letters stay on one line.
    """
    if len(name) <= 6:
        return name
    breaks = []
    for i in range(1, len(name) - 1):
        prev, ch, nxt = name[i - 1].lower(), name[i].lower(), name[i + 1].lower()
        if ch not in "bpmfdtnlgkhjqxrzcsyw" or not (prev in _VOWELS or prev in "ng"):
            continue
        if (ch == "g" and prev == "n") or (ch == "h" and prev in "zcs"):
            continue
        if nxt in _VOWELS or (ch in "zcs" and nxt == "h"):
            breaks.append(i)
    if not breaks:
        return name
    i = min(breaks, key=lambda b: abs(b - len(name) / 2))
    return f"{name[:i]}-\n{name[i:]}"


def _tile_text_size(labels: Sequence[str], tile_cm: float, cap: float) -> float:
    """Largest font size (pt, at most `cap`, at least 3.5) at which every label fits a tile."""
    widest = max(
        sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in line)
        for text in labels
        for line in text.split("\n")
    )
    return float(np.clip(0.84 * tile_cm / widest * 72 / 2.54, 3.5, cap))


def _tile_names(grid: pd.DataFrame, lang: str, tile_cm: float, cap: float) -> tuple[list, float]:
    """Tile names and their font size; long English names go on two lines when that is larger."""
    names = grid["short_zh" if lang == "zh" else "short_en"].astype(str).tolist()
    size = _tile_text_size(names, tile_cm, cap)
    if lang == "en" and size < cap:
        split = [_split_pinyin(n) for n in names]
        if _tile_text_size(split, tile_cm, cap) > size:
            return split, _tile_text_size(split, tile_cm, cap)
    return names, size


def district_tile_map(
    values: pd.DataFrame,
    *,
    value: str = "value",
    label: str | None = None,
    facet: str | None = None,
    kind: str = "auto",
    month_range: tuple[str, str] | None = None,
    value_label: Mapping[str, str] | str | None = None,
    tiles: pd.DataFrame | None = None,
    width: str | float = "double",
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Tile map of Chongqing's 38 districts coloured by one value per district (per facet).

    Parameters
    ----------
    values : district_code and the `value` column (and `label`, `facet` when given), e.g. the
        rollout table (``data/processed/admin/rollout.parquet``) with ``value="adoption_month",
        facet="measure"``.
    value : the column to colour by: months ``YYYY-MM`` (kind ``month``) or numbers.
    label : a column printed under each district's name (e.g. a formatted effect).
    facet : a column splitting the values into small multiples (one map each, two per row,
        one shared colour scale), titled by their labels (measures are known).
    kind : ``"month"`` (viridis, a colour bar of months), ``"sequential"`` (viridis),
        ``"diverging"`` (the house diverging map, centred on 0) or ``"auto"`` (months for text,
        diverging when the numbers take both signs, else sequential).
    month_range : (first, last) months of the colour scale; months outside are drawn in the end
        colours and the colour bar is extended (e.g. ``("2023-01", "2025-12")``, the panel
        window, for a district that adopted before it). Default: the data's range.
    value_label : the colour bar's title (a string or ``{"zh", "en"}``; default "adoption month"
        for months, else the value column).
    tiles : the grid (default `chongqing_tiles`).
    width : ``"single"``, ``"double"`` or centimetres; the height follows from the grid.

    Grey tiles have no value (for months: never adopted). Black outlines enclose the three
    regions (一区两群) when the grid has a region column.
    """
    check_lang(lang)
    need = ["district_code", value, *(c for c in (label, facet) if c)]
    _draw.require_columns(values, need, "tile map values")
    grid = chongqing_tiles() if tiles is None else tiles
    _draw.require_columns(grid, ["district_code", "short_zh", "short_en", "row", "col"], "tiles")
    codes = values["district_code"].astype("int64")
    unknown = sorted(set(codes) - set(grid["district_code"]))
    if unknown:
        raise ValueError(f"tile map: districts not in the tile grid: {unknown}")
    kind = _value_kind(values[value], kind)
    number = _month_index(values[value]) if kind == "month" else values[value].astype(float)
    data = values.assign(number=number.to_numpy(dtype=float), district_code=codes.to_numpy())
    if kind == "month" and month_range is not None:
        lo, hi = _month_index(pd.Series(list(month_range))).tolist()
        if np.isnan(lo) or np.isnan(hi):
            raise ValueError(f"tile map: month_range must be two 'YYYY-MM', got {month_range}")
    else:
        finite = data["number"].dropna()
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if kind == "diverging":
        lo, hi = -(max(abs(lo), abs(hi)) or 1.0), max(abs(lo), abs(hi)) or 1.0
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    facets = list(dict.fromkeys(data[facet])) if facet else [None]
    ncols = 1 if len(facets) == 1 else 2
    nrows = -(-len(facets) // ncols)
    n_rows, n_cols = int(grid["row"].max()) + 1, int(grid["col"].max()) + 1
    with figure_style(lang) as st:
        tile_cm = 0.92 * st.width(width) * 2.54 / ncols / (n_cols + 0.3)
        fig = new_figure(width, nrows * (tile_cm * (n_rows + 0.3) + (0.6 if facet else 0)) + 2.0)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        cmap = colormaps[st.diverging_cmap if kind == "diverging" else "viridis"]
        norm = Normalize(lo, hi)
        names, size = _tile_names(grid, lang, tile_cm, st.small_size)
        look = {"cmap": cmap, "norm": norm, "size": size, "missing": "#D9D9D9", "style": st}
        for ax, key in zip(axes, facets, strict=False):
            part = data if key is None else data[data[facet] == key]
            _draw_tiles(ax, grid, names, part.drop_duplicates("district_code"), label, look)
            ax.set_xlim(-0.6, n_cols - 0.4)
            ax.set_ylim(-(n_rows - 0.4), 0.6)
            ax.set_aspect("equal")
            ax.set_axis_off()
            if key is not None:
                ax.set_title(_name(str(key), lang, labels), fontsize=st.font_size)
        for ax in axes[len(facets) :]:
            ax.set_axis_off()
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}
        outside = (bool(data["number"].lt(lo).any()), bool(data["number"].gt(hi).any()))
        bar = fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap),
            ax=list(axes),
            orientation="horizontal",
            location="bottom",
            shrink=0.45,
            aspect=35,
            pad=0.02,
            extend=extend.get(outside, "neither"),
        )
        if kind == "month":
            step = int(np.ceil((hi - lo) / 6 / 3)) * 3 if hi - lo > 6 else 1
            ticks = np.arange(np.ceil(lo / step) * step, hi + 0.5, step)
            bar.set_ticks(ticks, labels=[_month_text(t) for t in ticks])
        default = _t("adoption_month", lang) if kind == "month" else value
        bar.set_label(localize(value_label, lang) if value_label is not None else default)
        bar.outline.set_linewidth(st.line_width)
        absent = set(grid["district_code"]) - set(data["district_code"])
        if data["number"].isna().any() or absent:
            axes[0].legend(
                handles=[Patch(facecolor=look["missing"], edgecolor="none")],
                labels=[_t("never" if kind == "month" else "no_data", lang)],
                loc="lower left",
                borderaxespad=0.0,
                handlelength=1.0,
                handleheight=1.0,
            )
    return fig


def _draw_tiles(ax, grid, names, part, label, look) -> None:
    """One map: a square per district (y = −row), its name inside, region outlines in black."""
    st, cmap, norm = look["style"], look["cmap"], look["norm"]
    number = part.set_index("district_code")["number"]
    extra = part.set_index("district_code")[label] if label else pd.Series(dtype=object)
    for tile, name in zip(grid.itertuples(index=False), names, strict=True):
        code, row, col = int(tile.district_code), int(tile.row), int(tile.col)
        value = number.get(code, np.nan)
        missing = bool(pd.isna(value))
        face = look["missing"] if missing else cmap(norm(np.clip(value, norm.vmin, norm.vmax)))
        ax.add_patch(
            Rectangle(
                (col - 0.47, -row - 0.47),
                0.94,
                0.94,
                facecolor=face,
                edgecolor="none",
            )
        )
        text = name
        note = extra.get(code)
        if note is not None and not pd.isna(note) and str(note):
            text += f"\n{note}"
        dark = not missing and float(np.dot(to_rgb(face), (0.299, 0.587, 0.114))) < 0.5
        ax.text(
            col,
            -row,
            text,
            ha="center",
            va="center",
            fontsize=look["size"],
            color="white" if dark else "black",
            linespacing=0.95,
            in_layout=False,  # inside the axes by construction; saves the layout's text passes
        )
    if "region" not in grid.columns:
        return
    region = {(int(t.row), int(t.col)): str(t.region) for t in grid.itertuples(index=False)}
    segments = []
    for (row, col), name in region.items():
        x, y = col, -row
        sides = {
            (0, 1): [(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)],
            (0, -1): [(x - 0.5, y - 0.5), (x - 0.5, y + 0.5)],
            (1, 0): [(x - 0.5, y - 0.5), (x + 0.5, y - 0.5)],
            (-1, 0): [(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)],
        }
        for (dr, dc), segment in sides.items():
            if region.get((row + dr, col + dc)) != name:
                segments.append(segment)
    ax.add_collection(
        LineCollection(segments, colors="black", linewidths=st.line_width * 1.3, capstyle="round")
    )


# --------------------------------------------------------------------------- (e) recovery


def policy_recovery_plot(
    recovery: pd.DataFrame,
    *,
    estimators: Sequence[str] = ("cs_never", "cs_notyet", "twfe"),
    aggregations: Sequence[str] = ("simple",),
    ci: str = "cluster",
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Estimated average effects as a share of the true effect: CS against TWFE.

    Parameters
    ----------
    recovery : the policy recovery table (``reports/recovery/policy/aggregates_recovery.csv``):
        measure, outcome, estimator, aggregation, term, truth, estimate, ci_low, ci_high, covered
        (and ci_low_unit, ci_high_unit, covered_unit for ``ci="unit"``).
    estimators : which, in order (those without rows are left out).
    aggregations : which aggregates: ``simple`` (the overall ATT) and/or ``from_lag_3`` (the
        average effect from the lag on, hotline outcomes).
    ci : ``"cluster"`` (district-clustered CIs) or ``"unit"`` (township-level CIs; TWFE has
        none and is left out).

    One row per measure → outcome, estimators dodged: 100 % is the truth. Filled markers'
    CIs cover the truth, hollow ones miss it; the legend counts the covered CIs. Staggered
    adoption with dynamic effects biases TWFE towards zero ("forbidden comparisons" of late
    against early adopters, Goodman-Bacon 2021), which the CS estimates avoid.
    """
    check_lang(lang)
    if ci not in ("cluster", "unit"):
        raise ValueError(f"policy recovery: ci must be 'cluster' or 'unit', got {ci!r}")
    suffix = "" if ci == "cluster" else "_unit"
    low, high, covered = f"ci_low{suffix}", f"ci_high{suffix}", f"covered{suffix}"
    need = ["measure", "outcome", "estimator", "aggregation", "truth", "estimate", low, high]
    _draw.require_columns(recovery, [*need, covered], "policy recovery")
    rows = recovery[
        recovery["aggregation"].isin(list(aggregations))
        & recovery["estimator"].isin(list(estimators))
    ].dropna(subset=["truth", "estimate", low, high])
    if rows.empty:
        raise ValueError(
            f"policy recovery: no rows for estimators {list(estimators)} and aggregations "
            f"{list(aggregations)}"
        )
    if (rows["truth"].abs() < 1e-12).any():
        raise ValueError("policy recovery: a true effect is 0; estimates relative to it undefined")
    order = {m: i for i, m in enumerate([*MEASURE_LABELS, *OUTCOME_LABELS])}
    keys = sorted(
        set(zip(rows["measure"], rows["outcome"], rows["aggregation"], strict=True)),
        key=lambda k: (order.get(k[0], 99), order.get(k[1], 99), k[2] != "simple", k),
    )
    shown = [e for e in estimators if e in set(rows["estimator"])]
    offsets = np.linspace(-0.22, 0.22, len(shown)) if len(shown) > 1 else np.zeros(1)
    with figure_style(lang) as st:
        fig = new_figure("double", 2.6 + 0.75 * len(keys))
        ax = fig.add_subplot()
        handles = []
        for i, est in enumerate(shown):
            color_index, marker = _ESTIMATOR_STYLE.get(est, (4 + i % 3, "o"))
            color = st.palette[color_index % len(st.palette)]
            part = rows[rows["estimator"] == est]
            hits = 0
            for y, key in enumerate(keys):
                match = part[
                    (part["measure"] == key[0])
                    & (part["outcome"] == key[1])
                    & (part["aggregation"] == key[2])
                ]
                for r in match.itertuples(index=False):
                    rel = 100 * np.array([r.estimate, getattr(r, low), getattr(r, high)]) / r.truth
                    ok = bool(getattr(r, covered))
                    hits += ok
                    ax.hlines(y + offsets[i], rel[1:].min(), rel[1:].max(), color=color, lw=1.0)
                    ax.plot(
                        rel[0],
                        y + offsets[i],
                        marker,
                        color=color,
                        markersize=3.5,
                        markerfacecolor=color if ok else "white",
                        zorder=3,
                    )
            name = _t("coverage", lang, name=_name(est, lang, labels), k=hits, n=len(part))
            handles.append(
                Line2D([], [], marker=marker, markersize=3.5, color=color, lw=1.0, label=name)
            )
        ax.axvline(100, color="black", linewidth=st.line_width)
        ax.annotate(
            _t("truth", lang),
            (100, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=st.small_size,
        )
        ticks = []
        for measure, outcome, aggregation in keys:
            text = _name(outcome, lang, labels)
            if aggregation.startswith("from_lag_"):
                lag = _t("from_lag", lang, k=aggregation.removeprefix("from_lag_"))
                text = f"{text}，{lag}" if lang == "zh" else f"{text}, {lag}"
            ticks.append(f"{_name(measure, lang, labels)}\n{text}")
        ax.set_yticks(range(len(keys)), ticks)
        ax.set_ylim(len(keys) - 0.5, -0.7)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#E0E0E0")
        ax.set_axisbelow(True)
        ax.set_xlabel(_t("relative", lang))
        handles += [
            Line2D([], [], marker="o", ms=3.5, ls="", color="black", label=_t("covered", lang)),
            Line2D(
                [],
                [],
                marker="o",
                ms=3.5,
                ls="",
                color="black",
                markerfacecolor="white",
                label=_t("missed", lang),
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)))
    return fig
