/*
 * test_faults.c: faults and the node lifecycle controller, each case named
 * for the rule of k8s-behaviour.md §7 it pins, on a real engine with the
 * scheduler and the controllers:
 *  - §7.2 a crashed node is NotReady exactly 50 s after the crash, its pods
 *    not Ready;
 *  - §7.4 its pods are deleted 300 s after the taint (the admission default),
 *    a pod's own tolerationSeconds wins, DaemonSet pods are never deleted;
 *    the ReplicaSet replaces them on healthy nodes;
 *  - §7.5 zones taint 0.1 node/s; a small zone at 55 % unhealthy or more
 *    stops; a fully disrupted zone keeps the normal rate unless every zone is
 *    fully disrupted, which stops evictions;
 *  - §7.6 a StatefulSet pod waits for its node; §7.7 recovery;
 *  - spot interruptions (cordon, drain honouring PDBs, removal at +120 s),
 *    stockouts, random interruptions;
 * and through scenarios: a region outage fails traffic over to the next
 * region with its latency, k.fail from a hook, bad faults refused with
 * file:line and exit 2 by the real binary (KUBESIM_BIN), and the same seed
 * giving the same trace.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "sim/policy.h"
#include "tm.h"
#include "workloads/faults.h"
#include "workloads/traffic.h"
#include "workloads/wl.h"

#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)
#define S(x) SIM_SEC(x)

static char tmpdir[] = "/tmp/kubesim-faults-XXXXXX";

typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    WlControllers *c;
    WlFaults *f;
    uint32_t region, ns, group;
    uint32_t zones[TW_MAX_ZONES];
} World;

/* One region with nzones zones and `nodes` Ready 8 CPU / 32 GiB nodes spread
 * over them round-robin (node i in zone i % nzones). */
static World world(int nzones, int nodes, int spot, double spot_rate)
{
    TwOpts o = {.seed = 7, .end = S(4 * 3600), .nzones = nzones, .group = "g", .alloc = {8000, 32 * GIB, 0, 110},
                .price = 1.0, .max = 100, .nodes = nodes, .spot = spot, .spot_rate = spot_rate};
    TwWorld t = tw_world(&o);
    World w = {t.e, t.s, t.c, NULL, t.region, t.ns, t.group, {0}};
    memcpy(w.zones, t.zones, sizeof w.zones);
    w.f = wl_fault_create(w.e, w.c);
    ck_assert_ptr_nonnull(w.f);
    return w;
}

static void world_free(World *w)
{
    wl_fault_destroy(w->f);
    wl_destroy(w->c);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

static char *app_key = (char *)"app";
static char *web_val = (char *)"web";

/* Declares and starts a workload of 500m / 1 GiB pods (2 s start-up),
 * labelled app=<name>, with the given tolerations. */
static uint32_t start(World *w, const char *name, SimWlKind kind, int32_t replicas, SimToleration *tol, size_t ntol)
{
    static SimKV labels[8];
    static size_t nl;
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = kind;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){500, GIB, 0, 1};
    wl.spec.startup = S(2);
    wl.spec.tolerations = tol;
    wl.spec.ntolerations = ntol;
    labels[nl % 8] = (SimKV){app_key, (char *)name};
    wl.spec.labels = &labels[nl++ % 8];
    wl.spec.nlabels = 1;
    wl.replicas = replicas;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static int live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

/* Live pods of wl on node (SIM_NONE: anywhere). */
static int pods_on(World *w, uint32_t wl, uint32_t node)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        n += p->wl == wl && live(p) && (node == SIM_NONE || p->node == node);
    }
    return n;
}

/* The node of wl's first bound pod. */
static uint32_t node_of(World *w, uint32_t wl)
{
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        if (p->wl == wl && live(p) && p->node != SIM_NONE)
            return p->node;
    }
    ck_abort_msg("no bound pod");
    return SIM_NONE;
}

static void fault(World *w, WlFaultKind kind, SimTime at, SimTime duration, uint32_t node, uint32_t zone)
{
    WlFault ft = {.kind = kind, .at = at, .duration = duration,
                  .node = node == SIM_NONE ? NULL : sim_node(w->e, node)->name,
                  .group = node == SIM_NONE ? w->group : SIM_NONE, .count = 1, .zone = zone, .region = w->region};
    ck_assert_int_eq(wl_fault_add(w->f, &ft), SIM_OK);
}

static WlNodeHealth health(World *w, uint32_t node)
{
    WlNodeHealth h;
    wl_fault_node_health(w->f, node, &h);
    return h;
}

