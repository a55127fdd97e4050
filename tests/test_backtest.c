/*
 * test_backtest.c: the Check suite of workloads/backtest/ (BACKTEST.md).
 *
 * Hand-computed small cases pin each kernel and metric (the MA dead-band,
 * long/short re-sets, costs, momentum ties and drift, shrinkage); bad CSVs
 * must name file, line and column; counted work is checked against hand
 * sums; the memo shares runs; an out-of-memory sweep fails allocation N for
 * every N and checks nothing leaks. The last test runs the independent NumPy
 * reference (tests/backtest_ref.py) on EuStockMarkets and compares every
 * strategy within BACKTEST.md's tolerances.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"
#include "workloads/backtest/bt.h"

#include "tr.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct Fx {
    SimMem m;
    BtCtx c;
} Fx;

static void fx_init(Fx *f)
{
    sim_mem_init(&f->m);
    bt_ctx_init(&f->c, &f->m);
}

static BtData *table(Fx *f, size_t T, size_t N, const double *P)
{
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_from_prices(&f->c, "t.csv", T, N, P, NULL, &d), SIM_OK);
    return d;
}

static BtResult *run(Fx *f, const BtData *d, const BtParams *p)
{
    BtResult *r = NULL;
    int rc = bt_run(&f->c, d, p, &r);
    ck_assert_msg(rc == SIM_OK, "bt_run: %s", bt_errmsg(&f->c));
    return r;
}

static void near(double got, double want, double tol, const char *what)
{
    double scale = fmax(fabs(got), fabs(want));
    ck_assert_msg(got == want || fabs(got - want) <= tol * scale,
                  "%s: got %.17g, want %.17g", what, got, want);
}

/* ctx names the case in failure messages. */
static void same_metrics_in(const char *ctx, const BtMetrics *a, const BtMetrics *b, double tol)
{
    static const char *const names[] = {"cum_return", "ann_return", "ann_vol", "sharpe",
                                        "max_drawdown", "turnover_total", "turnover_ann"};
    const double x[] = {a->cum_return, a->ann_return, a->ann_vol, a->sharpe,
                        a->max_drawdown, a->turnover_total, a->turnover_ann};
    const double y[] = {b->cum_return, b->ann_return, b->ann_vol, b->sharpe,
                        b->max_drawdown, b->turnover_total, b->turnover_ann};
    char what[256];
    ck_assert_msg(a->sharpe_null == b->sharpe_null, "%s: sharpe null %d vs %d", ctx,
                  a->sharpe_null, b->sharpe_null);
    ck_assert_msg(a->n_trades == b->n_trades, "%s: n_trades %lld vs %lld", ctx,
                  (long long)a->n_trades, (long long)b->n_trades);
    for (int i = 0; i < 7; i++) {
        if (i == 3 && a->sharpe_null)
            continue;
        snprintf(what, sizeof what, "%s: %s", ctx, names[i]);
        near(x[i], y[i], tol, what);
    }
}

static void same_metrics(const BtMetrics *a, const BtMetrics *b, double tol)
{
    same_metrics_in("", a, b, tol);
}

static void ma_params(BtParams *p, int fast, int slow, BtMode mode, double bps)
{
    bt_params_default(p, BT_MA_CROSS);
    p->nfast = p->nslow = 1;
    p->fast[0] = fast;
    p->slow[0] = slow;
    p->mode = mode;
    p->cost_bps = bps;
}

/* ---- metrics ------------------------------------------------------------- */

START_TEST(metrics_hand_computed)
{
    const double r[] = {0.1, -0.2, 0.05, 0.0}, tau[] = {1, 0, 0, 1};
    BtMetrics m;
    bt_metrics(r, tau, 4, &m);
    /* NAV 1.1, 0.88, 0.924, 0.924; mean -0.0125; squared deviations sum 0.051875. */
    double sd = sqrt(0.051875 / 3.0);
    near(m.cum_return, 1.1 * 0.8 * 1.05 - 1.0, 1e-14, "cum");
    near(m.ann_return, pow(0.924, 252.0 / 4.0) - 1.0, 1e-12, "ann");
    near(m.ann_vol, sd * sqrt(252.0), 1e-14, "vol");
    near(m.sharpe, -0.0125 / sd * sqrt(252.0), 1e-14, "sharpe");
    near(m.max_drawdown, 0.2, 1e-14, "drawdown: 1 - 0.88/1.1");
    near(m.turnover_total, 2.0, 0, "turnover");
    near(m.turnover_ann, 2.0 / 4.0 * 252.0, 1e-15, "turnover_ann");
    ck_assert_int_eq(m.n_trades, 2);
    ck_assert_int_eq(m.sharpe_null, 0);
}
END_TEST

START_TEST(metrics_sharpe_null_when_std_zero)
{
    const double r[] = {0, 0, 0}, tau[] = {0, 0, 0};
    BtMetrics m;
    bt_metrics(r, tau, 3, &m);
    ck_assert_int_eq(m.sharpe_null, 1);
    ck_assert(m.ann_vol == 0 && m.cum_return == 0 && m.max_drawdown == 0);
    ck_assert_int_eq(m.n_trades, 0);
}
END_TEST

START_TEST(metrics_drawdown_counts_start_at_one)
{
    /* E_0 = 1 is a peak: losing from the start is a drawdown. */
    const double r[] = {-0.5, 0.2}, tau[] = {0, 0};
    BtMetrics m;
    bt_metrics(r, tau, 2, &m);
    near(m.max_drawdown, 0.5, 1e-15, "drawdown from E_0 = 1");
}
END_TEST

/* ---- (a) MA crossover ---------------------------------------------------- */

