#!/usr/bin/env bats
# CPU pools with xl's semantics: every cpupool command, its rules and
# refusals, domains in pools, and restart persistence.

load helpers
load hostd
load pools

setup() {
    pools_setup
}

@test "Pool-0 holds every online CPU at first start" {
    cli cpupool-list
    [ "$status" -eq 0 ]
    expect_output_has "Name" "CPUs" "Sched" "Active" "Domain count"
    [[ "$output" =~ Pool-0\ +$(nproc)\ +credit\ +y\ +0 ]]
    cli cpupool-list -c
    [ "$status" -eq 0 ]
    expect_output_has "CPU list" "Pool-0             $(cat /sys/devices/system/cpu/online)"
    cli --json cpupool-list Pool-0
    expect_output_has '"name":"Pool-0"' "\"ncpus\":$(nproc)" '"sched":"credit"'
    cli cpupool-list nosuch
    expect_fail_with 1 "no pool 'nosuch'"
}

@test "cpupool-create takes only free CPUs; cpu-remove frees them" {
    cli cpupool-create "$(pool_cfg p1 'cpus = "1"')"
    expect_fail_with 1 "CPU 1 is in pool Pool-0"
    expect_output_has "cpupool-cpu-remove Pool-0 1"
    cli cpupool-cpu-remove Pool-0 1
    [ "$status" -eq 0 ]
    cli cpupool-create "$(pool_cfg p1 'cpus = "1"' 'sched = "credit"')"
    [ "$status" -eq 0 ]
    cli cpupool-list -c
    expect_output_has "Pool-0             0" "p1                 1"
    cli cpupool-list p1
    [[ "$output" =~ p1\ +1\ +credit ]]
    # A CPU is in one pool at a time.
    cli cpupool-create "$(pool_cfg p2 'cpus = [1]')"
    expect_fail_with 1 "CPU 1 is in pool p1"
}

@test "cpupool-create refuses bad configurations with clear messages" {
    cli cpupool-cpu-remove Pool-0 "$LAST"
    [ "$status" -eq 0 ]
    cli cpupool-create "$(pool_cfg Pool-0 "cpus = \"$LAST\"")"
    expect_fail_with 1 "a pool named 'Pool-0' already exists"
    cli cpupool-create "$(pool_cfg p 'sched = "rtds"')"
    expect_fail_with 1 'sched: only "credit" is available'
    cli cpupool-create "$(pool_cfg p 'cpus = "node:7"')"
    expect_fail_with 1 "this host has no NUMA node 7"
    cli cpupool-create "$(pool_cfg p 'cpus = "4000"')"
    expect_fail_with 1 "this host has no CPU 4000"
    cli cpupool-create "$(pool_cfg p 'cpus = "1-x"')"
    expect_fail_with 1 "is not a CPU list"
    echo 'cpus = "1"' >"$STATE/noname.cfg"
    cli cpupool-create "$STATE/noname.cfg"
    expect_fail_with 1 "name is required"
    cli cpupool-create "$(pool_cfg p)" name=-bad
    expect_fail_with 1 "is not a valid pool name"
    # KEY=VALUE overrides the file, nodes = picks whole nodes.
    cli cpupool-create "$(pool_cfg p "cpus = \"$LAST\"")" name=q
    [ "$status" -eq 0 ]
    cli cpupool-list q
    [ "$status" -eq 0 ]
}

@test "cpupool-destroy: never Pool-0, never a pool with domains" {
    cli cpupool-destroy Pool-0
    expect_fail_with 1 "Pool-0 is the default pool and cannot be destroyed"
    cli cpupool-destroy nosuch
    expect_fail_with 1 "no pool 'nosuch'"
    cli cpupool-cpu-remove Pool-0 "$LAST"
    cli cpupool-create "$(pool_cfg p1 "cpus = \"$LAST\"")"
    [ "$status" -eq 0 ]
    cli define "$(smp_cfg d1 'pool = "p1"')"
    [ "$status" -eq 0 ]
    cli cpupool-destroy p1
    expect_fail_with 1 "pool p1 has 1 domain"
    cli undefine d1
    cli cpupool-destroy p1
    [ "$status" -eq 0 ]
    # Its CPU is free again: it can go back to Pool-0.
    cli cpupool-cpu-add Pool-0 "$LAST"
    [ "$status" -eq 0 ]
    cli cpupool-list -c
    expect_output_has "Pool-0             $(cat /sys/devices/system/cpu/online)"
}

@test "cpupool-rename renames, and the pool's domains follow" {
    cli cpupool-create "$(pool_cfg empty)"
    [ "$status" -eq 0 ]
    cli define "$(smp_cfg d1 'pool = "empty"')"
    cli cpupool-rename empty web
    [ "$status" -eq 0 ]
    [ "$(json_of d1 pool)" = "web" ]
    cli cpupool-rename web Pool-0
    expect_fail_with 1 "a pool named 'Pool-0' already exists"
    cli cpupool-rename nosuch x
    expect_fail_with 1 "no pool 'nosuch'"
    cli cpupool-rename web 'bad name'
    expect_fail_with 1 "invalid pool name"
}

