/*
 * import.c: `kubesim import`'s driver. Reads every file's documents, checks
 * each one's kind and apiVersion (a removed version is refused with the one
 * to use), then writes the scenario: the header with what is not simulated,
 * the cluster-scoped set-up (namespaces, priority classes, the autoscaler),
 * each region with its node groups, policy and workloads, then the traffic
 * and the HPAs, so every declaration follows what it names.
 *
 * Invariant: nothing is returned unless every document was accepted; the
 * arena holding the trees is freed before kx_import returns.
 */
#include "k8s-export/import_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct KxKind {
    const char *kind, *api;          /* the version kubesim reads */
    const char *const old[6];        /* removed versions, refused naming api */
} KxKind;

/* apiVersions from the Kubernetes deprecation guide; the served one first. */
static const KxKind kinds[] = {
    {"Namespace", "v1", {NULL}},
    {"ResourceQuota", "v1", {NULL}},
    {"LimitRange", "v1", {NULL}},
    {"Service", "v1", {NULL}},
    {"ConfigMap", "v1", {NULL}},
    {"PriorityClass", "scheduling.k8s.io/v1", {"scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha1", NULL}},
    {"PodDisruptionBudget", "policy/v1", {"policy/v1beta1", NULL}},
    {"Deployment", "apps/v1", {"apps/v1beta1", "apps/v1beta2", "extensions/v1beta1", NULL}},
    {"StatefulSet", "apps/v1", {"apps/v1beta1", "apps/v1beta2", NULL}},
    {"DaemonSet", "apps/v1", {"apps/v1beta2", "extensions/v1beta1", NULL}},
    {"HorizontalPodAutoscaler", "autoscaling/v2", {"autoscaling/v2beta1", "autoscaling/v2beta2", NULL}},
    {"Job", "batch/v1", {NULL}},
    {"CronJob", "batch/v1", {"batch/v1beta1", "batch/v2alpha1", NULL}},
};

const char *kx_imp_file(const KxImp *c, const KxNode *n)
{
    while (n && n->parent)
        n = n->parent;
    for (const KxDoc *d = c->docs; d; d = d->next)
        if (d->root == n)
            return d->file;
    return "?";
}

void kx_imp_fail(KxImp *c, const char *file, const KxNode *at, const char *fmt, ...)
{
    if (c->rc != SIM_OK)
        return;
    c->rc = SIM_EINVAL;
    char msg[512], path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at == NULL) {
        snprintf(c->err, c->errlen, "%s:%s", file ? file : "?", msg);
        return;
    }
    kx_node_path(at, path, sizeof path);
    snprintf(c->err, c->errlen, "%s:%d: %s: %s", file ? file : kx_imp_file(c, at), at->line,
             path[0] ? path : "(document)", msg);
}

void kx_imp_nomem(KxImp *c)
{
    if (c->rc != SIM_OK)
        return;
    c->rc = SIM_ENOMEM;
    snprintf(c->err, c->errlen, "out of memory");
}

KxDoc *kx_next(KxImp *c, KxDoc *d, const char *kind)
{
    for (d = d ? d->next : c->docs; d; d = d->next)
        if (d->kind && strcmp(d->kind, kind) == 0 && strcmp(d->region, c->region) == 0)
            return d;
    return NULL;
}

int kx_seen(KxImp *c, const char *kind, const char *a, const char *b)
{
    /* Unit separators keep ("ab", "c") apart from ("a", "bc"). */
    size_t n = strlen(kind) + strlen(a) + strlen(b) + 3;
    char *key = sim_arena_alloc(&c->a, n);
    if (key == NULL || sim_mem_grow(c->m, (void **)&c->seen, &c->capseen, c->nseen + 1, sizeof *c->seen)) {
        kx_imp_nomem(c);
        return 1;
    }
    snprintf(key, n, "%s\x1f%s\x1f%s", kind, a, b);
    for (size_t i = 0; i < c->nseen; i++)
        if (strcmp(c->seen[i], key) == 0)
            return 1;
    c->seen[c->nseen++] = key;
    return 0;
}

