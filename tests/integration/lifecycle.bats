#!/usr/bin/env bats
# Domain life cycles end to end: the skiff CLI, a real hostd, real skiff-hv
# monitors on /dev/kvm.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

setup() {
    require_kvm
    STATE=
    HOSTD_PID=
    hostd_start
    export SKIFF_URI="unix://$SOCK"
}

teardown() {
    hostd_teardown
}

cli() {
    run timeout -k 10s 60s "$SKIFF_CLI" "$@"
}

# cfg NAME KERNEL [KEY = VALUE lines...]: a domain file $STATE/NAME.cfg
cfg() {
    local name="$1" kernel="$2"
    shift 2
    {
        echo "name = \"$name\""
        echo "kernel = \"$kernel\""
        echo "memory = 32"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$STATE/$name.cfg"
    echo "$STATE/$name.cfg"
}

# state_of NAME: the domain's state word from dominfo --json (empty if none).
state_of() {
    timeout -k 10s 30s "$SKIFF_CLI" --json dominfo "$1" 2>/dev/null |
        grep -o '"state":"[a-z]*"' | head -n 1 | cut -d'"' -f4
}

json_field() {
    timeout -k 10s 30s "$SKIFF_CLI" --json dominfo "$1" 2>/dev/null |
        grep -o "\"$2\":[^,]*" | head -n 1 | cut -d: -f2- | tr -d '"'
}

# wait_state NAME STATE [SECONDS]
wait_state() {
    local i s
    for i in $(seq 1 $((${3:-20} * 10))); do
        s="$(state_of "$1")"
        [ "$s" = "$2" ] && return 0
        sleep 0.1
    done
    echo "domain $1 is '$s', not '$2'" >&2
    return 1
}

ticker() { echo "$SKIFF_EXAMPLES/ticker.hvt"; }

@test "create, console, shutdown --wait: a created domain is gone afterwards" {
    cli create "$(cfg tk "$(ticker)")"
    [ "$status" -eq 0 ]
    [ "$(state_of tk)" = running ]
    run timeout -k 10s 3s "$SKIFF_CLI" console tk
    expect_output_has "tick 1"
    cli shutdown -w tk
    [ "$status" -eq 0 ]
    cli dominfo tk
    [ "$status" -eq 1 ]
    [ -z "$(monitor_pids)" ]
}

@test "define, start, pause, unpause, destroy, undefine" {
    cli define "$(cfg p "$(ticker)")"
    [ "$status" -eq 0 ]
    [ "$(state_of p)" = defined ]
    cli undefine p
    cli define "$(cfg p "$(ticker)")"
    cli start p
    [ "$status" -eq 0 ]
    [ "$(state_of p)" = running ]
    cli start p
    [ "$status" -eq 1 ]
    cli undefine p
    [ "$status" -eq 1 ]
    cli pause p
    [ "$(state_of p)" = paused ]
    cli unpause p
    [ "$(state_of p)" = running ]
    cli destroy p
    [ "$status" -eq 0 ]
    [ "$(state_of p)" = defined ]
    [ -z "$(monitor_pids)" ]
    cli undefine p
    [ "$status" -eq 0 ]
    cli dominfo p
    [ "$status" -eq 1 ]
}

@test "create --paused starts with the vCPU parked" {
    cli create -p "$(cfg tk "$(ticker)")"
    [ "$(state_of tk)" = paused ]
    cli unpause tk
    [ "$(state_of tk)" = running ]
    cli destroy tk
}

@test "a guest that exits: destroyed, or preserved as shutdown with its status" {
    cli create "$(cfg h1 "$SKIFF_EXAMPLES/hello.hvt")"
    [ "$status" -eq 0 ]
    for i in $(seq 1 100); do
        timeout -k 10s 10s "$SKIFF_CLI" dominfo h1 >/dev/null 2>&1 || break
        sleep 0.1
    done
    cli dominfo h1
    [ "$status" -eq 1 ]
    cli define "$(cfg h2 "$SKIFF_EXAMPLES/hello.hvt" 'on_poweroff = "preserve"')"
    cli start h2
    wait_state h2 shutdown
    [ "$(json_field h2 exit_status)" = 0 ]
    cli destroy h2
    [ "$(state_of h2)" = defined ]
}

@test "a crash is preserved; on_crash=restart stops after a crash loop" {
    cli define "$(cfg c1 "$SKIFF_GUESTS/exception.hvt" 'on_crash = "preserve"')"
    cli start c1
    wait_state c1 crashed
    [ "$(json_field c1 exit_status)" = 255 ]
    cli define "$(cfg c2 "$SKIFF_GUESTS/exception.hvt" 'on_crash = "restart"')"
    cli start c2
    wait_state c2 crashed 60
    [ "$(json_field c2 restarts)" = 5 ]
    json_field c2 reason | grep -q "not restarted"
    [ -z "$(monitor_pids)" ]
}

@test "shutdown of a guest without control events destroys it after the grace period" {
    cli create "$(cfg t "$SKIFF_GUESTS/time.hvt" 'cmdline = "60"')"
    [ "$(state_of t)" = running ]
    cli shutdown -w -t 2 t
    [ "$status" -eq 0 ]
    cli dominfo t
    [ "$status" -eq 1 ]
    grep -q "does not handle shutdown requests" "$STATE/hostd.out"
}

@test "reboot restarts the domain (with and without control events)" {
    cli define "$(cfg r1 "$(ticker)")"
    cli start r1
    cli reboot r1
    [ "$status" -eq 0 ]
    for i in $(seq 1 100); do
        [ "$(json_field r1 restarts)" = 1 ] && [ "$(state_of r1)" = running ] && break
        sleep 0.1
    done
    [ "$(json_field r1 restarts)" = 1 ]
    [ "$(state_of r1)" = running ]
    cli define "$(cfg r2 "$SKIFF_GUESTS/time.hvt" 'cmdline = "60"')"
    cli start r2
    cli reboot r2
    for i in $(seq 1 100); do
        [ "$(json_field r2 restarts)" = 1 ] && [ "$(state_of r2)" = running ] && break
        sleep 0.1
    done
    [ "$(state_of r2)" = running ]
    [ "$(monitor_pids | wc -l)" -eq 2 ]
    cli destroy r1
    cli destroy r2
    [ -z "$(monitor_pids)" ]
}

@test "rename keeps the domain; names stay unique" {
    cli define "$(cfg a "$(ticker)")"
    cli define "$(cfg b "$(ticker)")"
    cli rename a b
    [ "$status" -eq 1 ]
    cli rename a c
    [ "$status" -eq 0 ]
    [ "$(state_of c)" = defined ]
    cli dominfo a
    [ "$status" -eq 1 ]
}

@test "autostart domains start with hostd" {
    cli define "$(cfg auto "$(ticker)" 'autostart = true')"
    [ "$(state_of auto)" = defined ]
    hostd_stop
    hostd_start
    wait_state auto running
    cli destroy auto
}

@test "events report the life cycle" {
    cli create "$(cfg ev "$(ticker)")"
    cli destroy ev
    cli events --count 2 -t 10
    expect_output_has "started" "destroyed"
}
