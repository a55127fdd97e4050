/*
 * test_control_plane.c: a region outage takes the region's control plane
 * with it (issue 14 item 2), on a real engine with the scheduler, the
 * controllers, the faults and (where named) the cluster autoscaler:
 *  - while a region is down its CronJob creates no Job; on return it runs
 *    the most recent missed schedule only, and only within
 *    startingDeadlineSeconds (k8s-behaviour.md §5.2);
 *  - its HPA holds the replica count until the region returns, then resumes
 *    with the stabilisation state it had (not a fresh first sight);
 *  - its autoscaler removes no node while down;
 *  - nothing binds in a dead region, and every held workload syncs on return;
 *  - a zone outage leaves the control plane up (CronJob and HPA go on);
 *  - no pod binds to a NotReady node, nor to a node with the
 *    node.kubernetes.io/unreachable or not-ready NoSchedule taint it does not
 *    tolerate.
 */
#include <check.h>
#include <string.h>

#include "scheduler/ca.h"
#include "scheduler/sched.h"
#include "workloads/faults.h"
#include "workloads/hpa.h"
#include "workloads/wl.h"

#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)
#define S(x) SIM_SEC(x)
#define D0 WL_DAY0_UNIX

static char tmpdir[] = "/tmp/kubesim-cp-XXXXXX";

typedef struct World {
    TwWorld t;
    SimEngine *e;
    WlControllers *c;
    WlFaults *f;
    SchedCa *ca;
} World;

/* One region "eu" with two zones and `nodes` Ready 8 CPU / 32 GiB nodes
 * (a group of at most 10), its scheduler, controllers and faults. */
static World world(SimTime end, int nodes)
{
    TwOpts o = {.seed = 5, .end = end, .nzones = 2, .group = "g", .alloc = {8000, 32 * GIB, 0, 110},
                .price = 1.0, .max = 10, .nodes = nodes};
    World w;
    memset(&w, 0, sizeof w);
    w.t = tw_world(&o);
    w.e = w.t.e;
    w.c = w.t.c;
    w.f = wl_fault_create(w.e, w.c);
    ck_assert_ptr_nonnull(w.f);
    return w;
}

static void world_free(World *w)
{
    sched_ca_destroy(w->ca);
    wl_fault_destroy(w->f);
    tw_free(&w->t);
}

static void outage(World *w, WlFaultKind kind, SimTime at, SimTime duration)
{
    WlFault ft = {.kind = kind, .at = at, .duration = duration, .group = SIM_NONE, .zone = w->t.zones[0],
                  .region = w->t.region};
    ck_assert_int_eq(wl_fault_add(w->f, &ft), SIM_OK);
}

static uint32_t start(World *w, const SimWorkload *wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static SimWorkload base(World *w, const char *name, SimWlKind kind, int32_t replicas)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = kind;
    wl.ns = w->t.ns;
    wl.region = w->t.region;
    wl.spec.req = (SimRes){1000, GIB, 0, 1};
    wl.spec.startup = S(2);
    wl.replicas = replicas;
    return wl;
}

/* A CronJob "*\/10 * * * *" created at t = 0 whose Jobs run one 60 s pod;
 * deadline < 0: no startingDeadlineSeconds. */
static uint32_t cronjob(World *w, SimTime deadline)
{
    SimWorkload cj = base(w, "report", SIM_WL_CRONJOB, 1);
    cj.spec.duration = S(60);
    cj.completions = 1;
    cj.cron.schedule = "*/10 * * * *";
    cj.cron.epoch = D0;
    cj.cron.deadline_set = deadline >= 0;
    cj.cron.starting_deadline = deadline >= 0 ? deadline : 0;
    cj.cron.successful_history = 100;
    return start(w, &cj);
}

/* The CronJob's Jobs: their schedule times (seconds after t = 0) and starts. */
static size_t runs(World *w, uint32_t cj, int64_t *sched, SimTime *started, size_t n)
{
    const uint32_t *jobs;
    size_t k = wl_cronjob_jobs(w->c, cj, &jobs);
    for (size_t i = 0; i < k && i < n; i++) {
        WlJobStatus st;
        ck_assert_int_eq(wl_job_status(w->c, jobs[i], &st), SIM_OK);
        sched[i] = st.scheduled_unix - D0;
        started[i] = st.start;
    }
    return k;
}

/* Pods of the engine bound in [t0, t1). */
static int binds_between(World *w, SimTime t0, SimTime t1)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        n += p->bound_at >= t0 && p->bound_at < t1;
    }
    return n;
}

/* Pods created in [t0, t1). */
static int created_between(World *w, SimTime t0, SimTime t1)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        n += p->created_at >= t0 && p->created_at < t1;
    }
    return n;
}

