/*
 * queue.c: backtest queues and their workers (queue.h). A submission's
 * requests arrive as events; a Running worker pod takes the oldest waiting
 * request, runs its kernel through the memo (backtests.c) and stays busy for
 * the kernel's counted work over its node's throughput; then it takes the
 * next. Queues are created lazily: a run without one pays nothing.
 *
 * Invariants: a queue's waiting requests are in arrival order (QReq.seq), so
 * its head is the oldest; every request is in exactly one place (waiting,
 * held by one busy live or draining worker, completed, or failed); q->busy
 * counts the busy live and draining workers and q->workers the live ones; a
 * live idle worker is in its queue's idle ring (which may also hold stale
 * slots, skipped on use).
 *
 * Graceful termination: a busy worker whose pod is deleted (scale-down,
 * eviction, preemption) takes no new request and drains: its pod stays on
 * its node (sim_pod_delete, pod_stopping) until the request ends, at most
 * its terminationGracePeriodSeconds; a request that outlasts the grace
 * period is requeued when the kubelet kills the pod, and counted.
 *
 * Simplifications (README "Fidelity"):
 * - a killed worker's request goes back at once, ahead of every request that
 *   arrived after it, keeping its arrival time; a real queue returns an
 *   unacknowledged message only when its visibility timeout expires (SQS:
 *   30 s by default), and the message keeps its SentTimestamp as here;
 * - strict FIFO (SQS standard queues are only roughly so); a Running worker
 *   takes a request the instant one waits (no polling interval or receive
 *   latency), and the worker idle the longest takes it;
 * - a request lasts its kernel's counted work on its node alone: no start-up,
 *   data loading, or contention with other pods on the node;
 * - a kernel that fails (a covariance that is not positive definite) drops
 *   the request at once and counts it as failed (a dead-letter queue after
 *   one receive); failed requests are not in backtests.results;
 * - worker usage: the pod's CPU and memory requests while busy and
 *   WL_QUEUE_IDLE_PERMILLE of them while idle, averaged over 15 s windows
 *   aligned on multiples of 15 s of simulated time (metrics-server scrapes
 *   each node on its own schedule); a pod has a sample once one boundary has
 *   passed since it started, over the part of the window it ran;
 * - metric values are exact integers in milli-units, ages truncated to the
 *   millisecond.
 */
#include "workloads/queue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_int.h"
#include "workloads/wl_metrics.h"

enum { QEV_ARRIVE = 0, QEV_DONE = 1 };

typedef struct WlQueues WlQueues;

typedef struct QReq {
    uint64_t seq;          /* arrival order over the run: the FIFO key */
    SimTime arrived;       /* first arrival; a requeue keeps it */
    uint32_t submit;
} QReq;

/* A deque of fixed-size elements in one growable ring buffer. */
typedef struct Ring {
    unsigned char *v;
    size_t cap, head, n, sz;
} Ring;

typedef struct Queue {
    char *name;
    uint32_t region;
    Ring waiting;          /* QReq, oldest first */
    Ring idle;             /* uint32_t worker slots, longest idle first */
    uint32_t workers, busy;
    uint64_t arrived, completed, requeued, failed;
    SimTime first_arrival, last_done;   /* -1: none yet (the batch SLO figures) */
    SimTime *waits;        /* per completed request: its arrival to the take that completed it */
    size_t nwaits, capwaits;
} Queue;

typedef struct Submit {
    uint32_t queue;
    size_t bt;             /* its request in c->bt (results, memo) */
    SimTime every;
    int32_t count, arrived;
    char *error;           /* the kernel's failure, once it failed */
} Submit;

/* One Running worker pod. B(t), its busy nanoseconds since it started, is
 * linear after t_last (slope busy); before that only B(t1) = bv1 and
 * B(t1 - 15 s) = bv0 are kept, t1 being the last scrape boundary <= t_last:
 * exactly what a 15 s window ending at a boundary at or after t1 needs. */
typedef struct Worker {
    uint32_t pod, queue;
    uint8_t busy, dead;
    uint8_t draining;      /* its pod is terminating: it finishes req and takes no other */
    QReq req;              /* while busy */
    SimTime taken;         /* while busy: when it took req */
    SimTime done_at;       /* while busy: when req ends */
    SimTime started, t_last, b_last, t1, bv1, bv0;
} Worker;

