/*
 * run.c: parameters, request checking, the kernel dispatch and the result
 * object of the backtest module.
 *
 * Invariant: bt_run only starts a kernel on a request bt_check accepts, so the
 * kernels may assume valid windows, enough rows and a non-empty grid; a
 * result is either complete or freed before bt_run returns an error.
 */
#include "workloads/backtest/bt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

static const char *const kernel_names[BT_KERNEL_COUNT] = {"ma_cross", "momentum", "minvar",
                                                          "meanvar"};

const char *bt_kernel_name(BtKernel k)
{
    return (unsigned)k < BT_KERNEL_COUNT ? kernel_names[k] : NULL;
}

int bt_kernel_from_name(const char *name, BtKernel *out)
{
    for (int k = 0; k < BT_KERNEL_COUNT; k++)
        if (strcmp(name, kernel_names[k]) == 0) {
            *out = (BtKernel)k;
            return SIM_OK;
        }
    return SIM_EINVAL;
}

void bt_params_default(BtParams *p, BtKernel k)
{
    static const int fast[] = {2, 3, 5, 8, 10, 13, 15, 20, 25, 30};
    static const int slow[] = {40, 50, 60, 80, 100, 120, 150, 180, 200, 250};
    memset(p, 0, sizeof *p);
    p->kernel = k;
    p->cost_bps = 5.0;
    p->nfast = p->nslow = 10;
    memcpy(p->fast, fast, sizeof fast);
    memcpy(p->slow, slow, sizeof slow);
    p->mode = BT_LONG_FLAT;
    p->lookback = 126;
    p->skip = 0;
    p->top = 1;
    p->hold = 21;
    p->window = 250;
    p->shrink = 0.0;
    p->gamma = 50.0;
    p->threads = 1;
}

/* ---- checking ------------------------------------------------------------ */

/* Where the table's rows end, for "too few rows" messages. */
typedef struct Where {
    const char *source, *column;
    size_t last_line, rows, assets;
} Where;

static int too_few(BtCtx *c, const Where *w, size_t need, const char *why)
{
    return bt_fail(c, SIM_EINVAL, "%s:%zu: column %s: too few rows: %zu price rows, %s needs at least %zu",
                   w->source, w->last_line, w->column, w->rows, why, need);
}

static int max_slow(const BtParams *p)
{
    int m = 0;
    for (int i = 0; i < p->nfast; i++)
        for (int j = 0; j < p->nslow; j++)
            if (p->fast[i] < p->slow[j] && p->slow[j] > m)
                m = p->slow[j];
    return m;
}

static int check_ma(BtCtx *c, const BtParams *p, const Where *w)
{
    char why[64];
    if (p->nfast < 1 || p->nfast > BT_MAX_GRID || p->nslow < 1 || p->nslow > BT_MAX_GRID)
        return bt_fail(c, SIM_EINVAL, "--fast and --slow need 1 to %d windows each", BT_MAX_GRID);
    for (int i = 0; i < p->nfast || i < p->nslow; i++)
        if ((i < p->nfast && p->fast[i] < 1) || (i < p->nslow && p->slow[i] < 1))
            return bt_fail(c, SIM_EINVAL, "MA windows must be >= 1 day");
    if (p->mode != BT_LONG_FLAT && p->mode != BT_LONG_SHORT)
        return bt_fail(c, SIM_EINVAL, "unknown --mode");
    int s = max_slow(p);
    if (s == 0)
        return bt_fail(c, SIM_EINVAL, "no (fast, slow) pair with fast < slow");
    snprintf(why, sizeof why, "ma_cross with slow window %d", s);
    return w->rows < (size_t)s + 1 ? too_few(c, w, (size_t)s + 1, why) : SIM_OK;
}

static int check_momentum(BtCtx *c, const BtParams *p, const Where *w)
{
    if (p->lookback < 1 || p->skip < 0 || p->hold < 1)
        return bt_fail(c, SIM_EINVAL, "momentum needs --lookback >= 1, --skip >= 0, --hold >= 1");
    if (p->top < 1 || (size_t)p->top > w->assets)
        return bt_fail(c, SIM_EINVAL, "--top %d: need 1 <= K <= %zu (the number of assets)",
                       p->top, w->assets);
    size_t need = (size_t)p->lookback + (size_t)p->skip + 2;
    return w->rows < need ? too_few(c, w, need, "momentum (lookback + skip + 2)") : SIM_OK;
}

static int check_cov(BtCtx *c, const BtParams *p, const Where *w)
{
    if (p->window < 2 || p->hold < 1)
        return bt_fail(c, SIM_EINVAL, "%s needs --window >= 2 and --hold >= 1",
                       bt_kernel_name(p->kernel));
    if (!(p->shrink >= 0 && p->shrink <= 1))
        return bt_fail(c, SIM_EINVAL, "--shrink must be in [0, 1]");
    if (!(p->gamma > 0 && isfinite(p->gamma)))
        return bt_fail(c, SIM_EINVAL, "--gamma must be a positive number");
    size_t need = (size_t)p->window + 2;
    return w->rows < need ? too_few(c, w, need, "the covariance window + 2") : SIM_OK;
}

