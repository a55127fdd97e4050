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

#define TMP_ENV "KUBESIM_SCHED_TEST_DIR"
#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)

/* ---- pure plugin fixtures --------------------------------------------------- */

static SimNode node_of(int64_t cpu_m, int64_t mem, int64_t gpu, int64_t pods)
{
    SimNode n;
    memset(&n, 0, sizeof n);
    n.alloc = (SimRes){.cpu_m = cpu_m, .mem = mem, .gpu = gpu, .pods = pods};
    n.state = SIM_NODE_READY;
    n.pods_head = SIM_NONE;
    return n;
}

/* Puts a pod's requests on the node, as sim_pod_bind does. */
static void node_use(SimNode *n, int64_t cpu_m, int64_t mem, int64_t gpu)
{
    SimRes r = {cpu_m, mem, gpu, 1};
    SimRes nz = sim_nonzero_requests(&r);
    n->req.cpu_m += r.cpu_m;
    n->req.mem += r.mem;
    n->req.gpu += r.gpu;
    n->req.pods += 1;
    n->nz_req.cpu_m += nz.cpu_m;
    n->nz_req.mem += nz.mem;
    n->nz_req.gpu += nz.gpu;
    n->nz_req.pods += 1;
}

static SimPod pod_of(int64_t cpu_m, int64_t mem, int64_t gpu)
{
    SimPod p;
    memset(&p, 0, sizeof p);
    p.req = (SimRes){cpu_m, mem, gpu, 1};
    p.nz_req = sim_nonzero_requests(&p.req);
    p.node = SIM_NONE;
    return p;
}

/* Runs the filter; returns the reason ("" when the node passes). */
static const char *filter(const SimPod *p, const SimNode *n, char *buf)
{
    SchedCycle c = {NULL, 0, p, NULL};
    strcpy(buf, "stale text");
    int ok = sched_fit_filter(&c, n, buf, SCHED_REASON_LEN);
    ck_assert_int_eq(ok, buf[0] == '\0');
    return buf;
}

static int64_t score(const SimPod *p, const SimNode *n)
{
    SchedCycle c = {NULL, 0, p, NULL};
    return sched_fit_score_least_allocated(&c, n);
}

/* ---- NodeResourcesFit filter (§3.3) ----------------------------------------- */

START_TEST(fit_filter_passes_when_request_equals_free_capacity)
{
    char buf[SCHED_REASON_LEN];
    SimNode n = node_of(4000, 8 * GIB, 1, 110);
    node_use(&n, 3000, 6 * GIB, 0);
    SimPod p = pod_of(1000, 2 * GIB, 1);
    ck_assert_str_eq(filter(&p, &n, buf), "");
}
END_TEST

START_TEST(fit_filter_names_each_short_resource_as_upstream)
{
    char buf[SCHED_REASON_LEN];
    SimNode n = node_of(4000, 8 * GIB, 1, 110);
    node_use(&n, 3000, 6 * GIB, 1);
    SimPod cpu = pod_of(1001, GIB, 0);
    ck_assert_str_eq(filter(&cpu, &n, buf), "Insufficient cpu");
    SimPod mem = pod_of(1000, 2 * GIB + 1, 0);
    ck_assert_str_eq(filter(&mem, &n, buf), "Insufficient memory");
    SimPod gpu = pod_of(100, MIB, 1);
    ck_assert_str_eq(filter(&gpu, &n, buf), "Insufficient nvidia.com/gpu");
    SimNode nogpu = node_of(4000, 8 * GIB, 0, 110);
    ck_assert_str_eq(filter(&gpu, &nogpu, buf), "Insufficient nvidia.com/gpu");
    SimNode full = node_of(4000, 8 * GIB, 0, 2);
    node_use(&full, 100, MIB, 0);
    node_use(&full, 100, MIB, 0);
    SimPod small = pod_of(100, MIB, 0);
    ck_assert_str_eq(filter(&small, &full, buf), "Too many pods");
}
END_TEST

/* fitsRequest checks the pod count first, then cpu, memory and each extended
 * resource, and reports every one that is short. */
