/*
 * queue.c: the scheduling queue of each region (upstream
 * pkg/scheduler/backend/queue/scheduling_queue.go): an active queue ordered by
 * PrioritySort, a backoff queue and the unschedulable pods.
 *
 * - activeQ: a heap on (higher priority, earlier timestamp, FIFO); the
 *   timestamp is upstream's QueuedPodInfo.Timestamp: creation, then the time
 *   of the last failed attempt.
 * - A pod that fits nowhere joins its workload's unschedulable list (pods of a
 *   workload share their spec, so the queueing hints run once per workload).
 *   Events that may help it (a node becoming Ready, a pod terminating, a pod
 *   bound for spread and affinity) move it to backoffQ while its backoff
 *   (1 s x 2^(attempts-1), at most 10 s, from its last attempt) lasts, else to
 *   activeQ. Every 30 s, pods unschedulable for more than 5 min are moved too
 *   (podMaxInUnschedulablePodsDuration).
 * - If an event that may help arrives while the pod's own attempt runs (its
 *   preemption deleted victims), it goes straight to backoff (upstream's
 *   moveRequestCycle).
 * - While a region outage holds the region's control plane down
 *   (sim_region_up) no cycle runs and nothing binds; events still move pods
 *   between the queues, and the active queue gets its cycle on return.
 * - A cycle event handles at most SCHED_CYCLE_CAP pods and queues another at
 *   the same instant for the rest, so other work interleaves.
 * - A workload's last failure is remembered with the region generation: while
 *   nothing the filters read has changed, the next identical pod fails with the
 *   same message without filtering every node again (the result would be the
 *   same, node sampling included, as an infeasible pod examines every node).
 *
 * Simplifications (README "Fidelity"): the hints are these checks, not
 *   upstream's per-plugin QueueingHint functions: a node Ready helps a pod
 *   that passes every filter on it; a pod terminating helps a pod that now
 *   passes every filter on its node, or whose spread selector or required
 *   anti-affinity (its own or an existing pod's) involves the terminated pod;
 *   a pod bound helps a pod whose spread selector or required affinity
 *   matches it. Backoff ends exactly at its expiry (upstream polls every 1 s).
 *
 * Memory: the queue state of a pod (SchedQPod) lives in pages of
 * 2^SCHED_QP_SHIFT pod ids, allocated when a pod of the page is first queued
 * and freed once the engine has recycled every pod record of the page, so it
 * follows the pods alive, not the pods ever created. A heap may still hold an
 * entry of a recycled pod (entries are dropped when popped): its state reads
 * as qp_none (in no queue).
 */
#include "scheduler/sched_int.h"

#include "sim/policy.h"
#include "sim/trace.h"

#include <string.h>

#define SCHED_CYCLE_CAP 256
#define BACKOFF_INITIAL SIM_SEC(1)
#define BACKOFF_MAX SIM_SEC(10)
#define FLUSH_EVERY SIM_SEC(30)
#define UNSCHED_MAX SIM_SEC(300)

#define SEL_BITS ((1u << P_SPREAD) | (1u << P_INTERPOD))

static SimMem *mem(SchedScheduler *s) { return sim_mem(s->e); }

/* ---- queue state by pod id ---------------------------------------------------- */
#define SCHED_QP_SHIFT 10
#define QP_PAGE ((size_t)1 << SCHED_QP_SHIFT)

static const SchedQPod qp_none = {.prev = SCHED_NONE, .next = SCHED_NONE, .where = Q_NONE};

/* The state of a pod that is queued (its page is held). */
static SchedQPod *qp(const SchedScheduler *s, uint32_t pod)
{
    SIM_ASSERT((pod >> SCHED_QP_SHIFT) < s->nqpage && s->qpage[pod >> SCHED_QP_SHIFT] != NULL);
    return &s->qpage[pod >> SCHED_QP_SHIFT][pod & (QP_PAGE - 1)];
}

