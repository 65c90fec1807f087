-- A chart reads one series' points in key order: a month of five-minute
-- points is 8,640 rows a series. The rollup writes them bucket by bucket for
-- every series at once, so in the table one series' rows lie one to a page,
-- and reading a month touched 8,640 pages (60 MiB) a series. With the values
-- in the key's index the same read is an index-only scan of about 130
-- contiguous pages. It costs half as much disk again per point (109 to 162
-- bytes in `bench metrics`): PostgreSQL has no table stored in key order
-- (SQLite's are: WITHOUT ROWID).
ALTER TABLE metric_points_5m
    DROP CONSTRAINT metric_points_5m_pkey,
    ADD CONSTRAINT metric_points_5m_pkey PRIMARY KEY (series_id, bucket)
        INCLUDE (min_value, max_value, sum_value, weight);
ALTER TABLE metric_points_1h
    DROP CONSTRAINT metric_points_1h_pkey,
    ADD CONSTRAINT metric_points_1h_pkey PRIMARY KEY (series_id, bucket)
        INCLUDE (min_value, max_value, sum_value, weight);

-- An index-only scan skips the table only for pages vacuum has marked all
-- visible. These tables only grow, so have vacuum mark new pages after 1% of
-- growth rather than the default 20%.
ALTER TABLE metric_points_5m SET (autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE metric_points_1h SET (autovacuum_vacuum_insert_scale_factor = 0.01);
