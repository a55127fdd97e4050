/*
 * ca.c: the cluster autoscaler's main loop (k8s-behaviour.md §2.1; upstream
 * core/static_autoscaler.go RunOnce): per region, every scan interval from one
 * scan interval after the start (the first loop, as upstream's, is at 10 s), plan
 * (ca_up.c, ca_down.c), then act on exactly that plan: grow the chosen group,
 * or update the unneeded timers and delete or drain nodes. Also the
 * provisioning deadline with the group backoff, and the listeners that keep
 * the region's change generation. While a region outage holds the region's
 * control plane down (sim_region_up) its loop and deadlines wait, looked at
 * again every scan interval, with the state they had.
 *
 * Invariant: the loop acts only on the plan sched_ca_plan would return at the
 * same instant; a loop in which nothing changed (same generation, pending,
 * live and Ready counts, no timer due, no drain running) does O(1) work.
 *
 * Simplifications (README "Fidelity"), with upstream's behaviour:
 *   - The loop does not halt on unready nodes (upstream stops when more
 *     than 3 nodes and 45 % are unready) and has no new-pod-scale-up-delay.
 *   - The drain deletes pods at once through the Eviction API (upstream also
 *     waits up to max-graceful-termination-sec for them to terminate); the
 *     taint ToBeDeletedByClusterAutoscaler:NoSchedule is modelled by
 *     cordoning the node, which keeps new pods off it the same way.
 *   - NotReady nodes are removed after scale-down-unready-time without the
 *     utilisation and pod checks (their pods are unready already), in the
 *     same bulk as empty nodes.
 *   - A group's backoff starts at 5 min and doubles (to 30 min) while its
 *     provisioning keeps failing; one of its nodes becoming Ready resets it
 *     (upstream also forgets it after a quiet period).
 */
#include "scheduler/ca_int.h"

#include <string.h>

#include "sim/policy.h"
#include "sim/summary.h"

static const char *const EXPANDER_NAMES[SCHED_CA_EXPANDER_COUNT] = {
    "least-waste", "price", "priority", "most-pods", "least-nodes", "random"};

void sched_ca_config_default(SchedCaConfig *c)
{
    memset(c, 0, sizeof *c);
    c->enabled = 1;
    c->scan_interval = SIM_SEC(10);
    c->expanders[0] = SCHED_CA_LEAST_WASTE;
    c->nexpanders = 1;
    c->max_nodes_total = 0;
    c->max_nodes_per_scaleup = 1000;
    c->max_node_provision_time = SIM_SEC(15 * 60);
    c->initial_backoff = SIM_SEC(5 * 60);
    c->max_backoff = SIM_SEC(30 * 60);
    c->expendable_pods_priority_cutoff = -10;
    c->scale_down_enabled = 1;
    c->scale_down_utilization_threshold = 0.5;
    c->scale_down_gpu_utilization_threshold = 0.5;
    c->scale_down_unneeded_time = SIM_SEC(10 * 60);
    c->scale_down_unready_time = SIM_SEC(20 * 60);
    c->scale_down_delay_after_add = SIM_SEC(10 * 60);
    c->scale_down_delay_after_delete = 0;
    c->scale_down_delay_after_failure = SIM_SEC(3 * 60);
    c->max_empty_bulk_delete = 10;
    c->scale_down_non_empty_candidates_count = 30;
    c->scale_down_candidates_pool_ratio = 0.1;
    c->scale_down_candidates_pool_min_count = 50;
    c->max_pod_eviction_time = SIM_SEC(2 * 60);
    c->unremovable_node_recheck_timeout = SIM_SEC(5 * 60);
}

const char *sched_ca_expander_name(SchedCaExpander x)
{
    return (unsigned)x < SCHED_CA_EXPANDER_COUNT ? EXPANDER_NAMES[x] : "unknown";
}

int sched_ca_expander_parse(const char *name)
{
    for (int i = 0; name && i < SCHED_CA_EXPANDER_COUNT; i++)
        if (strcmp(name, EXPANDER_NAMES[i]) == 0)
            return i;
    return -1;
}

/* ---- state ------------------------------------------------------------------- */
int ca_grow(SchedCa *ca, void **pp, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap && *pp != NULL)
        return SIM_OK;
    return sim_mem_grow(ca->m, pp, cap, need ? need : 1, sz);
}

/* Grows the array *pp of *cap elements of size sz to hold index i, each new
 * element a copy of *init; 0, or -1 on out of memory. */
