/*
 * objects.c: creating, finding and freeing the model's objects. Ids are array
 * indices and are never reused, so the trace can name an object by id forever;
 * pod records are paged and recycled once dead (sim_int.h, SimPodStore).
 */
#include "sim/sim_int.h"

#include <stdio.h>
#include <string.h>

#define FIND_BY_NAME(vec, nm)                          \
    do {                                               \
        for (size_t i_ = 0; i_ < (vec).n; i_++)        \
            if (strcmp((vec).v[i_].name, (nm)) == 0)   \
                return (uint32_t)i_;                   \
        return SIM_NONE;                               \
    } while (0)

uint32_t sim_region_find(const SimEngine *e, const char *name) { FIND_BY_NAME(e->regions, name); }
uint32_t sim_zone_find(const SimEngine *e, const char *name) { FIND_BY_NAME(e->zones, name); }
uint32_t sim_namespace_find(const SimEngine *e, const char *name) { FIND_BY_NAME(e->namespaces, name); }
uint32_t sim_nodegroup_find(const SimEngine *e, const char *name) { return sim_nameidx_get(&e->group_names, 0, name); }
uint32_t sim_workload_find(const SimEngine *e, const char *name) { return sim_nameidx_get(&e->workload_bare, 0, name); }

uint32_t sim_workload_lookup(const SimEngine *e, SimWlKind kind, uint32_t ns, const char *name)
{
    return sim_nameidx_get(&e->workload_names, SIM_WL_SCOPE(ns, kind), name);
}

/* The workload named name in namespace ns, of kind (or any kind). */
static uint32_t match_in(const SimEngine *e, uint32_t ns, const char *name, int kind)
{
    if (kind != SIM_WL_KIND_COUNT)
        return sim_workload_lookup(e, (SimWlKind)kind, ns, name);
    uint32_t found = SIM_NONE;
    for (int k = 0; k < SIM_WL_KIND_COUNT; k++) {
        uint32_t id = sim_workload_lookup(e, (SimWlKind)k, ns, name);
        if (id != SIM_NONE && found != SIM_NONE)
            return SIM_AMBIGUOUS;
        found = id != SIM_NONE ? id : found;
    }
    return found;
}

static uint32_t match_any_ns(const SimEngine *e, const char *name, int kind)
{
    uint32_t found = SIM_NONE;
    for (uint32_t ns = 0; ns < e->namespaces.n; ns++) {
        uint32_t id = match_in(e, ns, name, kind);
        if (id == SIM_AMBIGUOUS || (id != SIM_NONE && found != SIM_NONE))
            return SIM_AMBIGUOUS;
        found = id != SIM_NONE ? id : found;
    }
    return found;
}

uint32_t sim_workload_resolve(const SimEngine *e, const char *ref, int kind, uint32_t ns_ctx)
{
    const char *slash = strchr(ref, '/');
    if (slash) {
        char ns[64];
        size_t n = (size_t)(slash - ref);
        if (n >= sizeof ns)
            return SIM_NONE;
        memcpy(ns, ref, n);
        ns[n] = '\0';
        uint32_t id = sim_namespace_find(e, ns);
        return id == SIM_NONE ? SIM_NONE : match_in(e, id, slash + 1, kind);
    }
    uint32_t id = sim_workload_find(e, ref);
    if (id == SIM_NONE)
        return SIM_NONE;
    if (id != SIM_AMBIGUOUS)
        return kind == SIM_WL_KIND_COUNT || e->workloads.v[id].kind == (SimWlKind)kind ? id : SIM_NONE;
    if (ns_ctx != SIM_NONE && (id = match_in(e, ns_ctx, ref, kind)) != SIM_NONE)
        return id;
    return match_any_ns(e, ref, kind);
}

void sim_workload_label(const SimEngine *e, uint32_t id, char *buf, size_t n)
{
    const SimWorkload *w = sim_workload(e, id);
    if (sim_workload_find(e, w->name) == SIM_AMBIGUOUS && w->ns < e->namespaces.n)
        snprintf(buf, n, "%s/%s", e->namespaces.v[w->ns].name, w->name);
    else
        snprintf(buf, n, "%s", w->name);
}

