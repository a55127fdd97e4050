/*
 * v1.c: Kubernetes v1 objects (JSON) into the model (kube.h). The field lists
 * below are the API's own (core/v1, scheduling/v1, policy/v1), so real
 * manifests pass and only misspelt or invented fields are refused. Requests
 * follow upstream's effective-request formula (kube_effective_request).
 */
#include "kube/kube_int.h"

#include <stdio.h>
#include <string.h>

#define PATH KUBE_PATH

static int in_list(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- metadata ------------------------------------------------------------ */
static const char *const meta_keys[] = {"name", "namespace", "labels", "annotations", "uid", "generateName",
                                        "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                                        "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
                                        "managedFields", "selfLink", NULL};

static SimKV *string_map(KubeReader *c, const cJSON *j, const char *path, size_t *n)
{
    *n = 0;
    if (j == NULL || c->failed)
        return NULL;
    size_t count = (size_t)cJSON_GetArraySize(j);
    SimKV *kv = kube_alloc(c, count * sizeof *kv);
    for (const cJSON *x = j->child; kv && x; x = x->next) {
        char sub[PATH];
        snprintf(sub, sizeof sub, "%s.%s", path, x->string);
        if (!kube_is_text(x)) {
            kube_fail(c, sub, "expected a string");
            return NULL;
        }
        kv[*n].key = kube_strdup(c, x->string);
        kv[*n].value = kube_strdup(c, x->valuestring);
        (*n)++;
    }
    return kv;
}

/* An object's metadata; a template's (named 0) may be absent and unnamed. */
static void meta_of(KubeReader *c, const cJSON *obj, const char *path, KubeMeta *m, int named)
{
    char sub[PATH], lab[PATH];
    memset(m, 0, sizeof *m);
    m->ns = "default";
    const cJSON *md = kube_child(c, obj, "metadata", path, cJSON_Object, sub);
    if (md == NULL) {
        if (named)
            kube_fail(c, sub, "is required");
        return;
    }
    kube_keys(c, md, sub, meta_keys);
    m->name = kube_get_str(c, md, "name", sub);
    m->ns = kube_get_str(c, md, "namespace", sub);
    if (m->ns == NULL)
        m->ns = "default";
    if (named && (m->name == NULL || *m->name == '\0'))
        kube_fail(c, sub, "name is required");
    const cJSON *labels = kube_child(c, md, "labels", sub, cJSON_Object, lab);
    m->labels = string_map(c, labels, lab, &m->nlabels);
}

static void meta(KubeReader *c, const cJSON *obj, const char *path, KubeMeta *m)
{
    meta_of(c, obj, path, m, 1);
}

/* ---- selectors ------------------------------------------------------------ */
const char *const kube_sel_op_names[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};
const char *const kube_taint_effect_names[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};

static SimSelOp sel_op(KubeReader *c, const char *op, const char *path)
{
    for (int i = 0; op && i < 6; i++)
        if (strcmp(op, kube_sel_op_names[i]) == 0)
            return (SimSelOp)i;
    kube_fail(c, path, "operator \"%s\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt",
                  op ? op : "");
    return SIM_SEL_IN;
}

static void requirement(KubeReader *c, const cJSON *j, const char *path, SimSelReq *r, const char *key_alias)
{
    static const char *const keys[] = {"key", "operator", "values", NULL};
    char sub[PATH];
    kube_keys(c, j, path, keys);
    const char *key = kube_get_str(c, j, "key", path);
    r->key = (char *)(key_alias && key ? key_alias : key);
    if (key == NULL)
        kube_fail(c, path, "key is required");
    snprintf(sub, sizeof sub, "%s.operator", path);
    r->op = sel_op(c, kube_get_str(c, j, "operator", path), sub);
    const cJSON *vals = kube_child(c, j, "values", path, cJSON_Array, sub);
    r->nvalues = vals ? (size_t)cJSON_GetArraySize(vals) : 0;
    r->values = kube_alloc(c, r->nvalues * sizeof *r->values);
    size_t i = 0;
    for (const cJSON *v = vals ? vals->child : NULL; v && r->values; v = v->next, i++) {
        if (!kube_is_text(v)) {
            kube_fail(c, sub, "values must be strings");
            return;
        }
        r->values[i] = kube_strdup(c, v->valuestring);
    }
}

/* A list of requirements appended to sel. */
static void requirements(KubeReader *c, const cJSON *arr, const char *path, SimSelector *sel, const char *alias)
{
    if (arr == NULL || c->failed)
        return;
    size_t n = (size_t)cJSON_GetArraySize(arr), base = sel->nreqs, i = 0;
    SimSelReq *reqs = kube_alloc(c, (base + n) * sizeof *reqs);
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

static void map_to_reqs(KubeReader *c, const SimKV *kv, size_t n, SimSelector *sel)
{
    SimSelReq *reqs = kube_alloc(c, (sel->nreqs + n) * sizeof *reqs);
    if (reqs == NULL)
        return;
    if (sel->nreqs)
        memcpy(reqs, sel->reqs, sel->nreqs * sizeof *reqs);
    for (size_t i = 0; i < n; i++) {
        SimSelReq *r = &reqs[sel->nreqs + i];
        r->key = kv[i].key;
        r->op = SIM_SEL_IN;
        r->values = kube_alloc(c, sizeof(char *));
        if (r->values)
            r->values[0] = kv[i].value;
        r->nvalues = 1;
    }
    sel->reqs = reqs;
    sel->nreqs += n;
}

/* metav1.LabelSelector; what was written into g when it is not NULL. */
static void label_selector(KubeReader *c, const cJSON *j, const char *path, SimSelector *sel, KubeSelGiven *g)
{
    static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
    char sub[PATH];
    memset(sel, 0, sizeof *sel);
    if (j == NULL)
        return;
    kube_keys(c, j, path, keys);
    size_t n;
    SimKV *kv = string_map(c, kube_child(c, j, "matchLabels", path, cJSON_Object, sub), sub, &n);
    map_to_reqs(c, kv, n, sel);
    if (g)
        g->given = 1, g->nlabels = sel->nreqs;
    requirements(c, kube_child(c, j, "matchExpressions", path, cJSON_Array, sub), sub, sel, NULL);
}

void kube_label_selector(KubeReader *c, const cJSON *j, const char *path, SimSelector *sel)
{
    label_selector(c, j, path, sel, NULL);
}

/* ---- nodes ----------------------------------------------------------------- */
static int taint_effect(const char *s, SimTaintEffect *out)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, kube_taint_effect_names[i]) == 0) {
            *out = (SimTaintEffect)i;
            return 1;
        }
    return 0;
}

