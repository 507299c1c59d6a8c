#!/usr/bin/env bash
# The benchmark scripts on 10,000 rows, one round: proves they still run (part of `make test`).
# The figures of a smoke run mean nothing; `make bench` gives the real ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export MDMBATCH=${MDMBATCH:-$here/../.build/debug/mdmbatch}
export WORK=$(mktemp -d "${TMPDIR:-/tmp}/mdmbatch-bench-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROWS=10000 ROUNDS=1 bash "$here/import.sh" > "$WORK/import.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rows"] == 10000, r; print("bench smoke: import ok (%d rows)" % r["rows"])' "$WORK/import.json"
