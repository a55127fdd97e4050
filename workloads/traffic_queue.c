/*
 * traffic_queue.c: the queueing formulas of the fluid mode and the latency
 * histograms both modes fill.
 *
 * In an M/M/n queue (n servers of rate mu, arrivals at rate lambda < n·mu)
 * an arrival waits with probability C (Erlang C) and then for an exponential
 * time of rate theta = n·mu - lambda; its service is exponential of rate mu
 * and independent of the wait. The response time is their sum, whose law is
 * exact in closed form (a mixture of an exponential and the sum of two
 * exponentials), so percentiles are found by bisection on the exact CDF.
 * Invariant: every CDF here is non-decreasing in x and reaches 1, which is
 * what makes the bisection and the histogram masses (differences of the CDF
 * at bin edges) valid.
 */
#include "workloads/traffic_int.h"

#include <float.h>
#include <math.h>

double wl_erlang_c(uint32_t n, double a)
{
    if (n == 0 || a >= (double)n)
        return 1.0;
    if (a <= 0)
        return 0.0;
    /* Erlang B by the recursion on its inverse, 1/B(k) = 1 + (k/a) / B(k-1):
     * positive terms only, so stable for any n (relative error ~n ulp), and a
     * multiply per step instead of a divide (this is the hottest loop of a
     * large run: every serving backend, every simulated second). When
     * n >> a the inverse overflows to inf and B is 0, as it is to double
     * precision. Then C from B. (tests/test_traffic.c keeps the one-step
     * loop and checks these bits against it.) */
    double inv_a = 1.0 / a, r = 1.0, kd = 1.0;   /* kd: k as a double, exact */
    uint64_t k = 1;   /* 64 bits: k + 4 cannot wrap */
    /* Four steps per test: once r is inf it stays inf (every factor k/a is
     * positive), so stopping up to three steps late gives the same bits. */
    for (; k + 3 <= n && r <= DBL_MAX; k += 4, kd += 4.0) {
        r = 1.0 + (kd * inv_a) * r;
        r = 1.0 + ((kd + 1.0) * inv_a) * r;
        r = 1.0 + ((kd + 2.0) * inv_a) * r;
        r = 1.0 + ((kd + 3.0) * inv_a) * r;
    }
    for (; k <= n && r <= DBL_MAX; k++, kd += 1.0)
        r = 1.0 + (kd * inv_a) * r;
    double b = 1.0 / r;
    return (double)n * b / ((double)n - a * (1.0 - b));
}

/* P(X + Y > x) for independent exponentials of rates r1 and r2. The law is
 * symmetric, so it is written with the smaller rate in the exponent: then
 * g(y) = (1 - e^-y) / y stays in (0, 1] and nothing overflows, also when
 * the rates are equal (g = 1: the Erlang-2 tail). */
static double conv_sf(double r1, double r2, double x)
{
    double lo = r1 < r2 ? r1 : r2, hi = r1 < r2 ? r2 : r1;
    double y = (hi - lo) * x;
    double g = y < 1e-9 ? 1.0 - y / 2 : -expm1(-y) / y;
    return exp(-lo * x) * (1.0 + lo * x * g);
}

/* P(response > x) of one site, x measured after the shift and its RTT. */
static double site_sf(const TrfDist *d, double x)
{
    if (x <= 0)
        return 1.0;
    double sf = (1.0 - d->pw) * exp(-d->mu * x);
    if (d->pw > 0)
        sf += d->pw * conv_sf(d->theta, d->mu, x);
    return sf;
}

double trf_dist_cdf(const TrfDist *d, double x)
{
    if (d->nsites == 0)
        return 1.0 - site_sf(d, x - d->shift);
    double f = 0;
    for (size_t i = 0; i < d->nsites; i++)
        if (d->w[i] > 0)
            f += d->w[i] * (1.0 - site_sf(d, x - d->shift - d->rtt[i]));
    return f;
}

/* The smallest response time possible: the shift plus the nearest site. */
static double dist_floor(const TrfDist *d)
{
    double lo = INFINITY;
    for (size_t i = 0; i < d->nsites; i++)
        if (d->w[i] > 0 && d->rtt[i] < lo)
            lo = d->rtt[i];
    return d->shift + (isinf(lo) ? 0.0 : lo);
}

