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
# # 04 Policy panel
#
# 假设 H6：一表通、政务应用与工作群清理、发文开会负面清单、村（社区）职责清单
# 由各区县在不同时间推行（交错采纳，staggered adoption），它们是否降低了基层干部的工作量，
# 一表通之后 12345 热线服务是否随之改善？
#
# 数据是部门业务记录汇总成的乡镇 × 月、区县 × 月面板（`panel` 阶段），估计在 `policy` 阶段完成：
# Callaway–Sant'Anna（CS）的 ATT(g,t) 及其汇总、Sun–Abraham、以及作对照的双向固定效应（TWFE）。
# 本笔记本只读取这些结果（`data/processed/policy/`、`reports/recovery/policy/`），
# 唯一的计算是第 5 节中 TWFE 隐含权重的简单代数（不到一秒）。方法与取舍见 `docs/policy.md`。

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from jianfu import notebook
from jianfu.core.params import load_params
from jianfu.figures import policy
from jianfu.figures.style import current_style, figure_style, localize, new_figure
from jianfu.notebook import read_output
from jianfu.tables import fmt_p

LANG = "zh"


ROOT = notebook.setup()


def read(rel: str):
    """A pipeline output, by its path relative to the project root."""
    return read_output(ROOT, rel)


def month_number(months: pd.Series) -> pd.Series:
    """'2024-03' → a running month number (year × 12 + month), for event-time arithmetic."""
    parts = months.str.split("-", expand=True).astype("int64")
    return parts[0] * 12 + parts[1]


params = load_params(ROOT / "params.yaml")
SIMULATED = params["data"]["source"] == "simulated"
EFFECTS = params["policy"]["effects"].to_dict()  # measure → outcomes
name = {**policy.MEASURE_LABELS, **policy.OUTCOME_LABELS, **policy.ESTIMATOR_LABELS}
district_month = read("data/processed/panel/district_month.parquet")
aggregates = read("data/processed/policy/aggregates.parquet")
event_study = read("data/processed/policy/event_study.parquet")
truth = read("reports/recovery/policy/aggregates_recovery.csv") if SIMULATED else None
pd.DataFrame(
    [
        {"measure": m, "label": localize(name[m], LANG), "outcomes": ", ".join(outcomes)}
        for m, outcomes in EFFECTS.items()
    ]
)

# %% [markdown]
# ## 1. Roll-out
#
# 各区县推行每项措施的月份（灰色为从未推行）。同一月份推行的区县构成一个队列（cohort）g。

# %%
rollout = read("data/processed/admin/rollout.parquet")
with figure_style(LANG):
    fig = policy.district_tile_map(
        rollout,
        value="adoption_month",
        facet="measure",
        month_range=tuple(params["panel"]["window"]),
        lang=LANG,
    )
    display(fig)

# %% [markdown]
# 每项措施有多少个队列、每个队列有几个区县。只有一两个区县的队列很多——这决定了下面标准误的读法。

# %%
adopted = rollout.dropna(subset=["adoption_month"])
cohort_sizes = adopted.groupby(["measure", "adoption_month"]).size()
pd.DataFrame(
    {
        "first": adopted.groupby("measure")["adoption_month"].min(),
        "last": adopted.groupby("measure")["adoption_month"].max(),
        "cohorts": cohort_sizes.groupby("measure").size(),
        "cohorts of 1–2 districts": (cohort_sizes <= 2).groupby("measure").sum(),
        "never adopting": rollout.groupby("measure")["adoption_month"].apply(
            lambda s: int(s.isna().sum())
        ),
    }
)

# %% [markdown]
# ## 2. Trends
#
# 描述性的第一眼：分区域（一区两群）的人均报表填报次数，以及已推行一表通的区县占比。

# %%
with figure_style(LANG):
    fig = policy.workload_trends(
        district_month, "adopt_yibiaotong", "report_submissions", lang=LANG
    )
    display(fig)

# %% [markdown]
# 12345 热线：推行一表通的区县（按推行月对齐）与同期尚未推行的区县对比。
# 热线改善预期在推行后约 `policy.lags` 个月才出现。

# %%
with figure_style(LANG):
    fig = policy.hotline_before_after(district_month, "yibiaotong", lang=LANG)
    display(fig)

# %% [markdown]
# ## 3. Event studies
#
# 相对推行月份的动态效应：CS 与 TWFE 事件研究并列，
# 黑线为模拟设定的真值。推行前（e < 0）的估计应在 0 附近，这是平行趋势的检验。

