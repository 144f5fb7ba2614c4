"""Helpers shared by the builders: labels of codes, input checks, the common words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from jianfu.tables.table import Label, TableError, Text, as_label

#: ``{code: {"zh": …, "en": …}}`` (as `jianfu.models.stage` builds it from the codebook), or
#: ``{code: Label}``; a code without an entry prints as itself.
Labels = Mapping[str, Text | Mapping[str, str]]

CONSTANT = Label("常数项", "Constant")
VARIABLE = Label("变量", "Variable")
CONSTRUCT = Label("构念", "Construct")
MODEL = Label("模型", "Model")
YES = Label("是", "Yes")
NO = Label("否", "No")
DASH = "—"

#: Codes the stages use that are not constructs (the cluster variables named in SE methods).
KNOWN_CODES: dict[str, Label] = {
    "township_code": Label("乡镇", "township"),
    "district_code": Label("区县", "district"),
}
_INTERACTION = re.compile(r"^(?P<a>[^:]+?)(?::|_x_)(?P<b>.+)$")


def label_for(code: str, labels: Labels | None) -> Label:
    """The label of a variable code; ``a:b`` and ``a_x_b`` become "label(a) × label(b)"."""
    labels = labels or {}
    if code in labels:
        return as_label(labels[code])
    if code in ("const", "Intercept", "(Intercept)"):
        return CONSTANT
    if code in KNOWN_CODES:
        return KNOWN_CODES[code]
    m = _INTERACTION.match(code)
    if m:
        return label_for(m["a"], labels) + " × " + label_for(m["b"], labels)
    return Label.both(code)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a `TableError` naming the columns `frame` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TableError(
            f"{what}: missing column(s) {', '.join(missing)}; it has {', '.join(map(str, frame))}"
        )


def square_matrix(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """A square construct-by-construct frame: the CSV's ``index`` column becomes the index."""
    m = frame.set_index("index") if "index" in frame.columns else frame
    m.index = m.index.astype(str)
    if list(m.index) != [str(c) for c in m.columns]:
        raise TableError(
            f"{what}: rows and columns must name the same constructs in the same order; rows "
            f"{list(m.index)}, columns {list(m.columns)}"
        )
    return m


def numbered(i: int, label: Label) -> Label:
    """ "1. label" (the row stub of a correlation-style matrix)."""
    return f"{i}. " + label


def pick(items: list[str], wanted: Iterable[str] | None, what: str) -> list[str]:
    """`wanted` (checked against `items`) or all `items`, in order."""
    if wanted is None:
        return items
    wanted = list(wanted)
    unknown = [w for w in wanted if w not in items]
    if unknown:
        raise TableError(f"{what}: unknown {', '.join(map(str, unknown))}; available: {items}")
    return wanted


def choice_error(what: str, value: object, allowed: Iterable[object]) -> TableError:
    """The error for an option outside its allowed values."""
    return TableError(f"unknown {what} {value!r}; choose one of {', '.join(map(str, allowed))}")
