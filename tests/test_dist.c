/*
 * test_dist.c: the delay distributions of calibrated runs (sim/dist.h): the
 * fit recovers a shifted lognormal's parameters from its own draws, the KS
 * distances and p-values behave as their textbook values, draws are
 * deterministic per stream.
 *
 * Tolerance stated in README (notes/calib20-README.md): with 2000 draws the
 * fitted mean and median are within 5 % of the truth and the shift within
 * 10 % of the distribution's median; KS D of the fit below 0.03.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "sim/dist.h"
#include "tr.h"

static double *draws(const SimDist *d, size_t n, uint64_t seed)
{
    SimRng r;
    sim_rng_seed(&r, seed, 7);
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)sim_dist_sample(d, &r) / 1e9;
    return x;
}

static double median_of(const SimDist *d)
{
    return d->shift_s + exp(d->mu);
}

START_TEST(dist_fit_recovers_a_shifted_lognormal)
{
    const SimDist truth[] = {   /* not static: log() is no constant expression in C */
        {.family = SIM_DIST_LOGNORMAL, .shift_s = 5.0, .mu = log(8.0), .sigma = 0.5},     /* pod start-up */
        {.family = SIM_DIST_LOGNORMAL, .shift_s = 60.0, .mu = log(40.0), .sigma = 0.35},  /* node boot */
        {.family = SIM_DIST_LOGNORMAL, .shift_s = 0.0, .mu = log(3.0), .sigma = 1.0},
    };
    for (size_t k = 0; k < sizeof truth / sizeof truth[0]; k++) {
        const SimDist *t = &truth[k];
        double *x = draws(t, 2000, 100 + k);
        SimDist d;
        SimDistFit q;
        ck_assert_int_eq(sim_dist_fit(x, 2000, &d, &q), SIM_OK);
        ck_assert_int_eq(d.family, SIM_DIST_LOGNORMAL);
        ck_assert_uint_eq(q.n, 2000);
        ck_assert_msg(fabs(sim_dist_mean(&d) - sim_dist_mean(t)) < 0.05 * sim_dist_mean(t),
                      "case %zu: mean %g, truth %g", k, sim_dist_mean(&d), sim_dist_mean(t));
        ck_assert_msg(fabs(median_of(&d) - median_of(t)) < 0.05 * median_of(t), "case %zu: median %g, truth %g", k,
                      median_of(&d), median_of(t));
        ck_assert_msg(fabs(d.shift_s - t->shift_s) < 0.1 * median_of(t), "case %zu: shift %g, truth %g", k,
                      d.shift_s, t->shift_s);
        ck_assert_msg(q.ks < 0.03, "case %zu: KS %g", k, q.ks);
        ck_assert_msg(q.ks_p > 0.05, "case %zu: p %g", k, q.ks_p);
        ck_assert(d.cap_s >= q.max_s);
        free(x);
    }
}
END_TEST

START_TEST(dist_fit_of_few_or_equal_samples_is_their_median)
{
    double few[] = {12, 10, 11};
    SimDist d;
    SimDistFit q;
    ck_assert_int_eq(sim_dist_fit(few, 3, &d, &q), SIM_OK);
    ck_assert_int_eq(d.family, SIM_DIST_CONSTANT);
    ck_assert_double_eq(d.value_s, 11);
    double same[10] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
    ck_assert_int_eq(sim_dist_fit(same, 10, &d, &q), SIM_OK);
    ck_assert_int_eq(d.family, SIM_DIST_CONSTANT);
    ck_assert_double_eq(d.value_s, 4);
    ck_assert_double_eq(q.ks, 0);
    SimRng r;
    sim_rng_seed(&r, 1, 1);
    ck_assert_int_eq(sim_dist_sample(&d, &r), SIM_SEC(4));
    double bad[] = {1, -1};
    ck_assert_int_eq(sim_dist_fit(bad, 2, &d, &q), SIM_EINVAL);
    double nan_[] = {1, NAN};
    ck_assert_int_eq(sim_dist_fit(nan_, 2, &d, &q), SIM_EINVAL);
    ck_assert_int_eq(sim_dist_fit(few, 0, &d, &q), SIM_EINVAL);
}
END_TEST

START_TEST(dist_ks_distances_match_hand_values)
{
    double a[] = {1, 2, 3, 4}, b[] = {3, 4, 5, 6}, c[] = {10, 11};
    ck_assert_double_eq_tol(sim_ks_two(a, 4, b, 4), 0.5, 1e-12);
    ck_assert_double_eq_tol(sim_ks_two(a, 4, a, 4), 0.0, 1e-12);
    ck_assert_double_eq_tol(sim_ks_two(a, 4, c, 2), 1.0, 1e-12);
    ck_assert_double_eq(sim_ks_two(a, 4, c, 0), 0);
    SimDist u = {.family = SIM_DIST_CONSTANT, .value_s = 2.5};
    ck_assert_double_eq_tol(sim_ks_one(a, 4, &u), 0.5, 1e-12);
    /* Q_KS(1.36) = 0.049 (the 5 % critical value). */
    ck_assert_double_eq_tol(sim_ks_p(1.36 / (10 + 0.12 + 0.011), 100), 0.049, 0.002);
    ck_assert_double_eq(sim_ks_p(0.01, 100), 1.0);
    ck_assert(sim_ks_p(0.5, 100) < 1e-9);
}
END_TEST

START_TEST(dist_draws_are_deterministic_and_capped)
{
    SimDist d = {.family = SIM_DIST_LOGNORMAL, .shift_s = 1, .mu = 0, .sigma = 3, .cap_s = 20};
    SimRng r1, r2;
    sim_rng_seed(&r1, 9, 4);
    sim_rng_seed(&r2, 9, 4);
    SimTime max = 0;
    for (int i = 0; i < 1000; i++) {
        SimTime a = sim_dist_sample(&d, &r1), b = sim_dist_sample(&d, &r2);
        ck_assert_int_eq(a, b);
        ck_assert_int_ge(a, SIM_SEC(1));
        max = a > max ? a : max;
    }
    ck_assert_int_eq(max, SIM_SEC(20));   /* sigma 3: some draws pass the cap */
    SimDist none = {0};
    ck_assert_int_eq(sim_dist_sample(&none, &r1), 0);
    ck_assert_uint_eq(sim_rng_u64(&r1), sim_rng_u64(&r2));   /* a constant or none draws nothing */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, dist_fit_recovers_a_shifted_lognormal);
    tcase_add_test(tc, dist_fit_of_few_or_equal_samples_is_their_median);
    tcase_add_test(tc, dist_ks_distances_match_hand_values);
    tcase_add_test(tc, dist_draws_are_deterministic_and_capped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_run(suite(), 0) ? EXIT_FAILURE : EXIT_SUCCESS;
}
