/*
 * hpa.c: the live HPA controller. Each HPA syncs as an event (its registered kind,
 * obj = its index) one sync period (15 s) after it is added, and then every
 * 15 s: upstream's informer queues a new HPA with AddRateLimited on a queue
 * whose rate limiter is the sync period, so its first reconcile (and the
 * first-sight recommendation) comes 15 s after the add (k8s-behaviour.md
 * §1.1), and a replica count outside [min, max] is corrected then. A sync
 * reads the target's scale (spec.replicas, and status.replicas as the pods it
 * has), its pods and their metrics through wl_metrics.h, runs the shared
 * calculator and normalisation (hpa_calc.c, hpa_norm.c) and scales the target
 * through wl_scale() when the answer differs. Decisions that change replicas are
 * traced (hpa: name wl current desired limited_by) and counted; a sampler
 * adds per-HPA rows to metrics.csv.
 *
 * Invariant: an HPA's pod list holds exactly its target's pods that are
 * created and not terminated, in creation order (a pod listener keeps it).
 *
 * Simplifications (README "Fidelity", HPA):
 *  - A pod's status.startTime is its binding time, and it is Ready while
 *    Running on a Ready node (Ready's lastTransitionTime = when it started
 *    running, or when its node went NotReady while it is not Ready); upstream's
 *    kubelet sets startTime when it accepts the pod and readiness follows
 *    probes.
 *  - Metrics come from the registered sources as they are at the sync (a
 *    source reports its own timestamp and window; declared usage is a steady
 *    sample as old as the sync, over 15 s), through metrics-server's view of
 *    the kubelets (wl_metrics.h): a pod whose node's kubelet is down has no
 *    sample from the first 15 s scrape after the crash until two scrapes after
 *    it is back. metrics-server's scrape lag is not modelled beyond that.
 *    Pods metrics (Prometheus scraping the pod: its series goes stale) have
 *    none from the first scrape after the crash until the first after the
 *    return; a rate() over a range in the adapter's query, which would keep a
 *    value longer, is not modelled. Object and External metrics are not per
 *    pod: an outage does not change them, but Value targets multiply by the
 *    pods Running and Ready, without those on NotReady nodes.
 *  - Object metrics are looked up by metric name only (describedObject is
 *    not modelled) and External metric selectors are not applied: a source
 *    by name serves one series.
 *  - Only cpu and memory resources; ContainerResource is Resource (one
 *    container per pod); the pod-level requests of a pod are its container's.
 *  - A calibrated reaction delay (SimWorkload.hpa_reaction, `run --calibration`)
 *    holds a decision that changes replicas that long before the scale; syncs
 *    in between still recommend but do not scale again until it has landed.
 *  - Syncs are not spread over 5 workers: each HPA syncs on its own 15 s
 *    grid from one period after it was added, with no jitter; a sync takes no time.
 *  - Go's out-of-range float-to-int32 conversions (platform-defined) and
 *    int64 overflows (wrapping) saturate instead.
 *  - The tolerance test is v1.33's 1-tolDown <= ratio <= 1+tolUp (also when
 *    both equal the global tolerance), not the older |1-ratio| <= tol, which
 *    differs only at the float edges.
 *  - A behavior's scaling rule takes at most 16 policies.
 *  - `explain hpa` takes metric values as given: metric selectors and
 *    describedObject are checked for shape but not applied, and the case
 *    holds one sync at time 0 (the controller's first-sight recommendation
 *    is not added: the history given is the whole history).
 */
#include "workloads/hpa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/metrics.h"
#include "sim/trace.h"
#include "workloads/kstate.h"
#include "workloads/wl_int.h"
#include "workloads/wl_metrics.h"

