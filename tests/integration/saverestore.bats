#!/usr/bin/env bats
# skiff save / skiff restore end to end: a real hostd, real monitors on
# /dev/kvm, snapshot files on disk (and on a full tmpfs).

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

setup() {
    require_kvm
    STATE=
    HOSTD_PID=
    SMALLFS=
    hostd_start
    export SKIFF_URI="unix://$SOCK"
}

teardown() {
    if [ -n "$SMALLFS" ]; then
        umount "$SMALLFS" 2>/dev/null || true
        rmdir "$SMALLFS" 2>/dev/null || true
    fi
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

uuid_of() {
    timeout -k 10s 30s "$SKIFF_CLI" --json dominfo "$1" 2>/dev/null |
        grep -o '"uuid":"[^"]*"' | head -n 1 | cut -d'"' -f4
}

state_of() {
    timeout -k 10s 30s "$SKIFF_CLI" --json dominfo "$1" 2>/dev/null |
        grep -o '"state":"[a-z]*"' | head -n 1 | cut -d'"' -f4
}

# console NAME: the guest's output of its current run.
console() {
    cat "$STATE/domains/$(uuid_of "$1")/monitor.log"
}

# wait_output NAME REGEX [SECONDS]: until the current run printed a match.
wait_output() {
    local i
    for i in $(seq 1 $((${3:-20} * 10))); do
        console "$1" 2>/dev/null | grep -qE "$2" && return 0
        sleep 0.1
    done
    echo "domain $1 never printed /$2/; output:" >&2
    console "$1" >&2 || true
    return 1
}

# last_number NAME WORD: N of the last "WORD N" line.
last_number() {
    console "$1" | grep -E "^$2 [0-9]+" | tail -n 1 | awk '{print $2}'
}

# nothing_left: no domain recorded, no monitor running.
nothing_left() {
    local i
    for i in $(seq 1 50); do
        [ -z "$(monitor_pids)" ] && break
        sleep 0.1
    done
    [ -z "$(monitor_pids)" ]
    cli list --json
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
}

# paused_save NAME FILE: pause, note the last tick/clock line, save.
# Sets LAST (the last counter before the save).
paused_save() {
    cli pause "$1"
    [ "$status" -eq 0 ]
    # A line the guest was printing as the pause came may land just
    # after it: take the last one once the output has stopped growing.
    local prev= i
    LAST="$(last_number "$1" "${3:-tick}")"
    for i in $(seq 1 20); do
        [ "$LAST" = "$prev" ] && break
        prev="$LAST"
        sleep 0.2
        LAST="$(last_number "$1" "${3:-tick}")"
    done
    [ -n "$LAST" ]
    BEFORE="$(console "$1" | grep -E "^${3:-tick} $LAST( |\$)")"
    cli save "$1" "$2"
    [ "$status" -eq 0 ]
}

snapshot_of_ticker() {
    cli create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    wait_output t1 '^tick 3$'
    paused_save t1 "$STATE/t1.snap"
}

@test "save writes a snapshot and removes the domain; restore continues the counter" {
    snapshot_of_ticker
    [ -s "$STATE/t1.snap" ]
    [ "$(head -c 8 "$STATE/t1.snap")" = "SKIFFSNP" ]
    [[ "$output" == *"saved to $STATE/t1.snap"* ]]
    cli list --json
    [ "$output" = "[]" ]
    cli restore "$STATE/t1.snap"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Domain t1 restored"* ]]
    [ "$(state_of t1)" = running ]
    wait_output t1 "^tick $((LAST + 3))\$"
    # The first line of the restored run is the next tick: no reset.
    [ "$(console t1 | head -n 1)" = "tick $((LAST + 1))" ]
}

@test "save -c keeps the domain running" {
    cli create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    wait_output t1 '^tick 2$'
    cli save -c t1 "$STATE/c.snap"
    [ "$status" -eq 0 ]
    [[ "$output" == *"still running"* ]]
    [ -s "$STATE/c.snap" ]
    [ "$(state_of t1)" = running ]
    local n
    n="$(last_number t1 tick)"
    wait_output t1 "^tick $((n + 3))\$"
}

@test "save of a paused domain with -c leaves it paused" {
    cli create -p "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    cli save -c t1 "$STATE/p.snap"
    [ "$status" -eq 0 ]
    [ "$(state_of t1)" = paused ]
}

@test "restore with a name override; the same file twice is EXISTS unless renamed" {
    snapshot_of_ticker
    cli restore "$STATE/t1.snap"
    [ "$status" -eq 0 ]
    local uuid1
    uuid1="$(uuid_of t1)"
    cli restore "$STATE/t1.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"already exists"* ]]
    cli restore "$STATE/t1.snap" name=copy
    [ "$status" -eq 0 ]
    [[ "$output" == *"Domain copy restored"* ]]
    [ "$(state_of copy)" = running ]
    [ -n "$(uuid_of copy)" ]
    [ "$(uuid_of copy)" != "$uuid1" ]
    wait_output copy "^tick $((LAST + 2))\$"
    [ "$(console copy | head -n 1)" = "tick $((LAST + 1))" ]
    cli restore "$STATE/t1.snap" memory=64
    [ "$status" -ne 0 ]
    [[ "$output" == *"memory cannot change on restore"* ]]
}

@test "restore -p leaves the domain paused until unpause" {
    snapshot_of_ticker
    cli restore -p "$STATE/t1.snap"
    [ "$status" -eq 0 ]
    [ "$(state_of t1)" = paused ]
    sleep 0.5
    [ -z "$(console t1)" ]
    cli unpause t1
    [ "$status" -eq 0 ]
    wait_output t1 "^tick $((LAST + 1))\$"
}

@test "save refuses a domain that does not exist or is not running" {
    cli save nosuch "$STATE/x.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"no domain 'nosuch'"* ]]
    cli define "$(cfg d1 "$SKIFF_EXAMPLES/ticker.hvt")"
    cli save d1 "$STATE/x.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"not running"* ]]
    [ ! -e "$STATE/x.snap" ]
}

# restore_refused FILE PATTERN: refused with a message matching PATTERN,
# and nothing left running or recorded.
restore_refused() {
    cli restore "$1"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" =~ $2 ]]
    nothing_left
}

@test "truncated snapshots are refused at every point, naming the offset" {
    snapshot_of_ticker
    local f="$STATE/t1.snap" size cut
    size="$(stat -c %s "$f")"
    # in the file header, in the header record, in the vCPU state, in the
    # middle of memory, in the trailer, in the footer
    for cut in 5 40 700 $((size / 2)) $((size - 30)) $((size - 3)); do
        head -c "$cut" "$f" >"$STATE/cut.snap"
        restore_refused "$STATE/cut.snap" "truncated.*offset [0-9]+"
    done
    restore_refused /dev/null "truncated"
}

@test "corrupt snapshots (flipped bytes) fail their checksum; nothing is left" {
    snapshot_of_ticker
    local f="$STATE/t1.snap" size off
    size="$(stat -c %s "$f")"
    # a byte of the header record's payload, of a vCPU record, of memory
    for off in 40 600 $((size / 2)); do
        cp "$f" "$STATE/bad.snap"
        printf '\xa5' | dd of="$STATE/bad.snap" bs=1 seek="$off" conv=notrunc status=none
        cmp -s "$f" "$STATE/bad.snap" && continue   # the byte was already 0xa5
        restore_refused "$STATE/bad.snap" "(checksum mismatch|corrupt).*offset [0-9]+"
    done
    # the original still restores
    cli restore "$f"
    [ "$status" -eq 0 ]
}

@test "foreign files and other format versions are refused" {
    snapshot_of_ticker
    head -c 4096 /dev/urandom >"$STATE/random.snap"
    restore_refused "$STATE/random.snap" "not a Skiff snapshot \(bad magic at offset 0\)"
    cp "$STATE/t1.snap" "$STATE/v9.snap"
    printf '\x00\x00\x00\x09' | dd of="$STATE/v9.snap" bs=1 seek=8 conv=notrunc status=none
    restore_refused "$STATE/v9.snap" "unsupported snapshot format version 9"
    cp "$STATE/t1.snap" "$STATE/arm.snap"
    printf '\x00\x00\x00\xb7' | dd of="$STATE/arm.snap" bs=1 seek=12 conv=notrunc status=none
    restore_refused "$STATE/arm.snap" "another architecture"
    restore_refused "$STATE/none.snap" "cannot open"
}

@test "save to a full filesystem fails, keeps the domain running, leaves no file" {
    SMALLFS="$(mktemp -d /tmp/snap-small.XXXXXX)"
    mount -t tmpfs -o size=1M tmpfs "$SMALLFS"
    cli create "$(cfg big "$SKIFF_GUESTS/clocks.hvt" 'cmdline = "4"')"
    wait_output big '^clock 2 '
    cli save big "$SMALLFS/big.snap"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"No space left on device"* ]]
    [[ "$output" == *"keeps running"* ]]
    [ -z "$(ls -A "$SMALLFS")" ]
    [ "$(state_of big)" = running ]
    local n
    n="$(last_number big clock)"
    wait_output big "^clock $((n + 2)) "
}

