/*
 * explain_world.c: the one builder of the explain cases' worlds
 * (explain_int.h): `explain schedule` and `explain autoscaler` read their v1
 * objects through the kube reader and add them to the engine here, so a
 * Namespace, a PriorityClass, a quota, a LimitRange, a PDB or a pod means
 * the same in both.
 *
 * Invariant: every function returns at once, SIM_EINVAL, once the reader
 * holds a problem; the first problem is the one reported.
 */
#include "scheduler/explain_int.h"

#include <stdio.h>
#include <string.h>

#include "scheduler/explain.h"

int sched_xworld_open(SchedXWorld *w, SimMem *m, SimTime end)
{
    memset(w, 0, sizeof *w);
    w->mem = m;
    sim_arena_init(&w->arena, m);
    if ((w->kr = kube_reader_new(&w->arena)) == NULL)
        return SIM_ENOMEM;
    SimConfig cfg = {.seed = 1, .end = end, .queue = SIM_EVQ_FAST, .mem = m};
    if ((w->e = sim_engine_create(&cfg)) == NULL || sim_region_add(w->e, "cluster", &w->region) != SIM_OK ||
        sched_xworld_ns(w, "default") == SIM_NONE)
        return SIM_ENOMEM;
    return SIM_OK;
}

void sched_xworld_close(SchedXWorld *w)
{
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
    sim_arena_free(&w->arena);
}

uint32_t sched_xworld_ns(SchedXWorld *w, const char *name)
{
    uint32_t id = sim_namespace_find(w->e, name);
    if (id == SIM_NONE && sim_namespace_add(w->e, name, &id) != SIM_OK)
        return SIM_NONE;
    return id;
}

uint32_t sched_xworld_zone(SchedXWorld *w, const char *name)
{
    uint32_t z = sim_zone_find(w->e, name);
    if (z == SIM_NONE && sim_zone_add(w->e, w->region, name, &z) != SIM_OK)
        return SIM_NONE;
    return z;
}

int sched_xworld_engine_err(SchedXWorld *w, int rc, const char *path)
{
    if (rc != SIM_OK && !kube_failed(w->kr))
        kube_fail(w->kr, path, "%s", rc == SIM_ENOMEM ? "out of memory" : sim_errmsg(w->e));
    return rc;
}

const cJSON *sched_xworld_array(SchedXWorld *w, const cJSON *root, const char *key, int null_ok)
{
    char path[KUBE_PATH];
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    kube_path(path, "$.%s", key);
    if (a != NULL && !cJSON_IsArray(a) && !(null_ok && cJSON_IsNull(a)))
        kube_fail(w->kr, path, "expected an array");
    return cJSON_IsArray(a) ? a : NULL;
}

/* An engine call's rc or the reader's problem, as SIM_OK / SIM_EINVAL. */
static int done(SchedXWorld *w, int rc, const char *path)
{
    sched_xworld_engine_err(w, rc, path);
    return kube_failed(w->kr) ? SIM_EINVAL : SIM_OK;
}

/* One object of a list, read and added: SIM_OK or an engine rc. */
typedef int (*AddOne)(SchedXWorld *w, const cJSON *x, const char *path);

/* Every object of arr, "$.key[i]" in messages, in list order. */
static int add_all(SchedXWorld *w, const cJSON *arr, const char *key, AddOne add)
{
    const cJSON *x;
    size_t i = 0;
    cJSON_ArrayForEach(x, (kube_failed(w->kr) ? NULL : arr)) {
        char path[KUBE_PATH];
        kube_path(path, "$.%s[%zu]", key, i++);
        if (done(w, add(w, x, path), path) != SIM_OK)
            return SIM_EINVAL;
    }
    return done(w, SIM_OK, "$");
}

/* The namespace of meta, for an object of the region; SIM_NONE when out of
 * memory or after a problem. */
static uint32_t object_ns(SchedXWorld *w, const KubeMeta *m)
{
    return kube_failed(w->kr) ? SIM_NONE : sched_xworld_ns(w, m->ns);
}

static int add_priorityclass(SchedXWorld *w, const cJSON *x, const char *path)
{
    SimPriorityClass pc;
    uint32_t id;
    kube_priorityclass(w->kr, x, path, &pc);
    return kube_failed(w->kr) ? SIM_OK : sim_priorityclass_add(w->e, &pc, &id);
}

static int add_quota(SchedXWorld *w, const cJSON *x, const char *path)
{
    KubeMeta m;
    SimQuota q;
    uint32_t id;
    kube_quota(w->kr, x, path, &m, &q);
    q.region = w->region;
    if (kube_failed(w->kr))
        return SIM_OK;
    return (q.ns = object_ns(w, &m)) == SIM_NONE ? SIM_ENOMEM : sim_quota_add(w->e, &q, &id);
}

