/*
 * test_apps.c: Deployments through ReplicaSets, the Eviction API with
 * PodDisruptionBudgets, and StatefulSets, on a real engine with the scheduler
 * placing their pods; each test names the rule of k8s-behaviour.md §6 it
 * pins. Then the Lua declarations (deployment's rollout fields, rollout,
 * statefulset) and an out-of-memory sweep.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "sim/policy.h"
#include "workloads/apps.h"

#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)

static char tmpdir[] = "/tmp/kubesim-apps-XXXXXX";

/* ---- a world: one region, nodes of `cpu_m` spread over `nzones` zones ------ */
typedef TwWorld World;

static World world_of(int nodes, int64_t cpu_m, int nzones)
{
    TwOpts o = {.seed = 3, .end = SIM_SEC(7200), .nzones = nzones, .alloc = {cpu_m, 64 * GIB, 0, 110},
                .max = 100, .nodes = nodes};
    return tw_world(&o);
}

static World world(void)
{
    return world_of(4, 64000, 1);
}

static SimKV web_labels[] = {{(char *)"app", (char *)"web"}};

typedef struct Opts {
    const char *name;
    SimWlKind kind;
    int32_t replicas;
    int64_t cpu_m;
    SimTime startup;
    SimIntOrPct surge, unavailable;
    SimTime min_ready, deadline;
    int64_t volume;
} Opts;

/* Declares and starts a workload with app=web pods (1 GiB, start-up 5 s by default). */
static uint32_t start(World *w, Opts o)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)(o.name ? o.name : "web");
    wl.kind = o.kind;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){o.cpu_m ? o.cpu_m : 1000, GIB, 0, 1};
    wl.spec.startup = o.startup ? o.startup : SIM_SEC(5);
    wl.spec.image = "web:v1";
    wl.spec.labels = web_labels;
    wl.spec.nlabels = 1;
    wl.replicas = o.replicas;
    wl.max_surge = o.surge;
    wl.max_unavailable = o.unavailable;
    wl.min_ready = o.min_ready;
    wl.progress_deadline = o.deadline;
    wl.volume = o.volume;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

/* ---- running, and watching the rolling update's bounds at every event ------- */
typedef struct Watch {
    uint32_t wl;
    int32_t max_pods, min_available;   /* extremes seen */
} Watch;

static int live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

/* Live pods of wl and, of them, those Ready for at least min_ready. */
static int32_t count(SimEngine *e, uint32_t wl, int32_t *available)
{
    int32_t n = 0, a = 0;
    SimTime min_ready = sim_workload(e, wl)->min_ready;
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        if (p->wl != wl || !live(p))
            continue;
        n++;
        a += p->phase == SIM_POD_RUNNING && sim_now(e) - p->started_at >= min_ready;
    }
    if (available)
        *available = a;
    return n;
}

static void watch_now(SimEngine *e, Watch *wt)
{
    int32_t a, n = count(e, wt->wl, &a);
    if (n > wt->max_pods)
        wt->max_pods = n;
    if (a < wt->min_available)
        wt->min_available = a;
}

static void watch_each(void *ctx, SimEngine *e)
{
    watch_now(e, ctx);
}

static void run_watch(World *w, SimTime t, Watch *wt)
{
    ts_run_to_each(w->e, t, wt ? watch_each : NULL, wt);
}

static void run_to(World *w, SimTime t)
{
    run_watch(w, t, NULL);
}

static Watch watch(uint32_t wl)
{
    Watch wt = {wl, 0, INT32_MAX};
    return wt;
}

/* A rollout changing only the image, or only the CPU request. */
static void roll(World *w, uint32_t d, const char *image, int64_t cpu_m)
{
    SimRollout r = {0, image, cpu_m, -1, -1, -1, -1, -1, -1, -1};
    ck_assert_int_eq(wl_rollout(w->c, d, &r), SIM_OK);
}

/* The ReplicaSets of d, oldest first (at most 8). */
typedef struct RsList {
    WlRsInfo v[8];
    size_t n;
} RsList;

static RsList rs_of(World *w, uint32_t d)
{
    RsList l;
    l.n = wl_deploy_replicasets(w->c, d, l.v, 8);
    ck_assert_uint_le(l.n, 8);
    return l;
}

/* Live pods of ReplicaSet id. */
static int32_t rs_pods(World *w, uint32_t d, uint32_t id)
{
    int32_t n = 0;
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        n += p->wl == d && live(p) && p->rs == id;
    }
    return n;
}

static WlDeployStatus status(World *w, uint32_t d)
{
    WlDeployStatus s;
    ck_assert_int_eq(wl_deploy_status(w->c, d, &s), SIM_OK);
    return s;
}

#define PCT(v) ((SimIntOrPct){(v), 1, 1})
#define ABS(v) ((SimIntOrPct){(v), 0, 1})

/* ---- fenceposts and the rolling update (§6) ------------------------------------ */

/* maxSurge rounds up, maxUnavailable down: 10 -> 3/2, 3 -> 1/0, 1 -> 1/0;
 * both 0 -> unavailable 1; absolute counts as they are. Then a rollout of 10
 * replicas: the first instant leaves 8 old + 5 new (13 = 10 + 3 pods, 8 = 10
 * - 2 available), and no instant of the whole rollout goes past either bound. */
