"""Builders for the measurement tables: Table 1, reliability, discriminant validity, model fit.

Inputs are the tidy outputs of the ``measure`` and ``models`` stages, as DataFrames (the caller
reads the files): ``reports/models/table1__{summary,correlations}.csv``,
``reports/measure/{reliability,cr_ave,fornell_larcker,htmt_semtools,method_factor_fits}.csv``,
``reports/measure/cfa_fit.json`` (a dict) and ``data/processed/models/fit.parquet``.

Matrix conventions: lower triangle, numbered columns (1 … k) matching the numbered row stubs,
diagonal values **in parentheses** (α in Table 1, √AVE in the Fornell–Larcker table; chosen over
bold because parentheses survive every format, plain text included), upper triangle empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from jianfu.tables._common import (
    CONSTRUCT,
    DASH,
    MODEL,
    VARIABLE,
    Labels,
    choice_error,
    label_for,
    numbered,
    pick,
    require_columns,
    square_matrix,
)
from jianfu.tables.formatting import APA, NumberStyle, fmt_num, significance_note, stars
from jianfu.tables.table import Label, Row, Table, TableError, Text, single_panel


def _summary_label(code: str, row: pd.Series, labels: Labels | None) -> Label:
    """`labels` first, then the summary's own ``label_zh``/``label_en``, then the code."""
    if labels and code in labels:
        return label_for(code, labels)
    if isinstance(row.get("label_zh"), str) and isinstance(row.get("label_en"), str):
        return Label(row["label_zh"], row["label_en"])
    return label_for(code, labels)


