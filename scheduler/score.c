/*
 * score.c: PreScore and NormalizeScore of the scoring plugins; the per-node
 * math is in sched_int.h so that the cycle's single pass over the feasible
 * nodes (cycle.c) and the per-node wrappers of the profile table share it.
 *
 * - TaintToleration: raw = untolerated PreferNoSchedule taints of the node's
 *   class; normalized 100 - raw x 100 / max (100 everywhere when max is 0).
 * - NodeAffinity: raw = Σ weights of the matching preferred terms; normalized
 *   raw x 100 / max; skipped when the pod has no preferred terms.
 * - PodTopologySpread: see spread.c; PreScore here builds, per constraint,
 *   the per-class domain counts over eligible nodes and the weight
 *   log(domains among the scored nodes + 2).
 * - InterPodAffinity: see interpod.c; PreScore folds every class-keyed term
 *   into one per-class sum and keeps the hostname-keyed ones per node.
 * - ImageLocality: 0 (no images in the model).
 */
#include "scheduler/sched_int.h"

#include <math.h>

/* ---- PodTopologySpread PreScore ------------------------------------------------ */
static int class_has_all(const SchedRegion *rg, uint32_t c, const uint32_t *keys, size_t nk)
{
    for (size_t k = 0; k < nk; k++)
        if (!rg->keys[keys[k]].per_node && rg->keys[keys[k]].cls_dom[c] == SCHED_NONE)
            return 0;
    return 1;
}

/* The number of distinct values of a class-like key among the scored nodes
 * that are not ignored; a node without the key adds the value "" once, as
 * upstream does when the system defaults apply. A node's value is its
 * class's, so with the classes present among the scored nodes (cls_seen)
 * this is a pass over the classes instead of the nodes. */
static size_t domains_among(SchedCycleState *st, const SchedKey *k, const uint32_t *fl, size_t n,
                            const uint8_t *cs, const uint8_t *ignored, uint8_t *seen)
{
    size_t size = 0;
    int empty = 0;
    memset(seen, 0, k->ndom + 1);
    for (size_t i = 0, m = cs ? st->rg->ncls : n; i < m; i++) {
        uint16_t c = cs ? (uint16_t)i : st->rg->rows[fl[i]].cls;
        if ((cs && !cs[c]) || (ignored && ignored[c]))
            continue;
        uint32_t d = k->cls_dom[c];
        if (d == SCHED_NONE)
            size += !empty++;
        else if (!seen[d]++)
            size++;
        if (size == (size_t)k->ndom + 1)
            break;   /* every value and "" seen: nothing can add */
    }
    return size;
}

static int sa_class(SchedCycleState *st, SchedSa *a, const SchedSpread *sp, const uint32_t *fl, size_t n,
                    const uint8_t *cls_seen, const uint8_t *ignored, const uint32_t *keys, size_t nk)
{
    SchedRegion *rg = st->rg;
    const SchedKey *k = &rg->keys[sp->key];
    uint8_t *seen = sched_scratch(st->s, k->ndom + 1);
    int64_t *cc = sched_scratch(st->s, (rg->ncls + 1) * sizeof *cc);
    if (seen == NULL || cc == NULL)
        return SIM_ENOMEM;
    a->weight = log((double)(domains_among(st, k, fl, n, cls_seen, ignored, seen) + 2));
    const int64_t *dom = sched_spread_counts(st, &rg->groups[sp->group], k, keys, nk, NULL);
    if (dom == NULL)
        return SIM_ENOMEM;
    for (uint32_t c = 0; c < rg->ncls; c++)
        cc[c] = k->cls_dom[c] == SCHED_NONE ? -1 : dom[k->cls_dom[c]];
    a->cls_cnt = cc;
    return SIM_OK;
}

/* The common shapes (one hostname constraint, optionally followed by one
 * class-keyed one, as the system defaults are): the class-keyed term per
 * class. The sums are the same floating-point operations as the general
 * path, so the results are identical. */
static int spread_fast(SchedCycleState *st, SchedScorePrep *p)
{
    if (p->nsa > 2 || p->sa[0].node == NULL || (p->nsa == 2 && p->sa[1].node != NULL) || p->sa_ignored ||
        p->sa[0].skew1 < 0 || (p->nsa == 2 && p->sa[1].skew1 < 0))
        return SIM_OK;   /* (maxSkew >= 1 keeps every term >= 0, so -1 marks an absent one) */
    double *cls = sched_scratch(st->s, (st->rg->ncls + 1) * sizeof *cls);
    if (cls == NULL)
        return SIM_ENOMEM;
    for (uint32_t c = 0; c < st->rg->ncls; c++) {
        int64_t cnt = p->nsa == 2 ? p->sa[1].cls_cnt[c] : -1;
        cls[c] = cnt >= 0 ? (double)cnt * p->sa[1].weight + p->sa[1].skew1 : -1.0;   /* -1: no such term */
    }
    p->sa_cls = cls;
    return SIM_OK;
}

