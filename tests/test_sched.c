/*
 * test_sched.c: the kube-scheduler emulation. Pins NodeResourcesFit's filter
 * reasons and LeastAllocated scores to k8s-behaviour.md §3.3-§3.4, the
 * adaptive node sampling of §3.2, and the cycle: least-allocated placement,
 * upstream's "0/N nodes are available: ..." message, retries when capacity
 * appears, seeded tie-breaking, and that provisioning nodes are never
 * candidates. Trace files go to a mkdtemp directory that main() removes.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scheduler/sched.h"

#include "ts.h"

#define TMP_ENV "KUBESIM_SCHED_TEST_DIR"
#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)

/* ---- NodeResourcesFit through the cycle ----------------------------------------
 * Each case is one node (a group of that allocatable), the pods already on
 * it and the pod to place; filter() and score() build that world and ask the
 * production cycle (sched_explain) for the node's verdict. */

#define FIT_MAX_USED 16

typedef struct FitNode {
    SimRes alloc;
    SimRes used[FIT_MAX_USED];   /* requests of the pods bound to it */
    size_t nused;
} FitNode;

typedef SimRes FitPod;

static FitNode node_of(int64_t cpu_m, int64_t mem, int64_t gpu, int64_t pods)
{
    FitNode n;
    memset(&n, 0, sizeof n);
    n.alloc = (SimRes){.cpu_m = cpu_m, .mem = mem, .gpu = gpu, .pods = pods};
    return n;
}

/* A pod with these requests bound to the node. */
static void node_use(FitNode *n, int64_t cpu_m, int64_t mem, int64_t gpu)
{
    ck_assert_uint_lt(n->nused, FIT_MAX_USED);
    n->used[n->nused++] = (SimRes){cpu_m, mem, gpu, 1};
}

static FitPod pod_of(int64_t cpu_m, int64_t mem, int64_t gpu)
{
    return (FitPod){cpu_m, mem, gpu, 1};
}

static uint32_t fit_workload(SimEngine *e, uint32_t region, uint32_t ns, const char *name, SimRes req)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = SIM_WL_JOB;
    wl.ns = ns;
    wl.region = region;
    wl.spec.req = req;
    wl.spec.duration = SIM_SEC(3600);
    wl.completions = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(e, &wl, &id), SIM_OK);
    return id;
}

/* The node's verdict for the pod in a scheduling cycle of its own world. */
static SchedNodeVerdict fit_verdict(const FitPod *p, const FitNode *n)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(600), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    SchedScheduler *s = sched_create(e);
    ck_assert_ptr_nonnull(s);
    uint32_t region, ns, group, node, pod;
    ck_assert_int_eq(sim_region_add(e, "eu-west", &region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(e, "default", &ns), SIM_OK);
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"g";
    g.region = region;
    g.alloc = n->alloc;
    g.max = 10;
    ck_assert_int_eq(sim_nodegroup_add(e, &g, &group), SIM_OK);
    ck_assert_int_eq(sim_node_add(e, group, 1, &node), SIM_OK);
    for (size_t i = 0; i < n->nused; i++) {
        char name[16];
        snprintf(name, sizeof name, "used-%zu", i);
        ck_assert_int_eq(sim_pod_create(e, fit_workload(e, region, ns, name, n->used[i]), &pod), SIM_OK);
        ck_assert_int_eq(sim_pod_bind(e, pod, node), SIM_OK);
    }
    ck_assert_int_eq(sim_pod_create(e, fit_workload(e, region, ns, "pod", *p), &pod), SIM_OK);
    SchedNodeVerdict v;
    SchedResult res;
    ck_assert_int_eq(sched_explain(s, pod, &v, 1, &res), SIM_OK);
    ck_assert_int_eq(v.examined, 1);
    sched_destroy(s);
    sim_engine_destroy(e);
    return v;
}

/* The index of a plugin in the profile's table. */
static int plugin_index(const char *name)
{
    size_t n;
    const SchedPlugin *pl = sched_default_plugins(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(pl[i].name, name) == 0)
            return (int)i;
    ck_abort_msg("no plugin %s", name);
    return -1;
}

/* The filter's reason ("" when the node passes); a rejection must come
 * from NodeResourcesFit. */
static const char *filter(const FitPod *p, const FitNode *n, char *buf)
{
    SchedNodeVerdict v = fit_verdict(p, n);
    if (v.passed) {
        buf[0] = '\0';
    } else {
        ck_assert_ptr_nonnull(v.plugin);
        ck_assert_str_eq(v.plugin, "NodeResourcesFit");
        snprintf(buf, SCHED_REASON_LEN, "%s", v.reason);
    }
    return buf;
}

/* NodeResourcesFit's LeastAllocated score of a feasible node. */
static int64_t score(const FitPod *p, const FitNode *n)
{
    SchedNodeVerdict v = fit_verdict(p, n);
    ck_assert_msg(v.passed, "the node must be feasible: %s", v.reason);
    return v.scores[plugin_index("NodeResourcesFit")];
}

/* ---- NodeResourcesFit filter (§3.3) ----------------------------------------- */

START_TEST(fit_filter_passes_when_request_equals_free_capacity)
{
    char buf[SCHED_REASON_LEN];
    FitNode n = node_of(4000, 8 * GIB, 1, 110);
    node_use(&n, 3000, 6 * GIB, 0);
    FitPod p = pod_of(1000, 2 * GIB, 1);
    ck_assert_str_eq(filter(&p, &n, buf), "");
}
END_TEST

START_TEST(fit_filter_names_each_short_resource_as_upstream)
{
    char buf[SCHED_REASON_LEN];
    FitNode n = node_of(4000, 8 * GIB, 1, 110);
    node_use(&n, 3000, 6 * GIB, 1);
    FitPod cpu = pod_of(1001, GIB, 0);
    ck_assert_str_eq(filter(&cpu, &n, buf), "Insufficient cpu");
    FitPod mem = pod_of(1000, 2 * GIB + 1, 0);
    ck_assert_str_eq(filter(&mem, &n, buf), "Insufficient memory");
    FitPod gpu = pod_of(100, MIB, 1);
    ck_assert_str_eq(filter(&gpu, &n, buf), "Insufficient nvidia.com/gpu");
    FitNode nogpu = node_of(4000, 8 * GIB, 0, 110);
    ck_assert_str_eq(filter(&gpu, &nogpu, buf), "Insufficient nvidia.com/gpu");
    FitNode full = node_of(4000, 8 * GIB, 0, 2);
    node_use(&full, 100, MIB, 0);
    node_use(&full, 100, MIB, 0);
    FitPod small = pod_of(100, MIB, 0);
    ck_assert_str_eq(filter(&small, &full, buf), "Too many pods");
}
END_TEST

/* fitsRequest checks the pod count first, then cpu, memory and each extended
 * resource, and reports every one that is short. */
START_TEST(fit_filter_reports_every_short_resource_in_upstream_order)
{
    char buf[SCHED_REASON_LEN];
    FitNode n = node_of(2000, 4 * GIB, 1, 1);
    node_use(&n, 1500, 3 * GIB, 1);
    FitPod p = pod_of(1000, 2 * GIB, 1);
    ck_assert_str_eq(filter(&p, &n, buf),
                     "Too many pods, Insufficient cpu, Insufficient memory, Insufficient nvidia.com/gpu");
    FitPod two = pod_of(1000, 2 * GIB, 0);
    FitNode roomy = node_of(2000, 4 * GIB, 0, 110);
    node_use(&roomy, 1500, 3 * GIB, 0);
    ck_assert_str_eq(filter(&two, &roomy, buf), "Insufficient cpu, Insufficient memory");
}
END_TEST

/* The filter uses actual requests: a pod that requests nothing fits a node
 * whose cpu and memory are fully requested (non-zero defaults are for
 * scoring only), but it still needs a pod slot. */
START_TEST(fit_filter_ignores_nonzero_defaults)
{
    char buf[SCHED_REASON_LEN];
    FitNode n = node_of(1000, GIB, 0, 110);
    node_use(&n, 1000, GIB, 0);
    FitPod bare = pod_of(0, 0, 0);
    ck_assert_str_eq(filter(&bare, &n, buf), "");
    FitNode slots = node_of(1000, GIB, 0, 1);
    node_use(&slots, 0, 0, 0);
    ck_assert_str_eq(filter(&bare, &slots, buf), "Too many pods");
}
END_TEST

/* ---- LeastAllocated score (§3.3, examples of §3.4) --------------------------- */

START_TEST(fit_score_node_a_half_allocated_after_the_pod_is_50)
{
    FitNode a = node_of(4000, 8 * GIB, 0, 110);
    node_use(&a, 1000, 2 * GIB, 0);
    FitPod p = pod_of(1000, 2 * GIB, 0);   /* after: 2 CPU / 4 GiB of 4 / 8 */
    ck_assert_int_eq(score(&p, &a), 50);
}
END_TEST

START_TEST(fit_score_node_b_example_truncates_to_37)
{
    FitNode b = node_of(4000, 8 * GIB, 0, 110);
    node_use(&b, 2000, 2 * GIB, 0);
    FitPod p = pod_of(1000, 2 * GIB, 0);   /* after: 3 CPU / 4 GiB: (25 + 50) / 2 */
    ck_assert_int_eq(score(&p, &b), 37);
}
END_TEST

/* A feasible node can be requested past its allocatable only through the
 * non-zero defaults (100m / 200 MiB a bare pod); that resource then scores
 * 0, and a node with no allocatable scores 0 rather than dividing by zero. */
START_TEST(fit_score_request_above_allocatable_scores_zero_for_that_resource)
{
    FitNode n = node_of(1000, 4000 * MIB, 0, 110);
    for (int i = 0; i < 10; i++)
        node_use(&n, 0, 0, 0);
    FitPod bare = pod_of(0, 0, 0);   /* cpu 1100 > 1000: 0; memory 2200 of 4000 MiB: 45 */
    ck_assert_int_eq(score(&bare, &n), 22);
    FitNode zero = node_of(0, 0, 0, 110);
    ck_assert_int_eq(score(&bare, &zero), 0);
}
END_TEST

/* Containers without requests count as 100m / 200 MiB in the score. */
START_TEST(fit_score_uses_nonzero_defaults_for_pods_without_requests)
{
    FitNode n = node_of(1000, 1000 * MIB, 0, 110);
    FitPod bare = pod_of(0, 0, 0);          /* cpu 90, memory 80 */
    ck_assert_int_eq(score(&bare, &n), 85);
    FitPod cpu_only = pod_of(500, 0, 0);    /* cpu 50, memory 80 */
    ck_assert_int_eq(score(&cpu_only, &n), 65);
    node_use(&n, 0, 0, 0);                  /* a bare pod already there: 100m / 200 MiB */
    ck_assert_int_eq(score(&bare, &n), 70); /* cpu 80, memory 60 */
}
END_TEST

/* The profile's table names the plugin the cycle reports and scores with. */
START_TEST(fit_is_the_default_profile_plugin_with_weight_1)
{
    size_t n = 0;
    const SchedPlugin *pl = sched_default_plugins(&n);
    int fit = plugin_index("NodeResourcesFit");
    ck_assert_int_eq(pl[fit].weight, 1);
    ck_assert(pl[fit].filters && pl[fit].scores);
    FitNode node = node_of(4000, 8 * GIB, 0, 110);
    FitPod small = pod_of(1000, 2 * GIB, 0), big = pod_of(5000, GIB, 0);
    SchedNodeVerdict v = fit_verdict(&small, &node);
    ck_assert_int_eq(v.scores[fit], 75);   /* 3 of 4 CPU and 6 of 8 GiB left */
    v = fit_verdict(&big, &node);
    ck_assert_str_eq(v.plugin, pl[fit].name);
}
END_TEST

/* ---- numFeasibleNodesToFind (§3.2) ----------------------------------------- */

static uint32_t feasible_formula(uint32_t n)
{
    if (n < 100)
        return n;
    int64_t pct = 50 - (int64_t)n / 125;
    if (pct < 5)
        pct = 5;
    int64_t k = (int64_t)n * pct / 100;
    return (uint32_t)(k < 100 ? 100 : k);
}

