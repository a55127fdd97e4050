/*
 * ca_explain_from.c: an `explain autoscaler` case written from a live
 * autoscaler (`kubesim explain autoscaler --from RUN_DIR`): the region's node
 * groups, its Ready nodes and the pods bound there, the Pending pods the
 * scheduler marked unschedulable, the expander chain and the flags, in the
 * form ca_explain.c reads back. Nodes and pods are written by explain_from.c's
 * writers, so both --from cases describe a cluster the same way.
 *
 * Invariant: reading the case back gives the autoscaler the groups' limits
 * and templates and the pods it would plan for: `current` is a group's live
 * nodes (Ready or not, provisioning included), so the nodes the case does
 * not list (provisioning, NotReady) are upcoming there as they are to the
 * run's autoscaler.
 * Simplifications (the case has no place for them): a group's backoff, the
 * unneeded and unready timers, the delays after a scale-up or a deletion, a
 * drain under way, PodDisruptionBudgets and quotas are not written; a group
 * spread over several zones has a template without a zone; NotReady nodes
 * and their pods are left out (they count as upcoming).
 */
#include "scheduler/explain.h"

#include <stdio.h>
#include <string.h>

#include "scheduler/ca_int.h"
#include "scheduler/explain_int.h"
#include "sim/json.h"

#define GROUP_LABEL "kubesim.io/node-group"

/* The group's node template: its labels with the ones every node of it
 * carries (group, instance type, region, the zone of a one-zone group). */
static cJSON *template_json(SimEngine *e, const SimNodeGroup *g)
{
    cJSON *o = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(o, "metadata");
    char name[300];
    snprintf(name, sizeof name, "%s-template", g->name);
    cJSON_AddStringToObject(meta, "name", name);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    for (size_t i = 0; i < g->nlabels; i++)
        sched_xfrom_add_label(labels, g->labels[i].key, g->labels[i].value);
    sched_xfrom_add_label(labels, GROUP_LABEL, g->name);
    sched_xfrom_add_label(labels, "node.kubernetes.io/instance-type", g->instance_type);
    sched_xfrom_add_label(labels, "topology.kubernetes.io/region", sim_region(e, g->region)->name);
    if (g->nzones == 1)
        sched_xfrom_add_label(labels, "topology.kubernetes.io/zone", sim_zone(e, g->zones[0])->name);
    cJSON *taints = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "spec"), "taints");
    for (size_t i = 0; i < g->ntaints; i++) {
        cJSON *t = sim_json_push(taints, cJSON_CreateObject());
        cJSON_AddStringToObject(t, "key", g->taints[i].key);
        if (g->taints[i].value && *g->taints[i].value)
            cJSON_AddStringToObject(t, "value", g->taints[i].value);
        cJSON_AddStringToObject(t, "effect", kube_taint_effect_names[g->taints[i].effect]);
    }
    cJSON *alloc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "status"), "allocatable");
    sched_xfrom_add_q(alloc, "cpu", g->alloc.cpu_m, 1);
    sched_xfrom_add_q(alloc, "memory", g->alloc.mem, 0);
    sched_xfrom_add_q(alloc, "nvidia.com/gpu", g->alloc.gpu, 0);
    sched_xfrom_add_q(alloc, "pods", g->alloc.pods, 0);
    return o;
}

static cJSON *group_json(SimEngine *e, uint32_t id)
{
    const SimNodeGroup *g = sim_nodegroup(e, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", g->name);
    cJSON_AddNumberToObject(o, "min", g->min);
    cJSON_AddNumberToObject(o, "max", g->max);
    cJSON_AddNumberToObject(o, "current", g->live_nodes);
    sim_json_add_item(o, "template", template_json(e, g));
    if (g->price_unknown)   /* price = "unknown": explain's price expander ranks it as the run's did */
        cJSON_AddNullToObject(o, "pricePerHour");
    else
        cJSON_AddNumberToObject(o, "pricePerHour", g->price_per_hour);
    cJSON_AddNumberToObject(o, "priority", g->expander_priority);
    return o;
}

static cJSON *node_json(SchedCa *ca, uint32_t id)
{
    const SimNode *n = sim_node(ca->e, id);
    cJSON *o = sched_xfrom_node_json(ca->e, id);
    int off = n->scale_down_disabled || (n->group < ca->capgs && ca->gs[n->group].scale_down_disabled);
    if (off)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "annotations"),
                                "cluster-autoscaler.kubernetes.io/scale-down-disabled", "true");
    return o;
}

