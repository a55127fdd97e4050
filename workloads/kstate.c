/*
 * kstate.c: the kube-state sampler (kstate.h). Invariant: it reads the
 * engine and the controllers and writes its own file, nothing else, so the
 * run it watches is the run without it.
 *
 * Simplifications against kube-state-metrics: a pod's created_by is its
 * workload (a Deployment's pods name the Deployment, not their ReplicaSet);
 * a node appears once Ready (a provisioning node has not registered);
 * container_cpu_usage_seconds_total adds, at each sample, the usage the HPA
 * reads (the last 15 s scrape's average) times the time since the last
 * sample, so it is as smooth as metrics-server's view, not cAdvisor's.
 * PromQL's lookback would keep a vanished series alive for 5 minutes, so a
 * pod or node that goes away gets one last sample of 0 in its phase /
 * condition and info series (kube-state-metrics relies on scrape staleness,
 * which an imported block cannot carry); kube_pod_status_phase has the
 * pod's phase at 1 and, once, the phase it left at 0, not all five.
 */
#include "workloads/kstate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/policy.h"
#include "workloads/apps.h"
#include "workloads/wl_int.h"
#include "workloads/wl_metrics.h"

#define LABELS 1024
#define CONTAINER "app"   /* the one container of every pod (k8s-export names it so too) */

typedef struct PodSeen {
    double cpu_s;               /* CPU seconds used so far */
    uint8_t shown;              /* in the last sample's per-pod series */
    int8_t phase;               /* the phase it was shown in (phase_of) */
    uint8_t unbound;            /* shown with node="" (not bound yet) */
    uint32_t wl, ordinal, ns, region;   /* when shown: its series end after its record
                                           may have been recycled (sim_pod) */
} PodSeen;

struct WlKstate {
    WlControllers *c;
    SimEngine *e;
    SimMem *mem;
    FILE *f;
    int err;
    uint32_t max_pods;
    SimTime now, last_t;        /* this sample, the one before (-1: none) */
    PodSeen *pods;              /* by pod id */
    size_t cap_pods;
    uint8_t *node_shown;        /* by node id: in the last sample's node series */
    size_t cap_nodes;
    uint32_t lo;                /* pods below it are gone for good */
};

/* ---- rows -------------------------------------------------------------------- */
void wl_kstate_label(char *buf, size_t n, size_t *len, const char *key, const char *value)
{
    size_t i = *len;
    if (i + 1 >= n)
        return;
    i += (size_t)snprintf(buf + i, n - i, "%s%s=\"", i ? "," : "", key);
    for (; *value && i + 3 < n; value++) {
        if (*value == '\\' || *value == '"' || *value == '\n') {
            buf[i++] = '\\';
            buf[i++] = *value == '\n' ? 'n' : *value;
        } else if (*value == '\t')
            buf[i++] = ' ';   /* the row's separator */
        else
            buf[i++] = *value;
    }
    if (i + 1 < n)
        buf[i++] = '"';
    buf[i < n ? i : n - 1] = '\0';
    *len = i < n ? i : n - 1;
}

void wl_kstate_row(WlKstate *k, const char *family, const char *labels, double v)
{
    SimTime t = k->now;
    int w = t % SIM_NS_PER_S == 0 ? fprintf(k->f, "%lld", (long long)(t / SIM_NS_PER_S))
                                  : fprintf(k->f, "%.3f", (double)t / (double)SIM_NS_PER_S);
    /* whole numbers (bytes, counts) exactly; others to 10 digits as metrics.csv */
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        w = w < 0 ? w : fprintf(k->f, "\t%s\t%s\t%.0f\n", family, labels, v);
    else
        w = w < 0 ? w : fprintf(k->f, "\t%s\t%s\t%.10g\n", family, labels, v);
    if (w < 0)
        k->err = 1;
}

/* A label set for an object: namespace, the object's key, region. */
static size_t obj_labels(WlKstate *k, char *buf, uint32_t ns, const char *key, const char *name, uint32_t region)
{
    size_t n = 0;
    buf[0] = '\0';
    wl_kstate_label(buf, LABELS, &n, "namespace", sim_namespace(k->e, ns)->name);
    wl_kstate_label(buf, LABELS, &n, key, name);
    wl_kstate_label(buf, LABELS, &n, "region", sim_region(k->e, region)->name);
    return n;
}

