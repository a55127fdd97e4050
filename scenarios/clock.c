/*
 * clock.c: the scenario's clock, scenario { timezone, date, start }. Every
 * time of day a scenario writes (start, daily points, surges, faults, hooks,
 * submits) is a wall time in the scenario's zone on its date; run time 0 is
 * scenario.start on that date. Zones are the CronJob code's (workloads/cron.c,
 * /usr/share/zoneinfo), so a daylight-saving day has 23 or 25 hours here as
 * it does for a CronJob.
 * Invariant: with neither timezone nor date set the clock is UTC on Monday
 * 2026-01-05 (WL_DAY0_UNIX) and every answer here is the one the code gave
 * before zones existed, to the nanosecond; nothing extra is written out.
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <string.h>

#define DAY_S INT64_C(86400)
#define DEFAULT_Y 2026
#define DEFAULT_M 1
#define DEFAULT_D 5
#define SCAN_STEP 900   /* seconds between looks for an offset change (none are closer) */

static int leap(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int scn_parse_date(const char *text, int *y, int *m, int *d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int n = 0;
    if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", y, m, d, &n) != 3 || n != 10 || text[4] != '-' ||
        text[7] != '-')
        return SIM_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return SIM_EINVAL;
    if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1] + (*m == 2 && leap(*y)))
        return SIM_EINVAL;
    return SIM_OK;
}

static void clock_date(const ScnScenario *s, int *y, int *m, int *d)
{
    *y = s->clock.date_set ? s->clock.y : DEFAULT_Y;
    *m = s->clock.date_set ? s->clock.m : DEFAULT_M;
    *d = s->clock.date_set ? s->clock.d : DEFAULT_D;
}

int scn_clock_set(const ScnScenario *s)
{
    return s->clock.tz != NULL || s->clock.date_set;
}

/* The Unix time of wall time sec_of_day, `day` days after the date. */
static int64_t wall_unix(const ScnScenario *s, int day, int64_t sec_of_day)
{
    int y, m, d;
    clock_date(s, &y, &m, &d);
    return wl_zone_unix(s->clock.zone, y, m, d + day, (int32_t)sec_of_day);
}

int64_t scn_start_unix(const ScnScenario *s)
{
    return wall_unix(s, 0, s->start_clock / SIM_NS_PER_S);
}

SimTime scn_clock_time(const ScnScenario *s, SimTime clock, int day)
{
    int64_t t0 = scn_start_unix(s), u = wall_unix(s, day, clock / SIM_NS_PER_S);
    if (day == 0 && u < t0)   /* earlier than the start: the next day's */
        u = wall_unix(s, 1, clock / SIM_NS_PER_S);
    return SIM_SEC(u - t0);
}

int scn_clock_day(const ScnScenario *s, int y, int m, int d)
{
    int y0, m0, d0;
    clock_date(s, &y0, &m0, &d0);
    /* Noon UTC of each date, whole days apart whatever the zone. */
    int64_t a = wl_zone_unix(NULL, y0, m0, d0, 43200), b = wl_zone_unix(NULL, y, m, d, 43200);
    return (int)((b - a) / DAY_S);
}

void scn_clock_decl(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const char *tz = scn_opt_string(L, d, "timezone", NULL), *date = scn_opt_string(L, d, "date", NULL);
    if ((tz || date) && s->clock.used)
        scn_field_error(L, d, tz ? "timezone" : "date",
                        "must come before the first time of day it governs (declare scenario {} first)");
    if (date && scn_parse_date(date, &s->clock.y, &s->clock.m, &s->clock.d) != SIM_OK)
        scn_field_error(L, d, "date", "\"%s\" is not a date (YYYY-MM-DD, e.g. \"2026-03-18\")", date);
    s->clock.date_set |= date != NULL;
    if (tz == NULL)
        return;
    SimErr why = SIM_ERR_INIT;
    WlZone *zone = NULL;
    int rc = wl_zone_load(s->mem, tz, &zone, &why);
    if (rc == SIM_ENOMEM)
        luaL_error(L, "out of memory");
    if (rc != SIM_OK)
        scn_field_error(L, d, "timezone", "%.255s", sim_err_msg(&why));
    wl_zone_free(s->mem, s->clock.zone);
    s->clock.zone = zone;
    s->clock.tz = scn_arena_strdup(L, s, tz);
}

