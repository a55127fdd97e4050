/*
 * sched.c: the scheduling queue and cycle, one queue per region.
 *
 * A pod enters its region's active queue when created; a cycle event drains
 * the queue at the same simulated instant. A pod that fits nowhere moves to the
 * unschedulable list and goes back to the active queue when the region gains
 * capacity (a node becomes Ready or a pod terminates).
 * Simplifications (README "Fidelity"): the active queue is FIFO (upstream
 * PrioritySort orders by priority, then age); a cycle takes no simulated time;
 * unschedulable pods are retried on every capacity event, with no backoff.
 */
#include "scheduler/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct SchedQueue {
    uint32_t *active;        /* FIFO: active[head .. n) */
    size_t head, n, cap;
    uint32_t *unsched;
    size_t nun, capun;
    int cycle_queued;
    uint32_t next_start;     /* rotating start index into the region's nodes */
} SchedQueue;

struct SchedScheduler {
    SimEngine *e;
    SchedQueue *queues;      /* one per region, grown on demand */
    size_t nqueues;
    const SchedPlugin *plugins;
    size_t nplugins;
    uint32_t *feasible;      /* scratch for one cycle */
    int64_t *total, *raw;
    size_t capf, capt, capr;
};

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

static SchedQueue *queue_of(SchedScheduler *s, uint32_t region)
{
    SimMem *m = sim_mem(s->e);
    if (region >= s->nqueues) {
        size_t nq = sim_region_count(s->e);
        SchedQueue *q = sim_mem_realloc(m, s->queues, s->nqueues * sizeof *q, nq * sizeof *q);
        if (q == NULL)
            return NULL;
        memset(q + s->nqueues, 0, (nq - s->nqueues) * sizeof *q);
        s->queues = q;
        s->nqueues = nq;
    }
    return &s->queues[region];
}

static int active_push(SchedScheduler *s, SchedQueue *q, uint32_t pod)
{
    if (q->head > 0 && q->n == q->cap) {   /* compact before growing */
        memmove(q->active, q->active + q->head, (q->n - q->head) * sizeof *q->active);
        q->n -= q->head;
        q->head = 0;
    }
    if (sim_mem_grow(sim_mem(s->e), (void **)&q->active, &q->cap, q->n + 1, sizeof *q->active))
        return SIM_ENOMEM;
    q->active[q->n++] = pod;
    return SIM_OK;
}

static void cycle_request(SchedScheduler *s, uint32_t region, SchedQueue *q)
{
    if (q->cycle_queued)
        return;
    q->cycle_queued = 1;
    (void)sim_schedule(s->e, sim_now(s->e), SIM_EV_SCHED_CYCLE, region, 0, 0);
}

static void on_pod_created(void *ctx, SimEngine *e, uint32_t pod)
{
    SchedScheduler *s = ctx;
    uint32_t region = sim_pod(e, pod)->region;
    SchedQueue *q = queue_of(s, region);
    if (q == NULL || active_push(s, q, pod) != SIM_OK) {
        sim_fail(e, SIM_ENOMEM, "out of memory queueing a pod");
        return;
    }
    cycle_request(s, region, q);
}

/* Capacity appeared in a region: every unschedulable pod gets another try. */
static void capacity_changed(SchedScheduler *s, uint32_t region)
{
    SchedQueue *q = queue_of(s, region);
    if (q == NULL || q->nun == 0)
        return;
    for (size_t i = 0; i < q->nun; i++)
        if (active_push(s, q, q->unsched[i]) != SIM_OK) {
            sim_fail(s->e, SIM_ENOMEM, "out of memory requeueing pods");
            return;
        }
    q->nun = 0;
    cycle_request(s, region, q);
}

static void on_pod_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    capacity_changed(ctx, sim_pod(e, pod)->region);
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    capacity_changed(ctx, sim_node(e, node)->region);
}

static int scratch_reserve(SchedScheduler *s, size_t n)
{
    SimMem *m = sim_mem(s->e);
    if (sim_mem_grow(m, (void **)&s->feasible, &s->capf, n, sizeof *s->feasible) ||
        sim_mem_grow(m, (void **)&s->total, &s->capt, n, sizeof *s->total) ||
        sim_mem_grow(m, (void **)&s->raw, &s->capr, n, sizeof *s->raw))
        return SIM_ENOMEM;
    return SIM_OK;
}

