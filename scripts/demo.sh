#!/usr/bin/env bash
# make demo: the simulator of provincial endpoints, the daemon probing it, and the dashboard,
# all on a temporary state directory that is removed afterwards. Quitting the dashboard (q)
# stops everything. Without a terminal it prints a snapshot every few seconds for
# IOC_DEMO_SECONDS (default 30) seconds instead.
set -euo pipefail

# `swift build` links .build/debug to the folder of the host triple.
bin=${IOC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug}
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-demo.XXXXXX")
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "${IOC_DEMO_KEEP:-}" ]; then
        echo "Demo state kept in $state (store, probe file, logs)."
    else
        rm -rf "$state"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $1 tenths of a second for the file $2 to exist.
wait_for_file() {
    local tries=$1 file=$2
    while [ ! -s "$file" ] && [ "$tries" -gt 0 ]; do
        sleep 0.1
        tries=$((tries - 1))
    done
    [ -s "$file" ]
}

mkdir -p "$state/probes"
"$bin/ioc" simulate --listen 127.0.0.1:0 --probes-out "$state/probes/simulator.yaml" >"$state/simulator.log" 2>&1 &
pids+=($!)
if ! wait_for_file 100 "$state/probes/simulator.yaml"; then
    echo "The simulator did not start:" >&2
    cat "$state/simulator.log" >&2
    exit 1
fi
head -n 1 "$state/simulator.log"

repo=$(cd "$(dirname "$0")/.." && pwd)
cat >"$state/iocd.yaml" <<YAML
storage:
  path: ioc.db
probe_files:
  - probes/*.yaml
# The shipped rules; alerts are logged to iocd.log and listed by \`ioc alerts\`.
rule_files:
  - $repo/rules/*.yaml
# Official working hours (ioc_service_hours): availability in service hours beside 24×7.
service_hours:
  time_zone: Asia/Ho_Chi_Minh
  hours:
    - weekdays: [monday, tuesday, wednesday, thursday, friday]
      times: [{start: '07:30', end: '11:30'}, {start: '13:00', end: '17:00'}]
  holidays: ['2026-01-01', '2026-02-14..2026-02-22', '2026-04-27', '2026-04-30', '2026-05-01', '2026-09-01', '2026-09-02']
YAML
"$bin/iocd" --config "$state/iocd.yaml" 2>"$state/iocd.log" &
pids+=($!)
if ! wait_for_file 100 "$state/ioc.db"; then
    echo "iocd did not start:" >&2
    cat "$state/iocd.log" >&2
    exit 1
fi
echo "iocd is probing $(grep -c 'url:' "$state/probes/simulator.yaml") endpoints; store: $state/ioc.db"

if [ -t 0 ] && [ -t 1 ]; then
    # Opens on the national overview; Tab goes on to the 766 ranking, data sharing, certificates.
    "$bin/ioc" dashboard --db "$state/ioc.db" --dashboards "$repo/dashboards/*.yaml" --dashboard overview
else
    seconds=${IOC_DEMO_SECONDS:-30}
    echo "No terminal: printing a snapshot every 5 seconds for $seconds seconds."
    end=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$end" ]; do
        sleep 5
        "$bin/ioc" dashboard --db "$state/ioc.db" --dashboards "$repo/dashboards/*.yaml" --dashboard overview \
            --snapshot 110x30
        echo
    done
    echo "The Decision 766 ranking (Tab in the dashboard):"
    "$bin/ioc" dashboard --db "$state/ioc.db" --dashboards "$repo/dashboards/*.yaml" --dashboard scorecard-766 \
        --snapshot 130x45
    echo "Alerts (ioc alerts):"
    "$bin/ioc" alerts --db "$state/ioc.db"
fi
