/*
 * replay.c: loading a trace for `kubesim replay`. One pass over trace.kst
 * fills the static tables (what a record names once: regions, groups, nodes,
 * pods and their requests, services, HPAs, queues) and the array of ops
 * (rnd_int.h). Invariant: every id an op carries was declared by an earlier
 * record, so applying ops never indexes out of a table; a trace that breaks
 * this is refused with SIM_EINVAL, not replayed wrong.
 */
#include "render/rnd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "render/rnd_int.h"
#include "sim/json.h"
#include "sim/trace.h"

#define NONE UINT32_MAX

/* The controllers' record kinds the replay draws, looked up by name in the
 * caller's schema (0: not in it, so no record has it). */
typedef struct Kinds {
    int traffic, hpa, queue, queue_submit, queue_take, queue_requeue;
} Kinds;

typedef struct Loader {
    RndReplay *r;
    SimTraceReader *tr;
    const SimTrSchema *schema;
    Kinds k;
    SimErr *err;
    int rc;
} Loader;

static int fail(Loader *l, int rc, const char *fmt, ...)
{
    char why[SIM_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    sim_err_set(l->err, rc, "%s: %s", l->r->path, why);
    l->rc = rc;
    return rc;
}

/* Grows *pp (of *cap elements) so index i exists; new slots zeroed. */
static int grow_to(RndReplay *r, void **pp, size_t *n, size_t *cap, size_t i, size_t sz)
{
    if (i < *n)
        return SIM_OK;
    size_t old = *cap;
    if (sim_mem_grow(r->mem, pp, cap, i + 1, sz))
        return SIM_ENOMEM;
    memset((char *)*pp + old * sz, 0, (*cap - old) * sz);
    *n = i + 1;
    return SIM_OK;
}

static int op(Loader *l, SimTime t, RndOpKind kind, uint32_t a, int64_t b)
{
    RndReplay *r = l->r;
    if (sim_mem_grow(r->mem, (void **)&r->ops, &r->capops, r->nops + 1, sizeof *r->ops))
        return fail(l, SIM_ENOMEM, "out of memory");
    r->ops[r->nops++] = (RndOp){.t = t, .kind = (uint32_t)kind, .a = a, .b = b};
    return SIM_OK;
}

/* An id from field k that must be below n. */
static int id_in(Loader *l, const SimTraceRec *rec, size_t k, size_t n, const char *what, uint32_t *out)
{
    int64_t v = rec->v[k].i;
    if (v < 0 || (uint64_t)v >= n)
        return fail(l, SIM_EINVAL, "a %s record names %s %lld, which no earlier record declared",
                    sim_trschema_get(l->schema, rec->kind)->name, what, (long long)v);
    *out = (uint32_t)v;
    return SIM_OK;
}

static int named(Loader *l, char ***v, size_t *n, size_t *cap, int64_t id, const char *name)
{
    if (id < 0 || id > 1000000)
        return fail(l, SIM_EINVAL, "an object id %lld is out of range", (long long)id);
    if (grow_to(l->r, (void **)v, n, cap, (size_t)id, sizeof **v))
        return fail(l, SIM_ENOMEM, "out of memory");
    sim_mem_strfree(l->r->mem, (*v)[id]);
    (*v)[id] = sim_mem_strdup(l->r->mem, name);
    return (*v)[id] ? SIM_OK : fail(l, SIM_ENOMEM, "out of memory");
}

/* group region name cpu_m mem_bytes gpu max_pods price_micro min max */
static int on_group(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t region = 0;
    int64_t id = rec->v[0].i;
    if (id < 0 || id > 100000 || id_in(l, rec, 1, r->nregions, "region", &region))
        return l->rc ? l->rc : fail(l, SIM_EINVAL, "a node group id %lld is out of range", (long long)id);
    if (grow_to(r, (void **)&r->groups, &r->ngroups, &r->capgroups, (size_t)id, sizeof *r->groups))
        return fail(l, SIM_ENOMEM, "out of memory");
    RndRGroup *g = &r->groups[id];
    sim_mem_strfree(r->mem, g->name);
    g->name = sim_mem_strdup(r->mem, rec->v[2].s);
    g->region = region;
    g->cpu_m = rec->v[3].i;
    g->mem = rec->v[4].i;
    g->gpu = rec->v[5].i;
    g->usd_per_ns = (double)rec->v[7].i * 1e-6 / 3600e9;
    return g->name ? SIM_OK : fail(l, SIM_ENOMEM, "out of memory");
}

/* node group zone name */
static int on_node_add(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t group = 0;
    if (id_in(l, rec, 1, r->ngroups, "node group", &group))
        return l->rc;
    int64_t id = rec->v[0].i;
    if (id != (int64_t)r->nnodes)
        return fail(l, SIM_EINVAL, "node ids must be added in order; got %lld after %zu", (long long)id,
                    r->nnodes);
    size_t n1 = r->nnodes, n2 = r->nnodes;
    if (grow_to(r, (void **)&r->node_names, &n1, &r->capnodes, (size_t)id, sizeof *r->node_names) ||
        grow_to(r, (void **)&r->node_group, &n2, &r->capng, (size_t)id, sizeof *r->node_group))
        return fail(l, SIM_ENOMEM, "out of memory");
    RndRGroup *g = &r->groups[group];
    if (sim_mem_grow(r->mem, (void **)&g->nodes, &g->capnodes, g->nnodes + 1, sizeof *g->nodes))
        return fail(l, SIM_ENOMEM, "out of memory");
    g->nodes[g->nnodes++] = (uint32_t)id;
    r->node_group[id] = group;
    r->node_names[id] = sim_mem_strdup(r->mem, rec->v[3].s);
    r->nnodes = n1;
    if (r->node_names[id] == NULL)
        return fail(l, SIM_ENOMEM, "out of memory");
    return op(l, rec->t, RND_OP_NODE_ADD, (uint32_t)id, 0);
}

/* pod wl ns region cpu_m mem_bytes gpu name */
static int on_pod_create(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t region = 0;
    int64_t id = rec->v[0].i;
    if (id_in(l, rec, 3, r->nregions, "region", &region))
        return l->rc;
    /* The engine numbers pods in creation order and never reuses a number,
     * so anything else is a damaged trace (and a huge id must not size an
     * array, nor a repeated one change a bound pod's requests). */
    if (id != (int64_t)r->npods)
        return fail(l, SIM_EINVAL, "pod ids must be created in order; got %lld after %zu", (long long)id,
                    r->npods);
    if (grow_to(r, (void **)&r->pods, &r->npods, &r->cappods, (size_t)id, sizeof *r->pods))
        return fail(l, SIM_ENOMEM, "out of memory");
    r->pods[id] = (RndRPod){.cpu_m = rec->v[4].i, .mem = rec->v[5].i, .gpu = rec->v[6].i,
                            .region = region, .node = NONE, .phase = 0};
    return SIM_OK;
}

static int pod_of(Loader *l, const SimTraceRec *rec, RndRPod **p, uint32_t *id)
{
    if (id_in(l, rec, 0, l->r->npods, "pod", id))
        return l->rc;
    *p = &l->r->pods[*id];
    return SIM_OK;
}

static int on_unschedulable(Loader *l, const SimTraceRec *rec)
{
    RndRPod *p = NULL;
    uint32_t id = 0;
    if (pod_of(l, rec, &p, &id))
        return l->rc;
    if (p->phase != 0)
        return SIM_OK;
    p->phase = 1;
    return op(l, rec->t, RND_OP_PENDING, p->region, 1);
}

static int on_bind(Loader *l, const SimTraceRec *rec)
{
    RndRPod *p = NULL;
    uint32_t id = 0, node = 0;
    if (pod_of(l, rec, &p, &id) || id_in(l, rec, 1, l->r->nnodes, "node", &node))
        return l->rc;
    if (p->phase == 1 && op(l, rec->t, RND_OP_PENDING, p->region, -1))
        return l->rc;
    p->phase = 2;
    p->node = node;
    return op(l, rec->t, RND_OP_POD_BIND, id, node);
}

/* pod_end and pod_delete: the first one after a bind frees the requests (the
 * engine unlinks the pod from its node there); a delete of a pending pod ends
 * its pending time. */
static int on_pod_over(Loader *l, const SimTraceRec *rec)
{
    RndRPod *p = NULL;
    uint32_t id = 0;
    if (pod_of(l, rec, &p, &id))
        return l->rc;
    uint8_t was = p->phase;
    p->phase = 3;
    if (was == 2)   /* the op names the node, as the bind's does: ops stand alone */
        return op(l, rec->t, RND_OP_POD_FREE, id, p->node);
    if (was == 1)
        return op(l, rec->t, RND_OP_PENDING, p->region, -1);
    return SIM_OK;
}

static int node_op(Loader *l, const SimTraceRec *rec, RndOpKind kind)
{
    uint32_t node = 0;
    if (id_in(l, rec, 0, l->r->nnodes, "node", &node))
        return l->rc;
    return op(l, rec->t, kind, node, rec->n > 1 ? rec->v[1].i : 0);
}

/* Services and HPAs are named by string; there are few, so a linear search. */
static int intern(Loader *l, RndNamed **v, size_t *n, size_t *cap, const char *name, uint32_t region,
                  uint32_t *out)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].region == region && strcmp((*v)[i].name, name) == 0) {
            *out = (uint32_t)i;
            return SIM_OK;
        }
    if (sim_mem_grow(l->r->mem, (void **)v, cap, *n + 1, sizeof **v))
        return fail(l, SIM_ENOMEM, "out of memory");
    (*v)[*n] = (RndNamed){.name = sim_mem_strdup(l->r->mem, name), .region = region};
    if ((*v)[*n].name == NULL)
        return fail(l, SIM_ENOMEM, "out of memory");
    *out = (uint32_t)(*n)++;
    return SIM_OK;
}