/* ---- reasons: "0/3 nodes are available: 2 Insufficient cpu, 1 Too many pods." */
#define MAX_REASONS 16
typedef struct ReasonCount {
    char text[48];
    uint32_t count;
} ReasonCount;

static void reason_count(ReasonCount *rc, size_t *nrc, const char *reasons)
{
    char buf[SCHED_REASON_LEN];
    snprintf(buf, sizeof buf, "%s", reasons);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t i = 0;
        while (i < *nrc && strcmp(rc[i].text, tok) != 0)
            i++;
        if (i == *nrc && *nrc < MAX_REASONS) {
            snprintf(rc[i].text, sizeof rc[i].text, "%s", tok);
            rc[i].count = 0;
            (*nrc)++;
        }
        if (i < *nrc)
            rc[i].count++;
    }
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* As upstream FitError.Error(): "<count> <reason>" strings, sorted as strings
 * (so "10 ..." sorts before "2 ..."), joined by ", ". */
static void reason_format(char *out, size_t len, uint32_t nodes, const ReasonCount *rc, size_t nrc)
{
    char items[MAX_REASONS][64];
    for (size_t i = 0; i < nrc; i++)
        snprintf(items[i], sizeof items[i], "%u %.47s", rc[i].count, rc[i].text);
    qsort(items, nrc, sizeof items[0], str_cmp);
    size_t used = (size_t)snprintf(out, len, "0/%u nodes are available", nodes);
    for (size_t i = 0; i < nrc && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : ": ", items[i]);
    if (used < len)
        snprintf(out + used, len - used, ".");
}

/* ---- the cycle ------------------------------------------------------------ */
static int run_filters(SchedScheduler *s, const SchedCycle *c, const SimNode *n, char *reason)
{
    for (size_t k = 0; k < s->nplugins; k++)
        if (s->plugins[k].filter && !s->plugins[k].filter(c, n, reason, SCHED_REASON_LEN))
            return 0;
    return 1;
}

/* Filters nodes from the rotating start until enough feasible ones are found. */
static uint32_t find_feasible(SchedScheduler *s, const SchedCycle *c, SchedQueue *q,
                              SchedResult *out)
{
    SimRegion *r = sim_region(s->e, c->p->region);
    uint32_t ready = r->ready_nodes;
    uint32_t want = sched_num_feasible_to_find(ready), nf = 0, examined = 0;
    ReasonCount rc[MAX_REASONS];
    size_t nrc = 0;
    char reason[SCHED_REASON_LEN];
    size_t i = 0, total = r->nnodes;
    for (; i < total && nf < want; i++) {
        uint32_t id = r->nodes[(q->next_start + i) % total];
        const SimNode *n = sim_node(s->e, id);
        if (n->state != SIM_NODE_READY)
            continue;
        examined++;
        if (run_filters(s, c, n, reason))
            s->feasible[nf++] = id;
        else
            reason_count(rc, &nrc, reason);
    }
    if (total)
        q->next_start = (uint32_t)((q->next_start + i) % total);
    out->examined = examined;
    out->feasible = nf;
    if (nf == 0)
        reason_format(out->reason, sizeof out->reason, ready, rc, nrc);
    return nf;
}

static void score_nodes(SchedScheduler *s, const SchedCycle *c, uint32_t nf)
{
    memset(s->total, 0, nf * sizeof *s->total);
    for (size_t k = 0; k < s->nplugins; k++) {
        const SchedPlugin *pl = &s->plugins[k];
        if (pl->score == NULL || pl->weight == 0)
            continue;
        for (uint32_t i = 0; i < nf; i++)
            s->raw[i] = pl->score(c, sim_node(s->e, s->feasible[i]));
        if (pl->normalize)
            pl->normalize(c, s->raw, nf);
        for (uint32_t i = 0; i < nf; i++)
            s->total[i] += pl->weight * s->raw[i];
    }
}

