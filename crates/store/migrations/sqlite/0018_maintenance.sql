-- Planned maintenance (PRODUCT §8), as the NANOG BCOP for maintenance
-- notifications describes it. One maintenance may touch services of many
-- organizations; each customer sees it through the services it may see.

CREATE TABLE maintenances (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The provider's own reference (change ticket), unique.
    reference       TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    -- The BCOP status: TENTATIVE, CONFIRMED, CANCELLED, IN-PROCESS, COMPLETED, RE-SCHEDULED.
    status          TEXT    NOT NULL,
    starts_at       BIGINT  NOT NULL,
    ends_at         BIGINT  NOT NULL,
    -- When the current window was announced: less than 14 days before it starts is short notice.
    notice_given_at BIGINT  NOT NULL,
    -- Raised on every change; the iCalendar SEQUENCE.
    revision        BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX maintenances_starts ON maintenances(starts_at, id);

-- The services a maintenance affects, each with its impact.
CREATE TABLE maintenance_services (
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    service_id     BIGINT NOT NULL REFERENCES services(id),
    -- The service's organization: who is told, and whose lists show it.
    org_id         BIGINT NOT NULL,
    -- NO-IMPACT, REDUCED-REDUNDANCY, DEGRADED or OUTAGE.
    impact         TEXT   NOT NULL,
    PRIMARY KEY (maintenance_id, service_id)
);
CREATE INDEX maintenance_services_org ON maintenance_services(org_id, maintenance_id);
CREATE INDEX maintenance_services_service ON maintenance_services(service_id, maintenance_id);

-- Every announcement and change, as it was: who, when, the status and window after it.
CREATE TABLE maintenance_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    at             BIGINT NOT NULL,
    -- What happened: announced, updated, rescheduled, confirmed, started, completed, cancelled.
    action         TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    revision       BIGINT NOT NULL,
    -- STF-000001, or 'import' for the back office.
    actor          TEXT   NOT NULL,
    note           TEXT   NOT NULL
);
CREATE INDEX maintenance_history_of ON maintenance_history(maintenance_id, id);