/* Explicit ScheduleAnyway constraints, or the system defaults; nodes lacking
 * one of the keys are ignored only for explicit constraints. */
static int spread_prescore(SchedCycleState *st, const uint32_t *fl, size_t n, const uint8_t *cls_seen,
                           SchedScorePrep *p)
{
    const SchedWl *w = st->w;
    SchedRegion *rg = st->rg;
    size_t nsa = 0, nign = 0;
    for (size_t i = 0; i < w->nspread; i++)
        nsa += !w->spread[i].dns;
    if (nsa == 0) {
        p->skip[P_SPREAD] = 1;
        return SIM_OK;
    }
    int require_all = st->spec->nspread > 0;
    uint32_t *keys = sched_scratch(st->s, nsa * sizeof *keys);
    const SchedSpread **sps = sched_scratch(st->s, nsa * sizeof *sps);
    p->sa = sched_scratch(st->s, nsa * sizeof *p->sa);
    uint8_t *ign = sched_scratch(st->s, rg->ncls + 1);
    if (keys == NULL || sps == NULL || p->sa == NULL || ign == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0, j = 0; i < w->nspread; i++)
        if (!w->spread[i].dns) {
            sps[j] = &w->spread[i];
            keys[j++] = w->spread[i].key;
        }
    for (uint32_t c = 0; c < rg->ncls; c++)
        ign[c] = (uint8_t)(require_all && !class_has_all(rg, c, keys, nsa));
    for (size_t i = 0; require_all && i < n; i++)
        nign += ign[rg->rows[fl[i]].cls];
    p->sa_ignored = require_all ? ign : NULL;
    for (size_t j = 0; j < nsa; j++) {
        SchedSa *a = &p->sa[j];
        memset(a, 0, sizeof *a);
        a->skew1 = (double)(sps[j]->max_skew - 1);
        if (rg->keys[sps[j]->key].per_node) {
            a->node = rg->groups[sps[j]->group].cnt_node;
            a->weight = log((double)(n - nign + 2));
        } else if (sa_class(st, a, sps[j], fl, n, cls_seen, p->sa_ignored, keys, require_all ? nsa : 0) != SIM_OK) {
            return SIM_ENOMEM;
        }
    }
    p->nsa = nsa;
    return spread_fast(st, p);
}

/* ---- InterPodAffinity PreScore ------------------------------------------------- */
/* Adds one term (count view of a group over a key, weight) to the prep. */
static int ipa_term(SchedCycleState *st, SchedScorePrep *p, int64_t *cls, uint32_t group, uint32_t key,
                    int64_t weight)
{
    SchedView v;
    if (sched_view_all(st, &v, group, key) != SIM_OK)
        return SIM_ENOMEM;
    if (v.node) {
        p->ipa_host[p->nhost++] = (SchedIpaHost){v.node, weight};
        return SIM_OK;
    }
    for (uint32_t c = 0; c < st->rg->ncls; c++)
        if (v.cls_dom[c] != SCHED_NONE)
            cls[c] += weight * v.dom[v.cls_dom[c]];
    return SIM_OK;
}

/* The incoming pod's preferred terms (anti negative) and, symmetrically, the
 * existing pods' required affinity (weight 1) and preferred terms selecting it. */
static int interpod_prescore(SchedCycleState *st, SchedScorePrep *p)
{
    const SchedWl *w = st->w;
    size_t max = w->npref_aff + w->npref_anti + w->nsym;
    if (max == 0)
        return SIM_OK;
    int64_t *cls = sched_scratch(st->s, (st->rg->ncls + 1) * sizeof *cls);
    p->ipa_host = sched_scratch(st->s, max * sizeof *p->ipa_host);
    if (cls == NULL || p->ipa_host == NULL)
        return SIM_ENOMEM;
    memset(cls, 0, (st->rg->ncls + 1) * sizeof *cls);
    int rc = SIM_OK;
    for (size_t i = 0; i < w->npref_aff && rc == SIM_OK; i++)
        rc = ipa_term(st, p, cls, w->pref_aff[i].group, w->pref_aff[i].key, w->pref_aff[i].weight);
    for (size_t i = 0; i < w->npref_anti && rc == SIM_OK; i++)
        rc = ipa_term(st, p, cls, w->pref_anti[i].group, w->pref_anti[i].key, -(int64_t)w->pref_anti[i].weight);
    for (size_t i = 0; i < w->nsym && rc == SIM_OK; i++) {
        const SchedCarrier *k = &st->rg->carriers[w->sym[i]];
        if (k->kind != CARRY_REQ_ANTI)
            rc = ipa_term(st, p, cls, k->group, k->key, k->weight);
    }
    p->ipa_cls = cls;
    return rc;
}

