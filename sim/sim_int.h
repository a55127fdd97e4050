/*
 * sim_int.h: the engine's layout, shared by the files of sim/ only.
 * Objects live in growable arrays indexed by id; names are looked up through
 * linear search at build time only (scenarios declare tens of objects; the hot
 * paths use ids).
 */
#ifndef KUBESIM_SIM_INT_H
#define KUBESIM_SIM_INT_H

#include <string.h>

#include "sim/model.h"
#include "sim/metrics.h"
#include "sim/policy.h"
#include "sim/summary.h"

#define SIM_MAX_LISTENERS 8
#define SIM_ERRMSG_LEN 512

/* A PDB with its counts over the pods it covers, kept as pods come and go
 * (policy.c): live = live pods, healthy = Running and Ready ones. A PDB
 * selects by labels and a workload's pods all carry its template's labels,
 * so it covers whole workloads: wls lists them (ascending ids), for the
 * controllers' scale. */
typedef struct SimPdbEntry {
    SimPdb pdb;
    int32_t live, healthy;
    uint32_t *wls;
    size_t nwl, capwl;
} SimPdbEntry;

/* Admission's per-workload state (admission.c). */
typedef struct SimWlAdmit {
    uint32_t refusals;      /* pod creations refused since the last sync without one */
    uint8_t job;            /* Job object: 0 not yet admitted, 1 admitted, 2 refused, 3 deleted */
} SimWlAdmit;

/* A summary section (summary.c). */
typedef struct SimSummarySlot {
    int rank;
    SimSummaryFn fn;
    void *ctx;
} SimSummarySlot;

typedef struct SimHandlerSlot {
    SimHandler fn;
    void *ctx;
    const char *name;   /* a registered kind's name (static text); NULL for core kinds */
} SimHandlerSlot;

/* (scope, name) -> id of one object kind (nameidx.c); slots point at the
 * objects' own names. */
typedef struct SimNameSlot {
    const char *name;
    uint32_t scope;     /* a workload's namespace and kind (sim_wl_scope); 0 for node groups */
    uint32_t id;
} SimNameSlot;
typedef struct SimNameIdx {
    SimNameSlot *slot;
    size_t n, cap;
} SimNameIdx;
uint32_t sim_nameidx_get(const SimNameIdx *x, uint32_t scope, const char *name);   /* SIM_NONE if absent */
int sim_nameidx_put(SimMem *m, SimNameIdx *x, uint32_t scope, const char *name, uint32_t id);   /* SIM_ENOMEM */
/* Makes room for `more` puts that then cannot fail. */
int sim_nameidx_reserve(SimMem *m, SimNameIdx *x, size_t more);   /* SIM_ENOMEM */
void sim_nameidx_set(SimNameIdx *x, uint32_t scope, const char *name, uint32_t id);   /* present: asserted */
/* A workload's scope in workload_names: its namespace and kind. */
#define SIM_WL_SCOPE(ns, kind) ((uint32_t)(ns) * (uint32_t)SIM_WL_KIND_COUNT + (uint32_t)(kind))
void sim_nameidx_free(SimMem *m, SimNameIdx *x);

/* A growable array of fixed-size elements. */
#define SIM_VEC(T) struct { T *v; size_t n, cap; }

/* Pod records (objects.c). Ids are handed out in order and never reused (the
 * trace names a pod by its id forever); the records live in pages of
 * 2^shift ids. A record is dead once its pod is Deleted and off its node
 * (not terminating); a page whose ids are all handed out and whose records
 * are all dead is recycled at the next step after its last pod died
 * (sim_pods_reap), so the memory follows the pods alive, not the pods ever
 * created. A dead page's ids read as one shared tombstone (sim_pod: phase
 * Deleted, every index SIM_NONE, gen SIM_POD_DEAD_GEN), which every holder
 * of a stale id sees as the deleted pod it was. */
#ifndef SIM_POD_PAGE_SHIFT
#define SIM_POD_PAGE_SHIFT 10
#endif
typedef struct SimPodStore {
    SimPod **page;          /* NULL: recycled (or never filled) */
    uint32_t *live;         /* per page: records handed out and not dead */
    size_t npages, cappages, caplive;
    size_t n;               /* ids handed out: the pod count */
    unsigned shift;
    uint32_t *reap;         /* pages to recycle at the next step */
    size_t nreap, capreap;
    SimPod *spare;          /* one recycled page kept for the next */
    size_t pages_now, pages_peak;   /* pages held (statistics, tests) */
    uint64_t bound_recycled;        /* recycled records of pods that had been bound (check.c) */
} SimPodStore;

struct SimEngine {
    SimMem own_mem;
    SimMem *mem;
    SimEvq *q;
    SimTime now, end;
    uint64_t seq;
    uint64_t seed;
    SimRng rng[SIM_RNG_COUNT];
    SimStats stats;
    SimHandlerSlot handlers[SIM_EV_MAX_KINDS];
    unsigned nkinds;   /* kinds in use: SIM_EV_CORE_COUNT and the registered ones */
    SimListener listeners[SIM_MAX_LISTENERS];
    size_t nlisteners;
    SimTraceWriter *trace;
    SimTrSchema trschema;   /* the core kinds and those the modules registered */
    SimSummarySlot sections[SIM_SUMMARY_MAX_SECTIONS];   /* ascending rank */
    size_t nsections;
    SimDurationFn duration_fn;
    void *duration_ctx;
    SimMetrics *metrics;
    SimTime metrics_every;
    int ended;
    uint64_t check_credit;   /* check.c: steps of full checking earned since the last */
    char errmsg[SIM_ERRMSG_LEN];

