/*
 * ma.c: kernel (a), moving-average crossover over a grid of (fast, slow) pairs
 * x every asset, plus the equal-weight portfolio of each pair.
 *
 * Speed comes from doing the shared work once: returns and every distinct
 * window's SMA are computed up front (from compensated prefix sums, so an SMA
 * is within a few ulps of the exact mean and the ε dead-band sees the true
 * gap), then each pair makes one tight pass per group of four assets that
 * fuses signal, net return, NAV, drawdown, turnover and the portfolio sums,
 * and a second pass for the variance. Pairs are independent, so they can be
 * spread over threads without changing a bit of the result.
 *
 * Invariant: S[t] = 0 for t < slow-1, so the r of the warm-up days are zeros
 * and the loop starts at t0 = slow-1; the variance adds their t0 * mean^2.
 */
#include "workloads/backtest/bt.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

/* Assets are processed BT_LANES at a time in time-major arrays (GCC vector
 * extensions: SSE2 pairs by default, one AVX2 register where the CPU has it).
 * Padding lanes (N rounded up to a multiple of BT_LANES) hold SMA 1 and return
 * 0, so they never trade and add exact zeros to the portfolio sums. */
#define BT_LANES 4
typedef double vd __attribute__((vector_size(8 * BT_LANES)));
typedef long long vi __attribute__((vector_size(8 * BT_LANES)));
typedef double vdu __attribute__((vector_size(8 * BT_LANES), aligned(8), may_alias));

typedef struct MaPrep {
    size_t T, N, Np, nw;        /* Np: N rounded up to whole lanes */
    int win[2 * BT_MAX_GRID];   /* distinct windows, ascending */
    double *ret;                /* T x Np, time-major; row 0 = 0 */
    double *sma;                /* nw x T x Np; sma[(w*T + t)*Np + a] valid for t >= win[w]-1 */
    double cost;                /* bps / 1e4 */
    int ls;                     /* long/short */
} MaPrep;

/* Scratch of one worker (n = T-1): one lane group's net returns (n x lanes),
 * and the pair's per-lane portfolio sums of r and tau (n x lanes each), then
 * their totals over lanes (n each). */
typedef struct MaWork {
    const MaPrep *mp;
    BtResult *res;
    size_t first, step;         /* pairs first, first+step, ... */
    double *rb, *rpv, *tpv, *rp, *tp;
} MaWork;
#define MA_SCRATCH(n) ((n) * (3 * BT_LANES + 2))

/* ---- the grid ------------------------------------------------------------ */

size_t bt_ma_npairs(const BtParams *p)
{
    size_t n = 0;
    for (int i = 0; i < p->nfast; i++)
        for (int j = 0; j < p->nslow; j++)
            n += p->fast[i] < p->slow[j];
    return n;
}

static size_t add_window(int *win, size_t n, int w)
{
    size_t i = 0;
    while (i < n && win[i] < w)
        i++;
    if (i < n && win[i] == w)
        return n;
    memmove(win + i + 1, win + i, (n - i) * sizeof *win);
    win[i] = w;
    return n + 1;
}

size_t bt_ma_windows(const BtParams *p, int *win)
{
    size_t n = 0;
    for (int i = 0; i < p->nfast; i++)
        for (int j = 0; j < p->nslow; j++)
            if (p->fast[i] < p->slow[j]) {
                n = add_window(win, n, p->fast[i]);
                n = add_window(win, n, p->slow[j]);
            }
    return n;
}

static size_t win_index(const MaPrep *mp, int w)
{
    size_t i = 0;
    while (mp->win[i] != w)
        i++;
    return i;
}

/* ---- shared work: returns and SMAs --------------------------------------- */

/* Macros rather than functions: 32-byte vectors passed by value would change
 * the ABI between the SSE2 and AVX2 clones (-Wpsabi). */
#define LD(p) (*(const vdu *)(p))
#define ST(p, x) (*(vdu *)(p) = (x))
#define VAND(x, m) ((vd)((vi)(x) & (m)))
#define VABS(x) VAND(x, absmask)
/* a > b ? a : b, lane by lane: the scalar code's max, bit for bit. */
#define VMAX(a, b, m) ((m) = (a) > (b), (vd)(((vi)(a) & (m)) | ((vi)(b) & ~(m))))

/* Padding lanes get price 1: their returns are 0 and every SMA exactly 1. */
static void pad_prices(const MaPrep *mp, const double *P, double *Pp)
{
    for (size_t t = 0; t < mp->T; t++)
        for (size_t a = 0; a < mp->Np; a++)
            Pp[t * mp->Np + a] = a < mp->N ? P[t * mp->N + a] : 1.0;
}

