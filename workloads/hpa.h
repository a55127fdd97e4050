/*
 * hpa.h: the HorizontalPodAutoscaler (autoscaling/v2), k8s-behaviour.md §1.
 *
 * Two layers share one implementation so that a run and `kubesim explain hpa`
 * can never disagree:
 *   - the replica calculator and the normalisation are pure functions over
 *     plain inputs (pods with their phase, readiness, start and sample times,
 *     requests and usage; metric values; the recommendation and scale-event
 *     history; the time now), reproducing upstream's integer truncation,
 *     int32 conversions, math.Ceil and the strict edges of every window;
 *   - the live controller (hpa.c) syncs each HPA every 15 s as an event, reads
 *     its target's pods and the metric sources of wl_metrics.h, and scales the
 *     target through wl_scale().
 * Quantities are milli-units throughout, as upstream's MilliValue(): CPU in
 * millicores, memory in thousandths of a byte, custom metrics in thousandths.
 */
#ifndef KUBESIM_WL_HPA_H
#define KUBESIM_WL_HPA_H

#include <stdio.h>

#include "sim/metrics.h"
#include "workloads/wl.h"

/* The HPA's trace record (number fixed: sim/trace.h): hpa wl current desired
 * limited_by: an HPA rescaled its target (limited_by: none, tolerance,
 * stabilization, policy, min, max). */
enum { WL_TR_HPA = 35 };
/* hpa_sync hpa wl current desired limited_by reason metrics: a sync whose
 * outcome changed (desired, limitedBy, upstream's condition reason such as
 * ScaleUpLimit or TooManyReplicas, a metric's proposal); metrics is each
 * metric's value, target and proposal ("cpu 92% (target 60%) -> 7; ...").
 * Syncs that change nothing are not traced. */
enum { WL_TR_HPA_SYNC = 48 };
int wl_hpa_trace_kinds(SimTrSchema *s);

/* kube-controller-manager's defaults (§1.1). */
#define WL_HPA_SYNC_PERIOD SIM_SEC(15)
#define WL_HPA_TOLERANCE 0.1
#define WL_HPA_CPU_INIT_PERIOD SIM_SEC(300)
#define WL_HPA_READINESS_DELAY SIM_SEC(30)
#define WL_HPA_DOWNSCALE_WINDOW_S 300
#define WL_HPA_MAX_POLICIES 16

/* ---- the spec ------------------------------------------------------------ */
typedef enum WlHpaSource {
    WL_HPA_RESOURCE = 0,
    WL_HPA_CONTAINER_RESOURCE,   /* one container per pod: the same as Resource */
    WL_HPA_PODS,
    WL_HPA_OBJECT,
    WL_HPA_EXTERNAL
} WlHpaSource;

typedef enum WlHpaTarget {
    WL_HPA_UTILIZATION = 0,
    WL_HPA_VALUE,
    WL_HPA_AVERAGE_VALUE
} WlHpaTarget;

typedef enum WlHpaRes { WL_HPA_CPU = 0, WL_HPA_MEMORY, WL_HPA_RES_COUNT } WlHpaRes;

typedef struct WlHpaMetric {
    WlHpaSource source;
    WlHpaTarget target;
    WlHpaRes res;            /* Resource and ContainerResource */
    const char *name;        /* the metric's name ("cpu" or "memory" for Resource) */
    int32_t utilization;     /* target averageUtilization, percent of request */
    int64_t milli;           /* target value or averageValue, milli-units */
} WlHpaMetric;

typedef enum WlHpaSelect { WL_HPA_SELECT_MAX = 0, WL_HPA_SELECT_MIN, WL_HPA_SELECT_DISABLED } WlHpaSelect;

typedef struct WlHpaPolicy {
    int percent;             /* type Percent (1) or Pods (0) */
    int32_t value;
    int32_t period_s;
} WlHpaPolicy;

/* One direction of spec.behavior, fully defaulted. */
typedef struct WlHpaRules {
    int32_t window_s;        /* stabilizationWindowSeconds */
    WlHpaSelect select;
    WlHpaPolicy policies[WL_HPA_MAX_POLICIES];
    size_t npolicies;
    double tolerance;        /* per-direction tolerance (v1.33+); < 0: the controller's */
} WlHpaRules;

