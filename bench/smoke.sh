#!/usr/bin/env bash
# The benchmark scripts on 10,000 rows, one round: proves they still run (part of `make test`).
# The figures of a smoke run mean nothing; `make bench` gives the real ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export MDMBATCH=${MDMBATCH:-$here/../.build/debug/mdmbatch}
export WORK=$(mktemp -d "${TMPDIR:-/tmp}/mdmbatch-bench-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROWS=10000 ROUNDS=1 SQLITE_UTILS= bash "$here/import.sh" > "$WORK/import.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rows"] == 10000, r; print("bench smoke: import ok (%d rows)" % r["rows"])' "$WORK/import.json"
ROWS=10000 ROUNDS=1 bash "$here/plan.sh" > "$WORK/plan.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["requests"] == 10000 and r["accepted"] > 0, r; print("bench smoke: plan ok (%d requests, counts equal to the SQL join)" % r["requests"])' "$WORK/plan.json"
ROWS=10000 ROUNDS=1 LATENCY_REQUESTS=2000 PACED_REQUESTS=0 bash "$here/run.sh" > "$WORK/run.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["states"]["succeeded"] > 0 and r["latency_bound"]["dispatched"] > 0, r; print("bench smoke: run ok (%d dispatched, counts equal to the SQL pipeline)" % r["states"]["succeeded"])' "$WORK/run.json"
ROWS=10000 ROUNDS=1 bash "$here/verify.sh" > "$WORK/verify.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rows"] == 10000, r; print("bench smoke: audit verify ok (%d rows)" % r["rows"])' "$WORK/verify.json"
GRAPH_REQUESTS=200 GRAPH_PACED_DEVICES=0 GRAPH_REALISTIC_DEVICES=60 GRAPH_LATENCY_MS=5 GRAPH_CONCURRENCY=16 bash "$here/graph.sh" > "$WORK/graph.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["http"]; assert r["succeeded"] == 200 and r["statuses"] == {"204": 200} and r["rate_per_s"] > 0, r; print("bench smoke: graph ok (%d requests over HTTP to graph-sim)" % r["succeeded"])' "$WORK/graph.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["realistic"]; assert r["resets_twice"] == 0 and sum(r["by_state"].values()) == 60, r; print("bench smoke: graph --realistic ok (%d devices, %d settled by asking)" % (r["devices"], r["settled_by_asking"]))' "$WORK/graph.json"
# the report writer, on the smoke figures
for f in import plan run verify graph; do python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["size"]=10000; print(json.dumps(r))' "$WORK/$f.json"; done > "$WORK/figures.jsonl"
python3 "$here/report.py" "$WORK/figures.jsonl" "$WORK"
grep -q "## Targets" "$WORK/RESULTS.md" && grep -q "graph-sim" "$WORK/RESULTS.md" && grep -q "<svg" "$WORK/growth.svg" && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["targets"]' "$WORK/results.json"
echo "bench smoke: RESULTS.md, results.json and growth.svg written"