static int grow_to(SimMem *m, void **pp, size_t *cap, size_t i, size_t sz, const void *init)
{
    size_t old = *cap;
    if (i < old)
        return 0;
    if (sim_mem_grow(m, pp, cap, i + 1, sz))
        return -1;
    for (size_t k = old; k < *cap; k++)
        memcpy((char *)*pp + k * sz, init, sz);
    return 0;
}

CaRegion *ca_region(SchedCa *ca, uint32_t region)
{
    static const CaRegion fresh = {.last_up = -1, .last_fail = -1, .last_delete = -1, .draining = SIM_NONE,
                                   .next_due = SIM_TIME_MAX};
    return grow_to(ca->m, (void **)&ca->rg, &ca->nrg, region, sizeof *ca->rg, &fresh) ? NULL : &ca->rg[region];
}

CaNodeState *ca_node(SchedCa *ca, uint32_t node)
{
    static const CaNodeState fresh = {.since = -1, .recheck_until = 0, .ca_added = 0};
    return grow_to(ca->m, (void **)&ca->ns, &ca->capns, node, sizeof *ca->ns, &fresh) ? NULL : &ca->ns[node];
}

CaGroupState *ca_group(SchedCa *ca, uint32_t group)
{
    static const CaGroupState fresh;
    return grow_to(ca->m, (void **)&ca->gs, &ca->capgs, group, sizeof *ca->gs, &fresh) ? NULL : &ca->gs[group];
}

int ca_is_daemonset(SimEngine *e, const SimPod *p)
{
    return p->target_node != SIM_NONE || sim_workload(e, p->wl)->kind == SIM_WL_DAEMONSET;
}

static void bump(SchedCa *ca, uint32_t region);

int ca_node_scale_down_disabled(const SchedCa *ca, const SimNode *n)
{
    return n->scale_down_disabled || (n->group < ca->capgs && ca->gs[n->group].scale_down_disabled);
}

int ca_scale_down_disabled(SchedCa *ca, uint32_t node)
{
    return ca_node_scale_down_disabled(ca, sim_node(ca->e, node));
}

void sched_ca_set_scale_down_disabled(SchedCa *ca, uint32_t group, int on)
{
    CaGroupState *gs = ca_group(ca, group);
    if (gs == NULL) {
        sim_fail(ca->e, SIM_ENOMEM, "out of memory");
        return;
    }
    gs->scale_down_disabled = (uint8_t)(on != 0);
    bump(ca, sim_nodegroup(ca->e, group)->region);
}

static void bump(SchedCa *ca, uint32_t region)
{
    CaRegion *rs = ca_region(ca, region);
    if (rs) {
        rs->gen++;
        rs->down_gen++;
        rs->down_glob++;
    } else {
        sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    }
}

/* A change of one node (its state, or a pod bound to it, leaving it): the
 * drain simulations that read it are not reused (ca_down.c). */
static void bump_node(SchedCa *ca, uint32_t node)
{
    CaRegion *rs = ca_region(ca, sim_node(ca->e, node)->region);
    CaNodeState *ns = ca_node(ca, node);
    if (rs == NULL || ns == NULL) {
        sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
        return;
    }
    rs->gen++;
    ns->chg = ++rs->down_gen;
}

/* A pod's change: its node's, or the region's when it has none. */
static void bump_pod(SchedCa *ca, uint32_t pod)
{
    const SimPod *p = sim_pod(ca->e, pod);
    if (p->node != SIM_NONE)
        bump_node(ca, p->node);
    else
        bump(ca, p->region);
}

/* A change of the plan that no drain simulation reads: a pod that became
 * Running or Ready (the filters count a bound pod whatever its phase; the
 * PDBs' budgets, which readiness moves, are compared directly, ca_down.c). */
static void bump_plan(SchedCa *ca, uint32_t region)
{
    CaRegion *rs = ca_region(ca, region);
    if (rs)
        rs->gen++;
    else
        sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
}

/* ---- listeners: what may change a plan bumps the region's generation -------- */
static void pending_add(SchedCa *ca, uint32_t pod)
{
    const SimPod *p = sim_pod(ca->e, pod);
    CaRegion *rs = ca_region(ca, p->region);
    if (rs == NULL || CA_GROW(ca, rs->pending, rs->cappending, rs->npending + 1)) {
        sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
        return;
    }
    rs->pending[rs->npending++] = pod;
    rs->gen++;
}

