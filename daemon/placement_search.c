/*
 * The best node set for a new domain, by the placement rule: the fewest
 * nodes; then the fewest vCPUs already placed on them; then the most free
 * memory; then the lowest node numbers. A set qualifies when its free memory
 * covers the domain and it has at least as many CPUs (in the pool) as the
 * domain has vCPUs.
 *
 * Why an exact branch and bound rather than a heuristic family of sets
 * (such as the nodes nearest a seed node): hostd's rule says which set it
 * wants, and a family could miss it. The search is kept small by:
 *
 * - One linear objective. Per node the key (load, -free, -2^(63-node)),
 *   summed over a set and compared lexicographically, is exactly the three
 *   tie-breaks: the last part turns "lowest node numbers" (the lowest node
 *   where two sets differ wins) into a sum, so no two sets tie. With the
 *   nodes sorted by key, the best any completion of a partial set can do,
 *   ignoring memory and CPUs, is to take the next nodes in that order: an
 *   O(1) bound from prefix sums.
 * - A fit table: for each suffix of that order and each count r, the most
 *   free memory r of its nodes can have with at least c CPUs, for every c up
 *   to the domain's vCPUs (in units of vcpus/64, rounded so the table never
 *   says no to a set that fits: exact for up to 64 vCPUs, a bound above).
 *   Where it rounds, the exact bounds of the largest free memories and CPU
 *   counts left, and of their weighted sums, help. A branch that cannot
 *   reach a fitting set is not entered; the same bounds from the first node
 *   give the smallest size to try.
 * - Dominance: if node A comes before B in key order and has at least B's
 *   free memory and CPUs, a best set holding B holds A; so leaving A out
 *   leaves out B.
 * - A greedy set that fits, found first: its size bounds the sizes to try,
 *   and it is the incumbent at that size.
 *
 * Choosing k of n nodes under two covering constraints is NP-hard in
 * general, so there is a step limit (placement_search_limit): past it the
 * best set found so far is taken, or the greedy one, and the result still
 * fits. On the grid of bench/topo-bench (symmetric, asymmetric and uneven
 * 64-node hosts, 1 to 2000 vCPUs) the most a search takes is about 23000
 * steps; its random hard hosts reach the limit, which bounds their time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "daemon/placement.h"
#include "daemon/placement_search.h"

unsigned long placement_search_limit = 100000;

#define CPU_UNITS 64    /* fit table columns: exact for domains of up to 64 vCPUs */
#define MIX_WEIGHTS 3
static const double mix_weight[MIX_WEIGHTS] = { 0.25, 0.5, 0.75 };
#define MIX_ONE 4294967296.0    /* 2^32; scores are at most 1, so sums stay far below 2^64 */

/* A set's value: lower load, then more free memory, then higher rbit is better. */
struct value {
    uint64_t load, free, rbit;
};

