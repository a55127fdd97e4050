/*
 * arena.c: the scenario's arena (sim/arena.h), raising a Lua error instead
 * of returning NULL so declarations can allocate without checking.
 */
#include "scenarios/scn_int.h"

void *scn_arena_alloc(lua_State *L, ScnScenario *s, size_t n)
{
    void *p = sim_arena_alloc(&s->arena, n);
    if (p == NULL) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    return p;
}

char *scn_arena_strdup(lua_State *L, ScnScenario *s, const char *str)
{
    char *d = sim_arena_strdup(&s->arena, str);
    if (d == NULL) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    return d;
}

void scn_arena_free(ScnScenario *s)
{
    sim_arena_free(&s->arena);
}
