#!/usr/bin/env bats
# Fault injection: hostd killed with -9 at random points of life-cycle
# calls (save and restore included), and a full disk under its database. After each restart every
# domain is either running (with exactly one live monitor) and listed, or
# not running; no monitor is orphaned, none serves two domains, and
# SQLite's integrity check passes.
#
# FAULT_SEED (default: random, printed) and FAULT_ROUNDS (default 16)
# replay a run: `make check TESTS=tests/integration/faults.bats FAULT_SEED=N`.

load helpers
load hostd

setup() {
    require_kvm
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    CFGDIR="$(mktemp -d /tmp/hostd-cfg.XXXXXX)"
    export SKIFF_URI="unix://$STATE/hostd.sock"
}

teardown() {
    [ -n "${MNT:-}" ] && hostd_stop KILL
    for pid in $(monitor_pids); do kill -9 "$pid" 2>/dev/null || true; done
    if [ -n "${MNT:-}" ]; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
        rmdir "$MNT" 2>/dev/null || true
        MNT=
    fi
    hostd_teardown
    rm -rf "$CFGDIR"
}

cfg() {   # cfg NAME: a control guest (it obeys graceful shutdown)
    local f="$CFGDIR/$1.cfg"
    printf 'name = "%s"\nkernel = "%s"\nmemory = 4\n' "$1" "$SKIFF_GUESTS/control.hvt" >"$f"
    echo "$f"
}

# name state pid, one line per domain.
snapshot() {
    "$SKIFF_CLI" --json list | jq -r 'sort_by(.name) | .[] | "\(.name) \(.state) \(.pid)"'
}

# The invariants after a restart.
check_invariants() {
    local snap running pids
    snap=$(snapshot)
    echo "$snap"
    if echo "$snap" | awk 'NF { print $2 }' | grep -vqE '^(running|paused|defined|shutdown|crashed)$'; then
        echo "a domain in a transient state"; return 1
    fi
    # Names are unique.
    [ "$(echo "$snap" | awk 'NF { print $1 }' | sort | uniq -d | wc -l)" -eq 0 ]
    running=$(echo "$snap" | awk '$2 == "running" || $2 == "paused"' | wc -l)
    # Each running domain's monitor is alive and its own; every monitor
    # under this state directory belongs to a running domain.
    pids=$(echo "$snap" | awk '($2 == "running" || $2 == "paused") { print $3 }')
    for pid in $pids; do kill -0 "$pid" || { echo "monitor $pid is gone"; return 1; }; done
    [ "$(echo "$pids" | awk 'NF' | sort -u | wc -l)" -eq "$running" ]
    if [ "$(monitor_pids | wc -l)" -ne "$running" ]; then
        echo "monitors: $(monitor_pids | tr '\n' ' ') for $running running domains"
        return 1
    fi
    [ "$(sqlite3 "$STATE/hostd.db" 'PRAGMA integrity_check')" = ok ]
}