/* fast 1, slow 2: S[t] = 1 iff P[t] > (P[t-1] + P[t]) / 2, i.e. the price rose. */
START_TEST(ma_signal_costs_and_portfolio_hand_computed)
{
    Fx f;
    fx_init(&f);
    /* Asset 0 moves; asset 1 is flat (never trades). */
    const double P[] = {10, 5, 11, 5, 12, 5, 11, 5, 10, 5, 11, 5, 12, 5, 13, 5};
    BtData *d = table(&f, 8, 2, P);
    BtParams p;
    ma_params(&p, 1, 2, BT_LONG_FLAT, 10);
    BtResult *res = run(&f, d, &p);
    const double c = 0.001;
    /* S = 0,1,1,0,0,1,1 for t = 0..6; tau = 0,1,0,1,0,1,0. */
    const double r[7] = {0, (1 - c) * (1 + 1.0 / 11) - 1, 1 - 1.0 / 12 - 1, (1 - c) - 1, 0,
                         (1 - c) * (1 + 1.0 / 11) - 1, 1 + 1.0 / 12 - 1};
    const double tau[7] = {0, 1, 0, 1, 0, 1, 0}, zero[7] = {0};
    double rp[7], tp[7];
    BtMetrics want, flat, port;
    bt_metrics(r, tau, 7, &want);
    bt_metrics(zero, zero, 7, &flat);
    for (int t = 0; t < 7; t++) {
        rp[t] = r[t] / 2;
        tp[t] = tau[t] / 2;
    }
    bt_metrics(rp, tp, 7, &port);
    ck_assert_int_eq(bt_result_npairs(res), 1);
    same_metrics(bt_result_ma_asset(res, 0, 0), &want, 1e-14);
    same_metrics(bt_result_ma_asset(res, 0, 1), &flat, 0);
    same_metrics(bt_result_ma_portfolio(res, 0), &port, 1e-14);
    ck_assert_int_eq(bt_result_ma_asset(res, 0, 0)->n_trades, 3);
    ck_assert_int_eq(bt_result_ma_portfolio(res, 0)->n_trades, 3);
    bt_result_free(res);
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

START_TEST(ma_warmup_days_are_zero_returns)
{
    Fx f;
    fx_init(&f);
    /* Rising prices: fast 1 > slow 3 from t = 2 (= s - 1) on, never before. */
    const double P[] = {1, 2, 3, 4, 5, 6};
    BtData *d = table(&f, 6, 1, P);
    BtParams p;
    ma_params(&p, 1, 3, BT_LONG_FLAT, 0);
    BtResult *res = run(&f, d, &p);
    /* r[1..2] = 0 (warm-up), then long from t = 2: r = R[3..5] = 1/3, 1/4, 1/5. */
    const double r[5] = {0, 0, 4.0 / 3 - 1, 5.0 / 4 - 1, 6.0 / 5 - 1}, tau[5] = {0, 0, 1, 0, 0};
    BtMetrics want;
    bt_metrics(r, tau, 5, &want);
    same_metrics(bt_result_ma_asset(res, 0, 0), &want, 1e-14);
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* Rule (BACKTEST.md, ε): a relative SMA gap within 1e-9 is a tie, S = 0 in
 * both modes; a gap of 1e-6 is a signal. */
START_TEST(ma_tie_dead_band)
{
    Fx f;
    fx_init(&f);
    const double P[] = {100, 100 * (1 + 4e-12), 100, 100 * (1 - 4e-12), 100, 100 * (1 + 4e-6), 100};
    BtData *d = table(&f, 7, 1, P);
    int8_t s[6];
    ck_assert_int_eq(bt_ma_signals(&f.c, d, 1, 2, BT_LONG_SHORT, s), SIM_OK);
    /* t: 0 warm-up; 1 +2e-12 gap: tie; 2 -2e-12: tie; 3 -2e-12: tie; 4 +2e-12: tie; 5 +2e-6: long. */
    const int8_t want[6] = {0, 0, 0, 0, 0, 1};
    ck_assert_mem_eq(s, want, sizeof want);
    BtParams p;
    ma_params(&p, 1, 2, BT_LONG_SHORT, 5);
    BtResult *res = run(&f, d, &p);
    ck_assert_int_eq(bt_result_ma_asset(res, 0, 0)->n_trades, 1);
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* Long/short: a flip from +1 to -1 trades 2; holding ±1 re-sets the drifted
 * weight daily and that re-set is not a trade. */
START_TEST(ma_long_short_flip_costs_two_and_reset_is_free)
{
    Fx f;
    fx_init(&f);
    const double P[] = {10, 11, 12, 13, 12, 11, 10};
    BtData *d = table(&f, 7, 1, P);
    BtParams p;
    ma_params(&p, 1, 2, BT_LONG_SHORT, 20);
    BtResult *res = run(&f, d, &p);
    const double c = 0.002;
    /* S(t=0..5) = 0, 1, 1, 1, -1, -1; tau = 0, 1, 0, 0, 2, 0. */
    const double rr[6] = {0,
                          (1 - c) * (1 + 1.0 / 11) - 1,      /* bought at t = 1 */
                          (1 + 1.0 / 12) - 1,                /* held: no trade */
                          (1 + (12.0 / 13 - 1)) - 1,
                          (1 - 2 * c) * (1 - (11.0 / 12 - 1)) - 1,   /* flipped short at t = 4 */
                          (1 - (10.0 / 11 - 1)) - 1};        /* short, re-set for free */
    const double tau[6] = {0, 1, 0, 0, 2, 0};
    BtMetrics want;
    bt_metrics(rr, tau, 6, &want);
    same_metrics(bt_result_ma_asset(res, 0, 0), &want, 1e-14);
    ck_assert(bt_result_ma_asset(res, 0, 0)->turnover_total == 3.0);
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

START_TEST(ma_grid_order_is_fast_major_with_fast_below_slow)
{
    Fx f;
    fx_init(&f);
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_synthetic(&f.c, 60, 2, 1, &d), SIM_OK);
    BtParams p;
    bt_params_default(&p, BT_MA_CROSS);
    p.nfast = 3;
    p.nslow = 2;
    int fast[] = {2, 10, 30}, slow[] = {20, 5};
    memcpy(p.fast, fast, sizeof fast);
    memcpy(p.slow, slow, sizeof slow);
    BtResult *res = run(&f, d, &p);
    const int want[][2] = {{2, 20}, {2, 5}, {10, 20}};
    ck_assert_int_eq(bt_result_npairs(res), 3);
    for (size_t k = 0; k < 3; k++) {
        int a, b;
        bt_result_pair(res, k, &a, &b);
        ck_assert(a == want[k][0] && b == want[k][1]);
    }
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

START_TEST(ma_threads_do_not_change_results)
{
    Fx f;
    fx_init(&f);
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_synthetic(&f.c, 400, 7, 3, &d), SIM_OK);
    BtParams p;
    bt_params_default(&p, BT_MA_CROSS);
    BtResult *one = run(&f, d, &p);
    p.threads = 3;
    BtResult *three = run(&f, d, &p);
    for (size_t k = 0; k < bt_result_npairs(one); k++) {
        for (size_t a = 0; a < 7; a++)
            ck_assert_mem_eq(bt_result_ma_asset(one, k, a), bt_result_ma_asset(three, k, a),
                             sizeof(BtMetrics));
        ck_assert_mem_eq(bt_result_ma_portfolio(one, k), bt_result_ma_portfolio(three, k),
                         sizeof(BtMetrics));
    }
    bt_result_free(one);
    bt_result_free(three);
    bt_data_free(d);
}
END_TEST

/* ---- (b) momentum -------------------------------------------------------- */

START_TEST(momentum_tie_goes_to_lower_column_index)
{
    Fx f;
    fx_init(&f);
    /* Assets 1 and 2 have identical paths and the best score; asset 0 lags. */
    const double P[] = {10, 20, 20, 10, 22, 22, 10, 24, 24, 10, 26, 26, 10, 28, 28};
    BtData *d = table(&f, 5, 3, P);
    BtParams p;
    bt_params_default(&p, BT_MOMENTUM);
    p.lookback = 1;
    p.hold = 2;
    p.top = 1;
    BtResult *res = run(&f, d, &p);
    ck_assert_int_eq(bt_result_nrebal(res), 2);   /* t = 1, 3 */
    for (size_t i = 0; i < 2; i++) {
        BtRebal rb = bt_result_rebal(res, i);
        ck_assert_int_eq(rb.t, 1 + 2 * (int64_t)i);
        ck_assert_int_eq(rb.nselected, 1);
        ck_assert_int_eq(rb.selected[0], 1);
    }
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* Top 2 of 3, rebalanced at t = 1 and 3: weights drift on day 2 and day 3's
 * trade is measured against the drifted weights. */
START_TEST(momentum_drift_and_turnover_hand_computed)
{
    Fx f;
    fx_init(&f);
    const double P[] = {100, 100, 100,   110, 105, 90,   121, 94.5, 99,
                        108.9, 103.95, 108.9,   119.79, 93.555, 98.01,   130, 90, 100};
    BtData *d = table(&f, 6, 3, P);
    BtParams p;
    bt_params_default(&p, BT_MOMENTUM);
    p.lookback = 1;
    p.hold = 2;
    p.top = 2;
    p.cost_bps = 10;
    BtResult *res = run(&f, d, &p);
    const double c = 1e-3;
    double R[6][3];
    for (int t = 1; t < 6; t++)
        for (int a = 0; a < 3; a++)
            R[t][a] = P[t * 3 + a] / P[(t - 1) * 3 + a] - 1;
    /* t = 1: scores 0.1, 0.05, -0.1 -> {0, 1}; from cash tau = 1. */
    double w[3] = {0.5, 0.5, 0}, r[5], tau[5] = {0};
    r[0] = 0;
    tau[1] = 1;
    r[1] = (1 - c) * (1 + w[0] * R[2][0] + w[1] * R[2][1]) - 1;
    double g = w[0] * R[2][0] + w[1] * R[2][1];
    double d0 = w[0] * (1 + R[2][0]) / (1 + g), d1 = w[1] * (1 + R[2][1]) / (1 + g);
    r[2] = (1 + d0 * R[3][0] + d1 * R[3][1]) - 1;
    g = d0 * R[3][0] + d1 * R[3][1];
    d0 = d0 * (1 + R[3][0]) / (1 + g);
    d1 = d1 * (1 + R[3][1]) / (1 + g);
    /* t = 3: scores -0.1, 0.1, 0.1 -> {1, 2} (tie: lower index first). */
    tau[3] = fabs(0 - d0) + fabs(0.5 - d1) + 0.5;
    r[3] = (1 - c * tau[3]) * (1 + 0.5 * R[4][1] + 0.5 * R[4][2]) - 1;
    g = 0.5 * R[4][1] + 0.5 * R[4][2];
    r[4] = (1 + 0.5 * (1 + R[4][1]) / (1 + g) * R[5][1] + 0.5 * (1 + R[4][2]) / (1 + g) * R[5][2]) - 1;
    BtMetrics want;
    bt_metrics(r, tau, 5, &want);
    same_metrics(bt_result_metrics(res), &want, 1e-13);
    BtRebal rb = bt_result_rebal(res, 1);
    ck_assert(rb.selected[0] == 1 && rb.selected[1] == 2);
    near(rb.turnover, tau[3], 1e-14, "turnover against drifted weights");
    for (int t = 0; t < 5; t++)   /* absolute: (1 + x) - 1 loses digits of small x */
        ck_assert_msg(fabs(bt_result_returns(res)[t] - r[t]) < 1e-15, "r[%d]: %.17g vs %.17g", t,
                      bt_result_returns(res)[t], r[t]);
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* ---- (c) covariance kernels ---------------------------------------------- */

/* Sample covariance (ddof = 1) of the window ending at t, in the test's own
 * straightforward loops. */
static void window_cov(const BtData *d, size_t t, size_t W, double *S, double *mu)
{
    size_t N = bt_data_assets(d);
    const double *P = bt_data_prices(d);
    double X[64][8];
    for (size_t i = 0; i < W; i++)
        for (size_t a = 0; a < N; a++) {
            size_t u = t + 1 - W + i;
            X[i][a] = P[u * N + a] / P[(u - 1) * N + a] - 1;
        }
    for (size_t a = 0; a < N; a++) {
        mu[a] = 0;
        for (size_t i = 0; i < W; i++)
            mu[a] += X[i][a] / (double)W;
    }
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++) {
            double s = 0;
            for (size_t i = 0; i < W; i++)
                s += (X[i][a] - mu[a]) * (X[i][b] - mu[b]);
            S[a * N + b] = s / (double)(W - 1);
        }
}

static BtData *cov_data(Fx *f, size_t T, size_t N, uint64_t seed)
{
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_synthetic(&f->c, T, N, seed, &d), SIM_OK);
    return d;
}

START_TEST(minvar_two_assets_closed_form)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 40, 2, 11);
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    p.window = 20;
    p.hold = 7;
    BtResult *res = run(&f, d, &p);
    ck_assert_int_eq(bt_result_nrebal(res), 3);   /* t = 20, 27, 34 <= 38 */
    for (size_t i = 0; i < 3; i++) {
        BtRebal rb = bt_result_rebal(res, i);
        double S[4], mu[2];
        window_cov(d, (size_t)rb.t, 20, S, mu);
        double den = S[0] + S[3] - 2 * S[1];
        near(rb.weights[0], (S[3] - S[1]) / den, 1e-10, "w0");
        near(rb.weights[1], (S[0] - S[1]) / den, 1e-10, "w1");
    }
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* Mean-variance optimality: gamma * Sigma w - mu is the same for every asset
 * (the budget constraint's multiplier) and the weights sum to 1. */
START_TEST(meanvar_first_order_condition)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 60, 4, 5);
    BtParams p;
    bt_params_default(&p, BT_MEANVAR);
    p.window = 30;
    p.hold = 10;
    p.gamma = 3;
    BtResult *res = run(&f, d, &p);
    for (size_t i = 0; i < bt_result_nrebal(res); i++) {
        BtRebal rb = bt_result_rebal(res, i);
        double S[16], mu[4], g[4], sum = 0;
        window_cov(d, (size_t)rb.t, 30, S, mu);
        for (int a = 0; a < 4; a++) {
            g[a] = -mu[a];
            for (int b = 0; b < 4; b++)
                g[a] += 3 * S[a * 4 + b] * rb.weights[b];
            sum += rb.weights[a];
        }
        near(sum, 1.0, 1e-12, "budget");
        for (int a = 1; a < 4; a++)
            ck_assert_msg(fabs(g[a] - g[0]) < 1e-12, "gradient not flat: %g vs %g", g[a], g[0]);
    }
    bt_result_free(res);
    bt_data_free(d);
}
END_TEST

/* λ = 1 replaces Σ by tr(Σ)/N I: min-variance is then equal weights, and
 * mean-variance tilts by (mu - mean(mu)) * N / (tr Σ * gamma). */
START_TEST(shrinkage_to_scaled_identity)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 50, 3, 9);
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    p.window = 20;
    p.hold = 10;
    p.shrink = 1.0;
    BtResult *mv = run(&f, d, &p);
    p.kernel = BT_MEANVAR;
    p.gamma = 7;
    BtResult *mvo = run(&f, d, &p);
    for (size_t i = 0; i < bt_result_nrebal(mv); i++) {
        BtRebal a = bt_result_rebal(mv, i), b = bt_result_rebal(mvo, i);
        double S[9], mu[3];
        window_cov(d, (size_t)a.t, 20, S, mu);
        double tr = S[0] + S[4] + S[8], mbar = (mu[0] + mu[1] + mu[2]) / 3;
        for (int k = 0; k < 3; k++) {
            near(a.weights[k], 1.0 / 3, 1e-12, "equal weights");
            near(b.weights[k], 1.0 / 3 + (mu[k] - mbar) * 3 / tr / 7, 1e-9, "tilt");
        }
    }
    bt_result_free(mv);
    bt_result_free(mvo);
    bt_data_free(d);
}
END_TEST

