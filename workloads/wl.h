/*
 * wl.h: the workload controllers (prefix wl_). Each reconciles as an event
 * (SIM_EV_WORKLOAD) queued when something it owns changes, never by polling
 * every object every tick.
 */
#ifndef KUBESIM_WL_H
#define KUBESIM_WL_H

#include "sim/model.h"

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

#endif
