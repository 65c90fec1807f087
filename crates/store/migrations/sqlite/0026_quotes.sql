-- Quotes (PRODUCT §10): the provider's offer to an organization, line by line,
-- valid through a day. Every version the customer could see is kept with its
-- lines, so the version accepted is always what was shown; accepting records
-- who, when, from where and which version, and places the order.

CREATE TABLE quotes (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              BIGINT  NOT NULL REFERENCES organizations(id),
    -- The provider's own reference (its back office's quote number), unique.
    reference           TEXT    NOT NULL UNIQUE,
    -- The accounts the order will be placed on, for account restrictions.
    contract_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    delivery_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    -- Draft, Sent, Accepted, Declined, Expired, Withdrawn.
    status              TEXT    NOT NULL,
    -- The current version (quote_versions.version).
    version             BIGINT  NOT NULL,
    -- Who answered (the person's e-mail), when, from which address, which version.
    answered_by         TEXT,
    answered_at         BIGINT,
    answered_ip         TEXT,
    answered_version    BIGINT,
    -- Why it was declined or withdrawn.
    reason              TEXT    NOT NULL DEFAULT '',
    -- The order that accepting it placed.
    order_id            BIGINT  REFERENCES orders(id),
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX quotes_org_created ON quotes(org_id, created_at, id);

-- What one version says: its title, currency, validity and note.
CREATE TABLE quote_versions (
    quote_id    BIGINT NOT NULL REFERENCES quotes(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    title       TEXT   NOT NULL,
    -- ISO 4217.
    currency    TEXT   NOT NULL,
    -- The last day it may be accepted (YYYY-MM-DD, UTC).
    valid_until TEXT   NOT NULL,
    note        TEXT   NOT NULL DEFAULT '',
    -- When this version was shown to the customer (NULL while a draft).
    sent_at     BIGINT,
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (quote_id, version)
);

-- One service offered at one site; prices are decimal text, never floats.
CREATE TABLE quote_lines (
    quote_id        BIGINT NOT NULL,
    version         BIGINT NOT NULL,
    position        BIGINT NOT NULL,
    site_id         BIGINT NOT NULL REFERENCES sites(id),
    product         TEXT   NOT NULL,
    service_type    TEXT   NOT NULL,
    downstream_mbps BIGINT NOT NULL,
    upstream_mbps   BIGINT NOT NULL,
    term_months     BIGINT NOT NULL,
    one_time_price  TEXT   NOT NULL,
    monthly_price   TEXT   NOT NULL,
    -- Days from acceptance to ready for service, as promised (NULL: not stated).
    lead_time_days  BIGINT,
    PRIMARY KEY (quote_id, version, position),
    FOREIGN KEY (quote_id, version) REFERENCES quote_versions(quote_id, version) ON DELETE CASCADE
);
