/*
 * ca_explain.c: `kubesim explain autoscaler CASE.json`: what one cluster
 * autoscaler loop decides for a cluster, every step shown (k8s-behaviour.md
 * §2). The case holds the node groups ({name, min, max, current, template: a
 * v1 Node, pricePerHour, priority}), the v1 Nodes (each names its group with
 * the label kubesim.io/node-group), the v1 Pods (bound with spec.nodeName, or
 * pending), optionally PriorityClasses, PodDisruptionBudgets and Namespaces,
 * the expander (a name, "priority,least-waste", or a list) and the
 * autoscaler's flags that shape a plan (camelCase of SchedCaConfig:
 * maxNodesTotal, maxNodesPerScaleup, expendablePodsPriorityCutoff,
 * scaleDownEnabled, scaleDownUtilizationThreshold,
 * scaleDownGpuUtilizationThreshold, scaleDownNonEmptyCandidatesCount,
 * scaleDownCandidatesPoolRatio, scaleDownCandidatesPoolMinCount). Timer
 * flags are refused: explain has no timers, so no node was unneeded in a
 * previous loop and every non-empty node is judged within the pool.
 *
 * The case becomes a one-region engine with one SimNodeGroup per group. The
 * bound pods are bound where they are; the pending ones go through admission
 * and the scheduler's cycle exactly as in a run (those that fit are bound,
 * the rest are marked unschedulable, and preemption may nominate a node);
 * then an autoscaler that only plans (cfg.enabled 0) says with
 * sched_ca_plan() what its loop would do. That is the same plan a run acts
 * on, so what explain prints is what a run does.
 *
 * Mapping of the v1 objects onto the model (README "Fidelity"):
 *   - A node group's nodes are identical machines: a node's allocatable must
 *     equal its template's and its taints (if it lists any) too; its labels
 *     are the template's, plus its own zone (topology.kubernetes.io/zone) and
 *     hostname. Upstream nodes of one group may differ.
 *   - `current` larger than the nodes listed: the missing nodes are still
 *     provisioning (upcoming: they never become Ready in explain). Smaller is
 *     refused. Absent: the nodes listed.
 *   - A pod's controller is its ownerReference with controller: true
 *     (upstream metav1.GetControllerOf): ReplicaSet, ReplicationController and
 *     Deployment are replicated like a Deployment's pods, StatefulSet and Job
 *     as such, DaemonSet (and a mirror pod, annotation kubernetes.io/
 *     config.mirror) as a DaemonSet pod; none, or any other kind, is a bare
 *     pod (upstream's skip-nodes-with-custom-controller-pods defaults to true,
 *     so pods of custom controllers block like bare ones).
 *   - cluster-autoscaler.kubernetes.io/safe-to-evict "true"/"false" and
 *     emptyDir or hostPath volumes (minus those named in
 *     .../safe-to-evict-local-volumes) set SimPodSpec.safe_to_evict and
 *     local_storage (kube_pod_eviction); node annotation
 *     .../scale-down-disabled "true" sets SimNode.scale_down_disabled.
 *
 * Invariant: nothing is written to out unless the whole case was read and
 * planned; the first problem is reported as "FILE: $.json.path: problem"
 * (or "FILE:LINE:COL: not valid JSON").
 */
#include "scheduler/explain.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/ca.h"
#include "scheduler/explain_int.h"
#include "sim/json.h"
#include "sim/policy.h"

#define PATH KUBE_PATH
#define GROUP_LABEL "kubesim.io/node-group"
#define ZONE_LABEL "topology.kubernetes.io/zone"
#define TYPE_LABEL "node.kubernetes.io/instance-type"
#define ANN_NO_SCALE_DOWN "cluster-autoscaler.kubernetes.io/scale-down-disabled"
#define ANN_MIRROR "kubernetes.io/config.mirror"
/* The scheduler runs over the case's pods this long before the plan: enough
 * for every cycle and the first backoff retries. */
#define SETTLE SIM_SEC(5)
/* `current` is at most this: every node it counts beyond the listed ones is
 * made, so it bounds the work (Kubernetes' own envelope is 5,000 nodes). */
#define MAX_CURRENT 100000
/* Upcoming nodes stay provisioning: explain never gets this far. */
#define UPCOMING_DELAY SIM_SEC(600)

/* Paths are built in fixed buffers while descending; a path longer than PATH
 * is cut short in the message, which is harmless (as in kube/). */
#if !defined(__clang__)   /* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* Every error of the case goes into the kube reader's sticky message: FAIL
 * states it, BAD also returns SIM_EINVAL as a value. */
#define FAIL(c, path, ...) kube_fail((c)->w.kr, (path), __VA_ARGS__)
#define BAD(c, path, ...) (FAIL(c, path, __VA_ARGS__), SIM_EINVAL)

typedef struct Pod {
    KubePod v;
    const char *node;          /* spec.nodeName: where it is bound, or NULL: pending */
    uint32_t wl;
} Pod;

typedef struct Case {
    SchedXWorld w;
    SchedCa *ca;
    SchedCaConfig cfg;
    int32_t *current;          /* per group: `current`, -1 when absent */
    uint32_t *listed;          /* per group: nodes listed */
    Pod *pods;
    size_t npods;
} Case;

static int engine_err(Case *c, int rc, const char *path)
{
    if (rc == SIM_OK || kube_failed(c->w.kr))
        return rc;
    sched_xworld_engine_err(&c->w, rc, path);
    return SIM_EINVAL;
}

static const cJSON *array(Case *c, const cJSON *o, const char *key)
{
    return sched_xworld_array(&c->w, o, key, 1);
}

