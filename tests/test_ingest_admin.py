"""Schema validation of the office records (`jianfu.ingest.admin`).

* On simulated records (a short, small log with raised dirt rates, so that every kind of dirt
  and their overlaps occur): each quarantine reason is compared with the simulator's dirt log;
  precision and recall are 1.
* Tiny hand-made tables: each reason on its own, rows with several reasons, the values at the
  edges of each rule (kept), CSV input, and the errors that are the user's.
* Determinism: the same bytes on a second run and with another thread count.
* A property test: for arbitrary small event tables the quarantine reasons equal those of an
  independent pandas implementation of the rules, and rows_in = rows_clean + rows_quarantined.
"""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.ingest import admin as ingest
from jianfu.simulate import admin as simulate
from jianfu.simulate import frame, rollout
from test_simulate_admin import P_FRAME, ROLLOUT, SEED, small

#: The ``ingest.admin`` params used here: the layout proposed for params.yaml.
PARAMS = {
    "months": {"first": "2023-01", "last": "2025-12"},
    "engine": {"threads": 2, "memory_limit": "1GB"},
    "events": {
        "size_max": {
            "document": 1000,
            "meeting": 1440,
            "inspection": 4320,
            "report_submission": 1440,
            "app_task": 1440,
        }
    },
    "hotline": {
        "categories": [
            "城乡建设",
            "环境保护",
            "劳动社保",
            "市场监管",
            "社区治理",
            "交通运输",
            "其他",
        ],
        "satisfaction_range": [1, 5],
        "days_after_window": 180,
    },
    "rollout": {"measures": ["yibiaotong", "app_clean", "negative_list", "duty_list"]},
}
TOWNS = [500101001, 500101002, 500102001]
DISTRICTS = [500101, 500102]
VALIDATE = {
    "events": ingest.validate_events,
    "hotline": ingest.validate_hotline,
    "rollout": ingest.validate_rollout,
}
ID = {"events": "event_id", "hotline": "ticket_id"}


def run(table: str, src: Path, out: Path, p=PARAMS, registry: Path | None = None):
    """Validate `src`; return the report, the clean and the quarantine frames."""
    if registry is None:
        codes = DISTRICTS if table == "rollout" else TOWNS
        registry = out / "registry.parquet"
        pd.DataFrame(
            {"district_code" if table == "rollout" else "township_code": codes}
        ).to_parquet(registry)
    clean, quarantine = out / f"{table}_clean.parquet", out / f"{table}_quarantine.parquet"
    report = VALIDATE[table](src, registry, clean, quarantine, p)
    return report, pd.read_parquet(clean), pd.read_parquet(quarantine)


def reasons_of(quarantine: pd.DataFrame) -> dict[int, str]:
    return dict(zip(quarantine["source_row"], quarantine["reasons"], strict=True))


def ids_with(quarantine: pd.DataFrame, id_column: str, reason: str) -> set[int]:
    has = quarantine["reasons"].str.split(";").map(lambda r: reason in r).astype(bool)
    return set(quarantine.loc[has, id_column])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- simulated records
