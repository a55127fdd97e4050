/*
 * ca.h: the cluster autoscaler (prefix sched_ca_), k8s-behaviour.md §2.
 *
 * One SchedCa per engine runs upstream's main loop per region (each region is
 * its own cluster with its own autoscaler) every scan interval: scale-up for
 * unschedulable pods first (template nodes of each node group checked with
 * the scheduler's own filters, binpacking estimator, expander chain, group and
 * cluster limits, provisioning deadline and backoff); scale-down only in a
 * loop that did not scale up (utilisation under the threshold for the
 * unneeded time, pods movable elsewhere, no blocking pod, drains by eviction
 * that honours PDBs, empty nodes in bulk).
 *
 * sched_ca_plan() computes what a loop would decide without acting, for
 * `kubesim explain autoscaler`, tests and the benchmark; the loop acts on
 * the same plan, so what explain prints is what a run does.
 */
#ifndef KUBESIM_SCHED_CA_H
#define KUBESIM_SCHED_CA_H

#include "scheduler/sched.h"

/* The autoscaler's trace records (numbers fixed: sim/trace.h). */
enum {
    SCHED_TR_CA_SCALE_UP = 40,    /* region group delta pods: grows group by delta nodes for pods pending pods */
    SCHED_TR_CA_SCALE_DOWN = 41,  /* node reason: removes a node (empty, drain) */
    SCHED_TR_CA_BACKOFF = 42,     /* group until_ns reason: a group is backed off (provisioning failed) */
    SCHED_TR_CA_DECISION = 46,    /* region group delta pods expander rejected: the scale-up a loop
                                     chose (traced before its nodes) and, in rejected, every other
                                     group of the region and why ("NAME: why; ...") */
    SCHED_TR_CA_NO_SCALE_UP = 47  /* pod reason: why no group helps a Pending pod, upstream's
                                     NotTriggerScaleUp text ("pod didn't trigger scale-up: 1 max
                                     node group size reached, ..."); traced when it changes */
};
int sched_ca_trace_kinds(SimTrSchema *s);

typedef struct SchedCa SchedCa;

typedef enum SchedCaExpander {
    SCHED_CA_LEAST_WASTE = 0,   /* upstream's default */
    SCHED_CA_PRICE,
    SCHED_CA_PRIORITY,          /* SimNodeGroup.expander_priority, highest wins */
    SCHED_CA_MOST_PODS,
    SCHED_CA_LEAST_NODES,
    SCHED_CA_RANDOM,
    SCHED_CA_EXPANDER_COUNT
} SchedCaExpander;

#define SCHED_CA_MAX_EXPANDERS 4

/* Upstream's flags (k8s-behaviour.md §2.1); sched_ca_config_default() fills
 * their defaults. */
typedef struct SchedCaConfig {
    int enabled;                              /* 1 */
    SimTime scan_interval;                    /* 10 s */
    SchedCaExpander expanders[SCHED_CA_MAX_EXPANDERS];   /* a chain; leftover ties random */
    size_t nexpanders;                        /* 1: least-waste */
    int32_t max_nodes_total;                  /* 0: unlimited (per region: each is a cluster) */
    int32_t max_nodes_per_scaleup;            /* 1000 */
    SimTime max_node_provision_time;          /* 15 min */
    SimTime initial_backoff, max_backoff;     /* 5 min, 30 min */
    int32_t expendable_pods_priority_cutoff;  /* -10 */
    int scale_down_enabled;                   /* 1 */
    double scale_down_utilization_threshold;  /* 0.5 */
    double scale_down_gpu_utilization_threshold;   /* 0.5 */
    SimTime scale_down_unneeded_time;         /* 10 min */
    SimTime scale_down_unready_time;          /* 20 min */
    SimTime scale_down_delay_after_add;       /* 10 min */
    SimTime scale_down_delay_after_delete;    /* 0 */
    SimTime scale_down_delay_after_failure;   /* 3 min */
    int32_t max_empty_bulk_delete;            /* 10 */
    int32_t scale_down_non_empty_candidates_count;   /* 30; <= 0: no cap (every node simulated) */
    double scale_down_candidates_pool_ratio;  /* 0.1 of the region's registered nodes ... */
    int32_t scale_down_candidates_pool_min_count;    /* ... but at least 50 */
    SimTime max_pod_eviction_time;            /* 2 min */
    SimTime unremovable_node_recheck_timeout; /* 5 min */
    int scale_down_exhaustive;                /* 0; 1: every pass simulates every node it judges
                                                 afresh instead of reusing the last pass's
                                                 simulations (tests: the differential's reference) */
} SchedCaConfig;

void sched_ca_config_default(SchedCaConfig *c);
/* "least-waste", "price", "priority", "most-pods", "least-nodes", "random";
 * the parse returns -1 for an unknown name. */
const char *sched_ca_expander_name(SchedCaExpander x);
int sched_ca_expander_parse(const char *name);

/* Creates the autoscaler of the scheduler's engine: registers its event
 * event kind and listeners and schedules each region's first loop one
 * scan_interval after the current time (upstream's loop waits before its
 * first RunOnce). NULL on out of memory (message on the
 * engine). With cfg->enabled 0 it exists but never acts (no loop is
 * scheduled; sched_ca_plan still works). */