static void on_pod_created(void *ctx, SimEngine *e, uint32_t pod)
{
    if (sim_pod(e, pod)->phase == SIM_POD_PENDING && sim_pod(e, pod)->target_node == SIM_NONE)
        pending_add(ctx, pod);
    else
        bump_pod(ctx, pod);
}

static void on_pod(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)e;
    bump_pod(ctx, pod);
}

static void on_pod_phase(void *ctx, SimEngine *e, uint32_t pod)
{
    bump_plan(ctx, sim_pod(e, pod)->region);
}

static void on_node_ready(void *ctx, SimEngine *e, uint32_t node)
{
    SchedCa *ca = ctx;
    CaGroupState *gs = ca_group(ca, sim_node(e, node)->group);
    if (gs)
        gs->backoff_dur = 0;   /* provisioning works again */
    bump_node(ca, node);
}

static void on_node_changed(void *ctx, SimEngine *e, uint32_t node)
{
    SchedCa *ca = ctx;
    CaNodeState *ns = ca_node(ca, node);
    /* unneeded is judged anew from its next loop; a loop that did not run
     * while the region was down saw no change (it resumes with its timers) */
    if (ns && sim_region_up(e, sim_node(e, node)->region))
        ns->since = -1;
    bump_node(ca, node);
}

/* ---- provisioning deadline and backoff ------------------------------------------ */
static void backoff(SchedCa *ca, uint32_t group)
{
    CaGroupState *gs = ca_group(ca, group);
    SimTime now = sim_now(ca->e);
    if (gs == NULL || gs->backoff_at == now)   /* nodes of one scale-up failing together */
        return;
    SimTime d = gs->backoff_dur ? gs->backoff_dur * 2 : ca->cfg.initial_backoff;
    gs->backoff_dur = d > ca->cfg.max_backoff ? ca->cfg.max_backoff : d;
    gs->backoff_at = now;
    gs->backoff_until = now + gs->backoff_dur;
    sim_trace_rec(ca->e, SCHED_TR_CA_BACKOFF,
                  (SimTrVal[]){SIM_TRI(group), SIM_TRI(gs->backoff_until), SIM_TRS("provisioning failed")}, 3);
}

/* A node the autoscaler added is not Ready after max-node-provision-time:
 * it is removed and its group backed off (upstream: the unregistered node is
 * deleted and the scale-up counted as failed). */
static void deadline(SchedCa *ca, uint32_t node)
{
    const SimNode *n = sim_node(ca->e, node);
    if (n->state != SIM_NODE_PROVISIONING)
        return;
    uint32_t group = n->group, region = n->region;
    if (sim_node_remove(ca->e, node) != SIM_OK)
        return;
    ca->nodes_removed++;
    backoff(ca, group);
    bump(ca, region);
}

static int scale_up(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p)
{
    const SchedCaOption *o = &p->options[p->chosen];
    SimTime now = sim_now(ca->e);
    for (int32_t i = 0; i < p->delta; i++) {
        uint32_t id;
        int rc = sim_node_add(ca->e, o->group, 0, &id);
        CaNodeState *ns = rc == SIM_OK ? ca_node(ca, id) : NULL;
        if (ns == NULL)
            return rc == SIM_OK ? sim_fail(ca->e, SIM_ENOMEM, "out of memory") : rc;
        ns->ca_added = 1;
        rc = sim_schedule(ca->e, now + ca->cfg.max_node_provision_time, ca->ev, id, 0, CA_EV_DEADLINE);
        if (rc != SIM_OK)
            return rc;
    }
    sim_trace_rec(ca->e, SCHED_TR_CA_SCALE_UP,
                  (SimTrVal[]){SIM_TRI(p->region), SIM_TRI(o->group), SIM_TRI(p->delta), SIM_TRI(o->pods)}, 4);
    rs->last_up = now;
    rs->nscaleups++;
    rs->gen++;
    return SIM_OK;
}

/* ---- the plan ------------------------------------------------------------------ */
static CaKey key_now(SchedCa *ca, uint32_t region, const CaRegion *rs)
{
    const SimRegion *r = sim_region(ca->e, region);
    return (CaKey){rs->gen, r->pods_pending, r->live_nodes, r->ready_nodes};
}

static int key_eq(const CaKey *a, const CaKey *b)
{
    return a->gen == b->gen && a->pending == b->pending && a->live == b->live && a->ready == b->ready;
}

static int cache_valid(SchedCa *ca, uint32_t region, CaRegion *rs)
{
    CaKey k = key_now(ca, region, rs);
    return rs->cached && key_eq(&k, &rs->key) && sim_now(ca->e) < rs->flip_at;
}

