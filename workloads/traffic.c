/*
 * traffic.c: the serving-traffic model's set-up (sites, latencies, serving
 * Deployments, flows), its rate curves, routing, the per-second tick, region
 * health, the pods' CPU usage for the HPA, and the stats behind summary.json.
 * traffic_fluid.c and traffic_req.c compute a second of each mode,
 * traffic_queue.c the queueing formulas, traffic_out.c the outputs.
 *
 * Invariant: every flow's `order` lists exactly the backends of its service,
 * nearest first (ties by region id), and each of them has a latency from the
 * flow's site; wl_traffic_serve and wl_traffic_flow refuse anything else.
 *
 * Simplifications (README "Fidelity"), for the whole traffic model:
 * - A pod is one or more identical servers (round(capacity × service_time)
 *   of them, each of rate capacity / that) with exponential service times:
 *   the fluid mode is M/M/c with c = servers of the Ready pods; Ready means
 *   Running (no readiness probes).
 * - The fluid mode is evaluated once per simulated second with the rate at
 *   the start of the second and the M/M/c steady state of that second (no
 *   transient), and switches to a deterministic fluid queue while a backlog
 *   exists (λ >= c·μ, or draining after it): the backlog grows at λ − c·μ,
 *   every served request waits backlog / (c·μ), and what would wait longer
 *   than `timeout` (a backlog over c·μ·timeout) becomes errors.
 * - In the M/M/c regime the requests whose wait exceeds `timeout` count as
 *   errors, but they stay in the latency law and do not relieve the queue
 *   (no reneging).
 * - Routing goes to the nearest healthy region with a Ready pod of the
 *   service, re-evaluated every second (fluid) or per request (requests);
 *   there is no load-aware balancing, spill-over or retry. Requests that find
 *   no Ready pod anywhere fail at once, counted on the nearest healthy region
 *   serving the service (else the nearest).
 * - Latency is queueing + service + the site's round trip; region-to-region
 *   latency is not modelled (a site talks to one region).
 * - Requests mode: requests in service finish even if their pod is deleted;
 *   a waiting request times out when a server would take it or at the next
 *   second's tick.
 * - CPU: a pod uses its equal share of the served requests times
 *   cpu_per_request, plus the Deployment's declared usage (an idle
 *   baseline); metrics-server's sample is the average over the 15 s window
 *   ending at the last 15 s scrape. Memory is the declared usage.
 * - A second's p95 for the SLO counts failed requests as infinitely slow
 *   (5 % errors or more is a violation); the latency series and the run's
 *   p95 are of served requests, from histograms with 2 % wide bins. The
 *   fluid mode reuses the last second's histogram masses while its law
 *   moves by less than 0.1 % (λ against the slack c·μ − λ, the backlog
 *   wait, the sites' shares); the per-second SLO check is always exact.
 * - The fluid backlog counts only requests that will be served (at most
 *   c·μ·timeout, excess arrivals fail at once); the requests mode's queue
 *   also holds the requests that will time out in it, as a real one does.
 * - Rates are constant within each second (the rate at its start): the
 *   requests mode draws Poisson arrivals at that rate. The daily factor and
 *   every surge's factor multiply.
 * - One serving Deployment per service and region; the request rate of a
 *   site is the service's arrival rate (no client-side queueing, think time
 *   or retry).
 */
#include "workloads/traffic_int.h"

#include <math.h>
#include <string.h>

#include "workloads/wl_metrics.h"

static void on_event(void *ctx, SimEngine *e, const SimEvent *ev);
static int flow_order(WlTraffic *t, TrfFlow *f);