#: Dirt rates raised so that a short log has every kind of dirt and their overlaps.
DIRT = {
    "events_duplicate": 0.02,
    "events_unknown_township": 0.01,
    "hotline_closed_before_received": 0.02,
    "hotline_missing_satisfaction": 0.05,
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> dict:
    """Six months of events (≈ 80,000) and tickets (≈ 19,000), the registry and the dirt logs."""
    ref = ROOT / "data" / "reference"
    districts, townships = frame.read_reference(
        ref / "cq_districts.csv", ref / "cq_townships_2023.csv"
    )
    units = frame.build_frame(districts, townships, P_FRAME, np.random.default_rng(1))
    roll = rollout.make_rollout(units, ROLLOUT, np.random.default_rng(2))
    we = pd.Series(
        np.random.default_rng(3).normal(3.8, 0.3, len(units.townships)),
        index=units.townships["township_code"].to_numpy(),
    )
    p = small(last="2023-06")
    p["dirt"] = DIRT
    out = tmp_path_factory.mktemp("admin")
    simulate.write_registry(units, f"{out}/registry_")
    events = simulate.write_events(units, roll, p, SEED, out / "events.parquet")
    hotline = simulate.write_hotline(units, roll, we, p, SEED, out / "hotline.parquet")
    roll.to_parquet(out / "rollout.parquet")
    return {"out": out, "events": events["dirt"], "hotline": hotline["dirt"], "rollout": roll}


def precision_recall(found: set[int], truth: set[int]) -> tuple[float, float]:
    hit = len(found & truth)
    return hit / len(found), hit / len(truth)


def test_simulated_events_reasons_match_the_dirt_log(simulated, tmp_path):
    out = simulated["out"]
    report, clean, quarantine = run(
        "events", out / "events.parquet", tmp_path, registry=out / "registry_townships.parquet"
    )
    dirt = simulated["events"]
    for truth_reason, reason in [
        ("duplicate", "duplicate_event"),
        ("unknown_township_code", "unknown_township_code"),
    ]:
        truth = set(dirt.loc[dirt["reason"] == truth_reason, "id"])
        assert len(truth) > 100
        assert precision_recall(ids_with(quarantine, "event_id", reason), truth) == (1.0, 1.0)
    # the overlap occurs: an exact copy of a row with a mistyped code carries both reasons
    both = quarantine["reasons"] == "unknown_township_code;duplicate_event"
    assert both.sum() > 0
    # no other reason; every dirty row is out, and only those
    used = {r for r, n in report["by_reason"].items() if n}
    assert used == {"duplicate_event", "unknown_township_code"}
    assert report["rows_in"] == report["rows_clean"] + report["rows_quarantined"]
    assert report["rows_clean"] == len(clean) and report["rows_quarantined"] == len(quarantine)
    assert set(clean["event_id"]).isdisjoint(dirt.loc[dirt["reason"] != "duplicate", "id"])
    assert clean["event_id"].is_unique and clean["event_id"].is_monotonic_increasing
    assert len(clean) == report["rows_in"] - len(dirt.query("reason == 'duplicate'")) - len(
        set(dirt.loc[dirt["reason"] == "unknown_township_code", "id"])
    )


def test_simulated_hotline_reasons_match_the_dirt_log(simulated, tmp_path):
    out = simulated["out"]
    report, clean, quarantine = run(
        "hotline", out / "hotline.parquet", tmp_path, registry=out / "registry_townships.parquet"
    )
    dirt = simulated["hotline"]
    early = set(dirt.loc[dirt["reason"] == "closed_before_received", "id"])
    assert len(early) > 100
    found = ids_with(quarantine, "ticket_id", "closed_before_received")
    assert precision_recall(found, early) == (1.0, 1.0)
    # every quarantined ticket is one closed before received (closed before its first response
    # too; closed before the window when it was received in its first hours)
    assert set(quarantine["ticket_id"]) == early
    assert report["rows_in"] == report["rows_clean"] + report["rows_quarantined"]
    # A lost rating is flagged, not quarantined. The flag's recall is 1 on the clean tickets; its
    # precision is low by design: a lost rating cannot be told from one never given (75 % rated).
    lost = set(dirt.loc[dirt["reason"] == "missing_satisfaction", "id"])
    flagged = set(clean.loc[clean["satisfaction_missing"], "ticket_id"])
    assert lost - early <= flagged
    assert report["flags"]["satisfaction_missing"] == len(flagged)
    assert clean.loc[clean["satisfaction_missing"], "satisfaction"].isna().all()


def test_simulated_rollout_is_clean(simulated, tmp_path):
    out = simulated["out"]
    report, clean, _ = run(
        "rollout", out / "rollout.parquet", tmp_path, registry=out / "registry_districts.parquet"
    )
    assert report["rows_quarantined"] == 0 and report["rows_clean"] == report["rows_in"] == 152
    assert report["extra_columns"] == ["stratum", "wave"]
    never = simulated["rollout"]["adoption_month"].fillna("never").tolist()
    assert clean["adoption_month"].fillna("never").tolist() == never


def test_outputs_are_byte_identical_across_runs_and_threads(simulated, tmp_path):
    out, hashes = simulated["out"], []
    for threads in (2, 2, 1):
        p = copy.deepcopy(PARAMS)
        p["engine"]["threads"] = threads
        clean, quarantine = tmp_path / "clean.parquet", tmp_path / "quarantine.parquet"
        ingest.validate_events(
            out / "events.parquet", out / "registry_townships.parquet", clean, quarantine, p
        )
        hashes.append((sha256(clean), sha256(quarantine)))
    assert hashes[0] == hashes[1] == hashes[2]
    assert not list(tmp_path.glob(".jianfu-duckdb-*"))  # the spill folder is removed


def test_params_read(simulated, tmp_path):
    """The keys each function reads (what the DVC stages must list)."""
    out = simulated["out"]
    read = {}
    for table, registry in [
        ("events", "registry_townships"),
        ("hotline", "registry_townships"),
        ("rollout", "registry_districts"),
    ]:
        p = TrackedParams(PARAMS)
        src = out / f"{table}.parquet"
        run(table, src, tmp_path, p=p, registry=out / f"{registry}.parquet")
        read[table] = {k for k in p.accessed if k.count(".") < 2}
    engine = {"engine.threads", "engine.memory_limit"}
    months = {"months.first", "months.last"}
    assert read["events"] == engine | months | {"events.size_max"}
    assert read["hotline"] == engine | months | {
        "hotline.categories",
        "hotline.satisfaction_range",
        "hotline.days_after_window",
    }
    assert read["rollout"] == engine | {"rollout.measures"}


# --------------------------------------------------------------------------- tiny tables
def events_table(**changes) -> dict[str, list]:
    """Three clean events; `changes` = {column: value} replaces the value of the second row."""
    table = {
        "event_id": [1, 2, 3],
        "township_code": [500101001, 500101002, 500102001],
        "timestamp": [datetime(2024, 3, 1, 9), datetime(2024, 3, 2, 10), datetime(2024, 3, 3, 11)],
        "event_type": ["document", "meeting", "app_task"],
        "size": [5, 60, 9],
    }
    for column, value in changes.items():
        table[column][1] = value
    return table


def hotline_table(**changes) -> dict[str, list]:
    """Three clean tickets; `changes` replaces values of the second row."""
    day = datetime(2024, 3, 2)
    table = {
        "ticket_id": [1, 2, 3],
        "township_code": [500101001, 500101002, 500102001],
        "received": [day, day + timedelta(hours=10), day + timedelta(days=1)],
        "first_response": [
            day + timedelta(hours=6),
            day + timedelta(hours=12),
            day + timedelta(days=1, hours=5),
        ],
        "closed": [
            day + timedelta(days=2),
            day + timedelta(days=2),
            day + timedelta(days=3),
        ],
        "category": ["城乡建设", "社区治理", "其他"],
        "resolved": [True, False, True],
        "satisfaction": [5, 2, 4],
    }
    for column, value in changes.items():
        table[column][1] = value
    return table


def rollout_table(**changes) -> dict[str, list]:
    table = {
        "district_code": [500101, 500101, 500102],
        "measure": ["yibiaotong", "app_clean", "yibiaotong"],
        "adoption_month": ["2024-03", None, "2024-09"],
    }
    for column, value in changes.items():
        table[column][1] = value
    return table


TABLES = {"events": events_table, "hotline": hotline_table, "rollout": rollout_table}
TYPES = {
    "event_id": pa.int64(),
    "ticket_id": pa.int64(),
    "township_code": pa.int64(),
    "district_code": pa.int64(),
    "timestamp": pa.timestamp("s"),
    "received": pa.timestamp("s"),
    "first_response": pa.timestamp("s"),
    "closed": pa.timestamp("s"),
    "size": pa.int32(),
    "resolved": pa.bool_(),
    "satisfaction": pa.int8(),
}


def write(table: dict[str, list], path: Path, text: tuple[str, ...] = ()) -> Path:
    """Parquet with the simulator's types; the columns in `text` are written as text."""
    arrays = {}
    for column, values in table.items():
        if column in text:
            arrays[column] = pa.array([None if v is None else str(v) for v in values])
        else:
            text_only = all(v is None or isinstance(v, str) for v in values)
            arrays[column] = pa.array(values, TYPES.get(column, pa.string() if text_only else None))
    pq.write_table(pa.table(arrays), path)
    return path


EVENT_CASES = [
    ("missing_event_id", {"event_id": None}, ()),
    ("invalid_event_id", {"event_id": "2.5"}, ("event_id",)),
    ("missing_township_code", {"township_code": None}, ()),
    ("invalid_township_code", {"township_code": "50010100l"}, ("township_code",)),
    ("unknown_township_code", {"township_code": 500101999}, ()),
    ("missing_timestamp", {"timestamp": None}, ()),
    ("invalid_timestamp", {"timestamp": "下周三上午"}, ("timestamp",)),
    ("timestamp_outside_window", {"timestamp": datetime(2022, 12, 31, 23, 59, 59)}, ()),
    ("timestamp_outside_window", {"timestamp": datetime(2026, 1, 1)}, ()),
    ("missing_event_type", {"event_type": None}, ()),
    ("missing_event_type", {"event_type": "  "}, ()),
    ("unknown_event_type", {"event_type": "banquet"}, ()),
    ("missing_size", {"size": None}, ()),
    ("invalid_size", {"size": "ten"}, ("size",)),
    ("size_not_positive", {"size": 0}, ()),
    ("size_not_positive", {"size": -3}, ()),
    ("size_above_maximum", {"size": 1441}, ()),  # a meeting: 1440 minutes at most
]
HOTLINE_CASES = [
    ("missing_ticket_id", {"ticket_id": None}, ()),
    ("unknown_township_code", {"township_code": 500101999}, ()),
    ("received_outside_window", {"received": datetime(2022, 12, 31, 23)}, ()),
    ("invalid_received", {"received": "2024年3月2日"}, ("received",)),
    ("missing_closed", {"closed": None}, ()),
    ("response_before_received", {"first_response": datetime(2024, 3, 2, 9)}, ()),
    ("closed_before_response", {"closed": datetime(2024, 3, 2, 11)}, ()),
    (
        "closed_before_received;closed_before_response",
        {"closed": datetime(2024, 3, 2, 8)},
        (),
    ),
    ("closed_outside_window", {"closed": datetime(2026, 6, 30)}, ()),  # 180 days after
    (
        "first_response_outside_window;closed_before_response",
        {"first_response": datetime(2026, 6, 30)},
        (),
    ),
    ("unknown_category", {"category": "外星人"}, ()),
    ("missing_category", {"category": ""}, ()),
    ("missing_resolved", {"resolved": None}, ()),
    ("invalid_resolved", {"resolved": "maybe"}, ("resolved",)),
    ("satisfaction_out_of_range", {"satisfaction": 6}, ()),
    ("satisfaction_out_of_range", {"satisfaction": 0}, ()),
    ("invalid_satisfaction", {"satisfaction": "很好"}, ("satisfaction",)),
]
ROLLOUT_CASES = [
    ("unknown_district_code", {"district_code": 500199}, ()),
    ("missing_district_code", {"district_code": None}, ()),
    ("unknown_measure", {"measure": "yibiaotong2"}, ()),
    ("missing_measure", {"measure": None}, ()),
    ("invalid_adoption_month", {"adoption_month": "2024-13"}, ()),
    ("invalid_adoption_month", {"adoption_month": "2024/03"}, ()),
]


@pytest.mark.parametrize(
    ("table", "reasons", "changes", "text"),
    [("events", *case) for case in EVENT_CASES]
    + [("hotline", *case) for case in HOTLINE_CASES]
    + [("rollout", *case) for case in ROLLOUT_CASES],
)
def test_each_reason_on_its_own(tmp_path, table, reasons, changes, text):
    src = write(TABLES[table](**changes), tmp_path / "src.parquet", text)
    report, _, quarantine = run(table, src, tmp_path)
    assert reasons_of(quarantine) == {2: reasons}
    assert (report["rows_in"], report["rows_clean"], report["rows_quarantined"]) == (3, 2, 1)
    assert {r for r, n in report["by_reason"].items() if n} == set(reasons.split(";"))
    assert set(report["by_reason"]) == set(ingest.REASONS[table])
    # the quarantined row is kept as found in the file
    value = next(iter(changes.values()))
    column = next(iter(changes))
    found = quarantine[column].iloc[0]
    assert (pd.isna(found) and value is None) or found == value or str(found) == str(value)


@pytest.mark.parametrize(
    ("table", "changes", "text"),
    [
        # the edges of each rule are inside
        ("events", {"timestamp": datetime(2023, 1, 1)}, ()),
        ("events", {"timestamp": datetime(2025, 12, 31, 23, 59, 59)}, ()),
        ("events", {"size": 1440}, ()),
        ("events", {"event_type": " meeting "}, ()),  # spaces around a value are not content
        ("events", {"event_id": "2.0"}, ("event_id",)),  # an integer written by a float column
        (
            "hotline",
            {"first_response": datetime(2024, 3, 2, 10), "closed": datetime(2024, 3, 2, 10)},
            (),
        ),
        ("hotline", {"closed": datetime(2026, 6, 29, 23, 59, 59)}, ()),
        # missing values that are allowed are kept
        ("hotline", {"first_response": None}, ()),
        ("hotline", {"satisfaction": None}, ()),
        ("hotline", {"resolved": "否"}, ("resolved",)),
        ("hotline", {"received": "2024-03-02T10:00:00+08:00"}, ("received",)),
        ("rollout", {"adoption_month": ""}, ()),
        ("rollout", {"adoption_month": "2019-01"}, ()),  # before the window: always treated
    ],
)
def test_edges_and_allowed_missing_values_are_kept(tmp_path, table, changes, text):
    src = write(TABLES[table](**changes), tmp_path / "src.parquet", text)
    report, clean, quarantine = run(table, src, tmp_path)
    assert report["rows_quarantined"] == 0 and len(clean) == 3, reasons_of(quarantine)


def test_clean_values_are_converted(tmp_path):
    src = write(
        hotline_table(resolved="否", received="2024-03-02T02:00:00Z", satisfaction=None),
        tmp_path / "src.parquet",
        ("resolved", "received"),
    )
    report, clean, _ = run("hotline", src, tmp_path)
    assert clean["resolved"].tolist() == [True, False, True]
    # a time in UTC becomes China Standard Time, the offices' local time
    assert clean["received"].iloc[1] == pd.Timestamp("2024-03-02 10:00:00")
    assert clean["satisfaction_missing"].tolist() == [False, True, False]
    assert report["flags"] == {"satisfaction_missing": 1}
    src = write(rollout_table(adoption_month=""), tmp_path / "roll.parquet")
    _, clean, _ = run("rollout", src, tmp_path)
    assert clean["adoption_month"].isna().tolist() == [False, True, False]


def test_a_row_carries_all_its_reasons(tmp_path):
    src = write(
        events_table(township_code=1, timestamp=datetime(2021, 5, 1), size=0),
        tmp_path / "src.parquet",
    )
    _, _, quarantine = run("events", src, tmp_path)
    assert reasons_of(quarantine) == {
        2: "unknown_township_code;timestamp_outside_window;size_not_positive"
    }
    src = write(
        events_table(event_type="party", size=-1, event_id="x"),
        tmp_path / "b.parquet",
        ("event_id",),
    )
    _, _, quarantine = run("events", src, tmp_path)
    assert reasons_of(quarantine) == {2: "invalid_event_id;unknown_event_type;size_not_positive"}


def test_duplicates_keep_the_first_copy_and_conflicts_keep_none(tmp_path):
    table = events_table()
    rows = pd.DataFrame(table)
    exact = rows.iloc[[0, 1, 0, 2, 0]]  # event 1 exported three times
    conflict = pd.concat([rows, rows.iloc[[1]].assign(size=61)])  # event 2 twice, differing
    both = pd.concat([rows, rows.iloc[[1, 1]].assign(size=61)])  # 2, 2', 2' (2' copied)
    cases = [
        (exact, {3: "duplicate_event", 5: "duplicate_event"}, [1, 2, 3]),
        (conflict, {2: "conflicting_event_id", 4: "conflicting_event_id"}, [1, 3]),
        (
            both,
            {
                2: "conflicting_event_id",
                4: "conflicting_event_id",
                5: "duplicate_event;conflicting_event_id",
            },
            [1, 3],
        ),
    ]
    for frame_, expected, kept in cases:
        src = write(frame_.to_dict("list"), tmp_path / "src.parquet")
        report, clean, quarantine = run("events", src, tmp_path)
        assert reasons_of(quarantine) == expected
        assert clean["event_id"].tolist() == kept
        assert report["rows_in"] == len(frame_) == len(clean) + len(quarantine)
    # rows without an id are not duplicates of each other; they are missing an id
    twice = {k: v * 2 for k, v in events_table(event_id=None).items()}
    _, clean, quarantine = run("events", write(twice, tmp_path / "src.parquet"), tmp_path)
    assert reasons_of(quarantine) == {
        2: "missing_event_id",
        4: "duplicate_event",
        5: "missing_event_id",
        6: "duplicate_event",
    }
    assert clean["event_id"].tolist() == [1, 3]


def test_rollout_one_row_per_district_and_measure(tmp_path):
    rows = pd.DataFrame(rollout_table())
    doubled = pd.concat([rows, rows.iloc[[0]], rows.iloc[[2]].assign(adoption_month="2025-03")])
    src = tmp_path / "src.parquet"
    doubled.to_parquet(src)
    _, clean, quarantine = run("rollout", src, tmp_path)
    assert reasons_of(quarantine) == {
        3: "conflicting_district_measure",
        4: "duplicate_rollout_row",
        5: "conflicting_district_measure",
    }
    assert clean["measure"].tolist() == ["yibiaotong", "app_clean"]


# --------------------------------------------------------------------------- CSV input
def test_csv_input_gives_the_same_clean_rows(tmp_path):
    table = events_table(size=0)
    parquet = write(table, tmp_path / "events.parquet")
    csv_path = tmp_path / "events.csv"
    frame_ = pd.DataFrame(table)
    # as Excel saves 'CSV UTF-8': a byte-order mark, times as text
    csv_path.write_bytes(frame_.to_csv(index=False).encode("utf-8-sig"))
    report_p, clean_p, quarantine_p = run("events", parquet, tmp_path)
    report_c, clean_c, quarantine_c = run("events", csv_path, tmp_path)
    pd.testing.assert_frame_equal(clean_c, clean_p)
    assert reasons_of(quarantine_c) == reasons_of(quarantine_p) == {2: "size_not_positive"}
    assert quarantine_c["size"].tolist() == ["0"]  # quarantined cells stay as found
    assert report_c["by_reason"] == report_p["by_reason"]


def test_csv_registry_of_codes(tmp_path):
    registry = tmp_path / "codes.csv"
    registry.write_text("code\n500101001\n500101002\n", encoding="utf-8")  # a single column
    src = write(events_table(), tmp_path / "src.parquet")
    _, _, quarantine = run("events", src, tmp_path, registry=registry)
    assert reasons_of(quarantine) == {3: "unknown_township_code"}


def test_csv_in_another_encoding_is_explained(tmp_path):
    path = tmp_path / "events.csv"
    text = pd.DataFrame(events_table(event_type="会议")).to_csv(index=False)
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(JianfuError, match=r"events\.csv.*not UTF-8.*line 3.*GB18030"):
        run("events", path, tmp_path)


def test_malformed_csv_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,township_code,timestamp,event_type,size\n"
        "1,500101001,2024-03-01 09:00:00,document,5\n"
        "2,500101001,2024-03-01 09:00:00,document,5,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(JianfuError, match=r"events\.csv.*Line: 3"):
        run("events", path, tmp_path)


# --------------------------------------------------------------------------- the user's errors
def test_missing_column_is_named(tmp_path):
    table = events_table()
    table["Size"] = table.pop("size")
    src = write(table, tmp_path / "src.parquet")
    with pytest.raises(JianfuError, match=r"src\.parquet.*missing required column.*'size'") as exc:
        run("events", src, tmp_path)
    assert "expected event_id, township_code, timestamp, event_type, size" in str(exc.value)
    assert "upper/lower case" in str(exc.value)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("timestamp", [True, False, True], r"'timestamp' has type BOOLEAN; expected a date-time"),
        ("event_type", [1, 2, 3], r"'event_type' has type BIGINT; expected text"),
        ("size", ["ten", "twenty", "5 页"], r"'size': none of its 3 values is a whole number"),
        ("timestamp", ["2024年3月1日", "2024年3月2日", "下周三"], r"'timestamp': none of its 3"),
    ],
)
def test_a_column_of_the_wrong_type_is_an_error(tmp_path, column, values, message):
    src = write(events_table(), tmp_path / "src.parquet")
    table = pq.read_table(src)
    table = table.set_column(table.schema.get_field_index(column), column, pa.array(values))
    pq.write_table(table, src)
    with pytest.raises(JianfuError, match=message):
        run("events", src, tmp_path)
    assert not (tmp_path / "events_clean.parquet").exists()


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(JianfuError, match=r"nowhere\.parquet: events file not found"):
        run("events", tmp_path / "nowhere.parquet", tmp_path)
    fake = tmp_path / "events.parquet"
    fake.write_text("event_id\n1\n", encoding="utf-8")
    with pytest.raises(JianfuError, match="not a Parquet file"):
        run("events", fake, tmp_path)
    book = tmp_path / "events.xlsx"
    book.write_bytes(b"PK\x03\x04")
    with pytest.raises(JianfuError, match="save the sheet as 'CSV UTF-8'"):
        run("events", book, tmp_path)
    src = write(events_table(), tmp_path / "src.parquet")
    registry = tmp_path / "reg.parquet"
    pd.DataFrame({"code": TOWNS}).to_parquet(registry)
    with pytest.raises(JianfuError, match=r"reg\.parquet: township registry: no column"):
        run("events", src, tmp_path, registry=registry)
    clash = events_table() | {"reasons": ["a", "b", "c"]}
    with pytest.raises(JianfuError, match="used by the outputs"):
        run("events", write(clash, tmp_path / "clash.parquet"), tmp_path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (("engine", "memory_limit"), "lots", "memory_limit"),
        (("months", "first"), "2023-1", "months.first: expected YYYY-MM"),
        (("events", "size_max"), {"document": 0}, "size_max.document"),
    ],
)
def test_bad_params_are_explained(tmp_path, key, value, message):
    p = copy.deepcopy(PARAMS)
    p[key[0]][key[1]] = value
    src = write(events_table(), tmp_path / "src.parquet")
    with pytest.raises(JianfuError, match=message):
        run("events", src, tmp_path, p=p)


