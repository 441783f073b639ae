/*
 * Host topology (daemon/topology.c) from synthetic sysfs trees: sizes from
 * one node to 64 nodes and 4095 CPUs, offline CPUs, asymmetric nodes,
 * missing and garbage files; and from this machine's /sys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/topo-fixture.h"

#define MIB (UINT64_C(1) << 20)

static int setup(void **state)
{
    *state = topo_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    topo_rmdir(*state);
    return 0;
}

static void assert_list(const struct cpuset *s, const char *want)
{
    char buf[32768];

    assert_true(cpuset_format(s, buf, sizeof buf) >= 0);
    assert_string_equal(buf, want);
}

/* Each node's CPUs are exactly the CPUs whose node is that node. */
static void assert_consistent(const struct topology *t)
{
    for (unsigned c = 0; c < t->ncpus; c++) {
        int n = t->cpus[c].node;
        assert_true(n >= -1 && n < (int)t->nnodes);
        if (n >= 0)
            assert_true(cpuset_has(&t->nodes[n].cpus, c));
        assert_int_equal(t->cpus[c].online, cpuset_has(&t->online, c));
    }
    for (unsigned n = 0; n < t->nnodes; n++)
        for (int c = cpuset_next(&t->nodes[n].cpus, 0); c >= 0;
             c = cpuset_next(&t->nodes[n].cpus, (unsigned)c + 1))
            assert_int_equal(t->cpus[c].node, (int)n);
}

static void test_one_node(void **state)
{
    struct topogen g = { .cpus = 4, .nodes = 1 };
    struct topology *t = topo_make(*state, &g);

    assert_int_equal(t->ncpus, 4);
    assert_int_equal(cpuset_count(&t->online), 4);
    assert_int_equal(t->nnodes, 1);
    assert_true(t->nodes[0].present);
    assert_list(&t->nodes[0].cpus, "0-3");
    assert_true(t->nodes[0].mem_total == 4096 * MIB);
    assert_true(t->nodes[0].mem_free == 4096 * MIB);
    assert_int_equal(t->distance[0][0], 10);
    assert_int_equal(t->ncores, 4);
    assert_int_equal(t->nsockets, 1);
    assert_false(t->nodes[1].present);
    assert_consistent(t);
    topology_free(t);
}

static void test_two_nodes_smt(void **state)
{
    struct topogen g = { .cpus = 8, .nodes = 2, .sockets = 2, .threads_per_core = 2 };
    struct topology *t = topo_make(*state, &g);

    assert_int_equal(t->nnodes, 2);
    assert_list(&t->nodes[0].cpus, "0-3");
    assert_list(&t->nodes[1].cpus, "4-7");
    assert_int_equal(t->cpus[5].socket, 1);
    assert_int_equal(t->cpus[5].core, 0);
    assert_int_equal(t->cpus[7].core, 1);
    assert_int_equal(t->cpus[5].node, 1);
    assert_int_equal(t->ncores, 4);     /* core ids repeat across sockets */
    assert_int_equal(t->nsockets, 2);
    assert_int_equal(t->distance[0][1], 20);
    assert_int_equal(t->distance[1][0], 20);
    assert_int_equal(t->distance[1][1], 10);
    assert_consistent(t);
    topology_free(t);
}

static void test_four_nodes_memory(void **state)
{
    struct topogen g = { .cpus = 16, .nodes = 4, .n_mem = 4, .n_free = 4,
                         .mem_mib = { 1024, 2048, 3072, 4096 },
                         .free_mib = { 1000, 0, 3072, 1 } };
    struct topology *t = topo_make(*state, &g);

    assert_int_equal(t->nnodes, 4);
    assert_list(&t->nodes[3].cpus, "12-15");
    assert_true(t->nodes[1].mem_total == 2048 * MIB);
    assert_true(t->nodes[1].mem_free == 0);
    assert_true(t->nodes[0].mem_free == 1000 * MIB);
    assert_true(t->nodes[3].mem_free == 1 * MIB);
    assert_int_equal(t->nsockets, 4);
    topology_free(t);
}

static void test_big(void **state)
{
    struct topogen g = { .cpus = 4095, .nodes = 64, .sockets = 8, .threads_per_core = 2 };
    struct topology *t = topo_make(*state, &g);
    unsigned sum = 0;

    assert_int_equal(t->ncpus, 4095);
    assert_int_equal(cpuset_count(&t->online), 4095);
    assert_int_equal(t->nnodes, 64);
    for (unsigned n = 0; n < 64; n++) {
        unsigned k = cpuset_count(&t->nodes[n].cpus);
        assert_true(k == 63 || k == 64);
        sum += k;
        assert_int_equal(t->distance[n][n], 10);
        assert_int_equal(t->distance[n][(n + 1) % 64], 20);
    }
    assert_int_equal(sum, 4095);
    assert_list(&t->nodes[0].cpus, "0-63");
    assert_int_equal(t->nsockets, 8);
    /* 8 sockets of 511 or 512 CPUs, two threads a core. */
    assert_int_equal(t->ncores, 2048);
    assert_consistent(t);
    topology_free(t);
}

