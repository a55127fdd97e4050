/*
 * traffic.h: serving traffic (prefix wl_traffic_). User sites send requests
 * to services at rates the scenario sets (a base rate, a daily curve, surges);
 * each request goes to the nearest healthy region, by the latency matrix,
 * whose serving Deployment has a Ready pod. Latency and errors come from a
 * queueing model with the Ready pods as servers, and each pod's CPU follows
 * the requests it serves, so the HPA sees load through wl_metrics.h.
 *
 * Two modes compute the same model: fluid (the default) evaluates rates and
 * M/M/c latency percentiles once per simulated second; requests makes every
 * request an event (Poisson arrivals, FCFS, exponential service) for small
 * runs and to check the fluid model.
 *
 * The model hangs off the controllers (created on first use, freed by
 * wl_destroy). Every function returns SIM_OK or a negative SIM_E* with the
 * message on the engine.
 */
#ifndef KUBESIM_WL_TRAFFIC_H
#define KUBESIM_WL_TRAFFIC_H

#include <cjson/cJSON.h>

#include "sim/metrics.h"
#include "workloads/wl.h"

/* Traffic's trace record (number fixed: sim/trace.h): service region
 * rps_milli p95_us errors_ppm backlog: one sample. */
enum { WL_TR_TRAFFIC = 36 };
/* serve service region wl slo_p95_us: workload wl serves service in region,
 * against a p95 latency target (0: none); traced when declared, so a reader
 * of the trace alone (`kubesim why service`) joins services and workloads. */
enum { WL_TR_SERVE = 49 };
int wl_traffic_trace_kinds(SimTrSchema *s);

typedef enum WlTrafficMode {
    WL_TRAFFIC_FLUID = 0,       /* rates and queueing formulas, once per second */
    WL_TRAFFIC_REQUESTS = 1     /* every request an event */
} WlTrafficMode;

/* One latency target: the pct-th percentile (of every request that ends in
 * a second, failed ones infinitely slow) at most `target`. */
enum { WL_SLO_MAX = 8 };
typedef struct WlSlo {
    uint32_t pct_milli;         /* the percentile in thousandths: 95000 is p95, 99900 p99.9; (0, 100000) */
    SimTime target;             /* > 0 */
} WlSlo;

/* What a serving Deployment declares (scenario: deployment { serve = {...} }). */
typedef struct WlServe {
    const char *service;        /* copied */
    double capacity;            /* requests/s one Ready pod serves at most (> 0) */
    double cpu_per_request_m;   /* CPU per request in millicore-seconds: a pod serving r req/s
                                   uses r × this many millicores */
    SimTime service_time;       /* mean time one request is in service; 0: 1/capacity. A pod
                                   serves round(capacity × service_time) requests at once */
    SimTime slo_p95;            /* the p95 latency target; 0: none */
    SimTime timeout;            /* a request waiting longer than this is an error (> 0) */
    WlSlo slo[WL_SLO_MAX];      /* more targets (serve.slo); a p95 one here overrides slo_p95 */
    size_t nslo;
    SimTime slo_from;           /* with slo_from_set: when the SLO clock starts (run time) */
    int slo_from_set;           /* 0: the clock starts at the first second the region has a Ready pod */
} WlServe;

/* A point of the daily curve: the rate's factor at a time of day. */
typedef struct WlDailyPoint {
    SimTime clock;              /* offset from midnight, in [0, 24 h) */
    double factor;              /* >= 0 */
} WlDailyPoint;

/* A surge: the factor ramps linearly from 1 to `factor`, holds, and decays
 * back to 1. Times are run times (from the scenario's start). */
typedef struct WlSurge {
    SimTime start, ramp, hold, decay;
    double factor;              /* >= 0 (below 1: a dip) */
} WlSurge;

/* The requests of one site to one service. */
typedef struct WlFlow {
    uint32_t site;
    const char *service;        /* a service some wl_traffic_serve declared */
    double rate;                /* base rate, requests/s (>= 0) */
    SimTime start_clock;        /* time of day at run time 0 (the daily curve's clock) */
    const WlDailyPoint *daily;  /* strictly increasing clocks; none: factor 1 (copied) */
    size_t ndaily;
    const WlSurge *surges;      /* factors multiply (copied) */
    size_t nsurges;
    /* The scenario's zone (NULL: UTC) and the Unix time of run time 0: the
     * daily curve follows the wall clock, so a daylight-saving day is 23 or
     * 25 hours long. The zone must outlive the run (the scenario owns it). */
    const WlZone *zone;
    int64_t epoch_unix;
    /* A recorded rate (scenario: traffic { from = ... }); nrec == 0: none.
     * The rate at run time t is the linear interpolation of rec_v (requests/s)
     * at the Unix time epoch_unix + t (rec_t in Unix milliseconds, strictly
     * increasing; held at the ends), times `rate` (the scale factor) and the
     * surges; the daily curve must be empty. Copied. */
    const int64_t *rec_t;
    const double *rec_v;
    size_t nrec;
} WlFlow;

