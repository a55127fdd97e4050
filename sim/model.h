/*
 * model.h: the engine and the cluster object model (regions, zones, node
 * groups, nodes, namespaces, workloads, pods) with the pod lifecycle.
 *
 * The engine owns every object; ids are dense indices that stay valid for the
 * whole run (a removed node keeps its slot, marked dead), so an id in the
 * trace names one object forever. Pod ids are never reused either, but a
 * deleted pod's record is recycled (sim_pod reads it as a tombstone then):
 * memory follows the pods alive, not the pods ever created. Upper layers read the structs
 * below directly (they are hot in the scheduler) but change them only through
 * sim_* functions, which keep the node totals, the trace and the stats right.
 *
 * Invariant: for every live node, req == Σ requests of the pods bound to it and
 * not terminated, and the same for nz_req (requests with the scheduler's
 * non-zero defaults).
 */
#ifndef KUBESIM_SIM_MODEL_H
#define KUBESIM_SIM_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "sim/dist.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define SIM_NONE UINT32_MAX
/* The generation of a recycled pod record: no event of a live pod carries it. */
#define SIM_POD_DEAD_GEN UINT32_MAX
/* sim_workload_find: several workloads (in several namespaces or of several kinds) have the name. */
#define SIM_AMBIGUOUS (UINT32_MAX - 1)

typedef struct SimEngine SimEngine;

/* Resources in exact integers: millicores, bytes, GPUs, pod slots. */
typedef struct SimRes {
    int64_t cpu_m;
    int64_t mem;
    int64_t gpu;
    int64_t pods;
} SimRes;

typedef struct SimKV {
    char *key;
    char *value;
} SimKV;

typedef enum SimTaintEffect {
    SIM_TAINT_NO_SCHEDULE = 0,
    SIM_TAINT_PREFER_NO_SCHEDULE,
    SIM_TAINT_NO_EXECUTE
} SimTaintEffect;

typedef struct SimTaint {
    char *key;
    char *value;
    SimTaintEffect effect;
} SimTaint;

typedef struct SimRegion {
    char *name;
    uint32_t *nodes;        /* ids of every node ever added to this region */
    size_t nnodes, capnodes;
    uint32_t live_nodes;
    uint32_t ready_nodes;   /* live nodes in state Ready: the scheduler's N */
    uint32_t nodes_peak;
    uint32_t pods_pending;  /* unschedulable Pending pods (PodScheduled=False) */
    uint32_t pods_bound, pods_running;
    uint64_t pods_created;  /* pods ever created in the region */
    double cost_usd;        /* accumulated up to cost_t */
    double cost_rate;       /* USD per simulated second of the live nodes */
    double paid_usd;        /* of cost_usd, what namespaces paid (the rest is idle) */
    double paid_rate;
    SimTime cost_t;
    uint8_t down;           /* a region outage: its control plane is down (sim_region_up) */
} SimRegion;

typedef struct SimZone {
    char *name;
    uint32_t region;
    uint8_t down;           /* an outage: nodes added in it never register (faults) */
} SimZone;

typedef struct SimNodeGroup {
    char *name;
    uint32_t region;
    char *instance_type;
    SimRes alloc;           /* allocatable of one node */
    double price_per_hour;
    uint8_t price_unknown;  /* nobody said what a node costs (scenario price = "unknown"):
                               price_per_hour is 0, and every cost that includes the
                               group's is reported as unknown, never as $0 */
    int32_t min, max;
    SimKV *labels;
    size_t nlabels;
    SimTaint *taints;
    size_t ntaints;
    uint32_t *zones;        /* nodes are spread over these round-robin */
    size_t nzones;
    SimTime provision_delay;
    SimDist provision_dist; /* calibrated launch -> Ready (sim/timings.h); NONE: provision_delay */
    double speed;           /* compute speed relative to the reference core (backtests) */
    double gpu_speedup;     /* GPU-eligible kernels run this much faster on its GPUs */
    uint8_t spot;           /* spot capacity: interruptible with a two-minute notice */
    uint8_t stockout;       /* the cloud has no capacity: nodes added now never register
                               (faults; the autoscaler backs the group off) */
    int32_t expander_priority;   /* the priority expander's value (higher wins) */
    double spot_interruptions_per_hour;   /* per node, Poisson (SIM_RNG_FAULTS); 0: only scripted */
    uint32_t live_nodes;    /* added and not removed, in any state */
    double cost_usd;        /* live_nodes x price, accumulated up to cost_t */
    SimTime cost_t;
    uint32_t next_ordinal;  /* names nodes <group>-<ordinal> */
    SimRes alloc_total;     /* Σ allocatable of live nodes */
    SimRes req_total;       /* Σ requests of pods bound to them */
} SimNodeGroup;

typedef enum SimNodeState {
    SIM_NODE_PROVISIONING = 0,
    SIM_NODE_READY,
    SIM_NODE_REMOVED,
    SIM_NODE_NOT_READY      /* was Ready; Ready=Unknown now (its kubelet stopped posting) */
} SimNodeState;

