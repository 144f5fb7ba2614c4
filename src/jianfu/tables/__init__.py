"""Publication tables (Step 7): one `Table` object, four formats (.docx, LaTeX, Markdown, HTML),
two languages (zh, en), every number formatted by one set of rules.

- `jianfu.tables.table`: the `Table` data model (`Label`, `Span`, `Row`, `Panel`).
- `jianfu.tables.formatting`: number formatting (APA 7 / Chinese journals): `fmt_num`, `fmt_p`,
  `stars`, `fmt_coef`, `fmt_se`, `fmt_ci`, `significance_note`.
- renderers: `docx_document` / `write_docx` (three-line tables in Word), `render_latex`
  (booktabs + threeparttable), `render_markdown`, `render_html`; `write_table` writes all.
- `jianfu.tables.builders`: tidy pipeline outputs → `Table`.

Conventions and the table catalogue: docs/tables.md.
"""

from jianfu.tables.builders import (
    conditional_effects_table,
    descriptives_table,
    did_table,
    fit_table,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    mediation_table,
    regression_table,
    reliability_table,
)
from jianfu.tables.export import FORMATS, render, write_table
from jianfu.tables.formatting import (
    APA,
    KINDS,
    STAR_LEVELS,
    NumberStyle,
    fmt_ci,
    fmt_coef,
    fmt_num,
    fmt_p,
    fmt_se,
    significance_note,
    stars,
)
from jianfu.tables.latex import render_latex
from jianfu.tables.markup import render_html, render_markdown
from jianfu.tables.table import Label, Panel, Row, Span, Table, TableError
from jianfu.tables.word import docx_document, write_docx

__all__ = [
    "APA",
    "FORMATS",
    "KINDS",
    "STAR_LEVELS",
    "Label",
    "NumberStyle",
    "Panel",
    "Row",
    "Span",
    "Table",
    "TableError",
    "conditional_effects_table",
    "descriptives_table",
    "did_table",
    "docx_document",
    "fit_table",
    "fmt_ci",
    "fmt_coef",
    "fmt_num",
    "fmt_p",
    "fmt_se",
    "fornell_larcker_table",
    "htmt_table",
    "measurement_fits",
    "mediation_table",
    "regression_table",
    "reliability_table",
    "render",
    "render_html",
    "render_latex",
    "render_markdown",
    "significance_note",
    "stars",
    "write_docx",
    "write_table",
]