/* A string from the arena, exactly as long as it needs: names have no length
 * limit in a case, so they never go through a fixed buffer (one would cut
 * them, and two long names could come out the same). NULL when out of memory. */
static char *arena_fmt(Case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_fmt(Case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : sim_arena_alloc(&c->w.arena, (size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- small readers ------------------------------------------------------------ */
/* A whole number in [lo, hi] at o.key, deflt when absent. */
static int64_t whole(Case *c, const cJSON *o, const char *key, const char *path, int64_t deflt, int64_t lo,
                     int64_t hi)
{
    char sub[PATH];
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    int64_t v = deflt;
    if (x != NULL && !kube_failed(c->w.kr))
        (void)kube_whole(c->w.kr, x, sub, lo, hi, &v);
    return v;
}

/* A number in [lo, hi] at o.key, deflt when absent. */
static double number(Case *c, const cJSON *o, const char *key, const char *path, double deflt, double lo, double hi)
{
    char sub[PATH];
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    if (x == NULL || kube_failed(c->w.kr))
        return deflt;
    if (!cJSON_IsNumber(x) || x->valuedouble < lo || x->valuedouble > hi) {
        FAIL(c, sub, "expected a number from %g to %g", lo, hi);
        return deflt;
    }
    return x->valuedouble;
}

static const char *label(const SimKV *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

static uint32_t zone_id(Case *c, const char *name)
{
    return name ? sched_xworld_zone(&c->w, name) : SIM_NONE;
}

/* ---- flags and the expander ----------------------------------------------------- */
static int expander_one(Case *c, const char *name, const char *path)
{
    int x = sched_ca_expander_parse(name);
    if (x < 0)
        return BAD(c, path, "\"%s\" is not one of least-waste, price, priority, most-pods, least-nodes, random", name);
    if (c->cfg.nexpanders == SCHED_CA_MAX_EXPANDERS)
        return BAD(c, path, "at most %d expanders can be chained", SCHED_CA_MAX_EXPANDERS);
    c->cfg.expanders[c->cfg.nexpanders++] = (SchedCaExpander)x;
    return SIM_OK;
}

/* "least-waste", "priority,least-waste" (upstream's flag) or a list of names. */
static int expander(Case *c, const cJSON *x)
{
    char path[PATH];
    int rc = SIM_OK;
    c->cfg.nexpanders = 0;
    if (cJSON_IsString(x)) {
        for (const char *p = x->valuestring; rc == SIM_OK;) {
            p += strspn(p, " ");
            size_t n = strcspn(p, ",");
            char *name = arena_fmt(c, "%.*s", (int)n, p);
            if (name == NULL)
                return BAD(c, "$", "out of memory");
            name[strcspn(name, " ")] = '\0';
            rc = expander_one(c, name, "$.expander");
            if (p[n] == '\0')
                break;
            p += n + 1;
        }
    } else if (cJSON_IsArray(x) && cJSON_GetArraySize(x) > 0) {
        size_t i = 0;
        const cJSON *y;
        cJSON_ArrayForEach(y, x) {
            snprintf(path, sizeof path, "$.expander[%zu]", i++);
            if (rc == SIM_OK)
                rc = cJSON_IsString(y) ? expander_one(c, y->valuestring, path) : BAD(c, path, "expected a string");
        }
    } else {
        rc = BAD(c, "$.expander", "expected a name such as \"least-waste\" or a list of names");
    }
    return rc;
}

static int flags(Case *c, const cJSON *root)
{
    SchedCaConfig *f = &c->cfg;
    sched_ca_config_default(f);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, "expander");
    if (x && expander(c, x) != SIM_OK)
        return SIM_EINVAL;
    f->max_nodes_total = (int32_t)whole(c, root, "maxNodesTotal", "$", f->max_nodes_total, 0, INT32_MAX);
    f->max_nodes_per_scaleup = (int32_t)whole(c, root, "maxNodesPerScaleup", "$", f->max_nodes_per_scaleup, 1,
                                              INT32_MAX);
    f->expendable_pods_priority_cutoff = (int32_t)whole(c, root, "expendablePodsPriorityCutoff", "$",
                                                        f->expendable_pods_priority_cutoff, INT32_MIN, INT32_MAX);
    f->scale_down_utilization_threshold = number(c, root, "scaleDownUtilizationThreshold", "$",
                                                 f->scale_down_utilization_threshold, 0, 1);
    f->scale_down_gpu_utilization_threshold = number(c, root, "scaleDownGpuUtilizationThreshold", "$",
                                                     f->scale_down_gpu_utilization_threshold, 0, 1);
    f->scale_down_non_empty_candidates_count =
        (int32_t)whole(c, root, "scaleDownNonEmptyCandidatesCount", "$", f->scale_down_non_empty_candidates_count,
                       INT32_MIN, INT32_MAX);
    f->scale_down_candidates_pool_ratio = number(c, root, "scaleDownCandidatesPoolRatio", "$",
                                                 f->scale_down_candidates_pool_ratio, 0, 1);
    f->scale_down_candidates_pool_min_count = (int32_t)whole(c, root, "scaleDownCandidatesPoolMinCount", "$",
                                                             f->scale_down_candidates_pool_min_count, 0, INT32_MAX);
    x = cJSON_GetObjectItemCaseSensitive(root, "scaleDownEnabled");
    if (x && !cJSON_IsBool(x))
        return BAD(c, "$.scaleDownEnabled", "expected a boolean");
    if (x)
        f->scale_down_enabled = cJSON_IsTrue(x);
    return kube_failed(c->w.kr) ? SIM_EINVAL : SIM_OK;
}

static int check_top(Case *c, const cJSON *root)
{
    /* "description" and "expect" document a case (the test suite checks
     * "expect"); explain ignores both. "pdbs" is explain schedule's name. */
    static const char *const top[] = {"description", "expect", "nodeGroups", "nodes", "pods", "expander",
                                      "priorityClasses", "podDisruptionBudgets", "pdbs", "namespaces",
                                      "maxNodesTotal", "maxNodesPerScaleup", "expendablePodsPriorityCutoff",
                                      "scaleDownEnabled", "scaleDownUtilizationThreshold",
                                      "scaleDownGpuUtilizationThreshold", "scaleDownNonEmptyCandidatesCount",
                                      "scaleDownCandidatesPoolRatio", "scaleDownCandidatesPoolMinCount", NULL};
    kube_keys(c->w.kr, root, "$", top);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(root, "nodeGroups");
    if (!kube_failed(c->w.kr) && (!cJSON_IsArray(g) || cJSON_GetArraySize(g) == 0))
        FAIL(c, "$.nodeGroups", "a non-empty array of node groups is required");
    return kube_failed(c->w.kr) ? SIM_EINVAL : flags(c, root);
}

/* ---- node groups ------------------------------------------------------------------ */
static int group_template(Case *c, const cJSON *j, const char *path, const char *name, KubeNode *n)
{
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.template", path);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "template");
    if (t == NULL)
        return BAD(c, sub, "is required: a v1 Node with status.allocatable");
    kube_node(c->w.kr, t, sub, n);
    const char *g = kube_failed(c->w.kr) ? NULL : label(n->meta.labels, n->meta.nlabels, GROUP_LABEL);
    if (g && strcmp(g, name) != 0)
        return BAD(c, sub, "metadata.labels." GROUP_LABEL ": \"%s\" but the group is \"%s\"", g, name);
    return kube_failed(c->w.kr) ? SIM_EINVAL : SIM_OK;
}

/* The group's limits and price; SIM_EINVAL with the path on a bad one. */
static int group_limits(Case *c, const cJSON *j, const char *path, SimNodeGroup *g, int32_t *current)
{
    char sub[PATH];
    g->min = (int32_t)whole(c, j, "min", path, 0, 0, INT32_MAX);
    snprintf(sub, sizeof sub, "%s.max", path);
    if (!kube_failed(c->w.kr) && cJSON_GetObjectItemCaseSensitive(j, "max") == NULL)
        return BAD(c, sub, "is required");
    g->max = (int32_t)whole(c, j, "max", path, 0, 0, INT32_MAX);
    *current = (int32_t)whole(c, j, "current", path, -1, 0, MAX_CURRENT);
    snprintf(sub, sizeof sub, "%s.current", path);
    if (!kube_failed(c->w.kr) && *current > g->max)
        return BAD(c, sub, "%d is above max %d: a node group never holds more than its max",
                   (int)*current, (int)g->max);
    snprintf(sub, sizeof sub, "%s.pricePerHour", path);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pricePerHour");
    if (!kube_failed(c->w.kr) && p && !cJSON_IsNull(p) &&
        (!cJSON_IsNumber(p) || !(p->valuedouble >= 0 && p->valuedouble <= 1e6)))
        return BAD(c, sub, "expected a price in USD per hour, from 0 to 1e6, or null (unknown)");
    g->price_per_hour = cJSON_IsNumber(p) ? p->valuedouble : 0;
    g->price_unknown = cJSON_IsNull(p) != 0;   /* a scenario's price = "unknown" */
    g->expander_priority = (int32_t)whole(c, j, "priority", path, 0, INT32_MIN, INT32_MAX);
    if (!kube_failed(c->w.kr) && g->min > g->max)
        return BAD(c, path, "min %d is greater than max %d", (int)g->min, (int)g->max);
    return kube_failed(c->w.kr) ? SIM_EINVAL : SIM_OK;
}

static int add_group(Case *c, const cJSON *j, const char *path, uint32_t i)
{
    static const char *const keys[] = {"name", "min", "max", "current", "template", "pricePerHour", "priority",
                                       NULL};
    char sub[PATH];
    kube_keys(c->w.kr, j, path, keys);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    snprintf(sub, sizeof sub, "%s.name", path);
    if (!kube_failed(c->w.kr) && (!cJSON_IsString(name) || name->valuestring[0] == '\0'))
        return BAD(c, sub, "a non-empty string is required");
    if (kube_failed(c->w.kr))
        return SIM_EINVAL;
    if (sim_nodegroup_find(c->w.e, name->valuestring) != SIM_NONE)
        return BAD(c, sub, "duplicate node group \"%s\"", name->valuestring);
    SimNodeGroup g;
    KubeNode t;
    memset(&g, 0, sizeof g);
    if (group_limits(c, j, path, &g, &c->current[i]) != SIM_OK ||
        group_template(c, j, path, name->valuestring, &t) != SIM_OK)
        return SIM_EINVAL;
    g.name = name->valuestring;
    g.region = c->w.region;
    g.instance_type = (char *)label(t.meta.labels, t.meta.nlabels, TYPE_LABEL);
    g.alloc = t.alloc;
    g.labels = t.meta.labels;
    g.nlabels = t.meta.nlabels;
    g.taints = t.taints;
    g.ntaints = t.ntaints;
    g.provision_delay = UPCOMING_DELAY;
    g.speed = 1;
    uint32_t zone = zone_id(c, label(t.meta.labels, t.meta.nlabels, ZONE_LABEL)), id;
    g.zones = zone == SIM_NONE ? NULL : &zone;
    g.nzones = zone == SIM_NONE ? 0 : 1;
    return engine_err(c, sim_nodegroup_add(c->w.e, &g, &id), path);
}

static int add_groups(Case *c, const cJSON *root)
{
    const cJSON *x, *gs = cJSON_GetObjectItemCaseSensitive(root, "nodeGroups");
    size_t n = (size_t)cJSON_GetArraySize(gs);
    c->current = sim_arena_alloc(&c->w.arena, n * sizeof *c->current);
    c->listed = sim_arena_alloc(&c->w.arena, n * sizeof *c->listed);
    if (c->current == NULL || c->listed == NULL)
        return BAD(c, "$", "out of memory");
    uint32_t i = 0;
    cJSON_ArrayForEach(x, gs) {
        char path[PATH];
        snprintf(path, sizeof path, "$.nodeGroups[%u]", i);
        if (add_group(c, x, path, i++) != SIM_OK)
            return SIM_EINVAL;
    }
    return SIM_OK;
}

/* ---- nodes ------------------------------------------------------------------------- */
static int same_taints(const KubeNode *n, const SimNodeGroup *g)
{
    if (n->ntaints != g->ntaints)
        return 0;
    for (size_t i = 0; i < n->ntaints; i++) {
        size_t k = 0;
        while (k < g->ntaints && !(strcmp(n->taints[i].key, g->taints[k].key) == 0 &&
                                   strcmp(n->taints[i].value, g->taints[k].value) == 0 &&
                                   n->taints[i].effect == g->taints[k].effect))
            k++;
        if (k == g->ntaints)
            return 0;
    }
    return 1;
}

/* The node's group, after checking that it is one of the case's identical
 * machines; SIM_NONE with the error set. */
static uint32_t node_group(Case *c, const cJSON *j, const KubeNode *n, const char *path)
{
    char sub[PATH];
    const char *gname = label(n->meta.labels, n->meta.nlabels, GROUP_LABEL);
    snprintf(sub, sizeof sub, "%s.metadata.labels", path);
    uint32_t g = gname ? sim_nodegroup_find(c->w.e, gname) : SIM_NONE;
    if (gname == NULL)
        FAIL(c, sub, "the label " GROUP_LABEL " is required (it names the node's group)");
    else if (g == SIM_NONE)
        FAIL(c, sub, GROUP_LABEL ": \"%s\" names no group of $.nodeGroups", gname);
    if (g == SIM_NONE)
        return SIM_NONE;
    const SimNodeGroup *ng = sim_nodegroup(c->w.e, g);
    const SimRes *a = &n->alloc, *t = &ng->alloc;
    snprintf(sub, sizeof sub, "%s.status.allocatable", path);
    if (a->cpu_m != t->cpu_m || a->mem != t->mem || a->gpu != t->gpu || a->pods != t->pods) {
        FAIL(c, sub, "differs from the template of group \"%s\" (kubesim's node groups are identical machines)",
             gname);
        return SIM_NONE;
    }
    snprintf(sub, sizeof sub, "%s.spec.taints", path);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(j, "spec");
    if (cJSON_GetObjectItemCaseSensitive(spec, "taints") && !same_taints(n, ng)) {
        FAIL(c, sub, "differ from the template of group \"%s\" (kubesim's node groups are identical machines)",
             gname);
        return SIM_NONE;
    }
    return g;
}

static int add_node(Case *c, const cJSON *j, const char *path)
{
    KubeNode n;
    kube_node(c->w.kr, j, path, &n);
    if (kube_failed(c->w.kr))
        return SIM_EINVAL;
    uint32_t g = node_group(c, j, &n, path), node, zone;
    const char *off = g == SIM_NONE ? NULL : kube_annotation(c->w.kr, j, path, ANN_NO_SCALE_DOWN);
    if (kube_failed(c->w.kr))
        return SIM_EINVAL;
    for (uint32_t k = 0; k < sim_node_count(c->w.e); k++)
        if (strcmp(sim_node(c->w.e, k)->name, n.meta.name) == 0)
            return BAD(c, path, "duplicate node name \"%s\"", n.meta.name);
    const SimNodeGroup *ng = sim_nodegroup(c->w.e, g);
    const char *zname = label(n.meta.labels, n.meta.nlabels, ZONE_LABEL);
    zone = zname ? zone_id(c, zname) : ng->nzones ? ng->zones[0] : SIM_NONE;
    int rc = zname && zone == SIM_NONE ? SIM_ENOMEM : sim_node_add_named(c->w.e, g, n.meta.name, zone, 1, &node);
    if (rc != SIM_OK)
        return engine_err(c, rc, path);
    if (n.unschedulable && (rc = sim_node_cordon(c->w.e, node, 1)) != SIM_OK)
        return engine_err(c, rc, path);
    sim_node_set_scale_down_disabled(c->w.e, node, off && strcmp(off, "true") == 0);
    c->listed[g]++;
    return SIM_OK;
}

static int add_nodes(Case *c, const cJSON *root)
{
    const cJSON *x, *nodes = array(c, root, "nodes");
    size_t i = 0;
    cJSON_ArrayForEach(x, nodes) {
        char path[PATH];
        snprintf(path, sizeof path, "$.nodes[%zu]", i++);
        if (add_node(c, x, path) != SIM_OK)
            return SIM_EINVAL;
    }
    for (uint32_t g = 0; g < sim_nodegroup_count(c->w.e); g++) {
        char path[PATH];
        snprintf(path, sizeof path, "$.nodeGroups[%u].current", g);
        if (c->current[g] >= 0 && (uint32_t)c->current[g] < c->listed[g])
            return BAD(c, path, "%d, but %u nodes of $.nodes belong to the group", (int)c->current[g], c->listed[g]);
        snprintf(path, sizeof path, "$.nodeGroups[%u].max", g);
        if (c->listed[g] > (uint32_t)sim_nodegroup(c->w.e, g)->max)
            return BAD(c, path, "%d, but %u nodes of $.nodes belong to the group", (int)sim_nodegroup(c->w.e, g)->max,
                       c->listed[g]);
    }
    return kube_failed(c->w.kr) ? SIM_EINVAL : SIM_OK;
}

/* Nodes `current` counts but the case does not list: launched, not yet
 * registered. Added after the scheduler ran, so they stay provisioning. */
static int add_upcoming(Case *c)
{
    for (uint32_t g = 0; g < sim_nodegroup_count(c->w.e); g++)
        for (uint32_t k = c->listed[g]; c->current[g] >= 0 && k < (uint32_t)c->current[g]; k++) {
            char path[PATH];
            uint32_t id;
            const char *name = arena_fmt(c, "%s-upcoming-%u", sim_nodegroup(c->w.e, g)->name, k - c->listed[g]);
            snprintf(path, sizeof path, "$.nodeGroups[%u].current", g);
            int rc = name ? sim_node_add_named(c->w.e, g, name, SIM_NONE, 0, &id) : SIM_ENOMEM;
            if (rc != SIM_OK)
                return engine_err(c, rc, path);
        }
    return SIM_OK;
}

/* ---- namespaces and policy ------------------------------------------------------------ */
static int add_policy(Case *c, const cJSON *root)
{
    /* "pdbs" is explain schedule's name of the list. */
    if (sched_xworld_namespaces(&c->w, array(c, root, "namespaces"), "namespaces") != SIM_OK ||
        sched_xworld_priorityclasses(&c->w, array(c, root, "priorityClasses"), "priorityClasses") != SIM_OK ||
        sched_xworld_pdbs(&c->w, array(c, root, "podDisruptionBudgets"), "podDisruptionBudgets") != SIM_OK)
        return SIM_EINVAL;
    return sched_xworld_pdbs(&c->w, array(c, root, "pdbs"), "pdbs");
}

/* ---- pods --------------------------------------------------------------------------- */
/* What the autoscaler reads beyond the pod's spec: its controller's kind, its
 * annotations and its volumes. */
static void pod_extras(Case *c, const cJSON *j, const char *path, SimPodSpec *s, SimWlKind *kind)
{
    kube_pod_eviction(c->w.kr, j, path, s);
    *kind = kube_owner_kind(c->w.kr, j, path);
    if (kube_annotation(c->w.kr, j, path, ANN_MIRROR))
        *kind = SIM_WL_DAEMONSET;   /* a mirror pod: never drained, counted in utilisation, like a DS pod */
}

/* The name in the pod's controller ownerReference, or NULL. */
static const char *owner_name(const cJSON *j)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metadata"),
                                                           "ownerReferences"))
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller")))
            return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));
    return NULL;
}

