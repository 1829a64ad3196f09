#!/usr/bin/env bash
# iocd's resident memory minute by minute while it probes TARGETS paths of an nginx farm every
# 5 s with its listener and the shipped rules on (as a provincial centre runs it), then the peak of
# Prometheus + blackbox_exporter probing the same targets for PEER_MINUTES, in the same run.
#
#   Benchmarks/Probes/rss-hour.sh [TARGETS] [MINUTES] [PEER_MINUTES]     default 5000 60 7
#
# Needs a release build (swift build -c release), nginx, prometheus, prometheus-blackbox-exporter.
set -euo pipefail
targets=${1:-5000}
minutes=${2:-60}
peer_minutes=${3:-7}
interval=5
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${IOC_BIN:-$repo/.build/release}
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-probe-rss.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$state"
}
trap cleanup EXIT
# shellcheck source=farm.sh
source "$here/farm.sh"
start_farm
write_probes
listen=$(free_port)
cat >"$state/iocd.yaml" <<YAML
storage:
  path: ioc.db
probe_files: [probes.yaml]
rule_files:
  - $repo/rules/*.yaml
http:
  listen: 127.0.0.1:$listen
YAML
"$bin/iocd" --config "$state/iocd.yaml" 2>"$state/iocd.log" &
iocd=$!
pids+=("$iocd")
wait_for "http://127.0.0.1:$listen/-/ready"
# Beside RSS, what the store says it holds for readers (ioc_store_memory_bytes: the open hours'
# chunks, the rings, decoded chunks) and RSS without it: the part that must stay flat.
store_mib() {
    curl -sf "http://127.0.0.1:$listen/metrics" |
        awk '/^ioc_store_memory_bytes/ {split($1, a, "\""); b[a[2]] = $2}
             END {printf "%.1f %.1f %.1f", b["open_chunks"] / 1048576, b["rings"] / 1048576, b["decoded_chunks"] / 1048576}'
}
echo "($targets targets every ${interval} s, listener and rules on; MiB)"
echo "minute  iocd RSS  open chunks  rings  decoded  RSS without them  % of a core"
hz=$(getconf CLK_TCK)
for minute in $(seq "$minutes"); do
    t0=$(ticks "$iocd")
    sleep 60
    t1=$(ticks "$iocd")
    read -r chunks rings decoded <<<"$(store_mib)"
    rss=$(rss_mib "$iocd")
    printf "%4d    %8s  %11s  %5s  %7s  %16.1f  %11.1f\n" "$minute" "$rss" "$chunks" "$rings" "$decoded" \
        "$(awk -v r="$rss" -v c="$chunks" -v g="$rings" -v d="$decoded" 'BEGIN {print r - c - g - d}')" \
        "$(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN {print t / hz / 60 * 100}')"
done
echo "iocd peak RSS $(peak_mib "$iocd") MiB"
kill -TERM "$iocd"
wait "$iocd" 2>/dev/null || true

start_prometheus
echo "minute  Prometheus RSS MiB  blackbox_exporter RSS MiB"
for minute in $(seq "$peer_minutes"); do
    sleep 60
    printf "%4d    %12s        %12s\n" "$minute" "$(rss_mib "$prometheus")" "$(rss_mib "$blackbox")"
done
echo "Prometheus peak RSS $(peak_mib "$prometheus") MiB, blackbox_exporter $(peak_mib "$blackbox") MiB after $peer_minutes minutes"
