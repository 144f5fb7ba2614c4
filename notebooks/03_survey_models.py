# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 Survey models
#
# 问卷部分的假设检验：减负措施 → 形式主义负担 → 干部状态（情绪耗竭、工作投入）→ 服务群众成效，
# 以及调节（容错机制、数字素养）、中介与跨层效应。
#
# 模型是 `params.yaml` 中 `models.specs` 下的具名设定（增删模型只需改设定，不需改代码，
# 见 `docs/models.md`）；`models` 阶段已把所有估计写入
# `data/processed/models/{coefficients,effects,fit}.parquet`。本笔记本只读取这些结果，
# 用报告使用的同一组函数制表（`jianfu.tables`）、作图（`jianfu.figures.survey`）。

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from jianfu import notebook
from jianfu.codebook.load import load_codebook
from jianfu.core.params import load_params
from jianfu.figures import labels as figlabels
from jianfu.figures import survey
from jianfu.figures.style import figure_style
from jianfu.notebook import read_output
from jianfu.tables import (
    conditional_effects_table,
    descriptives_table,
    fmt_p,
    mediation_table,
    regression_table,
)

LANG = "zh"


ROOT = notebook.setup()


def read(rel: str):
    """A pipeline output, by its path relative to the project root."""
    return read_output(ROOT, rel)


def show_table(table) -> None:
    """A `jianfu.tables.Table` as the report prints it (HTML, three-line table)."""
    notebook.show_table(table, LANG)


params = load_params(ROOT / "params.yaml")
cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
labels = figlabels.variable_labels(
    cb, {"workload": {"zh": "乡镇行政工作量", "en": "Township workload"}}
)
coefs = read("data/processed/models/coefficients.parquet")
effects = read("data/processed/models/effects.parquet")
fit = read("data/processed/models/fit.parquet")
CONTROLS = list(params["models"]["covariates"])

# %% [markdown]
# ## 1. Hypotheses and model specs
#
# | 假设 | 内容 | 设定（`models.specs`） |
# |---|---|---|
# | H1 | 措施降低负担（PV…FT → FB 为负）；督察 AS 对负担约为 0、对服务为正 | `h1_burden`、`sem` |
# | H2 | 负担消耗干部：FB → EE（+），FB → WE（−） | `h2_*`、`sem` |
# | H3 | 容错缓冲 FB → EE（FT × FB 为负）；数字素养放大 DE 的作用（DL × DE 为负） | `h3_*`、`sem` |
# | H4 | 干部状态影响服务：WE → SO（+），EE → SO（−） | `h4_service`、`h4_service_item`、`sem` |
# | H5 | 中介：措施 → FB → WE → SO（链式）；措施 → FB → EE | `h5_serial`、`h5_exhaustion` |
# | H6 | 分批推行的措施降低工作量（政策面板） | 见 `04_policy_panel` |
# | H7 | 跨层：乡镇行政工作量（部门数据）提高个人负担 | `h1_burden`、`h7_*`、`sem` |
#
# 下表是 `params.yaml` 中当前的全部设定：

# %%
specs = params["models"]["specs"].to_dict()


def describe(spec: dict) -> str:
    """A model spec in one line: outcome ~ predictors (| mediators, moderator)."""
    kind = spec["kind"]
    if kind == "ols":
        return f"{spec['y']} ~ " + " | ".join(" ".join(block) for block in spec["blocks"])
    if kind == "mixed":
        return spec["formula"]
    if kind == "sem":
        return "; ".join(f"{y} ~ {' '.join(xs)}" for y, xs in spec["equations"].items())
    if kind == "process":
        x = spec["x"] if isinstance(spec["x"], str) else "/".join(spec["x"])
        chain = " → ".join([x, *spec.get("m", []), spec["y"]])
        return chain + (f" (W = {spec['w']})" if "w" in spec else "")
    if kind == "ordered_logit":
        return f"{spec['y']} ~ {' '.join(spec['x'])}"
    return " ".join(spec.get("variables", []))