/* Reads a pod and declares it as a workload of its own (named as the pod),
 * but for the pods of one DaemonSet (the same controller name in a
 * namespace), which share one: a template node carries one pod per
 * DaemonSet, not one per DaemonSet pod listed. */
static int read_pod(Case *c, const cJSON *j, const char *path, Pod *p)
{
    SimWlKind kind;
    kube_pod(c->w.kr, j, path, &p->v);
    pod_extras(c, j, path, &p->v.spec, &kind);
    if (kube_failed(c->w.kr))
        return SIM_EINVAL;
    /* spec.nodeName of a listed pod is its binding as the API shows it, not
     * a request for that node: the spec the autoscaler reschedules in its
     * simulation has none (as a controller's pod template). */
    p->node = p->v.spec.node_name;
    p->v.spec.node_name = NULL;
    const char *owner = kind == SIM_WL_DAEMONSET ? owner_name(j) : NULL;
    if (owner == NULL)
        return sched_xworld_pod_workload(&c->w, &p->v, kind, path, &p->wl);
    uint32_t ns = sched_xworld_ns(&c->w, p->v.meta.ns);
    p->wl = ns == SIM_NONE ? SIM_NONE : sim_workload_lookup(c->w.e, SIM_WL_DAEMONSET, ns, owner);
    if (p->wl != SIM_NONE)
        return SIM_OK;
    KubePod named = p->v;
    named.meta.name = owner;
    return sched_xworld_pod_workload(&c->w, &named, kind, path, &p->wl);
}