START_TEST(rolling_update_fenceposts_10_replicas_3_2)
{
    SimWorkload fw;
    memset(&fw, 0, sizeof fw);
    int32_t s, u;
    static const int32_t cases[][3] = {{10, 3, 2}, {3, 1, 0}, {1, 1, 0}, {4, 1, 1}, {100, 25, 25}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fw.replicas = cases[i][0];
        wl_deploy_fenceposts(&fw, &s, &u);
        ck_assert_msg(s == cases[i][1] && u == cases[i][2], "replicas %d: %d/%d", cases[i][0], s, u);
    }
    fw.replicas = 10;
    fw.max_surge = ABS(2);
    fw.max_unavailable = ABS(0);
    wl_deploy_fenceposts(&fw, &s, &u);
    ck_assert(s == 2 && u == 0);
    fw.max_surge = PCT(0);
    fw.max_unavailable = PCT(5);   /* floor(0.5) = 0: both 0, so unavailable 1 */
    wl_deploy_fenceposts(&fw, &s, &u);
    ck_assert(s == 0 && u == 1);
    fw.max_surge = PCT(1);         /* ceil(0.1) = 1 */
    wl_deploy_fenceposts(&fw, &s, &u);
    ck_assert(s == 1 && u == 0);

    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 10});
    run_to(&w, SIM_SEC(20));
    ck_assert_int_eq(status(&w, d).available, 10);
    roll(&w, d, "web:v2", -1);
    Watch wt = watch(d);
    run_watch(&w, SIM_SEC(20), &wt);
    RsList l = rs_of(&w, d);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(l.v[0].replicas, 8);
    ck_assert_int_eq(l.v[1].replicas, 5);
    ck_assert_int_eq(l.v[1].revision, 2);
    ck_assert(l.v[1].current && !l.v[0].current);
    ck_assert_int_eq(rs_pods(&w, d, l.v[0].id) + rs_pods(&w, d, l.v[1].id), 13);
    run_watch(&w, SIM_SEC(120), &wt);
    ck_assert_int_eq(wt.max_pods, 13);
    ck_assert_int_eq(wt.min_available, 8);
    l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 0);
    ck_assert_int_eq(rs_pods(&w, d, l.v[0].id), 0);
    ck_assert_int_eq(rs_pods(&w, d, l.v[1].id), 10);
    WlDeployStatus st = status(&w, d);
    ck_assert_int_eq(st.updated, 10);
    ck_assert_int_eq(st.available, 10);
    ck_assert_uint_eq(st.revision, 2);
    ck_assert_int_eq(st.progressing, 1);
    ck_assert_int_eq(st.reason, WL_PROGRESS_NEW_RS_AVAILABLE);
    tw_free(&w);
}
END_TEST

/* maxSurge 1, maxUnavailable 0 (absolute) on 3 replicas: one new pod at a
 * time, and an old one goes only once a new one is available: 4 pods at most,
 * never fewer than 3 available, done after three start-ups (5 s each). */
START_TEST(rolling_update_3_replicas_surge_1_unavailable_0)
{
    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 3, .surge = ABS(1), .unavailable = ABS(0)});
    run_to(&w, SIM_SEC(30));
    roll(&w, d, "web:v2", -1);
    Watch wt = watch(d);
    run_watch(&w, SIM_SEC(30), &wt);
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 3);
    ck_assert_int_eq(l.v[1].replicas, 1);
    static const int32_t old_at[] = {3, 2, 1, 0};   /* at 30, 35, 40, 45 s */
    for (int k = 1; k < 4; k++) {
        run_watch(&w, SIM_SEC(30 + 5 * k) - 1, &wt);
        ck_assert_int_eq(rs_of(&w, d).v[0].replicas, old_at[k - 1]);
        run_watch(&w, SIM_SEC(30 + 5 * k), &wt);
        ck_assert_int_eq(rs_of(&w, d).v[0].replicas, old_at[k]);
    }
    ck_assert_int_eq(wt.max_pods, 4);
    ck_assert_int_eq(wt.min_available, 3);
    ck_assert_int_eq(status(&w, d).updated, 3);
    tw_free(&w);
}
END_TEST

/* A rollout whose new pods never schedule (16 CPUs on 8-CPU nodes): with 4
 * replicas (surge 1, unavailable 1) one old pod goes, two new ones wait, and
 * the old ReplicaSet keeps minAvailable = 3 for as long as it takes. */
START_TEST(rolling_update_never_below_min_available)
{
    World w = world_of(4, 8000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 4});
    run_to(&w, SIM_SEC(10));
    roll(&w, d, NULL, 16000);
    Watch wt = watch(d);
    run_watch(&w, SIM_SEC(3600), &wt);
    ck_assert_int_eq(wt.min_available, 3);
    ck_assert_int_eq(wt.max_pods, 5);
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 3);
    ck_assert_int_eq(l.v[0].available, 3);
    ck_assert_int_eq(l.v[1].replicas, 2);
    ck_assert_int_eq(l.v[1].ready, 0);
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 3);
    tw_free(&w);
}
END_TEST

/* Two rollouts in quick succession leave two old ReplicaSets. Unhealthy old
 * pods go first (the middle ReplicaSet's unavailable ones), then old
 * ReplicaSets are scaled down oldest first. 4 replicas: surge 1, unavailable
 * 1, start-up 5 s. */
START_TEST(rolling_update_scales_old_rs_down_oldest_first)
{
    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 4});
    run_to(&w, SIM_SEC(30));
    roll(&w, d, "web:v2", -1);
    run_to(&w, SIM_SEC(35));   /* v2's first two are available: v1 1, v2 4 (2 starting) */
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 1);
    ck_assert_int_eq(l.v[1].replicas, 4);
    run_to(&w, SIM_SEC(36));
    roll(&w, d, "web:v3", -1);
    run_to(&w, SIM_SEC(36));
    l = rs_of(&w, d);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(l.v[0].replicas, 1);   /* healthy: kept */
    ck_assert_int_eq(l.v[1].replicas, 2);   /* its two unavailable pods went first */
    ck_assert_int_eq(l.v[2].replicas, 2);
    ck_assert_int_eq(l.v[2].revision, 3);
    run_to(&w, SIM_SEC(41));   /* v3's two are available: two old pods may go, oldest first */
    l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 0);
    ck_assert_int_eq(l.v[1].replicas, 1);
    run_to(&w, SIM_SEC(600));
    l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas + l.v[1].replicas, 0);
    ck_assert_int_eq(rs_pods(&w, d, l.v[2].id), 4);
    tw_free(&w);
}
END_TEST