def test_an_empty_table(tmp_path):
    src = write({k: [] for k in events_table()}, tmp_path / "src.parquet")
    report, clean, quarantine = run("events", src, tmp_path)
    assert (report["rows_in"], len(clean), len(quarantine)) == (0, 0, 0)


# --------------------------------------------------------------------------- property test
START, END = pd.Timestamp("2023-01-01"), pd.Timestamp("2026-01-01")
KNOWN_TYPES = PARAMS["events"]["size_max"]


def expected_reasons(frame_: pd.DataFrame) -> dict[int, str]:
    """The rules, implemented independently in pandas (rows are numbered from 1)."""
    out = {}
    content = list(map(tuple, frame_.itertuples(index=False)))
    versions = frame_.drop_duplicates().groupby("event_id").size()
    for i, row in enumerate(frame_.itertuples(index=False)):
        found = []
        if row.township_code not in TOWNS:
            found.append("unknown_township_code")
        if not START <= row.timestamp < END:
            found.append("timestamp_outside_window")
        if row.event_type not in KNOWN_TYPES:
            found.append("unknown_event_type")
        if row.size <= 0:
            found.append("size_not_positive")
        if row.event_type in KNOWN_TYPES and row.size > KNOWN_TYPES[row.event_type]:
            found.append("size_above_maximum")
        if content[i] in content[:i]:
            found.append("duplicate_event")
        if versions[row.event_id] > 1:
            found.append("conflicting_event_id")
        if found:
            out[i + 1] = ";".join(found)
    return out


