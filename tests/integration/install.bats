#!/usr/bin/env bats
# Installation: `make install DESTDIR=...` from the build tree puts every
# file where it belongs (honouring the configured directories), and what it
# installs works from there: the programs, the systemd unit, the default
# configuration, and the header, library and pkg-config file together.
# Last, the Debian packages are built and unpacked (about 20 s of the file's
# 25 s on 2 cores). Needs systemd (systemd-analyze), man-db, debhelper.

load helpers

BUILD="${SKIFF_HV%/hypervisor/monitor/skiff-hv}"

# A make of the build tree, free of the outer make's job server.
build_make() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" "$@"
}

# refute CMD...: fail if CMD succeeds (a bare `! CMD` never fails a bats test).
refute() {
    if "$@"; then return 1; fi
}

# need CMD PACKAGE: fail loudly, naming the Debian package, if CMD is missing.
need() {
    command -v "$1" >/dev/null || { echo "FATAL: $1 not found (apt-get install $2)"; return 1; }
}

# makevar NAME: a variable of the build tree's Makefile, fully expanded.
makevar() {
    printf 'print-var:\n\t@echo $(%s)\n' "$1" |
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" -f Makefile -f - print-var
}

setup_file() {
    export ROOT
    ROOT=$(mktemp -d /tmp/skiff-install.XXXXXX)
    build_make install DESTDIR="$ROOT" >"$ROOT.log" 2>&1 ||
        { cat "$ROOT.log" >&2; return 1; }
    local v
    for v in prefix bindir sbindir libdir includedir mandir sysconfdir localstatedir runstatedir; do
        export "I_$v=$(makevar "$v")"
    done
    export LD_LIBRARY_PATH="$ROOT$I_libdir"
}

teardown_file() {
    rm -rf "$ROOT" "$ROOT.log"
}

setup() {
    TMP=$(mktemp -d)
}

teardown() {
    [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}

@test "installed skiff, hostd and skiff-hv run and report the version" {
    local version
    version=$(makevar PACKAGE_VERSION)
    run "$ROOT$I_bindir/skiff" --version
    [ "$status" -eq 0 ] && [[ "$output" == "skiff $version "* ]] || { echo "$output"; false; }
    run "$ROOT$I_sbindir/hostd" --version
    [ "$status" -eq 0 ] && [[ "$output" == *"$version"* ]] || { echo "$output"; false; }
    run "$ROOT$I_bindir/skiff-hv" --version
    [ "$status" -eq 0 ] && [[ "$output" == *skiff-hv* ]] || { echo "$output"; false; }
    # skiff uses the installed shared libskiff, not a copy linked in.
    run ldd "$ROOT$I_bindir/skiff"
    [[ "$output" == *"libskiff.so.0 => $ROOT$I_libdir/libskiff.so.0"* ]] || { echo "$output"; false; }
}

@test "manual pages, header, library and pkg-config file are installed" {
    local f
    for f in man1/skiff.1 man1/skiff-hv.1 man1/skiff-pki.1 man5/skiff.cfg.5 man8/hostd.8; do
        [ -f "$ROOT$I_mandir/$f" ] || { echo "missing $I_mandir/$f"; false; }
    done
    [ -x "$ROOT$I_bindir/skiff-pki" ]
    [ -f "$ROOT$I_includedir/skiff/skiff.h" ]
    [ -f "$ROOT$I_libdir/pkgconfig/libskiff.pc" ]
    [ -L "$ROOT$I_libdir/libskiff.so" ]
    [ -e "$ROOT$I_libdir/libskiff.so.0" ]
    # Nothing else lands in the root (no tests, guests or static archives).
    run find "$ROOT" -name '*.a' -o -name '*.hvt' -o -name 'test-*'
    [ -z "$output" ] || { echo "unexpected: $output"; false; }
}

@test "a program builds against the installed header and library via pkg-config" {
    export PKG_CONFIG_PATH="$ROOT$I_libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$ROOT"
    run pkg-config --modversion libskiff
    [ "$output" = "$(makevar PACKAGE_VERSION)" ]
    run pkg-config --cflags --libs libskiff
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ "$output" == *"-I$ROOT$I_includedir"* && "$output" == *-lskiff* ]] || { echo "$output"; false; }
    cat >"$TMP/hello.c" <<'EOF'
#include <stdio.h>
#include <skiff/skiff.h>

