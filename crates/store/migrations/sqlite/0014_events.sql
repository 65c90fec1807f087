-- Events (PRODUCT §7): every change a customer may care about, written in the
-- same transaction as the change. Webhooks, the event feed and e-mail
-- notifications all read from here.

-- The last sequence number handed out per organization. Taking the next one
-- updates this row, which holds its lock until the transaction ends, so within
-- an organization sequence order is commit order and a reader paging by
-- sequence never skips an event that commits late.
CREATE TABLE event_sequences (
    org_id        BIGINT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'evt_' and 22 random base62 characters; also the webhook-id of its deliveries.
    event_id    TEXT    NOT NULL UNIQUE,
    org_id      BIGINT  NOT NULL,
    sequence    BIGINT  NOT NULL,
    event_type  TEXT    NOT NULL,
    -- The case, invoice or service the event is about, for the reader's access check.
    subject_id  BIGINT  NOT NULL,
    occurred_at BIGINT  NOT NULL,
    -- The event's data object as JSON.
    data        TEXT    NOT NULL,
    UNIQUE (org_id, sequence)
);
-- Retention: events older than the kept period are deleted oldest first.
CREATE INDEX events_occurred ON events(occurred_at);