START_TEST(num_feasible_to_find_follows_the_adaptive_percentage)
{
    static const uint32_t cases[][2] = {
        {0, 0},       {1, 1},       {50, 50},     {99, 99},     {100, 100},  /* 50 % = 50, raised */
        {125, 100},   {200, 100},   {250, 120},   {1000, 420},  {5000, 500},
        {6000, 300},  {6250, 312},  {10000, 500}, {100000, 5000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(sched_num_feasible_to_find(cases[i][0]) == cases[i][1], "N=%u: %u, want %u",
                      cases[i][0], sched_num_feasible_to_find(cases[i][0]), cases[i][1]);
    for (uint32_t n = 0; n <= 20000; n++)
        ck_assert_uint_eq(sched_num_feasible_to_find(n), feasible_formula(n));
}
END_TEST

/* ---- the cycle, end to end on an engine ---------------------------------------- */

typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    uint32_t region, ns, group, slow;
} World;

static SimNodeGroup group_spec(uint32_t region, const char *name, SimTime delay)
{
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)name;
    g.region = region;
    g.alloc = (SimRes){.cpu_m = 4000, .mem = 8 * GIB, .gpu = 0, .pods = 110};
    g.price_per_hour = 1.0;
    g.max = 1000;
    g.provision_delay = delay;
    return g;
}

/* A region with two groups of 4 CPU / 8 GiB nodes: `group` is ready at once,
 * `slow` takes 30 s to provision. The scheduler is created when with_sched. */
static World world(uint64_t seed, int with_sched)
{
    World w;
    SimConfig cfg = {.seed = seed, .end = SIM_SEC(600), .queue = SIM_EVQ_FAST, .mem = NULL};
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &w.region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    SimNodeGroup g = group_spec(w.region, "general", 0);
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.group), SIM_OK);
    g = group_spec(w.region, "slow", SIM_SEC(30));
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.slow), SIM_OK);
    w.s = with_sched ? sched_create(w.e) : NULL;
    ck_assert(!with_sched || w.s != NULL);
    return w;
}

static void world_free(World *w)
{
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

static uint32_t add_node(World *w, uint32_t group, int ready_now)
{
    uint32_t id;
    ck_assert_int_eq(sim_node_add(w->e, group, ready_now, &id), SIM_OK);
    return id;
}

static uint32_t add_workload(World *w, const char *name, int64_t cpu_m, int64_t mem, SimTime duration)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = duration ? SIM_WL_JOB : SIM_WL_DEPLOYMENT;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){cpu_m, mem, 0, 1};
    wl.spec.duration = duration;
    wl.replicas = 1;
    wl.completions = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t new_pod(World *w, uint32_t wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_pod_create(w->e, wl, &id), SIM_OK);
    return id;
}

/* Bound to a node and not terminated (with no start-up delay a pod is Running
 * at the instant it is bound). */
static void assert_placed(SimEngine *e, uint32_t pod)
{
    SimPodPhase ph = sim_pod(e, pod)->phase;
    ck_assert_msg(ph == SIM_POD_BOUND || ph == SIM_POD_RUNNING, "pod %u in phase %d", pod, (int)ph);
    ck_assert_uint_ne(sim_pod(e, pod)->node, SIM_NONE);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv(TMP_ENV);
    ck_assert_ptr_nonnull(dir);
    snprintf(buf, n, "%s/%s", dir, name);
}

/* Reads a closed trace and copies the reason of pod's first unschedulable
 * record into out ("" if none). */
static void trace_unschedulable_reason(SimMem *m, const char *path, uint32_t pod, char *out, size_t n)
{
    SimErr err = SIM_ERR_INIT;
    SimTrSchema core;
    sim_trschema_init(&core);
    ck_assert_int_eq(sim_trschema_add_core(&core), SIM_OK);   /* pod and node records only */
    SimTraceReader *r = sim_trace_open(m, &core, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    out[0] = '\0';
    int rc;
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK)
        if (rec.kind == SIM_TR_POD_UNSCHEDULABLE && rec.v[0].i == (int64_t)pod && out[0] == '\0')
            snprintf(out, n, "%s", rec.v[1].s);
    ck_assert_int_eq(rc, SIM_DONE);
    sim_trace_close_reader(r);
}

START_TEST(cycle_binds_pod_to_the_least_allocated_node)
{
    World w = world(1, 0);
    uint32_t n[3];
    for (int i = 0; i < 3; i++)
        n[i] = add_node(&w, w.group, 1);
    uint32_t filler = add_workload(&w, "filler", 1000, 2 * GIB, 0);
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, filler), n[0]), SIM_OK);   /* n0: 2 CPU used */
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, filler), n[0]), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, filler), n[2]), SIM_OK);   /* n2: 1 CPU used */
    w.s = sched_create(w.e);
    ck_assert_ptr_nonnull(w.s);
    uint32_t app = add_workload(&w, "app", 600, GIB, 0);
    uint32_t p = new_pod(&w, app);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_PENDING);
    ts_run_to(w.e, 0);   /* the cycle runs at the same instant */
    assert_placed(w.e, p);
    ck_assert_uint_eq(sim_pod(w.e, p)->node, n[1]);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, 0);
    /* A second pod of the same Deployment: LeastAllocated alone would take n1
     * again (n1 after it 1.2 CPU / 2 GiB -> (70 + 75) / 2 = 72; n2 1.6 CPU /
     * 3 GiB -> 61; n0 -> 36), but the system-default hostname spread of the
     * Deployment's pods (n1 holds one: raw 1 x log(3 + 2) + 2 = 4, the others
     * 2 -> normalized 50 vs 100, weight 2) outweighs it: n1 300 + 72 + 97 +
     * 100 = 569, n2 300 + 61 + 98 + 200 = 659, n0 300 + 36 + 98 + 200 = 634.
     * Then a 3 CPU pod fits only n1 (3.4 CPU free; n2 has 2.4, n0 2). */
    uint32_t q = new_pod(&w, app);
    uint32_t big = add_workload(&w, "big", 3000, 6 * GIB, 0);
    uint32_t b = new_pod(&w, big);
    ts_run_to(w.e, SIM_SEC(1));
    ck_assert_uint_eq(sim_pod(w.e, q)->node, n[2]);
    ck_assert_uint_eq(sim_pod(w.e, b)->node, n[1]);
    ck_assert_uint_eq(sim_stats(w.e)->pods_scheduled, 6);
    world_free(&w);
}
END_TEST

START_TEST(cycle_marks_unfit_pod_unschedulable_with_upstream_message)
{
    char path[1024], sha[65], reason[SCHED_REASON_LEN];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "unsched.kst");
    World w = world(1, 1);
    add_node(&w, w.group, 1);
    add_node(&w, w.group, 1);
    SimTraceWriter *tw = sim_trace_create(sim_mem(w.e), sim_trace_schema(w.e), path, "{}", &err);
    ck_assert_msg(tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(w.e, tw);
    uint32_t huge = add_workload(&w, "huge", 5000, GIB, 0);
    uint32_t p = new_pod(&w, huge);
    ts_run_to(w.e, SIM_SEC(1));
    const SimPod *pod = sim_pod(w.e, p);
    ck_assert_int_eq(pod->phase, SIM_POD_PENDING);
    ck_assert_int_eq(pod->unschedulable, 1);
    ck_assert_uint_eq(sim_stats(w.e)->pending_now, 1);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_pending, 1);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.node, SIM_NONE);
    ck_assert_uint_eq(res.feasible, 0);
    ck_assert_uint_eq(res.examined, 2);
    ck_assert_str_eq(res.reason, "0/2 nodes are available: 2 Insufficient cpu.");
    sim_set_trace(w.e, NULL);
    ck_assert_int_eq(sim_trace_close(tw, sha), SIM_OK);
    trace_unschedulable_reason(sim_mem(w.e), path, p, reason, sizeof reason);
    ck_assert_str_eq(reason, "0/2 nodes are available: 2 Insufficient cpu.");
    world_free(&w);
}
END_TEST

/* A node that fails several checks counts once under each reason. */
START_TEST(cycle_message_counts_each_reason_of_a_node)
{
    World w = world(1, 1);
    add_node(&w, w.group, 1);
    uint32_t huge = add_workload(&w, "huge", 5000, 9 * GIB, 0);
    uint32_t p = new_pod(&w, huge);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_str_eq(res.reason, "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
    world_free(&w);
}
END_TEST

/* Upstream FitError.Error() formats each histogram entry as "<count> <reason>"
 * and sorts those strings (sort.Strings), so with 2 nodes short of cpu and 1
 * of memory the message reads "1 Insufficient memory, 2 Insufficient cpu". */
START_TEST(cycle_message_sorts_count_reason_strings_as_upstream)
{
    World w = world(1, 0);
    uint32_t n[3];
    for (int i = 0; i < 3; i++)
        n[i] = add_node(&w, w.group, 1);
    uint32_t cpu = add_workload(&w, "cpu-hog", 3000, GIB, 0);
    uint32_t mem = add_workload(&w, "mem-hog", 500, 6 * GIB, 0);
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, cpu), n[0]), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, cpu), n[1]), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(w.e, new_pod(&w, mem), n[2]), SIM_OK);
    w.s = sched_create(w.e);
    ck_assert_ptr_nonnull(w.s);
    uint32_t app = add_workload(&w, "app", 2000, 4 * GIB, 0);
    uint32_t p = new_pod(&w, app);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.node, SIM_NONE);
    ck_assert_str_eq(res.reason, "0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.");
    world_free(&w);
}
END_TEST

START_TEST(unschedulable_pod_is_bound_when_a_node_becomes_ready)
{
    World w = world(1, 1);
    uint32_t ready = add_node(&w, w.group, 1);
    uint32_t filler = add_workload(&w, "filler", 2000, GIB, 0);
    uint32_t f = new_pod(&w, filler);
    uint32_t app = add_workload(&w, "app", 3000, GIB, 0);
    uint32_t p = new_pod(&w, app);
    uint32_t fresh = add_node(&w, w.slow, 0);   /* Ready at 30 s */
    ts_run_to(w.e, SIM_SEC(30) - 1);
    ck_assert_uint_eq(sim_pod(w.e, f)->node, ready);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_PENDING);
    ck_assert_int_eq(sim_pod(w.e, p)->unschedulable, 1);
    ts_run_to(w.e, SIM_SEC(30));
    ck_assert_int_eq(sim_node(w.e, fresh)->state, SIM_NODE_READY);
    assert_placed(w.e, p);
    ck_assert_uint_eq(sim_pod(w.e, p)->node, fresh);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, SIM_SEC(30));
    ck_assert_uint_eq(sim_stats(w.e)->pending_now, 0);
    ck_assert_uint_eq(sim_stats(w.e)->pending_peak, 1);
    world_free(&w);
}
END_TEST

START_TEST(unschedulable_pod_is_bound_when_a_pod_terminates)
{
    World w = world(1, 1);
    uint32_t n = add_node(&w, w.group, 1);
    uint32_t job = add_workload(&w, "job", 3000, GIB, SIM_SEC(20));
    uint32_t j = new_pod(&w, job);
    uint32_t app = add_workload(&w, "app", 2000, GIB, 0);
    uint32_t p = new_pod(&w, app);
    ts_run_to(w.e, SIM_SEC(20) - 1);
    ck_assert_int_eq(sim_pod(w.e, j)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_pod(w.e, p)->unschedulable, 1);
    ts_run_to(w.e, SIM_SEC(20));
    ck_assert_int_eq(sim_pod(w.e, j)->phase, SIM_POD_SUCCEEDED);
    assert_placed(w.e, p);
    ck_assert_uint_eq(sim_pod(w.e, p)->node, n);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, SIM_SEC(20));

    /* A deletion frees capacity too. */
    uint32_t wide = add_workload(&w, "wide", 3000, GIB, 0);
    uint32_t q = new_pod(&w, wide);
    ts_run_to(w.e, SIM_SEC(21));
    ck_assert_int_eq(sim_pod(w.e, q)->unschedulable, 1);
    ck_assert_int_eq(sim_pod_delete(w.e, p), SIM_OK);
    ts_run_to(w.e, SIM_SEC(22));
    assert_placed(w.e, q);
    ck_assert_int_eq(sim_pod(w.e, q)->bound_at, SIM_SEC(21));
    world_free(&w);
}
END_TEST

/* A provisioning node is not a candidate, even when it would score best. */
START_TEST(provisioning_nodes_are_not_candidates)
{
    World w = world(1, 1);
    uint32_t ready = add_node(&w, w.group, 1);
    uint32_t slow = add_node(&w, w.slow, 0);
    uint32_t filler = add_workload(&w, "filler", 3000, 4 * GIB, 0);
    uint32_t app = add_workload(&w, "app", 1000, GIB, 0);
    uint32_t f = new_pod(&w, filler);
    uint32_t a = new_pod(&w, app);
    uint32_t b = new_pod(&w, app);   /* no room left on the ready node */
    ts_run_to(w.e, SIM_SEC(1));
    ck_assert_uint_eq(sim_pod(w.e, f)->node, ready);
    ck_assert_uint_eq(sim_pod(w.e, a)->node, ready);
    ck_assert_int_eq(sim_pod(w.e, b)->phase, SIM_POD_PENDING);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, b, &res), SIM_OK);
    ck_assert_uint_eq(res.examined, 1);
    ck_assert_str_eq(res.reason, "0/1 nodes are available: 1 Insufficient cpu.");
    ts_run_to(w.e, SIM_SEC(30));
    ck_assert_uint_eq(sim_pod(w.e, b)->node, slow);
    world_free(&w);
}
END_TEST

