/*
 * explain_from.c: an `explain schedule` case written from a live engine
 * (`kubesim explain schedule --from RUN_DIR`): the Ready nodes of the pod's
 * region as v1 Nodes, the pods bound there as v1 Pods, and the pod to place,
 * in the form explain.c reads back.
 *
 * Invariant: reading the case back gives the scheduler what the run's
 * scheduler saw: a node's labels are written out whole (the group's and
 * those the engine derives: hostname, zone, region, instance type, group),
 * a pod's requests and limits are the admitted ones, its priority is the
 * resolved number, and the system default spreading of a Deployment's or
 * StatefulSet's pods (upstream's, over the pods of one workload) is written
 * as the two ScheduleAnyway constraints it stands for over a label naming
 * the workload.
 * Simplifications: NotReady and provisioning nodes are left out (the
 * scheduler sees no node in them); quotas, LimitRanges and PDBs are not
 * written (the pod was admitted already; preemption's PDB check is not in
 * the case).
 */
#include "scheduler/explain.h"
#include "scheduler/explain_int.h"

#include <stdio.h>
#include <string.h>

#include "kube/kube.h"
#include "sim/json.h"

#define WL_LABEL "kubesim.io/workload"

void sched_xfrom_add_q(cJSON *o, const char *key, int64_t v, int milli)
{
    char buf[32];
    snprintf(buf, sizeof buf, milli ? "%lldm" : "%lld", (long long)v);
    cJSON_AddStringToObject(o, key, buf);
}

void sched_xfrom_add_label(cJSON *labels, const char *key, const char *value)
{
    if (value && !cJSON_HasObjectItem(labels, key))
        cJSON_AddStringToObject(labels, key, value);
}

cJSON *sched_xfrom_node_json(SimEngine *e, uint32_t id)
{
    static const char *const derived[] = {"kubernetes.io/hostname", "topology.kubernetes.io/zone",
                                          "topology.kubernetes.io/region", "node.kubernetes.io/instance-type",
                                          "kubesim.io/node-group"};
    const SimNode *n = sim_node(e, id);
    const SimNodeGroup *g = sim_nodegroup(e, n->group);
    cJSON *o = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", n->name);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    for (size_t i = 0; i < g->nlabels; i++)
        sched_xfrom_add_label(labels, g->labels[i].key, g->labels[i].value);
    for (size_t i = 0; i < sizeof derived / sizeof *derived; i++)
        sched_xfrom_add_label(labels, derived[i], sim_node_label(e, id, derived[i]));
    cJSON *spec = cJSON_AddObjectToObject(o, "spec"), *taints = cJSON_AddArrayToObject(spec, "taints");
    for (size_t i = 0; i < g->ntaints; i++) {
        cJSON *t = sim_json_push(taints, cJSON_CreateObject());
        cJSON_AddStringToObject(t, "key", g->taints[i].key);
        if (g->taints[i].value && *g->taints[i].value)
            cJSON_AddStringToObject(t, "value", g->taints[i].value);
        cJSON_AddStringToObject(t, "effect", kube_taint_effect_names[g->taints[i].effect]);
    }
    if (n->unschedulable)
        cJSON_AddBoolToObject(spec, "unschedulable", 1);
    cJSON *alloc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "status"), "allocatable");
    sched_xfrom_add_q(alloc, "cpu", n->alloc.cpu_m, 1);
    sched_xfrom_add_q(alloc, "memory", n->alloc.mem, 0);
    sched_xfrom_add_q(alloc, "nvidia.com/gpu", n->alloc.gpu, 0);
    sched_xfrom_add_q(alloc, "pods", n->alloc.pods, 0);
    return o;
}

