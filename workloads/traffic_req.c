/*
 * traffic_req.c: the requests mode, every request an event. Arrivals of a
 * flow are a Poisson process whose rate is constant within each second (the
 * rate at the second's start); each arrival is routed, queued FCFS at its
 * backend and served by one of ready pods × conc servers for an exponential
 * time of rate mu. A request that waited longer than `timeout` when a server
 * would take it, or at a tick, is an error. All randomness comes from the
 * model's own seeded stream, in event order, so runs are reproducible.
 * Invariant: b->busy counts the slots not on the free chain, and equals the
 * backend's pending completion events.
 */
#include "workloads/traffic_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An exponential gap of the given rate (per second), in whole nanoseconds. */
static SimTime draw(WlTraffic *t, double rate)
{
    double ns = sim_rng_exp(&t->rng, 1.0 / rate) * (double)SIM_NS_PER_S;
    return ns < 4e18 ? (SimTime)llround(ns) : INT64_C(4000000000000000000);
}

static int queue_push(WlTraffic *t, TrfBackend *b, TrfReq r)
{
    if (b->qlen == b->qcap) {
        size_t ncap = b->qcap ? 2 * b->qcap : 64;
        TrfReq *nq = sim_mem_alloc(sim_mem(t->e), ncap * sizeof *nq);
        if (nq == NULL)
            return SIM_ENOMEM;
        for (size_t i = 0; i < b->qlen; i++)
            nq[i] = b->q[(b->qhead + i) % b->qcap];
        sim_mem_free(sim_mem(t->e), b->q, b->qcap * sizeof *b->q);
        b->q = nq;
        b->qhead = 0;
        b->qcap = ncap;
    }
    b->q[(b->qhead + b->qlen) % b->qcap] = r;
    b->qlen++;
    return SIM_OK;
}

static TrfReq queue_pop(TrfBackend *b)
{
    TrfReq r = b->q[b->qhead];
    b->qhead = (b->qhead + 1) % b->qcap;
    b->qlen--;
    return r;
}

/* Doubles the server slots when none is idle; idle slots are chained
 * through their `next` field. */
static int take_slot(WlTraffic *t, TrfBackend *b, uint32_t *slot)
{
    if (b->free_slot == SIM_NONE) {
        size_t n = b->nslot, nn = n ? 2 * n : 16;
        if (nn > 0x3fffffff)
            return sim_fail(t->e, SIM_EINVAL, "too many requests in service");
        TrfSlot *ns = sim_mem_realloc(sim_mem(t->e), b->slot, n * sizeof *ns, nn * sizeof *ns);
        if (ns == NULL)
            return SIM_ENOMEM;
        b->slot = ns;
        for (size_t i = nn; i-- > n;) {
            ns[i].next = b->free_slot;
            b->free_slot = (uint32_t)i;
        }
        b->nslot = nn;
    }
    *slot = b->free_slot;
    b->free_slot = b->slot[*slot].next;
    return SIM_OK;
}

/* Starts waiting requests while the Ready pods have an idle server. */
static void dispatch(WlTraffic *t, uint32_t bi)
{
    TrfBackend *b = &t->b[bi];
    SimTime now = sim_now(t->e);
    uint64_t servers = (uint64_t)trf_ready(t, b) * b->conc;
    while (b->qlen > 0 && b->busy < servers) {
        TrfReq r = queue_pop(b);
        if (now - r.arrived > b->timeout) {
            b->sec_err += 1;
            continue;
        }
        uint32_t slot = 0;
        if (take_slot(t, b, &slot) != SIM_OK)
            return;   /* out of memory: sticky on the engine, the run stops */
        b->slot[slot].r = r;
        b->busy++;
        if (sim_schedule(t->e, now + draw(t, b->mu), t->ev, bi, 0, TRF_AUX(TRF_EV_DONE, slot)) != SIM_OK)
            return;
    }
}

/* Drops the head of the queue while it has waited past the timeout (the
 * queue is FIFO, so the head is the oldest). */
static void expire(WlTraffic *t, TrfBackend *b)
{
    SimTime now = sim_now(t->e);
    while (b->qlen > 0 && now - b->q[b->qhead].arrived > b->timeout) {
        (void)queue_pop(b);
        b->sec_err += 1;
    }
}

static void next_arrival(WlTraffic *t, uint32_t fi)
{
    TrfFlow *f = &t->f[fi];
    SimTime next = sim_now(t->e) + draw(t, f->cur_rate);
    if (next < f->sec_end)
        (void)sim_schedule(t->e, next, t->ev, fi, 0, TRF_AUX(TRF_EV_ARRIVAL, 0));
}

void trf_req_arrival(WlTraffic *t, uint32_t fi)
{
    const TrfFlow *f = &t->f[fi];
    uint32_t fb, to = trf_route(t, f, &fb);
    TrfBackend *b = &t->b[to != SIM_NONE ? to : fb];
    b->sec_req += 1;
    if (to == SIM_NONE)
        b->sec_err += 1;
    else if (queue_push(t, b, (TrfReq){sim_now(t->e), f->site}) == SIM_OK)
        dispatch(t, to);   /* else out of memory: sticky on the engine, the run stops */
    next_arrival(t, fi);
}

