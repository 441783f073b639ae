#!/bin/sh
# tools/demo.sh BUILDDIR: walk the example unikernels through their life
# on skiff-hv. Run by `make demo` (and so by `tools/dev.sh demo`).
set -eu
b=${1:?usage: demo.sh BUILDDIR}
hv=$b/hypervisor/monitor/skiff-hv
ex=$b/hypervisor/examples

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ ! -w /dev/kvm ]; then
    echo "demo: /dev/kvm is missing or not writable: skiff-hv needs KVM" >&2
    exit 1
fi

say "skiff-hv --version"
"$hv" --version

say "hello: a unikernel that greets and exits 0"
"$hv" --mem=16 "$ex/hello.hvt" Hello from the Skiff demo
echo "(exit status $?)"

say "ticker: prints a counter every 100 ms; here it stops itself after 5 ticks"
"$hv" --mem=16 "$ex/ticker.hvt" 5
echo "(exit status $?)"

say "ticker, stopped from outside: SIGTERM after one second"
"$hv" --mem=16 "$ex/ticker.hvt" &
pid=$!
sleep 1
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
echo "(exit status $status: stopped by the operator)"

say "a hostile image is refused, not run"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 100 "$ex/hello.hvt" > "$tmp/truncated.hvt"
status=0
"$hv" "$tmp/truncated.hvt" || status=$?
echo "(exit status $status)"

say "demo complete"