/* Places three 100m pods on four equal empty nodes; returns the nodes chosen
 * as a base-4 number. */
static unsigned placements(uint64_t seed)
{
    World w = world(seed, 1);
    for (int i = 0; i < 4; i++)
        add_node(&w, w.group, 1);
    uint32_t app = add_workload(&w, "app", 100, 100 * MIB, 0);
    uint32_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = new_pod(&w, app);
    ts_run_to(w.e, SIM_SEC(1));
    unsigned code = 0;
    for (int i = 0; i < 3; i++) {
        assert_placed(w.e, p[i]);
        code = code * 4 + sim_pod(w.e, p[i])->node;
    }
    world_free(&w);
    return code;
}

START_TEST(tie_break_is_deterministic_for_a_seed)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        unsigned first = placements(seed);
        for (int run = 0; run < 3; run++)
            ck_assert_uint_eq(placements(seed), first);
    }
}
END_TEST

START_TEST(tie_break_spreads_over_equal_nodes_across_seeds)
{
    int seen[4] = {0}, distinct = 0;
    for (uint64_t seed = 1; seed <= 40; seed++)
        seen[placements(seed) / 16]++;   /* the first pod's node */
    for (int i = 0; i < 4; i++)
        distinct += seen[i] > 0;
    ck_assert_int_gt(distinct, 1);
    /* Each pod lands on a different node: the emptier node wins after a tie. */
    unsigned c = placements(3);
    ck_assert(c / 16 != (c / 4) % 4 && c / 16 != c % 4 && (c / 4) % 4 != c % 4);
}
END_TEST

/* With 250 ready nodes a cycle stops after 120 feasible ones (§3.2), and the
 * next cycle's scan starts where the last one stopped. */
START_TEST(cycle_examines_only_num_feasible_nodes_and_rotates_the_start)
{
    World w = world(1, 1);
    for (int i = 0; i < 250; i++)
        add_node(&w, w.group, 1);
    uint32_t app = add_workload(&w, "app", 100, MIB, 0);
    uint32_t p = new_pod(&w, app);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.feasible, 120);
    ck_assert_uint_eq(res.examined, 120);
    ck_assert_uint_lt(res.node, 120);
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.feasible, 120);
    ck_assert_uint_ge(res.node, 120);
    ck_assert_uint_lt(res.node, 240);
    world_free(&w);
}
END_TEST

/* ---- out of memory ----------------------------------------------------------- */

static int oom_run(SimMem *m)
{
    SimConfig cfg = {.seed = 9, .end = SIM_SEC(100), .queue = SIM_EVQ_FAST, .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    if (e == NULL)
        return 1;
    SchedScheduler *s = sched_create(e);
    int rc = s ? SIM_OK : SIM_ENOMEM;
    uint32_t r, ns, g, slow, n, wl[2], pod;
    SimNodeGroup gs = group_spec(0, "g", 0), ss = group_spec(0, "slow", SIM_SEC(10));
    SimWorkload ws;
    memset(&ws, 0, sizeof ws);
    ws.name = (char *)"svc";
    ws.spec.req = (SimRes){1500, GIB, 0, 1};
    if (rc || (rc = sim_region_add(e, "r", &r)) || (rc = sim_namespace_add(e, "ns", &ns)) ||
        (rc = sim_nodegroup_add(e, &gs, &g)) || (rc = sim_nodegroup_add(e, &ss, &slow)) ||
        (rc = sim_workload_add(e, &ws, &wl[0])))
        goto out;
    ws.name = (char *)"job";
    ws.spec.duration = SIM_SEC(5);
    if ((rc = sim_workload_add(e, &ws, &wl[1])))
        goto out;
    for (int i = 0; i < 3; i++)
        if ((rc = sim_node_add(e, i ? g : slow, 0, &n)))
            goto out;
    for (int i = 0; i < 12; i++)   /* more than fit: some wait for the slow node or a job */
        if ((rc = sim_pod_create(e, wl[i % 2], &pod)))
            goto out;
    while ((rc = sim_step(e)) == SIM_OK) {
    }
    if (rc == SIM_DONE)
        rc = SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d", rc);
    sched_destroy(s);
    sim_engine_destroy(e);
    return rc != SIM_OK;
}

START_TEST(sched_oom_sweep_leaks_nothing)
{
    for (uint64_t n = 1;; n++) {
        ck_assert_msg(n < 100000, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        int failed = oom_run(&m);
        ck_assert_msg(m.live == 0, "fail_at %llu: %lld bytes leaked", (unsigned long long)n,
                      (long long)m.live);
        ck_assert_msg(failed == m.oom, "fail_at %llu: allocation failure %s", (unsigned long long)n,
                      m.oom ? "not reported" : "reported without one");
        if (!m.oom)
            break;
    }
}
END_TEST

/* ---- the default profile, rule by rule (k8s-behaviour.md §3) ------------------- */

/* A region with zones a, b, c, namespaces "default" and "other", and the
 * scheduler. Groups are added by each test. */
typedef struct W2 {
    SimEngine *e;
    SchedScheduler *s;
    uint32_t region, ns, other, zone[3];
} W2;

static W2 w2_make(uint64_t seed)
{
    W2 w;
    static const char *const zn[] = {"zone-a", "zone-b", "zone-c"};
    SimConfig cfg = {.seed = seed, .end = SIM_SEC(3600), .queue = SIM_EVQ_FAST, .mem = NULL};
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &w.region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "other", &w.other), SIM_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sim_zone_add(w.e, w.region, zn[i], &w.zone[i]), SIM_OK);
    w.s = sched_create(w.e);
    ck_assert_ptr_nonnull(w.s);
    return w;
}

static void w2_free(W2 *w)
{
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

typedef struct GroupOpt {
    int64_t cpu_m, mem;
    const uint32_t *zones;   /* NULL: no zone */
    size_t nzones;
    SimTaint *taints;
    size_t ntaints;
    SimKV *labels;
    size_t nlabels;
    SimTime delay;
} GroupOpt;

/* Adds a group and n Ready nodes; node i is in zones[i % nzones]. The ids of
 * the nodes go to ids (if not NULL). */
static uint32_t w2_group(W2 *w, const char *name, GroupOpt o, uint32_t n, uint32_t *ids)
{
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)name;
    g.region = w->region;
    g.alloc = (SimRes){o.cpu_m ? o.cpu_m : 4000, o.mem ? o.mem : 8 * GIB, 0, 110};
    g.max = 1000;
    g.zones = (uint32_t *)o.zones;
    g.nzones = o.nzones;
    g.taints = o.taints;
    g.ntaints = o.ntaints;
    g.labels = o.labels;
    g.nlabels = o.nlabels;
    g.provision_delay = o.delay;
    uint32_t id, node;
    ck_assert_int_eq(sim_nodegroup_add(w->e, &g, &id), SIM_OK);
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_int_eq(sim_node_add(w->e, id, o.delay == 0, &node), SIM_OK);
        if (ids)
            ids[i] = node;
    }
    return id;
}

/* A workload of the given kind whose pods ask for cpu/mem and everything set
 * in tmpl (labels, selectors, tolerations, spread, affinity). */
static uint32_t w2_wl(W2 *w, const char *name, SimWlKind kind, uint32_t ns, int64_t cpu_m, int64_t mem,
                      const SimPodSpec *tmpl)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    if (tmpl)
        wl.spec = *tmpl;
    wl.name = (char *)name;
    wl.kind = kind;
    wl.ns = ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){cpu_m, mem, 0, 1};
    wl.spec.duration = kind == SIM_WL_JOB ? SIM_SEC(3000) : 0;
    wl.replicas = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t w2_pod(W2 *w, uint32_t wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_pod_create(w->e, wl, &id), SIM_OK);
    return id;
}

/* Creates a pod of wl and binds it to node at once. */
static uint32_t w2_bound(W2 *w, uint32_t wl, uint32_t node)
{
    uint32_t p = w2_pod(w, wl);
    ck_assert_int_eq(sim_pod_bind(w->e, p, node), SIM_OK);
    return p;
}

/* sched_filter_node's verdict: "" when the node passes, else "Plugin: reason". */
static const char *verdict(W2 *w, uint32_t pod, uint32_t node, char *buf)
{
    char reason[SCHED_REASON_LEN];
    const char *plugin = NULL;
    int ok = sched_filter_node(w->s, pod, node, 0, reason, sizeof reason, &plugin);
    ck_assert_int_ge(ok, 0);
    if (ok) {
        ck_assert_ptr_null(plugin);
        buf[0] = '\0';
    } else {
        ck_assert_ptr_nonnull(plugin);
        snprintf(buf, SCHED_REASON_LEN + 64, "%s: %s", plugin, reason);
    }
    return buf;
}


/* Runs sched_explain and returns a heap array of verdicts (region node order). */
static SchedNodeVerdict *explain(W2 *w, uint32_t pod, SchedResult *res)
{
    size_t n = sim_region(w->e, w->region)->nnodes;
    SchedNodeVerdict *v = calloc(n + 1, sizeof *v);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(sched_explain(w->s, pod, v, n, res), SIM_OK);
    return v;
}

static SimSelReq req_in(const char *key, char **values, size_t n)
{
    return (SimSelReq){(char *)key, SIM_SEL_IN, values, n};
}

#define VBUF (SCHED_REASON_LEN + 64)

START_TEST(default_profile_plugins_in_upstream_order_with_default_weights)
{
    static const struct {
        const char *name;
        int32_t weight;
        int filter, score;
    } want[] = {{"NodeUnschedulable", 0, 1, 0},
                {"NodeName", 0, 1, 0},
                {"TaintToleration", 3, 1, 1},
                {"NodeAffinity", 2, 1, 1},
                {"NodeResourcesFit", 1, 1, 1},
                {"PodTopologySpread", 2, 1, 1},
                {"InterPodAffinity", 2, 1, 1},
                {"NodeResourcesBalancedAllocation", 1, 0, 1},
                {"ImageLocality", 1, 0, 1}};
    size_t n;
    const SchedPlugin *pl = sched_default_plugins(&n);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(pl[i].name, want[i].name);
        ck_assert_int_eq(pl[i].weight, want[i].weight);
        ck_assert_int_eq(pl[i].filters, want[i].filter);
        ck_assert_int_eq(pl[i].scores, want[i].score);
    }
}
END_TEST

START_TEST(nodes_to_score_5000_is_500)
{
    ck_assert_uint_eq(sched_num_feasible_to_find(5000), 500);
}
END_TEST

START_TEST(node_unschedulable_rejects_with_upstream_reason)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){0}, 2, n);
    ck_assert_int_eq(sim_node_cordon(w.e, n[0], 1), SIM_OK);   /* tells the scheduler */
    uint32_t plain = w2_pod(&w, w2_wl(&w, "plain", SIM_WL_JOB, w.ns, 100, MIB, NULL));
    ck_assert_str_eq(verdict(&w, plain, n[0], buf), "NodeUnschedulable: node(s) were unschedulable");
    ck_assert_str_eq(verdict(&w, plain, n[1], buf), "");
    /* Tolerating node.kubernetes.io/unschedulable:NoSchedule tolerates the cordon. */
    SimToleration tol = {(char *)"node.kubernetes.io/unschedulable", SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_SCHEDULE, -1};
    SimPodSpec t = {.tolerations = &tol, .ntolerations = 1};
    uint32_t tolerant = w2_pod(&w, w2_wl(&w, "tolerant", SIM_WL_JOB, w.ns, 100, MIB, &t));
    ck_assert_str_eq(verdict(&w, tolerant, n[0], buf), "");
    SchedResult res;
    ck_assert_int_eq(sim_node_cordon(w.e, n[1], 1), SIM_OK);
    ck_assert_int_eq(sched_place(w.s, plain, &res), SIM_OK);
    ck_assert_str_eq(res.reason, "0/2 nodes are available: 2 node(s) were unschedulable.");
    w2_free(&w);
}
END_TEST

