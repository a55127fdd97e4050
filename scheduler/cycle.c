/*
 * cycle.c: one scheduling cycle (upstream schedule_one.go, sequentially):
 * PreFilter, the nominated node first, then Filter from the rotating start
 * index until numFeasibleNodesToFind feasible nodes are found, PreScore and
 * Score with NormalizeScore, Σ weight x score, and selectHost. Score here is
 * explain's, one pass that records every plugin's score; sched_place scores
 * through rank.c, which must give the same totals.
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
    s->last_npods = sim_pod_count(e);
    s->last_nwl = sim_workload_count(e);
    *out = st;
    return SIM_OK;
}

/* ---- Filter ---------------------------------------------------------------- */
/* The filters that read the domain counts around a node (spread, inter-pod). */
__attribute__((noinline)) static uint32_t filter_extra_all(const SchedCycleState *st, uint32_t li,
                                                           const SchedRow *row)
{
    uint32_t v;
    if (st->ndns && (v = sched_spread_filter(st, li, row)) != R_PASS)
        return v;
    if ((st->naff || st->nanti || st->nexist) && (v = sched_interpod_filter(st, li, row)) != R_PASS)
        return v;
    return R_PASS;
}

/* sched_interpod_filter's verdict when its views are per hostname alone. */
static inline uint32_t filter_extra(const SchedCycleState *st, uint32_t li, const SchedRow *row)
{
    if (!st->host_only)
        return filter_extra_all(st, li, row);
    for (size_t i = 0; i < st->nanti; i++)
        if (st->anti[i].node[li] > 0)
            return R_IPA_ANTI;
    for (size_t i = 0; i < st->nexist; i++)
        if (st->exist[i].node[li] > 0)
            return R_IPA_EXISTING;
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
    SchedBest *best;                 /* scores the feasible nodes as they are found, or NULL */
    uint64_t fail;                   /* blocks: bit c, class c's verdict fails the pod */
    uint8_t blocks;                  /* scan_place may take blocks whole (SchedBlk) */
    uint8_t lossy;                   /* a block was skipped: the histogram lacks its nodes */
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
        if (sc->best)
            sched_best_add(st, sc->best, &rows[li], li, sc->nf);
        st->s->feasible[sc->nf++] = li;
    }
    return li;
}

/* ---- blocks of rows (SchedBlk) ---------------------------------------------- */
__attribute__((noinline)) static void blk_fill(SchedRegion *rg, size_t b)
{
    const SchedRow *r = &rg->rows[b * SCHED_BLK];
    SchedBlk k = {INT64_MAX, INT64_MAX, INT64_MIN, INT64_MIN, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, 0, 1, 1, 0};
    for (size_t j = 0; j < SCHED_BLK; j++, r++) {
        k.plain &= r->flags == ROW_READY && r->cls < 64;
        k.min_cpu = r->free_cpu < k.min_cpu ? r->free_cpu : k.min_cpu;
        k.max_cpu = r->free_cpu > k.max_cpu ? r->free_cpu : k.max_cpu;
        k.min_mem = r->free_mem < k.min_mem ? r->free_mem : k.min_mem;
        k.max_mem = r->free_mem > k.max_mem ? r->free_mem : k.max_mem;
        k.min_gpu = r->free_gpu < k.min_gpu ? r->free_gpu : k.min_gpu;
        k.max_gpu = r->free_gpu > k.max_gpu ? r->free_gpu : k.max_gpu;
        k.min_pods = r->free_pods < k.min_pods ? r->free_pods : k.min_pods;
        k.max_pods = r->free_pods > k.max_pods ? r->free_pods : k.max_pods;
        k.cls |= UINT64_C(1) << (r->cls & 63);
    }
    rg->blk[b] = k;
}

/* A plain block's verdict for the pod: every node fails (its class's verdict
 * or Fit: fit_mask's tests against the greatest free amounts), every node
 * passes both (scan_place_x's quick test against the least), or neither. */
