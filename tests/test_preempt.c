/*
 * test_preempt.c: DefaultPreemption (k8s-behaviour.md §3.10, PDBs of §6).
 * Each test pins one rule: only lower-priority pods are victims, Never does
 * not preempt, the reprieve keeps as many pods as fit (PDB-violating ones
 * first), and the node choice order (fewest PDB violations, lowest highest
 * victim priority, smallest priority sum, fewest victims, latest start). Then
 * the effects: victims deleted, counted and traced, the node nominated, the
 * pod bound once they are gone; the plan changes nothing; allocation failures
 * unwind. Where two nodes could tie on scan order, the test runs over several
 * seeds so the random start of the scan cannot decide it. Trace files go to a
 * mkdtemp directory that main() removes.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scheduler/sched.h"
#include "sim/policy.h"

#include "ts.h"

#define TMP_ENV "KUBESIM_PREEMPT_TEST_DIR"
#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)
#define SEEDS 8

/* ---- a small engine --------------------------------------------------------- */

typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    uint32_t region, ns, group;
} World;

/* One region with a group of 4 CPU / 8 GiB / 110-pod nodes, Ready at once.
 * The scheduler is created later (with_sched), once the pods already running
 * are in place, as tests/test_sched.c does. */
static World world_mem(uint64_t seed, SimMem *m)
{
    World w;
    SimConfig cfg = {.seed = seed, .end = SIM_SEC(600), .queue = SIM_EVQ_FAST, .mem = m};
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    w.s = NULL;
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &w.region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"general";
    g.region = w.region;
    g.alloc = (SimRes){.cpu_m = 4000, .mem = 8 * GIB, .gpu = 0, .pods = 110};
    g.price_per_hour = 1.0;
    g.max = 1000;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.group), SIM_OK);
    return w;
}

static World world(uint64_t seed)
{
    return world_mem(seed, NULL);
}

static void with_sched(World *w)
{
    w->s = sched_create(w->e);
    ck_assert_ptr_nonnull(w->s);
}

static void world_free(World *w)
{
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

static uint32_t add_node(World *w)
{
    uint32_t id;
    ck_assert_int_eq(sim_node_add(w->e, w->group, 1, &id), SIM_OK);
    return id;
}

static SimKV db_labels[] = {{(char *)"app", (char *)"db"}};

/* A Deployment-like workload whose pods request cpu_m and 256 MiB, with
 * these labels. */
static uint32_t add_wl_labeled(World *w, const char *name, int32_t prio, int64_t cpu_m, SimKV *labels,
                               size_t nlabels)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = SIM_WL_POD;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){cpu_m, 256 * MIB, 0, 1};
    wl.spec.priority = prio;
    wl.spec.labels = labels;
    wl.spec.nlabels = nlabels;
    wl.replicas = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t add_wl(World *w, const char *name, int32_t prio, int64_t cpu_m)
{
    return add_wl_labeled(w, name, prio, cpu_m, NULL, 0);
}

/* The same, with app=db labels (what the PDBs below select). */
static uint32_t add_db_wl(World *w, const char *name, int32_t prio, int64_t cpu_m)
{
    return add_wl_labeled(w, name, prio, cpu_m, db_labels, 1);
}

static uint32_t new_pod(World *w, uint32_t wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_pod_create(w->e, wl, &id), SIM_OK);
    ck_assert_int_eq(sim_pod(w->e, id)->priority, sim_workload(w->e, wl)->spec.priority);
    return id;
}

/* A pod of wl bound to node (it runs once the engine steps). */
static uint32_t place(World *w, uint32_t wl, uint32_t node)
{
    uint32_t id = new_pod(w, wl);
    ck_assert_int_eq(sim_pod_bind(w->e, id, node), SIM_OK);
    return id;
}

static int live(SimEngine *e, uint32_t pod)
{
    SimPodPhase ph = sim_pod(e, pod)->phase;
    return ph == SIM_POD_BOUND || ph == SIM_POD_RUNNING;
}

/* A PDB over app=db pods: minAvailable (max_unavailable 0) or maxUnavailable. */
static SimSelector db_selector(void)
{
    static char *values[] = {(char *)"db"};
    static SimSelReq req[] = {{(char *)"app", SIM_SEL_IN, values, 1}};
    return (SimSelector){req, 1};
}

static uint32_t add_pdb(World *w, int max_unavailable, int32_t value)
{
    SimPdb pdb;
    memset(&pdb, 0, sizeof pdb);
    pdb.name = (char *)"db-pdb";
    pdb.region = w->region;
    pdb.ns = w->ns;
    pdb.selector = db_selector();
    pdb.max_unavailable = max_unavailable;
    pdb.value = value;
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w->e, &pdb, &id), SIM_OK);
    return id;
}

