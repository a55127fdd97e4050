/*
 * bench_schedule.c: the scheduler benchmark. One region of 5,000 nodes in
 * four node groups of different sizes over 3 zones (two groups tainted, one
 * with a PreferNoSchedule taint), and 150,000 pods of mixed shapes from 24
 * workloads, created round-robin at one instant; a tenth of them have
 * topology spread constraints or pod (anti-)affinity, and the Deployments get
 * the system-default spreading. Placement uses the faithful node sampling
 * (500 feasible nodes of 5,000). The figure is pods bound per wall-clock
 * second, from the first pod created to the last one bound. --quick: 500
 * nodes and 15,000 pods.
 *
 * A second world measures required pod anti-affinity alone: the same 5,000
 * nodes and 20 Deployments of 2,000 pods each (40,000 pods), every pod with a
 * required anti-affinity term to its own app per hostname (one pod per node
 * per app), created round-robin; the figure is anti_affinity_pods_per_s.
 * --quick: 500 nodes, 200 pods per app.
 */
#include "cli/bench.h"

#include <stdio.h>
#include <string.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"

#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)

typedef struct Shape {
    const char *name;
    SimWlKind kind;
    int64_t cpu_m, mem;
    int weight;            /* share of the pods, in 1/1000 */
    int constraint;        /* see wl_constrain */
} Shape;

