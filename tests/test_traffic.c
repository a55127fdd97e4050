/*
 * test_traffic.c: serving traffic (workloads/traffic.h) on a real engine with
 * the scheduler and the Deployment controller, and its scenario
 * declarations. Pins the queueing formulas against known values (Erlang C,
 * the M/M/1 response time), routing to the nearest healthy region with a
 * Ready pod and failover, overload (backlog, then timeouts), rate curves,
 * CPU usage as the HPA reads it, agreement of the fluid and requests modes,
 * SLO violation seconds, the outputs of a run and the Lua errors.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "workloads/traffic.h"
#include "workloads/wl_metrics.h"

#include "tl.h"
#include "tr.h"
#include "ts.h"

#define GIB (INT64_C(1) << 30)

typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    WlControllers *c;
    uint32_t region[2], ns;
} World;

/* Two regions, r1 and r2, each with eight ready 16 CPU / 64 GiB nodes. */
static World world(WlTrafficMode mode, SimTime end)
{
    World w;
    SimConfig cfg = {.seed = 5, .end = end, .queue = SIM_EVQ_FAST, .mem = NULL};
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    for (int r = 0; r < 2; r++) {
        char name[8];
        snprintf(name, sizeof name, "r%d", r + 1);
        ck_assert_int_eq(sim_region_add(w.e, name, &w.region[r]), SIM_OK);
        SimNodeGroup g;
        memset(&g, 0, sizeof g);
        snprintf(name, sizeof name, "g%d", r + 1);
        g.name = name;
        g.region = w.region[r];
        g.alloc = (SimRes){.cpu_m = 16000, .mem = 64 * GIB, .gpu = 0, .pods = 110};
        g.max = 8;
        uint32_t gid, n;
        ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &gid), SIM_OK);
        for (int i = 0; i < 8; i++)
            ck_assert_int_eq(sim_node_add(w.e, gid, 1, &n), SIM_OK);
    }
    w.s = sched_create(w.e);
    w.c = wl_create(w.e);
    ck_assert_ptr_nonnull(w.c);
    ck_assert_int_eq(wl_traffic_mode(w.c, mode), SIM_OK);
    return w;
}

static void world_free(World *w)
{
    wl_destroy(w->c);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

/* A Deployment of 1 CPU pods that are Running 2 s after binding. */
static uint32_t deploy(World *w, const char *name, int r, int32_t replicas, int64_t usage_cpu_m)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = SIM_WL_DEPLOYMENT;
    wl.ns = w->ns;
    wl.region = w->region[r];
    wl.spec.req = (SimRes){1000, GIB, 0, 1};
    wl.spec.startup = SIM_SEC(2);
    wl.spec.usage_cpu_m = usage_cpu_m;
    wl.replicas = replicas;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static void serve(World *w, uint32_t wl, const char *svc, double capacity, SimTime service_time, SimTime slo,
                  SimTime timeout)
{
    WlServe s = {.service = svc, .capacity = capacity, .cpu_per_request_m = 1000.0 / capacity,
                 .service_time = service_time, .slo_p95 = slo, .timeout = timeout};
    ck_assert_int_eq(wl_traffic_serve(w->c, wl, &s), SIM_OK);
}

static uint32_t site(World *w, const char *name, SimTime rtt1, SimTime rtt2)
{
    uint32_t id;
    ck_assert_int_eq(wl_traffic_site(w->c, name, &id), SIM_OK);
    ck_assert_int_eq(wl_traffic_latency(w->c, id, w->region[0], rtt1), SIM_OK);
    ck_assert_int_eq(wl_traffic_latency(w->c, id, w->region[1], rtt2), SIM_OK);
    return id;
}

static void flow(World *w, uint32_t s, const char *svc, double rate, const WlSurge *surges, size_t nsurges)
{
    WlFlow f = {.site = s, .service = svc, .rate = rate, .surges = surges, .nsurges = nsurges};
    ck_assert_int_eq(wl_traffic_flow(w->c, &f), SIM_OK);
}

static WlServiceStats stats(World *w, const char *svc, int r)
{
    WlServiceStats st;
    ck_assert_int_eq(wl_traffic_stats(w->c, svc, w->region[r], &st), 1);
    return st;
}

static void assert_rel(double got, double want, double tol, const char *what)
{
    ck_assert_msg(fabs(got - want) <= tol * fabs(want), "%s: got %.9g, want %.9g (within %g)", what, got, want,
                  tol);
}

/* ---- queueing formulas ------------------------------------------------------ */

/* Erlang C by its defining sum: (a^n/n!)(n/(n-a)) / (Σ_{k<n} a^k/k! + that). */
static double erlang_c_sum(int n, double a)
{
    double term = 1, sum = 0;
    for (int k = 0; k < n; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term * n / (n - a);
    return top / (sum + top);
}

START_TEST(traffic_erlang_c_matches_known_values)
{
    assert_rel(wl_erlang_c(1, 0.7), 0.7, 1e-12, "C(1, a) = a");
    assert_rel(wl_erlang_c(2, 1.0), 1.0 / 3, 1e-12, "C(2, 1)");
    assert_rel(wl_erlang_c(2, 1.5), 9.0 / 14, 1e-12, "C(2, 1.5)");
    assert_rel(wl_erlang_c(10, 8.0), 0.4091801507964435, 1e-12, "C(10, 8)");
    assert_rel(wl_erlang_c(50, 45.0), erlang_c_sum(50, 45.0), 1e-10, "C(50, 45)");
    ck_assert(wl_erlang_c(4, 4.0) == 1.0);   /* saturated: everyone waits */
    ck_assert(wl_erlang_c(4, 0.0) == 0.0);
    ck_assert(wl_erlang_c(5000, 2.0) == 0.0);   /* 1/B overflows: nobody waits, to double precision */
    assert_rel(wl_erlang_c(400, 380.0), erlang_c_sum(400, 380.0), 1e-9, "C(400, 380)");
}
END_TEST

/* wl_erlang_c's recursion one step at a time, as it was before it was
 * unrolled: the unrolled loop must give these bits exactly (the trace
 * depends on them). */
static double erlang_c_steps(uint32_t n, double a)
{
    if (n == 0 || a >= (double)n)
        return 1.0;
    if (a <= 0)
        return 0.0;
    double inv_a = 1.0 / a, r = 1.0;
    for (uint32_t k = 1; k <= n && r <= DBL_MAX; k++)
        r = 1.0 + ((double)k * inv_a) * r;
    double b = 1.0 / r;
    return (double)n * b / ((double)n - a * (1.0 - b));
}

START_TEST(traffic_erlang_c_unrolled_keeps_the_bits)
{
    static const uint32_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 333, 1000, 4001, 70000};
    static const double loads[] = {0.001, 0.5, 0.7, 0.9, 0.99, 0.999999};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (size_t j = 0; j < sizeof loads / sizeof loads[0]; j++)
            for (int d = -2; d <= 2; d++) {
                double a = loads[j] * ns[i] * (1.0 + d * 1e-7) + d * 0.1;
                double got = wl_erlang_c(ns[i], a), want = erlang_c_steps(ns[i], a);
                ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "C(%u, %.17g): %.17g, one step at a time %.17g",
                              ns[i], a, got, want);
            }
}
END_TEST