/* Highest total wins; equal maxima are chosen uniformly (reservoir sampling,
 * as upstream selectHost), with the scheduler's seeded stream. */
static uint32_t select_host(SchedScheduler *s, uint32_t nf)
{
    SimRng *rng = sim_rng(s->e, SIM_RNG_SCHED);
    uint32_t best = 0, ties = 1;
    for (uint32_t i = 1; i < nf; i++) {
        if (s->total[i] > s->total[best]) {
            best = i;
            ties = 1;
        } else if (s->total[i] == s->total[best] && sim_rng_below(rng, ++ties) == 0) {
            best = i;
        }
    }
    return s->feasible[best];
}

int sched_place(SchedScheduler *s, uint32_t pod, SchedResult *out)
{
    SchedCycle c = {s->e, pod, sim_pod(s->e, pod)};
    SchedQueue *q = queue_of(s, c.p->region);
    SimRegion *r = sim_region(s->e, c.p->region);
    memset(out, 0, sizeof *out);
    out->node = SIM_NONE;
    if (q == NULL || scratch_reserve(s, r->nnodes + 1) != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scheduling");
    uint32_t nf = find_feasible(s, &c, q, out);
    if (nf == 0)
        return SIM_OK;
    if (nf == 1) {   /* upstream skips scoring when one node is feasible */
        out->node = s->feasible[0];
        return SIM_OK;
    }
    score_nodes(s, &c, nf);
    out->node = select_host(s, nf);
    return SIM_OK;
}

static void mark_unschedulable(SchedScheduler *s, SchedQueue *q, uint32_t pod, const char *reason)
{
    if (sim_mem_grow(sim_mem(s->e), (void **)&q->unsched, &q->capun, q->nun + 1, sizeof *q->unsched)) {
        sim_fail(s->e, SIM_ENOMEM, "out of memory");
        return;
    }
    q->unsched[q->nun++] = pod;
    sim_pod_set_unschedulable(s->e, pod, reason);
}

static void on_cycle(void *ctx, SimEngine *e, const SimEvent *ev)
{
    SchedScheduler *s = ctx;
    SchedQueue *q = queue_of(s, ev->obj);
    if (q == NULL)
        return;
    q->cycle_queued = 0;
    while (q->head < q->n) {
        uint32_t pod = q->active[q->head++];
        if (sim_pod(e, pod)->phase != SIM_POD_PENDING)
            continue;   /* deleted while queued */
        SchedResult res;
        if (sched_place(s, pod, &res) != SIM_OK)
            return;
        if (res.node != SIM_NONE)
            (void)sim_pod_bind(e, pod, res.node);
        else
            mark_unschedulable(s, q, pod, res.reason);
    }
    q->head = q->n = 0;
}

SchedScheduler *sched_create(SimEngine *e)
{
    SchedScheduler *s = sim_mem_calloc(sim_mem(e), 1, sizeof *s);
    if (s == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    s->e = e;
    s->plugins = sched_default_plugins(&s->nplugins);
    SimListener l = {.ctx = s, .pod_created = on_pod_created, .pod_terminated = on_pod_terminated,
                     .node_ready = on_node_ready};
    if (sim_engine_listen(e, &l) != SIM_OK) {
        sim_mem_free(sim_mem(e), s, sizeof *s);
        return NULL;
    }
    sim_engine_on(e, SIM_EV_SCHED_CYCLE, on_cycle, s);
    return s;
}

void sched_destroy(SchedScheduler *s)
{
    if (s == NULL)
        return;
    SimMem *m = sim_mem(s->e);
    for (size_t i = 0; i < s->nqueues; i++) {
        sim_mem_free(m, s->queues[i].active, s->queues[i].cap * sizeof(uint32_t));
        sim_mem_free(m, s->queues[i].unsched, s->queues[i].capun * sizeof(uint32_t));
    }
    sim_mem_free(m, s->queues, s->nqueues * sizeof *s->queues);
    sim_mem_free(m, s->feasible, s->capf * sizeof *s->feasible);
    sim_mem_free(m, s->total, s->capt * sizeof *s->total);
    sim_mem_free(m, s->raw, s->capr * sizeof *s->raw);
    sim_mem_free(m, s, sizeof *s);
}
