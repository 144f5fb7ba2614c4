"""Table 1 of a survey paper: N, mean, SD and the Pearson correlation matrix.

The layout is the one Chinese journals ask for (描述性统计与相关系数): one row per variable with
N, M and SD, then the lower triangle of Pearson correlations with significance marks
(* p < .05, ** p < .01, *** p < .001, two-tailed), and the reliabilities (Cronbach's alpha)
on the diagonal when given. Correlations use pairwise-complete observations (R
``cor(use = "pairwise")``, SPSS "exclude cases pairwise"); each pair's n is kept, and its p-value
is scipy ``pearsonr``'s two-tailed t test on that pair's rows. SDs use the n - 1 divisor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

MARKS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
NOTE = "Note: * p < .05, ** p < .01, *** p < .001 (two-tailed); pairwise-complete n."


def significance_mark(p: float) -> str:
    """'***', '**', '*' or '' for a p-value."""
    for cut, mark in MARKS:
        if p < cut:
            return mark
    return ""


@dataclass(frozen=True)
class DescriptiveTable:
    """Descriptive statistics and pairwise correlations of a set of variables.

    Attributes
    ----------
    summary : per variable: label, n, mean, sd, alpha (NaN without a reliability).
    r, p, n : square DataFrames of correlations, their p-values and pairwise n.
    """

    summary: pd.DataFrame
    r: pd.DataFrame
    p: pd.DataFrame
    n: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per pair (lower triangle): var1, var2, r, p, n, mark."""
        cols = list(self.r.columns)
        rows = [
            {
                "var1": cols[i],
                "var2": cols[j],
                "r": self.r.iat[i, j],
                "p": self.p.iat[i, j],
                "n": int(self.n.iat[i, j]),
                "mark": significance_mark(self.p.iat[i, j]),
            }
            for i in range(len(cols))
            for j in range(i)
        ]
        return pd.DataFrame(rows, columns=["var1", "var2", "r", "p", "n", "mark"])

    def formatted(self, digits: int = 2) -> str:
        """The table as text: N, M, SD, then numbered correlation columns; note underneath."""
        cols = list(self.r.columns)
        k = len(cols)
        body = []
        for i, col in enumerate(cols):
            s = self.summary.loc[col]
            row = [
                f"{i + 1}. {s['label']}",
                f"{int(s['n'])}",
                f"{s['mean']:.{digits}f}",
                f"{s['sd']:.{digits}f}",
            ]
            for j in range(k):
                if j < i:
                    val = f"{self.r.iat[i, j]:.{digits}f}"
                    row.append(_strip_zero(val) + significance_mark(self.p.iat[i, j]))
                elif j == i and not np.isnan(s["alpha"]):
                    row.append("(" + _strip_zero(f"{s['alpha']:.{digits}f}") + ")")
                else:
                    row.append("")
            body.append(row)
        header = ["Variable", "N", "M", "SD", *[str(j + 1) for j in range(k)]]
        widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(w) if c == 0 else cell.rjust(w)
                for c, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in [header, *body]
        ]
        note = NOTE
        if self.summary["alpha"].notna().any():
            note += " Cronbach's alpha on the diagonal."
        return "\n".join([*lines, note])


def _strip_zero(text: str) -> str:
    """APA style: no leading zero for values bounded by 1 ('.45', '-.12')."""
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def descriptive_table(
    data: pd.DataFrame,
    columns: list[str],
    *,
    reliabilities: dict[str, float] | None = None,
    labels: dict[str, str] | None = None,
) -> DescriptiveTable:
    """Build Table 1: N, mean, SD and lower-triangle Pearson correlations.

    Parameters
    ----------
    data : DataFrame.
    columns : numeric columns, in table order.
    reliabilities : alpha per column, shown on the diagonal (columns not in it get none).
    labels : display label per column (default: the column name).

    Returns
    -------
    DescriptiveTable
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    if len(columns) < 2:
        raise ValueError("need at least two columns for a correlation table")
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if non_numeric:
        raise ValueError(f"columns must be numeric; not numeric: {non_numeric}")
    unknown = set(reliabilities or {}) - set(columns)
    if unknown:
        raise ValueError(f"reliabilities given for columns not in the table: {sorted(unknown)}")
    x = data[columns].astype("float64")
    reliabilities = reliabilities or {}
    labels = labels or {}
    summary = pd.DataFrame(
        {
            "label": [labels.get(c, c) for c in columns],
            "n": x.notna().sum().to_numpy(),
            "mean": x.mean().to_numpy(),
            "sd": x.std(ddof=1).to_numpy(),
            "alpha": [reliabilities.get(c, np.nan) for c in columns],
        },
        index=pd.Index(columns, name="variable"),
    )
    k = len(columns)
    r = np.eye(k)
    p = np.zeros((k, k))
    n = np.diag(summary["n"].to_numpy()).astype("int64")
    for i in range(k):
        for j in range(i):
            pair = x[[columns[i], columns[j]]].dropna()
            if len(pair) < 3:
                raise ValueError(f"{columns[i]} and {columns[j]} share fewer than 3 rows")
            res = stats.pearsonr(pair.iloc[:, 0], pair.iloc[:, 1])
            r[i, j] = r[j, i] = res.statistic
            p[i, j] = p[j, i] = res.pvalue
            n[i, j] = n[j, i] = len(pair)
    frame = lambda a: pd.DataFrame(a, index=columns, columns=columns)  # noqa: E731
    return DescriptiveTable(summary=summary, r=frame(r), p=frame(p), n=frame(n))
