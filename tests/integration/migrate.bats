#!/usr/bin/env bats
# skiff migrate between two hostds on this machine: separate state
# directories, TLS listeners on 127.0.0.1 (ports chosen by the kernel),
# certificates made by skiff-pki for the run. The domain must continue
# (its counter goes on without a reset) on the destination, be gone from
# the source, and a failure at any step must leave it running on the
# source with nothing left on the destination.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

setup_file() {
    PKI="$(mktemp -d /tmp/mig-pki.XXXXXX)"
    export PKI
    local p="$SKIFF_SRCDIR/client/skiff-pki"
    sh "$p" init "$PKI/ca" >/dev/null
    sh "$p" host "$PKI/ca" localhost --ip 127.0.0.1 >/dev/null
}

teardown_file() {
    rm -rf "$PKI"
}

setup() {
    require_kvm
    A_STATE= A_PID= B_STATE= B_PID= FAKE_PID=
    TMP="$(mktemp -d /tmp/mig-test.XXXXXX)"
    unset SKIFF_URI
}

# use A|B: point the hostd helpers at one of the two hostds.
use() {
    if [ "$1" = A ]; then STATE="$A_STATE" HOSTD_PID="$A_PID"; else STATE="$B_STATE" HOSTD_PID="$B_PID"; fi
    SOCK="$STATE/hostd.sock"
}

teardown() {
    if [ -n "$FAKE_PID" ]; then kill -9 "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
    if [ -n "$B_PID" ]; then kill -CONT "$B_PID" 2>/dev/null || true; fi
    local who
    for who in A B; do
        use "$who"
        if [ -n "$STATE" ]; then
            CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}-$who"
            hostd_teardown
        fi
    done
    rm -rf "$TMP"
}

# start_host A|B [ARGS...]: a hostd with a TLS listener on 127.0.0.1.
start_host() {
    local who="$1"
    shift
    STATE= HOSTD_PID=
    CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}-$who"
    STATE="$(mktemp -d /tmp/mig-$who.XXXXXX)"
    printf 'migrate_timeout_ms = %s\n' "${MIG_TIMEOUT:-20000}" >"$STATE/hostd.conf"
    hostd_start_conf "$STATE/hostd.conf" --listen-tls 127.0.0.1:0 \
        --tls-cert "$PKI/ca/host-localhost.pem" --tls-key "$PKI/ca/host-localhost-key.pem" \
        --tls-ca "$PKI/ca/ca.pem" "$@"
    if [ "$who" = A ]; then A_STATE="$STATE" A_PID="$HOSTD_PID"; else
        B_STATE="$STATE" B_PID="$HOSTD_PID"
        B_PORT="$(sed -n 1p "$STATE/tls.ports")"
        B_PORT="${B_PORT##*:}"
    fi
}

# hostd_start with a config file of ours (hostd_start passes /dev/null).
hostd_start_conf() {
    local conf="$1"
    shift
    SOCK="$STATE/hostd.sock"
    "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config "$conf" \
        --log-level debug --cgroup-parent "$CGROUP_PARENT" "$@" >>"$STATE/hostd.out" 2>&1 3>&- &
    HOSTD_PID=$!
    hostd_wait_socket
}

two_hosts() {
    start_host A "$@"
    start_host B "$@"
}

# on A|B ARGS...: the CLI against that hostd.
on() {
    local st
    if [ "$1" = A ]; then st="$A_STATE"; else st="$B_STATE"; fi
    shift
    run timeout -k 10s 120s "$SKIFF_CLI" -c "unix://$st/hostd.sock" "$@" </dev/null
}

