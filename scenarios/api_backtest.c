/*
 * api_backtest.c: `backtest { ... }`, a backtest request served by a Job whose
 * pods run the real kernel (workloads/backtest). The data is loaded and the
 * parameters checked when the script runs, so a bad CSV or an impossible
 * window fails before the simulation starts, naming the script line and the
 * CSV's own file, line and column.
 *
 *   backtest { name = "ma-grid", namespace = "research", region = "us-east", start = "16:30",
 *              strategy = "ma_cross",                         -- ma_cross | momentum | minvar | meanvar
 *              data = "prices.csv",                           -- relative to the scenario file, or
 *              universe = { assets = 20, days = 2000, seed = 7 },   -- a seeded synthetic universe
 *              params = { fast = { 5, 10 }, slow = { 50, 100 }, mode = "long_flat", cost_bps = 5 },
 *              count = 10, parallelism = 5, cpu = "2", memory = "4Gi" }
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include "k8s-export/kx.h"

#include <stdio.h>
#include <string.h>

static const char *const keys[] = {"name", "namespace", "region", "start", "strategy", "data", "universe",
                                   "params", "count", "parallelism", "cpu", "memory", "gpu", "cpu_limit",
                                   "memory_limit", "startup", "priority", NULL};
const char *const scn_keys_backtest_params[] = {"fast", "slow", "mode", "cost_bps", "lookback", "skip", "hold", "top",
                                                "window", "shrink", "gamma", NULL};
static const char *const *const param_keys = scn_keys_backtest_params;

static void grid(lua_State *L, const ScnDecl *d, const char *key, int *out, int *n)
{
    int t = scn_field(L, d, key);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    char path[32];
    snprintf(path, sizeof path, "params.%s", key);
    if (t != LUA_TTABLE || luaL_len(L, -1) < 1 || luaL_len(L, -1) > BT_MAX_GRID)
        scn_field_error(L, d, path, "expected a list of 1 to %d window lengths", BT_MAX_GRID);
    *n = (int)luaL_len(L, -1);
    for (int i = 0; i < *n; i++) {
        int isint = 0;
        lua_geti(L, -1, i + 1);
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v < 1 || v > 100000)
            scn_field_error(L, d, path, "item %d must be a whole number of days", i + 1);
        out[i] = (int)v;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void read_params(lua_State *L, const ScnDecl *outer, BtParams *p)
{
    if (scn_field(L, outer, "params") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    char what[160];
    snprintf(what, sizeof what, "%s '%s': field 'params'", outer->what, outer->name ? outer->name : "");
    ScnDecl d = {what, NULL, lua_absindex(L, -1)};
    if (!lua_istable(L, -1))
        scn_field_error(L, outer, "params", "expected a table");
    scn_check_keys(L, &d, param_keys);
    grid(L, &d, "fast", p->fast, &p->nfast);
    grid(L, &d, "slow", p->slow, &p->nslow);
    const char *mode = scn_opt_string(L, &d, "mode", NULL);
    if (mode && strcmp(mode, "long_flat") != 0 && strcmp(mode, "long_short") != 0)
        scn_field_error(L, &d, "mode", "must be long_flat or long_short");
    if (mode)
        p->mode = strcmp(mode, "long_short") == 0 ? BT_LONG_SHORT : BT_LONG_FLAT;
    p->cost_bps = scn_opt_number(L, &d, "cost_bps", p->cost_bps, 0, 10000);
    p->lookback = (int)scn_opt_int(L, &d, "lookback", p->lookback, 1, 100000);
    p->skip = (int)scn_opt_int(L, &d, "skip", p->skip, 0, 100000);
    p->hold = (int)scn_opt_int(L, &d, "hold", p->hold, 1, 100000);
    p->top = (int)scn_opt_int(L, &d, "top", p->top, 1, 100000);
    p->window = (int)scn_opt_int(L, &d, "window", p->window, 2, 100000);
    p->shrink = scn_opt_number(L, &d, "shrink", p->shrink, 0, 1);
    p->gamma = scn_opt_number(L, &d, "gamma", p->gamma, 1e-9, 1e9);
    lua_pop(L, 1);
}

/* The CSV's path, relative to the scenario file's folder. */
static void data_path(const ScnScenario *s, const char *file, char *buf, size_t n)
{
    const char *slash = strrchr(s->chunk, '/');
    if (file[0] == '/' || slash == NULL)
        snprintf(buf, n, "%s", file);
    else
        snprintf(buf, n, "%.*s/%s", (int)(slash - s->chunk), s->chunk, file);
}

