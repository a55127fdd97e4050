/*
 * traffic_int.h: the traffic model's layout, shared by traffic*.c only.
 *
 * A backend is one serving Deployment: one service in one region. Flows
 * (site -> service) are routed to backends once per second (fluid) or per
 * request (requests mode). Every figure a backend reports (rates, errors,
 * latency histograms, violation seconds, the per-pod load behind CPU usage)
 * is kept on the backend, in the same units in both modes, so that the
 * summary, the metrics and the HPA read one place.
 */
#ifndef KUBESIM_WL_TRAFFIC_INT_H
#define KUBESIM_WL_TRAFFIC_INT_H

#include "workloads/traffic.h"
#include "workloads/wl_int.h"

#define TRF_TICK SIM_SEC(1)           /* the model's clock: one evaluation per second */
#define TRF_SCRAPE SIM_SEC(15)        /* metrics-server's scrape interval and window */
#define TRF_RING 32                   /* seconds of per-pod load kept (>= 2 scrape windows) */
#define TRF_RNG_STREAM 0x74726166u    /* "traf": its own seeded stream, shifting no other */

/* Latency histogram: bin 0 is [0, TRF_H0); bin j in 1..TRF_NB is
 * [TRF_H0·r^(j-1), TRF_H0·r^j) with r = TRF_HR; bin TRF_NB+1 is the rest.
 * 2 % wide bins put a percentile within 1 % (geometric interpolation). */
#define TRF_H0 1e-5
#define TRF_HR 1.02
#define TRF_NB 1000
typedef struct TrfHist {
    double n[TRF_NB + 2];
    double total;
    uint32_t lo, hi;            /* every bin outside [lo, hi) is 0 (all zero: empty) */
} TrfHist;

/* The response-time law of one second: a deterministic wait `shift`, then
 * with probability pw an exponential wait of rate theta (else none), then an
 * exponential service of rate mu, then the network round trip of the
 * request's site (site i with weight w[i], latency rtt[i] seconds). */
typedef struct TrfDist {
    double shift, pw, theta, mu;
    const double *w, *rtt;
    size_t nsites;
} TrfDist;

/* One second of per-pod load, for CPU usage. */
typedef struct TrfLoad {
    SimTime t;                  /* the second [t, t + 1 s) */
    double per_pod;             /* requests served per Ready pod, per second */
} TrfLoad;

/* Requests mode: a queued request, and a server's request in service. */
typedef struct TrfReq {
    SimTime arrived;
    uint32_t site;
} TrfReq;

typedef struct TrfSlot {
    TrfReq r;                   /* the request in service */
    uint32_t next;              /* idle: the next idle slot, SIM_NONE at the end */
} TrfSlot;

/* One latency target of a backend and how it fared since the SLO clock
 * started. */
#define TRF_WINDOWS 5                 /* one-minute histograms kept: the 5-minute window */
typedef struct TrfSlo {
    uint32_t pct_milli;
    SimTime target;
    double violation_s;
    double worst1, worst5;            /* seconds; < 0: no window had a served request */
} TrfSlo;

