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
# # 01 Data and cleaning
#
# 本笔记本展示问卷数据从原始导出到分析样本的全过程：**收到了什么**、**剔除了哪些答卷、为什么**、
# **镇街名称如何匹配到官方代码**，以及个人信息如何脱敏、部门业务数据如何校验。
#
# 笔记本只读取流水线（`dvc repro`）已经写好的结果，不重新清洗：
#
# | 内容 | 文件 | 生成阶段 |
# |---|---|---|
# | 读取、映射与清洗报告 | `reports/ingest/survey_ingest_report.json` | `ingest` |
# | CONSORT 式清洗流程 | `reports/ingest/cleaning_flow.csv` | `ingest` |
# | 单元格问题（如超出取值范围） | `reports/ingest/cell_issues.csv` | `ingest` |
# | 清洗后数据与隔离区 | `data/processed/survey/{clean,quarantine}.parquet` | `ingest` |
# | 规则对照真值的精确率、召回率 | `reports/recovery/cleaning/summary.json` | `verify_cleaning` |
# | 部门业务数据校验 | `reports/ingest/admin_validation_report.json` | `ingest` |
#
# 想用同样的步骤清洗自己的导出文件，请看 `06_bring_your_own_data`。

# %% [markdown]
# ## Setup
#
# 从当前目录向上查找含 `dvc.yaml` 的项目根目录，因此在 `notebooks/` 或项目根目录下打开都可以运行。
# `LANG` 决定图的语言（`"zh"` 或 `"en"`）。

# %%
# %matplotlib inline

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from jianfu import notebook
from jianfu.codebook import load_codebook
from jianfu.core.params import load_params
from jianfu.figures import survey
from jianfu.figures.style import current_style, figure_style, localize, new_figure
from jianfu.notebook import read_output

LANG = "zh"


ROOT = notebook.setup()


def read(rel: str):
    """A pipeline output, by its path relative to the project root."""
    return read_output(ROOT, rel)


pd.set_option("display.max_colwidth", 80)
params = load_params(ROOT / "params.yaml")
report = read("reports/ingest/survey_ingest_report.json")
clean = read("data/processed/survey/clean.parquet")
quarantine = read("data/processed/survey/quarantine.parquet")
print(f"project: {ROOT}")

# %% [markdown]
# ## 1. What came in
#
# 导出文件所在的文件夹：模拟数据在 `data/simulated/survey/`（问卷星「按文本」「按序号」
# 两种 xlsx 和一个 GBK 编码的 CSV），自有数据在 `data/own/survey/`（由 `params.yaml` 的
# `data.source` 选择）。`ingest` 阶段读取与 `data.survey_files` 匹配的全部文件，
# 每一行记下它来自哪个文件（`source_file`）。

# %%
SOURCE = params["data"]["source"]
SURVEY_DIR = {"simulated": "data/simulated/survey", "own": "data/own/survey"}[SOURCE]
PATTERNS = list(params["data"]["survey_files"][SOURCE])
raw_files = pd.DataFrame(
    [
        {
            "file": p.name,
            "KB": round(p.stat().st_size / 1024),
            "read by ingest": p.name in {f["file"] for f in report["files"]},
        }
        for p in sorted((ROOT / SURVEY_DIR).iterdir())
        if p.is_file() and p.name != "README.md"
    ]
)
print(f"data.source = {SOURCE!r}; data.survey_files.{SOURCE} = {PATTERNS!r}")
display(raw_files)

# %% [markdown]
# 读取器如何理解这个文件：导出类型（`wjx_text` = 问卷星按文本）、编码、表头所在行，
# 以及它做出的每个判断。

# %%
pd.Series(
    {
        "file": report["file"],
        "kind": report["kind"],
        "encoding": report["encoding"] or "(xlsx: Unicode)",
        "sheet": report["sheet"],
        "header row": report["header_row"],
        "rows in": report["rows"]["in"],
        "reader notes": " | ".join(report["reader_notes"]),
    }
).to_frame("value")

# %% [markdown]
# **列映射。** 每一列按题号和题目文字对应到 codebook（`codebook/cadre_survey.yaml`）中的题项；
# 元数据列（序号、提交时间、用时、IP 等）单独识别。对不上的列不会被悄悄丢弃，而是列在
# `extra_columns` 中另存；codebook 中有而文件中没有的题项列在 `missing_items`。

# %%
mapping = report["mapping"]
how = pd.Series(mapping["how"]).rename("how").rename_axis("column").reset_index()
display(how["how"].str.replace(r"^meta: .*", "meta", regex=True).value_counts().to_frame("columns"))
print("meta columns:", mapping["meta"])
print("extra columns (kept aside):", mapping["extra_columns"] or "none")
print("codebook items missing from the file:", mapping["missing_items"] or "none")

