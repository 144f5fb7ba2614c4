"""Every number in every table is formatted here, by one set of rules.

The rules follow the APA Publication Manual, 7th edition (§6.36 decimal places, §6.38 commas in
numbers, §6.43–6.44 statistical symbols, §7.14 table notes) and the Chinese psychology and
management journals that adopt it (心理学报, 管理世界 style sheets for 三线表):

- **Leading zero.** A statistic that cannot exceed 1 in absolute value is written without the
  zero before the decimal point (``.32``, ``−.05``): correlations r, p-values, reliabilities
  (α, ω, CR), AVE, standardized coefficients β, R², adjusted and ΔR², CFI/TLI, RMSEA, SRMR,
  ICCs and proportions. TLI can exceed 1 in small or over-fitting models; it is still written
  like CFI (a value ≥ 1 prints as ``1.000`` anyway). Every other statistic keeps the zero
  (``0.57``): unstandardized coefficients, SEs, M, SD, t, F, χ², effects, HTMT (a ratio that
  can exceed 1). `KINDS` lists the kinds; `NumberStyle.leading_zero` puts the zero back
  everywhere for journals that want it (many economics journals).
- **Decimals** are fixed per kind (`KINDS`): 2 for coefficients, SEs, M, SD, r, β, α/ω/CR/AVE,
  test statistics; 3 for p-values, R²/ΔR², fit indices, ICCs and mediation / moderation effects
  (products of coefficients are small: .014 would print as .01); 0 for N and df. Every function
  takes ``decimals=`` to override the kind's default.
- **Rounding** is half away from zero on the shortest decimal representation of the float
  (``0.125 → .13``, ``2.675 → 2.68``, ``−0.125 → −.13``), i.e. the rounding a reader does by hand
  on the printed value (SPSS and Excel do the same); Python's ``format`` would give ``.12`` and
  ``2.67`` (binary floats, half to even). A value that rounds to zero is printed without a sign.
- **Minus sign**: the true minus U+2212 (``−0.11``), not the hyphen-minus, as typeset tables use
  (APA's "minus sign"); the LaTeX renderer turns it into ``$-$``. `NumberStyle(minus="-")` gives
  the ASCII hyphen for plain-text consumers.
- **p-values**: exact to 3 decimals without the leading zero (``.023``); below .001 as
  ``< .001``; a value that would round to 1 as ``> .999``. In running text and notes: ``p < .001``
  (the zh tables use the same symbols: Chinese journals keep the Latin statistical notation).
- **Significance marks** (`STAR_LEVELS`): ``*`` p < .05, ``**`` p < .01, ``***`` p < .001,
  two-tailed, attached to the estimate (``−0.11***``); the note that explains them comes from
  `significance_note`.
- **SEs** in parentheses under or after the estimate: ``(0.03)``. **Confidence intervals** in
  brackets with a comma: ``[0.57, 0.73]`` (APA §6.44).
- **Thousands separator**: a comma in every number of 1,000 or more (``N = 2,142``,
  ``χ² = 3,160.27``, ``df = 1,517``), in both languages.
- Missing values print as ``missing`` (empty by default; builders pass ``"—"`` where a blank
  would be ambiguous).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jianfu.core.errors import JianfuError
from jianfu.tables.table import Label

MINUS = "\u2212"

#: (threshold, mark), strictest first: p below the threshold earns the mark.
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


@dataclass(frozen=True)
class Kind:
    """How one kind of statistic is printed: default decimals, and whether it is bounded by 1."""

    decimals: int
    bounded: bool = False


#: Statistic kinds. ``bounded=True`` drops the leading zero (APA: cannot exceed 1).
KINDS: dict[str, Kind] = {
    # unbounded, 2 decimals
    "coef": Kind(2),  # unstandardized coefficient b
    "se": Kind(2),
    "mean": Kind(2),
    "sd": Kind(2),
    "stat": Kind(2),  # t, z, F, Wald
    "chisq": Kind(2),
    "ic": Kind(2),  # AIC, BIC, log-likelihood
    "htmt": Kind(2),
    # unbounded, 3 decimals
    "effect": Kind(3),  # indirect, conditional and simple-slope effects, DiD ATTs
    # bounded by 1
    "r": Kind(2, bounded=True),
    "beta": Kind(2, bounded=True),  # standardized coefficient
    "alpha": Kind(2, bounded=True),
    "omega": Kind(2, bounded=True),
    "cr": Kind(2, bounded=True),
    "ave": Kind(2, bounded=True),
    "prop": Kind(2, bounded=True),
    "p": Kind(3, bounded=True),
    "r2": Kind(3, bounded=True),  # R², adjusted R², ΔR²
    "fit": Kind(3, bounded=True),  # CFI, TLI, RMSEA, SRMR
    "icc": Kind(3, bounded=True),
    # counts
    "n": Kind(0),
    "df": Kind(0),
}


@dataclass(frozen=True)
class NumberStyle:
    """Choices a journal may make differently; the defaults are APA 7.

    Attributes
    ----------
    minus : the negative sign, U+2212 by default ("-" for plain ASCII).
    leading_zero : True writes ``0.32`` even for statistics bounded by 1.
    thousands : separator between groups of three digits ("" for none).
    """

    minus: str = MINUS
    leading_zero: bool = False
    thousands: str = ","


APA = NumberStyle()


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise JianfuError(
            f"unknown statistic kind {kind!r}; choose one of {', '.join(sorted(KINDS))}"
        ) from None


def _round_half_up(x: float, decimals: int) -> Decimal:
    """Round the shortest decimal representation of `x` half away from zero."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt_num(
    x: Any,
    kind: str = "coef",
    *,
    decimals: int | None = None,
    style: NumberStyle = APA,
    missing: str = "",
) -> str:
    """Format one number by the rules of its statistic kind.

    Parameters
    ----------
    x : the value (NaN and None print as `missing`).
    kind : a key of `KINDS` ("coef", "r", "p", "fit", "n", ...).
    decimals : overrides the kind's default.
    style : minus sign, leading zero and thousands separator.
    missing : what to print for a missing value.

    Examples
    --------
    >>> fmt_num(-0.1234, "coef"), fmt_num(0.3456, "r"), fmt_num(2142, "n")
    ('−0.12', '.35', '2,142')
    """
    if _is_missing(x):
        return missing
    value = float(x)
    if math.isinf(value):
        return ("" if value > 0 else style.minus) + "∞"
    spec = _kind(kind)
    d = spec.decimals if decimals is None else decimals
    rounded = _round_half_up(value, d)
    text = f"{abs(rounded):,.{d}f}".replace(",", "\0").replace("\0", style.thousands)
    if spec.bounded and not style.leading_zero and text.startswith("0."):
        text = text[1:]
    negative = rounded < 0  # a value that rounds to zero has no sign
    return (style.minus if negative else "") + text


