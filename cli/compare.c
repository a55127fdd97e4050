/*
 * compare.c: a run against observed series (compare.h). Invariant: the run's
 * side is rebuilt from its trace alone (ids as the trace gives them; a pod id
 * created again starts afresh), so the comparison needs no engine.
 */
#include "cli/compare.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/observed.h"
#include "sim/dist.h"
#include "sim/fileio.h"
#include "sim/json.h"
#include "sim/promrange.h"
#include "sim/trace.h"

typedef struct Step {
    int64_t t;                   /* ns */
    int32_t count;               /* Ready pods from t on */
} Step;

typedef struct Wl {
    char *name;
    int64_t ns;
    int32_t ready;
    Step *steps;
    size_t nsteps, capsteps;
    CliObsSamples startup;
} Wl;

typedef struct Pod {
    uint32_t wl;
    int64_t bound;               /* -1: not bound */
    uint8_t running;
} Pod;

typedef struct Node {
    uint32_t group;
    int64_t added;
} Node;

typedef struct Grp {
    char *name;
    CliObsSamples prov;
} Grp;

typedef struct Sim {
    SimMem *m;
    char **ns;
    size_t nns, capns;
    Wl *wl;
    size_t nwl, capwl;
    Grp *g;
    size_t ng, capg;
    Pod *pods;
    size_t npods, cappods;
    Node *nodes;
    size_t nnodes, capnodes;
    int64_t end;                 /* the last record's time: the run's end */
    int oom;
} Sim;

#define GROW(s, arr, n, cap, idx)                                                                        \
    ((idx) < (n) || (sim_mem_grow((s)->m, (void **)&(arr), &(cap), (idx) + 1, sizeof *(arr)) == SIM_OK && \
                     (memset(&(arr)[n], 0, ((idx) + 1 - (n)) * sizeof *(arr)), (n) = (idx) + 1, 1)))

static char *dup_or_oom(Sim *s, const char *t)
{
    char *d = sim_mem_strdup(s->m, t ? t : "");
    s->oom |= d == NULL;
    return d;
}

static void samples_push(Sim *s, CliObsSamples *c, double v)
{
    if (sim_mem_grow(s->m, (void **)&c->v, &c->cap, c->n + 1, sizeof *c->v) != SIM_OK) {
        s->oom = 1;
        return;
    }
    c->v[c->n++] = v;
}

static void ready_change(Sim *s, uint32_t wl, int64_t t, int d)
{
    if (wl >= s->nwl)
        return;
    Wl *w = &s->wl[wl];
    w->ready += d;
    if (w->nsteps && w->steps[w->nsteps - 1].t == t) {
        w->steps[w->nsteps - 1].count = w->ready;
        return;
    }
    if (sim_mem_grow(s->m, (void **)&w->steps, &w->capsteps, w->nsteps + 1, sizeof *w->steps) != SIM_OK) {
        s->oom = 1;
        return;
    }
    w->steps[w->nsteps++] = (Step){t, w->ready};
}

static void pod_gone(Sim *s, uint32_t pod, int64_t t)
{
    if (pod < s->npods && s->pods[pod].running) {
        s->pods[pod].running = 0;
        ready_change(s, s->pods[pod].wl, t, -1);
    }
}

static void on_object(Sim *s, const SimTraceRec *r)
{
    size_t id = (size_t)r->v[0].i;
    if (r->kind == SIM_TR_NAMESPACE && GROW(s, s->ns, s->nns, s->capns, id))
        s->ns[id] = dup_or_oom(s, r->v[1].s);
    else if (r->kind == SIM_TR_WORKLOAD && GROW(s, s->wl, s->nwl, s->capwl, id)) {
        s->wl[id].name = dup_or_oom(s, r->v[4].s);
        s->wl[id].ns = r->v[2].i;
    } else if (r->kind == SIM_TR_NODEGROUP && GROW(s, s->g, s->ng, s->capg, id))
        s->g[id].name = dup_or_oom(s, r->v[2].s);
    else if (r->kind == SIM_TR_NAMESPACE || r->kind == SIM_TR_WORKLOAD || r->kind == SIM_TR_NODEGROUP)
        s->oom = 1;
}

