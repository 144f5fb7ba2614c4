"""Normalisation of export values and the cleaning rules, on tiny frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from jianfu.core.params import TrackedParams
from jianfu.ingest.clean import RULES, apply_rules, detect, longstring, precision_recall
from jianfu.ingest.normalize import nfkc, normalise, parse_duration, parse_number
from jianfu.ingest.types import ColumnMap, RawSurvey

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["ingest"]


def _raw(frame: pd.DataFrame, kind: str = "wjx_text") -> RawSurvey:
    return RawSurvey(
        frame=frame, file_rows=np.arange(2, len(frame) + 2), path=Path("x.xlsx"), kind=kind
    )


def test_numbers_and_durations_as_people_type_them():
    text = pd.Series(["20", "２０", "约20次", "20.5", "-1", "二十", "", "20 30"])
    got = parse_number(text.map(nfkc))
    assert (
        got.iloc[0] == 20
        and got.iloc[1] == 20
        and got.iloc[2] == 20
        and got.iloc[3] == 20.5
        and got.iloc[4] == -1
    )
    assert got.iloc[5:].isna().all()
    seconds = parse_duration(pd.Series(["125秒", "2分5秒", "1小时2分5秒", "300", "abc", "3分钟"]))
    assert seconds.tolist()[:4] == [125, 125, 3725, 300]
    assert np.isnan(seconds.iloc[4]) and seconds.iloc[5] == 180


def test_normalise_text_export(codebook):
    matrix = [i for i in codebook.items if i.type == "matrix" and i.qnum == 21]
    q8 = codebook.item("village_stationed")
    num = codebook.item("meetings_month")
    multi = codebook.item("channels_used")
    frame = pd.DataFrame(
        {
            "所用时间": ["125秒", "2分5秒", None],
            "m1": ["同意", "比较符合", " 非常 同意 "],
            "m2": ["(跳过)", "(空)", "瞎选"],
            "q8": ["是", "(跳过)", "否"],
            "num": ["２０", "9999", "约12次"],
            "multi": ["渝快政┋微信或QQ工作群", "其他〖钉钉〗", "(空)"],
        }
    )
    cmap = ColumnMap(
        meta={"duration": "所用时间"},
        items={
            matrix[0].id: "m1",
            matrix[1].id: "m2",
            q8.id: "q8",
            num.id: "num",
            multi.id: "multi",
        },
    )
    values, issues = normalise(_raw(frame), cmap, codebook)
    assert values["duration_s"].tolist()[:2] == [125, 125]
    assert values[matrix[0].id].tolist() == [4, 4, 5]
    assert values[f"{matrix[1].id}__missing"].tolist() == ["skipped", "empty", "invalid_choice"]
    assert values[q8.id].tolist()[0] == 1 and values[q8.id].tolist()[2] == 0
    assert values[num.id].iloc[0] == 20 and pd.isna(values[num.id].iloc[1])
    assert values[f"{num.id}__missing"].iloc[1] == "out_of_range"
    assert values[num.id].iloc[2] == 12
    assert values[f"{multi.id}_1"].tolist()[:2] == [1, 0]
    assert values[f"{multi.id}_4"].iloc[0] == 1 and values[f"{multi.id}_6"].iloc[1] == 1
    assert values[f"{multi.id}_other"].iloc[1] == "钉钉"
    assert pd.isna(values[f"{multi.id}_1"].iloc[2])
    assert set(issues["issue"]) == {"invalid_choice", "out_of_range"}
    assert set(issues["file_row"]) == {3, 4}


def test_normalise_positions_of_code_export(codebook):
    q8 = codebook.item("village_stationed")  # yes/no: position 1 = 是 (code 1), 2 = 否 (code 0)
    frame = pd.DataFrame({"q8": [1, 2, -3, -2]})
    values, _ = normalise(
        _raw(frame, "wjx_code"), ColumnMap(items={q8.id: "q8"}, positional=True), codebook
    )
    assert values[q8.id].tolist()[:2] == [1, 0]
    assert values[f"{q8.id}__missing"].tolist()[2:] == ["skipped", "empty"]


def test_longstring():
    answers = np.array([[1, 1, 1, 2, 2], [3, np.nan, 3, 3, 3], [1, 2, 3, 4, 5]], dtype=float)
    assert longstring(answers).tolist() == [3, 3, 1]


def _respondents(codebook, n: int = 12, seed: int = 1) -> pd.DataFrame:
    """Plausible clean answers: varied matrix answers, attention checks right, times normal."""
    rng = np.random.default_rng(seed)
    data = {
        "file_row": np.arange(2, n + 2),
        "seq": np.arange(1, n + 1, dtype=float),
        "duration_s": rng.normal(700, 60, n),
        "submitted_at": pd.date_range("2025-10-13 09:00", periods=n, freq="min"),
        "ip": [f"10.0.0.{i}(重庆-重庆)" for i in range(n)],
    }
    for item in codebook.items:
        if item.type == "matrix":
            codes = codebook.scales[item.scale].codes
            data[item.id] = (
                item.attention_expected if item.is_attention_check else rng.choice(codes, n)
            )
            data[f"{item.id}__missing"] = pd.Series([pd.NA] * n, dtype="str")
        elif item.type == "single":
            data[item.id] = rng.choice(codebook.scales[item.scale].codes, n)
    frame = pd.DataFrame(data)
    frame["age_band"] = 2
    return frame


def test_each_rule_fires_on_its_case_only(codebook):
    p = TrackedParams(PARAMS)["clean"]
    v = _respondents(codebook)
    matrix = [i.id for i in codebook.items if i.type == "matrix" and not i.is_attention_check]
    v.loc[1, "duration_s"] = 100  # speeder
    v.loc[2, "ATT1"] = 1  # attention check failed
    v.loc[3, matrix] = 3  # straight-liner
    v.loc[4, ["age_band", "tenure_band"]] = [1, 4]  # logic conflict
    v.loc[5, "meetings_month__missing"] = "out_of_range"
    v = pd.concat(
        [v, v.iloc[[6]].assign(seq=99.0, file_row=99, submitted_at=pd.Timestamp("2025-10-14"))],
        ignore_index=True,
    )  # row 12 duplicates row 6
    v.loc[7, "ip"] = v.loc[8, "ip"]
    blank = pd.Series(False, index=v.index)
    blank.iloc[9] = True
    flags = detect(v, codebook, p, blank=blank)
    expected = {
        "speeder": [1],
        "attention_fail": [2],
        "straightliner": [3],
        "logic_conflict": [4],
        "out_of_range": [5],
        "duplicate": [12],
        "shared_ip": [7, 8],
        "blank_row": [9],
    }
    for rule, rows in expected.items():
        assert flags.index[flags[rule]].tolist() == rows, rule
    result = apply_rules(v, flags, p)
    assert len(result.clean) + len(result.quarantine) == len(v)
    assert sorted(result.quarantine["file_row"]) == sorted(v.loc[[1, 2, 3, 4, 9, 12], "file_row"])
    assert result.quarantine.set_index("file_row").loc[99, "reasons"] == "duplicate"
    assert result.clean["flag_out_of_range"].sum() == 1
    assert result.flow["rows_after"].iloc[-1] == len(result.clean)


def test_unknown_action_is_a_clear_error(codebook):
    params = {**PARAMS["clean"], "actions": {**PARAMS["clean"]["actions"], "speeder": "drop"}}
    v = _respondents(codebook)
    flags = pd.DataFrame(False, index=v.index, columns=list(RULES))
    with pytest.raises(ValueError, match=r"ingest\.clean\.actions\.speeder: 'drop'"):
        apply_rules(v, flags, TrackedParams(params))


def test_precision_recall():
    flags = pd.DataFrame({"speeder": [True, True, False, False]})
    scores = precision_recall(flags, {"speeder": np.array([True, False, True, False])})
    assert scores["speeder"]["precision"] == 0.5 and scores["speeder"]["recall"] == 0.5


# --------------------------------------------------------------------------------------------
# another questionnaire: no township, no cadre items, no logic rules, a stand-alone check

OTHER_CODEBOOK = """\
codebook:
  id: library_survey
  version: "0.1"
  title: {zh: 图书馆读者满意度调查, en: Library reader survey}
  intro: {zh: 说明, en: Intro}
  closing: {zh: 谢谢, en: Thanks}
