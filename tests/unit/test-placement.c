/*
 * NUMA placement (daemon/placement.c): the chosen nodes on 2-, 4- and
 * 64-node trees, the pool restriction, the tie-breaks in order, no-fit
 * errors, the step limit, and agreement with a brute force over every node
 * set on many random hosts.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/placement.h"
#include "tests/unit/topo-fixture.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define BIT(n) (UINT64_C(1) << (n))

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

/* placement_choose must succeed; returns the chosen node mask. */
static uint64_t choose(const struct topology *t, uint64_t mem, unsigned vcpus,
                       const struct cpuset *pool, const struct placement_load *load,
                       struct placement *out)
{
    struct placement_request rq = { .mem_bytes = mem, .vcpus = vcpus, .pool_cpus = pool };
    struct placement p;
    char why[256] = "";
    int rc = placement_choose(t, &rq, load, &p, why, sizeof why);

    if (rc != 0)
        fail_msg("placement_choose: %d: %s", rc, why);
    if (out)
        *out = p;
    return p.nodes;
}

static void assert_list(const struct cpuset *s, const char *want)
{
    char buf[32768];

    assert_true(cpuset_format(s, buf, sizeof buf) >= 0);
    assert_string_equal(buf, want);
}

static void test_two_nodes(void **state)
{
    struct topogen g = { .cpus = 8, .nodes = 2 };
    struct topology *t = topo_make(*state, &g);
    struct placement_load load = { 0 };
    struct placement p;

    /* Equal nodes: the lowest. */
    assert_int_equal(choose(t, 1 * GIB, 2, NULL, NULL, &p), BIT(0));
    assert_list(&p.cpus, "0-3");
    /* vCPUs already there move it. */
    load.vcpus_on_node[0] = 3;
    assert_int_equal(choose(t, 1 * GIB, 2, NULL, &load, &p), BIT(1));
    assert_list(&p.cpus, "4-7");
    /* Exactly one node's memory still fits one node. */
    assert_int_equal(choose(t, 4 * GIB, 1, NULL, NULL, NULL), BIT(0));
    /* More memory or more vCPUs than a node: both. */
    assert_int_equal(choose(t, 4 * GIB + 1, 1, NULL, NULL, &p), BIT(0) | BIT(1));
    assert_list(&p.cpus, "0-7");
    assert_int_equal(choose(t, 0, 5, NULL, &load, NULL), BIT(0) | BIT(1));
    topology_free(t);
}

static void test_four_nodes(void **state)
{
    struct topogen g = { .cpus = 16, .nodes = 4, .n_free = 4,
                         .free_mib = { 1000, 3000, 3000, 500 } };
    struct topology *t = topo_make(*state, &g);
    struct placement_load load = { 0 };

    /* Nodes 1 and 2 fit and tie: the lower. */
    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, NULL, NULL), BIT(1));
    /* One vCPU on node 1: node 2. */
    load.vcpus_on_node[1] = 1;
    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, &load, NULL), BIT(2));
    /* A small domain fits anywhere: the unloaded node with the most memory. */
    assert_int_equal(choose(t, 100 * MIB, 1, NULL, &load, NULL), BIT(2));
    load.vcpus_on_node[2] = 1;
    assert_int_equal(choose(t, 100 * MIB, 1, NULL, &load, NULL), BIT(0));
    load.vcpus_on_node[2] = 0;
    /* Two nodes needed: the pair with no load and the most memory... */
    assert_int_equal(choose(t, 3600 * MIB, 1, NULL, NULL, NULL), BIT(1) | BIT(2));
    /* ...unless load says otherwise: {0,2} (4000 MiB) over {1,2} (6000 MiB). */
    assert_int_equal(choose(t, 3600 * MIB, 1, NULL, &load, NULL), BIT(0) | BIT(2));
    load.vcpus_on_node[1] = 0;
    load.vcpus_on_node[2] = 4;
    /* Only {0,1} of the unloaded pairs fits 3600 MiB ({1,3} has 3500). */
    assert_int_equal(choose(t, 3600 * MIB, 1, NULL, &load, NULL), BIT(0) | BIT(1));
    /* Three nodes: {0,1,2} is the only triple with 7000 MiB free. */
    assert_int_equal(choose(t, 7000 * MIB, 1, NULL, &load, NULL), BIT(0) | BIT(1) | BIT(2));
    /* vCPUs decide the size: 6 vCPUs need two nodes of 4 CPUs. */
    assert_int_equal(choose(t, 0, 6, NULL, NULL, NULL), BIT(1) | BIT(2));
    assert_int_equal(choose(t, 0, 16, NULL, NULL, NULL), 0xf);
    topology_free(t);
}

