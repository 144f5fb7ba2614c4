"""The report's own tables: hypotheses and verdicts, the sample description, pre-trend tests.

Built with `jianfu.tables` (`Table`, the common formatter) from pipeline outputs and the verdict
table (`jianfu.report.verdicts`), like the other tables of the report.
"""

from __future__ import annotations

import pandas as pd

from jianfu.codebook.model import Codebook
from jianfu.report import verdicts as V
from jianfu.report.wording import label
from jianfu.tables.formatting import fmt_ci, fmt_num, fmt_p
from jianfu.tables.table import Label, Panel, Row, Table

SIGN_TEXT = {"+": Label("正向", "positive"), "-": Label("负向", "negative"),
             "0": Label("无影响", "none")}  # fmt: skip


def _estimate_name(row, labels: dict) -> Label:
    if row["source"] == "policy":
        return Label(
            f"{label(labels, row['equation'], 'zh')} → {label(labels, row['term'], 'zh')}",
            f"{label(labels, row['equation'], 'en')} → {label(labels, row['term'], 'en')}",
        )
    if row["source"] == "effects":
        return Label(
            f"{label(labels, row['equation'], 'zh')}（间接）",
            f"{label(labels, row['equation'], 'en')} (indirect)",
        )
    return Label(
        f"{label(labels, row['term'], 'zh')} → {label(labels, row['equation'], 'zh')}",
        f"{label(labels, row['term'], 'en')} → {label(labels, row['equation'], 'en')}",
    )


def hypotheses_table(parts: pd.DataFrame, summary: pd.DataFrame, labels: dict) -> Table:
    """One panel per hypothesis (its statement and verdict as the title), one row per estimate."""
    panels = []
    for h in summary.itertuples(index=False):
        mine = parts[parts["hypothesis"] == h.hypothesis]
        verdict = V.VERDICT_LABELS[h.verdict]
        title = Label(
            f"{h.hypothesis}：{h.statement_zh}（{verdict['zh']}）",
            f"{h.hypothesis}: {h.statement_en} ({verdict['en']})",
        )
        rows = []
        for _, r in mine.iterrows():
            tested = r["verdict"] != V.NOT_TESTED
            kind = "coef" if r["source"] == "coefficients" else "effect"
            share = r["curve_share"]
            rows.append(
                Row(
                    (
                        _estimate_name(r, labels),
                        SIGN_TEXT[str(r["prediction"])],
                        fmt_num(r["estimate"], kind) if tested else "—",
                        fmt_ci(r["ci_low"], r["ci_high"], kind) if tested else "—",
                        "—" if pd.isna(share) else f"{100 * share:.0f}%",
                        "—" if pd.isna(r["pretrend_p"]) else fmt_p(r["pretrend_p"]),
                        Label(**V.VERDICT_LABELS[r["verdict"]]),
                    ),
                    indent=1,
                )
            )
        panels.append(Panel(tuple(rows), title))
    return Table(
        name="hypotheses",
        title=Label("研究假设的检验结果", "Tests of the hypotheses"),
        header=(
            Label("预测", "Prediction"),
            Label("方向", "Sign"),
            Label("估计值", "Estimate"),
            Label("95%置信区间", "95% CI"),
            Label("稳健比例", "Robust share"),
            Label("事前趋势p", "Pre-trend p"),
            Label("判定", "Verdict"),
        ),
        panels=tuple(panels),
        note=Label(
            "估计值为回归系数b、PROCESS间接效应或平均处理效应ATT；“稳健比例”为规格曲线中与预测同号且"
            "显著的规格占比（—：该效应不在规格曲线中）；判定规则见 params.yaml report.verdicts 与 "
            "docs/report.md。",
            "Estimates are coefficients b, PROCESS indirect effects or average treatment effects "
            "(ATT); “robust share” is the share of the specification curve's specifications "
            "significant with the predicted sign (—: not in the curve); the rules are "
            "report.verdicts in params.yaml, explained in docs/report.md.",
        ),
    )


