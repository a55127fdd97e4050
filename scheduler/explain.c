/*
 * explain.c: `kubesim explain schedule CASE.json`. The case is a cluster as
 * the API server would return it: v1 Nodes, bound v1 Pods, the v1 Pod to
 * place, and optionally PriorityClasses, PodDisruptionBudgets, Namespaces,
 * ResourceQuotas and LimitRanges. It becomes a one-region engine (one node
 * group per node, so each node keeps its own labels and taints; zones from
 * topology.kubernetes.io/zone), the bound pods are bound where they are, and
 * the pod goes through admission and one scheduling cycle exactly as in a
 * run. The answer lists every node's filter verdict in Kubernetes' words, the
 * normalised score of every plugin, the weighted total, the node chosen, and
 * the preemption that would follow when no node fits. Same case, same answer.
 */
#include "scheduler/explain.h"

#include <stdio.h>
#include <string.h>

#include "scheduler/explain_int.h"
#include "sim/json.h"

#define ZONE_LABEL "topology.kubernetes.io/zone"
#define MAX_VICTIMS 4096

typedef struct Case {
    SchedXWorld w;
    uint32_t pod;
} Case;

/* Every problem of the case sticks on the world's reader: FAIL records one
 * and returns SIM_EINVAL. */
#define FAIL(c, path, ...) (kube_fail((c)->w.kr, (path), __VA_ARGS__), SIM_EINVAL)

static int failed(const Case *c)
{
    return kube_failed(c->w.kr);
}

static uint32_t zone_id(Case *c, const KubeNode *n)
{
    for (size_t i = 0; i < n->meta.nlabels; i++)
        if (strcmp(n->meta.labels[i].key, ZONE_LABEL) == 0)
            return sched_xworld_zone(&c->w, n->meta.labels[i].value);
    return SIM_NONE;
}

/* ---- building the cluster ---------------------------------------------------- */
static int add_node(Case *c, const cJSON *j, const char *path)
{
    KubeNode n;
    kube_node(c->w.kr, j, path, &n);
    if (failed(c))
        return SIM_EINVAL;
    if (sim_nodegroup_find(c->w.e, n.meta.name) != SIM_NONE)
        return FAIL(c, path, "duplicate node name \"%s\"", n.meta.name);
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)n.meta.name;
    g.region = c->w.region;
    g.alloc = n.alloc;
    g.labels = n.meta.labels;
    g.nlabels = n.meta.nlabels;
    g.taints = n.taints;
    g.ntaints = n.ntaints;
    g.max = 1;
    uint32_t gid, node, zone = zone_id(c, &n);
    int rc = sim_nodegroup_add(c->w.e, &g, &gid);
    if (rc == SIM_OK)
        rc = sim_node_add_named(c->w.e, gid, n.meta.name, zone, 1, &node);
    if (rc == SIM_OK && n.unschedulable)
        rc = sim_node_cordon(c->w.e, node, 1);
    return sched_xworld_engine_err(&c->w, rc, path);
}

/* Every list's type is checked before any object is read. */
static int add_policy(Case *c, const cJSON *root)
{
    const cJSON *pcs = sched_xworld_array(&c->w, root, "priorityClasses", 0);
    const cJSON *pdbs = sched_xworld_array(&c->w, root, "pdbs", 0);
    const cJSON *qs = sched_xworld_array(&c->w, root, "resourceQuotas", 0);
    const cJSON *lrs = sched_xworld_array(&c->w, root, "limitRanges", 0);
    if (sched_xworld_priorityclasses(&c->w, pcs, "priorityClasses") != SIM_OK ||
        sched_xworld_quotas(&c->w, qs, "resourceQuotas") != SIM_OK ||
        sched_xworld_limitranges(&c->w, lrs, "limitRanges") != SIM_OK)
        return SIM_EINVAL;
    return sched_xworld_pdbs(&c->w, pdbs, "pdbs");
}

/* A pod as a workload of its own with scale 1. A bound pod takes its
 * controller's kind, so that a PodDisruptionBudget over the pods of a
 * ReplicaSet or StatefulSet counts one expected pod per listed pod and one
 * over bare pods fails safe, as upstream's disruption controller does. The
 * pod to place stays a bare pod: as a one-pod Deployment it would get the
 * default topology spreading over itself alone, where upstream's selector
 * takes in its ReplicaSet's other pods. */
