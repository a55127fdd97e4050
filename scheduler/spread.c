/*
 * spread.c: PodTopologySpread (k8s-behaviour.md §3.7; upstream
 * plugins/podtopologyspread, per-constraint counts as in current releases).
 *
 * Filter (DoNotSchedule): counts of matching pods per domain over eligible
 * nodes (nodeAffinityPolicy Honor: the node matches the pod's nodeSelector
 * and required node affinity; nodeTaintsPolicy Ignore; the node has every
 * DoNotSchedule key); a node without the key is rejected; skew = count + self
 * - globalMin (0 when fewer eligible domains than minDomains) must not exceed
 * maxSkew.
 * Score (ScheduleAnyway, or the system defaults): raw = round(Σ count x
 * log(domains + 2) + maxSkew - 1), normalized 100 x (max + min - raw) / max.
 *
 * Counts come from the group index (index.c): per class for zone and other
 * label keys, per node for hostname. Only the hostname globalMin scans nodes
 * (O(nodes) per cycle of a pod with a hostname DoNotSchedule constraint).
 */
#include "scheduler/sched_int.h"


/* Node affinity eligibility must be judged per node (hostname selectors, a
 * DaemonSet pod's target node). */
static int per_node_elig(const SchedCycleState *st)
{
    return st->w->aff_per_node || st->p->target_node != SIM_NONE;
}

static int class_has_keys(const SchedRegion *rg, uint32_t c, const uint32_t *keys, size_t nk)
{
    for (size_t k = 0; k < nk; k++)
        if (!rg->keys[keys[k]].per_node && rg->keys[keys[k]].cls_dom[c] == SCHED_NONE)
            return 0;
    return 1;
}

static int class_elig(const SchedCycleState *st, uint32_t c, const uint32_t *keys, size_t nk)
{
    return st->w->cls[c].aff_ok && class_has_keys(st->rg, c, keys, nk);
}

static int node_elig(const SchedCycleState *st, uint32_t li, const uint32_t *keys, size_t nk)
{
    uint16_t c = st->rg->rows[li].cls;
    if (!class_has_keys(st->rg, c, keys, nk))
        return 0;
    if (!per_node_elig(st))
        return st->w->cls[c].aff_ok;
    uint32_t node = sim_region(st->e, st->rg->id)->nodes[li];
    if (st->p->target_node != SIM_NONE && node != st->p->target_node)
        return 0;
    return sched_node_affinity_matches(st->e, st->spec, node);
}

/* Per-domain counts of group g for key k over eligible nodes, in scratch;
 * present[d] = 1 for domains with an eligible Ready node (may be NULL). */
int64_t *sched_spread_counts(SchedCycleState *st, const SchedGroup *g, const SchedKey *k, const uint32_t *keys,
                            size_t nk, uint8_t *present)
{
    SchedRegion *rg = st->rg;
    int64_t *dom = sched_scratch(st->s, (k->ndom + 1) * sizeof *dom);
    if (dom == NULL)
        return NULL;
    memset(dom, 0, (k->ndom + 1) * sizeof *dom);
    if (!per_node_elig(st)) {
        for (uint32_t c = 0; c < rg->ncls; c++) {
            uint32_t d = k->cls_dom[c];
            if (d == SCHED_NONE || !class_elig(st, c, keys, nk))
                continue;
            dom[d] += g->cnt_class[c];
            if (present && rg->cls[c].ready)
                present[d] = 1;
        }
        return dom;
    }
    for (uint32_t li = 0; li < rg->nrows; li++) {
        uint32_t d = k->cls_dom[rg->rows[li].cls];
        if (d == SCHED_NONE || !node_elig(st, li, keys, nk))
            continue;
        dom[d] += g->cnt_node[li];
        if (present && (rg->rows[li].flags & ROW_READY))
            present[d] = 1;
    }
    return dom;
}

/* ---- Filter ------------------------------------------------------------------ */
static int dns_min(SchedCycleState *st, SchedDns *d, const SchedSpread *sp, const uint32_t *keys, size_t nk)
{
    SchedRegion *rg = st->rg;
    const SchedGroup *g = &rg->groups[sp->group];
    const SchedKey *k = &rg->keys[sp->key];
    int64_t min = INT32_MAX;
    uint32_t ndom = 0;
    d->v.key = sp->key;
    if (k->per_node) {
        d->v.node = g->cnt_node;
        for (uint32_t li = 0; li < rg->nrows; li++) {
            if (!(rg->rows[li].flags & ROW_READY) || !node_elig(st, li, keys, nk))
                continue;
            ndom++;
            if (g->cnt_node[li] < min)
                min = g->cnt_node[li];
            if (min == 0 && sp->min_domains == 0)
                break;   /* neither can change any more */
        }
    } else {
        uint8_t *present = sched_scratch(st->s, k->ndom + 1);
        if (present == NULL)
            return SIM_ENOMEM;
        memset(present, 0, k->ndom + 1);
        if ((d->v.dom = sched_spread_counts(st, g, k, keys, nk, present)) == NULL)
            return SIM_ENOMEM;
        d->v.cls_dom = k->cls_dom;
        for (uint32_t x = 0; x < k->ndom; x++)
            if (present[x]) {
                ndom++;
                if (d->v.dom[x] < min)
                    min = d->v.dom[x];
            }
    }
    d->min = (int64_t)ndom < sp->min_domains ? 0 : min;
    d->max_skew = sp->max_skew;
    d->self = sp->self;
    return SIM_OK;
}

int sched_spread_prefilter(SchedCycleState *st)
{
    const SchedWl *w = st->w;
    size_t n = 0;
    for (size_t i = 0; i < w->nspread; i++)
        n += w->spread[i].dns;
    st->ndns = 0;
    if (n == 0)
        return SIM_OK;
    uint32_t *keys = sched_scratch(st->s, n * sizeof *keys);
    st->dns = sched_scratch(st->s, n * sizeof *st->dns);
    if (keys == NULL || st->dns == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0, k = 0; i < w->nspread; i++)
        if (w->spread[i].dns)
            keys[k++] = w->spread[i].key;
    for (size_t i = 0; i < w->nspread; i++) {
        if (!w->spread[i].dns)
            continue;
        memset(&st->dns[st->ndns], 0, sizeof st->dns[0]);
        if (dns_min(st, &st->dns[st->ndns], &w->spread[i], keys, n) != SIM_OK)
            return SIM_ENOMEM;
        st->ndns++;
    }
    return SIM_OK;
}

