/*
 * policy.h: cluster policy objects: PriorityClasses, PodDisruptionBudgets,
 * ResourceQuotas and LimitRanges, and the API-server admission step that
 * applies them when a pod is created (k8s-behaviour.md §3.10, §4, §6).
 * Objects are per region (each region is its own cluster); a namespace name
 * is the same in every region. Selector arrays are borrowed from the
 * declarer, who keeps them alive as long as the engine.
 */
#ifndef KUBESIM_SIM_POLICY_H
#define KUBESIM_SIM_POLICY_H

#include "sim/model.h"

/* ---- PriorityClass (scheduling.k8s.io/v1) ------------------------------ */
typedef struct SimPriorityClass {
    char *name;
    int32_t value;
    int global_default;
    int preempt_never;      /* preemptionPolicy: Never */
    int builtin;            /* one the API server creates (sim_priorityclass_builtin) */
} SimPriorityClass;

/* The classes every cluster has without a manifest (the API server creates
 * them: system-cluster-critical 2000000000, system-node-critical
 * 2000001000, above the user maximum of 1e9), builtin set; NULL for any
 * other name. Static: never freed. */
const SimPriorityClass *sim_priorityclass_builtin(const char *name);

int sim_priorityclass_add(SimEngine *e, const SimPriorityClass *pc, uint32_t *id);
/* NULL if no class of that name. */
const SimPriorityClass *sim_priorityclass_find(const SimEngine *e, const char *name);
/* The classes in the order added (export). */
uint32_t sim_priorityclass_count(const SimEngine *e);
const SimPriorityClass *sim_priorityclass(const SimEngine *e, uint32_t id);
/* The globalDefault class, or NULL (then pods without a class get 0). */
const SimPriorityClass *sim_priorityclass_default(const SimEngine *e);

/* ---- PodDisruptionBudget (policy/v1) ----------------------------------- */
typedef struct SimPdb {
    char *name;
    uint32_t region, ns;
    SimSelector selector;   /* over the pods' labels (borrowed) */
    int max_unavailable;    /* 1: maxUnavailable; 0: minAvailable */
    int percent;            /* value is a percentage */
    int32_t value;
} SimPdb;

int sim_pdb_add(SimEngine *e, const SimPdb *pdb, uint32_t *id);
uint32_t sim_pdb_count(const SimEngine *e);
const SimPdb *sim_pdb(const SimEngine *e, uint32_t id);
/* Does the PDB select the pod (same region and namespace, selector matches)? */
int sim_pdb_covers(const SimEngine *e, uint32_t pdb, uint32_t pod);
/* status.disruptionsAllowed now: max(0, currentHealthy - desiredHealthy) with
 * expected/healthy counted over the pods it covers (k8s-behaviour.md §6);
 * healthy pods are Running and Ready (not on a NotReady node). */
int32_t sim_pdb_disruptions_allowed(SimEngine *e, uint32_t pdb);

/* ---- the Eviction API (policy/v1 Eviction, eviction.c) ------------------ */
/* Evicts a pod as the API server's eviction subresource does: a pod that is
 * not Running (Pending, or already ended) goes at once; a Running one only
 * if the PDBs covering it allow. Refusals return SIM_EFORBIDDEN with
 * upstream's message on the engine: HTTP 429 "Cannot evict pod as it would
 * violate the pod's disruption budget." when its PDB's disruptionsAllowed is
 * 0, HTTP 500 "This pod has more than one PodDisruptionBudget, which the
 * eviction subresource does not support." when two or more cover it; a
 * deleted pod is SIM_ESTATE (404). An eviction deletes the pod now, counts
 * in stats.pods_evicted and is traced as pod_evict with reason (who asked:
 * "drain", "cluster-autoscaler"). Plain sim_pod_delete ignores PDBs. */
int sim_pod_evict(SimEngine *e, uint32_t pod, const char *reason);
/* Deletes victim to make room for preemptor on node (the scheduler's
 * PostFilter): traced as pod_preempt, counted in pods.preempted, then
 * deleted as sim_pod_delete does (a busy victim terminates gracefully). No
 * PDB check: upstream's preemption only prefers candidates that violate
 * fewer budgets. */
