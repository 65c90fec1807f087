-- A case list filtered by status and sorted by a date reads, per status, the
-- newest (or oldest) rows straight off one of these indexes and merges them,
-- so a page costs the same whatever the mix of statuses. Through
-- cases_org_updated it walked past every case of another status first, and a
-- stream of new Acknowledged cases made "open cases, newest change first"
-- slower with every case (the soak found it). These replace cases_org_status,
-- whose columns they begin with.
DROP INDEX cases_org_status;
CREATE INDEX cases_org_status_updated ON cases(org_id, status, updated_at, id);
CREATE INDEX cases_org_status_created ON cases(org_id, status, created_at, id);
