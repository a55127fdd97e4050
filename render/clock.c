/*
 * clock.c: the scenario's wall clock in the outputs. A run whose scenario
 * sets timezone or date carries "timezone", "date" and "clock" {start_unix,
 * utc_offsets} in summary.json and in the trace's header; this file turns a
 * run time (seconds since the start) into the wall time and date there, with
 * the zone's abbreviation, and reads the clock times `replay --at` accepts.
 * Invariant: a run without those keys has no clock (set 0): its pages show
 * run times, as before, and this file is never asked for a wall time.
 */
#include "render/rnd_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY_S INT64_C(86400)

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void add_offset(RndClock *c, const cJSON *o)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t_seconds");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(o, "offset_seconds");
    const cJSON *ab = cJSON_GetObjectItemCaseSensitive(o, "abbrev");
    if (c->n == RND_CLOCK_MAX_OFFSETS || !cJSON_IsNumber(t) || !cJSON_IsNumber(off) || fabs(off->valuedouble) > DAY_S)
        return;
    RndClockOffset *x = &c->offs[c->n++];
    x->t = t->valuedouble;
    x->off = (int32_t)off->valuedouble;
    snprintf(x->abbrev, sizeof x->abbrev, "%s", cJSON_IsString(ab) ? ab->valuestring : "");
}

void rnd_clock_read(RndClock *c, const cJSON *root)
{
    memset(c, 0, sizeof *c);
    const cJSON *tz = cJSON_GetObjectItemCaseSensitive(root, "timezone");
    const cJSON *clk = cJSON_GetObjectItemCaseSensitive(root, "clock");
    const cJSON *su = cJSON_GetObjectItemCaseSensitive(clk, "start_unix");
    if (!cJSON_IsString(tz) || !cJSON_IsNumber(su) || fabs(su->valuedouble) > 1e12)
        return;
    snprintf(c->tz, sizeof c->tz, "%s", tz->valuestring);
    c->start_unix = (int64_t)su->valuedouble;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(clk, "utc_offsets"))
        add_offset(c, o);
    c->set = c->n > 0;
}

/* The offset in force at run time t (the last change at or before it). */
static const RndClockOffset *offset_at(const RndClock *c, double t)
{
    size_t i = 0;
    while (i + 1 < c->n && c->offs[i + 1].t <= t)
        i++;
    return &c->offs[i];
}

int64_t rnd_clock_local(const RndClock *c, double t)
{
    return c->start_unix + (int64_t)floor(t) + offset_at(c, t)->off;
}

const char *rnd_clock_abbrev(const RndClock *c, double t)
{
    return offset_at(c, t)->abbrev;
}

void rnd_clock_fmt(const RndClock *c, double t, int secs, char *buf, size_t n)
{
    int64_t local = rnd_clock_local(c, t), s = local - floor_div(local, DAY_S) * DAY_S;
    if (secs)
        snprintf(buf, n, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    else
        snprintf(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
}

void rnd_clock_date(const RndClock *c, double t, char *buf, size_t n)
{
    int64_t z = floor_div(rnd_clock_local(c, t), DAY_S) + 719468;   /* civil_from_days */
    int64_t era = floor_div(z, 146097), doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    snprintf(buf, n, "%04lld-%02d-%02d", (long long)(yoe + era * 400 + (m <= 2)), m, d);
}

void rnd_clock_label(const RndClock *c, double t, char *buf, size_t n)
{
    char hm[16];
    rnd_clock_fmt(c, t, 0, hm, sizeof hm);
    snprintf(buf, n, "%s %s (%s)", hm, rnd_clock_abbrev(c, t), c->tz);
}

int rnd_clock_at(const RndClock *c, SimTime clock, SimTime *out)
{
    int64_t want = clock / SIM_NS_PER_S;
    for (size_t i = 0; i < c->n; i++) {
        /* Within offset i's stretch, wall time w is at run time w - off - start; the first that fits. */
        int64_t day0 = floor_div(c->start_unix + c->offs[i].off + (int64_t)c->offs[i].t, DAY_S);
        for (int64_t day = day0; day <= day0 + 400; day++) {
            double t = (double)(day * DAY_S + want - c->offs[i].off - c->start_unix);
            if (t < c->offs[i].t)
                continue;
            if (i + 1 < c->n && t >= c->offs[i + 1].t)
                break;
            *out = SIM_SEC((int64_t)t);
            return 1;
        }
    }
    return 0;
}
