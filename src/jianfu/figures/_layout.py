"""Layout of path diagrams: node positions and edge-label placement without overlaps.

Positions are in "diagram units": x from 0 (left column) to 1 (right column), y upwards with
0.1 between neighbouring predictors. `auto_layout` is a small layered (Sugiyama-style) layout;
`MAIN_MODEL_POSITIONS` is a hand layout of the study's structural model (``params.yaml``
``models.specs.sem``), used by `jianfu.figures.survey.sem_path_diagram` whenever it covers
every node of the model it is given.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Pos = tuple[float, float]

#: Hand layout of the structural model: measures and moderators left, FB, then EE above and WE
#: below (EE → WE vertical), SO right; FT and AS, which also point further right, at the ends of
#: the left column so that their long arrows pass outside the others.
MAIN_MODEL_POSITIONS: dict[str, Pos] = {
    "FT": (0.0, 0.55),
    "PV": (0.0, 0.35),
    "RL": (0.0, 0.25),
    "DM": (0.0, 0.15),
    "DE": (0.0, 0.05),
    "FC": (0.0, -0.05),
    "DL": (0.0, -0.15),
    "workload": (0.0, -0.25),
    "DE_x_DL": (0.0, -0.35),
    "AS": (0.0, -0.55),
    "FB": (0.3, 0.0),
    "FB_x_FT": (0.34, 0.34),
    "PSM": (0.47, 0.1),
    "EE": (0.66, 0.42),
    "WE": (0.66, -0.42),
    "SO": (1.0, 0.0),
}


def layers(edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Column of every node: outcomes after their outcome predictors; others before targets."""
    outcomes = list(dict.fromkeys(t for _, t in edges))
    layer = dict.fromkeys(outcomes, 1)
    for _ in range(len(outcomes)):
        for s, t in edges:
            if s in layer:
                layer[t] = max(layer[t], layer[s] + 1)
    for s, t in edges:
        if s not in outcomes:
            layer[s] = min(layer.get(s, 10**6), layer[t] - 1)
    return layer


def _spread(ys: dict[str, float], gap: float, fixed: set[str]) -> dict[str, float]:
    """Push apart nodes of one column closer than `gap` (order kept; `fixed` nodes stay put)."""
    order = sorted(ys, key=lambda n: ys[n])
    out = dict(ys)
    for _ in range(200):
        moved = False
        for a, b in itertools.pairwise(order):
            deficit = gap - (out[b] - out[a])
            if deficit <= 1e-9 or (a in fixed and b in fixed):
                continue
            share_a = 0.0 if a in fixed else 1.0 if b in fixed else 0.5
            out[a] -= deficit * share_a
            out[b] += deficit * (1 - share_a)
            moved = True
        if not moved:
            break
    return out


def auto_layout(edges: Sequence[tuple[str, str]]) -> dict[str, Pos]:
    """Positions from `layers`: y from the neighbours' positions.

    Column 0 keeps the model's order, except that predictors which also point to outcomes
    further right go to the top or bottom of the column (towards those outcomes). An outcome sits
    at the mean height of its predictors, shifted up and down alternately by column so that a
    chain of outcomes is no straight line; predictors placed in later columns sit at the mean
    height of their outcomes. Overlapping nodes of a column are then pushed apart.
    """
    layer = layers(edges)
    gap = 0.1
    ncol = max(layer.values()) + 1
    nodes = list(dict.fromkeys(n for e in edges for n in e))
    outcomes = [n for n in nodes if any(t == n for _, t in edges)]
    last = max(layer[n] for n in outcomes)
    first = [n for n in nodes if layer[n] == 0]
    y: dict[str, float] = {}
    for sweep in range(2):
        if sweep:
            far = {n: [y[t] for s, t in edges if s == n and layer[t] > 1] for n in first}
            top = [n for n in first if far[n] and np.mean(far[n]) >= 0]
            bottom = [n for n in first if far[n] and np.mean(far[n]) < 0]
            first = top + [n for n in first if not far[n]] + bottom
        y = {n: (len(first) - 1) / 2 * gap - i * gap for i, n in enumerate(first)}
        for n in sorted(outcomes, key=lambda o: layer[o]):
            preds = [y[s] for s, t in edges if t == n and s in y]
            shift = 0.0 if layer[n] in (1, last) else (0.22 if layer[n] % 2 == 0 else -0.22)
            y[n] = (float(np.mean(preds)) if preds else 0.0) + shift
        for n in nodes:
            if n not in y:
                y[n] = float(np.mean([y[t] for s, t in edges if s == n]))
    for c in range(1, ncol):
        column = {n: y[n] for n in nodes if layer[n] == c}
        y.update(_spread(column, 1.3 * gap, fixed=set(outcomes) & set(column)))
    return {n: (layer[n] / max(ncol - 1, 1), y[n]) for n in nodes}


