-- Deactivation requests (PRODUCT §10), as the provider's help article describes
-- them: the customer asks with the service's Local Point of Contact, the
-- provider reviews and states the terms, the customer confirms (binding,
-- irreversible) or withdraws, the provider sets the billing end date within five
-- business days.

-- Each service's Local Point of Contact: the person on site the provider calls
-- (for a deactivation, to collect equipment). Checked and updated with each
-- deactivation request.
CREATE TABLE service_contacts (
    service_id BIGINT NOT NULL PRIMARY KEY REFERENCES services(id),
    name       TEXT   NOT NULL,
    email      TEXT   NOT NULL,
    phone      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    -- A user's e-mail or an API client's id.
    updated_by TEXT   NOT NULL
);

CREATE TABLE deactivation_requests (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               BIGINT  NOT NULL REFERENCES organizations(id),
    service_id           BIGINT  NOT NULL REFERENCES services(id),
    -- The service's accounts when it was asked, for account restrictions.
    contract_account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    delivery_account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    -- Submitted, InReview, PendingConfirmation, Confirmed, Scheduled, Completed, Withdrawn, Declined.
    status               TEXT    NOT NULL,
    -- YYYY-MM-DD, the day the customer wants the service to end.
    requested_end_date   TEXT    NOT NULL,
    reason               TEXT    NOT NULL,
    -- The Local Point of Contact as the request gave it.
    contact_name         TEXT    NOT NULL,
    contact_email        TEXT    NOT NULL,
    contact_phone        TEXT    NOT NULL,
    -- A user's e-mail or an API client's id.
    requested_by         TEXT    NOT NULL,
    -- The case the provider asks its questions in, if any.
    case_id              BIGINT  REFERENCES cases(id),
    -- Raised each time the provider states terms: a confirmation names the version it agreed to.
    terms_version        BIGINT  NOT NULL DEFAULT 0,
    -- Decimal text with two decimals (never floating point), with its currency; none for no fee.
    fee_amount           TEXT,
    fee_currency         TEXT,
    earliest_end_date    TEXT,
    terms_note           TEXT    NOT NULL DEFAULT '',
    confirmed_at         BIGINT,
    confirmed_by         TEXT,
    confirmed_from       TEXT,
    -- YYYY-MM-DD: five business days after the confirmation.
    billing_end_date_due TEXT,
    billing_end_date     TEXT,
    -- Why it was withdrawn or declined.
    closing_reason       TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX deactivation_requests_org_created ON deactivation_requests(org_id, created_at, id);
CREATE INDEX deactivation_requests_status ON deactivation_requests(status, created_at, id);
CREATE INDEX deactivation_requests_service ON deactivation_requests(service_id, id);
-- One request at a time per service: a second is refused until the first is final.
CREATE UNIQUE INDEX deactivation_requests_one_open ON deactivation_requests(service_id)
    WHERE status IN ('Submitted', 'InReview', 'PendingConfirmation', 'Confirmed', 'Scheduled');

-- Every step, as it was: who, when, the status after it and what they wrote.
CREATE TABLE deactivation_request_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES deactivation_requests(id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    status     TEXT   NOT NULL,
    -- A user's e-mail, an API client's id, or the provider's staff member.
    actor      TEXT   NOT NULL,
    note       TEXT   NOT NULL
);
CREATE INDEX deactivation_request_history_of ON deactivation_request_history(request_id, id);
