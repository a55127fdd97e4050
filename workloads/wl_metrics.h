/*
 * wl_metrics.h: the metrics an HPA reads, as the metrics APIs would serve
 * them. Models that know how busy something is register a source: serving
 * traffic reports its pods' CPU, the backtest queue its length as an External
 * metric. The HPA asks here and never looks inside a model.
 */
#ifndef KUBESIM_WL_METRICS_H
#define KUBESIM_WL_METRICS_H

#include "workloads/wl.h"

/* A pod's resource usage as metrics-server reports it: the average over the
 * `window` that ends at `timestamp` (metrics-server scrapes every 15 s). */
typedef struct WlPodUsage {
    int64_t cpu_m;
    int64_t mem;
    SimTime timestamp;
    SimTime window;
} WlPodUsage;

/* Fills *out and returns 1, or returns 0 when the pod has no sample yet. */
typedef int (*WlUsageFn)(void *ctx, SimEngine *e, uint32_t pod, WlPodUsage *out);
/* A per-pod custom metric (HPA type Pods), in milli-units; 1 or 0 as above. */
typedef int (*WlPodMetricFn)(void *ctx, SimEngine *e, uint32_t pod, const char *name, int64_t *milli);
/* An External or Object metric's current value (the sum of its series), in
 * milli-units; 1, or 0 when the metric has no value. */
typedef int (*WlValueFn)(void *ctx, SimEngine *e, const char *name, int64_t *milli);

/* The source of the usage of workload wl's pods (one per workload; a later
 * call replaces it). Pods of a workload without a source use its spec's
 * declared usage (SimWorkload usage fields) if set, else have no sample. */
int wl_usage_source(WlControllers *c, uint32_t wl, WlUsageFn fn, void *ctx);
int wl_pod_metric_source(WlControllers *c, const char *name, WlPodMetricFn fn, void *ctx);
/* External and Object metrics by name (the name is copied). */
int wl_value_source(WlControllers *c, const char *name, WlValueFn fn, void *ctx);

/* What the HPA reads. Each returns 1 with a value or 0 without. */
int wl_pod_usage(WlControllers *c, uint32_t pod, WlPodUsage *out);
int wl_pod_metric(WlControllers *c, uint32_t pod, const char *name, int64_t *milli);
int wl_value_metric(WlControllers *c, const char *name, int64_t *milli);

#endif
