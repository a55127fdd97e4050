/*
 * sched.c: the scheduler's lifetime and its listeners. The listeners keep the
 * mirror of the cluster (rows, group counts: index.c) in step with every bind,
 * termination and node that becomes Ready, and tell the queue (queue.c) about
 * the events that may make an unschedulable pod schedulable.
 *
 * Invariant: every pod bound while the scheduler exists was counted once by
 * on_pod_bound and is uncounted once by on_pod_terminated; pods bound before
 * it was created are counted by sched_backfill at creation.
 */
#include "scheduler/sched_int.h"

#include <stdlib.h>

uint32_t sched_num_feasible_to_find(uint32_t n)
{
    const uint32_t min_feasible = 100, min_pct = 5;
    if (n < min_feasible)
        return n;
    int64_t pct = 50 - (int64_t)n / 125;
    if (pct < (int64_t)min_pct)
        pct = min_pct;
    uint32_t k = (uint32_t)((int64_t)n * pct / 100);
    return k < min_feasible ? min_feasible : k;
}

SimEngine *sched_engine(SchedScheduler *s) { return s->e; }

/* ---- the per-cycle arena --------------------------------------------------- */
#define ARENA_BLOCK ((size_t)64 * 1024)

/* n bytes of 16-byte aligned scratch valid until the next sched_prepare. */
void *sched_scratch(SchedScheduler *s, size_t n)
{
    SchedArena *a = &s->arena;
    n = (n + 15) & ~(size_t)15;
    while (a->cur < a->nblocks && a->used + n > a->blocks[a->cur].size) {
        a->cur++;
        a->used = 0;
    }
    if (a->cur == a->nblocks) {
        size_t sz = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        SimMem *m = sim_mem(s->e);
        if (sim_mem_grow(m, (void **)&a->blocks, &a->capblocks, a->nblocks + 1, sizeof *a->blocks))
            return NULL;
        if ((a->blocks[a->nblocks].p = sim_mem_alloc(m, sz)) == NULL)
            return NULL;
        a->blocks[a->nblocks++].size = sz;
        a->used = 0;
    }
    void *p = a->blocks[a->cur].p + a->used;
    a->used += n;
    return p;
}

static void arena_free(SchedScheduler *s)
{
    SchedArena *a = &s->arena;
    SimMem *m = sim_mem(s->e);
    for (size_t i = 0; i < a->nblocks; i++)
        sim_mem_free(m, a->blocks[i].p, a->blocks[i].size);
    sim_mem_free(m, a->blocks, a->capblocks * sizeof *a->blocks);
}

