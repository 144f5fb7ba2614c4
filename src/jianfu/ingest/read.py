"""Read a survey export as found: every file row, every cell as read, and what was decided.

`read_survey` reads the files researchers actually receive — 问卷星 (wjx.cn) exports as .xlsx,
old Excel 97-2003 .xls (before about 2020) or CSV, 按文本 (answers as text) and 按序号 (answers as
option positions), 腾讯问卷 (wj.qq.com) .xlsx, SPSS .sav and Stata .dta (via pyreadstat, in a
child process so that a crash on a damaged file is an error, not the end of the pipeline), and
plain CSV — into a `RawSurvey`. Nothing is
converted: a phone number stays the string it was, ``(空)`` and ``NA`` stay text, numbers stay
numbers, and every data row below the header is kept (blank rows too), with its file row number,
so that a later step can account for every row it quarantines.

What the reader has to decide — the text encoding of a CSV (UTF-8, UTF-8 with BOM, GBK or
GB18030, tried strictly in that order: DOMAIN_FACTS §5.1), its delimiter, the header row below
title rows, two-row or merged headers, duplicated headers, the export kind — it decides in the
open and writes into `RawSurvey.notes`.

Workbooks are read with python-calamine (fast; .xlsx and .xls). Where calamine would lose
something — Excel error values such as ``#N/A`` or ``#DIV/0!`` and formulas without a cached
value (calamine gives blanks), whole numbers beyond 2^53 written digit for digit (calamine gives
a rounded float) — the worksheet is read with openpyxl instead, and a note says so and why
(`_openpyxl_reasons`). An .xls has no such fallback: its error cells read as blanks. The header
row is the first text-like row that scores near the best (`_header_scores`): a row of mostly
numbers is never the header, and a column of item ids under a header is data. With several
worksheets and no `sheet` given, the sheet that holds the answers is chosen (`_choose_sheet`)
or the user is asked to pass ``--sheet NAME``. An export with a header and no answers is an
error, so that no empty file is written downstream.

Every problem with the file is a `JianfuError` that names the file (and row / column where it
applies) and says what to do.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

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
    ".xls": "xlsx",  # Excel 97-2003 (问卷星 before about 2020), read by calamine
}
#: Encodings tried, strictly and in this order, on a CSV without a UTF-8 byte-order mark.
#: GBK before GB18030: GB18030 is a superset, so a file both decode is reported as GBK.
CSV_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Largest share of private-use characters among the non-ASCII ones that a GBK/GB18030 decode
#: may give and still count as decoded (Big5 read as GB18030 gives 20-50 %).
PRIVATE_USE_MAX = 0.05
#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 20
#: How many non-blank cells below a header candidate tell what its column holds.
HEADER_LOOKAHEAD = 20
#: The header is the first row scoring at least this share of the best row's score.
HEADER_NEAR_BEST = 0.6
#: With several sheets of answers, the largest is chosen if it has at least this many times
#: the rows of the next one.
SHEET_MAJORITY = 2
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
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*["']([^"']*)["']""")
#: A cell of type e (an Excel error value) and a formula followed by no value, in sheet XML.
_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\s[^>]*?\bt\s*=\s*["']e["']""")
#: A formula tag, unprefixed or prefixed (``<x:f>``): two searches with a literal prefix (fast).
_FORMULA_STARTS = (re.compile(rb"<f[\s>/]"), re.compile(rb":f[\s>/]"))
_UNCACHED_FORMULA = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
#: Whole numbers a float holds exactly; calamine gives every number as a float.
_EXACT_INT = 2**53
_TYPE_OF = np.frompyfunc(type, 1, 1)
_FLOAT, _DATE = np.array([float, datetime.date], dtype=object)
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
    path : the export: ``.xlsx``/``.xlsm``/``.xls``, ``.csv``/``.tsv``/``.txt``,
        ``.sav``/``.zsav`` or ``.dta`` (`SUPPORTED_EXTENSIONS`).
    sheet : worksheet of a workbook, by name or 0-based position; default the only worksheet,
        or, of several, the one that holds the answers (`_choose_sheet`; the choice and why in
        `notes`).
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
        The file is missing, empty, of an unknown type, not a readable workbook (damaged,
        truncated, password-protected), in an encoding none of the candidates decodes, has no
        header row or a header and no answers, crashes the SPSS/Stata reader, has several
        sheets none of which clearly holds the answers, or `sheet` / `kind` name something that
        does not exist.
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
        raise JianfuError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}; supported: "
            f"{', '.join(SUPPORTED_EXTENSIONS)}."
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


