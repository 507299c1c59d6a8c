-- v0001: inventory (users, devices), import log, append-only audit log.

CREATE TABLE users (
    upn           TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    display_name  TEXT,
    email         TEXT,
    department    TEXT,
    -- import bookkeeping: the import that last saw / last changed the row, and where
    seen_import   INTEGER NOT NULL,
    seen_line     INTEGER NOT NULL,
    changed_import INTEGER NOT NULL
);

CREATE TABLE devices (
    device_id        TEXT NOT NULL PRIMARY KEY,
    device_name      TEXT,
    serial_number    TEXT,
    imei             TEXT,
    platform         TEXT NOT NULL,   -- normalised: a platform id of RULES.md, 'unlisted', or 'version_needed'
    os_raw           TEXT NOT NULL,   -- the platform / OS string exactly as imported
    os_version       TEXT,            -- as imported
    management       TEXT CHECK (management IN ('mdm', 'eas', 'eas_mdm', 'software_client')),  -- NULL: unknown
    primary_user_upn TEXT COLLATE NOCASE,
    enrolled_by_upn  TEXT COLLATE NOCASE,
    passcode_set     INTEGER CHECK (passcode_set IN (0, 1)),  -- NULL: unknown
    last_check_in    TEXT,            -- ISO 8601, UTC, seconds precision
    seen_import      INTEGER NOT NULL,
    seen_line        INTEGER NOT NULL,
    changed_import   INTEGER NOT NULL
) WITHOUT ROWID;  -- rows live in the device_id B-tree: one tree to write per row, not two
CREATE INDEX devices_serial ON devices(serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX devices_imei ON devices(imei) WHERE imei IS NOT NULL;
CREATE INDEX devices_primary_user ON devices(primary_user_upn) WHERE primary_user_upn IS NOT NULL;

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('users', 'devices')),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    skipped     INTEGER NOT NULL
);

-- Append-only: every row is chained to the previous one by hash; triggers refuse edits.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    run_id     TEXT,
    actor      TEXT NOT NULL,
    event      TEXT NOT NULL,
    device_id  TEXT,
    action     TEXT,
    outcome    TEXT,
    reason     TEXT,
    detail     TEXT NOT NULL,   -- JSON object
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_run ON audit_log(run_id) WHERE run_id IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
