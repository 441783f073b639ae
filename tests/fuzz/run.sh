#!/bin/sh
# tests/fuzz/run.sh SRCDIR BUILDDIR: `make fuzz`.
#
# Configures BUILDDIR with clang --enable-fuzzing (once; no -Werror:
# clang warns about things gcc, the build of record, does not), builds the fuzz
# targets, then fuzzes each for FUZZ_SECONDS over a working copy of its
# checked-in seed corpus (tests/fuzz/corpus/TARGET) plus its kept crash
# inputs (tests/fuzz/regressions/TARGET). A crash stops that target; the
# input is copied to tests/fuzz/regressions/TARGET/ in the source tree, to
# be fixed and kept. Prints one line per target, then
# "fuzz: N targets passed, M failed"; exits 1 if any failed.
set -u
src=$1
build=$2
seconds=${FUZZ_SECONDS:-20}
# A fixed seed by default, so a CI run's exploration can be replayed;
# FUZZ_SEED=0 lets libFuzzer pick one.
targets=${FUZZ_TARGETS:?}
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-2}

command -v "$cc" >/dev/null 2>&1 || { echo "fuzz: $cc not found (install clang)" >&2; exit 1; }
mkdir -p "$build" || exit 1
if [ ! -f "$build/Makefile" ]; then
    (cd "$build" && "$src/configure" CC="$cc" --enable-fuzzing \
        --disable-static-monitor >configure.log 2>&1) ||
        { echo "fuzz: configure failed, see $build/configure.log" >&2; exit 1; }
fi
make -C "$build" -j"$jobs" fuzz-targets >"$build/make.log" 2>&1 ||
    { tail -n 30 "$build/make.log" >&2; echo "fuzz: build failed, see $build/make.log" >&2; exit 1; }

pass=0 fail=0
for t in $targets; do
    name=${t##*/}
    work=$build/work/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$src/tests/fuzz/corpus/$name"/* "$work/corpus/" 2>/dev/null
    cp "$src/tests/fuzz/regressions/$name"/* "$work/corpus/" 2>/dev/null
    log=$work/fuzz.log
    # halt_on_error: any sanitizer report is a failure; no leak detection
    # in the fuzzing loop (hostd's allocations outlive an input by design).
    # close_fd_mask: the targets' own messages (the loader's refusals) are
    # noise; libFuzzer and the sanitizers keep a copy of stderr for theirs.
    ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/$t" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -close_fd_mask=3 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "fuzz: $name: ok, ${execs:-0} executions in ${seconds}s, coverage ${cov:-?}"
    else
        fail=$((fail + 1))
        mkdir -p "$src/tests/fuzz/regressions/$name"
        for a in "$work/artifacts"/*; do
            [ -f "$a" ] && cp "$a" "$src/tests/fuzz/regressions/$name/"
        done
        echo "fuzz: $name: FAILED after ${execs:-?} executions (exit $rc); input kept in" \
            "tests/fuzz/regressions/$name/; log $log"
        grep -A 12 -m 1 'ERROR\|runtime error\|deadly signal' "$log" | sed 's/^/    /'
    fi
done
echo "fuzz: $pass targets passed, $fail failed"
[ "$fail" -eq 0 ]
