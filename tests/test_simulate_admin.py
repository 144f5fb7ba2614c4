"""Simulated administrative records: roll-out, workload events, 12345 tickets, truth.

The tests read the defaults of ``simulate.rollout`` and ``simulate.admin`` from params.yaml and run
the generators at a small ``events_scale`` (and fewer hotline tickets) so the file takes seconds.
"""

from __future__ import annotations

import copy
import hashlib
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ROOT
from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.simulate import admin, frame, rollout

METRO, NORTHEAST, SOUTHEAST = "主城都市区", "渝东北三峡库区城镇群", "渝东南武陵山区城镇群"
YONGCHUAN, YUBEI = 500118, 500112
_PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["simulate"]
P_FRAME = _PARAMS["frame"]
#: The defaults of params.yaml ``simulate.rollout`` and ``simulate.admin`` (read, not copied).
ROLLOUT = _PARAMS["rollout"]
ADMIN = _PARAMS["admin"]
#: Test scale: ≈ 490k events (the default 0.012 gives ≈ 2.9 million).
TEST_SCALE = 0.002
SEED = 20240603


def small(scale: float = TEST_SCALE, tickets: float = 1.0, last: str = "2025-12") -> dict:
    """The defaults at a test scale (and, for the quick checks, a shorter panel)."""
    p = copy.deepcopy(ADMIN)
    p["events_scale"] = scale
    p["hotline"]["tickets_per_10k_residents"] = tickets
    p["months"]["last"] = last
    return p


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def units() -> frame.Frame:
    ref = ROOT / "data" / "reference"
    districts, townships = frame.read_reference(
        ref / "cq_districts.csv", ref / "cq_townships_2023.csv"
    )
    return frame.build_frame(districts, townships, P_FRAME, np.random.default_rng(1))


@pytest.fixture(scope="module")
def roll(units) -> pd.DataFrame:
    return rollout.make_rollout(units, ROLLOUT, np.random.default_rng(2))


@pytest.fixture(scope="module")
def we(units) -> pd.Series:
    values = np.random.default_rng(3).normal(3.8, 0.3, len(units.townships))
    return pd.Series(values, index=units.townships["township_code"].to_numpy())


#: The params keys each function read (filled by the fixtures below).
READ: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def events(units, roll, tmp_path_factory):
    path = tmp_path_factory.mktemp("events") / "events.parquet"
    p = TrackedParams(small())
    summary = admin.write_events(units, roll, p, SEED, path)
    READ["write_events"] = p.accessed
    return summary, pd.read_parquet(path), path


@pytest.fixture(scope="module")
def hotline(units, roll, we, tmp_path_factory):
    path = tmp_path_factory.mktemp("hotline") / "hotline.parquet"
    p = TrackedParams(small(tickets=1.0))
    summary = admin.write_hotline(units, roll, we, p, SEED, path)
    READ["write_hotline"] = p.accessed
    return summary, pd.read_parquet(path, dtype_backend="numpy_nullable"), path


@pytest.fixture(scope="module")
def truth(units, roll, we) -> pd.DataFrame:
    p = TrackedParams(ADMIN)
    out = rollout.att_truth(units, roll, p, we)
    READ["att_truth"] = p.accessed
    return out


def month_of(stamp: pd.Series) -> pd.Series:
    """`rollout.month_index` of timestamps."""
    return stamp.dt.year * 12 + stamp.dt.month - 1


def clean_events(units, table: pd.DataFrame) -> pd.DataFrame:
    known = table["township_code"].isin(units.townships["township_code"])
    return table[known].drop_duplicates("event_id")


