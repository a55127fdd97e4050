/*
 * book.c: the drift-and-rebalance book shared by kernels (b) and (c).
 *
 * Everybody starts in cash. At close t the weights held over day t have
 * drifted with R[t]; at a rebalance date the kernel's target replaces them and
 * the two-sided turnover tau = sum |target - drifted| is charged
 * multiplicatively in the next day's return:
 *   1 + r[t+1] = (1 - c*tau[t]) * (1 + sum_a w[t,a] R[t+1,a]).
 * Invariant: rebalance dates are t0, t0+hold, ... <= T-2, so every trade's
 * cost is realised inside the sample.
 */
#include "workloads/backtest/bt.h"

#include <math.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

/* w <- w o (1+R) / (1 + w.R): the weights of a buy-and-hold book after a day.
 * `gross` is w.R, already computed for that day's return. */
static void drift(double *w, const double *R, size_t N, double gross)
{
    double den = 1.0 + gross;
    for (size_t a = 0; a < N; a++)
        w[a] = w[a] * (1.0 + R[a]) / den;
}

static double dot(const double *w, const double *R, size_t N)
{
    double s = 0;
    for (size_t a = 0; a < N; a++)
        s += w[a] * R[a];
    return s;
}

static double turnover(const double *w, const double *tgt, size_t N)
{
    double s = 0;
    for (size_t a = 0; a < N; a++)
        s += fabs(tgt[a] - w[a]);
    return s;
}

static int alloc_book(BtCtx *c, BtResult *r)
{
    size_t n = r->rows - 1;
    r->returns = bt_alloc(c, n, sizeof *r->returns);
    r->tau = bt_alloc(c, n, sizeof *r->tau);
    r->rebal_t = bt_alloc(c, r->nrebal, sizeof *r->rebal_t);
    r->rebal_tau = bt_alloc(c, r->nrebal, sizeof *r->rebal_tau);
    return (r->returns && r->tau && r->rebal_t && r->rebal_tau) ? SIM_OK : SIM_ENOMEM;
}

/* One close: drift, maybe rebalance, then the next day's net return. */
static int day(const BtBook *b, BtResult *r, size_t t, size_t *k, double *w, double *tgt,
               double *gross)
{
    size_t N = r->assets;
    double tau = 0;
    if (t >= 1)
        drift(w, b->R + t * N, N, *gross);
    if (*k < r->nrebal && t == b->t0 + *k * b->hold) {
        int rc = b->target(b->ud, t, *k, tgt);
        if (rc != SIM_OK)
            return rc;
        tau = turnover(w, tgt, N);
        memcpy(w, tgt, N * sizeof *w);
        r->rebal_t[*k] = (int64_t)t;
        r->rebal_tau[(*k)++] = tau;
    }
    *gross = dot(w, b->R + (t + 1) * N, N);
    r->tau[t] = tau;
    r->returns[t] = (1.0 - r->params.cost_bps / 1e4 * tau) * (1.0 + *gross) - 1.0;
    return SIM_OK;
}

int bt_book_run(BtCtx *c, const BtBook *b, BtResult *r)
{
    size_t N = r->assets, k = 0;
    double gross = 0;
    int rc = alloc_book(c, r);
    double *w = rc == SIM_OK ? bt_alloc(c, 2 * N, sizeof *w) : NULL;
    if (w == NULL)
        return SIM_ENOMEM;
    for (size_t t = 0; rc == SIM_OK && t + 1 < r->rows; t++)
        rc = day(b, r, t, &k, w, w + N, &gross);
    bt_free(c->mem, w, 2 * N, sizeof *w);
    if (rc == SIM_OK)
        bt_metrics(r->returns, r->tau, r->rows - 1, &r->metrics);
    return rc;
}
