#!/usr/bin/env bats
# hostd's FLASK security module end to end: the example policy compiled
# from policy/, a label mapping naming tenants and an operator by uid, and
# clients run under those uids (setpriv) through the real skiff CLI.
# Migration is not wired into hostd yet: its decisions are covered by
# tests/unit/test-flask.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"

# Client uids; none of them needs an account.
TENANT_A=64101
TENANT_B=64102
OPERATOR=64103
UNMAPPED=64109

setup() {
    STATE=
    HOSTD_PID=
    unset SKIFF_URI
    BUILD="$(cd "$(dirname "$SKIFF_HOSTD")/.." && pwd)"
    POLICY="$BUILD/policy/skiff.policy"
    STATE="$(mktemp -d /tmp/policy-test.XXXXXX)"
    # Other uids must reach the socket and run the client: the state dir is
    # open to them, and the CLI is copied out of a build tree they may not
    # be able to enter.
    chmod 755 "$STATE"
    mkdir "$STATE/bin"
    install_cli "$STATE/bin"
    KERNEL="$STATE/bin/ticker.hvt"
    cp "$SKIFF_EXAMPLES/ticker.hvt" "$KERNEL"
    cat >"$STATE/labels" <<LABELS
# policy.bats: who is who
uid 0              system_u:system_r:admin_t
uid $TENANT_A      tenant_u:tenant_r:tenant_a_t
uid $TENANT_B      tenant_u:tenant_r:tenant_b_t
uid $OPERATOR      system_u:system_r:operator_t
LABELS
    write_conf flask "$POLICY" 1
}

teardown() {
    hostd_teardown
}

# write_conf MODULE POLICY ENFORCING
write_conf() {
    cat >"$STATE/hostd.conf" <<CONF
security_module = "$1"
policy = "$2"
labels = "$STATE/labels"
enforcing = $3
CONF
}

start_flask() {
    hostd_start --config "$STATE/hostd.conf"
    export SKIFF_URI="unix://$SOCK"
    chmod 755 "$STATE"
}

# as UID ARGS...: the CLI run as UID (no groups), output in $output.
as() {
    local uid="$1"
    shift
    run timeout -k 10s 60s setpriv --reuid="$uid" --regid="$uid" --clear-groups \
        env LD_LIBRARY_PATH="$STATE/bin" SKIFF_URI="$SKIFF_URI" "$CLI" "$@" </dev/null
}

# root ARGS...
root() {
    run timeout -k 10s 60s env LD_LIBRARY_PATH="$STATE/bin" "$CLI" "$@" </dev/null
}

# define_as UID NAME [KEY=VALUE...]: a persistent ticker domain.
define_as() {
    local uid="$1" name="$2"
    shift 2
    as "$uid" define /dev/null "name=$name" "kernel=$KERNEL" memory=16 "$@"
}

