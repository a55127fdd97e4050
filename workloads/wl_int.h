/*
 * wl_int.h: the controllers' shared state (private to workloads/).
 */
#ifndef KUBESIM_WL_INT_H
#define KUBESIM_WL_INT_H

#include "sim/summary.h"
#include "workloads/wl.h"

/* One DaemonSet's pods, by node: pod_of_node[node] is its live pod there. */
typedef struct WlDaemonSet {
    uint32_t wl;
    uint32_t *pod_of_node;
    size_t cap;
} WlDaemonSet;

/* ---- Deployments through ReplicaSets, StatefulSets (deployment.c,
 * replicaset.c, statefulset.c) --------------------------------------------- */
/* The pod-template fields a rollout may change (SimRollout). */
typedef struct WlTemplate {
    const char *image;
    SimRes req;
    int64_t lim_cpu_m, lim_mem;
    SimTime startup;
    int64_t usage_cpu_m, usage_mem;
} WlTemplate;

/* One ReplicaSet: a revision of its Deployment's template. */
typedef struct WlRs {
    WlTemplate t;
    char hash[16];              /* pod-template-hash */
    uint32_t id;                /* creation order (SimPod.rs); also its creationTimestamp order */
    uint32_t revision;          /* deployment.kubernetes.io/revision */
    int32_t replicas;           /* spec.replicas */
    int32_t desired_ann, max_ann;   /* the desired-replicas and max-replicas annotations */
    int32_t pods, ready;        /* live and Ready pods, kept as pods change (replicaset.c) */
    int32_t available;          /* Ready for minReadySeconds (wl_rs_status) */
} WlRs;

/* One Deployment: its ReplicaSets, its live pods, and its last status. */
typedef struct WlDeploy {
    uint32_t wl;
    WlRs *rs;
    size_t nrs, caprs;
    uint32_t next_id;
    uint32_t *pods;             /* the live pods its ReplicaSets created */
    size_t npods, cappods;
    /* pod id -> its index in pods (replicaset.c): open addressing with
     * linear probing, SIM_NONE for an empty key; scap is 0 or a power of 2 */
    uint32_t *skey, *sval;
    size_t scap, sn;
    int32_t st_replicas, st_updated, st_ready, st_available;   /* status at the last sync */
    /* wl_rs_status's memo (with minReadySeconds): its counts stand while
     * nothing that feeds them changed (gen: pods created or gone, Running
     * or Ready changes, ReplicaSets added or removed) and time has not
     * reached the next availability change (memo_next). */
    uint64_t gen, memo_gen;
    SimTime memo_next;
    uint8_t memo_ok;
    int cond_status;            /* Progressing: 1 True, 0 False, -1 absent */
    int cond_reason;            /* a WlProgress */
    SimTime cond_update, cond_transition;
} WlDeploy;

/* One StatefulSet: its pods and volumes by ordinal. */
typedef struct WlSts {
    uint32_t wl;
    uint32_t *pod_of;           /* ordinal -> its live pod, or SIM_NONE */
    uint32_t *vol_zone;         /* ordinal -> its volume's zone, or SIM_NONE (none yet) */
    size_t cap;
} WlSts;

/* Reconcile events (c->ev) whose aux is not 0 are a controller's own timers,
 * never cancelled by a generation bump (controllers.c asks wl_apps_timer). */
#define WL_AUX_SYNC 0u
#define WL_AUX_WAKE 1u          /* due if the workload's wake_at is still this time */
#define WL_AUX_ROLLOUT 2u       /* + k: the Deployment's rollout k (SimWorkload.rollouts) is due */

/* One backtest request and what its runs did. */
typedef struct WlBtReq {
    WlBacktest b;
    const BtResult *result;     /* owned by the memo */
    uint64_t completed;
    SimTime last_duration;
    uint32_t last_node;
    const char *queue;          /* the queue a submission went to (queue.c); NULL for a Job's */
} WlBtReq;

typedef struct WlSource {
    uint32_t wl;            /* usage sources */
    char *name;             /* named sources */
    void *fn;               /* WlUsageFn, WlPodMetricFn or WlValueFn */
    void *ctx;
} WlSource;

struct WlHpaInput;

