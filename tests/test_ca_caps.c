/*
 * test_ca_caps.c: the caps on the autoscaler's scale-down simulation
 * (upstream's --scale-down-non-empty-candidates-count,
 * --scale-down-candidates-pool-ratio and -pool-min-count; core/scaledown/
 * legacy UpdateUnneededNodes): the count stops taking non-empty nodes, the
 * pool stops simulating them, empty nodes are never capped, the previous
 * loop's unneeded nodes are always simulated and the next loop goes on past
 * the pool. Then the differential: on random clusters where no cap binds,
 * the capped plan is the exhaustive pass's (count 0, upstream's "off"),
 * verdict for verdict, and a run where no loop's caps bind removes the same
 * nodes at the same times. Then the reuse of the last pass's drain
 * simulations: on random clusters with random changes between loops, the
 * reusing pass's plans are the exhaustive pass's at every loop (a missed
 * change fails it: checked by breaking the node stamps and the list of nodes
 * read). Last, the autoscaler{} keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/ca.h"
#include "sim/policy.h"
#include "tm.h"

#include "tb.h"
#include "tr.h"
#include "ts.h"

#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)

typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    SchedCa *ca;
    uint32_t region, zone, ns, sys, group;
    uint32_t big;   /* a second group of 8-CPU nodes (random clusters mix both) */
} World;

static World world(uint64_t seed, int32_t min)
{
    World w;
    memset(&w, 0, sizeof w);
    SimConfig cfg = {.seed = seed, .end = SIM_SEC(7200), .queue = SIM_EVQ_FAST, .mem = NULL};
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    ck_assert_int_eq(sim_region_add(w.e, "eu", &w.region), SIM_OK);
    ck_assert_int_eq(sim_zone_add(w.e, w.region, "eu-a", &w.zone), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "kube-system", &w.sys), SIM_OK);
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"pool";
    g.region = w.region;
    g.instance_type = (char *)"pool";
    g.alloc = (SimRes){4000, 16 * GIB, 0, 110};
    g.price_per_hour = 1.0;
    g.min = min;
    g.max = 1000;
    g.zones = &w.zone;
    g.nzones = 1;
    g.provision_delay = SIM_SEC(90);
    g.speed = 1;
    g.gpu_speedup = 1;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.group), SIM_OK);
    g.name = (char *)"big";
    g.instance_type = (char *)"big";
    g.alloc.cpu_m = 8000;
    g.min = 0;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.big), SIM_OK);
    return w;
}

static uint32_t add_node_in(World *w, uint32_t group)
{
    uint32_t id;
    ck_assert_int_eq(sim_node_add(w->e, group, 1, &id), SIM_OK);
    return id;
}

static uint32_t add_node(World *w)
{
    return add_node_in(w, w->group);
}

static uint32_t add_wl(World *w, const char *name, SimWlKind kind, uint32_t ns, int64_t cpu_m, int64_t mem)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = kind;
    wl.ns = ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){cpu_m, mem, 0, 1};
    wl.replicas = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t place(World *w, uint32_t wl, uint32_t node)
{
    uint32_t id;
    ck_assert_int_eq(sim_pod_create(w->e, wl, &id), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(w->e, id, node), SIM_OK);
    return id;
}

static void start(World *w, const SchedCaConfig *cfg)
{
    w->s = sched_create(w->e);
    ck_assert_ptr_nonnull(w->s);
    w->ca = sched_ca_create(w->s, cfg);
    ck_assert_ptr_nonnull(w->ca);
}

static void world_free(World *w)
{
    sched_ca_destroy(w->ca);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

static SchedCaPlan plan(World *w)
{
    SchedCaPlan p;
    ck_assert_int_eq(sched_ca_plan(w->ca, w->region, &p), SIM_OK);
    return p;
}

static const SchedCaNodeVerdict *verdict(const SchedCaPlan *p, uint32_t node)
{
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].node == node)
            return &p->nodes[i];
    ck_abort_msg("node %u has no verdict", node);
    return NULL;
}

