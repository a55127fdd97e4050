/*
 * interpod.c: InterPodAffinity (k8s-behaviour.md §3.8; upstream
 * plugins/interpodaffinity).
 *
 * Filter: the incoming pod's required affinity terms must each see, in the
 * node's domain, an existing pod that matches all of its terms (upstream
 * counts a pod for the affinity map only when it matches every term) -
 * unless no such pod exists anywhere and the pod matches its own terms (the
 * first pod of a group); its required anti-affinity terms must see no
 * matching pod in the domain; and no existing pod whose required
 * anti-affinity term selects the incoming pod may be in the node's domain
 * of that term's key.
 * Score: Σ weight x matching pods in the node's domain over the incoming
 * pod's preferred terms (anti negative) and, symmetrically, the existing
 * pods' required affinity (HardPodAffinityWeight 1) and preferred terms that
 * select the incoming pod; normalized 100 x (s - min) / (max - min).
 *
 * Terms select pods of the term owner's namespace (namespaces and
 * namespaceSelector are not modelled). Counts come from the group index.
 */
#include "scheduler/sched_int.h"

/* A view of group g over the domains of key k, counting every node. */
int sched_view_all(SchedCycleState *st, SchedView *v, uint32_t group, uint32_t key)
{
    SchedRegion *rg = st->rg;
    const SchedGroup *g = &rg->groups[group];
    const SchedKey *k = &rg->keys[key];
    memset(v, 0, sizeof *v);
    v->key = key;
    if (k->per_node) {
        v->node = g->cnt_node;
        return SIM_OK;
    }
    int64_t *dom = sched_scratch(st->s, (k->ndom + 1) * sizeof *dom);
    if (dom == NULL)
        return SIM_ENOMEM;
    memset(dom, 0, (k->ndom + 1) * sizeof *dom);
    for (uint32_t c = 0; c < rg->ncls; c++)
        if (k->cls_dom[c] != SCHED_NONE)
            dom[k->cls_dom[c]] += g->cnt_class[c];
    v->dom = dom;
    v->cls_dom = k->cls_dom;
    return SIM_OK;
}

/* Does any pod of the view sit on a node that has the key? */
static int view_any(const SchedRegion *rg, const SchedView *v, uint32_t group)
{
    if (v->node)
        return rg->groups[group].total > 0;
    for (uint32_t d = 0; d < rg->keys[v->key].ndom; d++)
        if (v->dom[d] > 0)
            return 1;
    return 0;
}

static int terms_views(SchedCycleState *st, const SchedTerm *t, size_t n, SchedView **out)
{
    if (n == 0)
        return SIM_OK;
    if ((*out = sched_scratch(st->s, n * sizeof **out)) == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (sched_view_all(st, &(*out)[i], t[i].group, t[i].key) != SIM_OK)
            return SIM_ENOMEM;
    return SIM_OK;
}

static int existing_views(SchedCycleState *st)
{
    const SchedWl *w = st->w;
    size_t n = 0;
    for (size_t i = 0; i < w->nsym; i++)
        n += st->rg->carriers[w->sym[i]].kind == CARRY_REQ_ANTI;
    if (n == 0)
        return SIM_OK;
    if ((st->exist = sched_scratch(st->s, n * sizeof *st->exist)) == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < w->nsym; i++) {
        const SchedCarrier *c = &st->rg->carriers[w->sym[i]];
        if (c->kind == CARRY_REQ_ANTI && sched_view_all(st, &st->exist[st->nexist++], c->group, c->key) != SIM_OK)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

int sched_interpod_prefilter(SchedCycleState *st)
{
    const SchedWl *w = st->w;
    st->naff = st->nanti = st->nexist = 0;
    if (w->nreq_aff) {
        if ((st->aff = sched_scratch(st->s, w->nreq_aff * sizeof *st->aff)) == NULL)
            return SIM_ENOMEM;
        st->aff_empty = 1;
        for (size_t i = 0; i < w->nreq_aff; i++) {
            if (sched_view_all(st, &st->aff[i], w->aff_group, w->req_aff[i].key) != SIM_OK)
                return SIM_ENOMEM;
            if (view_any(st->rg, &st->aff[i], w->aff_group))
                st->aff_empty = 0;
        }
        st->naff = w->nreq_aff;
    }
    if (terms_views(st, w->req_anti, w->nreq_anti, &st->anti) != SIM_OK)
        return SIM_ENOMEM;
    st->nanti = w->nreq_anti;
    if (existing_views(st) != SIM_OK)
        return SIM_ENOMEM;
    st->host_only = st->ndns == 0 && st->naff == 0;
    for (size_t i = 0; i < st->nanti; i++)
        st->host_only &= st->anti[i].node != NULL;
    for (size_t i = 0; i < st->nexist; i++)
        st->host_only &= st->exist[i].node != NULL;
    return SIM_OK;
}

