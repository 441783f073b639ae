/* Reading the host's CPU and NUMA topology from sysfs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/topology.h"

int topology_read(const char *sysfs_root, struct topology **out, char *why, size_t whylen)
{
    (void)sysfs_root;
    *out = NULL;
    if (why && whylen)
        snprintf(why, whylen, "topology: not implemented yet");
    return -ENOSYS;
}

void topology_free(struct topology *t)
{
    if (t)
        free(t->cpus);
    free(t);
}

int topology_refresh_free(struct topology *t, const char *sysfs_root)
{
    (void)t;
    (void)sysfs_root;
    return -ENOSYS;
}

int topology_parse_cpus(const struct topology *t, const char *spec, struct cpuset *out)
{
    (void)t;
    (void)spec;
    (void)out;
    return -ENOSYS;
}