static WlTraffic *model(WlControllers *c)
{
    if (c->traffic)
        return c->traffic;
    WlTraffic *t = sim_mem_calloc(sim_mem(c->e), 1, sizeof *t);
    if (t == NULL) {
        sim_fail(c->e, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    t->c = c;
    t->e = c->e;
    t->last_sample = -1;
    t->sec_start = -1;
    sim_rng_seed(&t->rng, sim_seed(c->e), TRF_RNG_STREAM);
    trf_hist_init_edges(t->edge);
    if (sim_event_kind(c->e, "traffic", on_event, t, &t->ev) != SIM_OK) {
        sim_mem_free(sim_mem(c->e), t, sizeof *t);
        return NULL;
    }
    c->traffic = t;
    return t;
}

static int oom(WlTraffic *t)
{
    return sim_fail(t->e, SIM_ENOMEM, "out of memory");
}

int wl_traffic_mode(WlControllers *c, WlTrafficMode mode)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return SIM_ENOMEM;
    if (t->nb > 0)
        return sim_fail(c->e, SIM_ESTATE, "the traffic mode is set before the first serving Deployment");
    t->mode = mode;
    return SIM_OK;
}

/* ---- sites and latencies ------------------------------------------------ */
static double rtt_of(const WlTraffic *t, uint32_t site, uint32_t region)
{
    for (size_t i = 0; i < t->nlat; i++)
        if (t->lat[i].site == site && t->lat[i].region == region)
            return trf_sec(t->lat[i].rtt);
    return -1;
}

int wl_traffic_site(WlControllers *c, const char *name, uint32_t *id)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return SIM_ENOMEM;
    if (t->nb > 0)   /* backends size their per-site arrays once */
        return sim_fail(c->e, SIM_ESTATE, "site '%s': sites are added before serving Deployments", name);
    for (size_t i = 0; i < t->nsites; i++)
        if (strcmp(t->sites[i], name) == 0)
            return sim_fail(c->e, SIM_EINVAL, "site '%s' is declared twice", name);
    if (sim_mem_grow(sim_mem(c->e), (void **)&t->sites, &t->capsites, t->nsites + 1, sizeof *t->sites))
        return oom(t);
    if ((t->sites[t->nsites] = sim_mem_strdup(sim_mem(c->e), name)) == NULL)
        return oom(t);
    *id = (uint32_t)t->nsites++;
    return SIM_OK;
}

int wl_traffic_latency(WlControllers *c, uint32_t site, uint32_t region, SimTime rtt)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return SIM_ENOMEM;
    if (site >= t->nsites || region >= sim_region_count(c->e) || rtt < 0)
        return sim_fail(c->e, SIM_EINVAL, "latency: no such site or region, or a negative time");
    size_t i = 0;
    while (i < t->nlat && !(t->lat[i].site == site && t->lat[i].region == region))
        i++;
    if (i == t->nlat) {
        if (sim_mem_grow(sim_mem(c->e), (void **)&t->lat, &t->caplat, t->nlat + 1, sizeof *t->lat))
            return oom(t);
        t->nlat++;
    }
    t->lat[i].site = site;
    t->lat[i].region = region;
    t->lat[i].rtt = rtt;
    for (size_t k = 0; k < t->nb; k++)
        if (t->b[k].region == region)
            t->b[k].rtt[site] = trf_sec(rtt);
    int rc = SIM_OK;
    for (size_t k = 0; rc == SIM_OK && k < t->nf; k++)   /* the nearest region may have changed */
        if (t->f[k].site == site)
            rc = flow_order(t, &t->f[k]);
    return rc;
}

/* ---- services and routing order ----------------------------------------- */
static uint32_t svc_find(const WlTraffic *t, const char *name)
{
    for (size_t i = 0; i < t->nsvc; i++)
        if (strcmp(t->svcs[i], name) == 0)
            return (uint32_t)i;
    return SIM_NONE;
}

static uint32_t svc_add(WlTraffic *t, const char *name)
{
    uint32_t id = svc_find(t, name);
    if (id != SIM_NONE)
        return id;
    char *copy = sim_mem_strdup(sim_mem(t->e), name);
    if (copy == NULL ||
        sim_mem_grow(sim_mem(t->e), (void **)&t->svcs, &t->capsvc, t->nsvc + 1, sizeof *t->svcs)) {
        sim_mem_strfree(sim_mem(t->e), copy);
        return SIM_NONE;
    }
    t->svcs[t->nsvc] = copy;
    return (uint32_t)t->nsvc++;
}

/* Is backend a nearer to the flow's site than b (ties: lower region id)? */
static int nearer(const WlTraffic *t, uint32_t site, uint32_t a, uint32_t b)
{
    double ra = t->b[a].rtt[site], rb = t->b[b].rtt[site];
    return ra < rb || (ra == rb && t->b[a].region < t->b[b].region);
}

/* Rebuilds the flow's backends, nearest first (insertion sort: a handful). */
static int flow_order(WlTraffic *t, TrfFlow *f)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nb; i++)
        n += t->b[i].svc == f->svc;
    uint32_t *o = sim_mem_alloc(sim_mem(t->e), n * sizeof *o);
    if (o == NULL)
        return oom(t);
    size_t k = 0;
    for (uint32_t i = 0; i < t->nb; i++) {
        if (t->b[i].svc != f->svc)
            continue;
        size_t j = k++;
        for (; j > 0 && nearer(t, f->site, i, o[j - 1]); j--)
            o[j] = o[j - 1];
        o[j] = i;
    }
    sim_mem_free(sim_mem(t->e), f->order, f->norder * sizeof *f->order);
    f->order = o;
    f->norder = n;
    return SIM_OK;
}

