/*
 * v1.h: reading Kubernetes v1 objects (as JSON, cJSON trees) into the
 * engine's model: Node, Pod, PriorityClass, PodDisruptionBudget,
 * ResourceQuota, LimitRange. Every field of the Kubernetes API is accepted
 * (those kubesim does not model are ignored); a field that is not in the API
 * is refused, as `kubectl apply --validate=strict` would, with the JSON path of
 * the problem ("$.pods[2].spec.containers[0].resources.requests.cpu").
 * Errors are sticky: after the first, every call returns at once, and
 * sched_v1_failed() tells. Strings and arrays come from the arena.
 */
#ifndef KUBESIM_SCHED_V1_H
#define KUBESIM_SCHED_V1_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/arena.h"
#include "sim/policy.h"

#define SCHED_V1_ERRLEN 512

typedef struct SchedV1 {
    SimArena *arena;
    int failed;
    char err[SCHED_V1_ERRLEN];   /* "$.path: message" */
} SchedV1;

void sched_v1_init(SchedV1 *c, SimArena *a);
int sched_v1_failed(const SchedV1 *c);
void sched_v1_fail(SchedV1 *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* metadata.name / .namespace / .labels of any object (namespace "default"
 * when absent). */
typedef struct SchedV1Meta {
    const char *name, *ns;
    SimKV *labels;
    size_t nlabels;
} SchedV1Meta;

/* A v1 Node: name, labels (the zone is its topology.kubernetes.io/zone),
 * taints, unschedulable, allocatable (cpu, memory, nvidia.com/gpu, pods). */
typedef struct SchedV1Node {
    SchedV1Meta meta;
    SimTaint *taints;
    size_t ntaints;
    int unschedulable;
    SimRes alloc;
} SchedV1Node;
void sched_v1_node(SchedV1 *c, const cJSON *j, const char *path, SchedV1Node *out);

/* A v1 Pod: its spec as the engine models it (requests as upstream sums
 * them: max(Σ containers, max init container) + overhead), and its node. */
typedef struct SchedV1Pod {
    SchedV1Meta meta;
    SimPodSpec spec;
    int has_priority;            /* spec.priority was given (else from its class) */
} SchedV1Pod;
void sched_v1_pod(SchedV1 *c, const cJSON *j, const char *path, SchedV1Pod *out);
/* The kind of the controller that owns the pod, from its ownerReferences
 * (the one with controller true): ReplicaSet, ReplicationController and
 * Deployment read as a Deployment; SIM_WL_POD when none or an unknown kind. */
SimWlKind sched_v1_owner_kind(SchedV1 *c, const cJSON *j, const char *path);

void sched_v1_priorityclass(SchedV1 *c, const cJSON *j, const char *path, SimPriorityClass *out);
/* PDB and quota and limitrange: region is left 0; ns is resolved by the
 * caller from meta.ns. */
void sched_v1_pdb(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *meta, SimPdb *out);
void sched_v1_quota(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *meta, SimQuota *out);
void sched_v1_limitrange(SchedV1 *c, const cJSON *j, const char *path, SchedV1Meta *meta, SimLimitRange *out);

/* The longest quantity text read (a real one is under 25 characters), and
 * the largest value kept: 2^53 (8 PiB, or 9e12 cores in millicores), so that
 * sums over pods and containers and the scores' x100 stay inside int64_t. */
#define SCHED_V1_QUANTITY_MAX 64
#define SCHED_V1_QUANTITY_LIMIT (INT64_C(1) << 53)

/* A quantity (a string as Kubernetes writes it, or a JSON number) in units,
 * or milli-units when milli; 0 and the error set when it is malformed, too
 * long or larger than SCHED_V1_QUANTITY_LIMIT. */
int64_t sched_v1_quantity(SchedV1 *c, const cJSON *x, const char *path, int milli);
/* x as a whole number in [lo, hi] in *out: SIM_OK, or SIM_EINVAL with the
 * error set (x not a number, a fraction, or out of range: the range is checked
 * on the double, never after a cast). */
int sched_v1_whole(SchedV1 *c, const cJSON *x, const char *path, int64_t lo, int64_t hi, int64_t *out);

/* Checks that every key of object j is in allowed (NULL-terminated). */
void sched_v1_keys(SchedV1 *c, const cJSON *j, const char *path, const char *const *allowed);

/* ---- shared by the explain commands ---------------------------------------- */
/* "FILE:LINE:COL: not valid JSON" at the place cJSON stopped (at, from
 * cJSON_GetErrorPtr) in err; returns SIM_EINVAL. */
int sched_v1_json_error(const char *file, const char *text, const char *at, SimErr *err);
/* Prints an explain answer: indented JSON (--json), else through text. */
void sched_v1_print_answer(const cJSON *answer, int as_json, FILE *out, void (*text)(const cJSON *, FILE *));

#endif
