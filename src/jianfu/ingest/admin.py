"""Schema validation of the office records, with a quarantine and exact accounting.

The offices send three tables: the workload event log, the 12345 hotline tickets and the
policy roll-out by district (docs/dgp_admin.md describes the simulated ones). Before any count
or model uses them, every row is checked against written rules, and each row ends up in exactly
one of two files:

* the **clean** file: the rows that pass every rule, with their values converted to the
  expected types, in the order of the source file;
* the **quarantine** file: the other rows exactly as found in the file, with ``source_row``
  (1 = the first data row) and ``reasons``, every rule the row breaks, ``;``-joined in the
  order of `REASONS`. Nothing is dropped silently, and nothing is repaired: a researcher reads
  the quarantine and decides.

What is checked, and why:

* **Types.** A value that is absent is ``missing_<column>``; a value that cannot be read as the
  expected type (text in a time column, ``1.5`` as an id) is ``invalid_<column>``. Types are
  converted, not guessed: whole numbers from integer, float or text columns, date-times from
  TIMESTAMP / DATE columns or ISO text, true/false from BOOLEAN, 0/1 or text (true/false,
  是/否). Time-zone-aware times are converted to China Standard Time, the offices' local time.
* **Units.** Township and district codes must be in the unit registry: a mistyped code would
  otherwise form a spurious unit of its own (``unknown_township_code``, ``unknown_district_code``).
* **Window.** Events and tickets received outside the study months (params ``months``) do not
  belong to the panel. Tickets may be answered and closed up to ``hotline.days_after_window``
  days after it (a ticket received on 31 December is closed in January).
* **Sets and ranges.** Event types, hotline categories and measures must be known; sizes
  (pages, minutes) must be positive and credible (``events.size_max`` per type); satisfaction
  ratings lie on the 12345 scale (``hotline.satisfaction_range``).
* **Order of a ticket's times.** received ≤ first response ≤ closed; each broken comparison is
  its own reason, so a ticket closed before it was received is usually also closed before its
  first response.
* **One row per id.** An exact copy of an earlier row (an office exporting twice) is quarantined
  as ``duplicate_*`` and the first row is kept; rows that share an id but differ anywhere are
  all quarantined as ``conflicting_*``: which one is right cannot be decided here.

Missing values that are allowed are kept, not quarantined: a ticket's first response (not
every ticket has one recorded), a satisfaction rating (not every caller rates; the clean file
flags it in ``satisfaction_missing``, because a lost rating cannot be told from one never given)
and a measure's adoption month (never adopted).

What is the user's and stops the run with a `JianfuError` naming the file, the column and what
is expected: a missing file, a file that is neither Parquet nor CSV, a CSV that is not UTF-8
(offices' spreadsheets are often GBK), a malformed CSV, a missing required column, a column of a
type that cannot hold the expected values (a BOOLEAN time column), and a column none of whose
values can be read (every time written ``2024年3月1日``).

Engine. The rules are SQL run by DuckDB straight from the Parquet file (a CSV is first copied
into a Parquet file with its row numbers), streaming with a memory limit and spilling to a
temporary folder beside the outputs (params ``engine``). Only the rows that break a rule are
held in a table of their own; the clean file is the source minus those rows. Outputs are
byte-identical across runs: every output is written with ``ORDER BY source_row`` (without it,
DuckDB's row groups depend on how threads share the work; with it, the same bytes come out
for 1, 2 or 4 threads), with fixed compression and row-group size, and the process' time zone
does not enter. The invariant rows_in = rows_clean + rows_quarantined is checked by counting
the rows of the files written, before they are moved into place.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_path

#: What each quarantine reason means, by table, in the order reasons are listed in a row.
REASONS: dict[str, dict[str, str]] = {
    "events": {
        "missing_event_id": "no event id",
        "invalid_event_id": "the event id is not a whole number",
        "missing_township_code": "no township code",
        "invalid_township_code": "the township code is not a whole number",
        "missing_timestamp": "no time",
        "invalid_timestamp": "the time is not a date-time",
        "missing_event_type": "no event type",
        "missing_size": "no size",
        "invalid_size": "the size is not a whole number",
        "unknown_township_code": "the township code is not in the unit registry",
        "timestamp_outside_window": "the event happened outside the study months",
        "unknown_event_type": "the event type is not one of events.size_max",
        "size_not_positive": "the size (pages or minutes) is zero or negative",
        "size_above_maximum": "the size is above the credible maximum of its type",
        "duplicate_event": "an exact copy of an earlier row (the earlier row is kept)",
        "conflicting_event_id": "the event id is on other rows with different content",
    },
    "hotline": {
        "missing_ticket_id": "no ticket id",
        "invalid_ticket_id": "the ticket id is not a whole number",
        "missing_township_code": "no township code",
        "invalid_township_code": "the township code is not a whole number",
        "missing_received": "no time received",
        "invalid_received": "the time received is not a date-time",
        "invalid_first_response": "the time of first response is not a date-time",
        "missing_closed": "no time closed",
        "invalid_closed": "the time closed is not a date-time",
        "missing_category": "no category",
        "missing_resolved": "no resolved / not resolved",
        "invalid_resolved": "resolved is not true/false",
        "invalid_satisfaction": "the satisfaction rating is not a whole number",
        "unknown_township_code": "the township code is not in the unit registry",
        "received_outside_window": "received outside the study months",
        "first_response_outside_window": "first response before the study months or too long "
        "after them (hotline.days_after_window)",
        "closed_outside_window": "closed before the study months or too long after them",
        "response_before_received": "first response before the ticket was received",
        "closed_before_received": "closed before the ticket was received",
        "closed_before_response": "closed before the first response",
        "unknown_category": "the category is not one of hotline.categories",
        "satisfaction_out_of_range": "the rating is outside hotline.satisfaction_range",
        "duplicate_ticket": "an exact copy of an earlier row (the earlier row is kept)",
        "conflicting_ticket_id": "the ticket id is on other rows with different content",
    },
    "rollout": {
        "missing_district_code": "no district code",
        "invalid_district_code": "the district code is not a whole number",
        "missing_measure": "no measure",
        "invalid_adoption_month": "the adoption month is not YYYY-MM",
        "unknown_district_code": "the district code is not in the district registry",
        "unknown_measure": "the measure is not one of rollout.measures",
        "duplicate_rollout_row": "an exact copy of an earlier row (the earlier row is kept)",
        "conflicting_district_measure": "another row for the same district and measure differs",
    },
}

#: Columns the outputs add; a source file may not use these names (nor ``given_<column>``).
RESERVED = ("source_row", "reasons", "file_row_number")

_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
_INTEGER |= {f"U{t}" for t in _INTEGER}
_FLOAT = {"FLOAT", "DOUBLE"}
_TIMES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
_TIME_ZONED = "TIMESTAMP WITH TIME ZONE"
_LOCAL_TIME_ZONE = "Asia/Shanghai"  # the offices' local time (UTC+8, no daylight saving)
_EXPECTED = {
    "integer": "a whole number (an integer column, or text such as 500101001)",
    "timestamp": "a date-time (a TIMESTAMP or DATE column, or text such as 2024-03-01 09:30:00)",
    "text": "text (a VARCHAR column)",
    "boolean": "true/false (a BOOLEAN column, 0/1, or text true/false or 是/否)",
    "month": "a month (text YYYY-MM such as 2024-03, or a DATE column)",
}
_SQL_TYPE = {
    "integer": "BIGINT",
    "timestamp": "TIMESTAMP",
    "text": "VARCHAR",
    "boolean": "BOOLEAN",
    "month": "VARCHAR",
}
_TRUE, _FALSE = ("true", "t", "yes", "y", "1", "是"), ("false", "f", "no", "n", "0", "否")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"


# --------------------------------------------------------------------------- table specs
@dataclass(frozen=True)
class _Column:
    """A required column: its name, the kind of value, and whether a missing value is allowed."""

    name: str
    kind: str  # a key of _EXPECTED
    optional: bool = False
    clean_type: str | None = None  # SQL type in the clean file, if narrower than the kind's


@dataclass(frozen=True)
class _Rule:
    """A quarantine reason and the SQL condition (on the converted row) that breaks the rule."""

    reason: str
    broken: str


@dataclass(frozen=True)
class _Table:
    """What one office table must look like (see the module docstring)."""

    name: str
    columns: tuple[_Column, ...]
    key: tuple[str, ...]
    rules: tuple[_Rule, ...]
    duplicate: str
    conflict: str
    flags: tuple[tuple[str, str], ...] = ()  # (column added to clean rows, SQL)


@dataclass(frozen=True)
class _Window:
    """The study months as a half-open interval of times, [start, end)."""

    start: str
    end: str

    @classmethod
    def from_params(cls, months) -> _Window:
        first, last = _month(months["first"], "months.first"), _month(months["last"], "months.last")
        if first > last:
            raise JianfuError(f"params.yaml: ingest.admin.months: first {first} after last {last}")
        year, month = divmod(last[0] * 12 + last[1], 12)  # the month after `last`
        return cls(f"{first[0]:04d}-{first[1]:02d}-01", f"{year:04d}-{month + 1:02d}-01")

    def outside(self, column: str, days_after: int = 0) -> str:
        end = f"TIMESTAMP '{self.end}'" + (f" + INTERVAL {days_after} DAY" if days_after else "")
        return f"{column} < TIMESTAMP '{self.start}' OR {column} >= {end}"


def _month(value, key: str) -> tuple[int, int]:
    match = _MONTH.fullmatch(str(value))
    if not match:
        raise JianfuError(f"params.yaml: ingest.admin.{key}: expected YYYY-MM, got {value!r}")
    return int(match[1]), int(match[2])


def _events_table(p) -> _Table:
    window = _Window.from_params(p["months"])
    return _Table(
        name="events",
        columns=(
            _Column("event_id", "integer"),
            _Column("township_code", "integer"),
            _Column("timestamp", "timestamp"),
            _Column("event_type", "text"),
            _Column("size", "integer", clean_type="INTEGER"),
        ),
        key=("event_id",),
        rules=(
            _Rule("unknown_township_code", "township_code NOT IN (SELECT code FROM known_units)"),
            _Rule("timestamp_outside_window", window.outside("timestamp")),
            _Rule("unknown_event_type", "event_type NOT IN (SELECT event_type FROM event_types)"),
            _Rule("size_not_positive", "size <= 0"),
            _Rule(
                "size_above_maximum",
                "size > (SELECT size_max FROM event_types AS t"
                " WHERE t.event_type = typed.event_type)",
            ),
        ),
        duplicate="duplicate_event",
        conflict="conflicting_event_id",
    )


def _hotline_table(p) -> _Table:
    window = _Window.from_params(p["months"])
    p = p["hotline"]
    late = _positive_int(p["days_after_window"], "hotline.days_after_window", zero=True)
    low, high = _range(p["satisfaction_range"])
    return _Table(
        name="hotline",
        columns=(
            _Column("ticket_id", "integer"),
            _Column("township_code", "integer"),
            _Column("received", "timestamp"),
            _Column("first_response", "timestamp", optional=True),
            _Column("closed", "timestamp"),
            _Column("category", "text"),
            _Column("resolved", "boolean"),
            _Column("satisfaction", "integer", optional=True, clean_type="TINYINT"),
        ),
        key=("ticket_id",),
        rules=(
            _Rule("unknown_township_code", "township_code NOT IN (SELECT code FROM known_units)"),
            _Rule("received_outside_window", window.outside("received")),
            _Rule("first_response_outside_window", window.outside("first_response", late)),
            _Rule("closed_outside_window", window.outside("closed", late)),
            _Rule("response_before_received", "first_response < received"),
            _Rule("closed_before_received", "closed < received"),
            _Rule("closed_before_response", "closed < first_response"),
            _Rule("unknown_category", "category NOT IN (SELECT category FROM categories)"),
            _Rule("satisfaction_out_of_range", f"satisfaction NOT BETWEEN {low} AND {high}"),
        ),
        duplicate="duplicate_ticket",
        conflict="conflicting_ticket_id",
        flags=(("satisfaction_missing", "satisfaction IS NULL"),),
    )


def _rollout_table() -> _Table:  # no rule on time: the months are not read
    return _Table(
        name="rollout",
        columns=(
            _Column("district_code", "integer"),
            _Column("measure", "text"),
            _Column("adoption_month", "month", optional=True),
        ),
        key=("district_code", "measure"),
        rules=(
            _Rule("unknown_district_code", "district_code NOT IN (SELECT code FROM known_units)"),
            _Rule("unknown_measure", "measure NOT IN (SELECT measure FROM measures)"),
        ),
        duplicate="duplicate_rollout_row",
        conflict="conflicting_district_measure",
    )


def _positive_int(value, key: str, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        need = "a whole number ≥ 0" if zero else "a positive whole number"
        raise JianfuError(f"params.yaml: ingest.admin.{key}: expected {need}, got {value!r}")
    return value


def _range(value) -> tuple[int, int]:
    pair = list(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair) or pair[0] > pair[1]:
        raise JianfuError(
            f"params.yaml: ingest.admin.hotline.satisfaction_range: expected [lowest, highest], "
            f"got {value!r}"
        )
    return pair[0], pair[1]


def _names(value, key: str) -> list[str]:
    names = [str(v) for v in value]
    if not names or len(set(names)) != len(names):
        raise JianfuError(f"params.yaml: ingest.admin.{key}: expected a list of distinct names")
    return names


# --------------------------------------------------------------------------- public API
def validate_events(
    src: str | Path,
    registry_townships: str | Path,
    clean_out: str | Path,
    quarantine_out: str | Path,
    p: Mapping,
) -> dict:
    """Check the workload event log; write the clean rows and the quarantined rows.

    Rules (reasons in `REASONS` ``["events"]``): ``event_id``, ``township_code`` whole numbers,
    ``timestamp`` a date-time within ``months``, ``event_type`` a key of ``events.size_max``,
    ``0 < size ≤ events.size_max[event_type]``, the township code in the registry, one row per
    ``event_id`` (exact copies after the first: ``duplicate_event``; differing rows:
    ``conflicting_event_id``, all of them).

    Parameters
    ----------
    src : Parquet or CSV (UTF-8) file with columns event_id, township_code, timestamp,
        event_type, size; other columns are carried along.
    registry_townships : the township registry (Parquet or CSV) with a ``township_code``
        column, or a CSV with a single column of codes.
    clean_out, quarantine_out : Parquet files to write (atomically).
    p : Mapping
        The ``ingest.admin`` params: reads ``months.first``, ``months.last``,
        ``engine.threads``, ``engine.memory_limit`` and ``events.size_max``.

    Returns
    -------
    dict
        ``table``, ``rows_in``, ``rows_clean``, ``rows_quarantined`` (counted in the files
        written; rows_in = rows_clean + rows_quarantined is checked), ``by_reason`` (rows per
        reason, every reason listed), ``flags``, ``extra_columns``.

    Raises
    ------
    JianfuError
        A missing or unreadable file, a missing column, a column of the wrong type.
    """
    sizes = p["events"]["size_max"]
    limits = [(str(k), _positive_int(sizes[k], f"events.size_max.{k}")) for k in sizes]
    if not limits or any(v >= 2**31 for _, v in limits):
        raise JianfuError("params.yaml: ingest.admin.events.size_max: event type → maximum < 2^31")

    def lookups(con: duckdb.DuckDBPyConnection, work: Path) -> None:
        _load_codes(con, registry_townships, "township_code", "township registry", work)
        con.execute("CREATE TEMP TABLE event_types (event_type VARCHAR, size_max BIGINT)")
        con.executemany("INSERT INTO event_types VALUES (?, ?)", limits)

    return _validate(_events_table(p), src, clean_out, quarantine_out, p, lookups)


def validate_hotline(
    src: str | Path,
    registry_townships: str | Path,
    clean_out: str | Path,
    quarantine_out: str | Path,
    p: Mapping,
) -> dict:
    """Check the 12345 hotline tickets; write the clean rows and the quarantined rows.

    Rules (reasons in `REASONS` ``["hotline"]``): ``ticket_id`` unique (as for events),
    ``township_code`` in the registry, ``received`` within ``months``, ``first_response``
    (may be missing) and ``closed`` no earlier than the window and at most
    ``hotline.days_after_window`` days after it, received ≤ first_response ≤ closed,
    ``category`` in ``hotline.categories``, ``resolved`` true/false, ``satisfaction`` within
    ``hotline.satisfaction_range`` or missing. A missing rating is kept and flagged in the clean
    column ``satisfaction_missing``: the file cannot tell a lost rating from one never given.

    Parameters
    ----------
    src : Parquet or CSV file with columns ticket_id, township_code, received, first_response,
        closed, category, resolved, satisfaction.
    registry_townships, clean_out, quarantine_out : as in `validate_events`.
    p : Mapping
        The ``ingest.admin`` params: reads ``months``, ``engine`` and ``hotline.categories``,
        ``hotline.satisfaction_range``, ``hotline.days_after_window``.

    Returns
    -------
    dict
        As `validate_events`; ``flags`` = {"satisfaction_missing": clean rows without a rating}.
    """
    categories = _names(p["hotline"]["categories"], "hotline.categories")

    def lookups(con: duckdb.DuckDBPyConnection, work: Path) -> None:
        _load_codes(con, registry_townships, "township_code", "township registry", work)
        con.execute("CREATE TEMP TABLE categories (category VARCHAR)")
        con.executemany("INSERT INTO categories VALUES (?)", [[c] for c in categories])

    return _validate(_hotline_table(p), src, clean_out, quarantine_out, p, lookups)


def validate_rollout(
    src: str | Path,
    registry_districts: str | Path,
    clean_out: str | Path,
    quarantine_out: str | Path,
    p: Mapping,
) -> dict:
    """Check the roll-out table (one row per district × measure); write clean and quarantine.

    Rules (reasons in `REASONS` ``["rollout"]``): ``district_code`` in the district registry,
    ``measure`` in ``rollout.measures``, ``adoption_month`` a month YYYY-MM or missing (never
    adopted; kept), at most one row per district × measure (exact copies after the first:
    ``duplicate_rollout_row``; differing rows: ``conflicting_district_measure``, all of them).
    The clean ``adoption_month`` is text YYYY-MM, as the simulator writes it.

    Parameters
    ----------
    src : Parquet or CSV file with columns district_code, measure, adoption_month.
    registry_districts : the district registry with a ``district_code`` column (or a CSV with
        a single column of codes).
    clean_out, quarantine_out : Parquet files to write (atomically).
    p : Mapping
        The ``ingest.admin`` params: reads ``engine`` and ``rollout.measures`` (no rule is
        about time: an adoption before the study months means always treated).

    Returns
    -------
    dict
        As `validate_events`.
    """
    measures = _names(p["rollout"]["measures"], "rollout.measures")

    def lookups(con: duckdb.DuckDBPyConnection, work: Path) -> None:
        _load_codes(con, registry_districts, "district_code", "district registry", work)
        con.execute("CREATE TEMP TABLE measures (measure VARCHAR)")
        con.executemany("INSERT INTO measures VALUES (?)", [[m] for m in measures])

    return _validate(_rollout_table(), src, clean_out, quarantine_out, p, lookups)


# --------------------------------------------------------------------------- the run
def _validate(
    table: _Table,
    src: str | Path,
    clean_out: str | Path,
    quarantine_out: str | Path,
    p: Mapping,
    lookups: Callable[[duckdb.DuckDBPyConnection, Path], None],
) -> dict:
    threads = _positive_int(p["engine"]["threads"], "engine.threads")
    memory_limit = str(p["engine"]["memory_limit"])
    src, clean_out, quarantine_out = Path(src), Path(clean_out), Path(quarantine_out)
    if clean_out.resolve() == quarantine_out.resolve():
        raise JianfuError(f"{table.name}: the clean and quarantine outputs are the same file")
    clean_out.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".jianfu-duckdb-", dir=clean_out.parent) as work,
        duckdb.connect(":memory:") as con,
    ):
        try:
            con.execute(f"SET memory_limit = {_literal(memory_limit)}")
        except duckdb.Error as exc:
            raise JianfuError(
                f"params.yaml: ingest.admin.engine.memory_limit: {memory_limit!r} is not a "
                f"memory size such as 2GB ({exc})"
            ) from exc
        con.execute(f"SET threads = {threads}")
        con.execute(f"SET temp_directory = {_literal(work)}")
        con.execute(f"SET TimeZone = '{_LOCAL_TIME_ZONE}'")
        con.execute("SET enable_progress_bar = false")
        types = _open(con, src, "file_rows", Path(work), table.name)
        conversions = _check_columns(table, types, src)
        lookups(con, Path(work))
        con.execute(_typed_sql(table, types, conversions))
        # Finding the problem rows: the order of rows does not matter here.
        con.execute("SET preserve_insertion_order = false")
        con.execute(_repeats_sql(table, types))
        con.execute(_problems_sql(table))
        _check_convertible(con, table, conversions, src)
        # Writing: every output is ordered by source_row, so the bytes do not depend on threads.
        con.execute("SET preserve_insertion_order = true")
        with ExitStack() as stack:
            tmp_clean = stack.enter_context(atomic_path(clean_out))
            tmp_quarantine = stack.enter_context(atomic_path(quarantine_out))
            con.execute(_clean_sql(table, types, tmp_clean))
            con.execute(_quarantine_sql(tmp_quarantine))
            report = _account(con, table, types, tmp_clean, tmp_quarantine)
    return report


def _account(con, table: _Table, types: dict[str, str], clean: Path, quarantine: Path) -> dict:
    """Count the rows of the files written and check that every source row is in exactly one."""
    rows_in = con.execute("SELECT count(*) FROM file_rows").fetchone()[0]
    rows_clean = con.execute(f"SELECT count(*) FROM read_parquet({_literal(clean)})").fetchone()[0]
    rows_q, distinct_q = con.execute(
        f"SELECT count(*), count(DISTINCT source_row) FROM read_parquet({_literal(quarantine)})"
    ).fetchone()
    if rows_in != rows_clean + rows_q or distinct_q != rows_q:
        raise RuntimeError(
            f"{table.name}: accounting failed: {rows_in} rows in, {rows_clean} clean + "
            f"{rows_q} quarantined ({distinct_q} distinct source rows); outputs not written"
        )
    counts = dict(
        con.execute(
            f"""
            SELECT reason, count(*)
            FROM (SELECT unnest(string_split(reasons, ';')) AS reason
                  FROM read_parquet({_literal(quarantine)}))
            GROUP BY reason
            """
        ).fetchall()
    )
    unexpected = set(counts) - set(REASONS[table.name])
    if unexpected:
        raise RuntimeError(f"{table.name}: reasons not in REASONS: {sorted(unexpected)}")
    flags = {}
    for name, _ in table.flags:
        flags[name] = con.execute(
            f"SELECT count_if({_ident(name)}) FROM read_parquet({_literal(clean)})"
        ).fetchone()[0]
    required = {c.name for c in table.columns}
    return {
        "table": table.name,
        "rows_in": rows_in,
        "rows_clean": rows_clean,
        "rows_quarantined": rows_q,
        "by_reason": {reason: counts.get(reason, 0) for reason in REASONS[table.name]},
        "flags": flags,
        "extra_columns": [c for c in types if c not in required and c != "source_row"],
    }


# --------------------------------------------------------------------------- reading files
def _file_kind(path: Path, label: str) -> str:
    """'parquet' or 'csv', from the name and the first bytes; a JianfuError otherwise."""
    if not path.exists():
        raise JianfuError(f"{path}: {label} file not found")
    if not path.is_file():
        raise JianfuError(f"{path}: {label}: expected a file, found a directory")
    with path.open("rb") as f:
        magic = f.read(4)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq") or (magic == b"PAR1" and suffix not in (".csv", ".tsv")):
        if magic != b"PAR1":
            raise JianfuError(f"{path}: {label}: not a Parquet file (it does not start with PAR1)")
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".xlsx", ".xls", ".et"):
        raise JianfuError(
            f"{path}: {label}: a spreadsheet workbook; save the sheet as 'CSV UTF-8' or Parquet"
        )
    raise JianfuError(f"{path}: {label}: expected a Parquet (.parquet) or CSV (.csv) file")


def _open(con, path: Path, view: str, work: Path, label: str) -> dict[str, str]:
    """Create `view` over the file: ``source_row`` (1 = first data row) and its columns as read.

    Parquet is read in place; a CSV (UTF-8, header row, every cell read as text) is copied once
    into a Parquet file in `work` with its row numbers. Returns column → DuckDB type.
    """
    kind = _file_kind(path, label)
    try:
        if kind == "parquet":
            columns = [
                r[0]
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})"
                ).fetchall()
            ]
            _check_reserved(columns, path)
            con.execute(
                f"""
                CREATE TEMP VIEW {view} AS
                SELECT file_row_number + 1 AS source_row, * EXCLUDE (file_row_number)
                FROM read_parquet({_literal(path)}, file_row_number = true)
                """
            )
        else:
            header = _csv_header(path, label)
            _check_reserved(header, path)
            staged = work / f"{view}.parquet"
            columns = "{" + ", ".join(f"{_literal(h)}: 'VARCHAR'" for h in header) + "}"
            delim = "\\t" if path.suffix.lower() == ".tsv" else ","
            con.execute("SET preserve_insertion_order = true")  # row_number() OVER () = file order
            con.execute(
                f"""
                COPY (
                    SELECT row_number() OVER () AS source_row, *
                    FROM read_csv({_literal(path)}, header = true, delim = '{delim}',
                                  quote = '"', escape = '"', strict_mode = true,
                                  auto_detect = false, columns = {columns})
                ) TO {_literal(staged)} ({_PARQUET_OPTIONS})
                """
            )
            con.execute(
                f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({_literal(staged)})"
            )
        described = con.execute(f"DESCRIBE {view}").fetchall()
    except duckdb.Error as exc:
        message = str(exc)
        if "unicode" in message.lower():
            raise JianfuError(_encoding_problem(path, label)) from exc
        # DuckDB's advice ("Possible fixes: ...") names reader options the user cannot set
        message = message.split("Possible")[0].strip()
        raise JianfuError(f"{path}: {label}: cannot be read as {kind}: {message}") from exc
    return {name: dtype for name, dtype, *_ in described}


def _check_reserved(columns: list[str], path: Path) -> None:
    clash = [c for c in columns if c in RESERVED]
    if clash:
        raise JianfuError(
            f"{path}: column name(s) {clash} are used by the outputs; rename them in the file"
        )


def _csv_header(path: Path, label: str) -> list[str]:
    """The header row of a UTF-8 CSV (a byte-order mark is allowed), names stripped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            header = next(csv.reader(f, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise JianfuError(_encoding_problem(path, label)) from exc
    if not header:
        raise JianfuError(f"{path}: {label}: empty file (expected a header row)")
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated or "" in names:
        raise JianfuError(f"{path}: {label}: blank or repeated column names in the header: {names}")
    return names


def _encoding_problem(path: Path, label: str) -> str:
    """Where the file stops being UTF-8, and a guess at what it is."""
    pending, done, line = b"", 0, 1
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            data = pending + chunk
            try:
                data.decode("utf-8")
                pending = b""
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data":
                    pending = data[exc.start :]
                    data = data[: exc.start]
                else:
                    line += data.count(b"\n", 0, exc.start)
                    snippet = data[exc.start : exc.start + 40]
                    guess = _looks_like_gb18030(snippet)
                    return (
                        f"{path}: {label}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                        f"offset {done + exc.start}, line {line}){guess}. Save the file as "
                        f"'CSV UTF-8' in Excel / WPS, or convert it: "
                        f"iconv -f GB18030 -t UTF-8 in.csv > out.csv"
                    )
            line += data.count(b"\n")
            done += len(data)
    if pending:
        return f"{path}: {label}: not UTF-8 text (an incomplete character at the end of the file)"
    return f"{path}: {label}: the CSV reader found text that is not valid UTF-8"


def _looks_like_gb18030(snippet: bytes) -> str:
    for cut in range(4):  # the snippet may end inside a character
        try:
            text = codecs.decode(snippet[: len(snippet) - cut], "gb18030")
        except UnicodeDecodeError:
            continue
        if re.search(r"[\u4e00-\u9fff]", text):
            return f"; it reads as GBK / GB18030 Chinese ({text.splitlines()[0][:12]!r})"
    return ""


def _load_codes(con, path: str | Path, column: str, label: str, work: Path) -> None:
    """The registry's codes as the temp table ``known_units(code)``; a JianfuError if unusable."""
    path = Path(path)
    types = _open(con, path, "registry_rows", work, label)
    names = [c for c in types if c != "source_row"]
    if column not in names:
        if _file_kind(path, label) == "csv" and len(names) == 1:
            column = names[0]
        else:
            raise JianfuError(f"{path}: {label}: no column '{column}' (found {names})")
    code, given, _ = _convert(_Column(column, "integer"), types[column], path)
    bad = con.execute(
        f"""
        SELECT source_row, CAST({_ident(column)} AS VARCHAR)
        FROM registry_rows WHERE NOT ({given}) OR ({code}) IS NULL
        ORDER BY source_row LIMIT 3
        """
    ).fetchall()
    if bad:
        shown = ", ".join(f"row {r}: {v!r}" for r, v in bad)
        raise JianfuError(
            f"{path}: {label}: column '{column}': {_EXPECTED['integer']}, got {shown}"
        )
    con.execute(
        f"CREATE TEMP TABLE known_units AS SELECT DISTINCT {code} AS code FROM registry_rows"
    )
    if con.execute("SELECT count(*) FROM known_units").fetchone()[0] == 0:
        raise JianfuError(f"{path}: {label}: no codes")


# --------------------------------------------------------------------------- columns and types
def _check_columns(table: _Table, types: dict[str, str], path: Path) -> dict[str, tuple]:
    """Every required column is there with a usable type; return column → conversion SQL."""
    names = {c.name for c in table.columns}
    reserved = {f"given_{n}" for n in names} | {name for name, _ in table.flags}
    clash = [c for c in types if c in reserved]
    if clash:
        raise JianfuError(
            f"{path}: column name(s) {clash} are used by the outputs; rename them in the file"
        )
    missing = [c.name for c in table.columns if c.name not in types]
    if missing:
        expected = ", ".join(c.name for c in table.columns)
        found = [c for c in types if c != "source_row"]
        hint = [f for f in found if f.lower() in {m.lower() for m in missing}]
        near = f"; {hint} differ only in upper/lower case" if hint else ""
        raise JianfuError(
            f"{path}: {table.name}: missing required column(s) {missing} "
            f"(expected {expected}; found {found}{near})"
        )
    return {c.name: _convert(c, types[c.name], path) for c in table.columns}


def _convert(column: _Column, source_type: str, path: Path) -> tuple[str, str, bool]:
    """SQL converting `column` to its kind, SQL telling whether the file gives a value, and
    whether the conversion can fail on a given value. A JianfuError if the type cannot hold it."""
    x, kind = _ident(column.name), column.kind
    if source_type in ("NULL", '"NULL"'):  # a column with no value at all (Parquet null type)
        return f"CAST(NULL AS {_SQL_TYPE[kind]})", "false", False
    text = source_type == "VARCHAR"
    given = f"nullif(trim({x}), '') IS NOT NULL" if text else f"{x} IS NOT NULL"
    integer, number = (
        source_type in _INTEGER,
        source_type in _FLOAT or source_type.startswith("DECIMAL"),
    )
    time = source_type in _TIMES or source_type == _TIME_ZONED
    sql = None
    if kind == "integer":
        if integer:
            sql = f"TRY_CAST({x} AS BIGINT)"
        elif number:
            sql = f"CASE WHEN {x} = trunc({x}) THEN TRY_CAST({x} AS BIGINT) END"
        elif text:
            sql = f"TRY_CAST(regexp_extract(trim({x}), '^([+-]?[0-9]+)(\\.0*)?$', 1) AS BIGINT)"
    elif kind == "timestamp":
        if time:  # a zoned time becomes local time (the session's time zone)
            sql = f"CAST({x} AS TIMESTAMP)"
        elif text:
            sql = f"CAST(TRY_CAST(trim({x}) AS TIMESTAMPTZ) AS TIMESTAMP)"
    elif kind == "text":
        if text or source_type.startswith("ENUM"):
            sql = f"nullif(trim(CAST({x} AS VARCHAR)), '')"
    elif kind == "boolean":
        if source_type == "BOOLEAN":
            sql = x
        elif integer:
            sql = f"CASE {x} WHEN 1 THEN true WHEN 0 THEN false END"
        elif text:
            yes, no = ", ".join(map(_literal, _TRUE)), ", ".join(map(_literal, _FALSE))
            sql = (
                f"CASE WHEN lower(trim({x})) IN ({yes}) THEN true "
                f"WHEN lower(trim({x})) IN ({no}) THEN false END"
            )
    elif kind == "month":
        if text:
            sql = (
                f"CASE WHEN regexp_full_match(trim({x}), '[0-9]{{4}}-(0[1-9]|1[0-2])') "
                f"THEN trim({x}) END"
            )
        elif time:
            sql = f"strftime(CAST({x} AS TIMESTAMP), '%Y-%m')"
    if sql is None:
        raise JianfuError(
            f"{path}: column '{column.name}' has type {source_type}; expected {_EXPECTED[kind]}"
        )
    can_fail = kind != "text" and not (source_type == "BOOLEAN" or (integer and kind == "integer"))
    can_fail = can_fail and not (time and kind in ("timestamp", "month"))
    return sql, given, can_fail


def _check_convertible(con, table: _Table, conversions: dict[str, tuple], path: Path) -> None:
    """A column none of whose given values converts is the wrong column or format: stop."""
    for name, (_, given, can_fail) in conversions.items():
        if not can_fail:
            continue
        reason = f"invalid_{name}"
        n_given, n_invalid = con.execute(
            f"""
            SELECT (SELECT count_if({given}) FROM file_rows),
                   (SELECT count(*) FROM problems
                    WHERE list_contains(string_split(reasons, ';'), {_literal(reason)}))
            """
        ).fetchone()
        if n_given and n_given == n_invalid:
            kind = next(c.kind for c in table.columns if c.name == name)
            shown = con.execute(
                f"""
                SELECT source_row, CAST({_ident(name)} AS VARCHAR) FROM file_rows
                WHERE {given} ORDER BY source_row LIMIT 3
                """
            ).fetchall()
            examples = ", ".join(f"{v!r} (row {r})" for r, v in shown)
            raise JianfuError(
                f"{path}: column '{name}': none of its {n_given:,} values is {_EXPECTED[kind]}; "
                f"first values: {examples}"
            )


# --------------------------------------------------------------------------- the SQL
def _typed_sql(table: _Table, types: dict[str, str], conversions: dict[str, tuple]) -> str:
    required = [c.name for c in table.columns]
    converted = ",\n    ".join(f"{sql} AS {_ident(n)}" for n, (sql, _, _) in conversions.items())
    given = ",\n    ".join(f"{g} AS {_ident('given_' + n)}" for n, (_, g, _) in conversions.items())
    extras = [_ident(c) for c in types if c not in required and c != "source_row"]
    kept = ",\n    -- the file's other columns, as they are\n    " + ",\n    ".join(extras)
    return f"""
CREATE TEMP VIEW typed AS
SELECT
    source_row,
    -- each value converted to the type the rules expect (NULL when absent or unreadable)
    {converted},
    -- whether the file gives a value at all
    {given}{kept if extras else ""}
FROM file_rows
"""


def _repeats_sql(table: _Table, types: dict[str, str]) -> str:
    """Rows whose id (key) is on more than one row: exact copies, and differing versions."""
    key = ", ".join(_ident(k) for k in table.key)
    key_given = " AND ".join(f"{_ident(k)} IS NOT NULL" for k in table.key)
    r_key = ", ".join(f"r.{_ident(k)}" for k in table.key)
    every_column = ", ".join(f"f.{_ident(c)}" for c in types if c != "source_row")
    return f"""
CREATE TEMP TABLE repeats AS
WITH repeated_keys AS (
    -- ids given on more than one row
    SELECT {key} FROM typed
    WHERE {key_given}
    GROUP BY {key}
    HAVING count(*) > 1
),
rows_of_repeated_keys AS (
    SELECT typed.source_row, {", ".join(f"typed.{_ident(k)}" for k in table.key)}
    FROM typed JOIN repeated_keys USING ({key})
),
copies AS (
    -- copy_number 1: the first row with this exact content; 2, 3, ...: exact copies of it
    SELECT r.source_row, {r_key},
           row_number() OVER (PARTITION BY {every_column} ORDER BY r.source_row) AS copy_number
    FROM rows_of_repeated_keys AS r JOIN file_rows AS f USING (source_row)
),
versions AS (
    -- how many different contents the rows of this id have
    SELECT source_row, copy_number,
           count_if(copy_number = 1) OVER (PARTITION BY {key}) AS n_versions
    FROM copies
)
SELECT source_row,
       concat_ws(';',
           CASE WHEN copy_number > 1 THEN '{table.duplicate}' END,
           CASE WHEN n_versions > 1 THEN '{table.conflict}' END
       ) AS reasons
FROM versions
WHERE copy_number > 1 OR n_versions > 1
"""


def _problems_sql(table: _Table) -> str:
    """Every row that breaks at least one rule, with all its reasons in the order of REASONS."""
    conditions = {}
    for c in table.columns:
        if not c.optional:
            conditions[f"missing_{c.name}"] = f"NOT given_{c.name}"
        conditions[f"invalid_{c.name}"] = f"given_{c.name} AND {_ident(c.name)} IS NULL"
    conditions |= {rule.reason: rule.broken for rule in table.rules}
    cases = ",\n            ".join(
        f"CASE WHEN {conditions[reason]} THEN '{reason}' END"
        for reason in REASONS[table.name]
        if reason in conditions
    )
    return f"""
CREATE TEMP TABLE problems AS
SELECT source_row, reasons
FROM (
    SELECT
        typed.source_row,
        concat_ws(';',
            {cases},
            repeats.reasons
        ) AS reasons
    FROM typed LEFT JOIN repeats USING (source_row)
)
WHERE reasons <> ''
"""


def _clean_sql(table: _Table, types: dict[str, str], out: Path) -> str:
    required = [c.name for c in table.columns]
    columns = [
        f"CAST({_ident(c.name)} AS {c.clean_type}) AS {_ident(c.name)}"
        if c.clean_type
        else _ident(c.name)
        for c in table.columns
    ]
    columns += [_ident(c) for c in types if c not in required and c != "source_row"]
    columns += [f"{sql} AS {_ident(name)}" for name, sql in table.flags]
    listed = ",\n        ".join(columns)
    return f"""
COPY (
    SELECT
        {listed}
    FROM typed
    WHERE source_row NOT IN (SELECT source_row FROM problems)
    ORDER BY source_row
) TO {_literal(out)} ({_PARQUET_OPTIONS})
"""


def _quarantine_sql(out: Path) -> str:
    return f"""
COPY (
    SELECT file_rows.*, problems.reasons
    FROM file_rows JOIN problems USING (source_row)
    ORDER BY source_row
) TO {_literal(out)} ({_PARQUET_OPTIONS})
"""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"
