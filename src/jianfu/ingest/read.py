"""Read a survey export as found: every file row, every cell as read, and what was decided.

`read_survey` reads the files researchers actually receive — 问卷星 (wjx.cn) exports as .xlsx or
CSV, 按文本 (answers as text) and 按序号 (answers as option positions), 腾讯问卷 (wj.qq.com) .xlsx,
SPSS .sav and Stata .dta (via pyreadstat), and plain CSV — into a `RawSurvey`. Nothing is
converted: a phone number stays the string it was, ``(空)`` and ``NA`` stay text, numbers stay
numbers, and every data row below the header is kept (blank rows too), with its file row number,
so that a later step can account for every row it quarantines.

What the reader has to decide — the text encoding of a CSV (UTF-8, UTF-8 with BOM, GBK or
GB18030, tried strictly in that order: DOMAIN_FACTS §5.1), its delimiter, the header row below
title rows, two-row or merged headers, duplicated headers, the export kind — it decides in the
open and writes into `RawSurvey.notes`. Every problem with the file is a `JianfuError` that names
the file (and row / column where it applies) and says what to do.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from jianfu.core.errors import JianfuError
from jianfu.ingest.mapping import META_ALIASES
from jianfu.ingest.types import SURVEY_KINDS, RawSurvey

#: File extensions read, and the reader each one goes to.
SUPPORTED_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
}
#: Encodings tried, strictly and in this order, on a CSV without a UTF-8 byte-order mark.
#: GBK before GB18030: GB18030 is a superset, so a file both decode is reported as GBK.
CSV_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Largest share of private-use characters among the non-ASCII ones that a GBK/GB18030 decode
#: may give and still count as decoded (Big5 read as GB18030 gives 20-50 %).
PRIVATE_USE_MAX = 0.05
#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 20
#: 问卷星 metadata columns (DOMAIN_FACTS §5.1).
WJX_COLUMNS = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分")
#: 腾讯问卷 metadata columns (DOMAIN_FACTS §5.2).
TENCENT_COLUMNS = (
    "编号",
    "原始记录编号",
    "开始答题时间",
    "结束答题时间",
    "答题时长",
    "地理位置国家和地区",
    "地理位置省",
    "地理位置市",
    "用户类型",
    "用户标识",
    "昵称",
    "自定义字段",
)
#: 问卷星 按文本 markers of a logic-skipped and an unanswered cell; 按序号 uses -3 and -2.
WJX_TEXT_MARKERS = ("(跳过)", "(空)")
WJX_CODE_MARKERS = (-3, -2)

_KNOWN_HEADERS = frozenset(
    {*WJX_COLUMNS, *TENCENT_COLUMNS, *(a for names in META_ALIASES.values() for a in names)}
)
#: ``12、…`` / ``12.…`` (问卷星, 腾讯问卷), ``第12题…`` (old 问卷星), ``Q12`` / ``Q12_3`` (SPSS).
_QUESTION_HEADER = re.compile(
    r"^\s*(?:\d+\s*[、.．:：](?!\d)|第\s*\d+\s*题|[Qq]\d+(?:[_.]\d+)*(?!\d))"
)
_NUMBER_TEXT = re.compile(r"^\s*[-+]?\d+(?:\.\d*)?\s*$")
_WJX_QUESTION = re.compile(r"^\s*\d+\s*、")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def read_survey(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    kind: str | None = None,
) -> RawSurvey:
    """Read a survey export exactly as found.

    Parameters
    ----------
    path : the export: ``.xlsx``/``.xlsm``, ``.csv``/``.tsv``/``.txt``, ``.sav``/``.zsav`` or
        ``.dta`` (`SUPPORTED_EXTENSIONS`).
    sheet : worksheet of an .xlsx, by name or 0-based position; default the first sheet.
    encoding : text encoding of a CSV; default detected (UTF-8 with or without BOM, GBK,
        GB18030, tried strictly in that order). For an old (pre-Unicode) SPSS/Stata file, the
        code page of its strings (e.g. ``"gbk"``), passed to pyreadstat.
    kind : one of `SURVEY_KINDS`; default detected from the file name (``按文本``/``按序号``),
        the metadata columns (问卷星 or 腾讯问卷) and, for 问卷星 without a telling name, the
        cells (``-2``/``-3`` and small integers mean 按序号).

    Returns
    -------
    RawSurvey
        One frame row per file row below the header (blank rows included; trailing fully-empty
        rows at the end of the file are dropped and counted in `notes`), cells as read, with
        `file_rows` the 1-based row numbers as Excel shows them (for a CSV, the record number,
        which equals the line number unless a quoted cell spans lines; for SPSS/Stata the case
        number, with ``header_row = 0``).

    Raises
    ------
    JianfuError
        The file is missing, empty, of an unknown type, not a readable workbook (damaged, an old
        .xls renamed, password-protected), in an encoding none of the candidates decodes, has no
        header row, or `sheet` / `kind` name something that does not exist.
    """
    path = Path(path)
    reader = _check_file(path)
    if kind is not None and kind not in SURVEY_KINDS:
        raise JianfuError(f"{path}: unknown kind {kind!r}; use one of {', '.join(SURVEY_KINDS)}")
    if reader in ("spss", "stata"):
        return _read_stat_file(path, reader, kind, encoding)
    notes: list[str] = []
    sheet_name, text_encoding = None, None
    if reader == "xlsx":
        if encoding is not None:
            notes.append(f"encoding={encoding!r} ignored: an .xlsx workbook is Unicode")
        cells, sheet_name = _xlsx_cells(path, sheet, notes)
    else:
        if sheet is not None:
            notes.append(f"sheet={sheet!r} ignored: a text file has no worksheets")
        cells, text_encoding = _text_cells(path, encoding, notes)
    frame, file_rows, header_row = _table(path, cells, notes)
    if kind is None:
        kind = _detect_kind(path, frame, notes)
    else:
        notes.append(f"kind: {kind} (given by the caller)")
    return RawSurvey(
        frame=frame,
        file_rows=file_rows,
        path=path,
        kind=kind,
        encoding=text_encoding,
        header_row=header_row,
        sheet=sheet_name,
        notes=notes,
    )


# ---- the file itself -------------------------------------------------------------------------


def _check_file(path: Path) -> str:
    """The reader for `path`, after checking that it exists, is non-empty and is supported."""
    if not path.exists():
        raise JianfuError(f"{path}: file not found; check the path (and the data/raw/ folder)")
    if path.is_dir():
        raise JianfuError(f"{path}: is a folder, not a survey export file")
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        hint = ""
        if ext == ".xls":
            hint = " An old Excel 97-2003 .xls: open it in Excel or WPS and save as .xlsx."
        raise JianfuError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}; supported: "
            f"{', '.join(SUPPORTED_EXTENSIONS)}.{hint}"
        )
    if path.stat().st_size == 0:
        raise JianfuError(f"{path}: empty file (0 bytes); export or download the survey again")
    return SUPPORTED_EXTENSIONS[ext]


def _column_name(j: int) -> str:
    return get_column_letter(j + 1)


def _is_empty(cells: np.ndarray) -> np.ndarray:
    """Element-wise: the cell holds nothing (None, NaN or the empty string)."""
    if cells.size == 0:
        return np.zeros(cells.shape, bool)
    return pd.isna(cells) | (cells == "")


def _grid(rows: list, filler: object) -> np.ndarray:
    """Ragged rows as a rectangular object array, short rows padded with `filler`."""
    width = max((len(r) for r in rows), default=0)
    grid = np.full((len(rows), width), filler, dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


def _pad(grid: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`grid` padded with None to `shape`."""
    out = np.full(shape, None, dtype=object)
    out[: grid.shape[0], : grid.shape[1]] = grid
    return out