int main(void)
{
    printf("libskiff %s\n", skiff_version());
    return 0;
}
EOF
    # The public header must be clean C for any user's warning flags.
    run cc -std=c11 -Wall -Wextra -Werror -o "$TMP/hello" "$TMP/hello.c" \
        $(pkg-config --cflags --libs libskiff)
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run "$TMP/hello"
    [ "$status" -eq 0 ] && [[ "$output" == "libskiff "* ]] || { echo "$output"; false; }
}

@test "the installed unit runs the installed hostd and passes systemd-analyze verify" {
    local unit="$ROOT$I_prefix/lib/systemd/system/hostd.service"
    need systemd-analyze systemd
    need man man-db
    [ -f "$unit" ]
    grep -qx "ExecStart=$I_sbindir/hostd --foreground" "$unit"
    refute grep -n '@' "$unit"
    [ -x "$ROOT$I_sbindir/hostd" ]
    # verify checks that ExecStart= is executable and runs `man` for each
    # Documentation=man: page. --root= would need a whole systemd tree in the
    # scratch root, so verify the unit as it is, but with ExecStart= pointing
    # into the root and the manual pages found there. (systemd need not be
    # running: verify only loads the unit.)
    sed "s|^ExecStart=$I_sbindir/|ExecStart=$ROOT$I_sbindir/|" "$unit" >"$TMP/hostd.service"
    run env MANPATH="$ROOT$I_mandir" systemd-analyze verify "$TMP/hostd.service"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ -z "$output" ] || { echo "warnings: $output"; false; }
}

