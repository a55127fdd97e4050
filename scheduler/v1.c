/*
 * v1.c: Kubernetes v1 objects (JSON) into the model. The field lists below are
 * the API's own (core/v1, scheduling/v1, policy/v1), so real manifests pass
 * and only misspelt or invented fields are refused. Requests follow upstream's
 * effective-request formula (resource helpers PodRequests): the sum over app
 * containers, or the largest init container if that is more, plus overhead.
 */
#include "scheduler/v1.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PATH 256

/* JSON paths are built in fixed buffers as the parser descends; a path deeper
 * than PATH is cut short in the message, which is harmless, so gcc's
 * truncation warning is off for this file only. */
#if !defined(__clang__)   /* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

void sched_v1_init(SchedV1 *c, SimArena *a)
{
    memset(c, 0, sizeof *c);
    c->arena = a;
}

int sched_v1_failed(const SchedV1 *c) { return c->failed; }

void sched_v1_fail(SchedV1 *c, const char *path, const char *fmt, ...)
{
    if (c->failed)
        return;
    char msg[SCHED_V1_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, sizeof c->err, "%s: %s", path, msg);
    c->failed = 1;
}

static void *alloc(SchedV1 *c, size_t n)
{
    void *p = c->failed ? NULL : sim_arena_alloc(c->arena, n ? n : 1);
    if (p == NULL && !c->failed)
        sched_v1_fail(c, "$", "out of memory");
    return p;
}

