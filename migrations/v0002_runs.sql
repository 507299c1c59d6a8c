-- v0002: runs and their dispatches, the persisted state machine of the engine.

CREATE TABLE runs (
    id            TEXT NOT NULL PRIMARY KEY,
    batch_name    TEXT NOT NULL,
    batch_sha256  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('running', 'interrupted', 'finished')),
    actor         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    options       TEXT NOT NULL,              -- JSON: concurrency, rate, attempts, transport settings
    requests      INTEGER NOT NULL,
    targets       INTEGER NOT NULL
);
CREATE INDEX runs_batch ON runs(batch_sha256, state);

-- One row per (request, device) of a run, in plan order (seq).
-- planned → rejected | skipped | queued → sending → succeeded | retry_wait | failed | unknown_outcome
CREATE TABLE dispatches (
    run_id          TEXT NOT NULL REFERENCES runs(id),
    seq             INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    request_id      TEXT,
    action          TEXT NOT NULL,            -- canonical action, or the text as written when invalid
    target          TEXT NOT NULL,
    device_id       TEXT,
    platform        TEXT,
    reason          TEXT,                     -- reason code of a rejection or skip
    detail          TEXT,
    warnings        TEXT,                     -- comma-separated warning codes
    temporary_passcode INTEGER NOT NULL DEFAULT 0,  -- the reset yields one (never the passcode itself)
    requested_by    TEXT,
    justification   TEXT,
    ticket          TEXT,
    idempotency_key TEXT,
    state           TEXT NOT NULL CHECK (state IN ('planned', 'rejected', 'skipped', 'queued', 'sending', 'retry_wait',
                                                   'succeeded', 'failed', 'unknown_outcome')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    channel         TEXT,
    queued_at       TEXT,
    first_sent_at   TEXT,
    last_sent_at    TEXT,
    finished_at     TEXT,
    latency_ms      REAL,                     -- first send to final outcome
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX dispatches_work ON dispatches(run_id, state, seq);
CREATE INDEX dispatches_request ON dispatches(request_id, state) WHERE request_id IS NOT NULL;
