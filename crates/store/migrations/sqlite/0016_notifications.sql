-- E-mail notifications (PRODUCT §7): each person's choices, and which events
-- have been turned into e-mails.

-- A person's choice for one topic, where it differs from the topic's default
-- (a topic without a row follows its default).
CREATE TABLE notification_preferences (
    user_id    BIGINT  NOT NULL,
    topic      TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, topic)
);

-- How far each organization's events have been turned into e-mails. Moving it
-- in the transaction that writes the e-mails means none is written twice.
CREATE TABLE notification_cursors (
    org_id        BIGINT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);
-- Events that happened before this version are not mailed about.
INSERT INTO notification_cursors (org_id, last_sequence)
    SELECT org_id, last_sequence FROM event_sequences;

-- One e-mail per event and person, whatever happens to the cursor.
CREATE TABLE notifications_sent (
    event_row_id BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    outbox_id    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (event_row_id, user_id)
);
CREATE INDEX notifications_sent_created ON notifications_sent(created_at);