@test "cpupool-cpu-add takes only free CPUs; cpu-remove only the pool's own" {
    cli cpupool-create "$(pool_cfg p1)"
    cli cpupool-cpu-add p1 0
    expect_fail_with 1 "CPU 0 is in pool Pool-0"
    cli cpupool-cpu-remove p1 0
    expect_fail_with 1 "CPU 0 is not in pool p1"
    cli cpupool-cpu-remove Pool-0 node:0
    [ "$status" -eq 0 ]
    cli cpupool-cpu-add p1 node:0
    [ "$status" -eq 0 ]
    cli cpupool-list -c p1
    expect_output_has "p1                 $(cat /sys/devices/system/cpu/online)"
    cli cpupool-cpu-add p1 node:9
    expect_fail_with 1 "this host has no NUMA node 9"
    cli cpupool-cpu-add nosuch 0
    expect_fail_with 1 "no pool 'nosuch'"
}

@test "domains name their pool; a pool without CPUs runs nothing" {
    require_kvm
    cli create "$(smp_cfg d0 'pool = "nosuch"')"
    expect_fail_with 1 "pool 'nosuch' does not exist"
    cli cpupool-create "$(pool_cfg empty)"
    cli create "$(smp_cfg d1 'pool = "empty"')"
    expect_fail_with 1 "vCPU 0 would have no CPU to run on: pool empty has CPUs []"
    cli cpupool-cpu-remove Pool-0 "$LAST"
    cli cpupool-cpu-add empty "$LAST"
    cli create "$(smp_cfg d1 'pool = "empty"' 'vcpus = 2')"
    [ "$status" -eq 0 ]
    expect_affinity d1 "$LAST" "$LAST"
    cli cpupool-list empty
    [[ "$output" =~ empty\ +1\ +credit\ +y\ +1 ]]
    # The last CPU of a pool with a running domain stays.
    cli cpupool-cpu-remove empty "$LAST"
    expect_fail_with 1 "cannot remove the last CPU of pool empty: it has 1 running domain"
    cli cpupool-destroy empty
    expect_fail_with 1 "pool empty has 1 domain"
}

@test "cpupool-migrate moves a running domain live" {
    require_kvm
    cli cpupool-cpu-remove Pool-0 "$LAST"
    cli cpupool-create "$(pool_cfg p1 "cpus = \"$LAST\"")"
    cli create "$(smp_cfg d1 'vcpus = 2')"
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
    cli cpupool-migrate d1 p1
    [ "$status" -eq 0 ]
    expect_affinity d1 "$LAST" "$LAST"
    [ "$(json_of d1 pool)" = "p1" ]
    cli cpupool-list p1
    [[ "$output" =~ p1\ +1\ +credit\ +y\ +1 ]]
    cli cpupool-migrate d1 nosuch
    expect_fail_with 1 "no pool 'nosuch'"
    cli cpupool-migrate nosuch p1
    expect_fail_with 1 "no domain 'nosuch'"
    # A pinning outside the target pool: refused, nothing changes.
    cli vcpu-pin d1 all "$LAST"
    [ "$status" -eq 0 ]
    cli cpupool-cpu-remove Pool-0 0
    cli cpupool-create "$(pool_cfg p0 'cpus = "0"')"
    cli cpupool-migrate d1 p0
    expect_fail_with 1 "would have no CPU to run on: pool p0 has CPUs [0]"
    [ "$(json_of d1 pool)" = "p1" ]
}

@test "cpupool-numa-split: one pool per node, only from a single pool" {
    cli cpupool-create "$(pool_cfg other)"
    cli cpupool-numa-split
    expect_fail_with 1 "there are 2 pools: numa-split needs a single one"
    cli cpupool-destroy other
    cli define "$(smp_cfg d1)"
    cli cpupool-numa-split
    [ "$status" -eq 0 ]
    cli cpupool-list -c
    expect_output_has "Pool-node0"
    [ "$(json_of d1 pool)" = "Pool-node0" ]
    cli cpupool-destroy Pool-node0
    expect_fail_with 1 "Pool-node0 is the default pool and cannot be destroyed"
}

@test "pools, domains' pools and pins survive a hostd restart, still applied" {
    require_kvm
    cli cpupool-cpu-remove Pool-0 "$LAST"
    cli cpupool-create "$(pool_cfg p1 "cpus = \"$LAST\"")"
    cli create "$(smp_cfg d1 'pool = "p1"' 'vcpus = 2')"
    [ "$status" -eq 0 ]
    cli create "$(smp_cfg d2 'vcpus = 2')"
    cli vcpu-pin d2 1 0
    [ "$status" -eq 0 ]
    expect_affinity d1 "$LAST" "$LAST"
    expect_affinity d2 0 0
    pools_restart
    cli cpupool-list -c
    expect_output_has "Pool-0             0" "p1                 $LAST"
    [ "$(json_of d1 pool)" = "p1" ]
    expect_affinity d1 "$LAST" "$LAST"
    expect_affinity d2 0 0
    cli vcpu-list d2
    [[ "$output" =~ d2\ +[0-9]+\ +1\ .*\ 0\ /\ all ]]
    # Still enforced after the restart: a change takes effect live.
    cli cpupool-cpu-remove Pool-0 0
    expect_fail_with 1 "cannot remove the last CPU of pool Pool-0: it has 1 running domain"
    cli cpupool-migrate d1 Pool-0
    [ "$status" -eq 0 ]
    expect_affinity d1 0 0
}
