/*
 * import_nodes.c: the region and its node groups, from what the export
 * writes: an eksctl ClusterConfig's managed node groups with the
 * cluster-autoscaler chart's values (extraArgs: the flags), or Karpenter
 * NodePools, or the ConfigMap kube-system/kubesim-node-groups of older
 * exports (node-groups.yaml and the flags); a cluster dump's Nodes give them
 * otherwise (import_cluster.c); a region with none of these gets a default
 * CPU group sized for its workloads (and a GPU group when a pod asks for
 * nvidia.com/gpu),
 * marked to edit.
 *
 * Default sizing: nodes of 16 CPU / 64 GiB (GPU: 48 CPU / 192 GiB / 4 GPUs,
 * a g5.12xlarge), enough to hold every Deployment's and StatefulSet's
 * replicas and every Job's parallelism at their requests with the nodes at
 * most 80 % full, one node at least; max is twice that plus two, so the
 * autoscaler has room for HPAs and surges.
 */
#include "k8s-export/import_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "sim/json.h"

static const KxDoc *node_groups(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "ConfigMap")) != NULL;)
        if (d->ns && strcmp(d->ns, "kube-system") == 0 && strcmp(d->name, "kubesim-node-groups") == 0)
            return d;
    return NULL;
}

static const char *const group_fields[][2] = {
    {"instanceType", "instance_type"}, {"min", "min"}, {"max", "max"}, {"size", "size"},
    {"pricePerHour", "price"}, {"spot", "spot"}, {"spotInterruptionsPerHour", "spot_interruptions_per_hour"},
    {"provisioningDelay", "provision_delay"}, {"expanderPriority", "expander_priority"}, {"speed", "speed"},
    {"gpuSpeedup", "gpu_speedup"}};

static void taints(KxImp *c, const KubeYNode *ts)
{
    kx_out(c, ", taints = {");
    for (const KubeYNode *t = ts ? ts->first : NULL; t && kube_y_want(c->y, t, KUBE_Y_MAP); t = t->next) {
        const char *k = kube_y_str(c->y, t, "key"), *v = kube_y_str(c->y, t, "value"), *e = kube_y_str(c->y, t, "effect");
        if (k == NULL || e == NULL) {
            kube_yaml_fail(c->y, NULL, t, "a taint needs key and effect");
            return;
        }
        char buf[512];
        snprintf(buf, sizeof buf, "%s%s%s:%s", k ? k : "", v && *v ? "=" : "", v && *v ? v : "", e ? e : "");
        kx_out(c, t == ts->first ? " " : ", ");
        kx_out_str(c, buf);
    }
    kx_out(c, ts && ts->n ? " }" : "}");
}

/* A group's name: validate wants a DNS-1123 label, once per scenario. */
static const char *group_name(KxImp *c, const KubeYNode *g)
{
    const char *name = kube_y_str(c->y, g, "name"), *why;
    if (name == NULL) {
        kube_yaml_fail(c->y, NULL, g, "a node group needs a name");
        return NULL;
    }
    if (!kx_name_valid(name, KX_DNS1123_LABEL, &why)) {
        kube_yaml_fail(c->y, NULL, kube_y_get(g, "name"), "'%s' is not a valid node group name: %s", name, why);
        return NULL;
    }
    if (kx_seen(c, "nodegroup", name, "")) {
        kube_yaml_fail(c->y, NULL, kube_y_get(g, "name"), "node group '%s' is declared twice (names are per scenario)", name);
        return NULL;
    }
    return name;
}

