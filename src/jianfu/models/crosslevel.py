"""Cross-level predictors from the office records (H7): township workload per cadre.

The administrative workload of a township is its number of logged workload events (documents,
meetings, inspections, report submissions, app tasks) per cadre per month over a reference
window, before the burden-reduction measures (default 2023-01 … 2023-08). It enters the survey
models standardised over all townships of the registry, on the log scale:

    workload_i = (log r_i − mean_j log r_j) / sd_j log r_j,   r_i = events_i / (cadres_i · months)

The z-score does not depend on a thinning factor of the log (the simulated log is a sample of
the full one), so no scale is needed. Townships without any event in the window have no value.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from jianfu.core.errors import JianfuError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Readable SQL: events per cadre per month in the window, per township of the registry.
WORKLOAD_SQL = """
WITH counts AS (                       -- events per township in the window
    SELECT township_code, count(*) AS events
    FROM read_parquet($events)
    WHERE timestamp >= CAST($start AS TIMESTAMP) AND timestamp < CAST($end AS TIMESTAMP)
    GROUP BY township_code
)
SELECT t.township_code,
       t.district_code,
       t.cadres,
       coalesce(c.events, 0) AS events,
       coalesce(c.events, 0) / (t.cadres * $months) AS events_per_cadre_month
FROM read_parquet($townships) AS t
LEFT JOIN counts AS c USING (township_code)
ORDER BY t.township_code
"""


def _month_bounds(months: list[str]) -> tuple[str, str, int]:
    if len(months) != 2 or not all(isinstance(m, str) and _MONTH.match(m) for m in months):
        raise JianfuError(
            f"workload window must be two months 'YYYY-MM' (first, last), got {months!r}"
        )
    first, last = pd.Period(months[0], "M"), pd.Period(months[1], "M")
    if last < first:
        raise JianfuError(f"workload window: last month {months[1]} is before {months[0]}")
    n = (last - first).n + 1
    return first.start_time.isoformat(), (last + 1).start_time.isoformat(), n


def township_workload(events: Path, townships: Path, months: list[str]) -> pd.DataFrame:
    """Township workload per cadre from an event log (Parquet) and the township registry.

    Parameters
    ----------
    events : Parquet file with ``township_code`` and ``timestamp`` per workload event.
    townships : Parquet file with ``township_code``, ``district_code`` and ``cadres``.
    months : ``[first, last]`` months ("YYYY-MM") of the reference window, inclusive.

    Returns
    -------
    DataFrame: township_code, district_code, cadres, events, events_per_cadre_month (in the
    log's units) and ``workload`` (the z-score of the log rate; NaN without events).
    """
    start, end, n = _month_bounds(months)
    for path in (events, townships):
        if not Path(path).exists():
            raise JianfuError(f"{path}: file not found (the office records of the ingest stage)")
    con = duckdb.connect()
    try:
        frame = con.execute(
            WORKLOAD_SQL,
            {
                "events": str(events),
                "townships": str(townships),
                "start": start,
                "end": end,
                "months": n,
            },
        ).df()
    except duckdb.Error as exc:
        raise JianfuError(f"township workload from {events}: {exc}") from exc
    finally:
        con.close()

    rate = frame["events_per_cadre_month"].where(frame["events"] > 0)
    log_rate = np.log(rate)
    frame["workload"] = (log_rate - log_rate.mean()) / log_rate.std(ddof=1)
    return frame
