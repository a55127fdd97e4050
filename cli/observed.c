/*
 * observed.c: a real cluster's delays from its kube-state-metrics series
 * (observed.h). Invariant: a pod or node is keyed by namespace and name in
 * one hash table per kind; every string and array is owned by the CliObs.
 */
#include "cli/observed.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/promrange.h"

typedef struct Obj {
    char *key;                   /* "ns\x1fname" (nodes: "\x1fname") */
    double created, start, ready;   /* Unix seconds; NAN: unknown */
    char *owner;                 /* pods: the workload; nodes: the group */
    char *ns;                    /* pods: the namespace (into key) */
} Obj;

typedef struct Table {
    Obj *v;
    size_t cap, n;
} Table;

typedef struct Rd {
    CliObs *o;
    const char *dir;
    const char *group_label;
    Table pods, nodes;
    SimErr *err;
} Rd;

/* ---- small helpers ------------------------------------------------------------ */
static int oom(Rd *r)
{
    return sim_err_set(r->err, SIM_ENOMEM, "out of memory");
}

static int push(SimMem *m, CliObsSamples *s, double v)
{
    if (sim_mem_grow(m, (void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != SIM_OK)
        return SIM_ENOMEM;
    s->v[s->n++] = v;
    return SIM_OK;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int grow_table(SimMem *m, Table *t);

/* The object of key (made when absent, with every time unknown); NULL on out of memory. */
static Obj *get(SimMem *m, Table *t, const char *ns, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s\x1f%s", ns ? ns : "", name);
    if ((t->n + 1) * 2 > t->cap && grow_table(m, t) != SIM_OK)
        return NULL;
    size_t i = hash(key) & (t->cap - 1);
    while (t->v[i].key && strcmp(t->v[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    if (t->v[i].key)
        return &t->v[i];
    if ((t->v[i].key = sim_mem_strdup(m, key)) == NULL || (ns && (t->v[i].ns = sim_mem_strdup(m, ns)) == NULL))
        return NULL;
    t->v[i].created = t->v[i].start = t->v[i].ready = NAN;
    t->n++;
    return &t->v[i];
}

static int grow_table(SimMem *m, Table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    Obj *v = sim_mem_calloc(m, cap, sizeof *v);
    if (v == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->v[i].key)
            continue;
        size_t j = hash(t->v[i].key) & (cap - 1);
        while (v[j].key)
            j = (j + 1) & (cap - 1);
        v[j] = t->v[i];
    }
    if (t->v)
        sim_mem_free(m, t->v, t->cap * sizeof *t->v);
    t->v = v;
    t->cap = cap;
    return SIM_OK;
}

static void free_table(SimMem *m, Table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        sim_mem_strfree(m, t->v[i].key);
        sim_mem_strfree(m, t->v[i].ns);
        sim_mem_strfree(m, t->v[i].owner);
    }
    if (t->v)
        sim_mem_free(m, t->v, t->cap * sizeof *t->v);
}

/* The last finite sample of s (a timestamp gauge's value), or NAN. */
static double last_value(const SimPromSeries *s)
{
    for (size_t i = s->n; i-- > 0;)
        if (isfinite(s->v[i]))
            return s->v[i];
    return NAN;
}

/* When a 0/1 series first reads 1, in Unix seconds: midway between that
 * sample and the one before (the sample itself when it is the first); NAN if never. */
static double first_one(const SimPromSeries *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] >= 1)
            return (i ? (double)(s->t_ms[i] + s->t_ms[i - 1]) / 2 : (double)s->t_ms[i]) / 1e3;
    return NAN;
}

/* ---- reading one file ------------------------------------------------------------ */
typedef int (*SeriesFn)(Rd *r, const SimPromRange *pr, size_t si);

static void cover(CliObs *o, const SimPromSeries *s)
{
    if (s->n == 0)
        return;
    if (o->t1_ms < o->t0_ms || s->t_ms[0] < o->t0_ms)
        o->t0_ms = s->t_ms[0];
    if (o->t1_ms < o->t0_ms || s->t_ms[s->n - 1] > o->t1_ms)
        o->t1_ms = s->t_ms[s->n - 1];
}

/* Reads dir/metric.json and hands each series to fn; a missing file is no error. */
static int each(Rd *r, const char *metric, SeriesFn fn, int *found)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.json", r->dir, metric);
    if (found)
        *found = 0;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return SIM_OK;
    SimPromRange pr;
    memset(&pr, 0, sizeof pr);
    int rc = sim_prom_read(r->o->m, path, &pr, r->err);
    r->o->files += rc == SIM_OK;
    for (size_t i = 0; rc == SIM_OK && i < pr.nseries; i++) {
        cover(r->o, &pr.series[i]);
        rc = fn(r, &pr, i);
    }
    sim_prom_free(&pr);
    if (found)
        *found = rc == SIM_OK;
    return rc;
}

static int need_label(Rd *r, const SimPromRange *pr, size_t si, const char *name, const char **out)
{
    char where[160];
    *out = sim_prom_label(&pr->series[si], name);
    if (*out && **out)
        return SIM_OK;
    return sim_err_set(r->err, SIM_EINVAL, "%s: %s: needs the label %s", pr->file,
                       sim_prom_where(pr, si, SIZE_MAX, where, sizeof where), name);
}

/* ---- pods ----------------------------------------------------------------------- */
static Obj *pod_of(Rd *r, const SimPromRange *pr, size_t si, int *rc)
{
    const char *ns, *pod;
    *rc = need_label(r, pr, si, "namespace", &ns);
    if (*rc == SIM_OK)
        *rc = need_label(r, pr, si, "pod", &pod);
    if (*rc != SIM_OK)
        return NULL;
    Obj *p = get(r->o->m, &r->pods, ns, pod);
    if (p == NULL)
        *rc = oom(r);
    return p;
}

/* A pod's workload from its owner's labels: a ReplicaSet's name loses its
 * pod-template-hash suffix (the Deployment's name). */
static int owner_labels(Rd *r, const SimPromSeries *s, Obj *p)
{
    const char *kind = sim_prom_label(s, "created_by_kind"), *name = sim_prom_label(s, "created_by_name");
    if (name == NULL || !*name || strcmp(name, "<none>") == 0) {
        kind = sim_prom_label(s, "owner_kind");
        name = sim_prom_label(s, "owner_name");
    }
    if (name == NULL || !*name || strcmp(name, "<none>") == 0 || p->owner)
        return SIM_OK;
    if ((p->owner = sim_mem_strdup(r->o->m, name)) == NULL)
        return oom(r);
    char *dash = strrchr(p->owner, '-');
    if (kind && strcmp(kind, "ReplicaSet") == 0 && dash)
        *dash = '\0';
    return SIM_OK;
}

static int pod_created(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *p = pod_of(r, pr, si, &rc);
    if (p)
        p->created = last_value(&pr->series[si]);
    return p ? owner_labels(r, &pr->series[si], p) : rc;
}

static int pod_start(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *p = pod_of(r, pr, si, &rc);
    if (p)
        p->start = last_value(&pr->series[si]);
    return p ? owner_labels(r, &pr->series[si], p) : rc;
}

static int pod_ready_time(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *p = pod_of(r, pr, si, &rc);
    if (p)
        p->ready = last_value(&pr->series[si]);
    return p ? SIM_OK : rc;
}

static int pod_ready(Rd *r, const SimPromRange *pr, size_t si)
{
    const char *cond = sim_prom_label(&pr->series[si], "condition");
    if (cond && strcmp(cond, "true") != 0)
        return SIM_OK;
    int rc;
    Obj *p = pod_of(r, pr, si, &rc);
    if (p && isnan(p->ready))
        p->ready = first_one(&pr->series[si]);
    return p ? SIM_OK : rc;
}

static int pod_owner(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *p = pod_of(r, pr, si, &rc);
    return p ? owner_labels(r, &pr->series[si], p) : rc;
}

/* Without an owner: the pod's name without its generated suffixes
 * (NAME-HASH-XXXXX of a Deployment, NAME-N of a StatefulSet or of kubesim,
 * NAME-XXXXX otherwise). */
static int guess_owner(Rd *r, Obj *p)
{
    const char *pod = strchr(p->key, '\x1f') + 1;
    if ((p->owner = sim_mem_strdup(r->o->m, pod)) == NULL)
        return oom(r);
    char *d1 = strrchr(p->owner, '-');
    if (d1 == NULL)
        return SIM_OK;
    int digits = strspn(d1 + 1, "0123456789") == strlen(d1 + 1);
    *d1 = '\0';
    char *d2 = strrchr(p->owner, '-');
    size_t hl = d2 ? strlen(d2 + 1) : 0;
    if (!digits && strlen(d1 + 1) == 5 && d2 && hl >= 6 && hl <= 10)
        *d2 = '\0';
    return SIM_OK;
}

/* ---- workloads and groups ------------------------------------------------------ */
static int same(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcmp(a, b) == 0;
}

const CliObsWl *cli_obs_wl(const CliObs *o, const char *ns, const char *name)
{
    for (size_t i = 0; i < o->nwl; i++)
        if (strcmp(o->wl[i].name, name) == 0 && same(ns, o->wl[i].ns))
            return &o->wl[i];
    return NULL;
}

const CliObsGroup *cli_obs_group(const CliObs *o, const char *name)
{
    for (size_t i = 0; i < o->ngroups; i++)
        if (strcmp(o->groups[i].name, name) == 0)
            return &o->groups[i];
    return NULL;
}

static CliObsWl *wl_get(Rd *r, const char *ns, const char *name)
{
    CliObs *o = r->o;
    for (size_t i = 0; i < o->nwl; i++)
        if (strcmp(o->wl[i].name, name) == 0 && strcmp(o->wl[i].ns, ns) == 0)
            return &o->wl[i];
    if (sim_mem_grow(o->m, (void **)&o->wl, &o->capwl, o->nwl + 1, sizeof *o->wl) != SIM_OK)
        return NULL;
    CliObsWl *w = &o->wl[o->nwl];
    memset(w, 0, sizeof *w);
    w->ns = sim_mem_strdup(o->m, ns);
    w->name = sim_mem_strdup(o->m, name);
    o->nwl += w->ns != NULL || w->name != NULL;
    return w->ns && w->name ? w : NULL;
}

static CliObsGroup *group_get(Rd *r, const char *name)
{
    CliObs *o = r->o;
    for (size_t i = 0; i < o->ngroups; i++)
        if (strcmp(o->groups[i].name, name) == 0)
            return &o->groups[i];
    if (sim_mem_grow(o->m, (void **)&o->groups, &o->capgroups, o->ngroups + 1, sizeof *o->groups) != SIM_OK)
        return NULL;
    CliObsGroup *g = &o->groups[o->ngroups];
    memset(g, 0, sizeof *g);
    if ((g->name = sim_mem_strdup(o->m, name)) == NULL)
        return NULL;
    o->ngroups++;
    return g;
}

/* ---- nodes ------------------------------------------------------------------------ */
static const char *const group_labels[] = {
    "label_kubesim_io_node_group", "label_eks_amazonaws_com_nodegroup", "label_cloud_google_com_gke_nodepool",
    "label_karpenter_sh_nodepool", "label_kubernetes_azure_com_agentpool", "label_node_kubernetes_io_instance_type"};

static Obj *node_of(Rd *r, const SimPromRange *pr, size_t si, int *rc)
{
    const char *node;
    *rc = need_label(r, pr, si, "node", &node);
    if (*rc != SIM_OK)
        return NULL;
    Obj *n = get(r->o->m, &r->nodes, NULL, node);
    if (n == NULL)
        *rc = oom(r);
    return n;
}

static int node_group_label(Rd *r, const SimPromSeries *s, Obj *n)
{
    const char *g = NULL;
    if (r->group_label)
        g = sim_prom_label(s, r->group_label);
    for (size_t i = 0; !r->group_label && !(g && *g) && i < sizeof group_labels / sizeof *group_labels; i++)
        g = sim_prom_label(s, group_labels[i]);
    if (n->owner || g == NULL || !*g)
        return SIM_OK;
    return (n->owner = sim_mem_strdup(r->o->m, g)) ? SIM_OK : oom(r);
}

static int node_created(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *n = node_of(r, pr, si, &rc);
    if (n)
        n->created = last_value(&pr->series[si]);
    return n ? node_group_label(r, &pr->series[si], n) : rc;
}

static int node_labels(Rd *r, const SimPromRange *pr, size_t si)
{
    int rc;
    Obj *n = node_of(r, pr, si, &rc);
    return n ? node_group_label(r, &pr->series[si], n) : rc;
}

static int node_condition(Rd *r, const SimPromRange *pr, size_t si)
{
    const SimPromSeries *s = &pr->series[si];
    const char *cond = sim_prom_label(s, "condition"), *status = sim_prom_label(s, "status");
    if (!cond || strcmp(cond, "Ready") != 0 || !status || strcmp(status, "true") != 0)
        return SIM_OK;
    int rc;
    Obj *n = node_of(r, pr, si, &rc);
    if (n == NULL)
        return rc;
    if (isnan(n->ready) && s->n && s->v[0] < 1)   /* seen NotReady first: it became Ready in the range */
        n->ready = first_one(s);
    return node_group_label(r, s, n);
}

/* ---- deployments and HPAs --------------------------------------------------------- */
static int replicas(Rd *r, const SimPromRange *pr, size_t si)
{
    const char *ns, *dep;
    int rc = need_label(r, pr, si, "namespace", &ns);
    if (rc == SIM_OK)
        rc = need_label(r, pr, si, "deployment", &dep);
    CliObsWl *w = rc == SIM_OK ? wl_get(r, ns, dep) : NULL;
    if (rc != SIM_OK || w == NULL)
        return rc != SIM_OK ? rc : oom(r);
    const SimPromSeries *s = &pr->series[si];
    SimMem *m = r->o->m;
    if (sim_mem_grow(m, (void **)&w->rep_t_ms, &w->caprep, w->nrep + s->n, sizeof *w->rep_t_ms) != SIM_OK ||
        sim_mem_grow(m, (void **)&w->rep_v, &w->caprep_v, w->nrep + s->n, sizeof *w->rep_v) != SIM_OK)
        return oom(r);
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->v[i])) {
            w->rep_t_ms[w->nrep] = s->t_ms[i];
            w->rep_v[w->nrep++] = s->v[i];
        }
    return SIM_OK;
}

