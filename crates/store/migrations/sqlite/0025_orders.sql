-- Orders in delivery (PRODUCT §10): lines, one per service to deliver, each
-- passing the same milestones with planned and actual days, and the delays
-- with their reasons. A line's service exists from the order on (InProgress)
-- and becomes RFS when the line is ready for service.

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              BIGINT  NOT NULL REFERENCES organizations(id),
    -- The provider's own reference (its back office's order number), unique.
    reference           TEXT    NOT NULL UNIQUE,
    -- The accounts of every line's service, for account restrictions.
    contract_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    delivery_account_id BIGINT  NOT NULL REFERENCES accounts(id),
    -- The customer's purchase-order reference.
    purchase_order      TEXT    NOT NULL DEFAULT '',
    -- InDelivery, Delivered, Cancelled.
    status              TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX orders_org_created ON orders(org_id, created_at, id);

CREATE TABLE order_lines (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    service_id BIGINT NOT NULL UNIQUE REFERENCES services(id),
    -- What is delivered, as the quote said: the product and its bandwidth.
    product    TEXT   NOT NULL,
    position   BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines(order_id, position);

-- One row per line and milestone: when it is planned, when it was reached.
CREATE TABLE order_milestones (
    line_id      BIGINT NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
    -- OrderReceived, SiteSurvey, SupplierOrdered, InstallationScheduled, Installed, Tested, ReadyForService.
    milestone    TEXT   NOT NULL,
    -- YYYY-MM-DD.
    planned_date TEXT,
    actual_date  TEXT,
    PRIMARY KEY (line_id, milestone)
);

-- Every move of a planned date, with its reason.
CREATE TABLE order_delays (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    line_id           BIGINT NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
    milestone         TEXT   NOT NULL,
    previous_planned  TEXT,
    new_planned       TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    at                BIGINT NOT NULL,
    actor             TEXT   NOT NULL
);
CREATE INDEX order_delays_line ON order_delays(line_id, id);