/* ---- regions, and the counts only kubesim keeps ------------------------------------ */
static void regions(WlKstate *k)
{
    SimEngine *e = k->e;
    for (uint32_t r = 0; r < sim_region_count(e); r++) {
        char l[LABELS];
        size_t n = 0;
        wl_kstate_label(l, sizeof l, &n, "region", sim_region(e, r)->name);
        wl_kstate_row(k, "kubesim_region_up", l, !sim_region(e, r)->down);
        wl_kstate_row(k, "kubesim_pods_created", l, (double)sim_region(e, r)->pods_created);
    }
}

/* Jobs finished per region and namespace, deleted ones included, so the
 * count never goes down (kube_job_status_succeeded's series end with their
 * Job: increase() over them undercounts, sum() drops). */
static void job_counts(WlKstate *k)
{
    SimEngine *e = k->e;
    size_t nns = sim_namespace_count(e), n = (size_t)sim_region_count(e) * nns;
    uint32_t *cnt = n ? sim_mem_calloc(k->mem, n * 3, sizeof *cnt) : NULL;
    if (n && cnt == NULL) {
        k->err = 1;
        return;
    }
    for (uint32_t i = 0; i < sim_workload_count(e); i++) {
        const SimWorkload *w = sim_workload(e, i);
        if (w->kind != SIM_WL_JOB || w->start_at > k->now)
            continue;
        size_t at = (size_t)w->region * nns + w->ns;
        cnt[at * 3] = 1;
        cnt[at * 3 + 1] += w->finished == 1;
        cnt[at * 3 + 2] += w->finished == 2;
    }
    for (size_t at = 0; at < n; at++) {
        char l[LABELS];
        size_t len = 0;
        if (!cnt[at * 3])
            continue;
        wl_kstate_label(l, sizeof l, &len, "namespace", sim_namespace(e, (uint32_t)(at % nns))->name);
        wl_kstate_label(l, sizeof l, &len, "region", sim_region(e, (uint32_t)(at / nns))->name);
        wl_kstate_row(k, "kubesim_jobs_succeeded", l, cnt[at * 3 + 1]);
        wl_kstate_row(k, "kubesim_jobs_failed", l, cnt[at * 3 + 2]);
    }
    sim_mem_free(k->mem, cnt, n * 3 * sizeof *cnt);
}

/* ---- workloads ------------------------------------------------------------------------ */
static void deployment(WlKstate *k, uint32_t id, const SimWorkload *w, const char *l)
{
    WlDeployStatus st;
    wl_kstate_row(k, "kube_deployment_spec_replicas", l, w->replicas);
    if (wl_deploy_status(k->c, id, &st) != SIM_OK)
        return;   /* not started yet */
    wl_kstate_row(k, "kube_deployment_status_replicas_ready", l, st.ready);
    wl_kstate_row(k, "kube_deployment_status_replicas_available", l, st.available);
    wl_kstate_row(k, "kube_deployment_status_replicas_updated", l, st.updated);
}

static void job(WlKstate *k, const SimWorkload *w, const char *l)
{
    wl_kstate_row(k, "kube_job_spec_parallelism", l, w->replicas);
    wl_kstate_row(k, "kube_job_spec_completions", l, w->completions);
    wl_kstate_row(k, "kube_job_status_active", l, w->active);
    wl_kstate_row(k, "kube_job_status_succeeded", l, w->succeeded);
    wl_kstate_row(k, "kube_job_status_failed", l, w->failed);
}