cfg() {
    local name="$1" kernel="$2"
    shift 2
    {
        echo "name = \"$name\""
        echo "kernel = \"$kernel\""
        echo "memory = 32"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$TMP/$name.cfg"
    echo "$TMP/$name.cfg"
}

uuid_on() {
    local st
    if [ "$1" = A ]; then st="$A_STATE"; else st="$B_STATE"; fi
    timeout -k 10s 30s "$SKIFF_CLI" -c "unix://$st/hostd.sock" --json dominfo "$2" 2>/dev/null |
        grep -o '"uuid":"[^"]*"' | head -n 1 | cut -d'"' -f4
}

# console A|B NAME: the guest's output of its current run there.
console() {
    local st
    if [ "$1" = A ]; then st="$A_STATE"; else st="$B_STATE"; fi
    cat "$st/domains/$(uuid_on "$1" "$2")/monitor.log"
}

# wait_output A|B NAME REGEX [SECONDS]
wait_output() {
    local i
    for i in $(seq 1 $((${4:-60} * 10))); do
        console "$1" "$2" 2>/dev/null | grep -qE "$3" && return 0
        sleep 0.1
    done
    echo "domain $2 on $1 never printed /$3/; output:" >&2
    console "$1" "$2" >&2 || true
    return 1
}

last_tick() {
    console "$1" "$2" | grep -E "^tick [0-9]+" | tail -n 1 | awk '{print $2}'
}

# still_ticking A NAME: the counter advances there.
still_ticking() {
    local n
    n="$(last_tick "$1" "$2")"
    [ -n "$n" ]
    wait_output "$1" "$2" "^tick $((n + 2))\$"
}

# no_domains_on B: nothing listed, nothing recorded, no monitor.
no_domains_on() {
    local i st
    if [ "$1" = A ]; then st="$A_STATE"; else st="$B_STATE"; fi
    use "$1"
    for i in $(seq 1 100); do
        [ -z "$(monitor_pids)" ] && break
        sleep 0.1
    done
    [ -z "$(monitor_pids)" ]
    on "$1" list --json
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
    run sqlite3 "$st/hostd.db" "select count(*) from domains"
    [ "$output" = 0 ] || [ "$status" -ne 0 ]
}

migrate_ticker() {
    two_hosts
    on A create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    wait_output A t1 '^tick 3$'
    on A migrate "$@" t1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Domain t1 migrated to 127.0.0.1:$B_PORT"* ]]
    # Gone from the source, running on the destination.
    no_domains_on A
    on B dominfo t1
    [ "$status" -eq 0 ]
    [[ "$output" == *running* ]]
    # The counter goes on where it was: the first line there is no reset.
    local first
    wait_output B t1 '^tick [0-9]+$'
    first="$(console B t1 | grep -E '^tick' | head -n 1 | awk '{print $2}')"
    [ "$first" -gt 3 ]
    wait_output B t1 "^tick $((first + 2))\$"
    # Recorded on both sides: SQLite and the event log.
    run sqlite3 "$B_STATE/hostd.db" "select name from domains"
    [ "$output" = t1 ]
    run sqlite3 "$A_STATE/hostd.db" "select count(*) from events where kind = 'migrated-out'"
    [ "$output" = 1 ]
    run sqlite3 "$B_STATE/hostd.db" "select count(*) from events where kind = 'migrated-in'"
    [ "$output" = 1 ]
}

@test "migrate (not live) moves ticker; its counter goes on at the destination" {
    migrate_ticker
}

@test "migrate --live moves ticker with pre-copy rounds" {
    migrate_ticker --live
}

@test "both hosts agree after a restart: the domain is recorded only on the destination" {
    migrate_ticker --live
    use A
    hostd_stop KILL
    use B
    hostd_stop TERM
    B_PID=
    start_host A
    # start_host B makes a new state dir: restart B on its old one.
    local old="$B_STATE"
    STATE="$old"
    CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}-B"
    hostd_start_conf "$STATE/hostd.conf" --listen-tls 127.0.0.1:0 \
        --tls-cert "$PKI/ca/host-localhost.pem" --tls-key "$PKI/ca/host-localhost-key.pem" \
        --tls-ca "$PKI/ca/ca.pem"
    B_PID="$HOSTD_PID"
    no_domains_on A
    on B dominfo t1
    [ "$status" -eq 0 ]
    [[ "$output" == *running* ]]
    still_ticking B t1
    run sqlite3 "$B_STATE/hostd.db" "select name from domains"
    [ "$output" = t1 ]
}

