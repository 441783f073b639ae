# Helpers of the CPU pool, vCPU, scheduling and NUMA tests: a hostd with a
# private cgroup parent, SMP test domains, and the vCPU threads' affinity.

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

# pools_start [HOSTD ARGS...]: hostd_start with a cgroup parent of its own.
pools_start() {
    CGROUP_PARENT="skiff-test-$$-${BATS_TEST_NUMBER:-0}"
    hostd_start --cgroup-parent "$CGROUP_PARENT" "$@"
    export SKIFF_URI="unix://$SOCK"
}

# pools_restart [HOSTD ARGS...]: kill -9 hostd, start it again on $STATE.
pools_restart() {
    hostd_stop KILL
    hostd_start --cgroup-parent "$CGROUP_PARENT" "$@"
}

pools_teardown() {
    hostd_teardown
    [ -z "${TOPO:-}" ] || rm -rf "$TOPO"
    TOPO=
}

# The files' common setup: a fresh hostd for each test.
pools_setup() {
    STATE=
    HOSTD_PID=
    pools_start "$@"
}

# Every file that loads this one tears down so (none defines its own).
teardown() {
    pools_teardown
}

cli() {
    run timeout -k 10s 60s "$SKIFF_CLI" "$@"
}

# smp_cfg NAME [KEY = VALUE lines...]: an SMP test domain that idles (it
# stays running), file $STATE/NAME.cfg.
smp_cfg() {
    local name="$1" l
    shift
    {
        echo "name = \"$name\""
        echo "kernel = \"$SKIFF_GUESTS/smp.hvt\""
        echo "cmdline = \"idle=600\""
        echo "memory = 32"
        for l in "$@"; do echo "$l"; done
    } >"$STATE/$name.cfg"
    echo "$STATE/$name.cfg"
}

# pool_cfg NAME [KEY = VALUE lines...]: a pool file $STATE/pool-NAME.cfg.
pool_cfg() {
    local name="$1" l
    shift
    {
        echo "name = \"$name\""
        for l in "$@"; do echo "$l"; done
    } >"$STATE/pool-$name.cfg"
    echo "$STATE/pool-$name.cfg"
}

# vcpu_tids DOMAIN: the host thread ids of its vCPUs, in vCPU order.
vcpu_tids() {
    timeout -k 10s 30s "$SKIFF_CLI" --json vcpu-list "$1" | grep -o '"tid":[0-9]*' | cut -d: -f2
}

# allowed TID: the thread's Cpus_allowed_list.
allowed() {
    awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$1/status"
}

# affinity DOMAIN: every vCPU thread's Cpus_allowed_list, space-separated.
affinity() {
    local t out=""
    for t in $(vcpu_tids "$1"); do
        out="$out${out:+ }$(allowed "$t")"
    done
    echo "$out"
}

# expect_affinity DOMAIN LIST...: the vCPU threads' CPU lists, in order.
expect_affinity() {
    local dom="$1" got
    shift
    got="$(affinity "$dom")"
    [ "$got" = "$*" ] || { echo "vCPU threads of $dom on '$got', want '$*'"; return 1; }
}

# json_of DOMAIN KEY: a top-level value of dominfo --json.
json_of() {
    timeout -k 10s 30s "$SKIFF_CLI" --json dominfo "$1" |
        grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -n 1 | cut -d: -f2- | tr -d '"'
}

# The highest online CPU of this machine (tests use 0 and $LAST).
LAST=$(($(nproc) - 1))
