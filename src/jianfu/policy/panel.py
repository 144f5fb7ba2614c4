"""The policy panels: event-level office records → township-month and district-month panels.

The cleaned office records (the ingest stage's ``data/processed/admin/``: the workload event
log, the 12345 hotline tickets, the unit registry and the roll-out table; docs/dgp_admin.md
describes the simulated ones) are aggregated into two panels, written as Parquet:

* ``township_month.parquet``: one row per township of the registry and month of the window,
  zero-event months included. Columns: township_code, district_code, stratum, month
  ("YYYY-MM"), cadres; per cadre per month documents, meetings, inspections,
  report_submissions, app_tasks and app_minutes (count / (cadres × events_scale): the
  simulated log is a thinned sample, a complete log has events_scale = 1); the hotline's
  tickets, response_hours (mean hours received → first response), resolution_rate (share
  resolved), satisfaction_rate (share of ratings 4–5 among rated tickets), n_rated (rates are
  missing when there is no ticket); and for every measure m of the roll-out table
  ``adopt_m`` (the district's adoption month, missing when never adopted) and
  ``event_time_m`` (months since adoption: 0 in the adoption month, negative before, missing
  when never adopted; the district that adopted before the window has large positive ones).
* ``district_month.parquet``: the same per district (and ``townships``): rates are sums over
  the district's townships divided by sums (events / (cadres × events_scale), resolved tickets
  / tickets), never means of township means.

The SQL. The aggregation is plain SQL in ``sql/`` (read it: every step is commented), run
either by DuckDB (default) or by Spark SQL (``engine="spark"``, for a cluster), the **same
text** for both. It is written in the common subset of the two dialects, with three small,
explicit steps:

1. *Inputs* are views of the Parquet files with fixed names (``events``, ``hotline``,
   ``townships``, ``districts``, ``rollout``), plus ``months``, the window's months (a VALUES
   list written here). DuckDB reads with ``read_parquet``, Spark with ``spark.read.parquet``.
2. *The dialect layer* ``sql/dialect_<engine>.sql`` defines the one function the dialects
   spell differently (``microseconds_between``) under the same name for both.
3. *Parameters* are written into the text (``string.Template``): ``${events_scale}`` and the
   roll-out columns, one pair per measure found in the table (the generic pivot). Nothing
   else is rewritten. `panel_sql` returns the texts as they are run.

``township_month_counts.sql`` reads the event log once and keeps the whole-number counts per
township-month (DuckDB: a temporary table; Spark: a cached view); both panels are computed
from it. Every rate is a whole-number sum divided once at the end, so the results do not
depend on the order in which an engine adds up the rows: DuckDB and Spark give the same
values (the tests compare them at a relative tolerance of 1e-9, and in practice they agree to
the bit).

Memory and determinism. DuckDB streams the Parquet files with a memory limit and a number of
threads, spilling to a temporary folder beside the outputs, as the ingest stage does
(`jianfu.ingest.admin`); only the small panels are ever held. Outputs are written with
``ORDER BY`` the panel keys, zstd compression and a fixed row-group size, atomically, so that
reruns (with any number of threads) give byte-identical files. Spark aggregates on its
executors; the panels (tens of thousands of rows) come back to the driver as Arrow and are
written locally with pyarrow, so the outputs land in ``out_dir`` also when the data are on a
cluster (docs/spark.md).
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from string import Template

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_path
from jianfu.ingest.admin import _PARQUET_OPTIONS, _literal

#: The engines that run the SQL.
ENGINES = ("duckdb", "spark")
#: Output file names in ``out_dir``.
OUTPUTS = {"township": "township_month.parquet", "district": "district_month.parquet"}
#: The inputs: view name → (what it is, the columns the SQL reads). Other columns are ignored.
INPUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "events": ("workload event log", ("township_code", "timestamp", "event_type", "size")),
    "hotline": (
        "12345 hotline tickets",
        ("township_code", "received", "first_response", "resolved", "satisfaction"),
    ),
    "townships": ("township registry", ("township_code", "district_code", "stratum", "cadres")),
    "districts": ("district registry", ("district_code", "stratum")),
    "rollout": ("roll-out table", ("district_code", "measure", "adoption_month")),
}
#: The event types counted, as the event log spells them (one panel column each).
EVENT_TYPES = ("document", "meeting", "inspection", "report_submission", "app_task")
DEFAULT_WINDOW = ("2023-01", "2025-12")
DEFAULT_EVENTS_SCALE = 0.012  # the default simulated log (simulate.admin.events_scale)

SQL_DIR = Path(__file__).with_name("sql")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_MEASURE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ROW_GROUP_SIZE = 122_880  # as _PARQUET_OPTIONS (the Spark engine writes with pyarrow)
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?)?\s*", re.IGNORECASE)


# --------------------------------------------------------------------------- the SQL
def load_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def panel_sql(measures: Sequence[str], events_scale: float) -> dict[str, str]:
    """The panel queries as they are run, parameters written in.

    Returns a dict with ``counts`` (township_month_counts.sql), ``adoption``
    (district_adoption.sql), ``township`` and ``district`` (the two panels). `measures` are
    the measure names of the roll-out table (each becomes ``adopt_<m>``, ``event_time_<m>``).
    """
    for m in measures:
        if not _MEASURE.fullmatch(m):
            raise JianfuError(
                f"roll-out table: measure name {m!r} cannot be a column name "
                "(letters, digits and _ only, not starting with a digit)"
            )
    if not measures:
        raise JianfuError("roll-out table: no measures (the table has no rows)")
    adoption = ",\n    ".join(
        f"max(CASE WHEN measure = '{m}' THEN adoption_month END) AS adopt_{m},\n    "
        f"max(CASE WHEN measure = '{m}' THEN adoption_index END) AS adoption_index_{m}"
        for m in measures
    )
    event_times = ",\n    ".join(
        f"a.adopt_{m},\n    CAST(c.month_index - a.adoption_index_{m} AS INT) AS event_time_{m}"
        for m in measures
    )
    scale = f"CAST({_check_scale(events_scale)!r} AS DOUBLE)"
    values = {
        "events_scale": scale,
        "adoption_columns": adoption,
        "event_time_columns": event_times,
    }
    names = {
        "counts": "township_month_counts",
        "adoption": "district_adoption",
        "township": "township_panel",
        "district": "district_panel",
    }
    return {key: Template(load_sql(name)).substitute(values) for key, name in names.items()}


def months_sql(window: tuple[str, str]) -> str:
    """The ``months`` view: one row per month of the window (month_index, month)."""
    first, last = _window(window)
    rows = ", ".join(f"({i}, '{i // 12:04d}-{i % 12 + 1:02d}')" for i in range(first, last + 1))
    return f"SELECT * FROM (VALUES {rows}) AS t(month_index, month)"


def _statements(script: str) -> list[str]:
    """The statements of a script: separated by a ';' at the end of a line, comments kept."""
    parts = re.split(r";[ \t]*$", script, flags=re.MULTILINE)
    return [p.strip() for p in parts if _code(p)]


def _code(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))


# --------------------------------------------------------------------------- public API
def build_panels(
    events: str | Path,
    hotline: str | Path,
    townships: str | Path,
    districts: str | Path,
    rollout: str | Path,
    out_dir: str | Path,
    *,
    engine: str = "duckdb",
    events_scale: float = DEFAULT_EVENTS_SCALE,
    window: tuple[str, str] = DEFAULT_WINDOW,
    memory_limit: str = "1GB",
    threads: int = 2,
    spark_master: str | None = "local[2]",
    spark_conf: Mapping[str, str] | None = None,
) -> dict:
    """Aggregate the office records into the township-month and district-month panels.

    Parameters
    ----------
    events, hotline, townships, districts, rollout : Parquet files (or, for Spark, anything
        ``spark.read.parquet`` reads: a folder of part files, an ``hdfs://`` or ``s3a://``
        path): the cleaned event log, hotline tickets, township and district registries and
        the roll-out table. Columns read: `INPUTS`.
    out_dir : folder of the outputs ``township_month.parquet`` and ``district_month.parquet``
        (written atomically, on the machine running this function).
    engine : ``"duckdb"`` (default) or ``"spark"``.
    events_scale : share of the offices' events that the log holds (rates per cadre are
        count / (cadres × events_scale)); 1 for a complete log, the simulator's
        ``events_scale`` for simulated data.
    window : first and last month ("YYYY-MM") of the panels.
    memory_limit : DuckDB's memory limit (such as ``"1GB"``); for Spark, the driver memory
        of a Spark session started here.
    threads : DuckDB threads (outputs do not depend on them); for Spark in local mode, the
        shuffle partitions are twice this.
    spark_master : Spark master URL of a session started here (``local[2]``,
        ``spark://host:7077``, ``yarn``); None takes it from ``spark-submit --master`` or
        spark-defaults.conf. An active session (made by the caller, a notebook) is used as it
        is and not stopped.
    spark_conf : further Spark settings of a session started here (they win).

    Returns
    -------
    dict
        ``engine``, ``township_rows``, ``district_rows``, ``townships``, ``districts``,
        ``months``, ``measures``, ``events_in`` (rows of the log), ``events_used`` (counted in
        the panels: of a known type, a registry township, within the window), ``tickets_in``,
        ``tickets_used``.

    Raises
    ------
    JianfuError
        A missing file or column, a roll-out table with duplicate or missing district ×
        measure rows, registries that do not match, bad parameters.
    """
    if engine not in ENGINES:
        raise JianfuError(f"panel engine: {engine!r} is not one of {list(ENGINES)}")
    _check_scale(events_scale)
    months = _window(window)
    threads = _check_threads(threads)
    paths = dict(zip(INPUTS, (events, hotline, townships, districts, rollout), strict=True))
    for name, path in paths.items():
        _check_exists(path, INPUTS[name][0], remote_ok=engine == "spark")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if engine == "duckdb":
            work = stack.enter_context(
                tempfile.TemporaryDirectory(prefix=".jianfu-duckdb-", dir=out_dir)
            )
            run = stack.enter_context(_DuckDB.session(memory_limit, threads, Path(work)))
        else:
            run = stack.enter_context(
                _Spark.session(spark_master, memory_limit, threads, spark_conf or {})
            )
        for name, path in paths.items():
            label, required = INPUTS[name]
            columns = run.register(name, path, label)
            _check_columns(columns, required, path, label)
        run.view("months", months_sql(window))
        measures = _check_registries(run, paths)
        queries = panel_sql(measures, events_scale)
        run.script(load_sql(f"dialect_{engine}"))
        run.materialize("township_month_counts", queries["counts"])
        run.view("district_adoption", queries["adoption"])
        outs = {
            key: stack.enter_context(atomic_path(out_dir / name)) for key, name in OUTPUTS.items()
        }
        run.write(queries["township"], outs["township"])
        run.write(queries["district"], outs["district"])
        summary = _summary(run, engine, measures, months)
    return summary


# --------------------------------------------------------------------------- checks
def _check_scale(events_scale) -> float:
    try:
        value = float(events_scale)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise JianfuError(f"panel events_scale: expected a positive number, got {events_scale!r}")
    return value


def _check_threads(threads) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise JianfuError(f"panel threads: expected a positive whole number, got {threads!r}")
    return threads


def _window(window) -> tuple[int, int]:
    """First and last month of the window as month indexes (year * 12 + month - 1)."""
    try:
        first, last = (str(w) for w in window)
    except (TypeError, ValueError):
        raise JianfuError(f"panel window: expected [first, last] months, got {window!r}") from None
    index = []
    for key, value in (("first", first), ("last", last)):
        match = _MONTH.fullmatch(value)
        if not match:
            raise JianfuError(f"panel window: {key} month: expected YYYY-MM, got {value!r}")
        index.append(int(match[1]) * 12 + int(match[2]) - 1)
    if index[0] > index[1]:
        raise JianfuError(f"panel window: first month {first} is after the last {last}")
    return index[0], index[1]


def _check_exists(path, label: str, *, remote_ok: bool) -> None:
    if remote_ok and "://" in str(path):
        return  # hdfs://, s3a://: Spark reads it (an error then names the path)
    if not Path(path).exists():
        raise JianfuError(f"{path}: {label} file not found")


def _check_columns(columns: list[str], required: tuple[str, ...], path, label: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        lower = {c.lower() for c in missing}
        hint = [c for c in columns if c.lower() in lower]
        near = f"; {hint} differ only in upper/lower case" if hint else ""
        raise JianfuError(
            f"{path}: {label}: missing required column(s) {missing} "
            f"(expected {', '.join(required)}; found {columns}{near})"
        )


def _check_registries(run, paths: Mapping[str, str | Path]) -> list[str]:
    """Check that the small tables fit together; return the roll-out's measures (sorted).

    The township registry has one row per township and its districts are in the district
    registry; the roll-out has exactly one row per district and measure for the districts of
    the township registry, with months YYYY-MM or missing.
    """
    towns = run.fetch("SELECT township_code, district_code FROM townships")
    district_codes = [d for (d,) in run.fetch("SELECT district_code FROM districts")]
    rollout = run.fetch("SELECT district_code, measure, adoption_month FROM rollout")
    _unique([t for t, _ in towns], paths["townships"], "township registry", "township_code")
    _unique(district_codes, paths["districts"], "district registry", "district_code")
    unknown = sorted({d for _, d in towns} - set(district_codes), key=str)
    if unknown:
        raise JianfuError(
            f"{paths['townships']}: township registry: district_code(s) {unknown[:5]} are not "
            f"in the district registry {paths['districts']}"
        )
    where = f"{paths['rollout']}: roll-out table"
    bad = [(d, m, a) for d, m, a in rollout if d is None or m is None]
    bad += [(d, m, a) for d, m, a in rollout if a is not None and not _MONTH.fullmatch(str(a))]
    if bad:
        raise JianfuError(
            f"{where}: rows without district_code or measure, or with an adoption_month that is "
            f"not YYYY-MM (missing = never adopted): {bad[:3]}"
        )
    pairs = [(d, m) for d, m, _ in rollout]
    repeated = sorted({p for p in pairs if pairs.count(p) > 1}, key=str)
    if repeated:
        raise JianfuError(f"{where}: more than one row for district × measure {repeated[:5]}")
    measures = sorted({m for _, m in pairs})
    missing = sorted(
        {(d, m) for _, d in towns for m in measures} - set(pairs), key=lambda p: (str(p[0]), p[1])
    )
    if missing:
        raise JianfuError(
            f"{where}: no row for district × measure {missing[:5]}"
            f"{' …' if len(missing) > 5 else ''} ({len(missing)} in all); a district that never "
            "adopted a measure has a row with an empty adoption_month"
        )
    return measures


def _unique(values: list, path, label: str, column: str) -> None:
    seen, repeated = set(), set()
    for v in values:
        (repeated if v in seen else seen).add(v)
    if repeated or None in seen:
        shown = sorted(repeated, key=str)[:5] if repeated else [None]
        raise JianfuError(f"{path}: {label}: {column} missing or on more than one row: {shown}")


def _summary(run, engine: str, measures: list[str], months: tuple[int, int]) -> dict:
    events_in, tickets_in = run.fetch(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM hotline)"
    )[0]
    towns, dists, events_used, tickets_used, rows = run.fetch(
        """
        SELECT count(DISTINCT township_code), count(DISTINCT district_code),
               sum(documents + meetings + inspections + report_submissions + app_tasks),
               sum(tickets), count(*)
        FROM township_month_counts
        """
    )[0]
    n_months = months[1] - months[0] + 1
    return {
        "engine": engine,
        "township_rows": int(rows),
        "district_rows": int(dists) * n_months,
        "townships": int(towns),
        "districts": int(dists),
        "months": n_months,
        "measures": measures,
        "events_in": int(events_in),
        "events_used": int(events_used or 0),
        "tickets_in": int(tickets_in),
        "tickets_used": int(tickets_used or 0),
    }


# --------------------------------------------------------------------------- engines
class _DuckDB:
    """Runs the SQL in an in-process DuckDB, with the ingest stage's settings."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    @classmethod
    @contextmanager
    def session(cls, memory_limit: str, threads: int, work: Path) -> Iterator[_DuckDB]:
        with duckdb.connect(":memory:") as con:
            try:
                con.execute(f"SET memory_limit = {_literal(memory_limit)}")
            except duckdb.Error as exc:
                raise JianfuError(
                    f"panel memory_limit: {memory_limit!r} is not a memory size such as 2GB ({exc})"
                ) from exc
            con.execute(f"SET threads = {threads}")
            con.execute(f"SET temp_directory = {_literal(work)}")
            con.execute("SET TimeZone = 'UTC'")  # as Spark's session: no time is shifted
            con.execute("SET enable_progress_bar = false")
            yield cls(con)

    def register(self, name: str, path, label: str) -> list[str]:
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMPORARY VIEW {name} AS "
                f"SELECT * FROM read_parquet({_literal(path)})"
            )
            return [row[0] for row in self.con.execute(f"DESCRIBE {name}").fetchall()]
        except duckdb.Error as exc:
            raise JianfuError(f"{path}: {label}: cannot be read as Parquet: {exc}") from exc

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{sql}")

    def script(self, sql: str) -> None:
        for statement in _statements(sql):
            self.con.execute(statement)

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute("SET preserve_insertion_order = false")  # row order is set on writing
        self.con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {name} AS\n{sql}")

    def write(self, sql: str, path: Path) -> None:
        self.con.execute("SET preserve_insertion_order = true")  # the ORDER BY is the file order
        self.con.execute(f"COPY (\n{sql}\n) TO {_literal(path)} ({_PARQUET_OPTIONS})")

    def fetch(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()


class _Spark:
    """Runs the same SQL with Spark SQL (local mode or a cluster)."""

    def __init__(self, spark):
        self.spark = spark
        self.views: list[str] = []
        self.cached: list[str] = []

    @classmethod
    @contextmanager
    def session(
        cls, master: str | None, memory_limit: str, threads: int, conf: Mapping[str, str]
    ) -> Iterator[_Spark]:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise JianfuError(
                "the Spark engine needs pyspark: pip install -e '.[spark]' (docs/spark.md)"
            ) from exc
        active = SparkSession.getActiveSession()
        if active is None and shutil.which("java") is None and not _java_home():
            raise JianfuError(
                "the Spark engine needs Java 17 or later (java on the PATH or JAVA_HOME); "
                "see docs/spark.md"
            )
        spark = active or _start_spark(master, memory_limit, threads, conf)
        settings = {
            # times without a zone are read and compared as they are (no shift)
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
            "spark.sql.ansi.enabled": "true",
        }
        before = {k: spark.conf.get(k, None) for k in settings}
        for key, value in settings.items():
            spark.conf.set(key, value)
        run = cls(spark)
        try:
            yield run
        finally:
            run.close()
            for key, value in before.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)
            if active is None:
                spark.stop()

    def register(self, name: str, path, label: str) -> list[str]:
        from pyspark.errors import PySparkException

        try:
            frame = self.spark.read.parquet(str(path))
        except PySparkException as exc:
            message = str(exc).splitlines()[0]
            raise JianfuError(f"{path}: {label}: cannot be read as Parquet: {message}") from exc
        frame.createOrReplaceTempView(name)
        self.views.append(name)
        return list(frame.columns)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{sql}")
        self.views.append(name)

    def script(self, sql: str) -> None:
        for statement in _statements(sql):
            self.spark.sql(statement)

    def materialize(self, name: str, sql: str) -> None:
        self.spark.sql(f"CACHE TABLE {name} AS\n{sql}")  # eager: computed here, once
        self.cached.append(name)

    def write(self, sql: str, path: Path) -> None:
        table = self.spark.sql(sql).toArrow()
        # Arrow's plain string type and nullable fields, as DuckDB writes them
        fields = [
            pa.field(f.name, pa.string() if pa.types.is_large_string(f.type) else f.type)
            for f in table.schema
        ]
        table = table.cast(pa.schema(fields))
        pq.write_table(table, path, compression="zstd", row_group_size=_ROW_GROUP_SIZE)

    def fetch(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        for name in self.cached:
            self.spark.sql(f"UNCACHE TABLE IF EXISTS {name}")
        for name in dict.fromkeys(self.views + self.cached):
            self.spark.catalog.dropTempView(name)


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()


def _start_spark(master: str | None, memory_limit: str, threads: int, conf: Mapping[str, str]):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    builder = (
        builder.appName("jianfu-panel")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", _spark_memory(memory_limit))
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master is not None and master.startswith("local"):
        # one machine: no network beyond the loopback, few shuffle partitions
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", str(2 * threads))
        )
    for key, value in conf.items():
        builder = builder.config(str(key), str(value))
    return builder.getOrCreate()


def _spark_memory(memory_limit: str) -> str:
    """DuckDB's "1GB" / "512MiB" as Spark's "1024m"."""
    match = _MEMORY.fullmatch(str(memory_limit))
    if not match:
        raise JianfuError(f"panel memory_limit: {memory_limit!r} is not a memory size such as 2GB")
    unit = (match[2] or "B")[0].upper()
    mib = float(match[1]) * {"B": 2**-20, "K": 2**-10, "M": 1, "G": 2**10, "T": 2**20}[unit]
    return f"{max(512, math.ceil(mib))}m"