/* The first instant a backoff of the region's groups ends (verdicts flip). */
static SimTime backoff_flip(SchedCa *ca, uint32_t region)
{
    SimTime now = sim_now(ca->e), t = SIM_TIME_MAX;
    for (size_t g = 0; g < ca->capgs; g++)
        if (ca->gs[g].backoff_until > now && ca->gs[g].backoff_until < t &&
            sim_nodegroup(ca->e, (uint32_t)g)->region == region)
            t = ca->gs[g].backoff_until;
    return t;
}

/* Computes (or reuses) the region's plan into rs->plan. */
static int plan_region(SchedCa *ca, uint32_t region, CaRegion **out)
{
    CaRegion *rs = ca_region(ca, region);
    if (rs == NULL)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    *out = rs;
    if (cache_valid(ca, region, rs))
        return SIM_OK;
    rs->cached = rs->acted = 0;
    memset(&rs->plan, 0, sizeof rs->plan);
    rs->plan.region = region;
    rs->flip_at = backoff_flip(ca, region);
    int rc = ca_plan_up(ca, rs, &rs->plan);
    if (rc == SIM_OK && rs->plan.chosen < 0)
        rc = ca_plan_down(ca, rs, &rs->plan);
    if (rc != SIM_OK)
        return rc;
    rs->key = key_now(ca, region, rs);
    rs->cached = 1;
    return SIM_OK;
}

int sched_ca_plan(SchedCa *ca, uint32_t region, SchedCaPlan *out)
{
    memset(out, 0, sizeof *out);
    out->region = region;
    out->chosen = -1;
    CaRegion *rs;
    int rc = plan_region(ca, region, &rs);
    if (rc != SIM_OK)
        return rc;
    const SchedCaPlan *p = &rs->plan;
    *out = *p;
    out->options = NULL;
    out->nodes = NULL;
    out->noptions = out->nnodes = 0;
    if (p->noptions && (out->options = sim_mem_alloc(ca->m, p->noptions * sizeof *p->options)) == NULL)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory");
    out->noptions = p->noptions;
    if (p->noptions)
        memcpy(out->options, p->options, p->noptions * sizeof *p->options);
    if (p->nnodes && (out->nodes = sim_mem_alloc(ca->m, p->nnodes * sizeof *p->nodes)) == NULL) {
        sched_ca_plan_free(ca, out);
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory");
    }
    out->nnodes = p->nnodes;
    if (p->nnodes)
        memcpy(out->nodes, p->nodes, p->nnodes * sizeof *p->nodes);
    return SIM_OK;
}

void sched_ca_plan_free(SchedCa *ca, SchedCaPlan *p)
{
    sim_mem_free(ca->m, p->options, p->noptions * sizeof *p->options);
    sim_mem_free(ca->m, p->nodes, p->nnodes * sizeof *p->nodes);
    p->options = NULL;
    p->nodes = NULL;
    p->noptions = p->nnodes = 0;
}

/* ---- the loop ------------------------------------------------------------------ */
int sched_ca_loop(SchedCa *ca, uint32_t region)
{
    if (!ca->cfg.enabled)
        return SIM_OK;
    CaRegion *rs = ca_region(ca, region);
    if (rs == NULL)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    SimTime now = sim_now(ca->e);
    if (ca->watch)
        ca->watch(ca->watch_ctx, ca, region);
    int rc = ca_drain_step(ca, rs);   /* a drain decided earlier goes on */
    if (rc != SIM_OK)
        return rc;
    if (rs->draining == SIM_NONE && now < rs->next_due && rs->acted && cache_valid(ca, region, rs) &&
        rs->plan.chosen < 0) {
        rs->loops++;   /* nothing changed: the last loop's decisions stand */
        return SIM_OK;
    }
    int fresh = !cache_valid(ca, region, rs);   /* ca->cls are this plan's */
    rc = plan_region(ca, region, &rs);
    if (rc == SIM_OK && fresh && rs->plan.chosen >= 0)
        ca_trace_decision(ca, &rs->plan);
    if (rc == SIM_OK && fresh)
        rc = ca_trace_no_scale_up(ca, rs, &rs->plan);
    if (rc == SIM_OK)
        rc = rs->plan.chosen >= 0 ? scale_up(ca, rs, &rs->plan) : ca_scale_down(ca, rs, &rs->plan);
    rs->acted = 1;
    rs->loops++;
    return rc;
}

