"""The clean survey data for collaborators: SPSS ``.sav`` and Stata ``.dta`` with labels.

`write_labelled` writes a frame with variable labels from the codebook's items (Chinese or
English) and value labels from their scales, through pyreadstat (ReadStat). What each format
cannot hold is changed by a stated rule and listed in the returned report, never silently:

* **Stata**: release 118 (Stata 14 and later; UTF-8 — 117 and older are Latin-1). Variable
  names ≤ 32 characters of letters, digits and ``_``, not a reserved word (``in``, ``byte``,
  ``str5`` …); variable labels ≤ 80 characters; value labels only on numeric variables whose
  values are all integers; strings longer than 2045 bytes are stored as ``strL`` (not cut).
* **SPSS**: variable names ≤ 64 bytes, starting with a letter, of letters, digits, ``_`` and
  ``.``, not a reserved word (``ALL``, ``BY``, ``TO`` …, any case), unique regardless of case;
  variable labels ≤ 255 bytes; value labels ≤ 120 bytes (ReadStat would cut them inside a
  character); strings ≤ 32767 bytes. Measurement level from the scale (ordinal / nominal /
  scale).
* **Both**: a name that breaks a rule has each bad character replaced by ``_``, a ``v`` put in
  front of a bad first character, ``_`` after a reserved word, is cut to the limit and made
  unique with ``_2``, ``_3`` …; a label or string that is too long is cut at a character
  boundary so that it fits with a trailing ``…``. A missing string is written as the empty
  string (neither format has a missing string); a time-zone-aware time is written as local
  wall time. Both files take the codebook title as file label.

Byte-identical files: both formats record the time of writing in their header and pyreadstat
offers no way to set it. After writing, the timestamp is overwritten with `FIXED_TIME` at its
documented place — SPSS: ``creation_date`` (9 bytes, ``dd Mon yy``) at offset 92 and
``creation_time`` (8 bytes, ``hh:mm:ss``) at offset 101 of the 176-byte file header (GNU PSPP,
*System File Format*, "File Header Record"); Stata: the 17 characters ``dd Mon yyyy hh:mm``
after ``<timestamp>`` and its length byte (Stata, *dta file format 118*, §5.1 "Header"). The
bytes are checked to look like a timestamp before they are touched; if not (a future ReadStat),
the file is left as written and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyreadstat

from jianfu.codebook.model import Codebook, Item
from jianfu.core.errors import JianfuError
from jianfu.core.io import FIXED_TIME, atomic_path

Format = Literal["sav", "dta"]
Lang = Literal["zh", "en"]
FORMATS: tuple[Format, ...] = ("sav", "dta")
LANGS: tuple[Lang, ...] = ("zh", "en")
ELLIPSIS = "…"
#: Stata release written (Stata 14+, the first with UTF-8 text).
DTA_RELEASE = 118
_STATA_RESERVED = frozenset(
    [
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_N",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strL",
        "using",
        "with",
    ]
)
_SPSS_RESERVED = frozenset(
    ["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"]
)
#: What `pandas.api.types.infer_dtype` calls an object column that holds only numbers.
_NUMBERS = ("integer", "floating", "mixed-integer-float", "decimal")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class FormatLimits:
    """What one file format can hold (lengths in ``chars`` or UTF-8 ``bytes``)."""

    name: str
    release: str
    name_max: int
    name_unit: str
    name_first_underscore: bool
    name_extra_chars: str
    case_sensitive: bool
    reserved: frozenset[str]
    variable_label: tuple[int, str]
    value_label: tuple[int, str]
    file_label: tuple[int, str]
    string_bytes: int | None  # longer strings are cut; None: stored as strL instead


LIMITS = {
    "dta": FormatLimits(
        name="Stata",
        release=f"dta {DTA_RELEASE} (Stata 14+, UTF-8)",
        name_max=32,
        name_unit="chars",
        name_first_underscore=True,
        name_extra_chars="_",
        case_sensitive=True,
        reserved=_STATA_RESERVED,
        variable_label=(80, "chars"),
        value_label=(32000, "bytes"),
        file_label=(80, "chars"),
        string_bytes=None,
    ),
    "sav": FormatLimits(
        name="SPSS",
        release="sav (UTF-8, uncompressed)",
        name_max=64,
        name_unit="bytes",
        name_first_underscore=False,
        name_extra_chars="_.",
        case_sensitive=False,
        reserved=_SPSS_RESERVED,
        variable_label=(255, "bytes"),
        value_label=(120, "bytes"),
        file_label=(64, "bytes"),
        string_bytes=32767,
    ),
}


def _size(text: str, unit: str) -> int:
    return len(text.encode("utf-8")) if unit == "bytes" else len(text)


def fit(text: str, limit: int, unit: str, mark: str = ELLIPSIS) -> str:
    """`text` if it fits, else cut at a character boundary so that text + `mark` fits."""
    if _size(text, unit) <= limit:
        return text
    room, used, kept = limit - _size(mark, unit), 0, []
    for ch in text:
        used += _size(ch, unit)
        if used > room:
            break
        kept.append(ch)
    return "".join(kept) + mark


def _reserved(name: str, lim: FormatLimits) -> bool:
    if lim.case_sensitive:
        return name in lim.reserved or bool(re.fullmatch(r"str[0-9]+", name))
    return name.upper() in lim.reserved


def _name_char(ch: str, extra: set[str]) -> str:
    return ch if ch.isalpha() or (ch.isascii() and ch.isdigit()) or ch in extra else "_"


def safe_names(columns: list[str], lim: FormatLimits) -> dict[str, str]:
    """Column -> a valid, unique variable name in the format (see the module docstring)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    ok = set(lim.name_extra_chars)
    for col in columns:
        name = "".join(_name_char(ch, ok) for ch in str(col))
        first_ok = name[:1].isalpha() or (lim.name_first_underscore and name[:1] == "_")
        name = name if first_ok else f"v{name}"
        name = name.rstrip(".") or "v"
        if _reserved(name, lim):
            name += "_"
        name = fit(name, lim.name_max, lim.name_unit, mark="")
        base, k = name, 1
        while (name if lim.case_sensitive else name.casefold()) in seen:
            k += 1
            name = fit(base, lim.name_max - len(f"_{k}"), lim.name_unit, mark="") + f"_{k}"
        seen.add(name if lim.case_sensitive else name.casefold())
        out[col] = name
    return out