/* Every backend of svc must be reachable from the site. */
static int check_latency(WlTraffic *t, uint32_t site, uint32_t svc)
{
    for (size_t i = 0; i < t->nb; i++)
        if (t->b[i].svc == svc && t->b[i].rtt[site] < 0)
            return sim_fail(t->e, SIM_EINVAL,
                            "no latency from site '%s' to region '%s', where service '%s' runs",
                            t->sites[site], sim_region(t->e, t->b[i].region)->name, t->svcs[svc]);
    return SIM_OK;
}

/* ---- serving Deployments ----------------------------------------------------- */
static int usage(void *ctx, SimEngine *e, uint32_t pod, WlPodUsage *out);

static int check_serve(WlTraffic *t, uint32_t wl, const WlServe *s, uint32_t svc)
{
    const SimWorkload *w = sim_workload(t->e, wl);
    if (w->kind != SIM_WL_DEPLOYMENT)
        return sim_fail(t->e, SIM_EINVAL, "'%s': only a Deployment serves traffic", w->name);
    if (!(s->capacity > 0) || !(s->cpu_per_request_m >= 0) || s->timeout <= 0 || s->service_time < 0 ||
        s->slo_p95 < 0 || s->nslo > WL_SLO_MAX)
        return sim_fail(t->e, SIM_EINVAL, "'%s': serve needs capacity > 0, timeout > 0 and no negative "
                        "cpu_per_request, service_time or slo_p95", w->name);
    for (size_t i = 0; i < s->nslo; i++)
        if (s->slo[i].pct_milli == 0 || s->slo[i].pct_milli >= 100000 || s->slo[i].target <= 0)
            return sim_fail(t->e, SIM_EINVAL, "'%s': an SLO needs a percentile in (0, 100) and a positive target",
                            w->name);
    for (size_t i = 0; svc != SIM_NONE && i < t->nb; i++)
        if (t->b[i].svc == svc && t->b[i].region == w->region)
            return sim_fail(t->e, SIM_EINVAL, "service '%s' already has a serving Deployment ('%s') in region '%s'",
                            s->service, sim_workload(t->e, t->b[i].wl)->name, sim_region(t->e, w->region)->name);
    for (size_t i = 0; i < t->nb; i++)
        if (t->b[i].wl == wl)
            return sim_fail(t->e, SIM_EINVAL, "'%s' already serves a service", w->name);
    for (size_t i = 0; svc != SIM_NONE && i < t->nf; i++)
        if (t->f[i].svc == svc && rtt_of(t, t->f[i].site, w->region) < 0)
            return sim_fail(t->e, SIM_EINVAL, "no latency from site '%s' to region '%s', where service '%s' runs",
                            t->sites[t->f[i].site], sim_region(t->e, w->region)->name, s->service);
    return SIM_OK;
}

/* A pod serves round(capacity × service_time) requests at once (at least 1);
 * each server's rate keeps the pod's total at exactly `capacity`. */
static void backend_rates(TrfBackend *b, const WlServe *s)
{
    double k = s->service_time > 0 ? round(s->capacity * trf_sec(s->service_time)) : 1;
    b->conc = k < 1 ? 1 : k > 1e6 ? 1000000u : (uint32_t)k;
    b->capacity = s->capacity;
    b->mu = s->capacity / b->conc;
    b->cpu_per_req_m = s->cpu_per_request_m;
    b->timeout = s->timeout;
    b->service_time = s->service_time;
}

static int backend_arrays(WlTraffic *t, TrfBackend *b)
{
    SimMem *m = sim_mem(t->e);
    size_t n = t->nsites;
    b->rtt = n ? sim_mem_alloc(m, n * sizeof *b->rtt) : NULL;
    b->site_rate = n ? sim_mem_calloc(m, n, sizeof *b->site_rate) : NULL;
    b->weight = n ? sim_mem_calloc(m, n, sizeof *b->weight) : NULL;
    b->key_w = n ? sim_mem_calloc(m, n, sizeof *b->key_w) : NULL;
    b->law = t->mode == WL_TRAFFIC_FLUID ? sim_mem_alloc(m, (TRF_NB + 2) * sizeof *b->law) : NULL;
    if ((n && (!b->rtt || !b->site_rate || !b->weight || !b->key_w)) || (t->mode == WL_TRAFFIC_FLUID && !b->law))
        return SIM_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        b->rtt[i] = rtt_of(t, i, b->region);
    return SIM_OK;
}