/* ---- §7.2: NotReady after the grace period -------------------------------------------- */
START_TEST(faults_node_not_ready_exactly_at_crash_plus_grace_period)
{
    World w = world(1, 4, 0, 0);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 8, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, web);
    int k = pods_on(&w, web, node);
    ck_assert_int_eq(sim_workload(w.e, web)->ready, 8);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(150) - 1);
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_READY);
    ck_assert(health(&w, node).crashed);
    ts_run_to(w.e, S(150));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_NOT_READY);
    ck_assert_int_eq(sim_workload(w.e, web)->ready, 8 - k);   /* out of the endpoints */
    ck_assert_int_eq(pods_on(&w, web, node), k);              /* but not deleted */
    ck_assert_uint_eq(wl_fault_stats(w.f)->injected, 1);
    world_free(&w);
}
END_TEST

/* ---- §7.4: taint eviction ----------------------------------------------------------- */
START_TEST(faults_pods_deleted_at_crash_plus_50s_plus_300s_and_replaced_on_healthy_nodes)
{
    World w = world(1, 4, 0, 0);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 8, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, web);
    int k = pods_on(&w, web, node);
    ck_assert_int_gt(k, 0);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(150));
    ck_assert(health(&w, node).tainted);
    ck_assert_int_eq(health(&w, node).tainted_at, S(150));
    ts_run_to(w.e, S(450) - 1);
    ck_assert_int_eq(pods_on(&w, web, node), k);
    ts_run_to(w.e, S(450));
    ck_assert_int_eq(pods_on(&w, web, node), 0);
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, (uint64_t)k);
    ck_assert_int_eq(pods_on(&w, web, SIM_NONE), 8);   /* the ReplicaSet replaced them at once */
    ts_run_to(w.e, S(460));
    ck_assert_int_eq(sim_workload(w.e, web)->ready, 8);
    for (uint32_t i = 0; i < sim_pod_count(w.e); i++) {
        const SimPod *p = sim_pod(w.e, i);
        if (p->wl == web && live(p))
            ck_assert_int_eq(sim_node(w.e, p->node)->state, SIM_NODE_READY);
    }
    world_free(&w);
}
END_TEST

START_TEST(faults_own_toleration_seconds_60_deletes_at_110s)
{
    static SimToleration tol = {(char *)WL_TAINT_UNREACHABLE, SIM_TOL_EXISTS, NULL, SIM_TAINT_NO_EXECUTE, 60};
    World w = world(1, 2, 0, 0);
    uint32_t api = start(&w, "api", SIM_WL_DEPLOYMENT, 2, &tol, 1);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 2, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, api);
    int ka = pods_on(&w, api, node), kw = pods_on(&w, web, node);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(210) - 1);
    ck_assert_int_eq(pods_on(&w, api, node), ka);
    ts_run_to(w.e, S(210));   /* crash + 50 s + 60 s */
    ck_assert_int_eq(pods_on(&w, api, node), 0);
    ck_assert_int_eq(pods_on(&w, web, node), kw);   /* the default 300 s still runs */
    world_free(&w);
}
END_TEST

START_TEST(faults_daemonset_pods_are_never_evicted)
{
    World w = world(1, 3, 0, 0);
    uint32_t ds = start(&w, "agent", SIM_WL_DAEMONSET, 0, NULL, 0);
    ts_run_to(w.e, S(60));
    ck_assert_int_eq(pods_on(&w, ds, SIM_NONE), 3);
    uint32_t node = node_of(&w, ds);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(3600));
    ck_assert(health(&w, node).tainted);
    ck_assert_int_eq(pods_on(&w, ds, node), 1);
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, 0);
    world_free(&w);
}
END_TEST

/* ---- §7.5: per-zone rate limiting ---------------------------------------------------------- */
START_TEST(faults_normal_zone_taints_two_nodes_10s_apart)
{
    World w = world(1, 10, 0, 0);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, 3, SIM_NONE);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, 5, SIM_NONE);
    ts_run_to(w.e, S(200));
    ck_assert_int_eq(health(&w, 3).tainted_at, S(150));
    ck_assert_int_eq(health(&w, 5).tainted_at, S(160));   /* 1 / 0.1 node/s later */
    ck_assert_double_eq(wl_fault_zone_rate(w.f, w.zones[0]), WL_EVICTION_QPS);
    world_free(&w);
}
END_TEST