static void on_pod(Sim *s, const SimTraceRec *r)
{
    uint32_t pod = (uint32_t)r->v[0].i;
    if (r->kind == SIM_TR_POD_CREATE) {
        if (!GROW(s, s->pods, s->npods, s->cappods, pod)) {
            s->oom = 1;
            return;
        }
        s->pods[pod] = (Pod){(uint32_t)r->v[1].i, -1, 0};
    } else if (pod >= s->npods)
        return;
    else if (r->kind == SIM_TR_POD_BIND)
        s->pods[pod].bound = r->t;
    else if (r->kind == SIM_TR_POD_RUNNING) {
        Pod *p = &s->pods[pod];
        if (p->bound >= 0 && p->wl < s->nwl)
            samples_push(s, &s->wl[p->wl].startup, (double)(r->t - p->bound) / 1e9);
        p->running = 1;
        ready_change(s, p->wl, r->t, +1);
    } else
        pod_gone(s, pod, r->t);   /* end, delete, terminating */
}

static void on_node(Sim *s, const SimTraceRec *r)
{
    size_t node = (size_t)r->v[0].i;
    if (r->kind == SIM_TR_NODE_ADD) {
        if (GROW(s, s->nodes, s->nnodes, s->capnodes, node))
            s->nodes[node] = (Node){(uint32_t)r->v[1].i, r->t};
        else
            s->oom = 1;
    } else if (node < s->nnodes && s->nodes[node].added >= 0) {
        Node *n = &s->nodes[node];
        /* the starting nodes (ready at once at t = 0) were never provisioned */
        if (n->group < s->ng && !(n->added == 0 && r->t == 0))
            samples_push(s, &s->g[n->group].prov, (double)(r->t - n->added) / 1e9);
        n->added = -1;
    }
}

static void on_rec(Sim *s, const SimTraceRec *r)
{
    s->end = r->t > s->end ? r->t : s->end;
    switch (r->kind) {
    case SIM_TR_NAMESPACE: case SIM_TR_WORKLOAD: case SIM_TR_NODEGROUP: on_object(s, r); break;
    case SIM_TR_POD_CREATE: case SIM_TR_POD_BIND: case SIM_TR_POD_RUNNING: case SIM_TR_POD_END:
    case SIM_TR_POD_DELETE: case SIM_TR_POD_TERMINATING: on_pod(s, r); break;
    case SIM_TR_NODE_ADD: case SIM_TR_NODE_READY: on_node(s, r); break;
    default: break;
    }
}

static int read_trace(Sim *s, const char *run_dir, SimErr *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.kst", run_dir);
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return sim_err_set(err, SIM_EINVAL, "trace schema");
    SimTraceReader *rd = sim_trace_open(s->m, &schema, path, err);
    if (rd == NULL)
        return SIM_EIO;
    SimTraceRec rec;
    int rc;
    while ((rc = sim_trace_next(rd, &rec)) == SIM_OK && !s->oom)
        on_rec(s, &rec);
    if (rc != SIM_DONE && !s->oom)
        sim_err_set(err, rc, "%s: %s", path, sim_trace_error(rd));
    sim_trace_close_reader(rd);
    if (s->oom)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    return rc == SIM_DONE ? SIM_OK : rc;
}