typedef struct TrfBackend {
    char *service;              /* owned */
    uint32_t svc, wl, region;
    double capacity, cpu_per_req_m, mu;   /* mu: one server's rate, capacity / conc */
    uint32_t conc;              /* servers per pod */
    SimTime slo, timeout;
    SimTime service_time;       /* as declared (0: 1/capacity), for wl_traffic_serving */
    double *rtt;                /* per site, seconds; < 0: no latency declared */
    double *site_rate;          /* per site: rate routed here this second */
    double *weight;             /* per site: share of the latest routed traffic */
    double lambda, noroute;     /* routed here / failed for want of any Ready pod, req/s */
    double rate_last;           /* requests/s of the last second, routed or not */
    double backlog;             /* fluid: requests queued beyond the M/M/c regime */
    double p[3];                /* requests: p50, p95, p99 of the last second, seconds */
    TrfSlo slos[WL_SLO_MAX];    /* the targets: slo_p95 and serve.slo (slo: the p95 one, or 0) */
    size_t nslo;
    SimTime slo_from;           /* -1: the clock starts with the first Ready pod */
    SimTime slo_start;          /* when it started; -1: not yet (warm-up is no violation) */
    TrfHist *since;             /* with targets: served latencies since slo_start */
    TrfHist *win;               /* with targets: TRF_WINDOWS one-minute histograms, a ring */
    int64_t win_min;            /* the minute (run time / 1 min) win[win_min % TRF_WINDOWS] holds; -1: none */
    TrfDist last;               /* fluid: the last second's law (last.mu == 0: none served) */
    double *law;                /* fluid: histogram masses of the law last spread, from bin
                                   law_j0, summing to 1 (TRF_NB + 2 doubles) */
    size_t law_j0, law_n;
    /* fluid: served mass of that law not yet spread into pend_h[0..pend_nh)
     * (their totals already count it); trf_law_flush spreads it, before the
     * law or the set of histograms changes and before any histogram is read */
    TrfHist *pend_h[4];
    size_t pend_nh;
    double pend_mass;
    double key_lambda, key_shift;   /* what that law was computed for */
    uint32_t key_servers;
    double *key_w;              /* per site */
    double requests, served, errors, violation_s;
    double iv_requests, iv_errors;   /* since the last metrics sample */
    TrfHist run, iv;            /* served latencies: over the run / since the last sample */
    TrfLoad ring[TRF_RING];
    uint64_t nring;
    /* The last load average the usage source computed, reused while the
     * ring and the window are the same (every pod of the backend that ran
     * through the whole window shares it): nring, window, its figures. */
    uint64_t avg_nring;
    SimTime avg_from, avg_to, avg_covered;
    double avg;
    int64_t avg_cpu_m;          /* llround(avg * cpu_per_req_m) */
    /* fluid: the last Erlang C computed, reused for the same (servers, load) */
    uint32_t erl_servers;
    double erl_load, erl_c;
    /* requests mode */
    TrfReq *q;                  /* FIFO ring of waiting requests */
    size_t qhead, qlen, qcap;
    TrfSlot *slot;              /* one per server ever busy at once */
    size_t nslot;
    uint32_t free_slot;         /* head of the idle chain, SIM_NONE: none */
    uint32_t busy;
    double *sec_lat;            /* this second's served latencies */
    size_t nsec, capsec;
    double *prev_lat;           /* the last closed second's, sorted (k.latency) */
    size_t nprev, capprev;
    double sec_req, sec_err;      /* this second's arrivals and failures */
} TrfBackend;

typedef struct TrfFlow {
    uint32_t site, svc;
    double rate;
    SimTime start_clock;
    const WlZone *zone;         /* the daily curve's wall clock (WlFlow) */
    int64_t epoch_unix;
    WlDailyPoint *daily;
    size_t ndaily;
    WlSurge *surges;
    size_t nsurges;
    int64_t *rec_t;             /* a recorded rate (WlFlow), Unix ms; owned */
    double *rec_v;
    size_t nrec;
    uint32_t *order;            /* the service's backends, nearest first */
    size_t norder;
    double factor;              /* set from a hook (wl_traffic_set_factor); 1 otherwise */
    double cur_rate;            /* requests mode: the rate of the current second */
    SimTime sec_end;            /* requests mode: arrivals are drawn up to here */
} TrfFlow;

struct WlTraffic {
    WlControllers *c;
    SimEngine *e;
    uint16_t ev;                 /* our event kind (aux's top bits: tick, arrival, completion) */
    WlTrafficMode mode;
    char **sites;
    size_t nsites, capsites;
    struct { uint32_t site, region; SimTime rtt; } *lat;
    size_t nlat, caplat;
    char **svcs;
    size_t nsvc, capsvc;
    TrfBackend *b;
    size_t nb, capb;
    TrfFlow *f;
    size_t nf, capf;
    uint8_t *down;              /* per region: marked unhealthy */
    size_t capdown;
    int ticking;
    SimTime last_sample;        /* -1 before the first metrics sample */
    SimTime sec_start;          /* requests mode: the second being counted; -1 before */
    SimRng rng;
    double edge[TRF_NB + 1];    /* edge[j]: upper bound of histogram bin j */
};
typedef struct WlTraffic WlTraffic;

