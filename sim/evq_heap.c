/*
 * evq_heap.c: the reference event queue, an array-backed 4-ary min-heap of
 * SimEvent by value, ordered by sim_event_before (time, then seq).
 *
 * Invariant (heap order): for every i > 0, ev[(i - 1) / 4] is not after ev[i],
 * so ev[0] is the earliest event. Four children per node halve the depth of a
 * binary heap and keep siblings in one or two cache lines, which pays on
 * sift-down, the expensive half of a pop. Sifts move a hole instead of
 * swapping, so each level costs one 32-byte copy.
 *
 * It is the oracle the other queues are tested against: keep it simple.
 */
#include "sim/evq_int.h"

#define ARITY 4

typedef struct HeapQ {
    SimEvq base;          /* first, so a SimEvq * is a HeapQ * */
    SimEvent *ev;         /* ev[0..n) in heap order; capacity cap */
    size_t n, cap;
} HeapQ;

static void sift_up(HeapQ *h, size_t i, SimEvent x)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!sim_event_before(&x, &h->ev[p]))
            break;
        h->ev[i] = h->ev[p];
        i = p;
    }
    h->ev[i] = x;
}

/* The earliest of the (up to ARITY) children of node i; n > first child. */
static size_t min_child(const HeapQ *h, size_t i)
{
    size_t c = i * ARITY + 1, end = c + ARITY, best = c;
    if (end > h->n)
        end = h->n;
    for (c++; c < end; c++)
        if (sim_event_before(&h->ev[c], &h->ev[best]))
            best = c;
    return best;
}

static void sift_down(HeapQ *h, size_t i, SimEvent x)
{
    while (i * ARITY + 1 < h->n) {
        size_t c = min_child(h, i);
        if (!sim_event_before(&h->ev[c], &x))
            break;
        h->ev[i] = h->ev[c];
        i = c;
    }
    h->ev[i] = x;
}

static int heap_push(SimEvq *q, const SimEvent *ev)
{
    HeapQ *h = (HeapQ *)q;
    void *p = h->ev;
    if (sim_mem_grow(q->mem, &p, &h->cap, h->n + 1, sizeof *h->ev) != SIM_OK)
        return SIM_ENOMEM;   /* sim_mem_grow left the array as it was */
    h->ev = p;
    sift_up(h, h->n++, *ev);
    return SIM_OK;
}

static int heap_pop(SimEvq *q, SimEvent *out)
{
    HeapQ *h = (HeapQ *)q;
    if (h->n == 0)
        return SIM_DONE;
    *out = h->ev[0];
    if (--h->n > 0)
        sift_down(h, 0, h->ev[h->n]);
    return SIM_OK;
}

static size_t heap_size(const SimEvq *q)
{
    return ((const HeapQ *)q)->n;
}

static void heap_destroy(SimEvq *q)
{
    HeapQ *h = (HeapQ *)q;
    SimMem *m = q->mem;
    sim_mem_free(m, h->ev, h->cap * sizeof *h->ev);
    sim_mem_free(m, h, sizeof *h);
}

static const SimEvqOps heap_ops = {"heap4", heap_push, heap_pop, heap_size, heap_destroy};

/* An empty heap owning no array yet (the first push allocates); NULL on out
 * of memory. */
SimEvq *sim_evq_heap_create(SimMem *m)
{
    HeapQ *h = sim_mem_calloc(m, 1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->base.ops = &heap_ops;
    h->base.mem = m;
    return &h->base;
}
