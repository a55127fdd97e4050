/*
 * sandbox.c: the Lua state a scenario runs in. It opens only base, table,
 * string, math, utf8 and coroutine, then removes what reaches outside
 * (dofile, loadfile, load, require, collectgarbage, string.dump). math.random
 * draws from the run's seeded stream, so a script cannot make a run differ
 * between two executions. Memory is capped in the allocator and VM
 * instructions are budgeted by a count hook; both end the script with a clear
 * error instead of hanging or exhausting the host.
 */
#include "scenarios/scn_int.h"

#include <lualib.h>
#include <stdio.h>
#include <string.h>

#define HOOK_EVERY 10000

/* Lua's allocator, through the scenario's SimMem, refusing growth past the cap. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ScnScenario *s = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr)
            sim_mem_free(s->mem, ptr, osize);
        s->lua_used -= old;
        return NULL;
    }
    s->lua_cap_hit = nsize > old && s->lua_used + (nsize - old) > s->lua_mem;
    if (s->lua_cap_hit)
        return NULL;
    void *q = sim_mem_realloc(s->mem, ptr, old, nsize);
    if (q)
        s->lua_used = s->lua_used - old + nsize;
    else
        s->mem->oom = 0;   /* Lua reports and unwinds this itself */
    return q;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    ScnScenario *s = scn_from_lua(L);
    if (s->steps_left <= HOOK_EVERY) {
        /* Inside a hook, level 0 is the running Lua function (luaL_error
         * would name its caller), so the position is built here. */
        lua_Debug d;
        s->steps_left = 0;
        if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
            lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
        else
            lua_pushstring(L, "");
        lua_pushstring(L, "instruction budget exceeded (raise it with --lua-steps)");
        lua_concat(L, 2);
        lua_error(L);
    }
    s->steps_left -= HOOK_EVERY;
}

void scn_sandbox_arm(ScnScenario *s, uint64_t steps)
{
    s->steps_left = steps;
    lua_sethook(s->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

/* math.random as Lua 5.4 defines it, drawn from the run's seeded stream. */
static int l_random(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    lua_Integer lo = 1, hi;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, sim_rng_unit(&s->rng));
        return 1;
    case 1:
        hi = luaL_checkinteger(L, 1);
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'random'");
    }
    luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t r = span == UINT64_MAX ? sim_rng_u64(&s->rng) : sim_rng_below(&s->rng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + r));
    return 1;
}

static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    fputs("scenario:", stderr);
    for (int i = 1; i <= n; i++)
        fprintf(stderr, " %s", luaL_tolstring(L, i, NULL));
    fputc('\n', stderr);
    return 0;
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base}, {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
}

static void remove_escapes(lua_State *L)
{
    static const char *const base[] = {"dofile", "loadfile", "load", "require", "collectgarbage", NULL};
    for (size_t i = 0; base[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, base[i]);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
}

static int l_setup(lua_State *L)
{
    open_libs(L);
    remove_escapes(L);
    scn_api_register(L);
    return 0;
}

lua_State *scn_sandbox_new(ScnScenario *s)
{
    lua_State *L = lua_newstate(l_alloc, s);
    if (L == NULL)
        return NULL;
    /* The scenario pointer sits in the state's extra space for the C API. */
    memcpy(lua_getextraspace(L), &s, sizeof s);
    lua_pushcfunction(L, l_setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    return L;
}

ScnScenario *scn_from_lua(lua_State *L)
{
    ScnScenario *s;
    memcpy(&s, lua_getextraspace(L), sizeof s);
    return s;
}

void scn_error_message(ScnScenario *s, int status, char *err, size_t errlen)
{
    if (status == LUA_ERRMEM && !s->lua_cap_hit) {
        snprintf(err, errlen, "%s: out of memory", s->chunk);
        return;
    }
    if (status == LUA_ERRMEM) {
        snprintf(err, errlen, "%s: the script exceeded its memory limit of %zu MiB (raise it with --lua-mem)",
                 s->chunk, s->lua_mem >> 20);
        return;
    }
    const char *msg = lua_tostring(s->L, -1);
    snprintf(err, errlen, "%s", msg ? msg : "error object is not a string");
    lua_pop(s->L, 1);
}
