/*
 * test_wl.c: the Deployment and Job controllers, run on a real engine with the
 * scheduler placing their pods. Pins that a Deployment keeps `replicas` pods
 * (replacing deleted ones, scaling down newest first) and that a Job keeps at
 * most `parallelism` pods active until `completions` have succeeded, starting
 * no earlier than its start time (k8s-behaviour.md §5.1, NonIndexed Job).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/sched.h"
#include "workloads/wl.h"

#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)

typedef TwWorld World;

/* A region with four ready 4 CPU / 8 GiB nodes, the scheduler and the
 * controllers. */
static World world(void)
{
    TwOpts o = {.seed = 11, .end = SIM_SEC(600), .region = "eu-west", .alloc = {4000, 8 * GIB, 0, 110},
                .price = 1.0, .max = 10, .nodes = 4};
    return tw_world(&o);
}

/* Declares and starts a workload: 500m / 1 GiB pods, 2 s start-up. A Job's
 * pods run `duration`; `replicas` is a Job's parallelism. */
static uint32_t start(World *w, const char *name, SimWlKind kind, int32_t replicas,
                      int32_t completions, SimTime duration, SimTime start_at)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = kind;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){500, GIB, 0, 1};
    wl.spec.startup = SIM_SEC(2);
    wl.spec.duration = duration;
    wl.replicas = replicas;
    wl.completions = completions;
    wl.start_at = start_at;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static int live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

/* Live pods of a workload; their ordinals go to a bit set (ordinals < 64). */
static int live_pods(SimEngine *e, uint32_t wl, uint64_t *ordinals)
{
    int n = 0;
    if (ordinals)
        *ordinals = 0;
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        if (p->wl != wl || !live(p))
            continue;
        n++;
        if (ordinals && p->ordinal < 64)
            *ordinals |= UINT64_C(1) << p->ordinal;
    }
    return n;
}

static int pods_of(SimEngine *e, uint32_t wl)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(e); i++)
        n += sim_pod(e, i)->wl == wl;
    return n;
}

/* ---- Deployment ----------------------------------------------------------- */

START_TEST(deployment_creates_its_replicas_at_start)
{
    World w = world();
    uint32_t d = start(&w, "web", SIM_WL_DEPLOYMENT, 3, 0, 0, 0);
    ts_run_to(w.e, 0);
    ck_assert_int_eq(live_pods(w.e, d, NULL), 3);
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++) {
        ck_assert_int_eq(sim_pod(w.e, i)->created_at, 0);
        ck_assert_int_eq(sim_pod(w.e, i)->phase, SIM_POD_BOUND);
    }
    ck_assert_int_eq(sim_workload(w.e, d)->active, 3);
    ts_run_to(w.e, SIM_SEC(60));
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 3);
    ck_assert_int_eq(pods_of(w.e, d), 3);   /* nothing more is created */
    tw_free(&w);
}
END_TEST

START_TEST(deployment_replaces_a_deleted_pod)
{
    World w = world();
    uint32_t d = start(&w, "web", SIM_WL_DEPLOYMENT, 3, 0, 0, 0);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_pod_delete(w.e, 1), SIM_OK);
    ts_run_to(w.e, SIM_SEC(10));
    uint64_t ords;
    ck_assert_int_eq(live_pods(w.e, d, &ords), 3);
    ck_assert_uint_eq(ords, 0x0d);   /* 0, 2 and the replacement 3 */
    ck_assert_int_eq(sim_pod(w.e, 1)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, 3)->created_at, SIM_SEC(10));
    ck_assert_uint_ne(sim_pod(w.e, 3)->node, SIM_NONE);
    ck_assert_int_eq(sim_workload(w.e, d)->active, 3);
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 2);
    ts_run_to(w.e, SIM_SEC(12));
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 3);
    ck_assert_int_eq(pods_of(w.e, d), 4);
    tw_free(&w);
}
END_TEST

/* Four pods on four nodes, so that no pod is doubled up on a node: upstream's
 * ranking (ActivePodsWithRanks) would delete co-located pods first (pinned in
 * test_apps.c); here the most recently ready go, which are the newest. */
