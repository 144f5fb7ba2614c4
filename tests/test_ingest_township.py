"""Township matching: recovery of the simulator's truth, unit cases on a tiny frame, errors, speed.

The recovery test types every one of the 1,031 official townships in each way the simulator
knows (`jianfu.simulate.respondents.township_text`, each kind forced in turn, plus draws with the
default shares of params.yaml) and checks that the matcher recovers the code, and that whatever
it does not recover is flagged: no confident wrong match is tolerated.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.ingest.township import (
    CONFUSABLE_GROUPS,
    METHODS,
    STATUSES,
    VARIANT_CHARS,
    match_report,
    match_townships,
)
from jianfu.simulate.frame import read_reference
from jianfu.simulate.respondents import TOWNSHIP_TEXT_KINDS, township_text

_PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
#: The proposed ``ingest.township`` section, used until params.yaml carries one.
PROPOSED = {
    "accept_score": 88,
    "low_confidence_score": 60,
    "margin": 8,
    "partial_weight": 0.2,
    "homophone_penalty": 4,
    "suffix_mismatch_penalty": 10,
    "n_candidates": 3,
    "aliases": {},
}
PARAMS = (_PARAMS.get("ingest") or {}).get("township") or PROPOSED
SHARES = _PARAMS["simulate"]["survey"]["township_text"]
SEED = 20240603
NANAN, YUBEI, WULONG, SHIZHU = 500108, 500112, 500156, 500240


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = ROOT / "data" / "reference"
    return read_reference(ref / "cq_districts.csv", ref / "cq_townships_2023.csv")


# ---------------------------------------------------------------- recovery of the simulator
@pytest.fixture(scope="module")
def recovery(reference) -> pd.DataFrame:
    """Every township typed in every way, matched; one row per typed name with the truth."""
    districts, towns = reference
    district_name = towns["district_code"].map(
        dict(zip(districts["district_code"], districts["district_name"], strict=True))
    )
    rng = np.random.default_rng(SEED)
    draws = []
    forced = [{k: float(k == kind) for k in TOWNSHIP_TEXT_KINDS} for kind in TOWNSHIP_TEXT_KINDS]
    for shares in [*forced, SHARES, SHARES, SHARES]:
        text, kind = township_text(towns["township_name"], district_name, shares, rng)
        draws.append(
            pd.DataFrame(
                {
                    "text": text,
                    "kind": kind,
                    "true_code": towns["township_code"],
                    "district_code": towns["district_code"],
                }
            )
        )
    typed = pd.concat(draws, ignore_index=True)
    result = match_townships(
        typed["text"], typed["district_code"], towns, PARAMS, districts=districts
    )
    return typed.join(result)


def test_recovers_the_simulated_truth(recovery):
    correct = (recovery["status"] == "matched") & (
        recovery["township_code"] == recovery["true_code"]
    )
    by_kind = correct.groupby(recovery["kind"]).mean()
    print("\nrecovered by kind:\n" + by_kind.round(4).to_string())
    assert set(by_kind.index) == set(TOWNSHIP_TEXT_KINDS)
    assert correct.mean() >= 0.98
    for kind, share in by_kind.items():
        # typos are held to a lower floor: a pinyin slip that spells a township of another
        # district exactly (龙兴 typed for 隆兴) is flagged on purpose, not guessed
        assert share >= (0.95 if kind == "typo" else 0.98), kind


def test_no_confident_wrong_match(recovery):
    wrong = (recovery["status"] == "matched") & (recovery["township_code"] != recovery["true_code"])
    assert not wrong.any(), recovery.loc[wrong, ["text", "township_name"]].head()
    missed = recovery["township_code"].isna() | (recovery["township_code"] != recovery["true_code"])
    assert (recovery.loc[missed, "status"] != "matched").all()
    assert recovery.loc[missed, "candidates"].notna().all()


def test_never_matches_across_districts(reference):
    """Every township typed with a wrong district: a match, if any, lies in the given district
    (several districts share a stem, e.g. 兴隆镇; those match the given district's township)."""
    districts, towns = reference
    rng = np.random.default_rng(SEED)
    codes = districts["district_code"].to_numpy()
    wrong = np.array([rng.choice(codes[codes != d]) for d in towns["district_code"]])
    result = match_townships(
        towns["township_name"], pd.Series(wrong), towns, PARAMS, districts=districts
    )
    district_of = dict(zip(towns["township_code"], towns["district_code"], strict=True))
    matched = result[result["status"] == "matched"]
    assert (matched["township_code"].map(district_of).to_numpy() == wrong[matched.index]).all()
    assert not (matched["township_code"] == towns["township_code"][matched.index]).any()


# ---------------------------------------------------------------- unit cases on a tiny frame
TOWNS = pd.DataFrame(
    [
        (500108001, "铜元局街道", NANAN),
        (500108003, "南坪街道", NANAN),
        (500108004, "海棠溪街道", NANAN),
        (500108101, "南坪镇", NANAN),
        (500108106, "长生桥镇", NANAN),
        (500112011, "龙溪街道", YUBEI),
        (500112018, "王家街道", YUBEI),
        (500112135, "大湾镇", YUBEI),
        (500156202, "石桥苗族土家族乡", WULONG),
        (500156209, "浩口苗族仡佬族乡", WULONG),
        (500240105, "黄水镇", SHIZHU),
        (500240208, "王家乡", SHIZHU),
    ],
    columns=["township_code", "township_name", "district_code"],
)
DISTRICTS = pd.DataFrame(
    {
        "district_code": [NANAN, YUBEI, WULONG, SHIZHU],
        "district_name": ["南岸区", "渝北区", "武隆区", "石柱土家族自治县"],
    }
)


def match_one(text, district, p=None, **kw) -> pd.Series:
    result = match_townships(
        pd.Series([text], dtype=object),
        pd.Series([district], dtype="Int64"),
        TOWNS,
        p or PARAMS,
        districts=DISTRICTS,
        **kw,
    )
    return result.iloc[0]


@pytest.mark.parametrize(
    ("text", "district", "code", "method"),
    [
        ("铜元局街道", NANAN, 500108001, "exact"),
        ("铜元局", NANAN, 500108001, "normalised"),  # suffix dropped
        ("铜元局街", NANAN, 500108001, "normalised"),  # 街 for 街道
        ("铜元局街道办事处", NANAN, 500108001, "normalised"),
        ("铜元局办事处", NANAN, 500108001, "normalised"),
        ("长生桥镇人民政府", NANAN, 500108106, "normalised"),
        ("长生桥镇政府", NANAN, 500108106, "normalised"),
        ("南岸区铜元局街道", NANAN, 500108001, "normalised"),  # district prefix
        ("重庆市南岸区长生桥镇", NANAN, 500108106, "normalised"),
        ("南岸长生桥", NANAN, 500108106, "normalised"),  # short district form
        ("石柱县黄水镇", SHIZHU, 500240105, "normalised"),
        ("石柱黄水", SHIZHU, 500240105, "normalised"),
        (" 铜元局 街道 ", NANAN, 500108001, "normalised"),  # stray spaces
        ("铜元局\u3000街道（原铜元局镇）", NANAN, 500108001, "normalised"),  # full-width
        ("海棠溪街道(政务服务中心)", NANAN, 500108004, "normalised"),  # note in brackets
        ("南坪镇", NANAN, 500108101, "exact"),  # shared stem, told apart by the suffix
        ("南坪街道", NANAN, 500108003, "exact"),
        ("南坪办事处", NANAN, 500108003, "normalised"),  # 办事处: a 街道
        ("南坪人民政府", NANAN, 500108101, "normalised"),  # 人民政府: a 镇 or 乡
        ("石桥乡", WULONG, 500156202, "normalised"),  # ethnic designation left out
        ("石桥苗族土家族乡人民政府", WULONG, 500156202, "normalised"),
        ("浩口民族乡", WULONG, 500156209, "normalised"),
        ("黄水乡", SHIZHU, 500240105, "normalised"),  # 乡 typed for a 镇 (撤乡建镇)
        ("长生桥镇南湖村", NANAN, 500108106, "normalised"),  # township and village
    ],
)
def test_matches(text, district, code, method):
    row = match_one(text, district)
    assert (row["status"], row["township_code"], row["method"]) == ("matched", code, method)
    assert row["township_name"] == TOWNS.set_index("township_code").at[code, "township_name"]
    assert pd.isna(row["candidates"])


@pytest.mark.parametrize(
    ("text", "district", "code"),
    [
        ("龙西街道", YUBEI, 500112011),  # 溪 → 西
        ("王佳街道", YUBEI, 500112018),  # 家 → 佳
        ("大弯", YUBEI, 500112135),  # 湾 → 弯, suffix dropped too
        ("长生乔镇", NANAN, 500108106),  # 桥 → 乔
        ("时乔苗族土佳族乡", WULONG, 500156202),  # slips in the ethnic designation as well
    ],
)
def test_homophone_typos_match_with_a_high_score(text, district, code):
    row = match_one(text, district)
    assert (row["status"], row["method"], row["township_code"]) == ("matched", "fuzzy", code)
    assert PARAMS["accept_score"] <= row["score"] < 100


def test_a_plain_typo_is_flagged_not_guessed():
    row = match_one("铜元菊街道", NANAN)  # not a homophone slip: a whole character differs
    assert row["status"] == "low_confidence"
    assert pd.isna(row["township_code"])
    assert row["candidates"].startswith("铜元局街道:")


def test_shared_stem_without_suffix_is_low_confidence():
    row = match_one("南坪", NANAN)
    assert (row["status"], row["method"], row["score"]) == ("low_confidence", "normalised", 100)
    assert pd.isna(row["township_code"]) and pd.isna(row["township_name"])
    assert "南坪街道:100" in row["candidates"] and "南坪镇:100" in row["candidates"]


@pytest.mark.parametrize("district", [None, 999999, 500101])
def test_unknown_district_proposes_but_never_sets_a_code(district):
    row = match_one("龙溪街道", district)
    assert (row["status"], row["method"]) == ("no_district", "none")
    assert pd.isna(row["township_code"])
    assert row["candidates"].startswith(f"龙溪街道[{YUBEI}]:100")


@pytest.mark.parametrize("text", ["", "   ", None, np.nan])
def test_empty_text_is_unmatched(text):
    row = match_one(text, NANAN)
    assert (row["status"], row["method"], row["score"]) == ("unmatched", "none", 0)
    assert pd.isna(row["township_code"])


@pytest.mark.parametrize("text", ["不知道", "123", 123, "无", "/"])
def test_garbage_is_unmatched(text):
    row = match_one(text, YUBEI)
    assert row["status"] == "unmatched"
    assert pd.isna(row["township_code"])
    assert row["score"] < PARAMS["low_confidence_score"]


@pytest.mark.parametrize(
    ("text", "district", "elsewhere"),
    [
        ("铜元局街道", YUBEI, f"铜元局街道[{NANAN}]"),  # a township of another district
        ("王家乡", YUBEI, f"王家乡[{SHIZHU}]"),  # 渝北 has only 王家街道; 石柱 has 王家乡
        ("南岸区龙溪街道", YUBEI, None),  # the text names another district than the answer
        ("渝北区南坪镇", NANAN, None),
    ],
)
def test_text_of_another_district_is_flagged(text, district, elsewhere):
    row = match_one(text, district)
    assert row["status"] in ("low_confidence", "unmatched")
    assert pd.isna(row["township_code"])
    if elsewhere:
        assert elsewhere in row["candidates"]


def test_alias_from_params():
    p = {**PARAMS, "aliases": {500108106: ["长生"]}}
    row = match_one("长生镇", NANAN, p)
    assert (row["status"], row["method"], row["township_code"]) == ("matched", "alias", 500108106)
    assert row["township_name"] == "长生桥镇"


def test_without_district_names_a_full_prefix_is_still_dropped():
    result = match_townships(
        pd.Series(["南岸区铜元局街道", "南岸铜元局"]), pd.Series([NANAN, NANAN]), TOWNS, PARAMS
    )
    assert result["township_code"].iloc[0] == 500108001
    assert result["status"].iloc[1] != "matched"  # a short form needs the district names


# ---------------------------------------------------------------- output contract, report
@pytest.fixture(scope="module")
def mixed() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    text = pd.Series(
        ["南坪镇", "南坪", "龙西街道", "南坪镇", "不知道", None, "龙溪街道", "南坪"],
        index=[10, 11, 12, 13, 14, 15, 16, 17],
        dtype="str",
    )
    district = pd.Series(
        [NANAN, NANAN, YUBEI, NANAN, YUBEI, YUBEI, None, NANAN], index=text.index, dtype="Int64"
    )
    return text, district, match_townships(text, district, TOWNS, PARAMS, districts=DISTRICTS)


def test_output_contract(mixed):
    text, _, result = mixed
    assert result.index.equals(text.index)
    assert list(result.columns[:7]) == [
        "township_code",
        "township_name",
        "score",
        "method",
        "status",
        "normalised",
        "candidates",
    ]
    assert str(result["township_code"].dtype) == "Int64"
    assert result["score"].between(0, 100).all()
    assert set(result["method"]) <= set(METHODS) and set(result["status"]) <= set(STATUSES)
    assert (result["township_code"].notna() == (result["status"] == "matched")).all()
    assert (result["candidates"].isna() == (result["status"] == "matched")).all()
    same = result.loc[[10, 13]].reset_index(drop=True)
    assert same.iloc[0].equals(same.iloc[1])  # repeated names get one answer


def test_match_report(mixed):
    _, _, result = mixed
    report = match_report(result)
    json.dumps(report, ensure_ascii=False)
    assert report["rows"] == len(result) == sum(report["by_status"].values())
    assert sum(report["by_method"].values()) == len(result)
    assert report["by_status"] == {"matched": 3, "low_confidence": 2, "unmatched": 2,
                                   "no_district": 1}  # fmt: skip
    first = report["flagged"][0]
    assert (first["text"], first["district"], first["rows"]) == ("南坪", NANAN, 2)
    assert {(e["text"], e["district"]) for e in report["flagged"]} == {
        ("南坪", NANAN),
        ("不知道", YUBEI),
        (None, YUBEI),
        ("龙溪街道", None),
    }


def test_district_codes_as_text_are_read():
    result = match_townships(
        pd.Series(["铜元局"]), pd.Series(["500108"]), TOWNS, PARAMS, districts=DISTRICTS
    )
    assert result["township_code"].iloc[0] == 500108001


def test_tables_never_change_an_official_name(reference):
    _, towns = reference
    chars = set("".join(towns["township_name"]))
    assert not {chr(c) for c in VARIANT_CHARS} & chars
    grouped = [ch for group in CONFUSABLE_GROUPS for ch in group]
    assert len(grouped) == len(set(grouped))  # each character in one group only


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accept_score": 50}, "low_confidence_score <= accept_score"),
        ({"partial_weight": 1.5}, "partial_weight"),
        ({"margin": -1}, "must not be negative"),
        ({"aliases": {123: ["x"]}}, "unknown township code"),
        ({"aliases": ["x"]}, "expected a mapping"),
        ({"aliases": {"长生": ["x"]}}, "not a township code"),
    ],
)
def test_bad_params_are_explained(change, message):
    with pytest.raises(JianfuError, match=message):
        match_one("铜元局", NANAN, {**PARAMS, **change})


