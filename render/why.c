/*
 * why.c: `kubesim why` (prefix rnd_why_): one causal timeline for a pod, a
 * workload, a node or a service, read from a run's trace.kst alone, joining
 * what the components traced about it (the controllers, the scheduler's
 * FitError texts, the autoscaler's decisions and NotTriggerScaleUp reasons,
 * the HPA's syncs, the kubelet, faults), times on the scenario's clock.
 *
 * Two passes over the trace: the first learns every object's name and the
 * times the second needs (a pod's creation and binding, a node's addition
 * and readiness, a service's workloads); the second keeps the records about
 * the object, as lines. Invariant: the output is a pure function of the
 * trace and the request (same trace, same bytes); lines keep the trace's
 * order, and equal lines of one instant are merged into one with a count.
 */
#include "render/rnd_int.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY_TEXT 1024
#define WHY_NONE UINT32_MAX
#define WHY_SEQ0 ((size_t)1 << 32)   /* lines' order numbers start here (a window's line comes first) */
#define WHY_NEAREST 3
#define WHY_LOOKBACK SIM_SEC(600)   /* a service window's causes: from 10 min before it */

typedef struct WName {
    char *name;
    uint32_t a, b, c;                /* per table: see below */
    SimTime t0, t1, t2;
} WName;

/* A table of objects by their trace id. */
typedef struct WTab {
    WName *v;
    size_t n, cap;
} WTab;

typedef struct WLine {
    SimTime t;
    const char *comp;
    char *text;
    uint32_t count;
    size_t seq;                      /* insertion order: ties in time keep it */
} WLine;

typedef struct WService {
    char *name;
    uint32_t region, wl;
    int64_t slo_us;
} WService;

typedef struct WWindow {             /* a service over its p95 target */
    uint32_t svc;                    /* index into services */
    SimTime from, to;
    int64_t worst_us;
    char headline[WHY_TEXT];
} WWindow;

/* The module kinds found by name (the trace's schema numbers them). */
enum {
    K_SCALE, K_HPA, K_HPA_SYNC, K_TRAFFIC, K_SERVE, K_CA_UP, K_CA_DOWN, K_CA_BACKOFF, K_CA_DECISION,
    K_CA_NO_UP, K_FAULT, K_JOB_END, K_WL_DELETE, K_DEPLOY_COND, K_RS_SCALE, K_COUNT
};
static const char *const kind_names[K_COUNT] = {
    "scale", "hpa", "hpa_sync", "traffic", "serve", "ca_scale_up", "ca_scale_down", "ca_backoff", "ca_decision",
    "ca_no_scale_up", "fault", "job_end", "workload_delete", "deploy_condition", "rs_scale"};

typedef struct Why {
    SimMem *m;
    const SimTrSchema *schema;
    const char *path;
    RndClock clock;
    SimTime duration, sample;
    WTab regions, groups, ns, wls, nodes, pods;
    /* regions: -; groups: a region; wls: a region, b ns, c kind; nodes: a group, t0 added, t1
     * Ready (-1), t2 removed (-1); pods: a wl, b first node bound (WHY_NONE), t0 created, t1 bound (-1),
     * t2 ended (-1) */
    WService *svc;
    size_t nsvc, capsvc;
    WLine *lines;
    size_t nlines, caplines;
    WWindow *win;
    size_t nwin, capwin;
    int k[K_COUNT];        /* the module kinds' numbers, by name (0: absent) */
    size_t nwaits;         /* pod_unschedulable and pod_sched_fail records (learn) */
    int oom;
} Why;

static const char *const wl_kinds[] = {"Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob"};

/* ---- tables ------------------------------------------------------------------ */
static WName *tab_at(Why *w, WTab *t, int64_t id)
{
    if (id < 0 || id > (int64_t)UINT32_MAX - 1)
        return NULL;
    size_t i = (size_t)id, old = t->cap;
    if (i >= t->cap) {
        if (sim_mem_grow(w->m, (void **)&t->v, &t->cap, i + 1, sizeof *t->v) != SIM_OK) {
            w->oom = 1;
            return NULL;
        }
        memset(t->v + old, 0, (t->cap - old) * sizeof *t->v);
    }
    if (i >= t->n)
        t->n = i + 1;
    return &t->v[i];
}

static const WName *tab_get(const WTab *t, int64_t id)
{
    return id >= 0 && (size_t)id < t->n && t->v[id].name ? &t->v[id] : NULL;
}

static const char *name_of(const WTab *t, int64_t id)
{
    const WName *x = tab_get(t, id);
    return x ? x->name : "?";
}

static void tab_free(Why *w, WTab *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].name)
            sim_mem_free(w->m, t->v[i].name, strlen(t->v[i].name) + 1);
    sim_mem_free(w->m, t->v, t->cap * sizeof *t->v);
}

static WName *declare(Why *w, WTab *t, int64_t id, const char *name)
{
    WName *x = tab_at(w, t, id);
    if (x == NULL || x->name)
        return x;
    if ((x->name = sim_mem_strdup(w->m, name)) == NULL)
        w->oom = 1;
    x->t1 = x->t2 = -1;
    x->b = WHY_NONE;
    return x;
}

/* ---- times --------------------------------------------------------------------- */
/* "09:30:10" on the scenario's clock, else "+2:30:10" since the start. */
static void fmt_time(const Why *w, SimTime t, char *buf, size_t n)
{
    int64_t s = t / SIM_NS_PER_S;
    if (w->clock.set)
        rnd_clock_fmt(&w->clock, (double)s, 1, buf, n);
    else
        snprintf(buf, n, "+%" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
}

/* "2m10s", "1h05m", "45s". */
static void fmt_span(SimTime d, char *buf, size_t n)
{
    int64_t s = d / SIM_NS_PER_S;
    if (s >= 3600)
        snprintf(buf, n, "%" PRId64 "h%02dm", s / 3600, (int)(s / 60 % 60));
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)(s % 60));
    else
        snprintf(buf, n, "%ds", (int)s);
}

/* ---- lines --------------------------------------------------------------------- */
/* Adds a line, or counts it on an equal line of the same instant. */
static void line(Why *w, SimTime t, const char *comp, const char *text)
{
    for (size_t i = w->nlines; i-- > 0 && w->lines[i].t == t;)
        if (w->lines[i].comp == comp && strcmp(w->lines[i].text, text) == 0) {
            w->lines[i].count++;
            return;
        }
    if (sim_mem_grow(w->m, (void **)&w->lines, &w->caplines, w->nlines + 1, sizeof *w->lines) != SIM_OK) {
        w->oom = 1;
        return;
    }
    char *s = sim_mem_strdup(w->m, text);
    if (s == NULL) {
        w->oom = 1;
        return;
    }
    w->lines[w->nlines] = (WLine){t, comp, s, 1, w->nlines + WHY_SEQ0};
    w->nlines++;
}

