/*
 * eviction.c: the Eviction API (the pods/eviction subresource of
 * pkg/registry/core/pod/storage/eviction.go, k8s-behaviour.md §6), the one
 * way to delete a pod that honours PodDisruptionBudgets. Drains and the
 * cluster autoscaler evict; controllers and preemption delete.
 *
 * Invariant: a Running pod leaves through here only if every PDB covering it
 * (at most one) had disruptionsAllowed > 0 at that instant; the eviction
 * itself then lowers the budget's healthy count at once (lifecycle.c), which
 * stands in for upstream's decrement of status.disruptionsAllowed.
 *
 * Simplifications (README "Fidelity"): the budget is policy.c's, whose
 * expectedPods is the live pods it covers, so with maxUnavailable or a
 * percentage the budget does not shrink by an eviction until the controller
 * has replaced the pod (upstream counts the controllers' scale); no
 * unhealthyPodEvictionPolicy (a pod that is not Running is Pending here and
 * is evicted without a budget check, as upstream does for phase Pending);
 * no DeleteOptions, dry run or graceful termination: the pod is gone at once.
 */
#include "sim/sim_int.h"

#include <stdio.h>

/* Upstream canIgnorePDB: phase Pending (created or bound, not yet Running),
 * Succeeded or Failed. */
static int ignores_pdb(const SimPod *p)
{
    return p->phase != SIM_POD_RUNNING;
}

/* The PDB covering the pod, SIM_NONE for none; *n counts them. */
static uint32_t covering_pdb(SimEngine *e, uint32_t pod, uint32_t *n)
{
    uint32_t found = SIM_NONE;
    *n = 0;
    for (uint32_t i = 0; i < (uint32_t)e->pdbs.n; i++)
        if (sim_pdb_covers(e, i, pod)) {
            found = i;
            ++*n;
        }
    return found;
}

static int evict_now(SimEngine *e, uint32_t pod, const char *reason)
{
    e->stats.pods_evicted++;
    sim_trace_rec(e, SIM_TR_POD_EVICT, (SimTrVal[]){SIM_TRI(pod), SIM_TRS(reason ? reason : "")}, 2);
    return sim_pod_delete(e, pod);
}

int sim_pod_preempt(SimEngine *e, uint32_t victim, uint32_t preemptor, uint32_t node)
{
    sim_trace_rec(e, SIM_TR_POD_PREEMPT, (SimTrVal[]){SIM_TRI(victim), SIM_TRI(preemptor), SIM_TRI(node)}, 3);
    int rc = sim_pod_delete(e, victim);
    if (rc == SIM_OK)
        e->stats.pods_preempted++;
    return rc;
}

int sim_pod_evict(SimEngine *e, uint32_t pod, const char *reason)
{
    const SimPod *p = sim_pod(e, pod);
    if (p->phase == SIM_POD_DELETED) {
        char name[160];
        sim_pod_name(e, pod, name, sizeof name);
        return sim_fail(e, SIM_ESTATE, "pods \"%s\" not found", name);
    }
    if (ignores_pdb(p))
        return evict_now(e, pod, reason);
    uint32_t n;
    uint32_t pdb = covering_pdb(e, pod, &n);
    if (n > 1)   /* HTTP 500 */
        return sim_fail(e, SIM_EFORBIDDEN, "%s", SIM_EVICT_MSG_MULTI);
    if (n == 1 && sim_pdb_disruptions_allowed(e, pdb) == 0)   /* HTTP 429 TooManyRequests */
        return sim_fail(e, SIM_EFORBIDDEN, "%s", SIM_EVICT_MSG_PDB);
    return evict_now(e, pod, reason);
}