@test "a guest dirtying memory fast migrates live with bounded rounds, its memory intact" {
    two_hosts
    on A create "$(cfg d1 "$SKIFF_GUESTS/dirty.hvt" 'memory = 128' 'cmdline = "24"')"
    [ "$status" -eq 0 ]
    wait_output A d1 '^pass 16 ok$'
    on A migrate --live --json d1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -eq 0 ]
    # JSON lines: progress, then the report with at most 9 rounds.
    [[ "$output" == *'"event":"progress"'* ]]
    printf '%s\n' "$output" | jq -e -c . >/dev/null
    refute grep -q '^$' <(printf '%s\n' "$output")
    local done rounds
    done="$(printf '%s\n' "$output" | grep '"event":"done"')"
    rounds="$(echo "$done" | grep -o '"round":[0-9]*' | cut -d: -f2)"
    [ "$rounds" -ge 2 ] && [ "$rounds" -le 9 ]
    # After the first round the guest's dirtying rate and the downtime a
    # stop would cost are known, and each round says how far it got.
    local later rate est
    later="$(printf '%s\n' "$output" | grep '"event":"progress"' | grep -v '"round":1,' | head -n 1)"
    rate="$(echo "$later" | grep -o '"dirty_rate":[0-9]*' | cut -d: -f2)"
    est="$(echo "$later" | grep -o '"expected_downtime_ns":[0-9]*' | cut -d: -f2)"
    [ "$rate" -gt 0 ] && [ "$est" -gt 0 ]
    [[ "$output" == *'"round_bytes":'* ]] && [[ "$output" == *'"round_sent":'* ]]
    no_domains_on A
    local n
    wait_output B d1 '^pass [0-9]+ ok$'
    n="$(console B d1 | grep -E '^pass' | head -n 1 | awk '{print $2}')"
    [ "$n" -gt 16 ]
    wait_output B d1 "^pass $((n + 16)) ok\$"
    refute grep -q BAD <(console B d1)
}

@test "a domain whose disk is on shared storage keeps its content" {
    two_hosts
    dd if=/dev/zero of="$TMP/disk.img" bs=1k count=64 status=none
    on A create "$(cfg b1 "$SKIFF_GUESTS/blkloop.hvt" \
        "disk = [ 'target=$TMP/disk.img, vdev=storage' ]")"
    [ "$status" -eq 0 ]
    wait_output A b1 '^blk 3 ok$'
    on A migrate --live b1 "127.0.0.1:$B_PORT"
    [ "$status" -eq 0 ]
    local first on_disk
    wait_output B b1 '^blk [0-9]+ ok$'
    first="$(console B b1 | head -n 1 | awk '{print $2}')"
    [ "$first" -gt 3 ]
    wait_output B b1 "^blk $((first + 3)) ok\$"
    on_disk="$(od -An -t u8 -j 8 -N 8 "$TMP/disk.img" | tr -d ' ')"
    [ "$on_disk" -gt "$first" ]
}

# ---- failures: the domain stays on the source, nothing on the destination

# ticker_on_A: two hosts (or one and a fake), ticker t1 running on A.
ticker_on_A() {
    on A create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    wait_output A t1 '^tick 3$'
}

# kept_on_A: t1 still runs on A, once, with its counter advancing.
kept_on_A() {
    on A dominfo t1
    [ "$status" -eq 0 ]
    [[ "$output" == *running* ]]
    use A
    [ "$(monitor_pids | wc -l)" -eq 1 ]
    still_ticking A t1
}

@test "a destination that has a domain of that name refuses; the domain stays" {
    two_hosts
    ticker_on_A
    on B create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    on A migrate --live t1 "127.0.0.1:$B_PORT"
    [ "$status" -ne 0 ]
    [[ "$output" == *"exists here"* ]]
    [[ "$output" == *"keeps running here"* ]]
    kept_on_A
    use B
    [ "$(monitor_pids | wc -l)" -eq 1 ]
}