typedef struct WlHpa {
    char *name;
    uint32_t target;
    WlHpaSpec spec;
    WlHpaMetric *metrics;        /* spec.metrics, owned with their names */
    WlHpaHistory h;
    int seen;                    /* the first-sight recommendation is recorded */
    uint32_t *pods;              /* the target's live pods (once `gone` is applied: flush) */
    size_t npods, cappods;
    uint32_t *gone;              /* pods terminated since pods was last flushed, to drop from it */
    size_t ngone, capgone;
    WlHpaMetricResult *last;     /* per metric, at the last sync */
    WlHpaDecision dec;
    WlHpaDecision pending;       /* a decision waiting out its calibrated reaction delay */
    uint8_t has_pending;
    int synced;
    uint8_t shared;              /* another HPA scales the same target: AmbiguousSelector */
    uint8_t dup_name;            /* another HPA (in another namespace) has this name */
    uint32_t sync_crc;           /* of the last hpa_sync traced (its decision's key) | 1; 0 none */
} WlHpa;

/* How outputs name an HPA: its name, or NAMESPACE/NAME when another HPA
 * has the same name (in another namespace). */
static const char *label(const WlControllers *c, const WlHpa *h, char *buf, size_t n)
{
    if (!h->dup_name)
        return h->name;
    const SimWorkload *w = sim_workload(c->e, h->target);
    snprintf(buf, n, "%s/%s", sim_namespace(c->e, w->ns)->name, h->name);
    return buf;
}

struct WlHpaSet {
    WlHpa *v;
    size_t n, cap;
    WlHpaPod *scratch;           /* one sync's pods */
    size_t capscratch;
    SimMetrics *mt;              /* the recorder our sampler is registered with */
    uint16_t ev;                 /* our event kind: an HPA syncs */
};

/* ---- the target's pods ----------------------------------------------------- */
static void flush(WlHpa *h);

