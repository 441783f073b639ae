#!/usr/bin/env bats
# vCPU threads and their affinity: vcpu-list, vcpu-pin, cpus = and
# cpus_soft =, checked in the threads' Cpus_allowed_list.

load helpers
load hostd
load pools

setup() {
    require_kvm
    pools_setup
}

@test "vcpu-list shows each vCPU's thread, CPU, state, time and affinity" {
    cli create "$(smp_cfg d1 'vcpus = 2')"
    [ "$status" -eq 0 ]
    cli vcpu-list d1
    [ "$status" -eq 0 ]
    expect_output_has "Name" "ID" "VCPU" "TID" "CPU" "State" "Time(s)" "Affinity (Hard / Soft)"
    [ "$(printf '%s\n' "$output" | grep -c '^d1 ')" -eq 2 ]
    [[ "$output" =~ d1\ +[0-9]+\ +0\ +[0-9]+\ +[0-9]+\ +-b-\ +[0-9.]+\ all\ /\ all ]]
    # The tids are threads of the domain's monitor.
    pid="$(json_of d1 pid)"
    for t in $(vcpu_tids d1); do
        [ -d "/proc/$pid/task/$t" ]
    done
    [ "$(vcpu_tids d1 | wc -l)" -eq 2 ]
    # Every running domain without an argument; a stopped one is refused.
    cli create "$(smp_cfg d2)"
    cli vcpu-list
    expect_output_has "d1 " "d2 "
    cli define "$(smp_cfg d3)"
    cli vcpu-list d3
    expect_fail_with 1 "domain d3 is not running (state defined)"
    cli vcpu-list nosuch
    expect_fail_with 1 "no domain 'nosuch'"
}

@test "a pool with one CPU: threads on it; cpupool-cpu-add widens them live" {
    cli cpupool-cpu-remove Pool-0 1
    cli cpupool-create "$(pool_cfg p1 'cpus = "1"')"
    cli create "$(smp_cfg d1 'pool = "p1"' 'vcpus = 2')"
    [ "$status" -eq 0 ]
    expect_affinity d1 1 1
    cli cpupool-cpu-remove Pool-0 0
    cli cpupool-cpu-add p1 0
    [ "$status" -eq 0 ]
    expect_affinity d1 0-1 0-1
    cli cpupool-cpu-remove p1 1
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
}

@test "vcpu-pin: hard affinity per vCPU or all, '-' keeps, refusals" {
    cli create "$(smp_cfg d1 'vcpus = 2')"
    expect_affinity d1 0-1 0-1
    cli vcpu-pin d1 1 "$LAST"
    [ "$status" -eq 0 ]
    expect_affinity d1 0-1 "$LAST"
    cli vcpu-pin d1 all 0
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
    [ "$(json_of d1 cpus)" = "0" ]
    # Soft only: the hard set stays; the thread runs where both allow.
    cli vcpu-pin d1 all - 0-1
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
    cli vcpu-pin d1 all all
    [ "$status" -eq 0 ]
    expect_affinity d1 0-1 0-1
    cli vcpu-pin d1 0 all "$LAST"
    [ "$status" -eq 0 ]
    expect_affinity d1 "$LAST" 0-1
    cli vcpu-list d1
    [[ "$output" =~ d1\ .*\ 0\ .*all\ /\ $LAST ]]
    cli vcpu-pin d1 2 0
    expect_fail_with 1 "domain d1 has 2 vCPUs (0-1): no vCPU 2"
    cli vcpu-pin d1 x 0
    expect_fail_with 2 "'x' is not a vCPU number"
    cli vcpu-pin d1 0 1-x
    expect_fail_with 1 "is not a CPU list"
    cli vcpu-pin d1 0 - -
    expect_fail_with 2 "nothing to change"
    cli vcpu-pin nosuch 0 0
    expect_fail_with 1 "no domain 'nosuch'"
    # Outside the domain's pool: no CPU left, refused; nothing changes.
    cli cpupool-cpu-remove Pool-0 "$LAST"
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
    cli vcpu-pin d1 1 "$LAST"
    expect_fail_with 1 "vCPU 1 would have no CPU to run on: pool Pool-0 has CPUs [0]"
    expect_affinity d1 0 0
}

@test "cpus = and cpus_soft = in the configuration" {
    cli create "$(smp_cfg d1 'vcpus = 2' "cpus = \"$LAST\"")"
    [ "$status" -eq 0 ]
    expect_affinity d1 "$LAST" "$LAST"
    cli create "$(smp_cfg d2 'cpus = "node:0"' "cpus_soft = \"$LAST\"")"
    [ "$status" -eq 0 ]
    expect_affinity d2 "$LAST"
    [ "$(json_of d2 cpus_soft)" = "$LAST" ]
    cli dominfo d2
    expect_output_has "CPU affinity:   node:0" "Soft affinity:  $LAST"
    cli create "$(smp_cfg d3 'cpus = "node:5"')"
    expect_fail_with 1 "cpus: this host has no NUMA node 5"
    cli create "$(smp_cfg d4 'cpus = "x"')"
    expect_fail_with 1 "is not a CPU list"
    # A CPU beyond the host's topology.
    cli create "$(smp_cfg d5 "cpus = \"$(nproc)\"")"
    expect_fail_with 1 "cpus: this host has no CPU $(nproc) (it has CPUs 0-$LAST)"
}

@test "vcpus above 1 run (no longer refused); more than 512 is" {
    cli create "$(smp_cfg d1 'vcpus = 4')"
    [ "$status" -eq 0 ]
    [ "$(vcpu_tids d1 | wc -l)" -eq 4 ]
    cli create "$(smp_cfg d2 'vcpus = 513')"
    expect_fail_with 1 "vcpus: 513 is out of range (1 to 512)"
}

@test "vcpu-pin is kept in the configuration across a domain restart" {
    cli define "$(smp_cfg d1 'vcpus = 2')"
    cli vcpu-pin d1 1 "$LAST"
    [ "$status" -eq 0 ]
    cli start d1
    [ "$status" -eq 0 ]
    expect_affinity d1 0-1 "$LAST"
    cli destroy d1
    cli start d1
    expect_affinity d1 0-1 "$LAST"
}
