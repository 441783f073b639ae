/*
 * The FLASK security server (daemon/flask.c) with the example policy as
 * built from policy/: the decisions the policy promises (tenants, the
 * operator, nomigrate_t, peers, unmapped clients), default labels by
 * type_transition, the cache, and atomic loading. Migration is not wired
 * into hostd yet, so its hooks' decisions are checked here.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/flask.h"
#include "daemon/labels.h"

#define POLICY TEST_BUILDDIR "/policy/skiff.policy"
#define NO_TENANTS TEST_BUILDDIR "/tests/policy/no-tenants.policy"

#define ADMIN "system_u:system_r:admin_t"
#define OPERATOR "system_u:system_r:operator_t"
#define PEER "system_u:system_r:peer_t"
#define TENANT_A "tenant_u:tenant_r:tenant_a_t"
#define TENANT_B "tenant_u:tenant_r:tenant_b_t"
#define DOMU "system_u:object_r:domU_t"
#define ISOLATED "system_u:object_r:isolated_domU_t"
#define NOMIGRATE "system_u:object_r:nomigrate_t"
#define A_DOMU "tenant_u:object_r:tenant_a_domU_t"
#define B_DOMU "tenant_u:object_r:tenant_b_domU_t"

static char err[600];

static void *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t n = read(fd, buf, cap);
    assert_true(n > 0 && (size_t)n < cap);
    close(fd);
    *len = (size_t)n;
    return buf;
}

static int load_example(void **state)
{
    int rc = flask_load_file(POLICY, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "# %s\n", err);
    return rc;
}

static int unload(void **state)
{
    flask_unload();
    return 0;
}

static uint32_t sid(const char *ctx)
{
    uint32_t s = 0;
    if (flask_sid(ctx, &s) < 0)
        fail_msg("context %s is not valid in the example policy", ctx);
    return s;
}

static bool allowed(const char *s, const char *t, enum xsm_perm p)
{
    struct flask_decision d;
    assert_int_equal(flask_decide(sid(s), sid(t), p, &d), 0);
    return d.allowed;
}

static bool allowed_sid(uint32_t s, uint32_t t, enum xsm_perm p)
{
    struct flask_decision d;
    assert_int_equal(flask_decide(s, t, p, &d), 0);
    return d.allowed;
}

/* One decision the policy promises; target NULL is the host (FLASK_SID_HOST). */
struct want {
    const char *subject, *target;
    enum xsm_perm perm;
    bool allowed;
};

static void expect_decisions(const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t t = w[i].target ? sid(w[i].target) : FLASK_SID_HOST;
        if (allowed_sid(sid(w[i].subject), t, w[i].perm) != w[i].allowed)
            fail_msg("%s on %s, permission %d: want %s", w[i].subject,
                     w[i].target ? w[i].target : "the host", (int)w[i].perm,
                     w[i].allowed ? "allowed" : "denied");
    }
}

#define EXPECT_DECISIONS(...)                                                     \
    do {                                                                          \
        const struct want w_[] = { __VA_ARGS__ };                                 \
        expect_decisions(w_, sizeof w_ / sizeof w_[0]);                           \
    } while (0)

static void initial_sids_have_contexts(void **state)
{
    static const char *const want[] = { NULL, "system_u:object_r:host_t",
                                        "system_u:object_r:pool_t",
                                        "system_u:object_r:unlabeled_t",
                                        "system_u:system_r:unmapped_t" };
    for (uint32_t s = 1; s <= FLASK_NISIDS; s++) {
        char *ctx = flask_context(s);
        assert_non_null(ctx);
        assert_string_equal(ctx, want[s]);
        free(ctx);
    }
}

static void tenants_reach_only_their_own(void **state)
{
    for (int p = XSM_DOMAIN__CREATE; p <= XSM_DOMAIN__RENAME; p++) {
        assert_true(allowed(TENANT_A, A_DOMU, p));
        assert_false(allowed(TENANT_A, B_DOMU, p));
        assert_false(allowed(TENANT_B, A_DOMU, p));
        assert_false(allowed(TENANT_A, DOMU, p));
    }
    EXPECT_DECISIONS({ TENANT_A, A_DOMU, XSM_DOMAIN__MIGRATE_OUT, false },
                     { TENANT_A, A_DOMU, XSM_DOMAIN__RELABELTO, false },
                     { TENANT_A, NULL, XSM_HOST__GETINFO, true },
                     { TENANT_A, NULL, XSM_HOST__AUDIT, false },
                     { TENANT_A, NULL, XSM_HOST__LOADPOLICY, false });
}

