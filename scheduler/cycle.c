/*
 * cycle.c: one scheduling cycle (upstream schedule_one.go, sequentially):
 * PreFilter, the nominated node first, then Filter from the rotating start
 * index until numFeasibleNodesToFind feasible nodes are found, PreScore and
 * Score with NormalizeScore, Σ weight x score, and selectHost.
 *
 * Invariant: a cycle reads the cluster only through the region's rows, the
 * group counts and the workload's cached verdicts, all brought up to date
 * before the first node is filtered, and changes nothing but the rotating
 * start index and the tie-break RNG. The cycle state lives in the scheduler's
 * arena and is valid until the next sched_prepare.
 */
#include "scheduler/sched_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- PreFilter ------------------------------------------------------------ */
/* The local index of the node named name in the region, or SCHED_NONE. */
static uint32_t node_named(SchedScheduler *s, SchedRegion *rg, const char *name)
{
    const SimRegion *r = sim_region(s->e, rg->id);
    for (size_t i = 0; i < rg->nrows; i++)
        if (strcmp(sim_node(s->e, r->nodes[i])->name, name) == 0)
            return (uint32_t)i;
    return SCHED_NONE;
}

/* spec.nodeName and a DaemonSet pod's target node restrict the cycle to one
 * node. Simplification: every other node is reported under the restricting
 * plugin's reason (NodeName: "didn't match the requested node name"; the
 * DaemonSet's metadata.name affinity: NodeAffinity's), where upstream 1.28+
 * reports nodes left out by a PreFilter result as "didn't satisfy plugin(s)
 * [NodeAffinity]", and a pod with spec.nodeName never reaches the scheduler. */
static void prepare_only(SchedCycleState *st)
{
    st->only = SCHED_NONE;
    if (st->spec->node_name) {
        st->only = node_named(st->s, st->rg, st->spec->node_name);
        if (st->only == SCHED_NONE)
            st->only = SCHED_NONE - 1;   /* no such node: every node fails */
        st->only_reason = R_NODENAME;
    } else if (st->p->target_node != SIM_NONE) {
        st->only = sched_local(st->s, st->p->target_node);
        if (st->only == SCHED_NONE || st->only >= st->rg->nrows ||
            sim_node(st->e, st->p->target_node)->region != st->rg->id)
            st->only = SCHED_NONE - 1;
        st->only_reason = R_AFFINITY;
    }
}

int sched_prepare(SchedScheduler *s, uint32_t pod, SchedCycleState **out)
{
    SimEngine *e = s->e;
    const SimPod *p = sim_pod(e, pod);
    SchedWl *w = sched_wl(s, p->wl);
    SchedRegion *rg = sched_region(s, p->region);
    s->last = NULL;
    s->arena.cur = 0;
    s->arena.used = 0;
    if (w == NULL || rg == NULL || sched_region_sync(s, rg) != SIM_OK || sched_wl_classes(s, rg, w, p->wl) ||
        sched_wl_sym(s, rg, w, p->wl))
        return sim_fail(e, SIM_ENOMEM, "out of memory scheduling");
    SchedCycleState *st = sched_scratch(s, sizeof *st);
    if (st == NULL)
        return sim_fail(e, SIM_ENOMEM, "out of memory scheduling");
    memset(st, 0, sizeof *st);
    st->s = s;
    st->e = e;
    st->rg = rg;
    st->w = w;
    st->p = p;
    st->pod = pod;
    st->spec = &sim_workload(e, p->wl)->spec;
    prepare_only(st);
    if (sched_spread_prefilter(st) != SIM_OK || sched_interpod_prefilter(st) != SIM_OK)
        return sim_fail(e, SIM_ENOMEM, "out of memory scheduling");
    s->last = st;
    s->last_pod = pod;
    s->last_gen = rg->gen;
    *out = st;
    return SIM_OK;
}

