#!/usr/bin/env bats
# Monitoring end to end: hostd's Prometheus metrics endpoint fetched with
# curl, and `skiff top` in batch mode, on a real hostd with a ticker domain.
# The endpoint listens on 127.0.0.1 port 0 (any free port); hostd writes
# the port it bound to $STATE/metrics.port.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

setup() {
    STATE=
    HOSTD_PID=
    CREATED=()
    TMP="$(mktemp -d /tmp/monitoring-test.XXXXXX)"
    unset SKIFF_URI
    command -v curl >/dev/null || { echo "curl is required (see tools/dev.sh)" >&2; return 1; }
}

teardown() {
    local d
    if [ -n "${HOSTD_PID:-}" ]; then
        for d in "${CREATED[@]}"; do
            timeout -k 10s 10s "$SKIFF_CLI" destroy "$d" >/dev/null 2>&1 || true
        done
    fi
    hostd_teardown
    rm -rf "$TMP"
}

# start_hostd [ARGS...]: hostd (with ARGS) and the CLI pointed at it.
start_hostd() {
    hostd_start "$@"
    export SKIFF_URI="unix://$SOCK"
}

# metrics_url [PATH]: the endpoint's URL, from $STATE/metrics.port.
metrics_url() {
    [ -s "$STATE/metrics.port" ] || { echo "no $STATE/metrics.port" >&2; return 1; }
    echo "http://127.0.0.1:$(cat "$STATE/metrics.port")${1:-/metrics}"
}

# scrape: GET /metrics into $output (body only).
scrape() {
    run timeout -k 10s 20s curl -sS --fail "$(metrics_url)"
    [ "$status" -eq 0 ] || { echo "curl failed: $output" >&2; return 1; }
}

# create_ticker NAME: a running ticker domain (16 MiB) through the CLI.
create_ticker() {
    printf 'name = "%s"\nkernel = "%s"\nmemory = 16\n' "$1" "$SKIFF_EXAMPLES/ticker.hvt" \
        >"$TMP/$1.cfg"
    CREATED+=("$1")
    run timeout -k 10s 60s "$SKIFF_CLI" create "$TMP/$1.cfg" </dev/null
    [ "$status" -eq 0 ] || { echo "create failed: $output" >&2; return 1; }
}

# metric_value LINE-PREFIX: the value of the first sample line of $output
# starting with LINE-PREFIX.
metric_value() {
    printf '%s\n' "$output" | awk -v p="$1" 'index($0, p) == 1 { print $NF; exit }'
}

# tcp_listeners PID: the TCP sockets PID listens on (their inodes).
tcp_listeners() {
    local inodes
    inodes="$(for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null |
        sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')"
    [ -n "$inodes" ] || return 0
    awk 'FNR > 1 && $4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        grep -Fx -f <(printf '%s\n' "$inodes") || true
}

@test "metrics: off by default (nothing listens, connection refused)" {
    start_hostd --metrics-listen 127.0.0.1:0
    local port
    port="$(cat "$STATE/metrics.port")"
    [ -n "$port" ]
    hostd_stop
    # The port file goes with the endpoint.
    [ ! -e "$STATE/metrics.port" ]
    hostd_start
    [ ! -e "$STATE/metrics.port" ]
    [ -z "$(tcp_listeners "$HOSTD_PID")" ]
    run curl -sS "http://127.0.0.1:$port/metrics"
    [ "$status" -eq 7 ]   # curl: failed to connect
}

@test "metrics: a non-loopback address is refused without metrics_allow_remote" {
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --metrics-listen 192.0.2.1:9464
    [ "$status" -eq 1 ]
    expect_output_has "not a loopback address" "metrics_allow_remote"
    printf 'metrics_listen = "0.0.0.0:0"\n' >"$TMP/hostd.conf"
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config "$TMP/hostd.conf"
    [ "$status" -eq 1 ]
    expect_output_has "metrics_allow_remote"
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --metrics-listen "nonsense"
    [ "$status" -eq 1 ]
    expect_output_has "metrics_listen"
}

@test "metrics: hostd.conf metrics_listen with only a port binds loopback" {
    printf 'metrics_listen = "0"\n' >"$TMP/hostd.conf"
    start_hostd --config "$TMP/hostd.conf"
    [ -s "$STATE/metrics.port" ]
    grep -q "metrics on http://127.0.0.1:$(cat "$STATE/metrics.port")/metrics" "$STATE/hostd.out"
    scrape
    expect_output_has "hostd_up 1"
}

