/*
 * check.c: sim_check, the model's invariants recomputed from the objects
 * (Lua's lua_checkmemory, SQLite's integrity check). Every counter the
 * engine keeps incrementally is recounted here the slow way:
 *   - a live node's req and nz_req are the sums over the pods of its list,
 *     which holds exactly the Bound, Running and terminating pods whose node
 *     it is (only a Deleted pod may be terminating); its ended list holds
 *     exactly the Succeeded and Failed pods that ran there (a removed node's
 *     is empty: pod GC deleted them);
 *   - a group's live_nodes, alloc_total and req_total, a region's node and
 *     pod phase counts and stats pending_now follow from the nodes and pods;
 *   - a quota's used is the sum over its live pods (count/pods: over its
 *     pods that exist, ended ones included; count/jobs.batch: its admitted
 *     Jobs);
 *   - a PDB's live and healthy counts are its covered pods';
 *   - the name indexes map each name to the object carrying it;
 *   - pods_created is the pod count, pods_scheduled the pods ever bound.
 * It allocates nothing and changes nothing but the message (so it can run
 * after every event of an out-of-memory sweep). With KUBESIM_CHECK the
 * engine runs it from sim_step (sim_check_step, below).
 */
#include "sim/sim_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The message buffer is not model state: sim_check reports on a const
 * engine as sim_errmsg reads one. */
