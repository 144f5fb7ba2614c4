"""The report's text and table list, built from pipeline outputs and the hypothesis verdicts.

Every number in the text is printed through `jianfu.report.numbers` (`cite`: the tables'
formatter, recorded with its source in ``reports/report_numbers.csv``); none is typed. Every
statement of a result comes from the verdict table (`jianfu.report.verdicts`, rules in params
``report.verdicts``) and its verbs from `jianfu.report.wording`: a sign or a verdict that
changes changes the sentence. Prose that states no result (the background from the source
article's three pillars, the hypotheses as params state them, the method descriptions, the
limitations) is fixed text in zh and en. Citations are ``[@key]`` marks that the document
numbers (GB/T 7714, `jianfu.report.references`).

Data source (params ``data.source``): the cover says which data the report comes from; only
the simulated data get the "simulated data" notice and the checks against the truth. A part
whose stage was skipped is left out with one sentence giving the stage's reason
(`skipped_note`), and its tables are not built.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from jianfu.codebook.model import Codebook
from jianfu.core.params import reason_zh
from jianfu.figures.robustness import effect_label
from jianfu.figures.survey import STEP_LABELS
from jianfu.report import report_tables
from jianfu.report import verdicts as V
from jianfu.report.inputs import FILES, Outputs
from jianfu.report.numbers import cite, cite_pct
from jianfu.report.wording import (
    capitalized,
    clause,
    input_key,
    label,
    number_kind,
    significant,
)
from jianfu.tables import (
    conditional_effects_table,
    descriptives_table,
    did_table,
    fit_table,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    mediation_table,
    regression_table,
    reliability_table,
)
from jianfu.tables.build_robustness import spec_curve_table
from jianfu.tables.table import Label, Table


@dataclass
class Section:
    """A report section: heading and blocks (("p", text) | ("table", key) | ("figure", key)).

    `level` 1 or 2 (标题1 / 标题2); `numbered` False for 摘要, 参考文献, 附录 (their headings carry
    no number); `kind` "text", or "references" / "provenance" for the lists the document fills.
    """

    heading: dict[str, str]
    blocks: list[tuple[str, object]] = field(default_factory=list)
    level: int = 1
    numbered: bool = True
    kind: str = "text"

    def p(self, zh: str, en: str) -> None:
        self.blocks.append(("p", {"zh": zh, "en": en}))


def _lab(labels, code, lang) -> str:
    return labels.get(code, {}).get(lang, code)


def tables(ctx: Context) -> dict[str, tuple[Table, list[str]]]:
    """The report's tables: key -> (Table, the input keys it is built from)."""
    out, labels = ctx.out, ctx.labels
    coefs, fit, effects = out["coefficients"], out["fit"], out["effects"]
    t = {}
    t["hypotheses"] = (
        report_tables.hypotheses_table(ctx.parts, ctx.summary, labels),
        [k for k in ("coefficients", "effects", "aggregates", "pretrends", "spec_curve_summary")
         if out.has(k)],
    )  # fmt: skip
    if ctx.sample is not None and len(ctx.sample):
        n = out["ingest"]["survey"]["rows"]["clean"]
        t["sample"] = (report_tables.sample_table(ctx.sample, ctx.cb, n), ["survey_clean"])
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
    if out.has("pretrends"):
        t["pretrends"] = (
            report_tables.pretrend_table(out["pretrends"], labels, labels),
            ["pretrends"],
        )
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


@dataclass
class Context:
    """What the text is written from: the outputs, labels, codebook and the verdicts."""

    out: Outputs
    labels: dict
    source: str  # params data.source
    cb: Codebook
    parts: pd.DataFrame  # one row per prediction (verdicts.evaluate)
    summary: pd.DataFrame  # one row per hypothesis (verdicts.summary)
    rules: V.Rules
    sample: pd.DataFrame | None = None  # report_tables.sample_counts
    fieldwork: tuple[str, str] | None = None  # first and last submission dates
    invited: int | None = None  # params report.invited

    @property
    def simulated(self) -> bool:
        return self.source == "simulated"

    def lab(self, code: str, lang: str) -> str:
        return label(self.labels, code, lang)


def _verdict_counts(ctx: Context, lang: str) -> str:
    """'7项假设中，5项得到支持，2项部分支持' from the verdict summary (every count cited)."""
    counts = ctx.summary["verdict"].value_counts()
    total = cite(len(ctx.summary), "n", "derived:hypotheses")
    parts = []
    for v, (zh, en) in {V.SUPPORTED: ("得到支持", "supported"),
                        V.PARTIAL: ("部分支持", "partly supported"),
                        V.NOT_SUPPORTED: ("不支持", "not supported"),
                        V.NOT_TESTED: ("未检验", "not tested")}.items():  # fmt: skip
        k = int(counts.get(v, 0))
        if k:
            n = cite(k, "n", "derived:hypotheses")
            parts.append(f"{n}项{zh}" if lang == "zh" else f"{n} {en}")
    if lang == "zh":
        return f"{total}项假设中，" + "，".join(parts)
    return f"Of {total} hypotheses, " + ", ".join(parts)


def _by_verdict(ctx: Context, verdict: str) -> list[str]:
    return list(ctx.summary.loc[ctx.summary["verdict"] == verdict, "hypothesis"])