static void taints(KubeReader *c, const cJSON *arr, const char *path, KubeNode *n)
{
    static const char *const keys[] = {"key", "value", "effect", "timeAdded", NULL};
    if (arr == NULL)
        return;
    n->ntaints = (size_t)cJSON_GetArraySize(arr);
    n->taints = kube_alloc(c, n->ntaints * sizeof *n->taints);
    size_t i = 0;
    for (const cJSON *x = arr->child; x && n->taints; x = x->next, i++) {
        char sub[PATH], eff[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        kube_keys(c, x, sub, keys);
        SimTaint *t = &n->taints[i];
        t->key = (char *)kube_get_str(c, x, "key", sub);
        const char *v = kube_get_str(c, x, "value", sub);
        t->value = (char *)(v ? v : "");
        const char *e = kube_get_str(c, x, "effect", sub);
        snprintf(eff, sizeof eff, "%s.effect", sub);
        if (!c->failed && t->key == NULL)
            kube_fail(c, sub, "key is required");
        if (!c->failed && !taint_effect(e, &t->effect))
            kube_fail(c, eff, "\"%s\" is not one of NoSchedule, PreferNoSchedule, NoExecute", e ? e : "");
    }
}

/* Resource names kubesim models, or knows and ignores; a name with a '/' is
 * an extended resource (only nvidia.com/gpu is modelled). */
static int resource_known(const char *name)
{
    static const char *const known[] = {"cpu", "memory", "pods", "ephemeral-storage", "storage", NULL};
    return in_list(name, known) || strncmp(name, "hugepages-", 10) == 0 || strchr(name, '/') != NULL;
}

/* The resources of map j into r; the KUBE_RES_* bits of those given into
 * *given when it is not NULL. */
static void resources_given(KubeReader *c, const cJSON *j, const char *path, SimRes *r, unsigned *given)
{
    for (const cJSON *x = j ? j->child : NULL; x && !c->failed; x = x->next) {
        char sub[PATH];
        snprintf(sub, sizeof sub, "%s.%s", path, x->string);
        if (!resource_known(x->string)) {
            kube_fail(c, sub, "unknown resource \"%s\"", x->string);
            return;
        }
        unsigned bit = 0;
        if (strcmp(x->string, "cpu") == 0)
            r->cpu_m = kube_quantity(c, x, sub, 1), bit = KUBE_RES_CPU;
        else if (strcmp(x->string, "memory") == 0)
            r->mem = kube_quantity(c, x, sub, 0), bit = KUBE_RES_MEM;
        else if (strcmp(x->string, "nvidia.com/gpu") == 0)
            r->gpu = kube_quantity(c, x, sub, 0), bit = KUBE_RES_GPU;
        else if (strcmp(x->string, "pods") == 0)
            r->pods = kube_quantity(c, x, sub, 0);
        else
            (void)kube_quantity(c, x, sub, 0);   /* validated, not modelled */
        if (given)
            *given |= bit;
    }
}

static void resources(KubeReader *c, const cJSON *j, const char *path, SimRes *r)
{
    resources_given(c, j, path, r, NULL);
}

void kube_node(KubeReader *c, const cJSON *j, const char *path, KubeNode *out)
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
    kube_keys(c, j, path, top);
    meta(c, j, path, &out->meta);
    const cJSON *spec = kube_child(c, j, "spec", path, cJSON_Object, sub);
    if (spec) {
        kube_keys(c, spec, sub, spec_keys);
        taints(c, kube_child(c, spec, "taints", sub, cJSON_Array, sub2), sub2, out);
        const cJSON *u = kube_child(c, spec, "unschedulable", sub, cJSON_True, sub2);
        out->unschedulable = u && cJSON_IsTrue(u);
    }
    const cJSON *status = kube_child(c, j, "status", path, cJSON_Object, sub);
    const cJSON *alloc_j = status ? kube_child(c, status, "allocatable", sub, cJSON_Object, sub2) : NULL;
    if (status)
        kube_keys(c, status, sub, status_keys);
    if (alloc_j == NULL && !c->failed) {
        kube_fail(c, status ? sub2 : sub, "status.allocatable is required");
        return;
    }
    out->alloc.pods = 110;   /* the kubelet's default maxPods */
    resources(c, alloc_j, sub2, &out->alloc);
}

