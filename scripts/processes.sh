# Shared by the scripts that run several processes (demo-national.sh, bench-national.sh): source it.
# The caller sets $state (a scratch folder) and appends each process it starts to pids.
pids=()

# Stops every process started (SIGTERM, then waits), and removes $state unless IOC_DEMO_KEEP is set.
stop_all() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "${IOC_DEMO_KEEP:-}" ]; then echo "State kept in $state."; else rm -rf "$state"; fi
}

# Waits up to $1 tenths of a second for the command $2... to succeed.
wait_until() {
    local tries=$1
    shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

# A free TCP port on loopback, chosen by the kernel.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
