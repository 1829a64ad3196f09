#!/usr/bin/env bash
# How the national rule evaluation grows with the provinces reporting (BENCHMARKS.md, issue 23).
# For each count N (IOC_PROVINCES, default "1 6 34"): the simulator, a fresh VictoriaMetrics, one
# provincial iocd reading the Decision 766 statistics of N provinces (?province=) and remote
# writing them, and a national iocd evaluating rules/scorecard-766.yaml (every 5 s) over
# VictoriaMetrics, first with IOC's engine (rule_source engine: ioc), then with VictoriaMetrics'
# own (engine: remote). Prints the median of IOC_SAMPLES (default 7) readings of the group's
# ioc_rule_group_last_duration_seconds, one every 5 s, and the national iocd's RSS and CPU.
set -euo pipefail

bin=${IOC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
repo=$(cd "$(dirname "$0")/.." && pwd)
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-bench-national.XXXXXX")
samples=${IOC_SAMPLES:-7}
. "$(dirname "$0")/processes.sh"
trap stop_all EXIT
trap 'exit 130' INT TERM
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

"$bin/ioc" simulate --listen 127.0.0.1:0 --scenario national --probes-out "$state/simulator.yaml" >"$state/simulator.log" 2>&1 &
pids+=($!)
wait_until 100 test -s "$state/simulator.yaml" || { cat "$state/simulator.log" >&2; exit 1; }
base=$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+' "$state/simulator.yaml")
mapfile -t codes < <(grep -oE 'province_code: "[0-9]+"' "$state/simulator.yaml" | grep -oE '[0-9]+')
sed 's/interval: 1m/interval: 5s/' "$repo/rules/scorecard-766.yaml" >"$state/scorecard.yaml"
# The scorecard feed's JSON mapping, as the simulator's probe file gives it.
mapping=$(awk '/feeds\/scorecard.json$/ { on = 1; next } on && (/^ *- / || /^ *#/) { exit } on' "$state/simulator.yaml")

# The group's last evaluation time, read $samples times 5 s apart; prints the median in ms.
median_duration() {
    local port=$1 values=()
    for _ in $(seq "$samples"); do
        sleep 5
        values+=("$(curl -s "http://127.0.0.1:$port/metrics" |
            awk '/^ioc_rule_group_last_duration_seconds\{/ { printf "%.1f", $2 * 1000 }')")
    done
    printf '%s\n' "${values[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# RSS (MiB) and CPU (% of one core since it started) of process $1.
usage() {
    local pid=$1 rss ticks start uptime hz
    rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
    read -r ticks start < <(awk '{ print $14 + $15, $22 }' "/proc/$pid/stat")
    uptime=$(awk '{ print $1 }' /proc/uptime)
    hz=$(getconf CLK_TCK)
    awk -v r="$rss" -v t="$ticks" -v s="$start" -v u="$uptime" -v hz="$hz" \
        'BEGIN { printf "%s MiB, %.1f %%", r, 100 * (t / hz) / (u - s / hz) }'
}

echo "| provinces | dvc series | IOC's engine (engine: ioc) | VictoriaMetrics' (engine: remote) | national iocd (ioc) |"
echo "|---|---|---|---|---|"
for count in ${IOC_PROVINCES:-1 6 34}; do
    run="$state/run-$count"
    mkdir -p "$run/centre" "$run/national"
    vm_port=$(free_port)
    engine="http://127.0.0.1:$vm_port"
    victoria-metrics -storageDataPath="$run/vm" -httpListenAddr="127.0.0.1:$vm_port" -search.latencyOffset=0s \
        -search.disableCache >"$run/vm.log" 2>&1 &
    vm=$!
    pids+=("$vm")
    wait_until 100 curl -sf "$engine/health"
    {
        echo "groups:"
        echo "  - name: statistics"
        echo "    interval: 5s"
        echo "    timeout: 4s"
        echo "    targets:"
        for code in "${codes[@]:0:$count}"; do
            echo "      - feed: '$base/feeds/scorecard.json?province=$code'"
            echo "$mapping"
        done
    } >"$run/centre/probes.yaml"
    cat >"$run/centre/iocd.yaml" <<YAML
storage: {path: ioc.db}
probe_files: [probes.yaml]
http: {listen: 'off'}
external_labels: {centre: ioc-centre}
remote_write: [{url: '$engine/api/v1/write'}]
YAML
    "$bin/iocd" --config "$run/centre/iocd.yaml" 2>"$run/centre/iocd.log" &
    centre=$!
    pids+=("$centre")
    results=()
    for mode in ioc remote; do
        port=$(free_port)
        cat >"$run/national/iocd.yaml" <<YAML
storage: {path: ioc-$mode.db}
probe_files: []
rule_files: ['$state/scorecard.yaml']
http: {listen: '127.0.0.1:$port'}
external_labels: {centre: ioc-national}
rule_source: {url: '$engine', timeout: 30s, engine: $mode}
remote_write: [{url: '$engine/api/v1/write'}]
YAML
        "$bin/iocd" --config "$run/national/iocd.yaml" 2>"$run/national/iocd-$mode.log" &
        national=$!
        pids+=("$national")
        wait_until 300 curl -sf "http://127.0.0.1:$port/metrics"
        results+=("$(median_duration "$port") ms")
        [ "$mode" = ioc ] && own=$(usage "$national")
        stop "$national"
    done
    series=$(curl -s "$engine/api/v1/query" --data-urlencode 'query=count({__name__=~"dvc_.+"})' |
        grep -oE '"[0-9]+"\]' | tr -d '"]')
    echo "| $count | ${series:-0} | ${results[0]} | ${results[1]} | $own |"
    stop "$centre"
    stop "$vm"
done