static char *dup(SchedV1 *c, const char *s)
{
    char *d = alloc(c, strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

static int in_list(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return 1;
    return 0;
}

void sched_v1_keys(SchedV1 *c, const cJSON *j, const char *path, const char *const *allowed)
{
    if (c->failed)
        return;
    if (!cJSON_IsObject(j)) {
        sched_v1_fail(c, path, "expected an object");
        return;
    }
    for (const cJSON *k = j->child; k; k = k->next)
        if (!in_list(k->string, allowed)) {
            sched_v1_fail(c, path, "unknown field \"%s\"", k->string);
            return;
        }
}

/* The child of an object, after checking its type (NULL when absent). */
static const cJSON *child(SchedV1 *c, const cJSON *j, const char *key, const char *path, int type, char *sub)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    snprintf(sub, PATH, "%s.%s", path, key);
    if (x == NULL || cJSON_IsNull(x) || c->failed)
        return NULL;
    if ((x->type & 0xff) != type && !(type == cJSON_True && cJSON_IsBool(x))) {
        static const char *const names[] = {"a boolean", "a boolean", "null", "a number", "a string",
                                            "an array", "an object", "a value"};
        int bit = 0;
        while ((1 << bit) != type && bit < 7)
            bit++;
        sched_v1_fail(c, sub, "expected %s", names[bit]);
        return NULL;
    }
    return x;
}

static const char *get_str(SchedV1 *c, const cJSON *j, const char *key, const char *path)
{
    char sub[PATH];
    const cJSON *x = child(c, j, key, path, cJSON_String, sub);
    return x ? dup(c, x->valuestring) : NULL;
}

static int64_t get_int(SchedV1 *c, const cJSON *j, const char *key, const char *path, int64_t deflt,
                       int64_t lo, int64_t hi)
{
    char sub[PATH];
    const cJSON *x = child(c, j, key, path, cJSON_Number, sub);
    int64_t v = deflt;
    if (x != NULL)
        (void)sched_v1_whole(c, x, sub, lo, hi, &v);
    return v;
}

/* Is the double a whole number in [lo, hi]? Checked on the double before any
 * cast: converting one that does not fit int64_t (1e300) is undefined. */
static int whole_in(double v, int64_t lo, int64_t hi)
{
    /* 2^63 is the first double past INT64_MAX; (double)hi may round up to it. */
    return v >= (double)lo && v <= (double)hi && v < 9223372036854775808.0 && v == floor(v);
}

int sched_v1_whole(SchedV1 *c, const cJSON *x, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (!cJSON_IsNumber(x) || !whole_in(x->valuedouble, lo, hi)) {
        sched_v1_fail(c, path, "expected a whole number from %lld to %lld", (long long)lo, (long long)hi);
        return SIM_EINVAL;
    }
    int64_t v = (int64_t)x->valuedouble;
    *out = v < lo ? lo : v > hi ? hi : v;   /* (double)hi may have rounded up past hi */
    return SIM_OK;
}

int64_t sched_v1_quantity(SchedV1 *c, const cJSON *x, const char *path, int milli)
{
    char num[40];
    const char *text = num, *why = NULL;
    int64_t v = 0;
    if (cJSON_IsString(x))
        text = x->valuestring;   /* parsed where it is: never copied into a fixed buffer */
    else if (cJSON_IsNumber(x))
        snprintf(num, sizeof num, "%.15g", x->valuedouble);
    else {
        sched_v1_fail(c, path, "expected a quantity such as \"500m\" or \"4Gi\"");
        return 0;
    }
    size_t len = strlen(text);
    if (len > SCHED_V1_QUANTITY_MAX) {
        sched_v1_fail(c, path, "\"%.24s...\" is too long for a quantity (%zu characters, at most %d)", text, len,
                      SCHED_V1_QUANTITY_MAX);
        return 0;
    }
    if (sim_quantity_parse(text, milli, &v, &why) != SIM_OK)
        sched_v1_fail(c, path, "\"%s\" %s", text, why);
    else if (v > SCHED_V1_QUANTITY_LIMIT)
        sched_v1_fail(c, path, "\"%s\" is larger than kubesim models (at most 2^53 %s)", text,
                      milli ? "millicores" : "units");
    return sched_v1_failed(c) ? 0 : v;
}

static int64_t quantity(SchedV1 *c, const cJSON *x, const char *path, int milli)
{
    return sched_v1_quantity(c, x, path, milli);
}

/* ---- metadata ------------------------------------------------------------ */
static const char *const meta_keys[] = {"name", "namespace", "labels", "annotations", "uid", "generateName",
                                        "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                                        "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
                                        "managedFields", "selfLink", NULL};

static SimKV *string_map(SchedV1 *c, const cJSON *j, const char *path, size_t *n)
{
    *n = 0;
    if (j == NULL || c->failed)
        return NULL;
    size_t count = (size_t)cJSON_GetArraySize(j);
    SimKV *kv = alloc(c, count * sizeof *kv);
    for (const cJSON *x = j->child; kv && x; x = x->next) {
        char sub[PATH];
        snprintf(sub, sizeof sub, "%s.%s", path, x->string);
        if (!cJSON_IsString(x)) {
            sched_v1_fail(c, sub, "expected a string");
            return NULL;
        }
        kv[*n].key = dup(c, x->string);
        kv[*n].value = dup(c, x->valuestring);
        (*n)++;
    }
    return kv;
}

static void meta(SchedV1 *c, const cJSON *obj, const char *path, SchedV1Meta *m)
{
    char sub[PATH], lab[PATH];
    memset(m, 0, sizeof *m);
    const cJSON *md = child(c, obj, "metadata", path, cJSON_Object, sub);
    if (md == NULL) {
        sched_v1_fail(c, sub, "is required");
        return;
    }
    sched_v1_keys(c, md, sub, meta_keys);
    m->name = get_str(c, md, "name", sub);
    m->ns = get_str(c, md, "namespace", sub);
    if (m->ns == NULL)
        m->ns = "default";
    if (m->name == NULL || *m->name == '\0')
        sched_v1_fail(c, sub, "name is required");
    const cJSON *labels = child(c, md, "labels", sub, cJSON_Object, lab);
    m->labels = string_map(c, labels, lab, &m->nlabels);
}

/* ---- selectors ------------------------------------------------------------ */
static SimSelOp sel_op(SchedV1 *c, const char *op, const char *path)
{
    static const char *const names[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};
    for (int i = 0; op && i < 6; i++)
        if (strcmp(op, names[i]) == 0)
            return (SimSelOp)i;
    sched_v1_fail(c, path, "operator \"%s\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt",
                  op ? op : "");
    return SIM_SEL_IN;
}

static void requirement(SchedV1 *c, const cJSON *j, const char *path, SimSelReq *r, const char *key_alias)
{
    static const char *const keys[] = {"key", "operator", "values", NULL};
    char sub[PATH];
    sched_v1_keys(c, j, path, keys);
    const char *key = get_str(c, j, "key", path);
    r->key = (char *)(key_alias && key ? key_alias : key);
    if (key == NULL)
        sched_v1_fail(c, path, "key is required");
    snprintf(sub, sizeof sub, "%s.operator", path);
    r->op = sel_op(c, get_str(c, j, "operator", path), sub);
    const cJSON *vals = child(c, j, "values", path, cJSON_Array, sub);
    r->nvalues = vals ? (size_t)cJSON_GetArraySize(vals) : 0;
    r->values = alloc(c, r->nvalues * sizeof *r->values);
    size_t i = 0;
    for (const cJSON *v = vals ? vals->child : NULL; v && r->values; v = v->next, i++) {
        if (!cJSON_IsString(v)) {
            sched_v1_fail(c, sub, "values must be strings");
            return;
        }
        r->values[i] = dup(c, v->valuestring);
    }
}

/* A list of requirements appended to sel. */
static void requirements(SchedV1 *c, const cJSON *arr, const char *path, SimSelector *sel, const char *alias)
{
    if (arr == NULL || c->failed)
        return;
    size_t n = (size_t)cJSON_GetArraySize(arr), base = sel->nreqs, i = 0;
    SimSelReq *reqs = alloc(c, (base + n) * sizeof *reqs);
    if (reqs == NULL)
        return;
    if (base)
        memcpy(reqs, sel->reqs, base * sizeof *reqs);
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        char sub[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        requirement(c, x, sub, &reqs[base + i], alias);
    }
    sel->reqs = reqs;
    sel->nreqs = base + n;
}

static void map_to_reqs(SchedV1 *c, const SimKV *kv, size_t n, SimSelector *sel)
{
    SimSelReq *reqs = alloc(c, (sel->nreqs + n) * sizeof *reqs);
    if (reqs == NULL)
        return;
    if (sel->nreqs)
        memcpy(reqs, sel->reqs, sel->nreqs * sizeof *reqs);
    for (size_t i = 0; i < n; i++) {
        SimSelReq *r = &reqs[sel->nreqs + i];
        r->key = kv[i].key;
        r->op = SIM_SEL_IN;
        r->values = alloc(c, sizeof(char *));
        if (r->values)
            r->values[0] = kv[i].value;
        r->nvalues = 1;
    }
    sel->reqs = reqs;
    sel->nreqs += n;
}

/* metav1.LabelSelector. */
static void label_selector(SchedV1 *c, const cJSON *j, const char *path, SimSelector *sel)
{
    static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
    char sub[PATH];
    memset(sel, 0, sizeof *sel);
    if (j == NULL)
        return;
    sched_v1_keys(c, j, path, keys);
    size_t n;
    SimKV *kv = string_map(c, child(c, j, "matchLabels", path, cJSON_Object, sub), sub, &n);
    map_to_reqs(c, kv, n, sel);
    requirements(c, child(c, j, "matchExpressions", path, cJSON_Array, sub), sub, sel, NULL);
}

/* ---- nodes ----------------------------------------------------------------- */
static int taint_effect(const char *s, SimTaintEffect *out)
{
    static const char *const names[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (SimTaintEffect)i;
            return 1;
        }
    return 0;
}

static void taints(SchedV1 *c, const cJSON *arr, const char *path, SchedV1Node *n)
{
    static const char *const keys[] = {"key", "value", "effect", "timeAdded", NULL};
    if (arr == NULL)
        return;
    n->ntaints = (size_t)cJSON_GetArraySize(arr);
    n->taints = alloc(c, n->ntaints * sizeof *n->taints);
    size_t i = 0;
    for (const cJSON *x = arr->child; x && n->taints; x = x->next, i++) {
        char sub[PATH], eff[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        sched_v1_keys(c, x, sub, keys);
        SimTaint *t = &n->taints[i];
        t->key = (char *)get_str(c, x, "key", sub);
        const char *v = get_str(c, x, "value", sub);
        t->value = (char *)(v ? v : "");
        const char *e = get_str(c, x, "effect", sub);
        snprintf(eff, sizeof eff, "%s.effect", sub);
        if (!c->failed && t->key == NULL)
            sched_v1_fail(c, sub, "key is required");
        if (!c->failed && !taint_effect(e, &t->effect))
            sched_v1_fail(c, eff, "\"%s\" is not one of NoSchedule, PreferNoSchedule, NoExecute", e ? e : "");
    }
}

/* Resource names kubesim models, or knows and ignores; a name with a '/' is
 * an extended resource (only nvidia.com/gpu is modelled). */
static int resource_known(const char *name)
{
    static const char *const known[] = {"cpu", "memory", "pods", "ephemeral-storage", "storage", NULL};
    return in_list(name, known) || strncmp(name, "hugepages-", 10) == 0 || strchr(name, '/') != NULL;
}

static void resources(SchedV1 *c, const cJSON *j, const char *path, SimRes *r)
{
    for (const cJSON *x = j ? j->child : NULL; x && !c->failed; x = x->next) {
        char sub[PATH];
        snprintf(sub, sizeof sub, "%s.%s", path, x->string);
        if (!resource_known(x->string)) {
            sched_v1_fail(c, sub, "unknown resource \"%s\"", x->string);
            return;
        }
        if (strcmp(x->string, "cpu") == 0)
            r->cpu_m = quantity(c, x, sub, 1);
        else if (strcmp(x->string, "memory") == 0)
            r->mem = quantity(c, x, sub, 0);
        else if (strcmp(x->string, "nvidia.com/gpu") == 0)
            r->gpu = quantity(c, x, sub, 0);
        else if (strcmp(x->string, "pods") == 0)
            r->pods = quantity(c, x, sub, 0);
        else
            (void)quantity(c, x, sub, 0);   /* validated, not modelled */
    }
}

void sched_v1_node(SchedV1 *c, const cJSON *j, const char *path, SchedV1Node *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const spec_keys[] = {"taints", "unschedulable", "podCIDR", "podCIDRs", "providerID",
                                            "configSource", "externalID", NULL};
    static const char *const status_keys[] = {"allocatable", "capacity", "conditions", "addresses",
                                              "daemonEndpoints", "nodeInfo", "images", "volumesInUse",
                                              "volumesAttached", "phase", "config", "runtimeHandlers",
                                              "features", NULL};
    char sub[PATH], sub2[PATH];
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, top);
    meta(c, j, path, &out->meta);
    const cJSON *spec = child(c, j, "spec", path, cJSON_Object, sub);
    if (spec) {
        sched_v1_keys(c, spec, sub, spec_keys);
        taints(c, child(c, spec, "taints", sub, cJSON_Array, sub2), sub2, out);
        const cJSON *u = child(c, spec, "unschedulable", sub, cJSON_True, sub2);
        out->unschedulable = u && cJSON_IsTrue(u);
    }
    const cJSON *status = child(c, j, "status", path, cJSON_Object, sub);
    const cJSON *alloc_j = status ? child(c, status, "allocatable", sub, cJSON_Object, sub2) : NULL;
    if (status)
        sched_v1_keys(c, status, sub, status_keys);
    if (alloc_j == NULL && !c->failed) {
        sched_v1_fail(c, status ? sub2 : sub, "status.allocatable is required");
        return;
    }
    out->alloc.pods = 110;   /* the kubelet's default maxPods */
    resources(c, alloc_j, sub2, &out->alloc);
}

/* ---- pods ------------------------------------------------------------------ */
static void tolerations(SchedV1 *c, const cJSON *arr, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"key", "operator", "value", "effect", "tolerationSeconds", NULL};
    if (arr == NULL)
        return;
    s->ntolerations = (size_t)cJSON_GetArraySize(arr);
    s->tolerations = alloc(c, s->ntolerations * sizeof *s->tolerations);
    size_t i = 0;
    for (const cJSON *x = arr->child; x && s->tolerations; x = x->next, i++) {
        char sub[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        sched_v1_keys(c, x, sub, keys);
        SimToleration *t = &s->tolerations[i];
        const char *key = get_str(c, x, "key", sub), *op = get_str(c, x, "operator", sub);
        const char *value = get_str(c, x, "value", sub), *eff = get_str(c, x, "effect", sub);
        t->key = (char *)(key ? key : "");
        t->value = (char *)(value ? value : "");
        snprintf(f, sizeof f, "%s.operator", sub);
        if (op && strcmp(op, "Exists") != 0 && strcmp(op, "Equal") != 0)
            sched_v1_fail(c, f, "\"%s\" is not Equal or Exists", op);
        t->op = op && strcmp(op, "Exists") == 0 ? SIM_TOL_EXISTS : SIM_TOL_EQUAL;
        SimTaintEffect e = SIM_TAINT_NO_SCHEDULE;
        snprintf(f, sizeof f, "%s.effect", sub);
        if (eff && *eff && !taint_effect(eff, &e))
            sched_v1_fail(c, f, "\"%s\" is not one of NoSchedule, PreferNoSchedule, NoExecute", eff);
        t->effect = eff && *eff ? (int)e : -1;
        t->seconds = get_int(c, x, "tolerationSeconds", sub, -1, INT64_MIN / 2, INT64_MAX / 2);
    }
}

static void node_terms(SchedV1 *c, const cJSON *ns, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"nodeSelectorTerms", NULL};
    static const char *const term_keys[] = {"matchExpressions", "matchFields", NULL};
    char sub[PATH], f[PATH];
    sched_v1_keys(c, ns, path, keys);
    const cJSON *terms = child(c, ns, "nodeSelectorTerms", path, cJSON_Array, sub);
    s->nnode_required = terms ? (size_t)cJSON_GetArraySize(terms) : 0;
    s->node_required = alloc(c, s->nnode_required * sizeof *s->node_required);
    size_t i = 0;
    for (const cJSON *t = terms ? terms->child : NULL; t && s->node_required; t = t->next, i++) {
        char tp[PATH];
        snprintf(tp, sizeof tp, "%s[%zu]", sub, i);
        sched_v1_keys(c, t, tp, term_keys);
        requirements(c, child(c, t, "matchExpressions", tp, cJSON_Array, f), f, &s->node_required[i], NULL);
        /* matchFields supports metadata.name only, which is the hostname label here. */
        requirements(c, child(c, t, "matchFields", tp, cJSON_Array, f), f, &s->node_required[i],
                     "kubernetes.io/hostname");
    }
}