static void workload(WlKstate *k, uint32_t id, const SimWorkload *w)
{
    static const char *const keys[SIM_WL_KIND_COUNT] = {"deployment", "job_name", "pod", "daemonset",
                                                        "statefulset", "cronjob"};
    char l[LABELS];
    if (w->deleted || w->kind == SIM_WL_POD || (w->kind == SIM_WL_JOB && w->start_at > k->now))
        return;   /* gone, a bare pod (its pod's series say it all), a Job not created yet */
    obj_labels(k, l, w->ns, keys[w->kind], w->name, w->region);
    switch (w->kind) {
    case SIM_WL_DEPLOYMENT: deployment(k, id, w, l); break;
    case SIM_WL_JOB: job(k, w, l); break;
    case SIM_WL_STATEFULSET:
        wl_kstate_row(k, "kube_statefulset_replicas", l, w->replicas);
        wl_kstate_row(k, "kube_statefulset_status_replicas_ready", l, w->ready);
        break;
    case SIM_WL_DAEMONSET:
        wl_kstate_row(k, "kube_daemonset_status_desired_number_scheduled", l, w->replicas);
        wl_kstate_row(k, "kube_daemonset_status_number_ready", l, w->ready);
        break;
    case SIM_WL_CRONJOB: wl_kstate_row(k, "kube_cronjob_status_active", l, w->active); break;
    default: break;
    }
}

/* ---- nodes ------------------------------------------------------------------------------- */
static void node_info(WlKstate *k, uint32_t id, const char *base, size_t n, double on)
{
    static const struct { const char *label, *key; } node_labels[] = {
        {"label_node_kubernetes_io_instance_type", "node.kubernetes.io/instance-type"},
        {"label_topology_kubernetes_io_zone", "topology.kubernetes.io/zone"},
        {"label_kubesim_io_node_group", "kubesim.io/node-group"},
    };
    char l[LABELS];
    size_t len = n;
    memcpy(l, base, n + 1);
    wl_kstate_label(l, sizeof l, &len, "kubelet_version", "kubesim");
    wl_kstate_label(l, sizeof l, &len, "os_image", "kubesim");
    wl_kstate_row(k, "kube_node_info", l, on);
    len = n;
    memcpy(l, base, n + 1);
    for (size_t i = 0; i < sizeof node_labels / sizeof *node_labels; i++) {
        const char *v = sim_node_label(k->e, id, node_labels[i].key);
        wl_kstate_label(l, sizeof l, &len, node_labels[i].label, v ? v : "");
    }
    wl_kstate_row(k, "kube_node_labels", l, on);
}

static void node_condition(WlKstate *k, const char *base, size_t n, int state)
{
    static const char *const status[3] = {"true", "false", "unknown"};
    for (int s = 0; s < 3; s++) {
        char l[LABELS];
        size_t len = n;
        memcpy(l, base, n + 1);
        wl_kstate_label(l, sizeof l, &len, "condition", "Ready");
        wl_kstate_label(l, sizeof l, &len, "status", status[s]);
        wl_kstate_row(k, "kube_node_status_condition", l, s == state);
    }
}

static void allocatable(WlKstate *k, const char *base, size_t n, const SimRes *a)
{
    const struct { const char *res, *unit; double v; } rs[] = {
        {"cpu", "core", (double)a->cpu_m / 1000}, {"memory", "byte", (double)a->mem},
        {"pods", "integer", (double)a->pods}, {"nvidia_com_gpu", "integer", (double)a->gpu}};
    for (size_t i = 0; i < sizeof rs / sizeof *rs; i++) {
        char l[LABELS];
        size_t len = n;
        if (i == 3 && a->gpu == 0)
            break;
        memcpy(l, base, n + 1);
        wl_kstate_label(l, sizeof l, &len, "resource", rs[i].res);
        wl_kstate_label(l, sizeof l, &len, "unit", rs[i].unit);
        wl_kstate_row(k, "kube_node_status_allocatable", l, rs[i].v);
    }
}

static void node(WlKstate *k, uint32_t id)
{
    const SimNode *nd = sim_node(k->e, id);
    int up = nd->state == SIM_NODE_READY || nd->state == SIM_NODE_NOT_READY;
    if (!up && !k->node_shown[id])
        return;
    char base[LABELS], name[256];
    size_t n = 0;
    sim_node_name(k->e, id, name, sizeof name);
    wl_kstate_label(base, sizeof base, &n, "node", name);
    wl_kstate_label(base, sizeof base, &n, "region", sim_region(k->e, nd->region)->name);
    k->node_shown[id] = (uint8_t)up;
    node_info(k, id, base, n, up);
    node_condition(k, base, n, up ? (nd->state == SIM_NODE_READY ? 0 : 2) : -1);
    if (!up)
        return;   /* gone: the zeros above, once */
    allocatable(k, base, n, &nd->alloc);
    wl_kstate_row(k, "kube_node_spec_unschedulable", base, nd->unschedulable);
}

