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
# # 06 Bring your own data
#
# 把一份新的问卷导出文件（问卷星 xlsx / CSV，按文本或按序号；腾讯问卷 xlsx；SPSS .sav；Stata .dta；
# 普通 CSV）按 codebook 映射、规范化、匹配镇街、脱敏、清洗，并查看映射报告和清洗流程。
# 调用的是 `ingest` 阶段和 `jianfu clean-survey` 命令所用的同一组函数
# （`jianfu.ingest.survey.process_survey`、`write_survey_outputs`），所以结果与流水线一致。
#
# 默认处理模拟数据中的问卷星「按文本」xlsx。把 `AS_GBK_CSV` 设为 `True`，
# 笔记本会先把导出另存为 GBK 编码的 CSV（中文 Windows 上 Excel / WPS「另存为 CSV」的结果，
# 也是问卷星 CSV 下载的常见编码），再处理这个副本——例如 `EXPORT` 指向「按序号」xlsx 时，
# 就得到一份 GBK CSV 按序号导出。

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import tempfile
import time
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from jianfu.codebook.load import load_codebook
from jianfu.core.params import load_params
from jianfu.core.reference import read_reference
from jianfu.figures import survey
from jianfu.figures.style import figure_style
from jianfu.ingest.read import read_survey
from jianfu.ingest.survey import process_survey, survey_report, write_survey_outputs

# %% [markdown]
# ## Parameters
#
# - `EXPORT`：导出文件，相对项目根目录的路径（可含通配符 `*`）或绝对路径；
# - `AS_GBK_CSV`：先另存为 GBK CSV 再处理；
# - `OUT`：输出文件夹（GBK CSV 副本也写在这里）；`None` 表示新建一个临时文件夹，
#   不改动项目中的任何文件。

# %% tags=["parameters"]
EXPORT = "data/simulated/survey/*_按文本_*.xlsx"
AS_GBK_CSV = False
OUT = None

# %% [markdown]
# 项目根目录（从当前目录向上查找 `dvc.yaml`）、`params.yaml`、codebook 和区县、镇街参考表：

# %%
from jianfu import notebook  # noqa: E402

LANG = "zh"


ROOT = notebook.setup()
params = load_params(ROOT / "params.yaml")
cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
districts, townships = read_reference(
    ROOT / "data/reference/cq_districts.csv", ROOT / "data/reference/cq_townships_2023.csv"
)

# %% [markdown]
# ## 1. The export
#
# 找到文件。只有项目自带的模拟数据（`data/simulated/survey/` 中的文件）可以使用公开的
# 演示脱敏密钥；真实数据必须先创建自己的密钥
# （见文末），否则下一步会停下并说明原因。

# %%
given = Path(EXPORT).expanduser()
found = [given] if given.is_absolute() else sorted(ROOT.glob(EXPORT))
if len(found) != 1:
    raise FileNotFoundError(f"EXPORT = {EXPORT!r} matches {len(found)} files: {found}")
source = found[0].resolve()
SIMULATED = source.parent == ROOT / "data/simulated/survey"
work = Path(OUT) if OUT else Path(tempfile.mkdtemp(prefix="jianfu_byod_"))
work.mkdir(parents=True, exist_ok=True)
print(
    f"export: {source.name} ({source.stat().st_size / 1024:,.0f} KB); simulated data: {SIMULATED}"
)

# %% [markdown]
# （仅当 `AS_GBK_CSV = True`）用流水线的读取器原样读出每个单元格，另存为 GBK 编码的 CSV。
# 这个文件不是 UTF-8，用记事本或 Excel 打开时编码不对就会乱码——读取器会自动识别。

# %%
export = source
if AS_GBK_CSV:
    cells = read_survey(source).frame  # every cell as found: text stays text, codes stay codes
    export = work / f"{source.stem}.csv"
    cells.to_csv(export, index=False, encoding="gbk", lineterminator="\r\n")
    head = export.read_bytes()[:120]
    print(f"wrote {export} ({export.stat().st_size / 1024:,.0f} KB)")
    print("first bytes:", head[:48])
    print("as GBK:     ", head.decode("gbk", errors="ignore"))
    print("as UTF-8:   ", head.decode("utf-8", errors="replace"))
else:
    print("AS_GBK_CSV is False: the export is read as it is")

