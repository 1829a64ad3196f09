#!/usr/bin/env bash
# CPU per probe of iocd against Prometheus + blackbox_exporter (both from Debian), probing the same
# nginx farm in the same run: TARGETS paths of one nginx on loopback, each probed every 5 s over
# HTTP with a fresh connection (as blackbox_exporter does). iocd runs with its listener off and no
# rules; Prometheus scrapes blackbox_exporter's /probe for every target. Each side runs alone for a
# warm-up of 15 s and then SECONDS measured: utime + stime of its processes (iocd; Prometheus and
# blackbox_exporter) over the probes each stored in that window (counted from its own store).
# nginx's CPU is not counted on either side.
#
#   Benchmarks/Probes/peer-cpu.sh [TARGETS] [SECONDS]     default 2000 60
#
# Needs a release build (swift build -c release), nginx, prometheus, prometheus-blackbox-exporter.
set -euo pipefail
targets=${1:-2000}
seconds=${2:-60}
interval=5
here=$(cd "$(dirname "$0")" && pwd)
bin=${IOC_BIN:-$here/../../.build/release}
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-probe-peers.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$state"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
# shellcheck source=farm.sh
source "$here/farm.sh"
start_farm

# iocd: the targets in one probe group, listener off, no rules.
write_probes
printf 'storage:\n  path: ioc.db\nprobe_files: [probes.yaml]\nhttp:\n  listen: "off"\n' >"$state/iocd.yaml"
"$bin/iocd" --config "$state/iocd.yaml" 2>"$state/iocd.log" &
iocd=$!
pids+=("$iocd")
sleep 15
i0=$(ticks "$iocd")
start=$(date +%s)
sleep "$seconds"
i1=$(ticks "$iocd")
end=$(date +%s)
sleep 2
ioc_probes=$("$bin/ioc" query --db "$state/ioc.db" --time "$end" "sum(count_over_time(probe_success[$((end - start))s]))" |
    awk '{for (i = 1; i < NF; i++) if ($i == "=>") print $(i + 1)}' | tail -1)
kill -TERM "$iocd"
wait "$iocd" 2>/dev/null || true

# Prometheus + blackbox_exporter on the same targets.
start_prometheus
sleep 15
p0=$(ticks "$prometheus")
b0=$(ticks "$blackbox")
start=$(date +%s)
sleep "$seconds"
p1=$(ticks "$prometheus")
b1=$(ticks "$blackbox")
end=$(date +%s)
sleep 2
peer_probes=$(curl -sf "http://127.0.0.1:$prom/api/v1/query" --data-urlencode \
    "query=sum(count_over_time(probe_success[$((end - start))s]))" --data-urlencode "time=$end" |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')

awk -v it=$((i1 - i0)) -v pt=$((p1 - p0)) -v bt=$((b1 - b0)) -v hz="$hz" -v ip="$ioc_probes" -v pp="$peer_probes" \
    -v n="$targets" -v s="$seconds" 'BEGIN {
    ic = it / hz * 1000 / ip; pc = (pt + bt) / hz * 1000 / pp
    printf "%d targets every 5 s, %d s measured\n", n, s
    printf "iocd                          %6d probes  %.3f ms CPU per probe\n", ip, ic
    printf "Prometheus + blackbox         %6d probes  %.3f ms CPU per probe (Prometheus %.3f, blackbox_exporter %.3f)\n", pp, pc, pt / hz * 1000 / pp, bt / hz * 1000 / pp
    printf "iocd uses %.1fx less CPU per probe\n", pc / ic
}'
