"""The report's text, tables and figure list, built from pipeline outputs only.

Every number in the text is read from an output (`jianfu.report.inputs`) and formatted by
`jianfu.tables.formatting`; none is typed, and the direction a sentence states (raises, lowers,
no significant effect) follows the estimate and its p-value. Prose that carries no number (the
research background from the source article's three pillars, the method descriptions) is fixed
text in zh and en.

Data source (params ``data.source``): the first page says which data the report comes from;
only the simulated data get the "simulated data" notice and the checks against the truth. A
part whose stage was skipped (the checks against the truth; the office records, the policy
evaluation and the policy half of the specification curve) is left out with one sentence giving
the stage's reason (`skipped_note`), and its tables are not built.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from jianfu.core.params import reason_zh
from jianfu.figures.robustness import effect_label
from jianfu.figures.survey import STEP_LABELS
from jianfu.report.inputs import FILES, Outputs
from jianfu.tables import (
    conditional_effects_table,
    descriptives_table,
    did_table,
    fit_table,
    fmt_ci,
    fmt_num,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    mediation_table,
    regression_table,
    reliability_table,
)
from jianfu.tables.build_robustness import spec_curve_table
from jianfu.tables.table import Label, Table

MEASURES7 = ["PV", "RL", "DM", "DE", "FC", "FT", "AS"]


@dataclass
class Section:
    """A report section: heading and blocks (("p", text) | ("table", key) | ("figure", key))."""

    heading: dict[str, str]
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def p(self, zh: str, en: str) -> None:
        self.blocks.append(("p", {"zh": zh, "en": en}))


def _n(x) -> str:
    return fmt_num(x, "n")


def _pct(x, decimals: int = 1) -> str:
    return f"{100 * float(x):.{decimals}f}%"


def _lab(labels, code, lang) -> str:
    return labels.get(code, {}).get(lang, code)


def tables(out: Outputs, labels: dict) -> dict[str, tuple[Table, list[str]]]:
    """The report's tables: key -> (Table, the input keys it is built from)."""
    coefs, fit, effects = out["coefficients"], out["fit"], out["effects"]
    t = {}
    t["descriptives"] = (
        descriptives_table(out["table1_summary"], out["table1_correlations"], labels),
        ["table1_summary", "table1_correlations"],
    )
    t["reliability"] = (
        reliability_table(out["reliability"], out["cr_ave"], labels),
        ["reliability", "cr_ave"],
    )
    t["fornell_larcker"] = (
        fornell_larcker_table(
            out["fornell_larcker"].set_index(out["fornell_larcker"].columns[0]), labels
        ),
        ["fornell_larcker"],
    )
    t["htmt"] = (htmt_table(out["htmt"].set_index(out["htmt"].columns[0]), labels), ["htmt"])
    t["fit"] = (
        fit_table(measurement_fits(out["cfa_fit"], out["method_fits"], fit)),
        ["cfa_fit", "method_fits", "fit"],
    )
    specs = [s for s in ("h1_burden", "h2_exhaustion", "h2_engagement", "h4_service")
             if s in set(coefs["spec"])]  # fmt: skip
    t["regression"] = (
        regression_table(
            coefs, fit, specs, labels,
            collapse=["gender", "age_band", "education", "tenure_band", "leader"],
        ),
        ["coefficients", "fit"],
    )  # fmt: skip
    med = [s for s in ("h5_serial", "h5_exhaustion") if s in set(effects["spec"])]
    t["mediation"] = (mediation_table(effects, labels, specs=med), ["effects"])
    mod = [
        s
        for s in ("h3_digital_literacy", "h3_fault_tolerance", "h3_moderated_mediation_a",
                  "h3_moderated_mediation_b")
        if s in set(effects["spec"])
    ]  # fmt: skip
    t["moderation"] = (conditional_effects_table(effects, labels, specs=mod), ["effects"])
    if out.has("aggregates"):
        t["did"] = _did(out["aggregates"], labels)
    if out.has("spec_curve_summary") and not out["spec_curve_summary"].empty:
        summary, status = out["spec_curve_summary"], out["spec_curve_status"]
        names = {
            e: Label(effect_label(e, labels, "zh"), effect_label(e, labels, "en"))
            for e in summary["effect"]
        }
        t["spec_curve"] = (
            spec_curve_table(summary, names, alpha=float(status["alpha"])),
            ["spec_curve_summary", "spec_curve_status"],
        )
    return {
        key: (replace(table, number=k, source=_source(out, keys)), keys)
        for k, (key, (table, keys)) in enumerate(t.items(), start=1)
    }


