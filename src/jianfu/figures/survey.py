"""Survey figures: one public function per figure, tidy DataFrames in, a matplotlib Figure out.

Every function takes ``lang="zh"`` (default) or ``"en"`` and an optional ``labels`` mapping
(variable code → ``{"zh": ..., "en": ...}``, see `jianfu.figures.labels`); unknown codes are shown
as codes. Inputs are the tidy tables of the pipeline (columns named in each docstring), never file
paths; `jianfu.figures.style.save_figure` writes the result. Chinese figures need the CJK font
registered (`jianfu.figures.fonts.use_font`).

Catalogue (inputs → figure):

- `cleaning_flow`: ingest's cleaning flow (step, rows_before, removed, rows_after) → CONSORT-style
  flow of responses received, excluded per rule, analysed.
- `likert_bars`: item answers + item and scale tables → diverging stacked bars per construct.
- `correlation_heatmap`: var1, var2, r, p, mark → lower-triangle heatmap.
- `cfa_loadings`: lavaan-style CFA estimates (lhs, op, rhs, std_all) → standardized loadings.
- `sem_path_diagram`: SEM paths (equation, term, std, p) → layered path diagram.
- `burden_forest`: OLS (final step) and SEM effects of the measures on FB → forest plot.
- `mediation_diagram`: PROCESS model 4/6 paths and bootstrap indirect effects → path diagrams.
- `moderation_plot`: PROCESS model 1 → simple slopes and the Johnson–Neyman plot.
- `recovery_plot`: estimates vs the simulation's true values, with CIs and coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from jianfu.figures import _draw, _layout, _moderation
from jianfu.figures import labels as figlabels
from jianfu.figures._draw import fmt, fmt_n, stars, term_label
from jianfu.figures.style import figure_style, localize, new_figure

LabelMap = Mapping[str, Any] | None

#: Fixed texts of the figures, in both languages.
TEXT: dict[str, dict[str, str]] = {
    "received": {"zh": "回收问卷", "en": "Responses received"},
    "analysed": {"zh": "纳入分析", "en": "Analysed"},
    "excluded": {"zh": "剔除", "en": "Excluded"},
    "percent": {"zh": "回答比例（%）", "en": "Share of answers (%)"},
    "reverse": {"zh": "（反向）", "en": " (R)"},
    "loading": {"zh": "标准化因子载荷", "en": "Standardized loading"},
    "ols": {"zh": "OLS 回归系数 b（观测分数）", "en": "OLS coefficient b (observed scores)"},
    "sem": {"zh": "SEM 标准化路径系数 β（潜变量）", "en": "SEM standardized path β (latent)"},
    "total_indirect": {"zh": "总间接效应", "en": "Total indirect effect"},
    "indirect": {
        "zh": "间接效应（95% 自助法置信区间）",
        "en": "Indirect effects (95% bootstrap CI)",
    },
    "truth": {"zh": "真值（模拟设定）", "en": "True value (simulation)"},
    "estimate": {"zh": "估计值（95% 置信区间）", "en": "Estimate (95% CI)"},
    "covered": {"zh": "置信区间覆盖真值", "en": "CI covers the truth"},
    "missed": {"zh": "置信区间未覆盖真值", "en": "CI misses the truth"},
    "coverage": {"zh": "覆盖 {k}/{n}", "en": "covered {k}/{n}"},
    "significant": {"zh": "p < .05", "en": "p < .05"},
    "not_significant": {"zh": "不显著", "en": "not significant"},
    "mean": {"zh": "均值", "en": "mean"},
    "path_positive": {"zh": "正向路径（p < {a}）", "en": "Positive path (p < {a})"},
    "path_negative": {"zh": "负向路径（p < {a}）", "en": "Negative path (p < {a})"},
    "path_ns": {"zh": "不显著（p ≥ {a}）", "en": "Not significant (p ≥ {a})"},
    "endogenous": {"zh": "内生变量", "en": "Endogenous variable"},
    "exogenous": {"zh": "外生变量", "en": "Exogenous variable"},
    "path_note": {
        "zh": "路径上的数值为标准化路径系数 β；* p < .05，** p < .01，*** p < .001",
        "en": "Numbers are standardized path coefficients β; * p < .05, ** p < .01, *** p < .001",
    },
    "jn_point": {"zh": "J-N 点：{w} = {value}", "en": "Johnson–Neyman point: {w} = {value}"},
    "conditional_effect": {
        "zh": "{x} → {y}：条件效应 θ（95% CI）",
        "en": "Conditional effect θ of {x} on {y} (95% CI)",
    },
}

#: Labels of the ingest stage's cleaning rules (`jianfu.ingest.clean`).
STEP_LABELS: dict[str, dict[str, str]] = {
    "blank_row": {"zh": "空白行", "en": "Blank rows"},
    "duplicate": {"zh": "重复提交", "en": "Duplicate submissions"},
    "speeder": {"zh": "作答过快", "en": "Speeders"},
    "attention_fail": {"zh": "注意力检测未通过", "en": "Failed attention checks"},
    "straightliner": {"zh": "直线作答", "en": "Straight-lining"},
    "logic_conflict": {"zh": "逻辑矛盾", "en": "Logical conflicts"},
    "too_many_missing": {"zh": "缺失过多", "en": "Too many missing answers"},
}

#: Labels of the recovery families (`jianfu.models.recovery`).
FAMILY_LABELS: dict[str, dict[str, str]] = {
    "latent_standardized": {
        "zh": "潜变量路径（SEM，标准化）",
        "en": "Latent paths (SEM, standardized)",
    },
    "observed_score": {"zh": "观测分数回归（OLS）", "en": "Observed-score regressions (OLS)"},
}


def _t(key: str, lang: str, **kwargs: Any) -> str:
    return localize(TEXT[key], lang).format(**kwargs)


def _with_code(text: str, code: str, lang: str) -> str:
    """``text（code）`` in Chinese, ``text (code)`` in English."""
    return f"{text}（{code}）" if lang == "zh" else f"{text} ({code})"


# --------------------------------------------------------------------------- (a) cleaning flow


def cleaning_flow(flow: pd.DataFrame, *, lang: str = "zh", step_labels: LabelMap = None) -> Figure:
    """CONSORT-style flow of the survey cleaning: received → excluded per rule → analysed.

    Parameters
    ----------
    flow : ingest's cleaning flow, one row per rule in order: step, rows_before, removed,
        rows_after (``reports/ingest/cleaning_flow.csv``).
    step_labels : labels of the rules (default `STEP_LABELS`; unknown rules show their id).
    """
    _draw.require_columns(flow, ["step", "rows_before", "removed", "rows_after"], "cleaning flow")
    before, removed, after = (
        flow[c].astype("int64").to_numpy() for c in ("rows_before", "removed", "rows_after")
    )
    if (before - removed != after).any() or (after[:-1] != before[1:]).any():
        raise ValueError("cleaning flow: rows_before − removed ≠ rows_after, or steps not chained")
    names = {**STEP_LABELS, **(step_labels or {})}
    n = len(flow)
    with figure_style(lang) as st:
        fig = new_figure("single", 1.3 + 0.72 * (n + 2), layout=None)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(n + 1.6, -0.6)
        spine_x = 0.21
        top = _draw.box(
            ax,
            spine_x,
            0,
            f"{_t('received', lang)}\nn = {fmt_n(before[0], lang)}",
            face=st.box_face,
        )
        bottom = _draw.box(
            ax,
            spine_x,
            n + 1,
            f"{_t('analysed', lang)}\nn = {fmt_n(after[-1], lang)}",
            face=st.box_face,
        )
        _draw.arrow_between(ax, top, bottom)
        sep = "：" if lang == "zh" else ": "
        for i, row in enumerate(flow.itertuples(index=False), start=1):
            label = localize(names.get(row.step, {"zh": row.step, "en": row.step}), lang)
            text = f"{_t('excluded', lang)}{sep}{label}\nn = {fmt_n(row.removed, lang)}"
            side = _draw.box(ax, 0.42, i, text, ha="left", size=st.small_size)
            ax.annotate(
                "",
                xy=(0.42, i),
                xytext=(spine_x, i),
                zorder=4,
                arrowprops={
                    "arrowstyle": "-|>,head_length=0.3,head_width=0.15",
                    "linewidth": st.line_width,
                    "patchB": side.get_bbox_patch(),
                    "shrinkA": 0,
                    "shrinkB": 1.5,
                },
            )
    return fig


# --------------------------------------------------------------------------- (b) Likert bars


def _likert_shares(answers: pd.Series, codes: Sequence[int]) -> np.ndarray:
    counts = pd.to_numeric(answers, errors="coerce").value_counts()
    total = counts.reindex(codes, fill_value=0).sum()
    if total == 0:
        return np.zeros(len(codes))
    return counts.reindex(codes, fill_value=0).to_numpy(dtype=float) / total * 100


def _likert_colors(cmap_name: str, k: int, neutral: str) -> list[str]:
    from matplotlib import colormaps

    cmap = colormaps[cmap_name]
    colors = [to_hex(cmap(v)) for v in np.linspace(0.08, 0.92, k)]
    if k % 2:
        colors[k // 2] = neutral
    return colors


def _item_names(items: pd.DataFrame, lang: str) -> list[str]:
    """Row labels of items: their short wording, else the wording shortened, else the code."""
    if f"short_{lang}" in items.columns:
        return items[f"short_{lang}"].astype(str).tolist()
    if f"label_{lang}" in items.columns:
        return [figlabels.shorten(str(t), lang) for t in items[f"label_{lang}"]]
    return items["item"].astype(str).tolist()


def likert_bars(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    scales: pd.DataFrame,
    *,
    constructs: Sequence[str] | None = None,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Diverging stacked bars of the answers to every item, one panel per construct.

    Parameters
    ----------
    responses : one column per item with the answer codes as given (reverse-keyed items are not
        recoded; they are marked "(R)"), one row per respondent (the clean survey).
    items : item, construct, scale, reverse, and the row labels: short_zh / short_en (the
        codebook's short wording), else label_zh / label_en (the wording, shortened with an
        ellipsis), else the item code (`jianfu.figures.labels.item_table`).
    scales : scale, code, label_zh, label_en, one row per answer code
        (`jianfu.figures.labels.scale_table`).
    constructs : which constructs, in order (default: all in `items`).

    Bars are centred on the scale's middle: the lower half of the answers go left, the upper
    half right, a middle answer of an odd-length scale is split across zero. Shares are of the
    answered (non-missing) responses; the numbers at the ends are the shares below and above the
    middle (the middle answer not included). Draw at most ~25 items per figure (e.g. the
    measures, then the outcomes): the height grows with the number of items.
    """
    _draw.require_columns(items, ["item", "construct", "scale", "reverse"], "likert items")
    _draw.require_columns(scales, ["scale", "code", "label_zh", "label_en"], "likert scales")
    chosen = list(dict.fromkeys(items["construct"])) if constructs is None else list(constructs)
    table = items[items["construct"].isin(chosen)]
    missing = sorted(set(table["item"]) - set(responses.columns))
    if missing:
        raise ValueError(f"likert: items not in the responses: {missing}")
    unknown = sorted(set(table["scale"]) - set(scales["scale"]))
    if unknown or table.empty:
        raise ValueError(f"likert: no items, or scales without codes: {unknown}")
    groups = [(c, table[table["construct"] == c]) for c in chosen]
    groups = [(c, g) for c, g in groups if len(g)]
    with figure_style(lang) as st:
        height = 1.6 + sum(0.42 * len(g) + 0.55 for _, g in groups)
        fig = new_figure("double", height)
        axes = fig.subplots(
            len(groups),
            1,
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": [len(g) + 0.6 for _, g in groups]},
        )[:, 0]
        used_scales: list[str] = []
        for ax, (construct, group) in zip(axes, groups, strict=True):
            for y, row in enumerate(group.itertuples(index=False)):
                sc = scales[scales["scale"] == row.scale].sort_values("code")
                codes = sc["code"].astype(int).tolist()
                colors = _likert_colors(st.likert_cmap, len(codes), "#BDBDBD")
                share = _likert_shares(responses[row.item], codes)
                half = len(codes) // 2
                left = -(share[:half].sum() + (share[half] / 2 if len(codes) % 2 else 0))
                start = left
                for value, color in zip(share, colors, strict=True):
                    ax.barh(
                        y,
                        value,
                        left=start,
                        color=color,
                        height=0.72,
                        edgecolor="white",
                        linewidth=0.3,
                    )
                    start += value
                ax.text(
                    left - 1.5,
                    y,
                    f"{share[:half].sum():.0f}",
                    ha="right",
                    va="center",
                    fontsize=st.small_size - 0.5,
                    color=st.muted,
                )
                ax.text(
                    start + 1.5,
                    y,
                    f"{share[len(codes) - half :].sum():.0f}",
                    ha="left",
                    va="center",
                    fontsize=st.small_size - 0.5,
                    color=st.muted,
                )
                if row.scale not in used_scales:
                    used_scales.append(row.scale)
            ticks = [
                f"{name}{_t('reverse', lang) if r.reverse else ''}"
                for name, r in zip(
                    _item_names(group, lang), group.itertuples(index=False), strict=True
                )
            ]
            ax.set_yticks(range(len(group)), ticks)
            ax.set_ylim(len(group) - 0.4, -0.6)
            ax.axvline(0, color="black", linewidth=st.line_width)
            ax.spines[["left", "top", "right", "bottom"]].set_visible(False)
            ax.tick_params(axis="y", length=0)
            ax.set_title(
                _with_code(term_label(construct, labels, lang), construct, lang),
                fontsize=st.font_size,
                pad=2,
            )
        for inner in axes[:-1]:
            inner.tick_params(axis="x", bottom=False, labelbottom=False)
        ax = axes[-1]
        ax.spines["bottom"].set_visible(True)
        ax.set_xlim(-105, 105)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
        ax.set_xlabel(_t("percent", lang))
        handles: list[Any] = []
        k_max = max(len(scales[scales["scale"] == s]) for s in used_scales)
        rows = []
        for s in used_scales:
            sc = scales[scales["scale"] == s].sort_values("code")
            colors = _likert_colors(st.likert_cmap, len(sc), "#BDBDBD")
            row = [
                Patch(facecolor=c, edgecolor="none", label=str(lab))
                for c, lab in zip(colors, sc[f"label_{lang}"], strict=True)
            ]
            rows.append(row + [Patch(visible=False, label="")] * (k_max - len(row)))
        for j in range(k_max):  # legend columns fill top-down: one legend row per scale
            handles += [r[j] for r in rows]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=k_max,
            handlelength=1.0,
            columnspacing=1.0,
        )
    return fig