/* The weights BACKTEST.md defines for the window ending at t, the plain way:
 * a two-pass covariance, shrinkage, an unblocked Cholesky solve of [1, mu]. */
static void ref_weights(const BtData *d, const BtParams *p, size_t t, double *w)
{
    size_t N = bt_data_assets(d), W = (size_t)p->window;
    const double *P = bt_data_prices(d);
    double *X = calloc(W * N, sizeof *X), *S = calloc(N * N, sizeof *S), *x = calloc(2 * N, sizeof *x);
    for (size_t i = 0; i < W; i++)
        for (size_t a = 0; a < N; a++) {
            size_t u = t + 1 - W + i;
            X[i * N + a] = P[u * N + a] / P[(u - 1) * N + a] - 1;
        }
    for (size_t a = 0; a < N; a++) {
        for (size_t i = 0; i < W; i++)
            x[N + a] += X[i * N + a];
        x[N + a] /= (double)W;
        x[a] = 1;
    }
    double tr = 0;
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++) {
            for (size_t i = 0; i < W; i++)
                S[a * N + b] += (X[i * N + a] - x[N + a]) * (X[i * N + b] - x[N + b]);
            S[a * N + b] /= (double)(W - 1);
            tr += a == b ? S[a * N + a] : 0;
        }
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++)
            S[a * N + b] = (1 - p->shrink) * S[a * N + b] + (a == b ? p->shrink * tr / (double)N : 0);
    for (size_t j = 0; j < N; j++) {   /* S = L L^T, L in the lower triangle */
        for (size_t k = 0; k < j; k++)
            S[j * N + j] -= S[j * N + k] * S[j * N + k];
        S[j * N + j] = sqrt(S[j * N + j]);
        for (size_t i = j + 1; i < N; i++) {
            for (size_t k = 0; k < j; k++)
                S[i * N + j] -= S[i * N + k] * S[j * N + k];
            S[i * N + j] /= S[j * N + j];
        }
    }
    for (size_t c = 0; c < 2; c++) {   /* forward, then back substitution */
        double *v = x + c * N;
        for (size_t i = 0; i < N; i++) {
            for (size_t k = 0; k < i; k++)
                v[i] -= S[i * N + k] * v[k];
            v[i] /= S[i * N + i];
        }
        for (size_t i = N; i-- > 0;) {
            for (size_t k = i + 1; k < N; k++)
                v[i] -= S[k * N + i] * v[k];
            v[i] /= S[i * N + i];
        }
    }
    double sa = 0, sb = 0;
    for (size_t a = 0; a < N; a++)
        sa += x[a], sb += x[N + a];
    for (size_t a = 0; a < N; a++) {
        w[a] = x[a] / sa;
        if (p->kernel == BT_MEANVAR)
            w[a] += (x[N + a] - sb * w[a]) / p->gamma;
    }
    free(X);
    free(S);
    free(x);
}

