#!/usr/bin/env bats
# Hostile guests under hostd: a guest that floods its console, hammers
# hypercalls, breaks the rules or spins harms only itself. Its log stays
# under the cap (rotated), its neighbours and hostd go on serving.

load helpers
load hostd

LOG_CAP=8192

setup() {
    require_kvm
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    printf 'console_log_max_bytes = %s\n' "$LOG_CAP" >"$STATE/hostd.conf"
    hostd_start --config "$STATE/hostd.conf"
    export SKIFF_URI="unix://$SOCK"
}

teardown() {
    hostd_teardown
}

# guest_cfg NAME GUEST CMDLINE [EXTRA LINES...]: a config file path.
guest_cfg() {
    local f="$STATE/$1.cfg"
    {
        echo "name = \"$1\""
        echo "kernel = \"$SKIFF_GUESTS/$2.hvt\""
        echo "cmdline = \"$3\""
        echo "memory = 4"
        shift 3
        printf '%s\n' "$@"
    } >"$f"
    echo "$f"
}

state_of() {
    "$SKIFF_CLI" --json dominfo "$1" | jq -r '.state'
}

uuid_of() {
    "$SKIFF_CLI" --json dominfo "$1" | jq -r '.uuid'
}

# wait_state DOMAIN STATE...: up to 20 s.
wait_state() {
    local d=$1 s
    shift
    for _ in $(seq 200); do
        s=$(state_of "$d" 2>/dev/null || true)
        for want in "$@"; do [ "$s" = "$want" ] && return 0; done
        sleep 0.1
    done
    echo "domain $d is '$s', expected one of: $*" >&2
    return 1
}

@test "a guest flooding its console: the log is capped and rotated, the guest runs on" {
    "$SKIFF_CLI" create "$(guest_cfg flood noisy flood)"
    log="$STATE/domains/$(uuid_of flood)/monitor.log"
    # The rotation keeps one older file; wait for the first.
    for _ in $(seq 300); do [ -f "$log.1" ] && break; sleep 0.1; done
    [ -f "$log.1" ]
    # Sample the sizes for a while: never past the cap (plus the monitor's
    # one "log full" line).
    for _ in $(seq 30); do
        size=$(stat -c %s "$log")
        old=$(stat -c %s "$log.1")
        echo "monitor.log $size monitor.log.1 $old"
        [ "$size" -le $((LOG_CAP + 200)) ]
        [ "$old" -le $((LOG_CAP + 200)) ]
        sleep 0.1
    done
    # Rotation lost the middle of nothing the guest still prints: the
    # newest lines are in the file.
    grep -q "noisy: line" "$log" || grep -q "noisy: line" "$log.1"
    [ "$(state_of flood)" = running ]
    # The console stream is not the file: it still gets the output.
    run timeout -k 10s 20 "$RAWCLIENT" "$SOCK" hello "console:flood:3"
    echo "$output"
    [[ "$output" == *"noisy: line"* ]]
    "$SKIFF_CLI" destroy flood
}

@test "hypercall hammering and rule-breaking guests affect only themselves" {
    "$SKIFF_CLI" create "$(guest_cfg calm control '')"
    "$SKIFF_CLI" create "$(guest_cfg hammer noisy hammer)"
    for c in puts-beyond struct-high hypercall-9 halt-cookie-wrap triple-fault; do
        "$SKIFF_CLI" create "$(guest_cfg "bad-$c" hostile "$c" 'on_crash = "preserve"')"
    done
    for c in puts-beyond struct-high hypercall-9 halt-cookie-wrap triple-fault; do
        wait_state "bad-$c" crashed shutdown
    done
    # Each was stopped alone; hostd never saw a reason to touch the others.
    sleep 1
    [ "$(state_of hammer)" = running ]
    [ "$(state_of calm)" = running ]
    run "$SKIFF_CLI" --json dominfo hammer
    exits=$(echo "$output" | jq -r '.exits // 0')
    echo "hammer exits: $exits"
    # The neighbour still obeys a graceful shutdown.
    "$SKIFF_CLI" shutdown -w -t 20 calm
    [ "$(state_of calm 2>/dev/null || echo gone)" != running ]
    "$SKIFF_CLI" destroy hammer
    for c in puts-beyond struct-high hypercall-9 halt-cookie-wrap triple-fault; do
        "$SKIFF_CLI" destroy "bad-$c" >/dev/null 2>&1 || true
    done
    kill -0 "$HOSTD_PID"
}

@test "guests that spin on every CPU never starve hostd" {
    ncpu=$(nproc)
    for i in $(seq "$ncpu"); do
        "$SKIFF_CLI" create "$(guest_cfg "spin$i" noisy spin)"
    done
    sleep 1
    # hostd answers every call (each bounded by a generous timeout, not a
    # speed goal), and a new domain starts and shuts down gracefully.
    for _ in $(seq 20); do
        timeout -k 10s 20 "$SKIFF_CLI" list >/dev/null
    done
    timeout -k 10s 60 "$SKIFF_CLI" create "$(guest_cfg calm control '')"
    timeout -k 10s 60 "$SKIFF_CLI" shutdown -w -t 30 calm
    for i in $(seq "$ncpu"); do
        [ "$(state_of "spin$i")" = running ]
        timeout -k 10s 20 "$SKIFF_CLI" destroy "spin$i"
    done
    [ -z "$(monitor_pids)" ]
}