# --------------------------------------------------------------------------- (c) correlations


def correlation_heatmap(
    corr: pd.DataFrame,
    *,
    labels: LabelMap = None,
    order: Sequence[str] | None = None,
    lang: str = "zh",
) -> Figure:
    """Lower-triangle heatmap of correlations with their significance marks.

    Parameters
    ----------
    corr : one row per pair: var1, var2, r, and mark (``*``, ``**``, ``***`` or empty) or p
        (``table1__correlations.csv``).
    order : variable order (default: first appearance in var2, then var1).
    """
    _draw.require_columns(corr, ["var1", "var2", "r"], "correlations")
    if "mark" not in corr.columns and "p" not in corr.columns:
        raise ValueError("correlations: need a 'mark' or a 'p' column")
    names = (
        list(order)
        if order is not None
        else list(dict.fromkeys([*corr["var2"].astype(str), *corr["var1"].astype(str)]))
    )
    index = {v: i for i, v in enumerate(names)}
    k = len(names)
    r = np.full((k, k), np.nan)
    marks = np.full((k, k), "", dtype=object)
    for row in corr.itertuples(index=False):
        if row.var1 not in index or row.var2 not in index:
            continue
        i, j = sorted((index[row.var1], index[row.var2]), reverse=True)
        r[i, j] = row.r
        mark = getattr(row, "mark", None)
        marks[i, j] = (
            stars(row.p)
            if mark is None or (pd.isna(mark) and "mark" not in corr)
            else ("" if pd.isna(mark) else str(mark))
        )
    vmax = max(0.1, float(np.ceil(np.nanmax(np.abs(r)) * 10) / 10)) if np.isfinite(r).any() else 1
    with figure_style(lang) as st:
        fig = new_figure("double", 2.5 + 0.75 * k)
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(r), cmap=st.diverging_cmap, vmin=-vmax, vmax=vmax)
        for i in range(k):
            for j in range(i):
                if np.isnan(r[i, j]):
                    continue
                color = "white" if abs(r[i, j]) > 0.6 * vmax else "black"
                ax.text(
                    j,
                    i,
                    f"{fmt(r[i, j])}\n{marks[i, j]}",
                    ha="center",
                    va="center",
                    fontsize=st.small_size - 0.5,
                    color=color,
                    linespacing=0.9,
                )
        # rows and columns numbered as in an APA correlation table: no variable codes shown
        width = 10 if lang == "zh" else 30
        ylabels = [
            f"{_draw.wrap(term_label(v, labels, lang), lang, width)} {i}"
            for i, v in enumerate(names, start=1)
        ]
        ax.set_yticks(range(k), ylabels)
        ax.set_xticks(range(k), [str(i) for i in range(1, k + 1)])
        ax.tick_params(length=0)
        ax.spines[:].set_visible(False)
        ax.set_xlim(-0.5, k - 1.5)
        ax.set_ylim(k - 0.5, 0.5)
        bar = fig.colorbar(image, ax=ax, shrink=0.6, aspect=25, pad=0.02)
        bar.set_label("r")
        bar.outline.set_linewidth(st.line_width)
    return fig