static uint32_t node_find(Case *c, const char *name)
{
    for (uint32_t k = 0; k < sim_node_count(c->w.e); k++)
        if (strcmp(sim_node(c->w.e, k)->name, name) == 0)
            return k;
    return SIM_NONE;
}

/* Creates the pod (admission) and binds it when it names its node. */
static int create_pod(Case *c, const Pod *p, const char *path)
{
    uint32_t pod, node = p->node ? node_find(c, p->node) : SIM_NONE;
    char sub[PATH];
    snprintf(sub, sizeof sub, "%s.spec.nodeName", path);
    if (p->node && node == SIM_NONE)
        return BAD(c, sub, "\"%s\" names no node of $.nodes", p->node);
    int rc = sched_xworld_pod_create(&c->w, p->wl, &p->v, path, &pod);
    if (rc == SIM_EFORBIDDEN)
        return BAD(c, path, "admission refused this pod: %s", sim_errmsg(c->w.e));
    if (rc == SIM_OK && node != SIM_NONE) {
        SimRes f = sim_node_free(sim_node(c->w.e, node));
        const SimRes *r = &sim_pod(c->w.e, pod)->req;
        if (r->cpu_m > f.cpu_m || r->mem > f.mem || r->gpu > f.gpu || r->pods > f.pods)
            return BAD(c, sub, "the pod's requests exceed what is left of %s's allocatable", p->node);
        rc = sim_pod_bind(c->w.e, pod, node);
    }
    return engine_err(c, rc, path);
}