typedef struct WorkerWl {
    uint32_t wl, queue;
} WorkerWl;

struct WlQueues {
    uint16_t ev;           /* our event kind: aux QEV_ARRIVE or QEV_DONE */
    Queue *q;
    size_t nq, capq;
    Submit *sub;
    size_t nsub, capsub;
    Worker *wk;
    size_t nwk, capwk;
    WorkerWl *wls;
    size_t nwls, capwls;
    uint32_t *slot;        /* slot[pod]: the pod's worker, SIM_NONE if none */
    size_t capslot;
    uint64_t seq;
};

/* ---- ring buffer ------------------------------------------------------------ */
static void *ring_at(const Ring *r, size_t i)
{
    return r->v + ((r->head + i) % r->cap) * r->sz;
}

/* Room for one more; the contents keep their order (unwrapped to head 0). */
static int ring_reserve(SimMem *m, Ring *r)
{
    if (r->n < r->cap)
        return SIM_OK;
    size_t ncap = r->cap ? r->cap * 2 : 8;
    unsigned char *v = sim_mem_alloc(m, ncap * r->sz);
    if (v == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < r->n; i++)
        memcpy(v + i * r->sz, ring_at(r, i), r->sz);
    sim_mem_free(m, r->v, r->cap * r->sz);
    r->v = v;
    r->cap = ncap;
    r->head = 0;
    return SIM_OK;
}

static int ring_push(SimMem *m, Ring *r, const void *x)
{
    if (ring_reserve(m, r) != SIM_OK)
        return SIM_ENOMEM;
    r->n++;
    memcpy(ring_at(r, r->n - 1), x, r->sz);
    return SIM_OK;
}

static void ring_pop(Ring *r, void *out)
{
    SIM_ASSERT(r->n > 0);
    if (out)
        memcpy(out, ring_at(r, 0), r->sz);
    r->head = (r->head + 1) % r->cap;
    r->n--;
}

/* Inserts x before element i: the i elements ahead of it move one step
 * toward the front (i is 0 for the usual requeue at the head). */
static int ring_insert(SimMem *m, Ring *r, size_t i, const void *x)
{
    if (ring_reserve(m, r) != SIM_OK)
        return SIM_ENOMEM;
    r->head = (r->head + r->cap - 1) % r->cap;
    r->n++;
    for (size_t k = 0; k < i; k++)
        memcpy(ring_at(r, k), ring_at(r, k + 1), r->sz);
    memcpy(ring_at(r, i), x, r->sz);
    return SIM_OK;
}

static void ring_free(SimMem *m, Ring *r)
{
    sim_mem_free(m, r->v, r->cap * r->sz);
}

/* ---- busy time and usage ------------------------------------------------------ */
static SimTime scrape_floor(SimTime t)
{
    return t - t % WL_QUEUE_SCRAPE;
}

/* B(x) for x >= t_last, x == t1 or x == t1 - 15 s (see Worker). */
static SimTime busy_at(const Worker *w, SimTime x)
{
    if (x <= w->started)
        return 0;
    if (x >= w->t_last)
        return w->b_last + (w->busy ? x - w->t_last : 0);
    if (x == w->t1)
        return w->bv1;
    SIM_ASSERT(x == w->t1 - WL_QUEUE_SCRAPE);
    return w->bv0;
}

/* The worker turns busy or idle at t: the only writer of w->busy. */
static void set_busy(Worker *w, SimTime t, int busy)
{
    SimTime b = scrape_floor(t);
    if (b > w->t1) {
        SimTime v1 = busy_at(w, b), v0 = busy_at(w, b - WL_QUEUE_SCRAPE);
        w->t1 = b;
        w->bv1 = v1;
        w->bv0 = v0;
    }
    w->b_last = busy_at(w, t);
    w->t_last = t;
    w->busy = (uint8_t)busy;
}

/* The request while busy, the idle share otherwise, weighted by the busy
 * part of the window (in parts per million, so a memory request in bytes
 * cannot overflow). */
static int64_t blend(int64_t req, SimTime busy, SimTime win)
{
    int64_t idle = req * WL_QUEUE_IDLE_PERMILLE / 1000;
    int64_t ppm = (int64_t)(busy * 1000000 / win);
    return idle + (req - idle) * ppm / 1000000;
}