/* The state of any pod id: qp_none when its page is not held. */
static const SchedQPod *qp_ro(const SchedScheduler *s, uint32_t pod)
{
    size_t k = pod >> SCHED_QP_SHIFT;
    return k < s->nqpage && s->qpage[k] ? &s->qpage[k][pod & (QP_PAGE - 1)] : &qp_none;
}

/* upstream calculateBackoffDuration: doubling by addition, capped. */
SimTime sched_backoff_duration(uint32_t attempts)
{
    if (attempts == 0)
        return 0;
    SimTime d = BACKOFF_INITIAL;
    for (uint32_t i = 1; i < attempts; i++) {
        if (d > BACKOFF_MAX - d)
            return BACKOFF_MAX;
        d += d;
    }
    return d;
}

/* ---- heaps ----------------------------------------------------------------- */
static int ent_before(const SchedHeapEnt *a, const SchedHeapEnt *b)
{
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2;
    return a->seq < b->seq;
}

/* The heaps are 4-ary: a pop on a queue of 150,000 pods visits 9 levels
 * instead of 17, and a node's children share two cache lines. Keys are
 * unique (seq), so any correct queue (heap, run, or both) pops the same
 * sequence. */
#define HEAP_D 4

static int heap_sift_in(SchedScheduler *s, SchedHeap *h, SchedHeapEnt x)
{
    if (sim_mem_grow(mem(s), (void **)&h->v, &h->cap, h->n + 1, sizeof *h->v))
        return sim_fail(s->e, SIM_ENOMEM, "out of memory queueing a pod");
    size_t i = h->n++;
    while (i > 0 && ent_before(&x, &h->v[(i - 1) / HEAP_D])) {
        h->v[i] = h->v[(i - 1) / HEAP_D];
        i = (i - 1) / HEAP_D;
    }
    h->v[i] = x;
    return SIM_OK;
}

static SchedHeapEnt heap_sift_out(SchedHeap *h)
{
    SchedHeapEnt top = h->v[0], x = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = HEAP_D * i + 1, end = c + HEAP_D < n ? c + HEAP_D : n;
        if (c >= n)
            break;
        for (size_t k = c + 1; k < end; k++)
            if (ent_before(&h->v[k], &h->v[c]))
                c = k;
        if (!ent_before(&h->v[c], &x))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n)
        h->v[i] = x;
    return top;
}

static size_t heap_size(const SchedHeap *h)
{
    return h->n + (h->nrun - h->head);
}

/* Is the least entry the heap's root (else the run's head)? heap_size > 0.
 * Decided on the counts, never by comparing pointers: with an empty heap v
 * may be NULL, and &v[0] of NULL is undefined. */
static int top_in_heap(const SchedHeap *h)
{
    if (h->head == h->nrun)
        return 1;
    return h->n > 0 && !ent_before(&h->run[h->head], &h->v[0]);
}

/* The least entry (heap_size > 0). */
static const SchedHeapEnt *heap_top(const SchedHeap *h)
{
    return top_in_heap(h) ? &h->v[0] : &h->run[h->head];
}

/* x joins the run when it is not before the run's last entry, else the heap. */
static int heap_push(SchedScheduler *s, SchedHeap *h, SchedHeapEnt x)
{
    if (h->head < h->nrun && ent_before(&x, &h->run[h->nrun - 1]))
        return heap_sift_in(s, h, x);
    if (h->head == h->nrun)
        h->head = h->nrun = 0;
    if (h->nrun == h->caprun && h->head > 0) {   /* reuse the popped front */
        memmove(h->run, h->run + h->head, (h->nrun - h->head) * sizeof *h->run);
        h->nrun -= h->head;
        h->head = 0;
    }
    if (sim_mem_grow(mem(s), (void **)&h->run, &h->caprun, h->nrun + 1, sizeof *h->run))
        return sim_fail(s->e, SIM_ENOMEM, "out of memory queueing a pod");
    h->run[h->nrun++] = x;
    return SIM_OK;
}

