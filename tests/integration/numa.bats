#!/usr/bin/env bats
# Topology and NUMA on synthetic sysfs trees (tests/tools/mktopo, hostd
# --sysfs-root): info and info -n, cpupool-numa-split on 2-, 4- and
# 64-node hosts, automatic placement shown by dominfo, offline CPUs, and
# CPUs a tree names that this machine lacks.

load helpers
load hostd
load pools

MKTOPO="$SKIFF_TOOLS/mktopo"

setup() {
    STATE=
    HOSTD_PID=
    TOPO="$(mktemp -d /tmp/skiff-topo.XXXXXX)"
}

# topo ARGS...: a tree in $TOPO; then hostd on it.
topo_start() {
    "$MKTOPO" "$TOPO" "$@" >/dev/null
    pools_start --sysfs-root "$TOPO"
}

@test "info and info -n describe a synthetic 2-node host as xl info -n" {
    topo_start --cpus 8 --nodes 2 --sockets 2 --threads-per-core 2 \
        --node-mem 2048,4096 --node-free 1024,3072 --offline 7
    cli info
    [ "$status" -eq 0 ]
    expect_output_has "CPUs:           7" "Cores:          4" "Sockets:        2" \
        "NUMA nodes:     2" "Threads/core:   2" "Max CPU id:     7" \
        "Memory:         6144 MiB" "Free memory:    4096 MiB" "CPU pools:      1"
    expect_output_lacks "cpu_topology"
    cli info -n
    [ "$status" -eq 0 ]
    expect_output_has "cpu_topology           :" "cpu:    core    socket     node" \
        "  5:       0        1        1" "  7:       -        -        -   (offline)" \
        "numa_info              :" "node:    memsize    memfree    distances" \
        "   0:       2048       1024      10,20" "   1:       4096       3072      20,10"
    cli --json info -n
    expect_output_has '"cores":4' '"nodes":2' '"free_memory_bytes":4294967296' \
        '"cpu_topology":[' '{"cpu":5,"online":true,"core":0,"socket":1,"node":1}' \
        '"numa_info":[' '"distances":[20,10]'
    # Pool-0 takes only the online CPUs; an offline one cannot join a pool.
    cli cpupool-list -c
    expect_output_has "Pool-0             0-6"
    cli cpupool-create "$(pool_cfg p 'cpus = "7"')"
    expect_fail_with 1 "CPU 7 is not an online CPU of this host"
}

# split_check NODES CPUS: numa-split on such a tree gives NODES pools.
split_check() {
    topo_start --cpus "$2" --nodes "$1"
    cli cpupool-numa-split
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    cli cpupool-list
    [ "$(printf '%s\n' "$output" | grep -c '^Pool-node')" -eq "$1" ]
    expect_output_lacks "Pool-0 "
}

@test "cpupool-numa-split on a 2-node host" {
    split_check 2 16
    cli cpupool-list -c
    expect_output_has "Pool-node0         0-7" "Pool-node1         8-15"
}

@test "cpupool-numa-split on a 4-node host, and not twice" {
    split_check 4 32
    cli cpupool-list -c
    expect_output_has "Pool-node0         0-7" "Pool-node3         24-31"
    cli cpupool-numa-split
    expect_fail_with 1 "there are 4 pools: numa-split needs a single one"
}

@test "cpupool-numa-split on a 4095-CPU, 64-node host" {
    split_check 64 4095
    cli cpupool-list -c
    expect_output_has "Pool-node0         0-63" "Pool-node63        4032-4094"
    cli cpupool-list Pool-node63
    [[ "$output" =~ Pool-node63\ +63\ +credit ]]
}

@test "numa-split keeps the domains in the first node's pool" {
    topo_start --cpus 8 --nodes 2
    cli define "$(smp_cfg d1)"
    cli cpupool-numa-split
    [ "$status" -eq 0 ]
    [ "$(json_of d1 pool)" = "Pool-node0" ]
    cli cpupool-list Pool-node1
    [[ "$output" =~ Pool-node1\ +4\ +credit\ +y\ +0 ]]
}