static cJSON *selector_json(const SimSelector *s)
{
    cJSON *o = cJSON_CreateObject(), *exprs = cJSON_AddArrayToObject(o, "matchExpressions");
    for (size_t i = 0; i < s->nreqs; i++) {
        cJSON *x = sim_json_push(exprs, cJSON_CreateObject());
        cJSON_AddStringToObject(x, "key", s->reqs[i].key);
        cJSON_AddStringToObject(x, "operator", kube_sel_op_names[s->reqs[i].op]);
        if (s->reqs[i].op == SIM_SEL_EXISTS || s->reqs[i].op == SIM_SEL_DOES_NOT_EXIST)
            continue;
        cJSON *v = cJSON_AddArrayToObject(x, "values");
        for (size_t k = 0; k < s->reqs[i].nvalues; k++)
            sim_json_push(v, cJSON_CreateString(s->reqs[i].values[k]));
    }
    return o;
}

static cJSON *pod_terms(const SimPodAffinityTerm *t, size_t n, int weighted)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *term = cJSON_CreateObject();
        sim_json_add_item(term, "labelSelector", selector_json(&t[i].selector));
        cJSON_AddStringToObject(term, "topologyKey", t[i].topology_key);
        if (!weighted) {
            sim_json_push(a, term);
            continue;
        }
        cJSON *w = sim_json_push(a, cJSON_CreateObject());
        cJSON_AddNumberToObject(w, "weight", t[i].weight);
        sim_json_add_item(w, "podAffinityTerm", term);
    }
    return a;
}

static void pod_affinity(cJSON *aff, const char *key, const SimPodAffinityTerm *req, size_t nreq,
                         const SimPodAffinityTerm *pref, size_t npref)
{
    if (nreq == 0 && npref == 0)
        return;
    cJSON *o = cJSON_AddObjectToObject(aff, key);
    if (nreq)
        sim_json_add_item(o, "requiredDuringSchedulingIgnoredDuringExecution", pod_terms(req, nreq, 0));
    if (npref)
        sim_json_add_item(o, "preferredDuringSchedulingIgnoredDuringExecution", pod_terms(pref, npref, 1));
}

static void pin(cJSON *exprs, const char *key, const char *value)
{
    cJSON *x = sim_json_push(exprs, cJSON_CreateObject());
    cJSON_AddStringToObject(x, "key", key);
    cJSON_AddStringToObject(x, "operator", "In");
    sim_json_push(cJSON_AddArrayToObject(x, "values"), cJSON_CreateString(value));
}

/* Node affinity: the spec's terms, a StatefulSet ordinal's zone pin and a
 * DaemonSet pod's node (ANDed into every term, as the engine requires both). */
static void node_affinity(SimEngine *e, cJSON *aff, const SimPodSpec *s, const SimPod *p, int ds_pin)
{
    uint32_t target = ds_pin ? p->target_node : SIM_NONE;
    int pinned = p->zone_pin != SIM_NONE || target != SIM_NONE;
    if (s->nnode_required == 0 && s->nnode_preferred == 0 && !pinned)
        return;
    cJSON *na = cJSON_AddObjectToObject(aff, "nodeAffinity");
    if (s->nnode_required || pinned) {
        cJSON *terms = cJSON_AddArrayToObject(cJSON_AddObjectToObject(na, "requiredDuringSchedulingIgnoredDuringExecution"),
                                              "nodeSelectorTerms");
        SimSelector empty = {NULL, 0};
        for (size_t i = 0; i < (s->nnode_required ? s->nnode_required : 1); i++) {
            cJSON *t = sim_json_push(terms, selector_json(s->nnode_required ? &s->node_required[i] : &empty));
            cJSON *exprs = cJSON_GetObjectItemCaseSensitive(t, "matchExpressions");
            if (p->zone_pin != SIM_NONE)
                pin(exprs, "topology.kubernetes.io/zone", sim_zone(e, p->zone_pin)->name);
            if (target != SIM_NONE)   /* a DaemonSet pod: its node, as upstream's nodeAffinity */
                pin(exprs, "kubernetes.io/hostname", sim_node(e, target)->name);
        }
    }
    if (s->nnode_preferred) {
        cJSON *a = cJSON_AddArrayToObject(na, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; i < s->nnode_preferred; i++) {
            cJSON *w = sim_json_push(a, cJSON_CreateObject());
            cJSON_AddNumberToObject(w, "weight", s->node_preferred[i].weight);
            sim_json_add_item(w, "preference", selector_json(&s->node_preferred[i].term));
        }
    }
}

