/*
 * cov.c: kernel (c), minimum-variance and mean-variance portfolios from a
 * rolling covariance: the BLAS kernel.
 *
 * At each rebalance date t = W, W+H, ... <= T-2 the window X = R[t-W+1..t]
 * (W x N) gives Sigma = Xc^T Xc / (W-1) (ddof = 1), optional shrinkage
 * towards tr(Sigma)/N * I, a Cholesky factor (dpotrf 'L') and one dpotrs for
 * both right-hand sides [1, mu].
 *
 * The covariance rolls from one window to the next: with Y = R - c for a
 * shift c (the exact mean of the last window computed in full), the kernel
 * keeps S = Y^T Y / (W-1) and m = sum Y over the window, removes the H old
 * days and adds the H new ones (two dsyrk of k = H instead of one of k = W),
 * and takes Sigma = S - m m^T / (W (W-1)), mu = c + m / W. A window is
 * computed in full (its exact mean as c, Y = X - mu, one dsyrk of k = W:
 * the specified centring pass and dsyrk, m = 0) when rolling would not save
 * work (2H >= W), when the rolled Sigma's dpotrf fails, and when the rounding
 * bound of the rolled matrix could pass a fresh one's: in units of S, every
 * square added or removed since the full window is summed (base + mass), and
 * the rolled Sigma's error in asset a, relative to Sigma[a][a], is bounded by
 * about (steps + H) * eps * (base + mass) / Sigma[a][a], against W * eps for
 * a fresh dsyrk; the kernel recomputes before the first exceeds the second (a
 * price spike leaving the window, a mean that drifted far from c).
 * Y lives in a ring of W rows (row i in slot i mod W), laid out so that a
 * block of its row-major rows, read column-major, is the N x k matrix dsyrk
 * wants: no transposition or copy; the H new rows take the slots of the H
 * old ones once those are removed.
 * LAPACKE's _work entry points skip its NaN scan of the whole matrix; a
 * non-finite return (a price ratio that overflows) makes its asset's
 * diagonal non-finite, so the diagonal alone is scanned, with LAPACKE's
 * answer (info -5).
 *
 * Counted work (cost.c) stays that of the specified computation, a centring
 * pass and a dsyrk of k = W per window, whatever this file skips: simulated
 * durations are a function of the request alone. The flops actually done are
 * counted beside it (bt_result_flops_done).
 * Invariant: only the lower triangles of S and Sigma are meaningful.
 */
#include "workloads/backtest/bt.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

typedef struct Cov {
    BtCtx *c;
    const BtData *d;
    const double *R;
    size_t N, W, H;
    double shrink, gamma;
    int meanvar;
    double *y;                /* W x N ring: row i of R - shift in slot i mod W */
    double *S, *cov;          /* N x N each: the rolled y^T y / (W-1), and Sigma */
    double *m, *shift;        /* N each: the sum of y over the window, and c */
    double *base, *mass;      /* N each: S[a][a] of the last full window, and the
                                 squares of y added or removed since */
    double *rhs;              /* N x 2 (column 0: ones, 1: mu) */
    double *weights;          /* the result's nrebal x N */
    double inv;               /* 1 / (W-1) */
    size_t steps;             /* windows rolled since the last full one */
    int have;                 /* S, m hold the previous window (t - H) */
    uint64_t done;            /* flops of the windows' covariances, as done */
} Cov;

static void syrk(Cov *v, const double *a, size_t k, double alpha, double beta)
{
    int n = (int)v->N;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, (int)k, alpha, a, n, beta, v->S, n);
    v->done += (uint64_t)k * v->N * (v->N + 1);
}

static double *yrow(const Cov *v, size_t r)
{
    return v->y + (r % v->W) * v->N;
}

/* The window ending at t in full, as specified: shift = its mean (mu), y =
 * X - mu, S = y^T y / (W-1) (the centring pass folded into the shift), m = 0;
 * Sigma is a copy of S. Exactly the counted flops of a window (cost.c). */