# ---- .xlsx and .xls ------------------------------------------------------------------------------


def _check_workbook_bytes(path: Path) -> str:
    """The workbook format of `path` by its first bytes ("xlsx" or "xls"), or a clear error."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_OLE2_MAGIC):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise JianfuError(
                f"{path}: the workbook is password-protected (encrypted); open it in Excel or "
                "WPS, remove the password (文件 → 信息 → 保护工作簿) and save it again as .xlsx"
            )
        return "xls"
    if path.suffix.lower() == ".xls" and head.startswith(b"PK"):
        return "xlsx"  # an .xlsx renamed .xls: read what it is
    if not head.startswith(b"PK"):
        looks_text = head.lstrip()[:1] in (b"<", b"")
        what = "an HTML/XML page" if looks_text else "not a zip archive"
        if path.suffix.lower() == ".xls":
            what = "an HTML/XML page, as some sites export under .xls" if looks_text else what
            raise JianfuError(
                f"{path}: not a readable Excel .xls workbook ({what}); download the export "
                "again, or open it in Excel or WPS and save it as .xlsx"
            )
        raise JianfuError(
            f"{path}: not a readable .xlsx workbook ({what}); download the export again, or, if "
            "it is a CSV or text table, give it the extension .csv"
        )
    return "xlsx"


def _unreadable(path: Path, exc: Exception) -> JianfuError:
    return JianfuError(
        f"{path}: cannot read the workbook ({type(exc).__name__}: {exc}); the file is damaged or "
        "truncated: download the export again, or open it in Excel or WPS and save it as .xlsx"
    )


def _reraise_interrupts(exc: BaseException) -> None:
    """Let Ctrl-C and exits through; calamine's Rust panics (pyo3's PanicException derives from
    BaseException) become errors about the file."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc


def _open_workbook(path: Path, fmt: str):
    """The workbook opened with calamine (an .xls is read by content, whatever its name)."""
    import python_calamine as pc

    renamed = fmt == "xls" and path.suffix.lower() != ".xls"
    try:
        if path.suffix.lower() != (".xls" if fmt == "xls" else ".xlsx"):  # read by content
            return pc.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise JianfuError(
            f"{path}: the workbook is password-protected ({exc}); open it in Excel or WPS, "
            "remove the password (文件 → 信息 → 保护工作簿) and save it again as .xlsx"
        ) from exc
    except BaseException as exc:  # CalamineError, ZipError... and a Rust panic
        _reraise_interrupts(exc)
        if renamed:
            raise JianfuError(
                f"{path}: not an .xlsx workbook but an old Excel 97-2003 .xls file renamed to "
                f"{path.suffix}, and it does not read as .xls either ({type(exc).__name__}: "
                f"{exc}); open it in Excel or WPS and save it as an .xlsx workbook"
            ) from exc
        if fmt == "xls":
            raise JianfuError(
                f"{path}: cannot read the Excel 97-2003 .xls workbook ({type(exc).__name__}: "
                f"{exc}); the file is damaged, truncated or password-protected: download the "
                "export again, or open it in Excel or WPS and save it as .xlsx"
            ) from exc
        raise _unreadable(path, exc) from exc