static void test_offline(void **state)
{
    struct topogen g = { .cpus = 8, .nodes = 2 };
    struct topology *t;

    assert_int_equal(cpuset_parse(&g.offline, "1,5-6"), 0);
    t = topo_make(*state, &g);
    assert_int_equal(t->ncpus, 8);
    assert_list(&t->online, "0,2-4,7");
    assert_false(t->cpus[1].online);
    assert_int_equal(t->cpus[1].core, -1);
    assert_int_equal(t->cpus[1].socket, -1);
    assert_true(t->cpus[2].online);
    assert_int_equal(t->ncores, 5);
    assert_consistent(t);
    topology_free(t);
}

static void test_offline_last(void **state)
{
    /* The highest CPU offline: still possible, so still counted in ncpus. */
    struct topogen g = { .cpus = 6, .nodes = 1 };
    struct topology *t;

    assert_int_equal(cpuset_parse(&g.offline, "5"), 0);
    t = topo_make(*state, &g);
    assert_int_equal(t->ncpus, 6);
    assert_int_equal(cpuset_count(&t->online), 5);
    topology_free(t);
}

static void test_asymmetric(void **state)
{
    struct topogen g = { .cpus = 12, .nodes = 4, .asymmetric = true };
    struct topology *t = topo_make(*state, &g);

    assert_list(&t->nodes[0].cpus, "0-1");
    assert_list(&t->nodes[1].cpus, "2-5");
    assert_list(&t->nodes[2].cpus, "6-11");
    assert_true(t->nodes[3].present);
    assert_true(cpuset_empty(&t->nodes[3].cpus));
    assert_true(t->nodes[3].mem_total == 8192 * MIB);
    assert_true(t->nodes[0].mem_total == 1024 * MIB);
    assert_true(t->nodes[2].mem_total == 3072 * MIB);
    assert_int_equal(t->distance[0][1], 20);
    assert_int_equal(t->distance[0][2], 30);
    assert_int_equal(t->distance[3][2], 20);
    assert_consistent(t);
    topology_free(t);
}

static void test_asymmetric_big(void **state)
{
    struct topogen g = { .cpus = 4095, .nodes = 64, .asymmetric = true };
    struct topology *t = topo_make(*state, &g);
    unsigned memonly = 0, sum = 0;

    assert_int_equal(t->nnodes, 64);
    for (unsigned n = 0; n < 64; n++) {
        sum += cpuset_count(&t->nodes[n].cpus);
        if (cpuset_empty(&t->nodes[n].cpus)) {
            memonly++;
            assert_int_equal(n % 4, 3);
            assert_true(t->nodes[n].mem_total == 8192 * MIB);
        }
    }
    assert_int_equal(memonly, 16);
    assert_int_equal(sum, 4095);
    assert_consistent(t);
    topology_free(t);
}

static void test_no_numa(void **state)
{
    /* No node directory: one node 0 with every CPU; a test tree has no memory figures. */
    struct topogen g = { .cpus = 3, .nodes = 0 };
    struct topology *t = topo_make(*state, &g);

    assert_int_equal(t->nnodes, 1);
    assert_true(t->nodes[0].present);
    assert_list(&t->nodes[0].cpus, "0-2");
    assert_int_equal(t->cpus[2].node, 0);
    assert_true(t->nodes[0].mem_total == 0);
    assert_int_equal(topology_refresh_free(t, *state), 0);
    topology_free(t);
}

/* The tree G with REL replaced by TEXT (removed when NULL) fails with ERR and a message with WHAT. */
static void bad_tree(const char *dir, const struct topogen *g, const char *rel, const char *text,
                     int err, const char *what)
{
    struct topology *t = (struct topology *)1;
    char why[512] = "";

    assert_int_equal(topogen_write(dir, g), 0);
    topo_put(dir, rel, text);
    int rc = topology_read(dir, &t, why, sizeof why);
    if (rc != err)
        fail_msg("%s: got %d (%s), not %d", rel, rc, why, err);
    assert_null(t);
    if (!strstr(why, what))
        fail_msg("message \"%s\" does not mention \"%s\"", why, what);
    /* No message buffer, or a tiny one: same error, no crash. */
    assert_int_equal(topology_read(dir, &t, NULL, 0), err);
    assert_int_equal(topology_read(dir, &t, why, 4), err);
    assert_int_equal(strlen(why), 3);
}

