#!/usr/bin/env bash
# Import benchmark: N canonical device rows (default 1,000,000), timed in one run,
# alternating, best of ROUNDS (default 3):
#   reference  sqlite3 .import of the same file into a table with the same columns
#   reference+ the same into a table with mdmbatch's key and indexes
#   mdmbatch   mdmbatch import devices (normalisation, validation, upsert, audit row)
#   and, when SQLITE_UTILS names a sqlite-utils executable, `sqlite-utils insert --csv`
#   upsert     (UPSERT=1, the default) mdmbatch import of the same devices, every other one
#              renamed, over the database just imported: half updated, half unchanged
# Prints one JSON object with the figures and ratios (mdmbatch / reference).
source "$(dirname "$0")/lib.sh"
# sqlite-utils from PyPI, in a virtual environment of its own; SQLITE_UTILS= (set, empty) skips it
if [ -z "${SQLITE_UTILS+set}" ]; then
  if [ ! -x "$here/.venv/bin/sqlite-utils" ]; then
    python3 -m venv "$here/.venv" > /dev/null 2>&1 && "$here/.venv/bin/pip" install --quiet sqlite-utils > /dev/null 2>&1 \
      || echo "sqlite-utils unavailable (no PyPI?): its ratio is left out" >&2
  fi
  if [ -x "$here/.venv/bin/sqlite-utils" ]; then SQLITE_UTILS="$here/.venv/bin/sqlite-utils"; else SQLITE_UTILS=; fi
fi
csv="$work/devices-$rows.csv"
[ -s "$csv" ] || python3 "$here/gen_devices.py" "$rows" > "$csv"
upsert=${UPSERT:-1}
changed="$work/devices-$rows-renamed.csv"
if [ "$upsert" = "1" ]; then [ -s "$changed" ] || python3 "$here/gen_devices.py" "$rows" --renamed > "$changed"; fi

columns="device_id TEXT, device_name TEXT, serial_number TEXT, imei TEXT, platform TEXT, os_version TEXT,
  management TEXT, primary_user_upn TEXT, enrolled_by_upn TEXT, passcode_set TEXT, last_check_in TEXT"
indexed="device_id TEXT NOT NULL PRIMARY KEY, device_name TEXT, serial_number TEXT, imei TEXT, platform TEXT,
  os_version TEXT, management TEXT, primary_user_upn TEXT COLLATE NOCASE, enrolled_by_upn TEXT, passcode_set TEXT,
  last_check_in TEXT);
CREATE INDEX s ON devices(serial_number); CREATE INDEX i ON devices(imei); CREATE INDEX u ON devices(primary_user_upn"

run_reference() {  # $1: column definitions; prints measure JSON
  rm -f "$work/ref.sqlite"*
  sqlite3 "$work/ref.sqlite" "CREATE TABLE devices ($1);"
  python3 "$here/measure.py" -- sqlite3 "$work/ref.sqlite" -cmd ".import --csv --skip 1 $csv devices" ".exit"
}
run_sqlite_utils() {  # with $SQLITE_UTILS (a sqlite-utils executable) only
  rm -f "$work/su.sqlite"*
  python3 "$here/measure.py" -- "$SQLITE_UTILS" insert "$work/su.sqlite" devices "$csv" --csv
}
run_mdmbatch() {
  rm -f "$work/mdm.sqlite"*
  python3 "$here/measure.py" -- "$bin" import devices "$csv" --db "$work/mdm.sqlite" --quiet
}

run_upsert() {  # over the database run_mdmbatch left
  python3 "$here/measure.py" -- "$bin" import devices "$changed" --db "$work/mdm.sqlite" --quiet
}

results=()
for round in $(seq 1 "$rounds"); do
  results+=("ref $(run_reference "$columns")")
  results+=("refidx $(run_reference "$indexed")")
  results+=("mdm $(run_mdmbatch)")
  if [ -n "${SQLITE_UTILS:-}" ]; then results+=("su $(run_sqlite_utils)"); fi
  [ "$(sqlite3 "$work/mdm.sqlite" 'SELECT count(*) FROM devices')" = "$rows" ] || { echo "mdmbatch imported the wrong number of rows" >&2; exit 1; }
  [ "$(sqlite3 "$work/ref.sqlite" 'SELECT count(*) FROM devices')" = "$rows" ] || { echo "sqlite3 .import imported the wrong number of rows" >&2; exit 1; }
  if [ "$upsert" = "1" ]; then
    results+=("upsert $(run_upsert)")
    counts=$(sqlite3 "$work/mdm.sqlite" 'SELECT inserted, updated, unchanged FROM imports ORDER BY id DESC LIMIT 1')
    [ "$counts" = "0|$((rows / 2))|$((rows - rows / 2))" ] || { echo "upsert counted $counts" >&2; exit 1; }
    [ "$(sqlite3 "$work/mdm.sqlite" "SELECT count(*) FROM devices WHERE device_name LIKE '%(renamed)'")" = "$((rows / 2))" ] \
      || { echo "upsert did not rename half the devices" >&2; exit 1; }
  fi
done

printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows, rounds = int(sys.argv[1]), int(sys.argv[2])
best = {}
for line in sys.stdin:
    name, data = line.split(" ", 1)
    m = json.loads(data)
    if m["exit"] != 0: sys.exit("%s failed" % name)
    if name not in best or m["seconds"] < best[name]["seconds"]: best[name] = m
    best.setdefault(name + "_rss", 0)
    best[name + "_rss"] = max(best[name + "_rss"], m["max_rss_kib"])
out = {
  "benchmark": "import", "rows": rows, "rounds": rounds,
  "sqlite3_import_s": best["ref"]["seconds"], "sqlite3_import_indexed_s": best["refidx"]["seconds"],
  "mdmbatch_s": best["mdm"]["seconds"], "mdmbatch_peak_rss_mib": round(best["mdm_rss"] / 1024, 1),
  "ratio_vs_sqlite3_import": round(best["mdm"]["seconds"] / best["ref"]["seconds"], 3),
  "ratio_vs_sqlite3_import_indexed": round(best["mdm"]["seconds"] / best["refidx"]["seconds"], 3),
  "rows_per_s": round(rows / best["mdm"]["seconds"]),
}
if "upsert" in best:
    out["upsert_s"] = best["upsert"]["seconds"]
    out["upsert_peak_rss_mib"] = round(best["upsert_rss"] / 1024, 1)
    out["upsert_updated"] = rows // 2
    out["upsert_unchanged"] = rows - rows // 2
    out["upsert_rows_per_s"] = round(rows / best["upsert"]["seconds"])
if "su" in best:
    out["sqlite_utils_insert_s"] = best["su"]["seconds"]
    out["ratio_vs_sqlite_utils"] = round(best["mdm"]["seconds"] / best["su"]["seconds"], 3)
print(json.dumps(out))
' "$rows" "$rounds"