static SchedHeapEnt heap_pop(SchedHeap *h)
{
    if (top_in_heap(h))
        return heap_sift_out(h);
    return h->run[h->head++];
}

/* ---- moving pods ------------------------------------------------------------ */
static SchedRegion *rg_of(SchedScheduler *s, uint32_t pod)
{
    return sched_region(s, sim_pod(s->e, pod)->region);
}

static void cycle_request(SchedScheduler *s, SchedRegion *rg)
{
    if (rg->cycle_queued)
        return;
    rg->cycle_queued = 1;
    (void)sim_schedule(s->e, sim_now(s->e), s->ev, rg->id, 0, SCHED_EV_CYCLE);
}

static int push_active(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    SchedQPod *q = qp(s, pod);
    q->where = Q_ACTIVE;
    SchedHeapEnt x = {-(int64_t)sim_pod(s->e, pod)->priority, q->ts, q->seq, pod};
    cycle_request(s, rg);
    return heap_push(s, &rg->active, x);
}

static void backoff_timer(SchedScheduler *s, SchedRegion *rg, SimTime at)
{
    if (at >= rg->backoff_timer)
        return;
    rg->backoff_timer = at;
    (void)sim_schedule(s->e, at, s->ev, rg->id, 0, SCHED_EV_BACKOFF);
}

/* Upstream movePodsToActiveOrBackoffQueue for one pod. */
static int requeue(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    SchedQPod *q = qp(s, pod);
    SimTime expiry = q->ts + sched_backoff_duration(q->attempts);
    if (expiry <= sim_now(s->e))
        return push_active(s, rg, pod);
    q->where = Q_BACKOFF;
    backoff_timer(s, rg, expiry);
    return heap_push(s, &rg->backoff, (SchedHeapEnt){expiry, 0, q->seq, pod});
}

static void flush_request(SchedScheduler *s, SchedRegion *rg)
{
    if (rg->flush_queued)
        return;
    rg->flush_queued = 1;
    SimTime t = (sim_now(s->e) / FLUSH_EVERY + 1) * FLUSH_EVERY;   /* upstream's 30 s ticker */
    (void)sim_schedule(s->e, t, s->ev, rg->id, 0, SCHED_EV_FLUSH);
}

/* ---- unschedulable lists ------------------------------------------------------ */
static void uw_remove(SchedRegion *rg, SchedScheduler *s, SchedWl *w)
{
    uint32_t last = rg->unsched_wls[--rg->nunsched_wls];
    rg->unsched_wls[w->un.slot] = last;
    s->wls[last]->un.slot = w->un.slot;
    if (w->un.fail & SEL_BITS)
        rg->nfail_sel--;
    w->un.fail = 0;
}

static void unsched_unlink(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    SchedQPod *q = qp(s, pod);
    SchedWl *w = s->wls[sim_pod(s->e, pod)->wl];
    if (q->prev != SCHED_NONE)
        qp(s, q->prev)->next = q->next;
    else
        w->un.head = q->next;
    if (q->next != SCHED_NONE)
        qp(s, q->next)->prev = q->prev;
    else
        w->un.tail = q->prev;
    q->where = Q_NONE;
    rg->nunsched--;
    if (--w->un.n == 0)
        uw_remove(rg, s, w);
}

static int unsched_add(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl, uint32_t pod)
{
    SchedQPod *q = qp(s, pod);
    if (w->un.n == 0) {
        if (sim_mem_grow(mem(s), (void **)&rg->unsched_wls, &rg->capuw, rg->nunsched_wls + 1,
                         sizeof *rg->unsched_wls))
            return sim_fail(s->e, SIM_ENOMEM, "out of memory");
        w->un.slot = (uint32_t)rg->nunsched_wls;
        rg->unsched_wls[rg->nunsched_wls++] = wl;
    }
    if (!(w->un.fail & SEL_BITS) && (q->fail & SEL_BITS))
        rg->nfail_sel++;
    w->un.fail |= q->fail;
    q->where = Q_UNSCHED;
    q->unsched_at = sim_now(s->e);
    q->next = SCHED_NONE;
    q->prev = w->un.tail;
    if (w->un.tail != SCHED_NONE)
        qp(s, w->un.tail)->next = pod;
    else
        w->un.head = pod;
    w->un.tail = pod;
    w->un.n++;
    rg->nunsched++;
    flush_request(s, rg);
    return SIM_OK;
}