typedef struct SimNode {
    char *name;             /* metadata.name; "<group>-<ordinal>" unless given */
    uint32_t group, zone, region;
    uint32_t ordinal;
    SimNodeState state;
    uint8_t unschedulable;  /* spec.unschedulable (cordoned) */
    uint8_t scale_down_disabled;   /* cluster-autoscaler.kubernetes.io/scale-down-disabled */
    SimRes alloc;
    SimRes req;             /* actual requests of bound pods */
    SimRes nz_req;          /* requests with non-zero defaults (for scoring) */
    uint32_t pods_head;     /* intrusive list of bound, not terminated pods */
    uint32_t ended_head;    /* intrusive list of the pods that ended here (Succeeded or
                               Failed) and still exist: pod GC deletes them with the node */
    SimTime added_at;
    SimTime ready_at;       /* first Ready, or -1 */
    SimTime changed_at;     /* last state change (Ready, NotReady, removed) */
} SimNode;

/* A namespace pays, per second, each of its bound pods' share of its node's
 * price (sim_pod_cost_share); what no pod requests is the region's idle cost. */
typedef struct SimNamespace {
    char *name;
    double cost_usd;        /* accumulated up to cost_t */
    double cost_rate;       /* USD per simulated second */
    SimTime cost_t;
    uint8_t cost_unknown;   /* a pod of it ran on a node of a group of unknown price */
} SimNamespace;

typedef enum SimWlKind {
    SIM_WL_DEPLOYMENT = 0,
    SIM_WL_JOB,
    SIM_WL_POD,             /* a bare pod: no controller owns it */
    SIM_WL_DAEMONSET,
    SIM_WL_STATEFULSET,
    SIM_WL_CRONJOB,         /* creates Jobs on a schedule (workloads/cronjob.c) */
    SIM_WL_KIND_COUNT
} SimWlKind;

/* ---- selectors and scheduling constraints (upstream's v1 types) -------- */
typedef enum SimSelOp {
    SIM_SEL_IN = 0,
    SIM_SEL_NOT_IN,
    SIM_SEL_EXISTS,
    SIM_SEL_DOES_NOT_EXIST,
    SIM_SEL_GT,
    SIM_SEL_LT
} SimSelOp;

typedef struct SimSelReq {
    char *key;
    SimSelOp op;
    char **values;
    size_t nvalues;
} SimSelReq;

/* Requirements ANDed (a LabelSelector's matchLabels become In with one value;
 * a NodeSelectorTerm's matchExpressions). An empty selector matches all. */
typedef struct SimSelector {
    SimSelReq *reqs;
    size_t nreqs;
} SimSelector;

typedef struct SimWeightedTerm {
    int32_t weight;
    SimSelector term;
} SimWeightedTerm;

typedef enum SimTolOp { SIM_TOL_EQUAL = 0, SIM_TOL_EXISTS } SimTolOp;

typedef struct SimToleration {
    char *key;              /* NULL or "" with Exists: every key */
    SimTolOp op;
    char *value;
    int effect;             /* a SimTaintEffect, or -1 for every effect */
    int64_t seconds;        /* tolerationSeconds, -1 = forever */
} SimToleration;

typedef struct SimSpread {
    int32_t max_skew;
    char *topology_key;     /* e.g. topology.kubernetes.io/zone, kubernetes.io/hostname */
    int do_not_schedule;    /* whenUnsatisfiable: DoNotSchedule (1) or ScheduleAnyway (0) */
    SimSelector selector;
    int32_t min_domains;    /* 0 = unset */
} SimSpread;

typedef struct SimPodAffinityTerm {
    SimSelector selector;   /* over pods of the same namespace */
    char *topology_key;
    int32_t weight;         /* preferred terms only */
} SimPodAffinityTerm;

typedef struct SimPodAffinity {
    SimPodAffinityTerm *req_affinity, *req_anti;
    size_t nreq_affinity, nreq_anti;
    SimPodAffinityTerm *pref_affinity, *pref_anti;
    size_t npref_affinity, npref_anti;
} SimPodAffinity;

/* What every pod of a workload asks for (one container per pod). The arrays
 * are borrowed: whoever declares the workload keeps them alive as long as
 * the engine (the scenario does, and so does `explain`). */
typedef struct SimPodSpec {
    SimRes req;             /* requests; pods = 1 */
    int64_t lim_cpu_m, lim_mem;   /* limits (0 = none) */
    SimTime startup;        /* bind -> Running */
    SimTime duration;       /* Running -> Succeeded; 0 = runs until deleted;
                               SIM_DURATION_BY_WORK: asks the engine's duration hook */
    int32_t priority;       /* resolved from priority_class at admission */
    const char *priority_class;
    int preempt_never;      /* preemptionPolicy: Never */
    const char *node_name;  /* spec.nodeName, NULL if unset */
    SimKV *labels;
    size_t nlabels;
    SimSelector node_selector;          /* spec.nodeSelector as In requirements */
    SimSelector *node_required;         /* requiredDuringScheduling terms, ORed */
    size_t nnode_required;
    SimWeightedTerm *node_preferred;
    size_t nnode_preferred;
    SimToleration *tolerations;
    size_t ntolerations;
    SimSpread *spread;
    size_t nspread;
    SimPodAffinity affinity;
    int64_t usage_cpu_m, usage_mem;     /* declared steady usage per pod (0: none), for
                                           workloads whose load no model computes */
    const char *image;      /* the container image (NULL: unset); a Deployment's rollout
                               changes it to start a new ReplicaSet */
    int8_t safe_to_evict;   /* cluster-autoscaler.kubernetes.io/safe-to-evict: 0 unset,
                               1 "true", -1 "false" */
    uint8_t local_storage;  /* mounts an emptyDir or hostPath volume */
    uint8_t termination_grace_set;   /* terminationGracePeriodSeconds given; else the default */
    SimTime termination_grace;       /* terminationGracePeriodSeconds when set (0: killed at once) */
} SimPodSpec;