blocks:
  - {id: A, zh: 基本情况, en: Background}
  - {id: B, zh: 服务评价, en: Services}
constructs:
  - {id: SAT, zh: 环境满意度, en: Satisfaction with the library, pillar: null, role: outcome}
  - {id: STF, zh: 馆员服务, en: Staff service, pillar: null, role: measure}
scales:
  - id: fit5
    kind: ordinal
    zh: 符合程度
    en: Agreement
    values:
      - {code: 1, zh: 非常不符合, en: Not at all true}
      - {code: 2, zh: 不符合, en: Not true}
      - {code: 3, zh: 一般, en: Neutral}
      - {code: 4, zh: 符合, en: Quite true}
      - {code: 5, zh: 非常符合, en: Very true}
  - id: gender
    kind: nominal
    zh: 性别
    en: Gender
    values:
      - {code: 1, zh: 男, en: Male}
      - {code: 2, zh: 女, en: Female}
questions:
  - {qnum: 1, block: A, type: single, zh: 您的性别, en: Your gender}
  - {qnum: 2, block: A, type: number, zh: 每月到馆次数, en: Visits per month}
  - {qnum: 3, block: B, type: matrix, scale: fit5, zh: 请评价图书馆环境, en: The library}
  - {qnum: 4, block: B, type: single, zh: 此题请选择“非常不符合”, en: Choose Not at all true}
  - {qnum: 5, block: B, type: matrix, scale: fit5, zh: 请评价馆员服务, en: The staff}
  - {qnum: 6, block: B, type: text, zh: 意见建议, en: Suggestions}