# One random life-cycle call, started in the background: $OP says which,
# $CALL is its pid.
random_call() {
    local n=$((RANDOM % 7)) names running stopped victim snap
    names=$("$SKIFF_CLI" --json list | jq -r '.[] | "\(.name) \(.state)"')
    running=$(echo "$names" | awk '$2 == "running" { print $1 }')
    stopped=$(echo "$names" | awk 'NF && $2 != "running" && $2 != "paused" { print $1 }' | head -n 1)
    victim=
    if [ -n "$running" ]; then
        victim=$(echo "$running" | sed -n "$((RANDOM % $(echo "$running" | wc -l) + 1))p")
    fi
    case $n in
    2) [ -n "$victim" ] && OP="destroy $victim" || OP="create t$ROUND" ;;
    3) [ -n "$victim" ] && OP="shutdown $victim" || OP="create t$ROUND" ;;
    4) [ -n "$stopped" ] && OP="start $stopped" || OP="define p$ROUND" ;;
    5) [ -n "$victim" ] && OP="save $victim" || OP="create t$ROUND" ;;
    6) snap=$(ls "$CFGDIR"/*.snap 2>/dev/null | head -n 1)
       [ -n "$snap" ] && OP="restore $snap r$ROUND" || OP="create t$ROUND" ;;
    1) OP="define p$ROUND" ;;
    *) OP="create t$ROUND" ;;
    esac
    set -- $OP
    case $1 in
    create) "$SKIFF_CLI" create "$(cfg "$2")" ;;
    define) "$SKIFF_CLI" define "$(cfg "$2")" && "$SKIFF_CLI" start "$2" ;;
    destroy) "$SKIFF_CLI" destroy "$2" ;;
    shutdown) "$SKIFF_CLI" shutdown -w -t 5 "$2" ;;
    start) "$SKIFF_CLI" start "$2" ;;
    save) "$SKIFF_CLI" save "$2" "$CFGDIR/$2.snap" ;;
    restore) "$SKIFF_CLI" restore "$2" "name=$3" ;;
    esac >/dev/null 2>&1 &
    CALL=$!
}

@test "kill -9 at random points of create, destroy, start, shutdown, save and restore: nothing orphaned or doubled" {
    seed=${FAULT_SEED:-$(( $(date +%s) % 32768 ))}
    rounds=${FAULT_ROUNDS:-16}
    echo "# fault injection: seed $seed, $rounds kill points" >&3
    RANDOM=$seed
    hostd_start
    # Something to destroy and shut down from the start.
    "$SKIFF_CLI" create "$(cfg base1)" >/dev/null
    "$SKIFF_CLI" create "$(cfg base2)" >/dev/null
    survived=0 kinds=
    for ROUND in $(seq "$rounds"); do
        delay=$((RANDOM % 120))
        random_call
        sleep "$(printf '0.%03d' "$delay")"
        echo "round $ROUND: kill -9 after ${delay} ms of: ${OP:-?}"
        kinds="$kinds ${OP%% *}"
        hostd_stop KILL
        wait "$CALL" 2>/dev/null || true
        hostd_start
        sleep 0.3   # let reconciliation settle monitors that exited meanwhile
        check_invariants
        # A snapshot is there whole under its name or not at all.
        for f in "$CFGDIR"/*.snap; do
            [ -e "$f" ] || continue
            "$SKIFF_TOOLS/snapctl" check "$f" || { echo "$f is not whole"; return 1; }
        done
        survived=$((survived + 1))
    done
    echo "# kill points survived: $survived of $rounds (seed $seed):$(echo $kinds | tr ' ' '\n' |
        sort | uniq -c | awk '{ printf " %s %s", $1, $2 }')" >&3
    [ "$survived" -eq "$rounds" ]
}

@test "a full disk under the database: calls fail with an error, domains keep running, the store recovers" {
    MNT="$(mktemp -d /tmp/hostd-full.XXXXXX)"
    mount -t tmpfs -o size=4m tmpfs "$MNT"
    rmdir "$STATE" && STATE="$MNT/state" && mkdir "$STATE"
    export SKIFF_URI="unix://$STATE/hostd.sock"
    hostd_start
    "$SKIFF_CLI" create "$(cfg alive)"
    "$SKIFF_CLI" define "$(cfg spare)"
    pid=$("$SKIFF_CLI" --json dominfo alive | jq -r .pid)
    # Fill the file system to the last block.
    dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1 || true
    run "$SKIFF_CLI" define "$(cfg newcomer)"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"No space left on device"* ]]
    # Many writes: state changes of the running domain, a start.
    for _ in 1 2 3 4 5; do
        "$SKIFF_CLI" pause alive >/dev/null 2>&1 || true
        "$SKIFF_CLI" unpause alive >/dev/null 2>&1 || true
    done
    run "$SKIFF_CLI" start spare
    echo "start spare on a full disk: $status $output"
    # hostd is alive and answers; the domain's monitor never stopped.
    kill -0 "$HOSTD_PID"
    kill -0 "$pid"
    "$SKIFF_CLI" list
    # Space again: the store takes writes and is whole.
    rm -f "$MNT/filler"
    "$SKIFF_CLI" unpause alive >/dev/null 2>&1 || true
    "$SKIFF_CLI" define "$(cfg newcomer)"
    [ "$("$SKIFF_CLI" --json dominfo alive | jq -r .state)" = running ]
    [ "$("$SKIFF_CLI" --json dominfo alive | jq -r .pid)" = "$pid" ]
    [ "$(sqlite3 "$STATE/hostd.db" 'PRAGMA integrity_check')" = ok ]
    # And it all survives a restart.
    hostd_stop KILL
    hostd_start
    check_invariants
    "$SKIFF_CLI" --json list | jq -r '.[].name' | grep -qx newcomer
    "$SKIFF_CLI" destroy alive
    [ -z "$(monitor_pids)" ]
}