# --------------------------------------------------------------------------- roll-out
def test_rollout_honours_the_schedule(roll, units):
    yb = roll[roll["measure"] == "yibiaotong"].set_index("district_code")
    assert yb.loc[YONGCHUAN, "adoption_month"] == "2023-09"
    assert yb.loc[YONGCHUAN, "wave"] == 1
    sizes = yb[yb["wave"] > 1].groupby("adoption_month").size().to_dict()
    assert sizes == ROLLOUT["measures"]["yibiaotong"]["waves"]
    assert (yb["wave"] == rollout.NEVER).sum() == 3
    assert yb.loc[yb["wave"] == rollout.NEVER, "adoption_month"].isna().all()

    duty = roll[roll["measure"] == "duty_list"].set_index("district_code")
    assert duty.loc[YUBEI, "adoption_month"] == "2019-01"
    assert duty.loc[YUBEI, "wave"] == rollout.ALWAYS
    others = duty.drop(index=YUBEI)["adoption_month"]
    assert others.between("2024-10", "2025-06").all()

    app = roll[roll["measure"] == "app_clean"]["adoption_month"]
    assert app.notna().all() and app.between("2024-01", "2025-06").all()
    neg = roll[roll["measure"] == "negative_list"]
    assert neg["adoption_month"].isna().sum() == 4
    assert len(roll) == 4 * len(units.districts)
    assert roll.dtypes["district_code"] == "int64" and roll.dtypes["wave"] == "int64"
    # waves are the cohorts in order of adoption month
    for _, sub in roll[roll["wave"] > 0].groupby("measure"):
        assert (sub.sort_values("adoption_month")["wave"].diff().dropna() >= 0).all()


def test_rollout_tilts_toward_the_metro_area(units):
    # Over 30 draws the 主城都市区 adopts 一表通 earlier on average than the two 城镇群.
    # (tilt 1.0 vs 0 / -0.5 on the log-weight: a difference of months, not a coin flip)
    months = []
    for seed in range(30):
        r = rollout.make_rollout(units, ROLLOUT, np.random.default_rng(seed))
        yb = r[(r["measure"] == "yibiaotong") & (r["wave"] > 1)]
        idx = yb["adoption_month"].map(rollout.month_index)
        months.append(idx.groupby(yb["stratum"] == METRO).mean())
    gap = pd.DataFrame(months).mean()
    assert gap[True] < gap[False] - 2


def test_rollout_is_reproducible_and_checks_its_params(units):
    a = rollout.make_rollout(units, ROLLOUT, np.random.default_rng(9))
    b = rollout.make_rollout(units, ROLLOUT, np.random.default_rng(9))
    pd.testing.assert_frame_equal(a, b)
    bad = copy.deepcopy(ROLLOUT)
    bad["measures"]["yibiaotong"]["waves"]["2025-09"] = 9
    with pytest.raises(JianfuError, match=r"yibiaotong\.waves: wave sizes sum to 39"):
        rollout.make_rollout(units, bad, np.random.default_rng(9))
    bad = copy.deepcopy(ROLLOUT)
    bad["measures"]["duty_list"]["fixed"] = {123456: "2019-01"}
    with pytest.raises(JianfuError, match=r"not in the registry"):
        rollout.make_rollout(units, bad, np.random.default_rng(9))


def test_rate_multiplier_follows_the_effect_shape(roll):
    eff = ADMIN["effects"]["yibiaotong"]
    m = rollout.rate_multiplier(roll, [YONGCHUAN, YONGCHUAN], "2025-09", "report_submission", ADMIN)
    e = rollout.month_index("2025-09") - rollout.month_index("2023-09")
    expected = 1 + eff["full_effect"]["report_submission"] * eff["stratum_multiplier"][METRO] * (
        1 - np.exp(-(e + 1) / eff["ramp_months"])
    )
    np.testing.assert_allclose(m, expected, rtol=1e-12)
    before = rollout.rate_multiplier(roll, [YONGCHUAN], "2023-08", "report_submission", ADMIN)
    assert before[0] == 1.0
    # the common shock is in the documents of every unit from 2024-09
    never_neg = roll[(roll["measure"] == "negative_list") & roll["adoption_month"].isna()]
    code = never_neg["district_code"].iloc[0]
    docs = rollout.rate_multiplier(roll, [code], "2024-09", "document", ADMIN)
    assert docs[0] == pytest.approx(0.85)
    with pytest.raises(JianfuError, match="unknown event type 'documents'"):
        rollout.rate_multiplier(roll, [code], "2024-09", "documents", ADMIN)


