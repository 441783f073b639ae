/*
 * CPU pool rules (daemon/pool.c): creation from free CPUs only, the
 * default pool, destroy/rename/add/remove refusals with their errno and
 * message, and numa-split on hand-built 2- and 64-node topologies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/pool.h"

static struct cpuset set_of(const char *list)
{
    struct cpuset s;
    assert_int_equal(cpuset_parse(&s, list), 0);
    return s;
}

/* Pool-0 with 0-3 of online 0-7: CPUs 4-7 are free. */
static void base(struct pooltab *t, struct cpuset *online)
{
    *t = (struct pooltab){ 0 };
    *online = set_of("0-7");
    struct cpuset p0 = set_of("0-3");
    assert_int_equal(pooltab_add(t, POOL_DEFAULT_NAME, &p0), 0);
}

static void test_create(void **state)
{
    (void)state;
    struct pooltab t;
    struct cpuset online, cpus = set_of("4-5");
    char msg[300];
    base(&t, &online);
    assert_int_equal(pool_check_create(&t, "web", &cpus, "credit", &online, msg, sizeof msg), 0);
    assert_int_equal(pool_check_create(&t, "web", &cpus, "", &online, msg, sizeof msg), 0);
    assert_int_equal(pool_check_create(&t, "Pool-0", &cpus, NULL, &online, msg, sizeof msg),
                     -EEXIST);
    assert_non_null(strstr(msg, "already exists"));
    assert_int_equal(pool_check_create(&t, "-bad", &cpus, NULL, &online, msg, sizeof msg),
                     -EINVAL);
    assert_non_null(strstr(msg, "invalid pool name"));
    assert_int_equal(pool_check_create(&t, "web", &cpus, "rtds", &online, msg, sizeof msg),
                     -EINVAL);
    assert_non_null(strstr(msg, "credit"));
    cpus = set_of("3-4");   /* 3 is Pool-0's */
    assert_int_equal(pool_check_create(&t, "web", &cpus, NULL, &online, msg, sizeof msg),
                     -EBUSY);
    assert_non_null(strstr(msg, "CPU 3 is in pool Pool-0"));
    cpus = set_of("9");     /* not online */
    assert_int_equal(pool_check_create(&t, "web", &cpus, NULL, &online, msg, sizeof msg),
                     -EINVAL);
    assert_non_null(strstr(msg, "CPU 9 is not an online CPU"));
    pooltab_free(&t);
}

static void test_destroy_rename(void **state)
{
    (void)state;
    struct pooltab t;
    struct cpuset online, cpus = set_of("4");
    char msg[300];
    base(&t, &online);
    assert_int_equal(pooltab_add(&t, "web", &cpus), 0);
    assert_int_equal(pool_check_destroy(&t, 0, 0, msg, sizeof msg), -EINVAL);
    assert_non_null(strstr(msg, "cannot be destroyed"));
    assert_int_equal(pool_check_destroy(&t, 1, 2, msg, sizeof msg), -EBUSY);
    assert_non_null(strstr(msg, "has 2 domains"));
    assert_int_equal(pool_check_destroy(&t, 1, 0, msg, sizeof msg), 0);
    assert_int_equal(pool_check_rename(&t, 1, "Pool-0", msg, sizeof msg), -EEXIST);
    assert_int_equal(pool_check_rename(&t, 1, "web", msg, sizeof msg), 0);
    assert_int_equal(pool_check_rename(&t, 1, "db", msg, sizeof msg), 0);
    assert_int_equal(pool_check_rename(&t, 1, "a/b", msg, sizeof msg), -EINVAL);
    pooltab_remove(&t, 1);
    assert_int_equal(t.n, 1);
    assert_int_equal(pool_find(&t, "web"), -1);
    pooltab_free(&t);
}

