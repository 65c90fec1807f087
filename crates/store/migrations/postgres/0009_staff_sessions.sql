-- Staff sessions for the operations pages under /staff, apart from customer
-- sessions so that neither cookie opens the other side. As for portal_sessions,
-- only the SHA-256 (hex) of the cookie's random value is stored.

CREATE TABLE staff_sessions (
    token_hash   TEXT    PRIMARY KEY,
    staff_id     BIGINT  NOT NULL REFERENCES staff(id),
    csrf_token   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    ip           TEXT
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions(expires_at);

-- The audit log page filters by actor and by time, newest first.
CREATE INDEX audit_log_actor ON audit_log(actor_type, actor_id);
