/*
 * test_evq.c: the event-queue suite. One list of tests runs against every
 * queue implementation (the loop index is the SimEvqKind), because every
 * queue must pop in exactly sim_event_before order: (time, then seq). The
 * reference heap is also the oracle the random test compares against.
 * No timing here: speed lives in `kubesim bench`.
 */
#include <check.h>
#include <stdlib.h>

#include "sim/sim.h"

#include "tr.h"

#define NKINDS (SIM_EVQ_FAST + 1)

static SimEvent ev_at(SimTime t, uint64_t seq)
{
    SimEvent ev = {.t = t, .seq = seq, .obj = (uint32_t)seq, .gen = 7, .kind = SIM_EV_METRICS};
    ev.aux = (uint32_t)(seq * 2654435761u);
    return ev;
}

static void push_ok(SimEvq *q, SimTime t, uint64_t seq)
{
    SimEvent ev = ev_at(t, seq);
    ck_assert_int_eq(sim_evq_push(q, &ev), SIM_OK);
}

/* Pops one event and checks its (time, seq). */
static void pop_is(SimEvq *q, SimTime t, uint64_t seq)
{
    SimEvent ev;
    ck_assert_int_eq(sim_evq_pop(q, &ev), SIM_OK);
    ck_assert_int_eq(ev.t, t);
    ck_assert_uint_eq(ev.seq, seq);
}

static void same_event(const SimEvent *a, const SimEvent *b)
{
    ck_assert_int_eq(a->t, b->t);
    ck_assert_uint_eq(a->seq, b->seq);
    ck_assert_uint_eq(a->obj, b->obj);
    ck_assert_uint_eq(a->gen, b->gen);
    ck_assert_uint_eq(a->kind, b->kind);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->aux, b->aux);
}

/* Pops everything, checking strict (time, seq) order; returns the count. */
static size_t drain_in_order(SimEvq *q)
{
    SimEvent prev, ev;
    size_t n = 0;
    while (sim_evq_pop(q, &ev) == SIM_OK) {
        if (n++ > 0)
            ck_assert_msg(sim_event_before(&prev, &ev), "pop %zu out of order", n);
        prev = ev;
    }
    ck_assert_uint_eq(sim_evq_size(q), 0);
    return n;
}

static SimEvq *new_queue(SimMem *m, int kind)
{
    sim_mem_init(m);
    SimEvq *q = sim_evq_create(m, (SimEvqKind)kind);
    ck_assert_ptr_nonnull(q);
    return q;
}

static void free_queue(SimMem *m, SimEvq *q)
{
    sim_evq_destroy(q);
    ck_assert_int_eq(m->live, 0);
}

/* Many events at one time, some queued long before the others reach them:
 * they still pop by seq, which is schedule order for the engine. */
START_TEST(evq_equal_times_are_fifo)
{
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    const SimTime t = SIM_SEC(5);
    push_ok(q, t, 0);                    /* queued while t is far away */
    push_ok(q, t - 1, 1);
    pop_is(q, t - 1, 1);                 /* now t is close */
    for (uint64_t s = 2; s < 2000; s++)
        push_ok(q, t, s);
    for (uint64_t s = 0; s < 2000; s++)
        if (s != 1)
            pop_is(q, t, s);
    /* Seq, not push order, decides: pushed backwards, popped forwards. */
    for (uint64_t s = 3000; s > 2000; s--)
        push_ok(q, t + 10, s);
    for (uint64_t s = 2001; s <= 3000; s++)
        pop_is(q, t + 10, s);
    ck_assert_int_eq(sim_evq_pop(q, &(SimEvent){0}), SIM_DONE);
    free_queue(&m, q);
}
END_TEST

static int cmp_event(const void *pa, const void *pb)
{
    const SimEvent *a = pa, *b = pb;
    return sim_event_before(a, b) ? -1 : sim_event_before(b, a) ? 1 : 0;
}

START_TEST(evq_pops_in_time_order)
{
    enum { N = 20000 };
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    SimEvent *want = malloc(N * sizeof *want);
    SimRng r;
    sim_rng_seed(&r, 1, 0);
    for (uint64_t i = 0; i < N; i++) {
        /* a narrow range forces many equal times; a few spread far */
        SimTime t = (SimTime)(i % 7 == 0 ? sim_rng_u64(&r) >> 1 : sim_rng_below(&r, 5000));
        want[i] = ev_at(t, i);
        ck_assert_int_eq(sim_evq_push(q, &want[i]), SIM_OK);
    }
    ck_assert_uint_eq(sim_evq_size(q), N);
    qsort(want, N, sizeof *want, cmp_event);
    for (size_t i = 0; i < N; i++) {
        SimEvent ev;
        ck_assert_int_eq(sim_evq_pop(q, &ev), SIM_OK);
        same_event(&ev, &want[i]);
        ck_assert_uint_eq(sim_evq_size(q), N - 1 - i);
    }
    free(want);
    free_queue(&m, q);
}
END_TEST

