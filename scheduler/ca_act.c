/*
 * ca_act.c: acting on a scale-down plan (k8s-behaviour.md §2.3 "Timing" and
 * "Execution"; upstream core/scaledown/planner, actuation): the unneeded
 * timers, the cooldowns, bulk deletion of empty (and long unready) nodes and
 * the drain of one underutilised node at a time.
 *
 * Invariant: at most one node per region is being drained (max-drain-
 * parallelism 1); it is cordoned from the start of its drain until it is
 * removed or the drain is aborted, and no deletion takes a group below its
 * minimum size.
 */
#include "scheduler/ca_int.h"

#include "sim/policy.h"

static SimTime tmax(SimTime a, SimTime b) { return a > b ? a : b; }
static SimTime tmin(SimTime a, SimTime b) { return a < b ? a : b; }

/* Removes a node the autoscaler chose; the caller has checked the group. */
static int remove_node(SchedCa *ca, uint32_t node, const char *reason)
{
    sim_trace_rec(ca->e, SCHED_TR_CA_SCALE_DOWN, (SimTrVal[]){SIM_TRI(node), SIM_TRS(reason)}, 2);
    int rc = sim_node_remove(ca->e, node);
    if (rc == SIM_OK)
        ca->nodes_removed++;
    return rc;
}

int ca_has_movable_pods(SchedCa *ca, uint32_t node)
{
    for (uint32_t pod = sim_node(ca->e, node)->pods_head; pod != SIM_NONE; pod = sim_pod(ca->e, pod)->node_next)
        if (!ca_is_daemonset(ca->e, sim_pod(ca->e, pod)))
            return 1;
    return 0;
}

/* ---- the drain ---------------------------------------------------------------- */
/* Gives up on the drained node: uncordoned, not a candidate again before
 * unremovable-node-recheck-timeout, and scale-down waits
 * scale-down-delay-after-failure. */
static int drain_abort(SchedCa *ca, CaRegion *rs)
{
    uint32_t node = rs->draining;
    CaNodeState *ns = ca_node(ca, node);
    SimTime now = sim_now(ca->e);
    rs->draining = SIM_NONE;
    rs->last_fail = now;
    rs->gen++;
    if (ns)
        ns->recheck_until = now + ca->cfg.unremovable_node_recheck_timeout;
    return sim_node_cordon(ca->e, node, 0);
}

/* Evicts what is left on the node; a refused eviction (PDB) is retried in
 * the next loop until max-pod-eviction-time has passed since the drain
 * began. Once only DaemonSet pods are left the node goes. */
int ca_drain_step(SchedCa *ca, CaRegion *rs)
{
    uint32_t node = rs->draining;
    if (node == SIM_NONE)
        return SIM_OK;
    if (!sim_node_live(sim_node(ca->e, node))) {   /* removed meanwhile (a fault) */
        rs->draining = SIM_NONE;
        return SIM_OK;
    }
    for (uint32_t pod = sim_node(ca->e, node)->pods_head; pod != SIM_NONE;) {
        uint32_t next = sim_pod(ca->e, pod)->node_next;
        if (!ca_is_daemonset(ca->e, sim_pod(ca->e, pod))) {
            int rc = sim_pod_evict(ca->e, pod, "cluster-autoscaler");
            if (rc != SIM_OK && rc != SIM_EFORBIDDEN && rc != SIM_ESTATE)
                return rc;
        }
        pod = next;
    }
    if (!ca_has_movable_pods(ca, node)) {
        rs->draining = SIM_NONE;
        rs->last_delete = sim_now(ca->e);
        rs->gen++;
        return remove_node(ca, node, "underutilized");
    }
    if (sim_now(ca->e) - rs->drain_start >= ca->cfg.max_pod_eviction_time)
        return drain_abort(ca, rs);
    return SIM_OK;
}

/* Cordoning stands for upstream's ToBeDeletedByClusterAutoscaler:NoSchedule
 * taint: both keep new pods off the node while it drains. */
static int drain_start(SchedCa *ca, CaRegion *rs, uint32_t node)
{
    int rc = sim_node_cordon(ca->e, node, 1);
    if (rc != SIM_OK)
        return rc;
    rs->draining = node;
    rs->drain_start = sim_now(ca->e);
    rs->gen++;
    return ca_drain_step(ca, rs);
}

/* ---- timers -------------------------------------------------------------------- */
/* Starts or clears each Ready node's unneeded timer from the plan, and
 * returns the first instant a timer (including NotReady nodes') is due. With
 * the caps on, the next plan's candidates are the nodes unneeded now: a node
 * that becomes or stops being one changes the region's generation, so the
 * cached plan is not reused for a different candidate set. */