/* ---- Filter ---------------------------------------------------------------- */
static inline uint32_t filter_node(const SchedCycleState *st, uint32_t li)
{
    const SchedRow *row = &st->rg->rows[li];
    if (st->only != SCHED_NONE && li != st->only)
        return st->only_reason;
    if ((row->flags & ROW_CORDONED) && !st->w->tol_unsched)
        return R_UNSCHEDULABLE;
    uint32_t v = st->w->cls[row->cls].filter;
    if (v != R_PASS)
        return v;
    if (st->w->aff_per_node &&
        !sched_node_affinity_matches(st->e, st->spec, sim_region(st->e, st->rg->id)->nodes[li]))
        return R_AFFINITY;
    if (st->p->zone_pin != SIM_NONE &&   /* the pod's own required zone (its StatefulSet volume's) */
        sim_node(st->e, sim_region(st->e, st->rg->id)->nodes[li])->zone != st->p->zone_pin)
        return R_AFFINITY;
    if (!st->skip_fit) {
        const SimRes *q = &st->p->req;
        if (row->flags & ROW_NOMINATED) {
            if ((v = sched_fit_code(st, row, li)) != R_PASS)
                return v;
        } else if (row->free_pods < 1 || q->cpu_m > row->free_cpu || q->mem > row->free_mem ||
                   q->gpu > row->free_gpu) {
            if ((v = sched_fit_code(st, row, li)) != R_PASS)   /* which resources, in upstream's order */
                return v;
        }
    }
    if (st->ndns && (v = sched_spread_filter(st, li, row)) != R_PASS)
        return v;
    if ((st->naff || st->nanti || st->nexist) && (v = sched_interpod_filter(st, li, row)) != R_PASS)
        return v;
    return R_PASS;
}

uint32_t sched_filter_one(const SchedCycleState *st, uint32_t li)
{
    return filter_node(st, li);
}

/* The failure histogram behind "0/N nodes are available: ...". */
#define MAX_HIST 32
typedef struct Hist {
    uint32_t code[MAX_HIST];
    uint32_t count[MAX_HIST];
    size_t n;
} Hist;

static void hist_add1(Hist *h, uint32_t code, uint32_t k)
{
    size_t i = 0;
    while (i < h->n && h->code[i] != code)
        i++;
    if (i == h->n) {
        if (h->n == MAX_HIST)
            return;
        h->code[h->n] = code;
        h->count[h->n++] = 0;
    }
    h->count[i] += k;
}

/* A node failing Fit on several resources counts once under each. */
static void hist_add(Hist *h, uint32_t code, uint32_t k)
{
    if (R_KIND(code) != R_FIT) {
        hist_add1(h, code, k);
        return;
    }
    for (uint32_t b = FIT_PODS; b <= FIT_GPU; b <<= 1)
        if (R_AUX(code) & b)
            hist_add1(h, R_MAKE(R_FIT, b), k);
}

typedef struct Item {
    char text[SCHED_REASON_LEN + 16];
} Item;

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const Item *)a)->text, ((const Item *)b)->text);
}

/* As upstream FitError.Error(): reasons with equal text merged, "<count>
 * <reason>" strings sorted as strings (so "10 ..." sorts before "2 ..."),
 * joined by ", ". */
static void hist_format(SimEngine *e, const Hist *h, uint32_t nodes, char *out, size_t len)
{
    Item items[MAX_HIST];
    char text[MAX_HIST][SCHED_REASON_LEN];
    uint32_t count[MAX_HIST];
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++) {
        char t[SCHED_REASON_LEN];
        sched_reason_text(e, h->code[i], t, sizeof t);
        size_t j = 0;
        while (j < n && strcmp(text[j], t) != 0)
            j++;
        if (j == n) {
            memcpy(text[n], t, sizeof t);
            count[n++] = 0;
        }
        count[j] += h->count[i];
    }
    for (size_t i = 0; i < n; i++)
        snprintf(items[i].text, sizeof items[i].text, "%u %.*s", count[i], SCHED_REASON_LEN - 1, text[i]);
    qsort(items, n, sizeof items[0], item_cmp);
    size_t used = (size_t)snprintf(out, len, "0/%u nodes are available", nodes);
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : ": ", items[i].text);
    if (used < len)
        snprintf(out + used, len - used, ".");
}

static void verdict_fail(SchedCycleState *st, SchedNodeVerdict *v, uint32_t code)
{
    v->examined = 1;
    v->passed = code == R_PASS;
    if (code != R_PASS) {
        v->plugin = st->s->plugins[sched_reason_plugin(code)].name;
        sched_reason_text(st->e, code, v->reason, sizeof v->reason);
    }
}