def _did(aggs: pd.DataFrame, labels: dict) -> tuple[Table, list[str]]:
    """The DiD table: simple ATTs of every estimator, one panel per measure → outcome."""
    simple = aggs[aggs["aggregation"].isin(["simple", "static"])].copy()
    # one column per estimator: each panel is a measure → outcome pair, TWFE's treat×post
    # coefficient on the same row as the ATTs
    simple["outcome"] = simple["measure"] + "→" + simple["outcome"]
    did_labels = dict(labels)
    for pair in simple["outcome"].unique():
        m, o = pair.split("→")
        did_labels[pair] = {
            lang: f"{_lab(labels, m, lang)} → {_lab(labels, o, lang)}" for lang in ("zh", "en")
        }
    did_labels["ATT"] = {"zh": "平均处理效应", "en": "Average treatment effect"}
    simple = simple.assign(measure="ATT", aggregation="simple", term="ATT")
    return (
        did_table(
            simple[["measure", "outcome", "estimator", "aggregation", "term", "estimate", "se",
                    "ci_low", "ci_high", "p"]],
            did_labels, second="ci", estimator_labels=labels,
        ),
        ["aggregates"],
    )  # fmt: skip


def _source(out: Outputs, keys: list[str]) -> dict[str, str]:
    files = "; ".join(out.source(k) for k in keys)
    return {"zh": f"jianfu 流水线输出：{files}", "en": f"jianfu pipeline outputs: {files}"}


def _coef(coefs: pd.DataFrame, spec: str, term: str) -> pd.Series | None:
    rows = coefs[(coefs["spec"] == spec) & (coefs["term"] == term)]
    if rows.empty:
        return None
    return rows[rows["step"] == rows["step"].max()].iloc[0]


def _b(row, lang: str, *, std: bool = False) -> str:
    """'b = −0.11, 95% CI [−0.16, −0.06]' (β for standardized)."""
    if row is None:
        return "—"
    if std:
        est, lo, hi, sym, kind = row["std"], row["std_ci_low"], row["std_ci_high"], "β", "beta"
    else:
        est, lo, hi, sym, kind = row["estimate"], row["ci_low"], row["ci_high"], "b", "coef"
    ci = "95% CI" if lang == "en" else "95%置信区间"
    return f"{sym} = {fmt_num(est, kind)}, {ci} {fmt_ci(lo, hi, kind)}"


#: significance level of the directions the text states
ALPHA = 0.05
NOT_SIG = {"zh": "未显著影响", "en": "does not significantly affect"}


def _sign(row) -> int:
    """+1 / −1 for an estimate significant at `ALPHA`, 0 otherwise (or when not estimated)."""
    if row is None or pd.isna(row["p"]) or float(row["p"]) >= ALPHA:
        return 0
    return 1 if float(row["estimate"]) > 0 else -1


def _claims(clauses: list[tuple], lang: str) -> str:
    """'A 加剧 B（b = …），降低 C（b = …）' from (row, subject, up, down, object) clauses: the verb
    follows the estimate (`_sign`); a repeated subject is not repeated; a term that was not
    estimated (row None) is left out. '' when no clause remains."""
    parts, last = [], None
    for row, subj, up, down, obj in clauses:
        if row is None:
            continue
        verb = {1: up, -1: down, 0: NOT_SIG}[_sign(row)][lang]
        head = "" if subj == last else subj[lang]
        last = subj
        if lang == "zh":
            parts.append(f"{head}{verb}{obj[lang]}（{_b(row, lang)}）")
        else:
            parts.append(f"{head} {verb} {obj[lang]} ({_b(row, lang)})".strip())
    if lang == "zh" or len(parts) < 2:
        return "，".join(parts) if lang == "zh" else "".join(parts)
    return "; ".join(parts[:-1]) + " and " + parts[-1]