START_TEST(faults_small_zone_over_55_percent_unhealthy_gets_no_evictions)
{
    World w = world(2, 8, 0, 0);   /* zone a: nodes 0 2 4 6; zone b: 1 3 5 7 */
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 16, NULL, 0);
    ts_run_to(w.e, S(60));
    for (uint32_t n = 0; n <= 4; n += 2)
        fault(&w, WL_FAULT_NODE_CRASH, S(100), 0, n, SIM_NONE);
    ts_run_to(w.e, S(2000));
    ck_assert_double_eq(wl_fault_zone_rate(w.f, w.zones[0]), 0);   /* 3 of 4: partial, <= 50 nodes */
    ck_assert_double_eq(wl_fault_zone_rate(w.f, w.zones[1]), WL_EVICTION_QPS);
    for (uint32_t n = 0; n <= 4; n += 2) {
        ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_NOT_READY);
        ck_assert(!health(&w, n).tainted);
    }
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, 0);
    ck_assert_int_eq(pods_on(&w, web, SIM_NONE), 16);
    world_free(&w);
}
END_TEST

START_TEST(faults_large_zone_over_55_percent_unhealthy_slows_to_0_01_per_second)
{
    World w = world(1, 60, 0, 0);   /* more than --large-cluster-size-threshold 50 */
    WlFault ft = {.kind = WL_FAULT_NODE_CRASH, .at = S(100), .group = w.group, .count = 40, .zone = SIM_NONE,
                  .region = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(w.f, &ft), SIM_OK);
    ts_run_to(w.e, S(249));
    ck_assert_double_eq(wl_fault_zone_rate(w.f, w.zones[0]), WL_SECONDARY_EVICTION_QPS);
    int tainted = 0, crashed = 0;
    for (uint32_t n = 0; n < 60; n++) {
        tainted += health(&w, n).tainted;
        crashed += health(&w, n).crashed;
    }
    ck_assert_int_eq(crashed, 40);
    ck_assert_int_eq(tainted, 1);   /* at 150 s; the next token is 100 s later */
    ts_run_to(w.e, S(250));
    tainted = 0;
    for (uint32_t n = 0; n < 60; n++)
        tainted += health(&w, n).tainted;
    ck_assert_int_eq(tainted, 2);
    world_free(&w);
}
END_TEST

START_TEST(faults_fully_disrupted_zone_keeps_normal_rate_while_another_is_healthy)
{
    World w = world(2, 8, 0, 0);
    fault(&w, WL_FAULT_ZONE_OUTAGE, S(100), 0, SIM_NONE, w.zones[0]);
    ts_run_to(w.e, S(300));
    ck_assert(sim_zone(w.e, w.zones[0])->down);
    SimTime t[4];
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert(health(&w, 2 * i).tainted);
        t[i] = health(&w, 2 * i).tainted_at;
    }
    ck_assert_int_eq(t[0], S(150));
    ck_assert_int_eq(t[1], S(160));
    ck_assert_int_eq(t[2], S(170));
    ck_assert_int_eq(t[3], S(180));
    ck_assert(!health(&w, 1).crashed);
    world_free(&w);
}
END_TEST

START_TEST(faults_all_zones_fully_disrupted_stop_evictions)
{
    World w = world(2, 4, 0, 0);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 4, NULL, 0);
    ts_run_to(w.e, S(60));
    fault(&w, WL_FAULT_ZONE_OUTAGE, S(100), 0, SIM_NONE, w.zones[0]);
    fault(&w, WL_FAULT_ZONE_OUTAGE, S(100), 0, SIM_NONE, w.zones[1]);
    ts_run_to(w.e, S(3000));
    for (uint32_t n = 0; n < 4; n++) {
        ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_NOT_READY);
        ck_assert(!health(&w, n).tainted);
    }
    ck_assert_double_eq(wl_fault_zone_rate(w.f, w.zones[0]), 0);
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, 0);
    ck_assert_int_eq(pods_on(&w, web, SIM_NONE), 4);
    world_free(&w);
}
END_TEST

/* ---- §7.7: recovery ----------------------------------------------------------------------- */
START_TEST(faults_recovery_makes_node_and_remaining_pods_ready)
{
    World w = world(1, 4, 0, 0);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 8, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, web);
    int k = pods_on(&w, web, node);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), S(300), node, SIM_NONE);
    ts_run_to(w.e, S(399));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_NOT_READY);
    ck_assert(health(&w, node).tainted);
    ts_run_to(w.e, S(400));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_READY);
    ck_assert(!health(&w, node).tainted && !health(&w, node).crashed);
    ck_assert_int_eq(pods_on(&w, web, node), k);
    ck_assert_int_eq(sim_workload(w.e, web)->ready, 8);
    ts_run_to(w.e, S(1000));   /* the evictions due at 450 s were cancelled */
    ck_assert_int_eq(pods_on(&w, web, node), k);
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, 0);
    world_free(&w);
}
END_TEST