/* Filters one node for the only-node case (spec.nodeName, DaemonSet target). */
static uint32_t find_only(SchedCycleState *st, Hist *h, SchedResult *out, SchedNodeVerdict *v)
{
    SchedRegion *rg = st->rg;
    uint32_t others = rg->ready, nf = 0;
    if (st->only < rg->nrows && (rg->rows[st->only].flags & ROW_READY)) {
        others--;
        uint32_t code = filter_node(st, st->only);
        if (v)
            verdict_fail(st, &v[st->only], code);
        if (code == R_PASS) {
            st->s->feasible[nf++] = st->only;
        } else {
            hist_add(h, code, 1);
            out->rejected |= 1u << sched_reason_plugin(code);
        }
        out->examined = 1;
        if (rg->nrows)
            rg->next_start = (uint32_t)((rg->next_start + 1) % rg->nrows);
    }
    if (others) {
        hist_add(h, st->only_reason, others);
        out->rejected |= 1u << sched_reason_plugin(st->only_reason);
    }
    for (size_t i = 0; v && i < rg->nrows; i++)
        if (i != st->only && (rg->rows[i].flags & ROW_READY))
            verdict_fail(st, &v[i], st->only_reason);
    return nf;
}

/* Filters nodes from the rotating start until enough feasible ones are found. */
static uint32_t find_feasible(SchedCycleState *st, SchedResult *out, SchedNodeVerdict *v)
{
    SchedRegion *rg = st->rg;
    uint32_t *fl = st->s->feasible;
    Hist h = {.n = 0};
    uint32_t nf = 0;
    if (st->only != SCHED_NONE) {
        nf = find_only(st, &h, out, v);
    } else {
        uint32_t want = sched_num_feasible_to_find(rg->ready), examined = 0;
        uint32_t total = (uint32_t)rg->nrows, li = total ? rg->next_start % total : 0, i = 0;
        /* Without per-node plugins the verdict is the class's or Fit's: the
         * loop is inlined for them, other nodes take the general path. */
        int fast = v == NULL && !st->w->aff_per_node && !st->skip_fit && st->ndns == 0 && st->naff == 0 &&
                   st->nanti == 0 && st->nexist == 0 && st->p->zone_pin == SIM_NONE;
        const SchedRow *rows = rg->rows;
        const SchedWlCls *wc = st->w->cls;
        const SimRes q = st->p->req;
        for (; i < total && nf < want; i++, li = li + 1 == total ? 0 : li + 1) {
            const SchedRow *row = &rows[li];
            if (!(row->flags & ROW_READY))
                continue;
            examined++;
            uint32_t code;
            if (!fast || (row->flags & (ROW_CORDONED | ROW_NOMINATED)))
                code = filter_node(st, li);
            else if ((code = wc[row->cls].filter) == R_PASS &&
                     (row->free_pods < 1 || q.cpu_m > row->free_cpu || q.mem > row->free_mem ||
                      q.gpu > row->free_gpu))
                code = sched_fit_code(st, row, li);
            if (v)
                verdict_fail(st, &v[li], code);
            if (code == R_PASS) {
                fl[nf++] = li;
            } else {
                hist_add(&h, code, 1);
                out->rejected |= 1u << sched_reason_plugin(code);
            }
        }
        if (total)
            rg->next_start = li;
        out->examined = examined;
    }
    out->feasible = nf;
    if (nf == 0)
        hist_format(st->e, &h, rg->ready, out->reason, sizeof out->reason);
    return nf;
}

/* ---- Score ------------------------------------------------------------------ */
/* Normalizes one plugin's raw scores and adds weight x score to the totals. */
static void add_normalized(SchedScheduler *s, int plugin, int64_t *raw, uint32_t nf, void (*norm)(int64_t *, size_t),
                           SchedNodeVerdict *v)
{
    int64_t wt = s->plugins[plugin].weight;
    norm(raw, nf);
    for (uint32_t i = 0; i < nf; i++)
        s->total[i] += wt * raw[i];
    for (uint32_t i = 0; v && i < nf; i++)
        v[s->feasible[i]].scores[plugin] = raw[i];
}

/* The memo of the pod's shape (see SchedMemo), sized to the rows; NULL when
 * the region already memoizes SCHED_MEMO_SHAPES other shapes. */
static uint64_t *memo_of(SchedScheduler *s, SchedRegion *rg, const SimPod *p)
{
    SchedMemo *m = NULL;
    for (size_t i = 0; i < rg->nmemo && m == NULL; i++)
        if (rg->memo[i].nz_cpu == p->nz_req.cpu_m && rg->memo[i].nz_mem == p->nz_req.mem &&
            rg->memo[i].cpu == p->req.cpu_m && rg->memo[i].mem == p->req.mem)
            m = &rg->memo[i];
    if (m == NULL) {
        if (rg->nmemo == SCHED_MEMO_SHAPES)
            return NULL;
        m = &rg->memo[rg->nmemo++];
        *m = (SchedMemo){p->nz_req.cpu_m, p->nz_req.mem, p->req.cpu_m, p->req.mem, NULL, 0};
    }
    size_t old = m->cap;
    if (m->cap < rg->nrows) {
        if (sim_mem_grow(sim_mem(s->e), (void **)&m->ent, &m->cap, rg->nrows, sizeof *m->ent))
            return NULL;
        memset(m->ent + old, 0, (m->cap - old) * sizeof *m->ent);
    }
    return m->ent;
}

