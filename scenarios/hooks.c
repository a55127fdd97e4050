/*
 * hooks.c: scenario hooks. `at(time, fn)` calls fn once at that time,
 * `every(period, fn, {start, stop})` every period from start (default t = 0)
 * until stop (excluded). Hooks are declared while the script loads; during a
 * run each call is an event of the hooks' kind, so hooks run in (time, seq) order
 * among the controllers' events and a run stays reproducible. fn receives
 * `k`, a read-only table of functions that read live state and act (scale,
 * log). Every call runs through scn_sandbox_call (a thread of its own, so
 * an error names its file and line) with a fresh instruction budget; the
 * first error is kept here and ends the run (run.c checks after each step).
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/queue.h"
#include "workloads/traffic.h"

/* ---- declarations ---------------------------------------------------------- */
static void check_open(lua_State *L, ScnScenario *s, const char *what)
{
    if (s->hooks.closed)
        luaL_error(L, "%s: hooks are declared at the top level of the script, while it loads", what);
}

/* A time argument through scn_opt_when (clock times relative to
 * scenario.start, as job.start): it reads fields, so the value goes in a
 * one-field table. */
static SimTime when_arg(lua_State *L, ScnScenario *s, int arg, const char *what, const char *key)
{
    int t = lua_type(L, arg);
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
        luaL_error(L, "%s: expected a time such as \"09:30\" or \"90m\", got %s", what, lua_typename(L, t));
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, arg);
    lua_setfield(L, -2, key);
    ScnDecl d = {what, NULL, lua_gettop(L)};
    SimTime v = scn_opt_when(L, s, &d, key, 0);
    lua_pop(L, 1);
    return v;
}

/* Appends a hook calling the function at fnarg; the caller sets its times. */
static ScnHook *hook_new(lua_State *L, ScnScenario *s, int fnarg)
{
    ScnHook *h = scn_arena_alloc(L, s, sizeof *h);
    lua_Debug ar;
    memset(h, 0, sizeof *h);
    h->stop = SIM_TIME_MAX;
    h->line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) ? ar.currentline : 0;
    lua_pushvalue(L, fnarg);
    h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (s->hooks.tail == NULL)
        s->hooks.tail = &s->hooks.head;
    *s->hooks.tail = h;
    s->hooks.tail = &h->next;
    s->hooks.n++;
    return h;
}

static int l_at(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    check_open(L, s, "at");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    SimTime t = when_arg(L, s, 1, "at", "time");
    hook_new(L, s, 2)->at = t;
    return 0;
}

static SimTime period_arg(lua_State *L)
{
    SimTime p = 0;   /* luaL_error does not return; clang cannot tell */
    int t = lua_type(L, 1);
    if ((t != LUA_TSTRING && t != LUA_TNUMBER) || scn_parse_duration(lua_tostring(L, 1), &p) != SIM_OK)
        luaL_error(L, "every: the period must be a duration such as \"5m\", got %s",
                   t == LUA_TSTRING ? lua_tostring(L, 1) : lua_typename(L, t));
    /* Simplification: a period under a second would flood the event queue
     * with Lua calls; nothing in a cluster reacts that fast. */
    if (p < SIM_SEC(1))
        luaL_error(L, "every: the period must be at least 1s");
    return p;
}

static int l_every(lua_State *L)
{
    static const char *const keys[] = {"start", "stop", NULL};
    ScnScenario *s = scn_from_lua(L);
    check_open(L, s, "every");
    SimTime p = period_arg(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    SimTime start = 0, stop = SIM_TIME_MAX;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        ScnDecl d = {"every", NULL, 3};
        scn_check_keys(L, &d, keys);
        start = scn_opt_when(L, s, &d, "start", 0);
        stop = scn_opt_when(L, s, &d, "stop", SIM_TIME_MAX);
        if (stop <= start)
            scn_field_error(L, &d, "stop", "is not after start");
    }
    ScnHook *h = hook_new(L, s, 2);
    h->at = start;
    h->every = p;
    h->stop = stop;
    return 0;
}

void scn_api_hooks_register(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    /* Registered before the script runs: steps_left is still the whole
     * budget, which each hook call gets anew. */
    s->hooks.steps = s->steps_left;
    lua_register(L, "at", l_at);
    lua_register(L, "every", l_every);
}

/* ---- k: what a hook reads and does ------------------------------------------- */
static ScnHooks *live(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    if (s->hooks.e == NULL)
        luaL_error(L, "k is usable only while a hook runs");
    return &s->hooks;
}

/* live, for a function that changes the run: refused in an expectation. */
static ScnHooks *acting(lua_State *L, const char *fn)
{
    ScnHooks *hk = live(L);
    if (hk->after)
        luaL_error(L, "k.%s: an expectation reads the run; it cannot act on it", fn);
    return hk;
}

