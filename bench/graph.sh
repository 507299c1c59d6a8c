#!/usr/bin/env bash
# Graph benchmarks: mdmbatch over real HTTP against graph-sim on loopback.
# (a) Latency-bound dispatch: GRAPH_REQUESTS requests (default 4,000) to a simulator answering
#     in 20 ms on average (--latency-ms 20, no throttling), mdmbatch at --concurrency 64 with
#     --rate off --read-rate off: achieved requests/s against Little's law, 64 / 0.020 s = 3,200/s.
# (b) Default pacing: GRAPH_PACED_DEVICES devices (default 2,000; 0 skips it) against the
#     simulator's default Intune throttle (200 writes per 20 s per app, 2,000 requests), mdmbatch
#     with its default pacing (--rate 200/20, --read-rate 1800/20): the 429s in the simulator's
#     journal (target 0) and the sends in each 20 s window from the first send on (target >= 190).
#     About 200 s by design.
# (c) The harsh service: GRAPH_REALISTIC_DEVICES devices (default 2,000; 0 skips it) against
#     graph-sim --realistic without other apps' load (--foreign-load 0: 5 % of writes meet a
#     fault, 500/502/504 among them after the effect; results lag up to 5 s), mdmbatch with its
#     default pacing and --settle 30s: the sends in each whole 20 s window (target >= 190 of
#     200: the faults must not slow the pace), the share of elements settled by asking, the
#     resets that took effect twice (target 0). About 230 s.
# Peak RSS of mdmbatch in both (bench/measure.py). Prints one JSON object.
#   MDMBATCH=.build/release/mdmbatch  GRAPH_SIM=(beside MDMBATCH)/graph-sim  WORK=bench/work
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${MDMBATCH:-$here/../.build/release/mdmbatch}
sim_bin=${GRAPH_SIM:-$(dirname "$bin")/graph-sim}
work=${WORK:-$here/work}/graph
requests=${GRAPH_REQUESTS:-4000}
paced=${GRAPH_PACED_DEVICES:-2000}
realistic=${GRAPH_REALISTIC_DEVICES:-2000}
latency_ms=${GRAPH_LATENCY_MS:-20}
concurrency=${GRAPH_CONCURRENCY:-64}
mkdir -p "$work"
[ -x "$sim_bin" ] || { echo "no graph-sim at $sim_bin: swift build -c release --product graph-sim" >&2; exit 1; }

tenant=8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b
app=11111111-2222-3333-4444-555555555555
secret="bench-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077; printf '%s\n' "$secret" > "$work/secret.txt")
export MDMBATCH_TENANT_ID=$tenant MDMBATCH_CLIENT_ID=$app MDMBATCH_CLIENT_SECRET=$secret
unset MDMBATCH_CLIENT_CERTIFICATE

sim_pid=""
stop_sim() { if [ -n "$sim_pid" ]; then kill "$sim_pid" 2> /dev/null || true; wait "$sim_pid" 2> /dev/null || true; sim_pid=""; fi; }
trap stop_sim EXIT

# N devices every one of which both sides accept: iPhones to lock, Android 6 phones to reset
# (intune-2017: a temporary passcode the service holds; collected by `confirm`, not here).
fleet() {  # $1: count, $2: devices file, $3: batch file
  python3 - "$1" "$2" "$3" <<'EOF'
import sys
n, devices, batch = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(devices, "w") as d, open(batch, "w") as b:
    d.write("device_id,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set\n")
    b.write("request_id,action,target\n")
    for i in range(n):
        android = i % 4 == 3
        d.write("h-%d,%s,%s,mdm,u%d@contoso.com,u%d@contoso.com,true\n" % (i, "Android" if android else "iOS",
                                                                         "6.0.1" if android else "17.2", i, i))
        b.write("r-%d,%s,h-%d\n" % (i, "reset_passcode" if android else "lock", i))
EOF
}

