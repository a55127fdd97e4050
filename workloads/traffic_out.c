/*
 * traffic_out.c: what the traffic model writes: its metrics.csv series per
 * service and region, and summary.json's slo[]. The series cover the
 * interval since the previous sample (requests, errors and the served
 * requests' latency histogram), so nothing between two samples is lost.
 */
#include "workloads/traffic_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Latencies print in milliseconds rounded to the microsecond. */
static double ms(double seconds)
{
    return round(seconds * 1e6) / 1e3;
}

static const SimTrKindDef trace_kinds[] = {
    {WL_TR_TRAFFIC, "traffic", "siiiii", {"service", "region", "rps_milli", "p95_us", "errors_ppm", "backlog"}},
    {WL_TR_SERVE, "serve", "siii", {"service", "region", "wl", "slo_p95_us"}},
};

int wl_traffic_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, trace_kinds, sizeof trace_kinds / sizeof trace_kinds[0]);
}

/* The same sample in the trace, in integers, so the replay can show load and
 * latency without the scenario (p95 -1 when nothing was served). */
static void trace_sample(WlTraffic *t, const TrfBackend *b, double rps, double p95, double backlog)
{
    double err = b->iv_requests > 0 ? b->iv_errors / b->iv_requests : 0;
    SimTrVal v[] = {SIM_TRS(b->service), SIM_TRI(b->region), SIM_TRI(llround(rps * 1e3)),
                    SIM_TRI(llround(p95 * 1e6)), SIM_TRI(llround(err * 1e6)), SIM_TRI(llround(backlog))};
    sim_trace_rec(t->e, WL_TR_TRAFFIC, v, 6);
}

/* The interval's metrics.csv rows (p95: the interval's, already worked out). */
static void sample_rows(WlTraffic *t, TrfBackend *b, SimMetrics *mt, double rps, double p95, double backlog)
{
    SimTime now = sim_now(t->e);
    const char *rn = sim_region(t->e, b->region)->name;
    sim_metrics_row(mt, now, rn, "service", b->service, "rps", rps);
    static const struct { const char *name; double p; } pct[] = {
        {"latency_p50_ms", 0.50}, {"latency_p95_ms", 0.95}, {"latency_p99_ms", 0.99}};
    for (size_t i = 0; b->iv.total > 0 && i < 3; i++)
        sim_metrics_row(mt, now, rn, "service", b->service, pct[i].name,
                        ms(i == 1 ? p95 : trf_hist_quantile(&b->iv, t->edge, pct[i].p)));   /* 1: p95 */
    if (b->slo > 0)
        sim_metrics_row(mt, now, rn, "service", b->service, "slo_target_ms", ms(trf_sec(b->slo)));
    sim_metrics_row(mt, now, rn, "service", b->service, "error_rate",
                    b->iv_requests > 0 ? b->iv_errors / b->iv_requests : 0);
    sim_metrics_row(mt, now, rn, "service", b->service, "backlog", backlog);
    /* added after the older rows, so that their readers see them unmoved */
    if (b->iv.total > 0)
        sim_metrics_row(mt, now, rn, "service", b->service, "latency_p90_ms",
                        ms(trf_hist_quantile(&b->iv, t->edge, 0.90)));
    for (size_t i = 0; i < b->nslo; i++) {
        char name[48], pn[16];
        wl_slo_pct_name(b->slos[i].pct_milli, pn, sizeof pn);
        snprintf(name, sizeof name, "slo_%s_target_ms", pn);
        sim_metrics_row(mt, now, rn, "service", b->service, name, ms(trf_sec(b->slos[i].target)));
    }
}

static void sample_backend(WlTraffic *t, TrfBackend *b, SimMetrics *mt, double span)
{
    trf_law_flush(b);
    double rps = span > 0 ? b->iv_requests / span : b->rate_last;
    double p95 = b->iv.total > 0 ? trf_hist_quantile(&b->iv, t->edge, 0.95) : -1e-6;
    double backlog = t->mode == WL_TRAFFIC_FLUID ? b->backlog : (double)b->qlen;
    if (sim_metrics_wanted(mt))   /* a sweep's runs: no rows, so no other percentile to work out */
        sample_rows(t, b, mt, rps, p95, backlog);
    trace_sample(t, b, rps, p95, backlog);
    memset(&b->iv, 0, sizeof b->iv);
    b->iv_requests = b->iv_errors = 0;
}

