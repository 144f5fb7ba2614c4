-- township_month: the township-month panel, one row per township and month of the window.
--
-- Inputs: township_month_counts (township_month_counts.sql) and district_adoption
-- (district_adoption.sql). Placeholders, written in by panel.py:
--   events_scale           the share of the offices' events that the log holds. The simulated
--                          log is a thinned sample (0.012 by default); a complete log has 1.
--                          A rate per cadre is therefore count / (cadres * events_scale).
--   event_time_columns     for every measure m of the roll-out table:
--                            adopt_m       the district's adoption month ('YYYY-MM'), NULL
--                                          when it never adopted m;
--                            event_time_m  months since adoption: -1 the month before,
--                                          0 the adoption month, 1 the month after; NULL
--                                          when never adopted.
--
-- All rates are computed from whole-number counts with one division at the end, so they do
-- not depend on the order in which an engine adds up the events.

WITH counts AS (
    SELECT
        *,
        -- the divisor of a rate per cadre (NULL, so no rate, for a township without cadres)
        nullif(cadres, 0) * ${events_scale} AS scaled_cadres
    FROM township_month_counts
)

SELECT
    CAST(c.township_code AS BIGINT) AS township_code,
    CAST(c.district_code AS BIGINT) AS district_code,
    c.stratum,
    c.month,
    CAST(c.cadres AS BIGINT) AS cadres,

    -- workload: events (and app-task minutes) per cadre in the month, in full-log units
    c.documents / c.scaled_cadres AS documents,
    c.meetings / c.scaled_cadres AS meetings,
    c.inspections / c.scaled_cadres AS inspections,
    c.report_submissions / c.scaled_cadres AS report_submissions,
    c.app_tasks / c.scaled_cadres AS app_tasks,
    c.app_minutes / c.scaled_cadres AS app_minutes,

    -- 12345 hotline, tickets received in the month (rates are NULL without tickets)
    c.tickets,
    -- mean hours from received to first response (3.6e9 microseconds = 1 hour)
    c.response_microseconds / nullif(c.n_responded, 0) / 3.6e9 AS response_hours,
    -- share of tickets resolved
    c.n_resolved / nullif(c.tickets, 0) AS resolution_rate,
    -- share of ratings 4-5 among the rated tickets (a missing rating is not a rating)
    c.n_satisfied / nullif(c.n_rated, 0) AS satisfaction_rate,
    c.n_rated,

    -- the roll-out
    ${event_time_columns}
FROM counts AS c
LEFT JOIN district_adoption AS a
    ON a.district_code = c.district_code
ORDER BY c.township_code, c.month
