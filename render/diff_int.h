/*
 * diff_int.h: the parts of `kubesim diff` (diff.c: the summaries and the
 * answer; diff_metrics.c: metrics.csv; diff_trace.c: the first divergent
 * decision), shared by render/diff*.c only.
 *
 * Invariant: each part adds its findings to the answer (a cJSON tree built in
 * the caller's sim_json scope) or returns an error with the message, naming
 * the file, in err; it never prints.
 */
#ifndef KUBESIM_RENDER_DIFF_INT_H
#define KUBESIM_RENDER_DIFF_INT_H

#include <cjson/cJSON.h>

#include "render/rnd.h"
#include "render/rnd_int.h"

/* The metrics series that differ most: at most RND_DIFF_TOP of them. */
#define RND_DIFF_TOP 10

/* Formats run time t (seconds) on the run's clock: "09:31:20" when the run
 * has one, else the offset from the start "+2:35:20". */
void rnd_diff_time(const RndClock *c, double t, char *buf, size_t n);

/* Adds "metrics": [{series, t_seconds, time, a, b, delta}] to answer, the
 * series of the two metrics.csv texts whose values differ most (relative to
 * the series' own scale), each at the sample where they differ most. SIM_OK,
 * SIM_EINVAL (a file is not a kubesim metrics.csv; "PATH:LINE: why") or
 * SIM_ENOMEM. */
int rnd_diff_metrics(SimMem *m, const char *a, size_t alen, const char *apath, const char *b, size_t blen,
                     const char *bpath, const RndClock *c, cJSON *answer, SimErr *err);

/* Adds "configuration" (declarations that differ: node groups, workloads,
 * queues ...) and "divergence" (the first decision record that differs, in
 * words, or null when the decisions agree) to answer, reading the traces at
 * apath and bpath (their kinds in schema). SIM_OK, or an error naming the
 * file (SIM_EIO, SIM_ECORRUPT, SIM_ENOMEM). */
int rnd_diff_traces(SimMem *m, const SimTrSchema *schema, const char *apath, const char *bpath, const RndClock *c,
                    cJSON *answer, SimErr *err);

#endif
