/*
 * api_apps.c: the apps/v1 declarations beyond a plain deployment
 * (k8s-behaviour.md §6):
 *
 *   deployment { ..., image = "api:v1",
 *                strategy = { max_surge = "25%" | 1, max_unavailable = "25%" | 0 },
 *                min_ready = "10s", progress_deadline = "600s" }
 *   rollout { deployment = "quant-api", start = "11:00", image = "api:v2",
 *             cpu = "2", memory = "4Gi", gpu = 0, cpu_limit = ..., memory_limit = ...,
 *             startup = "30s", usage = { cpu = "300m", memory = "1Gi" } }
 *   statefulset { name = "db", namespace, region, replicas = 3, cpu, memory, ...,
 *                 image, min_ready, volume = "10Gi", <pod-template fields> }
 *
 * A rollout changes the named deployment's pod template at `start` (only the
 * fields it gives), which starts a rolling update to a new ReplicaSet. Values
 * are checked as upstream's validation does, with its words where it has
 * them (maxUnavailable "may not be 0 when `maxSurge` is 0").
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"

/* ---- a deployment's rollout fields ------------------------------------------------ */
/* An IntOrString: a whole number >= 0, or "N%" with N a whole number. */
static SimIntOrPct int_or_pct(lua_State *L, const ScnDecl *d, int idx, const char *key, const char *path)
{
    SimIntOrPct v = {0, 0, 0};
    int t = lua_getfield(L, idx, key), isint = 0;
    if (t == LUA_TNUMBER) {
        lua_Integer n = lua_tointegerx(L, -1, &isint);
        if (!isint || n < 0 || n > INT32_MAX)
            scn_field_error(L, d, path, "%s must be a whole number >= 0 or a percentage such as \"25%%\"",
                            lua_tostring(L, -1));
        v = (SimIntOrPct){(int32_t)n, 0, 1};
    } else if (t == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        char *end = NULL;
        long n = strtol(s, &end, 10);
        if (end == s || *s < '0' || *s > '9' || strcmp(end, "%") != 0 || n > 1000000)
            scn_field_error(L, d, path, "\"%s\" is not a whole number or a percentage such as \"25%%\"", s);
        v = (SimIntOrPct){(int32_t)n, 1, 1};
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, path, "expected a number or a percentage such as \"25%%\", got %s",
                        lua_typename(L, t));
    }
    lua_pop(L, 1);
    return v;
}

static int is_zero(SimIntOrPct v)
{
    return v.set && v.value == 0;
}

const char *const scn_keys_deployment_strategy[] = {"max_surge", "max_unavailable", NULL};
/* strategy = { max_surge, max_unavailable } (RollingUpdate). */
static void strategy(lua_State *L, const ScnDecl *d, SimWorkload *w)
{
    const char *const *keys = scn_keys_deployment_strategy;
    int t = scn_field(L, d, "strategy");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        scn_field_error(L, d, "strategy", "expected a table { max_surge = ..., max_unavailable = ... }");
    char what[200];
    snprintf(what, sizeof what, "%s '%s': field 'strategy'", d->what, d->name);
    ScnDecl sub = {what, NULL, lua_gettop(L)};
    scn_check_keys(L, &sub, keys);
    w->max_surge = int_or_pct(L, d, sub.idx, "max_surge", "strategy.max_surge");
    w->max_unavailable = int_or_pct(L, d, sub.idx, "max_unavailable", "strategy.max_unavailable");
    lua_pop(L, 1);
    if (w->max_unavailable.percent && w->max_unavailable.value > 100)
        scn_field_error(L, d, "strategy.max_unavailable", "must not be greater than 100%%");
    if (is_zero(w->max_surge) && is_zero(w->max_unavailable))
        scn_field_error(L, d, "strategy.max_unavailable", "may not be 0 when `max_surge` is 0");
}

/* min_ready (minReadySeconds) and progress_deadline (progressDeadlineSeconds). */
static void readiness(lua_State *L, const ScnDecl *d, SimWorkload *w, int deadline)
{
    w->min_ready = scn_opt_duration(L, d, "min_ready", 0);
    if (w->min_ready < 0)
        scn_field_error(L, d, "min_ready", "must not be negative");
    if (!deadline)
        return;
    w->progress_deadline = scn_opt_duration(L, d, "progress_deadline", SIM_SEC(600));
    if (w->progress_deadline <= w->min_ready)
        scn_field_error(L, d, "progress_deadline", "must be greater than min_ready (minReadySeconds)");
}

static const char *image(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const char *img = scn_opt_string(L, d, "image", NULL);
    if (img && *img == '\0')
        scn_field_error(L, d, "image", "must not be empty");
    return img ? scn_arena_strdup(L, s, img) : NULL;
}

void scn_deployment_apps(lua_State *L, ScnScenario *s, const ScnDecl *d, size_t wl)
{
    SimWorkload *w = &s->workloads.v[wl];
    w->spec.image = image(L, s, d);
    strategy(L, d, w);
    readiness(L, d, w, 1);
}

/* ---- rollout { deployment, start, <template fields> } ----------------------------- */
static SimWorkload *rollout_target(lua_State *L, ScnScenario *s, ScnDecl *d)
{
    d->name = scn_req_string(L, d, "deployment");
    uint32_t i = scn_ref_workload(L, s, d, "deployment", 1u << SIM_WL_DEPLOYMENT, SIM_NONE, "deployment");
    return &s->workloads.v[i];
}