static void backend_free(WlTraffic *t, TrfBackend *b)
{
    SimMem *m = sim_mem(t->e);
    sim_mem_strfree(m, b->service);
    sim_mem_free(m, b->rtt, t->nsites * sizeof *b->rtt);
    sim_mem_free(m, b->site_rate, t->nsites * sizeof *b->site_rate);
    sim_mem_free(m, b->weight, t->nsites * sizeof *b->weight);
    sim_mem_free(m, b->key_w, t->nsites * sizeof *b->key_w);
    sim_mem_free(m, b->law, (TRF_NB + 2) * sizeof *b->law);
    trf_slo_free(t, b);
    trf_req_free(t, b);
}

int wl_traffic_serve(WlControllers *c, uint32_t wl, const WlServe *s)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return SIM_ENOMEM;
    int rc = check_serve(t, wl, s, svc_find(t, s->service));
    if (rc != SIM_OK)
        return rc;
    uint32_t svc = svc_add(t, s->service);
    if (svc == SIM_NONE || sim_mem_grow(sim_mem(c->e), (void **)&t->b, &t->capb, t->nb + 1, sizeof *t->b))
        return oom(t);
    TrfBackend *b = &t->b[t->nb];
    memset(b, 0, sizeof *b);
    b->svc = svc;
    b->wl = wl;
    b->free_slot = SIM_NONE;
    b->erl_load = -1;          /* no Erlang C and no load average cached yet */
    b->avg_nring = UINT64_MAX;
    b->region = sim_workload(c->e, wl)->region;
    backend_rates(b, s);
    b->service = sim_mem_strdup(sim_mem(c->e), s->service);
    if (b->service == NULL || backend_arrays(t, b) != SIM_OK || trf_slo_init(t, b, s) != SIM_OK) {
        backend_free(t, b);
        return oom(t);
    }
    t->nb++;
    sim_trace_rec(c->e, WL_TR_SERVE, (SimTrVal[]){SIM_TRS(b->service), SIM_TRI(b->region), SIM_TRI(wl),
                                                  SIM_TRI(b->slo / 1000)}, 4);
    for (size_t i = 0; i < t->nf; i++)
        if (t->f[i].svc == svc && (rc = flow_order(t, &t->f[i])) != SIM_OK)
            return rc;
    rc = wl_usage_source(c, wl, usage, t);
    if (rc != SIM_OK || t->ticking)
        return rc;
    t->ticking = 1;   /* from now on, also while no traffic comes: idle pods report idle CPU */
    return sim_schedule(c->e, sim_now(c->e), t->ev, 0, 0, TRF_AUX(TRF_EV_TICK, 0));
}

/* ---- flows and their rate curves ------------------------------------------------ */
static int check_flow(WlTraffic *t, const WlFlow *f, uint32_t svc)
{
    if (f->site >= t->nsites)
        return sim_fail(t->e, SIM_EINVAL, "traffic: no such site");
    if (svc == SIM_NONE)
        return sim_fail(t->e, SIM_EINVAL, "traffic: no Deployment serves '%s'", f->service);
    if (!(f->rate >= 0))
        return sim_fail(t->e, SIM_EINVAL, "traffic: the rate must not be negative");
    for (size_t i = 0; i < f->ndaily; i++)
        if (f->daily[i].clock < 0 || f->daily[i].clock >= SIM_SEC(86400) || !(f->daily[i].factor >= 0) ||
            (i > 0 && f->daily[i].clock <= f->daily[i - 1].clock))
            return sim_fail(t->e, SIM_EINVAL, "traffic: daily point %zu: times must increase within the day "
                            "and factors must not be negative", i + 1);
    if (f->nrec && f->ndaily)
        return sim_fail(t->e, SIM_EINVAL, "traffic: a recorded rate takes no daily curve");
    for (size_t i = 0; i < f->nrec; i++)
        if (!(f->rec_v[i] >= 0) || !isfinite(f->rec_v[i]) || (i > 0 && f->rec_t[i] <= f->rec_t[i - 1]))
            return sim_fail(t->e, SIM_EINVAL, "traffic: recorded sample %zu: times must increase and rates must "
                            "be finite and not negative", i);
    for (size_t i = 0; i < f->nsurges; i++) {
        const WlSurge *s = &f->surges[i];
        if (s->start < 0 || s->ramp < 0 || s->hold < 0 || s->decay < 0 || !(s->factor >= 0))
            return sim_fail(t->e, SIM_EINVAL, "traffic: surge %zu: negative time or factor", i + 1);
    }
    return check_latency(t, f->site, svc);
}

static void *dup_array(WlTraffic *t, const void *src, size_t n, size_t sz)
{
    void *d = n ? sim_mem_alloc(sim_mem(t->e), n * sz) : NULL;
    if (d)
        memcpy(d, src, n * sz);
    return d;
}

