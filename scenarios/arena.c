/*
 * arena.c: the scenario's arena. Pod specs hold nested arrays (selectors,
 * tolerations, affinity terms) that live exactly as long as the scenario, so
 * they come from blocks freed all at once by scn_free instead of being
 * tracked one by one. Blocks come from the scenario's SimMem.
 */
#include "scenarios/scn_int.h"

#include <string.h>

#define BLOCK 16384

typedef struct ArenaBlock {
    struct ArenaBlock *next;
    size_t size, used;
    max_align_t data[];
} ArenaBlock;

void *scn_arena_alloc(lua_State *L, ScnScenario *s, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    ArenaBlock *b = s->arena;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK ? n : BLOCK;
        b = sim_mem_alloc(s->mem, sizeof *b + size);
        if (b == NULL) {
            s->mem->oom = 0;
            luaL_error(L, "out of memory");
        }
        b->size = size;
        b->used = 0;
        b->next = s->arena;
        s->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *scn_arena_strdup(lua_State *L, ScnScenario *s, const char *str)
{
    size_t n = strlen(str) + 1;
    char *d = scn_arena_alloc(L, s, n);
    memcpy(d, str, n);
    return d;
}

void scn_arena_free(ScnScenario *s)
{
    for (ArenaBlock *b = s->arena, *next; b; b = next) {
        next = b->next;
        sim_mem_free(s->mem, b, sizeof *b + b->size);
    }
    s->arena = NULL;
}