# %% [markdown]
# **单元格问题。** 规范化时（全角数字、`125秒`、`(跳过)` / `(空)` 标记、`┋` 多选等）无法解释或超出
# codebook 取值范围的单元格记录在 `cell_issues.csv`：该值被设为缺失，所在答卷只被标记，不被删除。

# %%
issues = read("reports/ingest/cell_issues.csv")
display(issues.groupby(["issue", "column"]).size().rename("cells").reset_index())
issues.head()

# %% [markdown]
# ## 2. What was removed and why
#
# 清洗规则及其阈值都在 `params.yaml` 的 `ingest.clean` 中。`remove` 的答卷进入隔离区
# （`quarantine.parquet`，附全部原因），`flag` 的答卷保留并加一列 `flag_<规则>`。

# %%
rules = params["ingest"]["clean"]
codebook = load_codebook(
    ROOT / params.get("data", {}).get("codebook", "codebook/cadre_survey.yaml")
)
thresholds = {
    "speeder": f"< {rules['speeder_min_seconds']} s or < {rules['speeder_median_share']} × median",
    "straightliner": (
        f"SD 0 over ≥ {rules['straightline_min_items']} answers of one scale, "
        f"or ≥ {rules['longstring_max']} identical in a row"
    ),
    "too_many_missing": f"> {rules['max_missing_share']:.0%} of scored items missing",
    "duplicate": f"same {' / '.join(rules['duplicate_person_keys'])} or identical answers",
    # the logic rules are the codebook's own (section logic_conflicts)
    "logic_conflict": ", ".join(rule.name for rule in codebook.logic_conflicts) or "none",
}
pd.DataFrame(
    [
        {
            "rule": rule,
            "label": survey.STEP_LABELS.get(rule, {}).get("zh", ""),
            "action": action,
            "threshold": thresholds.get(rule, ""),
        }
        for rule, action in rules["actions"].items()
    ]
)

# %% [markdown]
# 按顺序执行的剔除流程（CONSORT 式）：一份答卷若违反多条规则，只在它**第一次**被剔除的那一步计数，
# 所以各步之和等于隔离区的行数。图由流水线的同一函数 `jianfu.figures.survey.cleaning_flow` 绘制。

# %%
flow = read("reports/ingest/cleaning_flow.csv")
display(flow)
with figure_style(LANG):
    fig = survey.cleaning_flow(flow, lang=LANG)
    display(fig)

# %% [markdown]
# 每条规则命中的答卷数（一份答卷可以命中多条，因此与上面的流程数不同），以及隔离区中原因的组合。

# %%
reasons = pd.Series(report["reasons"], name="rows").to_frame()
reasons["action"] = [rules["actions"][r] for r in reasons.index]
display(reasons)
quarantine["reasons"].value_counts().rename("rows").head(12).to_frame()

# %% [markdown]
# **作答过快。** 有两条阈值：绝对的（少于 `speeder_min_seconds` 秒）和相对的
# （少于中位用时的 `speeder_median_share` 倍），低于任一条即判为过快。
# 下图是所有非空答卷的用时分布（对数坐标），虚线为两条阈值。

# %%
answered = pd.concat([clean["duration_s"], quarantine["duration_s"]]).dropna()
median = answered.median()
cutoffs = {
    localize({"zh": "绝对阈值", "en": "absolute cutoff"}, LANG): rules["speeder_min_seconds"],
    localize({"zh": "相对阈值", "en": "relative cutoff"}, LANG): rules["speeder_median_share"]
    * median,
}
with figure_style(LANG):
    fig = new_figure("single", 5.5)
    ax = fig.add_subplot()
    bins = np.geomspace(max(answered.min(), 10), answered.max(), 60)
    ax.hist(answered, bins=bins, color=current_style().muted)
    ax.set_xscale("log")
    for (name, value), color in zip(cutoffs.items(), current_style().palette, strict=False):
        ax.axvline(value, color=color, linestyle="--", label=f"{name}: {value:.0f} s")
    ax.set_xlabel(
        localize({"zh": "作答用时（秒，对数坐标）", "en": "Time taken (s, log scale)"}, LANG)
    )
    ax.set_ylabel(localize({"zh": "答卷数", "en": "Responses"}, LANG))
    ax.legend()
    display(fig)
print(f"median time {median:.0f} s; speeders: {report['reasons']['speeder']}")

# %% [markdown]
# 被标记但保留的答卷（`flag_*` 列）。同一 IP 在乡镇机关很常见（共用出口），因此只标记不剔除。

# %%
clean.filter(like="flag_").sum().rename("rows flagged (kept)").to_frame()