START_TEST(traffic_mm1_response_quantiles_match_closed_form)
{
    /* M/M/1: the response time is exponential of rate mu - lambda. */
    const double lam = 70, mu = 100;
    assert_rel(wl_mmc_quantile(1, lam, mu, 0.95), log(20.0) / (mu - lam), 1e-9, "p95");
    assert_rel(wl_mmc_quantile(1, lam, mu, 0.50), log(2.0) / (mu - lam), 1e-9, "p50");
    assert_rel(wl_mmc_quantile(1, lam, mu, 0.99), log(100.0) / (mu - lam), 1e-9, "p99");
    /* theta = mu (lambda = 0 on one server would be degenerate; take c = 2,
     * lambda = mu: theta = mu, the Erlang-2 branch): P(T > t) at the answer. */
    double t = wl_mmc_quantile(2, 100, 100, 0.95), c = wl_erlang_c(2, 1.0);
    double sf = (1 - c) * exp(-100 * t) + c * exp(-100 * t) * (1 + 100 * t);
    assert_rel(sf, 0.05, 1e-9, "M/M/2 tail at its p95");
}
END_TEST

/* ---- routing ------------------------------------------------------------------ */

START_TEST(traffic_routes_to_nearest_region_and_fails_over)
{
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d1 = deploy(&w, "api-1", 0, 2, 0), d2 = deploy(&w, "api-2", 1, 2, 0);
    uint32_t s = site(&w, "seoul", SIM_MS(50), SIM_MS(5));   /* r2 is nearer */
    serve(&w, d1, "api", 100, 0, 0, SIM_SEC(2));
    serve(&w, d2, "api", 100, 0, 0, SIM_SEC(2));
    flow(&w, s, "api", 40, NULL, 0);
    ts_run_to(w.e, SIM_SEC(30));
    ck_assert(stats(&w, "api", 1).rate == 40);
    ck_assert(stats(&w, "api", 0).rate == 0);
    ck_assert(stats(&w, "api", 1).p50 > 0.005);   /* the round trip is part of the latency */

    wl_traffic_region_health(w.c, w.region[1], 0);   /* r2's outage */
    ts_run_to(w.e, SIM_SEC(40));
    ck_assert(stats(&w, "api", 0).rate == 40);
    ck_assert(stats(&w, "api", 1).rate == 0);
    ck_assert(stats(&w, "api", 0).p50 > 0.050);

    wl_traffic_region_health(w.c, w.region[1], 1);
    ts_run_to(w.e, SIM_SEC(50));
    ck_assert(stats(&w, "api", 1).rate == 40);

    ck_assert_int_eq(wl_scale(w.c, d2, 0), SIM_OK);   /* no Ready pod in r2 */
    ts_run_to(w.e, SIM_SEC(60));
    ck_assert(stats(&w, "api", 0).rate == 40);
    ck_assert(stats(&w, "api", 1).rate == 0);
    world_free(&w);
}
END_TEST

START_TEST(traffic_without_ready_pods_fails_on_the_nearest_region)
{
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d1 = deploy(&w, "api-1", 0, 0, 0), d2 = deploy(&w, "api-2", 1, 0, 0);
    uint32_t s = site(&w, "london", SIM_MS(5), SIM_MS(80));
    serve(&w, d1, "api", 100, 0, 0, SIM_SEC(2));
    serve(&w, d2, "api", 100, 0, 0, SIM_SEC(2));
    flow(&w, s, "api", 10, NULL, 0);
    ts_run_to(w.e, SIM_SEC(9));   /* ticks 0 to 9 */
    WlServiceStats st = stats(&w, "api", 0);
    ck_assert(st.requests == 100 && st.errors == 100 && st.served == 0);
    ck_assert(stats(&w, "api", 1).requests == 0);
    world_free(&w);
}
END_TEST

/* ---- overload ------------------------------------------------------------------ */

START_TEST(traffic_overload_builds_a_backlog_then_times_out)
{
    /* One pod serving 100/s gets 150/s: the backlog grows 50/s until it holds
     * what 2 s of timeout drain (200), then 50/s time out. */
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d = deploy(&w, "api", 0, 1, 0);
    uint32_t s = site(&w, "ny", SIM_MS(1), SIM_MS(1));
    serve(&w, d, "api", 100, 0, 0, SIM_SEC(2));
    flow(&w, s, "api", 150, NULL, 0);
    ts_run_to(w.e, SIM_SEC(4));   /* ticks 2, 3 and 4 have run with the pod Ready */
    WlServiceStats st = stats(&w, "api", 0);
    assert_rel(st.backlog, 150, 1e-9, "backlog after 3 s");
    assert_rel(st.errors, 300, 1e-9, "only the 2 s without a pod failed");
    ts_run_to(w.e, SIM_SEC(30));
    st = stats(&w, "api", 0);
    assert_rel(st.backlog, 200, 1e-9, "backlog capped at capacity x timeout");
    assert_rel(st.errors, 300 + 50 * (30 - 5), 1e-9, "50/s time out from tick 6 (the backlog is full at 5)");
    ck_assert_msg(st.p95 > 1.9 && st.p95 < 2.1, "served requests wait about the timeout: %g", st.p95);
    world_free(&w);

    /* The same in requests mode: no error before a request has waited 2 s,
     * then about a third of the arrivals time out. */
    w = world(WL_TRAFFIC_REQUESTS, SIM_SEC(3600));
    d = deploy(&w, "api", 0, 1, 0);
    s = site(&w, "ny", SIM_MS(1), SIM_MS(1));
    serve(&w, d, "api", 100, 0, 0, SIM_SEC(2));
    flow(&w, s, "api", 150, NULL, 0);
    ts_run_to(w.e, SIM_SEC(2));
    double startup_errors = stats(&w, "api", 0).errors;
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert(stats(&w, "api", 0).errors == startup_errors);
    ck_assert(stats(&w, "api", 0).backlog > 50);
    ts_run_to(w.e, SIM_SEC(600));
    st = stats(&w, "api", 0);
    double late = (st.errors - startup_errors) / (st.requests - startup_errors);
    ck_assert_msg(late > 0.30 && late < 0.37, "a third should time out: %g", late);
    /* The queue holds what arrived within the timeout (150/s × 2 s), the
     * requests that will time out included. */
    ck_assert_msg(st.backlog < 400, "the queue stays bounded by the timeout: %g", st.backlog);
    world_free(&w);
}
END_TEST

