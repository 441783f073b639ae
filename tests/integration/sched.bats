#!/usr/bin/env bats
# The credit scheduler's weight and cap: sched-credit, weight = / cap = in
# the configuration, applied through the kernel's CPU controller in a
# cgroup per domain under hostd's parent, read back from the cgroup files.

load helpers
load hostd
load pools

setup() {
    require_kvm
    pools_setup
}

# domain_cgroup DOMAIN: the domain's cgroup directory (hostd's parent/UUID).
domain_cgroup() {
    local uuid d
    uuid="$(json_of "$1" uuid)"
    for d in $(cgroup_dirs); do
        [ -d "$d/$uuid" ] && { echo "$d/$uuid"; return 0; }
    done
    return 1
}

# expect_sched DOMAIN WEIGHT CAP: the cgroup files say so (v1 or v2).
expect_sched() {
    local dir got want_w want_c
    dir="$(domain_cgroup "$1")" || { echo "no cgroup for $1"; return 1; }
    if [ -f "$dir/cpu.shares" ]; then
        want_w=$(($2 * 1024 / 256))
        want_c=$([ "$3" -eq 0 ] && echo -1 || echo $(($3 * 1000)))
        got="$(cat "$dir/cpu.shares") $(cat "$dir/cpu.cfs_quota_us") $(cat "$dir/cpu.cfs_period_us")"
        [ "$got" = "$want_w $want_c 100000" ] || { echo "$dir: '$got', want '$want_w $want_c 100000'"; return 1; }
    else
        want_w=$(($2 * 10000 / 65535)); [ "$want_w" -ge 1 ] || want_w=1
        want_c=$([ "$3" -eq 0 ] && echo max || echo $(($3 * 1000)))
        got="$(cat "$dir/cpu.weight") $(cat "$dir/cpu.max")"
        [ "$got" = "$want_w $want_c 100000" ] || { echo "$dir: '$got', want '$want_w $want_c 100000'"; return 1; }
    fi
}

@test "every thread of the monitor is in the domain's cgroup, with the defaults" {
    cli create "$(smp_cfg d1 'vcpus = 2')"
    [ "$status" -eq 0 ]
    expect_sched d1 256 0
    dir="$(domain_cgroup d1)"
    pid="$(json_of d1 pid)"
    grep -qx "$pid" "$dir/cgroup.procs"
    for t in $(ls "/proc/$pid/task"); do
        grep -q "$CGROUP_PARENT/$(json_of d1 uuid)\$" "/proc/$pid/task/$t/cgroup"
    done
    cli sched-credit
    [ "$status" -eq 0 ]
    expect_output_has "Name" "ID" "Weight" "Cap"
    [[ "$output" =~ d1\ +[0-9]+\ +256\ +0 ]]
}

@test "weight = and cap = from the configuration; sched-credit changes them live" {
    cli create "$(smp_cfg d1 'weight = 512' 'cap = 50')"
    [ "$status" -eq 0 ]
    expect_sched d1 512 50
    cli sched-credit -d d1
    [[ "$output" =~ d1\ +[0-9]+\ +512\ +50 ]]
    cli sched-credit -d d1 -w 1024
    [ "$status" -eq 0 ]
    expect_sched d1 1024 50
    cli sched-credit -d d1 -c 0
    [ "$status" -eq 0 ]
    expect_sched d1 1024 0
    cli sched-credit --domain d1 --weight 7 --cap 150
    [ "$status" -eq 0 ]
    expect_sched d1 7 150
    [ "$(json_of d1 weight)" = "7" ]
    [ "$(json_of d1 cap)" = "150" ]
    cli --json sched-credit -d d1
    expect_output_has '"name":"d1"' '"weight":7' '"cap":150' '"applied":true' '"controller":"cgroup v'
}

@test "sched-credit refusals" {
    cli create "$(smp_cfg d1)"
    cli sched-credit -d d1 -w 0
    expect_fail_with 2 "--weight wants a number from 1 to 65535"
    cli sched-credit -d d1 -w 65536
    expect_fail_with 2 "--weight wants a number from 1 to 65535"
    cli sched-credit -d d1 -c x
    expect_fail_with 2 "--cap wants a percentage"
    cli sched-credit -w 10
    expect_fail_with 2 "-w and -c need -d DOMAIN"
    cli sched-credit -d nosuch -w 10
    expect_fail_with 1 "no domain 'nosuch'"
    cli create "$(smp_cfg d2 'weight = 0')"
    expect_fail_with 1 "weight: 0 is out of range (1 to 65535)"
    cli create "$(smp_cfg d2 'cap = 60000')"
    expect_fail_with 1 "cap: 60000 is out of range"
}

@test "parameters persist: stopped domains keep them, hostd restarts keep them" {
    cli define "$(smp_cfg d1)"
    cli sched-credit -d d1 -w 300 -c 20
    [ "$status" -eq 0 ]
    cli start d1
    [ "$status" -eq 0 ]
    expect_sched d1 300 20
    pools_restart
    cli sched-credit -d d1
    [[ "$output" =~ d1\ +[0-9]+\ +300\ +20 ]]
    cli sched-credit -d d1 -w 600
    [ "$status" -eq 0 ]
    expect_sched d1 600 20
}

@test "the domain's cgroup goes when the domain stops" {
    cli create "$(smp_cfg d1)"
    dir="$(domain_cgroup d1)"
    [ -d "$dir" ]
    cli destroy d1
    [ "$status" -eq 0 ]
    for i in $(seq 1 50); do
        [ -d "$dir" ] || break
        sleep 0.1
    done
    [ ! -d "$dir" ]
}

@test "without a usable CPU controller: sched-credit says so, domains still start" {
    hostd_stop
    hostd_start --cgroup-parent "bad/name"
    cli create "$(smp_cfg d1)"
    [ "$status" -eq 0 ]
    cli sched-credit -d d1 -w 100
    expect_fail_with 1 "cannot apply scheduling parameters: cgroup parent name 'bad/name' is not usable"
    cli sched-credit
    [ "$status" -eq 0 ]
    [[ "$output" =~ d1\ +[0-9]+\ +256\ +0 ]]
}