/* Prefix sums as double-double (hi + lo, Knuth's TwoSum), time-major with
 * T+1 rows: a window sum is then (hi[t+1]-hi[t+1-w]) + (lo[t+1]-lo[t+1-w]),
 * accurate to the window's own magnitude rather than the whole series'. */
#define PREFIX(Pp, hi, lo, T, Np, g)                                          \
    do {                                                                       \
        vd h_ = {0}, l_ = {0};                                                 \
        for (size_t t_ = 0; t_ < (T); t_++) {                                  \
            vd x_ = LD((Pp) + t_ * (Np) + (g)), s_ = h_ + x_, b_ = s_ - h_;   \
            l_ += (h_ - (s_ - b_)) + (x_ - b_);                                \
            h_ = s_;                                                           \
            ST((hi) + (t_ + 1) * (Np) + (g), h_);                              \
            ST((lo) + (t_ + 1) * (Np) + (g), l_);                              \
        }                                                                      \
    } while (0)

/* Returns, prefix sums and every window's SMA, BT_LANES assets at a time.
 * hi and lo are (T+1) x Np with row 0 zero. */
__attribute__((target_clones("avx2", "default")))
static void prep_lanes(MaPrep *mp, const double *Pp, double *hi, double *lo)
{
    const size_t T = mp->T, Np = mp->Np;
    for (size_t t = 1; t < T; t++)
        for (size_t g = 0; g < Np; g += BT_LANES)
            ST(mp->ret + t * Np + g, LD(Pp + t * Np + g) / LD(Pp + (t - 1) * Np + g) - 1.0);
    for (size_t g = 0; g < Np; g += BT_LANES)
        PREFIX(Pp, hi, lo, T, Np, g);
    for (size_t w = 0; w < mp->nw; w++) {
        size_t wl = (size_t)mp->win[w];
        double *out = mp->sma + w * T * Np, dw = (double)wl;
        for (size_t t = wl - 1; t < T; t++) {
            const double *h1 = hi + (t + 1) * Np, *h0 = hi + (t + 1 - wl) * Np;
            const double *l1 = lo + (t + 1) * Np, *l0 = lo + (t + 1 - wl) * Np;
            for (size_t g = 0; g < Np; g += BT_LANES)
                ST(out + t * Np + g, ((LD(h1 + g) - LD(h0 + g)) + (LD(l1 + g) - LD(l0 + g))) / dw);
        }
    }
}

static int prep(BtCtx *c, const BtData *d, const BtParams *p, MaPrep *mp)
{
    memset(mp, 0, sizeof *mp);
    mp->T = d->rows;
    mp->N = d->assets;
    mp->Np = (d->assets + BT_LANES - 1) / BT_LANES * BT_LANES;
    mp->nw = bt_ma_windows(p, mp->win);
    mp->cost = p->cost_bps / 1e4;
    mp->ls = p->mode == BT_LONG_SHORT;
    mp->ret = bt_alloc(c, mp->Np * mp->T, sizeof *mp->ret);
    mp->sma = bt_alloc(c, mp->nw * mp->Np * mp->T, sizeof *mp->sma);
    size_t ns = mp->Np * (3 * mp->T + 2);      /* Pp, then hi and lo */
    double *scr = bt_alloc(c, ns, sizeof *scr);
    int ok = mp->ret && mp->sma && scr;
    if (ok) {
        pad_prices(mp, d->prices, scr);
        prep_lanes(mp, scr, scr + mp->Np * mp->T, scr + mp->Np * (2 * mp->T + 1));
    }
    bt_free(c->mem, scr, ns, sizeof *scr);
    return ok ? SIM_OK : SIM_ENOMEM;
}

static void prep_free(SimMem *m, MaPrep *mp)
{
    bt_free(m, mp->ret, mp->Np * mp->T, sizeof *mp->ret);
    bt_free(m, mp->sma, mp->nw * mp->Np * mp->T, sizeof *mp->sma);
}

/* ---- one lane group of a pair --------------------------------------------- */

/* Running state of BT_LANES cells, one asset per lane. */
typedef struct Lanes {
    vd prev, sum, E, peak, dd, tsum, ss, mean;
    vi trades;                  /* minus the count: a true compare is -1 */
} Lanes;

/* The hot loop: 17 flops and 8 array accesses per asset and day (cost.c).
 * r[t+1] = (1 - c*tau[t]) * (1 + S[t]*R[t+1]) - 1 is stored at index t. */
