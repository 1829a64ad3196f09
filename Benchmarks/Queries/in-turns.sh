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
# KEEPALIVE=1 sends them all over one connection (one curl), for requests so small (`absent`) that
# starting a curl for each would hide them: then REQUESTS=3000 or so.
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
# One connection, `$1` requests, each one's time on a line.
many() {
    local encoded url args=()
    encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "${query#range }")
    if [[ $query == "range "* ]]; then
        url="$base/query_range?query=$encoded&start=$((end - 6600))&end=$end&step=60"
    else
        url="$base/query?query=$encoded&time=$end"
    fi
    for _ in $(seq "$1"); do args+=(-o /dev/null "$url"); done
    curl -s -w '%{time_total}\n' "${args[@]}"
}
times() {
    if [ "${KEEPALIVE:-}" = 1 ]; then many "$1"; else for _ in $(seq "$1"); do ask; done; fi
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
        median=$(times "$requests" | sort -n | awk '{t[NR] = $1} END {printf "%.2f", t[int((NR + 1) / 2)] * 1000}')
        after=$(ticks "$pid")
        cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.2f", t * 1000 / hz / n}')
        line="round $round  $bin  cpu_ms_per_request $cpu  median_ms $median"
        if [ "${PERF:-}" = 1 ]; then
            export -f ask many times
            export base query end KEEPALIVE
            perf record -q -F 4000 -g -p "$pid" -o "$scratch/perf.data" -- \
                bash -c "times $requests >/dev/null" >/dev/null 2>&1
            line+=$(perf script -i "$scratch/perf.data" -F comm,ip,sym 2>/dev/null | awk -v n="$requests" 'BEGIN { RS = "" }
                { all++; split($0, frames, "\n"); if (frames[1] !~ /^TP-/) next
                  for (i = 2; i in frames; i++) if (frames[i] ~ /dispatch_apply|ParallelWork/) next
                  own++ }
                END { printf "  perf_samples_per_request %.1f  on_its_own_thread %.1f", all / n, own / n }')
        fi
        echo "$line"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    done
done