# --------------------------------------------------------------------------- (d) CFA loadings


def _balanced_split(counts: list[int]) -> int:
    """Index splitting `counts` (kept in order) into two runs of nearly equal sums."""
    total, best, best_gap, run = sum(counts), 1, None, 0
    for i, c in enumerate(counts[:-1], start=1):
        run += c
        gap = abs(total - 2 * run)
        if best_gap is None or gap < best_gap:
            best, best_gap = i, gap
    return best


def cfa_loadings(
    estimates: pd.DataFrame, *, labels: LabelMap = None, lang: str = "zh", threshold: float = 0.7
) -> Figure:
    """Standardized CFA loadings per construct (dots), with a reference line at `threshold`.

    Parameters
    ----------
    estimates : lavaan-style parameter table with lhs, op, rhs, std_all (the measure stage's
        ``cfa_estimates.csv``); rows with op ``=~`` are the loadings.
    """
    _draw.require_columns(estimates, ["lhs", "op", "rhs", "std_all"], "CFA estimates")
    loads = estimates[estimates["op"] == "=~"]
    if loads.empty:
        raise ValueError("CFA estimates: no loadings (op '=~')")
    constructs = list(dict.fromkeys(loads["lhs"]))
    counts = [int((loads["lhs"] == c).sum()) for c in constructs]
    cut = _balanced_split(counts) if len(constructs) > 1 else 1
    columns = [constructs[:cut], constructs[cut:]] if len(constructs) > 1 else [constructs]
    low = min(0.0, float(loads["std_all"].min()) - 0.05)
    with figure_style(lang) as st:
        rows_max = max(sum(counts[constructs.index(c)] for c in col) for col in columns)
        fig = new_figure("double", 2.0 + 0.36 * rows_max + 0.5 * max(map(len, columns)))
        subfigs = fig.subfigures(1, len(columns), squeeze=False)[0]
        for sub, col in zip(subfigs, columns, strict=True):
            ratios = [counts[constructs.index(c)] + 0.8 for c in col]
            axes = sub.subplots(
                len(col), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios}
            )[:, 0]
            for ax, construct in zip(axes, col, strict=True):
                part = loads[loads["lhs"] == construct]
                ys = np.arange(len(part))
                values = part["std_all"].to_numpy(dtype=float)
                ax.hlines(ys, 0, values, color=st.muted, linewidth=st.line_width)
                ax.plot(values, ys, "o", color=st.positive, markersize=3)
                for y, v in zip(ys, values, strict=True):
                    ax.text(v + 0.02, y, fmt(v), va="center", fontsize=st.small_size - 0.5)
                ax.axvline(threshold, color=st.negative, linewidth=st.line_width, linestyle="--")
                ax.set_yticks(ys, part["rhs"].astype(str).tolist())
                ax.set_ylim(len(part) - 0.4, -0.6)
                ax.tick_params(axis="y", length=0)
                ax.set_title(
                    _with_code(term_label(construct, labels, lang), construct, lang),
                    fontsize=st.font_size,
                    pad=2,
                )
            axes[-1].set_xlim(low, 1.08)
            axes[-1].set_xlabel(_t("loading", lang))
    return fig


