#!/usr/bin/env bats
# The skiff command line end to end: a real hostd on a private state
# directory, real skiff-hv monitors on /dev/kvm, and nothing but $SKIFF_CLI
# to drive them. Checks what an operator sees: output, --json, messages
# and exit statuses (0 ok, 1 failed, 2 usage, 3 cannot connect).

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

setup() {
    STATE=
    HOSTD_PID=
    CREATED=()
    TMP="$(mktemp -d /tmp/cli-test.XXXXXX)"
    TICKER="$SKIFF_EXAMPLES/ticker.hvt"
    # Never inherit a URI from the environment running the tests.
    unset SKIFF_URI
}

teardown() {
    local d
    if [ -n "${HOSTD_PID:-}" ]; then
        for d in "${CREATED[@]}"; do
            timeout -k 10s 10s "$SKIFF_CLI" destroy "$d" >/dev/null 2>&1 || true
            timeout -k 10s 10s "$SKIFF_CLI" undefine "$d" >/dev/null 2>&1 || true
        done
    fi
    hostd_teardown
    rm -rf "$TMP"
}

# Start hostd and point the CLI at it.
start_hostd() {
    hostd_start
    export SKIFF_URI="unix://$SOCK"
}

# skiff ARGS...: the CLI with a time limit; stdin is never a terminal.
skiff() {
    run timeout -k 10s 60s "$SKIFF_CLI" "$@" </dev/null
}

# ticker_cfg NAME [KEY=VALUE...]: write $TMP/NAME.cfg for the ticker.
ticker_cfg() {
    local name="$1"
    shift
    {
        echo "# the ticker example, for cli.bats"
        echo "name = \"$name\""
        echo "kernel = \"$TICKER\""
        echo "memory = 16"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } >"$TMP/$name.cfg"
    CREATED+=("$name")
}