@test "a destination killed mid pre-copy: the domain keeps running on the source" {
    two_hosts
    on A create "$(cfg d1 "$SKIFF_GUESTS/dirty.hvt" 'memory = 128' 'cmdline = "96"')"
    [ "$status" -eq 0 ]
    wait_output A d1 '^pass 8 ok$' 120
    timeout -k 10s 120s "$SKIFF_CLI" -c "unix://$A_STATE/hostd.sock" migrate --live d1 \
        "127.0.0.1:$B_PORT" >"$TMP/mig.out" 2>&1 &
    local cli=$! i
    # Stop the destination once the stream flows, then kill it.
    for i in $(seq 1 600); do
        grep -q "incoming migration of d1" "$B_STATE/hostd.out" && break
        sleep 0.05
    done
    kill -STOP "$B_PID"
    grep -q "incoming migration of d1" "$B_STATE/hostd.out"
    kill -9 "$B_PID"
    wait "$B_PID" 2>/dev/null || true
    B_PID=
    run wait "$cli"
    [ "$status" -ne 0 ]
    cat "$TMP/mig.out"
    grep -q "keeps running here" "$TMP/mig.out"
    on A dominfo d1
    [[ "$output" == *running* ]]
    local n
    n="$(console A d1 | grep -E '^pass' | tail -n 1 | awk '{print $2}')"
    wait_output A d1 "^pass $((n + 8)) ok\$" 120
    refute grep -q BAD <(console A d1)
    use B
    [ -z "$(monitor_pids)" ]
}

@test "a destination that stops reading: the source times out, the domain stays" {
    MIG_TIMEOUT=3000 two_hosts
    ticker_on_A
    kill -STOP "$B_PID"
    on A migrate t1 "127.0.0.1:$B_PORT"
    kill -CONT "$B_PID"
    [ "$status" -ne 0 ]
    [[ "$output" == *"timed out"* ]]
    kept_on_A
    no_domains_on B
}

# fake_dest MODE: a misbehaving destination on FAKE_PORT.
fake_dest() {
    "$SKIFF_TOOLS/fakepeer" "$PKI/ca/host-localhost.pem" "$PKI/ca/host-localhost-key.pem" \
        "$PKI/ca/ca.pem" "$TMP/fake.port" "$1" 2>"$TMP/fake.err" &
    FAKE_PID=$!
    local i
    for i in $(seq 1 100); do
        [ -s "$TMP/fake.port" ] && break
        sleep 0.1
    done
    FAKE_PORT="$(cat "$TMP/fake.port")"
    [ -n "$FAKE_PORT" ]
}

# dirty_on_A: the dirty guest (96 MiB written over and over) on A: its
# stream is far longer than the sockets' buffers.
dirty_on_A() {
    on A create "$(cfg t1 "$SKIFF_GUESTS/dirty.hvt" 'memory = 128' 'cmdline = "96"')"
    [ "$status" -eq 0 ]
    wait_output A t1 '^pass 8 ok$' 120
}

# dirty_kept_on_A: it still runs on A, its passes going on, intact.
dirty_kept_on_A() {
    on A dominfo t1
    [[ "$output" == *running* ]]
    local n
    n="$(console A t1 | grep -E '^pass' | tail -n 1 | awk '{print $2}')"
    wait_output A t1 "^pass $((n + 8)) ok\$" 120
    refute grep -q BAD <(console A t1)
    use A
    [ "$(monitor_pids | wc -l)" -eq 1 ]
}

@test "a connection closed mid-stream: the domain stays" {
    start_host A
    dirty_on_A
    fake_dest close
    on A migrate --live t1 "127.0.0.1:$FAKE_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"keeps running here"* ]]
    dirty_kept_on_A
}

@test "garbage from the destination mid-stream: the paused domain runs again" {
    start_host A
    dirty_on_A
    fake_dest garbage
    on A migrate t1 "127.0.0.1:$FAKE_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"corrupt"* ]]
    [[ "$output" == *"keeps running here"* ]]
    dirty_kept_on_A
}

@test "a destination that stops reading mid-stream: timeout, the domain stays" {
    MIG_TIMEOUT=3000 start_host A
    dirty_on_A
    fake_dest stall
    on A migrate --live t1 "127.0.0.1:$FAKE_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"timed out"* ]]
    [[ "$output" == *"keeps running here"* ]]
    dirty_kept_on_A
}

@test "a commit never answered leaves the domain paused on the source, not destroyed" {
    MIG_TIMEOUT=3000 start_host A
    ticker_on_A
    fake_dest stall
    on A migrate t1 "127.0.0.1:$FAKE_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"left paused here"* ]]
    on A dominfo t1
    [[ "$output" == *paused* ]]
    on A unpause t1
    [ "$status" -eq 0 ]
    kept_on_A
}

# ---- the security policy (flask)

