-- Network performance (PRODUCT §9): the provider's measurements of each
-- service, as pushed (kept briefly) and rolled up (kept long).

-- One series as monitoring pushes it: a metric name and its labels, mapped to
-- one measurement of one service. Several series may measure the same thing
-- (two members of a link aggregation); readers combine them.
CREATE TABLE metric_series (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the series' labels (sorted `name=value` lines), hex: how a pushed series is found.
    labels_hash TEXT   NOT NULL UNIQUE,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    service_id  BIGINT NOT NULL REFERENCES services(id),
    measurement TEXT   NOT NULL,
    -- `counter` (its rate is the measurement) or `gauge`.
    kind        TEXT   NOT NULL,
    -- The labels as pushed (a JSON object), for staff.
    labels      TEXT   NOT NULL,
    -- The integration token that pushed it first.
    token_id    BIGINT NOT NULL REFERENCES integration_tokens(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX metric_series_by_service ON metric_series (service_id, measurement);
CREATE INDEX metric_series_by_organization ON metric_series (org_id);

-- Samples as pushed, in OnePortal's units (octets already bits), kept 48 hours.
-- Keyed by series first: every reader and the rollup read one series' span.
CREATE TABLE metric_samples (
    series_id BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, at)
) WITHOUT ROWID;

-- Rollups. For a gauge, `sum_value` is the sum of its samples and `weight`
-- their count; for a counter, the increase (resets handled) and the seconds it
-- took. Either way the average is sum_value / weight, at any level, and
-- min/max are the extreme sample (or per-scrape rate) within the point.
CREATE TABLE metric_points_5m (
    series_id BIGINT NOT NULL,
    bucket    BIGINT NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    weight    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, bucket)
) WITHOUT ROWID;

CREATE TABLE metric_points_1h (
    series_id BIGINT NOT NULL,
    bucket    BIGINT NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    weight    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, bucket)
) WITHOUT ROWID;

-- How far each rollup has gone, and where samples that arrived late ask it to
-- start again.
CREATE TABLE metric_rollups (
    resolution TEXT   PRIMARY KEY,
    done_to    BIGINT NOT NULL,
    redo_from  BIGINT
);
