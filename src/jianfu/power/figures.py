"""Power curves: power against the true effect size, one panel per estimand, a line per design.

House style (`jianfu.figures.style`): Okabe–Ito colours, zh / en labels; the error bars are
±1.96 Monte Carlo SEs of the simulated power; dashed lines mark 80 % power and alpha.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from jianfu.figures.style import check_lang, figure_style, localize, new_figure
from jianfu.power.simulate import ESTIMAND_LABELS, ESTIMANDS

TEXT = {
    "power": {"zh": "统计检验力", "en": "Power"},
    "effect": {"zh": "真实效应量（标准差单位）", "en": "True effect (SD units)"},
    "design": {
        "zh": "抽样设计（区县×乡镇×干部，月数）",
        "en": "Design (districts×townships×cadres, months)",
    },
    "target": {"zh": "80% 检验力", "en": "80% power"},
}


def power_curves(summary: pd.DataFrame, lang: str = "zh", *, alpha: float = 0.05) -> Figure:
    """Figure of power curves from `jianfu.power.study.describe`'s frame.

    Needs the columns ``estimand, design, truth, power, power_mcse`` and the design labels
    ``design_label`` (en) / ``design_label_zh``.
    """
    check_lang(lang)
    label_col = "design_label_zh" if lang == "zh" else "design_label"
    estimands = [e for e in ESTIMANDS if e in set(summary["estimand"])]
    with figure_style(lang) as style:
        fig = new_figure("double", 6.2)
        axes = fig.subplots(1, max(1, len(estimands)), sharey=True, squeeze=False)[0]
        designs = sorted(summary["design"].unique())
        for ax, estimand in zip(axes, estimands, strict=False):
            rows = summary[summary["estimand"] == estimand]
            for k, d in enumerate(designs):
                g = rows[rows["design"] == d].sort_values("truth")
                if not len(g):
                    continue
                x = g["truth"].to_numpy(float)
                y = g["power"].to_numpy(float)
                half = 1.96 * g["power_mcse"].to_numpy(float)
                err = np.vstack([np.minimum(half, y), np.minimum(half, 1 - y)])  # inside [0, 1]
                color = style.palette[k % len(style.palette)]
                ax.errorbar(
                    x,
                    y,
                    yerr=err,
                    color=color,
                    marker="o",
                    markersize=2.5,
                    capsize=1.5,
                    elinewidth=style.line_width,
                    label=str(g[label_col].iloc[0]),
                )
            ax.axhline(0.8, color=style.muted, linestyle="--", linewidth=style.line_width)
            ax.axhline(alpha, color=style.muted, linestyle=":", linewidth=style.line_width)
            ax.set_ylim(-0.02, 1.02)
            ax.set_yticks(np.linspace(0, 1, 6))
            ax.set_title(localize(ESTIMAND_LABELS[estimand], lang))
            ax.set_xlabel(localize(TEXT["effect"], lang))
        axes[0].set_ylabel(localize(TEXT["power"], lang))
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncol=min(len(handles), 4),
                title=localize(TEXT["design"], lang),
            )
    return fig
