#!/usr/bin/env bats
# Save and restore at the monitor's level (tests/tools/snapctl plays
# hostd's part): SMP guests, --incoming's rules, the state requests.

load helpers

setup() {
    require_kvm
    TMP=$(mktemp -d)
    SNAPCTL="$SKIFF_TOOLS/snapctl"
    HVCTL="$SKIFF_TOOLS/hvctl"
    PIDS=
}

teardown() {
    local p
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}

# managed NAME [OPTIONS...] IMAGE [ARGS...]: a managed skiff-hv in the
# background with socket $TMP/NAME.sock, output in $TMP/NAME.out/.err.
managed() {
    local name="$1"
    shift
    "$SKIFF_HV" --control="$TMP/$name.sock" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS="$PIDS $!"
    for _ in $(seq 300); do
        [ -S "$TMP/$name.sock" ] && return 0
        sleep 0.02
    done
    echo "no control socket: $(cat "$TMP/$name.err")"
    return 1
}

# wait_line FILE REGEX [SECONDS]
wait_line() {
    for _ in $(seq $((${3:-20} * 10))); do
        grep -qE "$2" "$1" && return 0
        sleep 0.1
    done
    echo "no /$2/ in $1:"
    cat "$1"
    return 1
}

@test "an SMP guest saved and restored: every vCPU goes on counting" {
    local img
    img=$(guest smpcount)
    managed a --vcpus=4 --mem=32 "$img"
    for k in 0 1 2 3; do wait_line "$TMP/a.out" "^cpu $k: 3\$"; done
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/a.sock" save "$TMP/smp.snap"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == "saved 4 vCPUs"* ]]
    local before
    before="$(cat "$TMP/a.out")"
    sleep 0.3
    # paused: nothing more is printed
    [ "$(cat "$TMP/a.out")" = "$before" ]
    timeout -k 10s 30 "$HVCTL" "$TMP/a.sock" hello destroy >/dev/null
    managed b --vcpus=4 --mem=32 --incoming "$img"
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/b.sock" restore "$TMP/smp.snap"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = "restored 4 vCPUs" ]
    local k last
    for k in 0 1 2 3; do
        last="$(grep "^cpu $k: " "$TMP/a.out" | tail -n 1 | awk '{print $3}')"
        wait_line "$TMP/b.out" "^cpu $k: $((last + 2))\$"
        # each vCPU's first line after the restore is its next count
        [ "$(grep "^cpu $k: " "$TMP/b.out" | head -n 1)" = "cpu $k: $((last + 1))" ]
    done
}

@test "--incoming boots nothing and refuses unpause until a state is loaded" {
    managed a --mem=32 --incoming "$SKIFF_EXAMPLES/ticker.hvt"
    run timeout -k 10s 30 "$HVCTL" "$TMP/a.sock" hello unpause stats
    echo "$output"
    [[ "$output" == *"error=16 no state loaded yet (--incoming)"* ]]
    sleep 0.3
    [ ! -s "$TMP/a.out" ]
}

@test "--incoming needs managed mode" {
    run "$SKIFF_HV" --mem=32 --incoming "$SKIFF_EXAMPLES/ticker.hvt"
    [ "$status" -eq 1 ]
    [[ "$output" == *"--incoming needs --control"* ]]
}

@test "a state is refused by a monitor of another shape, and set_state needs --incoming" {
    managed a --mem=32 "$SKIFF_EXAMPLES/ticker.hvt"
    wait_line "$TMP/a.out" '^tick 2$'
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/a.sock" save "$TMP/t.snap"
    [ "$status" -eq 0 ]
    # loading into a running, not incoming, monitor
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/a.sock" restore "$TMP/t.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"not started with --incoming"* ]]
    # another memory size
    managed b --mem=64 --incoming "$SKIFF_EXAMPLES/ticker.hvt"
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/b.sock" restore "$TMP/t.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"memory sizes differ"* ]]
    # another image (other devices)
    dd if=/dev/zero of="$TMP/disk.img" bs=1k count=64 status=none
    managed c --mem=32 --incoming --block:storage="$TMP/disk.img" "$(guest blkloop)"
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/c.sock" restore "$TMP/t.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"differs from the saved one"* ]]
}

@test "the dirty log: off until asked for, then the pages written since the last fetch" {
    managed a --mem=32 "$SKIFF_EXAMPLES/ticker.hvt"
    wait_line "$TMP/a.out" '^tick 1$'
    run timeout -k 10s 30 "$SNAPCTL" "$TMP/a.sock" dirty 500
    echo "$output"
    [ "$status" -eq 0 ]
    local a b
    a=$(echo "$output" | awk '/^dirty/ {print $2}')
    b=$(echo "$output" | awk '/^dirty/ {print $3}')
    # the ticker writes its stack and data while it ticks, a few pages,
    # not the whole 32 MiB
    [ "$b" -gt 0 ]
    [ "$b" -lt 8192 ]
    # logging off again, the guest runs on
    wait_line "$TMP/a.out" '^tick 8$'
}