/* The first creation of a pod of (ns, name) in (after, before]; NAN if none. */
static double first_pod_after(const Rd *r, const char *ns, const char *name, double after, double before)
{
    double best = NAN;
    for (size_t i = 0; i < r->pods.cap; i++) {
        const Obj *p = &r->pods.v[i];
        if (p->key && p->owner && strcmp(p->owner, name) == 0 && strcmp(p->ns, ns) == 0 && p->created > after &&
            p->created <= before && !(p->created >= best))
            best = p->created;
    }
    return best;
}

#define REACTION_WINDOW_S 600.0   /* a pod later than this after the rise is not its answer */

static int desired(Rd *r, const SimPromRange *pr, size_t si)
{
    const SimPromSeries *s = &pr->series[si];
    const char *ns, *hpa, *target = sim_prom_label(s, "scaletargetref_name");
    int rc = need_label(r, pr, si, "namespace", &ns);
    if (rc == SIM_OK)
        rc = need_label(r, pr, si, "horizontalpodautoscaler", &hpa);
    if (rc != SIM_OK)
        return rc;
    target = target && *target ? target : hpa;
    CliObsWl *w = wl_get(r, ns, target);
    if (w == NULL)
        return oom(r);
    for (size_t i = 1; i < s->n; i++) {
        if (!(s->v[i] > s->v[i - 1]))
            continue;
        double t0 = (double)s->t_ms[i - 1] / 1e3, mid = (double)(s->t_ms[i - 1] + s->t_ms[i]) / 2e3;
        double c = first_pod_after(r, ns, target, t0, t0 + REACTION_WINDOW_S);
        if (!isnan(c) && push(r->o->m, &w->reaction, c > mid ? c - mid : 0) != SIM_OK)
            return oom(r);
    }
    return SIM_OK;
}

