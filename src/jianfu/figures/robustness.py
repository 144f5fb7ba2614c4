"""Figures of the specification curve (Simonsohn, Simmons & Nelson 2020).

`spec_curve`: one effect's estimates under every specification, sorted, with their CIs (upper
panel), and the choices each specification made beneath them (lower panel); the main
specification is marked. `spec_curve_summary`: for every key effect, the share of
specifications whose estimate has the main estimate's sign and is significant, has that sign
but is not significant, or has the other sign.

Input: the ``spec_curve`` stage's ``reports/robustness/spec_curve.csv`` (family, spec_id, the
choice columns ``spec_<choice>``, effect, kind, x, m, y, estimate, ci_low, ci_high, p, main,
rank) and ``summary.csv``. Effect names: ``FB<-PV`` (path), ``SO<-FB<-PV`` (indirect effect
through FB), ``ATT:<measure>-><outcome>`` (Callaway–Sant'Anna simple ATT).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from jianfu.figures import _draw
from jianfu.figures.policy import MEASURE_LABELS, OUTCOME_LABELS
from jianfu.figures.style import OKABE_ITO, figure_style, localize, new_figure

LabelMap = Mapping[str, Mapping[str, str]] | None

#: Every choice of the grid and its values, zh and en (`jianfu.robustness.choices`).
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "speeder_median_share": {"zh": "过快作答阈值", "en": "Speeder cut-off"},
    "straightliner": {"zh": "直线作答", "en": "Straight-liners"},
    "attention_fail": {"zh": "注意力题未通过", "en": "Failed attention check"},
    "scoring": {"zh": "构念得分", "en": "Scores"},
    "controls": {"zh": "控制变量", "en": "Controls"},
    "estimator": {"zh": "估计方法", "en": "Estimator"},
    "se": {"zh": "标准误", "en": "Standard errors"},
    "cs_control": {"zh": "对照组", "en": "Comparison group"},
    "cs_se": {"zh": "标准误", "en": "Standard errors"},
    "cs_baseline": {"zh": "基期水平条件", "en": "Baseline level"},
    "cs_method": {"zh": "估计量", "en": "Estimator"},
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "remove": {"zh": "剔除", "en": "removed"},
    "keep": {"zh": "保留", "en": "kept"},
    "mean": {"zh": "均值", "en": "means"},
    "factor": {"zh": "因子得分", "en": "factor scores"},
    "background": {"zh": "人口学变量", "en": "background"},
    "none": {"zh": "无", "en": "none"},
    "ols": {"zh": "OLS", "en": "OLS"},
    "mixed": {"zh": "多层模型", "en": "multilevel"},
    "sem": {"zh": "结构方程", "en": "SEM"},
    "cluster": {"zh": "聚类稳健", "en": "clustered"},
    "hc3": {"zh": "HC3", "en": "HC3"},
    "notyet": {"zh": "尚未处理", "en": "not yet treated"},
    "never": {"zh": "从未处理", "en": "never treated"},
    "unit": {"zh": "乡镇层面", "en": "township"},
    "true": {"zh": "是", "en": "yes"},
    "false": {"zh": "否", "en": "no"},
    "dr": {"zh": "双重稳健", "en": "doubly robust"},
    "reg": {"zh": "结果回归", "en": "regression"},
    "ipw": {"zh": "逆概率加权", "en": "IPW"},
}
TEXT = {
    "rank": {"zh": "规格（按估计值排序）", "en": "Specification (sorted by estimate)"},
    "estimate_sd": {"zh": "估计值（标准差单位）", "en": "Estimate (SD units)"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "main": {"zh": "主分析规格", "en": "Main specification"},
    "sig": {"zh": "显著（p < {a}）", "en": "Significant (p < {a})"},
    "nonsig": {"zh": "不显著", "en": "Not significant"},
    "same_sig": {"zh": "同号且显著", "en": "Same sign, significant"},
    "same": {"zh": "同号、不显著", "en": "Same sign, not significant"},
    "other": {"zh": "异号", "en": "Opposite sign"},
    "share": {"zh": "规格占比", "en": "Share of specifications"},
    "n_specs": {"zh": "{n}个规格", "en": "{n} specifications"},
    "att_units": {"zh": "估计值（结果变量单位）", "en": "Estimate (outcome units)"},
    "not_run": {
        "zh": "无规格曲线结果：{what}\n规格网格中没有能估计该效应的规格（见 status.json）",
        "en": "No specification-curve results: {what}\n"
        "no specification of the grid estimates it (see status.json)",
    },
}


def _t(key: str, lang: str, **kwargs) -> str:
    return localize(TEXT[key], lang).format(**kwargs)


def value_label(value, lang: str) -> str:
    """A choice's value as text: known codes translated, numbers as they are."""
    key = str(value)
    if isinstance(value, bool | np.bool_) or key in ("True", "False"):  # CSV gives "True"
        key = key.lower()
    if key in VALUE_LABELS:
        return localize(VALUE_LABELS[key], lang)
    try:
        return f"{float(key):.3g}"
    except ValueError:
        return key


