-- v0003: the audit log without a UNIQUE index on `hash`. The chain already ties every hash
-- to its row, and a unique index on random SHA-256 keys made every append write a random
-- page: about 30 more pages per group commit of the engine. The table is rebuilt (SQLite
-- cannot drop a column constraint) with the same rows, indexes and triggers.
CREATE TABLE audit_log_v3 (
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
    hash       TEXT NOT NULL
);
INSERT INTO audit_log_v3 SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash
FROM audit_log ORDER BY seq;
DROP TABLE audit_log;  -- its triggers and indexes go with it
ALTER TABLE audit_log_v3 RENAME TO audit_log;

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
