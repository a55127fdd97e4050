/*
 * policy.h: cluster policy objects: PriorityClasses, PodDisruptionBudgets,
 * ResourceQuotas and LimitRanges, and the API-server admission step that
 * applies them when a pod is created (k8s-behaviour.md §3.10, §4, §6).
 * Objects are per region (each region is its own cluster); a namespace name
 * is the same in every region. Selector arrays are borrowed from the
 * declarer, who keeps them alive as long as the engine.
 */
#ifndef KUBESIM_SIM_POLICY_H
#define KUBESIM_SIM_POLICY_H

#include "sim/model.h"

/* ---- PriorityClass (scheduling.k8s.io/v1) ------------------------------ */
typedef struct SimPriorityClass {
    char *name;
    int32_t value;
    int global_default;
    int preempt_never;      /* preemptionPolicy: Never */
} SimPriorityClass;

int sim_priorityclass_add(SimEngine *e, const SimPriorityClass *pc, uint32_t *id);
/* NULL if no class of that name. */
const SimPriorityClass *sim_priorityclass_find(SimEngine *e, const char *name);
/* The globalDefault class, or NULL (then pods without a class get 0). */
const SimPriorityClass *sim_priorityclass_default(SimEngine *e);

/* ---- PodDisruptionBudget (policy/v1) ----------------------------------- */
typedef struct SimPdb {
    char *name;
    uint32_t region, ns;
    SimSelector selector;   /* over the pods' labels (borrowed) */
    int max_unavailable;    /* 1: maxUnavailable; 0: minAvailable */
    int percent;            /* value is a percentage */
    int32_t value;
} SimPdb;

int sim_pdb_add(SimEngine *e, const SimPdb *pdb, uint32_t *id);
uint32_t sim_pdb_count(const SimEngine *e);
SimPdb *sim_pdb(SimEngine *e, uint32_t id);
/* Does the PDB select the pod (same region and namespace, selector matches)? */
int sim_pdb_covers(SimEngine *e, uint32_t pdb, uint32_t pod);
/* status.disruptionsAllowed now: max(0, currentHealthy - desiredHealthy) with
 * expected/healthy counted over the pods it covers (k8s-behaviour.md §6). */
int32_t sim_pdb_disruptions_allowed(SimEngine *e, uint32_t pdb);

#endif