static void node_preferred(SchedV1 *c, const cJSON *arr, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"weight", "preference", NULL};
    static const char *const pref_keys[] = {"matchExpressions", "matchFields", NULL};
    s->nnode_preferred = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    s->node_preferred = alloc(c, s->nnode_preferred * sizeof *s->node_preferred);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && s->node_preferred; x = x->next, i++) {
        char sub[PATH], pp[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        sched_v1_keys(c, x, sub, keys);
        s->node_preferred[i].weight = (int32_t)get_int(c, x, "weight", sub, 1, 1, 100);
        const cJSON *pref = child(c, x, "preference", sub, cJSON_Object, pp);
        if (pref == NULL)
            continue;
        sched_v1_keys(c, pref, pp, pref_keys);
        requirements(c, child(c, pref, "matchExpressions", pp, cJSON_Array, f), f, &s->node_preferred[i].term, NULL);
        requirements(c, child(c, pref, "matchFields", pp, cJSON_Array, f), f, &s->node_preferred[i].term,
                     "kubernetes.io/hostname");
    }
}

static void pod_term(SchedV1 *c, const cJSON *j, const char *path, SimPodAffinityTerm *t)
{
    static const char *const keys[] = {"labelSelector", "topologyKey", "namespaces", "namespaceSelector",
                                       "matchLabelKeys", "mismatchLabelKeys", NULL};
    char sub[PATH];
    sched_v1_keys(c, j, path, keys);
    label_selector(c, child(c, j, "labelSelector", path, cJSON_Object, sub), sub, &t->selector);
    t->topology_key = (char *)get_str(c, j, "topologyKey", path);
    if (!c->failed && (t->topology_key == NULL || *t->topology_key == '\0'))
        sched_v1_fail(c, path, "topologyKey is required");
}