static void test_free_memory_breaks_ties(void **state)
{
    struct topogen g = { .cpus = 16, .nodes = 4, .n_free = 4,
                         .free_mib = { 1000, 3000, 3500, 500 } };
    struct topology *t = topo_make(*state, &g);
    struct placement_load load = { 0 };

    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, NULL, NULL), BIT(2));
    /* Equal load on both: still memory. */
    load.vcpus_on_node[1] = load.vcpus_on_node[2] = 2;
    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, &load, NULL), BIT(2));
    /* Load comes before memory. */
    load.vcpus_on_node[2] = 3;
    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, &load, NULL), BIT(1));
    /* Size comes before load: one loaded node beats two idle ones. */
    load.vcpus_on_node[1] = 50;
    load.vcpus_on_node[2] = 50;
    assert_int_equal(choose(t, 2000 * MIB, 1, NULL, &load, NULL), BIT(2));
    topology_free(t);
}

static void test_pool(void **state)
{
    struct topogen g = { .cpus = 16, .nodes = 4, .n_free = 4,
                         .free_mib = { 4096, 4096, 1000, 1000 } };
    struct topology *t = topo_make(*state, &g);
    struct placement_request rq = { .mem_bytes = 100 * MIB, .vcpus = 3 };
    struct placement p;
    struct cpuset pool;
    char why[256];

    /* Nodes 0 and 1 have more memory, but the pool is on nodes 2 and 3. */
    assert_int_equal(cpuset_parse(&pool, "8-15"), 0);
    assert_int_equal(choose(t, 500 * MIB, 1, &pool, NULL, &p), BIT(2));
    assert_list(&p.cpus, "8-11");
    /* Their memory does not count either: 1500 MiB needs both pool nodes. */
    assert_int_equal(choose(t, 1500 * MIB, 1, &pool, NULL, &p), BIT(2) | BIT(3));
    assert_list(&p.cpus, "8-15");
    /* A node counts with its pool CPUs only. */
    assert_int_equal(cpuset_parse(&pool, "4-5,12"), 0);
    assert_int_equal(choose(t, 100 * MIB, 2, &pool, NULL, &p), BIT(1));
    assert_list(&p.cpus, "4-5");
    assert_int_equal(choose(t, 100 * MIB, 3, &pool, NULL, &p), BIT(1) | BIT(3));
    assert_list(&p.cpus, "4-5,12");
    rq.pool_cpus = &pool;
    rq.vcpus = 4;
    assert_int_equal(placement_choose(t, &rq, NULL, &p, why, sizeof why), -ENOSPC);
    assert_non_null(strstr(why, "4 vCPUs but its pool has 3 online CPUs"));
    /* Offline CPUs in the pool are not CPUs to run on. */
    topology_free(t);
    assert_int_equal(cpuset_parse(&g.offline, "5"), 0);
    t = topo_make(*state, &g);
    assert_int_equal(choose(t, 100 * MIB, 2, &pool, NULL, &p), BIT(1) | BIT(3));
    assert_list(&p.cpus, "4,12");
    topology_free(t);
}

static void test_memory_only_nodes(void **state)
{
    /* 4 nodes: 0-2 with CPUs (1, 2, 3 GiB), 3 memory only (8 GiB). */
    struct topogen g = { .cpus = 12, .nodes = 4, .asymmetric = true };
    struct topology *t = topo_make(*state, &g);
    struct placement p;
    struct cpuset pool;

    /* A node with no CPUs cannot run a domain alone. */
    assert_int_equal(choose(t, 5 * GIB, 1, NULL, NULL, &p), BIT(2) | BIT(3));
    assert_list(&p.cpus, "6-11");
    /* Memory-only nodes belong to no pool: any pool may use them. */
    assert_int_equal(cpuset_parse(&pool, "0-1"), 0);
    assert_int_equal(choose(t, 5 * GIB, 2, &pool, NULL, &p), BIT(0) | BIT(3));
    assert_list(&p.cpus, "0-1");
    topology_free(t);
}