/* Reads every pod first (errors come in list order), then creates the bound
 * ones, then the pending ones in list order, as they would queue. */
static int add_pods(Case *c, const cJSON *root)
{
    const cJSON *x, *pods = array(c, root, "pods");
    c->npods = pods ? (size_t)cJSON_GetArraySize(pods) : 0;
    c->pods = sim_arena_alloc(&c->w.arena, (c->npods + 1) * sizeof *c->pods);
    if (c->pods == NULL)
        return BAD(c, "$", "out of memory");
    size_t i = 0;
    char path[PATH];
    cJSON_ArrayForEach(x, pods) {
        snprintf(path, sizeof path, "$.pods[%zu]", i);
        if (read_pod(c, x, path, &c->pods[i++]) != SIM_OK)
            return SIM_EINVAL;
    }
    for (int pass = 0; pass < 2; pass++)
        for (i = 0; i < c->npods; i++) {
            snprintf(path, sizeof path, "$.pods[%zu]", i);
            if ((c->pods[i].node != NULL) == (pass == 0) && create_pod(c, &c->pods[i], path) != SIM_OK)
                return SIM_EINVAL;
        }
    return SIM_OK;
}

/* ---- the cluster ------------------------------------------------------------------------ */
static int build(Case *c, const cJSON *root)
{
    if (check_top(c, root) != SIM_OK)
        return SIM_EINVAL;
    if (add_groups(c, root) != SIM_OK || add_nodes(c, root) != SIM_OK || add_policy(c, root) != SIM_OK)
        return SIM_EINVAL;
    if ((c->w.s = sched_create(c->w.e)) == NULL)
        return engine_err(c, SIM_ENOMEM, "$");
    if (add_pods(c, root) != SIM_OK)
        return SIM_EINVAL;
    /* The scheduler's cycles: bound pods start, pending ones are placed or
     * marked unschedulable (or nominate a node after preemption). */
    int rc;
    while ((rc = sim_step(c->w.e)) == SIM_OK) {
    }
    if (rc != SIM_DONE)
        return engine_err(c, rc, "$");
    if (add_upcoming(c) != SIM_OK)
        return SIM_EINVAL;
    /* The autoscaler takes in the cluster as it is now, Pending pods
     * included; disabled, it runs no loop of its own and only plans. */
    SchedCaConfig plan_only = c->cfg;
    plan_only.enabled = 0;
    if ((c->ca = sched_ca_create(c->w.s, &plan_only)) == NULL)
        return engine_err(c, SIM_ENOMEM, "$");
    return SIM_OK;
}

