/*
 * arena.h: memory that lives exactly as long as its owner (a scenario, an
 * explain case): blocks from a SimMem, freed all at once. Pod specs' nested
 * arrays (selectors, tolerations, affinity terms) come from here instead of
 * being tracked one by one.
 */
#ifndef KUBESIM_SIM_ARENA_H
#define KUBESIM_SIM_ARENA_H

#include "sim/sim.h"

typedef struct SimArena {
    SimMem *mem;
    struct SimArenaBlock *head;
} SimArena;

void sim_arena_init(SimArena *a, SimMem *m);
/* n zeroed bytes, maximally aligned; NULL on out of memory. */
void *sim_arena_alloc(SimArena *a, size_t n);
char *sim_arena_strdup(SimArena *a, const char *s);   /* NULL on out of memory */
void sim_arena_free(SimArena *a);

#endif
