#!/usr/bin/env bash
# Bytes per sample of the whole store directory after importing the same probe-like history into
# IOC (ioc import), VictoriaMetrics (Debian's victoria-metrics, /api/v1/import/prometheus, then
# flushed and merged) and Prometheus (promtool tsdb create-blocks-from openmetrics), and IOC's
# import speed and peak RSS. Medians of RUNS runs.
#
#   Benchmarks/Store/density.sh TARGETS HOURS [RUNS]      e.g. 250 3, 50 24
#
# Needs a release build of ioc (swift build -c release --product ioc), victoria-metrics and promtool.
set -euo pipefail
targets=${1:-250}
hours=${2:-3}
runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
ioc=${IOC_BIN:-$here/../../.build/release}/ioc
work=$(mktemp -d "${TMPDIR:-/tmp}/ioc-density.XXXXXX")
trap 'kill "${vm:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 "$here/probe-history.py" "$targets" "$hours" 1 >"$work/history.om"
samples=$(grep -vc '^#' "$work/history.om")
# VictoriaMetrics takes Prometheus' text format: timestamps in milliseconds.
awk '/^#/ {next} {$NF = $NF * 1000; print}' "$work/history.om" >"$work/history.prom"
echo "$samples samples: $targets targets x 8 series x $hours h at 15 s"

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
per() { awk -v b="$1" -v n="$samples" 'BEGIN {printf "%.2f", b / n}'; }

for run in $(seq "$runs"); do
    rm -rf "$work/ioc" && mkdir "$work/ioc"
    /usr/bin/time -f "%e %M" -o "$work/time" "$ioc" import --db "$work/ioc/ioc.db" "$work/history.om" >/dev/null
    read -r seconds rss <"$work/time"
    echo "ioc $(du -sb "$work/ioc" | cut -f1) $seconds $rss" >>"$work/ioc.runs"

    rm -rf "$work/vm" && mkdir "$work/vm"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    victoria-metrics -storageDataPath="$work/vm" -retentionPeriod=100y -httpListenAddr="127.0.0.1:$port" \
        -loggerLevel=ERROR >"$work/vm.log" 2>&1 &
    vm=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    curl -sf --data-binary "@$work/history.prom" "http://127.0.0.1:$port/api/v1/import/prometheus"
    curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null
    curl -sf "http://127.0.0.1:$port/internal/force_merge" >/dev/null || true
    sleep 5
    kill -INT "$vm" && wait "$vm" || true
    vm=
    echo "vm $(du -sb "$work/vm/data" | cut -f1) $(du -sb "$work/vm/indexdb" | cut -f1)" >>"$work/vm.runs"

    rm -rf "$work/prom"
    promtool tsdb create-blocks-from openmetrics "$work/history.om" "$work/prom" >/dev/null
    echo "prom $(du -sb "$work/prom" | cut -f1)" >>"$work/prom.runs"
done

ioc_bytes=$(cut -d' ' -f2 "$work/ioc.runs" | median)
ioc_seconds=$(cut -d' ' -f3 "$work/ioc.runs" | median)
ioc_rss=$(cut -d' ' -f4 "$work/ioc.runs" | median)
vm_data=$(cut -d' ' -f2 "$work/vm.runs" | median)
vm_index=$(cut -d' ' -f3 "$work/vm.runs" | median)
prom_bytes=$(cut -d' ' -f2 "$work/prom.runs" | median)
echo "IOC             $(per "$ioc_bytes") bytes/sample ($ioc_bytes bytes); import $(awk -v n="$samples" -v s="$ioc_seconds" 'BEGIN {printf "%d", n / s}') samples/s, peak RSS $((ioc_rss / 1024)) MiB"
echo "VictoriaMetrics $(per $((vm_data + vm_index))) bytes/sample (data $(per "$vm_data"), index $(per "$vm_index"))"
echo "Prometheus      $(per "$prom_bytes") bytes/sample (promtool blocks)"