@test "a restored guest keeps its block device" {
    dd if=/dev/zero of="$STATE/disk.img" bs=1k count=64 status=none
    cli create "$(cfg b1 "$SKIFF_GUESTS/blkloop.hvt" \
        "disk = [ 'target=$STATE/disk.img, vdev=storage' ]")"
    [ "$status" -eq 0 ]
    wait_output b1 '^blk 3 ok$'
    paused_save b1 "$STATE/b1.snap" blk
    cli restore "$STATE/b1.snap"
    [ "$status" -eq 0 ]
    wait_output b1 "^blk $((LAST + 3)) ok\$"
    [ "$(console b1 | head -n 1)" = "blk $((LAST + 1)) ok" ]
    # the guest's latest counter is on the disk
    local on_disk
    on_disk="$(od -An -t u8 -j 8 -N 8 "$STATE/disk.img" | tr -d ' ')"
    [ "$on_disk" -gt "$((LAST + 1))" ]
}

@test "after restore the monotonic clock continues and the wall clock is the host's" {
    cli create "$(cfg c1 "$SKIFF_GUESTS/clocks.hvt")"
    wait_output c1 '^clock 3 '
    paused_save c1 "$STATE/c1.snap" clock
    local mono0 wall0
    mono0="$(echo "$BEFORE" | sed 's/.*mono=\([0-9]*\).*/\1/')"
    wall0="$(echo "$BEFORE" | sed 's/.*wall=\([0-9]*\).*/\1/')"
    [ -n "$mono0" ] && [ -n "$wall0" ]
    sleep 2
    cli restore "$STATE/c1.snap"
    [ "$status" -eq 0 ]
    wait_output c1 "^clock $((LAST + 5)) "
    local now line mono wall prev="$mono0"
    now="$(date +%s%N)"
    while read -r line; do
        mono="$(echo "$line" | sed 's/.*mono=\([0-9]*\).*/\1/')"
        # never backwards (it continues from the save, or, where KVM
        # cannot set the guest's TSC, jumps forward over the time saved)
        [ "$mono" -gt "$prev" ]
        prev="$mono"
    done < <(console c1 | grep '^clock ')
    wall="$(console c1 | grep "^clock $((LAST + 1)) " | sed 's/.*wall=\([0-9]*\).*/\1/')"
    # the wall clock moved with real time across the 2 s the guest was saved
    [ "$((wall - wall0))" -ge 2000000000 ]
    local last_wall
    last_wall="$(console c1 | grep '^clock ' | tail -n 1 | sed 's/.*wall=\([0-9]*\).*/\1/')"
    [ "$((now - last_wall))" -lt 2000000000 ]
    [ "$((last_wall - now))" -lt 2000000000 ]
}