uint32_t sim_region_count(const SimEngine *e) { return (uint32_t)e->regions.n; }
uint32_t sim_zone_count(const SimEngine *e) { return (uint32_t)e->zones.n; }
uint32_t sim_namespace_count(const SimEngine *e) { return (uint32_t)e->namespaces.n; }
uint32_t sim_nodegroup_count(const SimEngine *e) { return (uint32_t)e->groups.n; }
uint32_t sim_workload_count(const SimEngine *e) { return (uint32_t)e->workloads.n; }
uint32_t sim_node_count(const SimEngine *e) { return (uint32_t)e->nodes.n; }
uint32_t sim_pod_count(const SimEngine *e) { return (uint32_t)e->pods.n; }

#define ACCESSOR(T, fn, vec)                      \
    const T *fn(const SimEngine *e, uint32_t id)  \
    {                                             \
        SIM_ASSERT(id < e->vec.n);                \
        return &e->vec.v[id];                     \
    }
SIM_OBJECT_KINDS(ACCESSOR)

/* What a recycled pod record reads as. */
static const SimPod dead_pod = {
    .wl = SIM_NONE, .ns = SIM_NONE, .region = SIM_NONE, .ordinal = SIM_NONE, .node = SIM_NONE,
    .gen = SIM_POD_DEAD_GEN, .node_prev = SIM_NONE, .node_next = SIM_NONE, .phase = SIM_POD_DELETED,
    .target_node = SIM_NONE, .nominated_node = SIM_NONE, .created_at = -1, .bound_at = -1,
    .started_at = -1, .ended_at = -1, .unready_at = -1, .completion_index = -1, .zone_pin = SIM_NONE, .rs = SIM_NONE,
};

const SimPod *sim_pod(const SimEngine *e, uint32_t id)
{
    SIM_ASSERT(id < e->pods.n);
    const SimPod *pg = e->pods.page[id >> e->pods.shift];
    return pg ? &pg[id & ((1u << e->pods.shift) - 1)] : &dead_pod;
}

static size_t page_bytes(const SimPodStore *s)
{
    return ((size_t)1 << s->shift) * sizeof(SimPod);
}

size_t sim_pod_bytes(const SimEngine *e) { return e->pods.pages_now * page_bytes(&e->pods); }
size_t sim_pod_bytes_peak(const SimEngine *e) { return e->pods.pages_peak * page_bytes(&e->pods); }

uint32_t sim_pods_push(SimEngine *e)
{
    SimPodStore *s = &e->pods;
    if (s->n >= SIM_NONE - 1)
        return SIM_NONE;
    size_t k = s->n >> s->shift;
    if (k == s->npages) {   /* a new page */
        if (sim_mem_grow(e->mem, (void **)&s->page, &s->cappages, k + 1, sizeof *s->page) != SIM_OK ||
            sim_mem_grow(e->mem, (void **)&s->live, &s->caplive, k + 1, sizeof *s->live) != SIM_OK)
            return SIM_NONE;
        SimPod *pg = s->spare ? s->spare : sim_mem_alloc(e->mem, page_bytes(s));
        if (pg == NULL)
            return SIM_NONE;
        s->spare = NULL;
        s->page[k] = pg;
        s->live[k] = 0;
        s->npages = k + 1;
        if (++s->pages_now > s->pages_peak)
            s->pages_peak = s->pages_now;
    }
    uint32_t id = (uint32_t)s->n++;
    s->live[k]++;
    SimPod *p = &s->page[k][id & ((1u << s->shift) - 1)];
    memset(p, 0, sizeof *p);
    return id;
}

void sim_pods_release(SimEngine *e, uint32_t pod)
{
    SimPodStore *s = &e->pods;
    size_t k = pod >> s->shift;
    SIM_ASSERT(pod < s->n && s->page[k] != NULL && s->live[k] > 0);
    if (--s->live[k] > 0 || ((k + 1) << s->shift) > s->n)
        return;   /* a live record left, or ids of the page still to hand out */
    if (sim_mem_grow(e->mem, (void **)&s->reap, &s->capreap, s->nreap + 1, sizeof *s->reap) == SIM_OK)
        s->reap[s->nreap++] = (uint32_t)k;   /* else the page stays held: only memory is lost */
}

