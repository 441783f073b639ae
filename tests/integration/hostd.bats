#!/usr/bin/env bats
# hostd as a daemon: the protocol, robustness against bad clients, the
# state-directory lock, signals, and keeping domains across restarts.
# Domain life cycles through the CLI are in lifecycle.bats.

load helpers
load hostd

setup() {
    STATE=
    HOSTD_PID=
}

teardown() {
    hostd_teardown
}

ticker() {
    echo "$SKIFF_EXAMPLES/ticker.hvt"
}

@test "hello with protocol 1 is accepted; another version is refused" {
    hostd_start
    api host-info
    [ "$status" -eq 0 ]
    expect_output_has 'hello: version=1 server="hostd ' 'host hostname='
    run "$RAWCLIENT" "$SOCK" hello:2 eof
    expect_output_has "error=PROTOCOL" "protocol version 2 is not supported" "EOF"
}

@test "a request before hello is refused and the connection closed" {
    hostd_start
    run "$RAWCLIENT" "$SOCK" list eof
    expect_output_has "error=PROTOCOL" "first message must be Hello" "EOF"
}

@test "a malformed frame closes that connection only" {
    hostd_start
    run "$RAWCLIENT" "$SOCK" hello garbage eof
    expect_output_has "error=PROTOCOL" "malformed message" "EOF"
    api list
    expect_output_has "domains=0"
    kill -0 "$HOSTD_PID"
}

@test "an oversized frame is refused before it is read" {
    hostd_start
    run "$RAWCLIENT" "$SOCK" hello oversize eof
    expect_output_has "error=PROTOCOL" "larger than the maximum" "EOF"
    # A truncated frame followed by a hang-up leaves nothing behind either.
    run "$RAWCLIENT" "$SOCK" hello truncated
    api host-info
    expect_output_has "host hostname="
    grep -q "frame larger than the maximum" "$STATE/hostd.out"
}

@test "requests are pipelined and answered by id" {
    hostd_start
    run "$RAWCLIENT" "$SOCK" hello send:list send:host-info send:info:nosuch send:list:all read:4
    [ "$status" -eq 0 ]
    expect_output_has "response id=1: domains=0" "response id=2: host" \
        "response id=3: error=NOT_FOUND" "response id=4: domains=0"
}

@test "invalid domain configurations are refused with the right code" {
    hostd_start
    api define:bad/name:$(ticker)
    expect_output_has "error=INVALID" "invalid domain name"
    api define:web:/nonexistent.hvt
    expect_output_has "error=INVALID" "/nonexistent.hvt"
    api define:web:relative.hvt
    expect_output_has "error=INVALID" "absolute path"
    api define:web:$(ticker) define:web:$(ticker)
    expect_output_has "response id=1: domain name=web" "state=DEFINED" \
        "response id=2: error=EXISTS"
    api undefine:web undefine:web
    expect_output_has "response id=1: ok" "response id=2: error=NOT_FOUND"
}

@test "the events stream replays the log, then follows" {
    hostd_start
    api define:a:$(ticker) rename:a:b undefine:b
    api events:0:4
    expect_output_has "more: ok" "kind=defined domain=a" "kind=renamed domain=b" \
        "kind=undefined domain=b"
}

@test "50 clients at once" {
    hostd_start
    local i pids=()
    for i in $(seq 1 50); do
        "$RAWCLIENT" "$SOCK" hello host-info list:all >"$STATE/client.$i" 2>&1 &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i"
    done
    for i in $(seq 1 50); do
        grep -q "host hostname=" "$STATE/client.$i" || { cat "$STATE/client.$i"; false; }
        grep -q "response id=2: domains=0" "$STATE/client.$i"
    done
    kill -0 "$HOSTD_PID"
}

@test "a second hostd on the same state directory is refused" {
    hostd_start
    run timeout -k 10s 10s "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --listen-unix "$STATE/other.sock"
    [ "$status" -eq 1 ]
    expect_output_has "another hostd (pid $HOSTD_PID) is already running on state directory"
    api list
    expect_output_has "domains=0"
}