struct search {
    const struct place_cand *c;     /* sorted by key */
    unsigned n, k;
    uint64_t mem;
    unsigned vcpus;
    uint64_t rbit[TOPO_MAX_NODES];  /* 2^(63 - node) */
    /* Prefix sums in key order. */
    uint64_t sum_load[TOPO_MAX_NODES + 1], sum_free[TOPO_MAX_NODES + 1],
        sum_rbit[TOPO_MAX_NODES + 1];
    uint64_t dominated[TOPO_MAX_NODES];     /* positions that c[i] dominates */
    /* top_free[i][r]: the r largest free memories among c[i..n); likewise CPUs. */
    uint64_t top_free[TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    uint64_t top_cpus[TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    /* The same for the mixed scores (see mix_score), one table per weight. */
    uint64_t top_mix[MIX_WEIGHTS][TOPO_MAX_NODES + 1][TOPO_MAX_NODES + 1];
    /* The fit table: fit[i][r][u], 0 = impossible, else 1 + free memory. */
    unsigned rows, units, unit;     /* r <= rows, u <= units, unit = CPUs per u */
    unsigned cpu_units[TOPO_MAX_NODES];
    uint64_t *fit;
    unsigned long steps;
    bool aborted, found;
    struct value best;
    uint64_t best_set;          /* positions in c[] */
};

/* A partial set in the search. */
struct partial {
    unsigned taken, units;
    uint64_t cpus, set, forbidden;
    struct value v;
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
    const struct place_cand *a = pa, *b = pb;

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
 * Memory and CPUs together, where the fit table rounds CPUs: a set that fits
 * has, for any weight 0 <= w <= 1, w * free / mem + (1 - w) * cpus / vcpus
 * >= 1. In fixed point (1.0 = MIX_ONE), each part capped at 1; a node's
 * score is rounded up and what is missing down, so the bound can only keep
 * too much, never cut a set that fits.
 */
static uint64_t mix_score(const struct search *s, double w, uint64_t free_, uint64_t cpus)
{
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
    uint64_t val[TOPO_MAX_NODES] = { 0 };

    for (unsigned i = 0; i < s->n; i++)
        val[i] = s->c[i].free;
    suffix_top_sums(val, s->n, s->top_free);
    for (unsigned i = 0; i < s->n; i++)
        val[i] = s->c[i].cpus;
    suffix_top_sums(val, s->n, s->top_cpus);
    for (unsigned w = 0; s->mem > 0 && w < MIX_WEIGHTS; w++) {
        for (unsigned i = 0; i < s->n; i++)
            val[i] = mix_score(s, mix_weight[w], s->c[i].free, s->c[i].cpus);
        suffix_top_sums(val, s->n, s->top_mix[w]);
    }
    s->sum_load[0] = s->sum_free[0] = s->sum_rbit[0] = 0;
    for (unsigned i = 0; i < s->n; i++) {
        s->rbit[i] = UINT64_C(1) << (63 - s->c[i].node);
        s->sum_load[i + 1] = s->sum_load[i] + s->c[i].load;
        s->sum_free[i + 1] = sat_add(s->sum_free[i], s->c[i].free);
        s->sum_rbit[i + 1] = s->sum_rbit[i] + s->rbit[i];   /* distinct bits: no carry */
        s->dominated[i] = 0;
        for (unsigned j = i + 1; j < s->n; j++)
            if (s->c[i].free >= s->c[j].free && s->c[i].cpus >= s->c[j].cpus)
                s->dominated[i] |= UINT64_C(1) << j;
    }
}

static uint64_t *fit_at(const struct search *s, unsigned i, unsigned r, unsigned u)
{
    return &s->fit[((size_t)i * (s->rows + 1) + r) * (s->units + 1) + u];
}

/*
 * The fit table for sets of up to ROWS nodes. CPUs count in units of
 * ceil(vcpus / CPU_UNITS), a node's rounded up and the need too, so that a
 * set with enough CPUs always has enough units.
 */
static int fit_build(struct search *s, unsigned rows)
{
    s->rows = rows;
    s->unit = (s->vcpus + CPU_UNITS - 1) / CPU_UNITS;
    s->units = (s->vcpus + s->unit - 1) / s->unit;
    s->fit = calloc((size_t)(s->n + 1) * (rows + 1) * (s->units + 1), sizeof(*s->fit));
    if (!s->fit)
        return -ENOMEM;
    for (unsigned i = 0; i < s->n; i++) {
        unsigned u = (s->c[i].cpus + s->unit - 1) / s->unit;
        s->cpu_units[i] = u < s->units ? u : s->units;
    }
    *fit_at(s, s->n, 0, 0) = 1;     /* the empty set: no memory, no CPUs */
    for (unsigned i = s->n; i-- > 0;) {
        for (unsigned r = 0; r <= rows; r++) {
            for (unsigned u = 0; u <= s->units; u++) {
                uint64_t best = *fit_at(s, i + 1, r, u);
                if (r > 0) {
                    uint64_t rest = *fit_at(s, i + 1, r - 1,
                                            u > s->cpu_units[i] ? u - s->cpu_units[i] : 0);
                    if (rest && sat_add(rest, s->c[i].free) > best)
                        best = sat_add(rest, s->c[i].free);
                }
                *fit_at(s, i, r, u) = best;
            }
        }
    }
    return 0;
}

/*
 * Can r more nodes from position i on make the partial set P fit? Bounds
 * only: no means no, yes means maybe (the fit table rounds CPUs).
 */
static bool can_fit(const struct search *s, unsigned i, unsigned r, const struct partial *p)
{
    uint64_t got = *fit_at(s, i, r, p->units < s->units ? s->units - p->units : 0);

    if (!got || (p->v.free < s->mem && got - 1 < s->mem - p->v.free))
        return false;
    if (sat_add(p->v.free, s->top_free[i][r]) < s->mem ||
        p->cpus + s->top_cpus[i][r] < s->vcpus)
        return false;
    for (unsigned w = 0; s->mem > 0 && w < MIX_WEIGHTS; w++)
        if (s->top_mix[w][i][r] < mix_need(s, mix_weight[w], p->v.free, p->cpus))
            return false;
    return true;
}

/* Complete P with exactly k - taken of the positions from i on. */
static void dfs(struct search *s, unsigned i, struct partial p)
{
    unsigned r = s->k - p.taken;

    if (++s->steps > placement_search_limit) {
        s->aborted = true;
        return;
    }
    if (r == 0) {
        /* can_fit checked units, a bound: check the real CPUs. */
        if (p.v.free >= s->mem && p.cpus >= s->vcpus && (!s->found || better(&p.v, &s->best))) {
            s->found = true;
            s->best = p.v;
            s->best_set = p.set;
        }
        return;
    }
    if (s->n - i < r || !can_fit(s, i, r, &p))
        return;
    if (s->found) {
        struct value bound = {
            .load = p.v.load + s->sum_load[i + r] - s->sum_load[i],
            .free = sat_add(p.v.free, s->sum_free[i + r] - s->sum_free[i]),
            .rbit = p.v.rbit + s->sum_rbit[i + r] - s->sum_rbit[i],
        };
        if (!better(&bound, &s->best))
            return;
    }
    if (!(p.forbidden >> i & 1)) {
        struct partial with = p;
        with.taken++;
        with.units += s->cpu_units[i];
        with.cpus += s->c[i].cpus;
        with.set |= UINT64_C(1) << i;
        with.v.load += s->c[i].load;
        with.v.free = sat_add(p.v.free, s->c[i].free);
        with.v.rbit += s->rbit[i];
        dfs(s, i + 1, with);
        if (s->aborted)
            return;
    }
    p.forbidden |= s->dominated[i];
    dfs(s, i + 1, p);
}

/*
 * A set that fits, quickly: add the node that covers most of what is still
 * missing (the first in key order on ties), then drop nodes no longer needed
 * (the worst first). All the candidates together fit, so this does too.
 */
static uint64_t greedy(const struct search *s)
{
    uint64_t set = 0, free_ = 0, cpus = 0;

    while (free_ < s->mem || cpus < s->vcpus) {
        double best_gain = -1;
        unsigned pick = 0;

        for (unsigned i = 0; i < s->n; i++) {
            double gain = 0;

            if (set >> i & 1)
                continue;
            if (free_ < s->mem) {
                uint64_t want = s->mem - free_;
                gain += (double)(s->c[i].free < want ? s->c[i].free : want) / (double)want;
            }
            if (cpus < s->vcpus) {
                uint64_t want = s->vcpus - cpus;
                gain += (double)(s->c[i].cpus < want ? s->c[i].cpus : want) / (double)want;
            }
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
        if ((set >> i & 1) && free_ - s->c[i].free >= s->mem && cpus - s->c[i].cpus >= s->vcpus) {
            set &= ~(UINT64_C(1) << i);
            free_ -= s->c[i].free;
            cpus -= s->c[i].cpus;
        }
    }
    return set;
}

static struct value value_of(const struct search *s, uint64_t set)
{
    struct value v = { 0 };

    for (unsigned i = 0; i < s->n; i++) {
        if (set >> i & 1) {
            v.load += s->c[i].load;
            v.free = sat_add(v.free, s->c[i].free);
            v.rbit += s->rbit[i];
        }
    }
    return v;
}

int place_search(struct place_cand *c, unsigned n, uint64_t mem, unsigned vcpus,
                 uint64_t *nodes)
{
    struct search *s = calloc(1, sizeof(*s));
    uint64_t set;
    unsigned most;
    int rc;

    if (!s)
        return -ENOMEM;
    qsort(c, n, sizeof(*c), cmp_key);
    *s = (struct search){ .c = c, .n = n, .mem = mem, .vcpus = vcpus };
    prepare(s);
    set = greedy(s);
    most = (unsigned)__builtin_popcountll(set);
    rc = fit_build(s, most);
    if (rc < 0) {
        free(s);
        return rc;
    }
    /* The smallest size the fit table allows (at most the greedy set's). */
    for (s->k = 1; s->k < most; s->k++)
        if (can_fit(s, 0, s->k, &(struct partial){ 0 }))
            break;
    for (; s->k <= most && !s->found && !s->aborted; s->k++) {
        if (s->k == most) {
            s->found = true;
            s->best = value_of(s, set);
            s->best_set = set;
        }
        dfs(s, 0, (struct partial){ 0 });
    }
    if (s->found)
        set = s->best_set;
    *nodes = 0;
    for (unsigned i = 0; i < n; i++)
        if (set >> i & 1)
            *nodes |= UINT64_C(1) << c[i].node;
    free(s->fit);
    free(s);
    return 0;
}