void sim_pods_reap(SimEngine *e)
{
    SimPodStore *s = &e->pods;
    for (size_t i = 0; i < s->nreap; i++) {
        uint32_t k = s->reap[i];
        for (size_t j = 0; j < ((size_t)1 << s->shift); j++)
            s->bound_recycled += s->page[k][j].bound_at >= 0;
        if (s->spare == NULL)
            s->spare = s->page[k];
        else
            sim_mem_free(e->mem, s->page[k], page_bytes(s));
        s->page[k] = NULL;
        s->pages_now--;
    }
    s->nreap = 0;
}

static int oom(SimEngine *e)
{
    return sim_fail(e, SIM_ENOMEM, "out of memory");
}

static int dup_name(SimEngine *e, const char *what, const char *name)
{
    return sim_fail(e, SIM_EINVAL, "duplicate %s name '%s'", what, name);
}

int sim_region_add(SimEngine *e, const char *name, uint32_t *id)
{
    if (sim_region_find(e, name) != SIM_NONE)
        return dup_name(e, "region", name);
    char *nm = sim_mem_strdup(e->mem, name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->regions) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return oom(e);
    }
    e->regions.v[i].name = nm;
    *id = i;
    sim_trace_rec(e, SIM_TR_REGION, (SimTrVal[]){SIM_TRI(i), SIM_TRS(name)}, 2);
    return SIM_OK;
}

int sim_zone_add(SimEngine *e, uint32_t region, const char *name, uint32_t *id)
{
    if (sim_zone_find(e, name) != SIM_NONE)
        return dup_name(e, "zone", name);
    char *nm = sim_mem_strdup(e->mem, name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->zones) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return oom(e);
    }
    e->zones.v[i].name = nm;
    e->zones.v[i].region = region;
    *id = i;
    sim_trace_rec(e, SIM_TR_ZONE, (SimTrVal[]){SIM_TRI(i), SIM_TRI(region), SIM_TRS(name)}, 3);
    return SIM_OK;
}

int sim_namespace_add(SimEngine *e, const char *name, uint32_t *id)
{
    if (sim_namespace_find(e, name) != SIM_NONE)
        return dup_name(e, "namespace", name);
    char *nm = sim_mem_strdup(e->mem, name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->namespaces) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return oom(e);
    }
    e->namespaces.v[i].name = nm;
    *id = i;
    sim_trace_rec(e, SIM_TR_NAMESPACE, (SimTrVal[]){SIM_TRI(i), SIM_TRS(name)}, 2);
    return SIM_OK;
}

static void kv_free(SimMem *m, SimKV *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        sim_mem_strfree(m, kv[i].key);
        sim_mem_strfree(m, kv[i].value);
    }
    sim_mem_free(m, kv, n * sizeof *kv);
}

static void taints_free(SimMem *m, SimTaint *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        sim_mem_strfree(m, t[i].key);
        sim_mem_strfree(m, t[i].value);
    }
    sim_mem_free(m, t, n * sizeof *t);
}

static void group_free(SimMem *m, SimNodeGroup *g)
{
    sim_mem_strfree(m, g->name);
    sim_mem_strfree(m, g->instance_type);
    kv_free(m, g->labels, g->nlabels);
    taints_free(m, g->taints, g->ntaints);
    sim_mem_free(m, g->zones, g->nzones * sizeof *g->zones);
}

static int copy_labels(SimMem *m, SimNodeGroup *d, const SimNodeGroup *s)
{
    if (s->nlabels == 0)
        return 1;
    if ((d->labels = sim_mem_calloc(m, s->nlabels, sizeof *d->labels)) == NULL)
        return 0;
    d->nlabels = s->nlabels;   /* zeroed pairs are safe to free */
    for (size_t i = 0; i < s->nlabels; i++)
        if ((d->labels[i].key = sim_mem_strdup(m, s->labels[i].key)) == NULL ||
            (d->labels[i].value = sim_mem_strdup(m, s->labels[i].value)) == NULL)
            return 0;
    return 1;
}

static int copy_taints(SimMem *m, SimNodeGroup *d, const SimNodeGroup *s)
{
    if (s->ntaints == 0)
        return 1;
    if ((d->taints = sim_mem_calloc(m, s->ntaints, sizeof *d->taints)) == NULL)
        return 0;
    d->ntaints = s->ntaints;
    for (size_t i = 0; i < s->ntaints; i++) {
        d->taints[i].effect = s->taints[i].effect;
        if ((d->taints[i].key = sim_mem_strdup(m, s->taints[i].key)) == NULL ||
            (d->taints[i].value = sim_mem_strdup(m, s->taints[i].value ? s->taints[i].value : "")) == NULL)
            return 0;
    }
    return 1;
}