static void tolerations(cJSON *spec, const SimPodSpec *s)
{
    if (s->ntolerations == 0)
        return;
    cJSON *a = cJSON_AddArrayToObject(spec, "tolerations");
    for (size_t i = 0; i < s->ntolerations; i++) {
        const SimToleration *t = &s->tolerations[i];
        cJSON *x = sim_json_push(a, cJSON_CreateObject());
        if (t->key && *t->key)
            cJSON_AddStringToObject(x, "key", t->key);
        cJSON_AddStringToObject(x, "operator", t->op == SIM_TOL_EXISTS ? "Exists" : "Equal");
        if (t->op == SIM_TOL_EQUAL && t->value)
            cJSON_AddStringToObject(x, "value", t->value);
        if (t->effect >= 0)
            cJSON_AddStringToObject(x, "effect", kube_taint_effect_names[t->effect]);
        if (t->seconds >= 0)
            cJSON_AddNumberToObject(x, "tolerationSeconds", (double)t->seconds);
    }
}

static int default_spread(const SimWorkload *w)
{
    return w->spec.nspread == 0 && (w->kind == SIM_WL_DEPLOYMENT || w->kind == SIM_WL_STATEFULSET);
}

static void spread_one(cJSON *a, int32_t skew, const char *key, int dns, const SimSelector *sel, int32_t min_dom)
{
    cJSON *x = sim_json_push(a, cJSON_CreateObject());
    cJSON_AddNumberToObject(x, "maxSkew", skew);
    cJSON_AddStringToObject(x, "topologyKey", key);
    cJSON_AddStringToObject(x, "whenUnsatisfiable", dns ? "DoNotSchedule" : "ScheduleAnyway");
    sim_json_add_item(x, "labelSelector", selector_json(sel));
    if (min_dom > 0)
        cJSON_AddNumberToObject(x, "minDomains", min_dom);
}

static void spread(cJSON *spec, const SimWorkload *w)
{
    const SimPodSpec *s = &w->spec;
    if (s->nspread == 0 && !default_spread(w))
        return;
    cJSON *a = cJSON_AddArrayToObject(spec, "topologySpreadConstraints");
    if (default_spread(w)) {   /* upstream's system defaults over the workload's pods */
        char *vals[] = {w->name};
        SimSelReq r = {(char *)WL_LABEL, SIM_SEL_IN, vals, 1};
        SimSelector sel = {&r, 1};
        spread_one(a, 3, "kubernetes.io/hostname", 0, &sel, 0);
        spread_one(a, 5, "topology.kubernetes.io/zone", 0, &sel, 0);
        return;
    }
    for (size_t i = 0; i < s->nspread; i++)
        spread_one(a, s->spread[i].max_skew, s->spread[i].topology_key, s->spread[i].do_not_schedule,
                   &s->spread[i].selector, s->spread[i].min_domains);
}

static void resources(cJSON *spec, const SimPod *p)
{
    cJSON *c = sim_json_push(cJSON_AddArrayToObject(spec, "containers"), cJSON_CreateObject());
    cJSON_AddStringToObject(c, "name", "app");
    cJSON *res = cJSON_AddObjectToObject(c, "resources"), *req = cJSON_AddObjectToObject(res, "requests");
    sched_xfrom_add_q(req, "cpu", p->req.cpu_m, 1);
    sched_xfrom_add_q(req, "memory", p->req.mem, 0);
    if (p->req.gpu)
        sched_xfrom_add_q(req, "nvidia.com/gpu", p->req.gpu, 0);
    if (p->lim_cpu_m || p->lim_mem || p->req.gpu) {
        cJSON *lim = cJSON_AddObjectToObject(res, "limits");
        if (p->lim_cpu_m)
            sched_xfrom_add_q(lim, "cpu", p->lim_cpu_m, 1);
        if (p->lim_mem)
            sched_xfrom_add_q(lim, "memory", p->lim_mem, 0);
        if (p->req.gpu)   /* extended resources: limits equal requests */
            sched_xfrom_add_q(lim, "nvidia.com/gpu", p->req.gpu, 0);
    }
}