/* service region rps_milli p95_us errors_ppm backlog */
static int on_traffic(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t region = 0, svc = 0;
    if (id_in(l, rec, 1, r->nregions, "region", &region) ||
        intern(l, &r->svcs, &r->nsvcs, &r->capsvcs, rec->v[0].s, region, &svc))
        return l->rc;
    return op(l, rec->t, RND_OP_TRAFFIC, svc, rec->v[3].i);
}

/* hpa wl current desired limited_by */
static int on_hpa(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t wl = 0, h = 0;
    if (id_in(l, rec, 1, r->nwls, "workload", &wl) ||
        intern(l, &r->hpas, &r->nhpas, &r->caphpas, rec->v[0].s, r->wl_region[wl], &h))
        return l->rc;
    if (!r->hpas[h].seeded) {   /* the first record's current: the replicas since the start */
        r->hpas[h].init = rec->v[2].i;
        r->hpas[h].seeded = 1;
    }
    return op(l, rec->t, RND_OP_HPA, h, rec->v[3].i);
}

static int on_workload(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t region = 0;
    int64_t id = rec->v[0].i;
    if (id_in(l, rec, 1, r->nregions, "region", &region))
        return l->rc;
    if (id != (int64_t)r->nwls)   /* in creation order, as pods */
        return fail(l, SIM_EINVAL, "workload ids must be created in order; got %lld after %zu", (long long)id,
                    r->nwls);
    if (grow_to(r, (void **)&r->wl_region, &r->nwls, &r->capwls, (size_t)id, sizeof *r->wl_region))
        return fail(l, SIM_ENOMEM, "out of memory");
    r->wl_region[id] = region;
    return SIM_OK;
}

