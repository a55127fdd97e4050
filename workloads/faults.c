/*
 * faults.c: scripted faults (node crash, zone and region outages, spot
 * interruptions, stockouts) and the node lifecycle controller that turns a
 * crash into upstream's NotReady -> taint -> eviction sequence
 * (k8s-behaviour.md §7; pkg/controller/nodelifecycle, tainteviction).
 *
 * Invariants: a node's `down` counts the faults holding its kubelet down
 * (they may overlap); only a node that is NotReady with down > 0 is tainted;
 * a zone's queue holds the nodes waiting for the NoExecute taint in the order
 * they went NotReady, and `queued` marks a node that has an entry there; a
 * zone's token bucket (burst 1) has its token at next_token.
 *
 * Simplifications (README "Fidelity"), each against upstream:
 * - The controller acts on events, not on its 5 s monitor period: a crashed
 *   node goes NotReady exactly 50 s after the crash, and a region's zone
 *   states are recomputed once after the changes of each instant (nodes that
 *   fail together are seen together, as by one upstream pass). Upstream
 *   taints in a pass every 100 ms; here a pass runs when a token is due.
 * - Only the crash is modelled, not a network partition: the node's Ready
 *   condition becomes Unknown, so its taint is `unreachable` (never
 *   `not-ready`), and the NoSchedule variants are implied by the scheduler
 *   ignoring nodes that are not Ready. Until the grace period ends the node
 *   is Ready to everyone: the scheduler may still bind pods to it and their
 *   containers start, as in upstream's blind window; pods already there keep
 *   their engine timers (a Job pod may still complete).
 * - A recovered node is Ready at once (upstream: its next status post).
 * - A pod deleted by taint eviction is gone at once (its ReplicaSet replaces
 *   it, which is what upstream does with a Terminating pod). StatefulSet pods
 *   are the exception, as upstream (§7.6): they stay Terminating, bound and
 *   not Ready, until their node returns (the kubelet kills them) or is
 *   deleted (pod GC), and only then does the StatefulSet create them anew.
 * - A node still provisioning when its zone goes down registers when its
 *   provisioning ends and crashes at once (NotReady 50 s later); nodes added
 *   while the zone is down never register (the engine's SimZone.down).
 * - A region outage also takes the region's control plane down
 *   (sim_region_set_down): every controller, the scheduler and the autoscaler
 *   of the region wait for it to end. This controller is the exception: it
 *   still marks the region's nodes NotReady (the state its other controllers
 *   find when they return), but with every zone down it evicts nothing.
 * - A spot notice drains like the cloud's termination handler (kubectl drain
 *   --ignore-daemonsets): evictions honour PDBs and refused ones retry every
 *   5 s until the instance is gone 120 s after the notice.
 */
#include "workloads/faults.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/policy.h"
#include "sim/summary.h"
#include "workloads/traffic.h"
#include "workloads/wl_metrics.h"

/* Our events (f->ev): aux is what is due, obj its object. */
enum {
    AUX_START = 0,      /* obj = fault */
    AUX_END,            /* obj = fault */
    AUX_GRACE,          /* obj = node, gen = its NodeSt gen: the grace period is over */
    AUX_PASS,           /* obj = zone slot, gen = its ZoneSt gen: a tainting pass */
    AUX_EVICT,          /* obj = pod, gen = the pod's: its toleration expired */
    AUX_SPOT_GONE,      /* obj = node: the interrupted instance is gone */
    AUX_DRAIN,          /* obj = node: retry the evictions a PDB refused */
    AUX_SPOT_RANDOM,    /* obj = node: a Poisson interruption */
    AUX_MONITOR         /* obj = region: recompute its zones' states (after this instant's changes) */
};

typedef enum ZoneState { Z_NORMAL = 0, Z_PARTIAL, Z_FULL } ZoneState;

typedef struct NodeSt {
    uint32_t down;          /* faults holding its kubelet down */
    uint32_t gen;           /* bumps cancel its grace period */
    uint8_t tainted, queued, notice;
    uint8_t nr;             /* made NotReady by the controller (counted in notready) */
    uint8_t was_down;       /* down_at is set: its kubelet has been down */
    SimTime taint_at, notice_at;
    SimTime down_at, up_at; /* its kubelet's last outage: down, back (-1 while down) */
} NodeSt;

/* One zone (or a region's nodes without a zone): its eviction queue and
 * rate limiter. */
typedef struct ZoneSt {
    uint32_t *q;
    size_t qhead, qn, qcap;   /* waiting: q[qhead, qn) */
    double qps;
    SimTime next_token;
    SimTime pass_at;        /* the pending pass, or -1 */
    uint32_t gen;
    ZoneState state;
    uint32_t region;
    uint32_t outages;       /* active zone or region outages */
    uint32_t ready, notready;   /* registered nodes, counted by zones_update */
} ZoneSt;

typedef struct FaultRec {
    WlFault f;
    char *node;             /* owned copy of f.node */
    uint32_t *nodes;        /* the nodes it crashed (to recover) */
    size_t nnodes, cap;
    uint8_t active;
    SimTime started, ended; /* when it did (summary's faults.list), -1 not yet */
} FaultRec;

struct WlFaults {
    SimEngine *e;
    WlFaultStats stats;
    uint16_t ev;                 /* our event kind: aux is what is due, obj its object */
    WlControllers *c;
    NodeSt *nodes;
    size_t capnodes;
    ZoneSt *zones;          /* the engine's zones, then one no-zone slot per region */
    size_t nslots;
    uint32_t nzones, nregions;
    uint8_t *all_full;      /* per region: every zone fully disrupted, evictions stopped */
    uint8_t *monitor;       /* per region: an AUX_MONITOR is pending */
    uint32_t *notready;     /* per region: NotReady nodes the controller made */
    FaultRec *faults;
    size_t nfaults, capfaults;
    uint32_t *terminating;  /* StatefulSet pods deleted while their node is unreachable */
    size_t nterm, capterm;
};