START_TEST(nodename_restricts_the_pod_to_the_named_node)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[3];
    w2_group(&w, "g", (GroupOpt){0}, 3, n);
    SimPodSpec t = {.node_name = "g-1"};
    uint32_t p = w2_pod(&w, w2_wl(&w, "pinned", SIM_WL_JOB, w.ns, 100, MIB, &t));
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "NodeName: node(s) didn't match the requested node name");
    ck_assert_str_eq(verdict(&w, p, n[1], buf), "");
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.node, n[1]);
    SimPodSpec big = {.node_name = "g-2"};
    uint32_t q = w2_pod(&w, w2_wl(&w, "pinned-big", SIM_WL_JOB, w.ns, 5000, MIB, &big));
    ck_assert_int_eq(sched_place(w.s, q, &res), SIM_OK);
    ck_assert_str_eq(res.reason,
                     "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match the requested node name.");
    w2_free(&w);
}
END_TEST

/* A DaemonSet pod targets one node (upstream: node affinity on metadata.name):
 * every other node fails NodeAffinity. */
START_TEST(daemonset_target_node_is_node_affinity)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[3];
    w2_group(&w, "g", (GroupOpt){0}, 3, n);
    uint32_t ds = w2_wl(&w, "ds", SIM_WL_DAEMONSET, w.ns, 5000, MIB, NULL);
    uint32_t p = w2_pod(&w, ds);
    sim_pod_set_target_node(w.e, p, n[2]);
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "NodeAffinity: node(s) didn't match Pod's node affinity/selector");
    ck_assert_str_eq(verdict(&w, p, n[2], buf), "NodeResourcesFit: Insufficient cpu");
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.examined, 1);
    ck_assert_str_eq(res.reason,
                     "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.");
    w2_free(&w);
}
END_TEST

START_TEST(taint_noschedule_rejects_with_upstream_reason)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t ns_node, ne_node, pref_node;
    SimTaint t1 = {(char *)"dedicated", (char *)"gpu", SIM_TAINT_NO_SCHEDULE};
    SimTaint t2 = {(char *)"node.kubernetes.io/not-ready", NULL, SIM_TAINT_NO_EXECUTE};
    SimTaint t3 = {(char *)"spot", (char *)"true", SIM_TAINT_PREFER_NO_SCHEDULE};
    w2_group(&w, "gpu", (GroupOpt){.taints = &t1, .ntaints = 1}, 1, &ns_node);
    w2_group(&w, "dying", (GroupOpt){.taints = &t2, .ntaints = 1}, 1, &ne_node);
    w2_group(&w, "spot", (GroupOpt){.taints = &t3, .ntaints = 1}, 1, &pref_node);
    uint32_t p = w2_pod(&w, w2_wl(&w, "plain", SIM_WL_JOB, w.ns, 100, MIB, NULL));
    ck_assert_str_eq(verdict(&w, p, ns_node, buf), "TaintToleration: node(s) had untolerated taint {dedicated: gpu}");
    ck_assert_str_eq(verdict(&w, p, ne_node, buf),
                     "TaintToleration: node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
    ck_assert_str_eq(verdict(&w, p, pref_node, buf), "");   /* PreferNoSchedule only scores */
    /* TaintToleration runs before NodeResourcesFit: a node failing both reports the taint. */
    uint32_t big = w2_pod(&w, w2_wl(&w, "big", SIM_WL_JOB, w.ns, 9000, MIB, NULL));
    ck_assert_str_eq(verdict(&w, big, ns_node, buf), "TaintToleration: node(s) had untolerated taint {dedicated: gpu}");
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, big, &res), SIM_OK);
    ck_assert_str_eq(res.reason, "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
                                 "{dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.");
    w2_free(&w);
}
END_TEST

/* Equal needs the value; Exists any value; an empty key with Exists every
 * taint; an effect of -1 every effect, else the effect must match. */
START_TEST(taint_toleration_operators_and_effects)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t node;
    SimTaint t = {(char *)"dedicated", (char *)"gpu", SIM_TAINT_NO_SCHEDULE};
    w2_group(&w, "gpu", (GroupOpt){.taints = &t, .ntaints = 1}, 1, &node);
    static struct {   /* not const: a pod spec borrows the toleration */
        SimToleration tol;
        int passes;
    } cases[] = {
        {{(char *)"dedicated", SIM_TOL_EQUAL, (char *)"gpu", SIM_TAINT_NO_SCHEDULE, -1}, 1},
        {{(char *)"dedicated", SIM_TOL_EQUAL, (char *)"cpu", SIM_TAINT_NO_SCHEDULE, -1}, 0},
        {{(char *)"dedicated", SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_SCHEDULE, -1}, 1},
        {{(char *)"other", SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_SCHEDULE, -1}, 0},
        {{NULL, SIM_TOL_EXISTS, NULL, -1, -1}, 1},
        {{(char *)"", SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_SCHEDULE, -1}, 1},
        {{(char *)"dedicated", SIM_TOL_EQUAL, (char *)"gpu", -1, -1}, 1},
        {{(char *)"dedicated", SIM_TOL_EQUAL, (char *)"gpu", SIM_TAINT_NO_EXECUTE, -1}, 0},
        {{(char *)"dedicated", SIM_TOL_EQUAL, (char *)"gpu", SIM_TAINT_PREFER_NO_SCHEDULE, -1}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "tol-%zu", i);
        SimPodSpec sp = {.tolerations = &cases[i].tol, .ntolerations = 1};
        uint32_t p = w2_pod(&w, w2_wl(&w, name, SIM_WL_JOB, w.ns, 100, MIB, &sp));
        ck_assert_msg((verdict(&w, p, node, buf)[0] == '\0') == cases[i].passes, "case %zu: '%s'", i, buf);
    }
    w2_free(&w);
}
END_TEST

/* nodeSelector AND (required terms ORed, expressions ANDed); In, NotIn,
 * Exists, DoesNotExist, Gt, Lt. */
START_TEST(node_affinity_selector_and_required_terms)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    SimKV la[] = {{(char *)"disk", (char *)"ssd"}, {(char *)"cores", (char *)"16"}};
    SimKV lb[] = {{(char *)"disk", (char *)"hdd"}, {(char *)"cores", (char *)"4"}, {(char *)"gpu", (char *)"t4"}};
    uint32_t a, b;
    w2_group(&w, "a", (GroupOpt){.labels = la, .nlabels = 2}, 1, &a);
    w2_group(&w, "b", (GroupOpt){.labels = lb, .nlabels = 3}, 1, &b);
    char *ssd[] = {(char *)"ssd"}, *eight[] = {(char *)"8"}, *hdd[] = {(char *)"hdd"};
    SimSelReq in_ssd = req_in("disk", ssd, 1), gt8 = {(char *)"cores", SIM_SEL_GT, eight, 1},
              lt8 = {(char *)"cores", SIM_SEL_LT, eight, 1}, has_gpu = {(char *)"gpu", SIM_SEL_EXISTS, NULL, 0},
              no_gpu = {(char *)"gpu", SIM_SEL_DOES_NOT_EXIST, NULL, 0},
              not_hdd = {(char *)"disk", SIM_SEL_NOT_IN, hdd, 1};
    static const char *const aff = "NodeAffinity: node(s) didn't match Pod's node affinity/selector";
    /* nodeSelector disk=ssd */
    SimPodSpec s1 = {.node_selector = {&in_ssd, 1}};
    uint32_t p1 = w2_pod(&w, w2_wl(&w, "p1", SIM_WL_JOB, w.ns, 100, MIB, &s1));
    ck_assert_str_eq(verdict(&w, p1, a, buf), "");
    ck_assert_str_eq(verdict(&w, p1, b, buf), aff);
    /* terms ORed: (cores > 8) or (gpu exists) -> both nodes */
    SimSelector terms[] = {{&gt8, 1}, {&has_gpu, 1}};
    SimPodSpec s2 = {.node_required = terms, .nnode_required = 2};
    uint32_t p2 = w2_pod(&w, w2_wl(&w, "p2", SIM_WL_JOB, w.ns, 100, MIB, &s2));
    ck_assert_str_eq(verdict(&w, p2, a, buf), "");
    ck_assert_str_eq(verdict(&w, p2, b, buf), "");
    /* expressions ANDed: cores < 8 and gpu does not exist -> neither */
    SimSelReq both[] = {lt8, no_gpu};
    SimSelector t3 = {both, 2};
    SimPodSpec s3 = {.node_required = &t3, .nnode_required = 1};
    uint32_t p3 = w2_pod(&w, w2_wl(&w, "p3", SIM_WL_JOB, w.ns, 100, MIB, &s3));
    ck_assert_str_eq(verdict(&w, p3, a, buf), aff);
    ck_assert_str_eq(verdict(&w, p3, b, buf), aff);
    /* nodeSelector AND terms: NotIn hdd AND (cores < 8) -> neither */
    SimSelector t4 = {&lt8, 1};
    SimPodSpec s4 = {.node_selector = {&not_hdd, 1}, .node_required = &t4, .nnode_required = 1};
    uint32_t p4 = w2_pod(&w, w2_wl(&w, "p4", SIM_WL_JOB, w.ns, 100, MIB, &s4));
    ck_assert_str_eq(verdict(&w, p4, a, buf), aff);
    ck_assert_str_eq(verdict(&w, p4, b, buf), aff);
    /* an empty term matches nothing */
    SimSelector empty = {NULL, 0};
    SimPodSpec s5 = {.node_required = &empty, .nnode_required = 1};
    uint32_t p5 = w2_pod(&w, w2_wl(&w, "p5", SIM_WL_JOB, w.ns, 100, MIB, &s5));
    ck_assert_str_eq(verdict(&w, p5, a, buf), aff);
    w2_free(&w);
}
END_TEST

/* A hostname nodeSelector is judged per node. */
START_TEST(node_affinity_on_hostname_is_per_node)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[3];
    w2_group(&w, "g", (GroupOpt){0}, 3, n);
    char *host[] = {(char *)"g-2"};
    SimSelReq r = req_in("kubernetes.io/hostname", host, 1);
    SimPodSpec sp = {.node_selector = {&r, 1}};
    uint32_t p = w2_pod(&w, w2_wl(&w, "p", SIM_WL_JOB, w.ns, 100, MIB, &sp));
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "NodeAffinity: node(s) didn't match Pod's node affinity/selector");
    ck_assert_str_eq(verdict(&w, p, n[2], buf), "");
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_uint_eq(res.node, n[2]);
    w2_free(&w);
}
END_TEST

/* k8s-behaviour.md §3.7: zones a = 2, b = 0 matching pods, maxSkew 1,
 * DoNotSchedule: a node in a gives 2 + 1 - 0 = 3 > 1, rejected; b gives 1. */
START_TEST(spread_skew_example_from_reference)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){.zones = w.zone, .nzones = 2}, 2, n);   /* n0 in a, n1 in b */
    SimKV web = {(char *)"app", (char *)"web"};
    char *v[] = {(char *)"web"};
    SimSelReq r = req_in("app", v, 1);
    SimSpread c = {1, (char *)"topology.kubernetes.io/zone", 1, {&r, 1}, 0};
    SimPodSpec sp = {.labels = &web, .nlabels = 1, .spread = &c, .nspread = 1};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp);
    w2_bound(&w, wl, n[0]);
    w2_bound(&w, wl, n[0]);
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "PodTopologySpread: node(s) didn't match pod topology spread constraints");
    ck_assert_str_eq(verdict(&w, p, n[1], buf), "");
    /* maxSkew 3 would admit zone a (3 <= 3). */
    SimSpread c3 = c;
    c3.max_skew = 3;
    SimPodSpec sp3 = sp;
    sp3.spread = &c3;
    uint32_t q = w2_pod(&w, w2_wl(&w, "web3", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp3));
    ck_assert_str_eq(verdict(&w, q, n[0], buf), "");
    w2_free(&w);
}
END_TEST

/* A node without the topology key is rejected (missing required label), and
 * only pods of the incoming pod's namespace count. */