static void group_field(KxImp *c, const KubeYNode *v, const char *field)
{
    if (v == NULL || kube_y_want(c->y, v, KUBE_Y_SCALAR) == NULL)
        return;
    kx_out(c, ", %s = ", field);
    if (strcmp(field, "provision_delay") == 0)
        kx_out_duration(c, v);
    else if (strcmp(field, "instance_type") == 0)
        kx_out_str(c, v->s);
    else if (strcmp(field, "spot") == 0 && strcmp(v->s, "true") != 0 && strcmp(v->s, "false") != 0)
        kube_yaml_fail(c->y, NULL, v, "expected true or false, not '%s'", v->s);
    else if (strcmp(field, "spot") == 0)
        kx_out(c, "%s", v->s);
    else
        kx_out_number(c, v);
}

int kx_out_price(KxImp *c, const char *instance_type, const KubeYNode *given)
{
    const KxPrice *p = kx_prices_find(c->o ? c->o->prices : NULL, instance_type);
    if (p) {
        char num[SIM_NUM_LEN];
        kx_out(c, ", price = %s", sim_num(p->per_hour, num));
        return 0;
    }
    if (given && kube_y_want(c->y, given, KUBE_Y_SCALAR)) {
        kx_out(c, ", price = ");
        kx_out_number(c, given);
        return 0;
    }
    kx_out(c, ", price = \"unknown\"");
    return 1;
}

void kx_out_price_note(KxImp *c, const char *instance_type)
{
    kx_out(c, "   -- no price for ");
    kx_out_comment(c, instance_type ? instance_type : "(no instance type)");
    kx_out(c, ": its cost is unknown; kubesim import --prices FILE sets it\n");
}

static void group(KxImp *c, const KubeYNode *g)
{
    if (kube_y_want(c->y, g, KUBE_Y_MAP) == NULL)
        return;
    const char *name = group_name(c, g);
    if (name == NULL)
        return;
    kx_out(c, "nodegroup { name = ");
    kx_out_str(c, name);
    kx_out(c, ", region = ");
    kx_out_str(c, c->region);
    const char *type = kube_y_get_str(g, "instanceType");
    int unpriced = 0;
    for (size_t i = 0; i < sizeof group_fields / sizeof group_fields[0]; i++)
        if (strcmp(group_fields[i][1], "price") == 0)   /* the scenario's instance type defaults to the name */
            unpriced = kx_out_price(c, type ? type : name, kube_y_get(g, group_fields[i][0]));
        else
            group_field(c, kube_y_get(g, group_fields[i][0]), group_fields[i][1]);
    const KubeYNode *cap = kube_y_map(c->y, g, "capacity"), *x;
    if ((x = kube_y_get(cap, "cpu")) != NULL)
        kx_out(c, ", cpu = "), kx_out_quantity(c, x, 1);
    if ((x = kube_y_get(cap, "memory")) != NULL)
        kx_out(c, ", memory = "), kx_out_quantity(c, x, 0);
    if ((x = kube_y_child(cap, "nvidia.com/gpu")) != NULL)
        kx_out(c, ", gpu = %lld", (long long)kx_int(c, x, 0, 64));
    if ((x = kube_y_get(cap, "pods")) != NULL)
        kx_out(c, ", pods = %lld", (long long)kx_int(c, x, 1, 100000));
    /* No zones: every zone of the region (validate refuses an empty list). */
    const KubeYNode *zs = kube_y_seq(c->y, g, "zones");
    for (const KubeYNode *z = zs ? zs->first : NULL; z && kube_y_want(c->y, z, KUBE_Y_SCALAR); z = z->next) {
        kx_out(c, z == zs->first ? ",\n    zones = { " : ", ");
        kx_out_str(c, z->s);
    }
    kx_out(c, zs && zs->n ? " }, labels = " : ",\n    labels = ");
    kx_out_string_map(c, kube_y_get(g, "labels"));
    taints(c, kube_y_seq(c->y, g, "taints"));
    kx_out(c, " }");
    if (unpriced)
        kx_out_price_note(c, type ? type : name);
    else
        kx_out(c, "\n");
}

/* The region's zones: every group's, each once, in order of first
 * appearance; each item must be a zone name (a string). *first is 1 until
 * the first zone is written. */