enum { BLK_MIXED = 0, BLK_FAIL, BLK_PASS };
__attribute__((always_inline)) static inline int blk_verdict(SchedRegion *rg, uint64_t fail, uint32_t li,
                                                             const SimRes *q, const int gpus)
{
    const SchedBlk *k = &rg->blk[li / SCHED_BLK];
    if (!k->ok)
        blk_fill(rg, li / SCHED_BLK);
    if (!k->plain)
        return BLK_MIXED;
    if (!(k->cls & fail) && k->min_pods >= 1 && k->min_cpu >= q->cpu_m && k->min_mem >= q->mem &&
        (!gpus || k->min_gpu >= q->gpu))
        return BLK_PASS;
    if (!(k->cls & ~fail) || k->max_pods < 1 || (q->cpu_m > 0 && k->max_cpu < q->cpu_m) ||
        (q->mem > 0 && k->max_mem < q->mem) || (q->gpu > 0 && k->max_gpu < q->gpu))
        return BLK_FAIL;
    return BLK_MIXED;
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
/* run_add on the loop's registers. */
#define RUN_ADD(code)                 \
    do {                              \
        if ((code) != rcode) {        \
            sc->code = rcode;         \
            sc->run = run;            \
            run_flush(sc);            \
            rcode = (code);           \
            run = 0;                  \
        }                             \
        run++;                        \
    } while (0)

__attribute__((always_inline)) static inline uint32_t scan_place_x(Scan *sc, uint32_t from, uint32_t to,
                                                               const uint32_t *ccode, const int extra,
                                                               const int gpus, const int score)
{
    SchedCycleState *st = sc->st;
    const SchedRow *rows = st->rg->rows;
    const int64_t cpu = st->p->req.cpu_m, mem = st->p->req.mem, gpu = st->p->req.gpu;
    uint8_t *seen = sc->seen;
    uint32_t *fl = st->s->feasible, nf = sc->nf, want = sc->want, skipped = 0, li = from;
    uint32_t rcode = sc->code, run = sc->run;   /* the run of failures, kept in registers */
    SchedBest best = score ? *sc->best : (SchedBest){0};
    uint64_t seenm = 0;   /* the classes of the blocks taken whole */
    while (li < to && nf < want) {
        uint32_t end = to - li < want - nf ? to : li + (want - nf);
        if (sc->blocks) {   /* a block at a time: whole, or its rows up to its end */
            uint32_t bend = (li | (SCHED_BLK - 1)) + 1;
            int k = (li & (SCHED_BLK - 1)) == 0 && bend <= to ? blk_verdict(st->rg, sc->fail, li, &st->p->req, gpus)
                                                               : BLK_MIXED;
            if (k == BLK_FAIL) {
                sc->lossy = 1;
                li = bend;
                continue;
            }
            if (k == BLK_PASS && bend <= end) {   /* every node passes its class and Fit */
                for (; li < bend; li++) {
                    uint32_t code = extra ? filter_extra(st, li, &rows[li]) : R_PASS;
                    if (code != R_PASS) {
                        RUN_ADD(code);
                        continue;
                    }
                    if (score)
                        sched_best_add_x(st, &best, &rows[li], li, nf, score == 2);
                    if (extra)   /* only the classes of the nodes that pass */
                        seen[rows[li].cls] = 1;
                    fl[nf++] = li;
                }
                if (!extra)
                    seenm |= st->rg->blk[(li - 1) / SCHED_BLK].cls;
                continue;
            }
            end = end < bend ? end : bend;
        }
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
                RUN_ADD(code);
                continue;
            }
            if (score)
                sched_best_add_x(st, &best, row, li, nf, score == 2);
            seen[row->cls] = 1;
            fl[nf++] = li;
        }
    }
    if (score)
        *sc->best = best;
    for (; seenm; seenm &= seenm - 1)
        seen[__builtin_ctzll(seenm)] = 1;
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
    if (sc->best && sc->best->cnt) {   /* 2: keyed by (class, count) */
        if (extra)
            return gpus ? scan_place_x(sc, from, to, ccode, 1, 1, 2) : scan_place_x(sc, from, to, ccode, 1, 0, 2);
        return gpus ? scan_place_x(sc, from, to, ccode, 0, 1, 2) : scan_place_x(sc, from, to, ccode, 0, 0, 2);
    }
    if (sc->best) {
        if (extra)
            return gpus ? scan_place_x(sc, from, to, ccode, 1, 1, 1) : scan_place_x(sc, from, to, ccode, 1, 0, 1);
        return gpus ? scan_place_x(sc, from, to, ccode, 0, 1, 1) : scan_place_x(sc, from, to, ccode, 0, 0, 1);
    }
    if (extra)
        return gpus ? scan_place_x(sc, from, to, ccode, 1, 1, 0) : scan_place_x(sc, from, to, ccode, 1, 0, 0);
    return gpus ? scan_place_x(sc, from, to, ccode, 0, 1, 0) : scan_place_x(sc, from, to, ccode, 0, 0, 0);
}