static void full_window(Cov *v, size_t t)
{
    size_t N = v->N, W = v->W, r0 = t + 1 - W;
    const double *X = v->R + r0 * N;
    double *c = v->shift;
    memset(c, 0, N * sizeof *c);
    for (size_t i = 0; i < W; i++)
        for (size_t a = 0; a < N; a++)
            c[a] += X[i * N + a];
    for (size_t a = 0; a < N; a++)
        c[a] /= (double)W;
    for (size_t i = 0; i < W; i++) {
        double *y = yrow(v, r0 + i);
        for (size_t a = 0; a < N; a++)
            y[a] = X[i * N + a] - c[a];
    }
    v->inv = 1.0 / ((double)W - 1.0);
    syrk(v, v->y, W, v->inv, 0.0);   /* the whole ring: the order of rows does not matter */
    memcpy(v->cov, v->S, N * N * sizeof *v->cov);
    memset(v->m, 0, N * sizeof *v->m);
    memset(v->mass, 0, N * sizeof *v->mass);
    for (size_t a = 0; a < N; a++) {
        v->base[a] = v->S[a * N + a];
        v->rhs[a] = 1.0;
        v->rhs[N + a] = c[a];
    }
    v->done += 2 * W * N + N + 2;
    v->steps = 0;
}

/* S += alpha y^T y over the rows [r0, r0 + H), one dsyrk or two where the
 * block wraps round the ring; m gains (sign > 0) or loses their sum, and
 * mass gains their squares. */
static void roll_rows(Cov *v, size_t r0, int sign)
{
    size_t N = v->N, s0 = r0 % v->W, k = v->H < v->W - s0 ? v->H : v->W - s0;
    double alpha = sign > 0 ? v->inv : -v->inv;
    syrk(v, v->y + s0 * N, k, alpha, 1.0);
    if (k < v->H)
        syrk(v, v->y, v->H - k, alpha, 1.0);
    for (size_t i = r0; i < r0 + v->H; i++) {
        const double *y = yrow(v, i);
        for (size_t a = 0; a < N; a++) {
            v->m[a] = sign > 0 ? v->m[a] + y[a] : v->m[a] - y[a];
            v->mass[a] += y[a] * y[a];
        }
    }
    v->done += 3 * v->H * N;
}

/* The window ending at t from the one ending at t - H: S and m lose the H
 * oldest rows, whose ring slots then take the H new ones (shifted by the
 * same c), which S and m gain. */
static void roll_window(Cov *v, size_t t)
{
    size_t N = v->N, H = v->H, n0 = t + 1 - H;
    roll_rows(v, n0 - v->W, -1);
    for (size_t i = n0; i <= t; i++) {
        double *y = yrow(v, i);
        for (size_t a = 0; a < N; a++)
            y[a] = v->R[i * N + a] - v->shift[a];
    }
    roll_rows(v, n0, 1);
    v->done += H * N;
    v->steps++;
}

/* Sigma = S - m m^T / (W (W-1)) on the lower triangle; mu = c + m / W into
 * rhs's second column and ones into its first. */
static void sigma(Cov *v)
{
    size_t N = v->N;
    double W = (double)v->W, k = v->inv / W;
    const double *m = v->m;
    for (size_t j = 0; j < N; j++) {
        double mj = m[j] * k;
        for (size_t i = j; i < N; i++)
            v->cov[j * N + i] = v->S[j * N + i] - m[i] * mj;
    }
    for (size_t a = 0; a < N; a++) {
        v->rhs[a] = 1.0;
        v->rhs[N + a] = v->shift[a] + m[a] / W;
    }
    v->done += 2 * (N * (N + 1) / 2) + 3 * N + 1;
}

/* 1 when the rolled Sigma's rounding bound may exceed a fresh dsyrk's (see
 * the file header): (steps + H) * mass >= W * Sigma[a][a] in units of S,
 * where mass is what the sums have held since the full window. A
 * non-positive or NaN Sigma[a][a] counts as exceeding. */
