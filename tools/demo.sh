#!/bin/sh
# tools/demo.sh BUILDDIR: the Skiff demo. Run by `make demo` (and so by
# `tools/dev.sh demo`). First skiff-hv on its own, then hostd on a state
# directory of its own with the skiff CLI walking unikernels through their
# life cycle.
set -eu
b=${1:?usage: demo.sh BUILDDIR}
hv=$b/hypervisor/monitor/skiff-hv
ex=$b/hypervisor/examples
skiff=$b/client/skiff
state=$b/demo-state

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
cleanup() {
    if [ -n "$hostd_pid" ]; then
        for d in hello ticker; do "$skiff" destroy "$d" >/dev/null 2>&1 || true; done
        kill -TERM "$hostd_pid" 2>/dev/null || true
        wait "$hostd_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
head -c 100 "$ex/hello.hvt" > "$tmp/truncated.hvt"
"$hv" "$tmp/truncated.hvt" || echo "(exit status $?)"

say "hostd: the management daemon, on an embedded state directory"
rm -rf "$state"
SKIFF_HV=$hv "$b/daemon/hostd" --foreground --state-dir "$state" 2>"$tmp/hostd.log" &
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

say "graceful shutdown: the guest is asked, says goodbye and halts"
run "$skiff" shutdown -w ticker
run "$skiff" --json dominfo ticker

say "the event log"
timeout 1 "$skiff" events || true

say "clean up: destroy hello, undefine ticker"
run "$skiff" destroy hello
run "$skiff" undefine ticker
run "$skiff" list

say "demo complete"