/* ---- the samples ------------------------------------------------------------------ */
static int pod_samples(Rd *r)
{
    for (size_t i = 0; i < r->pods.cap; i++) {
        Obj *p = &r->pods.v[i];
        if (!p->key || isnan(p->start) || isnan(p->ready) || p->ready < p->start)
            continue;
        CliObsWl *w = wl_get(r, p->ns, p->owner);
        if (w == NULL || push(r->o->m, &w->startup, p->ready - p->start) != SIM_OK)
            return oom(r);
    }
    return SIM_OK;
}

static int node_samples(Rd *r)
{
    for (size_t i = 0; i < r->nodes.cap; i++) {
        Obj *n = &r->nodes.v[i];
        if (!n->key || !n->owner || isnan(n->created) || isnan(n->ready) || n->ready < n->created)
            continue;   /* a node without a group label has no group to calibrate */
        CliObsGroup *g = group_get(r, n->owner);
        if (g == NULL || push(r->o->m, &g->prov, n->ready - n->created) != SIM_OK)
            return oom(r);
    }
    return SIM_OK;
}

static int read_all(Rd *r)
{
    static const struct { const char *metric; SeriesFn fn; } files[] = {
        {"kube_pod_created", pod_created}, {"kube_pod_start_time", pod_start},
        {"kube_pod_status_ready_time", pod_ready_time}, {"kube_pod_status_ready", pod_ready},
        {"kube_pod_info", pod_owner}, {"kube_pod_owner", pod_owner},
        {"kube_node_created", node_created}, {"kube_node_labels", node_labels},
        {"kube_node_status_condition", node_condition},
        {"kube_deployment_status_replicas_available", replicas},
    };
    int rc = SIM_OK;
    for (size_t i = 0; rc == SIM_OK && i < sizeof files / sizeof *files; i++)
        rc = each(r, files[i].metric, files[i].fn, NULL);
    for (size_t i = 0; rc == SIM_OK && i < r->pods.cap; i++)   /* every pod's workload, before the HPAs need them */
        if (r->pods.v[i].key && !r->pods.v[i].owner)
            rc = guess_owner(r, &r->pods.v[i]);
    if (rc == SIM_OK)
        rc = each(r, "kube_horizontalpodautoscaler_status_desired_replicas", desired, NULL);
    if (rc == SIM_OK && r->o->files == 0)
        rc = sim_err_set(r->err, SIM_EINVAL, "%s: holds none of the series files (kube_pod_created.json, "
                         "kube_node_created.json, ...: see `kubesim calibrate --help`)", r->dir);
    if (rc == SIM_OK)
        rc = pod_samples(r);
    return rc == SIM_OK ? node_samples(r) : rc;
}