static int on_queue(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    uint32_t region = 0;
    int64_t id = rec->v[0].i;
    if (id_in(l, rec, 1, r->nregions, "region", &region))
        return l->rc;
    if (id < 0 || id > 100000)
        return fail(l, SIM_EINVAL, "queue id %lld is out of range", (long long)id);
    if (grow_to(r, (void **)&r->queue_region, &r->nqueues, &r->capqueues, (size_t)id, sizeof *r->queue_region))
        return fail(l, SIM_ENOMEM, "out of memory");
    r->queue_region[id] = region;
    return SIM_OK;
}

/* Backlog: submissions add their count, a take removes one, a requeue puts
 * one back; done and fail follow a take, so they leave it. */
static int on_queue_move(Loader *l, const SimTraceRec *rec, int64_t delta)
{
    uint32_t q = 0;
    if (id_in(l, rec, 0, l->r->nqueues, "queue", &q))
        return l->rc;
    return op(l, rec->t, RND_OP_QUEUE, l->r->queue_region[q], delta);
}

static void find_kinds(Loader *l)
{
    l->k.traffic = sim_trschema_find(l->schema, "traffic");
    l->k.hpa = sim_trschema_find(l->schema, "hpa");
    l->k.queue = sim_trschema_find(l->schema, "queue");
    l->k.queue_submit = sim_trschema_find(l->schema, "queue_submit");
    l->k.queue_take = sim_trschema_find(l->schema, "queue_take");
    l->k.queue_requeue = sim_trschema_find(l->schema, "queue_requeue");
}