@test "metrics: content type, hostd metrics, HELP and TYPE lines" {
    start_hostd --metrics-listen 127.0.0.1:0
    run timeout -k 10s 20s "$SKIFF_CLI" list </dev/null
    [ "$status" -eq 0 ]
    run timeout -k 10s 20s curl -sS -D "$TMP/headers" -o "$TMP/body" "$(metrics_url)"
    [ "$status" -eq 0 ]
    grep -qi '^HTTP/1.1 200' "$TMP/headers"
    grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/headers"
    output="$(cat "$TMP/body")"
    expect_output_has "# TYPE hostd_up gauge" "hostd_up 1" \
        "# HELP hostd_uptime_seconds " "# TYPE hostd_domains gauge" \
        'hostd_domains{state="running"} 0' 'hostd_domains{state="defined"} 0' \
        "# TYPE hostd_rpc_requests_total counter" "# TYPE hostd_connections gauge"
    [ "$(metric_value 'hostd_rpc_requests_total{op="list"}')" -ge 1 ]
    # Every sample has its metric's TYPE line before it.
    printf '%s\n' "$output" | awk '
        /^# TYPE / { typed[$3] = 1; next }
        /^#/ { next }
        { name = $1; sub(/\{.*/, "", name); if (!(name in typed)) { print "untyped " name; bad = 1 } }
        END { exit bad }'
}

@test "metrics: a running domain's metrics, labelled by name" {
    require_kvm
    start_hostd --metrics-listen 127.0.0.1:0
    create_ticker tick1
    local uuid
    uuid="$("$SKIFF_CLI" --json dominfo tick1 </dev/null | jq -r .uuid)"
    [ -n "$uuid" ]
    local labels="domain=\"tick1\",uuid=\"$uuid\"" i cpu=0 exits=0
    # The vCPU thread uses CPU before the guest's first exit: wait for both.
    for i in $(seq 1 50); do
        scrape
        cpu="$(metric_value "skiff_domain_cpu_seconds_total{$labels}")"
        exits="$(metric_value "skiff_domain_exits_total{$labels}")"
        [ -n "$cpu" ] && [ "${exits:-0}" -gt 0 ] &&
            awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' && break
        sleep 0.2
    done
    awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' || { echo "cpu seconds stayed $cpu: $output"; false; }
    expect_output_has "skiff_domain_state{$labels,state=\"running\"} 1" \
        "skiff_domain_memory_max_bytes{$labels} 16777216" \
        "skiff_domain_vcpus{$labels} 1" \
        "skiff_domain_restarts_total{$labels} 0" \
        'hostd_domains{state="running"} 1' \
        'hostd_rpc_requests_total{op="create"} 1' \
        "# TYPE skiff_domain_cpu_seconds_total counter" \
        "# TYPE skiff_domain_exits_total counter"
    [ "$(metric_value "skiff_domain_memory_touched_bytes{$labels}")" -gt 0 ]
    [ "$(metric_value "skiff_domain_exits_total{$labels}")" -gt 0 ]

    run timeout -k 10s 20s "$SKIFF_CLI" pause tick1 </dev/null
    [ "$status" -eq 0 ]
    scrape
    expect_output_has "skiff_domain_state{$labels,state=\"paused\"} 1" \
        'hostd_domains{state="paused"} 1'
}

@test "metrics: GET /metrics only: 404 for other paths, 405 for other methods" {
    start_hostd --metrics-listen 127.0.0.1:0
    run curl -s -o /dev/null -w '%{http_code}' "$(metrics_url /)"
    [ "$output" = 404 ]
    run curl -s -o /dev/null -w '%{http_code}' "$(metrics_url /metrics/x)"
    [ "$output" = 404 ]
    run curl -s -o /dev/null -w '%{http_code}' -X POST "$(metrics_url)"
    [ "$output" = 405 ]
    run curl -s -o /dev/null -w '%{http_code}' -X DELETE "$(metrics_url)"
    [ "$output" = 405 ]
    run curl -s -o /dev/null -w '%{http_code}' "$(metrics_url '/metrics?x=1')"
    [ "$output" = 200 ]
}

@test "skiff top --batch: the ticker with a CPU % and its state" {
    require_kvm
    start_hostd
    create_ticker tick2
    run timeout -k 10s 30s "$SKIFF_CLI" top --batch -d 0.2 </dev/null
    [ "$status" -eq 0 ]
    expect_output_has "NAME" "STATE" "CPU(sec)" "CPU(%)" "MEM(k)" "MAXMEM(k)" "VCPUS" "EXITS" \
        "1 running"
    local line
    line="$(printf '%s\n' "$output" | awk '$1 == "tick2"')"
    [ -n "$line" ] || { echo "no tick2 row: $output"; false; }
    [ "$(echo "$line" | awk '{ print $2 }')" = running ]
    [[ "$(echo "$line" | awk '{ print $4 }')" =~ ^[0-9]+\.[0-9]$ ]]
    [ "$(echo "$line" | awk '{ print $6 }')" = 16384 ]
    # Two iterations: two displays.
    run timeout -k 10s 30s "$SKIFF_CLI" top -b -d 0.2 -i 2 </dev/null
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c '^NAME ')" -eq 2 ]
}

@test "skiff top --batch --json: one JSON object per sample" {
    require_kvm
    start_hostd
    create_ticker tick3
    run timeout -k 10s 30s "$SKIFF_CLI" top --batch --json -d 0.2 -i 2 </dev/null
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
    printf '%s\n' "$output" | jq -e -s '
        length == 2 and
        (.[0].host.domains.running == 1) and
        (.[1].domains | map(select(.name == "tick3")) | length == 1) and
        (.[1].domains[] | select(.name == "tick3") |
            .state == "running" and (.cpu_percent | type) == "number" and
            .memory_max_bytes == 16777216 and .vcpus == 1)' >/dev/null
}

@test "skiff top: bad options are usage errors" {
    run "$SKIFF_CLI" top -d 0 </dev/null
    [ "$status" -eq 2 ]
    run "$SKIFF_CLI" top -d abc </dev/null
    [ "$status" -eq 2 ]
    run "$SKIFF_CLI" top -i 0 </dev/null
    [ "$status" -eq 2 ]
    run "$SKIFF_CLI" top extra </dev/null
    [ "$status" -eq 2 ]
}