static int track(WlControllers *c, WlHpa *h, uint32_t pod)
{
    flush(h);
    if (sim_mem_grow(sim_mem(c->e), (void **)&h->pods, &h->cappods, h->npods + 1, sizeof *h->pods) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    h->pods[h->npods++] = pod;
    return SIM_OK;
}

static void untrack(WlHpa *h, uint32_t pod)
{
    for (size_t i = 0; i < h->npods; i++)
        if (h->pods[i] == pod) {
            memmove(&h->pods[i], &h->pods[i + 1], (h->npods - i - 1) * sizeof *h->pods);
            h->npods--;
            return;
        }
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Drops the pods terminated since the last flush from h->pods, keeping the
 * others in their order: what untrack() one pod at a time did as each
 * terminated (a pod is tracked at most once, so dropping every occurrence
 * is dropping the first), in one pass instead of a scan and a memmove per
 * pod. Runs before anything reads or appends to h->pods (a sync, a pod
 * created), so a pod id is never both gone and tracked anew. */
static void flush(WlHpa *h)
{
    if (h->ngone == 0)
        return;
    if (h->ngone <= 4) {
        for (size_t i = 0; i < h->ngone; i++)
            untrack(h, h->gone[i]);
    } else {
        qsort(h->gone, h->ngone, sizeof *h->gone, u32_cmp);
        size_t k = 0;
        for (size_t i = 0; i < h->npods; i++)
            if (bsearch(&h->pods[i], h->gone, h->ngone, sizeof *h->gone, u32_cmp) == NULL)
                h->pods[k++] = h->pods[i];
        h->npods = k;
    }
    h->ngone = 0;
}

static void on_pod_created(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    uint32_t wl = sim_pod(e, pod)->wl;
    for (size_t i = 0; i < c->hpa->n; i++)
        if (c->hpa->v[i].target == wl)
            (void)track(c, &c->hpa->v[i], pod);   /* out of memory is sticky on the engine */
}

static void on_pod_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    uint32_t wl = sim_pod(e, pod)->wl;
    for (size_t i = 0; i < c->hpa->n; i++) {
        WlHpa *h = &c->hpa->v[i];
        if (h->target != wl)
            continue;
        if (sim_mem_grow(sim_mem(e), (void **)&h->gone, &h->capgone, h->ngone + 1, sizeof *h->gone) == SIM_OK)
            h->gone[h->ngone++] = pod;
        else
            untrack(h, pod);   /* no room to defer it: drop it now */
    }
}

/* The Ready condition's lastTransitionTime of a Running pod: when its node
 * went NotReady while it is unready (the node lifecycle controller's
 * MarkPodsNotReady sets Ready=False now), else when it started. A pod whose
 * node came back has its kubelet's condition again, which never changed:
 * Ready=True since it started (the kubelet's status manager keeps the
 * lastTransitionTime of a status it did not change). */
static SimTime ready_transition(const SimPod *p)
{
    return p->unready && p->unready_at > p->started_at ? p->unready_at : p->started_at;
}

/* A pod as the calculator sees it (see the simplifications above). */
static void pod_view(WlControllers *c, uint32_t id, WlHpaPod *out)
{
    const SimPod *p = sim_pod(c->e, id);
    memset(out, 0, sizeof *out);
    int running = p->phase == SIM_POD_RUNNING;
    out->phase = running ? WL_HPA_POD_RUNNING : WL_HPA_POD_PENDING;
    out->ready = running && !p->unready;
    out->has_start = p->bound_at >= 0;
    out->start = p->bound_at;
    out->transition = running ? ready_transition(p) : p->bound_at;
    out->has_req[WL_HPA_CPU] = p->req.cpu_m > 0;   /* a request of 0 is no request */
    out->req[WL_HPA_CPU] = p->req.cpu_m;
    out->has_req[WL_HPA_MEMORY] = p->req.mem > 0;
    out->req[WL_HPA_MEMORY] = p->req.mem * 1000;
    WlPodUsage u;
    if (wl_pod_usage(c, id, &u)) {
        out->has_usage[WL_HPA_CPU] = out->has_usage[WL_HPA_MEMORY] = 1;
        out->usage[WL_HPA_CPU] = u.cpu_m;
        out->usage[WL_HPA_MEMORY] = u.mem * 1000;
        out->sample_t = u.timestamp;
        out->sample_window = u.window;
    }
}

typedef struct SyncCtx {
    WlControllers *c;
    const WlHpa *h;
} SyncCtx;

static int pod_metric(void *ctx, size_t pod, const char *name, int64_t *milli)
{
    SyncCtx *s = ctx;
    return wl_pod_metric(s->c, s->h->pods[pod], name, milli);
}

static size_t value_metric(void *ctx, WlHpaSource src, const char *name, int64_t *milli, size_t cap)
{
    SyncCtx *s = ctx;
    (void)src;
    return cap > 0 && wl_value_metric(s->c, name, milli) ? 1 : 0;
}

/* ---- metrics.csv ------------------------------------------------------------ */
/* "cpu_utilization" (percent), "cpu_average" (cores or bytes), or the
 * custom metric's own name (its value in units). */
static void metric_key(const WlHpaMetric *m, char *buf, size_t n)
{
    static const char *const res[] = {"cpu", "memory"};
    if (m->source == WL_HPA_RESOURCE || m->source == WL_HPA_CONTAINER_RESOURCE)
        snprintf(buf, n, "%s_%s", res[m->res], m->target == WL_HPA_UTILIZATION ? "utilization" : "average");
    else
        snprintf(buf, n, "%s", m->name);
}

static void sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    WlControllers *c = ctx;
    for (size_t i = 0; i < c->hpa->n; i++) {
        const WlHpa *h = &c->hpa->v[i];
        const SimWorkload *w = sim_workload(e, h->target);
        const char *rn = sim_region(e, w->region)->name;
        SimTime now = sim_now(e);
        char buf[320];
        const char *hn = label(c, h, buf, sizeof buf);
        sim_metrics_row(mt, now, rn, "hpa", hn, "current_replicas", w->replicas);
        sim_metrics_row(mt, now, rn, "hpa", hn, "desired_replicas", h->synced ? h->dec.desired : w->replicas);
        for (size_t k = 0; h->synced && k < h->spec.nmetrics; k++) {
            char key[160];
            if (!h->last[k].valid)
                continue;
            metric_key(&h->spec.metrics[k], key, sizeof key);
            sim_metrics_row(mt, now, rn, "hpa", hn, key, h->last[k].value);
        }
    }
}

