#!/usr/bin/env bash
# Two or more builds of iocd over the same kept store, in turns, one query: for each build and
# round, iocd's CPU per request and the median time of a request over REQUESTS, then (with
# PERF=1) where a request's own thread spends its time: `perf` samples (4 kHz) per request on the
# API's threads outside the work spread over every core, against all of iocd's samples.
#
#   ioc-bench peers --keep                       # prints "kept in DIR" and "ending END"
#   Benchmarks/Queries/in-turns.sh DIR END "QUERY" BIN1 BIN2 ...
#
# QUERY starting with "range " is a range query over the last 1 h 50 min at a 60 s step, as
# `ioc-bench peers` asks it; else an instant query at END. ROUNDS (default 5), REQUESTS (30).
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,12p "$0" >&2; exit 2; }
dir=$1 end=$2 query=$3
shift 3
rounds=${ROUNDS:-5}
requests=${REQUESTS:-30}
listen=$(awk '/listen:/ {print $2}' "$dir/iocd.yaml")
base="http://$listen/api/v1"
ask() {
    if [[ $query == "range "* ]]; then
        curl -s -o /dev/null -w '%{time_total}\n' -G "$base/query_range" --data-urlencode "query=${query#range }" \
            -d start=$((end - 6600)) -d end="$end" -d step=60
    else
        curl -s -o /dev/null -w '%{time_total}\n' -G "$base/query" --data-urlencode "query=$query" -d time="$end"
    fi
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for round in $(seq "$rounds"); do
    for bin in "$@"; do
        "$bin" --config "$dir/iocd.yaml" 2>/dev/null &
        pid=$!
        for _ in $(seq 100); do curl -sf "$base/query?query=1" >/dev/null && break; sleep 0.1; done
        for _ in 1 2 3; do ask >/dev/null; done
        before=$(ticks "$pid")
        median=$(for _ in $(seq "$requests"); do ask; done | sort -n | awk '{t[NR] = $1} END {printf "%.1f", t[int((NR + 1) / 2)] * 1000}')
        after=$(ticks "$pid")
        line="round $round  $bin  cpu_ms_per_request $(((after - before) * 1000 / $(getconf CLK_TCK) / requests))  median_ms $median"
        if [ "${PERF:-}" = 1 ]; then
            export -f ask
            export base query end
            perf record -q -F 4000 -g -p "$pid" -o "$scratch/perf.data" -- \
                bash -c "for i in \$(seq $requests); do ask >/dev/null; done" >/dev/null 2>&1
            line+=$(perf script -i "$scratch/perf.data" -F comm,ip,sym 2>/dev/null | awk -v n="$requests" 'BEGIN { RS = "" }
                { all++; split($0, frames, "\n"); if (frames[1] !~ /^TP-/) next
                  for (i = 2; i in frames; i++) if (frames[i] ~ /dispatch_apply|ParallelWork/) next
                  own++ }
                END { printf "  perf_samples_per_request %.0f  on_its_own_thread %.0f", all / n, own / n }')
        fi
        echo "$line"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    done
done