/* wf x LeastAllocated + wb x BalancedAllocation of the pod on a row. */
static inline int64_t fit_bal(const SchedCycleState *st, uint32_t li, int bal, int64_t wf, int64_t wb, int64_t *fit,
                              int64_t *bl)
{
    const SchedRowRes *r = &st->rg->res[li];
    const SchedClass *k = &st->rg->cls[st->rg->rows[li].cls];
    const SimRes *nz = &st->p->nz_req, *rq = &st->p->req;
    *fit = sched_least_score_h(r->nz_cpu + nz->cpu_m, r->alloc_cpu, r->nz_mem + nz->mem, r->alloc_mem, k->inv_cpu,
                               k->inv_mem);
    *bl = bal ? sched_balanced_h(r->req_cpu + rq->cpu_m, r->alloc_cpu, r->req_mem + rq->mem, r->alloc_mem,
                                 k->inv_cpu, k->inv_mem)
              : 0;
    return wf * *fit + wb * *bl;
}

/* Adds the normalized TaintToleration and PodTopologySpread scores to the
 * totals in one pass, through tables of the normalized value of each raw
 * value when the raw ranges are small (the usual case), else the plugins'
 * own NormalizeScore. */
static int add_taint_spread(SchedScheduler *s, int64_t *rt, int64_t *rs, uint32_t nf, SchedNodeVerdict *v,
                            int64_t tmax, int64_t smin, int64_t smax)
{
    if (v || tmax > 64 || (rs && smax - (smin == INT64_MAX ? 0 : smin) > 4096)) {
        if (rt)
            add_normalized(s, P_TAINT, rt, nf, sched_normalize_taint, v);
        if (rs)
            add_normalized(s, P_SPREAD, rs, nf, sched_normalize_spread, v);
        return SIM_OK;
    }
    int64_t ttab[65], *stab = NULL;
    for (int64_t t = 0; rt && t <= tmax; t++)   /* DefaultNormalizeScore, reversed */
        ttab[t] = tmax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE - SCHED_MAX_SCORE * t / tmax;
    if (rs && smin != INT64_MAX) {
        if ((stab = sched_scratch(s, (size_t)(smax - smin + 1) * sizeof *stab)) == NULL)
            return SIM_ENOMEM;
        for (int64_t x = smin; x <= smax; x++)
            stab[x - smin] = smax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE * (smax + smin - x) / smax;
    }
    int64_t wt = s->plugins[P_TAINT].weight, ws = s->plugins[P_SPREAD].weight;
    for (uint32_t i = 0; i < nf; i++) {
        int64_t add = rt ? wt * ttab[rt[i]] : 0;
        if (rs && rs[i] >= 0)
            add += ws * stab[rs[i] - smin];
        s->total[i] += add;
    }
    return SIM_OK;
}

/* explain: the scores known after the first pass (the normalized ones are
 * filled in when they are added). */
static void verdict_scores(SchedNodeVerdict *v, int64_t fit, int64_t bl, int taint)
{
    v->scores[P_FIT] = fit;
    v->scores[P_BALANCED] = bl;
    v->scores[P_TAINT] = taint ? 0 : SCHED_MAX_SCORE;
    v->scores[P_NODEAFFINITY] = v->scores[P_SPREAD] = v->scores[P_INTERPOD] = v->scores[P_IMAGE] = 0;
}

/* Raw scores of every plugin in one pass over the feasible nodes; Fit and
 * BalancedAllocation (no NormalizeScore) go straight into the totals, the
 * others into arrays normalized afterwards. A plugin whose normalized score
 * is the same on every node (TaintToleration without PreferNoSchedule taints:
 * 100; skipped plugins and ImageLocality: 0) is a constant. */