# --------------------------------------------------------------------------- (e) SEM paths


def sem_path_diagram(
    coefficients: pd.DataFrame,
    *,
    labels: LabelMap = None,
    lang: str = "zh",
    alpha: float = 0.05,
    positions: Mapping[str, tuple[float, float]] | None = None,
) -> Figure:
    """Path diagram of the structural model with standardized estimates.

    Parameters
    ----------
    coefficients : SEM path rows (rows with ``kind == "sem"`` are used when a kind column is
        present): equation (outcome), term (predictor), std, p.
    alpha : paths with p ≥ alpha are drawn dashed and grey.
    positions : node → (x, y) in diagram units (x 0–1 left to right, 0.1 between stacked
        predictors). Default: the hand layout of the study's model
        (`jianfu.figures._layout.MAIN_MODEL_POSITIONS`) when it covers every node, else an
        automatic layered layout.

    Blue arrows are positive, vermilion negative, grey dashed not significant (the legend
    says so); edge labels are β with significance marks. Arrows run from box edge to box edge
    and bend around boxes in their way; each label sits on a stretch of its own arrow where
    it overlaps no box and no other label (measured with the renderer's text extents,
    `jianfu.figures._layout.place_on_paths`). Interaction terms are named by their factors'
    labels (``形式主义负担×容错纠错机制``).
    """
    rows = coefficients
    if "kind" in rows.columns:
        rows = rows[rows["kind"] == "sem"]
    _draw.require_columns(rows, ["equation", "term", "std", "p"], "SEM paths")
    edges = [(str(r.term), str(r.equation)) for r in rows.itertuples(index=False)]
    pos = _layout.positions_for(edges, positions)
    outcomes = {t for _, t in edges}
    indegree = {n: sum(t == n for _, t in edges) for n in pos}
    with figure_style(lang) as st:
        texts = {
            n: _draw.wrap(term_label(n, labels, lang), lang, 12 if lang == "zh" else 26)
            for n in pos
        }
        sizes = {n: _layout.text_size_cm(texts[n], st.small_size) for n in pos}
        sizes = {n: (w + 0.25, h + 0.2) for n, (w, h) in sizes.items()}  # box padding
        width_cm, height_cm = 0.98 * st.double_cm, 11.0 if lang == "zh" else 13.0
        legend_cm = 1.3
        xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
        left = max(sizes[n][0] for n in pos if pos[n][0] == min(xs)) / 2 + 0.1
        right = max(sizes[n][0] for n in pos if pos[n][0] == max(xs)) / 2 + 0.1
        cm_per_x = (width_cm - left - right) / (max(xs) - min(xs) or 1)
        xlim = (min(xs) - left / cm_per_x, max(xs) + right / cm_per_x)
        ylim = (min(ys) - 0.08, max(ys) + 0.08)
        fig = new_figure("double", height_cm + legend_cm, layout=None)
        bottom = legend_cm / (height_cm + legend_cm)
        ax = fig.add_axes((0.01, bottom, 0.98, 0.99 - bottom))
        ax.set_axis_off()
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        boxes = {
            n: _draw.box(
                ax,
                *pos[n],
                texts[n],
                size=st.small_size,
                face=st.box_face if n in outcomes else "white",
            )
            for n in pos
        }
        renderer = fig.canvas.get_renderer()
        extents = {n: _draw.box_extent(b, renderer) for n, b in boxes.items()}
        centre = {n: tuple(ax.transData.transform(pos[n])) for n in pos}
        pt = fig.dpi / 72  # pixels per point
        paths, label_texts, preferred = [], [], []
        for r in rows.itertuples(index=False):
            s, t = str(r.term), str(r.equation)
            sig = r.p < alpha
            color = (st.positive if r.std >= 0 else st.negative) if sig else st.muted
            others = [extents[n] for n in pos if n not in (s, t)]
            rad = _layout.choose_rad(centre[s], centre[t], others, margin=2 * pt)
            _draw.arrow_between(
                ax, boxes[s], boxes[t], color=color, linestyle="-" if sig else (0, (3, 2)), rad=rad
            )
            points = _layout.arc_points(centre[s], centre[t], rad)
            paths.append(_layout.visible_part(points, extents[s], extents[t]))
            label_texts.append(
                _draw.edge_label(ax, *pos[s], f"{fmt(r.std)}{stars(r.p)}", color=color)
            )
            preferred.append(0.3 if indegree[t] >= 5 else 0.5)
        label_sizes = []
        for text in label_texts:
            bbox = text.get_window_extent(renderer)
            label_sizes.append((bbox.width, bbox.height))
        spots = _layout.place_on_paths(
            paths, label_sizes, list(extents.values()), preferred, pad=1.5 * pt
        )
        to_data = ax.transData.inverted()
        for text, spot in zip(label_texts, spots, strict=True):
            text.set_position(tuple(to_data.transform((spot.x, spot.y))))
        _path_legend(fig, st, lang, alpha)
    return fig


