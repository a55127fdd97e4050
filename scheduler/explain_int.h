/*
 * explain_int.h: the world both explain cases build (explain.c for `explain
 * schedule`, ca_explain.c for `explain autoscaler`), shared by those files of
 * scheduler/ only. A case becomes a one-region engine named "cluster" with
 * the namespace "default"; its v1 objects come in through the kube reader,
 * whose message is the case's error.
 */
#ifndef KUBESIM_SCHED_EXPLAIN_INT_H
#define KUBESIM_SCHED_EXPLAIN_INT_H

#include "kube/kube.h"
#include "scheduler/sched.h"
#include "sim/arena.h"

typedef struct SchedXWorld {
    SimMem *mem;         /* the caller's: every allocation of the case */
    SimArena arena;
    KubeReader *kr;      /* the case's reader: the first problem sticks on it */
    SimEngine *e;
    SchedScheduler *s;   /* created by the caller when its nodes are in */
    uint32_t region;
} SchedXWorld;

/* Opens the world: its arena and reader, an engine that runs until end, the
 * region "cluster" and the namespace "default". SIM_OK, or SIM_ENOMEM (then
 * w->kr may be NULL; close the world all the same). */
int sched_xworld_open(SchedXWorld *w, SimMem *m, SimTime end);
/* Frees the scheduler, engine and arena (the reader's strings with it). */
void sched_xworld_close(SchedXWorld *w);

/* The namespace or zone named (created on first use); SIM_NONE when out of
 * memory. */
uint32_t sched_xworld_ns(SchedXWorld *w, const char *name);
uint32_t sched_xworld_zone(SchedXWorld *w, const char *name);

/* Records an engine failure rc at path on the reader (out of memory, or the
 * engine's message) unless the reader holds one already; returns rc. */
int sched_xworld_engine_err(SchedXWorld *w, int rc, const char *path);

/* The array at root.key, or NULL when absent; anything else but an array
 * (null too when null_ok is 0) fails "$.key: expected an array". */
const cJSON *sched_xworld_array(SchedXWorld *w, const cJSON *root, const char *key, int null_ok);

/* Each v1 object of arr (named "$.key[i]") read and added to the world:
 * Namespaces (metadata.name only), PriorityClasses, ResourceQuotas,
 * LimitRanges, PodDisruptionBudgets. SIM_OK, or SIM_EINVAL with the problem
 * on the reader. */
int sched_xworld_namespaces(SchedXWorld *w, const cJSON *arr, const char *key);
int sched_xworld_priorityclasses(SchedXWorld *w, const cJSON *arr, const char *key);
int sched_xworld_quotas(SchedXWorld *w, const cJSON *arr, const char *key);
int sched_xworld_limitranges(SchedXWorld *w, const cJSON *arr, const char *key);
int sched_xworld_pdbs(SchedXWorld *w, const cJSON *arr, const char *key);

/* Declares pod p as a workload of its own (named as the pod, of kind, scale
 * 1) in *wl; a name given twice fails "PATH: duplicate pod name". */
int sched_xworld_pod_workload(SchedXWorld *w, const KubePod *p, SimWlKind kind, const char *path, uint32_t *wl);
/* Creates a pod of wl (admission runs: SIM_EFORBIDDEN is returned, not
 * recorded); spec.priority as given wins over its class's value. */
int sched_xworld_pod_create(SchedXWorld *w, uint32_t wl, const KubePod *p, const char *path, uint32_t *pod);

/* ---- writing a case from a live engine (explain_from.c) -------------------- */
/* Node id as a v1 Node: its labels whole (the group's and the derived ones,
 * kubesim.io/node-group included), the group's taints, spec.unschedulable,
 * status.allocatable. */
cJSON *sched_xfrom_node_json(SimEngine *e, uint32_t id);
/* key: v as a quantity string ("250m" when milli, else "8"). */
void sched_xfrom_add_q(cJSON *o, const char *key, int64_t v, int milli);
/* key: value in a labels object, unless value is NULL or the key is set. */
void sched_xfrom_add_label(cJSON *labels, const char *key, const char *value);
/* Pod id as a v1 Pod: labels, priority, node selector, affinity,
 * tolerations, spreading (the system default as two ScheduleAnyway
 * constraints), requests and limits as admitted. flags: SCHED_XFROM_BOUND
 * writes spec.nodeName; SCHED_XFROM_NO_PIN leaves out a DaemonSet pod's
 * node pin (its workload's spec has none: the autoscaler reads that). */
enum { SCHED_XFROM_BOUND = 1, SCHED_XFROM_NO_PIN = 2 };
cJSON *sched_xfrom_pod_json(SimEngine *e, uint32_t id, int flags);
/* A pod that holds its node's resources: bound, starting or running, or
 * terminating within its grace period. */
int sched_xfrom_holds_node(const SimPod *p);

#endif
