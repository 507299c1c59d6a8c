#!/usr/bin/env bash
# Audit verify benchmark: ROWS chained audit rows (default 1,000,000), written with their
# hashes by bench/gen_audit.py (Python's hashlib: a third party's computation), then
# `mdmbatch audit verify` recomputes the chain. Best of ROUNDS (default 3). Prints JSON.
source "$(dirname "$0")/lib.sh"
db="$work/audit-$rows.sqlite"
if [ ! -s "$db" ]; then
  rm -f "$db"*
  printf 'upn\n' > "$work/no-users.csv"
  "$bin" import users "$work/no-users.csv" --db "$db" --quiet    # creates the schema (and two audit rows)
  python3 "$here/gen_audit.py" "$db" "$rows"
fi
results=()
for round in $(seq 1 "$rounds"); do
  results+=("$(python3 "$here/measure.py" -- "$bin" audit verify --db "$db" --quiet)")
done
printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows = int(sys.argv[1])
runs = [json.loads(line) for line in sys.stdin]
if any(r["exit"] != 0 for r in runs): sys.exit("audit verify failed")
best = min(runs, key=lambda r: r["seconds"])
print(json.dumps({"benchmark": "audit_verify", "rows": rows, "rounds": len(runs), "seconds": best["seconds"],
                  "rows_per_s": round(rows / best["seconds"]), "peak_rss_mib": round(max(r["max_rss_kib"] for r in runs) / 1024, 1)}))
' "$rows"