/* ---- rate curves ------------------------------------------------------------------ */

START_TEST(traffic_surges_ramp_hold_and_decay)
{
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d = deploy(&w, "api", 0, 20, 0);
    uint32_t s = site(&w, "ny", SIM_MS(1), SIM_MS(1));
    serve(&w, d, "api", 100, 0, 0, SIM_SEC(2));
    WlSurge sg = {.start = SIM_SEC(100), .ramp = SIM_SEC(20), .hold = SIM_SEC(30), .decay = SIM_SEC(40),
                  .factor = 5};
    flow(&w, s, "api", 100, &sg, 1);
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(99)), 100, 1e-12, "before");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(110)), 300, 1e-12, "half way up the ramp");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(120)), 500, 1e-12, "hold starts");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(149)), 500, 1e-12, "hold ends");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(160)), 400, 1e-12, "a quarter into the decay");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(190)), 100, 1e-12, "after");
    ts_run_to(w.e, SIM_SEC(131));   /* the tick of second 130 routed the held rate */
    assert_rel(stats(&w, "api", 0).rate, 500, 1e-12, "routed during the hold");
    ts_run_to(w.e, SIM_SEC(200));
    assert_rel(stats(&w, "api", 0).rate, 100, 1e-12, "routed after");
    world_free(&w);
}
END_TEST

START_TEST(traffic_daily_curve_is_piecewise_linear_over_the_clock)
{
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d = deploy(&w, "api", 0, 1, 0);
    uint32_t s = site(&w, "ny", SIM_MS(1), SIM_MS(1));
    serve(&w, d, "api", 100, 0, 0, SIM_SEC(2));
    WlDailyPoint pts[] = {{SIM_SEC(0), 0.2}, {SIM_SEC(34200), 1.0}, {SIM_SEC(57600), 0.6}};   /* 00:00 09:30 16:00 */
    WlFlow f = {.site = s, .service = "api", .rate = 800, .start_clock = SIM_SEC(9 * 3600), .daily = pts,
                .ndaily = 3};
    ck_assert_int_eq(wl_traffic_flow(w.c, &f), SIM_OK);
    assert_rel(wl_traffic_rate(w.c, 0, 0), 800 * (0.2 + 0.8 * 9 / 9.5), 1e-12, "09:00");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(1800)), 800, 1e-12, "09:30");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(7 * 3600)), 480, 1e-12, "16:00");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(11 * 3600)), 800 * 0.4, 1e-12, "20:00, towards midnight");
    assert_rel(wl_traffic_rate(w.c, 0, SIM_SEC(15 * 3600)), 800 * 0.2, 1e-12, "midnight");
    world_free(&w);
}
END_TEST

/* ---- CPU usage for the HPA ------------------------------------------------------------ */

static WlPodUsage usage_of(World *w, uint32_t pod)
{
    WlPodUsage u;
    ck_assert_int_eq(wl_pod_usage(w->c, pod, &u), 1);
    return u;
}

START_TEST(traffic_cpu_usage_follows_load_as_metrics_server_reports_it)
{
    /* 2 pods, capacity 100/s at 1 CPU (10 millicore-seconds a request),
     * 100/s: 50/s a pod, 500m, plus a declared 20m baseline. */
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d = deploy(&w, "api", 0, 2, 20), idle = deploy(&w, "idle", 1, 1, 30);   /* pods 0, 1 and 2 */
    uint32_t s = site(&w, "ny", SIM_MS(1), SIM_MS(1));
    serve(&w, d, "api", 100, 0, 0, SIM_SEC(30));
    serve(&w, idle, "idle", 100, 0, 0, SIM_SEC(30));   /* no traffic: its baseline only */
    WlSurge sg = {.start = SIM_SEC(100), .hold = SIM_SEC(10000), .factor = 1.6};
    flow(&w, s, "api", 100, &sg, 1);
    ts_run_to(w.e, SIM_SEC(1));
    WlPodUsage u;
    ck_assert_int_eq(wl_pod_usage(w.c, 0, &u), 0);   /* not Running: no sample */
    ts_run_to(w.e, SIM_SEC(50));
    u = usage_of(&w, 0);
    ck_assert_int_eq(u.cpu_m, 520);
    ck_assert_int_eq(u.timestamp, SIM_SEC(45));   /* the last 15 s scrape */
    ck_assert_int_eq(u.window, SIM_SEC(15));
    ck_assert_int_eq(u.mem, 0);
    ck_assert_int_eq(usage_of(&w, 2).cpu_m, 30);
    ts_run_to(w.e, SIM_SEC(110));   /* window [90, 105): 10 s at 50/s and 5 s at 80/s a pod */
    ck_assert_int_eq(usage_of(&w, 1).cpu_m, 620);
    ts_run_to(w.e, SIM_SEC(130));
    ck_assert_int_eq(usage_of(&w, 1).cpu_m, 820);

    ck_assert_int_eq(wl_scale(w.c, d, 4), SIM_OK);   /* the new pods 3 and 4 run from 132 s */
    ts_run_to(w.e, SIM_SEC(140));
    u = usage_of(&w, 3);
    ck_assert_int_eq(u.window, SIM_SEC(3));   /* [132, 135): only what it ran for */
    ck_assert_int_eq(u.cpu_m, 420);            /* 160/s over 4 pods */
    ts_run_to(w.e, SIM_SEC(160));
    ck_assert_int_eq(usage_of(&w, 0).cpu_m, 420);
    world_free(&w);
}
END_TEST

/* ---- fluid against requests ---------------------------------------------------------- */