# --------------------------------------------------------------------------- truth
def test_att_truth_is_zero_before_adoption_and_off_target(truth):
    assert set(truth.columns) == {
        "measure",
        "outcome",
        "cohort",
        "month",
        "event_time",
        "att",
        "att_relative",
    }
    assert (truth.loc[truth["event_time"] < 0, "att"] == 0).all()
    targets = {
        "yibiaotong": {"report_submissions", *rollout.HOTLINE_OUTCOMES},
        "app_clean": {"app_tasks", "app_minutes"},
        "negative_list": {"documents", "meetings"},
        "duty_list": {"inspections"},
    }
    for measure, outcomes in targets.items():
        sub = truth[truth["measure"] == measure]
        assert (sub.loc[~sub["outcome"].isin(outcomes), "att"] == 0).all(), measure
        post = sub[
            sub["outcome"].isin(outcomes - set(rollout.HOTLINE_OUTCOMES)) & (sub["event_time"] >= 0)
        ]
        assert (post["att"] != 0).all(), measure
    hot = truth[
        (truth["measure"] == "yibiaotong")
        & (truth["event_time"] >= 0)
        & (truth["outcome"] == "hotline_satisfaction_rate")
    ]
    lag = ADMIN["effects"]["yibiaotong"]["hotline"]["lag_months"]
    assert (hot.loc[hot["event_time"] < lag, "att"] == 0).all()
    assert (hot.loc[hot["event_time"] >= lag, "att"] > 0).all()


def test_att_truth_relative_effects_lie_in_the_stated_ranges(truth):
    # DOMAIN_FACTS §3.1: 一表通 -30…-60 % reports; clean-up -15…-40 % apps; negative list
    # -10…-50 % documents. Fully built up (event time ≥ 12) every cohort must be inside.
    late = truth[truth["event_time"] >= 12]
    ranges = {
        ("yibiaotong", "report_submissions"): (-0.60, -0.30),
        ("app_clean", "app_tasks"): (-0.40, -0.15),
        ("app_clean", "app_minutes"): (-0.40, -0.15),
        ("negative_list", "documents"): (-0.50, -0.10),
    }
    for (measure, outcome), (lo, hi) in ranges.items():
        rel = late.loc[(late["measure"] == measure) & (late["outcome"] == outcome), "att_relative"]
        assert len(rel) and rel.between(lo, hi).all(), (measure, outcome, rel.describe())


# --------------------------------------------------------------------------- events
def test_events_schema_and_timing(events):
    summary, table, path = events
    schema = pq.read_schema(path)
    # Parquet has no second unit: timestamp[s] is stored as milliseconds (whole seconds)
    assert [str(t) for t in schema.types] == [
        "int64",
        "int64",
        "timestamp[ms]",
        "dictionary<values=string, indices=int8, ordered=0>",
        "int32",
    ]
    assert (table["timestamp"].dt.microsecond == 0).all()
    assert schema.metadata is None or b"pandas" not in schema.metadata
    assert summary["rows"] == len(table)
    assert table["timestamp"].min() >= pd.Timestamp("2023-01-01")
    assert table["timestamp"].max() < pd.Timestamp("2026-01-01")
    assert (table["size"] >= 1).all()
    # timing shares: binomial SEs are ≈ 0.0004 at this size, tolerance 0.01
    weekend = table["timestamp"].dt.day_of_week >= 5
    assert weekend.mean() == pytest.approx(ADMIN["events"]["weekend_share"], abs=0.01)
    hour = table["timestamp"].dt.hour
    office = hour.between(9, 11) | hour.between(14, 17)
    assert office.mean() == pytest.approx(ADMIN["events"]["office_hours_share"], abs=0.01)