# json_ok: $output is one JSON document. json_lines_ok: one per line.
json_ok() {
    if command -v python3 >/dev/null; then
        python3 -c 'import json, sys; json.load(sys.stdin)' <<<"$output" ||
            { echo "not JSON: $output"; return 1; }
    else
        [[ "$output" == [\{\[]* ]] || { echo "not JSON: $output"; return 1; }
    fi
}

json_lines_ok() {
    if command -v python3 >/dev/null; then
        python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    if line.strip():
        json.loads(line); n += 1
assert n > 0, "no lines"' <<<"$output" || { echo "not JSON lines: $output"; return 1; }
    else
        [[ "$output" == \{* ]] || { echo "not JSON lines: $output"; return 1; }
    fi
}

# wait_state DOMAIN STATE [SECONDS]: until `skiff dominfo` shows it.
wait_state() {
    local i
    for i in $(seq 1 $((${3:-10} * 10))); do
        run "$SKIFF_CLI" dominfo "$1" </dev/null
        [[ "$output" == *"State:"*" $2"* ]] && return 0
        sleep 0.1
    done
    echo "domain $1 never reached $2: $output" >&2
    return 1
}

# wait_gone DOMAIN [SECONDS]: until hostd no longer knows it.
wait_gone() {
    local i
    for i in $(seq 1 $((${2:-10} * 10))); do
        run "$SKIFF_CLI" dominfo "$1" </dev/null
        [ "$status" -eq 1 ] && [[ "$output" == *"$1"* ]] && return 0
        sleep 0.1
    done
    echo "domain $1 is still there: $output" >&2
    return 1
}

# list_line NAME: the line of `skiff list` for NAME, in $output.
list_line() {
    skiff list
    [ "$status" -eq 0 ] || return 1
    output="$(printf '%s\n' "$output" | awk -v n="$1" '$1 == n')"
}

# --- without hostd -------------------------------------------------------

@test "--version, help and per-command help need no hostd" {
    skiff --version
    [ "$status" -eq 0 ]
    expect_output_has "skiff " "libskiff "
    skiff help
    [ "$status" -eq 0 ]
    local c
    for c in create define undefine start list dominfo info uptime pause unpause \
             shutdown reboot destroy rename console events help; do
        expect_output_has "  $c "
    done
    expect_output_has "Exit status:" "3  cannot connect"
    skiff help shutdown
    [ "$status" -eq 0 ]
    expect_output_has "Usage: skiff shutdown [-w] [-t SECONDS] DOMAIN" "--wait"
    skiff shutdown --help
    [ "$status" -eq 0 ]
    expect_output_has "Usage: skiff shutdown"
}

@test "usage errors exit 2 and show the command's usage" {
    skiff
    expect_fail_with 2 "Usage: skiff"
    skiff frobnicate
    expect_fail_with 2 "unknown command 'frobnicate'"
    skiff pause
    expect_fail_with 2 "Usage: skiff pause DOMAIN"
    skiff list extra
    expect_fail_with 2 "unexpected argument 'extra'"
    skiff shutdown -t soon web
    expect_fail_with 2 "--timeout wants whole seconds"
    skiff pause --json web
    expect_fail_with 2 "unknown option '--json'"
    skiff --bogus list
    expect_fail_with 2 "unknown option '--bogus'"
    skiff help frobnicate
    expect_fail_with 2 "unknown command"
}

@test "no hostd: exit 3, the URI and what to do" {
    export SKIFF_URI="unix://$TMP/nobody.sock"
    skiff list
    expect_fail_with 3 "cannot connect to unix://$TMP/nobody.sock"
    expect_output_has "is hostd running?" "SKIFF_URI" "-c"
    # -c wins over $SKIFF_URI.
    skiff -c "unix://$TMP/other.sock" info
    expect_fail_with 3 "unix://$TMP/other.sock"
    # A socket nobody listens on.
    python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
        "$TMP/dead.sock" 2>/dev/null || true
    if [ -S "$TMP/dead.sock" ]; then
        skiff -c "unix://$TMP/dead.sock" list
        expect_fail_with 3 "Connection refused"
    fi
    # tls:// needs a client certificate before it connects anywhere.
    SKIFF_TLS_CERT="$TMP/no-cert.pem" skiff -c "tls://example.org:7070" list
    expect_fail_with 3 "cannot read certificate $TMP/no-cert.pem"
    skiff -c "http://x/y" list
    expect_fail_with 2 "unknown scheme 'http'"
}

@test "a bad configuration file is reported with file:line:col before connecting" {
    export SKIFF_URI="unix://$TMP/nobody.sock"
    printf 'name = "bad"\nkernel = \nmemory = 16\n' >"$TMP/bad.cfg"
    skiff create "$TMP/bad.cfg"
    expect_fail_with 1 "$TMP/bad.cfg:2:10:"
    printf 'name = "bad"\nkernel = "/x.hvt"\nmemory = "lots"\n' >"$TMP/bad2.cfg"
    skiff define "$TMP/bad2.cfg"
    expect_fail_with 1 "$TMP/bad2.cfg:3:"
    expect_output_has "memory"
    skiff create "$TMP/missing.cfg"
    expect_fail_with 1 "$TMP/missing.cfg: cannot open"
    # Overrides are checked too, and must look like KEY=VALUE.
    printf 'name = "ok"\nkernel = "rel/t.hvt"\n' >"$TMP/ok.cfg"
    skiff create "$TMP/ok.cfg" memory=abc
    expect_fail_with 1 "<command line>:1:"
    skiff create "$TMP/ok.cfg" memory
    expect_fail_with 2 "expected KEY=VALUE"
    # A dry run shows the result, with the kernel made absolute.
    cd "$TMP"
    skiff create -n ok.cfg memory=32
    [ "$status" -eq 0 ]
    expect_output_has 'name = "ok"' "memory = 32" "kernel = \"$TMP/rel/t.hvt\""
    skiff --json create -n ok.cfg
    [ "$status" -eq 0 ]
    json_ok
    expect_output_has '"kernel":"'"$TMP"'/rel/t.hvt"'
}

# --- with hostd ----------------------------------------------------------

@test "info shows the host; --json parses" {
    start_hostd
    skiff info
    [ "$status" -eq 0 ]
    expect_output_has "Host:" "hostd:" "CPUs:" "Running:" "$SOCK"
    skiff --json info
    [ "$status" -eq 0 ]
    json_ok
    expect_output_has '"hostname":' '"domains_running":0'
    skiff info --json
    [ "$status" -eq 0 ]
    json_ok
}

@test "an empty host: list has only the header, --json gives []" {
    start_hostd
    skiff list
    [ "$status" -eq 0 ]
    expect_output_has "Name" "ID" "Mem" "VCPUs" "State" "Time(s)"
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    skiff --json list
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
    skiff --json uptime
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
}

@test "unknown domains: exit 1 and a message naming the domain" {
    start_hostd
    local cmd
    for cmd in dominfo pause unpause destroy reboot start undefine shutdown console; do
        skiff "$cmd" nosuch
        expect_fail_with 1 "nosuch"
        expect_output_has "skiff: $cmd:"
    done
    skiff rename nosuch other
    expect_fail_with 1 "nosuch"
    skiff uptime nosuch
    expect_fail_with 1 "no running domain 'nosuch'"
}

@test "create, list, pause, unpause, destroy the ticker" {
    require_kvm
    start_hostd
    ticker_cfg tick
    skiff create "$TMP/tick.cfg"
    [ "$status" -eq 0 ]
    expect_output_has "Domain tick created" "uuid "
    wait_state tick running
    list_line tick
    [[ "$output" == *" running "* ]] || { echo "list: $output"; false; }
    [[ "$output" =~ tick\ +[0-9]+\ +16\ +1\ +running ]] || { echo "list: $output"; false; }
    skiff list -l
    expect_output_has "UUID" "Pid" "$TICKER"
    skiff --json list
    json_ok
    expect_output_has '"name":"tick"' '"state":"running"' '"memory_mb":16'
    skiff dominfo tick
    [ "$status" -eq 0 ]
    expect_output_has "Name:           tick" "State:          running" "Memory:         16 MiB" \
        "Kernel:         $TICKER" "Persistent:     no"
    skiff --json dominfo tick
    json_ok
    expect_output_has '"state":"running"' '"persistent":false'

    skiff pause tick
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    wait_state tick paused
    list_line tick
    [[ "$output" == *" paused "* ]]
    skiff unpause tick
    [ "$status" -eq 0 ]
    wait_state tick running

    # The same name twice is refused.
    skiff create "$TMP/tick.cfg"
    expect_fail_with 1 "tick"

    skiff destroy tick
    [ "$status" -eq 0 ]
    wait_gone tick
    list_line tick
    [ -z "$output" ]
}

@test "create -p starts paused; key=value overrides the file" {
    require_kvm
    start_hostd
    ticker_cfg tock
    skiff create -p "$TMP/tock.cfg" memory=32 vcpus=1
    [ "$status" -eq 0 ]
    expect_output_has "Domain tock created, paused"
    wait_state tock paused
    skiff dominfo tock
    expect_output_has "Memory:         32 MiB"
    skiff unpause tock
    [ "$status" -eq 0 ]
    wait_state tock running
    skiff destroy tock
    [ "$status" -eq 0 ]
}

@test "shutdown -w returns once the domain has stopped" {
    require_kvm
    start_hostd
    ticker_cfg down
    skiff create "$TMP/down.cfg"
    [ "$status" -eq 0 ]
    wait_state down running
    # The ticker has no control events: hostd destroys it after the grace.
    skiff shutdown -w -t 1 down
    [ "$status" -eq 0 ]
    skiff dominfo down
    expect_fail_with 1 "down"
    skiff shutdown -t 0 down
    expect_fail_with 2 "at least 1 second"
}

@test "define, start, destroy keeps it defined, undefine forgets it" {
    require_kvm
    start_hostd
    ticker_cfg keep
    skiff define "$TMP/keep.cfg"
    [ "$status" -eq 0 ]
    expect_output_has "Domain keep defined (uuid "
    list_line keep
    [[ "$output" == *" defined "* ]] || { echo "list: $output"; false; }
    # Defined domains are listed unless -r.
    skiff list -r
    expect_output_lacks "keep"
    skiff dominfo keep
    expect_output_has "State:          defined" "Persistent:     yes"
    skiff define "$TMP/keep.cfg"
    expect_fail_with 1 "keep"
    skiff start keep
    [ "$status" -eq 0 ]
    expect_output_has "Domain keep started (id "
    wait_state keep running
    skiff undefine keep
    expect_fail_with 1 "keep"
    skiff destroy keep
    [ "$status" -eq 0 ]
    wait_state keep defined
    skiff undefine keep
    [ "$status" -eq 0 ]
    wait_gone keep
}

@test "rename: the new name works, the old one is gone" {
    require_kvm
    start_hostd
    ticker_cfg before
    CREATED+=(after)
    skiff create "$TMP/before.cfg"
    [ "$status" -eq 0 ]
    wait_state before running
    local uuid
    uuid="$("$SKIFF_CLI" dominfo before | awk '$1 == "UUID:" { print $2 }')"
    skiff rename before after
    [ "$status" -eq 0 ]
    skiff dominfo after
    [ "$status" -eq 0 ]
    expect_output_has "UUID:           $uuid"
    skiff dominfo before
    expect_fail_with 1 "before"
    # By UUID too.
    skiff dominfo "$uuid"
    expect_output_has "Name:           after"
    skiff destroy after
    [ "$status" -eq 0 ]
}

@test "console copies the output until the domain stops (stdout not a tty)" {
    require_kvm
    start_hostd
    ticker_cfg talk 'cmdline = "20"'
    skiff create -p "$TMP/talk.cfg"
    [ "$status" -eq 0 ]
    wait_state talk paused
    timeout -k 10s 60s "$SKIFF_CLI" console talk </dev/null >"$TMP/console.out" 2>"$TMP/console.err" &
    local cpid=$!
    sleep 0.5
    skiff unpause talk
    [ "$status" -eq 0 ]
    local cstatus=0
    wait "$cpid" || cstatus=$?
    [ "$cstatus" -eq 0 ] || { echo "console: $cstatus $(cat "$TMP/console.err")"; false; }
    grep -qx "tick 1" "$TMP/console.out"
    grep -qx "tick 20" "$TMP/console.out"
    # Nothing but the console's own lines (the guest's, the monitor's
    # "Skiff: ..." banner) on stdout: the CLI adds nothing.
    [ "$(grep -cv -e '^tick [0-9]*$' -e '^Skiff: ' "$TMP/console.out")" -eq 0 ] ||
        { echo "console output: $(cat "$TMP/console.out")"; false; }
    skiff console talk
    expect_fail_with 1 "talk"
}

@test "console --no-history shows only new output" {
    require_kvm
    start_hostd
    ticker_cfg hist
    skiff create "$TMP/hist.cfg"
    [ "$status" -eq 0 ]
    wait_state hist running
    sleep 1
    timeout -k 10s 2s "$SKIFF_CLI" console hist </dev/null >"$TMP/with.out" 2>&1 || true
    grep -qx "tick 1" "$TMP/with.out"
    timeout -k 10s 2s "$SKIFF_CLI" console --no-history hist </dev/null >"$TMP/without.out" 2>&1 || true
    refute grep -qx "tick 1" "$TMP/without.out"
    grep -q "^tick " "$TMP/without.out"
    skiff destroy hist
}

@test "console on a terminal: raw mode, keys pass, Ctrl-] detaches, the domain runs on" {
    require_kvm
    command -v python3 >/dev/null || skip "python3 is needed to drive a pseudo-terminal"
    start_hostd
    ticker_cfg tty
    skiff create "$TMP/tty.cfg"
    [ "$status" -eq 0 ]
    wait_state tty running
    # Attach on a pty, wait for output, type Ctrl-C (must reach the guest,
    # not kill skiff: raw mode) and then Ctrl-].
    run timeout -k 10s 60s python3 -c '
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "console", "tty"])
out = b""
def pump(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end and not (until and until in out):
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
pump(20, b"tick 2")
os.write(fd, b"\x03")
pump(0.5)
os.write(fd, b"\x1d")
pump(5)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT", os.WEXITSTATUS(st) if os.WIFEXITED(st) else -os.WTERMSIG(st))
' "$SKIFF_CLI"
    [ "$status" -eq 0 ]
    expect_output_has "Connected to domain tty (escape character is ^])" "tick 2" "EXIT 0"
    # A guest's "\n" still ends lines on the terminal.
    [[ "$output" == *$'tick 1\r\n'* ]] || { echo "no CRLF: $output"; false; }
    wait_state tty running
}

@test "events: the life cycle in order, text and --json lines" {
    require_kvm
    start_hostd
    ticker_cfg ev
    skiff create "$TMP/ev.cfg"
    [ "$status" -eq 0 ]
    wait_state ev running
    skiff pause ev
    skiff unpause ev
    skiff destroy ev
    wait_gone ev
    # Replay everything; stop once nothing new comes for 2 s.
    skiff events --since 0 -t 2
    [ "$status" -eq 0 ]
    local kinds
    kinds="$(printf '%s\n' "$output" | awk '$3 == "ev" { print $4 }' | tr '\n' ' ')"
    [[ "$kinds" == *"started paused unpaused destroyed"* ]] || { echo "events: $output"; false; }
    # Each line: SEQ TIME DOMAIN KIND STATE.
    [[ "$output" =~ [0-9]+\ 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z\ ev\ started\ running ]]
    skiff --json events --count 3
    [ "$status" -eq 0 ]
    json_lines_ok
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
    expect_output_has '"seq":' '"kind":' '"domain":"ev"'
    # --since skips what came before.
    local last
    last="$(printf '%s\n' "$output" | tail -n 1 | grep -o '"seq":[0-9]*' | cut -d: -f2)"
    skiff events --since "$last" --count 1
    [ "$status" -eq 0 ]
    [[ "$output" == "$last "* ]] || { echo "events --since $last: $output"; false; }
}

@test "events follow: a new domain shows up while watching" {
    require_kvm
    start_hostd
    ticker_cfg live
    timeout -k 10s 60s "$SKIFF_CLI" events --json -t 5 </dev/null >"$TMP/events.out" 2>&1 &
    local epid=$!
    sleep 0.5
    skiff create "$TMP/live.cfg"
    [ "$status" -eq 0 ]
    wait_for_text "$TMP/events.out" '"domain":"live"' 20
    skiff destroy live
    wait "$epid" || true
    output="$(cat "$TMP/events.out")"
    json_lines_ok
    expect_output_has '"kind":"started"' '"kind":"destroyed"'
}

@test "uptime lists running domains" {
    require_kvm
    start_hostd
    ticker_cfg up
    skiff create "$TMP/up.cfg"
    [ "$status" -eq 0 ]
    wait_state up running
    sleep 1
    skiff uptime
    [ "$status" -eq 0 ]
    expect_output_has "Name" "Uptime"
    [[ "$output" =~ up\ +[0-9]+\ 0:00:0[0-9] ]] || { echo "uptime: $output"; false; }
    skiff uptime up
    [ "$status" -eq 0 ]
    skiff --json uptime
    json_ok
    expect_output_has '"name":"up"' '"uptime_s":'
    skiff destroy up
}

@test "hostd going away mid-session is exit 3" {
    require_kvm
    start_hostd
    ticker_cfg gone
    skiff create "$TMP/gone.cfg"
    [ "$status" -eq 0 ]
    wait_state gone running
    timeout -k 10s 60s "$SKIFF_CLI" console gone </dev/null >"$TMP/c.out" 2>"$TMP/c.err" &
    local cpid=$!
    wait_for_text "$TMP/c.out" "tick" 20
    hostd_stop TERM
    local cstatus=0
    wait "$cpid" || cstatus=$?
    [ "$cstatus" -eq 3 ] || { echo "console: $cstatus $(cat "$TMP/c.err")"; false; }
    grep -q "hostd" "$TMP/c.err"
    # The domain outlives hostd: bring hostd back so teardown can destroy it.
    hostd_start
}
