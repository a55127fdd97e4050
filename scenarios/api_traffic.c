/*
 * api_traffic.c: the serving-traffic declarations of a scenario script.
 *
 *   site    { name = "seoul" }                                  -- a place users send requests from
 *   latency { from = "seoul", to = "ap-northeast", ms = 5 }     -- site -> region round trip
 *   deployment { name = "quant-api", ..., serve = { service = "quant-api",
 *       capacity = 200,             -- requests/s one pod serves at 100 % of its CPU request
 *       cpu_per_request = "5m",     -- default: the pod's cpu request / capacity
 *       service_time = "20ms",      -- default 1/capacity; a pod serves capacity × this at once
 *       slo_p95 = "150ms",          -- the p95 target (optional; shorthand for slo = { p95 = ... })
 *       slo = { p99 = "250ms", p99.9 = "1s" },   -- targets at any percentile (optional)
 *       slo_from = "09:30",         -- when the SLO clock starts (default: the first Ready pod)
 *       timeout = "2s" } }          -- a request waiting longer fails (default 30s)
 *   traffic { site = "new-york", service = "quant-api", rate = 800,         -- requests/s
 *             daily = { {"00:00", 0.2}, {"09:30", 1.0}, {"16:00", 0.6} },  -- factor by time of day
 *             surges = { { start = "09:30", ramp = "2m", hold = "30m", decay = "2m", factor = 10 } } }
 *
 * Everything a declaration names must be declared before it: a latency's
 * site and region, a traffic's site and service (a deployment with `serve`),
 * and the latency from a traffic's site to every region running its service,
 * whichever of the traffic and the deployment comes last. Unknown names are
 * refused with the nearest declared one suggested, and every error names the
 * file, line, declaration and field. Declarations live in the scenario's
 * arena; building hands them to the traffic model (workloads/traffic.h) after
 * the workloads exist.
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "workloads/traffic.h"

typedef struct SiteDecl {
    struct SiteDecl *next;
    const char *name;
} SiteDecl;

typedef struct LatDecl {
    struct LatDecl *next;
    uint32_t site, region;
    SimTime rtt;
} LatDecl;

typedef struct ServeDecl {
    struct ServeDecl *next;
    size_t wl;                   /* index of the Deployment in s->workloads */
    uint32_t region;
    WlServe serve;
} ServeDecl;

typedef struct FlowDecl {
    struct FlowDecl *next;
    WlFlow flow;                 /* start_clock is set at build time */
    ScnRecorded rec;             /* traffic { from }: flow.rec_* point into it */
} FlowDecl;

/* Each list with the address of its last next pointer, to append in order. */
struct ScnTraffic {
    SiteDecl *sites, **sites_end;
    size_t nsites;
    LatDecl *lats, **lats_end;
    ServeDecl *serves, **serves_end;
    FlowDecl *flows, **flows_end;
};

#define APPEND(end, node) (*(end) = (node), (end) = &(node)->next)

static struct ScnTraffic *traffic(lua_State *L, ScnScenario *s)
{
    if (s->traffic == NULL) {
        s->traffic = scn_arena_alloc(L, s, sizeof *s->traffic);
        memset(s->traffic, 0, sizeof *s->traffic);
        s->traffic->sites_end = &s->traffic->sites;
        s->traffic->lats_end = &s->traffic->lats;
        s->traffic->serves_end = &s->traffic->serves;
        s->traffic->flows_end = &s->traffic->flows;
    }
    return s->traffic;
}

