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
    # A cgroup parent of the test's own for domains' weight and cap, removed
    # by hostd_teardown (an option in ARGS overrides it).
    CGROUP_PARENT="${CGROUP_PARENT:-skiff-test-$$-${BATS_TEST_NUMBER:-0}}"
    "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --log-level debug --cgroup-parent "$CGROUP_PARENT" "$@" >>"$STATE/hostd.out" 2>&1 3>&- &
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

# The directories of our cgroup parent (in each hierarchy that has it).
cgroup_dirs() {
    local d
    [ -n "${CGROUP_PARENT:-}" ] || return 0
    for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
        [ -d "$d" ] && echo "$d"
    done
    return 0
}

# Remove our cgroup parent and the domains' cgroups in it (killed
# monitors leave them once reaped).
cgroup_cleanup() {
    local d i sub
    for d in $(cgroup_dirs); do
        for i in $(seq 1 50); do
            for sub in "$d"/*/; do
                [ -d "$sub" ] && rmdir "$sub" 2>/dev/null
            done
            rmdir "$d" 2>/dev/null && break
            sleep 0.1
        done
    done
    CGROUP_PARENT=
}

# hostd_teardown: stop hostd, kill the monitors it started, remove $STATE
# and hostd's cgroups.
hostd_teardown() {
    hostd_stop KILL
    local pid
    for pid in $(monitor_pids); do
        kill -9 "$pid" 2>/dev/null || true
    done
    cgroup_cleanup
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
    run timeout -k 10s 60s "$RAWCLIENT" "$SOCK" hello "$@"
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