static void test_no_fit(void **state)
{
    struct topogen g = { .cpus = 8, .nodes = 2 };
    struct topology *t = topo_make(*state, &g);
    struct placement_request rq = { .mem_bytes = 8 * GIB + 1, .vcpus = 1 };
    struct placement p;
    char why[256];

    assert_int_equal(placement_choose(t, &rq, NULL, &p, why, sizeof why), -ENOSPC);
    assert_non_null(strstr(why, "needs 8193 MiB but the nodes of its pool have 8192 MiB free"));
    rq.mem_bytes = 1;
    rq.vcpus = 9;
    assert_int_equal(placement_choose(t, &rq, NULL, &p, why, sizeof why), -ENOSPC);
    assert_non_null(strstr(why, "9 vCPUs but its pool has 8 online CPUs"));
    assert_int_equal(placement_choose(t, &rq, NULL, &p, NULL, 0), -ENOSPC);
    /* An empty pool. */
    struct cpuset none;
    cpuset_zero(&none);
    rq.vcpus = 1;
    rq.pool_cpus = &none;
    assert_int_equal(placement_choose(t, &rq, NULL, &p, why, sizeof why), -ENOSPC);
    assert_non_null(strstr(why, "has 0 online CPUs"));
    rq.pool_cpus = NULL;
    rq.vcpus = 0;
    assert_int_equal(placement_choose(t, &rq, NULL, &p, why, sizeof why), -EINVAL);
    topology_free(t);
}

static void test_64_nodes(void **state)
{
    struct topogen g = { .cpus = 4095, .nodes = 64 };
    struct topology *t = topo_make(*state, &g);
    struct placement_load load = { 0 };
    struct placement p;

    assert_int_equal(choose(t, 1 * GIB, 4, NULL, NULL, &p), BIT(0));
    assert_list(&p.cpus, "0-63");
    for (unsigned n = 0; n < 10; n++)
        load.vcpus_on_node[n] = 1;
    assert_int_equal(choose(t, 1 * GIB, 4, NULL, &load, NULL), BIT(10));
    /* 100 GiB = 25 nodes of 4 GiB: the 25 lowest unloaded ones. */
    assert_int_equal(choose(t, 100 * GIB, 4, NULL, NULL, NULL), BIT(25) - 1);
    assert_int_equal(choose(t, 100 * GIB, 4, NULL, &load, NULL), (BIT(35) - 1) & ~(BIT(10) - 1));
    /* 1000 vCPUs: 16 nodes of 63 or 64 CPUs. */
    assert_int_equal(choose(t, 0, 1000, NULL, NULL, &p), BIT(16) - 1);
    assert_int_equal(cpuset_count(&p.cpus), 16 * 64);
    /* Everything. */
    assert_int_equal(choose(t, 256 * GIB, 4095, NULL, NULL, &p), UINT64_MAX);
    assert_int_equal(cpuset_count(&p.cpus), 4095);
    topology_free(t);
}

static void test_64_nodes_asymmetric(void **state)
{
    /* CPU nodes have 1-3 GiB, memory-only nodes (3, 7, ...) 8 GiB. */
    struct topogen g = { .cpus = 4095, .nodes = 64, .asymmetric = true };
    struct topology *t = topo_make(*state, &g);
    struct placement_load load = { 0 };

    /* 20 GiB: three 8 GiB nodes need a CPU node too, and 8+8+3 < 20: four nodes. */
    assert_int_equal(choose(t, 20 * GIB, 1, NULL, NULL, NULL), BIT(2) | BIT(3) | BIT(7) | BIT(11));
    load.vcpus_on_node[2] = 1;
    assert_int_equal(choose(t, 20 * GIB, 1, NULL, &load, NULL), BIT(3) | BIT(6) | BIT(7) | BIT(11));
    /* 3 GiB and one vCPU: the first 3 GiB CPU node without load. */
    assert_int_equal(choose(t, 3 * GIB, 1, NULL, &load, NULL), BIT(6));
    topology_free(t);
}

