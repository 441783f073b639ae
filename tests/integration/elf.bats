#!/usr/bin/env bats
# The ELF loader (HVT-ABI 1) and the command line (HVT-ABI 6), end to end.
#
# tests/tools/mkelf writes the images: valid.hvt HALTs with status 7, and
# every bad-*.hvt is that image with one defect. cases.txt pairs each bad
# image with the diagnostic it must cause; valid.txt lists the controls.
# Every check reads stderr alone: stdout is the guest's console.

bats_require_minimum_version 1.5.0
load helpers

HALT_STATUS=7

setup_file() {
    export CORPUS="$BATS_FILE_TMPDIR/corpus"
    mkdir -p "$CORPUS"
    "$SKIFF_TOOLS/mkelf" "$CORPUS"
    # A 4 KiB backing file for the block options.
    export DISK="$BATS_FILE_TMPDIR/disk.img"
    head -c 4096 /dev/zero >"$DISK"
}

setup() {
    require_kvm
}

# hv ARGS...: run skiff-hv; stdout in $output, stderr in $stderr.
hv() {
    run --separate-stderr timeout --foreground 60s "$SKIFF_HV" "$@"
}

not_killed() {
    if [ "$status" -ge 124 ]; then
        echo "skiff-hv timed out, crashed or was killed: status $status; stderr: $stderr"
        return 1
    fi
}

# refused TEXT: exit status exactly 1 and TEXT on stderr.
refused() {
    not_killed || return 1
    [ "$status" -eq 1 ] || { echo "status $status (want 1); stderr: $stderr"; return 1; }
    [[ "$stderr" == *"$1"* ]] || { echo "no '$1' on stderr: $stderr"; return 1; }
}

# halted: the guest ran and made the HALT hypercall with status 7.
halted() {
    not_killed || return 1
    [ "$status" -eq "$HALT_STATUS" ] ||
        { echo "status $status (want $HALT_STATUS); stderr: $stderr"; return 1; }
}