/* Upstream's default terminationGracePeriodSeconds. */
#define SIM_DEFAULT_TERMINATION_GRACE SIM_SEC(30)
/* A spec's terminationGracePeriodSeconds: the given one, else the default. */
SimTime sim_spec_termination_grace(const SimPodSpec *sp);

/* maxSurge / maxUnavailable of a RollingUpdate: an absolute count or a
 * percentage of replicas. All zero (unset) means upstream's default, 25%. */
typedef struct SimIntOrPct {
    int32_t value;
    uint8_t percent;        /* value is a percentage */
    uint8_t set;            /* 0: unset, the default 25% */
} SimIntOrPct;

/* A rollout: at time `at` the Deployment's pod template changes (a new
 * ReplicaSet revision, k8s-behaviour.md §6). Only the fields given change:
 * NULL / negative means unchanged. */
typedef struct SimRollout {
    SimTime at;
    const char *image;
    int64_t cpu_m, mem, gpu;            /* requests */
    int64_t lim_cpu_m, lim_mem;
    SimTime startup;
    int64_t usage_cpu_m, usage_mem;
} SimRollout;

/* A Job's spec beyond parallelism (SimWorkload.replicas) and completions
 * (k8s-behaviour.md §5.1). All zero is upstream's defaults: NonIndexed,
 * completions as given, backoffLimit 6, no deadline, no TTL, pods that never
 * fail. */
typedef enum SimJobMode { SIM_JOB_NON_INDEXED = 0, SIM_JOB_INDEXED } SimJobMode;

typedef struct SimJobSpec {
    SimJobMode mode;            /* completionMode */
    uint8_t work_queue;         /* completions unset, parallelism set: done once a pod
                                   succeeded and none is left running */
    uint8_t backoff_set;        /* backoff_limit is given; else upstream's default 6 */
    uint8_t ttl_set;            /* ttl is given (0 = delete at once); else never deleted */
    uint8_t suspend;            /* spec.suspend: the Job exists and creates no pods (nothing
                                   resumes it during a run) */
    int32_t backoff_limit;      /* backoffLimit: fails when failed > it */
    SimTime active_deadline;    /* activeDeadlineSeconds from the Job's start; 0 = none */
    SimTime ttl;                /* ttlSecondsAfterFinished */
    /* Failure injection (kubesim's own, so scenarios can exercise the above):
     * the Job's first fail_first pods fail, each later one with probability
     * fail_probability (stream SIM_RNG_WORKLOAD), at the end of their run,
     * with exit code fail_exit_code (0: 1). */
    int32_t fail_first;
    double fail_probability;
    int32_t fail_exit_code;
} SimJobSpec;

/* A CronJob (k8s-behaviour.md §5.2); its Job template is the workload's spec,
 * replicas, completions and job. Unlike a Job's, these fields have no zero
 * defaults: the declarer sets upstream's (history 3 and 1). */
typedef enum SimConcurrency {
    SIM_CONCURRENCY_ALLOW = 0,
    SIM_CONCURRENCY_FORBID,
    SIM_CONCURRENCY_REPLACE
} SimConcurrency;

typedef struct SimCronSpec {
    const char *schedule;       /* five-field cron or @hourly...; borrowed like the pod spec */
    const char *time_zone;      /* IANA name (borrowed); NULL: UTC, the scenario clock */
    int64_t epoch;              /* Unix seconds at t = 0 (wl.h: WL_DAY0_UNIX + scenario.start) */
    SimConcurrency concurrency;
    uint8_t deadline_set;       /* starting_deadline is given */
    uint8_t suspend;
    SimTime starting_deadline;  /* startingDeadlineSeconds */
    int32_t successful_history, failed_history;
} SimCronSpec;