START_TEST(fit_filter_reports_every_short_resource_in_upstream_order)
{
    char buf[SCHED_REASON_LEN];
    SimNode n = node_of(2000, 4 * GIB, 1, 1);
    node_use(&n, 1500, 3 * GIB, 1);
    SimPod p = pod_of(1000, 2 * GIB, 1);
    ck_assert_str_eq(filter(&p, &n, buf),
                     "Too many pods, Insufficient cpu, Insufficient memory, Insufficient nvidia.com/gpu");
    SimPod two = pod_of(1000, 2 * GIB, 0);
    SimNode roomy = node_of(2000, 4 * GIB, 0, 110);
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
    SimNode n = node_of(1000, GIB, 0, 110);
    node_use(&n, 1000, GIB, 0);
    SimPod bare = pod_of(0, 0, 0);
    ck_assert_str_eq(filter(&bare, &n, buf), "");
    SimNode slots = node_of(1000, GIB, 0, 1);
    node_use(&slots, 0, 0, 0);
    ck_assert_str_eq(filter(&bare, &slots, buf), "Too many pods");
}
END_TEST

/* ---- LeastAllocated score (§3.3, examples of §3.4) --------------------------- */

START_TEST(fit_score_node_a_half_allocated_after_the_pod_is_50)
{
    SimNode a = node_of(4000, 8 * GIB, 0, 110);
    node_use(&a, 1000, 2 * GIB, 0);
    SimPod p = pod_of(1000, 2 * GIB, 0);   /* after: 2 CPU / 4 GiB of 4 / 8 */
    ck_assert_int_eq(score(&p, &a), 50);
}
END_TEST

START_TEST(fit_score_node_b_example_truncates_to_37)
{
    SimNode b = node_of(4000, 8 * GIB, 0, 110);
    node_use(&b, 2000, 2 * GIB, 0);
    SimPod p = pod_of(1000, 2 * GIB, 0);   /* after: 3 CPU / 4 GiB: (25 + 50) / 2 */
    ck_assert_int_eq(score(&p, &b), 37);
}
END_TEST

START_TEST(fit_score_request_above_allocatable_scores_zero_for_that_resource)
{
    SimNode n = node_of(1000, GIB, 0, 110);
    node_use(&n, 900, 256 * MIB, 0);
    SimPod p = pod_of(200, 256 * MIB, 0);   /* cpu 1100 > 1000: 0; memory 50 */
    ck_assert_int_eq(score(&p, &n), 25);
    SimPod huge = pod_of(2000, 2 * GIB, 0);
    SimNode empty = node_of(1000, GIB, 0, 110);
    ck_assert_int_eq(score(&huge, &empty), 0);
    SimNode zero = node_of(0, 0, 0, 110);     /* no allocatable: 0, not a division by zero */
    ck_assert_int_eq(score(&p, &zero), 0);
}
END_TEST

/* Containers without requests count as 100m / 200 MiB in the score. */
START_TEST(fit_score_uses_nonzero_defaults_for_pods_without_requests)
{
    SimNode n = node_of(1000, 1000 * MIB, 0, 110);
    SimPod bare = pod_of(0, 0, 0);          /* cpu 90, memory 80 */
    ck_assert_int_eq(score(&bare, &n), 85);
    SimPod cpu_only = pod_of(500, 0, 0);    /* cpu 50, memory 80 */
    ck_assert_int_eq(score(&cpu_only, &n), 65);
    node_use(&n, 0, 0, 0);                  /* a bare pod already there: 100m / 200 MiB */
    ck_assert_int_eq(score(&bare, &n), 70); /* cpu 80, memory 60 */
}
END_TEST

START_TEST(fit_is_the_default_profile_plugin_with_weight_1)
{
    size_t n = 0;
    const SchedPlugin *pl = sched_default_plugins(&n);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(pl[i].name, "NodeResourcesFit") == 0) {
            found = 1;
            ck_assert_int_eq(pl[i].weight, 1);
            ck_assert(pl[i].filter == sched_fit_filter);
            ck_assert(pl[i].score == sched_fit_score_least_allocated);
        }
    ck_assert(found);
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

/* A marker event that re-queues itself at the same instant a few times, so
 * that it runs after the cascade of events that instant's handlers schedule
 * (pod finished -> scheduling cycle -> bind -> start). */