/* A pod is available once Ready (Running) for minReadySeconds; a rollout
 * keeps the old pod until the new one is available, not merely Ready. */
START_TEST(min_ready_seconds_delays_availability)
{
    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 2, .startup = SIM_SEC(2), .min_ready = SIM_SEC(10)});
    run_to(&w, SIM_SEC(12) - 1);
    WlDeployStatus st = status(&w, d);
    ck_assert_int_eq(st.ready, 2);
    ck_assert_int_eq(st.available, 0);
    ck_assert_int_eq(st.progressing, 1);
    ck_assert_int_ne(st.reason, WL_PROGRESS_NEW_RS_AVAILABLE);
    run_to(&w, SIM_SEC(12));
    st = status(&w, d);
    ck_assert_int_eq(st.available, 2);
    ck_assert_int_eq(st.reason, WL_PROGRESS_NEW_RS_AVAILABLE);
    run_to(&w, SIM_SEC(30));   /* replicas 2: surge 1, unavailable 0 */
    roll(&w, d, "web:v2", -1);
    run_to(&w, SIM_SEC(42) - 1);   /* the new pod is Ready at 32, available at 42 */
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[1].ready, 1);
    ck_assert_int_eq(l.v[0].replicas, 2);
    run_to(&w, SIM_SEC(42));
    ck_assert_int_eq(rs_of(&w, d).v[0].replicas, 1);
    tw_free(&w);
}
END_TEST

/* No progress for progressDeadlineSeconds: Progressing=False with reason
 * ProgressDeadlineExceeded, strictly after the deadline (checked a second
 * after it, as upstream requeues); the rollout is neither aborted nor rolled
 * back, and resumes when capacity appears. */
START_TEST(progress_deadline_exceeded_condition)
{
    World w = world_of(2, 8000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 2, .startup = SIM_SEC(2), .deadline = SIM_SEC(60)});
    run_to(&w, SIM_SEC(10));
    roll(&w, d, NULL, 16000);   /* fits no node */
    run_to(&w, SIM_SEC(10));
    WlDeployStatus st = status(&w, d);
    ck_assert_int_eq(st.progressing, 1);
    ck_assert_int_eq(st.last_update, SIM_SEC(10));
    run_to(&w, SIM_SEC(70));
    ck_assert_int_eq(status(&w, d).progressing, 1);
    run_to(&w, SIM_SEC(71));
    st = status(&w, d);
    ck_assert_int_eq(st.progressing, 0);
    ck_assert_int_eq(st.reason, WL_PROGRESS_DEADLINE_EXCEEDED);
    ck_assert_str_eq(wl_progress_reason(st.reason), "ProgressDeadlineExceeded");
    ck_assert_int_eq(st.last_transition, SIM_SEC(71));
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 2);   /* still serving */
    ck_assert_int_eq(l.v[1].replicas, 1);   /* not rolled back */
    ck_assert(l.v[1].current);
    run_to(&w, SIM_SEC(100));
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)"big";
    g.region = w.region;
    g.alloc = (SimRes){.cpu_m = 64000, .mem = 256 * GIB, .gpu = 0, .pods = 110};
    g.max = 4;
    uint32_t big, n;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &big), SIM_OK);
    ck_assert_int_eq(sim_node_add(w.e, big, 1, &n), SIM_OK);
    ck_assert_int_eq(sim_node_add(w.e, big, 1, &n), SIM_OK);
    run_to(&w, SIM_SEC(102));   /* Ready again: progress */
    st = status(&w, d);
    ck_assert_int_eq(st.progressing, 1);
    ck_assert_int_eq(st.reason, WL_PROGRESS_RS_UPDATED);
    run_to(&w, SIM_SEC(200));
    st = status(&w, d);
    ck_assert_int_eq(st.reason, WL_PROGRESS_NEW_RS_AVAILABLE);
    ck_assert_int_eq(st.updated, 2);
    tw_free(&w);
}
END_TEST

/* A template equal to an older ReplicaSet's makes that one the new
 * ReplicaSet again, with the next revision (a rollback by rollout); and only
 * revisionHistoryLimit (10) old ReplicaSets are kept. */
START_TEST(rollout_to_an_old_template_reuses_its_replicaset)
{
    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 2});
    run_to(&w, SIM_SEC(30));
    roll(&w, d, "web:v2", -1);
    run_to(&w, SIM_SEC(60));
    roll(&w, d, "web:v1", -1);
    run_to(&w, SIM_SEC(90));
    RsList l = rs_of(&w, d);
    ck_assert_uint_eq(l.n, 2);
    ck_assert(l.v[0].current);
    ck_assert_int_eq(l.v[0].revision, 3);
    ck_assert_int_eq(l.v[0].replicas, 2);
    ck_assert_int_eq(l.v[1].replicas, 0);
    ck_assert_uint_eq(status(&w, d).revision, 3);
    static char images[12][16];
    for (int k = 0; k < 12; k++) {
        snprintf(images[k], sizeof images[k], "web:v%d", 10 + k);
        roll(&w, d, images[k], -1);
        run_to(&w, SIM_SEC(120 + 30 * k));
    }
    WlRsInfo all[16];
    ck_assert_uint_eq(wl_deploy_replicasets(w.c, d, all, 16), 11);
    ck_assert_uint_eq(all[0].revision, 5);   /* the three oldest (revisions 2, 3, 4) went */
    ck_assert(all[10].current);
    ck_assert_uint_eq(all[10].revision, 15);
    tw_free(&w);
}
END_TEST

