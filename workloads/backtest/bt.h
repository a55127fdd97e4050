/*
 * bt.h: the backtest kernels that kubesim's batch pods run for real (prefix bt_).
 *
 * Three kernels over a table of daily closing prices (BACKTEST.md is the exact
 * specification): (a) moving-average crossover over a grid of (fast, slow)
 * pairs x every asset, plus an equal-weight portfolio per pair; (b)
 * cross-sectional momentum with periodic rebalancing; (c) minimum-variance and
 * mean-variance portfolios from a rolling covariance (OpenBLAS + LAPACKE).
 *
 * Key invariant: weights decided at close t use data <= t only and earn
 * R[t+1]; trades happen at t <= T-2, so every cost lands inside the sample.
 * A run is a pure function of (kernel, parameters, prices): same inputs, same
 * bits out, whatever the thread count. Every run also reports its counted work
 * (flops and bytes, analytic in the sizes), which the simulator turns into
 * simulated seconds through a node's calibrated throughput, never wall time.
 *
 * Errors: fallible functions return 0 or a negative SIM_E* code and leave the
 * message on the BtCtx ("FILE:LINE: column NAME: reason" for bad data).
 * Memory: everything is allocated through the SimMem the caller hands in.
 */
#ifndef KUBESIM_BT_H
#define KUBESIM_BT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#define BT_MAX_GRID 64      /* most fast (or slow) values in one MA grid */
#define BT_EPS 1e-9         /* the MA dead-band: relative gap that counts as a tie */
#define BT_ERRLEN 512

typedef enum BtKernel {
    BT_MA_CROSS = 0,    /* (a) */
    BT_MOMENTUM,        /* (b) */
    BT_MINVAR,          /* (c) minimum variance */
    BT_MEANVAR,         /* (c) fully-invested mean-variance */
    BT_KERNEL_COUNT
} BtKernel;

typedef enum BtMode { BT_LONG_FLAT = 0, BT_LONG_SHORT = 1 } BtMode;

/* Throughput classes: kernels whose speed is governed by the same hardware
 * resource share one calibrated rate. */
typedef enum BtClass {
    BT_CLASS_SIGNAL = 0,    /* (a): streaming scalar arithmetic */
    BT_CLASS_RANK,          /* (b): per-day drift loops and a sort per rebalance */
    BT_CLASS_BLAS,          /* (c): dsyrk + Cholesky; the only GPU-eligible class */
    BT_CLASS_COUNT
} BtClass;

/* ---- context: the allocator and the last error message ------------------- */
/* A small value type embedded by its owner, like SimMem. */
typedef struct BtCtx {
    SimMem *mem;
    int code;                 /* last error code (0 when none) */
    char err[BT_ERRLEN];      /* last error message ("" when none) */
    int blas_ready;           /* OpenBLAS's own buffer was had: no need to check again */
} BtCtx;

void bt_ctx_init(BtCtx *c, SimMem *m);
const char *bt_errmsg(const BtCtx *c);

/* ---- parameters ---------------------------------------------------------- */
/* A plain value: copy it freely. Fields a kernel does not use are ignored
 * (and do not take part in the memo key). */
typedef struct BtParams {
    BtKernel kernel;
    double cost_bps;                 /* all: cost per unit of two-sided turnover, bps */
    int nfast, nslow;                /* (a): the grid; pairs are fast x slow with fast < slow */
    int fast[BT_MAX_GRID];
    int slow[BT_MAX_GRID];
    BtMode mode;                     /* (a) */
    int lookback, skip, top;         /* (b): L, k, K */
    int hold;                        /* (b), (c): H, days between rebalances */
    int window;                      /* (c): W */
    double shrink, gamma;            /* (c): lambda in [0, 1], gamma > 0 */
    int threads;                     /* (a): worker threads (0 or 1: the caller's
                                        thread only); never changes the result */
} BtParams;

/* Fills p with BACKTEST.md's defaults for kernel k. */
void bt_params_default(BtParams *p, BtKernel k);
/* "ma_cross", "momentum", "minvar", "meanvar"; NULL for an unknown kernel. */
const char *bt_kernel_name(BtKernel k);
/* 0 and *out set, or SIM_EINVAL for an unknown name. */
int bt_kernel_from_name(const char *name, BtKernel *out);

/* ---- price data ---------------------------------------------------------- */
/* T rows (days) x N assets of positive prices, with column names, the source
 * name used in messages and a SHA-256 of the contents (the memo key). */