/* ---- kube-state-metrics' view (kstate.h) ---------------------------------- */
/* A metric's kube_horizontalpodautoscaler_*_target_metric labels and its
 * target: utilization in percent, values in units. */
static double target_labels(const WlHpaMetric *m, char *l, size_t n, size_t *len)
{
    static const char *const res[] = {"cpu", "memory"};
    static const char *const type[] = {"utilization", "value", "average"};
    int resource = m->source == WL_HPA_RESOURCE || m->source == WL_HPA_CONTAINER_RESOURCE;
    wl_kstate_label(l, n, len, "metric_name", resource ? res[m->res] : m->name);
    wl_kstate_label(l, n, len, "metric_target_type", type[m->target]);
    return m->target == WL_HPA_UTILIZATION ? m->utilization : (double)m->milli / 1000;
}

static void hpa_kstate(WlControllers *c, WlKstate *k, const WlHpa *h)
{
    const SimWorkload *w = sim_workload(c->e, h->target);
    char base[1024], l[1024];
    size_t n = 0;
    base[0] = '\0';
    wl_kstate_label(base, sizeof base, &n, "namespace", sim_namespace(c->e, w->ns)->name);
    wl_kstate_label(base, sizeof base, &n, "horizontalpodautoscaler", h->name);
    wl_kstate_label(base, sizeof base, &n, "region", sim_region(c->e, w->region)->name);
    wl_kstate_row(k, "kube_horizontalpodautoscaler_spec_min_replicas", base, h->spec.min);
    wl_kstate_row(k, "kube_horizontalpodautoscaler_spec_max_replicas", base, h->spec.max);
    wl_kstate_row(k, "kube_horizontalpodautoscaler_status_current_replicas", base, w->replicas);
    wl_kstate_row(k, "kube_horizontalpodautoscaler_status_desired_replicas", base,
                  h->synced ? h->dec.desired : w->replicas);
    for (size_t i = 0; i < h->spec.nmetrics; i++) {
        size_t len = n;
        memcpy(l, base, n + 1);
        double target = target_labels(&h->spec.metrics[i], l, sizeof l, &len);
        wl_kstate_row(k, "kube_horizontalpodautoscaler_spec_target_metric", l, target);
        if (h->synced && h->last[i].valid)
            wl_kstate_row(k, "kube_horizontalpodautoscaler_status_target_metric", l, h->last[i].value);
    }
}

void wl_hpa_kstate(WlControllers *c, WlKstate *k)
{
    for (size_t i = 0; c->hpa && i < c->hpa->n; i++)
        hpa_kstate(c, k, &c->hpa->v[i]);
}

/* An HPA added after the recorder was attached (a hook) joins it at its
 * first sync: wl_hpa_add_sampler ran before there was an HPA. */
static void join_recorder(WlControllers *c)
{
    SimMetrics *mt = sim_metrics_recorder(c->e);
    if (mt == NULL || mt == c->hpa->mt)
        return;
    c->hpa->mt = mt;
    if (sim_metrics_add_sampler(mt, sample, c) != SIM_OK)
        c->hpa->mt = NULL;   /* too many samplers: the run goes on without HPA rows */
}

int wl_hpa_add_sampler(WlControllers *c, SimMetrics *mt)
{
    if (c->hpa == NULL || c->hpa->mt == mt)
        return SIM_OK;
    if (sim_metrics_add_sampler(mt, sample, c) != SIM_OK)
        return sim_fail(c->e, SIM_ESTATE, "too many metrics samplers");
    c->hpa->mt = mt;
    return SIM_OK;
}

/* ---- one sync --------------------------------------------------------------- */
/* The aux of the event that applies a decision after its calibrated reaction
 * delay (sim/timings.h); a sync's is 0. */
#define APPLY 1

