# Helpers for tests that run a real hostd on a private state directory.
# Every hostd and every monitor a test starts is stopped by its pid.

: "${SKIFF_HOSTD:?run through make check (SKIFF_HOSTD unset)}"
RAWCLIENT="$SKIFF_TOOLS/rawclient"

# hostd_start [ARGS...]: a foreground hostd on a fresh state dir $STATE,
# socket $SOCK, pid $HOSTD_PID, log $STATE/hostd.out.
hostd_start() {
    if [ -z "${STATE:-}" ]; then
        STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    fi
    SOCK="$STATE/hostd.sock"
    "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --log-level debug "$@" >>"$STATE/hostd.out" 2>&1 3>&- &
    HOSTD_PID=$!
    hostd_wait_socket
}

hostd_wait_socket() {
    local i
    for i in $(seq 1 100); do
        [ -S "$SOCK" ] && "$RAWCLIENT" "$SOCK" hello >/dev/null 2>&1 && return 0
        kill -0 "$HOSTD_PID" 2>/dev/null || { cat "$STATE/hostd.out" >&2; return 1; }
        sleep 0.1
    done
    echo "hostd did not start listening on $SOCK" >&2
    cat "$STATE/hostd.out" >&2
    return 1
}

# hostd_stop [SIGNAL]: stop our hostd and wait for it.
hostd_stop() {
    if [ -n "${HOSTD_PID:-}" ]; then
        kill "-${1:-TERM}" "$HOSTD_PID" 2>/dev/null || true
        wait "$HOSTD_PID" 2>/dev/null || true
        HOSTD_PID=
    fi
}

# monitor_pids: the skiff-hv processes serving domains of $STATE.
monitor_pids() {
    local f pid
    for f in /proc/[0-9]*/cmdline; do
        pid="${f#/proc/}"
        pid="${pid%/cmdline}"
        { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "--control=$STATE/domains/" && echo "$pid"
    done
    return 0
}

# hostd_teardown: stop hostd, kill the monitors it started, remove $STATE.
hostd_teardown() {
    hostd_stop KILL
    local pid
    for pid in $(monitor_pids); do
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ -n "${STATE:-}" ]; then
        if [ -n "${KEEP_STATE:-}" ]; then
            echo "# state kept in $STATE" >&3
        else
            rm -rf "$STATE"
        fi
    fi
    STATE=
}

# api DIRECTIVE...: rawclient on $SOCK, output in $output.
api() {
    run timeout 60s "$RAWCLIENT" "$SOCK" hello "$@"
}

# field NAME: the value of NAME=... on the first line of $output that has it.
field() {
    printf '%s\n' "$output" | grep -o "$1=[^ ]*" | head -n 1 | cut -d= -f2-
}

# wait_for_state DOMAIN STATE [SECONDS]: until `info` says so.
wait_for_state() {
    local i
    for i in $(seq 1 $((${3:-10} * 10))); do
        api "info:$1"
        [[ "$output" == *"state=$2 "* ]] && return 0
        sleep 0.1
    done
    echo "domain $1 never reached $2: $output" >&2
    return 1
}