const KxNode *kx_annotation_node(const KxNode *owner, const char *key)
{
    const KxNode *a = kx_get(owner, "metadata.annotations");
    for (const KxNode *k = a && a->type == KX_N_MAP ? a->first : NULL; k; k = k->next)
        if (strcmp(k->key, key) == 0 && k->type == KX_N_SCALAR)
            return k;
    return NULL;
}

const char *kx_annotation(const KxNode *owner, const char *key)
{
    const KxNode *n = kx_annotation_node(owner, key);
    return n ? n->s : NULL;
}

const char *kx_doc_ns(const KxDoc *d)
{
    return d->ns ? d->ns : "default";
}

void kx_out_head(KxImp *c, const char *decl, const KxDoc *d, int namespaced)
{
    kx_out(c, "%s { name = ", decl);
    kx_out_str(c, d->name);
    if (namespaced && strcmp(kx_doc_ns(d), "default") != 0) {
        kx_out(c, ", namespace = ");
        kx_out_str(c, kx_doc_ns(d));
    }
    kx_out(c, ", region = ");
    kx_out_str(c, d->region);
}

static const KxKind *find_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

/* Kinds that set nothing up in a cluster (kustomize's own files). */
static int tooling(const char *api)
{
    return strncmp(api, "kustomize.config.k8s.io/", 24) == 0;
}

/* A known kind in a version kubesim does not read: 1 (failed). */
static int check_version(KxImp *c, KxDoc *d, const KxKind *k, const char *api)
{
    if (strcmp(api, k->api) == 0)
        return 0;
    const KxNode *at = kx_get(d->root, "apiVersion");
    for (size_t i = 0; k->old[i]; i++)
        if (strcmp(api, k->old[i]) == 0) {
            kx_imp_fail(c, NULL, at, "%s %s was removed from Kubernetes; use %s", api, k->kind, k->api);
            return 1;
        }
    if (strcmp(k->kind, "HorizontalPodAutoscaler") == 0 || strcmp(k->kind, "NodePool") == 0 ||
        strcmp(k->kind, "PriorityClass") == 0 || strcmp(k->kind, "PodDisruptionBudget") == 0 ||
        strcmp(k->api, "v1") != 0) {
        kx_imp_fail(c, NULL, at, "kubesim reads %s as %s, not %s", k->kind, k->api, api);
        return 1;
    }
    return 0;   /* a core kind of another group (e.g. a CRD named Service): not simulated */
}

static void classify(KxImp *c, KxDoc *d)
{
    if (d->root->type != KX_N_MAP) {
        kx_imp_fail(c, NULL, d->root, "a manifest must be a map with apiVersion and kind");
        return;
    }
    const char *api = kx_get_str(d->root, "apiVersion"), *kind = kx_get_str(d->root, "kind");
    if (api == NULL || kind == NULL) {
        kx_imp_fail(c, NULL, d->root, "a manifest needs apiVersion and kind");
        return;
    }
    d->name = kx_get_str(d->root, "metadata.name");
    d->ns = kx_get_str(d->root, "metadata.namespace");
    if (tooling(api)) {
        d->done = 1;
        return;
    }
    const KxKind *k = find_kind(kind);
    d->kind = kind;
    if (k == NULL || (check_version(c, d, k, api) == 0 && strcmp(api, k->api) != 0)) {
        d->kind = NULL;   /* not simulated: listed in the header */
        return;
    }
    if (d->name == NULL)
        kx_imp_fail(c, NULL, d->root, "metadata.name is required");
}

static void add_region(KxImp *c, const char *r)
{
    for (size_t i = 0; i < c->nregions; i++)
        if (strcmp(c->regions[i], r) == 0)
            return;
    if (c->nregions == sizeof c->regions / sizeof c->regions[0]) {
        kx_imp_fail(c, "(input)", NULL, " more than 64 regions");
        return;
    }
    c->regions[c->nregions++] = r;
}

static int is_node_groups(const KxDoc *d)
{
    return d->kind && strcmp(d->kind, "ConfigMap") == 0 && d->ns && strcmp(d->ns, "kube-system") == 0 &&
           d->name && (strcmp(d->name, "kubesim-node-groups") == 0 ||
                       strcmp(d->name, "cluster-autoscaler-priority-expander") == 0);
}