static void nodes(WlKstate *k)
{
    uint32_t n = sim_node_count(k->e);
    size_t old = k->cap_nodes;
    if (sim_mem_grow(k->mem, (void **)&k->node_shown, &k->cap_nodes, n, 1) != SIM_OK) {
        k->err = 1;
        return;
    }
    memset(k->node_shown + old, 0, k->cap_nodes - old);
    for (uint32_t i = 0; i < n; i++)
        node(k, i);
}

/* ---- pods ---------------------------------------------------------------------------------- */
static int pod_exists(const SimPod *p)
{
    return p->phase != SIM_POD_DELETED || p->terminating;
}

/* kube_pod_status_phase: 1 for the pod's phase; 0 once for the phase it
 * left (kube-state-metrics writes every phase every scrape: the zeros that
 * matter to PromQL are those, the rest would only be bytes). phase -1: the
 * pod went away. */
static void phases(WlKstate *k, uint32_t id, const char *base, size_t n, int phase)
{
    static const char *const names[5] = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};
    PodSeen *ps = &k->pods[id];
    for (int i = 0; i < 5; i++) {
        char l[LABELS];
        size_t len = n;
        if (i != phase && !(ps->shown && i == ps->phase))
            continue;
        memcpy(l, base, n + 1);
        wl_kstate_label(l, sizeof l, &len, "phase", names[i]);
        wl_kstate_row(k, "kube_pod_status_phase", l, i == phase);
    }
    ps->phase = (int8_t)phase;
}

static int phase_of(const SimPod *p)
{
    switch (p->phase) {
    case SIM_POD_PENDING:
    case SIM_POD_BOUND: return 0;
    case SIM_POD_RUNNING: return 1;
    case SIM_POD_SUCCEEDED: return 2;
    case SIM_POD_FAILED: return 3;
    default: return 1;   /* terminating: Running until it is gone */
    }
}

/* on 0: the series' last sample, 0 (a label changed: the old series ends). */
static void resources(WlKstate *k, const char *family, const char *base, size_t n, int64_t cpu_m, int64_t mem,
                      int64_t gpu, double on)
{
    const struct { const char *res, *unit; int64_t v; double scale; } rs[] = {
        {"cpu", "core", cpu_m, 1e-3}, {"memory", "byte", mem, 1}, {"nvidia_com_gpu", "integer", gpu, 1}};
    for (size_t i = 0; i < 3; i++) {
        char l[LABELS];
        size_t len = n;
        if (rs[i].v <= 0)
            continue;
        memcpy(l, base, n + 1);
        wl_kstate_label(l, sizeof l, &len, "resource", rs[i].res);
        wl_kstate_label(l, sizeof l, &len, "unit", rs[i].unit);
        wl_kstate_row(k, family, l, (double)rs[i].v * rs[i].scale * on);
    }
}

static void usage(WlKstate *k, uint32_t id, const SimPod *p, const char *cbase)
{
    WlPodUsage u;
    if (p->phase != SIM_POD_RUNNING || !wl_pod_usage_raw(k->c, id, &u))
        return;
    SimTime from = k->last_t > p->started_at ? k->last_t : p->started_at;
    if (k->now > from)
        k->pods[id].cpu_s += (double)u.cpu_m / 1000 * (double)(k->now - from) / (double)SIM_NS_PER_S;
    wl_kstate_row(k, "container_cpu_usage_seconds", cbase, k->pods[id].cpu_s);
    wl_kstate_row(k, "container_memory_working_set_bytes", cbase, (double)u.mem);
}

static void pod_info(WlKstate *k, const SimPod *p, const char *base, size_t n, const char *node, double on)
{
    static const char *const kinds[SIM_WL_KIND_COUNT] = {"Deployment", "Job", "<none>", "DaemonSet",
                                                         "StatefulSet", "CronJob"};
    const SimWorkload *w = sim_workload(k->e, p->wl);
    char l[LABELS];
    memcpy(l, base, n + 1);
    wl_kstate_label(l, sizeof l, &n, "node", node);
    wl_kstate_label(l, sizeof l, &n, "created_by_kind", kinds[w->kind]);
    wl_kstate_label(l, sizeof l, &n, "created_by_name", w->kind == SIM_WL_POD ? "<none>" : w->name);
    wl_kstate_row(k, "kube_pod_info", l, on);
}

