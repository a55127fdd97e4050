/*
 * index.c: what the scheduler mirrors of the cluster, per region: the node
 * rows, the node classes (node group x zone), the topology keys with their
 * interned domains, the groups of pods with their per-node and per-class
 * counts, and what each workload's pods ask for, resolved once.
 *
 * Invariant: see sched_int.h (group counts equal the bound, not terminated
 * matching pods). Counts change only in sched_count_pod (the pod_bound and
 * pod_terminated listeners) and in the backfill of a new group.
 */
#include "scheduler/sched_int.h"

#include <stdlib.h>

static SimMem *mem(SchedScheduler *s) { return sim_mem(s->e); }

#define GROW(s, arr, cap, need) sim_mem_grow(mem(s), (void **)&(arr), &(cap), (need), sizeof *(arr))

/* Grows an array of uint32 from *cap to at least need, new entries filled
 * with the byte fill (0: zero counts; 0xff: SCHED_NONE). */
static int grow_fill(SchedScheduler *s, uint32_t **arr, size_t *cap, size_t need, int fill)
{
    size_t old = *cap;
    if (need <= old)
        return SIM_OK;
    if (sim_mem_grow(mem(s), (void **)arr, cap, need, sizeof **arr))
        return SIM_ENOMEM;
    memset(*arr + old, fill, (*cap - old) * sizeof **arr);
    return SIM_OK;
}
#define grow_zero(s, arr, cap, need) grow_fill(s, arr, cap, need, 0)

/* ---- topology keys ------------------------------------------------------- */
static uint32_t dom_intern(SchedScheduler *s, SchedKey *k, const char *value)
{
    for (uint32_t d = 0; d < k->ndom; d++)
        if (strcmp(k->dom_name[d], value) == 0)
            return d;
    if (GROW(s, k->dom_name, k->capdn, k->ndom + 1))
        return SCHED_NONE - 1;
    k->dom_name[k->ndom] = value;
    return k->ndom++;
}