static void region_zones(KxImp *c, const KubeYNode *zs, int *first)
{
    for (const KubeYNode *z = zs ? zs->first : NULL; z && kube_y_want(c->y, z, KUBE_Y_SCALAR); z = z->next) {
        if (*z->s == '\0') {
            kube_yaml_fail(c->y, NULL, z, "a zone name must not be empty");
            return;
        }
        if (kx_seen(c, "zone in", c->region, z->s))
            continue;
        if (kx_seen(c, "zone", z->s, "")) {   /* validate: a zone belongs to one region */
            kube_yaml_fail(c->y, NULL, z, "zone '%s' is also a zone of another region", z->s);
            return;
        }
        kx_out(c, *first ? ", zones = { " : ", ");
        kx_out_str(c, z->s);
        *first = 0;
    }
}

static void region_begin(KxImp *c)
{
    kx_out(c, "region { name = ");
    kx_out_str(c, c->region);
}

static void region_end(KxImp *c, int first)
{
    kx_out(c, first ? " }\n" : " } }\n");
}

/* The ConfigMap's groups: each group's zones. */
static void region(KxImp *c, const KubeYNode *groups)
{
    int first = 1;
    region_begin(c);
    for (const KubeYNode *g = groups ? groups->first : NULL; g && kube_y_want(c->y, g, KUBE_Y_MAP); g = g->next)
        region_zones(c, kube_y_seq(c->y, g, "zones"), &first);
    region_end(c, first);
}

/* ---- eksctl and the chart's values ----------------------------------------- */

/* metadata.annotations["kubesim.io/GROUP.WHAT"] of d, or NULL. */
static const KubeYNode *group_note(KxImp *c, const KxDoc *d, const char *group, const char *what)
{
    char key[300];
    snprintf(key, sizeof key, "kubesim.io/%s.%s", group, what);
    return kx_annotation_node(c, d->root, key);
}

/* The annotations the export adds for what eksctl and Karpenter have no
 * field for (note(c, d, group, WHAT) finds each); a group without its
 * allocatable (not from kubesim) gets a 16 CPU / 64 GiB node, said so. */
typedef const KubeYNode *(*NoteFn)(KxImp *c, const KxDoc *d, const char *group, const char *what);

static void sim_fields(KxImp *c, const KxDoc *d, const char *group, NoteFn note)
{
    static const char *const fields[][2] = {
        {"provisioning-delay", "provision_delay"},
        {"expander-priority", "expander_priority"}, {"speed", "speed"}, {"gpu-speedup", "gpu_speedup"},
        {"spot-interruptions-per-hour", "spot_interruptions_per_hour"}};
    const KubeYNode *x;
    if ((x = note(c, d, group, "cpu")) != NULL)
        kx_out(c, ", cpu = "), kx_out_quantity(c, x, 1);
    else
        kx_out(c, ", cpu = \"16\" --[[ not given: edit ]]");
    if ((x = note(c, d, group, "memory")) != NULL)
        kx_out(c, ", memory = "), kx_out_quantity(c, x, 0);
    else
        kx_out(c, ", memory = \"64Gi\" --[[ not given: edit ]]");
    if ((x = note(c, d, group, "gpu")) != NULL)
        kx_out(c, ", gpu = %lld", (long long)kx_int(c, x, 0, 64));
    if ((x = note(c, d, group, "pods")) != NULL)
        kx_out(c, ", pods = %lld", (long long)kx_int(c, x, 1, 100000));
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        group_field(c, note(c, d, group, fields[i][0]), fields[i][1]);
}

/* The chart's expanderPriorities: the priority whose list holds ^NAME$, as
 * the export writes it; 0 (written nothing) when none does. */
