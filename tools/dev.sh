#!/bin/sh
# tools/dev.sh demo|check|build
#
# The README's two commands. On a fresh Debian 12 machine (as root) this
# installs what Skiff needs, builds it out of tree in ./build, then runs
# the demo or the whole test suite. Safe to run again: it installs only
# what is missing and rebuilds only what changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SKIFF_BUILD_DIR:-$top/build}
jobs=$(nproc 2>/dev/null || echo 2)

# Build and test dependencies, by Debian package name.
DEPS="gcc make autoconf automake libtool pkg-config libc6-dev linux-libc-dev
libseccomp-dev libcmocka-dev protobuf-c-compiler libprotobuf-c-dev
libevent-dev libsqlite3-dev libsystemd-dev sqlite3 jq bats iproute2 iputils-ping procps coreutils time curl
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

# Summarise automake's test-suite.log as "tests: N passed, M failed[, K skipped]".
summarise() {
    log=$build/test-suite.log
    if [ ! -f "$log" ]; then
        echo "tests: 0 passed, 1 failed (no test-suite.log: the suite did not run)"
        return 1
    fi
    awk '
        /^# TOTAL:/ { total = $3 }
        /^# PASS:/  { pass += $3 }
        /^# XFAIL:/ { pass += $3 }
        /^# SKIP:/  { skip += $3 }
        /^# FAIL:/  { fail += $3 }
        /^# XPASS:/ { fail += $3 }
        /^# ERROR:/ { fail += $3 }
        END {
            if (total == 0) { fail += 1 }
            line = sprintf("tests: %d passed, %d failed", pass, fail)
            if (skip > 0) line = line sprintf(", %d skipped", skip)
            print line
            exit (fail > 0 || total == 0) ? 1 : 0
        }' "$log"
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
    install_deps
    configure_and_build
    status=0
    make -j"$jobs" check || status=$?
    # Show what failed, then the one-line summary CI reads.
    if [ "$status" -ne 0 ]; then
        for f in $(find "$build/tests" -name '*.log' ! -name 'test-suite.log'); do
            grep -qE '^(not ok|FAIL|ERROR)' "$f" 2>/dev/null && { echo "==> $f"; cat "$f"; }
        done
    fi
    summarise || status=1
    exit "$status"
    ;;
*)
    echo "usage: $0 demo|check|build" >&2
    exit 2
    ;;
esac
