-- district_adoption: one row per district, with the adoption month of every measure.
--
-- Input: rollout, one row per district and measure: district_code, measure, adoption_month
-- ('YYYY-MM'; NULL when the district never adopted the measure within the window).
--
-- The placeholder adoption_columns (below) is written in by panel.py from the
-- measures found in the table, two columns per measure; for example for yibiaotong (一表通):
--     max(CASE WHEN measure = 'yibiaotong' THEN adoption_month END) AS adopt_yibiaotong,
--     max(CASE WHEN measure = 'yibiaotong' THEN adoption_index END) AS adoption_index_yibiaotong
-- Each district has one row per measure (panel.py checks this), so max() just picks it up.

WITH adoption AS (
    SELECT
        district_code,
        measure,
        adoption_month,
        -- the month as a month index (year * 12 + month - 1), as in township_month_counts.sql
        CAST(substr(adoption_month, 1, 4) AS INT) * 12
            + CAST(substr(adoption_month, 6, 2) AS INT) - 1 AS adoption_index
    FROM rollout
)

SELECT
    district_code,
    ${adoption_columns}
FROM adoption
GROUP BY district_code