static int on_controller_record(Loader *l, const SimTraceRec *rec)
{
    const Kinds *k = &l->k;
    if (rec->kind == k->traffic)
        return on_traffic(l, rec);
    if (rec->kind == k->hpa)
        return on_hpa(l, rec);
    if (rec->kind == k->queue)
        return on_queue(l, rec);
    if (rec->kind == k->queue_submit)
        return on_queue_move(l, rec, rec->v[2].i);
    if (rec->kind == k->queue_take)
        return on_queue_move(l, rec, -1);
    if (rec->kind == k->queue_requeue)
        return on_queue_move(l, rec, 1);
    return SIM_OK;   /* the rest changes nothing the replay draws */
}

static int on_record(Loader *l, const SimTraceRec *rec)
{
    RndReplay *r = l->r;
    switch (rec->kind) {
    case SIM_TR_REGION: return named(l, &r->regions, &r->nregions, &r->capregions, rec->v[0].i, rec->v[1].s);
    case SIM_TR_NODEGROUP: return on_group(l, rec);
    case SIM_TR_WORKLOAD: return on_workload(l, rec);
    case SIM_TR_NODE_ADD: return on_node_add(l, rec);
    case SIM_TR_NODE_READY: return node_op(l, rec, RND_OP_NODE_READY);
    case SIM_TR_NODE_REMOVE: return node_op(l, rec, RND_OP_NODE_REMOVE);
    case SIM_TR_NODE_STATE: return node_op(l, rec, RND_OP_NODE_STATE);
    case SIM_TR_NODE_CORDON: return node_op(l, rec, RND_OP_NODE_CORDON);
    case SIM_TR_POD_CREATE: return on_pod_create(l, rec);
    case SIM_TR_POD_UNSCHEDULABLE: return on_unschedulable(l, rec);
    case SIM_TR_POD_BIND: return on_bind(l, rec);
    case SIM_TR_POD_END:
    case SIM_TR_POD_DELETE: return on_pod_over(l, rec);
    default: return on_controller_record(l, rec);
    }
}

/* scenario and duration_ns from the header's JSON; a trace without them
 * still plays (the duration becomes the last record's time). */
static int read_meta(Loader *l)
{
    RndReplay *r = l->r;
    r->meta = sim_mem_strdup(r->mem, sim_trace_meta(l->tr));
    SimJsonScope js;
    sim_json_begin(&js, r->mem);
    cJSON *j = cJSON_Parse(sim_trace_meta(l->tr));
    int oom = sim_json_end(&js) != SIM_OK;   /* not "a header without them": out of memory */
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scenario");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "duration_ns");
    r->scenario = sim_mem_strdup(r->mem, cJSON_IsString(sc) ? sc->valuestring : "");
    if (cJSON_IsNumber(d) && d->valuedouble > 0)
        r->duration = (SimTime)d->valuedouble;
    rnd_clock_read(&r->clock, j);
    cJSON_Delete(j);
    return r->meta && r->scenario && !oom ? SIM_OK : fail(l, SIM_ENOMEM, "out of memory");
}