@test "the default hostd.conf documents every key of hostd(8), commented out" {
    local conf="$ROOT$I_sysconfdir/skiff/hostd.conf"
    [ -f "$conf" ]
    refute grep -n '@' "$conf"
    # Nothing is set: every non-blank line is a comment.
    refute grep -nEv '^(#|$)' "$conf"
    # The keys of hostd(8)'s CONFIGURATION section, each once as #key = default.
    local keys
    keys=$(sed -n '/^\.SH CONFIGURATION/,/^\.SH /s/^\.BR \([a-z_]*\) " = .*/\1/p' \
        "$SKIFF_SRCDIR/doc/hostd.8")
    [ -n "$keys" ]
    local k
    for k in $keys; do
        [ "$(grep -c "^#$k = " "$conf")" -eq 1 ] || { echo "key $k not in hostd.conf once"; false; }
    done
    # ... and no key the manual does not document.
    for k in $(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "$conf"); do
        grep -qx "$k" <<<"$keys" || { echo "key $k of hostd.conf is not in hostd(8)"; false; }
    done
    # The defaults shown are hostd's own (as its --help prints them).
    run "$ROOT$I_sbindir/hostd" --help
    grep -qx "#state_dir = \"$I_localstatedir/lib/skiff\"" "$conf"
    [[ "$output" == *"$I_localstatedir/lib/skiff"* ]] || { echo "$output"; false; }
    grep -qx "#listen_unix = \"$I_runstatedir/skiff/hostd.sock\"" "$conf"
    [[ "$output" == *"$I_runstatedir/skiff/hostd.sock"* ]] || { echo "$output"; false; }
    grep -qx "#monitor = \"$I_bindir/skiff-hv\"" "$conf"
}

@test "hostd accepts the default hostd.conf with every key set" {
    local conf="$ROOT$I_sysconfdir/skiff/hostd.conf"
    # Uncomment every key; point the paths into the test's directory, leave
    # out group (it may not exist on this machine), let metrics_listen and
    # listen_tls take any free port, with certificates the installed
    # skiff-pki makes.
    sh "$ROOT$I_bindir/skiff-pki" init "$TMP/pki" >/dev/null
    sh "$ROOT$I_bindir/skiff-pki" host "$TMP/pki" localhost --ip 127.0.0.1 >/dev/null
    sed -n 's/^#\([a-z_]* = \)/\1/p' "$conf" |
        sed -e "s|^state_dir = .*|state_dir = \"$TMP/state\"|" \
            -e "s|^listen_unix = .*|listen_unix = \"$TMP/hostd.sock\"|" \
            -e "s|^monitor = .*|monitor = \"$ROOT$I_bindir/skiff-hv\"|" \
            -e 's|^metrics_listen = .*|metrics_listen = "127.0.0.1:0"|' \
            -e 's|^listen_tls = .*|listen_tls = "127.0.0.1:0"|' \
            -e "s|^tls_cert = .*|tls_cert = \"$TMP/pki/host-localhost.pem\"|" \
            -e "s|^tls_key = .*|tls_key = \"$TMP/pki/host-localhost-key.pem\"|" \
            -e "s|^tls_ca = .*|tls_ca = \"$TMP/pki/ca.pem\"|" \
            -e '/^group = /d' >"$TMP/hostd.conf"
    local nkeys
    nkeys=$(grep -c '^#[a-z_]* = ' "$conf")
    [ "$(grep -c = "$TMP/hostd.conf")" -eq $((nkeys - 1)) ]
    "$ROOT$I_sbindir/hostd" --foreground --config "$TMP/hostd.conf" >"$TMP/log" 2>&1 &
    PID=$!
    local i
    for i in $(seq 100); do
        [ -S "$TMP/hostd.sock" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$TMP/hostd.sock" ] || { cat "$TMP/log"; false; }
    [ -f "$TMP/state/hostd.db" ]
    for i in $(seq 50); do [ -s "$TMP/state/metrics.port" ] && break; sleep 0.1; done
    [ -s "$TMP/state/metrics.port" ] || { cat "$TMP/log"; false; }
    [ -s "$TMP/state/tls.ports" ] || { cat "$TMP/log"; false; }
    refute grep -i 'unknown\|warn' "$TMP/log"
    kill -TERM "$PID"
    wait "$PID"
    PID=
}

@test "make uninstall removes every installed file" {
    build_make install DESTDIR="$TMP/root" >"$TMP/log" 2>&1 || { cat "$TMP/log"; false; }
    build_make uninstall DESTDIR="$TMP/root" >"$TMP/log" 2>&1 || { cat "$TMP/log"; false; }
    run find "$TMP/root" -type f -o -type l
    [ -z "$output" ] || { echo "left behind: $output"; false; }
}

# The Debian packages, built as `make deb` does (from a copy of the
# distribution, so neither tree is touched; about 20 s on 2 cores), then
# unpacked into a scratch root and run from there.
@test "dpkg-buildpackage builds hostd, skiff, libskiff0 and libskiff-dev, and they work" {
    local version dist arch
    need dpkg-buildpackage dpkg-dev
    need dh debhelper
    version=$(makevar PACKAGE_VERSION)
    dist="$TMP/skiff-$version"
    build_make distdir distdir="$dist" >"$TMP/log" 2>&1 || { cat "$TMP/log"; false; }
    chmod -R u+w "$dist"    # distcheck's source tree is read-only
    (cd "$dist" && dpkg-buildpackage -b -us -uc) >"$TMP/log" 2>&1 || { tail -40 "$TMP/log"; false; }
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    local p
    for p in hostd skiff libskiff0 libskiff-dev; do
        dpkg-deb -x "$TMP/${p}_${version}_amd64.deb" "$TMP/root" || { echo "no package $p"; false; }
    done
    export LD_LIBRARY_PATH="$TMP/root/usr/lib/$arch"
    run "$TMP/root/usr/bin/skiff" --version
    [ "$status" -eq 0 ] && [[ "$output" == "skiff $version "* ]] || { echo "$output"; false; }
    run "$TMP/root/usr/sbin/hostd" --version
    [ "$status" -eq 0 ] && [[ "$output" == *"$version"* ]] || { echo "$output"; false; }
    [ -x "$TMP/root/usr/bin/skiff-pki" ] && [ -f "$TMP/root/usr/share/man/man1/skiff-pki.1.gz" ]
    run "$TMP/root/usr/bin/skiff-hv" --version
    [ "$status" -eq 0 ] && [[ "$output" == *skiff-hv* ]] || { echo "$output"; false; }
    # The unit runs the packaged hostd; the configuration is a conffile.
    grep -qx 'ExecStart=/usr/sbin/hostd --foreground' "$TMP/root/lib/systemd/system/hostd.service"
    [ -f "$TMP/root/etc/skiff/hostd.conf" ]
    dpkg-deb -e "$TMP/hostd_${version}_amd64.deb" "$TMP/control"
    grep -qx /etc/skiff/hostd.conf "$TMP/control/conffiles"
    grep -q 'addgroup --system --quiet skiff' "$TMP/control/postinst"
    # libskiff-dev's pkg-config file and header build a program.
    # (Debian's paths are pkg-config's system paths: keep them, the sysroot prefixes them.)
    export PKG_CONFIG_PATH="$TMP/root/usr/lib/$arch/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$TMP/root" \
        PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
    printf '#include <skiff/skiff.h>\nint main(void) { return skiff_version()[0] == 0; }\n' >"$TMP/v.c"
    run cc -o "$TMP/v" "$TMP/v.c" $(pkg-config --cflags --libs libskiff)
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    "$TMP/v"
}
