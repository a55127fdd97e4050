/*
 * lifecycle.c: nodes join and become Ready; pods go Pending -> Bound ->
 * Running (after the start-up delay) -> Succeeded (after their duration;
 * Failed when their exit code is not 0) or are deleted. Every transition
 * keeps the node's request totals, the region's cost rate, the stats and the
 * trace in step, and tells the listeners.
 *
 * Graceful termination: a deleted Running pod that a listener says is busy
 * (pod_stopping) is Deleted for the API at once (controllers and PDBs
 * see it go) but stays on its node's list, holding the node's resources as
 * upstream's Terminating pods do, until it finishes or its grace period ends
 * (SIM_EV_POD_GONE). Simplification: a pod with nothing in flight exits at
 * once on SIGTERM (no preStop hooks), so only busy pods take time.
 */
#include "sim/sim_int.h"

#include <stdio.h>
#include <string.h>

#define NZ_CPU_M 100                      /* upstream DefaultMilliCPURequest */
#define NZ_MEM (INT64_C(200) * 1024 * 1024) /* upstream DefaultMemoryRequest */

SimRes sim_nonzero_requests(const SimRes *req)
{
    SimRes r = *req;
    if (r.cpu_m == 0)
        r.cpu_m = NZ_CPU_M;
    if (r.mem == 0)
        r.mem = NZ_MEM;
    return r;
}

static void res_add(SimRes *a, const SimRes *b, int64_t sign)
{
    a->cpu_m += sign * b->cpu_m;
    a->mem += sign * b->mem;
    a->gpu += sign * b->gpu;
    a->pods += sign * b->pods;
}

/* ---- cost: accrued per node-second at the group's hourly price ---------- */
static void cost_settle_region(SimRegion *r, SimTime now)
{
    double dt = (double)(now - r->cost_t) / (double)SIM_NS_PER_S;
    r->cost_usd += r->cost_rate * dt;
    r->paid_usd += r->paid_rate * dt;
    r->cost_t = now;
}

static void cost_settle_ns(SimNamespace *ns, SimTime now)
{
    ns->cost_usd += ns->cost_rate * (double)(now - ns->cost_t) / (double)SIM_NS_PER_S;
    ns->cost_t = now;
}

static void cost_settle_group(SimNodeGroup *g, SimTime now)
{
    g->cost_usd += (double)g->live_nodes * g->price_per_hour / 3600.0 * (double)(now - g->cost_t) /
                   (double)SIM_NS_PER_S;
    g->cost_t = now;
}

void sim_cost_settle(SimEngine *e)
{
    for (size_t i = 0; i < e->groups.n; i++)
        cost_settle_group(&e->groups.v[i], e->now);
    for (size_t i = 0; i < e->regions.n; i++)
        cost_settle_region(&e->regions.v[i], e->now);
    for (size_t i = 0; i < e->namespaces.n; i++)
        cost_settle_ns(&e->namespaces.v[i], e->now);
}

static double frac(int64_t req, int64_t alloc)
{
    if (alloc <= 0)
        return 0;
    return req >= alloc ? 1.0 : (double)req / (double)alloc;
}

double sim_pod_cost_share(const SimPod *p, const SimNode *n)
{
    double c = frac(p->req.cpu_m, n->alloc.cpu_m), m = frac(p->req.mem, n->alloc.mem);
    if (n->alloc.gpu > 0)
        return 0.5 * frac(p->req.gpu, n->alloc.gpu) + 0.25 * c + 0.25 * m;
    return 0.5 * c + 0.5 * m;
}

/* A pod joins (sign 1) or leaves (-1) its node: its namespace's rate moves by
 * its share of the node's price. The rate is recomputed from the same
 * integers both ways, so it returns to its value up to rounding. */
static void cost_pod(SimEngine *e, const SimPod *p, const SimNode *n, int sign)
{
    double price = e->groups.v[n->group].price_per_hour;
    SimNamespace *ns = &e->namespaces.v[p->ns];
    if (sign > 0 && e->groups.v[n->group].price_unknown)
        ns->cost_unknown = 1;   /* it paid a share of a price nobody knows */
    if (price <= 0)
        return;
    SimRegion *r = &e->regions.v[n->region];
    double rate = sign * price / 3600.0 * sim_pod_cost_share(p, n);
    cost_settle_ns(ns, e->now);
    cost_settle_region(r, e->now);
    ns->cost_rate += rate;
    r->paid_rate += rate;
    if (ns->cost_rate < 1e-15)   /* rounding left over when the last pod leaves */
        ns->cost_rate = 0;
    if (r->paid_rate < 1e-15)
        r->paid_rate = 0;
}

double sim_cost_idle(SimEngine *e, uint32_t region)
{
    sim_cost_settle(e);
    const SimRegion *r = &e->regions.v[region];
    double idle = r->cost_usd - r->paid_usd;
    return idle > 0 ? idle : 0;
}

double sim_cost_total(SimEngine *e)
{
    sim_cost_settle(e);
    double sum = 0;
    for (size_t i = 0; i < e->regions.n; i++)
        sum += e->regions.v[i].cost_usd;
    return sum;
}

int sim_region_cost_known(const SimEngine *e, uint32_t region)
{
    for (size_t i = 0; i < e->groups.n; i++)
        if (e->groups.v[i].region == region && e->groups.v[i].price_unknown)
            return 0;
    return 1;
}

int sim_cost_known(const SimEngine *e)
{
    for (size_t i = 0; i < e->groups.n; i++)
        if (e->groups.v[i].price_unknown)
            return 0;
    return 1;
}

static void cost_rate_change(SimEngine *e, uint32_t region, double usd_per_hour)
{
    SimRegion *r = &e->regions.v[region];
    cost_settle_region(r, e->now);
    r->cost_rate += usd_per_hour / 3600.0;
}

/* ---- nodes --------------------------------------------------------------- */
static void node_make_ready(SimEngine *e, uint32_t id)
{
    SimNode *n = &e->nodes.v[id];
    n->state = SIM_NODE_READY;
    n->ready_at = n->changed_at = e->now;
    e->regions.v[n->region].ready_nodes++;
    sim_trace_rec(e, SIM_TR_NODE_READY, (SimTrVal[]){SIM_TRI(id)}, 1);
    for (size_t i = 0; i < e->nlisteners; i++)
        if (e->listeners[i].node_ready)
            e->listeners[i].node_ready(e->listeners[i].ctx, e, id);
}

static void on_node_ready(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    if (e->nodes.v[ev->obj].state == SIM_NODE_PROVISIONING)
        node_make_ready(e, ev->obj);
}

/* "<group>-<ordinal>", or the given name, in the engine's memory. */
static char *node_name_dup(SimEngine *e, const SimNodeGroup *g, uint32_t ordinal, const char *name)
{
    char buf[160];
    if (name == NULL) {
        snprintf(buf, sizeof buf, "%s-%u", g->name, ordinal);
        name = buf;
    }
    return sim_mem_strdup(e->mem, name);
}

/* The group's launch -> Ready delay: a draw from its calibrated distribution
 * (stream SIM_RNG_TIMINGS), else its constant. */
static SimTime provision_delay(SimEngine *e, const SimNodeGroup *g)
{
    if (g->provision_dist.family == SIM_DIST_NONE)
        return g->provision_delay;
    return sim_dist_sample(&g->provision_dist, sim_rng(e, SIM_RNG_TIMINGS));
}