START_TEST(spread_node_without_key_is_rejected_with_missing_label)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t zoned[2], bare;
    w2_group(&w, "zoned", (GroupOpt){.zones = w.zone, .nzones = 2}, 2, zoned);
    w2_group(&w, "bare", (GroupOpt){0}, 1, &bare);
    SimKV web = {(char *)"app", (char *)"web"};
    char *v[] = {(char *)"web"};
    SimSelReq r = req_in("app", v, 1);
    SimSpread c = {1, (char *)"topology.kubernetes.io/zone", 1, {&r, 1}, 0};
    SimPodSpec sp = {.labels = &web, .nlabels = 1, .spread = &c, .nspread = 1};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp);
    uint32_t elsewhere = w2_wl(&w, "web-other", SIM_WL_DEPLOYMENT, w.other, 100, MIB, &sp);
    for (int i = 0; i < 3; i++)
        w2_bound(&w, elsewhere, zoned[0]);   /* another namespace: not counted */
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, bare, buf),
                     "PodTopologySpread: node(s) didn't match pod topology spread constraints (missing required label)");
    ck_assert_str_eq(verdict(&w, p, zoned[0], buf), "");
    ck_assert_str_eq(verdict(&w, p, zoned[1], buf), "");
    w2_free(&w);
}
END_TEST

/* With fewer eligible domains than minDomains the global minimum is 0. */
START_TEST(spread_min_domains_makes_global_min_zero)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){.zones = w.zone, .nzones = 2}, 2, n);
    SimKV web = {(char *)"app", (char *)"web"};
    char *v[] = {(char *)"web"};
    SimSelReq r = req_in("app", v, 1);
    SimSpread c = {1, (char *)"topology.kubernetes.io/zone", 1, {&r, 1}, 0};
    SimPodSpec sp = {.labels = &web, .nlabels = 1, .spread = &c, .nspread = 1};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp);
    w2_bound(&w, wl, n[0]);
    w2_bound(&w, wl, n[1]);   /* a = 1, b = 1: global min 1 */
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "");   /* 1 + 1 - 1 = 1 */
    SimSpread c3 = c;
    c3.min_domains = 3;   /* only 2 domains: min taken as 0 -> 1 + 1 - 0 = 2 > 1 */
    SimPodSpec sp3 = sp;
    sp3.spread = &c3;
    uint32_t q = w2_pod(&w, w2_wl(&w, "web-md", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp3));
    ck_assert_str_eq(verdict(&w, q, n[0], buf), "PodTopologySpread: node(s) didn't match pod topology spread constraints");
    w2_free(&w);
}
END_TEST

/* nodeAffinityPolicy Honor: domains and counts only over nodes matching the
 * pod's node affinity. Zone c has no matching node, so its 0 is not the
 * global minimum. */
START_TEST(spread_global_min_over_eligible_domains_only)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    SimKV pool = {(char *)"pool", (char *)"main"};
    uint32_t main_nodes[2], side;
    w2_group(&w, "main", (GroupOpt){.zones = w.zone, .nzones = 2, .labels = &pool, .nlabels = 1}, 2, main_nodes);
    w2_group(&w, "side", (GroupOpt){.zones = &w.zone[2], .nzones = 1}, 1, &side);
    SimKV web = {(char *)"app", (char *)"web"};
    char *v[] = {(char *)"web"}, *pv[] = {(char *)"main"};
    SimSelReq r = req_in("app", v, 1), pr = req_in("pool", pv, 1);
    SimSpread c = {1, (char *)"topology.kubernetes.io/zone", 1, {&r, 1}, 0};
    SimPodSpec sp = {.labels = &web, .nlabels = 1, .spread = &c, .nspread = 1, .node_selector = {&pr, 1}};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp);
    w2_bound(&w, wl, main_nodes[0]);
    w2_bound(&w, wl, main_nodes[1]);   /* a = 1, b = 1, c (ineligible) = 0 */
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, main_nodes[0], buf), "");   /* 1 + 1 - 1 = 1 */
    /* Without the node selector zone c counts: min 0, 1 + 1 - 0 = 2 > 1. */
    SimPodSpec open = sp;
    open.node_selector = (SimSelector){NULL, 0};
    uint32_t q = w2_pod(&w, w2_wl(&w, "web-open", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &open));
    ck_assert_str_eq(verdict(&w, q, main_nodes[0], buf),
                     "PodTopologySpread: node(s) didn't match pod topology spread constraints");
    w2_free(&w);
}
END_TEST

/* Hostname domains: each node its own; the pods keep within maxSkew as they
 * are placed, and counts follow terminations. */
START_TEST(spread_hostname_keeps_max_skew_and_follows_terminations)
{
    char buf[VBUF];
    W2 w = w2_make(3);
    uint32_t n[3];
    w2_group(&w, "g", (GroupOpt){.cpu_m = 64000, .mem = 64 * GIB}, 3, n);
    SimKV web = {(char *)"app", (char *)"web"};
    char *v[] = {(char *)"web"};
    SimSelReq r = req_in("app", v, 1);
    SimSpread c = {1, (char *)"kubernetes.io/hostname", 1, {&r, 1}, 0};
    SimPodSpec sp = {.labels = &web, .nlabels = 1, .spread = &c, .nspread = 1};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_JOB, w.ns, 100, MIB, &sp), pods[9];
    for (int i = 0; i < 9; i++)
        pods[i] = w2_pod(&w, wl);
    ts_run_to(w.e, SIM_SEC(1));
    uint32_t per[3] = {0};
    for (int i = 0; i < 9; i++) {
        assert_placed(w.e, pods[i]);
        for (int k = 0; k < 3; k++)
            per[k] += sim_pod(w.e, pods[i])->node == n[k];
    }
    ck_assert_uint_eq(per[0], 3);
    ck_assert_uint_eq(per[1], 3);
    ck_assert_uint_eq(per[2], 3);
    /* Delete two pods of n0: n0 has 1, min 1 -> n1 gives 3 + 1 - 1 = 3 > 1. */
    int gone = 0;
    for (int i = 0; i < 9 && gone < 2; i++)
        if (sim_pod(w.e, pods[i])->node == n[0]) {
            ck_assert_int_eq(sim_pod_delete(w.e, pods[i]), SIM_OK);
            gone++;
        }
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, n[1], buf), "PodTopologySpread: node(s) didn't match pod topology spread constraints");
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "");
    w2_free(&w);
}
END_TEST

/* The first pod of a group whose affinity selects its own labels may go
 * anywhere its terms' keys exist; once one exists, the others follow it. */
START_TEST(interpod_first_pod_may_match_own_affinity)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){.zones = w.zone, .nzones = 2}, 2, n);
    SimKV db = {(char *)"app", (char *)"db"};
    char *v[] = {(char *)"db"};
    SimSelReq r = req_in("app", v, 1);
    SimPodAffinityTerm t = {{&r, 1}, (char *)"topology.kubernetes.io/zone", 0};
    SimPodSpec sp = {.labels = &db, .nlabels = 1, .affinity = {.req_affinity = &t, .nreq_affinity = 1}};
    uint32_t wl = w2_wl(&w, "db", SIM_WL_JOB, w.ns, 100, MIB, &sp);
    uint32_t first = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, first, n[0], buf), "");
    ck_assert_str_eq(verdict(&w, first, n[1], buf), "");
    /* A pod with the same term but other labels is not the first of its group. */
    SimKV cli = {(char *)"app", (char *)"client"};
    SimPodSpec other = sp;
    other.labels = &cli;
    uint32_t client = w2_pod(&w, w2_wl(&w, "client", SIM_WL_JOB, w.ns, 100, MIB, &other));
    ck_assert_str_eq(verdict(&w, client, n[0], buf), "InterPodAffinity: node(s) didn't match pod affinity rules");
    w2_bound(&w, wl, n[1]);   /* a db pod in zone b */
    uint32_t second = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, second, n[0], buf), "InterPodAffinity: node(s) didn't match pod affinity rules");
    ck_assert_str_eq(verdict(&w, second, n[1], buf), "");
    ck_assert_str_eq(verdict(&w, client, n[1], buf), "");
    w2_free(&w);
}
END_TEST

/* Required anti-affinity of the incoming pod (hostname), anti-affinity of
 * existing pods (symmetry), and selectors over the term's namespace only. */
START_TEST(interpod_anti_affinity_own_and_existing)
{
    char buf[VBUF];
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){0}, 2, n);
    SimKV web = {(char *)"app", (char *)"web"}, cache = {(char *)"app", (char *)"cache"};
    char *vw[] = {(char *)"web"}, *vc[] = {(char *)"cache"};
    SimSelReq rw = req_in("app", vw, 1), rc = req_in("app", vc, 1);
    SimPodAffinityTerm avoid_web = {{&rw, 1}, (char *)"kubernetes.io/hostname", 0};
    SimPodAffinityTerm avoid_cache = {{&rc, 1}, (char *)"kubernetes.io/hostname", 0};
    SimPodSpec ws = {.labels = &web, .nlabels = 1, .affinity = {.req_anti = &avoid_web, .nreq_anti = 1}};
    uint32_t wl = w2_wl(&w, "web", SIM_WL_JOB, w.ns, 100, MIB, &ws);
    w2_bound(&w, wl, n[0]);
    uint32_t p = w2_pod(&w, wl);
    ck_assert_str_eq(verdict(&w, p, n[0], buf), "InterPodAffinity: node(s) didn't match pod anti-affinity rules");
    ck_assert_str_eq(verdict(&w, p, n[1], buf), "");
    /* A cache pod has no terms, but the web pod on n0 says "no web here"...
     * that selects web pods only; a cache pod avoiding caches is free. */
    SimPodSpec cs = {.labels = &cache, .nlabels = 1};
    uint32_t c = w2_pod(&w, w2_wl(&w, "cache", SIM_WL_JOB, w.ns, 100, MIB, &cs));
    ck_assert_str_eq(verdict(&w, c, n[0], buf), "");
    /* Symmetry: a pod on n1 avoiding caches keeps cache pods off n1. */
    SimPodSpec gs = {.affinity = {.req_anti = &avoid_cache, .nreq_anti = 1}};
    uint32_t guard = w2_wl(&w, "guard", SIM_WL_JOB, w.ns, 100, MIB, &gs);
    w2_bound(&w, guard, n[1]);
    uint32_t c2 = w2_pod(&w, w2_wl(&w, "cache2", SIM_WL_JOB, w.ns, 100, MIB, &cs));
    ck_assert_str_eq(verdict(&w, c2, n[1], buf),
                     "InterPodAffinity: node(s) didn't satisfy existing pods anti-affinity rules");
    ck_assert_str_eq(verdict(&w, c2, n[0], buf), "");
    /* The guard's term selects pods of its own namespace only. */
    uint32_t c3 = w2_pod(&w, w2_wl(&w, "cache-other", SIM_WL_JOB, w.other, 100, MIB, &cs));
    ck_assert_str_eq(verdict(&w, c3, n[1], buf), "");
    /* Once the guard is gone, the domain is free again. */
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++)
        if (sim_pod(w.e, i)->wl == guard)
            ck_assert_int_eq(sim_pod_delete(w.e, i), SIM_OK);
    ck_assert_str_eq(verdict(&w, c2, n[1], buf), "");
    w2_free(&w);
}
END_TEST

/* ---- scores ------------------------------------------------------------------ */

/* §3.4: A after the pod 2 CPU / 4 GiB of 4 / 8: Fit 50 + Balanced 100 = 150;
 * B 3 CPU / 4 GiB: Fit 37 + Balanced 87 = 124. A wins. */
START_TEST(balanced_allocation_example_a_beats_b)
{
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){0}, 2, n);
    uint32_t fill_a = w2_wl(&w, "fill-a", SIM_WL_JOB, w.ns, 1000, 2 * GIB, NULL);
    uint32_t fill_b = w2_wl(&w, "fill-b", SIM_WL_JOB, w.ns, 2000, 2 * GIB, NULL);
    w2_bound(&w, fill_a, n[0]);
    w2_bound(&w, fill_b, n[1]);
    uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 1000, 2 * GIB, NULL));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int fit = plugin_index("NodeResourcesFit"), bal = plugin_index("NodeResourcesBalancedAllocation");
    ck_assert_int_eq(v[0].scores[fit], 50);
    ck_assert_int_eq(v[0].scores[bal], 100);
    ck_assert_int_eq(v[1].scores[fit], 37);
    ck_assert_int_eq(v[1].scores[bal], 87);
    ck_assert_int_eq(v[0].total - v[1].total, 150 - 124);
    ck_assert_uint_eq(res.node, n[0]);
    free(v);
    w2_free(&w);
}
END_TEST

/* A pod requesting neither cpu nor memory is not scored by BalancedAllocation. */
START_TEST(balanced_allocation_skips_best_effort_pods)
{
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){0}, 2, n);
    uint32_t p = w2_pod(&w, w2_wl(&w, "be", SIM_WL_JOB, w.ns, 0, 0, NULL));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int bal = plugin_index("NodeResourcesBalancedAllocation");
    ck_assert_int_eq(v[0].scores[bal], 0);
    ck_assert_int_eq(v[1].scores[bal], 0);
    free(v);
    w2_free(&w);
}
END_TEST

