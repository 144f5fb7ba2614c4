"""`read_survey` reads real-looking exports and explains every malformed one.

The simulated 问卷星 exports (small design) must read with the right kind and encoding and with
every file row accounted for; a corpus of malformed inputs, each built on the fly in `tmp_path`,
must give its expected notes or a `JianfuError` with the expected message; and a property test
checks, for arbitrary tables, one frame row per file data row and no error but `JianfuError`.
"""

from __future__ import annotations

import csv
import io
import string
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import PatternFill

from jianfu.core.errors import JianfuError
from jianfu.ingest.read import read_survey
from test_simulate_survey import default_params, run_stage, small

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER = ["序号", "提交答卷时间", "所用时间", "1、您的性别", "11、上个月会议次数"]
ROWS = [
    [1, "2025/10/13 08:30:16", "332秒", "男", 3],
    [2, "2025/10/13 08:31:33", "464秒", "女", 6],
]


# ---- the simulated exports ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> dict[str, Path]:
    """The three simulated exports (small design) and the truth's blank-row list."""
    out = tmp_path_factory.mktemp("sim")
    run_stage(out, small(default_params()))
    files = sorted((out / "survey").iterdir())
    return {
        "text_xlsx": next(f for f in files if "按文本" in f.name and f.suffix == ".xlsx"),
        "code_xlsx": next(f for f in files if "按序号" in f.name),
        "text_csv": next(f for f in files if f.suffix == ".csv"),
        "blank_rows": out / "truth" / "survey_blank_rows.csv",
    }


@pytest.mark.parametrize(
    ("name", "kind", "encoding"),
    [
        ("text_xlsx", "wjx_text", None),
        ("code_xlsx", "wjx_code", None),
        ("text_csv", "wjx_text", "gbk"),
    ],
)
def test_simulated_exports_read_with_every_row(simulated, name, kind, encoding):
    path = simulated[name]
    raw = read_survey(path)
    assert (raw.kind, raw.encoding, raw.header_row) == (kind, encoding, 1)
    assert list(raw.frame.columns[:6]) == [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
    ]
    n = int(path.stem.split("_")[-1])
    blank = pd.read_csv(simulated["blank_rows"], encoding="utf-8-sig")
    blank_rows = sorted(blank.loc[blank["file"] == path.name, "sheet_row"])
    assert len(raw.frame) == n + len(blank_rows)
    assert list(raw.file_rows) == list(range(2, len(raw.frame) + 2))
    empty = (raw.frame.isna() | (raw.frame == "")).all(axis=1).to_numpy()
    assert list(raw.file_rows[empty]) == blank_rows
    phones = raw.frame["手机号"].dropna()
    phones = phones[phones != ""]
    assert phones.map(type).eq(str).all() and phones.str.fullmatch(r"1\d{10}").all()
    if encoding == "gbk":
        assert any("encoding: gbk" in note for note in raw.notes)


# ---- builders for malformed inputs -------------------------------------------------------------