/* ---- pods ------------------------------------------------------------------ */
static void tolerations(KubeReader *c, const cJSON *arr, const char *path, SimPodSpec *s, KubePodGiven *g)
{
    static const char *const keys[] = {"key", "operator", "value", "effect", "tolerationSeconds", NULL};
    if (arr == NULL)
        return;
    s->ntolerations = (size_t)cJSON_GetArraySize(arr);
    s->tolerations = kube_alloc(c, s->ntolerations * sizeof *s->tolerations);
    g->tolerations = kube_alloc(c, s->ntolerations);
    size_t i = 0;
    for (const cJSON *x = arr->child; x && s->tolerations && g->tolerations; x = x->next, i++) {
        char sub[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        kube_keys(c, x, sub, keys);
        for (unsigned b = 0; b < 5 && cJSON_IsObject(x); b++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, keys[b]);
            if (v && !cJSON_IsNull(v))
                g->tolerations[i] |= (uint8_t)(1u << b);   /* KUBE_TOL_* in the order of keys */
        }
        SimToleration *t = &s->tolerations[i];
        const char *key = kube_get_str(c, x, "key", sub), *op = kube_get_str(c, x, "operator", sub);
        const char *value = kube_get_str(c, x, "value", sub), *eff = kube_get_str(c, x, "effect", sub);
        t->key = (char *)(key ? key : "");
        t->value = (char *)(value ? value : "");
        snprintf(f, sizeof f, "%s.operator", sub);
        if (op && strcmp(op, "Exists") != 0 && strcmp(op, "Equal") != 0)
            kube_fail(c, f, "\"%s\" is not Equal or Exists", op);
        t->op = op && strcmp(op, "Exists") == 0 ? SIM_TOL_EXISTS : SIM_TOL_EQUAL;
        SimTaintEffect e = SIM_TAINT_NO_SCHEDULE;
        snprintf(f, sizeof f, "%s.effect", sub);
        if (eff && *eff && !taint_effect(eff, &e))
            kube_fail(c, f, "\"%s\" is not one of NoSchedule, PreferNoSchedule, NoExecute", eff);
        t->effect = eff && *eff ? (int)e : -1;
        t->seconds = kube_get_int(c, x, "tolerationSeconds", sub, -1, INT64_MIN / 2, INT64_MAX / 2);
    }
}

static void node_terms(KubeReader *c, const cJSON *ns, const char *path, SimPodSpec *s, KubePodGiven *g)
{
    static const char *const keys[] = {"nodeSelectorTerms", NULL};
    static const char *const term_keys[] = {"matchExpressions", "matchFields", NULL};
    char sub[PATH], f[PATH];
    kube_keys(c, ns, path, keys);
    const cJSON *terms = kube_child(c, ns, "nodeSelectorTerms", path, cJSON_Array, sub);
    g->node_required = terms != NULL;
    s->nnode_required = terms ? (size_t)cJSON_GetArraySize(terms) : 0;
    s->node_required = kube_alloc(c, s->nnode_required * sizeof *s->node_required);
    size_t i = 0;
    for (const cJSON *t = terms ? terms->child : NULL; t && s->node_required; t = t->next, i++) {
        char tp[PATH];
        snprintf(tp, sizeof tp, "%s[%zu]", sub, i);
        kube_keys(c, t, tp, term_keys);
        requirements(c, kube_child(c, t, "matchExpressions", tp, cJSON_Array, f), f, &s->node_required[i], NULL);
        /* matchFields supports metadata.name only, which is the hostname label here. */
        requirements(c, kube_child(c, t, "matchFields", tp, cJSON_Array, f), f, &s->node_required[i],
                     "kubernetes.io/hostname");
    }
}

static void node_preferred(KubeReader *c, const cJSON *arr, const char *path, SimPodSpec *s)
{
    static const char *const keys[] = {"weight", "preference", NULL};
    static const char *const pref_keys[] = {"matchExpressions", "matchFields", NULL};
    s->nnode_preferred = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    s->node_preferred = kube_alloc(c, s->nnode_preferred * sizeof *s->node_preferred);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && s->node_preferred; x = x->next, i++) {
        char sub[PATH], pp[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        kube_keys(c, x, sub, keys);
        s->node_preferred[i].weight = (int32_t)kube_get_int(c, x, "weight", sub, 1, 1, 100);
        const cJSON *pref = kube_child(c, x, "preference", sub, cJSON_Object, pp);
        if (pref == NULL)
            continue;
        kube_keys(c, pref, pp, pref_keys);
        requirements(c, kube_child(c, pref, "matchExpressions", pp, cJSON_Array, f), f, &s->node_preferred[i].term, NULL);
        requirements(c, kube_child(c, pref, "matchFields", pp, cJSON_Array, f), f, &s->node_preferred[i].term,
                     "kubernetes.io/hostname");
    }
}

static void pod_term(KubeReader *c, const cJSON *j, const char *path, SimPodAffinityTerm *t, KubeSelGiven *g)
{
    static const char *const keys[] = {"labelSelector", "topologyKey", "namespaces", "namespaceSelector",
                                       "matchLabelKeys", "mismatchLabelKeys", NULL};
    char sub[PATH];
    kube_keys(c, j, path, keys);
    label_selector(c, kube_child(c, j, "labelSelector", path, cJSON_Object, sub), sub, &t->selector, g);
    t->topology_key = (char *)kube_get_str(c, j, "topologyKey", path);
    if (!c->failed && (t->topology_key == NULL || *t->topology_key == '\0'))
        kube_fail(c, path, "topologyKey is required");
}

