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


# ------------------------------------------------------------------ routing in display space
#
# The path diagram places its arrows and labels with the renderer's own text extents (pixels
# of the figure as drawn), not with estimated text sizes: a label then provably overlaps no
# box and no other label (the test checks the drawn figure the same way).

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels

#: Curvatures tried for an arrow whose straight line would cross another node's box
#: (matplotlib's ``arc3`` connection style: the control point's offset over the chord length).
RADS: tuple[float, ...] = (0.0, 0.12, -0.12, 0.22, -0.22, 0.32, -0.32)


def arc_points(p0: Pos, p1: Pos, rad: float, n: int = 41) -> np.ndarray:
    """Points of matplotlib's ``arc3,rad=…`` path from `p0` to `p1` (display coordinates).

    ``arc3`` is the quadratic Bézier curve whose control point sits at the chord's midpoint
    moved by ``rad`` times the chord, perpendicularly (to the right of the direction p0 → p1
    for rad > 0, as matplotlib's ``ConnectionStyle.Arc3`` does).
    """
    (x0, y0), (x1, y1) = p0, p1
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, c, b = np.array([x0, y0]), np.array([cx, cy]), np.array([x1, y1])
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b


def inside(points: np.ndarray, box: Box, margin: float = 0.0) -> np.ndarray:
    """Which of `points` lie inside `box` grown by `margin` pixels."""
    x0, y0, x1, y1 = box
    return (
        (points[:, 0] > x0 - margin)
        & (points[:, 0] < x1 + margin)
        & (points[:, 1] > y0 - margin)
        & (points[:, 1] < y1 + margin)
    )


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def choose_rad(p0: Pos, p1: Pos, others: Sequence[Box], margin: float) -> float:
    """The first curvature of `RADS` whose arrow keeps `margin` pixels off every box of
    `others` (the nodes other than its ends); the least-crossing one when none does."""
    best, best_hits = RADS[0], None
    for rad in RADS:
        points = arc_points(p0, p1, rad)
        hits = sum(int(inside(points, box, margin).sum()) for box in others)
        if best_hits is None or hits < best_hits:
            best, best_hits = rad, hits
        if hits == 0:
            break
    return best


def visible_part(points: np.ndarray, start: Box, end: Box) -> np.ndarray:
    """The stretch of an arrow's path between its two boxes (the part a label can sit on)."""
    outside = ~inside(points, start) & ~inside(points, end)
    keep = points[outside]
    return keep if len(keep) >= 2 else points


@dataclass(frozen=True)
class LabelSpot:
    """Where an edge label goes: its centre (display pixels) and its box there."""

    x: float
    y: float
    box: Box
    crossings: int


def place_on_paths(
    paths: Sequence[np.ndarray],
    sizes: Sequence[tuple[float, float]],
    obstacles: Sequence[Box],
    preferred: Sequence[float],
    pad: float,
) -> list[LabelSpot]:
    """A spot for each path's label on a free stretch of its path.

    `paths` are the visible parts of the arrows (display points), `sizes` the labels' drawn
    width and height in pixels, `obstacles` the node boxes. A label's box (grown by `pad`) must
    not overlap any obstacle or label placed before; among the free spots the one crossing the
    fewest other arrows, then nearest its `preferred` fraction of the path, wins. Where the path
    has no free spot, spots beside it (offset by the label's height) are tried too; failing that
    the spot with the fewest overlaps is taken. Labels of short paths are placed first (they
    have the fewest choices); the result is in the order of `paths`.
    """
    fractions = np.round(np.arange(0.12, 0.885, 0.02), 2)
    order = sorted(range(len(paths)), key=lambda i: (_length(paths[i]), i))
    taken: list[Box] = []
    spots: dict[int, LabelSpot] = {}
    for i in order:
        w, h = sizes[i]
        others = [p for j, p in enumerate(paths) if j != i]
        best, best_key = None, None
        for shift in (0.0, 1.0, -1.0):
            for t in fractions:
                x, y, normal = _point_at(paths[i], float(t))
                cx, cy = x + shift * (h + pad) * normal[0], y + shift * (h + pad) * normal[1]
                box = (cx - w / 2 - pad, cy - h / 2 - pad, cx + w / 2 + pad, cy + h / 2 + pad)
                hard = sum(boxes_overlap(box, o) for o in (*obstacles, *taken))
                crossings = sum(bool(inside(p, box).any()) for p in others)
                key = (hard, abs(shift), crossings, abs(float(t) - preferred[i]))
                if best_key is None or key < best_key:
                    best, best_key = LabelSpot(cx, cy, box, crossings), key
            if best_key is not None and best_key[0] == 0:
                break
        assert best is not None
        taken.append(best.box)
        spots[i] = best
    return [spots[i] for i in range(len(paths))]


def _length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum())


def _point_at(points: np.ndarray, t: float) -> tuple[float, float, tuple[float, float]]:
    """The point at fraction `t` of the path's length and the unit normal there."""
    steps = np.hypot(*np.diff(points, axis=0).T)
    run = np.concatenate([[0.0], np.cumsum(steps)])
    target = t * run[-1]
    k = int(np.clip(np.searchsorted(run, target) - 1, 0, len(steps) - 1))
    f = (target - run[k]) / steps[k] if steps[k] else 0.0
    p = points[k] + f * (points[k + 1] - points[k])
    dx, dy = points[k + 1] - points[k]
    norm = float(np.hypot(dx, dy)) or 1.0
    return float(p[0]), float(p[1]), (-dy / norm, dx / norm)