/* Every rebalance's weights against ref_weights, to tol relative to the
 * largest weight; returns the run's flops done. */
static uint64_t cov_against_ref(Fx *f, const BtData *d, const BtParams *p, double tol)
{
    BtResult *r = run(f, d, p);
    size_t N = bt_data_assets(d);
    double *w = calloc(N, sizeof *w);
    ck_assert_uint_gt(bt_result_nrebal(r), 10);
    for (size_t i = 0; i < bt_result_nrebal(r); i++) {
        BtRebal rb = bt_result_rebal(r, i);
        ref_weights(d, p, (size_t)rb.t, w);
        double big = 0;
        for (size_t a = 0; a < N; a++)
            big = fmax(big, fabs(w[a]));
        for (size_t a = 0; a < N; a++)
            ck_assert_msg(fabs(rb.weights[a] - w[a]) <= tol * big,
                          "%s window %d t=%lld asset %zu: %.17g vs %.17g",
                          bt_kernel_name(p->kernel), p->window, (long long)rb.t, a, rb.weights[a], w[a]);
    }
    uint64_t done = bt_result_flops_done(r);
    ck_assert_uint_gt(done, 0);
    ck_assert_uint_le(done, bt_result_cost(r).flops);
    bt_result_free(r);
    free(w);
    return done;
}

/* Kernel (c) rolls its covariance (adds the new days, removes the old ones)
 * when that saves work: the weights are those of each window computed in
 * full, for both kernels, with and without shrinkage; the flops done are
 * fewer than counted when rolling, and equal when it would not save work
 * (2 hold >= window). */
START_TEST(cov_rolled_windows_match_full_ones)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 400, 10, 3);
    BtParams p;
    for (int k = BT_MINVAR; k <= BT_MEANVAR; k++)
        for (int sh = 0; sh < 2; sh++) {
            bt_params_default(&p, (BtKernel)k);
            p.window = 60;
            p.hold = 4;
            p.gamma = 5;
            p.shrink = sh ? 0.2 : 0;
            uint64_t done = cov_against_ref(&f, d, &p, 1e-10);
            BtCost c = bt_cost_predict(&p, 400, 10);
            ck_assert_msg(done < c.flops / 2, "rolled windows did %llu of %llu counted flops",
                          (unsigned long long)done, (unsigned long long)c.flops);
            p.hold = 30;
            ck_assert_uint_eq(cov_against_ref(&f, d, &p, 1e-10), bt_cost_predict(&p, 400, 10).flops);
        }
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

/* A one-day spike (price x 1e6 and back) puts squares of 1e12 into the
 * rolled sums; once it leaves the window, removing them would leave an error
 * of about 1e12 * 1e-16, a tenth of the calm windows' variances. The kernel
 * must notice (its rounding bound) and compute those windows in full. */
START_TEST(cov_rolled_recomputes_after_a_spike)
{
    Fx f;
    fx_init(&f);
    size_t T = 300, N = 6;
    BtData *s = cov_data(&f, T, N, 21);
    double *P = malloc(T * N * sizeof *P);
    memcpy(P, bt_data_prices(s), T * N * sizeof *P);
    P[50 * N + 2] *= 1e6;
    BtData *d = table(&f, T, N, P);
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    p.window = 40;
    p.hold = 3;
    cov_against_ref(&f, d, &p, 1e-10);
    p.kernel = BT_MEANVAR;
    cov_against_ref(&f, d, &p, 1e-10);
    free(P);
    bt_data_free(s);
    bt_data_free(d);
}
END_TEST

START_TEST(covariance_not_positive_definite_is_refused)
{
    Fx f;
    fx_init(&f);
    /* Asset B never moves: its returns are 0, so Sigma has an exactly zero
     * row and column and the Cholesky factorisation must stop there. */
    const double P[] = {10, 7, 20, 11, 7, 19, 10.5, 7, 21, 12, 7, 20, 11, 7, 22, 12.5, 7, 21};
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_from_prices(&f.c, "pd.csv", 6, 3, P,
                                         (const char *const[]){"A", "B", "C"}, &d), SIM_OK);
    int64_t live = f.m.live;
    BtParams p;
    BtResult *r = NULL;
    bt_params_default(&p, BT_MINVAR);
    p.window = 3;
    p.hold = 1;
    ck_assert_int_eq(bt_run(&f.c, d, &p, &r), SIM_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "--shrink"));
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "column B"));
    ck_assert_int_eq(f.m.live, live);   /* nothing half-built escaped */
    p.shrink = 0.5;
    r = run(&f, d, &p);
    bt_result_free(r);
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