/* Moves the workload's unschedulable pods (all, or those targeting node li). */
static void move_wl(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t only_li)
{
    uint32_t pod = w->un.head;
    while (pod != SCHED_NONE) {
        uint32_t next = qp(s, pod)->next;
        uint32_t tn = sim_pod(s->e, pod)->target_node;
        if (only_li == SCHED_NONE || (tn != SIM_NONE && sched_local(s, tn) == only_li)) {
            unsched_unlink(s, rg, pod);
            if (requeue(s, rg, pod) != SIM_OK)
                return;
        }
        pod = next;
    }
}

/* ---- queueing hints ------------------------------------------------------------ */
/* Would the workload's pod (a representative) pass every filter on node li? */
static int passes_on(SchedScheduler *s, uint32_t pod, uint32_t li)
{
    SchedCycleState *st;
    if (sched_prepare(s, pod, &st) != SIM_OK)
        return 0;
    return sched_filter_one(st, li) == R_PASS;
}

/* The representative pod to test on node li: for a workload whose pods target
 * nodes (DaemonSet), its pod targeting li; else its first unschedulable pod. */
static uint32_t rep_for(SchedScheduler *s, const SchedWl *w, uint32_t li, int *targeted)
{
    *targeted = 0;
    for (uint32_t pod = w->un.head; pod != SCHED_NONE; pod = qp(s, pod)->next) {
        uint32_t tn = sim_pod(s->e, pod)->target_node;
        if (tn == SIM_NONE)
            return pod;
        *targeted = 1;
        if (sched_local(s, tn) == li)
            return pod;
    }
    return SCHED_NONE;
}

static void hint_node(SchedScheduler *s, SchedRegion *rg, uint32_t wl, uint32_t li)
{
    SchedWl *w = s->wls[wl];
    int targeted;
    uint32_t rep = rep_for(s, w, li, &targeted);
    if (rep != SCHED_NONE && passes_on(s, rep, li))
        move_wl(s, rg, w, targeted ? li : SCHED_NONE);
}

static int in_groups(const SchedWl *x, uint32_t g)
{
    for (size_t i = 0; i < x->ngroups; i++)
        if (x->groups[i] == g)
            return 1;
    return 0;
}

static int spread_involves(const SchedWl *w, const SchedWl *x)
{
    for (size_t i = 0; i < w->nspread; i++)
        if (in_groups(x, w->spread[i].group))
            return 1;
    return 0;
}

static int anti_involves(SchedScheduler *s, SchedRegion *rg, const SchedWl *w, const SchedWl *x, uint32_t xwl)
{
    for (size_t i = 0; i < w->nreq_anti; i++)
        if (in_groups(x, w->req_anti[i].group))
            return 1;
    for (size_t i = 0; i < w->nsym; i++) {
        const SchedCarrier *c = &rg->carriers[w->sym[i]];
        if (c->wl == xwl && c->kind == CARRY_REQ_ANTI)
            return 1;
    }
    (void)s;
    return 0;
}

void sched_queue_node_ready(SchedScheduler *s, SchedRegion *rg, uint32_t li)
{
    for (size_t i = rg->nunsched_wls; i-- > 0;)
        if (i < rg->nunsched_wls)
            hint_node(s, rg, rg->unsched_wls[i], li);
}

