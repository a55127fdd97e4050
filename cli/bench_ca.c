/*
 * bench_ca.c: the cluster-autoscaler benchmark. One region of 5,000 Ready
 * nodes in four node groups, each node 95 % full (CPU), and 2,000 unschedulable
 * pods from four workloads: the figure is the wall time of one loop's plan
 * (sched_ca_plan: candidates, nodes that could take them, templates,
 * binpacking per group, expander), averaged over repeats, each repeat
 * adding one pending pod so the plan is computed afresh. Then two figures of
 * a cluster with nothing pending where every node is under the threshold:
 * the full scale-down pass (utilisation, blockers, a place for every pod)
 * and a quiet loop after it (nothing changed: the last plan stands); the
 * loop after 5 nodes of 20,000 changed, reusing the last pass's simulations
 * and exhaustive.
 * --quick: 500 nodes and 200 pods.
 */
#include "cli/bench.h"

#include <stdio.h>
#include <string.h>

#include "scenarios/scn.h"
#include "scheduler/ca.h"

#define GIB (INT64_C(1) << 30)

static const char *const GROUPS[] = {"general", "compute", "memory", "spare"};
static const int64_t GROUP_CPU[] = {4000, 8000, 4000, 16000}, GROUP_MEM[] = {16 * GIB, 16 * GIB, 32 * GIB, 64 * GIB};

typedef struct Bench {
    ScnWorld *w;
    SimEngine *e;
    SchedCa *ca;
    uint32_t nodes, region, ns, groups[4];
    double fill;
    uint32_t per_node;           /* pods per node sharing the fill (0: 1) */
} Bench;

static int add_groups(Bench *b)
{
    uint32_t zone;
    if (sim_region_add(b->e, "bench", &b->region) || sim_zone_add(b->e, b->region, "bench-a", &zone) ||
        sim_namespace_add(b->e, "default", &b->ns))
        return -1;
    for (int g = 0; g < 4; g++) {
        SimNodeGroup ng;
        memset(&ng, 0, sizeof ng);
        ng.name = (char *)GROUPS[g];
        ng.region = b->region;
        ng.alloc = (SimRes){GROUP_CPU[g], GROUP_MEM[g], 0, 110};
        ng.price_per_hour = 0.1 * (g + 1);
        ng.max = 100000;
        ng.zones = &zone;
        ng.nzones = 1;
        ng.provision_delay = SIM_SEC(90);
        if (sim_nodegroup_add(b->e, &ng, &b->groups[g]))
            return -1;
    }
    return 0;
}

/* A filler workload per group: each node `fill` full. */
static int fill_nodes(Bench *b)
{
    for (int g = 0; g < 4; g++) {
        SimWorkload w;
        memset(&w, 0, sizeof w);
        char name[32];
        snprintf(name, sizeof name, "fill-%s", GROUPS[g]);
        w.name = name;
        w.kind = SIM_WL_DEPLOYMENT;
        w.ns = b->ns;
        w.region = b->region;
        uint32_t k = b->per_node ? b->per_node : 1;
        w.spec.req = (SimRes){(int64_t)((double)GROUP_CPU[g] * b->fill) / k,
                              (int64_t)((double)GROUP_MEM[g] * b->fill) / 2 / k, 0, 1};
        uint32_t wl;
        if (sim_workload_add(b->e, &w, &wl))
            return -1;
        for (uint32_t i = (uint32_t)g; i < b->nodes; i += 4) {
            uint32_t node, pod;
            if (sim_node_add(b->e, b->groups[g], 1, &node))
                return -1;
            for (uint32_t j = 0; j < k; j++)
                if (sim_pod_create(b->e, wl, &pod) || sim_pod_bind(b->e, pod, node))
                    return -1;
        }
    }
    return 0;
}

static int populate(void *ctx, SimEngine *e)
{
    Bench *b = ctx;
    b->e = e;
    return add_groups(b) == 0 && fill_nodes(b) == 0 ? SIM_OK : SIM_EINVAL;   /* message on the engine */
}