static double run_p95(WlTrafficMode mode, int32_t pods, double capacity, SimTime service_time, double rate)
{
    World w = world(mode, SIM_SEC(2400));
    uint32_t d = deploy(&w, "api", 0, pods, 0);
    uint32_t s = site(&w, "ny", SIM_MS(10), SIM_MS(10));
    serve(&w, d, "api", capacity, service_time, 0, SIM_SEC(30));
    flow(&w, s, "api", rate, NULL, 0);
    ts_run_to(w.e, SIM_SEC(2400));
    double p95 = stats(&w, "api", 0).run_p95;
    world_free(&w);
    return p95;
}

START_TEST(traffic_fluid_and_request_modes_agree_on_p95)
{
    /* rho = 0.7 on two single-server pods, then on one pod serving 4 at once. */
    double fluid = run_p95(WL_TRAFFIC_FLUID, 2, 100, 0, 140);
    double exact = wl_mmc_quantile(2, 140, 100, 0.95) + 0.010;
    assert_rel(fluid, exact, 0.01, "fluid p95 over the run against M/M/2 + RTT");
    double req = run_p95(WL_TRAFFIC_REQUESTS, 2, 100, 0, 140);
    assert_rel(req, fluid, 0.10, "requests mode against fluid");

    fluid = run_p95(WL_TRAFFIC_FLUID, 1, 200, SIM_MS(20), 140);
    assert_rel(fluid, wl_mmc_quantile(4, 140, 50, 0.95) + 0.010, 0.01, "fluid M/M/4");
    req = run_p95(WL_TRAFFIC_REQUESTS, 1, 200, SIM_MS(20), 140);
    assert_rel(req, fluid, 0.10, "requests mode against fluid, 4 servers a pod");
}
END_TEST

/* ---- SLO ---------------------------------------------------------------------------------- */

START_TEST(traffic_slo_violation_seconds_are_counted)
{
    /* M/M/1 at 100/s: 50/s has p95 = ln 20 / 50 = 60 ms, 90/s has 300 ms;
     * the target is 150 ms. The surge holds 90/s for 60 s. */
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
    uint32_t d = deploy(&w, "api", 0, 1, 0);
    uint32_t s = site(&w, "ny", 0, 0);
    serve(&w, d, "api", 100, 0, SIM_MS(150), SIM_SEC(2));
    WlSurge sg = {.start = SIM_SEC(100), .hold = SIM_SEC(60), .factor = 1.8};
    flow(&w, s, "api", 50, &sg, 1);
    ts_run_to(w.e, SIM_SEC(99));
    WlServiceStats st = stats(&w, "api", 0);
    /* seconds 0 and 1, before the pod was Ready, are warm-up: no violation */
    ck_assert_msg(st.violation_seconds == 0, "warm-up counted: %g", st.violation_seconds);
    ck_assert(st.slo_start == SIM_SEC(2));
    assert_rel(st.p95, log(20.0) / 50, 1e-9, "steady p95");
    ts_run_to(w.e, SIM_SEC(300));
    st = stats(&w, "api", 0);
    ck_assert_msg(st.violation_seconds == 60, "violation seconds %g", st.violation_seconds);
    cJSON *slo = wl_traffic_slo(w.c);
    ck_assert_int_eq(cJSON_GetArraySize(slo), 1);
    cJSON *o = cJSON_GetArrayItem(slo, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(o, "service")->valuestring, "api");
    ck_assert_str_eq(cJSON_GetObjectItem(o, "region")->valuestring, "r1");
    ck_assert(cJSON_GetObjectItem(o, "target_ms")->valuedouble == 150);
    ck_assert(cJSON_GetObjectItem(o, "violation_seconds")->valuedouble == 60);
    ck_assert(cJSON_GetObjectItem(o, "slo_from_seconds")->valuedouble == 2);
    assert_rel(cJSON_GetObjectItem(o, "error_rate")->valuedouble, 100 / st.requests, 1e-6, "error rate");
    double p95 = cJSON_GetObjectItem(o, "latency_p95_ms")->valuedouble;
    ck_assert_msg(p95 > 60 && p95 < 300, "run p95 %g ms", p95);
    cJSON_Delete(slo);
    world_free(&w);
}
END_TEST

/* serve.slo_from starts the SLO clock at its time, Ready pod or not: from
 * t = 0 the two warm-up seconds count again; from 200 s the surge at
 * 100-160 s does not count. */
START_TEST(traffic_slo_from_starts_the_clock)
{
    SimTime from[] = {0, SIM_SEC(200)};
    double want[] = {62, 0};
    for (int k = 0; k < 2; k++) {
        World w = world(WL_TRAFFIC_FLUID, SIM_SEC(3600));
        uint32_t d = deploy(&w, "api", 0, 1, 0);
        uint32_t s = site(&w, "ny", 0, 0);
        WlServe sv = {.service = "api", .capacity = 100, .cpu_per_request_m = 10, .slo_p95 = SIM_MS(150),
                      .timeout = SIM_SEC(2), .slo_from = from[k], .slo_from_set = 1};
        ck_assert_int_eq(wl_traffic_serve(w.c, d, &sv), SIM_OK);
        WlSurge sg = {.start = SIM_SEC(100), .hold = SIM_SEC(60), .factor = 1.8};
        flow(&w, s, "api", 50, &sg, 1);
        ts_run_to(w.e, SIM_SEC(300));
        WlServiceStats st = stats(&w, "api", 0);
        ck_assert_msg(st.violation_seconds == want[k], "slo_from %d: %g", k, st.violation_seconds);
        ck_assert(st.slo_start == from[k]);
        world_free(&w);
    }
}
END_TEST

/* Targets at other percentiles on a known law: M/M/1 at 50/s of 100/s is an
 * exponential response time of rate 50, so p99 = ln 100 / 50 = 92.1 ms and
 * p90 = ln 10 / 50 = 46.1 ms. A p99 target of 80 ms is missed every second
 * after warm-up, a p90 one of 50 ms never; the worst windows and the run's
 * value are the law's (the histogram within 1 %). Same in requests mode,
 * where a second's percentile is the nearest rank of its requests. */