/* Event aux: the kind in the top bits, a server slot below. */
enum { TRF_EV_TICK = 0, TRF_EV_ARRIVAL = 1, TRF_EV_DONE = 2 };
#define TRF_AUX(kind, slot) ((uint32_t)(kind) << 30 | (uint32_t)(slot))
#define TRF_AUX_KIND(aux) ((aux) >> 30)
#define TRF_AUX_SLOT(aux) ((aux) & 0x3fffffffu)

/* Simulated time as seconds, for rates and statistics only. */
static inline double trf_sec(SimTime t)
{
    return (double)t / (double)SIM_NS_PER_S;
}

/* traffic.c */
SimTime trf_tick_end(const WlTraffic *t, SimTime now);
/* The backend flow f goes to now (SIM_NONE: none has a Ready pod), and the
 * one its failures are counted on (the nearest, healthy or not). */
uint32_t trf_route(WlTraffic *t, const TrfFlow *f, uint32_t *fallback);
int32_t trf_ready(WlTraffic *t, const TrfBackend *b);
void trf_load_push(TrfBackend *b, SimTime t, double per_pod);
/* Ends a second of backend b: latest percentiles, violation, counters. */
void trf_second_done(TrfBackend *b, double dts, double requests, double errors, double served, int violated);

/* traffic_slo.c: the latency targets, the SLO clock and its windows */
int trf_slo_init(WlTraffic *t, TrfBackend *b, const WlServe *s);
void trf_slo_free(WlTraffic *t, TrfBackend *b);
/* Starts the clock when due (the second at sec, the backend's Ready pods)
 * and rolls the minute windows; 1 when the second counts for the SLO. */
int trf_slo_second(WlTraffic *t, TrfBackend *b, SimTime sec);
/* The SLO histograms a served second goes into (the one since the SLO clock
 * started and the current minute's): how many, 0 before the clock runs. */
size_t trf_slo_hists(TrfBackend *b, TrfHist *h[2]);
/* A served latency (after trf_slo_second) into the histograms since the
 * start and of the current minute. */
void trf_slo_add(WlTraffic *t, TrfBackend *b, double x);
/* Closes the current minute's window into the worst values (idempotent). */
void trf_slo_windows(WlTraffic *t, TrfBackend *b);
/* Nearest-rank index of the pct_milli-th percentile of n sorted values. */
size_t trf_rank(size_t n, uint32_t pct_milli);

/* traffic_queue.c: queueing math and histograms */
double trf_dist_cdf(const TrfDist *d, double x);
double trf_dist_quantile(const TrfDist *d, double p);
void trf_hist_init_edges(double *edge);
/* The law's mass in each bin, from the bin of its floor up to where less
 * than 1e-9 is left (that rest goes to the last bin): law[0..*n) from bin *j0. */
void trf_law_spread(const double *edge, const TrfDist *d, double *law, size_t *j0, size_t *n);
/* The same law and mass into the bins of nh histograms at once (one pass
 * over the law: each bin gets law[i] * mass); their totals are the caller's. */
void trf_hist_add_laws(TrfHist *const *h, size_t nh, const double *law, size_t j0, size_t n, double mass);
/* Spreads a fluid backend's pending mass (pend_mass) into its histograms;
 * a no-op when none is pending. Every reader of a backend's histograms
 * calls it first. */
void trf_law_flush(TrfBackend *b);
void trf_hist_add(TrfHist *h, const double *edge, double x, double mass);
/* out = the sum of h[0..nh), bin by bin in that order; only out's bins in
 * its [lo, hi) are written (the rest are left as they were: read none). */
void trf_hist_sum(TrfHist *out, const TrfHist *h, size_t nh);
double trf_hist_quantile(const TrfHist *h, const double *edge, double p);

/* traffic_fluid.c */
void trf_fluid_tick(WlTraffic *t, SimTime now, SimTime end);

/* traffic_req.c */
int trf_req_tick(WlTraffic *t, SimTime now, SimTime end);
void trf_req_arrival(WlTraffic *t, uint32_t flow);
void trf_req_done(WlTraffic *t, uint32_t backend, uint32_t slot);
void trf_req_free(WlTraffic *t, TrfBackend *b);

/* traffic_out.c: metrics.csv and summary.json */
void trf_sample(void *ctx, SimEngine *e, SimMetrics *mt);

#endif