/* §3.5: untolerated PreferNoSchedule taints, normalized 100 - count x 100 / max. */
START_TEST(taint_toleration_score_reverses_prefer_noschedule_counts)
{
    W2 w = w2_make(1);
    SimTaint one[] = {{(char *)"spot", (char *)"true", SIM_TAINT_PREFER_NO_SCHEDULE}};
    SimTaint three[] = {{(char *)"spot", (char *)"true", SIM_TAINT_PREFER_NO_SCHEDULE},
                        {(char *)"old", (char *)"yes", SIM_TAINT_PREFER_NO_SCHEDULE},
                        {(char *)"slow", (char *)"yes", SIM_TAINT_PREFER_NO_SCHEDULE}};
    uint32_t clean, n1, n3;
    w2_group(&w, "clean", (GroupOpt){0}, 1, &clean);
    w2_group(&w, "one", (GroupOpt){.taints = one, .ntaints = 1}, 1, &n1);
    w2_group(&w, "three", (GroupOpt){.taints = three, .ntaints = 3}, 1, &n3);
    uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 100, MIB, NULL));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int t = plugin_index("TaintToleration");
    ck_assert_int_eq(v[0].scores[t], 100);
    ck_assert_int_eq(v[1].scores[t], 67);   /* 100 - 100 / 3 */
    ck_assert_int_eq(v[2].scores[t], 0);
    ck_assert_uint_eq(res.node, clean);
    free(v);
    /* Tolerating "spot" (PreferNoSchedule) removes one count. */
    SimToleration tol = {(char *)"spot", SIM_TOL_EXISTS, NULL, SIM_TAINT_PREFER_NO_SCHEDULE, -1};
    SimPodSpec sp = {.tolerations = &tol, .ntolerations = 1};
    uint32_t q = w2_pod(&w, w2_wl(&w, "tol", SIM_WL_JOB, w.ns, 100, MIB, &sp));
    v = explain(&w, q, &res);
    ck_assert_int_eq(v[1].scores[t], 100);
    ck_assert_int_eq(v[2].scores[t], 0);
    free(v);
    w2_free(&w);
}
END_TEST

/* §3.6: Σ weights of matching preferred terms, normalized x 100 / max. */
START_TEST(node_affinity_score_normalizes_preferred_weights)
{
    W2 w = w2_make(1);
    SimKV ssd = {(char *)"disk", (char *)"ssd"}, fast[] = {{(char *)"disk", (char *)"ssd"}, {(char *)"net", (char *)"fast"}};
    uint32_t none, one, two;
    w2_group(&w, "none", (GroupOpt){0}, 1, &none);
    w2_group(&w, "one", (GroupOpt){.labels = &ssd, .nlabels = 1}, 1, &one);
    w2_group(&w, "two", (GroupOpt){.labels = fast, .nlabels = 2}, 1, &two);
    char *vs[] = {(char *)"ssd"}, *vf[] = {(char *)"fast"};
    SimSelReq rs = req_in("disk", vs, 1), rf = req_in("net", vf, 1);
    SimWeightedTerm pref[] = {{20, {&rs, 1}}, {60, {&rf, 1}}};
    SimPodSpec sp = {.node_preferred = pref, .nnode_preferred = 2};
    uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 100, MIB, &sp));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int a = plugin_index("NodeAffinity");
    ck_assert_int_eq(v[0].scores[a], 0);
    ck_assert_int_eq(v[1].scores[a], 25);   /* 20 x 100 / 80 */
    ck_assert_int_eq(v[2].scores[a], 100);
    ck_assert_uint_eq(res.node, two);
    free(v);
    w2_free(&w);
}
END_TEST

/* §3.7 score: system defaults (hostname maxSkew 3, zone maxSkew 5,
 * ScheduleAnyway) over the Deployment's own pods. Nodes n0 (zone a, 2 pods),
 * n1 (zone a, 0), n2 (zone b, 0): hostname weight log(3 + 2), zone weight
 * log(2 + 2); raw n0 = round(2 x 1.609 + 2 + 2 x 1.386 + 4) = 12, n1 =
 * round(2 + 2.773 + 4) = 9, n2 = 6; normalized 100 x (12 + 6 - raw) / 12. */
START_TEST(spread_score_system_defaults_for_deployments)
{
    W2 w = w2_make(1);
    uint32_t a[2], b;
    w2_group(&w, "ga", (GroupOpt){.zones = &w.zone[0], .nzones = 1}, 2, a);
    w2_group(&w, "gb", (GroupOpt){.zones = &w.zone[1], .nzones = 1}, 1, &b);
    SimKV web = {(char *)"app", (char *)"web"};
    SimPodSpec sp = {.labels = &web, .nlabels = 1};
    uint32_t dep = w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 100, MIB, &sp);
    w2_bound(&w, dep, a[0]);
    w2_bound(&w, dep, a[0]);
    uint32_t p = w2_pod(&w, dep);
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int s = plugin_index("PodTopologySpread");
    ck_assert_int_eq(v[0].scores[s], 50);    /* 100 x 6 / 12 */
    ck_assert_int_eq(v[1].scores[s], 75);    /* 100 x 9 / 12 */
    ck_assert_int_eq(v[2].scores[s], 100);
    free(v);
    /* A Job's pods (no ReplicaSet or Service selects them) get no defaults. */
    uint32_t job = w2_wl(&w, "batch", SIM_WL_JOB, w.ns, 100, MIB, &sp);
    w2_bound(&w, job, a[0]);
    uint32_t q = w2_pod(&w, job);
    v = explain(&w, q, &res);
    ck_assert_int_eq(v[0].scores[s], 0);
    ck_assert_int_eq(v[2].scores[s], 0);
    free(v);
    w2_free(&w);
}
END_TEST

/* §3.8 score: preferred affinity (+weight per matching pod in the domain) and
 * preferred anti-affinity (-weight), normalized 100 x (s - min) / (max - min). */
START_TEST(interpod_preferred_terms_score_normalized)
{
    W2 w = w2_make(1);
    uint32_t n[3];
    w2_group(&w, "g", (GroupOpt){0}, 3, n);
    SimKV cache = {(char *)"app", (char *)"cache"}, noisy = {(char *)"app", (char *)"noisy"};
    SimPodSpec cs = {.labels = &cache, .nlabels = 1}, ns = {.labels = &noisy, .nlabels = 1};
    uint32_t cw = w2_wl(&w, "cache", SIM_WL_JOB, w.ns, 100, MIB, &cs);
    uint32_t nw = w2_wl(&w, "noisy", SIM_WL_JOB, w.ns, 100, MIB, &ns);
    w2_bound(&w, cw, n[0]);
    w2_bound(&w, cw, n[0]);
    w2_bound(&w, nw, n[1]);
    char *vc[] = {(char *)"cache"}, *vn[] = {(char *)"noisy"};
    SimSelReq rc = req_in("app", vc, 1), rn = req_in("app", vn, 1);
    SimPodAffinityTerm near = {{&rc, 1}, (char *)"kubernetes.io/hostname", 10};
    SimPodAffinityTerm far = {{&rn, 1}, (char *)"kubernetes.io/hostname", 30};
    SimPodSpec sp = {.affinity = {.pref_affinity = &near, .npref_affinity = 1, .pref_anti = &far, .npref_anti = 1}};
    uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 100, MIB, &sp));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int ipa = plugin_index("InterPodAffinity");
    /* raw: n0 = 2 x 10 = 20, n1 = -30, n2 = 0; min -30, max 20 */
    ck_assert_int_eq(v[0].scores[ipa], 100);
    ck_assert_int_eq(v[1].scores[ipa], 0);
    ck_assert_int_eq(v[2].scores[ipa], 60);
    free(v);
    w2_free(&w);
}
END_TEST

START_TEST(image_locality_scores_zero)
{
    W2 w = w2_make(1);
    w2_group(&w, "g", (GroupOpt){0}, 2, NULL);
    uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 100, MIB, NULL));
    SchedResult res;
    SchedNodeVerdict *v = explain(&w, p, &res);
    int img = plugin_index("ImageLocality");
    ck_assert_int_eq(v[0].scores[img], 0);
    ck_assert_int_eq(v[1].scores[img], 0);
    ck_assert_int_eq(v[0].scores[plugin_index("NodeName")], -1);   /* filter only */
    free(v);
    w2_free(&w);
}
END_TEST

/* Equal totals: the seeded stream picks uniformly; same seed, same pick. */
START_TEST(ties_broken_by_seeded_rng)
{
    uint32_t first[16];
    int distinct = 0, seen[8] = {0};
    for (uint64_t seed = 1; seed <= 16; seed++) {
        for (int run = 0; run < 2; run++) {
            W2 w = w2_make(seed);
            w2_group(&w, "g", (GroupOpt){0}, 8, NULL);
            uint32_t p = w2_pod(&w, w2_wl(&w, "app", SIM_WL_JOB, w.ns, 100, MIB, NULL));
            SchedResult res;
            ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
            if (run == 0)
                first[seed - 1] = res.node;
            else
                ck_assert_uint_eq(res.node, first[seed - 1]);
            w2_free(&w);
        }
        seen[first[seed - 1] % 8]++;
    }
    for (int i = 0; i < 8; i++)
        distinct += seen[i] > 0;
    ck_assert_int_ge(distinct, 3);
}
END_TEST

/* The fast cycle (memoized scores, inlined filters) and explain's reference
 * path choose the same node, cycle after cycle, on a mixed cluster. */
START_TEST(place_and_explain_agree)
{
    SimTaint spot = {(char *)"spot", (char *)"true", SIM_TAINT_PREFER_NO_SCHEDULE};
    for (int mode = 0; mode < 2; mode++) {
        W2 w = w2_make(7);
        w2_group(&w, "small", (GroupOpt){.cpu_m = 4000, .mem = 8 * GIB, .zones = w.zone, .nzones = 3}, 60, NULL);
        w2_group(&w, "big", (GroupOpt){.cpu_m = 16000, .mem = 32 * GIB, .zones = w.zone, .nzones = 2, .taints = &spot,
                                       .ntaints = 1},
                 50, NULL);
        SimKV web = {(char *)"app", (char *)"web"};
        SimPodSpec sp = {.labels = &web, .nlabels = 1};
        uint32_t wl[3] = {w2_wl(&w, "web", SIM_WL_DEPLOYMENT, w.ns, 300, 600 * MIB, &sp),
                          w2_wl(&w, "job", SIM_WL_JOB, w.ns, 1500, GIB, NULL),
                          w2_wl(&w, "mem", SIM_WL_DEPLOYMENT, w.ns, 200, 3 * GIB, NULL)};
        uint32_t trail[60];
        for (int i = 0; i < 60; i++) {
            uint32_t p = w2_pod(&w, wl[i % 3]);
            SchedResult res;
            SchedNodeVerdict *v = NULL;
            if (mode == 0) {
                ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
            } else {
                v = explain(&w, p, &res);
                free(v);
            }
            ck_assert_uint_ne(res.node, SIM_NONE);
            trail[i] = res.node;
            ck_assert_int_eq(sim_pod_bind(w.e, p, res.node), SIM_OK);
        }
        static uint32_t want[60];
        if (mode == 0)
            memcpy(want, trail, sizeof want);
        else
            for (int i = 0; i < 60; i++)
                ck_assert_msg(trail[i] == want[i], "pod %d: explain %u, place %u", i, trail[i], want[i]);
        w2_free(&w);
    }
}
END_TEST

/* A small xorshift stream for the random cluster below (the engine's RNG
 * streams are the code under test; the test draws its own). */
static uint32_t rnd_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 16);
}

/* Every kind of pod the scheduler has a fast path for, and its slow cases:
 * default spreading, explicit spread (DoNotSchedule and ScheduleAnyway, with
 * and without a key some nodes lack), pod (anti-)affinity required and
 * preferred, tolerations and node selectors, preferred node terms, hostname
 * selectors (per node), best-effort pods and pods too big to fit anywhere. */
typedef struct RandSpecs {
    SimKV lab[12];
    char *val[12][1], *mem_val[1], *tier_val[1], *host_val[1];
    SimSelReq self[12], mem_req, tier_req, host_req;
    SimSpread spread[4];
    SimPodAffinityTerm term[4];
    SimToleration tol;
    SimWeightedTerm pref[2];
    char host[64];
} RandSpecs;

enum { RAND_WLS = 12 };

