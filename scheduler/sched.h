/*
 * sched.h: the kube-scheduler emulation (prefix sched_). One SchedScheduler per
 * engine keeps a scheduling queue per region (each region is its own cluster)
 * and places pods with the plugins of the default profile (k8s-behaviour.md
 * §3): Filter plugins reject nodes with Kubernetes' own reason text, Score
 * plugins give 0..100 per node after their NormalizeScore, and the weighted
 * sum picks the node; ties are broken by the seeded RNG.
 */
#ifndef KUBESIM_SCHED_H
#define KUBESIM_SCHED_H

#include "sim/model.h"

#define SCHED_MAX_SCORE 100
#define SCHED_REASON_LEN 384

typedef struct SchedScheduler SchedScheduler;

/* One plugin of the default profile (k8s-behaviour.md §3.1), as `kubesim
 * explain schedule` names and weighs it. This is a description, not a
 * dispatch table: the cycle (cycle.c, rank.c) runs the plugins itself, each
 * over the arrays of a region's nodes and node classes (one filter pass with
 * a reason code per node, then one pass per Score plugin and its
 * NormalizeScore), and indexes this table by the same plugin numbers for
 * the weights and for the names a verdict reports. */
typedef struct SchedPlugin {
    const char *name;
    int32_t weight;          /* score weight; 0 for filter-only plugins */
    uint8_t filters;         /* has a Filter extension point */
    uint8_t scores;          /* has a Score extension point */
} SchedPlugin;

/* The default profile's plugins in upstream order; *n gets the count. */
const SchedPlugin *sched_default_plugins(size_t *n);

/* Creates the scheduler of engine e and registers its listeners and cycle
 * handler; NULL on out of memory (message on the engine). Pods already bound
 * are counted; Pending pods created before it are not queued. */
SchedScheduler *sched_create(SimEngine *e);
void sched_destroy(SchedScheduler *s);
/* The engine the scheduler belongs to. */
SimEngine *sched_engine(SchedScheduler *s);

/* Upstream's numFeasibleNodesToFind with percentageOfNodesToScore 0 (adaptive):
 * how many feasible nodes a cycle looks for among n nodes. */
uint32_t sched_num_feasible_to_find(uint32_t n);

/* Result of placing one pod, for tests and `explain`. */
typedef struct SchedResult {
    uint32_t node;                  /* chosen node, SIM_NONE if none fits */
    uint32_t feasible;              /* feasible nodes found */
    uint32_t examined;              /* nodes examined */
    uint32_t rejected;              /* bit k: profile plugin k rejected a node */
    char reason[SCHED_REASON_LEN];  /* when none fits: "0/N nodes are available: ..." */
} SchedResult;

/* Runs one scheduling cycle for a Pending pod without binding it (the
 * rotating start index and the tie-break RNG advance as in a real cycle). */
int sched_place(SchedScheduler *s, uint32_t pod, SchedResult *out);

/* Upstream's calculateBackoffDuration: how long a pod waits in the backoff
 * queue after its attempts-th failed attempt: 1 s doubling, at most 10 s. */
SimTime sched_backoff_duration(uint32_t attempts);

/* Tells the scheduler that something it mirrors of a node changed outside
 * the listeners (spec.unschedulable set or cleared, the node removed). */
void sched_node_changed(SchedScheduler *s, uint32_t node);

/* ---- for preemption and `explain` -------------------------------------- */
#define SCHED_MAX_PLUGINS 24

/* Runs every Filter plugin of the profile for pod on node, in order; with
 * skip_fit, NodeResourcesFit is left out (preemption checks resources itself
 * with the victims removed). Returns 1 if the node passes, else 0 with the
 * failing plugin's name in *plugin and its reason text in reason. */
int sched_filter_node(SchedScheduler *s, uint32_t pod, uint32_t node, int skip_fit,
                      char *reason, size_t len, const char **plugin);

/* One node's verdict in a cycle, as `kubesim explain schedule` prints it. */
typedef struct SchedNodeVerdict {
    uint32_t node;
    int examined;                       /* 0: sampling stopped before it */
    int passed;
    const char *plugin;                 /* the Filter that rejected it, or NULL */
    char reason[SCHED_REASON_LEN];
    int64_t scores[SCHED_MAX_PLUGINS];  /* normalized 0..100 per profile plugin index;
                                           -1 for plugins that do not score */
    int64_t total;                      /* Σ weight × score */
} SchedNodeVerdict;

/* Runs one cycle for a Pending pod without binding it and reports every node
 * of its region in v (v[i] for the region's i-th node; nv >= the region's node
 * count). Uses the same sampling and tie-breaking as a real cycle. */
int sched_explain(SchedScheduler *s, uint32_t pod, SchedNodeVerdict *v, size_t nv, SchedResult *out);

/* DefaultPreemption's PostFilter (k8s-behaviour.md §3.10), in preempt.c: the
 * cycle calls it when pod fits no node and its preemptionPolicy is not Never.
 * Returns SIM_OK when it nominated a node (victims deleted, pod's
 * nominated_node set), SIM_DONE when no preemption helps, or an error. */
int sched_preempt(SchedScheduler *s, uint32_t pod);

/* ---- preemption (scheduler/preempt.c) ------------------------------------ */
/* Upstream calculateNumCandidates with the default DefaultPreemptionArgs:
 * how many candidate nodes a preemption dry run looks for among n potential
 * nodes, max(n × 10 %, 100), at most n. */
uint32_t sched_preempt_num_candidates(uint32_t n);

/* Chooses, for a Pending pod, the node and the victims preemption would take
 * without changing anything (not even the scheduler's random stream), for
 * `kubesim explain schedule`; sched_preempt() makes the same choice, then
 * deletes the victims (each counted in stats pods_preempted and traced
 * pod_preempt) and sets and traces the nomination. Returns SIM_OK with the
 * node in *node, the victim count in *nvictims and the first min(count, max)
 * victims in victims, most important first (victims may be NULL when max is
 * 0); SIM_DONE with *node SIM_NONE and *nvictims 0 when the pod may not
 * preempt (sim_pod_preempt_never) or no node can be freed for it; or an error
 * (SIM_ESTATE for a pod that is not Pending, SIM_ENOMEM). */
int sched_preempt_plan(SchedScheduler *s, uint32_t pod, uint32_t *node, uint32_t *victims, size_t max,
                       size_t *nvictims);

#endif