static int other(const SchedCaNodeVerdict *v)
{
    return v->unremovable && strcmp(v->unremovable, "NotUnneededOtherReason") == 0;
}

static int count_unneeded(const SchedCaPlan *p)
{
    int k = 0;
    for (size_t i = 0; i < p->nnodes; i++)
        k += p->nodes[i].unneeded;
    return k;
}

/* n nodes, each with one small replicated pod: every node is under-used and
 * its pod fits on any other. */
static void small_pods(World *w, uint32_t *nodes, int n)
{
    uint32_t wl = add_wl(w, "web", SIM_WL_DEPLOYMENT, w->ns, 100, 64 * MIB);
    for (int i = 0; i < n; i++)
        nodes[i] = add_node(w);
    for (int i = 0; i < n; i++)
        place(w, wl, nodes[i]);
}

static SchedCaConfig plan_only(int32_t count, double ratio, int32_t min_count)
{
    SchedCaConfig c;
    sched_ca_config_default(&c);
    c.enabled = 0;
    c.scale_down_non_empty_candidates_count = count;
    c.scale_down_candidates_pool_ratio = ratio;
    c.scale_down_candidates_pool_min_count = min_count;
    return c;
}

/* The defaults are upstream's: 30, 0.1, 50. */
START_TEST(ca_caps_defaults_are_upstreams)
{
    SchedCaConfig c;
    sched_ca_config_default(&c);
    ck_assert_int_eq(c.scale_down_non_empty_candidates_count, 30);
    ck_assert_double_eq(c.scale_down_candidates_pool_ratio, 0.1);
    ck_assert_int_eq(c.scale_down_candidates_pool_min_count, 50);
}
END_TEST

/* Count: once 30 non-empty nodes are unneeded the rest of the pool is not
 * taken (NotUnneededOtherReason); off (0), every node is judged. */
START_TEST(ca_caps_count_stops_taking_non_empty_nodes)
{
    enum { N = 45 };
    uint32_t n[N];
    for (int off = 0; off < 2; off++) {
        World w = world(1, 0);
        small_pods(&w, n, N);
        SchedCaConfig c = plan_only(off ? 0 : 30, 0.1, 50);
        start(&w, &c);
        SchedCaPlan p = plan(&w);
        ck_assert_uint_eq(p.nnodes, N);
        if (off) {
            ck_assert_uint_eq(p.capped, 0);
            ck_assert_int_gt(count_unneeded(&p), 30);
        } else {
            ck_assert_int_eq(count_unneeded(&p), 30);
            ck_assert_uint_eq(p.capped, N - 30);
            ck_assert_uint_eq(p.pool, 50);
            for (int i = 0; i < N; i++)
                ck_assert_int_eq(verdict(&p, n[i])->unneeded, i < 30);
            ck_assert(other(verdict(&p, n[30])));
            ck_assert_uint_eq(verdict(&p, n[30])->nblockers, 0);
        }
        sched_ca_plan_free(w.ca, &p);
        world_free(&w);
    }
}
END_TEST

/* Pool: max(ceil(ratio x registered nodes), min count) non-candidates are
 * simulated; empty nodes are never capped. */
START_TEST(ca_caps_pool_bounds_the_nodes_simulated)
{
    enum { N = 20 };
    uint32_t n[N];
    World w = world(1, 0);
    small_pods(&w, n, N);
    uint32_t empty = add_node(&w);
    SchedCaConfig c = plan_only(30, 0.25, 3);   /* ceil(0.25 x 21) = 6 > 3 */
    start(&w, &c);
    SchedCaPlan p = plan(&w);
    ck_assert_uint_eq(p.pool, 6);
    ck_assert_int_eq(count_unneeded(&p), 6 + 1);
    ck_assert_int_eq(verdict(&p, empty)->unneeded, 1);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(verdict(&p, n[i])->unneeded, i < 6);
        ck_assert_int_eq(other(verdict(&p, n[i])), i >= 6);
    }
    sched_ca_plan_free(w.ca, &p);
    world_free(&w);

    w = world(1, 0);
    small_pods(&w, n, N);
    c = plan_only(30, 0.0, 4);   /* the minimum wins */
    start(&w, &c);
    p = plan(&w);
    ck_assert_uint_eq(p.pool, 4);
    ck_assert_int_eq(count_unneeded(&p), 4);
    sched_ca_plan_free(w.ca, &p);
    world_free(&w);
}
END_TEST