def abstract(ctx: Context) -> Section:
    """摘要: data, design, the verdicts and the key estimates, every number from an output."""
    out = ctx.out
    rows = out["ingest"]["survey"]["rows"]
    n_in = cite(rows["in"], "n", "ingest")
    n = cite(rows["clean"], "n", "ingest")
    s = Section(_w("摘要", "Abstract"), numbered=False)
    data_zh = (
        "基于重庆市基层干部的模拟调查数据" if ctx.simulated else "基于课题组的基层干部问卷调查"
    )
    data_en = (
        "Using simulated survey data on Chongqing's grassroots cadres"
        if ctx.simulated
        else "Using the team's survey of grassroots cadres"
    )
    zh = (
        f"本报告{data_zh}（回收{n_in}份，有效{n}份），检验“树立正确政绩观、形成科学合力机制、强化高效"
        "外部监督”三条减负路径如何经由形式主义负担影响干部状态与服务成效"
    )
    en = (
        f"{data_en} ({n_in} responses, {n} valid), the report tests how three pillars of "
        "burden reduction (a correct view of achievement, a synergy mechanism, efficient external "
        "supervision) act through formalism burden on cadres' state and service"
    )
    if out.has("panel"):
        zh += "，并用区县交错实施的行政记录评估具体减负措施的政策效果"
        en += ", and evaluates the measures' staggered roll-out with office records"
    zh += "。" + _verdict_counts(ctx, "zh") + "。"
    en += ". " + _verdict_counts(ctx, "en") + "."
    h1 = ctx.parts[(ctx.parts["hypothesis"] == "H1") & (ctx.parts["source"] == "coefficients")
                   & (ctx.parts["prediction"] == "-")]  # fmt: skip
    robust = h1[h1["verdict"] == V.SUPPORTED]
    weak = h1[h1["verdict"].isin([V.PARTIAL, V.NOT_SUPPORTED])]
    if len(h1):
        names_zh = "、".join(ctx.lab(t, "zh") for t in robust["term"]) or "没有一项措施"
        names_en = ", ".join(ctx.lab(t, "en") for t in robust["term"]) or "no measure"
        zh += f"稳健降低形式主义负担的措施为：{names_zh}"
        en += f" Measures that lower formalism burden robustly: {names_en}"
        if len(weak):
            zh += "；" + "、".join(ctx.lab(t, "zh") for t in weak["term"]) + "的证据不足或不稳健"
            en += "; weak or fragile evidence for " + ", ".join(
                ctx.lab(t, "en") for t in weak["term"])  # fmt: skip
        zh += "。"
        en += "."
    fb = ctx.parts[(ctx.parts["hypothesis"] == "H2")]
    if len(fb):
        zh += "；".join(clause(r, ctx.labels, "zh", ctx.rules) for _, r in fb.iterrows()) + "。"
        en += " " + capitalized("; ".join(
            clause(r, ctx.labels, "en", ctx.rules) for _, r in fb.iterrows())) + "."  # fmt: skip
    s.p(zh, en)
    s.p(
        "关键词：基层减负；形式主义；政绩观；数字赋能；容错纠错；双重差分",
        "Keywords: burden reduction; formalism; view of achievement; digital empowerment; "
        "fault tolerance; difference-in-differences",
    )
    return s


def _background() -> Section:
    s = Section(_w("一、研究背景与问题", "1. Background and research questions"))
    s.p(
        "为基层减负是整治形式主义的重要内容。中共中央办公厅2019年印发通知，将2019年作为“基层减负年”"
        "[@zhonggong2019]；2024年，中共中央办公厅、国务院办公厅印发《整治形式主义为基层减负若干规定》"
        "[@zhonggong2024]，对文件会议、督查检查考核、政务应用程序和工作群等作出规定。本研究围绕三条"
        "路径展开：一是树立和践行正确政绩观，从源头减少“痕迹管理”和层层加码；二是构建协同机制——"
        "厘清职责清单、精简文件会议、以数字赋能减少重复填报；三是完善高效的外部监督，畅通反馈渠道，"
        "落实容错纠错，改进督查检查。",
        "Reducing the burden on grassroots cadres is central to China's campaign against "
        "formalism: a 2019 notice of the General Office of the CPC Central Committee made 2019 "
        "the year of burden reduction [@zhonggong2019], and 2024 regulations of the General "
        "Offices of the Central Committee and the State Council set rules for documents, "
        "meetings, inspections, government apps and work groups [@zhonggong2024]. The study "
        "follows three pillars: a correct view of achievement that stops box-ticking at its "
        "source; a synergy mechanism of duty lists, fewer documents and meetings and digital "
        "empowerment; and efficient external supervision with feedback channels, fault "
        "tolerance and better inspections.",
    )
    s.p(
        "研究问题：（1）各项减负措施能否降低基层干部感受到的形式主义负担？（2）负担如何影响干部的"
        "情绪耗竭与工作投入，进而影响服务群众的成效？（3）容错纠错与数字素养是否改变这些关系？"
        "（4）一表通等措施在区县交错落地后，基层的工作量与12345热线成效是否改善？",
        "Research questions: (1) Do the measures lower the formalism burden cadres feel? (2) How "
        "does burden affect exhaustion and engagement, and through them service to residents? "
        "(3) Do fault tolerance and digital literacy change these relations? (4) After the "
        "staggered roll-out of one-form reporting and the other measures, do workload and the "
        "12345 hotline improve?",
    )
    return s