@test "without --foreground hostd returns once it serves" {
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    SOCK="$STATE/hostd.sock"
    run timeout -k 10s 20s "$SKIFF_HOSTD" --state-dir "$STATE" --config /dev/null
    [ "$status" -eq 0 ]
    HOSTD_PID="$(cat "$STATE/hostd.lock")"
    [ -S "$SOCK" ]
    api host-info
    expect_output_has "host hostname="
    kill -0 "$HOSTD_PID"
    kill -TERM "$HOSTD_PID"
    for i in $(seq 1 50); do
        kill -0 "$HOSTD_PID" 2>/dev/null || break
        sleep 0.1
    done
    refute alive "$HOSTD_PID"
    HOSTD_PID=
    [ ! -e "$SOCK" ]
    grep -q "stopped" "$STATE/hostd.log"
}

@test "clients that are not root nor in the group are denied" {
    command -v setpriv >/dev/null || skip "setpriv(1) is not installed"
    hostd_start
    chmod 0755 "$STATE"
    chmod 0666 "$SOCK"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$RAWCLIENT" "$SOCK" hello eof
    expect_output_has "error=DENIED" "EOF"
    grep -q "uid 65534 refused" "$STATE/hostd.out"
}

@test "a client that hangs up mid-request does not disturb hostd" {
    require_kvm
    hostd_start
    api create:tk:$(ticker)
    expect_output_has "state=RUNNING"
    # A paused guest cannot act on the shutdown request: the grace period runs.
    api pause:tk
    expect_output_has "state=PAUSED"
    run "$RAWCLIENT" "$SOCK" hello send:shutdown:tk:wait:1500
    run "$RAWCLIENT" "$SOCK" hello send:console:tk:0
    api list
    expect_output_has "name=tk"
    # After the grace period the guest is destroyed; hostd carries on.
    for i in $(seq 1 100); do
        api list
        [[ "$output" == *"domains=0"* ]] && break
        sleep 0.1
    done
    expect_output_has "domains=0"
    api events:0:0
    kill -0 "$HOSTD_PID"
    grep -q "did not shut down within the grace period" "$STATE/hostd.out"
}

@test "SIGTERM stops hostd cleanly; domains keep running and are found again" {
    require_kvm
    hostd_start
    api define:keep:$(ticker) start:keep
    expect_output_has "state=RUNNING"
    local pid
    pid="$(printf '%s\n' "$output" | grep 'response id=2' | grep -o 'pid=[0-9]*' | cut -d= -f2)"
    [ -n "$pid" ]
    kill -TERM "$HOSTD_PID"
    local st=0
    wait "$HOSTD_PID" || st=$?
    [ "$st" -eq 0 ]
    HOSTD_PID=
    [ ! -e "$SOCK" ]
    kill -0 "$pid"
    hostd_start
    api info:keep
    expect_output_has "state=RUNNING" "pid=$pid "
    api console:keep:3
    expect_output_has "tick "
    api destroy:keep
    expect_output_has "state=DEFINED"
    ! kill -0 "$pid" 2>/dev/null || sleep 1
    [ -z "$(monitor_pids)" ]
}

@test "kill -9 of hostd: running domains survive, dead ones are found crashed" {
    require_kvm
    hostd_start
    api create:a:$(ticker) create:b:$(ticker) define:c:$(ticker)
    expect_output_has "name=a" "name=b" "name=c"
    api list
    local pa pb
    pa="$(printf '%s\n' "$output" | grep 'name=a ' | grep -o 'pid=[0-9]*' | cut -d= -f2)"
    pb="$(printf '%s\n' "$output" | grep 'name=b ' | grep -o 'pid=[0-9]*' | cut -d= -f2)"
    hostd_stop KILL
    kill -9 "$pb"
    hostd_start
    api list:all
    expect_output_has "name=a " "state=RUNNING" "pid=$pa " "name=c "
    # b was transient with on_crash=destroy: gone, with an event saying why.
    expect_output_lacks "name=b "
    api events:0:0 sleep:200 read:20
    grep -q "domain b: crashed: monitor gone while hostd was down" "$STATE/hostd.out"
    # Exactly one monitor for a, none started twice.
    [ "$(monitor_pids | wc -l)" -eq 1 ]
    api console:a:3
    expect_output_has "tick "
    api destroy:a
    [ -z "$(monitor_pids)" ] || { sleep 1; [ -z "$(monitor_pids)" ]; }
}