static int pod_workload(Case *c, const cJSON *j, const char *path, KubePod *p, uint32_t *wl, int owned)
{
    kube_pod(c->w.kr, j, path, p);
    SimWlKind kind = owned ? kube_owner_kind(c->w.kr, j, path) : SIM_WL_POD;
    return sched_xworld_pod_workload(&c->w, p, kind, path, wl);
}

static int add_bound_pods(Case *c, const cJSON *root)
{
    const cJSON *x, *pods = sched_xworld_array(&c->w, root, "pods", 0);
    size_t i = 0;
    cJSON_ArrayForEach(x, (failed(c) ? NULL : pods)) {
        char path[64];
        KubePod p;
        uint32_t wl, pod;
        snprintf(path, sizeof path, "$.pods[%zu]", i++);
        if (pod_workload(c, x, path, &p, &wl, 1) != SIM_OK)
            return SIM_EINVAL;
        uint32_t node = p.spec.node_name ? sim_nodegroup_find(c->w.e, p.spec.node_name) : SIM_NONE;
        if (node == SIM_NONE) {
            char sub[KUBE_PATH];
            kube_path(sub, "%s.spec.nodeName", path);
            return FAIL(c, sub, "%s", p.spec.node_name ? "names no node of the case" : "is required for a bound pod");
        }
        int rc = sched_xworld_pod_create(&c->w, wl, &p, path, &pod);
        if (rc == SIM_EFORBIDDEN)
            return FAIL(c, path, "admission refused this bound pod: %s", sim_errmsg(c->w.e));
        if (rc == SIM_OK)
            rc = sim_pod_bind(c->w.e, pod, node);   /* node ids equal group ids: one node a group */
        if (sched_xworld_engine_err(&c->w, rc, path) != SIM_OK)
            return SIM_EINVAL;
    }
    return failed(c) ? SIM_EINVAL : SIM_OK;
}

static int check_top(Case *c, const cJSON *root)
{
    /* "description" and "expect" document a case (the test suite checks
     * "expect"); explain ignores both. */
    static const char *const top[] = {"description", "expect", "nodes", "pods", "pod", "priorityClasses",
                                      "pdbs", "namespaces", "resourceQuotas", "limitRanges", NULL};
    kube_keys(c->w.kr, root, "$", top);
    if (!failed(c) && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "pod")))
        kube_fail(c->w.kr, "$.pod", "the pod to place is required");
    return failed(c) ? SIM_EINVAL : SIM_OK;
}

static int build(Case *c, const cJSON *root)
{
    if (check_top(c, root) != SIM_OK)
        return SIM_EINVAL;
    const cJSON *x, *nodes = sched_xworld_array(&c->w, root, "nodes", 0);
    size_t i = 0;
    cJSON_ArrayForEach(x, (failed(c) ? NULL : nodes)) {
        char path[64];
        snprintf(path, sizeof path, "$.nodes[%zu]", i++);
        if (add_node(c, x, path) != SIM_OK)
            return SIM_EINVAL;
    }
    if (failed(c) ||
        sched_xworld_namespaces(&c->w, sched_xworld_array(&c->w, root, "namespaces", 0), "namespaces") != SIM_OK ||
        add_policy(c, root) != SIM_OK)
        return SIM_EINVAL;
    if ((c->w.s = sched_create(c->w.e)) == NULL)
        return FAIL(c, NULL, "out of memory");
    if (add_bound_pods(c, root) != SIM_OK)
        return SIM_EINVAL;
    /* Bound pods start (Running, for PDBs) before the pod arrives. */
    int rc;
    while ((rc = sim_step(c->w.e)) == SIM_OK) {
    }
    return rc == SIM_DONE ? SIM_OK : sched_xworld_engine_err(&c->w, rc, "$");
}

/* ---- the answer --------------------------------------------------------------- */
typedef struct Answer {
    SchedNodeVerdict *v;
    size_t nv;
    SchedResult res;
    int admitted;
    char admission[512];
    uint32_t nominated;
    uint32_t victims[MAX_VICTIMS];
    size_t nvictims;
} Answer;