/* The series that carry the node: info and requests. */
static void pod_node_series(WlKstate *k, const SimPod *p, const char *base, size_t n, const char *node, double on)
{
    char cbase[LABELS];
    size_t cn = n;
    pod_info(k, p, base, n, node, on);
    memcpy(cbase, base, n + 1);
    wl_kstate_label(cbase, sizeof cbase, &cn, "container", CONTAINER);
    wl_kstate_label(cbase, sizeof cbase, &cn, "node", node);
    resources(k, "kube_pod_container_resource_requests", cbase, cn, p->req.cpu_m, p->req.mem, p->req.gpu, on);
    resources(k, "kube_pod_container_resource_limits", cbase, cn, p->lim_cpu_m, p->lim_mem, 0, on);
}

/* The pod's series; node "" until it is bound (those series end with a 0
 * when it is). */
static void pod(WlKstate *k, uint32_t id, const SimPod *p)
{
    char base[LABELS], cbase[LABELS], name[256], node[256] = "";
    size_t n = 0, cn;
    PodSeen *ps = &k->pods[id];
    sim_pod_name(k->e, id, name, sizeof name);
    ps->wl = p->wl;
    ps->ordinal = p->ordinal;
    ps->ns = p->ns;
    ps->region = p->region;
    if (p->node != SIM_NONE)
        sim_node_name(k->e, p->node, node, sizeof node);
    wl_kstate_label(base, sizeof base, &n, "namespace", sim_namespace(k->e, p->ns)->name);
    wl_kstate_label(base, sizeof base, &n, "pod", name);
    wl_kstate_label(base, sizeof base, &n, "region", sim_region(k->e, p->region)->name);
    if (ps->shown && ps->unbound && node[0])
        pod_node_series(k, p, base, n, "", 0);
    ps->unbound = node[0] == '\0';
    pod_node_series(k, p, base, n, node, 1);
    phases(k, id, base, n, phase_of(p));
    memcpy(cbase, base, n + 1);
    cn = n;
    wl_kstate_label(cbase, sizeof cbase, &cn, "container", CONTAINER);
    wl_kstate_label(cbase, sizeof cbase, &cn, "node", node);
    usage(k, id, p, cbase);
}

/* A pod shown last time and gone now: its phases at 0, once. */
static void pod_gone(WlKstate *k, uint32_t id, const SimPod *p)
{
    char base[LABELS], name[256];
    size_t n = 0;
    const PodSeen *ps = &k->pods[id];   /* p's record may be recycled: what it was shown as */
    (void)p;
    snprintf(name, sizeof name, "%s-%u", sim_workload(k->e, ps->wl)->name, ps->ordinal);
    wl_kstate_label(base, sizeof base, &n, "namespace", sim_namespace(k->e, ps->ns)->name);
    wl_kstate_label(base, sizeof base, &n, "pod", name);
    wl_kstate_label(base, sizeof base, &n, "region", sim_region(k->e, ps->region)->name);
    phases(k, id, base, n, -1);
    k->pods[id].shown = 0;
}

static int grow_pods(WlKstate *k, uint32_t n)
{
    size_t old = k->cap_pods;
    if (sim_mem_grow(k->mem, (void **)&k->pods, &k->cap_pods, n, sizeof *k->pods) != SIM_OK)
        return SIM_ENOMEM;
    memset(k->pods + old, 0, (k->cap_pods - old) * sizeof *k->pods);
    return SIM_OK;
}

static void pods_omitted(WlKstate *k, const uint32_t *omitted)
{
    for (uint32_t r = 0; r < sim_region_count(k->e); r++) {
        char l[LABELS];
        size_t len = 0;
        wl_kstate_label(l, sizeof l, &len, "region", sim_region(k->e, r)->name);
        wl_kstate_row(k, "kubesim_openmetrics_pods_omitted", l, omitted[r]);
    }
}

