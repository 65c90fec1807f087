-- The provider's own keys for what it imports, so importing the same file
-- again updates records instead of adding copies. NULL for records made in
-- OnePortal itself (NULLs never collide in a unique index).

ALTER TABLE organizations ADD COLUMN external_ref TEXT;
ALTER TABLE accounts ADD COLUMN external_ref TEXT;
ALTER TABLE sites ADD COLUMN external_ref TEXT;
ALTER TABLE services ADD COLUMN external_ref TEXT;
ALTER TABLE case_communications ADD COLUMN external_ref TEXT;

CREATE UNIQUE INDEX organizations_external_ref ON organizations(external_ref);
CREATE UNIQUE INDEX accounts_external_ref ON accounts(org_id, external_ref);
CREATE UNIQUE INDEX sites_external_ref ON sites(org_id, external_ref);
CREATE UNIQUE INDEX services_external_ref ON services(org_id, external_ref);
CREATE UNIQUE INDEX case_communications_external_ref ON case_communications(case_id, external_ref);