def _w(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def skipped_note(
    out: Outputs, keys: list[str], zh: str, en: str, also: dict[str, str] | None = None
) -> dict[str, str]:
    """One sentence: `zh` / `en` (what is left out) and why: the reasons of the skipped stages
    behind `keys` (and of `also`: stage -> reason, for a skip recorded inside an output)."""
    skipped = [k for k in keys if k in out.skipped]
    why_by_stage = {FILES[k][0]: out.skipped[k] for k in skipped} | (also or {})
    stages = list(why_by_stage)
    reasons = list(dict.fromkeys(r.strip().rstrip(".。") for r in why_by_stage.values()))
    why = "; ".join(reasons)
    why_zh = "；".join(dict.fromkeys(reason_zh(r) for r in reasons))
    return {
        "zh": f"{zh}未进行：{'、'.join(stages)}阶段已跳过（{why_zh}）。",
        "en": f"{en} is left out: "
        + (f"stage {stages[0]} was" if len(stages) == 1 else f"stages {', '.join(stages)} were")
        + f" skipped ({why}).",
    }


def _note(s: Section, note: dict[str, str]) -> None:
    s.p(note["zh"], note["en"])


def sections(out: Outputs, labels: dict, source: str) -> list[Section]:
    """All sections, in order, with the numbers read from the outputs. `source` is params
    ``data.source``; parts whose stage was skipped are left out with `skipped_note`."""
    simulated = source == "simulated"
    has_panel, has_policy = out.has("panel"), out.has("aggregates")
    ing = out["ingest"]["survey"]
    rows = ing["rows"]
    measure = out["measure"]
    coefs, fit, effects = out["coefficients"], out["fit"], out["effects"]
    rel = measure["reliability"]
    alphas = [v["alpha"] for v in rel.values()]
    omegas = [v["omega"] for v in rel.values()]
    cfa = measure["cfa"]
    secs: list[Section] = []

    s = Section({"zh": "一、研究背景", "en": "1. Background"})
    s.p(
        "为基层减负，是整治形式主义的重要内容。本研究围绕三条路径展开：一是树立和践行正确政绩观，"
        "从源头减少“痕迹管理”和层层加码；二是构建协同机制——厘清职责清单、精简文件会议、以数字"
        "赋能减少重复填报；三是完善高效的外部监督，畅通反馈渠道，落实容错纠错，改进督查检查。"
        "报告检验这些措施如何通过减轻形式主义负担，影响基层干部的身心状态和服务群众的成效。",
        "Reducing the burden on grassroots cadres is central to China's campaign against "
        "formalism. The study follows three pillars: a correct view of achievement that stops "
        "box-ticking at its source; a synergy mechanism of duty lists, fewer documents and "
        "meetings and digital empowerment; and efficient external supervision with feedback "
        "channels, fault tolerance and better inspections. The report tests how these measures "
        "act through formalism burden on cadres' state and on their service to residents.",
    )
    secs.append(s)

    s = Section({"zh": "二、数据与方法", "en": "2. Data and methods"})
    n = int(rows["clean"])
    survey_zh = "重庆市基层干部调查" if simulated else "课题组自有的基层干部调查"
    survey_en = (
        "The survey of Chongqing's grassroots cadres"
        if simulated
        else "The team's own survey of grassroots cadres"
    )
    data_zh = f"问卷数据来自{survey_zh}，清洗后有效样本{_n(n)}份"
    data_en = f"{survey_en} gives {_n(n)} valid responses after cleaning"
    if has_panel:
        panel = out["panel"]
        data_zh += (
            f"；行政记录涵盖{_n(panel['districts'])}个区县、{_n(panel['townships'])}个乡镇（街道）的"
            f"{_n(panel['months'])}个月，含工作量事件{_n(panel['events_used'])}条、12345工单"
            f"{_n(panel['tickets_used'])}件"
        )
        data_en += (
            f"; the office records cover {_n(panel['townships'])} townships in "
            f"{_n(panel['districts'])} districts over {_n(panel['months'])} months, with "
            f"{_n(panel['events_used'])} workload events and {_n(panel['tickets_used'])} 12345 "
            "tickets"
        )
    methods_zh = (
        "问卷模型包括分层回归（按乡镇聚类的稳健标准误）、多层模型、PROCESS中介与调节（Bootstrap"
        "置信区间）和潜变量结构方程模型"
    )
    methods_en = (
        "Survey models: hierarchical OLS with township-clustered SEs, multilevel models, PROCESS "
        "mediation and moderation with bootstrap CIs, and a latent structural equation model"
    )
    if has_policy:
        methods_zh += (
            "；政策评估采用交错双重差分（Callaway–Sant'Anna估计量，并与双向固定效应、Sun–Abraham"
            "事件研究对照）"
        )
        methods_en += (
            ". Policy evaluation: staggered difference-in-differences (Callaway–Sant'Anna), "
            "contrasted with two-way fixed effects and the Sun–Abraham event study"
        )
    s.p(f"{data_zh}。{methods_zh}。", f"{data_en}. {methods_en}.")
    if not has_panel:
        _note(s, skipped_note(out, ["panel"], "行政记录的面板分析", "The office records' panel"))
    secs.append(s)

    s = Section({"zh": "三、样本与数据清洗", "en": "3. Sample and data cleaning"})
    flow = out["cleaning_flow"]
    removed = flow[flow["removed"] > 0].sort_values("removed", ascending=False, kind="stable")
    steps = {
        lang: ("；" if lang == "zh" else "; ").join(
            f"{STEP_LABELS.get(r.step, {}).get(lang, r.step)}"
            + (f"（{_n(r.removed)}）" if lang == "zh" else f" ({_n(r.removed)})")
            for r in removed.itertuples(index=False)
        )
        for lang in ("zh", "en")
    }
    s.p(
        f"原始导出共{_n(rows['in'])}行，{_n(rows['clean'])}行进入分析，{_n(rows['quarantined'])}行"
        f"连同原因进入隔离表。按清洗规则依次剔除：{steps['zh']}（见图）。",
        f"The raw export has {_n(rows['in'])} rows: {_n(rows['clean'])} enter the analysis and "
        f"{_n(rows['quarantined'])} are quarantined with their reasons. Removed, rule by rule: "
        f"{steps['en']} (see the figure).",
    )
    if not out.has("cleaning_quality"):
        _note(
            s,
            skipped_note(
                out,
                ["cleaning_quality"],
                "清洗规则与已知脏数据的核对",
                "The check of the cleaning rules against the known dirty rows",
            ),
        )
    elif simulated and "rules" in out["cleaning_quality"]:
        quality = out["cleaning_quality"]
        worst = min(v.get("precision", 1.0) for v in quality["rules"].values())
        s.p(
            f"在模拟数据上，各清洗规则对已知脏数据的精确率均不低于{fmt_num(worst, 'prop')}。",
            f"On the simulated data every cleaning rule finds the known dirty rows with "
            f"precision of at least {fmt_num(worst, 'prop')}.",
        )
    s.blocks.append(("figure", "cleaning_flow"))
    secs.append(s)

    s = Section({"zh": "四、测量质量", "en": "4. Measurement quality"})
    # Hu & Bentler (1999): CFI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08
    good = cfa["cfi"] >= 0.95 and cfa["rmsea"] <= 0.06 and cfa["srmr"] <= 0.08
    s.p(
        f"各量表Cronbach's α为{fmt_num(min(alphas), 'alpha')}–{fmt_num(max(alphas), 'alpha')}，"
        f"ω为{fmt_num(min(omegas), 'omega')}–{fmt_num(max(omegas), 'omega')}；验证性因子分析"
        f"{'拟合良好' if good else '的拟合指标为'}：CFI = {fmt_num(cfa['cfi'], 'fit')}，"
        f"TLI = {fmt_num(cfa['tli'], 'fit')}，"
        f"RMSEA = {fmt_num(cfa['rmsea'], 'fit')}，SRMR = {fmt_num(cfa['srmr'], 'fit')}。"
        f"Harman单因子检验中第一个因子解释{_pct(measure['harman_first_factor_share'])}的方差。",
        f"Cronbach's α ranges {fmt_num(min(alphas), 'alpha')}–{fmt_num(max(alphas), 'alpha')} "
        f"and ω {fmt_num(min(omegas), 'omega')}–{fmt_num(max(omegas), 'omega')}; the CFA "
        f"{'fits well' if good else 'fit indices are'}: CFI = {fmt_num(cfa['cfi'], 'fit')}, "
        f"TLI = {fmt_num(cfa['tli'], 'fit')}, "
        f"RMSEA = {fmt_num(cfa['rmsea'], 'fit')}, SRMR = {fmt_num(cfa['srmr'], 'fit')}. "
        f"In Harman's test the first factor explains "
        f"{_pct(measure['harman_first_factor_share'])} of the variance.",
    )
    for key in ("reliability", "fornell_larcker", "htmt", "fit"):
        s.blocks.append(("table", key))
    s.blocks += [("figure", "likert_measures"), ("figure", "likert_outcomes"),
                 ("figure", "cfa_loadings")]  # fmt: skip
    secs.append(s)

    s = Section({"zh": "五、实证结果", "en": "5. Results"})
    s.blocks += [("table", "descriptives"), ("figure", "correlations")]
    _hypotheses(s, coefs, effects, labels)
    s.blocks += [("table", "mediation"), ("figure", "mediation")]
    sem_fit = fit[(fit["spec"] == "sem")].set_index("statistic")["value"]
    if len(sem_fit):
        s.p(
            f"潜变量结构方程模型（含共同方法因子）拟合：CFI = {fmt_num(sem_fit['cfi'], 'fit')}，"
            f"RMSEA = {fmt_num(sem_fit['rmsea'], 'fit')}；标准化路径见路径图。",
            f"The latent structural model (with a common-method factor) fits with CFI = "
            f"{fmt_num(sem_fit['cfi'], 'fit')}, RMSEA = {fmt_num(sem_fit['rmsea'], 'fit')}; "
            "the standardized paths are in the path diagram.",
        )
    secs.append(s)

    s = Section({"zh": "六、政策效果评估", "en": "6. Policy evaluation"})
    if has_policy:
        _policy(s, out["aggregates"], labels)
    else:
        _note(s, skipped_note(out, ["aggregates"], "政策效果评估", "The policy evaluation"))
    secs.append(s)

    s = Section({"zh": "七、结论与政策建议", "en": "7. Conclusions and recommendations"})
    recommend_zh = (
        "建议：以职责清单为基础持续精简文件会议；数字赋能与干部数字素养培训同步推进；把容错纠错"
        "落到实处；对督查检查实行统筹与“负面清单”管理，并用12345等外部反馈持续评估减负成效。"
    )
    recommend_en = (
        "Recommendations: keep cutting documents and meetings on the basis of duty lists; pair "
        "digital empowerment with digital-literacy training; make fault tolerance real; "
        "coordinate inspections under a negative list, and keep evaluating burden reduction "
        "with external feedback such as the 12345 line."
    )
    if simulated and has_policy:
        s.p(
            "结果支持“三位一体”的减负路径：正确政绩观与协同机制直接减轻形式主义负担，负担减轻又"
            "通过改善干部状态提升服务成效；一表通等措施在落地后数月内显著减少重复填报。"
            + recommend_zh,
            "The results support the three-pillar approach: a correct view of achievement and "
            "the synergy mechanism reduce formalism burden directly, and lower burden improves "
            "service through cadres' state; one-form reporting and the other measures cut "
            "repeated reporting within months of adoption. " + recommend_en,
        )
    else:
        where_zh = "第五节和第六节" if has_policy else "第五节"
        where_en = "sections 5 and 6" if has_policy else "section 5"
        s.p(
            "以下建议来自研究设计（“三位一体”的减负路径），不是本报告的估计结果；本次数据是否"
            f"支持它们，以{where_zh}的估计值与置信区间为准。" + recommend_zh,
            "The recommendations below come from the study design (the three-pillar approach), "
            f"not from this report's estimates; whether these data support them is shown by "
            f"the estimates and confidence intervals of {where_en}. " + recommend_en,
        )
    secs.append(s)

    s = Section({"zh": "附录", "en": "Appendix"})
    _truth_checks(s, out, simulated)
    _robustness(s, out)
    s.p(
        "问卷全文见 reports/questionnaire/（中、英文 Markdown 与 Word）。",
        "The full questionnaire: reports/questionnaire/ (Markdown and Word, zh and en).",
    )
    secs.append(s)
    return secs


FB = _w("形式主义负担", "formalism burden")


def _hypotheses(s: Section, coefs: pd.DataFrame, effects: pd.DataFrame, labels: dict) -> None:
    """H1–H5 and H7: each sentence states the direction its estimate shows (`_sign`)."""
    h1 = [(m, _coef(coefs, "h1_burden", m)) for m in MEASURES7]
    neg = [m for m, r in h1 if _sign(r) < 0]
    pos = [m for m, r in h1 if _sign(r) > 0]
    as_row = _coef(coefs, "h1_burden", "AS")
    zh = "H1（各项措施降低形式主义负担）：控制个人特征后，"
    en = "H1 (each measure reduces formalism burden): with individual controls, "
    if neg:
        zh += "、".join(_lab(labels, m, "zh") for m in neg) + "对形式主义负担有显著负向影响"
        en += (
            ", ".join(_lab(labels, m, "en") for m in neg) + " lower formalism burden significantly"
        )
    else:
        zh += "没有一项措施对形式主义负担有显著负向影响"
        en += "no measure lowers formalism burden significantly"
    if pos:
        zh += "，" + "、".join(_lab(labels, m, "zh") for m in pos) + "有显著正向影响"
        en += "; " + ", ".join(_lab(labels, m, "en") for m in pos) + " raise it significantly"
    if as_row is not None:
        zh += f"；外部监督（AS）的效应为{_b(as_row, 'zh')}"
        en += f"; external supervision (AS): {_b(as_row, 'en')}"
    s.p(zh + "。", en + ".")

    raise_, lower = _w("加剧", "raises"), _w("降低", "lowers")
    improve = _w("提升", "improves")
    h2 = [
        (_coef(coefs, "h2_exhaustion", "FB"), FB, raise_, _w("减轻", "lowers"),
         _w("情绪耗竭", "emotional exhaustion")),
        (_coef(coefs, "h2_engagement", "FB"), FB, _w("提高", "raises"), lower,
         _w("工作投入", "work engagement")),
    ]  # fmt: skip
    service = _w("服务成效", "service")
    h4 = [
        (_coef(coefs, "h4_service", "WE"), _w("工作投入", "engagement"), improve, lower, service),
        (_coef(coefs, "h4_service", "EE"), _w("情绪耗竭", "exhaustion"), improve, lower, service),
    ]
    workload = _coef(coefs, "h1_burden", "workload")
    h7 = [
        (workload, _w("乡镇行政工作量（行政记录）", "township workload from the office records"),
         _w("提高", "raises"), lower, _w("个体负担", "individual burden")),
    ]  # fmt: skip
    zh, en = [], []
    for tag, clauses in (("H2", h2), ("H4", h4), ("H7", h7)):
        if any(c[0] is not None for c in clauses):
            zh.append(f"{tag}：{_claims(clauses, 'zh')}。")
            en.append(f"{tag}: {_claims(clauses, 'en')}.")
    if workload is None:
        zh.append("H7（乡镇行政工作量）未检验：模型中没有乡镇行政工作量（它来自行政记录）。")
        en.append(
            "H7 (township workload) is not tested: the models hold no township workload (it "
            "comes from the office records)."
        )
    if zh:
        s.p("".join(zh), " ".join(en))
    s.blocks.append(("table", "regression"))
    s.blocks += [("figure", "coefficients"), ("figure", "path_diagram")]

    x_dl = _coef(coefs, "h1_burden", "DE:DL")
    x_ft = _coef(coefs, "h2_exhaustion", "FB:FT")
    dl = {
        -1: _w("数字素养强化数字赋能的减负作用", "digital literacy strengthens digital "
               "empowerment's effect on burden"),
        1: _w("数字素养削弱数字赋能的减负作用", "digital literacy weakens digital "
              "empowerment's effect on burden"),
        0: _w("数字素养对数字赋能减负作用的调节不显著", "digital literacy does not significantly "
              "moderate digital empowerment's effect on burden"),
    }  # fmt: skip
    ft = {
        -1: _w("容错纠错缓冲负担对情绪耗竭的影响", "fault tolerance buffers burden's effect on "
               "exhaustion"),
        1: _w("容错纠错放大负担对情绪耗竭的影响", "fault tolerance amplifies burden's effect on "
              "exhaustion"),
        0: _w("容错纠错对负担与情绪耗竭关系的调节不显著", "fault tolerance does not "
              "significantly moderate burden's effect on exhaustion"),
    }  # fmt: skip
    parts = [(row, text[_sign(row)]) for row, text in ((x_dl, dl), (x_ft, ft)) if row is not None]
    if parts:
        s.p(
            "H3：" + "，".join(f"{t['zh']}（交互项{_b(r, 'zh')}）" for r, t in parts) + "。",
            "H3: " + "; ".join(f"{t['en']} (interaction {_b(r, 'en')})" for r, t in parts) + ".",
        )
    s.blocks += [("table", "moderation"), ("figure", "simple_slopes")]
    total = effects[(effects["spec"] == "h5_serial") & (effects["term"] == "ind[total]")]
    if len(total):
        lo, hi = total["estimate"].min(), total["estimate"].max()
        sig = int((total["ci_low"] > 0).sum() + (total["ci_high"] < 0).sum())
        s.p(
            f"H5：各项措施经“形式主义负担→工作投入”影响服务成效的总间接效应为"
            f"{fmt_num(lo, 'effect')}至{fmt_num(hi, 'effect')}，{len(total)}项中{sig}项的"
            "95% Bootstrap置信区间不含0。",
            f"H5: the total indirect effects of the measures on service through burden and "
            f"engagement range {fmt_num(lo, 'effect')} to {fmt_num(hi, 'effect')}; {sig} of "
            f"{len(total)} 95% bootstrap CIs exclude 0.",
        )


def _policy(s: Section, aggs: pd.DataFrame, labels: dict) -> None:
    """H6: the CS simple ATTs, the DiD table and the policy figures."""
    simple = aggs[aggs["aggregation"] == "simple"]
    lines_zh, lines_en = [], []
    for (m, o), part in simple.groupby(["measure", "outcome"], sort=False):
        row = part.sort_values("estimator").iloc[0]
        ci_zh = fmt_ci(row["ci_low"], row["ci_high"], "effect")
        lines_zh.append(
            f"{_lab(labels, m, 'zh')}对{_lab(labels, o, 'zh')}：ATT = "
            f"{fmt_num(row['estimate'], 'effect')}，95%置信区间{ci_zh}"
        )
        lines_en.append(
            f"{_lab(labels, m, 'en')} on {_lab(labels, o, 'en')}: ATT = "
            f"{fmt_num(row['estimate'], 'effect')}, 95% CI {ci_zh}"
        )
    s.p(
        "H6：采用Callaway–Sant'Anna估计量（区县聚类标准误），各项措施的平均处理效应为："
        + "；".join(lines_zh)
        + "。双向固定效应估计在效应动态、异质时有偏（见表与事件研究图）。",
        "H6: Callaway–Sant'Anna average effects (district-clustered SEs): "
        + "; ".join(lines_en)
        + ". Two-way fixed effects are biased when effects are dynamic and heterogeneous (see "
        "the table and the event-study figures).",
    )
    s.blocks += [("table", "did"), ("figure", "district_map"), ("figure", "workload_trends"),
                 ("figure", "event_study"), ("figure", "event_study_documents"),
                 ("figure", "hotline")]  # fmt: skip


def _truth_checks(s: Section, out: Outputs, simulated: bool) -> None:
    """The estimates against the simulated truth; for skipped recoveries one sentence why."""
    has_sr, has_pr = out.has("survey_recovery"), out.has("policy_recovery")
    if simulated and has_sr and has_pr:
        sr, pr = out["survey_recovery"], out["policy_recovery"]
        s.p(
            f"模拟数据检验：问卷模型的{_n(sr['estimands'])}个真值估计目标中，{_n(sr['covered'])}个"
            f"（{_pct(sr['coverage'])}）落在95%置信区间内；政策评估的{_n(pr['attgt_cells'])}个"
            f"ATT(g,t)中{_pct(pr['attgt_coverage_unit_se'])}被乡镇层面置信区间覆盖。数据生成过程见"
            "docs/dgp.md与docs/dgp_admin.md。",
            f"Checks on the simulated data: {_n(sr['covered'])} of {_n(sr['estimands'])} survey "
            f"estimands ({_pct(sr['coverage'])}) lie inside their 95% CIs; "
            f"{_pct(pr['attgt_coverage_unit_se'])} of {_n(pr['attgt_cells'])} ATT(g,t) are "
            "covered by the township-level CIs. The data-generating process: docs/dgp.md and "
            "docs/dgp_admin.md.",
        )
        s.blocks += [("figure", "recovery"), ("figure", "policy_recovery")]
        return
    if simulated and has_sr:
        sr = out["survey_recovery"]
        s.p(
            f"模拟数据检验：问卷模型的{_n(sr['estimands'])}个真值估计目标中，{_n(sr['covered'])}个"
            f"（{_pct(sr['coverage'])}）落在95%置信区间内。数据生成过程见docs/dgp.md。",
            f"Checks on the simulated data: {_n(sr['covered'])} of {_n(sr['estimands'])} survey "
            f"estimands ({_pct(sr['coverage'])}) lie inside their 95% CIs. The data-generating "
            "process: docs/dgp.md.",
        )
        s.blocks.append(("figure", "recovery"))
    skipped = [k for k in ("survey_recovery", "policy_recovery") if k in out.skipped]
    if skipped:
        _note(s, skipped_note(out, skipped, "估计值与真值的对照", "The check of the estimates "
                              "against the true values"))  # fmt: skip


def _robustness(s: Section, out: Outputs) -> None:
    """The specification curve: what was varied, how robust the key effects are, caveats."""
    if not (out.has("spec_curve_summary") and out.has("spec_curve_status")):
        keys = ["spec_curve_summary", "spec_curve_status"]
        _note(s, skipped_note(out, keys, "稳健性分析（规格曲线）",
                              "The robustness analysis (specification curve)"))  # fmt: skip
        return
    summary, status = out["spec_curve_summary"], out["spec_curve_status"]
    fams = status["families"]
    n_survey = fams.get("survey", {}).get("specifications", 0)
    policy_skipped = fams.get("policy", {}).get("skipped")
    if policy_skipped is not None:
        s.p(
            f"稳健性（规格曲线，Simonsohn, Simmons, & Nelson, 2020）：关键效应在{_n(n_survey)}个"
            "问卷分析规格（过快作答阈值、直线作答与注意力题的处理、构念得分、控制变量、标准误、"
            "OLS/多层模型/结构方程）下重新估计，每个规格是一次 DVC 实验（jianfu spec-curve run）。",
            f"Robustness (specification curve; Simonsohn, Simmons, & Nelson, 2020): the key "
            f"effects were re-estimated under {_n(n_survey)} survey specifications (speeder "
            "cut-off, handling of straight-liners and failed attention checks, scores, controls, "
            "standard errors, OLS/multilevel/SEM), each one DVC experiment (jianfu spec-curve "
            "run).",
        )
        _note(s, skipped_note(out, [], "政策评估的规格曲线",
                              "The policy half of the specification curve",
                              also={"spec_policy": str(policy_skipped)}))  # fmt: skip
    else:
        n_policy = fams.get("policy", {}).get("specifications", 0)
        s.p(
            f"稳健性（规格曲线，Simonsohn, Simmons, & Nelson, 2020）：关键效应在"
            f"{_n(n_survey)}个问卷分析规格（过快作答阈值、直线作答与注意力题"
            f"的处理、构念得分、控制变量、标准误、OLS/多层模型/结构方程）和"
            f"{_n(n_policy)}个政策评估规格（对照组、标准误、基期水平条件、"
            "估计量）下重新估计，每个规格是一次 DVC 实验（jianfu spec-curve run）。",
            f"Robustness (specification curve; Simonsohn, Simmons, & Nelson, 2020): the key "
            f"effects were re-estimated under {_n(n_survey)} survey specifications "
            "(speeder cut-off, handling of straight-liners and failed attention checks, scores, "
            "controls, standard errors, OLS/multilevel/SEM) and "
            f"{_n(n_policy)} policy specifications (comparison group, "
            "standard errors, baseline conditioning, estimator), each one DVC experiment "
            "(jianfu spec-curve run).",
        )
    if not summary.empty:
        paths = summary[summary["kind"] == "path"]
        robust = paths[paths["share_significant_same_sign"] >= 0.9]
        s.p(
            f"{len(paths)}项减负措施对形式主义负担的路径中，{len(robust)}项在至少90%的规格下"
            f"与主分析同号且显著；各效应的规格数、中位数、范围与占比见表，规格曲线见图。",
            f"Of the {len(paths)} paths from a measure to formalism burden, {len(robust)} have "
            "the main analysis's sign and are significant in at least 90% of the "
            "specifications; the table gives each effect's specifications, median, range and "
            "shares, the figures the curves.",
        )
    if status["stale"] or not status["complete"]:
        same = {"zh": "否" if status["stale"] else "是", "en": "no" if status["stale"] else "yes"}
        s.p(
            f"注意：已收集的实验结果与本次运行不一致或不完整（已收集{_n(status['collected'])}/"
            f"{_n(status['specifications'])}个规格；均来自本次运行的数据、代码与设置：{same['zh']}）。"
            "请运行 jianfu spec-curve run 更新。",
            f"Caution: the collected experiments are out of date or incomplete "
            f"({_n(status['collected'])} of {_n(status['specifications'])} specifications; "
            f"all made from this run's data, code and settings: {same['en']}). Run "
            "jianfu spec-curve run to update them.",
        )
    if not summary.empty:
        s.blocks += [
            ("table", "spec_curve"),
            ("figure", "spec_curve_summary"),
            ("figure", "spec_curve_path"),
            ("figure", "spec_curve_indirect"),
            ("figure", "spec_curve_att"),
        ]


NOTICE = {
    "zh": "说明：本报告使用模拟数据（jianfu 内置的默认数据），所有数字仅用于演示流程与检验"
    "方法，不代表重庆市基层的真实情况。",
    "en": "Note: this report uses simulated data (jianfu's built-in default data). Every "
    "number demonstrates the pipeline and checks its methods; none describes real "
    "townships in Chongqing.",
}


def first_page(out: Outputs, source: str) -> list[tuple[str, dict[str, str]]]:
    """The first page's paragraphs: ("notice", …) for simulated data only, then ("p", …) the
    data the report comes from (the ingest stage's responses, valid ones and export files read;
    whether office records were used)."""
    rows = out["ingest"]["survey"]["rows"]
    n_in, n_clean = _n(rows["in"]), _n(rows["clean"])
    files = out["ingest"]["survey"].get("files")  # the number of export files read
    from_zh = f"，来自{_n(files)}个导出文件" if files else ""
    from_en = f", from {_n(files)} export file{'s' if files != 1 else ''}" if files else ""
    if source == "simulated":
        line = _w(
            f"数据来源：jianfu 内置的模拟数据，{n_in}份答卷（有效{n_clean}份）{from_zh}；"
            "行政记录同为模拟数据。",
            f"Data: jianfu's built-in simulated data, {n_in} responses ({n_clean} valid)"
            f"{from_en}; the office records are simulated too.",
        )
        return [("notice", NOTICE), ("p", line)]
    admin = (
        _w("；行政记录：课题组提供的部门业务数据", "; office records supplied by the team")
        if out.has("panel")
        else _w("；未使用行政记录", "; no office records")
    )
    line = _w(
        f"数据来源：课题组自有问卷数据，{n_in}份答卷（有效{n_clean}份）{from_zh}{admin['zh']}。",
        f"Data: the research team's own survey, {n_in} responses ({n_clean} valid){from_en}"
        f"{admin['en']}.",
    )
    return [("p", line)]
