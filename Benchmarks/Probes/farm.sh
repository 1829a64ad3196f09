# Shared by the probe benchmarks (sourced): one nginx on loopback answering every path with 200,
# and the configuration of iocd and of Prometheus + blackbox_exporter probing TARGETS of its paths
# every INTERVAL seconds. Expects $state (a scratch folder), $targets, $interval, $bin (where iocd
# is) and a `pids` array.

# What the benchmarks run, checked before anything starts: a peer missing (not installed:
# `make bench` installs them) said so at once, not as an unreadable /proc line minutes later.
for command in nginx prometheus prometheus-blackbox-exporter curl python3 "$bin/iocd"; do
    if ! command -v "$command" >/dev/null; then
        echo "$(basename "$0"): $command is missing (make bench installs the peers; swift build -c release builds iocd)" >&2
        exit 1
    fi
done

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
peak_mib() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
wait_for() {
    for _ in $(seq 300); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$1 did not answer" >&2
    exit 1
}

# Starts nginx; sets $web to its port.
start_farm() {
    web=$(free_port)
    mkdir -p "$state/tmp"
    cat >"$state/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $state/nginx.pid;
error_log $state/nginx.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $state/tmp/body;
    proxy_temp_path $state/tmp/proxy;
    fastcgi_temp_path $state/tmp/fastcgi;
    uwsgi_temp_path $state/tmp/uwsgi;
    scgi_temp_path $state/tmp/scgi;
    server {
        listen 127.0.0.1:$web;
        location / { default_type text/plain; return 200 'ok'; }
    }
}
CONF
    nginx -p "$state" -c "$state/nginx.conf" &
    pids+=($!)
    wait_for "http://127.0.0.1:$web/"
}

# Writes $state/probes.yaml: the targets in one group.
write_probes() {
    {
        echo "groups:"
        echo "  - name: farm"
        echo "    interval: ${interval}s"
        echo "    timeout: 4s"
        echo "    targets:"
        for n in $(seq "$targets"); do echo "      - url: http://127.0.0.1:$web/t/$n"; done
    } >"$state/probes.yaml"
}

# Starts blackbox_exporter and Prometheus scraping its /probe for every target; sets $prometheus,
# $blackbox (their pids) and $prom (Prometheus' port).
start_prometheus() {
    local box
    box=$(free_port)
    prom=$(free_port)
    printf 'modules:\n  http_2xx:\n    prober: http\n    timeout: 4s\n    http:\n      preferred_ip_protocol: ip4\n' \
        >"$state/blackbox.yml"
    prometheus-blackbox-exporter --config.file="$state/blackbox.yml" --web.listen-address="127.0.0.1:$box" \
        --log.level=warn 2>"$state/blackbox.log" &
    blackbox=$!
    pids+=("$blackbox")
    {
        echo "global: {scrape_interval: ${interval}s, scrape_timeout: 4s}"
        echo "scrape_configs:"
        echo "  - job_name: farm"
        echo "    metrics_path: /probe"
        echo "    params: {module: [http_2xx]}"
        echo "    static_configs:"
        echo "      - targets:"
        for n in $(seq "$targets"); do echo "          - http://127.0.0.1:$web/t/$n"; done
        echo "    relabel_configs:"
        echo "      - {source_labels: [__address__], target_label: __param_target}"
        echo "      - {source_labels: [__param_target], target_label: instance}"
        echo "      - {target_label: __address__, replacement: 127.0.0.1:$box}"
    } >"$state/prometheus.yml"
    prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prom" \
        --web.listen-address="127.0.0.1:$prom" --log.level=warn 2>"$state/prometheus.log" &
    prometheus=$!
    pids+=("$prometheus")
    wait_for "http://127.0.0.1:$prom/-/ready"
}
