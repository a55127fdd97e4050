/*
 * sched_int.h: the scheduler's layout, shared by the files of scheduler/ only.
 *
 * Per region the scheduler mirrors what its hot loop reads of each node in a
 * compact row (SchedRow, 64 bytes), indexed by the node's position in the
 * region's node list ("local index"). Nodes of one node group in one zone form
 * a class: every label except kubernetes.io/hostname, and every taint, is a
 * property of the class, so per-pod verdicts on taints and node affinity are
 * computed once per (workload, class) and cached.
 *
 * The index behind PodTopologySpread and InterPodAffinity: a group is a set
 * of pods named by (namespace, selectors ANDed) or by "the pods of workload W".
 * Every group keeps how many bound, not terminated pods it has on each node
 * and in each class, updated by the pod_bound / pod_terminated listeners;
 * pods of one workload share their labels, so which groups a pod belongs to
 * is worked out once per workload. A domain count for any topology key is
 * then a sum over classes (zone, region, any group label) or one per-node
 * entry (hostname): O(classes) per cycle and O(1) per node.
 *
 * Invariant: for every group g and every live node at local index i,
 * g->cnt_node[i] == the number of bound, not terminated pods on it that match
 * g, and g->cnt_class[c] == Σ cnt_node over the nodes of class c.
 */
#ifndef KUBESIM_SCHED_INT_H
#define KUBESIM_SCHED_INT_H

#include "scheduler/sched.h"

#include <string.h>

#define SCHED_NONE UINT32_MAX

#define LABEL_HOSTNAME "kubernetes.io/hostname"
#define LABEL_ZONE "topology.kubernetes.io/zone"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"

/* ---- the profile's plugins, by index in the table of profile.c ---------- */
enum {
    P_UNSCHEDULABLE = 0,
    P_NODENAME,
    P_TAINT,
    P_NODEAFFINITY,
    P_FIT,
    P_SPREAD,
    P_INTERPOD,
    P_BALANCED,
    P_IMAGE,
    P_COUNT
};

/* ---- filter verdicts: 0 passes; else a reason kind in the low byte and its
 * detail above (the missing resources of Fit; the taint index of TaintToleration) */
enum {
    R_PASS = 0,
    R_UNSCHEDULABLE,
    R_NODENAME,
    R_TAINT,
    R_AFFINITY,
    R_FIT,
    R_SPREAD,
    R_SPREAD_LABEL,
    R_IPA_AFF,
    R_IPA_ANTI,
    R_IPA_EXISTING,
    R_KINDS
};
#define R_KIND(code) ((code) & 0xffu)
#define R_AUX(code) ((code) >> 8)
#define R_MAKE(kind, aux) ((uint32_t)(kind) | ((uint32_t)(aux) << 8))
enum { FIT_PODS = 1, FIT_CPU = 2, FIT_MEM = 4, FIT_GPU = 8 };

/* Which plugin a reason kind belongs to. */
int sched_reason_plugin(uint32_t code);

/* ---- per-region mirror of the nodes ------------------------------------- */
enum { ROW_READY = 1, ROW_CORDONED = 2, ROW_NOMINATED = 4 };

typedef struct SchedRow {
    int64_t alloc_cpu, alloc_mem;
    int64_t req_cpu, req_mem;    /* actual requests of the bound pods */
    int64_t nz_cpu, nz_mem;      /* with the non-zero defaults (scoring) */
    int64_t free_gpu;
    int32_t free_pods;
    uint16_t cls;
    uint8_t flags;
    uint8_t pad;
} SchedRow;

typedef struct SchedClass {
    uint32_t group, zone;        /* node group; zone or SIM_NONE */
    uint32_t node;               /* a node of the class (labels, taints) */
    uint32_t ready;              /* Ready nodes in it */
} SchedClass;

/* A topology key. Hostname is per node (each node its own domain); every
 * other key has one value per class, interned as a domain id. */
typedef struct SchedKey {
    char *name;
    int per_node;
    uint32_t *cls_dom;           /* class -> domain, SCHED_NONE: label absent */
    size_t capcd;
    uint32_t ndom;
    const char **dom_name;       /* borrowed label values */
    size_t capdn;
} SchedKey;

