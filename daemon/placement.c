/*
 * Automatic NUMA placement: which nodes a new domain's memory and vCPUs go
 * to.
 *
 * The rule, in order: the fewest nodes; then the fewest vCPUs already placed
 * on them; then the most free memory; then the lowest node numbers. A set
 * qualifies when its free memory covers the domain and its CPUs in the pool
 * are at least the domain's vCPUs.
 *
 * How: an exact branch and bound, not a heuristic family of sets (such as
 * nodes by distance from a seed). The last three criteria are one linear
 * objective: per node the key (load, -free, -2^(63-node)), summed over the
 * set and compared lexicographically; the last part turns "lowest node
 * numbers" (the lowest node where two sets differ wins) into a sum too, so
 * no two sets tie. With the nodes sorted by key, the best completion of a
 * partial set, ignoring the memory and CPU constraints, is simply the next
 * nodes in that order: an O(1) bound from prefix sums. Feasibility is bounded
 * by the largest free memory and CPU counts left (O(1) from per-suffix
 * tables), and a dominance rule cuts symmetric branches: if node A comes
 * before B in key order and has at least B's free memory and CPUs, a best
 * set holding B holds A, so leaving A out leaves out B. On real hosts (nodes
 * alike, few needed) this visits a few hundred states. Choosing k of n under
 * two covering constraints is NP-hard in general, so the search has a step
 * limit: past it the best set found so far is taken, or, if none yet, a
 * greedy one, and the result is still a set that fits.
 *
 * Which nodes count: those with CPUs in the pool, and memory-only nodes
 * (no online CPUs; they belong to no pool). Nodes whose CPUs all belong to
 * other pools are not candidates.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/placement.h"

unsigned long placement_search_limit = 200000;

#define MIB (UINT64_C(1) << 20)
#define MIX_WEIGHTS 3
static const double mix_weight[MIX_WEIGHTS] = { 0.25, 0.5, 0.75 };
#define ROOT_WEIGHTS 32         /* size_lower_bound tries 1/32 .. 31/32 */
#define MIX_ONE 4294967296.0     /* 2^32; scores are at most 1, so sums stay far below 2^64 */

struct cand {
    unsigned node, cpus, load;
    uint64_t free, rbit;        /* rbit = 2^(63 - node): "lower node numbers" as a sum */
};

/* A set's value: compared load, then free memory, then rbit. */
struct value {
    uint64_t load, free, rbit;
};