static int add_limitrange(SchedXWorld *w, const cJSON *x, const char *path)
{
    KubeMeta m;
    SimLimitRange lr;
    uint32_t id;
    kube_limitrange(w->kr, x, path, &m, &lr);
    lr.region = w->region;
    if (kube_failed(w->kr))
        return SIM_OK;
    return (lr.ns = object_ns(w, &m)) == SIM_NONE ? SIM_ENOMEM : sim_limitrange_add(w->e, &lr, &id);
}

static int add_pdb(SchedXWorld *w, const cJSON *x, const char *path)
{
    KubeMeta m;
    SimPdb pdb;
    uint32_t id;
    kube_pdb(w->kr, x, path, &m, &pdb);
    pdb.region = w->region;
    if (kube_failed(w->kr))
        return SIM_OK;
    return (pdb.ns = object_ns(w, &m)) == SIM_NONE ? SIM_ENOMEM : sim_pdb_add(w->e, &pdb, &id);
}

static int add_namespace(SchedXWorld *w, const cJSON *x, const char *path)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    kube_keys(w->kr, x, path, top);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(x, "metadata"), "name");
    if (!kube_failed(w->kr) && !cJSON_IsString(name))
        kube_fail(w->kr, path, "metadata.name is required");
    if (kube_failed(w->kr))
        return SIM_OK;
    return sched_xworld_ns(w, name->valuestring) == SIM_NONE ? SIM_ENOMEM : SIM_OK;
}

int sched_xworld_namespaces(SchedXWorld *w, const cJSON *arr, const char *key)
{
    return add_all(w, arr, key, add_namespace);
}

int sched_xworld_priorityclasses(SchedXWorld *w, const cJSON *arr, const char *key)
{
    return add_all(w, arr, key, add_priorityclass);
}

int sched_xworld_quotas(SchedXWorld *w, const cJSON *arr, const char *key)
{
    return add_all(w, arr, key, add_quota);
}

int sched_xworld_limitranges(SchedXWorld *w, const cJSON *arr, const char *key)
{
    return add_all(w, arr, key, add_limitrange);
}

int sched_xworld_pdbs(SchedXWorld *w, const cJSON *arr, const char *key)
{
    return add_all(w, arr, key, add_pdb);
}

int sched_xworld_pod_workload(SchedXWorld *w, const KubePod *p, SimWlKind kind, const char *path, uint32_t *wl)
{
    if (kube_failed(w->kr))
        return SIM_EINVAL;
    SimWorkload wk;
    memset(&wk, 0, sizeof wk);
    wk.name = (char *)p->meta.name;
    wk.kind = kind;
    wk.region = w->region;
    wk.ns = sched_xworld_ns(w, p->meta.ns);
    if (wk.ns != SIM_NONE && sim_workload_lookup(w->e, kind, wk.ns, p->meta.name) != SIM_NONE) {
        kube_fail(w->kr, path, "duplicate pod name \"%s\"", p->meta.name);
        return SIM_EINVAL;
    }
    wk.spec = p->spec;
    wk.replicas = 1;
    return done(w, wk.ns == SIM_NONE ? SIM_ENOMEM : sim_workload_add(w->e, &wk, wl), path);
}

int sched_xworld_pod_create(SchedXWorld *w, uint32_t wl, const KubePod *p, const char *path, uint32_t *pod)
{
    int rc = sim_pod_create(w->e, wl, pod);
    if (rc == SIM_OK && p->has_priority)
        sim_pod_set_priority(w->e, *pod, p->spec.priority);   /* spec.priority as given wins */
    if (rc != SIM_OK && rc != SIM_EFORBIDDEN)
        return done(w, rc, path);
    return rc;
}

/* Printing starts only once the whole answer stands: an answer built while an
 * allocation failed may lack items (cJSON drops what it could not allocate),
 * and a half-printed one must not reach out. */
int sched_explain_print(SimMem *m, int rc, const cJSON *answer, int as_json, FILE *out,
                        void (*text)(const cJSON *, FILE *))
{
    if (rc != SIM_OK)
        return rc;
    if (answer == NULL || m->oom)
        return SIM_ENOMEM;
    if (!as_json) {
        text(answer, out);
        return SIM_OK;
    }
    char *s = cJSON_Print(answer);
    if (s == NULL)
        return SIM_ENOMEM;
    fprintf(out, "%s\n", s);
    cJSON_free(s);
    return SIM_OK;
}

/* SQLite's rule: once an allocation failed, the operation's error is out of
 * memory, whatever the code that noticed it called it (a parse of a short
 * text, a refused object). */
int sched_explain_oom(const SimMem *m, int rc, const char *file, SimErr *err)
{
    if (rc == SIM_OK || (!m->oom && rc != SIM_ENOMEM))
        return rc;
    return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", file);
}
