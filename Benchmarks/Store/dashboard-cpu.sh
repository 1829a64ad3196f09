#!/usr/bin/env bash
# The CPU that `ioc dashboard` takes on the national overview at its 1 s refresh over a live store:
# the simulator of provincial endpoints, iocd probing it with the shipped rules (as `make demo`
# runs them), the dashboard in a tmux window of 200x60. Prints, for every whole minute measured,
# the minute of the hour and the share of a core the dashboard and iocd took in it; run for 65
# minutes or more, it passes minute 5 and minute 55 of an hour, where the open hour's log is
# shortest and longest.
#
#   Benchmarks/Store/dashboard-cpu.sh [MINUTES]      default 65
#
# Needs release builds of ioc and iocd (swift build -c release, which builds every product; `--product` takes one) and tmux.
set -euo pipefail
minutes=${1:-65}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${IOC_BIN:-$repo/.build/release}
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-dashboard-cpu.XXXXXX")
socket="$state/tmux.sock"
pids=()
cleanup() {
    tmux -S "$socket" kill-server 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$state"
}
trap cleanup EXIT

mkdir -p "$state/probes"
"$bin/ioc" simulate --listen 127.0.0.1:0 --probes-out "$state/probes/simulator.yaml" >"$state/simulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$state/probes/simulator.yaml" ] && break; sleep 0.1; done
cat >"$state/iocd.yaml" <<YAML
storage:
  path: ioc.db
probe_files:
  - probes/*.yaml
rule_files:
  - $repo/rules/*.yaml
# The dashboard reads the store file; no listener, so no fixed port is taken.
http:
  listen: "off"
YAML
"$bin/iocd" --config "$state/iocd.yaml" 2>"$state/iocd.log" &
iocd=$!
pids+=("$iocd")
for _ in $(seq 100); do [ -s "$state/ioc.db" ] && break; sleep 0.1; done
# A minute of probes before the dashboard opens, so that every panel has data.
sleep 60
tmux -S "$socket" new-session -d -s bench -x 200 -y 60 \
    "$bin/ioc dashboard --db $state/ioc.db --dashboards '$repo/dashboards/*.yaml' --dashboard overview"
dashboard=
for _ in $(seq 100); do
    dashboard=$(pgrep -f "^$bin/ioc dashboard --db $state/ioc.db" || true)
    [ -n "$dashboard" ] && break
    sleep 0.1
done
[ -n "$dashboard" ] || { echo "the dashboard did not start" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# From the start of the next whole minute.
sleep $((60 - $(date +%-S)))
echo "minute  dashboard  iocd   (% of a core over the minute; $(nproc) cores)"
for _ in $(seq "$minutes"); do
    label=$(date +%M)
    d0=$(ticks "$dashboard")
    i0=$(ticks "$iocd")
    sleep $((60 - $(date +%-S)))
    d1=$(ticks "$dashboard")
    i1=$(ticks "$iocd")
    awk -v m="$label" -v d=$((d1 - d0)) -v i=$((i1 - i0)) -v hz="$hz" \
        'BEGIN {printf "%s      %5.2f      %5.2f\n", m, d / hz / 60 * 100, i / hz / 60 * 100}'
done