START_TEST(traffic_any_percentile_on_a_known_distribution)
{
    double p99 = log(100.0) / 50, p90 = log(10.0) / 50;
    WlTrafficMode modes[] = {WL_TRAFFIC_FLUID, WL_TRAFFIC_REQUESTS};
    for (int m = 0; m < 2; m++) {
        World w = world(modes[m], SIM_SEC(3600));
        uint32_t d = deploy(&w, "api", 0, 1, 0);
        uint32_t s = site(&w, "ny", 0, 0);
        WlServe sv = {.service = "api", .capacity = 100, .cpu_per_request_m = 10, .timeout = SIM_SEC(5),
                      .slo = {{99000, SIM_MS(80)}, {90000, SIM_MS(50)}}, .nslo = 2};
        ck_assert_int_eq(wl_traffic_serve(w.c, d, &sv), SIM_OK);
        flow(&w, s, "api", 50, NULL, 0);
        ts_run_to(w.e, m ? SIM_SEC(1800) : SIM_SEC(600));
        double v;
        ck_assert_int_eq(wl_traffic_percentile(w.c, "api", w.region[0], 99000, 0, &v), 1);
        assert_rel(v, p99, m ? 0.05 : 0.01, "p99 since the clock started");
        ck_assert_int_eq(wl_traffic_percentile(w.c, "api", w.region[0], 90000, 0, &v), 1);
        assert_rel(v, p90, m ? 0.05 : 0.01, "p90 since the clock started");
        if (m == 0) {
            ck_assert_int_eq(wl_traffic_percentile(w.c, "api", w.region[0], 99000, 1, &v), 1);
            assert_rel(v, p99, 1e-9, "the last second's p99 (the fluid law's, exact)");
        }
        cJSON *slo = wl_traffic_slo(w.c);
        cJSON *o = cJSON_GetArrayItem(slo, 0), *t = cJSON_GetObjectItem(o, "targets");
        ck_assert_int_eq(cJSON_GetArraySize(t), 2);
        cJSON *t90 = cJSON_GetArrayItem(t, 0), *t99 = cJSON_GetArrayItem(t, 1);   /* in percentile order */
        ck_assert_str_eq(cJSON_GetObjectItem(t90, "percentile")->valuestring, "p90");
        ck_assert_str_eq(cJSON_GetObjectItem(t99, "percentile")->valuestring, "p99");
        ck_assert(cJSON_GetObjectItem(t99, "target_ms")->valuedouble == 80);
        assert_rel(cJSON_GetObjectItem(t99, "latency_ms")->valuedouble, p99 * 1e3, m ? 0.05 : 0.01, "p99 ms");
        if (m == 0) {   /* every minute is the same law */
            assert_rel(cJSON_GetObjectItem(t99, "worst_1m_ms")->valuedouble, p99 * 1e3, 0.01, "worst 1 m");
            assert_rel(cJSON_GetObjectItem(t99, "worst_5m_ms")->valuedouble, p99 * 1e3, 0.01, "worst 5 m");
            ck_assert_msg(cJSON_GetObjectItem(t99, "violation_seconds")->valuedouble == 599, "%g", cJSON_GetObjectItem(t99, "violation_seconds")->valuedouble);   /* seconds 2 to 600 (ts_run_to runs the tick at 600) */
            ck_assert(cJSON_GetObjectItem(t90, "violation_seconds")->valuedouble == 0);
        } else {   /* a second of ~50 requests: its nearest-rank p99 is its slowest, over 80 ms in some
                      seconds only (1 - (1 - e^-4)^50 = 60 % for independent ones; a busy period's
                      requests are not: fewer) */
            double v99 = cJSON_GetObjectItem(t99, "violation_seconds")->valuedouble;
            ck_assert_msg(v99 > 100 && v99 < 1080, "requests p99 violation %g", v99);
            ck_assert(cJSON_GetObjectItem(t99, "worst_1m_ms")->valuedouble >= p99 * 1e3);
        }
        ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "target_ms")));   /* no p95 target */
        if (m == 0)   /* any target missed: here only p99 ever is */
            ck_assert(cJSON_GetObjectItem(o, "violation_seconds")->valuedouble == 599);
        cJSON_Delete(slo);
        world_free(&w);
    }
}
END_TEST

/* ---- set-up errors of the C API --------------------------------------------------------- */

START_TEST(traffic_refuses_inconsistent_declarations)
{
    World w = world(WL_TRAFFIC_FLUID, SIM_SEC(60));
    cJSON *none = wl_traffic_slo(w.c);
    ck_assert_int_eq(cJSON_GetArraySize(none), 0);   /* no serving Deployment: slo is [] */
    cJSON_Delete(none);
    uint32_t d1 = deploy(&w, "api-1", 0, 1, 0), d2 = deploy(&w, "api-2", 0, 1, 0);
    uint32_t s;
    ck_assert_int_eq(wl_traffic_site(w.c, "ny", &s), SIM_OK);
    ck_assert_int_eq(wl_traffic_site(w.c, "ny", &s), SIM_EINVAL);
    WlServe sv = {.service = "api", .capacity = 100, .timeout = SIM_SEC(1)};
    ck_assert_int_eq(wl_traffic_serve(w.c, d1, &sv), SIM_OK);
    ck_assert_int_eq(wl_traffic_serve(w.c, d2, &sv), SIM_EINVAL);   /* a second one in r1 */
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "already has a serving Deployment"));
    WlFlow f = {.site = s, .service = "api", .rate = 1};
    ck_assert_int_eq(wl_traffic_flow(w.c, &f), SIM_EINVAL);   /* no latency from ny to r1 */
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "no latency from site 'ny' to region 'r1'"));
    f.service = "nope";
    ck_assert_int_eq(wl_traffic_flow(w.c, &f), SIM_EINVAL);
    sv.capacity = 0;
    sv.service = "other";
    ck_assert_int_eq(wl_traffic_serve(w.c, d2, &sv), SIM_EINVAL);
    world_free(&w);
}
END_TEST

