/*
 * cost.c: the counted work of each kernel, analytic in the sizes, and its
 * conversion into simulated time on a node.
 *
 * Conventions (bt.h): one flop per double add, subtract, multiply, divide,
 * sqrt or pow in our loops; BLAS/LAPACK calls count as LAPACK's dopbl3/dopla
 * (dsyrk k*n*(n+1), dpotrf n(n+1)(2n+1)/6 = n^3/3 + n^2/2 + n/6, dpotrs
 * 2*nrhs*n^2). Bytes are 8 per double loaded or stored by a pass over an
 * array (4 per int32), operands of a BLAS/LAPACK call once per call, and the
 * momentum sort's data movement is not counted (it depends on the data).
 * Invariant: each formula below mirrors one loop of ma.c, book.c, momentum.c,
 * cov.c or metrics.c; change them together.
 */
#include "workloads/backtest/bt.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "sim/json.h"
#include "workloads/backtest/bt_int.h"

typedef uint64_t U;

static void add(BtCost *c, U flops, U bytes)
{
    c->flops += flops;
    c->bytes += bytes;
}

/* R[t,a] = P[t,a]/P[t-1,a] - 1: two loads, one store. */
static void returns_cost(BtCost *c, U T, U N)
{
    add(c, 2 * N * (T - 1), 24 * N * (T - 1));
}

/* ---- (a) ----------------------------------------------------------------- */

/* Counts are per real asset: the SIMD padding lanes (assets rounded up to a
 * multiple of 4) compute on dummy prices and are not counted. Shared work: the
 * padded copy of the prices (a load and a store), returns, compensated prefix
 * sums (7 flops; load P, store hi and lo, and their zero first rows), then each
 * window's SMA (4 flops; four loads and a store per day). */
static void ma_prep_cost(BtCost *c, const BtParams *p, U T, U N)
{
    int win[2 * BT_MAX_GRID];
    U nw = bt_ma_windows(p, win);
    add(c, 0, 16 * N * T);
    returns_cost(c, T, N);
    add(c, 7 * N * T, 24 * N * T + 16 * N);
    for (U i = 0; i < nw; i++) {
        U days = T - (U)win[i] + 1;
        add(c, 4 * N * days, 40 * N * days);
    }
}

/* A cell's day: 17 flops (signal 2, tau 1, r 6, portfolio lane sums 2, sum and
 * tsum 2, NAV 2, drawdown 2), loads f, s, R and two lane sums, stores r and
 * the two lane sums; then the variance pass (3 flops, one load). Per cell: the
 * t0*mean^2 term (3) and the final formulas. Per pair: zero the 2 x 4 lane
 * sums, total them (6 adds and 2 divides a day; 8 loads, 2 stores), and the
 * portfolio's metrics. */
static void ma_pair_cost(BtCost *c, U T, U N, U slow)
{
    U m = T - slow, n = T - 1;
    add(c, N * (20 * m + 3 + BT_FLOPS_FINISH), N * 72 * m);
    add(c, 8 * n + bt_metrics_flops(n), 64 * n + 80 * n + bt_metrics_bytes(n));
}

BtCost bt_cost_ma(const BtParams *p, size_t rows, size_t assets)
{
    BtCost c = {0, 0};
    ma_prep_cost(&c, p, rows, assets);
    for (int i = 0; i < p->nfast; i++)
        for (int j = 0; j < p->nslow; j++)
            if (p->fast[i] < p->slow[j])
                ma_pair_cost(&c, rows, assets, (U)p->slow[j]);
    return c;
}

/* ---- the book of (b) and (c) --------------------------------------------- */

/* Days t = 0..T-2: drift from t = 1 (3 flops an asset + 1; load w, R, store w),
 * w.R (2 flops an asset; two loads), the net return (6 flops; two stores).
 * A rebalance: turnover (2 flops an asset; two loads), the copy of the target
 * (a load and a store an asset) and the two records. Then the metrics. */
