"""Simulated administrative records: the unit registry, workload events and 12345 tickets.

The records are drawn from the mean model of `jianfu.simulate.rollout` (which also gives the
true effects), with the magnitudes of DOMAIN_FACTS §3.1 (per-cadre monthly documents, meetings,
inspections, report submissions, app minutes; the suggested simulation ranges [E]) and §3.3 (the
roll-out). Equations and defaults: docs/dgp_admin.md; params ``simulate.admin``.

* Workload events (`write_events`): per township-month and event type a Poisson count with mean
  ``events_scale · cadres · rate`` (`rollout.EventModel`); timestamps mostly on weekdays in office
  hours; sizes log-normal. ``events_scale`` thins the full log (≈ 250 million events in
  2023-01…2025-12 at 1); per-cadre rates are count / (cadres · events_scale).
* 12345 tickets (`write_hotline`): per township-month a Poisson count proportional to the
  township's population; response time, resolution and satisfaction from `rollout.HotlineModel`.
* Dirt at known rates, each dirty row logged (table, id, reason): duplicated event rows and
  unknown (typo'd) township codes in the events; tickets closed before they were received and
  lost satisfaction ratings in the hotline.

Everything is streamed: the random stream of each (month, district) block comes from
``SeedSequence(seed, spawn_key=(stream, month, district_code))``, so the content does not depend
on the row-group size; events are generated in slices of at most `_SLICE_EVENTS` events, so
memory is bounded by one slice plus one row group (plus the returned dirt log, ~0.6 % of rows).
Parquet has no second unit: the ``timestamp[s]`` columns are stored as milliseconds (whole
seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_path
from jianfu.simulate.frame import Frame
from jianfu.simulate.rollout import (
    EVENT_TYPES,
    EffectModel,
    EventModel,
    HotlineModel,
    month_label,
    panel_months,
    standardised_we,
)

_EVENT_DICT = pa.array(EVENT_TYPES, pa.string())
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("township_code", pa.int64()),
        ("timestamp", pa.timestamp("s")),  # local time (UTC+8), no zone; stored as ms
        ("event_type", pa.dictionary(pa.int8(), pa.string())),
        ("size", pa.int32()),  # pages (document) or minutes (meeting, inspection, report, app task)
    ]
)
HOTLINE_SCHEMA = pa.schema(
    [
        ("ticket_id", pa.int64()),
        ("township_code", pa.int64()),
        ("received", pa.timestamp("s")),
        ("first_response", pa.timestamp("s")),
        ("closed", pa.timestamp("s")),
        ("category", pa.dictionary(pa.int8(), pa.string())),
        ("resolved", pa.bool_()),
        ("satisfaction", pa.int8()),  # 1–5, null when not rated
    ]
)
#: Registry columns written by `write_registry` (latent quantities such as workload_z are not).
REGISTRY_COLUMNS = {
    "districts": [
        "district_code",
        "district_name",
        "district_name_en",
        "type",
        "region_yiqu_liangqun",
        "stratum",
        "n_township_total",
        "pop2020",
    ],
    "townships": [
        "township_code",
        "township_name",
        "district_code",
        "township_type",
        "stratum",
        "cadres",
        "n_villages",
    ],
    "villages": ["village_code", "village_name", "village_type", "township_code", "synthetic"],
}
_STREAM_EVENTS, _STREAM_HOTLINE = 1, 2
_DAY = 86_400


def _block_rng(seed: int, stream: int, month: int, district_code: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(int(seed), spawn_key=(stream, int(month), int(district_code)))
    )


def _share(p, key: str) -> float:
    value = float(p[key])
    if not 0.0 <= value <= 1.0:
        raise JianfuError(f"{key}: a share must lie in [0, 1], got {value}")
    return value


def _intervals(spec, key: str) -> tuple[np.ndarray, np.ndarray]:
    """[[from_hour, to_hour], …] → start seconds and lengths."""
    pairs = np.asarray([[float(a), float(b)] for a, b in spec], dtype=float)
    if (
        pairs.ndim != 2
        or len(pairs) == 0
        or (pairs[:, 0] >= pairs[:, 1]).any()
        or pairs.min() < 0
        or pairs.max() > 24
    ):
        raise JianfuError(f"{key}: expected [[from_hour, to_hour], …] within 0–24")
    return pairs[:, 0] * 3600, (pairs[:, 1] - pairs[:, 0]) * 3600


def _place(u: np.ndarray, intervals: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Map uniforms onto seconds of the day, uniformly over a union of intervals."""
    starts, lengths = intervals
    cum = np.cumsum(lengths)
    x = u * cum[-1]
    j = np.minimum(np.searchsorted(cum, x, side="right"), len(cum) - 1)
    return (starts[j] + x - (cum[j] - lengths[j])).astype(np.int64)