START_TEST(traffic_oom_sweep_leaks_nothing)
{
    for (uint64_t n = 1;; n++) {
        SimMem m;
        sim_mem_init(&m);
        SimConfig cfg = {.seed = 1, .end = SIM_SEC(30), .queue = SIM_EVQ_FAST, .mem = &m};
        SimEngine *e = sim_engine_create(&cfg);
        m.fail_at = m.count + n;   /* the engine itself always gets made */
        uint32_t r, ns, wid, s = 0;
        int rc = e ? SIM_OK : SIM_ENOMEM;
        WlControllers *c = e ? wl_create(e) : NULL;
        rc = c ? sim_region_add(e, "r", &r) : SIM_ENOMEM;
        if (rc == SIM_OK)
            rc = sim_namespace_add(e, "default", &ns);
        SimWorkload wl = {.name = (char *)"api", .kind = SIM_WL_DEPLOYMENT, .replicas = 0};
        if (rc == SIM_OK)
            rc = sim_workload_add(e, &wl, &wid);
        if (rc == SIM_OK)
            rc = wl_traffic_mode(c, WL_TRAFFIC_REQUESTS);
        if (rc == SIM_OK)
            rc = wl_traffic_site(c, "ny", &s);
        if (rc == SIM_OK)
            rc = wl_traffic_latency(c, s, r, SIM_MS(3));
        WlServe sv = {.service = "api", .capacity = 10, .timeout = SIM_SEC(1)};
        if (rc == SIM_OK)
            rc = wl_traffic_serve(c, wid, &sv);
        WlDailyPoint pt = {0, 1.0};
        WlFlow f = {.site = s, .service = "api", .rate = 5, .daily = &pt, .ndaily = 1};
        if (rc == SIM_OK)
            rc = wl_traffic_flow(c, &f);
        while (rc == SIM_OK)
            rc = sim_step(e);
        cJSON_Delete(rc == SIM_DONE ? wl_traffic_slo(c) : NULL);
        wl_destroy(c);
        sim_engine_destroy(e);
        ck_assert_msg(m.live == 0, "leak after failing allocation %llu", (unsigned long long)n);
        if (rc == SIM_DONE && !m.oom)
            break;
        ck_assert_msg(n < 10000, "no end to the sweep");
    }
}
END_TEST

/* ---- scenarios ----------------------------------------------------------------------------- */

static char tmpdir[] = "/tmp/kubesim-trf-XXXXXX";

static const char world_src[] =
    "scenario { name = \"t\", start = \"09:00\", duration = \"10m\", sample_every = \"60s\" }\n"
    "region { name = \"us-east\" }\n"
    "region { name = \"eu-west\" }\n"
    "nodegroup { name = \"g1\", region = \"us-east\", cpu = 16, memory = \"64Gi\", min = 2 }\n"
    "nodegroup { name = \"g2\", region = \"eu-west\", cpu = 16, memory = \"64Gi\", min = 2 }\n"
    "site { name = \"new-york\" }\n"
    "site { name = \"london\" }\n"
    "latency { from = \"new-york\", to = \"us-east\", ms = 5 }\n"
    "latency { from = \"new-york\", to = \"eu-west\", ms = 75 }\n"
    "latency { from = \"london\", to = \"eu-west\", ms = 4 }\n"
    "latency { from = \"london\", to = \"us-east\", ms = 70 }\n";

static const char serve_src[] =
    "deployment { name = \"api-us\", region = \"us-east\", replicas = 3, cpu = \"1\", startup = \"5s\",\n"
    "  serve = { service = \"quant-api\", capacity = 200, cpu_per_request = \"5m\", slo_p95 = \"150ms\",\n"
    "            timeout = \"2s\", service_time = \"20ms\" } }\n";

/* The load fails and the message holds both fragments. */
static void expect_error(const char *src, const char *frag1, const char *frag2)
{
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "s.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", src);
    ck_assert_msg(strstr(sim_err_msg(&err), frag1) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag1);
    if (frag2)
        ck_assert_msg(strstr(sim_err_msg(&err), frag2) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag2);
    ck_assert_int_eq(m.live, 0);
}

static char *cat3(const char *a, const char *b, const char *c)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s%s%s", a, b, c);
    return buf;
}