BtCost bt_book_cost(size_t rows, size_t assets, size_t nrebal)
{
    BtCost c = {0, 0};
    U T = rows, N = assets, K = nrebal, n = T - 1;
    add(&c, (T - 2) * (3 * N + 1), (T - 2) * 24 * N);
    add(&c, n * (2 * N + 6), n * (16 * N + 16));
    add(&c, K * 2 * N, K * (32 * N + 16));
    add(&c, bt_metrics_flops(n), bt_metrics_bytes(n));
    return c;
}

static BtCost plus(BtCost a, BtCost b)
{
    return (BtCost){a.flops + b.flops, a.bytes + b.bytes};
}

/* ---- (b) ----------------------------------------------------------------- */

/* A rebalance: N scores (2 flops, two loads, a 16-byte store), zeroing the
 * target, 1/K, and K weights and selections stored. */
BtCost bt_cost_momentum(const BtParams *p, size_t rows, size_t assets)
{
    BtCost c = {0, 0};
    U N = assets, K = (U)p->top;
    U nr = bt_nrebal(rows, (size_t)p->lookback + (size_t)p->skip, (size_t)p->hold);
    returns_cost(&c, rows, N);
    add(&c, nr * (2 * N + 1), nr * (32 * N + 8 * N + 12 * K));
    return plus(c, bt_book_cost(rows, assets, nr));
}

/* ---- (c) ----------------------------------------------------------------- */

/* Centring (column sums, means, the ones column, Xc = X - mu) and 1/(W-1). */
static void center_cost(BtCost *c, U W, U N)
{
    add(c, 2 * W * N + N + 2, 8 * N + 24 * W * N + 24 * N + 24 * W * N);
}

static void factor_cost(BtCost *c, const BtParams *p, U W, U N)
{
    U tri = N * (N + 1) / 2;
    add(c, W * N * (N + 1), 8 * (W * N + tri));                  /* dsyrk */
    if (p->shrink > 0)
        add(c, tri + 2 * N + 3, 8 * N + 16 * tri + 16 * N);       /* trace, scale, diagonal */
    add(c, N * (N + 1) * (2 * N + 1) / 6, 16 * tri);              /* dpotrf */
    add(c, 4 * N * N, 8 * (2 * tri + 8 * N));                    /* dpotrs, nrhs = 2 */
}

/* The part of one window's counted flops that cov.c may skip by rolling:
 * center_cost and factor_cost's dsyrk. */
uint64_t bt_cost_cov_window_flops(size_t window, size_t assets)
{
    BtCost c = {0, 0};
    U W = window, N = assets;
    center_cost(&c, W, N);
    return c.flops + W * N * (N + 1);
}

/* factor_cost's shrinkage and dpotrf: what cov.c repeats when a rolled
 * Sigma's factorisation fails and the window is computed in full. */
uint64_t bt_cost_cov_factor_flops(double shrink, size_t assets)
{
    U N = assets, tri = N * (N + 1) / 2;
    return (shrink > 0 ? tri + 2 * N + 3 : 0) + N * (N + 1) * (2 * N + 1) / 6;
}

/* Weights: 1'a and a/1'a; mean-variance adds 1'b and four flops an asset. */
static void weights_cost(BtCost *c, const BtParams *p, U N)
{
    add(c, 2 * N, 24 * N + 16 * N);                              /* and the copy to the result */
    if (p->kernel == BT_MEANVAR)
        add(c, 5 * N, 32 * N);
}

BtCost bt_cost_cov(const BtParams *p, size_t rows, size_t assets)
{
    BtCost c = {0, 0}, one = {0, 0};
    U W = (U)p->window, N = assets;
    U nr = bt_nrebal(rows, (size_t)p->window, (size_t)p->hold);
    returns_cost(&c, rows, N);
    center_cost(&one, W, N);
    factor_cost(&one, p, W, N);
    weights_cost(&one, p, N);
    add(&c, nr * one.flops, nr * one.bytes);
    return plus(c, bt_book_cost(rows, assets, nr));
}

/* ---- throughput ---------------------------------------------------------- */