/* The previous loop's unneeded nodes are candidates, always simulated, and the
 * pool then goes on with the next nodes: count 2 with a pool of 1 finds one
 * node a loop (upstream's additional candidates) until the count is reached.
 * The loop after the first must not reuse the first plan though nothing else
 * changed. */
START_TEST(ca_caps_candidates_carry_over_between_loops)
{
    enum { N = 6 };
    uint32_t n[N];
    World w = world(1, 0);
    small_pods(&w, n, N);
    SchedCaConfig c;
    sched_ca_config_default(&c);
    c.scale_down_non_empty_candidates_count = 2;
    c.scale_down_candidates_pool_ratio = 0;
    c.scale_down_candidates_pool_min_count = 1;
    start(&w, &c);
    ts_run_to(w.e, SIM_SEC(5));   /* what loop 1 (at 10 s) decides */
    SchedCaPlan p = plan(&w);
    ck_assert_int_eq(verdict(&p, n[0])->unneeded, 1);
    ck_assert_int_eq(verdict(&p, n[1])->unneeded, 0);
    ck_assert(other(verdict(&p, n[1])));
    sched_ca_plan_free(w.ca, &p);
    ts_run_to(w.e, SIM_SEC(20));   /* loop 2: n0 a candidate, n1 the pool (not loop 1's plan again) */
    p = plan(&w);
    ck_assert_int_eq(verdict(&p, n[0])->unneeded, 1);
    ck_assert_int_eq(verdict(&p, n[1])->unneeded, 1);
    ck_assert(other(verdict(&p, n[2])));
    sched_ca_plan_free(w.ca, &p);
    ts_run_to(w.e, SIM_SEC(60));   /* the count is reached: stable */
    p = plan(&w);
    ck_assert_int_eq(count_unneeded(&p), 2);
    ck_assert_int_eq(verdict(&p, n[0])->unneeded + verdict(&p, n[1])->unneeded, 2);
    sched_ca_plan_free(w.ca, &p);
    world_free(&w);
}
END_TEST

/* ---- the differential ------------------------------------------------------------- */
static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* A random cluster from seed: 5..59 nodes (some larger), workloads of every
 * kind the drain rules look at, 0..6 pods a node of random sizes. */
static void random_cluster(World *w, uint64_t seed, uint32_t *nodes, int *nn)
{
    uint64_t s = seed * 2654435761ULL + 1;
    int n = 5 + (int)(next(&s) % 55);
    uint32_t wl[6];
    wl[0] = add_wl(w, "web", SIM_WL_DEPLOYMENT, w->ns, 100 + (int64_t)(next(&s) % 800), 128 * MIB);
    wl[1] = add_wl(w, "api", SIM_WL_DEPLOYMENT, w->ns, 50 + (int64_t)(next(&s) % 1500), 512 * MIB);
    wl[2] = add_wl(w, "bare", SIM_WL_POD, w->ns, 100, 64 * MIB);
    wl[3] = add_wl(w, "dns", SIM_WL_DEPLOYMENT, w->sys, 100, 64 * MIB);
    wl[4] = add_wl(w, "cache", SIM_WL_DEPLOYMENT, w->ns, 200, 256 * MIB);
    sim_workload_mut(w->e, wl[4])->spec.local_storage = 1;
    wl[5] = add_wl(w, "ds", SIM_WL_DAEMONSET, w->sys, 50, 32 * MIB);
    for (int i = 0; i < n; i++) {
        /* A node of the big group, not a node whose allocatable is changed
         * behind its group's back (the sanitizer build's invariant check
         * sums a group's nodes). */
        nodes[i] = add_node_in(w, next(&s) % 4 == 0 ? w->big : w->group);
    }
    for (int i = 0; i < n; i++) {
        int pods = (int)(next(&s) % 7);
        place(w, wl[5], nodes[i]);
        for (int k = 0; k < pods; k++) {
            uint64_t r = next(&s) % 20;
            uint32_t which = r < 12 ? 0 : r < 17 ? 1 : r < 18 ? 2 : r < 19 ? 3 : 4;
            const SimNode *nd = sim_node(w->e, nodes[i]);
            const SimRes *q = &sim_workload(w->e, wl[which])->spec.req;
            if (nd->req.cpu_m + q->cpu_m <= nd->alloc.cpu_m && nd->req.mem + q->mem <= nd->alloc.mem)
                place(w, wl[which], nodes[i]);
        }
    }
    *nn = n;
}