/* A group of pods (see the file comment). */
typedef struct SchedGroup {
    uint32_t ns;
    uint32_t wl;                 /* SCHED_NONE: selectors over namespace ns */
    const SimSelector **sels;    /* ANDed; borrowed from workload specs */
    size_t nsels;
    uint32_t *cnt_node, *cnt_class;
    size_t capnode, capcls;
    uint64_t total;
} SchedGroup;

/* A spread constraint or an affinity term of a workload, resolved. */
typedef struct SchedSpread {
    uint32_t group, key;
    int32_t max_skew, min_domains;
    uint8_t dns;                 /* DoNotSchedule (filter) or ScheduleAnyway (score) */
    uint8_t self;                /* the workload's pods match the selector */
} SchedSpread;

typedef struct SchedTerm {
    uint32_t group, key;
    int32_t weight;
} SchedTerm;

/* A term that existing pods carry (symmetry): their workload's pods, the term's
 * namespace and selector, its key and its kind. */
enum { CARRY_REQ_ANTI = 0, CARRY_REQ_AFF, CARRY_PREF_AFF, CARRY_PREF_ANTI };
typedef struct SchedCarrier {
    uint32_t wl, group, key, ns;     /* group: the pods of wl */
    const SimSelector *sel;
    int32_t weight;                  /* signed contribution to the score */
    uint8_t kind;
} SchedCarrier;

/* Queue bookkeeping of a workload's unschedulable pods. */
typedef struct SchedUnsched {
    uint32_t head, tail, n;
    uint32_t slot;                   /* index in the region's list of such workloads */
    uint8_t fail;                    /* union of plugin bits of its pods' failures */
} SchedUnsched;

/* A workload's verdicts on one node class. */
typedef struct SchedWlCls {
    uint32_t filter;                 /* R_PASS, R_TAINT|index or R_AFFINITY */
    int32_t tscore;                  /* untolerated PreferNoSchedule taints */
    int64_t pref;                    /* Σ weights of matching preferred node terms */
    uint8_t aff_ok;                  /* matches nodeSelector and required node affinity */
} SchedWlCls;

/* What the scheduler knows of a workload, resolved when first met
 * (resolved: 0 not yet, 1 done, 2 failed for lack of memory). */
typedef struct SchedWl {
    uint8_t resolved, default_spread, tol_unsched, aff_per_node, pref_per_node;
    uint8_t best_effort, self_all, any_tscore, any_class_fail;
    uint32_t region, ns;
    uint32_t *groups;                /* groups its pods belong to */
    size_t ngroups, capgroups;
    uint32_t self_group;             /* the group "pods of this workload", or SCHED_NONE */
    uint32_t nbound;
    SchedSpread *spread;             /* explicit constraints, or the system defaults */
    size_t nspread, capspread;
    uint32_t aff_group;              /* pods matching all required affinity terms */
    SchedTerm *req_aff, *req_anti, *pref_aff, *pref_anti;
    size_t nreq_aff, nreq_anti, npref_aff, npref_anti;
    /* per class caches (extended as classes appear) */
    SchedWlCls *cls;
    size_t ncls, capcls;
    /* carriers whose terms select this workload's pods */
    uint32_t *sym;
    size_t nsym, capsym;
    uint64_t sym_ver;
    /* the last failure, reused while nothing changed (see queue.c) */
    uint64_t fail_gen;
    int32_t fail_prio;
    uint8_t fail_valid, fail_mask;
    char *fail_msg;                  /* SCHED_REASON_LEN bytes once used */
    SchedUnsched un;
} SchedWl;

/* Per-pod queue state. */
enum { Q_NONE = 0, Q_ACTIVE, Q_BACKOFF, Q_UNSCHED, Q_INFLIGHT };
typedef struct SchedQPod {
    SimTime ts;                      /* upstream QueuedPodInfo.Timestamp */
    SimTime unsched_at;
    uint64_t seq;
    uint32_t prev, next;             /* the workload's unschedulable list */
    uint16_t attempts;
    uint8_t where, fail;
} SchedQPod;

typedef struct SchedHeapEnt {
    int64_t k1;                      /* active: -priority; backoff: expiry */
    int64_t k2;                      /* active: timestamp */
    uint64_t seq;
    uint32_t pod;
} SchedHeapEnt;

typedef struct SchedHeap {
    SchedHeapEnt *v;
    size_t n, cap;
} SchedHeap;

