-- The dialect layer, Spark SQL: the same function as dialect_duckdb.sql, as a SQL function.
-- Times without a time zone (TIMESTAMP_NTZ, as the cleaned files store them) are converted with
-- the session time zone, which panel.py sets to UTC: UTC has no daylight-saving jumps, so the
-- difference between two times is the difference of their wall-clock readings, as in DuckDB.

-- Whole microseconds from time a to time b (an exact integer).
CREATE OR REPLACE TEMPORARY FUNCTION microseconds_between(a TIMESTAMP, b TIMESTAMP)
RETURNS BIGINT
RETURN unix_micros(b) - unix_micros(a);
