/*
 * build.c: putting a loaded scenario into an engine, and judging its
 * expectations against the final summary.
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <string.h>

static int build_places(ScnScenario *s, SimEngine *e)
{
    uint32_t id;
    int rc = SIM_OK;
    for (size_t i = 0; rc == SIM_OK && i < s->regions.n; i++)
        rc = sim_region_add(e, s->regions.v[i], &id);
    for (size_t i = 0; rc == SIM_OK && i < s->zones.n; i++)
        rc = sim_zone_add(e, s->zones.v[i].region, s->zones.v[i].name, &id);
    for (size_t i = 0; rc == SIM_OK && i < s->namespaces.n; i++)
        rc = sim_namespace_add(e, s->namespaces.v[i], &id);
    return rc;   /* SIM_ENOMEM stays SIM_ENOMEM */
}

static int build_groups(ScnScenario *s, SimEngine *e)
{
    for (size_t i = 0; i < s->groups.n; i++) {
        uint32_t gid, node;
        int rc = sim_nodegroup_add(e, &s->groups.v[i].g, &gid);
        for (int32_t k = 0; rc == SIM_OK && k < s->groups.v[i].size; k++)
            rc = sim_node_add(e, gid, 1, &node);   /* the starting nodes are Ready at t = 0 */
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

int scn_build(ScnScenario *s, SimEngine *e, WlControllers *wl)
{
    int rc = build_places(s, e);
    if (rc == SIM_OK)
        rc = build_groups(s, e);
    if (rc == SIM_OK)
        rc = scn_policy_build(s, e);   /* cluster set-up: before any pod exists */
    for (size_t i = 0; rc == SIM_OK && i < s->workloads.n; i++) {
        uint32_t id;
        rc = sim_workload_add(e, &s->workloads.v[i], &id);
        if (rc == SIM_OK)
            rc = wl_start(wl, id);
    }
    for (size_t i = 0; rc == SIM_OK && i < s->backtests.n; i++) {
        const ScnBacktest *b = &s->backtests.v[i];
        WlBacktest wb = {(uint32_t)b->workload, s->workloads.v[b->workload].name, b->data, b->params};
        rc = wl_backtest_add(wl, &wb);
    }
    if (rc == SIM_OK)
        rc = scn_queue_build(s, wl);   /* after the workloads: worker Deployments exist */
    if (rc == SIM_OK)
        rc = scn_traffic_build(s, wl);   /* after the workloads: serving Deployments exist */
    if (rc == SIM_OK)
        rc = scn_hpa_build(s, wl);   /* last: the metric sources its first sync reads exist */
    return rc;
}

/* ---- expectations ------------------------------------------------------ */
static void push_json(lua_State *L, const cJSON *j);

static void push_json_container(lua_State *L, const cJSON *j)
{
    lua_createtable(L, 0, 0);
    lua_Integer i = 1;
    for (const cJSON *c = j->child; c; c = c->next) {
        push_json(L, c);
        if (cJSON_IsArray(j))
            lua_rawseti(L, -2, i++);
        else
            lua_setfield(L, -2, c->string);
    }
}

static void push_json(lua_State *L, const cJSON *j)
{
    luaL_checkstack(L, 4, "summary too deep");
    if (cJSON_IsObject(j) || cJSON_IsArray(j))
        push_json_container(L, j);
    else if (cJSON_IsString(j))
        lua_pushstring(L, j->valuestring);
    else if (cJSON_IsBool(j))
        lua_pushboolean(L, cJSON_IsTrue(j));
    else if (cJSON_IsNumber(j))
        lua_pushnumber(L, j->valuedouble);
    else
        lua_pushnil(L);
}

typedef struct ExpectCall {
    const cJSON *summary;
    int ref;
} ExpectCall;

/* Runs protected: calls fn(summary, k) and leaves its two results. */
static int call_expect(lua_State *L)
{
    ExpectCall *c = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    push_json(L, c->summary);
    scn_hooks_push_k(L);
    lua_call(L, 2, 2);
    if (!lua_isnil(L, -1)) {   /* the detail as text here, where running out of memory is caught */
        luaL_tolstring(L, -1, NULL);
        lua_replace(L, -2);
    }
    return 2;
}

static cJSON *expect_result(lua_State *L, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddBoolToObject(o, "passed", lua_toboolean(L, -2));
    const char *detail = lua_isnil(L, -1) ? "" : lua_tostring(L, -1);   /* a string already */
    cJSON_AddStringToObject(o, "detail", detail);
    return o;
}

int scn_expectations(ScnScenario *s, const cJSON *summary, cJSON **out, int *failed)
{
    SimErr *err = &s->err;
    cJSON *arr = cJSON_CreateArray();
    *failed = 0;
    for (size_t i = 0; arr && i < s->expects.n; i++) {
        ExpectCall c = {summary, s->expects.v[i].ref};
        int top = lua_gettop(s->L);
        lua_pushcfunction(s->L, call_expect);
        lua_pushlightuserdata(s->L, &c);
        scn_sandbox_arm(s, s->steps_left ? s->steps_left : 1);
        SimErr why = SIM_ERR_INIT;
        s->hooks.after = 1;   /* k reads the finished run */
        int st = scn_sandbox_call(s, 1, 2, &why);
        s->hooks.after = 0;
        if (st != LUA_OK) {
            cJSON_Delete(arr);
            return sim_err_set(err, scn_sandbox_rc(s, st), "expect '%s': %s", s->expects.v[i].name,
                               sim_err_msg(&why));
        }
        cJSON *r = expect_result(s->L, s->expects.v[i].name);
        *failed += !lua_toboolean(s->L, top + 1);
        lua_settop(s->L, top);
        if (r == NULL || !cJSON_AddItemToArray(arr, r)) {
            cJSON_Delete(r);
            break;
        }
    }
    *out = arr;
    if (arr == NULL)
        sim_err_set(err, SIM_ENOMEM, "out of memory");
    return arr ? SIM_OK : SIM_ENOMEM;
}