/* Argument 1 as a workload of kind (SIM_WL_KIND_COUNT: any): "NAME" (the
 * only one of that name) or "NAMESPACE/NAME". */
static const SimWorkload *wl_ref(lua_State *L, ScnHooks *hk, const char *fn, int kind, uint32_t *id)
{
    const char *name = luaL_checkstring(L, 1);
    *id = sim_workload_resolve(hk->e, name, kind, SIM_NONE);
    if (*id == SIM_AMBIGUOUS)
        luaL_error(L, "k.%s: several workloads are named '%s' (in several namespaces or of several kinds): "
                   "write \"NAMESPACE/NAME\"", fn, name);
    const SimWorkload *w = *id == SIM_NONE ? NULL : sim_workload(hk->e, *id);
    if (w == NULL || w->deleted)
        luaL_error(L, "k.%s: no workload named '%s'", fn, name);
    return w;
}

static const SimWorkload *wl_arg(lua_State *L, ScnHooks *hk, const char *fn, uint32_t *id)
{
    return wl_ref(L, hk, fn, SIM_WL_KIND_COUNT, id);
}

static int k_now(lua_State *L)
{
    SimTime t = sim_now(live(L)->e);
    if (t % SIM_NS_PER_S == 0)
        lua_pushinteger(L, t / SIM_NS_PER_S);
    else
        lua_pushnumber(L, (double)t / (double)SIM_NS_PER_S);
    return 1;
}

static int k_replicas(lua_State *L)
{
    uint32_t id;
    lua_pushinteger(L, wl_arg(L, live(L), "replicas", &id)->replicas);
    return 1;
}

static int k_ready(lua_State *L)
{
    uint32_t id;
    lua_pushinteger(L, wl_arg(L, live(L), "ready", &id)->ready);
    return 1;
}

static int k_pending(lua_State *L)
{
    ScnHooks *hk = live(L);
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, sim_stats(hk->e)->pending_now);
        return 1;
    }
    const char *name = luaL_checkstring(L, 1);
    uint32_t r = sim_region_find(hk->e, name);
    if (r == SIM_NONE)
        return luaL_error(L, "k.pending: no region named '%s'", name);
    lua_pushinteger(L, sim_region(hk->e, r)->pods_pending);
    return 1;
}

static int k_nodes(lua_State *L)
{
    ScnHooks *hk = live(L);
    const char *name = luaL_checkstring(L, 1);
    uint32_t g = sim_nodegroup_find(hk->e, name);
    if (g == SIM_NONE)
        return luaL_error(L, "k.nodes: no node group named '%s'", name);
    lua_pushinteger(L, sim_nodegroup(hk->e, g)->live_nodes);
    return 1;
}

/* Read-only: settling the regions' cost here would round the run's final
 * cost differently from a run without hooks. */
static int k_cost(lua_State *L)
{
    ScnHooks *hk = live(L);
    SimTime now = sim_now(hk->e);
    double sum = 0;
    for (uint32_t i = 0; i < sim_region_count(hk->e); i++) {
        const SimRegion *r = sim_region(hk->e, i);
        sum += r->cost_usd + r->cost_rate * (double)(now - r->cost_t) / (double)SIM_NS_PER_S;
    }
    lua_pushnumber(L, sum);
    return 1;
}

static int k_queue_length(lua_State *L)
{
    ScnHooks *hk = live(L);
    const char *name = luaL_checkstring(L, 1);
    uint32_t q = wl_queue_find(hk->wl, name);
    WlQueueStatus st;
    if (q == SIM_NONE || wl_queue_status(hk->wl, q, &st) != SIM_OK)
        return luaL_error(L, "k.queue_length: no queue named '%s'", name);
    lua_pushinteger(L, st.length);
    return 1;
}

static void push_seconds(lua_State *L, SimTime t)
{
    if (t < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (double)t / (double)SIM_NS_PER_S);
}

/* A Job's makespan (its start to its Complete or Failed condition) or a
 * queue's (its first request's arrival to its last one's completion, once
 * every request is done), in seconds; nil until then. */
static int k_makespan(lua_State *L)
{
    ScnHooks *hk = live(L);
    const char *name = luaL_checkstring(L, 1);
    uint32_t q = wl_queue_find(hk->wl, name), id = sim_workload_resolve(hk->e, name, SIM_WL_JOB, SIM_NONE);
    WlQueueDone d;
    if (q != SIM_NONE && wl_queue_completion(hk->wl, q, 95000, &d) == SIM_OK) {
        push_seconds(L, d.all_done ? d.makespan : -1);
        return 1;
    }
    WlJobStatus st;
    if (id == SIM_AMBIGUOUS)
        return luaL_error(L, "k.makespan: several Jobs are named '%s': write \"NAMESPACE/NAME\"", name);
    if (id == SIM_NONE || wl_job_status(hk->wl, id, &st) != SIM_OK)
        return luaL_error(L, "k.makespan: no Job or queue named '%s'", name);
    push_seconds(L, st.start >= 0 && st.finish >= 0 ? st.finish - st.start : -1);
    return 1;
}

