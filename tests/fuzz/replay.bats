#!/usr/bin/env bats
# Every fuzz target, built with the plain driver (tests/fuzz/driver.c),
# replays its seed corpus and every crash input ever found (kept in
# tests/fuzz/regressions/TARGET). Under --enable-sanitizers any finding
# fails; in a plain build a crash or abort does.

replay() {
    local t=$1 bin="$SKIFF_TOOLS/../fuzz/$1" dirs=()
    [ -x "$bin" ]
    [ -d "$SKIFF_SRCDIR/tests/fuzz/corpus/$t" ]
    dirs+=("$SKIFF_SRCDIR/tests/fuzz/corpus/$t")
    [ -d "$SKIFF_SRCDIR/tests/fuzz/regressions/$t" ] && dirs+=("$SKIFF_SRCDIR/tests/fuzz/regressions/$t")
    run "$bin" "${dirs[@]}"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" inputs replayed"* ]]
}

@test "fuzz-config: seeds and regressions replay cleanly" { replay fuzz-config; }
@test "fuzz-elf: seeds and regressions replay cleanly" { replay fuzz-elf; }
@test "fuzz-rpc: seeds and regressions replay cleanly" { replay fuzz-rpc; }
@test "fuzz-snapshot: seeds and regressions replay cleanly" { replay fuzz-snapshot; }
@test "fuzz-labels: seeds and regressions replay cleanly" { replay fuzz-labels; }