/* 1000 in all; constrained shapes add up to 100 (a tenth). */
static const Shape shapes[] = {
    {"web", SIM_WL_DEPLOYMENT, 100, 256 * MIB, 150, 0},
    {"api", SIM_WL_DEPLOYMENT, 250, 512 * MIB, 120, 0},
    {"cache", SIM_WL_DEPLOYMENT, 500, 2 * GIB, 60, 0},
    {"worker", SIM_WL_DEPLOYMENT, 500, GIB, 100, 0},
    {"batch-s", SIM_WL_JOB, 250, 256 * MIB, 120, 0},
    {"batch-m", SIM_WL_JOB, 1000, 2 * GIB, 60, 0},
    {"batch-l", SIM_WL_JOB, 2000, 4 * GIB, 20, 0},
    {"sidecar", SIM_WL_DEPLOYMENT, 50, 64 * MIB, 100, 0},
    {"etl", SIM_WL_JOB, 500, GIB, 80, 0},
    {"ml", SIM_WL_JOB, 1000, 4 * GIB, 20, 0},
    {"report", SIM_WL_JOB, 100, 128 * MIB, 50, 0},
    {"mem-db", SIM_WL_DEPLOYMENT, 2000, 16 * GIB, 20, 6},
    {"zone-spread", SIM_WL_DEPLOYMENT, 250, 512 * MIB, 25, 1},
    {"host-spread", SIM_WL_DEPLOYMENT, 100, 256 * MIB, 25, 2},
    {"one-per-node", SIM_WL_DEPLOYMENT, 250, 512 * MIB, 10, 3},
    {"near-cache", SIM_WL_DEPLOYMENT, 100, 256 * MIB, 20, 4},
    {"soft-anti", SIM_WL_DEPLOYMENT, 100, 128 * MIB, 20, 5},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

typedef struct Group {
    const char *name;
    int64_t cpu_m, mem;
    int share;             /* nodes, in 1/100 */
    const char *taint_key, *taint_value;
    SimTaintEffect effect;
} Group;

static const Group groups[] = {
    {"general", 16000, 64 * GIB, 60, NULL, NULL, SIM_TAINT_NO_SCHEDULE},
    {"compute", 32000, 64 * GIB, 24, "spot", "true", SIM_TAINT_PREFER_NO_SCHEDULE},
    {"memory", 16000, 128 * GIB, 12, "dedicated", "memory", SIM_TAINT_NO_SCHEDULE},
    {"infra", 8000, 32 * GIB, 4, "dedicated", "infra", SIM_TAINT_NO_SCHEDULE},
};
#define NGROUPS (sizeof groups / sizeof groups[0])

/* Everything the workload specs point to (specs borrow their arrays). */
typedef struct Specs {
    SimKV labels[NSHAPES];
    char *app_values[NSHAPES][1];
    SimSelReq app_req[NSHAPES];
    SimSpread spread[NSHAPES];
    SimPodAffinityTerm term[NSHAPES];
    SimToleration tol;
    SimSelReq group_req;
    char *group_values[1];
} Specs;

static int region_setup(SimEngine *e, uint32_t nodes, uint32_t *region, uint32_t *ns)
{
    static const char *const zone_names[] = {"bench-1a", "bench-1b", "bench-1c"};
    uint32_t zones[3];
    if (sim_region_add(e, "bench", region) || sim_namespace_add(e, "default", ns))
        return -1;
    for (int z = 0; z < 3; z++)
        if (sim_zone_add(e, *region, zone_names[z], &zones[z]))
            return -1;
    for (size_t i = 0; i < NGROUPS; i++) {
        SimNodeGroup g;
        SimTaint t = {(char *)groups[i].taint_key, (char *)groups[i].taint_value, groups[i].effect};
        uint32_t id, n = nodes * (uint32_t)groups[i].share / 100, node;
        memset(&g, 0, sizeof g);
        g.name = (char *)groups[i].name;
        g.region = *region;
        g.instance_type = (char *)"bench";
        g.alloc = (SimRes){groups[i].cpu_m, groups[i].mem, 0, 110};
        g.max = (int32_t)nodes;
        g.zones = zones;
        g.nzones = 3;
        g.taints = groups[i].taint_key ? &t : NULL;
        g.ntaints = groups[i].taint_key ? 1 : 0;
        if (sim_nodegroup_add(e, &g, &id))
            return -1;
        for (uint32_t k = 0; k < n; k++)
            if (sim_node_add(e, id, 1, &node))
                return -1;
    }
    return 0;
}

/* Constraints by kind: 1 zone spread maxSkew 1 (DoNotSchedule); 2 hostname
 * spread maxSkew 2 (DoNotSchedule); 3 required anti-affinity to itself per
 * hostname; 4 required affinity to "cache" per zone; 5 preferred
 * anti-affinity to itself per hostname; 6 tolerates the memory taint and
 * selects the memory group. */
static void wl_constrain(Specs *sp, size_t i, SimPodSpec *spec)
{
    SimSelector self = {&sp->app_req[i], 1};
    switch (shapes[i].constraint) {
    case 1:
    case 2:
        sp->spread[i] = (SimSpread){shapes[i].constraint == 1 ? 1 : 2,
                                    (char *)(shapes[i].constraint == 1 ? "topology.kubernetes.io/zone"
                                                                       : "kubernetes.io/hostname"),
                                    1, self, 0};
        spec->spread = &sp->spread[i];
        spec->nspread = 1;
        break;
    case 3:
    case 5:
        sp->term[i] = (SimPodAffinityTerm){self, (char *)"kubernetes.io/hostname", 50};
        if (shapes[i].constraint == 3) {
            spec->affinity.req_anti = &sp->term[i];
            spec->affinity.nreq_anti = 1;
        } else {
            spec->affinity.pref_anti = &sp->term[i];
            spec->affinity.npref_anti = 1;
        }
        break;
    case 4:
        sp->term[i] = (SimPodAffinityTerm){{&sp->app_req[2], 1}, (char *)"topology.kubernetes.io/zone", 0};
        spec->affinity.req_affinity = &sp->term[i];
        spec->affinity.nreq_affinity = 1;
        break;
    case 6:
        spec->tolerations = &sp->tol;
        spec->ntolerations = 1;
        spec->node_selector = (SimSelector){&sp->group_req, 1};
        break;
    default: break;
    }
}

static int workloads_setup(SimEngine *e, Specs *sp, uint32_t region, uint32_t ns, uint32_t *ids)
{
    sp->tol = (SimToleration){(char *)"dedicated", SIM_TOL_EQUAL, (char *)"memory", SIM_TAINT_NO_SCHEDULE, -1};
    sp->group_values[0] = (char *)"memory";
    sp->group_req = (SimSelReq){(char *)"kubesim.io/node-group", SIM_SEL_IN, sp->group_values, 1};
    for (size_t i = 0; i < NSHAPES; i++) {
        sp->labels[i] = (SimKV){(char *)"app", (char *)shapes[i].name};
        sp->app_values[i][0] = (char *)shapes[i].name;
        sp->app_req[i] = (SimSelReq){(char *)"app", SIM_SEL_IN, sp->app_values[i], 1};
    }
    for (size_t i = 0; i < NSHAPES; i++) {
        SimWorkload w;
        memset(&w, 0, sizeof w);
        w.name = (char *)shapes[i].name;
        w.kind = shapes[i].kind;
        w.ns = ns;
        w.region = region;
        w.spec.req = (SimRes){shapes[i].cpu_m, shapes[i].mem, 0, 1};
        w.spec.duration = shapes[i].kind == SIM_WL_JOB ? SIM_SEC(3600) : 0;
        w.spec.labels = &sp->labels[i];
        w.spec.nlabels = 1;
        wl_constrain(sp, i, &w.spec);
        if (sim_workload_add(e, &w, &ids[i]))
            return -1;
    }
    return 0;
}

/* Creates the pods round-robin by weight, then runs until none is waiting. */
static int place_all(SimEngine *e, const uint32_t *ids, uint32_t pods, double *seconds)
{
    int credit[NSHAPES] = {0};
    uint32_t made = 0, pod;
    double t0 = bench_now();
    while (made < pods) {
        for (size_t i = 0; i < NSHAPES && made < pods; i++) {
            credit[i] += shapes[i].weight;
            for (; credit[i] >= 1000 / 50 && made < pods; credit[i] -= 1000 / 50, made++)
                if (sim_pod_create(e, ids[i], &pod))
                    return -1;
        }
    }
    const SimRegion *r = sim_region(e, 0);
    while (r->pods_bound + r->pods_running + r->pods_pending < pods) {
        int rc = sim_step(e);
        if (rc != SIM_OK)
            return rc == SIM_DONE ? 0 : -1;
        r = sim_region(e, 0);
    }
    *seconds = bench_now() - t0;
    return 0;
}

/* The anti-affinity world: ANTI_APPS Deployments whose pods repel their own
 * app's pods per hostname. */
#define ANTI_APPS 20
typedef struct Anti {
    uint32_t nodes, region, ns, ids[ANTI_APPS];
    char names[ANTI_APPS][16];
    char *values[ANTI_APPS][1];
    SimKV labels[ANTI_APPS];
    SimSelReq req[ANTI_APPS];
    SimPodAffinityTerm term[ANTI_APPS];
} Anti;

static int anti_populate(void *ctx, SimEngine *e)
{
    Anti *a = ctx;
    if (region_setup(e, a->nodes, &a->region, &a->ns) != 0)
        return SIM_EINVAL;
    for (size_t i = 0; i < ANTI_APPS; i++) {
        SimWorkload w;
        snprintf(a->names[i], sizeof a->names[i], "anti-%02zu", i);
        a->values[i][0] = a->names[i];
        a->labels[i] = (SimKV){(char *)"app", a->names[i]};
        a->req[i] = (SimSelReq){(char *)"app", SIM_SEL_IN, a->values[i], 1};
        a->term[i] = (SimPodAffinityTerm){{&a->req[i], 1}, (char *)"kubernetes.io/hostname", 0};
        memset(&w, 0, sizeof w);
        w.name = a->names[i];
        w.kind = SIM_WL_DEPLOYMENT;
        w.ns = a->ns;
        w.region = a->region;
        w.spec.req = (SimRes){250, 512 * MIB, 0, 1};
        w.spec.labels = &a->labels[i];
        w.spec.nlabels = 1;
        w.spec.affinity.req_anti = &a->term[i];
        w.spec.affinity.nreq_anti = 1;
        if (sim_workload_add(e, &w, &a->ids[i]))
            return SIM_EINVAL;
    }
    return SIM_OK;
}

/* Creates per pods of each app round-robin, then runs until none is waiting. */
static int anti_place(SimEngine *e, const Anti *a, uint32_t per, double *seconds)
{
    uint32_t pod, pods = per * ANTI_APPS;
    double t0 = bench_now();
    for (uint32_t k = 0; k < per; k++)
        for (size_t i = 0; i < ANTI_APPS; i++)
            if (sim_pod_create(e, a->ids[i], &pod))
                return -1;
    const SimRegion *r = sim_region(e, a->region);
    while (r->pods_bound + r->pods_running + r->pods_pending < pods) {
        int rc = sim_step(e);
        if (rc != SIM_OK)
            return rc == SIM_DONE ? 0 : -1;
        r = sim_region(e, a->region);
    }
    *seconds = bench_now() - t0;
    return r->pods_pending == 0 ? 0 : -1;
}

/* The anti-affinity figures, added to out. */
static int bench_anti(cJSON *out, int quick)
{
    Anti a;
    memset(&a, 0, sizeof a);
    a.nodes = quick ? 500 : 5000;
    uint32_t per = quick ? 200 : 2000;
    ScnWorldOptions wo = {.seed = 42, .end = SIM_SEC(60), .populate = anti_populate, .ctx = &a};
    ScnWorld *w = NULL;
    double secs = 0;
    int open = scn_world_open(&w, NULL, &wo);
    int rc = open == SIM_OK ? anti_place(scn_world_engine(w), &a, per, &secs) : -1;
    if (rc == 0) {
        cJSON_AddNumberToObject(out, "anti_affinity_pods", per * ANTI_APPS);
        cJSON_AddNumberToObject(out, "anti_affinity_pods_per_s",
                                secs > 0 ? (double)(int64_t)((double)(per * ANTI_APPS) / secs) : 0);
        cJSON_AddNumberToObject(out, "anti_affinity_seconds", secs);
    } else {
        fprintf(stderr, "kubesim bench schedule: anti-affinity: %s\n",
                open != SIM_OK ? scn_world_errmsg(w)
                : sim_errmsg(scn_world_engine(w))[0] ? sim_errmsg(scn_world_engine(w))
                                                     : "pods left unschedulable");
    }
    scn_world_close(w);
    return rc == 0 ? 0 : -1;
}

/* The synthetic cluster, made inside the world (populate). */
typedef struct Cluster {
    uint32_t nodes, region, ns, ids[NSHAPES];
    Specs sp;
} Cluster;

static int populate(void *ctx, SimEngine *e)
{
    Cluster *c = ctx;
    if (region_setup(e, c->nodes, &c->region, &c->ns) != 0 || workloads_setup(e, &c->sp, c->region, c->ns, c->ids) != 0)
        return SIM_EINVAL;   /* the message is on the engine */
    return SIM_OK;
}

int bench_schedule(cJSON *out, int quick)
{
    uint32_t pods = quick ? 15000 : 150000;
    Cluster c;
    memset(&c, 0, sizeof c);
    c.nodes = quick ? 500 : 5000;
    ScnWorldOptions wo = {.seed = 42, .end = SIM_SEC(60), .populate = populate, .ctx = &c};
    ScnWorld *w = NULL;
    double secs = 0;
    int open = scn_world_open(&w, NULL, &wo);
    int rc = open == SIM_OK ? place_all(scn_world_engine(w), c.ids, pods, &secs) : -1;
    if (rc == 0) {
        const SimRegion *r = sim_region(scn_world_engine(w), c.region);
        cJSON_AddNumberToObject(out, "nodes", c.nodes);
        cJSON_AddNumberToObject(out, "pods", pods);
        cJSON_AddNumberToObject(out, "pods_per_s", secs > 0 ? (double)(int64_t)((double)pods / secs) : 0);
        cJSON_AddNumberToObject(out, "seconds", secs);
        cJSON_AddNumberToObject(out, "bound", r->pods_bound + r->pods_running);
        cJSON_AddNumberToObject(out, "unschedulable", r->pods_pending);
    } else {
        fprintf(stderr, "kubesim bench schedule: %s\n",
                open == SIM_OK ? sim_errmsg(scn_world_engine(w)) : scn_world_errmsg(w));
    }
    scn_world_close(w);
    return rc == 0 ? bench_anti(out, quick) : -1;
}
