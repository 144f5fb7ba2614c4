"""The table object that every renderer draws: one `Table`, four formats, two languages.

A `Table` holds already formatted text (numbers are strings made by `jianfu.tables.formatting`),
so the four renderers (Word, LaTeX, Markdown, HTML) cannot format a number differently. Text
that depends on the language is a `Label` (zh and en); a plain ``str`` is the same in both
(numbers, symbols such as M, SD, α). The layout is the three-line table (三线表) of Chinese
journals and APA 7: a rule above the header, a rule below it, a rule below the body, no vertical
rules; spanning headers are underlined by a short rule (booktabs' ``\\cmidrule``, the 辅助线 that
Chinese style sheets allow). Panels (row groups) get a title row and no rule of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from jianfu.core.errors import JianfuError

LANGS = ("zh", "en")
Lang = Literal["zh", "en"]
ALIGNS = ("l", "c", "r")


class TableError(JianfuError, ValueError):
    """A table whose parts do not fit together (row width, spans, language)."""


@dataclass(frozen=True)
class Label:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        check_lang(lang)
        return self.zh if lang == "zh" else self.en

    @classmethod
    def both(cls, text: str) -> Label:
        """The same text in both languages."""
        return cls(text, text)

    def __add__(self, other: Text) -> Label:
        o = as_label(other)
        return Label(self.zh + o.zh, self.en + o.en)

    def __radd__(self, other: str) -> Label:
        return Label(other + self.zh, other + self.en)


Text = str | Label


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise TableError(f"unknown language {lang!r}; choose 'zh' or 'en'")


def as_label(text: Text | Mapping[str, str]) -> Label:
    """A `Label` from a `Label`, a plain string (same in both) or a ``{"zh":…, "en":…}`` dict."""
    if isinstance(text, Label):
        return text
    if isinstance(text, str):
        return Label.both(text)
    if isinstance(text, Mapping) and {"zh", "en"} <= set(text):
        return Label(str(text["zh"]), str(text["en"]))
    raise TableError(f"not a text: {text!r} (give a str, a Label or a {{'zh', 'en'}} dict)")


def text_in(text: Text | None, lang: str) -> str:
    """The text in one language ('' for None)."""
    if text is None:
        return ""
    return text.get(lang) if isinstance(text, Label) else str(text)


@dataclass(frozen=True)
class Span:
    """A spanning header over columns ``start`` … ``stop - 1`` (0-based, the stub is column 0)."""

    text: Text
    start: int
    stop: int


@dataclass(frozen=True)
class Row:
    """One body row: one cell per column; `indent` levels shift the stub (first) cell."""

    cells: tuple[Text, ...]
    indent: int = 0

    def __post_init__(self):
        object.__setattr__(self, "cells", tuple(self.cells))


@dataclass(frozen=True)
class Panel:
    """A group of rows under an optional title row (Panel A: …, A组：…)."""

    rows: tuple[Row, ...]
    title: Text | None = None

    def __post_init__(self):
        object.__setattr__(self, "rows", tuple(self.rows))


@dataclass(frozen=True)
class Table:
    """A publication table: title, header (with spanners), panels of rows, notes.

    Attributes
    ----------
    name : file stem and LaTeX label (``tab:<name>``), e.g. "descriptives".
    title : the caption, without the number.
    header : the lowest header row, one text per column (column 0 is the stub).
    panels : the body; a table without row groups has one untitled panel.
    spanners : header rows above `header`, top first, each a tuple of `Span`.
    number : table number: "表1" / "Table 1" before the title (LaTeX numbers by itself).
    note : the general note (注： / *Note.*).
    significance : the note explaining the significance marks (see `significance_note`).
    source : the source line (资料来源： / Source:).
    align : per column "l", "c" or "r"; default stub left, the rest centred.
    """

    name: str
    title: Text
    header: tuple[Text, ...]
    panels: tuple[Panel, ...]
    spanners: tuple[tuple[Span, ...], ...] = ()
    number: int | str | None = None
    note: Text | None = None
    significance: Text | None = None
    source: Text | None = None
    align: tuple[str, ...] | None = field(default=None)

    def __post_init__(self):
        set_ = object.__setattr__
        for key in ("title", "note", "significance", "source"):  # {"zh", "en"} dicts -> Label
            value = getattr(self, key)
            if isinstance(value, Mapping):
                set_(self, key, as_label(value))
        set_(self, "header", tuple(self.header))
        set_(self, "panels", tuple(self.panels))
        set_(self, "spanners", tuple(tuple(row) for row in self.spanners))
        ncol = len(self.header)
        if ncol < 1:
            raise TableError(f"table {self.name!r}: the header has no columns")
        for p, panel in enumerate(self.panels):
            for r, row in enumerate(panel.rows):
                if len(row.cells) != ncol:
                    raise TableError(
                        f"table {self.name!r}: panel {p + 1}, row {r + 1} has {len(row.cells)} "
                        f"cells, the header has {ncol}"
                    )
        if not any(panel.rows for panel in self.panels):
            raise TableError(f"table {self.name!r}: the body has no rows")
        for level, spans in enumerate(self.spanners):
            taken: set[int] = set()
            for s in spans:
                cols = set(range(s.start, s.stop))
                if not (0 <= s.start < s.stop <= ncol) or cols & taken:
                    raise TableError(
                        f"table {self.name!r}: spanner {text_in(s.text, 'en')!r} on header row "
                        f"{level + 1} covers columns {s.start}..{s.stop - 1}: out of range "
                        f"(0..{ncol - 1}) or overlapping another"
                    )
                taken |= cols
        align = self.align or ("l",) + ("c",) * (ncol - 1)
        if len(align) != ncol or any(a not in ALIGNS for a in align):
            raise TableError(
                f"table {self.name!r}: align must give one of l/c/r per column ({ncol}), got "
                f"{align!r}"
            )
        set_(self, "align", tuple(align))

    @property
    def ncol(self) -> int:
        return len(self.header)

    def rows(self) -> Iterable[Row]:
        for panel in self.panels:
            yield from panel.rows

    def caption_number(self, lang: str) -> str:
        """ "表1" / "Table 1" ('' without a number)."""
        if self.number is None:
            return ""
        return f"表{self.number}" if lang == "zh" else f"Table {self.number}"

    def notes(self, lang: str) -> list[tuple[str, str]]:
        """The notes as (lead-in, text) pairs in print order: general, significance, source."""
        check_lang(lang)
        lead = _NOTE_LEADS[lang]
        out = []
        for key in ("note", "significance", "source"):
            value = getattr(self, key)
            if value is not None:
                out.append((lead[key], text_in(value, lang)))
        return out


_NOTE_LEADS = {
    "zh": {"note": "注：", "significance": "", "source": "资料来源："},
    "en": {"note": "Note.", "significance": "", "source": "Source:"},
}


def single_panel(rows: Sequence[Row]) -> tuple[Panel, ...]:
    """The body of a table without row groups."""
    return (Panel(tuple(rows)),)