/* The plan for pod: returns the node (SIM_NONE when none) and its victims. */
static uint32_t plan(World *w, uint32_t pod, uint32_t *victims, size_t max, size_t *n)
{
    uint32_t node = 12345;
    int rc = sched_preempt_plan(w->s, pod, &node, victims, max, n);
    ck_assert_msg(rc == SIM_OK || rc == SIM_DONE, "plan failed: %d %s", rc, sim_errmsg(w->e));
    ck_assert((rc == SIM_OK) == (node != SIM_NONE));
    return node;
}

static uint32_t plan_node(World *w, uint32_t pod)
{
    uint32_t victims[16];
    size_t n;
    return plan(w, pod, victims, 16, &n);
}

/* ---- which pods may go ------------------------------------------------------- */

/* §3.10: victims are pods of strictly lower priority; pods of equal or higher
 * priority are never touched, and a node that lower-priority pods cannot free
 * enough is no candidate. */
START_TEST(preempt_only_lower_priority_pods)
{
    World w = world(1);
    uint32_t n0 = add_node(&w), n1 = add_node(&w);
    uint32_t same = add_wl(&w, "same", 10, 2000), high = add_wl(&w, "high", 20, 2000);
    uint32_t low = add_wl(&w, "low", 5, 2000);
    uint32_t a = place(&w, same, n0), b = place(&w, high, n0);   /* n0: nothing lower */
    uint32_t c = place(&w, high, n1), d = place(&w, low, n1);    /* n1: one lower pod */
    uint32_t n2 = add_node(&w);   /* n2: a lower pod too small to make room */
    uint32_t tiny = place(&w, add_wl(&w, "tiny", 1, 100), n2);
    uint32_t big = place(&w, add_wl(&w, "big", 20, 3900), n2);
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t victims[4];
    size_t nv = 99;

    /* Equal priority is not lower: a priority-5 pod finds nothing to preempt. */
    uint32_t peer = new_pod(&w, add_wl(&w, "peer", 5, 2000));
    ck_assert_uint_eq(plan(&w, peer, victims, 4, &nv), SIM_NONE);
    ck_assert_uint_eq(nv, 0);
    ck_assert_int_eq(sched_preempt(w.s, peer), SIM_DONE);
    ck_assert(live(w.e, a) && live(w.e, b) && live(w.e, c) && live(w.e, d));

    /* Priority 10 may take the priority-5 pod, and nothing else. */
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));
    ck_assert_uint_eq(plan(&w, pre, victims, 4, &nv), n1);
    ck_assert_uint_eq(nv, 1);
    ck_assert_uint_eq(victims[0], d);
    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, d)->phase, SIM_POD_DELETED);
    ck_assert(live(w.e, a) && live(w.e, b) && live(w.e, c));

    /* Removing every lower pod would not be enough: no candidate. */
    uint32_t wide = new_pod(&w, add_wl(&w, "wide", 30, 4001));
    ck_assert_int_eq(sched_preempt(w.s, wide), SIM_DONE);
    ck_assert(live(w.e, a) && live(w.e, b) && live(w.e, c) && live(w.e, tiny) && live(w.e, big));
    ck_assert_uint_eq(sim_stats(w.e)->pods_preempted, 1);
    world_free(&w);
}
END_TEST