void sched_queue_pod_terminated(SchedScheduler *s, SchedRegion *rg, uint32_t pod, uint32_t li)
{
    uint32_t xwl = sim_pod(s->e, pod)->wl;
    const SchedWl *x = sched_wl(s, xwl);
    if (x == NULL)
        return;
    for (size_t i = rg->nunsched_wls; i-- > 0;) {
        if (i >= rg->nunsched_wls)
            continue;
        uint32_t wl = rg->unsched_wls[i];
        SchedWl *w = s->wls[wl];
        if (((w->un.fail & (1u << P_SPREAD)) && spread_involves(w, x)) ||
            ((w->un.fail & (1u << P_INTERPOD)) && anti_involves(s, rg, w, x, xwl)))
            move_wl(s, rg, w, SCHED_NONE);
        else if (li != SCHED_NONE)
            hint_node(s, rg, wl, li);
    }
}

void sched_queue_pod_bound(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    if (rg->nfail_sel == 0)
        return;
    const SchedWl *x = sched_wl(s, sim_pod(s->e, pod)->wl);
    if (x == NULL)
        return;
    for (size_t i = rg->nunsched_wls; i-- > 0;) {
        if (i >= rg->nunsched_wls)
            continue;
        SchedWl *w = s->wls[rg->unsched_wls[i]];
        if (((w->un.fail & (1u << P_SPREAD)) && spread_involves(w, x)) ||
            ((w->un.fail & (1u << P_INTERPOD)) && w->aff_group != SCHED_NONE && in_groups(x, w->aff_group)))
            move_wl(s, rg, w, SCHED_NONE);
    }
}

/* ---- entering and leaving the queue ------------------------------------------------ */
/* Is every pod record of page k recycled? Ids are never reused, so such a
 * page is never needed again. */
static int page_recycled(const SchedScheduler *s, size_t k)
{
    uint32_t base = (uint32_t)(k << SCHED_QP_SHIFT);
    if (base + QP_PAGE > sim_pod_count(s->e))
        return 0;   /* ids of the page still to hand out */
    for (uint32_t i = 0; i < QP_PAGE; i++)
        if (sim_pod(s->e, base + (uint32_t)i)->gen != SIM_POD_DEAD_GEN)
            return 0;   /* the first check fails for a page in use: O(1) */
    return 1;
}

/* Frees the pages whose pods the engine has all recycled (before a new page
 * is taken, so the pages held follow the pods alive). */
static void qp_reclaim(SchedScheduler *s)
{
    for (size_t k = s->qplo; k < s->nqpage; k++) {
        if (s->qpage[k] == NULL || !page_recycled(s, k))
            continue;
        sim_mem_free(mem(s), s->qpage[k], QP_PAGE * sizeof **s->qpage);
        s->qpage[k] = NULL;
    }
    while (s->qplo < s->nqpage && s->qpage[s->qplo] == NULL && page_recycled(s, s->qplo))
        s->qplo++;
}

static int qp_reserve(SchedScheduler *s, uint32_t pod)
{
    size_t k = pod >> SCHED_QP_SHIFT;
    if (k < s->nqpage && s->qpage[k])
        return SIM_OK;
    qp_reclaim(s);
    if (k >= s->nqpage) {
        if (sim_mem_grow(mem(s), (void **)&s->qpage, &s->capqpage, k + 1, sizeof *s->qpage))
            return SIM_ENOMEM;
        memset(s->qpage + s->nqpage, 0, (k + 1 - s->nqpage) * sizeof *s->qpage);
        s->nqpage = k + 1;
    }
    s->qpage[k] = sim_mem_calloc(mem(s), QP_PAGE, sizeof **s->qpage);
    return s->qpage[k] ? SIM_OK : SIM_ENOMEM;
}

int sched_queue_add(SchedScheduler *s, uint32_t pod)
{
    SchedRegion *rg = rg_of(s, pod);
    if (rg == NULL || qp_reserve(s, pod) != SIM_OK)
        return SIM_ENOMEM;
    SchedQPod *q = qp(s, pod);
    memset(q, 0, sizeof *q);
    q->ts = sim_now(s->e);
    q->seq = s->qseq++;
    q->prev = q->next = SCHED_NONE;
    return push_active(s, rg, pod);
}

