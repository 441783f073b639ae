#!/usr/bin/env bats
# Remote clients over mutual TLS: a real hostd with --listen-tls on
# loopback (IPv4 and IPv6, ports chosen by the kernel and read from
# STATE/tls.ports), the skiff CLI with tls:// URIs, and certificates made by
# skiff-pki for each run. Checks who gets in, who does not, and what each
# side says about it.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"
PKI_TOOL="$SKIFF_SRCDIR/client/skiff-pki"

setup_file() {
    PKI="$(mktemp -d /tmp/tls-pki.XXXXXX)"
    export PKI
    local p="$SKIFF_SRCDIR/client/skiff-pki"
    sh "$p" init "$PKI/ca"
    sh "$p" host "$PKI/ca" localhost --ip 127.0.0.1 --ip ::1
    sh "$p" host "$PKI/ca" elsewhere --dns elsewhere.example
    sh "$p" client "$PKI/ca" alice
    sh "$p" client "$PKI/ca" mallory
    sh "$p" client "$PKI/ca" old --start 20200101000000Z --end 20200201000000Z
    # Another CA, with a client and a host of its own.
    sh "$p" init "$PKI/other"
    sh "$p" client "$PKI/other" alice
    sh "$p" host "$PKI/other" localhost --ip 127.0.0.1
}

teardown_file() {
    rm -rf "$PKI"
}

setup() {
    STATE=
    HOSTD_PID=
    CREATED=()
    TMP="$(mktemp -d /tmp/tls-test.XXXXXX)"
    unset SKIFF_URI XDG_CONFIG_HOME
    # alice of the right CA, unless a test says otherwise.
    export SKIFF_TLS_CA="$PKI/ca/ca.pem"
    export SKIFF_TLS_CERT="$PKI/ca/client-alice.pem"
    export SKIFF_TLS_KEY="$PKI/ca/client-alice-key.pem"
}

teardown() {
    local d
    if [ -n "${HOSTD_PID:-}" ]; then
        for d in "${CREATED[@]}"; do
            timeout -k 10s 10s "$SKIFF_CLI" -c "unix://$SOCK" destroy "$d" >/dev/null 2>&1 || true
        done
    fi
    hostd_teardown
    rm -rf "$TMP"
}

# tls_hostd [HOST_CERT_PREFIX [ARGS...]]: hostd with TLS listeners on
# 127.0.0.1 and [::1]; sets URI4 and URI6.
tls_hostd() {
    local host="${1:-$PKI/ca/host-localhost}"
    shift || true
    hostd_start --listen-tls 127.0.0.1:0 --listen-tls '[::1]:0' --tls-cert "$host.pem" \
        --tls-key "$host-key.pem" --tls-ca "$PKI/ca/ca.pem" "$@"
    local p4 p6
    p4="$(sed -n 1p "$STATE/tls.ports")"
    p6="$(sed -n 2p "$STATE/tls.ports")"
    [[ "$p4" == 127.0.0.1:* ]] && [[ "$p6" == "[::1]:"* ]] || {
        echo "tls.ports: $(cat "$STATE/tls.ports")"
        return 1
    }
    URI4="tls://$p4"
    URI6="tls://$p6"
}

# skiff URI ARGS...: the CLI with a time limit; stdin is never a terminal.
skiff() {
    local uri="$1"
    shift
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$uri" "$@" </dev/null
}

wait_state_at() {
    local i
    for i in $(seq 1 100); do
        run "$SKIFF_CLI" -c "$1" dominfo "$2" </dev/null
        [[ "$output" == *"State:"*" $3"* ]] && return 0
        sleep 0.1
    done
    echo "domain $2 never reached $3: $output" >&2
    return 1
}

@test "a remote client over TLS (IPv4 and IPv6) runs create, list, info, console, events, destroy" {
    require_kvm
    tls_hostd
    {
        echo "name = \"far\""
        echo "kernel = \"$SKIFF_EXAMPLES/ticker.hvt\""
        echo "memory = 16"
        echo "cmdline = \"20\""
    } >"$TMP/far.cfg"
    CREATED+=(far)
    skiff "$URI4" create -p "$TMP/far.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    wait_state_at "$URI6" far paused
    skiff "$URI6" list
    [ "$status" -eq 0 ]
    expect_output_has "far"
    skiff "$URI4" dominfo far
    [ "$status" -eq 0 ]
    expect_output_has "Name:           far"
    skiff "$URI6" info
    [ "$status" -eq 0 ]
    expect_output_has "($URI6)"
    # The console stream over TLS, from before the guest runs to its end.
    timeout -k 10s 60s "$SKIFF_CLI" -c "$URI6" console far </dev/null >"$TMP/console.out" \
        2>"$TMP/console.err" &
    local cpid=$! cstatus=0
    sleep 0.5
    skiff "$URI4" unpause far
    [ "$status" -eq 0 ]
    wait "$cpid" || cstatus=$?
    [ "$cstatus" -eq 0 ] || { echo "console: $cstatus $(cat "$TMP/console.err")"; false; }
    grep -qx "tick 1" "$TMP/console.out"
    grep -qx "tick 20" "$TMP/console.out"
    # The events stream over TLS.
    skiff "$URI4" events --since 0 -t 2
    [ "$status" -eq 0 ]
    local kinds
    kinds="$(printf '%s\n' "$output" | awk '$3 == "far" { print $4 }' | tr '\n' ' ')"
    [[ "$kinds" == *"started unpaused"* ]] || { echo "events: $output"; false; }
    skiff "$URI6" destroy far
    skiff "$URI4" dominfo far
    expect_fail_with 1 "far"
    # hostd logged who the client was.
    grep -q "TLS client 'CN=alice,O=Skiff' at 127.0.0.1:" "$STATE/hostd.out"
    grep -q "TLS client 'CN=alice,O=Skiff' at \[::1\]:" "$STATE/hostd.out"
}