/* A percentile (default "p95") of the waits of a queue's completed
 * requests (arrival to the take that completed it), in seconds; nil when
 * none completed. */
static int k_queue_wait(lua_State *L)
{
    ScnHooks *hk = live(L);
    const char *name = luaL_checkstring(L, 1), *pn = luaL_optstring(L, 2, "p95");
    uint32_t pct, q = wl_queue_find(hk->wl, name);
    if (wl_slo_parse_pct(pn, &pct) != SIM_OK)
        return luaL_error(L, "k.queue_wait: '%s' is not a percentile such as \"p95\"", pn);
    WlQueueDone d;
    if (q == SIM_NONE || wl_queue_completion(hk->wl, q, pct, &d) != SIM_OK)
        return luaL_error(L, "k.queue_wait: no queue named '%s'", name);
    push_seconds(L, d.wait);
    return 1;
}

static int k_scale(lua_State *L)
{
    ScnHooks *hk = acting(L, "scale");
    uint32_t id;
    const char *ref = luaL_checkstring(L, 1);
    id = sim_workload_resolve(hk->e, ref, SIM_WL_DEPLOYMENT, SIM_NONE);
    const SimWorkload *w = id != SIM_NONE && id != SIM_AMBIGUOUS ? sim_workload(hk->e, id) : NULL;
    if (w == NULL || w->deleted)   /* none of that name, several, or not a deployment: say which */
        w = wl_arg(L, hk, "scale", &id);
    if (w->kind != SIM_WL_DEPLOYMENT)
        return luaL_error(L, "k.scale: '%s' is not a deployment", w->name);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0 || n > 1000000)
        return luaL_error(L, "k.scale: %I replicas is out of range [0, 1000000]", n);
    if (wl_scale(hk->wl, id, (int32_t)n) != SIM_OK)
        return luaL_error(L, "k.scale: %s", sim_errmsg(hk->e));
    return 0;
}

/* The service's latency percentile (third argument, default "p95") in
 * region, in milliseconds: in a hook over the last simulated second, in an
 * expectation over the run since its SLO clock started; nil when no
 * Deployment serves it there or nothing was served. */
static int k_latency(lua_State *L)
{
    ScnHooks *hk = live(L);
    const char *svc = luaL_checkstring(L, 1), *rn = luaL_checkstring(L, 2);
    const char *pn = luaL_optstring(L, 3, "p95");
    uint32_t pct;
    if (wl_slo_parse_pct(pn, &pct) != SIM_OK)
        return luaL_error(L, "k.latency: '%s' is not a percentile such as \"p99\" or \"p99.9\"", pn);
    uint32_t r = sim_region_find(hk->e, rn);
    if (r == SIM_NONE)
        return luaL_error(L, "k.latency: no region named '%s'", rn);
    double v;
    if (!wl_traffic_percentile(hk->wl, svc, r, pct, !hk->after, &v) || v <= 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, v * 1e3);
    return 1;
}

/* Multiplies the traffic to a service by factor from now on (1 restores it). */
static int k_traffic(lua_State *L)
{
    ScnHooks *hk = acting(L, "traffic");
    const char *svc = luaL_checkstring(L, 1);
    double factor = luaL_checknumber(L, 2);
    if (wl_traffic_set_factor(hk->wl, svc, factor) != SIM_OK)
        return luaL_error(L, "k.traffic: %s", sim_errmsg(hk->e));
    return 0;
}

static int k_log(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    const char *msg = scn_tostring(L, 1, NULL);
    if (s->hooks.quiet)
        return 0;
    SimTime now = sim_now(live(L)->e);
    char clock[48];
    scn_clock_format(s, now, clock, sizeof clock);
    fprintf(stderr, "%s: hook +%llds (%s): %s\n", s->name, (long long)(now / SIM_NS_PER_S), clock, msg);
    return 0;
}

static const luaL_Reg kfns[] = {
    {"now", k_now}, {"replicas", k_replicas}, {"ready", k_ready}, {"pending", k_pending},
    {"nodes", k_nodes}, {"cost", k_cost}, {"queue_length", k_queue_length}, {"scale", k_scale},
    {"log", k_log}, {"fail", scn_k_fail}, {"latency", k_latency}, {"traffic", k_traffic},
    {"submit", scn_k_submit}, {"makespan", k_makespan}, {"queue_wait", k_queue_wait}, {NULL, NULL}};

const char *scn_hook_function_name(size_t i)
{
    return i < sizeof kfns / sizeof kfns[0] ? kfns[i].name : NULL;
}