def _calamine_grid(path: Path, wb, name: str) -> tuple[np.ndarray, bool]:
    """A worksheet read by calamine as a grid with openpyxl's cell semantics: blanks are None,
    whole numbers int (calamine gives every number as float), dates datetime; and whether it
    has whole numbers beyond 2^53 (which the float calamine gives may have rounded)."""
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except BaseException as exc:  # a Rust panic is a BaseException (pyo3 PanicException)
        _reraise_interrupts(exc)
        raise _unreadable(path, exc) from exc
    grid = _grid(rows, None)
    if grid.size == 0:
        return grid, False
    grid[grid == ""] = None
    flat = grid.reshape(-1)
    types = _TYPE_OF(flat)
    floats = np.flatnonzero(types == _FLOAT)
    big = False
    if floats.size:
        values = flat[floats].astype(float)
        whole = values == np.floor(values)
        exact = whole & (np.abs(values) < _EXACT_INT)
        big = bool((whole & ~exact).any())
        ints = np.empty(int(exact.sum()), dtype=object)
        ints[:] = values[exact].astype(np.int64).tolist()
        flat[floats[exact]] = ints
    for k in np.flatnonzero(types == _DATE):
        d = flat[k]
        flat[k] = datetime.datetime(d.year, d.month, d.day)
    return grid, big


def _worksheets(path: Path, wb) -> tuple[list[str], list[str], set[str]]:
    """All sheet names, the worksheets among them, and the hidden ones."""
    import python_calamine as pc

    try:
        meta = list(wb.sheets_metadata)
    except BaseException as exc:
        _reraise_interrupts(exc)
        raise _unreadable(path, exc) from exc
    names = [m.name for m in meta]
    tables = [m.name for m in meta if m.typ == pc.SheetTypeEnum.WorkSheet]
    hidden = {m.name for m in meta if m.visible != pc.SheetVisibleEnum.Visible}
    return names, tables, hidden


def _xlsx_cells(path: Path, sheet: str | int | None, notes: list[str]) -> tuple[np.ndarray, str]:
    """The cells of one worksheet: read with calamine, or with openpyxl where calamine would
    lose something (`_openpyxl_reasons`); the sheet is chosen by `_choose_sheet` if not given."""
    fmt = _check_workbook_bytes(path)
    if fmt == "xls" and path.suffix.lower() != ".xls":
        notes.append(f"an old Excel 97-2003 .xls workbook named {path.suffix}: read as .xls")
    wb = _open_workbook(path, fmt)
    try:
        names, tables, hidden = _worksheets(path, wb)
        if sheet is not None or len(tables) <= 1:
            name = _pick_sheet(path, names if sheet is not None or not tables else tables, sheet)
            if name not in tables:
                raise JianfuError(
                    f"{path}: sheet {name!r} is a chart sheet, not a table; pass --sheet NAME "
                    f"(sheet=) with one of {', '.join(map(repr, tables)) or '(none)'}"
                )
            if len(names) > 1:
                notes.append(f"sheet: {name!r} (given; the workbook has {_listed(names)})")
            grid, big = _calamine_grid(path, wb, name)
        else:
            name, grid, big = _choose_sheet(path, wb, tables, hidden, notes)
    finally:
        wb.close()
    if fmt == "xlsx":
        reasons = _openpyxl_reasons(path, name, big)
        if reasons:
            notes.append(
                f"sheet {name!r} read with openpyxl instead of calamine: it has "
                f"{' and '.join(reasons)}, which calamine reads as blanks or rounds"
            )
            return _openpyxl_cells(path, name, notes), name
    return grid, name


