#!/usr/bin/env bats
# Restart safety: kill -9 hostd at any moment and start it again. Every
# domain that was running is still running, in the right state, with the
# same monitor; console still works; nothing is orphaned or started twice.

load helpers

setup() {
    require_kvm
    TMP=$(mktemp -d)
    mkdir -p "$TMP/state"
    export SKIFF_URI="unix://$TMP/state/hostd.sock"
    start_hostd
}

teardown() {
    # Destroy what is left through the API, then make sure: kill the
    # monitors this test started (by the PIDs hostd recorded) and hostd.
    local pids
    pids=$("$SKIFF_CLI" --json list 2>/dev/null | jq -r '.[] | select(.pid > 0) | .pid' 2>/dev/null || true)
    for d in $("$SKIFF_CLI" --json list 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
        "$SKIFF_CLI" destroy "$d" >/dev/null 2>&1 || true
    done
    [ -n "${HOSTD:-}" ] && kill -TERM "$HOSTD" 2>/dev/null || true
    for p in $pids $(monitor_pids); do kill -KILL "$p" 2>/dev/null || true; done
    [ -n "${HOSTD:-}" ] && wait "$HOSTD" 2>/dev/null || true
    rm -rf "$TMP"
}

start_hostd() {
    "$SKIFF_HOSTD" --foreground --state-dir "$TMP/state" >>"$TMP/hostd.log" 2>&1 &
    HOSTD=$!
    for _ in $(seq 200); do
        "$SKIFF_CLI" list >/dev/null 2>&1 && return 0
        kill -0 "$HOSTD" 2>/dev/null || break
        sleep 0.05
    done
    echo "hostd did not come up:"; cat "$TMP/hostd.log"
    return 1
}

crash_hostd() {
    kill -KILL "$HOSTD"
    wait "$HOSTD" 2>/dev/null || true
    HOSTD=
}

# The skiff-hv processes serving this test's state directory.
monitor_pids() {
    pgrep -f -- "--control=$TMP/state/" || true
}

write_cfg() {   # write_cfg NAME [EXTRA LINES...]
    local f="$TMP/$1.cfg"
    {
        echo "name = \"$1\""
        echo "kernel = \"$SKIFF_EXAMPLES/ticker.hvt\""
        echo "memory = 16"
        shift
        printf '%s\n' "$@"
    } > "$f"
    echo "$f"
}

# name state pid for every domain, sorted: what must survive a restart.
snapshot() {
    "$SKIFF_CLI" --json list | jq -r 'sort_by(.name) | .[] | "\(.name) \(.state) \(.pid)"'
}

state_of() {
    "$SKIFF_CLI" --json dominfo "$1" | jq -r '.state'
}

@test "kill -9 hostd: running and paused domains survive with the same monitors" {
    "$SKIFF_CLI" create "$(write_cfg t1)"
    "$SKIFF_CLI" create "$(write_cfg t2)"
    "$SKIFF_CLI" pause t2
    "$SKIFF_CLI" define "$(write_cfg d1)"
    before=$(snapshot)
    echo "before: $before"
    [[ "$before" == *"t1 running"* ]]
    [[ "$before" == *"t2 paused"* ]]

    crash_hostd
    start_hostd
    after=$(snapshot)
    echo "after: $after"
    [ "$before" = "$after" ]
    # Exactly the two monitors, no more, no fewer.
    [ "$(monitor_pids | wc -l)" -eq 2 ]
    # The console still works after the restart.
    run timeout -k 10s 5 "$SKIFF_CLI" console t1
    [[ "$output" == *"tick"* ]]
    # And control does too.
    "$SKIFF_CLI" unpause t2
    [ "$(state_of t2)" = running ]
}

@test "a guest that stops while hostd is down is collected on restart" {
    "$SKIFF_CLI" create "$(write_cfg short 'cmdline = "3"' 'on_poweroff = "preserve"')"
    crash_hostd
    sleep 1.5       # three ticks and the guest halts, with nobody listening
    start_hostd
    for _ in $(seq 50); do
        [ "$(state_of short)" = shutdown ] && break
        sleep 0.1
    done
    [ "$(state_of short)" = shutdown ]
    [ "$("$SKIFF_CLI" --json dominfo short | jq -r '.exit_status')" = 0 ]
    [ "$(monitor_pids | wc -l)" -eq 0 ]
}

@test "a monitor killed while hostd is down is reported crashed, not left running" {
    "$SKIFF_CLI" create "$(write_cfg victim 'on_crash = "preserve"')"
    pid=$("$SKIFF_CLI" --json dominfo victim | jq -r '.pid')
    crash_hostd
    kill -KILL "$pid"
    start_hostd
    [ "$(state_of victim)" = crashed ]
    [ "$(monitor_pids | wc -l)" -eq 0 ]
}

@test "kill -9 at arbitrary moments during creates: nothing lost, nothing started twice" {
    for i in 1 2 3 4 5 6; do
        "$SKIFF_CLI" create "$(write_cfg "r$i")" >/dev/null 2>&1 &
        client=$!
        # From "before the request" to "well after it": 0..60 ms.
        sleep "0.0$(( (i * 17) % 7 ))"
        crash_hostd
        wait "$client" 2>/dev/null || true
        start_hostd
    done
    sleep 0.5
    snap=$(snapshot)
    echo "$snap"
    running=$(echo "$snap" | awk '$2 == "running"' | wc -l)
    # Every running domain has exactly one live monitor, and every monitor
    # belongs to a running domain.
    [ "$(monitor_pids | wc -l)" -eq "$running" ]
    for pid in $(echo "$snap" | awk '$2 == "running" { print $3 }'); do
        kill -0 "$pid"
    done
    [ "$(echo "$snap" | awk '$2 == "running" { print $3 }' | sort -u | wc -l)" -eq "$running" ]
    # Whatever was acknowledged or not, no domain is stuck half-created.
    # (An empty snapshot, when every create came after its crash, is fine.)
    if [ -n "$snap" ] &&
        echo "$snap" | awk '{ print $2 }' | grep -vqE '^(running|defined|shutdown|crashed)$'; then
        false
    fi
}

@test "a monitor no row names (a start interrupted by kill -9) is ended on restart" {
    # hostd records a monitor's pid only after spawning it: plant such a
    # monitor under the state directory, as a kill -9 in between leaves it.
    crash_hostd
    stray="$TMP/state/domains/00000000-0000-4000-8000-000000000001"
    mkdir -p "$stray"
    "$SKIFF_HV" --control="$stray/control.sock" --mem=16 "$SKIFF_EXAMPLES/ticker.hvt" \
        >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -S "$stray/control.sock" ] && break; sleep 0.02; done
    kill -0 "$pid"
    start_hostd
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
        kill -KILL "$pid"
        echo "the stray monitor is still running"
        false
    fi
    wait "$pid" || true
    grep -q "its start was interrupted" "$TMP/hostd.log"
    [ "$(monitor_pids | wc -l)" -eq 0 ]
}
