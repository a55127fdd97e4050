/*
 * rank.c: the Score phase of a cycle without explain (sched_place): the same
 * sums as cycle.c's score_nodes, the reference that explain runs, in as few
 * passes over the feasible nodes as the normalizations allow, instead of
 * one pass that tests every plugin on every node:
 * - Fit + BalancedAllocation come from the shape's memo (SchedMemo) while
 *   the node's row has not changed;
 * - TaintToleration's raw score is a property of the node's class, so its
 *   normalized value is looked up per class (the classes present are known
 *   from the filter loop);
 * - PodTopologySpread in its common shape (the system defaults) is read
 *   from a table per (count, class) pair, else computed per node and
 *   normalized through a table of its raw values;
 * - NodeAffinity and InterPodAffinity, when the pod has them, take a pass
 *   each;
 * - the last pass adds the remaining terms and selects the host; a pod with
 *   none of the normalized plugins beyond TaintToleration is scored and
 *   placed in one pass.
 *
 * Invariant: every total is the int64 upstream computes, term by term, so
 * the host (and the seeded draw among ties) is explain's; the differential
 * test place_matches_reference_path_on_random_clusters holds them together.
 */
#include "scheduler/sched_int.h"

/* ---- the memo ------------------------------------------------------------- */
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

/* When the shape's memo has no entry for the row's version. */
int64_t sched_fit_miss(const SchedCycleState *st, uint64_t *memo, const SchedRow *r, uint32_t li)
{
    int64_t fit, bl, fb = sched_fit_bal(st, li, !st->w->best_effort, st->s->plugins[P_FIT].weight,
                                        st->s->plugins[P_BALANCED].weight, &fit, &bl);
    if (memo)
        memo[li] = ((uint64_t)r->ver + 1) << 32 | (uint32_t)fb;
    return fb;
}

/* ---- the passes ----------------------------------------------------------- */
typedef struct Pass {
    SchedCycleState *st;
    const SchedScorePrep *p;
    const uint32_t *fl;
    uint32_t nf;
    const uint8_t *seen;             /* the classes present among the feasible nodes */
    uint64_t *memo;                  /* the shape's memo, or NULL */
    const int64_t *cc;               /* per class: the TaintToleration term */
    int64_t *tot;                    /* the totals so far */
    int64_t *rs;                     /* PodTopologySpread raw scores, or NULL */
    const int64_t *stab;             /* ... their weighted normalized values, [0] for ignored nodes */
    int64_t smin;
} Pass;

/* TaintToleration normalized (100 - raw x 100 / max over the feasible nodes;
 * 100 everywhere without PreferNoSchedule taints) times its weight, per class. */
static int pass_taint(Pass *ps)
{
    SchedCycleState *st = ps->st;
    const SchedWl *w = st->w;
    const uint8_t *seen = ps->seen;
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
    ps->cc = cc;
    return SIM_OK;
}

/* Fit + BalancedAllocation of a feasible node plus its class's constant. */
static inline int64_t first_term(const Pass *ps, const SchedRow *row, uint32_t li)
{
    uint64_t m = ps->memo ? ps->memo[li] : 0;
    int64_t fb = (m >> 32) == (uint64_t)row->ver + 1 ? (int64_t)(m & 0xffffffffu) : sched_fit_miss(ps->st, ps->memo, row, li);
    return fb + ps->cc[row->cls];
}

/* The first pass of a pod with PodTopologySpread, NodeAffinity or
 * InterPodAffinity scores: the totals so far and the raw spread scores. */