static int too_rough(Cov *v)
{
    size_t N = v->N;
    double lim = (double)v->W / (double)(v->steps + v->H);
    v->done += 3 * N + 1;
    for (size_t a = 0; a < N; a++)
        if (!(v->base[a] + v->mass[a] * v->inv < lim * v->cov[a * N + a]))
            return 1;
    return 0;
}

/* Sigma for the window ending at t: rolled when that saves work and stays as
 * accurate as a full window, else in full. `fresh` forces the full one. */
static void build(Cov *v, size_t t, int fresh)
{
    int roll = !fresh && v->have && 2 * v->H < v->W;
    if (roll) {
        roll_window(v, t);
        sigma(v);
        if (!too_rough(v))
            return;
    }
    full_window(v, t);
}

/* Sigma <- (1-l) Sigma + l tr(Sigma)/N I, on the lower triangle. */
static void shrink(Cov *v)
{
    size_t N = v->N;
    double tr = 0, l = v->shrink;
    for (size_t a = 0; a < N; a++)
        tr += v->cov[a * N + a];
    double target = l * tr / (double)N, keep = 1.0 - l;
    for (size_t j = 0; j < N; j++)
        for (size_t i = j; i < N; i++)
            v->cov[j * N + i] *= keep;
    for (size_t a = 0; a < N; a++)
        v->cov[a * N + a] += target;
}

/* Min-variance w = a / 1'a; mean-variance adds (b - (1'b) w_mv) / gamma. */
static void weights(const Cov *v, double *w)
{
    size_t N = v->N;
    const double *x = v->rhs, *b = v->rhs + N;
    double sa = 0, sb = 0;
    for (size_t i = 0; i < N; i++)
        sa += x[i];
    for (size_t i = 0; i < N; i++)
        w[i] = x[i] / sa;
    if (!v->meanvar)
        return;
    for (size_t i = 0; i < N; i++)
        sb += b[i];
    for (size_t i = 0; i < N; i++)
        w[i] = w[i] + (b[i] - sb * w[i]) / v->gamma;
}

static int not_pd(Cov *v, size_t t, int info)
{
    const BtData *d = v->d;
    return bt_fail(v->c, SIM_EINVAL,
                   "%s:%zu: column %s: covariance of the window ending here is not positive "
                   "definite (dpotrf info %d, N=%zu assets, W=%zu days); use --shrink",
                   d->source, d->first_line + t, d->names[info > 0 ? info - 1 : 0], info, v->N,
                   v->W);
}

static int finite_diagonal(const Cov *v)
{
    for (size_t a = 0; a < v->N; a++)
        if (!isfinite(v->cov[a * v->N + a]))
            return 0;
    return 1;
}

/* Shrinkage and the Cholesky factor of the window ending at t; a rolled
 * Sigma that dpotrf refuses is recomputed in full before giving up. */
static int factor(Cov *v, size_t t)
{
    int n = (int)v->N, info = 1;
    for (int fresh = 0; info != 0 && fresh < 2; fresh++) {
        if (fresh && v->steps == 0)
            break;
        if (fresh)   /* the factorisation of a rolled Sigma that failed, done again */
            v->done += bt_cost_cov_factor_flops(v->shrink, v->N);
        build(v, t, fresh);
        if (v->shrink > 0)
            shrink(v);
        if (!finite_diagonal(v))
            return not_pd(v, t, -5);
        info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, v->cov, n);
    }
    v->have = 1;
    return info == 0 ? SIM_OK : not_pd(v, t, info);
}

static int target(void *ud, size_t t, size_t k, double *tgt)
{
    Cov *v = ud;
    int n = (int)v->N;
    int rc = factor(v, t);
    if (rc != SIM_OK)
        return rc;
    int info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', n, 2, v->cov, n, v->rhs, n);
    if (info != 0)
        return not_pd(v, t, info);
    weights(v, tgt);
    memcpy(v->weights + k * v->N, tgt, v->N * sizeof *tgt);
    return SIM_OK;
}