/* The pod left the queue (bound or deleted): heap entries are dropped when
 * popped; a list entry is unlinked now. */
void sched_queue_pod_gone(SchedScheduler *s, uint32_t pod)
{
    if (qp_ro(s, pod) == &qp_none)
        return;   /* never queued */
    SchedRegion *rg = rg_of(s, pod);
    if (qp(s, pod)->where == Q_UNSCHED && rg)
        unsched_unlink(s, rg, pod);
    qp(s, pod)->where = Q_NONE;
}

/* ---- the cycle ------------------------------------------------------------------- */
static int plain_pod(const SimPod *p, const SimPodSpec *spec)
{
    return p->target_node == SIM_NONE && p->nominated_node == SIM_NONE && spec->node_name == NULL &&
           p->zone_pin == SIM_NONE;   /* a pinned pod's verdict is its own */
}

static void remember_failure(SchedScheduler *s, SchedWl *w, const SimPod *p, uint64_t gen, const char *msg,
                             uint8_t mask)
{
    if (w->fail_msg == NULL && (w->fail_msg = sim_mem_alloc(mem(s), SCHED_REASON_LEN)) == NULL)
        return;
    memcpy(w->fail_msg, msg, SCHED_REASON_LEN);
    w->fail_gen = gen;
    w->fail_prio = p->priority;
    w->fail_mask = mask;
    w->fail_valid = 1;
}

static void failed(SchedScheduler *s, SchedRegion *rg, uint32_t pod, const char *msg, uint8_t mask, uint64_t moves0)
{
    const SimPod *p = sim_pod(s->e, pod);
    SchedQPod *q = qp(s, pod);
    /* The first failure is traced as pod_unschedulable; a later one only when
     * its message differs from the last traced (the trace stays small). */
    uint32_t crc = sim_crc32(0, msg, strlen(msg));
    if (p->unschedulable && crc != q->msg_crc)
        sim_trace_rec(s->e, SIM_TR_POD_SCHED_FAIL,
                      (SimTrVal[]){SIM_TRI(pod), SIM_TRI(q->attempts), SIM_TRS(msg)}, 3);
    q->msg_crc = crc;
    sim_pod_set_unschedulable(s->e, pod, msg);
    q->ts = sim_now(s->e);
    q->fail = mask;
    if (rg->moves != moves0)
        (void)requeue(s, rg, pod);
    else
        (void)unsched_add(s, rg, s->wls[p->wl], p->wl, pod);
}

/* One pod's attempt: place and bind, or fail (and maybe preempt). */
static void attempt(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    SimEngine *e = s->e;
    const SimPod *p = sim_pod(e, pod);
    const SimPodSpec *spec = &sim_workload(e, p->wl)->spec;
    SchedWl *w = sched_wl(s, p->wl);
    SchedQPod *q = qp(s, pod);
    uint64_t gen0 = rg->gen, moves0 = rg->moves;
    if (w == NULL)
        return;
    q->where = Q_INFLIGHT;
    if (q->attempts < UINT16_MAX)
        q->attempts++;
    int plain = plain_pod(p, spec);
    if (plain && w->fail_valid && w->fail_gen == gen0 && w->fail_prio == p->priority) {
        failed(s, rg, pod, w->fail_msg, w->fail_mask, moves0);
        return;
    }
    SchedResult res;
    if (sched_place(s, pod, &res) != SIM_OK)
        return;
    if (res.node != SIM_NONE) {
        (void)sim_pod_bind(e, pod, res.node);
        return;
    }
    int preempted = 0;
    if (!sim_pod_preempt_never(e, pod)) {
        int rc = sched_preempt(s, pod);
        if (rc < 0)
            return;
        preempted = rc == SIM_OK;
        sched_nominated_update(s, rg, pod);
    }
    uint8_t mask = (uint8_t)(res.rejected & 0xffu);
    if (plain && !preempted && rg->gen == gen0)
        remember_failure(s, w, sim_pod(e, pod), gen0, res.reason, mask);
    failed(s, rg, pod, res.reason, mask, moves0);
}