/* ---- §7.6: a StatefulSet pod waits for its node ------------------------------------------- */
START_TEST(faults_statefulset_pod_not_replaced_until_node_returns)
{
    World w = world(1, 3, 0, 0);
    uint32_t db = start(&w, "db", SIM_WL_STATEFULSET, 1, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, db);
    fault(&w, WL_FAULT_NODE_CRASH, S(100), S(900), node, SIM_NONE);
    ts_run_to(w.e, S(900));
    ck_assert_uint_eq(wl_fault_stats(w.f)->pods_evicted_by_taint, 1);
    ck_assert_int_eq(pods_on(&w, db, node), 1);   /* Terminating, still bound */
    ck_assert_int_eq(pods_on(&w, db, SIM_NONE), 1);
    ts_run_to(w.e, S(1000));   /* back: the kubelet kills it, the set creates db-0 anew */
    ck_assert_int_eq(pods_on(&w, db, SIM_NONE), 1);
    ts_run_to(w.e, S(1010));
    ck_assert_int_eq(sim_workload(w.e, db)->ready, 1);
    ck_assert_uint_eq(sim_stats(w.e)->pods_created, 2);
    world_free(&w);
}
END_TEST

/* ---- spot interruptions and stockouts ------------------------------------------------------- */
START_TEST(faults_spot_interruption_cordons_drains_with_pdb_and_removes_at_120s)
{
    World w = world(1, 2, 1, 0);
    static SimSelReq req = {(char *)"app", SIM_SEL_IN, &web_val, 1};
    SimPdb pdb = {(char *)"web", w.region, w.ns, {&req, 1}, 0, 0, 3};   /* minAvailable 3 */
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w.e, &pdb, &id), SIM_OK);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 4, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, web);
    ck_assert_int_eq(pods_on(&w, web, node), 2);
    fault(&w, WL_FAULT_SPOT_INTERRUPTION, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(100));
    ck_assert(sim_node(w.e, node)->unschedulable);
    ck_assert_int_eq(pods_on(&w, web, node), 1);   /* the PDB allowed one eviction, refused the other */
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 1);
    ts_run_to(w.e, S(105));   /* the replacement is Ready elsewhere: the retry evicts the second */
    ck_assert_int_eq(pods_on(&w, web, node), 0);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 2);
    ts_run_to(w.e, S(220) - 1);
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_READY);
    ts_run_to(w.e, S(220));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_REMOVED);
    /* nodes_removed is the autoscaler's own counter (scheduler/ca.c): no autoscaler here */
    ck_assert_uint_eq(wl_fault_stats(w.f)->spot_interruptions, 1);
    ck_assert_int_eq(sim_workload(w.e, web)->ready, 4);
    world_free(&w);
}
END_TEST

START_TEST(faults_spot_pdb_refusing_all_keeps_pods_until_the_instance_goes)
{
    World w = world(1, 2, 1, 0);
    static SimSelReq req = {(char *)"app", SIM_SEL_IN, &web_val, 1};
    SimPdb pdb = {(char *)"web", w.region, w.ns, {&req, 1}, 0, 0, 4};   /* minAvailable 4: no disruption */
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w.e, &pdb, &id), SIM_OK);
    uint32_t web = start(&w, "web", SIM_WL_DEPLOYMENT, 4, NULL, 0);
    ts_run_to(w.e, S(60));
    uint32_t node = node_of(&w, web);
    fault(&w, WL_FAULT_SPOT_INTERRUPTION, S(100), 0, node, SIM_NONE);
    ts_run_to(w.e, S(219));
    ck_assert_int_eq(pods_on(&w, web, node), 2);
    ck_assert_uint_eq(sim_stats(w.e)->pods_evicted, 0);
    ts_run_to(w.e, S(220));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_REMOVED);
    ck_assert_int_eq(pods_on(&w, web, node), 0);
    ck_assert_int_eq(pods_on(&w, web, SIM_NONE), 4);
    world_free(&w);
}
END_TEST

START_TEST(faults_stockout_nodes_never_register_until_it_ends)
{
    World w = world(1, 1, 0, 0);
    sim_nodegroup_mut(w.e, w.group)->provision_delay = S(60);
    WlFault ft = {.kind = WL_FAULT_STOCKOUT, .at = S(100), .duration = S(600), .group = w.group,
                  .zone = SIM_NONE, .region = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(w.f, &ft), SIM_OK);
    ts_run_to(w.e, S(200));
    uint32_t a, b;
    ck_assert_int_eq(sim_node_add(w.e, w.group, 0, &a), SIM_OK);
    ts_run_to(w.e, S(800));
    ck_assert_int_eq(sim_node(w.e, a)->state, SIM_NODE_PROVISIONING);
    ck_assert_int_eq(sim_nodegroup(w.e, w.group)->stockout, 0);
    ck_assert_int_eq(sim_node_add(w.e, w.group, 0, &b), SIM_OK);
    ts_run_to(w.e, S(860));
    ck_assert_int_eq(sim_node(w.e, b)->state, SIM_NODE_READY);
    world_free(&w);
}
END_TEST