static SimPodAffinityTerm *pod_terms(KubeReader *c, const cJSON *arr, const char *path, int weighted, size_t *n,
                                     KubeSelGiven **sels)
{
    static const char *const wkeys[] = {"weight", "podAffinityTerm", NULL};
    *n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    SimPodAffinityTerm *terms = kube_alloc(c, *n * sizeof *terms);
    KubeSelGiven *g = *sels = kube_alloc(c, *n * sizeof *g);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && terms && g; x = x->next, i++) {
        char sub[PATH], tp[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!weighted) {
            pod_term(c, x, sub, &terms[i], &g[i]);
            continue;
        }
        kube_keys(c, x, sub, wkeys);
        terms[i].weight = (int32_t)kube_get_int(c, x, "weight", sub, 1, 1, 100);
        const cJSON *pt = kube_child(c, x, "podAffinityTerm", sub, cJSON_Object, tp);
        if (pt)
            pod_term(c, pt, tp, &terms[i], &g[i]);
        else
            kube_fail(c, tp, "is required");
    }
    return terms;
}

static void pod_affinity(KubeReader *c, const cJSON *j, const char *path, SimPodAffinity *a, int anti,
                         KubePodGiven *g)
{
    static const char *const keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
                                       "preferredDuringSchedulingIgnoredDuringExecution", NULL};
    char sub[PATH];
    kube_keys(c, j, path, keys);
    const cJSON *req = kube_child(c, j, keys[0], path, cJSON_Array, sub);
    SimPodAffinityTerm *r = pod_terms(c, req, sub, 0, anti ? &a->nreq_anti : &a->nreq_affinity,
                                      anti ? &g->req_anti_sel : &g->req_affinity_sel);
    *(anti ? &g->req_anti : &g->req_affinity) = req != NULL;
    const cJSON *pref = kube_child(c, j, keys[1], path, cJSON_Array, sub);
    SimPodAffinityTerm *p = pod_terms(c, pref, sub, 1, anti ? &a->npref_anti : &a->npref_affinity,
                                      anti ? &g->pref_anti_sel : &g->pref_affinity_sel);
    *(anti ? &g->pref_anti : &g->pref_affinity) = pref != NULL;
    if (anti) {
        a->req_anti = r;
        a->pref_anti = p;
    } else {
        a->req_affinity = r;
        a->pref_affinity = p;
    }
}

static void affinity(KubeReader *c, const cJSON *j, const char *path, SimPodSpec *s, KubePodGiven *g)
{
    static const char *const keys[] = {"nodeAffinity", "podAffinity", "podAntiAffinity", NULL};
    static const char *const na_keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
                                          "preferredDuringSchedulingIgnoredDuringExecution", NULL};
    char sub[PATH], f[PATH];
    kube_keys(c, j, path, keys);
    const cJSON *na = kube_child(c, j, "nodeAffinity", path, cJSON_Object, sub);
    g->node_affinity = na != NULL;
    if (na) {
        kube_keys(c, na, sub, na_keys);
        const cJSON *req = kube_child(c, na, na_keys[0], sub, cJSON_Object, f);
        if (req)
            node_terms(c, req, f, s, g);
        const cJSON *pref = kube_child(c, na, na_keys[1], sub, cJSON_Array, f);
        g->node_preferred = pref != NULL;
        node_preferred(c, pref, f, s);
    }
    const cJSON *pa = kube_child(c, j, "podAffinity", path, cJSON_Object, sub);
    g->pod_affinity = pa != NULL;
    if (pa)
        pod_affinity(c, pa, sub, &s->affinity, 0, g);
    const cJSON *paa = kube_child(c, j, "podAntiAffinity", path, cJSON_Object, sub);
    g->pod_anti = paa != NULL;
    if (paa)
        pod_affinity(c, paa, sub, &s->affinity, 1, g);
}

static void spread(KubeReader *c, const cJSON *arr, const char *path, SimPodSpec *s, KubePodGiven *g)
{
    static const char *const keys[] = {"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector",
                                       "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy",
                                       "matchLabelKeys", NULL};
    s->nspread = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    s->spread = kube_alloc(c, s->nspread * sizeof *s->spread);
    g->spread_sel = kube_alloc(c, s->nspread * sizeof *g->spread_sel);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && s->spread && g->spread_sel; x = x->next, i++) {
        char sub[PATH], f[PATH];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        kube_keys(c, x, sub, keys);
        SimSpread *sp = &s->spread[i];
        sp->max_skew = (int32_t)kube_get_int(c, x, "maxSkew", sub, 1, 1, INT32_MAX);
        sp->topology_key = (char *)kube_get_str(c, x, "topologyKey", sub);
        const char *when = kube_get_str(c, x, "whenUnsatisfiable", sub);
        snprintf(f, sizeof f, "%s.whenUnsatisfiable", sub);
        if (when && strcmp(when, "DoNotSchedule") != 0 && strcmp(when, "ScheduleAnyway") != 0)
            kube_fail(c, f, "\"%s\" is not DoNotSchedule or ScheduleAnyway", when);
        if (!c->failed && (sp->topology_key == NULL || when == NULL))
            kube_fail(c, sub, "topologyKey and whenUnsatisfiable are required");
        sp->do_not_schedule = when && strcmp(when, "DoNotSchedule") == 0;
        sp->min_domains = (int32_t)kube_get_int(c, x, "minDomains", sub, 0, 1, INT32_MAX);
        label_selector(c, kube_child(c, x, "labelSelector", sub, cJSON_Object, f), f, &sp->selector,
                       &g->spread_sel[i]);
    }
}