# flask_hosts [PEER_CONTEXT]: two hostds enforcing the example policy;
# root is admin_t; the other hostd's certificate subject maps to
# PEER_CONTEXT (none: it maps to nothing).
flask_hosts() {
    local build subject who
    build="$(cd "$(dirname "$SKIFF_HOSTD")/.." && pwd)"
    subject="$(openssl x509 -noout -subject -nameopt RFC2253 \
        -in "$PKI/ca/host-localhost.pem" | sed 's/^subject=//')"
    [ -n "$subject" ]
    for who in A B; do
        STATE="$(mktemp -d /tmp/mig-$who.XXXXXX)"
        {
            echo "uid 0 system_u:system_r:admin_t"
            [ -z "${1:-}" ] || echo "cert \"$subject\" $1"
        } >"$STATE/labels"
        cat >"$STATE/hostd.conf" <<CONF
security_module = "flask"
policy = "$build/policy/skiff.policy"
labels = "$STATE/labels"
enforcing = 1
migrate_timeout_ms = 20000
CONF
        CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}-$who"
        hostd_start_conf "$STATE/hostd.conf" --listen-tls 127.0.0.1:0 \
            --tls-cert "$PKI/ca/host-localhost.pem" \
            --tls-key "$PKI/ca/host-localhost-key.pem" --tls-ca "$PKI/ca/ca.pem"
        if [ "$who" = A ]; then A_STATE="$STATE" A_PID="$HOSTD_PID"; else
            B_STATE="$STATE" B_PID="$HOSTD_PID"
            B_PORT="$(sed -n 1p "$STATE/tls.ports")"
            B_PORT="${B_PORT##*:}"
        fi
    done
}

@test "flask: a peer mapped to peer_t brings a domain in" {
    flask_hosts system_u:system_r:peer_t
    ticker_on_A
    on A migrate --live t1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -eq 0 ]
    no_domains_on A
    still_ticking B t1
}

@test "flask: a nomigrate_t domain is refused with DENIED" {
    flask_hosts system_u:system_r:peer_t
    on A create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt" 'seclabel = "system_u:object_r:nomigrate_t"')"
    [ "$status" -eq 0 ]
    wait_output A t1 '^tick 3$'
    on A migrate t1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"permission denied"* ]]
    [[ "$output" == *"migrate_out"* ]]
    kept_on_A
    no_domains_on B
}

@test "flask: a peer whose certificate maps to no peer type is refused at the destination" {
    flask_hosts
    ticker_on_A
    on A migrate --live t1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"migrate_in"* ]]
    [[ "$output" == *"keeps running here"* ]]
    kept_on_A
    no_domains_on B
}

@test "a defined domain stays defined on the destination and is gone from the source" {
    two_hosts
    on A define "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    on A start t1
    [ "$status" -eq 0 ]
    wait_output A t1 '^tick 3$'
    on A migrate t1 "127.0.0.1:$B_PORT"
    [ "$status" -eq 0 ]
    no_domains_on A
    still_ticking B t1
    on B destroy t1
    [ "$status" -eq 0 ]
    on B list --json
    [[ "$output" == *'"name":"t1"'* ]]
}

@test "a paused domain stays paused on the destination and goes on when unpaused there" {
    two_hosts
    ticker_on_A
    on A pause t1
    [ "$status" -eq 0 ]
    local n
    n="$(last_tick A t1)"
    on A migrate --live t1 "127.0.0.1:$B_PORT"
    echo "$output"
    [ "$status" -eq 0 ]
    no_domains_on A
    on B dominfo t1
    [[ "$output" == *paused* ]]
    # Its vCPU stays parked: no tick comes while paused.
    sleep 1.5
    refute grep -qE '^tick' <(console B t1)
    on B unpause t1
    [ "$status" -eq 0 ]
    wait_output B t1 "^tick $((n + 2))\$"
}

@test "a domain being migrated: a second migration, pause, save and reboot are BUSY" {
    MIG_TIMEOUT=10000 start_host A
    dirty_on_A
    fake_dest stall
    timeout -k 10s 120s "$SKIFF_CLI" -c "unix://$A_STATE/hostd.sock" migrate --live t1 \
        "127.0.0.1:$FAKE_PORT" >"$TMP/mig.out" 2>&1 &
    local cli=$! i
    for i in $(seq 1 600); do
        grep -q "migration accepted" "$TMP/fake.err" && break
        sleep 0.05
    done
    grep -q "migration accepted" "$TMP/fake.err"
    on A migrate t1 "127.0.0.1:$FAKE_PORT"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"being migrated"* ]]
    # Its state is the migration's until that ends.
    local verb
    for verb in pause unpause reboot; do
        on A "$verb" t1
        echo "$verb: $output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"is being migrated"* ]]
    done
    on A save t1 "$TMP/t1.snap"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is being migrated"* ]]
    [ ! -e "$TMP/t1.snap" ]
    run wait "$cli"
    [ "$status" -ne 0 ]
    dirty_kept_on_A
}

