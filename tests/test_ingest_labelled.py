"""Labelled SPSS / Stata files: labels round-trip in Chinese, format limits, identical bytes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyreadstat
import pytest
import yaml

from jianfu.codebook import parse_codebook
from jianfu.core.errors import JianfuError
from jianfu.ingest.labelled import fix_timestamp, write_labelled

TINY = """\
codebook: {id: tiny, version: "0.1", title: {zh: 测试问卷, en: Test survey},
           intro: {zh: 说明, en: Intro}, closing: {zh: 谢谢, en: Thanks}}
pillars: [{id: synergy, zh: 合力机制, en: Synergy}]
blocks: [{id: A, zh: 基本情况, en: Background}, {id: D, zh: 措施, en: Measures}]
constructs:
  - {id: DM, zh: 精文减会, en: Fewer documents and meetings, pillar: synergy,
     role: measure}
scales:
  - {id: agree5, kind: ordinal, zh: 同意程度, en: Agreement, values: [
      {code: 1, zh: 非常不同意, en: Strongly disagree}, {code: 2, zh: 不同意, en: Disagree},
      {code: 3, zh: 一般, en: Neutral}, {code: 4, zh: 同意, en: Agree},
      {code: 5, zh: 非常同意, en: Strongly agree}]}
  - {id: yesno, kind: nominal, zh: 是否, en: Yes/No, values: [
      {code: 1, zh: 是, en: "Yes"}, {code: 0, zh: 否, en: "No"}]}
  - {id: channels, kind: nominal, zh: 渠道, en: Channels, values: [
      {code: 1, zh: 渝快政, en: Yukuaizheng},
      {code: 2, zh: 其他（请注明）, en: Other, other_text: true}]}
questions:
  - {qnum: 1, block: A, type: single, zh: 您是否担任领导职务, en: Are you a leader}
  - {qnum: 2, block: A, type: number, zh: 上月会议次数, en: Meetings last month}
  - {qnum: 3, block: D, type: matrix, scale: agree5, zh: 请判断, en: Please rate}
  - {qnum: 4, block: A, type: multi, zh: 使用的渠道, en: Channels used}
  - {qnum: 5, block: A, type: text, zh: 建议, en: Suggestions}
items:
  - {id: leader, qnum: 1, scale: yesno, zh: 是否担任领导职务, en: Holds a leadership position}
  - {id: meetings, qnum: 2, valid_range: [0, 100], type_unit: {zh: 次, en: times},
     zh: 会议次数, en: Meetings}
  - {id: DM1, qnum: 3, row: 1, construct: DM, zh: 会议更少了, en: Fewer meetings}
  - {id: DM2, qnum: 3, row: 2, construct: DM, zh: 文件更短了, en: Shorter documents}
  - {id: DM3, qnum: 3, row: 3, construct: DM, reverse: true, zh: 陪会仍然很多,
     en: Still many meetings to sit in}
  - {id: channels_used, qnum: 4, scale: channels, zh: 使用的渠道, en: Channels used}
  - {id: suggestion, qnum: 5, zh: 减负意见建议, en: Suggestions on burden reduction}