/* ---- CSV ------------------------------------------------------------------ */

static void csv_refused(const char *text, const char *want)
{
    Fx f;
    BtData *d = (BtData *)1;
    fx_init(&f);
    int rc = bt_data_parse_csv(&f.c, "p.csv", text, strlen(text), &d);
    ck_assert_msg(rc == SIM_EINVAL, "accepted: %s", text);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(bt_errmsg(&f.c), want) != NULL, "message '%s' lacks '%s'",
                  bt_errmsg(&f.c), want);
    ck_assert_int_eq(f.m.live, 0);
}

START_TEST(csv_bad_inputs_name_line_and_column)
{
    csv_refused("d,A,B\n1,2,3\n2,4\n", "p.csv:3: column B: ragged row");
    csv_refused("d,A,B\n1,2,3\n2,4,5,6\n", "p.csv:3: column #4: ragged row");
    csv_refused("d,A,B\n1,2,x3\n", "p.csv:2: column B: non-numeric price 'x3'");
    csv_refused("d,A,B\n1,2,3\n2,,3\n", "p.csv:3: column A: non-numeric price");
    csv_refused("d,A,B\n1,nan,3\n", "p.csv:2: column A: non-numeric");
    csv_refused("d,A,B\n1,inf,3\n", "p.csv:2: column A: non-numeric");
    csv_refused("d,A,B\n1,2,0\n", "p.csv:2: column B: non-positive price 0");
    csv_refused("d,A,B\n1,2,3\n2,-1,3\n", "p.csv:3: column A: non-positive price -1");
    csv_refused("d,A,A\n1,2,3\n", "p.csv:1: column A: duplicate column name (also column 2)");
    csv_refused("d,A,,B\n1,2,3,4\n", "p.csv:1: column #3: empty column name");
    csv_refused("", "p.csv:1: column (none): empty file");
    csv_refused("\n\n", "p.csv:1: column (none): empty file");
    csv_refused("d,A\n", "p.csv:2: column A: no data rows");
    csv_refused("d\n1\n", "p.csv:1: column #2: no asset columns");
    csv_refused("d,A\n1,2\n\n2,3\n", "p.csv:3: column A: ragged row");
}
END_TEST

START_TEST(csv_too_few_rows_for_the_window)
{
    Fx f;
    fx_init(&f);
    const char *text = "d,A,B\n1,2,3\n2,2,3\n3,2,3\n4,2,3\n";
    BtData *d = NULL;
    BtResult *r = NULL;
    ck_assert_int_eq(bt_data_parse_csv(&f.c, "s.csv", text, strlen(text), &d), SIM_OK);
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    p.window = 3;   /* needs 5 rows */
    ck_assert_int_eq(bt_run(&f.c, d, &p, &r), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "s.csv:5: column A: too few rows"));
    ma_params(&p, 2, 4, BT_LONG_FLAT, 5);   /* needs slow + 1 = 5 rows */
    ck_assert_int_eq(bt_run(&f.c, d, &p, &r), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "too few rows"));
    ma_params(&p, 2, 3, BT_LONG_FLAT, 5);
    r = run(&f, d, &p);
    bt_result_free(r);
    bt_data_free(d);
}
END_TEST

START_TEST(csv_accepts_crlf_quotes_bom_and_trailing_blank_lines)
{
    Fx f;
    fx_init(&f);
    const char *text = "\xEF\xBB\xBFtime,\"DAX\", SMI \r\n1.0,1628.75,1678.1\r\n2.0,1613.63,1688.5\r\n\r\n\n";
    BtData *d = NULL;
    ck_assert_int_eq(bt_data_parse_csv(&f.c, "ok.csv", text, strlen(text), &d), SIM_OK);
    ck_assert_int_eq(bt_data_rows(d), 2);
    ck_assert_int_eq(bt_data_assets(d), 2);
    ck_assert_str_eq(bt_data_name(d, 0), "DAX");
    ck_assert_str_eq(bt_data_name(d, 1), "SMI");
    ck_assert(bt_data_prices(d)[3] == 1688.5);
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

START_TEST(csv_missing_file_is_an_io_error)
{
    Fx f;
    BtData *d = NULL;
    fx_init(&f);
    ck_assert_int_eq(bt_data_load_csv(&f.c, "/nonexistent/x.csv", &d), SIM_EIO);
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "/nonexistent/x.csv"));
}
END_TEST

/* ---- counted work --------------------------------------------------------- */

START_TEST(cost_ma_hand_counted)
{
    BtParams p;
    ma_params(&p, 1, 2, BT_LONG_FLAT, 5);
    BtCost c = bt_cost_predict(&p, 10, 1);
    /* returns 2*9; prefix sums 7*10; SMA_1 4*10 and SMA_2 4*9; the cell
     * 20*(10-2) + 3 + 14; the portfolio 8*9 + metrics (9*9 + 14). */
    uint64_t want = 18 + 70 + 40 + 36 + (160 + 17) + (72 + 95);
    ck_assert_uint_eq(c.flops, want);
    /* A second asset doubles everything but the portfolio's share. */
    BtCost c2 = bt_cost_predict(&p, 10, 2);
    ck_assert_uint_eq(c2.flops - c.flops, want - (72 + 95));
    /* A second pair adds one pair's cells and portfolio (windows {1, 2, 3}). */
    p.nslow = 2;
    p.slow[1] = 3;
    BtCost c3 = bt_cost_predict(&p, 10, 1);
    ck_assert_uint_eq(c3.flops - c.flops, 4 * 8 + (20 * 7 + 17) + (72 + 95));
}
END_TEST

START_TEST(cost_reported_by_runs_matches_prediction)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 120, 5, 4);
    for (int k = 0; k < BT_KERNEL_COUNT; k++) {
        BtParams p;
        bt_params_default(&p, (BtKernel)k);
        p.window = 30;
        p.lookback = 20;
        p.fast[0] = 2;
        p.slow[0] = 50;
        p.nfast = p.nslow = 1;
        BtResult *r = run(&f, d, &p);
        BtCost got = bt_result_cost(r), want = bt_cost_predict(&p, 120, 5);
        ck_assert_uint_eq(got.flops, want.flops);
        ck_assert_uint_eq(got.bytes, want.bytes);
        ck_assert_uint_gt(got.flops, 0);
        bt_result_free(r);
    }
    /* The BLAS part dominates kernel (c): dsyrk alone is W*N*(N+1) a window,
     * dpotrf adds N^3/3 (27% more at N = 200, W = 250). */
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    BtCost c = bt_cost_predict(&p, 2000, 200);
    uint64_t syrk = 84ull * 250 * 200 * 201;   /* t = 250, 271, ..., 1993 */
    ck_assert_uint_ge(c.flops, syrk);
    ck_assert_uint_le(c.flops, syrk + syrk / 2);
    bt_data_free(d);
}
END_TEST

