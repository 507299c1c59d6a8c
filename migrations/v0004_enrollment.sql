-- v0004: how a device is enrolled (today's rules tell Android apart by it), and management
-- `other` for agents Intune does not act through (Jamf, Configuration Manager only, Defender),
-- with the value as imported. SQLite cannot change a CHECK constraint: the table is rebuilt
-- with the same rows and indexes.
CREATE TABLE devices_v4 (
    device_id        TEXT NOT NULL PRIMARY KEY,
    device_name      TEXT,
    serial_number    TEXT,
    imei             TEXT,
    platform         TEXT NOT NULL,   -- normalised under intune-2017: a platform id, 'unlisted', or 'version_needed'
    os_raw           TEXT NOT NULL,   -- the platform / OS string exactly as imported
    os_version       TEXT,            -- as imported
    management       TEXT CHECK (management IN ('mdm', 'eas', 'eas_mdm', 'software_client', 'other')),  -- NULL: unknown
    management_raw   TEXT,            -- the value as imported, kept when it maps to 'other'
    enrollment       TEXT CHECK (enrollment IN ('dedicated', 'fully_managed', 'corporate_work_profile',
                                                'personal_work_profile', 'aosp', 'device_admin')),  -- NULL: unknown
    primary_user_upn TEXT COLLATE NOCASE,
    enrolled_by_upn  TEXT COLLATE NOCASE,
    passcode_set     INTEGER CHECK (passcode_set IN (0, 1)),  -- NULL: unknown
    last_check_in    TEXT,            -- ISO 8601, UTC, seconds precision
    seen_import      INTEGER NOT NULL,
    seen_line        INTEGER NOT NULL,
    changed_import   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO devices_v4 (device_id, device_name, serial_number, imei, platform, os_raw, os_version, management,
                        primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import)
SELECT device_id, device_name, serial_number, imei, platform, os_raw, os_version, management,
       primary_user_upn, enrolled_by_upn, passcode_set, last_check_in, seen_import, seen_line, changed_import
FROM devices ORDER BY device_id;
DROP TABLE devices;  -- its indexes go with it
ALTER TABLE devices_v4 RENAME TO devices;
CREATE INDEX devices_serial ON devices(serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX devices_imei ON devices(imei) WHERE imei IS NOT NULL;
CREATE INDEX devices_primary_user ON devices(primary_user_upn) WHERE primary_user_upn IS NOT NULL;