static void same_verdicts(const SchedCaPlan *a, const SchedCaPlan *b, uint64_t seed)
{
    ck_assert_uint_eq(a->nnodes, b->nnodes);
    for (size_t i = 0; i < a->nnodes; i++) {
        const SchedCaNodeVerdict *x = &a->nodes[i], *y = &b->nodes[i];
        ck_assert_uint_eq(x->node, y->node);
        ck_assert_msg(x->unneeded == y->unneeded, "seed %llu node %u: unneeded %d vs %d", (unsigned long long)seed,
                      x->node, x->unneeded, y->unneeded);
        ck_assert_msg((x->unremovable == NULL) == (y->unremovable == NULL) &&
                          (x->unremovable == NULL || strcmp(x->unremovable, y->unremovable) == 0),
                      "seed %llu node %u: %s vs %s", (unsigned long long)seed, x->node,
                      x->unremovable ? x->unremovable : "-", y->unremovable ? y->unremovable : "-");
        ck_assert_uint_eq(x->nblockers, y->nblockers);
        for (size_t k = 0; k < x->nblockers; k++) {
            ck_assert_uint_eq(x->blockers[k].pod, y->blockers[k].pod);
            ck_assert_str_eq(x->blockers[k].reason, y->blockers[k].reason);
        }
    }
}

/* On random clusters, the default caps against the exhaustive pass (count
 * 0): where no cap binds (nothing left out) the verdicts are the same; where
 * one does, at most the count of non-empty nodes is unneeded and every node
 * left out says NotUnneededOtherReason. Both kinds of case occur. */
START_TEST(ca_caps_differential_plan_equals_exhaustive_where_caps_do_not_bind)
{
    int unbound = 0, bound = 0;
    uint32_t na[64], nb[64];
    for (uint64_t seed = 1; seed <= 120; seed++) {
        World a = world(seed, 0), b = world(seed, 0);
        int n;
        random_cluster(&a, seed, na, &n);
        random_cluster(&b, seed, nb, &n);
        SchedCaConfig ca = plan_only(30, 0.1, 50), cb = plan_only(0, 0.1, 50);
        if (seed % 3 == 0)   /* smaller caps, so they bind in some small clusters */
            ca = plan_only(8, 0.1, 12);
        start(&a, &ca);
        start(&b, &cb);
        SchedCaPlan pa = plan(&a), pb = plan(&b);
        ck_assert_uint_eq(pb.capped, 0);
        if (pa.capped == 0) {
            same_verdicts(&pa, &pb, seed);
            unbound++;
        } else {
            int busy_unneeded = 0, left = 0;
            for (size_t i = 0; i < pa.nnodes; i++) {
                const SchedCaNodeVerdict *v = &pa.nodes[i];
                const SimNode *nd = sim_node(a.e, v->node);
                busy_unneeded += v->unneeded && nd->req.cpu_m > 50;   /* more than the DaemonSet pod */
                left += other(v);
            }
            ck_assert_int_le(busy_unneeded, ca.scale_down_non_empty_candidates_count);
            ck_assert_uint_eq((unsigned)left, pa.capped);
            bound++;
        }
        sched_ca_plan_free(a.ca, &pa);
        sched_ca_plan_free(b.ca, &pb);
        world_free(&a);
        world_free(&b);
    }
    ck_assert_int_ge(unbound, 40);
    ck_assert_int_ge(bound, 5);
}
END_TEST