/* preemptionPolicy: Never, from the pod spec or from its PriorityClass. */
START_TEST(preempt_never_policy_does_not_preempt)
{
    World w = world(1);
    SimPriorityClass pc = {(char *)"batch-never", 1000, 0, 1, 0};
    uint32_t pcid;
    ck_assert_int_eq(sim_priorityclass_add(w.e, &pc, &pcid), SIM_OK);   /* before any pod */
    uint32_t n = add_node(&w);
    uint32_t low = add_wl(&w, "low", 0, 4000);
    uint32_t v = place(&w, low, n);
    ts_run_to(w.e, 0);
    with_sched(&w);

    uint32_t spec_never = add_wl(&w, "spec-never", 1000, 1000);
    SimPodSpec sp = sim_workload(w.e, spec_never)->spec;
    sp.preempt_never = 1;
    sim_workload_set_spec(w.e, spec_never, &sp);
    uint32_t p = new_pod(&w, spec_never);
    ck_assert_uint_eq(plan_node(&w, p), SIM_NONE);
    ck_assert_int_eq(sched_preempt(w.s, p), SIM_DONE);

    uint32_t class_never = add_wl(&w, "class-never", 1000, 1000);
    sp = sim_workload(w.e, class_never)->spec;
    sp.priority_class = "batch-never";
    sim_workload_set_spec(w.e, class_never, &sp);
    uint32_t q = new_pod(&w, class_never);
    ck_assert_uint_eq(plan_node(&w, q), SIM_NONE);
    ck_assert_int_eq(sched_preempt(w.s, q), SIM_DONE);

    ck_assert(live(w.e, v));
    ck_assert_uint_eq(sim_pod(w.e, p)->nominated_node, SIM_NONE);
    ck_assert_uint_eq(sim_pod(w.e, q)->nominated_node, SIM_NONE);
    ck_assert_uint_eq(sim_stats(w.e)->pods_preempted, 0);

    /* The same pod with the default policy (PreemptLowerPriority) does. */
    uint32_t r = new_pod(&w, add_wl(&w, "may", 1000, 1000));
    ck_assert_int_eq(sched_preempt(w.s, r), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, v)->phase, SIM_POD_DELETED);
    world_free(&w);
}
END_TEST

/* ---- the reprieve -------------------------------------------------------------- */

/* All four lower pods are removed, then re-added by descending priority while
 * the pod still fits: priorities 4 and 3 stay, 2 and 1 go (most important
 * first in the victim list). */
START_TEST(preempt_minimal_victims_after_reprieve)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t p[5];
    for (int32_t prio = 1; prio <= 4; prio++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", prio);
        p[prio] = place(&w, add_wl(&w, name, prio, 1000), n);
    }
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));
    uint32_t victims[8];
    size_t nv;
    ck_assert_uint_eq(plan(&w, pre, victims, 8, &nv), n);
    ck_assert_uint_eq(nv, 2);
    ck_assert_uint_eq(victims[0], p[2]);
    ck_assert_uint_eq(victims[1], p[1]);
    /* max bounds what is written, not the count reported. */
    uint32_t one[1] = {SIM_NONE};
    ck_assert_uint_eq(plan(&w, pre, one, 1, &nv), n);
    ck_assert_uint_eq(nv, 2);
    ck_assert_uint_eq(one[0], p[2]);

    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert(live(w.e, p[3]) && live(w.e, p[4]));
    ck_assert_int_eq(sim_pod(w.e, p[2])->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, p[1])->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 2000);
    world_free(&w);
}
END_TEST

/* Among pods of equal importance, the one whose eviction would break its PDB
 * is re-added first, so the other goes. y is older in id order (more
 * important on a tie), so without that rule x would be the victim. */
START_TEST(preempt_reprieves_pdb_violating_pods_first)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t y = place(&w, add_wl(&w, "plain", 1, 2000), n);
    uint32_t x = place(&w, add_db_wl(&w, "db", 1, 2000), n);
    ts_run_to(w.e, 0);
    add_pdb(&w, 0, 1);   /* minAvailable 1 of 1 healthy: no disruption allowed */
    with_sched(&w);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));
    uint32_t victims[4];
    size_t nv;
    ck_assert_uint_eq(plan(&w, pre, victims, 4, &nv), n);
    ck_assert_uint_eq(nv, 1);
    ck_assert_uint_eq(victims[0], y);
    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert(live(w.e, x));
    world_free(&w);
}
END_TEST

/* ---- choosing the node ----------------------------------------------------------- */

/* Fewest PDB violations first: n0's victim has the lowest priority but is the
 * only pod of a PDB that allows no disruption, so n1 is chosen. */
START_TEST(preempt_prefers_node_without_pdb_violation)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        uint32_t guarded = place(&w, add_db_wl(&w, "db", 1, 4000), n0);
        uint32_t plain = place(&w, add_wl(&w, "plain", 5, 4000), n1);
        ts_run_to(w.e, 0);
        add_pdb(&w, 0, 1);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 1000));
        ck_assert_uint_eq(plan_node(&w, pre), n1);
        ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
        ck_assert(live(w.e, guarded));
        ck_assert_int_eq(sim_pod(w.e, plain)->phase, SIM_POD_DELETED);
        world_free(&w);
    }
}
END_TEST

/* Upstream's preemption counts no pod against a PDB whose selector is empty
 * (the disruption controller would select the whole namespace with it), nor
 * a pod without labels: the lowest-priority victim on n0 is taken although
 * such a PDB allows nothing (counting it, n0 would have one violation and
 * n1's unlabelled pod none). */
