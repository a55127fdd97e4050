/*
 * wl_int.h: the controllers' shared state (private to workloads/).
 */
#ifndef KUBESIM_WL_INT_H
#define KUBESIM_WL_INT_H

#include "workloads/wl.h"

/* One DaemonSet's pods, by node: pod_of_node[node] is its live pod there. */
typedef struct WlDaemonSet {
    uint32_t wl;
    uint32_t *pod_of_node;
    size_t cap;
} WlDaemonSet;

/* One backtest request and what its runs did. */
typedef struct WlBtReq {
    WlBacktest b;
    const BtResult *result;     /* owned by the memo */
    uint64_t completed;
    SimTime last_duration;
    uint32_t last_node;
} WlBtReq;

typedef struct WlSource {
    uint32_t wl;            /* usage sources */
    char *name;             /* named sources */
    void *fn;               /* WlUsageFn, WlPodMetricFn or WlValueFn */
    void *ctx;
} WlSource;

struct WlControllers {
    WlSource *usage, *podmetric, *value;
    size_t nusage, capusage, npodmetric, cappodmetric, nvalue, capvalue;
    SimEngine *e;
    WlDaemonSet *ds;
    size_t nds, capds;
    WlBtReq *bt;
    size_t nbt, capbt;
    BtMemo *memo;               /* created with the first request */
    BtThroughput tp;
};

/* daemonset.c */
int wl_ds_start(WlControllers *c, uint32_t wl);
int wl_ds_reconcile(WlControllers *c, uint32_t wl);
void wl_ds_pod_terminated(WlControllers *c, uint32_t pod);
void wl_ds_node_ready(WlControllers *c, uint32_t node);
void wl_ds_free(WlControllers *c);
int wl_queue_reconcile(WlControllers *c, uint32_t wl, SimTime at);
/* Creates n pods of wl (counting them active); stops at the first refusal. */
int wl_create_pods(WlControllers *c, uint32_t wl, int32_t n);

/* deployment.c */
int wl_deploy_reconcile(WlControllers *c, uint32_t wl);

/* job.c */
int wl_job_reconcile(WlControllers *c, uint32_t wl);
void wl_job_pod_terminated(WlControllers *c, uint32_t pod);

/* metrics.c */
void wl_metrics_free(WlControllers *c);

/* backtests.c */
void wl_bt_register(WlControllers *c);
void wl_bt_pod_succeeded(WlControllers *c, uint32_t pod);
void wl_bt_free(WlControllers *c);

#endif