/* The pod with its controller as an ownerReference (what the autoscaler's
 * drain rules read): a Deployment's pods are its ReplicaSet's. */
static cJSON *pod_json(SimEngine *e, uint32_t id, int bound)
{
    static const char *const kinds[SIM_WL_KIND_COUNT] = {
        [SIM_WL_DEPLOYMENT] = "ReplicaSet", [SIM_WL_STATEFULSET] = "StatefulSet", [SIM_WL_JOB] = "Job",
        [SIM_WL_DAEMONSET] = "DaemonSet"};
    const SimPod *p = sim_pod(e, id);
    const SimWorkload *w = sim_workload(e, p->wl);
    cJSON *o = sched_xfrom_pod_json(e, id, (bound ? SCHED_XFROM_BOUND : 0) | SCHED_XFROM_NO_PIN);
    const char *kind = w->kind < SIM_WL_KIND_COUNT ? kinds[w->kind] : NULL;
    if (kind == NULL)
        return o;
    cJSON *ref = sim_json_push(cJSON_AddArrayToObject(cJSON_GetObjectItemCaseSensitive(o, "metadata"),
                                                      "ownerReferences"), cJSON_CreateObject());
    cJSON_AddStringToObject(ref, "apiVersion", w->kind == SIM_WL_JOB ? "batch/v1" : "apps/v1");
    cJSON_AddStringToObject(ref, "kind", kind);
    cJSON_AddStringToObject(ref, "name", w->name);
    cJSON_AddBoolToObject(ref, "controller", 1);
    return o;
}

static void flags_json(cJSON *c, const SchedCaConfig *f)
{
    cJSON *x = cJSON_AddArrayToObject(c, "expander");
    for (size_t i = 0; i < f->nexpanders; i++)
        sim_json_push(x, cJSON_CreateString(sched_ca_expander_name(f->expanders[i])));
    cJSON_AddNumberToObject(c, "maxNodesTotal", f->max_nodes_total);
    cJSON_AddNumberToObject(c, "maxNodesPerScaleup", f->max_nodes_per_scaleup);
    cJSON_AddNumberToObject(c, "expendablePodsPriorityCutoff", f->expendable_pods_priority_cutoff);
    cJSON_AddBoolToObject(c, "scaleDownEnabled", f->scale_down_enabled);
    cJSON_AddNumberToObject(c, "scaleDownUtilizationThreshold", f->scale_down_utilization_threshold);
    cJSON_AddNumberToObject(c, "scaleDownGpuUtilizationThreshold", f->scale_down_gpu_utilization_threshold);
    cJSON_AddNumberToObject(c, "scaleDownNonEmptyCandidatesCount", f->scale_down_non_empty_candidates_count);
    cJSON_AddNumberToObject(c, "scaleDownCandidatesPoolRatio", f->scale_down_candidates_pool_ratio);
    cJSON_AddNumberToObject(c, "scaleDownCandidatesPoolMinCount", f->scale_down_candidates_pool_min_count);
}

cJSON *sched_ca_explain_case_from(SchedCa *ca, uint32_t region)
{
    SimEngine *e = ca->e;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "description", "written by kubesim explain autoscaler --from");
    cJSON *groups = cJSON_AddArrayToObject(c, "nodeGroups"), *nodes = cJSON_AddArrayToObject(c, "nodes");
    cJSON *pods = cJSON_AddArrayToObject(c, "pods");
    for (uint32_t g = 0; g < sim_nodegroup_count(e); g++)
        if (sim_nodegroup(e, g)->region == region)
            sim_json_push(groups, group_json(e, g));
    for (uint32_t i = 0; i < sim_node_count(e); i++)
        if (sim_node(e, i)->region == region && sim_node(e, i)->state == SIM_NODE_READY)
            sim_json_push(nodes, node_json(ca, i));
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        if (p->region != region)
            continue;
        if (sched_xfrom_holds_node(p) && sim_node(e, p->node)->state == SIM_NODE_READY)
            sim_json_push(pods, pod_json(e, i, 1));
        else if (p->phase == SIM_POD_PENDING && p->unschedulable)
            sim_json_push(pods, pod_json(e, i, 0));
    }
    flags_json(c, &ca->cfg);
    return c;
}
