/*
 * import_cluster.c: the Nodes of a cluster dump (`kubectl get nodes -o
 * yaml`) as node groups, so a dump imports with the cluster's own capacity
 * rather than invented groups. Each Node is read by the kube reader
 * (kube_node, as `explain` reads it); Nodes go into one group when they
 * share instance type (node.kubernetes.io/instance-type), region, zone
 * (topology.kubernetes.io/zone and region), labels and taints once what is per node or
 * passing is dropped; a group's nodes are its allocatable (cpu, memory,
 * nvidia.com/gpu, pods; the smallest where its Nodes differ), its size,
 * min and max the count of its Nodes.
 *
 * Dropped labels: kubernetes.io/hostname and any whose value is the Node's
 * name, per-instance ids, and the zone, region and instance type (the
 * simulator gives every node of a group those). Dropped taints: the ones
 * controllers put on and take off (node.kubernetes.io/not-ready,
 * unreachable, unschedulable, the pressure taints, ..., the cluster
 * autoscaler's and Karpenter's deletion marks, the cloud provider's
 * uninitialized): a dump is a moment, and those are not the group's.
 *
 * Simplifications: a cordoned Node (spec.unschedulable) counts as a
 * schedulable one (the comment says how many); a group's price is not in
 * a Node (--prices sets it, else "unknown"); max is the count, a guess the comment says to edit.
 *
 * Invariant: groups are written in order of their first Node in the input,
 * names unique in the scenario (kx_seen "nodegroup", as import_nodes.c).
 */
#include "k8s-export/import_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_ZONE "topology.kubernetes.io/zone"
#define LABEL_REGION "topology.kubernetes.io/region"
#define LABEL_TYPE "node.kubernetes.io/instance-type"

typedef struct Group {
    const KxDoc *first;      /* its first Node */
    KubeNode node;           /* that Node as read, labels and taints filtered */
    const char *type, *zone;
    const char *key;         /* what its Nodes share (type, zone, labels, taints) */
    const char *name;
    int64_t count, cordoned;
    int differs;             /* its Nodes' allocatable differ: node holds the smallest */
    struct Group *next;
} Group;

static void read_node(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    kube_node(r, j, path, out);
}

/* The value of the first of keys among the labels, or NULL. */
static const char *label(const KubeNode *n, const char *const *keys)
{
    for (size_t k = 0; keys[k]; k++)
        for (size_t i = 0; i < n->meta.nlabels; i++)
            if (strcmp(n->meta.labels[i].key, keys[k]) == 0)
                return n->meta.labels[i].value;
    return NULL;
}

static const char *const zone_keys[] = {LABEL_ZONE, "failure-domain.beta.kubernetes.io/zone", NULL};
static const char *const region_keys[] = {LABEL_REGION, "failure-domain.beta.kubernetes.io/region", NULL};
static const char *const type_keys[] = {LABEL_TYPE, "beta.kubernetes.io/instance-type", NULL};
/* The node pool a provider names, for the group's name. */
static const char *const pool_keys[] = {"eks.amazonaws.com/nodegroup", "alpha.eksctl.io/nodegroup-name",
                                        "cloud.google.com/gke-nodepool", "karpenter.sh/nodepool",
                                        "kubernetes.azure.com/agentpool", "agentpool", NULL};

/* A label that is one Node's and not its group's. */
static int per_node_label(const KubeNode *n, const SimKV *kv, const char *region)
{
    static const char *const keys[] = {"kubernetes.io/hostname", LABEL_ZONE, LABEL_TYPE, "alpha.eksctl.io/instance-id",
                                       "node.kubernetes.io/instance-id", "kubernetes.azure.com/node-name", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(kv->key, keys[i]) == 0)
            return 1;
    if (strcmp(kv->key, LABEL_REGION) == 0)
        return region && strcmp(kv->value, region) == 0;   /* another region stays a label */
    return strncmp(kv->key, "topology.k8s.aws/network-node-layer", 35) == 0 ||
           (n->meta.name && strcmp(kv->value, n->meta.name) == 0);
}