static int copy_zones(SimMem *m, SimNodeGroup *d, const SimNodeGroup *s)
{
    if (s->nzones == 0)
        return 1;
    if ((d->zones = sim_mem_alloc(m, s->nzones * sizeof *d->zones)) == NULL)
        return 0;
    memcpy(d->zones, s->zones, s->nzones * sizeof *d->zones);
    d->nzones = s->nzones;
    return 1;
}

/* Deep copy of a group; on failure everything copied so far is freed. */
static int group_copy(SimMem *m, SimNodeGroup *d, const SimNodeGroup *s)
{
    *d = *s;
    d->name = d->instance_type = NULL;
    d->labels = NULL;
    d->taints = NULL;
    d->zones = NULL;
    d->nlabels = d->ntaints = d->nzones = 0;
    int ok = (d->name = sim_mem_strdup(m, s->name)) != NULL &&
             (d->instance_type = sim_mem_strdup(m, s->instance_type ? s->instance_type : s->name)) != NULL &&
             copy_labels(m, d, s) && copy_taints(m, d, s) && copy_zones(m, d, s);
    if (!ok)
        group_free(m, d);
    return ok ? SIM_OK : SIM_ENOMEM;
}

int sim_nodegroup_add(SimEngine *e, const SimNodeGroup *g, uint32_t *id)
{
    if (sim_nodegroup_find(e, g->name) != SIM_NONE)
        return dup_name(e, "node group", g->name);
    SimNodeGroup copy;
    if (group_copy(e->mem, &copy, g) != SIM_OK)
        return oom(e);
    uint32_t i = SIM_VEC_PUSH(e, e->groups);
    if (i == SIM_NONE || sim_nameidx_put(e->mem, &e->group_names, 0, copy.name, i) != SIM_OK) {
        if (i != SIM_NONE)
            e->groups.n--;
        group_free(e->mem, &copy);
        return oom(e);
    }
    copy.live_nodes = 0;
    copy.next_ordinal = 0;
    e->groups.v[i] = copy;
    *id = i;
    SimTrVal v[] = {SIM_TRI(i), SIM_TRI(g->region), SIM_TRS(g->name), SIM_TRI(g->alloc.cpu_m),
                    SIM_TRI(g->alloc.mem), SIM_TRI(g->alloc.gpu), SIM_TRI(g->alloc.pods),
                    SIM_TRI((int64_t)(g->price_per_hour * 1e6 + 0.5)), SIM_TRI(g->min), SIM_TRI(g->max)};
    sim_trace_rec(e, SIM_TR_NODEGROUP, v, 10);
    return SIM_OK;
}

/* Adds workload i, named nm, to both name indexes; on failure neither holds it. */
static int index_workload(SimEngine *e, const SimWorkload *w, char *nm, uint32_t i)
{
    if (sim_nameidx_reserve(e->mem, &e->workload_bare, 1) != SIM_OK ||
        sim_nameidx_reserve(e->mem, &e->workload_names, 1) != SIM_OK)
        return SIM_ENOMEM;
    uint32_t other = sim_nameidx_get(&e->workload_bare, 0, nm);
    if (other == SIM_NONE)
        (void)sim_nameidx_put(e->mem, &e->workload_bare, 0, nm, i);   /* reserved: cannot fail */
    else
        sim_nameidx_set(&e->workload_bare, 0, nm, SIM_AMBIGUOUS);
    (void)sim_nameidx_put(e->mem, &e->workload_names, SIM_WL_SCOPE(w->ns, w->kind), nm, i);
    return SIM_OK;
}

