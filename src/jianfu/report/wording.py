"""Sentences about estimates whose verbs and adjectives follow the estimate and the verdict.

Nothing here states a result by itself: `clause` reads one row of the verdict table
(`jianfu.report.verdicts.evaluate`) and chooses the verb from the sign and significance of the
estimate (显著降低 / 显著提高 / 影响不显著), the qualifier from the verdict's reason
(稳健 / 稳健性不足 / 事前趋势), and prints the numbers through `jianfu.report.numbers` (so each
is in the ledger).
"""

from __future__ import annotations

import pandas as pd

from jianfu.report import verdicts as V
from jianfu.report.numbers import cite, cite_ci, cite_p, cite_pct

ZH_SEP, EN_SEP = "，", ", "


def label(labels: dict, code: str, lang: str) -> str:
    """A code's label ('FB:FT' → 形式主义负担×容错纠错; 'PV→FB→SO' → 正确政绩观→…)."""
    if ":" in code:
        return "×".join(label(labels, c, lang) for c in code.split(":"))
    if "→" in code:
        return "→".join(label(labels, c, lang) for c in code.split("→"))
    text = labels.get(code, {}).get(lang, code)
    if lang == "en" and len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]  # mid-sentence: "raises emotional exhaustion"
    return text


def capitalized(text: str) -> str:
    """The sentence's first letter in upper case."""
    return text[:1].upper() + text[1:]


def significant(row) -> int:
    """+1 / −1 when the row's CI excludes 0 (above / below), else 0."""
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return 0
    if float(row["ci_low"]) > 0:
        return 1
    if float(row["ci_high"]) < 0:
        return -1
    return 0


def number_kind(row) -> str:
    """How a verdict row's estimate prints: a coefficient, or an effect (indirect, ATT)."""
    return "coef" if row["source"] == "coefficients" else "effect"


def input_key(row) -> str:
    """The report input (`jianfu.report.inputs.FILES`) a verdict row's estimate comes from."""
    return {"coefficients": "coefficients", "effects": "effects", "policy": "aggregates"}[
        row["source"]
    ]


def stat(row, lang: str) -> str:
    """'b = −0.11, 95% CI [−0.16, −0.06]' (ATT / indirect effect for the others)."""
    src, kind = input_key(row), number_kind(row)
    sym = {"coefficients": "b", "effects": "ind" if lang == "en" else "间接效应",
           "policy": "ATT"}[row["source"]]  # fmt: skip
    if row["source"] == "effects" and lang == "en":
        sym = "indirect effect"
    ci = {"zh": "95%置信区间", "en": "95% CI"}[lang]
    if row["source"] == "effects":
        ci = {"zh": "95% Bootstrap置信区间", "en": "95% bootstrap CI"}[lang]
    est = cite(row["estimate"], kind, src)
    return f"{sym} = {est}{ZH_SEP if lang == 'zh' else EN_SEP}{ci} " + cite_ci(
        row["ci_low"], row["ci_high"], kind, src
    )


def qualifier(row, lang: str, rules: V.Rules) -> str:
    """The robustness / pre-trend clause, '' when there is none to report."""
    parts = []
    if pd.notna(row.get("curve_share")) and row.get("curve_effect"):
        n = cite(row["curve_specifications"], "n", "spec_curve_summary")
        share = cite_pct(row["curve_share"], "spec_curve_summary", 0)
        if row["reason"] == "not_robust":
            parts.append(
                {"zh": f"但在{n}个分析规格中仅{share}同号且显著，稳健性不足",
                 "en": f"but only {share} of {n} specifications find it significant with this "
                       "sign: not robust"}[lang]
            )  # fmt: skip
        elif row["prediction"] == "0":
            parts.append(
                {"zh": f"{n}个分析规格中{share}显著",
                 "en": f"significant in {share} of {n} specifications"}[lang]
            )  # fmt: skip
        else:
            parts.append(
                {"zh": f"在{n}个分析规格中{share}同号且显著",
                 "en": f"significant with this sign in {share} of {n} specifications"}[lang]
            )  # fmt: skip
    if pd.notna(row.get("pretrend_p")):
        p = cite_p(row["pretrend_p"], "pretrends")
        if row["reason"] == "pretrend":
            parts.append(
                {"zh": f"但事前趋势检验拒绝平行趋势（p = {p}），结论需谨慎",
                 "en": f"but the pre-trend test rejects parallel trends (p = {p}): read with "
                       "care"}[lang]
            )  # fmt: skip
        else:
            parts.append(
                {"zh": f"事前趋势检验未拒绝平行趋势（p = {p}）",
                 "en": f"the pre-trend test does not reject parallel trends (p = {p})"}[lang]
            )  # fmt: skip
    return (ZH_SEP if lang == "zh" else "; ").join(parts)