static void linef(Why *w, SimTime t, const char *comp, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void linef(Why *w, SimTime t, const char *comp, const char *fmt, ...)
{
    char buf[WHY_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    line(w, t, comp, buf);
}

/* ---- reading ------------------------------------------------------------------- */
typedef void (*WhyRecFn)(Why *w, const SimTraceRec *rec, void *ctx);

/* Reads every record (up to limit) through fn. SIM_OK or the reader's error in err. */
static int each(Why *w, SimTime limit, WhyRecFn fn, void *ctx, SimErr *err)
{
    SimTraceReader *r = sim_trace_open(w->m, w->schema, w->path, err);
    if (r == NULL)
        return err && err->code ? err->code : SIM_EIO;
    SimTraceRec rec;
    int rc;
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK && !w->oom)
        if (rec.t <= limit)
            fn(w, &rec, ctx);
    if (rc != SIM_DONE && !w->oom)
        rc = sim_err_set(err, SIM_ECORRUPT, "%s", sim_trace_error(r));
    else
        rc = w->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory reading %s", w->path) : SIM_OK;
    sim_trace_close_reader(r);
    return rc;
}

static int is(const Why *w, const SimTraceRec *rec, int k)
{
    return w->k[k] != 0 && rec->kind == w->k[k];
}

/* Pass one: names, and the times pass two needs. */
static void learn(Why *w, const SimTraceRec *rec, void *ctx)
{
    (void)ctx;
    const SimTrVal *v = rec->v;
    WName *x;
    w->nwaits += rec->kind == SIM_TR_POD_UNSCHEDULABLE || rec->kind == SIM_TR_POD_SCHED_FAIL;
    switch (rec->kind) {
    case SIM_TR_REGION: declare(w, &w->regions, v[0].i, v[1].s); return;
    case SIM_TR_NODEGROUP:
        if ((x = declare(w, &w->groups, v[0].i, v[2].s)))
            x->a = (uint32_t)v[1].i;
        return;
    case SIM_TR_NAMESPACE: declare(w, &w->ns, v[0].i, v[1].s); return;
    case SIM_TR_WORKLOAD:
        if ((x = declare(w, &w->wls, v[0].i, v[4].s)))
            *x = (WName){x->name, (uint32_t)v[1].i, (uint32_t)v[2].i, (uint32_t)v[3].i, rec->t, -1, -1};
        return;
    case SIM_TR_NODE_ADD:
        if ((x = declare(w, &w->nodes, v[0].i, v[3].s)))
            *x = (WName){x->name, (uint32_t)v[1].i, 0, 0, rec->t, -1, -1};
        return;
    case SIM_TR_NODE_READY:
        if ((x = tab_at(w, &w->nodes, v[0].i)) && x->t1 < 0)
            x->t1 = rec->t;
        return;
    case SIM_TR_NODE_REMOVE:
        if ((x = tab_at(w, &w->nodes, v[0].i)))
            x->t2 = rec->t;
        return;
    case SIM_TR_POD_CREATE:
        if ((x = declare(w, &w->pods, v[0].i, v[7].s)))
            *x = (WName){x->name, (uint32_t)v[1].i, WHY_NONE, (uint32_t)v[3].i, rec->t, -1, -1};
        return;
    case SIM_TR_POD_BIND:
        if ((x = tab_at(w, &w->pods, v[0].i)) && x->t1 < 0) {
            x->t1 = rec->t;
            x->b = (uint32_t)v[1].i;
        }
        return;
    case SIM_TR_POD_END:
    case SIM_TR_POD_DELETE:
        if ((x = tab_at(w, &w->pods, v[0].i)) && x->t2 < 0)
            x->t2 = rec->t;
        return;
    default: break;
    }
    if (is(w, rec, K_SERVE) &&
        sim_mem_grow(w->m, (void **)&w->svc, &w->capsvc, w->nsvc + 1, sizeof *w->svc) == SIM_OK) {
        WService *s = &w->svc[w->nsvc];
        if ((s->name = sim_mem_strdup(w->m, v[0].s)) == NULL) {
            w->oom = 1;
            return;
        }
        s->region = (uint32_t)v[1].i;
        s->wl = (uint32_t)v[2].i;
        s->slo_us = v[3].i;
        w->nsvc++;
    }
}

/* ---- pass two: the object's records as lines ------------------------------------- */
typedef struct Target {
    RndWhyKind kind;
    uint32_t id;                     /* pod, workload or node; service: unused */
    const char *name;
    uint32_t region;                 /* pod: its region */
    uint8_t *unsched;                /* per pod: unschedulable now (pass two's state) */
    uint32_t *on;                    /* per pod: its node now, WHY_NONE */
    size_t npods;
    uint32_t waiting;                /* workload/service: its pods unschedulable now */
    /* the pod's story, for its headline */
    SimTime dec_t;                   /* the last scale-up while it waited, -1 */
    char dec[WHY_TEXT];
    char last_reason[WHY_TEXT];      /* its last unschedulable text */
    char ca_reason[WHY_TEXT];        /* its last NotTriggerScaleUp text */
    uint32_t preempted;              /* victims it preempted */
    SimTime down_from;               /* service: a region outage's start, -1 */
} Target;

static int pod_of(const Why *w, const Target *g, int64_t pod)
{
    const WName *p = tab_get(&w->pods, pod);
    if (p == NULL)
        return 0;
    switch (g->kind) {
    case RND_WHY_POD: return (uint32_t)pod == g->id;
    case RND_WHY_WORKLOAD: return p->a == g->id;
    case RND_WHY_SERVICE:
        for (size_t i = 0; i < w->nsvc; i++)
            if (w->svc[i].wl == p->a && strcmp(w->svc[i].name, g->name) == 0)
                return 1;
        return 0;
    default: return 0;
    }
}

static int region_watched(const Why *w, const Target *g, uint32_t region)
{
    if (g->kind == RND_WHY_POD)
        return region == g->region;
    if (g->kind == RND_WHY_WORKLOAD) {
        const WName *x = tab_get(&w->wls, g->id);
        return x && x->a == region;
    }
    for (size_t i = 0; i < w->nsvc; i++)
        if (w->svc[i].region == region && strcmp(w->svc[i].name, g->name) == 0)
            return 1;
    return 0;
}

/* A pod's own record: the line's component and text (no pod name); NULL comp when none. */
static const char *pod_text(Why *w, const SimTraceRec *rec, char *buf, size_t n)
{
    const SimTrVal *v = rec->v;
    const WName *p = tab_get(&w->pods, v[0].i);
    switch (rec->kind) {
    case SIM_TR_POD_CREATE: {
        const WName *x = tab_get(&w->wls, p ? p->a : WHY_NONE);
        snprintf(buf, n, "created by %s %s", x && x->c < 6 ? wl_kinds[x->c] : "workload", x ? x->name : "?");
        return "controller";
    }
    case SIM_TR_POD_UNSCHEDULABLE: snprintf(buf, n, "unschedulable: %s", v[1].s); return "scheduler";
    case SIM_TR_POD_SCHED_FAIL:
        snprintf(buf, n, "still unschedulable (attempt %" PRId64 "): %s", v[1].i, v[2].s);
        return "scheduler";
    case SIM_TR_POD_NOMINATE: snprintf(buf, n, "nominated to node %s (preemption)", name_of(&w->nodes, v[1].i)); return "scheduler";
    case SIM_TR_POD_BIND: snprintf(buf, n, "bound to node %s", name_of(&w->nodes, v[1].i)); return "scheduler";
    case SIM_TR_POD_RUNNING: snprintf(buf, n, "running"); return "kubelet";
    case SIM_TR_POD_READY: snprintf(buf, n, "%s", v[1].i ? "Ready" : "not Ready (its node is NotReady)"); return "kubelet";
    case SIM_TR_POD_END: snprintf(buf, n, "%s", v[1].i ? "failed" : "succeeded"); return "kubelet";
    case SIM_TR_POD_DELETE: snprintf(buf, n, "deleted"); return "api-server";
    case SIM_TR_POD_EVICT: snprintf(buf, n, "evicted (%s)", v[1].s[0] ? v[1].s : "eviction API"); return "eviction";
    case SIM_TR_POD_TERMINATING: snprintf(buf, n, "terminating"); return "kubelet";
    case SIM_TR_POD_PREEMPT:
        snprintf(buf, n, "preempted by %s on node %s", name_of(&w->pods, v[1].i), name_of(&w->nodes, v[2].i));
        return "scheduler";
    default: break;
    }
    if (is(w, rec, K_CA_NO_UP)) {
        snprintf(buf, n, "%s", v[1].s);
        return "autoscaler";
    }
    return NULL;
}

/* The pod-state bookkeeping every target needs (unschedulable now, node now). */
static void track(Why *w, Target *g, const SimTraceRec *rec)
{
    int64_t pod = rec->v[0].i;
    if (pod < 0 || (size_t)pod >= g->npods)
        return;
    int mine = pod_of(w, g, pod);
    switch (rec->kind) {
    case SIM_TR_POD_UNSCHEDULABLE:
        g->waiting += mine && !g->unsched[pod];
        g->unsched[pod] = 1;
        break;
    case SIM_TR_POD_BIND:
    case SIM_TR_POD_END:
    case SIM_TR_POD_DELETE:
        g->waiting -= mine && g->unsched[pod];
        g->unsched[pod] = 0;
        g->on[pod] = rec->kind == SIM_TR_POD_BIND ? (uint32_t)rec->v[1].i : WHY_NONE;
        break;
    default: break;
    }
}

static void decision_text(Why *w, const SimTraceRec *rec, char *buf, size_t n)
{
    const SimTrVal *v = rec->v;
    snprintf(buf, n, "scale-up +%" PRId64 " %s for %" PRId64 " pending pods (expander %s)%s%s", v[2].i,
             name_of(&w->groups, v[1].i), v[3].i, v[4].s, v[5].s[0] ? "; rejected: " : "", v[5].s);
}

/* The workload's own records (scale, HPA, admission, Jobs, Deployments). */
static void wl_record(Why *w, const SimTraceRec *rec, uint32_t wl)
{
    const SimTrVal *v = rec->v;
    if (rec->kind == SIM_TR_WORKLOAD && v[0].i == wl)
        linef(w, rec->t, "controller", "%s %s created with %" PRId64 " replicas",
              v[3].i >= 0 && v[3].i < 6 ? wl_kinds[v[3].i] : "workload", v[4].s, v[5].i);
    else if (rec->kind == SIM_TR_QUOTA_REJECT && v[0].i == wl)
        linef(w, rec->t, "api-server", "pod refused: %s", v[2].s);
    else if (is(w, rec, K_SCALE) && v[0].i == wl)
        linef(w, rec->t, "controller", "scaled %" PRId64 " -> %" PRId64, v[1].i, v[2].i);
    else if (is(w, rec, K_HPA) && v[1].i == wl)
        linef(w, rec->t, "hpa", "%s rescaled %" PRId64 " -> %" PRId64 " (limitedBy %s)", v[0].s, v[2].i, v[3].i, v[4].s);
    else if (is(w, rec, K_HPA_SYNC) && v[1].i == wl)
        linef(w, rec->t, "hpa", "%s: desired %" PRId64 " (current %" PRId64 "), limitedBy %s%s%s: %s", v[0].s, v[3].i,
              v[2].i, v[4].s, v[5].s[0] ? " " : "", v[5].s, v[6].s);
    else if (is(w, rec, K_JOB_END) && v[0].i == wl)
        linef(w, rec->t, "controller", "Job %s (%s)", v[1].i ? "complete" : "failed", v[2].s);
    else if (is(w, rec, K_WL_DELETE) && v[0].i == wl)
        linef(w, rec->t, "controller", "deleted (%s)", v[1].s);
    else if (is(w, rec, K_DEPLOY_COND) && v[0].i == wl)
        linef(w, rec->t, "controller", "condition %s: %s", v[1].i ? "True" : "False", v[2].s);
}

/* A fault naming target (a node's, a pod's, a region's name). */
static void fault_line(Why *w, const SimTraceRec *rec, const char *target)
{
    if (is(w, rec, K_FAULT) && strcmp(rec->v[1].s, target) == 0)
        linef(w, rec->t, "fault", "%s %s: %s", rec->v[0].s, rec->v[1].s, rec->v[2].s);
}

static void gather_pod(Why *w, Target *g, const SimTraceRec *rec)
{
    const SimTrVal *v = rec->v;
    const WName *p = tab_get(&w->pods, g->id);
    char buf[WHY_TEXT];
    int waiting = g->unsched[g->id];
    const char *comp = pod_text(w, rec, buf, sizeof buf);
    if (comp && v[0].i == g->id) {
        line(w, rec->t, comp, buf);
        if (rec->kind == SIM_TR_POD_UNSCHEDULABLE || rec->kind == SIM_TR_POD_SCHED_FAIL)
            snprintf(g->last_reason, sizeof g->last_reason, "%s", v[rec->n - 1].s);
        if (is(w, rec, K_CA_NO_UP))
            snprintf(g->ca_reason, sizeof g->ca_reason, "%s", v[1].s);
        return;
    }
    if (rec->kind == SIM_TR_POD_PREEMPT && v[1].i == g->id) {
        linef(w, rec->t, "scheduler", "preempted %s on node %s", name_of(&w->pods, v[0].i), name_of(&w->nodes, v[2].i));
        g->preempted++;
    } else if (is(w, rec, K_CA_DECISION) && waiting && (uint32_t)v[0].i == g->region) {
        decision_text(w, rec, buf, sizeof buf);
        line(w, rec->t, "autoscaler", buf);
        g->dec_t = rec->t;
        snprintf(g->dec, sizeof g->dec, "+%" PRId64 " %s (%s)", v[2].i, name_of(&w->groups, v[1].i), v[4].s);
    } else if (is(w, rec, K_CA_BACKOFF) && waiting && tab_get(&w->groups, v[0].i) &&
               w->groups.v[v[0].i].a == g->region) {
        linef(w, rec->t, "autoscaler", "group %s backed off: %s", name_of(&w->groups, v[0].i), v[2].s);
    } else if (p && p->b != WHY_NONE && rec->t >= p->t0) {
        uint32_t node = p->b;
        int bound = g->on[g->id] == node;
        if (rec->kind == SIM_TR_NODE_ADD && v[0].i == node)
            linef(w, rec->t, "cloud", "node %s added to group %s", name_of(&w->nodes, node), name_of(&w->groups, v[1].i));
        else if (rec->kind == SIM_TR_NODE_READY && v[0].i == node && !bound)
            linef(w, rec->t, "kubelet", "node %s Ready", name_of(&w->nodes, node));
        else if (bound && rec->kind == SIM_TR_NODE_STATE && v[0].i == node)
            linef(w, rec->t, "node-lifecycle", "node %s %s", name_of(&w->nodes, node), v[1].i ? "Ready again" : "NotReady");
        else if (bound && rec->kind == SIM_TR_NODE_CORDON && v[0].i == node)
            linef(w, rec->t, "node-lifecycle", "node %s %s", name_of(&w->nodes, node), v[1].i ? "cordoned" : "uncordoned");
        else if (bound && is(w, rec, K_CA_DOWN) && v[0].i == node)
            linef(w, rec->t, "autoscaler", "removes node %s (%s)", name_of(&w->nodes, node), v[1].s);
        else if (bound && is(w, rec, K_FAULT))
            fault_line(w, rec, name_of(&w->nodes, node));
    }
    if (p && is(w, rec, K_FAULT))
        fault_line(w, rec, p->name);
}

static void gather_workload(Why *w, Target *g, const SimTraceRec *rec, uint32_t wl)
{
    const SimTrVal *v = rec->v;
    char buf[WHY_TEXT];
    const char *comp = pod_text(w, rec, buf, sizeof buf);
    if (comp && rec->kind != SIM_TR_POD_CREATE && pod_of(w, g, v[0].i)) {
        line(w, rec->t, comp, buf);   /* equal lines of one instant merge: "x60" */
        return;
    }
    if (rec->kind == SIM_TR_POD_CREATE && pod_of(w, g, v[0].i)) {
        line(w, rec->t, "controller", "pod created");
        return;
    }
    if (is(w, rec, K_CA_DECISION) && g->waiting && region_watched(w, g, (uint32_t)v[0].i)) {
        decision_text(w, rec, buf, sizeof buf);
        line(w, rec->t, "autoscaler", buf);
        return;
    }
    wl_record(w, rec, wl);
}

static void gather_node(Why *w, Target *g, const SimTraceRec *rec)
{
    const SimTrVal *v = rec->v;
    const WName *n = tab_get(&w->nodes, g->id);
    char buf[WHY_TEXT];
    int64_t pod = v[0].i;
    int here = pod >= 0 && (size_t)pod < g->npods && g->on[pod] == g->id;
    const WName *p = tab_get(&w->pods, pod);
    const char *wl = p ? name_of(&w->wls, p->a) : "?";
    if (n && is(w, rec, K_CA_DECISION) && rec->t == n->t0 && (uint32_t)v[1].i == n->a) {
        decision_text(w, rec, buf, sizeof buf);
        line(w, rec->t, "autoscaler", buf);
    } else if (rec->kind == SIM_TR_NODE_ADD && v[0].i == g->id) {
        linef(w, rec->t, "cloud", "added to group %s%s", name_of(&w->groups, v[1].i), rec->t ? "" : " (at the start)");
    } else if (rec->kind == SIM_TR_NODE_READY && v[0].i == g->id) {
        line(w, rec->t, "kubelet", "Ready");
    } else if (rec->kind == SIM_TR_NODE_STATE && v[0].i == g->id) {
        line(w, rec->t, "node-lifecycle", v[1].i ? "Ready again" : "NotReady");
    } else if (rec->kind == SIM_TR_NODE_CORDON && v[0].i == g->id) {
        line(w, rec->t, "node-lifecycle", v[1].i ? "cordoned" : "uncordoned");
    } else if (rec->kind == SIM_TR_NODE_REMOVE && v[0].i == g->id) {
        line(w, rec->t, "cloud", "removed");
    } else if (is(w, rec, K_CA_DOWN) && v[0].i == g->id) {
        linef(w, rec->t, "autoscaler", "scale-down: %s", v[1].s);
    } else if (rec->kind == SIM_TR_POD_BIND && v[1].i == g->id) {
        linef(w, rec->t, "scheduler", "pod of %s bound", wl);
    } else if (rec->kind == SIM_TR_POD_PREEMPT && v[2].i == g->id) {
        linef(w, rec->t, "scheduler", "%s preempted for %s", p ? p->name : "?", name_of(&w->pods, v[1].i));
    } else if (here && rec->kind == SIM_TR_POD_EVICT) {
        linef(w, rec->t, "eviction", "pod of %s evicted (%s)", wl, v[1].s);
    } else if (here && rec->kind == SIM_TR_POD_END) {
        linef(w, rec->t, "kubelet", "pod of %s %s", wl, v[1].i ? "failed" : "succeeded");
    } else if (n && is(w, rec, K_FAULT)) {
        fault_line(w, rec, n->name);
    }
}

/* ---- services: windows over the p95 target -------------------------------------- */
typedef struct WinScan {
    const char *service;
    SimTime *open_from;              /* per service entry: the window's start, -1 none */
    SimTime *last_over;
    int64_t *worst;
} WinScan;

static void win_close(Why *w, WinScan *s, size_t i)
{
    if (s->open_from[i] < 0)
        return;
    if (sim_mem_grow(w->m, (void **)&w->win, &w->capwin, w->nwin + 1, sizeof *w->win) != SIM_OK) {
        w->oom = 1;
        return;
    }
    WWindow *x = &w->win[w->nwin++];
    memset(x, 0, sizeof *x);
    x->svc = (uint32_t)i;
    x->from = s->open_from[i];
    x->to = s->last_over[i];
    x->worst_us = s->worst[i];
    s->open_from[i] = -1;
}

/* Pass: the traffic samples of the service; a sample at t covers the
 * sample period before t, and consecutive samples over the target make one window. */
static void windows(Why *w, const SimTraceRec *rec, void *ctx)
{
    WinScan *s = ctx;
    if (!is(w, rec, K_TRAFFIC) || strcmp(rec->v[0].s, s->service) != 0)
        return;
    for (size_t i = 0; i < w->nsvc; i++) {
        if (strcmp(w->svc[i].name, s->service) != 0 || w->svc[i].region != (uint32_t)rec->v[1].i)
            continue;
        int64_t p95 = rec->v[3].i;
        int over = w->svc[i].slo_us > 0 && p95 > w->svc[i].slo_us;
        if (over && s->open_from[i] < 0) {
            s->open_from[i] = rec->t >= w->sample ? rec->t - w->sample : 0;
            s->worst[i] = 0;
        }
        if (over) {
            s->last_over[i] = rec->t;
            s->worst[i] = p95 > s->worst[i] ? p95 : s->worst[i];
        } else {
            win_close(w, s, i);
        }
    }
}

/* The windows (of any of the service's regions) that rec's time falls in,
 * widened by the lookback before each. */
static int in_window(const Why *w, SimTime t)
{
    for (size_t i = 0; i < w->nwin; i++)
        if (t >= w->win[i].from - WHY_LOOKBACK && t <= w->win[i].to)
            return 1;
    return 0;
}

/* Causes the headline of each window names, noted as the records pass. */
typedef struct WCause {
    uint32_t max_waiting;
    char hpa[WHY_TEXT];              /* the HPA's last limiting sync before the window ends */
    char dec[WHY_TEXT];              /* the last scale-up during it */
    int down;                        /* the region's outage overlaps it */
} WCause;

static void note_causes(Why *w, Target *g, const SimTraceRec *rec, WCause *c)
{
    for (size_t i = 0; i < w->nwin; i++) {
        const WWindow *x = &w->win[i];
        const WService *s = &w->svc[x->svc];
        WCause *k = &c[i];
        if (rec->t > x->to)
            continue;
        int inside = rec->t >= x->from;
        if (inside && g->waiting > k->max_waiting)
            k->max_waiting = g->waiting;
        if (is(w, rec, K_HPA_SYNC) && (uint32_t)rec->v[1].i == s->wl)
            snprintf(k->hpa, sizeof k->hpa, "%s", strcmp(rec->v[4].s, "none") && strcmp(rec->v[4].s, "tolerance")
                                                      ? rec->v[0].s : "");
        if (k->hpa[0] && is(w, rec, K_HPA_SYNC) && (uint32_t)rec->v[1].i == s->wl) {
            char t[WHY_TEXT];
            snprintf(t, sizeof t, "HPA %s limited by %s%s%s%s (desired %" PRId64 ")", rec->v[0].s, rec->v[4].s,
                     rec->v[5].s[0] ? " (" : "", rec->v[5].s, rec->v[5].s[0] ? ")" : "", rec->v[3].i);
            memcpy(k->hpa, t, sizeof t);
        }
        if (inside && g->waiting && is(w, rec, K_CA_DECISION) && (uint32_t)rec->v[0].i == s->region)
            snprintf(k->dec, sizeof k->dec, "+%" PRId64 " %s", rec->v[2].i, name_of(&w->groups, rec->v[1].i));
        if (is(w, rec, K_FAULT) && strcmp(rec->v[0].s, "region_outage") == 0 &&
            strcmp(rec->v[1].s, name_of(&w->regions, s->region)) == 0)
            k->down = strcmp(rec->v[2].s, "start") == 0 ? 1 : (inside ? 2 : 0);
    }
}

static void gather_service(Why *w, Target *g, const SimTraceRec *rec)
{
    if (!in_window(w, rec->t))
        return;
    char buf[WHY_TEXT];
    const char *comp = pod_text(w, rec, buf, sizeof buf);
    if (comp && pod_of(w, g, rec->v[0].i)) {
        const WName *p = tab_get(&w->pods, rec->v[0].i);
        linef(w, rec->t, comp, "pod of %s %s", name_of(&w->wls, p->a),
              rec->kind == SIM_TR_POD_CREATE ? "created" : buf);
        return;
    }
    if (is(w, rec, K_CA_DECISION) && g->waiting && region_watched(w, g, (uint32_t)rec->v[0].i)) {
        decision_text(w, rec, buf, sizeof buf);
        line(w, rec->t, "autoscaler", buf);
        return;
    }
    for (size_t i = 0; i < w->nsvc; i++)
        if (strcmp(w->svc[i].name, g->name) == 0) {
            if (rec->kind != SIM_TR_WORKLOAD)
                wl_record(w, rec, w->svc[i].wl);
            if (is(w, rec, K_FAULT))
                fault_line(w, rec, name_of(&w->regions, w->svc[i].region));
        }
}

/* ---- headlines ------------------------------------------------------------------- */
static void pod_headline(Why *w, const Target *g, SimTime at, char *out, size_t n)
{
    const WName *p = tab_get(&w->pods, g->id);
    char t0[32], t1[32], span[32];
    int bound = p->t1 >= 0 && p->t1 <= at;
    SimTime until = bound ? p->t1 : (p->t2 >= 0 && p->t2 <= at ? p->t2 : at);
    fmt_span(until - p->t0, span, sizeof span);
    fmt_time(w, p->t0, t0, sizeof t0);
    if (!bound && g->last_reason[0]) {
        int gone = p->t2 >= 0 && p->t2 <= at;
        snprintf(out, n, "%s %s without a node since %s: %.480s%s%.480s", gone ? "waited" : "pending,", span, t0, g->last_reason,
                 g->ca_reason[0] ? " The autoscaler: " : "", g->ca_reason);
        return;
    }
    if (!bound) {
        snprintf(out, n, "created %s, not bound%s", t0, p->t2 >= 0 && p->t2 <= at ? " before it ended" : " yet");
        return;
    }
    const WName *node = tab_get(&w->nodes, p->b);
    fmt_time(w, p->t1, t1, sizeof t1);
    if (p->t1 - p->t0 < SIM_SEC(1)) {
        snprintf(out, n, "bound to node %s at once (%s)", node ? node->name : "?", t1);
        return;
    }
    if (g->dec_t >= 0 && node && node->t0 >= p->t0) {
        char td[32], tr[32];
        fmt_time(w, g->dec_t, td, sizeof td);
        fmt_time(w, node->t1, tr, sizeof tr);
        snprintf(out, n, "waited %s for a node: unschedulable until the autoscaler scaled up %s at %s; bound to the "
                 "new node %s at %s (Ready %s)", span, g->dec, td, node->name, t1, tr);
    } else if (g->preempted) {
        snprintf(out, n, "waited %s: preempted %u pod(s) on node %s, bound at %s", span, g->preempted,
                 node ? node->name : "?", t1);
    } else {
        snprintf(out, n, "waited %s for room: unschedulable (%s) until node %s had room at %s", span,
                 g->last_reason[0] ? g->last_reason : "no reason traced", node ? node->name : "?", t1);
    }
}

static void workload_headline(Why *w, const Target *g, SimTime at, char *out, size_t n)
{
    uint32_t pods = 0, waited = 0;
    SimTime total = 0, longest = 0;
    const char *who = NULL;
    for (size_t i = 0; i < w->pods.n; i++) {
        const WName *p = tab_get(&w->pods, (int64_t)i);
        if (p == NULL || p->a != g->id || p->t0 > at)
            continue;
        pods++;
        SimTime end = p->t1 >= 0 && p->t1 <= at ? p->t1 : (p->t2 >= 0 && p->t2 <= at ? p->t2 : at);
        SimTime d = end - p->t0;
        if (d < SIM_SEC(1))
            continue;
        waited++;
        total += d;
        if (d > longest) {
            longest = d;
            who = p->name;
        }
    }
    char a[32], b[32];
    fmt_span(total, a, sizeof a);
    fmt_span(longest, b, sizeof b);
    if (waited)
        snprintf(out, n, "%u pods, %u of them waited for a node: %s pod-time pending in all, longest %s (%s)", pods,
                 waited, a, b, who);
    else
        snprintf(out, n, "%u pods, none waited for a node", pods);
}

static void node_headline(Why *w, const Target *g, SimTime at, char *out, size_t n)
{
    const WName *x = tab_get(&w->nodes, g->id);
    char a[32], r[64] = "never Ready", e[64] = "still up at the end";
    fmt_time(w, x->t0, a, sizeof a);
    if (x->t1 >= 0 && x->t1 <= at) {
        char s[32];
        fmt_span(x->t1 - x->t0, s, sizeof s);
        snprintf(r, sizeof r, "Ready after %s", s);
    }
    if (x->t2 >= 0 && x->t2 <= at) {
        char s[32];
        fmt_time(w, x->t2, s, sizeof s);
        snprintf(e, sizeof e, "removed at %s", s);
    }
    snprintf(out, n, "node of group %s, added at %s%s, %s, %s", name_of(&w->groups, x->a), a,
             x->t0 == 0 ? " (at the start)" : "", r, e);
}

/* A window's headline, from the causes noted. */
static void window_headline(Why *w, WWindow *x, const WCause *c)
{
    const WService *s = &w->svc[x->svc];
    char from[32], to[32], causes[WHY_TEXT * 2] = "";
    size_t used = 0;
    fmt_time(w, x->from, from, sizeof from);
    fmt_time(w, x->to, to, sizeof to);
#define CAUSE(...) (used += (size_t)snprintf(causes + used, used < sizeof causes ? sizeof causes - used : 0, \
                                             used ? "; " : ""), \
                    used += (size_t)snprintf(causes + used, used < sizeof causes ? sizeof causes - used : 0, __VA_ARGS__))
    if (c->down)
        CAUSE("region %s down", name_of(&w->regions, s->region));
    if (c->hpa[0])
        CAUSE("%s", c->hpa);
    if (c->max_waiting)
        CAUSE("up to %u pods pending for nodes%s%s%s", c->max_waiting, c->dec[0] ? " (autoscaler " : "", c->dec,
              c->dec[0] ? ")" : "");
    else if (c->dec[0])
        CAUSE("autoscaler %s", c->dec);
    if (used == 0)
        CAUSE("load above what its Ready pods serve");