pd.DataFrame(
    [
        {
            "spec": name,
            "kind": spec["kind"] + (f" {spec['model']}" if "model" in spec else ""),
            "model": describe(spec),
            "target": spec.get("target", ""),
        }
        for name, spec in specs.items()
    ]
)

# %% [markdown]
# ## 2. Descriptives and correlations
#
# 表 1：均值、标准差、相关系数（显著性星号），对角线为 α。热图只画下三角。

# %%
summary = read("reports/models/table1__summary.csv")
correlations = read("reports/models/table1__correlations.csv")
show_table(descriptives_table(summary, correlations, labels))
with figure_style(LANG):
    fig = survey.correlation_heatmap(correlations, labels=labels, lang=LANG)
    display(fig)

# %% [markdown]
# 嵌套结构：干部嵌套于乡镇、乡镇嵌套于区县。零模型的组内相关系数（ICC）说明结果变量有多少方差
# 在乡镇、区县层面，也说明为什么回归的标准误按乡镇聚类（`models.cluster`）。

# %%
icc = fit[(fit["spec"] == "icc") & fit["statistic"].str.startswith("icc_")]
icc.pivot(index="equation", columns="statistic", values="value").round(3)

# %% [markdown]
# ## 3. Hypothesis check (latent SEM)
#
# 潜变量结构方程模型（ML，含共同方法因子，交互项用双重中心化乘积指标）
# 是唯一估计潜变量标准化路径的模型。下表把每条假设路径与预期符号对照：
# 95% 置信区间不含 0 且符号与预期一致，记为“支持”；
# 预期约为 0 的路径，置信区间含 0 即为“支持”。

# %%
EXPECTED = [
    ("H1", "FB", m, "−") for m in ("PV", "RL", "DM", "DE", "FC", "FT")
] + [
    ("H1", "FB", "AS", "0"),
    ("H1", "SO", "AS", "+"),
    ("H2", "EE", "FB", "+"),
    ("H2", "WE", "FB", "−"),
    ("H3", "EE", "FB_x_FT", "−"),
    ("H3", "FB", "DE_x_DL", "−"),
    ("H4", "SO", "WE", "+"),
    ("H4", "SO", "EE", "−"),
    ("H7", "FB", "workload", "+"),
]  # fmt: skip
sem = coefs[coefs["spec"] == "sem"].set_index(["equation", "term"])
rows = []
for hypothesis, outcome, term, sign in EXPECTED:
    r = sem.loc[(outcome, term)]
    lo, hi = r["std_ci_low"], r["std_ci_high"]
    supported = {"−": hi < 0, "+": lo > 0, "0": lo <= 0 <= hi}[sign]
    rows.append(
        {
            "hypothesis": hypothesis,
            "path": f"{term} → {outcome}",
            "expected": sign,
            "β": round(r["std"], 3),
            "95% CI": f"[{lo:.3f}, {hi:.3f}]",
            "p": fmt_p(r["p"]),
            "supported": supported,
        }
    )
pd.DataFrame(rows)

# %% [markdown]
# 结构模型的路径图（蓝色为正、橙红为负、灰色虚线为 p ≥ .05）：

# %%
with figure_style(LANG):
    fig = survey.sem_path_diagram(coefs, labels=labels, lang=LANG)
    display(fig)

# %% [markdown]
# ## 4. Hierarchical regressions (H1, H2, H4, H7)
#
# 观测分数（量表均值）上的分层 OLS：第 1 步为控制变量，第 2 步加入主要预测变量，
# 第 3 步加入交互项；标准误按乡镇聚类。控制变量合并为一行。
# 注意：观测分数回归的系数受测量误差（衰减）和共同方法方差（放大）影响，
# 与上面的潜变量 β 不是同一个量（`docs/models.md`）。

# %%
ols = [s for s, spec in specs.items() if spec["kind"] == "ols"]
show_table(regression_table(coefs, fit, ols, labels, collapse=CONTROLS))

# %% [markdown]
# 七项措施对形式主义负担的影响：左为 OLS（观测分数，原始量纲），右为 SEM（潜变量，标准化）。

