/*
 * bench_replay.c: `kubesim bench --only replay`. Writes a synthetic trace of
 * 5,000 nodes in 3 regions (9 node groups; 120,000 pods bound and ended over
 * 6 simulated hours, nodes provisioning, cordoned and NotReady) with the
 * trace writer, loads it as `kubesim replay` does, and renders frames evenly
 * over the run into a 1280x800 software surface, text included: frames per
 * second against the 60 frames/s target. Loading is timed apart.
 */
#include "cli/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "render/rnd.h"
#include "scenarios/scn.h"
#include "sim/trace.h"

#define HOURS 6
#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

typedef struct Gen {
    SimTraceWriter *w;
    uint64_t x;            /* xorshift state: the trace is the same every run */
    int nodes, pods;
} Gen;

static uint64_t rnd(Gen *g)
{
    g->x ^= g->x << 13;
    g->x ^= g->x >> 7;
    g->x ^= g->x << 17;
    return g->x;
}

static void world(Gen *g)
{
    static const char *const regions[] = {"us-east", "eu-west", "ap-northeast"};
    char name[64];
    for (int r = 0; r < 3; r++) {
        sim_trace_emit(g->w, SIM_TR_REGION, 0, (SimTrVal[]){SIM_TRI(r), SIM_TRS(regions[r])}, 2);
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "%s-%s", k == 2 ? "gpu" : k ? "mem" : "cpu", regions[r]);
            SimTrVal v[] = {SIM_TRI(r * 3 + k), SIM_TRI(r), SIM_TRS(name), SIM_TRI(k == 1 ? 8000 : 16000),
                            SIM_TRI((k == 1 ? 64LL : 32LL) << 30), SIM_TRI(k == 2 ? 4 : 0), SIM_TRI(110),
                            SIM_TRI(k == 2 ? 3000000 : 400000), SIM_TRI(0), SIM_TRI(g->nodes)};
            sim_trace_emit(g->w, SIM_TR_NODEGROUP, 0, v, 10);
        }
    }
}

static void node(Gen *g, int id, SimTime t)
{
    char name[64];
    snprintf(name, sizeof name, "node-%d", id);
    sim_trace_emit(g->w, SIM_TR_NODE_ADD, t,
                   (SimTrVal[]){SIM_TRI(id), SIM_TRI(id % 9), SIM_TRI(-1), SIM_TRS(name)}, 4);
    if (id % 50 != 49)   /* a few stay provisioning */
        sim_trace_emit(g->w, SIM_TR_NODE_READY, t + SIM_SEC(90), (SimTrVal[]){SIM_TRI(id)}, 1);
    if (id % 97 == 3)
        sim_trace_emit(g->w, SIM_TR_NODE_CORDON, t + SIM_SEC(120), (SimTrVal[]){SIM_TRI(id), SIM_TRI(1)}, 2);
    if (id % 131 == 7)
        sim_trace_emit(g->w, SIM_TR_NODE_STATE, t + SIM_SEC(150), (SimTrVal[]){SIM_TRI(id), SIM_TRI(0)}, 2);
}

/* Pods arrive evenly; each binds to a random earlier node and ends at once
 * when a later pod reuses its slot, so nodes fill unevenly and churn. */
static void pods(Gen *g, SimTime t0, SimTime span)
{
    int added = g->nodes / 2;
    for (int i = 0; i < g->pods; i++) {
        SimTime t = t0 + span * i / g->pods;
        while (added < g->nodes && added < g->nodes / 2 + (int64_t)g->nodes * i / g->pods)
            node(g, added++, t);
        int n = (int)(rnd(g) % (uint64_t)(added > 0 ? added : 1));
        SimTrVal c[] = {SIM_TRI(i), SIM_TRI(0), SIM_TRI(0), SIM_TRI(n % 9 / 3), SIM_TRI(250 + rnd(g) % 1750),
                        SIM_TRI((int64_t)(rnd(g) % 4 + 1) << 30), SIM_TRI(n % 9 % 3 == 2), SIM_TRS("pod")};
        sim_trace_emit(g->w, SIM_TR_POD_CREATE, t, c, 8);
        sim_trace_emit(g->w, SIM_TR_POD_BIND, t + SIM_SEC(5), (SimTrVal[]){SIM_TRI(i), SIM_TRI(n)}, 2);
        if (i >= g->pods / 3)   /* steady state: one ends for each new one */
            sim_trace_emit(g->w, SIM_TR_POD_END, t + SIM_SEC(5),
                           (SimTrVal[]){SIM_TRI(i - g->pods / 3), SIM_TRI(0)}, 2);
    }
}

static int write_trace(const char *path, int quick)
{
    SimMem m;
    sim_mem_init(&m);
    char meta[128], sha[65];
    SimErr err = SIM_ERR_INIT;
    snprintf(meta, sizeof meta, "{\"scenario\":\"bench_replay\",\"seed\":1,\"duration_ns\":%lld}",
             (long long)SIM_SEC(HOURS * 3600));
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return -1;
    Gen g = {.w = sim_trace_create(&m, &schema, path, meta, &err), .x = 88172645463325252u,
             .nodes = quick ? 500 : 5000, .pods = quick ? 12000 : 120000};
    if (g.w == NULL) {
        fprintf(stderr, "kubesim bench: replay: %s\n", sim_err_msg(&err));
        return -1;
    }
    world(&g);
    for (int i = 0; i < g.nodes / 2; i++)
        node(&g, i, 0);
    pods(&g, SIM_SEC(60), SIM_SEC(HOURS * 3600 - 120));
    return sim_trace_close(g.w, sha) == SIM_OK ? 0 : -1;
}

static int measure(cJSON *out, const char *path, int quick)
{
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    RndReplay *r = NULL;
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return -1;
    double t0 = bench_now();
    if (rnd_replay_open(&m, &schema, path, &r, &err) != SIM_OK) {
        fprintf(stderr, "kubesim bench: replay: %s\n", sim_err_msg(&err));
        return -1;
    }
    double load = bench_now() - t0, fps = 0;
    int frames = quick ? 30 : 600;
    RndFrameOpts o = {.w = 1280, .h = 800, .font = access(FONT, R_OK) == 0 ? FONT : NULL, .speed = 360};
    int rc = rnd_replay_frames(r, frames, &o, &fps);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim bench: replay: %s\n", rnd_replay_errmsg(r));
    rnd_replay_close(r);
    if (rc != SIM_OK)
        return -1;
    cJSON_AddNumberToObject(out, "nodes", quick ? 500 : 5000);
    cJSON_AddNumberToObject(out, "frames", frames);
    cJSON_AddStringToObject(out, "size", "1280x800");
    cJSON_AddBoolToObject(out, "text", o.font != NULL);
    cJSON_AddNumberToObject(out, "load_seconds", load);
    cJSON_AddNumberToObject(out, "frames_per_s", fps);
    cJSON_AddNumberToObject(out, "target_frames_per_s", 60);
    return 0;
}

int bench_replay(cJSON *out, int quick)
{
    char dir[] = "/tmp/kubesim-bench-replay-XXXXXX", path[64];
    if (mkdtemp(dir) == NULL) {
        perror("kubesim bench: replay: mkdtemp");
        return -1;
    }
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    int rc = write_trace(path, quick) == 0 ? measure(out, path, quick) : -1;
    remove(path);
    rmdir(dir);
    return rc;
}
