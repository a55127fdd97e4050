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

/* What filtering reads of a node: 32 bytes, two rows per cache line. */
/* What PreFilter and PreScore computed for the pod of a cycle (spread counts,
 * inter-pod affinity counts, per-node-class verdicts); defined below. */
typedef struct SchedCycleState SchedCycleState;

typedef struct SchedRow {
    int64_t free_cpu, free_mem;  /* allocatable - actual requests of the bound pods */
    int32_t free_gpu;            /* clamped to int32 */
    int32_t free_pods;
    uint32_t ver;                /* bumps whenever the row is re-read */
    uint16_t cls;
    uint8_t flags;
    uint8_t pad;
} SchedRow;

/* A summary of SCHED_BLK consecutive rows (a full block; the rows past the
 * last full block have none), so that the filter loop takes in one test a
 * block where every node fails, or where every node passes Fit and its
 * class's verdict. Valid while ok; any change to one of its rows clears ok
 * and the loop recomputes it when it next meets the block. */
#define SCHED_BLK 32
typedef struct SchedBlk {
    int64_t min_cpu, min_mem, max_cpu, max_mem;
    int32_t min_gpu, max_gpu, min_pods, max_pods;
    uint64_t cls;                /* bit c: a node of class c (classes < 64 only) */
    uint8_t ok;                  /* the summary is current */
    uint8_t plain;               /* every row Ready, uncordoned, unnominated, class < 64 */
    uint8_t loose;               /* row changes folded in since it was computed */
} SchedBlk;

/* What scoring reads of a node when its memo misses (same index as the row). */
typedef struct SchedRowRes {
    int64_t alloc_cpu, alloc_mem;
    int64_t req_cpu, req_mem;    /* actual requests of the bound pods */
    int64_t nz_cpu, nz_mem;      /* with the non-zero defaults (scoring) */
} SchedRowRes;

/* Fit + BalancedAllocation scores of one pod shape (its requests) on every
 * node, valid while the node's row version is the one stored: pods of a
 * workload share their shape, and a node changes only when a pod is bound
 * to it or leaves it, so a cycle mostly reads these instead of computing. */
#define SCHED_MEMO_SHAPES 32
typedef struct SchedMemo {
    int64_t nz_cpu, nz_mem, cpu, mem;
    uint64_t *ent;               /* per row: (ver + 1) << 32 | weighted score */
    size_t cap;
} SchedMemo;

typedef struct SchedClass {
    uint32_t group, zone;        /* node group; zone or SIM_NONE */
    uint32_t node;               /* a node of the class (labels, taints) */
    uint32_t ready;              /* Ready nodes in it */
    double inv_cpu, inv_mem;     /* 1 / allocatable of its first node: a hint for exact divisions */
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
    uint32_t msg_crc;                /* crc32 of the last failure message traced */
    uint16_t attempts;
    uint8_t where, fail;
} SchedQPod;

typedef struct SchedHeapEnt {
    int64_t k1;                      /* active: -priority; backoff: expiry */
    int64_t k2;                      /* active: timestamp */
    uint64_t seq;
    uint32_t pod;
} SchedHeapEnt;

/* A priority queue: a 4-ary heap plus a run of entries pushed in
 * non-decreasing order (a burst of pods of one priority arrives in order),
 * which costs a pop O(1) instead of O(log n); the queue's least entry is the
 * lesser of the two heads. */
typedef struct SchedHeap {
    SchedHeapEnt *v;
    size_t n, cap;
    SchedHeapEnt *run;               /* sorted, from run[head] to run[nrun - 1] */
    size_t head, nrun, caprun;
} SchedHeap;

