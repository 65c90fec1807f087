-- Proactive incidents and service health (PRODUCT §8): what the provider's
-- monitoring sends, as received and as OnePortal acted on it.

-- Credentials of the provider's own systems (Alertmanager, PagerDuty-style
-- senders): issued by staff, shown once, kept as a hash.
CREATE TABLE integration_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT   NOT NULL,
    -- SHA-256 of the token, hex: how a presented token is found.
    token_hash   TEXT   NOT NULL UNIQUE,
    -- The token's first characters, so staff can tell tokens apart.
    hint         TEXT   NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- Every accepted notification, written before it is acted on: a crash between
-- the acknowledgement and the case loses nothing. `alerts` holds the
-- notification's alerts in OnePortal's own shape (JSON).
CREATE TABLE alert_inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT   NOT NULL,
    token_id     BIGINT NOT NULL REFERENCES integration_tokens(id),
    alerts       TEXT   NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    -- Why it could not be acted on, when it failed on its own: set aside, kept
    -- and shown to staff, so that it does not hold back the notifications after it.
    error        TEXT
);
CREATE INDEX alert_inbox_waiting ON alert_inbox(id) WHERE processed_at IS NULL;

-- One row per alert key, as it stands now.
CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'alertmanager:<fingerprint>' or 'events:<dedup_key>'.
    alert_key      TEXT   NOT NULL UNIQUE,
    source         TEXT   NOT NULL,
    -- Firing, Acknowledged or Resolved.
    state          TEXT   NOT NULL,
    -- Down, Degraded or Intermittent: the case's subject.
    kind           TEXT   NOT NULL,
    severity       TEXT   NOT NULL,
    summary        TEXT   NOT NULL,
    -- The service as the alert named it; service_id is NULL when nothing matched.
    service_label  TEXT   NOT NULL,
    service_id     BIGINT REFERENCES services(id),
    org_id         BIGINT,
    -- The proactive case this key last opened, and when.
    case_id        BIGINT REFERENCES cases(id),
    case_opened_at BIGINT,
    -- The maintenance in progress the alert fired during, if it did.
    maintenance_id BIGINT REFERENCES maintenances(id),
    labels         TEXT   NOT NULL,
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    -- When the current (or last) firing began, and when it recovered.
    fired_at       BIGINT NOT NULL,
    resolved_at    BIGINT,
    notifications  BIGINT NOT NULL
);
CREATE INDEX alerts_service_state ON alerts(service_id, state);
CREATE INDEX alerts_last_seen ON alerts(last_seen_at, id);
CREATE INDEX alerts_maintenance ON alerts(maintenance_id) WHERE maintenance_id IS NOT NULL;

-- Derived from open alerts and maintenance in progress; kept on the row so
-- lists filter by it like any other field.
ALTER TABLE services ADD COLUMN health TEXT NOT NULL DEFAULT 'Operational';