static int gather(WlControllers *c, WlHpa *h, WlHpaInput *in)
{
    struct WlHpaSet *s = c->hpa;
    flush(h);
    if (sim_mem_grow(sim_mem(c->e), (void **)&s->scratch, &s->capscratch, h->npods + 1, sizeof *s->scratch) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->npods; i++)
        pod_view(c, h->pods[i], &s->scratch[i]);
    const SimWorkload *w = sim_workload(c->e, h->target);
    in->now = sim_now(c->e);
    in->spec_replicas = w->replicas;
    in->status_replicas = w->active;
    in->pods = s->scratch;
    in->npods = h->npods;
    in->pod_metric = pod_metric;
    in->value = value_metric;
    return SIM_OK;
}

static int rescale(WlControllers *c, WlHpa *h, const WlHpaDecision *dec)
{
    int32_t from = dec->current, to = dec->desired;
    int rc = wl_scale(c, h->target, to);
    if (rc != SIM_OK)
        return rc;
    if (to > from)
        c->stats.hpa_scale_ups++;
    else
        c->stats.hpa_scale_downs++;
    char buf[320];
    sim_trace_rec(c->e, WL_TR_HPA, (SimTrVal[]){SIM_TRS(label(c, h, buf, sizeof buf)), SIM_TRI(h->target), SIM_TRI(from), SIM_TRI(to),
                                                 SIM_TRS(wl_hpa_limit_name(dec->limited_by))}, 5);
    return wl_hpa_record_scale(&h->spec, &h->h, from, to, sim_now(c->e));
}

/* One metric's part of hpa_sync's metrics text: "cpu 92% (target 60%) -> 7". */
static size_t metric_text(const WlHpaMetric *m, const WlHpaMetricResult *r, char *out, size_t n)
{
    if (!r->valid)
        return (size_t)snprintf(out, n, "%s invalid (%s)", m->name, r->error ? r->error : "no value");
    if (m->target == WL_HPA_UTILIZATION)
        return (size_t)snprintf(out, n, "%s %.0f%% (target %d%%) -> %d", m->name, r->value, (int)m->utilization,
                                (int)r->proposal);
    return (size_t)snprintf(out, n, "%s %.4g (target %.4g) -> %d", m->name, r->value, (double)m->milli / 1000.0,
                            (int)r->proposal);
}

/* hpa_sync: a sync whose outcome (desired count, limitedBy, reason, each
 * metric's proposal) differs from the last one traced for the HPA; the
 * metrics text carries the values seen at that sync. */
static void trace_sync(WlControllers *c, WlHpa *h)
{
    const WlHpaDecision *d = &h->dec;
    const char *reason = d->reason ? d->reason : "";
    uint32_t key[4] = {(uint32_t)d->current, (uint32_t)d->desired, (uint32_t)d->limited_by, 0};
    uint32_t crc = sim_crc32(sim_crc32(0, key, sizeof key), reason, strlen(reason));
    for (size_t i = 0; i < h->spec.nmetrics; i++) {
        int32_t pr[2] = {h->last[i].valid, h->last[i].proposal};
        crc = sim_crc32(crc, pr, sizeof pr);
    }
    crc |= 1u;
    if (crc == h->sync_crc)
        return;
    h->sync_crc = crc;
    char text[640], buf[320];
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < h->spec.nmetrics && used < sizeof text; i++) {
        used += (size_t)snprintf(text + used, sizeof text - used, "%s", i ? "; " : "");
        if (used < sizeof text)
            used += metric_text(&h->metrics[i], &h->last[i], text + used, sizeof text - used);
    }
    sim_trace_rec(c->e, WL_TR_HPA_SYNC,
                  (SimTrVal[]){SIM_TRS(label(c, h, buf, sizeof buf)), SIM_TRI(h->target), SIM_TRI(d->current),
                               SIM_TRI(d->desired), SIM_TRS(wl_hpa_limit_name(d->limited_by)), SIM_TRS(reason),
                               SIM_TRS(text)}, 7);
}

