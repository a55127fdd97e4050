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

/* metrics-server's --metric-resolution: it scrapes every kubelet at each
 * multiple of 15 s (and Prometheus, behind the Pods metrics, as often). */
#define WL_METRICS_RESOLUTION SIM_SEC(15)

/* When node's kubelet could last not be reached: from `down` until `up`
 * (-1: it still cannot); down -1: never. */
typedef struct WlKubeletOutage {
    SimTime down, up;
} WlKubeletOutage;
typedef void (*WlKubeletFn)(void *ctx, SimEngine *e, uint32_t node, WlKubeletOutage *out);
/* Who knows when kubelets are down (the faults module: from a node's crash
 * to its recovery). Without one, a NotReady node's kubelet is down since the
 * node's last change and back when the node is Ready. fn NULL removes it. */
int wl_kubelet_source(WlControllers *c, WlKubeletFn fn, void *ctx);

/* What the HPA reads. Each returns 1 with a value or 0 without.
 * wl_pod_usage is metrics-server's view: the source's sample, except for a
 * pod whose node's kubelet it could not scrape. metrics-server's storage
 * keeps only the pods of its last scrape (storage/pod.go Store), so a pod
 * has no sample from the first scrape at or after its kubelet went down, and
 * once the kubelet is back it needs two scrapes again (a CPU rate is the
 * difference of two points). wl_pod_metric (Pods metrics, scraped from the
 * pod by Prometheus) has none from the first scrape at or after the outage
 * until the first scrape at or after its end. wl_pod_usage_raw is the
 * source's sample as is (the container's own usage, for kube-state rows). */
int wl_pod_usage(WlControllers *c, uint32_t pod, WlPodUsage *out);
int wl_pod_usage_raw(WlControllers *c, uint32_t pod, WlPodUsage *out);
int wl_pod_metric(WlControllers *c, uint32_t pod, const char *name, int64_t *milli);
/* 1 when metrics-server has no sample of the pod because of its kubelet's
 * outage *o (down, or back for less than two scrapes); else 0. */
int wl_pod_unscraped(WlControllers *c, uint32_t pod, WlKubeletOutage *o);
int wl_value_metric(WlControllers *c, const char *name, int64_t *milli);

#endif