/* k's __index: its functions, or an error naming the nearest one. */
static int k_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *key = lua_tostring(L, 2), *best = kfns[0].name;
    if (key == NULL)
        return luaL_error(L, "k has no such field");
    for (const luaL_Reg *f = kfns; f->name; f++)
        if (sim_edit_distance(key, f->name) < sim_edit_distance(key, best))
            best = f->name;
    if (sim_edit_distance(key, best) <= 3)
        return luaL_error(L, "k has no function '%s' (did you mean '%s'?)", key, best);
    return luaL_error(L, "k has no function '%s'", key);
}

static int k_newindex(lua_State *L)
{
    return luaL_error(L, "k is read-only");
}

/* Pushes k, built on first use (an empty proxy: hooks cannot change it). */
static void push_k(lua_State *L, ScnHooks *hk)
{
    if (hk->e == NULL) {   /* no run (validate): nothing to read */
        lua_pushnil(L);
        return;
    }
    if (hk->k) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, hk->k);
        return;
    }
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 3);
    lua_createtable(L, 0, (int)(sizeof kfns / sizeof kfns[0] - 1));
    luaL_setfuncs(L, kfns, 0);
    for (const luaL_Reg *f = kfns; f->name; f++) {   /* numbered in a fixed order (order.c) */
        lua_getfield(L, -1, f->name);
        (void)scn_object_number(L, -1);
        lua_pop(L, 1);
    }
    lua_pushcclosure(L, k_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, k_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    hk->k = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---- calls during a run -------------------------------------------------------- */
static ScnHook *hook_get(ScnScenario *s, uint32_t i)
{
    ScnHook *h = s->hooks.head;
    while (i-- > 0 && h)
        h = h->next;
    SIM_ASSERT(h != NULL);
    return h;
}

/* Runs protected: fn(k). */
static int p_call(lua_State *L)
{
    const ScnHook *h = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref);
    push_k(L, &scn_from_lua(L)->hooks);
    lua_call(L, 1, 0);
    return 0;
}

static void call_hook(ScnScenario *s, const ScnHook *h)
{
    lua_State *L = s->L;
    int top = lua_gettop(L);
    uint64_t left = s->steps_left;   /* what the expectations get after the run */
    lua_pushcfunction(L, p_call);
    lua_pushlightuserdata(L, (void *)h);
    scn_sandbox_arm(s, s->hooks.steps);
    SimErr why = SIM_ERR_INIT;
    int st = scn_sandbox_call(s, 1, 0, &why);
    const char *msg = sim_err_msg(&why);
    s->steps_left = left;
    if (st != LUA_OK) {
        if (strchr(msg, ':') == NULL || strcmp(msg, "error object is not a string") == 0)
            snprintf(s->hooks.err, sizeof s->hooks.err, "%.200s:%d: hook: %.200s", s->chunk, h->line, msg);
        else
            snprintf(s->hooks.err, sizeof s->hooks.err, "%s", msg);
    }
    lua_settop(L, top);
}

static void on_hook(void *ctx, SimEngine *e, const SimEvent *ev)
{
    ScnScenario *s = ctx;
    const ScnHook *h = hook_get(s, ev->obj);
    if (s->hooks.err[0])
        return;
    call_hook(s, h);
    if (h->every == 0 || s->hooks.err[0] || h->every > sim_end(e) - ev->t)
        return;
    SimTime next = ev->t + h->every;
    if (next < h->stop)
        (void)sim_schedule(e, next, s->hooks.ev, ev->obj, 0, 0);   /* OOM sticks on the engine */
}

int scn_hooks_start(ScnScenario *s, SimEngine *e, WlControllers *wl)
{
    ScnHooks *hk = &s->hooks;
    hk->closed = 1;
    hk->e = e;
    hk->wl = wl;
    hk->err[0] = '\0';
    if (hk->head == NULL)
        return SIM_OK;
    if (sim_event_kind(e, "hook", on_hook, s, &hk->ev) != SIM_OK)
        return SIM_ESTATE;
    uint32_t i = 0;
    for (const ScnHook *h = hk->head; h; h = h->next, i++)
        if (h->at < h->stop && h->at <= sim_end(e) && sim_schedule(e, h->at, hk->ev, i, 0, 0) != SIM_OK)
            return SIM_ENOMEM;
    return SIM_OK;
}

void scn_hooks_push_k(lua_State *L)
{
    push_k(L, &scn_from_lua(L)->hooks);
}

const char *scn_hooks_error(const ScnScenario *s)
{
    return s->hooks.err[0] ? s->hooks.err : NULL;
}

void scn_hooks_stop(ScnScenario *s)
{
    s->hooks.e = NULL;
    s->hooks.wl = NULL;
    s->hooks.faults = NULL;
}