static int score_nodes(SchedCycleState *st, uint32_t nf, SchedNodeVerdict *v)
{
    SchedScheduler *s = st->s;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, &p) != SIM_OK)
        return SIM_ENOMEM;
    const SchedRow *rows = st->rg->rows;
    const SchedWl *w = st->w;
    int taint = w->any_tscore, aff = !p.skip[P_NODEAFFINITY], spread = !p.skip[P_SPREAD];
    int ipa = p.nhost > 0 || p.ipa_cls != NULL, bal = !p.skip[P_BALANCED];
    int64_t wf = s->plugins[P_FIT].weight, wb = s->plugins[P_BALANCED].weight, fit = 0, bl = 0;
    int64_t base = taint ? 0 : s->plugins[P_TAINT].weight * SCHED_MAX_SCORE;
    int64_t *rt = sched_scratch(s, nf * sizeof *rt), *ra = sched_scratch(s, nf * sizeof *ra);
    int64_t *rs = sched_scratch(s, nf * sizeof *rs), *ri = sched_scratch(s, nf * sizeof *ri);
    uint64_t *memo = v ? NULL : memo_of(s, st->rg, st->p);
    int64_t tmax = 0, smin = INT64_MAX, smax = 0;   /* over the raw scores, for the normalizations */
    if (rt == NULL || ra == NULL || rs == NULL || ri == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    for (uint32_t i = 0; i < nf; i++) {
        uint32_t li = s->feasible[i];
        const SchedRow *r = &rows[li];
        int64_t fb;
        if (memo && (memo[li] >> 32) == (uint64_t)r->ver + 1) {
            fb = (int64_t)(memo[li] & 0xffffffffu);
        } else {
            fb = fit_bal(st, li, bal, wf, wb, &fit, &bl);
            if (memo)
                memo[li] = ((uint64_t)r->ver + 1) << 32 | (uint32_t)fb;
        }
        s->total[i] = base + fb;
        if (taint) {
            rt[i] = w->cls[r->cls].tscore;
            tmax = rt[i] > tmax ? rt[i] : tmax;
        }
        if (aff)
            ra[i] = sched_raw_score(st, &p, P_NODEAFFINITY, li);
        if (spread) {
            int64_t x = rs[i] = sched_sc_spread(&p, li, r->cls);
            if (x >= 0) {
                smin = x < smin ? x : smin;
                smax = x > smax ? x : smax;
            }
        }
        if (ipa)
            ri[i] = sched_sc_interpod(&p, li, r->cls);
        if (v)
            verdict_scores(&v[li], fit, bl, taint);
    }
    if (add_taint_spread(s, taint ? rt : NULL, spread ? rs : NULL, nf, v, tmax, smin, smax) != SIM_OK)
        return SIM_ENOMEM;
    if (aff)
        add_normalized(s, P_NODEAFFINITY, ra, nf, sched_normalize_nodeaff, v);
    if (ipa)
        add_normalized(s, P_INTERPOD, ri, nf, sched_normalize_interpod, v);
    return SIM_OK;
}

/* ---- Score without explain ------------------------------------------------ */
/* The same sums as score_nodes (the reference, which explain runs), in short
 * passes over the feasible nodes instead of one pass that tests every plugin
 * on every node: Fit + BalancedAllocation from the shape's memo, then each
 * normalized plugin the pod needs. TaintToleration's raw score is a property
 * of the node's class, so its normalized value (with the base of the plugins
 * that score a constant) is looked up per class. */
typedef struct Pass {
    SchedCycleState *st;
    const SchedScorePrep *p;
    const uint32_t *fl;
    const uint16_t *cl;              /* the class of each feasible node */
    int64_t *tot;
    uint32_t nf;
} Pass;

/* tot = wf x LeastAllocated + wb x BalancedAllocation; cl = each node's class;
 * seen[c] = 1 for the classes present. */
static void pass_fit(Pass *ps, uint64_t *memo, uint16_t *cl, uint8_t *seen)
{
    SchedCycleState *st = ps->st;
    const SchedRow *rows = st->rg->rows;
    int bal = !ps->p->skip[P_BALANCED];
    int64_t wf = st->s->plugins[P_FIT].weight, wb = st->s->plugins[P_BALANCED].weight, fit, bl;
    for (uint32_t i = 0; i < ps->nf; i++) {
        uint32_t li = ps->fl[i];
        const SchedRow *r = &rows[li];
        uint64_t m = memo ? memo[li] : 0;
        int64_t fb;
        if ((m >> 32) == (uint64_t)r->ver + 1) {
            fb = (int64_t)(m & 0xffffffffu);
        } else {
            fb = fit_bal(st, li, bal, wf, wb, &fit, &bl);
            if (memo)
                memo[li] = ((uint64_t)r->ver + 1) << 32 | (uint32_t)fb;
        }
        ps->tot[i] = fb;
        cl[i] = r->cls;
        seen[r->cls] = 1;
    }
}