# ---- .xlsx -------------------------------------------------------------------------------------


def _check_workbook_bytes(path: Path) -> None:
    """Explain a file named .xlsx that is not an Office Open XML workbook."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_OLE2_MAGIC):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise JianfuError(
                f"{path}: the workbook is password-protected (encrypted); open it in Excel or "
                "WPS, remove the password (文件 → 信息 → 保护工作簿) and save it again as .xlsx"
            )
        raise JianfuError(
            f"{path}: not an .xlsx workbook but an old Excel 97-2003 .xls file renamed to "
            f"{path.suffix}; open it in Excel or WPS and save it as an .xlsx workbook"
        )
    if not head.startswith(b"PK"):
        looks_text = head.lstrip()[:1] in (b"<", b"")
        what = "an HTML/XML page" if looks_text else "not a zip archive"
        raise JianfuError(
            f"{path}: not a readable .xlsx workbook ({what}); download the export again, or, if "
            "it is a CSV or text table, give it the extension .csv"
        )


def _unreadable(path: Path, exc: Exception) -> JianfuError:
    return JianfuError(
        f"{path}: cannot read the workbook ({type(exc).__name__}: {exc}); the file is damaged or "
        "truncated: download the export again, or open it in Excel or WPS and save it as .xlsx"
    )


def _xlsx_cells(path: Path, sheet: str | int | None, notes: list[str]) -> tuple[np.ndarray, str]:
    """The cells of one worksheet (computed values; formula text where none is cached)."""
    _check_workbook_bytes(path)
    values, name, names = _xlsx_values(path, sheet, data_only=True)
    if len(names) > 1:
        how = "given" if sheet is not None else "the first; pass sheet= to read another"
        notes.append(f"sheet: {name!r} ({how}; the workbook has {', '.join(map(repr, names))})")
    if values.size and _has_formulas(path):
        formulas = _xlsx_values(path, name, data_only=False)[0]
        shape = tuple(np.maximum(values.shape, formulas.shape))  # defensive: same sheet
        values, formulas = _pad(values, shape), _pad(formulas, shape)
        uncached = _is_empty(values) & ~_is_empty(formulas)
        if uncached.any():
            values[uncached] = [getattr(f, "text", f) for f in formulas[uncached]]
            where = [f"{_column_name(j)}{i + 1}" for i, j in np.argwhere(uncached)[:3]]
            notes.append(
                f"{int(uncached.sum())} formula cell(s) without a cached value kept as formula "
                f"text (e.g. {', '.join(where)}); open and save the file in Excel to compute them"
            )
    return values, name


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet has a formula (then a second pass reads the formula texts)."""
    try:
        with zipfile.ZipFile(path) as z:
            sheets = [
                n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
            ]
            return any(_FORMULA_TAG.search(z.read(n)) for n in sheets)
    except Exception as exc:  # a damaged member the first pass did not need
        raise _unreadable(path, exc) from exc


