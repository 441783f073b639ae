#!/usr/bin/env bats
# Hostile guests: each one breaks the hvt ABI in one way. skiff-hv must stop
# the guest with status 1 and say why, never crash or carry on. If it
# resumes the guest, the guest prints FAILURE and exits 3.

load helpers

setup() {
    require_kvm
}

teardown() {
    net_teardown
}

# hostile CASE: run the hostile guest, which prints mem_size=0x... first.
hostile() {
    hv_run "$(guest hostile)" "$1"
    MEM_SIZE=$(printf '%s\n' "$output" | sed -n 's/.*(mem_size=\(0x[0-9a-f]*\)).*/\1/p')
    [ -n "$MEM_SIZE" ] || { echo "guest did not start: $output"; return 1; }
}

# hex N: N as 0x-prefixed lower-case hexadecimal.
hex() {
    printf '0x%x' "$1"
}

# --- hypercall arguments outside guest memory ----------------------------------

@test "PUTS data beyond memory" {
    hostile puts-beyond
    expect_fail_with 1 "Invalid guest access: gpa=$MEM_SIZE, sz=16"
}

@test "PUTS data ending exactly at mem_size" {
    hostile puts-end
    expect_fail_with 1 "Invalid guest access: gpa=$(hex $((MEM_SIZE - 16))), sz=16"
}

@test "PUTS length wrapping around the address space" {
    hostile puts-wrap
    expect_fail_with 1 "Invalid guest access: gpa="
    expect_output_lacks "this must not be printed"
}

@test "hypercall struct at mem_size" {
    hostile struct-at-end
    expect_fail_with 1 "Invalid guest access: gpa=$MEM_SIZE"
}

@test "hypercall struct beyond mem_size" {
    hostile struct-beyond
    expect_fail_with 1 "Invalid guest access: gpa=$(hex $((MEM_SIZE + 0x100000)))"
}

@test "hypercall struct near 4 GiB" {
    hostile struct-high
    expect_fail_with 1 "Invalid guest access: gpa=0xfffffff8"
}

@test "hypercall struct ending exactly at mem_size (strict bound)" {
    hostile struct-end
    expect_fail_with 1 "Invalid guest access: gpa=$(hex $((MEM_SIZE - 16)))"
    expect_output_lacks "this must not be printed"
}

@test "HALT cookie too close to the end of memory" {
    hostile halt-cookie
    expect_fail_with 1 "Invalid guest access: gpa=$(hex $((MEM_SIZE - 256))), sz=512"
}

@test "HALT cookie wrapping around the address space" {
    hostile halt-cookie-wrap
    expect_fail_with 1 "Invalid guest access: gpa=0xffffffffffffff00"
}

# --- hypercall numbers ----------------------------------------------------------

@test "reserved hypercall number 0" {
    hostile hypercall-0
    expect_fail_with 1 "Invalid guest hypercall: num=0"
}

@test "hypercall number 9 (one past the last)" {
    hostile hypercall-9
    [ "$status" -eq 1 ] || { echo "status $status: $output"; false; }
    # Port 0x509 is outside the hypercall range: either wording is right.
    [[ "$output" == *"Invalid guest hypercall: num=9"* ||
       "$output" == *"Invalid guest port access: port=0x509"* ]] || { echo "$output"; false; }
}

@test "block hypercall without a block device" {
    hostile hypercall-block
    expect_fail_with 1 "Invalid guest hypercall: num=5"
}

# --- stray port I/O ------------------------------------------------------------------

@test "IN from a hypercall port" {
    hostile in-501
    expect_fail_with 1 "Invalid guest port access: port=0x501"
}

@test "byte-sized OUT to a hypercall port" {
    hostile outb-501
    expect_fail_with 1 "Invalid guest port access: port=0x501"
}

@test "word-sized OUT to a hypercall port" {
    hostile outw-502
    expect_fail_with 1 "Invalid guest port access: port=0x502"
}

@test "ring kick on port 0x600 without a ring" {
    hostile out-600
    expect_fail_with 1 "Invalid guest port access: port=0x600"
}

@test "OUT to port 0x80" {
    hostile out-80
    expect_fail_with 1 "Invalid guest port access: port=0x80"
}

# --- CPU ---------------------------------------------------------------------------------

@test "hlt" {
    hostile hlt
    expect_fail_with 1 "exit_reason=0x5"
}

@test "triple fault" {
    hostile triple-fault
    expect_fail_with 1 "exit_reason=0x8"
}

@test "an unknown case is the guest's own error (control)" {
    hv_run "$(guest hostile)" no-such-case
    expect_fail_with 2 "usage: hostile CASE"
}

# --- bad device handles -----------------------------------------------------------------

@test "block and net calls with bad handles get EINVAL" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 64K "$img"
    net_setup
    run ip netns exec "$NETNS" timeout -k 10s 60s "$SKIFF_HV" \
        --block:storage="$img" --net:service0=tap0 -- "$(guest badhandle)"
    expect_success
    expect_output_lacks FAILURE
}