static int sync_one(WlControllers *c, WlHpa *h)
{
    WlHpaInput in;
    memset(&in, 0, sizeof in);
    SyncCtx ctx = {c, h};
    in.ctx = &ctx;
    int rc = gather(c, h, &in);
    in.ambiguous = h->shared;
    if (rc == SIM_OK && !h->seen) {   /* recordInitialRecommendation */
        rc = wl_hpa_history_add_rec(&h->h, in.spec_replicas, in.now);
        h->seen = rc == SIM_OK;
    }
    if (rc == SIM_OK && c->hpa_watch)
        c->hpa_watch(c->hpa_watch_ctx, c, (size_t)(h - c->hpa->v), &in);
    if (rc == SIM_OK)
        rc = wl_hpa_decide(&h->spec, &in, &h->h, h->last, &h->dec);
    if (rc != SIM_OK)
        return rc;
    h->synced = 1;
    trace_sync(c, h);
    if (h->dec.disabled || h->dec.desired == h->dec.current || h->has_pending)
        return SIM_OK;   /* a decision still on its way is not overtaken */
    const SimDist *react = &sim_workload(c->e, h->target)->hpa_reaction;
    SimTime d = react->family ? sim_dist_sample(react, sim_rng(c->e, SIM_RNG_TIMINGS)) : 0;
    if (d == 0)
        return rescale(c, h, &h->dec);
    h->pending = h->dec;
    h->has_pending = 1;
    return sim_schedule(c->e, sim_now(c->e) + d, c->hpa->ev, (uint32_t)(h - c->hpa->v), 0, APPLY);
}

static void on_sync(void *ctx, SimEngine *e, const SimEvent *ev)
{
    WlControllers *c = ctx;
    join_recorder(c);
    if (ev->aux == APPLY) {   /* a calibrated reaction delay is over: scale as decided */
        WlHpa *h = &c->hpa->v[ev->obj];
        h->has_pending = 0;
        (void)rescale(c, h, &h->pending);   /* ENOMEM is sticky on the engine */
        return;
    }
    /* While a region outage holds its control plane down the sync is skipped
     * and the grid goes on; recommendations and stabilisation stay as they were. */
    int up = sim_region_up(e, sim_workload(e, c->hpa->v[ev->obj].target)->region);
    if (up && sync_one(c, &c->hpa->v[ev->obj]) == SIM_ENOMEM)
        return;   /* sticky on the engine; the run reports it */
    (void)sim_schedule(e, sim_now(e) + WL_HPA_SYNC_PERIOD, c->hpa->ev, ev->obj, 0, 0);
}

static const SimTrKindDef trace_kinds[] = {
    {WL_TR_HPA, "hpa", "siiis", {"hpa", "wl", "current", "desired", "limited_by"}},
    {WL_TR_HPA_SYNC, "hpa_sync", "siiisss", {"hpa", "wl", "current", "desired", "limited_by", "reason", "metrics"}},
};

int wl_hpa_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, trace_kinds, sizeof trace_kinds / sizeof trace_kinds[0]);
}

/* hpa.ambiguous_selector: the HPAs that share a target (only when some do,
 * so the summary of a run without any is as it was). */
static int summary_ambiguous(const WlControllers *c, cJSON *summary)
{
    cJSON *hpa = cJSON_GetObjectItemCaseSensitive(summary, "hpa"), *arr = NULL;
    for (size_t i = 0; c->hpa && hpa && i < c->hpa->n; i++) {
        const WlHpa *h = &c->hpa->v[i];
        if (!h->shared)
            continue;
        if (arr == NULL && (arr = cJSON_AddArrayToObject(hpa, "ambiguous_selector")) == NULL)
            return SIM_ENOMEM;
        char buf[320];
        const SimWorkload *w = sim_workload(c->e, h->target);
        snprintf(buf, sizeof buf, "%s/%s", sim_namespace(c->e, w->ns)->name, h->name);
        cJSON *item = cJSON_CreateString(buf);
        if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            return SIM_ENOMEM;
        }
    }
    return SIM_OK;
}

