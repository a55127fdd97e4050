/*
 * wl.h: the workload controllers (prefix wl_). Each reconciles as an event
 * (SIM_EV_WORKLOAD) queued when something it owns changes, never by polling
 * every object every tick.
 */
#ifndef KUBESIM_WL_H
#define KUBESIM_WL_H

#include <cjson/cJSON.h>

#include "sim/model.h"
#include "workloads/backtest/bt.h"

typedef struct WlControllers WlControllers;

/* Creates the controllers of engine e (registers their handler and pod
 * listener). NULL on out of memory. */
WlControllers *wl_create(SimEngine *e);
void wl_destroy(WlControllers *c);

/* Starts a declared workload: a Deployment reconciles now, a Job at its
 * start time. */
int wl_start(WlControllers *c, uint32_t wl);

/* Changes a Deployment's desired replicas (scenario hooks, later the HPA). */
int wl_scale(WlControllers *c, uint32_t wl, int32_t replicas);

/* ---- backtests as simulated work ---------------------------------------- */
/* A backtest request served by a Job: each of the Job's pods runs the real
 * kernel when it starts (identical requests share one run through the memo),
 * and runs for the kernel's counted work over its node's throughput. The data
 * is borrowed: it must outlive the controllers. */
typedef struct WlBacktest {
    uint32_t wl;                /* the Job, whose spec.duration is SIM_DURATION_BY_WORK */
    const char *name;
    const BtData *data;
    BtParams params;
} WlBacktest;

int wl_backtest_add(WlControllers *c, const WlBacktest *b);
/* The reference core's rates (default: bt_throughput_reference). */
void wl_backtest_set_throughput(WlControllers *c, const BtThroughput *t);
/* summary.json's backtests.results: one entry per request that completed at
 * least once (name, strategy, data, runs, counted work, simulated seconds and
 * the kernel's metrics). NULL on out of memory; the caller owns it. */
cJSON *wl_backtest_results(WlControllers *c);

#endif