static void helm_priority(KxImp *c, const char *group)
{
    const KxDoc *v = kx_next(c, NULL, KX_HELM_VALUES);
    const KubeYNode *pr = v ? kube_y_map(c->y, v->root, "expanderPriorities") : NULL;
    char re[300];
    snprintf(re, sizeof re, "^%s$", group);
    for (const KubeYNode *p = pr ? pr->first : NULL; p; p = p->next)
        for (const KubeYNode *r = kube_y_want(c->y, p, KUBE_Y_SEQ) ? p->first : NULL; r; r = r->next)
            if (r->type == KUBE_Y_SCALAR && strcmp(r->s, re) == 0) {
                char *end;
                long n = strtol(p->key, &end, 10);
                if (*end == '\0' && n != 0)
                    kx_out(c, ", expander_priority = %ld", n);
                return;
            }
}

/* Closes a group's declaration, with the note when it has no price. */
static void end_group(KxImp *c, int unpriced, const char *type)
{
    kx_out(c, " }");
    if (unpriced)
        kx_out_price_note(c, type);
    else
        kx_out(c, "\n");
}

static void eksctl_group(KxImp *c, const KxDoc *d, const KubeYNode *g)
{
    const char *name = group_name(c, g);
    if (name == NULL)
        return;
    kx_out(c, "nodegroup { name = ");
    kx_out_str(c, name);
    kx_out(c, ", region = ");
    kx_out_str(c, c->region);
    const KubeYNode *types = kube_y_seq(c->y, g, "instanceTypes");
    group_field(c, types && types->first ? types->first : kube_y_get(g, "instanceType"), "instance_type");
    group_field(c, kube_y_get(g, "minSize"), "min");
    group_field(c, kube_y_get(g, "maxSize"), "max");
    group_field(c, kube_y_get(g, "desiredCapacity"), "size");
    group_field(c, kube_y_get(g, "spot"), "spot");
    const char *type = types && types->first ? types->first->s : kube_y_get_str(g, "instanceType");
    int unpriced = kx_out_price(c, type ? type : name, group_note(c, d, name, "price-per-hour"));
    sim_fields(c, d, name, group_note);
    if (group_note(c, d, name, "expander-priority") == NULL)
        helm_priority(c, name);
    const KubeYNode *zs = kube_y_seq(c->y, g, "availabilityZones");
    for (const KubeYNode *z = zs ? zs->first : NULL; z && kube_y_want(c->y, z, KUBE_Y_SCALAR); z = z->next) {
        kx_out(c, z == zs->first ? ",\n    zones = { " : ", ");
        kx_out_str(c, z->s);
    }
    kx_out(c, zs && zs->n ? " }, labels = " : ",\n    labels = ");
    kx_out_string_map(c, kube_y_get(g, "labels"));
    taints(c, kube_y_seq(c->y, g, "taints"));
    end_group(c, unpriced, type ? type : name);
}

/* The first ClusterConfig of the region (eksctl-cluster.yaml): its managed
 * node groups (and self-managed nodeGroups, the same fields) are the
 * region's groups. */
static void kx_imp_eksctl(KxImp *c)
{
    KxDoc *d = kx_next(c, NULL, "ClusterConfig");
    static const char *const lists[] = {"managedNodeGroups", "nodeGroups"};
    int first = 1;
    region_begin(c);
    for (size_t l = 0; l < 2; l++) {
        const KubeYNode *gs = kube_y_seq(c->y, d->root, lists[l]);
        for (const KubeYNode *g = gs ? gs->first : NULL; g && kube_y_want(c->y, g, KUBE_Y_MAP); g = g->next)
            region_zones(c, kube_y_seq(c->y, g, "availabilityZones"), &first);
    }
    region_end(c, first);
    for (size_t l = 0; l < 2; l++) {
        const KubeYNode *gs = kube_y_seq(c->y, d->root, lists[l]);
        for (const KubeYNode *g = gs ? gs->first : NULL; g && kube_yaml_rc(c->y) == SIM_OK; g = g->next)
            if (kube_y_want(c->y, g, KUBE_Y_MAP))
                eksctl_group(c, d, g);
    }
}