def _xlsx_values(
    path: Path, sheet: str | int | None, *, data_only: bool
) -> tuple[np.ndarray, str, list[str]]:
    """The cells of a worksheet as a grid, its name, and the names of all sheets."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions, default styles
            wb = load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types on a damaged archive
        raise _unreadable(path, exc) from exc
    try:
        name = _pick_sheet(path, wb.sheetnames, sheet)
        ws = wb[name]
        if not hasattr(ws, "iter_rows"):
            raise JianfuError(f"{path}: sheet {name!r} is a chart sheet, not a table; pass sheet=")
        ws.reset_dimensions()  # some writers store a wrong <dimension>; read what is there
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            rows = list(ws.iter_rows(values_only=True))
    except JianfuError:
        raise
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    finally:
        wb.close()
    return _grid(rows, None), name, list(wb.sheetnames)


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None) -> str:
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        if not names:
            raise JianfuError(f"{path}: the workbook has no worksheets")
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise JianfuError(
            f"{path}: no sheet at position {sheet} (0-based); the workbook has {len(names)}: "
            f"{listed}"
        )
    if sheet in names:
        return sheet
    raise JianfuError(f"{path}: no sheet named {sheet!r}; the workbook's sheets are: {listed}")


# ---- CSV and text ------------------------------------------------------------------------------


def _text_cells(path: Path, encoding: str | None, notes: list[str]) -> tuple[np.ndarray, str]:
    data = path.read_bytes()
    text, used, why = _decode(path, data, encoding)
    notes.append(f"encoding: {used} ({why})")
    delimiter, why = _sniff_delimiter(text, path.suffix.lower())
    notes.append(f"delimiter: {'tab' if delimiter == chr(9) else 'comma'} ({why})")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise JianfuError(
            f"{path}, line {reader.line_num}: cannot parse the CSV ({exc}); check the quoting "
            "of that line, or save the sheet again from Excel as CSV UTF-8"
        ) from exc
    return _grid(rows, ""), used


def _bad_offset(data: bytes, encoding: str) -> tuple[int | None, str]:
    """Decode strictly: the byte offset of the first bad byte (None if it decodes), the text.

    A GBK/GB18030 decode also fails when more than `PRIVATE_USE_MAX` of its non-ASCII
    characters are user-defined (private-use) code points: Big5 bytes decode to them by the
    dozen, while real text has at most a few custom 造字 glyphs (kept, and noted)."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start, ""
    if encoding in ("gbk", "gb18030") and (m := _PRIVATE_USE.search(text)):
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        if len(_PRIVATE_USE.findall(text)) > PRIVATE_USE_MAX * non_ascii:
            return len(text[: m.start()].encode(encoding)), ""
    return None, text