START_TEST(deployment_scales_up_and_down_deleting_the_newest_pods)
{
    World w = world();
    uint32_t d = start(&w, "web", SIM_WL_DEPLOYMENT, 2, 0, 0, 0);
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(wl_scale(w.c, d, 4), SIM_OK);
    ts_run_to(w.e, SIM_SEC(5));
    uint64_t ords;
    ck_assert_int_eq(live_pods(w.e, d, &ords), 4);
    ck_assert_uint_eq(ords, 0x0f);
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 4);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 4);
    ck_assert_int_eq(wl_scale(w.c, d, 2), SIM_OK);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(live_pods(w.e, d, &ords), 2);
    ck_assert_uint_eq(ords, 0x03);   /* the two oldest are kept */
    ck_assert_int_eq(sim_workload(w.e, d)->active, 2);
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 2);
    for (uint32_t i = 2; i < 4; i++) {
        ck_assert_int_eq(sim_pod(w.e, i)->phase, SIM_POD_DELETED);
        ck_assert_int_eq(sim_pod(w.e, i)->ended_at, SIM_SEC(10));
    }
    int64_t pods_on_nodes = 0;
    for (uint32_t n = 0; n < sim_node_count(w.e); n++)
        pods_on_nodes += sim_node(w.e, n)->req.pods;
    ck_assert_int_eq(pods_on_nodes, 2);
    ck_assert_int_eq(wl_scale(w.c, d, 2), SIM_OK);   /* unchanged: nothing happens */
    ts_run_to(w.e, SIM_SEC(100));
    ck_assert_int_eq(pods_of(w.e, d), 4);
    tw_free(&w);
}
END_TEST

/* ---- Job ---------------------------------------------------------------------- */

typedef struct JobRun {
    int max_active;
    SimTime finished_at;
} JobRun;

/* Steps to the end, tracking the most live pods of the job at once and when
 * it finished. */
static JobRun run_job(World *w, uint32_t job)
{
    JobRun r = {0, -1};
    int rc;
    while ((rc = sim_step(w->e)) == SIM_OK) {
        int n = live_pods(w->e, job, NULL);
        if (n > r.max_active)
            r.max_active = n;
        if (r.finished_at < 0 && sim_workload(w->e, job)->finished)
            r.finished_at = sim_now(w->e);
    }
    ck_assert_int_eq(rc, SIM_DONE);
    return r;
}

/* completions 5, parallelism 2: rounds of 2, 2 and 1 pods, each start-up 2 s
 * plus duration 10 s, so the Job completes at 3 x 12 s = 36 s. */
START_TEST(job_runs_at_most_parallelism_pods_and_finishes_after_three_rounds)
{
    World w = world();
    uint32_t j = start(&w, "batch", SIM_WL_JOB, 2, 5, SIM_SEC(10), 0);
    JobRun r = run_job(&w, j);
    ck_assert_int_eq(r.max_active, 2);
    ck_assert_int_eq(r.finished_at, SIM_SEC(36));
    const SimWorkload *wl = sim_workload(w.e, j);
    ck_assert_int_eq(wl->succeeded, 5);
    ck_assert_int_eq(wl->active, 0);
    ck_assert_int_eq(wl->finished, 1);
    ck_assert_int_eq(pods_of(w.e, j), 5);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 1);
    static const int64_t created_s[] = {0, 0, 12, 12, 24};
    for (uint32_t i = 0; i < 5; i++) {
        ck_assert_int_eq(sim_pod(w.e, i)->created_at, SIM_SEC(created_s[i]));
        ck_assert_int_eq(sim_pod(w.e, i)->phase, SIM_POD_SUCCEEDED);
        ck_assert_int_eq(sim_pod(w.e, i)->ended_at, SIM_SEC(created_s[i] + 12));
    }
    tw_free(&w);
}
END_TEST