/* ---- scale-down victims (ActivePodsWithRanks) ------------------------------------ */

/* One 4-CPU node and 1-CPU pods: 3 Running, then scaled to 5: one pod binds
 * (starting, phase Pending), one finds no room (unassigned). Scaled back to 3,
 * the unassigned pod and the starting one go; the Running ones stay. */
START_TEST(scale_down_ranks_pending_before_running)
{
    World w = world_of(1, 4000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 3});
    run_to(&w, SIM_SEC(10));
    ck_assert_int_eq(wl_scale(w.c, d, 5), SIM_OK);
    run_to(&w, SIM_SEC(11));
    uint32_t bound = SIM_NONE, unassigned = SIM_NONE;
    for (uint32_t i = 3; i < sim_pod_count(w.e); i++) {
        if (sim_pod(w.e, i)->phase == SIM_POD_BOUND)
            bound = i;
        if (sim_pod(w.e, i)->phase == SIM_POD_PENDING)
            unassigned = i;
    }
    ck_assert_uint_ne(bound, SIM_NONE);
    ck_assert_uint_ne(unassigned, SIM_NONE);
    ck_assert_int_eq(wl_scale(w.c, d, 3), SIM_OK);
    run_to(&w, SIM_SEC(11));
    ck_assert_int_eq(sim_pod(w.e, bound)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, unassigned)->phase, SIM_POD_DELETED);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_int_eq(sim_pod(w.e, i)->phase, SIM_POD_RUNNING);
    tw_free(&w);
}
END_TEST

/* Among Running pods, one sharing its node with more of the Deployment's pods
 * goes first (doubled up), before the most recently Ready: two pods start on
 * the only node, two more on two nodes added later; scaled from 4 to 3, one
 * of the two co-located (and older) pods goes. */
START_TEST(scale_down_ranks_doubled_up_pods_first)
{
    World w = world_of(1, 64000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 2});
    run_to(&w, SIM_SEC(10));
    uint32_t n;
    ck_assert_int_eq(sim_node_add(w.e, w.group, 1, &n), SIM_OK);
    ck_assert_int_eq(sim_node_add(w.e, w.group, 1, &n), SIM_OK);
    ck_assert_int_eq(wl_scale(w.c, d, 4), SIM_OK);
    run_to(&w, SIM_SEC(20));
    ck_assert_uint_eq(sim_pod(w.e, 0)->node, sim_pod(w.e, 1)->node);
    ck_assert_uint_ne(sim_pod(w.e, 2)->node, sim_pod(w.e, 3)->node);
    ck_assert_uint_ne(sim_pod(w.e, 2)->node, sim_pod(w.e, 0)->node);
    ck_assert_uint_ne(sim_pod(w.e, 3)->node, sim_pod(w.e, 0)->node);
    ck_assert_int_eq(wl_scale(w.c, d, 3), SIM_OK);
    run_to(&w, SIM_SEC(20));
    ck_assert_int_eq(count(w.e, d, NULL), 3);
    ck_assert(sim_pod(w.e, 0)->phase == SIM_POD_DELETED || sim_pod(w.e, 1)->phase == SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, 2)->phase, SIM_POD_RUNNING);   /* Ready more recently, but alone */
    ck_assert_int_eq(sim_pod(w.e, 3)->phase, SIM_POD_RUNNING);
    tw_free(&w);
}
END_TEST

/* The ReplicaSet layer keeps working under wl_scale (the HPA's API): a scale
 * during a rollout is shared proportionally among the active ReplicaSets. */
START_TEST(scale_during_rollout_is_proportional)
{
    World w = world_of(4, 8000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 10});
    run_to(&w, SIM_SEC(10));
    roll(&w, d, NULL, 16000);   /* stuck at old 8 + new 5 */
    run_to(&w, SIM_SEC(20));
    RsList l = rs_of(&w, d);
    ck_assert_int_eq(l.v[0].replicas, 8);
    ck_assert_int_eq(l.v[1].replicas, 5);
    ck_assert_int_eq(wl_scale(w.c, d, 20), SIM_OK);   /* max 13 -> 25: +12 over 13 replicas */
    run_to(&w, SIM_SEC(20));
    l = rs_of(&w, d);
    /* 8 x 25/13 = 15.4 -> 15 (+7), 5 x 25/13 = 9.6 -> 10 (+5): 12 added */
    ck_assert_int_eq(l.v[0].replicas, 15);
    ck_assert_int_eq(l.v[1].replicas, 10);
    tw_free(&w);
}
END_TEST

/* ---- the Eviction API with PodDisruptionBudgets (§6) ------------------------------- */
static char *web_value[] = {(char *)"web"};
static SimSelReq web_sel = {(char *)"app", SIM_SEL_IN, web_value, 1};

static uint32_t add_pdb(World *w, const char *name, int32_t min_available)
{
    SimPdb pdb = {(char *)name, w->region, w->ns, {&web_sel, 1}, 0, 0, min_available};
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w->e, &pdb, &id), SIM_OK);
    return id;
}

/* disruptionsAllowed 0 -> HTTP 429 with upstream's message; the pod stays.
 * Two PDBs covering the pod -> HTTP 500. Pending pods need no budget. */
