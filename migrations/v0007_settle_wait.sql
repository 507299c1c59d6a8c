-- v0007: what the third round records of a dispatch (DESIGN.md, "Third round").
-- state gains settle_wait: sent, the answer proved nothing (a 5xx, a timeout, a dropped
-- connection) for an action that must not happen twice, waiting to ask the service.
-- SQLite cannot change a CHECK constraint: the table is rebuilt with the same rows and indexes.
-- uncounted_attempts: sends that do not count toward --max-attempts (429s, the circuit
-- breaker's probes that proved nothing was done), so that a resumed run counts the same;
-- settle_reads: questions about a settle_wait element that got no answer;
-- service_status, service_code, operation_id, service_request_id, client_request_id: what the
-- service said of the element's last refused or failed attempt (a real Intune 400 often
-- gives only an Operation ID).
CREATE TABLE dispatches_v7 (
    run_id          TEXT NOT NULL REFERENCES runs(id),
    seq             INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    request_id      TEXT,
    action          TEXT NOT NULL,
    target          TEXT NOT NULL,
    device_id       TEXT,
    platform        TEXT,
    reason          TEXT,
    detail          TEXT,
    warnings        TEXT,
    temporary_passcode INTEGER NOT NULL DEFAULT 0,
    requested_by    TEXT,
    justification   TEXT,
    ticket          TEXT,
    idempotency_key TEXT,
    state           TEXT NOT NULL CHECK (state IN ('planned', 'rejected', 'skipped', 'queued', 'sending', 'retry_wait',
                                                   'settle_wait', 'succeeded', 'failed', 'unknown_outcome')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    channel         TEXT,
    queued_at       TEXT,
    first_sent_at   TEXT,
    last_sent_at    TEXT,
    finished_at     TEXT,
    latency_ms      REAL,
    secret          TEXT CHECK (secret IN ('temporary_passcode', 'unlock_pin')),
    secret_delivered_at TEXT,
    device_state    TEXT CHECK (device_state IN ('pending', 'active', 'done', 'failed', 'notSupported', 'canceled')),
    device_state_at TEXT,
    uncounted_attempts INTEGER NOT NULL DEFAULT 0,
    settle_reads    INTEGER NOT NULL DEFAULT 0,
    service_status  INTEGER,
    service_code    TEXT,
    operation_id    TEXT,
    service_request_id TEXT,
    client_request_id TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO dispatches_v7 (run_id, seq, line, request_id, action, target, device_id, platform, reason, detail, warnings,
       temporary_passcode, requested_by, justification, ticket, idempotency_key, state, attempts, last_error, channel,
       queued_at, first_sent_at, last_sent_at, finished_at, latency_ms, secret, secret_delivered_at, device_state,
       device_state_at)
SELECT run_id, seq, line, request_id, action, target, device_id, platform, reason, detail, warnings,
       temporary_passcode, requested_by, justification, ticket, idempotency_key, state, attempts, last_error, channel,
       queued_at, first_sent_at, last_sent_at, finished_at, latency_ms, secret, secret_delivered_at, device_state,
       device_state_at
FROM dispatches ORDER BY run_id, seq;
DROP TABLE dispatches;  -- its indexes go with it
ALTER TABLE dispatches_v7 RENAME TO dispatches;
CREATE INDEX dispatches_work ON dispatches(run_id, state, seq);
CREATE INDEX dispatches_request ON dispatches(request_id, device_id, action, state) WHERE request_id IS NOT NULL;
CREATE INDEX dispatches_mac_locks ON dispatches(device_id, first_sent_at) WHERE action = 'lock' AND platform = 'macos';