/* ---- CronJob ------------------------------------------------------------------------ */
/* The region is down from 1000 s to 2500 s: the runs of 1200, 1800 and 2400
 * are not created meanwhile (nor any pod bound); on return the CronJob finds
 * the most recent missed time, 2400, 100 s late and within its 300 s
 * deadline, and starts it at once (not 1200 or 1800); 3000 runs as usual. */
START_TEST(dead_region_cronjob_creates_nothing_then_runs_the_most_recent_missed)
{
    World w = world(S(4000), 4);
    uint32_t cj = cronjob(&w, S(300));
    outage(&w, WL_FAULT_REGION_OUTAGE, S(1000), S(1500));
    int64_t s[8];
    SimTime st[8];
    ts_run_to(w.e, S(2499));
    ck_assert(!sim_region_up(w.e, w.t.region));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 1);   /* 600 only */
    ck_assert_int_eq(s[0], 600);
    ck_assert_int_eq(created_between(&w, S(1000), S(2500)), 0);
    ck_assert_int_eq(binds_between(&w, S(1000), S(2500)), 0);
    ts_run_to(w.e, S(2500));
    ck_assert(sim_region_up(w.e, w.t.region));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 2);
    ck_assert_int_eq(s[1], 2400);
    ck_assert_int_eq(st[1], S(2500));
    ts_run_to(w.e, S(3100));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 3);
    ck_assert_int_eq(s[2], 3000);
    ck_assert_int_eq(st[2], S(3000) + SIM_MS(100));
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 3);
    world_free(&w);
}
END_TEST

/* The same outage with a 60 s deadline: 2400 is 100 s late on return, so
 * it is skipped (MissSchedule) and the next run is 3000's. */
START_TEST(dead_region_cronjob_skips_a_missed_run_past_its_deadline)
{
    World w = world(S(4000), 4);
    uint32_t cj = cronjob(&w, S(60));
    outage(&w, WL_FAULT_REGION_OUTAGE, S(1000), S(1500));
    int64_t s[8];
    SimTime st[8];
    ts_run_to(w.e, S(2999));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 1);
    ts_run_to(w.e, S(3100));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 2);
    ck_assert_int_eq(s[1], 3000);
    world_free(&w);
}
END_TEST

/* A zone outage leaves the control plane up: the CronJob's runs go on
 * (on the other zone's nodes). */
START_TEST(zone_outage_cronjob_keeps_running)
{
    World w = world(S(4000), 4);
    uint32_t cj = cronjob(&w, -1);
    outage(&w, WL_FAULT_ZONE_OUTAGE, S(1000), S(1500));
    int64_t s[8];
    SimTime st[8];
    ts_run_to(w.e, S(2499));
    ck_assert(sim_region_up(w.e, w.t.region));
    ck_assert_uint_eq(runs(&w, cj, s, st, 8), 4);
    ck_assert_int_eq(s[1], 1200);
    ck_assert_int_eq(st[3], S(2400) + SIM_MS(100));
    world_free(&w);
}
END_TEST

/* ---- HPA ---------------------------------------------------------------------------- */
static const WlHpaMetric cpu50 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 50, 0};

/* 10 pods at 10 % against a 50 % target, min 2: the calculator says 2 from
 * its first valid sample, the legacy window holds the first-sight 10 for
 * 5 min. */
static uint32_t quiet(World *w)
{
    SimWorkload d = base(w, "quiet", SIM_WL_DEPLOYMENT, 10);
    d.spec.usage_cpu_m = 100;
    uint32_t id = start(w, &d);
    WlHpaSpec spec = {.min = 2, .max = 20, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w->c, "quiet", id, &spec), SIM_OK);
    return id;
}

/* Down from 40 s to 500 s: the HPA (which would scale to 2 at 315 s) holds
 * 10 replicas until the region returns. Its first sync after, at 510 s,
 * finds no metrics: metrics-server dropped every pod at its first scrape
 * after the kubelets went down and needs two scrapes (510 s, 525 s) for a
 * CPU rate again, so the metric is invalid and nothing scales. At 525 s it
 * scales to 2 at once: the recommendations it kept are all older than the
 * window. Had it started over, its first sight would hold 10 for another
 * 5 min. */
START_TEST(dead_region_hpa_holds_replicas_then_resumes_with_its_state)
{
    World w = world(S(1200), 4);
    uint32_t d = quiet(&w);
    outage(&w, WL_FAULT_REGION_OUTAGE, S(40), S(460));
    ts_run_to(w.e, S(499));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_downs, 0);
    ts_run_to(w.e, S(510));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->limited_by, WL_HPA_LIMIT_INVALID);
    ts_run_to(w.e, S(524));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ts_run_to(w.e, S(525));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_downs, 1);
    world_free(&w);
}
END_TEST