typedef struct WlHpaSpec {
    int32_t min, max;        /* minReplicas (default 1), maxReplicas */
    const WlHpaMetric *metrics;   /* borrowed; at least one */
    size_t nmetrics;
    int has_behavior;        /* behavior set: §1.8; unset: the legacy path §1.7 */
    WlHpaRules up, down;
    double tolerance;        /* --horizontal-pod-autoscaler-tolerance (0.1) */
} WlHpaSpec;

/* The API server's defaults for a behavior given without a direction
 * (apis/autoscaling/v2/defaults.go), with the scale-down window the
 * controller fills in (300 s). */
void wl_hpa_rules_default_up(WlHpaRules *r);
void wl_hpa_rules_default_down(WlHpaRules *r);

/* ---- the calculator's inputs --------------------------------------------- */
typedef enum WlHpaPhase {
    WL_HPA_POD_PENDING = 0,
    WL_HPA_POD_RUNNING,
    WL_HPA_POD_SUCCEEDED,
    WL_HPA_POD_FAILED,
    WL_HPA_POD_UNKNOWN
} WlHpaPhase;

/* One pod of the target as the HPA's pod lister and metrics-server see it. */
typedef struct WlHpaPod {
    WlHpaPhase phase;
    int deleting;            /* deletionTimestamp set */
    int ready;               /* Ready condition: 1 True, 0 False, -1 absent */
    int has_start;           /* status.startTime set */
    SimTime start;
    SimTime transition;      /* the Ready condition's lastTransitionTime */
    int has_req[WL_HPA_RES_COUNT];
    int64_t req[WL_HPA_RES_COUNT];       /* requests, milli-units */
    int has_usage[WL_HPA_RES_COUNT];     /* a metrics-server sample for the resource */
    int64_t usage[WL_HPA_RES_COUNT];     /* milli-units */
    SimTime sample_t, sample_window;     /* the sample's timestamp and window */
} WlHpaPod;

/* Per-pod custom metric i of the pods array (type Pods): 1 with a value, 0 without. */
typedef int (*WlHpaPodMetricFn)(void *ctx, size_t pod, const char *name, int64_t *milli);
/* An Object or External metric: the values of its series (several for an
 * External metric whose selector matches several); returns their count, at
 * most cap (0: the metric has no value). */
typedef size_t (*WlHpaValueFn)(void *ctx, WlHpaSource src, const char *name, int64_t *milli, size_t cap);

typedef struct WlHpaInput {
    SimTime now;
    int32_t spec_replicas;   /* the target's scale.spec.replicas (currentReplicas) */
    int32_t status_replicas; /* scale.status.replicas (Object/External AverageValue) */
    const WlHpaPod *pods;
    size_t npods;
    WlHpaPodMetricFn pod_metric;
    WlHpaValueFn value;
    void *ctx;
    int ambiguous;           /* another HPA selects the same pods (upstream's hpaSelectors): the
                                metrics are not read, ScalingActive False, reason AmbiguousSelector */
} WlHpaInput;

/* ---- the calculator's answer, per metric -------------------------------- */
typedef enum WlHpaHeld {
    WL_HPA_HELD_NONE = 0,
    WL_HPA_HELD_TOLERANCE,   /* the ratio was within tolerance: current replicas */
    WL_HPA_HELD_DIRECTION    /* the conservative re-computation flipped direction */
} WlHpaHeld;

typedef struct WlHpaMetricResult {
    int valid;
    const char *error;       /* static text, when !valid */
    const char *reason;      /* the condition reason of an invalid metric (FailedGetResourceMetric) */
    int32_t proposal;
    double ratio;            /* the usage ratio (before any re-computation) */
    int recomputed;          /* the conservative path ran (§1.4) */
    double new_ratio;
    double value;            /* what the HPA saw: percent for Utilization, units otherwise */
    int32_t ready, unready, missing, ignored;
    WlHpaHeld held;
} WlHpaMetricResult;

/* How the calculator groups a pod for a metric (§1.3): counted ready, unready
 * (dropped; at 0 on a scale-up), missing (no sample: at 0 on a scale-up, at
 * its request or the target on a scale-down), ignored (dropped). */