# %%
with figure_style(LANG):
    fig = survey.burden_forest(
        coefs, measures=figlabels.measure_codes(cb), labels=labels, lang=LANG
    )
    display(fig)

# %% [markdown]
# 单个题项作结果变量（有序 logit，log-odds）与多层模型（乡镇嵌套于区县，REML）中的工作量效应：

# %%
ordinal = coefs[coefs["kind"] == "ordered_logit"]
display(
    ordinal[["spec", "equation", "term", "estimate", "se", "p"]]
    .round(4)
    .assign(p=ordinal["p"].map(fmt_p))
)
mixed = coefs[(coefs["kind"] == "mixed") & (coefs["term"] == "workload")]
display(
    mixed[["spec", "term", "estimate", "se", "p", "method"]]
    .round(4)
    .assign(p=mixed["p"].map(fmt_p))
)
variances = fit[(fit["spec"].isin(mixed["spec"])) & fit["statistic"].str.startswith("var[")]
variances.pivot(index="statistic", columns="spec", values="value").round(4)

# %% [markdown]
# ## 5. Mediation (H5)
#
# PROCESS 模型 6（链式：措施 → FB → WE → SO）和模型 4（措施 → FB → EE）的间接效应，
# 置信区间为 5,000 次自助法的百分位区间（`models.bootstrap`）；区间不含 0 即间接效应成立。

# %%
mediation_specs = [
    s for s, spec in specs.items() if spec["kind"] == "process" and spec["model"] in (4, 6)
]
show_table(mediation_table(effects, labels, specs=mediation_specs))

# %% [markdown]
# 以“精文减会”（DM）为例的链式中介路径图（路径为非标准化 OLS 系数）：

# %%
spec = "h5_serial"
with figure_style(LANG):
    fig = survey.mediation_diagram(
        coefs[coefs["spec"] == spec],
        effects[effects["spec"] == spec],
        spec=spec,
        x="DM",
        labels=labels,
        lang=LANG,
    )
    display(fig)

# %% [markdown]
# ## 6. Moderation (H3)
#
# PROCESS 模型 1 的条件效应（调节变量取均值 ±1 SD），模型 7 / 14 的有调节的中介（条件间接效应与
# 有调节的中介指数）。

# %%
moderation_specs = [
    s for s, spec in specs.items() if spec["kind"] == "process" and spec["model"] in (1, 7, 14)
]
show_table(conditional_effects_table(effects, labels, specs=moderation_specs))

# %% [markdown]
# 简单斜率与 Johnson–Neyman 区间：阴影部分是条件效应显著不为 0 的调节变量取值范围。

# %%
for spec in ("h3_digital_literacy", "h3_fault_tolerance"):
    with figure_style(LANG):
        fig = survey.moderation_plot(
            coefs[coefs["spec"] == spec],
            effects[effects["spec"] == spec],
            spec=spec,
            x_range=(1.0, 5.0),
            w_range=(1.0, 5.0),
            labels=labels,
            lang=LANG,
        )
        display(fig)

# %% [markdown]
# ## 7. Recovery against the simulated truth
#
# 默认数据是模拟的，真值已知（`data/truth/survey_truth.json`）。`survey_recovery` 阶段把每个估计量
# 与它所针对的真值对照：潜变量 SEM 针对标准化潜变量路径，OLS 针对观测分数的总体回归系数。
# 95% 置信区间的覆盖率应接近 95%。真实数据没有这一步。

# %%
if params["data"]["source"] == "simulated":
    recovery = read("reports/recovery/survey/survey_recovery.csv")
    coverage = recovery.groupby("family")["covered"].agg(["sum", "count", "mean"])
    display(coverage.rename(columns={"sum": "covered", "count": "estimands", "mean": "coverage"}))
    with figure_style(LANG):
        fig = survey.recovery_plot(recovery, labels=labels, lang=LANG)
        display(fig)
    display(
        recovery.loc[
            ~recovery["covered"], ["family", "equation", "term", "truth", "estimate", "note"]
        ]
    )
else:
    print("real data: no truth to compare with")
