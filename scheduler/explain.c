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

#include "scheduler/v1.h"
#include "sim/arena.h"

#define ZONE_LABEL "topology.kubernetes.io/zone"
#define MAX_VICTIMS 4096

typedef struct Case {
    SimMem mem;
    SimArena arena;
    SchedV1 v1;
    SimEngine *e;
    SchedScheduler *s;
    uint32_t region, pod;
    const char *file;
    SimErr *err;
} Case;

static int fail(Case *c, const char *fmt, const char *a, const char *b)
{
    return sim_err_set(c->err, SIM_EINVAL, fmt, c->file, a, b);
}

/* The problem of the case: a v1 parse error, or the engine's refusal. */
static int v1_or_engine(Case *c, int rc, const char *path)
{
    if (sched_v1_failed(&c->v1))
        return fail(c, "%s: %s%s", c->v1.err, "");
    if (rc != SIM_OK)
        return fail(c, "%s: %s: %s", path, sim_errmsg(c->e));
    return SIM_OK;
}

static const cJSON *array(Case *c, const cJSON *root, const char *key, int *rc)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (a != NULL && !cJSON_IsArray(a)) {
        char path[64];
        snprintf(path, sizeof path, "$.%s", key);
        *rc = fail(c, "%s: %s: %s", path, "expected an array");
    }
    return a;
}

static uint32_t ns_id(Case *c, const char *name)
{
    uint32_t id = sim_namespace_find(c->e, name);
    if (id == SIM_NONE && sim_namespace_add(c->e, name, &id) != SIM_OK)
        return SIM_NONE;
    return id;
}

static uint32_t zone_id(Case *c, const SchedV1Node *n)
{
    for (size_t i = 0; i < n->meta.nlabels; i++)
        if (strcmp(n->meta.labels[i].key, ZONE_LABEL) == 0) {
            uint32_t z = sim_zone_find(c->e, n->meta.labels[i].value);
            if (z == SIM_NONE && sim_zone_add(c->e, c->region, n->meta.labels[i].value, &z) != SIM_OK)
                return SIM_NONE;
            return z;
        }
    return SIM_NONE;
}

/* ---- building the cluster ---------------------------------------------------- */
static int add_node(Case *c, const cJSON *j, const char *path)
{
    SchedV1Node n;
    sched_v1_node(&c->v1, j, path, &n);
    if (sched_v1_failed(&c->v1))
        return v1_or_engine(c, SIM_OK, path);
    if (sim_nodegroup_find(c->e, n.meta.name) != SIM_NONE)
        return fail(c, "%s: %s: duplicate node name \"%s\"", path, n.meta.name);
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)n.meta.name;
    g.region = c->region;
    g.alloc = n.alloc;
    g.labels = n.meta.labels;
    g.nlabels = n.meta.nlabels;
    g.taints = n.taints;
    g.ntaints = n.ntaints;
    g.max = 1;
    uint32_t gid, node, zone = zone_id(c, &n);
    int rc = sim_nodegroup_add(c->e, &g, &gid);
    if (rc == SIM_OK)
        rc = sim_node_add_named(c->e, gid, n.meta.name, zone, 1, &node);
    if (rc == SIM_OK)
        sim_node(c->e, node)->unschedulable = (uint8_t)n.unschedulable;
    return v1_or_engine(c, rc, path);
}