static const char *const kind_names[] = {"node_crash", "zone_outage", "region_outage", "spot_interruption",
                                         "stockout", NULL};

const char *wl_fault_kind_name(WlFaultKind k)
{
    return (unsigned)k < WL_FAULT_KIND_COUNT ? kind_names[k] : "?";
}

const char *const *wl_fault_kind_names(void)
{
    return kind_names;
}

int wl_fault_kind_parse(const char *name)
{
    for (int i = 0; kind_names[i]; i++)
        if (strcmp(kind_names[i], name) == 0)
            return i;
    return -1;
}

/* ---- small helpers ----------------------------------------------------------- */
static void tr(WlFaults *f, const char *fault, const char *target, const char *detail)
{
    sim_trace_rec(f->e, WL_TR_FAULT, (SimTrVal[]){SIM_TRS(fault), SIM_TRS(target), SIM_TRS(detail)}, 3);
}

static const char *node_name(WlFaults *f, uint32_t node)
{
    return sim_node(f->e, node)->name;
}

static int later(WlFaults *f, SimTime t, uint32_t obj, uint32_t gen, uint32_t aux)
{
    if (t > sim_end(f->e))
        return SIM_OK;   /* after the run: never due */
    return sim_schedule(f->e, t, f->ev, obj, gen, aux);
}

/* Grows the per-node state to every node id (new ones zeroed). */
static int grow_nodes(WlFaults *f)
{
    size_t old = f->capnodes, n = sim_node_count(f->e);
    if (sim_mem_grow(sim_mem(f->e), (void **)&f->nodes, &f->capnodes, n, sizeof *f->nodes) != SIM_OK)
        return sim_fail(f->e, SIM_ENOMEM, "out of memory");
    if (f->capnodes > old)
        memset(f->nodes + old, 0, (f->capnodes - old) * sizeof *f->nodes);
    return SIM_OK;
}

static uint32_t slot_of(WlFaults *f, uint32_t node)
{
    const SimNode *n = sim_node(f->e, node);
    SIM_ASSERT(n->zone == SIM_NONE || n->zone < f->nzones);   /* zones are set-up, added before us */
    return n->zone != SIM_NONE ? n->zone : f->nzones + n->region;
}

static int registered(const SimNode *n)
{
    return n->state == SIM_NODE_READY || n->state == SIM_NODE_NOT_READY;
}

static SimTime token_interval(double qps)
{
    return (SimTime)llround(1e9 / qps);
}

/* ---- taint eviction (tainteviction controller) ------------------------------- */
/* How long the pod tolerates the unreachable NoExecute taint, in seconds; -1
 * forever. DaemonSet pods tolerate it forever (their controller adds the
 * toleration without seconds). A spec with matching tolerations takes the
 * smallest tolerationSeconds among them (upstream getMinTolerationTime), -1
 * when none sets seconds; a spec without one gets what the
 * DefaultTolerationSeconds admission plugin adds, 300 s. */
static int64_t toleration_seconds(SimEngine *e, const SimPod *p)
{
    const SimWorkload *w = sim_workload(e, p->wl);
    if (w->kind == SIM_WL_DAEMONSET)
        return -1;
    SimTaint t = {(char *)WL_TAINT_UNREACHABLE, (char *)"", SIM_TAINT_NO_EXECUTE};
    int64_t min = INT64_MAX;
    int matched = 0;
    for (size_t i = 0; i < w->spec.ntolerations; i++) {
        const SimToleration *tol = &w->spec.tolerations[i];
        if (!sim_tolerates(tol, 1, &t))
            continue;
        matched = 1;
        if (tol->seconds >= 0 && tol->seconds < min)
            min = tol->seconds;
    }
    if (!matched)
        return WL_DEFAULT_TOLERATION_SECONDS;
    return min == INT64_MAX ? -1 : min;
}

static int is_terminating(const WlFaults *f, uint32_t pod)
{
    for (size_t i = 0; i < f->nterm; i++)
        if (f->terminating[i] == pod)
            return 1;
    return 0;
}

static void evict_by_taint(WlFaults *f, uint32_t pod, int64_t tol)
{
    char name[160], detail[96];
    sim_pod_name(f->e, pod, name, sizeof name);
    int sts = sim_workload(f->e, sim_pod(f->e, pod)->wl)->kind == SIM_WL_STATEFULSET;
    snprintf(detail, sizeof detail, "tolerationSeconds=%lld%s", (long long)tol,
             sts ? "; Terminating until its node returns or is deleted" : "");
    f->stats.pods_evicted_by_taint++;
    tr(f, "taint_evict", name, detail);
    if (!sts) {
        (void)sim_pod_delete(f->e, pod);
        return;
    }
    if (sim_mem_grow(sim_mem(f->e), (void **)&f->terminating, &f->capterm, f->nterm + 1,
                     sizeof *f->terminating) != SIM_OK) {
        (void)sim_fail(f->e, SIM_ENOMEM, "out of memory");
        return;
    }
    f->terminating[f->nterm++] = pod;
}

static void on_evict(WlFaults *f, const SimEvent *ev)
{
    const SimPod *p = sim_pod(f->e, ev->obj);
    if (ev->gen != p->gen || (p->phase != SIM_POD_BOUND && p->phase != SIM_POD_RUNNING))
        return;
    const NodeSt *st = &f->nodes[p->node];
    int64_t tol = toleration_seconds(f->e, p);
    if (!st->tainted || tol < 0 || sim_now(f->e) < st->taint_at + SIM_SEC(tol) || is_terminating(f, ev->obj))
        return;   /* untainted meanwhile, or a stale event of an earlier taint */
    evict_by_taint(f, ev->obj, tol);
}