__attribute__((target_clones("avx2", "default")))
static void lanes_run(const MaPrep *mp, const double *F, const double *S_, const double *R,
                      size_t t0, MaWork *wk, Lanes *z)
{
    const size_t Np = mp->Np;
    const vi ls = (vi){0} + (mp->ls ? -1LL : 0LL), absmask = (vi){0} + 0x7fffffffffffffffLL;
    const vd one = (vd){0} + 1.0;
    const double c = mp->cost;
    Lanes l = *z;
    vi m;
    for (size_t t = t0; t + 1 < mp->T; t++) {
        vd s = LD(S_ + t * Np), dif = LD(F + t * Np) - s, band = BT_EPS * VABS(s);
        vd S = VAND(one, dif > band) - VAND(one, (dif < -band) & ls);
        vd tau = VABS(S - l.prev);
        vd r = (1.0 - c * tau) * (1.0 + S * LD(R + (t + 1) * Np)) - 1.0;
        l.prev = S;
        ST(wk->rb + t * BT_LANES, r);
        ST(wk->rpv + t * BT_LANES, LD(wk->rpv + t * BT_LANES) + r);
        ST(wk->tpv + t * BT_LANES, LD(wk->tpv + t * BT_LANES) + tau);
        l.sum += r;
        l.tsum += tau;
        l.trades += tau > 0;
        l.E *= 1.0 + r;
        l.peak = VMAX(l.E, l.peak, m);
        vd dn = 1.0 - l.E / l.peak;
        l.dd = VMAX(dn, l.dd, m);
    }
    l.mean = l.sum / (double)(mp->T - 1);
    l.ss = (double)t0 * (l.mean * l.mean);
    for (size_t t = t0; t + 1 < mp->T; t++) {
        vd dv = LD(wk->rb + t * BT_LANES) - l.mean;
        l.ss += dv * dv;
    }
    *z = l;
}

/* The variance pass above added the t0 warm-up zeros' (0 - mean)^2. */
static void lanes_finish(const MaPrep *mp, const Lanes *l, size_t nreal, BtMetrics *out)
{
    size_t n = mp->T - 1;
    for (size_t k = 0; k < nreal; k++) {
        BtAcc acc = {.sum = l->sum[k], .E = l->E[k], .dd = l->dd[k], .tsum = l->tsum[k],
                     .ss = l->ss[k], .trades = -(int64_t)l->trades[k], .n = n};
        bt_metrics_finish(&acc, l->mean[k], &out[k]);
    }
}

static void group(MaWork *wk, size_t fi, size_t si, size_t t0, size_t g, BtMetrics *out)
{
    const MaPrep *mp = wk->mp;
    size_t a0 = g * BT_LANES, plane = mp->T * mp->Np;
    size_t nreal = mp->N - a0 < BT_LANES ? mp->N - a0 : BT_LANES;
    const vd zero = {0}, one = zero + 1.0;
    Lanes l = {zero, zero, one, one, zero, zero, zero, zero, {0}};
    lanes_run(mp, mp->sma + fi * plane + a0, mp->sma + si * plane + a0, mp->ret + a0, t0, wk, &l);
    lanes_finish(mp, &l, nreal, out + a0);
}

/* Lane totals in a fixed order, then the means over assets. */
static void portfolio(MaWork *wk, BtMetrics *out)
{
    size_t n = wk->mp->T - 1;
    double N = (double)wk->mp->N;
    for (size_t t = 0; t < n; t++) {
        const double *r = wk->rpv + t * BT_LANES, *u = wk->tpv + t * BT_LANES;
        wk->rp[t] = ((r[0] + r[1]) + (r[2] + r[3])) / N;
        wk->tp[t] = ((u[0] + u[1]) + (u[2] + u[3])) / N;
    }
    bt_metrics(wk->rp, wk->tp, n, out);
}

static void pair(MaWork *wk, size_t k)
{
    const MaPrep *mp = wk->mp;
    size_t n = mp->T - 1, N = mp->N;
    size_t fi = win_index(mp, wk->res->pair_fast[k]), si = win_index(mp, wk->res->pair_slow[k]);
    size_t t0 = (size_t)wk->res->pair_slow[k] - 1;
    BtMetrics *m = wk->res->ma + k * (N + 1);
    memset(wk->rpv, 0, n * BT_LANES * sizeof *wk->rpv);
    memset(wk->tpv, 0, n * BT_LANES * sizeof *wk->tpv);
    for (size_t g = 0; g * BT_LANES < N; g++)
        group(wk, fi, si, t0, g, m);
    portfolio(wk, &m[N]);
}

