"""Builder for hierarchical regression tables (columns = steps, rows = terms, then fit).

Inputs are the ``models`` stage's long tables, as DataFrames:
``data/processed/models/coefficients.parquet`` (spec, kind, equation, step, term, estimate, se,
p, method, …) and ``data/processed/models/fit.parquet`` (spec, equation, step, statistic, value;
for OLS the statistics n, r2, adj_r2, delta_r2, f_change, df1, df2, p_change).

Layout (the 层级回归 table of Chinese journals, esttab's default): one column per (spec, step),
a spanning header per outcome; each term takes two rows, the unstandardized coefficient with its
significance mark and the SE in parentheses below; the constant comes last; then N, R², ΔR² and
the F test of the change, marked by its p-value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from jianfu.tables._common import NO, VARIABLE, YES, Labels, label_for, require_columns
from jianfu.tables.formatting import APA, NumberStyle, fmt_coef, fmt_se, significance_note
from jianfu.tables.table import Label, Row, Span, Table, TableError, Text, single_panel

COEF_COLUMNS = ("spec", "kind", "equation", "step", "term", "estimate", "se", "p")
FIT_COLUMNS = ("spec", "equation", "step", "statistic", "value")
_CONSTANT_TERMS = ("const", "Intercept", "(Intercept)")
_CLUSTER = re.compile(r"cluster(?:ed)? by (\w+)")
_HC = re.compile(r"\b(HC[0-3])\b")


def _se_note(methods: Sequence[str], labels: Labels | None) -> Label:
    """What the parenthesised numbers are, read from the ``method`` column."""
    found = {m for m in methods if isinstance(m, str)}
    clusters = {c for m in found for c in _CLUSTER.findall(m)}
    hcs = {h for m in found for h in _HC.findall(m)}
    if len(clusters) == 1:
        c = label_for(clusters.pop(), labels)
        return Label(
            f"括号内为按{c.zh}聚类的稳健标准误", f"cluster-robust standard errors (by {c.en})"
        )
    if len(hcs) == 1:
        h = hcs.pop()
        return Label(f"括号内为异方差稳健标准误（{h}）", f"heteroskedasticity-robust ({h}) SEs")
    return Label("括号内为标准误", "standard errors")


def regression_table(
    coefficients: pd.DataFrame,
    fit: pd.DataFrame,
    specs: str | Sequence[str],
    labels: Labels | None = None,
    *,
    kind: str = "ols",
    steps: Sequence[int] | None = None,
    collapse: Sequence[str] = (),
    collapse_label: Text | None = None,
    adj_r2: bool = False,
    name: str = "regression",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    decimals: int | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Hierarchical regressions of one or several specs side by side.

    Parameters
    ----------
    coefficients, fit : the ``models`` stage's tidy frames (see the module docstring).
    specs : the spec name(s), in column order.
    labels : ``{code: {"zh", "en"}}`` for terms and outcomes; ``a:b`` prints as "a × b".
    kind : the rows of `coefficients` to use (``kind`` column).
    steps : the steps to show (default: all).
    collapse : terms (e.g. the background controls) shown as one row "控制变量 / Controls" with
        是/Yes where a model contains them, listed in the note.
    adj_r2 : add a row of adjusted R².
    decimals : overrides the 2 decimals of coefficients and SEs.

    Returns
    -------
    Table with columns "模型1" … per spec (spanner = the outcome's label) and the rows
    coefficient / (SE) per term, then N, R², ΔR², ΔF.
    """
    specs = [specs] if isinstance(specs, str) else list(specs)
    require_columns(coefficients, COEF_COLUMNS, "coefficients")
    require_columns(fit, FIT_COLUMNS, "fit")
    coef = coefficients[coefficients["spec"].isin(specs) & (coefficients["kind"] == kind)]
    missing = [s for s in specs if s not in set(coef["spec"])]
    if missing:
        available = sorted(coefficients.loc[coefficients["kind"] == kind, "spec"].unique())
        raise TableError(f"regression_table: no {kind} coefficients for {missing}; {available}")
    if steps is not None:
        coef = coef[coef["step"].isin(list(steps))]
    columns: list[tuple[str, str, int]] = []
    for spec in specs:
        sub = coef[coef["spec"] == spec]
        for eq in dict.fromkeys(sub["equation"]):
            for step in sorted(sub.loc[sub["equation"] == eq, "step"].unique()):
                columns.append((spec, str(eq), int(step)))
    cells = {
        (r.spec, str(r.equation), int(r.step), str(r.term)): r for r in coef.itertuples(index=False)
    }
    terms = list(dict.fromkeys(str(t) for t in coef["term"]))
    terms = [t for t in terms if t not in _CONSTANT_TERMS] + [
        t for t in terms if t in _CONSTANT_TERMS
    ]
    shown = [t for t in terms if t not in collapse]
    kw = {"decimals": decimals, "style": style}
    rows = []
    for term in shown:
        est, se = [label_for(term, labels)], [""]
        for spec, eq, step in columns:
            r = cells.get((spec, eq, step, term))
            est.append(fmt_coef(r.estimate, r.p, "coef", **kw) if r is not None else "")
            se.append(fmt_se(r.se, "se", **kw) if r is not None else "")
        rows += [Row(tuple(est)), Row(tuple(se))]
    if collapse:
        row: list[Text] = [collapse_label or Label("控制变量", "Controls")]
        for spec, eq, step in columns:
            present = any((spec, eq, step, t) in cells for t in collapse)
            row.append(YES if present else NO)
        rows.append(Row(tuple(row)))
    stats = _fit_stats(fit, columns)
    fit_rows: list[tuple[Text, str, str]] = [("N", "n", "n"), ("R²", "r2", "r2")]
    if adj_r2:
        fit_rows.append((Label("调整 R²", "Adjusted R²"), "adj_r2", "r2"))
    fit_rows += [("ΔR²", "delta_r2", "r2"), ("ΔF", "f_change", "stat")]
    for text, stat, fkind in fit_rows:
        row = [text]
        for col in columns:
            s = stats.get(col, {})
            p = s.get("p_change") if stat == "f_change" else None
            row.append(fmt_coef(s.get(stat), p, fkind, style=style))
        rows.append(Row(tuple(row)))

    header: list[Text] = [VARIABLE]
    spans: list[Span] = []
    for spec in specs:
        for eq in dict.fromkeys(e for s, e, _ in columns if s == spec):
            idx = [i + 1 for i, c in enumerate(columns) if c[0] == spec and c[1] == eq]
            spans.append(Span(label_for(eq, labels), idx[0], idx[-1] + 1))
            header += [Label(f"模型{columns[i - 1][2]}", f"Model {columns[i - 1][2]}") for i in idx]
    zh = "表中为非标准化回归系数，" + _se_note(coef["method"].tolist(), labels).zh + "。"
    en = (
        "Unstandardized coefficients; "
        + _se_note(coef["method"].tolist(), labels).en
        + " in parentheses."
    )
    if any(":" in t or "_x_" in t for t in shown):
        zh += "交互项由均值中心化后的变量相乘构成。"
        en += " Interaction terms are products of mean-centred variables."
    if collapse:
        names = [label_for(t, labels) for t in collapse]
        zh += "控制变量：" + "、".join(n.zh for n in names) + "。"
        en += " Controls: " + ", ".join(n.en for n in names) + "."
    zh += "ΔF 为 R² 变化量的 F 检验。"
    en += " ΔF = F test of the R² change."
    return Table(
        name=name,
        title=title or Label("层级回归分析结果", "Hierarchical Regression Results"),
        header=tuple(header),
        panels=single_panel(rows),
        spanners=(tuple(spans),),
        number=number,
        note=Label(zh, en),
        significance=significance_note(),
        source=source,
    )


def _fit_stats(
    fit: pd.DataFrame, columns: list[tuple[str, str, int]]
) -> dict[tuple[str, str, int], dict[str, float]]:
    out: dict[tuple[str, str, int], dict[str, float]] = {}
    keep = fit[fit["spec"].isin({c[0] for c in columns})]
    for r in keep.itertuples(index=False):
        key = (r.spec, str(r.equation), int(r.step))
        out.setdefault(key, {})[str(r.statistic)] = r.value
    return out