static void test_64_nodes_distinct(void **state)
{
    /* Every node's free memory differs, as on a real host. */
    struct topogen g = { .cpus = 4095, .nodes = 64, .n_mem = 1, .mem_mib = { 65536 },
                         .n_free = 64 };
    struct topology *t;
    uint64_t want = 0;

    for (unsigned n = 0; n < 64; n++)
        g.free_mib[n] = 10000 + (n * 37) % 64 * 100;    /* a permutation of 10000..16300 */
    t = topo_make(*state, &g);
    /* The most free memory wins: the node with 16300 MiB. */
    for (unsigned n = 0; n < 64; n++)
        if ((n * 37) % 64 == 63)
            want = BIT(n);
    assert_int_equal(choose(t, 1 * GIB, 1, NULL, NULL, NULL), want);
    /* 100000 MiB: 7 nodes; the 7 with the most (16300 down to 15700: 112000 MiB). */
    want = 0;
    for (unsigned n = 0; n < 64; n++)
        if ((n * 37) % 64 >= 57)
            want |= BIT(n);
    assert_int_equal(choose(t, 100000 * MIB, 1, NULL, NULL, NULL), want);
    topology_free(t);
}

/* ---- agreement with a brute force on random small hosts ---- */

struct fake {
    struct topology t;
    struct topo_cpu cpus[CPUSET_MAX];
};

/* NODES random nodes of up to MAXCPUS CPUs each (0: memory only), some offline or absent. */
static struct fake *fake_host(unsigned nodes, unsigned maxcpus, unsigned seed)
{
    struct fake *f = calloc(1, sizeof(*f));
    unsigned cpu = 0;

    assert_non_null(f);
    srand(seed);
    f->t.cpus = f->cpus;
    f->t.nnodes = nodes;
    cpuset_zero(&f->t.online);
    for (unsigned n = 0; n < nodes; n++) {
        struct topo_node *tn = &f->t.nodes[n];
        unsigned k = (unsigned)rand() % (maxcpus + 1);

        tn->present = rand() % 8 != 0;
        tn->mem_total = (uint64_t)(rand() % 8 + 1) * GIB;
        /* Few distinct values, so ties are common. */
        tn->mem_free = tn->mem_total / 8 * (uint64_t)(rand() % 9);
        for (unsigned i = 0; i < k; i++, cpu++) {
            cpuset_set(&tn->cpus, cpu);
            f->cpus[cpu].node = (int)n;
            f->cpus[cpu].online = rand() % 10 != 0;
            if (f->cpus[cpu].online && tn->present)
                cpuset_set(&f->t.online, cpu);
        }
        if (!tn->present)
            cpuset_zero(&tn->cpus);
    }
    f->t.ncpus = cpu;
    return f;
}

struct brute {
    bool found;
    unsigned size;
    uint64_t load, free, nodes;
};

/* Every node set, by the rule as the issue states it. */
static struct brute brute_force(const struct topology *t, const struct placement_request *rq,
                                const struct placement_load *load)
{
    struct brute b = { 0 };
    struct cpuset pool, mine, online_here;
    uint64_t usable = 0;

    cpuset_and(&pool, rq->pool_cpus ? rq->pool_cpus : &t->online, &t->online);
    for (unsigned n = 0; n < t->nnodes; n++) {
        cpuset_and(&mine, &t->nodes[n].cpus, &pool);
        cpuset_and(&online_here, &t->nodes[n].cpus, &t->online);
        if (t->nodes[n].present && (!cpuset_empty(&mine) || cpuset_empty(&online_here)))
            usable |= BIT(n);
    }
    for (uint64_t set = 1; set < BIT(t->nnodes); set++) {
        unsigned size = 0, cpus = 0;
        uint64_t l = 0, f = 0;

        if (set & ~usable)
            continue;
        for (unsigned n = 0; n < t->nnodes; n++) {
            if (!(set & BIT(n)))
                continue;
            size++;
            cpuset_and(&mine, &t->nodes[n].cpus, &pool);
            cpus += cpuset_count(&mine);
            l += load->vcpus_on_node[n];
            f += t->nodes[n].mem_free;
        }
        if (f < rq->mem_bytes || cpus < rq->vcpus)
            continue;
        /* Sets come in increasing numeric order; for the same size, load and
         * memory, the lowest differing node wins. */
        bool take = !b.found || size < b.size ||
                    (size == b.size && (l < b.load || (l == b.load && (f > b.free ||
                    (f == b.free && ((set ^ b.nodes) & -(set ^ b.nodes) & set))))));
        if (take)
            b = (struct brute){ true, size, l, f, set };
    }
    return b;
}

