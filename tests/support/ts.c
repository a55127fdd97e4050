/* ts.c: see ts.h. */
#include "ts.h"

#include <check.h>

typedef struct Marker {
    int hit, left;
} Marker;

/* Re-queues itself at the same instant so that it runs after the cascade
 * of that instant's handlers. */
static void on_marker(void *ctx, SimEngine *e, const SimEvent *ev)
{
    Marker *m = ctx;
    if (m->left-- > 0)
        ck_assert_int_eq(sim_schedule(e, sim_now(e), ev->kind, 0, 0, 0), SIM_OK);
    else
        m->hit = 1;
}

unsigned ts_event_kind(SimEngine *e, SimHandler fn, void *ctx)
{
    unsigned k = sim_event_kind_find(e, "test");
    if (k != SIM_EV_NONE) {
        sim_engine_on(e, k, fn, ctx);
        return k;
    }
    uint16_t nk;
    ck_assert_int_eq(sim_event_kind(e, "test", fn, ctx, &nk), SIM_OK);
    return nk;
}

void ts_run_to_each(SimEngine *e, SimTime t, void (*each)(void *ctx, SimEngine *e), void *ctx)
{
    Marker m = {0, 32};
    unsigned k = ts_event_kind(e, on_marker, &m);
    ck_assert_int_eq(sim_schedule(e, t, k, 0, 0, 0), SIM_OK);
    while (!m.hit) {
        ck_assert_int_eq(sim_step(e), SIM_OK);
        if (each)
            each(ctx, e);
    }
    ck_assert_int_eq(sim_now(e), t);
}

void ts_run_to(SimEngine *e, SimTime t)
{
    ts_run_to_each(e, t, NULL, NULL);
}

uint64_t ts_oom_sweep(TsOomRun run, void *ctx, int exact, uint64_t limit)
{
    for (uint64_t n = 1;; n++) {
        ck_assert_msg(n < limit, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        int failed = run(ctx, &m) != 0;
        ck_assert_msg(m.live == 0, "fail_at %llu: %lld bytes leaked", (unsigned long long)n, (long long)m.live);
        if (exact)
            ck_assert_msg(failed == m.oom, "fail_at %llu: allocation failure %s", (unsigned long long)n,
                          m.oom ? "not reported" : "reported without one");
        if (!failed && !m.oom)
            return n;   /* allocation n was never reached: every earlier one was swept */
    }
}