static void run_cycle_event(SchedScheduler *s, SchedRegion *rg)
{
    rg->cycle_queued = 0;
    for (int done = 0; done < SCHED_CYCLE_CAP && heap_size(&rg->active) > 0; done++) {
        uint32_t pod = heap_pop(&rg->active).pod;
        if (qp_ro(s, pod)->where != Q_ACTIVE || sim_pod(s->e, pod)->phase != SIM_POD_PENDING)
            continue;   /* bound or deleted while queued */
        attempt(s, rg, pod);
        if (sim_mem(s->e)->oom)
            return;
    }
    if (heap_size(&rg->active) > 0)
        cycle_request(s, rg);
}

static void run_backoff_event(SchedScheduler *s, SchedRegion *rg, SimTime now)
{
    if (now >= rg->backoff_timer)
        rg->backoff_timer = SIM_TIME_MAX;
    while (heap_size(&rg->backoff) > 0 && heap_top(&rg->backoff)->k1 <= now) {
        uint32_t pod = heap_pop(&rg->backoff).pod;
        if (qp_ro(s, pod)->where == Q_BACKOFF && sim_pod(s->e, pod)->phase == SIM_POD_PENDING &&
            push_active(s, rg, pod) != SIM_OK)
            return;
    }
    if (heap_size(&rg->backoff) > 0)
        backoff_timer(s, rg, heap_top(&rg->backoff)->k1);
}

/* upstream flushUnschedulablePodsLeftover. */
static void run_flush_event(SchedScheduler *s, SchedRegion *rg, SimTime now)
{
    rg->flush_queued = 0;
    for (size_t i = rg->nunsched_wls; i-- > 0;) {
        if (i >= rg->nunsched_wls)
            continue;
        SchedWl *w = s->wls[rg->unsched_wls[i]];
        while (w->un.n > 0 && now - qp(s, w->un.head)->unsched_at > UNSCHED_MAX) {
            uint32_t pod = w->un.head;
            unsched_unlink(s, rg, pod);
            if (requeue(s, rg, pod) != SIM_OK)
                return;
        }
    }
    if (rg->nunsched > 0)
        flush_request(s, rg);
}

/* The region's control plane is back: the pods that queued up while it was
 * down get their cycle (the queue kept moving them as events came). */
void sched_queue_region_up(SchedScheduler *s, SchedRegion *rg)
{
    if (heap_size(&rg->active) > 0)
        cycle_request(s, rg);
}

void sched_queue_on_event(void *ctx, SimEngine *e, const SimEvent *ev)
{
    SchedScheduler *s = ctx;
    SchedRegion *rg = sched_region(s, ev->obj);
    if (rg == NULL || sched_region_sync(s, rg) != SIM_OK)
        return;
    switch (ev->aux) {
    case SCHED_EV_CYCLE:
        if (sim_region_up(e, ev->obj))
            run_cycle_event(s, rg);
        else
            rg->cycle_queued = 0;   /* its control plane is down: sched_queue_region_up asks again */
        break;
    case SCHED_EV_BACKOFF: run_backoff_event(s, rg, sim_now(e)); break;
    case SCHED_EV_FLUSH: run_flush_event(s, rg, sim_now(e)); break;
    default: break;
    }
}

void sched_queue_free(SchedScheduler *s)
{
    for (size_t k = 0; k < s->nqpage; k++)
        sim_mem_free(mem(s), s->qpage[k], QP_PAGE * sizeof **s->qpage);
    sim_mem_free(mem(s), s->qpage, s->capqpage * sizeof *s->qpage);
}
