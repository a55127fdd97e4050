/*
 * job.c: the Job controller. A Job runs pods of a fixed duration (or of a
 * backtest's counted work), at most `parallelism` at a time, until
 * `completions` have succeeded.
 * Simplifications (README "Fidelity"): Job pods never fail, so backoffLimit
 * is not exercised.
 */
#include "workloads/wl_int.h"

#include "sim/policy.h"

int wl_job_reconcile(WlControllers *c, uint32_t wl)
{
    SimWorkload *w = sim_workload(c->e, wl);
    if (w->finished)
        return SIM_OK;
    int rc = sim_admit_job(c->e, wl);   /* the Job object is created now (count/jobs.batch) */
    if (rc != SIM_OK)
        return rc == SIM_EFORBIDDEN ? SIM_OK : rc;   /* refused: the Job never exists, nothing retries */
    int32_t remaining = w->completions - w->succeeded;
    int32_t want = remaining < w->replicas ? remaining : w->replicas;
    return want > w->active ? wl_create_pods(c, wl, want - w->active) : SIM_OK;
}


static void job_pod_succeeded(WlControllers *c, SimWorkload *w)
{
    w->succeeded++;
    if (w->succeeded >= w->completions && !w->finished) {
        w->finished = 1;
        sim_stats(c->e)->jobs_succeeded++;
    }
}

void wl_job_pod_terminated(WlControllers *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    if (p->phase != SIM_POD_SUCCEEDED)
        return;
    job_pod_succeeded(c, sim_workload(c->e, p->wl));
    wl_bt_pod_succeeded(c, pod);
}