def _private_use_note(text: str, encoding: str) -> str | None:
    found = _PRIVATE_USE.findall(text)
    if not found:
        return None
    first = len(text[: _PRIVATE_USE.search(text).start()].encode(encoding))
    return (
        f"{len(found)} private-use character(s) (custom 造字 glyphs?) kept as read, the first "
        f"at byte {first}; they display as blanks or boxes outside the system that made them"
    )


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, str]:
    """Decode `data` strictly; return the text, the encoding used and why."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding, "given by the caller"
        except (UnicodeDecodeError, LookupError) as exc:
            where = f"byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else "unknown name"
            raise JianfuError(
                f"{path}: does not decode as {encoding!r} ({where}); leave the encoding out to "
                "detect it, or re-save the file as CSV UTF-8"
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        offset, text = _bad_offset(data, "utf-8-sig")
        if offset is None:
            return text, "utf-8-sig", "UTF-8 with BOM: starts with the byte-order mark EF BB BF"
        tried = {"utf-8-sig": offset}
    else:
        tried = {}
        for enc in CSV_ENCODINGS:
            offset, text = _bad_offset(data, enc)
            if offset is None:
                remark = _private_use_note(text, enc)
                return text, enc, _why(enc, tried) + (f"; {remark}" if remark else "")
            tried[enc] = offset
    bom = next((name for mark, name in _BOMS.items() if data.startswith(mark)), None)
    hint = f" The file starts with a {bom} byte-order mark: it is {bom} text." if bom else ""
    offsets = "; ".join(f"{enc}: first bad byte at offset {off}" for enc, off in tried.items())
    raise JianfuError(
        f"{path}: undecidable encoding: none of {', '.join(tried)} decodes it ({offsets}; for "
        f"GBK/GB18030 a run of private-use characters counts as bad: Big5?).{hint} "
        "Open it in Excel or WPS and save it as 'CSV UTF-8', or pass encoding=..."
    )


def _why(encoding: str, tried: dict[str, int]) -> str:
    if encoding == "utf-8":
        return "decodes strictly as UTF-8"
    if encoding == "gbk":
        return f"not UTF-8 (bad byte at offset {tried['utf-8']}); decodes strictly as GBK"
    return (
        f"not UTF-8 (offset {tried['utf-8']}) nor GBK (offset {tried['gbk']}): has characters "
        "outside GBK; decodes strictly as GB18030, the superset of GBK"
    )


def _sniff_delimiter(text: str, ext: str) -> tuple[str, str]:
    """Tab for .tsv; otherwise comma or tab, whichever splits more of the first records into
    the same number (> 1) of fields, so a tab inside one comma-separated cell does not fool it.
    (A one-column file is ambiguous; it is read as comma-separated.)"""
    if ext == ".tsv":
        return "\t", "by the extension .tsv"
    counts = {}
    for delim in (",", "\t"):
        reader = csv.reader(io.StringIO(text[:200_000], newline=""), delimiter=delim)
        try:
            widths = [len(r) for r in itertools.islice(reader, 50) if len(r) > 1]
        except csv.Error:
            widths = []
        common = Counter(widths).most_common(1)
        counts[delim] = common[0] if common else (1, 0)
    (w_comma, n_comma), (w_tab, n_tab) = counts[","], counts["\t"]
    if (n_tab, w_tab) > (n_comma, w_comma):
        return "\t", f"{n_tab} of the first records split into {w_tab} fields on tabs"
    return ",", f"{n_comma} of the first records split into {w_comma} fields on commas"


# ---- SPSS and Stata ----------------------------------------------------------------------------


def _read_stat_file(path: Path, reader: str, kind: str | None, encoding: str | None) -> RawSurvey:
    """An SPSS or Stata file: codes as stored (user-missing codes kept), value labels aside."""
    import pyreadstat

    read = pyreadstat.read_sav if reader == "spss" else pyreadstat.read_dta
    options = {"user_missing": True} if reader == "spss" else {}
    if encoding is not None:
        options["encoding"] = encoding
    try:
        df, meta = read(str(path), apply_value_formats=False, **options)
    except Exception as exc:  # pyreadstat raises ReadstatError, PyreadstatError, OSError...
        what = "SPSS .sav" if reader == "spss" else "Stata .dta"
        raise JianfuError(
            f"{path}: cannot read the {what} file ({type(exc).__name__}: {exc}); the file is "
            "damaged or not in that format: export it again"
        ) from exc
    names = list(df.columns)
    labels = [(lab or "").strip() for lab in (meta.column_labels or [None] * len(names))]
    headers, renamed = _dedupe([lab or name for lab, name in zip(labels, names, strict=True)])
    frame = df.astype(object).where(df.notna(), None)
    frame.columns = headers
    frame.attrs["variable_names"] = dict(zip(headers, names, strict=True))
    value_labels = {
        header: dict(meta.variable_value_labels[name])
        for header, name in zip(headers, names, strict=True)
        if name in meta.variable_value_labels
    }
    what = "SPSS" if reader == "spss" else "Stata"
    notes = [
        f"{what} file: {len(names)} variables, {len(df)} cases; cells are codes, value labels "
        f"kept for {len(value_labels)} variables; file_rows are case numbers",
    ]
    if any(labels):
        notes.append(
            f"variable labels used as column names for {sum(map(bool, labels))} of {len(names)}"
            " variables (variable names in frame.attrs['variable_names'])"
        )
    if renamed:
        notes.append(f"renamed duplicated column names: {'; '.join(renamed)}")
    missing = getattr(meta, "missing_ranges", None) or getattr(meta, "missing_user_values", None)
    if missing:
        notes.append(f"user-defined missing values kept as codes for {len(missing)} variables")
    return RawSurvey(
        frame=frame.reset_index(drop=True),
        file_rows=np.arange(1, len(df) + 1, dtype=np.int64),
        path=path,
        kind=kind or reader,
        header_row=0,
        notes=notes,
        value_labels=value_labels,
    )


# ---- header and table --------------------------------------------------------------------------


def _header_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_score(row: np.ndarray) -> int:
    """How much a row looks like a header: 1 per text cell, 4 if it is a known column name or
    a question header; numbers and blanks count for nothing."""
    score = 0
    for cell in row:
        if not isinstance(cell, str) or not cell.strip() or _NUMBER_TEXT.match(cell):
            continue
        text = unicodedata.normalize("NFKC", cell).strip()
        known = text in _KNOWN_HEADERS or cell.strip() in _KNOWN_HEADERS
        score += 4 if known or _QUESTION_HEADER.match(cell) else 1
    return score


def _find_header(path: Path, grid: np.ndarray) -> int:
    scores = [_header_score(row) for row in grid[:HEADER_SCAN_ROWS]]
    best = int(np.argmax(scores)) if scores else 0
    if not scores or scores[best] == 0:
        raise JianfuError(
            f"{path}: no header row found in the first {HEADER_SCAN_ROWS} rows: looked for a row "
            "of column names (问卷星 序号/提交答卷时间, 腾讯问卷 编号/开始答题时间, question "
            "headers like '1、…', '第1题', 'Q1', or any text), but those rows are empty or hold "
            "only numbers; add a header row above the data"
        )
    return best


def _is_subheader(top: np.ndarray, below: np.ndarray) -> bool:
    """Whether `below` continues a two-row header: it holds text only, and only under merged
    header cells (an anchor and the blanks to its right), as row titles under a matrix stem."""
    top_blank, below_blank = _is_empty(top), _is_empty(below)
    if not top_blank.any() or below_blank.all():
        return False
    group = np.cumsum(~top_blank)  # the blanks after an anchor share its group number
    in_group = (np.bincount(group)[group] > 1) & (group > 0)
    texts = [isinstance(c, str) and not _NUMBER_TEXT.match(c) for c in below[~below_blank]]
    return all(texts) and not (~below_blank & ~in_group).any()


def _header_names(grid: np.ndarray, h: int, notes: list[str]) -> tuple[list[str], int, np.ndarray]:
    """Header names (filled, combined, de-duplicated), the number of header rows, and which
    columns to keep (blank-headed columns with no data are dropped)."""
    top = np.array([_header_text(v) for v in grid[h]], dtype=object)
    two_rows = h + 1 < len(grid) and _is_subheader(top, grid[h + 1])
    data = grid[h + (2 if two_rows else 1) :]
    sub = np.array([_header_text(v) for v in grid[h + 1]], dtype=object) if two_rows else None
    blank = (top == "") if sub is None else (top == "") & (sub == "")
    keep = ~(blank & _is_empty(data).all(axis=0))
    if (~keep).any():
        cols = [_column_name(j) for j in np.flatnonzero(~keep)]
        notes.append(f"dropped {len(cols)} empty column(s) without a header: {', '.join(cols)}")
    filled = pd.Series(top).replace("", None).ffill().fillna("").to_numpy()
    named = np.flatnonzero(top != "")
    interior = np.zeros(len(top), bool)
    if named.size:
        interior[named[0] : named[-1] + 1] = True
    if sub is not None:
        interior |= sub != ""
    fill = (top == "") & interior & (filled != "") & keep
    names = np.where(fill, filled, top)
    if fill.any():
        cols = [_column_name(j) for j in np.flatnonzero(fill)]
        notes.append(
            "blank header cells (merged cells?) filled from the left neighbour: " + ", ".join(cols)
        )
    if sub is not None:
        names = np.array([_combine(t, s) for t, s in zip(names, sub, strict=True)], dtype=object)
        notes.append(f"two-row header: file rows {h + 1} and {h + 2} combined into one")
    for j in np.flatnonzero((names == "") & keep):
        names[j] = f"(blank header {_column_name(j)})"
    final, renamed = _dedupe(list(names[keep]))
    if renamed:
        notes.append(f"renamed duplicated headers: {'; '.join(renamed)}")
    return final, (2 if sub is not None else 1), keep


def _combine(top: str, sub: str) -> str:
    """One header from a two-row header: ``12、(row)`` as 问卷星 writes it, else ``top—sub``."""
    if not sub:
        return top
    if not top:
        return sub
    inner = re.sub(r"^[(（](.*)[)）]$", r"\1", sub)
    number = re.match(r"^\s*(\d+)\s*[、.．]", top)
    return f"{number.group(1)}、({inner})" if number else f"{top}—{sub}"


def _dedupe(names: list[str]) -> tuple[list[str], list[str]]:
    """Give repeated names the suffixes `` [2]``, `` [3]``; return the names and what changed."""
    taken = set(names)
    seen: dict[str, int] = {}
    out, renamed = [], []
    for name in names:
        k = seen.get(name, 0) + 1
        seen[name] = k
        new = name
        while k > 1 and (new == name or new in taken):
            new = f"{name} [{k}]"
            k += 1
        if new != name:
            taken.add(new)
            renamed.append(f"{name!r} → {new!r}")
        out.append(new)
    return out, renamed


def _table(path: Path, grid: np.ndarray, notes: list[str]) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Header row, names and the data frame of a spreadsheet-like grid of cells."""
    empty_rows = _is_empty(grid).all(axis=1) if grid.size else np.ones(len(grid), bool)
    if empty_rows.all():
        raise JianfuError(
            f"{path}: no rows with any content; the export is empty — export the survey again"
        )
    last = int(np.flatnonzero(~empty_rows)[-1])
    if last + 1 < len(grid):
        n = len(grid) - last - 1
        notes.append(
            f"dropped {n} trailing empty row(s) at the end of the file (file rows "
            f"{last + 2}–{len(grid)})"
        )
        grid = grid[: last + 1]
    h = _find_header(path, grid)
    above = f" ({h} title or blank row(s) above it skipped)" if h else ""
    notes.append(f"header row: file row {h + 1}{above}")
    names, header_rows, keep = _header_names(grid, h, notes)
    data = grid[h + header_rows :][:, keep]
    start = h + header_rows + 1
    if len(data) == 0:
        notes.append("no data rows below the header")
    frame = pd.DataFrame(data, columns=names, dtype=object)
    return frame, np.arange(start, start + len(data), dtype=np.int64), h + 1