def _per_cadre(units, table, months, scale):
    """Mean over townships of events (or app minutes) per cadre per month, and its Poisson SE."""
    towns = units.townships.set_index("township_code")
    sub = table[month_of(table["timestamp"]).isin([rollout.month_index(m) for m in months])]
    weight = towns["cadres"] * scale * len(months)
    out = {}
    for etype, grp in sub.groupby("event_type", observed=True):
        count = grp.groupby("township_code").size().reindex(towns.index, fill_value=0)
        out[etype] = ((count / weight).mean(), np.sqrt((count / weight**2).sum()) / len(towns))
        if etype == "app_task":
            minutes = grp.groupby("township_code")["size"].sum().reindex(towns.index, fill_value=0)
            out["app_minutes"] = ((minutes / weight).mean(), None)
    return out


def test_workload_levels_before_adoption_match_domain_facts(units, roll, events):
    # 2023-01…2023-08: before every in-window adoption (永川 is 2023-09; 渝北's duty list is
    # always on, so it is left out). Ranges: DOMAIN_FACTS §3.1 per township cadre per month.
    _, table, _ = events
    table = clean_events(units, table)
    table = table[table["township_code"] // 1000 != YUBEI]
    units_ex = frame.Frame(
        units.districts, units.townships[units.townships["district_code"] != YUBEI], units.villages
    )
    months = [f"2023-{m:02d}" for m in range(1, 9)]
    obs = _per_cadre(units_ex, table, months, TEST_SCALE)
    ranges = {
        "document": (40, 120),
        "meeting": (10, 25),
        "inspection": (2, 6),
        "report_submission": (15, 50),
    }
    for etype, (lo, hi) in ranges.items():
        assert lo <= obs[etype][0] <= hi, (etype, obs[etype])
    minutes_per_working_day = obs["app_minutes"][0] / 21.75
    assert 20 <= minutes_per_working_day <= 60
    # and the sampler reproduces the mean model (4 Poisson SEs)
    ev = rollout.EventModel.from_params(ADMIN["events"])
    rate, _ = ev.rates(
        units,
        rollout.EffectModel.from_params(ADMIN["effects"]),
        roll,
        np.arange(rollout.month_index("2023-01"), rollout.month_index("2023-09")),
    )
    keep = (units.townships["district_code"] != YUBEI).to_numpy()
    expected = rate[keep].mean(axis=(0, 1)) * (1 - ADMIN["dirt"]["events_unknown_township"])
    for k, etype in enumerate(rollout.EVENT_TYPES):
        mean, se = obs[etype]
        assert abs(mean - expected[k]) < 4 * se, (etype, mean, expected[k], se)


@pytest.mark.parametrize("cohort", ["2024-03", "2024-09"])
def test_report_submission_drop_recovers_the_true_att(units, roll, events, truth, cohort):
    # Ratio-in-ratios estimator at the township-month level, cohort g vs never-treated:
    #   (post_g / pre_g) / (post_never / pre_never) - 1,
    # sums over months of the equally weighted township means of reports per cadre. The model
    # is multiplicative (township level × month effect × treatment), so without noise this
    # equals Σ_post ATT(g,t) / Σ_post E[Y(0)] exactly; the only error is Poisson noise, whose
    # SE follows from the counts (delta method on the log). Tolerance: 4 SE (two-sided
    # false-alarm rate ≈ 6e-5).
    _, table, _ = events
    table = clean_events(units, table)
    table = table[table["event_type"] == "report_submission"]
    yb = roll[roll["measure"] == "yibiaotong"].set_index("district_code")
    groups = {
        "treated": yb.index[yb["adoption_month"] == cohort],
        "never": yb.index[yb["adoption_month"].isna()],
    }
    towns = units.townships.set_index("township_code")
    post = month_of(table["timestamp"]) >= rollout.month_index(cohort)
    sums, var_log = {}, 0.0
    for name, districts in groups.items():
        members = towns.index[towns["district_code"].isin(districts)]
        weight = towns.loc[members, "cadres"] * TEST_SCALE
        for period, mask in (("pre", ~post), ("post", post)):
            count = table[mask].groupby("township_code").size().reindex(members, fill_value=0)
            sums[name, period] = (count / weight).sum()
            var_log += (count / weight**2).sum() / sums[name, period] ** 2
    estimate = (sums["treated", "post"] / sums["treated", "pre"]) / (
        sums["never", "post"] / sums["never", "pre"]
    ) - 1
    t = truth[
        (truth["measure"] == "yibiaotong")
        & (truth["outcome"] == "report_submissions")
        & (truth["cohort"] == cohort)
        & (truth["event_time"] >= 0)
    ]
    true_rel = t["att"].sum() / (t["att"] / t["att_relative"]).sum()
    se = (1 + estimate) * np.sqrt(var_log)
    assert abs(estimate - true_rel) < 4 * se, (estimate, true_rel, se)
    assert se < 0.05  # the check has power: the effect is about -0.4


def test_event_dirt_rates_and_log(units, events):
    summary, table, _ = events
    dirt = summary["dirt"]
    assert list(dirt.columns) == ["table", "id", "reason"]
    n = summary["events"]
    for reason, key in (
        ("duplicate", "events_duplicate"),
        ("unknown_township_code", "events_unknown_township"),
    ):
        rate = ADMIN["dirt"][key]
        k = (dirt["reason"] == reason).sum()
        assert abs(k - n * rate) < 4 * np.sqrt(n * rate * (1 - rate)), (reason, k, n * rate)
    # every dirty row is logged, and every logged id is dirty
    dup_ids = set(table.loc[table["event_id"].duplicated(), "event_id"])
    assert dup_ids == set(dirt.loc[dirt["reason"] == "duplicate", "id"])
    assert summary["rows"] - summary["events"] == len(dup_ids)
    dups = table[table["event_id"].isin(dup_ids)]
    assert not dups.duplicated(keep=False).eq(False).any()  # exact copies
    unknown = ~table["township_code"].isin(units.townships["township_code"])
    assert set(table.loc[unknown, "event_id"]) == set(
        dirt.loc[dirt["reason"] == "unknown_township_code", "id"]
    )
    assert (table.loc[unknown, "township_code"].astype(str).str.len() == 9).all()
    assert table.drop_duplicates("event_id")["event_id"].is_unique


def test_events_are_deterministic_and_independent_of_row_groups(units, roll, tmp_path):
    p = small(0.006, last="2023-03")
    paths = [tmp_path / f"{i}.parquet" for i in range(4)]
    admin.write_events(units, roll, p, SEED, paths[0])
    admin.write_events(units, roll, p, SEED, paths[1])
    admin.write_events(units, roll, p, SEED + 1, paths[2])
    admin.write_events(units, roll, p, SEED, paths[3], row_group_rows=20_000)
    assert sha256(paths[0]) == sha256(paths[1])
    assert sha256(paths[0]) != sha256(paths[2])
    assert pq.ParquetFile(paths[3]).num_row_groups > pq.ParquetFile(paths[0]).num_row_groups
    assert pq.read_table(paths[3]).equals(pq.read_table(paths[0]))


def test_write_events_streams(units, roll, tmp_path):
    # Peak Python-tracked memory (numpy buffers included) must not grow with the number of
    # events: the 4× run writes ~4 times the rows with the same peak within 1 MB, and that peak
    # is under a quarter of the 29 bytes a row takes in memory (8+8+8+1+4). Half a year at a
    # high scale: the same rows as the whole panel at a low one, in fewer blocks (faster).
    peaks, rows = [], []
    for scale in (0.006, 0.024):
        tracemalloc.start()
        summary = admin.write_events(
            units,
            roll,
            small(scale, last="2023-06"),
            SEED,
            tmp_path / "m.parquet",
            row_group_rows=8_192,
        )
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        rows.append(summary["rows"])
    assert rows[1] > 3.5 * rows[0]
    assert peaks[1] - peaks[0] < 1_000_000, peaks
    assert peaks[1] < rows[1] * 29 / 4


def test_event_count_hits_the_scale(units, roll):
    # the default scale gives 2–4 million events over 2023-01…2025-12
    assert 2e6 < admin.expected_event_count(units, roll, ADMIN) < 4e6


# --------------------------------------------------------------------------- hotline
def test_hotline_tickets_dirt_and_log(units, hotline):
    summary, table, _ = hotline
    dirt = summary["dirt"]
    assert summary["rows"] == len(table) and table["ticket_id"].is_unique
    early = table["closed"] < table["received"]
    assert set(table.loc[early, "ticket_id"]) == set(
        dirt.loc[dirt["reason"] == "closed_before_received", "id"]
    )
    n, rate = len(table), ADMIN["dirt"]["hotline_closed_before_received"]
    assert abs(early.sum() - n * rate) < 4 * np.sqrt(n * rate)
    lost = dirt.loc[dirt["reason"] == "missing_satisfaction", "id"]
    assert table.set_index("ticket_id").loc[lost, "satisfaction"].isna().all()
    rated = table["satisfaction"].notna().sum() + len(lost)
    rate = ADMIN["dirt"]["hotline_missing_satisfaction"]
    assert abs(len(lost) - rated * rate) < 4 * np.sqrt(rated * rate * (1 - rate))
    assert (table["first_response"] > table["received"]).all()
    assert set(table["satisfaction"].dropna().unique()) <= {1, 2, 3, 4, 5}
    assert set(table["category"].unique()) <= set(ADMIN["hotline"]["categories"])


def test_hotline_follows_engagement_and_population(units, hotline, we):
    # H4: townships with higher mean work engagement have more satisfied ratings.
    _, table, _ = hotline
    towns = units.townships.set_index("township_code")
    rated = table.dropna(subset=["satisfaction"])
    sat = (rated["satisfaction"] >= 4).groupby(rated["township_code"]).mean()
    z = (we - we.mean()) / we.std()
    high = sat[z.reindex(sat.index) > 0.5].mean()
    low = sat[z.reindex(sat.index) < -0.5].mean()
    assert high > low + 0.02
    # tickets ∝ population: the share per district matches 2020 population within 2 %
    by_district = table.groupby(table["township_code"].map(towns["district_code"])).size()
    pop = units.districts.set_index("district_code")["pop2020"]
    share = by_district / by_district.sum() - pop / pop.sum()
    assert share.abs().max() < 0.02
    assert 0.80 < (sat.mean()) < 0.95  # government satisfaction sits at 85–98 % (§1.11)


def test_hotline_is_deterministic_and_requires_all_townships(units, roll, we, tmp_path):
    p = small(tickets=1.0, last="2023-03")
    admin.write_hotline(units, roll, we, p, SEED, tmp_path / "a.parquet")
    admin.write_hotline(units, roll, we, p, SEED, tmp_path / "b.parquet")
    assert sha256(tmp_path / "a.parquet") == sha256(tmp_path / "b.parquet")
    with pytest.raises(JianfuError, match=r"township_we: no finite value for 5 township"):
        admin.write_hotline(units, roll, we.iloc[5:], p, SEED, tmp_path / "c.parquet")
    assert not (tmp_path / "c.parquet").exists()


# --------------------------------------------------------------------------- registry, params
def test_registry_has_no_latent_columns(units, tmp_path):
    rows = admin.write_registry(units, tmp_path / "registry_")
    assert rows == {"districts": 38, "townships": 1031, "villages": len(units.villages)}
    towns = pd.read_parquet(tmp_path / "registry_townships.parquet")
    assert "workload_z" not in towns.columns
    assert towns["township_code"].is_unique
    first = sha256(tmp_path / "registry_villages.parquet")
    admin.write_registry(units, tmp_path / "registry_")
    assert sha256(tmp_path / "registry_villages.parquet") == first


def test_functions_read_only_their_sections(events, hotline, truth):
    # what a stage must declare in dvc.yaml: the events writer reads no hotline keys, the
    # hotline writer no events keys, the truth neither the scale nor the dirt
    assert not any(k.startswith(("hotline", "dirt.hotline")) for k in READ["write_events"])
    assert not any(k.startswith(("events", "dirt.events")) for k in READ["write_hotline"])
    assert not any(k.startswith(("events_scale", "dirt")) for k in READ["att_truth"])
    assert {"events_scale", "dirt.events_duplicate"} <= READ["write_events"]