static SimPodAffinityTerm *pod_terms(SchedV1 *c, const cJSON *arr, const char *path, int weighted, size_t *n)
{
    static const char *const wkeys[] = {"weight", "podAffinityTerm", NULL};
    *n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    SimPodAffinityTerm *terms = alloc(c, *n * sizeof *terms);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && terms; x = x->next, i++) {
        char sub[PATH], tp[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!weighted) {
            pod_term(c, x, sub, &terms[i]);
            continue;
        }
        sched_v1_keys(c, x, sub, wkeys);
        terms[i].weight = (int32_t)get_int(c, x, "weight", sub, 1, 1, 100);
        const cJSON *pt = child(c, x, "podAffinityTerm", sub, cJSON_Object, tp);
        if (pt)
            pod_term(c, pt, tp, &terms[i]);
        else
            sched_v1_fail(c, tp, "is required");
    }
    return terms;
}

static void pod_affinity(SchedV1 *c, const cJSON *j, const char *path, SimPodAffinity *a, int anti)
{
    static const char *const keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
                                       "preferredDuringSchedulingIgnoredDuringExecution", NULL};
    char sub[PATH];
    sched_v1_keys(c, j, path, keys);
    const cJSON *req = child(c, j, keys[0], path, cJSON_Array, sub);
    SimPodAffinityTerm *r = pod_terms(c, req, sub, 0, anti ? &a->nreq_anti : &a->nreq_affinity);
    const cJSON *pref = child(c, j, keys[1], path, cJSON_Array, sub);
    SimPodAffinityTerm *p = pod_terms(c, pref, sub, 1, anti ? &a->npref_anti : &a->npref_affinity);
    if (anti) {
        a->req_anti = r;
        a->pref_anti = p;
    } else {
        a->req_affinity = r;
        a->pref_affinity = p;
    }
}

