# Shared by the benchmark scripts (sourced): settings from the environment, and the fleet
# that plan.sh and run.sh work on.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
bin=${MDMBATCH:-$here/../.build/release/mdmbatch}
rows=${ROWS:-1000000}
rounds=${ROUNDS:-3}
work=${WORK:-$here/work}
mkdir -p "$work"

# N devices, N requests against them and their users (generated once per size, reused), and a
# database holding the imported fleet: $devices, $batch, $users, $base.
prepare_fleet() {
  devices="$work/devices-$rows.csv"
  batch="$work/batch-$rows.csv"
  users="$work/users-$rows.csv"
  [ -s "$devices" ] || python3 "$here/gen_devices.py" "$rows" > "$devices"
  [ -s "$batch" ] && [ -s "$users" ] || python3 "$here/gen_batch.py" "$rows" "$rows" --users-out "$users" > "$batch"
  base="$work/plan-base-$rows.sqlite"
  # made again by every other binary: a base from another build may need migrating, which
  # would then be timed with each plan or run
  local made_by
  made_by=$(sha256sum "$bin" | cut -c1-16)
  if [ ! -s "$base" ] || [ "$(cat "$base.made-by" 2>/dev/null)" != "$made_by" ]; then
    rm -f "$base"*
    "$bin" import users "$users" --db "$base" --quiet
    "$bin" import devices "$devices" --db "$base" --quiet
    echo "$made_by" > "$base.made-by"
  fi
}