/* A taint a controller puts on and takes off (the Node's state, not its group's). */
static int passing_taint(const SimTaint *t)
{
    static const char *const keys[] = {"node.cloudprovider.kubernetes.io/uninitialized", "ToBeDeletedByClusterAutoscaler",
                                       "DeletionCandidateOfClusterAutoscaler", "karpenter.sh/disrupted",
                                       "karpenter.sh/disruption", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(t->key, keys[i]) == 0)
            return 1;
    return strncmp(t->key, "node.kubernetes.io/", 19) == 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const SimKV *)a)->key, ((const SimKV *)b)->key);
}

/* Drops what is per node or passing; labels sorted by key, so two Nodes
 * that list them in another order still share a group. */
static void filter(KubeNode *n, const char *region)
{
    size_t k = 0;
    for (size_t i = 0; i < n->meta.nlabels; i++)
        if (!per_node_label(n, &n->meta.labels[i], region))
            n->meta.labels[k++] = n->meta.labels[i];
    n->meta.nlabels = k;
    if (k)
        qsort(n->meta.labels, k, sizeof *n->meta.labels, by_key);
    k = 0;
    for (size_t i = 0; i < n->ntaints; i++)
        if (!passing_taint(&n->taints[i]))
            n->taints[k++] = n->taints[i];
    n->ntaints = k;
}

/* "key=value:Effect", as the scenario's taints are written. */
static void taint_text(const SimTaint *t, char *buf, size_t n)
{
    int v = t->value && *t->value;
    snprintf(buf, n, "%s%s%s:%s", t->key, v ? "=" : "", v ? t->value : "", kube_taint_effect_names[t->effect]);
}

/* What Nodes of one group share, as one string (unit separators between fields). */
static const char *group_key(KxImp *c, const KubeNode *n, const char *type, const char *zone)
{
    size_t len = strlen(type ? type : "") + strlen(zone ? zone : "") + 4;
    for (size_t i = 0; i < n->meta.nlabels; i++)
        len += strlen(n->meta.labels[i].key) + strlen(n->meta.labels[i].value) + 2;
    for (size_t i = 0; i < n->ntaints; i++)
        len += strlen(n->taints[i].key) + strlen(n->taints[i].value ? n->taints[i].value : "") + 24;
    char *k = sim_arena_alloc(&c->a, len), *p = k;
    if (k == NULL) {
        kube_yaml_nomem(c->y);
        return NULL;
    }
    p += sprintf(p, "%s\x1f%s\x1e", type ? type : "", zone ? zone : "");
    for (size_t i = 0; i < n->meta.nlabels; i++)
        p += sprintf(p, "%s\x1f%s\x1e", n->meta.labels[i].key, n->meta.labels[i].value);
    for (size_t i = 0; i < n->ntaints; i++) {
        char t[1024];
        taint_text(&n->taints[i], t, sizeof t);
        p += snprintf(p, len - (size_t)(p - k), "%s\x1e", t);
    }
    return k;
}

/* Counts the Node into its group; the group's allocatable is the smallest. */
static void join(Group *g, const KubeNode *n)
{
    SimRes *a = &g->node.alloc;
    const SimRes *b = &n->alloc;
    if (a->cpu_m != b->cpu_m || a->mem != b->mem || a->gpu != b->gpu || a->pods != b->pods)
        g->differs = 1;
    a->cpu_m = b->cpu_m < a->cpu_m ? b->cpu_m : a->cpu_m;
    a->mem = b->mem < a->mem ? b->mem : a->mem;
    a->gpu = b->gpu < a->gpu ? b->gpu : a->gpu;
    a->pods = b->pods < a->pods ? b->pods : a->pods;
    g->count++;
    g->cordoned += n->unschedulable != 0;
}