START_TEST(traffic_lua_errors_name_line_field_and_nearest)
{
    expect_error(cat3(world_src, "site { name = \"tokyo\", nmae = 1 }\n", ""), "s.lua:12:",
                 "unknown field 'nmae' in site (did you mean 'name'?)");
    expect_error(cat3(world_src, "site { name = \"london\" }\n", ""), "s.lua:12:", "declared twice");
    expect_error(cat3(world_src, "site { name = \"us-east\" }\n", ""), "s.lua:12:", "is a region");
    expect_error(cat3(world_src, "latency { from = \"new-yrok\", to = \"us-east\", ms = 5 }\n", ""), "s.lua:12:",
                 "no site named 'new-yrok' is declared before this line (did you mean 'new-york'?)");
    expect_error(cat3(world_src, "latency { from = \"london\", to = \"eu-wset\", ms = 5 }\n", ""), "s.lua:12:",
                 "did you mean 'eu-west'?");
    expect_error(cat3(world_src, "latency { from = \"us-east\", to = \"eu-west\", ms = 5 }\n", ""), "s.lua:12:",
                 "region-to-region latency is not modelled");
    expect_error(cat3(world_src, "latency { from = \"london\", to = \"eu-west\", ms = 5 }\n", ""), "s.lua:12:",
                 "declared twice");
    expect_error(cat3(world_src, "latency { from = \"london\", to = \"us-east\" }\n", ""), "s.lua:12:",
                 "field 'ms': is required");
    expect_error(cat3(world_src, "deployment { name = \"a\", region = \"us-east\", serve = { service = \"x\", "
                                 "capacty = 10 } }\n", ""),
                 "s.lua:12:", "unknown field 'capacty' in deployment 'a': field 'serve' (did you mean 'capacity'?)");
    expect_error(cat3(world_src, "deployment { name = \"a\", region = \"us-east\", serve = { service = \"x\" } }\n",
                      ""), "s.lua:12:", "field 'capacity': is required");
    expect_error(cat3(world_src, "deployment { name = \"a\", region = \"us-east\", serve = { service = \"x\", "
                                 "capacity = 10, timeout = \"soon\" } }\n", ""), "s.lua:12:", "field 'timeout'");
    expect_error(cat3(world_src, serve_src, "deployment { name = \"b\", region = \"us-east\", serve = { service = "
                                            "\"quant-api\", capacity = 10 } }\n"),
                 "s.lua:15:", "'quant-api' already has a serving deployment in region 'us-east' ('api-us')");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-apj\", rate = 1 }\n"),
                 "s.lua:15:", "no service named 'quant-apj' is declared before this line (did you mean 'quant-api'?)");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"nowhere\", service = \"quant-api\", rate = 1 }\n"),
                 "s.lua:15:", "no site named 'nowhere'");
    expect_error(cat3(world_src, serve_src, "site { name = \"tokyo\" }\n"
                                            "traffic { site = \"tokyo\", service = \"quant-api\", rate = 1 }\n"),
                 "s.lua:16:", "no latency from 'tokyo' to region 'us-east', where 'quant-api' runs");
    expect_error(cat3(world_src, "site { name = \"tokyo\" }\nlatency { from = \"tokyo\", to = \"eu-west\", ms = 200 }\n"
                                 "deployment { name = \"a\", region = \"eu-west\", serve = { service = \"x\", "
                                 "capacity = 10 } }\ntraffic { site = \"tokyo\", service = \"x\", rate = 1 }\n",
                      "deployment { name = \"b\", region = \"us-east\", serve = { service = \"x\", capacity = 10 } }\n"),
                 "s.lua:16:", "needs a latency from 'tokyo' to region 'us-east'");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\" }\n"),
                 "s.lua:15:", "traffic 'new-york -> quant-api': field 'rate': is required");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  daily = { {\"22:00\", 1}, {\"02:00\", 2}, {\"23:00\", 1} } }\n"),
                 "s.lua:15:", "item 3: times must increase");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  daily = { {\"22:00\", 1}, {\"02:00\", 2}, {\"01:00\", 1} } }\n"),
                 "s.lua:15:", "item 3: times must increase");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  daily = { {\"09:30\", 1}, {\"09:30\", 2} } }\n"),
                 "s.lua:15:", "item 2: times must increase");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  daily = { {\"9h\", 1} } }\n"), "s.lua:15:", "time of day");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  surges = { { start = \"09:30\", hodl = \"1m\", factor = 2 } } }\n"),
                 "s.lua:15:", "unknown field 'hodl' in traffic 'new-york -> quant-api': field 'surges': item 1 "
                              "(did you mean 'hold'?)");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = 1,\n"
                                            "  surges = { { start = \"09:30\" } } }\n"),
                 "s.lua:15:", "field 'factor': is required");
    expect_error(cat3(world_src, serve_src, "traffic { site = \"new-york\", service = \"quant-api\", rate = -1 }\n"),
                 "s.lua:15:", "field 'rate'");
    static const char *const bad_slo[][3] = {
        {"slo = { q99 = \"1s\" }", "field 'q99'", "is not a percentile such as p99"},
        {"slo = { p100 = \"1s\" }", "field 'p100'", "is not a percentile"},
        {"slo = { p0 = \"1s\" }", "field 'p0'", "is not a percentile"},
        {"slo = { [\"p99.9999\"] = \"1s\" }", "field 'p99.9999'", "is not a percentile"},
        {"slo = { p99 = \"fast\" }", "field 'p99'", "is not a duration"},
        {"slo = { p99 = \"0s\" }", "field 'p99'", "must be a positive duration"},
        {"slo = { \"250ms\" }", "field '?'", "'number' is not a percentile"},
        {"slo = \"250ms\"", "field 'slo'", "expected a table"},
        {"slo_p95 = \"1s\", slo = { p95 = \"1s\" }", "field 'slo'", "p95 is set twice"},
        {"slo_from = \"09:30\"", "field 'slo_from'", "there is no SLO to start"},
        {"slo = { p99 = \"1s\" }, slo_from = \"soon\"", "field 'slo_from'", "neither a time of day nor a duration"},
    };
    for (size_t i = 0; i < sizeof bad_slo / sizeof bad_slo[0]; i++) {
        char line[512];
        snprintf(line, sizeof line, "deployment { name = \"a\", region = \"us-east\", serve = { service = \"x\", "
                 "capacity = 10, %s } }\n", bad_slo[i][0]);
        expect_error(cat3(world_src, line, ""), "s.lua:12:", bad_slo[i][1]);
        expect_error(cat3(world_src, line, ""), "s.lua:12:", bad_slo[i][2]);
    }
}
END_TEST

START_TEST(traffic_scenario_load_oom_sweep_leaks_nothing)
{
    char src[8192];
    snprintf(src, sizeof src, "%s%straffic { site = \"new-york\", service = \"quant-api\", rate = 9,\n"
             "  daily = { {\"00:00\", 0.5}, {\"12:00\", 1} }, surges = { { start = \"10:00\", factor = 2 } } }\n",
             world_src, serve_src);
    tl_load_oom_sweep(tr_write(tmpdir, "oom.lua", src));
}
END_TEST

/* A scenario fed by a recorded rate: every allocation of reading the file,
 * picking the series and keeping it may fail, and nothing leaks. */
START_TEST(traffic_recorded_rate_load_oom_sweep_leaks_nothing)
{
    tr_write(tmpdir, "rec.json", "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
             "{\"metric\":{\"site\":\"a\"},\"values\":[[1767600000,\"5\"],[1767700000,\"6\"]]},"
             "{\"metric\":{\"site\":\"b\"},\"values\":[[1767600000,\"5\"],[1767700000,\"6\"]]}]}}");
    char src[8192];
    snprintf(src, sizeof src, "%s%straffic { site = \"new-york\", service = \"quant-api\", from = \"rec.json\",\n"
             "  series = '{site=\"b\"}', factor = 2 }\n", world_src, serve_src);
    tl_load_oom_sweep(tr_write(tmpdir, "oomrec.lua", src));
}
END_TEST

static const char run_src_tail[] =
    "traffic { site = \"new-york\", service = \"quant-api\", rate = 300,\n"
    "          daily = { {\"00:00\", 0.2}, {\"09:30\", 1.0}, {\"16:00\", 0.6} },\n"
    "          surges = { { start = \"09:05\", ramp = \"1m\", hold = \"2m\", factor = 1.8 } } }\n"
    "traffic { site = \"london\", service = \"quant-api\", rate = 50 }\n";

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Runs the scenario in the given mode; returns summary.json's slo[] for
 * (service, region) and checks metrics.csv has the series. */
static void run_scenario(int mode, const char *out)
{
    char src[8192];
    snprintf(src, sizeof src, "%s%sdeployment { name = \"api-eu\", region = \"eu-west\", replicas = 1, cpu = 1,\n"
             "  serve = { service = \"quant-api\", capacity = 100, slo_p95 = \"100ms\" } }\n%s",
             world_src, serve_src, run_src_tail);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "run.lua", src), .seed = 3};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, out);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ScnRunOptions ro = {.seed = 3, .dir = dir, .traffic_mode = mode};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}

static cJSON *slo_of(const char *out)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s/summary.json", tmpdir, out);
    char *text = read_all(path);
    cJSON *sum = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(sum);
    return sum;
}