typedef enum WlHpaGroup {
    WL_HPA_GROUP_READY = 0,
    WL_HPA_GROUP_UNREADY,
    WL_HPA_GROUP_MISSING,
    WL_HPA_GROUP_IGNORED
} WlHpaGroup;

/* Pod i of in's group for metric m, with upstream's reason in *why (static
 * text; NULL for a ready pod). For Object and External Value metrics a pod
 * not Running and Ready is unready (not in readyPods); for AverageValue
 * targets every pod is ready (status.replicas counts). */
WlHpaGroup wl_hpa_pod_group(const WlHpaMetric *m, const WlHpaInput *in, size_t i, const char **why);

/* The replica calculator for one metric (§1.3-§1.5). tol_down and tol_up are
 * the scale-down and scale-up tolerances. Fills *r; never fails (an invalid
 * metric is r->valid == 0 with the reason). */
void wl_hpa_calc_metric(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                        WlHpaMetricResult *r);

/* ---- history: recommendations and scale events --------------------------- */
typedef struct WlHpaRec {
    int32_t replicas;
    SimTime t;
} WlHpaRec;

typedef struct WlHpaEvent {
    int32_t change;          /* replicas added (up list) or removed (down list), > 0 */
    SimTime t;
    int outdated;
} WlHpaEvent;

/* One HPA's memory, as the controller keeps it per key. Arrays grow through
 * mem and are freed by wl_hpa_history_free. */
typedef struct WlHpaHistory {
    SimMem *mem;
    WlHpaRec *recs;
    size_t nrecs, caprecs;
    WlHpaEvent *up, *down;
    size_t nup, capup, ndown, capdown;
} WlHpaHistory;

void wl_hpa_history_init(WlHpaHistory *h, SimMem *mem);
void wl_hpa_history_free(WlHpaHistory *h);
/* Appends a recommendation / a scale event (change > 0 up, < 0 down) as given. */
int wl_hpa_history_add_rec(WlHpaHistory *h, int32_t replicas, SimTime t);
int wl_hpa_history_add_event(WlHpaHistory *h, int32_t change, SimTime t);

/* ---- one reconcile ------------------------------------------------------- */
typedef enum WlHpaLimit {
    WL_HPA_LIMIT_NONE = 0,
    WL_HPA_LIMIT_TOLERANCE,
    WL_HPA_LIMIT_STABILIZATION,
    WL_HPA_LIMIT_POLICY,
    WL_HPA_LIMIT_MIN,
    WL_HPA_LIMIT_MAX,
    WL_HPA_LIMIT_INVALID,
    WL_HPA_LIMIT_AMBIGUOUS   /* another HPA selects the target's pods: AmbiguousSelector */
} WlHpaLimit;

/* "none", "tolerance", "stabilization", "policy", "min", "max", "invalid-metric",
 * "ambiguous-selector". */
const char *wl_hpa_limit_name(WlHpaLimit l);

typedef struct WlHpaDecision {
    int32_t current;         /* spec.replicas */
    int disabled;            /* spec.replicas == 0 and minReplicas != 0 */
    int has_calc;            /* some metric proposed a count */
    int32_t calc;            /* the maximum over the valid metrics' proposals */
    int normalized;          /* the stabilisation and rate rules ran */
    int32_t stabilized;      /* after the stabilisation window */
    int32_t desired;         /* the answer; desired != current means rescale */
    WlHpaLimit limited_by;
    const char *reason;      /* upstream's condition reason (ScaleUpLimit, ScalingDisabled, ...) */
} WlHpaDecision;

/* One reconcile of §1.2: the per-metric proposals into per[spec->nmetrics],
 * their maximum and the invalid-metric rules, then the legacy (§1.7) or
 * behavior (§1.8) normalisation, which records the raw recommendation in h,
 * and the clamp. Returns SIM_OK, or SIM_ENOMEM when h could not grow. */
int wl_hpa_decide(const WlHpaSpec *spec, const WlHpaInput *in, WlHpaHistory *h, WlHpaMetricResult *per,
                  WlHpaDecision *d);