double trf_dist_quantile(const TrfDist *d, double p)
{
    if (!(p < 1.0))
        return INFINITY;
    double lo = dist_floor(d), step = 1.0 / d->mu;
    if (d->pw > 0 && 1.0 / d->theta > step)
        step = 1.0 / d->theta;
    double hi = lo + step;
    while (trf_dist_cdf(d, hi) < p && hi < 1e12)
        hi = lo + 2 * (hi - lo);
    /* The CDF is continuous above the floor: bisect to double precision. */
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
        double mid = lo + (hi - lo) / 2;
        if (trf_dist_cdf(d, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

double wl_mmc_quantile(uint32_t n, double lambda, double mu, double p)
{
    TrfDist d = {.shift = 0, .pw = wl_erlang_c(n, lambda / mu), .theta = (double)n * mu - lambda, .mu = mu,
                 .w = NULL, .rtt = NULL, .nsites = 0};
    return trf_dist_quantile(&d, p);
}

/* ---- histograms ------------------------------------------------------------ */
void trf_hist_init_edges(double *edge)
{
    for (int j = 0; j <= TRF_NB; j++)
        edge[j] = TRF_H0 * pow(TRF_HR, j);
}

static size_t bin_of(const double *edge, double x)
{
    if (!(x >= TRF_H0))
        return 0;
    double j = floor(log(x / TRF_H0) / log(TRF_HR)) + 1;
    if (j > TRF_NB)
        return TRF_NB + 1;
    size_t b = (size_t)j;
    while (b > 1 && x < edge[b - 1])   /* the logarithm may land one bin off */
        b--;
    while (b <= TRF_NB && x >= edge[b])
        b++;
    return b;
}

void trf_law_spread(const double *edge, const TrfDist *d, double *law, size_t *j0, size_t *n)
{
    size_t j = bin_of(edge, dist_floor(d));
    double prev = 0;
    *j0 = j;
    for (; j <= TRF_NB; j++) {
        double f = trf_dist_cdf(d, edge[j]);
        law[j - *j0] = f - prev;
        prev = f;
        if (1.0 - f < 1e-9)
            break;
    }
    if (j > TRF_NB)
        law[j - *j0] = 0;   /* the overflow bin */
    law[j - *j0] += 1.0 - prev;
    *n = j - *j0 + 1;
}

/* Widens h's non-zero range to hold bins [lo, hi). */
static void hist_span(TrfHist *h, size_t lo, size_t hi)
{
    if (h->lo == h->hi) {
        h->lo = (uint32_t)lo;
        h->hi = (uint32_t)hi;
        return;
    }
    if (lo < h->lo)
        h->lo = (uint32_t)lo;
    if (hi > h->hi)
        h->hi = (uint32_t)hi;
}

void trf_hist_add_laws(TrfHist *const *h, size_t nh, const double *law, size_t j0, size_t n, double mass)
{
    for (size_t k = 0; k < nh; k++)
        hist_span(h[k], j0, j0 + n);
    if (nh == 4) {   /* the fluid second's case: run, interval, SLO since start and minute */
        double *restrict a = h[0]->n + j0, *restrict b = h[1]->n + j0;
        double *restrict c = h[2]->n + j0, *restrict d = h[3]->n + j0;
        for (size_t i = 0; i < n; i++) {
            double x = law[i] * mass;
            a[i] += x;
            b[i] += x;
            c[i] += x;
            d[i] += x;
        }
        return;
    }
    for (size_t k = 0; k < nh; k++)
        for (size_t i = 0; i < n; i++)
            h[k]->n[j0 + i] += law[i] * mass;
}

void trf_law_flush(TrfBackend *b)
{
    if (b->pend_nh == 0)
        return;
    trf_hist_add_laws(b->pend_h, b->pend_nh, b->law, b->law_j0, b->law_n, b->pend_mass);
    b->pend_nh = 0;
    b->pend_mass = 0;
}

void trf_hist_add(TrfHist *h, const double *edge, double x, double mass)
{
    size_t j = bin_of(edge, x);
    hist_span(h, j, j + 1);
    h->n[j] += mass;
    h->total += mass;
}

void trf_hist_sum(TrfHist *out, const TrfHist *h, size_t nh)
{
    out->total = 0;
    out->lo = out->hi = 0;
    for (size_t k = 0; k < nh; k++)
        if (h[k].lo < h[k].hi)
            hist_span(out, h[k].lo, h[k].hi);
    for (size_t j = out->lo; j < out->hi; j++)
        out->n[j] = 0;
    for (size_t k = 0; k < nh; k++) {   /* bins in the same order as a sum over every bin: the same bits */
        for (size_t j = h[k].lo; j < h[k].hi; j++)
            out->n[j] += h[k].n[j];
        out->total += h[k].total;
    }
}

/* Geometric interpolation inside the bin: latencies spread about evenly on
 * a log scale over a 2 % wide bin. */
double trf_hist_quantile(const TrfHist *h, const double *edge, double p)
{
    if (!(h->total > 0))
        return 0;
    double target = p * h->total, cum = 0;
    for (size_t j = h->lo; j < h->hi; j++) {   /* the zero bins outside add nothing */
        if (h->n[j] > 0 && cum + h->n[j] >= target) {
            double f = (target - cum) / h->n[j];
            if (j == 0)
                return f * edge[0];
            if (j == TRF_NB + 1)
                return edge[TRF_NB];
            return edge[j - 1] * pow(edge[j] / edge[j - 1], f);
        }
        cum += h->n[j];
    }
    return edge[TRF_NB];
}
