"""The policy panels (`jianfu.policy.panel`): office records → township- and district-month.

* A tiny hand-made log (three townships in two districts, three months, events_scale 0.5)
  with every panel value computed by hand: zero-event months, division by cadres × scale,
  satisfaction among rated tickets only, a township without tickets, events outside the
  window or of an unknown township, district rates as ratios of sums (not means of means), and
  roll-out event times incl. never treated and always treated (2019-01).
* A random log: DuckDB against an independent pandas computation, and Spark against DuckDB
  (same rows, integer columns exactly, floats to a relative 1e-9: every float is a
  whole-number sum divided once, so the engines agree to the bit in practice; the tolerance
  only allows for a different order of floating-point summation).
* Determinism (the same bytes on a rerun and with another thread count) and the user's errors.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jianfu.core.errors import JianfuError
from jianfu.policy import panel

T1, T2, T3 = 500101001, 500101002, 500102001  # T1, T2 in district D1; T3 in D2
D1, D2 = 500101, 500102
WINDOW = ("2024-01", "2024-03")
SCALE = 0.5
NAMES = ("events", "hotline", "townships", "districts", "rollout")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _write(folder, *, events=None, hotline=None, townships=None, districts=None, rollout=None):
    """Write the five input files (Parquet, the types of the cleaned files); return the paths."""
    events = events if events is not None else EVENTS
    hotline = hotline if hotline is not None else HOTLINE
    tables = {
        "events": pa.table(
            {
                "event_id": pa.array(range(1, len(events) + 1), pa.int64()),
                "township_code": pa.array([e[0] for e in events], pa.int64()),
                "timestamp": pa.array([ts(e[1]) for e in events], pa.timestamp("ms")),
                "event_type": pa.array([e[2] for e in events], pa.string()),
                "size": pa.array([e[3] for e in events], pa.int32()),
            }
        ),
        "hotline": pa.table(
            {
                "ticket_id": pa.array(range(1, len(hotline) + 1), pa.int64()),
                "township_code": pa.array([h[0] for h in hotline], pa.int64()),
                "received": pa.array([ts(h[1]) for h in hotline], pa.timestamp("ms")),
                "first_response": pa.array(
                    [ts(h[2]) if h[2] else None for h in hotline], pa.timestamp("ms")
                ),
                "closed": pa.array(
                    [ts(h[1]) + timedelta(days=3) for h in hotline], pa.timestamp("ms")
                ),
                "category": pa.array(["其他"] * len(hotline), pa.string()),
                "resolved": pa.array([h[3] for h in hotline], pa.bool_()),
                "satisfaction": pa.array([h[4] for h in hotline], pa.int8()),
                "satisfaction_missing": pa.array([h[4] is None for h in hotline], pa.bool_()),
            }
        ),
        "townships": pa.Table.from_pylist(townships or TOWNSHIPS),
        "districts": pa.Table.from_pylist(districts or DISTRICTS),
        "rollout": pa.Table.from_pylist(
            rollout or ROLLOUT,
            schema=pa.schema(
                [
                    ("district_code", pa.int64()),
                    ("measure", pa.string()),
                    ("adoption_month", pa.string()),
                ]
            ),
        ),
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


TOWNSHIPS = [
    {"township_code": T1, "district_code": D1, "stratum": "主城都市区", "cadres": 10},
    {"township_code": T2, "district_code": D1, "stratum": "主城都市区", "cadres": 5},
    {"township_code": T3, "district_code": D2, "stratum": "渝东南武陵山区城镇群", "cadres": 4},
]
DISTRICTS = [
    {"district_code": D1, "stratum": "主城都市区"},
    {"district_code": D2, "stratum": "渝东南武陵山区城镇群"},
]
ROLLOUT = [
    {"district_code": D1, "measure": "yibiaotong", "adoption_month": "2024-02"},
    {"district_code": D1, "measure": "duty_list", "adoption_month": "2019-01"},  # always treated
    {"district_code": D2, "measure": "yibiaotong", "adoption_month": None},  # never treated
    {"district_code": D2, "measure": "duty_list", "adoption_month": "2024-03"},
]
#: (township, time, type, size)
EVENTS = [
    (T1, "2024-01-02 09:00:00", "document", 4),
    (T1, "2024-01-15 10:00:00", "document", 7),
    (T1, "2024-01-20 14:30:00", "meeting", 60),
    (T1, "2024-01-03 09:10:00", "app_task", 10),
    (T1, "2024-01-31 23:59:59", "app_task", 20),
    # T1 has nothing in 2024-02
    (T1, "2024-03-01 00:00:00", "inspection", 120),
    (T1, "2024-03-31 23:59:59", "report_submission", 40),
    (T2, "2024-02-10 09:00:00", "document", 2),
    (T2, "2024-02-11 09:00:00", "document", 3),
    (T2, "2024-02-29 18:00:00", "document", 1),
    # not counted: before / after the window, a township not in the registry
    (T1, "2023-12-31 23:59:59", "document", 5),
    (T1, "2024-04-01 00:00:00", "meeting", 30),
    (999999999, "2024-02-01 09:00:00", "document", 5),
]
#: (township, received, first response, resolved, satisfaction)
HOTLINE = [
    (T1, "2024-01-05 10:00:00", "2024-01-05 12:00:00", True, 5),  # 2 h
    (T1, "2024-01-10 08:00:00", "2024-01-10 14:00:00", False, 2),  # 6 h
    (T1, "2024-01-31 23:00:00", "2024-02-01 03:00:00", True, None),  # 4 h, not rated
    (T1, "2024-02-02 09:00:00", None, True, 4),  # no first response recorded
    (T2, "2024-01-08 09:00:00", "2024-01-08 10:00:00", True, None),  # 1 h, not rated
    # T3 has no ticket
]


def build(paths, out, **kwargs):
    args = {"events_scale": SCALE, "window": WINDOW} | kwargs
    return panel.build_panels(*(paths[n] for n in NAMES), out, **args)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    paths = _write(folder)
    summary = build(paths, folder / "out")
    read = {k: pd.read_parquet(folder / "out" / v) for k, v in panel.OUTPUTS.items()}
    return paths, summary, read["township"], read["district"]


def row(frame, key, code, month):
    found = frame[(frame[key] == code) & (frame["month"] == month)]
    assert len(found) == 1
    return found.iloc[0]


# --------------------------------------------------------------------------- hand-computed
def test_every_township_month_in_order(tiny):
    _, summary, town, dist = tiny
    assert list(zip(town["township_code"], town["month"], strict=True)) == [
        (t, m) for t in (T1, T2, T3) for m in ("2024-01", "2024-02", "2024-03")
    ]
    assert list(zip(dist["district_code"], dist["month"], strict=True)) == [
        (d, m) for d in (D1, D2) for m in ("2024-01", "2024-02", "2024-03")
    ]
    assert summary == {
        "engine": "duckdb",
        "township_rows": 9,
        "district_rows": 6,
        "townships": 3,
        "districts": 2,
        "months": 3,
        "measures": ["duty_list", "yibiaotong"],
        "events_in": 13,
        "events_used": 10,
        "tickets_in": 5,
        "tickets_used": 5,
    }


def test_township_workload_per_cadre(tiny):
    _, _, town, _ = tiny
    jan = row(town, "township_code", T1, "2024-01")
    assert (jan["stratum"], jan["district_code"], jan["cadres"]) == ("主城都市区", D1, 10)
    # count / (cadres * events_scale) = count / 5
    assert jan["documents"] == pytest.approx(2 / 5)
    assert jan["meetings"] == pytest.approx(1 / 5)
    assert jan["inspections"] == 0 and jan["report_submissions"] == 0
    assert jan["app_tasks"] == pytest.approx(2 / 5)
    assert jan["app_minutes"] == pytest.approx(30 / 5)  # 10 + 20 minutes
    feb = row(town, "township_code", T1, "2024-02")  # a month without events: zeros
    for column in ("documents", "meetings", "inspections", "report_submissions", "app_tasks"):
        assert feb[column] == 0
    assert feb["app_minutes"] == 0
    mar = row(town, "township_code", T1, "2024-03")  # both edges of the month count
    assert mar["inspections"] == pytest.approx(1 / 5)
    assert mar["report_submissions"] == pytest.approx(1 / 5)
    assert row(town, "township_code", T2, "2024-02")["documents"] == pytest.approx(3 / 2.5)
    t3 = town[town["township_code"] == T3]
    assert (t3[["documents", "app_minutes"]] == 0).all().all()


def test_township_hotline(tiny):
    _, _, town, _ = tiny
    jan = row(town, "township_code", T1, "2024-01")
    assert jan["tickets"] == 3
    assert jan["response_hours"] == pytest.approx((2 + 6 + 4) / 3)
    assert jan["resolution_rate"] == pytest.approx(2 / 3)
    assert jan["satisfaction_rate"] == pytest.approx(1 / 2)  # 5 and 2 rated; one not rated
    assert jan["n_rated"] == 2
    feb = row(town, "township_code", T1, "2024-02")
    assert feb["tickets"] == 1 and pd.isna(feb["response_hours"])  # no first response
    assert feb["resolution_rate"] == 1 and feb["satisfaction_rate"] == 1  # a 4 is satisfied
    t2 = row(town, "township_code", T2, "2024-01")
    assert t2["response_hours"] == pytest.approx(1.0)
    assert t2["n_rated"] == 0 and pd.isna(t2["satisfaction_rate"])  # nothing rated: no rate
    t3 = town[town["township_code"] == T3]  # no tickets at all: 0 tickets, rates missing
    assert (t3["tickets"] == 0).all() and (t3["n_rated"] == 0).all()
    assert t3[["response_hours", "resolution_rate", "satisfaction_rate"]].isna().all().all()


def test_district_rates_are_ratios_of_sums(tiny):
    _, _, _, dist = tiny
    jan = row(dist, "district_code", D1, "2024-01")
    assert (jan["stratum"], jan["townships"], jan["cadres"]) == ("主城都市区", 2, 15)
    assert jan["documents"] == pytest.approx(2 / (15 * SCALE))
    assert jan["app_minutes"] == pytest.approx(30 / (15 * SCALE))
    assert jan["tickets"] == 4
    # (2 + 6 + 4 + 1) / 4 tickets, not the mean of the townships' means (4 and 1)
    assert jan["response_hours"] == pytest.approx(13 / 4)
    assert jan["resolution_rate"] == pytest.approx(3 / 4)
    assert jan["satisfaction_rate"] == pytest.approx(1 / 2) and jan["n_rated"] == 2
    feb = row(dist, "district_code", D1, "2024-02")
    assert feb["documents"] == pytest.approx(3 / (15 * SCALE))
    d2 = dist[dist["district_code"] == D2]
    assert (d2["documents"] == 0).all() and (d2["tickets"] == 0).all()
    assert d2["resolution_rate"].isna().all()


def test_rollout_event_times(tiny):
    _, _, town, dist = tiny
    for frame, key, d1_unit, d2_unit in (
        (town, "township_code", T2, T3),
        (dist, "district_code", D1, D2),
    ):
        d1 = frame[frame[key] == d1_unit]
        assert (d1["adopt_yibiaotong"] == "2024-02").all()
        assert d1["event_time_yibiaotong"].tolist() == [-1, 0, 1]
        assert (d1["adopt_duty_list"] == "2019-01").all()
        assert d1["event_time_duty_list"].tolist() == [60, 61, 62]  # always treated
        d2 = frame[frame[key] == d2_unit]
        assert d2["adopt_yibiaotong"].isna().all()  # never treated
        assert d2["event_time_yibiaotong"].isna().all()
        assert d2["event_time_duty_list"].tolist() == [-2, -1, 0]
    assert list(town.columns) == [
        "township_code", "district_code", "stratum", "month", "cadres",
        "documents", "meetings", "inspections", "report_submissions", "app_tasks", "app_minutes",
        "tickets", "response_hours", "resolution_rate", "satisfaction_rate", "n_rated",
        "adopt_duty_list", "event_time_duty_list", "adopt_yibiaotong", "event_time_yibiaotong",
    ]  # fmt: skip


def test_the_sql_files_are_package_data():
    sql = panel.panel_sql(["yibiaotong"], 0.012)
    assert "CAST(0.012 AS DOUBLE)" in sql["township"] and "$" not in "".join(sql.values())
    assert {p.name for p in panel.SQL_DIR.glob("*.sql")} >= {
        "dialect_duckdb.sql", "dialect_spark.sql", "township_month_counts.sql",
        "district_adoption.sql", "township_panel.sql", "district_panel.sql",
    }  # fmt: skip


# --------------------------------------------------------------------------- a random log
def _random_log(rng, n_events=20_000, n_tickets=3_000):
    towns = [T1, T2, T3]
    start = datetime(2024, 1, 1)  # local times without a zone: plain datetime arithmetic
    span = int((datetime(2024, 4, 1) - start).total_seconds())
    seconds = np.sort(rng.integers(-86_400 * 5, span + 86_400 * 5, n_events))
    types = rng.choice(panel.EVENT_TYPES, n_events)
    events = [
        (int(rng.choice(towns, p=[0.5, 0.3, 0.2])), str(start + timedelta(seconds=int(s))), t,
         int(rng.integers(1, 200)))
        for s, t in zip(seconds, types, strict=True)
    ]  # fmt: skip
    tickets = []
    for s in rng.integers(0, span, n_tickets):
        received = start + timedelta(seconds=int(s))
        wait = rng.integers(60, 86_400 * 3) if rng.random() < 0.95 else None
        rating = int(rng.integers(1, 6)) if rng.random() < 0.75 else None
        tickets.append(
            (int(rng.choice(towns[:2])), str(received),
             str(received + timedelta(seconds=int(wait))) if wait else None,
             bool(rng.random() < 0.8), rating)
        )  # fmt: skip
    return events, tickets


@pytest.fixture(scope="module")
def random_log(tmp_path_factory):
    folder = tmp_path_factory.mktemp("random")
    events, tickets = _random_log(np.random.default_rng(20240603))
    paths = _write(folder, events=events, hotline=tickets)
    build(paths, folder / "duckdb")
    return folder, paths


def test_duckdb_agrees_with_pandas(random_log):
    folder, paths = random_log
    got = pd.read_parquet(folder / "duckdb" / panel.OUTPUTS["township"])
    ev = pd.read_parquet(paths["events"])
    ev["month"] = ev["timestamp"].dt.strftime("%Y-%m")
    ev = ev[ev["month"].between(*WINDOW)]
    counts = ev.pivot_table(
        index=["township_code", "month"], columns="event_type", values="size", aggfunc="count"
    )
    minutes = ev[ev["event_type"] == "app_task"].groupby(["township_code", "month"])["size"].sum()
    hot = pd.read_parquet(paths["hotline"])
    hot["month"] = hot["received"].dt.strftime("%Y-%m")
    hot["hours"] = (hot["first_response"] - hot["received"]).dt.total_seconds() / 3600
    hot["satisfied"] = (hot["satisfaction"] >= 4).where(hot["satisfaction"].notna())
    tickets = hot.groupby(["township_code", "month"]).agg(
        tickets=("ticket_id", "size"),
        response_hours=("hours", "mean"),
        resolution_rate=("resolved", "mean"),
        satisfaction_rate=("satisfied", "mean"),
        n_rated=("satisfaction", "count"),
    )
    got = got.set_index(["township_code", "month"])
    scaled = got["cadres"] * SCALE
    for event_type, column in zip(
        panel.EVENT_TYPES,
        ["documents", "meetings", "inspections", "report_submissions", "app_tasks"],
        strict=True,
    ):
        expected = counts[event_type].reindex(got.index).fillna(0) / scaled
        np.testing.assert_allclose(got[column], expected, rtol=1e-12)
    np.testing.assert_allclose(got["app_minutes"], minutes.reindex(got.index) / scaled, rtol=1e-12)
    tickets = tickets.reindex(got.index)
    assert (got["tickets"] == tickets["tickets"].fillna(0)).all()
    for column in ("response_hours", "resolution_rate", "satisfaction_rate"):
        np.testing.assert_allclose(got[column], tickets[column].astype(float), rtol=1e-12)
    assert got.loc[T3, "response_hours"].isna().all()


def _digest(folder):
    return {
        n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in panel.OUTPUTS.values()
    }


def test_reruns_are_byte_identical(random_log, tmp_path):
    folder, paths = random_log
    build(paths, tmp_path / "again", threads=2)
    build(paths, tmp_path / "one_thread", threads=1)
    first = _digest(folder / "duckdb")
    assert _digest(tmp_path / "again") == first
    assert _digest(tmp_path / "one_thread") == first


@pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs Java 17+")
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.slow
def test_spark_gives_the_same_panels(random_log, tiny, tmp_path):
    """The same SQL on Spark (local mode): same rows, integers exactly, floats to 1e-9.

    Slow tier: starts a Spark JVM (~30-50 s)."""
    pytest.importorskip("pyspark")
    spark = panel._start_spark("local[2]", "1GB", 1, {})
    try:
        for i, (paths, duck) in enumerate(
            ((random_log[1], random_log[0] / "duckdb"), (tiny[0], None))
        ):
            out = tmp_path / f"spark_{i}"
            summary = build(paths, out, engine="spark")
            assert summary["engine"] == "spark"
            if duck is None:  # the tiny log: compare with the DuckDB run of the fixture
                duck = paths["events"].parent / "out"
                assert summary == tiny[1] | {"engine": "spark"}
            for name in panel.OUTPUTS.values():
                _assert_same(pq.read_table(duck / name), pq.read_table(out / name))
    finally:
        spark.stop()


def _assert_same(a: pa.Table, b: pa.Table) -> None:
    assert [(f.name, f.type) for f in a.schema] == [(f.name, f.type) for f in b.schema]
    for name in a.column_names:
        x, y = a[name].to_numpy(zero_copy_only=False), b[name].to_numpy(zero_copy_only=False)
        if pa.types.is_floating(a.schema.field(name).type):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=0, err_msg=name)
        else:
            assert a[name].equals(b[name]), name


# --------------------------------------------------------------------------- the user's errors
def test_missing_file(tmp_path):
    paths = _write(tmp_path)
    paths["hotline"] = tmp_path / "nowhere.parquet"
    with pytest.raises(
        JianfuError, match=r"nowhere\.parquet: 12345 hotline tickets file not found"
    ):
        build(paths, tmp_path / "out")


def test_missing_column_names_file_and_column(tmp_path):
    paths = _write(tmp_path)
    table = pq.read_table(paths["events"]).rename_columns(
        ["event_id", "township_code", "Timestamp", "event_type", "minutes"]
    )
    pq.write_table(table, paths["events"])
    with pytest.raises(JianfuError) as err:
        build(paths, tmp_path / "out")
    message = str(err.value)
    assert str(paths["events"]) in message and "workload event log" in message
    assert "['timestamp', 'size']" in message and "upper/lower case" in message
    assert not (tmp_path / "out" / "township_month.parquet").exists()


def test_rollout_must_cover_every_district_and_measure(tmp_path):
    paths = _write(tmp_path, rollout=ROLLOUT[:3])
    with pytest.raises(
        JianfuError, match=r"no row for district × measure \[\(500102, 'duty_list'\)\]"
    ):
        build(paths, tmp_path / "out")
    paths = _write(tmp_path, rollout=[*ROLLOUT, ROLLOUT[0]])
    with pytest.raises(JianfuError, match="more than one row for district × measure"):
        build(paths, tmp_path / "out")
    paths = _write(tmp_path, rollout=[*ROLLOUT[:3], ROLLOUT[3] | {"adoption_month": "2024/3"}])
    with pytest.raises(JianfuError, match="not YYYY-MM"):
        build(paths, tmp_path / "out")


def test_registries_must_match(tmp_path):
    paths = _write(tmp_path, districts=DISTRICTS[:1])
    with pytest.raises(JianfuError, match=r"district_code\(s\) \[500102\] are not in the district"):
        build(paths, tmp_path / "out")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "polars"}, "not one of"),
        ({"events_scale": 0}, "events_scale: expected a positive number"),
        ({"window": ("2024-03", "2024-01")}, "is after the last"),
        ({"window": ("2024-1", "2024-03")}, "expected YYYY-MM"),
        ({"threads": 0}, "threads: expected a positive whole number"),
        ({"memory_limit": "lots"}, "not a memory size"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, message):
    paths = _write(tmp_path)
    with pytest.raises(JianfuError, match=message):
        build(paths, tmp_path / "out", **kwargs)