/* Drops the terminating entries whose pod is gone; with node != SIM_NONE
 * also deletes those on that node (its kubelet is back and kills them). */
static void reap_terminating(WlFaults *f, uint32_t node)
{
    size_t k = 0;
    for (size_t i = 0; i < f->nterm; i++) {
        uint32_t pod = f->terminating[i];
        const SimPod *p = sim_pod(f->e, pod);
        if (p->phase != SIM_POD_BOUND && p->phase != SIM_POD_RUNNING)
            continue;
        if (node != SIM_NONE && p->node == node) {
            (void)sim_pod_delete(f->e, pod);
            continue;
        }
        f->terminating[k++] = pod;
    }
    f->nterm = k;
}

static void taint(WlFaults *f, uint32_t node)
{
    NodeSt *st = &f->nodes[node];
    SimTime now = sim_now(f->e);
    st->tainted = 1;
    st->taint_at = now;
    tr(f, "taint", node_name(f, node), WL_TAINT_UNREACHABLE ":NoExecute");
    for (uint32_t pod = sim_node(f->e, node)->pods_head; pod != SIM_NONE; pod = sim_pod(f->e, pod)->node_next) {
        int64_t tol = toleration_seconds(f->e, sim_pod(f->e, pod));
        if (tol >= 0)
            (void)later(f, now + SIM_SEC(tol), pod, sim_pod(f->e, pod)->gen, AUX_EVICT);
    }
}

static void untaint(WlFaults *f, uint32_t node, const char *why)
{
    NodeSt *st = &f->nodes[node];
    if (!st->tainted)
        return;
    st->tainted = 0;
    tr(f, "untaint", node_name(f, node), why);
}

/* ---- per-zone rate limiting (§7.5) ------------------------------------------- */
/* Upstream's SwapLimiter: a new token bucket starts full, unless the old one
 * had no token to give (then the new one starts drained). */
static void swap_limiter(WlFaults *f, ZoneSt *z, double qps)
{
    if (z->qps == qps)
        return;
    SimTime now = sim_now(f->e);
    int had = z->qps > 0 && now >= z->next_token;
    z->qps = qps;
    if (qps > 0)
        z->next_token = had ? now : now + token_interval(qps);
}

/* ComputeZoneState: no Ready node is a full disruption; more than two
 * NotReady nodes at the unhealthy threshold or above a partial one. */
static ZoneState zone_state(const ZoneSt *z)
{
    if (z->ready == 0 && z->notready > 0)
        return Z_FULL;
    if (z->notready > 2 && (double)z->notready / (double)(z->notready + z->ready) >= WL_UNHEALTHY_ZONE_THRESHOLD)
        return Z_PARTIAL;
    return Z_NORMAL;
}

/* setLimiterInZone: a partially disrupted zone slows to the secondary rate,
 * or stops when it is small; a fully disrupted one keeps the normal rate. */
static void set_limiter(WlFaults *f, ZoneSt *z, ZoneState s)
{
    double qps = WL_EVICTION_QPS;
    if (s == Z_PARTIAL)
        qps = z->ready + z->notready > WL_LARGE_CLUSTER_SIZE ? WL_SECONDARY_EVICTION_QPS : 0;
    swap_limiter(f, z, qps);
    z->state = s;
}

static void schedule_pass(WlFaults *f, uint32_t slot)
{
    ZoneSt *z = &f->zones[slot];
    if (z->qhead == z->qn || !(z->qps > 0))
        return;
    SimTime now = sim_now(f->e), want = z->next_token > now ? z->next_token : now;
    if (z->pass_at >= 0 && z->pass_at <= want)
        return;
    z->gen++;
    z->pass_at = want;
    (void)later(f, want, slot, z->gen, AUX_PASS);
}

static void enqueue(WlFaults *f, uint32_t node)
{
    ZoneSt *z = &f->zones[slot_of(f, node)];
    if (z->qhead > 0 && z->qn == z->qcap) {   /* reuse the popped front */
        memmove(z->q, z->q + z->qhead, (z->qn - z->qhead) * sizeof *z->q);
        z->qn -= z->qhead;
        z->qhead = 0;
    }
    if (sim_mem_grow(sim_mem(f->e), (void **)&z->q, &z->qcap, z->qn + 1, sizeof *z->q) != SIM_OK) {
        (void)sim_fail(f->e, SIM_ENOMEM, "out of memory");
        return;
    }
    z->q[z->qn++] = node;
    f->nodes[node].queued = 1;
}

/* A tainting pass: taints the queued nodes the zone's tokens allow. */
static void on_pass(WlFaults *f, const SimEvent *ev)
{
    ZoneSt *z = &f->zones[ev->obj];
    if (ev->gen != z->gen)
        return;
    z->pass_at = -1;
    SimTime now = sim_now(f->e);
    while (z->qhead < z->qn && z->qps > 0 && now >= z->next_token) {
        uint32_t node = z->q[z->qhead++];
        NodeSt *st = &f->nodes[node];
        st->queued = 0;
        if (st->down == 0 || st->tainted || sim_node(f->e, node)->state != SIM_NODE_NOT_READY)
            continue;   /* back, or removed, since it was queued */
        z->next_token = now + token_interval(z->qps);
        taint(f, node);
    }
    if (z->qhead == z->qn)
        z->qhead = z->qn = 0;
    schedule_pass(f, ev->obj);
}

static void count_zones(WlFaults *f, uint32_t region)
{
    for (size_t i = 0; i < f->nslots; i++)
        if (f->zones[i].region == region)
            f->zones[i].ready = f->zones[i].notready = 0;
    const SimRegion *r = sim_region(f->e, region);
    for (size_t i = 0; i < r->nnodes; i++) {
        const SimNode *n = sim_node(f->e, r->nodes[i]);
        ZoneSt *z = &f->zones[slot_of(f, r->nodes[i])];
        z->ready += n->state == SIM_NODE_READY;
        z->notready += n->state == SIM_NODE_NOT_READY;
    }
}

/* Every zone of the region fully disrupted: upstream assumes its own
 * connectivity is at fault, removes the taints from every node and stops
 * evictions (a pending deletion finds its node untainted). */
static void enter_full(WlFaults *f, uint32_t region)
{
    const SimRegion *r = sim_region(f->e, region);
    for (size_t i = 0; i < r->nnodes; i++)
        untaint(f, r->nodes[i], "every zone of the region is fully disrupted: evictions stop");
    for (size_t i = 0; i < f->nslots; i++)
        if (f->zones[i].region == region) {
            swap_limiter(f, &f->zones[i], 0);
            f->zones[i].state = Z_FULL;
        }
}

/* Queues every NotReady node of the region that waits for its taint, and
 * schedules the passes. */
static void requeue(WlFaults *f, uint32_t region)
{
    const SimRegion *r = sim_region(f->e, region);
    for (size_t i = 0; i < r->nnodes; i++) {
        uint32_t node = r->nodes[i];
        const NodeSt *st = &f->nodes[node];
        if (st->down > 0 && !st->tainted && !st->queued && sim_node(f->e, node)->state == SIM_NODE_NOT_READY)
            enqueue(f, node);
    }
    for (size_t i = 0; i < f->nslots; i++)
        if (f->zones[i].region == region)
            schedule_pass(f, (uint32_t)i);
}

/* handleDisruption for one region (each region is its own cluster). */
static void zones_update(WlFaults *f, uint32_t region)
{
    count_zones(f, region);
    int any = 0, all_full = 1;
    for (size_t i = 0; i < f->nslots; i++) {
        const ZoneSt *z = &f->zones[i];
        if (z->region != region || z->ready + z->notready == 0)
            continue;
        any = 1;
        all_full &= zone_state(z) == Z_FULL;
    }
    all_full &= any;
    if (all_full && !f->all_full[region]) {
        enter_full(f, region);
    } else if (!all_full) {
        int exiting = f->all_full[region];
        for (size_t i = 0; i < f->nslots; i++) {
            ZoneSt *z = &f->zones[i];
            ZoneState s = zone_state(z);
            if (z->region == region && (exiting || s != z->state))
                set_limiter(f, z, s);
        }
    }
    f->all_full[region] = (uint8_t)all_full;
    requeue(f, region);
}

/* The monitor pass of a region, once after every change of this instant:
 * nodes that fail together are seen together, as upstream's pass every 5 s
 * sees them, instead of one at a time through transient zone states. */
static void monitor(WlFaults *f, uint32_t region)
{
    if (f->monitor[region])
        return;
    f->monitor[region] = 1;
    (void)later(f, sim_now(f->e), region, 0, AUX_MONITOR);
}

static void on_monitor(WlFaults *f, uint32_t region)
{
    f->monitor[region] = 0;
    zones_update(f, region);
}

/* ---- node crash and recovery ------------------------------------------------- */
static void crash(WlFaults *f, uint32_t node)
{
    NodeSt *st = &f->nodes[node];
    if (st->down == 0) {   /* metrics-server's scrapes of its kubelet fail from now on */
        st->was_down = 1;
        st->down_at = sim_now(f->e);
        st->up_at = -1;
    }
    if (st->down++ > 0 || sim_node(f->e, node)->state != SIM_NODE_READY)
        return;
    (void)later(f, sim_now(f->e) + WL_NODE_MONITOR_GRACE, node, st->gen, AUX_GRACE);
}

/* No heartbeat for the grace period: Ready=Unknown, its pods not Ready. */
static void on_grace(WlFaults *f, const SimEvent *ev)
{
    NodeSt *st = &f->nodes[ev->obj];
    const SimNode *n = sim_node(f->e, ev->obj);
    if (ev->gen != st->gen || st->down == 0 || n->state != SIM_NODE_READY)
        return;
    if (sim_node_set_ready(f->e, ev->obj, 0) != SIM_OK)
        return;
    st->nr = 1;
    f->notready[n->region]++;
    monitor(f, n->region);
}

static void recover(WlFaults *f, uint32_t node)
{
    NodeSt *st = &f->nodes[node];
    if (st->down == 0 || --st->down > 0)
        return;
    st->gen++;
    st->up_at = sim_now(f->e);
    const SimNode *n = sim_node(f->e, node);
    if (n->state != SIM_NODE_NOT_READY)
        return;   /* back within the grace period: nobody noticed */
    untaint(f, node, "node Ready again");
    reap_terminating(f, node);   /* the kubelet kills the pods deleted meanwhile */
    if (sim_node_set_ready(f->e, node, 1) != SIM_OK)
        return;
    st->nr = 0;
    f->notready[n->region]--;
    monitor(f, n->region);
}

/* ---- spot interruptions ------------------------------------------------------ */
/* Evicts the node's pods but DaemonSet pods; 1 if a PDB refused one. */
static int drain(WlFaults *f, uint32_t node)
{
    int refused = 0;
    uint32_t next;
    for (uint32_t pod = sim_node(f->e, node)->pods_head; pod != SIM_NONE; pod = next) {
        next = sim_pod(f->e, pod)->node_next;   /* an eviction unlinks the pod; listeners only schedule */
        if (sim_workload(f->e, sim_pod(f->e, pod)->wl)->kind == SIM_WL_DAEMONSET)
            continue;
        refused |= sim_pod_evict(f->e, pod, "spot-interruption") == SIM_EFORBIDDEN;
    }
    return refused;
}

static void drain_and_retry(WlFaults *f, uint32_t node)
{
    SimTime next = sim_now(f->e) + WL_DRAIN_RETRY;
    if (drain(f, node) && next < f->nodes[node].notice_at + WL_SPOT_NOTICE)
        (void)later(f, next, node, 0, AUX_DRAIN);
}

static void spot_notice(WlFaults *f, uint32_t node, const char *why)
{
    NodeSt *st = &f->nodes[node];
    if (!sim_node_live(sim_node(f->e, node)) || st->notice)
        return;
    st->notice = 1;
    st->notice_at = sim_now(f->e);
    f->stats.spot_interruptions++;
    tr(f, "spot_interruption", node_name(f, node), why);
    (void)sim_node_cordon(f->e, node, 1);
    drain_and_retry(f, node);
    (void)later(f, st->notice_at + WL_SPOT_NOTICE, node, 0, AUX_SPOT_GONE);
}

static void on_spot_gone(WlFaults *f, uint32_t node)
{
    if (!sim_node_live(sim_node(f->e, node)))
        return;
    tr(f, "spot_interruption", node_name(f, node), "instance terminated");
    (void)sim_node_remove(f->e, node);   /* not the autoscaler's: no nodes_removed */
}

static void on_drain(WlFaults *f, uint32_t node)
{
    if (sim_node_live(sim_node(f->e, node)))
        drain_and_retry(f, node);
}

/* A spot node's next random interruption: Poisson at its group's rate. */
static void spot_draw(WlFaults *f, uint32_t node)
{
    const SimNodeGroup *g = sim_nodegroup(f->e, sim_node(f->e, node)->group);
    if (!g->spot || !(g->spot_interruptions_per_hour > 0))
        return;
    double s = sim_rng_exp(sim_rng(f->e, SIM_RNG_FAULTS), 3600.0 / g->spot_interruptions_per_hour);
    SimTime now = sim_now(f->e);
    if (s < (double)(sim_end(f->e) - now) / (double)SIM_NS_PER_S)
        (void)later(f, now + (SimTime)(s * (double)SIM_NS_PER_S), node, 0, AUX_SPOT_RANDOM);
}

static void on_spot_random(WlFaults *f, uint32_t node)
{
    if (!sim_node_live(sim_node(f->e, node)) || f->nodes[node].notice)
        return;
    f->stats.injected++;
    spot_notice(f, node, "notice (random, spot_interruptions_per_hour)");
}

/* ---- faults ------------------------------------------------------------------- */
static void fault_keep(WlFaults *f, FaultRec *r, uint32_t node)
{
    if (sim_mem_grow(sim_mem(f->e), (void **)&r->nodes, &r->cap, r->nnodes + 1, sizeof *r->nodes) != SIM_OK) {
        (void)sim_fail(f->e, SIM_ENOMEM, "out of memory");
        return;
    }
    r->nodes[r->nnodes++] = node;
}

static void crash_kept(WlFaults *f, FaultRec *r, uint32_t node)
{
    crash(f, node);
    fault_keep(f, r, node);
}

static uint32_t find_node(WlFaults *f, const char *name)
{
    for (uint32_t i = sim_node_count(f->e); i-- > 0;)
        if (sim_node_live(sim_node(f->e, i)) && strcmp(sim_node(f->e, i)->name, name) == 0)
            return i;
    return SIM_NONE;
}

static int candidate(WlFaults *f, const FaultRec *r, uint32_t node)
{
    const SimNode *n = sim_node(f->e, node);
    if (n->group != r->f.group || n->state != SIM_NODE_READY)
        return 0;
    return r->f.kind == WL_FAULT_SPOT_INTERRUPTION ? !f->nodes[node].notice : f->nodes[node].down == 0;
}

/* The fault's targets: its named node, or `count` Ready nodes of its group
 * drawn without replacement (SIM_RNG_FAULTS). *n is how many. Owned by the
 * caller (sim_mem, cap entries). */
static uint32_t *targets(WlFaults *f, const FaultRec *r, size_t *n, size_t *cap)
{
    const SimRegion *rg = sim_region(f->e, sim_nodegroup(f->e, r->f.group)->region);
    *cap = rg->nnodes + 1;
    uint32_t *v = sim_mem_alloc(sim_mem(f->e), *cap * sizeof *v);
    *n = 0;
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < rg->nnodes; i++)
        if (candidate(f, r, rg->nodes[i]))
            v[(*n)++] = rg->nodes[i];
    size_t want = r->f.count > 0 ? (size_t)r->f.count : 1;
    SimRng *rng = sim_rng(f->e, SIM_RNG_FAULTS);
    for (size_t i = 0; i < want && i < *n; i++) {
        size_t j = i + (size_t)sim_rng_below(rng, *n - i);
        uint32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    if (want < *n)
        *n = want;
    return v;
}

static void hit_node(WlFaults *f, FaultRec *r, uint32_t node)
{
    const SimNode *n = sim_node(f->e, node);
    if (r->f.kind == WL_FAULT_SPOT_INTERRUPTION) {
        spot_notice(f, node, "notice (scripted)");
    } else if (!registered(n)) {
        tr(f, "node_crash", n->name, "skipped: the node is not registered");
    } else {
        tr(f, "node_crash", n->name, "start");
        crash_kept(f, r, node);
    }
}

static void start_nodes(WlFaults *f, FaultRec *r)
{
    if (r->node) {
        uint32_t node = find_node(f, r->node);
        if (node == SIM_NONE)
            tr(f, wl_fault_kind_name(r->f.kind), r->node, "skipped: no such node");
        else
            hit_node(f, r, node);
        return;
    }
    size_t n, cap;
    uint32_t *v = targets(f, r, &n, &cap);
    if (v == NULL) {
        (void)sim_fail(f->e, SIM_ENOMEM, "out of memory");
        return;
    }
    if ((int32_t)n < (r->f.count > 0 ? r->f.count : 1))
        tr(f, wl_fault_kind_name(r->f.kind), sim_nodegroup(f->e, r->f.group)->name,
           "fewer Ready nodes in the group than count");
    for (size_t i = 0; i < n; i++)
        hit_node(f, r, v[i]);
    sim_mem_free(sim_mem(f->e), v, cap * sizeof *v);
}

/* Every registered node of the zone slot crashes; later ones as they register. */
static void slot_down(WlFaults *f, FaultRec *r, uint32_t slot)
{
    ZoneSt *z = &f->zones[slot];
    if (slot < f->nzones)
        sim_zone_set_down(f->e, slot, 1);
    z->outages++;
    const SimRegion *rg = sim_region(f->e, z->region);
    for (size_t i = 0; i < rg->nnodes; i++)
        if (slot_of(f, rg->nodes[i]) == slot && registered(sim_node(f->e, rg->nodes[i])))
            crash_kept(f, r, rg->nodes[i]);
}

static void slot_up(WlFaults *f, uint32_t slot)
{
    ZoneSt *z = &f->zones[slot];
    if (z->outages > 0 && --z->outages == 0 && slot < f->nzones)
        sim_zone_set_down(f->e, slot, 0);
}

/* The region outages active on the region: only they count on its no-zone
 * slot (a zone outage names a zone). */
static uint32_t region_outages(const WlFaults *f, uint32_t region)
{
    return f->zones[f->nzones + region].outages;
}

static void region_slots(WlFaults *f, FaultRec *r, int down)
{
    for (uint32_t i = 0; i < f->nslots; i++)
        if (f->zones[i].region == r->f.region) {
            if (down)
                slot_down(f, r, i);
            else
                slot_up(f, i);
        }
}

static void fault_start(WlFaults *f, uint32_t idx)
{
    FaultRec *r = &f->faults[idx];
    r->active = 1;
    r->started = sim_now(f->e);
    f->stats.injected++;
    switch (r->f.kind) {
    case WL_FAULT_NODE_CRASH:
    case WL_FAULT_SPOT_INTERRUPTION: start_nodes(f, r); break;
    case WL_FAULT_ZONE_OUTAGE:
        tr(f, "zone_outage", sim_zone(f->e, r->f.zone)->name, "start");
        slot_down(f, r, r->f.zone);
        break;
    case WL_FAULT_REGION_OUTAGE:
        tr(f, "region_outage", sim_region(f->e, r->f.region)->name, "start");
        sim_region_set_down(f->e, r->f.region, 1);   /* its control plane goes with it: nothing there acts */
        region_slots(f, r, 1);
        wl_traffic_region_health(f->c, r->f.region, 0);   /* serving traffic fails over now */
        break;
    case WL_FAULT_STOCKOUT:
        tr(f, "stockout", sim_nodegroup(f->e, r->f.group)->name, "start");
        sim_nodegroup_set_stockout(f->e, r->f.group, 1);
        break;
    default: break;
    }
    if (r->f.duration > 0 && r->f.kind != WL_FAULT_SPOT_INTERRUPTION)
        (void)later(f, sim_now(f->e) + r->f.duration, idx, 0, AUX_END);
}

static void recover_kept(WlFaults *f, FaultRec *r, const char *what)
{
    for (size_t i = 0; i < r->nnodes; i++) {
        if (what)
            tr(f, what, node_name(f, r->nodes[i]), "end");
        recover(f, r->nodes[i]);
    }
    r->nnodes = 0;
}

static void fault_end(WlFaults *f, uint32_t idx)
{
    FaultRec *r = &f->faults[idx];
    r->active = 0;
    r->ended = sim_now(f->e);
    switch (r->f.kind) {
    case WL_FAULT_NODE_CRASH: recover_kept(f, r, "node_crash"); break;
    case WL_FAULT_ZONE_OUTAGE:
        tr(f, "zone_outage", sim_zone(f->e, r->f.zone)->name, "end");
        slot_up(f, r->f.zone);
        recover_kept(f, r, NULL);
        break;
    case WL_FAULT_REGION_OUTAGE:
        tr(f, "region_outage", sim_region(f->e, r->f.region)->name, "end");
        region_slots(f, r, 0);
        recover_kept(f, r, NULL);
        /* the controllers resume (their syncs are events after this one, so
         * they see the nodes back) */
        sim_region_set_down(f->e, r->f.region, region_outages(f, r->f.region) > 0);
        wl_traffic_region_health(f->c, r->f.region, 1);
        break;
    case WL_FAULT_STOCKOUT:
        tr(f, "stockout", sim_nodegroup(f->e, r->f.group)->name, "end");
        sim_nodegroup_set_stockout(f->e, r->f.group, 0);
        break;
    default: break;
    }
}

/* The latest active outage covering the zone slot, or NULL. */
static FaultRec *outage_of(WlFaults *f, uint32_t slot)
{
    for (size_t i = f->nfaults; i-- > 0;) {
        FaultRec *r = &f->faults[i];
        if (!r->active)
            continue;
        if ((r->f.kind == WL_FAULT_ZONE_OUTAGE && r->f.zone == slot) ||
            (r->f.kind == WL_FAULT_REGION_OUTAGE && r->f.region == f->zones[slot].region))
            return r;
    }
    return NULL;
}

/* ---- the engine's side ---------------------------------------------------------- */
static void on_event(void *ctx, SimEngine *e, const SimEvent *ev)
{
    WlFaults *f = ctx;
    (void)e;
    if (grow_nodes(f) != SIM_OK)
        return;
    switch (ev->aux) {
    case AUX_START: fault_start(f, ev->obj); break;
    case AUX_END: fault_end(f, ev->obj); break;
    case AUX_GRACE: on_grace(f, ev); break;
    case AUX_PASS: on_pass(f, ev); break;
    case AUX_EVICT: on_evict(f, ev); break;
    case AUX_SPOT_GONE: on_spot_gone(f, ev->obj); break;
    case AUX_DRAIN: on_drain(f, ev->obj); break;
    case AUX_SPOT_RANDOM: on_spot_random(f, ev->obj); break;
    case AUX_MONITOR: on_monitor(f, ev->obj); break;
    default: SIM_ASSERT(0);
    }
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    WlFaults *f = ctx;
    (void)e;
    if (grow_nodes(f) != SIM_OK)
        return;
    spot_draw(f, node);
    uint32_t slot = slot_of(f, node);
    FaultRec *r = f->zones[slot].outages ? outage_of(f, slot) : NULL;
    if (r)
        crash_kept(f, r, node);   /* its zone is down: it never posts a heartbeat */
    uint32_t region = sim_node(f->e, node)->region;
    if (f->notready[region] > 0 || f->all_full[region])
        monitor(f, region);   /* one more Ready node may end a disruption */
}

static void on_node_changed(void *ctx, SimEngine *e, uint32_t node)
{
    WlFaults *f = ctx;
    const SimNode *n = sim_node(e, node);
    if (n->state != SIM_NODE_REMOVED || grow_nodes(f) != SIM_OK)
        return;
    NodeSt *st = &f->nodes[node];
    if (st->nr)
        f->notready[n->region]--;
    st->down = 0;
    st->tainted = st->nr = 0;
    st->gen++;
    reap_terminating(f, SIM_NONE);   /* pod GC deleted them with the node */
    if (f->notready[n->region] > 0 || f->all_full[n->region])
        monitor(f, n->region);
}

static int setup_zones(WlFaults *f)
{
    SimMem *m = sim_mem(f->e);
    f->nzones = sim_zone_count(f->e);
    f->nregions = sim_region_count(f->e);
    f->nslots = (size_t)f->nzones + f->nregions;
    f->zones = sim_mem_calloc(m, f->nslots ? f->nslots : 1, sizeof *f->zones);
    f->all_full = sim_mem_calloc(m, f->nregions ? f->nregions : 1, 1);
    f->monitor = sim_mem_calloc(m, f->nregions ? f->nregions : 1, 1);
    f->notready = sim_mem_calloc(m, f->nregions ? f->nregions : 1, sizeof *f->notready);
    if (f->zones == NULL || f->all_full == NULL || f->monitor == NULL || f->notready == NULL)
        return SIM_ENOMEM;
    for (uint32_t i = 0; i < f->nslots; i++) {
        ZoneSt *z = &f->zones[i];
        z->region = i < f->nzones ? sim_zone(f->e, i)->region : i - f->nzones;
        z->qps = WL_EVICTION_QPS;
        z->pass_at = -1;
    }
    return SIM_OK;
}

static const SimTrKindDef trace_kinds[] = {
    {WL_TR_FAULT, "fault", "sss", {"fault", "target", "detail"}},
};

int wl_fault_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, trace_kinds, 1);
}

const WlFaultStats *wl_fault_stats(const WlFaults *f)
{
    return &f->stats;
}

/* What a fault hit, by name: its node, zone, region or node group. */
static const char *target_name(SimEngine *e, const FaultRec *r)
{
    switch (r->f.kind) {
    case WL_FAULT_ZONE_OUTAGE: return sim_zone(e, r->f.zone)->name;
    case WL_FAULT_REGION_OUTAGE: return sim_region(e, r->f.region)->name;
    default: break;
    }
    if (r->f.node)
        return r->f.node;
    return r->f.group < sim_nodegroup_count(e) ? sim_nodegroup(e, r->f.group)->name : "";
}

