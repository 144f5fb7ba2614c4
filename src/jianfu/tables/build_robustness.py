"""Builder for the specification curve's summary (the ``spec_curve`` stage's ``summary.csv``).

Input: one row per effect with the columns of `SUMMARY_COLUMNS` (others are ignored):

``effect``  ``FB<-PV`` / ``SO<-FB<-PV`` / ``ATT:<measure>-><outcome>``
``kind``    ``path``, ``indirect`` or ``att`` (one panel each, in that order)
``specifications, main_estimate, median, min, max``
``share_same_sign, share_significant_same_sign``  shares of the specifications

Layout: one row per effect: the number of specifications, the main specification's estimate,
the median and range over all specifications, and the shares with the main estimate's sign
and significant with it (Simonsohn, Simmons & Nelson 2020's descriptive summary).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from jianfu.tables._common import require_columns
from jianfu.tables.formatting import APA, NumberStyle, fmt_num
from jianfu.tables.table import Label, Panel, Row, Table, Text, as_label

SUMMARY_COLUMNS = (
    "effect",
    "kind",
    "specifications",
    "main_estimate",
    "median",
    "min",
    "max",
    "share_same_sign",
    "share_significant_same_sign",
)
KIND_LABELS: dict[str, Label] = {
    "path": Label("A组：减负措施 → 形式主义负担（标准差单位）",
                  "Panel A: measure → formalism burden (SD units)"),
    "indirect": Label("B组：经由形式主义负担对服务成效的间接效应（标准差单位）",
                      "Panel B: indirect effect on service through burden (SD units)"),
    "att": Label("C组：政策措施的平均处理效应（结果变量单位）",
                 "Panel C: average effect of a measure (outcome units)"),
}  # fmt: skip


def _pct(share: float) -> str:
    return "—" if pd.isna(share) else f"{100 * share:.0f}%"


def spec_curve_table(
    summary: pd.DataFrame,
    effect_labels: Mapping[str, Text],
    *,
    alpha: float = 0.05,
    name: str = "spec_curve",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """The specification curve's summary, one panel per kind of effect."""
    require_columns(summary, SUMMARY_COLUMNS, "spec_curve_table")
    panels = []
    for kind, panel_title in KIND_LABELS.items():
        part = summary[summary["kind"] == kind]
        if part.empty:
            continue
        rows = []
        for _, r in part.iterrows():
            rows.append(
                Row(
                    (
                        as_label(effect_labels.get(r["effect"], r["effect"])),
                        fmt_num(r["specifications"], "n", style=style),
                        fmt_num(r["main_estimate"], "effect", style=style),
                        fmt_num(r["median"], "effect", style=style),
                        f"[{fmt_num(r['min'], 'effect', style=style)}, "
                        f"{fmt_num(r['max'], 'effect', style=style)}]",
                        _pct(r["share_same_sign"]),
                        _pct(r["share_significant_same_sign"]),
                    )
                )
            )
        panels.append(Panel(tuple(rows), panel_title))
    a = f"{alpha:g}".lstrip("0")
    note = Label(
        f"主分析规格为 params.yaml 中 robustness.spec 的选择；“同号”指与主分析估计值符号相同；"
        f"“显著”指 p < {a}。规格网格见 robustness.grid（Simonsohn, Simmons, & Nelson, 2020）。",
        f"The main specification is robustness.spec in params.yaml; “same sign” = the sign of "
        f"the main estimate; “significant” = p < {a}. The grid: robustness.grid (Simonsohn, "
        f"Simmons, & Nelson, 2020).",
    )
    return Table(
        name=name,
        title=title or Label("规格曲线汇总：关键效应在全部规格下的稳健性",
                             "Specification curve: robustness of the key effects"),
        header=(
            Label("效应", "Effect"),
            Label("规格数", "Specifications"),
            Label("主分析", "Main"),
            Label("中位数", "Median"),
            Label("范围", "Range"),
            Label("同号", "Same sign"),
            Label("同号且显著", "Same sign, significant"),
        ),
        panels=tuple(panels),
        number=number,
        note=note,
        source=source,
    )  # fmt: skip
