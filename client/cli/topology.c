/* The host's CPU topology and NUMA nodes, as `xl info -n` shows them. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

void cli_print_topology(const struct skiff_topology *t)
{
    printf("cpu_topology           :\n");
    printf("cpu:    core    socket     node\n");
    for (size_t i = 0; i < t->n_cpus; i++) {
        const struct skiff_cpu_topology *c = &t->cpus[i];
        if (!c->online) {
            printf("%3u:       -        -        -   (offline)\n", c->cpu);
            continue;
        }
        printf("%3u:%8d%9d%9d\n", c->cpu, c->core, c->socket, c->node);
    }
    printf("numa_info              :\n");
    printf("node:    memsize    memfree    distances\n");
    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct skiff_numa_node *n = &t->nodes[i];
        printf("%4u:%11" PRIu64 "%11" PRIu64 "      ", n->node, n->memory_bytes >> 20,
               n->free_bytes >> 20);
        for (size_t k = 0; k < n->n_distances; k++)
            printf("%s%u", k ? "," : "", n->distances[k]);
        putchar('\n');
    }
}

void cli_json_topology(struct json *j, const struct skiff_topology *t)
{
    json_key(j, "cpu_topology");
    json_array_begin(j);
    for (size_t i = 0; i < t->n_cpus; i++) {
        const struct skiff_cpu_topology *c = &t->cpus[i];
        json_object_begin(j);
        json_kv_u64(j, "cpu", c->cpu);
        json_kv_bool(j, "online", c->online);
        json_kv_i64(j, "core", c->core);
        json_kv_i64(j, "socket", c->socket);
        json_kv_i64(j, "node", c->node);
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "numa_info");
    json_array_begin(j);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct skiff_numa_node *n = &t->nodes[i];
        json_object_begin(j);
        json_kv_u64(j, "node", n->node);
        json_kv_u64(j, "memory_bytes", n->memory_bytes);
        json_kv_u64(j, "free_bytes", n->free_bytes);
        json_kv_string(j, "cpus", n->cpus);
        json_key(j, "distances");
        json_array_begin(j);
        for (size_t k = 0; k < n->n_distances; k++)
            json_u64(j, n->distances[k]);
        json_array_end(j);
        json_object_end(j);
    }
    json_array_end(j);
}