def _hypotheses_section(ctx: Context) -> Section:
    s = Section(_w("二、文献与研究假设", "2. Literature and hypotheses"))
    s.p(
        "形式主义负担指干部在完成实质性工作之外，为应付留痕、报表、检查和考核所付出的时间与精力。"
        "工作要求—资源理论认为，这类要求消耗心理资源、引发情绪耗竭，削弱工作投入；而组织提供的资源"
        "（清晰的权责、数字工具、容错机制）可以缓冲这一过程。据此提出以下假设（预测的方向写在"
        "params.yaml report.hypotheses中，每项假设的检验见第四部分）：",
        "Formalism burden is the time and effort cadres spend on paper trails, forms, "
        "inspections and evaluations beyond their substantive work. In the job "
        "demands–resources view such demands deplete psychological resources, raise "
        "exhaustion and lower engagement, while resources the organisation provides (clear "
        "duties, digital tools, fault tolerance) buffer the process. Hence the hypotheses "
        "below (their predicted signs are report.hypotheses in params.yaml; section 4 tests "
        "each):",
    )
    for h in ctx.summary.itertuples(index=False):
        s.p(f"{h.hypothesis}：{h.statement_zh}。", f"{h.hypothesis}: {h.statement_en}.")
    return s


def _design(ctx: Context) -> list[Section]:
    out = ctx.out
    secs = [Section(_w("三、研究设计", "3. Research design"))]
    s = Section(_w("（一）抽样与数据收集", "3.1 Sampling and fieldwork"), level=2)
    ing = out["ingest"]["survey"]
    rows = ing["rows"]
    if ctx.simulated and out.has("simulate"):
        sim = out["simulate"]["survey"]
        s.p(
            "默认数据由 jianfu 的模拟器生成（docs/dgp.md）：按“一区两群”分层，以人口规模成比例的"
            f"概率"
            f"抽取{cite(sim['districts'], 'n', 'simulate')}个区县，在每个区县抽取乡镇（街道），"
            f"共{cite(sim['townships'], 'n', 'simulate')}个，再在乡镇内调查干部；共"
            f"{cite(sim['submissions'], 'n', 'simulate')}次提交。",
            "The default data come from jianfu's simulator (docs/dgp.md): districts drawn with "
            "probability proportional to population within the three regions of 一区两群 "
            f"({cite(sim['districts'], 'n', 'simulate')} districts), townships within them "
            f"({cite(sim['townships'], 'n', 'simulate')}), and cadres within townships; "
            f"{cite(sim['submissions'], 'n', 'simulate')} submissions in all.",
        )
    else:
        s.p(
            "抽样设计由课题组说明（本报告不含抽样框信息）。",
            "The sampling design is the team's (the report holds no sampling-frame information).",
        )
    if ctx.fieldwork is not None:
        first, last = ctx.fieldwork
        s.p(f"问卷收集时间：{first}至{last}（按提交时间）。",
            f"Fieldwork: {first} to {last} (submission dates).")  # fmt: skip
    n_in = cite(rows["in"], "n", "ingest")
    n_clean = cite(rows["clean"], "n", "ingest")
    share = cite_pct(rows["clean"] / rows["in"], "derived:ingest rows clean/in")
    if ctx.invited:
        rate = cite_pct(rows["in"] / ctx.invited, "derived:ingest rows in/report.invited")
        s.p(f"邀请{ctx.invited}人，回收{n_in}份，回收率{rate}。",
            f"{ctx.invited} cadres were invited and {n_in} responded ({rate}).")  # fmt: skip
    flow = out["cleaning_flow"]
    removed = flow[flow["removed"] > 0].sort_values("removed", ascending=False, kind="stable")
    steps = {
        lang: ("；" if lang == "zh" else "; ").join(
            f"{STEP_LABELS.get(r.step, {}).get(lang, r.step)}"
            + (f"（{cite(r.removed, 'n', 'cleaning_flow')}）" if lang == "zh"
               else f" ({cite(r.removed, 'n', 'cleaning_flow')})")
            for r in removed.itertuples(index=False)
        )
        for lang in ("zh", "en")
    }  # fmt: skip
    n_q = cite(rows["quarantined"], "n", "ingest")
    s.p(
        f"原始导出共{n_in}行，{n_clean}行（{share}）进入分析，{n_q}行连同原因进入隔离表。按清洗规则"
        f"依次剔除：{steps['zh']}（见清洗流程图）。",
        f"The raw export has {n_in} rows: {n_clean} ({share}) enter the analysis and {n_q} are "
        f"quarantined with their reasons. Removed, rule by rule: {steps['en']} (see the "
        "cleaning-flow figure).",
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
    elif ctx.simulated and "rules" in out["cleaning_quality"]:
        worst = min(v.get("precision", 1.0) for v in out["cleaning_quality"]["rules"].values())
        w = cite(worst, "prop", "cleaning_quality")
        s.p(f"在模拟数据上，各清洗规则对已知脏数据的精确率均不低于{w}。",
            f"On the simulated data every cleaning rule finds the known dirty rows with "
            f"precision of at least {w}.")  # fmt: skip
    s.blocks.append(("figure", "cleaning_flow"))
    secs.append(s)

    s = Section(_w("（二）变量测量", "3.2 Measures"), level=2)
    measures = [c for c in ctx.cb.constructs if c.role == "measure"]
    names_zh = "、".join(c.label.zh for c in measures)
    names_en = ", ".join(c.label.en for c in measures)
    s.p(
        f"减负措施（{names_zh}）、形式主义负担、情绪耗竭、工作投入和服务成效均以李克特五点量表"
        "多题项测量，题项与计分（含反向题）见问卷（reports/questionnaire/）与编码本。量表得分为"
        "题项均值。",
        f"The measures ({names_en}), formalism burden, exhaustion, engagement and service are "
        "multi-item five-point Likert scales; items and scoring (with reverse keys) are in the "
        "questionnaire (reports/questionnaire/) and the codebook. Scale scores are item means.",
    )
    _measurement(s, ctx)
    secs.append(s)

    s = Section(_w("（三）分析策略", "3.3 Analysis strategy"), level=2)
    methods_zh = (
        "问卷模型包括分层回归（控制性别、年龄、学历、任职年限与是否领导职务，按乡镇聚类的稳健标准误）、"
        "多层模型、PROCESS中介与调节（Bootstrap置信区间[@hayes2022]）和含共同方法因子的潜变量结构"
        "方程模型[@podsakoff2003; @rosseel2012]。"
    )
    methods_en = (
        "Survey models: hierarchical OLS (controls: gender, age, education, tenure, leading post; "
        "township-clustered SEs), multilevel models, PROCESS mediation and moderation with "
        "bootstrap CIs [@hayes2022] and a latent structural model with a common-method factor "
        "[@podsakoff2003; @rosseel2012]."
    )
    methods_zh += (
        "需要注意，PROCESS中介与调节模型按Hayes的做法每次只放入一项措施且不含控制变量，"
        "其a路径与同时纳入全部措施的回归或结构方程模型的系数并不相同；正文引用时注明模型。"
    )
    methods_en += (
        " Note that the PROCESS mediation and moderation specs enter one measure at a time "
        "without controls, as in Hayes' macro, so their a paths differ from the coefficients "
        "of the regressions and the structural model, which hold all measures; the text names "
        "the model it quotes."
    )
    if out.has("aggregates"):
        methods_zh += (
            "政策评估采用交错双重差分（Callaway–Sant'Anna估计量[@callaway2021]），并与双向固定效应、"
            "Sun–Abraham事件研究[@sun2021]对照，因双向固定效应在效应动态、异质时有偏[@goodmanbacon2021]。"
        )
        methods_en += (
            " Policy evaluation: staggered difference-in-differences (Callaway–Sant'Anna "
            "[@callaway2021]), contrasted with two-way fixed effects and the Sun–Abraham event "
            "study [@sun2021], since two-way fixed effects are biased when effects are dynamic "
            "and heterogeneous [@goodmanbacon2021]."
        )
    methods_zh += (
        "稳健性采用规格曲线分析[@simonsohn2020]。假设的判定规则（方向、置信区间是否含0、规格曲线中"
        "的稳健比例、事前趋势检验）写在params.yaml report.verdicts中，见docs/report.md。"
    )
    methods_en += (
        " Robustness: specification curve analysis [@simonsohn2020]. The verdict rules "
        "(direction, whether the CI excludes 0, the robust share of the specification curve, "
        "the pre-trend test) are report.verdicts in params.yaml, explained in docs/report.md."
    )
    s.p(methods_zh, methods_en)
    if not out.has("panel"):
        _note(s, skipped_note(out, ["panel"], "行政记录的面板分析", "The office records' panel"))
    secs.append(s)
    return secs


def _measurement(s: Section, ctx: Context) -> None:
    out = ctx.out
    rel, cr = out["reliability"], out["cr_ave"]  # unrounded, as the reliability table prints
    fit = out["cfa_fit"]  # unrounded, the same values the fit table prints
    a_min, a_max = rel["raw_alpha"].min(), rel["raw_alpha"].max()
    o_min, o_max = cr["omega_semtools"].min(), cr["omega_semtools"].max()
    # Hu & Bentler (1999): CFI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08
    good = fit["cfi"] >= 0.95 and fit["rmsea"] <= 0.06 and fit["srmr"] <= 0.08
    nums = {k: cite(fit[k], "fit", "cfa_fit") for k in ("cfi", "tli", "rmsea", "srmr")}
    harman = out["measure"]["harman_first_factor_share"]
    hz = cite_pct(harman, "measure")
    az, bz = cite(a_min, "alpha", "reliability"), cite(a_max, "alpha", "reliability")
    oz, pz = cite(o_min, "omega", "cr_ave"), cite(o_max, "omega", "cr_ave")
    verdict_zh = (
        "拟合良好（按Hu与Bentler的标准[@hu1999]）" if good else "的拟合未达到常用标准[@hu1999]"
    )
    verdict_en = "fits well by Hu and Bentler's criteria [@hu1999]" if good else (
        "does not meet the usual criteria [@hu1999]")  # fmt: skip
    s.p(
        f"各量表Cronbach's α为{az}–{bz}，ω为{oz}–{pz}；验证性因子分析{verdict_zh}：CFI = "
        f"{nums['cfi']}，TLI = {nums['tli']}，RMSEA = {nums['rmsea']}，SRMR = {nums['srmr']}。"
        f"区分效度以Fornell–Larcker准则[@fornell1981]与HTMT[@henseler2015]检验（见表）。Harman"
        f"单因子检验中第一个因子解释{hz}的方差。",
        f"Cronbach's α ranges {az}–{bz} and ω {oz}–{pz}; the CFA {verdict_en}: CFI = "
        f"{nums['cfi']}, TLI = {nums['tli']}, RMSEA = {nums['rmsea']}, SRMR = {nums['srmr']}. "
        f"Discriminant validity: the Fornell–Larcker criterion [@fornell1981] and HTMT "
        f"[@henseler2015] (tables). In Harman's test the first factor explains {hz} of the "
        "variance.",
    )
    for key in ("reliability", "fornell_larcker", "htmt", "fit"):
        s.blocks.append(("table", key))
    s.blocks += [("figure", "likert_measures"), ("figure", "likert_outcomes"),
                 ("figure", "cfa_loadings")]  # fmt: skip


def _hypothesis_paragraph(ctx: Context, hid: str) -> dict[str, str] | None:
    """'H2（…）：支持。形式主义负担显著提高情绪耗竭（b = …）；…。' from the verdict rows."""
    rows = ctx.parts[ctx.parts["hypothesis"] == hid]
    summ = ctx.summary[ctx.summary["hypothesis"] == hid].iloc[0]
    verdict = V.VERDICT_LABELS[summ["verdict"]]
    text = {"zh": f"{hid}（{summ['statement_zh']}）：{verdict['zh']}。",
            "en": f"{hid} ({summ['statement_en']}): {verdict['en']}."}  # fmt: skip
    clauses: dict[str, list[str]] = {"zh": [], "en": []}
    coefs = ctx.out["coefficients"]
    for (spec, term), group in rows.groupby(["spec", "term"], sort=False):
        tested = group[group["verdict"] != V.NOT_TESTED]
        if tested.empty:
            why = _w(
                f"{ctx.lab(str(term), 'zh')}未估计（模型{spec}中没有该项）",
                f"{ctx.lab(str(term), 'en')} was not estimated (not in spec {spec})",
            )
            for lang in ("zh", "en"):
                clauses[lang].append(why[lang])
            continue
        if len(tested) > 2:  # e.g. one indirect effect per measure: summarise
            for lang in ("zh", "en"):
                clauses[lang].append(_summarise(ctx, tested, lang))
            continue
        for _, r in tested.iterrows():
            main = None
            if ":" in str(term):
                main = _coef(coefs, spec, str(term).split(":")[0])
            for lang in ("zh", "en"):
                clauses[lang].append(clause(r, ctx.labels, lang, ctx.rules, main))
    if clauses["zh"]:
        text["zh"] += "；".join(clauses["zh"]) + "。"
        text["en"] += " " + capitalized("; ".join(clauses["en"])) + "."
    return text


def _summarise(ctx: Context, rows: pd.DataFrame, lang: str) -> str:
    """Several estimates of one kind (e.g. an indirect effect per measure) in one sentence."""
    r0 = rows.iloc[0]
    kind, src = number_kind(r0), input_key(r0)
    sig = rows.apply(significant, axis=1)
    pred = V.SIGNS[str(r0["prediction"])]
    k = cite(int((sig == pred).sum()) if pred else int((sig == 0).sum()), "n", f"derived:{src}")
    n = cite(len(rows), "n", f"derived:{src}")
    lo, hi = cite(rows["estimate"].min(), kind, src), cite(rows["estimate"].max(), kind, src)
    spec = str(r0["spec"])
    what = {
        "zh": "间接效应" if r0["source"] == "effects" else "估计值",
        "en": "indirect effects" if r0["source"] == "effects" else "estimates",
    }
    sign_zh = {1: "显著为正", -1: "显著为负", 0: "不显著"}[pred]
    sign_en = {1: "significantly positive", -1: "significantly negative",
               0: "not significant"}[pred]  # fmt: skip
    if lang == "zh":
        return (f"模型{spec}（{ctx.lab(str(r0['term']), 'zh')}）的{n}个{what['zh']}为{lo}至{hi}，"
                f"其中{k}个按95%置信区间{sign_zh}")  # fmt: skip
    return (f"the {n} {what['en']} of spec {spec} ({r0['term']}) range {lo} to {hi}; {k} are "
            f"{sign_en} by their 95% CIs")  # fmt: skip


def _results(ctx: Context) -> list[Section]:
    out = ctx.out
    secs = [Section(_w("四、实证结果", "4. Results"))]
    s = Section(_w("（一）样本特征与描述统计", "4.1 Sample and descriptive statistics"), level=2)
    if ctx.sample is not None and len(ctx.sample):
        s.p("样本特征见下表。", "The sample's characteristics are in the table below.")
        s.blocks.append(("table", "sample"))
    s.blocks += [("table", "descriptives"), ("figure", "correlations")]
    secs.append(s)

    s = Section(_w("（二）假设检验", "4.2 Tests of the hypotheses"), level=2)
    s.p(
        _verdict_counts(ctx, "zh") + "（见下表；判定规则见第三部分与docs/report.md）。",
        _verdict_counts(ctx, "en") + " (table below; the rules: section 3 and docs/report.md).",
    )
    s.blocks.append(("table", "hypotheses"))
    for hid in ("H1", "H2", "H7"):
        if hid in set(ctx.summary["hypothesis"]):
            _add(s, _hypothesis_paragraph(ctx, hid))
    s.blocks += [("table", "regression"), ("figure", "coefficients")]
    sem_fit = out["fit"][(out["fit"]["spec"] == "sem")].set_index("statistic")["value"]
    if len(sem_fit):
        cfi = cite(sem_fit["cfi"], "fit", "fit")
        rmsea = cite(sem_fit["rmsea"], "fit", "fit")
        s.p(
            f"路径图报告含共同方法因子的潜变量结构方程模型（同时纳入全部措施与控制变量）的标准化路径，"
            f"模型拟合CFI = {cfi}，RMSEA = {rmsea}；其系数为标准化系数，与上表非标准化的回归系数"
            "不能直接比较。",
            f"The path diagram shows the standardized paths of the latent structural model with "
            f"a common-method factor (all measures and controls at once; CFI = {cfi}, RMSEA = "
            f"{rmsea}); they are standardized, so they are not comparable one to one with the "
            "unstandardized regression coefficients above.",
        )
    s.blocks.append(("figure", "path_diagram"))
    for hid in ("H3", "H4", "H5"):
        if hid in set(ctx.summary["hypothesis"]):
            _add(s, _hypothesis_paragraph(ctx, hid))
    s.p(
        "调节效应与中介效应表来自PROCESS模型（每次一项措施，不含控制变量），其a路径与上面的回归"
        "系数不同（reports/models/process_<模型>.txt 以PROCESS的版式给出完整输出）。",
        "The moderation and mediation tables come from the PROCESS specs (one measure at a "
        "time, no controls), so their a paths differ from the regression coefficients above "
        "(reports/models/process_<spec>.txt gives the full output in PROCESS's layout).",
    )
    s.blocks += [("table", "moderation"), ("figure", "simple_slopes"),
                 ("table", "mediation"), ("figure", "mediation")]  # fmt: skip
    secs.append(s)

    s = Section(_w("（三）政策效果评估", "4.3 Policy evaluation"), level=2)
    if out.has("aggregates"):
        if "H6" in set(ctx.summary["hypothesis"]):
            _add(s, _hypothesis_paragraph(ctx, "H6"))
        r = ctx.rules
        est = ctx.labels.get(r.policy_estimator, {}).get("zh", r.policy_estimator)
        est_en = ctx.labels.get(r.policy_estimator, {}).get("en", r.policy_estimator)
        inf = {"unit": ("乡镇层面", "township-level"),
               "cluster": ("区县聚类", "district-clustered")}[
            r.policy_inference]  # fmt: skip
        s.p(
            f"H6的判定使用{est}估计量与{inf[0]}标准误（params.yaml report.verdicts.policy）；"
            "区县聚类标准误在仅含一两个区县的队列中偏小[@conley2011; @mackinnon2017]。各估计量的"
            "平均处理效应见下表，事前趋势检验见其后一表。",
            f"H6 is judged with the {est_en} estimator and {inf[1]} SEs (report.verdicts.policy "
            "in params.yaml); district-clustered SEs are too small for cohorts of one or two "
            "districts [@conley2011; @mackinnon2017]. The table gives every estimator's "
            "average effects, the next one the pre-trend tests.",
        )
        s.blocks += [("table", "did"), ("table", "pretrends"), ("figure", "district_map"),
                     ("figure", "workload_trends"), ("figure", "event_study"),
                     ("figure", "event_study_documents"), ("figure", "hotline")]  # fmt: skip
    else:
        _note(s, skipped_note(out, ["aggregates"], "政策效果评估", "The policy evaluation"))
    secs.append(s)
    return secs


def _add(s: Section, text: dict[str, str] | None) -> None:
    if text:
        s.p(text["zh"], text["en"])


#: what the report recommends per pillar when the pillar's measures are (not) supported
RECOMMEND = {
    "achievement": _w(
        "把正确政绩观落到考核指标上，减少以留痕和报表衡量工作的做法",
        "put a correct view of achievement into the evaluation criteria and stop judging work "
        "by paper trails and forms",
    ),
    "synergy": _w(
        "以权责清单为基础持续精简文件会议，数字赋能与干部数字素养培训同步推进",
        "keep cutting documents and meetings on the basis of duty lists, and pair digital "
        "empowerment with digital-literacy training",
    ),
    "supervision": _w(
        "把容错纠错落到实处，对督查检查实行统筹与负面清单管理，并用12345等外部反馈持续评估减负成效",
        "make fault tolerance real, coordinate inspections under a negative list, and keep "
        "evaluating burden reduction with external feedback such as the 12345 line",
    ),
}


def _conclusions(ctx: Context) -> Section:
    s = Section(_w("六、结论与对策建议", "6. Conclusions and recommendations"))
    h1 = ctx.parts[(ctx.parts["hypothesis"] == "H1") & (ctx.parts["spec"] == "h1_burden")]
    by_term = {r["term"]: r for _, r in h1.iterrows()}
    for pillar in ctx.cb.pillars:
        members = [c.id for c in ctx.cb.constructs if c.pillar == pillar.id and c.role == "measure"]
        rows = [by_term[m] for m in members if m in by_term]
        if not rows:
            continue
        good = [r for r in rows if r["verdict"] == V.SUPPORTED and r["prediction"] == "-"]
        fragile = [r for r in rows if r["verdict"] == V.PARTIAL]
        none = [r for r in rows if r["verdict"] == V.NOT_SUPPORTED]
        null_ok = [r for r in rows if r["prediction"] == "0" and r["verdict"] == V.SUPPORTED]
        zh, en = [], []
        if good:
            zh.append(
                "、".join(ctx.lab(r["term"], "zh") for r in good) + "稳健地降低了形式主义负担"
            )
            en.append(capitalized(", ".join(ctx.lab(r["term"], "en") for r in good))
                      + " lower formalism burden robustly")  # fmt: skip
        if fragile:
            zh.append("、".join(ctx.lab(r["term"], "zh") for r in fragile)
                      + "的减负作用方向一致但不够稳健")  # fmt: skip
            en.append(", ".join(ctx.lab(r["term"], "en") for r in fragile)
                      + " point the same way, but not robustly")  # fmt: skip
        if none:
            zh.append("、".join(ctx.lab(r["term"], "zh") for r in none) + "的预测未得到支持")
            en.append("the prediction for " + ", ".join(ctx.lab(r["term"], "en") for r in none)
                      + " is not supported")  # fmt: skip
        if null_ok:
            zh.append("、".join(ctx.lab(r["term"], "zh") for r in null_ok)
                      + "如预期不影响负担")  # fmt: skip
            en.append(", ".join(ctx.lab(r["term"], "en") for r in null_ok)
                      + " does not change burden, as predicted")  # fmt: skip
        rec = RECOMMEND.get(pillar.id)
        if rec is not None:
            if good:
                zh.append(f"建议{rec['zh']}")
                en.append(f"recommended: {rec['en']}")
            else:
                zh.append(f"在推广“{rec['zh']}”之前，宜先以更严格的设计评估其效果")
                en.append(f"before rolling out “{rec['en']}”, evaluate it with a stronger design")
        s.p(
            f"{pillar.label.zh}：" + "；".join(zh) + "。",
            f"{pillar.label.en}: " + "; ".join(en) + ".",
        )
    chain = [h for h in ("H2", "H4", "H5") if h in set(ctx.summary["hypothesis"])]
    if chain:
        v = {h: ctx.summary.set_index("hypothesis").loc[h, "verdict"] for h in chain}
        ok = all(x == V.SUPPORTED for x in v.values())
        verdicts_zh = "、".join(f"{h}{V.VERDICT_LABELS[x]['zh']}" for h, x in v.items())
        verdicts_en = ", ".join(f"{h} {V.VERDICT_LABELS[x]['en']}" for h, x in v.items())
        if ok:
            s.p(
                f"负担—干部状态—服务成效的链条成立（{verdicts_zh}）：减负的意义不止于干部本身，也在于"
                "服务群众的成效。",
                f"The chain from burden through cadres' state to service holds ({verdicts_en}): "
                "burden reduction matters for service to residents, not only for cadres.",
            )
        else:
            s.p(
                f"负担—干部状态—服务成效的链条只得到部分支持（{verdicts_zh}）。",
                "The chain from burden through cadres' state to service is only partly "
                f"supported ({verdicts_en}).",
            )
    if "H6" in set(ctx.summary["hypothesis"]):
        v6 = ctx.summary.set_index("hypothesis").loc["H6", "verdict"]
        s.p(
            f"政策评估（H6）：{V.VERDICT_LABELS[v6]['zh']}；各项措施的效应、置信区间与事前趋势检验见"
            "第四部分第（三）节。",
            f"Policy evaluation (H6): {V.VERDICT_LABELS[v6]['en']}; each measure's effect, CI and "
            "pre-trend test are in section 4.3.",
        )
    return s


def _limitations(ctx: Context) -> Section:
    s = Section(_w("七、研究局限", "7. Limitations"))
    items_zh = [
        "问卷为横截面自评数据，措施与负担的关系不能解释为因果效应；共同方法偏差虽经Harman检验与方法"
        "因子控制，仍不能完全排除",
        "分析按乡镇聚类计算稳健标准误，但未使用抽样权重与完整的分层多阶段设计，设计效应下的标准误"
        "可能更大",
        "数据清洗规则（过快作答、直线作答、注意力题等）影响样本，规格曲线检验了其中的主要选择",
    ]
    items_en = [
        "the survey is cross-sectional and self-reported, so the relations between measures and "
        "burden are not causal effects; common-method bias is checked (Harman's test, a method "
        "factor) but cannot be ruled out",
        "standard errors are clustered by township, but sampling weights and the full "
        "stratified multi-stage design are not used: design-based SEs may be larger",
        "the cleaning rules (speeders, straight-lining, attention checks) shape the sample; "
        "the specification curve varies the main choices",
    ]
    if ctx.out.has("aggregates"):
        items_zh.append(
            "政策评估依赖平行趋势假定，且区县数量有限，仅含一两个区县的队列推断不确定性较大"
        )
        items_en.append(
            "the policy evaluation rests on parallel trends, and with few districts the "
            "inference for cohorts of one or two districts is uncertain"
        )
    if ctx.simulated:
        items_zh.append("本报告使用模拟数据，数字仅用于演示方法，不代表重庆市基层的真实情况")
        items_en.append(
            "the report uses simulated data: its numbers demonstrate the methods and describe "
            "no real township"
        )
    s.p(
        "本研究有以下局限：" + "；".join(f"（{i}）{t}" for i, t in enumerate(items_zh, 1)) + "。",
        "Limitations: " + "; ".join(f"({i}) {t}" for i, t in enumerate(items_en, 1)) + ".",
    )
    return s


def sections(ctx: Context) -> list[Section]:
    """All sections after the cover and the table of contents, in order."""
    secs = [abstract(ctx), _background(), _hypotheses_section(ctx)]
    secs += _design(ctx)
    secs += _results(ctx)
    s = Section(_w("五、稳健性分析", "5. Robustness"))
    _robustness(s, ctx.out, ctx.rules)
    secs.append(s)
    secs += [_conclusions(ctx), _limitations(ctx)]
    secs.append(Section(_w("参考文献", "References"), numbered=False, kind="references"))
    s = Section(_w("附录", "Appendix"), numbered=False)
    _truth_checks(s, ctx.out, ctx.simulated)
    s.p(
        "问卷全文见 reports/questionnaire/（中、英文 Markdown 与 Word）；假设判定的逐项结果见 "
        "reports/hypotheses.csv；正文每个数字的来源见 reports/report_numbers.csv。",
        "The full questionnaire: reports/questionnaire/ (Markdown and Word, zh and en); every "
        "verdict: reports/hypotheses.csv; the source of every number in the text: "
        "reports/report_numbers.csv.",
    )
    secs.append(s)
    secs.append(Section(_w("附录：图表来源", "Appendix: sources of figures and tables"),
                        numbered=False, kind="provenance"))  # fmt: skip
    return secs


def _truth_checks(s: Section, out: Outputs, simulated: bool) -> None:
    """The estimates against the simulated truth; for skipped recoveries one sentence why."""
    has_sr, has_pr = out.has("survey_recovery"), out.has("policy_recovery")
    if simulated and has_sr:
        sr = out["survey_recovery"]
        est, cov = cite(sr["estimands"], "n", "survey_recovery"), cite(
            sr["covered"], "n", "survey_recovery")  # fmt: skip
        share = cite_pct(sr["coverage"], "survey_recovery")
        zh = f"模拟数据检验：问卷模型的{est}个真值估计目标中，{cov}个（{share}）落在95%置信区间内"
        en = (
            f"Checks on the simulated data: {cov} of {est} survey estimands ({share}) lie "
            "inside their 95% CIs"
        )
        if has_pr:
            pr = out["policy_recovery"]
            cells = cite(pr["attgt_cells"], "n", "policy_recovery")
            pc = cite_pct(pr["attgt_coverage_unit_se"], "policy_recovery")
            zh += f"；政策评估的{cells}个ATT(g,t)中{pc}被乡镇层面置信区间覆盖"
            en += f"; {pc} of {cells} ATT(g,t) are covered by the township-level CIs"
        s.p(
            zh + "。数据生成过程见docs/dgp.md与docs/dgp_admin.md。",
            en + ". The data-generating process: docs/dgp.md and docs/dgp_admin.md.",
        )
        s.blocks.append(("figure", "recovery"))
        if has_pr:
            s.blocks.append(("figure", "policy_recovery"))
    skipped = [k for k in ("survey_recovery", "policy_recovery") if k in out.skipped]
    if skipped:
        _note(s, skipped_note(out, skipped, "估计值与真值的对照", "The check of the estimates "
                              "against the true values"))  # fmt: skip


def _robustness(s: Section, out: Outputs, rules: V.Rules) -> None:
    """The specification curve: what was varied, how robust the key effects are, caveats."""
    if not (out.has("spec_curve_summary") and out.has("spec_curve_status")):
        keys = ["spec_curve_summary", "spec_curve_status"]
        _note(s, skipped_note(out, keys, "稳健性分析（规格曲线）",
                              "The robustness analysis (specification curve)"))  # fmt: skip
        return
    summary, status = out["spec_curve_summary"], out["spec_curve_status"]
    fams = status["families"]
    n_survey = cite(fams.get("survey", {}).get("specifications", 0), "n", "spec_curve_status")
    survey_zh = (
        "问卷分析规格（过快作答阈值、直线作答与注意力题的处理、构念得分、控制变量、标准误、"
        "OLS/多层模型/结构方程）"
    )
    survey_en = (
        "survey specifications (speeder cut-off, handling of straight-liners and "
        "failed attention checks, scores, controls, standard errors, OLS/multilevel/SEM)"
    )
    policy_skipped = fams.get("policy", {}).get("skipped")
    if policy_skipped is not None:
        s.p(
            f"关键效应在{n_survey}个{survey_zh}下重新估计[@simonsohn2020]，全部规格在每次运行"
            "流水线时由同一数据重新估计（spec_curve 阶段）。",
            f"The key effects were re-estimated under {n_survey} {survey_en} [@simonsohn2020], "
            "every specification from the same data in each run of the pipeline (stage "
            "spec_curve).",
        )
        _note(s, skipped_note(out, [], "政策评估的规格曲线",
                              "The policy half of the specification curve",
                              also={"spec_policy": str(policy_skipped)}))  # fmt: skip
    else:
        n_policy = cite(fams.get("policy", {}).get("specifications", 0), "n",
                        "spec_curve_status")  # fmt: skip
        s.p(
            f"关键效应在{n_survey}个{survey_zh}和{n_policy}个政策评估规格（对照组、标准误、基期水平"
            "条件、估计量）下重新估计[@simonsohn2020]，全部规格在每次运行流水线时由同一数据重新"
            "估计（spec_curve 阶段）。",
            f"The key effects were re-estimated under {n_survey} {survey_en} and {n_policy} "
            "policy specifications (comparison group, standard errors, baseline conditioning, "
            "estimator) [@simonsohn2020], every specification from the same data in each run "
            "of the pipeline (stage spec_curve).",
        )
    if not summary.empty:
        paths = summary[summary["kind"] == "path"]
        robust = paths[paths["share_significant_same_sign"] >= rules.robust_share]
        k = cite(len(robust), "n", "derived:spec_curve_summary")
        n = cite(len(paths), "n", "derived:spec_curve_summary")
        at = cite_pct(rules.robust_share, "params:report.verdicts.robust_share", 0)
        s.p(
            f"{n}项减负措施对形式主义负担的路径中，{k}项在至少{at}的规格下与主分析同号且显著"
            "（report.verdicts.robust_share）；各效应的规格数、中位数、范围与占比见表，规格曲线见图。",
            f"Of the {n} paths from a measure to formalism burden, {k} have the main analysis's "
            f"sign and are significant in at least {at} of the specifications "
            "(report.verdicts.robust_share); the table gives each effect's specifications, "
            "median, range and shares, the figures the curves.",
        )
    if not status["complete"]:
        got = cite(status["estimated"], "n", "spec_curve_status")
        total = cite(status["specifications"], "n", "spec_curve_status")
        s.p(
            f"注意：{total}个规格中只有{got}个可以估计（未能估计的规格及原因见 "
            "reports/robustness/status.json），假设判定未使用规格曲线。",
            f"Caution: only {got} of the {total} specifications could be estimated (the others "
            "and why are listed in reports/robustness/status.json), so the verdicts do not use "
            "the curve.",
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
    """The cover's lines after the title: ("notice", …) for simulated data only, then ("p", …)
    the data the report comes from (responses, valid ones, export files; office records)."""
    rows = out["ingest"]["survey"]["rows"]
    n_in, n_clean = cite(rows["in"], "n", "ingest"), cite(rows["clean"], "n", "ingest")
    files = out["ingest"]["survey"].get("files")  # the number of export files read
    nf = cite(files, "n", "ingest") if files else ""
    from_zh = f"，来自{nf}个导出文件" if files else ""
    from_en = f", from {nf} export file{'s' if files != 1 else ''}" if files else ""
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