static int broken(const SimEngine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int broken(const SimEngine *e, const char *fmt, ...)
{
    char *msg = ((SimEngine *)e)->errmsg;
    int n = snprintf(msg, SIM_ERRMSG_LEN, "invariant broken: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, SIM_ERRMSG_LEN - (size_t)n, fmt, ap);
    va_end(ap);
    return SIM_ESTATE;
}

static int res_eq(const SimRes *a, const SimRes *b)
{
    return a->cpu_m == b->cpu_m && a->mem == b->mem && a->gpu == b->gpu && a->pods == b->pods;
}

static void res_add(SimRes *a, const SimRes *b)
{
    a->cpu_m += b->cpu_m;
    a->mem += b->mem;
    a->gpu += b->gpu;
    a->pods += b->pods;
}

/* A terminating pod (phase Deleted) holds its node until it is gone. */
static int on_node(const SimPod *p)
{
    return p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING || p->terminating;
}

static int pod_live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

static int pod_ended(const SimPod *p)
{
    return p->phase == SIM_POD_SUCCEEDED || p->phase == SIM_POD_FAILED;
}

/* The node's ended list links back and holds only pods that ended there;
 * *n gets its length. */
static int check_ended(const SimEngine *e, uint32_t id, size_t *n)
{
    const SimNode *nd = &e->nodes.v[id];
    uint32_t prev = SIM_NONE;
    *n = 0;
    for (uint32_t q = nd->ended_head; q != SIM_NONE; q = sim_pod(e, q)->node_next) {
        if (q >= e->pods.n || *n > e->pods.n)
            return broken(e, "node %s: ended list runs out of bounds or loops", nd->name);
        const SimPod *p = sim_pod(e, q);
        if (p->node != id || !pod_ended(p) || p->node_prev != prev)
            return broken(e, "node %s: pod %u in its ended list did not end there (node %u, phase %d) or "
                          "links back wrong", nd->name, q, p->node, (int)p->phase);
        prev = q;
        ++*n;
    }
    if (nd->state == SIM_NODE_REMOVED && *n)
        return broken(e, "node %s: removed with %zu ended pods left (pod GC deletes them)", nd->name, *n);
    return SIM_OK;
}

/* ---- nodes and their pod lists ------------------------------------------ */
/* One node: its list links back, holds only its Bound/Running pods, and its
 * totals are their sums. *npods gets the list's length, *nended its ended
 * list's. */
static int check_node(const SimEngine *e, uint32_t id, size_t *npods, size_t *nended)
{
    const SimNode *n = &e->nodes.v[id];
    SimRes req = {0}, nz = {0};
    uint32_t prev = SIM_NONE;
    *npods = 0;
    if (n->group >= e->groups.n || n->region != e->groups.v[n->group].region)
        return broken(e, "node %s: group %u or region %u wrong", n->name, n->group, n->region);
    for (uint32_t q = n->pods_head; q != SIM_NONE; q = sim_pod(e, q)->node_next) {
        if (q >= e->pods.n || *npods > e->pods.n)
            return broken(e, "node %s: pod list runs out of bounds or loops", n->name);
        const SimPod *p = sim_pod(e, q);
        if (p->node != id || !on_node(p) || p->node_prev != prev)
            return broken(e, "node %s: pod %u in its list is not bound there (node %u, phase %d) or "
                          "links back wrong", n->name, q, p->node, (int)p->phase);
        res_add(&req, &p->req);
        res_add(&nz, &p->nz_req);
        prev = q;
        ++*npods;
    }
    if (n->state == SIM_NODE_REMOVED && *npods)
        return broken(e, "node %s: removed with %zu pods bound", n->name, *npods);
    int rc = check_ended(e, id, nended);
    if (rc != SIM_OK)
        return rc;
    if (!res_eq(&req, &n->req))
        return broken(e, "node %s: req cpu %lld mem %lld gpu %lld pods %lld, its pods sum to %lld %lld %lld %lld",
                      n->name, (long long)n->req.cpu_m, (long long)n->req.mem, (long long)n->req.gpu,
                      (long long)n->req.pods, (long long)req.cpu_m, (long long)req.mem, (long long)req.gpu,
                      (long long)req.pods);
    if (!res_eq(&nz, &n->nz_req))
        return broken(e, "node %s: nz_req cpu %lld mem %lld, its pods sum to %lld %lld", n->name,
                      (long long)n->nz_req.cpu_m, (long long)n->nz_req.mem, (long long)nz.cpu_m,
                      (long long)nz.mem);
    return SIM_OK;
}

/* Every node, then every pod bound somewhere is in some list: with the
 * lists holding only their own bound pods, equal counts mean each bound pod
 * is in its node's list (and each ended pod in its node's ended list). */
static int check_nodes(const SimEngine *e)
{
    size_t listed = 0, bound = 0, k, x, listed_ended = 0, ended = 0;
    for (uint32_t i = 0; i < e->nodes.n; i++) {
        int rc = check_node(e, i, &k, &x);
        if (rc != SIM_OK)
            return rc;
        listed += k;
        listed_ended += x;
    }
    for (uint32_t i = 0; i < e->pods.n; i++)
        ended += pod_ended(sim_pod(e, i));
    if (listed_ended != ended)
        return broken(e, "node ended lists hold %zu pods, %zu pods ended and exist", listed_ended, ended);
    for (uint32_t i = 0; i < e->pods.n; i++) {
        const SimPod *p = sim_pod(e, i);
        if (!on_node(p))
            continue;
        if (p->node >= e->nodes.n || e->nodes.v[p->node].state == SIM_NODE_REMOVED)
            return broken(e, "pod %u: bound to node %u, which is not live", i, p->node);
        bound++;
    }
    if (listed != bound)
        return broken(e, "node pod lists hold %zu pods, %zu pods are bound", listed, bound);
    return SIM_OK;
}

/* ---- groups and regions --------------------------------------------------- */
static int check_group(const SimEngine *e, uint32_t gid)
{
    const SimNodeGroup *g = &e->groups.v[gid];
    SimRes alloc = {0}, req = {0};
    uint32_t live = 0;
    for (uint32_t i = 0; i < e->nodes.n; i++) {
        const SimNode *n = &e->nodes.v[i];
        if (n->group != gid || n->state == SIM_NODE_REMOVED)
            continue;
        live++;
        res_add(&alloc, &n->alloc);
        res_add(&req, &n->req);
    }
    if (live != g->live_nodes)
        return broken(e, "node group %s: live_nodes %u, %u nodes are live", g->name, g->live_nodes, live);
    if (!res_eq(&alloc, &g->alloc_total))
        return broken(e, "node group %s: alloc_total cpu %lld, its live nodes sum to %lld", g->name,
                      (long long)g->alloc_total.cpu_m, (long long)alloc.cpu_m);
    if (!res_eq(&req, &g->req_total))
        return broken(e, "node group %s: req_total cpu %lld mem %lld, its nodes sum to %lld %lld", g->name,
                      (long long)g->req_total.cpu_m, (long long)g->req_total.mem, (long long)req.cpu_m,
                      (long long)req.mem);
    return SIM_OK;
}

static int check_region_nodes(const SimEngine *e, uint32_t rid)
{
    const SimRegion *r = &e->regions.v[rid];
    uint32_t live = 0, ready = 0;
    for (size_t k = 0; k < r->nnodes; k++) {
        uint32_t i = r->nodes[k];
        if (i >= e->nodes.n || e->nodes.v[i].region != rid)
            return broken(e, "region %s: node list names node %u of another region", r->name, i);
        live += e->nodes.v[i].state != SIM_NODE_REMOVED;
        ready += e->nodes.v[i].state == SIM_NODE_READY;
    }
    if (live != r->live_nodes || ready != r->ready_nodes)
        return broken(e, "region %s: live_nodes %u ready_nodes %u, its nodes say %u and %u", r->name,
                      r->live_nodes, r->ready_nodes, live, ready);
    return SIM_OK;
}

static int check_region_pods(const SimEngine *e, uint32_t rid, uint32_t *pending)
{
    const SimRegion *r = &e->regions.v[rid];
    uint32_t pend = 0, bound = 0, running = 0;
    for (size_t i = 0; i < e->pods.n; i++) {
        const SimPod *p = sim_pod(e, (uint32_t)i);
        if (p->region != rid)
            continue;
        if (p->unschedulable && p->phase != SIM_POD_PENDING)
            return broken(e, "pod %zu: unschedulable in phase %d", i, (int)p->phase);
        if (p->terminating && p->phase != SIM_POD_DELETED)
            return broken(e, "pod %zu: terminating in phase %d", i, (int)p->phase);
        pend += p->unschedulable;
        bound += p->phase == SIM_POD_BOUND;
        running += p->phase == SIM_POD_RUNNING;
    }
    if (pend != r->pods_pending || bound != r->pods_bound || running != r->pods_running)
        return broken(e, "region %s: pods pending %u bound %u running %u, its pods say %u %u %u", r->name,
                      r->pods_pending, r->pods_bound, r->pods_running, pend, bound, running);
    *pending += pend;
    return SIM_OK;
}

static int check_places(const SimEngine *e)
{
    uint32_t pending = 0;
    for (uint32_t g = 0; g < e->groups.n; g++) {
        int rc = check_group(e, g);
        if (rc != SIM_OK)
            return rc;
    }
    for (uint32_t r = 0; r < e->regions.n; r++) {
        int rc = check_region_nodes(e, r);
        if (rc == SIM_OK)
            rc = check_region_pods(e, r, &pending);
        if (rc != SIM_OK)
            return rc;
    }
    if (pending != e->stats.pending_now)
        return broken(e, "stats pending_now %u, %u pods are unschedulable", e->stats.pending_now, pending);
    return SIM_OK;
}

/* ---- policy objects --------------------------------------------------------- */
static int check_pdbs(const SimEngine *e)
{
    for (size_t d = 0; d < e->pdbs.n; d++) {
        const SimPdbEntry *x = &e->pdbs.v[d];
        int32_t live = 0, healthy = 0;
        for (size_t i = 0; i < e->pods.n; i++) {
            const SimPod *p = sim_pod(e, (uint32_t)i);
            if (!pod_live(p) || !sim_pdb_covers(e, (uint32_t)d, (uint32_t)i))
                continue;
            live++;
            healthy += p->phase == SIM_POD_RUNNING && !p->unready;
        }
        if (live != x->live || healthy != x->healthy)
            return broken(e, "pdb %s: live %d healthy %d, its pods say %d and %d", x->pdb.name, x->live,
                          x->healthy, live, healthy);
    }
    return SIM_OK;
}

static int check_quotas(const SimEngine *e)
{
    for (uint32_t q = 0; q < e->quotas.n; q++) {
        int64_t used[SIM_QR_COUNT];
        sim_quota_recount(e, q, used);
        for (int r = 0; r < SIM_QR_COUNT; r++)
            if ((e->quotas.v[q].hard_set & (1u << r)) && used[r] != e->quotas.v[q].used[r])
                return broken(e, "quota %s: used %s %lld, its pods sum to %lld", e->quotas.v[q].name,
                              sim_quota_res_name((SimQuotaRes)r), (long long)e->quotas.v[q].used[r],
                              (long long)used[r]);
    }
    return SIM_OK;
}

/* ---- indexes and counters ------------------------------------------------------ */
static int check_index(const SimEngine *e, const SimNameIdx *x, const char *what, size_t count,
                       const char *(*name_of)(const SimEngine *, uint32_t),
                       uint32_t (*scope_of)(const SimEngine *, uint32_t))
{
    if (x->n != count)
        return broken(e, "%s name index holds %zu names for %zu objects", what, x->n, count);
    for (uint32_t i = 0; i < count; i++) {
        const char *nm = name_of(e, i);
        uint32_t got = sim_nameidx_get(x, scope_of(e, i), nm);
        if (got != i)
            return broken(e, "%s name index: '%s' finds id %u, not %u", what, nm, got, i);
    }
    return SIM_OK;
}

static const char *group_name(const SimEngine *e, uint32_t i) { return e->groups.v[i].name; }
static const char *workload_name(const SimEngine *e, uint32_t i) { return e->workloads.v[i].name; }
static uint32_t no_scope(const SimEngine *e, uint32_t i) { (void)e, (void)i; return 0; }
static uint32_t workload_scope(const SimEngine *e, uint32_t i)
{
    return SIM_WL_SCOPE(e->workloads.v[i].ns, e->workloads.v[i].kind);
}

/* Every workload's bare name finds it, or SIM_AMBIGUOUS when it shares it. */
static int check_bare(const SimEngine *e)
{
    for (uint32_t i = 0; i < e->workloads.n; i++) {
        uint32_t got = sim_nameidx_get(&e->workload_bare, 0, e->workloads.v[i].name);
        if (got != i && got != SIM_AMBIGUOUS)
            return broken(e, "workload bare name index: '%s' finds id %u, not %u", e->workloads.v[i].name, got, i);
    }
    return SIM_OK;
}

static int check_counters(const SimEngine *e)
{
    uint64_t bound = 0;
    int64_t live = 0, wl_live = 0;
    for (size_t i = 0; i < e->pods.n; i++) {
        if (!sim_pod_held(e, (uint32_t)i))
            continue;   /* recycled: counted in pods.bound_recycled */
        const SimPod *p = sim_pod(e, (uint32_t)i);
        if (p->wl >= e->workloads.n)
            return broken(e, "pod %zu: workload %u out of range", i, p->wl);
        bound += p->bound_at >= 0;
        live += pod_live(p);
    }
    for (size_t w = 0; w < e->workloads.n; w++)
        wl_live += e->workloads.v[w].live_pods;
    if (e->stats.pods_created != e->pods.n)
        return broken(e, "stats pods_created %llu, %zu pods exist", (unsigned long long)e->stats.pods_created,
                      e->pods.n);
    bound += e->pods.bound_recycled;
    if (e->stats.pods_scheduled != bound)
        return broken(e, "stats pods_scheduled %llu, %llu pods were bound",
                      (unsigned long long)e->stats.pods_scheduled, (unsigned long long)bound);
    if (wl_live != live)
        return broken(e, "workloads' live_pods sum to %lld, %lld pods are live", (long long)wl_live,
                      (long long)live);
    return SIM_OK;
}

int sim_check(const SimEngine *e)
{
    int rc = check_nodes(e);
    if (rc == SIM_OK)
        rc = check_places(e);
    if (rc == SIM_OK)
        rc = check_pdbs(e);
    if (rc == SIM_OK)
        rc = check_quotas(e);
    if (rc == SIM_OK)
        rc = check_index(e, &e->group_names, "node group", e->groups.n, group_name, no_scope);
    if (rc == SIM_OK)
        rc = check_index(e, &e->workload_names, "workload", e->workloads.n, workload_name, workload_scope);
    if (rc == SIM_OK)
        rc = check_bare(e);
    if (rc == SIM_OK)
        rc = check_counters(e);
    return rc;
}

/* ---- after every event (KUBESIM_CHECK) ---------------------------------------- */
/* A full check costs about (pods x (regions + PDBs + quotas + 3) + nodes x
 * (groups + 2)) steps; running it after every event of a large run would
 * make the sanitizer suite quadratic. So each event checks the node it
 * touched (an event on a pod: the pod's node) and the whole model when
 * the credit of CHECK_CREDIT steps per event since the last full check
 * pays for one: small worlds are checked in full after every event,
 * large ones every cost / CHECK_CREDIT events. */
#define CHECK_CREDIT 2000

static uint64_t check_cost(const SimEngine *e)
{
    return (uint64_t)e->pods.n * (e->regions.n + e->pdbs.n + e->quotas.n + 3) +
           (uint64_t)e->nodes.n * (e->groups.n + 2) + e->workloads.n + e->groups.n;
}

static int check_touched(const SimEngine *e, const SimEvent *ev)
{
    uint32_t node = SIM_NONE;
    size_t k, x;
    if ((ev->kind == SIM_EV_POD_STARTED || ev->kind == SIM_EV_POD_FINISHED || ev->kind == SIM_EV_POD_GONE) &&
        ev->obj < e->pods.n)
        node = sim_pod(e, ev->obj)->node;
    else if (ev->kind == SIM_EV_NODE_READY && ev->obj < e->nodes.n)
        node = ev->obj;
    return node < e->nodes.n ? check_node(e, node, &k, &x) : SIM_OK;
}

int sim_check_step(SimEngine *e, const SimEvent *ev)
{
    int rc = check_touched(e, ev);
    e->check_credit += CHECK_CREDIT;
    if (rc != SIM_OK || e->check_credit < check_cost(e))
        return rc;
    e->check_credit = 0;
    return sim_check(e);
}