/* ROUNDS random hosts of up to MAXCPUS CPUs a node and requests of up to MAXVCPUS vCPUs. */
static void against_brute_force(unsigned rounds, unsigned maxcpus, unsigned maxvcpus)
{
    unsigned fits = 0;

    for (unsigned seed = 1; seed <= rounds; seed++) {
        unsigned nodes = 1 + seed % 11;
        struct fake *f = fake_host(nodes, maxcpus, seed);
        struct placement_load load = { 0 };
        struct placement_request rq = { 0 };
        struct cpuset pool;
        struct placement p;
        char why[256];

        for (unsigned n = 0; n < nodes; n++)
            load.vcpus_on_node[n] = (unsigned)rand() % 3;
        rq.mem_bytes = (uint64_t)(rand() % 24) * GIB / 2;
        rq.vcpus = 1 + (unsigned)rand() % maxvcpus;
        if (rand() % 2) {
            cpuset_zero(&pool);
            for (unsigned c = 0; c < f->t.ncpus; c++)
                if (rand() % 4)
                    cpuset_set(&pool, c);
            rq.pool_cpus = &pool;
        }
        struct brute b = brute_force(&f->t, &rq, &load);
        int rc = placement_choose(&f->t, &rq, &load, &p, why, sizeof why);
        if (!b.found) {
            if (rc != -ENOSPC)
                fail_msg("seed %u: brute force finds nothing, placement %d", seed, rc);
        } else {
            if (rc != 0)
                fail_msg("seed %u: brute force finds %#" PRIx64 ", placement %d: %s", seed,
                         b.nodes, rc, why);
            if (p.nodes != b.nodes)
                fail_msg("seed %u: brute force %#" PRIx64 ", placement %#" PRIx64, seed,
                         b.nodes, p.nodes);
            fits++;
        }
        free(f);
    }
    /* Most requests fit, so the comparison means something. */
    if (fits < rounds / 3)
        fail_msg("only %u of %u requests fit", fits, rounds);
}

static void test_brute_force(void **state)
{
    (void)state;
    /* Few CPUs: the fit table counts single CPUs, exactly. */
    against_brute_force(1500, 4, 8);
    /* Up to 64 CPUs a node and 200 vCPUs: the table rounds; the result must not change. */
    against_brute_force(1500, 64, 200);
}

static void test_step_limit(void **state)
{
    /* Past the limit, still a set that fits. */
    struct topogen g = { .cpus = 4095, .nodes = 64, .n_free = 64, .asymmetric = true };
    struct topology *t;
    struct placement_load load = { 0 };
    unsigned long saved = placement_search_limit;

    for (unsigned n = 0; n < 64; n++) {
        g.free_mib[n] = 500 + (n * 29) % 64 * 7;     /* 500 to 941 MiB: distinct */
        load.vcpus_on_node[n] = n % 5;
    }
    t = topo_make(*state, &g);
    for (unsigned long limit = 1; limit <= 100000; limit *= 10) {
        for (unsigned vcpus = 1; vcpus <= 3000; vcpus += 999) {
            struct placement p;
            uint64_t free_ = 0;

            placement_search_limit = limit;
            choose(t, 20 * GIB, vcpus, NULL, &load, &p);
            for (unsigned n = 0; n < 64; n++)
                if (p.nodes & BIT(n))
                    free_ += t->nodes[n].mem_free;
            assert_true(free_ >= 20 * GIB);
            assert_true(cpuset_count(&p.cpus) >= vcpus);
        }
    }
    placement_search_limit = saved;
    topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_four_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_memory_breaks_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_only_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_64_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_64_nodes_asymmetric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_64_nodes_distinct, setup, teardown),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test_setup_teardown(test_step_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
