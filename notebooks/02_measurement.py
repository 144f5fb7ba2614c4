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
# # 02 Measurement quality
#
# 在检验假设之前，先看量表测得准不准：题项分布、信度（α、ω、CR）、因子结构（EFA、CFA）、
# 聚合效度与区分效度（AVE、Fornell–Larcker、HTMT），以及共同方法偏差。
#
# 所有数字都来自 `measure` 阶段（`jianfu.measure`）写出的结果，笔记本不重新估计：
#
# | 内容 | 文件 |
# |---|---|
# | α、逐题统计 | `reports/measure/reliability.csv`、`reliability_items.csv` |
# | ω / CR / AVE | `reports/measure/cr_ave.csv` |
# | KMO、Bartlett | `reports/measure/kmo.csv`、`bartlett.csv` |
# | 平行分析、EFA 载荷 | `reports/measure/parallel_analysis.csv`、`efa_loadings.csv` |
# | CFA 估计与拟合 | `reports/measure/cfa_estimates.csv`、`cfa_fit.json` |
# | Fornell–Larcker、HTMT | `reports/measure/fornell_larcker.csv`、`htmt_semtools.csv` |
# | Harman 单因子、方法因子 | `reports/measure/harman.json`、`method_factor*.{json,csv}` |
#
# 表格由报告使用的同一组函数（`jianfu.tables`）生成，图由 `jianfu.figures.survey` 生成。
# 文中的经验标准（如 CFI ≥ .95、AVE ≥ .50、HTMT < .85）是文献中的常用门槛，不是定律。

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from jianfu import notebook
from jianfu.codebook.load import load_codebook
from jianfu.figures import labels as figlabels
from jianfu.figures import survey
from jianfu.figures.style import current_style, figure_style, localize, new_figure
from jianfu.notebook import read_output
from jianfu.tables import (
    fit_table,
    fmt_p,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    reliability_table,
)

LANG = "zh"


ROOT = notebook.setup()


def read(rel: str):
    """A pipeline output, by its path relative to the project root."""
    return read_output(ROOT, rel)


def show_table(table) -> None:
    """A `jianfu.tables.Table` as the report prints it (HTML, three-line table)."""
    notebook.show_table(table, LANG)


cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
labels = figlabels.variable_labels(cb)
constructs = pd.DataFrame(
    [{"construct": c.id, "zh": c.label.zh, "en": c.label.en, "role": c.role} for c in cb.constructs]
)
display(constructs)

# %% [markdown]
# ## 1. Item distributions
#
# 先看原始回答：七项减负措施各题项的回答分布（发散堆积条形图，中间选项跨零点）。
# 反向计分题按原样显示并标出“（反向）”。天花板或地板效应会在这里一眼看出。

# %%
clean = read("data/processed/survey/clean.parquet")
items, scales = figlabels.item_table(cb), figlabels.scale_table(cb)
with figure_style(LANG):
    fig = survey.likert_bars(
        clean[items["item"].tolist()],
        items,
        scales,
        constructs=figlabels.measure_codes(cb),
        labels=labels,
        lang=LANG,
    )
    display(fig)

# %% [markdown]
# ## 2. Reliability
#
# Cronbach's α（psych::alpha 的 raw_alpha）、McDonald's ω、组合信度 CR 与平均方差提取量 AVE
# （Fornell–Larcker 定义）。常用标准：α、CR ≥ .70，AVE ≥ .50。

# %%
reliability = read("reports/measure/reliability.csv")
cr_ave = read("reports/measure/cr_ave.csv")
show_table(reliability_table(reliability, cr_ave, labels))

# %% [markdown]
# 逐题检查：校正题总相关（r_drop）低于 .30，或删除该题后 α 反而升高的题项值得推敲措辞。

# %%
by_item = read("reports/measure/reliability_items.csv")
by_item["alpha"] = by_item["construct"].map(reliability.set_index("construct")["raw_alpha"])
by_item["check"] = (by_item["r_drop"] < 0.30) | (by_item["alpha_if_deleted"] > by_item["alpha"])
print(f"items to look at: {int(by_item['check'].sum())} of {len(by_item)}")
display(by_item.sort_values("r_drop").head(8).round(3))

# %% [markdown]
# ## 3. Factor structure: EFA
#
# 因子分析的前提（KMO、Bartlett 球形检验），平行分析决定保留几个因子，
# 然后看每个题项主要落在哪个因子上、是否有交叉载荷。

# %%
kmo = read("reports/measure/kmo.csv")
bartlett = read("reports/measure/bartlett.csv").iloc[0]
overall_kmo = read("reports/measure/summary.json")["kmo"]
print(f"KMO overall = {overall_kmo:.3f}; lowest item MSA = {kmo['msa'].min():.3f}")
print(
    f"Bartlett χ²({bartlett['df']:.0f}) = {bartlett['chisq']:,.0f}, "
    f"p {fmt_p(bartlett['pvalue'], prefix=True)[2:]}, n = {bartlett['n']:.0f}"
)

# %% [markdown]
# 平行分析（psych::fa.parallel 的默认设置）：实际特征值高于随机数据特征值的因子才保留。