@test "automatic placement on a 2-node host: most free memory, then fewest vCPUs" {
    require_kvm
    topo_start --cpus 8 --nodes 2 --node-mem 4096,4096 --node-free 1000,3000
    cli create "$(smp_cfg d1 'vcpus = 2')"
    [ "$status" -eq 0 ]
    [ "$(json_of d1 numa_nodes)" = "1" ]
    cli dominfo d1
    expect_output_has "NUMA nodes:     1"
    # Node 1 has d1's vCPUs now: a domain that fits on node 0 goes there.
    cli create "$(smp_cfg d2 'vcpus = 2')"
    [ "$(json_of d2 numa_nodes)" = "0" ]
    # More memory than node 0 has free: node 1 despite its load.
    cli create "$(smp_cfg d3 'memory = 1500')"
    [ "$(json_of d3 numa_nodes)" = "1" ]
    # The soft affinity is the chosen node's CPUs; threads still run on
    # this machine's CPUs (the tree's node 1 has none of them).
    cli vcpu-list d1
    expect_output_has "all / 4-7"
    expect_affinity d1 0-1 0-1
    # An explicit affinity: no automatic placement.
    cli create "$(smp_cfg d4 'cpus = "0-3"')"
    [ "$(json_of d4 numa_nodes)" = "" ]
    # The choice is stored: a restarted hostd shows it.
    pools_restart --sysfs-root "$TOPO"
    [ "$(json_of d1 numa_nodes)" = "1" ]
    [ "$(json_of d2 numa_nodes)" = "0" ]
}

@test "automatic placement on a 4-node host spans nodes when one is too small" {
    require_kvm
    topo_start --cpus 16 --nodes 4 --node-mem 1024,1024,1024,1024 \
        --node-free 100,100,700,100
    cli create "$(smp_cfg d1 'memory = 600')"
    [ "$(json_of d1 numa_nodes)" = "2" ]
    cli create "$(smp_cfg d2 'memory = 750')"
    [ "$status" -eq 0 ]
    # No single node has 750 MiB free: the smallest set that does (ties:
    # equal load and memory, so the lowest node numbers).
    [ "$(json_of d2 numa_nodes)" = "0,2" ]
    cli dominfo d2
    expect_output_has "NUMA nodes:     0,2"
    # Placement stays within the domain's pool.
    cli cpupool-cpu-remove Pool-0 12-15
    cli cpupool-create "$(pool_cfg n3 'cpus = "node:3"' )"
    [ "$status" -eq 0 ]
    cli cpupool-cpu-remove Pool-0 0
    cli cpupool-cpu-add n3 0
    cli create "$(smp_cfg d3 'pool = "n3"' 'memory = 50')"
    [ "$status" -eq 0 ]
    [ "$(json_of d3 numa_nodes)" = "3" ]
}

@test "automatic placement on a 4095-CPU, 64-node host" {
    require_kvm
    free="$(printf '1000,%.0s' $(seq 1 63))4000"
    topo_start --cpus 4095 --nodes 64 --node-free "$free"
    cli create "$(smp_cfg d1 'vcpus = 4')"
    [ "$status" -eq 0 ]
    [ "$(json_of d1 numa_nodes)" = "63" ]
    cli vcpu-list d1
    expect_output_has "all / 4032-4094"
    cli create "$(smp_cfg d2)"
    [ "$(json_of d2 numa_nodes)" = "0" ]
}

@test "a pool of CPUs this machine lacks runs nothing, with a clear message" {
    require_kvm
    topo_start --cpus 16 --nodes 2
    cli cpupool-cpu-remove Pool-0 8-15
    cli cpupool-create "$(pool_cfg far 'cpus = "node:1"')"
    [ "$status" -eq 0 ]
    cli create "$(smp_cfg d1 'pool = "far"')"
    expect_fail_with 1 "vCPU 0 would have no CPU to run on: pool far has CPUs [8-15], its hard affinity is [all], and this machine has CPUs [$(cat /sys/devices/system/cpu/online)] online"
}