static void sim_free(Sim *s)
{
    for (size_t i = 0; i < s->nns; i++)
        sim_mem_strfree(s->m, s->ns[i]);
    for (size_t i = 0; i < s->nwl; i++) {
        sim_mem_strfree(s->m, s->wl[i].name);
        if (s->wl[i].steps)
            sim_mem_free(s->m, s->wl[i].steps, s->wl[i].capsteps * sizeof *s->wl[i].steps);
        if (s->wl[i].startup.v)
            sim_mem_free(s->m, s->wl[i].startup.v, s->wl[i].startup.cap * sizeof(double));
    }
    for (size_t i = 0; i < s->ng; i++) {
        sim_mem_strfree(s->m, s->g[i].name);
        if (s->g[i].prov.v)
            sim_mem_free(s->m, s->g[i].prov.v, s->g[i].prov.cap * sizeof(double));
    }
    if (s->ns) sim_mem_free(s->m, s->ns, s->capns * sizeof *s->ns);
    if (s->wl) sim_mem_free(s->m, s->wl, s->capwl * sizeof *s->wl);
    if (s->g) sim_mem_free(s->m, s->g, s->capg * sizeof *s->g);
    if (s->pods) sim_mem_free(s->m, s->pods, s->cappods * sizeof *s->pods);
    if (s->nodes) sim_mem_free(s->m, s->nodes, s->capnodes * sizeof *s->nodes);
}

/* ---- the figures ---------------------------------------------------------------- */
/* Ready pods of w at t ns (the last step at or before t). */
static int32_t ready_at(const Wl *w, int64_t t)
{
    size_t lo = 0, hi = w->nsteps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->steps[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? w->steps[lo - 1].count : 0;
}

static const char *mae_verdict(double mae, double mean)
{
    double rel = mean > 0 ? mae / mean : mae;
    return rel <= 0.10 ? "close" : rel <= 0.25 ? "fair" : "off";
}

static const char *ks_verdict(double d, double p)
{
    return p >= 0.05 ? "close" : d <= 0.2 ? "fair" : "off";
}

static cJSON *row(const char *figure, const char *kind, const char *object, const char *stat)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "figure", figure);
    cJSON_AddStringToObject(o, kind, object);
    cJSON_AddStringToObject(o, "statistic", stat);
    return o;
}

static void replicas_row(cJSON *rows, const Wl *w, const CliObsWl *ow, const char *label, int64_t start_ms,
                         int64_t end_ns)
{
    double sum = 0, obs = 0, sim = 0;
    size_t n = 0;
    for (size_t i = 0; i < ow->nrep; i++) {
        int64_t t_ms = ow->rep_t_ms[i] - start_ms;
        if (t_ms < 0 || t_ms > end_ns / 1000000)   /* outside the run */
            continue;
        double s = ready_at(w, t_ms * 1000000);
        sum += fabs(s - ow->rep_v[i]);
        obs += ow->rep_v[i];
        sim += s;
        n++;
    }
    if (n == 0)
        return;
    cJSON *o = sim_json_push(rows, row("replicas", "workload", label, "mean absolute error"));
    cJSON_AddNumberToObject(o, "value", sum / (double)n);
    cJSON_AddNumberToObject(o, "observed_mean", obs / (double)n);
    cJSON_AddNumberToObject(o, "simulated_mean", sim / (double)n);
    cJSON_AddNumberToObject(o, "points", (double)n);
    cJSON_AddStringToObject(o, "verdict", mae_verdict(sum / (double)n, obs / (double)n));
}

/* Sorts both (in place) and adds their two-sample KS row. */
static void ks_row(cJSON *rows, const char *figure, const char *kind, const char *label, CliObsSamples *sim,
                   CliObsSamples *obs)
{
    if (sim->n == 0 || obs->n == 0)
        return;
    sim_dist_sort(sim->v, sim->n);
    sim_dist_sort(obs->v, obs->n);
    double d = sim_ks_two(sim->v, sim->n, obs->v, obs->n);
    double p = sim_ks_p(d, (double)sim->n * (double)obs->n / (double)(sim->n + obs->n));
    cJSON *o = sim_json_push(rows, row(figure, kind, label, "two-sample KS distance"));
    cJSON_AddNumberToObject(o, "value", d);
    cJSON_AddNumberToObject(o, "p", p);
    cJSON_AddNumberToObject(o, "observed_median_s", sim_dist_quantile(obs->v, obs->n, 0.5));
    cJSON_AddNumberToObject(o, "simulated_median_s", sim_dist_quantile(sim->v, sim->n, 0.5));
    cJSON_AddNumberToObject(o, "observed_n", (double)obs->n);
    cJSON_AddNumberToObject(o, "simulated_n", (double)sim->n);
    cJSON_AddStringToObject(o, "verdict", ks_verdict(d, p));
}