START_TEST(traffic_run_writes_slo_and_series)
{
    run_scenario(WL_TRAFFIC_FLUID, "fluid");
    run_scenario(WL_TRAFFIC_REQUESTS, "requests");
    for (int k = 0; k < 2; k++) {
        const char *out = k ? "requests" : "fluid";
        cJSON *sum = slo_of(out);
        cJSON *slo = cJSON_GetObjectItem(sum, "slo");
        ck_assert_int_eq(cJSON_GetArraySize(slo), 2);
        cJSON *us = cJSON_GetArrayItem(slo, 0), *eu = cJSON_GetArrayItem(slo, 1);
        ck_assert_str_eq(cJSON_GetObjectItem(us, "service")->valuestring, "quant-api");
        ck_assert_str_eq(cJSON_GetObjectItem(us, "region")->valuestring, "us-east");
        ck_assert_str_eq(cJSON_GetObjectItem(eu, "region")->valuestring, "eu-west");
        ck_assert(cJSON_GetObjectItem(us, "target_ms")->valuedouble == 150);
        ck_assert(cJSON_GetObjectItem(eu, "target_ms")->valuedouble == 100);
        double p95 = cJSON_GetObjectItem(us, "latency_p95_ms")->valuedouble;
        ck_assert_msg(p95 > 5 && p95 < 150, "%s: us-east p95 %g ms", out, p95);   /* 5 ms RTT + 4 servers a pod */
        double er = cJSON_GetObjectItem(us, "error_rate")->valuedouble;
        ck_assert_msg(er > 0 && er < 0.02, "%s: the 5 s start-up fails, little else: %g", out, er);
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(eu, "violation_seconds")));
        cJSON_Delete(sum);
        char path[700];
        snprintf(path, sizeof path, "%s/%s/metrics.csv", tmpdir, out);
        char *csv = read_all(path);
        static const char *const rows[] = {
            "us-east,service,quant-api,rps,", "us-east,service,quant-api,latency_p50_ms,",
            "us-east,service,quant-api,latency_p95_ms,", "us-east,service,quant-api,latency_p99_ms,",
            "us-east,service,quant-api,slo_target_ms,150\n", "us-east,service,quant-api,error_rate,",
            "us-east,service,quant-api,backlog,", "eu-west,service,quant-api,rps,",
            "us-east,service,quant-api,latency_p90_ms,", "us-east,service,quant-api,slo_p95_target_ms,150\n"};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            ck_assert_msg(strstr(csv, rows[i]) != NULL, "%s: metrics.csv lacks %s", out, rows[i]);
        free(csv);
    }
}
END_TEST

START_TEST(traffic_run_is_reproducible_in_both_modes)
{
    run_scenario(WL_TRAFFIC_REQUESTS, "rep-a");
    run_scenario(WL_TRAFFIC_REQUESTS, "rep-b");
    cJSON *a = slo_of("rep-a"), *b = slo_of("rep-b");
    ck_assert_str_eq(cJSON_GetObjectItem(a, "trace_sha256")->valuestring,
                     cJSON_GetObjectItem(b, "trace_sha256")->valuestring);
    char *sa = cJSON_PrintUnformatted(cJSON_GetObjectItem(a, "slo"));
    char *sb = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "slo"));
    ck_assert_str_eq(sa, sb);
    cJSON_free(sa);
    cJSON_free(sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* The binary takes --traffic-mode fluid|requests and refuses anything else
 * with exit 2. */
START_TEST(traffic_cli_takes_the_traffic_mode)
{
    const char *bin = getenv("KUBESIM_BIN");
    ck_assert_msg(bin != NULL && access(bin, X_OK) == 0, "set KUBESIM_BIN to the kubesim binary (ctest does)");
    char src[8192], cmd[2048];
    snprintf(src, sizeof src, "%s%s%s", world_src, serve_src,
             "traffic { site = \"new-york\", service = \"quant-api\", rate = 50 }\n");
    const char *path = tr_write(tmpdir, "cli.lua", src);
    snprintf(cmd, sizeof cmd, "%s run %s --quiet --traffic-mode bogus --out %s/cli-x 2>/dev/null", bin, path, tmpdir);
    int st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    snprintf(cmd, sizeof cmd, "%s run %s --quiet --traffic-mode requests --out %s/cli", bin, path, tmpdir);
    st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cJSON *sum = slo_of("cli");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(sum, "slo")), 1);
    cJSON_Delete(sum);
}
END_TEST

static Suite *traffic_suite(void)
{
    Suite *s = suite_create("traffic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, traffic_erlang_c_matches_known_values);
    tcase_add_test(tc, traffic_mm1_response_quantiles_match_closed_form);
    tcase_add_test(tc, traffic_routes_to_nearest_region_and_fails_over);
    tcase_add_test(tc, traffic_without_ready_pods_fails_on_the_nearest_region);
    tcase_add_test(tc, traffic_overload_builds_a_backlog_then_times_out);
    tcase_add_test(tc, traffic_erlang_c_unrolled_keeps_the_bits);
    tcase_add_test(tc, traffic_surges_ramp_hold_and_decay);
    tcase_add_test(tc, traffic_daily_curve_is_piecewise_linear_over_the_clock);
    tcase_add_test(tc, traffic_cpu_usage_follows_load_as_metrics_server_reports_it);
    tcase_add_test(tc, traffic_fluid_and_request_modes_agree_on_p95);
    tcase_add_test(tc, traffic_slo_violation_seconds_are_counted);
    tcase_add_test(tc, traffic_slo_from_starts_the_clock);
    tcase_add_test(tc, traffic_any_percentile_on_a_known_distribution);
    tcase_add_test(tc, traffic_refuses_inconsistent_declarations);
    tcase_add_test(tc, traffic_oom_sweep_leaks_nothing);
    tcase_add_test(tc, traffic_lua_errors_name_line_field_and_nearest);
    tcase_add_test(tc, traffic_scenario_load_oom_sweep_leaks_nothing);
    tcase_add_test(tc, traffic_recorded_rate_load_oom_sweep_leaks_nothing);
    tcase_add_test(tc, traffic_run_writes_slo_and_series);
    tcase_add_test(tc, traffic_run_is_reproducible_in_both_modes);
    tcase_add_test(tc, traffic_cli_takes_the_traffic_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_main(traffic_suite(), tmpdir);
}