# %% [markdown]
# ## 2. Read, map, normalise, match, de-identify, clean
#
# 一步完成，什么都不写入磁盘（与 `jianfu clean-survey` 相同，设置来自 `params.yaml` 的 `ingest`）。

# %%
started = time.perf_counter()
result = process_survey(
    export,
    cb,
    townships,
    params["ingest"],
    simulated=SIMULATED,
    root=ROOT,
    districts=districts,
)
report = survey_report(result)
print(f"done in {time.perf_counter() - started:.1f} s: {report['rows']}")

# %% [markdown]
# ## 3. What the reader decided
#
# 导出类型（`wjx_text` 问卷星按文本、`wjx_code` 问卷星按序号、`tencent`、`spss`、`stata`、`csv`）、
# 编码（CSV 依次严格尝试 UTF-8、GBK、GB18030）、分隔符、表头所在行（可以在标题行下方），
# 以及每一个判断的理由：

# %%
display(
    pd.Series(
        {
            "file": report["file"],
            "kind": report["kind"],
            "encoding": report["encoding"] or "(not a text file)",
            "sheet": report["sheet"],
            "header row": report["header_row"],
            "rows": len(result.raw.frame),
            "columns": result.raw.frame.shape[1],
        }
    ).to_frame("value")
)
for note in report["reader_notes"]:
    print("-", note)

# %% [markdown]
# ## 4. Mapping report
#
# 每一列对应到 codebook 的哪个题项（或元数据字段），以及依据（题号 + 题目文字、只有题号、
# 只有文字……）。按序号导出的多选题被拆成每个选项一列 0/1（`multi_split`），
# 单选与矩阵题的答案是选项序号（`positional_codes: True`），按 codebook 换算为编码。

# %%
cmap = result.cmap
mapping = pd.DataFrame(
    [{"column": col, "maps to": f"meta: {field}"} for field, col in cmap.meta.items()]
    + [{"column": col, "maps to": item} for item, col in cmap.items.items()]
    + [
        {"column": col, "maps to": f"{item} = option {code}"}
        for item, options in cmap.multi_split.items()
        for code, col in options.items()
    ]
)
mapping["how"] = mapping["column"].map(cmap.how)
display(mapping["how"].value_counts().to_frame("columns"))
print(f"positional codes (按序号): {cmap.positional}")
print(f"extra columns, kept aside in extra_columns.parquet: {cmap.extra or 'none'}")
print(f"codebook items with no column: {cmap.missing or 'none'}")
display(mapping.head(10))
multi = mapping[mapping["maps to"].str.contains("= option")]
if len(multi):
    display(multi)  # 按序号: one 0/1 column per option of a multi-choice item

# %% [markdown]
# **规范化前后对照。** 同一批答卷在原文件中的样子与清洗后的编码值：用时 `125秒` → 秒数，
# 选项文字或序号 → codebook 编码，全角数字 → 数字。

# %%
raw = result.raw.frame.set_index(pd.Index(result.raw.file_rows, name="file_row"))
clean = result.cleaned.clean.set_index("file_row")
columns = {"duration_s": cmap.meta["duration"], "gender": cmap.items["gender"]}
columns |= {"PV1": cmap.items["PV1"], "meetings_month": cmap.items["meetings_month"]}
fullwidth = raw[columns["meetings_month"]].astype(str).str.contains("[０-９]")
rows = [*clean.index[:3], *[r for r in raw.index[fullwidth] if r in clean.index][:2]]
pd.DataFrame(
    {f"{code} (raw)": raw.loc[rows, col] for code, col in columns.items()}
    | {code: clean.loc[rows, code] for code in columns}
)

# %% [markdown]
# 规范化时无法解释或超出取值范围的单元格（值设为缺失，答卷保留并标记）：

# %%
issues = result.issues
if len(issues):
    display(issues.groupby("issue").size().rename("cells").to_frame())
    display(issues.head())
else:
    print("no cell issues")

# %% [markdown]
# ## 5. Townships and de-identification

# %%
towns = report["townships"]
if towns:
    print(f"match rate {towns['match_rate']:.1%}")
    display(pd.DataFrame({"rows": towns["by_method"]}).T)
    display(pd.DataFrame(towns["flagged"]).head(10))
deid = report["deidentification"]
print(f"de-identification key: {deid['key_source']} (key id {deid['key_id']})")
display(pd.DataFrame(deid["pseudonymised"]).T)