void trf_req_done(WlTraffic *t, uint32_t bi, uint32_t slot)
{
    TrfBackend *b = &t->b[bi];
    TrfReq r = b->slot[slot].r;
    b->slot[slot].next = b->free_slot;
    b->free_slot = slot;
    b->busy--;
    double rtt = t->nsites && b->rtt[r.site] > 0 ? b->rtt[r.site] : 0;
    double lat = trf_sec(sim_now(t->e) - r.arrived) + rtt;
    if (b->nsec == b->capsec &&
        sim_mem_grow(sim_mem(t->e), (void **)&b->sec_lat, &b->capsec, b->nsec + 1, sizeof *b->sec_lat))
        return;
    b->sec_lat[b->nsec++] = lat;
    trf_hist_add(&b->run, t->edge, lat, 1);
    trf_hist_add(&b->iv, t->edge, lat, 1);
    trf_slo_add(t, b, lat);
    dispatch(t, bi);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile (pct of 100) of n sorted values: the ceil(pct·n/100)-th. */
static size_t rank(size_t n, size_t pct)
{
    return trf_rank(n, (uint32_t)pct * 1000);
}

/* The second's SLO check against every target (its percentile over every
 * request that ended in it, failed ones infinitely slow); 1 when any missed. */
static int violated(TrfBackend *b, size_t n, size_t pop, double dts)
{
    int any = 0;
    for (size_t i = 0; b->slo_start >= 0 && pop > 0 && i < b->nslo; i++) {
        size_t k = trf_rank(pop, b->slos[i].pct_milli);
        double v = k < n ? b->sec_lat[k] : INFINITY;
        if (v > trf_sec(b->slos[i].target)) {
            b->slos[i].violation_s += dts;
            any = 1;
        }
    }
    return any;
}

/* The closed second's sorted latencies become the last second's (k.latency):
 * the two buffers swap. */
static void keep_second(TrfBackend *b, size_t n)
{
    double *l = b->prev_lat;
    size_t cap = b->capprev;
    b->prev_lat = b->sec_lat;
    b->capprev = b->capsec;
    b->nprev = n;
    b->sec_lat = l;
    b->capsec = cap;
    b->nsec = 0;
}

/* Closes the second [start, start + dts): its percentiles, the SLO check
 * and its per-pod load. */
static void close_second(WlTraffic *t, TrfBackend *b, SimTime start, double dts)
{
    size_t n = b->nsec, pop = n + (size_t)b->sec_err;
    double p[3] = {0, 0, 0};
    if (n > 1)
        qsort(b->sec_lat, n, sizeof *b->sec_lat, cmp_double);
    if (n > 0) {
        p[0] = b->sec_lat[rank(n, 50)];
        p[1] = b->sec_lat[rank(n, 95)];
        p[2] = b->sec_lat[rank(n, 99)];
    }
    memcpy(b->p, p, sizeof p);
    trf_second_done(b, dts, b->sec_req, b->sec_err, (double)n, violated(b, n, pop, dts));
    int32_t ready = trf_ready(t, b);
    trf_load_push(b, start, ready > 0 ? (double)n / dts / ready : 0);
    keep_second(b, n);
    b->sec_req = b->sec_err = 0;
}

int trf_req_tick(WlTraffic *t, SimTime now, SimTime next)
{
    for (uint32_t i = 0; i < t->nb; i++) {
        TrfBackend *b = &t->b[i];
        if (t->sec_start >= 0 && now > t->sec_start)
            close_second(t, b, t->sec_start, trf_sec(now - t->sec_start));
        expire(t, b);
        dispatch(t, i);
    }
    if (now >= sim_end(t->e))
        return SIM_OK;
    t->sec_start = now;
    for (uint32_t i = 0; i < t->nb; i++)   /* the SLO clock, at the start of the second */
        (void)trf_slo_second(t, &t->b[i], now);
    for (uint32_t i = 0; i < t->nf; i++) {
        TrfFlow *f = &t->f[i];
        f->sec_end = next;
        f->cur_rate = wl_traffic_rate(t->c, i, now);
        if (f->cur_rate > 0)
            next_arrival(t, i);
    }
    return SIM_OK;
}

void trf_req_free(WlTraffic *t, TrfBackend *b)
{
    SimMem *m = sim_mem(t->e);
    sim_mem_free(m, b->q, b->qcap * sizeof *b->q);
    sim_mem_free(m, b->slot, b->nslot * sizeof *b->slot);
    sim_mem_free(m, b->sec_lat, b->capsec * sizeof *b->sec_lat);
    sim_mem_free(m, b->prev_lat, b->capprev * sizeof *b->prev_lat);
}