typedef struct SimWorkload {
    char *name;
    SimWlKind kind;
    uint32_t ns, region;
    SimPodSpec spec;
    int32_t replicas;       /* Deployment: desired; Job: parallelism */
    int32_t completions;    /* Job */
    SimTime start_at;       /* Job: when it is created */
    /* controller status */
    int32_t active, ready, succeeded, failed;
    int finished;           /* Job: 1 Complete, 2 Failed (see below) */
    uint32_t next_ordinal;
    uint32_t gen;           /* bumps cancel its pending reconcile */
    int reconcile_queued;
    /* Jobs and CronJobs (workloads/job.c, cronjob.c). finished is 1 for a
     * Complete Job, 2 for a Failed one; a CronJob's active counts its
     * unfinished Jobs. */
    SimJobSpec job;         /* Job; a CronJob's Job template */
    SimCronSpec cron;       /* CronJob */
    uint8_t deleted;        /* deleted (TTL, CronJob history): the id stays, the object is gone */
    /* Deployments and StatefulSets (workloads/deployment.c, statefulset.c,
     * k8s-behaviour.md §6); zero means upstream's default */
    SimIntOrPct max_surge, max_unavailable;   /* RollingUpdate fenceposts (25% / 25%) */
    SimTime min_ready;      /* minReadySeconds: Ready this long before a pod is available */
    SimTime progress_deadline;   /* progressDeadlineSeconds; 0: 600 s */
    const SimRollout *rollouts;  /* template changes during the run (borrowed) */
    size_t nrollouts;
    int64_t volume;         /* StatefulSet: bytes of each ordinal's volume (0: none) */
    SimTime wake_at;        /* a controller's own wake-up (availability, deadlines); 0: none */
    int32_t live_pods;      /* engine (policy.c): its pods created and not ended, whatever
                               the controller counts in `active` */
    SimDist startup_dist;   /* calibrated bind -> Running (sim/timings.h); NONE: spec.startup */
    SimDist hpa_reaction;   /* calibrated delay from its HPA's decision to the scale; NONE: 0 */
} SimWorkload;

typedef enum SimPodPhase {
    SIM_POD_PENDING = 0,    /* created, not bound */
    SIM_POD_BOUND,          /* bound to a node, starting (upstream phase Pending) */
    SIM_POD_RUNNING,        /* Running; Ready unless `unready` */
    SIM_POD_SUCCEEDED,
    SIM_POD_FAILED,
    SIM_POD_DELETED
} SimPodPhase;

typedef struct SimPod {
    uint32_t wl, ns, region;
    uint32_t ordinal;       /* name is <workload>-<ordinal> */
    uint32_t node;          /* SIM_NONE until bound */
    uint32_t gen;           /* bumps cancel the pod's pending events */
    uint32_t node_prev, node_next;   /* the node's pod list (its ended list once the pod ended) */
    SimPodPhase phase;
    uint8_t unschedulable;  /* Pending with PodScheduled=False (the scheduler found no node) */
    uint8_t unready;        /* its node is NotReady: Ready=False, out of the endpoints */
    uint8_t terminating;    /* deleted (phase Deleted) but still on its node, finishing its work
                               within its grace period: it holds the node's resources until gone */
    uint32_t target_node;   /* DaemonSet pods: the one node they may run on; else SIM_NONE */
    uint32_t nominated_node;   /* status.nominatedNodeName after preemption; else SIM_NONE */
    int32_t priority;       /* from the spec, or its PriorityClass at admission */
    SimRes req, nz_req;
    SimTime created_at, bound_at, started_at, ended_at;
    SimTime unready_at;     /* when a Running pod last lost Ready with its node (its Ready
                               condition's lastTransitionTime while `unready`); else -1 */
    int32_t exit_code;      /* its container's exit code when its run ends: 0 Succeeded, else Failed */
    int32_t completion_index;   /* an Indexed Job's pod: JOB_COMPLETION_INDEX; else -1 */
    uint32_t zone_pin;      /* a required node affinity on topology.kubernetes.io/zone for
                               this pod alone (a StatefulSet ordinal's volume); else SIM_NONE */
    uint32_t rs;            /* Deployment pods: their ReplicaSet (the controller's id, in
                               creation order); else SIM_NONE */
    int64_t lim_cpu_m, lim_mem;   /* limits after admission's defaults (0 = none) */
    SimTime grace;          /* terminationGracePeriodSeconds, from the spec at creation */
    int32_t deletion_cost;  /* controller.kubernetes.io/pod-deletion-cost (0 unset) */
} SimPod;

/* The engine's counters behind summary.json (summary.h). A controller keeps
 * its own counters and writes them in its own summary section. */
typedef struct SimStats {
    uint64_t events;
    uint64_t pods_created, pods_scheduled, pods_preempted, pods_evicted;
    uint32_t pending_now, pending_peak;   /* unschedulable Pending pods */
    uint64_t nodes_added;                 /* nodes added after the start (lifecycle.c) */
    uint64_t quota_rejections;            /* admission.c */
} SimStats;

/* Listeners are told of object changes. They may update their own
 * bookkeeping and schedule events; they never run other handlers inline. */
