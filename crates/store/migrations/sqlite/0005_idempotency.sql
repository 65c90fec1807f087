-- Idempotency keys of creating POSTs: the first answer, replayed for 24 hours to
-- the same caller sending the same key and body.

CREATE TABLE idempotency_keys (
    owner        TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    -- 'in_flight' while the first request runs, then 'done'.
    state        TEXT    NOT NULL,
    status_code  BIGINT,
    content_type TEXT,
    location     TEXT,
    body         BLOB,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (owner, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
