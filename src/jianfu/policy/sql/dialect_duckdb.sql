-- The dialect layer, DuckDB: the one function the panel SQL needs that DuckDB and Spark SQL
-- spell differently. dialect_spark.sql defines the same name with the same result.
-- Everything else in the panel SQL is written in the common subset of both dialects.

-- Whole microseconds from time a to time b (an exact integer, so that sums of it do not
-- depend on the order in which an engine adds them up).
CREATE OR REPLACE TEMPORARY MACRO microseconds_between(a, b) AS epoch_us(b) - epoch_us(a);