void scn_clock_free(ScnScenario *s)
{
    wl_zone_free(s->mem, s->clock.zone);
    s->clock.zone = NULL;
}

const WlZone *scn_clock_zone(const ScnScenario *s)
{
    return s->clock.zone;
}

void scn_clock_format(const ScnScenario *s, SimTime t, char *buf, size_t n)
{
    int64_t u = scn_start_unix(s) + t / SIM_NS_PER_S;
    int64_t local = u + wl_zone_offset(s->clock.zone, u);
    int64_t c = local - (local / DAY_S) * DAY_S;
    if (!scn_clock_set(s)) {   /* as k.log always printed it */
        snprintf(buf, n, "%02d:%02d:%02d", (int)(c / 3600), (int)(c / 60 % 60), (int)(c % 60));
        return;
    }
    snprintf(buf, n, "%02d:%02d:%02d %s", (int)(c / 3600), (int)(c / 60 % 60), (int)(c % 60),
             wl_zone_abbrev(s->clock.zone, u));
}

/* ---- what outputs carry -------------------------------------------------- */
static int add_offset(cJSON *arr, const ScnScenario *s, int64_t t, int64_t u)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || !cJSON_AddItemToArray(arr, o))
        return cJSON_Delete(o), SIM_ENOMEM;
    if (!cJSON_AddNumberToObject(o, "t_seconds", (double)t) ||
        !cJSON_AddNumberToObject(o, "offset_seconds", wl_zone_offset(s->clock.zone, u)) ||
        !cJSON_AddStringToObject(o, "abbrev", wl_zone_abbrev(s->clock.zone, u)))
        return SIM_ENOMEM;
    return SIM_OK;
}

/* The first second after lo (whose offset differs from hi's) that has hi's offset. */
static int64_t change_at(const WlZone *z, int64_t lo, int64_t hi)
{
    int32_t want = wl_zone_offset(z, hi);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (wl_zone_offset(z, mid) == want)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* [{t_seconds, offset_seconds, abbrev}]: the offset at run time 0 and at
 * every change within the run. */
static int offsets_json(const ScnScenario *s, SimTime duration, cJSON *arr)
{
    int64_t t0 = scn_start_unix(s), end = t0 + duration / SIM_NS_PER_S;
    int rc = add_offset(arr, s, 0, t0);
    for (int64_t u = t0; rc == SIM_OK && u < end;) {
        int64_t next = u + SCAN_STEP < end ? u + SCAN_STEP : end;
        if (wl_zone_offset(s->clock.zone, next) != wl_zone_offset(s->clock.zone, u)) {
            int64_t c = change_at(s->clock.zone, u, next);
            rc = add_offset(arr, s, c - t0, c);
        }
        u = next;
    }
    return rc;
}

int scn_clock_json(const ScnScenario *s, SimTime duration, cJSON *o)
{
    int y, m, d;
    char date[32], start[32];
    clock_date(s, &y, &m, &d);
    snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    int64_t c = s->start_clock / SIM_NS_PER_S;
    snprintf(start, sizeof start, "%02d:%02d:%02d", (int)(c / 3600), (int)(c / 60 % 60), (int)(c % 60));
    if (!cJSON_AddStringToObject(o, "timezone", s->clock.tz ? s->clock.tz : "UTC") ||
        !cJSON_AddStringToObject(o, "date", date))
        return SIM_ENOMEM;
    cJSON *clk = cJSON_AddObjectToObject(o, "clock");
    cJSON *offs = clk && cJSON_AddStringToObject(clk, "start", start) &&
                          cJSON_AddNumberToObject(clk, "start_unix", (double)scn_start_unix(s))
                      ? cJSON_AddArrayToObject(clk, "utc_offsets")
                      : NULL;
    return offs ? offsets_json(s, duration, offs) : SIM_ENOMEM;
}