# %% [markdown]
# ## 6. Cleaning flow
#
# 规则与阈值来自 `params.yaml` 的 `ingest.clean`；图由流水线的同一函数绘制。

# %%
flow = result.cleaned.flow
display(flow)
with figure_style(LANG):
    fig = survey.cleaning_flow(flow, lang=LANG)
    display(fig)
pd.Series(result.cleaned.counts, name="rows (a row can have several reasons)").to_frame()

# %% [markdown]
# 隔离区中的答卷，每行附全部原因（`file_row` 是原文件中的行号，便于回查）：

# %%
result.cleaned.quarantine[["file_row", "seq", "reasons"]].head(10)

# %% [markdown]
# ## 7. Write the outputs
#
# 写出与 `jianfu clean-survey` 相同的文件：清洗后数据（Parquet，以及带中文标签的
# SPSS .sav、Stata .dta）、隔离区、另存的多余列，以及映射与清洗报告。

# %%
out = work / "cleaned"
out.mkdir(exist_ok=True)
written = write_survey_outputs(result, cb, out, out)
print(f"written to {out}:")
for path in sorted(out.iterdir()):
    print(f"  {path.name:28} {path.stat().st_size / 1024:9,.0f} KB")

# %% [markdown]
# ## 8. Same answers as the pipeline?
#
# 对模拟数据，把这里的清洗结果与流水线的 `data/processed/survey/clean.parquet` 逐列比较。
# 同一份数据的不同导出格式应得到相同的答卷和相同的编码值。
# 例外：按序号导出的多选题只有 0/1，不含「其他（请注明）」填写的文字，
# 因此 `channels_used_other` 为空。

# %%
pipeline_file = ROOT / "data/processed/survey/clean.parquet"
if SIMULATED and pipeline_file.exists():
    mine, theirs = pd.read_parquet(out / "clean.parquet"), pd.read_parquet(pipeline_file)
    same_rows = mine["seq"].tolist() == theirs["seq"].tolist()
    differ = {}
    for column in theirs.columns.intersection(mine.columns):
        a, b = mine[column].astype("string"), theirs[column].astype("string")
        unequal = ~((a == b).fillna(False) | (a.isna() & b.isna()))
        if unequal.any():
            differ[column] = int(unequal.sum())
    print(f"same respondents, same order: {same_rows}")
    print(f"same columns: {list(mine.columns) == list(theirs.columns)}")
    print(f"columns whose values differ (rows): {differ or 'none'}")
else:
    print("not the simulated data: nothing to compare with")

# %% [markdown]
# ## Summary

# %%
rows = report["rows"]
display(
    Markdown(
        f"`{report['file']}`（{report['kind']}，编码 {report['encoding'] or '—'}）："
        f"读入 **{rows['in']:,}** 行，**{rows['clean']:,}** 份答卷清洗后保留，"
        f"**{rows['quarantined']:,}** 行进入隔离区；"
        f"{report['mapping']['mapped_items']} 个题项完成映射，"
        f"缺失题项 {len(cmap.missing)} 个，另存的多余列 {len(cmap.extra)} 个。"
    )
)

# %% [markdown]
# ## Using your own export
#
# 1. **密钥**（只需一次，切勿提交到 git）：在项目根目录运行
#
#    ```bash
#    mkdir -p .jianfu
#    python3 -c "import secrets; print(secrets.token_hex(32))" > .jianfu/deid.key
#    ```
#
#    或设置环境变量 `JIANFU_DEID_KEY`。同一密钥在多轮调查中给出相同的假名。
# 2. **参数**：把上面的 `EXPORT` 改为你的文件路径，`AS_GBK_CSV = False`，重新运行全部单元格。
#    如果问卷不同，先用 `jianfu draft-codebook` 从导出生成 codebook 草稿，补全其中的 TODO，
#    再用 `jianfu check-codebook` 检查（docs/draft_codebook.md）。
# 3. **命令行**：同样的处理也可以不用笔记本完成：
#
#    ```bash
#    .venv/bin/jianfu clean-survey 导出.xlsx --codebook codebook/cadre_survey.yaml --out cleaned/
#    ```
#
# 4. **整条流水线**：把导出放进 `data/own/survey/`（可以是多个文件），在 `params.yaml` 中设置
#    `data.source: own`（需要时再改 `data.survey_files.own` 与 `data.codebook`），然后 `dvc repro`。
#    流水线从不写入 `data/own/`。