static int check_where(BtCtx *c, const BtParams *p, const Where *w)
{
    if (!(p->cost_bps >= 0 && p->cost_bps < 1e4))
        return bt_fail(c, SIM_EINVAL, "--cost-bps must be in [0, 10000)");
    switch (p->kernel) {
    case BT_MA_CROSS: return check_ma(c, p, w);
    case BT_MOMENTUM: return check_momentum(c, p, w);
    case BT_MINVAR:
    case BT_MEANVAR: return check_cov(c, p, w);
    default: return bt_fail(c, SIM_EINVAL, "unknown kernel %d", (int)p->kernel);
    }
}

int bt_check(BtCtx *c, const BtData *d, const BtParams *p)
{
    Where w = {d->source, d->names[0], d->first_line + d->rows - 1, d->rows, d->assets};
    return check_where(c, p, &w);
}

BtCost bt_cost_predict(const BtParams *p, size_t rows, size_t assets)
{
    BtCtx c;
    Where w = {"", "", 0, rows, assets};
    bt_ctx_init(&c, NULL);
    if (assets == 0 || check_where(&c, p, &w) != SIM_OK)
        return (BtCost){0, 0};
    switch (p->kernel) {
    case BT_MA_CROSS: return bt_cost_ma(p, rows, assets);
    case BT_MOMENTUM: return bt_cost_momentum(p, rows, assets);
    default: return bt_cost_cov(p, rows, assets);
    }
}

/* ---- running ------------------------------------------------------------- */

void bt_result_free(BtResult *r)
{
    if (r == NULL)
        return;
    SimMem *m = r->mem;
    size_t n = r->rows - 1, K = (size_t)r->params.top;
    bt_free(m, r->pair_fast, r->npairs, sizeof *r->pair_fast);
    bt_free(m, r->pair_slow, r->npairs, sizeof *r->pair_slow);
    bt_free(m, r->ma, r->npairs * (r->assets + 1), sizeof *r->ma);
    bt_free(m, r->returns, n, sizeof *r->returns);
    bt_free(m, r->tau, n, sizeof *r->tau);
    bt_free(m, r->rebal_t, r->nrebal, sizeof *r->rebal_t);
    bt_free(m, r->rebal_tau, r->nrebal, sizeof *r->rebal_tau);
    bt_free(m, r->selected, r->nrebal * K, sizeof *r->selected);
    bt_free(m, r->weights, r->nrebal * r->assets, sizeof *r->weights);
    sim_mem_free(m, r, sizeof *r);
}

int bt_run(BtCtx *c, const BtData *d, const BtParams *p, BtResult **out)
{
    *out = NULL;
    int rc = bt_check(c, d, p);
    if (rc != SIM_OK)
        return rc;
    BtResult *r = bt_alloc(c, 1, sizeof *r);
    if (r == NULL)
        return SIM_ENOMEM;
    *r = (BtResult){.mem = c->mem, .params = *p, .rows = d->rows, .assets = d->assets};
    if (p->kernel == BT_MA_CROSS)
        rc = bt_ma_run(c, d, r);
    else if (p->kernel == BT_MOMENTUM)
        rc = bt_momentum_run(c, d, r);
    else
        rc = bt_cov_run(c, d, r);
    if (rc != SIM_OK) {
        if (rc == SIM_ENOMEM)
            bt_oom(c);
        bt_result_free(r);
        return rc;
    }
    r->cost = bt_cost_predict(p, d->rows, d->assets);
    *out = r;
    return SIM_OK;
}

/* ---- accessors ----------------------------------------------------------- */

BtKernel bt_result_kernel(const BtResult *r) { return r->params.kernel; }
const BtParams *bt_result_params(const BtResult *r) { return &r->params; }
BtCost bt_result_cost(const BtResult *r) { return r->cost; }
uint64_t bt_result_flops_done(const BtResult *r)
{
    return r->cost.flops - r->cov_flops_spec + r->cov_flops_done;
}
size_t bt_result_npairs(const BtResult *r) { return r->npairs; }

void bt_result_pair(const BtResult *r, size_t pair, int *fast, int *slow)
{
    SIM_ASSERT(pair < r->npairs);
    *fast = r->pair_fast[pair];
    *slow = r->pair_slow[pair];
}

const BtMetrics *bt_result_ma_asset(const BtResult *r, size_t pair, size_t asset)
{
    SIM_ASSERT(pair < r->npairs && asset < r->assets);
    return &r->ma[pair * (r->assets + 1) + asset];
}

const BtMetrics *bt_result_ma_portfolio(const BtResult *r, size_t pair)
{
    SIM_ASSERT(pair < r->npairs);
    return &r->ma[pair * (r->assets + 1) + r->assets];
}

const BtMetrics *bt_result_metrics(const BtResult *r) { return &r->metrics; }
const double *bt_result_returns(const BtResult *r) { return r->returns; }
size_t bt_result_nrebal(const BtResult *r) { return r->nrebal; }

BtRebal bt_result_rebal(const BtResult *r, size_t i)
{
    SIM_ASSERT(i < r->nrebal);
    size_t K = r->selected ? (size_t)r->params.top : 0, N = r->weights ? r->assets : 0;
    return (BtRebal){.t = r->rebal_t[i], .turnover = r->rebal_tau[i],
                     .selected = r->selected ? r->selected + i * K : NULL, .nselected = K,
                     .weights = r->weights ? r->weights + i * N : NULL, .nweights = N};
}