static void rand_specs(RandSpecs *r, SimPodSpec *sp, const char *hostname)
{
    static const char *const names[RAND_WLS] = {"web", "job", "be", "zsp", "hsa", "anti",
                                                "near", "soft", "tol", "pref", "host", "huge"};
    memset(sp, 0, RAND_WLS * sizeof *sp);
    snprintf(r->host, sizeof r->host, "%s", hostname);
    for (int i = 0; i < RAND_WLS; i++) {
        r->val[i][0] = (char *)names[i];
        r->lab[i] = (SimKV){(char *)"app", (char *)names[i]};
        r->self[i] = req_in("app", r->val[i], 1);
        sp[i].labels = &r->lab[i];
        sp[i].nlabels = 1;
    }
    r->mem_val[0] = (char *)"memory";
    r->tier_val[0] = (char *)"gold";
    r->host_val[0] = r->host;
    r->mem_req = req_in("kubesim.io/node-group", r->mem_val, 1);
    r->tier_req = req_in("tier", r->tier_val, 1);
    r->host_req = req_in("kubernetes.io/hostname", r->host_val, 1);
    r->spread[0] = (SimSpread){1, (char *)"topology.kubernetes.io/zone", 1, {&r->self[3], 1}, 0};
    r->spread[1] = (SimSpread){2, (char *)"kubernetes.io/hostname", 0, {&r->self[4], 1}, 0};
    r->spread[2] = (SimSpread){3, (char *)"topology.kubernetes.io/zone", 0, {&r->self[4], 1}, 0};
    sp[3].spread = &r->spread[0];
    sp[3].nspread = 1;
    sp[4].spread = &r->spread[1];
    sp[4].nspread = 2;
    r->term[0] = (SimPodAffinityTerm){{&r->self[5], 1}, (char *)"kubernetes.io/hostname", 0};
    sp[5].affinity.req_anti = &r->term[0];
    sp[5].affinity.nreq_anti = 1;
    r->term[1] = (SimPodAffinityTerm){{&r->self[0], 1}, (char *)"topology.kubernetes.io/zone", 0};
    sp[6].affinity.req_affinity = &r->term[1];
    sp[6].affinity.nreq_affinity = 1;
    r->term[2] = (SimPodAffinityTerm){{&r->self[7], 1}, (char *)"kubernetes.io/hostname", 30};
    r->term[3] = (SimPodAffinityTerm){{&r->self[1], 1}, (char *)"topology.kubernetes.io/zone", 20};
    sp[7].affinity.pref_anti = &r->term[2];
    sp[7].affinity.npref_anti = 1;
    sp[7].affinity.pref_affinity = &r->term[3];
    sp[7].affinity.npref_affinity = 1;
    r->tol = (SimToleration){(char *)"dedicated", SIM_TOL_EQUAL, (char *)"memory", SIM_TAINT_NO_SCHEDULE, -1};
    sp[8].tolerations = &r->tol;
    sp[8].ntolerations = 1;
    sp[8].node_selector = (SimSelector){&r->mem_req, 1};
    r->pref[0] = (SimWeightedTerm){40, {&r->tier_req, 1}};
    r->pref[1] = (SimWeightedTerm){10, {&r->host_req, 1}};
    sp[9].node_preferred = r->pref;
    sp[9].nnode_preferred = 2;
    sp[10].node_selector = (SimSelector){&r->host_req, 1};
}

/* Builds the cluster and the workloads of one run of the test below. */
static void rand_world(W2 *w, RandSpecs *r, SimPodSpec *sp, uint32_t *wl)
{
    static const SimWlKind kind[RAND_WLS] = {SIM_WL_DEPLOYMENT, SIM_WL_JOB, SIM_WL_JOB, SIM_WL_DEPLOYMENT,
                                             SIM_WL_DEPLOYMENT, SIM_WL_DEPLOYMENT, SIM_WL_DEPLOYMENT,
                                             SIM_WL_DEPLOYMENT, SIM_WL_DEPLOYMENT, SIM_WL_JOB, SIM_WL_JOB,
                                             SIM_WL_JOB};
    static const int64_t cpu[RAND_WLS] = {300, 1500, 0, 250, 100, 500, 200, 100, 2000, 700, 100, 64000};
    static const int64_t mem[RAND_WLS] = {600, 1024, 0, 512, 256, 1024, 300, 128, 16384, 900, 64, 64};
    SimTaint spot = {(char *)"spot", (char *)"true", SIM_TAINT_PREFER_NO_SCHEDULE};
    SimTaint ded = {(char *)"dedicated", (char *)"memory", SIM_TAINT_NO_SCHEDULE};
    SimKV gold = {(char *)"tier", (char *)"gold"};
    uint32_t small[120];
    w2_group(w, "small", (GroupOpt){.cpu_m = 4000, .mem = 8 * GIB, .zones = w->zone, .nzones = 3}, 120, small);
    w2_group(w, "big", (GroupOpt){.cpu_m = 16000, .mem = 32 * GIB, .zones = w->zone, .nzones = 2, .taints = &spot,
                                  .ntaints = 1, .labels = &gold, .nlabels = 1}, 60, NULL);
    w2_group(w, "memory", (GroupOpt){.cpu_m = 8000, .mem = 64 * GIB, .zones = w->zone + 1, .nzones = 2,
                                     .taints = &ded, .ntaints = 1}, 40, NULL);
    w2_group(w, "nozone", (GroupOpt){.cpu_m = 2000, .mem = 4 * GIB}, 20, NULL);
    rand_specs(r, sp, sim_node(w->e, small[7])->name);
    for (int i = 0; i < RAND_WLS; i++)
        wl[i] = w2_wl(w, r->val[i][0], kind[i], w->ns, cpu[i], mem[i] * MIB, &sp[i]);
}

/* One random step on world w (both worlds take the same steps): a new pod
 * placed (by sched_place, or by sched_explain when explain), and sometimes a
 * pod deleted or a node cordoned. The result goes to res. */
static void rand_step(W2 *w, const uint32_t *wl, uint64_t *x, int explain_it, SchedResult *res)
{
    uint32_t op = rnd_next(x) % 100, pods = sim_pod_count(w->e);
    if (op < 8 && pods > 0) {
        uint32_t victim = rnd_next(x) % pods;
        if (sim_pod(w->e, victim)->phase == SIM_POD_RUNNING || sim_pod(w->e, victim)->phase == SIM_POD_BOUND)
            ck_assert_int_eq(sim_pod_delete(w->e, victim), SIM_OK);
    } else if (op < 10) {
        uint32_t node = rnd_next(x) % (uint32_t)sim_region(w->e, w->region)->nnodes;
        ck_assert_int_eq(sim_node_cordon(w->e, sim_region(w->e, w->region)->nodes[node], op == 8), SIM_OK);
    }
    uint32_t p = w2_pod(w, wl[rnd_next(x) % RAND_WLS]);
    if (explain_it) {
        free(explain(w, p, res));
    } else {
        ck_assert_int_eq(sched_place(w->s, p, res), SIM_OK);
    }
    if (res->node != SIM_NONE)
        ck_assert_int_eq(sim_pod_bind(w->e, p, res->node), SIM_OK);
}

/* Differential check of every fast path: on random clusters, sched_place and
 * explain's reference path (general filters, every plugin's own
 * NormalizeScore) agree on every cycle's node, counts and message. */
START_TEST(place_matches_reference_path_on_random_clusters)
{
    static RandSpecs r[2];
    static SimPodSpec sp[2][RAND_WLS];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        W2 w[2] = {w2_make(seed), w2_make(seed)};
        uint32_t wl[2][RAND_WLS];
        uint64_t x[2] = {seed * 0x9e3779b97f4a7c15u, seed * 0x9e3779b97f4a7c15u};
        for (int k = 0; k < 2; k++)
            rand_world(&w[k], &r[k], sp[k], wl[k]);
        for (int i = 0; i < 1500; i++) {
            SchedResult a, b;
            rand_step(&w[0], wl[0], &x[0], 0, &a);
            rand_step(&w[1], wl[1], &x[1], 1, &b);
            ck_assert_msg(a.node == b.node, "seed %d step %d: place %u, reference %u", (int)seed, i, a.node, b.node);
            ck_assert_uint_eq(a.feasible, b.feasible);
            ck_assert_uint_eq(a.examined, b.examined);
            ck_assert_uint_eq(a.rejected, b.rejected);
            ck_assert_str_eq(a.reason, b.reason);
        }
        w2_free(&w[0]);
        w2_free(&w[1]);
    }
}
END_TEST

/* ---- the queue ---------------------------------------------------------------- */

/* PrioritySort: higher priority first, then the earlier queued. */
START_TEST(queue_priority_before_age)
{
    W2 w = w2_make(1);
    uint32_t n;
    w2_group(&w, "g", (GroupOpt){.cpu_m = 1000}, 1, &n);
    SimPodSpec lo = {.priority = 0}, hi = {.priority = 100};
    uint32_t old = w2_pod(&w, w2_wl(&w, "old-low", SIM_WL_JOB, w.ns, 800, MIB, &lo));
    uint32_t young = w2_pod(&w, w2_wl(&w, "young-high", SIM_WL_JOB, w.ns, 800, MIB, &hi));
    ts_run_to(w.e, SIM_MS(10));
    assert_placed(w.e, young);
    ck_assert_int_eq(sim_pod(w.e, old)->phase, SIM_POD_PENDING);
    ck_assert_int_eq(sim_pod(w.e, old)->unschedulable, 1);
    /* Equal priority: the earlier one first. */
    W2 v = w2_make(1);
    w2_group(&v, "g", (GroupOpt){.cpu_m = 1000}, 1, &n);
    uint32_t a = w2_pod(&v, w2_wl(&v, "a", SIM_WL_JOB, v.ns, 800, MIB, &lo));
    uint32_t b = w2_pod(&v, w2_wl(&v, "b", SIM_WL_JOB, v.ns, 800, MIB, &lo));
    ts_run_to(v.e, SIM_MS(10));
    assert_placed(v.e, a);
    ck_assert_int_eq(sim_pod(v.e, b)->phase, SIM_POD_PENDING);
    w2_free(&v);
    w2_free(&w);
}
END_TEST

/* upstream calculateBackoffDuration: 1 s x 2^(attempts - 1), at most 10 s; a
 * pod helped during its backoff waits for its end. */
START_TEST(queue_backoff_doubles_to_10s)
{
    static const int64_t want_s[] = {0, 1, 2, 4, 8, 10, 10, 10};
    for (uint32_t a = 0; a < 8; a++)
        ck_assert_int_eq(sched_backoff_duration(a), SIM_SEC(want_s[a]));
    ck_assert_int_eq(sched_backoff_duration(1000), SIM_SEC(10));
    W2 w = w2_make(1);
    uint32_t n;
    w2_group(&w, "g", (GroupOpt){.cpu_m = 2000}, 1, &n);
    uint32_t job = w2_wl(&w, "short", SIM_WL_JOB, w.ns, 1000, MIB, NULL);
    SimPodSpec js = sim_workload(w.e, job)->spec;
    js.duration = SIM_MS(500);   /* frees its cpu at 0.5 s */
    sim_workload_set_spec(w.e, job, &js);
    uint32_t j = w2_pod(&w, job);
    uint32_t p = w2_pod(&w, w2_wl(&w, "wide", SIM_WL_JOB, w.ns, 2000, MIB, NULL));
    ts_run_to(w.e, SIM_MS(600));
    ck_assert_int_eq(sim_pod(w.e, j)->phase, SIM_POD_SUCCEEDED);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_PENDING);   /* in backoff until 1 s */
    ts_run_to(w.e, SIM_SEC(1));
    assert_placed(w.e, p);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, SIM_SEC(1));
    w2_free(&w);
}
END_TEST

/* A node becoming Ready that the pod cannot use does not retry it; one it can
 * use does (after its backoff). */
START_TEST(queue_node_ready_retries_only_pods_it_helps)
{
    W2 w = w2_make(1);
    uint32_t small, tainted, ok;
    w2_group(&w, "small", (GroupOpt){.cpu_m = 1000}, 1, &small);
    SimTaint t = {(char *)"dedicated", (char *)"x", SIM_TAINT_NO_SCHEDULE};
    w2_group(&w, "tainted", (GroupOpt){.cpu_m = 8000, .taints = &t, .ntaints = 1, .delay = SIM_SEC(5)}, 1, &tainted);
    w2_group(&w, "later", (GroupOpt){.cpu_m = 8000, .delay = SIM_SEC(20)}, 1, &ok);
    uint32_t p = w2_pod(&w, w2_wl(&w, "wide", SIM_WL_JOB, w.ns, 4000, MIB, NULL));
    ts_run_to(w.e, SIM_SEC(19));
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_PENDING);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, p, &res), SIM_OK);
    ck_assert_str_eq(res.reason,
                     "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: x}.");
    ts_run_to(w.e, SIM_SEC(20));
    assert_placed(w.e, p);
    ck_assert_uint_eq(sim_pod(w.e, p)->node, ok);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, SIM_SEC(20));
    w2_free(&w);
}
END_TEST

