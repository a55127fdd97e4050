/*
 * traffic_fluid.c: one second of the fluid mode. Every flow's rate is routed
 * to a backend; each backend is then either an M/M/c queue in steady state
 * (no backlog and λ < c·μ) or a deterministic fluid queue whose backlog grows
 * at λ − c·μ, capped at c·μ·timeout beyond which arrivals time out.
 * Invariant: requests are conserved within a second: arrivals + backlog
 * before = served + errors + backlog after (the M/M/c regime has no backlog
 * and its late requests are errors).
 */
#include "workloads/traffic_int.h"

#include <math.h>
#include <string.h>

static void route_all(WlTraffic *t, SimTime now)
{
    for (size_t i = 0; i < t->nb; i++) {
        TrfBackend *b = &t->b[i];
        b->lambda = b->noroute = 0;
        if (t->nsites)
            memset(b->site_rate, 0, t->nsites * sizeof *b->site_rate);
    }
    for (uint32_t i = 0; i < t->nf; i++) {
        const TrfFlow *f = &t->f[i];
        double r = wl_traffic_rate(t->c, i, now);
        if (!(r > 0))
            continue;
        uint32_t fb, to = trf_route(t, f, &fb);
        if (to == SIM_NONE) {
            t->b[fb].noroute += r;
            continue;
        }
        t->b[to].lambda += r;
        t->b[to].site_rate[f->site] += r;
    }
}

/* The sites' shares of the traffic routed here; kept from the last second
 * with traffic while a backlog drains without new arrivals. */
static void site_weights(WlTraffic *t, TrfBackend *b)
{
    if (!(b->lambda > 0))
        return;
    for (size_t s = 0; s < t->nsites; s++)
        b->weight[s] = b->site_rate[s] / b->lambda;
}

typedef struct Second {
    double arrivals, served, errors;
    TrfDist d;
} Second;

/* Backlog regime: the queue is a fluid drained at the pods' full capacity. */
static void overloaded(TrfBackend *b, double cap, double dts, Second *s)
{
    double b0 = b->backlog, b1 = b0 + (b->lambda - cap) * dts;
    if (b1 < 0)
        b1 = 0;
    double bmax = cap * trf_sec(b->timeout), drop = b1 > bmax ? b1 - bmax : 0;
    b1 -= drop;
    s->errors += drop;
    s->served = s->arrivals + b0 - b1 - drop;
    if (s->served < 0)
        s->served = 0;
    b->backlog = b1;
    s->d.shift = cap > 0 ? (b0 + b1) / 2 / cap : 0;   /* the mean wait over the second */
    s->d.pw = 0;
}

/* M/M/c steady state: the late tail of the wait becomes errors. */
static void steady(TrfBackend *b, uint32_t servers, Second *s)
{
    double theta = (double)servers * b->mu - b->lambda, load = b->lambda / b->mu;
    if (servers != b->erl_servers || load != b->erl_load) {   /* a steady rate repeats it */
        b->erl_servers = servers;
        b->erl_load = load;
        b->erl_c = wl_erlang_c(servers, load);
    }
    s->d.pw = b->erl_c;
    s->d.theta = theta;
    double late = s->d.pw * exp(-theta * trf_sec(b->timeout));
    s->errors += s->arrivals * late;
    s->served = s->arrivals * (1.0 - late);
}

/* Is the second's pct-th percentile over every request that ended in it
 * (failed ones infinitely slow) over the target? Equivalently, did fewer
 * than pct of them end within it: one CDF evaluation, no percentile search. */
static int missed(const TrfSlo *o, const Second *s)
{
    double pop = s->served + s->errors, p = o->pct_milli / 1e5;
    if (!(pop > 0))
        return 0;
    double e = s->errors / pop;
    if (e >= (100000 - o->pct_milli) / 1e5 || !(s->served > 0))
        return 1;
    return (1.0 - e) * trf_dist_cdf(&s->d, trf_sec(o->target)) < p;
}

/* Counts the second against every target once the SLO clock runs; 1 when
 * any target was missed. */
static int violated(TrfBackend *b, const Second *s, int counts, double dts)
{
    int any = 0;
    for (size_t i = 0; counts && i < b->nslo; i++)
        if (missed(&b->slos[i], s)) {
            b->slos[i].violation_s += dts;
            any = 1;
        }
    return any;
}

