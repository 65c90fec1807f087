-- Foundation: organizations, accounts, users, staff, API clients, signing keys,
-- token revocations, the audit log and server settings.
-- Timestamps are Unix milliseconds (BIGINT) on both backends.

CREATE TABLE organizations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL,
    api_client_quota BIGINT,
    created_at       BIGINT  NOT NULL
);

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT  NOT NULL REFERENCES organizations(id),
    account_type     TEXT    NOT NULL CHECK (account_type IN ('Contract', 'Delivery')),
    name             TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'Active',
    country          TEXT    NOT NULL DEFAULT '',
    billing_currency TEXT    NOT NULL DEFAULT 'EUR',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT  NOT NULL REFERENCES organizations(id),
    email         TEXT    NOT NULL UNIQUE,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    phone         TEXT    NOT NULL DEFAULT '',
    country       TEXT    NOT NULL DEFAULT '',
    user_type     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    permissions   TEXT    NOT NULL,
    password_hash TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX users_org ON users(org_id);

-- A user with no rows of an account type sees every account of that type.
CREATE TABLE user_account_access (
    user_id    BIGINT NOT NULL REFERENCES users(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (user_id, account_id)
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('Agent', 'Admin')),
    status        TEXT    NOT NULL,
    password_hash TEXT,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE api_clients (
    client_id          TEXT    PRIMARY KEY,
    org_id             BIGINT  NOT NULL REFERENCES organizations(id),
    owner_user_id      BIGINT  NOT NULL REFERENCES users(id),
    created_by_user_id BIGINT  NOT NULL REFERENCES users(id),
    name               TEXT    NOT NULL,
    name_key           TEXT    NOT NULL,
    scopes             TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    suspension_reason  TEXT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    last_used_at       BIGINT,
    revoked_at         BIGINT
);
CREATE UNIQUE INDEX api_clients_name_key_unique ON api_clients(org_id, name_key) WHERE status <> 'Revoked';
CREATE INDEX api_clients_owner ON api_clients(owner_user_id);
CREATE INDEX api_clients_org ON api_clients(org_id, created_at);

CREATE TABLE api_client_secrets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT    NOT NULL REFERENCES api_clients(client_id),
    secret_hash BLOB    NOT NULL,
    last4       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX api_client_secrets_client ON api_client_secrets(client_id);

CREATE TABLE signing_keys (
    kid          TEXT   PRIMARY KEY,
    alg          TEXT   NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('Next', 'Active', 'Retiring')),
    private_key  BLOB   NOT NULL,
    public_jwk   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    activated_at BIGINT,
    retire_at    BIGINT
);

CREATE TABLE revoked_tokens (
    jti        TEXT   PRIMARY KEY,
    client_id  TEXT   NOT NULL,
    org_id     BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT  NOT NULL,
    org_id     BIGINT,
    actor_type TEXT    NOT NULL,
    actor_id   TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target_type TEXT,
    target_id  TEXT,
    details    TEXT    NOT NULL DEFAULT '{}',
    ip         TEXT,
    request_id TEXT
);
CREATE INDEX audit_log_org_at ON audit_log(org_id, at);
CREATE INDEX audit_log_action ON audit_log(action, at);

CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