def _path_legend(fig: Figure, st, lang: str, alpha: float) -> None:
    """What the line styles, boxes, numbers and stars of the path diagram mean."""
    a = f"{alpha:g}".lstrip("0") if alpha < 1 else f"{alpha:g}"
    handles = [
        Line2D([], [], color=st.positive, label=_t("path_positive", lang, a=a)),
        Line2D([], [], color=st.negative, label=_t("path_negative", lang, a=a)),
        Line2D([], [], color=st.muted, linestyle=(0, (3, 2)), label=_t("path_ns", lang, a=a)),
        Patch(facecolor=st.box_face, edgecolor="black", linewidth=st.line_width,
              label=_t("endogenous", lang)),
        Patch(facecolor="white", edgecolor="black", linewidth=st.line_width,
              label=_t("exogenous", lang)),
    ]  # fmt: skip
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.3 / (fig.get_figheight() * 2.54)),
        ncols=len(handles),
        handlelength=2.0,
        columnspacing=1.2,
        borderaxespad=0,
    )
    fig.text(
        0.5,
        0.05 / (fig.get_figheight() * 2.54),
        _t("path_note", lang),
        ha="center",
        va="bottom",
        fontsize=st.small_size,
    )


# --------------------------------------------------------------------------- (f) forest plot