static void operator_runs_but_does_not_relabel_or_migrate(void **state)
{
    EXPECT_DECISIONS({ OPERATOR, DOMU, XSM_DOMAIN__CREATE, true },
                     { OPERATOR, A_DOMU, XSM_DOMAIN__DESTROY, true },
                     { OPERATOR, DOMU, XSM_DOMAIN__CONSOLE, true },
                     { OPERATOR, DOMU, XSM_DOMAIN__RELABELFROM, false },
                     { OPERATOR, NOMIGRATE, XSM_DOMAIN__RELABELTO, false },
                     { OPERATOR, DOMU, XSM_DOMAIN__MIGRATE_OUT, false },
                     /* isolated domains: run, but no console or memory */
                     { OPERATOR, ISOLATED, XSM_DOMAIN__DESTROY, true },
                     { OPERATOR, ISOLATED, XSM_DOMAIN__CONSOLE, false },
                     { OPERATOR, ISOLATED, XSM_DOMAIN__SAVE, false },
                     { ADMIN, ISOLATED, XSM_DOMAIN__CONSOLE, true },
                     { OPERATOR, NULL, XSM_HOST__SETENFORCE, false },
                     { ADMIN, NULL, XSM_HOST__SETENFORCE, true });
}

static void nomigrate_never_migrates(void **state)
{
    const char *subjects[] = { ADMIN, OPERATOR, PEER, TENANT_A };
    for (size_t i = 0; i < sizeof subjects / sizeof *subjects; i++) {
        assert_false(allowed(subjects[i], NOMIGRATE, XSM_DOMAIN__MIGRATE_OUT));
        assert_false(allowed(subjects[i], NOMIGRATE, XSM_DOMAIN__MIGRATE_IN));
    }
    EXPECT_DECISIONS({ ADMIN, DOMU, XSM_DOMAIN__MIGRATE_OUT, true },
                     { ADMIN, A_DOMU, XSM_DOMAIN__MIGRATE_OUT, true });
}

static void only_peers_migrate_in(void **state)
{
    EXPECT_DECISIONS({ PEER, NULL, XSM_PEER__MIGRATE_IN, true },
                     { PEER, DOMU, XSM_DOMAIN__MIGRATE_IN, true },
                     { PEER, A_DOMU, XSM_DOMAIN__MIGRATE_IN, true },
                     { ADMIN, NULL, XSM_PEER__MIGRATE_IN, false },
                     { OPERATOR, NULL, XSM_PEER__MIGRATE_IN, false },
                     { TENANT_A, NULL, XSM_PEER__MIGRATE_IN, false },
                     /* A peer is not an administrator of this host. */
                     { PEER, DOMU, XSM_DOMAIN__DESTROY, false });
    assert_false(allowed_sid(FLASK_SID_UNMAPPED, FLASK_SID_HOST, XSM_PEER__MIGRATE_IN));
}

static void unmapped_is_allowed_nothing(void **state)
{
    uint32_t targets[] = { FLASK_SID_HOST, FLASK_SID_POOL, FLASK_SID_UNLABELED, sid(DOMU),
                           sid(A_DOMU), FLASK_SID_UNMAPPED };
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++)
        for (int p = 0; p < XSM_NPERMS; p++)
            assert_false(allowed_sid(FLASK_SID_UNMAPPED, targets[t], p));
}

static void unlabeled_domains_are_for_the_admin(void **state)
{
    assert_true(allowed_sid(sid(ADMIN), FLASK_SID_UNLABELED, XSM_DOMAIN__DESTROY));
    assert_false(allowed_sid(sid(TENANT_A), FLASK_SID_UNLABELED, XSM_DOMAIN__GETINFO));
}

static void default_labels_by_type_transition(void **state)
{
    struct { const char *subject, *label; } cases[] = {
        { ADMIN, DOMU }, { OPERATOR, DOMU }, { TENANT_A, A_DOMU }, { TENANT_B, B_DOMU },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t out;
        assert_int_equal(flask_create_sid(sid(cases[i].subject), FLASK_SID_HOST,
                                          XSM_CLASS_DOMAIN, &out), 0);
        char *ctx = flask_context(out);
        assert_non_null(ctx);
        assert_string_equal(ctx, cases[i].label);
        free(ctx);
    }
}

static void relabel_constraint(void **state)
{
    /* The administrator may label a domain as anybody's. */
    EXPECT_DECISIONS({ ADMIN, DOMU, XSM_DOMAIN__RELABELFROM, true },
                     { ADMIN, A_DOMU, XSM_DOMAIN__RELABELTO, true },
                     { ADMIN, NOMIGRATE, XSM_DOMAIN__RELABELTO, true });
}

static void bad_contexts(void **state)
{
    uint32_t s;
    assert_int_equal(flask_sid("nobody_u:system_r:admin_t", &s), -EINVAL);
    assert_int_equal(flask_sid("tenant_u:system_r:admin_t", &s), -EINVAL);   /* role not the user's */
    assert_int_equal(flask_sid("system_u:system_r:no_such_t", &s), -EINVAL);
    assert_int_equal(flask_sid("garbage", &s), -EINVAL);
    assert_int_equal(flask_sid("", &s), -EINVAL);
}

