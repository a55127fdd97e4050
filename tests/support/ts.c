/* ts.c: see ts.h. */
#include "ts.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

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
        int rc = sim_step(e);
        ck_assert_msg(rc == SIM_OK, "sim_step: %d: %s", rc, sim_errmsg(e));
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

typedef struct ExplainRun {
    TsExplainFn fn;
    const char *text;
    size_t len;
    int as_json;
} ExplainRun;

static int explain_run(void *ctx, SimMem *m)
{
    const ExplainRun *x = ctx;
    SimErr err = SIM_ERR_INIT;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ck_assert_ptr_nonnull(f);
    int rc = x->fn(m, x->text, x->len, "case.json", x->as_json, f, &err);
    fclose(f);
    ck_assert_msg(rc == SIM_OK || (rc == SIM_ENOMEM && sim_err_code(&err) == SIM_ENOMEM &&
                                   strcmp(sim_err_msg(&err), "case.json: out of memory") == 0),
                  "allocation %llu: %d '%s'", (unsigned long long)m->fail_at, rc, sim_err_msg(&err));
    ck_assert_msg(rc == SIM_OK ? outlen > 0 : outlen == 0, "allocation %llu: %zu bytes printed, rc %d",
                  (unsigned long long)m->fail_at, outlen, rc);
    free(out);
    return rc != SIM_OK;
}

void ts_explain_oom_sweep(TsExplainFn fn, const char *text, size_t len)
{
    for (int as_json = 0; as_json < 2; as_json++) {
        ExplainRun x = {fn, text, len, as_json};
        uint64_t runs = ts_oom_sweep(explain_run, &x, 1, 1000000);
        ck_assert_uint_gt(runs, 20);   /* the parse alone allocates more */
    }
}
