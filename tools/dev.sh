#!/bin/sh
# tools/dev.sh demo|check|build
#
# The README's two commands. On a fresh Debian 12 machine (as root) this
# installs what Skiff needs, builds it out of tree in ./build, then runs
# the demo or the whole test suite. check also runs the suite under ASan
# and UBSan (./build-sanitizers) and fuzzes each fuzz target for
# FUZZ_SECONDS (./build/fuzz). Safe to run again: it installs only what is
# missing and rebuilds only what changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SKIFF_BUILD_DIR:-$top/build}
sanbuild=$build-sanitizers
jobs=$(nproc 2>/dev/null || echo 2)

# Build and test dependencies, by Debian package name.
DEPS="gcc make autoconf automake libtool pkg-config libc6-dev linux-libc-dev
libseccomp-dev libcmocka-dev protobuf-c-compiler libprotobuf-c-dev
libevent-dev libsqlite3-dev libsystemd-dev libssl-dev openssl libsepol-dev checkpolicy m4
sqlite3 jq bats iproute2 iputils-ping procps coreutils time curl
clang libclang-rt-14-dev
debhelper build-essential systemd man-db"

install_deps() {
    missing=
    for p in $DEPS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "dev.sh: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "dev.sh: installing$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

configure_and_build() {
    cd "$top"
    if [ ! -x configure ] || [ configure.ac -nt configure ]; then
        autoreconf -fi
    fi
    mkdir -p "$build"
    cd "$build"
    if [ ! -f Makefile ]; then
        "$top/configure" --enable-werror
    fi
    make -j"$jobs"
}

# The sanitizer build (ASan + UBSan) beside the normal one.
configure_and_build_sanitized() {
    mkdir -p "$sanbuild"
    cd "$sanbuild"
    if [ ! -f Makefile ]; then
        "$top/configure" --enable-werror --enable-sanitizers
    fi
    make -j"$jobs"
}

# Any sanitizer finding is fatal, in hostd, the CLI, the tests' tools and
# skiff-hv alike (leaks included: LeakSanitizer runs at each exit).
SANITIZER_ENV="ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=0
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"

# Show the failed tests' logs of build dir $1.
show_failures() {
    for f in $(find "$1/tests" -name '*.log' ! -name 'test-suite.log'); do
        if grep -qE '^(not ok|FAIL|ERROR)' "$f" 2>/dev/null; then
            echo "==> $f"
            cat "$f"
        fi
    done
    return 0   # under set -e a last grep that found nothing must not end the run
}

# Summarise the test-suite.log of each build and the fuzz run as one line:
# "tests: N passed, M failed[, K skipped]" (a fuzz target is one test). A
# suite that did not run counts as one failure.
summarise() {
    for log in "$build/test-suite.log" "$sanbuild/test-suite.log"; do
        if [ -f "$log" ]; then
            grep '^# [A-Z]*:' "$log"
        else
            printf '# TOTAL: 1\n# ERROR: 1\n'
        fi
    done >"$build/summary.in"
    if [ -f "$build/fuzz.out" ]; then
        cat "$build/fuzz.out" >>"$build/summary.in"
    else
        echo "fuzz: build failed (no fuzz run)" >>"$build/summary.in"
    fi
    awk '
        /^# TOTAL:/ { total += $3 }
        /^# PASS:/  { pass += $3 }
        /^# XFAIL:/ { pass += $3 }
        /^# SKIP:/  { skip += $3 }
        /^# FAIL:/  { fail += $3 }
        /^# XPASS:/ { fail += $3 }
        /^# ERROR:/ { fail += $3 }
        /^fuzz: [^ ]*: ok,/     { total++; pass++ }
        /^fuzz: [^ ]*: FAILED/  { total++; fail++ }
        /^fuzz: (build|configure) failed/ { total++; fail++ }
        END {
            if (total == 0) { fail += 1 }
            line = sprintf("tests: %d passed, %d failed", pass, fail)
            if (skip > 0) line = line sprintf(", %d skipped", skip)
            print line
            exit (fail > 0 || total == 0) ? 1 : 0
        }' "$build/summary.in"
}

case "${1:-}" in
build)
    install_deps
    configure_and_build
    ;;
demo)
    install_deps
    configure_and_build
    make demo
    ;;
check)
    # 1. The normal build and the whole suite. 2. The sanitizer build and
    # its unit and end-to-end tests (SANITIZER_LOAD_SECONDS of load).
    # 3. FUZZ_SECONDS of fuzzing per target. Then one summary line.
    install_deps
    configure_and_build
    status=0
    make -j"$jobs" check || { status=1; show_failures "$build"; }
    if configure_and_build_sanitized; then
        # ASan's quarantine (256 MiB) holds freed memory: hostd's growth
        # under load means nothing there; leaks are LeakSanitizer's job.
        env $SANITIZER_ENV make -j"$jobs" check-sanitizers \
            LOAD_SECONDS="${SANITIZER_LOAD_SECONDS:-15}" LOAD_MAX_GROWTH_KIB=1048576 ||
            { status=1; show_failures "$sanbuild"; }
    else
        status=1
        rm -f "$sanbuild/test-suite.log"
    fi
    make -C "$build" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}" 2>&1 | tee "$build/fuzz.out" ||
        status=1
    grep -q '^fuzz: .* 0 failed$' "$build/fuzz.out" || status=1
    summarise || status=1
    exit "$status"
    ;;
*)
    echo "usage: $0 demo|check|build" >&2
    exit 2
    ;;
esac