static void figures(Sim *s, CliObs *ob, cJSON *rows, int64_t start_unix)
{
    for (size_t i = 0; i < s->nwl; i++) {
        Wl *w = &s->wl[i];
        const char *ns = w->ns >= 0 && (size_t)w->ns < s->nns ? s->ns[w->ns] : NULL;
        const CliObsWl *ow = w->name ? cli_obs_wl(ob, ns, w->name) : NULL;
        if (ow == NULL)
            continue;
        char label[512];
        snprintf(label, sizeof label, "%s/%s", ns ? ns : "", w->name);
        replicas_row(rows, w, ow, label, start_unix * 1000, s->end);
        ks_row(rows, "startup", "workload", label, &w->startup, (CliObsSamples *)&ow->startup);
    }
    for (size_t i = 0; i < s->ng; i++) {
        const CliObsGroup *og = s->g[i].name ? cli_obs_group(ob, s->g[i].name) : NULL;
        if (og)
            ks_row(rows, "provisioning", "node_group", s->g[i].name, &s->g[i].prov, (CliObsSamples *)&og->prov);
    }
}

/* ---- summary.json ------------------------------------------------------------------ */
static cJSON *observed_json(Sim *s, CliObs *ob, const char *obs_dir, int64_t start_unix)
{
    cJSON *o = cJSON_CreateObject();
    char t0[40] = "", t1[40] = "";
    if (ob->t1_ms >= ob->t0_ms) {
        sim_prom_time_text(ob->t0_ms, t0, sizeof t0);
        sim_prom_time_text(ob->t1_ms, t1, sizeof t1);
    }
    cJSON_AddStringToObject(o, "dir", obs_dir);
    cJSON_AddStringToObject(o, "from", t0);
    cJSON_AddStringToObject(o, "to", t1);
    cJSON_AddNumberToObject(o, "start_unix", (double)start_unix);
    figures(s, ob, cJSON_AddArrayToObject(o, "rows"), start_unix);
    return o;
}

static int rewrite_summary(SimMem *m, const char *run_dir, cJSON *obs, SimErr *err)
{
    char path[4200];
    size_t n;
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    char *text = cli_read_file(m, path, &n, err);
    if (text == NULL) {
        cJSON_Delete(obs);
        return SIM_EIO;
    }
    cJSON *root = cJSON_Parse(text);
    sim_mem_free(m, text, n + 1);
    if (root == NULL)
        cJSON_Delete(obs);   /* sim_json_add_item frees it when root cannot take it */
    if (root == NULL || sim_json_add_item(root, "observed", obs) == NULL) {
        cJSON_Delete(root);
        return sim_err_set(err, SIM_ENOMEM, "%s: cannot add \"observed\"", path);
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = out ? sim_file_replace(path, out, strlen(out), err) : sim_err_set(err, SIM_ENOMEM, "out of memory");
    cJSON_free(out);
    return rc;
}

int cli_cmp_run(SimMem *m, const char *run_dir, const char *obs_dir, int64_t start_unix, SimErr *err)
{
    Sim s;
    memset(&s, 0, sizeof s);
    s.m = m;
    CliObs ob;
    int rc = cli_obs_read(m, obs_dir, NULL, &ob, err);
    if (rc == SIM_OK)
        rc = read_trace(&s, run_dir, err);
    if (rc == SIM_OK) {
        SimJsonScope js;
        sim_json_begin(&js, m);
        rc = rewrite_summary(m, run_dir, observed_json(&s, &ob, obs_dir, start_unix), err);
        if (sim_json_end(&js) != SIM_OK && rc == SIM_OK)
            rc = sim_err_set(err, SIM_ENOMEM, "out of memory");
    }
    cli_obs_free(&ob);
    sim_free(&s);
    return rc;
}
