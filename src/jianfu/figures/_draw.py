"""Drawing and formatting helpers shared by the figure functions (boxes, arrows, numbers)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from jianfu.figures.style import current_style, localize

MINUS = "\N{MINUS SIGN}"
TIMES = "\N{MULTIPLICATION SIGN}"


def fmt(value: float, digits: int = 2) -> str:
    """A number with a typographic minus sign (matching matplotlib's tick labels)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace("-", MINUS)


def fmt_n(n: int, lang: str) -> str:
    """A count: thousands separator in English only (Chinese journals write 2142)."""
    return f"{int(n):,}" if lang == "en" else f"{int(n)}"


def stars(p: float) -> str:
    """Significance marks: * p < .05, ** p < .01, *** p < .001."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def ci_text(low: float, high: float, digits: int = 2) -> str:
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def wrap(text: str, lang: str, width: int | None = None) -> str:
    """Wrap a label: by characters in Chinese (default 8), by words in English (default 22).

    An interaction's label (``A × B`` / ``A×B``) that does not fit breaks before the ×, so that
    each factor stays whole where it fits.
    """
    if lang == "zh":
        width = width or 8
        if len(text) <= width:
            return text
        if TIMES in text:
            return f"\n{TIMES}".join(wrap(part, lang, width) for part in text.split(TIMES))
        return "\n".join(text[i : i + width] for i in range(0, len(text), width))
    width = width or 22
    if f" {TIMES} " in text and len(text) > width:
        return f"\n{TIMES} ".join(wrap(part, lang, width) for part in text.split(f" {TIMES} "))
    return "\n".join(textwrap.wrap(text, width)) or text


def term_label(code: str, labels: Mapping[str, Any] | None, lang: str) -> str:
    """A variable's label in `lang`, else its code.

    Interactions (``A:B``, ``A_x_B``) join their factors' labels: ``形式主义负担×容错纠错机制``,
    ``Formalism burden × Fault tolerance``.
    """
    for sep in (":", "_x_"):
        if sep in code:
            joint = TIMES if lang == "zh" else f" {TIMES} "
            return joint.join(term_label(part, labels, lang) for part in code.split(sep))
    if labels and code in labels:
        return localize(labels[code], lang)
    return code


def require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing} (has {list(frame.columns)})")
    if frame.empty:
        raise ValueError(f"{what}: no rows")


def box(
    ax,
    x: float,
    y: float,
    text: str,
    *,
    size: float | None = None,
    ha: str = "center",
    face: str | None = None,
    edge: str = "black",
    pad: float = 0.35,
    **kwargs: Any,
):
    """A text in a rectangular box at data coordinates (x, y)."""
    style = current_style()
    return ax.text(
        x,
        y,
        text,
        ha=ha,
        va="center",
        fontsize=size or style.font_size,
        bbox={
            "boxstyle": f"square,pad={pad}",
            "facecolor": face or "white",
            "edgecolor": edge,
            "linewidth": style.line_width,
        },
        zorder=3,
        **kwargs,
    )


def arrow_between(
    ax,
    source,
    target,
    *,
    color: str = "black",
    linestyle: str = "-",
    linewidth: float | None = None,
    rad: float = 0.0,
):
    """An arrow from the box of text `source` to the box of text `target` (clipped to both)."""
    style = current_style()
    return ax.annotate(
        "",
        xy=target.get_position(),
        xytext=source.get_position(),
        arrowprops={
            "arrowstyle": "-|>,head_length=0.35,head_width=0.18",
            "color": color,
            "linestyle": linestyle,
            "linewidth": linewidth or style.line_width * 1.3,
            "patchA": source.get_bbox_patch(),
            "patchB": target.get_bbox_patch(),
            "shrinkA": 1.5,
            "shrinkB": 1.5,
            "connectionstyle": f"arc3,rad={rad}",
        },
        zorder=4,  # after the boxes, whose frames are placed when they are drawn
    )


def edge_label(
    ax, x: float, y: float, text: str, *, color: str = "black", size: float | None = None
):
    """A small label with a white background, drawn over lines."""
    style = current_style()
    return ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=size or style.small_size,
        color=color,
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        zorder=5,
    )


def significant_segments(mask: np.ndarray, grid: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of True in `mask`, as (start, end) values of `grid`."""
    runs, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            runs.append((float(grid[start]), float(grid[i - 1])))
            start = None
    if start is not None:
        runs.append((float(grid[start]), float(grid[-1])))
    return runs


def box_extent(text, renderer) -> tuple[float, float, float, float]:
    """The drawn frame of a boxed text (`box`) in display pixels: x0, y0, x1, y1."""
    text.update_bbox_position_size(renderer)
    bbox = text.get_bbox_patch().get_window_extent(renderer)
    return (bbox.x0, bbox.y0, bbox.x1, bbox.y1)
