"""`map_columns` maps real-looking exports to the codebook and says how and how surely.

The simulated 问卷星 exports (small design) must map with no item missing; variants derived from
them on the fly (reordered, renamed, shifted, renumbered, written as 腾讯问卷 / SPSS / Stata files)
must map with the expected `how`, `extra` and `missing`, or fail with the expected message.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import Workbook

from jianfu.core.errors import JianfuError
from jianfu.ingest.mapping import map_columns, normalise
from jianfu.ingest.read import read_survey
from jianfu.ingest.types import RawSurvey
from test_simulate_survey import default_params, run_stage, small


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, RawSurvey]:
    """The three simulated exports (small design), read."""
    out = tmp_path_factory.mktemp("sim")
    run_stage(out, small(default_params()))
    files = sorted((out / "survey").iterdir())
    pick = {
        "text_xlsx": lambda f: "按文本" in f.name and f.suffix == ".xlsx",
        "code_xlsx": lambda f: "按序号" in f.name,
        "text_csv": lambda f: f.suffix == ".csv",
    }
    return {k: read_survey(next(f for f in files if test(f))) for k, test in pick.items()}


@pytest.mark.parametrize("name", ["text_xlsx", "code_xlsx", "text_csv"])
def test_simulated_exports_map_completely(exports, codebook, name):
    raw = exports[name]
    cmap = map_columns(raw, codebook)
    assert cmap.missing == [] and cmap.extra == []
    assert cmap.positional is (name == "code_xlsx")
    assert set(cmap.meta) == {
        "seq", "submitted_at", "duration", "source", "source_detail", "ip", "name", "phone"
    }  # fmt: skip
    assert set(cmap.how.values()) <= {"question number + header text"} | {
        f"meta: {f}" for f in cmap.meta
    }
    if name == "code_xlsx":
        assert sorted(cmap.multi_split["channels_used"]) == [1, 2, 3, 4, 5, 6]
        assert cmap.multi_split["channels_used"][6] == "20、(其他（请注明）)"
        assert "channels_used" not in cmap.items
    else:
        assert cmap.items["channels_used"].startswith("20、上个月")
    assert cmap.items["ATT1"] == "22、(此题请选择“同意”)"
    assert cmap.report()["mapped_items"] == len(codebook.items)


# ---- variants of the 按文本 export -------------------------------------------------------------


def _variant(raw: RawSurvey, columns: list[str], frame: pd.DataFrame | None = None) -> RawSurvey:
    frame = raw.frame.copy() if frame is None else frame
    frame.columns = columns
    return dataclasses.replace(raw, frame=frame)


def _renamed(raw: RawSurvey, rename: Callable[[str], str]) -> RawSurvey:
    return _variant(raw, [rename(c) for c in raw.frame.columns])


def _dropped(raw: RawSurvey, prefix: str) -> RawSurvey:
    frame = raw.frame.loc[:, [not c.startswith(prefix) for c in raw.frame.columns]]
    return dataclasses.replace(raw, frame=frame)


def _added(raw: RawSurvey, *names: str) -> RawSurvey:
    frame = raw.frame.assign(**dict.fromkeys(names, ""))
    return dataclasses.replace(raw, frame=frame)


def _reordered(raw: RawSurvey) -> RawSurvey:
    order = np.random.default_rng(5).permutation(raw.frame.shape[1])
    return dataclasses.replace(raw, frame=raw.frame.iloc[:, order])


def _shifted(raw: RawSurvey) -> RawSurvey:
    """A question inserted as 5: every later question number is one higher."""

    def bump(c: str) -> str:
        m = re.match(r"^(\d+)、(.*)$", c)
        return f"{int(m.group(1)) + 1}、{m.group(2)}" if m and int(m.group(1)) >= 5 else c

    frame = raw.frame.copy()
    frame.columns = [bump(c) for c in frame.columns]
    frame.insert(10, "5、您的民族", "汉族")
    return dataclasses.replace(raw, frame=frame)


def _matrix_rows_renamed(raw: RawSurvey) -> RawSurvey:
    rows = iter(range(1, 100))
    return _renamed(raw, lambda c: f"21、(第{next(rows)}小题)" if c.startswith("21、(") else c)


def _spaced_halfwidth(c: str) -> str:
    if not c.startswith("21、("):
        return c
    inner = c[4:-1].replace("，", ",").replace("“", '"').replace("”", '"')
    return f"21. ( {inner} )"


def _old_style(c: str) -> str:
    return re.sub(r"^(\d+)、", r"第\1题 ", c)


def _spss_names(raw: RawSurvey) -> RawSurvey:
    counters: dict[str, int] = {}

    def name(c: str) -> str:
        m = re.match(r"^(\d+)、(\(?)", c)
        if not m:
            return c
        if not m.group(2):
            return f"Q{m.group(1)}"
        counters[m.group(1)] = counters.get(m.group(1), 0) + 1
        return f"Q{m.group(1)}_{counters[m.group(1)]}"

    return _renamed(raw, name)


def _wording_changed(c: str) -> str:
    return {"1、您的性别": "1、请问您的性别是", "3、您的最高学历": "3、您的最高学历是什么"}.get(
        c, c
    )


# Each case: id -> (make variant from the 按文本 export, map_columns kwargs, expectation) where an
# expectation is ("error", fragments) or ("map", check(ColumnMap) -> bool).
CASES = {
    "columns-reordered": (
        _reordered,
        {},
        ("map", lambda m: m.missing == [] and set(m.how.values()) >= {"meta: seq"}),
    ),
    "extra-columns": (
        lambda r: _added(r, "备注", "总分", "1、您的性别 [2]"),
        {},
        ("map", lambda m: m.extra == ["备注", "总分", "1、您的性别 [2]"] and m.missing == []),
    ),
    "missing-optional-item": (
        lambda r: _dropped(r, "29、"),
        {},
        ("map", lambda m: m.missing == ["suggestion"]),
    ),
    "missing-required-item": (
        lambda r: _dropped(r, "1、"),
        {},
        ("error", ("1 required item(s) have no column", "gender: question 1、您的性别")),
    ),
    "missing-matrix-row": (
        lambda r: _dropped(r, "25、(此题"),
        {},
        ("error", ("ATT2: question 25、过去一个月里", "(此题请选择“很少”)")),
    ),
    "required-by-argument": (
        lambda r: _dropped(r, "29、"),
        {"required": {"suggestion"}},
        ("error", ("suggestion: question 29、对进一步为基层减负",)),
    ),
    "unknown-required-id": (
        lambda r: r,
        {"required": {"no_such_item"}},
        ("error", ("required item(s) ['no_such_item'] are not in codebook",)),
    ),
    "nothing-mapped": (
        lambda r: _variant(r, [f"col{i}" for i in range(r.frame.shape[1])]),
        {},
        ("error", ("no column maps to an item", "is this the right file")),
    ),
    "only-meta-mapped": (
        lambda r: r.frame.iloc[:, :6].pipe(lambda f: dataclasses.replace(r, frame=f)),
        {},
        ("error", ("no column maps to an item", "'序号'")),
    ),
    "matrix-row-texts-differ": (
        _matrix_rows_renamed,
        {},
        (
            "map",
            lambda m: (
                m.items["PV1"] == "21、(第1小题)"
                and m.items["PV4"] == "21、(第4小题)"
                and "row order" in m.how["21、(第2小题)"]
            ),
        ),
    ),
    "matrix-half-width-and-spaces": (
        lambda r: _renamed(r, _spaced_halfwidth),
        {},
        (
            "map",
            lambda m: (
                m.how[m.items["PV1"]] == "question number + header text"
                and m.items["PV1"].startswith("21. ( 领导")
            ),
        ),
    ),
    "shifted-question-numbers": (
        _shifted,
        {},
        (
            "map",
            lambda m: (
                m.items["post_type"] == "6、您目前的岗位类型"
                and m.how["6、您目前的岗位类型"]
                == "header text only; question 6 in the file, 5 in the codebook"
                and m.extra == ["5、您的民族"]
                and m.missing == []
            ),
        ),
    ),
    "no-question-numbers": (
        lambda r: _renamed(r, lambda c: re.sub(r"^\d+、(?!\()", "", c)),
        {},
        (
            "map",
            lambda m: (
                m.items["gender"] == "您的性别"
                and m.how["您的性别"] == "header text only; no question number"
                and m.missing == []
            ),
        ),
    ),
    "old-style-di-n-ti": (
        lambda r: _renamed(r, _old_style),
        {},
        (
            "map",
            lambda m: (
                m.items["PV1"].startswith("第21题 (")
                and set(m.how.values())
                <= {"question number + header text"} | {f"meta: {f}" for f in m.meta}
                and m.missing == []
            ),
        ),
    ),
    "spss-style-names": (
        _spss_names,
        {},
        (
            "map",
            lambda m: (
                m.items["gender"] == "Q1"
                and m.items["PV2"] == "Q21_2"
                and m.how["Q21_2"] == "question number + position 2 only"
                and m.how["Q1"] == "question number only (header text differs)"
                and m.missing == []
            ),
        ),
    ),
    "wording-changed": (
        lambda r: _renamed(r, _wording_changed),
        {},
        (
            "map",
            lambda m: (
                m.items["gender"] == "1、请问您的性别是"
                and m.how["1、请问您的性别是"].startswith(
                    "question number + header text (similarity"
                )
                and m.items["education"] == "3、您的最高学历是什么"
            ),
        ),
    ),
    "personal-data-as-a-question": (
        lambda r: _renamed(
            r, lambda c: {"姓名": "30、您的姓名：", "手机号": "31、手机号码"}.get(c, c)
        ),
        {},
        (
            "map",
            lambda m: (
                m.meta["name"] == "30、您的姓名："
                and m.how["30、您的姓名："] == "meta: name (asked as question 30)"
                and m.meta["phone"] == "31、手机号码"
            ),
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_mapping_variants(exports, codebook, case):
    make, kwargs, (outcome, expected) = CASES[case]
    raw = make(exports["text_xlsx"])
    if outcome == "error":
        with pytest.raises(JianfuError) as info:
            map_columns(raw, codebook, **kwargs)
        assert str(raw.path) in str(info.value)
        for fragment in expected:
            assert fragment in str(info.value)
        return
    cmap = map_columns(raw, codebook, **kwargs)
    assert expected(cmap), (cmap.how, cmap.extra, cmap.missing)
    assert not set(cmap.extra) & set(cmap.how)
    assert sorted(cmap.extra + list(cmap.how)) == sorted(map(str, raw.frame.columns))


def test_split_multi_choice_option_renamed_and_dropped(exports, codebook):
    raw = exports["code_xlsx"]
    renamed = _renamed(raw, lambda c: "20、(渝快政App)" if c == "20、(渝快政)" else c)
    cmap = map_columns(_dropped(renamed, "20、(电子邮件"), codebook)
    assert sorted(cmap.multi_split["channels_used"]) == [1, 2, 3, 4, 6]
    assert cmap.how["20、(渝快政App)"].startswith("question number + header text (similarity")
    assert cmap.missing == []


# ---- files from other tools --------------------------------------------------------------------


def _answers(raw: RawSurvey, n: int = 5) -> tuple[list[str], pd.DataFrame]:
    """Question columns of the 按序号 export: headers and the first `n` rows (codes)."""
    frame = raw.frame.dropna(how="all").head(n)
    questions = [c for c in frame.columns if re.match(r"^\d+、", c)]
    return questions, frame[questions]


def _tencent_file(folder: Path, raw: RawSurvey) -> Path:
    questions, answers = _answers(raw)
    meta = ["编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区",
            "地理位置省", "地理位置市", "用户类型", "用户标识", "昵称", "自定义字段"]  # fmt: skip
    headers = meta + [re.sub(r"^(\d+)、", r"\1.", q) for q in questions]
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for i, row in enumerate(answers.itertuples(index=False), start=1):
        when = f"2025-10-13 08:{i:02d}:00"
        ws.append([i, when, when, 300, "中国", "重庆市", "重庆市", "微信", "oX", "小王", "", *row])
    wb.save(folder / "腾讯问卷_export.xlsx")
    return folder / "腾讯问卷_export.xlsx"


def _stat_file(folder: Path, raw: RawSurvey, ext: str) -> Path:
    """SPSS or Stata: variables q1, q21_2 ...; labels the question / row texts (no numbers)."""
    questions, answers = _answers(raw)
    names, labels, counters = [], {}, {}
    for q in questions:
        num, text = q.split("、", 1)
        counters[num] = counters.get(num, 0) + 1
        name = f"q{num}" if not text.startswith("(") else f"q{num}_{counters[num]}"
        names.append(name)
        labels[name] = text.strip("()") if text.startswith("(") else text
    data = answers.set_axis(names, axis=1)
    data = data.apply(lambda s: pd.to_numeric(s, errors="coerce") if s.name != "q10" else s)
    data["q10"] = data["q10"].astype(str)
    value_labels = {"q1": {1: "男", 2: "女"}}
    path = folder / f"survey{ext}"
    write = pyreadstat.write_sav if ext == ".sav" else pyreadstat.write_dta
    write(data, path, column_labels=labels, variable_value_labels=value_labels)
    return path


@pytest.mark.parametrize("fmt", ["tencent", "spss", "stata"])
def test_other_tools_map_completely(exports, codebook, tmp_path, fmt):
    raw = exports["code_xlsx"]
    if fmt == "tencent":
        path = _tencent_file(tmp_path, raw)
    else:
        path = _stat_file(tmp_path, raw, ".sav" if fmt == "spss" else ".dta")
    read = read_survey(path)
    assert read.kind == fmt
    cmap = map_columns(read, codebook)
    assert cmap.missing == []
    assert cmap.multi_split["channels_used"][1] in read.frame.columns
    if fmt == "tencent":
        assert cmap.meta == {
            "seq": "编号", "started_at": "开始答题时间", "submitted_at": "结束答题时间",
            "duration": "答题时长",
        }  # fmt: skip
        assert "昵称" in cmap.extra and "地理位置省" in cmap.extra
        assert cmap.how["1.您的性别"] == "question number + header text"
    else:
        assert read.value_labels["您的性别"] == {1: "男", 2: "女"}
        assert cmap.items["gender"] == "您的性别"
        assert (
            cmap.how["领导更看重工作的实际成效，而不是材料和痕迹"]
            == "question number + header text"
        )


def test_normalise_brackets_spaces_quotes():
    assert normalise(" 21、（领导 更看重）：") == normalise("21、(领导更看重)")
    assert normalise("此题请选择“同意”") == normalise('此题请选择"同意"')
    assert normalise("ＱＱ１２") == "qq12"
