/*
 * evq.c: the event-queue front end. sim_evq_* pick an implementation at
 * create time and dispatch through its ops table (evq_int.h).
 *
 * Invariant: q->now is the time of the last popped event and every queued
 * event is at or after it. The front end enforces this once, here, by refusing
 * pushes that would go back in time, so each implementation can rely on it
 * and all of them fail the same way on bad input.
 */
#include "sim/evq_int.h"

/* Returns NULL on out of memory or an unknown kind. The queue allocates only
 * through m, which must outlive it; the caller owns the queue. */
SimEvq *sim_evq_create(SimMem *m, SimEvqKind kind)
{
    SimEvq *q = NULL;
    switch (kind) {
    case SIM_EVQ_HEAP: q = sim_evq_heap_create(m); break;
    case SIM_EVQ_FAST: q = sim_evq_fast_create(m); break;
    }
    if (q)
        q->now = 0;
    return q;
}

/* Frees the queue and every event still in it; NULL is a no-op. */
void sim_evq_destroy(SimEvq *q)
{
    if (q)
        q->ops->destroy(q);
}

/* Copies *ev into the queue. SIM_OK; SIM_ENOMEM with the queue unchanged;
 * SIM_EINVAL if ev is earlier than the last pop (time would go back), a
 * caller bug reported rather than asserted because it is bad input. */
int sim_evq_push(SimEvq *q, const SimEvent *ev)
{
    if (ev->t < q->now)
        return SIM_EINVAL;
    return q->ops->push(q, ev);
}

/* Moves the earliest event by (time, seq) to *out: SIM_OK, or SIM_DONE when
 * the queue is empty (then *out is untouched). It cannot fail: push reserves
 * what pop needs (a failed optional scratch allocation only sets mem->oom). */
int sim_evq_pop(SimEvq *q, SimEvent *out)
{
    int rc = q->ops->pop(q, out);
    if (rc == SIM_OK) {
        SIM_ASSERT(out->t >= q->now);
        q->now = out->t;
    }
    return rc;
}

size_t sim_evq_size(const SimEvq *q)
{
    return q->ops->size(q);
}

/* The implementation's name ("heap4", "radix"), a static string. */
const char *sim_evq_name(const SimEvq *q)
{
    return q->ops->name;
}