def _calendar(month: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Epoch second of the month's first midnight; day offsets of its weekdays and weekends."""
    first = np.datetime64(month_label(month), "D")
    days = np.arange(first, np.datetime64(month_label(month + 1), "D"))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    offsets = np.arange(len(days))
    return (
        int(first.astype("datetime64[s]").astype(np.int64)),
        offsets[weekday < 5],
        offsets[weekday >= 5],
    )


@dataclass(frozen=True)
class _Clock:
    """When events happen: weekend share, office-hours share and the hour windows."""

    weekend_share: float
    office_share: float
    office: tuple[np.ndarray, np.ndarray]
    off: tuple[np.ndarray, np.ndarray]

    @classmethod
    def from_params(cls, p) -> _Clock:
        return cls(
            _share(p, "weekend_share"),
            _share(p, "office_hours_share"),
            _intervals(p["office_hours"], "events.office_hours"),
            _intervals(p["off_hours"], "events.off_hours"),
        )

    def draw(self, rng: np.random.Generator, n: int, calendar: tuple) -> np.ndarray:
        start, weekdays, weekends = calendar
        u_day, weekend = rng.random(n), rng.random(n) < self.weekend_share
        day = np.where(
            weekend,
            weekends[(u_day * len(weekends)).astype(np.int64)],
            weekdays[(u_day * len(weekdays)).astype(np.int64)],
        )
        office, u = rng.random(n) < self.office_share, rng.random(n)
        second = np.empty(n, dtype=np.int64)
        second[office] = _place(u[office], self.office)
        second[~office] = _place(u[~office], self.off)
        return start + day * _DAY + second


def _typo_codes(rng: np.random.Generator, codes: np.ndarray, registry: np.ndarray) -> np.ndarray:
    """Change one digit (not the leading one) of each code, redrawing until no code is in the
    registry: an unknown unit code, as a mistyped entry gives."""
    out = codes.copy()
    todo = np.arange(len(codes))
    while len(todo):
        original = codes[todo]
        n_digits = np.floor(np.log10(original)).astype(np.int64) + 1
        power = 10 ** (rng.random(len(todo)) * (n_digits - 1)).astype(np.int64)
        old = (original // power) % 10
        new = (old + rng.integers(1, 10, len(todo))) % 10
        out[todo] = original + (new - old) * power
        todo = todo[_in_sorted(out[todo], registry)]
    return out


def _in_sorted(values: np.ndarray, sorted_codes: np.ndarray) -> np.ndarray:
    pos = np.minimum(np.searchsorted(sorted_codes, values), len(sorted_codes) - 1)
    return sorted_codes[pos] == values


@contextmanager
def _parquet_stream(
    path: str | Path,
    schema: pa.Schema,
    row_group_rows: int,
    dictionary_columns: list[str],
    delta_columns: list[str],
) -> Iterator:
    """Yield ``add(batch)``; batches are written in row groups of at least `row_group_rows`.

    zstd compression; dictionary encoding for low-cardinality columns, delta encoding for the
    sorted id and time columns (smaller and faster to write than the defaults).
    """
    if row_group_rows < 1:
        raise JianfuError(f"row_group_rows must be positive, got {row_group_rows}")
    buffer: list[pa.RecordBatch] = []
    buffered = [0]
    with (
        atomic_path(path) as tmp,
        pq.ParquetWriter(
            tmp,
            schema,
            compression="zstd",
            use_dictionary=dictionary_columns,
            column_encoding=dict.fromkeys(delta_columns, "DELTA_BINARY_PACKED"),
        ) as writer,
    ):

        def flush() -> None:
            if buffer:
                table = pa.Table.from_batches(buffer, schema=schema)
                writer.write_table(table, row_group_size=max(len(table), 1))
                buffer.clear()
                buffered[0] = 0

        def add(batch: pa.RecordBatch) -> None:
            buffer.append(batch)
            buffered[0] += batch.num_rows
            if buffered[0] >= row_group_rows:
                flush()

        yield add
        flush()


def _dirt_frame(table: str, found: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """The dirt log (table, id, reason), by reason then id; categorical text columns keep it
    small (a 100-million-event log has ~600,000 dirty rows)."""
    ids = [np.concatenate(parts) if parts else np.empty(0, np.int64) for parts in found.values()]
    reasons = list(found)
    codes = np.repeat(np.arange(len(reasons), dtype=np.int8), [len(i) for i in ids])
    return pd.DataFrame(
        {
            "table": pd.Categorical.from_codes(np.zeros(len(codes), np.int8), [table]),
            "id": np.concatenate(ids).astype(np.int64),
            "reason": pd.Categorical.from_codes(codes, reasons),
        }
    )


def _district_blocks(frame: Frame) -> list[tuple[int, np.ndarray]]:
    """(district code, row positions of its townships) in registry order: the random blocks."""
    towns = frame.townships.reset_index(drop=True)
    return [
        (int(code), np.flatnonzero(towns["district_code"].to_numpy() == code))
        for code in frame.districts["district_code"].to_numpy()
    ]


# --------------------------------------------------------------------------- workload events
def _event_means(frame: Frame, rollout: pd.DataFrame, p):
    months = panel_months(p)
    events = EventModel.from_params(p["events"])
    rate, app_median = events.rates(
        frame, rollout=rollout, months=months, effects=EffectModel.from_params(p["effects"])
    )
    scale = float(p["events_scale"])
    if scale <= 0:
        raise JianfuError(f"events_scale must be positive, got {scale}")
    cadres = frame.townships["cadres"].to_numpy(dtype=float)
    return months, events, scale * cadres[:, None, None] * rate, app_median


#: Events generated at once: a block's townships are cut into consecutive groups of at most this
#: many events (a township is never split), so memory is bounded however dense the log. Part of
#: the generator's definition (it orders the draws), not a memory setting.
_SLICE_EVENTS = 32_768


def _slices(sizes: np.ndarray, limit: int) -> Iterator[slice]:
    """Consecutive groups of townships with at most `limit` events (or a single township)."""
    first, total = 0, 0
    for i, size in enumerate(sizes.tolist()):
        if total and total + size > limit:
            yield slice(first, i)
            first, total = i, 0
        total += size
    yield slice(first, len(sizes))


def _event_slice(
    rng: np.random.Generator,
    counts: np.ndarray,
    town_codes: np.ndarray,
    calendar: tuple,
    median: np.ndarray,
    sigma: np.ndarray,
    clock: _Clock,
    first_id: int,
    rates: tuple[float, float],
    registry: np.ndarray,
) -> tuple[pa.RecordBatch, np.ndarray, np.ndarray]:
    """Events of some townships in one month, sorted by township then time, with their dirt.

    Returns the record batch (duplicates appended at the end) and the ids of the rows given an
    unknown township code and of the duplicated rows.
    """
    n_types = counts.shape[1]
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    n = len(cell)
    position, etype = cell // n_types, (cell % n_types).astype(np.int8)
    stamp = clock.draw(rng, n, calendar)
    size = np.rint(median[etype] * np.exp(sigma[etype] * rng.standard_normal(n)))
    size = np.clip(size, 1, np.iinfo(np.int32).max).astype(np.int32)
    order = np.argsort((position << 32) + (stamp - calendar[0]), kind="stable")
    township, stamp, etype, size = (
        town_codes[position[order]],
        stamp[order],
        etype[order],
        size[order],
    )
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    p_unknown, p_dup = rates
    unknown = rng.random(n) < p_unknown
    township[unknown] = _typo_codes(rng, township[unknown], registry)
    dup = rng.random(n) < p_dup
    cols = [np.concatenate([a, a[dup]]) for a in (ids, township, stamp, etype, size)]
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array(cols[0]),
            pa.array(cols[1]),
            pa.array(cols[2], pa.timestamp("s")),
            pa.DictionaryArray.from_arrays(pa.array(cols[3], pa.int8()), _EVENT_DICT),
            pa.array(cols[4]),
        ],
        schema=EVENTS_SCHEMA,
    )
    return batch, ids[unknown], ids[dup]


def expected_event_count(frame: Frame, rollout: pd.DataFrame, p) -> float:
    """Expected number of events (before dirt) that `write_events` draws with these params.

    Divide a target count by ``expected_event_count / events_scale`` to get the scale for it.
    """
    return float(_event_means(frame, rollout, p)[2].sum())


def write_events(
    frame: Frame,
    rollout: pd.DataFrame,
    p,
    seed: int,
    path: str | Path,
    *,
    row_group_rows: int = 131_072,
) -> dict:
    """Stream the workload event log to Parquet, one row per event.

    Per township i, month m and event type k the count is Poisson with mean
    ``events_scale · cadres_i · rate_ikm`` (`rollout.EventModel.rates`: per-cadre base rate ×
    workload level × seasonality × roll-out multipliers × common shock). Each event gets a day
    (a weekend day with probability ``weekend_share``), a time (office hours with probability
    ``office_hours_share``) and a size ``max(1, rint(log-normal))``: pages for documents, minutes
    for meetings, inspections (on site), report submissions (filling in) and app tasks. Rows come in
    blocks of (month, district), within a block by township (registry order) then time, as
    offices export; ``event_id`` counts the events in file order.

    Dirt (shares of events, params ``dirt``): ``events_unknown_township`` → the township code has
    one digit changed to a code not in the registry; ``events_duplicate`` → the row is appended
    again, identical, after its group of townships (an office exporting twice).

    Parameters
    ----------
    frame, rollout : the registry and `rollout.make_rollout`'s table.
    p : Mapping
        The ``simulate.admin`` params (reads ``months``, ``events_scale``, ``events``,
        ``effects``, ``dirt.events_*``).
    seed : int
        Run seed; block (month, district) streams are spawned from it.
    path : path of the Parquet file (written atomically).
    row_group_rows : int
        Minimum rows per row group (layout and memory only; the rows do not depend on it).

    Returns
    -------
    dict
        ``rows`` written, ``events`` before dirt, ``expected_events``, ``by_type`` counts before
        dirt, and ``dirt``: a DataFrame (table="events", id=event_id, reason in
        {"duplicate", "unknown_township_code"}).
    """
    months, events, lam, app_median = _event_means(frame, rollout, p)
    clock = _Clock.from_params(p["events"])
    p_dup = _share(p["dirt"], "events_duplicate")
    p_unknown = _share(p["dirt"], "events_unknown_township")
    codes = frame.townships["township_code"].to_numpy(dtype=np.int64)
    registry = np.sort(codes)
    app = EVENT_TYPES.index("app_task")
    found: dict[str, list[np.ndarray]] = {"duplicate": [], "unknown_township_code": []}
    by_type = np.zeros(len(EVENT_TYPES), dtype=np.int64)
    next_id, rows = 1, 0
    blocks = _district_blocks(frame)
    with _parquet_stream(
        path,
        EVENTS_SCHEMA,
        row_group_rows,
        ["township_code", "event_type", "size"],
        ["event_id", "timestamp"],
    ) as add:
        for mi, month in enumerate(months):
            calendar = _calendar(month)
            for district, towns in blocks:
                rng = _block_rng(seed, _STREAM_EVENTS, month, district)
                counts = rng.poisson(lam[towns, mi, :])
                by_type += counts.sum(axis=0)
                median = events.size_median.copy()
                median[app] = app_median[towns[0], mi]
                for part in _slices(counts.sum(axis=1), _SLICE_EVENTS):
                    batch, unknown, dup = _event_slice(
                        rng,
                        counts[part],
                        codes[towns][part],
                        calendar,
                        median,
                        events.size_sigma,
                        clock,
                        next_id,
                        (p_unknown, p_dup),
                        registry,
                    )
                    next_id += len(batch) - len(dup)
                    rows += len(batch)
                    found["unknown_township_code"].append(unknown)
                    found["duplicate"].append(dup)
                    add(batch)
    return {
        "rows": rows,
        "events": next_id - 1,
        "expected_events": float(lam.sum()),
        "by_type": dict(zip(EVENT_TYPES, by_type.tolist(), strict=True)),
        "dirt": _dirt_frame("events", found),
    }


# --------------------------------------------------------------------------- 12345 hotline
def township_population(frame: Frame) -> np.ndarray:
    """Residents per township (registry order): the district's 2020 population shared out in
    proportion to the townships' establishment sizes (township populations are not public)."""
    towns = frame.townships
    pop = towns["district_code"].map(frame.districts.set_index("district_code")["pop2020"])
    share = towns["cadres"] / towns.groupby("district_code")["cadres"].transform("sum")
    return (pop * share).to_numpy(dtype=float)


def write_hotline(
    frame: Frame,
    rollout: pd.DataFrame,
    township_we: pd.Series,
    p,
    seed: int,
    path: str | Path,
    *,
    row_group_rows: int = 131_072,
) -> dict:
    """Stream the 12345 hotline tickets to Parquet, one row per ticket.

    Tickets per township-month: Poisson with mean ``tickets_per_10k_residents · population /
    10,000`` (`township_population`). Received: any day of the month, in ``daytime_hours`` with
    probability ``daytime_share``. First response after log-normal hours, resolution and
    satisfaction (rating 4–5) from `rollout.HotlineModel` with the township's z-scored mean work
    engagement (H4) and 一表通's lagged shifts (H6); closed after a further log-normal time.
    Ratings: a share ``rated_share`` of tickets is rated; satisfied tickets rate 5 with
    probability ``rating5_if_satisfied`` (else 4), the others 1/2/3 with ``ratings123_if_not``.

    Dirt (params ``dirt``): ``hotline_closed_before_received`` → closed set 1–72 hours before
    received; ``hotline_missing_satisfaction`` → a given rating is lost (null).

    Parameters
    ----------
    frame, rollout : the registry and `rollout.make_rollout`'s table.
    township_we : pandas.Series
        Mean work engagement by township_code, all townships (z-scored over the frame here).
    p : Mapping
        The ``simulate.admin`` params (reads ``months``, ``hotline``, ``effects``,
        ``dirt.hotline_*``).
    seed : int
    path : path of the Parquet file (written atomically).
    row_group_rows : int
        Minimum rows per row group (layout and memory only).

    Returns
    -------
    dict
        ``rows`` (tickets) and ``dirt``: a DataFrame (table="hotline", id=ticket_id, reason in
        {"closed_before_received", "missing_satisfaction"}).
    """
    months = panel_months(p)
    spec = _TicketSpec.from_params(p["hotline"], p["dirt"])
    we = standardised_we(frame, township_we)
    codes = frame.townships["township_code"].to_numpy(dtype=np.int64)
    district_codes = frame.districts["district_code"].to_numpy(dtype=np.int64)
    shifts = EffectModel.from_params(p["effects"]).hotline_shifts(rollout, district_codes, months)
    lam = spec.model.tickets_per_10k * township_population(frame) / 10_000
    found: dict[str, list[np.ndarray]] = {"closed_before_received": [], "missing_satisfaction": []}
    next_id = 1
    blocks = _district_blocks(frame)
    with _parquet_stream(
        path,
        HOTLINE_SCHEMA,
        row_group_rows,
        ["township_code", "category", "satisfaction"],
        ["ticket_id", "received"],
    ) as add:
        for mi, month in enumerate(months):
            calendar = _calendar(month)
            for di, (district, towns) in enumerate(blocks):
                rng = _block_rng(seed, _STREAM_HOTLINE, month, district)
                idx = np.repeat(towns, rng.poisson(lam[towns]))
                block_shifts = {k: v[di, mi] for k, v in shifts.items()}
                batch, early, lost = _ticket_block(
                    rng, codes[idx], we[idx], block_shifts, calendar, spec, next_id
                )
                next_id += len(batch)
                found["closed_before_received"].append(early)
                found["missing_satisfaction"].append(lost)
                add(batch)
    return {"rows": next_id - 1, "dirt": _dirt_frame("hotline", found)}


@dataclass(frozen=True)
class _TicketSpec:
    """How tickets are drawn beyond the mean model: categories, times, ratings, dirt."""

    model: HotlineModel
    categories: pa.Array
    category_probs: np.ndarray
    daytime_share: float
    daytime: tuple[np.ndarray, np.ndarray]
    close_median: float
    close_sigma: float
    rated_share: float
    rating5: float
    cum_unsatisfied: np.ndarray
    closed_before_received: float
    missing_satisfaction: float

    @classmethod
    def from_params(cls, hp, dirt) -> _TicketSpec:
        names = [str(k) for k in hp["categories"]]
        probs = np.array([float(hp["categories"][k]) for k in names])
        if (probs < 0).any() or abs(probs.sum() - 1) > 1e-9:
            raise JianfuError("hotline.categories: shares must be non-negative and sum to 1")
        unsatisfied = np.asarray(list(hp["ratings123_if_not"]), dtype=float)
        if unsatisfied.shape != (3,) or (unsatisfied < 0).any() or unsatisfied.sum() <= 0:
            raise JianfuError("hotline.ratings123_if_not: three non-negative weights for 1, 2, 3")
        return cls(
            HotlineModel.from_params(hp),
            pa.array(names, pa.string()),
            probs,
            _share(hp, "daytime_share"),
            _intervals([hp["daytime_hours"]], "hotline.daytime_hours"),
            float(hp["close_hours_median"]),
            float(hp["close_hours_sigma"]),
            _share(hp, "rated_share"),
            _share(hp, "rating5_if_satisfied"),
            np.cumsum(unsatisfied) / unsatisfied.sum(),
            _share(dirt, "hotline_closed_before_received"),
            _share(dirt, "hotline_missing_satisfaction"),
        )


_WHOLE_DAY = (np.array([0.0]), np.array([24.0 * 3600]))


def _ticket_block(
    rng: np.random.Generator,
    township: np.ndarray,
    we: np.ndarray,
    shifts: dict[str, float],
    calendar: tuple,
    spec: _TicketSpec,
    first_id: int,
) -> tuple[pa.RecordBatch, np.ndarray, np.ndarray]:
    """One (month, district) block of tickets sorted by time received, with their dirt.

    Returns the record batch and the ids of tickets closed before received and of lost ratings.
    """
    model, n = spec.model, len(township)
    start, weekdays, weekends = calendar
    day = (rng.random(n) * (len(weekdays) + len(weekends))).astype(np.int64)
    in_day, u = rng.random(n) < spec.daytime_share, rng.random(n)
    received = start + day * _DAY + np.where(in_day, _place(u, spec.daytime), _place(u, _WHOLE_DAY))
    category = rng.choice(len(spec.category_probs), size=n, p=spec.category_probs)
    hours = np.exp(
        model.log_response_median(we, shifts["response_log"])
        + model.response_sigma * rng.standard_normal(n)
    )
    first = received + np.rint(hours * 3600).astype(np.int64)
    resolved = rng.random(n) < model.p_resolved(we, shifts["resolution_logit"])
    closed = first + np.rint(
        3600 * spec.close_median * np.exp(spec.close_sigma * rng.standard_normal(n))
    ).astype(np.int64)
    rated = rng.random(n) < spec.rated_share
    satisfied = rng.random(n) < model.p_satisfied(
        we, shifts["satisfaction_logit"], resolved.astype(float)
    )
    u = rng.random(n)
    rating = np.where(
        satisfied,
        np.where(u < spec.rating5, 5, 4),
        1 + np.searchsorted(spec.cum_unsatisfied, u, side="right"),
    )
    order = np.argsort(received, kind="stable")
    township, received, first, closed, category, resolved, rated, rating = (
        a[order] for a in (township, received, first, closed, category, resolved, rated, rating)
    )
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    early = rng.random(n) < spec.closed_before_received
    back = np.rint(3600 * (1 + 71 * rng.random(n))).astype(np.int64)  # 1–72 hours
    closed = np.where(early, received - back, closed)
    lost = rated & (rng.random(n) < spec.missing_satisfaction)
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array(ids),
            pa.array(township),
            pa.array(received, pa.timestamp("s")),
            pa.array(first, pa.timestamp("s")),
            pa.array(closed, pa.timestamp("s")),
            pa.DictionaryArray.from_arrays(pa.array(category, pa.int8()), spec.categories),
            pa.array(resolved),
            pa.array(rating, pa.int8(), mask=~rated | lost),
        ],
        schema=HOTLINE_SCHEMA,
    )
    return batch, ids[early], ids[lost]


# --------------------------------------------------------------------------- registry
def write_registry(frame: Frame, path_prefix: str | Path) -> dict[str, int]:
    """Write the unit registry as ``{path_prefix}districts.parquet``, ``…townships.parquet``,
    ``…villages.parquet`` (columns `REGISTRY_COLUMNS`; no latent quantities); return row counts.

    `path_prefix` is a string prefix (``"data/raw/admin/registry_"``); an existing directory
    means the files go inside it (``districts.parquet`` …).
    """
    if Path(path_prefix).is_dir():
        path_prefix = f"{Path(path_prefix)}/"
    out = {}
    for name, columns in REGISTRY_COLUMNS.items():
        table = getattr(frame, name)
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise JianfuError(f"registry table {name}: missing column(s) {missing}")
        arrow = pa.Table.from_pandas(table[columns], preserve_index=False)
        with atomic_path(f"{path_prefix}{name}.parquet") as tmp:
            pq.write_table(arrow.replace_schema_metadata(None), tmp, compression="zstd")
        out[name] = len(table)
    return out