typedef struct SimListener {
    void *ctx;
    void (*pod_created)(void *ctx, SimEngine *e, uint32_t pod);
    void (*pod_bound)(void *ctx, SimEngine *e, uint32_t pod);
    /* The pod is deleted or ended: its resources are freed, or, for a
     * terminating pod (p->terminating), they are when pod_gone says so. */
    void (*pod_terminated)(void *ctx, SimEngine *e, uint32_t pod);
    /* A pod that had ended (Succeeded or Failed) was deleted: its object is
     * gone (its Job was deleted, or pod GC removed it with its node), and so
     * is its count/pods. */
    void (*pod_removed)(void *ctx, SimEngine *e, uint32_t pod);
    void (*pod_running)(void *ctx, SimEngine *e, uint32_t pod);
    void (*node_ready)(void *ctx, SimEngine *e, uint32_t node);     /* first Ready */
    /* The node's state or spec changed after it was first Ready: cordoned or
     * uncordoned, NotReady, Ready again, removed (its pods were deleted first). */
    void (*node_changed)(void *ctx, SimEngine *e, uint32_t node);
    /* A Running pod's Ready condition changed (p->unready) with its node's. */
    void (*pod_ready)(void *ctx, SimEngine *e, uint32_t pod);
    /* The region's control plane went down or came back (sim_region_up). */
    void (*region_changed)(void *ctx, SimEngine *e, uint32_t region);
    /* A Running pod on a Ready node is being deleted: how long it needs after
     * SIGTERM to finish what it is doing (0: it exits at once). Asked before
     * anything changes; the pod then terminates for the longest answer, at
     * most its grace period. */
    SimTime (*pod_stopping)(void *ctx, SimEngine *e, uint32_t pod);
    /* A terminating pod is gone (it finished or its grace period ran out and
     * the kubelet killed it): its node's resources are free. pod_terminated
     * was told when its deletion began. */
    void (*pod_gone)(void *ctx, SimEngine *e, uint32_t pod);
} SimListener;

typedef void (*SimHandler)(void *ctx, SimEngine *e, const SimEvent *ev);

/* A pod whose spec.duration is SIM_DURATION_BY_WORK runs for what this hook
 * returns when it starts (its work over its node's speed: backtests). */
#define SIM_DURATION_BY_WORK ((SimTime)-1)
typedef SimTime (*SimDurationFn)(void *ctx, SimEngine *e, uint32_t pod);

/* ---- engine ------------------------------------------------------------ */
typedef struct SimConfig {
    uint64_t seed;
    SimTime end;                 /* the run stops here */
    SimEvqKind queue;
    SimMem *mem;                 /* NULL: the engine's own C-library hook */
    unsigned pod_page;           /* pod records per recycled page, a power of two (tests);
                                    0: the default, 2^SIM_POD_PAGE_SHIFT */
} SimConfig;

