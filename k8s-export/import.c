/*
 * import.c: `kubesim import`'s driver. Reads every file's documents, checks
 * each one's kind and apiVersion (a removed version is refused with the one
 * to use), then writes the scenario: the header with what is not simulated,
 * the cluster-scoped set-up (namespaces, priority classes, the autoscaler),
 * each region with its node groups, policy and workloads, then the traffic
 * and the HPAs, so every declaration follows what it names.
 *
 * Invariant: nothing is returned unless every document was accepted; the
 * arena holding the trees is freed before kx_import returns. What is
 * accepted is what the scenario accepts: each simulated object's name by
 * its kind's rule (and once per scenario where validate wants that), each
 * field of the type it must have (kube_y_map / kube_y_seq / kube_y_str fail
 * on any other), each option by the scenario's own parsers; what only the
 * scenario's loader checks, the caller reports through the line origins.
 */
#include "k8s-export/import_int.h"

#include "sim/json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* How an object's name is checked: Kubernetes' rule for the kind, or
 * kubesim's where it is stricter (a StatefulSet's pods' names are hostnames,
 * so validate wants a label). */
typedef enum KxNaming { NAME_SUBDOMAIN = 0, NAME_LABEL, NAME_DNS1035 } KxNaming;

typedef struct KxKind {
    const char *kind, *api;          /* the version kubesim reads */
    const char *const old[6];        /* removed versions, refused naming api */
    KxNaming naming;
    size_t max;                      /* a shorter limit than the rule's, or 0 */
    int workload;                    /* names unique across the scenario's workloads */
} KxKind;

/* apiVersions from the Kubernetes deprecation guide; the served one first.
 * Name limits from the API server: a Job's name is also a label value (63),
 * a CronJob's gets "-<minutes>" appended (52), a Service's is a DNS-1035
 * label (it becomes a DNS name that must not start with a digit). */
static const KxKind kinds[] = {
    {"Namespace", "v1", {NULL}, NAME_LABEL, 0, 0},
    {"Node", "v1", {NULL}, NAME_SUBDOMAIN, 0, 0},
    {"ResourceQuota", "v1", {NULL}, NAME_SUBDOMAIN, 0, 0},
    {"LimitRange", "v1", {NULL}, NAME_SUBDOMAIN, 0, 0},
    {"Service", "v1", {NULL}, NAME_DNS1035, 0, 0},
    {"ConfigMap", "v1", {NULL}, NAME_SUBDOMAIN, 0, 0},
    {"PriorityClass", "scheduling.k8s.io/v1", {"scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha1", NULL},
     NAME_SUBDOMAIN, 0, 0},
    {"PodDisruptionBudget", "policy/v1", {"policy/v1beta1", NULL}, NAME_SUBDOMAIN, 0, 0},
    {"Deployment", "apps/v1", {"apps/v1beta1", "apps/v1beta2", "extensions/v1beta1", NULL}, NAME_SUBDOMAIN, 0, 1},
    {"StatefulSet", "apps/v1", {"apps/v1beta1", "apps/v1beta2", NULL}, NAME_LABEL, 0, 1},
    {"DaemonSet", "apps/v1", {"apps/v1beta2", "extensions/v1beta1", NULL}, NAME_SUBDOMAIN, 0, 1},
    {"HorizontalPodAutoscaler", "autoscaling/v2", {"autoscaling/v2beta1", "autoscaling/v2beta2", NULL},
     NAME_SUBDOMAIN, 0, 0},
    {"Job", "batch/v1", {NULL}, NAME_SUBDOMAIN, 63, 1},
    {"CronJob", "batch/v1", {"batch/v1beta1", "batch/v2alpha1", NULL}, NAME_SUBDOMAIN, 52, 1},
    /* Node groups as the export writes them (import_nodes.c): a Karpenter
     * NodePool (a node group's name is a label), an eksctl ClusterConfig. */
    {"NodePool", "karpenter.sh/v1", {NULL}, NAME_LABEL, 0, 0},
    {"ClusterConfig", "eksctl.io/v1alpha5", {NULL}, NAME_SUBDOMAIN, 0, 0},
    {"ScaledObject", "keda.sh/v1alpha1", {NULL}, NAME_SUBDOMAIN, 0, 0},   /* KEDA */
};

