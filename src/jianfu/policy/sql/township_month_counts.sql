-- township_month_counts: what both panels are computed from.
--
-- One row for every township of the registry and every month of the window, with the events
-- and the 12345 tickets of that township and month counted (whole numbers only: no rate yet).
-- Rates per cadre and hotline shares are computed from these counts in township_panel.sql and
-- district_panel.sql, so that a district's rates are sums over its townships divided by sums,
-- never means of township means. panel.py computes this table once and keeps it
-- (DuckDB: a temporary table; Spark: a cached view): the event log is read only once.
--
-- Inputs (views made by panel.py from the Parquet files):
--   events     one row per workload event: township_code, timestamp, event_type, size
--   hotline    one row per 12345 ticket: township_code, received, first_response, resolved,
--              satisfaction (1-5, NULL when not rated)
--   townships  the township registry: township_code, district_code, stratum, cadres
--   months     one row per month of the window: month_index (year * 12 + month - 1, so that
--              event times are differences of it) and month ('YYYY-MM')
--
-- Events of townships not in the registry, and events outside the window, find no row of the
-- grid and are not counted (the cleaned log has none; panel.py reports how many there were).

WITH

-- 1. Each event's month, as a month index (2023-01 -> 2023 * 12 + 0 = 24276).
event_months AS (
    SELECT
        township_code,
        year(timestamp) * 12 + month(timestamp) - 1 AS month_index,
        event_type,
        size
    FROM events
),

-- 2. Events per township, month and type, and their total size (pages of documents, minutes
--    of meetings, inspections, report submissions and app tasks).
events_by_type AS (
    SELECT
        township_code,
        month_index,
        event_type,
        count(*) AS n_events,
        sum(size) AS total_size
    FROM event_months
    GROUP BY township_code, month_index, event_type
),

-- 3. One column per event type (step 2's table is small: townships x months x 5 types).
--    App tasks also carry their minutes.
events_wide AS (
    SELECT
        township_code,
        month_index,
        sum(CASE WHEN event_type = 'document' THEN n_events ELSE 0 END) AS documents,
        sum(CASE WHEN event_type = 'meeting' THEN n_events ELSE 0 END) AS meetings,
        sum(CASE WHEN event_type = 'inspection' THEN n_events ELSE 0 END) AS inspections,
        sum(CASE WHEN event_type = 'report_submission' THEN n_events ELSE 0 END)
            AS report_submissions,
        sum(CASE WHEN event_type = 'app_task' THEN n_events ELSE 0 END) AS app_tasks,
        sum(CASE WHEN event_type = 'app_task' THEN total_size ELSE 0 END) AS app_minutes
    FROM events_by_type
    GROUP BY township_code, month_index
),

-- 4. Each ticket's month: the month it was received.
ticket_months AS (
    SELECT
        township_code,
        year(received) * 12 + month(received) - 1 AS month_index,
        received,
        first_response,
        resolved,
        satisfaction
    FROM hotline
),

-- 5. Tickets per township and month. The response time is summed in whole microseconds
--    (tickets without a recorded first response do not count); a ticket is rated when it has
--    a satisfaction rating, and satisfied when the rating is 4 or 5.
tickets AS (
    SELECT
        township_code,
        month_index,
        count(*) AS tickets,
        count(first_response) AS n_responded,
        sum(microseconds_between(received, first_response)) AS response_microseconds,
        count_if(resolved) AS n_resolved,
        count(satisfaction) AS n_rated,
        count_if(satisfaction >= 4) AS n_satisfied
    FROM ticket_months
    GROUP BY township_code, month_index
),

-- 6. The grid: every township of the registry in every month of the window.
grid AS (
    SELECT
        townships.township_code,
        townships.district_code,
        townships.stratum,
        townships.cadres,
        months.month_index,
        months.month
    FROM townships
    CROSS JOIN months
)

-- 7. The counts on the grid: a township-month without events or tickets gets zeros.
SELECT
    grid.township_code,
    grid.district_code,
    grid.stratum,
    grid.cadres,
    grid.month_index,
    grid.month,
    CAST(coalesce(e.documents, 0) AS BIGINT) AS documents,
    CAST(coalesce(e.meetings, 0) AS BIGINT) AS meetings,
    CAST(coalesce(e.inspections, 0) AS BIGINT) AS inspections,
    CAST(coalesce(e.report_submissions, 0) AS BIGINT) AS report_submissions,
    CAST(coalesce(e.app_tasks, 0) AS BIGINT) AS app_tasks,
    CAST(coalesce(e.app_minutes, 0) AS BIGINT) AS app_minutes,
    CAST(coalesce(h.tickets, 0) AS BIGINT) AS tickets,
    CAST(coalesce(h.n_responded, 0) AS BIGINT) AS n_responded,
    CAST(coalesce(h.response_microseconds, 0) AS BIGINT) AS response_microseconds,
    CAST(coalesce(h.n_resolved, 0) AS BIGINT) AS n_resolved,
    CAST(coalesce(h.n_rated, 0) AS BIGINT) AS n_rated,
    CAST(coalesce(h.n_satisfied, 0) AS BIGINT) AS n_satisfied
FROM grid
LEFT JOIN events_wide AS e
    ON e.township_code = grid.township_code AND e.month_index = grid.month_index
LEFT JOIN tickets AS h
    ON h.township_code = grid.township_code AND h.month_index = grid.month_index