#undef CAUSE
    if (snprintf(x->headline, sizeof x->headline, "%s over its SLO in %s %s-%s (p95 up to %.0f ms, target %.0f ms): %s",
                 s->name, name_of(&w->regions, s->region), from, to, (double)x->worst_us / 1e3,
                 (double)s->slo_us / 1e3, causes) >= (int)sizeof x->headline)
        memcpy(x->headline + sizeof x->headline - 4, "...", 4);   /* cut: say so */
}

/* ---- names ----------------------------------------------------------------------- */

typedef struct Near {
    const char *name[WHY_NEAREST];
    size_t d[WHY_NEAREST], n;
} Near;

static void near_add(Near *k, const char *want, const char *name)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->name[i], name) == 0)
            return;
    size_t d = sim_edit_distance(want, name), i = k->n;
    while (i > 0 && (d < k->d[i - 1] || (d == k->d[i - 1] && strcmp(name, k->name[i - 1]) < 0)))
        i--;
    if (i >= WHY_NEAREST)
        return;
    size_t last = k->n < WHY_NEAREST ? k->n : WHY_NEAREST - 1;
    memmove(&k->name[i + 1], &k->name[i], (last - i) * sizeof k->name[0]);
    memmove(&k->d[i + 1], &k->d[i], (last - i) * sizeof k->d[0]);
    k->name[i] = name;
    k->d[i] = d;
    if (k->n < WHY_NEAREST)
        k->n++;
}

