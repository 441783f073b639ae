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
