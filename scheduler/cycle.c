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
/* The filters that read the domain counts around a node (spread, inter-pod). */
static inline uint32_t filter_extra(const SchedCycleState *st, uint32_t li, const SchedRow *row)
{
    uint32_t v;
    if (st->ndns && (v = sched_spread_filter(st, li, row)) != R_PASS)
        return v;
    if ((st->naff || st->nanti || st->nexist) && (v = sched_interpod_filter(st, li, row)) != R_PASS)
        return v;
    return R_PASS;
}

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
    return filter_extra(st, li, row);
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

/* Failed nodes are counted in runs of one reason (the nodes of a class are
 * neighbours in the rows, so most failures repeat the previous one) and a
 * run goes into the histogram when the reason changes: the same counts, and
 * reasons enter the histogram in the order they first occur, as one by one. */
typedef struct Scan {
    SchedCycleState *st;
    SchedResult *out;
    SchedNodeVerdict *v;
    Hist h;
    uint32_t code, run;              /* the current run of failures */
    uint32_t nf, want, examined;
    uint8_t *seen;                   /* not for explain: the classes of the feasible nodes */
} Scan;

static void run_flush(Scan *sc)
{
    if (sc->run == 0)
        return;
    hist_add(&sc->h, sc->code, sc->run);
    sc->out->rejected |= 1u << sched_reason_plugin(sc->code);
    sc->run = 0;
}

static void run_add(Scan *sc, uint32_t code)
{
    if (code != sc->code)
        run_flush(sc);
    sc->code = code;
    sc->run++;
}

/* wf x LeastAllocated + wb x BalancedAllocation of the pod on row li when
 * the shape's memo (may be NULL) has no entry for the row's version; the
 * result is memoized. */
static int64_t fit_miss(const SchedCycleState *st, uint64_t *memo, const SchedRow *r, uint32_t li)
{
    int64_t fit, bl, fb = fit_bal(st, li, !st->w->best_effort, st->s->plugins[P_FIT].weight,
                                  st->s->plugins[P_BALANCED].weight, &fit, &bl);
    if (memo)
        memo[li] = ((uint64_t)r->ver + 1) << 32 | (uint32_t)fb;
    return fb;
}

/* The general loop (explain, pods restricted by per-node plugins): every
 * Ready node through filter_node. Returns the row after the last one
 * examined. */
static uint32_t scan_all(Scan *sc, uint32_t from, uint32_t to)
{
    SchedCycleState *st = sc->st;
    const SchedRow *rows = st->rg->rows;
    uint32_t li = from;
    for (; li < to && sc->nf < sc->want; li++) {
        if (!(rows[li].flags & ROW_READY))
            continue;
        uint32_t code = filter_node(st, li);
        sc->examined++;
        if (sc->v)
            verdict_fail(st, &sc->v[li], code);
        if (code != R_PASS) {
            run_add(sc, code);
            continue;
        }
        if (sc->seen)
            sc->seen[rows[li].cls] = 1;
        st->s->feasible[sc->nf++] = li;
    }
    return li;
}

/* The loop without explain for a pod whose verdict on a Ready, uncordoned,
 * unnominated node is its class's, then Fit's, then (if it has any) the
 * spread and inter-pod filters': filter_node's order, with the class and Fit
 * tests inlined; other nodes take filter_node. The loop's state is in
 * locals, so that the stores to the feasible list cannot alias it, and the
 * rows are taken in chunks of at most want - nf, of which every one may
 * pass, so the inner loop needs no count test. Fit's quick test is one sign
 * test of the differences free - request (magnitudes are far below 2^62);
 * sched_fit_code has the last word. Returns the row after the last one
 * examined. */
__attribute__((always_inline)) static inline uint32_t scan_place_x(Scan *sc, uint32_t from, uint32_t to,
                                                               const uint32_t *ccode, const int extra,
                                                               const int gpus)
{
    SchedCycleState *st = sc->st;
    const SchedRow *rows = st->rg->rows;
    const int64_t cpu = st->p->req.cpu_m, mem = st->p->req.mem, gpu = st->p->req.gpu;
    uint8_t *seen = sc->seen;
    uint32_t *fl = st->s->feasible, nf = sc->nf, want = sc->want, skipped = 0, li = from;
    uint32_t rcode = sc->code, run = sc->run;   /* the run of failures, kept in registers */
    while (li < to && nf < want) {
        uint32_t end = to - li < want - nf ? to : li + (want - nf);
        for (; li < end; li++) {
            const SchedRow *row = &rows[li];
            uint32_t code;
            if (row->flags != ROW_READY) {
                if (!(row->flags & ROW_READY)) {
                    skipped++;
                    continue;
                }
                code = filter_node(st, li);
            } else {
                code = ccode[row->cls];
                if (code == R_PASS && ((row->free_cpu - cpu) | (row->free_mem - mem) |
                                       (gpus ? (int64_t)row->free_gpu - gpu : 0) | ((int64_t)row->free_pods - 1)) < 0)
                    code = sched_fit_code(st, row, li);   /* which resources, in upstream's order */
                if (code == R_PASS && extra)
                    code = filter_extra(st, li, row);
            }
            if (code != R_PASS) {
                if (code != rcode) {
                    sc->code = rcode;
                    sc->run = run;
                    run_flush(sc);
                    rcode = code;
                    run = 0;
                }
                run++;
                continue;
            }
            seen[row->cls] = 1;
            fl[nf++] = li;
        }
    }
    sc->code = rcode;
    sc->run = run;
    sc->nf = nf;
    sc->examined += li - from - skipped;
    return li;
}

