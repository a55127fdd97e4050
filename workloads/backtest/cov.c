/*
 * cov.c: kernel (c), minimum-variance and mean-variance portfolios from a
 * rolling covariance: the BLAS kernel.
 *
 * At each rebalance date t = W, W+H, ... <= T-2 the window X = R[t-W+1..t]
 * (W x N) is centred (Xc = X - mu) into a buffer laid out so that, read
 * column-major, it is the N x W matrix Xc^T: one dsyrk then gives the lower
 * triangle of Sigma = Xc^T Xc / (W-1) (ddof = 1) with no transposition or
 * copy, optional shrinkage towards tr(Sigma)/N * I, a Cholesky factor
 * (dpotrf 'L') and one dpotrs for both right-hand sides [1, mu]. dsyrk does
 * N(N+1)W of the ~N^2 W + N^3/3 flops, so the kernel runs near BLAS speed.
 * Invariant: only the lower triangle of Sigma is ever read or written.
 */
#include "workloads/backtest/bt.h"

#include <cblas.h>
#include <lapacke.h>
#include <string.h>

#include "workloads/backtest/bt_int.h"

typedef struct Cov {
    BtCtx *c;
    const BtData *d;
    const double *R;
    size_t N, W;
    double shrink, gamma;
    int meanvar;
    double *xc, *cov, *rhs;   /* W x N, N x N, N x 2 (column 0: ones, 1: mu) */
    double *weights;          /* the result's nrebal x N */
} Cov;

/* mu = column means of the window, written to rhs's second column; Xc = X - mu. */
static void center(Cov *v, const double *X)
{
    size_t N = v->N, W = v->W;
    double *mu = v->rhs + N;
    memset(mu, 0, N * sizeof *mu);
    for (size_t i = 0; i < W; i++)
        for (size_t a = 0; a < N; a++)
            mu[a] += X[i * N + a];
    for (size_t a = 0; a < N; a++) {
        mu[a] /= (double)W;
        v->rhs[a] = 1.0;
    }
    for (size_t i = 0; i < W; i++)
        for (size_t a = 0; a < N; a++)
            v->xc[i * N + a] = X[i * N + a] - mu[a];
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

static int target(void *ud, size_t t, size_t k, double *tgt)
{
    Cov *v = ud;
    int n = (int)v->N, w = (int)v->W;
    center(v, v->R + (t + 1 - v->W) * v->N);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, w, 1.0 / ((double)v->W - 1.0), v->xc,
                n, 0.0, v->cov, n);
    if (v->shrink > 0)
        shrink(v);
    int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, v->cov, n);
    if (info != 0)
        return not_pd(v, t, info);
    info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 2, v->cov, n, v->rhs, n);
    if (info != 0)
        return not_pd(v, t, info);
    weights(v, tgt);
    memcpy(v->weights + k * v->N, tgt, v->N * sizeof *tgt);
    return SIM_OK;
}

static void cov_free(SimMem *m, Cov *v)
{
    bt_free(m, v->xc, v->W * v->N, sizeof *v->xc);
    bt_free(m, v->cov, v->N * v->N, sizeof *v->cov);
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

int bt_cov_run(BtCtx *c, const BtData *d, BtResult *r)
{
    const BtParams *p = &r->params;
    Cov v = {.c = c, .d = d, .N = d->assets, .W = (size_t)p->window, .shrink = p->shrink,
             .gamma = p->gamma, .meanvar = p->kernel == BT_MEANVAR};
    BtBook b = {.t0 = v.W, .hold = (size_t)p->hold, .target = target, .ud = &v};
    r->nrebal = bt_nrebal(d->rows, b.t0, b.hold);
    r->weights = bt_alloc(c, r->nrebal * v.N, sizeof *r->weights);
    v.xc = bt_alloc(c, v.W * v.N, sizeof *v.xc);
    v.cov = bt_alloc(c, v.N * v.N, sizeof *v.cov);
    v.rhs = bt_alloc(c, 2 * v.N, sizeof *v.rhs);
    double *R = bt_returns_rowmajor(c, d);
    v.R = b.R = R;
    v.weights = r->weights;
    /* The whole workspace is had (through SimMem) before BLAS is called. */
    int rc = (r->weights && v.xc && v.cov && v.rhs && R) ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = blas_preflight(c);
    if (rc == SIM_OK)
        rc = bt_book_run(c, &b, r);
    bt_free(c->mem, R, d->rows * d->assets, sizeof *R);
    cov_free(c->mem, &v);
    return rc;
}
