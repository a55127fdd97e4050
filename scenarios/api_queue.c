/*
 * api_queue.c: backtest queues in scenarios (workloads/queue.h).
 *
 *   queue  { name = "backtests", region = "us-east" }
 *   submit { queue = "backtests", name = "grid", start = "16:05", count = 200, every = "2s",
 *            strategy = "ma_cross",                          -- the request, as in backtest {}:
 *            universe = { assets = 20, days = 2000, seed = 7 },   -- or data = "prices.csv"
 *            params = { fast = { 5, 10 }, slow = { 50, 100 } },
 *            duration = "25m" }                               -- or work_scale = 40; default: by work
 *   deployment { name = "bt-workers", replicas = 4, cpu = "1", memory = "2Gi", queue = "backtests" }
 *
 * A submit's `count` requests are identical (one kernel run through the
 * memo); `every` spaces their arrivals (default: all at `start`); `name`
 * (default "<queue>-<n>") names its entry in backtests.results. A queue must
 * be declared before the submits and deployments that name it, so an
 * unknown queue is refused at load time with the script's line.
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "workloads/queue.h"

typedef struct ScnQueueDecl {
    char *name;
    uint32_t region;
} ScnQueueDecl;

typedef struct ScnSubmitDecl {
    uint32_t queue;
    char *name;
    BtData *data;                /* borrowed from s->data */
    BtParams params;
    SimTime at, every;
    int32_t count;
    SimTime duration;            /* submit.duration; 0: by the kernel's work */
    double work_scale;           /* submit.work_scale; 0: 1 */
} ScnSubmitDecl;

typedef struct ScnWorkerDecl {
    size_t workload;
    uint32_t queue;
} ScnWorkerDecl;

struct ScnQueues {
    SCN_VEC(ScnQueueDecl) queues;
    SCN_VEC(ScnSubmitDecl) submits;
    SCN_VEC(ScnWorkerDecl) workers;
};

static struct ScnQueues *decls(lua_State *L, ScnScenario *s)
{
    if (s->queues == NULL && (s->queues = sim_mem_calloc(s->mem, 1, sizeof *s->queues)) == NULL) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    return s->queues;
}

static ScnDecl decl_open(lua_State *L, const char *what)
{
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s: expected a table of fields, e.g. %s { queue = \"...\" }", what, what);
    return (ScnDecl){what, NULL, 1};
}

static uint32_t find_queue(const ScnScenario *s, const char *name)
{
    for (size_t i = 0; s->queues && i < s->queues->queues.n; i++)
        if (strcmp(s->queues->queues.v[i].name, name) == 0)
            return (uint32_t)i;
    return SIM_NONE;
}

/* The queue named by field `queue`; refused unless declared earlier. */
static uint32_t ref_queue(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *name)
{
    uint32_t q = find_queue(s, name);
    if (q != SIM_NONE)
        return q;
    char known[256] = "";
    size_t n = s->queues ? s->queues->queues.n : 0;
    for (size_t i = 0; i < n; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 s->queues->queues.v[i].name);
    if (n == 0)
        scn_field_error(L, d, "queue", "no queue named '%s' is declared before this line (declare it with "
                        "queue { name = \"%s\" })", name, name);
    scn_field_error(L, d, "queue", "no queue named '%s' is declared before this line (declared: %s)", name, known);
}