/* *sum += v for a pod's containers: each term is at most the quantity limit,
 * and so must the sum be (a pod of many huge containers would otherwise
 * overflow int64_t on the way to the scheduler). */
static void add_capped(KubeReader *c, int64_t *sum, int64_t v, const char *path)
{
    if (*sum > KUBE_QUANTITY_LIMIT - v) {
        kube_fail(c, path, "the pod's containers request more than kubesim models (2^53 in all)");
        return;
    }
    *sum += v;
}

/* Upstream's effective request: max(Σ app containers, max init container). */
static void containers(KubeReader *c, const cJSON *arr, const char *path, SimPodSpec *s, int init, unsigned *lim_given)
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
        kube_keys(c, x, sub, keys);
        KubeContainerRes one = {{0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0};
        const cJSON *res = kube_child(c, x, "resources", sub, cJSON_Object, rp);
        if (res) {
            kube_keys(c, res, rp, rkeys);
            resources_given(c, kube_child(c, res, "requests", rp, cJSON_Object, f), f, &one.req, &one.given_req);
            resources_given(c, kube_child(c, res, "limits", rp, cJSON_Object, f), f, &one.lim, &one.given_lim);
        }
        SimRes req = kube_container_request(&one), lim = one.lim;
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
            *lim_given |= one.given_lim;
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

static void pod_spec(KubeReader *c, const cJSON *spec, const char *path, KubePod *out)
{
    char sub[PATH], sub2[PATH];
    SimPodSpec *s = &out->spec;
    kube_keys(c, spec, path, pod_spec_keys);
    const cJSON *cs = kube_child(c, spec, "containers", path, cJSON_Array, sub);
    if (cs == NULL || cJSON_GetArraySize(cs) == 0)
        kube_fail(c, sub, "at least one container is required");
    SimRes app, overhead = {0, 0, 0, 0};
    containers(c, cs, sub, s, 0, &out->given.lim);
    app = s->req;
    s->req = (SimRes){0, 0, 0, 0};
    unsigned init_lim = 0;   /* an init container's limits are not the pod's */
    containers(c, kube_child(c, spec, "initContainers", path, cJSON_Array, sub), sub, s, 1, &init_lim);
    resources(c, kube_child(c, spec, "overhead", path, cJSON_Object, sub), sub, &overhead);
    s->req = kube_effective_request(&app, &s->req, &overhead);
    s->req.pods = 1;
    s->node_name = kube_get_str(c, spec, "nodeName", path);
    size_t n;
    SimKV *ns = string_map(c, kube_child(c, spec, "nodeSelector", path, cJSON_Object, sub), sub, &n);
    map_to_reqs(c, ns, n, &s->node_selector);
    const cJSON *aff = kube_child(c, spec, "affinity", path, cJSON_Object, sub);
    if (aff)
        affinity(c, aff, sub, s, &out->given);
    tolerations(c, kube_child(c, spec, "tolerations", path, cJSON_Array, sub), sub, s, &out->given);
    spread(c, kube_child(c, spec, "topologySpreadConstraints", path, cJSON_Array, sub), sub, s, &out->given);
    s->priority_class = kube_get_str(c, spec, "priorityClassName", path);
    out->has_priority = cJSON_GetObjectItemCaseSensitive(spec, "priority") != NULL;
    s->priority = (int32_t)kube_get_int(c, spec, "priority", path, 0, INT32_MIN, INT32_MAX);
    const char *pp = kube_get_str(c, spec, "preemptionPolicy", path);
    snprintf(sub2, sizeof sub2, "%s.preemptionPolicy", path);
    if (pp && strcmp(pp, "Never") != 0 && strcmp(pp, "PreemptLowerPriority") != 0)
        kube_fail(c, sub2, "\"%s\" is not PreemptLowerPriority or Never", pp);
    s->preempt_never = pp && strcmp(pp, "Never") == 0;
    /* Given or not matters: unset is the API's default (30 s), which export
     * leaves unwritten. */
    if (cJSON_GetObjectItemCaseSensitive(spec, "terminationGracePeriodSeconds")) {
        s->termination_grace_set = 1;
        s->termination_grace =
            SIM_SEC(kube_get_int(c, spec, "terminationGracePeriodSeconds", path, 0, 0, INT64_C(1000000000)));
    }
}

/* A pod (named) or a pod template: metadata, then the spec. */
static void pod_object(KubeReader *c, const cJSON *j, const char *path, KubePod *out, int named)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const tmpl_top[] = {"metadata", "spec", NULL};
    char sub[PATH];
    memset(out, 0, sizeof *out);
    kube_keys(c, j, path, named ? top : tmpl_top);
    meta_of(c, j, path, &out->meta, named);
    out->spec.labels = out->meta.labels;
    out->spec.nlabels = out->meta.nlabels;
    const cJSON *spec = kube_child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL)
        kube_fail(c, sub, "is required");
    else
        pod_spec(c, spec, sub, out);
}

void kube_pod(KubeReader *c, const cJSON *j, const char *path, KubePod *out)
{
    pod_object(c, j, path, out, 1);
}

void kube_pod_template(KubeReader *c, const cJSON *j, const char *path, KubePod *out)
{
    pod_object(c, j, path, out, 0);
}

/* The kind of the pod's controller (upstream GetControllerOf: the owner
 * reference with controller true). */
