-- v0010: the tenant registry (DESIGN.md, "Several tenants in one database"). A service
-- provider registers each customer tenant under a short name; the operator's own tenant is
-- `default` and has no row. `number` is the tenant's key in the tables that hold its rows
-- (0 stands for `default`), assigned max+1 and never reused: a removed tenant keeps its row,
-- with `removed_at`, so that its runs and its audit chain still name it and the name is
-- never given to another customer. Only a credentials file's path is kept, never a secret.
CREATE TABLE tenants (
    number           INTEGER PRIMARY KEY CHECK (number > 0),
    name             TEXT NOT NULL UNIQUE,
    tenant_id        TEXT NOT NULL,           -- the Entra tenant id (a GUID, lower case)
    credentials_path TEXT,                    -- NULL: the app of the environment
    graph_url        TEXT,                    -- NULL: the command's --graph-url
    authority_url    TEXT,
    rate             TEXT,                    -- N/SECONDS, NULL: run --rate
    read_rate        TEXT,
    added_at         TEXT NOT NULL,
    added_by         TEXT NOT NULL,
    removed_at       TEXT,
    removed_by       TEXT,
    CHECK ((graph_url IS NULL) = (authority_url IS NULL)),
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
-- one registration per customer tenant among those not removed
CREATE UNIQUE INDEX tenants_tenant_id ON tenants(tenant_id) WHERE removed_at IS NULL;

-- Inventories are kept per tenant: devices and users are keyed by (tenant, id), so that the
-- same device id or UPN may exist in two customers' tenants. A target resolves inside its
-- own tenant only, so the lookups by serial number, IMEI and primary user are per tenant
-- too. Rebuilt with the same rows, all of `default` (0). A value of 0 takes no byte in
-- SQLite's record (serial type 8): a database of one tenant grows by a header byte a row.
CREATE TABLE devices_v10 (
    tenant           INTEGER NOT NULL DEFAULT 0,
    device_id        TEXT NOT NULL,
    device_name      TEXT,
    serial_number    TEXT,
    imei             TEXT,
    platform         TEXT NOT NULL,   -- normalised under intune-2017: a platform id, 'unlisted', or 'version_needed'
    os_raw           TEXT NOT NULL,   -- the platform / OS string exactly as imported
    os_version       TEXT,            -- as imported
    management       TEXT CHECK (management = 'mdm' OR management = 'eas' OR management = 'eas_mdm'
                                 OR management = 'software_client' OR management = 'other'),  -- NULL: unknown
    management_raw   TEXT,            -- the value as imported, kept when it maps to 'other'
    enrollment       TEXT CHECK (enrollment = 'dedicated' OR enrollment = 'fully_managed'
                                 OR enrollment = 'corporate_work_profile' OR enrollment = 'personal_work_profile'
                                 OR enrollment = 'aosp' OR enrollment = 'device_admin'),  -- NULL: unknown
    primary_user_upn TEXT COLLATE NOCASE,
    enrolled_by_upn  TEXT COLLATE NOCASE,
    passcode_set     INTEGER CHECK (passcode_set = 0 OR passcode_set = 1),  -- NULL: unknown
    last_check_in    TEXT,            -- ISO 8601, UTC, seconds precision
    seen_import      INTEGER NOT NULL,
    seen_line        INTEGER NOT NULL,
    changed_import   INTEGER NOT NULL,
    PRIMARY KEY (tenant, device_id)
) WITHOUT ROWID;
INSERT INTO devices_v10 (tenant, device_id, device_name, serial_number, imei, platform, os_raw, os_version, management, management_raw,
       enrollment, primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import)
SELECT 0, device_id, device_name, serial_number, imei, platform, os_raw, os_version, management, management_raw, enrollment,
       primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import
FROM devices ORDER BY device_id;
DROP TABLE devices;  -- its indexes go with it
ALTER TABLE devices_v10 RENAME TO devices;
CREATE INDEX devices_serial ON devices(tenant, serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX devices_imei ON devices(tenant, imei) WHERE imei IS NOT NULL;
CREATE INDEX devices_primary_user ON devices(tenant, primary_user_upn) WHERE primary_user_upn IS NOT NULL;

CREATE TABLE users_v10 (
    tenant        INTEGER NOT NULL DEFAULT 0,
    upn           TEXT NOT NULL COLLATE NOCASE,
    display_name  TEXT,
    email         TEXT,
    department    TEXT,
    seen_import   INTEGER NOT NULL,
    seen_line     INTEGER NOT NULL,
    changed_import INTEGER NOT NULL,
    PRIMARY KEY (tenant, upn)
);
INSERT INTO users_v10 (tenant, upn, display_name, email, department, seen_import, seen_line, changed_import)
SELECT 0, upn, display_name, email, department, seen_import, seen_line, changed_import FROM users ORDER BY upn;
DROP TABLE users;
ALTER TABLE users_v10 RENAME TO users;

-- an import names the tenant it loaded (0: default)
ALTER TABLE imports ADD COLUMN tenant INTEGER NOT NULL DEFAULT 0;
-- an element belongs to its target's tenant (0: default)
ALTER TABLE dispatches ADD COLUMN tenant INTEGER NOT NULL DEFAULT 0;