START_TEST(eviction_refused_by_pdb_with_upstream_message)
{
    World w = world_of(1, 4000, 1);
    uint32_t d = start(&w, (Opts){.replicas = 5});
    add_pdb(&w, "all", 4);
    run_to(&w, SIM_SEC(10));
    ck_assert_int_eq(sim_pod(w.e, 0)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, 0), 0);   /* 4 healthy - 4 */
    ck_assert_int_eq(sim_pod_evict(w.e, 0, "drain"), SIM_EFORBIDDEN);
    ck_assert_str_eq(sim_errmsg(w.e), "Cannot evict pod as it would violate the pod's disruption budget.");
    ck_assert_int_eq(sim_pod(w.e, 0)->phase, SIM_POD_RUNNING);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 0);
    uint32_t pending = 4;
    ck_assert_int_eq(sim_pod(w.e, pending)->phase, SIM_POD_PENDING);   /* no room on the node */
    ck_assert_int_eq(sim_pod_evict(w.e, pending, "drain"), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, pending)->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 1);
    ck_assert_int_eq(sim_pod_evict(w.e, pending, "drain"), SIM_ESTATE);
    ck_assert_str_eq(sim_errmsg(w.e), "pods \"web-4\" not found");
    add_pdb(&w, "also", 0);
    ck_assert_int_eq(sim_pod_evict(w.e, 1, "drain"), SIM_EFORBIDDEN);
    ck_assert_str_eq(sim_errmsg(w.e), "This pod has more than one PodDisruptionBudget, which the eviction "
                                      "subresource does not support.");
    ck_assert_int_eq(sim_pod(w.e, 1)->phase, SIM_POD_RUNNING);
    (void)d;
    tw_free(&w);
}
END_TEST

/* minAvailable 2 over 3 healthy pods: one eviction is allowed, the next is
 * not until the Deployment's replacement is Running again. */
START_TEST(eviction_allowed_when_budget_permits)
{
    World w = world();
    uint32_t d = start(&w, (Opts){.replicas = 3});
    uint32_t pdb = add_pdb(&w, "two", 2);
    run_to(&w, SIM_SEC(10));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, pdb), 1);
    ck_assert_int_eq(sim_pod_evict(w.e, 0, "drain"), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, 0)->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 1);
    ck_assert_int_eq(sim_pod_evict(w.e, 1, "drain"), SIM_EFORBIDDEN);
    run_to(&w, SIM_SEC(10));   /* the ReplicaSet replaces the pod */
    ck_assert_int_eq(count(w.e, d, NULL), 3);
    ck_assert_int_eq(sim_pod_evict(w.e, 1, "drain"), SIM_EFORBIDDEN);   /* the replacement is not Running */
    run_to(&w, SIM_SEC(15));
    ck_assert_int_eq(sim_pod_evict(w.e, 1, "cluster-autoscaler"), SIM_OK);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 2);
    tw_free(&w);
}
END_TEST

/* ---- StatefulSets ------------------------------------------------------------------ */
static void pod_name(World *w, uint32_t pod, char *buf)
{
    sim_pod_name(w->e, pod, buf, 64);
}

/* OrderedReady: db-0, then db-1 once db-0 is Running and Ready, then db-2. */
START_TEST(statefulset_ordered_start)
{
    World w = world();
    uint32_t s = start(&w, (Opts){.name = "db", .kind = SIM_WL_STATEFULSET, .replicas = 3});
    run_to(&w, SIM_SEC(5) - 1);
    ck_assert_uint_eq(sim_pod_count(w.e), 1);
    run_to(&w, SIM_SEC(15));
    ck_assert_uint_eq(sim_pod_count(w.e), 3);
    char name[64];
    for (uint32_t i = 0; i < 3; i++) {
        pod_name(&w, i, name);
        char want[16];
        snprintf(want, sizeof want, "db-%u", i);
        ck_assert_str_eq(name, want);
        ck_assert_int_eq(sim_pod(w.e, i)->created_at, SIM_SEC(5 * i));
    }
    ck_assert_int_eq(sim_workload(w.e, s)->ready, 3);
    /* A deleted pod comes back with its ordinal (and waits for nothing: its
     * predecessors are healthy). */
    ck_assert_int_eq(sim_pod_delete(w.e, 1), SIM_OK);
    run_to(&w, SIM_SEC(16));
    ck_assert_uint_eq(sim_pod_count(w.e), 4);
    pod_name(&w, 3, name);
    ck_assert_str_eq(name, "db-1");
    ck_assert_int_eq(sim_pod(w.e, 3)->created_at, SIM_SEC(16) - SIM_SEC(1));
    tw_free(&w);
}
END_TEST

typedef struct Order {
    uint32_t ord[8];
    int n;
} Order;

static void on_gone(void *ctx, SimEngine *e, uint32_t pod)
{
    Order *o = ctx;
    if (o->n < 8)
        o->ord[o->n++] = sim_pod(e, pod)->ordinal;
}

/* Scale-down deletes the highest ordinal first, one at a time. */
START_TEST(statefulset_reverse_scale_down)
{
    World w = world();
    uint32_t s = start(&w, (Opts){.name = "db", .kind = SIM_WL_STATEFULSET, .replicas = 4});
    run_to(&w, SIM_SEC(30));
    ck_assert_int_eq(sim_workload(w.e, s)->ready, 4);
    Order o = {{0}, 0};
    SimListener l = {.ctx = &o, .pod_terminated = on_gone};
    ck_assert_int_eq(sim_engine_listen(w.e, &l), SIM_OK);
    ck_assert_int_eq(wl_scale(w.c, s, 1), SIM_OK);
    run_to(&w, SIM_SEC(31));
    ck_assert_int_eq(o.n, 3);
    ck_assert_uint_eq(o.ord[0], 3);
    ck_assert_uint_eq(o.ord[1], 2);
    ck_assert_uint_eq(o.ord[2], 1);
    ck_assert_int_eq(count(w.e, s, NULL), 1);
    ck_assert_int_eq(sim_pod(w.e, 0)->phase, SIM_POD_RUNNING);
    tw_free(&w);
}
END_TEST