START_TEST(preempt_ignores_pdb_with_empty_selector)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        uint32_t a = place(&w, add_db_wl(&w, "db", 1, 4000), n0);
        place(&w, add_wl(&w, "plain", 5, 4000), n1);   /* no labels: never counted */
        ts_run_to(w.e, 0);
        SimPdb pdb;
        memset(&pdb, 0, sizeof pdb);
        pdb.name = (char *)"everything";
        pdb.region = w.region;
        pdb.ns = w.ns;
        pdb.value = 2;   /* minAvailable 2 of 2: no disruption allowed */
        uint32_t id;
        ck_assert_int_eq(sim_pdb_add(w.e, &pdb, &id), SIM_OK);
        ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, id), 0);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 1000));
        ck_assert_uint_eq(plan_node(&w, pre), n0);
        ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
        ck_assert_int_eq(sim_pod(w.e, a)->phase, SIM_POD_DELETED);
        world_free(&w);
    }
}
END_TEST

/* The budget is shared by the victims of a node: maxUnavailable 1 lets one
 * db pod go, the second is a violation, so n0 (lower priorities, but one
 * violation) loses to n1. */
START_TEST(preempt_pdb_budget_is_shared_by_victims)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        uint32_t db = add_db_wl(&w, "db", 1, 2000), plain = add_wl(&w, "plain", 2, 2000);
        place(&w, db, n0);
        place(&w, db, n0);
        place(&w, plain, n1);
        place(&w, plain, n1);
        ts_run_to(w.e, 0);
        add_pdb(&w, 1, 1);   /* maxUnavailable 1 of 2 healthy: one disruption */
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 4000));
        ck_assert_uint_eq(plan_node(&w, pre), n1);
        world_free(&w);
    }
}
END_TEST

/* Lowest highest-victim priority: n1 needs two victims (priorities 1 and 2)
 * and n0 one (priority 3); n1 wins although its sum and count are larger. */
START_TEST(preempt_prefers_lowest_highest_victim_priority)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        place(&w, add_wl(&w, "p3", 3, 4000), n0);
        place(&w, add_wl(&w, "p1", 1, 2000), n1);
        place(&w, add_wl(&w, "p2", 2, 2000), n1);
        ts_run_to(w.e, 0);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 4000));
        size_t nv;
        uint32_t victims[4];
        ck_assert_uint_eq(plan(&w, pre, victims, 4, &nv), n1);
        ck_assert_uint_eq(nv, 2);
        (void)n0;
        world_free(&w);
    }
}
END_TEST

/* Same highest victim priority (3): the smaller sum (3 + 1 < 3 + 2) wins. */
START_TEST(preempt_prefers_smallest_priority_sum)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        place(&w, add_wl(&w, "a3", 3, 2000), n0);
        place(&w, add_wl(&w, "a2", 2, 2000), n0);
        place(&w, add_wl(&w, "b3", 3, 2000), n1);
        place(&w, add_wl(&w, "b1", 1, 2000), n1);
        ts_run_to(w.e, 0);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 4000));
        ck_assert_uint_eq(plan_node(&w, pre), n1);
        (void)n0;
        world_free(&w);
    }
}
END_TEST

/* Fewest victims. Upstream adds MaxInt32 + 1 to each priority before summing,
 * so the sum only ties across different victim counts when the extra victim
 * has priority MinInt32: n1 {0, MinInt32} and n0 {0} tie on the highest
 * priority and the sum, and n0's single victim wins. */
START_TEST(preempt_prefers_fewest_victims)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        place(&w, add_wl(&w, "zero", 0, 4000), n0);
        place(&w, add_wl(&w, "zero-b", 0, 2000), n1);
        place(&w, add_wl(&w, "lowest", INT32_MIN, 2000), n1);
        ts_run_to(w.e, 0);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 100, 4000));
        size_t nv;
        uint32_t victims[4];
        ck_assert_uint_eq(plan(&w, pre, victims, 4, &nv), n0);
        ck_assert_uint_eq(nv, 1);
        world_free(&w);
    }
}
END_TEST

/* Everything else equal, the node whose highest-priority victims started
 * latest is chosen (it loses the least work). */
START_TEST(preempt_prefers_latest_start_of_top_victims)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        World w = world(seed);
        uint32_t n0 = add_node(&w), n1 = add_node(&w);
        uint32_t low = add_wl(&w, "low", 1, 4000);
        place(&w, low, n0);
        ts_run_to(w.e, SIM_SEC(10));
        uint32_t young = place(&w, low, n1);
        ts_run_to(w.e, SIM_SEC(10));
        ck_assert_int_eq(sim_pod(w.e, young)->started_at, SIM_SEC(10));
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 1000));
        ck_assert_uint_eq(plan_node(&w, pre), n1);
        (void)n0;
        world_free(&w);
    }
}
END_TEST

