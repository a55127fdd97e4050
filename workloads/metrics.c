/*
 * metrics.c: the registry of metric sources behind wl_metrics.h. A handful
 * of sources per run, so lookups scan.
 *
 * Invariant: what the HPA reads of a pod (wl_pod_usage, wl_pod_metric) is its
 * source's value filtered by the scrapes on the fixed 15 s grid: a pod whose
 * node's kubelet was down at a scrape since its last outage began has no
 * value until enough scrapes after the kubelet returned (metrics-server keeps
 * only the pods of its last scrape, storage/pod.go Store; a scrape of an
 * unreachable kubelet returns nothing, scraper.go collectNode). The sources
 * never see the outage: kube-state rows read them as they are.
 */
#include "workloads/wl_metrics.h"

#include <string.h>

#include "workloads/wl_int.h"

static int add(WlControllers *c, WlSource **v, size_t *n, size_t *cap, const WlSource *src)
{
    if (sim_mem_grow(sim_mem(c->e), (void **)v, cap, *n + 1, sizeof **v) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    (*v)[(*n)++] = *src;
    return SIM_OK;
}

int wl_usage_source(WlControllers *c, uint32_t wl, WlUsageFn fn, void *ctx)
{
    for (size_t i = 0; i < c->nusage; i++)
        if (c->usage[i].wl == wl) {
            c->usage[i].fn = (void *)fn;
            c->usage[i].ctx = ctx;
            return SIM_OK;
        }
    WlSource s = {wl, NULL, (void *)fn, ctx};
    return add(c, &c->usage, &c->nusage, &c->capusage, &s);
}

static int add_named(WlControllers *c, WlSource **v, size_t *n, size_t *cap, const char *name, void *fn, void *ctx)
{
    WlSource s = {SIM_NONE, sim_mem_strdup(sim_mem(c->e), name), fn, ctx};
    if (s.name == NULL)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    int rc = add(c, v, n, cap, &s);
    if (rc != SIM_OK)
        sim_mem_strfree(sim_mem(c->e), s.name);
    return rc;
}

int wl_pod_metric_source(WlControllers *c, const char *name, WlPodMetricFn fn, void *ctx)
{
    return add_named(c, &c->podmetric, &c->npodmetric, &c->cappodmetric, name, (void *)fn, ctx);
}

int wl_value_source(WlControllers *c, const char *name, WlValueFn fn, void *ctx)
{
    return add_named(c, &c->value, &c->nvalue, &c->capvalue, name, (void *)fn, ctx);
}

static const WlSource *named(const WlSource *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* Declared usage: steady, so every sample is a full window old. */
static int declared_usage(WlControllers *c, uint32_t pod, WlPodUsage *out)
{
    const SimPod *p = sim_pod(c->e, pod);
    if (p->phase != SIM_POD_RUNNING)
        return 0;   /* (a deleted pod's record may be recycled: no workload then) */
    const SimPodSpec *sp = &sim_workload(c->e, p->wl)->spec;
    if (sp->usage_cpu_m == 0 && sp->usage_mem == 0)
        return 0;
    out->cpu_m = sp->usage_cpu_m;
    out->mem = sp->usage_mem;
    out->window = SIM_SEC(15);
    out->timestamp = sim_now(c->e);
    return 1;
}

int wl_kubelet_source(WlControllers *c, WlKubeletFn fn, void *ctx)
{
    c->kubelet.fn = (void *)fn;
    c->kubelet.ctx = ctx;
    return SIM_OK;
}

static void kubelet_outage(WlControllers *c, uint32_t node, WlKubeletOutage *o)
{
    o->down = o->up = -1;
    if (c->kubelet.fn) {
        ((WlKubeletFn)c->kubelet.fn)(c->kubelet.ctx, c->e, node, o);
        return;
    }
    const SimNode *n = sim_node(c->e, node);
    if (n->state == SIM_NODE_NOT_READY)
        o->down = n->changed_at;
}

/* The first scrape at or after t. */
static SimTime scrape_at(SimTime t)
{
    SimTime r = WL_METRICS_RESOLUTION;
    return t <= 0 ? 0 : (t + r - 1) / r * r;
}

/* Whether a scraper on the 15 s grid has the pod's series now: none from the
 * first scrape at or after its kubelet went down; after it came back, from
 * the `need`-th scrape at or after that (an outage between two scrapes
 * missed nothing). */
static int scraped_as(WlControllers *c, uint32_t pod, int need, WlKubeletOutage *o)
{
    const SimPod *p = sim_pod(c->e, pod);
    o->down = o->up = -1;
    if (p->node == SIM_NONE)
        return 1;
    kubelet_outage(c, p->node, o);
    SimTime now = sim_now(c->e), miss = scrape_at(o->down);
    if (o->down < 0)
        return 1;
    if (o->up < 0 || o->up > now)
        return now < miss;
    return miss >= o->up || now >= scrape_at(o->up) + (need - 1) * WL_METRICS_RESOLUTION;
}

static int scraped(WlControllers *c, uint32_t pod, int need)
{
    WlKubeletOutage o;
    return scraped_as(c, pod, need, &o);
}

int wl_pod_unscraped(WlControllers *c, uint32_t pod, WlKubeletOutage *o)
{
    return !scraped_as(c, pod, 2, o);
}

int wl_pod_usage_raw(WlControllers *c, uint32_t pod, WlPodUsage *out)
{
    uint32_t wl = sim_pod(c->e, pod)->wl;
    for (size_t i = 0; i < c->nusage; i++)
        if (c->usage[i].wl == wl)
            return ((WlUsageFn)c->usage[i].fn)(c->usage[i].ctx, c->e, pod, out);
    return declared_usage(c, pod, out);
}

int wl_pod_usage(WlControllers *c, uint32_t pod, WlPodUsage *out)
{
    return scraped(c, pod, 2) && wl_pod_usage_raw(c, pod, out);
}

int wl_pod_metric(WlControllers *c, uint32_t pod, const char *name, int64_t *milli)
{
    const WlSource *s = named(c->podmetric, c->npodmetric, name);
    return s && scraped(c, pod, 1) ? ((WlPodMetricFn)s->fn)(s->ctx, c->e, pod, name, milli) : 0;
}

int wl_value_metric(WlControllers *c, const char *name, int64_t *milli)
{
    const WlSource *s = named(c->value, c->nvalue, name);
    return s ? ((WlValueFn)s->fn)(s->ctx, c->e, name, milli) : 0;
}

void wl_metrics_free(WlControllers *c)
{
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < c->npodmetric; i++)
        sim_mem_strfree(m, c->podmetric[i].name);
    for (size_t i = 0; i < c->nvalue; i++)
        sim_mem_strfree(m, c->value[i].name);
    sim_mem_free(m, c->usage, c->capusage * sizeof *c->usage);
    sim_mem_free(m, c->podmetric, c->cappodmetric * sizeof *c->podmetric);
    sim_mem_free(m, c->value, c->capvalue * sizeof *c->value);
}