void trf_sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    WlTraffic *t = ctx;
    SimTime now = sim_now(e);
    double span = t->last_sample >= 0 ? trf_sec(now - t->last_sample) : 0;
    for (size_t i = 0; i < t->nb; i++)
        sample_backend(t, &t->b[i], mt, span);
    t->last_sample = now;
}

int wl_traffic_metrics(WlControllers *c, SimMetrics *mt)
{
    WlTraffic *t = c->traffic;
    if (t == NULL || t->nb == 0)
        return SIM_OK;
    if (sim_metrics_add_sampler(mt, trf_sample, t) != SIM_OK)
        return sim_fail(c->e, SIM_ESTATE, "too many metrics samplers");
    return SIM_OK;
}

static int num_or_null(cJSON *o, const char *key, int have, double v)
{
    return (have ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key)) != NULL;
}

/* A histogram's percentile in ms, or null when it holds nothing. */
static int hist_pct(WlTraffic *t, cJSON *o, const char *key, const TrfHist *h, double p)
{
    int have = h && h->total > 0;
    return num_or_null(o, key, have, have ? ms(trf_hist_quantile(h, t->edge, p)) : 0);
}

/* One target: {percentile, target_ms, latency_ms (since the SLO clock
 * started), worst_1m_ms, worst_5m_ms, violation_seconds}. */
static cJSON *target_entry(WlTraffic *t, const TrfBackend *b, const TrfSlo *o)
{
    char pct[16];
    wl_slo_pct_name(o->pct_milli, pct, sizeof pct);
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return NULL;
    int ok = cJSON_AddStringToObject(j, "percentile", pct) != NULL;
    ok &= cJSON_AddNumberToObject(j, "target_ms", ms(trf_sec(o->target))) != NULL;
    ok &= hist_pct(t, j, "latency_ms", b->since, o->pct_milli / 1e5);
    ok &= num_or_null(j, "worst_1m_ms", o->worst1 >= 0, ms(o->worst1));
    ok &= num_or_null(j, "worst_5m_ms", o->worst5 >= 0, ms(o->worst5));
    ok &= cJSON_AddNumberToObject(j, "violation_seconds", o->violation_s) != NULL;
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int add_targets(WlTraffic *t, TrfBackend *b, cJSON *o)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "targets");
    trf_slo_windows(t, b);   /* the last, partial minute */
    for (size_t i = 0; arr && i < b->nslo; i++) {
        cJSON *j = target_entry(t, b, &b->slos[i]);
        if (j == NULL || !cJSON_AddItemToArray(arr, j)) {
            cJSON_Delete(j);
            return 0;
        }
    }
    return arr != NULL;
}

/* One service's slo[] entry; NULL when any cJSON call failed (out of memory). */
static cJSON *slo_entry(WlTraffic *t, TrfBackend *b)
{
    trf_law_flush(b);
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "service", b->service) != NULL;
    ok &= cJSON_AddStringToObject(o, "region", sim_region(t->e, b->region)->name) != NULL;
    ok &= hist_pct(t, o, "latency_p95_ms", &b->run, 0.95);
    ok &= num_or_null(o, "target_ms", b->slo > 0, ms(trf_sec(b->slo)));
    ok &= cJSON_AddNumberToObject(o, "violation_seconds", b->violation_s) != NULL;
    ok &= cJSON_AddNumberToObject(o, "error_rate", b->requests > 0 ? b->errors / b->requests : 0) != NULL;
    static const struct { const char *key; double p; } pct[] = {
        {"latency_p50_ms", 0.50}, {"latency_p90_ms", 0.90}, {"latency_p99_ms", 0.99}};
    for (size_t i = 0; i < 3; i++)
        ok &= hist_pct(t, o, pct[i].key, &b->run, pct[i].p);
    ok &= num_or_null(o, "slo_from_seconds", b->slo_start >= 0, trf_sec(b->slo_start));
    ok &= add_targets(t, b, o);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *wl_traffic_slo(WlControllers *c)
{
    WlTraffic *t = c->traffic;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && t && i < t->nb; i++) {
        cJSON *o = slo_entry(t, &t->b[i]);
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

int wl_slo_summary(void *ctx, SimEngine *e, cJSON *summary)
{
    (void)e;
    return sim_summary_add_item(summary, "slo", wl_traffic_slo(ctx));
}
