#!/usr/bin/env bash
# Plan benchmark: N requests (default 1,000,000) against N devices, timed in one run,
# alternating, best of ROUNDS (default 3):
#   reference  sqlite3: .import of the batch, then bench/sql/resolve.sql and bench/sql/plan.sql, which compute
#              the verdict counts by joins and CASE expressions alone
#   mdmbatch   mdmbatch plan BATCH --json (every element written to a file)
# Both start from the same database (devices and users imported by mdmbatch). The script
# fails unless both give the same count per reason. Prints one JSON object.
source "$(dirname "$0")/lib.sh"
prepare_fleet

run_reference() {
  rm -f "$work/plan-ref.sqlite"*
  cp "$base" "$work/plan-ref.sqlite"
  python3 "$here/measure.py" --stdout "$work/plan-ref.out" -- sqlite3 "$work/plan-ref.sqlite" \
    -cmd "CREATE TABLE batch (request_id TEXT, action TEXT, target TEXT, target_type TEXT, reason TEXT, requested_by TEXT, ticket TEXT)" \
    -cmd ".import --csv --skip 1 $batch batch" ".read $here/sql/resolve.sql" ".read $here/sql/plan.sql"
}
run_mdmbatch() {
  rm -f "$work/plan-mdm.sqlite"*
  cp "$base" "$work/plan-mdm.sqlite"
  python3 "$here/measure.py" --stdout "$work/plan-mdm.json" -- "$bin" plan "$batch" --db "$work/plan-mdm.sqlite" --json
}
same_counts() {  # the reference's counts equal mdmbatch's summary
  python3 - "$work/plan-ref.out" "$work/plan-mdm.json" <<'PY'
import json, sys
ref = dict((k, int(v)) for k, v in (line.strip().split("|") for line in open(sys.argv[1]) if line.strip()))
with open(sys.argv[2], "rb") as f:
    f.seek(0, 2); size = f.tell(); f.seek(max(0, size - 65536))
    tail = f.read().decode()
summary = json.loads(tail[tail.rindex("\"summary\":") + len("\"summary\":"):].rstrip()[:-1])
mdm = dict(summary["by_reason"]); mdm["accepted"] = summary["accepted"]
mdm = {k: v for k, v in mdm.items() if v}
if ref != mdm:
    sys.exit("verdict counts differ:\n  sqlite3  %s\n  mdmbatch %s" % (sorted(ref.items()), sorted(mdm.items())))
print(json.dumps({"targets": summary["targets"], "accepted": summary["accepted"], "rejected": summary["rejected"]}))
PY
}

results=()
for round in $(seq 1 "$rounds"); do
  results+=("ref $(run_reference)")
  results+=("mdm $(run_mdmbatch)")
  counts=$(same_counts)
done

printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows, rounds, counts = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
best, rss = {}, {}
for line in sys.stdin:
    name, data = line.split(" ", 1)
    m = json.loads(data)
    if m["exit"] not in (0, 1): sys.exit("%s failed" % name)
    if name not in best or m["seconds"] < best[name]["seconds"]: best[name] = m
    rss[name] = max(rss.get(name, 0), m["max_rss_kib"])
out = {
  "benchmark": "plan", "requests": rows, "devices": rows, "rounds": rounds, **counts,
  "sql_join_s": best["ref"]["seconds"], "mdmbatch_s": best["mdm"]["seconds"],
  "mdmbatch_peak_rss_mib": round(rss["mdm"] / 1024, 1),
  "ratio_vs_sql_join": round(best["mdm"]["seconds"] / best["ref"]["seconds"], 3),
  "requests_per_s": round(rows / best["mdm"]["seconds"]),
}
print(json.dumps(out))
' "$rows" "$rounds" "$counts"