SimWlKind kube_owner_kind(KubeReader *c, const cJSON *j, const char *path)
{
    static const char *const keys[] = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion", NULL};
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metadata"),
                                                         "ownerReferences"), *r;
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.metadata.ownerReferences", path);
    if (refs && !cJSON_IsArray(refs))
        kube_fail(c, sub, "expected an array");
    size_t i = 0;
    cJSON_ArrayForEach(r, refs) {
        char rp[PATH];
        snprintf(rp, sizeof rp, "%s[%zu]", sub, i++);
        kube_keys(c, r, rp, keys);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
        if (!kube_failed(c) && !cJSON_IsString(kind))
            kube_fail(c, rp, "kind is required");
        if (kube_failed(c) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller")))
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

/* ---- what the autoscaler reads of a pod ------------------------------------- */
const char *kube_annotation(KubeReader *c, const cJSON *obj, const char *path, const char *key)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations"), *x;
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.metadata.annotations", path);
    if (an == NULL || cJSON_IsNull(an))
        return NULL;
    if (!cJSON_IsObject(an)) {
        kube_fail(c, sub, "expected an object");
        return NULL;
    }
    cJSON_ArrayForEach(x, an) {
        if (!cJSON_IsString(x)) {
            snprintf(sub, sizeof sub, "%s.metadata.annotations.%s", path, x->string);
            kube_fail(c, sub, "expected a string");
            return NULL;
        }
    }
    x = cJSON_GetObjectItemCaseSensitive(an, key);
    return x ? x->valuestring : NULL;
}

/* Is name in the comma-separated list? */
static int listed_in(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

/* Does the pod mount a local volume (kube_volume_local: hostPath, or an
 * emptyDir not in memory) that is not declared safe to evict? */
static int local_storage(KubeReader *c, const cJSON *j, const char *path, const char *safe)
{
    const cJSON *vols = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "spec"), "volumes"), *v;
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.spec.volumes", path);
    if (vols && !cJSON_IsArray(vols))
        kube_fail(c, sub, "expected an array");
    size_t i = 0;
    int local = 0;
    cJSON_ArrayForEach(v, vols) {
        char vp[PATH];
        snprintf(vp, sizeof vp, "%s[%zu]", sub, i++);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (!cJSON_IsObject(v) || !cJSON_IsString(name)) {
            kube_fail(c, vp, "a volume with a name is required");
            return 0;
        }
        const cJSON *ed = cJSON_GetObjectItemCaseSensitive(v, "emptyDir");
        const cJSON *hp = cJSON_GetObjectItemCaseSensitive(v, "hostPath");
        const cJSON *medium = cJSON_GetObjectItemCaseSensitive(ed, "medium");
        int here = kube_volume_local(ed && !cJSON_IsNull(ed), kube_is_text(medium) ? medium->valuestring : NULL,
                                     hp && !cJSON_IsNull(hp));
        local |= kube_volume_blocks(name->valuestring, here, safe);
    }
    return local;
}

int8_t kube_safe_to_evict(const char *value)
{
    return (int8_t)(value == NULL ? 0 : strcmp(value, "true") == 0 ? 1 : strcmp(value, "false") == 0 ? -1 : 0);
}

int kube_volume_local(int empty_dir, const char *medium, int host_path)
{
    return host_path || (empty_dir && !(medium && strcmp(medium, "Memory") == 0));
}

int kube_volume_blocks(const char *name, int local, const char *safe_volumes)
{
    return local && (name == NULL || !listed_in(safe_volumes, name));
}

void kube_pod_eviction(KubeReader *c, const cJSON *j, const char *path, SimPodSpec *s)
{
    s->safe_to_evict = kube_safe_to_evict(kube_annotation(c, j, path, KUBE_ANN_SAFE_TO_EVICT));
    s->local_storage = (uint8_t)local_storage(c, j, path, kube_annotation(c, j, path, KUBE_ANN_SAFE_LOCAL_VOLUMES));
}

/* ---- policy objects --------------------------------------------------------- */
void kube_priorityclass(KubeReader *c, const cJSON *j, const char *path, SimPriorityClass *out)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "value", "globalDefault",
                                       "description", "preemptionPolicy", NULL};
    char sub[PATH];
    KubeMeta m;
    memset(out, 0, sizeof *out);
    kube_keys(c, j, path, keys);
    meta(c, j, path, &m);
    out->name = (char *)m.name;
    if (cJSON_GetObjectItemCaseSensitive(j, "value") == NULL)
        kube_fail(c, path, "value is required");
    /* The API server's own classes (a cluster dump holds them) go above the user maximum. */
    const SimPriorityClass *b = sim_priorityclass_builtin(m.name);
    out->value = (int32_t)kube_get_int(c, j, "value", path, 0, -2147483648LL, b ? b->value : 1000000000);
    out->builtin = b && out->value == b->value;
    const cJSON *gd = kube_child(c, j, "globalDefault", path, cJSON_True, sub);
    out->global_default = gd && cJSON_IsTrue(gd);
    const char *pp = kube_get_str(c, j, "preemptionPolicy", path);
    kube_path(sub, "%s.preemptionPolicy", path);
    if (pp && strcmp(pp, "Never") != 0 && strcmp(pp, "PreemptLowerPriority") != 0)
        kube_fail(c, sub, "\"%s\" is not PreemptLowerPriority or Never", pp);
    out->preempt_never = pp && strcmp(pp, "Never") == 0;
}

/* An int or a percentage ("50%"). */
static void int_or_percent(KubeReader *c, const cJSON *x, const char *path, int32_t *v, int *pct)
{
    int n = 0;
    if (cJSON_IsNumber(x) && kube_whole_in(x->valuedouble, 0, INT32_MAX)) {
        *v = (int32_t)x->valuedouble;
        *pct = 0;
    } else if (cJSON_IsString(x) && sscanf(x->valuestring, "%d%%%n", v, &n) == 1 && x->valuestring[n] == '\0' &&
               *v >= 0 && *v <= 100) {
        *pct = 1;
    } else {
        kube_fail(c, path, "expected a non-negative integer or a percentage such as \"50%%\"");
    }
}