@dataclass(frozen=True)
class Frame:
    """How diagram units map to centimetres on the page (for overlap tests)."""

    cm_per_x: float
    cm_per_y: float


def text_size_cm(text: str, size_pt: float) -> tuple[float, float]:
    """Approximate width and height of a text in cm (CJK characters 1 em, others 0.55 em)."""
    em = size_pt / 72 * 2.54
    lines = text.split("\n")
    width = max(sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in line) for line in lines) * em
    return width, len(lines) * em * 1.25


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Rectangles (centre x, centre y, half width, half height) in cm overlap."""
    return abs(a[0] - b[0]) < a[2] + b[2] and abs(a[1] - b[1]) < a[3] + b[3]


def place_labels(
    segments: Sequence[tuple[Pos, Pos, str, float]],
    obstacles: Sequence[tuple[Pos, tuple[float, float]]],
    frame: Frame,
    size_pt: float,
) -> list[Pos]:
    """Where to put each edge label along its segment, avoiding other labels and the nodes.

    `segments` are (start, end, text, preferred fraction); `obstacles` are (centre, (width cm,
    height cm)). Fractions are tried from the preferred one outwards; the first position free
    of overlaps wins, else the one with the fewest overlaps.
    """
    taken = [
        (p[0] * frame.cm_per_x, p[1] * frame.cm_per_y, w / 2, h / 2) for p, (w, h) in obstacles
    ]
    out = []
    for (x0, y0), (x1, y1), text, preferred in segments:
        w, h = text_size_cm(text, size_pt)
        candidates = [
            preferred,
            *sorted(np.arange(0.2, 0.81, 0.05), key=lambda t: abs(t - preferred)),
        ]
        best, best_hits = None, None
        for t in candidates:
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            rect = (x * frame.cm_per_x, y * frame.cm_per_y, w / 2 + 0.05, h / 2 + 0.02)
            hits = sum(_overlaps(rect, other) for other in taken)
            if best_hits is None or hits < best_hits:
                best, best_hits = (x, y, rect), hits
            if hits == 0:
                break
        x, y, rect = best  # type: ignore[misc]
        taken.append(rect)
        out.append((float(x), float(y)))
    return out


def positions_for(
    edges: Sequence[tuple[str, str]], given: Mapping[str, Pos] | None = None
) -> dict[str, Pos]:
    """`given` positions if they cover every node, else `MAIN_MODEL_POSITIONS` if that does,
    else `auto_layout`."""
    nodes = list(dict.fromkeys(n for e in edges for n in e))  # ordered: drawing order is output
    if given is not None and not set(nodes) <= set(given):
        raise ValueError(f"positions: no position for {sorted(set(nodes) - set(given))}")
    for candidate in (given, MAIN_MODEL_POSITIONS):
        if candidate is not None and set(nodes) <= set(candidate):
            return {n: (float(candidate[n][0]), float(candidate[n][1])) for n in nodes}
    return auto_layout(edges)