int sim_workload_add(SimEngine *e, const SimWorkload *w, uint32_t *id)
{
    if (sim_workload_lookup(e, w->kind, w->ns, w->name) != SIM_NONE)
        return dup_name(e, "workload", w->name);
    if (sim_pdb_workload_reserve(e, w) != SIM_OK)
        return SIM_ENOMEM;
    char *nm = sim_mem_strdup(e->mem, w->name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->workloads) : SIM_NONE;
    if (i == SIM_NONE || index_workload(e, w, nm, i) != SIM_OK) {
        if (i != SIM_NONE)
            e->workloads.n--;
        sim_mem_strfree(e->mem, nm);
        return oom(e);
    }
    SimWorkload *d = &e->workloads.v[i];
    *d = *w;
    d->name = nm;
    d->active = d->ready = d->succeeded = d->failed = d->live_pods = 0;
    sim_pdb_workload_added(e, i);
    d->finished = 0;
    d->next_ordinal = 0;
    d->reconcile_queued = 0;
    *id = i;
    SimTrVal v[] = {SIM_TRI(i), SIM_TRI(w->region), SIM_TRI(w->ns), SIM_TRI(w->kind),
                    SIM_TRS(w->name), SIM_TRI(w->replicas)};
    sim_trace_rec(e, SIM_TR_WORKLOAD, v, 6);
    return SIM_OK;
}

void sim_node_name(const SimEngine *e, uint32_t node, char *buf, size_t n)
{
    snprintf(buf, n, "%s", sim_node(e, node)->name);
}

void sim_pod_name(const SimEngine *e, uint32_t pod, char *buf, size_t n)
{
    const SimPod *p = sim_pod(e, pod);
    if (p->wl == SIM_NONE) {   /* recycled: the name went with the record (the trace has it) */
        snprintf(buf, n, "pod#%u", pod);
        return;
    }
    /* snprintf(buf, n, "%s-%u", name, ordinal) without the format parser:
     * every pod created formats its name for the trace (1.5 % of a day). */
    if (n == 0)
        return;
    const char *name = e->workloads.v[p->wl].name;
    char digits[10];
    size_t nd = 0, len = strlen(name);
    uint32_t x = p->ordinal;
    do {
        digits[nd++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    size_t k = len < n - 1 ? len : n - 1;
    memcpy(buf, name, k);
    if (k < n - 1)
        buf[k++] = '-';
    while (nd > 0 && k < n - 1)
        buf[k++] = digits[--nd];
    buf[k] = '\0';
}

void sim_objects_free(SimEngine *e)
{
    SimMem *m = e->mem;
    sim_policy_free(e);
    for (size_t i = 0; i < e->regions.n; i++) {
        sim_mem_strfree(m, e->regions.v[i].name);
        sim_mem_free(m, e->regions.v[i].nodes, e->regions.v[i].capnodes * sizeof(uint32_t));
    }
    for (size_t i = 0; i < e->zones.n; i++)
        sim_mem_strfree(m, e->zones.v[i].name);
    for (size_t i = 0; i < e->namespaces.n; i++)
        sim_mem_strfree(m, e->namespaces.v[i].name);
    for (size_t i = 0; i < e->groups.n; i++)
        group_free(m, &e->groups.v[i]);
    for (size_t i = 0; i < e->workloads.n; i++)
        sim_mem_strfree(m, e->workloads.v[i].name);
    for (size_t i = 0; i < e->nodes.n; i++)
        sim_mem_strfree(m, e->nodes.v[i].name);
    sim_mem_free(m, e->regions.v, e->regions.cap * sizeof *e->regions.v);
    sim_mem_free(m, e->zones.v, e->zones.cap * sizeof *e->zones.v);
    sim_mem_free(m, e->namespaces.v, e->namespaces.cap * sizeof *e->namespaces.v);
    sim_mem_free(m, e->groups.v, e->groups.cap * sizeof *e->groups.v);
    sim_nameidx_free(m, &e->group_names);
    sim_nameidx_free(m, &e->workload_names);
    sim_nameidx_free(m, &e->workload_bare);
    sim_mem_free(m, e->workloads.v, e->workloads.cap * sizeof *e->workloads.v);
    sim_mem_free(m, e->nodes.v, e->nodes.cap * sizeof *e->nodes.v);
    sim_pods_reap(e);
    for (size_t k = 0; k < e->pods.npages; k++)
        sim_mem_free(m, e->pods.page[k], page_bytes(&e->pods));
    sim_mem_free(m, e->pods.spare, e->pods.spare ? page_bytes(&e->pods) : 0);
    sim_mem_free(m, e->pods.page, e->pods.cappages * sizeof *e->pods.page);
    sim_mem_free(m, e->pods.live, e->pods.caplive * sizeof *e->pods.live);
    sim_mem_free(m, e->pods.reap, e->pods.capreap * sizeof *e->pods.reap);
}