static const char *const kind_word[] = {"pod", "workload", "node", "service"};

/* The object's id (services: 0 when the service exists), or an error naming the nearest names. */
static int resolve(Why *w, const RndWhyReq *q, uint32_t *id, SimErr *err)
{
    const WTab *t = q->kind == RND_WHY_POD ? &w->pods : q->kind == RND_WHY_WORKLOAD ? &w->wls : &w->nodes;
    Near k = {.n = 0};
    if (q->kind == RND_WHY_SERVICE) {
        for (size_t i = 0; i < w->nsvc; i++) {
            if (strcmp(w->svc[i].name, q->name) == 0) {
                *id = 0;
                return SIM_OK;
            }
            near_add(&k, q->name, w->svc[i].name);
        }
    } else {
        for (size_t i = 0; i < t->n; i++) {
            if (t->v[i].name == NULL)
                continue;
            if (strcmp(t->v[i].name, q->name) == 0) {
                *id = (uint32_t)i;
                return SIM_OK;
            }
            near_add(&k, q->name, t->v[i].name);
        }
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < k.n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", k.name[i]);
    if (k.n == 0)
        return sim_err_set(err, SIM_EINVAL, "%s: the run has no %s named '%s' (it has none at all)", w->path,
                           kind_word[q->kind], q->name);
    return sim_err_set(err, SIM_EINVAL, "%s: the run has no %s named '%s'; nearest: %s", w->path, kind_word[q->kind],
                       q->name, list);
}

/* ---- the run --------------------------------------------------------------------- */
typedef struct Pass2 {
    Target *g;
    WCause *causes;
} Pass2;

static void gather(Why *w, const SimTraceRec *rec, void *ctx)
{
    Pass2 *p = ctx;
    Target *g = p->g;
    switch (g->kind) {
    case RND_WHY_POD: gather_pod(w, g, rec); break;
    case RND_WHY_WORKLOAD: gather_workload(w, g, rec, g->id); break;
    case RND_WHY_NODE: gather_node(w, g, rec); break;
    case RND_WHY_SERVICE:
        gather_service(w, g, rec);
        note_causes(w, g, rec, p->causes);
        break;
    }
    if (rec->kind == SIM_TR_POD_UNSCHEDULABLE || rec->kind == SIM_TR_POD_BIND || rec->kind == SIM_TR_POD_END ||
        rec->kind == SIM_TR_POD_DELETE)
        track(w, g, rec);
}

static int line_cmp(const void *a, const void *b)
{
    const WLine *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int open_meta(Why *w, SimErr *err)
{
    SimTraceReader *r = sim_trace_open(w->m, w->schema, w->path, err);
    if (r == NULL)
        return err && err->code ? err->code : SIM_EIO;
    cJSON *j = cJSON_Parse(sim_trace_meta(r));
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "duration_ns");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sample_every_ns");
    w->duration = cJSON_IsNumber(d) ? (SimTime)d->valuedouble : 0;
    w->sample = cJSON_IsNumber(s) ? (SimTime)s->valuedouble : SIM_SEC(60);
    rnd_clock_read(&w->clock, j);
    cJSON_Delete(j);
    sim_trace_close_reader(r);
    for (int k = 0; k < K_COUNT; k++)
        w->k[k] = sim_trschema_find(w->schema, kind_names[k]);
    return SIM_OK;
}

static void why_free(Why *w)
{
    tab_free(w, &w->regions);
    tab_free(w, &w->groups);
    tab_free(w, &w->ns);
    tab_free(w, &w->wls);
    tab_free(w, &w->nodes);
    tab_free(w, &w->pods);
    for (size_t i = 0; i < w->nsvc; i++)
        sim_mem_free(w->m, w->svc[i].name, strlen(w->svc[i].name) + 1);
    sim_mem_free(w->m, w->svc, w->capsvc * sizeof *w->svc);
    for (size_t i = 0; i < w->nlines; i++)
        sim_mem_free(w->m, w->lines[i].text, strlen(w->lines[i].text) + 1);
    sim_mem_free(w->m, w->lines, w->caplines * sizeof *w->lines);
    sim_mem_free(w->m, w->win, w->capwin * sizeof *w->win);
}

/* Service: its windows over the target (pass), then their lines and causes (pass). */
static int service_windows(Why *w, SimTime at, SimErr *err, const char *name)
{
    WinScan s = {.service = name};
    size_t n = w->nsvc ? w->nsvc : 1;
    s.open_from = sim_mem_alloc(w->m, n * sizeof *s.open_from);
    s.last_over = sim_mem_alloc(w->m, n * sizeof *s.last_over);
    s.worst = sim_mem_alloc(w->m, n * sizeof *s.worst);
    int rc = s.open_from && s.last_over && s.worst ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SIM_OK && i < w->nsvc; i++)
        s.open_from[i] = s.last_over[i] = -1;
    if (rc == SIM_OK)
        rc = each(w, at, windows, &s, err);
    for (size_t i = 0; rc == SIM_OK && i < w->nsvc; i++)
        win_close(w, &s, i);
    sim_mem_free(w->m, s.open_from, n * sizeof *s.open_from);
    sim_mem_free(w->m, s.last_over, n * sizeof *s.last_over);
    sim_mem_free(w->m, s.worst, n * sizeof *s.worst);
    return rc == SIM_OK && w->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory") : rc;
}

