-- Every e-mail OnePortal sends, kept here first (the only destination when no
-- SMTP server is configured) and delivered from here, retried until it goes.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    -- 'Pending' until delivered ('Sent'); 'Stored' when no SMTP server is configured.
    state           TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Links sent by e-mail (activation, password reset): only the SHA-256 (hex) of
-- the random value is kept; used_at makes each link work once.
CREATE TABLE user_link_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users(id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('activation', 'reset')),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX user_link_tokens_user ON user_link_tokens(user_id, purpose);