static int add_policy(Case *c, const cJSON *root)
{
    int rc = SIM_OK;
    const cJSON *x, *pcs = array(c, root, "priorityClasses", &rc), *pdbs = array(c, root, "pdbs", &rc);
    const cJSON *qs = array(c, root, "resourceQuotas", &rc), *lrs = array(c, root, "limitRanges", &rc);
    char path[64];
    size_t i = 0;
    cJSON_ArrayForEach(x, pcs) {
        SimPriorityClass pc;
        uint32_t id;
        snprintf(path, sizeof path, "$.priorityClasses[%zu]", i++);
        sched_v1_priorityclass(&c->v1, x, path, &pc);
        if (rc == SIM_OK && !sched_v1_failed(&c->v1))
            rc = sim_priorityclass_add(c->e, &pc, &id);
        if (rc != SIM_OK || sched_v1_failed(&c->v1))
            return v1_or_engine(c, rc, path);
    }
    i = 0;
    cJSON_ArrayForEach(x, qs) {
        SchedV1Meta m;
        SimQuota q;
        uint32_t id;
        snprintf(path, sizeof path, "$.resourceQuotas[%zu]", i++);
        sched_v1_quota(&c->v1, x, path, &m, &q);
        q.region = c->region;
        if (rc == SIM_OK && !sched_v1_failed(&c->v1))
            rc = (q.ns = ns_id(c, m.ns)) == SIM_NONE ? SIM_ENOMEM : sim_quota_add(c->e, &q, &id);
        if (rc != SIM_OK || sched_v1_failed(&c->v1))
            return v1_or_engine(c, rc, path);
    }
    i = 0;
    cJSON_ArrayForEach(x, lrs) {
        SchedV1Meta m;
        SimLimitRange lr;
        uint32_t id;
        snprintf(path, sizeof path, "$.limitRanges[%zu]", i++);
        sched_v1_limitrange(&c->v1, x, path, &m, &lr);
        lr.region = c->region;
        if (rc == SIM_OK && !sched_v1_failed(&c->v1))
            rc = (lr.ns = ns_id(c, m.ns)) == SIM_NONE ? SIM_ENOMEM : sim_limitrange_add(c->e, &lr, &id);
        if (rc != SIM_OK || sched_v1_failed(&c->v1))
            return v1_or_engine(c, rc, path);
    }
    i = 0;
    cJSON_ArrayForEach(x, pdbs) {
        SchedV1Meta m;
        SimPdb pdb;
        uint32_t id;
        snprintf(path, sizeof path, "$.pdbs[%zu]", i++);
        sched_v1_pdb(&c->v1, x, path, &m, &pdb);
        pdb.region = c->region;
        if (rc == SIM_OK && !sched_v1_failed(&c->v1))
            rc = (pdb.ns = ns_id(c, m.ns)) == SIM_NONE ? SIM_ENOMEM : sim_pdb_add(c->e, &pdb, &id);
        if (rc != SIM_OK || sched_v1_failed(&c->v1))
            return v1_or_engine(c, rc, path);
    }
    return rc;
}

static int add_namespaces(Case *c, const cJSON *root)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    int rc = SIM_OK;
    const cJSON *x, *nss = array(c, root, "namespaces", &rc);
    size_t i = 0;
    cJSON_ArrayForEach(x, nss) {
        char path[64];
        snprintf(path, sizeof path, "$.namespaces[%zu]", i++);
        sched_v1_keys(&c->v1, x, path, top);
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(x, "metadata");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
        if (!sched_v1_failed(&c->v1) && !cJSON_IsString(name))
            sched_v1_fail(&c->v1, path, "metadata.name is required");
        if (sched_v1_failed(&c->v1))
            return v1_or_engine(c, SIM_OK, path);
        if (ns_id(c, name->valuestring) == SIM_NONE)
            return v1_or_engine(c, SIM_ENOMEM, path);
    }
    return rc;
}

/* A pod as a workload of its own with scale 1. A bound pod takes its
 * controller's kind, so that a PodDisruptionBudget over the pods of a
 * ReplicaSet or StatefulSet counts one expected pod per listed pod and one
 * over bare pods fails safe, as upstream's disruption controller does. The
 * pod to place stays a bare pod: as a one-pod Deployment it would get the
 * default topology spreading over itself alone, where upstream's selector
 * takes in its ReplicaSet's other pods. */
static int pod_workload(Case *c, const cJSON *j, const char *path, SchedV1Pod *p, uint32_t *wl, int owned)
{
    sched_v1_pod(&c->v1, j, path, p);
    SimWlKind kind = owned ? sched_v1_owner_kind(&c->v1, j, path) : SIM_WL_POD;
    if (sched_v1_failed(&c->v1))
        return v1_or_engine(c, SIM_OK, path);
    if (sim_workload_find(c->e, p->meta.name) != SIM_NONE)
        return fail(c, "%s: %s: duplicate pod name \"%s\"", path, p->meta.name);
    SimWorkload w;
    memset(&w, 0, sizeof w);
    w.name = (char *)p->meta.name;
    w.kind = kind;
    w.region = c->region;
    w.ns = ns_id(c, p->meta.ns);
    w.spec = p->spec;
    w.replicas = 1;
    int rc = w.ns == SIM_NONE ? SIM_ENOMEM : sim_workload_add(c->e, &w, wl);
    return v1_or_engine(c, rc, path);
}

