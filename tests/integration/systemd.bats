#!/usr/bin/env bats
# hostd under systemd: sd_notify READY/STATUS/WATCHDOG/STOPPING and
# journal priority prefixes, with notifysink playing systemd's part.

load helpers

setup() {
    TMP=$(mktemp -d)
    mkdir -p "$TMP/state"
}

teardown() {
    [ -n "${HOSTD:-}" ] && kill -KILL "$HOSTD" 2>/dev/null || true
    [ -n "${SINK:-}" ] && kill "$SINK" 2>/dev/null || true
    rm -rf "$TMP"
}

@test "hostd tells systemd READY, STATUS, WATCHDOG and STOPPING" {
    "$SKIFF_TOOLS/notifysink" "$TMP/notify" 10 > "$TMP/notes" &
    SINK=$!
    for _ in $(seq 50); do [ -S "$TMP/notify" ] && break; sleep 0.02; done
    NOTIFY_SOCKET="$TMP/notify" WATCHDOG_USEC=400000 \
        "$SKIFF_HOSTD" --foreground --state-dir "$TMP/state" 2>"$TMP/log" &
    HOSTD=$!
    for _ in $(seq 100); do grep -q READY=1 "$TMP/notes" && break; sleep 0.05; done
    grep -q '^READY=1$' "$TMP/notes"
    grep -q '^STATUS=' "$TMP/notes"
    # The socket exists by the time READY=1 is sent.
    [ -S "$TMP/state/hostd.sock" ]
    sleep 1     # at least two watchdog periods of 200 ms
    [ "$(grep -c '^WATCHDOG=1$' "$TMP/notes")" -ge 2 ]
    kill -TERM "$HOSTD"
    wait "$HOSTD" || true
    HOSTD=
    wait "$SINK" || true
    SINK=
    grep -q '^STOPPING=1$' "$TMP/notes"
}

@test "under systemd every log line carries a syslog priority prefix" {
    "$SKIFF_TOOLS/notifysink" "$TMP/notify" 5 > "$TMP/notes" &
    SINK=$!
    for _ in $(seq 50); do [ -S "$TMP/notify" ] && break; sleep 0.02; done
    NOTIFY_SOCKET="$TMP/notify" "$SKIFF_HOSTD" --foreground --log-level debug \
        --state-dir "$TMP/state" 2>"$TMP/log" &
    HOSTD=$!
    for _ in $(seq 100); do grep -q READY=1 "$TMP/notes" && break; sleep 0.05; done
    kill -TERM "$HOSTD"
    wait "$HOSTD" || true
    HOSTD=
    [ -s "$TMP/log" ]
    cat "$TMP/log"
    refute grep -vqE '^<[0-7]>' "$TMP/log"
}
