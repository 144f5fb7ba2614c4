"""Builders for PROCESS-style effects: indirect effects, conditional effects, JN points, IMM.

Input: ``data/processed/models/effects.parquet`` as a DataFrame (spec, equation, term, estimate,
se, ci_low, ci_high, method). ``equation`` is the causal chain ("PV→FB→WE→SO"); ``term`` says
which effect (the `jianfu.models.process` naming):

=====================  =================================================================
``ind[FB]``            indirect effect through FB (``ind[FB->WE]``: serial, FB then WE)
``ind[total]``         total indirect effect
``FB|FT=-1 SD``        conditional effect of FB at a value of the moderator FT
                       (``-1 SD``, ``mean``, ``+1 SD``, ``p16``, ``p50``, ``p84``)
``JN point 1 (DL)``    a Johnson–Neyman point: the moderator value where the effect's CI
                       crosses zero (in the moderator's units)
``ind[FB|DL=-1 SD]``   conditional indirect effect through FB at a value of DL
``imm[FB]``            index of moderated mediation through FB
=====================  =================================================================

One panel per equation. Effects are mediation / moderation quantities (3 decimals, kind
"effect"); bootstrap CIs are the inference, so no significance marks are printed (an effect is
supported when its CI excludes zero, which the note says).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from jianfu.tables._common import DASH, Labels, label_for, require_columns
from jianfu.tables.formatting import APA, NumberStyle, fmt_ci, fmt_num
from jianfu.tables.table import Label, Panel, Row, Table, TableError, Text

EFFECT_COLUMNS = ("spec", "equation", "term", "estimate", "se", "ci_low", "ci_high", "method")
ARROW = " → "

_IND = re.compile(r"^ind\[(?P<path>[^|\]]+)\]$")
_COND_IND = re.compile(r"^ind\[(?P<m>[^|\]]+)\|(?P<w>[^=\]]+)=(?P<at>[^\]]+)\]$")
_IMM = re.compile(r"^imm\[(?P<m>[^\]]+)\]$")
_COND = re.compile(r"^(?P<x>[^|\[\]]+)\|(?P<w>[^=]+)=(?P<at>.+)$")
_JN = re.compile(r"^JN point (?P<k>\d+) \((?P<w>[^)]+)\)$")
_BOOT = re.compile(r"bootstrap (?P<type>[\w-]+(?: [\w-]+)?), (?P<n>\d+) resamples")

#: Moderator values at which PROCESS reports conditional effects.
AT_LABELS: dict[str, Label] = {
    "-1 SD": Label("低（M − 1 SD）", "Low (M − 1 SD)"),
    "mean": Label("均值（M）", "Mean (M)"),
    "+1 SD": Label("高（M + 1 SD）", "High (M + 1 SD)"),
    "p16": Label("第 16 百分位数", "16th percentile"),
    "p50": Label("第 50 百分位数", "50th percentile"),
    "p84": Label("第 84 百分位数", "84th percentile"),
}
DEFAULT_POINTS = ("-1 SD", "mean", "+1 SD")


def _chain(equation: str, labels: Labels | None) -> list[Label]:
    return [label_for(c.strip(), labels) for c in str(equation).split("→")]


def _join(parts: Sequence[Label]) -> Label:
    out = parts[0]
    for p in parts[1:]:
        out = out + ARROW + p
    return out


def _header(level: float) -> tuple[Text, ...]:
    pct = f"{level * 100:g}%"
    return (
        Label("路径", "Path"),
        Label("效应值", "Effect"),
        Label("Boot SE", "Boot SE"),
        Label(f"Boot {pct} CI", f"Boot {pct} CI"),
    )


def _method_note(methods: Sequence[str], level: float) -> Label:
    """Describe the CIs from the ``method`` strings (bootstrap type and resamples, or t-based)."""
    pct = f"{level * 100:g}%"
    zh, en = [], []
    boots = sorted({(m["type"], int(m["n"])) for s in methods if (m := _BOOT.search(str(s)))})
    for kind, n in boots:
        kind_zh = {"percentile": "百分位", "bias-corrected": "偏差校正"}.get(kind, kind)
        zh.append(f"Bootstrap {kind_zh}法 {pct} 置信区间（{n:,} 次重抽样）")
        en.append(f"{kind} bootstrap {pct} CIs ({n:,} resamples)")
    if any("conditional effect (OLS)" in str(s) for s in methods):
        zh.append(f"条件效应的 {pct} 置信区间基于 OLS 标准误与 t 分布")
        en.append(f"{pct} CIs of conditional effects from OLS SEs and the t distribution")
    if any(str(s).startswith("Johnson") for s in methods):
        zh.append("Johnson–Neyman 临界点为条件效应显著性发生变化处的调节变量取值")
        en.append(
            "Johnson–Neyman points are the moderator values where the conditional effect's "
            "CI crosses zero"
        )
    zh.append("置信区间不包含 0 表示效应显著")
    en.append("an effect is supported when its CI excludes zero")
    en_text = "; ".join(en)
    return Label("；".join(zh) + "。", en_text[:1].upper() + en_text[1:] + ".")


def _select(effects: pd.DataFrame, specs: str | Sequence[str] | None) -> pd.DataFrame:
    require_columns(effects, EFFECT_COLUMNS, "effects")
    if specs is None:
        return effects
    specs = [specs] if isinstance(specs, str) else list(specs)
    missing = [s for s in specs if s not in set(effects["spec"])]
    if missing:
        raise TableError(
            f"effects: no rows for spec(s) {missing}; available: {sorted(effects['spec'].unique())}"
        )
    order = {s: i for i, s in enumerate(specs)}
    out = effects[effects["spec"].isin(specs)]
    return out.iloc[sorted(range(len(out)), key=lambda i: order[out["spec"].iloc[i]])]


def _effect_row(stub: Text, r, style: NumberStyle, decimals: int | None, indent: int = 0) -> Row:
    kw = {"decimals": decimals, "style": style}
    return Row(
        (
            stub,
            fmt_num(r.estimate, "effect", **kw),
            fmt_num(r.se, "effect", missing=DASH, **kw),
            fmt_ci(r.ci_low, r.ci_high, "effect", missing=DASH, **kw),
        ),
        indent=indent,
    )


def mediation_table(
    effects: pd.DataFrame,
    labels: Labels | None = None,
    *,
    specs: str | Sequence[str] | None = None,
    level: float = 0.95,
    name: str = "mediation",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    decimals: int | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Indirect effects with bootstrap SEs and CIs, one panel per causal chain.

    Uses the rows whose term is ``ind[<mediators>]`` or ``ind[total]`` (unconditional); a row
    reads "经由 M1 → M2 / Via M1 → M2". `level` only labels the CI column (the stage's
    ``models.ci``).
    """
    data = _select(effects, specs)
    data = data[data["term"].astype(str).str.match(_IND.pattern)]
    if data.empty:
        raise TableError("mediation_table: no indirect effects (terms ind[...]) in the selection")
    panels = []
    for (_, eq), sub in data.groupby(["spec", "equation"], sort=False):
        rows = []
        for r in sub.itertuples(index=False):
            path = _IND.match(str(r.term))["path"]
            if path == "total":
                stub: Text = Label("总间接效应", "Total indirect effect")
            else:
                mediators = [label_for(m.strip(), labels) for m in path.split("->")]
                stub = Label("经由 ", "Via ") + _join(mediators)
            rows.append(_effect_row(stub, r, style, decimals))
        panels.append(Panel(tuple(rows), title=_join(_chain(eq, labels))))
    return Table(
        name=name,
        title=title or Label("中介效应检验", "Indirect Effects"),
        header=_header(level),
        panels=tuple(panels),
        number=number,
        note=_method_note(data["method"].tolist(), level),
        source=source,
    )