int cli_obs_read(SimMem *m, const char *dir, const char *group_label, CliObs *o, SimErr *err)
{
    memset(o, 0, sizeof *o);
    o->m = m;
    o->t0_ms = 0;
    o->t1_ms = -1;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sim_err_set(err, SIM_EIO, "%s: not a folder", dir);
    Rd r = {.o = o, .dir = dir, .group_label = group_label, .err = err};
    int rc = read_all(&r);
    free_table(m, &r.pods);
    free_table(m, &r.nodes);
    return rc;
}

static void free_samples(SimMem *m, CliObsSamples *s)
{
    if (s->v)
        sim_mem_free(m, s->v, s->cap * sizeof *s->v);
}

void cli_obs_free(CliObs *o)
{
    for (size_t i = 0; i < o->nwl; i++) {
        CliObsWl *w = &o->wl[i];
        sim_mem_strfree(o->m, w->ns);
        sim_mem_strfree(o->m, w->name);
        free_samples(o->m, &w->startup);
        free_samples(o->m, &w->reaction);
        if (w->rep_t_ms)
            sim_mem_free(o->m, w->rep_t_ms, w->caprep * sizeof *w->rep_t_ms);
        if (w->rep_v)
            sim_mem_free(o->m, w->rep_v, w->caprep_v * sizeof *w->rep_v);
    }
    for (size_t i = 0; i < o->ngroups; i++) {
        sim_mem_strfree(o->m, o->groups[i].name);
        free_samples(o->m, &o->groups[i].prov);
    }
    if (o->wl)
        sim_mem_free(o->m, o->wl, o->capwl * sizeof *o->wl);
    if (o->groups)
        sim_mem_free(o->m, o->groups, o->capgroups * sizeof *o->groups);
    memset(o, 0, sizeof *o);
}