def _xlsx(path: Path, rows: list[list], *, merges: tuple[str, ...] = (), title="Sheet1") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _csv_text(rows: list[list], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _csv(path: Path, rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path.write_bytes(_csv_text(rows, delimiter).encode(encoding))
    return path


def _sav(folder: Path) -> Path:
    path = folder / "a.sav"
    df = pd.DataFrame({"Q1": [1.0, 2.0, None], "Q11": [3.0, 6.0, 2.0], "Q10": ["渝北", "", "x"]})
    labels = {"Q1": "1、您的性别", "Q11": "11、上个月会议次数", "Q10": "10、镇街名称"}
    pyreadstat.write_sav(
        df, path, column_labels=labels, variable_value_labels={"Q1": {1: "男", 2: "女"}}
    )
    return path


def _dta(folder: Path) -> Path:
    path = folder / "a.dta"
    df = pd.DataFrame({"q1": [1, 2, 1], "q10": ["渝北", "x", ""]})
    labels = {"q1": "您的性别", "q10": "您所在的镇（街道、乡）名称"}
    pyreadstat.write_dta(
        df, path, column_labels=labels, variable_value_labels={"q1": {1: "男", 2: "女"}}
    )
    return path


def _two_sheets(path: Path) -> Path:
    wb = Workbook()
    wb.active.title = "答卷"
    for row in [HEADER, *ROWS]:
        wb.active.append(row)
    wb.create_sheet("说明").append(["本表由问卷星导出"])
    wb.save(path)
    return path


def _truncated(folder: Path) -> Path:
    path = folder / "a.xlsx"
    _xlsx(path, [HEADER, *ROWS])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _trailing_styled_rows(folder: Path) -> Path:
    path = folder / "a.xlsx"
    wb = Workbook()
    ws = wb.active
    for row in [HEADER, *ROWS]:
        ws.append(row)
    for r in range(4, 9):  # formatted but empty: openpyxl's max_row counts them
        ws.cell(row=r, column=1).fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(path)
    return path


def _formula_sheet(folder: Path) -> Path:
    path = folder / "a.xlsx"
    return _xlsx(path, [HEADER, [1, "2025/10/13 08:30:16", "=1+1", "男", "=E3*2"], ROWS[1]])


def _two_row_header(folder: Path) -> Path:
    path = folder / "a.xlsx"
    top = ["序号", "1、您的性别", "21、以下说法与您的感受是否相符", None, None]
    sub = [
        None,
        None,
        "(领导更看重实际成效)",
        "(上级领导来调研时能沉到一线)",
        "(新领导上任后规划被搁置)",
    ]
    return _xlsx(path, [top, sub, [1, "男", "同意", "一般", "不同意"]], merges=("A1:A2", "C1:E1"))


# Each case: id -> (build(tmp_path) -> path, read_survey kwargs, expectation). An expectation is
# ("error", fragments) or ("notes", fragments), plus an optional check on the RawSurvey.
Case = tuple[Callable[[Path], Path], dict, tuple[str, tuple[str, ...]], Callable | None]
CASES: dict[str, Case] = {
    "gb18030-only-characters": (
        lambda d: _csv(d / "a.csv", [HEADER[:4], [1, "x", "1秒", "刘䶮"]], "gb18030"),
        {},
        ("notes", ("encoding: gb18030", "outside GBK")),
        lambda raw: raw.encoding == "gb18030" and raw.frame.iat[0, 3] == "刘䶮",
    ),
    "gb18030-custom-glyph-kept": (
        lambda d: _write(
            d / "a.csv",
            _csv_text(
                [
                    HEADER[:4],
                    *[[i, "x", "1秒", "张三"] for i in range(30)],
                    [99, "x", "1秒", "王\ue000"],
                ]
            ).encode("gb18030"),
        ),
        {},
        ("notes", ("encoding: gb18030", "1 private-use character(s) (custom 造字 glyphs?)")),
        lambda raw: raw.frame.iat[30, 3] == "王\ue000",
    ),
    "gbk-csv": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS], "gbk"),
        {},
        ("notes", ("encoding: gbk", "decodes strictly as GBK")),
        lambda raw: raw.frame.iat[1, 3] == "女",
    ),
    "big5-undecidable": (
        lambda d: _csv(d / "a.csv", [["編號", "您的性別"], ["1", "臺灣繁體中文問卷調查"]], "big5"),
        {},
        ("error", ("undecidable encoding", "gbk: first bad byte at offset", "gb18030: first")),
        None,
    ),
    "utf16": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS], "utf-16"),
        {},
        ("error", ("undecidable encoding", "UTF-16 byte-order mark", "CSV UTF-8")),
        None,
    ),
    "wrong-encoding-given": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS], "gbk"),
        {"encoding": "utf-8"},
        ("error", ("does not decode as 'utf-8'", "byte 0")),
        None,
    ),
    "utf8-bom": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS], "utf-8-sig"),
        {},
        ("notes", ("encoding: utf-8-sig", "byte-order mark")),
        lambda raw: raw.frame.columns[0] == "序号",
    ),
    "truncated-xlsx": (
        _truncated,
        {},
        ("error", ("cannot read the workbook", "damaged or truncated")),
        None,
    ),
    "zero-byte-csv": (
        lambda d: _csv(d / "a.csv", []),
        {},
        ("error", ("empty file (0 bytes)",)),
        None,
    ),
    "zero-byte-xlsx": (
        lambda d: _write(d / "a.xlsx", b""),
        {},
        ("error", ("empty file (0 bytes)",)),
        None,
    ),
    "blank-lines-only": (
        lambda d: _write(d / "a.csv", b",,\r\n\r\n"),
        {},
        ("error", ("no rows with any content",)),
        None,
    ),
    "empty-sheet": (
        lambda d: _xlsx(d / "a.xlsx", []),
        {},
        ("error", ("no rows with any content",)),
        None,
    ),
    "header-only": (
        lambda d: _csv(d / "a.csv", [HEADER]),
        {},
        ("error", ("has a header (file row 1) but no answers",)),
        None,
    ),
    "numbers-only-no-header": (
        lambda d: _csv(d / "a.csv", [[1, 2, 3], [4, 5, 6]]),
        {},
        ("error", ("no header row found in the first 20 rows", "序号", "add a header row")),
        None,
    ),
    "title-rows-above-header": (
        lambda d: _xlsx(
            d / "a.xlsx",
            [["重庆市基层干部工作负担调查 导出时间 2025-10-20"], [], HEADER, *ROWS],
            merges=("A1:E1",),
        ),
        {},
        ("notes", ("header row: file row 3", "2 title or blank row(s)")),
        lambda raw: raw.header_row == 3 and list(raw.file_rows) == [4, 5],
    ),
    "two-row-merged-header": (
        _two_row_header,
        {},
        ("notes", ("two-row header: file rows 1 and 2", "filled from the left neighbour")),
        lambda raw: (
            list(raw.frame.columns)
            == [
                "序号",
                "1、您的性别",
                "21、(领导更看重实际成效)",
                "21、(上级领导来调研时能沉到一线)",
                "21、(新领导上任后规划被搁置)",
            ]
            and list(raw.file_rows) == [3]
        ),
    ),
    "merged-header-one-row": (
        lambda d: _xlsx(d / "a.xlsx", [["序号", "20、渠道", None, "姓名"], [1, 1, 0, "张三"]]),
        {},
        ("notes", ("filled from the left neighbour: C", "'20、渠道' → '20、渠道 [2]'")),
        lambda raw: list(raw.frame.columns) == ["序号", "20、渠道", "20、渠道 [2]", "姓名"],
    ),
    "duplicated-headers": (
        lambda d: _csv(d / "a.csv", [["序号", "备注", "备注", "备注"], [1, "a", "b", "c"]]),
        {},
        ("notes", ("renamed duplicated headers", "'备注' → '备注 [3]'")),
        lambda raw: list(raw.frame.columns) == ["序号", "备注", "备注 [2]", "备注 [3]"],
    ),
    "text-in-numeric-column": (
        lambda d: _xlsx(
            d / "a.xlsx",
            [
                HEADER,
                [1, "t", "5秒", "男", "十二"],
                [2, "t", "5秒", "女", "12次"],
                [3, "t", "5秒", "男", 12],
                [4, "t", "5秒", "男", "13800138000"],
            ],
        ),
        {},
        ("notes", ()),
        lambda raw: list(raw.frame.iloc[:, 4]) == ["十二", "12次", 12, "13800138000"],
    ),
    "csv-cells-as-text": (
        lambda d: _csv(
            d / "a.csv",
            [HEADER, [1, "", "(空)", "NA", "13800138000"], [2, " ", "N/A", "null", "007"]],
        ),
        {},
        ("notes", ()),
        lambda raw: (
            raw.frame.iloc[0].tolist() == ["1", "", "(空)", "NA", "13800138000"]
            and raw.frame.iloc[1].tolist() == ["2", " ", "N/A", "null", "007"]
        ),
    ),
    "excel-error-values": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, [1, "#N/A", "#DIV/0!", "#VALUE!", "#REF!"]]),
        {},
        ("notes", ()),
        lambda raw: raw.frame.iloc[0, 1:].tolist() == ["#N/A", "#DIV/0!", "#VALUE!", "#REF!"],
    ),
    "formula-without-cached-value": (
        _formula_sheet,
        {},
        ("notes", ("2 formula cell(s) without a cached value", "C2, E2")),
        lambda raw: raw.frame.iat[0, 2] == "=1+1" and raw.frame.iat[1, 2] == "464秒",
    ),
    "30000-character-cells-xlsx": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, [1, "t", "5秒", "男", "长" * 30_000]]),
        {},
        ("notes", ()),
        lambda raw: raw.frame.iat[0, 4] == "长" * 30_000,
    ),
    "30000-character-cells-csv": (
        lambda d: _csv(d / "a.csv", [HEADER, [1, "t", "5秒", "男", "长,\n" * 10_000]], "gbk"),
        {},
        ("notes", ("encoding: gbk",)),
        lambda raw: raw.frame.iat[0, 4] == "长,\n" * 10_000 and list(raw.file_rows) == [2],
    ),
    "trailing-empty-rows-xlsx": (  # calamine does not see formatted empty rows at all
        _trailing_styled_rows,
        {},
        ("notes", ()),
        lambda raw: list(raw.file_rows) == [2, 3],
    ),
    "trailing-empty-rows-csv": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS, [""] * 5, [], [""] * 5]),
        {},
        ("notes", ("dropped 3 trailing empty row(s)",)),
        lambda raw: list(raw.file_rows) == [2, 3],
    ),
    "blank-rows-in-the-middle-kept": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, ROWS[0], [], [None] * 5, ROWS[1]]),
        {},
        ("notes", ()),
        lambda raw: (
            list(raw.file_rows) == [2, 3, 4, 5] and raw.frame.iloc[1:3].isna().to_numpy().all()
        ),
    ),
    "wrong-sheet-name": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, *ROWS], title="答卷数据"),
        {"sheet": "Sheet1"},
        ("error", ("no sheet named 'Sheet1'", "sheets are: '答卷数据'")),
        None,
    ),
    "sheet-position-out-of-range": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, *ROWS]),
        {"sheet": 3},
        ("error", ("no sheet at position 3", "'Sheet1'")),
        None,
    ),
    "sheet-by-name": (
        lambda d: _xlsx(d / "a.xlsx", [HEADER, *ROWS], title="答卷数据"),
        {"sheet": "答卷数据"},
        ("notes", ()),
        lambda raw: raw.sheet == "答卷数据" and len(raw.frame) == 2,
    ),
    "several-sheets": (
        lambda d: _two_sheets(d / "a.xlsx"),
        {},
        ("notes", ("sheet: '答卷' chosen automatically", "'说明': 0 row(s)", "--sheet NAME")),
        lambda raw: raw.sheet == "答卷" and len(raw.frame) == 2,
    ),
    "kind-given": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS]),
        {"kind": "wjx_code"},
        ("notes", ("kind: wjx_code (given by the caller)",)),
        lambda raw: raw.kind == "wjx_code",
    ),
    "xls-renamed-xlsx": (
        lambda d: _write(d / "a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000)),
        {},
        ("error", ("old Excel 97-2003 .xls file renamed", "save it as an .xlsx")),
        None,
    ),
    "password-protected-xlsx": (
        lambda d: _write(
            d / "a.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + bytes(512)
            + "EncryptedPackage".encode("utf-16-le"),
        ),
        {},
        ("error", ("password-protected",)),
        None,
    ),
    "html-named-xlsx": (
        lambda d: _write(d / "a.xlsx", b"<html><table></table></html>"),
        {},
        ("error", ("not a readable .xlsx workbook (an HTML/XML page)",)),
        None,
    ),
    "xls-extension": (
        lambda d: _write(d / "a.xls", b"\xd0\xcf\x11\xe0"),
        {},
        ("error", ("not a readable Excel .xls workbook", "save it as .xlsx")),
        None,
    ),
    "unknown-extension": (
        lambda d: _write(d / "a.json", b"{}"),
        {},
        ("error", ("unsupported file type '.json'", "supported: .xlsx, .xlsm, .csv")),
        None,
    ),
    "missing-file": (
        lambda d: d / "nope.xlsx",
        {},
        ("error", ("nope.xlsx: file not found",)),
        None,
    ),
    "unknown-kind": (
        lambda d: _csv(d / "a.csv", [HEADER, *ROWS]),
        {"kind": "excel"},
        ("error", ("unknown kind 'excel'", "wjx_text")),
        None,
    ),
    "tab-separated": (
        lambda d: _csv(d / "a.txt", [HEADER, [1, "a,b,c,d,e,f", "5秒", "男", 3]], delimiter="\t"),
        {},
        ("notes", ("delimiter: tab",)),
        lambda raw: raw.frame.shape == (1, 5) and raw.frame.iat[0, 1] == "a,b,c,d,e,f",
    ),
    "comma-csv-with-tabs-in-cells": (
        lambda d: _csv(d / "a.csv", [HEADER, [1, "\t\t\t\t\t\t", "5秒", "男", 3], ROWS[1]]),
        {},
        ("notes", ("delimiter: comma",)),
        lambda raw: raw.frame.shape == (2, 5),
    ),
    "quoted-newline-csv": (
        lambda d: _csv(d / "a.csv", [HEADER, [1, "第一行\n第二行", "5秒", "男", 3], ROWS[1]]),
        {},
        ("notes", ()),
        lambda raw: list(raw.file_rows) == [2, 3] and raw.frame.iat[0, 1] == "第一行\n第二行",
    ),
    "ragged-rows": (
        lambda d: _csv(d / "a.csv", [HEADER, [*ROWS[0], "多出来的"], ROWS[1][:3]]),
        {},
        ("notes", ()),
        lambda raw: raw.frame.columns[-1] == "(blank header F)" and raw.frame.iat[1, 4] == "",
    ),
    "tencent-header": (
        lambda d: _xlsx(
            d / "a.xlsx",
            [
                [
                    "编号",
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
                    "1.您的性别",
                ],
                [
                    1,
                    "2025-10-13 08:30:16",
                    "2025-10-13 08:35:16",
                    300,
                    "中国",
                    "重庆市",
                    "重庆市",
                    "微信",
                    "oAbc",
                    "小王",
                    "",
                    "男",
                ],
            ],
        ),
        {},
        ("notes", ("kind: tencent",)),
        lambda raw: raw.kind == "tencent",
    ),
    "wjx-code-by-content": (
        lambda d: _csv(d / "export.csv", [HEADER, [1, "t", "5秒", 1, 3], [2, "t", "5秒", -2, -3]]),
        {},
        ("notes", ("kind: wjx_code", "-2/-3")),
        lambda raw: raw.kind == "wjx_code",
    ),
    "wjx-text-by-content": (
        lambda d: _csv(d / "export.csv", [HEADER, [1, "t", "5秒", "男", "(跳过)"]]),
        {},
        ("notes", ("kind: wjx_text",)),
        lambda raw: raw.kind == "wjx_text",
    ),
    "plain-csv": (
        lambda d: _csv(d / "a.csv", [["id", "gender"], ["1", "m"]]),
        {},
        ("notes", ("kind: csv",)),
        lambda raw: raw.kind == "csv" and raw.encoding == "utf-8",
    ),
    "spss-sav": (
        _sav,
        {},
        ("notes", ("SPSS file: 3 variables, 3 cases", "variable labels used as column names")),
        lambda raw: (
            raw.kind == "spss"
            and list(raw.frame.columns) == ["1、您的性别", "11、上个月会议次数", "10、镇街名称"]
            and raw.value_labels == {"1、您的性别": {1.0: "男", 2.0: "女"}}
            and raw.frame.iat[2, 0] is None
            and raw.frame.iat[0, 0] == 1.0
            and list(raw.file_rows) == [1, 2, 3]
        ),
    ),
    "stata-dta": (
        _dta,
        {},
        ("notes", ("Stata file: 2 variables, 3 cases",)),
        lambda raw: (
            raw.kind == "stata"
            and list(raw.frame.columns) == ["您的性别", "您所在的镇（街道、乡）名称"]
            and raw.value_labels["您的性别"] == {1: "男", 2: "女"}
            and raw.frame.attrs["variable_names"]["您的性别"] == "q1"
        ),
    ),
    "damaged-sav": (
        lambda d: _write(d / "a.sav", b"$FL2" + bytes(100)),
        {},
        ("error", ("cannot read the SPSS .sav file",)),
        None,
    ),
    "not-a-sav": (
        lambda d: _write(d / "a.sav", b"PK\x03\x04" + bytes(100)),
        {},
        ("error", ("not an SPSS .sav file", "$FL2")),
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_malformed_inputs(tmp_path, case):
    build, kwargs, (outcome, fragments), check = CASES[case]
    path = build(tmp_path)
    if outcome == "error":
        with pytest.raises(JianfuError) as info:
            read_survey(path, **kwargs)
        message = str(info.value)
        assert str(path) in message
        for fragment in fragments:
            assert fragment in message
        return
    raw = read_survey(path, **kwargs)
    notes = "\n".join(raw.notes)
    for fragment in fragments:
        assert fragment in notes
    assert len(raw.frame) == len(raw.file_rows)
    if check is not None:
        assert check(raw), (raw.frame, raw.notes)


# ---- properties --------------------------------------------------------------------------------

_CELLS = st.one_of(
    st.just(""),
    st.sampled_from([" ", "\t", "\r\n", "\n", "  \u3000"]),
    st.text(max_size=12),
    st.text(alphabet="重庆市基层干部减负非常同意（）┋〖〗、", max_size=12),
    st.text(alphabet="".join(map(chr, range(32))) + "\x7f\x85\u2028", max_size=6),
    st.builds(lambda c, n: c * n, st.sampled_from(["长", "a", " ", '"']), st.integers(200, 32_000)),
)
# two or more columns: a one-column text file has no delimiter to sniff (see _sniff_delimiter)
_TABLES = st.integers(2, 4).flatmap(
    lambda k: st.lists(st.lists(_CELLS, min_size=k, max_size=k), max_size=8)
)
_PROPERTY_HEADER = ["序号", "提交答卷时间", "1、您的性别", "2、您的建议"]


def _expected_rows(rows: list[list[str]]) -> int:
    """File data rows up to the last one with any content (trailing blank rows are dropped)."""
    filled = [i for i, row in enumerate(rows) if any(cell != "" for cell in row)]
    return filled[-1] + 1 if filled else 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_TABLES, fmt=st.sampled_from(["csv", "xlsx", "tsv-gbk"]))
def test_one_frame_row_per_file_row(tmp_path_factory, rows, fmt):
    folder = tmp_path_factory.mktemp("prop")
    header = _PROPERTY_HEADER[: len(rows[0])] if rows else _PROPERTY_HEADER
    if fmt == "xlsx":
        rows = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in row] for row in rows]
        path = _xlsx(folder / "a.xlsx", [header, *rows])
    elif fmt == "csv":
        path = _csv(folder / "a.csv", [header, *rows])
    else:
        rows = [[c.encode("gbk", "replace").decode("gbk") for c in row] for row in rows]
        path = _csv(folder / "a.tsv", [header, *rows], "gbk", "\t")
    n = _expected_rows(rows)
    if n == 0:  # a header and no answers
        with pytest.raises(JianfuError, match=r"has a header .* but no answers"):
            read_survey(path)
        return
    raw = read_survey(path)
    assert len(raw.frame) == n
    assert list(raw.file_rows) == list(range(2, n + 2))
    assert list(raw.frame.columns) == header
    if len(rows) > n and fmt != "xlsx":  # calamine does not see trailing empty cells at all
        assert any(f"dropped {len(rows) - n} trailing empty row(s)" in note for note in raw.notes)


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=400), ext=st.sampled_from([".csv", ".xlsx", ".sav", ".dta"]))
def test_arbitrary_bytes_raise_only_jianfu_errors(tmp_path_factory, data, ext):
    path = tmp_path_factory.mktemp("bytes") / f"a{ext}"
    path.write_bytes(data)
    try:
        raw = read_survey(path)
    except JianfuError as exc:
        assert str(path) in str(exc)
    else:
        assert len(raw.frame) == len(raw.file_rows)
        assert np.all(np.diff(raw.file_rows) == 1)