START_TEST(job_never_runs_more_pods_than_remaining_completions)
{
    World w = world();
    uint32_t j = start(&w, "wide", SIM_WL_JOB, 5, 3, SIM_SEC(10), 0);
    JobRun r = run_job(&w, j);
    ck_assert_int_eq(r.max_active, 3);
    ck_assert_int_eq(r.finished_at, SIM_SEC(12));
    ck_assert_int_eq(pods_of(w.e, j), 3);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 1);
    tw_free(&w);
}
END_TEST

START_TEST(job_with_a_start_time_creates_nothing_before_it)
{
    World w = world();
    uint32_t j = start(&w, "nightly", SIM_WL_JOB, 1, 1, SIM_SEC(10), SIM_SEC(50));
    ts_run_to(w.e, SIM_SEC(50) - 1);
    ck_assert_uint_eq(sim_pod_count(w.e), 0);
    ck_assert_int_eq(sim_workload(w.e, j)->active, 0);
    ck_assert_uint_eq(sim_stats(w.e)->pods_created, 0);
    ts_run_to(w.e, SIM_SEC(50));
    ck_assert_uint_eq(sim_pod_count(w.e), 1);
    ck_assert_int_eq(sim_pod(w.e, 0)->created_at, SIM_SEC(50));
    JobRun r = run_job(&w, j);
    ck_assert_int_eq(r.finished_at, SIM_SEC(62));
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 1);
    tw_free(&w);
}
END_TEST

/* ---- out of memory ---------------------------------------------------------------- */

static int oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    TwOpts o = {.seed = 4, .end = SIM_SEC(60), .mem = m, .region = "r", .ns = "ns", .group = "g",
                .alloc = {4000, 8 * GIB, 0, 110}, .nodes = 2};
    TwWorld w;
    int rc = tw_build(&w, &o);
    uint32_t d, j;
    SimWorkload ws;
    memset(&ws, 0, sizeof ws);
    ws.name = (char *)"web";
    ws.spec.req = (SimRes){500, GIB, 0, 1};
    ws.replicas = 6;
    if (rc || (rc = sim_workload_add(w.e, &ws, &d)))
        goto out;
    ws.name = (char *)"job";
    ws.kind = SIM_WL_JOB;
    ws.replicas = 3;
    ws.completions = 7;
    ws.spec.duration = SIM_SEC(5);
    if ((rc = sim_workload_add(w.e, &ws, &j)) || (rc = wl_start(w.c, d)) || (rc = wl_start(w.c, j)))
        goto out;
    for (int steps = 0; (rc = sim_step(w.e)) == SIM_OK; steps++)
        if (steps == 20 && ((rc = wl_scale(w.c, d, 2)) || (rc = sim_pod_delete(w.e, 0))))
            goto out;
    if (rc == SIM_DONE)
        rc = SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d", rc);
    tw_free(&w);
    return rc != SIM_OK;
}

START_TEST(wl_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(oom_run, NULL, 1, 100000);
}
END_TEST

/* A second group whose nodes carry a NoSchedule taint the DaemonSet does not
 * tolerate: its pods go on the four untainted nodes only, one each. */
START_TEST(daemonset_places_one_pod_per_admitting_node)
{
    World w = world();
    SimTaint taint = {(char *)"dedicated", (char *)"gpu", SIM_TAINT_NO_SCHEDULE};
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"gpu";
    g.region = w.region;
    g.alloc = (SimRes){.cpu_m = 8000, .mem = 16 * GIB, .gpu = 1, .pods = 110};
    g.taints = &taint;
    g.ntaints = 1;
    g.max = 4;
    g.provision_delay = SIM_SEC(30);
    uint32_t gpu, n;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &gpu), SIM_OK);
    ck_assert_int_eq(sim_node_add(w.e, gpu, 1, &n), SIM_OK);
    uint32_t ds = start(&w, "exporter", SIM_WL_DAEMONSET, 0, 0, 0, 0);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(live_pods(w.e, ds, NULL), 4);
    int on[8] = {0};
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++) {
        const SimPod *p = sim_pod(w.e, i);
        if (p->wl == ds && live(p)) {
            ck_assert_uint_ne(p->target_node, SIM_NONE);
            ck_assert_uint_lt(p->target_node, 4);   /* never the tainted node (id 4) */
            ck_assert_int_eq(on[p->target_node]++, 0);
        }
    }
    /* A new untainted node gets its pod once it is Ready. */
    ck_assert_int_eq(sim_node_add(w.e, w.group, 1, &n), SIM_OK);
    ts_run_to(w.e, SIM_SEC(20));
    ck_assert_int_eq(live_pods(w.e, ds, NULL), 5);
    tw_free(&w);
}
END_TEST

