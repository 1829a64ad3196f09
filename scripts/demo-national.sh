#!/usr/bin/env bash
# make demo-national: a national centre on one machine. The simulator's 34 provinces are probed by
# six provincial iocd, each with its own store and its provinces' scorecard, remote-writing to
# Debian's VictoriaMetrics; a national iocd scrapes the national feeds and evaluates the shipped
# rules over VictoriaMetrics (rule_source), writing what they record back to it; the national
# dashboard reads VictoriaMetrics (ioc dashboard --source). Quitting the dashboard (q) stops everything. Without a terminal it
# prints the national overview every few seconds for IOC_DEMO_SECONDS (default 60) seconds.
# IOC_SCENARIO=demo simulates 5 provinces instead of 34; IOC_CENTRES the number of provincial iocd.
set -euo pipefail

bin=${IOC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug}
repo=$(cd "$(dirname "$0")/.." && pwd)
centres=${IOC_CENTRES:-6}
state=$(mktemp -d "${TMPDIR:-/tmp}/ioc-national.XXXXXX")
. "$(dirname "$0")/processes.sh"
trap stop_all EXIT
trap 'exit 130' INT TERM

command -v victoria-metrics >/dev/null || { echo "victoria-metrics is not installed (apt-get install victoria-metrics)" >&2; exit 1; }
"$bin/ioc" simulate --listen 127.0.0.1:0 --scenario "${IOC_SCENARIO:-national}" --probes-out "$state/simulator.yaml" >"$state/simulator.log" 2>&1 &
pids+=($!)
wait_until 100 test -s "$state/simulator.yaml" || { cat "$state/simulator.log" >&2; exit 1; }
head -n 1 "$state/simulator.log"

vm_port=$(free_port)
engine="http://127.0.0.1:$vm_port"
# Rules evaluate at "now": VictoriaMetrics answers with what it has, not what it had 30 s ago.
victoria-metrics -storageDataPath="$state/vm" -httpListenAddr="127.0.0.1:$vm_port" -search.latencyOffset=0s \
    -search.disableCache >"$state/victoria-metrics.log" 2>&1 &
pids+=($!)
wait_until 100 curl -sf "$engine/health" || { cat "$state/victoria-metrics.log" >&2; exit 1; }
echo "VictoriaMetrics at $engine"

# The simulator's probe file, group by group: the provinces in turn to the provincial centres,
# the national feeds (portal statistics, data exchanges) to the national centre.
awk -v dir="$state" -v centres="$centres" '
    /^groups:/ { next }
    /^  - name: / { name = $3; out = (name == "feeds") ? dir "/national/probes.yaml" : dir "/centre-" (count++ % centres + 1) "/probes.yaml" }
    out == "" { next }
    { if (!(out in started)) { started[out] = 1; system("mkdir -p \"$(dirname " out ")\""); print "groups:" > out } print > out }
' "$state/simulator.yaml"

# Each province's own Decision 766 statistics (?province=) go to its centre, which computes its
# scorecard; the national centre recomputes every province's from what the centres send, so the
# national scorecard feed is not read twice.
mapping=$(awk '/feeds\/scorecard.json$/ { on = 1; next } on && (/^ *- / || /^ *#/) { exit } on' "$state/simulator.yaml")
base=$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+' "$state/simulator.yaml")
awk '/feeds\/scorecard.json$/ { skip = 1; next } skip && (/^ *- / || /^ *#/) { skip = 0 } !skip' \
    "$state/national/probes.yaml" >"$state/national/probes.yaml.new"
mv "$state/national/probes.yaml.new" "$state/national/probes.yaml"
for centre in $(seq 1 "$centres"); do
    folder="$state/centre-$centre"
    {
        echo "  - name: statistics"
        echo "    targets:"
        for code in $(grep -oE 'province_code: "[0-9]+"' "$folder/probes.yaml" | grep -oE '[0-9]+'); do
            echo "      - feed: '$base/feeds/scorecard.json?province=$code'"
            echo "$mapping"
        done
    } >>"$folder/probes.yaml"
    cat >"$folder/iocd.yaml" <<YAML
storage: {path: ioc.db}
probe_files: [probes.yaml]
rule_files: ['$repo/rules/scorecard-766.yaml']
http: {listen: 'off'}
external_labels: {centre: ioc-centre-$centre}
remote_write:
  - url: '$engine/api/v1/write'
    # What this centre's rules derive stays here; the national centre recomputes it.
    write_relabel_configs:
      - {source_labels: [__name__], regex: '.+:.+', action: drop}
YAML
    "$bin/iocd" --config "$folder/iocd.yaml" 2>"$folder/iocd.log" &
    pids+=($!)
done
national_port=$(free_port)
cat >"$state/national/iocd.yaml" <<YAML
storage: {path: ioc.db}
probe_files: [probes.yaml]
rule_files: ['$repo/rules/*.yaml']
http: {listen: '127.0.0.1:$national_port'}
external_labels: {centre: ioc-national}
rule_source: {url: '$engine', timeout: 30s}
remote_write: [{url: '$engine/api/v1/write'}]
YAML
"$bin/iocd" --config "$state/national/iocd.yaml" 2>"$state/national/iocd.log" &
pids+=($!)
echo "$centres provincial centres and the national one are writing to VictoriaMetrics; state: $state"
echo "The national iocd: http://127.0.0.1:$national_port (its alerts: ioc alerts --source http://127.0.0.1:$national_port)"

# The figures from VictoriaMetrics; the alerts, which it does not keep, from the national iocd.
dashboard=("$bin/ioc" dashboard --source "$engine" --alerts-source "http://127.0.0.1:$national_port"
    --dashboards "$repo/dashboards/*.yaml")
if [ -t 0 ] && [ -t 1 ]; then
    "${dashboard[@]}" --dashboard overview
else
    seconds=${IOC_DEMO_SECONDS:-60}
    echo "No terminal: the national overview every 5 seconds for $seconds seconds."
    end=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$end" ]; do
        sleep 5
        "${dashboard[@]}" --dashboard overview --snapshot 120x40
        echo
    done
    # Every province's first probes may still be on their way: up to 30 s more for all 34.
    all_there() { "$bin/ioc" query --source "$engine" 'count(count by (province) (probe_success)) >= 34' | grep -q '=>'; }
    wait_until 300 all_there || true
    echo "The national overview, every province in:"
    "${dashboard[@]}" --dashboard overview --snapshot 120x40
    echo "Centres and provinces in VictoriaMetrics:"
    "$bin/ioc" query --source "$engine" 'count(count by (centre) (probe_success))'
    "$bin/ioc" query --source "$engine" 'count(count by (province) (probe_success))'
fi
