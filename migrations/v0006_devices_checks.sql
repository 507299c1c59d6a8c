-- v0006: the CHECK constraints of devices as chains of `=` instead of IN lists. They allow the
-- same values (NULL, unknown, still passes: a comparison with NULL is not false), and SQLite
-- checks them at a fraction of the cost: with IN lists, the checks were half of SQLite's time
-- per row in a bulk import (bench/RESULTS.md). SQLite cannot change a CHECK constraint: the
-- table is rebuilt with the same rows and indexes.
CREATE TABLE devices_v6 (
    device_id        TEXT NOT NULL PRIMARY KEY,
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
    changed_import   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO devices_v6 (device_id, device_name, serial_number, imei, platform, os_raw, os_version, management, management_raw, enrollment,
       primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import)
SELECT device_id, device_name, serial_number, imei, platform, os_raw, os_version, management, management_raw, enrollment,
       primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import
FROM devices ORDER BY device_id;
DROP TABLE devices;  -- its indexes go with it
ALTER TABLE devices_v6 RENAME TO devices;
CREATE INDEX devices_serial ON devices(serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX devices_imei ON devices(imei) WHERE imei IS NOT NULL;
CREATE INDEX devices_primary_user ON devices(primary_user_upn) WHERE primary_user_upn IS NOT NULL;
