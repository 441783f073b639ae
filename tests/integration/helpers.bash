# Shared by every bats file: locate the binaries and insist on real KVM.

: "${SKIFF_HV:?run through make check (SKIFF_HV unset)}"

# A missing /dev/kvm is a failure, never a skip: a green run with nothing
# executed would hide a broken machine.
require_kvm() {
    if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "FATAL: /dev/kvm is missing or not read/writable: KVM tests cannot run" >&2
        return 1
    fi
}

# hv_run ARGS...: run skiff-hv with a time limit, output in $output, status in $status.
hv_run() {
    run timeout --foreground 60s "$SKIFF_HV" "$@"
}

guest() {
    echo "$SKIFF_GUESTS/$1.hvt"
}

expect_success() {
    [ "$status" -eq 0 ] || { echo "status $status, output: $output"; return 1; }
    [[ "$output" == *SUCCESS* ]] || { echo "no SUCCESS in: $output"; return 1; }
}

expect_abort() {
    [ "$status" -eq 255 ] || { echo "status $status, output: $output"; return 1; }
    [[ "$output" == *ABORT* ]] || { echo "no ABORT in: $output"; return 1; }
}

# expect_fail_with STATUS TEXT: exact status and a substring of the output.
expect_fail_with() {
    [ "$status" -eq "$1" ] || { echo "status $status (want $1), output: $output"; return 1; }
    [[ "$output" == *"$2"* ]] || { echo "no '$2' in: $output"; return 1; }
}

# expect_output_has TEXT...: every TEXT is a substring of $output.
expect_output_has() {
    local t
    for t in "$@"; do
        [[ "$output" == *"$t"* ]] || { echo "no '$t' in: $output"; return 1; }
    done
}

# expect_output_lacks TEXT...: no TEXT appears in $output.
expect_output_lacks() {
    local t
    for t in "$@"; do
        [[ "$output" != *"$t"* ]] || { echo "unexpected '$t' in: $output"; return 1; }
    done
}

# Network tests run in a private network namespace, so their traffic never
# leaves it: tap0 at 10.0.0.1/24 faces the guest at 10.0.0.2.
require_net() {
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v ping >/dev/null; then
        echo "FATAL: network tests need root, ip(8) and ping(8)" >&2
        return 1
    fi
}

# net_setup [MTU]: create the namespace $NETNS with tap0 up in it.
net_setup() {
    require_net || return 1
    NETNS="skiff-test-$$-${BATS_TEST_NUMBER:-0}"
    ip netns add "$NETNS" &&
    ip -n "$NETNS" link set lo up &&
    ip netns exec "$NETNS" ip tuntap add tap0 mode tap &&
    ip -n "$NETNS" addr add 10.0.0.1/24 dev tap0 &&
    if [ -n "${1:-}" ]; then ip -n "$NETNS" link set tap0 mtu "$1"; fi &&
    ip -n "$NETNS" link set tap0 up
}

# net_teardown: delete the namespace (and its tap); safe to call twice.
net_teardown() {
    if [ -n "${NETNS:-}" ]; then
        ip netns del "$NETNS" 2>/dev/null || true
        NETNS=
    fi
}

# hv_start_in_netns OUTFILE ARGS...: start skiff-hv in $NETNS in the
# background (its pid in $HV_PID), output to OUTFILE.
hv_start_in_netns() {
    local out="$1"
    shift
    ip netns exec "$NETNS" timeout -k 10s 60s "$SKIFF_HV" "$@" >"$out" 2>&1 3>&- &
    HV_PID=$!
}

# wait_for_text FILE TEXT [SECONDS]: wait until FILE contains TEXT.
wait_for_text() {
    local i
    for i in $(seq 1 $((${3:-10} * 10))); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2
    cat "$1" >&2
    return 1
}

# refute CMD...: fail when CMD succeeds. (A bare `! CMD` never fails a bats
# test: bash exempts negated commands from errexit.)
refute() {
    if "$@"; then
        echo "expected to fail, but succeeded: $*"
        return 1
    fi
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() {
    [ -r "/proc/$1/stat" ] && ! awk '{ exit !($3 == "Z") }' "/proc/$1/stat"
}

# install_cli DIR: the skiff binary and libskiff copied into DIR, runnable by
# any uid even when the build tree is not (a clone under a 0700 directory);
# sets CLI, to be run with LD_LIBRARY_PATH=DIR.
install_cli() {
    local build real
    build="$(cd "$(dirname "$SKIFF_CLI")/.." && pwd)"
    real="$build/client/.libs/skiff"
    if [ -x "$real" ]; then
        cp "$real" "$1/skiff"
        cp -P "$build"/client/.libs/libskiff.so* "$1/"
    else
        cp "$SKIFF_CLI" "$1/skiff"
    fi
    chmod -R a+rX "$1"
    CLI="$1/skiff"
}