START_TEST(sim_duration_is_a_roofline)
{
    BtThroughput t;
    bt_throughput_reference(&t);
    for (int k = 0; k < BT_CLASS_COUNT; k++) {
        t.flops_per_s[k] = 1e9;
        t.bytes_per_s[k] = 4e9;
    }
    BtNodeSpeed cpu = {.speed = 1, .gpus = 0, .gpu_speedup = 10};
    BtNodeSpeed fast = {.speed = 2, .gpus = 1, .gpu_speedup = 10};
    BtCost flop_bound = {2000000000, 1000}, byte_bound = {1000, 8000000000};
    ck_assert_int_eq(bt_sim_duration(&t, &cpu, BT_MA_CROSS, flop_bound), SIM_SEC(2));
    ck_assert_int_eq(bt_sim_duration(&t, &fast, BT_MA_CROSS, flop_bound), SIM_SEC(1));
    ck_assert_int_eq(bt_sim_duration(&t, &cpu, BT_MOMENTUM, byte_bound), SIM_SEC(2));
    /* Only the BLAS kernels use the GPU speed-up. */
    ck_assert_int_eq(bt_sim_duration(&t, &fast, BT_MINVAR, flop_bound), SIM_MS(100));
    ck_assert_int_eq(bt_sim_duration(&t, &fast, BT_MOMENTUM, flop_bound), SIM_SEC(1));
    BtCost tiny = {1, 0};
    ck_assert_int_eq(bt_sim_duration(&t, &cpu, BT_MA_CROSS, tiny), 1);
    ck_assert_int_eq(bt_sim_duration(&t, &cpu, BT_MA_CROSS, (BtCost){0, 0}), 0);
}
END_TEST

START_TEST(throughput_parses_calibration_json)
{
    Fx f;
    fx_init(&f);
    BtThroughput t;
    const char *json = "{\"classes\":{\"signal\":{\"single\":{\"flops_per_s\":1e9,\"bytes_per_s\":2e9}},"
                       "\"rank\":{\"single\":{\"flops_per_s\":3e9,\"bytes_per_s\":4e9}},"
                       "\"blas\":{\"single\":{\"flops_per_s\":5e10,\"bytes_per_s\":6e9}}}}";
    ck_assert_int_eq(bt_throughput_parse(&f.c, json, &t), SIM_OK);
    ck_assert(t.flops_per_s[BT_CLASS_BLAS] == 5e10 && t.bytes_per_s[BT_CLASS_RANK] == 4e9);
    ck_assert_int_eq(bt_throughput_parse(&f.c, "{\"classes\":{}}", &t), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(bt_errmsg(&f.c), "classes.signal"));
}
END_TEST

/* ---- memo cache, synthetic data ------------------------------------------ */

START_TEST(memo_identical_requests_share_one_run)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 300, 3, 8), *same = NULL;
    ck_assert_int_eq(bt_data_from_prices(&f.c, "copy", 300, 3, bt_data_prices(d),
                                         (const char *const[]){"A0", "A1", "A2"}, &same), SIM_OK);
    BtMemo *mc = bt_memo_create(&f.m);
    BtParams p;
    const BtResult *a, *b, *c;
    bt_params_default(&p, BT_MA_CROSS);
    ck_assert_int_eq(bt_memo_run(&f.c, mc, d, &p, &a), SIM_OK);
    p.threads = 2;   /* not part of the key: same bits */
    ck_assert_int_eq(bt_memo_run(&f.c, mc, same, &p, &b), SIM_OK);
    ck_assert_ptr_eq(a, b);
    p.cost_bps = 6;
    ck_assert_int_eq(bt_memo_run(&f.c, mc, d, &p, &c), SIM_OK);
    ck_assert_ptr_ne(a, c);
    ck_assert_uint_eq(bt_memo_hits(mc), 1);
    ck_assert_uint_eq(bt_memo_misses(mc), 2);
    bt_memo_destroy(mc);
    bt_data_free(d);
    bt_data_free(same);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

/* Issue 19: a sweep's runs share one memo's results (bt_memo_share): the
 * second run's request runs no kernel (the shared memo saw one miss) and
 * gets the very result, yet each run counts its own miss, as if alone; a
 * run's memo frees only what it owns. */
START_TEST(memo_shared_results_run_once_and_count_per_run)
{
    Fx f;
    fx_init(&f);
    BtData *d = cov_data(&f, 300, 3, 8);
    BtMemo *shared = bt_memo_create(&f.m), *run1 = bt_memo_create(&f.m), *run2 = bt_memo_create(&f.m);
    bt_memo_share(run1, shared);
    bt_memo_share(run2, shared);
    BtParams p;
    const BtResult *a, *b, *again;
    bt_params_default(&p, BT_MA_CROSS);
    ck_assert_int_eq(bt_memo_run(&f.c, run1, d, &p, &a), SIM_OK);
    ck_assert_int_eq(bt_memo_run(&f.c, run2, d, &p, &b), SIM_OK);
    ck_assert_int_eq(bt_memo_run(&f.c, run2, d, &p, &again), SIM_OK);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_eq(b, again);
    ck_assert_uint_eq(bt_memo_misses(shared), 1);   /* one real run */
    ck_assert_uint_eq(bt_memo_hits(shared), 1);
    ck_assert_uint_eq(bt_memo_misses(run1), 1);
    ck_assert_uint_eq(bt_memo_misses(run2), 1);
    ck_assert_uint_eq(bt_memo_hits(run2), 1);
    bt_memo_destroy(run1);
    bt_memo_destroy(run2);
    ck_assert_uint_gt(bt_result_cost(b).flops, 0);   /* still alive: the shared memo owns it */
    bt_memo_destroy(shared);
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

START_TEST(synthetic_universe_is_seeded)
{
    Fx f;
    fx_init(&f);
    BtData *a = cov_data(&f, 100, 4, 1), *b = cov_data(&f, 100, 4, 1), *c = cov_data(&f, 100, 4, 2);
    ck_assert_str_eq(bt_data_hash(a), bt_data_hash(b));
    ck_assert_str_ne(bt_data_hash(a), bt_data_hash(c));
    for (size_t i = 0; i < 400; i++)
        ck_assert(bt_data_prices(a)[i] > 0 && isfinite(bt_data_prices(a)[i]));
    bt_data_free(a);
    bt_data_free(b);
    bt_data_free(c);
}
END_TEST

/* ---- out-of-memory sweep -------------------------------------------------- */

static char *csv_of(const BtData *d)
{
    size_t T = bt_data_rows(d), N = bt_data_assets(d), len = 0, cap = 64 + T * (N + 1) * 32;
    char *s = malloc(cap);
    const double *P = bt_data_prices(d);
    len += (size_t)snprintf(s + len, cap - len, "t");
    for (size_t a = 0; a < N; a++)
        len += (size_t)snprintf(s + len, cap - len, ",%s", bt_data_name(d, a));
    for (size_t t = 0; t < T; t++) {
        len += (size_t)snprintf(s + len, cap - len, "\n%zu", t);
        for (size_t a = 0; a < N; a++)
            len += (size_t)snprintf(s + len, cap - len, ",%.17g", P[t * N + a]);
    }
    return s;
}

/* Parse, run through the memo twice; SIM_OK or SIM_ENOMEM, never a leak. */
static int oom_attempt(const char *text, const BtParams *p, uint64_t fail_at, int *oom)
{
    Fx f;
    fx_init(&f);
    f.m.fail_at = fail_at;
    BtData *d = NULL;
    const BtResult *r = NULL;
    BtMemo *mc = bt_memo_create(&f.m);
    int rc = mc ? bt_data_parse_csv(&f.c, "oom.csv", text, strlen(text), &d) : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = bt_memo_run(&f.c, mc, d, p, &r);
    if (rc == SIM_OK)
        rc = bt_memo_run(&f.c, mc, d, p, &r);
    bt_memo_destroy(mc);
    bt_data_free(d);
    ck_assert_msg(f.m.live == 0, "fail_at %llu: %lld bytes leaked", (unsigned long long)fail_at,
                  (long long)f.m.live);
    *oom = f.m.oom;
    return rc;
}

START_TEST(oom_sweep_leaks_nothing)
{
    Fx f;
    fx_init(&f);
    BtData *src = cov_data(&f, 40, 5, 3);
    char *text = csv_of(src);
    for (int k = 0; k < BT_KERNEL_COUNT; k++) {
        BtParams p;
        bt_params_default(&p, (BtKernel)k);
        p.window = 10;
        p.lookback = 5;
        p.hold = 4;
        p.top = 2;
        p.shrink = 0.1;
        p.nfast = p.nslow = 2;
        p.slow[0] = 6;
        p.slow[1] = 9;
        uint64_t n = 1;
        for (;; n++) {
            int oom, rc = oom_attempt(text, &p, n, &oom);
            if (rc == SIM_OK && !oom)
                break;
            ck_assert_msg(rc == SIM_ENOMEM && oom, "kernel %d fail_at %llu: rc %d", k,
                          (unsigned long long)n, rc);
        }
        ck_assert_uint_gt(n, 5);
    }
    free(text);
    bt_data_free(src);
}
END_TEST

/* ---- the NumPy reference on real data ------------------------------------- */

static const char *python_numpy(void)
{
    if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0)
        return "/usr/bin/python3";
    if (system("python3 -c 'import numpy' >/dev/null 2>&1") == 0)
        return "python3";
    return NULL;
}

