-- PostgreSQL's migration 0027 keeps the points' values in their key's index,
-- so a chart reads one series' points from contiguous pages. SQLite's points
-- tables are WITHOUT ROWID: their rows already lie in key order. Nothing to do.
SELECT 1;
