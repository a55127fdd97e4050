/*
 * dist.h: delay distributions fitted from a real cluster (prefix sim_dist_,
 * sim_ks_). A SimDist is what `kubesim calibrate --from-prometheus` writes
 * and a calibrated run samples: pod start-up, node provisioning, the HPA's
 * reaction delay.
 *
 * Family: a shifted lognormal, X = shift + exp(mu + sigma Z), Z standard
 * normal: delays have a hard floor (image pull, kubelet sync, a VM's boot)
 * and a long right tail, which the lognormal carries with two parameters.
 * Fitting (sim_dist_fit): for each shift on a grid in [0, min), mu and sigma
 * are the maximum-likelihood estimates given that shift (the mean and the
 * standard deviation of log(x - shift)); the shift whose fit has the smallest
 * Kolmogorov-Smirnov distance to the sample wins (the three-parameter
 * likelihood is unbounded as the shift nears the minimum, so it cannot pick
 * the shift itself). Fewer than SIM_DIST_MIN_SAMPLES samples, or samples
 * without spread, give a constant: their median.
 *
 * Invariant: sampling draws from the stream it is handed and nothing else,
 * so a run that samples no calibrated delay sees the numbers it saw before.
 * Doubles are statistics only; a sampled delay is whole nanoseconds.
 */
#ifndef KUBESIM_SIM_DIST_H
#define KUBESIM_SIM_DIST_H

#include <stddef.h>

#include "sim/sim.h"

#define SIM_DIST_MIN_SAMPLES 8
/* Sampled delays are capped at this many times the largest observed one: a
 * lognormal's tail should not stall a run for days on one draw. */
#define SIM_DIST_CAP_FACTOR 10.0
/* No draw exceeds this many seconds (about 31 years), whatever the file says. */
#define SIM_DIST_MAX_S 1e9

typedef enum SimDistFamily {
    SIM_DIST_NONE = 0,       /* not calibrated: the scenario's constant */
    SIM_DIST_CONSTANT,
    SIM_DIST_LOGNORMAL       /* shifted */
} SimDistFamily;

typedef struct SimDist {
    SimDistFamily family;
    double value_s;          /* constant */
    double shift_s, mu, sigma;   /* lognormal (mu, sigma of log seconds) */
    double cap_s;            /* draws above it are cut to it (0: no cap) */
} SimDist;

/* What a fit reports beside its parameters. */
typedef struct SimDistFit {
    size_t n;
    double ks;               /* Kolmogorov-Smirnov D of the sample against the fit */
    double ks_p;             /* its asymptotic p-value (optimistic: the parameters
                                come from the same sample) */
    double mean_s, median_s, p90_s, min_s, max_s;
} SimDistFit;

/* Fits x[0..n) (seconds, >= 0, finite; n >= 1). Sorts x in place. Returns
 * SIM_OK, or SIM_EINVAL when n is 0 or a sample is negative or not finite. */
int sim_dist_fit(double *x, size_t n, SimDist *d, SimDistFit *q);
/* One draw in nanoseconds (>= 0) from stream r. NONE gives 0. */
SimTime sim_dist_sample(const SimDist *d, SimRng *r);
/* The distribution function at x seconds. */
double sim_dist_cdf(const SimDist *d, double x);
/* The mean in seconds (uncapped). */
double sim_dist_mean(const SimDist *d);
/* The name of a family ("constant", "lognormal"; "none"). */
const char *sim_dist_family_name(SimDistFamily f);

/* One-sample KS distance of sorted x[0..n) against d. */
double sim_ks_one(const double *x, size_t n, const SimDist *d);
/* Two-sample KS distance of sorted a[0..na) and b[0..nb) (0 if either is empty). */
double sim_ks_two(const double *a, size_t na, const double *b, size_t nb);
/* The asymptotic p-value of distance d for effective sample size ne
 * (n for one sample, na nb / (na + nb) for two): Q_KS((sqrt(ne) + 0.12 +
 * 0.11 / sqrt(ne)) d), Numerical Recipes' form. */
double sim_ks_p(double d, double ne);
/* Sorts x[0..n) ascending. */
void sim_dist_sort(double *x, size_t n);
/* The q-quantile (0..1) of sorted x[0..n), linear between order statistics. */
double sim_dist_quantile(const double *x, size_t n, double q);

#endif