"""


@pytest.fixture(scope="module")
def cb():
    return parse_codebook(yaml.safe_load(TINY), "tiny.yaml")


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "leader": pd.Series([1, 0, None], dtype="Int64"),
            "meetings": [12.0, 30.0, 7.0],
            "DM1": [1, 5, 3],
            "DM3": [4.0, 2.0, None],
            "channels_used_1": pd.Series([1, 0, 1], dtype="Int8"),
            "channels_used_other": pd.Series(["", "钉钉", None], dtype="str"),
            "suggestion": pd.Series(["希望精简报表", None, "工作群太多"], dtype="str"),
            "township_code": [500101001, 500101002, 500236101],
            "submitted_at": pd.to_datetime(["2025-10-13 08:31:46"] * 3),
        }
    )


READ = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_round_trip_keeps_chinese_labels(cb, frame, tmp_path, fmt):
    path = tmp_path / f"survey.{fmt}"
    report = write_labelled(frame, cb, path, fmt, labels={"township_code": "镇街代码（匹配）"})
    data, meta = READ[fmt](path)
    labels = meta.column_names_to_labels
    assert labels["leader"] == "是否担任领导职务" and labels["DM3"] == "陪会仍然很多"
    assert labels["township_code"] == "镇街代码（匹配）"
    assert labels["channels_used_1"] == "使用的渠道：渝快政"
    assert labels["channels_used_other"] == "使用的渠道：其他（请注明）"
    assert labels["submitted_at"] is None and report["unlabelled"] == ["submitted_at"]
    values = meta.variable_value_labels
    assert values["DM1"] == {1: "非常不同意", 2: "不同意", 3: "一般", 4: "同意", 5: "非常同意"}
    assert values["leader"] == {1: "是", 0: "否"}
    assert set(values) == {"leader", "DM1", "DM3"} == set(report["value_labels"])
    assert meta.file_label == "测试问卷"
    assert data["DM1"].tolist() == [1, 5, 3] and data["leader"].isna().tolist() == [
        False,
        False,
        True,
    ]
    assert data["suggestion"].tolist() == ["希望精简报表", "", "工作群太多"]
    assert report["empty_strings_for_missing"] == {"channels_used_other": 1, "suggestion": 1}
    assert data["submitted_at"][0] == pd.Timestamp("2025-10-13 08:31:46")
    json.dumps(report)
    assert report["timestamp_fixed"] and meta.creation_time == pd.Timestamp("2024-06-03")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_english_labels(cb, frame, tmp_path, fmt):
    write_labelled(frame, cb, tmp_path / f"s.{fmt}", fmt, lang="en")
    _, meta = READ[fmt](tmp_path / f"s.{fmt}")
    assert meta.column_names_to_labels["DM1"] == "Fewer meetings"
    assert meta.variable_value_labels["leader"] == {1: "Yes", 0: "No"}
    assert meta.file_label == "Test survey"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_byte_identical_across_writes(cb, frame, tmp_path, fmt):
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    write_labelled(frame, cb, first, fmt)
    write_labelled(frame, cb, second, fmt)
    assert first.read_bytes() == second.read_bytes()
    # a file written at another time: put another time into its header, then fix it
    other = tmp_path / f"c.{fmt}"
    shutil.copy(first, other)
    data = bytearray(other.read_bytes())
    if fmt == "sav":
        data[92:109] = b"27 Nov 2616:15:07"
    else:
        at = data.index(b"<timestamp>") + 12
        data[at : at + 17] = b"27 Nov 2026 16:15"
    other.write_bytes(bytes(data))
    assert other.read_bytes() != first.read_bytes()
    assert fix_timestamp(other, fmt)
    assert other.read_bytes() == first.read_bytes()


def test_stata_limits_are_applied_and_reported(cb, tmp_path):
    long_name = "a_derived_variable_with_a_very_long_name_indeed"
    frame = pd.DataFrame(
        {
            long_name: [1, 2],
            long_name[:40] + "_other": [3, 4],
            "in": [5, 6],
            "合计 得分": [1.5, 2.5],
            "DM2": [1.5, 2.0],  # not integer codes: no value labels
            "suggestion": ["长" * 1000, "短"],  # 3000 bytes: strL in Stata
        }
    )
    labels = {long_name: "一个很长的派生变量标签" * 10}
    report = write_labelled(frame, cb, tmp_path / "s.dta", "dta", labels=labels)
    renamed = report["renamed"]
    assert all(len(n) <= 32 for n in renamed.values()) and len(set(renamed.values())) == 4
    assert renamed["in"] == "in_" and renamed["合计 得分"] == "合计_得分"
    assert renamed[long_name[:40] + "_other"].endswith("_2")
    assert report["strl"] == ["suggestion"]
    assert "DM2" in report["value_labels_skipped"]
    [cut] = report["truncated"]
    assert cut["what"] == "variable label" and cut["limit"] == "80 chars"
    data, meta = pyreadstat.read_dta(tmp_path / "s.dta")
    label = meta.column_names_to_labels[renamed[long_name]]
    assert len(label) == 80 and label.endswith("…") and label[:-1] == labels[long_name][:79]
    assert meta.column_names_to_labels["in_"] == "in"  # the original name where it changed
    assert data["suggestion"][0] == "长" * 1000
    assert "DM2" not in meta.variable_value_labels


def test_spss_value_labels_cut_at_a_character_boundary(tmp_path):
    raw = yaml.safe_load(TINY)
    raw["scales"][1]["values"][0]["zh"] = "是的" + "非常肯定" * 40
    cb = parse_codebook(raw, "tiny.yaml")
    report = write_labelled(pd.DataFrame({"leader": [1, 0, 2]}), cb, tmp_path / "s.sav", "sav")
    _, meta = pyreadstat.read_sav(tmp_path / "s.sav")
    label = meta.variable_value_labels["leader"][1]
    assert label.endswith("…") and len(label.encode("utf-8")) <= 120
    assert report["truncated"][0]["what"] == "value label 1"
    assert report["values_without_label"] == {"leader": [2]}


def test_invalid_requests_are_explained(cb, tmp_path):
    with pytest.raises(JianfuError, match="multi-choice"):
        write_labelled(pd.DataFrame({"x": [(1, 2), (3,)]}), cb, tmp_path / "s.dta", "dta")
    with pytest.raises(JianfuError, match="format must be one of"):
        write_labelled(pd.DataFrame({"x": [1]}), cb, tmp_path / "s.xpt", "xpt")
    with pytest.raises(JianfuError, match="unknown scale"):
        write_labelled(
            pd.DataFrame({"x": [1]}), cb, tmp_path / "s.sav", "sav", value_scales={"x": "agree7"}
        )
    assert not any(tmp_path.iterdir())


def test_default_codebook_district_labels(codebook, tmp_path):
    frame = pd.DataFrame({"district": [500101, 500243], "PV1": [4, 5]})
    write_labelled(frame, codebook, tmp_path / "s.dta", "dta")
    _, meta = pyreadstat.read_dta(tmp_path / "s.dta")
    assert meta.variable_value_labels["district"][500243] == "彭水苗族土家族自治县"
    assert meta.column_names_to_labels["PV1"] == codebook.item("PV1").label.zh
