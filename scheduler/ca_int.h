/*
 * ca_int.h: the cluster autoscaler's layout, shared by scheduler/ca*.c only.
 *
 * Per region the autoscaler keeps its timers (last scale-up, last failed
 * scale-down, the node being drained), the list of Pending pods it has seen
 * (compacted as they leave Pending) and the last plan it computed, with the
 * key of what it was computed from. Per node group: the backoff. Per node:
 * the unneeded-since timer and the recheck timeout after a failed removal.
 *
 * Invariant: a region's cached plan is what sched_ca_plan would return while
 * its key (the region's change generation, pending, live and Ready counts)
 * is unchanged and the time is before the plan's flip_at, the first instant
 * a time-dependent verdict (a backoff expiring, a recheck timeout) flips.
 */
#ifndef KUBESIM_SCHED_CA_INT_H
#define KUBESIM_SCHED_CA_INT_H

#include "scheduler/ca.h"
#include "scheduler/sched_int.h"

/* Event aux of our event kind (ca->ev). */
enum { CA_EV_LOOP = 0, CA_EV_DEADLINE = 1 };

typedef struct CaKey {
    uint64_t gen;
    uint32_t pending, live, ready;
} CaKey;

/* One equivalence class of candidate pods: same workload and requests. */
typedef struct CaPodClass {
    uint32_t wl, pod;            /* pod: the first of them (its spec decides the filters) */
    SimRes req;
    uint32_t count;
    uint32_t left;               /* not absorbed by upcoming nodes */
    uint8_t one_per_node;        /* hostname-keyed required anti-affinity or spread */
    uint8_t any_zone_pin;        /* some pod is pinned to a zone (checked per group) */
    uint32_t zone_pin;
} CaPodClass;

/* A class in the packer's order: first fit decreasing by size score. */
typedef struct CaOrder {
    double score;
    uint32_t cls;
} CaOrder;

/* What an option's nodes would take: Σ requests of the pods placed. */
typedef struct CaOptSums {
    int64_t cpu, mem, gpu;
} CaOptSums;

/* A tentative change of a scale-down pass, undone when its node stays. */
typedef struct CaUndo {
    uint32_t what;               /* UNDO_MOVE: node li got req; UNDO_PDB: pdb k lost one */
    uint32_t idx;
    SimRes req;
} CaUndo;
enum { UNDO_MOVE = 0, UNDO_PDB = 1 };

/* One drain simulation of a scale-down pass (pods_check of a node), in
 * pass order: what it found, reused by the next pass while nothing it
 * depends on has changed (ca_down.c). */
typedef struct CaSim {
    uint32_t li;                 /* the node's local index in the region */
    uint64_t gen;                /* the region's down_gen when it was run */
    uint32_t reads, nreads;      /* the nodes it read: rs->reads[reads, reads + nreads) */
    uint8_t wide;                /* it read more than CA_SIM_READS nodes (not listed) */
    uint32_t nblockers;
    const char *unremovable;     /* NULL: every pod has a place */
    SchedCaBlocker blockers[SCHED_CA_MAX_BLOCKERS];
} CaSim;

/* A template node opened by the binpacking estimator. */
typedef struct CaBin {
    int64_t cpu, mem, gpu, pods; /* free */
} CaBin;

typedef struct CaRegion {
    CaKey key;                   /* what the cached plan was computed from */
    int cached;
    int acted;                   /* a loop acted on the cached plan (not only sched_ca_plan) */
    SimTime flip_at;
    SchedCaPlan plan;            /* the last plan; its arrays are the two below */
    SchedCaOption *plan_opts;    /* capacity kept across loops */
    SchedCaNodeVerdict *plan_nodes;
    size_t capopt, capnodes;
    SimTime next_due;            /* earliest unneeded/unready timer expiry, SIM_TIME_MAX */
    uint64_t gen;                /* bumped by the listeners and by the autoscaler's actions */
    uint64_t loops;
    uint64_t nscaleups;          /* seeds the expander's tie-break */
    SimTime last_up, last_fail, last_delete;   /* -1: never */
    uint32_t draining;           /* node being drained, SIM_NONE */
    SimTime drain_start;
    uint32_t *pending;           /* Pending pods seen (some may have left Pending) */
    size_t npending, cappending;
    /* what the last scale-down pass simulated (ca_down.c): valid while the
     * key below is the region's now */
    uint64_t down_gen;           /* bumped by every change a drain simulation may read: not by a
                                    Pending pod's creation, nor by a pod becoming Running or Ready */
    size_t sims_nnodes;          /* the region's node count then */
    uint32_t sims_nwl, sims_npdb;   /* workloads and PDBs in the engine then */
    int32_t *sims_pdb;           /* the region's PDBs' disruptions allowed then */
    size_t capsimspdb;
    int sims_valid;
    CaSim *sims;                 /* the pass's simulations in pass order */
    size_t nsims, capsims;
    uint64_t down_glob;          /* bumped by a change of no one node (then nothing is reused) */
    uint64_t sims_glob;          /* down_glob when sims[] were last validated */
    uint64_t sims_wlsum;         /* a hash of every workload's drain-rule fields then */
    uint32_t *reads;             /* the local indices each simulation read */
    size_t capreads;
} CaRegion;

