/*
 * tw.h: a small engine "world" for the Check suites (prefix tw_).
 *
 * Most controller suites run the same cluster: one region, one namespace, one
 * node group of identical Ready nodes spread round-robin over the region's
 * zones, then the scheduler and the workload controllers. TwOpts says how the
 * suites differ; a zero field takes the default named beside it. The builder
 * is fallible (tw_build) so that out-of-memory sweeps can use it too.
 */
#ifndef KUBESIM_TESTS_TW_H
#define KUBESIM_TESTS_TW_H

#include "scheduler/sched.h"
#include "workloads/wl.h"

#define TW_MAX_ZONES 4

typedef struct TwOpts {
    uint64_t seed;
    SimTime end;
    SimMem *mem;            /* NULL: the default allocator */
    const char *region;     /* "eu" */
    const char *ns;         /* "default" */
    int nzones;             /* zones <region>-a, <region>-b, ... (at most TW_MAX_ZONES) */
    const char *group;      /* "general" */
    SimRes alloc;           /* of one node; .pods 0 means 110 */
    double price;           /* per node-hour */
    int32_t max;            /* the group's maximum size */
    int nodes;              /* added Ready at time 0 */
    int spot;               /* a spot group ... */
    double spot_rate;       /* ... interrupted this often per node-hour */
} TwOpts;

typedef struct TwWorld {
    SimEngine *e;
    SchedScheduler *s;
    WlControllers *c;
    uint32_t region, ns, group;
    uint32_t zones[TW_MAX_ZONES];
} TwWorld;

/* Builds the world of o into *w. Returns SIM_OK, or the first failure (from
 * o->mem's allocator, say) with *w partly built: tw_free it either way. */
int tw_build(TwWorld *w, const TwOpts *o);
/* tw_build that asserts it worked. */
TwWorld tw_world(const TwOpts *o);
/* Destroys the controllers, the scheduler and the engine (any may be NULL). */
void tw_free(TwWorld *w);

#endif
