/*
 * mktopo DIR --cpus N --nodes M [--sockets S] [--threads-per-core T]
 *        [--offline LIST] [--node-mem MIB[,MIB...]] [--node-free MIB[,...]]
 *        [--asymmetric]
 *
 * Writes a synthetic sysfs tree under DIR for hostd's topology code (the
 * layout is described in topogen.h). --nodes 0 leaves out the node
 * directory, as on a host without NUMA.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/topogen.h"

static void usage(void)
{
    fprintf(stderr, "usage: mktopo DIR --cpus N --nodes M [--sockets S] [--threads-per-core T]\n"
                    "              [--offline LIST] [--node-mem MIB[,MIB...]]\n"
                    "              [--node-free MIB[,MIB...]] [--asymmetric]\n");
}

static int number(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-')
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

/* "MIB[,MIB...]" into v[] (at most TOPO_MAX_NODES values). */
static int mib_list(const char *s, uint64_t *v, unsigned *n)
{
    *n = 0;
    for (;;) {
        char *end;
        unsigned long long x;

        if (*n == TOPO_MAX_NODES || *s < '0' || *s > '9')
            return -EINVAL;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (errno || x > (UINT64_C(1) << 36))   /* 64 PiB: what hostd accepts per node */
            return -EINVAL;
        v[(*n)++] = x;
        if (*end == '\0')
            return 0;
        if (*end != ',')
            return -EINVAL;
        s = end + 1;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "cpus", required_argument, NULL, 'c' },
        { "nodes", required_argument, NULL, 'n' },
        { "sockets", required_argument, NULL, 's' },
        { "threads-per-core", required_argument, NULL, 't' },
        { "offline", required_argument, NULL, 'o' },
        { "node-mem", required_argument, NULL, 'm' },
        { "node-free", required_argument, NULL, 'f' },
        { "asymmetric", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct topogen g = { 0 };
    bool have_cpus = false, have_nodes = false;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *what = NULL;

        switch (c) {
        case 'c':
            have_cpus = true;
            if (number(optarg, CPUSET_MAX - 1, &g.cpus) < 0 || g.cpus == 0)
                what = "--cpus: 1 to 4095";
            break;
        case 'n':
            have_nodes = true;
            if (number(optarg, TOPO_MAX_NODES, &g.nodes) < 0)
                what = "--nodes: 0 to 64";
            break;
        case 's':
            if (number(optarg, CPUSET_MAX - 1, &g.sockets) < 0 || g.sockets == 0)
                what = "--sockets: a positive number";
            break;
        case 't':
            if (number(optarg, 64, &g.threads_per_core) < 0 || g.threads_per_core == 0)
                what = "--threads-per-core: 1 to 64";
            break;
        case 'o':
            if (cpuset_parse(&g.offline, optarg) < 0)
                what = "--offline: a CPU list such as 1,4-7";
            break;
        case 'm':
            if (mib_list(optarg, g.mem_mib, &g.n_mem) < 0)
                what = "--node-mem: MiB[,MiB...]";
            break;
        case 'f':
            if (mib_list(optarg, g.free_mib, &g.n_free) < 0)
                what = "--node-free: MiB[,MiB...]";
            break;
        case 'a':
            g.asymmetric = true;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
        if (what) {
            fprintf(stderr, "mktopo: %s\n", what);
            return 2;
        }
    }
    if (optind != argc - 1 || !have_cpus || !have_nodes) {
        usage();
        return 2;
    }
    if ((g.n_mem > 1 && g.n_mem != g.nodes) || (g.n_free > 1 && g.n_free != g.nodes)) {
        fprintf(stderr, "mktopo: --node-mem and --node-free take one value or one per node\n");
        return 2;
    }
    if (g.sockets > g.cpus) {
        fprintf(stderr, "mktopo: more sockets than CPUs\n");
        return 2;
    }
    for (int o = cpuset_next(&g.offline, 0); o >= 0; o = cpuset_next(&g.offline, (unsigned)o + 1)) {
        if ((unsigned)o >= g.cpus) {
            fprintf(stderr, "mktopo: --offline: CPU %d does not exist\n", o);
            return 2;
        }
    }
    rc = topogen_write(argv[optind], &g);
    return rc < 0 ? 1 : 0;
}