# fake_source MODE: a misbehaving source sends B a spoilt stream for a
# domain fake1 (tests/tools/fakesource.c); its output is in $output.
fake_source() {
    run timeout -k 10s 120s "$SKIFF_TOOLS/fakesource" "$PKI/ca/host-localhost.pem" \
        "$PKI/ca/host-localhost-key.pem" "$PKI/ca/ca.pem" "$B_PORT" \
        "$SKIFF_EXAMPLES/ticker.hvt" "$1"
    echo "$output"
}

# B forgot fake1: no domain, no monitor, and it still answers.
fake1_forgotten() {
    no_domains_on B
    on B dominfo fake1
    [ "$status" -ne 0 ]
    grep -q "incoming migration of fake1 failed" "$B_STATE/hostd.out"
}

@test "a corrupt stream from the source is refused; the destination keeps nothing" {
    start_host B
    fake_source corrupt
    [ "$status" -eq 0 ]
    [[ "$output" == *"refused: "*"checksum mismatch"* ]]
    fake1_forgotten
}

@test "a stream cut short before the commit is refused; the destination keeps nothing" {
    start_host B
    fake_source truncated
    [ "$status" -eq 0 ]
    [[ "$output" == *"refused: "*"truncated"* ]]
    fake1_forgotten
}

@test "a source that hangs up mid-stream: the destination keeps nothing" {
    start_host B
    fake_source hangup
    [ "$status" -eq 0 ]
    fake1_forgotten
}

@test "a source that stops sending mid-stream: the destination gives up and keeps nothing" {
    MIG_TIMEOUT=2000 start_host B
    fake_source stall
    [ "$status" -eq 0 ]
    [[ "$output" != *"refused"* ]]
    fake1_forgotten
    grep -q "the migration stream stalled" "$B_STATE/hostd.out"
}

@test "a source that sends its stream before MigrateIn is answered is refused" {
    start_host B
    fake_source eager
    [ "$status" -eq 0 ]
    [[ "$output" == *"refused: "*"came before MigrateIn was answered"* ]]
    fake1_forgotten
}

# restart_a: hostd A again on its state directory (after kill -9).
restart_a() {
    STATE="$A_STATE"
    CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}-A"
    hostd_start_conf "$STATE/hostd.conf" --listen-tls 127.0.0.1:0 \
        --tls-cert "$PKI/ca/host-localhost.pem" --tls-key "$PKI/ca/host-localhost-key.pem" \
        --tls-ca "$PKI/ca/ca.pem"
    A_PID="$HOSTD_PID"
}

# state_on A|B NAME: its state there, or "none".
state_on() {
    on "$1" --json dominfo "$2"
    if [ "$status" -ne 0 ]; then echo none; return; fi
    printf '%s\n' "$output" | grep -o '"state":"[a-z]*"' | head -n 1 | cut -d'"' -f4
}