struct WlControllers {
    WlSource *usage, *podmetric, *value;
    size_t nusage, capusage, npodmetric, cappodmetric, nvalue, capvalue;
    WlSource kubelet;           /* wl_kubelet_source (fn NULL: a NotReady node's kubelet is down) */
    SimEngine *e;
    uint16_t ev;                /* our event kind: a workload reconciles (aux != 0: a timer) */
    WlStats stats;
    WlDaemonSet *ds;
    size_t nds, capds;
    WlBtReq *bt;
    size_t nbt, capbt;
    BtMemo *memo;               /* created with the first request */
    BtMemo *memo_shared;        /* the memo's results come from here (wl_backtest_share_memo) */
    BtThroughput tp;
    WlDeploy *dep;              /* deployment.c */
    size_t ndep, capdep;
    WlSts *sts;                 /* statefulset.c */
    size_t nsts, capsts;
    struct WlQueues *queues;    /* queue.c; NULL until the first queue is added */
    struct WlTraffic *traffic;  /* traffic.c; NULL until first used */
    struct WlHpaSet *hpa;       /* hpa.c; NULL until the first HPA is added */
    void (*hpa_watch)(void *ctx, WlControllers *c, size_t hpa, const struct WlHpaInput *in);   /* wl_hpa_watch */
    void *hpa_watch_ctx;
    struct WlJob *jobs;         /* job.c: by workload id, grown on demand */
    size_t capjobs;
    struct WlCronJob *crons;    /* cronjob.c */
    size_t ncrons, capcrons;
    /* controllers.c: the namespace whose refused workloads an ended pod's
     * deletion last woke, and when (a Job's pods go in one instant: one wake) */
    SimTime woke_t;
    uint32_t woke_region, woke_ns;
    uint8_t *held;              /* by workload id: a sync came while its region was down */
    size_t capheld;
};

/* Summary sections (summary.h ranks), registered by wl_create. */
int wl_hpa_summary(void *ctx, SimEngine *e, cJSON *summary);         /* hpa.c */
int wl_jobs_summary(void *ctx, SimEngine *e, cJSON *summary);        /* job.c */
int wl_backtests_summary(void *ctx, SimEngine *e, cJSON *summary);   /* backtests.c */
/* summary["queues"] = [{name, region, arrived, completed, requeued, failed,
 * waiting}], after backtests; no key when there is no queue. */
int wl_queue_summary(WlControllers *c, cJSON *summary);             /* queue.c */
int wl_slo_summary(void *ctx, SimEngine *e, cJSON *summary);         /* traffic_out.c */

/* daemonset.c */
int wl_ds_start(WlControllers *c, uint32_t wl);
int wl_ds_reconcile(WlControllers *c, uint32_t wl);
void wl_ds_pod_terminated(WlControllers *c, uint32_t pod);
void wl_ds_node_ready(WlControllers *c, uint32_t node);
void wl_ds_free(WlControllers *c);
int wl_queue_reconcile(WlControllers *c, uint32_t wl, SimTime at);

/* deployment.c */
int wl_deploy_start(WlControllers *c, uint32_t wl);
int wl_deploy_reconcile(WlControllers *c, uint32_t wl);
void wl_deploy_pod_terminated(WlControllers *c, uint32_t pod);
/* A Deployment pod became Running, or its Ready condition changed: dready
 * is the change in its Ready count (-1, 0 or 1). */
void wl_deploy_pod_changed(WlControllers *c, uint32_t pod, int dready);
void wl_deploy_free(WlControllers *c);
WlDeploy *wl_deploy_of(WlControllers *c, uint32_t wl);
/* A reconcile timer (aux != 0) fired: 1 if the workload should sync now
 * (a rollout applies its template first), 0 if the timer is stale. */
int wl_apps_timer(WlControllers *c, const SimEvent *ev);
/* Asks for a sync of wl at t (>= now) through a WL_AUX_WAKE timer, unless an
 * earlier one is pending. */
void wl_wake_at(WlControllers *c, uint32_t wl, SimTime t);

/* replicaset.c: the ReplicaSet layer under deployment.c */
void wl_template_of(const SimPodSpec *sp, WlTemplate *t);
int wl_template_eq(const WlTemplate *a, const WlTemplate *b);
/* Appends a ReplicaSet of template t with 0 replicas (traced as rs_create);
 * its index in d->rs, or SIZE_MAX on out of memory. */
size_t wl_rs_add(WlControllers *c, WlDeploy *d, const WlTemplate *t, uint32_t revision);
/* Sets spec.replicas (traced as rs_scale when it changes); annotate also
 * writes the desired- and max-replicas annotations. */
void wl_rs_set(WlControllers *c, WlDeploy *d, size_t i, int32_t replicas, int annotate);
/* Brings every ReplicaSet's available count up to now; returns the
 * earliest future time a Ready pod becomes available (SIM_TIME_MAX: none). */
SimTime wl_rs_status(WlControllers *c, WlDeploy *d);
/* The ReplicaSet controller: every ReplicaSet creates or deletes pods to
 * match spec.replicas. Stops creating at the first refusal (SIM_EFORBIDDEN). */
