/*
 * statefulset.c: the StatefulSet controller with podManagementPolicy
 * OrderedReady (upstream pkg/controller/statefulset/stateful_set_control.go,
 * updateStatefulSet in monotonic mode). Pods are named <set>-<ordinal>;
 * ordinal i is created only once 0..i-1 are Running and Ready (and available
 * for minReadySeconds), one per sync; on scale-down the highest ordinal goes
 * first, one per sync, and only when every lower one is healthy. A deleted
 * or ended pod is created again with its ordinal.
 *
 * Volumes: with `volume` set, each ordinal has one PersistentVolumeClaim. Its
 * volume is provisioned in the zone of the node its first pod binds to
 * (a WaitForFirstConsumer StorageClass) and outlives the pod and scale-down
 * (retention policy Retain), so every later pod of that ordinal carries a
 * required node affinity on topology.kubernetes.io/zone for that zone
 * (SimPod.zone_pin, honoured by the scheduler's NodeAffinity filter).
 *
 * Invariant: pod_of[i] is the live pod of ordinal i or SIM_NONE, and
 * vol_zone[i], once set, never changes.
 *
 * Simplifications (README "Fidelity"): OrderedReady only (no Parallel), no
 * update strategy (the template never changes), deletion is immediate (no
 * graceful termination to wait out), the volume's capacity is not checked
 * against any storage, and an unschedulable pinned pod is reported under
 * NodeAffinity where upstream's VolumeBinding says "node(s) had volume node
 * affinity conflict". A pod on a NotReady node is not Ready (it blocks the
 * ordinals after it); one deleted by taint eviction stays Terminating until
 * its node returns or is deleted, and only then is it created anew (§7.6,
 * workloads/faults.c).
 */
#include "workloads/wl_int.h"

#include <string.h>

#include "workloads/apps.h"

static WlSts *sts_of(WlControllers *c, uint32_t wl)
{
    for (size_t i = 0; i < c->nsts; i++)
        if (c->sts[i].wl == wl)
            return &c->sts[i];
    return NULL;
}

/* Grows both arrays to cover ordinals [0, n), new slots SIM_NONE. */
static int reserve(WlControllers *c, WlSts *s, size_t n)
{
    if (n <= s->cap)
        return SIM_OK;
    SimMem *m = sim_mem(c->e);
    uint32_t *pods = sim_mem_realloc(m, s->pod_of, s->cap * sizeof *pods, n * sizeof *pods);
    if (pods == NULL)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    s->pod_of = pods;
    uint32_t *zones = sim_mem_realloc(m, s->vol_zone, s->cap * sizeof *zones, n * sizeof *zones);
    if (zones == NULL) {   /* shrink pod_of back so both stay cap long */
        s->pod_of = sim_mem_realloc(m, s->pod_of, n * sizeof *pods, s->cap * sizeof *pods);
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    }
    s->vol_zone = zones;
    for (size_t i = s->cap; i < n; i++)
        s->pod_of[i] = s->vol_zone[i] = SIM_NONE;
    s->cap = n;
    return SIM_OK;
}

int wl_sts_start(WlControllers *c, uint32_t wl)
{
    if (sts_of(c, wl) == NULL) {
        if (sim_mem_grow(sim_mem(c->e), (void **)&c->sts, &c->capsts, c->nsts + 1, sizeof *c->sts) != SIM_OK)
            return sim_fail(c->e, SIM_ENOMEM, "out of memory");
        WlSts *s = &c->sts[c->nsts++];
        memset(s, 0, sizeof *s);
        s->wl = wl;
    }
    return wl_queue_reconcile(c, wl, sim_now(c->e));
}

/* Creates the pod of ordinal i, pinned to its volume's zone if it has one. */
static int create(WlControllers *c, WlSts *s, uint32_t i)
{
    uint32_t pod;
    int rc = sim_pod_create_ordinal(c->e, s->wl, i, &pod);   /* named <set>-<i> */
    if (rc != SIM_OK)
        return rc;
    sim_pod_pin_zone(c->e, pod, s->vol_zone[i]);   /* before its first scheduling cycle */
    sim_workload_count_pods(c->e, s->wl, 1, 0);
    s->pod_of[i] = pod;
    return SIM_OK;
}

/* isRunningAndReady, then isRunningAndAvailable; *at is when a Ready pod
 * that is not yet available becomes so. */