/* scan_place_x for a pod with and without the filters that read domain
 * counts, and with and without GPUs (Fit never fails a pod on a resource it
 * does not request, so the quick test leaves free GPUs out for the others),
 * so that the common loop tests neither on every row. */
static uint32_t scan_place(Scan *sc, uint32_t from, uint32_t to, const uint32_t *ccode)
{
    const SchedCycleState *st = sc->st;
    int extra = st->ndns || st->naff || st->nanti || st->nexist, gpus = st->p->req.gpu > 0;
    if (extra)
        return gpus ? scan_place_x(sc, from, to, ccode, 1, 1) : scan_place_x(sc, from, to, ccode, 1, 0);
    return gpus ? scan_place_x(sc, from, to, ccode, 0, 1) : scan_place_x(sc, from, to, ccode, 0, 0);
}

/* Filters nodes from the rotating start until enough feasible ones are found
 * (out->feasible of them, in the scheduler's feasible list), and with
 * sc->seen (zeroed, one byte per class; not for explain) marks their classes,
 * except for a pod restricted to one node, which is never scored. */
static int find_feasible(Scan *sc0, SchedResult *out)
{
    Scan sc = *sc0;
    SchedCycleState *st = sc.st;
    SchedRegion *rg = st->rg;
    SchedNodeVerdict *v = sc.v;
    sc.out = out;
    uint32_t nf = 0;
    if (st->only != SCHED_NONE) {
        nf = find_only(st, &sc.h, out, v);
    } else {
        uint32_t total = (uint32_t)rg->nrows, start = total ? rg->next_start % total : 0;
        sc.want = sched_num_feasible_to_find(rg->ready);
        uint32_t *ccode = NULL;   /* the class verdicts, for scan_place */
        if (sc.seen && !st->w->aff_per_node && !st->skip_fit && st->p->zone_pin == SIM_NONE) {
            if ((ccode = sched_scratch(st->s, (rg->ncls + 1) * sizeof *ccode)) == NULL)
                return sim_fail(st->e, SIM_ENOMEM, "out of memory scheduling");
            for (size_t c = 0; c < rg->ncls; c++)
                ccode[c] = st->w->cls[c].filter;
        }
        uint32_t li = ccode ? scan_place(&sc, start, total, ccode) : scan_all(&sc, start, total);
        if (li == total && start > 0)   /* wrapped around */
            li = ccode ? scan_place(&sc, 0, start, ccode) : scan_all(&sc, 0, start);
        run_flush(&sc);
        if (total)
            rg->next_start = li == total ? 0 : li;
        out->examined = sc.examined;
        nf = sc.nf;
    }
    out->feasible = nf;
    if (nf == 0)
        hist_format(st->e, &sc.h, rg->ready, out->reason, sizeof out->reason);
    return SIM_OK;
}