int sched_prescore(SchedCycleState *st, const uint32_t *fl, size_t n, const uint8_t *cls_seen, SchedScorePrep *p)
{
    memset(p, 0, sizeof *p);
    p->skip[P_NODEAFFINITY] = st->spec->nnode_preferred == 0;
    p->skip[P_BALANCED] = st->w->best_effort;
    if (spread_prescore(st, fl, n, cls_seen, p) != SIM_OK || interpod_prescore(st, p) != SIM_OK)
        return sim_fail(st->e, SIM_ENOMEM, "out of memory scoring");
    return SIM_OK;
}

int64_t sched_raw_score(const SchedCycleState *st, const SchedScorePrep *p, int plugin, uint32_t li)
{
    const SchedRow *row = &st->rg->rows[li];
    const SchedRowRes *r = &st->rg->res[li];
    const SimRes *nz = &st->p->nz_req, *rq = &st->p->req;
    if (plugin < P_COUNT && p->skip[plugin])
        return 0;
    switch (plugin) {
    case P_TAINT: return st->w->cls[row->cls].tscore;
    case P_NODEAFFINITY:
        return st->w->pref_per_node
                   ? sched_node_pref_sum(st->e, st->spec, sim_region(st->e, st->rg->id)->nodes[li])
                   : st->w->cls[row->cls].pref;
    case P_FIT: return sched_least_score(r->nz_cpu + nz->cpu_m, r->alloc_cpu, r->nz_mem + nz->mem, r->alloc_mem);
    case P_SPREAD: return sched_sc_spread(p, li, row->cls);
    case P_INTERPOD: return sched_sc_interpod(p, li, row->cls);
    case P_BALANCED: return sched_balanced(r->req_cpu + rq->cpu_m, r->alloc_cpu, r->req_mem + rq->mem, r->alloc_mem);
    default: return 0;
    }
}

/* ---- NormalizeScore ---------------------------------------------------------------- */
/* upstream helper.DefaultNormalizeScore(MaxNodeScore, reverse). */
static void normalize_default(int64_t *scores, size_t n, int reverse)
{
    int64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (scores[i] > max)
            max = scores[i];
    double inv = max > 0 ? 1.0 / (double)max : 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v = max == 0 ? 0 : sched_div(SCHED_MAX_SCORE * scores[i], max, inv);
        scores[i] = reverse ? SCHED_MAX_SCORE - v : v;
    }
}

void sched_normalize_taint(int64_t *scores, size_t n) { normalize_default(scores, n, 1); }
void sched_normalize_nodeaff(int64_t *scores, size_t n) { normalize_default(scores, n, 0); }

/* Ignored nodes (raw -1) score 0; else 100 x (max + min - raw) / max, 100 for
 * all when max is 0. */
void sched_normalize_spread(int64_t *scores, size_t n)
{
    int64_t min = INT64_MAX, max = 0;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 0)
            continue;
        min = scores[i] < min ? scores[i] : min;
        max = scores[i] > max ? scores[i] : max;
    }
    double inv = max > 0 ? 1.0 / (double)max : 0;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 0)
            scores[i] = 0;
        else if (max == 0)
            scores[i] = SCHED_MAX_SCORE;
        else
            scores[i] = sched_div(SCHED_MAX_SCORE * (max + min - scores[i]), max, inv);
    }
}

/* int64(100 x (s - min) / (max - min)) in float64; 0 everywhere when equal. */
void sched_normalize_interpod(int64_t *scores, size_t n)
{
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        max = scores[i] > max ? scores[i] : max;
        min = scores[i] < min ? scores[i] : min;
    }
    for (size_t i = 0; i < n; i++) {
        double f = 0;
        if (max - min > 0)
            f = (double)SCHED_MAX_SCORE * ((double)(scores[i] - min) / (double)(max - min));
        scores[i] = (int64_t)f;
    }
}