# %%
parallel = read("reports/measure/parallel_analysis.csv")
n_factors = int((parallel["observed"] > parallel["simulated_threshold"]).cumprod().sum())
with figure_style(LANG):
    fig = new_figure("single", 5.5)
    ax = fig.add_subplot()
    shown = parallel.head(25)
    palette = current_style().palette
    ax.plot(shown["eigenvalue"], shown["observed"], "o-", ms=2.5, color=palette[0],
            label=localize({"zh": "实际数据", "en": "Observed"}, LANG))  # fmt: skip
    ax.plot(shown["eigenvalue"], shown["simulated_threshold"], "s--", ms=2.5, color=palette[1],
            label=localize({"zh": "随机数据", "en": "Random data"}, LANG))  # fmt: skip
    ax.axvline(n_factors + 0.5, color=current_style().muted, linewidth=0.6)
    ax.set_xlabel(localize({"zh": "因子序号", "en": "Factor"}, LANG))
    ax.set_ylabel(localize({"zh": "特征值", "en": "Eigenvalue"}, LANG))
    ax.legend()
    display(fig)
print(f"factors retained by parallel analysis: {n_factors}; constructs: {len(cb.constructs)}")

# %% [markdown]
# 每个题项的主因子与载荷：每个构念的题项应落在同一个因子上，
# 且交叉载荷（另一个因子上 |λ| ≥ .30）很少。

# %%
efa = read("reports/measure/efa_loadings.csv").set_index("item")
primary = efa.abs().idxmax(axis=1)
summary = pd.DataFrame(
    {
        "construct": by_item.set_index("item")["construct"].reindex(efa.index),
        "factor": primary,
        "loading": [efa.at[i, f] for i, f in primary.items()],
        "cross_loadings": (efa.abs() >= 0.30).sum(axis=1) - 1,
    }
)
per_construct = summary.groupby("construct", sort=False).agg(
    factors=("factor", lambda f: ", ".join(sorted(set(f)))),
    min_loading=("loading", lambda x: x.abs().min()),
    cross_loadings=("cross_loadings", "sum"),
)
display(per_construct.round(3))

# %% [markdown]
# ## 4. Confirmatory factor analysis
#
# 13 个构念的测量模型（ML，lavaan 的估计量）。拟合指标的常用门槛（Hu & Bentler, 1999）：
# CFI、TLI ≥ .95，RMSEA ≤ .06，SRMR ≤ .08。样本较大时 χ² 几乎总是显著，不单独作为依据。

# %%
cfa_fit = read("reports/measure/cfa_fit.json")
cutoffs = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06), "srmr": ("<=", 0.08)}
pd.DataFrame(
    [
        {
            "index": k.upper(),
            "value": round(cfa_fit[k], 3),
            "cutoff": f"{op} {c}",
            "met": cfa_fit[k] >= c if op == ">=" else cfa_fit[k] <= c,
        }
        for k, (op, c) in cutoffs.items()
    ]
)

# %% [markdown]
# 标准化载荷（`jianfu.figures.survey.cfa_loadings`，与报告中的图相同）。
# 载荷低于 .50 的题项列在图下。

# %%
estimates = read("reports/measure/cfa_estimates.csv")
with figure_style(LANG):
    fig = survey.cfa_loadings(estimates, labels=labels, lang=LANG)
    display(fig)
loadings = estimates[estimates["op"] == "=~"]
print("loadings below .50:", loadings.loc[loadings["std_all"] < 0.5, "rhs"].tolist() or "none")

# %% [markdown]
# ## 5. Convergent and discriminant validity
#
# **Fornell–Larcker 准则**：对角线上的 √AVE 应大于该构念与其他构念的相关。
# **HTMT**（semTools 的 HTMT2）：低于 .85（或宽松的 .90）说明两个构念可以区分。

# %%
fornell = read("reports/measure/fornell_larcker.csv").set_index("index")
show_table(fornell_larcker_table(fornell, labels))
htmt = read("reports/measure/htmt_semtools.csv").set_index("index")
show_table(htmt_table(htmt, labels, threshold=0.85))
print(f"largest |HTMT| = {htmt.abs().max().max():.2f}")

# %% [markdown]
# ## 6. Common-method variance
#
# 所有构念都来自同一份自评问卷，可能存在共同方法偏差。两个检验：
#
# 1. **Harman 单因子检验**：第一个未旋转因子解释的方差是否超过 50%（粗略，只能发现严重的问题）；
# 2. **潜在方法因子**：在 CFA 中加入一个载荷于所有题项的方法因子，比较拟合与载荷变化。

# %%
harman = read("reports/measure/harman.json")
share = read("reports/measure/summary.json")["harman_first_factor_share"]
print(f"Harman: the first factor explains {share:.1%} (criterion {harman['criterion']:.0%})")
method = read("reports/measure/method_factor.json")
print(
    f"method factor: {method['method_variance_share']:.1%} of the item variance; "
    f"trait loadings change by {method['mean_abs_loading_change']:.3f} on average (absolute)"
)
tests = pd.DataFrame(method["tests"])[["restricted", "full", "delta_chisq", "delta_df", "pvalue"]]
display(tests.assign(pvalue=tests["pvalue"].map(fmt_p)).round(1))

# %% [markdown]
# 单因子模型、13 因子模型、加入方法因子的模型，以及结构方程模型（`models` 阶段）的拟合对比：

# %%
method_fits = read("reports/measure/method_factor_fits.csv")
model_fit = read("data/processed/models/fit.parquet")
show_table(fit_table(measurement_fits(cfa_fit, method_fits, model_fit)))

# %% [markdown]
# ## Summary
#
# 若信度、CFA 拟合与区分效度都满足上面的标准，就可以用构念的均值分数（`models.scores: mean`）
# 或因子分数进入 `03_survey_models` 的回归与中介、调节分析；方法因子的大小提示
# 观测分数回归的系数会被共同方法方差放大（`docs/models.md`），潜变量 SEM 会对此作出校正。