SchedCa *sched_ca_create(SchedScheduler *s, const SchedCaConfig *cfg);
/* Nodes this autoscaler removed (summary.json autoscaler.nodes_removed; the
 * autoscaler registers that section, at this rank, when created). */
enum { SCHED_CA_SUMMARY_RANK = 200 };
uint64_t sched_ca_nodes_removed(const SchedCa *ca);
void sched_ca_destroy(SchedCa *ca);
/* Marks every node of group as scale-down-disabled for the autoscaler
 * (upstream's cluster-autoscaler.kubernetes.io/scale-down-disabled
 * annotation on each node, set here once for the group: nodes it adds later
 * carry it too). */
void sched_ca_set_scale_down_disabled(SchedCa *ca, uint32_t group, int on);

/* ---- what one loop decides ------------------------------------------------ */
/* One node group considered for scale-up. */
typedef struct SchedCaOption {
    uint32_t group;
    int32_t nodes;          /* nodes the binpacking estimator needs (capped by the limits) */
    uint32_t pods;          /* pending pods these nodes would take */
    double score;           /* the first expander's score: least-waste's wasted CPU + memory
                               fraction, price's cost per pod-fit, priority's value,
                               most-pods' pods, least-nodes' nodes, random 0 */
    const char *excluded;   /* NULL: a real option; else why the group is left out: "at max
                               size", "backed off", "no pending pod fits the template",
                               "no unschedulable pods", "the pending pods fit on existing or
                               upcoming nodes",
                               "max-nodes-total reached" */
} SchedCaOption;

/* Why a pod blocks its node's removal: upstream's drain.BlockingPodReason
 * names (NotReplicated, LocalStorageRequested, NotSafeToEvictAnnotation,
 * UnmovableKubeSystemPod, NotEnoughPdb) and NoPlaceToMovePods for a pod that
 * fits on no other node. */
typedef struct SchedCaBlocker {
    uint32_t pod;
    const char *reason;
} SchedCaBlocker;

#define SCHED_CA_MAX_BLOCKERS 8

/* One node's scale-down verdict. */
typedef struct SchedCaNodeVerdict {
    uint32_t node;
    double utilization;     /* 0..1: max(cpu, memory) of requests over allocatable; GPU
                               nodes: the GPU fraction */
    int unneeded;           /* passes every scale-down check now (timers aside) */
    const char *unremovable;   /* NULL, or upstream's UnremovableReason: NotUnderutilized,
                                  ScaleDownDisabledAnnotation, NodeGroupMinSizeReached,
                                  BlockedByPod, NoPlaceToMovePods, ... */
    SchedCaBlocker blockers[SCHED_CA_MAX_BLOCKERS];
    size_t nblockers;       /* the first SCHED_CA_MAX_BLOCKERS of them */
} SchedCaNodeVerdict;

typedef struct SchedCaPlan {
    uint32_t region;
    uint32_t candidates;    /* unschedulable pods the scale-up considered */
    SchedCaOption *options; /* one per node group of the region, in group order */
    size_t noptions;
    int32_t chosen;         /* index into options, -1 for no scale-up */
    int32_t delta;          /* nodes the chosen group grows by */
    SchedCaNodeVerdict *nodes;   /* one per Ready node of the region, in node order; empty
                                    when the loop scales up (no scale-down then) */
    size_t nnodes;
    uint32_t pool;          /* the scale-down's pool: non-empty nodes not unneeded in the last
                               loop that it may simulate (scale-down-candidates-pool-*) */
    uint32_t capped;        /* verdicts NotUnneededOtherReason: left out by the caps */
} SchedCaPlan;

/* Computes what a loop of region would decide now, without acting and
 * without drawing from any random stream the run uses (a random expander
 * draws from a copy). SIM_OK, or SIM_ENOMEM. */
int sched_ca_plan(SchedCa *ca, uint32_t region, SchedCaPlan *out);
void sched_ca_plan_free(SchedCa *ca, SchedCaPlan *p);

/* Drain simulations of the scale-down passes so far: reused from the pass
 * before (nothing they read had changed) and run. */
void sched_ca_down_stats(const SchedCa *ca, uint64_t *reused, uint64_t *run);

/* Runs one loop of region now (what the periodic event does): tests and the
 * benchmark call it directly. */
int sched_ca_loop(SchedCa *ca, uint32_t region);

/* Called at the start of every loop of every region that runs (not while the
 * region is down), before it plans or acts. It must not change the engine.
 * One watcher per autoscaler; NULL removes it. For `explain autoscaler
 * --from`, which writes its case there (sched_ca_explain_case_from). */
typedef void (*SchedCaWatchFn)(void *ctx, SchedCa *ca, uint32_t region);
void sched_ca_watch(SchedCa *ca, SchedCaWatchFn fn, void *ctx);
/* The plan region's last loop acted on (a loop that found nothing changed
 * keeps the one before), or NULL before its first loop. Valid until the
 * next loop or plan. */
const SchedCaPlan *sched_ca_last_plan(const SchedCa *ca, uint32_t region);
SimEngine *sched_ca_engine(const SchedCa *ca);
const SchedCaConfig *sched_ca_config(const SchedCa *ca);

#endif