/* A zone outage leaves the HPA running, but the 5 pods of the dead zone have
 * no metrics from metrics-server's first scrape after the crash (45 s): on a
 * scale-down each counts at 100 % of its request (groupPods' missing pods),
 * (500m + 5000m) / 10000m = 55 % -> 1.1, within tolerance: 10 held where the
 * healthy run scales to 2 at 315 s. Taint eviction (crash + 50 s + 300 s)
 * replaces them in the other zone from 390 s; the calculator says 2 again,
 * and the legacy window keeps the last recommendation of 10 (375 s) for
 * 5 min: 2 replicas at 705 s. */
START_TEST(zone_outage_hpa_keeps_running)
{
    World w = world(S(1200), 4);
    uint32_t d = quiet(&w);
    outage(&w, WL_FAULT_ZONE_OUTAGE, S(40), S(460));
    ts_run_to(w.e, S(300));
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 10);
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->limited_by, WL_HPA_LIMIT_TOLERANCE);
    ts_run_to(w.e, S(499));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_downs, 0);
    ts_run_to(w.e, S(705));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    world_free(&w);
}
END_TEST

/* ---- Deployments and the scheduler ---------------------------------------------------- */
/* A Deployment scaled while its region is down creates no pod until the
 * region returns; then its pods are created and bound at once. */
START_TEST(dead_region_deployment_waits_for_the_region)
{
    World w = world(S(1200), 4);
    SimWorkload dw = base(&w, "api", SIM_WL_DEPLOYMENT, 2);
    uint32_t d = start(&w, &dw);
    outage(&w, WL_FAULT_REGION_OUTAGE, S(100), S(400));
    ts_run_to(w.e, S(200));
    ck_assert_int_eq(wl_scale(w.c, d, 6), SIM_OK);
    ts_run_to(w.e, S(499));
    ck_assert_int_eq(sim_workload(w.e, d)->active, 2);
    ck_assert_int_eq(created_between(&w, S(100), S(500)), 0);
    ts_run_to(w.e, S(500));
    ck_assert_int_eq(sim_workload(w.e, d)->active, 6);
    ck_assert_int_eq(binds_between(&w, S(500), S(501)), 4);
    world_free(&w);
}
END_TEST

/* Pods created before the outage and still Pending are not bound while the
 * region is down (its scheduler is down too), and are bound when it returns. */
START_TEST(dead_region_scheduler_binds_nothing)
{
    World w = world(S(1200), 4);
    outage(&w, WL_FAULT_REGION_OUTAGE, 0, S(300));
    ts_run_to(w.e, 0);
    SimWorkload pw = base(&w, "bare", SIM_WL_DEPLOYMENT, 0);
    uint32_t wl;
    ck_assert_int_eq(sim_workload_add(w.e, &pw, &wl), SIM_OK);
    uint32_t pod;
    ck_assert_int_eq(sim_pod_create(w.e, wl, &pod), SIM_OK);   /* a pod its scheduler has queued */
    ts_run_to(w.e, S(299));
    ck_assert_int_eq(sim_pod(w.e, pod)->phase, SIM_POD_PENDING);
    ts_run_to(w.e, S(300));
    ck_assert_int_eq(sim_pod(w.e, pod)->bound_at, S(300));
    world_free(&w);
}
END_TEST

/* ---- the autoscaler ----------------------------------------------------------------- */
/* Four empty nodes (group minimum 0): with no fault the autoscaler removes
 * them once unneeded for 10 min; with the region down from 60 s to 1500 s it
 * removes nothing until the region is back, then resumes with its unneeded
 * timers (running since before the outage: the nodes go at its first loop). */
static uint64_t removed_by(SimTime outage_end, SimTime t)
{
    World w = world(S(3000), 4);
    if (outage_end > 0)
        outage(&w, WL_FAULT_REGION_OUTAGE, S(60), outage_end - S(60));
    SchedCaConfig cfg;
    sched_ca_config_default(&cfg);
    w.ca = sched_ca_create(w.t.s, &cfg);
    ck_assert_ptr_nonnull(w.ca);
    ts_run_to(w.e, t);
    uint64_t n = sched_ca_nodes_removed(w.ca);
    world_free(&w);
    return n;
}

START_TEST(dead_region_autoscaler_removes_nothing_until_it_returns)
{
    ck_assert_uint_gt(removed_by(0, S(1499)), 0);   /* the control: it would have */
    ck_assert_uint_eq(removed_by(S(1500), S(1499)), 0);
    ck_assert_uint_gt(removed_by(S(1500), S(1510)), 0);
}
END_TEST

/* ---- nodes the scheduler must not pick -------------------------------------------- */
/* A crashed node is NotReady 50 s later: no pod binds there afterwards, not
 * even one tolerating every taint (kubesim's scheduler skips NotReady nodes). */