/* One Node read and counted into its group (a new one at the end of *list). */
static void add_node(KxImp *c, const KxDoc *d, Group **list)
{
    KubeNode n;
    if (!kx_read(c, d->root, "", read_node, &n))
        return;
    const char *type = label(&n, type_keys), *zone = label(&n, zone_keys);
    filter(&n, c->region);
    const char *key = group_key(c, &n, type, zone);
    if (key == NULL)
        return;
    Group **at = list;
    for (; *at; at = &(*at)->next)
        if (strcmp((*at)->key, key) == 0) {
            join(*at, &n);
            return;
        }
    Group *g = sim_arena_alloc(&c->a, sizeof *g);
    if (g == NULL) {
        kube_yaml_nomem(c->y);
        return;
    }
    *g = (Group){.first = d, .node = n, .type = type, .zone = zone, .key = key, .count = 1,
                 .cordoned = n.unschedulable != 0};
    *at = g;
}

/* ---- names ---------------------------------------------------------------- */

/* s as a DNS-1123 label's characters: lowercase, '-' for anything else. */
static void label_chars(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            *p = '-';
    }
}

/* The group's name: its provider's pool (or instance type) and zone, made a
 * label, with -2, -3, ... when another group has it. */
static const char *name_group(KxImp *c, const Group *g)
{
    const char *pool = label(&g->node, pool_keys);
    char base[64], name[64];
    snprintf(base, 50, "%s%s%s", pool ? pool : g->type ? g->type : "nodes", g->zone ? "-" : "",
             g->zone ? g->zone : "");
    label_chars(base);
    char *p = base, *e;
    while (*p == '-')
        p++;
    for (e = p + strlen(p); e > p && e[-1] == '-'; e--)
        e[-1] = '\0';
    if (*p == '\0')
        p = "nodes";
    snprintf(name, sizeof name, "%s", p);
    for (int i = 2; kx_has(c, "nodegroup", name, ""); i++)
        snprintf(name, sizeof name, "%s-%d", p, i);
    (void)kx_seen(c, "nodegroup", name, "");
    return sim_arena_strdup(&c->a, name);
}

/* ---- writing -------------------------------------------------------------- */

static void region_line(KxImp *c, const Group *gs)
{
    kx_out(c, "region { name = ");
    kx_out_str(c, c->region);
    int first = 1;
    for (const Group *g = gs; g && kube_yaml_rc(c->y) == SIM_OK; g = g->next) {
        if (g->zone == NULL || kx_seen(c, "zone in", c->region, g->zone))
            continue;
        if (*g->zone == '\0' || kx_seen(c, "zone", g->zone, "")) {
            kube_yaml_fail(c->y, NULL, kube_y_get(g->first->root, "metadata.labels"),
                           "zone '%s' is empty or also a zone of another region", g->zone);
            return;
        }
        kx_out(c, first ? ", zones = { " : ", ");
        kx_out_str(c, g->zone);
        first = 0;
    }
    kx_out(c, first ? " }\n" : " } }\n");
}

static int capacity_type_spot(const KubeNode *n)
{
    static const char *const keys[] = {"eks.amazonaws.com/capacityType", "karpenter.sh/capacity-type",
                                       "cloud.google.com/gke-spot", "kubernetes.azure.com/scalesetpriority", NULL};
    const char *v = label(n, keys);
    return v && (strcmp(v, "SPOT") == 0 || strcmp(v, "spot") == 0 || strcmp(v, "true") == 0);
}

static void comment(KxImp *c, const Group *g)
{
    kx_out(c, "-- %lld Node%s of the cluster (", (long long)g->count, g->count == 1 ? "" : "s");
    kx_out_comment(c, g->first->name);
    kx_out(c, "%s): size and min are the count; max is a guess to edit for the autoscaler.", g->count > 1 ? ", ..." : "");
    if (g->differs)
        kx_out(c, " Their allocatable differs: the smallest.");
    if (g->cordoned)
        kx_out(c, " %lld cordoned (spec.unschedulable), counted as schedulable.", (long long)g->cordoned);
    kx_out(c, "\n");
}

