/*
 * json.h: cJSON through a SimMem (prefix sim_json_).
 *
 * cJSON has one set of allocator hooks for the whole process and hands them
 * no user pointer, so it cannot be told per call which SimMem to use. Each
 * operation that builds, parses or prints cJSON therefore opens a scope on
 * its thread: until the scope ends, every cJSON allocation on that thread
 * comes from the scope's SimMem (counted, and failed on demand by the
 * out-of-memory sweeps). Every block carries a small header naming its SimMem
 * and size, so a tree or a printed text may be freed (cJSON_Delete,
 * cJSON_free) anywhere, inside a scope or not, while that SimMem lives.
 *
 * A scope also remembers whether any cJSON allocation inside it failed.
 * cJSON degrades without crashing when an allocation fails (the Create/Add
 * call returns NULL and the tree lacks that item, the Print or Parse call
 * returns NULL), so a builder need not test each call: the scope says
 * SIM_ENOMEM and the caller discards the tree. The one thing a builder must
 * not do is hand a created item to a parent that may be missing
 * (cJSON_AddItemToArray(NULL, item) leaks item); sim_json_add_item and
 * sim_json_push free the item when the parent cannot take it.
 *
 * Outside any scope, cJSON allocates from the C library (test code that
 * reads kubesim's output). Scopes nest; they end in the reverse order of
 * their beginning.
 */
#ifndef KUBESIM_SIM_JSON_H
#define KUBESIM_SIM_JSON_H

#include <cjson/cJSON.h>

#include "sim/sim.h"

typedef struct SimJsonScope {
    SimMem *m;                   /* NULL: the C library */
    int failed;                  /* a cJSON allocation inside the scope failed */
    struct SimJsonScope *outer;  /* the scope this one is nested in, or NULL */
} SimJsonScope;

/* cJSON calls on this thread allocate through m (NULL: the C library) until
 * sim_json_end(s). s lives on the caller's stack. */
void sim_json_begin(SimJsonScope *s, SimMem *m);

/* Ends the scope (the innermost one on this thread). Returns SIM_OK, or
 * SIM_ENOMEM when a cJSON allocation inside it failed; a failure also marks
 * the enclosing scope, since its work used the same incomplete result. */
int sim_json_end(SimJsonScope *s);

/* cJSON_AddItemToObject / cJSON_AddItemToArray that free item when it cannot
 * be added (parent NULL after a failed allocation, or the key's copy failed):
 * a builder can chain creations without leaking on out of memory. Return the
 * item, or NULL. */
cJSON *sim_json_add_item(cJSON *object, const char *key, cJSON *item);
cJSON *sim_json_push(cJSON *array, cJSON *item);

/* v as the shortest of %.15g, %.16g, %.17g that reads back as the same
 * double: 95.5424 rather than 95.542399999999901 for people, and exact for a
 * later reader (an export's import, a sweep's merge). buf holds 32 bytes;
 * returns buf. */
#define SIM_NUM_LEN 32
const char *sim_num(double v, char buf[SIM_NUM_LEN]);

#endif