#define CA_SIM_READS 64          /* nodes a simulation's record lists at most */

typedef struct CaGroupState {
    SimTime backoff_until;       /* 0: not backed off */
    SimTime backoff_dur;         /* the last backoff's length; 0: none yet */
    SimTime backoff_at;          /* when it started (nodes failing together back off once) */
    uint8_t scale_down_disabled; /* every node of the group is (sched_ca_set_scale_down_disabled) */
} CaGroupState;

typedef struct CaNodeState {
    SimTime since;               /* unneeded since, -1 */
    SimTime recheck_until;       /* failed removal: not a candidate before this */
    uint8_t ca_added;            /* added by the autoscaler (provisioning deadline applies) */
    uint64_t chg;                /* its region's down_gen when its pods or state last changed */
} CaNodeState;

struct SchedCa {
    SchedScheduler *s;
    SimEngine *e;
    uint16_t ev;                 /* our event kind (aux: CA_EV_*) */
    uint64_t nodes_removed;      /* summary.json autoscaler.nodes_removed */
    SimMem *m;
    SchedCaConfig cfg;
    CaRegion *rg;
    size_t nrg;
    CaGroupState *gs;
    size_t capgs;
    CaNodeState *ns;
    size_t capns;
    /* scratch, reused across loops (never allocated per pod) */
    CaPodClass *cls;
    size_t ncls, capcls;
    CaOrder *order;              /* class order for the packer */
    size_t caporder;
    uint32_t *wl_slot;           /* workload -> its latest class this pass, valid with wl_stamp */
    uint32_t *wl_stamp;
    size_t capwl, capstamp;
    SimKV *tl;                   /* the template's labels (borrowed strings) */
    size_t ntl, captl;
    uint32_t tl_group, tl_zone;
    char host[256];
    uint32_t *ds;                /* DaemonSet workloads */
    size_t nds, capds;
    uint32_t ds_scanned;         /* workloads looked at so far */
    uint32_t *upcoming;          /* per node group: nodes still provisioning */
    size_t capup;
    CaOptSums *sums;             /* per option */
    size_t capsums;
    uint32_t *live;              /* options left in the expander chain */
    size_t caplive;
    uint32_t stamp;
    CaBin *bins;
    size_t capbins;
    /* scale-down scratch, per local node index of the region */
    int64_t *free;               /* 4 per node: cpu, mem, gpu, pods */
    size_t capfree;
    uint8_t *gone;               /* being removed in this plan */
    size_t capgone;
    uint32_t *fstamp;            /* per local index: the pass its free/gone were set up in */
    size_t capfstamp;
    uint32_t *hint;              /* per workload: last destination (local index) */
    uint32_t *noplace;           /* per workload: pass number of a failed search */
    size_t caphint, capnoplace;
    uint32_t pass;               /* scale-down passes, for noplace */
    CaUndo *undo;                /* tentative moves of the node under test */
    size_t capundo;
    uint32_t *pdbs;              /* PDBs of the region under test */
    size_t npdbs, cappdbs;
    int64_t *pdb_left;           /* per PDB: disruptions left in this plan, INT64_MIN unknown */
    size_t cappdb;
    int32_t *group_left;         /* per node group: nodes it may still lose this plan */
    size_t capgl;
    /* the loop's reasons in the trace (ca_trace_*) */
    uint32_t *why_crc;           /* per pod: crc of its last ca_no_scale_up text | 1, 0 none */
    size_t capwhy;
    char *why_text;              /* per class of the plan: its text, CA_WHY_TEXT bytes */
    size_t capwhytext;
    uint32_t *why_done;          /* per class: stamp when why_text holds its text */
    size_t capwhydone;
    uint32_t pool_left;          /* non-candidates the pass may still simulate (the caps) */
    int32_t found;               /* non-empty nodes found unneeded in this pass */
    SchedCaWatchFn watch;        /* sched_ca_watch */
    void *watch_ctx;
    size_t simk;                 /* simulations done in this pass (index into rs->sims) */
    CaSim *rec;                  /* the simulation being run and recorded, NULL */
    uint32_t *rec_reads;         /* where it lists the nodes it reads (its region's reads) */
    uint32_t *rmark;             /* per local index: the recording that listed it */
    size_t caprmark;
    uint32_t rstamp;
    uint32_t coupled_nwl;        /* workloads looked at for coupled */
    int coupled;                 /* a workload's filters read other nodes (spread, inter-pod) */
    int replaying;               /* every simulation of this pass so far is the last pass's */
    uint64_t sims_reused, sims_run;   /* drain simulations reused / run (sched_ca_down_stats) */
};

