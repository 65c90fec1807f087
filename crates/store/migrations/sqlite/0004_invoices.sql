-- Invoices and credit notes with their lines (BillingRead).
-- Dates are calendar dates as 'YYYY-MM-DD' text, which sorts and compares by day;
-- amounts are decimal text with two decimals, never floating point.

CREATE TABLE invoices (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               BIGINT  NOT NULL REFERENCES organizations(id),
    account_id           BIGINT  NOT NULL REFERENCES accounts(id),
    invoice_number       TEXT    NOT NULL,
    invoice_type         TEXT    NOT NULL CHECK (invoice_type IN ('Invoice', 'CreditNote')),
    status               TEXT    NOT NULL CHECK (status IN ('Open', 'PartiallyPaid', 'Paid', 'Void')),
    invoice_date         TEXT    NOT NULL,
    due_date             TEXT    NOT NULL,
    billing_period_start TEXT    NOT NULL,
    billing_period_end   TEXT    NOT NULL,
    currency             TEXT    NOT NULL,
    subtotal             TEXT    NOT NULL,
    tax_total            TEXT    NOT NULL,
    total                TEXT    NOT NULL,
    amount_paid          TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
-- The printed number is the provider's key for imports.
CREATE UNIQUE INDEX invoices_org_number ON invoices(org_id, invoice_number);
-- The list's default order (-invoiceDate) and its filters.
CREATE INDEX invoices_org_date ON invoices(org_id, invoice_date, id);
CREATE INDEX invoices_org_due ON invoices(org_id, due_date, id);
CREATE INDEX invoices_org_updated ON invoices(org_id, updated_at, id);
CREATE INDEX invoices_org_status ON invoices(org_id, status);
CREATE INDEX invoices_account_date ON invoices(account_id, invoice_date);

CREATE TABLE invoice_lines (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id      BIGINT  NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    position        BIGINT  NOT NULL,
    description     TEXT    NOT NULL,
    charge_type     TEXT    NOT NULL CHECK (charge_type IN ('Recurring', 'OneTime', 'Usage', 'Credit')),
    service_id      BIGINT  REFERENCES services(id),
    site_address    TEXT,
    order_reference TEXT,
    period_start    TEXT,
    period_end      TEXT,
    quantity        TEXT    NOT NULL,
    unit_price      TEXT    NOT NULL,
    amount          TEXT    NOT NULL,
    tax_rate        TEXT    NOT NULL,
    tax_amount      TEXT    NOT NULL,
    total_amount    TEXT    NOT NULL
);
CREATE UNIQUE INDEX invoice_lines_position ON invoice_lines(invoice_id, position);
CREATE INDEX invoice_lines_service ON invoice_lines(service_id);
