/*
 * apps.h: what the Deployment (through ReplicaSets) and StatefulSet
 * controllers show of themselves (deployment.c, replicaset.c,
 * statefulset.c; k8s-behaviour.md §6): a Deployment's status and
 * Progressing condition, its ReplicaSets, rollouts started from code, a
 * StatefulSet's volumes, and their rows in metrics.csv. Starting and scaling
 * them is wl.h's wl_start and wl_scale.
 */
#ifndef KUBESIM_WL_APPS_H
#define KUBESIM_WL_APPS_H

#include "sim/metrics.h"
#include "workloads/wl.h"

/* Upstream's defaults (pkg/apis/apps/v1/defaults.go). */
#define WL_DEFAULT_SURGE_PCT 25
#define WL_DEFAULT_UNAVAILABLE_PCT 25
#define WL_DEFAULT_PROGRESS_DEADLINE SIM_SEC(600)
#define WL_REVISION_HISTORY_LIMIT 10

/* The rolling update's fenceposts for the Deployment's current replicas
 * (upstream ResolveFenceposts): maxSurge rounds up, maxUnavailable down, and
 * when both come to 0 unavailable is 1. Absolute counts are used as they are. */
void wl_deploy_fenceposts(const SimWorkload *w, int32_t *surge, int32_t *unavailable);

/* What upstream's ActivePodsWithRanks.Less (controller_utils.go) reads of a
 * pod when a ReplicaSet picks the pods to delete. */
typedef struct WlPodRank {
    uint32_t pod;           /* its id: the random UID tie-break is "higher id (newer) first" */
    uint32_t node;          /* SIM_NONE: not scheduled */
    uint8_t running;        /* phase Running (else Pending, which includes Bound) */
    uint8_t ready;          /* Running and Ready */
    int32_t deletion_cost;  /* controller.kubernetes.io/pod-deletion-cost */
    uint32_t colocated;     /* pods of the Deployment's ReplicaSets on the same node (its rank) */
    SimTime ready_at;       /* when it became Ready (-1: never) */
    SimTime created_at;
} WlPodRank;

/* Is a deleted before b? Upstream's rules in order: unscheduled before
 * scheduled; Pending before Running; not Ready before Ready; lower
 * pod-deletion-cost first; more pods of the set on its node first; (both
 * Ready) more recently Ready first; newer before older. Times compare in
 * LogarithmicScaleDown's buckets, floor(log2(now - t)) in nanoseconds, and
 * equal buckets fall back to the id. Restart counts (rule 7) are not
 * modelled: no pod restarts. */
int wl_pod_delete_before(const WlPodRank *a, const WlPodRank *b, SimTime now);

/* The reasons of a Deployment's Progressing condition (upstream's words). */
typedef enum WlProgress {
    WL_PROGRESS_NONE = 0,            /* no condition yet */
    WL_PROGRESS_NEW_RS_CREATED,      /* NewReplicaSetCreated */
    WL_PROGRESS_FOUND_NEW_RS,        /* FoundNewReplicaSet */
    WL_PROGRESS_RS_UPDATED,          /* ReplicaSetUpdated */
    WL_PROGRESS_NEW_RS_AVAILABLE,    /* NewReplicaSetAvailable: the rollout is complete */
    WL_PROGRESS_DEADLINE_EXCEEDED    /* ProgressDeadlineExceeded: Progressing=False */
} WlProgress;
const char *wl_progress_reason(WlProgress r);   /* "ProgressDeadlineExceeded"; static */

/* A Deployment's status as of its last sync (upstream's DeploymentStatus). */
typedef struct WlDeployStatus {
    int32_t replicas;       /* live pods of every ReplicaSet */
    int32_t updated;        /* live pods of the newest ReplicaSet (the current template) */
    int32_t ready, available, unavailable;
    uint32_t revision;      /* the newest ReplicaSet's deployment.kubernetes.io/revision */
    int progressing;        /* Progressing condition: 1 True, 0 False, -1 absent */
    WlProgress reason;
    SimTime last_update, last_transition;
} WlDeployStatus;

/* Fills *out for Deployment wl. SIM_EINVAL if wl is not a started Deployment. */
int wl_deploy_status(WlControllers *c, uint32_t wl, WlDeployStatus *out);

/* One of a Deployment's ReplicaSets. */
typedef struct WlRsInfo {
    uint32_t id;            /* the controller's id, in creation order (SimPod.rs) */
    uint32_t revision;
    char name[128];         /* <deployment>-<pod-template-hash> */
    int32_t replicas;       /* spec.replicas */
    int32_t pods, ready, available;   /* status as of the last sync */
    int current;            /* its template is the Deployment's (the new ReplicaSet) */
} WlRsInfo;

/* Copies up to max of Deployment wl's ReplicaSets, oldest first, into out and
 * returns how many it has (0 if wl is not a started Deployment). */
size_t wl_deploy_replicasets(WlControllers *c, uint32_t wl, WlRsInfo *out, size_t max);

/* Changes Deployment wl's pod template now, as a SimRollout does at its time
 * (its `at` is ignored; the strings are borrowed for the run): a new
 * ReplicaSet and a rolling update, or nothing if the template is unchanged. */
int wl_rollout(WlControllers *c, uint32_t wl, const SimRollout *r);

/* The zone of StatefulSet wl's volume for ordinal, or SIM_NONE while it has
 * none (not provisioned yet, or the set declares no volume). */
uint32_t wl_sts_volume_zone(WlControllers *c, uint32_t wl, uint32_t ordinal);

/* Adds the rows of Deployments and ReplicaSets to metrics.csv: per
 * deployment "updated" and "available", per replicaset (object
 * "replicaset", name <deployment>-<hash>) "replicas" and "available". */
int wl_apps_add_sampler(WlControllers *c, SimMetrics *mt);

#endif