/* db-0's volume is provisioned in the zone it first lands in; its next pod is
 * pinned there: with that zone full it stays Pending rather than run in the
 * other zone, and binds there once room appears. */
START_TEST(statefulset_volume_pins_zone)
{
    World w = world_of(2, 4000, 2);   /* one node per zone */
    uint32_t s = start(&w, (Opts){.name = "db", .kind = SIM_WL_STATEFULSET, .replicas = 1, .volume = 10 * GIB});
    run_to(&w, SIM_SEC(10));
    uint32_t zone = wl_sts_volume_zone(w.c, s, 0);
    ck_assert_uint_ne(zone, SIM_NONE);
    uint32_t node = sim_pod(w.e, 0)->node;
    ck_assert_uint_eq(sim_node(w.e, node)->zone, zone);
    ck_assert_uint_eq(sim_pod(w.e, 0)->zone_pin, SIM_NONE);   /* the first pod chose freely */
    /* Delete db-0 and fill its node at once (the filler is queued before the
     * StatefulSet's replacement). */
    SimWorkload fill;
    memset(&fill, 0, sizeof fill);
    fill.name = (char *)"fill";
    fill.kind = SIM_WL_POD;
    fill.ns = w.ns;
    fill.region = w.region;
    fill.spec.req = (SimRes){4000, GIB, 0, 1};
    fill.spec.node_name = sim_node(w.e, node)->name;
    uint32_t fw, fp;
    ck_assert_int_eq(sim_workload_add(w.e, &fill, &fw), SIM_OK);
    ck_assert_int_eq(sim_pod_delete(w.e, 0), SIM_OK);
    ck_assert_int_eq(sim_pod_create(w.e, fw, &fp), SIM_OK);
    run_to(&w, SIM_SEC(60));
    ck_assert_uint_eq(sim_pod(w.e, fp)->node, node);
    uint32_t again = fp + 1;
    ck_assert_uint_eq(sim_pod_count(w.e), again + 1);
    ck_assert_uint_eq(sim_pod(w.e, again)->ordinal, 0);
    ck_assert_uint_eq(sim_pod(w.e, again)->zone_pin, zone);
    ck_assert_int_eq(sim_pod(w.e, again)->phase, SIM_POD_PENDING);   /* the other zone has room */
    ck_assert(sim_pod(w.e, again)->unschedulable);
    ck_assert_int_eq(sim_pod_delete(w.e, fp), SIM_OK);
    run_to(&w, SIM_SEC(61));
    ck_assert_uint_eq(sim_pod(w.e, again)->node, node);
    ck_assert_uint_eq(wl_sts_volume_zone(w.c, s, 0), zone);
    tw_free(&w);
}
END_TEST

/* ---- Lua declarations ----------------------------------------------------------------- */
static const char world_src[] =
    "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
    "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 4, max = 4 }\n";

static void expect_load_error(const char *decl, const char *frag)
{
    char src[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src, decl);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "s.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", decl);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag);
    ck_assert_int_eq(m.live, 0);
}

START_TEST(lua_apps_declaration_errors)
{
    expect_load_error("deployment { name = \"api\", strategy = { max_surge = 0, max_unavailable = \"0%\" } }\n",
                      "s.lua:3: deployment 'api': field 'strategy.max_unavailable': may not be 0 when "
                      "`max_surge` is 0");
    expect_load_error("deployment { name = \"api\", strategy = { max_unavailable = \"150%\" } }\n",
                      "field 'strategy.max_unavailable': must not be greater than 100%");
    expect_load_error("deployment { name = \"api\", strategy = { max_surge = \"lots\" } }\n",
                      "field 'strategy.max_surge': \"lots\" is not a whole number or a percentage");
    expect_load_error("deployment { name = \"api\", strategy = { max_surge = -1 } }\n",
                      "field 'strategy.max_surge': -1 must be a whole number >= 0");
    expect_load_error("deployment { name = \"api\", strategy = { maxSurge = 1 } }\n",
                      "unknown field 'maxSurge' in deployment 'api': field 'strategy' (did you mean 'max_surge'?)");
    expect_load_error("deployment { name = \"api\", strategy = \"Recreate\" }\n", "field 'strategy': expected a table");
    expect_load_error("deployment { name = \"api\", min_ready = \"10m\", progress_deadline = \"5m\" }\n",
                      "field 'progress_deadline': must be greater than min_ready");
    expect_load_error("deployment { name = \"api\", min_ready = \"soon\" }\n", "field 'min_ready'");
    expect_load_error("rollout { deployment = \"api\", start = \"11:00\", image = \"v2\" }\n",
                      "s.lua:3: rollout 'api': field 'deployment': no deployment named 'api' is declared "
                      "before this line");
    expect_load_error("deployment { name = \"api\" }\nrollout { deployment = \"api\", image = \"v2\" }\n",
                      "s.lua:4: rollout 'api': field 'start': is required");
    expect_load_error("deployment { name = \"api\" }\nrollout { deployment = \"api\", start = \"11:00\" }\n",
                      "rollout 'api': changes nothing");
    expect_load_error("deployment { name = \"api\" }\nrollout { deployment = \"api\", start = \"1h\", imag = \"v2\" }\n",
                      "unknown field 'imag' in rollout 'api' (did you mean 'image'?)");
    expect_load_error("deployment { name = \"api\" }\nrollout { deployment = \"api\", start = \"1h\", cpu = \"x\" }\n",
                      "rollout 'api': field 'cpu': \"x\" is not a quantity");
    expect_load_error("statefulset { name = \"db\" }\nrollout { deployment = \"db\", start = \"1h\", image = \"v2\" }\n",
                      "field 'deployment': 'db' is not a deployment");
    expect_load_error("statefulset { name = \"my.db\" }\n", "statefulset 'my.db': field 'name'");
    expect_load_error("statefulset { name = \"db\", volume = \"ten\" }\n", "statefulset 'db': field 'volume'");
    expect_load_error("statefulset { name = \"db\", replcas = 3 }\n",
                      "unknown field 'replcas' in statefulset 'db' (did you mean 'replicas'?)");
}
END_TEST

