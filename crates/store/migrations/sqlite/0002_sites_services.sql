-- Sites and services, the core resources of API V2 (BasicRead).

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    name        TEXT    NOT NULL,
    street      TEXT    NOT NULL DEFAULT '',
    city        TEXT    NOT NULL DEFAULT '',
    postal_code TEXT    NOT NULL DEFAULT '',
    region      TEXT    NOT NULL DEFAULT '',
    country     TEXT    NOT NULL,
    latitude    REAL,
    longitude   REAL,
    status      TEXT    NOT NULL DEFAULT 'Active',
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX sites_org_updated ON sites(org_id, updated_at, id);
CREATE INDEX sites_account ON sites(account_id);

CREATE TABLE services (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                 BIGINT  NOT NULL REFERENCES organizations(id),
    service_name           TEXT    NOT NULL,
    service_type           TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    contract_account_id    BIGINT  NOT NULL REFERENCES accounts(id),
    delivery_account_id    BIGINT  NOT NULL REFERENCES accounts(id),
    site_id                BIGINT  NOT NULL REFERENCES sites(id),
    downstream_mbps        BIGINT  NOT NULL DEFAULT 0,
    upstream_mbps          BIGINT  NOT NULL DEFAULT 0,
    planned_delivery_date  TEXT,
    ready_for_service_date TEXT,
    technical_note         TEXT    NOT NULL DEFAULT '',
    technical_details      TEXT    NOT NULL DEFAULT '{}',
    customer_reference     TEXT    NOT NULL DEFAULT '',
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL
);
CREATE INDEX services_org_updated ON services(org_id, updated_at, id);
CREATE INDEX services_contract ON services(contract_account_id);
CREATE INDEX services_delivery ON services(delivery_account_id);
CREATE INDEX services_site ON services(site_id);
