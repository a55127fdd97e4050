/*
 * evq_int.h: the event-queue interface shared by the queue implementations
 * (private to sim/). Each implementation embeds SimEvq as its first member and
 * supplies an ops table; sim_evq_* dispatch through it. Every implementation
 * must pop events in exactly sim_event_before() order, so one test suite runs
 * against all of them.
 */
#ifndef KUBESIM_SIM_EVQ_INT_H
#define KUBESIM_SIM_EVQ_INT_H

#include "sim/sim.h"

typedef struct SimEvqOps {
    const char *name;
    int (*push)(SimEvq *q, const SimEvent *ev);
    int (*pop)(SimEvq *q, SimEvent *out);
    size_t (*size)(const SimEvq *q);
    void (*destroy)(SimEvq *q);
} SimEvqOps;

/* now is the time of the last popped event (0 before the first pop). The
 * dispatcher rejects pushes earlier than now, so implementations may rely on
 * keys never going below it (the fast queue's radix buckets do). */
struct SimEvq {
    const SimEvqOps *ops;
    SimMem *mem;
    SimTime now;
};

SimEvq *sim_evq_heap_create(SimMem *m);
SimEvq *sim_evq_fast_create(SimMem *m);

#endif