static void cov_free(SimMem *m, Cov *v)
{
    bt_free(m, v->y, v->W * v->N, sizeof *v->y);
    bt_free(m, v->S, v->N * v->N, sizeof *v->S);
    bt_free(m, v->cov, v->N * v->N, sizeof *v->cov);
    bt_free(m, v->m, 4 * v->N, sizeof *v->m);
    bt_free(m, v->rhs, 2 * v->N, sizeof *v->rhs);
}

/* OpenBLAS takes a buffer of its own from malloc at its first level-3 call
 * (BUFFER_SIZE, 128 MiB on x86-64 and arm64, plus a page) and keeps it for
 * the process; when malloc fails it retries forever (blas_memory_alloc), so
 * under `ulimit -v` a run would spin instead of failing. Before the first
 * call, the same block is asked of the context's SimMem and given back: if
 * it cannot be had, the kernel fails with "out of memory", and SimMem's
 * sticky flag stops a simulation (and the fault-injection sweep reaches this
 * path too). */
#define BLAS_BUFFER (((size_t)128 << 20) + 2 * 4096)

static int blas_preflight(BtCtx *c)
{
    if (c->blas_ready)
        return SIM_OK;
    void *probe = sim_mem_alloc(c->mem, BLAS_BUFFER);
    if (probe == NULL)
        return bt_fail(c, SIM_ENOMEM, "out of memory: OpenBLAS needs a %zu MiB buffer", BLAS_BUFFER >> 20);
    sim_mem_free(c->mem, probe, BLAS_BUFFER);
    c->blas_ready = 1;
    return SIM_OK;
}

static int cov_alloc(BtCtx *c, Cov *v, BtResult *r)
{
    r->weights = bt_alloc(c, r->nrebal * v->N, sizeof *r->weights);
    v->y = bt_alloc(c, v->W * v->N, sizeof *v->y);
    v->S = bt_alloc(c, v->N * v->N, sizeof *v->S);
    v->cov = bt_alloc(c, v->N * v->N, sizeof *v->cov);
    v->m = bt_alloc(c, 4 * v->N, sizeof *v->m);
    v->rhs = bt_alloc(c, 2 * v->N, sizeof *v->rhs);
    v->shift = v->m ? v->m + v->N : NULL;
    v->base = v->m ? v->m + 2 * v->N : NULL;
    v->mass = v->m ? v->m + 3 * v->N : NULL;
    v->weights = r->weights;
    return (r->weights && v->y && v->S && v->cov && v->m && v->rhs) ? SIM_OK : SIM_ENOMEM;
}

int bt_cov_run(BtCtx *c, const BtData *d, BtResult *r)
{
    const BtParams *p = &r->params;
    Cov v = {.c = c, .d = d, .N = d->assets, .W = (size_t)p->window, .H = (size_t)p->hold,
             .shrink = p->shrink, .gamma = p->gamma, .meanvar = p->kernel == BT_MEANVAR};
    BtBook b = {.t0 = v.W, .hold = (size_t)p->hold, .target = target, .ud = &v};
    r->nrebal = bt_nrebal(d->rows, b.t0, b.hold);
    double *R = bt_returns_rowmajor(c, d);
    v.R = b.R = R;
    /* The whole workspace is had (through SimMem) before BLAS is called. */
    int rc = cov_alloc(c, &v, r);
    rc = rc == SIM_OK && R ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = blas_preflight(c);
    if (rc == SIM_OK)
        rc = bt_book_run(c, &b, r);
    r->cov_flops_spec = r->nrebal * bt_cost_cov_window_flops((size_t)p->window, d->assets);
    r->cov_flops_done = v.done;
    bt_free(c->mem, R, d->rows * d->assets, sizeof *R);
    cov_free(c->mem, &v);
    return rc;
}