@test "the source hostd killed mid-migration: the domain is on one host only, never running twice" {
    two_hosts
    on A create "$(cfg d1 "$SKIFF_GUESTS/dirty.hvt" 'memory = 128' 'cmdline = "96"')"
    [ "$status" -eq 0 ]
    wait_output A d1 '^pass 8 ok$' 120
    timeout -k 10s 120s "$SKIFF_CLI" -c "unix://$A_STATE/hostd.sock" migrate --live d1 \
        "127.0.0.1:$B_PORT" >"$TMP/mig.out" 2>&1 &
    local cli=$! i delay=$((RANDOM % 400))
    for i in $(seq 1 600); do
        grep -q "incoming migration of d1" "$B_STATE/hostd.out" && break
        sleep 0.05
    done
    sleep "$(printf '0.%03d' "$delay")"
    echo "kill -9 source hostd ${delay} ms into the stream"
    kill -9 "$A_PID"
    wait "$A_PID" 2>/dev/null || true
    run wait "$cli"
    restart_a
    # The destination drops an incoming migration whose source is gone.
    local a b n
    for i in $(seq 1 300); do
        a="$(state_on A d1)" b="$(state_on B d1)"
        [ "$b" = none ] || [ "$a" = none ] && break
        sleep 0.1
    done
    echo "after the restart: source $a, destination $b"
    # Listed somewhere, running in at most one place.
    [ "$a" != none ] || [ "$b" != none ]
    [ "$a" = none ] || [ "$b" = none ]
    use B
    if [ "$b" = none ]; then [ -z "$(monitor_pids)" ]; fi
    if [ "$a" != none ]; then
        # Paused when killed in the stop-and-copy phase: it runs again.
        [ "$a" = paused ] && on A unpause d1
        n="$(console A d1 | grep -E '^pass' | tail -n 1 | awk '{print $2}')"
        wait_output A d1 "^pass $((n + 8)) ok\$" 120
        refute grep -q BAD <(console A d1)
    fi
}

# migrate_to_fake ARGS...: skiff migrate ARGS t1 to the fake destination,
# in the background, once that has accepted it.
migrate_to_fake() {
    timeout -k 10s 120s "$SKIFF_CLI" -c "unix://$A_STATE/hostd.sock" migrate "$@" t1 \
        "127.0.0.1:$FAKE_PORT" >"$TMP/mig.out" 2>&1 &
    MIG_CLI=$!
    local i
    for i in $(seq 1 600); do
        grep -q "migration accepted" "$TMP/fake.err" && return 0
        sleep 0.05
    done
    return 1
}

# migration_state_on_A: the state of A's last recorded migration.
migration_state_on_A() {
    sqlite3 "$A_STATE/hostd.db" "select state from migrations order by id desc limit 1"
}

# until_migration_state_on_A N: wait for it to be N (10 s at most).
until_migration_state_on_A() {
    local i
    for i in $(seq 1 200); do
        [ "$(migration_state_on_A)" = "$1" ] && return 0
        sleep 0.05
    done
    [ "$(migration_state_on_A)" = "$1" ]
}

# kill_and_restart_a: hostd A killed mid-migration, then started again.
kill_and_restart_a() {
    kill -9 "$A_PID"
    wait "$A_PID" 2>/dev/null || true
    run wait "$MIG_CLI"
    restart_a
}

@test "hostd killed before the commit: restarted, it resumes the domain the migration paused" {
    MIG_TIMEOUT=60000 start_host A
    dirty_on_A
    fake_dest stall
    # Not live: paused first, then a stream longer than the sockets hold.
    migrate_to_fake
    sleep 0.5
    [ "$(migration_state_on_A)" = 1 ]
    kill_and_restart_a
    until_migration_state_on_A 4
    grep -q "ended with hostd before the commit; it runs on here" "$A_STATE/hostd.out"
    local i
    for i in $(seq 1 100); do
        [ "$(state_on A t1)" = running ] && break
        sleep 0.1
    done
    dirty_kept_on_A
}

@test "hostd killed after the commit went out: restarted, it keeps the domain paused, said so" {
    MIG_TIMEOUT=60000 start_host A
    on A create "$(cfg t1 "$SKIFF_EXAMPLES/ticker.hvt")"
    [ "$status" -eq 0 ]
    wait_output A t1 '^tick 3$'
    fake_dest stall
    # Small enough for the sockets' buffers: the commit goes out and waits.
    migrate_to_fake
    until_migration_state_on_A 2
    kill_and_restart_a
    until_migration_state_on_A 5
    [ "$(state_on A t1)" = paused ]
    grep -q "hostd stopped after committing its migration" "$A_STATE/hostd.out"
    run sqlite3 "$A_STATE/hostd.db" "select count(*) from events where detail like '%outcome unknown%'"
    [ "$output" = 1 ]
    # Its vCPU stays parked: no tick comes.
    local n
    n="$(last_tick A t1)"
    sleep 1.5
    [ "$(last_tick A t1)" = "$n" ]
    # The operator, sure it does not run there, resumes it.
    on A unpause t1
    [ "$status" -eq 0 ]
    still_ticking A t1
}