def effect_label(effect: str, labels: LabelMap, lang: str) -> str:
    """``FB<-PV`` → "PV → FB" in words; ``ATT:m->o`` → "measure → outcome"."""
    if effect.startswith("ATT:"):
        measure, outcome = effect.removeprefix("ATT:").split("->")
        return (
            f"{localize(MEASURE_LABELS.get(measure, {'zh': measure, 'en': measure}), lang)} → "
            f"{localize(OUTCOME_LABELS.get(outcome, {'zh': outcome, 'en': outcome}), lang)}"
        )
    chain = list(reversed(effect.split("<-")))
    return " → ".join(_draw.term_label(c, labels, lang) for c in chain)


#: the spec_curve table's column of a choice
CHOICE_PREFIX = "spec_"


def _varied(rows: pd.DataFrame, choices: Sequence[str]) -> list[str]:
    cols = [(c, CHOICE_PREFIX + c) for c in choices]
    return [c for c, col in cols if col in rows.columns and rows[col].astype(str).nunique() > 1]


def spec_curve(
    table: pd.DataFrame,
    effect: str,
    *,
    choices: Sequence[str],
    alpha: float = 0.05,
    labels: LabelMap = None,
    lang: str = "zh",
) -> Figure:
    """One effect's specification curve: sorted estimates with CIs over the choices made.

    Parameters
    ----------
    table : the spec_curve stage's table (every effect; this one is selected).
    effect : e.g. ``"FB<-DM"``.
    choices : the choices to show beneath, by name (column ``spec_<name>``); those that do not
        vary among the effect's specifications are left out.
    alpha : significance level of the filled markers.
    """
    _draw.require_columns(
        table, ["effect", "estimate", "ci_low", "ci_high", "p", "main", "kind"], "spec_curve"
    )
    rows = table[table["effect"] == effect].sort_values(["estimate", "spec_id"], kind="stable")
    if rows.empty:
        raise ValueError(f"spec_curve: no specifications of effect {effect!r}")
    varied = _varied(rows, choices)
    options = [(c, v) for c in varied for v in sorted(rows[CHOICE_PREFIX + c].astype(str).unique())]
    n = len(rows)
    x = np.arange(1, n + 1)
    with figure_style(lang) as st:
        fig = new_figure("double", 6.0 + 0.42 * len(options))
        top, bottom = fig.subplots(
            2, 1, sharex=True, height_ratios=[6.0, max(0.42 * len(options), 0.8)]
        )
        sig = (rows["p"] < alpha).to_numpy()
        main = rows["main"].astype(bool).to_numpy()
        dark, light = OKABE_ITO["blue"], "#9E9E9E"
        colors = np.where(sig, dark, light)
        top.vlines(x, rows["ci_low"], rows["ci_high"], colors=colors, linewidth=0.6, alpha=0.6)
        top.scatter(x, rows["estimate"], s=6, c=colors, zorder=3, linewidths=0)
        if main.any():
            i = int(np.flatnonzero(main)[0])
            top.scatter(
                x[i], rows["estimate"].iloc[i], s=30, marker="D", zorder=4,
                facecolor=OKABE_ITO["vermillion"], edgecolor="black", linewidths=0.4,
            )  # fmt: skip
        top.axhline(0, color="black", linewidth=st.line_width)
        kind = rows["kind"].iloc[0]
        top.set_ylabel(_t("att_units" if kind == "att" else "estimate_sd", lang))
        top.set_title(
            f"{effect_label(effect, labels, lang)}（{_t('n_specs', lang, n=n)}）"
            if lang == "zh"
            else f"{effect_label(effect, labels, lang)} ({_t('n_specs', lang, n=n)})",
            fontsize=st.title_size,
        )
        top.grid(axis="y", color="#E0E0E0")
        top.set_axisbelow(True)
        for k, (choice, value) in enumerate(options):
            used = (rows[CHOICE_PREFIX + choice].astype(str) == value).to_numpy()
            bottom.scatter(
                x[used], np.full(used.sum(), k), s=5, marker="|", color="black",
                linewidths=0.8,
            )  # fmt: skip
            if main.any() and used[int(np.flatnonzero(main)[0])]:
                bottom.scatter(
                    x[main], [k], s=14, marker="D", color=OKABE_ITO["vermillion"], zorder=3
                )
        bottom.set_yticks(
            range(len(options)),
            [
                f"{localize(CHOICE_LABELS.get(c, {'zh': c, 'en': c}), lang)}: "
                f"{value_label(v, lang)}"
                for c, v in options
            ],
        )
        bottom.set_ylim(max(len(options), 1) - 0.5, -0.5)
        bottom.tick_params(axis="y", length=0)
        for k in range(1, len(options)):
            if options[k][0] != options[k - 1][0]:
                bottom.axhline(k - 0.5, color="#BDBDBD", linewidth=0.4)
        bottom.set_xlabel(_t("rank", lang))
        bottom.set_xlim(0, n + 1)
        handles = [
            Line2D([], [], marker="o", linestyle="", color=dark, label=_t("sig", lang, a=alpha)),
            Line2D([], [], marker="o", linestyle="", color=light, label=_t("nonsig", lang)),
            Line2D(
                [], [], marker="D", linestyle="", markerfacecolor=OKABE_ITO["vermillion"],
                markeredgecolor="black", label=_t("main", lang),
            ),
        ]  # fmt: skip
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