static void affinity(SchedV1 *c, const cJSON *j, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"nodeAffinity", "podAffinity", "podAntiAffinity", NULL};
    static const char *const na_keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
                                          "preferredDuringSchedulingIgnoredDuringExecution", NULL};
    char sub[PATH], f[PATH];
    sched_v1_keys(c, j, path, keys);
    const cJSON *na = child(c, j, "nodeAffinity", path, cJSON_Object, sub);
    if (na) {
        sched_v1_keys(c, na, sub, na_keys);
        const cJSON *req = child(c, na, na_keys[0], sub, cJSON_Object, f);
        if (req)
            node_terms(c, req, f, s);
        node_preferred(c, child(c, na, na_keys[1], sub, cJSON_Array, f), f, s);
    }
    const cJSON *pa = child(c, j, "podAffinity", path, cJSON_Object, sub);
    if (pa)
        pod_affinity(c, pa, sub, &s->affinity, 0);
    const cJSON *paa = child(c, j, "podAntiAffinity", path, cJSON_Object, sub);
    if (paa)
        pod_affinity(c, paa, sub, &s->affinity, 1);
}

static void spread(SchedV1 *c, const cJSON *arr, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector",
                                       "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy",
                                       "matchLabelKeys", NULL};
    s->nspread = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    s->spread = alloc(c, s->nspread * sizeof *s->spread);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && s->spread; x = x->next, i++) {
        char sub[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        sched_v1_keys(c, x, sub, keys);
        SimSpread *sp = &s->spread[i];
        sp->max_skew = (int32_t)get_int(c, x, "maxSkew", sub, 1, 1, INT32_MAX);
        sp->topology_key = (char *)get_str(c, x, "topologyKey", sub);
        const char *when = get_str(c, x, "whenUnsatisfiable", sub);
        snprintf(f, sizeof f, "%s.whenUnsatisfiable", sub);
        if (when && strcmp(when, "DoNotSchedule") != 0 && strcmp(when, "ScheduleAnyway") != 0)
            sched_v1_fail(c, f, "\"%s\" is not DoNotSchedule or ScheduleAnyway", when);
        if (!c->failed && (sp->topology_key == NULL || when == NULL))
            sched_v1_fail(c, sub, "topologyKey and whenUnsatisfiable are required");
        sp->do_not_schedule = when && strcmp(when, "DoNotSchedule") == 0;
        sp->min_domains = (int32_t)get_int(c, x, "minDomains", sub, 0, 1, INT32_MAX);
        label_selector(c, child(c, x, "labelSelector", sub, cJSON_Object, f), f, &sp->selector);
    }
}

/* *sum += v for a pod's containers: each term is at most the quantity limit,
 * and so must the sum be (a pod of many huge containers would otherwise
 * overflow int64_t on the way to the scheduler). */
static void add_capped(SchedV1 *c, int64_t *sum, int64_t v, const char *path)
{
    if (*sum > SCHED_V1_QUANTITY_LIMIT - v) {
        sched_v1_fail(c, path, "the pod's containers request more than kubesim models (2^53 in all)");
        return;
    }
    *sum += v;
}