static int create_pod(Case *c, uint32_t wl, const SchedV1Pod *p, const char *path, uint32_t *pod)
{
    int rc = sim_pod_create(c->e, wl, pod);
    if (rc == SIM_OK && p->has_priority)
        sim_pod(c->e, *pod)->priority = p->spec.priority;   /* spec.priority as given wins */
    if (rc != SIM_OK && rc != SIM_EFORBIDDEN)
        return v1_or_engine(c, rc, path);
    return rc;
}

static int add_bound_pods(Case *c, const cJSON *root)
{
    int rc = SIM_OK;
    const cJSON *x, *pods = array(c, root, "pods", &rc);
    size_t i = 0;
    cJSON_ArrayForEach(x, pods) {
        char path[64];
        SchedV1Pod p;
        uint32_t wl, pod;
        snprintf(path, sizeof path, "$.pods[%zu]", i++);
        if ((rc = pod_workload(c, x, path, &p, &wl, 1)) != SIM_OK)
            return rc;
        uint32_t node = p.spec.node_name ? sim_nodegroup_find(c->e, p.spec.node_name) : SIM_NONE;
        if (node == SIM_NONE)
            return fail(c, "%s: %s.spec.nodeName: %s", path,
                        p.spec.node_name ? "names no node of the case" : "is required for a bound pod");
        rc = create_pod(c, wl, &p, path, &pod);
        if (rc == SIM_EFORBIDDEN)
            return fail(c, "%s: %s: admission refused this bound pod: %s", path, sim_errmsg(c->e));
        if (rc == SIM_OK)
            rc = sim_pod_bind(c->e, pod, node);   /* node ids equal group ids: one node a group */
        if (rc != SIM_OK)
            return v1_or_engine(c, rc, path);
    }
    return rc;
}

static int check_top(Case *c, const cJSON *root)
{
    /* "description" and "expect" document a case (the test suite checks
     * "expect"); explain ignores both. */
    static const char *const top[] = {"description", "expect", "nodes", "pods", "pod", "priorityClasses",
                                      "pdbs", "namespaces", "resourceQuotas", "limitRanges", NULL};
    sched_v1_keys(&c->v1, root, "$", top);
    if (!sched_v1_failed(&c->v1) && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "pod")))
        sched_v1_fail(&c->v1, "$.pod", "the pod to place is required");
    return v1_or_engine(c, SIM_OK, "$");
}

static int build(Case *c, const cJSON *root)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(3600), .queue = SIM_EVQ_FAST, .mem = &c->mem};
    int rc = check_top(c, root);
    if (rc != SIM_OK)
        return rc;
    if ((c->e = sim_engine_create(&cfg)) == NULL || sim_region_add(c->e, "cluster", &c->region) != SIM_OK ||
        ns_id(c, "default") == SIM_NONE)
        return fail(c, "%s: %s%s", "out of memory", "");
    const cJSON *x, *nodes = array(c, root, "nodes", &rc);
    size_t i = 0;
    cJSON_ArrayForEach(x, nodes) {
        char path[64];
        snprintf(path, sizeof path, "$.nodes[%zu]", i++);
        if (rc == SIM_OK)
            rc = add_node(c, x, path);
    }
    if (rc == SIM_OK)
        rc = add_namespaces(c, root);
    if (rc == SIM_OK)
        rc = add_policy(c, root);
    if (rc == SIM_OK && (c->s = sched_create(c->e)) == NULL)
        rc = fail(c, "%s: %s%s", "out of memory", "");
    if (rc == SIM_OK)
        rc = add_bound_pods(c, root);
    if (rc != SIM_OK)
        return rc;
    /* Bound pods start (Running, for PDBs) before the pod arrives. */
    while ((rc = sim_step(c->e)) == SIM_OK) {
    }
    return rc == SIM_DONE ? SIM_OK : v1_or_engine(c, rc, "$");
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
    SchedV1Pod p;
    uint32_t wl;
    int rc = pod_workload(c, cJSON_GetObjectItemCaseSensitive(root, "pod"), "$.pod", &p, &wl, 0);
    if (rc != SIM_OK)
        return rc;
    a->nominated = SIM_NONE;
    rc = create_pod(c, wl, &p, "$.pod", &c->pod);
    if (rc == SIM_EFORBIDDEN) {
        snprintf(a->admission, sizeof a->admission, "%s", sim_errmsg(c->e));
        return SIM_OK;
    }
    if (rc != SIM_OK)
        return rc;
    a->admitted = 1;
    a->nv = sim_region(c->e, c->region)->nnodes;
    a->v = sim_arena_alloc(&c->arena, (a->nv + 1) * sizeof *a->v);
    if (a->v == NULL || sched_explain(c->s, c->pod, a->v, a->nv, &a->res) != SIM_OK)
        return fail(c, "%s: %s%s", "out of memory", "");
    if (a->res.node != SIM_NONE)
        return SIM_OK;
    rc = sched_preempt_plan(c->s, c->pod, &a->nominated, a->victims, MAX_VICTIMS, &a->nvictims);
    if (a->nvictims > MAX_VICTIMS)
        a->nvictims = MAX_VICTIMS;
    return rc == SIM_DONE ? SIM_OK : v1_or_engine(c, rc, "$.pod");
}