/* Resolves the key's domain for classes [from, rg->ncls). */
static int key_fill(SchedScheduler *s, SchedRegion *rg, SchedKey *k, size_t from)
{
    if (k->per_node)
        return SIM_OK;
    if (GROW(s, k->cls_dom, k->capcd, rg->ncls + 1))
        return SIM_ENOMEM;
    for (size_t c = from; c < rg->ncls; c++) {
        const char *v = sim_node_label(s->e, rg->cls[c].node, k->name);
        k->cls_dom[c] = v ? dom_intern(s, k, v) : SCHED_NONE;
        if (k->cls_dom[c] == SCHED_NONE - 1)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* The key's index in the region, added on first use; SCHED_NONE on OOM. */
static uint32_t key_intern(SchedScheduler *s, SchedRegion *rg, const char *name)
{
    for (size_t i = 0; i < rg->nkeys; i++)
        if (strcmp(rg->keys[i].name, name) == 0)
            return (uint32_t)i;
    if (GROW(s, rg->keys, rg->capkeys, rg->nkeys + 1))
        return SCHED_NONE;
    SchedKey *k = &rg->keys[rg->nkeys];
    memset(k, 0, sizeof *k);
    k->name = sim_mem_strdup(mem(s), name);
    /* Each node is its own hostname domain (node groups cannot relabel it). */
    k->per_node = strcmp(name, LABEL_HOSTNAME) == 0;
    rg->nkeys++;
    if (k->name == NULL || key_fill(s, rg, k, 0) != SIM_OK)
        return SCHED_NONE;
    return (uint32_t)(rg->nkeys - 1);
}

/* ---- classes ------------------------------------------------------------- */
static uint32_t class_of(SchedScheduler *s, SchedRegion *rg, uint32_t node)
{
    const SimNode *n = sim_node(s->e, node);
    for (size_t c = 0; c < rg->ncls; c++)
        if (rg->cls[c].group == n->group && rg->cls[c].zone == n->zone)
            return (uint32_t)c;
    if (rg->ncls >= UINT16_MAX || GROW(s, rg->cls, rg->capcls, rg->ncls + 1))
        return SCHED_NONE;
    rg->cls[rg->ncls] = (SchedClass){n->group, n->zone, node, 0, n->alloc.cpu_m > 0 ? 1.0 / (double)n->alloc.cpu_m : 0,
                                     n->alloc.mem > 0 ? 1.0 / (double)n->alloc.mem : 0};
    rg->ncls++;
    for (size_t k = 0; k < rg->nkeys; k++)
        if (key_fill(s, rg, &rg->keys[k], rg->ncls - 1) != SIM_OK)
            return SCHED_NONE;
    for (size_t g = 0; g < rg->ngroups; g++)
        if (grow_zero(s, &rg->groups[g].cnt_class, &rg->groups[g].capcls, rg->ncls))
            return SCHED_NONE;
    rg->gen++;
    return (uint32_t)(rg->ncls - 1);
}

/* ---- regions and rows ---------------------------------------------------- */
static int region_init(SchedScheduler *s, SchedRegion *rg, uint32_t id)
{
    rg->id = id;
    rg->init = 2;   /* broken until the keys exist */
    rg->backoff_timer = SIM_TIME_MAX;
    if (key_intern(s, rg, LABEL_HOSTNAME) == SCHED_NONE || key_intern(s, rg, LABEL_ZONE) == SCHED_NONE)
        return SIM_ENOMEM;
    rg->init = 1;
    return SIM_OK;
}

/* Grows an array of pointers to n entries, the new ones NULL. */
static int grow_ptrs(SchedScheduler *s, void ***arr, size_t *n, size_t need)
{
    if (need <= *n)
        return SIM_OK;
    void **v = sim_mem_realloc(mem(s), *arr, *n * sizeof *v, need * sizeof *v);
    if (v == NULL)
        return SIM_ENOMEM;
    memset(v + *n, 0, (need - *n) * sizeof *v);
    *arr = v;
    *n = need;
    return SIM_OK;
}

SchedRegion *sched_region(SchedScheduler *s, uint32_t region)
{
    if (region < s->nregions && s->regions[region] && s->regions[region]->init == 1)
        return s->regions[region];   /* the common case, several times per cycle */
    if (region >= sim_region_count(s->e) ||
        grow_ptrs(s, (void ***)&s->regions, &s->nregions, sim_region_count(s->e)))
        return NULL;
    SchedRegion *rg = s->regions[region];
    if (rg == NULL) {
        if ((rg = sim_mem_calloc(mem(s), 1, sizeof *rg)) == NULL)
            return NULL;
        s->regions[region] = rg;
        if (region_init(s, rg, region) != SIM_OK)
            return NULL;
    }
    return rg->init == 1 ? rg : NULL;
}

uint32_t sched_local(SchedScheduler *s, uint32_t node)
{
    return node < s->capnl ? s->node_local[node] : SCHED_NONE;
}

/* Copies what the hot loop reads of a node into its row. */
static void row_fill(SchedScheduler *s, SchedRegion *rg, SchedRow *row, const SimNode *n)
{
    SchedRowRes *res = &rg->res[row - rg->rows];
    uint8_t ready = n->state == SIM_NODE_READY, old_flags = row->flags;
    if (ready != ((row->flags & ROW_READY) != 0)) {
        rg->ready = ready ? rg->ready + 1 : rg->ready - 1;
        rg->cls[row->cls].ready = ready ? rg->cls[row->cls].ready + 1 : rg->cls[row->cls].ready - 1;
        rg->gen++;
        rg->moves++;
    }
    uint8_t flags = (uint8_t)((row->flags & ROW_NOMINATED) | (ready ? ROW_READY : 0) |
                              (n->unschedulable ? ROW_CORDONED : 0));
    if (flags != row->flags)
        rg->gen++;
    row->flags = flags;
    *res = (SchedRowRes){n->alloc.cpu_m, n->alloc.mem, n->req.cpu_m, n->req.mem, n->nz_req.cpu_m, n->nz_req.mem};
    row->free_cpu = n->alloc.cpu_m - n->req.cpu_m;
    row->free_mem = n->alloc.mem - n->req.mem;
    int64_t fg = n->alloc.gpu - n->req.gpu, fp = n->alloc.pods - n->req.pods;
    row->free_gpu = fg > INT32_MAX ? INT32_MAX : fg < INT32_MIN ? INT32_MIN : (int32_t)fg;
    row->free_pods = fp > INT32_MAX ? INT32_MAX : fp < INT32_MIN ? INT32_MIN : (int32_t)fp;
    row->ver++;
    sched_blk_row(rg, (size_t)(row - rg->rows), old_flags, row);
    (void)s;
}

void sched_row_refresh(SchedScheduler *s, SchedRegion *rg, uint32_t node)
{
    uint32_t li = sched_local(s, node);
    if (li != SCHED_NONE && li < rg->nrows)
        row_fill(s, rg, &rg->rows[li], sim_node(s->e, node));
}

static int row_add(SchedScheduler *s, SchedRegion *rg, uint32_t node)
{
    size_t oldblk = rg->capblk;
    if (GROW(s, rg->blk, rg->capblk, rg->nrows / SCHED_BLK + 1))
        return SIM_ENOMEM;
    memset(rg->blk + oldblk, 0, (rg->capblk - oldblk) * sizeof *rg->blk);   /* new blocks stale */
    if (GROW(s, rg->rows, rg->caprows, rg->nrows + 1) || GROW(s, rg->res, rg->capres, rg->nrows + 1) ||
        grow_fill(s, &s->node_local, &s->capnl, node + 1, 0xff))
        return SIM_ENOMEM;
    uint32_t c = class_of(s, rg, node);
    if (c == SCHED_NONE)
        return SIM_ENOMEM;
    SchedRow *row = &rg->rows[rg->nrows];
    memset(row, 0, sizeof *row);
    row->cls = (uint16_t)c;
    s->node_local[node] = (uint32_t)rg->nrows++;
    row_fill(s, rg, row, sim_node(s->e, node));
    return SIM_OK;
}

/* Brings the rows up to the region's node list, and re-reads every row when
 * the region's Ready count differs from ours (a node left without a listener
 * telling us). */
int sched_region_sync(SchedScheduler *s, SchedRegion *rg)
{
    const SimRegion *r = sim_region(s->e, rg->id);
    if (rg->nrows < r->nnodes) {
        for (size_t i = rg->nrows; i < r->nnodes; i++) {
            if (row_add(s, rg, r->nodes[i]) != SIM_OK)
                return sim_fail(s->e, SIM_ENOMEM, "out of memory");
        }
        for (size_t g = 0; g < rg->ngroups; g++)
            if (grow_zero(s, &rg->groups[g].cnt_node, &rg->groups[g].capnode, rg->nrows))
                return sim_fail(s->e, SIM_ENOMEM, "out of memory");
    }
    if (rg->ready != r->ready_nodes)
        for (size_t i = 0; i < rg->nrows; i++)
            row_fill(s, rg, &rg->rows[i], sim_node(s->e, r->nodes[i]));
    return SIM_OK;
}

/* ---- groups -------------------------------------------------------------- */
static int selectors_equal(const SimSelector *a, const SimSelector *b)
{
    if (a == b)
        return 1;
    if (a->nreqs != b->nreqs)
        return 0;
    for (size_t i = 0; i < a->nreqs; i++) {
        const SimSelReq *x = &a->reqs[i], *y = &b->reqs[i];
        if (x->op != y->op || x->nvalues != y->nvalues || strcmp(x->key, y->key) != 0)
            return 0;
        for (size_t v = 0; v < x->nvalues; v++)
            if (strcmp(x->values[v], y->values[v]) != 0)
                return 0;
    }
    return 1;
}

static int group_is(const SchedGroup *g, uint32_t ns, uint32_t wl, const SimSelector *const *sels, size_t n)
{
    if (g->wl != wl || (wl == SCHED_NONE && g->ns != ns) || g->nsels != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!selectors_equal(g->sels[i], sels[i]))
            return 0;
    return 1;
}

int sched_group_matches(SchedScheduler *s, const SchedGroup *g, uint32_t wl)
{
    if (g->wl != SCHED_NONE)
        return g->wl == wl;
    const SimWorkload *w = sim_workload(s->e, wl);
    if (w->ns != g->ns)
        return 0;
    for (size_t i = 0; i < g->nsels; i++)
        if (!sim_selector_matches(g->sels[i], w->spec.labels, w->spec.nlabels))
            return 0;
    return 1;
}

static int wl_add_group(SchedScheduler *s, SchedWl *w, uint32_t g)
{
    if (GROW(s, w->groups, w->capgroups, w->ngroups + 1))
        return SIM_ENOMEM;
    w->groups[w->ngroups++] = g;
    return SIM_OK;
}

/* Counts the bound pods of the workloads a new group matches. */
static void group_backfill(SchedScheduler *s, SchedRegion *rg, SchedGroup *g, const uint8_t *match)
{
    uint32_t np = sim_pod_count(s->e);
    for (uint32_t i = 0; i < np; i++) {
        const SimPod *p = sim_pod(s->e, i);
        if (p->wl >= s->nwls || !match[p->wl] || p->node == SIM_NONE ||
            (p->phase != SIM_POD_BOUND && p->phase != SIM_POD_RUNNING))
            continue;
        uint32_t li = sched_local(s, p->node);
        if (li == SCHED_NONE || li >= rg->nrows)
            continue;
        g->cnt_node[li]++;
        g->cnt_class[rg->rows[li].cls]++;
        g->total++;
    }
}

/* The group's index in the region, added (and matched against every resolved
 * workload, and backfilled) on first use; SCHED_NONE on OOM. */
static uint32_t group_intern(SchedScheduler *s, SchedRegion *rg, uint32_t ns, uint32_t wl,
                             const SimSelector *const *sels, size_t n)
{
    for (size_t i = 0; i < rg->ngroups; i++)
        if (group_is(&rg->groups[i], ns, wl, sels, n))
            return (uint32_t)i;
    if (GROW(s, rg->groups, rg->capgroups, rg->ngroups + 1))
        return SCHED_NONE;
    uint32_t id = (uint32_t)rg->ngroups;
    SchedGroup *g = &rg->groups[id];
    memset(g, 0, sizeof *g);
    g->ns = ns;
    g->wl = wl;
    rg->ngroups++;
    if (n) {
        if ((g->sels = sim_mem_alloc(mem(s), n * sizeof *g->sels)) == NULL)
            return SCHED_NONE;
        memcpy(g->sels, sels, n * sizeof *sels);
        g->nsels = n;
    }
    if (grow_zero(s, &g->cnt_node, &g->capnode, rg->nrows + 1) ||
        grow_zero(s, &g->cnt_class, &g->capcls, rg->ncls + 1))
        return SCHED_NONE;
    uint8_t *match = sim_mem_calloc(mem(s), s->nwls + 1, 1);
    if (match == NULL)
        return SCHED_NONE;
    int backfill = 0, rc = SIM_OK;
    for (uint32_t v = 0; v < s->nwls && rc == SIM_OK; v++) {
        SchedWl *w = s->wls[v];
        if (w == NULL || w->resolved != 1 || w->region != rg->id || !sched_group_matches(s, g, v))
            continue;
        match[v] = 1;
        backfill |= w->nbound > 0;
        rc = wl_add_group(s, w, id);
    }
    if (backfill && rc == SIM_OK)
        group_backfill(s, rg, g, match);
    sim_mem_free(mem(s), match, s->nwls + 1);
    return rc == SIM_OK ? id : SCHED_NONE;
}

/* ---- counting ------------------------------------------------------------ */
void sched_count_pod(SchedScheduler *s, uint32_t pod, int delta)
{
    const SimPod *p = sim_pod(s->e, pod);
    SchedWl *w = sched_wl(s, p->wl);
    SchedRegion *rg = sched_region(s, p->region);
    if (w == NULL || rg == NULL || sched_region_sync(s, rg) != SIM_OK)
        return;
    uint32_t li = sched_local(s, p->node);
    if (li == SCHED_NONE || li >= rg->nrows)
        return;
    uint16_t c = rg->rows[li].cls;
    w->nbound = (uint32_t)((int64_t)w->nbound + delta);
    for (size_t i = 0; i < w->ngroups; i++) {
        SchedGroup *g = &rg->groups[w->groups[i]];
        g->cnt_node[li] = (uint32_t)((int64_t)g->cnt_node[li] + delta);
        g->cnt_class[c] = (uint32_t)((int64_t)g->cnt_class[c] + delta);
        g->total = (uint64_t)((int64_t)g->total + delta);
    }
}

/* Counts the pods already bound when the scheduler is created. */
int sched_backfill(SchedScheduler *s)
{
    uint32_t np = sim_pod_count(s->e);
    for (uint32_t i = 0; i < np; i++) {
        const SimPod *p = sim_pod(s->e, i);
        if (p->node == SIM_NONE || (p->phase != SIM_POD_BOUND && p->phase != SIM_POD_RUNNING))
            continue;
        if (sched_wl(s, p->wl) == NULL)
            return SIM_ENOMEM;
        sched_count_pod(s, i, 1);
    }
    return s->e && sim_mem(s->e)->oom ? SIM_ENOMEM : SIM_OK;
}

/* ---- workloads ------------------------------------------------------------ */
static int has_hostname_key(const SimSelector *sel)
{
    for (size_t i = 0; i < sel->nreqs; i++)
        if (strcmp(sel->reqs[i].key, LABEL_HOSTNAME) == 0)
            return 1;
    return 0;
}

static int spread_add(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl, SchedSpread sp,
                      const char *key)
{
    sp.key = key_intern(s, rg, key);
    if (sp.key == SCHED_NONE || sp.group == SCHED_NONE)
        return SIM_ENOMEM;
    sp.self = (uint8_t)sched_group_matches(s, &rg->groups[sp.group], wl);
    w->spread[w->nspread++] = sp;
    return SIM_OK;
}

/* Spread constraints, or the system defaults (hostname maxSkew 3, zone maxSkew
 * 5, ScheduleAnyway) for the pods of a Deployment or StatefulSet: upstream's
 * DefaultSelector builds the default selector from the Services,
 * ReplicaSets, ReplicationControllers and StatefulSets selecting the pod, so
 * Job, DaemonSet and bare pods (no Services in the model) get none. */
static int resolve_spread(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl, const SimWorkload *sw)
{
    const SimPodSpec *sp = &sw->spec;
    w->default_spread = sp->nspread == 0 && (sw->kind == SIM_WL_DEPLOYMENT || sw->kind == SIM_WL_STATEFULSET);
    size_t n = w->default_spread ? 2 : sp->nspread;
    if (n == 0)
        return SIM_OK;
    if ((w->spread = sim_mem_calloc(mem(s), n, sizeof *w->spread)) == NULL)
        return SIM_ENOMEM;
    w->capspread = n;
    if (w->default_spread) {
        uint32_t g = group_intern(s, rg, w->ns, wl, NULL, 0);
        int rc = spread_add(s, rg, w, wl, (SchedSpread){g, 0, 3, 0, 0, 0}, LABEL_HOSTNAME);
        return rc ? rc : spread_add(s, rg, w, wl, (SchedSpread){g, 0, 5, 0, 0, 0}, LABEL_ZONE);
    }
    for (size_t i = 0; i < n; i++) {
        const SimSpread *c = &sp->spread[i];
        const SimSelector *sel = &c->selector;
        uint32_t g = group_intern(s, rg, w->ns, SCHED_NONE, &sel, 1);
        SchedSpread x = {g, 0, c->max_skew, c->min_domains, (uint8_t)(c->do_not_schedule != 0), 0};
        if (spread_add(s, rg, w, wl, x, c->topology_key) != SIM_OK)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* Resolves affinity terms into groups (one per term, over the pod's namespace). */
static int resolve_terms(SchedScheduler *s, SchedRegion *rg, SchedWl *w, const SimPodAffinityTerm *t,
                         size_t n, SchedTerm **out, size_t *nout)
{
    if (n == 0)
        return SIM_OK;
    if ((*out = sim_mem_calloc(mem(s), n, sizeof **out)) == NULL)
        return SIM_ENOMEM;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        const SimSelector *sel = &t[i].selector;
        SchedTerm *x = &(*out)[i];
        x->group = group_intern(s, rg, w->ns, SCHED_NONE, &sel, 1);
        x->key = key_intern(s, rg, t[i].topology_key);
        x->weight = t[i].weight;
        if (x->group == SCHED_NONE || x->key == SCHED_NONE)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

static int carrier_add(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl,
                       const SimPodAffinityTerm *t, size_t n, uint8_t kind)
{
    for (size_t i = 0; i < n; i++) {
        if (GROW(s, rg->carriers, rg->capcarriers, rg->ncarriers + 1))
            return SIM_ENOMEM;
        uint32_t key = key_intern(s, rg, t[i].topology_key);
        if (key == SCHED_NONE)
            return SIM_ENOMEM;
        /* Upstream HardPodAffinityWeight is 1: an existing pod's required
         * affinity term that the incoming pod matches adds 1 per pod. */
        int32_t wt = kind == CARRY_REQ_AFF ? 1 : kind == CARRY_PREF_ANTI ? -t[i].weight : t[i].weight;
        rg->carriers[rg->ncarriers++] = (SchedCarrier){wl, w->self_group, key, w->ns, &t[i].selector, wt, kind};
        rg->carrier_ver++;
    }
    return SIM_OK;
}

static int resolve_affinity(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl, const SimPodSpec *sp)
{
    const SimPodAffinity *a = &sp->affinity;
    w->aff_group = SCHED_NONE;
    if (a->nreq_affinity) {
        const SimSelector *sels[64];
        size_t n = a->nreq_affinity < 64 ? a->nreq_affinity : 64;   /* more terms than that: ignored */
        for (size_t i = 0; i < n; i++)
            sels[i] = &a->req_affinity[i].selector;
        w->aff_group = group_intern(s, rg, w->ns, SCHED_NONE, sels, n);
        if (w->aff_group == SCHED_NONE)
            return SIM_ENOMEM;
        w->self_all = (uint8_t)sched_group_matches(s, &rg->groups[w->aff_group], wl);
    }
    if (resolve_terms(s, rg, w, a->req_affinity, a->nreq_affinity, &w->req_aff, &w->nreq_aff) ||
        resolve_terms(s, rg, w, a->req_anti, a->nreq_anti, &w->req_anti, &w->nreq_anti) ||
        resolve_terms(s, rg, w, a->pref_affinity, a->npref_affinity, &w->pref_aff, &w->npref_aff) ||
        resolve_terms(s, rg, w, a->pref_anti, a->npref_anti, &w->pref_anti, &w->npref_anti))
        return SIM_ENOMEM;
    if (a->nreq_anti + a->nreq_affinity + a->npref_affinity + a->npref_anti == 0)
        return SIM_OK;
    if (w->self_group == SCHED_NONE && (w->self_group = group_intern(s, rg, w->ns, wl, NULL, 0)) == SCHED_NONE)
        return SIM_ENOMEM;
    if (carrier_add(s, rg, w, wl, a->req_anti, a->nreq_anti, CARRY_REQ_ANTI) ||
        carrier_add(s, rg, w, wl, a->req_affinity, a->nreq_affinity, CARRY_REQ_AFF) ||
        carrier_add(s, rg, w, wl, a->pref_affinity, a->npref_affinity, CARRY_PREF_AFF) ||
        carrier_add(s, rg, w, wl, a->pref_anti, a->npref_anti, CARRY_PREF_ANTI))
        return SIM_ENOMEM;
    return SIM_OK;
}

static void resolve_flags(SchedWl *w, const SimPodSpec *sp)
{
    w->tol_unsched = (uint8_t)sched_tolerates_unschedulable(sp);
    w->best_effort = sp->req.cpu_m == 0 && sp->req.mem == 0;
    w->aff_per_node = (uint8_t)has_hostname_key(&sp->node_selector);
    for (size_t i = 0; i < sp->nnode_required; i++)
        w->aff_per_node |= (uint8_t)has_hostname_key(&sp->node_required[i]);
    for (size_t i = 0; i < sp->nnode_preferred; i++)
        w->pref_per_node |= (uint8_t)has_hostname_key(&sp->node_preferred[i].term);
}

static int wl_resolve(SchedScheduler *s, SchedWl *w, uint32_t wl)
{
    const SimWorkload *sw = sim_workload(s->e, wl);
    SchedRegion *rg = sched_region(s, sw->region);
    if (rg == NULL || sched_region_sync(s, rg) != SIM_OK)
        return SIM_ENOMEM;
    w->region = sw->region;
    w->ns = sw->ns;
    w->self_group = SCHED_NONE;
    w->un.head = w->un.tail = SCHED_NONE;
    resolve_flags(w, &sw->spec);
    if (resolve_spread(s, rg, w, wl, sw) || resolve_affinity(s, rg, w, wl, &sw->spec))
        return SIM_ENOMEM;
    if (w->default_spread)
        w->self_group = w->spread[0].group;
    for (size_t g = 0; g < rg->ngroups; g++)
        if (sched_group_matches(s, &rg->groups[g], wl) && wl_add_group(s, w, (uint32_t)g))
            return SIM_ENOMEM;
    w->resolved = 1;
    return SIM_OK;
}

SchedWl *sched_wl(SchedScheduler *s, uint32_t wl)
{
    SchedWl *w = wl < s->nwls ? s->wls[wl] : NULL;
    if (w == NULL) {
        if (grow_ptrs(s, (void ***)&s->wls, &s->nwls, sim_workload_count(s->e)) ||
            (w = sim_mem_calloc(mem(s), 1, sizeof *w)) == NULL) {
            sim_fail(s->e, SIM_ENOMEM, "out of memory");
            return NULL;
        }
        s->wls[wl] = w;
    }
    if (w->resolved == 0 && wl_resolve(s, w, wl) != SIM_OK)
        w->resolved = 2;   /* never retried: what it holds is freed with the scheduler */
    if (w->resolved != 1) {
        sim_fail(s->e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    return w;
}

/* Extends the workload's per-class verdicts to every class of the region. */
int sched_wl_classes(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl)
{
    if (w->ncls == rg->ncls)
        return SIM_OK;
    if (GROW(s, w->cls, w->capcls, rg->ncls))
        return SIM_ENOMEM;
    const SimPodSpec *sp = &sim_workload(s->e, wl)->spec;
    for (size_t c = w->ncls; c < rg->ncls; c++) {
        SchedWlCls *v = &w->cls[c];
        v->filter = sched_class_verdict(s->e, sp, rg->cls[c].node, w->aff_per_node, &v->tscore, &v->pref, &v->aff_ok);
        w->any_tscore |= v->tscore != 0;
        w->any_class_fail |= v->filter != R_PASS;
    }
    w->ncls = rg->ncls;
    return SIM_OK;
}

static int term_selects(SchedScheduler *s, const SchedCarrier *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(s->e, wl);
    return w->ns == c->ns && sim_selector_matches(c->sel, w->spec.labels, w->spec.nlabels);
}

/* Refreshes the list of carried terms that select the workload's pods. */
int sched_wl_sym(SchedScheduler *s, SchedRegion *rg, SchedWl *w, uint32_t wl)
{
    if (w->sym_ver == rg->carrier_ver)
        return SIM_OK;
    w->nsym = 0;
    for (size_t i = 0; i < rg->ncarriers; i++) {
        if (!term_selects(s, &rg->carriers[i], wl))
            continue;
        if (GROW(s, w->sym, w->capsym, w->nsym + 1))
            return SIM_ENOMEM;
        w->sym[w->nsym++] = (uint32_t)i;
    }
    w->sym_ver = rg->carrier_ver;
    return SIM_OK;
}

/* ---- teardown ------------------------------------------------------------- */
static void wl_free(SchedScheduler *s, SchedWl *w)
{
    SimMem *m = mem(s);
    sim_mem_free(m, w->groups, w->capgroups * sizeof *w->groups);
    sim_mem_free(m, w->spread, w->capspread * sizeof *w->spread);
    sim_mem_free(m, w->req_aff, w->nreq_aff * sizeof(SchedTerm));
    sim_mem_free(m, w->req_anti, w->nreq_anti * sizeof(SchedTerm));
    sim_mem_free(m, w->pref_aff, w->npref_aff * sizeof(SchedTerm));
    sim_mem_free(m, w->pref_anti, w->npref_anti * sizeof(SchedTerm));
    sim_mem_free(m, w->cls, w->capcls * sizeof *w->cls);
    sim_mem_free(m, w->sym, w->capsym * sizeof *w->sym);
    if (w->fail_msg)
        sim_mem_free(m, w->fail_msg, SCHED_REASON_LEN);
}

static void region_free(SchedScheduler *s, SchedRegion *rg)
{
    SimMem *m = mem(s);
    for (size_t k = 0; k < rg->nkeys; k++) {
        sim_mem_strfree(m, rg->keys[k].name);
        sim_mem_free(m, rg->keys[k].cls_dom, rg->keys[k].capcd * sizeof(uint32_t));
        sim_mem_free(m, rg->keys[k].dom_name, rg->keys[k].capdn * sizeof(char *));
    }
    for (size_t g = 0; g < rg->ngroups; g++) {
        SchedGroup *gp = &rg->groups[g];
        sim_mem_free(m, gp->sels, gp->nsels * sizeof *gp->sels);
        sim_mem_free(m, gp->cnt_node, gp->capnode * sizeof(uint32_t));
        sim_mem_free(m, gp->cnt_class, gp->capcls * sizeof(uint32_t));
    }
    sim_mem_free(m, rg->keys, rg->capkeys * sizeof *rg->keys);
    sim_mem_free(m, rg->groups, rg->capgroups * sizeof *rg->groups);
    sim_mem_free(m, rg->rows, rg->caprows * sizeof *rg->rows);
    sim_mem_free(m, rg->res, rg->capres * sizeof *rg->res);
    sim_mem_free(m, rg->blk, rg->capblk * sizeof *rg->blk);
    sim_mem_free(m, rg->cls, rg->capcls * sizeof *rg->cls);
    sim_mem_free(m, rg->carriers, rg->capcarriers * sizeof *rg->carriers);
    sim_mem_free(m, rg->nominated, rg->capnom * sizeof *rg->nominated);
    sim_mem_free(m, rg->active.v, rg->active.cap * sizeof(SchedHeapEnt));
    sim_mem_free(m, rg->backoff.v, rg->backoff.cap * sizeof(SchedHeapEnt));
    sim_mem_free(m, rg->active.run, rg->active.caprun * sizeof(SchedHeapEnt));
    sim_mem_free(m, rg->backoff.run, rg->backoff.caprun * sizeof(SchedHeapEnt));
    sim_mem_free(m, rg->unsched_wls, rg->capuw * sizeof(uint32_t));
    for (size_t i = 0; i < rg->nmemo; i++)
        sim_mem_free(m, rg->memo[i].ent, rg->memo[i].cap * sizeof(uint64_t));
}

void sched_index_free(SchedScheduler *s)
{
    SimMem *m = mem(s);
    for (size_t i = 0; i < s->nwls; i++)
        if (s->wls[i]) {
            wl_free(s, s->wls[i]);
            sim_mem_free(m, s->wls[i], sizeof *s->wls[i]);
        }
    for (size_t i = 0; i < s->nregions; i++)
        if (s->regions[i]) {
            region_free(s, s->regions[i]);
            sim_mem_free(m, s->regions[i], sizeof *s->regions[i]);
        }
    sim_mem_free(m, s->wls, s->nwls * sizeof *s->wls);
    sim_mem_free(m, s->regions, s->nregions * sizeof *s->regions);
    sim_mem_free(m, s->node_local, s->capnl * sizeof *s->node_local);
}