start_sim() {  # $1: fleet file, $2: journal, then graph-sim flags; sets $sim_url
  local devices=$1 journal=$2; shift 2
  rm -f "$journal" "$work/sim.out"
  "$sim_bin" --fleet "$devices" --port 0 --journal "$journal" --app "$app:secret-file=$work/secret.txt" \
    --action-delay-ms 0 "$@" > "$work/sim.out" 2> "$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 1 300); do
    grep -q '^listening on ' "$work/sim.out" 2> /dev/null && break
    kill -0 "$sim_pid" 2> /dev/null || { cat "$work/sim.err" >&2; exit 1; }
    sleep 0.1
  done
  sim_url=$(sed -n 's/^listening on //p' "$work/sim.out" | head -1)
  [ -n "$sim_url" ] || { echo "graph-sim did not start" >&2; cat "$work/sim.err" >&2; exit 1; }
}

mdm_run() {  # $1: name, $2: batch, then flags; prints measure JSON
  local name=$1 file=$2; shift 2
  rm -f "$work/$name.sqlite"*
  "$bin" import devices "$work/$name-devices.csv" --db "$work/$name.sqlite" --quiet
  python3 "$here/measure.py" -- "$bin" run "$file" --db "$work/$name.sqlite" --quiet --transport graph \
    --graph-url "$sim_url/v1.0" --authority-url "$sim_url" --report "$work/$name.report.json" "$@" 2> "$work/$name.stderr" \
    || true  # checked below
}

# (a) latency-bound, pacing off
fleet "$requests" "$work/http-devices.csv" "$work/http-batch.csv"
start_sim "$work/http-devices.csv" "$work/http-journal.jsonl" --latency-ms "$latency_ms" --no-throttle
http=$(mdm_run http "$work/http-batch.csv" --concurrency "$concurrency" --rate off --read-rate off)
stop_sim

# (b) default pacing against Intune's throttle
paced_json="{}"
if [ "$paced" -gt 0 ]; then
  fleet "$paced" "$work/paced-devices.csv" "$work/paced-batch.csv"
  start_sim "$work/paced-devices.csv" "$work/paced-journal.jsonl" --latency-ms "$latency_ms"
  paced_json=$(mdm_run paced "$work/paced-batch.csv")
  stop_sim
fi

# (c) the harsh service
realistic_json="{}"
if [ "$realistic" -gt 0 ]; then
  fleet "$realistic" "$work/realistic-devices.csv" "$work/realistic-batch.csv"
  start_sim "$work/realistic-devices.csv" "$work/realistic-journal.jsonl" --latency-ms "$latency_ms" --realistic \
    --foreign-load 0 --slow-ms 3000 --seed 9
  realistic_json=$(mdm_run realistic "$work/realistic-batch.csv" --settle 30s --graph-read-timeout 2)
  stop_sim
  settled=$(sqlite3 "$work/realistic.sqlite" "SELECT count(DISTINCT seq) FROM dispatches d WHERE EXISTS (SELECT 1 FROM audit_log a
    WHERE a.run_id = d.run_id AND a.event = 'dispatch_settled' AND a.device_id = d.device_id)")
  realistic_json=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["settled_by_asking"]=int(sys.argv[2]); print(json.dumps(d))' \
    "$realistic_json" "$settled")
fi

python3 - "$http" "$work/http.report.json" "$work/http-journal.jsonl" "$requests" "$latency_ms" "$concurrency" \
  "$paced_json" "$work/paced.report.json" "$work/paced-journal.jsonl" "$paced" \
  "$realistic_json" "$work/realistic.report.json" "$work/realistic-journal.jsonl" "$realistic" <<'EOF'
import calendar, json, sys

def when(text):  # graph-sim's times: 2026-11-26T14:38:07.1234567Z
    whole, _, fraction = text.rstrip("Z").partition(".")
    date, clock = whole.split("T")
    y, m, d = map(int, date.split("-"))
    hh, mm, ss = map(int, clock.split(":"))
    return calendar.timegm((y, m, d, hh, mm, ss)) + (float("0." + fraction) if fraction else 0.0)