/* The cache entry for `key`: found, or new with no data yet (the caller
 * makes it; an entry left empty by an error is made again by the next use). */
static ScnData *data_slot(lua_State *L, ScnScenario *s, const char *key)
{
    for (size_t i = 0; i < s->data.n; i++)
        if (strcmp(s->data.v[i].key, key) == 0)
            return &s->data.v[i];
    ScnData *slot = SCN_PUSH(L, s, s->data);
    slot->data = NULL;
    slot->key = NULL;
    slot->key = scn_strdup(L, s, key);
    return slot;
}

/* ---- the data cache shared across loads (ScnDataCache) ---- */
ScnDataCache *scn_data_cache_new(SimMem *m)
{
    ScnDataCache *c = sim_mem_calloc(m, 1, sizeof *c);
    if (c != NULL)
        c->mem = m;
    return c;
}

void scn_data_cache_free(ScnDataCache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        sim_mem_strfree(c->mem, c->v[i].key);
        bt_data_free(c->v[i].data);
    }
    sim_mem_free(c->mem, c->v, c->cap * sizeof *c->v);
    bt_memo_destroy(c->memo);
    sim_mem_free(c->mem, c, sizeof *c);
}

BtMemo *scn_data_cache_memo(ScnDataCache *c)
{
    if (c->memo == NULL)
        c->memo = bt_memo_create(c->mem);
    return c->memo;
}

/* Where a new data set is made: the cache's memory when there is one. */
static SimMem *data_mem(const ScnScenario *s)
{
    return s->cache ? s->cache->mem : s->mem;
}

/* Fills slot from the cache: 1 when the cache had its key. */
static int from_cache(ScnScenario *s, ScnData *slot)
{
    for (size_t i = 0; s->cache && i < s->cache->n; i++)
        if (strcmp(s->cache->v[i].key, slot->key) == 0) {
            slot->data = s->cache->v[i].data;
            slot->borrowed = 1;
            return 1;
        }
    return 0;
}