/* Adds the per-class constant: TaintToleration normalized (100 - raw x 100 /
 * max over the feasible nodes; 100 everywhere without PreferNoSchedule
 * taints) times its weight. */
static int pass_taint(Pass *ps, const uint8_t *seen)
{
    SchedCycleState *st = ps->st;
    const SchedWl *w = st->w;
    size_t ncls = st->rg->ncls;
    int64_t wt = st->s->plugins[P_TAINT].weight, tmax = 0;
    int64_t *cc = sched_scratch(st->s, (ncls + 1) * sizeof *cc);
    if (cc == NULL)
        return SIM_ENOMEM;
    for (size_t c = 0; w->any_tscore && c < ncls; c++)
        if (seen[c] && w->cls[c].tscore > tmax)
            tmax = w->cls[c].tscore;
    for (size_t c = 0; c < ncls; c++)
        cc[c] = wt * (tmax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE - SCHED_MAX_SCORE * w->cls[c].tscore / tmax);
    for (uint32_t i = 0; i < ps->nf; i++)
        ps->tot[i] += cc[ps->cl[i]];
    return SIM_OK;
}

/* PodTopologySpread: raw scores, then 100 x (max + min - raw) / max for the
 * nodes not ignored (raw -1 scores 0), through a table of the normalized
 * value of each raw value when the range is small. */
static int pass_spread(Pass *ps, int64_t *rs)
{
    SchedScheduler *s = ps->st->s;
    int64_t smin = INT64_MAX, smax = 0, ws = s->plugins[P_SPREAD].weight;
    for (uint32_t i = 0; i < ps->nf; i++) {
        int64_t x = rs[i] = sched_sc_spread(ps->p, ps->fl[i], ps->cl[i]);
        if (x >= 0) {
            smin = x < smin ? x : smin;
            smax = x > smax ? x : smax;
        }
    }
    if (smin == INT64_MAX)
        return SIM_OK;   /* every node ignored: 0 everywhere */
    if (smax - smin > 4096) {
        sched_normalize_spread(rs, ps->nf);
        for (uint32_t i = 0; i < ps->nf; i++)
            ps->tot[i] += ws * rs[i];
        return SIM_OK;
    }
    int64_t *tab = sched_scratch(s, (size_t)(smax - smin + 2) * sizeof *tab);
    if (tab == NULL)
        return SIM_ENOMEM;
    for (int64_t x = smin; x <= smax; x++)
        tab[x - smin + 1] = ws * (smax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE * (smax + smin - x) / smax);
    tab[0] = 0;   /* ignored nodes (raw -1) */
    for (uint32_t i = 0; i < ps->nf; i++)
        ps->tot[i] += tab[rs[i] < 0 ? 0 : rs[i] - smin + 1];
    return SIM_OK;
}

/* NodeAffinity and InterPodAffinity: raw scores, the plugin's NormalizeScore,
 * weight x score. */
static void pass_other(Pass *ps, int plugin, int64_t *raw)
{
    SchedCycleState *st = ps->st;
    for (uint32_t i = 0; i < ps->nf; i++)
        raw[i] = plugin == P_INTERPOD ? sched_sc_interpod(ps->p, ps->fl[i], ps->cl[i])
                                      : sched_raw_score(st, ps->p, plugin, ps->fl[i]);
    if (plugin == P_INTERPOD)
        sched_normalize_interpod(raw, ps->nf);
    else
        sched_normalize_nodeaff(raw, ps->nf);
    int64_t wt = st->s->plugins[plugin].weight;
    for (uint32_t i = 0; i < ps->nf; i++)
        ps->tot[i] += wt * raw[i];
}