@test "SKIFF_URI with the certificate files in the URI, installed by skiff-pki install-client" {
    tls_hostd
    run sh "$PKI_TOOL" install-client "$PKI/ca" alice "$TMP/pki"
    [ "$status" -eq 0 ]
    [ "$(stat -c %a "$TMP/pki/client-key.pem")" = 600 ]
    unset SKIFF_TLS_CA SKIFF_TLS_CERT SKIFF_TLS_KEY
    export SKIFF_URI="$URI4?cert=$TMP/pki/client.pem&key=$TMP/pki/client-key.pem&ca=$TMP/pki/ca.pem"
    run timeout -k 10s 60s "$SKIFF_CLI" list </dev/null
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    expect_output_has "Name"
    # %-encoded file names are decoded.
    export SKIFF_URI="$URI4?cert=$TMP/pki/client%2Epem&key=$TMP/pki/client-key.pem&ca=$TMP/pki/ca.pem"
    run timeout -k 10s 60s "$SKIFF_CLI" list </dev/null
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a client certificate from another CA is refused" {
    tls_hostd
    export SKIFF_TLS_CERT="$PKI/other/client-alice.pem"
    export SKIFF_TLS_KEY="$PKI/other/client-alice-key.pem"
    skiff "$URI4" list
    expect_fail_with 3 "refused our certificate $PKI/other/client-alice.pem"
    expect_output_has "unknown ca"
    grep -q "TLS client at 127.0.0.1:[0-9]* refused: its certificate does not verify" \
        "$STATE/hostd.out"
}

@test "a client without a certificate is refused" {
    tls_hostd
    local port="${URI4##*:}"
    run bash -c "(sleep 2) | timeout -k 10s 20 openssl s_client -connect 127.0.0.1:$port \
        -CAfile '$PKI/ca/ca.pem' -verify_return_error 2>&1"
    [ "$status" -ne 0 ]
    expect_output_has "alert certificate required"
    grep -q "TLS client at 127.0.0.1:[0-9]* refused: it sent no certificate" "$STATE/hostd.out"
    # libskiff needs one before it connects, and says which file is missing.
    export SKIFF_TLS_CERT="$TMP/none.pem"
    skiff "$URI4" list
    expect_fail_with 3 "cannot read certificate $TMP/none.pem"
}

@test "an expired client certificate is refused" {
    tls_hostd
    export SKIFF_TLS_CERT="$PKI/ca/client-old.pem"
    export SKIFF_TLS_KEY="$PKI/ca/client-old-key.pem"
    skiff "$URI6" list
    expect_fail_with 3 "refused our certificate"
    expect_output_has "certificate expired"
    grep -q "refused: its certificate does not verify: certificate has expired" \
        "$STATE/hostd.out"
}

@test "plaintext to the TLS port gets nothing served, and hostd serves on" {
    tls_hostd
    local port="${URI4##*:}"
    # A Hello frame of the plain protocol, as on the UNIX socket.
    exec 5<>"/dev/tcp/127.0.0.1/$port"
    printf '\000\000\000\004\012\002\010\001' >&5
    local reply
    reply="$(timeout -k 10s 10 cat <&5 | od -An -c)" || true
    exec 5<&-
    [[ "$reply" != *"h   o   s   t   d"* ]] || { echo "served: $reply"; false; }
    grep -q "TLS client at 127.0.0.1:[0-9]* refused: wrong version number (not speaking TLS?)" \
        "$STATE/hostd.out"
    skiff "$URI4" list
    [ "$status" -eq 0 ]
    # The UNIX socket serves on too.
    skiff "unix://$SOCK" list
    [ "$status" -eq 0 ]
}

@test "tls_allow: a subject not in the list is DENIED, one in it is served (hostd.conf)" {
    cat >"$TMP/hostd.conf" <<EOF
listen_tls = ["127.0.0.1:0", "[::1]:0"]
tls_cert = "$PKI/ca/host-localhost.pem"
tls_key = "$PKI/ca/host-localhost-key.pem"
tls_ca = "$PKI/ca/ca.pem"
tls_allow = ["CN=alice,O=Skiff", "CN=nobody,O=Skiff"]
EOF
    hostd_start --config "$TMP/hostd.conf"
    local uri="tls://$(sed -n 1p "$STATE/tls.ports")"
    skiff "$uri" list
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    export SKIFF_TLS_CERT="$PKI/ca/client-mallory.pem"
    export SKIFF_TLS_KEY="$PKI/ca/client-mallory-key.pem"
    skiff "$uri" list
    expect_fail_with 3 "permission denied: certificate subject 'CN=mallory,O=Skiff' is not in"
    grep -q "TLS client 'CN=mallory,O=Skiff' at 127.0.0.1:[0-9]* refused: subject not in tls_allow" \
        "$STATE/hostd.out"
}

