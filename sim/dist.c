/*
 * dist.c: shifted-lognormal delays, their fit and the Kolmogorov-Smirnov
 * distances (dist.h). Invariant: a draw consumes exactly two numbers of the
 * stream it is given (a constant or an empty distribution consumes none).
 */
#include "sim/dist.h"

#include <math.h>
#include <stdlib.h>

#define GRID 64          /* shifts tried in the first pass, and again around the best */

/* ---- order statistics ------------------------------------------------------ */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sim_dist_sort(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, cmp_double);
}

double sim_dist_quantile(const double *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* ---- the family ------------------------------------------------------------- */
const char *sim_dist_family_name(SimDistFamily f)
{
    switch (f) {
    case SIM_DIST_CONSTANT: return "constant";
    case SIM_DIST_LOGNORMAL: return "lognormal";
    default: return "none";
    }
}

double sim_dist_cdf(const SimDist *d, double x)
{
    if (d->family == SIM_DIST_CONSTANT)
        return x >= d->value_s ? 1.0 : 0.0;
    if (d->family != SIM_DIST_LOGNORMAL)
        return x >= 0 ? 1.0 : 0.0;
    if (x <= d->shift_s)
        return 0.0;
    return 0.5 * erfc(-(log(x - d->shift_s) - d->mu) / (d->sigma * sqrt(2.0)));
}

double sim_dist_mean(const SimDist *d)
{
    if (d->family == SIM_DIST_CONSTANT)
        return d->value_s;
    if (d->family != SIM_DIST_LOGNORMAL)
        return 0.0;
    return d->shift_s + exp(d->mu + d->sigma * d->sigma / 2);
}

/* Box-Muller: one standard normal from two uniforms (the second of the pair
 * is dropped, so every draw takes the same two numbers). */
static double normal(SimRng *r)
{
    double u1 = 1.0 - sim_rng_unit(r), u2 = sim_rng_unit(r);   /* u1 in (0, 1] */
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

SimTime sim_dist_sample(const SimDist *d, SimRng *r)
{
    double s;
    if (d->family == SIM_DIST_CONSTANT)
        s = d->value_s;
    else if (d->family == SIM_DIST_LOGNORMAL)
        s = d->shift_s + exp(d->mu + d->sigma * normal(r));
    else
        return 0;
    if (d->cap_s > 0 && s > d->cap_s)
        s = d->cap_s;
    if (s > SIM_DIST_MAX_S)   /* a hand-written file without a cap: keep now + delay in range */
        s = SIM_DIST_MAX_S;
    if (!(s > 0))
        return 0;
    return (SimTime)llround(s * 1e9);
}

/* ---- Kolmogorov-Smirnov ----------------------------------------------------- */
/* P(X < x): the distribution function's left limit (a constant jumps). */
static double cdf_left(const SimDist *d, double x)
{
    if (d->family == SIM_DIST_CONSTANT)
        return x > d->value_s ? 1.0 : 0.0;
    return sim_dist_cdf(d, x);
}

/* Over runs of equal values, so that ties (delays in whole seconds) compare
 * the empirical steps with the fit's, not each copy apart. */
double sim_ks_one(const double *x, size_t n, const SimDist *d)
{
    double dmax = 0, fn = (double)n;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && x[j] == x[i]; j++) {}
        double below = fabs(cdf_left(d, x[i]) - (double)i / fn), at = fabs(sim_dist_cdf(d, x[i]) - (double)j / fn);
        dmax = fmax(dmax, fmax(below, at));
    }
    return dmax;
}

double sim_ks_two(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 0;
    size_t i = 0, j = 0;
    double dmax = 0;
    while (i < na && j < nb) {
        double t = fmin(a[i], b[j]);
        while (i < na && a[i] <= t)
            i++;
        while (j < nb && b[j] <= t)
            j++;
        dmax = fmax(dmax, fabs((double)i / (double)na - (double)j / (double)nb));
    }
    return dmax;
}

double sim_ks_p(double d, double ne)
{
    if (!(ne > 0))
        return 1.0;
    double lam = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * d;
    if (lam < 0.2)
        return 1.0;
    double sum = 0, sign = 1;
    for (int j = 1; j <= 100; j++) {
        double term = exp(-2.0 * j * j * lam * lam);
        sum += sign * term;
        if (term < 1e-12)
            break;
        sign = -sign;
    }
    double p = 2.0 * sum;
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* ---- fitting ---------------------------------------------------------------- */
/* mu and sigma by maximum likelihood given the shift; 0 when x has no spread
 * above it. */
static int fit_at(const double *x, size_t n, double shift, SimDist *d)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += log(x[i] - shift);
    double mu = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double y = log(x[i] - shift) - mu;
        sq += y * y;
    }
    double sigma = sqrt(sq / (double)n);
    if (!(sigma > 1e-12) || !isfinite(mu))
        return 0;
    *d = (SimDist){.family = SIM_DIST_LOGNORMAL, .shift_s = shift, .mu = mu, .sigma = sigma};
    return 1;
}

/* The best shift of GRID in [lo, hi), by the KS distance; keeps *best. */
static void search(const double *x, size_t n, double lo, double hi, SimDist *best, double *bestd)
{
    for (int k = 0; k < GRID; k++) {
        SimDist d;
        double c = lo + (hi - lo) * k / GRID;
        if (!(c < x[0]) || !fit_at(x, n, c, &d))
            continue;
        double ks = sim_ks_one(x, n, &d);
        if (ks < *bestd) {
            *bestd = ks;
            *best = d;
        }
    }
}

static void describe(const double *x, size_t n, SimDistFit *q)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    q->n = n;
    q->mean_s = sum / (double)n;
    q->median_s = sim_dist_quantile(x, n, 0.5);
    q->p90_s = sim_dist_quantile(x, n, 0.9);
    q->min_s = x[0];
    q->max_s = x[n - 1];
}

int sim_dist_fit(double *x, size_t n, SimDist *d, SimDistFit *q)
{
    if (n == 0)
        return SIM_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || x[i] < 0)
            return SIM_EINVAL;
    sim_dist_sort(x, n);
    describe(x, n, q);
    double span = x[n - 1] - x[0], bestd = INFINITY;
    *d = (SimDist){.family = SIM_DIST_CONSTANT, .value_s = q->median_s};
    if (n >= SIM_DIST_MIN_SAMPLES && span > 0) {
        double lo = x[0] > 0 ? 0 : -span, step = (x[0] - lo) / GRID;
        search(x, n, lo, x[0], d, &bestd);
        if (d->family == SIM_DIST_LOGNORMAL)   /* refine around the best shift */
            search(x, n, fmax(lo, d->shift_s - step), fmin(x[0], d->shift_s + step), d, &bestd);
    }
    d->cap_s = x[n - 1] * SIM_DIST_CAP_FACTOR;
    q->ks = sim_ks_one(x, n, d);
    q->ks_p = sim_ks_p(q->ks, (double)n);
    return SIM_OK;
}