static void flow_free(WlTraffic *t, TrfFlow *f)
{
    SimMem *m = sim_mem(t->e);
    sim_mem_free(m, f->daily, f->ndaily * sizeof *f->daily);
    sim_mem_free(m, f->surges, f->nsurges * sizeof *f->surges);
    sim_mem_free(m, f->rec_t, f->nrec * sizeof *f->rec_t);
    sim_mem_free(m, f->rec_v, f->nrec * sizeof *f->rec_v);
    sim_mem_free(m, f->order, f->norder * sizeof *f->order);
}

int wl_traffic_flow(WlControllers *c, const WlFlow *wf)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return SIM_ENOMEM;
    uint32_t svc = svc_find(t, wf->service);
    int rc = check_flow(t, wf, svc);
    if (rc != SIM_OK)
        return rc;
    if (sim_mem_grow(sim_mem(c->e), (void **)&t->f, &t->capf, t->nf + 1, sizeof *t->f))
        return oom(t);
    TrfFlow *f = &t->f[t->nf];
    memset(f, 0, sizeof *f);
    *f = (TrfFlow){.site = wf->site, .svc = svc, .rate = wf->rate, .start_clock = wf->start_clock,
                   .zone = wf->zone, .epoch_unix = wf->epoch_unix, .ndaily = wf->ndaily, .nsurges = wf->nsurges, .factor = 1.0};
    f->daily = dup_array(t, wf->daily, wf->ndaily, sizeof *wf->daily);
    f->surges = dup_array(t, wf->surges, wf->nsurges, sizeof *wf->surges);
    f->nrec = wf->nrec;
    f->rec_t = dup_array(t, wf->rec_t, wf->nrec, sizeof *wf->rec_t);
    f->rec_v = dup_array(t, wf->rec_v, wf->nrec, sizeof *wf->rec_v);
    if ((wf->ndaily && !f->daily) || (wf->nsurges && !f->surges) || (wf->nrec && (!f->rec_t || !f->rec_v)) ||
        flow_order(t, f) != SIM_OK) {
        flow_free(t, f);
        return oom(t);
    }
    t->nf++;
    return SIM_OK;
}

/* The daily factor at a time of day: piecewise linear through the points,
 * wrapping from the last point of the day to the first of the next. */
static double daily_factor(const TrfFlow *f, SimTime clock)
{
    if (f->ndaily == 0)
        return 1.0;
    size_t i = 0;
    while (i < f->ndaily && f->daily[i].clock <= clock)
        i++;
    const WlDailyPoint *a = &f->daily[i == 0 ? f->ndaily - 1 : i - 1];
    const WlDailyPoint *b = &f->daily[i == f->ndaily ? 0 : i];
    SimTime span = b->clock - a->clock, into = clock - a->clock;
    if (span <= 0)
        span += SIM_SEC(86400);
    if (into < 0)
        into += SIM_SEC(86400);
    return a->factor + (b->factor - a->factor) * ((double)into / (double)span);
}

/* The time of day at run time t: the start's plus t, moved by any change of
 * the zone's UTC offset since the start (none without a zone). */
static SimTime wall_clock(const TrfFlow *f, SimTime t)
{
    SimTime c = f->start_clock + t;
    if (f->zone) {
        int64_t u = f->epoch_unix + t / SIM_NS_PER_S;
        c += SIM_SEC(wl_zone_offset(f->zone, u) - wl_zone_offset(f->zone, f->epoch_unix));
        c %= SIM_SEC(86400);
        return c < 0 ? c + SIM_SEC(86400) : c;
    }
    return c % SIM_SEC(86400);
}

static double surge_factor(const WlSurge *s, SimTime t)
{
    SimTime u = t - s->start;
    if (u < 0)
        return 1.0;
    if (u < s->ramp)
        return 1.0 + (s->factor - 1.0) * ((double)u / (double)s->ramp);
    u -= s->ramp;
    if (u < s->hold)
        return s->factor;
    u -= s->hold;
    if (u < s->decay)
        return s->factor + (1.0 - s->factor) * ((double)u / (double)s->decay);
    return 1.0;
}

/* The recorded rate at run time t: linear between the samples around its
 * wall time (in milliseconds, so sub-second steps interpolate too), held
 * at the ends. */