/* The top-level keys, metadata and spec (required, its keys checked) of a
 * namespaced policy object; NULL without a spec (failed). */
static const cJSON *object_spec(KubeReader *c, const cJSON *j, const char *path, const char *const *top,
                                const char *const *spec_keys, KubeMeta *m, char sub[static PATH])
{
    kube_keys(c, j, path, top);
    meta(c, j, path, m);
    const cJSON *spec = kube_child(c, j, "spec", path, cJSON_Object, sub);
    if (spec == NULL) {
        kube_fail(c, sub, "is required");
        return NULL;
    }
    kube_keys(c, spec, sub, spec_keys);
    return spec;
}

void kube_pdb(KubeReader *c, const cJSON *j, const char *path, KubeMeta *m, SimPdb *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const keys[] = {"minAvailable", "maxUnavailable", "selector",
                                       "unhealthyPodEvictionPolicy", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    const cJSON *spec = object_spec(c, j, path, top, keys, m, sub);
    out->name = (char *)m->name;
    if (spec == NULL)
        return;
    const cJSON *minav = cJSON_GetObjectItemCaseSensitive(spec, "minAvailable");
    const cJSON *maxun = cJSON_GetObjectItemCaseSensitive(spec, "maxUnavailable");
    if (!c->failed && (minav == NULL) == (maxun == NULL))
        kube_fail(c, sub, "exactly one of minAvailable and maxUnavailable is required");
    out->max_unavailable = maxun != NULL;
    snprintf(f, sizeof f, "%s.%s", sub, maxun ? "maxUnavailable" : "minAvailable");
    if (!c->failed)
        int_or_percent(c, maxun ? maxun : minav, f, &out->value, &out->percent);
    kube_label_selector(c, kube_child(c, spec, "selector", sub, cJSON_Object, f), f, &out->selector);
}

static void scope_selector(KubeReader *c, const cJSON *spec, const char *path, SimQuota *q)
{
    static const char *const keys[] = {"matchExpressions", NULL};
    static const char *const ekeys[] = {"scopeName", "operator", "values", NULL};
    char sub[PATH], f[PATH];
    const cJSON *ss = kube_child(c, spec, "scopeSelector", path, cJSON_Object, sub);
    if (ss == NULL)
        return;
    kube_keys(c, ss, sub, keys);
    const cJSON *arr = kube_child(c, ss, "matchExpressions", sub, cJSON_Array, f);
    q->scope.nreqs = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    q->scope.reqs = kube_alloc(c, q->scope.nreqs * sizeof *q->scope.reqs);
    size_t i = 0;
    for (const cJSON *x = arr ? arr->child : NULL; x && q->scope.reqs; x = x->next, i++) {
        char ep[PATH];
        snprintf(ep, sizeof ep, "%s[%zu]", f, i);
        kube_keys(c, x, ep, ekeys);
        const char *scope = kube_get_str(c, x, "scopeName", ep);
        if (!c->failed && (scope == NULL || strcmp(scope, "PriorityClass") != 0))
            kube_fail(c, ep, "scopeName \"%s\": kubesim models the PriorityClass scope only",
                          scope ? scope : "");
        /* The same shape as a label requirement, keyed by the scope name. */
        cJSON *copy = cJSON_Duplicate(x, 1);
        if (copy)
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "scopeName");
        if (copy == NULL || cJSON_AddStringToObject(copy, "key", "PriorityClass") == NULL) {
            cJSON_Delete(copy);
            kube_fail(c, ep, "out of memory");
            return;
        }
        requirement(c, copy, ep, &q->scope.reqs[i], NULL);
        cJSON_Delete(copy);
    }
}

void kube_quota(KubeReader *c, const cJSON *j, const char *path, KubeMeta *m, SimQuota *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const keys[] = {"hard", "scopes", "scopeSelector", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    const cJSON *spec = object_spec(c, j, path, top, keys, m, sub);
    out->name = (char *)m->name;
    if (spec == NULL)
        return;
    const cJSON *hard = kube_child(c, spec, "hard", sub, cJSON_Object, f);
    for (const cJSON *x = hard ? hard->child : NULL; x && !c->failed; x = x->next) {
        char hp[PATH];
        snprintf(hp, sizeof hp, "%s.%s", f, x->string);
        int r = sim_quota_res_parse(x->string);
        if (r < 0) {
            kube_fail(c, hp, "kubesim does not model quota resource \"%s\"", x->string);
            return;
        }
        out->hard[r] = kube_quantity(c, x, hp, sim_quota_res_milli((SimQuotaRes)r));
        out->hard_set |= 1u << r;
    }
    scope_selector(c, spec, sub, out);
}

/* The item's own source of field f for resource r after the API server's
 * defaulting (SetDefaults_LimitRangeItem), or -1. */
static int lr_source(const KubeLrItem *it, int f, int r)
{
    if (it->given[f][r])
        return f;
    if (f == KUBE_LR_DEFAULT)
        return it->given[KUBE_LR_MAX][r] ? KUBE_LR_MAX : -1;
    if (f != KUBE_LR_DEFAULT_REQUEST)
        return -1;
    int d = lr_source(it, KUBE_LR_DEFAULT, r);
    return d >= 0 ? d : it->given[KUBE_LR_MIN][r] ? KUBE_LR_MIN : -1;
}

void kube_limitrange_merge(const KubeLrItem *items, size_t n, KubeLrPick pick[KUBE_LR_FIELDS][KUBE_LR_RES])
{
    for (int f = 0; f < KUBE_LR_FIELDS; f++)
        for (int r = 0; r < KUBE_LR_RES; r++)
            pick[f][r] = (KubeLrPick){-1, -1};
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < KUBE_LR_FIELDS; f++)
            for (int r = 0; r < KUBE_LR_RES; r++) {
                int src = lr_source(&items[i], f, r);
                KubeLrPick *p = &pick[f][r];
                if (src < 0)
                    continue;
                int64_t v = items[i].v[src][r], old = p->item < 0 ? 0 : items[p->item].v[p->field][r];
                int wins = p->item < 0 || f < KUBE_LR_MIN || (f == KUBE_LR_MIN ? v > old : v < old);
                if (wins)
                    *p = (KubeLrPick){(int)i, src};
            }
}

