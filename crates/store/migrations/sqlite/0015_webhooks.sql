-- Webhook endpoints and their deliveries (PRODUCT §7).

CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          BIGINT  NOT NULL,
    -- The developer who made it; deliveries carry what this user may read now.
    owner_user_id   BIGINT  NOT NULL,
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    -- Comma-separated event type names, or '*' for every type.
    event_types     TEXT    NOT NULL,
    -- 'Enabled' or 'Disabled'.
    status          TEXT    NOT NULL,
    disabled_reason TEXT,
    -- The signing secret, sealed with the master key (it must be read back to sign).
    secret_sealed   BLOB   NOT NULL,
    -- A rotated-out secret that still signs, alongside the new one, until it expires.
    previous_secret_sealed     BLOB,
    previous_secret_expires_at BIGINT,
    -- The organization's last event sequence handed to this endpoint's deliveries.
    last_sequence   BIGINT  NOT NULL,
    -- When deliveries began to fail without a success since; NULL while healthy.
    failing_since   BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     BIGINT  NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    -- The event (events.id); a test delivery has none and carries its own body.
    event_row_id    BIGINT,
    -- The webhook-id: the event's id, the same on every attempt.
    message_id      TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    -- 'Pending', 'Delivered', 'Failed' (gave up), or 'Withheld' (the owner may not read it).
    state           TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    -- A node working on it holds it until then; past it, another node may.
    lease_until     BIGINT,
    body            TEXT,
    created_at      BIGINT  NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     BIGINT  NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at    BIGINT  NOT NULL,
    status_code     BIGINT,
    latency_ms      BIGINT  NOT NULL,
    -- The first 1 KiB of the answer.
    response_excerpt TEXT   NOT NULL,
    error           TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