/* Removal times of the nodes random interruptions took (up to max). */
static int random_interruptions(SimTime *t, int max)
{
    World w = world(1, 8, 1, 2.0);
    ts_run_to(w.e, S(2 * 3600));
    int n = 0;
    for (uint32_t i = 0; i < sim_node_count(w.e) && n < max; i++)
        if (sim_node(w.e, i)->state == SIM_NODE_REMOVED)
            t[n++] = sim_node(w.e, i)->changed_at;
    ck_assert_uint_eq(wl_fault_stats(w.f)->spot_interruptions, (uint64_t)n);
    world_free(&w);
    return n;
}

START_TEST(faults_random_spot_interruptions_are_poisson_and_deterministic)
{
    SimTime a[16], b[16];
    int na = random_interruptions(a, 16), nb = random_interruptions(b, 16);
    ck_assert_int_gt(na, 2);   /* 8 nodes at 2/h over 2 h: almost surely several */
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++)
        ck_assert_int_eq(a[i], b[i]);
}
END_TEST

/* ---- through scenarios ----------------------------------------------------------------------- */
typedef struct Outcome {
    int rc;
    SimErr err;
    char dir[700];
    char sha[65];
} Outcome;

static Outcome run_src(const char *src, uint64_t seed)
{
    Outcome o;
    memset(&o, 0, sizeof o);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions opt = {.path = tr_write(tmpdir, "s.lua", src), .seed = seed};
    ScnScenario *s = scn_load(&m, &opt, &o.err);
    ck_assert_msg(s != NULL, "load: %s", sim_err_msg(&o.err));
    snprintf(o.dir, sizeof o.dir, "%s/runXXXXXX", tmpdir);
    ck_assert_ptr_nonnull(mkdtemp(o.dir));
    ScnRunOptions ro = {.seed = seed, .dir = o.dir};
    ScnRunResult res;
    o.rc = scn_run(s, &ro, &res);
    if (o.rc != SIM_OK)
        sim_err_set(&o.err, o.rc, "%s", scn_errmsg(s));
    memcpy(o.sha, res.trace_sha256, sizeof o.sha);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    return o;
}

/* Sums over the trace's traffic samples of a region in [t0, t1): samples
 * with traffic, their mean p95 (µs) and their requests per second. */
typedef struct RegionTraffic {
    int samples;
    double p95_us, rps;
} RegionTraffic;

