/*
 * sweep.h: capacity-planning sweeps over a scenario (prefix scn_sweep_).
 *
 * A sweep is the grid of every combination of --vary NAME=V1,V2,... values:
 * each NAME is a param() or a declaration field (NAME.FIELD), as --set takes
 * it. Configuration i picks one value per axis in row-major order (the last
 * --vary changes fastest), so an index names the same configuration on every
 * machine and a sweep can be cut into shards (i mod N) and merged back.
 *
 * Each configuration's run is summarised in one row (cost, SLO, pending
 * peak, expectations); the cheapest configuration that meets every
 * expectation is the answer. A configuration may run with several seeds
 * (scn_sweep_seeds): its row then holds the mean of each figure over the
 * seeds and the worst seed's (the highest: every figure is one where more
 * is worse), and it passes only when enough seeds pass every expectation
 * (all of them by default), so one lucky seed cannot pick it. An objective
 * (scn_sweep_objective) scopes the SLO figures to one service, or adds the
 * completion time of one Job or queue. Rows come from each run's summary.json, or from
 * the sweep.csv of shards when merging. Memory goes through the SimMem hook
 * given at creation; every error leaves its message on the sweep
 * (scn_sweep_errmsg), except scn_sweep_load's, which makes a scenario and
 * reports in its SimErr.
 */
#ifndef KUBESIM_SCN_SWEEP_H
#define KUBESIM_SCN_SWEEP_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "scenarios/scn.h"

#define SCN_SWEEP_MAX_CONFIGS 100000

typedef struct ScnSweep ScnSweep;

/* NULL on out of memory. The caller frees with scn_sweep_free. */
ScnSweep *scn_sweep_new(SimMem *m);
void scn_sweep_free(ScnSweep *w);
/* Why the last call on w failed: every int function below that acts on a
 * sweep leaves its message there. */
const char *scn_sweep_errmsg(const ScnSweep *w);

/* The seeds each configuration runs with (n >= 1) and the fraction of them
 * that must pass every expectation (0 < pass_rate <= 1) for the
 * configuration to pass. Default: 1 seed, 1.0. */
void scn_sweep_seeds(ScnSweep *w, size_t n, double pass_rate);
size_t scn_sweep_nseeds(const ScnSweep *w);

/* Scopes the rows to "service:NAME" (SLO figures of that service only),
 * "job:NAME" or "queue:NAME" (adds completion_seconds: from the Job's or
 * the queue's first sample in metrics.csv to the start of its final idle
 * state, to the metrics interval; a CronJob's NAME covers its Jobs
 * NAME-<minutes>, the slowest counts). SIM_EINVAL for another form. */
int scn_sweep_objective(ScnSweep *w, const char *spec);
/* Nonzero when rows need each run's metrics.csv (a job: or queue: objective). */
int scn_sweep_wants_metrics(const ScnSweep *w);

/* What reruns a configuration: the scenario path as given (NULL: the
 * built-in one), the sweep's own --set values and the first seed. Copied. */
int scn_sweep_rerun_base(ScnSweep *w, const char *path, const char *const *sets, size_t nsets, int64_t seed);
/* The shell command that reruns configuration config with seed (argument
 * quoted for a POSIX shell when needed) into buf. */
void scn_sweep_rerun(const ScnSweep *w, size_t config, int64_t seed, char *buf, size_t n);

/* Adds an axis from "NAME=V1,V2,...". SIM_EINVAL (bad form, a repeated NAME
 * or value, more than SCN_SWEEP_MAX_CONFIGS configurations) or SIM_ENOMEM. */
int scn_sweep_vary(ScnSweep *w, const char *spec);
size_t scn_sweep_axes(const ScnSweep *w);
size_t scn_sweep_configs(const ScnSweep *w);

/* The configuration's overrides as "NAME=VALUE" strings into sets (one per
 * axis; the strings live as long as the sweep). */
void scn_sweep_sets(const ScnSweep *w, size_t config, const char **sets);
/* "NAME=VALUE NAME=VALUE" for messages. */
void scn_sweep_label(const ScnSweep *w, size_t config, char *buf, size_t n);

/* Loads the scenario with base's sets plus the configuration's. NULL on error
 * (the message, prefixed with the configuration, in err). */
ScnScenario *scn_sweep_load(const ScnSweep *w, size_t config, const ScnOptions *base, SimErr *err);

/* Records one seed's run of configuration from its summary.json text (and
 * its metrics.csv, which scn_sweep_wants_metrics sweeps need; else NULL):
 * each call adds a seed to the row. SIM_EINVAL if the text is not a kubesim
 * summary, or it lacks what the objective names. */
int scn_sweep_add_run(ScnSweep *w, size_t config, const char *json, size_t len, const char *metrics,
                      size_t mlen);
/* scn_sweep_add_run without metrics. */
int scn_sweep_add_summary(ScnSweep *w, size_t config, const char *json, size_t len);

/* Merging: reads a sweep.csv (name for messages) and adds its rows; the
 * first file sets the axes, later ones must match. */
int scn_sweep_add_csv(ScnSweep *w, const char *csv, size_t len, const char *name);
/* Merging: reads a shard's sweep.json (name for messages) for the scenario's
 * name, the seed and what reruns a configuration (path, set, seeds,
 * pass_rate, objective), which sweep.csv does not carry; every shard must
 * agree.
 * SIM_EINVAL names the file and the key that differs or is not valid. */
int scn_sweep_add_meta(ScnSweep *w, const char *json, size_t len, const char *name);
/* After merging: every configuration has its row exactly once, and the axes'
 * values are recovered in their original order. SIM_EINVAL names a missing
 * configuration. */
int scn_sweep_check_complete(ScnSweep *w);

/* The configuration with the lowest mean cost among those that pass (every
 * expectation on enough seeds; ties: the lowest index), or SIZE_MAX. */
size_t scn_sweep_cheapest(const ScnSweep *w);

/* Writes the rows present as CSV: config, configs, one column per axis,
 * cost_usd, slo_violation_seconds, latency_p95_ms, error_rate, pending_peak,
 * expectations_passed, expectations_failed, ok (the figures are means over
 * the seeds, the expectations the worst seed's); then completion_seconds
 * with a job: or queue: objective; then, with more than one seed, seeds,
 * seeds_passed and FIGURE_worst for each figure. One seed and no objective:
 * the columns of the first kubesim sweep. */
void scn_sweep_write_csv(const ScnSweep *w, FILE *f);
/* sweep.json as a cJSON object (caller owns), allocated through the sweep's
 * SimMem; scenario may be NULL and seed < 0 for a merge: then those of the
 * shards' sweep.json (null when no shard had one). NULL on out of memory. */
cJSON *scn_sweep_json(const ScnSweep *w, const char *scenario, int64_t seed, size_t shard, size_t shards);

#endif