@test "--tls-allow on the command line" {
    tls_hostd "$PKI/ca/host-localhost" --tls-allow "CN=mallory,O=Skiff"
    skiff "$URI4" list
    expect_fail_with 3 "permission denied"
    export SKIFF_TLS_CERT="$PKI/ca/client-mallory.pem"
    export SKIFF_TLS_KEY="$PKI/ca/client-mallory-key.pem"
    skiff "$URI4" list
    [ "$status" -eq 0 ]
}

@test "the client refuses a server whose certificate does not name it, or is not from its CA" {
    tls_hostd "$PKI/ca/host-elsewhere"
    skiff "$URI4" list
    expect_fail_with 3 "server name mismatch"
    expect_output_has "does not name '127.0.0.1'"
    skiff "$URI6" list
    expect_fail_with 3 "does not name '::1'"
    hostd_teardown
    tls_hostd "$PKI/other/host-localhost"
    skiff "$URI4" list
    expect_fail_with 3 "hostd's certificate is not trusted"
}

@test "a TLS client that never finishes the handshake is timed out and blocks nobody" {
    echo "tls_handshake_timeout_ms = 1500" >"$TMP/hostd.conf"
    tls_hostd "$PKI/ca/host-localhost" --config "$TMP/hostd.conf"
    local port="${URI4##*:}"
    exec 5<>"/dev/tcp/127.0.0.1/$port"
    # Others are served while it hangs.
    skiff "$URI4" list
    [ "$status" -eq 0 ]
    skiff "unix://$SOCK" list
    [ "$status" -eq 0 ]
    # hostd closes it: EOF (status 1), not our 20 s time-out (> 128).
    local rc=0 line
    read -r -t 20 -u 5 line || rc=$?
    exec 5<&-
    [ "$rc" -eq 1 ] || { echo "read status $rc"; false; }
    grep -q "TLS client at 127.0.0.1:[0-9]*: no handshake within 1500 ms; closed" \
        "$STATE/hostd.out"
}

@test "hostd reports TLS set-up errors at start" {
    STATE="$(mktemp -d /tmp/hostd-test.XXXXXX)"
    run timeout -k 10s 20 "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --listen-tls 127.0.0.1:0 --tls-cert "$TMP/missing.pem" \
        --tls-key "$PKI/ca/host-localhost-key.pem" --tls-ca "$PKI/ca/ca.pem"
    [ "$status" -eq 1 ]
    expect_output_has "cannot read certificate $TMP/missing.pem: No such file or directory"
    run timeout -k 10s 20 "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --listen-tls 127.0.0.1:0 --tls-cert "$PKI/ca/host-localhost.pem" \
        --tls-key "$PKI/ca/client-alice-key.pem" --tls-ca "$PKI/ca/ca.pem"
    [ "$status" -eq 1 ]
    expect_output_has "private key $PKI/ca/client-alice-key.pem does not match certificate"
    run timeout -k 10s 20 "$SKIFF_HOSTD" --foreground --state-dir "$STATE" --config /dev/null \
        --listen-tls 'localhost:0' --tls-cert "$PKI/ca/host-localhost.pem" \
        --tls-key "$PKI/ca/host-localhost-key.pem" --tls-ca "$PKI/ca/ca.pem"
    [ "$status" -eq 1 ]
    expect_output_has "listen_tls 'localhost:0': give a numeric IPv4 or [IPv6] address"
}

@test "malformed tls:// URIs are usage errors" {
    skiff "tls://host.example" list
    expect_fail_with 2 "no port"
    skiff "tls://::1:7000" list
    expect_fail_with 2 "needs brackets"
    skiff "tls://h:7000?pin=x" list
    expect_fail_with 2 "unknown parameter 'pin=x'"
}

@test "skiff-pki makes certificates hostd and skiff agree on" {
    run sh "$PKI_TOOL" subject "$PKI/ca/client-alice.pem"
    [ "$status" -eq 0 ]
    [ "$output" = "CN=alice,O=Skiff" ]
    run openssl verify -CAfile "$PKI/ca/ca.pem" "$PKI/ca/host-localhost.pem"
    [ "$status" -eq 0 ]
    run openssl x509 -in "$PKI/ca/host-localhost.pem" -noout -ext subjectAltName,extendedKeyUsage
    expect_output_has "DNS:localhost" "IP Address:127.0.0.1" "TLS Web Server Authentication" \
        "TLS Web Client Authentication"
    run sh "$PKI_TOOL" init "$PKI/ca"
    expect_fail_with 1 "refusing to replace a CA"
    run sh "$PKI_TOOL" client "$PKI/ca" 'bad/name'
    expect_fail_with 1 "use letters, digits"
}
