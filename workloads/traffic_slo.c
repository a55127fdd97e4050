/*
 * traffic_slo.c: a serving backend's latency targets (serve.slo_p95 and
 * serve.slo = { p99 = ..., ... }), the SLO clock, and the one- and
 * five-minute windows behind summary.json's worst values.
 *
 * Invariant: nothing counts for an SLO before its clock starts (slo_start
 * >= 0): no violation second, no window, no latency in `since`. The clock
 * starts at the first second the region has a Ready pod of the service, or
 * at serve.slo_from: pods start not Ready, and a warm-up is not a miss.
 * Once started it runs to the end (an outage later is a miss).
 *
 * Windows are whole minutes of run time (the first and last may be partial),
 * and the five-minute window slides by a minute; they hold the served
 * requests' latencies (failures count in violation_seconds, not here).
 */
#include "workloads/traffic_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRF_MINUTE SIM_SEC(60)

/* ---- percentile names ------------------------------------------------------- */
int wl_slo_parse_pct(const char *name, uint32_t *pct_milli)
{
    if (name == NULL || name[0] != 'p' || name[1] < '0' || name[1] > '9')
        return SIM_EINVAL;
    uint64_t whole = 0, frac = 0;
    const char *c = name + 1;
    for (; *c >= '0' && *c <= '9' && whole < 1000; c++)
        whole = whole * 10 + (uint64_t)(*c - '0');
    int digits = 0;
    if (*c == '.') {
        for (c++; *c >= '0' && *c <= '9' && digits < 4; c++, digits++)
            frac = frac * 10 + (uint64_t)(*c - '0');
        if (digits == 0 || digits > 3)
            return SIM_EINVAL;
    }
    if (*c != '\0')
        return SIM_EINVAL;
    for (; digits < 3; digits++)
        frac *= 10;
    uint64_t v = whole * 1000 + frac;
    if (v == 0 || v >= 100000)
        return SIM_EINVAL;
    *pct_milli = (uint32_t)v;
    return SIM_OK;
}

void wl_slo_pct_name(uint32_t pct_milli, char *buf, size_t n)
{
    uint32_t frac = pct_milli % 1000;
    if (frac == 0)
        snprintf(buf, n, "p%u", pct_milli / 1000);
    else if (frac % 100 == 0)
        snprintf(buf, n, "p%u.%u", pct_milli / 1000, frac / 100);
    else if (frac % 10 == 0)
        snprintf(buf, n, "p%u.%02u", pct_milli / 1000, frac / 10);
    else
        snprintf(buf, n, "p%u.%03u", pct_milli / 1000, frac);
}

size_t trf_rank(size_t n, uint32_t pct_milli)
{
    uint64_t k = ((uint64_t)pct_milli * n + 99999) / 100000;   /* ceil(p·n), exactly */
    return k ? (size_t)k - 1 : 0;
}

/* ---- set-up ------------------------------------------------------------------ */
/* Adds or replaces the target at pct, keeping them in percentile order
 * (the order of summary.json's targets[] and metrics.csv's rows). */
static void add_target(TrfBackend *b, uint32_t pct, SimTime target)
{
    size_t i = 0;
    while (i < b->nslo && b->slos[i].pct_milli < pct)
        i++;
    if (i == b->nslo || b->slos[i].pct_milli != pct) {
        if (b->nslo == WL_SLO_MAX)
            return;
        memmove(&b->slos[i + 1], &b->slos[i], (b->nslo - i) * sizeof *b->slos);
        b->nslo++;
    }
    b->slos[i] = (TrfSlo){pct, target, 0, -1, -1};
}

int trf_slo_init(WlTraffic *t, TrfBackend *b, const WlServe *s)
{
    b->nslo = 0;
    if (s->slo_p95 > 0)
        add_target(b, 95000, s->slo_p95);
    for (size_t i = 0; i < s->nslo && i < WL_SLO_MAX; i++)
        add_target(b, s->slo[i].pct_milli, s->slo[i].target);
    b->slo = 0;
    for (size_t i = 0; i < b->nslo; i++)
        if (b->slos[i].pct_milli == 95000)
            b->slo = b->slos[i].target;
    b->slo_from = s->slo_from_set ? s->slo_from : -1;
    b->slo_start = -1;
    b->win_min = -1;
    if (b->nslo == 0)
        return SIM_OK;
    SimMem *m = sim_mem(t->e);
    b->since = sim_mem_calloc(m, 1, sizeof *b->since);
    b->win = sim_mem_calloc(m, TRF_WINDOWS, sizeof *b->win);
    return b->since && b->win ? SIM_OK : SIM_ENOMEM;
}

void trf_slo_free(WlTraffic *t, TrfBackend *b)
{
    SimMem *m = sim_mem(t->e);
    sim_mem_free(m, b->since, sizeof *b->since);
    sim_mem_free(m, b->win, TRF_WINDOWS * sizeof *b->win);
    b->since = b->win = NULL;
}

/* ---- windows ------------------------------------------------------------------ */
static void worse(double *worst, double v)
{
    if (v > *worst)
        *worst = v;
}

void trf_slo_windows(WlTraffic *t, TrfBackend *b)
{
    if (b->win == NULL || b->win_min < 0)
        return;
    trf_law_flush(b);
    TrfHist five;   /* only its bins in [lo, hi) are set */
    trf_hist_sum(&five, b->win, TRF_WINDOWS);
    const TrfHist *cur = &b->win[b->win_min % TRF_WINDOWS];
    for (size_t i = 0; i < b->nslo; i++) {
        double p = b->slos[i].pct_milli / 1e5;
        if (cur->total > 0)
            worse(&b->slos[i].worst1, trf_hist_quantile(cur, t->edge, p));
        if (five.total > 0)
            worse(&b->slos[i].worst5, trf_hist_quantile(&five, t->edge, p));
    }
}

/* Moves the ring to minute m, closing the minutes before it. */
static void roll(WlTraffic *t, TrfBackend *b, int64_t m)
{
    if (b->win == NULL || m == b->win_min)
        return;
    trf_law_flush(b);   /* the minute closing and the one cleared must hold their masses */
    if (b->win_min >= 0)
        trf_slo_windows(t, b);
    int64_t gap = b->win_min < 0 ? TRF_WINDOWS : m - b->win_min;
    for (int64_t k = 0; k < gap && k < TRF_WINDOWS && k <= m; k++)   /* minutes without a second: empty */
        memset(&b->win[(m - k) % TRF_WINDOWS], 0, sizeof *b->win);
    b->win_min = m;
}

int trf_slo_second(WlTraffic *t, TrfBackend *b, SimTime sec)
{
    if (b->nslo == 0)
        return 0;
    if (b->slo_start < 0 && (b->slo_from >= 0 ? sec >= b->slo_from : trf_ready(t, b) > 0))
        b->slo_start = sec;
    if (b->slo_start < 0)
        return 0;
    roll(t, b, sec / TRF_MINUTE);
    return 1;
}

size_t trf_slo_hists(TrfBackend *b, TrfHist *h[2])
{
    if (b->slo_start < 0 || b->since == NULL)
        return 0;
    h[0] = b->since;
    h[1] = &b->win[b->win_min % TRF_WINDOWS];
    return 2;
}

void trf_slo_add(WlTraffic *t, TrfBackend *b, double x)
{
    if (b->slo_start < 0 || b->since == NULL || b->win_min < 0)
        return;
    trf_hist_add(b->since, t->edge, x, 1);
    trf_hist_add(&b->win[b->win_min % TRF_WINDOWS], t->edge, x, 1);
}