/* A scenario with the new fields runs: the rollout at 00:10 starts revision
 * 2, and the StatefulSet's pods start in order with their volumes. */
START_TEST(lua_apps_scenario_rolls_out_and_starts_in_order)
{
    char src[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src,
             "scenario { name = \"apps\", start = \"00:00\", duration = \"1h\" }\n"
             "deployment { name = \"api\", replicas = 4, cpu = \"1\", memory = \"1Gi\", image = \"api:v1\",\n"
             "             strategy = { max_surge = 1, max_unavailable = \"0%\" }, min_ready = \"5s\",\n"
             "             progress_deadline = \"120s\", startup = \"10s\" }\n"
             "rollout { deployment = \"api\", start = \"00:10\", image = \"api:v2\", memory = \"2Gi\" }\n"
             "statefulset { name = \"db\", replicas = 3, cpu = \"1\", memory = \"1Gi\", volume = \"10Gi\",\n"
             "              startup = \"20s\" }\n");
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "ok.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(3600), .mem = &m};
    World w;
    memset(&w, 0, sizeof w);
    w.e = sim_engine_create(&cfg);
    w.s = sched_create(w.e);
    w.c = wl_create(w.e);
    ck_assert_int_eq(scn_build(s, w.e, w.c), SIM_OK);
    uint32_t api = sim_workload_find(w.e, "api"), db = sim_workload_find(w.e, "db");
    const SimWorkload *aw = sim_workload(w.e, api);
    ck_assert_int_eq(aw->max_surge.value, 1);
    ck_assert(!aw->max_surge.percent);
    ck_assert(aw->max_unavailable.percent && aw->max_unavailable.value == 0);
    ck_assert_int_eq(aw->min_ready, SIM_SEC(5));
    ck_assert_int_eq(aw->progress_deadline, SIM_SEC(120));
    ck_assert_uint_eq(aw->nrollouts, 1);
    ck_assert_int_eq(sim_workload(w.e, db)->volume, 10 * GIB);
    run_to(&w, SIM_SEC(599));
    ck_assert_uint_eq(rs_of(&w, api).n, 1);
    ck_assert_int_eq(count(w.e, db, NULL), 3);
    run_to(&w, SIM_SEC(600));
    RsList l = rs_of(&w, api);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(l.v[1].revision, 2);
    ck_assert_str_eq(sim_workload(w.e, api)->spec.image, "api:v2");
    ck_assert_int_eq(sim_workload(w.e, api)->spec.req.mem, 2 * GIB);
    run_to(&w, SIM_SEC(3000));
    ck_assert_int_eq(status(&w, api).updated, 4);
    ck_assert_int_eq(status(&w, api).available, 4);
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++) {
        const SimPod *p = sim_pod(w.e, i);
        if (p->wl == api && live(p))
            ck_assert_int_eq(p->req.mem, 2 * GIB);   /* admitted from the new template */
        if (p->wl == db)
            ck_assert_uint_eq(sim_node(w.e, p->node)->zone, wl_sts_volume_zone(w.c, db, p->ordinal));
    }
    tw_free(&w);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- out of memory ---------------------------------------------------------------------- */
static int oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    TwOpts o = {.seed = 4, .end = SIM_SEC(120), .mem = m, .region = "r", .ns = "ns", .nzones = 2, .group = "g",
                .alloc = {8000, 16 * GIB, 0, 110}, .nodes = 2};
    TwWorld w;
    int rc = tw_build(&w, &o);
    uint32_t d, st;
    SimWorkload ws;
    memset(&ws, 0, sizeof ws);
    ws.name = (char *)"web";
    ws.spec.req = (SimRes){500, GIB, 0, 1};
    ws.spec.startup = SIM_SEC(2);
    ws.replicas = 4;
    SimRollout ro = {SIM_SEC(20), "v2", -1, -1, -1, -1, -1, -1, -1, -1};
    ws.rollouts = &ro;
    ws.nrollouts = 1;
    if (rc || (rc = sim_workload_add(w.e, &ws, &d)))
        goto out;
    ws.name = (char *)"db";
    ws.kind = SIM_WL_STATEFULSET;
    ws.volume = GIB;
    ws.rollouts = NULL;
    ws.nrollouts = 0;
    if ((rc = sim_workload_add(w.e, &ws, &st)) || (rc = wl_start(w.c, d)) || (rc = wl_start(w.c, st)))
        goto out;
    for (int steps = 0; (rc = sim_step(w.e)) == SIM_OK; steps++)
        if (steps == 40 &&
            ((rc = wl_scale(w.c, d, 7)) || (rc = wl_scale(w.c, st, 1)) || (rc = sim_pod_delete(w.e, 0))))
            goto out;
    if (rc == SIM_DONE)
        rc = SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d", rc);
    tw_free(&w);
    return rc != SIM_OK;
}

START_TEST(apps_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(oom_run, NULL, 1, 100000);
}
END_TEST

/* ---- the deletion ranking, one rule at a time (ActivePodsWithRanks.Less) ---------- */
#define RNOW SIM_SEC(100000)

/* A scheduled, Running, Ready pod with no cost, alone on its node, Ready and
 * created long ago: each rule's test changes one field. */
static WlPodRank rk(uint32_t pod)
{
    return (WlPodRank){pod, 1, 1, 1, 0, 1, SIM_SEC(10), SIM_SEC(5)};
}

