"""PROCESS results as plain text in the layout of Hayes' PROCESS macro for SPSS (v4).

SPSS users read mediation and moderation results in the layout PROCESS prints (Hayes, A. F.
2022, *Introduction to Mediation, Moderation, and Conditional Process Analysis*, 3rd ed.,
Appendix A): one "OUTCOME VARIABLE" block per equation with its Model Summary (R, R-sq, MSE, F,
df1, df2, p) and coefficient table, the product-term key and interaction test, conditional effects
and Johnson–Neyman region for moderation, and the total / direct / (conditional) indirect effects
with bootstrap intervals and the index of moderated mediation. This module turns the results of
`jianfu.models.process` into that text. It only formats: every number comes from the result
object, so the text and the tidy tables of the models stage cannot disagree.

Numbers are printed as PROCESS does by default (SPSS format F10.4: four decimals, no leading zero,
right-aligned in columns ten characters wide and one space apart). The text says plainly that
jianfu computed it (the macro was not run) and which covariates each equation holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from jianfu.models.process import MediationResult, ModerationResult

#: The PROCESS version whose layout is followed.
PROCESS_VERSION = "4.2"
#: Column width of a number (SPSS F10.4) and the number of decimals.
_WIDTH, _DECIMALS = 10, 4
_RULE = "*" * 74
_MISSING = "."

ProcessResult = MediationResult | ModerationResult


# --------------------------------------------------------------------------- formatting


def fmt_number(value: float | None) -> str:
    """One number as SPSS prints F10.4: ``.2300``, ``-.0900``, ``2139.0000``; ``.`` if missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING
    text = f"{float(value):.{_DECIMALS}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]  # "-0.0000" is noise from rounding, not a sign
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text


def _cell(text: str) -> str:
    # one space between columns even when a number is wider than F10.4 allows
    return " " + text.rjust(_WIDTH)


def _table(
    columns: Sequence[str],
    rows: Sequence[Sequence[float]],
    labels: Sequence[str] | None = None,
) -> list[str]:
    """A fixed-width table: optional row labels (left-aligned), then right-aligned numbers."""
    width = max([8, *(len(s) for s in labels)]) if labels else 0
    head = " " * width + "".join(_cell(c) for c in columns)
    body = [
        (labels[k].ljust(width) if labels else "") + "".join(_cell(fmt_number(v)) for v in row)
        for k, row in enumerate(rows)
    ]
    return [head.rstrip(), *(line.rstrip() for line in body)]


