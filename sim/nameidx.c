/*
 * nameidx.c: name -> id for the object kinds a world may hold by the
 * thousand (node groups, workloads), so that adding n objects, each checked
 * for a duplicate name, costs O(n) and not O(n^2): a 20,000-node explain case
 * or an imported cluster of 20,000 workloads builds in milliseconds.
 *
 * Open addressing with linear probing over a power-of-two table at most half
 * full. A slot points at the object's own name string (owned by the object,
 * stable while the engine lives: objects are never renamed or removed), so
 * the index owns nothing but its slots. A name lives in a scope (a
 * workload's namespace and kind; 0 for node groups), so one name may be in
 * the index once per scope, as Kubernetes keeps names unique per namespace
 * and kind.
 */
#include "sim/sim_int.h"

#include <string.h>

static uint64_t hash(uint32_t scope, const char *s)
{
    uint64_t h = (14695981039346656037u ^ scope) * 1099511628211u;   /* FNV-1a, the scope first */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static SimNameSlot *find(const SimNameIdx *x, uint32_t scope, const char *name)
{
    if (x->cap == 0)
        return NULL;
    size_t mask = x->cap - 1;
    for (size_t i = (size_t)hash(scope, name) & mask; x->slot[i].name; i = (i + 1) & mask)
        if (x->slot[i].scope == scope && strcmp(x->slot[i].name, name) == 0)
            return &x->slot[i];
    return NULL;
}

uint32_t sim_nameidx_get(const SimNameIdx *x, uint32_t scope, const char *name)
{
    const SimNameSlot *sl = find(x, scope, name);
    return sl ? sl->id : SIM_NONE;
}

void sim_nameidx_set(SimNameIdx *x, uint32_t scope, const char *name, uint32_t id)
{
    SimNameSlot *sl = find(x, scope, name);
    SIM_ASSERT(sl != NULL);
    sl->id = id;
}

static void put(SimNameSlot *slot, size_t cap, const char *name, uint32_t scope, uint32_t id)
{
    size_t i = (size_t)hash(scope, name) & (cap - 1);
    while (slot[i].name)
        i = (i + 1) & (cap - 1);
    slot[i] = (SimNameSlot){name, scope, id};
}

int sim_nameidx_reserve(SimMem *m, SimNameIdx *x, size_t more)
{
    if (2 * (x->n + more) <= x->cap)
        return SIM_OK;
    size_t cap = x->cap ? 2 * x->cap : 16;
    while (2 * (x->n + more) > cap)
        cap *= 2;
    SimNameSlot *slot = sim_mem_calloc(m, cap, sizeof *slot);
    if (slot == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < x->cap; i++)
        if (x->slot[i].name)
            put(slot, cap, x->slot[i].name, x->slot[i].scope, x->slot[i].id);
    sim_mem_free(m, x->slot, x->cap * sizeof *x->slot);
    x->slot = slot;
    x->cap = cap;
    return SIM_OK;
}

int sim_nameidx_put(SimMem *m, SimNameIdx *x, uint32_t scope, const char *name, uint32_t id)
{
    if (sim_nameidx_reserve(m, x, 1) != SIM_OK)
        return SIM_ENOMEM;
    put(x->slot, x->cap, name, scope, id);
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

size_t sim_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 128 || lb > 128)
        return la > lb ? la : lb;
    size_t row[129];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}
