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