# ---- export kind -------------------------------------------------------------------------------


def _detect_kind(path: Path, frame: pd.DataFrame, notes: list[str]) -> str:
    headers = {unicodedata.normalize("NFKC", str(c)).strip() for c in frame.columns}
    tencent = headers & set(TENCENT_COLUMNS[2:])
    if len(tencent) >= 2:
        notes.append(f"kind: tencent (腾讯问卷 columns {', '.join(sorted(tencent))})")
        return "tencent"
    if "按序号" in path.name:
        notes.append("kind: wjx_code (file name contains 按序号)")
        return "wjx_code"
    if "按文本" in path.name:
        notes.append("kind: wjx_text (file name contains 按文本)")
        return "wjx_text"
    wjx = headers & set(WJX_COLUMNS[1:6])
    questions = [c for c in frame.columns if _WJX_QUESTION.match(str(c))]
    if not wjx and len(questions) * 2 < max(len(frame.columns), 1):
        notes.append("kind: csv (a plain table: no 问卷星 or 腾讯问卷 metadata columns)")
        return "csv"
    kind, why = _wjx_variant(frame[questions])
    notes.append(f"kind: {kind} (问卷星 export; {why})")
    return kind


def _wjx_variant(answers: pd.DataFrame) -> tuple[str, str]:
    """按文本 or 按序号, from the cells of the question columns."""
    cells = pd.Series(answers.head(500).to_numpy().ravel(), dtype=object)
    cells = cells[~_is_empty(cells.to_numpy())]
    if cells.empty:
        return "wjx_text", "no answers to tell 按文本 from 按序号; assumed 按文本"
    text = cells.astype(str).str.strip()
    if text.isin(WJX_TEXT_MARKERS).any():
        return "wjx_text", "cells hold (跳过)/(空)"
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.isin(WJX_CODE_MARKERS).any():
        return "wjx_code", "cells hold the -2/-3 markers"
    share = float(numbers.notna().mean())
    if share >= 0.9:
        return "wjx_code", f"{share:.0%} of the answers are numbers"
    return "wjx_text", f"{1 - share:.0%} of the answers are text"