int wl_hpa_summary(void *ctx, SimEngine *e, cJSON *summary)
{
    const WlControllers *c = ctx;
    (void)e;
    SimSummaryNum n[] = {{"scale_ups", (double)c->stats.hpa_scale_ups},
                         {"scale_downs", (double)c->stats.hpa_scale_downs}};
    int rc = sim_summary_add_counts(summary, "hpa", n, 2);
    return rc == SIM_OK ? summary_ambiguous(c, summary) : rc;
}

/* ---- adding and freeing ------------------------------------------------------ */
static int set_create(WlControllers *c)
{
    if (c->hpa)
        return SIM_OK;
    c->hpa = sim_mem_calloc(sim_mem(c->e), 1, sizeof *c->hpa);
    if (c->hpa == NULL)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    SimListener l = {.ctx = c, .pod_created = on_pod_created, .pod_terminated = on_pod_terminated};
    int rc = sim_engine_listen(c->e, &l);
    if (rc == SIM_OK)
        rc = sim_event_kind(c->e, "hpa", on_sync, c, &c->hpa->ev);
    if (rc != SIM_OK) {
        sim_mem_free(sim_mem(c->e), c->hpa, sizeof *c->hpa);
        c->hpa = NULL;
        return rc;
    }
    return SIM_OK;
}

static void hpa_free(SimMem *m, WlHpa *h)
{
    for (size_t i = 0; h->metrics && i < h->spec.nmetrics; i++)
        sim_mem_strfree(m, (char *)h->metrics[i].name);
    sim_mem_free(m, h->metrics, h->spec.nmetrics * sizeof *h->metrics);
    sim_mem_free(m, h->last, h->spec.nmetrics * sizeof *h->last);
    sim_mem_free(m, h->pods, h->cappods * sizeof *h->pods);
    sim_mem_free(m, h->gone, h->capgone * sizeof *h->gone);
    sim_mem_strfree(m, h->name);
    wl_hpa_history_free(&h->h);
}

/* Deep copy of the spec; the metric names are the only borrowed pointers. */
static int copy_spec(SimMem *m, WlHpa *h, const char *name, const WlHpaSpec *spec)
{
    h->spec = *spec;
    h->spec.metrics = NULL;
    h->name = sim_mem_strdup(m, name);
    h->metrics = sim_mem_calloc(m, spec->nmetrics, sizeof *h->metrics);
    h->last = sim_mem_calloc(m, spec->nmetrics, sizeof *h->last);
    if (h->name == NULL || h->metrics == NULL || h->last == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < spec->nmetrics; i++) {
        h->metrics[i] = spec->metrics[i];
        h->metrics[i].name = sim_mem_strdup(m, spec->metrics[i].name);
        if (h->metrics[i].name == NULL)
            return SIM_ENOMEM;
    }
    h->spec.metrics = h->metrics;
    return SIM_OK;
}

static int check_add(WlControllers *c, const char *name, uint32_t target, const WlHpaSpec *spec)
{
    const char *why;
    SimWlKind k = target < sim_workload_count(c->e) ? sim_workload(c->e, target)->kind : SIM_WL_KIND_COUNT;
    if (k != SIM_WL_DEPLOYMENT && k != SIM_WL_STATEFULSET)
        return sim_fail(c->e, SIM_EINVAL, "hpa '%s': the target must be a Deployment or a StatefulSet", name);
    if (wl_hpa_spec_check(spec, &why) != SIM_OK)
        return sim_fail(c->e, SIM_EINVAL, "hpa '%s': %s", name, why);
    uint32_t ns = sim_workload(c->e, target)->ns;
    for (size_t i = 0; c->hpa && i < c->hpa->n; i++)
        if (strcmp(c->hpa->v[i].name, name) == 0 && sim_workload(c->e, c->hpa->v[i].target)->ns == ns)
            return sim_fail(c->e, SIM_EINVAL, "hpa '%s': an HPA of this name exists in its namespace", name);
    return SIM_OK;
}

/* Marks h and the HPAs it collides with: the same target (upstream's
 * AmbiguousSelector: the same pods), the same name in another namespace. */