START_TEST(daemonset_replaces_a_deleted_pod_on_the_same_node)
{
    World w = world();
    uint32_t ds = start(&w, "exporter", SIM_WL_DAEMONSET, 0, 0, 0, 0);
    ts_run_to(w.e, SIM_SEC(5));
    uint32_t victim = SIM_NONE;
    for (uint32_t i = 0; i < sim_pod_count(w.e) && victim == SIM_NONE; i++)
        if (sim_pod(w.e, i)->wl == ds)
            victim = i;
    uint32_t node = sim_pod(w.e, victim)->target_node;
    ck_assert_int_eq(sim_pod_delete(w.e, victim), SIM_OK);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(live_pods(w.e, ds, NULL), 4);
    int found = 0;
    for (uint32_t i = victim + 1; i < sim_pod_count(w.e); i++)
        found |= sim_pod(w.e, i)->wl == ds && sim_pod(w.e, i)->target_node == node;
    ck_assert(found);
    tw_free(&w);
}
END_TEST

/* status.desiredNumberScheduled (the `replicas` metric) follows the nodes
 * that exist: up as they come, down as they go (scaled down, or removed
 * after a crash; a NotReady node still counts, its pod tolerating the
 * unreachable taint). */
START_TEST(daemonset_replicas_follow_the_nodes)
{
    World w = world();
    uint32_t ds = start(&w, "exporter", SIM_WL_DAEMONSET, 0, 0, 0, 0);
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_workload(w.e, ds)->replicas, 4);
    uint32_t n;
    ck_assert_int_eq(sim_node_add(w.e, w.group, 1, &n), SIM_OK);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_workload(w.e, ds)->replicas, 5);
    ck_assert_int_eq(sim_node_remove(w.e, 0), SIM_OK);   /* a scale-down */
    ts_run_to(w.e, SIM_SEC(15));
    ck_assert_int_eq(sim_workload(w.e, ds)->replicas, 4);
    ck_assert_int_eq(sim_node_set_ready(w.e, 1, 0), SIM_OK);   /* a crash: NotReady */
    ts_run_to(w.e, SIM_SEC(20));
    ck_assert_int_eq(sim_workload(w.e, ds)->replicas, 4);
    ck_assert_int_eq(sim_workload(w.e, ds)->ready, 3);
    ck_assert_int_eq(sim_node_remove(w.e, 1), SIM_OK);   /* ... then removed */
    ts_run_to(w.e, SIM_SEC(25));
    ck_assert_int_eq(sim_workload(w.e, ds)->replicas, 3);
    tw_free(&w);
}
END_TEST

static Suite *wl_suite(void)
{
    Suite *s = suite_create("wl");
    TCase *tc = tcase_create("controllers");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, deployment_creates_its_replicas_at_start);
    tcase_add_test(tc, deployment_replaces_a_deleted_pod);
    tcase_add_test(tc, deployment_scales_up_and_down_deleting_the_newest_pods);
    tcase_add_test(tc, job_runs_at_most_parallelism_pods_and_finishes_after_three_rounds);
    tcase_add_test(tc, job_never_runs_more_pods_than_remaining_completions);
    tcase_add_test(tc, job_with_a_start_time_creates_nothing_before_it);
    tcase_add_test(tc, wl_oom_sweep_leaks_nothing);
    tcase_add_test(tc, daemonset_places_one_pod_per_admitting_node);
    tcase_add_test(tc, daemonset_replaces_a_deleted_pod_on_the_same_node);
    tcase_add_test(tc, daemonset_replicas_follow_the_nodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_run(wl_suite(), 0) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