static void on_event(void *ctx, SimEngine *e, const SimEvent *ev)
{
    SchedCa *ca = ctx;
    uint32_t region = ev->aux == CA_EV_DEADLINE ? sim_node(e, ev->obj)->region : ev->obj;
    if (!sim_region_up(e, region)) {   /* a region outage: the autoscaler is down, looked at again next scan */
        SimTime next = sim_now(e) + ca->cfg.scan_interval;
        if (next <= sim_end(e))
            sim_schedule(e, next, ca->ev, ev->obj, 0, ev->aux);
        return;
    }
    if (ev->aux == CA_EV_DEADLINE) {
        deadline(ca, ev->obj);
        return;
    }
    if (sched_ca_loop(ca, ev->obj) != SIM_OK)
        return;   /* the error is on the engine */
    SimTime next = sim_now(e) + ca->cfg.scan_interval;
    if (next <= sim_end(e))
        sim_schedule(e, next, ca->ev, ev->obj, 0, CA_EV_LOOP);
}

/* ---- lifetime ------------------------------------------------------------------ */
/* Pods already Pending when the autoscaler starts (tests create pods first). */
static int backfill(SchedCa *ca)
{
    uint32_t n = sim_pod_count(ca->e);
    for (uint32_t i = 0; i < n; i++) {
        const SimPod *p = sim_pod(ca->e, i);
        if (p->phase == SIM_POD_PENDING && p->target_node == SIM_NONE)
            pending_add(ca, i);
    }
    return sim_mem(ca->e)->oom ? SIM_ENOMEM : SIM_OK;
}

static int start(SchedCa *ca)
{
    SimListener l = {.ctx = ca, .pod_created = on_pod_created, .pod_bound = on_pod, .pod_terminated = on_pod,
                     .pod_running = on_pod_phase, .node_ready = on_node_ready, .node_changed = on_node_changed,
                     .pod_ready = on_pod_phase, .pod_gone = on_pod};
    uint32_t nr = sim_region_count(ca->e);
    if (nr && ca_region(ca, nr - 1) == NULL)
        return SIM_ENOMEM;
    if (backfill(ca) != SIM_OK || sim_engine_listen(ca->e, &l) != SIM_OK)
        return SIM_ENOMEM;
    if (!ca->cfg.enabled)
        return SIM_OK;   /* plans only (explain, tests): no loop, no handler */
    if (sim_event_kind(ca->e, "autoscaler", on_event, ca, &ca->ev) != SIM_OK)
        return SIM_ENOMEM;
    /* Upstream's main loop waits one scan interval before its first RunOnce
     * (time.After(scanInterval)), so the loops run at start + k x interval. */
    SimTime first = sim_now(ca->e) + ca->cfg.scan_interval;
    for (uint32_t r = 0; r < nr; r++)
        if (sim_schedule(ca->e, first, ca->ev, r, 0, CA_EV_LOOP) != SIM_OK)
            return SIM_ENOMEM;
    return SIM_OK;
}

static const SimTrKindDef trace_kinds[] = {
    {SCHED_TR_CA_SCALE_UP, "ca_scale_up", "iiii", {"region", "group", "delta", "pods"}},
    {SCHED_TR_CA_SCALE_DOWN, "ca_scale_down", "is", {"node", "reason"}},
    {SCHED_TR_CA_BACKOFF, "ca_backoff", "iis", {"group", "until_ns", "reason"}},
    {SCHED_TR_CA_DECISION, "ca_decision", "iiiiss", {"region", "group", "delta", "pods", "expander", "rejected"}},
    {SCHED_TR_CA_NO_SCALE_UP, "ca_no_scale_up", "is", {"pod", "reason"}},
};

int sched_ca_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, trace_kinds, sizeof trace_kinds / sizeof trace_kinds[0]);
}

void sched_ca_down_stats(const SchedCa *ca, uint64_t *reused, uint64_t *run)
{
    *reused = ca->sims_reused;
    *run = ca->sims_run;
}

uint64_t sched_ca_nodes_removed(const SchedCa *ca)
{
    return ca->nodes_removed;
}

/* autoscaler: nodes the run added after the start (the engine counts them:
 * provisioning is the engine's) and nodes this autoscaler removed. */
static int summary(void *ctx, SimEngine *e, cJSON *o)
{
    const SchedCa *ca = ctx;
    SimSummaryNum n[] = {{"nodes_added", (double)sim_stats(e)->nodes_added},
                         {"nodes_removed", (double)ca->nodes_removed}};
    return sim_summary_add_counts(o, "autoscaler", n, 2);
}