def burden_forest(
    coefficients: pd.DataFrame,
    *,
    measures: Sequence[str],
    labels: LabelMap = None,
    lang: str = "zh",
    spec: str = "h1_burden",
    outcome: str = "FB",
) -> Figure:
    """Effects of the measures on formalism burden: OLS (final step) and SEM, side by side.

    Parameters
    ----------
    coefficients : the models stage's tidy coefficients (spec, kind, equation, step, term,
        estimate, ci_low, ci_high, std, std_ci_low, std_ci_high, p).
    measures : the predictors to show, top to bottom (`jianfu.figures.labels.measure_codes`).
    spec : the OLS spec; its last step is used. SEM rows: kind ``sem``, equation `outcome`.

    The two panels have their own scales: OLS b is in answer-scale points per point, SEM β in
    standard deviations. Filled markers: p < .05.
    """
    need = [
        "spec",
        "kind",
        "equation",
        "step",
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "p",
        "std",
        "std_ci_low",
        "std_ci_high",
    ]
    _draw.require_columns(coefficients, need, "coefficients")
    ols = coefficients[(coefficients["spec"] == spec) & (coefficients["kind"] == "ols")]
    if ols.empty:
        raise ValueError(f"forest: no OLS rows of spec {spec!r}")
    ols = ols[ols["step"] == ols["step"].max()].set_index("term")
    sem = coefficients[(coefficients["kind"] == "sem") & (coefficients["equation"] == outcome)]
    sem = sem.set_index("term")
    panels = [
        (ols, ("estimate", "ci_low", "ci_high"), "ols"),
        (sem, ("std", "std_ci_low", "std_ci_high"), "sem"),
    ]
    panels = [p for p in panels if not p[0].empty]
    absent = [m for m in measures if all(m not in p[0].index for p in panels)]
    if absent:
        raise ValueError(f"forest: measures without estimates: {absent}")
    with figure_style(lang) as st:
        fig = new_figure("double", 2.2 + 0.75 * len(measures))
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        ys = np.arange(len(measures))
        for ax, (table, (est, lo, hi), key) in zip(axes, panels, strict=True):
            for y, m in zip(ys, measures, strict=True):
                if m not in table.index:
                    continue
                row = table.loc[m]
                sig = row["p"] < 0.05
                color = st.positive if key == "ols" else st.palette[2]
                ax.hlines(y, row[lo], row[hi], color=color, linewidth=1.0)
                ax.plot(
                    row[est],
                    y,
                    "o",
                    markersize=4,
                    color=color,
                    markerfacecolor=color if sig else "white",
                )
            values = [
                f"{fmt(table.loc[m, est])}{stars(table.loc[m, 'p'])}" if m in table.index else ""
                for m in measures
            ]
            right = ax.secondary_yaxis("right")
            right.set_yticks(ys, values)
            right.tick_params(length=0, labelsize=st.small_size)
            right.spines["right"].set_visible(False)
            ax.axvline(0, color="black", linewidth=st.line_width)
            ax.set_xlabel(_t(key, lang))
            ax.grid(axis="x", color="#E0E0E0")
            ax.set_axisbelow(True)
        width = 10 if lang == "zh" else 26
        axes[0].set_yticks(
            ys, [_draw.wrap(term_label(m, labels, lang), lang, width) for m in measures]
        )
        axes[0].set_ylim(len(measures) - 0.5, -0.7)
        axes[0].tick_params(axis="y", length=0)
        handles = [
            Line2D([], [], marker="o", linestyle="", color="black", label=_t("significant", lang)),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="black",
                markerfacecolor="white",
                label=_t("not_significant", lang),
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig


# --------------------------------------------------------------------------- (g) mediation


def _chains(rows: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(str(e).split(":")[0].strip() for e in rows["equation"]))


def _indirect_name(term: str, chain: list[str], lang: str) -> str:
    inner = term[term.index("[") + 1 : term.rindex("]")]
    if inner == "total":
        return _t("total_indirect", lang)
    return "→".join([chain[0], *inner.split("->"), chain[-1]])


def mediation_diagram(
    coefficients: pd.DataFrame,
    effects: pd.DataFrame,
    *,
    spec: str,
    x: str | Sequence[str] | None = None,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Mediation path diagrams (PROCESS model 4 or 6) with bootstrap indirect effects.

    Parameters
    ----------
    coefficients : PROCESS coefficient rows of `spec`: equation (``"X→M→Y: M"``,
        ``"X→M→Y: Y"``, ``"X→M→Y: Y (total)"``), term, estimate, p.
    effects : effect rows of `spec`: equation (``"X→M→Y"``), term (``ind[M]``, ``ind[M1->M2]``,
        ``ind[total]``), estimate, ci_low, ci_high.
    x : which X (one panel each; default every X of the spec).

    Paths carry unstandardized OLS coefficients with significance marks; the direct effect is
    c′ with the total effect c in brackets; indirect effects are listed with their CIs.
    """
    _draw.require_columns(
        coefficients, ["spec", "equation", "term", "estimate", "p"], "coefficients"
    )
    _draw.require_columns(
        effects, ["spec", "equation", "term", "estimate", "ci_low", "ci_high"], "effects"
    )
    coefs = coefficients[coefficients["spec"] == spec]
    effs = effects[effects["spec"] == spec]
    if coefs.empty:
        raise ValueError(f"mediation: no coefficient rows of spec {spec!r}")
    chains = _chains(coefs)
    if x is not None:
        wanted = [x] if isinstance(x, str) else list(x)
        chains = [c for c in chains if c.split("→")[0] in wanted]
        if not chains:
            raise ValueError(f"mediation: spec {spec!r} has no X among {wanted}")
    ncols = 1 if len(chains) == 1 else 2
    nrows = -(-len(chains) // ncols)
    with figure_style(lang) as st:
        panel = ((st.single_cm if ncols == 1 else st.double_cm) / ncols, 5.8)
        fig = new_figure("single" if ncols == 1 else "double", panel[1] * nrows, layout=None)
        for k, chain in enumerate(chains):
            ax = fig.add_axes(
                ((k % ncols) / ncols, 1 - (k // ncols + 1) / nrows, 1 / ncols, 1 / nrows)
            )
            _mediation_panel(ax, coefs, effs, chain, labels, lang, st, panel)
    return fig


def _mediation_panel(
    ax, coefs, effs, chain: str, labels, lang, st, size_cm: tuple[float, float]
) -> None:
    nodes = chain.split("→")
    xname, yname, mediators = nodes[0], nodes[-1], nodes[1:-1]
    ax.set_axis_off()
    xlim, ylim = (-0.16, 1.16), (-1.05, 0.85)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    frame = _layout.Frame(size_cm[0] / (xlim[1] - xlim[0]), size_cm[1] / (ylim[1] - ylim[0]))
    pos = {xname: (0.0, 0.0), yname: (1.0, 0.0)}
    for i, m in enumerate(mediators):
        pos[m] = (0.5 if len(mediators) == 1 else 0.22 + 0.56 * i / (len(mediators) - 1), 0.55)
    texts = {
        n: f"{_draw.wrap(term_label(n, labels, lang), lang, 9 if lang == 'zh' else 16)}\n({n})"
        for n in nodes
    }
    boxes = {
        n: _draw.box(ax, *pos[n], texts[n], size=st.small_size, face=st.box_face) for n in nodes
    }
    obstacles = []
    for n in nodes:
        w, h = _layout.text_size_cm(texts[n], st.small_size)
        obstacles.append((pos[n], (w + 0.25, h + 0.2)))
    rows = coefs[coefs["equation"].astype(str).str.startswith(f"{chain}:")]
    total = rows[rows["equation"].str.endswith("(total)") & (rows["term"] == xname)]
    segments, colors = [], []
    for r in rows[~rows["equation"].str.endswith("(total)")].itertuples(index=False):
        outcome = str(r.equation).split(":")[1].strip()
        if r.term not in pos or outcome not in pos:
            continue
        color = "black" if r.p < 0.05 else st.muted
        _draw.arrow_between(
            ax,
            boxes[r.term],
            boxes[outcome],
            color=color,
            linestyle="-" if r.p < 0.05 else (0, (3, 2)),
        )
        text = f"{fmt(r.estimate)}{stars(r.p)}"
        if r.term == xname and outcome == yname:
            if not total.empty:
                c = total.iloc[0]
                text = _with_code(f"c′ = {text}", f"c = {fmt(c['estimate'])}{stars(c['p'])}", lang)
            _draw.edge_label(ax, 0.5, -0.13, text, color=color)
            w, h = _layout.text_size_cm(text, st.small_size)
            obstacles.append(((0.5, -0.13), (w, h)))
            continue
        segments.append((pos[r.term], pos[outcome], text, 0.5))
        colors.append(color)
    for (x, y), (_, _, text, _), color in zip(
        _layout.place_labels(segments, obstacles, frame, st.small_size),
        segments,
        colors,
        strict=True,
    ):
        _draw.edge_label(ax, x, y, text, color=color)
    sep = "：" if lang == "zh" else ": "
    lines = [_t("indirect", lang)]
    for r in effs[effs["equation"] == chain].itertuples(index=False):
        if not str(r.term).startswith("ind["):
            continue
        lines.append(
            f"{_indirect_name(str(r.term), nodes, lang)}{sep}{fmt(r.estimate, 3)} "
            f"{_draw.ci_text(r.ci_low, r.ci_high, 3)}"
        )
    ax.text(
        0.5, -0.3, "\n".join(lines), ha="center", va="top", fontsize=st.small_size, linespacing=1.35
    )


# --------------------------------------------------------------------------- (h) moderation


def moderation_plot(
    coefficients: pd.DataFrame,
    effects: pd.DataFrame,
    *,
    spec: str,
    x_range: tuple[float, float],
    w_range: tuple[float, float] | None = None,
    covariate_means: Mapping[str, float] | None = None,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """Simple slopes (left) and the Johnson–Neyman plot (right) of a PROCESS model 1 spec.

    Parameters
    ----------
    coefficients : the spec's coefficient rows: term in const, X, W, ``X:W`` (+ covariates),
        estimate, se.
    effects : the spec's conditional effects ``X|W=-1 SD`` … (estimate, se, ci_low, ci_high) and
        Johnson–Neyman points ``JN point k (W)`` (estimate = the value of W).
    x_range : the X values to draw the simple slopes over (e.g. the answer scale, 1–5).
    w_range : the W values of the Johnson–Neyman plot (default mean ± 2 SD of W, widened to show
        every JN point).
    covariate_means : values at which covariates are held for the predicted lines (required when
        the model has covariates).

    The conditional-effect curve θ(W) = b_X + b_XW·W and its t band are recomputed from the
    coefficient table (see `jianfu.figures._moderation`); the probed effects are drawn on top
    as a check.
    """
    fit = _moderation.recover(coefficients, effects, spec, covariate_means)
    lo_w, hi_w = w_range if w_range is not None else fit.default_w_range()
    with figure_style(lang) as st:
        fig = new_figure("double", 7.0)
        left, right = fig.subplots(1, 2)
        xs = np.linspace(*x_range, 50)
        styles = ["--", "-", ":"]
        for (name, w), ls, color in zip(fit.probes_sd(), styles, st.palette, strict=False):
            shown = name.replace("-", _draw.MINUS).replace("mean", _t("mean", lang))
            probe = _with_code(shown, fmt(w), lang)
            left.plot(xs, fit.predict(xs, w), ls, color=color, label=f"{fit.w} = {probe}")
        left.set_xlabel(_with_code(term_label(fit.x, labels, lang), fit.x, lang))
        left.set_ylabel(_with_code(term_label(fit.y, labels, lang), fit.y, lang))
        left.legend(loc="best")
        ws = (
            np.linspace(min(lo_w, *fit.jn), max(hi_w, *fit.jn), 400)
            if fit.jn
            else np.linspace(lo_w, hi_w, 400)
        )
        theta, low, high, sig = fit.band(ws)
        for a, b in _draw.significant_segments(sig, ws):
            right.axvspan(a, b, color=st.positive, alpha=0.08, linewidth=0)
        right.fill_between(ws, low, high, color=st.positive, alpha=0.25, linewidth=0)
        right.plot(ws, theta, color=st.positive)
        right.axhline(0, color="black", linewidth=st.line_width)
        probes = fit.probes[fit.probes["label"].isin([name for name, _ in fit.probes_sd()])]
        right.errorbar(
            probes["w"],
            probes["estimate"],
            yerr=[probes["estimate"] - probes["ci_low"], probes["ci_high"] - probes["estimate"]],
            fmt="o",
            color="black",
            markersize=2.5,
            linewidth=0.8,
            capsize=1.5,
        )
        for point in fit.jn:
            right.axvline(point, color=st.negative, linestyle="--", linewidth=st.line_width)
            right.annotate(
                _t("jn_point", lang, w=term_label(fit.w, labels, lang), value=fmt(point)),
                (point, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=st.small_size,
                color=st.negative,
            )
        right.set_xlabel(_with_code(term_label(fit.w, labels, lang), fit.w, lang))
        right.set_ylabel(_t("conditional_effect", lang, x=fit.x, y=fit.y))
    return fig


# --------------------------------------------------------------------------- (i) recovery


def recovery_plot(recovery: pd.DataFrame, *, labels: LabelMap = None, lang: str = "zh") -> Figure:
    """Estimates against the simulation's true values, one panel per family of estimands.

    Parameters
    ----------
    recovery : one row per estimand: family, equation, term, truth, estimate, ci_low, ci_high,
        covered (``reports/recovery/survey/survey_recovery.csv``).

    Points on the diagonal are recovered exactly; vermilion points' CIs miss the truth and are
    labelled ``outcome ← predictor``.
    """
    need = ["family", "equation", "term", "truth", "estimate", "ci_low", "ci_high", "covered"]
    _draw.require_columns(recovery, need, "recovery")
    families = list(dict.fromkeys(recovery["family"].astype(str)))
    with figure_style(lang) as st:
        fig = new_figure("double", 8.5)
        axes = fig.subplots(1, len(families), squeeze=False)[0]
        for ax, family in zip(axes, families, strict=True):
            part = recovery[recovery["family"] == family]
            covered = part["covered"].astype(bool).to_numpy()
            for mask, color, key in (
                (covered, st.positive, "covered"),
                (~covered, st.negative, "missed"),
            ):
                sub = part[mask]
                if sub.empty:
                    continue
                ax.errorbar(
                    sub["truth"],
                    sub["estimate"],
                    yerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                    fmt="o",
                    color=color,
                    markersize=2.5,
                    linewidth=0.7,
                    capsize=0,
                    label=_t(key, lang),
                )
            for r in part[~covered].itertuples(index=False):
                ax.annotate(
                    f"{term_label(r.equation, labels, lang)} ← {term_label(r.term, labels, lang)}",
                    (r.truth, r.estimate),
                    xytext=(4, -6),
                    textcoords="offset points",
                    fontsize=st.small_size - 0.5,
                    color=st.negative,
                )
            values = part[["truth", "ci_low", "ci_high"]].to_numpy(dtype=float)
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            pad = 0.06 * (hi - lo or 1)
            ax.plot(
                [lo - pad, hi + pad],
                [lo - pad, hi + pad],
                color=st.muted,
                linewidth=st.line_width,
                zorder=0,
            )
            ax.set_xlim(lo - pad, hi + pad)
            ax.set_ylim(lo - pad, hi + pad)
            ax.set_aspect("equal")
            ax.set_title(localize(FAMILY_LABELS.get(family, {"zh": family, "en": family}), lang))
            ax.text(
                0.03,
                0.97,
                _t("coverage", lang, k=int(covered.sum()), n=len(part)),
                transform=ax.transAxes,
                va="top",
                fontsize=st.small_size,
            )
            ax.set_xlabel(_t("truth", lang))
            ax.set_ylabel(_t("estimate", lang))
        handles, names = axes[0].get_legend_handles_labels()
        for ax in axes[1:]:
            for h, n in zip(*ax.get_legend_handles_labels(), strict=True):
                if n not in names:
                    handles.append(h)
                    names.append(n)
        fig.legend(handles, names, loc="outside lower center", ncols=2)
    return fig
