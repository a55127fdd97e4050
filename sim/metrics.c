/*
 * metrics.c: the CSV recorder and the engine's own series (per region: nodes,
 * pods running/pending, cost and idle cost; per namespace: cost; per node
 * group: nodes, cost and CPU/memory requested over allocatable; per
 * workload: replicas wanted and running).
 */
#include "sim/sim_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SAMPLERS 16

struct SimMetrics {
    SimMem *mem;
    FILE *f;
    int err;
    struct { SimSampler fn; void *ctx; } samplers[MAX_SAMPLERS];
    size_t nsamplers;
    SimTime last_t;
    SimMetricsSink sink;
    void *sink_ctx;
};

SimMetrics *sim_metrics_open(SimMem *m, const char *path, SimErr *err)
{
    SimMetrics *mt = sim_mem_calloc(m, 1, sizeof *mt);
    if (mt == NULL) {
        sim_err_set(err, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    mt->mem = m;
    mt->last_t = -1;
    if (path == NULL)
        return mt;
    mt->f = fopen(path, "w");
    if (mt->f == NULL) {
        sim_err_set(err, SIM_EIO, "%s: cannot write", path);
        sim_mem_free(m, mt, sizeof *mt);
        return NULL;
    }
    fputs(SIM_METRICS_HEADER "\n", mt->f);
    return mt;
}

/* Writes v in decimal at p; returns the length. */
static size_t put_int(char *p, long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        p[k++] = '-';
    while (n)
        p[k++] = tmp[--n];
    return k;
}

/* Seconds print as an integer when whole (the usual case: samples fall on
 * whole seconds), else with millisecond precision. */
static size_t put_time(char *p, size_t cap, SimTime t)
{
    if (t % SIM_NS_PER_S == 0)
        return put_int(p, (long long)(t / SIM_NS_PER_S));
    int n = snprintf(p, cap, "%.3f", (double)t / (double)SIM_NS_PER_S);
    return n > 0 ? (size_t)n : 0;
}

/* "%.10g": a whole number under 10^10 prints as its digits (the common
 * count needs no printf); -0 keeps its sign through printf. */
static size_t put_value(char *p, size_t cap, double v)
{
    if (v == trunc(v) && fabs(v) < 1e10 && !(v == 0 && signbit(v)))
        return put_int(p, (long long)v);
    int n = snprintf(p, cap, "%.10g", v);
    return n > 0 ? (size_t)n : 0;
}

static size_t put_field(char *p, const char *s, size_t len)
{
    p[0] = ',';
    memcpy(p + 1, s, len);
    return len + 1;
}

void sim_metrics_row(SimMetrics *mt, SimTime t, const char *region, const char *object,
                     const char *name, const char *metric, double value)
{
    if (mt->sink)
        mt->sink(mt->sink_ctx, t, region, object, name, metric, value);
    if (mt->f == NULL)   /* opened without a file */
        return;
    const char *str[4] = {region, object, name, metric};
    size_t len[4], total = 0;
    for (int i = 0; i < 4; i++)
        total += len[i] = strlen(str[i]);
    char line[1024];
    if (total > sizeof line - 128) {   /* a name this long is not worth a fast path */
        char head[48];
        head[put_time(head, sizeof head, t)] = '\0';
        if (fprintf(mt->f, "%s,%s,%s,%s,%s,%.10g\n", head, region, object, name, metric, value) < 0)
            mt->err = 1;
        return;
    }
    size_t k = put_time(line, 48, t);
    for (int i = 0; i < 4; i++)
        k += put_field(line + k, str[i], len[i]);
    line[k++] = ',';
    k += put_value(line + k, 48, value);
    line[k++] = '\n';
    if (fwrite(line, 1, k, mt->f) != k)
        mt->err = 1;
}

void sim_metrics_set_sink(SimMetrics *mt, SimMetricsSink fn, void *ctx)
{
    mt->sink = fn;
    mt->sink_ctx = ctx;
}

int sim_metrics_add_sampler(SimMetrics *mt, SimSampler fn, void *ctx)
{
    if (mt->nsamplers == MAX_SAMPLERS)
        return SIM_ESTATE;
    mt->samplers[mt->nsamplers].fn = fn;
    mt->samplers[mt->nsamplers].ctx = ctx;
    mt->nsamplers++;
    return SIM_OK;
}

static void close_file(SimMetrics *mt)
{
    if (mt->f == NULL)
        return;
    int bad = ferror(mt->f) != 0;   /* an earlier write failed: fclose may not say so */
    if (fclose(mt->f) != 0 || bad)
        mt->err = 1;
    mt->f = NULL;
}

int sim_metrics_close(SimMetrics *mt)
{
    close_file(mt);
    int rc = mt->err ? SIM_EIO : SIM_OK;
    sim_mem_free(mt->mem, mt, sizeof *mt);
    return rc;
}

void sim_metrics_abort(SimMetrics *mt)
{
    if (mt == NULL)
        return;
    if (mt->f)
        fclose(mt->f);
    sim_mem_free(mt->mem, mt, sizeof *mt);
}

static void sample_regions(SimEngine *e, SimMetrics *mt)
{
    sim_cost_settle(e);
    for (size_t i = 0; i < e->regions.n; i++) {
        const SimRegion *r = &e->regions.v[i];
        sim_metrics_row(mt, e->now, r->name, "region", r->name, "nodes", r->live_nodes);
        sim_metrics_row(mt, e->now, r->name, "region", r->name, "pods_running", r->pods_running);
        sim_metrics_row(mt, e->now, r->name, "region", r->name, "pods_pending", r->pods_pending);
        if (!sim_region_cost_known(e, (uint32_t)i))
            continue;   /* an unknown cost has no row, rather than a wrong one */
        sim_metrics_row(mt, e->now, r->name, "region", r->name, "cost_usd", r->cost_usd);
        double idle = r->cost_usd - r->paid_usd;
        sim_metrics_row(mt, e->now, r->name, "region", r->name, "idle_cost_usd", idle > 0 ? idle : 0);
    }
    /* Namespaces span regions: their rows carry region "all". */
    for (size_t i = 0; i < e->namespaces.n; i++)
        if (!e->namespaces.v[i].cost_unknown)
            sim_metrics_row(mt, e->now, "all", "namespace", e->namespaces.v[i].name, "cost_usd",
                            e->namespaces.v[i].cost_usd);
}

static double ratio(int64_t num, int64_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

static void sample_groups(SimEngine *e, SimMetrics *mt)
{
    for (size_t i = 0; i < e->groups.n; i++) {
        const SimNodeGroup *g = &e->groups.v[i];
        const char *rn = e->regions.v[g->region].name;
        double cpu = ratio(g->req_total.cpu_m, g->alloc_total.cpu_m);
        double mem = ratio(g->req_total.mem, g->alloc_total.mem);
        sim_metrics_row(mt, e->now, rn, "nodegroup", g->name, "nodes", g->live_nodes);
        if (!g->price_unknown)
            sim_metrics_row(mt, e->now, rn, "nodegroup", g->name, "cost_usd", g->cost_usd);
        sim_metrics_row(mt, e->now, rn, "nodegroup", g->name, "cpu_requested_ratio", cpu);
        sim_metrics_row(mt, e->now, rn, "nodegroup", g->name, "memory_requested_ratio", mem);
    }
}

static void sample_workloads(SimEngine *e, SimMetrics *mt)
{
    static const char *const kinds[SIM_WL_KIND_COUNT] = {"deployment", "job", "pod", "daemonset",
                                                         "statefulset", "cronjob"};
    for (size_t i = 0; i < e->workloads.n; i++) {
        const SimWorkload *w = &e->workloads.v[i];
        const char *rn = e->regions.v[w->region].name;
        if (w->deleted)
            continue;   /* a Job deleted by its TTL or its CronJob's history limit */
        char wn[320];   /* NAMESPACE/NAME when the name is in several namespaces */
        sim_workload_label(e, (uint32_t)i, wn, sizeof wn);
        if (w->kind == SIM_WL_CRONJOB) {
            sim_metrics_row(mt, e->now, rn, "cronjob", wn, "active", w->active);   /* unfinished Jobs */
            continue;
        }
        sim_metrics_row(mt, e->now, rn, kinds[w->kind], wn, "replicas", w->replicas);
        sim_metrics_row(mt, e->now, rn, kinds[w->kind], wn, "running", w->ready);
        if (w->kind == SIM_WL_JOB) {
            sim_metrics_row(mt, e->now, rn, "job", wn, "succeeded", w->succeeded);
            sim_metrics_row(mt, e->now, rn, "job", wn, "failed", w->failed);
        }
    }
}

static void sample(SimEngine *e)
{
    SimMetrics *mt = e->metrics;
    if (mt == NULL || mt->last_t == e->now)
        return;
    mt->last_t = e->now;
    sample_regions(e, mt);
    sample_groups(e, mt);
    sample_workloads(e, mt);
    for (size_t i = 0; i < mt->nsamplers; i++)
        mt->samplers[i].fn(mt->samplers[i].ctx, e, mt);
}

static void on_sample(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    (void)ev;
    sample(e);
    (void)sim_schedule(e, e->now + e->metrics_every, SIM_EV_METRICS, 0, 0, 0);
}

int sim_metrics_attach(SimEngine *e, SimMetrics *mt, SimTime every)
{
    SIM_ASSERT(every > 0);
    e->metrics = mt;
    e->metrics_every = every;
    sim_engine_on(e, SIM_EV_METRICS, on_sample, NULL);
    return sim_schedule(e, e->now, SIM_EV_METRICS, 0, 0, 0);
}

SimMetrics *sim_metrics_recorder(SimEngine *e)
{
    return e->metrics;
}

void sim_metrics_final(SimEngine *e)
{
    sample(e);
}