/* The mode of the run; call before the first wl_traffic_serve. */
int wl_traffic_mode(WlControllers *c, WlTrafficMode mode);
/* A user site; its id in *id (dense, from 0). */
int wl_traffic_site(WlControllers *c, const char *name, uint32_t *id);
/* The round-trip time between a site and a region. */
int wl_traffic_latency(WlControllers *c, uint32_t site, uint32_t region, SimTime rtt);
/* Makes Deployment wl serve s->service in its region (one Deployment per
 * service and region) and registers its pods' usage source for the HPA.
 * Sites come before the first serving Deployment; the first one starts the
 * per-second tick at the current time. */
int wl_traffic_serve(WlControllers *c, uint32_t wl, const WlServe *s);
/* Adds a flow; every region serving its service must have a latency from its
 * site. */
int wl_traffic_flow(WlControllers *c, const WlFlow *f);

/* What Deployment wl serves, as declared (service borrowed from the model): 1,
 * or 0 when it serves nothing (for export). */
int wl_traffic_serving(WlControllers *c, uint32_t wl, WlServe *out);
/* The flows in declaration order, as declared (arrays and names borrowed
 * from the model; site is the flow's site name). SIM_EINVAL past the last. */
size_t wl_traffic_flow_count(const WlControllers *c);
int wl_traffic_flow_get(const WlControllers *c, size_t i, WlFlow *out, const char **site);
/* The round trip declared from site (WlFlow.site) to region: 1 with it in
 * *rtt, or 0 when none was declared. */
int wl_traffic_rtt(const WlControllers *c, uint32_t site, uint32_t region, SimTime *rtt);

/* Marks a region unhealthy (0) or healthy again (1): its services receive no
 * new requests, which fail over to the next nearest region (region outages). */
void wl_traffic_region_health(WlControllers *c, uint32_t region, int healthy);

/* Multiplies the rate of every flow to service by factor from now on (a
 * hook changing traffic; 1 restores the declared curves). SIM_EINVAL for a
 * service no flow goes to or a factor outside [0, 1e6]. */
int wl_traffic_set_factor(WlControllers *c, const char *service, double factor);

/* The base rate of flow i (in declaration order) times its daily and surge
 * factors at run time t, in requests/s. */
double wl_traffic_rate(WlControllers *c, uint32_t flow, SimTime t);

/* Adds the per service and region series to metrics.csv (no-op without
 * traffic): rps, latency_p50_ms, latency_p95_ms, latency_p99_ms (of the
 * requests served since the previous sample; absent when none), slo_target_ms
 * (the p95 target), error_rate, backlog (as in WlServiceStats), then
 * latency_p90_ms and slo_pNN_target_ms for every target (added last, so
 * that readers of the older rows are unaffected). */
int wl_traffic_metrics(WlControllers *c, SimMetrics *mt);
/* summary.json's slo[]: per service and region {service, region,
 * latency_p95_ms, target_ms (the p95 target), violation_seconds (any target
 * missed, after the SLO clock started), error_rate, latency_p50_ms,
 * latency_p90_ms, latency_p99_ms, slo_from_seconds, targets[]}; each target
 * {percentile, target_ms, latency_ms, worst_1m_ms, worst_5m_ms,
 * violation_seconds}. An empty array without traffic; NULL on out of
 * memory. The caller owns it. */
cJSON *wl_traffic_slo(WlControllers *c);

/* A service in one region so far (tests, tools). Latencies in seconds. */
typedef struct WlServiceStats {
    double rate;                /* arrival rate of the last second, requests/s */
    double requests, served, errors;   /* since the start */
    double backlog;             /* fluid: requests queued beyond the M/M/c regime that will be
                                   served (at most c·μ·timeout); requests: the queue's length,
                                   including requests that will time out in it */
    double p50, p95, p99;       /* the last second's served requests */
    double run_p95;             /* over the run's served requests (0 when none) */
    double p90;                 /* the last second's served requests */
    SimTime slo_start;          /* when the SLO clock started; -1: not yet */
    double violation_seconds;
    int32_t ready;              /* Ready pods */
} WlServiceStats;
/* Fills *out and returns 1, or 0 when no Deployment serves service in region. */
int wl_traffic_stats(WlControllers *c, const char *service, uint32_t region, WlServiceStats *out);
/* The pct_milli-th percentile (WlSlo) of service's latency in region, in
 * seconds: of the last second (last = 1) or of the requests served since its
 * SLO clock started (last = 0). 1 with it in *out; 0 when no Deployment
 * serves it there or nothing was served. */
int wl_traffic_percentile(WlControllers *c, const char *service, uint32_t region, uint32_t pct_milli, int last,
                          double *out);
/* Parses a percentile name "p99", "p99.9" (up to three decimals, in (0, 100))
 * into thousandths; SIM_EINVAL otherwise. */
int wl_slo_parse_pct(const char *name, uint32_t *pct_milli);
/* Writes a percentile's name ("p99", "p99.9") into buf. */
void wl_slo_pct_name(uint32_t pct_milli, char *buf, size_t n);

/* ---- queueing formulas (exact, for the fluid mode and its tests) ---------- */
/* Erlang C: the probability that an arrival waits in an M/M/n queue with
 * offered load a = λ/μ erlangs; 1 when a >= n. */
double wl_erlang_c(uint32_t n, double a);
/* The p-quantile of the response time (wait + exponential service), in
 * seconds, of an M/M/n queue with n servers of rate mu and arrival rate
 * lambda < n·mu. */
double wl_mmc_quantile(uint32_t n, double lambda, double mu, double p);

#endif