items:
  - {id: gender, qnum: 1, scale: gender, zh: 性别, en: Gender}
  - {id: visits, qnum: 2, valid_range: [0, 60], type_unit: {zh: 次, en: visits},
     zh: 到馆, en: Visits}
  - {id: SAT1, qnum: 3, row: 1, construct: SAT, zh: 环境整洁, en: Clean}
  - {id: SAT2, qnum: 3, row: 2, construct: SAT, zh: 座位充足, en: Enough seats}
  - {id: SAT3, qnum: 3, row: 3, construct: SAT, zh: 开放时间合适, en: Good opening hours}
  - id: CHECK
    qnum: 4
    scale: fit5
    attention_check: {expected: 1}
    required: true
    zh: 此题请选择“非常不符合”
    en: Choose Not at all true
  - {id: STF1, qnum: 5, row: 1, construct: STF, zh: 馆员态度好, en: Friendly staff}
  - {id: STF2, qnum: 5, row: 2, construct: STF, zh: 馆员解答专业, en: Competent staff}
  - {id: STF3, qnum: 5, row: 3, construct: STF, reverse: true,
     zh: 常找不到馆员, en: Staff hard to find}
  - {id: suggestion, qnum: 6, zh: 意见建议, en: Suggestions}
"""

#: A 问卷星 按序号 export of OTHER_CODEBOOK: label -> (所用时间, Q1, Q2, Q3 rows, Q4, Q5 rows)
OTHER_ROWS = {
    "ok_a": ("600秒", 1, 4, [4, 5, 4], 1, [4, 4, 2]),
    "ok_b": ("9分10秒", 2, 0, [3, 4, 2], 1, [5, 4, 1]),
    "check_wrong": ("700秒", 1, 8, [4, 4, 5], 4, [4, 5, 2]),
    "check_missing": ("650秒", 2, 3, [2, 3, 3], -2, [3, 4, 2]),
    "speeder": ("40秒", 2, 2, [5, 4, 3], 1, [4, 3, 2]),
    "out_of_range": ("620秒", 1, 999, [4, 3, 4], 1, [3, 4, 2]),
    "ok_c": ("580秒", 2, 12, [2, 3, 4], 1, [4, 3, 3]),
}


def _other_export(path: Path) -> Path:
    headers = [
        "序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",
        "1、您的性别", "2、每月到馆次数",
        "3、(环境整洁)", "3、(座位充足)", "3、(开放时间合适)",
        "4、此题请选择“非常不符合”",
        "5、(馆员态度好)", "5、(馆员解答专业)", "5、(常找不到馆员)",
        "6、意见建议",
    ]  # fmt: skip
    rows = []
    for k, (seconds, q1, q2, q3, q4, q5) in enumerate(OTHER_ROWS.values(), start=1):
        rows.append(
            [k, f"2025/10/13 09:{k:02d}:00", seconds, "手机提交", "直接访问",
             f"10.1.0.{k}(四川-成都)", q1, q2, *q3, q4, *q5,
             "(空)" if k % 2 else "希望延长开放时间"]
        )  # fmt: skip
    pd.DataFrame(rows, columns=headers).to_excel(path, index=False)
    return path


@pytest.fixture
def other_codebook(tmp_path):
    from jianfu.codebook import load_codebook

    path = tmp_path / "codebook" / "library_survey.yaml"
    path.parent.mkdir()
    path.write_text(OTHER_CODEBOOK, encoding="utf-8")
    return path, load_codebook(path)


def test_standalone_attention_check_in_clean(other_codebook):
    """A stand-alone check: wrong and missing answers fail, it is no matrix answer."""
    _, cb = other_codebook
    assert [i.id for i in cb.attention_checks] == ["CHECK"] and cb.logic_conflicts == ()
    for kind, answers in (
        ("wjx_text", ["非常不符合", "符合", "(空)", " 非常不符合 "]),
        ("wjx_code", [1, 4, -2, 1]),
    ):
        frame = pd.DataFrame({"所用时间": ["600秒"] * 4, "q4": answers})
        cmap = ColumnMap(
            meta={"duration": "所用时间"}, items={"CHECK": "q4"}, positional=kind == "wjx_code"
        )
        values, _ = normalise(_raw(frame, kind), cmap, cb)
        assert values["CHECK"].tolist()[:2] == [1, 4] and pd.isna(values["CHECK"].iloc[2])
        flags = detect(
            values, cb, TrackedParams(PARAMS)["clean"], blank=pd.Series(False, index=values.index)
        )
        assert flags["attention_fail"].tolist() == [False, True, True, False], kind
        assert not flags["straightliner"].any() and not flags["logic_conflict"].any()


def test_clean_survey_with_another_questionnaire(other_codebook, tmp_path, monkeypatch):
    """`jianfu clean-survey` runs to the end on a questionnaire that is not the cadre survey."""
    import json

    from jianfu.cli import main

    path, _ = other_codebook
    export = _other_export(tmp_path / "12345678_3_图书馆读者调查_按序号_1_1.xlsx")
    monkeypatch.setenv(PARAMS["deid"]["key_env"], "a test key of sufficient length")
    monkeypatch.chdir(tmp_path)  # no key file, no params.yaml here: everything is passed
    out = tmp_path / "out"
    code = main(
        [
            "clean-survey", str(export), "--codebook", str(path), "--out", str(out),
            "--params", str(ROOT / "params.yaml"),
            "--districts", str(ROOT / "data/reference/cq_districts.csv"),
            "--townships", str(ROOT / "data/reference/cq_townships_2023.csv"),
        ]
    )  # fmt: skip
    assert code == 0
    report = json.loads((out / "survey_ingest_report.json").read_text(encoding="utf-8"))
    rows = report["rows"]
    assert rows["in"] == len(OTHER_ROWS) == rows["clean"] + rows["quarantined"]
    assert report["reasons"]["attention_fail"] == 2 and report["reasons"]["logic_conflict"] == 0
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    labels = list(OTHER_ROWS)
    seqs = quarantine["seq"].map(lambda s: labels[int(s) - 1])
    removed = dict(zip(seqs, quarantine["reasons"], strict=True))
    assert removed == {
        "check_wrong": "attention_fail",
        "check_missing": "attention_fail",
        "speeder": "speeder",
    }
    clean = pd.read_parquet(out / "clean.parquet")
    assert clean["flag_out_of_range"].sum() == 1 and clean["CHECK"].eq(1).all()
    assert clean["STF3"].tolist() == [2, 1, 2, 3]  # raw answers (reverse keying is measure's)
