/*
 * controllers.c: what every controller shares: the reconcile event and its
 * dispatch by kind (deployment.c, job.c, cronjob.c, daemonset.c, statefulset.c), the pod listeners,
 * the reaction to admission refusals, and holding every sync of a region
 * whose control plane is down (a region outage) until it returns.
 * Invariant: w->active counts the workload's pods that are created and not
 * terminated; w->ready those of them that are Running.
 * A pod refused by admission (quota, LimitRange) stops the sync and the key
 * retries with backoff (k8s-behaviour.md §4.6, see retry_refused); kubesim
 * also wakes it when a pod of its namespace ends, an ended one is deleted
 * (its count/pods goes) or a Terminating one is gone, where upstream waits
 * out the backoff unless its own objects change. The sync stops at the first refused pod, where upstream
 * creates in slow-start batches (1, 2, 4, ...) and stops after the first
 * batch with a failure.
 */
#include "workloads/wl_int.h"

#include <string.h>

#include "sim/policy.h"
#include "workloads/hpa.h"
#include "workloads/queue.h"
#include "workloads/traffic.h"

int wl_queue_reconcile(WlControllers *c, uint32_t wl, SimTime at)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->reconcile_queued)
        return SIM_OK;
    sim_workload_set_reconcile(c->e, wl, 1);
    return sim_schedule(c->e, at, c->ev, wl, w->gen, 0);
}

/* The retry delay after the n-th refused sync in a row (§4.6): per-item
 * exponential backoff, 5 ms doubling to 1000 s (workqueue's
 * DefaultControllerRateLimiter: ReplicaSet, DaemonSet), for a Job 1 s
 * doubling to 1 min (DefaultJobApiBackOff, MaxJobApiBackOff). */
static SimTime refusal_backoff(SimWlKind kind, uint32_t n)
{
    SimTime d = kind == SIM_WL_JOB ? SIM_SEC(1) : SIM_MS(5);
    SimTime cap = kind == SIM_WL_JOB ? SIM_SEC(60) : SIM_SEC(1000);
    for (uint32_t i = 1; i < n && d < cap; i++)
        d *= 2;
    return d < cap ? d : cap;
}

/* A refused pod stops the sync (upstream emits FailedCreate and requeues the
 * key rate-limited); it is not a pod failure, so a Job's backoffLimit and
 * w->failed are untouched. */
static int retry_refused(WlControllers *c, uint32_t wl)
{
    SimTime d = refusal_backoff(sim_workload(c->e, wl)->kind, sim_admission_refusals(c->e, wl));
    return wl_queue_reconcile(c, wl, sim_now(c->e) + d);
}

/* Cancels a workload's pending backoff retry (a generation bump) so that it
 * can reconcile sooner. */
static void cancel_retry(WlControllers *c, uint32_t wl)
{
    if (sim_admission_refusals(c->e, wl) == 0)
        return;
    sim_workload_cancel_reconcile(c->e, wl);
}

/* Quota may have freed: every workload of the ended pod's region and
 * namespace that is waiting out a refusal reconciles now. */
static void wake_refused(WlControllers *c, const SimPod *p)
{
    if (sim_admission_refused_count(c->e) == 0)
        return;   /* the common case: no scan of every workload per ended pod */
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++) {
        const SimWorkload *w = sim_workload(c->e, i);
        if (w->region != p->region || w->ns != p->ns || sim_admission_refusals(c->e, i) == 0)
            continue;
        cancel_retry(c, i);
        (void)wl_queue_reconcile(c, i, sim_now(c->e));
    }
}

/* ---- a region's control plane down ------------------------------------------- */
/* A sync due while its region's control plane is down does not run; the
 * workload is held and syncs when the region returns, from the state it had
 * (a CronJob then finds its most recent missed run, §5.2; a Job's backoff or
 * a Deployment's progress deadline is measured as before). */