static void mark_others(WlControllers *c, WlHpa *h)
{
    for (size_t i = 0; i < c->hpa->n; i++) {
        WlHpa *o = &c->hpa->v[i];
        if (o->target == h->target)
            o->shared = h->shared = 1;
        if (strcmp(o->name, h->name) == 0)
            o->dup_name = h->dup_name = 1;
    }
}

/* The target's pods that already exist. */
static int track_existing(WlControllers *c, WlHpa *h)
{
    for (uint32_t i = 0; i < sim_pod_count(c->e); i++) {
        const SimPod *p = sim_pod(c->e, i);
        if (p->wl == h->target && p->phase <= SIM_POD_RUNNING && track(c, h, i) != SIM_OK)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

int wl_hpa_add(WlControllers *c, const char *name, uint32_t target, const WlHpaSpec *spec)
{
    SimMem *m = sim_mem(c->e);
    int rc = check_add(c, name, target, spec);
    if (rc == SIM_OK)
        rc = set_create(c);
    if (rc != SIM_OK)
        return rc;
    struct WlHpaSet *s = c->hpa;
    if (sim_mem_grow(m, (void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    WlHpa *h = &s->v[s->n];
    memset(h, 0, sizeof *h);
    h->target = target;
    wl_hpa_history_init(&h->h, m);
    rc = copy_spec(m, h, name, spec);
    if (rc == SIM_OK)
        rc = track_existing(c, h);
    if (rc != SIM_OK) {
        hpa_free(m, h);
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    }
    mark_others(c, h);
    s->n++;   /* first sync one period after the add, as upstream's rate-limited queue */
    return sim_schedule(c->e, sim_now(c->e) + WL_HPA_SYNC_PERIOD, s->ev, (uint32_t)(s->n - 1), 0, 0);
}

void wl_hpa_free(WlControllers *c)
{
    struct WlHpaSet *s = c->hpa;
    if (s == NULL)
        return;
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < s->n; i++)
        hpa_free(m, &s->v[i]);
    sim_mem_free(m, s->v, s->cap * sizeof *s->v);
    sim_mem_free(m, s->scratch, s->capscratch * sizeof *s->scratch);
    sim_mem_free(m, s, sizeof *s);
    c->hpa = NULL;
}

size_t wl_hpa_count(const WlControllers *c)
{
    return c->hpa ? c->hpa->n : 0;
}

int wl_hpa_info(const WlControllers *c, size_t i, const char **name, uint32_t *target, const WlHpaSpec **spec)
{
    if (c->hpa == NULL || i >= c->hpa->n)
        return SIM_EINVAL;
    *name = c->hpa->v[i].name;
    *target = c->hpa->v[i].target;
    *spec = &c->hpa->v[i].spec;
    return SIM_OK;
}

const WlHpaDecision *wl_hpa_last(const WlControllers *c, size_t i)
{
    if (c->hpa == NULL || i >= c->hpa->n || !c->hpa->v[i].synced)
        return NULL;
    return &c->hpa->v[i].dec;
}

const char *wl_hpa_label(const WlControllers *c, size_t i, char *buf, size_t n)
{
    return c->hpa && i < c->hpa->n ? label(c, &c->hpa->v[i], buf, n) : NULL;
}

const WlHpaHistory *wl_hpa_history(const WlControllers *c, size_t i)
{
    return c->hpa && i < c->hpa->n ? &c->hpa->v[i].h : NULL;
}

void wl_hpa_watch(WlControllers *c, WlHpaWatchFn fn, void *ctx)
{
    c->hpa_watch = fn;
    c->hpa_watch_ctx = ctx;
}

const uint32_t *wl_hpa_pods(const WlControllers *c, size_t i, size_t *n)
{
    if (c->hpa && i < c->hpa->n)
        flush(&c->hpa->v[i]);   /* the pods terminated since the last sync go first */
    *n = c->hpa && i < c->hpa->n ? c->hpa->v[i].npods : 0;
    return *n ? c->hpa->v[i].pods : NULL;
}
