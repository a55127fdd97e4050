/*
 * api_names.c: what a scenario declared, counted, and the names of the
 * global functions its script can call. The names come from a fresh sandbox
 * built exactly as scn_load builds one, minus what stock Lua defines, so a
 * function registered anywhere in scenarios/ shows up here (and the docs test
 * catches it when scenarios/README.md lacks it).
 */
#include "scenarios/scn_int.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

size_t scn_region_count(const ScnScenario *s) { return s->regions.n; }
size_t scn_group_count(const ScnScenario *s) { return s->groups.n; }

const char *scn_group_unpriced(const ScnScenario *s, size_t i)
{
    return s->groups.v[i].g.price_unknown ? s->groups.v[i].g.name : NULL;
}
size_t scn_workload_count(const ScnScenario *s) { return s->workloads.n; }
const char *scn_group_name(const ScnScenario *s, size_t i) { return s->groups.v[i].g.name; }

const char *scn_workload_name(const ScnScenario *s, size_t i, const char **ns)
{
    const SimWorkload *w = &s->workloads.v[i];
    *ns = w->ns < s->namespaces.n ? s->namespaces.v[w->ns] : "default";
    return w->name;
}

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

/* lua_Alloc over a SimMem. Lua passes a type tag, not a size, as osize
 * when ptr is NULL. */
static void *mem_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    return sim_mem_realloc(ud, ptr, ptr ? osize : 0, nsize);
}

typedef struct Names {
    lua_State *L;          /* the sandbox */
    char *buf;
    size_t buflen, used, max, n;
    const char **names;
} Names;

/* Runs protected in the stock state B: a memory error anywhere (opening
 * B's libraries, interning a name to look it up) unwinds to lua_pcall. */
static int collect(lua_State *B)
{
    Names *x = lua_touserdata(B, 1);
    lua_State *L = x->L;
    luaL_openlibs(B);
    lua_pushglobaltable(L);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_iscfunction(L, -1) || is_stock(B, lua_tostring(L, -2)))
            continue;
        const char *k = x->n < x->max ? keep(x->buf, x->buflen, &x->used, lua_tostring(L, -2)) : NULL;
        if (k)
            x->names[x->n++] = k;
    }
    lua_pop(L, 1);
    return 0;
}

int scn_api_names(SimMem *m, char *buf, size_t buflen, const char **names, size_t max, size_t *n)
{
    ScnScenario s;
    memset(&s, 0, sizeof s);
    s.mem = m;
    s.lua_mem = SCN_DEFAULT_LUA_MEM;
    Names x = {.buf = buf, .buflen = buflen, .max = max, .names = names};
    x.L = scn_sandbox_new(&s);
    lua_State *B = x.L ? lua_newstate(mem_alloc, m) : NULL;
    int rc = SIM_ENOMEM;
    if (B) {
        lua_pushcfunction(B, collect);
        lua_pushlightuserdata(B, &x);
        rc = lua_pcall(B, 1, 0, 0) == LUA_OK ? SIM_OK : SIM_ENOMEM;
    }
    if (x.L)
        lua_close(x.L);
    if (B)
        lua_close(B);
    *n = rc == SIM_OK ? x.n : 0;
    qsort(names, *n, sizeof *names, by_name);
    return rc;
}