/* Upstream calculateNumCandidates: max(10 % of the nodes, 100), at most all. */
START_TEST(preempt_candidate_sample_is_10_percent_at_least_100)
{
    static const uint32_t cases[][2] = {{0, 0},      {1, 1},       {99, 99},     {100, 100},
                                        {500, 100},  {1000, 100},  {1009, 100},  {1010, 101},
                                        {5000, 500}, {15000, 1500}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(sched_preempt_num_candidates(cases[i][0]) == cases[i][1], "N=%u: %u, want %u",
                      cases[i][0], sched_preempt_num_candidates(cases[i][0]), cases[i][1]);
}
END_TEST

/* Full ties fall to the first node in scan order, and the scan starts at a
 * random node (upstream GetOffsetAndNumCandidates): over seeds, four equal
 * nodes are not always resolved the same way. */
static uint32_t tie_choice(uint64_t seed)
{
    World w = world(seed);
    uint32_t low = add_wl(&w, "low", 1, 4000);
    for (int i = 0; i < 4; i++)
        place(&w, low, add_node(&w));
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t node = plan_node(&w, new_pod(&w, add_wl(&w, "pre", 10, 1000)));
    ck_assert_uint_lt(node, 4);
    world_free(&w);
    return node;
}

START_TEST(preempt_scan_starts_at_a_seeded_random_node)
{
    int seen[4] = {0}, distinct = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        uint32_t node = tie_choice(seed);
        ck_assert_uint_eq(tie_choice(seed), node);   /* reproducible for a seed */
        seen[node]++;
    }
    for (int i = 0; i < 4; i++)
        distinct += seen[i] > 0;
    ck_assert_int_gt(distinct, 1);
}
END_TEST

/* With 150 potential nodes the dry run stops after 100 candidates (at least
 * one without PDB violations), so the one node with the cheapest victim is
 * found only when the scan reaches it: over seeds, both happen. */
START_TEST(preempt_dry_run_stops_after_enough_candidates)
{
    int found = 0, missed = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        World w = world(seed);
        uint32_t mid = add_wl(&w, "mid", 5, 4000), cheap = add_wl(&w, "cheap", 1, 4000), best = 0;
        for (int i = 0; i < 150; i++) {
            uint32_t n = add_node(&w);
            place(&w, i == 75 ? cheap : mid, n);
            if (i == 75)
                best = n;
        }
        ts_run_to(w.e, 0);
        with_sched(&w);
        uint32_t node = plan_node(&w, new_pod(&w, add_wl(&w, "pre", 10, 1000)));
        ck_assert_uint_ne(node, SIM_NONE);
        found += node == best;
        missed += node != best;
        world_free(&w);
    }
    ck_assert_int_gt(found, 0);
    ck_assert_int_gt(missed, 0);
}
END_TEST

/* Upstream checks fit with the pods nominated to the node at the pod's
 * priority or above (RunFilterPluginsWithNominatedPods). x (priority 20)
 * preempted b and waits for n; for y (priority 10) x's 3 CPU are taken, so
 * the 1 CPU y needs must come from a: a is the victim, although n has 3 CPU
 * free right now. */
START_TEST(preempt_counts_higher_priority_nominated_pods)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t low = add_wl(&w, "low", 1, 1000), lower = add_wl(&w, "lower", 1, 3000);
    uint32_t a = place(&w, low, n), b = place(&w, lower, n);
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t x = new_pod(&w, add_wl(&w, "x", 20, 3000));
    ck_assert_int_eq(sched_preempt(w.s, x), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, b)->phase, SIM_POD_DELETED);
    ck_assert(live(w.e, a));
    ck_assert_uint_eq(sim_pod(w.e, x)->nominated_node, n);
    uint32_t y = new_pod(&w, add_wl(&w, "y", 10, 1000));
    uint32_t victims[4];
    size_t nv;
    ck_assert_uint_eq(plan(&w, y, victims, 4, &nv), n);
    ck_assert_uint_eq(nv, 1);
    ck_assert_uint_eq(victims[0], a);
    world_free(&w);
}
END_TEST

/* Upstream prepareCandidate: pods of lower priority nominated to the chosen
 * node lose their nomination. z (priority 5) preempted d and waits for n; w
 * (priority 10) takes c, and z's nomination is cleared. */
