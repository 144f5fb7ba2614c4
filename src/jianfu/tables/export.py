"""Write a `Table` in every format and language: ``<dir>/<name>_<lang>.<ext>``.

The file naming follows the questionnaire's (``questionnaire_zh.docx``). Every file goes through
`jianfu.core.io` (atomic, and byte-identical across runs for .docx).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from jianfu.core.io import write_text
from jianfu.tables.latex import render_latex
from jianfu.tables.markup import render_html, render_markdown
from jianfu.tables.table import Table, TableError, check_lang
from jianfu.tables.word import write_docx

FORMATS = ("docx", "tex", "md", "html")
_TEXT_RENDERERS: dict[str, Callable[[Table, str], str]] = {
    "tex": render_latex,
    "md": render_markdown,
    "html": render_html,
}


def render(table: Table, fmt: str, lang: str = "zh") -> str:
    """The table as text in one of the text formats ("tex", "md", "html")."""
    if fmt not in _TEXT_RENDERERS:
        raise TableError(f"unknown text format {fmt!r}; choose one of tex, md, html")
    return _TEXT_RENDERERS[fmt](table, lang)


def write_table(
    table: Table,
    directory: str | Path,
    *,
    langs: Sequence[str] = ("zh", "en"),
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write `table` to ``directory/<name>_<lang>.<ext>`` for each language and format.

    Returns the paths written, in (language, format) order.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise TableError(f"unknown format(s) {unknown}; choose from {', '.join(FORMATS)}")
    for lang in langs:
        check_lang(lang)
    directory = Path(directory)
    paths = []
    for lang in langs:
        for fmt in formats:
            path = directory / f"{table.name}_{lang}.{fmt}"
            if fmt == "docx":
                write_docx(table, path, lang)
            else:
                write_text(path, render(table, fmt, lang))
            paths.append(path)
    return paths
