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
# # 05 Figure gallery
#
# 报告中的每一张图都在这里重画一遍，调用的是流水线 `figures` 阶段所用的同一个条目
# （`jianfu.figures.stage.CATALOGUE`：每个条目记录图的函数、读取的文件、相关参数和调用方式），
# 读取的是同样的流水线输出。因此这里看到的就是 `reports/figures/` 中的图，
# 可以在这里改样式、改语言、改参数，满意后再把改动放回代码。
#
# 图的函数、输入与样式规则见 `docs/figures.md`。

# %% [markdown]
# ## Setup
#
# 与 `figures` 阶段相同：注册中文字体，从 codebook 生成变量标签，读入所有条目用到的输出文件。

# %%
# %matplotlib inline
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from jianfu import notebook
from jianfu.codebook.load import load_codebook
from jianfu.core.params import load_params
from jianfu.figures import labels as figlabels
from jianfu.figures import survey
from jianfu.figures.stage import CATALOGUE
from jianfu.figures.style import current_style, figure_style, save_figure, use_style
from jianfu.notebook import read_output

LANG = "zh"


ROOT = notebook.setup()


def read(rel: str):
    """A pipeline output, by its path relative to the project root."""
    return read_output(ROOT, rel)


cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
labels = figlabels.variable_labels(
    cb, {"workload": {"zh": "乡镇行政工作量", "en": "Township workload"}}
)
inputs = sorted({rel for e in CATALOGUE for rel in e.inputs if not rel.endswith(".yaml")})
data = {rel: read(rel) for rel in inputs}
data["codebook"] = (figlabels.item_table(cb), figlabels.scale_table(cb))
# the effects whose specification curves are drawn (params.yaml: figures.spec_curve)
data["figures.spec_curve"] = load_params(ROOT / "params.yaml")["figures"]["spec_curve"].to_dict()
ENTRIES = {entry.key: entry for entry in CATALOGUE}
shown: list[str] = []


def show(key: str, lang: str = LANG) -> None:
    """Draw one catalogue figure in `lang` with the current house style and show it here."""
    entry = ENTRIES[key]
    function = f"{entry.function.__module__}.{entry.function.__name__}"
    display(
        Markdown(
            f"**{entry.title[lang]}** · `{key}` · `{function}`  \n"
            f"inputs: {', '.join(f'`{rel}`' for rel in entry.inputs)}"
            + (f"  \nparams: {', '.join(f'`{p}`' for p in entry.params)}" if entry.params else "")
        )
    )
    with figure_style(lang):
        fig = entry.draw(data, labels, lang)
        display(fig)
    shown.append(key)


pd.DataFrame(
    [
        {
            "figure": e.key,
            "function": f"{e.function.__module__}.{e.function.__name__}",
            "title": e.title[LANG],
        }
        for e in CATALOGUE
    ]
)

# %% [markdown]
# ## Survey figures
#
# ### Data and measurement

# %%
show("cleaning_flow")

# %%
show("likert_measures")

# %%
show("likert_outcomes")

# %%
show("cfa_loadings")

# %% [markdown]
# ### Models

# %%
show("correlations")

# %%
show("path_diagram")

# %%
show("coefficients")

# %%
show("mediation")

# %%
show("simple_slopes")

# %%
show("recovery")

# %% [markdown]
# ## Policy figures

# %%
show("district_map")

# %%
show("workload_trends")

# %%
show("hotline")

# %%
show("event_study")

# %%
show("event_study_documents")

# %%
show("policy_recovery")

# %% [markdown]
# ## Robustness figures
#
# 规格曲线（Simonsohn, Simmons & Nelson 2020）：关键效应在全部分析规格下的估计值、置信区间
# 与各规格所做的选择。数据来自流水线的 spec_curve 阶段（`reports/robustness/spec_curve.csv`），
# 见 docs/robustness.md。

# %%
show("spec_curve_summary")

# %%
show("spec_curve_path")

# %%
show("spec_curve_indirect")

# %%
show("spec_curve_att")

# %% [markdown]
# 图库是否覆盖了目录中的每一张图（向 `CATALOGUE` 新增条目后，这里会提醒在图库中加上它）：

# %%
missing = [key for key in ENTRIES if key not in shown]
assert not missing, f"add these catalogue figures to the gallery: {missing}"
print(f"all {len(ENTRIES)} catalogue figures shown")

# %% [markdown]
# ## Restyle
#
# 尺寸、字号、线宽和颜色都在 `jianfu.figures.style.FigureStyle` 中（单栏 8.5 cm、双栏 17.5 cm、
# 正文 7 pt……）。`use_style` 在一个代码块内换用另一套样式，图的函数本身不用改。
# 下例把字号放大、单栏加宽，并画英文版：

# %%
print(current_style())
bigger = replace(current_style(), font_size=9.0, small_size=8.0, title_size=10.0, single_cm=11.0)
with use_style(bigger):
    show("cfa_loadings", lang="en")

# %% [markdown]
# 也可以不经过目录，直接调用图的函数（参数见各函数的文档字符串），再用 `save_figure` 保存为
# PDF、SVG 和 300 dpi 的 PNG（字体嵌入、逐字节可复现）。这里保存到随即删除的临时文件夹，
# 不会改动流水线的输出 `reports/figures/`：

# %%
estimates = data["reports/measure/cfa_estimates.csv"]
with use_style(bigger), figure_style("en"):
    fig = survey.cfa_loadings(
        estimates[estimates["lhs"].isin(["FB", "EE"])], labels=labels, lang="en"
    )
    display(fig)
with tempfile.TemporaryDirectory() as folder:  # deleted again at the end of the block
    written = save_figure(fig, Path(folder) / "cfa_burden_en")
    print([f"{p.name}: {p.stat().st_size / 1024:.0f} KB" for p in written])

# %% [markdown]
# ## Where the report's files are
#
# `figures` 阶段把每张图以两种语言写成 PNG、PDF、SVG，并在 `reports/figures/figures.json`
# 中记录每张图的函数、输入文件和参数（报告的图注与 `reports/FIGURES.md` 都由它生成）：

# %%
manifest = read("reports/figures/figures.json")
pd.DataFrame(
    [
        {
            "figure": m["key"],
            "function": m["function"],
            "png": m["files"].get(LANG, {}).get("png", ""),
            "same function as the catalogue": m["function"]
            == f"{ENTRIES[m['key']].function.__module__}.{ENTRIES[m['key']].function.__name__}",
        }
        for m in manifest
        if m["key"] in ENTRIES
    ]
)