/* ---- Karpenter NodePools ----------------------------------------------------- */

/* A NodePool's kubesim.io/WHAT annotation (the group is the pool). */
static const KubeYNode *pool_note(KxImp *c, const KxDoc *d, const char *group, const char *what)
{
    char key[300];
    (void)group;
    snprintf(key, sizeof key, "kubesim.io/%s", what);
    return kx_annotation_node(c, d->root, key);
}

/* The values of the requirement on key (operator In), or NULL. */
static const KubeYNode *requirement(KxImp *c, const KubeYNode *reqs, const char *key)
{
    for (const KubeYNode *r = reqs ? reqs->first : NULL; r; r = r->next) {
        const char *k = kube_y_want(c->y, r, KUBE_Y_MAP) ? kube_y_str(c->y, r, "key") : NULL;
        const char *op = k ? kube_y_str(c->y, r, "operator") : NULL;
        if (k && strcmp(k, key) == 0 && op && strcmp(op, "In") == 0)
            return kube_y_seq(c->y, r, "values");
    }
    return NULL;
}

/* The pool's labels but the one the simulation puts on every node itself. */
static void pool_labels(KxImp *c, const KubeYNode *map)
{
    int n = 0;
    kx_out(c, "{");
    for (const KubeYNode *k = kube_y_want(c->y, map, KUBE_Y_MAP) ? map->first : NULL; k; k = k->next) {
        if (!kube_y_want(c->y, k, KUBE_Y_SCALAR) || strcmp(k->key, "kubesim.io/node-group") == 0)
            continue;
        kx_out(c, n++ ? ", " : " ");
        kx_out_key(c, k->key);
        kx_out_str(c, k->s);
    }
    kx_out(c, n ? " }" : "}");
}

/* max: the annotation, else the CPU limit over a node's CPU. */
static void pool_max(KxImp *c, const KxDoc *d)
{
    const KubeYNode *max = pool_note(c, d, NULL, "max"), *cpu = pool_note(c, d, NULL, "cpu");
    const KubeYNode *lim = kube_y_get(d->root, "spec.limits.cpu");
    if (max) {
        group_field(c, max, "max");
        return;
    }
    int64_t per = cpu ? kx_quantity(c, cpu, 1) : 0, all = lim ? kx_quantity(c, lim, 1) : 0;
    if (per > 0 && all > 0)
        kx_out(c, ", max = %lld", (long long)(all / per));
}

static void nodepool(KxImp *c, const KxDoc *d)
{
    if (kx_seen(c, "nodegroup", d->name, "")) {   /* the name is a label (import.c checked it) */
        kube_yaml_fail(c->y, NULL, kube_y_get(d->root, "metadata.name"),
                       "node group '%s' is declared twice (names are per scenario)", d->name);
        return;
    }
    const KubeYNode *spec = kube_y_map(c->y, d->root, "spec.template.spec");
    const KubeYNode *reqs = kube_y_seq(c->y, spec, "requirements"), *v;
    const char *type = d->name;   /* the scenario's default instance type */
    kx_out(c, "nodegroup { name = ");
    kx_out_str(c, d->name);
    kx_out(c, ", region = ");
    kx_out_str(c, c->region);
    if ((v = requirement(c, reqs, "node.kubernetes.io/instance-type")) != NULL && v->first) {
        group_field(c, v->first, "instance_type");
        type = v->first->type == KUBE_Y_SCALAR ? v->first->s : type;
    }
    if ((v = requirement(c, reqs, "karpenter.sh/capacity-type")) != NULL && v->n == 1 && v->first->s &&
        strcmp(v->first->s, "spot") == 0)
        kx_out(c, ", spot = true");
    group_field(c, pool_note(c, d, NULL, "min"), "min");
    pool_max(c, d);
    group_field(c, pool_note(c, d, NULL, "size"), "size");
    int unpriced = kx_out_price(c, type, pool_note(c, d, NULL, "price-per-hour"));
    sim_fields(c, d, NULL, pool_note);
    const KubeYNode *w = kube_y_get(d->root, "spec.weight");
    if (pool_note(c, d, NULL, "expander-priority") == NULL && w)
        group_field(c, w, "expander_priority");
    const KubeYNode *zs = requirement(c, reqs, "topology.kubernetes.io/zone");
    for (const KubeYNode *z = zs ? zs->first : NULL; z && kube_y_want(c->y, z, KUBE_Y_SCALAR); z = z->next) {
        kx_out(c, z == zs->first ? ",\n    zones = { " : ", ");
        kx_out_str(c, z->s);
    }
    kx_out(c, zs && zs->n ? " }, labels = " : ",\n    labels = ");
    pool_labels(c, kube_y_get(d->root, "spec.template.metadata.labels"));
    taints(c, kube_y_seq(c->y, spec, "taints"));
    end_group(c, unpriced, type);
}

