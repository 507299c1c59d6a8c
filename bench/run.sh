#!/usr/bin/env bash
# Run benchmarks, in one run:
# 1. Throughput: N requests (default 1,000,000) against N devices over a zero-latency mock
#    (concurrency 64, pacing off), alternating with the pure-SQL pipeline of
#    bench/sql/resolve.sql + bench/sql/run.sql (the same rows inserted and updated,
#    set-based), best of ROUNDS (default 3). Both must end with the same counts.
# 2. Latency-bound: the first LATENCY_REQUESTS requests (default 60,000) with 20 ms mock
#    latency, concurrency 64, pacing off: achieved dispatches/s against Little's law,
#    64 / 0.020 s = 3,200/s.
# 3. Paced: PACED_REQUESTS requests (default 1,500, about 450 accepted) at the default pace
#    (200 per 20 s): the largest number of sends in any 20 s window of the journal.
#    PACED_REQUESTS=0 skips it.
# Prints one JSON object.
source "$(dirname "$0")/lib.sh"
latency_requests=${LATENCY_REQUESTS:-60000}
paced_requests=${PACED_REQUESTS:-1500}
prepare_fleet

fresh() {  # $1: database copy name
  rm -f "$work/$1"* "$work/$1.passcodes"
  cp "$base" "$work/$1"
}
run_reference() {
  fresh run-ref.sqlite
  python3 "$here/measure.py" --stdout "$work/run-ref.out" -- sqlite3 "$work/run-ref.sqlite" \
    -cmd "CREATE TABLE batch (request_id TEXT, action TEXT, target TEXT, target_type TEXT, reason TEXT, requested_by TEXT, ticket TEXT)" \
    -cmd ".import --csv --skip 1 $batch batch" ".read $here/sql/resolve.sql" ".read $here/sql/run.sql"
}
mdm_run() {  # $1: database copy name, $2: batch, then extra flags; prints measure JSON
  local db=$1 file=$2; shift 2
  fresh "$db"
  python3 "$here/measure.py" -- "$bin" run "$file" --db "$work/$db" --quiet --passcodes-out "$work/$db.passcodes" \
    --mock-journal "$work/$db.journal" --report "$work/$db.report.json" "$@" || true  # exit 1: some rejected; checked below
}
states() {  # $1: database: state|count lines of its only run
  sqlite3 "$1" "SELECT state, count(*) FROM dispatches GROUP BY state ORDER BY state"
}

results=()
for round in $(seq 1 "$rounds"); do
  results+=("ref $(run_reference)")
  results+=("mdm $(mdm_run run-mdm.sqlite "$batch" --concurrency 64 --rate off --mock-latency-ms 0)")
  if [ "$(states "$work/run-ref.sqlite")" != "$(states "$work/run-mdm.sqlite")" ]; then
    echo "run counts differ: sqlite3 $(states "$work/run-ref.sqlite" | tr '\n' ' ') mdmbatch $(states "$work/run-mdm.sqlite" | tr '\n' ' ')" >&2
    exit 1
  fi
done
counts=$(states "$work/run-mdm.sqlite" | python3 -c 'import sys, json; print(json.dumps({k: int(v) for k, v in (l.strip().split("|") for l in sys.stdin)}))')

head -n $((latency_requests + 1)) "$batch" > "$work/batch-latency.csv"
latency=$(mdm_run run-lat.sqlite "$work/batch-latency.csv" --concurrency 64 --rate off --mock-latency-ms 20)
latency_report="$work/run-lat.sqlite.report.json"

paced="{}"
if [ "$paced_requests" -gt 0 ]; then
  head -n $((paced_requests + 1)) "$batch" > "$work/batch-paced.csv"
  paced=$(mdm_run run-paced.sqlite "$work/batch-paced.csv" --concurrency 16 --mock-latency-ms 20)
fi

printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows, rounds, counts = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
latency, latency_report, paced, journal = json.loads(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]), sys.argv[7]
best, rss = {}, {}
for line in sys.stdin:
    name, data = line.split(" ", 1)
    m = json.loads(data)
    if m["exit"] not in (0, 1): sys.exit("%s failed" % name)
    if name not in best or m["seconds"] < best[name]["seconds"]: best[name] = m
    rss[name] = max(rss.get(name, 0), m["max_rss_kib"])
out = {
  "benchmark": "run", "requests": rows, "devices": rows, "rounds": rounds, "states": counts,
  "sql_pipeline_s": best["ref"]["seconds"], "mdmbatch_s": best["mdm"]["seconds"],
  "mdmbatch_peak_rss_mib": round(rss["mdm"] / 1024, 1),
  "ratio_vs_sql_pipeline": round(best["mdm"]["seconds"] / best["ref"]["seconds"], 3),
  "dispatches_per_s": round(counts.get("succeeded", 0) / best["mdm"]["seconds"]),
}
if latency["exit"] not in (0, 1): sys.exit("latency-bound run failed")
summary = json.load(open(latency_report))["summary"]
out["latency_bound"] = {
  "requests": int(sys.argv[8]), "dispatched": summary["by_state"].get("succeeded", 0),
  "dispatch_s": round(summary["elapsed_s"], 3), "rate_per_s": round(summary["throughput_per_s"], 1),
  "littles_law_limit_per_s": 3200, "ratio": round(summary["throughput_per_s"] / 3200, 3),
  "latency_p50_ms": summary.get("latency_ms", {}).get("p50"),
}
if paced:
    if paced["exit"] not in (0, 1): sys.exit("paced run failed")
    from datetime import datetime
    times = sorted(datetime.strptime(r["t"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
                   for r in map(json.loads, open(journal)) if r["type"] == "send")
    worst, j = 0, 0
    for i, t in enumerate(times):
        while j < len(times) and times[j] < t + 20.0: j += 1
        worst = max(worst, j - i)
    out["paced"] = {"sends": len(times), "seconds": paced["seconds"], "max_sends_in_any_20s_window": worst,
                    "limit": 200, "ok": worst <= 200}
print(json.dumps(out))
' "$rows" "$rounds" "$counts" "$latency" "$latency_report" "$paced" "$work/run-paced.sqlite.journal" "$latency_requests"