static void title(const Why *w, const RndWhyReq *q, uint32_t id, char *out, size_t n)
{
    const WName *x;
    switch (q->kind) {
    case RND_WHY_POD:
        x = tab_get(&w->wls, w->pods.v[id].a);
        snprintf(out, n, "pod %s (%s %s, namespace %s, region %s)", q->name, x && x->c < 6 ? wl_kinds[x->c] : "workload",
                 x ? x->name : "?", x ? name_of(&w->ns, x->b) : "?", name_of(&w->regions, w->pods.v[id].c));
        break;
    case RND_WHY_WORKLOAD:
        x = &w->wls.v[id];
        snprintf(out, n, "workload %s (%s, namespace %s, region %s)", q->name, x->c < 6 ? wl_kinds[x->c] : "?",
                 name_of(&w->ns, x->b), name_of(&w->regions, x->a));
        break;
    case RND_WHY_NODE:
        x = tab_get(&w->groups, w->nodes.v[id].a);
        snprintf(out, n, "node %s (group %s, region %s)", q->name, x ? x->name : "?",
                 x ? name_of(&w->regions, x->a) : "?");
        break;
    case RND_WHY_SERVICE: {
        size_t used = (size_t)snprintf(out, n, "service %s (served by", q->name);
        for (size_t i = 0; i < w->nsvc && used < n; i++)
            if (strcmp(w->svc[i].name, q->name) == 0)
                used += (size_t)snprintf(out + used, n - used, " %s in %s,", name_of(&w->wls, w->svc[i].wl),
                                         name_of(&w->regions, w->svc[i].region));
        if (used < n && used > 0 && out[used - 1] == ',')
            out[used - 1] = ')';
        break;
    }
    }
}