/* The first max_pods existing pods in creation order; the others counted. */
static void pods(WlKstate *k)
{
    SimEngine *e = k->e;
    uint32_t n = sim_pod_count(e), shown = 0, nreg = sim_region_count(e);
    uint32_t *omitted = sim_mem_calloc(k->mem, nreg ? nreg : 1, sizeof *omitted);
    if (omitted == NULL || (n && grow_pods(k, n) != SIM_OK)) {
        sim_mem_free(k->mem, omitted, (nreg ? nreg : 1) * sizeof *omitted);
        k->err = 1;
        return;
    }
    while (k->lo < n && !pod_exists(sim_pod(e, k->lo)) && !k->pods[k->lo].shown)
        k->lo++;
    for (uint32_t i = k->lo; i < n; i++) {
        const SimPod *p = sim_pod(e, i);
        if (!pod_exists(p)) {
            if (k->pods[i].shown)
                pod_gone(k, i, p);
        } else if (shown < k->max_pods) {
            pod(k, i, p);
            k->pods[i].shown = 1;
            shown++;
        } else
            omitted[p->region]++;
    }
    pods_omitted(k, omitted);
    sim_mem_free(k->mem, omitted, (nreg ? nreg : 1) * sizeof *omitted);
}

/* ---- quotas ------------------------------------------------------------------------------------ */
static void quota(WlKstate *k, const SimQuota *q)
{
    char base[LABELS];
    size_t n = obj_labels(k, base, q->ns, "resourcequota", q->name, q->region);
    for (int r = 0; r < SIM_QR_COUNT; r++) {
        if (!(q->hard_set & (1u << r)))
            continue;
        double scale = sim_quota_res_milli((SimQuotaRes)r) ? 1e-3 : 1;
        for (int used = 0; used < 2; used++) {
            char l[LABELS];
            size_t len = n;
            memcpy(l, base, n + 1);
            wl_kstate_label(l, sizeof l, &len, "resource", sim_quota_res_name((SimQuotaRes)r));
            wl_kstate_label(l, sizeof l, &len, "type", used ? "used" : "hard");
            wl_kstate_row(k, "kube_resourcequota", l, (double)(used ? q->used[r] : q->hard[r]) * scale);
        }
    }
}

/* ---- the sampler ------------------------------------------------------------------------------ */
static void sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    WlKstate *k = ctx;
    (void)mt;
    k->now = sim_now(e);
    regions(k);
    job_counts(k);
    for (uint32_t i = 0; i < sim_workload_count(e); i++)
        workload(k, i, sim_workload(e, i));
    wl_hpa_kstate(k->c, k);
    nodes(k);
    if (k->max_pods)
        pods(k);
    for (uint32_t i = 0; i < sim_quota_count(e); i++)
        quota(k, sim_quota(e, i));
    k->last_t = k->now;
}

WlKstate *wl_kstate_open(WlControllers *c, const char *path, uint32_t max_pods, SimErr *err)
{
    SimMem *m = sim_mem(c->e);
    WlKstate *k = sim_mem_calloc(m, 1, sizeof *k);
    if (k == NULL) {
        sim_err_set(err, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    *k = (WlKstate){.c = c, .e = c->e, .mem = m, .max_pods = max_pods, .last_t = -1};
    k->f = fopen(path, "w");
    if (k->f == NULL) {
        sim_err_set(err, SIM_EIO, "%s: cannot write", path);
        sim_mem_free(m, k, sizeof *k);
        return NULL;
    }
    return k;
}

int wl_kstate_attach(WlKstate *k, SimMetrics *mt)
{
    if (sim_metrics_add_sampler(mt, sample, k) != SIM_OK)
        return sim_fail(k->e, SIM_ESTATE, "too many metrics samplers");
    return SIM_OK;
}

static void release(WlKstate *k)
{
    sim_mem_free(k->mem, k->pods, k->cap_pods * sizeof *k->pods);
    sim_mem_free(k->mem, k->node_shown, k->cap_nodes);
    sim_mem_free(k->mem, k, sizeof *k);
}

int wl_kstate_close(WlKstate *k)
{
    int bad = k->err || ferror(k->f) != 0;
    if (fclose(k->f) != 0)
        bad = 1;
    release(k);
    return bad ? SIM_EIO : SIM_OK;
}

void wl_kstate_abort(WlKstate *k)
{
    if (k == NULL)
        return;
    fclose(k->f);
    release(k);
}