/* Upstream's effective request: max(Σ app containers, max init container). */
static void containers(SchedV1 *c, const cJSON *arr, const char *path, SimPodSpec *s, int init)
{
    static const char *const keys[] = {"name", "image", "command", "args", "workingDir", "ports", "envFrom",
                                       "env", "resources", "volumeMounts", "volumeDevices", "livenessProbe",
                                       "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
                                       "terminationMessagePolicy", "imagePullPolicy", "securityContext",
                                       "stdin", "stdinOnce", "tty", "restartPolicy", "resizePolicy", NULL};
    static const char *const rkeys[] = {"requests", "limits", "claims", NULL};
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && !c->failed; x = x->next, i++) {
        char sub[PATH], rp[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        sched_v1_keys(c, x, sub, keys);
        SimRes req = {0, 0, 0, 0}, lim = {0, 0, 0, 0};
        const cJSON *res = child(c, x, "resources", sub, cJSON_Object, rp);
        if (res) {
            sched_v1_keys(c, res, rp, rkeys);
            resources(c, child(c, res, "requests", rp, cJSON_Object, f), f, &req);
            resources(c, child(c, res, "limits", rp, cJSON_Object, f), f, &lim);
        }
        /* API defaulting: a limit without a request sets the request. */
        req.cpu_m = req.cpu_m ? req.cpu_m : lim.cpu_m;
        req.mem = req.mem ? req.mem : lim.mem;
        req.gpu = req.gpu ? req.gpu : lim.gpu;
        if (init) {
            s->req.cpu_m = req.cpu_m > s->req.cpu_m ? req.cpu_m : s->req.cpu_m;
            s->req.mem = req.mem > s->req.mem ? req.mem : s->req.mem;
            s->req.gpu = req.gpu > s->req.gpu ? req.gpu : s->req.gpu;
        } else {
            add_capped(c, &s->req.cpu_m, req.cpu_m, sub);
            add_capped(c, &s->req.mem, req.mem, sub);
            add_capped(c, &s->req.gpu, req.gpu, sub);
            add_capped(c, &s->lim_cpu_m, lim.cpu_m, sub);
            add_capped(c, &s->lim_mem, lim.mem, sub);
        }
    }
}

static const char *const pod_spec_keys[] = {
    "containers", "initContainers", "ephemeralContainers", "nodeName", "nodeSelector", "affinity",
    "tolerations", "topologySpreadConstraints", "priorityClassName", "priority", "preemptionPolicy",
    "schedulerName", "restartPolicy", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
    "volumes", "securityContext", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy",
    "dnsConfig", "hostNetwork", "hostPID", "hostIPC", "hostname", "subdomain", "overhead", "runtimeClassName",
    "enableServiceLinks", "readinessGates", "shareProcessNamespace", "imagePullSecrets", "hostAliases", "os",
    "schedulingGates", "resourceClaims", "setHostnameAsFQDN", "hostUsers", "resources", NULL};

static void pod_spec(SchedV1 *c, const cJSON *spec, const char *path, SchedV1Pod *out)
{
    char sub[PATH], sub2[PATH];
    SimPodSpec *s = &out->spec;
    sched_v1_keys(c, spec, path, pod_spec_keys);
    const cJSON *cs = child(c, spec, "containers", path, cJSON_Array, sub);
    if (cs == NULL || cJSON_GetArraySize(cs) == 0)
        sched_v1_fail(c, sub, "at least one container is required");
    SimRes app;
    containers(c, cs, sub, s, 0);
    app = s->req;
    s->req = (SimRes){0, 0, 0, 0};
    containers(c, child(c, spec, "initContainers", path, cJSON_Array, sub), sub, s, 1);
    s->req.cpu_m = app.cpu_m > s->req.cpu_m ? app.cpu_m : s->req.cpu_m;
    s->req.mem = app.mem > s->req.mem ? app.mem : s->req.mem;
    s->req.gpu = app.gpu > s->req.gpu ? app.gpu : s->req.gpu;
    SimRes overhead = {0, 0, 0, 0};
    resources(c, child(c, spec, "overhead", path, cJSON_Object, sub), sub, &overhead);
    s->req.cpu_m += overhead.cpu_m;
    s->req.mem += overhead.mem;
    s->req.pods = 1;
    s->node_name = get_str(c, spec, "nodeName", path);
    size_t n;
    SimKV *ns = string_map(c, child(c, spec, "nodeSelector", path, cJSON_Object, sub), sub, &n);
    map_to_reqs(c, ns, n, &s->node_selector);
    const cJSON *aff = child(c, spec, "affinity", path, cJSON_Object, sub);
    if (aff)
        affinity(c, aff, sub, s);
    tolerations(c, child(c, spec, "tolerations", path, cJSON_Array, sub), sub, s);
    spread(c, child(c, spec, "topologySpreadConstraints", path, cJSON_Array, sub), sub, s);
    s->priority_class = get_str(c, spec, "priorityClassName", path);
    out->has_priority = cJSON_GetObjectItemCaseSensitive(spec, "priority") != NULL;
    s->priority = (int32_t)get_int(c, spec, "priority", path, 0, INT32_MIN, INT32_MAX);
    const char *pp = get_str(c, spec, "preemptionPolicy", path);
    snprintf(sub2, sizeof sub2, "%s.preemptionPolicy", path);
    if (pp && strcmp(pp, "Never") != 0 && strcmp(pp, "PreemptLowerPriority") != 0)
        sched_v1_fail(c, sub2, "\"%s\" is not PreemptLowerPriority or Never", pp);
    s->preempt_never = pp && strcmp(pp, "Never") == 0;
}