static cJSON *fault_json(SimEngine *e, const FaultRec *r)
{
    cJSON *o = cJSON_CreateObject();
    double ns = (double)SIM_NS_PER_S;
    int ok = o && cJSON_AddStringToObject(o, "kind", wl_fault_kind_name(r->f.kind)) &&
             cJSON_AddStringToObject(o, "target", target_name(e, r)) &&
             cJSON_AddNumberToObject(o, "start_seconds", (double)r->started / ns) &&
             (r->ended >= 0 ? cJSON_AddNumberToObject(o, "end_seconds", (double)r->ended / ns) != NULL
                            : cJSON_AddNullToObject(o, "end_seconds") != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* faults.list: every fault that started, in the order the scenario gave
 * them, with when it started and ended (null: it lasted to the end), so a
 * report can mark them on its time charts. Absent when none started, so a
 * run without faults has the summary it always had. */
static int fault_list(const WlFaults *f, SimEngine *e, cJSON *faults)
{
    size_t started = 0;
    for (size_t i = 0; i < f->nfaults; i++)
        started += f->faults[i].started >= 0;
    if (started == 0)
        return SIM_OK;
    cJSON *list = cJSON_CreateArray();
    if (list == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < f->nfaults; i++) {
        if (f->faults[i].started < 0)
            continue;
        cJSON *one = fault_json(e, &f->faults[i]);
        if (one == NULL || !cJSON_AddItemToArray(list, one)) {
            cJSON_Delete(one);
            cJSON_Delete(list);
            return SIM_ENOMEM;
        }
    }
    return sim_summary_add_item(faults, "list", list);
}

static int summary(void *ctx, SimEngine *e, cJSON *o)
{
    const WlFaults *f = ctx;
    SimSummaryNum n[] = {{"injected", (double)f->stats.injected},
                         {"pods_evicted_by_taint", (double)f->stats.pods_evicted_by_taint},
                         {"spot_interruptions", (double)f->stats.spot_interruptions}};
    int rc = sim_summary_add_counts(o, "faults", n, 3);
    if (rc == SIM_OK)
        rc = fault_list(f, e, cJSON_GetObjectItemCaseSensitive(o, "faults"));
    return rc;
}

/* The kubelet outages metrics-server sees (wl_metrics.h): a crash to its recovery. */
static void kubelet_outage(void *ctx, SimEngine *e, uint32_t node, WlKubeletOutage *out)
{
    const WlFaults *f = ctx;
    (void)e;
    out->down = out->up = -1;
    if (node < f->capnodes && f->nodes[node].was_down) {
        out->down = f->nodes[node].down_at;
        out->up = f->nodes[node].up_at;
    }
}

WlFaults *wl_fault_create(SimEngine *e, WlControllers *c)
{
    if (sim_trace_register(e, "faults", wl_fault_trace_kinds) != SIM_OK)
        return NULL;
    WlFaults *f = sim_mem_calloc(sim_mem(e), 1, sizeof *f);
    if (f == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    f->e = e;
    f->c = c;
    SimListener l = {.ctx = f, .node_ready = on_node_ready, .node_changed = on_node_changed};
    if (setup_zones(f) != SIM_OK || grow_nodes(f) != SIM_OK || sim_engine_listen(e, &l) != SIM_OK ||
        sim_event_kind(e, "fault", on_event, f, &f->ev) != SIM_OK ||
        sim_summary_section(e, WL_FAULT_SUMMARY_RANK, summary, f) != SIM_OK) {
        wl_fault_destroy(f);
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    if (c)
        (void)wl_kubelet_source(c, kubelet_outage, f);
    for (uint32_t i = 0; i < sim_node_count(e); i++)
        if (sim_node(e, i)->state == SIM_NODE_READY)
            spot_draw(f, i);
    return f;
}

void wl_fault_destroy(WlFaults *f)
{
    if (f == NULL)
        return;
    if (f->c)
        (void)wl_kubelet_source(f->c, NULL, NULL);   /* the controllers outlive us */
    SimMem *m = sim_mem(f->e);
    for (size_t i = 0; i < f->nfaults; i++) {
        sim_mem_strfree(m, f->faults[i].node);
        sim_mem_free(m, f->faults[i].nodes, f->faults[i].cap * sizeof(uint32_t));
    }
    sim_mem_free(m, f->faults, f->capfaults * sizeof *f->faults);
    for (size_t i = 0; f->zones && i < f->nslots; i++)
        sim_mem_free(m, f->zones[i].q, f->zones[i].qcap * sizeof(uint32_t));
    sim_mem_free(m, f->zones, (f->nslots ? f->nslots : 1) * sizeof *f->zones);
    sim_mem_free(m, f->all_full, f->nregions ? f->nregions : 1);
    sim_mem_free(m, f->monitor, f->nregions ? f->nregions : 1);
    sim_mem_free(m, f->notready, (f->nregions ? f->nregions : 1) * sizeof *f->notready);
    sim_mem_free(m, f->nodes, f->capnodes * sizeof *f->nodes);
    sim_mem_free(m, f->terminating, f->capterm * sizeof *f->terminating);
    sim_mem_free(m, f, sizeof *f);
}

static int check_fault(WlFaults *f, const WlFault *ft)
{
    SimEngine *e = f->e;
    if ((unsigned)ft->kind >= WL_FAULT_KIND_COUNT || ft->at < sim_now(e) || ft->duration < 0)
        return sim_fail(e, SIM_EINVAL, "fault: bad kind, time or duration");
    int by_node = ft->kind == WL_FAULT_NODE_CRASH || ft->kind == WL_FAULT_SPOT_INTERRUPTION;
    if (by_node && ft->node == NULL && ft->group >= sim_nodegroup_count(e))
        return sim_fail(e, SIM_EINVAL, "fault %s: needs a node or a node group", wl_fault_kind_name(ft->kind));
    if (ft->kind == WL_FAULT_STOCKOUT && ft->group >= sim_nodegroup_count(e))
        return sim_fail(e, SIM_EINVAL, "fault stockout: needs a node group");
    if (ft->kind == WL_FAULT_ZONE_OUTAGE && ft->zone >= f->nzones)
        return sim_fail(e, SIM_EINVAL, "fault zone_outage: needs a zone");
    if (ft->kind == WL_FAULT_REGION_OUTAGE && ft->region >= f->nregions)
        return sim_fail(e, SIM_EINVAL, "fault region_outage: needs a region");
    return SIM_OK;
}

int wl_fault_add(WlFaults *f, const WlFault *ft)
{
    int rc = check_fault(f, ft);
    if (rc != SIM_OK)
        return rc;
    SimMem *m = sim_mem(f->e);
    if (sim_mem_grow(m, (void **)&f->faults, &f->capfaults, f->nfaults + 1, sizeof *f->faults) != SIM_OK)
        return sim_fail(f->e, SIM_ENOMEM, "out of memory");
    FaultRec *r = &f->faults[f->nfaults];
    memset(r, 0, sizeof *r);
    r->f = *ft;
    r->started = r->ended = -1;
    if (ft->node && (r->node = sim_mem_strdup(m, ft->node)) == NULL)
        return sim_fail(f->e, SIM_ENOMEM, "out of memory");
    r->f.node = r->node;
    f->nfaults++;
    if (ft->at > sim_end(f->e))
        return SIM_OK;
    return sim_schedule(f->e, ft->at, f->ev, (uint32_t)(f->nfaults - 1), 0, AUX_START);
}

void wl_fault_node_health(const WlFaults *f, uint32_t node, WlNodeHealth *out)
{
    memset(out, 0, sizeof *out);
    out->tainted_at = -1;
    if (node >= f->capnodes)
        return;
    const NodeSt *st = &f->nodes[node];
    out->crashed = st->down > 0;
    out->tainted = st->tainted;
    out->tainted_at = st->tainted ? st->taint_at : -1;
    out->notice = st->notice;
}

double wl_fault_zone_rate(const WlFaults *f, uint32_t zone)
{
    return zone < f->nslots ? f->zones[zone].qps : 0;
}
