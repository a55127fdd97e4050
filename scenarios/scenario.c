/*
 * scenario.c: loading a scenario (run the script in its sandbox, collect the
 * declarations), building it into an engine, and evaluating its expectations.
 * Lua errors stay in here behind lua_pcall (scn_sandbox_call); callers get a
 * message naming the file and line.
 */
#include "scenarios/scn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "sim/fileio.h"
#include "workloads/gates.h"

int scn_grow(lua_State *L, ScnScenario *s, void **v, size_t *cap, size_t sz)
{
    if (sim_mem_grow(s->mem, v, cap, *cap + 1, sz) != SIM_OK) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    return 1;
}

void scn_shrink(lua_State *L, ScnScenario *s, void **v, size_t *cap, size_t n, size_t sz)
{
    (void)L;
    if (*cap == n)
        return;
    if (n == 0)
        sim_mem_free(s->mem, *v, *cap * sz);
    *v = n ? sim_mem_realloc(s->mem, *v, *cap * sz, n * sz) : NULL;   /* shrinks never fail */
    *cap = n;
}

char *scn_strdup(lua_State *L, ScnScenario *s, const char *str)
{
    char *d = sim_mem_strdup(s->mem, str);
    if (d == NULL) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    return d;
}

const char *scn_name(const ScnScenario *s) { return s->name; }
uint32_t scn_feature_gates(const ScnScenario *s) { return s->gates; }
const char *scn_errmsg(const ScnScenario *s) { return sim_err_msg(&s->err); }
SimTime scn_duration(const ScnScenario *s) { return s->duration; }
SimTime scn_start_clock(const ScnScenario *s) { return s->start_clock; }
SimTime scn_sample_every(const ScnScenario *s) { return s->sample_every; }
size_t scn_param_count(const ScnScenario *s) { return s->params.n; }
const char *scn_timezone(const ScnScenario *s) { return s->clock.tz; }

int scn_date(const ScnScenario *s, char buf[11])
{
    buf[0] = '\0';
    if (!s->clock.date_set)
        return 0;
    char full[32];   /* the parsed date is real: it fits */
    snprintf(full, sizeof full, "%04d-%02d-%02d", s->clock.y, s->clock.m, s->clock.d);
    memcpy(buf, full, 10);
    buf[10] = '\0';
    return 1;
}

/* One "N what" item of scn_not_exported's list. */
static void not_exported_item(char *buf, size_t n, size_t count, const char *one, const char *many)
{
    size_t k = strlen(buf);
    if (count > 0 && k < n)
        snprintf(buf + k, n - k, "%s%zu %s", k ? ", " : "", count, count == 1 ? one : many);
}

void scn_not_exported(const ScnScenario *s, char *buf, size_t n)
{
    buf[0] = '\0';
    not_exported_item(buf, n, s->hooks.n, "at/every hook", "at/every hooks");
    not_exported_item(buf, n, scn_fault_count(s), "fault", "faults");
    not_exported_item(buf, n, scn_submit_count(s), "queue submit", "queue submits");
    not_exported_item(buf, n, s->backtests.n, "backtest kernel (its Job's run time)",
                      "backtest kernels (their Jobs' run time)");
    not_exported_item(buf, n, s->expects.n, "expectation", "expectations");
    not_exported_item(buf, n, scn_traffic_recorded_count(s), "recorded traffic rate (its factor is written as the "
                      "rate)", "recorded traffic rates (their factors are written as the rates)");
}

void scn_param(const ScnScenario *s, size_t i, const char **name, const char **deflt,
               const char **value, const char **desc)
{
    const ScnParam *p = &s->params.v[i];
    *name = p->name;
    *deflt = p->deflt;
    *value = p->value;
    *desc = p->desc;
}

/* ---- freeing ---------------------------------------------------------- */
#define VEC_FREE(m, vec) sim_mem_free((m), (vec).v, (vec).cap * sizeof *(vec).v)

static void free_group(SimMem *m, ScnGroupDecl *gd)
{
    SimNodeGroup *g = &gd->g;
    sim_mem_strfree(m, g->name);
    sim_mem_strfree(m, g->instance_type);
    for (size_t i = 0; i < g->nlabels; i++) {
        sim_mem_strfree(m, g->labels[i].key);
        sim_mem_strfree(m, g->labels[i].value);
    }
    sim_mem_free(m, g->labels, gd->lcap * sizeof *g->labels);
    for (size_t i = 0; g->taints && i < g->ntaints; i++) {
        sim_mem_strfree(m, g->taints[i].key);
        sim_mem_strfree(m, g->taints[i].value);
    }
    sim_mem_free(m, g->taints, gd->tcap * sizeof *g->taints);
    sim_mem_free(m, g->zones, gd->zcap * sizeof *g->zones);
}

