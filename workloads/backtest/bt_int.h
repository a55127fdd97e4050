/*
 * bt_int.h: layouts and helpers shared by the files of workloads/backtest/.
 * No other module includes this file.
 *
 * Invariant: every array below was allocated through `mem` with exactly the
 * size its count fields imply, so the frees can hand SimMem the right size.
 */
#ifndef KUBESIM_BT_INT_H
#define KUBESIM_BT_INT_H

#include "workloads/backtest/bt.h"

#define BT_DAYS_PER_YEAR 252.0

struct BtData {
    SimMem *mem;
    size_t rows, assets;
    double *prices;          /* rows x assets, row-major */
    char **names;            /* assets names, each sim_mem_strdup'd */
    char *source;            /* file name for messages */
    size_t first_line;       /* file line of row 0 (0 when not from a file) */
    char hash[65];
};

struct BtResult {
    SimMem *mem;
    BtParams params;
    size_t rows, assets;
    BtCost cost;
    /* (a) */
    size_t npairs;
    int32_t *pair_fast, *pair_slow;      /* npairs */
    BtMetrics *ma;                       /* npairs x (assets + 1); the last is the portfolio */
    /* (b), (c) */
    BtMetrics metrics;
    double *returns;                     /* rows - 1 */
    double *tau;                         /* rows - 1: tau at t = 0..T-2 */
    size_t nrebal;
    int64_t *rebal_t;                    /* nrebal */
    double *rebal_tau;                   /* nrebal */
    int32_t *selected;                   /* (b): nrebal x top */
    double *weights;                     /* (c): nrebal x assets */
    /* (c): the counted flops of the windows' centring and dsyrk, and the
     * flops the kernel spent instead (it rolls the covariance) */
    uint64_t cov_flops_spec, cov_flops_done;
};

/* Records a message on the context and returns code. */
int bt_fail(BtCtx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bt_oom(BtCtx *c);

/* Arrays through the context's SimMem; n elements of size sz, zeroed. NULL
 * (and the OOM message on c) on failure. */
void *bt_alloc(BtCtx *c, size_t n, size_t sz);
void bt_free(SimMem *m, void *p, size_t n, size_t sz);

/* Builds a table from copies of prices and names (NULL: "A0", "A1", ...).
 * first_line is the file line of row 0 for messages (0: not from a file). */
int bt_data_build(BtCtx *c, const char *name, size_t first_line, size_t rows, size_t assets,
                  const double *prices, const char *const *names, BtData **out);

/* Simple returns R[t,a] = P[t,a]/P[t-1,a] - 1 for t >= 1, row-major
 * rows x assets with row 0 all zero. */
double *bt_returns_rowmajor(BtCtx *c, const BtData *d);

/* Number of rebalance dates t0, t0+h, ... <= rows-2 (0 when t0 > rows-2). */
size_t bt_nrebal(size_t rows, size_t t0, size_t h);

/* The kernels: fill r (allocated by bt_result_new) and return 0 or an error. */
int bt_ma_run(BtCtx *c, const BtData *d, BtResult *r);
int bt_momentum_run(BtCtx *c, const BtData *d, BtResult *r);
int bt_cov_run(BtCtx *c, const BtData *d, BtResult *r);

/* Distinct windows of the valid pairs of p, ascending; returns their count. */
size_t bt_ma_windows(const BtParams *p, int *win);
size_t bt_ma_npairs(const BtParams *p);

/* Counted work of each kernel (cost.c). */
BtCost bt_cost_ma(const BtParams *p, size_t rows, size_t assets);
BtCost bt_cost_momentum(const BtParams *p, size_t rows, size_t assets);
BtCost bt_cost_cov(const BtParams *p, size_t rows, size_t assets);
/* Kernel (c)'s counted flops of one window's centring and dsyrk, and of its
 * shrinkage and dpotrf (cov.c counts what it actually does against these). */
uint64_t bt_cost_cov_window_flops(size_t window, size_t assets);
uint64_t bt_cost_cov_factor_flops(double shrink, size_t assets);

/* Accumulators of the first metrics pass (fused into the MA kernel's loop). */
typedef struct BtAcc {
    double sum, E, dd, tsum;   /* sum of r, final NAV, max drawdown, sum of tau */
    double ss;                 /* sum of squared deviations from the mean */
    int64_t trades;
    size_t n;
} BtAcc;
void bt_metrics_finish(const BtAcc *a, double mean, BtMetrics *out);

/* Flops per element of the two metrics passes, and of the final formulas
 * (the mean; std: n-1, divide, sqrt; cum; ann_return: 1+cum, 252/n, pow, -1;
 * ann_vol; sharpe: divide, multiply; turnover_ann: divide, multiply). */
#define BT_FLOPS_PASS1 6u    /* sum, 1+r, E*, E/peak, 1-x, tsum */
#define BT_FLOPS_PASS2 3u    /* r-mean, square, add */
#define BT_FLOPS_FINISH 14u

/* Flops of bt_metrics on n values (the per-element passes and the final ones). */
uint64_t bt_metrics_flops(size_t n);
uint64_t bt_metrics_bytes(size_t n);

/* The drift-and-rebalance book shared by (b) and (c). At each rebalance date
 * the kernel's target function writes N target weights (and may record what it
 * chose under rebalance index k); the book charges costs, drifts the weights
 * between rebalances and fills r->returns, r->tau, r->rebal_t, r->rebal_tau. */
typedef int (*BtTargetFn)(void *ud, size_t t, size_t k, double *target);
typedef struct BtBook {
    const double *R;         /* rows x assets row-major returns (row 0 unused) */
    size_t t0, hold;         /* first rebalance date and the spacing */
    BtTargetFn target;
    void *ud;
} BtBook;
int bt_book_run(BtCtx *c, const BtBook *b, BtResult *r);
/* Flops and bytes of bt_book_run outside the target function. */
BtCost bt_book_cost(size_t rows, size_t assets, size_t nrebal);

#endif
