#!/usr/bin/env python3
"""Appends N chained audit rows to an mdmbatch database, computing every hash as a third
party would (README, "Audit trail"), with a checkpoint every 10,000 rows.

    python3 bench/gen_audit.py DB N
"""
import hashlib, json, sqlite3, sys


def canonical(fields):
    out = bytearray()
    for field in fields:
        if field is None:
            out += b"~;"
        else:
            data = field.encode()
            out += b"%d:" % len(data) + data + b";"
    return bytes(out)


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, head = row if row else (0, "0" * 64)
    batch = []
    for i in range(n):
        seq += 1
        at = "2026-11-%02dT%02d:%02d:%02d.%03dZ" % (1 + i // 86400000 % 28, i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60, i % 1000)
        if seq % 10000 == 0:
            event, device, action, outcome = "checkpoint", None, None, "sealed"
            detail = json.dumps({"head": head, "head_seq": seq - 1}, separators=(",", ":"), sort_keys=True)
        else:
            event, device, action, outcome = "dispatch_attempt", "d-%08d" % (i % 1000000), "lock", "succeeded"
            detail = json.dumps({"attempt": 1, "channel": "APNs", "effect": "locked"}, separators=(",", ":"), sort_keys=True)
        fields = [str(seq), at, "run-bench", "bench", event, device, action, outcome, None, detail]
        digest = hashlib.sha256(head.encode() + canonical(fields)).hexdigest()
        batch.append((seq, at, "run-bench", "bench", event, device, action, outcome, None, detail, head, digest))
        head = digest
        if len(batch) >= 50000:
            db.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            batch = []
    db.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    db.commit()


if __name__ == "__main__":
    main()
