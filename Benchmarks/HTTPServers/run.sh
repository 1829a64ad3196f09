#!/usr/bin/env bash
# The HTTP layer of iocd's listener beside Hummingbird 2, with the same handler and the same hop to
# a thread pool: clean release build times, then request latency from a keep-alive client
# (sequential, and 8 connections at once), three rounds. Figures in BENCHMARKS.md (issue 17).
set -euo pipefail
cd "$(dirname "$0")"
for server in nio hummingbird; do
    rm -rf "$server/.build"
    start=$(date +%s)
    (cd "$server" && swift build -c release >/dev/null)
    echo "$server: clean release build $(( $(date +%s) - start )) s"
done
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for round in 1 2 3; do
    for server in nio hummingbird; do
        port=$(free_port)
        binary=$(ls "$server"/.build/release/*-server)
        "$binary" "$port" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 100); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break
            sleep 0.1
        done
        echo "round $round $server: sequential $(python3 latency.py "$port" 5000 1); 8 at once $(python3 latency.py "$port" 8000 8)"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    done
done
