/*
 * metrics.c: performance metrics of a net-return series (BACKTEST.md,
 * "Metrics"), shared by every kernel.
 *
 * Invariant: the flop count of bt_metrics is data-independent (the Sharpe
 * ratio is computed even when it will be reported as null), so the counted
 * work of a run is a function of sizes only. The MA kernel fuses the first
 * pass into its own loop; bt_metrics_finish keeps the final formulas in one
 * place for both.
 */
#include "workloads/backtest/bt.h"

#include <math.h>

#include "workloads/backtest/bt_int.h"

#define SQRT252 15.874507866387544   /* sqrt(252), a constant: no flop at run time */

void bt_metrics_finish(const BtAcc *a, double mean, BtMetrics *out)
{
    double n = (double)a->n;
    double std = sqrt(a->ss / (n - 1.0));
    out->cum_return = a->E - 1.0;
    out->ann_return = pow(1.0 + out->cum_return, BT_DAYS_PER_YEAR / n) - 1.0;
    out->ann_vol = std * SQRT252;
    out->sharpe = mean / std * SQRT252;
    out->sharpe_null = std == 0.0;
    if (out->sharpe_null)
        out->sharpe = NAN;
    out->max_drawdown = a->dd;
    out->turnover_total = a->tsum;
    out->turnover_ann = a->tsum / n * BT_DAYS_PER_YEAR;
    out->n_trades = a->trades;
}

/* Pass 1: NAV, drawdown against the running peak (E_0 = 1 counts), sums. */
static void pass1(const double *r, const double *tau, size_t n, BtAcc *a)
{
    double sum = 0, E = 1, peak = 1, dd = 0, tsum = 0;
    int64_t trades = 0;
    for (size_t i = 0; i < n; i++) {
        sum += r[i];
        E *= 1.0 + r[i];
        peak = E > peak ? E : peak;
        double d = 1.0 - E / peak;
        dd = d > dd ? d : dd;
        tsum += tau[i];
        trades += tau[i] > 0;
    }
    *a = (BtAcc){.sum = sum, .E = E, .dd = dd, .tsum = tsum, .trades = trades, .n = n};
}

/* Two passes for the variance: no cancellation, whatever the mean. */
void bt_metrics(const double *r, const double *tau, size_t n, BtMetrics *out)
{
    BtAcc a;
    pass1(r, tau, n, &a);
    double mean = a.sum / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double d = r[i] - mean;
        ss += d * d;
    }
    a.ss = ss;
    bt_metrics_finish(&a, mean, out);
}

uint64_t bt_metrics_flops(size_t n)
{
    return BT_FLOPS_PASS1 * (uint64_t)n + BT_FLOPS_PASS2 * (uint64_t)n + BT_FLOPS_FINISH;
}

uint64_t bt_metrics_bytes(size_t n)
{
    return 8u * 3u * (uint64_t)n;   /* pass 1 reads r and tau, pass 2 reads r */
}