static int usage_fn(void *ctx, SimEngine *e, uint32_t pod, WlPodUsage *out)
{
    const WlQueues *qs = ctx;
    if (pod >= qs->capslot || qs->slot[pod] == SIM_NONE || qs->wk[qs->slot[pod]].dead)
        return 0;
    const Worker *w = &qs->wk[qs->slot[pod]];
    SimTime end = scrape_floor(sim_now(e));
    if (end <= w->started)
        return 0;   /* no scrape since it started */
    SimTime from = end - WL_QUEUE_SCRAPE > w->started ? end - WL_QUEUE_SCRAPE : w->started;
    SimTime busy = busy_at(w, end) - busy_at(w, end - WL_QUEUE_SCRAPE);
    const SimPod *p = sim_pod(e, pod);
    out->cpu_m = blend(p->req.cpu_m, busy, end - from);
    out->mem = blend(p->req.mem, busy, end - from);
    out->timestamp = end;
    out->window = end - from;
    return 1;
}

/* ---- External metrics ---------------------------------------------------------- */
static SimTime oldest_age(SimEngine *e, const Queue *q)
{
    return q->waiting.n ? sim_now(e) - ((const QReq *)ring_at(&q->waiting, 0))->arrived : 0;
}

/* "<queue>/<metric>" reads one queue; a plain name sums every queue's series. */
static int value_fn(void *ctx, SimEngine *e, const char *name, int64_t *milli)
{
    const WlQueues *qs = ctx;
    const char *slash = strrchr(name, '/');
    int age = strcmp(slash ? slash + 1 : name, "queue_oldest_age_seconds") == 0;
    int64_t sum = 0;
    for (size_t i = 0; i < qs->nq; i++) {
        const Queue *q = &qs->q[i];
        if (slash && (strlen(q->name) != (size_t)(slash - name) || strncmp(q->name, name, (size_t)(slash - name))))
            continue;
        sum += age ? oldest_age(e, q) / SIM_MS(1) : (int64_t)q->waiting.n * 1000;
    }
    *milli = sum;
    return 1;
}