/* Many identical pods that fit nowhere all get upstream's message; when room
 * appears, as many as fit are bound. */
START_TEST(queue_identical_unschedulable_pods_share_the_verdict)
{
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){.cpu_m = 1000}, 2, n);
    uint32_t wl = w2_wl(&w, "wide", SIM_WL_DEPLOYMENT, w.ns, 2000, MIB, NULL), pods[50];
    for (int i = 0; i < 50; i++)
        pods[i] = w2_pod(&w, wl);
    uint32_t later;
    w2_group(&w, "late", (GroupOpt){.cpu_m = 4500, .delay = SIM_SEC(60)}, 1, &later);
    ts_run_to(w.e, SIM_SEC(30));
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_pending, 50);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, pods[49], &res), SIM_OK);
    ck_assert_str_eq(res.reason, "0/2 nodes are available: 2 Insufficient cpu.");
    ts_run_to(w.e, SIM_SEC(61));
    int bound = 0;
    for (int i = 0; i < 50; i++)
        bound += sim_pod(w.e, pods[i])->node == later;
    ck_assert_int_eq(bound, 2);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_pending, 48);
    w2_free(&w);
}
END_TEST

/* The queue's state of a pod follows the pods alive, not the pods ever
 * created: waves of 1,024 pods, each bound and then deleted, leave the
 * memory held flat (a per-id array would grow 40 bytes a pod, 160 KiB over
 * these five waves). Half of each wave is deleted while still queued, so
 * the active heap pops entries of pods whose records may be recycled. */
START_TEST(queue_state_follows_the_pods_alive)
{
    W2 w = w2_make(1);
    uint32_t n[12];
    w2_group(&w, "g", (GroupOpt){.cpu_m = 64000, .mem = 64 * GIB}, 12, n);
    uint32_t wl = w2_wl(&w, "svc", SIM_WL_DEPLOYMENT, w.ns, 10, MIB, NULL), pods[1024];
    int64_t live[8];
    for (int wave = 0; wave < 8; wave++) {
        for (int i = 0; i < 1024; i++)
            pods[i] = w2_pod(&w, wl);
        for (int i = 0; i < 1024; i += 2)
            ck_assert_int_eq(sim_pod_delete(w.e, pods[i]), SIM_OK);
        ts_run_to(w.e, SIM_SEC(100 * wave + 50));
        for (int i = 1; i < 1024; i += 2) {
            ck_assert_uint_ne(sim_pod(w.e, pods[i])->node, SIM_NONE);
            ck_assert_int_eq(sim_pod_delete(w.e, pods[i]), SIM_OK);
        }
        ts_run_to(w.e, SIM_SEC(100 * wave + 100));
        live[wave] = sim_mem(w.e)->live;
    }
    ck_assert_uint_eq(sim_pod_count(w.e), 8 * 1024);
    ck_assert_msg(live[7] - live[2] < 16 * 1024, "held %lld more bytes after 5 more waves",
                  (long long)(live[7] - live[2]));
    ck_assert_msg(sim_check(w.e) == SIM_OK, "%s", sim_errmsg(w.e));
    w2_free(&w);
}
END_TEST

/* A pod with required affinity waits for its peer and is retried when the
 * peer is bound (the pod-bound hint). */
START_TEST(queue_pod_bound_retries_affinity_pods)
{
    W2 w = w2_make(1);
    uint32_t n[2];
    w2_group(&w, "g", (GroupOpt){.zones = w.zone, .nzones = 2}, 2, n);
    SimKV db = {(char *)"app", (char *)"db"};
    char *v[] = {(char *)"db"};
    SimSelReq r = req_in("app", v, 1);
    SimPodAffinityTerm t = {{&r, 1}, (char *)"topology.kubernetes.io/zone", 0};
    SimPodSpec cs = {.affinity = {.req_affinity = &t, .nreq_affinity = 1}};
    uint32_t client = w2_pod(&w, w2_wl(&w, "client", SIM_WL_JOB, w.ns, 100, MIB, &cs));
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pod(w.e, client)->unschedulable, 1);
    SimPodSpec ds = {.labels = &db, .nlabels = 1};
    uint32_t dbw = w2_wl(&w, "db", SIM_WL_JOB, w.ns, 100, MIB, &ds);
    w2_bound(&w, dbw, n[1]);
    ts_run_to(w.e, SIM_SEC(6));
    assert_placed(w.e, client);
    ck_assert_uint_eq(sim_pod(w.e, client)->node, n[1]);
    w2_free(&w);
}
END_TEST

/* Same prefilter and filters as a cycle: filter_node needs no cycle first,
 * and skip_fit leaves resources out. */
START_TEST(filter_node_skip_fit_leaves_resources_to_preemption)
{
    W2 w = w2_make(1);
    uint32_t n;
    w2_group(&w, "g", (GroupOpt){.cpu_m = 1000}, 1, &n);
    uint32_t p = w2_pod(&w, w2_wl(&w, "wide", SIM_WL_JOB, w.ns, 2000, MIB, NULL));
    char reason[SCHED_REASON_LEN];
    const char *plugin;
    ck_assert_int_eq(sched_filter_node(w.s, p, n, 0, reason, sizeof reason, &plugin), 0);
    ck_assert_str_eq(plugin, "NodeResourcesFit");
    ck_assert_str_eq(reason, "Insufficient cpu");
    ck_assert_int_eq(sched_filter_node(w.s, p, n, 1, reason, sizeof reason, &plugin), 1);
    ck_assert_ptr_null(plugin);
    w2_free(&w);
}
END_TEST

/* sched_filter_node keeps its prepared state between calls for the same
 * pod; pods and workloads created meanwhile move the engine's arrays, and
 * the state must not point into the old ones (ASan caught a read after
 * free in the autoscaler's scale-down). */
START_TEST(filter_node_state_survives_new_pods_and_workloads)
{
    W2 w = w2_make(1);
    uint32_t n;
    w2_group(&w, "g", (GroupOpt){.cpu_m = 1000}, 1, &n);
    uint32_t p = w2_pod(&w, w2_wl(&w, "wide", SIM_WL_JOB, w.ns, 2000, MIB, NULL));
    char reason[SCHED_REASON_LEN], name[32];
    const char *plugin;
    ck_assert_int_eq(sched_filter_node(w.s, p, n, 0, reason, sizeof reason, &plugin), 0);
    for (int k = 0; k < 64; k++) {   /* grows the pod and workload arrays many times over */
        snprintf(name, sizeof name, "more-%d", k);
        uint32_t wl = w2_wl(&w, name, SIM_WL_JOB, w.ns, 100, MIB, NULL);
        for (int i = 0; i < 32; i++)
            w2_pod(&w, wl);
    }
    ck_assert_int_eq(sched_filter_node(w.s, p, n, 0, reason, sizeof reason, &plugin), 0);
    ck_assert_str_eq(plugin, "NodeResourcesFit");
    ck_assert_str_eq(reason, "Insufficient cpu");
    w2_free(&w);
}
END_TEST

static Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *fit = tcase_create("fit");
    tcase_add_test(fit, fit_filter_passes_when_request_equals_free_capacity);
    tcase_add_test(fit, fit_filter_names_each_short_resource_as_upstream);
    tcase_add_test(fit, fit_filter_reports_every_short_resource_in_upstream_order);
    tcase_add_test(fit, fit_filter_ignores_nonzero_defaults);
    tcase_add_test(fit, fit_score_node_a_half_allocated_after_the_pod_is_50);
    tcase_add_test(fit, fit_score_node_b_example_truncates_to_37);
    tcase_add_test(fit, fit_score_request_above_allocatable_scores_zero_for_that_resource);
    tcase_add_test(fit, fit_score_uses_nonzero_defaults_for_pods_without_requests);
    tcase_add_test(fit, fit_is_the_default_profile_plugin_with_weight_1);
    tcase_add_test(fit, num_feasible_to_find_follows_the_adaptive_percentage);
    suite_add_tcase(s, fit);

    TCase *cyc = tcase_create("cycle");
    tcase_set_timeout(cyc, 600);
    tcase_add_test(cyc, cycle_binds_pod_to_the_least_allocated_node);
    tcase_add_test(cyc, cycle_marks_unfit_pod_unschedulable_with_upstream_message);
    tcase_add_test(cyc, cycle_message_counts_each_reason_of_a_node);
    tcase_add_test(cyc, cycle_message_sorts_count_reason_strings_as_upstream);
    tcase_add_test(cyc, unschedulable_pod_is_bound_when_a_node_becomes_ready);
    tcase_add_test(cyc, unschedulable_pod_is_bound_when_a_pod_terminates);
    tcase_add_test(cyc, provisioning_nodes_are_not_candidates);
    tcase_add_test(cyc, tie_break_is_deterministic_for_a_seed);
    tcase_add_test(cyc, tie_break_spreads_over_equal_nodes_across_seeds);
    tcase_add_test(cyc, cycle_examines_only_num_feasible_nodes_and_rotates_the_start);
    tcase_add_test(cyc, sched_oom_sweep_leaks_nothing);
    suite_add_tcase(s, cyc);

    TCase *prof = tcase_create("profile");
    tcase_set_timeout(prof, 600);
    tcase_add_test(prof, default_profile_plugins_in_upstream_order_with_default_weights);
    tcase_add_test(prof, nodes_to_score_5000_is_500);
    tcase_add_test(prof, node_unschedulable_rejects_with_upstream_reason);
    tcase_add_test(prof, nodename_restricts_the_pod_to_the_named_node);
    tcase_add_test(prof, daemonset_target_node_is_node_affinity);
    tcase_add_test(prof, taint_noschedule_rejects_with_upstream_reason);
    tcase_add_test(prof, taint_toleration_operators_and_effects);
    tcase_add_test(prof, node_affinity_selector_and_required_terms);
    tcase_add_test(prof, node_affinity_on_hostname_is_per_node);
    tcase_add_test(prof, spread_skew_example_from_reference);
    tcase_add_test(prof, spread_node_without_key_is_rejected_with_missing_label);
    tcase_add_test(prof, spread_min_domains_makes_global_min_zero);
    tcase_add_test(prof, spread_global_min_over_eligible_domains_only);
    tcase_add_test(prof, spread_hostname_keeps_max_skew_and_follows_terminations);
    tcase_add_test(prof, interpod_first_pod_may_match_own_affinity);
    tcase_add_test(prof, interpod_anti_affinity_own_and_existing);
    tcase_add_test(prof, balanced_allocation_example_a_beats_b);
    tcase_add_test(prof, balanced_allocation_skips_best_effort_pods);
    tcase_add_test(prof, taint_toleration_score_reverses_prefer_noschedule_counts);
    tcase_add_test(prof, node_affinity_score_normalizes_preferred_weights);
    tcase_add_test(prof, spread_score_system_defaults_for_deployments);
    tcase_add_test(prof, interpod_preferred_terms_score_normalized);
    tcase_add_test(prof, image_locality_scores_zero);
    tcase_add_test(prof, ties_broken_by_seeded_rng);
    tcase_add_test(prof, place_and_explain_agree);
    tcase_add_test(prof, place_matches_reference_path_on_random_clusters);
    tcase_add_test(prof, filter_node_skip_fit_leaves_resources_to_preemption);
    tcase_add_test(prof, filter_node_state_survives_new_pods_and_workloads);
    suite_add_tcase(s, prof);

    TCase *q = tcase_create("queue");
    tcase_set_timeout(q, 600);
    tcase_add_test(q, queue_priority_before_age);
    tcase_add_test(q, queue_backoff_doubles_to_10s);
    tcase_add_test(q, queue_node_ready_retries_only_pods_it_helps);
    tcase_add_test(q, queue_identical_unschedulable_pods_share_the_verdict);
    tcase_add_test(q, queue_pod_bound_retries_affinity_pods);
    tcase_add_test(q, queue_state_follows_the_pods_alive);
    suite_add_tcase(s, q);
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
    char dir[] = "/tmp/kubesim-test-sched-XXXXXX";
    if (mkdtemp(dir) == NULL || setenv(TMP_ENV, dir, 1) != 0) {
        perror("test_sched: mkdtemp");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(sched_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_dir(dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
