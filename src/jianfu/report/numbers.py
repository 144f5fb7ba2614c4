"""Every number the report's text prints, formatted once and written down with its source.

The text never formats a number itself: it calls `cite(value, kind, key)`, which formats the
unrounded value with `jianfu.tables.formatting` (the tables' formatter, so text and tables
agree digit for digit) and records the number in the ledger that the report stage writes to
``reports/report_numbers.csv``: the printed text, the unrounded value, its kind and the output
it comes from (an input key of `jianfu.report.inputs.FILES`, or ``derived:<what>`` for a count
or share the report computes from outputs). tests/test_report_numbers.py reads the report and
that file back: every number of the text must be in the ledger, and every ledger value must be
found, unrounded, in the output it names.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from jianfu.tables.formatting import fmt_ci, fmt_num, fmt_p

_LEDGER: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar(
    "jianfu_report_ledger", default=None
)
COLUMNS = ["text", "value", "kind", "source"]


@contextmanager
def ledger() -> Iterator[list[dict]]:
    """Record every `cite` inside the block into the yielded list."""
    rows: list[dict] = []
    token = _LEDGER.set(rows)
    try:
        yield rows
    finally:
        _LEDGER.reset(token)


def _record(text: str, value, kind: str, source: str) -> str:
    rows = _LEDGER.get()
    if rows is not None:
        rows.append({"text": text, "value": float(value), "kind": kind, "source": source})
    return text


def cite(value, kind: str, source: str, **kw) -> str:
    """`fmt_num(value, kind)`, recorded with its `source`."""
    return _record(fmt_num(value, kind, **kw), value, kind, source)


def cite_p(value, source: str) -> str:
    """A p-value as in the tables (``.023``, ``< .001``), recorded."""
    return _record(fmt_p(value), value, "p", source)


def cite_pct(share, source: str, decimals: int = 1) -> str:
    """A share printed as a percentage (``57.1%``), recorded as the share."""
    return _record(f"{100 * float(share):.{decimals}f}%", share, f"pct{decimals}", source)


def cite_ci(lo, hi, kind: str, source: str) -> str:
    """``[−0.16, −0.06]``: both bounds recorded."""
    text = fmt_ci(lo, hi, kind)
    _record(fmt_num(lo, kind), lo, kind, source)
    _record(fmt_num(hi, kind), hi, kind, source)
    return text


def frame(rows: list[dict]) -> pd.DataFrame:
    """The ledger as written to reports/report_numbers.csv (one row per printed number)."""
    return pd.DataFrame(rows, columns=COLUMNS)