static RegionTraffic traffic_of(const char *dir, int64_t region, SimTime t0, SimTime t1)
{
    char path[800];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    SimMem m;
    sim_mem_init(&m);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    SimTraceReader *r = sim_trace_open(&m, &all, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    RegionTraffic out = {0, 0, 0};
    while (sim_trace_next(r, &rec) == SIM_OK)
        if (rec.kind == WL_TR_TRAFFIC && rec.v[1].i == region && rec.t >= t0 && rec.t < t1 && rec.v[2].i > 0) {
            out.samples++;
            out.p95_us += (double)rec.v[3].i;
            out.rps += (double)rec.v[2].i / 1000.0;
        }
    sim_trace_close_reader(r);
    if (out.samples) {
        out.p95_us /= out.samples;
        out.rps /= out.samples;
    }
    return out;
}

static int trace_count(const char *dir, const char *fault, const char *detail)
{
    char path[800];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    SimMem m;
    sim_mem_init(&m);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    SimTraceReader *r = sim_trace_open(&m, &all, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int n = 0;
    while (sim_trace_next(r, &rec) == SIM_OK)
        n += rec.kind == WL_TR_FAULT && strcmp(rec.v[0].s, fault) == 0 && strstr(rec.v[2].s, detail) != NULL;
    sim_trace_close_reader(r);
    return n;
}

static const char outage_src[] =
    "scenario { name = \"outage\", start = \"09:00\", duration = \"1h\", sample_every = \"60s\" }\n"
    "region { name = \"eu\" }\n"
    "region { name = \"us\" }\n"
    "site { name = \"london\" }\n"
    "latency { from = \"london\", to = \"eu\", ms = 10 }\n"
    "latency { from = \"london\", to = \"us\", ms = 80 }\n"
    "nodegroup { name = \"eu-cpu\", region = \"eu\", cpu = \"8\", memory = \"32Gi\", min = 3, max = 3 }\n"
    "nodegroup { name = \"us-cpu\", region = \"us\", cpu = \"8\", memory = \"32Gi\", min = 3, max = 3 }\n"
    "deployment { name = \"api-eu\", region = \"eu\", replicas = 4, cpu = \"500m\", memory = \"1Gi\",\n"
    "  serve = { service = \"api\", capacity = 100, service_time = \"20ms\", slo_p95 = \"100ms\" } }\n"
    "deployment { name = \"api-us\", region = \"us\", replicas = 4, cpu = \"500m\", memory = \"1Gi\",\n"
    "  serve = { service = \"api\", capacity = 100, service_time = \"20ms\", slo_p95 = \"100ms\" } }\n"
    "traffic { site = \"london\", service = \"api\", rate = 100 }\n"
    "%s\n";

START_TEST(faults_region_outage_fails_over_to_next_region_with_its_latency)
{
    char src[4096];
    snprintf(src, sizeof src, outage_src,
             "fault { kind = \"region_outage\", region = \"eu\", at = \"09:20\", duration = \"20m\" }\n"
             "expect(\"faults counted\", function(r) return r.faults.injected == 1 end)\n");
    Outcome o = run_src(src, 1);
    ck_assert_msg(o.rc == SIM_OK, "%s", sim_err_msg(&o.err));
    RegionTraffic before_eu = traffic_of(o.dir, 0, S(300), S(1200)), before_us = traffic_of(o.dir, 1, S(300), S(1200));
    RegionTraffic during_us = traffic_of(o.dir, 1, S(1260), S(2400)), during_eu = traffic_of(o.dir, 0, S(1260), S(2400));
    RegionTraffic after_eu = traffic_of(o.dir, 0, S(2460), S(3600));
    ck_assert_int_gt(before_eu.samples, 0);
    ck_assert_int_eq(before_us.samples, 0);       /* London goes to the nearest region */
    ck_assert_int_gt(during_us.samples, 0);       /* failed over */
    ck_assert_int_eq(during_eu.samples, 0);
    ck_assert_double_gt(during_us.rps, 90);
    ck_assert_double_gt(during_us.p95_us, before_eu.p95_us + 60000);   /* the 80 ms round trip */
    ck_assert_int_gt(after_eu.samples, 0);        /* back after the outage */
    ck_assert_int_eq(trace_count(o.dir, "region_outage", "start"), 1);
    ck_assert_int_eq(trace_count(o.dir, "region_outage", "end"), 1);
    ck_assert_int_eq(trace_count(o.dir, "taint", ""), 0);   /* the whole region is down: no evictions */
}
END_TEST

START_TEST(faults_region_outage_slo_impact_is_visible)
{
    char src[4096];
    snprintf(src, sizeof src, outage_src,
             "fault { kind = \"region_outage\", region = \"eu\", at = \"09:20\", duration = \"20m\" }\n"
             "expect(\"the us region violated its SLO\", function(r)\n"
             "  for _, s in ipairs(r.slo) do if s.region == \"us\" and s.violation_seconds > 0 then return true end end\n"
             "  return false end)\n");
    Outcome o = run_src(src, 1);
    ck_assert_msg(o.rc == SIM_OK, "%s", sim_err_msg(&o.err));
    char path[800], text[1 << 16];
    snprintf(path, sizeof path, "%s/summary.json", o.dir);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    const cJSON *exp = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "expectations"), 0);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(exp, "passed")));   /* 80 ms RTT > the 100 ms p95 budget's room */
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "faults"), "injected")->valuedouble, 1);
    cJSON_Delete(j);
}
END_TEST

static const char small_src[] =
    "scenario { name = \"small\", start = \"09:00\", duration = \"1h\", sample_every = \"60s\" }\n"
    "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
    "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 4, max = 6 }\n"
    "nodegroup { name = \"spot\", cpu = \"8\", memory = \"32Gi\", min = 4, max = 4, spot = true,\n"
    "            spot_interruptions_per_hour = 1 }\n"
    "deployment { name = \"web\", replicas = 6, cpu = \"1\", memory = \"1Gi\" }\n"
    "%s\n";

