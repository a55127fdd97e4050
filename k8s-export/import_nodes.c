/*
 * import_nodes.c: the region and its node groups. The export's ConfigMap
 * kube-system/kubesim-node-groups gives the groups (node-groups.yaml) and the
 * cluster autoscaler's flags; a cluster dump's Nodes give them otherwise
 * (import_cluster.c); a region with neither gets a default CPU group sized
 * for its workloads (and a GPU group when a pod asks for nvidia.com/gpu),
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
        kx_out(c, ", price = %.15g", p->per_hour);
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
 * appearance; each item must be a zone name (a string). */
static void region(KxImp *c, const KubeYNode *groups)
{
    kx_out(c, "region { name = ");
    kx_out_str(c, c->region);
    if (groups == NULL) {
        kx_out(c, " }\n");
        return;
    }
    int first = 1;
    for (const KubeYNode *g = groups->first; g && kube_y_want(c->y, g, KUBE_Y_MAP); g = g->next) {
        const KubeYNode *zs = kube_y_seq(c->y, g, "zones");
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
            kx_out(c, first ? ", zones = { " : ", ");
            kx_out_str(c, z->s);
            first = 0;
        }
    }
    kx_out(c, first ? " }\n" : " } }\n");
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
    kx_out(c, "nodegroup { name = \"%s\", region = ", name);
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
    {"max-empty-bulk-delete", "max_empty_bulk_delete"},
    {"expendable-pods-priority-cutoff", "expendable_pods_priority_cutoff"}};

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

void kx_imp_autoscaler(KxImp *c)
{
    const KxDoc *d = node_groups(c);
    const char *fl = d ? kube_y_str(c->y, d->root, "data.flags") : NULL;
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