SchedCa *sched_ca_create(SchedScheduler *s, const SchedCaConfig *cfg)
{
    SimEngine *e = sched_engine(s);
    if (sim_trace_register(e, "autoscaler", sched_ca_trace_kinds) != SIM_OK)
        return NULL;
    SchedCa *ca = sim_mem_calloc(sim_mem(e), 1, sizeof *ca);
    if (ca == NULL) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    ca->s = s;
    ca->e = e;
    ca->m = sim_mem(e);
    ca->cfg = *cfg;
    if (ca->cfg.nexpanders == 0 || ca->cfg.nexpanders > SCHED_CA_MAX_EXPANDERS) {
        ca->cfg.nexpanders = 1;
        ca->cfg.expanders[0] = SCHED_CA_LEAST_WASTE;
    }
    if (start(ca) != SIM_OK) {
        sim_fail(e, SIM_ENOMEM, "out of memory");
        sched_ca_destroy(ca);
        return NULL;
    }
    if (sim_summary_section(e, SCHED_CA_SUMMARY_RANK, summary, ca) != SIM_OK) {
        sched_ca_destroy(ca);
        return NULL;
    }
    return ca;
}

#define FREE_ARR(ca, p, cap) sim_mem_free((ca)->m, (p), (cap) * sizeof *(p))

void sched_ca_destroy(SchedCa *ca)
{
    if (ca == NULL)
        return;
    for (size_t i = 0; i < ca->nrg; i++) {
        FREE_ARR(ca, ca->rg[i].pending, ca->rg[i].cappending);
        FREE_ARR(ca, ca->rg[i].plan_opts, ca->rg[i].capopt);
        FREE_ARR(ca, ca->rg[i].plan_nodes, ca->rg[i].capnodes);
        FREE_ARR(ca, ca->rg[i].sims, ca->rg[i].capsims);
        FREE_ARR(ca, ca->rg[i].sims_pdb, ca->rg[i].capsimspdb);
        FREE_ARR(ca, ca->rg[i].reads, ca->rg[i].capreads);
    }
    FREE_ARR(ca, ca->rg, ca->nrg);
    FREE_ARR(ca, ca->gs, ca->capgs);
    FREE_ARR(ca, ca->ns, ca->capns);
    FREE_ARR(ca, ca->cls, ca->capcls);
    FREE_ARR(ca, ca->why_crc, ca->capwhy);
    FREE_ARR(ca, ca->why_text, ca->capwhytext);
    FREE_ARR(ca, ca->why_done, ca->capwhydone);
    FREE_ARR(ca, ca->order, ca->caporder);
    FREE_ARR(ca, ca->wl_slot, ca->capwl);
    FREE_ARR(ca, ca->wl_stamp, ca->capstamp);
    FREE_ARR(ca, ca->tl, ca->captl);
    FREE_ARR(ca, ca->ds, ca->capds);
    FREE_ARR(ca, ca->upcoming, ca->capup);
    FREE_ARR(ca, ca->sums, ca->capsums);
    FREE_ARR(ca, ca->live, ca->caplive);
    FREE_ARR(ca, ca->bins, ca->capbins);
    FREE_ARR(ca, ca->free, ca->capfree);
    FREE_ARR(ca, ca->gone, ca->capgone);
    FREE_ARR(ca, ca->fstamp, ca->capfstamp);
    FREE_ARR(ca, ca->rmark, ca->caprmark);
    FREE_ARR(ca, ca->hint, ca->caphint);
    FREE_ARR(ca, ca->noplace, ca->capnoplace);
    FREE_ARR(ca, ca->pdb_left, ca->cappdb);
    FREE_ARR(ca, ca->group_left, ca->capgl);
    FREE_ARR(ca, ca->undo, ca->capundo);
    FREE_ARR(ca, ca->pdbs, ca->cappdbs);
    sim_mem_free(ca->m, ca, sizeof *ca);
}

void sched_ca_watch(SchedCa *ca, SchedCaWatchFn fn, void *ctx)
{
    ca->watch = fn;
    ca->watch_ctx = ctx;
}

const SchedCaPlan *sched_ca_last_plan(const SchedCa *ca, uint32_t region)
{
    return region < ca->nrg && ca->rg[region].acted ? &ca->rg[region].plan : NULL;
}

SimEngine *sched_ca_engine(const SchedCa *ca)
{
    return ca->e;
}

const SchedCaConfig *sched_ca_config(const SchedCa *ca)
{
    return &ca->cfg;
}