def not_run(what: str, *, lang: str = "zh") -> Figure:
    """A figure that says the grid has not been run (or lacks `what`) and how to run it."""
    with figure_style(lang) as st:
        fig = new_figure("double", 4.0)
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, _t("not_run", lang, what=what), ha="center", va="center",
                fontsize=st.title_size)  # fmt: skip
    return fig


def spec_curve_summary(
    summary: pd.DataFrame, *, labels: LabelMap = None, lang: str = "zh"
) -> Figure:
    """Per effect: shares of specifications with the main sign (significant or not) and not."""
    _draw.require_columns(
        summary,
        ["effect", "kind", "specifications", "share_same_sign", "share_significant_same_sign"],
        "spec_curve_summary",
    )
    if summary.empty:
        raise ValueError("spec_curve_summary: no effects")
    rows = summary.reset_index(drop=True)
    n = len(rows)
    y = np.arange(n)
    with figure_style(lang) as st:
        fig = new_figure("double", 2.2 + 0.5 * n)
        ax = fig.subplots()
        sig = rows["share_significant_same_sign"].to_numpy(float)
        same = rows["share_same_sign"].to_numpy(float) - sig
        other = 1.0 - sig - same
        colors = (OKABE_ITO["blue"], OKABE_ITO["sky_blue"], "#BDBDBD")
        left = np.zeros(n)
        for share, color in zip((sig, same, other), colors, strict=True):
            ax.barh(y, share, left=left, color=color, height=0.7, linewidth=0)
            left += share
        for k, r in rows.iterrows():
            ax.text(
                1.01, k, f"{int(r['specifications'])}", va="center", fontsize=st.small_size,
                transform=ax.get_yaxis_transform(),
            )  # fmt: skip
        ax.set_yticks(y, [effect_label(e, labels, lang) for e in rows["effect"]])
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel(_t("share", lang))
        ax.tick_params(axis="y", length=0)
        for k in range(1, n):
            if rows["kind"].iloc[k] != rows["kind"].iloc[k - 1]:
                ax.axhline(k - 0.5, color="black", linewidth=st.line_width)
        handles = [
            Patch(color=c, label=_t(key, lang))
            for c, key in zip(colors, ("same_sig", "same", "other"), strict=True)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig
