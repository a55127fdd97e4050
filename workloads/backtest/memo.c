/*
 * memo.c: the memo cache. Identical requests share one real run.
 *
 * The key is a canonical text of the kernel, the parameters that kernel reads
 * (doubles in %a, exact) and the data's SHA-256, so two requests share a
 * result exactly when the kernel would compute the same bits: the thread
 * count is left out on purpose. Entries live until the memo is destroyed.
 * Lookup is a linear scan: a simulation asks for few distinct configurations,
 * and a scan is negligible next to the run it saves.
 *
 * A memo may share another's results (bt_memo_share: a sweep's runs share
 * one across configurations): a request it has not seen is looked up there,
 * or run into it, and borrowed. Its own hits and misses count as if it had
 * run the kernels itself, so what a run reports does not depend on what
 * ran before it.
 */
#include "workloads/backtest/bt.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

typedef struct Entry {
    char *key;
    BtResult *res;
    int borrowed;     /* owned by the shared memo */
} Entry;

struct BtMemo {
    SimMem *mem;
    Entry *e;
    size_t n, cap;
    uint64_t hits, misses;
    int blas_ready;   /* a BLAS kernel got OpenBLAS's buffer (BtCtx.blas_ready) */
    BtMemo *shared;   /* where results are found or made, then borrowed (NULL: none) */
};

BtMemo *bt_memo_create(SimMem *m)
{
    BtMemo *mc = sim_mem_calloc(m, 1, sizeof *mc);
    if (mc)
        mc->mem = m;
    return mc;
}

void bt_memo_destroy(BtMemo *mc)
{
    if (mc == NULL)
        return;
    for (size_t i = 0; i < mc->n; i++) {
        sim_mem_strfree(mc->mem, mc->e[i].key);
        if (!mc->e[i].borrowed)
            bt_result_free(mc->e[i].res);
    }
    sim_mem_free(mc->mem, mc->e, mc->cap * sizeof *mc->e);
    sim_mem_free(mc->mem, mc, sizeof *mc);
}

uint64_t bt_memo_hits(const BtMemo *mc) { return mc->hits; }
void bt_memo_share(BtMemo *mc, BtMemo *shared) { mc->shared = shared; }
uint64_t bt_memo_misses(const BtMemo *mc) { return mc->misses; }

/* Appends "%d," for each of n ints; returns the new length. */
static size_t ints(char *k, size_t len, size_t cap, const int *v, int n)
{
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(k + len, cap - len, "%d,", v[i]);
    return len;
}

/* The canonical key; 0 when it would not fit (never for valid parameters). */
static size_t make_key(const BtData *d, const BtParams *p, char *k, size_t cap)
{
    size_t len = (size_t)snprintf(k, cap, "%s|%s|c=%a|", bt_kernel_name(p->kernel), d->hash,
                                  p->cost_bps);
    if (p->kernel == BT_MA_CROSS) {
        len += (size_t)snprintf(k + len, len < cap ? cap - len : 0, "m=%d|f=", (int)p->mode);
        len = ints(k, len, cap, p->fast, p->nfast);
        len += (size_t)snprintf(k + len, len < cap ? cap - len : 0, "|s=");
        len = ints(k, len, cap, p->slow, p->nslow);
    } else if (p->kernel == BT_MOMENTUM) {
        len += (size_t)snprintf(k + len, cap - len, "L=%d|k=%d|H=%d|K=%d", p->lookback, p->skip,
                                p->hold, p->top);
    } else {
        len += (size_t)snprintf(k + len, cap - len, "W=%d|H=%d|l=%a|g=%a", p->window, p->hold,
                                p->shrink, p->gamma);
    }
    return len < cap ? len : 0;
}

static int insert(BtCtx *c, BtMemo *mc, const char *key, BtResult *res, int borrowed)
{
    char *k = sim_mem_strdup(mc->mem, key);
    if (k == NULL || sim_mem_grow(mc->mem, (void **)&mc->e, &mc->cap, mc->n + 1, sizeof *mc->e)) {
        sim_mem_strfree(mc->mem, k);
        return bt_oom(c);
    }
    mc->e[mc->n++] = (Entry){k, res, borrowed};
    return SIM_OK;
}

/* A miss of a memo that shares mc->shared's results: found there or run
 * into it (in its memory: it outlives mc), then borrowed. */
static int borrow(BtCtx *c, BtMemo *mc, const char *key, const BtData *d, const BtParams *p,
                  const BtResult **out)
{
    BtCtx sc;
    bt_ctx_init(&sc, mc->shared->mem);
    sc.blas_ready = c->blas_ready;
    int rc = bt_memo_run(&sc, mc->shared, d, p, out);
    c->blas_ready = sc.blas_ready;
    if (rc != SIM_OK)
        return bt_fail(c, rc, "%s", bt_errmsg(&sc));
    if ((rc = insert(c, mc, key, (BtResult *)*out, 1)) != SIM_OK) {
        *out = NULL;
        return rc;
    }
    mc->misses++;
    return SIM_OK;
}

int bt_memo_run(BtCtx *c, BtMemo *mc, const BtData *d, const BtParams *p, const BtResult **out)
{
    char key[2048];
    *out = NULL;
    int rc = bt_check(c, d, p);
    if (rc != SIM_OK)
        return rc;
    if (make_key(d, p, key, sizeof key) == 0)
        return bt_fail(c, SIM_EINVAL, "request too large for the memo key");
    for (size_t i = 0; i < mc->n; i++)
        if (strcmp(mc->e[i].key, key) == 0) {
            mc->hits++;
            *out = mc->e[i].res;
            return SIM_OK;
        }
    if (mc->shared)
        return borrow(c, mc, key, d, p, out);
    BtResult *res;
    /* In a simulation kernels run one at a time between events, each small:
     * OpenBLAS's worker threads only spin in sched_yield afterwards (perf: ~5%
     * of a large run), and one thread also keeps the sums' order fixed. */
    int threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    c->blas_ready |= mc->blas_ready;
    rc = bt_run(c, d, p, &res);
    mc->blas_ready = c->blas_ready;
    openblas_set_num_threads(threads);
    if (rc == SIM_OK && (rc = insert(c, mc, key, res, 0)) != SIM_OK)
        bt_result_free(res);
    if (rc == SIM_OK) {
        mc->misses++;
        *out = res;
    }
    return rc;
}