static int print_text(const Why *w, const char *head, const char *headline, FILE *out)
{
    fprintf(out, "%s\n", head);
    if (headline[0])
        fprintf(out, "%s\n", headline);
    for (size_t i = 0; i < w->nwin; i++)
        fprintf(out, "%s\n", w->win[i].headline);
    for (size_t i = 0; i < w->nlines; i++) {
        char t[32];
        fmt_time(w, w->lines[i].t, t, sizeof t);
        fprintf(out, "  %-9s %-14s %s", t, w->lines[i].comp, w->lines[i].text);
        if (w->lines[i].count > 1)
            fprintf(out, " (x%u)", w->lines[i].count);
        fputc('\n', out);
    }
    return SIM_OK;
}

static int print_json(const Why *w, const RndWhyReq *q, const char *head, const char *headline, SimTime at,
                      FILE *out)
{
    cJSON *o = cJSON_CreateObject(), *tl, *ws;
    if (o == NULL)
        return SIM_ENOMEM;
    cJSON_AddStringToObject(o, "kind", kind_word[q->kind]);
    cJSON_AddStringToObject(o, "name", q->name);
    cJSON_AddStringToObject(o, "title", head);
    if (at < w->duration)
        cJSON_AddNumberToObject(o, "at_seconds", (double)(at / SIM_NS_PER_S));
    cJSON_AddStringToObject(o, "headline", headline);
    if (q->kind == RND_WHY_SERVICE && (ws = cJSON_AddArrayToObject(o, "windows")) != NULL)
        for (size_t i = 0; i < w->nwin; i++) {
            const WWindow *x = &w->win[i];
            cJSON *e = cJSON_CreateObject();
            char a[32], b[32];
            fmt_time(w, x->from, a, sizeof a);
            fmt_time(w, x->to, b, sizeof b);
            cJSON_AddStringToObject(e, "region", name_of(&w->regions, w->svc[x->svc].region));
            cJSON_AddNumberToObject(e, "from_seconds", (double)(x->from / SIM_NS_PER_S));
            cJSON_AddNumberToObject(e, "to_seconds", (double)(x->to / SIM_NS_PER_S));
            cJSON_AddStringToObject(e, "from", a);
            cJSON_AddStringToObject(e, "to", b);
            cJSON_AddNumberToObject(e, "worst_p95_ms", (double)x->worst_us / 1e3);
            cJSON_AddNumberToObject(e, "target_ms", (double)w->svc[x->svc].slo_us / 1e3);
            cJSON_AddStringToObject(e, "headline", x->headline);
            cJSON_AddItemToArray(ws, e);
        }
    if ((tl = cJSON_AddArrayToObject(o, "timeline")) != NULL)
        for (size_t i = 0; i < w->nlines; i++) {
            cJSON *e = cJSON_CreateObject();
            char t[32];
            fmt_time(w, w->lines[i].t, t, sizeof t);
            cJSON_AddNumberToObject(e, "t_seconds", (double)w->lines[i].t / 1e9);
            cJSON_AddStringToObject(e, "time", t);
            cJSON_AddStringToObject(e, "component", w->lines[i].comp);
            cJSON_AddStringToObject(e, "text", w->lines[i].text);
            cJSON_AddNumberToObject(e, "count", w->lines[i].count);
            cJSON_AddItemToArray(tl, e);
        }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (s == NULL)
        return SIM_ENOMEM;
    fprintf(out, "%s\n", s);
    cJSON_free(s);
    return SIM_OK;
}

static int win_cmp(const void *a, const void *b)
{
    const WWindow *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->svc < y->svc ? -1 : x->svc > y->svc;
}