int sim_node_add_named(SimEngine *e, uint32_t group, const char *name, uint32_t zone, int ready_now,
                       uint32_t *id)
{
    SIM_DASSERT(group < e->groups.n && (zone == SIM_NONE || zone < e->zones.n));
    SimNodeGroup *g = &e->groups.v[group];
    SimRegion *r = &e->regions.v[g->region];
    char *nm = node_name_dup(e, g, g->next_ordinal, name);
    if (nm == NULL || sim_mem_grow(e->mem, (void **)&r->nodes, &r->capnodes, r->nnodes + 1, sizeof *r->nodes)) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory adding a node");
    }
    uint32_t i = SIM_VEC_PUSH(e, e->nodes);
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory adding a node");
    }
    g = &e->groups.v[group];
    r = &e->regions.v[g->region];
    SimNode *n = &e->nodes.v[i];
    n->name = nm;
    n->group = group;
    n->region = g->region;
    n->ordinal = g->next_ordinal++;
    n->zone = zone != SIM_NONE ? zone : g->nzones ? g->zones[n->ordinal % g->nzones] : SIM_NONE;
    n->alloc = g->alloc;
    n->pods_head = n->ended_head = SIM_NONE;
    n->added_at = n->changed_at = e->now;
    n->ready_at = -1;
    n->state = SIM_NODE_PROVISIONING;
    r->nodes[r->nnodes++] = i;
    r->live_nodes++;
    if (r->live_nodes > r->nodes_peak)
        r->nodes_peak = r->live_nodes;
    cost_settle_group(g, e->now);
    g->live_nodes++;
    res_add(&g->alloc_total, &g->alloc, 1);
    cost_rate_change(e, g->region, g->price_per_hour);   /* billed from launch, as clouds do */
    sim_trace_rec(e, SIM_TR_NODE_ADD,
                  (SimTrVal[]){SIM_TRI(i), SIM_TRI(group), SIM_TRI(n->zone == SIM_NONE ? -1 : (int64_t)n->zone),
                               SIM_TRS(nm)}, 4);
    *id = i;
    e->stats.nodes_added += !ready_now;   /* the starting nodes are not additions */
    int never = g->stockout || (n->zone != SIM_NONE && e->zones.v[n->zone].down);
    SimTime delay = ready_now || never ? g->provision_delay : provision_delay(e, g);
    if (ready_now || (delay == 0 && !never)) {
        node_make_ready(e, i);
        return SIM_OK;
    }
    if (never)
        return SIM_OK;   /* the instance never registers; the autoscaler's deadline notices */
    return sim_schedule(e, e->now + delay, SIM_EV_NODE_READY, i, 0, 0);
}

int sim_node_add(SimEngine *e, uint32_t group, int ready_now, uint32_t *id)
{
    return sim_node_add_named(e, group, NULL, SIM_NONE, ready_now, id);
}

/* ---- pods ---------------------------------------------------------------- */
SimTime sim_spec_termination_grace(const SimPodSpec *sp)
{
    return sp->termination_grace_set ? sp->termination_grace : SIM_DEFAULT_TERMINATION_GRACE;
}

void sim_pod_set_deletion_cost(SimEngine *e, uint32_t pod, int32_t cost)
{
    sim_pod_mut(e, pod)->deletion_cost = cost;
}

void sim_pod_set_unschedulable(SimEngine *e, uint32_t pod, const char *reason)
{
    SimPod *p = sim_pod_mut(e, pod);
    SIM_ASSERT(p->phase == SIM_POD_PENDING);
    if (p->unschedulable)
        return;
    p->unschedulable = 1;
    e->regions.v[p->region].pods_pending++;
    if (++e->stats.pending_now > e->stats.pending_peak)
        e->stats.pending_peak = e->stats.pending_now;
    sim_trace_rec(e, SIM_TR_POD_UNSCHEDULABLE, (SimTrVal[]){SIM_TRI(pod), SIM_TRS(reason)}, 2);
}

/* Leaves the phase counters of the pod's region as if it were in no phase. */
static void phase_leave(SimEngine *e, SimPod *p)
{
    SimRegion *r = &e->regions.v[p->region];
    switch (p->phase) {
    case SIM_POD_PENDING:
        if (p->unschedulable) {
            r->pods_pending--;
            e->stats.pending_now--;
            p->unschedulable = 0;
        }
        break;
    case SIM_POD_BOUND: r->pods_bound--; break;
    case SIM_POD_RUNNING: r->pods_running--; break;
    default: break;
    }
}

int sim_pod_create(SimEngine *e, uint32_t wl, uint32_t *id)
{
    SIM_DASSERT(wl < e->workloads.n);
    SimAdmitted adm;
    int rc = sim_admit_pod(e, wl, &adm);   /* the API server first: a refused pod never exists */
    if (rc != SIM_OK)
        return rc;
    uint32_t i = sim_pods_push(e);
    if (i == SIM_NONE)
        return sim_fail(e, SIM_ENOMEM, "out of memory creating a pod");
    SimWorkload *w = &e->workloads.v[wl];
    SimPod *p = sim_pod_mut(e, i);
    p->wl = wl;
    p->ns = w->ns;
    p->region = w->region;
    p->ordinal = w->next_ordinal++;
    p->node = p->node_prev = p->node_next = SIM_NONE;
    p->target_node = p->nominated_node = p->zone_pin = p->rs = SIM_NONE;
    p->completion_index = -1;
    p->priority = adm.priority;
    p->phase = SIM_POD_PENDING;
    p->req = adm.req;   /* after LimitRange defaults: the node's non-zero defaults follow */
    p->lim_cpu_m = adm.lim_cpu_m;   /* quota gives back what it charged, whatever the template becomes */
    p->lim_mem = adm.lim_mem;
    p->req.pods = 1;
    p->nz_req = sim_nonzero_requests(&p->req);
    p->created_at = e->now;
    p->started_at = p->bound_at = p->ended_at = p->unready_at = -1;   /* not yet */
    p->grace = sim_spec_termination_grace(&w->spec);
    e->stats.pods_created++;
    e->regions.v[p->region].pods_created++;
    sim_quota_charge(e, i, &adm, 1);
    sim_pdb_pod_created(e, i);
    if (e->trace) {   /* the name is formatted for the trace alone */
        char name[160];
        sim_pod_name(e, i, name, sizeof name);
        SimTrVal v[] = {SIM_TRI(i), SIM_TRI(wl), SIM_TRI(w->ns), SIM_TRI(w->region), SIM_TRI(p->req.cpu_m),
                        SIM_TRI(p->req.mem), SIM_TRI(p->req.gpu), SIM_TRS(name)};
        sim_trace_rec(e, SIM_TR_POD_CREATE, v, 8);
    }
    *id = i;
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_created)
            e->listeners[k].pod_created(e->listeners[k].ctx, e, i);
    return SIM_OK;
}

static void node_link(SimEngine *e, uint32_t pod, uint32_t node)
{
    SimNode *n = &e->nodes.v[node];
    SimPod *p = sim_pod_mut(e, pod);
    p->node = node;
    p->node_prev = SIM_NONE;
    p->node_next = n->pods_head;
    if (n->pods_head != SIM_NONE)
        sim_pod_mut(e, n->pods_head)->node_prev = pod;
    n->pods_head = pod;
    res_add(&n->req, &p->req, 1);
    res_add(&n->nz_req, &p->nz_req, 1);
    res_add(&e->groups.v[n->group].req_total, &p->req, 1);
    cost_pod(e, p, n, 1);
}

static void node_unlink(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    SimNode *n = &e->nodes.v[p->node];
    if (p->node_prev != SIM_NONE)
        sim_pod_mut(e, p->node_prev)->node_next = p->node_next;
    else
        n->pods_head = p->node_next;
    if (p->node_next != SIM_NONE)
        sim_pod_mut(e, p->node_next)->node_prev = p->node_prev;
    p->node_prev = p->node_next = SIM_NONE;
    res_add(&n->req, &p->req, -1);
    res_add(&n->nz_req, &p->nz_req, -1);
    res_add(&e->groups.v[n->group].req_total, &p->req, -1);
    cost_pod(e, p, n, -1);
}

/* A pod that ended joins its node's ended list (p->node stays): the object
 * exists until its owner or pod GC deletes it. */
static void ended_link(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    SimNode *n = &e->nodes.v[p->node];
    p->node_prev = SIM_NONE;
    p->node_next = n->ended_head;
    if (n->ended_head != SIM_NONE)
        sim_pod_mut(e, n->ended_head)->node_prev = pod;
    n->ended_head = pod;
}

static void ended_unlink(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    SimNode *n = &e->nodes.v[p->node];
    if (p->node_prev != SIM_NONE)
        sim_pod_mut(e, p->node_prev)->node_next = p->node_next;
    else
        n->ended_head = p->node_next;
    if (p->node_next != SIM_NONE)
        sim_pod_mut(e, p->node_next)->node_prev = p->node_prev;
    p->node_prev = p->node_next = SIM_NONE;
}

int sim_pod_bind(SimEngine *e, uint32_t pod, uint32_t node)
{
    SIM_DASSERT(node < e->nodes.n);
    SimPod *p = sim_pod_mut(e, pod);
    SIM_ASSERT(p->phase == SIM_POD_PENDING);
    SIM_ASSERT(e->nodes.v[node].state == SIM_NODE_READY);
    node_link(e, pod, node);
    phase_leave(e, p);
    p->phase = SIM_POD_BOUND;
    e->regions.v[p->region].pods_bound++;
    p->bound_at = e->now;
    e->stats.pods_scheduled++;
    sim_trace_rec(e, SIM_TR_POD_BIND, (SimTrVal[]){SIM_TRI(pod), SIM_TRI(node)}, 2);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_bound)
            e->listeners[k].pod_bound(e->listeners[k].ctx, e, pod);
    const SimWorkload *w = &e->workloads.v[p->wl];
    SimTime startup = w->startup_dist.family != SIM_DIST_NONE
                          ? sim_dist_sample(&w->startup_dist, sim_rng(e, SIM_RNG_TIMINGS))
                          : w->spec.startup;
    return sim_schedule(e, e->now + startup, SIM_EV_POD_STARTED, pod, p->gen, 0);
}

/* held: the pod stays on its node Terminating, and quota keeps charging it
 * until it is gone (upstream's pod evaluator counts a pod with a
 * deletionTimestamp until deletionTimestamp + grace, which is after any
 * graceful exit here); else quota frees before any controller reacts. */
static void notify_terminated(SimEngine *e, uint32_t pod, int held)
{
    if (!held)
        sim_quota_pod_terminated(e, pod);
    sim_pdb_pod_terminated(e, pod);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_terminated)
            e->listeners[k].pod_terminated(e->listeners[k].ctx, e, pod);
}

static void on_pod_started(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    if (ev->gen != sim_pod(e, ev->obj)->gen || sim_pod(e, ev->obj)->phase != SIM_POD_BOUND)
        return;   /* cancelled: the pod was deleted meanwhile (its record maybe recycled) */
    SimPod *p = sim_pod_mut(e, ev->obj);
    phase_leave(e, p);
    p->phase = SIM_POD_RUNNING;
    e->regions.v[p->region].pods_running++;
    p->started_at = e->now;
    sim_pdb_pod_running(e, ev->obj);
    sim_trace_rec(e, SIM_TR_POD_RUNNING, (SimTrVal[]){SIM_TRI(ev->obj)}, 1);
    SimTime d = e->workloads.v[p->wl].spec.duration;
    if (d == SIM_DURATION_BY_WORK)
        d = e->duration_fn ? e->duration_fn(e->duration_ctx, e, ev->obj) : 0;
    if (d > 0)
        (void)sim_schedule(e, e->now + d, SIM_EV_POD_FINISHED, ev->obj, p->gen, 0);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_running)
            e->listeners[k].pod_running(e->listeners[k].ctx, e, ev->obj);
}

/* A run ends: Succeeded, or Failed for a non-zero exit code. */
static void pod_end(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    node_unlink(e, pod);
    ended_link(e, pod);
    phase_leave(e, p);
    p->phase = p->exit_code == 0 ? SIM_POD_SUCCEEDED : SIM_POD_FAILED;
    p->ended_at = e->now;
    p->gen++;
    sim_trace_rec(e, SIM_TR_POD_END, (SimTrVal[]){SIM_TRI(pod), SIM_TRI(p->exit_code != 0)}, 2);
    notify_terminated(e, pod, 0);
}

static void on_pod_finished(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    const SimPod *p = sim_pod(e, ev->obj);
    if (ev->gen != p->gen || p->phase != SIM_POD_RUNNING)
        return;
    pod_end(e, ev->obj);
}

void sim_pod_set_exit_code(SimEngine *e, uint32_t pod, int32_t exit_code)
{
    sim_pod_mut(e, pod)->exit_code = exit_code;
}

void sim_pod_set_completion_index(SimEngine *e, uint32_t pod, int32_t index)
{
    sim_pod_mut(e, pod)->completion_index = index;
    sim_trace_rec(e, SIM_TR_POD_INDEX, (SimTrVal[]){SIM_TRI(pod), SIM_TRI(index)}, 2);
}

void sim_pod_set_priority(SimEngine *e, uint32_t pod, int32_t priority)
{
    SimPod *p = sim_pod_mut(e, pod);
    SIM_DASSERT(p->phase == SIM_POD_PENDING);
    p->priority = priority;
}

void sim_pod_nominate(SimEngine *e, uint32_t pod, uint32_t node)
{
    SIM_DASSERT(node == SIM_NONE || node < e->nodes.n);
    sim_pod_mut(e, pod)->nominated_node = node;
}

int sim_pod_fail(SimEngine *e, uint32_t pod, int32_t exit_code)
{
    SimPod *p = sim_pod_mut(e, pod);
    if (p->phase != SIM_POD_BOUND && p->phase != SIM_POD_RUNNING)
        return sim_fail(e, SIM_ESTATE, "pod %u is not bound or running", pod);
    p->exit_code = exit_code != 0 ? exit_code : 1;
    pod_end(e, pod);
    return SIM_OK;
}

/* An ended pod's object goes: its count/pods with it. */
static void ended_remove(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    ended_unlink(e, pod);
    p->phase = SIM_POD_DELETED;   /* ended_at stays the end of its run */
    sim_trace_rec(e, SIM_TR_POD_DELETE, (SimTrVal[]){SIM_TRI(pod)}, 1);
    sim_quota_pod_removed(e, pod);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_removed)
            e->listeners[k].pod_removed(e->listeners[k].ctx, e, pod);
    sim_pods_release(e, pod);   /* the record is recycled at the next step */
}

/* The terminating pod leaves its node: it finished, or was killed. */
static void pod_gone(SimEngine *e, uint32_t pod)
{
    SimPod *p = sim_pod_mut(e, pod);
    SIM_ASSERT(p->terminating);
    node_unlink(e, pod);
    p->terminating = 0;
    p->gen++;
    sim_trace_rec(e, SIM_TR_POD_DELETE, (SimTrVal[]){SIM_TRI(pod)}, 1);
    sim_quota_pod_terminated(e, pod);   /* what terminate() kept charged */
    sim_quota_pod_removed(e, pod);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_gone)
            e->listeners[k].pod_gone(e->listeners[k].ctx, e, pod);
    sim_pods_release(e, pod);
}

static void on_pod_gone(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    const SimPod *p = sim_pod(e, ev->obj);
    if (ev->gen == p->gen && p->terminating)
        pod_gone(e, ev->obj);
}

/* How long a Running pod on a Ready node needs after SIGTERM: the longest
 * any listener asks for, capped at its grace period (0: it exits at once). */
static SimTime stop_time(SimEngine *e, uint32_t pod)
{
    const SimPod *p = sim_pod(e, pod);
    if (p->phase != SIM_POD_RUNNING || e->nodes.v[p->node].state != SIM_NODE_READY)
        return 0;   /* an unreachable kubelet runs no shutdown */
    SimTime need = 0;
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_stopping) {
            SimTime t = e->listeners[k].pod_stopping(e->listeners[k].ctx, e, pod);
            need = t > need ? t : need;
        }
    return need < p->grace ? need : p->grace;
}

/* Deleted for the API, still on its node for `left`. */
static int terminate(SimEngine *e, uint32_t pod, SimTime left)
{
    SimPod *p = sim_pod_mut(e, pod);
    phase_leave(e, p);
    p->phase = SIM_POD_DELETED;
    p->terminating = 1;
    p->ended_at = e->now;
    p->gen++;
    sim_trace_rec(e, SIM_TR_POD_TERMINATING, (SimTrVal[]){SIM_TRI(pod), SIM_TRI(e->now + left)}, 2);
    notify_terminated(e, pod, 1);   /* quota: pod_gone gives it back */
    return sim_schedule(e, e->now + left, SIM_EV_POD_GONE, pod, sim_pod_mut(e, pod)->gen, 0);
}

/* graceful: a busy Running pod may take up to its grace period (terminate);
 * else (pod GC of a removed node) everything goes at once, a terminating
 * pod included. */
static int pod_delete(SimEngine *e, uint32_t pod, int graceful)
{
    const SimPod *cp = sim_pod(e, pod);   /* a deleted pod's record may be recycled */
    if (cp->phase == SIM_POD_DELETED) {
        if (cp->terminating && !graceful)
            pod_gone(e, pod);   /* force: pod GC of a deleted node */
        return SIM_OK;
    }
    SimPod *p = sim_pod_mut(e, pod);
    if (p->phase == SIM_POD_SUCCEEDED || p->phase == SIM_POD_FAILED) {
        ended_remove(e, pod);
        return SIM_OK;
    }
    SimTime left = graceful ? stop_time(e, pod) : 0;
    if (left > 0)
        return terminate(e, pod, left);
    if (p->phase != SIM_POD_PENDING)
        node_unlink(e, pod);
    phase_leave(e, p);
    p->phase = SIM_POD_DELETED;
    p->ended_at = e->now;
    p->gen++;
    sim_trace_rec(e, SIM_TR_POD_DELETE, (SimTrVal[]){SIM_TRI(pod)}, 1);
    sim_quota_pod_removed(e, pod);   /* the object goes at once: no terminal record */
    notify_terminated(e, pod, 0);
    sim_pods_release(e, pod);
    return SIM_OK;
}

int sim_pod_delete(SimEngine *e, uint32_t pod)
{
    return pod_delete(e, pod, 1);
}

/* ---- node state changes ------------------------------------------------- */
static void notify_node_changed(SimEngine *e, uint32_t node)
{
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].node_changed)
            e->listeners[k].node_changed(e->listeners[k].ctx, e, node);
}

static void pod_set_ready(SimEngine *e, uint32_t pod, int ready)
{
    SimPod *p = sim_pod_mut(e, pod);
    if (p->unready == !ready)
        return;
    p->unready = (uint8_t)!ready;
    if (p->phase != SIM_POD_RUNNING)
        return;   /* a starting pod becomes Ready (or not) when it starts */
    if (!ready)
        p->unready_at = e->now;   /* the node lifecycle controller's MarkPodsNotReady */
    sim_pdb_pod_ready(e, pod);
    sim_trace_rec(e, SIM_TR_POD_READY, (SimTrVal[]){SIM_TRI(pod), SIM_TRI(ready)}, 2);
    for (size_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].pod_ready)
            e->listeners[k].pod_ready(e->listeners[k].ctx, e, pod);
}