def _at_label(at: str, indirect: bool) -> Label:
    """ "低（M − 1 SD）" / "Low (M − 1 SD)"; "间接效应：低…" / "Indirect effect: low…"."""
    base = AT_LABELS.get(at.strip(), Label.both(at.strip()))
    if not indirect:
        return base
    return Label("间接效应：" + base.zh, "Indirect effect: " + base.en[:1].lower() + base.en[1:])


def conditional_effects_table(
    effects: pd.DataFrame,
    labels: Labels | None = None,
    *,
    specs: str | Sequence[str] | None = None,
    points: Sequence[str] = DEFAULT_POINTS,
    level: float = 0.95,
    name: str = "moderation",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    decimals: int | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Moderation and moderated mediation: conditional (indirect) effects, JN points, IMM.

    One panel per equation; rows: the (indirect) effect at each moderator value in `points`
    (keys of `AT_LABELS`), then the Johnson–Neyman points (value in the moderator's units in
    the effect column) and the index of moderated mediation. Unconditional indirect effects are
    left to `mediation_table`.
    """
    unknown = [p for p in points if p not in AT_LABELS]
    if unknown:
        raise TableError(f"conditional_effects_table: unknown points {unknown}; {list(AT_LABELS)}")
    data = _select(effects, specs)
    data = data[~data["term"].astype(str).str.match(_IND.pattern)]
    if data.empty:
        raise TableError("conditional_effects_table: no conditional effects in the selection")
    panels = []
    for (_, eq), sub in data.groupby(["spec", "equation"], sort=False):
        chain = _chain(eq, labels)
        cond, jn, imm, moderators = [], [], [], []
        for r in sub.itertuples(index=False):
            term = str(r.term)
            if m := _COND_IND.match(term):
                moderators.append(m["w"])
                if m["at"].strip() in points:
                    stub = _at_label(m["at"], indirect=True)
                    cond.append(
                        (points.index(m["at"].strip()), _effect_row(stub, r, style, decimals))
                    )
            elif m := _COND.match(term):
                moderators.append(m["w"])
                if m["at"].strip() in points:
                    stub = _at_label(m["at"], indirect=False)
                    cond.append(
                        (points.index(m["at"].strip()), _effect_row(stub, r, style, decimals))
                    )
            elif m := _JN.match(term):
                moderators.append(m["w"])
                stub = Label(f"Johnson–Neyman 临界点 {m['k']}", f"Johnson–Neyman point {m['k']}")
                value = fmt_num(r.estimate, "coef", decimals=decimals, style=style)
                jn.append(Row((stub, value, DASH, DASH)))
            elif m := _IMM.match(term):
                stub = Label("有调节的中介指数", "Index of moderated mediation")
                imm.append(_effect_row(stub, r, style, decimals))
            else:
                raise TableError(
                    f"conditional_effects_table: cannot read the term {term!r} of {r.spec} "
                    f"({eq}); expected X|W=at, ind[M|W=at], imm[M] or 'JN point k (W)'"
                )
        rows = [row for _, row in sorted(cond, key=lambda c: c[0])] + jn + imm
        if not rows:
            continue
        w = list(dict.fromkeys(moderators))
        title_text = _join(chain)
        if w:
            mods = [label_for(x, labels) for x in w]
            title_text = title_text + Label("（调节变量：", " (moderator: ")
            title_text = title_text + Label(
                "、".join(m.zh for m in mods), ", ".join(m.en for m in mods)
            )
            title_text = title_text + Label("）", ")")
        panels.append(Panel(tuple(rows), title=title_text))
    pct = f"{level * 100:g}%"
    return Table(
        name=name,
        title=title or Label("调节效应与条件效应", "Conditional Effects"),
        header=(
            Label("调节变量取值", "Moderator value"),
            Label("效应值", "Effect"),
            "SE",
            f"{pct} CI",
        ),
        panels=tuple(panels),
        number=number,
        note=_method_note(data["method"].tolist(), level),
        source=source,
    )