typedef struct SchedRegion {
    uint32_t id;
    int init;
    SchedRow *rows;
    SchedRowRes *res;
    size_t nrows, caprows, capres;
    SchedBlk *blk;                   /* per SCHED_BLK rows (see SchedBlk) */
    size_t capblk;
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
    SchedMemo memo[SCHED_MEMO_SHAPES];
    size_t nmemo;
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

typedef struct SchedKeyBest SchedKeyBest;   /* defined with SchedBest below */

struct SchedScheduler {
    SimEngine *e;
    uint16_t ev;                     /* our event kind: a region's cycle (aux SCHED_EV_*) */
    const SchedPlugin *plugins;
    size_t nplugins;
    SchedRegion **regions;           /* each allocated alone: pointers stay valid */
    size_t nregions;
    SchedWl **wls;
    size_t nwls;
    uint32_t *node_local;            /* node id -> local index in its region */
    size_t capnl;
    SchedQPod **qpage;               /* queue state by pod id, in pages of 2^SCHED_QP_SHIFT ids;
                                        NULL: never queued, or every pod of it recycled (queue.c) */
    size_t nqpage, capqpage, qplo;   /* qplo: no page below it is held */
    uint64_t qseq;
    /* per-cycle scratch */
    SchedArena arena;
    uint32_t *feasible;
    int64_t *total, *raw;
    size_t capf;
    SchedKeyBest *kb;                /* SchedBest's per-key table, len 0 outside a cycle */
    uint32_t *kbkeys;                /* the keys the last cycle set in it */
    size_t capkb, capkbkeys, nkbkeys;
    SchedCycleState *last;           /* prepared state reused by sched_filter_node */
    uint32_t last_pod;
    uint64_t last_gen;
    /* The engine's pod and workload counts when `last` was prepared: a new
     * pod or workload may have moved those arrays (and the scheduler's own
     * per-workload table), and `last` holds pointers into them. */
    uint32_t last_npods, last_nwl;
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
    /* The spread and inter-pod filters are anti-affinity views per hostname
     * alone (a node fails on a count > 0): the filter loop's quick test. */
    uint8_t host_only;
};

/* index.c */
SchedRegion *sched_region(SchedScheduler *s, uint32_t region);
int sched_region_sync(SchedScheduler *s, SchedRegion *rg);
void sched_row_refresh(SchedScheduler *s, SchedRegion *rg, uint32_t node);
/* Marks the summary of the block holding row li stale. */
static inline void sched_blk_stale(SchedRegion *rg, size_t li)
{
    if (li / SCHED_BLK < rg->capblk)
        rg->blk[li / SCHED_BLK].ok = 0;
}

/* Folds row li's new free amounts into its block's summary: the least and
 * greatest stay bounds (a least may be lower and a greatest higher than the
 * rows' after a change the other way), which is all the loop's tests need;
 * the summary is recomputed after a few changes, or when the row is or was
 * not plain. */
static inline void sched_blk_row(SchedRegion *rg, size_t li, uint8_t old_flags, const SchedRow *r)
{
    if (li / SCHED_BLK >= rg->capblk)
        return;
    SchedBlk *k = &rg->blk[li / SCHED_BLK];
    if (old_flags != ROW_READY || r->flags != ROW_READY || ++k->loose > 8) {
        k->ok = 0;
        return;
    }
    k->min_cpu = r->free_cpu < k->min_cpu ? r->free_cpu : k->min_cpu;
    k->max_cpu = r->free_cpu > k->max_cpu ? r->free_cpu : k->max_cpu;
    k->min_mem = r->free_mem < k->min_mem ? r->free_mem : k->min_mem;
    k->max_mem = r->free_mem > k->max_mem ? r->free_mem : k->max_mem;
    k->min_gpu = r->free_gpu < k->min_gpu ? r->free_gpu : k->min_gpu;
    k->max_gpu = r->free_gpu > k->max_gpu ? r->free_gpu : k->max_gpu;
    k->min_pods = r->free_pods < k->min_pods ? r->free_pods : k->min_pods;
    k->max_pods = r->free_pods > k->max_pods ? r->free_pods : k->max_pods;
}
SchedWl *sched_wl(SchedScheduler *s, uint32_t wl);
int sched_wl_classes(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl);
void sched_count_pod(SchedScheduler *s, uint32_t pod, int delta);
int sched_backfill(SchedScheduler *s);
int sched_group_matches(SchedScheduler *s, const SchedGroup *g, uint32_t wl);
uint32_t sched_local(SchedScheduler *s, uint32_t node);
void sched_index_free(SchedScheduler *s);
int sched_wl_sym(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl);

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

/* spread.c / interpod.c: PreFilter. The per-node filters are here, inline,
 * as the cycle's filter loop runs them on every node for the pods that
 * have them. */
int sched_spread_prefilter(SchedCycleState *st);
int sched_interpod_prefilter(SchedCycleState *st);

/* PodTopologySpread's filter (DoNotSchedule constraints, spread.c). */
static inline uint32_t sched_spread_filter(const SchedCycleState *st, uint32_t li, const SchedRow *row)
{
    for (size_t i = 0; i < st->ndns; i++) {
        const SchedDns *d = &st->dns[i];
        int has;
        int64_t cnt = sched_view_at(&d->v, li, row->cls, &has);
        if (!has)
            return R_SPREAD_LABEL;
        if (cnt + d->self - d->min > d->max_skew)
            return R_SPREAD;
    }
    return R_PASS;
}

static inline int sched_any_in_domain(const SchedView *v, size_t n, uint32_t li, uint16_t cls)
{
    for (size_t i = 0; i < n; i++) {
        int has;
        int64_t cnt = sched_view_at(&v[i], li, cls, &has);
        if (has && cnt > 0)
            return 1;
    }
    return 0;
}

/* InterPodAffinity's filter (interpod.c). */
static inline uint32_t sched_interpod_filter(const SchedCycleState *st, uint32_t li, const SchedRow *row)
{
    if (st->naff) {
        int exist = 1;
        for (size_t i = 0; i < st->naff; i++) {
            int has;
            int64_t cnt = sched_view_at(&st->aff[i], li, row->cls, &has);
            if (!has)
                return R_IPA_AFF;   /* all topology labels must exist on the node */
            if (cnt <= 0)
                exist = 0;
        }
        if (!exist && !(st->aff_empty && st->w->self_all))
            return R_IPA_AFF;
    }
    if (sched_any_in_domain(st->anti, st->nanti, li, row->cls))
        return R_IPA_ANTI;
    if (sched_any_in_domain(st->exist, st->nexist, li, row->cls))
        return R_IPA_EXISTING;
    return R_PASS;
}

/* ---- scoring (score.c) ------------------------------------------------------ */
typedef struct SchedSa {            /* a ScheduleAnyway spread constraint */
    const uint32_t *node;           /* hostname: counts per node; else NULL */
    const int64_t *cls_cnt;         /* else: the count of the class's domain, -1 without the key */
    double weight;                  /* log(domains + 2) */
    double skew1;                   /* maxSkew - 1 */
} SchedSa;

typedef struct SchedIpaHost {       /* a hostname-keyed InterPodAffinity score term */
    const uint32_t *node;
    int64_t weight;
} SchedIpaHost;

typedef struct SchedScorePrep {
    uint8_t skip[P_COUNT];          /* PreScore said Skip: the plugin scores 0 everywhere */
    SchedSa *sa;
    size_t nsa;
    const uint8_t *sa_ignored;      /* per class: the node lacks a constraint's key */
    const double *sa_cls;           /* fast path (sa[0] per node, sa[1] per class or none):
                                       sa[1]'s term per class, -1 if absent */
    const int64_t *ipa_cls;         /* per class: Σ weight x count of class-keyed terms */
    SchedIpaHost *ipa_host;
    size_t nhost;
} SchedScorePrep;

/* PreScore of a cycle over its feasible nodes fl[0..n); cls_seen, if not
 * NULL, marks the classes present among them (else they are looked up). */
int sched_prescore(SchedCycleState *st, const uint32_t *fl, size_t n, const uint8_t *cls_seen, SchedScorePrep *p);
/* One node's raw score of a scoring plugin (before NormalizeScore). */
int64_t sched_raw_score(const SchedCycleState *st, const SchedScorePrep *p, int plugin, uint32_t li);
/* NormalizeScore of each scoring plugin (none for Fit and BalancedAllocation). */
void sched_normalize_taint(int64_t *scores, size_t n);
void sched_normalize_nodeaff(int64_t *scores, size_t n);
void sched_normalize_spread(int64_t *scores, size_t n);
void sched_normalize_interpod(int64_t *scores, size_t n);
int64_t *sched_spread_counts(SchedCycleState *st, const SchedGroup *g, const SchedKey *k, const uint32_t *keys,
                             size_t nk, uint8_t *present);
int sched_view_all(SchedCycleState *st, SchedView *v, uint32_t group, uint32_t key);

/* n / d for 0 <= n, 0 < d, exactly, from an estimate with inv ~ 1/d: the
 * estimate is corrected by integer multiplications, so any inv (even a wrong
 * one) gives the exact quotient, a good one without a 64-bit division. */
static inline int64_t sched_div(int64_t n, int64_t d, double inv)
{
    double est = (double)n * inv;
    int64_t q = est >= 0 && est <= (double)n ? (int64_t)est : n / d;
    while (q > 0 && q * d > n)
        q--;
    while ((q + 1) * d <= n)
        q++;
    return q;
}

/* LeastAllocated of one resource: (alloc - requested) * 100 / alloc, integer
 * (alloc > 0). */
static inline int64_t sched_least_allocated(int64_t requested, int64_t alloc, double inv)
{
    if (requested > alloc)
        return 0;
    return sched_div((alloc - requested) * SCHED_MAX_SCORE, alloc, inv);
}

/* Σ w·s / Σ w over the resources with allocatable > 0 (cpu, memory weight 1);
 * inv_* are hints of 1 / alloc (sched_div). */
static inline int64_t sched_least_score_h(int64_t req_cpu, int64_t alloc_cpu, int64_t req_mem, int64_t alloc_mem,
                                          double inv_cpu, double inv_mem)
{
    int64_t sum = 0, wsum = 0;
    if (alloc_cpu > 0) {
        sum += sched_least_allocated(req_cpu, alloc_cpu, inv_cpu);
        wsum++;
    }
    if (alloc_mem > 0) {
        sum += sched_least_allocated(req_mem, alloc_mem, inv_mem);
        wsum++;
    }
    return wsum == 2 ? sum / 2 : sum;
}

static inline int64_t sched_least_score(int64_t req_cpu, int64_t alloc_cpu, int64_t req_mem, int64_t alloc_mem)
{
    return sched_least_score_h(req_cpu, alloc_cpu, req_mem, alloc_mem, alloc_cpu > 0 ? 1.0 / (double)alloc_cpu : 0,
                               alloc_mem > 0 ? 1.0 / (double)alloc_mem : 0);
}

/* BalancedAllocation: fractions in float64 as upstream (true division). */
static inline int64_t sched_balanced_exact(int64_t req_cpu, int64_t alloc_cpu, int64_t req_mem, int64_t alloc_mem)
{
    double f0 = 0, f1 = 0;
    int nf = 0;
    if (alloc_cpu > 0) {
        f0 = (double)req_cpu / (double)alloc_cpu;
        f0 = f0 > 1 ? 1 : f0;
        nf++;
    }
    if (alloc_mem > 0) {
        double x = (double)req_mem / (double)alloc_mem;
        x = x > 1 ? 1 : x;
        if (nf)
            f1 = x;
        else
            f0 = x;
        nf++;
    }
    double d = (f0 - f1) / 2, std = nf == 2 ? (d < 0 ? -d : d) : 0.0;
    return (int64_t)((1 - std) * (double)SCHED_MAX_SCORE);
}

/* BalancedAllocation from the reciprocal hints of the node's class: the
 * fractions then differ from upstream's divisions by an ulp at most, which
 * changes the truncated score only when (1 - std) x 100 is within 1e-9 of
 * an integer; then the exact divisions decide. */
static inline int64_t sched_balanced_h(int64_t req_cpu, int64_t alloc_cpu, int64_t req_mem, int64_t alloc_mem,
                                       double inv_cpu, double inv_mem)
{
    if (alloc_cpu <= 0 || alloc_mem <= 0)
        return sched_balanced_exact(req_cpu, alloc_cpu, req_mem, alloc_mem);
    double f0 = (double)req_cpu * inv_cpu, f1 = (double)req_mem * inv_mem;
    f0 = f0 > 1 ? 1 : f0;
    f1 = f1 > 1 ? 1 : f1;
    double d = (f0 - f1) / 2, v = (1 - (d < 0 ? -d : d)) * (double)SCHED_MAX_SCORE;
    double frac = v - (double)(int64_t)v;
    if (v < 0 || frac < 1e-9 || frac > 1 - 1e-9 || inv_cpu * (double)alloc_cpu != 1.0 ||
        inv_mem * (double)alloc_mem != 1.0)
        return sched_balanced_exact(req_cpu, alloc_cpu, req_mem, alloc_mem);
    return (int64_t)v;
}

static inline int64_t sched_balanced(int64_t req_cpu, int64_t alloc_cpu, int64_t req_mem, int64_t alloc_mem)
{
    return sched_balanced_exact(req_cpu, alloc_cpu, req_mem, alloc_mem);
}

/* wf x LeastAllocated + wb x BalancedAllocation of the pod on a row. */
static inline int64_t sched_fit_bal(const SchedCycleState *st, uint32_t li, int bal, int64_t wf, int64_t wb,
                                    int64_t *fit, int64_t *bl)
{
    const SchedRowRes *r = &st->rg->res[li];
    const SchedClass *k = &st->rg->cls[st->rg->rows[li].cls];
    const SimRes *nz = &st->p->nz_req, *rq = &st->p->req;
    *fit = sched_least_score_h(r->nz_cpu + nz->cpu_m, r->alloc_cpu, r->nz_mem + nz->mem, r->alloc_mem, k->inv_cpu,
                               k->inv_mem);
    *bl = bal ? sched_balanced_h(r->req_cpu + rq->cpu_m, r->alloc_cpu, r->req_mem + rq->mem, r->alloc_mem,
                                 k->inv_cpu, k->inv_mem)
              : 0;
    return wf * *fit + wb * *bl;
}

/* Go's math.Round (half away from zero) of a non-negative score: exact,
 * without a libm call. */
static inline int64_t sched_round(double x)
{
    int64_t t = (int64_t)x;
    return t + ((x - (double)t) >= 0.5);
}

/* The fast shape's raw score of a node of class c with n pods of the
 * hostname constraint's group. */
static inline int64_t sched_sc_spread_nc(const SchedScorePrep *p, uint32_t n, uint16_t c)
{
    double h = (double)n * p->sa[0].weight + p->sa[0].skew1, z = p->sa_cls[c];
    return sched_round(z >= 0 ? h + z : h);   /* (0 + h) + z == h + z exactly */
}

static inline int64_t sched_sc_spread(const SchedScorePrep *p, uint32_t li, uint16_t c)
{
    if (p->sa_cls)
        return sched_sc_spread_nc(p, p->sa[0].node[li], c);
    if (p->sa_ignored && p->sa_ignored[c])
        return -1;   /* upstream invalidScore */
    double score = 0;
    for (size_t j = 0; j < p->nsa; j++) {
        const SchedSa *a = &p->sa[j];
        int64_t cnt = a->node ? (int64_t)a->node[li] : a->cls_cnt[c];
        if (cnt >= 0)
            score += (double)cnt * a->weight + a->skew1;
    }
    return sched_round(score);
}

static inline int64_t sched_sc_interpod(const SchedScorePrep *p, uint32_t li, uint16_t c)
{
    int64_t sum = p->ipa_cls ? p->ipa_cls[c] : 0;
    for (size_t j = 0; j < p->nhost; j++)
        sum += p->ipa_host[j].weight * (int64_t)p->ipa_host[j].node[li];
    return sum;
}

/* rank.c: scores the nf (> 1) feasible nodes of a cycle without explain,
 * whose classes are marked in seen, and returns the index (in the
 * scheduler's feasible list) of the node chosen. */
int sched_score_place(SchedCycleState *st, uint32_t nf, const uint8_t *seen, uint32_t *chosen);

/* wf x LeastAllocated + wb x BalancedAllocation of the pod on row li, put in
 * the shape's memo (may be NULL) for the row's version. */
int64_t sched_fit_miss(const SchedCycleState *st, uint64_t *memo, const SchedRow *r, uint32_t li);

/* ---- scoring in the filter loop (rank.c) ----------------------------------
 * A pod whose score is Fit + BalancedAllocation (the "first term", from the
 * shape's memo) plus a constant per key - its node's class, or with the
 * system-default spreading the (class, count of the pod's group on the
 * node) pair of rank.c's spans - and nothing else (no NodeAffinity or
 * InterPodAffinity score) is scored by the filter loop as it finds each
 * feasible node: the keys' constants are known only after the loop (they
 * are normalized over the feasible nodes), but a node can win only if its
 * first term is its key's greatest, so per key the loop keeps that greatest
 * and the list, in feasible order, of the nodes that have it. The host and
 * the seeded draw among ties are then sched_score_place's. */
#define SCHED_SPAN_N 64              /* counts of the spans' table: 0 .. SCHED_SPAN_N - 1 */
#define SCHED_SPAN_MAX_CLS 128
struct SchedKeyBest {
    int32_t best;                    /* the greatest first term of the key's nodes */
    uint32_t len;                    /* how many have it; 0: no feasible node has the key */
    uint32_t head, tail;             /* the nodes that have it, a list through SchedBest.next */
};
typedef struct SchedBest {
    uint64_t *memo;                  /* the shape's memo */
    const uint32_t *cnt;             /* spans: the group's per-node counts; NULL: keyed by class */
    SchedKeyBest *kb;                /* per key (the scheduler's table, len 0 between cycles) */
    uint32_t *next;                  /* per feasible index */
    uint32_t *keys, nkeys;           /* the keys present, as met */
    uint32_t over;                   /* spans: the counts met, ORed */
} SchedBest;

/* Prepares b for the cycle's pod and returns 1, or 0 when the pod's score
 * has other terms (the caller scores with sched_score_place), or SIM_ENOMEM. */
int sched_best_begin(SchedCycleState *st, SchedBest *b, uint32_t nrows);
/* After the filter loop: which keys b set, for the next sched_best_begin to clear. */
static inline void sched_best_done(SchedScheduler *s, const SchedBest *b)
{
    s->nkbkeys = b->nkeys;
}
/* After the loop over nf (> 1) feasible nodes whose classes are in seen: the
 * chosen index as sched_score_place's (SIM_OK), SCHED_BEST_WIDE when a count
 * went past the table (sched_score_place then scores), or SIM_ENOMEM. */
#define SCHED_BEST_WIDE 1
int sched_best_place(SchedCycleState *st, const SchedBest *b, uint32_t nf, const uint8_t *seen, uint32_t *chosen);

/* The loop's step for feasible node li, the i-th found; spans: b->cnt != NULL. */
__attribute__((always_inline)) static inline void sched_best_add_x(const SchedCycleState *st, SchedBest *b,
                                                                   const SchedRow *row, uint32_t li, uint32_t i,
                                                                   const int spans)
{
    uint64_t m = b->memo[li];
    int32_t fb = (m >> 32) == (uint64_t)row->ver + 1 ? (int32_t)(m & 0xffffffffu)
                                                      : (int32_t)sched_fit_miss(st, b->memo, row, li);
    uint32_t key = row->cls;
    if (spans) {
        uint32_t k = b->cnt[li];
        b->over |= k;
        key = key * SCHED_SPAN_N + (k & (SCHED_SPAN_N - 1));
    }
    SchedKeyBest *kb = &b->kb[key];
    if (kb->len == 0) {
        b->keys[b->nkeys++] = key;
        *kb = (SchedKeyBest){fb, 1, i, i};
    } else if (fb > kb->best) {
        *kb = (SchedKeyBest){fb, 1, i, i};
    } else if (fb == kb->best) {
        b->next[kb->tail] = i;
        kb->tail = i;
        kb->len++;
    }
}

static inline void sched_best_add(const SchedCycleState *st, SchedBest *b, const SchedRow *row, uint32_t li,
                                  uint32_t i)
{
    if (b->cnt)
        sched_best_add_x(st, b, row, li, i, 1);
    else
        sched_best_add_x(st, b, row, li, i, 0);
}

/* Nominated pods (after preemption): keeps the region's list and re-marks
 * their nodes' rows; pod is added when Pending with a nominated node. */
void sched_nominated_update(SchedScheduler *s, SchedRegion *rg, uint32_t pod);

/* queue.c */
int sched_queue_add(SchedScheduler *s, uint32_t pod);
void sched_queue_on_event(void *ctx, SimEngine *e, const SimEvent *ev);
void sched_queue_pod_gone(SchedScheduler *s, uint32_t pod);
void sched_queue_node_ready(SchedScheduler *s, SchedRegion *rg, uint32_t li);
void sched_queue_pod_bound(SchedScheduler *s, SchedRegion *rg, uint32_t pod);
void sched_queue_pod_terminated(SchedScheduler *s, SchedRegion *rg, uint32_t pod, uint32_t li);
/* No cycle runs while the region's control plane is down (sim_region_up);
 * when it returns the active queue gets one. */
void sched_queue_region_up(SchedScheduler *s, SchedRegion *rg);
void sched_queue_free(SchedScheduler *s);

/* Event aux values of the scheduler's event kind (s->ev). */
enum { SCHED_EV_CYCLE = 0, SCHED_EV_BACKOFF = 1, SCHED_EV_FLUSH = 2 };

#endif