/* ---- queue { name, region } ------------------------------------------------ */
static int l_queue(lua_State *L)
{
    static const char *const keys[] = {"name", "region", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "queue");
    const char *why;
    d.name = scn_req_string(L, &d, "name");   /* first, so that every later message names it */
    if (!kx_name_valid(d.name, KX_DNS1123_LABEL, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid queue name: %s", d.name, why);
    scn_check_keys(L, &d, keys);
    if (find_queue(s, d.name) != SIM_NONE)
        scn_field_error(L, &d, "name", "'%s' is declared twice", d.name);
    uint32_t region = scn_ref_region(L, s, &d);
    struct ScnQueues *qs = decls(L, s);
    ScnQueueDecl *q = SCN_PUSH(L, s, qs->queues);
    q->region = region;
    q->name = scn_strdup(L, s, d.name);
    return 0;
}

/* ---- submit { queue, name, start, count, every, <request> } ------------------ */
static int name_taken(const ScnScenario *s, const char *name)
{
    for (size_t i = 0; i < s->workloads.n; i++)
        if (strcmp(s->workloads.v[i].name, name) == 0)
            return 1;
    for (size_t i = 0; s->queues && i < s->queues->submits.n; i++)
        if (s->queues->submits.v[i].name && strcmp(s->queues->submits.v[i].name, name) == 0)
            return 1;
    return 0;
}

/* "<queue>-<n>", n counting this queue's submits from 1. */
static const char *default_name(lua_State *L, const ScnScenario *s, uint32_t q)
{
    int n = 1;
    for (size_t i = 0; s->queues && i < s->queues->submits.n; i++)
        n += s->queues->submits.v[i].queue == q;
    return lua_pushfstring(L, "%s-%d", s->queues->queues.v[q].name, n);   /* stays on the stack */
}

static int l_submit(lua_State *L)
{
    static const char *const keys[] = {"queue", "name", "start", "count", "every", "strategy", "data",
                                       "universe", "params", "duration", "work_scale", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "submit");
    d.name = scn_opt_string(L, &d, "name", NULL);
    scn_check_keys(L, &d, keys);
    uint32_t q = ref_queue(L, s, &d, scn_req_string(L, &d, "queue"));
    if (d.name == NULL)
        d.name = default_name(L, s, q);
    if (*d.name == '\0')
        scn_field_error(L, &d, "name", "must not be empty");
    if (name_taken(s, d.name))
        scn_field_error(L, &d, "name", "'%s' already names a submit or a workload", d.name);
    ScnSubmitDecl *sd = SCN_PUSH(L, s, s->queues->submits);
    sd->queue = q;
    sd->name = scn_strdup(L, s, d.name);
    scn_backtest_request(L, s, &d, &sd->params, &sd->data);
    sd->count = (int32_t)scn_opt_int(L, &d, "count", 1, 1, 1000000);
    sd->every = scn_opt_duration(L, &d, "every", 0);
    sd->at = scn_opt_when(L, s, &d, "start", 0);
    sd->duration = scn_opt_duration(L, &d, "duration", 0);
    sd->work_scale = scn_opt_number(L, &d, "work_scale", 0, 0, 1e9);
    if (sd->duration > 0 && sd->work_scale > 0)
        scn_field_error(L, &d, "work_scale", "give at most one of 'duration' and 'work_scale'");
    return 0;
}

/* ---- k.submit(name [, count]): a declared submission again, now ---------------- */
int scn_k_submit(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    if (s->hooks.e == NULL)
        return luaL_error(L, "k is usable only while a hook runs");
    if (s->hooks.after)
        return luaL_error(L, "k.submit: an expectation reads the run; it cannot act on it");
    const char *name = luaL_checkstring(L, 1);
    const ScnSubmitDecl *sd = NULL;
    for (size_t i = 0; s->queues && i < s->queues->submits.n; i++)
        if (strcmp(s->queues->submits.v[i].name, name) == 0)
            sd = &s->queues->submits.v[i];
    if (sd == NULL)
        return luaL_error(L, "k.submit: no submit named '%s'", name);
    lua_Integer n = luaL_optinteger(L, 2, sd->count);
    if (n < 1 || n > 1000000)
        return luaL_error(L, "k.submit: %I requests is out of range [1, 1000000]", n);
    /* The same request (data and parameters, which the declaration keeps
     * alive), arriving from now at the declaration's pace. */
    WlQueueSubmit sub = {sd->queue, sd->name, sd->data, sd->params, sim_now(s->hooks.e), sd->every, (int32_t)n,
                         sd->duration, sd->work_scale};
    if (wl_queue_submit(s->hooks.wl, &sub) != SIM_OK)
        return luaL_error(L, "k.submit: %s", sim_errmsg(s->hooks.e));
    return 0;
}

/* ---- deployment { ..., queue = "name" } ------------------------------------- */
void scn_queue_worker(lua_State *L, ScnScenario *s, const ScnDecl *d, size_t wl)
{
    const char *name = scn_opt_string(L, d, "queue", NULL);
    if (name == NULL)
        return;
    uint32_t q = ref_queue(L, s, d, name);
    ScnWorkerDecl *w = SCN_PUSH(L, s, s->queues->workers);
    w->workload = wl;
    w->queue = q;
}

void scn_api_queue_register(lua_State *L)
{
    lua_register(L, "queue", l_queue);
    lua_register(L, "submit", l_submit);
}

/* ---- building and freeing ------------------------------------------------------- */
int scn_queue_build(ScnScenario *s, WlControllers *wl)
{
    struct ScnQueues *qs = s->queues;
    int rc = SIM_OK;
    for (size_t i = 0; qs && rc == SIM_OK && i < qs->queues.n; i++) {
        uint32_t id;
        rc = wl_queue_add(wl, qs->queues.v[i].name, qs->queues.v[i].region, &id);
    }
    for (size_t i = 0; qs && rc == SIM_OK && i < qs->workers.n; i++)
        rc = wl_queue_worker(wl, qs->workers.v[i].queue, (uint32_t)qs->workers.v[i].workload);
    for (size_t i = 0; qs && rc == SIM_OK && i < qs->submits.n; i++) {
        const ScnSubmitDecl *sd = &qs->submits.v[i];
        WlQueueSubmit sub = {sd->queue, sd->name, sd->data, sd->params, sd->at, sd->every, sd->count,
                             sd->duration, sd->work_scale};
        rc = wl_queue_submit(wl, &sub);
    }
    return rc;
}

size_t scn_submit_count(const ScnScenario *s)
{
    return s->queues ? s->queues->submits.n : 0;
}

void scn_queue_free(ScnScenario *s)
{
    struct ScnQueues *qs = s->queues;
    if (qs == NULL)
        return;
    for (size_t i = 0; i < qs->queues.n; i++)
        sim_mem_strfree(s->mem, qs->queues.v[i].name);
    for (size_t i = 0; i < qs->submits.n; i++) {
        sim_mem_strfree(s->mem, qs->submits.v[i].name);
    }
    sim_mem_free(s->mem, qs->queues.v, qs->queues.cap * sizeof *qs->queues.v);
    sim_mem_free(s->mem, qs->submits.v, qs->submits.cap * sizeof *qs->submits.v);
    sim_mem_free(s->mem, qs->workers.v, qs->workers.cap * sizeof *qs->workers.v);
    sim_mem_free(s->mem, qs, sizeof *qs);
    s->queues = NULL;
}