event_rows = st.lists(
    st.fixed_dictionaries(
        {
            "event_id": st.integers(1, 8),
            "township_code": st.sampled_from([*TOWNS, 500101009, 123]),
            "timestamp": st.datetimes(datetime(2022, 12, 30), datetime(2026, 1, 2)).map(
                lambda t: t.replace(microsecond=0)
            ),
            "event_type": st.sampled_from([*KNOWN_TYPES, "banquet"]),
            "size": st.sampled_from([-5, 0, 1, 7, 1000, 1001, 1440, 1441, 4321]),
        }
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows, copies=st.lists(st.integers(0, 11), max_size=4))
def test_property_every_row_is_accounted_for(rows, copies):
    rows = rows + [rows[i] for i in copies if i < len(rows)]  # exact copies, as offices export
    frame_ = pd.DataFrame(rows, columns=list(events_table()))
    frame_ = frame_.astype({"event_id": "int64", "township_code": "int64", "size": "int32"})
    frame_["timestamp"] = frame_["timestamp"].astype("datetime64[s]")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        src = out / "events.parquet"
        pq.write_table(
            pa.Table.from_pandas(frame_, preserve_index=False).cast(
                pa.schema([(k, TYPES.get(k, pa.string())) for k in frame_.columns])
            ),
            src,
        )
        report, clean, quarantine = run("events", src, out)
    assert report["rows_in"] == len(rows) == report["rows_clean"] + report["rows_quarantined"]
    assert (len(clean), len(quarantine)) == (report["rows_clean"], report["rows_quarantined"])
    assert (quarantine["reasons"].str.len() > 0).all()
    assert reasons_of(quarantine) == expected_reasons(frame_)
    # every clean row satisfies every rule
    assert clean["event_id"].is_unique
    assert clean["township_code"].isin(TOWNS).all()
    assert clean["timestamp"].between(START, END, inclusive="left").all()
    assert (clean["size"] > 0).all()
    assert all(
        KNOWN_TYPES[kind] >= size
        for kind, size in zip(clean["event_type"], clean["size"], strict=True)
    )


# --------------------------------------------------------------------------- measurement
MEASURE = """
import json, resource, sys, time
from jianfu.ingest.admin import validate_events
p = json.loads(sys.argv[1])
start = time.perf_counter()
report = validate_events(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], p)
print(json.dumps({"rows_in": report["rows_in"], "seconds": time.perf_counter() - start,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.slow
def test_measure_the_default_event_log(tmp_path):
    """Time and peak memory of validating data/raw/admin/events.parquet (printed, not asserted)."""
    src = ROOT / "data" / "raw" / "admin" / "events.parquet"
    registry = ROOT / "data" / "raw" / "admin" / "registry_townships.parquet"
    if not src.exists():
        pytest.skip("no simulated event log: run `dvc repro simulate`")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            json.dumps(PARAMS, ensure_ascii=False),
            str(src),
            str(registry),
            str(tmp_path / "clean.parquet"),
            str(tmp_path / "quarantine.parquet"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(proc.stdout)