# expect_denied PERM: a DENIED failure carrying the AVC decision.
expect_denied() {
    [ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
    expect_output_has "permission denied" "policy decision: avc: denied { $1 }" \
        "scontext=" "tcontext=" "permissive=0"
}

# label_of NAME: the context `skiff labels` shows root for domain NAME.
label_of() {
    root labels
    printf '%s\n' "$output" | awk -v n="$1" '$1 == "domain" && $2 == n { print $3 }'
}

@test "flask: getenforce and labels show the module and the caller's context" {
    start_flask
    root getenforce
    [ "$status" -eq 0 ]
    [ "$output" = "Enforcing" ]
    root getenforce -l
    expect_output_has "Module:      flask" "Policy:      $POLICY"
    root labels
    expect_output_has "subject" "system_u:system_r:admin_t" "system_u:object_r:host_t"
    as "$TENANT_A" labels
    [ "$status" -eq 0 ]
    expect_output_has "tenant_u:tenant_r:tenant_a_t"
    as "$OPERATOR" getenforce --json
    [ "$status" -eq 0 ]
    expect_output_has '"module":"flask"' '"enforcing":true'
}

@test "flask: a tenant's domain gets the tenant's type and is invisible to other tenants" {
    start_flask
    define_as "$TENANT_A" a-web
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(label_of a-web)" = "tenant_u:object_r:tenant_a_domU_t" ]
    as "$TENANT_A" list --json
    expect_output_has '"name":"a-web"'
    # tenant B: not listed, not shown, not touched
    as "$TENANT_B" list --json
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
    as "$TENANT_B" dominfo a-web
    expect_denied getinfo
    expect_output_has "tenant_a_domU_t" "scontext=tenant_u:tenant_r:tenant_b_t" "tclass=domain"
    as "$TENANT_B" undefine a-web
    expect_denied undefine
    as "$TENANT_B" rename a-web stolen
    expect_denied rename
    as "$TENANT_B" labels
    expect_output_lacks "a-web"
    # and the owner can do what B could not
    as "$TENANT_A" rename a-web a-web2
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    as "$TENANT_A" undefine a-web2
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "flask: tenants cannot reach the administrator's domains or plant labels" {
    start_flask
    root define /dev/null name=admins "kernel=$KERNEL" memory=16
    [ "$status" -eq 0 ]
    [ "$(label_of admins)" = "system_u:object_r:domU_t" ]
    as "$TENANT_A" dominfo admins
    expect_denied getinfo
    define_as "$TENANT_A" fake 'seclabel="tenant_u:object_r:tenant_b_domU_t"'
    expect_denied relabelfrom
    define_as "$TENANT_A" fake2 'seclabel="no:such:context_t"'
    [ "$status" -eq 1 ]
    expect_output_has "not a valid security context"
    root list --json --long
    expect_output_lacks fake
}

@test "flask: pools, vCPU pinning and scheduling are checked too" {
    start_flask
    define_as "$TENANT_A" a-web
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    printf 'name = "t-pool"\ncpus = ""\n' >"$STATE/bin/pool.cfg"
    chmod a+r "$STATE/bin/pool.cfg"
    as "$TENANT_A" cpupool-create "$STATE/bin/pool.cfg"
    expect_denied create
    expect_output_has "tclass=pool"
    as "$TENANT_A" cpupool-rename Pool-0 mine
    expect_denied rename
    as "$TENANT_A" cpupool-numa-split
    expect_denied removecpu
    # a tenant sees the pools but not another tenant's domains in them
    as "$TENANT_A" cpupool-list
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    as "$TENANT_B" cpupool-list --json
    [ "$status" -eq 0 ]
    expect_output_lacks a-web
    as "$TENANT_B" vcpu-pin a-web all 0
    expect_denied setaffinity
    as "$TENANT_B" sched-credit -d a-web -w 512
    expect_denied setsched
    as "$TENANT_B" sched-credit --json
    expect_output_lacks a-web
    as "$TENANT_B" cpupool-migrate a-web Pool-0
    expect_denied setpool
    # placement is the operator's: tenants may not pin even their own
    as "$TENANT_A" vcpu-pin a-web all 0
    expect_denied setaffinity
    as "$OPERATOR" vcpu-pin a-web all 0
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    as "$OPERATOR" cpupool-create "$STATE/bin/pool.cfg"
    expect_denied create
    root cpupool-list -c
    [ "$status" -eq 0 ]
    expect_output_has Pool-0
}

@test "flask: list and events show only what the subject may getinfo" {
    require_kvm
    start_flask
    as "$TENANT_A" create /dev/null name=a-run "kernel=$KERNEL" memory=16
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    as "$TENANT_B" create /dev/null name=b-run "kernel=$KERNEL" memory=16
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    as "$TENANT_A" list
    expect_output_has a-run
    expect_output_lacks b-run
    as "$TENANT_A" events --timeout 1
    expect_output_has "a-run started"
    expect_output_lacks b-run
    as "$TENANT_B" events --timeout 1
    expect_output_has "b-run started"
    expect_output_lacks a-run
    root events --timeout 1
    expect_output_has "a-run started" "b-run started"
    as "$TENANT_B" destroy a-run
    expect_denied destroy
    as "$TENANT_A" destroy a-run
    [ "$status" -eq 0 ]
    as "$TENANT_B" destroy b-run
    [ "$status" -eq 0 ]
}

@test "flask: the operator runs domains but cannot relabel" {
    start_flask
    as "$OPERATOR" define /dev/null name=op "kernel=$KERNEL" memory=16
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(label_of op)" = "system_u:object_r:domU_t" ]
    as "$OPERATOR" define /dev/null name=op2 "kernel=$KERNEL" memory=16 \
        'seclabel="system_u:object_r:nomigrate_t"'
    expect_denied relabelfrom
    expect_output_has "scontext=system_u:system_r:operator_t" "tcontext=system_u:object_r:domU_t"
    # the administrator may
    root define /dev/null name=op2 "kernel=$KERNEL" memory=16 \
        'seclabel="system_u:object_r:nomigrate_t"'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(label_of op2)" = "system_u:object_r:nomigrate_t" ]
    # the operator still manages it, but may not change the policy
    as "$OPERATOR" undefine op2
    [ "$status" -eq 0 ]
    as "$OPERATOR" setenforce 0
    expect_denied setenforce
    as "$OPERATOR" audit
    expect_denied audit
}

@test "flask: TLS clients are who their certificate says (cert lines of the mapping)" {
    local pki="$STATE/pki" tool="$SKIFF_SRCDIR/client/skiff-pki"
    sh "$tool" init "$pki" >/dev/null
    sh "$tool" host "$pki" localhost --ip 127.0.0.1 >/dev/null
    sh "$tool" client "$pki" tenant-b >/dev/null
    sh "$tool" client "$pki" stranger >/dev/null
    local subject_b
    subject_b="$(sh "$tool" subject "$pki/client-tenant-b.pem")"
    [ "$subject_b" = "CN=tenant-b,O=Skiff" ]
    echo "cert \"$subject_b\" tenant_u:tenant_r:tenant_b_t" >>"$STATE/labels"
    hostd_start --config "$STATE/hostd.conf" --listen-tls 127.0.0.1:0 \
        --tls-cert "$pki/host-localhost.pem" --tls-key "$pki/host-localhost-key.pem" \
        --tls-ca "$pki/ca.pem"
    export SKIFF_URI="unix://$SOCK"
    chmod 755 "$STATE"
    local tls="tls://$(sed -n 1p "$STATE/tls.ports")"
    define_as "$TENANT_A" a-local
    [ "$status" -eq 0 ]
    export SKIFF_TLS_CA="$pki/ca.pem"
    # tenant B, remote: its own domains only
    export SKIFF_TLS_CERT="$pki/client-tenant-b.pem" SKIFF_TLS_KEY="$pki/client-tenant-b-key.pem"
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$tls" labels </dev/null
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    expect_output_has "tenant_u:tenant_r:tenant_b_t"
    expect_output_lacks a-local
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$tls" define /dev/null name=b-remote "kernel=$KERNEL" memory=16 \
        </dev/null
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(label_of b-remote)" = "tenant_u:object_r:tenant_b_domU_t" ]
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$tls" dominfo a-local </dev/null
    expect_denied getinfo
    expect_output_has 'subject="CN=tenant-b,O=Skiff"' "scontext=tenant_u:tenant_r:tenant_b_t"
    # a certificate the CA signed but the mapping does not name
    export SKIFF_TLS_CERT="$pki/client-stranger.pem" SKIFF_TLS_KEY="$pki/client-stranger-key.pem"
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$tls" info </dev/null
    expect_denied getinfo
    expect_output_has "not in hostd's label mapping" 'subject="CN=stranger,O=Skiff"'
    # and a local client with uid 0 is not the admin over TLS: uid lines do not apply
    run timeout -k 10s 60s "$SKIFF_CLI" -c "$tls" list --json </dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
}

@test "flask: an unmapped client is allowed nothing" {
    start_flask
    root define /dev/null name=x "kernel=$KERNEL" memory=16
    as "$UNMAPPED" info
    expect_denied getinfo
    expect_output_has "not in hostd's label mapping" "system_u:system_r:unmapped_t" "tclass=host"
    as "$UNMAPPED" list --json
    [ "$status" -eq 0 ]
    [ "$output" = "[]" ]
    as "$UNMAPPED" destroy x
    expect_denied destroy
    as "$UNMAPPED" events --timeout 1
    expect_denied events
}

@test "flask: denials are logged in AVC format and read back with skiff audit" {
    start_flask
    define_as "$TENANT_A" a1
    as "$TENANT_B" undefine a1
    expect_denied undefine
    grep -q "avc: denied { undefine } for pid=[0-9]* uid=$TENANT_B name=a1 scontext=tenant_u:tenant_r:tenant_b_t tcontext=tenant_u:object_r:tenant_a_domU_t tclass=domain permissive=0" "$STATE/hostd.out"
    root audit
    [ "$status" -eq 0 ]
    expect_output_has "avc: denied { undefine }" "uid=$TENANT_B" "name=a1"
    root audit --json
    expect_output_has '"avc":"avc: denied { undefine }'
    # not in the ordinary event stream
    root events --timeout 1
    expect_output_lacks "avc:"
    as "$TENANT_A" audit
    expect_denied audit
    root getenforce -l
    expect_output_has "Denials:     2"
}

@test "flask: a flood of denied requests is denied, but recorded at most 200 a second" {
    start_flask
    cp "$RAWCLIENT" "$STATE/bin/rawclient"
    chmod a+rx "$STATE/bin/rawclient"
    local reqs=() i
    for i in $(seq 1 1000); do reqs+=(host-info); done
    run timeout -k 10s 60s setpriv --reuid="$UNMAPPED" --regid="$UNMAPPED" --clear-groups \
        "$STATE/bin/rawclient" "$SOCK" hello "${reqs[@]}"
    [ "$status" -eq 0 ] || { echo "$output" | tail -5; false; }
    [ "$(grep -c "DENIED" <<<"$output")" -eq 1000 ]
    sleep 1.1
    as "$UNMAPPED" info            # a new second: the count of the rest is logged
    expect_denied getinfo
    local logged
    logged=$(grep -c "avc: denied { getinfo } for pid=[0-9]* uid=$UNMAPPED" "$STATE/hostd.out")
    [ "$logged" -le 401 ] || { echo "$logged logged"; false; }
    grep -q "avc: [0-9]* decisions not logged (more than 200 a second)" "$STATE/hostd.out"
    kill -0 "$HOSTD_PID"
}

@test "flask: skiff audit -f follows new denials" {
    start_flask
    env LD_LIBRARY_PATH="$STATE/bin" SKIFF_URI="$SKIFF_URI" timeout -k 10s 20s "$CLI" audit -f \
        >"$STATE/audit.out" 2>&1 &
    local pid=$!
    sleep 0.5
    as "$TENANT_A" undefine nobody-has-this
    [ "$status" -eq 1 ]   # not found: no denial
    root define /dev/null name=d1 "kernel=$KERNEL" memory=16
    as "$TENANT_A" pause d1
    expect_denied pause
    local i
    for i in $(seq 1 50); do
        grep -q "avc: denied { pause }" "$STATE/audit.out" && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "avc: denied { pause } .*name=d1" "$STATE/audit.out"
}

@test "flask: permissive logs but allows" {
    start_flask
    define_as "$TENANT_A" a2
    root setenforce 0
    [ "$status" -eq 0 ]
    root getenforce
    [ "$output" = "Permissive" ]
    as "$TENANT_B" dominfo a2
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    expect_output_has a2
    grep -q "avc: denied { getinfo } .*scontext=tenant_u:tenant_r:tenant_b_t .*permissive=1" \
        "$STATE/hostd.out"
    root audit
    expect_output_has "permissive=1"
    root setenforce Enforcing
    as "$TENANT_B" dominfo a2
    expect_denied getinfo
    root setenforce 2
    [ "$status" -eq 2 ]
}

@test "flask: a broken policy is refused and the old one stays" {
    start_flask
    define_as "$TENANT_A" a3
    head -c 1000 "$POLICY" >"$STATE/truncated.policy"
    echo "not a policy" >"$STATE/garbage.policy"
    for p in truncated garbage; do
        root loadpolicy "$STATE/$p.policy"
        [ "$status" -eq 1 ] || { echo "$output"; false; }
        expect_output_has "policy refused, the running policy stays" "not a valid binary policy"
    done
    # a sound policy that cannot take the label mapping (no tenant types)
    root loadpolicy "$BUILD/tests/policy/no-tenants.policy"
    [ "$status" -eq 1 ]
    expect_output_has "context tenant_u:tenant_r:tenant_a_t is not valid"
    root getenforce -l
    expect_output_has "Policy:      $POLICY"
    as "$TENANT_B" dominfo a3
    expect_denied getinfo
    as "$TENANT_A" dominfo a3
    [ "$status" -eq 0 ]
    grep -q "policy load refused" "$STATE/hostd.out"
    # and only the administrator loads policies at all
    cp "$POLICY" "$STATE/bin/skiff.policy"
    chmod a+r "$STATE/bin/skiff.policy"
    as "$OPERATOR" loadpolicy "$STATE/bin/skiff.policy"
    expect_denied loadpolicy
}

@test "flask: a new policy takes effect at once" {
    start_flask
    as "$OPERATOR" audit
    expect_denied audit
    root loadpolicy "$BUILD/tests/policy/operator-audit.policy"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    root getenforce -l
    expect_output_has "Policy:      loaded by uid 0"
    as "$OPERATOR" audit
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    expect_output_has "avc: denied { audit }"
}

@test "flask: policy reload under load from other clients" {
    start_flask
    define_as "$TENANT_A" busy
    [ "$status" -eq 0 ]
    # Two tenants hammer hostd while the administrator reloads the policy.
    local script='for i in $(seq 1 150); do "$0" dominfo busy >/dev/null || { echo FAIL $i; exit 1; }; done; echo DONE'
    setpriv --reuid="$TENANT_A" --regid="$TENANT_A" --clear-groups \
        env LD_LIBRARY_PATH="$STATE/bin" SKIFF_URI="$SKIFF_URI" \
        sh -c "$script" "$CLI" >"$STATE/load-a.out" 2>&1 &
    local pa=$!
    local script_b='for i in $(seq 1 150); do if "$0" dominfo busy >/dev/null 2>&1; then echo LEAK $i; exit 1; fi; done; echo DONE'
    setpriv --reuid="$TENANT_B" --regid="$TENANT_B" --clear-groups \
        env LD_LIBRARY_PATH="$STATE/bin" SKIFF_URI="$SKIFF_URI" \
        sh -c "$script_b" "$CLI" >"$STATE/load-b.out" 2>&1 &
    local pb=$!
    local i
    for i in $(seq 1 20); do
        root loadpolicy "$BUILD/tests/policy/operator-audit.policy"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        root loadpolicy "$POLICY"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
    done
    wait "$pa"
    wait "$pb"
    cat "$STATE/load-a.out" "$STATE/load-b.out"
    grep -qx DONE "$STATE/load-a.out"
    grep -qx DONE "$STATE/load-b.out"
    kill -0 "$HOSTD_PID"
}

@test "flask: hostd refuses to start without a usable policy or mapping" {
    write_conf flask "$STATE/none.policy" 1
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE/s1" \
        --config "$STATE/hostd.conf"
    [ "$status" -ne 0 ]
    expect_output_has "security: cannot open $STATE/none.policy"
    write_conf flask "$POLICY" 1
    echo "uid zero admin" >>"$STATE/labels"
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE/s2" \
        --config "$STATE/hostd.conf"
    [ "$status" -ne 0 ]
    expect_output_has "$STATE/labels:6: 'admin' is not a security context"
    write_conf selinux "$POLICY" 1
    run timeout -k 10s 20s "$SKIFF_HOSTD" --foreground --state-dir "$STATE/s3" \
        --config "$STATE/hostd.conf"
    [ "$status" -ne 0 ]
    expect_output_has "security_module must be dummy or flask"
}

@test "dummy: the default module keeps root and the group, and has no policy" {
    hostd_start
    export SKIFF_URI="unix://$SOCK"
    chmod 755 "$STATE"
    root getenforce
    [ "$status" -eq 0 ]
    [ "$output" = "Disabled" ]
    root setenforce 1
    [ "$status" -eq 1 ]
    expect_output_has "dummy security module"
    root loadpolicy "$POLICY"
    [ "$status" -eq 1 ]
    expect_output_has "dummy security module"
    root define /dev/null name=plain "kernel=$KERNEL" memory=16
    root labels
    expect_output_has "plain"
    root audit
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    # any other uid is refused at the door (socket mode 0660 keeps it out first)
    [ "$(stat -c %a "$SOCK")" = 660 ]
    chmod 666 "$SOCK"
    as "$TENANT_A" list
    [ "$status" -ne 0 ]
    expect_output_has "only root"
}