START_TEST(evq_empty_pop_is_done)
{
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    SimEvent ev = ev_at(123, 456);
    ck_assert_int_eq(sim_evq_pop(q, &ev), SIM_DONE);
    ck_assert_int_eq(ev.t, 123);         /* *out untouched */
    ck_assert_uint_eq(sim_evq_size(q), 0);
    push_ok(q, 10, 1);
    pop_is(q, 10, 1);
    ck_assert_int_eq(sim_evq_pop(q, &ev), SIM_DONE);
    ck_assert_int_eq(sim_evq_pop(q, &ev), SIM_DONE);
    push_ok(q, 10, 2);                   /* usable again after running dry */
    pop_is(q, 10, 2);
    free_queue(&m, q);
}
END_TEST

START_TEST(evq_push_at_current_time_after_pop)
{
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    push_ok(q, 10, 1);
    push_ok(q, 20, 2);
    pop_is(q, 10, 1);
    push_ok(q, 10, 3);                   /* "now": runs before anything later */
    push_ok(q, 11, 4);
    pop_is(q, 10, 3);
    push_ok(q, 10, 5);
    push_ok(q, 10, 6);
    pop_is(q, 10, 5);
    pop_is(q, 10, 6);
    SimEvent early = ev_at(9, 7), neg = ev_at(-1, 8);
    ck_assert_int_eq(sim_evq_push(q, &early), SIM_EINVAL);   /* time never goes back */
    ck_assert_int_eq(sim_evq_push(q, &neg), SIM_EINVAL);
    pop_is(q, 11, 4);
    pop_is(q, 20, 2);
    ck_assert_uint_eq(sim_evq_size(q), 0);
    free_queue(&m, q);
}
END_TEST

START_TEST(evq_far_future_events)
{
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    const SimTime far[] = {SIM_TIME_MAX, SIM_TIME_MAX - 1, SIM_TIME_MAX / 2, INT64_C(1) << 62,
                           SIM_TIME_MAX, 0, 1, SIM_SEC(86400) * 365 * 100};
    for (uint64_t i = 0; i < 8; i++)
        push_ok(q, far[i], i);
    pop_is(q, 0, 5);
    pop_is(q, 1, 6);
    pop_is(q, far[7], 7);
    push_ok(q, SIM_TIME_MAX / 2, 8);     /* equal to the queued mid-range one */
    push_ok(q, SIM_TIME_MAX, 9);
    pop_is(q, SIM_TIME_MAX / 2, 2);
    pop_is(q, SIM_TIME_MAX / 2, 8);
    pop_is(q, INT64_C(1) << 62, 3);      /* MAX / 2 + 1 */
    pop_is(q, SIM_TIME_MAX - 1, 1);
    pop_is(q, SIM_TIME_MAX, 0);
    push_ok(q, SIM_TIME_MAX, 10);        /* at the end of time, still FIFO */
    pop_is(q, SIM_TIME_MAX, 4);
    pop_is(q, SIM_TIME_MAX, 9);
    pop_is(q, SIM_TIME_MAX, 10);
    ck_assert_int_eq(sim_evq_pop(q, &(SimEvent){0}), SIM_DONE);
    free_queue(&m, q);
}
END_TEST

/* A step of the random model: how far ahead of now the next push lands,
 * never past SIM_TIME_MAX (far jumps walk now towards it). */
static SimTime random_delay(SimRng *r, SimTime now)
{
    SimTime room = SIM_TIME_MAX - now, d;
    switch (sim_rng_below(r, 8)) {
    case 0: d = 0; break;                                    /* "now" */
    case 1: d = (SimTime)sim_rng_below(r, 4); break;         /* ties */
    case 2: d = (SimTime)sim_rng_below(r, 100000); break;
    case 3: d = room / 1024 + (SimTime)sim_rng_below(r, 2); break;   /* far future */
    default: d = (SimTime)sim_rng_exp(r, (double)SIM_NS_PER_S); break;
    }
    return d < room ? d : room;
}

/* Most seqs come from an increasing counter, as in the engine; some come
 * from a lower range, so later pushes may carry smaller seqs. */
static uint64_t random_seq(SimRng *r, uint64_t *hi, uint64_t *lo)
{
    return sim_rng_below(r, 16) == 0 ? (*lo)++ : (*hi)++;
}

/* Pops from both queues and checks they agree; returns SIM_OK or SIM_DONE
 * and moves *now to the popped time. */
static int pop_both(SimEvq *q, SimEvq *ref, SimTime *now)
{
    SimEvent a = {0}, b = {0};
    int rc = sim_evq_pop(ref, &b);
    ck_assert_int_eq(sim_evq_pop(q, &a), rc);
    if (rc == SIM_OK) {
        same_event(&a, &b);
        *now = b.t;
    }
    ck_assert_uint_eq(sim_evq_size(q), sim_evq_size(ref));
    return rc;
}