START_TEST(preempt_clears_lower_priority_nominations_on_the_node)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t low = add_wl(&w, "low", 1, 2000);
    uint32_t c = place(&w, low, n), d = place(&w, low, n);
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t z = new_pod(&w, add_wl(&w, "z", 5, 2000));
    ck_assert_int_eq(sched_preempt(w.s, z), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, d)->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(sim_pod(w.e, z)->nominated_node, n);
    uint32_t wide = new_pod(&w, add_wl(&w, "w", 10, 4000));
    ck_assert_int_eq(sched_preempt(w.s, wide), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, c)->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(sim_pod(w.e, wide)->nominated_node, n);
    ck_assert_uint_eq(sim_pod(w.e, z)->nominated_node, SIM_NONE);
    world_free(&w);
}
END_TEST

/* ---- effects ----------------------------------------------------------------------- */

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv(TMP_ENV);
    ck_assert_ptr_nonnull(dir);
    snprintf(buf, n, "%s/%s", dir, name);
}

typedef struct Seen {
    int preempt, nominate, delete_after_preempt;
    int64_t preempt_v[3], nominate_v[2];
} Seen;

static void read_trace(SimMem *m, const char *path, uint32_t victim, Seen *s)
{
    SimErr err = SIM_ERR_INIT;
    SimTrSchema core;
    sim_trschema_init(&core);
    ck_assert_int_eq(sim_trschema_add_core(&core), SIM_OK);   /* pod and node records only */
    SimTraceReader *r = sim_trace_open(m, &core, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int rc;
    memset(s, 0, sizeof *s);
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK) {
        if (rec.kind == SIM_TR_POD_PREEMPT) {
            s->preempt++;
            for (int i = 0; i < 3; i++)
                s->preempt_v[i] = rec.v[i].i;
        } else if (rec.kind == SIM_TR_POD_NOMINATE) {
            s->nominate++;
            s->nominate_v[0] = rec.v[0].i;
            s->nominate_v[1] = rec.v[1].i;
        } else if (rec.kind == SIM_TR_POD_DELETE && rec.v[0].i == (int64_t)victim) {
            s->delete_after_preempt = s->preempt > 0;
        }
    }
    ck_assert_int_eq(rc, SIM_DONE);
    sim_trace_close_reader(r);
}

/* The victim is deleted (traced as preempted by the pod), the node is
 * nominated, and the scheduler binds the pod there once the victim is gone. */
START_TEST(preempt_nominates_and_pod_binds_after_victims_go)
{
    char path[1024], sha[65];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "preempt.kst");
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t low = add_wl(&w, "low", 1, 2000);
    uint32_t keep = place(&w, low, n), victim = place(&w, low, n);
    ts_run_to(w.e, 0);
    with_sched(&w);
    SimTraceWriter *tw = sim_trace_create(sim_mem(w.e), sim_trace_schema(w.e), path, "{}", &err);
    ck_assert_msg(tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(w.e, tw);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));
    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert_uint_eq(sim_pod(w.e, pre)->nominated_node, n);
    ck_assert_int_eq(sim_pod(w.e, pre)->phase, SIM_POD_PENDING);
    ck_assert_int_eq(sim_pod(w.e, victim)->phase, SIM_POD_DELETED);
    ck_assert(live(w.e, keep));
    ts_run_to(w.e, SIM_SEC(11));   /* past any scheduling backoff */
    ck_assert(live(w.e, pre));
    ck_assert_uint_eq(sim_pod(w.e, pre)->node, n);
    sim_set_trace(w.e, NULL);
    ck_assert_int_eq(sim_trace_close(tw, sha), SIM_OK);
    Seen s;
    read_trace(sim_mem(w.e), path, victim, &s);
    ck_assert_int_eq(s.preempt, 1);
    ck_assert_int_eq(s.preempt_v[0], victim);
    ck_assert_int_eq(s.preempt_v[1], pre);
    ck_assert_int_eq(s.preempt_v[2], n);
    ck_assert_int_eq(s.delete_after_preempt, 1);
    ck_assert_int_eq(s.nominate, 1);
    ck_assert_int_eq(s.nominate_v[0], pre);
    ck_assert_int_eq(s.nominate_v[1], n);
    world_free(&w);
}
END_TEST

/* The same through the scheduling queue: the cycle finds no node, calls the
 * PostFilter, and a later attempt binds the pod on the nominated node. */