typedef struct Removed {
    uint32_t node[64];
    SimTime at[64];
    int n;
    int bound;   /* some loop's caps bound */
} Removed;

/* Runs a random cluster with loops for 40 minutes; the nodes removed, when. */
static void run_random(uint64_t seed, int32_t count, Removed *out)
{
    uint32_t nodes[64];
    int n;
    World w = world(seed, 1);
    random_cluster(&w, seed, nodes, &n);
    SchedCaConfig c;
    sched_ca_config_default(&c);
    c.scale_down_non_empty_candidates_count = count;
    c.scale_down_unneeded_time = SIM_SEC(120);
    start(&w, &c);
    memset(out, 0, sizeof *out);
    uint8_t gone[64] = {0};
    for (SimTime t = SIM_SEC(10); t <= SIM_SEC(2400); t += SIM_SEC(10)) {
        ts_run_to(w.e, t);
        SchedCaPlan p = plan(&w);   /* the plan this loop acted on */
        out->bound |= p.capped != 0;
        sched_ca_plan_free(w.ca, &p);
        for (int i = 0; i < n; i++)
            if (!gone[i] && !sim_node_live(sim_node(w.e, nodes[i]))) {
                gone[i] = 1;
                out->node[out->n] = (uint32_t)i;
                out->at[out->n++] = t;
            }
    }
    world_free(&w);
}

/* The same over time: a run whose loops' caps never bind removes the same
 * nodes at the same times as the exhaustive run. */
START_TEST(ca_caps_differential_run_equals_exhaustive_where_caps_do_not_bind)
{
    int compared = 0, removals = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        Removed capped, full;
        run_random(seed, 30, &capped);
        run_random(seed, 0, &full);
        if (capped.bound)
            continue;
        compared++;
        removals += full.n;
        ck_assert_int_eq(capped.n, full.n);
        for (int i = 0; i < full.n; i++) {
            ck_assert_uint_eq(capped.node[i], full.node[i]);
            ck_assert_int_eq(capped.at[i], full.at[i]);
        }
    }
    ck_assert_int_ge(compared, 6);
    ck_assert_int_gt(removals, 0);
}
END_TEST

/* ---- reusing the last pass's simulations (ca_down.c) ---------------------------------- */
static void same_plans(World *a, World *b, uint64_t seed, int step)
{
    SchedCaPlan pa = plan(a), pb = plan(b);
    ck_assert_msg(pa.chosen == pb.chosen && pa.delta == pb.delta && pa.capped == pb.capped && pa.pool == pb.pool,
                  "seed %llu step %d: chosen %d/%d delta %d/%d capped %u/%u", (unsigned long long)seed, step,
                  pa.chosen, pb.chosen, pa.delta, pb.delta, pa.capped, pb.capped);
    same_verdicts(&pa, &pb, seed);
    sched_ca_plan_free(a->ca, &pa);
    sched_ca_plan_free(b->ca, &pb);
}

/* One random change, the same in both worlds (identical while their
 * autoscalers decide identically): a pod bound to a node where it fits, a
 * pod deleted, a node cordoned or uncordoned, a pending pod, or nothing. */
static void random_change(World *w, uint64_t *s, const uint32_t *nodes, int n, const uint32_t *wl)
{
    uint64_t what = next(s) % 10, x = next(s), y = next(s);
    uint32_t node = nodes[x % (uint64_t)n];
    const SimNode *nd = sim_node(w->e, node);
    if (what < 4) {   /* bind */
        const SimRes *q = &sim_workload(w->e, wl[y % 4])->spec.req;
        if (nd->state == SIM_NODE_READY && !nd->unschedulable && nd->req.cpu_m + q->cpu_m <= nd->alloc.cpu_m &&
            nd->req.mem + q->mem <= nd->alloc.mem && nd->req.pods + 1 <= nd->alloc.pods)
            place(w, wl[y % 4], node);
    } else if (what < 7) {   /* delete a bound pod */
        uint32_t np = sim_pod_count(w->e), pod = (uint32_t)(y % np);
        const SimPod *p = sim_pod(w->e, pod);
        if (p->node != SIM_NONE && (p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING) &&
            sim_workload(w->e, p->wl)->kind != SIM_WL_DAEMONSET)
            ck_assert_int_eq(sim_pod_delete(w->e, pod), SIM_OK);
    } else if (what == 7) {   /* cordon or uncordon */
        if (sim_node_live(nd) && nd->state == SIM_NODE_READY)
            sim_node_cordon(w->e, node, !nd->unschedulable);
    } else if (what == 8 && y % 4 == 0) {   /* a pod no node has room for: a scale-up */
        uint32_t pod;
        ck_assert_int_eq(sim_pod_create(w->e, wl[4], &pod), SIM_OK);
    }
}

