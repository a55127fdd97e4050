/*
 * json.c: cJSON's allocator hooks, routed to the SimMem of the innermost
 * scope open on the calling thread (see json.h). Invariant: every block cJSON
 * holds starts with a Hdr naming the SimMem it came from (NULL: the C
 * library) and its size, so freeing needs no scope.
 */
#include "sim/json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Hdr {
    _Alignas(max_align_t) SimMem *m;   /* keeps the payload aligned as malloc's */
    size_t n;
} Hdr;

/* The one piece of mutable global state in the library, and why it must be:
 * cJSON_InitHooks is process-wide and its malloc hook takes only a size, so
 * the only way to give one operation its own allocator is a per-thread
 * "current scope". Being _Thread_local, two engines on two threads each see
 * their own; nothing outlives the scopes on the thread's stack. */
static _Thread_local SimJsonScope *current;

static void *json_malloc(size_t n)
{
    SimJsonScope *s = current;
    SimMem *m = s ? s->m : NULL;
    Hdr *h = NULL;
    if (n <= SIZE_MAX - sizeof *h)
        h = m ? sim_mem_alloc(m, sizeof *h + n) : malloc(sizeof *h + n);
    if (h == NULL) {
        if (s)
            s->failed = 1;
        return NULL;
    }
    h->m = m;
    h->n = n;
    return h + 1;
}

static void json_free(void *p)
{
    if (p == NULL)
        return;
    Hdr *h = (Hdr *)p - 1;
    if (h->m)
        sim_mem_free(h->m, h, sizeof *h + h->n);
    else
        free(h);
}

/* The hooks must be in place before cJSON allocates anything, or a block
 * from malloc would reach json_free: installed when the program loads, which
 * is before any thread exists (so the write to cJSON's globals races with
 * nothing). A program that links none of this file keeps the C library's. */
__attribute__((constructor)) static void install_hooks(void)
{
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = json_malloc, .free_fn = json_free});
}

void sim_json_begin(SimJsonScope *s, SimMem *m)
{
    s->m = m;
    s->failed = 0;
    s->outer = current;
    current = s;
}

int sim_json_end(SimJsonScope *s)
{
    SIM_ASSERT(current == s);
    current = s->outer;
    if (s->failed && s->outer)
        s->outer->failed = 1;
    return s->failed ? SIM_ENOMEM : SIM_OK;
}

cJSON *sim_json_add_item(cJSON *object, const char *key, cJSON *item)
{
    if (cJSON_AddItemToObject(object, key, item))
        return item;
    cJSON_Delete(item);
    return NULL;
}

cJSON *sim_json_push(cJSON *array, cJSON *item)
{
    if (cJSON_AddItemToArray(array, item))
        return item;
    cJSON_Delete(item);
    return NULL;
}

const char *sim_num(double v, char buf[SIM_NUM_LEN])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, SIM_NUM_LEN, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