def _listed(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _openpyxl_reasons(path: Path, name: str, big: bool) -> list[str]:
    """What calamine would lose on this worksheet: Excel error values (``#N/A``, ``#DIV/0!``;
    calamine gives blanks), formulas without a cached value (blanks; openpyxl gives the formula
    text) and whole numbers beyond 2^53 (calamine gives rounded floats)."""
    reasons = []
    found = _scan_sheet_xml(path, name)
    if "error" in found:
        reasons.append("Excel error values (#N/A, #DIV/0!...)")
    if "uncached" in found:
        reasons.append("formulas without a cached value")
    if big:
        reasons.append("whole numbers beyond 2^53 that a float cannot hold exactly")
    return reasons


def _sheet_part(z: zipfile.ZipFile, name: str) -> str | None:
    """The zip member of the worksheet called `name` (via xl/workbook.xml and its relations)."""
    try:
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    rid = None
    for m in _SHEET_TAG.finditer(book):
        attrs = dict(_ATTR.findall(m.group(0)))
        if html.unescape(attrs.get(b"name", b"").decode("utf-8")) == name:
            rid = next((v for k, v in attrs.items() if k.endswith(b":id")), None)
            break
    if rid is None:
        return None
    for m in _REL_TAG.finditer(rels):
        attrs = dict(_ATTR.findall(m.group(0)))
        if attrs.get(b"Id") == rid:
            target = attrs.get(b"Target", b"").decode("utf-8")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _scan_sheet_xml(path: Path, name: str) -> set[str]:
    """Which of "error" (a cell of type e) and "uncached" (a formula with no value) occur in the
    worksheet's XML, read in chunks (the sheet of a 100,000-row export is hundreds of MB)."""
    found: set[str] = set()
    try:
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, name)
            members = [part] if part in z.namelist() else _all_sheet_parts(z)
            for member in members:
                with z.open(member) as f:
                    tail = b""
                    while chunk := f.read(1 << 24):
                        for block in (tail + chunk[:1024], chunk):  # the seam, then the chunk
                            if _may_have_error(block) and _ERROR_CELL.search(block):
                                found.add("error")
                            if _may_have_formula(block) and _UNCACHED_FORMULA.search(block):
                                found.add("uncached")
                        if len(found) == 2:
                            return found
                        tail = chunk[-1024:]
    except Exception as exc:  # a damaged member calamine did not need
        raise _unreadable(path, exc) from exc
    return found


def _may_have_formula(block: bytes) -> bool:
    return any(pattern.search(block) for pattern in _FORMULA_STARTS)


def _may_have_error(block: bytes) -> bool:
    """Whether `block` may hold a cell of type e (every writer seen writes ``t="e"``)."""
    return b't="e"' in block or b"t='e'" in block