static ScnDecl open_decl(lua_State *L, const char *what, const char *const *keys)
{
    ScnDecl d = {what, NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s: expected a table of fields, e.g. %s { ... }", what, what);
    scn_check_keys(L, &d, keys);
    return d;
}

/* ---- names: lookups with the nearest declared name suggested -------------- */

/* A name list as the callbacks below walk it. */
typedef const char *(*NameAt)(ScnScenario *s, size_t i);

static const char *site_at(ScnScenario *s, size_t i)
{
    SiteDecl *d = s->traffic ? s->traffic->sites : NULL;
    for (; d && i > 0; i--)
        d = d->next;
    return d ? d->name : NULL;
}

static const char *region_at(ScnScenario *s, size_t i)
{
    return i < s->regions.n ? s->regions.v[i] : NULL;
}

static const char *service_at(ScnScenario *s, size_t i)
{
    ServeDecl *d = s->traffic ? s->traffic->serves : NULL;
    for (; d && i > 0; i--)
        d = d->next;
    return d ? d->serve.service : NULL;
}

/* Index of name in the list (SIM_NONE if absent), and the nearest name. */
static uint32_t lookup(ScnScenario *s, NameAt at, const char *name, const char **near)
{
    size_t best = 99;
    *near = NULL;
    for (size_t i = 0; at(s, i); i++) {
        const char *n = at(s, i);
        if (strcmp(n, name) == 0)
            return (uint32_t)i;
        size_t dist = sim_edit_distance(name, n);
        if (dist < best && dist <= (strlen(name) > 6 ? 3u : 2u)) {
            best = dist;
            *near = n;
        }
    }
    return SIM_NONE;
}

/* Resolves a required reference field, or raises naming the nearest one. */
static uint32_t ref(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, NameAt at, const char *what,
                    const char **name)
{
    const char *near;
    *name = scn_req_string(L, d, key);
    uint32_t id = lookup(s, at, *name, &near);
    if (id == SIM_NONE && near)
        scn_field_error(L, d, key, "no %s named '%s' is declared before this line (did you mean '%s'?)", what,
                        *name, near);
    if (id == SIM_NONE)
        scn_field_error(L, d, key, "no %s named '%s' is declared before this line", what, *name);
    return id;
}

static const LatDecl *find_lat(const struct ScnTraffic *tr, uint32_t site, uint32_t region)
{
    for (const LatDecl *l = tr ? tr->lats : NULL; l; l = l->next)
        if (l->site == site && l->region == region)
            return l;
    return NULL;
}

/* ---- site { name } --------------------------------------------------------- */
static int l_site(lua_State *L)
{
    static const char *const keys[] = {"name", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "site", keys);
    const char *why, *near;
    const char *name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(name, KX_DNS1123_LABEL, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid name: %s", name, why);
    d.name = name;
    if (lookup(s, site_at, name, &near) != SIM_NONE)
        scn_field_error(L, &d, "name", "'%s' is declared twice", name);
    if (scn_find_name(s->regions.v, s->regions.n, name) != SIM_NONE)
        scn_field_error(L, &d, "name", "'%s' is a region; sites and regions need distinct names", name);
    struct ScnTraffic *tr = traffic(L, s);
    SiteDecl *sd = scn_arena_alloc(L, s, sizeof *sd);
    sd->next = NULL;
    sd->name = scn_arena_strdup(L, s, name);
    APPEND(tr->sites_end, sd);
    tr->nsites++;
    return 0;
}

/* ---- latency { from, to, ms } ------------------------------------------------ */
static int l_latency(lua_State *L)
{
    static const char *const keys[] = {"from", "to", "ms", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "latency", keys);
    const char *from = scn_req_string(L, &d, "from"), *to, *near;
    if (lookup(s, site_at, from, &near) == SIM_NONE &&
        scn_find_name(s->regions.v, s->regions.n, from) != SIM_NONE)
        scn_field_error(L, &d, "from", "'%s' is a region; latency is from a user site to a region "
                        "(region-to-region latency is not modelled)", from);
    uint32_t site = ref(L, s, &d, "from", site_at, "site", &from);
    uint32_t region = ref(L, s, &d, "to", region_at, "region", &to);
    lua_pushfstring(L, "%s -> %s", from, to);   /* stays on the stack: the label of later messages */
    d.name = lua_tostring(L, -1);
    if (scn_field(L, &d, "ms") == LUA_TNIL)
        scn_field_error(L, &d, "ms", "is required (the round trip in milliseconds, e.g. 5)");
    lua_pop(L, 1);
    double ms = scn_opt_number(L, &d, "ms", 0, 0, 1e6);
    struct ScnTraffic *tr = traffic(L, s);
    if (find_lat(tr, site, region))
        scn_field_error(L, &d, "to", "the latency from '%s' to '%s' is declared twice", from, to);
    LatDecl *ld = scn_arena_alloc(L, s, sizeof *ld);
    *ld = (LatDecl){NULL, site, region, (SimTime)llround(ms * 1e6)};
    APPEND(tr->lats_end, ld);
    return 0;
}

/* ---- deployment { serve = {...} } -------------------------------------------- */
/* Every traffic already declared for the service must reach the region. */
static void serve_check_flows(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *service,
                              uint32_t region)
{
    for (const FlowDecl *f = s->traffic->flows; f; f = f->next)
        if (strcmp(f->flow.service, service) == 0 && !find_lat(s->traffic, f->flow.site, region))
            scn_field_error(L, d, "service", "traffic from site '%s' to '%s' needs a latency from '%s' to "
                            "region '%s' (declare latency { from = \"%s\", to = \"%s\", ms = ... } before this "
                            "line)", site_at(s, f->flow.site), service, site_at(s, f->flow.site),
                            s->regions.v[region], site_at(s, f->flow.site), s->regions.v[region]);
}

static void serve_unique(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *service, uint32_t region)
{
    for (const ServeDecl *o = s->traffic->serves; o; o = o->next)
        if (o->region == region && strcmp(o->serve.service, service) == 0)
            scn_field_error(L, d, "service", "'%s' already has a serving deployment in region '%s' ('%s')",
                            service, s->regions.v[region], s->workloads.v[o->wl].name);
}

static int by_pct(const void *a, const void *b)
{
    uint32_t x = ((const WlSlo *)a)->pct_milli, y = ((const WlSlo *)b)->pct_milli;
    return (x > y) - (x < y);
}

/* One `pNN = "duration"` of serve.slo; the key and value on the stack top. */
static void slo_target(lua_State *L, const ScnDecl *sub, WlServe *sv)
{
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    uint32_t pct;
    if (key == NULL || wl_slo_parse_pct(key, &pct) != SIM_OK)
        scn_field_error(L, sub, key ? key : "?", "'%s' is not a percentile such as p99 or p99.9 (in (0, 100), "
                        "up to three decimals)", key ? key : luaL_typename(L, -2));
    if (sv->nslo == WL_SLO_MAX)
        scn_field_error(L, sub, key, "at most %d targets", WL_SLO_MAX);
    SimTime target = scn_opt_duration(L, sub, key, 0);
    if (target <= 0)
        scn_field_error(L, sub, key, "the target must be a positive duration such as \"250ms\"");
    sv->slo[sv->nslo++] = (WlSlo){pct, target};
}

/* serve.slo = { p99 = "250ms", p95 = "120ms" }: targets in percentile order
 * (Lua's table order is not the script's). */
static void serve_slo(lua_State *L, const ScnDecl *d, WlServe *sv)
{
    ScnDecl sub;
    char what[240];
    if (!scn_sub_decl(L, d, "slo", &sub, what, sizeof what))
        return;
    lua_pushnil(L);
    while (lua_next(L, sub.idx)) {
        slo_target(L, &sub, sv);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    qsort(sv->slo, sv->nslo, sizeof *sv->slo, by_pct);
    for (size_t i = 0; i < sv->nslo; i++)
        if (sv->slo[i].pct_milli == 95000 && sv->slo_p95 > 0)
            scn_field_error(L, d, "slo", "p95 is set twice: here and in slo_p95");
}

static void serve_fields(lua_State *L, ScnScenario *s, const ScnDecl *d, const SimWorkload *w, WlServe *sv)
{
    if (scn_field(L, d, "capacity") == LUA_TNIL)
        scn_field_error(L, d, "capacity", "is required (requests/s one pod serves at 100%% of its CPU request)");
    lua_pop(L, 1);
    sv->capacity = scn_opt_number(L, d, "capacity", 0, 1e-6, 1e9);
    if (scn_field(L, d, "cpu_per_request") == LUA_TNIL)   /* capacity is at 100 % of the request */
        sv->cpu_per_request_m = (double)w->spec.req.cpu_m / sv->capacity;
    else
        sv->cpu_per_request_m = (double)scn_opt_quantity(L, d, "cpu_per_request", 1, 0);
    lua_pop(L, 1);
    sv->service_time = scn_opt_duration(L, d, "service_time", 0);
    sv->slo_p95 = scn_opt_duration(L, d, "slo_p95", 0);
    serve_slo(L, d, sv);
    sv->slo_from_set = scn_field(L, d, "slo_from") != LUA_TNIL;
    lua_pop(L, 1);
    sv->slo_from = scn_opt_when(L, s, d, "slo_from", 0);
    if (sv->slo_from_set && sv->slo_p95 <= 0 && sv->nslo == 0)
        scn_field_error(L, d, "slo_from", "there is no SLO to start (set slo_p95 or slo)");
    sv->timeout = scn_opt_duration(L, d, "timeout", SIM_SEC(30));
    if (sv->timeout <= 0)
        scn_field_error(L, d, "timeout", "must be positive");
    if (sv->service_time > 0 && sv->capacity * (double)sv->service_time / 1e9 > 1e6)
        scn_field_error(L, d, "service_time", "capacity × service_time is over a million requests at once");
}

const char *const scn_keys_deployment_serve[] = {"service", "capacity", "cpu_per_request", "service_time", "slo_p95",
                                                 "timeout", "slo", "slo_from", NULL};
void scn_traffic_serve(lua_State *L, ScnScenario *s, const ScnDecl *dep, size_t wl)
{
    const char *const *keys = scn_keys_deployment_serve;
    int t = scn_field(L, dep, "serve");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        scn_field_error(L, dep, "serve", "expected a table such as { service = \"api\", capacity = 200 }, got %s",
                        lua_typename(L, t));
    char what[200];
    snprintf(what, sizeof what, "%s '%s': field 'serve'", dep->what, dep->name);
    ScnDecl d = {what, NULL, lua_gettop(L)};
    scn_check_keys(L, &d, keys);
    const char *why, *service = scn_req_string(L, &d, "service");
    if (!kx_name_valid(service, KX_DNS1123_LABEL, &why))
        scn_field_error(L, &d, "service", "'%s' is not a valid Service name: %s", service, why);
    const SimWorkload *w = &s->workloads.v[wl];
    struct ScnTraffic *tr = traffic(L, s);
    serve_unique(L, s, &d, service, w->region);
    serve_check_flows(L, s, &d, service, w->region);
    ServeDecl *sd = scn_arena_alloc(L, s, sizeof *sd);
    memset(sd, 0, sizeof *sd);
    serve_fields(L, s, &d, w, &sd->serve);
    sd->serve.service = scn_arena_strdup(L, s, service);
    sd->wl = wl;
    sd->region = w->region;
    APPEND(tr->serves_end, sd);
    lua_pop(L, 1);
}

/* ---- traffic { site, service, rate, daily, surges } ---------------------------- */
/* The latency from the site to every region already running the service. */
static void flow_check_latency(lua_State *L, ScnScenario *s, const ScnDecl *d, uint32_t site, const char *service)
{
    for (const ServeDecl *o = s->traffic->serves; o; o = o->next)
        if (strcmp(o->serve.service, service) == 0 && !find_lat(s->traffic, site, o->region))
            scn_field_error(L, d, "site", "no latency from '%s' to region '%s', where '%s' runs (declare "
                            "latency { from = \"%s\", to = \"%s\", ms = ... } before this line)",
                            site_at(s, site), s->regions.v[o->region], service, site_at(s, site),
                            s->regions.v[o->region]);
}

/* One {"HH:MM", factor} item of daily; the list is on the stack top. */
static void daily_point(lua_State *L, const ScnDecl *d, lua_Integer i, WlDailyPoint *p, SimTime prev)
{
    if (lua_geti(L, -1, i) != LUA_TTABLE || luaL_len(L, -1) != 2)
        scn_field_error(L, d, "daily", "item %lld: expected {\"HH:MM\", factor}", (long long)i);
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    if (lua_type(L, -2) != LUA_TSTRING || scn_parse_clock(lua_tostring(L, -2), &p->clock) != SIM_OK)
        scn_field_error(L, d, "daily", "item %lld: the first value must be a time of day such as \"09:30\"",
                        (long long)i);
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) || !(lua_tonumber(L, -1) <= 1e6))
        scn_field_error(L, d, "daily", "item %lld: the factor must be a number from 0 to 1e6", (long long)i);
    p->factor = lua_tonumber(L, -1);
    if (i > 1 && p->clock == prev)
        scn_field_error(L, d, "daily", "item %lld: times must increase through the day", (long long)i);
    lua_pop(L, 3);
}

__attribute__((noreturn)) static void daily_overlap(lua_State *L, const ScnDecl *d, size_t i)
{
    scn_field_error(L, d, "daily", "item %lld: times must increase through the day (they may pass midnight "
                    "once, ending before the first point)", (long long)i + 1);
}

/* The points may pass midnight once ({"22:00", 1}, {"02:00", 0.2}, ...): the
 * curve is a day's cycle, so they are rotated to start after midnight. A
 * second wrap, or one that reaches back past the first point, overlaps. */
static void daily_rotate(lua_State *L, const ScnDecl *d, WlDailyPoint *pts, size_t n)
{
    size_t wrap = 0;
    for (size_t i = 1; i < n; i++) {
        if (pts[i].clock > pts[i - 1].clock)
            continue;
        if (wrap)
            daily_overlap(L, d, i);
        wrap = i;
    }
    if (wrap && pts[n - 1].clock >= pts[0].clock)
        daily_overlap(L, d, n - 1);
    for (size_t r = 0; r < wrap; r++) {   /* rotate left by wrap, in place; n is small */
        WlDailyPoint first = pts[0];
        memmove(pts, pts + 1, (n - 1) * sizeof *pts);
        pts[n - 1] = first;
    }
}

static void flow_daily(lua_State *L, ScnScenario *s, const ScnDecl *d, WlFlow *f)
{
    int t = scn_field(L, d, "daily");
    if (t != LUA_TNIL && (t != LUA_TTABLE || luaL_len(L, -1) == 0))
        scn_field_error(L, d, "daily", "expected a list of {\"HH:MM\", factor} points");
    size_t n = t == LUA_TTABLE ? (size_t)luaL_len(L, -1) : 0;
    WlDailyPoint *pts = n ? scn_arena_alloc(L, s, n * sizeof *pts) : NULL;
    for (size_t i = 0; i < n; i++)
        daily_point(L, d, (lua_Integer)i + 1, &pts[i], i ? pts[i - 1].clock : -1);
    daily_rotate(L, d, pts, n);
    lua_pop(L, 1);
    f->daily = pts;
    f->ndaily = n;
}

const char *const scn_keys_traffic_surge[] = {"start", "ramp", "hold", "decay", "factor", NULL};
/* One surge table (on the stack top) as a declaration of its own. */
static void surge(lua_State *L, ScnScenario *s, const ScnDecl *outer, lua_Integer i, WlSurge *sg)
{
    const char *const *keys = scn_keys_traffic_surge;
    char what[200];
    snprintf(what, sizeof what, "%s '%s': field 'surges': item %lld", outer->what, outer->name, (long long)i);
    ScnDecl d = {what, NULL, lua_gettop(L)};
    scn_check_keys(L, &d, keys);
    for (int k = 0; k < 2; k++) {
        const char *key = k == 0 ? "start" : "factor";
        if (scn_field(L, &d, key) == LUA_TNIL)
            scn_field_error(L, &d, key, "is required");
        lua_pop(L, 1);
    }
    sg->start = scn_opt_when(L, s, &d, "start", 0);
    sg->ramp = scn_opt_duration(L, &d, "ramp", 0);
    sg->hold = scn_opt_duration(L, &d, "hold", 0);
    sg->decay = scn_opt_duration(L, &d, "decay", sg->ramp);
    sg->factor = scn_opt_number(L, &d, "factor", 1, 0, 1e6);
}

static void flow_surges(lua_State *L, ScnScenario *s, const ScnDecl *d, WlFlow *f)
{
    int t = scn_field(L, d, "surges");
    if (t != LUA_TNIL && t != LUA_TTABLE)
        scn_field_error(L, d, "surges", "expected a list of { start = ..., ramp = ..., hold = ..., factor = ... }");
    size_t n = t == LUA_TTABLE ? (size_t)luaL_len(L, -1) : 0;
    WlSurge *sg = n ? scn_arena_alloc(L, s, n * sizeof *sg) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE)
            scn_field_error(L, d, "surges", "item %zu: expected a table { start = ..., factor = ... }", i + 1);
        surge(L, s, d, (lua_Integer)i + 1, &sg[i]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    f->surges = sg;
    f->nsurges = n;
}

static int l_traffic(lua_State *L)
{
    static const char *const keys[] = {"site", "service", "rate", "daily", "surges", "from", "series", "factor",
                                       "max_gap", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "traffic", keys);
    const char *site_name, *service;
    uint32_t site = ref(L, s, &d, "site", site_at, "site", &site_name);
    (void)ref(L, s, &d, "service", service_at, "service", &service);   /* a deployment's serve.service */
    lua_pushfstring(L, "%s -> %s", site_name, service);   /* stays on the stack: the label */
    d.name = lua_tostring(L, -1);
    flow_check_latency(L, s, &d, site, service);
    int has_rate = scn_field(L, &d, "rate") != LUA_TNIL, has_from = scn_field(L, &d, "from") != LUA_TNIL;
    lua_pop(L, 2);
    if (!has_rate && !has_from)
        scn_field_error(L, &d, "rate", "is required (requests/s before the daily and surge factors), or 'from' "
                        "(a recorded rate)");
    if (has_rate && has_from)
        scn_field_error(L, &d, "rate", "give one of 'rate' (a typed rate) and 'from' (a recorded one; scale it "
                        "with 'factor')");
    if (has_from && scn_field(L, &d, "daily") != LUA_TNIL)
        scn_field_error(L, &d, "daily", "a recorded rate has its own daily shape; scale it with 'factor' or "
                        "'surges'");
    if (has_from)
        lua_pop(L, 1);
    FlowDecl *fd = scn_arena_alloc(L, s, sizeof *fd);
    memset(fd, 0, sizeof *fd);
    fd->flow.site = site;
    fd->flow.rate = scn_opt_number(L, &d, "rate", 1, 0, 1e9) * scn_opt_number(L, &d, "factor", 1, 0, 1e6);
    fd->flow.service = scn_arena_strdup(L, s, service);
    scn_rates_decl(L, s, &d, &fd->rec);
    fd->flow.rec_t = fd->rec.t;
    fd->flow.rec_v = fd->rec.v;
    fd->flow.nrec = fd->rec.n;
    flow_daily(L, s, &d, &fd->flow);
    flow_surges(L, s, &d, &fd->flow);
    APPEND(s->traffic->flows_end, fd);
    return 0;
}

void scn_api_traffic_register(lua_State *L)
{
    static const luaL_Reg fns[] = {{"site", l_site}, {"latency", l_latency}, {"traffic", l_traffic}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}

size_t scn_traffic_recorded_count(const ScnScenario *s)
{
    size_t n = 0;
    for (const FlowDecl *d = s->traffic ? s->traffic->flows : NULL; d; d = d->next)
        n += d->rec.n > 0;
    return n;
}

int scn_traffic_check(const ScnScenario *s, SimErr *err)
{
    int rc = SIM_OK;
    for (const FlowDecl *d = s->traffic ? s->traffic->flows : NULL; rc == SIM_OK && d; d = d->next)
        rc = scn_rates_check(s, &d->rec, err);
    return rc;
}

/* ---- building ------------------------------------------------------------------- */
int scn_traffic_build(ScnScenario *s, WlControllers *wl)
{
    const struct ScnTraffic *tr = s->traffic;
    if (tr == NULL)
        return SIM_OK;
    int rc = SIM_OK;
    uint32_t id;
    for (const SiteDecl *d = tr->sites; rc == SIM_OK && d; d = d->next)
        rc = wl_traffic_site(wl, d->name, &id);
    for (const LatDecl *d = tr->lats; rc == SIM_OK && d; d = d->next)
        rc = wl_traffic_latency(wl, d->site, d->region, d->rtt);
    for (const ServeDecl *d = tr->serves; rc == SIM_OK && d; d = d->next)
        rc = wl_traffic_serve(wl, (uint32_t)d->wl, &d->serve);
    for (const FlowDecl *d = tr->flows; rc == SIM_OK && d; d = d->next) {
        WlFlow f = d->flow;
        f.start_clock = s->start_clock;   /* scenario { start } may come after the traffic */
        f.zone = scn_clock_zone(s);
        f.epoch_unix = scn_start_unix(s);
        rc = wl_traffic_flow(wl, &f);
    }
    return rc;
}