/* A quantity field that stays -1 (unchanged) when absent. */
static int64_t opt_change(lua_State *L, const ScnDecl *d, const char *key, int milli, int *n)
{
    int64_t v = scn_opt_quantity(L, d, key, milli, -1);
    *n += v >= 0;
    return v;
}

const char *const scn_keys_rollout_usage[] = {"cpu", "memory", NULL};
static void rollout_usage(lua_State *L, const ScnDecl *d, SimRollout *r, int *n)
{
    const char *const *keys = scn_keys_rollout_usage;
    int t = scn_field(L, d, "usage");
    if (t != LUA_TNIL && t != LUA_TTABLE)
        scn_field_error(L, d, "usage", "expected a table { cpu = ..., memory = ... }");
    if (t == LUA_TTABLE) {
        char what[200];
        snprintf(what, sizeof what, "%s '%s': field 'usage'", d->what, d->name);
        ScnDecl sub = {what, NULL, lua_gettop(L)};
        scn_check_keys(L, &sub, keys);
        r->usage_cpu_m = opt_change(L, &sub, "cpu", 1, n);
        r->usage_mem = opt_change(L, &sub, "memory", 0, n);
    }
    lua_pop(L, 1);
}

static void rollout_fields(lua_State *L, ScnScenario *s, const ScnDecl *d, SimRollout *r)
{
    int n = 0;
    r->image = image(L, s, d);
    n += r->image != NULL;
    r->cpu_m = opt_change(L, d, "cpu", 1, &n);
    r->mem = opt_change(L, d, "memory", 0, &n);
    r->gpu = scn_opt_int(L, d, "gpu", -1, -1, 64);
    n += r->gpu >= 0;
    r->lim_cpu_m = opt_change(L, d, "cpu_limit", 1, &n);
    r->lim_mem = opt_change(L, d, "memory_limit", 0, &n);
    r->startup = scn_opt_duration(L, d, "startup", -1);
    n += r->startup >= 0;
    r->usage_cpu_m = r->usage_mem = -1;
    rollout_usage(L, d, r, &n);
    if (n == 0)
        luaL_error(L, "rollout '%s': changes nothing: give at least one of image, cpu, memory, gpu, "
                   "cpu_limit, memory_limit, startup, usage", d->name);
}

/* Appends r to the deployment's rollouts (arena memory: the array is copied
 * into a larger one, as the arena never frees). */
static void rollout_append(lua_State *L, ScnScenario *s, SimWorkload *w, const SimRollout *r)
{
    SimRollout *v = scn_arena_alloc(L, s, (w->nrollouts + 1) * sizeof *v);
    if (w->nrollouts)
        memcpy(v, w->rollouts, w->nrollouts * sizeof *v);
    v[w->nrollouts] = *r;
    w->rollouts = v;
    w->nrollouts++;
}

static int l_rollout(lua_State *L)
{
    static const char *const keys[] = {"deployment", "start", "image", "cpu", "memory", "gpu", "cpu_limit",
                                       "memory_limit", "startup", "usage", NULL};
    ScnScenario *s = scn_from_lua(L);
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "rollout: expected a table of fields, e.g. rollout { deployment = \"api\", "
                          "start = \"11:00\", image = \"api:v2\" }");
    ScnDecl d = {"rollout", NULL, 1};
    SimWorkload *w = rollout_target(L, s, &d);
    scn_check_keys(L, &d, keys);
    SimRollout r;
    memset(&r, 0, sizeof r);
    r.at = scn_opt_when(L, s, &d, "start", -1);
    if (r.at < 0)
        scn_field_error(L, &d, "start", "is required (a time of day such as \"11:00\" or a duration from "
                        "the start)");
    rollout_fields(L, s, &d, &r);
    rollout_append(L, s, w, &r);
    return 0;
}

/* ---- statefulset { ... } --------------------------------------------------------------- */
static int l_statefulset(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "replicas", "cpu", "memory", "gpu",
                                       "cpu_limit", "memory_limit", "startup", "priority", "image",
                                       "min_ready", "volume", NULL};
    ScnScenario *s = scn_from_lua(L);
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "statefulset: expected a table of fields, e.g. statefulset { name = \"db\" }");
    ScnDecl d = {"statefulset", NULL, 1};
    const char *why;
    d.name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(d.name, KX_DNS1123_LABEL, &why))   /* its pods' names are hostnames */
        scn_field_error(L, &d, "name", "'%s' is not a valid Kubernetes name: %s", d.name, why);
    scn_check_keys2(L, &d, keys, scn_podspec_keys);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_STATEFULSET;
    scn_workload_common(L, s, &d, w);
    w->replicas = (int32_t)scn_opt_int(L, &d, "replicas", 1, 0, 100000);
    w->spec.image = image(L, s, &d);
    readiness(L, &d, w, 0);
    w->volume = scn_opt_quantity(L, &d, "volume", 0, 0);
    return 0;
}

void scn_api_apps_register(lua_State *L)
{
    static const luaL_Reg fns[] = {{"rollout", l_rollout}, {"statefulset", l_statefulset}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}