def descriptives_table(
    summary: pd.DataFrame,
    correlations: pd.DataFrame,
    labels: Labels | None = None,
    *,
    variables: Sequence[str] | None = None,
    name: str = "descriptives",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Table 1: M, SD, lower-triangle Pearson r with marks, Cronbach's α on the diagonal.

    Parameters
    ----------
    summary : one row per variable: ``variable, n, mean, sd, alpha`` (NaN: no α), optionally
        ``label_zh, label_en`` (used when `labels` has no entry).
    correlations : one row per pair: ``var1, var2, r, p`` (either order; marks come from p).
    labels : ``{code: {"zh", "en"}}``.
    variables : the rows, in order (default: `summary`'s order).

    The diagonal shows α in parentheses (— for a variable without one). When every variable has
    the same n, it goes into the note (N = 2,142); otherwise an N column is added.
    """
    require_columns(summary, ["variable", "n", "mean", "sd", "alpha"], "descriptives summary")
    require_columns(correlations, ["var1", "var2", "r", "p"], "descriptives correlations")
    summ = summary.assign(variable=summary["variable"].astype(str)).set_index("variable")
    codes = pick(list(summ.index), variables, "descriptives_table variables")
    r: dict[tuple[str, str], tuple[float, float]] = {}
    for row in correlations.itertuples(index=False):
        r[(str(row.var1), str(row.var2))] = r[(str(row.var2), str(row.var1))] = (row.r, row.p)
    ns = summ.loc[codes, "n"].astype(float)
    same_n = ns.nunique() == 1
    k = len(codes)
    rows = []
    for i, code in enumerate(codes):
        s = summ.loc[code]
        cells: list[Text] = [numbered(i + 1, _summary_label(code, s, labels))]
        if not same_n:
            cells.append(fmt_num(s["n"], "n", style=style))
        cells += [fmt_num(s["mean"], "mean", style=style), fmt_num(s["sd"], "sd", style=style)]
        for j in range(k):
            if j < i:
                pair = r.get((code, codes[j]))
                if pair is None:
                    raise TableError(f"descriptives correlations: no row for ({code}, {codes[j]})")
                cells.append(fmt_num(pair[0], "r", style=style) + stars(pair[1]))
            elif j == i:
                alpha = fmt_num(s["alpha"], "alpha", style=style)
                cells.append(f"({alpha})" if alpha else DASH)
            else:
                cells.append("")
        rows.append(Row(tuple(cells)))
    header: list[Text] = [VARIABLE] + ([] if same_n else ["N"]) + ["M", "SD"]
    header += [str(j + 1) for j in range(k)]
    n_text = f"N = {fmt_num(ns.iloc[0], 'n', style=style)}" if same_n else None
    has_missing_alpha = summ.loc[codes, "alpha"].isna().any()
    zh = "对角线括号内为 Cronbach's α 系数"
    zh += "（—：非多题项量表，无 α）" if has_missing_alpha else ""
    en = "Cronbach's α in parentheses on the diagonal" + (
        " (—: not a multi-item scale)" if has_missing_alpha else ""
    )
    zh += "；相关系数为 Pearson 相关系数（成对删除）。"
    en += "; Pearson correlations, pairwise deletion."
    if n_text:
        zh, en = f"{n_text}。{zh}", f"{n_text}. {en}"
    return Table(
        name=name,
        title=title or Label("描述性统计与相关系数", "Descriptive Statistics and Correlations"),
        header=tuple(header),
        panels=single_panel(rows),
        number=number,
        note=Label(zh, en),
        significance=significance_note(),
        source=source,
    )


def reliability_table(
    reliability: pd.DataFrame,
    cr_ave: pd.DataFrame,
    labels: Labels | None = None,
    *,
    constructs: Sequence[str] | None = None,
    variant: str = "fornell_larcker",
    name: str = "reliability",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Reliability and convergent validity per construct: items, α, ω, CR, AVE.

    Parameters
    ----------
    reliability : ``construct, raw_alpha, n_items`` (``reports/measure/reliability.csv``).
    cr_ave : ``construct, omega_semtools, cr_fornell_larcker, ave_<variant>``
        (``reports/measure/cr_ave.csv``).
    variant : which AVE: "fornell_larcker" (standardized loadings, the textbook formula) or
        "semtools" (semTools ``AVE()``); ω is always semTools ``compRelSEM``, CR always the
        Fornell–Larcker formula.
    """
    if variant not in ("fornell_larcker", "semtools"):
        raise choice_error("variant", variant, ("fornell_larcker", "semtools"))
    ave_col = f"ave_{variant}"
    require_columns(reliability, ["construct", "raw_alpha", "n_items"], "reliability")
    require_columns(
        cr_ave, ["construct", "omega_semtools", "cr_fornell_larcker", ave_col], "cr_ave"
    )
    data = (
        reliability.assign(construct=reliability["construct"].astype(str))
        .merge(cr_ave.assign(construct=cr_ave["construct"].astype(str)), on="construct", how="left")
        .set_index("construct")
    )
    codes = pick(list(data.index), constructs, "reliability_table constructs")
    rows = []
    for code in codes:
        d = data.loc[code]
        rows.append(
            Row(
                (
                    label_for(code, labels),
                    fmt_num(d["n_items"], "n", style=style),
                    fmt_num(d["raw_alpha"], "alpha", style=style, missing=DASH),
                    fmt_num(d["omega_semtools"], "omega", style=style, missing=DASH),
                    fmt_num(d["cr_fornell_larcker"], "cr", style=style, missing=DASH),
                    fmt_num(d[ave_col], "ave", style=style, missing=DASH),
                )
            )
        )
    ave_zh = "标准化载荷平方的均值" if variant == "fornell_larcker" else "semTools AVE()"
    ave_en = (
        "mean squared standardized loading" if variant == "fornell_larcker" else ("semTools AVE()")
    )
    note = Label(
        "α 为 Cronbach's α；ω 为 McDonald's ω（semTools compRelSEM）；CR 为组合信度"
        f"（Fornell & Larcker, 1981）；AVE 为平均方差抽取量（{ave_zh}）。"
        "常用标准：α、ω、CR ≥ .70，AVE ≥ .50。",
        "α = Cronbach's alpha; ω = McDonald's omega (semTools compRelSEM); CR = composite "
        f"reliability (Fornell & Larcker, 1981); AVE = average variance extracted ({ave_en}). "
        "Conventional thresholds: α, ω, CR ≥ .70; AVE ≥ .50.",
    )
    return Table(
        name=name,
        title=title or Label("信度与聚合效度", "Reliability and Convergent Validity"),
        header=(CONSTRUCT, Label("题项数", "Items"), "α", "ω", "CR", "AVE"),
        panels=single_panel(rows),
        number=number,
        note=note,
        source=source,
    )


def _triangle_table(
    matrix: pd.DataFrame,
    labels: Labels | None,
    constructs: Sequence[str] | None,
    *,
    off_kind: str,
    diagonal,
    what: str,
    style: NumberStyle,
) -> tuple[tuple[Text, ...], list[Row]]:
    m = square_matrix(matrix, what)
    codes = pick(list(m.index), constructs, f"{what} constructs")
    rows = []
    for i, a in enumerate(codes):
        cells: list[Text] = [numbered(i + 1, label_for(a, labels))]
        for j, b in enumerate(codes):
            if j < i:
                value = m.at[a, b]
                if pd.isna(value):
                    value = m.at[b, a]
                cells.append(fmt_num(value, off_kind, style=style, missing=DASH))
            elif j == i:
                cells.append(diagonal(m.at[a, a]))
            else:
                cells.append("")
        rows.append(Row(tuple(cells)))
    header = (CONSTRUCT, *(str(j + 1) for j in range(len(codes))))
    return header, rows


_FL_TITLE = Label(
    "区分效度：Fornell–Larcker 准则", "Discriminant Validity: Fornell–Larcker Criterion"
)


def fornell_larcker_table(
    matrix: pd.DataFrame,
    labels: Labels | None = None,
    *,
    constructs: Sequence[str] | None = None,
    name: str = "fornell_larcker",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Fornell–Larcker criterion: √AVE on the diagonal (in parentheses), factor correlations below.

    `matrix` is ``reports/measure/fornell_larcker.csv``: square, constructs in rows (an
    ``index`` column or the index) and columns, lower triangle filled.
    """

    def diag(v):
        text = fmt_num(v, "r", style=style)
        return f"({text})" if text else DASH

    header, rows = _triangle_table(
        matrix,
        labels,
        constructs,
        off_kind="r",
        diagonal=diag,
        what="fornell_larcker",
        style=style,
    )
    note = Label(
        "对角线括号内为 AVE 的平方根，其下为潜变量间相关系数；"
        "每个构念的 √AVE 大于其与其他构念的相关系数即满足区分效度（Fornell & Larcker, 1981）。",
        "Square roots of the AVE in parentheses on the diagonal, latent correlations below it; "
        "discriminant validity holds when each √AVE exceeds the construct's correlations "
        "(Fornell & Larcker, 1981).",
    )
    return Table(
        name=name,
        title=title or _FL_TITLE,
        header=header,
        panels=single_panel(rows),
        number=number,
        note=note,
        source=source,
    )


def htmt_table(
    matrix: pd.DataFrame,
    labels: Labels | None = None,
    *,
    constructs: Sequence[str] | None = None,
    threshold: float = 0.85,
    variant: Label | None = None,
    name: str = "htmt",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Heterotrait–monotrait ratios, lower triangle (HTMT keeps its leading zero: it can exceed 1).

    `matrix` is ``reports/measure/htmt_semtools.csv`` (or ``htmt_original.csv``; say which in
    `variant`, default the semTools HTMT2 description).
    """
    header, rows = _triangle_table(
        matrix,
        labels,
        constructs,
        off_kind="htmt",
        diagonal=lambda v: DASH,
        what="htmt",
        style=style,
    )
    variant = variant or Label(
        "semTools htmt()：题项绝对相关的几何平均（HTMT2）",
        "semTools htmt(): geometric means of absolute item correlations (HTMT2)",
    )
    cut = fmt_num(threshold, "htmt", style=style)
    note = Label(
        f"HTMT 为异质–单质比率（Henseler et al., 2015），{variant.zh}；"
        f"均低于 {cut} 即满足区分效度。",
        f"HTMT = heterotrait–monotrait ratio (Henseler et al., 2015), {variant.en}; values "
        f"below {cut} support discriminant validity.",
    )
    return Table(
        name=name,
        title=title or Label("区分效度：HTMT 比率", "Discriminant Validity: HTMT Ratios"),
        header=header,
        panels=single_panel(rows),
        number=number,
        note=note,
        source=source,
    )


# --- model fit ---------------------------------------------------------------------------------

FIT_COLUMNS = ("chisq", "df", "cfi", "tli", "rmsea", "srmr")
MODEL_LABELS: dict[str, Label] = {
    "single_factor": Label("单因子模型", "Single-factor model"),
    "trait": Label("测量模型（CFA）", "Measurement model (CFA)"),
    "trait_method": Label("测量模型 + 共同方法因子", "Measurement model + common method factor"),
    "sem": Label("结构方程模型", "Structural equation model"),
}


def measurement_fits(
    cfa_fit: Mapping[str, float] | None = None,
    method_fits: pd.DataFrame | None = None,
    fit: pd.DataFrame | None = None,
    *,
    sem_specs: Sequence[str] = ("sem",),
) -> pd.DataFrame:
    """Collect fit indices into one frame (index = model key) for `fit_table`.

    Parameters
    ----------
    cfa_fit : ``reports/measure/cfa_fit.json`` (the measurement model; it has the RMSEA CI and
        replaces the ``trait`` row of `method_fits`).
    method_fits : ``reports/measure/method_factor_fits.csv`` (rows single_factor, trait,
        trait_method; an ``index`` column or the index).
    fit : ``data/processed/models/fit.parquet`` (long: spec, equation, step, statistic, value);
        the rows of each spec in `sem_specs` become one model.
    """
    frames = []
    if method_fits is not None:
        mf = method_fits.set_index("index") if "index" in method_fits.columns else method_fits
        frames.append(mf)
    if cfa_fit is not None:
        row = pd.DataFrame([dict(cfa_fit)], index=["trait"])
        if frames:
            frames[0] = frames[0].drop(index="trait", errors="ignore")
        frames.append(row)
    if fit is not None:
        require_columns(fit, ["spec", "statistic", "value"], "fit")
        for spec in sem_specs:
            sub = fit[fit["spec"] == spec]
            if sub.empty:
                raise choice_error("SEM spec", spec, sorted(fit["spec"].unique()))
            stats = sub.drop_duplicates("statistic", keep="last").set_index("statistic")["value"]
            frames.append(pd.DataFrame([stats.to_dict()], index=[spec]))
    out = pd.concat(frames) if frames else pd.DataFrame(columns=list(FIT_COLUMNS))
    order = [k for k in MODEL_LABELS if k in out.index] + [
        k for k in out.index if k not in MODEL_LABELS
    ]
    return out.loc[order]


def fit_table(
    fits: pd.DataFrame,
    model_labels: Mapping[str, Text] | None = None,
    *,
    name: str = "model_fit",
    title: Text | None = None,
    number: int | str | None = None,
    source: Text | None = None,
    style: NumberStyle = APA,
) -> Table:
    """Fit indices, one row per model: χ², df, χ²/df, CFI, TLI, RMSEA [90% CI], SRMR.

    `fits` has one row per model (index = model key, see `measurement_fits`) and the columns
    ``chisq, df, cfi, tli, rmsea, srmr`` (+ ``rmsea_ci_lower, rmsea_ci_upper`` when known).
    """
    require_columns(fits, FIT_COLUMNS, "fit_table")
    names = {**MODEL_LABELS, **(model_labels or {})}
    rows = []
    for key, f in fits.iterrows():
        ci = DASH
        lo, hi = f.get("rmsea_ci_lower", np.nan), f.get("rmsea_ci_upper", np.nan)
        if pd.notna(lo) and pd.notna(hi):
            ci = f"[{fmt_num(lo, 'fit', style=style)}, {fmt_num(hi, 'fit', style=style)}]"
        ratio = f["chisq"] / f["df"] if f["df"] else np.nan
        rows.append(
            Row(
                (
                    label_for(str(key), names),
                    fmt_num(f["chisq"], "chisq", style=style),
                    fmt_num(f["df"], "df", style=style),
                    fmt_num(ratio, "stat", style=style, missing=DASH),
                    fmt_num(f["cfi"], "fit", style=style),
                    fmt_num(f["tli"], "fit", style=style),
                    fmt_num(f["rmsea"], "fit", style=style),
                    ci,
                    fmt_num(f["srmr"], "fit", style=style),
                )
            )
        )
    note = Label(
        "RMSEA 的 90% 置信区间列于方括号内。常用标准（Hu & Bentler, 1999）："
        "CFI、TLI ≥ .95，RMSEA ≤ .06，SRMR ≤ .08。",
        "90% confidence interval of the RMSEA in brackets. Conventional cutoffs (Hu & Bentler, "
        "1999): CFI, TLI ≥ .95; RMSEA ≤ .06; SRMR ≤ .08.",
    )
    return Table(
        name=name,
        title=title or Label("模型拟合指数", "Model Fit Indices"),
        header=(
            MODEL,
            "χ²",
            "df",
            "χ²/df",
            "CFI",
            "TLI",
            "RMSEA",
            Label("RMSEA 90% CI", "RMSEA 90% CI"),
            "SRMR",
        ),
        panels=single_panel(rows),
        number=number,
        note=note,
        source=source,
    )