START_TEST(no_pod_binds_to_a_not_ready_node)
{
    World w = world(S(1200), 1);
    WlFault crash = {.kind = WL_FAULT_NODE_CRASH, .at = 0, .node = sim_node(w.e, 0)->name, .group = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(w.f, &crash), SIM_OK);
    ts_run_to(w.e, S(60));
    ck_assert_int_eq(sim_node(w.e, 0)->state, SIM_NODE_NOT_READY);
    ck_assert(sim_region_up(w.e, w.t.region));   /* a node crash leaves the control plane up */
    static SimToleration all = {NULL, SIM_TOL_EXISTS, NULL, -1, -1};
    SimWorkload dw = base(&w, "tolerant", SIM_WL_DEPLOYMENT, 3);
    dw.spec.tolerations = &all;
    dw.spec.ntolerations = 1;
    uint32_t d = start(&w, &dw);
    ts_run_to(w.e, S(600));
    ck_assert_int_eq(sim_workload(w.e, d)->active, 3);
    ck_assert_int_eq(binds_between(&w, S(60), S(601)), 0);
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++)
        if (sim_pod(w.e, i)->wl == d)
            ck_assert_int_eq(sim_pod(w.e, i)->phase, SIM_POD_PENDING);
    world_free(&w);
}
END_TEST

/* Nodes carrying node.kubernetes.io/unreachable or not-ready with effect
 * NoSchedule take no pod that does not tolerate the taint (TaintToleration);
 * the control, a pod tolerating it, binds there. Returns the pods bound. */
static int bound_on_tainted_node(const char *key, int tolerate)
{
    SimConfig cfg = {.seed = 1, .end = S(600), .queue = SIM_EVQ_FAST};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    uint32_t region, ns, group, node;
    ck_assert_int_eq(sim_region_add(e, "eu", &region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(e, "default", &ns), SIM_OK);
    SimTaint taint = {(char *)key, (char *)"", SIM_TAINT_NO_SCHEDULE};
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"g";
    g.region = region;
    g.alloc = (SimRes){8000, 32 * GIB, 0, 110};
    g.max = 2;
    g.taints = &taint;
    g.ntaints = 1;
    ck_assert_int_eq(sim_nodegroup_add(e, &g, &group), SIM_OK);
    ck_assert_int_eq(sim_node_add(e, group, 1, &node), SIM_OK);
    SchedScheduler *s = sched_create(e);
    WlControllers *c = wl_create(e);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(c);
    SimToleration tol = {(char *)key, SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_SCHEDULE, -1};
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)"api";
    wl.kind = SIM_WL_DEPLOYMENT;
    wl.ns = ns;
    wl.region = region;
    wl.spec.req = (SimRes){1000, GIB, 0, 1};
    wl.spec.tolerations = tolerate ? &tol : NULL;
    wl.spec.ntolerations = tolerate ? 1 : 0;
    wl.replicas = 2;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(c, id), SIM_OK);
    ts_run_to(e, S(300));
    ck_assert_int_eq(sim_workload(e, id)->active, 2);
    int bound = 0;
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        bound += p->node == node;
        if (p->node != node)
            ck_assert(p->phase == SIM_POD_PENDING && p->unschedulable);
    }
    wl_destroy(c);
    sched_destroy(s);
    sim_engine_destroy(e);
    return bound;
}

START_TEST(no_pod_binds_to_a_node_with_the_unreachable_or_not_ready_taint)
{
    ck_assert_int_eq(bound_on_tainted_node("node.kubernetes.io/unreachable", 0), 0);
    ck_assert_int_eq(bound_on_tainted_node("node.kubernetes.io/not-ready", 0), 0);
    ck_assert_int_eq(bound_on_tainted_node("node.kubernetes.io/unreachable", 1), 2);   /* the control */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("control_plane");
    TCase *tc = tcase_create("region");
    tcase_add_test(tc, dead_region_cronjob_creates_nothing_then_runs_the_most_recent_missed);
    tcase_add_test(tc, dead_region_cronjob_skips_a_missed_run_past_its_deadline);
    tcase_add_test(tc, zone_outage_cronjob_keeps_running);
    tcase_add_test(tc, dead_region_hpa_holds_replicas_then_resumes_with_its_state);
    tcase_add_test(tc, zone_outage_hpa_keeps_running);
    tcase_add_test(tc, dead_region_deployment_waits_for_the_region);
    tcase_add_test(tc, dead_region_scheduler_binds_nothing);
    tcase_add_test(tc, dead_region_autoscaler_removes_nothing_until_it_returns);
    suite_add_tcase(s, tc);
    TCase *nc = tcase_create("nodes");
    tcase_add_test(nc, no_pod_binds_to_a_not_ready_node);
    tcase_add_test(nc, no_pod_binds_to_a_node_with_the_unreachable_or_not_ready_taint);
    suite_add_tcase(s, nc);
    return s;
}

int main(void)
{
    return tr_main(suite(), tmpdir);
}