def sample_counts(clean: pd.DataFrame, cb: Codebook, items: list[str]) -> pd.DataFrame:
    """Counts and shares of each option of the background `items` among the valid responses
    (item, code, n, share); missing answers as code NaN."""
    rows = []
    n = len(clean)
    for item_id in items:
        if item_id not in clean.columns:
            continue
        counts = clean[item_id].value_counts(dropna=False)
        scale = cb.scales.get(cb.item(item_id).scale or "")
        codes = list(scale.codes) if scale is not None else sorted(counts.index.dropna())
        for code in codes:
            k = int(counts.get(code, 0))
            rows.append({"item": item_id, "code": code, "n": k, "share": k / n if n else 0.0})
        missing = int(clean[item_id].isna().sum())
        if missing:
            rows.append({"item": item_id, "code": None, "n": missing, "share": missing / n})
    return pd.DataFrame(rows, columns=["item", "code", "n", "share"])


def sample_table(counts: pd.DataFrame, cb: Codebook, n_total: int) -> Table:
    """The sample description: one panel per background item, one row per answer option."""
    panels = []
    for item_id, part in counts.groupby("item", sort=False):
        item = cb.item(item_id)
        scale = cb.scales.get(item.scale or "")
        by_code = {v.code: v.label for v in scale.values} if scale is not None else {}
        rows = []
        for r in part.itertuples(index=False):
            if pd.isna(r.code):
                name = Label("未作答", "No answer")
            else:
                lab = by_code.get(int(r.code))
                name = Label(lab.zh, lab.en) if lab else Label.both(str(r.code))
            rows.append(Row((name, fmt_num(r.n, "n"), f"{100 * r.share:.1f}"), indent=1))
        panels.append(Panel(tuple(rows), Label(item.label.zh, item.label.en)))
    return Table(
        name="sample",
        title=Label("样本特征", "Sample characteristics"),
        header=(Label("特征", "Characteristic"), Label("人数", "n"), Label("占比（%）", "%")),
        panels=tuple(panels),
        note=Label(
            f"有效样本N = {fmt_num(n_total, 'n')}；项目见 params.yaml report.sample_description。",
            f"Valid responses N = {fmt_num(n_total, 'n')}; items: report.sample_description in "
            "params.yaml.",
        ),
    )


def pretrend_table(pretrends: pd.DataFrame, labels: dict, estimators: dict) -> Table:
    """Pre-trend tests: one row per measure → outcome and estimator, F test with both SEs."""
    rows = []
    for r in pretrends.itertuples(index=False):
        name = Label(
            f"{label(labels, r.measure, 'zh')} → {label(labels, r.outcome, 'zh')}",
            f"{label(labels, r.measure, 'en')} → {label(labels, r.outcome, 'en')}",
        )
        est = estimators.get(r.estimator, {"zh": r.estimator, "en": r.estimator})
        rows.append(
            Row(
                (
                    name,
                    Label(est["zh"], est["en"]),
                    fmt_num(r.f_statistic, "stat"),
                    f"{fmt_num(r.df, 'df')}, {fmt_num(r.df_denom, 'df')}",
                    fmt_p(r.p_value_f),
                    "—" if pd.isna(r.p_value_f_unit) else fmt_p(r.p_value_f_unit),
                )
            )
        )
    return Table(
        name="pretrends",
        title=Label("事前趋势检验", "Pre-trend tests"),
        header=(
            Label("措施 → 结果", "Measure → outcome"),
            Label("估计量", "Estimator"),
            Label("F", "F"),
            Label("自由度", "df"),
            Label("p（区县聚类）", "p (district clusters)"),
            Label("p（乡镇层面）", "p (township level)"),
        ),
        panels=(Panel(tuple(rows)),),
        note=Label(
            "原假设：处理前各期的效应均为0（平行趋势）。小样本F检验；区县聚类标准误在仅含一两个区县的"
            "队列中偏小，故同时给出乡镇层面标准误下的p值（docs/policy.md）。",
            "Null: every pre-treatment effect is 0 (parallel trends). Small-sample F test; "
            "district-clustered SEs are too small for cohorts of one or two districts, so the p "
            "under township-level SEs is given too (docs/policy.md).",
        ),
    )
