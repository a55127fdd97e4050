/* arena.c: bump allocation in 16 KiB blocks (larger requests get their own). */
#include "sim/arena.h"

#include <stddef.h>
#include <string.h>

#define BLOCK 16384

typedef struct SimArenaBlock {
    struct SimArenaBlock *next;
    size_t size, used;
    max_align_t data[];
} SimArenaBlock;

void sim_arena_init(SimArena *a, SimMem *m)
{
    a->mem = m;
    a->head = NULL;
}

void *sim_arena_alloc(SimArena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    SimArenaBlock *b = a->head;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK ? n : BLOCK;
        if ((b = sim_mem_alloc(a->mem, sizeof *b + size)) == NULL)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *sim_arena_strdup(SimArena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sim_arena_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void sim_arena_free(SimArena *a)
{
    for (SimArenaBlock *b = a->head, *next; b; b = next) {
        next = b->next;
        sim_mem_free(a->mem, b, sizeof *b + b->size);
    }
    a->head = NULL;
}
