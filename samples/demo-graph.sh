#!/usr/bin/env bash
# The demo's second act: the sample batch over HTTP, against graph-sim (a Graph simulator on
# loopback), in a database of its own, with the device states confirmed. Called by `make demo`.
#   bash samples/demo-graph.sh BIN_DIR DEMO_DIR
set -euo pipefail
bin=$1 demo=$2
db=$demo/graph.sqlite
umask 077
# a throwaway app registered at the simulator: its secret in a file only the owner reads
printf 'demo-client-secret-%s' "$RANDOM$RANDOM" > "$demo/graph-secret.txt"
tenant=8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b
client=11111111-2222-3333-4444-555555555555
"$bin/graph-sim" --fleet samples/devices.csv --users samples/users.csv --port 0 --tenant "$tenant" \
  --app "$client:secret-file=$demo/graph-secret.txt" --action-delay-ms 1500 --latency-ms 20 \
  --realistic --slow-ms 3000 \
  --journal "$demo/graph-sim.jsonl" > "$demo/graph-sim.out" 2> "$demo/graph-sim.log" &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$demo/graph-sim.out" 2>/dev/null)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "graph-sim did not start: $(cat "$demo/graph-sim.log")" >&2; exit 1; }
echo "graph-sim listening on $url (its journal: $demo/graph-sim.jsonl)"
printf '{"tenant_id": "%s", "client_id": "%s", "client_secret": "%s"}\n' "$tenant" "$client" "$(cat "$demo/graph-secret.txt")" \
  > "$demo/graph-credentials.json"
chmod 600 "$demo/graph-credentials.json"
graph=(--graph-url "$url/v1.0" --authority-url "$url" --credentials "$demo/graph-credentials.json")
"$bin/mdmbatch" import users --from-graph "${graph[@]}" --db "$db"
"$bin/mdmbatch" import devices samples/devices.csv --db "$db" --quiet  # the enrollment column: Graph names it for few devices
"$bin/mdmbatch" import devices --from-graph --graph-beta-fields "${graph[@]}" --db "$db"
echo
echo "Sending samples/batch-lost.csv over HTTP under today's rules, then confirming on the devices (up to 20 s)."
echo "graph-sim runs --realistic: 500/502/504 after the effect, results that lag up to 5 s, other apps' writes, reasonless 400s;"
echo "a reset or a Mac lock whose answer proves nothing is asked about, and sent again only if not found 10 s after its send:"
"$bin/mdmbatch" run samples/batch-lost.csv --db "$db" --rules intune-2025 --transport graph "${graph[@]}" \
  --settle 10s --graph-read-timeout 2 --confirm --confirm-wait 20 --passcodes-out "$demo/graph-secrets.csv" --report-html "$demo/graph-report.html" || true
echo
echo "Secrets the service made (file mode 0600): $demo/graph-secrets.csv; the page: $demo/graph-report.html"
"$bin/mdmbatch" status --db "$db"