# %% [markdown]
# **规则的质量。** 默认数据是模拟的，每一行“脏数据”都记录在真值中（`data/truth/`），
# `verify_cleaning` 阶段据此计算每条规则的精确率（precision）与召回率（recall）。
# 对真实数据这一步不存在。

# %%
if params["data"]["source"] == "simulated":
    quality = read("reports/recovery/cleaning/summary.json")
    display(pd.DataFrame(quality["rules"]).T)
else:
    print("real data: no truth to score the rules against")

# %% [markdown]
# ## 3. Township matching
#
# 问卷中的镇街是自由填写的（“龙河”“龙河镇”“丰都县龙河镇”、同音错字……）。
# `ingest` 在受访者所选区县内，把它匹配到 1,031 个镇街的官方 9 位统计代码：
# 先精确匹配，再规范化（去掉区县前缀、后缀、空格），最后模糊匹配（含拼音输入法同音字）。
# 得分低于 `ingest.township.accept_score` 的只标记、列出候选，从不猜测。

# %%
towns = report["townships"]
display(
    pd.DataFrame(
        {
            "by method": pd.Series(towns["by_method"]),
            "by status": pd.Series(towns["by_status"]),
        }
    )
    .astype("Int64")
    .astype("string")
    .fillna("")
)
print(f"match rate: {towns['match_rate']:.1%}")
print("settings (ingest.township):", params["ingest"]["township"].to_dict())

# %% [markdown]
# 得分不到 100 的匹配（模糊匹配）示例：左边是受访者填写的，右边是匹配到的官方名称。

# %%
reference = pd.read_csv(ROOT / "data/reference/cq_townships_2023.csv")
official = reference.set_index("code")["name"]
matched = clean[["district", "township_name", "township_code", "township_match_score"]].copy()
matched["official_name"] = matched["township_code"].map(official)
display(matched["township_match_score"].value_counts().sort_index().rename("rows").to_frame())
matched[matched["township_match_score"] < 100].drop_duplicates("township_name").head(12)

# %% [markdown]
# 同一个镇街被写成的各种形式（写法最多的一个镇街）：

# %%
spellings = matched.groupby("township_code")["township_name"].agg(["nunique", "unique"])
top = spellings["nunique"].idxmax()
print(f"{official[top]} ({int(top)}): {list(spellings.loc[top, 'unique'])}")

# %% [markdown]
# 未能匹配而被标记的填写（空白行的镇街也是空的，所以它们也在这里），以及对照模拟真值的匹配准确率：

# %%
display(pd.DataFrame(towns["flagged"]))
if params["data"]["source"] == "simulated":
    print(read("reports/recovery/cleaning/summary.json")["townships"])

# %% [markdown]
# ## 4. De-identification
#
# 姓名、手机号、身份证号、邮箱和 IP 被替换为带密钥的假名（HMAC-SHA256）：同一密钥在不同轮次调查中
# 给出相同的假名（可以跨轮匹配），没有密钥则无法反推。开放题中的姓名、电话也被删除。
# 模拟数据使用公开的演示密钥（`demo_key: true`），真实数据必须使用自己的密钥。

# %%
deid = report["deidentification"]
print(f"key: {deid['key_source']} (demo key: {deid['demo_key']}, key id {deid['key_id']})")
display(pd.DataFrame(deid["pseudonymised"]).T)
display(pd.DataFrame({col: t["removed"] for col, t in deid["text"].items()}).fillna(0))
print("pseudonym columns in the clean data:", [c for c in clean.columns if c.endswith("_pseudo")])

# %% [markdown]
# ## 5. Office records
#
# 部门业务数据（工作量事件日志、12345 工单、措施推行时间）同样逐行校验：不合格的行进入各自的隔离表，
# 并记录原因。下表只列出出现过的原因。

# %%
admin = read("reports/ingest/admin_validation_report.json")
counts = ("rows_in", "rows_clean", "rows_quarantined")
display(pd.DataFrame({name: {k: t[k] for k in counts} for name, t in admin.items()}).T)
pd.DataFrame(
    [
        {"table": name, "reason": reason, "rows": n}
        for name, t in admin.items()
        for reason, n in {**t["by_reason"], **t["flags"]}.items()
        if n
    ]
)

# %% [markdown]
# ## Summary

# %%
rows = report["rows"]
display(
    Markdown(
        f"共读入 **{rows['in']:,}** 行，其中 **{rows['clean']:,}** 份答卷进入分析，"
        f"**{rows['quarantined']:,}** 行进入隔离区；镇街匹配率 **{towns['match_rate']:.1%}**。"
        "下一步：`02_measurement` 检查量表的信度与效度。"
    )
)
