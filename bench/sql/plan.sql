-- `make bench-plan` reference: the verdict count per reason (after sql/resolve.sql).
SELECT reason, count(*) FROM elements GROUP BY reason ORDER BY reason;