START_TEST(evq_matches_heap_on_random_hold_model)
{
    SimMem m, mref;
    SimEvq *q = new_queue(&m, _i), *ref = new_queue(&mref, SIM_EVQ_HEAP);
    SimRng r;
    sim_rng_seed(&r, 2024, (uint64_t)_i);
    uint64_t hi = UINT64_C(1) << 40, lo = 0;
    SimTime now = 0;
    for (int op = 0; op < 200000; op++) {
        /* the target size swings so the queues both grow and run dry */
        size_t target = op / 20000 % 2 ? 20 : 5000;
        if (sim_evq_size(ref) < target && sim_rng_below(&r, 4) != 0) {
            SimEvent ev = ev_at(now + random_delay(&r, now), random_seq(&r, &hi, &lo));
            ck_assert_int_eq(sim_evq_push(q, &ev), SIM_OK);
            ck_assert_int_eq(sim_evq_push(ref, &ev), SIM_OK);
        } else {
            pop_both(q, ref, &now);
        }
    }
    while (pop_both(q, ref, &now) == SIM_OK) {
    }
    free_queue(&m, q);
    free_queue(&mref, ref);
}
END_TEST

/* Pushes a fixed pattern (with pops mixed in) until the queue refuses, and
 * counts the events it holds in *queued. Returns the first error, or SIM_OK
 * if every push succeeded. */
static int push_pattern(SimEvq *q, size_t *queued)
{
    SimRng r;
    sim_rng_seed(&r, 99, 0);
    SimTime now = 0;
    *queued = 0;
    for (uint64_t i = 0; i < 3000; i++) {
        /* descending seqs at one time exercise the sort of ties on pop */
        SimEvent ev = ev_at(now + random_delay(&r, now), i % 5 == 0 ? 100000 - i : 200000 + i);
        int rc = sim_evq_push(q, &ev);
        if (rc != SIM_OK)
            return rc;
        ++*queued;
        if (i % 3 == 2) {
            SimEvent out;
            ck_assert_int_eq(sim_evq_pop(q, &out), SIM_OK);
            --*queued;
            now = out.t;
        }
    }
    return SIM_OK;
}

START_TEST(evq_oom_sweep_leaks_nothing)
{
    for (uint64_t n = 1;; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        SimEvq *q = sim_evq_create(&m, (SimEvqKind)_i);
        if (q == NULL) {
            ck_assert_int_eq(m.live, 0);
            continue;
        }
        size_t queued;
        int rc = push_pattern(q, &queued);
        ck_assert(rc == SIM_OK || rc == SIM_ENOMEM);
        /* a refused push changed nothing: the queue holds what it held */
        ck_assert_uint_eq(sim_evq_size(q), queued);
        ck_assert_uint_eq(drain_in_order(q), queued);
        sim_evq_destroy(q);
        ck_assert_int_eq(m.live, 0);
        if (rc == SIM_OK && !m.oom)
            break;
    }
}
END_TEST

/* Ties whose seqs arrive out of order need a sort; with no memory for it the
 * queue must still pop them right. */
START_TEST(evq_ties_pop_by_seq_without_memory)
{
    SimMem m;
    SimEvq *q = new_queue(&m, _i);
    for (uint64_t s = 500; s > 0; s--)
        push_ok(q, SIM_SEC(1), s);
    push_ok(q, SIM_SEC(2), 1000);
    m.fail_at = m.count + 1;             /* every allocation from now fails */
    for (uint64_t s = 1; s <= 500; s++) {
        pop_is(q, SIM_SEC(1), s);
        if (s % 100 == 0) {   /* may fit in spare capacity, or be refused */
            int rc = sim_evq_push(q, &(SimEvent){.t = SIM_SEC(1), .seq = 600 + s});
            ck_assert(rc == SIM_OK || rc == SIM_ENOMEM);
        }
    }
    drain_in_order(q);
    free_queue(&m, q);
}
END_TEST

static Suite *evq_suite(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("every_queue");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, evq_equal_times_are_fifo, 0, NKINDS);
    tcase_add_loop_test(tc, evq_pops_in_time_order, 0, NKINDS);
    tcase_add_loop_test(tc, evq_empty_pop_is_done, 0, NKINDS);
    tcase_add_loop_test(tc, evq_push_at_current_time_after_pop, 0, NKINDS);
    tcase_add_loop_test(tc, evq_far_future_events, 0, NKINDS);
    tcase_add_loop_test(tc, evq_matches_heap_on_random_hold_model, 0, NKINDS);
    tcase_add_loop_test(tc, evq_oom_sweep_leaks_nothing, 0, NKINDS);
    tcase_add_loop_test(tc, evq_ties_pop_by_seq_without_memory, 0, NKINDS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_run(evq_suite(), 0) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