def _valid_xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    for row in [HEADER, *ROWS, [3, "t", "=1+1", "男", "#N/A"]]:
        wb.active.append(row)
    wb.save(buf)
    return buf.getvalue()


_VALID_XLSX = _valid_xlsx_bytes()


@settings(max_examples=80, deadline=None)
@given(
    cut=st.integers(0, len(_VALID_XLSX)),
    flips=st.lists(
        st.tuples(st.integers(0, len(_VALID_XLSX) - 1), st.integers(1, 255)), max_size=4
    ),
)
def test_damaged_workbooks_raise_only_jianfu_errors(tmp_path_factory, cut, flips):
    data = bytearray(_VALID_XLSX)
    for at, mask in flips:
        data[at] ^= mask
    path = tmp_path_factory.mktemp("damaged") / "a.xlsx"
    path.write_bytes(bytes(data[:cut] if cut < len(data) else data))
    try:
        raw = read_survey(path)
    except JianfuError as exc:
        assert str(path) in str(exc)
    else:
        assert len(raw.frame) == len(raw.file_rows)


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=string.printable + "重庆，、（）", max_size=300))
def test_arbitrary_text_raises_only_jianfu_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("text") / "a.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        raw = read_survey(path)
    except JianfuError as exc:
        assert str(path) in str(exc)
    else:
        assert len(raw.frame) == len(raw.file_rows)