def test_missing_param_names_the_key():
    p = TrackedParams({"ingest": {"township": {k: v for k, v in PARAMS.items() if k != "margin"}}})
    with pytest.raises(JianfuError, match=r"ingest\.township\.margin"):
        match_one("铜元局", NANAN, p["ingest"]["township"])


def test_misaligned_inputs_and_bad_reference_are_explained():
    with pytest.raises(JianfuError, match="share one index"):
        match_townships(pd.Series(["铜元局"], index=[5]), pd.Series([NANAN]), TOWNS, PARAMS)
    with pytest.raises(JianfuError, match="missing column"):
        match_townships(
            pd.Series(["铜元局"]), pd.Series([NANAN]), TOWNS.drop(columns="district_code"), PARAMS
        )


# ---------------------------------------------------------------- speed (measured, not asserted)
def test_speed_on_100k_rows(reference):
    """100,000 answers from 300 townships typed the default ways, 1% without a district."""
    districts, towns = reference
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(towns), 300, replace=False)[rng.integers(0, 300, 100_000)]
    names = towns["township_name"].iloc[pick].reset_index(drop=True)
    district_name = (
        towns["district_code"]
        .iloc[pick]
        .map(dict(zip(districts["district_code"], districts["district_name"], strict=True)))
    )
    text, _ = township_text(names, district_name.reset_index(drop=True), SHARES, rng)
    district = pd.Series(towns["district_code"].iloc[pick].to_numpy(), dtype="Int64")
    district[rng.random(len(district)) < 0.01] = pd.NA
    start = time.perf_counter()
    result = match_townships(text, district, towns, PARAMS, districts=districts)
    seconds = time.perf_counter() - start
    print(f"\n100,000 rows ({text.nunique()} distinct texts) matched in {seconds:.2f} s")
    assert len(result) == 100_000
