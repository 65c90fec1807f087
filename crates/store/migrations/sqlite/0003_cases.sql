-- Support cases with their conversation, attachments, status history and RFO.
-- A case copies its service's site and accounts so that lists filter by the
-- caller's account restrictions without a join.

CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              BIGINT  NOT NULL REFERENCES organizations(id),
    case_type           TEXT    NOT NULL,
    subject             TEXT    NOT NULL,
    priority            TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    service_id          BIGINT  NOT NULL REFERENCES services(id),
    site_id             BIGINT  NOT NULL REFERENCES sites(id),
    contract_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    delivery_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    customer_reference  TEXT    NOT NULL DEFAULT '',
    origin              TEXT    NOT NULL,
    start_of_incident   BIGINT,
    end_of_incident     BIGINT,
    contact_name        TEXT    NOT NULL DEFAULT '',
    contact_email       TEXT    NOT NULL DEFAULT '',
    contact_phone       TEXT    NOT NULL DEFAULT '',
    related_case_id     BIGINT  REFERENCES cases(id),
    created_by          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    resolved_at         BIGINT,
    closed_at           BIGINT,
    -- The SLA clock: time spent Pending so far, and since when it is Pending now.
    sla_paused_ms       BIGINT  NOT NULL DEFAULT 0,
    pending_since       BIGINT,
    rfo_status          TEXT,
    rfo_issued_at       BIGINT
);
CREATE INDEX cases_org_updated ON cases(org_id, updated_at, id);
CREATE INDEX cases_org_created ON cases(org_id, created_at, id);
CREATE INDEX cases_org_status ON cases(org_id, status);
CREATE INDEX cases_service ON cases(service_id);
CREATE INDEX cases_org_reference ON cases(org_id, customer_reference);
CREATE INDEX cases_resolved ON cases(status, resolved_at);

CREATE TABLE case_communications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    BIGINT  NOT NULL REFERENCES cases(id),
    comm_type  TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    sent_by    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX case_communications_case ON case_communications(case_id, id);

CREATE TABLE case_attachments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id          BIGINT  NOT NULL REFERENCES cases(id),
    communication_id BIGINT  REFERENCES case_communications(id),
    file_name        TEXT    NOT NULL,
    content_type     TEXT    NOT NULL,
    size_bytes       BIGINT  NOT NULL,
    sha256           TEXT    NOT NULL,
    content          BLOB    NOT NULL,
    uploaded_by      TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments(case_id, id);

CREATE TABLE case_status_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     BIGINT  NOT NULL REFERENCES cases(id),
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    changed_by  TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX case_status_history_case ON case_status_history(case_id, id);

-- One RFO per incident case; each publication raises its version.
CREATE TABLE rfos (
    case_id    BIGINT  PRIMARY KEY REFERENCES cases(id),
    status     TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    issued_at  BIGINT  NOT NULL,
    body       TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