static int decide(Case *c, const cJSON *root, Answer *a)
{
    KubePod p;
    uint32_t wl;
    if (pod_workload(c, cJSON_GetObjectItemCaseSensitive(root, "pod"), "$.pod", &p, &wl, 0) != SIM_OK)
        return SIM_EINVAL;
    a->nominated = SIM_NONE;
    int rc = sched_xworld_pod_create(&c->w, wl, &p, "$.pod", &c->pod);
    if (rc == SIM_EFORBIDDEN) {
        snprintf(a->admission, sizeof a->admission, "%s", sim_errmsg(c->w.e));
        return SIM_OK;
    }
    if (rc != SIM_OK)
        return SIM_EINVAL;
    a->admitted = 1;
    a->nv = sim_region(c->w.e, c->w.region)->nnodes;
    a->v = sim_arena_alloc(&c->w.arena, (a->nv + 1) * sizeof *a->v);
    if (a->v == NULL || sched_explain(c->w.s, c->pod, a->v, a->nv, &a->res) != SIM_OK)
        return FAIL(c, NULL, "out of memory");
    if (a->res.node != SIM_NONE)
        return SIM_OK;
    rc = sched_preempt_plan(c->w.s, c->pod, &a->nominated, a->victims, MAX_VICTIMS, &a->nvictims);
    if (a->nvictims > MAX_VICTIMS)
        a->nvictims = MAX_VICTIMS;
    return rc == SIM_DONE ? SIM_OK : sched_xworld_engine_err(&c->w, rc, "$.pod") != SIM_OK ? SIM_EINVAL : SIM_OK;
}

static const char *node_name(Case *c, uint32_t n)
{
    return n == SIM_NONE ? NULL : sim_node(c->w.e, n)->name;
}

static cJSON *verdict_json(Case *c, const SchedNodeVerdict *v, const SchedPlugin *pl, size_t npl)
{
    cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject(), *sc = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", node_name(c, v->node));
    cJSON_AddBoolToObject(o, "examined", v->examined);
    cJSON_AddBoolToObject(f, "passed", v->examined && v->passed);
    if (v->plugin)
        cJSON_AddStringToObject(f, "plugin", v->plugin);
    else
        cJSON_AddNullToObject(f, "plugin");
    if (!v->examined)
        cJSON_AddStringToObject(f, "reason", "not examined: enough feasible nodes were found first "
                                             "(percentageOfNodesToScore)");
    else if (v->passed)
        cJSON_AddNullToObject(f, "reason");
    else
        cJSON_AddStringToObject(f, "reason", v->reason);
    sim_json_add_item(o, "filter", f);
    for (size_t k = 0; k < npl && k < SCHED_MAX_PLUGINS; k++)
        if (v->examined && v->passed && pl[k].scores && v->scores[k] >= 0)
            cJSON_AddNumberToObject(sc, pl[k].name, (double)v->scores[k]);
    sim_json_add_item(o, "scores", sc);
    cJSON_AddNumberToObject(o, "total", (double)v->total);
    return o;
}

static cJSON *answer_json(Case *c, const Answer *a)
{
    size_t npl;
    const SchedPlugin *pl = sched_default_plugins(&npl);
    cJSON *o = cJSON_CreateObject(), *nodes = cJSON_CreateArray(), *victims = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "pod", sim_workload(c->w.e, sim_workload_count(c->w.e) - 1)->name);
    cJSON *adm = cJSON_AddObjectToObject(o, "admission");
    cJSON_AddBoolToObject(adm, "allowed", a->admitted);
    if (!a->admitted)
        cJSON_AddStringToObject(adm, "reason", a->admission);
    for (size_t i = 0; a->admitted && i < a->nv; i++)
        sim_json_push(nodes, verdict_json(c, &a->v[i], pl, npl));
    sim_json_add_item(o, "nodes", nodes);
    const char *sel = a->admitted ? node_name(c, a->res.node) : NULL;
    const char *nom = node_name(c, a->nominated);
    if (sel) cJSON_AddStringToObject(o, "selected", sel); else cJSON_AddNullToObject(o, "selected");
    if (nom) cJSON_AddStringToObject(o, "nominatedNodeName", nom); else cJSON_AddNullToObject(o, "nominatedNodeName");
    for (size_t i = 0; i < a->nvictims; i++)
        sim_json_push(victims, cJSON_CreateString(sim_workload(c->w.e, sim_pod(c->w.e, a->victims[i])->wl)->name));
    sim_json_add_item(o, "victims", victims);
    if (a->admitted && a->res.node == SIM_NONE)
        cJSON_AddStringToObject(o, "message", a->res.reason);
    return o;
}