def _effect_verbs(direction: int, lang: str) -> str:
    return {
        ("zh", 1): "显著提高", ("zh", -1): "显著降低",
        ("en", 1): "significantly raises", ("en", -1): "significantly lowers",
    }[(lang, direction)]  # fmt: skip


def clause(row, labels: dict, lang: str, rules: V.Rules, main: pd.Series | None = None) -> str:
    """One estimate as a sentence fragment whose verb follows the estimate.

    `main`: for an interaction a:b, the row of a's own effect in the same spec (decides
    whether b strengthens or weakens it).
    """
    d = significant(row)
    st = stat(row, lang)
    q = qualifier(row, lang, rules)
    q = (ZH_SEP + q if lang == "zh" else "; " + q) if q else ""
    src = row["source"]
    if src == "policy":
        m, o = label(labels, row["equation"], lang), label(labels, row["term"], lang)
        if lang == "zh":
            verb = {1: "显著增加", -1: "显著减少", 0: "无显著变化"}[d]
            return f"{m}实施后，{o}{verb}（{st}{q}）"
        verb = {1: "significantly raises", -1: "significantly lowers",
                0: "does not significantly change"}[d]  # fmt: skip
        return f"{m} {verb} {o} ({st}{q})"
    if src == "effects":
        path = label(labels, row["equation"], lang)
        if lang == "zh":
            verb = {1: "显著为正", -1: "显著为负", 0: "不显著（置信区间含0）"}[d]
            return f"{path}的间接效应{verb}（{st}{q}）"
        verb = {1: "is positive", -1: "is negative", 0: "is not significant (CI includes 0)"}[d]
        return f"the indirect effect {path} {verb} ({st}{q})"
    y = label(labels, row["equation"], lang)
    term = str(row["term"])
    if ":" in term:
        a, b = term.split(":", 1)
        la, lb = label(labels, a, lang), label(labels, b, lang)
        if d == 0:
            if lang == "zh":
                return f"{lb}对{la}与{y}关系的调节作用不显著（交互项{st}{q}）"
            return (
                f"{lb} does not significantly moderate {la}'s effect on {y} (interaction {st}{q})"
            )
        base = 0 if main is None else significant(main) or (1 if main["estimate"] > 0 else -1)
        strengthens = base == d
        if lang == "zh":
            verb = "强化" if strengthens else "减弱"
            return f"{lb}{verb}了{la}对{y}的影响（交互项{st}{q}）"
        verb = "strengthens" if strengthens else "weakens"
        return f"{lb} {verb} {la}'s effect on {y} (interaction {st}{q})"
    x = label(labels, term, lang)
    if d == 0:
        if lang == "zh":
            return f"{x}对{y}的影响不显著（{st}{q}）"
        return f"{x} has no significant effect on {y} ({st}{q})"
    if lang == "zh":
        return f"{x}{_effect_verbs(d, lang)}{y}（{st}{q}）"
    return f"{x} {_effect_verbs(d, lang)} {y} ({st}{q})"


def verdict_label(verdict: str, lang: str) -> str:
    return V.VERDICT_LABELS[verdict][lang]