static void cache_serves_repeats(void **state)
{
    struct flask_stats a, b;
    uint32_t s = sid(TENANT_A), t = sid(A_DOMU);
    struct flask_decision d;
    flask_avc_flush();
    flask_get_stats(&a);
    for (int i = 0; i < 100; i++)
        assert_int_equal(flask_decide(s, t, XSM_DOMAIN__GETINFO, &d), 0);
    flask_get_stats(&b);
    assert_int_equal(b.avc_misses - a.avc_misses, 1);
    assert_int_equal(b.avc_hits - a.avc_hits, 99);
    /* Other permissions of the same class share the entry. */
    assert_int_equal(flask_decide(s, t, XSM_DOMAIN__DESTROY, &d), 0);
    flask_get_stats(&a);
    assert_int_equal(a.avc_misses, b.avc_misses);
    assert_true(d.allowed);
}

static void broken_policies_are_refused_atomically(void **state)
{
    unsigned gen = flask_generation();
    size_t len;
    char *good = read_all(POLICY, &len);
    static const char garbage[] = "this is not a policy, just some text of a decent length";
    assert_int_equal(flask_load(garbage, sizeof garbage, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "not a valid binary policy"));
    assert_int_equal(flask_load(good, len / 2, NULL, err, sizeof err), -EINVAL);
    assert_int_equal(flask_load(good, 0, NULL, err, sizeof err), -EINVAL);
    /* flip bytes in the middle */
    char *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, good, len);
    for (size_t i = len / 3; i < len / 3 + 64; i++)
        bad[i] = (char)0xff;
    assert_true(flask_load(bad, len, NULL, err, sizeof err) < 0);
    free(bad);
    /* The old policy still decides, untouched. */
    assert_int_equal(flask_generation(), gen);
    assert_true(flask_loaded());
    assert_true(allowed(TENANT_A, A_DOMU, XSM_DOMAIN__DESTROY));
    assert_false(allowed(TENANT_A, B_DOMU, XSM_DOMAIN__DESTROY));
    /* A good one goes in and bumps the generation. */
    assert_int_equal(flask_load(good, len, NULL, err, sizeof err), 0);
    assert_int_not_equal(flask_generation(), gen);
    free(good);
}

static void labels_must_be_valid_in_the_policy(void **state)
{
    struct labels l;
    const char *text = "uid 0 " ADMIN "\nuid 64101 " TENANT_A "\n";
    assert_int_equal(labels_parse(text, strlen(text), "labels", &l, err, sizeof err, NULL, NULL),
                     0);
    unsigned gen = flask_generation();
    /* A policy without the tenant types cannot take this mapping. */
    assert_int_equal(flask_load_file(NO_TENANTS, &l, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "line 2: context " TENANT_A " is not valid"));
    assert_int_equal(flask_generation(), gen);
    assert_true(allowed(TENANT_A, A_DOMU, XSM_DOMAIN__GETINFO));
    /* ... but the example policy can. */
    assert_int_equal(flask_load_file(POLICY, &l, err, sizeof err), 0);
    labels_free(&l);
    /* And the fixture itself is a good policy without that mapping. */
    assert_int_equal(flask_load_file(NO_TENANTS, NULL, err, sizeof err), 0);
    uint32_t s;
    assert_int_equal(flask_sid(TENANT_A, &s), -EINVAL);
}

static void nothing_loaded(void **state)
{
    flask_unload();
    assert_false(flask_loaded());
    struct flask_decision d;
    uint32_t s;
    assert_int_equal(flask_decide(1, 1, XSM_HOST__GETINFO, &d), -EINVAL);
    assert_int_equal(flask_sid(ADMIN, &s), -EINVAL);
    assert_null(flask_context(1));
    assert_int_equal(flask_load_file("/nonexistent.policy", NULL, err, sizeof err), -ENOENT);
    assert_false(flask_loaded());
    static const char garbage[] = "still not a policy";
    assert_int_equal(flask_load(garbage, sizeof garbage, NULL, err, sizeof err), -EINVAL);
    assert_false(flask_loaded());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(initial_sids_have_contexts, load_example, unload),
        cmocka_unit_test_setup_teardown(tenants_reach_only_their_own, load_example, unload),
        cmocka_unit_test_setup_teardown(operator_runs_but_does_not_relabel_or_migrate,
                                        load_example, unload),
        cmocka_unit_test_setup_teardown(nomigrate_never_migrates, load_example, unload),
        cmocka_unit_test_setup_teardown(only_peers_migrate_in, load_example, unload),
        cmocka_unit_test_setup_teardown(unmapped_is_allowed_nothing, load_example, unload),
        cmocka_unit_test_setup_teardown(unlabeled_domains_are_for_the_admin, load_example,
                                        unload),
        cmocka_unit_test_setup_teardown(default_labels_by_type_transition, load_example, unload),
        cmocka_unit_test_setup_teardown(relabel_constraint, load_example, unload),
        cmocka_unit_test_setup_teardown(bad_contexts, load_example, unload),
        cmocka_unit_test_setup_teardown(cache_serves_repeats, load_example, unload),
        cmocka_unit_test_setup_teardown(broken_policies_are_refused_atomically, load_example,
                                        unload),
        cmocka_unit_test_setup_teardown(labels_must_be_valid_in_the_policy, load_example,
                                        unload),
        cmocka_unit_test(nothing_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