/* a goes first, and not the other way round. */
static void first(const WlPodRank *a, const WlPodRank *b)
{
    ck_assert_int_eq(wl_pod_delete_before(a, b, RNOW), 1);
    ck_assert_int_eq(wl_pod_delete_before(b, a, RNOW), 0);
}

START_TEST(rank_rule1_unscheduled_before_scheduled)
{
    WlPodRank a = rk(1), b = rk(2);
    a.node = SIM_NONE;
    a.running = a.ready = 0;
    b.colocated = 9;   /* a later rule points the other way */
    first(&a, &b);
    WlPodRank c = rk(3);   /* two pods on different nodes: rule 1 does not apply */
    c.node = 2;
    ck_assert_int_eq(wl_pod_delete_before(&c, &b, RNOW), 0);
}
END_TEST

START_TEST(rank_rule2_pending_before_running)
{
    WlPodRank a = rk(1), b = rk(2);
    a.running = a.ready = 0;   /* Bound, starting: upstream phase Pending */
    b.deletion_cost = -5;
    first(&a, &b);
}
END_TEST

START_TEST(rank_rule3_not_ready_before_ready)
{
    WlPodRank a = rk(1), b = rk(2);
    a.ready = 0;   /* Running on a NotReady node */
    a.ready_at = -1;
    b.deletion_cost = -5;
    first(&a, &b);
}
END_TEST

START_TEST(rank_rule4_lower_deletion_cost_first)
{
    WlPodRank a = rk(1), b = rk(2);
    a.deletion_cost = -1;
    b.colocated = 3;
    first(&a, &b);
    a.deletion_cost = 0;   /* equal costs: the next rule decides */
    first(&b, &a);
}
END_TEST

START_TEST(rank_rule5_more_pods_on_the_same_node_first)
{
    WlPodRank a = rk(1), b = rk(2);
    a.colocated = 2;
    b.ready_at = RNOW - SIM_SEC(1);   /* ready more recently: rule 6 would pick b */
    first(&a, &b);
}
END_TEST

START_TEST(rank_rule6_more_recently_ready_first)
{
    WlPodRank a = rk(1), b = rk(2);
    a.ready_at = RNOW - SIM_SEC(60);
    b.ready_at = RNOW - SIM_SEC(3600);
    b.created_at = RNOW - SIM_SEC(70);   /* newer: rule 8 would pick b */
    first(&a, &b);
    /* one log2 bucket (ns): equal rank, then the higher id (the newer pod) */
    a.ready_at = RNOW - SIM_SEC(40);
    b.ready_at = RNOW - SIM_SEC(50);
    first(&b, &a);
}
END_TEST

START_TEST(rank_rule8_newer_before_older)
{
    WlPodRank a = rk(1), b = rk(2);
    a.created_at = RNOW - SIM_SEC(60);
    b.created_at = RNOW - SIM_SEC(3600);
    first(&a, &b);
    a.ready = b.ready = 0;   /* rule 6 only compares Ready pods */
    a.ready_at = SIM_SEC(10);
    b.ready_at = RNOW - SIM_SEC(1);
    first(&a, &b);
    WlPodRank c = rk(3), d = rk(3);
    ck_assert_int_eq(wl_pod_delete_before(&c, &d, RNOW), 0);   /* equal: neither first */
}
END_TEST

static Suite *apps_suite(void)
{
    Suite *s = suite_create("apps");
    TCase *dep = tcase_create("deployment");
    tcase_set_timeout(dep, 300);
    tcase_add_test(dep, rolling_update_fenceposts_10_replicas_3_2);
    tcase_add_test(dep, rolling_update_3_replicas_surge_1_unavailable_0);
    tcase_add_test(dep, rolling_update_never_below_min_available);
    tcase_add_test(dep, rolling_update_scales_old_rs_down_oldest_first);
    tcase_add_test(dep, min_ready_seconds_delays_availability);
    tcase_add_test(dep, progress_deadline_exceeded_condition);
    tcase_add_test(dep, rollout_to_an_old_template_reuses_its_replicaset);
    tcase_add_test(dep, scale_down_ranks_pending_before_running);
    tcase_add_test(dep, scale_down_ranks_doubled_up_pods_first);
    tcase_add_test(dep, rank_rule1_unscheduled_before_scheduled);
    tcase_add_test(dep, rank_rule2_pending_before_running);
    tcase_add_test(dep, rank_rule3_not_ready_before_ready);
    tcase_add_test(dep, rank_rule4_lower_deletion_cost_first);
    tcase_add_test(dep, rank_rule5_more_pods_on_the_same_node_first);
    tcase_add_test(dep, rank_rule6_more_recently_ready_first);
    tcase_add_test(dep, rank_rule8_newer_before_older);
    tcase_add_test(dep, scale_during_rollout_is_proportional);
    suite_add_tcase(s, dep);
    TCase *ev = tcase_create("eviction");
    tcase_add_test(ev, eviction_refused_by_pdb_with_upstream_message);
    tcase_add_test(ev, eviction_allowed_when_budget_permits);
    suite_add_tcase(s, ev);
    TCase *sts = tcase_create("statefulset");
    tcase_add_test(sts, statefulset_ordered_start);
    tcase_add_test(sts, statefulset_reverse_scale_down);
    tcase_add_test(sts, statefulset_volume_pins_zone);
    suite_add_tcase(s, sts);
    TCase *lua = tcase_create("lua");
    tcase_set_timeout(lua, 300);
    tcase_add_test(lua, lua_apps_declaration_errors);
    tcase_add_test(lua, lua_apps_scenario_rolls_out_and_starts_in_order);
    tcase_add_test(lua, apps_oom_sweep_leaks_nothing);
    suite_add_tcase(s, lua);
    return s;
}

int main(void)
{
    return tr_main(apps_suite(), tmpdir);
}