/* Pod id as a v1 Pod; bound: with its spec.nodeName. */
cJSON *sched_xfrom_pod_json(SimEngine *e, uint32_t id, int flags)
{
    int bound = flags & SCHED_XFROM_BOUND;
    const SimPod *p = sim_pod(e, id);
    const SimWorkload *w = sim_workload(e, p->wl);
    const SimPodSpec *s = &w->spec;
    char name[256];
    sim_pod_name(e, id, name, sizeof name);
    cJSON *o = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", sim_namespace(e, p->ns)->name);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    for (size_t i = 0; i < s->nlabels; i++)
        sched_xfrom_add_label(labels, s->labels[i].key, s->labels[i].value);
    if (default_spread(w))
        sched_xfrom_add_label(labels, WL_LABEL, w->name);
    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    if (bound)
        cJSON_AddStringToObject(spec, "nodeName", sim_node(e, p->node)->name);
    cJSON_AddNumberToObject(spec, "priority", p->priority);
    if (s->preempt_never)
        cJSON_AddStringToObject(spec, "preemptionPolicy", "Never");
    if (s->node_selector.nreqs) {
        cJSON *ns = cJSON_AddObjectToObject(spec, "nodeSelector");
        for (size_t i = 0; i < s->node_selector.nreqs; i++)
            if (s->node_selector.reqs[i].nvalues == 1)
                cJSON_AddStringToObject(ns, s->node_selector.reqs[i].key, s->node_selector.reqs[i].values[0]);
    }
    cJSON *aff = cJSON_CreateObject();
    node_affinity(e, aff, s, p, !(flags & SCHED_XFROM_NO_PIN));
    const SimPodAffinity *pa = &s->affinity;
    pod_affinity(aff, "podAffinity", pa->req_affinity, pa->nreq_affinity, pa->pref_affinity, pa->npref_affinity);
    pod_affinity(aff, "podAntiAffinity", pa->req_anti, pa->nreq_anti, pa->pref_anti, pa->npref_anti);
    if (cJSON_GetArraySize(aff) > 0)
        sim_json_add_item(spec, "affinity", aff);
    else
        cJSON_Delete(aff);
    tolerations(spec, s);
    spread(spec, w);
    resources(spec, p);
    return o;
}

/* A pod that holds its node's resources: bound, starting or running, or
 * terminating within its grace period. */
int sched_xfrom_holds_node(const SimPod *p)
{
    if (p->node == SIM_NONE)
        return 0;
    return p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING || (p->phase == SIM_POD_DELETED && p->terminating);
}

cJSON *sched_explain_case_from(SimEngine *e, uint32_t pod)
{
    uint32_t region = sim_pod(e, pod)->region;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "description", "written by kubesim explain schedule --from");
    cJSON *nodes = cJSON_AddArrayToObject(c, "nodes"), *pods = cJSON_AddArrayToObject(c, "pods");
    for (uint32_t i = 0; i < sim_node_count(e); i++) {
        const SimNode *n = sim_node(e, i);
        if (n->region == region && n->state == SIM_NODE_READY)
            sim_json_push(nodes, sched_xfrom_node_json(e, i));
    }
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        if (i != pod && p->region == region && sched_xfrom_holds_node(p) && sim_node(e, p->node)->state == SIM_NODE_READY)
            sim_json_push(pods, sched_xfrom_pod_json(e, i, SCHED_XFROM_BOUND));
    }
    sim_json_add_item(c, "pod", sched_xfrom_pod_json(e, pod, 0));
    return c;
}