static void test_bad_files(void **state)
{
    const char *d = *state;
    struct topogen g = { .cpus = 8, .nodes = 2 };
    char big[40000];

    bad_tree(d, &g, "devices/system/cpu/possible", NULL, -ENOENT, "cpu/possible: No such file");
    bad_tree(d, &g, "devices/system/cpu/possible", "zero\n", -EINVAL, "possible: not a CPU list");
    bad_tree(d, &g, "devices/system/cpu/possible", "\n", -EINVAL, "possible: no CPUs");
    bad_tree(d, &g, "devices/system/cpu/possible", "0-9999\n", -ERANGE, "4096 or more");
    bad_tree(d, &g, "devices/system/cpu/online", NULL, -ENOENT, "cpu/online");
    bad_tree(d, &g, "devices/system/cpu/online", "", -EINVAL, "online: no CPUs");
    bad_tree(d, &g, "devices/system/cpu/online", "0-8\n", -EINVAL, "CPU 8 is not possible");
    bad_tree(d, &g, "devices/system/cpu/online", "0-3,\n", -EINVAL, "(at offset 4)");
    bad_tree(d, &g, "devices/system/cpu/cpu3/topology/core_id", "three\n", -EINVAL,
             "cpu3/topology/core_id: not a number");
    bad_tree(d, &g, "devices/system/cpu/cpu3/topology/physical_package_id", "1 2\n", -EINVAL,
             "physical_package_id: not a number");
    bad_tree(d, &g, "devices/system/cpu/cpu3/topology/core_id", "", -EINVAL, "not a number");
    bad_tree(d, &g, "devices/system/node/online", NULL, -ENOENT, "node/online");
    bad_tree(d, &g, "devices/system/node/online", "0-64\n", -ERANGE, "at most 64 nodes");
    /* A third node without a directory: node 0's distances no longer match first. */
    bad_tree(d, &g, "devices/system/node/online", "0-2\n", -EINVAL,
             "node0/distance: fewer distances");
    bad_tree(d, &g, "devices/system/node/node1/cpulist", "3-7\n", -EINVAL,
             "CPU 3 is in two nodes");
    bad_tree(d, &g, "devices/system/node/node1/cpulist", "4-8\n", -EINVAL,
             "CPU 8 is not possible");
    bad_tree(d, &g, "devices/system/node/node1/meminfo", NULL, -ENOENT, "node1/meminfo");
    bad_tree(d, &g, "devices/system/node/node1/meminfo", "hello\n", -ENODATA,
             "no MemTotal and MemFree");
    bad_tree(d, &g, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal: 100 kB\nNode 1 MemFree: lots kB\n", -EINVAL, "bad MemTotal");
    bad_tree(d, &g, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal: 100 MB\nNode 1 MemFree: 1 kB\n", -EINVAL, "bad MemTotal");
    bad_tree(d, &g, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal: 99999999999999999999999 kB\nNode 1 MemFree: 1 kB\n", -ERANGE,
             "node1/meminfo");
    bad_tree(d, &g, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal: 100 kB\nNode 1 MemFree: 200 kB\n", -EINVAL,
             "MemFree is more than MemTotal");
    bad_tree(d, &g, "devices/system/node/node0/distance", NULL, -ENOENT, "node0/distance");
    bad_tree(d, &g, "devices/system/node/node0/distance", "10\n", -EINVAL,
             "fewer distances");
    bad_tree(d, &g, "devices/system/node/node0/distance", "10 20 30\n", -EINVAL,
             "more distances");
    bad_tree(d, &g, "devices/system/node/node0/distance", "10 256\n", -EINVAL, "out of range");
    bad_tree(d, &g, "devices/system/node/node0/distance", "10 x\n", -EINVAL, "fewer");
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bad_tree(d, &g, "devices/system/cpu/online", big, -EFBIG, "cpu/online: File too large");
}

static void test_missing_root(void **state)
{
    struct topology *t = NULL;
    char why[512], path[4096];

    snprintf(path, sizeof path, "%s/nothing-here", (char *)*state);
    assert_int_equal(topology_read(path, &t, why, sizeof why), -ENOENT);
    assert_null(t);
    assert_non_null(strstr(why, "nothing-here/devices/system/cpu/possible"));
}

static void test_missing_core_id(void **state)
{
    /* Some virtual machines have no ids: the CPU counts as its own core. */
    struct topogen g = { .cpus = 4, .nodes = 1, .threads_per_core = 2 };
    struct topology *t;
    char why[256];

    assert_int_equal(topogen_write(*state, &g), 0);
    topo_put(*state, "devices/system/cpu/cpu1/topology/core_id", NULL);
    assert_int_equal(topology_read(*state, &t, why, sizeof why), 0);
    assert_int_equal(t->cpus[1].core, -1);
    assert_int_equal(t->cpus[1].socket, 0);
    assert_int_equal(t->ncores, 3);     /* {0,1} was one core; now 0 alone, 1 alone, {2,3} */
    topology_free(t);
}

static void test_refresh_free(void **state)
{
    struct topogen g = { .cpus = 8, .nodes = 2 };
    struct topology *t = topo_make(*state, &g);

    topo_put(*state, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal:  4194304 kB\nNode 1 MemFree:   1024 kB\n");
    assert_int_equal(topology_refresh_free(t, *state), 0);
    assert_true(t->nodes[1].mem_free == 1 * MIB);
    assert_true(t->nodes[0].mem_free == 4096 * MIB);
    topo_put(*state, "devices/system/node/node1/meminfo", "garbage\n");
    assert_int_equal(topology_refresh_free(t, *state), -ENODATA);
    /* A failed refresh leaves the node as it was. */
    topo_put(*state, "devices/system/node/node1/meminfo",
             "Node 1 MemTotal:  4194304 kB\nNode 1 MemFree:   5000000 kB\n");
    assert_int_equal(topology_refresh_free(t, *state), -EINVAL);
    assert_true(t->nodes[1].mem_free == 1 * MIB);
    assert_true(t->nodes[1].mem_total == 4096 * MIB);
    topology_free(t);
}

static void test_parse_cpus(void **state)
{
    struct topogen g = { .cpus = 16, .nodes = 4, .asymmetric = true };
    struct topology *t = topo_make(*state, &g);
    struct cpuset s;

    assert_int_equal(topology_parse_cpus(t, "node:1", &s), 0);
    assert_true(cpuset_equal(&s, &t->nodes[1].cpus));
    assert_int_equal(topology_parse_cpus(t, "nodes:0-1", &s), 0);
    assert_list(&s, "0-7");
    assert_int_equal(topology_parse_cpus(t, "node:0,2", &s), 0);
    assert_list(&s, "0-2,8-15");
    assert_int_equal(topology_parse_cpus(t, "node:3", &s), 0);     /* memory only */
    assert_true(cpuset_empty(&s));
    assert_int_equal(topology_parse_cpus(t, "2-5,9", &s), 0);
    assert_list(&s, "2-5,9");
    assert_int_equal(topology_parse_cpus(t, "", &s), 0);
    assert_true(cpuset_empty(&s));
    assert_int_equal(topology_parse_cpus(t, "node:4", &s), -ENOENT);
    assert_int_equal(topology_parse_cpus(t, "node:99999", &s), -ENOENT);
    assert_int_equal(topology_parse_cpus(t, "node:", &s), -EINVAL);
    assert_int_equal(topology_parse_cpus(t, "node:x", &s), -EINVAL);
    assert_int_equal(topology_parse_cpus(t, "node:-1", &s), -EINVAL);
    assert_int_equal(topology_parse_cpus(t, "nodes", &s), -EINVAL);
    assert_int_equal(topology_parse_cpus(t, "5000", &s), -ERANGE);
    assert_int_equal(topology_parse_cpus(t, "all", &s), -EINVAL);
    topology_free(t);
}

static void test_this_host(void **state)
{
    struct topology *t = NULL;
    char why[512] = "";
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    (void)state;
    int rc = topology_read("/sys", &t, why, sizeof why);
    if (rc != 0)
        fail_msg("/sys: %d: %s", rc, why);
    assert_true(cpuset_count(&t->online) >= 1);
    assert_int_equal(cpuset_count(&t->online), (unsigned)online);
    assert_true(t->nnodes >= 1);
    assert_true(t->nodes[0].present);
    assert_true(t->nodes[0].mem_total > 0);
    assert_true(t->nodes[0].mem_free <= t->nodes[0].mem_total);
    assert_true(t->ncores >= 1 && t->ncores <= cpuset_count(&t->online));
    assert_true(t->nsockets >= 1);
    assert_int_equal(t->distance[0][0], 10);
    assert_int_equal(topology_refresh_free(t, "/sys"), 0);
    assert_true(t->nodes[0].mem_free > 0);
    topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_nodes_smt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_four_nodes_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asymmetric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asymmetric_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_numa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_core_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_cpus, setup, teardown),
        cmocka_unit_test(test_this_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
