/*
 * deployment.c: the Deployment controller. A Deployment keeps `replicas` pods
 * that run until deleted.
 * Simplifications (README "Fidelity"): no ReplicaSet layer or rolling update
 * yet; a scale-down deletes the newest pods first without upstream's full
 * ranking.
 */
#include "workloads/wl_int.h"

/* Deletes the n newest live pods of a workload (Pending ones go first since
 * they are newest in creation order too). */
static int delete_newest(WlControllers *c, uint32_t wl, int32_t n)
{
    for (uint32_t i = sim_pod_count(c->e); i-- > 0 && n > 0;) {
        SimPod *p = sim_pod(c->e, i);
        if (p->wl != wl || p->phase > SIM_POD_RUNNING)
            continue;
        int rc = sim_pod_delete(c->e, i);
        if (rc != SIM_OK)
            return rc;
        n--;
    }
    return SIM_OK;
}

int wl_deploy_reconcile(WlControllers *c, uint32_t wl)
{
    SimWorkload *w = sim_workload(c->e, wl);
    int32_t diff = w->replicas - w->active;
    if (diff > 0)
        return wl_create_pods(c, wl, diff);
    if (diff < 0)
        return delete_newest(c, wl, -diff);
    return SIM_OK;
}

