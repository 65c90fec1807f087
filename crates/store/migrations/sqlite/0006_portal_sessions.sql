-- Portal sessions, kept in the database so that every node sees them. The
-- cookie carries a random value; only its SHA-256 (hex) is stored here.

CREATE TABLE portal_sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users(id),
    -- The per-session CSRF token every portal form carries back.
    csrf_token   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    -- Absolute expiry; the idle expiry is last_seen_at plus the idle timeout.
    expires_at   BIGINT  NOT NULL,
    ip           TEXT
);
CREATE INDEX portal_sessions_user ON portal_sessions(user_id);
CREATE INDEX portal_sessions_expires ON portal_sessions(expires_at);

-- Failed portal logins per subject ('email:…' or 'ip:…'), so throttling and
-- lockout hold across nodes.
CREATE TABLE portal_login_failures (
    subject      TEXT    PRIMARY KEY,
    failures     BIGINT  NOT NULL,
    first_at     BIGINT  NOT NULL,
    locked_until BIGINT
);

-- A new client secret waiting to be shown once to the session that made it,
-- sealed with the master key, deleted when shown or after a few minutes.
CREATE TABLE portal_secret_reveals (
    reveal_hash  TEXT    PRIMARY KEY,
    session_hash TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    sealed       BLOB    NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX portal_secret_reveals_expires ON portal_secret_reveals(expires_at);