static int explain(Why *w, const RndWhyReq *q, SimTime at, uint32_t id, FILE *out, SimErr *err)
{
    Target g = {.kind = q->kind, .id = id, .name = q->name, .dec_t = -1, .down_from = -1};
    g.npods = w->pods.n;
    g.unsched = sim_mem_calloc(w->m, g.npods + 1, 1);
    g.on = sim_mem_alloc(w->m, (g.npods + 1) * sizeof *g.on);
    WCause *causes = NULL;
    int rc = g.unsched && g.on ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SIM_OK && i < g.npods; i++)
        g.on[i] = WHY_NONE;
    if (rc == SIM_OK && q->kind == RND_WHY_POD)
        g.region = w->pods.v[id].c;
    if (rc == SIM_OK && q->kind == RND_WHY_SERVICE && (rc = service_windows(w, at, err, q->name)) == SIM_OK) {
        if (w->nwin > 0)   /* qsort's pointer must not be NULL, even for 0 items */
            qsort(w->win, w->nwin, sizeof *w->win, win_cmp);
        if (w->nwin && (causes = sim_mem_calloc(w->m, w->nwin, sizeof *causes)) == NULL)
            rc = sim_err_set(err, SIM_ENOMEM, "out of memory");
    }
    Pass2 p = {&g, causes};
    /* The report's service with no window over its target (out NULL): the
     * pass would add no line and no cause (every record is outside every
     * window), and nothing prints the rest; one read of the trace less. */
    int quiet = q->kind == RND_WHY_SERVICE && out == NULL && w->nwin == 0;
    if (rc == SIM_OK && !quiet)
        rc = each(w, at, gather, &p, err);
    char head[WHY_TEXT], headline[WHY_TEXT * 2] = "";
    if (rc == SIM_OK) {
        if (w->nlines > 0)
            qsort(w->lines, w->nlines, sizeof *w->lines, line_cmp);
        title(w, q, id, head, sizeof head);
        if (q->kind == RND_WHY_POD)
            pod_headline(w, &g, at, headline, sizeof headline);
        else if (q->kind == RND_WHY_WORKLOAD)
            workload_headline(w, &g, at, headline, sizeof headline);
        else if (q->kind == RND_WHY_NODE)
            node_headline(w, &g, at, headline, sizeof headline);
        else if (w->nwin == 0)
            snprintf(headline, sizeof headline, "%s met its p95 target in every region%s", q->name,
                     at < w->duration ? " up to then" : "");
        else
            snprintf(headline, sizeof headline, "%s was over its SLO %zu time(s):", q->name, w->nwin);
        for (size_t i = 0; i < w->nwin; i++) {
            window_headline(w, &w->win[i], &causes[i]);
            size_t n0 = w->nlines;
            line(w, w->win[i].from, "traffic", w->win[i].headline);
            if (w->nlines > n0)
                w->lines[n0].seq = i;   /* first among the lines of its instant */
        }
        if (w->nlines > 0)
            qsort(w->lines, w->nlines, sizeof *w->lines, line_cmp);
        if (out)
            rc = q->json ? print_json(w, q, head, headline, at, out) : print_text(w, head, headline, out);
        if (rc != SIM_OK)
            sim_err_set(err, rc, "out of memory");
    }
    sim_mem_free(w->m, causes, w->nwin * sizeof *causes);
    sim_mem_free(w->m, g.unsched, g.npods + 1);
    sim_mem_free(w->m, g.on, (g.npods + 1) * sizeof *g.on);
    return rc;
}

int rnd_why(SimMem *m, const SimTrSchema *schema, const char *trace_path, const RndWhyReq *q, FILE *out, SimErr *err)
{
    Why w = {.m = m, .schema = schema, .path = trace_path};
    int rc = open_meta(&w, err);
    if (rc == SIM_OK)
        rc = each(&w, SIM_TIME_MAX, learn, NULL, err);
    if (rc == SIM_OK && w.duration <= 0)
        w.duration = 0;
    SimTime at = w.duration;
    if (rc == SIM_OK && q->at)
        rc = rnd_time_at(&w.clock, w.duration, q->at, &at, err);
    uint32_t id = 0;
    if (rc == SIM_OK)
        rc = resolve(&w, q, &id, err);
    if (rc == SIM_OK)
        rc = explain(&w, q, at, id, out, err);
    why_free(&w);
    return rc;
}

/* ---- the report's "Why pods waited" (rnd_why_report) ----------------------------- */
typedef struct WaitReason {
    char *text;
    double seconds;
    uint32_t waits;
} WaitReason;

typedef struct Waits {
    SimTime *since;                  /* per pod: unschedulable since, -1 */
    int32_t *msg;                    /* per pod: index of its current message in msgs */
    char **msgs;
    size_t nmsgs, capmsgs;
    WaitReason *r;
    size_t nr, capr;
    double *wl_seconds;              /* per workload */
    uint32_t *wl_pods;               /* per workload: pods that waited */
    SimTime *wl_longest;
    uint8_t *waited;                 /* per pod: counted in wl_pods */
} Waits;

static int32_t msg_index(Why *w, Waits *x, const char *text)
{
    for (size_t i = x->nmsgs; i-- > 0;)
        if (strcmp(x->msgs[i], text) == 0)
            return (int32_t)i;
    if (sim_mem_grow(w->m, (void **)&x->msgs, &x->capmsgs, x->nmsgs + 1, sizeof *x->msgs) != SIM_OK ||
        (x->msgs[x->nmsgs] = sim_mem_strdup(w->m, text)) == NULL) {
        w->oom = 1;
        return -1;
    }
    return (int32_t)x->nmsgs++;
}

static void reason_add(Why *w, Waits *x, const char *item, size_t len, double sec)
{
    for (size_t i = 0; i < x->nr; i++)
        if (strlen(x->r[i].text) == len && strncmp(x->r[i].text, item, len) == 0) {
            x->r[i].seconds += sec;
            x->r[i].waits++;
            return;
        }
    if (sim_mem_grow(w->m, (void **)&x->r, &x->capr, x->nr + 1, sizeof *x->r) != SIM_OK ||
        (x->r[x->nr].text = sim_mem_alloc(w->m, len + 1)) == NULL) {
        w->oom = 1;
        return;
    }
    memcpy(x->r[x->nr].text, item, len);
    x->r[x->nr].text[len] = '\0';
    x->r[x->nr].seconds = sec;
    x->r[x->nr++].waits = 1;
}

/* A wait of sec seconds under message text: counted once under each reason
 * it lists ("0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had
 * untolerated taint {...}." -> "Insufficient cpu", "node(s) had ..."). */
static void wait_add(Why *w, Waits *x, const char *text, double sec)
{
    const char *p = strstr(text, "available: ");
    if (p == NULL) {
        reason_add(w, x, text, strlen(text), sec);
        return;
    }
    p += strlen("available: ");
    while (*p) {
        while (*p >= '0' && *p <= '9')
            p++;
        while (*p == ' ')
            p++;
        size_t n = 0;
        int depth = 0;   /* a taint's {k: v} may hold ", " */
        while (p[n] && !(depth == 0 && (strncmp(p + n, ", ", 2) == 0 || strcmp(p + n, ".") == 0 ||
                                        strncmp(p + n, ". ", 2) == 0))) {
            depth += p[n] == '{' ? 1 : p[n] == '}' ? -1 : 0;
            n++;
        }
        if (n)
            reason_add(w, x, p, n, sec);
        p += n;
        if (*p == '.')
            break;
        if (*p)
            p += 2;
    }
}

static void wait_close(Why *w, Waits *x, int64_t pod, SimTime t)
{
    if (x->since[pod] < 0)
        return;
    double sec = (double)(t - x->since[pod]) / 1e9;
    const WName *p = tab_get(&w->pods, pod);
    if (x->msg[pod] >= 0)
        wait_add(w, x, x->msgs[x->msg[pod]], sec);
    if (p && p->a < w->wls.n) {
        x->wl_seconds[p->a] += sec;
        x->wl_pods[p->a] += !x->waited[pod];
        x->waited[pod] = 1;
        SimTime total = t - p->t0;
        if (total > x->wl_longest[p->a])
            x->wl_longest[p->a] = total;
    }
    x->since[pod] = -1;
}

