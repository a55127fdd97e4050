/*
 * api_names.c: what a scenario declared, counted, and the names of the
 * global functions its script can call. The names come from a fresh sandbox
 * built exactly as scn_load builds one, minus what stock Lua defines, so a
 * function registered anywhere in scenarios/ shows up here (and the docs test
 * catches it when scenarios/README.md lacks it).
 */
#include "scenarios/scn_int.h"

#include <lualib.h>
#include <stdlib.h>
#include <string.h>

size_t scn_region_count(const ScnScenario *s) { return s->regions.n; }
size_t scn_group_count(const ScnScenario *s) { return s->groups.n; }
size_t scn_workload_count(const ScnScenario *s) { return s->workloads.n; }

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when stock Lua (all standard libraries) has a global of that name. */
static int is_stock(lua_State *B, const char *name)
{
    int t = lua_getglobal(B, name);
    lua_pop(B, 1);
    return t != LUA_TNIL;
}

/* Copies name into buf at *used; NULL when it does not fit. */
static const char *keep(char *buf, size_t buflen, size_t *used, const char *name)
{
    size_t n = strlen(name) + 1;
    if (*used + n > buflen)
        return NULL;
    memcpy(buf + *used, name, n);
    *used += n;
    return buf + *used - n;
}

size_t scn_api_names(char *buf, size_t buflen, const char **names, size_t max)
{
    SimMem m;
    sim_mem_init(&m);
    ScnScenario s;
    memset(&s, 0, sizeof s);
    s.mem = &m;
    s.lua_mem = SCN_DEFAULT_LUA_MEM;
    lua_State *L = scn_sandbox_new(&s);
    lua_State *B = luaL_newstate();
    size_t n = 0, used = 0;
    if (L && B) {
        luaL_openlibs(B);
        lua_pushglobaltable(L);
        for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_iscfunction(L, -1) || is_stock(B, lua_tostring(L, -2)))
                continue;
            const char *k = n < max ? keep(buf, buflen, &used, lua_tostring(L, -2)) : NULL;
            if (k)
                names[n++] = k;
        }
    }
    if (L)
        lua_close(L);
    if (B)
        lua_close(B);
    qsort(names, n, sizeof *names, by_name);
    return n;
}