static void pass_first(Pass *ps, int64_t *smin, int64_t *smax)
{
    const SchedRow *rows = ps->st->rg->rows;
    int64_t lo = INT64_MAX, hi = 0;
    for (uint32_t i = 0; i < ps->nf; i++) {
        uint32_t li = ps->fl[i];
        const SchedRow *row = &rows[li];
        ps->tot[i] = first_term(ps, row, li);
        if (ps->rs) {
            int64_t x = ps->rs[i] = sched_sc_spread(ps->p, li, row->cls);
            if (x >= 0) {
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
        }
    }
    *smin = lo;
    *smax = hi;
}

/* PodTopologySpread after the first pass: a table of the weighted normalized
 * value of each raw value, 100 x (max + min - raw) / max, with tab[0] for
 * the ignored nodes (raw -1), which score 0. A range too wide for a table
 * is normalized in place and added at once. */
static int spread_table(Pass *ps, int64_t smin, int64_t smax)
{
    SchedScheduler *s = ps->st->s;
    int64_t ws = s->plugins[P_SPREAD].weight, *rs = ps->rs;
    ps->rs = NULL;
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
    tab[0] = 0;
    for (int64_t x = smin; x <= smax; x++)
        tab[x - smin + 1] = ws * (smax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE * (smax + smin - x) / smax);
    ps->rs = rs;
    ps->stab = tab;
    ps->smin = smin;
    return SIM_OK;
}

/* PodTopologySpread in its common shape (the system defaults: a hostname
 * term of the node's count n of the group's pods and a term of its class c;
 * SchedScorePrep.sa_cls): a node's raw score is R(n, c), and the feasible
 * nodes share a few dozen (n, c) pairs. The first pass marks the pairs
 * present (byte stores, no chains of loads and stores) and keeps each
 * node's pair; the range the normalization needs is then taken over the
 * pairs present, and one table holds, per pair, the class's TaintToleration
 * term plus the weighted normalized score. No float work per node. Counts
 * of SPAN_N or more, or too many classes, take the general path. */
enum { SPANS_ADDED = 1, SPANS_WIDE = 2 };   /* score_spans' outcomes besides SIM_OK */
enum { SPAN_N = SCHED_SPAN_N, SPAN_MAX_CLS = SCHED_SPAN_MAX_CLS };
typedef struct Span {
    uint8_t *pres;                   /* [c x SPAN_N + n]: the pair is present */
    uint32_t *key;                   /* per feasible node: its pair's index */
    int64_t *tab;                    /* per pair: cc[c] + weighted normalized R(n, c) */
    uint32_t nmax;                   /* the greatest n */
} Span;

/* First pass: tot = Fit + BalancedAllocation, and the pairs. Returns 0 when a
 * count is SPAN_N or more. */
static int span_first(const Pass *ps, Span *sp)
{
    const SchedRow *rows = ps->st->rg->rows;
    const uint32_t *fl = ps->fl, *cnt = ps->p->sa[0].node;
    uint64_t *memo = ps->memo;
    int64_t *tot = ps->tot;
    uint8_t *pres = sp->pres;
    uint32_t *key = sp->key, nmax = 0;
    for (uint32_t i = 0, n = ps->nf; i < n; i++) {
        uint32_t li = fl[i], k = cnt[li];
        const SchedRow *row = &rows[li];
        uint64_t m = memo ? memo[li] : 0;
        tot[i] = (m >> 32) == (uint64_t)row->ver + 1 ? (int64_t)(m & 0xffffffffu) : sched_fit_miss(ps->st, memo, row, li);
        nmax = k > nmax ? k : nmax;
        key[i] = (uint32_t)row->cls * SPAN_N + (k & (SPAN_N - 1));
        pres[key[i]] = 1;
    }
    sp->nmax = nmax;
    return nmax < SPAN_N;
}

/* The table over the pairs present. */
static int span_table(const Pass *ps, Span *sp)
{
    const SchedScorePrep *p = ps->p;
    size_t ncls = ps->st->rg->ncls;
    int64_t smin = INT64_MAX, smax = 0, ws = ps->st->s->plugins[P_SPREAD].weight;
    if ((sp->tab = sched_scratch(ps->st->s, (ncls * SPAN_N + 1) * sizeof *sp->tab)) == NULL)
        return SIM_ENOMEM;
    for (size_t c = 0; c < ncls; c++)
        for (uint32_t n = 0; ps->seen[c] && n <= sp->nmax; n++)
            if (sp->pres[c * SPAN_N + n]) {
                int64_t x = sp->tab[c * SPAN_N + n] = sched_sc_spread_nc(p, n, (uint16_t)c);
                smin = x < smin ? x : smin;
                smax = x > smax ? x : smax;
            }
    for (size_t c = 0; c < ncls; c++)
        for (uint32_t n = 0; ps->seen[c] && n <= sp->nmax; n++)
            if (sp->pres[c * SPAN_N + n]) {
                int64_t x = sp->tab[c * SPAN_N + n];
                sp->tab[c * SPAN_N + n] =
                    ps->cc[c] + ws * (smax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE * (smax + smin - x) / smax);
            }
    return SIM_OK;
}

/* The pass that adds the table's terms to the totals (before NodeAffinity or
 * InterPodAffinity); the select pass then adds nothing. */
static void span_add(const Pass *ps, const Span *sp)
{
    for (uint32_t i = 0, n = ps->nf; i < n; i++)
        ps->tot[i] += sp->tab[sp->key[i]];
}

/* NodeAffinity: raw scores, its NormalizeScore, weight x score. */
static void pass_other(Pass *ps, int plugin, int64_t *raw)
{
    SchedCycleState *st = ps->st;
    for (uint32_t i = 0; i < ps->nf; i++)
        raw[i] = sched_raw_score(st, ps->p, plugin, ps->fl[i]);
    sched_normalize_nodeaff(raw, ps->nf);
    int64_t wt = st->s->plugins[plugin].weight;
    for (uint32_t i = 0; i < ps->nf; i++)
        ps->tot[i] += wt * raw[i];
}

/* InterPodAffinity: raw scores and their range, then NormalizeScore's
 * int64(100 x ((raw - min) / (max - min))) times the weight, computed once
 * per distinct raw value (nodes share a few: counts of a few groups) when
 * the range is small, else by sched_normalize_interpod. */
static int pass_interpod(Pass *ps, int64_t *raw)
{
    const SchedRow *rows = ps->st->rg->rows;
    int64_t lo = INT64_MAX, hi = INT64_MIN, wt = ps->st->s->plugins[P_INTERPOD].weight;
    for (uint32_t i = 0; i < ps->nf; i++) {
        int64_t x = raw[i] = sched_sc_interpod(ps->p, ps->fl[i], rows[ps->fl[i]].cls);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (hi - lo <= 0)
        return SIM_OK;   /* 0 everywhere */
    if ((uint64_t)(hi - lo) >= 4u * ps->nf) {
        sched_normalize_interpod(raw, ps->nf);
        for (uint32_t i = 0; i < ps->nf; i++)
            ps->tot[i] += wt * raw[i];
        return SIM_OK;
    }
    int64_t *tab = sched_scratch(ps->st->s, (size_t)(hi - lo + 1) * sizeof *tab);
    if (tab == NULL)
        return SIM_ENOMEM;
    for (int64_t x = 0; x <= hi - lo; x++)
        tab[x] = -1;
    for (uint32_t i = 0; i < ps->nf; i++) {
        int64_t x = raw[i] - lo;
        if (tab[x] < 0)
            tab[x] = wt * (int64_t)((double)SCHED_MAX_SCORE * ((double)x / (double)(hi - lo)));
        ps->tot[i] += tab[x];
    }
    return SIM_OK;
}

/* select_host as a pass keeps the indices of the nodes equal to the running
 * maximum as they come (a new maximum restarts the list), so the seeded draw
 * among the ties is an array read. */
#define SELECT_STEP(t)      \
    do {                    \
        if ((t) > best) {   \
            best = (t);     \
            nt = 0;         \
        }                   \
        tie[nt] = i;        \
        nt += (t) == best;  \
    } while (0)

static uint32_t select_tie(const Pass *ps, const uint32_t *tie, uint32_t nt)
{
    return tie[nt > 1 ? sim_rng_below(sim_rng(ps->st->e, SIM_RNG_SCHED), nt) : 0];
}

/* The last pass: the totals plus PodTopologySpread's table, and the host. */
static uint32_t pass_select(const Pass *ps)
{
    const int64_t *tot = ps->tot, *rs = ps->rs, *stab = ps->stab;
    const int64_t smin1 = ps->smin - 1;
    uint32_t *tie = (uint32_t *)(void *)ps->st->s->raw, nt = 0, n = ps->nf;
    int64_t best = INT64_MIN;
    if (rs) {
        for (uint32_t i = 0; i < n; i++) {
            int64_t t = tot[i] + stab[rs[i] < 0 ? 0 : rs[i] - smin1];
            SELECT_STEP(t);
        }
    } else {
        for (uint32_t i = 0; i < n; i++)
            SELECT_STEP(tot[i]);
    }
    return select_tie(ps, tie, nt);
}

/* The last pass of the spans' path: the totals plus the table's term. */
static uint32_t span_select(const Pass *ps, const Span *sp)
{
    const uint32_t *key = sp->key;
    const int64_t *tot = ps->tot, *tab = sp->tab;
    uint32_t *tie = (uint32_t *)(void *)ps->st->s->raw, nt = 0, n = ps->nf;
    int64_t best = INT64_MIN;
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = tot[i] + tab[key[i]];
        SELECT_STEP(t);
    }
    return select_tie(ps, tie, nt);
}

/* The one pass of a pod scored by Fit, BalancedAllocation and the class
 * constants alone. */
static uint32_t pass_only(const Pass *ps)
{
    const SchedRow *rows = ps->st->rg->rows;
    const uint32_t *fl = ps->fl;
    uint32_t *tie = (uint32_t *)(void *)ps->st->s->raw, nt = 0, n = ps->nf;
    int64_t best = INT64_MIN;
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = first_term(ps, &rows[fl[i]], fl[i]);
        SELECT_STEP(t);
    }
    return select_tie(ps, tie, nt);
}