static const char *node_name(Case *c, uint32_t n)
{
    return n == SIM_NONE ? NULL : sim_node(c->e, n)->name;
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
    cJSON_AddItemToObject(o, "filter", f);
    for (size_t k = 0; k < npl && k < SCHED_MAX_PLUGINS; k++)
        if (v->examined && v->passed && pl[k].score && v->scores[k] >= 0)
            cJSON_AddNumberToObject(sc, pl[k].name, (double)v->scores[k]);
    cJSON_AddItemToObject(o, "scores", sc);
    cJSON_AddNumberToObject(o, "total", (double)v->total);
    return o;
}

static cJSON *answer_json(Case *c, const Answer *a)
{
    size_t npl;
    const SchedPlugin *pl = sched_default_plugins(&npl);
    cJSON *o = cJSON_CreateObject(), *nodes = cJSON_CreateArray(), *victims = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "pod", sim_workload(c->e, sim_workload_count(c->e) - 1)->name);
    cJSON *adm = cJSON_AddObjectToObject(o, "admission");
    cJSON_AddBoolToObject(adm, "allowed", a->admitted);
    if (!a->admitted)
        cJSON_AddStringToObject(adm, "reason", a->admission);
    for (size_t i = 0; a->admitted && i < a->nv; i++)
        cJSON_AddItemToArray(nodes, verdict_json(c, &a->v[i], pl, npl));
    cJSON_AddItemToObject(o, "nodes", nodes);
    const char *sel = a->admitted ? node_name(c, a->res.node) : NULL;
    const char *nom = node_name(c, a->nominated);
    if (sel) cJSON_AddStringToObject(o, "selected", sel); else cJSON_AddNullToObject(o, "selected");
    if (nom) cJSON_AddStringToObject(o, "nominatedNodeName", nom); else cJSON_AddNullToObject(o, "nominatedNodeName");
    for (size_t i = 0; i < a->nvictims; i++)
        cJSON_AddItemToArray(victims, cJSON_CreateString(sim_workload(c->e, sim_pod(c->e, a->victims[i])->wl)->name));
    cJSON_AddItemToObject(o, "victims", victims);
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

int sched_explain_case(const char *text, size_t len, const char *file, int as_json, FILE *out, SimErr *err)
{
    Case c;
    memset(&c, 0, sizeof c);
    sim_mem_init(&c.mem);
    sim_arena_init(&c.arena, &c.mem);
    sched_v1_init(&c.v1, &c.arena);
    c.file = file;
    c.err = err;
        const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc = root ? build(&c, root) : sched_v1_json_error(file, text, cJSON_GetErrorPtr(), err);
    Answer *a = rc == SIM_OK ? sim_arena_alloc(&c.arena, sizeof *a) : NULL;
    if (rc == SIM_OK && a == NULL)
        rc = fail(&c, "%s: %s%s", "out of memory", "");
    if (rc == SIM_OK)
        rc = decide(&c, root, a);
    cJSON *o = rc == SIM_OK ? answer_json(&c, a) : NULL;
    if (o)
        sched_v1_print_answer(o, as_json, out, answer_text);
    cJSON_Delete(o);
    cJSON_Delete(root);
    sched_destroy(c.s);
    sim_engine_destroy(c.e);
    sim_arena_free(&c.arena);
    return rc;
}