typedef struct Marker {
    int hit, left;
} Marker;

static void on_marker(void *ctx, SimEngine *e, const SimEvent *ev)
{
    Marker *m = ctx;
    (void)ev;
    if (m->left-- > 0)
        ck_assert_int_eq(sim_schedule(e, sim_now(e), SIM_EV_HOOK, 0, 0, 0), SIM_OK);
    else
        m->hit = 1;
}

/* Runs until simulated time t and everything that happens at t. */
static void run_to(SimEngine *e, SimTime t)
{
    Marker m = {0, 16};
    sim_engine_on(e, SIM_EV_HOOK, on_marker, &m);
    ck_assert_int_eq(sim_schedule(e, t, SIM_EV_HOOK, 0, 0, 0), SIM_OK);
    while (!m.hit)
        ck_assert_int_eq(sim_step(e), SIM_OK);
    ck_assert_int_eq(sim_now(e), t);
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
    char err[256];
    SimTraceReader *r = sim_trace_open(m, path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
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
    run_to(w.e, 0);   /* the cycle runs at the same instant */
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
    run_to(w.e, SIM_SEC(1));
    ck_assert_uint_eq(sim_pod(w.e, q)->node, n[2]);
    ck_assert_uint_eq(sim_pod(w.e, b)->node, n[1]);
    ck_assert_uint_eq(sim_stats(w.e)->pods_scheduled, 6);
    world_free(&w);
}
END_TEST

START_TEST(cycle_marks_unfit_pod_unschedulable_with_upstream_message)
{
    char path[1024], err[256], sha[65], reason[SCHED_REASON_LEN];
    tmp_path(path, sizeof path, "unsched.kst");
    World w = world(1, 1);
    add_node(&w, w.group, 1);
    add_node(&w, w.group, 1);
    SimTraceWriter *tw = sim_trace_create(sim_mem(w.e), path, "{}", err, sizeof err);
    ck_assert_msg(tw != NULL, "%s", err);
    sim_set_trace(w.e, tw);
    uint32_t huge = add_workload(&w, "huge", 5000, GIB, 0);
    uint32_t p = new_pod(&w, huge);
    run_to(w.e, SIM_SEC(1));
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
    run_to(w.e, SIM_SEC(30) - 1);
    ck_assert_uint_eq(sim_pod(w.e, f)->node, ready);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_PENDING);
    ck_assert_int_eq(sim_pod(w.e, p)->unschedulable, 1);
    run_to(w.e, SIM_SEC(30));
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
    run_to(w.e, SIM_SEC(20) - 1);
    ck_assert_int_eq(sim_pod(w.e, j)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_pod(w.e, p)->unschedulable, 1);
    run_to(w.e, SIM_SEC(20));
    ck_assert_int_eq(sim_pod(w.e, j)->phase, SIM_POD_SUCCEEDED);
    assert_placed(w.e, p);
    ck_assert_uint_eq(sim_pod(w.e, p)->node, n);
    ck_assert_int_eq(sim_pod(w.e, p)->bound_at, SIM_SEC(20));

    /* A deletion frees capacity too. */
    uint32_t wide = add_workload(&w, "wide", 3000, GIB, 0);
    uint32_t q = new_pod(&w, wide);
    run_to(w.e, SIM_SEC(21));
    ck_assert_int_eq(sim_pod(w.e, q)->unschedulable, 1);
    ck_assert_int_eq(sim_pod_delete(w.e, p), SIM_OK);
    run_to(w.e, SIM_SEC(22));
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
    run_to(w.e, SIM_SEC(1));
    ck_assert_uint_eq(sim_pod(w.e, f)->node, ready);
    ck_assert_uint_eq(sim_pod(w.e, a)->node, ready);
    ck_assert_int_eq(sim_pod(w.e, b)->phase, SIM_POD_PENDING);
    SchedResult res;
    ck_assert_int_eq(sched_place(w.s, b, &res), SIM_OK);
    ck_assert_uint_eq(res.examined, 1);
    ck_assert_str_eq(res.reason, "0/1 nodes are available: 1 Insufficient cpu.");
    run_to(w.e, SIM_SEC(30));
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
    run_to(w.e, SIM_SEC(1));
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