def _integral(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return False
    values = col.dropna().to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def _prepare(frame: pd.DataFrame, lim: FormatLimits, report: dict) -> pd.DataFrame:
    """Strings without missing values and within the format's length; naive times."""
    out = frame.reset_index(drop=True)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
            report["timezone_dropped"].append(col)
            continue
        if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in _NUMBERS:
            out[col] = pd.to_numeric(s)
            continue
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        present = s.dropna()
        if any(isinstance(v, list | tuple | set | dict) for v in present):
            raise JianfuError(
                f"column {col!r} holds lists (a multi-choice item?): split it into one 0/1 column "
                "per option before writing .sav/.dta"
            )
        text = s.map(lambda v: "" if v is None or v is pd.NA or v != v else str(v)).astype("str")
        missing = int(s.isna().sum())
        if missing:
            report["empty_strings_for_missing"][col] = missing
        longest = int(text.map(lambda v: len(v.encode("utf-8"))).max()) if len(text) else 0
        if lim.string_bytes is None and longest > 2045:
            report["strl"].append(col)
        elif lim.string_bytes is not None and longest > lim.string_bytes:
            text = text.map(lambda v: fit(v, lim.string_bytes, "bytes"))
            report["truncated"].append(
                {
                    "column": col,
                    "what": "string values",
                    "limit": f"{lim.string_bytes} bytes",
                    "longest": f"{longest} bytes",
                }
            )
        out[col] = text
    return out


def _label(text: str, col: str, what: str, limit: tuple[int, str], report: dict) -> str:
    cut = fit(text, *limit)
    if cut != text:
        report["truncated"].append(
            {
                "column": col,
                "what": what,
                "limit": f"{limit[0]} {limit[1]}",
                "longest": f"{_size(text, limit[1])} {limit[1]}",
            }
        )
    return cut


def derived_labels(cb: Codebook, lang: str) -> dict[str, str]:
    """Labels of the columns a multi-choice item becomes (``<item>_<code>``, ``<item>_other``)."""
    sep = "：" if lang == "zh" else ": "
    out = {}
    for item in cb.items:
        if item.type != "multi" or item.scale is None:
            continue
        for v in cb.scales[item.scale].values:
            text = f"{item.label.get(lang)}{sep}{v.label.get(lang)}"
            out[f"{item.id}_{v.code}"] = text
            if v.other_text:
                out[f"{item.id}_other"] = text
    return out


def write_labelled(
    frame: pd.DataFrame,
    cb: Codebook,
    path: Path,
    fmt: Format,
    lang: Lang = "zh",
    *,
    labels: dict[str, str] | None = None,
    value_scales: dict[str, str] | None = None,
) -> dict:
    """Write `frame` as a labelled SPSS or Stata file, atomically and byte-reproducibly.

    Parameters
    ----------
    frame : the data; columns named by codebook item id get the item's label, and coded items
        (single choice, matrix rows) their scale's value labels; a multi-choice item's 0/1
        columns ``<item>_<code>`` and ``<item>_other`` get the item's and the option's label.
    cb : the codebook.
    path : the output file.
    fmt : ``"sav"`` (SPSS) or ``"dta"`` (Stata 14+).
    lang : ``"zh"`` or ``"en"``: the language of all labels.
    labels : column -> variable label, for derived columns (overrides the codebook).
    value_scales : column -> codebook scale id, for derived coded columns.

    Returns
    -------
    dict
        What was written and every rule applied (JSON-serialisable; columns by their name in
        `frame`): format and release, rows, columns, labelled columns, value-labelled columns
        and skipped ones with the reason, codes without a label, renamed columns, truncations,
        strL columns, missing strings written empty, and whether the header timestamp was
        fixed.

    Raises
    ------
    JianfuError
        Unknown format or language, a scale id that is not in the codebook, a column of lists,
        or a file the library could not write.
    """
    if fmt not in FORMATS or lang not in LANGS:
        raise JianfuError(f"{path}: format must be one of {FORMATS} and language one of {LANGS}")
    lim, path = LIMITS[fmt], Path(path)
    labels, value_scales = dict(labels or {}), dict(value_scales or {})
    unknown = sorted(set(value_scales.values()) - set(cb.scales))
    if unknown:
        raise JianfuError(
            f"{path}: unknown scale(s) {unknown} (codebook {cb.id}: {list(cb.scales)})"
        )
    items: dict[str, Item] = {i.id: i for i in cb.items}
    derived = derived_labels(cb, lang)
    report: dict = {
        "file": path.name,
        "format": lim.name,
        "release": lim.release,
        "language": lang,
        "rows": len(frame),
        "columns": len(frame.columns),
        "variable_labels": 0,
        "unlabelled": [],
        "value_labels": [],
        "value_labels_skipped": {},
        "values_without_label": {},
        "renamed": {},
        "truncated": [],
        "strl": [],
        "empty_strings_for_missing": {},
        "timezone_dropped": [],
    }
    data = _prepare(frame, lim, report)
    names = safe_names([str(c) for c in data.columns], lim)
    report["renamed"] = {c: n for c, n in names.items() if c != n}

    var_labels: dict[str, str] = {}
    val_labels: dict[str, dict[int, str]] = {}
    measure: dict[str, str] = {}
    for col in data.columns:
        name, item = names[str(col)], items.get(str(col))
        text = labels.get(col) or (item.label.get(lang) if item else derived.get(str(col)))
        if text is None and name != col:
            text = str(col)  # keep the original name where it had to change
        if text:
            var_labels[name] = _label(text, col, "variable label", lim.variable_label, report)
        else:
            report["unlabelled"].append(col)
        scale_id = value_scales.get(col) or (
            item.scale if item and item.type in ("single", "matrix") else None
        )
        if scale_id is None:
            measure[name] = "nominal" if pd.api.types.is_string_dtype(data[col]) else "scale"
            continue
        scale = cb.scales[scale_id]
        measure[name] = "ordinal" if scale.ordinal else "nominal"
        if not _integral(data[col]):
            kind = "non-integer values" if pd.api.types.is_numeric_dtype(data[col]) else "text"
            report["value_labels_skipped"][col] = f"{kind}: value labels need integer codes"
            continue
        val_labels[name] = {
            int(v.code): _label(
                v.label.get(lang), col, f"value label {v.code}", lim.value_label, report
            )
            for v in scale.values
        }
        report["value_labels"].append(col)
        stray = sorted({int(x) for x in data[col].dropna()} - set(scale.codes))
        if stray:
            report["values_without_label"][col] = stray
    report["variable_labels"] = len(var_labels)
    data = data.rename(columns={c: names[str(c)] for c in data.columns})
    title = fit(cb.title.get(lang), *lim.file_label)

    with atomic_path(path) as tmp:
        try:
            if fmt == "sav":
                pyreadstat.write_sav(
                    data,
                    tmp,
                    file_label=title,
                    column_labels=var_labels,
                    variable_value_labels=val_labels,
                    variable_measure=measure,
                )
            else:
                pyreadstat.write_dta(
                    data,
                    tmp,
                    file_label=title,
                    column_labels=var_labels,
                    variable_value_labels=val_labels,
                    version=14,
                )
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
            raise JianfuError(f"{path}: could not write the {lim.name} file: {exc}") from None
        report["timestamp_fixed"] = fix_timestamp(tmp, fmt)
    return report


def fix_timestamp(path: Path, fmt: str) -> bool:
    """Overwrite the header's creation time with `FIXED_TIME` (see the module docstring).

    Returns False, leaving the file alone, if the bytes are not where the format puts them.
    """
    t = FIXED_TIME
    month = _MONTHS[t.month - 1]
    with open(path, "r+b") as fh:
        head = fh.read(512)
        if fmt == "sav":
            if head[:4] not in (b"$FL2", b"$FL3") or not re.fullmatch(
                rb"[ 0-9]\d [A-Z][a-z]{2} \d\d\d\d:\d\d:\d\d", head[92:109]
            ):
                return False
            fh.seek(92)
            fh.write(f"{t.day:02d} {month} {t.year % 100:02d}{t:%H:%M:%S}".encode("ascii"))
            return True
        at = head.find(b"<timestamp>")
        stamp = f"{t.day:02d} {month} {t.year:04d} {t:%H:%M}".encode("ascii")
        if at < 0 or head[at + 11] != len(stamp):
            return False
        if not re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d", head[at + 12 : at + 29]):
            return False
        fh.seek(at + 12)
        fh.write(stamp)
        return True
