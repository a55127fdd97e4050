/*
 * controllers.c: the Deployment and Job controllers.
 *
 * A Deployment keeps `replicas` pods that run until deleted; a Job runs pods of
 * a fixed duration, at most `parallelism` at a time, until `completions` have
 * succeeded. Invariant: w->active counts the workload's pods that are created
 * and not terminated; w->ready those of them that are Running.
 * DaemonSets are in daemonset.c.
 * Simplifications (README "Fidelity"): no ReplicaSet layer or rolling update
 * yet; a Deployment scale-down deletes the newest pods first without upstream's
 * full ranking; Job pods never fail, so backoffLimit is not exercised.
 */
#include "workloads/wl_int.h"

#include <string.h>

int wl_queue_reconcile(WlControllers *c, uint32_t wl, SimTime at)
{
    SimWorkload *w = sim_workload(c->e, wl);
    if (w->reconcile_queued)
        return SIM_OK;
    w->reconcile_queued = 1;
    return sim_schedule(c->e, at, SIM_EV_WORKLOAD, wl, w->gen, 0);
}

static int create_pods(WlControllers *c, uint32_t wl, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        uint32_t pod;
        int rc = sim_pod_create(c->e, wl, &pod);
        if (rc != SIM_OK)
            return rc;
        sim_workload(c->e, wl)->active++;
    }
    return SIM_OK;
}

/* Deletes the n newest live pods of a workload (Pending ones go first since
 * they are newest in creation order too). */
static int delete_newest(WlControllers *c, uint32_t wl, int32_t n)
{
    for (uint32_t i = sim_pod_count(c->e); i-- > 0 && n > 0;) {
        SimPod *p = sim_pod(c->e, i);
        if (p->wl != wl || p->phase > SIM_POD_RUNNING)
            continue;
        int rc = sim_pod_delete(c->e, i);
        if (rc != SIM_OK)
            return rc;
        n--;
    }
    return SIM_OK;
}

static int reconcile_deployment(WlControllers *c, uint32_t wl)
{
    SimWorkload *w = sim_workload(c->e, wl);
    int32_t diff = w->replicas - w->active;
    if (diff > 0)
        return create_pods(c, wl, diff);
    if (diff < 0)
        return delete_newest(c, wl, -diff);
    return SIM_OK;
}

static int reconcile_job(WlControllers *c, uint32_t wl)
{
    SimWorkload *w = sim_workload(c->e, wl);
    if (w->finished)
        return SIM_OK;
    int32_t remaining = w->completions - w->succeeded;
    int32_t want = remaining < w->replicas ? remaining : w->replicas;
    return want > w->active ? create_pods(c, wl, want - w->active) : SIM_OK;
}

static void on_reconcile(void *ctx, SimEngine *e, const SimEvent *ev)
{
    WlControllers *c = ctx;
    SimWorkload *w = sim_workload(e, ev->obj);
    if (ev->gen != w->gen)
        return;
    w->reconcile_queued = 0;
    switch (w->kind) {
    case SIM_WL_DEPLOYMENT: (void)reconcile_deployment(c, ev->obj); break;
    case SIM_WL_JOB: (void)reconcile_job(c, ev->obj); break;
    case SIM_WL_DAEMONSET: (void)wl_ds_reconcile(c, ev->obj); break;
    default: break;
    }
}

static void on_pod_running(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)ctx;
    sim_workload(e, sim_pod(e, pod)->wl)->ready++;
}

static void job_pod_succeeded(WlControllers *c, SimWorkload *w)
{
    w->succeeded++;
    if (w->succeeded >= w->completions && !w->finished) {
        w->finished = 1;
        sim_stats(c->e)->jobs_succeeded++;
    }
}

static void on_pod_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    const SimPod *p = sim_pod(e, pod);
    SimWorkload *w = sim_workload(e, p->wl);
    w->active--;
    if (p->started_at >= 0)
        w->ready--;
    if (w->kind == SIM_WL_JOB && p->phase == SIM_POD_SUCCEEDED) {
        job_pod_succeeded(c, w);
        wl_bt_pod_succeeded(c, pod);
    }
    if (w->kind == SIM_WL_DAEMONSET)
        wl_ds_pod_terminated(c, pod);
    (void)wl_queue_reconcile(c, p->wl, sim_now(e));
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    (void)e;
    wl_ds_node_ready(ctx, node);
}

WlControllers *wl_create(SimEngine *e)
{
    WlControllers *c = sim_mem_calloc(sim_mem(e), 1, sizeof *c);
    if (c == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    c->e = e;
    SimListener l = {.ctx = c, .pod_terminated = on_pod_terminated, .pod_running = on_pod_running,
                     .node_ready = on_node_ready};
    if (sim_engine_listen(e, &l) != SIM_OK) {
        sim_mem_free(sim_mem(e), c, sizeof *c);
        return NULL;
    }
    sim_engine_on(e, SIM_EV_WORKLOAD, on_reconcile, c);
    wl_bt_register(c);
    return c;
}

void wl_destroy(WlControllers *c)
{
    if (c == NULL)
        return;
    wl_ds_free(c);
    wl_bt_free(c);
    sim_mem_free(sim_mem(c->e), c, sizeof *c);
}

int wl_start(WlControllers *c, uint32_t wl)
{
    SimWorkload *w = sim_workload(c->e, wl);
    if (w->kind == SIM_WL_DAEMONSET)
        return wl_ds_start(c, wl);
    SimTime at = w->kind == SIM_WL_JOB && w->start_at > sim_now(c->e) ? w->start_at : sim_now(c->e);
    return wl_queue_reconcile(c, wl, at);
}

int wl_scale(WlControllers *c, uint32_t wl, int32_t replicas)
{
    SimWorkload *w = sim_workload(c->e, wl);
    if (w->replicas == replicas)
        return SIM_OK;
    sim_trace_rec(c->e, SIM_TR_SCALE, (SimTrVal[]){SIM_TRI(wl), SIM_TRI(w->replicas), SIM_TRI(replicas)}, 3);
    w->replicas = replicas;
    return wl_queue_reconcile(c, wl, sim_now(c->e));
}