static void path_of(char *buf, size_t n, const char *env, const char *fallback, const char *rel)
{
    const char *root = getenv(env);
    snprintf(buf, n, "%s/%s", root && *root ? root : fallback, rel);
}

/* Every flag, so the reference and the kernel cannot disagree on a default. */
static void args_of(const BtParams *p, char *s, size_t n)
{
    size_t len = (size_t)snprintf(s, n, "--strategy %s --cost-bps %.17g --mode %s --fast ",
                                  bt_kernel_name(p->kernel), p->cost_bps,
                                  p->mode == BT_LONG_SHORT ? "long_short" : "long_flat");
    for (int i = 0; i < p->nfast; i++)
        len += (size_t)snprintf(s + len, n - len, "%s%d", i ? "," : "", p->fast[i]);
    len += (size_t)snprintf(s + len, n - len, " --slow ");
    for (int i = 0; i < p->nslow; i++)
        len += (size_t)snprintf(s + len, n - len, "%s%d", i ? "," : "", p->slow[i]);
    snprintf(s + len, n - len,
             " --lookback %d --skip %d --hold %d --top %d --window %d --shrink %.17g --gamma %.17g"
             " --signals",
             p->lookback, p->skip, p->hold, p->top, p->window, p->shrink, p->gamma);
}

static int ref_cases(BtParams *ps)
{
    int n = 0;
    bt_params_default(&ps[n++], BT_MA_CROSS);
    bt_params_default(&ps[n], BT_MA_CROSS);
    ps[n++].mode = BT_LONG_SHORT;
    bt_params_default(&ps[n], BT_MA_CROSS);
    ps[n].cost_bps = 0;
    ps[n].nfast = 3;
    ps[n].nslow = 2;
    memcpy(ps[n].fast, (int[]){1, 5, 21}, 3 * sizeof(int));
    memcpy(ps[n++].slow, (int[]){21, 63}, 2 * sizeof(int));
    bt_params_default(&ps[n++], BT_MOMENTUM);
    bt_params_default(&ps[n], BT_MOMENTUM);
    ps[n].lookback = 60, ps[n].skip = 5, ps[n].hold = 10, ps[n].top = 2, ps[n++].cost_bps = 12.5;
    bt_params_default(&ps[n++], BT_MINVAR);
    bt_params_default(&ps[n++], BT_MEANVAR);
    bt_params_default(&ps[n], BT_MEANVAR);
    ps[n].window = 100, ps[n].hold = 5, ps[n].shrink = 0.3, ps[n++].gamma = 10;
    bt_params_default(&ps[n], BT_MINVAR);
    ps[n].window = 60, ps[n].hold = 7, ps[n++].shrink = 0.1;
    return n;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(v != NULL, "reference JSON lacks '%s'", k);
    return cJSON_IsNull(v) ? NAN : v->valuedouble;
}

static void cmp_metrics(const char *ctx, const BtMetrics *m, const cJSON *j, double tol)
{
    BtMetrics want = {num(j, "cum_return"), num(j, "ann_return"), num(j, "ann_vol"),
                      num(j, "sharpe"), num(j, "max_drawdown"), num(j, "turnover_total"),
                      num(j, "turnover_ann"), (int64_t)num(j, "n_trades"), isnan(num(j, "sharpe"))};
    same_metrics_in(ctx, m, &want, tol);
}

static void cmp_signals(Fx *f, const BtData *d, int fa, int sl, BtMode mode, const cJSON *sig)
{
    size_t T = bt_data_rows(d), N = bt_data_assets(d);
    int8_t *s = malloc((T - 1) * N);
    ck_assert_int_eq(bt_ma_signals(&f->c, d, fa, sl, mode, s), SIM_OK);
    for (size_t a = 0; a < N; a++) {
        const char *txt = cJSON_GetObjectItemCaseSensitive(sig, bt_data_name(d, a))->valuestring;
        ck_assert_uint_eq(strlen(txt), T - 1);
        for (size_t t = 0; t + 1 < T; t++)
            ck_assert_msg("-0+"[s[t * N + a] + 1] == txt[t], "signal %d/%d %s t=%zu: C %d, NumPy %c",
                          fa, sl, bt_data_name(d, a), t, s[t * N + a], txt[t]);
    }
    free(s);
}

static void cmp_ma(Fx *f, const BtData *d, const BtResult *r, const cJSON *j, const char *args)
{
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(j, "pairs");
    char ctx[1400];
    ck_assert_int_eq(cJSON_GetArraySize(pairs), (int)bt_result_npairs(r));
    for (size_t k = 0; k < bt_result_npairs(r); k++) {
        const cJSON *pj = cJSON_GetArrayItem(pairs, (int)k);
        const cJSON *as = cJSON_GetObjectItemCaseSensitive(pj, "assets");
        int fa, sl;
        bt_result_pair(r, k, &fa, &sl);
        ck_assert(fa == (int)num(pj, "fast") && sl == (int)num(pj, "slow"));
        snprintf(ctx, sizeof ctx, "%s: pair %d/%d portfolio", args, fa, sl);
        cmp_metrics(ctx, bt_result_ma_portfolio(r, k), cJSON_GetObjectItemCaseSensitive(pj, "portfolio"), 1e-9);
        for (size_t a = 0; a < bt_data_assets(d); a++) {
            snprintf(ctx, sizeof ctx, "%s: pair %d/%d %s", args, fa, sl, bt_data_name(d, a));
            cmp_metrics(ctx, bt_result_ma_asset(r, k, a), cJSON_GetObjectItemCaseSensitive(as, bt_data_name(d, a)), 1e-9);
        }
        cmp_signals(f, d, fa, sl, bt_result_params(r)->mode, cJSON_GetObjectItemCaseSensitive(pj, "signals"));
    }
}

