"""The report's text, tables and figure list, built from pipeline outputs only.

Every number in the text is read from an output (`jianfu.report.inputs`) and formatted by
`jianfu.tables.formatting`; none is typed. Prose that carries no number (the research background
from the source article's three pillars, the method descriptions) is fixed text in zh and en.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from jianfu.figures.robustness import effect_label
from jianfu.figures.survey import STEP_LABELS
from jianfu.report.inputs import Outputs
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
    aggs = out["aggregates"]
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
    t["did"] = (
        did_table(
            simple[["measure", "outcome", "estimator", "aggregation", "term", "estimate", "se",
                    "ci_low", "ci_high", "p"]],
            did_labels, second="ci", estimator_labels=labels,
        ),
        ["aggregates"],
    )  # fmt: skip
    summary, status = out["spec_curve_summary"], out["spec_curve_status"]
    if not summary.empty:
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


def sections(out: Outputs, labels: dict, simulated: bool) -> list[Section]:
    """All sections, in order, with the numbers read from the outputs."""
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
    panel = out["panel"]
    s.p(
        f"问卷数据来自重庆市基层干部调查，清洗后有效样本{_n(n)}份；行政记录涵盖"
        f"{_n(panel['districts'])}个区县、{_n(panel['townships'])}个乡镇（街道）的"
        f"{_n(panel['months'])}个月，含工作量事件{_n(panel['events_used'])}条、12345工单"
        f"{_n(panel['tickets_used'])}件。问卷模型包括分层回归（按乡镇聚类的稳健标准误）、多层模型、"
        "PROCESS中介与调节（Bootstrap置信区间）和潜变量结构方程模型；政策评估采用交错双重差分"
        "（Callaway–Sant'Anna估计量，并与双向固定效应、Sun–Abraham事件研究对照）。",
        f"The survey of Chongqing's grassroots cadres gives {_n(n)} valid responses after "
        f"cleaning; the office records cover {_n(panel['townships'])} townships in "
        f"{_n(panel['districts'])} districts over {_n(panel['months'])} months, with "
        f"{_n(panel['events_used'])} workload events and {_n(panel['tickets_used'])} 12345 "
        "tickets. Survey models: hierarchical OLS with township-clustered SEs, multilevel "
        "models, PROCESS mediation and moderation with bootstrap CIs, and a latent structural "
        "equation model. Policy evaluation: staggered difference-in-differences "
        "(Callaway–Sant'Anna), contrasted with two-way fixed effects and the Sun–Abraham event "
        "study.",
    )
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
    quality = out["cleaning_quality"]
    s.p(
        f"原始导出共{_n(rows['in'])}行，{_n(rows['clean'])}行进入分析，{_n(rows['quarantined'])}行"
        f"连同原因进入隔离表。按清洗规则依次剔除：{steps['zh']}（见图）。",
        f"The raw export has {_n(rows['in'])} rows: {_n(rows['clean'])} enter the analysis and "
        f"{_n(rows['quarantined'])} are quarantined with their reasons. Removed, rule by rule: "
        f"{steps['en']} (see the figure).",
    )
    if simulated and "rules" in quality:
        worst = min(v.get("precision", 1.0) for v in quality["rules"].values())
        s.p(
            f"在模拟数据上，各清洗规则对已知脏数据的精确率均不低于{fmt_num(worst, 'prop')}。",
            f"On the simulated data every cleaning rule finds the known dirty rows with "
            f"precision of at least {fmt_num(worst, 'prop')}.",
        )
    s.blocks.append(("figure", "cleaning_flow"))
    secs.append(s)

    s = Section({"zh": "四、测量质量", "en": "4. Measurement quality"})
    s.p(
        f"各量表Cronbach's α为{fmt_num(min(alphas), 'alpha')}–{fmt_num(max(alphas), 'alpha')}，"
        f"ω为{fmt_num(min(omegas), 'omega')}–{fmt_num(max(omegas), 'omega')}；验证性因子分析"
        f"拟合良好：CFI = {fmt_num(cfa['cfi'], 'fit')}，TLI = {fmt_num(cfa['tli'], 'fit')}，"
        f"RMSEA = {fmt_num(cfa['rmsea'], 'fit')}，SRMR = {fmt_num(cfa['srmr'], 'fit')}。"
        f"Harman单因子检验中第一个因子解释{_pct(measure['harman_first_factor_share'])}的方差。",
        f"Cronbach's α ranges {fmt_num(min(alphas), 'alpha')}–{fmt_num(max(alphas), 'alpha')} "
        f"and ω {fmt_num(min(omegas), 'omega')}–{fmt_num(max(omegas), 'omega')}; the CFA fits "
        f"well: CFI = {fmt_num(cfa['cfi'], 'fit')}, TLI = {fmt_num(cfa['tli'], 'fit')}, "
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
    h1 = [(m, _coef(coefs, "h1_burden", m)) for m in MEASURES7]
    neg = [m for m, r in h1 if r is not None and r["estimate"] < 0 and r["p"] < 0.05]
    s.p(
        "H1（各项措施降低形式主义负担）：控制个人特征后，"
        + "、".join(_lab(labels, m, "zh") for m in neg)
        + f"对形式主义负担有显著负向影响；外部监督（AS）的效应为"
        f"{_b(_coef(coefs, 'h1_burden', 'AS'), 'zh')}。",
        "H1 (each measure reduces formalism burden): with individual controls, "
        + ", ".join(_lab(labels, m, "en") for m in neg)
        + " lower formalism burden significantly; external supervision (AS): "
        f"{_b(_coef(coefs, 'h1_burden', 'AS'), 'en')}.",
    )
    s.p(
        f"H2：形式主义负担加剧情绪耗竭（{_b(_coef(coefs, 'h2_exhaustion', 'FB'), 'zh')}），"
        f"降低工作投入（{_b(_coef(coefs, 'h2_engagement', 'FB'), 'zh')}）。"
        f"H4：工作投入提升服务成效（{_b(_coef(coefs, 'h4_service', 'WE'), 'zh')}），"
        f"情绪耗竭降低服务成效（{_b(_coef(coefs, 'h4_service', 'EE'), 'zh')}）。"
        "H7：乡镇行政工作量（行政记录）提高个体负担"
        f"（{_b(_coef(coefs, 'h1_burden', 'workload'), 'zh')}）。",
        f"H2: formalism burden raises emotional exhaustion "
        f"({_b(_coef(coefs, 'h2_exhaustion', 'FB'), 'en')}) and lowers work engagement "
        f"({_b(_coef(coefs, 'h2_engagement', 'FB'), 'en')}). H4: engagement improves service "
        f"({_b(_coef(coefs, 'h4_service', 'WE'), 'en')}); exhaustion lowers it "
        f"({_b(_coef(coefs, 'h4_service', 'EE'), 'en')}). H7: township workload from the office "
        f"records raises individual burden ({_b(_coef(coefs, 'h1_burden', 'workload'), 'en')}).",
    )
    s.blocks.append(("table", "regression"))
    s.blocks += [("figure", "coefficients"), ("figure", "path_diagram")]
    x_dl = _coef(coefs, "h1_burden", "DE:DL")
    x_ft = _coef(coefs, "h2_exhaustion", "FB:FT")
    s.p(
        f"H3：数字素养强化数字赋能的减负作用（交互项{_b(x_dl, 'zh')}），容错纠错缓冲负担对情绪"
        f"耗竭的影响（交互项{_b(x_ft, 'zh')}）。",
        f"H3: digital literacy strengthens digital empowerment's effect on burden (interaction "
        f"{_b(x_dl, 'en')}); fault tolerance buffers burden's effect on exhaustion (interaction "
        f"{_b(x_ft, 'en')}).",
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
    aggs = out["aggregates"]
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
    secs.append(s)

    s = Section({"zh": "七、结论与政策建议", "en": "7. Conclusions and recommendations"})
    s.p(
        "结果支持“三位一体”的减负路径：正确政绩观与协同机制直接减轻形式主义负担，负担减轻又通过"
        "改善干部状态提升服务成效；一表通等措施在落地后数月内显著减少重复填报。建议：以职责清单"
        "为基础持续精简文件会议；数字赋能与干部数字素养培训同步推进；把容错纠错落到实处；"
        "对督查检查实行统筹与“负面清单”管理，并用12345等外部反馈持续评估减负成效。",
        "The results support the three-pillar approach: a correct view of achievement and the "
        "synergy mechanism reduce formalism burden directly, and lower burden improves service "
        "through cadres' state; one-form reporting and the other measures cut repeated "
        "reporting within months of adoption. Recommendations: keep cutting documents and "
        "meetings on the basis of duty lists; pair digital empowerment with digital-literacy "
        "training; make fault tolerance real; coordinate inspections under a negative list, "
        "and keep evaluating burden reduction with external feedback such as the 12345 line.",
    )
    secs.append(s)

    s = Section({"zh": "附录", "en": "Appendix"})
    if simulated:
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
    _robustness(s, out)
    s.p(
        "问卷全文见 reports/questionnaire/（中、英文 Markdown 与 Word）。",
        "The full questionnaire: reports/questionnaire/ (Markdown and Word, zh and en).",
    )
    secs.append(s)
    return secs


def _robustness(s: Section, out: Outputs) -> None:
    """The specification curve: what was varied, how robust the key effects are, caveats."""
    summary, status = out["spec_curve_summary"], out["spec_curve_status"]
    fams = status["families"]
    s.p(
        f"稳健性（规格曲线，Simonsohn, Simmons, & Nelson, 2020）：关键效应在"
        f"{_n(fams['survey']['specifications'])}个问卷分析规格（过快作答阈值、直线作答与注意力题"
        f"的处理、构念得分、控制变量、标准误、OLS/多层模型/结构方程）和"
        f"{_n(fams['policy']['specifications'])}个政策评估规格（对照组、标准误、基期水平条件、"
        "估计量）下重新估计，每个规格是一次 DVC 实验（jianfu spec-curve run）。",
        f"Robustness (specification curve; Simonsohn, Simmons, & Nelson, 2020): the key effects "
        f"were re-estimated under {_n(fams['survey']['specifications'])} survey specifications "
        "(speeder cut-off, handling of straight-liners and failed attention checks, scores, "
        "controls, standard errors, OLS/multilevel/SEM) and "
        f"{_n(fams['policy']['specifications'])} policy specifications (comparison group, "
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


def first_page_notice(simulated: bool) -> dict[str, str] | None:
    """The first-page notice when the data are simulated."""
    if not simulated:
        return None
    return {
        "zh": "说明：本报告使用模拟数据（jianfu 内置的默认数据），所有数字仅用于演示流程与检验"
        "方法，不代表重庆市基层的真实情况。",
        "en": "Note: this report uses simulated data (jianfu's built-in default data). Every "
        "number demonstrates the pipeline and checks its methods; none describes real "
        "townships in Chongqing.",
    }