static void free_decls(ScnScenario *s)
{
    SimMem *m = s->mem;
    for (size_t i = 0; i < s->regions.n; i++)
        sim_mem_strfree(m, s->regions.v[i]);
    for (size_t i = 0; i < s->zones.n; i++)
        sim_mem_strfree(m, s->zones.v[i].name);
    for (size_t i = 0; i < s->namespaces.n; i++)
        sim_mem_strfree(m, s->namespaces.v[i]);
    for (size_t i = 0; i < s->groups.n; i++)
        free_group(m, &s->groups.v[i]);
    for (size_t i = 0; i < s->workloads.n; i++)
        sim_mem_strfree(m, s->workloads.v[i].name);
    for (size_t i = 0; i < s->params.n; i++) {
        ScnParam *p = &s->params.v[i];
        sim_mem_strfree(m, p->name);
        sim_mem_strfree(m, p->deflt);
        sim_mem_strfree(m, p->value);
        sim_mem_strfree(m, p->desc);
    }
    for (size_t i = 0; i < s->expects.n; i++)
        sim_mem_strfree(m, s->expects.v[i].name);
    VEC_FREE(m, s->backtests);
    scn_queue_free(s);
    for (size_t i = 0; i < s->data.n; i++) {   /* after the decls that borrow them */
        sim_mem_strfree(m, s->data.v[i].key);
        if (!s->data.v[i].borrowed)
            bt_data_free(s->data.v[i].data);
    }
    VEC_FREE(m, s->data);
    for (size_t i = 0; i < s->sets.n; i++) {
        sim_mem_strfree(m, s->sets.v[i].name);
        sim_mem_strfree(m, s->sets.v[i].value);
    }
    VEC_FREE(m, s->regions);
    VEC_FREE(m, s->zones);
    VEC_FREE(m, s->namespaces);
    VEC_FREE(m, s->groups);
    VEC_FREE(m, s->workloads);
    VEC_FREE(m, s->params);
    VEC_FREE(m, s->expects);
    VEC_FREE(m, s->sets);
}

void scn_free(ScnScenario *s)
{
    if (s == NULL)
        return;
    if (s->L)
        lua_close(s->L);
    free_decls(s);
    scn_clock_free(s);
    scn_arena_free(s);
    sim_mem_strfree(s->mem, s->chunk);
    sim_mem_strfree(s->mem, s->name);
    sim_mem_free(s->mem, s, sizeof *s);
}

/* ---- loading ---------------------------------------------------------- */
/* The script, capped (sim/fileio.h): a scenario is never megabytes of Lua,
 * and /dev/zero or an endless FIFO must stop, not fill memory. The caller
 * frees len + 1 bytes. */
static char *read_file(SimMem *m, const char *path, size_t *len, SimErr *err)
{
    char *text;
    return sim_file_read(m, path, SIM_FILE_MAX_SCENARIO, "a scenario", &text, len, err) == SIM_OK ? text
                                                                                                         : NULL;
}

/* The scenario's name defaults to the file's stem, made a valid name as
 * scenario { name } must be one (api.c): "my run.lua" is "my-run". */
static const char *stem(const char *path, char *buf, size_t n)
{
    char raw[256];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(raw, sizeof raw, "%s", base);
    char *dot = strrchr(raw, '.');
    if (dot && dot != raw)
        *dot = '\0';
    kx_label_value(raw, buf, n);
    if (buf[0] == '\0')
        snprintf(buf, n, "scenario");
    return buf;
}

static int parse_sets(ScnScenario *s, const ScnOptions *opt, SimErr *err)
{
    for (size_t i = 0; i < opt->nsets; i++) {
        const char *eq = strchr(opt->sets[i], '=');
        if (eq == NULL || eq == opt->sets[i]) {
            sim_err_set(err, SIM_EINVAL, "--set %s: expected NAME=VALUE", opt->sets[i]);
            return SIM_EINVAL;
        }
        if (sim_mem_grow(s->mem, (void **)&s->sets.v, &s->sets.cap, s->sets.n + 1, sizeof *s->sets.v))
            goto oom;
        ScnSet *set = &s->sets.v[s->sets.n];
        memset(set, 0, sizeof *set);
        set->name = sim_mem_alloc(s->mem, (size_t)(eq - opt->sets[i]) + 1);
        set->value = sim_mem_strdup(s->mem, eq + 1);
        s->sets.n++;
        if (set->name == NULL || set->value == NULL)
            goto oom;
        memcpy(set->name, opt->sets[i], (size_t)(eq - opt->sets[i]));
        set->name[eq - opt->sets[i]] = '\0';
    }
    return SIM_OK;
oom:
    sim_err_set(err, SIM_ENOMEM, "out of memory");
    return SIM_ENOMEM;
}