/* The region's NodePools (nodepools.yaml), each a group. */
static void kx_imp_nodepools(KxImp *c)
{
    int first = 1;
    region_begin(c);
    for (KxDoc *d = NULL; (d = kx_next(c, d, "NodePool")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const KubeYNode *reqs = kube_y_seq(c->y, d->root, "spec.template.spec.requirements");
        region_zones(c, requirement(c, reqs, "topology.kubernetes.io/zone"), &first);
    }
    region_end(c, first);
    for (KxDoc *d = NULL; (d = kx_next(c, d, "NodePool")) != NULL && kube_yaml_rc(c->y) == SIM_OK;)
        nodepool(c, d);
}

/* ---- the default groups ---------------------------------------------------- */

typedef struct Need {
    int64_t cpu, memory, gpu, pods;
} Need;

static int64_t replicas(KxImp *c, const KxDoc *d, const KubeYNode **tmpl)
{
    const KubeYNode *s = kube_y_map(c->y, d->root, "spec");
    *tmpl = kube_y_map(c->y, s, "template");
    const KubeYNode *r = kube_y_get(s, strcmp(d->kind, "Job") == 0 ? "parallelism" : "replicas");
    if (strcmp(d->kind, "CronJob") == 0) {
        *tmpl = kube_y_map(c->y, s, "jobTemplate.spec.template");
        r = kube_y_get(s, "jobTemplate.spec.parallelism");
    }
    return r ? kx_int(c, r, 0, 1000000000) : 1;
}

static void needs(KxImp *c, Need *cpu, Need *gpu)
{
    static const char *const kinds[] = {"Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet", NULL};
    for (size_t k = 0; kinds[k]; k++)
        for (KxDoc *d = NULL; (d = kx_next(c, d, kinds[k])) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
            const KubeYNode *tmpl;
            int64_t n = strcmp(kinds[k], "DaemonSet") == 0 ? 1 : replicas(c, d, &tmpl);
            if (strcmp(kinds[k], "DaemonSet") == 0)
                tmpl = kube_y_map(c->y, d->root, "spec.template");
            KubePod p;
            (void)kx_pod_read(c, tmpl, &p);   /* p zeroed when there is none */
            const SimRes *r = &p.spec.req;
            Need *to = r->gpu ? gpu : cpu;
            to->cpu += n * r->cpu_m, to->memory += n * r->mem, to->gpu += n * r->gpu, to->pods += n;
        }
}

static int64_t nodes_for(const Need *n, int64_t cpu, int64_t mem, int64_t gpus)
{
    /* 80 % full at most: each node offers 4/5 of its allocatable. */
    int64_t k = 1;
    while (k * cpu * 4 / 5 < n->cpu || k * mem * 4 / 5 < n->memory || k * gpus < n->gpu || k * 110 < n->pods)
        k++;
    return k;
}

static void default_group(KxImp *c, const char *name, const char *type, const Need *n, int64_t cpu, int gib,
                          int gpus)
{
    int64_t k = nodes_for(n, cpu, (int64_t)gib << 30, gpus);
    kx_out(c, "-- No node group came with the manifests: this one is sized for the workloads below\n"
              "-- (%lld pods, %lldm CPU, %lld MiB requested; nodes at most 80%% full). Edit it.\n",
           (long long)n->pods, (long long)n->cpu, (long long)(n->memory >> 20));
    /* Group names are the scenario's: one per region where there are several. */
    kx_out(c, "nodegroup { name = ");
    if (c->nregions > 1) {
        char both[160];
        snprintf(both, sizeof both, "%s-%s", name, c->region);
        kx_out_str(c, both);
    } else {
        kx_out_str(c, name);
    }
    kx_out(c, ", region = ");
    kx_out_str(c, c->region);
    kx_out(c, ", instance_type = \"%s\", cpu = \"%lld\", memory = \"%dGi\"%s, min = %lld, max = %lld", type,
           (long long)(cpu / 1000), gib, gpus ? ", gpu = 4" : "", (long long)k, (long long)(2 * k + 2));
    if (kx_out_price(c, type, NULL)) {
        kx_out(c, " }");
        kx_out_price_note(c, type);
    } else {
        kx_out(c, " }\n");
    }
}

void kx_imp_nodegroups(KxImp *c)
{
    const KxDoc *d = node_groups(c);
    if (d == NULL && kx_next(c, NULL, "ClusterConfig")) {
        kx_imp_eksctl(c);
        return;
    }
    if (d == NULL && kx_next(c, NULL, "NodePool")) {
        kx_imp_nodepools(c);
        return;
    }
    const KubeYNode *data = d ? kube_y_map(c->y, d->root, "data") : NULL, *list = NULL;
    const KubeYNode *text = kube_y_want(c->y, kube_y_child(data, "node-groups.yaml"), KUBE_Y_SCALAR);
    if (text)
        list = kube_yaml_parse_one(c->y, text);
    if (list && list->type != KUBE_Y_SEQ) {
        kube_yaml_fail(c->y, NULL, text, "node-groups.yaml must be a list of groups, not %s", kube_y_type_name(list->type));
        return;
    }
    if (list == NULL && kx_imp_nodes(c))
        return;   /* a cluster dump: its Nodes are the groups */
    region(c, list);
    for (const KubeYNode *g = list ? list->first : NULL; g && kube_yaml_rc(c->y) == SIM_OK; g = g->next)
        group(c, g);
    if (list)
        return;
    Need cpu = {0}, gpu = {0};
    needs(c, &cpu, &gpu);
    c->cur = NULL;   /* the default groups come from no document */
    default_group(c, "cpu", "m6i.4xlarge", &cpu, 16000, 64, 0);
    if (gpu.pods)
        default_group(c, "gpu", "g5.12xlarge", &gpu, 48000, 192, 4);
}

/* ---- the autoscaler's flags --------------------------------------------- */

static const char *const flags[][2] = {
    {"scan-interval", "scan_interval"}, {"max-nodes-total", "max_nodes_total"},
    {"max-node-provision-time", "max_node_provision_time"}, {"scale-down-enabled", "scale_down"},
    {"scale-down-utilization-threshold", "scale_down_utilization_threshold"},
    {"scale-down-gpu-utilization-threshold", "scale_down_gpu_utilization_threshold"},
    {"scale-down-unneeded-time", "scale_down_unneeded_time"}, {"scale-down-unready-time", "scale_down_unready_time"},
    {"scale-down-delay-after-add", "scale_down_delay_after_add"},
    {"scale-down-delay-after-failure", "scale_down_delay_after_failure"},
    {"max-empty-bulk-delete", "max_empty_bulk_delete"}, {"max-pod-eviction-time", "max_pod_eviction_time"},
    {"expendable-pods-priority-cutoff", "expendable_pods_priority_cutoff"},
    {"scale-down-non-empty-candidates-count", "scale_down_non_empty_candidates_count"},
    {"scale-down-candidates-pool-ratio", "scale_down_candidates_pool_ratio"},
    {"scale-down-candidates-pool-min-count", "scale_down_candidates_pool_min_count"}};

/* A decimal number that reads whole (so "--" or "1e" is not one). */
static int plain_number(const char *v)
{
    char *end;
    if (*v == '\0' || strspn(v, "-+0123456789.eE") != strlen(v))
        return 0;
    double x = strtod(v, &end);
    return *end == '\0' && isfinite(x);
}

static void flag(KxImp *c, const char *name, const char *v)
{
    if (strcmp(name, "expander") == 0) {
        kx_out(c, ", expander = {");
        char buf[256];
        snprintf(buf, sizeof buf, "%s", v);
        int first = 1;
        for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            kx_out(c, first ? " " : ", ");
            kx_out_str(c, p);
            first = 0;
        }
        kx_out(c, " }");
        return;
    }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (strcmp(name, flags[i][0]) != 0)
            continue;
        int text = v[strlen(v) - 1] == 's' && v[0] >= '0' && v[0] <= '9';
        kx_out(c, ", %s = ", flags[i][1]);
        if (text)
            kx_out_str(c, v);
        else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || plain_number(v))
            kx_out(c, "%s", v);
        else
            kx_out_str(c, v);
    }
}