static void write_group(KxImp *c, const Group *g)
{
    char q[64];
    c->cur = g->first;
    comment(c, g);
    kx_out(c, "nodegroup { name = ");
    kx_out_str(c, g->name);
    kx_out(c, ", region = ");
    kx_out_str(c, c->region);
    if (g->type)
        kx_out(c, ", instance_type = "), kx_out_str(c, g->type);
    sim_quantity_format(g->node.alloc.cpu_m, 1, q, sizeof q);
    kx_out(c, ", cpu = \"%s\"", q);
    sim_quantity_format(g->node.alloc.mem, 0, q, sizeof q);
    kx_out(c, ", memory = \"%s\"", q);
    if (g->node.alloc.gpu)
        kx_out(c, ", gpu = %lld", (long long)g->node.alloc.gpu);
    kx_out(c, ", pods = %lld, min = %lld, max = %lld, size = %lld", (long long)g->node.alloc.pods,
           (long long)g->count, (long long)g->count, (long long)g->count);
    if (capacity_type_spot(&g->node))
        kx_out(c, ", spot = true");
    int unpriced = kx_out_price(c, g->type ? g->type : g->name, NULL);   /* a Node holds no price: --prices */
    if (g->zone)
        kx_out(c, ",\n    zones = { "), kx_out_str(c, g->zone), kx_out(c, " }");
    kx_out(c, ",\n    labels = {");
    for (size_t i = 0; i < g->node.meta.nlabels; i++) {
        kx_out(c, i ? ", " : " ");
        kx_out_key(c, g->node.meta.labels[i].key);
        kx_out_str(c, g->node.meta.labels[i].value);
    }
    kx_out(c, g->node.meta.nlabels ? " }, taints = {" : "}, taints = {");
    for (size_t i = 0; i < g->node.ntaints; i++) {
        char t[1024];
        taint_text(&g->node.taints[i], t, sizeof t);
        kx_out(c, i ? ", " : " ");
        kx_out_str(c, t);
    }
    kx_out(c, g->node.ntaints ? " } }" : "} }");
    if (unpriced)
        kx_out_price_note(c, g->type ? g->type : g->name);
    else
        kx_out(c, "\n");
}

int kx_imp_nodes(KxImp *c)
{
    Group *gs = NULL;
    for (KxDoc *d = NULL; (d = kx_next(c, d, "Node")) != NULL && kube_yaml_rc(c->y) == SIM_OK;)
        add_node(c, d, &gs);
    if (gs == NULL || kube_yaml_rc(c->y) != SIM_OK)
        return gs != NULL;
    for (Group *g = gs; g && kube_yaml_rc(c->y) == SIM_OK; g = g->next)
        if ((g->name = name_group(c, g)) == NULL)
            kube_yaml_nomem(c->y);
    region_line(c, gs);
    for (const Group *g = gs; g && kube_yaml_rc(c->y) == SIM_OK; g = g->next)
        write_group(c, g);
    return 1;
}

/* ---- the region a dump names ---------------------------------------------- */

/* The one region the Nodes of region r name (topology.kubernetes.io/region),
 * or NULL when they name none or several. */
static const char *nodes_region(KxImp *c, const char *r)
{
    const char *found = NULL;
    for (const KxDoc *d = c->docs; d; d = d->next) {
        if (!d->kind || strcmp(d->kind, "Node") != 0 || strcmp(d->region, r) != 0)
            continue;
        const KubeYNode *labels = kube_y_get(d->root, "metadata.labels");
        const KubeYNode *v = NULL;
        for (size_t k = 0; v == NULL && region_keys[k]; k++)
            v = kube_y_child(labels, region_keys[k]);
        if (v == NULL || v->type != KUBE_Y_SCALAR || (found && strcmp(found, v->s) != 0))
            return NULL;
        found = v->s;
    }
    return found;
}

void kx_imp_node_region(KxImp *c, const char *from)
{
    const char *why;
    for (size_t i = 0; from && i < c->nregions; i++) {
        if (strcmp(c->regions[i], from) != 0)
            continue;
        const char *to = nodes_region(c, from);
        if (to == NULL || !kx_name_valid(to, KX_DNS1123_LABEL, &why))
            return;
        for (size_t j = 0; j < c->nregions; j++)
            if (strcmp(c->regions[j], to) == 0)
                return;   /* a folder of that name: the files stay apart */
        for (KxDoc *d = c->docs; d; d = d->next)
            if (strcmp(d->region, from) == 0)
                d->region = to;
        c->regions[i] = to;
        return;
    }
}