static int score_fast(SchedCycleState *st, uint32_t nf)
{
    SchedScheduler *s = st->s;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, &p) != SIM_OK)
        return SIM_ENOMEM;
    size_t ncls = st->rg->ncls;
    uint16_t *cl = sched_scratch(s, nf * sizeof *cl);
    uint8_t *seen = sched_scratch(s, ncls + 1);
    int64_t *raw = sched_scratch(s, nf * sizeof *raw);
    uint64_t *memo = memo_of(s, st->rg, st->p);
    if (cl == NULL || seen == NULL || raw == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    memset(seen, 0, ncls + 1);
    Pass ps = {st, &p, s->feasible, cl, s->total, nf};
    pass_fit(&ps, memo, cl, seen);
    int rc = pass_taint(&ps, seen);
    if (rc == SIM_OK && !p.skip[P_SPREAD])
        rc = pass_spread(&ps, raw);
    if (rc != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    if (!p.skip[P_NODEAFFINITY])
        pass_other(&ps, P_NODEAFFINITY, raw);
    if (p.nhost > 0 || p.ipa_cls != NULL)
        pass_other(&ps, P_INTERPOD, raw);
    return SIM_OK;
}

/* select_host in one pass: the indices of the nodes equal to the running
 * maximum are kept as they come (a new maximum restarts the list), so the
 * k-th tie is an array read. */
static uint32_t select_fast(SchedScheduler *s, uint32_t nf)
{
    const int64_t *t = s->total;
    uint32_t *tie = (uint32_t *)(void *)s->raw, nt = 0;
    int64_t best = INT64_MIN;
    for (uint32_t i = 0; i < nf; i++) {
        if (t[i] > best) {
            best = t[i];
            nt = 0;
        }
        tie[nt] = i;
        nt += t[i] == best;
    }
    return tie[nt > 1 ? sim_rng_below(sim_rng(s->e, SIM_RNG_SCHED), nt) : 0];
}

/* Highest total wins; equal maxima are chosen uniformly (upstream selectHost
 * samples the reservoir of equal maxima), with one draw of the scheduler's
 * seeded stream when there is a tie. */
static uint32_t select_host(SchedScheduler *s, uint32_t nf)
{
    const int64_t *t = s->total;
    int64_t best = t[0];
    uint32_t ties = 0;
    for (uint32_t i = 1; i < nf; i++)
        best = t[i] > best ? t[i] : best;
    for (uint32_t i = 0; i < nf; i++)
        ties += t[i] == best;
    uint64_t k = ties > 1 ? sim_rng_below(sim_rng(s->e, SIM_RNG_SCHED), ties) : 0;
    for (uint32_t i = 0; i < nf; i++)
        if (t[i] == best && k-- == 0)
            return i;
    return 0;
}

/* The per-cycle arrays over feasible nodes, one allocation so one capacity
 * describes all three. */
static int scratch_reserve(SchedScheduler *s, size_t n)
{
    if (n <= s->capf)
        return SIM_OK;
    size_t cap = s->capf ? s->capf : 64;
    while (cap < n)
        cap *= 2;
    const size_t each = sizeof(int64_t) * 2 + sizeof(uint32_t);
    char *b = sim_mem_alloc(sim_mem(s->e), cap * each);
    if (b == NULL)
        return SIM_ENOMEM;
    sim_mem_free(sim_mem(s->e), s->total, s->capf * each);
    s->total = (int64_t *)(void *)b;
    s->raw = s->total + cap;
    s->feasible = (uint32_t *)(void *)(s->raw + cap);
    s->capf = cap;
    return SIM_OK;
}

/* Upstream evaluateNominatedNode: a pod nominated by preemption tries that
 * node first and takes it if it passes every filter. */
static int try_nominated(SchedCycleState *st, SchedResult *out)
{
    uint32_t nn = st->p->nominated_node;
    if (nn == SIM_NONE || st->only != SCHED_NONE)
        return 0;
    uint32_t li = sched_local(st->s, nn);
    if (li == SCHED_NONE || li >= st->rg->nrows || !(st->rg->rows[li].flags & ROW_READY) ||
        sim_node(st->e, nn)->region != st->rg->id || filter_node(st, li) != R_PASS)
        return 0;
    out->node = nn;
    out->feasible = out->examined = 1;
    return 1;
}

static int run_cycle(SchedScheduler *s, uint32_t pod, SchedResult *out, SchedNodeVerdict *v)
{
    SchedCycleState *st;
    memset(out, 0, sizeof *out);
    out->node = SIM_NONE;
    int rc = sched_prepare(s, pod, &st);
    if (rc != SIM_OK)
        return rc;
    if (scratch_reserve(s, st->rg->nrows + 1) != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scheduling");
    int nominated = try_nominated(st, out);
    if (nominated && v == NULL)
        return SIM_OK;
    uint32_t nf = find_feasible(st, out, v);
    const SimRegion *r = sim_region(s->e, st->rg->id);
    if (nominated) {   /* explain: every node reported, the nominated node taken */
        out->node = sim_pod(s->e, pod)->nominated_node;
        return SIM_OK;
    }
    if (nf == 0)
        return SIM_OK;
    if (nf == 1 && v == NULL) {   /* upstream skips scoring when one node is feasible */
        out->node = r->nodes[s->feasible[0]];
        return SIM_OK;
    }
    if (v == NULL) {
        if (score_fast(st, nf) != SIM_OK)
            return SIM_ENOMEM;
        out->node = r->nodes[s->feasible[select_fast(s, nf)]];
        return SIM_OK;
    }
    if (score_nodes(st, nf, v) != SIM_OK)
        return SIM_ENOMEM;
    out->node = r->nodes[s->feasible[nf == 1 ? 0 : select_host(s, nf)]];
    for (uint32_t i = 0; v && i < nf; i++)
        v[s->feasible[i]].total = s->total[i];
    return SIM_OK;
}

int sched_place(SchedScheduler *s, uint32_t pod, SchedResult *out)
{
    return run_cycle(s, pod, out, NULL);
}

int sched_explain(SchedScheduler *s, uint32_t pod, SchedNodeVerdict *v, size_t nv, SchedResult *out)
{
    const SimRegion *r = sim_region(s->e, sim_pod(s->e, pod)->region);
    if (nv < r->nnodes)
        return sim_fail(s->e, SIM_EINVAL, "explain: %zu verdicts for %zu nodes", nv, r->nnodes);
    for (size_t i = 0; i < r->nnodes; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].node = r->nodes[i];
        for (size_t k = 0; k < SCHED_MAX_PLUGINS; k++)
            v[i].scores[k] = -1;
    }
    return run_cycle(s, pod, out, v);
}

int sched_filter_node(SchedScheduler *s, uint32_t pod, uint32_t node, int skip_fit, char *reason, size_t len,
                      const char **plugin)
{
    const SimPod *p = sim_pod(s->e, pod);
    SchedRegion *rg = sched_region(s, p->region);
    SchedCycleState *st = s->last;
    if (rg == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory");
    if (st == NULL || s->last_pod != pod || s->last_gen != rg->gen || sched_region_sync(s, rg) != SIM_OK ||
        s->last_gen != rg->gen) {
        int rc = sched_prepare(s, pod, &st);
        if (rc != SIM_OK)
            return rc;
    }
    uint32_t li = sched_local(s, node);
    *plugin = NULL;
    if (reason && len)
        reason[0] = '\0';
    if (li == SCHED_NONE || li >= rg->nrows || sim_node(s->e, node)->region != rg->id)
        return sim_fail(s->e, SIM_EINVAL, "node %u is not in the pod's region", node);
    st->skip_fit = (uint8_t)(skip_fit != 0);
    uint32_t code = filter_node(st, li);
    st->skip_fit = 0;
    if (code == R_PASS)
        return 1;
    *plugin = s->plugins[sched_reason_plugin(code)].name;
    if (reason && len)
        sched_reason_text(s->e, code, reason, len);
    return 0;
}

/* ---- nominated pods ------------------------------------------------------ */
static void nominated_mark(SchedScheduler *s, SchedRegion *rg, uint8_t on)
{
    for (size_t i = 0; i < rg->nnom; i++) {
        const SimPod *p = sim_pod(s->e, rg->nominated[i]);
        uint32_t li = p->nominated_node == SIM_NONE ? SCHED_NONE : sched_local(s, p->nominated_node);
        if (li != SCHED_NONE && li < rg->nrows)
            rg->rows[li].flags = (uint8_t)(on ? rg->rows[li].flags | ROW_NOMINATED
                                              : rg->rows[li].flags & ~ROW_NOMINATED);
    }
}

/* Keeps the region's list of Pending pods with a nominated node: pod is added
 * when it is Pending with one, dropped otherwise. */
void sched_nominated_update(SchedScheduler *s, SchedRegion *rg, uint32_t pod)
{
    const SimPod *p = sim_pod(s->e, pod);
    int want = p->phase == SIM_POD_PENDING && p->nominated_node != SIM_NONE;
    size_t i = 0;
    while (i < rg->nnom && rg->nominated[i] != pod)
        i++;
    if (!want && i == rg->nnom)
        return;
    nominated_mark(s, rg, 0);
    if (!want)
        rg->nominated[i] = rg->nominated[--rg->nnom];
    else if (i == rg->nnom && sim_mem_grow(sim_mem(s->e), (void **)&rg->nominated, &rg->capnom, rg->nnom + 1,
                                           sizeof *rg->nominated) == SIM_OK)
        rg->nominated[rg->nnom++] = pod;
    nominated_mark(s, rg, 1);
    rg->gen++;
}
