-- district_month: the district-month panel, one row per district and month of the window.
--
-- The same outcomes as township_month (township_panel.sql), for the district as a whole: the
-- counts of its townships are added up first, then divided. A rate per cadre is the district's
-- events / (its cadres * events_scale), and a hotline share is the district's tickets that were
-- resolved (rated 4-5, ...) over its tickets: each event and ticket weighs the same, not each
-- township.
--
-- Inputs: township_month_counts (township_month_counts.sql), district_adoption
-- (district_adoption.sql) and districts, the district registry (district_code, stratum).
-- The placeholders events_scale and event_time_columns as in township_panel.sql.

WITH district_counts AS (
    SELECT
        district_code,
        month_index,
        month,
        count(*) AS townships,
        sum(cadres) AS cadres,
        sum(documents) AS documents,
        sum(meetings) AS meetings,
        sum(inspections) AS inspections,
        sum(report_submissions) AS report_submissions,
        sum(app_tasks) AS app_tasks,
        sum(app_minutes) AS app_minutes,
        sum(tickets) AS tickets,
        sum(n_responded) AS n_responded,
        sum(response_microseconds) AS response_microseconds,
        sum(n_resolved) AS n_resolved,
        sum(n_rated) AS n_rated,
        sum(n_satisfied) AS n_satisfied
    FROM township_month_counts
    GROUP BY district_code, month_index, month
),

counts AS (
    SELECT
        *,
        -- the divisor of a rate per cadre
        nullif(cadres, 0) * ${events_scale} AS scaled_cadres
    FROM district_counts
)

SELECT
    CAST(c.district_code AS BIGINT) AS district_code,
    districts.stratum,
    c.month,
    CAST(c.townships AS BIGINT) AS townships,
    CAST(c.cadres AS BIGINT) AS cadres,

    -- workload: events (and app-task minutes) per cadre in the month, in full-log units
    c.documents / c.scaled_cadres AS documents,
    c.meetings / c.scaled_cadres AS meetings,
    c.inspections / c.scaled_cadres AS inspections,
    c.report_submissions / c.scaled_cadres AS report_submissions,
    c.app_tasks / c.scaled_cadres AS app_tasks,
    c.app_minutes / c.scaled_cadres AS app_minutes,

    -- 12345 hotline, from the district's ticket totals (rates are NULL without tickets)
    CAST(c.tickets AS BIGINT) AS tickets,
    c.response_microseconds / nullif(c.n_responded, 0) / 3.6e9 AS response_hours,
    c.n_resolved / nullif(c.tickets, 0) AS resolution_rate,
    c.n_satisfied / nullif(c.n_rated, 0) AS satisfaction_rate,
    CAST(c.n_rated AS BIGINT) AS n_rated,

    -- the roll-out
    ${event_time_columns}
FROM counts AS c
JOIN districts
    ON districts.district_code = c.district_code
LEFT JOIN district_adoption AS a
    ON a.district_code = c.district_code
ORDER BY c.district_code, c.month
