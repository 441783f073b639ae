#!/usr/bin/env bats
# Bounded load on loopback: many clients mixing reads and life-cycle
# calls, slow clients, the per-uid connection limit. The figures
# (ops/s, errors, hostd's memory) go to the TAP log as comments; what is
# asserted is that nothing fails, nothing is lost and memory stays put.
#
# LOAD_SECONDS (default 60), LOAD_CLIENTS (64) and LOAD_DOMAINS (200)
# size the main run: `make check LOAD_SECONDS=10` for a quick one.
# LOAD_MAX_GROWTH_KIB (32768) bounds hostd's growth after the warm-up; the
# sanitizer run raises it, since ASan keeps freed memory in quarantine.

load helpers
load hostd

setup() {
    require_kvm
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    printf 'client_timeout_ms = 2000\n' >"$STATE/hostd.conf"
    hostd_start --config "$STATE/hostd.conf" --log-level info
}

teardown() {
    hostd_teardown
}

@test "64 clients mix reads and life-cycle calls against 200 domains: no error, memory stable" {
    clients=${LOAD_CLIENTS:-64} seconds=${LOAD_SECONDS:-60} domains=${LOAD_DOMAINS:-200}
    run "$SKIFF_TOOLS/loadgen" load "$SOCK" "$SKIFF_GUESTS/control.hvt" "$clients" \
        "$seconds" "$domains" 32 "$HOSTD_PID"
    echo "$output"
    echo "# $(echo "$output" | grep '^loadgen:')" >&3
    [ "$status" -eq 0 ]
    line=$(echo "$output" | grep '^loadgen:')
    [[ "$line" == *" errors=0 "* ]]
    ops=$(echo "$line" | grep -o ' ops=[0-9]*' | cut -d= -f2)
    [ "$ops" -gt 0 ]
    # After the warm-up quarter, hostd grows by less than 32 MiB (a leak of
    # a few hundred bytes per call would show many times that).
    growth=$(echo "$line" | grep -o 'growth_after_warmup_kib=-\?[0-9]*' | cut -d= -f2)
    [ "$growth" -lt "${LOAD_MAX_GROWTH_KIB:-32768}" ]
    # Everything loadgen made is gone again: no monitor left behind.
    api list:all
    [[ "$output" == *"domains=0"* ]]
    [ -z "$(monitor_pids)" ]
}

@test "slow clients (half frames, replies never read) are cut off without holding others back" {
    # Up to 60 s; it ends once hostd has cut all 16 off (about 2 s each).
    run "$SKIFF_TOOLS/loadgen" slow "$SOCK" 8 8 60
    echo "$output"
    echo "# $(echo "$output" | grep '^loadgen:')" >&3
    [ "$status" -eq 0 ]
    [[ "$output" == *"partial_closed=8/8 "* ]]
    [[ "$output" == *"flood_closed=8/8 "* ]]
    [[ "$output" == *"normal_errors=0 "* ]]
    grep -q "a request frame not complete within 2000 ms; closing" "$STATE/hostd.out"
    grep -q "replies not read for client_timeout_ms" "$STATE/hostd.out"
    # hostd itself is fine.
    api list
    [ "$status" -eq 0 ]
}

@test "a uid past max_connections_per_uid is refused with BUSY; others' connections are not" {
    hostd_stop
    printf 'max_connections_per_uid = 4\n' >"$STATE/hostd.conf"
    hostd_start --config "$STATE/hostd.conf"
    pids=()
    for i in 1 2 3 4; do
        "$RAWCLIENT" "$SOCK" hello sleep:4000 >"$STATE/held$i" 2>&1 &
        pids+=($!)
    done
    for i in 1 2 3 4; do
        for _ in $(seq 100); do grep -q '^hello:' "$STATE/held$i" && break; sleep 0.05; done
        grep -q 'version=1' "$STATE/held$i"
    done
    run "$RAWCLIENT" "$SOCK" hello
    echo "$output"
    [[ "$output" == *"error=BUSY"*"too many connections"* ]]
    grep -q "refused: 4 connections already" "$STATE/hostd.out"
    wait "${pids[@]}"
    # Once they are gone, the uid connects again.
    api list
    [ "$status" -eq 0 ]
    [[ "$output" == *"domains=0"* ]]
}

@test "a client that never completes its Hello is cut off" {
    hostd_stop
    printf 'client_timeout_ms = 500\n' >"$STATE/hostd.conf"
    hostd_start --config "$STATE/hostd.conf"
    # rawclient's "truncated": a header announcing 100 bytes, then 10.
    run timeout -k 10s 20 "$RAWCLIENT" "$SOCK" truncated eof
    echo "$output"
    [[ "$output" == *EOF* ]]
    grep -q "the Hello not complete within 500 ms; closing" "$STATE/hostd.out"
}
