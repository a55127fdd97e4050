/*
 * mem.c: the allocator hook. Every allocation of the engine goes through a
 * SimMem so that tests can fail allocation N (fault injection) and so that the
 * live byte count proves nothing leaked. Invariant: live == bytes handed out
 * and not yet freed through this SimMem.
 */
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

void sim_mem_init(SimMem *m)
{
    memset(m, 0, sizeof *m);
    m->fn = libc_alloc;
}

void *sim_mem_realloc(SimMem *m, void *p, size_t osize, size_t nsize)
{
    SimAllocFn fn = m->fn ? m->fn : libc_alloc;
    if (nsize == 0) {
        fn(m->ud, p, osize, 0);
        m->live -= (int64_t)osize;
        return NULL;
    }
    int grows = p == NULL || nsize > osize;
    if (grows) {
        m->count++;
        if (m->fail_at != 0 && m->count >= m->fail_at) {
            m->oom = 1;
            return NULL;
        }
    }
    void *q = fn(m->ud, p, osize, nsize);
    if (q == NULL && !grows)
        q = p;   /* a failed shrink keeps the block: callers (Lua) rely on shrinks not failing */
    if (q == NULL) {
        m->oom = 1;
        return NULL;
    }
    m->live += (int64_t)nsize - (int64_t)(p ? osize : 0);
    return q;
}

void *sim_mem_alloc(SimMem *m, size_t n)
{
    return sim_mem_realloc(m, NULL, 0, n ? n : 1);
}

void *sim_mem_calloc(SimMem *m, size_t count, size_t n)
{
    if (n != 0 && count > SIZE_MAX / n) {
        m->oom = 1;
        return NULL;
    }
    void *p = sim_mem_alloc(m, count * n);
    if (p)
        memset(p, 0, count * n != 0 ? count * n : 1);
    return p;
}

void sim_mem_free(SimMem *m, void *p, size_t n)
{
    if (p)
        sim_mem_realloc(m, p, n ? n : 1, 0);
}

char *sim_mem_strdup(SimMem *m, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sim_mem_alloc(m, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void sim_mem_strfree(SimMem *m, char *s)
{
    if (s)
        sim_mem_free(m, s, strlen(s) + 1);
}

/* Doubling growth keeps appends amortised O(1); on failure *pp is untouched. */
int sim_mem_grow(SimMem *m, void **pp, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return SIM_OK;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / sz)
        return SIM_ENOMEM;
    void *q = sim_mem_realloc(m, *pp, *cap * sz, ncap * sz);
    if (q == NULL)
        return SIM_ENOMEM;
    *pp = q;
    *cap = ncap;
    return SIM_OK;
}