static void cmp_rebal(const BtRebal *rb, const cJSON *j, double tol)
{
    ck_assert_int_eq(rb->t, (int64_t)num(j, "t"));
    near(rb->turnover, num(j, "turnover"), tol, "rebalance turnover");
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(j, "selected");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "weights");
    if (rb->selected) {
        ck_assert_int_eq(cJSON_GetArraySize(sel), (int)rb->nselected);
        for (size_t i = 0; i < rb->nselected; i++)
            ck_assert_int_eq(rb->selected[i], cJSON_GetArrayItem(sel, (int)i)->valueint);
        return;
    }
    ck_assert_int_eq(cJSON_GetArraySize(w), (int)rb->nweights);
    for (size_t i = 0; i < rb->nweights; i++) {
        double want = cJSON_GetArrayItem(w, (int)i)->valuedouble;
        ck_assert_msg(fabs(rb->weights[i] - want) <= 1e-9, "t=%lld weight %zu: %.17g vs %.17g",
                      (long long)rb->t, i, rb->weights[i], want);
    }
}

static void cmp_book(const BtResult *r, const cJSON *j, const char *args)
{
    double tol = bt_result_kernel(r) == BT_MOMENTUM ? 1e-9 : 1e-7;
    cmp_metrics(args, bt_result_metrics(r), cJSON_GetObjectItemCaseSensitive(j, "metrics"), tol);
    const cJSON *rbs = cJSON_GetObjectItemCaseSensitive(j, "rebalances");
    ck_assert_int_eq(cJSON_GetArraySize(rbs), (int)bt_result_nrebal(r));
    for (size_t i = 0; i < bt_result_nrebal(r); i++) {
        BtRebal rb = bt_result_rebal(r, i);
        cmp_rebal(&rb, cJSON_GetArrayItem(rbs, (int)i), tol);
    }
}

/* Runs the reference once over all cases (one Python start-up); returns its
 * stdout (one JSON object per line), malloc'd. */
static char *run_reference(const char *py, const char *script, const char *data, const BtParams *ps, int n)
{
    char cfg[] = "/tmp/kubesim-bt-cases-XXXXXX", cmd[4096], args[1024];
    int fd = mkstemp(cfg);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < n; i++) {
        args_of(&ps[i], args, sizeof args);
        fprintf(f, "--data '%s' %s\n", data, args);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 %s '%s' --batch < '%s'", py, script, cfg);
    FILE *p = popen(cmd, "r");
    size_t len = 0, cap = 1 << 20;
    char *out = malloc(cap);
    for (size_t got; (got = fread(out + len, 1, cap - len - 1, p)) > 0;)
        if ((len += got) + 1 == cap)
            out = realloc(out, cap *= 2);
    out[len] = '\0';
    int st = pclose(p);
    remove(cfg);
    ck_assert_msg(st == 0, "the NumPy reference failed (exit %d): %s", st, cmd);
    return out;
}

START_TEST(backtest_matches_numpy_on_eustockmarkets)
{
    const char *py = python_numpy();
    ck_assert_msg(py != NULL, "NumPy is missing: install it with `apt-get install -y python3-numpy` "
                              "(the test runs Debian's /usr/bin/python3)");
    char data[1024], script[1024];
    path_of(data, sizeof data, "KUBESIM_SHARED", "/work/shared", "data/eustockmarkets.csv");
    path_of(script, sizeof script, "KUBESIM_SRC", "/work/main", "tests/backtest_ref.py");
    Fx f;
    fx_init(&f);
    BtData *d = NULL;
    ck_assert_msg(bt_data_load_csv(&f.c, data, &d) == SIM_OK, "%s", bt_errmsg(&f.c));
    ck_assert(bt_data_rows(d) == 1860 && bt_data_assets(d) == 4);
    BtParams ps[16];
    int n = ref_cases(ps);
    char *out = run_reference(py, script, data, ps, n), *line = out, args[1024];
    for (int i = 0; i < n; i++) {
        args_of(&ps[i], args, sizeof args);
        char *nl = strchr(line, '\n');
        ck_assert_msg(nl != NULL, "reference printed %d results, want %d", i, n);
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "reference output %d is not JSON", i);
        BtResult *r = run(&f, d, &ps[i]);
        if (ps[i].kernel == BT_MA_CROSS)
            cmp_ma(&f, d, r, j, args);
        else
            cmp_book(r, j, args);
        bt_result_free(r);
        cJSON_Delete(j);
        line = nl + 1;
    }
    free(out);
    bt_data_free(d);
    ck_assert_int_eq(f.m.live, 0);
}
END_TEST

/* ---- the suite ------------------------------------------------------------- */

static Suite *suite(void)
{
    Suite *s = suite_create("backtest");
    TCase *k = tcase_create("kernels");
    tcase_add_test(k, metrics_hand_computed);
    tcase_add_test(k, metrics_sharpe_null_when_std_zero);
    tcase_add_test(k, metrics_drawdown_counts_start_at_one);
    tcase_add_test(k, ma_signal_costs_and_portfolio_hand_computed);
    tcase_add_test(k, ma_warmup_days_are_zero_returns);
    tcase_add_test(k, ma_tie_dead_band);
    tcase_add_test(k, ma_long_short_flip_costs_two_and_reset_is_free);
    tcase_add_test(k, ma_grid_order_is_fast_major_with_fast_below_slow);
    tcase_add_test(k, ma_threads_do_not_change_results);
    tcase_add_test(k, momentum_tie_goes_to_lower_column_index);
    tcase_add_test(k, momentum_drift_and_turnover_hand_computed);
    tcase_add_test(k, minvar_two_assets_closed_form);
    tcase_add_test(k, meanvar_first_order_condition);
    tcase_add_test(k, cov_rolled_windows_match_full_ones);
    tcase_add_test(k, cov_rolled_recomputes_after_a_spike);
    tcase_add_test(k, shrinkage_to_scaled_identity);
    tcase_add_test(k, covariance_not_positive_definite_is_refused);
    suite_add_tcase(s, k);
    TCase *io = tcase_create("data");
    tcase_add_test(io, csv_bad_inputs_name_line_and_column);
    tcase_add_test(io, csv_too_few_rows_for_the_window);
    tcase_add_test(io, csv_accepts_crlf_quotes_bom_and_trailing_blank_lines);
    tcase_add_test(io, csv_missing_file_is_an_io_error);
    tcase_add_test(io, synthetic_universe_is_seeded);
    suite_add_tcase(s, io);
    TCase *w = tcase_create("work");
    tcase_add_test(w, cost_ma_hand_counted);
    tcase_add_test(w, cost_reported_by_runs_matches_prediction);
    tcase_add_test(w, sim_duration_is_a_roofline);
    tcase_add_test(w, throughput_parses_calibration_json);
    tcase_add_test(w, memo_identical_requests_share_one_run);
    tcase_add_test(w, memo_shared_results_run_once_and_count_per_run);
    tcase_add_test(w, oom_sweep_leaks_nothing);
    suite_add_tcase(s, w);
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 120);
    tcase_add_test(ref, backtest_matches_numpy_on_eustockmarkets);
    suite_add_tcase(s, ref);
    return s;
}

int main(void)
{
    return tr_run(suite(), 0) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
