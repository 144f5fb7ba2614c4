"""Property: whatever a survey export contains, every row read ends up clean or quarantined.

Hypothesis writes 问卷星-style 按文本 CSV exports whose cells are drawn from a mix of valid
answers, the export's markers, wrong labels, numbers in and out of range, full-width digits,
personal data and junk, with blank rows anywhere; the whole ingest (read → map → normalise →
match townships → de-identify → clean) must account for every row and fail only with a
`JianfuError`.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.core.reference import read_reference
from jianfu.ingest.survey import process_survey
from jianfu.simulate.export import META, _header

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["ingest"]
DISTRICTS, TOWNS = read_reference(
    ROOT / "data/reference/cq_districts.csv", ROOT / "data/reference/cq_townships_2023.csv"
)
JUNK = st.sampled_from(
    [
        "",
        " ",
        "(跳过)",
        "(空)",
        "-2",
        "-3",
        "不知道",
        "#N/A",
        "=SUM(A1)",
        "１２",
        "9999",
        "-1",
        "13912345678",
        "张伟",
        "同意",
        "比较符合",
        "x" * 300,
        "渝快政┋其他〖钉钉〗",
        "500101001",
        "\t",
        "2025/10/13 08:31:46",
    ]
)


def _cell(codebook, item):
    if item.type in ("single", "matrix"):
        labels = [v.label.zh for v in codebook.scales[item.scale].values]
        return st.one_of(st.sampled_from(labels), JUNK)
    if item.type == "number":
        return st.one_of(st.integers(-5, 3000).map(str), JUNK)
    return st.one_of(st.text(max_size=40), JUNK)


@st.composite
def exports(draw, codebook):
    n = draw(st.integers(0, 12))
    columns = {name: [] for name in META}
    items = list(codebook.items)
    headers = [_header(i, codebook) for i in items if i.type != "multi"]
    headers += [_header(i, codebook) for i in items if i.type == "multi"]
    for h in headers:
        columns[h] = []
    multi = [i for i in items if i.type == "multi"]
    ordered = [i for i in items if i.type != "multi"] + multi
    for r in range(n):
        blank = draw(st.booleans()) and draw(st.booleans())
        columns["序号"].append("" if blank else str(r + 1))
        columns["提交答卷时间"].append(
            ""
            if blank
            else draw(st.sampled_from(["2025/10/13 08:31:46", "2025-10-14 10:00:00", "昨天", ""]))
        )
        columns["所用时间"].append(
            "" if blank else draw(st.sampled_from(["125秒", "2分5秒", "800秒", "3", "abc", ""]))
        )
        columns["来源"].append("" if blank else "微信")
        columns["来源详情"].append("" if blank else "直接访问")
        columns["来自IP"].append(
            "" if blank else draw(st.sampled_from(["117.59.68.116(重庆-重庆)", "10.0.0.1", ""]))
        )
        for item, h in zip(ordered, headers, strict=True):
            columns[h].append("" if blank else draw(_cell(codebook, item)))
    return pd.DataFrame(columns)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_row_read_is_clean_or_quarantined(codebook, data):
    table = data.draw(exports(codebook))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "302594156_按文本_测试_1_1.csv"
        # every field quoted: a bare carriage return inside a cell is then data, not a line end
        table.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
        try:
            result = process_survey(
                path,
                codebook,
                TOWNS,
                TrackedParams(PARAMS),
                simulated=True,
                root=ROOT,
                districts=DISTRICTS,
            )
        except JianfuError as exc:
            event(f"JianfuError: {str(exc).split(':')[-1][:40]}")
            return  # a located, explained error is an accepted outcome
    event("processed")
    rows = len(result.raw.frame)
    assert rows == len(result.cleaned.clean) + len(result.cleaned.quarantine)
    assert (result.cleaned.quarantine["reasons"] != "").all()
    # the reader keeps every row but trailing blank ones, and says how many it dropped
    assert rows <= len(table)
    if rows < len(table):
        assert any("empty" in note for note in result.raw.notes)
