/*
 * metrics.h: the metrics recorder. It writes metrics.csv as the run goes, one
 * tidy row per (time, region, object, name, metric): nothing is held in memory
 * but the open file. The engine samples its own series every interval; upper
 * layers add theirs with a sampler.
 */
#ifndef KUBESIM_SIM_METRICS_H
#define KUBESIM_SIM_METRICS_H

#include "sim/sim.h"

typedef struct SimMetrics SimMetrics;
typedef struct SimEngine SimEngine;

#define SIM_METRICS_HEADER "t_seconds,region,object,name,metric,value"

/* Opens path and writes the header. NULL with a message in err on failure.
 * path NULL: the samplers run as ever but no row is formatted or written
 * (a run whose metrics.csv nobody reads). */
SimMetrics *sim_metrics_open(SimMem *m, const char *path, SimErr *err);
/* One row. Values print with up to 10 significant digits (deterministic). */
void sim_metrics_row(SimMetrics *mt, SimTime t, const char *region, const char *object,
                     const char *name, const char *metric, double value);
/* A reader of every row as it is recorded (the report, drawn from memory
 * instead of re-reading metrics.csv): the same rows, in the same order, as
 * the file's, with the exact time and value (the file rounds them). It is
 * called whether or not the recorder writes a file. */
typedef void (*SimMetricsSink)(void *ctx, SimTime t, const char *region, const char *object,
                               const char *name, const char *metric, double value);
void sim_metrics_set_sink(SimMetrics *mt, SimMetricsSink fn, void *ctx);
/* Closes the file. SIM_OK or SIM_EIO if any write failed. Frees mt. */
int sim_metrics_close(SimMetrics *mt);
void sim_metrics_abort(SimMetrics *mt);

/* A sampler adds its own rows at each sample time. */
typedef void (*SimSampler)(void *ctx, SimEngine *e, SimMetrics *mt);
int sim_metrics_add_sampler(SimMetrics *mt, SimSampler fn, void *ctx);

/* Attaches the recorder to the engine and samples every `every` from now on
 * (and once at the end). The engine does not own mt. */
int sim_metrics_attach(SimEngine *e, SimMetrics *mt, SimTime every);
/* The recorder attached to e, or NULL (a controller joins it with a sampler). */
SimMetrics *sim_metrics_recorder(SimEngine *e);

/* Takes the final sample at the engine's current time. */
void sim_metrics_final(SimEngine *e);

#endif