static double recorded_rate(const TrfFlow *f, SimTime t)
{
    int64_t u = f->epoch_unix * 1000 + t / SIM_MS(1);
    size_t lo = 0, hi = f->nrec - 1;
    if (u <= f->rec_t[0])
        return f->rec_v[0];
    if (u >= f->rec_t[hi])
        return f->rec_v[hi];
    while (hi - lo > 1) {   /* rec_t[lo] < u < rec_t[hi] */
        size_t mid = lo + (hi - lo) / 2;
        *(f->rec_t[mid] <= u ? &lo : &hi) = mid;
    }
    double x = (double)(u - f->rec_t[lo]) / (double)(f->rec_t[hi] - f->rec_t[lo]);
    return f->rec_v[lo] + (f->rec_v[hi] - f->rec_v[lo]) * x;
}

static double flow_rate(const TrfFlow *f, SimTime t)
{
    double base = f->nrec ? recorded_rate(f, t) : daily_factor(f, wall_clock(f, t));
    double r = f->rate * f->factor * base;
    for (size_t i = 0; i < f->nsurges; i++)
        r *= surge_factor(&f->surges[i], t);
    return r;
}

int wl_traffic_set_factor(WlControllers *c, const char *service, double factor)
{
    WlTraffic *t = c->traffic;
    uint32_t svc = t ? svc_find(t, service) : SIM_NONE;
    if (svc == SIM_NONE)
        return sim_fail(c->e, SIM_EINVAL, "no traffic goes to service '%s'", service);
    if (!(factor >= 0) || factor > 1e6)
        return sim_fail(c->e, SIM_EINVAL, "traffic factor %g is out of range [0, 1e6]", factor);
    for (size_t i = 0; i < t->nf; i++)
        if (t->f[i].svc == svc)
            t->f[i].factor = factor;
    return SIM_OK;
}

double wl_traffic_rate(WlControllers *c, uint32_t flow, SimTime t)
{
    WlTraffic *tr = c->traffic;
    return tr && flow < tr->nf ? flow_rate(&tr->f[flow], t) : 0.0;
}

int wl_traffic_serving(WlControllers *c, uint32_t wl, WlServe *out)
{
    for (size_t i = 0; c->traffic && i < c->traffic->nb; i++) {
        const TrfBackend *b = &c->traffic->b[i];
        if (b->wl == wl) {
            *out = (WlServe){.service = b->service, .capacity = b->capacity, .cpu_per_request_m = b->cpu_per_req_m,
                             .service_time = b->service_time, .slo_p95 = b->slo, .timeout = b->timeout};
            for (size_t k = 0; k < b->nslo; k++)
                out->slo[out->nslo++] = (WlSlo){b->slos[k].pct_milli, b->slos[k].target};
            out->slo_from_set = b->slo_from >= 0;
            out->slo_from = out->slo_from_set ? b->slo_from : 0;
            return 1;
        }
    }
    return 0;
}

size_t wl_traffic_flow_count(const WlControllers *c)
{
    return c->traffic ? c->traffic->nf : 0;
}

int wl_traffic_flow_get(const WlControllers *c, size_t i, WlFlow *out, const char **site)
{
    const WlTraffic *t = c->traffic;
    if (t == NULL || i >= t->nf)
        return SIM_EINVAL;
    const TrfFlow *f = &t->f[i];
    *out = (WlFlow){f->site,  t->svcs[f->svc], f->rate,    f->start_clock, f->daily,
                    f->ndaily, f->surges,       f->nsurges, f->zone,        f->epoch_unix,
                    f->rec_t,  f->rec_v,        f->nrec};
    *site = t->sites[f->site];
    return SIM_OK;
}

int wl_traffic_rtt(const WlControllers *c, uint32_t site, uint32_t region, SimTime *rtt)
{
    const WlTraffic *t = c->traffic;
    for (size_t i = 0; t && i < t->nlat; i++)
        if (t->lat[i].site == site && t->lat[i].region == region) {
            *rtt = t->lat[i].rtt;
            return 1;
        }
    return 0;
}

/* ---- routing and health -------------------------------------------------- */
int32_t trf_ready(WlTraffic *t, const TrfBackend *b)
{
    return sim_workload(t->e, b->wl)->ready;
}

static int region_down(const WlTraffic *t, uint32_t region)
{
    return region < t->capdown && t->down[region];
}

uint32_t trf_route(WlTraffic *t, const TrfFlow *f, uint32_t *fallback)
{
    *fallback = f->order[0];
    int have_fallback = 0;
    for (size_t i = 0; i < f->norder; i++) {
        const TrfBackend *b = &t->b[f->order[i]];
        if (region_down(t, b->region))
            continue;
        if (!have_fallback) {
            *fallback = f->order[i];
            have_fallback = 1;
        }
        if (trf_ready(t, b) > 0)
            return f->order[i];
    }
    return SIM_NONE;
}