/* ---- the answer ---------------------------------------------------------------------------- */
/* Six decimals: enough for a fraction or a score, and stable to print. */
static double round6(double x)
{
    if (!(x >= -1e12 && x <= 1e12))
        return x;   /* large, or NaN (a 0/0 score): never cast out of range */
    double s = x * 1e6;
    return (double)(int64_t)(s < 0 ? s - 0.5 : s + 0.5) / 1e6;
}

/* "NAMESPACE/NAME" of a pod, as a cJSON string (NULL when out of memory). */
static cJSON *pod_ref(Case *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->w.e, pod);
    const char *s = arena_fmt(c, "%s/%s", sim_namespace(c->w.e, p->ns)->name, sim_workload(c->w.e, p->wl)->name);
    return s ? cJSON_CreateString(s) : NULL;
}

static cJSON *option_json(Case *c, const SchedCaOption *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "group", sim_nodegroup(c->w.e, o->group)->name);
    if (o->excluded) {
        cJSON_AddStringToObject(j, "excluded", o->excluded);
        return j;
    }
    cJSON_AddNumberToObject(j, "nodes", o->nodes);
    cJSON_AddNumberToObject(j, "pods", o->pods);
    if (isfinite(o->score))
        cJSON_AddNumberToObject(j, "score", round6(o->score));
    else {   /* price: the group has no price */
        cJSON_AddNullToObject(j, "score");
        cJSON_AddStringToObject(j, "note", "no price (pricePerHour null): the price expander ranks it after every "
                                           "priced group, as upstream skips a group it cannot price");
    }
    return j;
}

static cJSON *scale_up_json(Case *c, const SchedCaPlan *p)
{
    cJSON *up = cJSON_CreateObject(), *ex = cJSON_AddArrayToObject(up, "expander");
    cJSON *pend = cJSON_AddArrayToObject(up, "unschedulable"), *opts;
    for (size_t i = 0; i < c->cfg.nexpanders; i++)
        sim_json_push(ex, cJSON_CreateString(sched_ca_expander_name(c->cfg.expanders[i])));
    for (uint32_t k = 0; k < sim_pod_count(c->w.e); k++) {
        const SimPod *q = sim_pod(c->w.e, k);
        if (q->phase == SIM_POD_PENDING && q->unschedulable)
            sim_json_push(pend, pod_ref(c, k));
    }
    cJSON_AddNumberToObject(up, "candidates", p->candidates);
    opts = cJSON_AddArrayToObject(up, "options");
    for (size_t i = 0; i < p->noptions; i++)
        sim_json_push(opts, option_json(c, &p->options[i]));
    if (p->chosen < 0) {
        cJSON_AddNullToObject(up, "chosen");
        return up;
    }
    cJSON *ch = cJSON_AddObjectToObject(up, "chosen");
    cJSON_AddStringToObject(ch, "group", sim_nodegroup(c->w.e, p->options[p->chosen].group)->name);
    cJSON_AddNumberToObject(ch, "delta", p->delta);
    return up;
}