/* The header: where the scenario came from and what it leaves out. */
static void header(KxImp *c, const KxImportOptions *o)
{
    kx_out(c, "-- Written by `kubesim import` from Kubernetes manifests.\n");
    int first = 1;
    for (KxDoc *d = c->docs; d && c->rc == SIM_OK; d = d->next) {
        int skip = d->done || (d->kind && (strcmp(d->kind, "ConfigMap") != 0 || is_node_groups(d)));
        if (skip)
            continue;
        const char *kind = kx_get_str(d->root, "kind");
        kx_out(c, "%s", first ? "-- not simulated: " : ", ");
        kx_out_comment(c, kind ? kind : "(no kind)");
        kx_out(c, "/");
        kx_out_comment(c, d->name ? d->name : "(unnamed)");
        first = 0;
    }
    kx_out(c, first ? "" : "\n");
    kx_out(c, "\nscenario { name = ");
    kx_out_str(c, o && o->name ? o->name : "imported");
    if (o && o->start) {
        kx_out(c, ", start = ");
        kx_out_str(c, o->start);
    }
    if (o && o->duration) {
        kx_out(c, ", duration = ");
        kx_out_str(c, o->duration);
    }
    kx_out(c, " }\n");
}

static void write_region(KxImp *c, const char *r)
{
    c->region = r;
    kx_out(c, "\n-- ---- region ");
    kx_out_comment(c, r);
    kx_out(c, " ----\n");
    kx_imp_nodegroups(c);
    kx_imp_quotas(c);
    kx_imp_limitranges(c);
    kx_imp_deployments(c);
    kx_imp_statefulsets(c);
    kx_imp_daemonsets(c);
    kx_imp_jobs(c);
    kx_imp_cronjobs(c);
    kx_imp_pdbs(c);
}

static void write_scenario(KxImp *c, const KxImportOptions *o)
{
    header(c, o);
    /* Cluster-scoped set-up: every region's documents at once, each name once. */
    kx_imp_namespaces(c);
    kx_imp_priorityclasses(c);
    c->region = c->nregions ? c->regions[0] : "imported";
    kx_imp_autoscaler(c);
    for (size_t i = 0; i < c->nregions; i++)
        write_region(c, c->regions[i]);
    for (size_t i = 0; i < c->nregions; i++) {
        c->region = c->regions[i];
        kx_imp_traffic(c);
    }
    for (size_t i = 0; i < c->nregions; i++) {
        c->region = c->regions[i];
        kx_imp_hpas(c);
    }
}

int kx_import(SimMem *m, const KxImportFile *files, size_t nfiles, const KxImportOptions *o, char **text,
              size_t *len, char *err, size_t errlen)
{
    KxImp c = {.m = m, .err = err, .errlen = errlen};
    sim_arena_init(&c.a, m);
    *text = NULL;
    *len = 0;
    for (size_t i = 0; i < nfiles && c.rc == SIM_OK; i++) {
        kx_yaml_read(&c, &files[i]);
        add_region(&c, files[i].region);
    }
    for (KxDoc *d = c.docs; d && c.rc == SIM_OK; d = d->next)
        classify(&c, d);
    if (c.rc == SIM_OK)
        write_scenario(&c, o);
    sim_arena_free(&c.a);
    sim_mem_free(m, c.seen, c.capseen * sizeof *c.seen);
    if (c.rc == SIM_OK && c.out) {
        /* Hand back exactly len + 1 bytes, so the caller's free size is simple. */
        char *p = sim_mem_realloc(m, c.out, c.cap, c.len + 1);
        if (p == NULL)
            kx_imp_nomem(&c);
        else
            c.out = p, c.cap = c.len + 1;
    }
    if (c.rc != SIM_OK) {
        if (c.out)
            sim_mem_free(m, c.out, c.cap);
        return c.rc;
    }
    *text = c.out;
    *len = c.len;
    return SIM_OK;
}