void wl_traffic_region_health(WlControllers *c, uint32_t region, int healthy)
{
    WlTraffic *t = model(c);
    if (t == NULL)
        return;   /* the engine's out-of-memory flag stops the run */
    size_t cap = t->capdown;
    if (region >= cap) {
        if (healthy || sim_mem_grow(sim_mem(c->e), (void **)&t->down, &t->capdown, region + 1, 1) != SIM_OK)
            return;
        memset(t->down + cap, 0, t->capdown - cap);
    }
    t->down[region] = healthy ? 0 : 1;
}

/* ---- the tick ------------------------------------------------------------ */
SimTime trf_tick_end(const WlTraffic *t, SimTime now)
{
    SimTime end = sim_end(t->e);
    return now + TRF_TICK < end ? now + TRF_TICK : end;
}

/* Fluid: a tick at t computes [t, t + 1 s) and the last one starts before
 * the end. Requests: a tick closes the previous second and draws the next
 * one's arrivals; the last one falls on the end, to close the last second. */
static void tick(WlTraffic *t)
{
    SimTime now = sim_now(t->e), end = sim_end(t->e), next = trf_tick_end(t, now);
    if (t->mode == WL_TRAFFIC_FLUID) {
        trf_fluid_tick(t, now, next);
        if (next < end)
            (void)sim_schedule(t->e, next, t->ev, 0, 0, TRF_AUX(TRF_EV_TICK, 0));
        return;
    }
    if (trf_req_tick(t, now, next) == SIM_OK && now < end)
        (void)sim_schedule(t->e, next, t->ev, 0, 0, TRF_AUX(TRF_EV_TICK, 0));
}

static void on_event(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)e;
    switch (TRF_AUX_KIND(ev->aux)) {
    case TRF_EV_TICK: tick(ctx); break;
    case TRF_EV_ARRIVAL: trf_req_arrival(ctx, ev->obj); break;
    case TRF_EV_DONE: trf_req_done(ctx, ev->obj, TRF_AUX_SLOT(ev->aux)); break;
    default: SIM_ASSERT(0 && "unknown traffic event");
    }
}

void trf_second_done(TrfBackend *b, double dts, double requests, double errors, double served, int violated)
{
    b->requests += requests;
    b->errors += errors;
    b->served += served;
    b->iv_requests += requests;
    b->iv_errors += errors;
    b->rate_last = dts > 0 ? requests / dts : 0;
    if (violated)
        b->violation_s += dts;
}

/* ---- CPU usage as metrics-server reports it ------------------------------ */
void trf_load_push(TrfBackend *b, SimTime t, double per_pod)
{
    b->ring[b->nring % TRF_RING] = (TrfLoad){t, per_pod};
    b->nring++;
}

static TrfBackend *backend_of(WlTraffic *t, uint32_t wl)
{
    for (size_t i = 0; i < t->nb; i++)
        if (t->b[i].wl == wl)
            return &t->b[i];
    return NULL;
}

/* The average per-pod load over the whole seconds of [from, to) the ring
 * holds; *covered gets their length. */
static double load_avg(const TrfBackend *b, SimTime from, SimTime to, SimTime *covered)
{
    double sum = 0;
    *covered = 0;
    uint64_t n = b->nring < TRF_RING ? b->nring : TRF_RING;
    for (uint64_t i = 0; i < n; i++) {
        const TrfLoad *l = &b->ring[(b->nring - 1 - i) % TRF_RING];
        if (l->t >= from && l->t + TRF_TICK <= to) {
            sum += l->per_pod;
            *covered += TRF_TICK;
        }
    }
    return *covered ? sum / ((double)*covered / (double)TRF_TICK) : 0;
}

/* load_avg's CPU in millicores (the load times cpu_per_request, rounded),
 * computed once for all the pods that ask for the same window
 * while the ring holds the same seconds (an HPA sync reads every pod). */
static int64_t load_cpu_cached(TrfBackend *b, SimTime from, SimTime to, SimTime *covered)
{
    if (b->avg_nring != b->nring || b->avg_from != from || b->avg_to != to) {
        b->avg = load_avg(b, from, to, &b->avg_covered);
        b->avg_cpu_m = (int64_t)llround(b->avg * b->cpu_per_req_m);
        b->avg_nring = b->nring;
        b->avg_from = from;
        b->avg_to = to;
    }
    *covered = b->avg_covered;
    return b->avg_cpu_m;
}

/* The sample of the last scrape: the average over the 15 s before it, or
 * the part of them the pod ran for (a new pod's first window is short). */
