-- `make bench-run` reference (after sql/resolve.sql): the inserts and updates of a run,
-- set-based, in the transactions a run needs at the least: the plan (one row per
-- (request, device), one audit row per rejection), then every accepted row to
-- `sending` with its audit row, then to `succeeded` with its audit row. Each audit row
-- gets a SHA3-256 of its fields (chaining them is not expressible set-based).
BEGIN IMMEDIATE;
INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets)
VALUES ('ref', 'batch.csv', 'sha', 'running', 'bench', strftime('%Y-%m-%dT%H:%M:%fZ'), '{}', 0, 0);
INSERT INTO dispatches (run_id, seq, line, request_id, action, target, device_id, platform, reason, requested_by,
                        justification, ticket, idempotency_key, state, queued_at)
SELECT 'ref', row_number() OVER (ORDER BY line, device_id), line, request_id, action, target, device_id, platform,
       nullif(reason, 'accepted'), requested_by, justification, ticket,
       CASE WHEN reason = 'accepted' THEN request_id || '/' || device_id END,
       CASE WHEN reason = 'accepted' THEN 'queued' ELSE 'rejected' END, strftime('%Y-%m-%dT%H:%M:%fZ')
FROM elements;
CREATE TEMP TABLE audit_rows AS
SELECT seq, 'rejected' AS event, coalesce(requested_by, 'bench') AS actor, device_id, action, 'rejected' AS outcome, reason,
       json_object('line', line, 'target', target, 'request_id', request_id) AS detail
FROM dispatches WHERE run_id = 'ref' AND state = 'rejected' ORDER BY seq;
INSERT INTO audit_log (seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash)
SELECT (SELECT coalesce(max(seq), 0) FROM audit_log) + row_number() OVER (ORDER BY seq), strftime('%Y-%m-%dT%H:%M:%fZ'),
       'ref', actor, event, device_id, action, outcome, reason, detail, '',
       hex(sha3((coalesce(seq, '~') || ';' || coalesce('ref', '~') || ';' || coalesce(actor, '~') || ';' || coalesce(event, '~') || ';' || coalesce(device_id, '~') || ';' || coalesce(action, '~') || ';' || coalesce(outcome, '~') || ';' || coalesce(reason, '~') || ';' || coalesce(detail, '~')), 256))
FROM temp.audit_rows;
COMMIT;

BEGIN IMMEDIATE;
UPDATE dispatches SET state = 'sending', attempts = 1, first_sent_at = strftime('%Y-%m-%dT%H:%M:%fZ'),
       last_sent_at = strftime('%Y-%m-%dT%H:%M:%fZ')
WHERE run_id = 'ref' AND state = 'queued';
INSERT INTO audit_log (seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash)
SELECT (SELECT coalesce(max(seq), 0) FROM audit_log) + row_number() OVER (ORDER BY seq), strftime('%Y-%m-%dT%H:%M:%fZ'),
       'ref', coalesce(requested_by, 'bench'), 'dispatch_sending', device_id, action, 'sending', NULL,
       json_object('attempt', 1, 'idempotency_key', idempotency_key), '',
       hex(sha3((coalesce(seq, '~') || ';' || coalesce('ref', '~') || ';' || coalesce(requested_by, '~') || ';' || coalesce(device_id, '~') || ';' || coalesce(action, '~') || ';' || coalesce(idempotency_key, '~')), 256))
FROM dispatches WHERE run_id = 'ref' AND state = 'sending';
COMMIT;

BEGIN IMMEDIATE;
UPDATE dispatches SET state = 'succeeded', channel = 'APNs', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ'),
       latency_ms = (julianday('now') - julianday(first_sent_at)) * 86400000.0
WHERE run_id = 'ref' AND state = 'sending';
INSERT INTO audit_log (seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash)
SELECT (SELECT coalesce(max(seq), 0) FROM audit_log) + row_number() OVER (ORDER BY seq), strftime('%Y-%m-%dT%H:%M:%fZ'),
       'ref', coalesce(requested_by, 'bench'), 'dispatch_attempt', device_id, action, 'succeeded', NULL,
       json_object('attempt', 1, 'channel', channel, 'effect', 'locked'), '',
       hex(sha3((coalesce(seq, '~') || ';' || coalesce('ref', '~') || ';' || coalesce(requested_by, '~') || ';' || coalesce(device_id, '~') || ';' || coalesce(action, '~') || ';' || coalesce(channel, '~')), 256))
FROM dispatches WHERE run_id = 'ref' AND state = 'succeeded';
UPDATE runs SET state = 'finished', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = 'ref';
COMMIT;
SELECT state, count(*) FROM dispatches WHERE run_id = 'ref' GROUP BY state ORDER BY state;
