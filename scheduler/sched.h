/*
 * sched.h: the kube-scheduler emulation (prefix sched_). One SchedScheduler per
 * engine keeps a queue per region (each region is its own cluster) and places
 * pods with the plugins of a profile: Filter plugins reject nodes with
 * Kubernetes' own reason text, Score plugins give 0..100 per node, and the
 * weighted sum picks the node; ties are broken by the seeded RNG.
 */
#ifndef KUBESIM_SCHED_H
#define KUBESIM_SCHED_H

#include "sim/model.h"

#define SCHED_MAX_SCORE 100
#define SCHED_REASON_LEN 160

typedef struct SchedScheduler SchedScheduler;

/* The pod being placed and what the cycle knows of it. */
typedef struct SchedCycle {
    SimEngine *e;
    uint32_t pod;
    const SimPod *p;
} SchedCycle;

/* A Filter returns 1 if the node passes; else 0 with the reason in reason
 * (e.g. "Insufficient cpu"). */
typedef int (*SchedFilterFn)(const SchedCycle *c, const SimNode *n, char *reason, size_t len);
/* A Score returns the node's raw score. */
typedef int64_t (*SchedScoreFn)(const SchedCycle *c, const SimNode *n);
/* NormalizeScore maps raw scores of the feasible nodes to 0..100 in place. */
typedef void (*SchedNormalizeFn)(const SchedCycle *c, int64_t *scores, size_t n);

typedef struct SchedPlugin {
    const char *name;
    int32_t weight;          /* score weight; 0 for filter-only plugins */
    SchedFilterFn filter;    /* NULL: no filter */
    SchedScoreFn score;      /* NULL: no score */
    SchedNormalizeFn normalize;
} SchedPlugin;

/* The default profile's plugins in upstream order (see k8s-behaviour.md §3.1);
 * *n gets the count. */
const SchedPlugin *sched_default_plugins(size_t *n);

/* NodeResourcesFit (k8s-behaviour.md §3.3). */
int sched_fit_filter(const SchedCycle *c, const SimNode *n, char *reason, size_t len);
int64_t sched_fit_score_least_allocated(const SchedCycle *c, const SimNode *n);

/* Creates the scheduler of engine e and registers its listeners and cycle
 * handler; NULL on out of memory (message on the engine). */
SchedScheduler *sched_create(SimEngine *e);
void sched_destroy(SchedScheduler *s);

/* Upstream's numFeasibleNodesToFind with percentageOfNodesToScore 0 (adaptive):
 * how many feasible nodes a cycle looks for among n nodes. */
uint32_t sched_num_feasible_to_find(uint32_t n);

/* Result of placing one pod, for tests and `explain`. */
typedef struct SchedResult {
    uint32_t node;                  /* chosen node, SIM_NONE if none fits */
    uint32_t feasible;              /* feasible nodes found */
    uint32_t examined;              /* nodes examined */
    char reason[SCHED_REASON_LEN];  /* when none fits: "0/N nodes are available: ..." */
} SchedResult;

/* Runs one scheduling cycle for a Pending pod without binding it. */
int sched_place(SchedScheduler *s, uint32_t pod, SchedResult *out);

#endif