/* An object read: kept in reading order with its file and region. */
static void add_object(KxImp *c, KubeYNode *root, const char *file)
{
    KxDoc *d = sim_arena_alloc(&c->a, sizeof *d);
    if (d == NULL) {
        kube_yaml_nomem(c->y);
        return;
    }
    memset(d, 0, sizeof *d);
    d->file = file;
    d->root = root;
    d->region = c->reading->region;
    if (!c->reading->region_fixed) {   /* an export's object says which cluster it belongs to */
        /* an object's label; eksctl's ClusterConfig's annotation; the
         * cluster-autoscaler chart values' additionalLabels */
        static const char *const at[] = {"metadata.labels", "metadata.annotations", "additionalLabels"};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            const KubeYNode *l = kube_y_child(kube_y_get(root, at[i]), "kubesim.io/region");
            if (l && l->type == KUBE_Y_SCALAR && l->s[0]) {
                d->region = l->s;
                break;
            }
        }
    }
    if (c->last)
        c->last->next = d;
    else
        c->docs = d;
    c->last = d;
}

/* A typed list's item (the API's DeploymentList) carries no apiVersion or
 * kind: the list's, as the API server means them. */
static void inherit(KxImp *c, KubeYNode *item, const char *key, const char *value, int line)
{
    if (value == NULL || item->type != KUBE_Y_MAP || kube_y_child(item, key) != NULL)
        return;
    KubeYNode *n = sim_arena_alloc(&c->a, sizeof *n);
    if (n == NULL) {
        kube_yaml_nomem(c->y);
        return;
    }
    memset(n, 0, sizeof *n);
    *n = (KubeYNode){.type = KUBE_Y_SCALAR, .plain = 1, .line = line, .key = key, .s = value, .parent = item,
                     .next = item->first};
    item->first = n;
    if (item->last == NULL)
        item->last = n;
    item->n++;
}

/* The kind of a list's items: "" for a List, "Deployment" for a
 * DeploymentList; NULL when root is no list (kind *List with items). */
static const char *list_of(KxImp *c, const KubeYNode *root)
{
    const char *kind = kube_y_get_str(root, "kind");
    size_t n = kind ? strlen(kind) : 0;
    if (root->type != KUBE_Y_MAP || n < 4 || strcmp(kind + n - 4, "List") != 0 || !kube_y_child(root, "items"))
        return NULL;
    char *item = sim_arena_strdup(&c->a, kind);
    if (item == NULL) {
        kube_yaml_nomem(c->y);
        return NULL;
    }
    item[n - 4] = '\0';
    return item;
}

/* A document read. What `kubectl get -o yaml` prints is a List of the
 * objects (items): each item is one object, at its own line. */
static void add_doc(void *ctx, KubeYNode *root, const char *file)
{
    KxImp *c = ctx;
    const char *kind = list_of(c, root);
    if (kind == NULL) {
        if (kube_yaml_rc(c->y) == SIM_OK)
            add_object(c, root, file);
        return;
    }
    const KubeYNode *items = kube_y_seq(c->y, root, "items");
    const char *api = *kind ? kube_y_get_str(root, "apiVersion") : NULL;
    for (KubeYNode *i = items ? items->first : NULL; i && kube_yaml_rc(c->y) == SIM_OK; i = i->next) {
        inherit(c, i, "kind", *kind ? kind : NULL, i->line);
        inherit(c, i, "apiVersion", api, i->line);
        add_doc(c, i, file);
    }
}

KxDoc *kx_next(KxImp *c, KxDoc *d, const char *kind)
{
    for (d = d ? d->next : c->docs; d; d = d->next)
        if (d->kind && strcmp(d->kind, kind) == 0 && strcmp(d->region, c->region) == 0)
            return (KxDoc *)(c->cur = d);
    return NULL;
}