typedef struct BtData BtData;

/* Reads a CSV: a header row (label column, then one name per asset), then one
 * row per day (a date or label, then the prices). Refuses, with
 * "FILE:LINE: column NAME: reason", empty files, ragged rows, non-numeric,
 * non-finite or non-positive prices, empty or duplicate column names.
 * On success *out is owned by the caller (bt_data_free). */
int bt_data_load_csv(BtCtx *c, const char *path, BtData **out);
/* Same, from text in memory; name stands for the file in messages. */
int bt_data_parse_csv(BtCtx *c, const char *name, const char *text, size_t len, BtData **out);
/* Copies rows x assets row-major prices and the names (NULL: "A0", "A1", ...). */
int bt_data_from_prices(BtCtx *c, const char *name, size_t rows, size_t assets,
                        const double *prices, const char *const *names, BtData **out);
/* A seeded synthetic universe: `assets` geometric random walks of `rows` days
 * from 100, one common factor (correlation 0.3) plus idiosyncratic noise, drawn
 * from a SimRng stream of `seed`. Same seed, same bits. */
int bt_data_synthetic(BtCtx *c, size_t rows, size_t assets, uint64_t seed, BtData **out);
void bt_data_free(BtData *d);

size_t bt_data_rows(const BtData *d);
size_t bt_data_assets(const BtData *d);
const char *bt_data_name(const BtData *d, size_t asset);
const double *bt_data_prices(const BtData *d);    /* row-major, rows x assets */
const char *bt_data_source(const BtData *d);
const char *bt_data_hash(const BtData *d);        /* 64 lowercase hex characters */

/* ---- metrics ------------------------------------------------------------- */
typedef struct BtMetrics {
    double cum_return;
    double ann_return;
    double ann_vol;
    double sharpe;           /* NaN when sharpe_null */
    double max_drawdown;     /* positive */
    double turnover_total;
    double turnover_ann;
    int64_t n_trades;
    int sharpe_null;         /* 1 when std(r) = 0 (JSON null) */
} BtMetrics;

/* Metrics of the net returns r[0..n-1] (the days t = 1..T-1, so n = T-1) and
 * turnovers tau[0..n-1] (the closes t = 0..T-2), as BACKTEST.md defines them
 * (std with ddof = 1, 252 days a year). n >= 2. */
void bt_metrics(const double *r, const double *tau, size_t n, BtMetrics *out);

/* ---- counted work -------------------------------------------------------- */
/* Exact counts for the code as written (kernel (c): as specified, a full
 * centring pass and dsyrk per window; see bt_result_flops_done): one flop per double add, subtract,
 * multiply, divide, sqrt or pow; fabs, comparisons and min/max are free.
 * BLAS/LAPACK calls count as LAPACK's dopbl3/dopla formulas (dsyrk
 * k*n*(n+1), dpotrf n^3/3 + n^2/2 + n/6, dpotrs 2*nrhs*n^2). Bytes are
 * 8 per double loaded from or stored to an array (per pass, not per cache
 * line; register-resident scalars are free). Formulas: cost.c. */
typedef struct BtCost {
    uint64_t flops;
    uint64_t bytes;
} BtCost;

/* The work a valid request does on rows x assets, without running it (the same
 * figures the run reports). Zero for a request bt_check refuses. */
BtCost bt_cost_predict(const BtParams *p, size_t rows, size_t assets);

/* ---- running ------------------------------------------------------------- */
typedef struct BtResult BtResult;

/* Checks p against d: parameter ranges, and enough rows for the windows
 * ("FILE:LINE: column NAME: too few rows ..."). 0 or SIM_EINVAL. */
int bt_check(BtCtx *c, const BtData *d, const BtParams *p);
/* Runs one kernel (bt_check first). On success *out is owned by the caller
 * (bt_result_free). SIM_EINVAL also when a covariance is not positive
 * definite (the message suggests --shrink); SIM_ENOMEM leaves nothing behind. */
int bt_run(BtCtx *c, const BtData *d, const BtParams *p, BtResult **out);
void bt_result_free(BtResult *r);

BtKernel bt_result_kernel(const BtResult *r);
const BtParams *bt_result_params(const BtResult *r);
BtCost bt_result_cost(const BtResult *r);
/* The flops the run actually did, counted as BtCost counts them. Equal to
 * the counted work except for (c), which rolls its covariance from one
 * window to the next (two dsyrk of k = hold instead of one of k = window)
 * and so does less; the counted work stays that of the specified
 * computation, so simulated time is a function of the request alone. */
