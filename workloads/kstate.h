/*
 * kstate.h: the kube-state sampler. At every metrics sample it writes what
 * kube-state-metrics and the kubelet's cAdvisor would expose about the
 * simulated cluster (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs,
 * HPAs, nodes, pods, ResourceQuotas, container CPU and memory), under their
 * names and label spellings, plus a few kubesim_* series only the simulator
 * knows (region health, cumulative pod and Job counts). The rows go to their
 * own file, one per line: t_seconds TAB family TAB labels TAB value, labels
 * written as OpenMetrics wants them (k="v",... escaped); render/openmetrics.c
 * turns them into OpenMetrics text beside metrics.csv's rows.
 *
 * It only reads: a run with the sampler has the trace and metrics.csv of
 * the same run without it. Per-pod series are bounded: at each sample the
 * first max_pods existing pods in creation order.
 */
#ifndef KUBESIM_WL_KSTATE_H
#define KUBESIM_WL_KSTATE_H

#include "sim/metrics.h"
#include "workloads/wl.h"

typedef struct WlKstate WlKstate;

#define WL_KSTATE_PODS_DEFAULT 100

/* Opens path for the rows of controllers c (created, truncated). NULL with a
 * message in err when it cannot. */
WlKstate *wl_kstate_open(WlControllers *c, const char *path, uint32_t max_pods, SimErr *err);
/* Samples with the recorder mt from now on (after the other samplers). */
int wl_kstate_attach(WlKstate *k, SimMetrics *mt);
/* Closes the file and frees k: SIM_OK, or SIM_EIO if a write failed. */
int wl_kstate_close(WlKstate *k);
/* Frees k after a failed run (the file is the caller's to remove). */
void wl_kstate_abort(WlKstate *k);

/* One row at the current sample: family (a counter without _total), its
 * labels (ready: k="v",...), its value. For the controllers' own samplers
 * (hpa.c). */
void wl_kstate_row(WlKstate *k, const char *family, const char *labels, double v);
/* Appends key="value" (escaped, comma first unless at 0) at buf[*len]; keeps
 * the text NUL-terminated and within n (a label that does not fit is cut). */
void wl_kstate_label(char *buf, size_t n, size_t *len, const char *key, const char *value);

/* hpa.c: the kube_horizontalpodautoscaler_* rows of every HPA. */
void wl_hpa_kstate(WlControllers *c, WlKstate *k);

#endif
