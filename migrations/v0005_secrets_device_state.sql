-- v0005: what the second round records of a dispatch, and of a run.
-- secret: the kind of secret the action makes under the run's rule set (never the secret);
-- secret_delivered_at: when it went into a secrets file (each secret is written once);
-- device_state: what the service last said the device did with the action (confirmation);
-- runs.rule_set: the rule set the run was planned under (a resumed run keeps it).
ALTER TABLE dispatches ADD COLUMN secret TEXT CHECK (secret IN ('temporary_passcode', 'unlock_pin'));
ALTER TABLE dispatches ADD COLUMN secret_delivered_at TEXT;
ALTER TABLE dispatches ADD COLUMN device_state TEXT
    CHECK (device_state IN ('pending', 'active', 'done', 'failed', 'notSupported', 'canceled'));
ALTER TABLE dispatches ADD COLUMN device_state_at TEXT;
UPDATE dispatches SET secret = 'temporary_passcode' WHERE temporary_passcode = 1;
UPDATE dispatches SET secret_delivered_at = finished_at WHERE secret IS NOT NULL AND state = 'succeeded';
ALTER TABLE runs ADD COLUMN rule_set TEXT NOT NULL DEFAULT 'intune-2017';
-- already_done and unknown_earlier look up earlier dispatches of the same request and device
DROP INDEX dispatches_request;
CREATE INDEX dispatches_request ON dispatches(request_id, device_id, action, state) WHERE request_id IS NOT NULL;
-- whether a database's checkpoints are signed is read from its latest checkpoint
CREATE INDEX audit_log_checkpoints ON audit_log(seq) WHERE event = 'checkpoint';
-- a Mac's lock leaves an unlock PIN outstanding: today's rules look for one by device (only these rows are indexed)
CREATE INDEX dispatches_mac_locks ON dispatches(device_id, first_sent_at) WHERE action = 'lock' AND platform = 'macos';