static int load(Loader *l)
{
    SimTraceRec rec;
    int rc;
    if (read_meta(l))
        return l->rc;
    while ((rc = sim_trace_next(l->tr, &rec)) == SIM_OK) {
        if (on_record(l, &rec))
            return l->rc;
        if (rec.t > l->r->duration)
            l->r->duration = rec.t;
    }
    if (rc != SIM_DONE)
        return fail(l, rc, "%s", sim_trace_error(l->tr));
    return SIM_OK;
}

int rnd_replay_open(SimMem *m, const SimTrSchema *schema, const char *path, RndReplay **out, SimErr *err)
{
    *out = NULL;
    RndReplay *r = sim_mem_calloc(m, 1, sizeof *r);
    if (r == NULL || (r->mem = m, r->path = sim_mem_strdup(m, path)) == NULL) {
        sim_mem_free(m, r, sizeof *r);
        return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", path);
    }
    Loader l = {.r = r, .schema = schema, .err = err, .rc = SIM_OK};
    find_kinds(&l);
    l.tr = sim_trace_open(m, schema, path, err);
    if (l.tr == NULL) {
        rnd_replay_close(r);
        return SIM_EIO;
    }
    int rc = load(&l);
    sim_trace_close_reader(l.tr);
    if (rc == SIM_OK && rnd_replay_index(r) != SIM_OK)
        rc = fail(&l, SIM_ENOMEM, "out of memory indexing the trace");
    if (rc != SIM_OK) {
        rnd_replay_close(r);
        return rc;
    }
    *out = r;
    return SIM_OK;
}

static void free_strs(SimMem *m, char **v, size_t n, size_t cap)
{
    for (size_t i = 0; i < n; i++)
        sim_mem_strfree(m, v[i]);
    sim_mem_free(m, v, cap * sizeof *v);
}

static void free_named(SimMem *m, RndNamed *v, size_t n, size_t cap)
{
    for (size_t i = 0; i < n; i++)
        sim_mem_strfree(m, v[i].name);
    sim_mem_free(m, v, cap * sizeof *v);
}

static void free_index(RndReplay *r)
{
    for (size_t i = 0; i < r->nkeys; i++)
        rnd_state_free(r, &r->keys[i]);
    sim_mem_free(r->mem, r->keys, r->nkeys * sizeof *r->keys);
    rnd_state_free(r, &r->cur);
    size_t nser = (size_t)RND_SER_COUNT * r->nregions * RND_SERIES_N + 1;   /* as rnd_replay_index */
    sim_mem_free(r->mem, r->series, nser * sizeof *r->series);
    sim_mem_free(r->mem, r->svc_series, (r->nsvcs * RND_SERIES_N + 1) * sizeof *r->svc_series);
}

void rnd_replay_close(RndReplay *r)
{
    if (r == NULL)
        return;
    SimMem *m = r->mem;
    free_index(r);
    for (size_t i = 0; i < r->ngroups; i++) {
        sim_mem_strfree(m, r->groups[i].name);
        sim_mem_free(m, r->groups[i].nodes, r->groups[i].capnodes * sizeof *r->groups[i].nodes);
    }
    sim_mem_free(m, r->groups, r->capgroups * sizeof *r->groups);
    free_strs(m, r->regions, r->nregions, r->capregions);
    free_strs(m, r->node_names, r->nnodes, r->capnodes);
    sim_mem_free(m, r->node_group, r->capng * sizeof *r->node_group);
    sim_mem_free(m, r->pods, r->cappods * sizeof *r->pods);
    free_named(m, r->svcs, r->nsvcs, r->capsvcs);
    free_named(m, r->hpas, r->nhpas, r->caphpas);
    sim_mem_free(m, r->wl_region, r->capwls * sizeof *r->wl_region);
    sim_mem_free(m, r->queue_region, r->capqueues * sizeof *r->queue_region);
    sim_mem_free(m, r->ops, r->capops * sizeof *r->ops);
    sim_mem_strfree(m, r->meta);
    sim_mem_strfree(m, r->scenario);
    sim_mem_strfree(m, r->path);
    sim_mem_free(m, r, sizeof *r);
}

SimTime rnd_replay_duration(const RndReplay *r)
{
    return r->duration;
}