void sched_v1_pod(SchedV1 *c, const cJSON *j, const char *path, SchedV1Pod *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    char sub[PATH];
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, top);
    meta(c, j, path, &out->meta);
    out->spec.labels = out->meta.labels;
    out->spec.nlabels = out->meta.nlabels;
    const cJSON *spec = child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL)
        sched_v1_fail(c, sub, "is required");
    else
        pod_spec(c, spec, sub, out);
}

/* The kind of the pod's controller (upstream GetControllerOf: the owner
 * reference with controller true). */
SimWlKind sched_v1_owner_kind(SchedV1 *c, const cJSON *j, const char *path)
{
    static const char *const keys[] = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion", NULL};
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metadata"),
                                                         "ownerReferences"), *r;
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.metadata.ownerReferences", path);
    if (refs && !cJSON_IsArray(refs))
        sched_v1_fail(c, sub, "expected an array");
    size_t i = 0;
    cJSON_ArrayForEach(r, refs) {
        char rp[PATH];
        snprintf(rp, sizeof rp, "%s[%zu]", sub, i++);
        sched_v1_keys(c, r, rp, keys);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
        if (!sched_v1_failed(c) && !cJSON_IsString(kind))
            sched_v1_fail(c, rp, "kind is required");
        if (sched_v1_failed(c) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller")))
            continue;
        const char *k = kind->valuestring;
        if (strcmp(k, "ReplicaSet") == 0 || strcmp(k, "ReplicationController") == 0 || strcmp(k, "Deployment") == 0)
            return SIM_WL_DEPLOYMENT;
        if (strcmp(k, "StatefulSet") == 0)
            return SIM_WL_STATEFULSET;
        if (strcmp(k, "Job") == 0)
            return SIM_WL_JOB;
        if (strcmp(k, "DaemonSet") == 0)
            return SIM_WL_DAEMONSET;
        return SIM_WL_POD;   /* a custom controller: upstream's default treats it as unreplicated */
    }
    return SIM_WL_POD;
}

/* ---- policy objects --------------------------------------------------------- */
void sched_v1_priorityclass(SchedV1 *c, const cJSON *j, const char *path, SimPriorityClass *out)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "value", "globalDefault",
                                       "description", "preemptionPolicy", NULL};
    char sub[PATH];
    SchedV1Meta m;
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, keys);
    meta(c, j, path, &m);
    out->name = (char *)m.name;
    if (cJSON_GetObjectItemCaseSensitive(j, "value") == NULL)
        sched_v1_fail(c, path, "value is required");
    out->value = (int32_t)get_int(c, j, "value", path, 0, -2147483648LL, 1000000000);
    const cJSON *gd = child(c, j, "globalDefault", path, cJSON_True, sub);
    out->global_default = gd && cJSON_IsTrue(gd);
    const char *pp = get_str(c, j, "preemptionPolicy", path);
    out->preempt_never = pp && strcmp(pp, "Never") == 0;
}

/* An int or a percentage ("50%"). */
static void int_or_percent(SchedV1 *c, const cJSON *x, const char *path, int32_t *v, int *pct)
{
    int n = 0;
    if (cJSON_IsNumber(x) && whole_in(x->valuedouble, 0, INT32_MAX)) {
        *v = (int32_t)x->valuedouble;
        *pct = 0;
    } else if (cJSON_IsString(x) && sscanf(x->valuestring, "%d%%%n", v, &n) == 1 && x->valuestring[n] == '\0' &&
               *v >= 0 && *v <= 100) {
        *pct = 1;
    } else {
        sched_v1_fail(c, path, "expected a non-negative integer or a percentage such as \"50%%\"");
    }
}

void sched_v1_pdb(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *m, SimPdb *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const keys[] = {"minAvailable", "maxUnavailable", "selector",
                                       "unhealthyPodEvictionPolicy", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, top);
    meta(c, j, path, m);
    out->name = (char *)m->name;
    const cJSON *spec = child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL) {
        sched_v1_fail(c, sub, "is required");
        return;
    }
    sched_v1_keys(c, spec, sub, keys);
    const cJSON *minav = cJSON_GetObjectItemCaseSensitive(spec, "minAvailable");
    const cJSON *maxun = cJSON_GetObjectItemCaseSensitive(spec, "maxUnavailable");
    if (!c->failed && (minav == NULL) == (maxun == NULL))
        sched_v1_fail(c, sub, "exactly one of minAvailable and maxUnavailable is required");
    out->max_unavailable = maxun != NULL;
    snprintf(f, sizeof f, "%s.%s", sub, maxun ? "maxUnavailable" : "minAvailable");
    if (!c->failed)
        int_or_percent(c, maxun ? maxun : minav, f, &out->value, &out->percent);
    label_selector(c, child(c, spec, "selector", sub, cJSON_Object, f), f, &out->selector);
}