static cJSON *verdict_json(Case *c, const SchedCaNodeVerdict *v)
{
    cJSON *j = cJSON_CreateObject(), *bl;
    const SimNode *n = sim_node(c->w.e, v->node);
    cJSON_AddStringToObject(j, "name", n->name);
    cJSON_AddNumberToObject(j, "utilization", round6(v->utilization));
    cJSON_AddNumberToObject(j, "threshold", n->alloc.gpu > 0 ? c->cfg.scale_down_gpu_utilization_threshold
                                                             : c->cfg.scale_down_utilization_threshold);
    cJSON_AddBoolToObject(j, "unneeded", v->unneeded);
    if (v->unremovable)
        cJSON_AddStringToObject(j, "reason", v->unremovable);
    else
        cJSON_AddNullToObject(j, "reason");
    bl = cJSON_AddArrayToObject(j, "blockedBy");
    for (size_t i = 0; i < v->nblockers && i < SCHED_CA_MAX_BLOCKERS; i++) {
        cJSON *b = cJSON_CreateObject();
        sim_json_add_item(b, "pod", pod_ref(c, v->blockers[i].pod));
        cJSON_AddStringToObject(b, "reason", v->blockers[i].reason);
        sim_json_push(bl, b);
    }
    return j;
}

static cJSON *answer_json(Case *c, const SchedCaPlan *p)
{
    cJSON *o = cJSON_CreateObject(), *down = cJSON_CreateObject(), *nodes;
    sim_json_add_item(o, "scaleUp", scale_up_json(c, p));
    if (p->chosen >= 0)
        cJSON_AddStringToObject(down, "skipped", "the loop scales up; scale-down runs only in a loop that does not");
    else if (!c->cfg.scale_down_enabled)
        cJSON_AddStringToObject(down, "skipped", "scaleDownEnabled is false");
    cJSON *caps = cJSON_AddObjectToObject(down, "caps");
    cJSON_AddNumberToObject(caps, "nonEmptyCandidatesCount", c->cfg.scale_down_non_empty_candidates_count);
    cJSON_AddNumberToObject(caps, "candidatesPoolRatio", c->cfg.scale_down_candidates_pool_ratio);
    cJSON_AddNumberToObject(caps, "candidatesPoolMinCount", c->cfg.scale_down_candidates_pool_min_count);
    if (c->cfg.scale_down_non_empty_candidates_count > 0 && p->chosen < 0)
        cJSON_AddNumberToObject(caps, "pool", p->pool);
    else
        cJSON_AddNullToObject(caps, "pool");
    cJSON_AddNumberToObject(caps, "leftOut", p->capped);
    nodes = cJSON_AddArrayToObject(down, "nodes");
    for (size_t i = 0; i < p->nnodes; i++)
        sim_json_push(nodes, verdict_json(c, &p->nodes[i]));
    sim_json_add_item(o, "scaleDown", down);
    return o;
}

/* ---- the answer as text ------------------------------------------------------------------------ */
static const char *why(const char *expander)
{
    static const char *const w[][2] = {
        {"least-waste", "the least wasted CPU + memory fraction of the new nodes"},
        {"price", "the lowest price score (node price over the value of the pods it takes)"},
        {"priority", "the group with the highest priority"},
        {"most-pods", "the option that helps the most pending pods"},
        {"least-nodes", "the option that needs the fewest new nodes"},
        {"random", "a random option"}};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcmp(w[i][0], expander) == 0)
            return w[i][1];
    return expander;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* For printing: a key the answer always carries, "?" should it be missing. */
static const char *txt(const cJSON *o, const char *key)
{
    const char *s = str(o, key);
    return s ? s : "?";
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItem(o, key)->valuedouble;
}

static void text_candidates(const cJSON *up, FILE *out)
{
    const cJSON *x, *pend = cJSON_GetObjectItem(up, "unschedulable");
    int n = cJSON_GetArraySize(pend), k = 0;
    fprintf(out, "scale-up\n  unschedulable pods: %d", n);
    cJSON_ArrayForEach(x, pend)
        fprintf(out, "%s%s", k++ ? ", " : " (", x->valuestring);
    fprintf(out, "%s\n  candidates (priority >= the expendable cutoff, not nominated): %.0f\n  expander:", n ? ")" : "",
            num(up, "candidates"));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(up, "expander"))
        fprintf(out, " %s", x->valuestring);
    fputc('\n', out);
}

static void text_options(const cJSON *up, FILE *out)
{
    const cJSON *x;
    fprintf(out, "\n  %-24s %6s %6s %12s  %s\n", "GROUP", "NODES", "PODS", "SCORE", "VERDICT");
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(up, "options")) {
        if (str(x, "excluded")) {
            fprintf(out, "  %-24s %6s %6s %12s  excluded: %s\n", txt(x, "group"), "-", "-", "-", txt(x, "excluded"));
            continue;
        }
        char score[32] = "unpriced";
        if (cJSON_IsNumber(cJSON_GetObjectItem(x, "score")))
            snprintf(score, sizeof score, "%.6g", num(x, "score"));
        fprintf(out, "  %-24s %6.0f %6.0f %12s  option: the template fits; %.0f new node%s for %.0f pod%s%s%s\n",
                str(x, "group"), num(x, "nodes"), num(x, "pods"), score, num(x, "nodes"),
                num(x, "nodes") == 1 ? "" : "s", num(x, "pods"), num(x, "pods") == 1 ? "" : "s",
                str(x, "note") ? "; " : "", str(x, "note") ? str(x, "note") : "");
    }
}