    SIM_VEC(SimRegion) regions;
    SIM_VEC(SimZone) zones;
    SIM_VEC(SimNamespace) namespaces;
    SIM_VEC(SimNodeGroup) groups;
    SIM_VEC(SimWorkload) workloads;
    SIM_VEC(SimNode) nodes;
    SimPodStore pods;
    SimNameIdx group_names, workload_names;   /* find by name in O(1); workloads per namespace and kind */
    SimNameIdx workload_bare;   /* a workload name -> the one workload of that name, or SIM_AMBIGUOUS */

    /* policy.c, admission.c */
    SIM_VEC(SimPriorityClass) classes;
    SIM_VEC(SimPdbEntry) pdbs;
    SIM_VEC(SimQuota) quotas;
    SIM_VEC(SimLimitRange) limitranges;
    SIM_VEC(SimWlAdmit) wladmit;   /* grown to the workload count on demand */
    uint32_t nrefused;             /* workloads whose refusals are not 0 */
};

/* The engine's object kinds: type, accessor name, vector (objects.c makes
 * the const views of model.h from this list, and the writable ones below). */
#define SIM_OBJECT_KINDS(X)                  \
    X(SimRegion, sim_region, regions)        \
    X(SimZone, sim_zone, zones)              \
    X(SimNamespace, sim_namespace, namespaces) \
    X(SimNodeGroup, sim_nodegroup, groups)   \
    X(SimWorkload, sim_workload, workloads)  \
    X(SimNode, sim_node, nodes)

/* The writable objects, for sim/ alone (upper layers get the const views of
 * model.h and change objects through sim_* functions). */
#define SIM_MUT_ACCESSOR(T, fn, vec)                        \
    static inline T *fn##_mut(SimEngine *e, uint32_t id)    \
    {                                                       \
        SIM_DASSERT(id < e->vec.n);                         \
        return &e->vec.v[id];                               \
    }
SIM_OBJECT_KINDS(SIM_MUT_ACCESSOR)
#undef SIM_MUT_ACCESSOR

/* A live pod's record (its page not recycled: asserted in checked builds). */
static inline SimPod *sim_pod_mut(SimEngine *e, uint32_t id)
{
    SIM_DASSERT(id < e->pods.n && e->pods.page[id >> e->pods.shift] != NULL);
    return &e->pods.page[id >> e->pods.shift][id & ((1u << e->pods.shift) - 1)];
}
/* Is the pod's record still held (its page not recycled)? */
static inline int sim_pod_held(const SimEngine *e, uint32_t id)
{
    return id < e->pods.n && e->pods.page[id >> e->pods.shift] != NULL;
}
/* A new pod's id and zeroed record; SIM_NONE on out of memory. */
uint32_t sim_pods_push(SimEngine *e);
/* The pod's record is dead (Deleted and off its node): its page is recycled
 * after the current event once all of its records are. */
void sim_pods_release(SimEngine *e, uint32_t pod);
/* Recycles the pages whose records all died (sim_step, before each event). */
void sim_pods_reap(SimEngine *e);

/* Appends one zeroed element to a SIM_VEC; returns its index or SIM_NONE. */
#define SIM_VEC_PUSH(e, vec) \
    (sim_mem_grow((e)->mem, (void **)&(vec).v, &(vec).cap, (vec).n + 1, sizeof *(vec).v) == SIM_OK \
         ? (memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), (uint32_t)(vec).n++) \
         : SIM_NONE)

void sim_objects_free(SimEngine *e);
void sim_lifecycle_register(SimEngine *e);
void sim_summary_register_engine(SimEngine *e);   /* the engine's own sections */

/* policy.c and admission.c: freeing, and keeping PDB counts and quota usage
 * in step with the pod lifecycle (lifecycle.c calls these). */
void sim_policy_free(SimEngine *e);
void sim_pdb_pod_created(SimEngine *e, uint32_t pod);
void sim_pdb_pod_running(SimEngine *e, uint32_t pod);
void sim_pdb_pod_ready(SimEngine *e, uint32_t pod);         /* a Running pod's Ready flipped */
void sim_pdb_pod_terminated(SimEngine *e, uint32_t pod);   /* a live pod ended; started_at says if it ran */
/* Around sim_workload_add: reserve room in the covered-workload list of every
 * PDB that selects w (may fail: SIM_ENOMEM), then record the new id there
 * (cannot fail). */
int sim_pdb_workload_reserve(SimEngine *e, const SimWorkload *w);
void sim_pdb_workload_added(SimEngine *e, uint32_t wl);
/* Adds (sign 1) or removes (-1) the pod's usage to every quota matching it. */
void sim_quota_charge(SimEngine *e, uint32_t pod, const SimAdmitted *a, int sign);
/* A live pod ended or was deleted: everything but count/pods goes back. */
void sim_quota_pod_terminated(SimEngine *e, uint32_t pod);
/* The pod's object is deleted (live or ended): its count/pods goes back. */
void sim_quota_pod_removed(SimEngine *e, uint32_t pod);
/* What the quota's used should be: the sum over its live pods (and, for
 * count/pods, its ended pods that still exist) and admitted Jobs,
 * recounted (check.c). used has SIM_QR_COUNT entries. */
void sim_quota_recount(const SimEngine *e, uint32_t quota, int64_t *used);
/* sim_step's check after the event ev (check.c, with KUBESIM_CHECK). */
int sim_check_step(SimEngine *e, const SimEvent *ev);

#endif