static int register_metrics(WlControllers *c, const char *queue)
{
    static const char *const names[] = {"queue_length", "queue_oldest_age_seconds"};
    for (int i = 0; i < 2; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s/%s", queue, names[i]);
        int rc = wl_value_source(c, full, value_fn, c->queues);
        if (rc == SIM_OK && c->queues->nq == 1)
            rc = wl_value_source(c, names[i], value_fn, c->queues);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* ---- taking and finishing requests -------------------------------------------- */
static void trace3(WlControllers *c, int kind, uint32_t q, uint32_t submit, uint32_t pod)
{
    sim_trace_rec(c->e, kind, (SimTrVal[]){SIM_TRI(q), SIM_TRI(submit), SIM_TRI(pod)}, 3);
}

/* The first live idle worker of q (stale slots are dropped), or SIM_NONE. */
static uint32_t idle_front(WlQueues *qs, Queue *q)
{
    while (q->idle.n > 0) {
        uint32_t slot = *(const uint32_t *)ring_at(&q->idle, 0);
        if (!qs->wk[slot].dead && !qs->wk[slot].busy)
            return slot;
        ring_pop(&q->idle, NULL);
    }
    return SIM_NONE;
}

/* The kernel failed: the request is dropped (see the header). */
static void dead_letter(WlControllers *c, uint32_t qi, const QReq *r, uint32_t pod)
{
    Submit *s = &c->queues->sub[r->submit];
    if (s->error == NULL)
        s->error = sim_mem_strdup(sim_mem(c->e), sim_errmsg(c->e));   /* NULL on OOM: sticky, the run stops */
    c->queues->q[qi].failed++;
    sim_trace_rec(c->e, WL_TR_QUEUE_FAIL, (SimTrVal[]){SIM_TRI(qi), SIM_TRI(r->submit), SIM_TRI(pod),
                  SIM_TRS(s->error ? s->error : "out of memory")}, 4);
}

/* Worker `slot` (idle, at the front of the idle ring) takes the head request. */
static int take(WlControllers *c, uint32_t qi, uint32_t slot)
{
    WlQueues *qs = c->queues;
    Queue *q = &qs->q[qi];
    Worker *w = &qs->wk[slot];
    const SimPod *p = sim_pod(c->e, w->pod);
    QReq r;
    ring_pop(&q->waiting, &r);
    SimTime d = 0;
    int rc = qs->sub[r.submit].error ? SIM_EINVAL : wl_bt_run_on(c, qs->sub[r.submit].bt, p->node, &d);
    if (rc == SIM_ENOMEM) {
        (void)ring_insert(sim_mem(c->e), &q->waiting, 0, &r);   /* cannot fail: one was just popped */
        return rc;
    }
    if (rc != SIM_OK) {
        dead_letter(c, qi, &r, w->pod);
        return SIM_OK;
    }
    ring_pop(&q->idle, NULL);
    w->req = r;
    w->taken = sim_now(c->e);
    w->done_at = sim_now(c->e) + d;
    set_busy(w, sim_now(c->e), 1);
    q->busy++;
    sim_trace_rec(c->e, WL_TR_QUEUE_TAKE,
                  (SimTrVal[]){SIM_TRI(qi), SIM_TRI(r.submit), SIM_TRI(w->pod), SIM_TRI(d)}, 4);
    return sim_schedule(c->e, sim_now(c->e) + d, c->queues->ev, w->pod, p->gen, QEV_DONE);
}

/* Hands waiting requests to idle workers, oldest request first. */
static int dispatch(WlControllers *c, uint32_t qi)
{
    Queue *q = &c->queues->q[qi];
    while (q->waiting.n > 0) {
        uint32_t slot = idle_front(c->queues, q);
        if (slot == SIM_NONE)
            return SIM_OK;
        int rc = take(c, qi, slot);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int arrive(WlControllers *c, uint32_t si)
{
    WlQueues *qs = c->queues;
    Submit *s = &qs->sub[si];
    Queue *q = &qs->q[s->queue];
    int32_t n = s->every > 0 ? 1 : s->count - s->arrived;
    for (int32_t i = 0; i < n; i++) {
        QReq r = {qs->seq++, sim_now(c->e), si};
        if (ring_push(sim_mem(c->e), &q->waiting, &r) != SIM_OK)
            return sim_fail(c->e, SIM_ENOMEM, "out of memory");
        s->arrived++;
        q->arrived++;
    }
    if (q->first_arrival < 0 && n > 0)
        q->first_arrival = sim_now(c->e);
    sim_trace_rec(c->e, WL_TR_QUEUE_SUBMIT, (SimTrVal[]){SIM_TRI(s->queue), SIM_TRI(si), SIM_TRI(n),
                  SIM_TRS(c->bt[s->bt].b.name)}, 4);
    if (s->arrived < s->count) {
        int rc = sim_schedule(c->e, sim_now(c->e) + s->every, c->queues->ev, si, 0, QEV_ARRIVE);
        if (rc != SIM_OK)
            return rc;
    }
    return dispatch(c, s->queue);
}

/* A request done: the queue's completion time and the request's wait. */
static void done_stats(WlControllers *c, Queue *q, const Worker *w)
{
    q->last_done = sim_now(c->e);
    if (q->nwaits == q->capwaits &&
        sim_mem_grow(sim_mem(c->e), (void **)&q->waits, &q->capwaits, q->nwaits + 1, sizeof *q->waits) != SIM_OK) {
        (void)sim_fail(c->e, SIM_ENOMEM, "out of memory");   /* sticky: the run stops */
        return;
    }
    q->waits[q->nwaits++] = w->taken - w->req.arrived;
}

/* Worker `slot`'s request is done: counted, the worker idle. */
static void complete(WlControllers *c, uint32_t slot)
{
    WlQueues *qs = c->queues;
    Worker *w = &qs->wk[slot];
    Queue *q = &qs->q[w->queue];
    c->bt[qs->sub[w->req.submit].bt].completed++;
    c->stats.backtests_completed++;
    q->completed++;
    q->busy--;
    set_busy(w, sim_now(c->e), 0);
    done_stats(c, q, w);
    trace3(c, WL_TR_QUEUE_DONE, w->queue, w->req.submit, w->pod);
}

static int finish(WlControllers *c, uint32_t pod, uint32_t gen)
{
    WlQueues *qs = c->queues;
    if (pod >= qs->capslot || qs->slot[pod] == SIM_NONE || sim_pod(c->e, pod)->gen != gen)
        return SIM_OK;   /* cancelled: the pod ended meanwhile */
    uint32_t slot = qs->slot[pod];
    Worker *w = &qs->wk[slot];
    SIM_ASSERT(w->busy && !w->dead && !w->draining);
    complete(c, slot);
    if (ring_push(sim_mem(c->e), &qs->q[w->queue].idle, &slot) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    return dispatch(c, w->queue);
}

static void on_event(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)e;
    if (ev->aux == QEV_ARRIVE)
        (void)arrive(ctx, ev->obj);   /* errors: out of memory only, sticky on the engine */
    else
        (void)finish(ctx, ev->obj, ev->gen);
}

/* ---- worker pods ----------------------------------------------------------- */
static uint32_t queue_of_wl(const WlQueues *qs, uint32_t wl)
{
    for (size_t i = 0; i < qs->nwls; i++)
        if (qs->wls[i].wl == wl)
            return qs->wls[i].queue;
    return SIM_NONE;
}

static int add_worker(WlControllers *c, uint32_t qi, uint32_t pod)
{
    WlQueues *qs = c->queues;
    SimMem *m = sim_mem(c->e);
    size_t old = qs->capslot;
    if (sim_mem_grow(m, (void **)&qs->slot, &qs->capslot, (size_t)pod + 1, sizeof *qs->slot) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    for (size_t i = old; i < qs->capslot; i++)
        qs->slot[i] = SIM_NONE;
    if (sim_mem_grow(m, (void **)&qs->wk, &qs->capwk, qs->nwk + 1, sizeof *qs->wk) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    uint32_t slot = (uint32_t)qs->nwk;
    SimTime now = sim_now(c->e);
    Worker *w = &qs->wk[qs->nwk++];
    memset(w, 0, sizeof *w);
    w->pod = pod;
    w->queue = qi;
    w->started = w->t_last = now;
    w->t1 = scrape_floor(now);
    qs->slot[pod] = slot;
    qs->q[qi].workers++;
    return ring_push(m, &qs->q[qi].idle, &slot) == SIM_OK ? SIM_OK : sim_fail(c->e, SIM_ENOMEM, "out of memory");
}

void wl_queue_pod_running(WlControllers *c, uint32_t pod)
{
    if (c->queues == NULL)
        return;
    uint32_t qi = queue_of_wl(c->queues, sim_pod(c->e, pod)->wl);
    if (qi != SIM_NONE && add_worker(c, qi, pod) == SIM_OK)
        (void)dispatch(c, qi);
}

/* Position of a requeued request: after every waiting one that arrived
 * before it (usually none: it goes back to the head). */
static size_t requeue_pos(const Ring *waiting, uint64_t seq)
{
    size_t i = 0;
    while (i < waiting->n && ((const QReq *)ring_at(waiting, i))->seq < seq)
        i++;
    return i;
}

/* The worker's pod is gone mid-request: the request goes back (counted in
 * requeued), unless its end has come, at this very instant. */
static void request_end(WlControllers *c, uint32_t slot)
{
    WlQueues *qs = c->queues;
    Worker *w = &qs->wk[slot];
    Queue *q = &qs->q[w->queue];
    if (!w->busy)
        return;
    if (sim_now(c->e) >= w->done_at) {
        complete(c, slot);
        return;
    }
    set_busy(w, sim_now(c->e), 0);
    q->busy--;
    q->requeued++;
    trace3(c, WL_TR_QUEUE_REQUEUE, w->queue, w->req.submit, w->pod);
    if (ring_insert(sim_mem(c->e), &q->waiting, requeue_pos(&q->waiting, w->req.seq), &w->req) != SIM_OK) {
        sim_fail(c->e, SIM_ENOMEM, "out of memory");
        return;
    }
    (void)dispatch(c, w->queue);
}

static Worker *live_worker(WlQueues *qs, uint32_t pod)
{
    if (qs == NULL || pod >= qs->capslot || qs->slot[pod] == SIM_NONE || qs->wk[qs->slot[pod]].dead)
        return NULL;
    return &qs->wk[qs->slot[pod]];
}

SimTime wl_queue_pod_stopping(WlControllers *c, uint32_t pod)
{
    const Worker *w = live_worker(c->queues, pod);
    return w && w->busy && !w->draining ? w->done_at - sim_now(c->e) : 0;
}

void wl_queue_pod_terminated(WlControllers *c, uint32_t pod)
{
    Worker *w = live_worker(c->queues, pod);
    if (w == NULL || w->draining)
        return;
    c->queues->q[w->queue].workers--;
    if (sim_pod(c->e, pod)->terminating && w->busy) {
        w->draining = 1;   /* it finishes or is killed: wl_queue_pod_gone */
        return;
    }
    w->dead = 1;
    request_end(c, c->queues->slot[pod]);
}

void wl_queue_pod_gone(WlControllers *c, uint32_t pod)
{
    Worker *w = live_worker(c->queues, pod);
    if (w == NULL || !w->draining)
        return;
    w->dead = 1;
    request_end(c, c->queues->slot[pod]);
}

static const SimTrKindDef trace_kinds[] = {
    {WL_TR_QUEUE, "queue", "iis", {"queue", "region", "name"}},
    {WL_TR_QUEUE_SUBMIT, "queue_submit", "iiis", {"queue", "submit", "count", "name"}},
    {WL_TR_QUEUE_TAKE, "queue_take", "iiii", {"queue", "submit", "pod", "duration_ns"}},
    {WL_TR_QUEUE_DONE, "queue_done", "iii", {"queue", "submit", "pod"}},
    {WL_TR_QUEUE_REQUEUE, "queue_requeue", "iii", {"queue", "submit", "pod"}},
    {WL_TR_QUEUE_FAIL, "queue_fail", "iiis", {"queue", "submit", "pod", "reason"}},
};

int wl_queue_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, trace_kinds, sizeof trace_kinds / sizeof trace_kinds[0]);
}

/* ---- declaring ---------------------------------------------------------------- */
static WlQueues *queues_of(WlControllers *c)
{
    if (c->queues)
        return c->queues;
    WlQueues *qs = sim_mem_calloc(sim_mem(c->e), 1, sizeof *qs);
    if (qs && sim_event_kind(c->e, "queue", on_event, c, &qs->ev) != SIM_OK) {
        sim_mem_free(sim_mem(c->e), qs, sizeof *qs);
        qs = NULL;
    }
    return c->queues = qs;
}

uint32_t wl_queue_find(WlControllers *c, const char *name)
{
    for (size_t i = 0; c->queues && i < c->queues->nq; i++)
        if (strcmp(c->queues->q[i].name, name) == 0)
            return (uint32_t)i;
    return SIM_NONE;
}

int wl_queue_add(WlControllers *c, const char *name, uint32_t region, uint32_t *id)
{
    if (wl_queue_find(c, name) != SIM_NONE)
        return sim_fail(c->e, SIM_EINVAL, "queue '%s' is declared twice", name);
    WlQueues *qs = queues_of(c);
    if (qs == NULL || sim_mem_grow(sim_mem(c->e), (void **)&qs->q, &qs->capq, qs->nq + 1, sizeof *qs->q))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    Queue *q = &qs->q[qs->nq];
    memset(q, 0, sizeof *q);
    if ((q->name = sim_mem_strdup(sim_mem(c->e), name)) == NULL)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    q->region = region;
    q->first_arrival = q->last_done = -1;
    q->waiting.sz = sizeof(QReq);
    q->idle.sz = sizeof(uint32_t);
    *id = (uint32_t)qs->nq++;
    sim_trace_rec(c->e, WL_TR_QUEUE, (SimTrVal[]){SIM_TRI(*id), SIM_TRI(region), SIM_TRS(name)}, 3);
    return register_metrics(c, name);
}

const char *wl_queue_of_worker(WlControllers *c, uint32_t wl)
{
    uint32_t q = c->queues ? queue_of_wl(c->queues, wl) : SIM_NONE;
    return q == SIM_NONE ? NULL : c->queues->q[q].name;
}

int wl_queue_worker(WlControllers *c, uint32_t q, uint32_t wl)
{
    WlQueues *qs = c->queues;
    const SimWorkload *w = sim_workload(c->e, wl);
    if (qs == NULL || q >= qs->nq)
        return sim_fail(c->e, SIM_EINVAL, "deployment '%s': no queue %u", w->name, q);
    if (w->kind != SIM_WL_DEPLOYMENT || queue_of_wl(qs, wl) != SIM_NONE)
        return sim_fail(c->e, SIM_EINVAL, "'%s' is not a Deployment, or already serves a queue", w->name);
    if (sim_mem_grow(sim_mem(c->e), (void **)&qs->wls, &qs->capwls, qs->nwls + 1, sizeof *qs->wls))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    qs->wls[qs->nwls++] = (WorkerWl){wl, q};
    return wl_usage_source(c, wl, usage_fn, qs);
}

int wl_queue_submit(WlControllers *c, const WlQueueSubmit *s)
{
    WlQueues *qs = c->queues;
    if (qs == NULL || s->queue >= qs->nq || s->count < 1 || s->every < 0 || s->at < sim_now(c->e))
        return sim_fail(c->e, SIM_EINVAL, "submission '%s': no such queue, or a bad count or time", s->name);
    WlBacktest b = {SIM_NONE, s->name, s->data, s->params};   /* no Job: the queue's workers serve it */
    int rc = wl_backtest_add(c, &b);
    if (rc != SIM_OK)
        return rc;
    c->bt[c->nbt - 1].queue = qs->q[s->queue].name;
    if (sim_mem_grow(sim_mem(c->e), (void **)&qs->sub, &qs->capsub, qs->nsub + 1, sizeof *qs->sub))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    qs->sub[qs->nsub] = (Submit){s->queue, c->nbt - 1, s->every, s->count, 0, NULL};
    return sim_schedule(c->e, s->at, c->queues->ev, (uint32_t)qs->nsub++, 0, QEV_ARRIVE);
}

/* ---- reading ------------------------------------------------------------------ */
int wl_queue_status(WlControllers *c, uint32_t qi, WlQueueStatus *out)
{
    if (c->queues == NULL || qi >= c->queues->nq)
        return sim_fail(c->e, SIM_EINVAL, "no queue %u", qi);
    const Queue *q = &c->queues->q[qi];
    *out = (WlQueueStatus){(uint32_t)q->waiting.n, oldest_age(c->e, q), q->workers, q->busy,
                           q->arrived, q->completed, q->requeued, q->failed};
    return SIM_OK;
}

uint32_t wl_queue_busy_with(WlControllers *c, uint32_t pod)
{
    const WlQueues *qs = c->queues;
    if (qs == NULL || pod >= qs->capslot || qs->slot[pod] == SIM_NONE)
        return SIM_NONE;
    const Worker *w = &qs->wk[qs->slot[pod]];
    return w->busy && !w->dead ? w->req.submit : SIM_NONE;
}

void wl_queue_kernel_runs(WlControllers *c, uint64_t *runs, uint64_t *reuses)
{
    *runs = c->memo ? bt_memo_misses(c->memo) : 0;
    *reuses = c->memo ? bt_memo_hits(c->memo) : 0;
}

static void sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    const WlQueues *qs = ctx;
    for (size_t i = 0; i < qs->nq; i++) {
        const Queue *q = &qs->q[i];
        const char *region = sim_region(e, q->region)->name;
        SimTime t = sim_now(e);
        sim_metrics_row(mt, t, region, "queue", q->name, "length", (double)q->waiting.n);
        sim_metrics_row(mt, t, region, "queue", q->name, "oldest_age_seconds",
                        (double)oldest_age(e, q) / (double)SIM_NS_PER_S);
        sim_metrics_row(mt, t, region, "queue", q->name, "busy_workers", (double)q->busy);
        sim_metrics_row(mt, t, region, "queue", q->name, "completed", (double)q->completed);
        sim_metrics_row(mt, t, region, "queue", q->name, "requeued", (double)q->requeued);
    }
}

static int cmp_time(const void *a, const void *b)
{
    SimTime x = *(const SimTime *)a, y = *(const SimTime *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank pct_milli-th (thousandths of a percent) wait of the
 * completed requests; -1 when none. Sorts the waits (their order is not kept). */
static SimTime wait_pct(Queue *q, uint32_t pct_milli)
{
    if (q->nwaits == 0)
        return -1;
    qsort(q->waits, q->nwaits, sizeof *q->waits, cmp_time);
    uint64_t k = ((uint64_t)pct_milli * q->nwaits + 99999) / 100000;
    return q->waits[k ? k - 1 : 0];
}

int wl_queue_completion(WlControllers *c, uint32_t qi, uint32_t pct_milli, WlQueueDone *out)
{
    if (c->queues == NULL || qi >= c->queues->nq)
        return sim_fail(c->e, SIM_EINVAL, "no queue %u", qi);
    Queue *q = &c->queues->q[qi];
    out->first_arrival = q->first_arrival;
    out->last_done = q->last_done;
    out->all_done = q->arrived > 0 && q->completed + q->failed == q->arrived;
    out->makespan = q->first_arrival >= 0 && q->last_done >= 0 ? q->last_done - q->first_arrival : -1;
    out->wait = wait_pct(q, pct_milli);
    return SIM_OK;
}

static double secs_or_nan(SimTime t)
{
    return t < 0 ? NAN : (double)t / (double)SIM_NS_PER_S;
}

/* A queue's batch service levels (NaN prints as null): when its last
 * request was done, its makespan (first arrival to last completion, null
 * until every request is done), and its median, p95 and longest wait. */
static int queue_done_json(WlControllers *c, uint32_t qi, cJSON *o)
{
    WlQueueDone d;
    int rc = wl_queue_completion(c, qi, 95000, &d);
    SimTime p50 = wait_pct(&c->queues->q[qi], 50000), max = wait_pct(&c->queues->q[qi], 99999);
    const char *keys[] = {"last_completion_seconds", "makespan_seconds", "wait_p50_seconds", "wait_p95_seconds",
                          "wait_max_seconds"};
    double v[] = {secs_or_nan(d.last_done), d.all_done ? secs_or_nan(d.makespan) : NAN, secs_or_nan(p50),
                  secs_or_nan(d.wait), secs_or_nan(max)};
    for (size_t i = 0; i < 5 && rc == SIM_OK; i++)
        rc = sim_summary_add_number(o, keys[i], v[i]);
    return rc;
}

/* One queue's counters: what a requeue loop (a worker killed mid-request
 * again and again) shows in. */
static cJSON *queue_json(SimEngine *e, const Queue *q)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? sim_summary_add_item(o, "name", cJSON_CreateString(q->name)) : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = sim_summary_add_item(o, "region", cJSON_CreateString(sim_region(e, q->region)->name));
    const char *keys[] = {"arrived", "completed", "requeued", "failed", "waiting"};
    double v[] = {(double)q->arrived, (double)q->completed, (double)q->requeued, (double)q->failed,
                  (double)q->waiting.n};
    for (size_t i = 0; i < 5 && rc == SIM_OK; i++)
        rc = sim_summary_add_number(o, keys[i], v[i]);
    if (rc != SIM_OK) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int wl_queue_summary(WlControllers *c, cJSON *summary)
{
    const WlQueues *qs = c->queues;
    if (qs == NULL)
        return SIM_OK;   /* no queue, no key */
    cJSON *arr = cJSON_CreateArray();
    int rc = sim_summary_add_item(summary, "queues", arr);
    for (size_t i = 0; i < qs->nq && rc == SIM_OK; i++) {
        cJSON *o = queue_json(c->e, &qs->q[i]);
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = SIM_ENOMEM;
        }
        if (rc == SIM_OK)
            rc = queue_done_json(c, (uint32_t)i, o);
    }
    return rc;
}

int wl_queue_add_sampler(WlControllers *c, SimMetrics *mt)
{
    if (c->queues == NULL)
        return SIM_OK;
    if (sim_metrics_add_sampler(mt, sample, c->queues) != SIM_OK)
        return sim_fail(c->e, SIM_ESTATE, "too many metrics samplers");
    return SIM_OK;
}

void wl_queue_free(WlControllers *c)
{
    WlQueues *qs = c->queues;
    if (qs == NULL)
        return;
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < qs->nq; i++) {
        sim_mem_strfree(m, qs->q[i].name);
        ring_free(m, &qs->q[i].waiting);
        ring_free(m, &qs->q[i].idle);
        sim_mem_free(m, qs->q[i].waits, qs->q[i].capwaits * sizeof *qs->q[i].waits);
    }
    for (size_t i = 0; i < qs->nsub; i++)
        sim_mem_strfree(m, qs->sub[i].error);
    sim_mem_free(m, qs->q, qs->capq * sizeof *qs->q);
    sim_mem_free(m, qs->sub, qs->capsub * sizeof *qs->sub);
    sim_mem_free(m, qs->wk, qs->capwk * sizeof *qs->wk);
    sim_mem_free(m, qs->wls, qs->capwls * sizeof *qs->wls);
    sim_mem_free(m, qs->slot, qs->capslot * sizeof *qs->slot);
    sim_mem_free(m, qs, sizeof *qs);
    c->queues = NULL;
}