def fmt_p(
    p: Any,
    *,
    decimals: int = 3,
    prefix: bool = False,
    style: NumberStyle = APA,
    missing: str = "",
) -> str:
    """A p-value: ``.023``, ``< .001``, ``> .999``; with ``prefix=True`` ``p = .023``, ``p < .001``.

    The floor is one unit of the last decimal (.001 for 3 decimals).
    """
    if _is_missing(p):
        return missing
    value = float(p)
    if not 0 <= value <= 1:
        raise JianfuError(f"a p-value must lie in [0, 1], got {value!r}")
    floor = 10.0**-decimals
    if value < floor:
        text = "< " + fmt_num(floor, "p", decimals=decimals, style=style)
    elif _round_half_up(value, decimals) >= 1 and value < 1:
        text = "> " + fmt_num(1 - floor, "p", decimals=decimals, style=style)
    else:
        text = fmt_num(value, "p", decimals=decimals, style=style)
    if not prefix:
        return text
    return "p " + (text if text[0] in "<>" else "= " + text)


def stars(p: Any, levels: tuple[tuple[float, str], ...] = STAR_LEVELS) -> str:
    """The significance mark for a p-value ('***', '**', '*' or '' ; '' for NaN)."""
    if _is_missing(p):
        return ""
    for cut, mark in levels:
        if float(p) < cut:
            return mark
    return ""


def fmt_coef(
    estimate: Any,
    p: Any = None,
    kind: str = "coef",
    *,
    decimals: int | None = None,
    style: NumberStyle = APA,
    missing: str = "",
) -> str:
    """An estimate with its significance mark: ``−0.11***`` (no mark when `p` is None/NaN)."""
    text = fmt_num(estimate, kind, decimals=decimals, style=style, missing=missing)
    if text == missing:
        return missing
    return text + stars(p)


def fmt_se(
    se: Any,
    kind: str = "se",
    *,
    decimals: int | None = None,
    style: NumberStyle = APA,
    missing: str = "",
) -> str:
    """A standard error in parentheses: ``(0.03)``."""
    text = fmt_num(se, kind, decimals=decimals, style=style, missing=missing)
    return missing if text == missing else f"({text})"


def fmt_ci(
    low: Any,
    high: Any,
    kind: str = "coef",
    *,
    decimals: int | None = None,
    style: NumberStyle = APA,
    missing: str = "",
) -> str:
    """A confidence interval in brackets: ``[0.57, 0.73]`` (`missing` if either end is missing)."""
    if _is_missing(low) or _is_missing(high):
        return missing
    lo = fmt_num(low, kind, decimals=decimals, style=style)
    hi = fmt_num(high, kind, decimals=decimals, style=style)
    return f"[{lo}, {hi}]"


def significance_note(levels: tuple[tuple[float, str], ...] = STAR_LEVELS) -> Label:
    """The note explaining the marks: ``* p < .05, ** p < .01, *** p < .001`` (two-tailed)."""
    parts = [
        (mark, fmt_num(cut, "p", decimals=-Decimal(repr(cut)).normalize().as_tuple().exponent))
        for cut, mark in sorted(levels, key=lambda lv: -lv[0])
    ]
    zh = "，".join(f"{mark} p < {cut}" for mark, cut in parts) + "（双侧检验）。"
    en = " ".join(f"{mark}p < {cut}." for mark, cut in parts) + " Two-tailed."
    return Label(zh, en)