START_TEST(preempt_runs_when_the_cycle_finds_no_node)
{
    World w = world(1);
    uint32_t n0 = add_node(&w), n1 = add_node(&w);
    uint32_t mid = add_wl(&w, "mid", 5, 4000), low = add_wl(&w, "low", 1, 4000);
    uint32_t keep = place(&w, mid, n0), victim = place(&w, low, n1);
    ts_run_to(w.e, 0);
    with_sched(&w);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 1000));
    ts_run_to(w.e, 0);
    ck_assert_int_eq(sim_pod(w.e, victim)->phase, SIM_POD_DELETED);
    ck_assert(live(w.e, keep));
    ck_assert_uint_eq(sim_pod(w.e, pre)->nominated_node, n1);
    ck_assert_uint_eq(sim_stats(w.e)->pods_preempted, 1);
    ts_run_to(w.e, SIM_SEC(11));
    ck_assert(live(w.e, pre));
    ck_assert_uint_eq(sim_pod(w.e, pre)->node, n1);
    world_free(&w);
}
END_TEST

START_TEST(preempt_counts_preempted_in_stats)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t low = add_wl(&w, "low", 1, 1000);
    for (int i = 0; i < 4; i++)
        place(&w, low, n);
    ts_run_to(w.e, 0);
    with_sched(&w);
    SimStats before = *sim_stats(w.e);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 3000));
    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert_uint_eq(sim_stats(w.e)->pods_preempted, before.pods_preempted + 3);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, before.pods_evicted);
    ck_assert_uint_eq(sim_node(w.e, n)->req.pods, 1);
    world_free(&w);
}
END_TEST

/* The plan touches nothing: pods, nodes, stats, the nomination, the
 * scheduler's random stream and the trace are as before; the real preemption
 * then makes the choice the plan announced (same random offset). */
START_TEST(preempt_plan_changes_nothing)
{
    char path[1024], sha[65];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "plan.kst");
    World w = world(7);
    uint32_t nodes[4];
    uint32_t low = add_wl(&w, "low", 1, 2000);
    for (int i = 0; i < 4; i++) {
        nodes[i] = add_node(&w);
        place(&w, low, nodes[i]);
        place(&w, low, nodes[i]);
    }
    ts_run_to(w.e, 0);
    with_sched(&w);
    SimTraceWriter *tw = sim_trace_create(sim_mem(w.e), sim_trace_schema(w.e), path, "{}", &err);
    ck_assert_msg(tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(w.e, tw);
    uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));

    uint32_t npods = sim_pod_count(w.e);
    SimPod pods[16];
    SimNode node_copy[4];
    ck_assert_uint_le(npods, 16);
    /* memcpy, not assignment: memcmp below also compares padding bytes. */
    for (uint32_t i = 0; i < npods; i++)
        memcpy(&pods[i], sim_pod(w.e, i), sizeof pods[i]);
    for (int i = 0; i < 4; i++)
        memcpy(&node_copy[i], sim_node(w.e, nodes[i]), sizeof node_copy[i]);
    SimStats stats;
    SimRng rng;
    memcpy(&stats, sim_stats(w.e), sizeof stats);
    memcpy(&rng, sim_rng(w.e, SIM_RNG_SCHED), sizeof rng);
    uint64_t records = sim_trace_records(tw);

    uint32_t victims[4];
    size_t nv;
    uint32_t chosen = plan(&w, pre, victims, 4, &nv);
    ck_assert_uint_ne(chosen, SIM_NONE);
    ck_assert_uint_eq(nv, 1);

    ck_assert_uint_eq(sim_pod_count(w.e), npods);
    for (uint32_t i = 0; i < npods; i++)
        ck_assert_msg(memcmp(&pods[i], sim_pod(w.e, i), sizeof pods[i]) == 0, "pod %u changed", i);
    for (int i = 0; i < 4; i++)
        ck_assert(memcmp(&node_copy[i], sim_node(w.e, nodes[i]), sizeof node_copy[i]) == 0);
    ck_assert(memcmp(&stats, sim_stats(w.e), sizeof stats) == 0);
    ck_assert(memcmp(&rng, sim_rng(w.e, SIM_RNG_SCHED), sizeof rng) == 0);
    ck_assert_uint_eq(sim_trace_records(tw), records);

    ck_assert_int_eq(sched_preempt(w.s, pre), SIM_OK);
    ck_assert_uint_eq(sim_pod(w.e, pre)->nominated_node, chosen);
    ck_assert_int_eq(sim_pod(w.e, victims[0])->phase, SIM_POD_DELETED);
    sim_set_trace(w.e, NULL);
    ck_assert_int_eq(sim_trace_close(tw, sha), SIM_OK);
    world_free(&w);
}
END_TEST

