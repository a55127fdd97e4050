/*
 * fit.c: the NodeResourcesFit plugin. Filter: every requested resource (pod
 * slots, cpu, memory, nvidia.com/gpu) must fit in allocatable minus what the
 * node's pods request. Score (LeastAllocated, cpu and memory weight 1):
 * (alloc - requested_after) * 100 / alloc per resource, integer maths, then
 * the weighted mean, using non-zero request defaults as upstream does.
 */
#include "scheduler/sched.h"

#include <stdio.h>
#include <string.h>

static void add_reason(char *reason, size_t len, const char *text)
{
    size_t used = strlen(reason);
    snprintf(reason + used, len - used, "%s%s", used ? ", " : "", text);
}

int sched_fit_filter(const SchedCycle *c, const SimNode *n, char *reason, size_t len)
{
    const SimRes *r = &c->p->req;
    reason[0] = '\0';
    /* Upstream checks the pod count first and then reports every resource that
     * is short, in this order (noderesources/fit.go fitsRequest). */
    if (n->req.pods + 1 > n->alloc.pods)
        add_reason(reason, len, "Too many pods");
    if (r->cpu_m > 0 && r->cpu_m > n->alloc.cpu_m - n->req.cpu_m)
        add_reason(reason, len, "Insufficient cpu");
    if (r->mem > 0 && r->mem > n->alloc.mem - n->req.mem)
        add_reason(reason, len, "Insufficient memory");
    if (r->gpu > 0 && r->gpu > n->alloc.gpu - n->req.gpu)
        add_reason(reason, len, "Insufficient nvidia.com/gpu");
    return reason[0] == '\0';
}

static int64_t least_allocated(int64_t requested, int64_t alloc)
{
    if (alloc == 0 || requested > alloc)
        return 0;
    return (alloc - requested) * SCHED_MAX_SCORE / alloc;
}

int64_t sched_fit_score_least_allocated(const SchedCycle *c, const SimNode *n)
{
    const SimRes *nz = &c->p->nz_req;
    int64_t cpu = least_allocated(n->nz_req.cpu_m + nz->cpu_m, n->alloc.cpu_m);
    int64_t mem = least_allocated(n->nz_req.mem + nz->mem, n->alloc.mem);
    return (cpu * 1 + mem * 1) / 2;
}
