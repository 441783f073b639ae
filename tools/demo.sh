#!/bin/sh
# tools/demo.sh BUILDDIR: the Skiff demo. Run by `make demo` (and so by
# `tools/dev.sh demo`). First skiff-hv on its own, then hostd on a state
# directory of its own with the skiff CLI walking unikernels through their
# life cycle, CPU pools and scheduling, and cpupool-numa-split and NUMA
# placement on a synthetic topology (tests/tools/mktopo of BUILDDIR).
set -eu
b=${1:?usage: demo.sh BUILDDIR}
hv=$b/hypervisor/monitor/skiff-hv
ex=$b/hypervisor/examples
skiff=$b/client/skiff
state=$b/demo-state
pki_tool=$(cd "$(dirname "$0")/.." && pwd)/client/skiff-pki

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [ ! -w /dev/kvm ]; then
    echo "demo: /dev/kvm is missing or not writable: skiff-hv needs KVM" >&2
    exit 1
fi

say "skiff-hv alone: hello greets and exits 0"
"$hv" --mem=16 "$ex/hello.hvt" Hello from the Skiff demo

say "skiff-hv alone: a truncated image is refused, not run"
tmp=$(mktemp -d)
hostd_pid=
hostd2_pid=
numa_pid=
cleanup() {
    if [ -n "$hostd_pid" ]; then
        for d in hello ticker web tenant-web; do "$skiff" destroy "$d" >/dev/null 2>&1 || true; done
        kill -TERM "$hostd_pid" 2>/dev/null || true
        wait "$hostd_pid" 2>/dev/null || true
    fi
    if [ -n "${hostd2_pid:-}" ]; then
        kill -TERM "$hostd2_pid" 2>/dev/null || true
        wait "$hostd2_pid" 2>/dev/null || true
    fi
    if [ -n "$numa_pid" ]; then
        kill -TERM "$numa_pid" 2>/dev/null || true
        wait "$numa_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
head -c 100 "$ex/hello.hvt" > "$tmp/truncated.hvt"
"$hv" "$tmp/truncated.hvt" || echo "(exit status $?)"

say "hostd: the management daemon, on an embedded state directory"
rm -rf "$state"
# A CA, a certificate for this host and one for a remote user, so hostd
# also serves remote clients over mutual TLS on loopback.
sh "$pki_tool" init "$tmp/pki" >/dev/null
sh "$pki_tool" host "$tmp/pki" localhost --ip 127.0.0.1 >/dev/null
sh "$pki_tool" client "$tmp/pki" demo >/dev/null
SKIFF_HV=$hv "$b/daemon/hostd" --foreground --state-dir "$state" \
    --listen-tls 127.0.0.1:0 --tls-cert "$tmp/pki/host-localhost.pem" \
    --tls-key "$tmp/pki/host-localhost-key.pem" --tls-ca "$tmp/pki/ca.pem" \
    2>"$tmp/hostd.log" &
hostd_pid=$!
export SKIFF_URI="unix://$state/hostd.sock"
for _ in $(seq 100); do "$skiff" list >/dev/null 2>&1 && break; sleep 0.05; done
echo "hostd (pid $hostd_pid) serving $SKIFF_URI"

cat > "$tmp/hello.cfg" <<CFG
name = "hello"
kernel = "$ex/hello.hvt"
memory = 16
cmdline = "Hello through hostd"
on_poweroff = "preserve"
CFG
cat > "$tmp/ticker.cfg" <<CFG
# A unikernel that ticks every 100 ms and handles shutdown requests.
name = "ticker"
kernel = "$ex/ticker.hvt"
memory = 16
CFG

say "define ticker (persistent), create hello (transient; it halts at once)"
run "$skiff" define "$tmp/ticker.cfg"
run "$skiff" create "$tmp/hello.cfg"
sleep 0.3
run "$skiff" list -l

say "a remote client: the same list over mutual TLS (certificate CN=demo,O=Skiff)"
tls_uri="tls://$(head -n 1 "$state/tls.ports")"
run env SKIFF_TLS_CA="$tmp/pki/ca.pem" SKIFF_TLS_CERT="$tmp/pki/client-demo.pem" \
    SKIFF_TLS_KEY="$tmp/pki/client-demo-key.pem" "$skiff" -c "$tls_uri" list
grep "TLS client '" "$tmp/hostd.log" | sed 's/^.*info: /hostd log: /'

say "start ticker, watch its console for a moment"
run "$skiff" start ticker
sleep 0.5
timeout 1 "$skiff" console ticker || true

say "pause and unpause: the counter stops, then goes on"
run "$skiff" pause ticker
run "$skiff" list
run "$skiff" unpause ticker

say "save ticker to a file (it stops), then restore it: the counter goes on, no reboot"
run "$skiff" save ticker "$tmp/ticker.snap"
run "$skiff" list
run "$skiff" restore "$tmp/ticker.snap"
timeout 1 "$skiff" console --no-history ticker || true
run "$skiff" save -c ticker "$tmp/ticker.snap"

say "live migration: a second hostd (its own state, the same PKI); ticker moves there"
SKIFF_HV=$hv "$b/daemon/hostd" --foreground --state-dir "$tmp/state2" --config /dev/null \
    --listen-tls 127.0.0.1:0 --tls-cert "$tmp/pki/host-localhost.pem" \
    --tls-key "$tmp/pki/host-localhost-key.pem" --tls-ca "$tmp/pki/ca.pem" \
    2>"$tmp/hostd2.log" &
hostd2_pid=$!
uri2="unix://$tmp/state2/hostd.sock"
for _ in $(seq 100); do "$skiff" -c "$uri2" list >/dev/null 2>&1 && break; sleep 0.05; done
run "$skiff" migrate --live ticker "$(head -n 1 "$tmp/state2/tls.ports")"
run "$skiff" list
run "$skiff" -c "$uri2" list
timeout 1 "$skiff" -c "$uri2" console --no-history ticker || true
say "and back (not live: paused, then copied)"
run "$skiff" -c "$uri2" migrate ticker "$(head -n 1 "$state/tls.ports")"
kill -TERM "$hostd2_pid" 2>/dev/null || true
wait "$hostd2_pid" 2>/dev/null || true
hostd2_pid=

say "graceful shutdown: the guest is asked, says goodbye and halts"
run "$skiff" shutdown -w ticker
run "$skiff" --json dominfo ticker

say "the event log"
timeout 1 "$skiff" events || true

say "clean up: destroy hello, undefine ticker"
run "$skiff" destroy hello
run "$skiff" undefine ticker
run "$skiff" list

say "CPU pools: Pool-0 holds every online CPU of this host"
run "$skiff" cpupool-list -c
run "$skiff" create "$tmp/ticker.cfg"
run "$skiff" vcpu-list
last=$(($(nproc) - 1))
if [ "$last" -gt 0 ]; then
    say "a pool of its own for ticker: CPU $last leaves Pool-0, ticker moves there live"
    printf 'name = "solo"\ncpus = "%s"\n' "$last" > "$tmp/solo.cfg"
    run "$skiff" cpupool-cpu-remove Pool-0 "$last"
    run "$skiff" cpupool-create "$tmp/solo.cfg"
    run "$skiff" cpupool-migrate ticker solo
    run "$skiff" cpupool-list
    run "$skiff" vcpu-list ticker
fi
run "$skiff" sched-credit -d ticker -w 512 -c 50
run "$skiff" sched-credit
run "$skiff" destroy ticker

say "a synthetic 4-node, 16-CPU host (hostd --sysfs-root): cpupool-numa-split"
mktopo=$b/tests/tools/mktopo
"$mktopo" "$tmp/topo" --cpus 16 --nodes 4 --node-mem 4096,4096,4096,4096 \
    --node-free 3000,1000,3500,2000
SKIFF_HV=$hv "$b/daemon/hostd" --foreground --state-dir "$tmp/numa-state" \
    --sysfs-root "$tmp/topo" --config /dev/null 2>"$tmp/numa.log" &
numa_pid=$!
numa_uri="unix://$tmp/numa-state/hostd.sock"
for _ in $(seq 100); do "$skiff" -c "$numa_uri" list >/dev/null 2>&1 && break; sleep 0.05; done
run "$skiff" -c "$numa_uri" info -n
say "automatic NUMA placement: ticker goes to the node with the most free memory"
run "$skiff" -c "$numa_uri" create "$tmp/ticker.cfg"
"$skiff" -c "$numa_uri" dominfo ticker | grep -E "^(Name|Pool|NUMA nodes):"
run "$skiff" -c "$numa_uri" vcpu-list
run "$skiff" -c "$numa_uri" destroy ticker
say "cpupool-numa-split: one pool per node"
run "$skiff" -c "$numa_uri" cpupool-list
run "$skiff" -c "$numa_uri" cpupool-numa-split
run "$skiff" -c "$numa_uri" cpupool-list
run "$skiff" -c "$numa_uri" cpupool-list -c
say "security: hostd again, now with the FLASK policy (flask module)"
kill -TERM "$hostd_pid"
wait "$hostd_pid" 2>/dev/null || true
hostd_pid=
hostd2_pid=
# Root is the administrator; uid 64101 (no account needed) is tenant A.
chmod 755 "$tmp"
cat > "$tmp/labels" <<LABELS
uid 0      system_u:system_r:admin_t
uid 64101  tenant_u:tenant_r:tenant_a_t
LABELS
cat > "$tmp/hostd.conf" <<CONF
security_module = "flask"
policy = "$b/policy/skiff.policy"
labels = "$tmp/labels"
CONF
fstate=$tmp/state
mkdir -m 755 "$fstate"
SKIFF_HV=$hv "$b/daemon/hostd" --foreground --state-dir "$fstate" --config "$tmp/hostd.conf" \
    2>"$tmp/hostd.log" &
hostd_pid=$!
export SKIFF_URI="unix://$fstate/hostd.sock"
for _ in $(seq 100); do "$skiff" list >/dev/null 2>&1 && break; sleep 0.05; done
run "$skiff" getenforce
run "$skiff" create "$tmp/ticker.cfg" name=web
run "$skiff" labels

if command -v setpriv >/dev/null && [ -x "$b/client/.libs/skiff" ]; then
    # The tenant's client: a copy it may run, wherever the build tree is.
    mkdir -m 755 "$tmp/bin"
    cp "$b/client/.libs/skiff" "$tmp/bin/"
    cp -P "$b"/client/.libs/libskiff.so* "$tmp/bin/"
    cp "$ex/ticker.hvt" "$tmp/bin/"
    chmod -R a+rX "$tmp/bin"
    tenant() {
        printf '$ [tenant A, uid 64101] skiff %s\n' "$*"
        setpriv --reuid=64101 --regid=64101 --clear-groups \
            env LD_LIBRARY_PATH="$tmp/bin" SKIFF_URI="$SKIFF_URI" "$tmp/bin/skiff" "$@"
    }
    say "tenant A may not touch the administrator's domain: denied, with the decision"
    tenant destroy web || echo "(exit status $?)"
    say "tenant A runs a domain of its own: allowed, labelled tenant_a_domU_t"
    tenant create "$tmp/ticker.cfg" name=tenant-web kernel="$tmp/bin/ticker.hvt"
    tenant list
    tenant labels
    tenant destroy tenant-web
    say "the administrator reads the denials"
    run "$skiff" audit
else
    echo "(setpriv not found: the tenant part of the demo is skipped)"
fi
run "$skiff" destroy web

say "demo complete"
