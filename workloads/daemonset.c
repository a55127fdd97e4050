/*
 * daemonset.c: the DaemonSet controller. It keeps one pod on every Ready node
 * of its region that the pod template admits (nodeSelector, required node
 * affinity, and the node's NoSchedule/NoExecute taints tolerated), as upstream
 * (pkg/controller/daemon) decides with the scheduler's predicates. Each pod
 * targets its node (upstream: node affinity on metadata.name) and is placed
 * by the scheduler, so it consumes that node's capacity like any pod.
 * Invariant: pod_of_node[n] is the DaemonSet's live pod on node n, or SIM_NONE;
 * after each sync, w->replicas is status.desiredNumberScheduled: the nodes
 * that exist (Ready or NotReady; upstream's DaemonSet pods tolerate the
 * not-ready and unreachable taints) and admit the pod, so it follows the
 * nodes down as well as up.
 * Simplifications (README "Fidelity"): no rolling update of DaemonSet pods;
 * pods are placed on Ready nodes only; nodes are (re)examined when one
 * becomes Ready or a DaemonSet pod ends (a removed node's pod is deleted
 * with it, which resyncs the count; upstream has no node-delete handler
 * either).
 */
#include "workloads/wl_int.h"

#include <string.h>

static WlDaemonSet *ds_of(WlControllers *c, uint32_t wl)
{
    for (size_t i = 0; i < c->nds; i++)
        if (c->ds[i].wl == wl)
            return &c->ds[i];
    return NULL;
}

/* Grows pod_of_node to cover every node id, new slots SIM_NONE. */
static int ds_reserve(WlControllers *c, WlDaemonSet *d, size_t n)
{
    size_t old = d->cap;
    if (sim_mem_grow(sim_mem(c->e), (void **)&d->pod_of_node, &d->cap, n, sizeof *d->pod_of_node))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    for (size_t i = old; i < d->cap; i++)
        d->pod_of_node[i] = SIM_NONE;
    return SIM_OK;
}

int wl_ds_start(WlControllers *c, uint32_t wl)
{
    if (sim_mem_grow(sim_mem(c->e), (void **)&c->ds, &c->capds, c->nds + 1, sizeof *c->ds))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    WlDaemonSet *d = &c->ds[c->nds++];
    memset(d, 0, sizeof *d);
    d->wl = wl;
    return wl_queue_reconcile(c, wl, sim_now(c->e));
}

static int taints_tolerated(SimEngine *e, const SimPodSpec *spec, uint32_t node)
{
    const SimNodeGroup *g = sim_nodegroup(e, sim_node(e, node)->group);
    for (size_t i = 0; i < g->ntaints; i++)
        if (g->taints[i].effect != SIM_TAINT_PREFER_NO_SCHEDULE &&
            !sim_tolerates(spec->tolerations, spec->ntolerations, &g->taints[i]))
            return 0;
    return 1;
}

static int node_admits(SimEngine *e, const SimPodSpec *spec, uint32_t node)
{
    if (!sim_node_matches(e, node, &spec->node_selector))
        return 0;
    int any = spec->nnode_required == 0;
    for (size_t i = 0; !any && i < spec->nnode_required; i++)
        any = sim_node_matches(e, node, &spec->node_required[i]);
    return any && taints_tolerated(e, spec, node);
}

static int ds_place(WlControllers *c, WlDaemonSet *d, uint32_t node)
{
    uint32_t pod;
    int rc = sim_pod_create(c->e, d->wl, &pod);
    if (rc != SIM_OK)
        return rc;
    sim_pod_set_target_node(c->e, pod, node);   /* before its first scheduling cycle */
    d->pod_of_node[node] = pod;
    sim_workload_count_pods(c->e, d->wl, 1, 0);
    return SIM_OK;
}

/* status.desiredNumberScheduled: the nodes of the region that exist and
 * should run the pod (upstream's nodeShouldRunDaemonPod), pod or not. */
static int32_t desired(WlControllers *c, const SimWorkload *w)
{
    const SimRegion *r = sim_region(c->e, w->region);
    int32_t n = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        SimNodeState st = sim_node(c->e, r->nodes[i])->state;
        if ((st == SIM_NODE_READY || st == SIM_NODE_NOT_READY) && node_admits(c->e, &w->spec, r->nodes[i]))
            n++;
    }
    return n;
}

int wl_ds_reconcile(WlControllers *c, uint32_t wl)
{
    WlDaemonSet *d = ds_of(c, wl);
    const SimWorkload *w = sim_workload(c->e, wl);
    const SimRegion *r = sim_region(c->e, w->region);
    if (d == NULL || ds_reserve(c, d, sim_node_count(c->e)) != SIM_OK)
        return SIM_ENOMEM;
    int32_t want = desired(c, w);   /* whatever the creations below meet */
    if (want != w->replicas)
        sim_workload_set_replicas(c->e, wl, want);
    for (size_t i = 0; i < r->nnodes; i++) {
        uint32_t n = r->nodes[i];
        if (sim_node(c->e, n)->state != SIM_NODE_READY || d->pod_of_node[n] != SIM_NONE)
            continue;
        if (node_admits(c->e, &w->spec, n)) {
            int rc = ds_place(c, d, n);
            if (rc != SIM_OK)
                return rc;
        }
    }
    return SIM_OK;
}

void wl_ds_pod_terminated(WlControllers *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    WlDaemonSet *d = ds_of(c, p->wl);
    if (d && p->target_node < d->cap && d->pod_of_node[p->target_node] == pod)
        d->pod_of_node[p->target_node] = SIM_NONE;
}

void wl_ds_node_ready(WlControllers *c, uint32_t node)
{
    uint32_t region = sim_node(c->e, node)->region;
    for (size_t i = 0; i < c->nds; i++)
        if (sim_workload(c->e, c->ds[i].wl)->region == region)
            (void)wl_queue_reconcile(c, c->ds[i].wl, sim_now(c->e));
}

void wl_ds_free(WlControllers *c)
{
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < c->nds; i++)
        sim_mem_free(m, c->ds[i].pod_of_node, c->ds[i].cap * sizeof(uint32_t));
    sim_mem_free(m, c->ds, c->capds * sizeof *c->ds);
}