static int usage(void *ctx, SimEngine *e, uint32_t pod, WlPodUsage *out)
{
    WlTraffic *t = ctx;
    const SimPod *p = sim_pod(e, pod);
    TrfBackend *b = backend_of(t, p->wl);
    if (b == NULL || p->phase != SIM_POD_RUNNING)
        return 0;
    SimTime ts = sim_now(e) / TRF_SCRAPE * TRF_SCRAPE, from = ts - TRF_SCRAPE, covered;
    int64_t cpu_m = load_cpu_cached(b, from > p->started_at ? from : p->started_at, ts, &covered);
    if (covered == 0)
        return 0;
    const SimPodSpec *sp = &sim_workload(e, p->wl)->spec;
    out->cpu_m = cpu_m + sp->usage_cpu_m;
    out->mem = sp->usage_mem;
    out->timestamp = ts;
    out->window = covered;
    return 1;
}

/* ---- stats and freeing --------------------------------------------------- */
int wl_traffic_stats(WlControllers *c, const char *service, uint32_t region, WlServiceStats *out)
{
    WlTraffic *t = c->traffic;
    for (size_t i = 0; t && i < t->nb; i++) {
        TrfBackend *b = &t->b[i];
        if (b->region != region || strcmp(b->service, service) != 0)
            continue;
        trf_law_flush(b);
        *out = (WlServiceStats){.rate = b->rate_last, .requests = b->requests, .served = b->served,
                                .errors = b->errors, .p50 = b->p[0], .p95 = b->p[1], .p99 = b->p[2],
                                .violation_seconds = b->violation_s, .ready = trf_ready(t, b)};
        if (t->mode == WL_TRAFFIC_FLUID && b->last.mu > 0) {   /* the fluid law's exact percentiles */
            out->p50 = trf_dist_quantile(&b->last, 0.50);
            out->p95 = trf_dist_quantile(&b->last, 0.95);
            out->p99 = trf_dist_quantile(&b->last, 0.99);
        }
        out->backlog = t->mode == WL_TRAFFIC_FLUID ? b->backlog : (double)b->qlen;
        out->run_p95 = trf_hist_quantile(&b->run, t->edge, 0.95);
        out->slo_start = b->slo_start;
        double p90;
        out->p90 = wl_traffic_percentile(c, service, region, 90000, 1, &p90) ? p90 : 0;
        return 1;
    }
    return 0;
}

/* The last second's percentile: the fluid law's exact one, or the requests
 * served in it (nearest rank). */
static int last_percentile(const WlTraffic *t, const TrfBackend *b, uint32_t pct, double *out)
{
    if (t->mode == WL_TRAFFIC_FLUID) {
        if (!(b->last.mu > 0))
            return 0;
        *out = trf_dist_quantile(&b->last, pct / 1e5);
        return 1;
    }
    if (b->nprev == 0)
        return 0;
    *out = b->prev_lat[trf_rank(b->nprev, pct)];
    return 1;
}

int wl_traffic_percentile(WlControllers *c, const char *service, uint32_t region, uint32_t pct, int last,
                          double *out)
{
    WlTraffic *t = c->traffic;
    for (size_t i = 0; t && i < t->nb; i++) {
        TrfBackend *b = &t->b[i];
        if (b->region != region || strcmp(b->service, service) != 0)
            continue;
        if (last)
            return last_percentile(t, b, pct, out);
        trf_law_flush(b);
        const TrfHist *h = b->since ? b->since : &b->run;   /* no target: no clock, the whole run */
        if (!(h->total > 0))
            return 0;
        *out = trf_hist_quantile(h, t->edge, pct / 1e5);
        return 1;
    }
    return 0;
}

void wl_traffic_free(WlControllers *c)
{
    WlTraffic *t = c->traffic;
    if (t == NULL)
        return;
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < t->nb; i++)
        backend_free(t, &t->b[i]);
    for (size_t i = 0; i < t->nf; i++)
        flow_free(t, &t->f[i]);
    for (size_t i = 0; i < t->nsites; i++)
        sim_mem_strfree(m, t->sites[i]);
    for (size_t i = 0; i < t->nsvc; i++)
        sim_mem_strfree(m, t->svcs[i]);
    sim_mem_free(m, t->b, t->capb * sizeof *t->b);
    sim_mem_free(m, t->f, t->capf * sizeof *t->f);
    sim_mem_free(m, t->sites, t->capsites * sizeof *t->sites);
    sim_mem_free(m, t->svcs, t->capsvc * sizeof *t->svcs);
    sim_mem_free(m, t->lat, t->caplat * sizeof *t->lat);
    sim_mem_free(m, t->down, t->capdown);
    sim_mem_free(m, t, sizeof *t);
    c->traffic = NULL;
}
