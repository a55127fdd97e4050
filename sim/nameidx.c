/*
 * nameidx.c: name -> id for the object kinds a world may hold by the
 * thousand (node groups, workloads), so that adding n objects, each checked
 * for a duplicate name, costs O(n) and not O(n^2): a 20,000-node explain case
 * or an imported cluster of 20,000 workloads builds in milliseconds.
 *
 * Open addressing with linear probing over a power-of-two table at most half
 * full. A slot points at the object's own name string (owned by the object,
 * stable while the engine lives: objects are never renamed or removed), so
 * the index owns nothing but its slots.
 */
#include "sim/sim_int.h"

#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 14695981039346656037u;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

uint32_t sim_nameidx_get(const SimNameIdx *x, const char *name)
{
    if (x->cap == 0)
        return SIM_NONE;
    size_t mask = x->cap - 1;
    for (size_t i = (size_t)hash(name) & mask; x->slot[i].name; i = (i + 1) & mask)
        if (strcmp(x->slot[i].name, name) == 0)
            return x->slot[i].id;
    return SIM_NONE;
}

static void put(SimNameSlot *slot, size_t cap, const char *name, uint32_t id)
{
    size_t i = (size_t)hash(name) & (cap - 1);
    while (slot[i].name)
        i = (i + 1) & (cap - 1);
    slot[i] = (SimNameSlot){name, id};
}

int sim_nameidx_put(SimMem *m, SimNameIdx *x, const char *name, uint32_t id)
{
    if (2 * (x->n + 1) > x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        SimNameSlot *slot = sim_mem_calloc(m, cap, sizeof *slot);
        if (slot == NULL)
            return SIM_ENOMEM;
        for (size_t i = 0; i < x->cap; i++)
            if (x->slot[i].name)
                put(slot, cap, x->slot[i].name, x->slot[i].id);
        sim_mem_free(m, x->slot, x->cap * sizeof *x->slot);
        x->slot = slot;
        x->cap = cap;
    }
    put(x->slot, x->cap, name, id);
    x->n++;
    return SIM_OK;
}

void sim_nameidx_free(SimMem *m, SimNameIdx *x)
{
    sim_mem_free(m, x->slot, x->cap * sizeof *x->slot);
    x->slot = NULL;
    x->cap = 0;
    x->n = 0;
}
