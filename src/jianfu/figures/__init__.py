"""Figures of the report (Step 7): house style, the Chinese font, and one function per figure.

- `jianfu.figures.fonts`: build the OFL CJK font (`build_font`) and register it (`use_font`).
- `jianfu.figures.style`: sizes, colours, languages, `localize` and `save_figure`.
- `jianfu.figures.labels`: bilingual labels and tidy codebook tables.
- `jianfu.figures.survey`: the survey figures (cleaning flow … recovery), tidy DataFrames in,
  matplotlib Figures out.

See ``docs/figures.md`` for the catalogue.
"""

from jianfu.figures.fonts import build_font, font_context, use_font
from jianfu.figures.style import FigureStyle, figure_style, localize, save_figure, use_style

__all__ = [
    "FigureStyle",
    "build_font",
    "figure_style",
    "font_context",
    "localize",
    "save_figure",
    "use_font",
    "use_style",
]