START_TEST(faults_hook_k_fail_injects_now)
{
    char src[4096];
    snprintf(src, sizeof src, small_src,
             "at(\"10m\", function(k) k.fail { kind = \"node_crash\", node = \"g-1\", duration = \"5m\" } end)\n");
    Outcome o = run_src(src, 3);
    ck_assert_msg(o.rc == SIM_OK, "%s", sim_err_msg(&o.err));
    ck_assert_int_eq(trace_count(o.dir, "node_crash", "start"), 1);
    ck_assert_int_eq(trace_count(o.dir, "node_crash", "end"), 1);
    snprintf(src, sizeof src, small_src,
             "at(\"10m\", function(k) k.fail { kind = \"zone_outage\", zone = \"nowhere\" } end)\n");
    o = run_src(src, 3);
    ck_assert_int_ne(o.rc, SIM_OK);
    ck_assert_msg(strstr(sim_err_msg(&o.err), "s.lua:7:") && strstr(sim_err_msg(&o.err), "no zone named 'nowhere'"),
                  "%s", sim_err_msg(&o.err));
}
END_TEST

START_TEST(faults_same_seed_gives_the_same_trace)
{
    char src[4096];
    snprintf(src, sizeof src, small_src,
             "fault { kind = \"node_crash\", group = \"g\", count = 2, at = \"09:05\", duration = \"20m\" }\n"
             "fault { kind = \"zone_outage\", zone = \"eu-b\", at = \"09:30\", duration = \"10m\" }\n"
             "fault { kind = \"spot_interruption\", group = \"spot\", at = \"09:10\" }\n");
    Outcome a = run_src(src, 5), b = run_src(src, 5);
    ck_assert_msg(a.rc == SIM_OK, "%s", sim_err_msg(&a.err));
    ck_assert_str_eq(a.sha, b.sha);
    ck_assert_int_eq(trace_count(a.dir, "node_crash", "start"), 2);
    ck_assert_int_gt(trace_count(a.dir, "taint_evict", ""), 0);
}
END_TEST

/* summary.json's faults.list says when each fault started and ended (the
 * report shades those spans): a zone outage from 10:00 to 10:30 is
 * [3600, 5400] s into a 09:00 run; a crash without a duration never ends
 * (null); a fault after the end of the run never started and is not listed. */
START_TEST(faults_summary_lists_each_fault_with_its_times)
{
    static const char src[] =
        "scenario { name = \"timed\", start = \"09:00\", duration = \"2h\", sample_every = \"60s\" }\n"
        "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
        "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 4, max = 6 }\n"
        "deployment { name = \"web\", replicas = 6, cpu = \"1\", memory = \"1Gi\" }\n"
        "fault { kind = \"zone_outage\", zone = \"eu-b\", at = \"10:00\", duration = \"30m\" }\n"
        "fault { kind = \"node_crash\", node = \"g-1\", at = \"09:10\" }\n"
        "fault { kind = \"node_crash\", node = \"g-2\", at = \"12:00\" }\n";
    Outcome o = run_src(src, 3);
    ck_assert_msg(o.rc == SIM_OK, "%s", sim_err_msg(&o.err));
    char path[800], text[1 << 16];
    snprintf(path, sizeof path, "%s/summary.json", o.dir);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(text);
    const cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "faults"), "list");
    ck_assert_int_eq(cJSON_GetArraySize(list), 2);
    const cJSON *zone = cJSON_GetArrayItem(list, 0), *crash = cJSON_GetArrayItem(list, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(zone, "kind")->valuestring, "zone_outage");
    ck_assert_str_eq(cJSON_GetObjectItem(zone, "target")->valuestring, "eu-b");
    ck_assert_double_eq(cJSON_GetObjectItem(zone, "start_seconds")->valuedouble, 3600);
    ck_assert_double_eq(cJSON_GetObjectItem(zone, "end_seconds")->valuedouble, 5400);
    ck_assert_str_eq(cJSON_GetObjectItem(crash, "kind")->valuestring, "node_crash");
    ck_assert_str_eq(cJSON_GetObjectItem(crash, "target")->valuestring, "g-1");
    ck_assert_double_eq(cJSON_GetObjectItem(crash, "start_seconds")->valuedouble, 600);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(crash, "end_seconds")));
    cJSON_Delete(j);
}
END_TEST

/* ---- bad faults through the real binary --------------------------------------------------- */
static char err_text[1 << 14];

