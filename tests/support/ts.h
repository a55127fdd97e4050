/*
 * ts.h: driving an engine from a Check suite (prefix ts_): running it to a
 * time, and the out-of-memory sweep that fails allocation N for every N.
 */
#ifndef KUBESIM_TESTS_TS_H
#define KUBESIM_TESTS_TS_H

#include <stdio.h>

#include "sim/model.h"

/* Runs every event up to and including time t, with the cascade of events
 * that the handlers at t schedule for t itself (32 levels deep: a reconcile
 * creates pods, a scheduling cycle binds them, listeners react...). Uses the
 * "test" event kind. Asserts that the run reaches t. */
void ts_run_to(SimEngine *e, SimTime t);
/* The engine's "test" event kind (registered on first use), now pointed at fn. */
unsigned ts_event_kind(SimEngine *e, SimHandler fn, void *ctx);
/* The same, calling each(ctx, e) after every event. */
void ts_run_to_each(SimEngine *e, SimTime t, void (*each)(void *ctx, SimEngine *e), void *ctx);

/* One run of an out-of-memory sweep: does its work through m (whose fail_at
 * is set) and returns nonzero if it saw a failure and reported it. */
typedef int (*TsOomRun)(void *ctx, SimMem *m);

/* The out-of-memory sweep: runs run(ctx, m) with allocation n and every one
 * after it failing, for n = 1, 2, ..., until a run fails nothing and reports
 * no failure. After every run asserts that nothing leaked and, when exact,
 * that the run reported a failure exactly when an allocation failed; fails
 * the test if n reaches limit (the sweep does not end). Returns the runs. */
uint64_t ts_oom_sweep(TsOomRun run, void *ctx, int exact, uint64_t limit);

/* An explain command's entry point (sched_explain_case and its kin). */
typedef int (*TsExplainFn)(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                           SimErr *err);

/* The out-of-memory sweep of one explain case, answered as JSON and as text:
 * every run either answers or returns SIM_ENOMEM with "out of memory" in its
 * message and nothing printed, exactly when an allocation failed; nothing
 * leaks; the last run answers. */
void ts_explain_oom_sweep(TsExplainFn fn, const char *text, size_t len);

#endif