# %%
for measure, outcome in (("yibiaotong", "report_submissions"), ("negative_list", "documents")):
    with figure_style(LANG):
        fig = policy.event_study(
            event_study,
            measure,
            outcome,
            truth=truth,
            window=tuple(params["policy"]["event_window"]),
            layout="panels",
            lang=LANG,
        )
        display(fig)

# %% [markdown]
# 推行前系数联合为 0 的检验（Wald χ² 与小样本 F），分别基于按区县聚类的标准误和乡镇层面的标准误。
# 按区县聚类在队列只有一两个区县时标准误偏小（见第 6 节），检验因此过于容易拒绝；
# 两种结果都列出。

# %%
pretrends = read("data/processed/policy/pretrends.parquet")
table = pretrends[["measure", "outcome", "estimator", "p_value_f", "p_value_f_unit", "n_cells"]]
table = table.assign(
    p_cluster=table["p_value_f"].map(fmt_p), p_unit=table["p_value_f_unit"].map(fmt_p, missing="—")
)
table.drop(columns=["p_value_f", "p_value_f_unit"])

# %% [markdown]
# ## 4. Average effects
#
# 每项措施 × 结果的平均效应：CS 的 simple 汇总（所有推行后的乡镇 × 月份平均）与 TWFE 的静态系数；
# 模拟数据还给出真值。工作量单位为每人每月的次数（件数、分钟数），热线为小时或比例。

# %%
simple = aggregates[aggregates["aggregation"].isin(["simple", "static"])]
effects = simple.pivot_table(
    index=["measure", "outcome"], columns="estimator", values="estimate", sort=False
)
if SIMULATED:
    true_att = truth[(truth["aggregation"] == "simple") & truth["estimator"].str.startswith("cs")]
    effects["truth"] = true_att.groupby(["measure", "outcome"], sort=False)["truth"].first()
effects.round(3)

# %% [markdown]
# ## 5. Why TWFE misleads here
#
# 在交错采纳、效应随推行时间逐步增强（每项措施有 2–4 个月的爬坡期）的情况下，静态 TWFE 系数
# 不是平均处理效应：它是各个“已处理的乡镇 × 月份”效应的加权平均，权重只由推行时间决定，
# 而且可以为负（de Chaisemartin & D'Haultfœuille, 2020；Goodman-Bacon, 2021）。
#
# 权重可以直接算出：把处理变量 D 对乡镇和月份固定效应回归，取残差 D̃；
# 平衡面板中 D̃ = D − 乡镇均值 − 月份均值 + 总均值。TWFE 系数 = Σ D̃·Y / Σ D̃·D，
# 在平行趋势下等于 Σ w·τ，其中 w = D̃ / Σ D̃·D 只落在已处理的格子上。
# 推行越早、处理时间越长的格子，D̃ 越小甚至为负——恰恰是效应最大的格子。
#
# （上面两张事件研究图里，TWFE 的动态系数与真值相差不大；误导人的是把动态效应
# 压缩成一个静态系数时所用的权重。）