static void lr_item(KubeReader *c, const cJSON *x, const char *path, KubeLrItem *it)
{
    static const char *const fields[] = {"default", "defaultRequest", "min", "max"};
    for (int f = 0; f < KUBE_LR_FIELDS; f++) {
        char fp[PATH];
        SimRes r = {0, 0, 0, 0};
        unsigned given = 0;
        resources_given(c, kube_child(c, x, fields[f], path, cJSON_Object, fp), fp, &r, &given);
        it->v[f][KUBE_LR_CPU] = r.cpu_m, it->given[f][KUBE_LR_CPU] = (given & KUBE_RES_CPU) != 0;
        it->v[f][KUBE_LR_MEM] = r.mem, it->given[f][KUBE_LR_MEM] = (given & KUBE_RES_MEM) != 0;
    }
}

static void lr_fill(const KubeLrItem *items, size_t n, SimLimitRange *out)
{
    KubeLrPick pick[KUBE_LR_FIELDS][KUBE_LR_RES];
    SimCpuMem *dst[KUBE_LR_FIELDS] = {&out->deflt, &out->deflt_req, &out->min, &out->max};
    kube_limitrange_merge(items, n, pick);
    for (int f = 0; f < KUBE_LR_FIELDS; f++) {
        const KubeLrPick *pc = &pick[f][KUBE_LR_CPU], *pm = &pick[f][KUBE_LR_MEM];
        dst[f]->cpu_m = pc->item < 0 ? 0 : items[pc->item].v[pc->field][KUBE_LR_CPU];
        dst[f]->mem = pm->item < 0 ? 0 : items[pm->item].v[pm->field][KUBE_LR_MEM];
    }
}

void kube_limitrange(KubeReader *c, const cJSON *j, const char *path, KubeMeta *m, SimLimitRange *out)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const keys[] = {"limits", NULL};
    static const char *const item_keys[] = {"type", "max", "min", "default", "defaultRequest",
                                            "maxLimitRequestRatio", NULL};
    char sub[PATH], f[PATH];
    memset(out, 0, sizeof *out);
    const cJSON *spec = object_spec(c, j, path, top, keys, m, sub);
    out->name = (char *)m->name;
    if (spec == NULL)
        return;
    const cJSON *limits = kube_child(c, spec, "limits", sub, cJSON_Array, f);
    size_t n = limits ? (size_t)cJSON_GetArraySize(limits) : 0, i = 0, k = 0;
    KubeLrItem *items = kube_alloc(c, n * sizeof *items);
    for (const cJSON *x = limits && items ? limits->child : NULL; x && !c->failed; x = x->next, i++) {
        char ip[PATH];
        snprintf(ip, sizeof ip, "%s[%zu]", f, i);
        kube_keys(c, x, ip, item_keys);
        const char *type = kube_required(c, x, "type", ip) ? kube_get_str(c, x, "type", ip) : NULL;
        if (type && strcmp(type, "Container") == 0)
            lr_item(c, x, ip, &items[k++]);   /* Pod and PersistentVolumeClaim limits are not modelled */
    }
    if (!c->failed && items)
        lr_fill(items, k, out);
}

/* ---- the effective request -------------------------------------------------- */
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* a + b for requests (both >= 0), held at INT64_MAX: the JSON reader caps
 * every quantity at 2^53 so its sums never get there, but the importer's
 * quantities go up to INT64_MAX. */
static int64_t add_held(int64_t a, int64_t b)
{
    return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

SimRes kube_container_request(const KubeContainerRes *c)
{
    SimRes r = c->req;
    if (!(c->given_req & KUBE_RES_CPU) && (c->given_lim & KUBE_RES_CPU))
        r.cpu_m = c->lim.cpu_m;
    if (!(c->given_req & KUBE_RES_MEM) && (c->given_lim & KUBE_RES_MEM))
        r.mem = c->lim.mem;
    if (!(c->given_req & KUBE_RES_GPU) && (c->given_lim & KUBE_RES_GPU))
        r.gpu = c->lim.gpu;
    return r;
}

SimRes kube_effective_request(const SimRes *app, const SimRes *init, const SimRes *overhead)
{
    SimRes r = {0, 0, 0, 0};
    r.cpu_m = add_held(max64(app->cpu_m, init->cpu_m), overhead->cpu_m);
    r.mem = add_held(max64(app->mem, init->mem), overhead->mem);
    r.gpu = max64(app->gpu, init->gpu);   /* overhead is CPU and memory (RuntimeClass podFixed) */
    return r;
}