static void text_choice(const cJSON *up, FILE *out)
{
    const cJSON *ch = cJSON_GetObjectItem(up, "chosen"), *ex = cJSON_GetObjectItem(up, "expander"), *x;
    if (!cJSON_IsObject(ch)) {
        fprintf(out, "\n  chosen: none (%s)\n", num(up, "candidates") == 0 ? "no candidate pods, no scale-up"
                                                                         : "no node group is an option for them");
        return;
    }
    const char *g = str(ch, "group"), *first = cJSON_GetArrayItem(ex, 0)->valuestring;
    char score[32] = "unpriced";
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(up, "options"))
        if (strcmp(str(x, "group"), g) == 0 && !str(x, "excluded") && cJSON_IsNumber(cJSON_GetObjectItem(x, "score")))
            snprintf(score, sizeof score, "%.6g", num(x, "score"));
    fprintf(out, "\n  chosen: %s, +%.0f node%s\n  why: %s picks %s (score %s)", g, num(ch, "delta"),
            num(ch, "delta") == 1 ? "" : "s", first, why(first), score);
    for (int i = 1; i < cJSON_GetArraySize(ex); i++)
        fprintf(out, "%s%s", i == 1 ? "; ties go to " : ", then ", cJSON_GetArrayItem(ex, i)->valuestring);
    fprintf(out, "%s\n", cJSON_GetArraySize(ex) > 1 ? ", then random" : "; ties are broken at random");
}

static void text_node(const cJSON *n, FILE *out)
{
    const cJSON *b;
    double u = num(n, "utilization"), t = num(n, "threshold");
    char cmp[32];
    snprintf(cmp, sizeof cmp, "%s %.3g", u < t ? "<" : ">=", t);
    fprintf(out, "  %-28s %7.3f %-9s  ", txt(n, "name"), u, cmp);
    if (cJSON_IsTrue(cJSON_GetObjectItem(n, "unneeded")))
        fprintf(out, "unneeded: passes every check now (removed after scale-down-unneeded-time)\n");
    else if (strcmp(txt(n, "reason"), "NotUnneededOtherReason") == 0)
        fprintf(out, "kept: NotUnneededOtherReason (not simulated this loop: the caps)\n");
    else
        fprintf(out, "kept: %s\n", txt(n, "reason"));
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(n, "blockedBy"))
        fprintf(out, "  %-28s %7s %-9s    blocked by %s: %s\n", "", "", "", txt(b, "pod"), txt(b, "reason"));
}

/* The caps on the non-empty nodes a loop simulates (upstream's
 * scale-down-non-empty-candidates-count and -candidates-pool-*). */
static void text_caps(const cJSON *caps, FILE *out)
{
    if (!cJSON_IsNumber(cJSON_GetObjectItem(caps, "pool"))) {
        fprintf(out, "  caps: off (scaleDownNonEmptyCandidatesCount <= 0: every node is simulated)\n");
        return;
    }
    fprintf(out, "  caps: the first %.0f non-empty nodes (max of %g x nodes and %.0f) are simulated, taken while "
                 "fewer than %.0f are unneeded; left out: %.0f\n",
            num(caps, "pool"), num(caps, "candidatesPoolRatio"), num(caps, "candidatesPoolMinCount"),
            num(caps, "nonEmptyCandidatesCount"), num(caps, "leftOut"));
}

static void answer_text(const cJSON *o, FILE *out)
{
    const cJSON *up = cJSON_GetObjectItem(o, "scaleUp"), *down = cJSON_GetObjectItem(o, "scaleDown"), *n;
    text_candidates(up, out);
    if (num(up, "candidates") > 0)
        text_options(up, out);
    text_choice(up, out);
    fprintf(out, "\nscale-down (utilisation: max of cpu and memory requests over allocatable; GPU nodes: GPUs)\n");
    if (str(down, "skipped")) {
        fprintf(out, "  not considered: %s\n", str(down, "skipped"));
        return;
    }
    text_caps(cJSON_GetObjectItem(down, "caps"), out);
    fprintf(out, "  %-28s %7s %-9s  %s\n", "NODE", "UTIL", "THRESHOLD", "VERDICT");
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(down, "nodes"))
        text_node(n, out);
}

static cJSON *plan_json(Case *c)
{
    SchedCaPlan p;
    memset(&p, 0, sizeof p);
    int rc = sched_ca_plan(c->ca, c->w.region, &p);
    cJSON *o = rc == SIM_OK ? answer_json(c, &p) : NULL;
    if (rc != SIM_OK)
        engine_err(c, rc, "$");
    sched_ca_plan_free(c->ca, &p);
    return o;
}

int sched_ca_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                          SimErr *err)
{
    Case c;
    memset(&c, 0, sizeof c);
    SimJsonScope js;
    sim_json_begin(&js, m);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0), *o = NULL;
    int rc = sched_xworld_open(&c.w, m, SETTLE);
    if (rc == SIM_OK && root == NULL)
        rc = kube_fail_json(c.w.kr, file, text, cJSON_GetErrorPtr());
    else if (rc == SIM_OK)
        rc = build(&c, root);
    if (rc == SIM_OK && (o = plan_json(&c)) == NULL)
        rc = SIM_EINVAL;
    if (root == NULL && rc != SIM_ENOMEM)
        sim_err_set(err, rc, "%s", kube_errmsg(c.w.kr));
    else if (rc != SIM_OK)
        sim_err_set(err, rc, "%s: %s", file,
                    c.w.kr && kube_failed(c.w.kr) ? kube_errmsg(c.w.kr) : "$: out of memory");
    rc = sched_explain_print(m, rc, o, as_json, out, answer_text);
    cJSON_Delete(o);
    cJSON_Delete(root);
    if (c.ca)
        sched_ca_destroy(c.ca);
    sched_xworld_close(&c.w);
    sim_json_end(&js);
    return sched_explain_oom(m, rc, file, err);
}