struct search {
    const struct cand *c;       /* sorted by key */
    unsigned n, k;
    uint64_t mem;
    unsigned vcpus;
    /* top_free[i][r]: the r largest free memories among c[i..n); likewise CPUs. */
    uint64_t top_free[TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    uint64_t top_cpus[TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    /* Prefix sums in key order. */
    uint64_t sum_load[TOPO_MAX_NODES + 1], sum_free[TOPO_MAX_NODES + 1],
        sum_rbit[TOPO_MAX_NODES + 1];
    uint64_t dominated[TOPO_MAX_NODES];     /* positions that c[i] dominates */
    /*
     * Memory and CPUs together: a set that fits has, for any 0 <= w <= 1,
     * w * free / mem + (1 - w) * cpus / vcpus >= 1. top_mix[w][i][r] is the
     * r largest such scores among c[i..n): this catches sizes where the
     * nodes with memory and the nodes with CPUs are different ones.
     */
    bool mix;
    uint64_t top_mix[MIX_WEIGHTS][TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    unsigned long steps;
    bool aborted, found;
    struct value best;
    uint64_t best_set;          /* positions in c[] */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* a is strictly better than b. */
static bool better(const struct value *a, const struct value *b)
{
    if (a->load != b->load)
        return a->load < b->load;
    if (a->free != b->free)
        return a->free > b->free;
    return a->rbit > b->rbit;
}

static int cmp_key(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;

    if (a->load != b->load)
        return a->load < b->load ? -1 : 1;
    if (a->free != b->free)
        return a->free > b->free ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

/*
 * out[i][r] = the sum of the r largest of val[i..n), for every suffix: one
 * insertion sort of the positions, then per suffix a walk that skips the
 * earlier ones.
 */
static void suffix_top_sums(const uint64_t *val, unsigned n,
                            uint64_t out[TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1])
{
    unsigned order[TOPO_MAX_NODES];

    for (unsigned i = 0; i < n; i++) {
        unsigned j = i;
        for (; j > 0 && val[order[j - 1]] < val[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (unsigned i = 0; i <= n; i++) {
        unsigned r = 0;
        out[i][0] = 0;
        for (unsigned j = 0; j < n; j++) {
            if (order[j] >= i) {
                out[i][r + 1] = sat_add(out[i][r], val[order[j]]);
                r++;
            }
        }
    }
}

/*
 * Mixed scores in fixed point (1.0 = MIX_ONE). A node's score is rounded up
 * and what is missing rounded down, so the bound can only keep too much,
 * never cut a set that fits.
 */
static uint64_t mix_score(const struct search *s, double w, uint64_t free_, uint64_t cpus)
{
    /* Each part capped at 1 (what is missing never exceeds 1): no overflow, same bound. */
    double m = free_ >= s->mem ? 1 : (double)free_ / (double)s->mem;
    double c = cpus >= s->vcpus ? 1 : (double)cpus / (double)s->vcpus;
    return (uint64_t)((w * m + (1 - w) * c) * MIX_ONE) + 1;
}

static uint64_t mix_need(const struct search *s, double w, uint64_t free_, uint64_t cpus)
{
    double m = free_ >= s->mem ? 0 : (double)(s->mem - free_) / (double)s->mem;
    double c = cpus >= s->vcpus ? 0 : (double)(s->vcpus - cpus) / (double)s->vcpus;
    uint64_t need = (uint64_t)((w * m + (1 - w) * c) * MIX_ONE);
    return need > 0 ? need - 1 : 0;
}

static void prepare(struct search *s)
{
    uint64_t val[TOPO_MAX_NODES];

    for (unsigned i = 0; i < s->n; i++)
        val[i] = s->c[i].free;
    suffix_top_sums(val, s->n, s->top_free);
    for (unsigned i = 0; i < s->n; i++)
        val[i] = s->c[i].cpus;
    suffix_top_sums(val, s->n, s->top_cpus);
    s->mix = s->mem > 0;
    for (unsigned w = 0; s->mix && w < MIX_WEIGHTS; w++) {
        for (unsigned i = 0; i < s->n; i++)
            val[i] = mix_score(s, mix_weight[w], s->c[i].free, s->c[i].cpus);
        suffix_top_sums(val, s->n, s->top_mix[w]);
    }
    s->sum_load[0] = s->sum_free[0] = s->sum_rbit[0] = 0;
    for (unsigned i = 0; i < s->n; i++) {
        s->sum_load[i + 1] = s->sum_load[i] + s->c[i].load;
        s->sum_free[i + 1] = sat_add(s->sum_free[i], s->c[i].free);
        s->sum_rbit[i + 1] = s->sum_rbit[i] + s->c[i].rbit;     /* distinct bits: no carry */
        s->dominated[i] = 0;
        for (unsigned j = i + 1; j < s->n; j++)
            if (s->c[i].free >= s->c[j].free && s->c[i].cpus >= s->c[j].cpus)
                s->dominated[i] |= UINT64_C(1) << j;
    }
}

/* Exactly s->k of positions i.. added to the partial set (taken, v, cpus). */
static void dfs(struct search *s, unsigned i, unsigned taken, struct value v, uint64_t cpus,
                uint64_t set, uint64_t forbidden)
{
    unsigned r = s->k - taken;

    if (++s->steps > placement_search_limit) {
        s->aborted = true;
        return;
    }
    if (r == 0) {
        if (v.free >= s->mem && cpus >= s->vcpus && (!s->found || better(&v, &s->best))) {
            s->found = true;
            s->best = v;
            s->best_set = set;
        }
        return;
    }
    if (s->n - i < r)
        return;
    if (sat_add(v.free, s->top_free[i][r]) < s->mem || cpus + s->top_cpus[i][r] < s->vcpus)
        return;
    for (unsigned w = 0; s->mix && w < MIX_WEIGHTS; w++)
        if (s->top_mix[w][i][r] < mix_need(s, mix_weight[w], v.free, cpus))
            return;
    if (s->found) {
        /* The best any completion can do: the next r nodes in key order. */
        struct value bound = {
            .load = v.load + s->sum_load[i + r] - s->sum_load[i],
            .free = sat_add(v.free, s->sum_free[i + r] - s->sum_free[i]),
            .rbit = v.rbit + s->sum_rbit[i + r] - s->sum_rbit[i],
        };
        if (!better(&bound, &s->best))
            return;
    }
    if (!(forbidden >> i & 1)) {
        struct value with = {
            .load = v.load + s->c[i].load,
            .free = sat_add(v.free, s->c[i].free),
            .rbit = v.rbit + s->c[i].rbit,
        };
        dfs(s, i + 1, taken + 1, with, cpus + s->c[i].cpus, set | UINT64_C(1) << i, forbidden);
        if (s->aborted)
            return;
    }
    dfs(s, i + 1, taken, v, cpus, set, forbidden | s->dominated[i]);
}

/*
 * A set that fits, quickly: add the node that covers most of what is still
 * missing (the first in key order on ties), then drop nodes no longer needed
 * (the worst first). The candidates together fit, so this does too. Its size
 * bounds the search from above, its value seeds the search at that size, and
 * it is the answer if the step limit comes before any other set.
 */
static uint64_t greedy(const struct search *s)
{
    uint64_t set = 0, free_ = 0, cpus = 0;

    while (free_ < s->mem || cpus < s->vcpus) {
        double best_gain = -1;
        unsigned pick = 0;
        for (unsigned i = 0; i < s->n; i++) {
            if (set >> i & 1)
                continue;
            double gain = 0;
            if (free_ < s->mem)
                gain += (double)(s->c[i].free < s->mem - free_ ? s->c[i].free : s->mem - free_) /
                        (double)(s->mem - free_);
            if (cpus < s->vcpus)
                gain += (double)(s->c[i].cpus < s->vcpus - cpus ? s->c[i].cpus : s->vcpus - cpus) /
                        (double)(s->vcpus - cpus);
            if (gain > best_gain) {
                best_gain = gain;
                pick = i;
            }
        }
        set |= UINT64_C(1) << pick;
        free_ = sat_add(free_, s->c[pick].free);
        cpus += s->c[pick].cpus;
    }
    for (unsigned i = s->n; i-- > 0;) {
        if (!(set >> i & 1))
            continue;
        if (free_ - s->c[i].free >= s->mem && cpus - s->c[i].cpus >= s->vcpus) {
            set &= ~(UINT64_C(1) << i);
            free_ -= s->c[i].free;
            cpus -= s->c[i].cpus;
        }
    }
    return set;
}

/*
 * No set of fewer than this many nodes fits: the r largest free memories,
 * CPU counts, and mixed scores for a range of weights must each cover the
 * need. Once per request, so it can afford finer weights than the search.
 */
static unsigned size_lower_bound(const struct search *s)
{
    uint64_t score[TOPO_MAX_NODES];
    unsigned k = 1;

    while (k < s->n && (s->top_free[0][k] < s->mem || s->top_cpus[0][k] < s->vcpus))
        k++;
    for (unsigned step = 1; s->mem > 0 && step < ROOT_WEIGHTS; step++) {
        double w = (double)step / ROOT_WEIGHTS;
        uint64_t need = mix_need(s, w, 0, 0), sum = 0;

        for (unsigned i = 0; i < s->n; i++) {
            unsigned j = i;
            uint64_t x = mix_score(s, w, s->c[i].free, s->c[i].cpus);
            for (; j > 0 && score[j - 1] < x; j--)
                score[j] = score[j - 1];
            score[j] = x;
        }
        for (unsigned r = 0; r < k; r++)
            sum += score[r];
        while (k < s->n && sum < need)
            sum += score[k++];
    }
    return k;
}

static struct value value_of(const struct search *s, uint64_t set)
{
    struct value v = { 0 };

    for (unsigned i = 0; i < s->n; i++) {
        if (set >> i & 1) {
            v.load += s->c[i].load;
            v.free = sat_add(v.free, s->c[i].free);
            v.rbit += s->c[i].rbit;
        }
    }
    return v;
}

static int say(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(char *why, size_t whylen, int err, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

int placement_choose(const struct topology *t, const struct placement_request *rq,
                     const struct placement_load *load, struct placement *out, char *why,
                     size_t whylen)
{
    struct cand c[TOPO_MAX_NODES];
    struct cpuset pool, mine, online_here;
    struct search *s;
    uint64_t total_free = 0, total_cpus = 0, set;
    unsigned n = 0;

    if (why && whylen)
        why[0] = '\0';
    if (!t || !rq || !out || rq->vcpus == 0 || t->nnodes > TOPO_MAX_NODES)
        return say(why, whylen, -EINVAL, "placement: bad request (no vCPUs?)");
    if (rq->pool_cpus)
        cpuset_and(&pool, rq->pool_cpus, &t->online);
    else
        pool = t->online;
    for (unsigned node = 0; node < t->nnodes; node++) {
        const struct topo_node *tn = &t->nodes[node];

        if (!tn->present)
            continue;
        cpuset_and(&mine, &tn->cpus, &pool);
        cpuset_and(&online_here, &tn->cpus, &t->online);
        if (cpuset_empty(&mine) && !cpuset_empty(&online_here))
            continue;   /* its CPUs are in other pools */
        if (cpuset_empty(&mine) && tn->mem_free == 0)
            continue;   /* offers nothing */
        c[n] = (struct cand){
            .node = node,
            .cpus = cpuset_count(&mine),
            .load = load ? load->vcpus_on_node[node] : 0,
            .free = tn->mem_free,
            .rbit = UINT64_C(1) << (63 - node),
        };
        total_free = sat_add(total_free, c[n].free);
        total_cpus += c[n].cpus;
        n++;
    }
    if (total_cpus < rq->vcpus)
        return say(why, whylen, -ENOSPC,
                   "the domain has %u vCPUs but its pool has %" PRIu64 " online CPUs", rq->vcpus,
                   total_cpus);
    if (total_free < rq->mem_bytes)
        return say(why, whylen, -ENOSPC,
                   "the domain needs %" PRIu64 " MiB but the nodes of its pool have %" PRIu64
                   " MiB free", (rq->mem_bytes + MIB - 1) / MIB, total_free / MIB);

    qsort(c, n, sizeof(*c), cmp_key);
    s = calloc(1, sizeof(*s));
    if (!s)
        return say(why, whylen, -ENOMEM, "out of memory");
    *s = (struct search){ .c = c, .n = n, .mem = rq->mem_bytes, .vcpus = rq->vcpus };
    prepare(s);
    set = greedy(s);
    unsigned most = (unsigned)__builtin_popcountll(set), least = size_lower_bound(s);
    for (s->k = least < most ? least : most; s->k <= most && !s->found && !s->aborted; s->k++) {
        if (s->k == most) {
            s->found = true;
            s->best = value_of(s, set);
            s->best_set = set;
        }
        dfs(s, 0, 0, (struct value){ 0 }, 0, 0, 0);
    }
    if (s->found)
        set = s->best_set;
    free(s);

    out->nodes = 0;
    cpuset_zero(&out->cpus);
    for (unsigned i = 0; i < n; i++) {
        if (!(set >> i & 1))
            continue;
        out->nodes |= UINT64_C(1) << c[i].node;
        cpuset_and(&mine, &t->nodes[c[i].node].cpus, &pool);
        cpuset_or(&out->cpus, &out->cpus, &mine);
    }
    return 0;
}