/* From the rotating start to the end of the rows and on from the first row;
 * returns the row after the last one examined. */
static uint32_t scan_range(Scan *sc, uint32_t start, uint32_t total, const uint32_t *ccode)
{
    uint32_t li = ccode ? scan_place(sc, start, total, ccode) : scan_all(sc, start, total);
    if (li == total && start > 0)   /* wrapped around */
        li = ccode ? scan_place(sc, 0, start, ccode) : scan_all(sc, 0, start);
    run_flush(sc);
    return li;
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
            sc.blocks = rg->ncls <= 64 && rg->capblk > 0;
            for (size_t c = 0; sc.blocks && c < rg->ncls; c++)
                sc.fail |= (uint64_t)(ccode[c] != R_PASS) << c;
        }
        Scan first = sc;
        uint32_t li = scan_range(&sc, start, total, ccode);
        if (sc.nf == 0 && sc.lossy) {   /* the reasons of the skipped blocks' nodes: node by node */
            sc = first;
            sc.blocks = 0;
            out->rejected = 0;
            li = scan_range(&sc, start, total, ccode);
        }
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
        s->total[i] = base + sched_fit_bal(st, li, bal, wf, wb, &fit, &bl);
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
    SchedBest best;
    if (v == NULL) {
        sc.seen = sched_scratch(s, st->rg->ncls + 1);
        if (sc.seen == NULL)
            return sim_fail(s->e, SIM_ENOMEM, "out of memory scheduling");
        memset(sc.seen, 0, st->rg->ncls + 1);
        if (st->only == SCHED_NONE && (rc = sched_best_begin(st, &best, (uint32_t)st->rg->nrows)) < 0)
            return rc;
        sc.best = st->only == SCHED_NONE && rc == 1 ? &best : NULL;
    }
    int found = find_feasible(&sc, out);
    if (sc.best)
        sched_best_done(s, sc.best);
    if (found != SIM_OK)
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
        rc = sc.best ? sched_best_place(st, sc.best, nf, sc.seen, &chosen) : SCHED_BEST_WIDE;
        if (rc == SCHED_BEST_WIDE)
            rc = sched_score_place(st, nf, sc.seen, &chosen);
        if (rc != SIM_OK)
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
    if (st == NULL || s->last_pod != pod || s->last_gen != rg->gen || s->last_npods != sim_pod_count(s->e) ||
        s->last_nwl != sim_workload_count(s->e) || sched_region_sync(s, rg) != SIM_OK || s->last_gen != rg->gen) {
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
        if (li != SCHED_NONE && li < rg->nrows) {
            rg->rows[li].flags = (uint8_t)(on ? rg->rows[li].flags | ROW_NOMINATED
                                              : rg->rows[li].flags & ~ROW_NOMINATED);
            sched_blk_stale(rg, li);
        }
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
