-- A person's secret maintenance-calendar address, for calendar apps that cannot
-- send a token: looked up by the key's SHA-256; the key itself is kept sealed
-- with the master key so My account can show the address again.
CREATE TABLE calendar_feeds (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id),
    key_hash     TEXT   NOT NULL UNIQUE,
    key_sealed   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