def _all_sheet_parts(z: zipfile.ZipFile) -> list[str]:
    return [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def _openpyxl_cells(path: Path, name: str, notes: list[str]) -> np.ndarray:
    """The cells of one worksheet read by openpyxl (computed values; formula text where none is
    cached): the fallback where calamine loses information, and the benchmarks' baseline."""
    values = _xlsx_values(path, name, data_only=True)[0]
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
    return values


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet has a formula (then a second pass reads the formula texts)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(_may_have_formula(z.read(n)) for n in _all_sheet_parts(z))
    except Exception as exc:  # a damaged member the first pass did not need
        raise _unreadable(path, exc) from exc


def _xlsx_values(
    path: Path, sheet: str | int | None, *, data_only: bool
) -> tuple[np.ndarray, str, list[str]]:
    """The cells of a worksheet as a grid (openpyxl), its name, and the names of all sheets."""
    from openpyxl import load_workbook

    # a file object, not the path: openpyxl refuses names other than .xlsx/.xlsm (an .xlsx
    # renamed .xls is read by content)
    source = path if path.suffix.lower() in (".xlsx", ".xlsm") else io.BytesIO(path.read_bytes())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions, default styles
            wb = load_workbook(source, read_only=True, data_only=data_only)
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
    listed = _listed(names)
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
    raise JianfuError(
        f"{path}: no sheet named {sheet!r}; the workbook's sheets are: {listed}; pass "
        "--sheet NAME (sheet=) with one of them"
    )


def _choose_sheet(
    path: Path, wb, tables: list[str], hidden: set[str], notes: list[str]
) -> tuple[str, np.ndarray, bool]:
    """The worksheet that holds the answers, when the workbook has several and none is given.

    Each visible worksheet is read and its table found (`_survey_table_stats`). A sheet with
    a header and at least one non-blank row below it is a candidate. The one candidate wins;
    of several, the only one whose header looks like a survey's (问卷星/腾讯问卷 columns or
    question headers such as ``1、…``/``Q1``) wins; else the one with the most rows wins if it
    has at least `SHEET_MAJORITY` times as many as the next. Otherwise the choice is left to
    the user (a `JianfuError` listing the sheets and their rows)."""
    stats, grids = {}, {}
    for name in tables:
        if name in hidden:
            continue
        grids[name] = _calamine_grid(path, wb, name)
        stats[name] = _survey_table_stats(grids[name][0])
    summary = "; ".join(
        f"{name!r}: " + ("no table" if st is None else f"{st[0]} row(s) below a header")
        for name, st in stats.items()
    )
    skipped = f" (hidden sheets skipped: {_listed(sorted(hidden))})" if hidden else ""
    candidates = {n: st for n, st in stats.items() if st is not None and st[0] > 0}
    why = ""
    if len(candidates) == 1:
        name = next(iter(candidates))
        why = "the only sheet with rows below a header"
    elif candidates:
        survey_like = [n for n, st in candidates.items() if st[1]]
        ranked = sorted(candidates, key=lambda n: -candidates[n][0])
        first, second = candidates[ranked[0]][0], candidates[ranked[1]][0]
        if len(survey_like) == 1:
            name = survey_like[0]
            why = "the only sheet whose header has survey columns (问卷星/腾讯问卷 or questions)"
        elif first >= SHEET_MAJORITY * second and (not survey_like or ranked[0] in survey_like):
            name = ranked[0]
            why = f"it has the most rows, at least {SHEET_MAJORITY}x any other sheet"
    if not why:
        raise JianfuError(
            f"{path}: cannot tell which sheet holds the answers ({summary}){skipped}; pass "
            "--sheet NAME (sheet=) with the sheet to read"
        )
    notes.append(
        f"sheet: {name!r} chosen automatically: {why} ({summary}){skipped}; pass --sheet NAME "
        "(sheet=) to read another"
    )
    return name, *grids[name]


def _survey_table_stats(grid: np.ndarray) -> tuple[int, bool] | None:
    """For a worksheet's grid: the number of non-blank rows below its header and whether the
    header looks like a survey's; None if it has no header."""
    if grid.size == 0:
        return None
    filled = ~_is_empty(grid).all(axis=1)
    h = _header_index(grid)
    if h is None:
        return None
    top = grid[h]
    survey_like = sum(
        isinstance(c, str) and (_is_known_header(c) or bool(_QUESTION_HEADER.match(c))) for c in top
    )
    return int(filled[h + 1 :].sum()), survey_like >= 2


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
    """An SPSS or Stata file: codes as stored (user-missing codes kept), value labels aside.

    pyreadstat runs in a child process (`jianfu.ingest.spss_worker`), so that a damaged file
    that crashes its C library is reported as an error instead of killing the pipeline."""
    from jianfu.ingest.spss_worker import WorkerCrash, read_stat_in_subprocess

    what = "SPSS .sav" if reader == "spss" else "Stata .dta"
    with path.open("rb") as f:
        head = f.read(11)
    if reader == "spss" and not head.startswith((b"$FL2", b"$FL3")):
        raise JianfuError(
            f"{path}: not an {what} file (it does not start with $FL2 or $FL3, as every SPSS "
            "system file does); the file is damaged or in another format: export it again"
        )
    if reader == "stata" and not (head == b"<stata_dta>" or 102 <= head[0] <= 121):
        raise JianfuError(
            f"{path}: not a {what} file (no Stata format mark at its start); the file is "
            "damaged or in another format: export it again"
        )
    try:
        result = read_stat_in_subprocess(path, reader, encoding)
    except WorkerCrash as exc:
        origin = "问卷星 (下载答卷数据 → SPSS) or SPSS" if reader == "spss" else "Stata"
        raise JianfuError(
            f"{path}: the {'SPSS' if reader == 'spss' else 'Stata'} reader crashed ({exc}) on "
            f"this {what} file: it is probably damaged; re-export it from {origin} and "
            "download it again"
        ) from exc
    if not result["ok"]:
        raise JianfuError(
            f"{path}: cannot read the {what} file ({result['error']}: {result['message']}); the "
            "file is damaged or not in that format: export it again"
        )
    df, meta = result["frame"], SimpleNamespace(**result["meta"])
    if len(df) == 0 or _is_empty(df.to_numpy(dtype=object)).all():
        raise JianfuError(
            f"{path}: has {df.shape[1]} variables but no answers ({len(df)} cases, all empty); "
            "export the survey again once it has responses"
        )
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


def _is_known_header(cell: str) -> bool:
    text = unicodedata.normalize("NFKC", cell).strip()
    return text in _KNOWN_HEADERS or cell.strip() in _KNOWN_HEADERS


def _cell_kinds(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: 0 empty, 1 number-like (a number, a date, or text that reads as a number), 2
    other text; and whether it is a known column name or a question header (``12、``, ``Q3``)."""
    kinds = np.zeros(block.shape, np.int8)
    known = np.zeros(block.shape, bool)
    for (i, j), cell in np.ndenumerate(block):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            continue
        if isinstance(cell, str):
            if not cell.strip():
                continue
            if _NUMBER_TEXT.match(cell):
                kinds[i, j] = 1
            else:
                kinds[i, j] = 2
                known[i, j] = _is_known_header(cell) or bool(_QUESTION_HEADER.match(cell))
        else:
            kinds[i, j] = 1
    return kinds, known


def _header_scores(grid: np.ndarray) -> np.ndarray:
    """How much each of the first `HEADER_SCAN_ROWS` rows looks like the header; 0 for a row
    that cannot be one.

    A header is text-like: a row with more number-like cells than text cells (a data row of
    codes, scores or dates) is never the header. Each text cell of a candidate row scores 1;
    +3 if it is a known column name or a question header and the cells below it are not of
    that kind too (a column of item ids ``Q1``, ``Q2``... is data); +2 if the cells below it
    are mostly numbers (the column types turn numeric after the header). The cells below are
    the next `HEADER_LOOKAHEAD` non-blank cells of the column."""
    block = grid[: HEADER_SCAN_ROWS + HEADER_LOOKAHEAD]
    kinds, known = _cell_kinds(block)
    scores = np.zeros(min(len(grid), HEADER_SCAN_ROWS), float)
    for h in range(len(scores)):
        text, numbers = kinds[h] == 2, kinds[h] == 1
        if not text.any() or numbers.sum() > text.sum():
            continue
        below_kinds, below_known = kinds[h + 1 :], known[h + 1 :]
        score = 0.0
        for j in np.flatnonzero(text):
            col = below_kinds[:, j]
            filled = np.flatnonzero(col)[:HEADER_LOOKAHEAD]
            numeric = filled.size > 0 and (col[filled] == 1).mean() >= 0.5
            data_like = filled.size > 0 and below_known[filled, j].mean() >= 0.5
            score += 1 + (3 if known[h, j] and not data_like else 0) + (2 if numeric else 0)
        scores[h] = score
    return scores


def _header_index(grid: np.ndarray) -> int | None:
    """The header row (0-based): the first row scoring at least `HEADER_NEAR_BEST` of the best
    score (`_header_scores`), so that title rows above it are skipped and a data row that
    happens to score as high is not taken; None if no row can be the header."""
    scores = _header_scores(grid)
    if not scores.size or scores.max() <= 0:
        return None
    return int(np.flatnonzero(scores >= HEADER_NEAR_BEST * scores.max())[0])


def _find_header(path: Path, grid: np.ndarray) -> int:
    h = _header_index(grid)
    if h is None:
        raise JianfuError(
            f"{path}: no header row found in the first {HEADER_SCAN_ROWS} rows: looked for a row "
            "of column names (问卷星 序号/提交答卷时间, 腾讯问卷 编号/开始答题时间, question "
            "headers like '1、…', '第1题', 'Q1', or any text), but those rows are empty or hold "
            "mostly numbers; add a header row above the data"
        )
    return h


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
        raise JianfuError(
            f"{path}: has a header (file row {h + 1}) but no answers: every row below it is "
            "empty; export the survey again once it has responses (or check the sheet)"
        )
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
