"""House style of the figures: one place for sizes, colours, language and reproducible saving.

- Widths follow common journal columns: single 8.5 cm, double 17.5 cm (`FigureStyle`).
- Colours are colour-blind safe: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
  Design") for categories, ColorBrewer's diverging ``RdBu`` / ``BrBG`` maps for signed values and
  Likert answers (both marked colour-blind safe by ColorBrewer).
- Every figure is made in ``zh`` (default) or ``en``; a label is a ``{"zh": ..., "en": ...}``
  mapping (or a codebook `Label`) and `localize` picks the language.
- `save_figure` writes PDF + SVG + PNG (300 dpi), each atomically, byte-identical across re-runs:
  no timestamps or software versions that change (PNG ``Software``, PDF ``CreationDate`` and
  ``Producer`` dropped, SVG ``Date`` dropped and a fixed ``svg.hashsalt``), and TrueType (Type 42)
  font embedding so that PDF text, Chinese included, stays searchable. SVG text is real text
  naming the font and its fallbacks (``FigureStyle.svg_text = "text"``, params
  ``figures.svg_text``) or glyph outlines (``"path"``).

Restyle by passing another `FigureStyle` to `use_style` (a context manager), e.g.
``with use_style(replace(current_style(), font_size=8)): fig = ...``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
from matplotlib import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_path
from jianfu.figures import fonts

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")
FORMATS: tuple[str, ...] = ("pdf", "svg", "png")
CM = 1 / 2.54  # inches per centimetre

#: Okabe–Ito colours, by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: How SVG files store text: real text elements naming the font, or glyph outlines.
SVG_TEXT: tuple[str, ...] = ("text", "path")
#: Families a viewer of an SVG with real text falls back to when it lacks the figures' own font
#: (Jianfu Sans SC is a renamed Noto Sans SC subset: these are the same design or its twin).
SVG_FONT_FALLBACKS: tuple[str, ...] = (
    "Noto Sans SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "DejaVu Sans",
)

_SAVE_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None, "Producer": None},
    "svg": {"Date": None},
    "png": {"Software": None},
}


@dataclass(frozen=True)
class FigureStyle:
    """Immutable record of the house style (sizes in cm and pt)."""

    single_cm: float = 8.5
    double_cm: float = 17.5
    font_size: float = 7.0
    small_size: float = 6.0
    title_size: float = 8.0
    line_width: float = 0.6
    palette: tuple[str, ...] = tuple(
        OKABE_ITO[k]
        for k in (
            "blue",
            "vermillion",
            "bluish_green",
            "orange",
            "reddish_purple",
            "sky_blue",
            "yellow",
            "black",
        )
    )
    positive: str = OKABE_ITO["blue"]
    negative: str = OKABE_ITO["vermillion"]
    muted: str = "#8C8C8C"
    box_face: str = "#F2F2F2"
    diverging_cmap: str = "RdBu_r"
    likert_cmap: str = "BrBG"
    dpi: int = 300
    svg_hashsalt: str = "jianfu"
    #: SVG text as ``"text"`` (searchable, editable; the font named with fallbacks
    #: `SVG_FONT_FALLBACKS`) or ``"path"`` (glyph outlines: looks the same without the font)
    svg_text: str = "text"

    def __post_init__(self) -> None:
        if self.svg_text not in SVG_TEXT:
            raise JianfuError(
                f"figures.svg_text must be one of {', '.join(SVG_TEXT)}, got {self.svg_text!r}"
            )

    def width(self, width: str | float) -> float:
        """A width in inches: ``"single"``, ``"double"`` or a number of centimetres."""
        if width == "single":
            return self.single_cm * CM
        if width == "double":
            return self.double_cm * CM
        if isinstance(width, int | float):
            return float(width) * CM
        raise ValueError(f"width must be 'single', 'double' or centimetres, got {width!r}")


_current = FigureStyle()


def current_style() -> FigureStyle:
    return _current


@contextmanager
def use_style(style: FigureStyle) -> Iterator[FigureStyle]:
    """Make `style` the house style inside the block."""
    global _current
    previous, _current = _current, style
    try:
        yield style
    finally:
        _current = previous


def set_style(style: FigureStyle) -> None:
    """Make `style` the house style of this process from now on (a pool worker's set-up, done
    once; elsewhere prefer `use_style`, which restores the previous style)."""
    global _current
    _current = style


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def localize(label: Mapping[str, str] | Any, lang: str) -> str:
    """The text of a bilingual label in `lang`.

    `label` is a ``{"zh": ..., "en": ...}`` mapping, an object with ``.zh`` / ``.en`` (a codebook
    `Label`), or a plain string (returned as is).
    """
    check_lang(lang)
    if isinstance(label, str):
        return label
    if isinstance(label, Mapping):
        if lang not in label:
            raise KeyError(f"label {dict(label)!r} has no {lang!r} text")
        return str(label[lang])
    if hasattr(label, lang):
        return str(getattr(label, lang))
    raise TypeError(f"not a bilingual label: {label!r}")


def _font_rc() -> dict[str, Any]:
    family = fonts.font_family()
    return {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"]}


def rc_params(style: FigureStyle | None = None) -> dict[str, Any]:
    """The matplotlib settings of the house style (fonts, sizes, lines, colours, embedding)."""
    s = style or current_style()
    lw = s.line_width
    return {
        **_font_rc(),
        "font.size": s.font_size,
        "font.weight": "normal",
        "axes.titlesize": s.title_size,
        "axes.titleweight": "normal",
        "axes.titlelocation": "left",
        "axes.labelsize": s.font_size,
        "axes.labelweight": "normal",
        "axes.linewidth": lw,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=list(s.palette)),
        "axes.unicode_minus": True,
        "figure.titlesize": s.title_size,
        "figure.titleweight": "normal",
        "legend.fontsize": s.small_size,
        "legend.title_fontsize": s.small_size,
        "legend.frameon": False,
        "lines.linewidth": 1.0,
        "patch.linewidth": lw,
        "xtick.labelsize": s.small_size,
        "ytick.labelsize": s.small_size,
        "xtick.major.width": lw,
        "ytick.major.width": lw,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "grid.linewidth": 0.4,
        "hatch.linewidth": 0.4,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none" if s.svg_text == "text" else "path",
        "svg.hashsalt": s.svg_hashsalt,
        "savefig.dpi": s.dpi,
    }


@contextmanager
def figure_style(lang: str = "zh") -> Iterator[FigureStyle]:
    """The house style as matplotlib settings inside the block; checks the language and font.

    Chinese figures need the CJK font registered first (`jianfu.figures.fonts.use_font`);
    English ones use it too when registered, else matplotlib's DejaVu Sans.
    """
    check_lang(lang)
    if lang == "zh" and fonts.font_family() is None:
        raise JianfuError(
            "Chinese figures need the CJK font: build it with "
            "jianfu.figures.fonts.build_font(out_dir) and register it with "
            "jianfu.figures.fonts.use_font(path) first"
        )
    style = current_style()
    with mpl.rc_context(rc_params(style)):
        yield style


def new_figure(width: str | float = "single", height_cm: float = 6.0, **kwargs: Any) -> Figure:
    """A `Figure` (not pyplot: no global registry) of the given width and height, constrained.

    The figure has an Agg canvas, so that ``fig.canvas.draw()`` and the renderer's text extents
    work (the path diagram places its labels with them; tests check overlaps with them).
    """
    style = current_style()
    kwargs.setdefault("layout", "constrained")
    fig = Figure(figsize=(style.width(width), height_cm * CM), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(
    fig: Figure, path_stem: str | Path, *, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write `fig` as ``<stem>.pdf``, ``.svg`` and ``.png`` (300 dpi), atomically and reproducibly.

    Returns the paths written, in the order of `formats`.
    """
    stem = Path(path_stem)
    unknown = [f for f in formats if f not in _SAVE_METADATA]
    if unknown:
        raise ValueError(f"formats must be among {FORMATS}, got {unknown}")
    written = []
    style = current_style()
    with mpl.rc_context(rc_params(style)):
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_path(target) as tmp:
                if fmt == "svg" and style.svg_text == "text":
                    buffer = io.BytesIO()
                    fig.savefig(buffer, format=fmt, dpi=style.dpi, metadata=_SAVE_METADATA[fmt])
                    Path(tmp).write_bytes(_name_svg_fonts(buffer.getvalue()))
                else:
                    fig.savefig(tmp, format=fmt, dpi=style.dpi, metadata=_SAVE_METADATA[fmt])
            written.append(target)
    return written


def _name_svg_fonts(svg: bytes) -> bytes:
    """Add the fallback families (`SVG_FONT_FALLBACKS`) to every ``font-family`` of an SVG.

    matplotlib names only the families it drew with (the figures' own font and DejaVu Sans);
    a viewer without them would pick any font, perhaps one without Chinese glyphs.
    """
    text = svg.decode("utf-8")

    def extend(match: re.Match[str]) -> str:
        names = [n.strip() for n in match.group(1).split(",")]
        wanted = [f"'{f}'" for f in SVG_FONT_FALLBACKS]
        merged = list(dict.fromkeys([*(n for n in names if n != "sans-serif"), *wanted]))
        return f"font-family: {', '.join(merged)}, sans-serif"

    return re.sub(r"font-family: ([^;\"]+)", extend, text).encode("utf-8")