/* Spread in its common shape through the (count, class) pairs: SIM_OK with
 * the host chosen; SPANS_ADDED when other plugins are to follow (other), the
 * spread and class terms added to the totals; SPANS_WIDE, having changed
 * nothing but the totals, when a count or the classes are too many for the
 * table; or SIM_ENOMEM. */
static int score_spans(Pass *ps, int other, uint32_t *chosen)
{
    SchedScheduler *s = ps->st->s;
    size_t ncls = ps->st->rg->ncls;
    if (ncls > SPAN_MAX_CLS)
        return SPANS_WIDE;
    Span sp = {sched_scratch(s, ncls * SPAN_N + 1), sched_scratch(s, (ps->nf + 1) * sizeof *sp.key), NULL, 0};
    if (sp.pres == NULL || sp.key == NULL)
        return SIM_ENOMEM;
    memset(sp.pres, 0, ncls * SPAN_N);
    if (!span_first(ps, &sp))
        return SPANS_WIDE;
    if (span_table(ps, &sp) != SIM_OK)
        return SIM_ENOMEM;
    if (other) {
        span_add(ps, &sp);
        return SPANS_ADDED;
    }
    *chosen = span_select(ps, &sp);
    return SIM_OK;
}

int sched_score_place(SchedCycleState *st, uint32_t nf, const uint8_t *seen, uint32_t *chosen)
{
    SchedScheduler *s = st->s;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, seen, &p) != SIM_OK)
        return SIM_ENOMEM;
    Pass ps = {.st = st, .p = &p, .fl = s->feasible, .nf = nf, .seen = seen, .tot = s->total};
    ps.memo = memo_of(s, st->rg, st->p);
    int spread = !p.skip[P_SPREAD], aff = !p.skip[P_NODEAFFINITY], ipa = p.nhost > 0 || p.ipa_cls != NULL;
    if (pass_taint(&ps) != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    if (!spread && !aff && !ipa) {
        *chosen = pass_only(&ps);
        return SIM_OK;
    }
    int rc = spread && p.sa_cls ? score_spans(&ps, aff || ipa, chosen) : SPANS_WIDE;
    if (rc == SIM_OK)
        return SIM_OK;
    if (rc == SIM_ENOMEM)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    if (rc == SPANS_WIDE) {   /* the general path: every term from scratch */
        int64_t smin, smax;
        if (spread && (ps.rs = sched_scratch(s, nf * sizeof *ps.rs)) == NULL)
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
        pass_first(&ps, &smin, &smax);
        if (spread && spread_table(&ps, smin, smax) != SIM_OK)
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    }
    int64_t *raw = aff || ipa ? sched_scratch(s, nf * sizeof *raw) : NULL;
    if ((aff || ipa) && raw == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    if (aff)
        pass_other(&ps, P_NODEAFFINITY, raw);
    if (ipa && pass_interpod(&ps, raw) != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    *chosen = pass_select(&ps);
    return SIM_OK;
}

/* ---- scoring in the filter loop (see SchedBest) ---------------------------- */
/* Is the pod's score the first term plus a constant per key? Its
 * InterPodAffinity score is 0 everywhere when the only terms that select it
 * are existing pods' required anti-affinity (which filter, not score). */
static int best_spread_ok(const SchedCycleState *st, int *spans, const uint32_t **cnt)
{
    const SchedWl *w = st->w;
    const SchedSpread *sa[3];
    size_t nsa = 0;
    for (size_t i = 0; i < w->nspread && nsa < 3; i++)
        if (!w->spread[i].dns)
            sa[nsa++] = &w->spread[i];
    *spans = nsa > 0;
    if (nsa == 0)
        return 1;
    const SchedRegion *rg = st->rg;   /* spread_fast's shape without ignored nodes */
    if (nsa > 2 || st->spec->nspread > 0 || rg->ncls > SCHED_SPAN_MAX_CLS || !rg->keys[sa[0]->key].per_node ||
        sa[0]->max_skew < 1 || (nsa == 2 && (rg->keys[sa[1]->key].per_node || sa[1]->max_skew < 1)))
        return 0;
    *cnt = rg->groups[sa[0]->group].cnt_node;
    return 1;
}

int sched_best_begin(SchedCycleState *st, SchedBest *b, uint32_t nrows)
{
    const SchedWl *w = st->w;
    const uint32_t *cnt = NULL;
    int spans = 0;
    if (st->spec->nnode_preferred > 0 || w->npref_aff > 0 || w->npref_anti > 0)
        return 0;
    for (size_t i = 0; i < w->nsym; i++)
        if (st->rg->carriers[w->sym[i]].kind != CARRY_REQ_ANTI)
            return 0;
    if (!best_spread_ok(st, &spans, &cnt))
        return 0;
    SchedScheduler *s = st->s;
    size_t nk = st->rg->ncls * (spans ? SCHED_SPAN_N : 1) + 1;
    memset(b, 0, sizeof *b);
    if ((b->memo = memo_of(s, st->rg, st->p)) == NULL)
        return 0;   /* too many shapes: sched_score_place computes */
    b->cnt = cnt;
    for (size_t j = 0; j < s->nkbkeys; j++)   /* the last cycle's keys */
        s->kb[s->kbkeys[j]].len = 0;
    s->nkbkeys = 0;
    size_t old = s->capkb;
    if (old < nk) {
        if (sim_mem_grow(sim_mem(s->e), (void **)&s->kb, &s->capkb, nk, sizeof *s->kb))
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
        memset(s->kb + old, 0, (s->capkb - old) * sizeof *s->kb);
        if (sim_mem_grow(sim_mem(s->e), (void **)&s->kbkeys, &s->capkbkeys, s->capkb, sizeof *s->kbkeys))
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    }
    b->kb = s->kb;
    b->keys = s->kbkeys;
    b->next = sched_scratch(s, ((size_t)nrows + 1) * sizeof *b->next);
    if (b->next == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    return 1;
}

/* The keys' constants: the TaintToleration term of the class, plus with the
 * spans the weighted normalized spread score of the pair (span_table's). */
static void best_table(const Pass *ps, const SchedBest *b, int64_t *tab)
{
    if (b->cnt == NULL) {
        for (uint32_t j = 0; j < b->nkeys; j++)
            tab[b->keys[j]] = ps->cc[b->keys[j]];
        return;
    }
    int64_t smin = INT64_MAX, smax = 0, ws = ps->st->s->plugins[P_SPREAD].weight;
    for (uint32_t j = 0; j < b->nkeys; j++) {
        uint32_t k = b->keys[j];
        int64_t x = tab[k] = sched_sc_spread_nc(ps->p, k % SPAN_N, (uint16_t)(k / SPAN_N));
        smin = x < smin ? x : smin;
        smax = x > smax ? x : smax;
    }
    for (uint32_t j = 0; j < b->nkeys; j++) {
        uint32_t k = b->keys[j];
        tab[k] = ps->cc[k / SPAN_N] +
                 ws * (smax == 0 ? SCHED_MAX_SCORE : SCHED_MAX_SCORE * (smax + smin - tab[k]) / smax);
    }
}

/* The k-th (from 0) in feasible order of the nodes of the winning keys (win,
 * nw of them): along the list of one key, else through a bitmap of the
 * feasible indices. */
static uint32_t best_kth(const Pass *ps, const SchedBest *b, const uint32_t *win, uint32_t nw, uint64_t k)
{
    if (nw == 1) {
        uint32_t i = b->kb[win[0]].head;
        while (k-- > 0)
            i = b->next[i];
        return i;
    }
    size_t nwords = (ps->nf + 63) / 64;
    uint64_t *bits = (uint64_t *)(void *)ps->st->s->raw;   /* nf words at least */
    memset(bits, 0, nwords * sizeof *bits);
    for (uint32_t j = 0; j < nw; j++) {
        const SchedKeyBest *kb = &b->kb[win[j]];
        for (uint32_t i = kb->head, n = 0; n < kb->len; n++, i = b->next[i])
            bits[i / 64] |= UINT64_C(1) << (i % 64);
    }
    size_t wd = 0;
    for (uint64_t c; k >= (c = (uint64_t)__builtin_popcountll(bits[wd])); wd++)
        k -= c;
    uint64_t x = bits[wd];
    while (k-- > 0)
        x &= x - 1;
    return (uint32_t)(wd * 64 + (uint64_t)__builtin_ctzll(x));
}

int sched_best_place(SchedCycleState *st, const SchedBest *b, uint32_t nf, const uint8_t *seen, uint32_t *chosen)
{
    SchedScheduler *s = st->s;
    if (b->cnt && b->over >= SPAN_N)
        return SCHED_BEST_WIDE;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, seen, &p) != SIM_OK)
        return SIM_ENOMEM;
    if (b->cnt && p.sa_cls == NULL)
        return SCHED_BEST_WIDE;   /* not the spans' shape after all */
    Pass ps = {.st = st, .p = &p, .fl = s->feasible, .nf = nf, .seen = seen, .tot = s->total};
    size_t nk = st->rg->ncls * (b->cnt ? SPAN_N : 1);
    int64_t *tab = sched_scratch(s, (nk + 1) * sizeof *tab);
    uint32_t *win = sched_scratch(s, ((size_t)b->nkeys + 1) * sizeof *win), nw = 0, nt = 0;
    if (tab == NULL || win == NULL || pass_taint(&ps) != SIM_OK)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    best_table(&ps, b, tab);
    int64_t top = INT64_MIN;
    for (uint32_t j = 0; j < b->nkeys; j++) {
        uint32_t k = b->keys[j];
        int64_t t = b->kb[k].best + tab[k];
        if (t > top) {
            top = t;
            nw = nt = 0;
        }
        if (t == top) {
            win[nw++] = k;
            nt += b->kb[k].len;
        }
    }
    uint64_t k = nt > 1 ? sim_rng_below(sim_rng(st->e, SIM_RNG_SCHED), nt) : 0;
    *chosen = best_kth(&ps, b, win, nw, k);
    return SIM_OK;
}