int wl_rs_sync(WlControllers *c, WlDeploy *d);
/* A pod of the Deployment became Ready (dready 1) or stopped being (-1). */
void wl_rs_pod_ready(WlControllers *c, WlDeploy *d, uint32_t pod, int dready);
void wl_rs_pod_gone(WlControllers *c, WlDeploy *d, uint32_t pod);
void wl_rs_slots_free(WlControllers *c, WlDeploy *d);   /* the pod -> slot index of d->pods */

/* statefulset.c */
int wl_sts_start(WlControllers *c, uint32_t wl);
int wl_sts_reconcile(WlControllers *c, uint32_t wl);
void wl_sts_pod_bound(WlControllers *c, uint32_t pod);
void wl_sts_pod_terminated(WlControllers *c, uint32_t pod);
void wl_sts_free(WlControllers *c);

/* job.c: one Job's controller state (the status upstream keeps on the
 * object), indexed by workload id in c->jobs. */
typedef struct WlJob {
    uint8_t inited, begun, refused;
    uint8_t *index_state;       /* Indexed: per completion index, pending / active / succeeded */
    size_t nindex;
    uint32_t *pods;             /* every pod it created, in creation order */
    size_t npods, cappods;
    SimTime start, finish;      /* status.startTime, the finished condition's time; -1 unset */
    const char *reason;         /* the finished condition's reason */
    int32_t fail_streak;        /* failures since the last success (the re-creation backoff's n) */
    SimTime last_fail, last_success;
    int32_t created;            /* pods created: the failure injection's "first N" */
    uint32_t cron;              /* index of its CronJob in c->crons, or SIM_NONE */
    int64_t scheduled;          /* its CronJob's schedule time (Unix s) */
} WlJob;

int wl_job_reconcile(WlControllers *c, uint32_t wl);
void wl_job_pod_terminated(WlControllers *c, uint32_t pod);
/* The state of Job wl (created zeroed on first use); NULL on out of memory. */
WlJob *wl_job_state(WlControllers *c, uint32_t wl);
/* Deletes Job wl (TTL, history limit, Replace): its live pods are deleted,
 * it is marked deleted and traced, and its CronJob forgets it. */
int wl_job_delete(WlControllers *c, uint32_t wl, const char *reason);
void wl_job_free(WlControllers *c);

/* cronjob.c: one CronJob's controller state. */
typedef struct WlCronJob {
    uint32_t wl;
    WlSchedule sched;
    WlZone *zone;               /* NULL: UTC */
    int64_t created_ns;         /* creationTimestamp, Unix ns */
    int64_t last;               /* status.lastScheduleTime (Unix s), when has_last */
    uint8_t has_last;
    uint32_t *jobs;             /* its Jobs that exist, in creation order */
    size_t njobs, capjobs;
} WlCronJob;

int wl_cron_start(WlControllers *c, uint32_t wl);
int wl_cron_reconcile(WlControllers *c, uint32_t wl);
/* Job `job` of CronJob c->crons[cron] finished / was deleted. */
int wl_cron_job_finished(WlControllers *c, uint32_t cron, uint32_t job);
void wl_cron_job_gone(WlControllers *c, uint32_t cron, uint32_t job);
void wl_cron_free(WlControllers *c);

/* metrics.c */
void wl_metrics_free(WlControllers *c);

/* backtests.c */
void wl_bt_register(WlControllers *c);
void wl_bt_pod_succeeded(WlControllers *c, uint32_t pod);
void wl_bt_free(WlControllers *c);
/* Runs (or reuses, through the memo) the kernel of request c->bt[req] and
 * times it on node: its counted work over the node's throughput. SIM_OK with
 * *out, or an error with the message on the engine. */
int wl_bt_run_on(WlControllers *c, size_t req, uint32_t node, SimTime *out);

/* queue.c: the backtest queues' pod hooks (controllers.c calls them). */
void wl_queue_pod_running(WlControllers *c, uint32_t pod);
void wl_queue_pod_terminated(WlControllers *c, uint32_t pod);
/* A busy worker's pod is being deleted: the time its request still needs
 * (the pod_stopping listener); 0 for any other pod. */
SimTime wl_queue_pod_stopping(WlControllers *c, uint32_t pod);
/* A draining worker's pod is gone: its request is done, or requeued. */
void wl_queue_pod_gone(WlControllers *c, uint32_t pod);
void wl_queue_free(WlControllers *c);

/* traffic.c */
void wl_traffic_free(WlControllers *c);

/* hpa.c */
void wl_hpa_free(WlControllers *c);

#endif