/* Hands slot's new data set to the cache (the scenario borrows it from now). */
static void to_cache(lua_State *L, ScnScenario *s, ScnData *slot)
{
    ScnDataCache *c = s->cache;
    if (c == NULL)
        return;
    char *key = sim_mem_strdup(c->mem, slot->key);
    if (key == NULL || sim_mem_grow(c->mem, (void **)&c->v, &c->cap, c->n + 1, sizeof *c->v) != SIM_OK) {
        sim_mem_strfree(c->mem, key);
        bt_data_free(slot->data);   /* made in the cache's memory: never the scenario's to free */
        slot->data = NULL;
        c->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    c->v[c->n++] = (ScnData){.key = key, .data = slot->data};
    slot->borrowed = 1;
}

const char *const scn_keys_backtest_universe[] = {"assets", "days", "seed", NULL};
static BtData *synthetic(lua_State *L, ScnScenario *s, const ScnDecl *outer, BtCtx *bc)
{
    const char *const *ukeys = scn_keys_backtest_universe;
    char what[160];
    snprintf(what, sizeof what, "%s '%s': field 'universe'", outer->what, outer->name ? outer->name : "");
    ScnDecl d = {what, NULL, lua_absindex(L, -1)};
    if (!lua_istable(L, -1))
        scn_field_error(L, outer, "universe", "expected { assets = N, days = T, seed = S }");
    scn_check_keys(L, &d, ukeys);
    int64_t assets = scn_opt_int(L, &d, "assets", 10, 1, 5000);
    int64_t days = scn_opt_int(L, &d, "days", 1000, 3, 100000);
    int64_t seed = scn_opt_int(L, &d, "seed", 1, 0, INT64_MAX);
    lua_pushfstring(L, "u:%I:%I:%I", (lua_Integer)assets, (lua_Integer)days, (lua_Integer)seed);
    ScnData *slot = data_slot(L, s, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (slot->data == NULL && !from_cache(s, slot)) {
        bt_ctx_init(bc, data_mem(s));
        if (bt_data_synthetic(bc, (size_t)days, (size_t)assets, (uint64_t)seed, &slot->data) != SIM_OK) {
            data_mem(s)->oom = 0;
            luaL_error(L, "out of memory");
        }
        to_cache(L, s, slot);
    }
    return slot->data;
}

static BtData *load_data(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    BtCtx bc;
    bt_ctx_init(&bc, s->mem);
    const char *file = scn_opt_string(L, d, "data", NULL);
    int has_universe = scn_field(L, d, "universe") != LUA_TNIL;
    if ((file != NULL) == has_universe)
        scn_field_error(L, d, "data", "give exactly one of 'data' (a CSV file) and 'universe'");
    BtData *data = NULL;
    if (has_universe) {
        data = synthetic(L, s, d, &bc);
    } else {
        data = scn_price_file(L, s, d, "data", file);
    }
    lua_pop(L, 1);
    return data;
}

BtData *scn_price_file(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, const char *file)
{
    BtCtx bc;
    char path[1024];
    data_path(s, file, path, sizeof path);
    lua_pushfstring(L, "f:%s", path);
    ScnData *slot = data_slot(L, s, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (slot->data == NULL && !from_cache(s, slot)) {
        bt_ctx_init(&bc, data_mem(s));
        if (bt_data_load_csv(&bc, path, &slot->data) != SIM_OK) {
            data_mem(s)->oom = 0;
            scn_field_error(L, d, key, "%s", bt_errmsg(&bc));
        }
        to_cache(L, s, slot);
    }
    return slot->data;
}

void scn_backtest_request(lua_State *L, ScnScenario *s, const ScnDecl *d, BtParams *params, BtData **data)
{
    BtKernel k;
    const char *strategy = scn_req_string(L, d, "strategy");
    if (bt_kernel_from_name(strategy, &k) != SIM_OK)
        scn_field_error(L, d, "strategy", "'%s' is not one of ma_cross, momentum, minvar, meanvar", strategy);
    bt_params_default(params, k);
    read_params(L, d, params);
    *data = load_data(L, s, d);
    BtCtx bc;
    bt_ctx_init(&bc, s->mem);
    if (bt_check(&bc, *data, params) != SIM_OK)
        scn_field_error(L, d, "params", "%s", bt_errmsg(&bc));
}

static int l_backtest(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = {"backtest", NULL, 1};
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *why;
    d.name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(d.name, KX_DNS1123_SUBDOMAIN, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid Kubernetes name: %s", d.name, why);
    scn_check_keys2(L, &d, keys, scn_podspec_keys);
    ScnBacktest *b = SCN_PUSH(L, s, s->backtests);
    scn_backtest_request(L, s, &d, &b->params, &b->data);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_JOB;
    scn_workload_common(L, s, &d, w);
    w->completions = (int32_t)scn_opt_int(L, &d, "count", 1, 1, 1000000);
    w->replicas = (int32_t)scn_opt_int(L, &d, "parallelism", 1, 1, 1000000);
    w->spec.duration = SIM_DURATION_BY_WORK;
    w->start_at = scn_opt_when(L, s, &d, "start", 0);
    b->workload = s->workloads.n - 1;
    return 0;
}

void scn_api_backtest_register(lua_State *L)
{
    lua_register(L, "backtest", l_backtest);
}

size_t scn_data_sets(const ScnScenario *s)
{
    return s->data.n;
}
