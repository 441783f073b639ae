#!/usr/bin/env bats
# skiff-hv's own behaviour around a running guest: signals, the sandbox,
# idling, and a console nobody reads.

load helpers

setup() {
    require_kvm
    TICKER="$SKIFF_EXAMPLES/ticker.hvt"
    HELLO="$SKIFF_EXAMPLES/hello.hvt"
    TMP=$(mktemp -d)
}

teardown() {
    [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}

# Start the ticker in the background; wait until it has printed a tick.
start_ticker() {
    "$SKIFF_HV" --mem=16 "$@" "$TICKER" >"$TMP/out" 2>"$TMP/err" &
    PID=$!
    for _ in $(seq 100); do
        grep -q "tick 1" "$TMP/out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "ticker did not start: $(cat "$TMP/err")"
    return 1
}

proc_field() {   # proc_field PID NAME: a line of /proc/PID/status
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

@test "SIGTERM stops the guest: exit 1 and 'Exiting on signal 15'" {
    start_ticker
    kill -TERM "$PID"
    status=0
    wait "$PID" || status=$?
    PID=
    [ "$status" -eq 1 ]
    grep -q "Exiting on signal 15" "$TMP/err"
}

@test "SIGINT stops the guest: exit 1 and 'Exiting on signal 2'" {
    start_ticker
    kill -INT "$PID"
    status=0
    wait "$PID" || status=$?
    PID=
    [ "$status" -eq 1 ]
    grep -q "Exiting on signal 2" "$TMP/err"
}

@test "the guest runs under seccomp with no_new_privs" {
    start_ticker
    [ "$(proc_field "$PID" Seccomp)" = 2 ]
    [ "$(proc_field "$PID" NoNewPrivs)" = 1 ]
}

@test "--no-sandbox leaves seccomp off" {
    start_ticker --no-sandbox
    [ "$(proc_field "$PID" Seccomp)" = 0 ]
}

@test "the sandboxed monitor keeps only the fds it needs, none inherited" {
    exec 7>"$TMP/leak"
    start_ticker
    exec 7>&-
    # stdin/out/err, kvm, vm, vcpu, memfd, epoll, timerfd: nothing else.
    if ls -l "/proc/$PID/fd" | grep -q "$TMP/leak"; then false; fi
    n=$(ls "/proc/$PID/fd" | wc -l)
    [ "$n" -le 10 ]
}

@test "an idle guest costs the host (almost) no CPU" {
    # The ticker sleeps between ticks in POLL: over 2 s of wall time the
    # process must use far less than 2 s of CPU (a busy-wait would use all).
    start_ticker
    read -r -a a < "/proc/$PID/stat"
    sleep 2
    read -r -a b < "/proc/$PID/stat"
    ticks=$(( (b[13] + b[14]) - (a[13] + a[14]) ))
    hz=$(getconf CLK_TCK)
    echo "CPU ticks over 2 s: $ticks (of $((2 * hz)))"
    [ "$ticks" -lt $((2 * hz / 4)) ]
}

@test "a console nobody reads does not stop the guest" {
    run bash -c "'$SKIFF_HV' --mem=16 '$TICKER' 3 | true; echo \"status=\${PIPESTATUS[0]}\""
    [[ "$output" == *"status=0"* ]]
}

@test "guest output goes to stdout, monitor diagnostics to stderr" {
    "$SKIFF_HV" --mem=16 "$HELLO" greetings >"$TMP/out" 2>"$TMP/err"
    grep -q greetings "$TMP/out"
    refute grep -q "skiff-hv:" "$TMP/out"
    "$SKIFF_HV" --mem=16 --bogus "$HELLO" >"$TMP/out" 2>"$TMP/err" || true
    [ ! -s "$TMP/out" ]
    grep -q "Invalid option" "$TMP/err"
}

@test "start-up does not touch guest memory it does not need" {
    # --mem=4096 must not cost 4 GiB of host memory: RAM is allocated lazily.
    /usr/bin/time -f "%M" -o "$TMP/rss" "$SKIFF_HV" --mem=4096 "$HELLO" >/dev/null
    rss=$(tail -n 1 "$TMP/rss")
    echo "peak RSS at --mem=4096: $rss KiB"
    [ "$rss" -lt 16384 ]
}