def _banner(title: str) -> str:
    """A title centred in a rule of asterisks, as PROCESS heads its sections."""
    side = max(3, (len(_RULE) - len(title) - 2) // 2)
    return f"{'*' * side} {title} {'*' * (len(_RULE) - len(title) - 2 - side)}".rstrip()


# --------------------------------------------------------------------------- pieces


def _hc_label(method: str) -> str | None:
    """ "HC3" from a method like "OLS HC3"; None for OLS standard errors."""
    parts = str(method).split()
    return parts[1] if len(parts) > 1 and parts[1].startswith("HC") else None


def _products(terms: Sequence[str]) -> dict[str, str]:
    """Product terms ("FB:FT") -> PROCESS's names Int_1, Int_2 … in order of appearance."""
    found = [t for t in terms if ":" in t]
    return {t: f"Int_{k}" for k, t in enumerate(found, start=1)}


def _model_lines(
    outcome: str, summary: pd.Series, coefs: pd.DataFrame, *, total: bool = False
) -> list[str]:
    """One OUTCOME VARIABLE block: Model Summary and coefficient table (+ product-term key)."""
    hc = _hc_label(coefs["method"].iloc[0]) if "method" in coefs else None
    f_label, se_label = (f"F({hc})", f"se({hc})") if hc else ("F", "se")
    lines = [_RULE if not total else _banner("TOTAL EFFECT MODEL"), "OUTCOME VARIABLE:"]
    lines += [f" {outcome}", "", "Model Summary"]
    lines += _table(
        ["R", "R-sq", "MSE", f_label, "df1", "df2", "p"],
        [[summary[k] for k in ("r", "r2", "mse", "f", "df1", "df2", "p")]],
    )
    products = _products(list(coefs["term"]))
    names = {"const": "constant", **products}
    lines += ["", "Model"]
    lines += _table(
        ["coeff", se_label, "t", "p", "LLCI", "ULCI"],
        [[r.estimate, r.se, r.t, r.p, r.ci_low, r.ci_high] for r in coefs.itertuples()],
        [names.get(t, t) for t in coefs["term"]],
    )
    if products:
        lines += ["", "Product terms key:"]
        for term, name in products.items():
            left, right = term.split(":", 1)
            lines.append(f" {name:<8} :        {left:<8} x        {right}".rstrip())
    return [*lines, ""]


def _interaction_lines(tests: pd.DataFrame, label: str, hc: str | None) -> list[str]:
    lines = ["Test(s) of highest order unconditional interaction(s):"]
    lines += _table(
        ["R2-chng", f"F({hc})" if hc else "F", "df1", "df2", "p"],
        [[r.r2_change, r.f, r.df1, r.df2, r.p] for r in tests.itertuples()],
        [label] * len(tests),
    )
    return [*lines, "----------"]


def _conditional_lines(
    rows: pd.DataFrame, focal: str, role: str, w: str, se_label: str
) -> list[str]:
    lines = [f"    Focal predict: {focal:<8} ({role})", f"          Mod var: {w:<8} (W)", ""]
    lines += ["Conditional effects of the focal predictor at values of the moderator(s):", ""]
    lines += _conditional_table(rows, w, se_label)
    return [*lines, ""]


def _conditional_table(rows: pd.DataFrame, w: str, se_label: str) -> list[str]:
    return _table(
        [w, "Effect", se_label, "t", "p", "LLCI", "ULCI"],
        [[r.w, r.estimate, r.se, r.t, r.p, r.ci_low, r.ci_high] for r in rows.itertuples()],
    )


def _effect_lines(title: str, row: pd.Series, se_label: str) -> list[str]:
    lines = [title]
    lines += _table(
        ["Effect", se_label, "t", "p", "LLCI", "ULCI"],
        [[row["estimate"], row["se"], row["t"], row["p"], row["ci_low"], row["ci_high"]]],
    )
    return [*lines, ""]


def _boot_table(first: str, rows: Sequence[pd.Series], labels: Sequence[str]) -> list[str]:
    return _table(
        [first, "BootSE", "BootLLCI", "BootULCI"],
        [[r["estimate"], r["se"], r["ci_low"], r["ci_high"]] for r in rows],
        labels,
    )


def _probe_note(labels: Sequence[str]) -> str | None:
    """What the W values of the conditional tables are (PROCESS prints a similar note)."""
    labels = list(dict.fromkeys(labels))
    if labels == ["-1 SD", "mean", "+1 SD", "p16", "p50", "p84"]:
        return (
            "W values in conditional tables are the mean and +/- SD from the mean (first three\n"
            "rows) and the 16th, 50th, and 84th percentiles (last three rows)."
        )
    if len(labels) == 2:
        return "W is dichotomous: conditional tables are at its two values."
    return f"W values in conditional tables are the values requested: {', '.join(labels)}."


# --------------------------------------------------------------------------- one run


def _head_lines(model: int, roles: Sequence[tuple[str, str]], covs: Sequence[str], n: int):
    lines = [
        "Run MATRIX procedure:",
        "",
        _banner(f"PROCESS layout (SPSS Version {PROCESS_VERSION}), computed by jianfu"),
        "",
        "      Not produced by PROCESS: jianfu (Python) in the layout of PROCESS",
        "    Layout and methods: Hayes (2022). www.guilford.com/p/hayes3",
        "",
        _RULE,
        f"Model  : {model}",
    ]
    lines += [f"{role:>5}  : {name}" for role, name in roles]
    lines += ["", "Covariates:", f" {'   '.join(covs)}" if covs else " (none)"]
    return [*lines, "", "Sample", f"Size:  {n}", ""]


def _notes_lines(ci: float, config, notes: Sequence[str]) -> list[str]:
    lines = ["", _banner("ANALYSIS NOTES AND ERRORS"), ""]
    lines += ["Level of confidence for all confidence intervals in output:", f"  {ci * 100:.4f}"]
    if config is not None:
        kind = "bias-corrected" if config.ci_type == "bc" else "percentile"
        lines += ["", f"Number of bootstrap samples for {kind} bootstrap confidence intervals:"]
        lines.append(f"  {config.n_boot}")
    for note in notes:
        lines += ["", f"NOTE: {note}".replace("\n", "\n      ")]
    return [*lines, "", "------ END MATRIX -----"]


def _moderation_text(result: ModerationResult) -> list[str]:
    v = result.variables
    x, w, y, covs = v["x"], v["w"], v["y"], list(v["covariates"])
    coefs = result.coefficients
    hc = _hc_label(coefs["method"].iloc[0])
    se_label = f"se({hc})" if hc else "se"
    lines = _head_lines(1, [("Y", y), ("X", x), ("W", w)], covs, result.n_obs)
    lines += _model_lines(y, result.model_summary.iloc[0], coefs)
    lines += _interaction_lines(result.interactions, "X*W", hc)
    lines += _conditional_lines(result.conditional, x, "X", w, se_label)
    lines += ["Moderator value(s) defining Johnson-Neyman significance region(s):"]
    if len(result.jn_table):
        lines += _table(
            ["Value", "% below", "% above"],
            [[r.value, r.pct_below, r.pct_above] for r in result.jn_table.itertuples()],
        )
    else:
        lines += [
            "There are no statistical significance transition points within the observed",
            "range of the moderator found using the Johnson-Neyman method.",
        ]
    lines += ["", "Conditional effect of focal predictor at values of the moderator:"]
    lines += _conditional_table(result.jn_grid, w, se_label)
    notes = [_probe_note(list(result.conditional["term"].str.split("=", n=1).str[1]))]
    if v.get("center"):
        notes.append(f"The following variables were mean centered prior to analysis: {x} {w}")
    return [*lines, *_notes_lines(result.ci, None, [n for n in notes if n])]


def _mediation_text(result: MediationResult) -> list[str]:
    v = result.variables
    x, y, ms, covs = v["x"], v["y"], list(v["m"]), list(v["covariates"])
    w = v.get("w")
    model = result.model
    roles = [("Y", y), ("X", x)]
    roles += [("M", ms[0])] if len(ms) == 1 else [(f"M{k}", m) for k, m in enumerate(ms, 1)]
    roles += [("W", w)] if w else []
    lines = _head_lines(model, roles, covs, result.n_obs)
    if result.config is not None and result.config.seed is not None:
        lines[-1:-1] = ["", "Custom", f"Seed:  {result.config.seed}"]
    table = result.table.set_index("term")
    hc = _hc_label(result.paths["method"].iloc[0])
    se_label = f"se({hc})" if hc else "se"
    for summary in result.model_summary.itertuples(index=False):
        coefs = result.paths[result.paths["equation"] == summary.equation]
        total = summary.equation != summary.outcome
        lines += _model_lines(summary.outcome, pd.Series(summary._asdict()), coefs, total=total)
        if result.interactions is not None and len(result.interactions):
            tests = result.interactions[result.interactions["equation"] == summary.equation]
            if len(tests):
                label = "X*W" if model == 7 else "M*W"
                lines += _interaction_lines(tests, label, hc)
                slopes = result.conditional_paths
                for focal, rows in slopes[slopes["equation"] == summary.equation].groupby(
                    "focal", sort=False
                ):
                    role = "X" if model == 7 else "M"
                    lines += _conditional_lines(rows, str(focal), role, w, se_label)
    if model in (4, 6):
        lines += [_banner("TOTAL, DIRECT, AND INDIRECT EFFECTS OF X ON Y"), ""]
        lines += _effect_lines("Total effect of X on Y", table.loc["c"], se_label)
    else:
        lines += [_banner("DIRECT AND INDIRECT EFFECTS OF X ON Y"), ""]
    lines += _effect_lines("Direct effect of X on Y", table.loc["c'"], se_label)
    if model in (4, 6):
        lines += _indirect_lines(table, x, ms, y, model)
    else:
        lines += _conditional_indirect_lines(result, table, x, ms, w, y)
    notes = []
    if result.conditional is not None:
        notes.append(_probe_note(list(result.conditional["probe"])))
    if result.config is not None and result.config.cluster is not None:
        notes.append(
            f"Bootstrap resamples whole clusters of {result.config.cluster} (not a PROCESS\n"
            "option; PROCESS resamples cases)."
        )
    notes.append(
        "Bootstrap draws come from numpy's generator with the seed above, so the\n"
        "bootstrap SEs and limits differ from PROCESS's in the last digits."
    )
    ci = result.config.ci if result.config is not None else 0.95
    return [*lines, *_notes_lines(ci, result.config, [n for n in notes if n])]


def _indirect_lines(table: pd.DataFrame, x: str, ms: list[str], y: str, model: int):
    lines = ["Indirect effect(s) of X on Y:"]
    if model == 6:
        m1, m2 = ms
        chains = [[x, m1, y], [x, m1, m2, y], [x, m2, y]]
        terms = ["ind[total]", f"ind[{m1}]", f"ind[{m1}->{m2}]", f"ind[{m2}]"]
        labels = ["TOTAL", "Ind1", "Ind2", "Ind3"]
        lines += _boot_table("Effect", [table.loc[t] for t in terms], labels)
        lines += ["", "Indirect effect key:"]
        for label, chain in zip(labels[1:], chains, strict=True):
            lines.append(f" {label:<6}" + _chain(chain))
        return lines
    terms = [f"ind[{m}]" for m in ms]
    labels = list(ms)
    if len(ms) > 1:
        terms, labels = ["ind[total]", *terms], ["TOTAL", *labels]
    return lines + _boot_table("Effect", [table.loc[t] for t in terms], labels)


def _chain(names: Sequence[str]) -> str:
    """X -> M -> Y as PROCESS prints a path."""
    return "->    ".join(f"{v:<9}" for v in names).rstrip()


def _conditional_indirect_lines(
    result: MediationResult, table: pd.DataFrame, x: str, ms: list[str], w: str, y: str
):
    lines = ["Conditional indirect effects of X on Y:", ""]
    cond = result.conditional
    for m in ms:
        rows = cond[cond["mediator"] == m]
        lines += ["INDIRECT EFFECT:", "", " " + _chain([x, m, y]), ""]
        lines += _table(
            [w, "Effect", "BootSE", "BootLLCI", "BootULCI"],
            [[r.w, r.estimate, r.se, r.ci_low, r.ci_high] for r in rows.itertuples()],
        )
        lines += ["", "      Index of moderated mediation:"]
        lines += _boot_table("Index", [table.loc[f"imm[{m}]"]], [w])
        lines += ["---"]
    return lines


def process_text(result: ProcessResult) -> str:
    """One PROCESS run (one X) in PROCESS's layout, from "Run MATRIX" to "END MATRIX"."""
    if isinstance(result, ModerationResult):
        lines = _moderation_text(result)
    elif isinstance(result, MediationResult) and result.model in (4, 6, 7, 14):
        lines = _mediation_text(result)
    else:
        raise TypeError(
            "process_text needs a result of jianfu.models.process (models 1, 4, 6, 7, 14), "
            f"got {type(result).__name__}"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- one spec


def _spec_lines(spec: str, results: Sequence[ProcessResult]) -> list[str]:
    """The honest preamble: who computed this, the model, and which covariates it holds."""
    first = results[0]
    v = first.variables
    model = 1 if isinstance(first, ModerationResult) else first.model
    xs = [str(r.variables["x"]) for r in results]
    covs = list(v["covariates"])
    lines = [
        f"jianfu — spec {spec!r} (params.yaml models.specs.{spec}) in the layout of",
        f"Hayes' PROCESS for SPSS v{PROCESS_VERSION}. Computed by jianfu (statsmodels OLS, numpy",
        "bootstrap); NOT output of the PROCESS macro. Methods: docs/models.md.",
        f"说明：本文件由 jianfu 计算，仿照 PROCESS（SPSS 版 v{PROCESS_VERSION}）的输出格式排版，"
        "并非 PROCESS 宏的输出。",
        "",
        f"PROCESS model : {model}",
        f"Y             : {v['y']}",
        f"X             : {', '.join(xs)}"
        + (f" ({len(xs)} separate runs below, one per X)" if len(xs) > 1 else ""),
    ]
    if v.get("m"):
        lines.append(f"M             : {', '.join(v['m'])}")
    if v.get("w"):
        lines.append(f"W             : {v['w']}")
    if covs:
        lines += [
            f"Covariates    : {', '.join(covs)} (in every equation, PROCESS's default)",
            "协变量        : " + "、".join(covs) + "（进入每个方程）",
        ]
    else:
        if len(xs) > 1:
            lines += [
                "Covariates    : none. Each X is fitted alone (one run per X, not adjusted for",
                "                the other X variables) and without covariates.",
            ]
        else:
            lines.append("Covariates    : none. The model is fitted without covariates.")
        lines += [
            "                Models of the report that adjust for other variables (the OLS",
            "                and SEM specs) estimate the same path differently.",
            "协变量        : 无。每个 X 单独拟合，"
            + ("未控制其他 X 与协变量" if len(xs) > 1 else "未控制协变量")
            + "；报告中控制了其他变量的模型（OLS、SEM）对同一路径的估计与此不同。",
        ]
    if isinstance(first, MediationResult) and first.config is not None:
        c = first.config
        who = "respondents" if c.cluster is None else f"whole clusters of {c.cluster}"
        kind = "bias-corrected" if c.ci_type == "bc" else "percentile"
        lines.append(f"Bootstrap     : {c.n_boot} resamples of {who}, {kind}, seed {c.seed}")
    return [*lines, ""]


def spec_text(spec: str, results: Sequence[ProcessResult]) -> str:
    """The text file of one PROCESS spec: the preamble, then one PROCESS run per X.

    Parameters
    ----------
    spec : the spec's name in ``params.yaml`` (``models.specs``).
    results : the fitted results of `jianfu.models.process`, one per X, in the spec's order.

    Returns
    -------
    UTF-8-ready text with Unix newlines; the same results give the same text.
    """
    if not results:
        raise ValueError(f"spec {spec!r}: no PROCESS results to write")
    parts = ["\n".join(_spec_lines(spec, results)), *(process_text(r) for r in results)]
    return "\n".join(parts)