int sim_pod_preempt(SimEngine *e, uint32_t victim, uint32_t preemptor, uint32_t node);
#define SIM_EVICT_MSG_PDB "Cannot evict pod as it would violate the pod's disruption budget."
#define SIM_EVICT_MSG_MULTI \
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."

/* ---- PriorityClass resolution ---------------------------------------- */
/* The class a workload's pods get: its priority_class; else, unless the spec
 * sets `priority` itself (a kubesim shorthand), the globalDefault class; else
 * NULL (priority from the spec, 0 unless set). An unknown class name gives
 * NULL too: admission refuses such pods, scenarios refuse the name at load. */
const SimPriorityClass *sim_priorityclass_of(const SimEngine *e, uint32_t wl);
/* The pod's preemptionPolicy is Never (its spec's, or its class's). The
 * class's policy is also written into the engine's copy of the workload's
 * spec (spec.preempt_never) when its first pod is admitted. */
int sim_pod_preempt_never(SimEngine *e, uint32_t pod);

/* ---- ResourceQuota (v1), per region and namespace ----------------------- */
/* The resources a quota can constrain, in the order of their names (the
 * order upstream's messages list them in). "cpu" and "requests.cpu" (and
 * "memory"/"requests.memory", "pods"/"count/pods") count the same usage but
 * stay apart because a message names the resource as the quota spells it. */
typedef enum SimQuotaRes {
    SIM_QR_COUNT_JOBS = 0,   /* count/jobs.batch: Jobs started in the namespace */
    SIM_QR_COUNT_PODS,       /* count/pods */
    SIM_QR_CPU,              /* cpu (= requests.cpu), millicores */
    SIM_QR_LIMITS_CPU,       /* limits.cpu, millicores */
    SIM_QR_LIMITS_MEMORY,    /* limits.memory, bytes */
    SIM_QR_MEMORY,           /* memory (= requests.memory), bytes */
    SIM_QR_PODS,             /* pods */
    SIM_QR_REQUESTS_CPU,     /* requests.cpu, millicores */
    SIM_QR_REQUESTS_MEMORY,  /* requests.memory, bytes */
    SIM_QR_REQUESTS_GPU,     /* requests.nvidia.com/gpu, devices */
    SIM_QR_COUNT
} SimQuotaRes;

/* The resource's name ("requests.cpu"); static text. */
const char *sim_quota_res_name(SimQuotaRes r);
/* Every name, in SimQuotaRes order, then NULL: a constant, so tables built
 * at compile time (scenarios/api_keys.c) can point at it. */
extern const char *const sim_quota_res_names[SIM_QR_COUNT + 1];
/* The resource of that name, or -1 if kubesim does not model it. */
int sim_quota_res_parse(const char *name);
/* 1 if the resource is CPU (quantities in millicores), else 0. */
int sim_quota_res_milli(SimQuotaRes r);
/* Formats an amount of r as Kubernetes prints it ("500m", "4Gi", "10"). */
void sim_quota_res_format(SimQuotaRes r, int64_t v, char *buf, size_t n);

typedef struct SimQuota {
    char *name;
    uint32_t region, ns;
    uint32_t hard_set;             /* bit r: spec.hard has resource r */
    int64_t hard[SIM_QR_COUNT];
    /* spec.scopeSelector: requirements (ANDed) whose key is "PriorityClass"
     * with In/NotIn/Exists/DoesNotExist over the pod's class name; empty =
     * every pod (borrowed). */
    SimSelector scope;
    int64_t used[SIM_QR_COUNT];    /* status.used: kept by admission, ignored by add */
} SimQuota;

/* Adds a quota (name unique in its region and namespace). SIM_EINVAL for a
 * bad scope, SIM_ESTATE once pods exist: quotas, LimitRanges and
 * PriorityClasses are cluster set-up in kubesim (see admission.c). */