static void test_cpu_add_remove(void **state)
{
    (void)state;
    struct pooltab t;
    struct cpuset online, cpus = set_of("4"), none;
    char msg[300];
    cpuset_zero(&none);
    base(&t, &online);
    assert_int_equal(pooltab_add(&t, "web", &cpus), 0);
    cpus = set_of("5-6");
    assert_int_equal(pool_check_cpu_add(&t, 1, &cpus, &online, msg, sizeof msg), 0);
    cpus = set_of("4");
    assert_int_equal(pool_check_cpu_add(&t, 1, &cpus, &online, msg, sizeof msg), -EINVAL);
    assert_non_null(strstr(msg, "already in pool web"));
    cpus = set_of("0");
    assert_int_equal(pool_check_cpu_add(&t, 1, &cpus, &online, msg, sizeof msg), -EBUSY);
    assert_int_equal(pool_check_cpu_add(&t, 1, &none, &online, msg, sizeof msg), -EINVAL);
    /* Remove: only its own CPUs; the last one only without running domains. */
    cpus = set_of("5");
    assert_int_equal(pool_check_cpu_remove(&t, 1, &cpus, 0, msg, sizeof msg), -EINVAL);
    assert_non_null(strstr(msg, "CPU 5 is not in pool web"));
    cpus = set_of("4");
    assert_int_equal(pool_check_cpu_remove(&t, 1, &cpus, 1, msg, sizeof msg), -EBUSY);
    assert_non_null(strstr(msg, "last CPU"));
    assert_int_equal(pool_check_cpu_remove(&t, 1, &cpus, 0, msg, sizeof msg), 0);
    cpus = set_of("2-3");
    assert_int_equal(pool_check_cpu_remove(&t, 0, &cpus, 3, msg, sizeof msg), 0);
    /* Free CPUs: online minus every pool. */
    struct cpuset f;
    pool_free_cpus(&t, &online, &f);
    assert_true(cpuset_equal(&f, &(struct cpuset){ { 0xe0 } }));
    assert_int_equal(pool_of_cpu(&t, 4), 1);
    assert_int_equal(pool_of_cpu(&t, 7), -1);
    pooltab_free(&t);
}

/* A topology of n nodes with per CPUs each (all online). */
static struct topology *topo(unsigned n, unsigned per)
{
    struct topology *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->nnodes = n;
    t->ncpus = n * per;
    for (unsigned i = 0; i < n; i++) {
        t->nodes[i].present = true;
        for (unsigned c = i * per; c < (i + 1) * per; c++) {
            cpuset_set(&t->nodes[i].cpus, c);
            cpuset_set(&t->online, c);
        }
    }
    return t;
}

static void test_numa_split(void **state)
{
    (void)state;
    struct pooltab t = { 0 }, out;
    char msg[300];
    struct topology *two = topo(2, 4);
    assert_int_equal(pooltab_add(&t, POOL_DEFAULT_NAME, &two->online), 0);
    assert_int_equal(pool_numa_split(&t, two, &out, msg, sizeof msg), 0);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0].name, "Pool-node0");
    assert_string_equal(out.v[1].name, "Pool-node1");
    assert_true(cpuset_equal(&out.v[1].cpus, &two->nodes[1].cpus));
    pooltab_free(&out);
    /* A second pool: refused. */
    struct cpuset c = { { 0 } };
    assert_int_equal(pooltab_add(&t, "other", &c), 0);
    assert_int_equal(pool_numa_split(&t, two, &out, msg, sizeof msg), -EBUSY);
    assert_non_null(strstr(msg, "there are 2 pools"));
    pooltab_free(&t);
    free(two);

    struct topology *big = topo(64, 64);
    cpuset_clear(&big->online, 4095);   /* CPUSET_MAX is 4096: 4095 CPUs */
    assert_int_equal(pooltab_add(&t, POOL_DEFAULT_NAME, &big->online), 0);
    assert_int_equal(pool_numa_split(&t, big, &out, msg, sizeof msg), 0);
    assert_int_equal(out.n, 64);
    assert_string_equal(out.v[63].name, "Pool-node63");
    assert_int_equal(cpuset_count(&out.v[63].cpus), 63);
    pooltab_free(&out);
    pooltab_free(&t);
    free(big);
}

static void test_copy(void **state)
{
    (void)state;
    struct pooltab t, c;
    struct cpuset online;
    base(&t, &online);
    assert_int_equal(pooltab_copy(&c, &t), 0);
    cpuset_clear(&c.v[0].cpus, 0);
    assert_true(cpuset_has(&t.v[0].cpus, 0));
    pooltab_free(&c);
    pooltab_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_destroy_rename),
        cmocka_unit_test(test_cpu_add_remove),
        cmocka_unit_test(test_numa_split),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
