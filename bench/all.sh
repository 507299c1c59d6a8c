#!/usr/bin/env bash
# `make bench`: every benchmark at 10k, 100k and 1M (import also 5M), each figure of mdmbatch
# beside its reference from the same run; writes bench/results.json, bench/RESULTS.md and
# bench/growth.svg (OUT, default bench/). Heavy: tens of minutes.
#   SIZES="10000 100000 1000000"  ROUNDS=3  BIG=5000000 (BIG=0 skips)  PROFILE=1 (perf, else callgrind)  NOTE=FILE (the
#   run's conditions, printed under the heading)  GRAPH=1 (GRAPH=0 skips
#   bench/graph.sh, which needs the release graph-sim beside MDMBATCH)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export MDMBATCH=${MDMBATCH:-$here/../.build/release/mdmbatch}
export WORK=${WORK:-$here/work}
out=${OUT:-$here}
sizes=${SIZES:-10000 100000 1000000}
rounds=${ROUNDS:-3}
big=${BIG:-5000000}
mkdir -p "$WORK"
figures="$WORK/figures.jsonl"
: > "$figures"

# (import.sh sets up sqlite-utils from PyPI in bench/.venv for its reference)

record() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["size"]=int(sys.argv[2]); print(json.dumps(r))' "$1" "$2" >> "$figures"; }
largest=$(echo $sizes | tr ' ' '\n' | sort -n | tail -1)
for size in $sizes; do
  echo "bench: size $size" >&2
  record "$(ROWS=$size ROUNDS=$rounds bash "$here/import.sh")" "$size"
  record "$(ROWS=$size ROUNDS=$rounds bash "$here/plan.sh")" "$size"
  if [ "$size" = "$largest" ]; then
    record "$(ROWS=$size ROUNDS=$rounds bash "$here/run.sh")" "$size"
  else  # the latency-bound and paced runs once, with the largest size
    record "$(ROWS=$size ROUNDS=$rounds LATENCY_REQUESTS=3000 PACED_REQUESTS=0 bash "$here/run.sh")" "$size"
  fi
  record "$(ROWS=$size ROUNDS=$rounds bash "$here/verify.sh")" "$size"
done
if [ "$big" != "0" ]; then
  echo "bench: import of $big rows (peak RSS)" >&2
  record "$(ROWS=$big ROUNDS=1 SQLITE_UTILS= UPSERT=0 bash "$here/import.sh")" "$big"
fi

if [ "${GRAPH:-1}" != "0" ]; then
  echo "bench: Graph over HTTP to graph-sim (latency-bound, then about 200 s of default pacing)" >&2
  record "$(bash "$here/graph.sh")" "${GRAPH_REQUESTS:-4000}"
fi

profile=""
if [ "${PROFILE:-1}" = "1" ] && command -v perf > /dev/null; then
  # where the time of a 1,000,000-row import goes: sampled, so waiting and zero-filling count as
  # time (callgrind counts instructions, and each byte of a `rep stosb` memset as one of them)
  echo "bench: perf profile of a 1,000,000-row import" >&2
  csv="$WORK/devices-1000000.csv"
  [ -s "$csv" ] || python3 "$here/gen_devices.py" 1000000 > "$csv"
  rm -f "$WORK/profile.sqlite"*
  if perf record -F 999 -g -o "$WORK/perf.data" "$MDMBATCH" import devices "$csv" --db "$WORK/profile.sqlite" --quiet \
      2> "$WORK/perf.log"; then
    profile="$WORK/perf.txt"
    {
      echo "Where the time of a 1,000,000-row import goes (\`perf record -F 999\`, share of samples, self time): by library, then the top symbols."
      # (head ends the pipes early: their status is not the profile's)
      perf report -i "$WORK/perf.data" --no-children --sort dso -g none 2> /dev/null | grep -E '^ +[0-9]' | head -6 || true
      echo
      perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none 2> /dev/null | grep -E '^ +[0-9]' \
        | sed -E 's/ +- +- *$//' | head -25 || true
    } > "$profile"
  else
    echo "perf failed (see $WORK/perf.log): no profile" >&2
  fi
elif [ "${PROFILE:-1}" = "1" ] && command -v valgrind > /dev/null; then
  echo "bench: callgrind profile of a 20,000-row import" >&2
  python3 "$here/gen_devices.py" 20000 > "$WORK/profile.csv"
  rm -f "$WORK/profile.sqlite"* "$WORK/callgrind.out"
  # valgrind 3.19 cannot read the DWARF of this toolchain: profile a copy without it (symbols stay)
  objcopy --strip-debug "$MDMBATCH" "$WORK/mdmbatch-nodebug"
  if valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$WORK/mdmbatch-nodebug" import devices \
      "$WORK/profile.csv" --db "$WORK/profile.sqlite" --quiet 2> "$WORK/valgrind.log"; then
    profile="$WORK/callgrind.txt"
    { echo "Instruction counts of a 20,000-row import (\`valgrind --tool=callgrind\`, self cost; each byte a \`rep stosb\` memset zeroes counts as an instruction):"
      callgrind_annotate "$WORK/callgrind.out" 2> /dev/null | grep -E '^ *[0-9,]+ \(' | head -25 || true; } > "$profile"
  else
    echo "callgrind failed (see $WORK/valgrind.log): no profile" >&2
  fi
fi
python3 "$here/report.py" "$figures" "$out" ${profile:+--profile "$profile"} ${NOTE:+--note "$NOTE"}