/* A random cluster whose loops run for 20 minutes with random changes
 * between them, twice: reusing simulations and exhaustively
 * (scale_down_exhaustive). The plans must be the same at every step;
 * returns the simulations the reusing world reused and ran. */
static void dirty_differential(uint64_t seed, int32_t count, uint64_t *reused, uint64_t *run)
{
    World w[2];
    uint32_t nodes[2][64], wl[2][5];
    int n = 0;
    for (int k = 0; k < 2; k++) {
        w[k] = world(seed, 1);
        random_cluster(&w[k], seed, nodes[k], &n);
        wl[k][0] = add_wl(&w[k], "extra", SIM_WL_DEPLOYMENT, w[k].ns, 300, 256 * MIB);
        wl[k][1] = add_wl(&w[k], "extra-bare", SIM_WL_POD, w[k].ns, 100, 64 * MIB);
        wl[k][2] = add_wl(&w[k], "extra-sys", SIM_WL_DEPLOYMENT, w[k].sys, 200, 64 * MIB);
        wl[k][3] = add_wl(&w[k], "extra-big", SIM_WL_DEPLOYMENT, w[k].ns, 1500, 2 * GIB);
        wl[k][4] = add_wl(&w[k], "huge", SIM_WL_DEPLOYMENT, w[k].ns, 6000, 4 * GIB);
        SimPdb pdb = {.name = (char *)"sys", .region = w[k].region, .ns = w[k].sys, .value = 1};
        uint32_t id;
        ck_assert_int_eq(sim_pdb_add(w[k].e, &pdb, &id), SIM_OK);
        SchedCaConfig c;
        sched_ca_config_default(&c);
        c.scale_down_non_empty_candidates_count = count;
        c.scale_down_unneeded_time = SIM_SEC(60);
        c.scale_down_exhaustive = k;
        start(&w[k], &c);
    }
    uint64_t s[2] = {seed * 7919 + 3, seed * 7919 + 3};
    for (int step = 1; step <= 120; step++) {
        SimTime t = SIM_SEC(10) * step;
        for (int k = 0; k < 2; k++) {
            ts_run_to(w[k].e, t - SIM_SEC(5));
            for (int c = 0; c < 3; c++)
                random_change(&w[k], &s[k], nodes[k], n, wl[k]);
            ts_run_to(w[k].e, t);
        }
        same_plans(&w[0], &w[1], seed, step);
    }
    uint64_t r1, n1;
    sched_ca_down_stats(w[1].ca, &r1, &n1);
    ck_assert_uint_eq(r1, 0);   /* the reference reuses nothing */
    sched_ca_down_stats(w[0].ca, reused, run);
    world_free(&w[0]);
    world_free(&w[1]);
}

/* Differential: random clusters and random changes between loops, the
 * reusing pass against the exhaustive one, identical plans at every loop
 * (with and without binding caps); and the reuse happens. */
START_TEST(ca_dirty_reuse_equals_exhaustive)
{
    uint64_t reused = 0, run = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        uint64_t r, n;
        dirty_differential(seed, seed % 3 == 0 ? 2 : 30, &r, &n);
        reused += r;
        run += n;
    }
    ck_assert_uint_gt(run, 0);
    ck_assert_msg(reused * 4 > run, "reused %llu of %llu simulations", (unsigned long long)reused,
                  (unsigned long long)(reused + run));
}
END_TEST