/* A bound pod has nothing to preempt for: a state error, not a choice. */
START_TEST(preempt_rejects_a_pod_that_is_not_pending)
{
    World w = world(1);
    uint32_t n = add_node(&w);
    uint32_t p = place(&w, add_wl(&w, "bound", 10, 1000), n);
    with_sched(&w);
    uint32_t node;
    size_t nv;
    ck_assert_int_eq(sched_preempt_plan(w.s, p, &node, NULL, 0, &nv), SIM_ESTATE);
    ck_assert_int_eq(sched_preempt(w.s, p), SIM_ESTATE);
    world_free(&w);
}
END_TEST

/* ---- out of memory ----------------------------------------------------------------- */

/* Fails allocation N for N = 1, 2, ... inside sched_preempt: it reports
 * SIM_ENOMEM before deleting anything, and nothing leaks. */
START_TEST(preempt_oom_sweep_leaks_nothing)
{
    for (uint64_t k = 1;; k++) {
        ck_assert_msg(k < 10000, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        World w = world_mem(3, &m);
        uint32_t low = add_wl(&w, "low", 1, 2000);
        uint32_t db = add_db_wl(&w, "db", 1, 2000);
        uint32_t pods[6];
        for (int i = 0; i < 3; i++) {
            uint32_t n = add_node(&w);
            pods[2 * i] = place(&w, low, n);
            pods[2 * i + 1] = place(&w, db, n);
        }
        ts_run_to(w.e, 0);
        add_pdb(&w, 0, 1);
        with_sched(&w);
        uint32_t pre = new_pod(&w, add_wl(&w, "pre", 10, 2000));
        m.fail_at = m.count + k;
        int rc = sched_preempt(w.s, pre);
        int failed = m.oom;
        m.fail_at = 0;
        ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "k=%llu: %d", (unsigned long long)k, rc);
        if (rc == SIM_ENOMEM) {
            for (int i = 0; i < 6; i++)
                ck_assert(live(w.e, pods[i]));
            ck_assert_uint_eq(sim_pod(w.e, pre)->nominated_node, SIM_NONE);
        }
        world_free(&w);
        ck_assert_msg(m.live == 0, "k=%llu: %lld bytes leaked", (unsigned long long)k, (long long)m.live);
        if (!failed)
            break;
    }
}
END_TEST

static Suite *preempt_suite(void)
{
    Suite *s = suite_create("preempt");
    TCase *rules = tcase_create("rules");
    tcase_add_test(rules, preempt_only_lower_priority_pods);
    tcase_add_test(rules, preempt_never_policy_does_not_preempt);
    tcase_add_test(rules, preempt_minimal_victims_after_reprieve);
    tcase_add_test(rules, preempt_reprieves_pdb_violating_pods_first);
    tcase_add_test(rules, preempt_prefers_node_without_pdb_violation);
    tcase_add_test(rules, preempt_pdb_budget_is_shared_by_victims);
    tcase_add_test(rules, preempt_ignores_pdb_with_empty_selector);
    tcase_add_test(rules, preempt_prefers_lowest_highest_victim_priority);
    tcase_add_test(rules, preempt_prefers_smallest_priority_sum);
    tcase_add_test(rules, preempt_prefers_fewest_victims);
    tcase_add_test(rules, preempt_prefers_latest_start_of_top_victims);
    tcase_add_test(rules, preempt_candidate_sample_is_10_percent_at_least_100);
    tcase_add_test(rules, preempt_scan_starts_at_a_seeded_random_node);
    tcase_add_test(rules, preempt_dry_run_stops_after_enough_candidates);
    suite_add_tcase(s, rules);

    TCase *fx = tcase_create("effects");
    tcase_set_timeout(fx, 600);
    tcase_add_test(fx, preempt_nominates_and_pod_binds_after_victims_go);
    tcase_add_test(fx, preempt_runs_when_the_cycle_finds_no_node);
    tcase_add_test(fx, preempt_counts_preempted_in_stats);
    tcase_add_test(fx, preempt_counts_higher_priority_nominated_pods);
    tcase_add_test(fx, preempt_clears_lower_priority_nominations_on_the_node);
    tcase_add_test(fx, preempt_plan_changes_nothing);
    tcase_add_test(fx, preempt_rejects_a_pod_that_is_not_pending);
    tcase_add_test(fx, preempt_oom_sweep_leaks_nothing);
    suite_add_tcase(s, fx);
    return s;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    char p[1024];
    while (d && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/kubesim-test-preempt-XXXXXX";
    if (mkdtemp(dir) == NULL || setenv(TMP_ENV, dir, 1) != 0) {
        perror("test_preempt: mkdtemp");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(preempt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_dir(dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