#define CA_WHY_LEN 160           /* one group's reason */
#define CA_WHY_TEXT 512          /* a pod's ca_no_scale_up text */

/* ca_up.c: the scale-up part of a plan (options, chosen, delta, candidates). */
int ca_plan_up(SchedCa *ca, CaRegion *rs, SchedCaPlan *p);
/* Brings ca->ds (the DaemonSet workloads) up to date; SIM_ENOMEM. */
int ca_ds_refresh(SchedCa *ca);
/* The template of group g: its allocatable minus what its DaemonSet pods
 * request (pods included). */
SimRes ca_template_free(SchedCa *ca, uint32_t g);
/* Traces, for the region's freshly computed plan p (the classes in ca->cls
 * are p's), why each Pending pod no group can help did not trigger a
 * scale-up (ca_no_scale_up, upstream's NotTriggerScaleUp text), when the
 * text differs from the last one traced for the pod. SIM_OK or SIM_ENOMEM. */
int ca_trace_no_scale_up(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p);
/* Traces the scale-up p chose (ca_decision: group, +N, expanders, the other
 * groups and why they lost). */
void ca_trace_decision(SchedCa *ca, const SchedCaPlan *p);
/* ca_down.c: the scale-down verdicts of every Ready node into p->nodes. */
int ca_plan_down(SchedCa *ca, CaRegion *rs, SchedCaPlan *p);
/* The node's utilisation (k8s-behaviour.md §2.3); *gpu tells whether it is
 * the GPU fraction (its group has GPUs). */
double ca_node_utilization(SchedCa *ca, uint32_t node, int *gpu);
/* Acts on a plan that does not scale up: the unneeded timers, then deletes
 * due empty and unready nodes in bulk and starts a drain. */
int ca_scale_down(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p);
/* Sets ca->group_left: nodes each group may still lose (size over its
 * minimum, less the node being drained). */
void ca_groups_left(SchedCa *ca, const CaRegion *rs);
/* Continues the drain in progress in the region, if any. */
int ca_drain_step(SchedCa *ca, CaRegion *rs);

/* ca.c */
CaRegion *ca_region(SchedCa *ca, uint32_t region);
int ca_grow(SchedCa *ca, void **pp, size_t *cap, size_t need, size_t sz);
#define CA_GROW(ca, arr, cap, need) ca_grow((ca), (void **)&(arr), &(cap), (need), sizeof *(arr))
/* Per-node and per-group state, grown on demand; NULL on out of memory. */
CaNodeState *ca_node(SchedCa *ca, uint32_t node);
CaGroupState *ca_group(SchedCa *ca, uint32_t group);
int ca_is_daemonset(SimEngine *e, const SimPod *p);
/* ca_act.c: the node runs a pod that is not a DaemonSet pod (it is not empty). */
int ca_has_movable_pods(SchedCa *ca, uint32_t node);
/* The node's scale-down-disabled annotation, or its group's. */
int ca_scale_down_disabled(SchedCa *ca, uint32_t node);
/* The same, of a node record already at hand. */
int ca_node_scale_down_disabled(const SchedCa *ca, const SimNode *n);

#endif
