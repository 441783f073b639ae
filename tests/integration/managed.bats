#!/usr/bin/env bats
# skiff-hv --control: the control protocol hostd uses, driven by hvctl.

load helpers

setup() {
    require_kvm
    TMP=$(mktemp -d)
    SOCK="$TMP/control.sock"
    HVCTL="$SKIFF_TOOLS/hvctl"
}

teardown() {
    [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}

# start_managed [OPTIONS...] IMAGE [ARGS...]: run skiff-hv in managed mode.
start_managed() {
    "$SKIFF_HV" --control="$SOCK" --mem=16 "$@" >"$TMP/out" 2>"$TMP/err" &
    PID=$!
    for _ in $(seq 200); do
        [ -S "$SOCK" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    echo "no control socket: $(cat "$TMP/err")"
    return 1
}

ctl() {
    run timeout -k 10s 20 "$HVCTL" "$SOCK" "$@"
}

wait_gone() {
    for _ in $(seq 100); do
        kill -0 "$PID" 2>/dev/null || { PID=; return 0; }
        sleep 0.05
    done
    return 1
}

@test "the control socket is private to its owner (0600)" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    [ "$(stat -c %a "$SOCK")" = 600 ]
}

@test "requests before hello are refused" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl stats
    [ "$status" -eq 0 ]
    [[ "$output" == *"error=71"* ]]     # EPROTO
}

@test "stats report the guest running, its exits and touched memory" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello console read-console=20 stats
    [ "$status" -eq 0 ]
    [[ "$output" == *"stats paused=0 control_events=1"* ]]
    [[ "$output" =~ exits=[1-9] ]]
    [[ "$output" =~ memory=[1-9] ]]
    [[ "$output" == *"pid=$PID"* ]]
}

@test "console history replays output from before the controller connected" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    sleep 0.5
    ctl hello console read-console=40
    [[ "$output" == *"tick 1"* ]]
}

@test "pause stops the guest's progress and unpause resumes it" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello pause stats
    [[ "$output" == *"stats paused=1"* ]]
    a=$(grep -c tick "$TMP/out" || true)
    sleep 0.6
    b=$(grep -c tick "$TMP/out" || true)
    [ "$a" -eq "$b" ]
    ctl hello unpause
    sleep 0.6
    c=$(grep -c tick "$TMP/out" || true)
    [ "$c" -gt "$b" ]
}

@test "--start-paused runs nothing until unpause" {
    start_managed --start-paused "$SKIFF_EXAMPLES/ticker.hvt"
    sleep 0.5
    refute grep -q tick "$TMP/out"
    ctl hello stats unpause
    [[ "$output" == *"stats paused=1"* ]]
    sleep 0.5
    grep -q "tick 1" "$TMP/out"
}

@test "a shutdown request reaches a guest with control events; exit is reported, then release" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello console read-console=10 shutdown wait-exit release
    [ "$status" -eq 0 ]
    [[ "$output" == *"ticker: shutdown requested"* ]]
    [[ "$output" == *"exited status=0 faulted=0 destroyed=0 reboot=0"* ]]
    wait_gone
}

@test "a reboot request is reported as a reboot" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello reboot wait-exit release
    [[ "$output" == *"reboot=1"* ]]
    wait_gone
}

@test "a guest without control events refuses shutdown requests (EOPNOTSUPP)" {
    start_managed "$(guest control)" 30
    ctl hello stats
    [[ "$output" == *"control_events=1"* ]]
    kill -KILL "$PID"; PID=
    rm -f "$SOCK"
    # time.hvt has no Skiff note.
    start_managed "$(guest time)" 30
    ctl hello shutdown
    [[ "$output" == *"error=95"* ]]
}

@test "destroy stops the guest at once, even while paused" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello pause destroy wait-exit release
    [[ "$output" == *"destroyed=1"* ]]
    wait_gone
}

@test "the exit of a guest is kept until a controller collects it" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt" 2
    sleep 1
    kill -0 "$PID"      # halted, but waiting to be released
    ctl hello wait-exit release
    [[ "$output" == *"exited status=0"* ]]
    wait_gone
}

@test "a faulting guest is reported as faulted with the reason" {
    start_managed "$(guest hostile)" hlt
    ctl hello wait-exit release
    [[ "$output" == *"faulted=1"* ]]
    [[ "$output" == *"exit_reason=0x5"* ]]
    wait_gone
}

@test "a new controller replaces the old one (a restarted hostd takes over)" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    timeout -k 10s 20 "$HVCTL" "$SOCK" hello console read-console=100000 >/dev/null 2>&1 &
    first=$!
    sleep 0.3
    ctl hello stats
    [[ "$output" == *"stats paused=0"* ]]
    wait "$first" || true   # the old connection was closed
}

@test "garbage on the control socket drops that connection, not the guest" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    run timeout -k 10s 5 "$HVCTL" "$SOCK" oversize
    [[ "$output" == *"closed=1"* ]]
    run timeout -k 10s 5 "$HVCTL" "$SOCK" garbage
    [[ "$output" == *"closed=1"* ]]
    ctl hello stats
    [[ "$output" == *"stats paused=0"* ]]
}

@test "the managed monitor is sandboxed too" {
    start_managed "$SKIFF_EXAMPLES/ticker.hvt"
    ctl hello
    grep -q "^Seccomp:[[:space:]]*2" "/proc/$PID/status"
}