static int check_sets_used(ScnScenario *s, SimErr *err)
{
    for (size_t i = 0; i < s->sets.n; i++) {
        const ScnSet *set = &s->sets.v[i];
        if (set->used)
            continue;
        const char *dot = strchr(set->name, '.');
        if (set->missed[0])
            sim_err_set(err, SIM_EINVAL, "--set %s: %s has no field '%.*s'%s%s%s", set->name, set->missed,
                        (int)strcspn(dot + 1, "."), dot + 1, set->near ? " (did you mean '" : "",
                        set->near ? set->near : "", set->near ? "'?)" : "");
        else if (dot)
            sim_err_set(err, SIM_EINVAL, "--set %s: %s has no param '%s' and declares nothing named '%.*s' "
                        "(NAME.FIELD=VALUE sets a field of the declaration NAME)", set->name, s->chunk,
                        set->name, (int)(dot - set->name), set->name);
        else
            sim_err_set(err, SIM_EINVAL, "--set %s: %s has no param '%s' (see kubesim run --list-params)", set->name,
                        s->chunk, set->name);
        return SIM_EINVAL;
    }
    return SIM_OK;
}

static int check_world(ScnScenario *s, SimErr *err)
{
    if (s->regions.n == 0) {
        sim_err_set(err, SIM_EINVAL, "%s: the scenario declares no region", s->chunk);
        return SIM_EINVAL;
    }
    return SIM_OK;
}

static int run_chunk(ScnScenario *s, const char *src, size_t len, SimErr *err)
{
    char chunkname[1024];
    snprintf(chunkname, sizeof chunkname, "@%s", s->chunk);
    /* Text only: "t" refuses precompiled bytecode. */
    int st = luaL_loadbufferx(s->L, src, len, chunkname, "t");
    if (st != LUA_OK) {
        scn_error_message(s, st, err);
        return SIM_EINVAL;
    }
    lua_Debug ar;
    lua_pushvalue(s->L, -1);
    if (lua_getinfo(s->L, ">S", &ar))
        snprintf(s->src, sizeof s->src, "%s", ar.short_src);
    scn_sandbox_arm(s, s->steps_left);
    return scn_sandbox_call(s, 0, 0, err) == LUA_OK ? SIM_OK : SIM_EINVAL;
}

static ScnScenario *scn_new(SimMem *m, const ScnOptions *opt, const char *chunk)
{
    ScnScenario *s = sim_mem_calloc(m, 1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->mem = m;
    s->cache = opt->data_cache;
    sim_arena_init(&s->arena, m);
    s->lua_mem = opt->lua_mem ? opt->lua_mem : SCN_DEFAULT_LUA_MEM;
    s->no_warnings = (uint8_t)(opt->no_warnings != 0);
    s->steps_left = opt->lua_steps ? opt->lua_steps : SCN_DEFAULT_LUA_STEPS;
    s->duration = SIM_SEC(8 * 3600);
    s->sample_every = SIM_SEC(60);
    s->gates = wl_gates_default();
    sim_rng_seed(&s->rng, opt->seed, SIM_RNG_SCENARIO);
    char buf[256];
    s->chunk = sim_mem_strdup(m, chunk);
    s->name = sim_mem_strdup(m, stem(chunk, buf, sizeof buf));
    if (s->chunk == NULL || s->name == NULL) {
        scn_free(s);
        return NULL;
    }
    return s;
}

ScnScenario *scn_load(SimMem *m, const ScnOptions *opt, SimErr *err)
{
    size_t len = scn_default_source_len, cap = 0;
    char *src = NULL;
    if (opt->path) {
        src = read_file(m, opt->path, &len, err);
        if (src == NULL)
            return NULL;
        cap = len + 1;
    }
    ScnScenario *s = scn_new(m, opt, opt->path ? opt->path : SCN_DEFAULT_NAME);
    int rc = s ? SIM_OK : SIM_ENOMEM;
    if (s && (s->L = scn_sandbox_new(s)) == NULL)
        rc = SIM_ENOMEM;
    if (rc == SIM_ENOMEM)
        sim_err_set(err, SIM_ENOMEM, "out of memory");
    if (rc == SIM_OK)
        rc = parse_sets(s, opt, err);
    if (rc == SIM_OK)
        rc = run_chunk(s, src ? src : scn_default_source, len, err);
    if (rc == SIM_OK)
        rc = check_sets_used(s, err);
    if (rc == SIM_OK)
        rc = check_world(s, err);
    if (rc == SIM_OK)
        rc = scn_traffic_check(s, err);
    if (src)
        sim_mem_free(m, src, cap);
    if (rc != SIM_OK) {
        scn_free(s);
        return NULL;
    }
    return s;
}