int sim_quota_add(SimEngine *e, const SimQuota *q, uint32_t *id);
uint32_t sim_quota_count(const SimEngine *e);
const SimQuota *sim_quota(const SimEngine *e, uint32_t id);

/* ---- LimitRange (v1), type Container, per region and namespace --------- */
typedef struct SimCpuMem {
    int64_t cpu_m, mem;            /* 0 = not set */
} SimCpuMem;

typedef struct SimLimitRange {
    char *name;
    uint32_t region, ns;
    SimCpuMem deflt;               /* default: limits of containers without */
    SimCpuMem deflt_req;           /* defaultRequest: requests of containers without */
    SimCpuMem min, max;
} SimLimitRange;

/* Adds a LimitRange after upstream's defaulting of the object (default from
 * max, defaultRequest from default, then from min). SIM_EINVAL if it is
 * inconsistent (min > max, defaultRequest > default, ...); SIM_ESTATE once
 * pods exist. */
int sim_limitrange_add(SimEngine *e, const SimLimitRange *lr, uint32_t *id);
/* Applies upstream's defaulting to *lr in place (as sim_limitrange_add does)
 * and checks it as upstream's validation would: SIM_OK, or SIM_EINVAL with
 * the reason ("cpu: min value 2 is greater than max value 1") in why. */
int sim_limitrange_normalize(SimLimitRange *lr, SimErr *why);
uint32_t sim_limitrange_count(const SimEngine *e);
const SimLimitRange *sim_limitrange(const SimEngine *e, uint32_t id);

/* ---- admission: what the API server does to a pod create --------------- */
typedef struct SimAdmitted {
    SimRes req;                    /* requests after defaulting; pods = 1 */
    int64_t lim_cpu_m, lim_mem;    /* limits after defaulting; 0 = none */
    int32_t priority;
    int preempt_never;
    const SimPriorityClass *pc;    /* the pod's class, or NULL (in the engine) */
} SimAdmitted;

/* The pod a new pod of wl would be, without admitting it (for explain and
 * export): API defaulting (requests from limits), LimitRanger defaults, the
 * Priority plugin, and the checks of LimitRanger and pod validation. SIM_OK,
 * or SIM_EFORBIDDEN with upstream's message on the engine; no stats, no
 * trace. */
int sim_admission_resolve(SimEngine *e, uint32_t wl, SimAdmitted *out);
/* Admits a new pod of wl: resolve, then ResourceQuota (every quota of its
 * region and namespace whose scope matches: each constrained cpu/memory
 * resource must be set, and used + requested <= hard). SIM_OK (sim_pod_create
 * then charges the quotas), or SIM_EFORBIDDEN: the message is on the engine
 * ("exceeded quota: ..."), stats.quota_rejections counts it and the trace
 * has a quota_reject record. sim_pod_create calls it; others need not. */
int sim_admit_pod(SimEngine *e, uint32_t wl, SimAdmitted *out);
/* Admits Job wl as an object (count/jobs.batch), once: the first call charges
 * its namespace's quotas and returns SIM_OK, or refuses it (SIM_EFORBIDDEN,
 * counted and traced as above); later calls repeat the verdict silently. */
int sim_admit_job(SimEngine *e, uint32_t wl);
/* Job wl was deleted (TTL, CronJob history, Replace): an admitted Job gives
 * its count/jobs.batch back to the quotas that charged it. */
void sim_admission_job_deleted(SimEngine *e, uint32_t wl);
/* Pod creations of wl refused since its controller last synced without a
 * refusal (upstream's FailedCreate condition, and its workqueue's failure
 * count for the key): controllers derive their retry backoff from it, and
 * reset it with sim_admission_forget after a sync that was not refused. */
uint32_t sim_admission_refusals(SimEngine *e, uint32_t wl);
void sim_admission_forget(SimEngine *e, uint32_t wl);
/* How many workloads have refusals now (0: none waits out a refusal). */
uint32_t sim_admission_refused_count(const SimEngine *e);

#endif