static int ks_validate(const char *src)
{
    const char *bin = getenv("KUBESIM_BIN");
    ck_assert_msg(bin != NULL, "set KUBESIM_BIN (ctest does)");
    tr_write(tmpdir, "bad.lua", src);
    char cmd[2048], errp[800];
    snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run bad.lua --quiet --out out >/dev/null 2>'%s' </dev/null", tmpdir,
             bin, errp);
    int st = system(cmd);
    FILE *f = fopen(errp, "rb");
    size_t n = f ? fread(err_text, 1, sizeof err_text - 1, f) : 0;
    err_text[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_refused(const char *fault_line, const char *frag)
{
    char src[4096];
    snprintf(src, sizeof src, small_src, fault_line);
    ck_assert_int_eq(ks_validate(src), 2);
    ck_assert_msg(strstr(err_text, "bad.lua:7:") != NULL, "no file:line in: %s", err_text);
    ck_assert_msg(strstr(err_text, frag) != NULL, "'%s' lacks '%s'", err_text, frag);
    char out[800];
    snprintf(out, sizeof out, "%s/out", tmpdir);
    ck_assert_msg(access(out, F_OK) != 0, "an output folder was written");
}

START_TEST(faults_unknown_zone_or_region_exit_2_with_file_line)
{
    expect_refused("fault { kind = \"zone_outage\", zone = \"eu-z\", at = \"09:30\" }", "no zone named 'eu-z'");
    expect_refused("fault { kind = \"region_outage\", region = \"mars\", at = \"09:30\" }",
                   "no region named 'mars'");
    expect_refused("fault { kind = \"node_crash\", group = \"gpu\", at = \"09:30\" }", "no node group named 'gpu'");
    expect_refused("fault { kind = \"node_crash\", node = \"g-17\", at = \"09:30\" }", "no node named 'g-17'");
    expect_refused("fault { kind = \"node_crash\", node = \"x-1\", at = \"09:30\" }", "no node named 'x-1'");
    expect_refused("fault { kind = \"zone_outge\", zone = \"eu-a\", at = \"09:30\" }", "did you mean 'zone_outage'");
    expect_refused("fault { kind = \"zone_outage\", zone = \"eu-a\", at = \"09:30\", durtion = \"5m\" }",
                   "unknown field 'durtion' in fault (did you mean 'duration'?)");
    expect_refused("fault { kind = \"zone_outage\", zone = \"eu-a\", node = \"g-1\", at = \"09:30\" }",
                   "does not apply to a zone_outage fault");
    expect_refused("fault { kind = \"spot_interruption\", group = \"g\", at = \"09:30\" }", "not spot capacity");
    expect_refused("fault { kind = \"node_crash\", node = \"g-1\" }", "field 'at': is required");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, faults_node_not_ready_exactly_at_crash_plus_grace_period);
    tcase_add_test(tc, faults_pods_deleted_at_crash_plus_50s_plus_300s_and_replaced_on_healthy_nodes);
    tcase_add_test(tc, faults_own_toleration_seconds_60_deletes_at_110s);
    tcase_add_test(tc, faults_daemonset_pods_are_never_evicted);
    tcase_add_test(tc, faults_normal_zone_taints_two_nodes_10s_apart);
    tcase_add_test(tc, faults_small_zone_over_55_percent_unhealthy_gets_no_evictions);
    tcase_add_test(tc, faults_large_zone_over_55_percent_unhealthy_slows_to_0_01_per_second);
    tcase_add_test(tc, faults_fully_disrupted_zone_keeps_normal_rate_while_another_is_healthy);
    tcase_add_test(tc, faults_all_zones_fully_disrupted_stop_evictions);
    tcase_add_test(tc, faults_recovery_makes_node_and_remaining_pods_ready);
    tcase_add_test(tc, faults_statefulset_pod_not_replaced_until_node_returns);
    tcase_add_test(tc, faults_spot_interruption_cordons_drains_with_pdb_and_removes_at_120s);
    tcase_add_test(tc, faults_spot_pdb_refusing_all_keeps_pods_until_the_instance_goes);
    tcase_add_test(tc, faults_stockout_nodes_never_register_until_it_ends);
    tcase_add_test(tc, faults_random_spot_interruptions_are_poisson_and_deterministic);
    suite_add_tcase(s, tc);
    TCase *sc = tcase_create("scenarios");
    tcase_set_timeout(sc, 300);
    tcase_add_test(sc, faults_region_outage_fails_over_to_next_region_with_its_latency);
    tcase_add_test(sc, faults_region_outage_slo_impact_is_visible);
    tcase_add_test(sc, faults_hook_k_fail_injects_now);
    tcase_add_test(sc, faults_same_seed_gives_the_same_trace);
    tcase_add_test(sc, faults_summary_lists_each_fault_with_its_times);
    tcase_add_test(sc, faults_unknown_zone_or_region_exit_2_with_file_line);
    suite_add_tcase(s, sc);
    return s;
}

int main(void)
{
    return tr_main(suite(), tmpdir);
}
