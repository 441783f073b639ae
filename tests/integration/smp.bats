#!/usr/bin/env bats
# SMP guests (skiff-hv --vcpus) and placement (--cpus, --mem-nodes,
# SetAffinity), with the smp test guest: every vCPU checks in.

load helpers

setup() {
    require_kvm
    TMP=$(mktemp -d)
    SOCK="$TMP/control.sock"
    HVCTL="$SKIFF_TOOLS/hvctl"
    SMP=$(guest smp)
    # The highest online CPU, so the tests hold on any machine.
    LAST=$(($(nproc) - 1))
}

teardown() {
    [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}

# start_bg [OPTIONS...] IMAGE [ARGS...]: skiff-hv in the background, output
# in $TMP/out and $TMP/err.
start_bg() {
    "$SKIFF_HV" "$@" >"$TMP/out" 2>"$TMP/err" &
    PID=$!
}

# start_managed [OPTIONS...] IMAGE [ARGS...]: the same with a control socket.
start_managed() {
    start_bg --control="$SOCK" "$@"
    for _ in $(seq 300); do
        [ -S "$SOCK" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    echo "no control socket: $(cat "$TMP/err")"
    return 1
}

ctl() {
    run timeout -k 10s 30 "$HVCTL" "$SOCK" "$@"
}

# vcpu_tids: the host thread of each vCPU, in index order, from the stats.
vcpu_tids() {
    timeout -k 10s 30 "$HVCTL" "$SOCK" hello vcpus | sed -n 's/^vcpu [0-9]* tid=\([0-9]*\) .*/\1/p'
}

wait_gone_pid() {
    for _ in $(seq 100); do
        kill -0 "$PID" 2>/dev/null || { PID=; return 0; }
        sleep 0.05
    done
    return 1
}

allowed_list() {
    awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$PID/task/$1/status"
}

# cpu_ticks: user + system time the monitor has used so far, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$PID/stat"
}

@test "1 vCPU (the default, and --vcpus=1): the guest checks in" {
    hv_run "$SMP"
    expect_fail_with 0 "smp: 1 of 1 vCPUs checked in"
    hv_run --vcpus=1 "$SMP"
    expect_fail_with 0 "smp: 1 of 1 vCPUs checked in"
}

@test "2 vCPUs boot and both check in" {
    hv_run --vcpus=2 "$SMP"
    expect_fail_with 0 "smp: 2 of 2 vCPUs checked in"
}

@test "64 vCPUs boot and all check in" {
    hv_run --mem=32 --vcpus=64 "$SMP"
    expect_fail_with 0 "smp: 64 of 64 vCPUs checked in"
}

@test "512 vCPUs boot and all check in" {
    hv_run --mem=64 --vcpus=512 "$SMP"
    expect_fail_with 0 "smp: 512 of 512 vCPUs checked in"
}

@test "vCPUs the guest never starts do not keep it alive" {
    hv_run --vcpus=16 "$SMP" nostart
    expect_fail_with 0 "smp: 1 of 16 vCPUs running"
}

@test "a plain hvt guest is refused more than one vCPU, in one line" {
    hv_run --vcpus=2 "$(guest hello)"
    expect_fail_with 1 "the guest is not built for SMP"
    [ "${#lines[@]}" -eq 1 ]
    expect_output_lacks "Hello"
}

@test "--vcpus outside 1..512 is refused" {
    for n in 0 513 -1 two 2x ""; do
        hv_run --vcpus="$n" "$SMP"
        expect_fail_with 1 "want a number of vCPUs from 1 to 512"
    done
}

@test "console lines from every vCPU arrive whole" {
    hv_run --mem=32 --vcpus=32 "$SMP" print
    expect_fail_with 0 "smp: 32 of 32 vCPUs checked in"
    whole=$(grep -cE '^smp: vCPU +[0-9]+ of  32 says hello with a line long enough that two CPUs writing at once would be caught mixing their bytes$' <<<"$output")
    [ "$whole" -eq 32 ]
    # Every index once, and nothing mixed into other lines.
    [ "$(grep -c 'says hello' <<<"$output")" -eq 32 ]
    [ "$(grep -oE 'vCPU +[0-9]+ of' <<<"$output" | sort -u | wc -l)" -eq 32 ]
}

@test "HALT from a secondary vCPU ends the whole guest with its status" {
    hv_run --vcpus=8 "$SMP" halt=5
    [ "$status" -eq 7 ] || { echo "status $status: $output"; false; }
    expect_output_has "Skiff: exit(7)"
}

@test "a fault on vCPU 3 is reported with its index and RIP" {
    hv_run --vcpus=6 "$SMP" fault=3
    expect_fail_with 1 "vCPU 3: Invalid guest port access: port=0x80"
    [[ "$output" =~ vCPU\ 3:.*rip=0x[0-9a-f]+ ]]
}

@test "an abort on a secondary dumps a core with every vCPU's registers" {
    mkdir "$TMP/cores"
    hv_run --vcpus=4 --dumpcore="$TMP/cores" "$SMP" abort=2
    expect_abort
    expect_output_has "CPU 2 gives up"
    core=$(ls "$TMP"/cores/core.* 2>/dev/null | head -1)
    [ -n "$core" ] || { echo "no core: $output"; false; }
    [ "$(readelf -n "$core" | grep -c NT_PRSTATUS)" -eq 4 ]
}

@test "idle vCPUs sleeping in POLL cost the host no CPU" {
    start_bg --mem=32 --vcpus=64 "$SMP" idle=8
    wait_for_text "$TMP/out" "smp: 64 of 64 vCPUs checked in" 30
    sleep 0.3
    a=$(cpu_ticks)
    sleep 1
    b=$(cpu_ticks)
    # 63 spinning vCPUs would burn both cores (~200 ticks a second);
    # sleeping ones cost next to nothing.
    echo "CPU ticks over 1 s with 64 idle vCPUs: $((b - a))"
    [ $((b - a)) -le 20 ]
}

@test "vCPUs idling with SKIFF_POLL_IDLE sleep through a pending request" {
    start_managed --mem=32 --vcpus=16 "$SMP" deaf=4
    wait_for_text "$TMP/out" "smp: 16 of 16 vCPUs checked in" 30
    ctl hello shutdown
    [[ "$output" == *"reply 2 error=0"* ]]
    sleep 0.3
    a=$(cpu_ticks)
    sleep 1
    b=$(cpu_ticks)
    # Nobody takes the request, so it stays ready: vCPUs woken by it
    # would spin on both cores.
    echo "CPU ticks over 1 s with a request pending: $((b - a))"
    [ $((b - a)) -le 20 ]
    ctl hello wait-exit release
    [[ "$output" == *"exited status=0 faulted=0"* ]]
    wait_gone_pid
    grep -q "smp: slept through, request none" "$TMP/out"
}

@test "stats list every vCPU thread; pause parks them all" {
    start_managed --mem=32 --vcpus=6 "$SMP" idle=30
    wait_for_text "$TMP/out" "smp: 6 of 6 vCPUs checked in" 30
    ctl hello vcpus
    [ "$status" -eq 0 ]
    [ "$(grep -c '^vcpu ' <<<"$output")" -eq 6 ]
    for tid in $(vcpu_tids); do
        [ "$tid" != "$PID" ]
        [ -d "/proc/$PID/task/$tid" ]
    done
    [[ "$output" =~ vcpu\ 5\ tid=[0-9]+\ cpu=[0-9]+\ blocked=1\ time_ns=[1-9][0-9]*\ affinity=[0-9] ]]
    ctl hello pause vcpus
    [[ "$output" == *"stats paused=1"* ]]
    [ "$(grep -c '^vcpu .* blocked=1 ' <<<"$output")" -eq 6 ]
    ctl hello unpause destroy wait-exit release
    [[ "$output" == *"exited status=0 faulted=0 destroyed=1"* ]]
    wait_gone_pid
}

@test "destroy while paused stops every vCPU; --start-paused holds them all" {
    start_managed --mem=32 --vcpus=8 "$SMP" idle=30
    wait_for_text "$TMP/out" "smp: 8 of 8 vCPUs checked in" 30
    ctl hello pause destroy wait-exit release
    [[ "$output" == *"exited status=0 faulted=0 destroyed=1"* ]]
    wait_gone_pid
    SOCK="$TMP/second.sock"
    start_managed --mem=32 --vcpus=8 --start-paused "$SMP"
    # Each thread parks as soon as it starts; under load the last may
    # still be on its way when the first request comes.
    local i
    for i in $(seq 1 50); do
        ctl hello vcpus
        [ "$(grep -c '^vcpu .* blocked=1 ' <<<"$output")" -eq 8 ] && break
        sleep 0.1
    done
    [ "$(grep -c '^vcpu .* blocked=1 ' <<<"$output")" -eq 8 ]
    refute grep -q "checked in" "$TMP/out"
    ctl hello unpause wait-exit release
    [[ "$output" == *"exited status=0 faulted=0 destroyed=0 reboot=0 reason=halted with status 0"* ]]
    wait_gone_pid
    grep -q "smp: 8 of 8 vCPUs checked in" "$TMP/out"
}

@test "SetAffinity pins one vCPU thread, or all; bad requests get EINVAL" {
    start_managed --mem=32 --vcpus=4 "$SMP" idle=30
    wait_for_text "$TMP/out" "smp: 4 of 4 vCPUs checked in" 30
    mapfile -t tids < <(vcpu_tids)
    [ "${#tids[@]}" -eq 4 ]
    ctl hello set-affinity 2 "$LAST"
    [[ "$output" == *"reply 2 error=0"* ]]
    [ "$(allowed_list "${tids[2]}")" = "$LAST" ]
    [ "$(allowed_list "${tids[1]}")" = "0-$LAST" ] || [ "$LAST" -eq 0 ]
    ctl hello vcpus
    [[ "$output" == *"vcpu 2 tid=${tids[2]} "*" affinity=$LAST"* ]]
    ctl hello set-affinity -1 0
    [[ "$output" == *"reply 2 error=0"* ]]
    for t in "${tids[@]}"; do
        [ "$(allowed_list "$t")" = 0 ]
    done
    ctl hello set-affinity 4 0
    [[ "$output" == *"reply 2 error=22 no vCPU 4"* ]]
    ctl hello set-affinity -2 0
    [[ "$output" == *"reply 2 error=22"* ]]
    ctl hello set-affinity 0 "0-"
    [[ "$output" == *"reply 2 error=22 not a CPU list"* ]]
    ctl hello set-affinity 0 4000
    [[ "$output" == *"reply 2 error=22"* ]]
    # The refused requests changed nothing.
    [ "$(allowed_list "${tids[0]}")" = 0 ]
}

@test "--cpus sets the affinity of every vCPU thread" {
    start_managed --mem=32 --vcpus=3 --cpus="$LAST" "$SMP" idle=30
    wait_for_text "$TMP/out" "smp: 3 of 3 vCPUs checked in" 30
    mapfile -t tids < <(vcpu_tids)
    [ "${#tids[@]}" -eq 3 ]
    for t in "${tids[@]}"; do
        [ "$(allowed_list "$t")" = "$LAST" ]
    done
}

@test "--cpus applies standalone, and a bad or unusable list is refused" {
    hv_run --vcpus=2 --cpus="0-$LAST" "$SMP"
    expect_fail_with 0 "smp: 2 of 2 vCPUs checked in"
    hv_run --cpus=1-0 "$SMP"
    expect_fail_with 1 "--cpus=1-0: not a CPU list"
    hv_run --cpus=4095 "$SMP"
    expect_fail_with 1 "--cpus=4095: cannot run vCPU 0 there: no usable CPU in the list"
}

@test "--mem-nodes=0 binds guest memory to node 0" {
    start_managed --mem=32 --mem-nodes=0 "$SMP" idle=30
    wait_for_text "$TMP/out" "smp: 1 of 1 vCPUs checked in" 30
    grep -q 'skiff-guest-ram' "/proc/$PID/numa_maps"
    [ -z "$(grep 'skiff-guest-ram' "/proc/$PID/numa_maps" | grep -v 'bind:0 ')" ]
    hv_run --mem-nodes=0 --mem-policy=preferred "$SMP"
    expect_fail_with 0 "smp: 1 of 1 vCPUs checked in"
}

@test "--mem-nodes=63 fails clearly; --mem-policy needs --mem-nodes" {
    hv_run --mem-nodes=63 "$SMP"
    expect_fail_with 1 "--mem-nodes=63: NUMA node 63 is not available on this host"
    expect_output_lacks "checked in"
    hv_run --mem-policy=preferred "$SMP"
    expect_fail_with 1 "--mem-policy needs --mem-nodes"
    hv_run --mem-nodes=0 --mem-policy=interleave "$SMP"
    expect_fail_with 1 "want bind or preferred"
}