/* The cluster in a world with the scheduler and the autoscaler (cfg; NULL:
 * upstream's defaults). */
static int setup(Bench *b, uint32_t nodes, double fill, uint32_t per_node, const SchedCaConfig *cfg)
{
    memset(b, 0, sizeof *b);
    b->nodes = nodes;
    b->fill = fill;
    b->per_node = per_node;
    ScnWorldOptions wo = {.seed = 42, .end = SIM_SEC(3600), .parts = SCN_WORLD_AUTOSCALER, .populate = populate,
                          .ctx = b, .autoscaler = cfg};
    if (scn_world_open(&b->w, NULL, &wo) != SIM_OK) {
        fprintf(stderr, "kubesim bench autoscaler_loop: %s\n", scn_world_errmsg(b->w));
        return -1;
    }
    b->ca = scn_world_autoscaler(b->w);
    return 0;
}

static void teardown(Bench *b)
{
    scn_world_close(b->w);
}

/* pending unschedulable pods over four workloads of different shapes. */
static int add_pending(Bench *b, uint32_t pending, uint32_t *wls)
{
    static const int64_t cpu[] = {1000, 1500, 2000, 3000};
    for (int k = 0; k < 4; k++) {
        SimWorkload w;
        memset(&w, 0, sizeof w);
        char name[32];
        snprintf(name, sizeof name, "surge-%d", k);
        w.name = name;
        w.kind = SIM_WL_DEPLOYMENT;
        w.ns = b->ns;
        w.region = b->region;
        w.spec.req = (SimRes){cpu[k], cpu[k] * 2 * (GIB / 1000), 0, 1};
        if (sim_workload_add(b->e, &w, &wls[k]))
            return -1;
    }
    for (uint32_t i = 0; i < pending; i++) {
        uint32_t pod;
        if (sim_pod_create(b->e, wls[i % 4], &pod))
            return -1;
        sim_pod_set_unschedulable(b->e, pod, "bench");
    }
    return 0;
}

static double time_plans(Bench *b, const uint32_t *wls, int reps, int32_t *delta)
{
    double t = 0;
    for (int r = 0; r < reps; r++) {
        uint32_t pod;   /* a change, so the plan is computed afresh */
        if (sim_pod_create(b->e, wls[r % 4], &pod))
            return -1;
        sim_pod_set_unschedulable(b->e, pod, "bench");
        SchedCaPlan p;
        double t0 = bench_now();
        int rc = sched_ca_plan(b->ca, b->region, &p);
        t += bench_now() - t0;
        if (rc != SIM_OK)
            return -1;
        *delta = p.delta;
        sched_ca_plan_free(b->ca, &p);
    }
    return t / reps * 1e3;
}

/* The scale-down pass of a cluster of underutilised nodes, per_node pods on
 * each, then quiet loops (quiet_us NULL: none); count:
 * scale-down-non-empty-candidates-count. */
static int time_scale_down(uint32_t nodes, uint32_t per_node, int32_t count, double *pass_ms, double *quiet_us)
{
    Bench b;
    SchedCaConfig cfg;
    sched_ca_config_default(&cfg);
    cfg.scale_down_non_empty_candidates_count = count;
    int rc = setup(&b, nodes, 0.3, per_node, &cfg);
    if (rc == 0) {
        double t0 = bench_now();
        rc = sched_ca_loop(b.ca, b.region);
        *pass_ms = (bench_now() - t0) * 1e3;
        int reps = quiet_us ? 1000 : 0;
        t0 = bench_now();
        for (int i = 0; i < reps && rc == 0; i++)
            rc = sched_ca_loop(b.ca, b.region);
        if (quiet_us)
            *quiet_us = (bench_now() - t0) / reps * 1e6;
    }
    if (rc != 0)
        fprintf(stderr, "kubesim bench autoscaler_loop: %s\n", b.e ? sim_errmsg(b.e) : "out of memory");
    teardown(&b);
    return rc == 0 ? 0 : -1;
}