/* The chart values' extraArgs (and replicaCount 0: no autoscaler). */
static void helm_values(KxImp *c, const KxDoc *d)
{
    const KubeYNode *args = kube_y_map(c->y, d->root, "extraArgs"), *rc = kube_y_get(d->root, "replicaCount");
    int off = rc && kx_int(c, rc, 0, 1000) == 0;
    kx_out(c, "autoscaler { enabled = %s", off ? "false" : "true");
    for (const KubeYNode *a = args ? args->first : NULL; a; a = a->next)
        if (kube_y_want(c->y, a, KUBE_Y_SCALAR) && *a->s)
            flag(c, a->key, a->s);
    kx_out(c, " }\n");
}

/* Karpenter's consolidation is the scale-down: the first pool's
 * consolidateAfter is the unneeded time, Never no scale-down. */
static void karpenter(KxImp *c, const KxDoc *pool)
{
    const KubeYNode *after = kube_y_get(pool->root, "spec.disruption.consolidateAfter");
    if (after == NULL || kube_y_want(c->y, after, KUBE_Y_SCALAR) == NULL)
        return;
    if (strcmp(after->s, "Never") == 0) {
        kx_out(c, "autoscaler { enabled = true, scale_down = false }\n");
        return;
    }
    kx_out(c, "autoscaler { enabled = true, scale_down_unneeded_time = ");
    kx_out_duration(c, after);
    kx_out(c, " }\n");
}

void kx_imp_autoscaler(KxImp *c)
{
    const KxDoc *d = node_groups(c), *v = d ? NULL : kx_next(c, NULL, KX_HELM_VALUES);
    const char *fl = d ? kube_y_str(c->y, d->root, "data.flags") : NULL;
    const KxDoc *pool = d || v ? NULL : kx_next(c, NULL, "NodePool");
    if (v) {
        helm_values(c, v);
        return;
    }
    if (pool) {
        karpenter(c, pool);
        return;
    }
    if (fl == NULL)
        return;
    char *copy = sim_arena_strdup(&c->a, fl);
    if (copy == NULL) {
        kube_yaml_nomem(c->y);
        return;
    }
    kx_out(c, "autoscaler { enabled = true");
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(l, '=');
        if (strncmp(l, "--", 2) != 0 || eq == NULL || eq[1] == '\0')
            continue;
        *eq = '\0';
        flag(c, l + 2, eq + 1);
    }
    kx_out(c, " }\n");
}