static void scope_selector(SchedV1 *c, const cJSON *spec, const char *path, SimQuota *q)
{
    static const char *const keys[] = {"matchExpressions", NULL};
    static const char *const ekeys[] = {"scopeName", "operator", "values", NULL};
    char sub[PATH], f[PATH];
    const cJSON *ss = child(c, spec, "scopeSelector", path, cJSON_Object, sub);
    if (ss == NULL)
        return;
    sched_v1_keys(c, ss, sub, keys);
    const cJSON *arr = child(c, ss, "matchExpressions", sub, cJSON_Array, f);
    q->scope.nreqs = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    q->scope.reqs = alloc(c, q->scope.nreqs * sizeof *q->scope.reqs);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && q->scope.reqs; x = x->next, i++) {
        char ep[PATH];
        snprintf(ep, sizeof ep, "%s[%zu]", f, i);
        sched_v1_keys(c, x, ep, ekeys);
        const char *scope = get_str(c, x, "scopeName", ep);
        if (!c->failed && (scope == NULL || strcmp(scope, "PriorityClass") != 0))
            sched_v1_fail(c, ep, "scopeName \"%s\": kubesim models the PriorityClass scope only",
                          scope ? scope : "");
        /* The same shape as a label requirement, keyed by the scope name. */
        cJSON *copy = cJSON_Duplicate(x, 1);
        if (copy == NULL) {
            sched_v1_fail(c, ep, "out of memory");
            return;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "scopeName");
        cJSON_AddStringToObject(copy, "key", "PriorityClass");
        requirement(c, copy, ep, &q->scope.reqs[i], NULL);
        cJSON_Delete(copy);
    }
}

void sched_v1_quota(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *m, SimQuota *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const keys[] = {"hard", "scopes", "scopeSelector", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, top);
    meta(c, j, path, m);
    out->name = (char *)m->name;
    const cJSON *spec = child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL) {
        sched_v1_fail(c, sub, "is required");
        return;
    }
    sched_v1_keys(c, spec, sub, keys);
    const cJSON *hard = child(c, spec, "hard", sub, cJSON_Object, f);
    for (const cJSON *x = hard ? hard->child : NULL; x && !c->failed; x = x->next) {
        char hp[PATH];
        snprintf(hp, sizeof hp, "%s.%s", f, x->string);
        int r = sim_quota_res_parse(x->string);
        if (r < 0) {
            sched_v1_fail(c, hp, "kubesim does not model quota resource \"%s\"", x->string);
            return;
        }
        out->hard[r] = quantity(c, x, hp, sim_quota_res_milli((SimQuotaRes)r));
        out->hard_set |= 1u << r;
    }
    scope_selector(c, spec, sub, out);
}

static void cpu_mem(SchedV1 *c, const cJSON *j, const char *path, SimCpuMem *out)
{
    SimRes r = {0, 0, 0, 0};
    resources(c, j, path, &r);
    out->cpu_m = r.cpu_m;
    out->mem = r.mem;
}

void sched_v1_limitrange(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *m, SimLimitRange *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const keys[] = {"limits", NULL};
    static const char *const item_keys[] = {"type", "max", "min", "default", "defaultRequest",
                                            "maxLimitRequestRatio", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    sched_v1_keys(c, j, path, top);
    meta(c, j, path, m);
    out->name = (char *)m->name;
    const cJSON *spec = child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL) {
        sched_v1_fail(c, sub, "is required");
        return;
    }
    sched_v1_keys(c, spec, sub, keys);
    const cJSON *limits = child(c, spec, "limits", sub, cJSON_Array, f);
    size_t i = 0;
    for (const cJSON *x = limits ? limits->child : NULL; x && !c->failed; x = x->next, i++) {
        char ip[PATH], fp[PATH];
        snprintf(ip, sizeof ip, "%s[%zu]", f, i);
        sched_v1_keys(c, x, ip, item_keys);
        const char *type = get_str(c, x, "type", ip);
        if (type && strcmp(type, "Container") != 0)
            continue;   /* Pod and PersistentVolumeClaim limits are not modelled */
        cpu_mem(c, child(c, x, "default", ip, cJSON_Object, fp), fp, &out->deflt);
        cpu_mem(c, child(c, x, "defaultRequest", ip, cJSON_Object, fp), fp, &out->deflt_req);
        cpu_mem(c, child(c, x, "min", ip, cJSON_Object, fp), fp, &out->min);
        cpu_mem(c, child(c, x, "max", ip, cJSON_Object, fp), fp, &out->max);
    }
}

/* ---- shared by the explain commands ---------------------------------------- */
int sched_v1_json_error(const char *file, const char *text, const char *at, SimErr *err)
{
    int line = 1, col = 1;
    for (const char *p = text; at && p < at; p++) {
        col = *p == '\n' ? 1 : col + 1;
        line += *p == '\n';
    }
    return sim_err_set(err, SIM_EINVAL, "%s:%d:%d: not valid JSON", file, line, col);
}

void sched_v1_print_answer(const cJSON *answer, int as_json, FILE *out, void (*text)(const cJSON *, FILE *))
{
    if (!as_json) {
        text(answer, out);
        return;
    }
    char *s = cJSON_Print(answer);
    fprintf(out, "%s\n", s ? s : "{}");
    cJSON_free(s);
}