typedef struct SchedRegion {
    uint32_t id;
    int init;
    SchedRow *rows;
    size_t nrows, caprows;
    uint32_t ready;
    SchedClass *cls;
    size_t ncls, capcls;
    SchedKey *keys;                  /* keys[0] hostname, keys[1] zone */
    size_t nkeys, capkeys;
    SchedGroup *groups;
    size_t ngroups, capgroups;
    SchedCarrier *carriers;
    size_t ncarriers, capcarriers;
    uint64_t carrier_ver;
    uint32_t *nominated;             /* pods with a nominated node in this region */
    size_t nnom, capnom;
    uint64_t gen;                    /* bumps whenever a filter verdict may change */
    uint64_t moves;                  /* bumps on every event that may help a pod */
    uint32_t next_start;
    /* the queue */
    SchedHeap active, backoff;
    uint32_t *unsched_wls;           /* workloads with unschedulable pods */
    size_t nunsched_wls, capuw;
    uint32_t nunsched;
    uint32_t nfail_sel;              /* of those, how many failed on spread or affinity */
    int cycle_queued, flush_queued;
    SimTime backoff_timer;           /* time of the pending backoff event, or SIM_TIME_MAX */
} SchedRegion;

/* A bump allocator for per-cycle scratch; reset at the start of each cycle. */
typedef struct SchedBlock {
    char *p;
    size_t size;
} SchedBlock;
typedef struct SchedArena {
    SchedBlock *blocks;
    size_t nblocks, capblocks, cur, used;
} SchedArena;

struct SchedScheduler {
    SimEngine *e;
    const SchedPlugin *plugins;
    size_t nplugins;
    SchedRegion **regions;           /* each allocated alone: pointers stay valid */
    size_t nregions;
    SchedWl **wls;
    size_t nwls;
    uint32_t *node_local;            /* node id -> local index in its region */
    size_t capnl;
    SchedQPod *qp;
    size_t nqp;
    uint64_t qseq;
    /* per-cycle scratch */
    SchedArena arena;
    uint32_t *feasible;
    int64_t *total, *raw;
    size_t capf;
    SchedCycleState *last;           /* prepared state reused by sched_filter_node */
    uint32_t last_pod;
    uint64_t last_gen;
};

/* ---- the cycle state (PreFilter / PreScore results) --------------------- */
/* Counts of one group over the domains of one key: per node for hostname,
 * per domain otherwise. */
typedef struct SchedView {
    const uint32_t *node;
    const int64_t *dom;
    const uint32_t *cls_dom;
    uint32_t key;
} SchedView;

typedef struct SchedDns {
    SchedView v;
    int32_t max_skew;
    int64_t min;
    uint8_t self;
} SchedDns;

struct SchedCycleState {
    SchedScheduler *s;
    SimEngine *e;
    SchedRegion *rg;
    SchedWl *w;
    const SimPod *p;
    const SimPodSpec *spec;
    uint32_t pod;
    uint32_t only;                   /* the one node considered (local index), or SCHED_NONE */
    uint32_t only_reason;            /* reason given to every other node */
    uint8_t skip_fit;
    /* PodTopologySpread filter */
    SchedDns *dns;
    size_t ndns;
    /* InterPodAffinity filter */
    SchedView *aff;                  /* one per required affinity term */
    size_t naff;
    uint8_t aff_empty;
    SchedView *anti;
    size_t nanti;
    SchedView *exist;
    size_t nexist;
    /* nominated pods reserve resources (see fit.c) */
    int has_nominated;
};

/* index.c */
SchedRegion *sched_region(SchedScheduler *s, uint32_t region);
int sched_region_sync(SchedScheduler *s, SchedRegion *rg);
void sched_row_refresh(SchedScheduler *s, SchedRegion *rg, uint32_t node);
SchedWl *sched_wl(SchedScheduler *s, uint32_t wl);
int sched_wl_classes(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl);
void sched_count_pod(SchedScheduler *s, uint32_t pod, int delta);
int sched_backfill(SchedScheduler *s);
int sched_group_matches(SchedScheduler *s, const SchedGroup *g, uint32_t wl);
uint32_t sched_local(SchedScheduler *s, uint32_t node);
void sched_index_free(SchedScheduler *s);
int sched_wl_sym(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl);