static SimTime timers_update(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p)
{
    SimTime now = sim_now(ca->e), due = SIM_TIME_MAX;
    int flips = 0;
    for (size_t i = 0; i < p->nnodes; i++) {
        CaNodeState *ns = ca_node(ca, p->nodes[i].node);
        if (ns == NULL)
            continue;
        flips |= (ns->since >= 0) != (p->nodes[i].unneeded != 0);
        if (!p->nodes[i].unneeded) {
            ns->since = -1;
            continue;
        }
        if (ns->since < 0)
            ns->since = now;
        due = tmin(due, ns->since + ca->cfg.scale_down_unneeded_time);
    }
    if (flips && ca->cfg.scale_down_non_empty_candidates_count > 0)
        rs->gen++;
    const SimRegion *r = sim_region(ca->e, p->region);
    for (size_t i = 0; i < r->nnodes; i++) {
        const SimNode *n = sim_node(ca->e, r->nodes[i]);
        if (n->state == SIM_NODE_NOT_READY)
            due = tmin(due, n->changed_at + ca->cfg.scale_down_unready_time);
    }
    return due;
}

/* When scale-down may delete again: delay-after-add, -after-failure and
 * -after-delete. */
static SimTime cooldown_end(SchedCa *ca, const CaRegion *rs)
{
    SimTime t = 0;
    if (rs->last_up >= 0)
        t = tmax(t, rs->last_up + ca->cfg.scale_down_delay_after_add);
    if (rs->last_fail >= 0)
        t = tmax(t, rs->last_fail + ca->cfg.scale_down_delay_after_failure);
    if (rs->last_delete >= 0)
        t = tmax(t, rs->last_delete + ca->cfg.scale_down_delay_after_delete);
    return t;
}

/* ---- deletion ----------------------------------------------------------------- */
typedef struct Budget {
    int32_t bulk;                /* deletions left in this loop (max-empty-bulk-delete) */
} Budget;

static int group_may_lose(SchedCa *ca, uint32_t node)
{
    return ca->group_left[sim_node(ca->e, node)->group] > 0;
}

static void group_lost(SchedCa *ca, uint32_t node)
{
    ca->group_left[sim_node(ca->e, node)->group]--;
}

/* NotReady nodes past scale-down-unready-time. */
static int delete_unready(SchedCa *ca, uint32_t region, Budget *b)
{
    const SimRegion *r = sim_region(ca->e, region);
    SimTime now = sim_now(ca->e);
    for (size_t i = 0; i < r->nnodes && b->bulk > 0; i++) {
        uint32_t node = r->nodes[i];
        const SimNode *n = sim_node(ca->e, node);
        if (n->state != SIM_NODE_NOT_READY || ca_scale_down_disabled(ca, node) ||
            now - n->changed_at < ca->cfg.scale_down_unready_time || !group_may_lose(ca, node))
            continue;
        group_lost(ca, node);
        b->bulk--;
        int rc = remove_node(ca, node, "unready");
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int due(SchedCa *ca, const SchedCaNodeVerdict *v)
{
    const CaNodeState *ns = ca_node(ca, v->node);
    return v->unneeded && ns && ns->since >= 0 && sim_now(ca->e) - ns->since >= ca->cfg.scale_down_unneeded_time &&
           sim_node(ca->e, v->node)->state == SIM_NODE_READY;
}

/* Due unneeded nodes: the empty ones in bulk, then the first other one
 * drained (when no drain is running). */
static int delete_unneeded(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p, Budget *b)
{
    uint32_t drain = SIM_NONE;
    for (size_t i = 0; i < p->nnodes; i++) {
        const SchedCaNodeVerdict *v = &p->nodes[i];
        if (!due(ca, v) || !group_may_lose(ca, v->node))
            continue;
        if (ca_has_movable_pods(ca, v->node)) {
            if (drain == SIM_NONE && rs->draining == SIM_NONE)
                drain = v->node;
            continue;
        }
        if (b->bulk <= 0)
            continue;
        group_lost(ca, v->node);
        b->bulk--;
        int rc = remove_node(ca, v->node, "empty");
        if (rc != SIM_OK)
            return rc;
    }
    return drain != SIM_NONE ? drain_start(ca, rs, drain) : SIM_OK;
}

int ca_scale_down(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p)
{
    SimTime now = sim_now(ca->e);
    if (!ca->cfg.scale_down_enabled) {
        rs->next_due = SIM_TIME_MAX;
        return SIM_OK;
    }
    SimTime next = timers_update(ca, rs, p), cool = cooldown_end(ca, rs);
    rs->next_due = next == SIM_TIME_MAX ? next : tmax(next, cool);
    if (now < cool || next > now)
        return SIM_OK;
    uint32_t ng = sim_nodegroup_count(ca->e);
    if (CA_GROW(ca, ca->group_left, ca->capgl, ng))
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    ca_groups_left(ca, rs);
    uint64_t removed0 = ca->nodes_removed;
    Budget b = {ca->cfg.max_empty_bulk_delete};
    int rc = delete_unready(ca, p->region, &b);
    if (rc == SIM_OK)
        rc = delete_unneeded(ca, rs, p, &b);
    if (ca->nodes_removed != removed0)
        rs->last_delete = now;
    return rc;
}
