"""Builder for difference-in-differences aggregates (the ``policy`` stage's tidy output).

Input: a DataFrame with exactly the columns of `DID_COLUMNS` (others are ignored):

``measure``      the policy measure (the treatment), e.g. a burden-reduction measure code
``outcome``      the outcome variable code
``estimator``    e.g. ``callaway_santanna``, ``twfe``, ``sun_abraham``
``aggregation``  ``simple``, ``group``, ``dynamic`` (event study), ``calendar`` or another
``term``         as `jianfu.policy.did` writes it: ``ATT``, ``g=<cohort>``, ``e=<event time>``,
                 ``t=<period>``, ``overall``, or a regression term
``estimate, se, ci_low, ci_high, p``

Layout: one panel per outcome; columns = (measure, estimator), a spanning header per measure;
rows = aggregation (a heading row) and its terms (indented; event times in numeric order,
"overall" last), each as the estimate with its significance mark over the SE in parentheses
(or the CI in brackets with ``second="ci"``). ATTs are effects: 3 decimals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from jianfu.tables._common import Labels, choice_error, label_for, pick, require_columns
from jianfu.tables.formatting import (
    APA,
    NumberStyle,
    fmt_ci,
    fmt_coef,
    fmt_num,
    fmt_se,
    significance_note,
)
from jianfu.tables.table import Label, Panel, Row, Span, Table, Text, as_label

DID_COLUMNS = (
    "measure",
    "outcome",
    "estimator",
    "aggregation",
    "term",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
)
ESTIMATOR_LABELS: dict[str, Label] = {
    "callaway_santanna": Label.both("Callaway–Sant'Anna"),
    "cs": Label.both("Callaway–Sant'Anna"),
    "twfe": Label("双向固定效应", "TWFE"),
    "sun_abraham": Label.both("Sun–Abraham"),
    "sa": Label.both("Sun–Abraham"),
}
AGGREGATION_LABELS: dict[str, Label] = {
    "simple": Label("平均处理效应（ATT）", "Average treatment effect (ATT)"),
    "group": Label("按处理批次", "By cohort"),
    "dynamic": Label("事件研究（相对处理时间 e）", "Event study (event time e)"),
    "calendar": Label("按日历时期", "By calendar period"),
}
_TERM = re.compile(r"^(?P<k>[get])=(?P<v>.+)$")


def _term_label(term: str, style: NumberStyle) -> Text:
    if term == "overall":
        return Label("总体", "Overall")
    m = _TERM.match(term)
    if not m:
        return term
    value = m["v"]
    try:
        number = float(value)
        value = fmt_num(number, "n", decimals=0 if number.is_integer() else 2, style=style)
        value = value.replace(style.thousands, "") if style.thousands else value  # years
    except ValueError:
        pass
    if m["k"] == "e":
        return f"e = {value}"
    if m["k"] == "g":
        return Label(f"处理批次 {value}", f"Cohort {value}")
    return Label(f"时期 {value}", f"Period {value}")


def _term_order(term: str) -> tuple[int, float, str]:
    if term == "overall":
        return (2, 0.0, term)
    m = _TERM.match(term)
    if m:
        try:
            return (1, float(m["v"]), term)
        except ValueError:
            pass
    return (0, 0.0, term)


def did_table(
    frame: pd.DataFrame,
    labels: Labels | None = None,
    *,
    measures: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    estimators: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    second: str = "se",
    level: float = 0.95,
    estimator_labels: Mapping[str, Text] | None = None,
    name: str = "did",
    title: Text | None = None,
    number: int | str | None = None,
    note: Text | None = None,
    source: Text | None = None,
    decimals: int | None = None,
    style: NumberStyle = APA,
) -> Table:
    """DiD aggregates side by side: panels = outcomes, columns = measure × estimator.

    Parameters
    ----------
    frame : the tidy aggregates (columns `DID_COLUMNS`).
    labels : ``{code: {"zh", "en"}}`` for measures and outcomes.
    measures, outcomes, estimators, aggregations : what to show, in order (default: all, in
        order of appearance).
    second : the line under each estimate: "se" (``(0.012)``) or "ci" (``[0.01, 0.05]``).
    level : the CI level, for the note only (the CIs are computed upstream).
    estimator_labels : column headings for estimator codes (default `ESTIMATOR_LABELS`).
    note : the general note (e.g. the control group and clustering); the SE/CI sentence is
        appended.
    """
    if second not in ("se", "ci"):
        raise choice_error("second", second, ("se", "ci"))
    require_columns(frame, DID_COLUMNS, "did_table")
    data = frame.loc[:, list(DID_COLUMNS)].copy()
    for c in ("measure", "outcome", "estimator", "aggregation", "term"):
        data[c] = data[c].astype(str)
    meas = pick(list(dict.fromkeys(data["measure"])), measures, "did_table measures")
    outs = pick(list(dict.fromkeys(data["outcome"])), outcomes, "did_table outcomes")
    ests = pick(list(dict.fromkeys(data["estimator"])), estimators, "did_table estimators")
    aggs = pick(list(dict.fromkeys(data["aggregation"])), aggregations, "did_table aggregations")
    data = data[
        data["measure"].isin(meas)
        & data["outcome"].isin(outs)
        & data["estimator"].isin(ests)
        & data["aggregation"].isin(aggs)
    ]
    columns = [
        (m, e)
        for m in meas
        for e in ests
        if ((data["measure"] == m) & (data["estimator"] == e)).any()
    ]
    cells = {
        (r.measure, r.estimator, r.outcome, r.aggregation, r.term): r
        for r in data.itertuples(index=False)
    }
    kw = {"decimals": decimals, "style": style}
    panels = []
    for outcome in outs:
        sub = data[data["outcome"] == outcome]
        if sub.empty:
            continue
        rows: list[Row] = []
        for agg in aggs:
            terms = sorted(
                dict.fromkeys(sub.loc[sub["aggregation"] == agg, "term"]), key=_term_order
            )
            if not terms:
                continue
            agg_label = AGGREGATION_LABELS.get(agg, Label.both(agg))
            single = len(terms) == 1
            if not single:
                rows.append(Row((agg_label,) + ("",) * len(columns)))
            for term in terms:
                stub = agg_label if single else _term_label(term, style)
                first: list[Text] = [stub]
                below: list[Text] = [""]
                for m, e in columns:
                    r = cells.get((m, e, outcome, agg, term))
                    if r is None:
                        first.append("")
                        below.append("")
                        continue
                    first.append(fmt_coef(r.estimate, r.p, "effect", **kw))
                    if second == "se":
                        below.append(fmt_se(r.se, "effect", **kw))
                    else:
                        below.append(fmt_ci(r.ci_low, r.ci_high, "effect", **kw))
                indent = 0 if single else 1
                rows += [Row(tuple(first), indent=indent), Row(tuple(below), indent=indent)]
        panels.append(Panel(tuple(rows), title=label_for(outcome, labels)))
    est_names = {**ESTIMATOR_LABELS, **(estimator_labels or {})}
    header: list[Text] = [Label("估计量", "Estimate")]
    header += [label_for(e, est_names) for _, e in columns]
    spans = []
    for m in meas:
        idx = [i + 1 for i, (mm, _) in enumerate(columns) if mm == m]
        if idx:
            spans.append(Span(label_for(m, labels), idx[0], idx[-1] + 1))
    pct = f"{level * 100:g}%"
    below_note = (
        Label("括号内为标准误", "standard errors in parentheses")
        if second == "se"
        else Label(f"方括号内为 {pct} 置信区间", f"{pct} confidence intervals in brackets")
    )
    general = Label("", "") if note is None else as_label(note)
    full_note = Label(
        general.zh + below_note.zh + "。",
        (general.en + " " if general.en else "")
        + below_note.en[:1].upper()
        + below_note.en[1:]
        + ".",
    )
    return Table(
        name=name,
        title=title or Label("政策效应：双重差分估计", "Policy Effects: Difference-in-Differences"),
        header=tuple(header),
        panels=tuple(panels),
        spanners=(tuple(spans),),
        number=number,
        note=full_note,
        significance=significance_note(),
        source=source,
    )