static void hold(WlControllers *c, uint32_t wl)
{
    size_t old = c->capheld;
    if (sim_mem_grow(sim_mem(c->e), (void **)&c->held, &c->capheld, (size_t)wl + 1, 1) != SIM_OK) {
        (void)sim_fail(c->e, SIM_ENOMEM, "out of memory");
        return;
    }
    memset(c->held + old, 0, c->capheld - old);
    c->held[wl] = 1;
}

static void on_region_changed(void *ctx, SimEngine *e, uint32_t region)
{
    WlControllers *c = ctx;
    if (!sim_region_up(e, region))
        return;
    for (uint32_t i = 0; i < sim_workload_count(e) && i < c->capheld; i++)
        if (c->held[i] && sim_workload(e, i)->region == region) {
            c->held[i] = 0;
            (void)wl_queue_reconcile(c, i, sim_now(e));
        }
}

static void on_reconcile(void *ctx, SimEngine *e, const SimEvent *ev)
{
    WlControllers *c = ctx;
    const SimWorkload *w = sim_workload(e, ev->obj);
    if (ev->aux != WL_AUX_SYNC) {   /* a controller's own timer (deployment.c): no gen to match */
        if (!wl_apps_timer(c, ev))
            return;
    } else {
        if (ev->gen != w->gen)
            return;
        sim_workload_set_reconcile(e, ev->obj, 0);
    }
    if (!sim_region_up(e, w->region)) {
        hold(c, ev->obj);
        return;
    }
    int rc = SIM_OK;
    switch (w->kind) {
    case SIM_WL_DEPLOYMENT: rc = wl_deploy_reconcile(c, ev->obj); break;
    case SIM_WL_JOB: rc = wl_job_reconcile(c, ev->obj); break;
    case SIM_WL_DAEMONSET: rc = wl_ds_reconcile(c, ev->obj); break;
    case SIM_WL_STATEFULSET: rc = wl_sts_reconcile(c, ev->obj); break;
    case SIM_WL_CRONJOB: rc = wl_cron_reconcile(c, ev->obj); break;
    default: break;
    }
    if (rc == SIM_EFORBIDDEN)
        (void)retry_refused(c, ev->obj);
    else if (rc == SIM_OK)
        sim_admission_forget(e, ev->obj);   /* the workqueue's Forget: the backoff starts over */
}

static void on_pod_running(void *ctx, SimEngine *e, uint32_t pod)
{
    const SimWorkload *w = sim_workload(e, sim_pod(e, pod)->wl);
    int ready = !sim_pod(e, pod)->unready;   /* started on a node that is NotReady: not Ready */
    sim_workload_count_pods(e, sim_pod(e, pod)->wl, 0, ready);
    if (w->kind == SIM_WL_DEPLOYMENT)
        wl_deploy_pod_changed(ctx, pod, ready);
    wl_queue_pod_running(ctx, pod);   /* a queue worker starts taking requests */
    if (w->kind == SIM_WL_DEPLOYMENT || w->kind == SIM_WL_STATEFULSET)   /* Ready: rollouts and
                                                                          ordinals move on */
        (void)wl_queue_reconcile(ctx, sim_pod(e, pod)->wl, sim_now(e));
}

static void on_pod_bound(void *ctx, SimEngine *e, uint32_t pod)
{
    if (sim_workload(e, sim_pod(e, pod)->wl)->kind == SIM_WL_STATEFULSET)
        wl_sts_pod_bound(ctx, pod);   /* the ordinal's volume is provisioned in this zone */
}

static void on_pod_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    const SimPod *p = sim_pod(e, pod);
    const SimWorkload *w = sim_workload(e, p->wl);
    sim_workload_count_pods(e, p->wl, -1, p->started_at >= 0 && !p->unready ? -1 : 0);
    if (w->kind == SIM_WL_JOB)
        wl_job_pod_terminated(c, pod);
    if (w->kind == SIM_WL_DAEMONSET)
        wl_ds_pod_terminated(c, pod);
    if (w->kind == SIM_WL_DEPLOYMENT)
        wl_deploy_pod_terminated(c, pod);
    if (w->kind == SIM_WL_STATEFULSET)
        wl_sts_pod_terminated(c, pod);
    wl_queue_pod_terminated(c, pod);   /* a busy queue worker drains or puts its request back */
    wake_refused(c, p);
    (void)wl_queue_reconcile(c, p->wl, sim_now(e));
}