/* Creates an engine; NULL on out of memory. */
SimEngine *sim_engine_create(const SimConfig *cfg);
void sim_engine_destroy(SimEngine *e);
SimMem *sim_mem(SimEngine *e);
const char *sim_errmsg(const SimEngine *e);
/* Sets the engine's error message (printf-style) and returns code. */
int sim_fail(SimEngine *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Registers an event kind of a module above sim/ with its handler: *kind gets
 * its number, which the module keeps to schedule its events. name says whose
 * it is (messages). SIM_OK, or SIM_ESTATE with a message when the engine's
 * SIM_EV_MAX_KINDS are all taken. */
int sim_event_kind(SimEngine *e, const char *name, SimHandler fn, void *ctx, uint16_t *kind);
/* The name a registered kind was given ("hpa"), or NULL for an unknown one. */
const char *sim_event_kind_name(const SimEngine *e, unsigned kind);
/* The number of the registered kind with this name, or SIM_EV_NONE. */
unsigned sim_event_kind_find(const SimEngine *e, const char *name);
/* Points a core or registered kind at another handler. */
void sim_engine_on(SimEngine *e, unsigned kind, SimHandler fn, void *ctx);
void sim_set_duration_fn(SimEngine *e, SimDurationFn fn, void *ctx);
int sim_engine_listen(SimEngine *e, const SimListener *l);
/* Schedules an event at t (>= now). Returns SIM_OK or SIM_ENOMEM. An event
 * after the run's end, or once the run has ended, is dropped: it would never run. */
int sim_schedule(SimEngine *e, SimTime t, unsigned kind, uint32_t obj, uint32_t gen, uint32_t aux);
/* Runs one event: SIM_OK, SIM_DONE at the end, or an error. */
int sim_step(SimEngine *e);
SimTime sim_now(const SimEngine *e);
SimTime sim_end(const SimEngine *e);
uint64_t sim_seed(const SimEngine *e);
SimRng *sim_rng(SimEngine *e, int stream);   /* SIM_RNG_* below */
const SimStats *sim_stats(const SimEngine *e);
enum { SIM_RNG_SCHED = 0, SIM_RNG_WORKLOAD, SIM_RNG_SCENARIO, SIM_RNG_FAULTS, SIM_RNG_TIMINGS, SIM_RNG_COUNT };
/* SIM_RNG_TIMINGS: the calibrated delays (sim/dist.h); drawn only when a calibration sets one. */

/* The trace writer (NULL: no trace). The engine does not own it; create it
 * with sim_trace_schema(e), so it knows every kind the modules register. */
void sim_set_trace(SimEngine *e, SimTraceWriter *w);
/* The engine's record kinds: the core ones, then each module's. */
const SimTrSchema *sim_trace_schema(const SimEngine *e);
/* A module registers its record kinds at start-up with its registration
 * function, the one readers without an engine call on their own table
 * (numbers fixed: trace.h). SIM_OK, or SIM_EINVAL with a message naming
 * module when a number or name is taken by another definition (nothing of
 * the module's is added then). */
int sim_trace_register(SimEngine *e, const char *module, int (*kinds)(SimTrSchema *s));
/* Emits a record of a registered kind at the current time (asserted). */
void sim_trace_rec(SimEngine *e, int kind, const SimTrVal *vals, size_t n);

/* Checks the model's invariants (check.c): node totals against their pods,
 * group, region, quota and PDB counts against the objects, the name
 * indexes, the core counters. SIM_OK, or SIM_ESTATE with a message on the
 * engine naming the invariant and the object. Changes nothing else and
 * allocates nothing. Built with KUBESIM_CHECK (the sanitizer build),
 * sim_step runs it after events and fails the run when it breaks. */
int sim_check(const SimEngine *e);

/* ---- objects ----------------------------------------------------------- */
/* Each add returns SIM_OK with the new id in *id, or an error with a message
 * (duplicate names are SIM_EINVAL). Strings are copied. */
int sim_region_add(SimEngine *e, const char *name, uint32_t *id);
int sim_zone_add(SimEngine *e, uint32_t region, const char *name, uint32_t *id);
int sim_namespace_add(SimEngine *e, const char *name, uint32_t *id);
/* g is copied, including labels, taints and zones (deep). */
int sim_nodegroup_add(SimEngine *e, const SimNodeGroup *g, uint32_t *id);
int sim_workload_add(SimEngine *e, const SimWorkload *w, uint32_t *id);

uint32_t sim_region_find(const SimEngine *e, const char *name);     /* SIM_NONE if absent */
uint32_t sim_zone_find(const SimEngine *e, const char *name);
uint32_t sim_namespace_find(const SimEngine *e, const char *name);
uint32_t sim_nodegroup_find(const SimEngine *e, const char *name);
/* The one workload named name, whatever its namespace and kind; SIM_NONE if
 * none, SIM_AMBIGUOUS if several (names are unique per namespace and kind,
 * as in Kubernetes: use sim_workload_lookup). */
uint32_t sim_workload_find(const SimEngine *e, const char *name);
/* The workload of that kind named name in namespace ns; SIM_NONE if none. */
uint32_t sim_workload_lookup(const SimEngine *e, SimWlKind kind, uint32_t ns, const char *name);
/* Resolves a reference to a workload: "NAMESPACE/NAME", or a bare NAME
 * meaning the one in namespace ns_ctx (SIM_NONE: no context) if there is
 * one, else the only one of that name. kind is a SimWlKind, or
 * SIM_WL_KIND_COUNT for any. SIM_NONE if none matches, SIM_AMBIGUOUS if
 * several do. */
uint32_t sim_workload_resolve(const SimEngine *e, const char *ref, int kind, uint32_t ns_ctx);
/* How outputs name workload id: its name, or "NAMESPACE/NAME" when another
 * workload has the same name (in another namespace, or of another kind). */
void sim_workload_label(const SimEngine *e, uint32_t id, char *buf, size_t n);

uint32_t sim_region_count(const SimEngine *e);
uint32_t sim_zone_count(const SimEngine *e);
uint32_t sim_namespace_count(const SimEngine *e);
uint32_t sim_nodegroup_count(const SimEngine *e);
uint32_t sim_workload_count(const SimEngine *e);
uint32_t sim_node_count(const SimEngine *e);
uint32_t sim_pod_count(const SimEngine *e);   /* pod ids handed out (pods ever created) */
/* Bytes of pod records held now and at most so far (pods are recycled once
 * deleted: these follow the pods alive, not the count). */
size_t sim_pod_bytes(const SimEngine *e);
size_t sim_pod_bytes_peak(const SimEngine *e);

/* Read-only views of the objects (id < count). Only sim/ writes them: every
 * change goes through a sim_* function below, which keeps the counters, the
 * indexes and the trace in step (sim_check verifies it). */
const SimRegion *sim_region(const SimEngine *e, uint32_t id);
const SimZone *sim_zone(const SimEngine *e, uint32_t id);
const SimNamespace *sim_namespace(const SimEngine *e, uint32_t id);
const SimNodeGroup *sim_nodegroup(const SimEngine *e, uint32_t id);
const SimWorkload *sim_workload(const SimEngine *e, uint32_t id);
const SimNode *sim_node(const SimEngine *e, uint32_t id);
/* Any id < sim_pod_count: a deleted pod's record may have been recycled,
 * and then reads as a tombstone (phase Deleted, wl, ns, region, node and the
 * other indices SIM_NONE, gen SIM_POD_DEAD_GEN, times -1). */
const SimPod *sim_pod(const SimEngine *e, uint32_t id);

/* Writes the node's name / "<workload>-<ordinal>" into buf. */
void sim_node_name(const SimEngine *e, uint32_t node, char *buf, size_t n);
void sim_pod_name(const SimEngine *e, uint32_t pod, char *buf, size_t n);

/* The value of a node label, or NULL. Beside its group's labels every node
 * has kubernetes.io/hostname, topology.kubernetes.io/zone and /region,
 * node.kubernetes.io/instance-type and kubesim.io/node-group; the group's own
 * labels win over these. */
const char *sim_node_label(SimEngine *e, uint32_t node, const char *key);
/* Does the selector match these labels (Gt/Lt compare integers)? */
int sim_selector_matches(const SimSelector *sel, const SimKV *labels, size_t nlabels);
/* Does the node selector term match the node's labels? */
int sim_node_matches(SimEngine *e, uint32_t node, const SimSelector *sel);
/* Does one of the tolerations tolerate the taint (upstream ToleratesTaint)? */
int sim_tolerates(const SimToleration *tol, size_t ntol, const SimTaint *taint);

/* ---- lifecycle --------------------------------------------------------- */
/* Adds a node to group g; it becomes Ready after the group's provisioning
 * delay (immediately when ready_now), or never when the group is out of
 * stock or its zone is down. Nodes added later than at set-up (ready_now 0)
 * count in stats nodes_added. */
int sim_node_add(SimEngine *e, uint32_t group, int ready_now, uint32_t *id);
/* The same with an explicit name (NULL: "<group>-<ordinal>") and zone
 * (SIM_NONE: the group's zones round-robin). */
int sim_node_add_named(SimEngine *e, uint32_t group, const char *name, uint32_t zone, int ready_now,
                       uint32_t *id);
/* Creates a Pending pod of workload wl (listeners: pod_created). */
int sim_pod_create(SimEngine *e, uint32_t wl, uint32_t *id);
/* Binds a Pending pod to a Ready node; it runs after spec.startup. The caller
 * (the scheduler) has checked that it fits. */
int sim_pod_bind(SimEngine *e, uint32_t pod, uint32_t node);
/* Marks a Pending pod unschedulable (PodScheduled=False with reason); it
 * counts as pending until bound or deleted. The first mark is traced. */
void sim_pod_set_unschedulable(SimEngine *e, uint32_t pod, const char *reason);
/* Deletes a pod. A live one (Pending, Bound, Running) frees its node's
 * resources and its quota (listeners: pod_terminated); one that had ended
 * (Succeeded, Failed) is an object still, holding count/pods, until this
 * removes it (listeners: pod_removed): its owner's deletion, pod GC. Either
 * way it is traced as pod_delete and ends in phase Deleted; deleting a
 * Deleted pod does nothing, a terminating one included. Graceful
 * termination: a Running pod on a Ready node that a pod_stopping listener
 * says is busy is Deleted at once (traced as pod_terminating; quota freed,
 * pod_terminated told) but stays on its node holding its resources until it
 * finishes or its grace period ends (pod_delete, listeners: pod_gone). */
int sim_pod_delete(SimEngine *e, uint32_t pod);
/* Sets a pod's controller.kubernetes.io/pod-deletion-cost annotation. */
void sim_pod_set_deletion_cost(SimEngine *e, uint32_t pod, int32_t cost);
/* Sets the exit code a pod's container ends its run with (0 Succeeded, else
 * Failed: phase Failed, pod_end phase 1). Controllers call it at creation. */
void sim_pod_set_exit_code(SimEngine *e, uint32_t pod, int32_t exit_code);
/* Sets an Indexed Job's pod's completion index (traced as pod_index). */
void sim_pod_set_completion_index(SimEngine *e, uint32_t pod, int32_t index);
/* Fails a Bound or Running pod now with this exit code (its container
 * crashed), freeing its node's resources. SIM_ESTATE in any other phase. */
int sim_pod_fail(SimEngine *e, uint32_t pod, int32_t exit_code);
/* Sets a Pending pod's priority (spec.priority given with the pod wins over
 * its PriorityClass's). Call it right after sim_pod_create, before the
 * scheduler orders the pod. */
void sim_pod_set_priority(SimEngine *e, uint32_t pod, int32_t priority);
/* Sets (or clears with SIM_NONE) a Pending pod's status.nominatedNodeName
 * (preemption). The caller tells the scheduler's nominated list. */
void sim_pod_nominate(SimEngine *e, uint32_t pod, uint32_t node);
/* Pod requests with the scheduler's non-zero defaults (100m CPU, 200 MiB for a
 * container that requests none), as upstream's NonZeroRequests. */
SimRes sim_nonzero_requests(const SimRes *req);

/* The node's allocatable minus actual requests of its pods. */
static inline SimRes sim_node_free(const SimNode *n)
{
    SimRes f = {n->alloc.cpu_m - n->req.cpu_m, n->alloc.mem - n->req.mem,
                n->alloc.gpu - n->req.gpu, n->alloc.pods - n->req.pods};
    return f;
}

/* Node state changes for the node lifecycle controller, faults and the
 * cluster autoscaler. Each is traced and tells the listeners (node_changed).
 *
 * Ready -> NotReady (ready 0) marks every Running pod on it unready, and back
 * (ready 1) marks them ready again; SIM_ESTATE for a node that is
 * provisioning or removed. */
int sim_node_set_ready(SimEngine *e, uint32_t node, int ready);
/* Sets or clears spec.unschedulable. */
int sim_node_cordon(SimEngine *e, uint32_t node, int on);
/* Sets the cluster-autoscaler.kubernetes.io/scale-down-disabled annotation. */
void sim_node_set_scale_down_disabled(SimEngine *e, uint32_t node, int on);
/* Removes the node: its pods still bound, and those that ended on it and
 * still exist, are deleted (pod garbage collection: upstream's gcOrphaned,
 * at once rather than after its 40 s quarantine) and its billing stops. A node that never became Ready can be
 * removed too (a failed provisioning). The caller counts it (the cluster
 * autoscaler in its own nodes_removed; a spot interruption does not). */
int sim_node_remove(SimEngine *e, uint32_t node);
/* Is the node in the cluster (provisioning, Ready or NotReady)? */
static inline int sim_node_live(const SimNode *n)
{
    return n->state != SIM_NODE_REMOVED;
}

/* ---- fields the layers above own the meaning of (wlstate.c) ------------- */
/* A controller's status: active and ready pods move by these deltas;
 * succeeded and failed only grow. finished: 0, 1 Complete, 2 Failed. */
void sim_workload_count_pods(SimEngine *e, uint32_t wl, int32_t dactive, int32_t dready);
void sim_workload_count_ends(SimEngine *e, uint32_t wl, int32_t dsucceeded, int32_t dfailed);
void sim_workload_set_finished(SimEngine *e, uint32_t wl, int cond);
/* The object is gone (a Job's TTL, CronJob history); its id stays. The
 * caller traces it. */
void sim_workload_set_deleted(SimEngine *e, uint32_t wl);
/* Spec changes: the desired replicas (the caller traces a scale), a
 * CronJob's suspend, the pod template (pods created from now on get it;
 * its arrays stay borrowed; its labels cannot change: the PDBs found the
 * workload by them). */
void sim_workload_set_replicas(SimEngine *e, uint32_t wl, int32_t replicas);
void sim_workload_set_suspend(SimEngine *e, uint32_t wl, int suspend);
void sim_workload_set_spec(SimEngine *e, uint32_t wl, const SimPodSpec *spec);
/* The controller's timers: a reconcile is queued (or ran); a generation bump
 * cancels the queued one; its own wake-up at t (0: none). */
void sim_workload_set_reconcile(SimEngine *e, uint32_t wl, int queued);
void sim_workload_cancel_reconcile(SimEngine *e, uint32_t wl);
void sim_workload_set_wake(SimEngine *e, uint32_t wl, SimTime t);
/* sim_pod_create with this ordinal in the pod's name (a StatefulSet's). */
int sim_pod_create_ordinal(SimEngine *e, uint32_t wl, uint32_t ordinal, uint32_t *id);
/* Before a Pending pod's first scheduling cycle: the one node a DaemonSet
 * pod may run on; the zone a StatefulSet ordinal's volume pins it to. */
void sim_pod_set_target_node(SimEngine *e, uint32_t pod, uint32_t node);
void sim_pod_pin_zone(SimEngine *e, uint32_t pod, uint32_t zone);
/* The ReplicaSet a Deployment's pod belongs to. */
void sim_pod_set_rs(SimEngine *e, uint32_t pod, uint32_t rs);
/* Faults: a zone's outage, a group's stockout (nodes added meanwhile never
 * register). */
void sim_zone_set_down(SimEngine *e, uint32_t zone, int down);
void sim_nodegroup_set_stockout(SimEngine *e, uint32_t group, int on);
/* A region outage takes the region's control plane with it (API server,
 * controller manager, scheduler, autoscaler: each region is its own
 * cluster). While it is down nothing of the region acts: every controller
 * asks sim_region_up before it syncs. The setter tells the listeners
 * (region_changed) when the state changes. A zone outage or a node crash
 * leaves the control plane up. */
void sim_region_set_down(SimEngine *e, uint32_t region, int down);
int sim_region_up(const SimEngine *e, uint32_t region);

/* Brings every region's and namespace's cost up to now (cost accrues per
 * node-second). */
void sim_cost_settle(SimEngine *e);
double sim_cost_total(SimEngine *e);
/* The fraction of its node's price a pod bound there pays: on a node with
 * GPUs half for its GPU share and a quarter each for CPU and memory, else
 * half each for CPU and memory; requests over allocatable count as all of
 * it. The shares of a node's pods add up to at most 1. */
double sim_pod_cost_share(const SimPod *p, const SimNode *n);
/* The cost of the nodes' unrequested resources in region r so far (its cost
 * minus what its namespaces paid there). */
double sim_cost_idle(SimEngine *e, uint32_t region);
/* Whether a cost is known: a region's when none of its node groups has an
 * unknown price (price_unknown), the total when every region's is; the
 * figures above then count the priced groups only, and callers report them
 * as unknown (summary.json null). */
int sim_region_cost_known(const SimEngine *e, uint32_t region);
int sim_cost_known(const SimEngine *e);

#endif