uint64_t bt_result_flops_done(const BtResult *r);

/* (a): the pairs in grid order (fast-major, fast < slow only). */
size_t bt_result_npairs(const BtResult *r);
void bt_result_pair(const BtResult *r, size_t pair, int *fast, int *slow);
const BtMetrics *bt_result_ma_asset(const BtResult *r, size_t pair, size_t asset);
/* The equal-weight portfolio: r_port[t] = mean_a r[t,a], and (sleeves re-set
 * daily at no cost, so its weights are S[t,a]/N) tau_port[t] = mean_a tau[t,a]. */
const BtMetrics *bt_result_ma_portfolio(const BtResult *r, size_t pair);

/* (a)'s signals S[t] of one (fast, slow) pair for every asset, exactly as the
 * kernel computes them (same SMAs, same dead-band): out holds (rows-1) x assets
 * values -1, 0 or 1, row-major, for t = 0..T-2. For tests and inspection. */
int bt_ma_signals(BtCtx *c, const BtData *d, int fast, int slow, BtMode mode, int8_t *out);

/* (b), (c): the strategy's metrics, net returns r[1..T-1] (T-1 values), and
 * its rebalances in date order. */
const BtMetrics *bt_result_metrics(const BtResult *r);
const double *bt_result_returns(const BtResult *r);
typedef struct BtRebal {
    int64_t t;                 /* the close at which it trades */
    double turnover;           /* tau, against the drifted weights */
    const int32_t *selected;   /* (b): the top K column indices, best first */
    size_t nselected;
    const double *weights;     /* (c): the N target weights */
    size_t nweights;
} BtRebal;
size_t bt_result_nrebal(const BtResult *r);
BtRebal bt_result_rebal(const BtResult *r, size_t i);

/* ---- memo cache ---------------------------------------------------------- */
/* Identical requests (kernel, the kernel's parameters, data hash) share one real
 * run: the first runs the kernel, later ones return the same result. */
typedef struct BtMemo BtMemo;

BtMemo *bt_memo_create(SimMem *m);             /* NULL on out of memory */
/* Frees the memo and every result it holds. */
void bt_memo_destroy(BtMemo *mc);
/* *out is owned by the memo and valid until bt_memo_destroy. */
int bt_memo_run(BtCtx *c, BtMemo *mc, const BtData *d, const BtParams *p, const BtResult **out);
uint64_t bt_memo_hits(const BtMemo *mc);
/* From now on mc's misses are looked up in shared, or run into it, and
 * borrowed from there (mc's counts stay as if it ran them); shared must
 * outlive mc. NULL: none. */
void bt_memo_share(BtMemo *mc, BtMemo *shared);
uint64_t bt_memo_misses(const BtMemo *mc);

/* ---- throughput: counted work -> simulated time -------------------------- */
/* Rates of one reference core per kernel class (as `kubesim calibrate` writes
 * them). A node runs at `speed` times the reference core; a GPU-eligible
 * kernel (class BLAS) on a node with gpus > 0 runs gpu_speedup times faster. */
typedef struct BtThroughput {
    double flops_per_s[BT_CLASS_COUNT];
    double bytes_per_s[BT_CLASS_COUNT];
} BtThroughput;

typedef struct BtNodeSpeed {
    double speed;          /* relative to the reference core; > 0 */
    uint32_t gpus;
    double gpu_speedup;    /* used when gpus > 0; >= 1 */
} BtNodeSpeed;

/* Built-in reference figures (a 2020s server core), for runs without a
 * calibration file. */
void bt_throughput_reference(BtThroughput *t);
/* Fills t from a calibration JSON's single-thread figures; SIM_EINVAL with a
 * message naming the missing key. A file with "timings" and no "classes"
 * (fitted delays only) gives the built-in figures. */
int bt_throughput_parse(BtCtx *c, const char *json, BtThroughput *t);
BtClass bt_kernel_class(BtKernel k);
int bt_kernel_gpu_eligible(BtKernel k);
/* Roofline: max(flops / (F * speed), bytes / (B * speed)), divided by the GPU
 * speed-up when eligible; rounded up to whole nanoseconds, at least 1 ns for
 * nonzero work, saturating at SIM_TIME_MAX. */
SimTime bt_sim_duration(const BtThroughput *t, const BtNodeSpeed *n, BtKernel k, BtCost cost);

#endif