# %%
def twfe_weights(panel: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Weights of the static TWFE coefficient on every treated township-month (balanced panel,
    always-treated townships left out as in the policy stage)."""
    frame = panel[["township_code", "month", f"adopt_{measure}"]].rename(
        columns={f"adopt_{measure}": "cohort"}
    )
    frame = frame[~(frame["cohort"] <= frame["month"].min())]  # always treated: no pre-period
    treated = (frame["month"] >= frame["cohort"]).astype("float64")  # NaN cohort: never
    residual = (
        treated
        - treated.groupby(frame["township_code"]).transform("mean")
        - treated.groupby(frame["month"]).transform("mean")
        + treated.mean()
    )
    frame = frame.assign(weight=residual / (residual * treated).sum())[treated == 1]
    return frame.assign(event_time=month_number(frame["month"]) - month_number(frame["cohort"]))


township_month = read("data/processed/panel/township_month.parquet")
weights = {m: twfe_weights(township_month, m) for m in EFFECTS}
pd.DataFrame(
    {
        "treated township-months": {m: len(w) for m, w in weights.items()},
        "share with negative weight": {m: (w["weight"] < 0).mean() for m, w in weights.items()},
        "sum of negative weights": {
            m: w.loc[w["weight"] < 0, "weight"].sum() for m, w in weights.items()
        },
    }
).round(3)

# %% [markdown]
# 一表通的权重按推行后月份 e 加总：TWFE 把权重集中在刚推行的月份，处理时间长的月份权重很小甚至为负；
# CS 的 simple 汇总给每个已处理的乡镇 × 月份相同的权重。

# %%
measure = "yibiaotong"
by_event = weights[measure].groupby("event_time")["weight"].sum()
equal = weights[measure].groupby("event_time").size() / len(weights[measure])
with figure_style(LANG):
    palette = current_style().palette
    fig = new_figure("double", 6.0)
    ax = fig.add_subplot()
    ax.bar(
        by_event.index - 0.2,
        by_event,
        width=0.4,
        color=palette[1],
        label=localize(name["twfe"], LANG),
    )
    ax.bar(equal.index + 0.2, equal, width=0.4, color=palette[0], label="CS simple")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(localize(policy.TEXT["event_time"], LANG))
    ax.set_ylabel(localize({"zh": "权重之和", "en": "Sum of weights"}, LANG))
    ax.set_title(localize(name[measure], LANG))
    ax.legend()
    display(fig)

# %% [markdown]
# 模拟数据中真值已知，可以验证这一解释：用 TWFE 权重对真实的 ATT(g,t) 加权
# （“TWFE 隐含的估计目标”），几乎就是 TWFE 的实际估计值；而真正的平均效应
# （CS simple 的目标）明显更大。偏差来自权重，而不是抽样误差。
# 热线结果的面板有缺失月份的乡镇被剔除，权重略有不同，这里只列工作量结果。

# %%
if SIMULATED:
    att = read("data/truth/att.parquet")
    rows = []
    for measure, outcomes in EFFECTS.items():
        cells = weights[measure].groupby(["cohort", "month"])["weight"].sum().reset_index()
        for outcome in outcomes:
            if township_month[outcome].isna().any():
                continue  # townships with missing months are left out: other weights
            true_cells = att[(att["measure"] == measure) & (att["outcome"] == outcome)]
            merged = cells.merge(true_cells, on=["cohort", "month"], how="left")
            rows.append(
                {
                    "measure": measure,
                    "outcome": outcome,
                    "true ATT (simple)": effects.loc[(measure, outcome), "truth"],
                    "TWFE estimate": effects.loc[(measure, outcome), "twfe"],
                    "Σ w·ATT(g,t) (TWFE's target)": (merged["weight"] * merged["att"]).sum(),
                }
            )
    implied = pd.DataFrame(rows).set_index(["measure", "outcome"])
    implied["TWFE / truth"] = implied["TWFE estimate"] / implied["true ATT (simple)"]
    display(implied.round(3))
else:
    print("real data: no truth; the weights above apply all the same")

# %% [markdown]
# 所有结果的估计值占真值的百分比（CS 对 TWFE）：

# %%
if SIMULATED:
    with figure_style(LANG):
        fig = policy.policy_recovery_plot(truth, ci="unit", lang=LANG)
        display(fig)

# %% [markdown]
# ## 6. Standard errors with few clusters
#
# 处理在区县层面分配，标准误默认按区县聚类（`policy.cluster`）。但很多队列只有一个区县：
# 在一个聚类内，处理组的影响函数之和为 0，聚类稳健标准误因此漏掉了处理组一侧的方差，偏小。
# 下表用模拟真值检验两种 95% 置信区间对每个 ATT(g,t) 的覆盖率，按队列的区县数分组。

# %%
if SIMULATED:
    cells = read("reports/recovery/policy/attgt_recovery.csv")
    cells = cells[cells["post"]]
    size = pd.cut(cells["districts"], [0, 1, 2, 4, 100], labels=["1", "2", "3–4", "5+"])
    display(
        cells.groupby(size, observed=True)
        .agg(
            cells=("covered", "size"),
            coverage_cluster=("covered", "mean"),
            coverage_unit=("covered_unit", "mean"),
        )
        .rename_axis("districts in the cohort")
        .round(3)
    )

# %% [markdown]
# ## 7. Heterogeneity by region
#
# 各区域（一区两群）内部的 CS simple 效应（尚未处理组为对照）：

# %%
regional = aggregates[
    aggregates["aggregation"].str.startswith("simple[") & (aggregates["estimator"] == "cs_notyet")
]
regional.assign(region=regional["aggregation"].str.slice(7, -1)).pivot_table(
    index=["measure", "outcome"], columns="region", values="estimate", sort=False
).round(3)