static inline uint32_t sched_view_dom(const SchedView *v, uint32_t li, uint16_t cls)
{
    return v->node ? li : v->cls_dom[cls];
}

/* The count of the view in the domain of node li; has = 0 if the node lacks the key. */
static inline int64_t sched_view_at(const SchedView *v, uint32_t li, uint16_t cls, int *has)
{
    if (v->node) {
        *has = 1;
        return v->node[li];
    }
    uint32_t d = v->cls_dom[cls];
    *has = d != SCHED_NONE;
    return *has ? v->dom[d] : 0;
}

/* arena.c-like helpers in sched.c */
void *sched_scratch(SchedScheduler *s, size_t n);

/* cycle.c */
int sched_prepare(SchedScheduler *s, uint32_t pod, SchedCycleState **out);
uint32_t sched_filter_one(const SchedCycleState *st, uint32_t li);
/* The reason text of a verdict (Fit's several resources joined by ", "). */
void sched_reason_text(SimEngine *e, uint32_t code, char *out, size_t len);

/* filters.c: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity */
/* The taint and node-affinity verdict of a node class for a pod spec (R_PASS,
 * R_TAINT with the taint's group and index, or R_AFFINITY), with the class's
 * TaintToleration and NodeAffinity raw scores. node is any node of the class;
 * hostname-keyed node selectors are evaluated per node elsewhere. */
uint32_t sched_class_verdict(SimEngine *e, const SimPodSpec *spec, uint32_t node, int per_node_aff,
                             int32_t *tscore, int64_t *pref, uint8_t *aff_ok);
int sched_node_affinity_matches(SimEngine *e, const SimPodSpec *spec, uint32_t node);
int64_t sched_node_pref_sum(SimEngine *e, const SimPodSpec *spec, uint32_t node);
int sched_tolerates_unschedulable(const SimPodSpec *spec);

/* fit.c */
uint32_t sched_fit_code(const SchedCycleState *st, const SchedRow *row, uint32_t li);

/* spread.c / interpod.c */
int sched_spread_prefilter(SchedCycleState *st);
uint32_t sched_spread_filter(const SchedCycleState *st, uint32_t li, const SchedRow *row);
int sched_interpod_prefilter(SchedCycleState *st);
uint32_t sched_interpod_filter(const SchedCycleState *st, uint32_t li, const SchedRow *row);

/* Score plugins over the feasible nodes fl[0..n): raw scores into out; the
 * return is 1 when the plugin's PreScore says Skip (every score 0). */
int sched_score_taint(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_nodeaff(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_fit(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_balanced(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_spread(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_interpod(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
int sched_score_image(SchedCycleState *st, const uint32_t *fl, size_t n, int64_t *out);
/* NormalizeScore of each scoring plugin (NULL where upstream has none). */
void sched_normalize_taint(int64_t *scores, size_t n);
void sched_normalize_nodeaff(int64_t *scores, size_t n);
void sched_normalize_spread(int64_t *scores, size_t n);
void sched_normalize_interpod(int64_t *scores, size_t n);
/* The local index of a node for the public per-node plugin wrappers. */
uint32_t sched_cycle_local(const SchedCycle *c, const SimNode *n);
/* Nominated pods (after preemption): re-marks their nodes' rows. */
void sched_nominated_update(SchedScheduler *s, SchedRegion *rg, uint32_t pod);

/* queue.c */
int sched_queue_add(SchedScheduler *s, uint32_t pod);
void sched_queue_on_event(void *ctx, SimEngine *e, const SimEvent *ev);
void sched_queue_pod_gone(SchedScheduler *s, uint32_t pod);
void sched_queue_node_ready(SchedScheduler *s, SchedRegion *rg, uint32_t li);
void sched_queue_pod_bound(SchedScheduler *s, SchedRegion *rg, uint32_t pod);
void sched_queue_pod_terminated(SchedScheduler *s, SchedRegion *rg, uint32_t pod, uint32_t li);
void sched_queue_free(SchedScheduler *s);
SimTime sched_backoff_duration(uint32_t attempts);

/* Event aux values of SIM_EV_SCHED_CYCLE. */
enum { SCHED_EV_CYCLE = 0, SCHED_EV_BACKOFF = 1, SCHED_EV_FLUSH = 2 };

#endif