/* Spreading a law over the histogram bins is the costly part of a second,
 * and from one second to the next the law barely moves (a daily curve
 * changes λ by parts per million), so the masses last spread are reused
 * while the law is the same to within 0.1 %: same servers and regime, λ
 * within 0.1 % of the slack c·μ − λ that sets the wait's tail, the backlog
 * wait within 0.1 % of itself plus a service time, each site's share
 * within 0.001. */
static int law_current(const WlTraffic *t, const TrfBackend *b, const Second *s, uint32_t servers)
{
    if (b->law_n == 0 || servers != b->key_servers || (s->d.pw > 0) != (b->key_lambda >= 0))
        return 0;
    if (s->d.pw > 0 && fabs(b->lambda - b->key_lambda) > 1e-3 * ((double)servers * b->mu - b->key_lambda))
        return 0;
    if (fabs(s->d.shift - b->key_shift) > 1e-3 * (b->key_shift + 1.0 / b->mu))
        return 0;
    for (size_t i = 0; i < t->nsites; i++)
        if (fabs(b->weight[i] - b->key_w[i]) > 1e-3)
            return 0;
    return 1;
}

/* The histograms a served second goes into: the run's, the interval's and,
 * once the SLO clock runs, the SLO's two. */
static size_t served_hists(TrfBackend *b, TrfHist *h[4])
{
    h[0] = &b->run;
    h[1] = &b->iv;
    return 2 + trf_slo_hists(b, h + 2);
}

static int same_hists(const TrfBackend *b, TrfHist *const *h, size_t nh)
{
    if (nh != b->pend_nh)
        return 0;
    for (size_t k = 0; k < nh; k++)
        if (h[k] != b->pend_h[k])
            return 0;
    return 1;
}

/* A second's served mass is added to the totals at once and to the bins
 * later (trf_law_flush): while the law and the histograms stay the same,
 * seconds accumulate as one mass spread once (a minute's or more of seconds
 * per pass over the bins instead of one each; the bins' sums move in their
 * last bits only). */
static void add_served(WlTraffic *t, TrfBackend *b, const Second *s, uint32_t servers)
{
    TrfHist *h[4];
    size_t nh = served_hists(b, h);
    int current = law_current(t, b, s, servers);
    if (!current || !same_hists(b, h, nh))
        trf_law_flush(b);
    if (!current) {
        trf_law_spread(t->edge, &s->d, b->law, &b->law_j0, &b->law_n);
        b->key_servers = servers;
        b->key_lambda = s->d.pw > 0 ? b->lambda : -1;
        b->key_shift = s->d.shift;
        if (t->nsites)
            memcpy(b->key_w, b->weight, t->nsites * sizeof *b->key_w);
    }
    for (size_t k = 0; k < nh; k++) {
        b->pend_h[k] = h[k];
        h[k]->total += s->served;
    }
    b->pend_nh = nh;
    b->pend_mass += s->served;
}

static void backend_second(WlTraffic *t, TrfBackend *b, SimTime now, double dts)
{
    int32_t ready = trf_ready(t, b);
    uint32_t servers = (uint32_t)ready * b->conc;
    double cap = ready * b->capacity;
    int counts = trf_slo_second(t, b, now);
    Second s = {.arrivals = b->lambda * dts, .errors = b->noroute * dts};
    s.d = (TrfDist){.mu = b->mu, .w = b->weight, .rtt = b->rtt, .nsites = t->nsites};
    site_weights(t, b);
    if (b->backlog > 0 || (b->lambda > 0 && b->lambda >= cap))
        overloaded(b, cap, dts, &s);
    else if (b->lambda > 0)
        steady(b, servers, &s);
    b->last = s.d;
    if (s.served > 0)
        add_served(t, b, &s, servers);
    else
        b->last.mu = 0;   /* nothing served: no latency this second */
    trf_second_done(b, dts, s.arrivals + b->noroute * dts, s.errors, s.served, violated(b, &s, counts, dts));
    trf_load_push(b, now, ready > 0 ? s.served / dts / ready : 0);
}

void trf_fluid_tick(WlTraffic *t, SimTime now, SimTime end)
{
    double dts = trf_sec(end - now);
    if (!(dts > 0))
        return;
    route_all(t, now);
    for (size_t i = 0; i < t->nb; i++)
        backend_second(t, &t->b[i], now, dts);
}