/* The pass of a loop after few nodes changed: two loops of the large
 * cluster (the second's candidates are the first's unneeded nodes), then one
 * pod deleted on each of 5 nodes spread over the region, and the loop after
 * it timed; exhaustive: every simulation run afresh (the reference). */
static int time_few_changed(uint32_t nodes, int exhaustive, double *ms)
{
    Bench b;
    SchedCaConfig cfg;
    sched_ca_config_default(&cfg);
    cfg.scale_down_exhaustive = exhaustive;
    int rc = setup(&b, nodes, 0.3, 10, &cfg);
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = sched_ca_loop(b.ca, b.region);
    const SimRegion *r = rc == 0 ? sim_region(b.e, b.region) : NULL;
    for (uint32_t k = 0; k < 5 && rc == 0; k++) {
        uint32_t pod = sim_node(b.e, r->nodes[(size_t)r->nnodes * (2 * k + 1) / 10])->pods_head;
        rc = pod == SIM_NONE ? 0 : sim_pod_delete(b.e, pod);
    }
    if (rc == 0) {
        double t0 = bench_now();
        rc = sched_ca_loop(b.ca, b.region);
        *ms = (bench_now() - t0) * 1e3;
    }
    if (rc != 0)
        fprintf(stderr, "kubesim bench autoscaler_loop: %s\n", b.e ? sim_errmsg(b.e) : "out of memory");
    teardown(&b);
    return rc == 0 ? 0 : -1;
}

int bench_autoscaler_loop(cJSON *out, int quick)
{
    uint32_t nodes = quick ? 500 : 5000, pending = quick ? 200 : 2000, wls[4], large = quick ? 2000 : 20000;
    int reps = quick ? 5 : 20;
    Bench b;
    double ms = -1, pass_ms = 0, quiet_us = 0, large_ms = 0, large_full_ms = 0, few_ms = 0, few_full_ms = 0;
    int32_t delta = 0;
    if (setup(&b, nodes, 0.95, 1, NULL) == 0 && add_pending(&b, pending, wls) == 0)
        ms = time_plans(&b, wls, reps, &delta);
    if (ms < 0)
        fprintf(stderr, "kubesim bench autoscaler_loop: %s\n", b.e ? sim_errmsg(b.e) : "out of memory");
    teardown(&b);
    if (ms < 0 || time_scale_down(nodes, 1, 30, &pass_ms, &quiet_us) != 0 ||
        time_scale_down(large, 10, 30, &large_ms, NULL) != 0 || time_scale_down(large, 10, 0, &large_full_ms, NULL) != 0 ||
        time_few_changed(large, 0, &few_ms) != 0 || time_few_changed(large, 1, &few_full_ms) != 0)
        return -1;
    cJSON_AddNumberToObject(out, "nodes", nodes);
    cJSON_AddNumberToObject(out, "pending", pending);
    cJSON_AddNumberToObject(out, "ms_per_loop", (double)(int64_t)(ms * 1000) / 1000);
    cJSON_AddNumberToObject(out, "scale_up_delta", delta);
    cJSON_AddNumberToObject(out, "ms_scale_down_pass", (double)(int64_t)(pass_ms * 1000) / 1000);
    cJSON_AddNumberToObject(out, "us_quiet_loop", (double)(int64_t)(quiet_us * 1000) / 1000);
    cJSON_AddNumberToObject(out, "large_nodes", large);
    cJSON_AddNumberToObject(out, "ms_scale_down_pass_large", (double)(int64_t)(large_ms * 1000) / 1000);
    cJSON_AddNumberToObject(out, "ms_scale_down_pass_large_uncapped", (double)(int64_t)(large_full_ms * 1000) / 1000);
    cJSON_AddNumberToObject(out, "ms_scale_down_pass_few_changed", (double)(int64_t)(few_ms * 1000) / 1000);
    cJSON_AddNumberToObject(out, "ms_scale_down_pass_few_changed_exhaustive", (double)(int64_t)(few_full_ms * 1000) / 1000);
    return 0;
}