# check_case NAME: NAME is refused with the message cases.txt gives for it.
check_case() {
    local expect
    expect=$(awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$CORPUS/cases.txt")
    [ -n "$expect" ] || { echo "$1 is not listed in cases.txt"; return 1; }
    hv --mem=2 "$CORPUS/$1"
    refused "$expect"
}

check_valid() {
    grep -qxF "$1" "$CORPUS/valid.txt" || { echo "$1 is not listed in valid.txt"; return 1; }
    hv --mem=2 "$CORPUS/$1"
    halted
}

# --- Controls: the generator is right, so refusals below are meaningful ---

@test "elf: valid.hvt runs and halts with status 7" { check_valid valid.hvt; }
@test "elf: valid-solo5.hvt (interp, empty and BSS-only loads, OpenBSD note)" { check_valid valid-solo5.hvt; }
@test "elf: valid-osabi.hvt (EI_OSABI and EI_ABIVERSION are not checked)" { check_valid valid-osabi.hvt; }
@test "elf: valid-edge.hvt (a segment ending exactly at the end of memory)" { check_valid valid-edge.hvt; }

@test "elf: valid-blk.hvt runs with its block device attached" {
    hv --mem=2 --block:storage="$DISK" "$CORPUS/valid-blk.hvt"
    halted
}

@test "elf: every generated image has a test here" {
    local name missing=()
    while IFS=$'\t' read -r name _; do
        grep -qE "check_(case|valid) $name;" "$BATS_TEST_FILENAME" || missing+=("$name")
    done < <(cat "$CORPUS/cases.txt" "$CORPUS/valid.txt")
    [ "${#missing[@]}" -eq 0 ] || { echo "no test for: ${missing[*]}"; return 1; }
}

# --- Refusals: one image, one defect ---

@test "elf: bad-empty.hvt is refused" { check_case bad-empty.hvt; }
@test "elf: bad-short.hvt is refused" { check_case bad-short.hvt; }
@test "elf: bad-magic.hvt is refused" { check_case bad-magic.hvt; }
@test "elf: bad-class32.hvt is refused" { check_case bad-class32.hvt; }
@test "elf: bad-bigendian.hvt is refused" { check_case bad-bigendian.hvt; }
@test "elf: bad-version.hvt is refused" { check_case bad-version.hvt; }
@test "elf: bad-version0.hvt is refused" { check_case bad-version0.hvt; }
@test "elf: bad-ehsize.hvt is refused" { check_case bad-ehsize.hvt; }
@test "elf: bad-phentsize.hvt is refused" { check_case bad-phentsize.hvt; }
@test "elf: bad-phnum0.hvt is refused" { check_case bad-phnum0.hvt; }
@test "elf: bad-type-dyn.hvt is refused" { check_case bad-type-dyn.hvt; }
@test "elf: bad-type-rel.hvt is refused" { check_case bad-type-rel.hvt; }
@test "elf: bad-machine.hvt is refused" { check_case bad-machine.hvt; }
@test "elf: bad-entry-low.hvt is refused" { check_case bad-entry-low.hvt; }
@test "elf: bad-entry-zero.hvt is refused" { check_case bad-entry-zero.hvt; }
@test "elf: bad-entry-high.hvt is refused" { check_case bad-entry-high.hvt; }
@test "elf: bad-entry-at-mem.hvt is refused" { check_case bad-entry-at-mem.hvt; }
@test "elf: bad-entry-huge.hvt is refused" { check_case bad-entry-huge.hvt; }
@test "elf: bad-phoff-eof.hvt is refused" { check_case bad-phoff-eof.hvt; }
@test "elf: bad-phoff-straddle.hvt is refused" { check_case bad-phoff-straddle.hvt; }
@test "elf: bad-phoff-wrap.hvt is refused" { check_case bad-phoff-wrap.hvt; }
@test "elf: bad-phnum-eof.hvt is refused" { check_case bad-phnum-eof.hvt; }
@test "elf: bad-note-filesz.hvt is refused" { check_case bad-note-filesz.hvt; }
@test "elf: bad-note-filesz0.hvt is refused" { check_case bad-note-filesz0.hvt; }
@test "elf: bad-note-short.hvt is refused" { check_case bad-note-short.hvt; }
@test "elf: bad-note-descsz-max.hvt is refused" { check_case bad-note-descsz-max.hvt; }
@test "elf: bad-note-descsz0.hvt is refused" { check_case bad-note-descsz0.hvt; }
@test "elf: bad-note-descsz-wrap.hvt is refused" { check_case bad-note-descsz-wrap.hvt; }
@test "elf: bad-mft-descsz-max.hvt is refused" { check_case bad-mft-descsz-max.hvt; }
@test "elf: bad-mft-descsz1.hvt is refused" { check_case bad-mft-descsz1.hvt; }
@test "elf: bad-mft-descsz-pad.hvt is refused" { check_case bad-mft-descsz-pad.hvt; }
@test "elf: bad-note-offset-eof.hvt is refused" { check_case bad-note-offset-eof.hvt; }
@test "elf: bad-note-offset-wrap.hvt is refused" { check_case bad-note-offset-wrap.hvt; }
@test "elf: bad-abi-missing.hvt is refused" { check_case bad-abi-missing.hvt; }
@test "elf: bad-abi-name.hvt is refused" { check_case bad-abi-name.hvt; }
@test "elf: bad-abi-namesz.hvt is refused" { check_case bad-abi-namesz.hvt; }
@test "elf: bad-abi-target.hvt is refused" { check_case bad-abi-target.hvt; }
@test "elf: bad-abi-version1.hvt is refused" { check_case bad-abi-version1.hvt; }
@test "elf: bad-abi-version3.hvt is refused" { check_case bad-abi-version3.hvt; }
@test "elf: bad-mft-missing.hvt is refused" { check_case bad-mft-missing.hvt; }
@test "elf: bad-mft-version.hvt is refused" { check_case bad-mft-version.hvt; }
@test "elf: bad-mft-entries0.hvt is refused" { check_case bad-mft-entries0.hvt; }
@test "elf: bad-mft-entries65.hvt is refused" { check_case bad-mft-entries65.hvt; }
@test "elf: bad-mft-entries-wrap.hvt is refused" { check_case bad-mft-entries-wrap.hvt; }
@test "elf: bad-mft-size.hvt is refused" { check_case bad-mft-size.hvt; }
@test "elf: bad-mft-payload7.hvt is refused" { check_case bad-mft-payload7.hvt; }
@test "elf: bad-mft-entries-short.hvt is refused" { check_case bad-mft-entries-short.hvt; }
@test "elf: bad-mft-e0-type.hvt is refused" { check_case bad-mft-e0-type.hvt; }
@test "elf: bad-mft-e0-name.hvt is refused" { check_case bad-mft-e0-name.hvt; }
@test "elf: bad-mft-e0-name67.hvt is refused" { check_case bad-mft-e0-name67.hvt; }
@test "elf: bad-mft-e0-attached.hvt is refused" { check_case bad-mft-e0-attached.hvt; }
@test "elf: bad-mft-e1-name67.hvt is refused" { check_case bad-mft-e1-name67.hvt; }
@test "elf: bad-mft-e1-attached.hvt is refused" { check_case bad-mft-e1-attached.hvt; }
@test "elf: bad-load-vaddr-low.hvt is refused" { check_case bad-load-vaddr-low.hvt; }
@test "elf: bad-load-unsorted.hvt is refused" { check_case bad-load-unsorted.hvt; }
@test "elf: bad-load-overlap.hvt is refused" { check_case bad-load-overlap.hvt; }
@test "elf: bad-load-overlap-align.hvt is refused" { check_case bad-load-overlap-align.hvt; }
@test "elf: bad-load-start-low.hvt is refused" { check_case bad-load-start-low.hvt; }
@test "elf: bad-load-align0.hvt is refused" { check_case bad-load-align0.hvt; }
@test "elf: bad-load-align-npot.hvt is refused" { check_case bad-load-align-npot.hvt; }
@test "elf: bad-load-vaddr-mem.hvt is refused" { check_case bad-load-vaddr-mem.hvt; }
@test "elf: bad-load-filesz-mem.hvt is refused" { check_case bad-load-filesz-mem.hvt; }
@test "elf: bad-load-filesz-wrap.hvt is refused" { check_case bad-load-filesz-wrap.hvt; }
@test "elf: bad-load-memsz-small.hvt is refused" { check_case bad-load-memsz-small.hvt; }
@test "elf: bad-load-memsz-wrap.hvt is refused" { check_case bad-load-memsz-wrap.hvt; }
@test "elf: bad-load-memsz-huge.hvt is refused" { check_case bad-load-memsz-huge.hvt; }
@test "elf: bad-load-memsz-mem.hvt is refused" { check_case bad-load-memsz-mem.hvt; }
@test "elf: bad-load-align16.hvt is refused" { check_case bad-load-align16.hvt; }
@test "elf: bad-load-unaligned-start.hvt is refused" { check_case bad-load-unaligned-start.hvt; }
@test "elf: bad-load-wx.hvt is refused" { check_case bad-load-wx.hvt; }
@test "elf: bad-load-wx-noread.hvt is refused" { check_case bad-load-wx-noread.hvt; }
@test "elf: bad-load-offset-eof.hvt is refused" { check_case bad-load-offset-eof.hvt; }
@test "elf: bad-load-offset-straddle.hvt is refused" { check_case bad-load-offset-straddle.hvt; }
@test "elf: bad-load-offset-wrap.hvt is refused" { check_case bad-load-offset-wrap.hvt; }
@test "elf: bad-truncated.hvt is refused" { check_case bad-truncated.hvt; }

# --- Command line (HVT-ABI 6) ---

@test "cli: --help prints usage and exits 1" {
    hv --help
    not_killed
    [ "$status" -eq 1 ] || { echo "status $status"; return 1; }
    [[ "$output$stderr" == *[Uu]sage* && "$output$stderr" == *KERNEL* ]] ||
        { echo "no usage in: $output$stderr"; return 1; }
}

@test "cli: --version prints the version and ABI version 2, exits 0" {
    hv --version
    [ "$status" -eq 0 ] || { echo "status $status; stderr: $stderr"; return 1; }
    [[ "$stderr" =~ version\ [0-9] ]] || { echo "no version in: $stderr"; return 1; }
    [[ "$stderr" == *"ABI version 2"* ]] || { echo "no ABI version in: $stderr"; return 1; }
}

@test "cli: --version wins over a KERNEL that follows it" {
    hv --version "$CORPUS/valid.hvt"
    [ "$status" -eq 0 ] || { echo "status $status; stderr: $stderr"; return 1; }
}

@test "cli: no arguments: Missing KERNEL operand" {
    hv
    refused "Missing KERNEL operand"
}

@test "cli: options only: Missing KERNEL operand" {
    hv --mem=2
    refused "Missing KERNEL operand"
}

@test "cli: nothing after --: Missing KERNEL operand" {
    hv --mem=2 --
    refused "Missing KERNEL operand"
}

@test "cli: unknown option: Invalid option" {
    hv --mem=2 --bogus "$CORPUS/valid.hvt"
    refused "Invalid option"
    [[ "$stderr" == *--bogus* ]] || { echo "option not named: $stderr"; return 1; }
}

@test "cli: --mem=abc is malformed" {
    hv --mem=abc "$CORPUS/valid.hvt"
    refused "Malformed argument to --mem"
}

@test "cli: --mem=0 is malformed" {
    hv --mem=0 "$CORPUS/valid.hvt"
    refused "Malformed argument to --mem"
}

@test "cli: --mem= (empty) is malformed" {
    hv --mem= "$CORPUS/valid.hvt"
    refused "Malformed argument to --mem"
}

@test "cli: --mem=8192 exceeds the maximum" {
    hv --mem=8192 "$CORPUS/valid.hvt"
    refused "exceeds the max size 4294967296 bytes"
}

@test "cli: --mem=4096 (the maximum) runs" {
    hv --mem=4096 "$CORPUS/valid.hvt"
    halted
}

@test "cli: --mem=3 is adjusted to 2 MiB and runs" {
    hv --mem=3 "$CORPUS/valid.hvt"
    halted
    [[ "$stderr" == *"adjusting memory"* ]] || { echo "no warning in: $stderr"; return 1; }
}

@test "cli: a repeated option: the last one wins" {
    hv --mem=8192 --mem=2 "$CORPUS/valid.hvt"
    halted
}

@test "cli: default memory runs" {
    hv "$CORPUS/valid.hvt"
    halted
}

@test "cli: a nonexistent KERNEL: Could not open" {
    hv --mem=2 "$BATS_TEST_TMPDIR/nonexistent.hvt"
    refused "Could not open"
}

@test "cli: KERNEL after --" {
    hv --mem=2 -- "$CORPUS/valid.hvt"
    halted
}

@test "cli: guest arguments starting with - are passed through" {
    hv --mem=2 "$CORPUS/valid.hvt" --mem=abc --help --version --bogus -- -x
    halted
}

@test "cli: a guest command line of 8191 characters runs" {
    hv --mem=2 "$CORPUS/valid.hvt" "$(printf 'a%.0s' {1..8191})"
    halted
}

@test "cli: a guest command line of 8192 characters is too long" {
    hv --mem=2 "$CORPUS/valid.hvt" "$(printf 'a%.0s' {1..8192})"
    refused "Guest command line too long"
}

@test "cli: guest arguments joined by spaces count toward the limit" {
    local half
    half=$(printf 'a%.0s' {1..4096})
    hv --mem=2 "$CORPUS/valid.hvt" "$half" "$half"
    refused "Guest command line too long"
}

@test "cli: --block: with an unopenable file: Could not open block device" {
    hv --mem=2 --block:storage=/nonexistent "$CORPUS/valid-blk.hvt"
    refused "Could not open block device"
}

@test "cli: a declared device left unattached" {
    hv --mem=2 "$CORPUS/valid-blk.hvt"
    refused "declared but not attached"
    [[ "$stderr" == *storage* ]] || { echo "device not named: $stderr"; return 1; }
}

@test "cli: --block: for an undeclared name: Resource not declared in manifest" {
    hv --mem=2 --block:nosuch="$DISK" "$CORPUS/valid-blk.hvt"
    refused "Resource not declared in manifest"
}

@test "cli: --net: for a block device: Resource not declared in manifest" {
    hv --mem=2 --block:storage="$DISK" --net:storage=tap0 "$CORPUS/valid-blk.hvt"
    refused "Resource not declared in manifest"
}

@test "cli: --block: with a name outside [A-Za-z0-9]: Invalid option" {
    hv --mem=2 --block:bad-name="$DISK" "$CORPUS/valid-blk.hvt"
    refused "Invalid option"
}

@test "cli: --block-sector-size: not a power of two" {
    hv --mem=2 --block-sector-size:storage=1000 --block:storage="$DISK" "$CORPUS/valid-blk.hvt"
    refused "Block size must be a multiple of 2"
}