/* FNV-1a: the set's keys are short and few, and the order never shows. */
static size_t hash(const char *k)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot(char *const *set, size_t cap, const char *key)
{
    size_t i = hash(key) & (cap - 1);
    while (set[i] && strcmp(set[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

/* Doubles the set (kept at most half full). SIM_OK or SIM_ENOMEM. */
static int rehash(KxImp *c)
{
    size_t cap = c->capseen ? 2 * c->capseen : 64;
    char **set = sim_mem_calloc(c->m, cap, sizeof *set);
    if (set == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < c->capseen; i++)
        if (c->seen[i])
            set[slot(set, cap, c->seen[i])] = c->seen[i];
    sim_mem_free(c->m, c->seen, c->capseen * sizeof *c->seen);
    c->seen = set;
    c->capseen = cap;
    return SIM_OK;
}

/* Unit separators keep ("ab", "c") apart from ("a", "bc"). */
static void seen_key(char *key, size_t n, const char *kind, const char *a, const char *b)
{
    snprintf(key, n, "%s\x1f%s\x1f%s", kind, a, b);
}

int kx_has(KxImp *c, const char *kind, const char *a, const char *b)
{
    if (c->capseen == 0)
        return 0;
    size_t n = strlen(kind) + strlen(a) + strlen(b) + 3;
    char *key = sim_arena_alloc(&c->a, n);
    if (key == NULL) {
        kube_yaml_nomem(c->y);   /* the answer no longer matters: the import fails */
        return 0;
    }
    seen_key(key, n, kind, a, b);
    return c->seen[slot(c->seen, c->capseen, key)] != NULL;
}

int kx_seen(KxImp *c, const char *kind, const char *a, const char *b)
{
    size_t n = strlen(kind) + strlen(a) + strlen(b) + 3;
    char *key = sim_arena_alloc(&c->a, n);
    if (key == NULL || (2 * (c->nseen + 1) > c->capseen && rehash(c) != SIM_OK)) {
        kube_yaml_nomem(c->y);
        return 1;
    }
    seen_key(key, n, kind, a, b);
    size_t i = slot(c->seen, c->capseen, key);
    if (c->seen[i])
        return 1;
    c->seen[i] = key;
    c->nseen++;
    return 0;
}

const KubeYNode *kx_annotation_node(KxImp *c, const KubeYNode *owner, const char *key)
{
    /* Annotations are strings: anything else is refused, as the API server refuses it. */
    return kube_y_want(c->y, kube_y_child(kube_y_map(c->y, owner, "metadata.annotations"), key), KUBE_Y_SCALAR);
}

const char *kx_annotation(KxImp *c, const KubeYNode *owner, const char *key)
{
    const KubeYNode *n = kx_annotation_node(c, owner, key);
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

int kx_read(KxImp *c, const KubeYNode *base, const char *base_path, KxReadFn fn, void *out)
{
    SimJsonScope js;
    sim_json_begin(&js, c->m);
    cJSON *j = kube_y_json(c->y, base);
    KubeReader *r = j ? kube_reader_new(&c->a) : NULL;
    if (r)
        fn(r, j, base_path, out);
    if (r && kube_failed(r))
        kube_yaml_fail_reader(c->y, base, base_path, r);
    cJSON_Delete(j);
    if (sim_json_end(&js) != SIM_OK || r == NULL)
        kube_yaml_nomem(c->y);
    return kube_yaml_rc(c->y) == SIM_OK;
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
    const KubeYNode *at = kube_y_get(d->root, "apiVersion");
    for (size_t i = 0; k->old[i]; i++)
        if (strcmp(api, k->old[i]) == 0) {
            kube_yaml_fail(c->y, NULL, at, "%s %s was removed from Kubernetes; use %s", api, k->kind, k->api);
            return 1;
        }
    if (strcmp(k->kind, "HorizontalPodAutoscaler") == 0 || strcmp(k->kind, "NodePool") == 0 ||
        strcmp(k->kind, "PriorityClass") == 0 || strcmp(k->kind, "PodDisruptionBudget") == 0 ||
        strcmp(k->api, "v1") != 0 || strchr(api, '/') == NULL) {
        kube_yaml_fail(c->y, NULL, at, "kubesim reads %s as %s, not %s", k->kind, k->api, api);
        return 1;
    }
    return 0;   /* a core kind of another group (e.g. a CRD named Service): not simulated */
}

/* A name by the kind's rule; 1 if it passes, else fails at node at. */
static int name_ok(KxImp *c, const KubeYNode *at, const char *what, const char *name, KxNaming rule, size_t max)
{
    const char *why = NULL;
    char len[64];
    if (!kx_name_valid(name, rule == NAME_SUBDOMAIN ? KX_DNS1123_SUBDOMAIN : KX_DNS1123_LABEL, &why)) {
        /* why: Kubernetes' own words */
    } else if (rule == NAME_DNS1035 && !(name[0] >= 'a' && name[0] <= 'z')) {
        why = "a DNS-1035 label must start with a lowercase letter";
    } else if (max && strlen(name) > max) {
        snprintf(len, sizeof len, "must be no more than %zu characters", max);
        why = len;
    } else {
        return 1;
    }
    kube_yaml_fail(c->y, NULL, at, "'%s' is not a valid %s name: %s", name, what, why);
    return 0;
}

int kx_check_label(KxImp *c, const KubeYNode *at, const char *what, const char *name)
{
    return name_ok(c, at, what, name, NAME_LABEL, 0);
}

static int in_set(const KxDoc *e, const KxDoc *d)
{
    const KxKind *k = e->kind ? find_kind(e->kind) : NULL;
    return k && d->kind && strcmp(k->kind, d->kind) == 0 && strcmp(e->ns ? e->ns : "default",
                                                                   d->ns ? d->ns : "default") == 0;
}

/* Workloads and HPAs: names are unique per kind and namespace, as in
 * Kubernetes, across the scenario's regions (a reference to one is
 * NAMESPACE/NAME; the regions share one set of names). */
static void unique(KxImp *c, KxDoc *d)
{
    if (!kx_seen(c, d->kind, d->name, d->ns ? d->ns : "default"))
        return;
    const KxDoc *e = c->docs;
    while (e && (e == d || !e->name || strcmp(e->name, d->name) != 0 || !in_set(e, d)))
        e = e->next;
    const KubeYNode *at = e ? kube_y_get(e->root, "metadata.name") : NULL;
    kube_yaml_fail(c->y, NULL, kube_y_get(d->root, "metadata.name"),
                "'%s' is also the name of %s/%s in namespace '%s' (%s:%d): kubesim needs names unique per kind "
                "and namespace across its regions",
                d->name, e ? e->kind : "?", d->name, d->ns ? d->ns : "default", e ? e->file : "?", at ? at->line : 0);
}

static void check_names(KxImp *c, KxDoc *d, const KxKind *k)
{
    const KubeYNode *meta = kube_y_get(d->root, "metadata");
    if (d->name == NULL) {
        kube_yaml_fail(c->y, NULL, meta ? meta : d->root, "metadata.name is required");
        return;
    }
    if (!name_ok(c, kube_y_get(meta, "name"), k->kind, d->name, k->naming, k->max))
        return;
    if (d->ns && !name_ok(c, kube_y_get(meta, "namespace"), "namespace", d->ns, NAME_LABEL, 0))
        return;
    if (k->workload || strcmp(k->kind, "HorizontalPodAutoscaler") == 0)
        unique(c, d);
}

static void add_region(KxImp *c, const char *path, const char *r)
{
    const char *why;
    for (size_t i = 0; i < c->nregions; i++)
        if (strcmp(c->regions[i], r) == 0)
            return;
    if (!kx_name_valid(r, KX_DNS1123_LABEL, &why)) {
        kube_yaml_fail(c->y, path, NULL, " region '%s' (--region, the folder of an export or a kubesim.io/region "
                    "label) is not a valid region name: %s", r, why);
        return;
    }
    if (c->nregions == sizeof c->regions / sizeof c->regions[0]) {
        kube_yaml_fail(c->y, path, NULL, " more than %zu regions", sizeof c->regions / sizeof c->regions[0]);
        return;
    }
    c->regions[c->nregions++] = r;
}

/* The cluster-autoscaler chart's values (cluster-autoscaler-values.yaml of
 * an export): a map with neither apiVersion nor kind, with the chart's keys. */
static int helm_values(const KxDoc *d)
{
    return kube_y_get(d->root, "apiVersion") == NULL && kube_y_get(d->root, "kind") == NULL &&
           (kube_y_get(d->root, "autoDiscovery") || kube_y_get(d->root, "extraArgs"));
}

/* The prometheus-adapter chart's values (prometheus-adapter-values.yaml of
 * an export, or the team's own): a map with neither apiVersion nor kind,
 * with the chart's rules and prometheus keys. It serves the External
 * metrics of the HPAs, which are read from the HPAs themselves. */
static int adapter_values(const KxDoc *d)
{
    return kube_y_get(d->root, "apiVersion") == NULL && kube_y_get(d->root, "kind") == NULL &&
           kube_y_get(d->root, "rules") && kube_y_get(d->root, "prometheus");
}

/* A built-in controller whose objects kubesim makes itself (or, for a
 * Node's mirror Pods, that kubesim has no kind for). */
static int builtin_owner(const char *kind)
{
    static const char *const owners[] = {"ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
                                         "ReplicationController", "Node", NULL};
    for (size_t i = 0; kind && owners[i]; i++)
        if (strcmp(kind, owners[i]) == 0)
            return 1;
    return 0;
}

/* "KIND/NAME" of the built-in controller that owns d (an ownerReference
 * with controller: true: a ReplicaSet's Pod, a Deployment's ReplicaSet, a
 * CronJob's Job), or NULL. That controller is imported, or runs in the
 * cluster: either way it makes the object, so importing it would make two.
 * An object an operator's custom resource owns (a StatefulSet of a
 * Prometheus) is imported: nothing in the scenario would make it. */
static const char *owner_of(KxImp *c, const KxDoc *d)
{
    const KubeYNode *refs = kube_y_seq(c->y, d->root, "metadata.ownerReferences");
    for (const KubeYNode *r = refs ? refs->first : NULL; r && kube_y_want(c->y, r, KUBE_Y_MAP); r = r->next) {
        const char *ctl = kube_y_get_str(r, "controller");
        const char *kind = kube_y_str(c->y, r, "kind"), *name = kube_y_str(c->y, r, "name");
        if (ctl == NULL || strcmp(ctl, "true") != 0 || !builtin_owner(kind))
            continue;
        size_t n = strlen(kind ? kind : "?") + strlen(name ? name : "?") + 2;
        char *o = sim_arena_alloc(&c->a, n);
        if (o == NULL) {
            kube_yaml_nomem(c->y);
            return NULL;
        }
        snprintf(o, n, "%s/%s", kind ? kind : "?", name ? name : "?");
        return o;
    }
    return NULL;
}

static void classify(KxImp *c, KxDoc *d)
{
    if (d->root->type != KUBE_Y_MAP) {
        kube_yaml_fail(c->y, NULL, d->root, "a manifest must be a map with apiVersion and kind, not %s",
                    kube_y_type_name(d->root->type));
        return;
    }
    if (helm_values(d)) {
        d->kind = KX_HELM_VALUES;
        d->name = "cluster-autoscaler";
        return;
    }
    if (adapter_values(d)) {
        d->done = 1;   /* derived from the HPAs, as export writes it again: nothing to read */
        return;
    }
    const char *api = kube_y_str(c->y, d->root, "apiVersion"), *kind = kube_y_str(c->y, d->root, "kind");
    if (kube_yaml_rc(c->y) == SIM_OK && (api == NULL || kind == NULL))
        kube_yaml_fail(c->y, NULL, d->root, "a manifest needs apiVersion and kind (%s is missing)",
                    api == NULL ? "apiVersion" : "kind");
    d->name = kube_y_str(c->y, d->root, "metadata.name");
    d->ns = kube_y_str(c->y, d->root, "metadata.namespace");
    if (kube_yaml_rc(c->y) == SIM_OK && tooling(api) && kind && strcmp(kind, "Kustomization") == 0 && !c->run)
        c->run = d->root;   /* an export's run settings (kubesim.io/start, ...) */
    if (kube_yaml_rc(c->y) != SIM_OK || tooling(api)) {
        d->done = 1;
        return;
    }
    add_region(c, d->file, d->region);
    const KxKind *k = find_kind(kind);
    d->kind = kind;
    if ((d->owner = owner_of(c, d)) != NULL) {
        d->kind = NULL;   /* its controller makes it: listed in the header */
        return;
    }
    if (k == NULL || (check_version(c, d, k, api) == 0 && strcmp(api, k->api) != 0)) {
        d->kind = NULL;   /* not simulated: listed in the header */
        return;
    }
    check_names(c, d, k);
}

/* A scenario's name names its output folders (runs/NAME-SEED): a label
 * that may also hold '_' (as the shipped scenarios' names do), so never a
 * path separator, "." or "..". */
static int scenario_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

/* The options become scenario fields: each must be what validate accepts. */
static void check_options(KxImp *c, const KxImportOptions *o)
{
    if (o == NULL)
        return;
    if (o->name && !scenario_name_ok(o->name))
        kube_yaml_fail(c->y, "--name", NULL, " '%s' is not a valid scenario name: lowercase letters, digits, '-' and '_', "
                    "starting and ending with a letter or digit, at most 63 characters", o->name);
    else if (o->start && o->is_clock && !o->is_clock(o->start))
        kube_yaml_fail(c->y, "--start", NULL, " '%s' is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)",
                    o->start);
    else if (o->duration && o->is_duration && !o->is_duration(o->duration))
        kube_yaml_fail(c->y, "--duration", NULL, " '%s' is not a positive duration (e.g. 90m, 6h, 1h30m)", o->duration);
}

static int is_node_groups(const KxDoc *d)
{
    return d->kind && strcmp(d->kind, "ConfigMap") == 0 && d->ns && strcmp(d->ns, "kube-system") == 0 &&
           d->name && (strcmp(d->name, "kubesim-node-groups") == 0 ||
                       strcmp(d->name, "cluster-autoscaler-priority-expander") == 0);
}

/* minReplicas 0 in the manifests: the cluster they come from runs with the
 * feature gate HPAScaleToZero, and the scenario needs it too. */
static int scale_to_zero(const KxImp *c)
{
    for (const KxDoc *d = c->docs; d; d = d->next) {
        const char *min = d->kind && strcmp(d->kind, "HorizontalPodAutoscaler") == 0
                              ? kube_y_get_str(d->root, "spec.minReplicas") : NULL;
        if (min && strcmp(min, "0") == 0)
            return 1;
        /* A ScaledObject's minReplicaCount defaults to 0 (KEDA scales to zero itself). */
        min = d->kind && strcmp(d->kind, "ScaledObject") == 0 ? kube_y_get_str(d->root, "spec.minReplicaCount") : NULL;
        if (d->kind && strcmp(d->kind, "ScaledObject") == 0 && (min == NULL || strcmp(min, "0") == 0))
            return 1;
    }
    return 0;
}

/* A scenario {} field: the flag's value, else the export's annotation on
 * its kustomization (checked with ok when not NULL), else none. */
static void run_setting(KxImp *c, const char *field, const char *flag, const char *key, int (*ok)(const char *))
{
    const KubeYNode *n = flag || !c->run ? NULL : kx_annotation_node(c, c->run, key);
    if (n && ok && !ok(n->s)) {
        kube_yaml_fail(c->y, NULL, n, "'%s' is not a valid %s", n->s, field);
        return;
    }
    if (flag == NULL && n == NULL)
        return;
    kx_out(c, ", %s = ", field);
    kx_out_str(c, flag ? flag : n->s);
}

/* Why a document is not a declaration of the scenario. */
typedef enum KxSkip {
    SKIP_NONE = 0,
    SKIP_KIND,      /* a kind kubesim does not simulate (Ingress, Secret, ...) */
    SKIP_OWNED,     /* made by its controller (ownerReferences) */
    SKIP_SERVICE,   /* a Service with nothing for the traffic model */
    SKIP_BUILTIN    /* a PriorityClass the API server creates */
} KxSkip;

/* A Service is modelled when it carries the export's kubesim.io/
 * annotations (traffic, latency) or a Deployment of its region serves it
 * (kubesim.io/serve-service); any other is only a name in the cluster. */
static int service_modelled(KxImp *c, const KxDoc *s)
{
    const KubeYNode *an = kube_y_get(s->root, "metadata.annotations");
    for (const KubeYNode *k = an && an->type == KUBE_Y_MAP ? an->first : NULL; k; k = k->next)
        if (strncmp(k->key, "kubesim.io/", 11) == 0)
            return 1;
    for (const KxDoc *d = c->docs; d; d = d->next) {
        const KubeYNode *srv = d->kind && strcmp(d->kind, "Deployment") == 0 && strcmp(d->region, s->region) == 0
                                   ? kube_y_child(kube_y_get(d->root, "metadata.annotations"), "kubesim.io/serve-service")
                                   : NULL;
        if (srv && srv->type == KUBE_Y_SCALAR && strcmp(srv->s, s->name) == 0)
            return 1;
    }
    return 0;
}

static KxSkip skip_of(KxImp *c, const KxDoc *d)
{
    if (d->done)
        return SKIP_NONE;   /* kustomize's own files */
    if (d->owner)
        return SKIP_OWNED;
    if (d->kind == NULL || (strcmp(d->kind, "ConfigMap") == 0 && !is_node_groups(d)))
        return SKIP_KIND;
    if (strcmp(d->kind, "Service") == 0 && !service_modelled(c, d))
        return SKIP_SERVICE;
    if (strcmp(d->kind, "PriorityClass") == 0 && sim_priorityclass_builtin(d->name))
        return SKIP_BUILTIN;
    return SKIP_NONE;
}

/* "-- TITLE: Kind/name, Kind/ns/name, ..." of the documents skipped as
 * which, wrapped at about 110 columns; 0 if there is none. */
static size_t skip_line(KxImp *c, KxSkip which, const char *title)
{
    size_t n = 0, col = 0;
    for (KxDoc *d = c->docs; d && kube_yaml_rc(c->y) == SIM_OK; d = d->next) {
        if (skip_of(c, d) != which)
            continue;
        const char *kind = kube_y_get_str(d->root, "kind"), *name = d->name ? d->name : "(unnamed)";
        const char *ns = d->ns && strcmp(d->ns, "default") != 0 ? d->ns : NULL;
        size_t w = strlen(kind ? kind : "(no kind)") + strlen(name) + (ns ? strlen(ns) + 1 : 0) + 3;
        if (n == 0)
            kx_out(c, "-- %s: ", title), col = strlen(title) + 5;
        else if (col + w > 110)
            kx_out(c, ",\n--   "), col = 5;
        else
            kx_out(c, ", "), col += 2;
        kx_out_comment(c, kind ? kind : "(no kind)");
        kx_out(c, "/");
        if (ns)
            kx_out_comment(c, ns), kx_out(c, "/");
        kx_out_comment(c, name);
        col += w;
        n++;
    }
    kx_out(c, n ? "\n" : "");
    return n;
}

/* The header: where the scenario came from and what it leaves out. */
static void header(KxImp *c, const KxImportOptions *o)
{
    c->cur = NULL;
    kx_out(c, "-- Written by `kubesim import` from Kubernetes manifests.\n");
    c->skip_from = c->len;
    c->nskipped = skip_line(c, SKIP_KIND, "not simulated");
    c->nskipped += skip_line(c, SKIP_SERVICE, "not simulated (no kubesim.io/ traffic annotations)");
    c->nskipped += skip_line(c, SKIP_OWNED, "not imported (made by their controller)");
    c->skip_to = c->len;
    (void)skip_line(c, SKIP_BUILTIN, "built in, not declared");
    const char *lost = c->run ? kx_annotation(c, c->run, "kubesim.io/not-exported") : NULL;
    if (lost) {
        kx_out(c, "-- not in the manifests (the exported scenario had them; the run differs by what they do): ");
        kx_out_comment(c, lost);
        kx_out(c, "\n");
    }
    kx_out(c, "\nscenario { name = ");
    const char *name = c->run ? kx_annotation(c, c->run, "kubesim.io/scenario") : NULL;
    kx_out_str(c, o && o->name ? o->name : name && scenario_name_ok(name) ? name : "imported");
    run_setting(c, "timezone", NULL, "kubesim.io/timezone", NULL);
    run_setting(c, "date", NULL, "kubesim.io/date", NULL);
    run_setting(c, "start", o ? o->start : NULL, "kubesim.io/start", o ? o->is_clock : NULL);
    run_setting(c, "duration", o ? o->duration : NULL, "kubesim.io/duration", o ? o->is_duration : NULL);
    run_setting(c, "sample_every", NULL, "kubesim.io/sample-every", o ? o->is_duration : NULL);
    if (scale_to_zero(c))
        kx_out(c, ", feature_gates = { HPAScaleToZero = true }");
    kx_out(c, " }\n");
}

static void write_region(KxImp *c, const char *r)
{
    c->region = r;
    c->cur = NULL;
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

/* The regions an export lists (kubesim.io/regions, in the simulation's
 * order) first, in that order, then the others as they came: ids, and so
 * ties between regions, stay as they were. */
static void order_regions(KxImp *c)
{
    const char *list = c->run ? kx_annotation(c, c->run, "kubesim.io/regions") : NULL;
    size_t done = 0;
    for (const char *p = list; p && *p && done < c->nregions; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t n = strcspn(p, ",");
        for (size_t i = done; i < c->nregions; i++)
            if (strlen(c->regions[i]) == n && strncmp(c->regions[i], p, n) == 0) {
                const char *r = c->regions[i];
                memmove(&c->regions[done + 1], &c->regions[done], (i - done) * sizeof *c->regions);
                c->regions[done++] = r;
                break;
            }
    }
}

static void write_scenario(KxImp *c, const KxImportOptions *o)
{
    order_regions(c);
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

/* Hands the line origins to the caller at exactly their count (the last
 * line, when the text does not end in a newline, gets one too). */
static void give_origins(KxImp *c, const KxImportOptions *o)
{
    void *v = c->origins;
    if (sim_mem_grow(c->m, &v, &c->caporigins, c->norigins + 1, sizeof *c->origins) != SIM_OK) {
        kube_yaml_nomem(c->y);
        return;
    }
    c->origins = v;
    c->origins[c->norigins++] = (KxImportOrigin){NULL, 0};
    KxImportOrigin *p = sim_mem_realloc(c->m, c->origins, c->caporigins * sizeof *p, c->norigins * sizeof *p);
    if (p == NULL) {
        kube_yaml_nomem(c->y);
        return;
    }
    *o->origins = p;
    *o->norigins = c->norigins;
    c->origins = NULL;
    c->caporigins = 0;
}

int kx_import(SimMem *m, const KxImportFile *files, size_t nfiles, const KxImportOptions *o, char **text,
              size_t *len, SimErr *err)
{
    KxImp c = {.m = m, .o = o};
    sim_arena_init(&c.a, m);
    *text = NULL;
    *len = 0;
    if ((c.y = kube_yaml_new(m, &c.a)) == NULL) {
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    }
    check_options(&c, o);
    for (size_t i = 0; i < nfiles && kube_yaml_rc(c.y) == SIM_OK; i++) {
        c.reading = &files[i];
        (void)kube_yaml_read(c.y, files[i].path, files[i].text, files[i].len, add_doc, &c);
    }
    for (KxDoc *d = c.docs; d && kube_yaml_rc(c.y) == SIM_OK; d = d->next)
        classify(&c, d);
    if (kube_yaml_rc(c.y) == SIM_OK && c.nregions == 0 && nfiles > 0)
        add_region(&c, files[0].path, files[0].region);   /* nothing to simulate: still a region */
    if (kube_yaml_rc(c.y) == SIM_OK && o)
        kx_imp_node_region(&c, o->unnamed_region);
    if (kube_yaml_rc(c.y) == SIM_OK)
        write_scenario(&c, o);
    sim_arena_free(&c.a);
    sim_mem_free(m, c.seen, c.capseen * sizeof *c.seen);
    if (kube_yaml_rc(c.y) == SIM_OK && c.out) {
        /* Hand back exactly len + 1 bytes, so the caller's free size is simple. */
        char *p = sim_mem_realloc(m, c.out, c.cap, c.len + 1);
        if (p == NULL)
            kube_yaml_nomem(c.y);
        else
            c.out = p, c.cap = c.len + 1;
    }
    if (kube_yaml_rc(c.y) == SIM_OK && o && o->origins)
        give_origins(&c, o);
    if (kube_yaml_rc(c.y) == SIM_OK && o && o->skipped && c.nskipped)
        o->skipped(o->skipped_ctx, c.nskipped, c.out + c.skip_from, c.skip_to - c.skip_from);
    int rc = kube_yaml_rc(c.y);
    if (rc != SIM_OK) {
        sim_err_set(err, rc, "%s", kube_yaml_errmsg(c.y));
        if (c.out)
            sim_mem_free(m, c.out, c.cap);
        sim_mem_free(m, c.origins, c.caporigins * sizeof *c.origins);
    }
    kube_yaml_free(c.y);
    if (rc != SIM_OK)
        return rc;
    *text = c.out;
    *len = c.len;
    return SIM_OK;
}