/* Stores the scale event of a rescale from -> to made at now (behavior set
 * only; events older than the direction's longest policy period are marked
 * outdated and their slot reused). */
int wl_hpa_record_scale(const WlHpaSpec *spec, WlHpaHistory *h, int32_t from, int32_t to, SimTime now);

/* ---- the live controller (hpa.c) ----------------------------------------- */
/* Adds an HPA named name scaling workload target (a Deployment or a
 * StatefulSet). spec is copied deeply. Its first sync runs one sync period
 * (15 s) after the current time (upstream's informer queues a new HPA rate
 * limited by the sync period), then every 15 s. SIM_OK, SIM_EINVAL for a bad
 * spec (message on the engine) or SIM_ENOMEM. */
int wl_hpa_add(WlControllers *c, const char *name, uint32_t target, const WlHpaSpec *spec);
/* The HPAs' rows in metrics.csv from mt's first sample (an HPA added later
 * joins the recorder at its first sync). SIM_OK, or SIM_ESTATE when mt has
 * no room for another sampler (message on the engine). */
int wl_hpa_add_sampler(WlControllers *c, SimMetrics *mt);
/* Checks a spec as the API server's validation would: SIM_OK, or SIM_EINVAL
 * with the problem in why (static text). */
int wl_hpa_spec_check(const WlHpaSpec *spec, const char **why);

/* The HPAs in the order added, and each one's decision at its last sync
 * (NULL before the first). */
size_t wl_hpa_count(const WlControllers *c);
const WlHpaDecision *wl_hpa_last(const WlControllers *c, size_t i);
/* HPA i's name, target and spec (the controller's, valid while c lives), for
 * export. SIM_EINVAL past the last. */
int wl_hpa_info(const WlControllers *c, size_t i, const char **name, uint32_t *target, const WlHpaSpec **spec);

/* How outputs (trace, metrics, summary) name HPA i: its name, or
 * NAMESPACE/NAME when another HPA has the same name; in buf when composed. */
const char *wl_hpa_label(const WlControllers *c, size_t i, char *buf, size_t n);
/* HPA i's history (recommendations and scale events) as the controller
 * keeps it; NULL past the last. */
const WlHpaHistory *wl_hpa_history(const WlControllers *c, size_t i);
/* HPA i's target pods as its pod lister holds them (created, not
 * terminated, in creation order: in->pods[k] of a sync is pod ids[k]). */
const uint32_t *wl_hpa_pods(const WlControllers *c, size_t i, size_t *n);

/* Called at every sync of every HPA that runs (not while its region is
 * down), just before the decision, with what the sync reads: its input (the
 * target's replicas and pods, the metric callbacks) and, through
 * wl_hpa_history(), its history with the first-sight recommendation already
 * in. It must not change the engine. One watcher per controller set; NULL
 * removes it. For `kubesim explain hpa --from`. */
typedef void (*WlHpaWatchFn)(void *ctx, WlControllers *c, size_t hpa, const WlHpaInput *in);
void wl_hpa_watch(WlControllers *c, WlHpaWatchFn fn, void *ctx);

/* ---- `kubesim explain hpa` (hpa_explain.c) ------------------------------- */
/* The case `explain hpa` reads for HPA i of c at a sync whose input is in
 * (from a watcher): its spec, currentReplicas and statusReplicas, its pods
 * as the sync sees them, the Object and External metric values, the history
 * with ages counted back from in->now, the tolerance and the other HPAs of
 * the same target. The caller owns the result (cJSON_Delete); NULL on out of
 * memory (cJSON's allocator). */
struct cJSON *wl_hpa_explain_case_from(WlControllers *c, size_t hpa, const WlHpaInput *in);

/* Reads the case from text (file names it in messages), writes the answer to
 * out as JSON (as_json) or as text. Every allocation, cJSON's included, goes
 * through m. Returns SIM_OK, or SIM_EINVAL with "FILE: $.json.path: problem"
 * (or "FILE:LINE:COL: not valid JSON") in err, or SIM_ENOMEM with "FILE: out
 * of memory", and nothing written to out on an error. */
int wl_hpa_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                        SimErr *err);

#endif