/* Does a quota of the pod's region and namespace constrain count/pods? */
static int counts_pod_objects(SimEngine *e, const SimPod *p)
{
    for (uint32_t i = 0; i < sim_quota_count(e); i++) {
        const SimQuota *q = sim_quota(e, i);
        if (q->region == p->region && q->ns == p->ns && (q->hard_set & (UINT32_C(1) << SIM_QR_COUNT_PODS)))
            return 1;
    }
    return 0;
}

/* An ended pod's object went (its Job was deleted, or pod GC): its
 * count/pods is free. A Job's pods go in one instant; the first wakes. */
static void on_pod_removed(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    const SimPod *p = sim_pod(e, pod);
    if (!counts_pod_objects(e, p))
        return;
    if (c->woke_t == sim_now(e) && c->woke_region == p->region && c->woke_ns == p->ns)
        return;
    c->woke_t = sim_now(e);
    c->woke_region = p->region;
    c->woke_ns = p->ns;
    wake_refused(c, p);
}

/* A Running pod's node went NotReady or came back: its Ready condition
 * follows (endpoints, the Deployment's ready and available counts). */
static void on_pod_ready(void *ctx, SimEngine *e, uint32_t pod)
{
    const SimPod *p = sim_pod(e, pod);
    const SimWorkload *w = sim_workload(e, p->wl);
    sim_workload_count_pods(e, p->wl, 0, p->unready ? -1 : 1);
    if (w->kind == SIM_WL_DEPLOYMENT)
        wl_deploy_pod_changed(ctx, pod, p->unready ? -1 : 1);
    (void)wl_queue_reconcile(ctx, p->wl, sim_now(e));
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    (void)e;
    wl_ds_node_ready(ctx, node);
}

static const SimTrKindDef trace_kinds[] = {
    {WL_TR_SCALE, "scale", "iii", {"wl", "from", "to"}},
    {WL_TR_JOB_END, "job_end", "iis", {"wl", "succeeded", "reason"}},
    {WL_TR_WL_DELETE, "workload_delete", "is", {"wl", "reason"}},
    {WL_TR_CRONJOB, "cronjob", "iiis", {"wl", "job", "scheduled_unix", "action"}},
    {WL_TR_RS_CREATE, "rs_create", "iiis", {"wl", "rs", "revision", "name"}},
    {WL_TR_RS_SCALE, "rs_scale", "iiiii", {"wl", "rs", "revision", "from", "to"}},
    {WL_TR_DEPLOY_CONDITION, "deploy_condition", "iis", {"wl", "status", "reason"}},
    {WL_TR_VOLUME, "volume_provision", "iii", {"wl", "ordinal", "zone"}},
};

int wl_trace_kinds(SimTrSchema *s)
{
    int rc = sim_trschema_add(s, trace_kinds, sizeof trace_kinds / sizeof trace_kinds[0]);
    if (rc == SIM_OK)
        rc = wl_queue_trace_kinds(s);
    if (rc == SIM_OK)
        rc = wl_hpa_trace_kinds(s);
    return rc == SIM_OK ? wl_traffic_trace_kinds(s) : rc;
}

const WlStats *wl_stats(const WlControllers *c)
{
    return &c->stats;
}

static int register_sections(WlControllers *c)
{
    int rc = sim_summary_section(c->e, WL_SUMMARY_RANK_HPA, wl_hpa_summary, c);
    if (rc == SIM_OK)
        rc = sim_summary_section(c->e, WL_SUMMARY_RANK_JOBS, wl_jobs_summary, c);
    if (rc == SIM_OK)
        rc = sim_summary_section(c->e, WL_SUMMARY_RANK_BACKTESTS, wl_backtests_summary, c);
    return rc == SIM_OK ? sim_summary_section(c->e, WL_SUMMARY_RANK_SLO, wl_slo_summary, c) : rc;
}