static void waits_rec(Why *w, const SimTraceRec *rec, void *ctx)
{
    Waits *x = ctx;
    int64_t pod = rec->v[0].i;
    if (pod < 0 || (size_t)pod >= w->pods.n)
        return;
    switch (rec->kind) {
    case SIM_TR_POD_UNSCHEDULABLE:
    case SIM_TR_POD_SCHED_FAIL:
        wait_close(w, x, pod, rec->t);
        x->since[pod] = rec->t;
        x->msg[pod] = msg_index(w, x, rec->v[rec->n - 1].s);
        break;
    case SIM_TR_POD_BIND:
    case SIM_TR_POD_END:
    case SIM_TR_POD_DELETE: wait_close(w, x, pod, rec->t); break;
    default: break;
    }
}

static int by_seconds(const void *a, const void *b)
{
    const WaitReason *x = a, *y = b;
    if (x->seconds != y->seconds)
        return x->seconds > y->seconds ? -1 : 1;
    return strcmp(x->text, y->text);
}

typedef struct WlRank {
    uint32_t wl;
    double seconds;
} WlRank;

static int by_wl_seconds(const void *a, const void *b)
{
    const WlRank *x = a, *y = b;
    if (x->seconds != y->seconds)
        return x->seconds > y->seconds ? -1 : 1;
    return x->wl < y->wl ? -1 : x->wl > y->wl;
}

#define WHY_TOP 10

static void waits_json(Why *w, Waits *x, cJSON *o)
{
    if (x->nr > 0)   /* qsort's pointer must not be NULL, even for 0 items */
        qsort(x->r, x->nr, sizeof *x->r, by_seconds);
    cJSON *a = cJSON_AddArrayToObject(o, "pending_by_reason");
    for (size_t i = 0; a && i < x->nr; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "reason", x->r[i].text);
        cJSON_AddNumberToObject(e, "pod_seconds", x->r[i].seconds);
        cJSON_AddNumberToObject(e, "waits", x->r[i].waits);
        cJSON_AddItemToArray(a, e);
    }
    WlRank *rk = sim_mem_alloc(w->m, (w->wls.n + 1) * sizeof *rk);
    size_t n = 0;
    for (size_t i = 0; rk && i < w->wls.n; i++)
        if (x->wl_seconds[i] > 0)
            rk[n++] = (WlRank){(uint32_t)i, x->wl_seconds[i]};
    if (rk)
        qsort(rk, n, sizeof *rk, by_wl_seconds);
    cJSON *t = cJSON_AddArrayToObject(o, "top_workloads");
    for (size_t i = 0; rk && t && i < n && i < WHY_TOP; i++) {
        const WName *wl = &w->wls.v[rk[i].wl];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "workload", wl->name ? wl->name : "?");
        cJSON_AddStringToObject(e, "namespace", name_of(&w->ns, wl->b));
        cJSON_AddStringToObject(e, "region", name_of(&w->regions, wl->a));
        cJSON_AddNumberToObject(e, "pod_seconds", rk[i].seconds);
        cJSON_AddNumberToObject(e, "pods", x->wl_pods[rk[i].wl]);
        cJSON_AddNumberToObject(e, "longest_seconds", (double)(x->wl_longest[rk[i].wl] / SIM_NS_PER_S));
        cJSON_AddItemToArray(t, e);
    }
    if (rk)
        sim_mem_free(w->m, rk, (w->wls.n + 1) * sizeof *rk);
    else
        w->oom = 1;
}

static void waits_free(Why *w, Waits *x)
{
    size_t np = w->pods.n + 1, nw = w->wls.n + 1;
    sim_mem_free(w->m, x->since, np * sizeof *x->since);
    sim_mem_free(w->m, x->msg, np * sizeof *x->msg);
    sim_mem_free(w->m, x->waited, np);
    sim_mem_free(w->m, x->wl_seconds, nw * sizeof *x->wl_seconds);
    sim_mem_free(w->m, x->wl_pods, nw * sizeof *x->wl_pods);
    sim_mem_free(w->m, x->wl_longest, nw * sizeof *x->wl_longest);
    for (size_t i = 0; i < x->nmsgs; i++)
        sim_mem_free(w->m, x->msgs[i], strlen(x->msgs[i]) + 1);
    sim_mem_free(w->m, x->msgs, x->capmsgs * sizeof *x->msgs);
    for (size_t i = 0; i < x->nr; i++)
        sim_mem_free(w->m, x->r[i].text, strlen(x->r[i].text) + 1);
    sim_mem_free(w->m, x->r, x->capr * sizeof *x->r);
}

static int waits(Why *w, cJSON *o, SimErr *err)
{
    Waits x;
    memset(&x, 0, sizeof x);
    size_t np = w->pods.n + 1, nw = w->wls.n + 1;
    x.since = sim_mem_alloc(w->m, np * sizeof *x.since);
    x.msg = sim_mem_alloc(w->m, np * sizeof *x.msg);
    x.waited = sim_mem_calloc(w->m, np, 1);
    x.wl_seconds = sim_mem_calloc(w->m, nw, sizeof *x.wl_seconds);
    x.wl_pods = sim_mem_calloc(w->m, nw, sizeof *x.wl_pods);
    x.wl_longest = sim_mem_calloc(w->m, nw, sizeof *x.wl_longest);
    int rc = x.since && x.msg && x.waited && x.wl_seconds && x.wl_pods && x.wl_longest
                 ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SIM_OK && i < np; i++) {
        x.since[i] = -1;
        x.msg[i] = -1;
    }
    /* Without a wait the pass would change nothing (every since[] stays -1):
     * one read of the trace less for a run where no pod waited. */
    if (rc == SIM_OK && w->nwaits > 0)
        rc = each(w, SIM_TIME_MAX, waits_rec, &x, err);
    for (size_t i = 0; rc == SIM_OK && i < w->pods.n; i++)
        wait_close(w, &x, (int64_t)i, w->duration);   /* still waiting at the end */
    if (rc == SIM_OK)
        waits_json(w, &x, o);
    waits_free(w, &x);
    return rc == SIM_OK && w->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory") : rc;
}

/* Every service's windows over its target with their headlines. */
static int slo_windows(Why *w, cJSON *o, SimErr *err)
{
    cJSON *a = cJSON_AddArrayToObject(o, "slo_windows");
    int rc = a ? SIM_OK : SIM_ENOMEM;
    for (size_t i = 0; rc == SIM_OK && i < w->nsvc; i++) {
        size_t k = 0;
        while (k < i && strcmp(w->svc[k].name, w->svc[i].name) != 0)
            k++;
        if (k < i)
            continue;   /* done with its first entry */
        for (size_t j = 0; j < w->nlines; j++)
            sim_mem_free(w->m, w->lines[j].text, strlen(w->lines[j].text) + 1);
        w->nlines = w->nwin = 0;
        RndWhyReq q = {.kind = RND_WHY_SERVICE, .name = w->svc[i].name, .at = NULL, .json = 0};
        rc = explain(w, &q, w->duration, 0, NULL, err);
        for (size_t j = 0; rc == SIM_OK && j < w->nwin; j++) {
            const WWindow *x = &w->win[j];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "service", w->svc[x->svc].name);
            cJSON_AddStringToObject(e, "region", name_of(&w->regions, w->svc[x->svc].region));
            cJSON_AddNumberToObject(e, "from_seconds", (double)(x->from / SIM_NS_PER_S));
            cJSON_AddNumberToObject(e, "to_seconds", (double)(x->to / SIM_NS_PER_S));
            cJSON_AddStringToObject(e, "headline", x->headline);
            cJSON_AddItemToArray(a, e);
        }
    }
    return rc;
}

int rnd_why_report(SimMem *m, const SimTrSchema *schema, const char *trace_path, cJSON **out, SimErr *err)
{
    Why w = {.m = m, .schema = schema, .path = trace_path};
    *out = NULL;
    cJSON *o = cJSON_CreateObject();
    int rc = o ? open_meta(&w, err) : sim_err_set(err, SIM_ENOMEM, "out of memory");
    if (rc == SIM_OK)
        rc = each(&w, SIM_TIME_MAX, learn, NULL, err);
    if (rc == SIM_OK)
        rc = waits(&w, o, err);
    if (rc == SIM_OK)
        rc = slo_windows(&w, o, err);
    why_free(&w);
    if (rc != SIM_OK) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return SIM_OK;
}