/* The same answer as text, for a person. */
static void answer_text(const cJSON *o, FILE *out)
{
    const cJSON *adm = cJSON_GetObjectItem(o, "admission"), *n;
    fprintf(out, "pod %s\n", cJSON_GetObjectItem(o, "pod")->valuestring);
    if (!cJSON_IsTrue(cJSON_GetObjectItem(adm, "allowed"))) {
        fprintf(out, "admission: refused: %s\n", cJSON_GetObjectItem(adm, "reason")->valuestring);
        return;
    }
    fprintf(out, "\n%-28s %-8s %s\n", "NODE", "TOTAL", "FILTER / SCORES (normalised 0-100, x weight in the total)");
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(o, "nodes")) {
        const cJSON *f = cJSON_GetObjectItem(n, "filter"), *s;
        fprintf(out, "%-28s ", cJSON_GetObjectItem(n, "name")->valuestring);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(f, "passed"))) {
            const cJSON *pl = cJSON_GetObjectItem(f, "plugin");
            fprintf(out, "%-8s %s%s%s\n", "-", cJSON_IsString(pl) ? pl->valuestring : "",
                    cJSON_IsString(pl) ? ": " : "", cJSON_GetObjectItem(f, "reason")->valuestring);
            continue;
        }
        fprintf(out, "%-8.0f passed", cJSON_GetObjectItem(n, "total")->valuedouble);
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(n, "scores"))
            fprintf(out, "  %s %.0f", s->string, s->valuedouble);
        fputc('\n', out);
    }
    const cJSON *sel = cJSON_GetObjectItem(o, "selected"), *nom = cJSON_GetObjectItem(o, "nominatedNodeName");
    fprintf(out, "\nselected: %s\n", cJSON_IsString(sel) ? sel->valuestring : "none");
    if (cJSON_IsString(cJSON_GetObjectItem(o, "message")))
        fprintf(out, "message: %s\n", cJSON_GetObjectItem(o, "message")->valuestring);
    if (cJSON_IsString(nom)) {
        fprintf(out, "preemption: nominated %s, victims:", nom->valuestring);
        const cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "victims"))
            fprintf(out, " %s", v->valuestring);
        fputc('\n', out);
    }
}

int sched_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                       SimErr *err)
{
    Case c;
    memset(&c, 0, sizeof c);
    SimJsonScope js;
    sim_json_begin(&js, m);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0), *o = NULL;
    Answer *a = NULL;
    int rc = sched_xworld_open(&c.w, m, SIM_SEC(3600));
    if (rc == SIM_OK && root == NULL)
        rc = kube_fail_json(c.w.kr, file, text, cJSON_GetErrorPtr());
    else if (rc == SIM_OK)
        rc = build(&c, root);
    if (rc == SIM_OK && (a = sim_arena_alloc(&c.w.arena, sizeof *a)) == NULL)
        rc = FAIL(&c, NULL, "out of memory");
    if (rc == SIM_OK)
        rc = decide(&c, root, a);
    if (rc == SIM_OK)
        o = answer_json(&c, a);
    if (rc == SIM_ENOMEM)
        sim_err_set(err, SIM_ENOMEM, "%s: out of memory", file);
    else if (rc != SIM_OK)
        sim_err_set(err, rc, root ? "%s: %s" : "%.0s%s", file, kube_errmsg(c.w.kr));
    rc = sched_explain_print(m, rc, o, as_json, out, answer_text);
    cJSON_Delete(o);
    cJSON_Delete(root);
    sched_xworld_close(&c.w);
    sim_json_end(&js);
    return sched_explain_oom(m, rc, file, err);
}