static void *worker(void *arg)
{
    MaWork *wk = arg;
    for (size_t k = wk->first; k < wk->res->npairs; k += wk->step)
        pair(wk, k);
    return NULL;
}

/* ---- the run ------------------------------------------------------------- */

static int alloc_pairs(BtCtx *c, const BtParams *p, BtResult *r)
{
    r->npairs = bt_ma_npairs(p);
    r->pair_fast = bt_alloc(c, r->npairs, sizeof *r->pair_fast);
    r->pair_slow = bt_alloc(c, r->npairs, sizeof *r->pair_slow);
    r->ma = bt_alloc(c, r->npairs * (r->assets + 1), sizeof *r->ma);
    if (!r->pair_fast || !r->pair_slow || !r->ma)
        return SIM_ENOMEM;
    size_t k = 0;
    for (int i = 0; i < p->nfast; i++)
        for (int j = 0; j < p->nslow; j++)
            if (p->fast[i] < p->slow[j]) {
                r->pair_fast[k] = p->fast[i];
                r->pair_slow[k++] = p->slow[j];
            }
    return SIM_OK;
}

/* Spreads pairs round-robin over nt workers; worker 0 is this thread. A thread
 * that cannot start leaves its pairs to this thread: slower, same result. */
static void run_workers(MaWork *wk, size_t nt)
{
    pthread_t tid[64];
    int started[64] = {0};
    for (size_t i = 1; i < nt; i++)
        started[i] = pthread_create(&tid[i], NULL, worker, &wk[i]) == 0;
    worker(&wk[0]);
    for (size_t i = 1; i < nt; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            worker(&wk[i]);
    }
}

static size_t nthreads(const BtParams *p, size_t npairs)
{
    size_t nt = p->threads > 1 ? (size_t)p->threads : 1;
    nt = nt > 64 ? 64 : nt;
    return nt > npairs ? (npairs ? npairs : 1) : nt;
}

int bt_ma_run(BtCtx *c, const BtData *d, BtResult *r)
{
    MaPrep mp;
    MaWork wk[64];
    size_t n = d->rows - 1, nt = nthreads(&r->params, bt_ma_npairs(&r->params));
    int rc = alloc_pairs(c, &r->params, r);
    if (rc == SIM_OK)
        rc = prep(c, d, &r->params, &mp);
    else
        memset(&mp, 0, sizeof mp);
    double *scratch = rc == SIM_OK ? bt_alloc(c, MA_SCRATCH(n) * nt, sizeof *scratch) : NULL;
    if (scratch) {
        for (size_t i = 0; i < nt; i++) {
            double *b = scratch + MA_SCRATCH(n) * i;
            wk[i] = (MaWork){&mp, r, i, nt, b, b + n * BT_LANES, b + 2 * n * BT_LANES,
                             b + 3 * n * BT_LANES, b + 3 * n * BT_LANES + n};
        }
        run_workers(wk, nt);
    }
    bt_free(c->mem, scratch, MA_SCRATCH(n) * nt, sizeof *scratch);
    prep_free(c->mem, &mp);
    return scratch ? SIM_OK : SIM_ENOMEM;
}

/* ---- signals for inspection ------------------------------------------------ */

static void signals(const MaPrep *mp, size_t fi, size_t si, size_t t0, int8_t *out)
{
    const double *F = mp->sma + fi * mp->T * mp->Np, *S = mp->sma + si * mp->T * mp->Np;
    for (size_t t = 0; t + 1 < mp->T; t++)
        for (size_t a = 0; a < mp->N; a++) {
            double s = S[t * mp->Np + a], dif = F[t * mp->Np + a] - s, band = BT_EPS * fabs(s);
            int v = (dif > band) - (mp->ls && dif < -band);
            out[t * mp->N + a] = (int8_t)(t < t0 ? 0 : v);
        }
}

int bt_ma_signals(BtCtx *c, const BtData *d, int fast, int slow, BtMode mode, int8_t *out)
{
    BtParams p;
    MaPrep mp;
    bt_params_default(&p, BT_MA_CROSS);
    p.nfast = p.nslow = 1;
    p.fast[0] = fast;
    p.slow[0] = slow;
    p.mode = mode;
    int rc = bt_check(c, d, &p);
    if (rc != SIM_OK)
        return rc;
    rc = prep(c, d, &p, &mp);
    if (rc == SIM_OK)
        signals(&mp, win_index(&mp, fast), win_index(&mp, slow), (size_t)slow - 1, out);
    prep_free(c->mem, &mp);
    return rc == SIM_OK ? SIM_OK : bt_oom(c);
}