int sim_node_set_ready(SimEngine *e, uint32_t node, int ready)
{
    SimNode *n = sim_node_mut(e, node);
    if (n->state != SIM_NODE_READY && n->state != SIM_NODE_NOT_READY)
        return sim_fail(e, SIM_ESTATE, "node %s is not registered", n->name);
    if ((n->state == SIM_NODE_READY) == !!ready)
        return SIM_OK;
    n->state = ready ? SIM_NODE_READY : SIM_NODE_NOT_READY;
    n->changed_at = e->now;
    SimRegion *r = &e->regions.v[n->region];
    r->ready_nodes = ready ? r->ready_nodes + 1 : r->ready_nodes - 1;
    sim_trace_rec(e, SIM_TR_NODE_STATE, (SimTrVal[]){SIM_TRI(node), SIM_TRI(!!ready)}, 2);
    for (uint32_t p = n->pods_head; p != SIM_NONE; p = sim_pod_mut(e, p)->node_next)
        pod_set_ready(e, p, ready);
    notify_node_changed(e, node);
    return SIM_OK;
}

int sim_node_cordon(SimEngine *e, uint32_t node, int on)
{
    SimNode *n = sim_node_mut(e, node);
    if (n->state == SIM_NODE_REMOVED)
        return sim_fail(e, SIM_ESTATE, "node %s was removed", n->name);
    if (n->unschedulable == !!on)
        return SIM_OK;
    n->unschedulable = (uint8_t)!!on;
    sim_trace_rec(e, SIM_TR_NODE_CORDON, (SimTrVal[]){SIM_TRI(node), SIM_TRI(!!on)}, 2);
    notify_node_changed(e, node);
    return SIM_OK;
}

void sim_node_set_scale_down_disabled(SimEngine *e, uint32_t node, int on)
{
    sim_node_mut(e, node)->scale_down_disabled = (uint8_t)(on != 0);
}

int sim_node_remove(SimEngine *e, uint32_t node)
{
    SimNode *n = sim_node_mut(e, node);
    if (n->state == SIM_NODE_REMOVED)
        return SIM_OK;
    while (n->pods_head != SIM_NONE) {   /* pod GC force-deletes the pods of a deleted node */
        int rc = pod_delete(e, n->pods_head, 0);
        if (rc != SIM_OK)
            return rc;
        n = &e->nodes.v[node];
    }
    while (n->ended_head != SIM_NONE) {   /* ... the ended ones too (gcOrphaned lists every pod) */
        ended_remove(e, n->ended_head);
        n = &e->nodes.v[node];
    }
    SimNodeGroup *g = &e->groups.v[n->group];
    SimRegion *r = &e->regions.v[n->region];
    if (n->state == SIM_NODE_READY)
        r->ready_nodes--;
    n->state = SIM_NODE_REMOVED;
    n->changed_at = e->now;
    r->live_nodes--;
    cost_settle_group(g, e->now);
    g->live_nodes--;
    res_add(&g->alloc_total, &n->alloc, -1);
    cost_rate_change(e, n->region, -g->price_per_hour);
    sim_trace_rec(e, SIM_TR_NODE_REMOVE, (SimTrVal[]){SIM_TRI(node)}, 1);
    notify_node_changed(e, node);
    return SIM_OK;
}

void sim_lifecycle_register(SimEngine *e)
{
    sim_engine_on(e, SIM_EV_POD_STARTED, on_pod_started, NULL);
    sim_engine_on(e, SIM_EV_POD_FINISHED, on_pod_finished, NULL);
    sim_engine_on(e, SIM_EV_NODE_READY, on_node_ready, NULL);
    sim_engine_on(e, SIM_EV_POD_GONE, on_pod_gone, NULL);
}