@test "a saved persistent domain stays defined and is restored in place" {
    cli define "$(cfg p1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    local uuid
    uuid="$(uuid_of p1)"
    cli start p1
    [ "$status" -eq 0 ]
    wait_output p1 '^tick 3$'
    paused_save p1 "$STATE/p1.snap"
    [ "$(state_of p1)" = defined ]
    cli restore "$STATE/p1.snap"
    [ "$status" -eq 0 ]
    [ "$(state_of p1)" = running ]
    [ "$(uuid_of p1)" = "$uuid" ]
    wait_output p1 "^tick $((LAST + 2))\$"
    [ "$(console p1 | head -n 1)" = "tick $((LAST + 1))" ]
    # running now: a second restore of the same domain is refused
    cli restore "$STATE/p1.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"already exists"* ]]
}

@test "a client of hostd's group saves only where it could write itself" {
    hostd_teardown
    local conf
    conf="$(mktemp /tmp/snap-conf.XXXXXX)"
    echo 'group = "nogroup"' >"$conf"
    hostd_start --config "$conf"
    rm -f "$conf"
    export SKIFF_URI="unix://$SOCK"
    chmod 0755 "$STATE"
    cli create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    mkdir -m 755 "$STATE/bin"
    install_cli "$STATE/bin"
    nobody() {
        run timeout -k 10s 60s setpriv --reuid=65534 --regid=65534 --clear-groups \
            env LD_LIBRARY_PATH="$STATE/bin" "$CLI" "$@"
    }
    # hostd's own directory (root's, 0755): refused, nothing written
    nobody save -c t1 "$STATE/t1.snap"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"uid 65534 may not write"* ]]
    [ ! -e "$STATE/t1.snap" ]
    # a directory everyone may write to: fine
    local open
    open="$(mktemp -d /tmp/snap-open.XXXXXX)"
    chmod 1777 "$open"
    nobody save -c t1 "$open/t1.snap"
    echo "$output"
    [ "$status" -eq 0 ]
    [ -s "$open/t1.snap" ]
    # but not over a file that is someone else's
    touch "$open/root.snap"
    nobody save -c t1 "$open/root.snap"
    [ "$status" -ne 0 ]
    [ ! -s "$open/root.snap" ]
    rm -rf "$open"
    [ "$(state_of t1)" = running ]
}
