-- Shared rate-limit counters, so that limits hold across nodes: each node adds
-- what it counted since its last sync (every 200 ms) to the fixed window the
-- counts fall in, and reads back the cluster's totals. Keys are prefixed by the
-- limit they belong to ('api:…', 'issue:…', 'fail:c:…', 'fail:a:…');
-- window_start is Unix milliseconds. Windows older than a few minutes are deleted.
CREATE TABLE rate_counters (
    key          TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