/* ---- listeners ------------------------------------------------------------- */
static SchedRegion *region_of(SchedScheduler *s, uint32_t region)
{
    SchedRegion *rg = sched_region(s, region);
    if (rg == NULL || sched_region_sync(s, rg) != SIM_OK) {
        sim_fail(s->e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    return rg;
}

static void on_pod_created(void *ctx, SimEngine *e, uint32_t pod)
{
    SchedScheduler *s = ctx;
    if (sched_wl(s, sim_pod(e, pod)->wl) == NULL || sched_queue_add(s, pod) != SIM_OK)
        sim_fail(e, SIM_ENOMEM, "out of memory queueing a pod");
}

static void on_pod_bound(void *ctx, SimEngine *e, uint32_t pod)
{
    SchedScheduler *s = ctx;
    const SimPod *p = sim_pod(e, pod);
    SchedRegion *rg = region_of(s, p->region);
    if (rg == NULL)
        return;
    sched_row_refresh(s, rg, p->node);
    sched_count_pod(s, pod, 1);
    sched_queue_pod_gone(s, pod);
    sched_nominated_update(s, rg, pod);
    rg->gen++;
    sched_queue_pod_bound(s, rg, pod);
}

static void on_pod_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    SchedScheduler *s = ctx;
    const SimPod *p = sim_pod(e, pod);
    SchedRegion *rg = region_of(s, p->region);
    if (rg == NULL)
        return;
    sched_queue_pod_gone(s, pod);
    sched_nominated_update(s, rg, pod);
    if (p->node == SIM_NONE || p->bound_at < 0)
        return;   /* a Pending pod deleted: frees nothing */
    sched_row_refresh(s, rg, p->node);
    sched_count_pod(s, pod, -1);
    rg->gen++;
    rg->moves++;
    sched_queue_pod_terminated(s, rg, pod, sched_local(s, p->node));
}

/* A terminating pod left its node (its counts went when its deletion began):
 * the room it held is free now. */
static void on_pod_gone(void *ctx, SimEngine *e, uint32_t pod)
{
    SchedScheduler *s = ctx;
    const SimPod *p = sim_pod(e, pod);
    SchedRegion *rg = region_of(s, p->region);
    if (rg == NULL)
        return;
    sched_row_refresh(s, rg, p->node);
    rg->gen++;
    rg->moves++;
    uint32_t li = sched_local(s, p->node);
    if (li != SCHED_NONE)
        sched_queue_node_ready(s, rg, li);
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    SchedScheduler *s = ctx;
    SchedRegion *rg = region_of(s, sim_node(e, node)->region);
    if (rg == NULL)
        return;
    sched_row_refresh(s, rg, node);
    rg->gen++;
    rg->moves++;
    sched_queue_node_ready(s, rg, sched_local(s, node));
}

void sched_node_changed(SchedScheduler *s, uint32_t node)
{
    SchedRegion *rg = region_of(s, sim_node(s->e, node)->region);
    if (rg == NULL)
        return;
    sched_row_refresh(s, rg, node);
    rg->gen++;
    rg->moves++;
    if (sim_node(s->e, node)->state == SIM_NODE_READY && !sim_node(s->e, node)->unschedulable)
        sched_queue_node_ready(s, rg, sched_local(s, node));
}

static void on_node_changed(void *ctx, SimEngine *e, uint32_t node)
{
    (void)e;
    sched_node_changed(ctx, node);
}

static void on_region_changed(void *ctx, SimEngine *e, uint32_t region)
{
    SchedScheduler *s = ctx;
    if (!sim_region_up(e, region))
        return;   /* cycles stop by themselves (sched_queue_on_event) */
    SchedRegion *rg = region_of(s, region);
    if (rg != NULL)
        sched_queue_region_up(s, rg);
}

/* ---- lifetime --------------------------------------------------------------- */
SchedScheduler *sched_create(SimEngine *e)
{
    SchedScheduler *s = sim_mem_calloc(sim_mem(e), 1, sizeof *s);
    if (s == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    s->e = e;
    s->plugins = sched_default_plugins(&s->nplugins);
    SimListener l = {.ctx = s, .pod_created = on_pod_created, .pod_bound = on_pod_bound,
                     .pod_terminated = on_pod_terminated, .pod_gone = on_pod_gone, .node_ready = on_node_ready,
                     .node_changed = on_node_changed, .region_changed = on_region_changed};
    if (sched_backfill(s) != SIM_OK || sim_engine_listen(e, &l) != SIM_OK ||
        sim_event_kind(e, "sched_cycle", sched_queue_on_event, s, &s->ev) != SIM_OK) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        sched_destroy(s);
        return NULL;
    }
    return s;
}

void sched_destroy(SchedScheduler *s)
{
    if (s == NULL)
        return;
    SimMem *m = sim_mem(s->e);
    sched_queue_free(s);
    sched_index_free(s);
    arena_free(s);
    sim_mem_free(m, s->total, s->capf * (sizeof(int64_t) * 2 + sizeof(uint32_t)));
    sim_mem_free(m, s->kb, s->capkb * sizeof *s->kb);
    sim_mem_free(m, s->kbkeys, s->capkbkeys * sizeof *s->kbkeys);
    sim_mem_free(m, s, sizeof *s);
}