# ---- malformed real-shaped inputs (Step 11): one tiny synthetic file each ---------------------


def _book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _xls(path: Path, rows: list[list]) -> Path:
    """A minimal Excel 97-2003 .xls (BIFF8 in an OLE2 compound file) with one sheet: numbers as
    NUMBER records, text as LABEL records (no xls writer is installed; this is enough for a
    reader)."""

    def rec(typ: int, data: bytes = b"") -> bytes:
        return struct.pack("<HH", typ, len(data)) + data

    def bof(kind: int) -> bytes:
        return rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    name = "Sheet1"
    head = bof(5) + rec(0x0042, struct.pack("<H", 1200))  # globals, code page UTF-16

    def boundsheet(at: int) -> bytes:
        return rec(0x0085, struct.pack("<IBBBB", at, 0, 0, len(name), 1) + name.encode("utf-16-le"))

    offset = len(head + boundsheet(0) + rec(0x000A))
    cells = b""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str):
                data = struct.pack("<HHHHB", i, j, 15, len(v), 1) + v.encode("utf-16-le")
                cells += rec(0x0204, data)
            elif v is not None:
                cells += rec(0x0203, struct.pack("<HHHd", i, j, 15, float(v)))
    width = max(len(r) for r in rows)
    sheet = bof(0x10) + rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    stream = head + boundsheet(offset) + rec(0x000A) + sheet + cells + rec(0x000A)
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\0")  # no mini stream
    n = len(stream) // 512
    end, free, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end] + [3 + k if k < n - 1 else end for k in range(n)]
    fat += [free] * (128 - len(fat))
    header = _OLE2 + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))

    def entry(label: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = label.encode("utf-16-le") + b"\0\0" if label else b""
        fields = struct.pack("<HBBIII", len(raw), kind, 1, nostream, nostream, child)
        return raw.ljust(64, b"\0") + fields + bytes(36) + struct.pack("<IQ", start, size)

    directory = entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, nostream, 2, len(stream))
    directory += entry("", 0, nostream, 0, 0) * 2
    return _write(path, header + struct.pack("<128I", *fat) + directory + stream)


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(JianfuError) as info:
        read_survey(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    return message


def _answers(n: int) -> list[list]:
    return [[i, "2025/10/13 08:30:16", f"{300 + i}秒", "男", i % 7] for i in range(1, n + 1)]


def test_malformed_sheet_choice_ambiguous(tmp_path):
    path = _book(tmp_path / "a.xlsx", {"第1批": [HEADER, *ROWS], "第2批": [HEADER, *ROWS]})
    message = _error(path)
    for fragment in ("cannot tell which sheet", "'第1批': 2 row(s)", "'第2批'", "--sheet NAME"):
        assert fragment in message
    assert len(read_survey(path, sheet="第2批").frame) == 2


def test_malformed_unknown_sheet(tmp_path):
    path = _book(tmp_path / "a.xlsx", {"答卷": [HEADER, *ROWS], "说明": [["备注"]]})
    message = _error(path, sheet="Sheet1")
    assert "no sheet named 'Sheet1'" in message and "'答卷', '说明'" in message
    assert "--sheet NAME" in message


def test_malformed_second_sheet_holds_answers(tmp_path):
    notes = [["调查说明"], ["字段", "含义"], ["序号", "答卷编号"], ["所用时间", "秒"]]
    path = _book(tmp_path / "a.xlsx", {"说明": notes, "答卷数据": [HEADER, *_answers(30)]})
    raw = read_survey(path)
    assert raw.sheet == "答卷数据" and len(raw.frame) == 30 and raw.header_row == 1
    note = next(n for n in raw.notes if n.startswith("sheet:"))
    assert "chosen automatically" in note and "'说明'" in note


def test_malformed_item_map_sheet_skipped_for_answers(tmp_path):
    """An item map (title rows, a header, one row per item id) beside the answers sheet."""
    item_map = [
        ["问卷题目对照表"],
        ["版本", "2025"],
        [],
        ["题号", "题目", "维度"],
        *[[f"Q{i}", f"题目{i}", "负担"] for i in range(1, 41)],
    ]
    answers = [["Q" + str(i) for i in range(1, 9)]] + [
        [(r * i) % 5 + 1 for i in range(1, 9)] for r in range(100)
    ]
    path = _book(tmp_path / "a.xlsx", {"题目": item_map, "data": answers})
    raw = read_survey(path)
    assert raw.sheet == "data" and raw.frame.shape == (100, 8)
    assert list(raw.frame.columns) == answers[0]
    mapped = read_survey(path, sheet="题目")
    assert mapped.header_row == 4 and list(mapped.frame.columns) == ["题号", "题目", "维度"]
    assert len(mapped.frame) == 40 and mapped.frame.iat[0, 0] == "Q1"


def test_malformed_title_rows_over_real_header(tmp_path):
    rows = [["调查名称", "重庆市基层干部减负调查"], ["导出时间", "2025-10-20"], [], HEADER, *ROWS]
    raw = read_survey(_xlsx(tmp_path / "a.xlsx", rows))
    assert raw.header_row == 4 and list(raw.frame.columns) == HEADER
    assert list(raw.file_rows) == [5, 6]


def test_malformed_data_row_not_taken_as_header(tmp_path):
    """A header whose cells are not known names, numeric answers below: the header is row 1
    and the first data row is kept (it used to be taken as the header when it scored more)."""
    header = ["id", "gender", "age", "q1", "q2", "q3"]
    rows = [[i, 1, 30 + i, 3, 4, 5] for i in range(1, 6)]
    for path in (
        _xlsx(tmp_path / "a.xlsx", [header, *rows]),
        _csv(tmp_path / "a.csv", [header, *rows]),
    ):
        raw = read_survey(path)
        assert raw.header_row == 1 and list(raw.frame.columns) == header
        assert len(raw.frame) == 5 and raw.frame.iat[0, 0] in (1, "1")


def test_malformed_mostly_numeric_row_is_never_the_header(tmp_path):
    rows = [["注：1=男 2=女"], [1, 2, 3, "x"], ["序号", "性别", "年龄", "备注"], [1, 2, 35, "无"]]
    raw = read_survey(_xlsx(tmp_path / "a.xlsx", rows))
    assert raw.header_row == 3 and list(raw.frame.columns) == ["序号", "性别", "年龄", "备注"]


def test_malformed_header_partly_numeric(tmp_path):
    header = ["地区", "2023", "2024", "备注"]
    raw = read_survey(_csv(tmp_path / "a.csv", [header, ["渝北", 5, 6, ""], ["江北", 7, 8, "x"]]))
    assert raw.header_row == 1 and list(raw.frame.columns) == header and len(raw.frame) == 2


def test_malformed_two_row_header_with_title(tmp_path):
    top = ["序号", "21、以下说法与您的感受是否相符", None]
    sub = [None, "(领导更看重实际成效)", "(规划被搁置)"]
    rows = [["导出标题"], top, sub, [1, 4, 5], [2, 3, 1]]
    raw = read_survey(_xlsx(tmp_path / "a.xlsx", rows))
    assert raw.header_row == 2 and list(raw.file_rows) == [4, 5]
    assert list(raw.frame.columns) == ["序号", "21、(领导更看重实际成效)", "21、(规划被搁置)"]


def test_malformed_header_only_xlsx(tmp_path):
    message = _error(_xlsx(tmp_path / "a.xlsx", [HEADER]))
    assert "has a header (file row 1) but no answers" in message


def test_malformed_header_only_csv(tmp_path):
    message = _error(_csv(tmp_path / "a.csv", [HEADER, [""] * 5, [""] * 5], "gbk"))
    assert "has a header (file row 1) but no answers" in message


def test_malformed_all_blank_answer_rows_sav(tmp_path):
    path = tmp_path / "a.sav"
    df = pd.DataFrame({"Q1": [np.nan, np.nan], "Q2": ["", ""]})
    pyreadstat.write_sav(df, path)
    assert "but no answers" in _error(path)


def test_malformed_xls_read(tmp_path):
    rows = [["导出标题"], HEADER, [1, "2025/10/13 08:30:16", "332秒", "男", 3], [2, "t", "5秒"]]
    raw = read_survey(_xls(tmp_path / "302594156_按文本_测试_2_2.xls", [*rows, ["13800138000"]]))
    assert raw.header_row == 2 and list(raw.frame.columns) == HEADER
    assert list(raw.file_rows) == [3, 4, 5] and raw.kind == "wjx_text"
    assert raw.frame.iloc[0].tolist() == [1, "2025/10/13 08:30:16", "332秒", "男", 3]
    assert raw.frame.iat[1, 3] is None and raw.frame.iat[2, 0] == "13800138000"


def test_malformed_xls_truncated(tmp_path):
    good = _xls(tmp_path / "a.xls", [HEADER, *ROWS]).read_bytes()
    path = _write(tmp_path / "b.xls", good[:1500])
    assert "cannot read the Excel 97-2003 .xls workbook" in _error(path)


def test_malformed_xls_renamed_xlsx(tmp_path):
    raw = read_survey(
        _write(tmp_path / "a.xlsx", _xls(tmp_path / "a.xls", [HEADER, *ROWS]).read_bytes())
    )
    assert raw.frame.shape == (2, 5)
    assert any("an old Excel 97-2003 .xls workbook named .xlsx" in n for n in raw.notes)


def test_malformed_xls_damaged(tmp_path):
    path = _write(tmp_path / "a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    message = _error(path)
    assert "cannot read the Excel 97-2003 .xls workbook" in message and "damaged" in message


def test_malformed_xls_encrypted(tmp_path):
    blob = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "EncryptedPackage".encode("utf-16-le")
    assert "password-protected" in _error(_write(tmp_path / "a.xls", blob))


def test_malformed_xlsx_named_xls_is_read(tmp_path):
    xlsx = _xlsx(tmp_path / "a.xlsx", [HEADER, *ROWS])
    raw = read_survey(_write(tmp_path / "b.xls", xlsx.read_bytes()))
    assert raw.frame.shape == (2, 5) and raw.frame.iat[0, 0] == 1


def test_malformed_excel_error_values_via_openpyxl(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [HEADER, [1, "#N/A", "#DIV/0!", "男", 3], ROWS[1]])
    raw = read_survey(path)
    assert raw.frame.iloc[0, 1:3].tolist() == ["#N/A", "#DIV/0!"]
    assert any(
        "read with openpyxl instead of calamine" in n and "error values" in n for n in raw.notes
    )
    plain = read_survey(_xlsx(tmp_path / "b.xlsx", [HEADER, *ROWS]))
    assert not any("openpyxl" in n for n in plain.notes)


def test_malformed_huge_integers_via_openpyxl(tmp_path):
    """An integer written digit for digit beyond 2^53 (some writers do; openpyxl reads it
    exactly, calamine as a rounded float): the sheet is read with openpyxl."""
    import zipfile

    path = _xlsx(tmp_path / "a.xlsx", [HEADER, [1, "t", "5秒", "男", 123456789]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<v>123456789</v>", b"<v>1152921504606846977</v>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    raw = read_survey(path)
    assert raw.frame.iat[0, 4] == 1152921504606846977
    assert any("beyond 2^53" in n for n in raw.notes)


def test_malformed_calamine_keeps_cell_semantics(tmp_path):
    """Blanks None, whole numbers int, other numbers float, text as written, dates datetime."""
    import datetime

    row = [1, "007", "13800138000", 2.5, datetime.date(2025, 10, 13), None, True]
    raw = read_survey(
        _xlsx(tmp_path / "a.xlsx", [["序号", "a", "手机号", "b", "c", "d", "e"], row])
    )
    cells = raw.frame.iloc[0].tolist()
    assert cells[:4] == [1, "007", "13800138000", 2.5] and type(cells[0]) is int
    assert cells[4] == datetime.datetime(2025, 10, 13) and cells[5] is None and cells[6] is True


def test_malformed_sav_truncated_or_flipped(tmp_path):
    good = _sav(tmp_path)
    data = good.read_bytes()
    truncated = _write(tmp_path / "t.sav", data[: len(data) // 2])
    assert "SPSS" in _error(truncated)
    rng = np.random.default_rng(7)
    for k in range(3):
        flipped = bytearray(data)
        for at in rng.integers(4, len(data), 8):
            flipped[at] ^= 0xFF
        path = _write(tmp_path / f"f{k}.sav", bytes(flipped))
        try:
            raw = read_survey(path)
        except JianfuError as exc:
            assert str(path) in str(exc)
        else:
            assert len(raw.frame) == len(raw.file_rows)


def test_malformed_sav_reader_crash_is_reported(tmp_path, monkeypatch):
    from jianfu.ingest.spss_worker import ABORT_ENV

    path = _sav(tmp_path)
    monkeypatch.setenv(ABORT_ENV, "1")
    message = _error(path)
    assert "the SPSS reader crashed (signal 6, SIGABRT)" in message
    assert "probably damaged" in message and "re-export it" in message
    monkeypatch.delenv(ABORT_ENV)
    assert read_survey(path).value_labels == {"1、您的性别": {1.0: "男", 2.0: "女"}}


def test_malformed_xls_damaged_bytes_raise_only_jianfu_errors(tmp_path):
    """Truncated or byte-flipped .xls files (calamine panics on some): a JianfuError or a read."""
    good = _xls(tmp_path / "good.xls", [HEADER, *ROWS]).read_bytes()
    rng = np.random.default_rng(11)
    variants = [good[:cut] for cut in rng.integers(8, len(good), 15)]
    for _ in range(25):
        flipped = bytearray(good)
        for at in rng.integers(8, 2600, 3):  # header, FAT, directory and the records
            flipped[at] ^= int(rng.integers(1, 256))
        variants.append(bytes(flipped))
    for k, data in enumerate(variants):
        path = _write(tmp_path / f"v{k}.xls", data)
        try:
            raw = read_survey(path)
        except JianfuError as exc:
            assert str(path) in str(exc)
        else:
            assert len(raw.frame) == len(raw.file_rows)


def test_malformed_sav_that_segfaults_pyreadstat(tmp_path):
    """One byte in the first variable record (its type code, offset 180-183) turns a numeric
    variable into a string of absurd width: pyreadstat 1.3 dies of SIGSEGV reading it. The
    child process dies, the parent reports it."""
    data = bytearray(_sav(tmp_path).read_bytes())
    assert data[176:180] == struct.pack("<i", 2) and data[182] == 0  # a variable record
    data[182] = 0x81
    path = _write(tmp_path / "crash.sav", bytes(data))
    message = _error(path)
    if "crashed" in message:  # as on Linux x86-64 with pyreadstat 1.3
        assert "the SPSS reader crashed (signal 11, SIGSEGV)" in message
        assert "probably damaged" in message
    else:  # a pyreadstat that checks the record: a plain read error
        assert "cannot read the SPSS .sav file" in message