static int healthy(WlControllers *c, uint32_t pod, SimTime *at)
{
    const SimPod *p = sim_pod(c->e, pod);
    SimTime min_ready = sim_workload(c->e, p->wl)->min_ready;
    if (p->phase != SIM_POD_RUNNING || p->unready)
        return 0;
    if (sim_now(c->e) - p->started_at >= min_ready)
        return 1;
    *at = p->started_at + min_ready;
    return 0;
}

/* The replicas in ordinal order: create the first missing one, or wait for
 * the first unhealthy one. 1 if the sync must stop here. */
static int process_replicas(WlControllers *c, WlSts *s, int32_t replicas, int *rc)
{
    for (uint32_t i = 0; i < (uint32_t)replicas; i++) {
        SimTime at = SIM_TIME_MAX;
        if (s->pod_of[i] == SIM_NONE) {
            *rc = create(c, s, i);
            return 1;
        }
        if (!healthy(c, s->pod_of[i], &at)) {
            wl_wake_at(c, s->wl, at);
            return 1;
        }
    }
    return 0;
}

/* The condemned (ordinals >= replicas), highest first: delete one, unless a
 * healthier order requires waiting. All replicas are healthy here, so the
 * first unhealthy pod is the lowest condemned one that is unhealthy. */
static int process_condemned(WlControllers *c, WlSts *s, int32_t replicas)
{
    uint32_t first_unhealthy = SIM_NONE;
    SimTime at = SIM_TIME_MAX;
    for (size_t i = (size_t)replicas; i < s->cap && first_unhealthy == SIM_NONE; i++)
        if (s->pod_of[i] != SIM_NONE && !healthy(c, s->pod_of[i], &at))
            first_unhealthy = (uint32_t)i;
    for (size_t i = s->cap; i-- > (size_t)replicas;) {
        if (s->pod_of[i] == SIM_NONE)
            continue;
        if (!healthy(c, s->pod_of[i], &at) && i != first_unhealthy) {
            wl_wake_at(c, s->wl, at);
            return SIM_OK;
        }
        return sim_pod_delete(c->e, s->pod_of[i]);   /* its end wakes the next sync */
    }
    return SIM_OK;
}

int wl_sts_reconcile(WlControllers *c, uint32_t wl)
{
    WlSts *s = sts_of(c, wl);
    int32_t replicas = sim_workload(c->e, wl)->replicas;
    if (s == NULL)
        return SIM_OK;   /* declared but never started */
    int rc = reserve(c, s, (size_t)replicas);
    if (rc != SIM_OK)
        return rc;
    if (process_replicas(c, s, replicas, &rc))
        return rc;
    return process_condemned(c, s, replicas);
}

/* The ordinal's volume is provisioned where its first pod lands. */
void wl_sts_pod_bound(WlControllers *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    WlSts *s = sts_of(c, p->wl);
    if (s == NULL || sim_workload(c->e, p->wl)->volume <= 0 || p->ordinal >= s->cap ||
        s->vol_zone[p->ordinal] != SIM_NONE)
        return;
    uint32_t zone = sim_node(c->e, p->node)->zone;
    if (zone == SIM_NONE)
        return;
    s->vol_zone[p->ordinal] = zone;
    sim_trace_rec(c->e, WL_TR_VOLUME, (SimTrVal[]){SIM_TRI(p->wl), SIM_TRI(p->ordinal), SIM_TRI(zone)}, 3);
}

void wl_sts_pod_terminated(WlControllers *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    WlSts *s = sts_of(c, p->wl);
    if (s && p->ordinal < s->cap && s->pod_of[p->ordinal] == pod)
        s->pod_of[p->ordinal] = SIM_NONE;
}

uint32_t wl_sts_volume_zone(WlControllers *c, uint32_t wl, uint32_t ordinal)
{
    const WlSts *s = sts_of(c, wl);
    return s && ordinal < s->cap ? s->vol_zone[ordinal] : SIM_NONE;
}

void wl_sts_free(WlControllers *c)
{
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < c->nsts; i++) {
        sim_mem_free(m, c->sts[i].pod_of, c->sts[i].cap * sizeof(uint32_t));
        sim_mem_free(m, c->sts[i].vol_zone, c->sts[i].cap * sizeof(uint32_t));
    }
    sim_mem_free(m, c->sts, c->capsts * sizeof *c->sts);
}