BtClass bt_kernel_class(BtKernel k)
{
    switch (k) {
    case BT_MA_CROSS: return BT_CLASS_SIGNAL;
    case BT_MOMENTUM: return BT_CLASS_RANK;
    default: return BT_CLASS_BLAS;
    }
}

int bt_kernel_gpu_eligible(BtKernel k)
{
    return bt_kernel_class(k) == BT_CLASS_BLAS;
}

/* Single-thread figures `kubesim calibrate` measured on the reference host
 * (2 vCPUs of a Xeon, OpenBLAS 0.3.21 with its Prescott core), rounded. */
void bt_throughput_reference(BtThroughput *t)
{
    t->flops_per_s[BT_CLASS_SIGNAL] = 7.0e9;
    t->bytes_per_s[BT_CLASS_SIGNAL] = 28.0e9;
    t->flops_per_s[BT_CLASS_RANK] = 0.5e9;
    t->bytes_per_s[BT_CLASS_RANK] = 5.0e9;
    t->flops_per_s[BT_CLASS_BLAS] = 14.0e9;
    t->bytes_per_s[BT_CLASS_BLAS] = 4.0e9;
}

static const char *const class_names[BT_CLASS_COUNT] = {"signal", "rank", "blas"};

static int parse_class(BtCtx *c, const cJSON *classes, int k, BtThroughput *t)
{
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(classes, class_names[k]);
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(one, "single");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(single, "flops_per_s");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(single, "bytes_per_s");
    if (!cJSON_IsNumber(f) || !cJSON_IsNumber(b) || !(f->valuedouble > 0) || !(b->valuedouble > 0))
        return bt_fail(c, SIM_EINVAL, "calibration: classes.%s.single needs positive "
                       "flops_per_s and bytes_per_s", class_names[k]);
    t->flops_per_s[k] = f->valuedouble;
    t->bytes_per_s[k] = b->valuedouble;
    return SIM_OK;
}

int bt_throughput_parse(BtCtx *c, const char *json, BtThroughput *t)
{
    SimJsonScope js;
    sim_json_begin(&js, c->mem);
    cJSON *root = cJSON_Parse(json);
    if (sim_json_end(&js) != SIM_OK) {
        cJSON_Delete(root);
        return bt_fail(c, SIM_ENOMEM, "out of memory");
    }
    if (root == NULL)
        return bt_fail(c, SIM_EINVAL, "calibration: not valid JSON");
    const cJSON *classes = cJSON_GetObjectItemCaseSensitive(root, "classes");
    int rc = SIM_OK;
    if (classes == NULL && cJSON_GetObjectItemCaseSensitive(root, "timings")) {
        bt_throughput_reference(t);   /* timings only (calibrate --from-prometheus): built-in rates */
        cJSON_Delete(root);
        return SIM_OK;
    }
    for (int k = 0; rc == SIM_OK && k < BT_CLASS_COUNT; k++)
        rc = parse_class(c, classes, k, t);
    cJSON_Delete(root);
    return rc;
}

SimTime bt_sim_duration(const BtThroughput *t, const BtNodeSpeed *n, BtKernel k, BtCost cost)
{
    BtClass cl = bt_kernel_class(k);
    double f = t->flops_per_s[cl] * n->speed, b = t->bytes_per_s[cl] * n->speed;
    if (cost.flops == 0 && cost.bytes == 0)
        return 0;
    if (!(f > 0) || !(b > 0))
        return SIM_TIME_MAX;
    /* Nanoseconds directly (work * 1e9 / rate): exact for round figures. */
    double ns = fmax((double)cost.flops * 1e9 / f, (double)cost.bytes * 1e9 / b);
    if (bt_kernel_gpu_eligible(k) && n->gpus > 0 && n->gpu_speedup > 1)
        ns /= n->gpu_speedup;
    ns = ceil(ns);
    if (!(ns < 9.2e18))
        return SIM_TIME_MAX;
    return ns < 1 ? 1 : (SimTime)ns;
}
