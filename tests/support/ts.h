/*
 * ts.h: driving an engine from a Check suite (prefix ts_).
 */
#ifndef KUBESIM_TESTS_TS_H
#define KUBESIM_TESTS_TS_H

#include "sim/model.h"

/* Runs every event up to and including time t, with the cascade of events
 * that the handlers at t schedule for t itself (32 levels deep: a reconcile
 * creates pods, a scheduling cycle binds them, listeners react...). Uses the
 * SIM_EV_HOOK handler. Asserts that the run reaches t. */
void ts_run_to(SimEngine *e, SimTime t);
/* The same, calling each(ctx, e) after every event. */
void ts_run_to_each(SimEngine *e, SimTime t, void (*each)(void *ctx, SimEngine *e), void *ctx);

#endif
