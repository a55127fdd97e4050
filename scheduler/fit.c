/*
 * fit.c: NodeResourcesFit and NodeResourcesBalancedAllocation
 * (k8s-behaviour.md §3.3-§3.4; upstream plugins/noderesources).
 *
 * Fit filter: pod slots, cpu, memory and nvidia.com/gpu must fit in
 * allocatable minus what the node's pods request (actual requests).
 * LeastAllocated score, cpu and memory weight 1: (alloc - requested_after) *
 * 100 / alloc per resource with the non-zero request defaults, integer
 * maths, then Σ w·s / Σ w over the resources the node has (allocatable > 0).
 * BalancedAllocation: f_r = min(1, requested_after_r / alloc_r) with actual
 * requests, score = int64((1 - |f_cpu - f_mem| / 2) * 100); PreScore skips
 * it for a pod that requests neither cpu nor memory (upstream since 1.33,
 * kubernetes#129138). The cycle filters with sched_fit_code; both scores'
 * per-node math is sched_least_score and sched_balanced (sched_int.h).
 */
#include "scheduler/sched_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Upstream fitsRequest checks the pod count first and then reports every
 * resource that is short, in this order. */
static uint32_t fit_mask(const SimRes *r, int64_t free_pods, int64_t free_cpu, int64_t free_mem, int64_t free_gpu)
{
    uint32_t m = 0;
    if (free_pods < 1)
        m |= FIT_PODS;
    if (r->cpu_m > 0 && r->cpu_m > free_cpu)
        m |= FIT_CPU;
    if (r->mem > 0 && r->mem > free_mem)
        m |= FIT_MEM;
    if (r->gpu > 0 && r->gpu > free_gpu)
        m |= FIT_GPU;
    return m;
}

/* Requests of pods nominated to this node (after preemption) with a priority
 * at least the pod's: upstream adds them to the node before filtering
 * (RunFilterPluginsWithNominatedPods). Simplification: only their resources
 * are reserved; their labels do not count for spread and affinity. */
static SimRes nominated_reserved(const SchedCycleState *st, uint32_t li)
{
    SimRes sum = {0, 0, 0, 0};
    uint32_t node = sim_region(st->e, st->rg->id)->nodes[li];
    for (size_t i = 0; i < st->rg->nnom; i++) {
        uint32_t pod = st->rg->nominated[i];
        const SimPod *q = sim_pod(st->e, pod);
        if (pod == st->pod || q->nominated_node != node || q->priority < st->p->priority ||
            q->phase != SIM_POD_PENDING)
            continue;
        sum.cpu_m += q->req.cpu_m;
        sum.mem += q->req.mem;
        sum.gpu += q->req.gpu;
        sum.pods += 1;
    }
    return sum;
}

uint32_t sched_fit_code(const SchedCycleState *st, const SchedRow *row, uint32_t li)
{
    SimRes nom = {0, 0, 0, 0};
    if (row->flags & ROW_NOMINATED)
        nom = nominated_reserved(st, li);
    uint32_t m = fit_mask(&st->p->req, (int64_t)row->free_pods - nom.pods,
                          row->free_cpu - nom.cpu_m, row->free_mem - nom.mem,
                          row->free_gpu - nom.gpu);
    return m ? R_MAKE(R_FIT, m) : R_PASS;
}