static SimTime on_pod_stopping(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)e;
    return wl_queue_pod_stopping(ctx, pod);
}

/* Does a quota hold the pod's region and namespace? */
static int has_quota(SimEngine *e, const SimPod *p)
{
    for (uint32_t i = 0; i < sim_quota_count(e); i++) {
        const SimQuota *q = sim_quota(e, i);
        if (q->region == p->region && q->ns == p->ns)
            return 1;
    }
    return 0;
}

/* A Terminating pod left its node: the quota it held until now is free
 * (upstream: the pod's delete event wakes its owner's sync). */
static void on_pod_gone(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    wl_queue_pod_gone(c, pod);
    const SimPod *p = sim_pod(e, pod);
    if (has_quota(e, p))
        wake_refused(c, p);
}

WlControllers *wl_create(SimEngine *e)
{
    if (sim_trace_register(e, "workloads", wl_trace_kinds) != SIM_OK)
        return NULL;
    WlControllers *c = sim_mem_calloc(sim_mem(e), 1, sizeof *c);
    if (c == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    c->e = e;
    c->woke_t = -1;
    SimListener l = {.ctx = c, .pod_terminated = on_pod_terminated, .pod_running = on_pod_running,
                     .pod_bound = on_pod_bound, .node_ready = on_node_ready,
                     .pod_ready = on_pod_ready, .pod_removed = on_pod_removed,
                     .region_changed = on_region_changed, .pod_stopping = on_pod_stopping,
                     .pod_gone = on_pod_gone};
    if (sim_engine_listen(e, &l) != SIM_OK || sim_event_kind(e, "workload", on_reconcile, c, &c->ev) != SIM_OK ||
        register_sections(c) != SIM_OK) {
        sim_mem_free(sim_mem(e), c, sizeof *c);
        return NULL;
    }
    wl_bt_register(c);
    return c;
}

void wl_destroy(WlControllers *c)
{
    if (c == NULL)
        return;
    wl_ds_free(c);
    wl_deploy_free(c);
    wl_sts_free(c);
    wl_queue_free(c);
    wl_traffic_free(c);
    wl_hpa_free(c);
    wl_job_free(c);
    wl_cron_free(c);
    wl_bt_free(c);
    wl_metrics_free(c);
    sim_mem_free(sim_mem(c->e), c->held, c->capheld);
    sim_mem_free(sim_mem(c->e), c, sizeof *c);
}

int wl_start(WlControllers *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->kind == SIM_WL_DAEMONSET)
        return wl_ds_start(c, wl);
    if (w->kind == SIM_WL_DEPLOYMENT)
        return wl_deploy_start(c, wl);
    if (w->kind == SIM_WL_STATEFULSET)
        return wl_sts_start(c, wl);
    if (w->kind == SIM_WL_CRONJOB)
        return wl_cron_start(c, wl);
    if (w->kind == SIM_WL_JOB && w->job.suspend)
        return SIM_OK;   /* spec.suspend: the Job controller creates no pods */
    SimTime at = w->kind == SIM_WL_JOB && w->start_at > sim_now(c->e) ? w->start_at : sim_now(c->e);
    return wl_queue_reconcile(c, wl, at);
}

int wl_scale(WlControllers *c, uint32_t wl, int32_t replicas)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->replicas == replicas)
        return SIM_OK;
    sim_trace_rec(c->e, WL_TR_SCALE, (SimTrVal[]){SIM_TRI(wl), SIM_TRI(w->replicas), SIM_TRI(replicas)}, 3);
    sim_workload_set_replicas(c->e, wl, replicas);
    cancel_retry(c, wl);   /* a spec change syncs at once, backoff or not */
    return wl_queue_reconcile(c, wl, sim_now(c->e));
}