/* ---- the scenario keys -------------------------------------------------------------- */
#define HEAD "scenario { name = \"t\", duration = \"1h\" }\nregion { name = \"eu\" }\n"

static void refused(const char *lua, const char *want)
{
    tb_write("bad.lua", lua);
    int rc = tb_run("validate bad.lua");
    ck_assert_msg(rc == 2, "exit %d for %s (stderr: %s)", rc, want, tb_err());
    ck_assert_msg(strstr(tb_err(), want), "stderr '%s' lacks '%s'", tb_err(), want);
}

START_TEST(ca_caps_autoscaler_keys_checked)
{
    refused(HEAD "autoscaler { scale_down_candidates_pool_ratio = 1.5 }\n", "bad.lua:3:");
    refused(HEAD "autoscaler { scale_down_candidates_pool_ratio = 1.5 }\n", "scale_down_candidates_pool_ratio");
    refused(HEAD "autoscaler { scale_down_candidates_pool_min_count = -1 }\n", "scale_down_candidates_pool_min_count");
    refused(HEAD "autoscaler { scale_down_non_empty_candidates_count = 2.5 }\n",
            "scale_down_non_empty_candidates_count");
    tb_write("ok.lua", HEAD "autoscaler { scale_down_non_empty_candidates_count = 0,\n"
                              "  scale_down_candidates_pool_ratio = 1.0, scale_down_candidates_pool_min_count = 0 }\n");
    int rc = tb_run("validate ok.lua");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
}
END_TEST

/* Exported as the chart's extraArgs (upstream's flag names) and imported back
 * into the same keys. */
START_TEST(ca_caps_exported_and_imported)
{
    tb_write("caps.lua", HEAD "nodegroup { name = \"a\", cpu = \"4\", memory = \"8Gi\", min = 1, max = 3 }\n"
                              "autoscaler { scale_down_non_empty_candidates_count = 7,\n"
                              "  scale_down_candidates_pool_ratio = 0.25, scale_down_candidates_pool_min_count = 12 }\n");
    int rc = tb_run("export caps.lua --out k --quiet");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
    char path[4096];
    snprintf(path, sizeof path, "%s/k/eu/cluster-autoscaler-values.yaml", tb_dir());
    char *t = tb_read(path, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(strstr(t, "  scale-down-non-empty-candidates-count: \"7\"\n") &&
                      strstr(t, "  scale-down-candidates-pool-ratio: \"0.25\"\n") &&
                      strstr(t, "  scale-down-candidates-pool-min-count: \"12\"\n"),
                  "%s", t);
    free(t);
    rc = tb_run("import k --out back.lua");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
    snprintf(path, sizeof path, "%s/back.lua", tb_dir());
    t = tb_read(path, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(strstr(t, "scale_down_non_empty_candidates_count = 7") &&
                      strstr(t, "scale_down_candidates_pool_ratio = 0.25") &&
                      strstr(t, "scale_down_candidates_pool_min_count = 12"),
                  "%s", t);
    free(t);
    rc = tb_run("validate back.lua");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ca_caps");
    TCase *t = tcase_create("caps");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, ca_caps_defaults_are_upstreams);
    tcase_add_test(t, ca_caps_count_stops_taking_non_empty_nodes);
    tcase_add_test(t, ca_caps_pool_bounds_the_nodes_simulated);
    tcase_add_test(t, ca_caps_candidates_carry_over_between_loops);
    tcase_add_test(t, ca_caps_differential_plan_equals_exhaustive_where_caps_do_not_bind);
    tcase_add_test(t, ca_caps_differential_run_equals_exhaustive_where_caps_do_not_bind);
    tcase_add_test(t, ca_dirty_reuse_equals_exhaustive);
    suite_add_tcase(s, t);
    TCase *k = tcase_create("scenario");
    tcase_set_timeout(k, 300);
    tcase_add_test(k, ca_caps_autoscaler_keys_checked);
    tcase_add_test(k, ca_caps_exported_and_imported);
    suite_add_tcase(s, k);
    return s;
}

int main(void)
{
    if (tb_setup("ca_caps") != 0)
        return 2;
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