def journal(path, accepted_only=True):
    sends, statuses = [], {}
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "request" and r["method"] == "POST" and "/managedDevices/" in r["path"]:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            if r["status"] == 204 or not accepted_only:
                sends.append(when(r["time"]))
    return sorted(sends), statuses

def windows_of(sends):
    t0, windows = sends[0], []  # sends in each whole 20 s window from the first send on
    while t0 + 20 * (len(windows) + 1) <= sends[-1]:
        k = len(windows)
        windows.append(sum(1 for t in sends if t0 + 20 * k <= t < t0 + 20 * (k + 1)))
    return windows

http, report, path, requests, latency, concurrency = (json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                                      int(sys.argv[5]), int(sys.argv[6]))
if http["exit"] not in (0, 1): sys.exit("the latency-bound Graph run failed (exit %d)" % http["exit"])
summary = json.load(open(report))["summary"]
sends, statuses = journal(path)
limit = concurrency / (latency / 1000.0)
out = {"benchmark": "graph", "requests": requests,
       "http": {"requests": requests, "succeeded": summary["by_state"].get("succeeded", 0), "statuses": statuses,
                "latency_ms": latency, "concurrency": concurrency, "dispatch_s": round(summary["elapsed_s"], 3),
                "rate_per_s": round(summary["throughput_per_s"], 1), "littles_law_limit_per_s": round(limit),
                "ratio": round(summary["throughput_per_s"] / limit, 3), "latency_p50_ms": summary.get("latency_ms", {}).get("p50"),
                "wall_s": http["seconds"], "mdmbatch_peak_rss_mib": round(http["max_rss_kib"] / 1024, 1)}}
if out["http"]["succeeded"] != requests: sys.exit("the latency-bound Graph run did not send every request: %s" % out["http"])

paced, report, path, devices = json.loads(sys.argv[7]), sys.argv[8], sys.argv[9], int(sys.argv[10])
if paced:
    if paced["exit"] not in (0, 1): sys.exit("the paced Graph run failed (exit %d)" % paced["exit"])
    summary = json.load(open(report))["summary"]
    sends, statuses = journal(path)
    windows = windows_of(sends)
    worst, j = 0, 0
    for i, t in enumerate(sends):
        while j < len(sends) and sends[j] < t + 20.0: j += 1
        worst = max(worst, j - i)
    out["paced"] = {"devices": devices, "succeeded": summary["by_state"].get("succeeded", 0), "statuses": statuses,
                    "throttled_429": statuses.get(429, 0), "sends": len(sends), "seconds": paced["seconds"],
                    "sends_per_20s_window": windows, "min_sends_in_a_whole_window": min(windows) if windows else None,
                    "max_sends_in_any_20s_window": worst, "mdmbatch_peak_rss_mib": round(paced["max_rss_kib"] / 1024, 1)}

harsh, report, path, devices = json.loads(sys.argv[11]), sys.argv[12], sys.argv[13], int(sys.argv[14])
if harsh:
    if harsh["exit"] not in (0, 1): sys.exit("the realistic Graph run failed (exit %d)" % harsh["exit"])
    summary = json.load(open(report))["summary"]
    sends, statuses = journal(path, accepted_only=False)  # every write the service saw, faults included
    windows = windows_of(sends)
    effects = {}
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "effect" and r["action"] == "resetPasscode":
            effects[r["device_id"]] = max(effects.get(r["device_id"], 0), r["count"])
    full = windows[:-1] if len(windows) > 1 else windows  # the last whole window may hold the tail
    out["realistic"] = {"devices": devices, "by_state": summary["by_state"], "statuses": statuses, "writes": len(sends),
                        "sends_per_20s_window": windows, "min_sends_in_a_full_window": min(full) if full else None,
                        "settled_by_asking": harsh["settled_by_asking"],
                        "share_settled_by_asking": round(harsh["settled_by_asking"] / devices, 4),
                        "resets_twice": sum(1 for c in effects.values() if c > 1), "seconds": harsh["seconds"],
                        "mdmbatch_peak_rss_mib": round(harsh["max_rss_kib"] / 1024, 1)}
print(json.dumps(out))
EOF