/* ---- Score ------------------------------------------------------------------ */
/* Normalizes one plugin's raw scores and adds weight x score to the totals. */
static void add_normalized(SchedScheduler *s, int plugin, int64_t *raw, uint32_t nf, void (*norm)(int64_t *, size_t),
                           SchedNodeVerdict *v)
{
    int64_t wt = s->plugins[plugin].weight;
    norm(raw, nf);
    for (uint32_t i = 0; i < nf; i++) {
        s->total[i] += wt * raw[i];
        v[s->feasible[i]].scores[plugin] = raw[i];
    }
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

/* explain's scoring, the reference for score_fast: raw scores of every
 * plugin in one pass over the feasible nodes; Fit and BalancedAllocation (no
 * NormalizeScore) go straight into the totals, the others into arrays that
 * each plugin's own NormalizeScore turns into scores. A plugin whose
 * normalized score is the same on every node (TaintToleration without
 * PreferNoSchedule taints: 100; skipped plugins and ImageLocality: 0) is a
 * constant. */
static int score_nodes(SchedCycleState *st, uint32_t nf, SchedNodeVerdict *v)
{
    SchedScheduler *s = st->s;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, NULL, &p) != SIM_OK)
        return SIM_ENOMEM;
    const SchedRow *rows = st->rg->rows;
    const SchedWl *w = st->w;
    int taint = w->any_tscore, aff = !p.skip[P_NODEAFFINITY], spread = !p.skip[P_SPREAD];
    int ipa = p.nhost > 0 || p.ipa_cls != NULL, bal = !p.skip[P_BALANCED];
    int64_t wf = s->plugins[P_FIT].weight, wb = s->plugins[P_BALANCED].weight, fit = 0, bl = 0;
    int64_t base = taint ? 0 : s->plugins[P_TAINT].weight * SCHED_MAX_SCORE;
    int64_t *rt = sched_scratch(s, nf * sizeof *rt), *ra = sched_scratch(s, nf * sizeof *ra);
    int64_t *rs = sched_scratch(s, nf * sizeof *rs), *ri = sched_scratch(s, nf * sizeof *ri);
    if (rt == NULL || ra == NULL || rs == NULL || ri == NULL)
        return sim_fail(s->e, SIM_ENOMEM, "out of memory scoring");
    for (uint32_t i = 0; i < nf; i++) {
        uint32_t li = s->feasible[i];
        const SchedRow *r = &rows[li];
        s->total[i] = base + fit_bal(st, li, bal, wf, wb, &fit, &bl);
        if (taint)
            rt[i] = w->cls[r->cls].tscore;
        if (aff)
            ra[i] = sched_raw_score(st, &p, P_NODEAFFINITY, li);
        if (spread)
            rs[i] = sched_sc_spread(&p, li, r->cls);
        if (ipa)
            ri[i] = sched_sc_interpod(&p, li, r->cls);
        verdict_scores(&v[li], fit, bl, taint);
    }
    if (taint)
        add_normalized(s, P_TAINT, rt, nf, sched_normalize_taint, v);
    if (spread)
        add_normalized(s, P_SPREAD, rs, nf, sched_normalize_spread, v);
    if (aff)
        add_normalized(s, P_NODEAFFINITY, ra, nf, sched_normalize_nodeaff, v);
    if (ipa)
        add_normalized(s, P_INTERPOD, ri, nf, sched_normalize_interpod, v);
    return SIM_OK;
}

/* ---- Score without explain ------------------------------------------------ */
/* The same sums as score_nodes (the reference, which explain runs), in as
 * few passes over the feasible nodes as the normalizations allow, instead of
 * one pass that tests every plugin on every node:
 * - TaintToleration's raw score is a property of the node's class, so its
 *   normalized value is looked up per class (the classes present are known
 *   from the filter loop);
 * - the first pass adds that to Fit + BalancedAllocation, taken from the
 *   shape's memo while the row has not changed, and takes the raw
 *   PodTopologySpread scores and their range;
 * - NodeAffinity and InterPodAffinity, when the pod has them, take a pass
 *   each;
 * - the last pass adds PodTopologySpread through a table of the normalized
 *   value of each raw value and selects the host. A pod with none of these
 *   is scored and placed in the first pass. */
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
    int64_t fb = (m >> 32) == (uint64_t)row->ver + 1 ? (int64_t)(m & 0xffffffffu) : fit_miss(ps->st, ps->memo, row, li);
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
enum { SPAN_N = 64, SPAN_MAX_CLS = 128 };
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
        tot[i] = (m >> 32) == (uint64_t)row->ver + 1 ? (int64_t)(m & 0xffffffffu) : fit_miss(ps->st, memo, row, li);
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

/* Scores the nf (> 1) feasible nodes that find_feasible found with sc, and
 * returns the index of the one chosen. */
static int score_fast(SchedCycleState *st, uint32_t nf, const Scan *sc, uint32_t *chosen)
{
    SchedScheduler *s = st->s;
    SchedScorePrep p;
    if (sched_prescore(st, s->feasible, nf, sc->seen, &p) != SIM_OK)
        return SIM_ENOMEM;
    Pass ps = {.st = st, .p = &p, .fl = s->feasible, .nf = nf, .seen = sc->seen, .tot = s->total};
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
    Scan sc = {.st = st, .v = v};
    if (v == NULL) {
        sc.seen = sched_scratch(s, st->rg->ncls + 1);
        if (sc.seen == NULL)
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scheduling");
        memset(sc.seen, 0, st->rg->ncls + 1);
    }
    if (find_feasible(&sc, out) != SIM_OK)
        return SIM_ENOMEM;
    uint32_t nf = out->feasible, chosen = 0;
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
        if (score_fast(st, nf, &sc, &chosen) != SIM_OK)
            return SIM_ENOMEM;
        out->node = r->nodes[s->feasible[chosen]];
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
