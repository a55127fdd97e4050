/*
 * wlstate.c: the setters for the fields of workloads, pods, zones and node
 * groups that the layers above own the meaning of (a controller's status
 * counters and timers, a template change, a fault's outage). Upper layers
 * see the objects through const views (model.h); these are their only way
 * to write them, so each change has one place where its preconditions are
 * asserted and sim_check can trust the result.
 */
#include "sim/sim_int.h"

void sim_workload_count_pods(SimEngine *e, uint32_t wl, int32_t dactive, int32_t dready)
{
    SimWorkload *w = sim_workload_mut(e, wl);
    w->active += dactive;
    w->ready += dready;
}

void sim_workload_count_ends(SimEngine *e, uint32_t wl, int32_t dsucceeded, int32_t dfailed)
{
    SimWorkload *w = sim_workload_mut(e, wl);
    SIM_DASSERT(dsucceeded >= 0 && dfailed >= 0);
    w->succeeded += dsucceeded;
    w->failed += dfailed;
}

void sim_workload_set_finished(SimEngine *e, uint32_t wl, int cond)
{
    SIM_DASSERT(cond >= 0 && cond <= 2);
    sim_workload_mut(e, wl)->finished = cond;
}

void sim_workload_set_deleted(SimEngine *e, uint32_t wl)
{
    sim_workload_mut(e, wl)->deleted = 1;
}

void sim_workload_set_replicas(SimEngine *e, uint32_t wl, int32_t replicas)
{
    SIM_DASSERT(replicas >= 0);
    sim_workload_mut(e, wl)->replicas = replicas;
}

void sim_workload_set_suspend(SimEngine *e, uint32_t wl, int suspend)
{
    SimWorkload *w = sim_workload_mut(e, wl);
    SIM_DASSERT(w->kind == SIM_WL_CRONJOB);
    w->cron.suspend = suspend != 0;
}

void sim_workload_set_spec(SimEngine *e, uint32_t wl, const SimPodSpec *spec)
{
    SimWorkload *w = sim_workload_mut(e, wl);
    /* the PDBs' covered workloads were found by these labels at sim_workload_add */
    SIM_DASSERT(spec->labels == w->spec.labels && spec->nlabels == w->spec.nlabels);
    w->spec = *spec;
}

void sim_workload_set_reconcile(SimEngine *e, uint32_t wl, int queued)
{
    sim_workload_mut(e, wl)->reconcile_queued = queued != 0;
}

void sim_workload_cancel_reconcile(SimEngine *e, uint32_t wl)
{
    SimWorkload *w = sim_workload_mut(e, wl);
    w->gen++;
    w->reconcile_queued = 0;
}

void sim_workload_set_wake(SimEngine *e, uint32_t wl, SimTime t)
{
    SIM_DASSERT(t == 0 || t >= e->now);
    sim_workload_mut(e, wl)->wake_at = t;
}

int sim_pod_create_ordinal(SimEngine *e, uint32_t wl, uint32_t ordinal, uint32_t *id)
{
    sim_workload_mut(e, wl)->next_ordinal = ordinal;
    return sim_pod_create(e, wl, id);
}

void sim_pod_set_target_node(SimEngine *e, uint32_t pod, uint32_t node)
{
    SIM_DASSERT(node == SIM_NONE || node < e->nodes.n);
    SimPod *p = sim_pod_mut(e, pod);
    SIM_DASSERT(p->phase == SIM_POD_PENDING);
    p->target_node = node;
}

void sim_pod_pin_zone(SimEngine *e, uint32_t pod, uint32_t zone)
{
    SIM_DASSERT(zone == SIM_NONE || zone < e->zones.n);
    SimPod *p = sim_pod_mut(e, pod);
    SIM_DASSERT(p->phase == SIM_POD_PENDING);
    p->zone_pin = zone;
}

void sim_pod_set_rs(SimEngine *e, uint32_t pod, uint32_t rs)
{
    sim_pod_mut(e, pod)->rs = rs;
}

void sim_zone_set_down(SimEngine *e, uint32_t zone, int down)
{
    sim_zone_mut(e, zone)->down = (uint8_t)(down != 0);
}

void sim_region_set_down(SimEngine *e, uint32_t region, int down)
{
    SimRegion *r = sim_region_mut(e, region);
    if (r->down == (down != 0))
        return;
    r->down = (uint8_t)(down != 0);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].region_changed)
            e->listeners[k].region_changed(e->listeners[k].ctx, e, region);
}

int sim_region_up(const SimEngine *e, uint32_t region)
{
    SIM_DASSERT(region < e->regions.n);
    return !e->regions.v[region].down;
}

void sim_nodegroup_set_stockout(SimEngine *e, uint32_t group, int on)
{
    sim_nodegroup_mut(e, group)->stockout = (uint8_t)(on != 0);
}
