/*
 * timings.h: the fitted delays of a calibration file's "timings" (prefix
 * sim_timings_): per workload its pods' start-up (bind -> Ready) and its
 * HPA's reaction delay, per node group its nodes' provisioning (launch ->
 * Ready). `kubesim calibrate --from-prometheus` writes them; `kubesim run
 * --calibration` applies them to the scenario's objects by name, and the
 * engine then draws each delay from its distribution (stream
 * SIM_RNG_TIMINGS) instead of taking the scenario's constant.
 *
 * JSON (beside the kernel rates' "classes"):
 *   "timings": {
 *     "workloads": [{"namespace": "default", "workload": "api",
 *                    "startup": DIST, "hpa_reaction": DIST}, ...],
 *     "node_groups": [{"node_group": "general", "provisioning": DIST}, ...]}
 *   DIST: {"family": "lognormal", "shift_s": S, "mu": M, "sigma": G, "cap_s": C, ...}
 *       | {"family": "constant", "value_s": V, ...}
 * with the fit's report (samples, ks, ks_p, mean_s, ...) beside, which the
 * reader ignores. Each DIST is optional; "namespace" may be omitted (any).
 * Invariant: the owned strings and arrays are freed by sim_timings_free only.
 */
#ifndef KUBESIM_SIM_TIMINGS_H
#define KUBESIM_SIM_TIMINGS_H

#include <cjson/cJSON.h>

#include "sim/dist.h"
#include "sim/sim.h"

typedef struct SimTimingWl {
    char *ns;                /* NULL: any namespace */
    char *name;
    SimDist startup, hpa_reaction;
} SimTimingWl;

typedef struct SimTimingGroup {
    char *name;
    SimDist provisioning;
} SimTimingGroup;

typedef struct SimTimings {
    SimMem *mem;
    SimTimingWl *wl;
    size_t nwl;
    SimTimingGroup *groups;
    size_t ngroups;
} SimTimings;

struct SimEngine;

/* Reads root's "timings" (absent: none) into t, whose strings are allocated
 * through m. SIM_OK, or SIM_EINVAL / SIM_ENOMEM with the message (naming the
 * JSON path) in err; t is empty after a failure. */
int sim_timings_from_json(SimMem *m, const cJSON *root, SimTimings *t, SimErr *err);
void sim_timings_free(SimTimings *t);
/* A DIST object as the calibration file holds it (NULL on out of memory). */
cJSON *sim_dist_json(const SimDist *d, const SimDistFit *q);
/* Reads a DIST object; SIM_EINVAL with the reason in err (prefixed by where). */
int sim_dist_from_json(const cJSON *o, const char *where, SimDist *d, SimErr *err);

/* Sets the delays of the engine's workloads and node groups that t names.
 * Returns how many of t's entries matched no object (0: all did). */
size_t sim_timings_apply(struct SimEngine *e, const SimTimings *t);

#endif
