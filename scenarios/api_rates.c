/*
 * api_rates.c: a traffic declaration's recorded rate.
 *
 *   traffic { site = "new-york", service = "quant-api",
 *             from = "rates/api-2026-03-18.json",   -- a Prometheus range-query answer, or a timestamp,value CSV
 *             series = '{site="new-york"}',          -- which series, when the file has several
 *             factor = 1.5,                           -- scales the recording (default 1)
 *             max_gap = "5m",                         -- longest hole between samples (default 5 steps)
 *             surges = { ... } }                      -- as for a typed rate
 *
 * The file is read when the declaration runs (path relative to the scenario
 * file's folder, as backtest data): it must parse and one series must match.
 * What depends on the run's window (the scenario's date, start, timezone and
 * duration, which the script may set later or --set may change) is checked
 * once the script has run (scn_rates_check): the samples must cover the run,
 * with no hole wider than max_gap, and every sample the run uses must be a
 * finite rate >= 0. Each failure names the script line, the declaration, the
 * file and the sample. The script itself never sees the file's contents:
 * only the traffic model reads the numbers.
 */
#include "scenarios/scn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/promrange.h"

#define DEFAULT_GAP_STEPS 5

/* The recording's path, relative to the scenario file's folder. */
static void rec_path(const ScnScenario *s, const char *file, char *buf, size_t n)
{
    const char *slash = strrchr(s->chunk, '/');
    if (file[0] == '/' || slash == NULL)
        snprintf(buf, n, "%s", file);
    else
        snprintf(buf, n, "%.*s/%s", (int)(slash - s->chunk), s->chunk, file);
}

static int by_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The median time between samples (the query's step), in ms; 0 for one
 * sample. Sorts a copy in scratch (n - 1 values). */
static int64_t median_step(const SimPromSeries *ps, int64_t *scratch)
{
    if (ps->n < 2)
        return 0;
    for (size_t i = 1; i < ps->n; i++)
        scratch[i - 1] = ps->t_ms[i] - ps->t_ms[i - 1];
    qsort(scratch, ps->n - 1, sizeof *scratch, by_i64);
    return scratch[(ps->n - 1) / 2];
}

/* Copies series si of r into rec, in the scenario's arena: SIM_OK or
 * SIM_ENOMEM (nothing raised, so the caller can free r first). */
static int keep(ScnScenario *s, const SimPromRange *r, size_t si, ScnRecorded *rec)
{
    const SimPromSeries *ps = &r->series[si];
    int64_t *t = sim_arena_alloc(&s->arena, ps->n * sizeof *t);
    double *v = sim_arena_alloc(&s->arena, ps->n * sizeof *v);
    int64_t *scratch = sim_mem_alloc(s->mem, ps->n * sizeof *scratch);
    if (t == NULL || v == NULL || scratch == NULL) {
        sim_mem_free(s->mem, scratch, ps->n * sizeof *scratch);
        return SIM_ENOMEM;
    }
    memcpy(t, ps->t_ms, ps->n * sizeof *t);
    memcpy(v, ps->v, ps->n * sizeof *v);
    *rec = (ScnRecorded){.t = t, .v = v, .n = ps->n, .csv = r->csv, .line0 = ps->line0, .si = si};
    rec->step_ms = median_step(ps, scratch);
    sim_mem_free(s->mem, scratch, ps->n * sizeof *scratch);
    return SIM_OK;
}

/* Reads the file and keeps the series sel picks, raising with the reader's
 * message (the file and the sample) after freeing what it read. */
static void load(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *path, const char *sel,
                 ScnRecorded *rec)
{
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    size_t si = 0;
    int rc = sim_prom_read(s->mem, path, &r, &err), picking = 0;
    if (rc == SIM_OK) {
        picking = 1;
        rc = sim_prom_select(&r, sel, &si, &err);
    }
    if (rc == SIM_OK && keep(s, &r, si, rec) != SIM_OK)
        rc = sim_err_set(&err, SIM_ENOMEM, "out of memory");
    sim_prom_free(&r);
    if (rc == SIM_ENOMEM) {
        s->mem->oom = 0;
        luaL_error(L, "out of memory");
    }
    if (rc != SIM_OK)
        scn_field_error(L, d, picking && sel ? "series" : "from", "%s", sim_err_msg(&err));
}

void scn_rates_decl(lua_State *L, ScnScenario *s, const ScnDecl *d, ScnRecorded *rec)
{
    memset(rec, 0, sizeof *rec);
    const char *file = scn_opt_string(L, d, "from", NULL);
    const char *sel = scn_opt_string(L, d, "series", NULL);
    if (file == NULL) {
        if (sel)
            scn_field_error(L, d, "series", "picks a series of a recording: set 'from' too");
        if (scn_field(L, d, "max_gap") != LUA_TNIL)
            scn_field_error(L, d, "max_gap", "applies to a recording: set 'from' too");
        lua_pop(L, 1);
        return;
    }
    char path[1024];
    rec_path(s, file, path, sizeof path);
    load(L, s, d, path, sel, rec);
    rec->file = scn_arena_strdup(L, s, file);
    luaL_where(L, 1);
    rec->where = scn_arena_strdup(L, s, lua_tostring(L, -1));
    lua_pop(L, 1);
    rec->label = scn_arena_strdup(L, s, d->name ? d->name : "");
    rec->max_gap_ms = scn_opt_duration(L, d, "max_gap", 0) / SIM_MS(1);
    if (scn_field(L, d, "max_gap") != LUA_TNIL && rec->max_gap_ms <= 0)
        scn_field_error(L, d, "max_gap", "must be a positive duration such as \"5m\"");
    lua_pop(L, 1);
    if (rec->max_gap_ms == 0)
        rec->max_gap_ms = rec->step_ms * DEFAULT_GAP_STEPS;
}

/* ---- the run's window ------------------------------------------------------- */
static const char *sample_at(const ScnRecorded *r, size_t i, char *buf, size_t n)
{
    char when[40];
    sim_prom_time_text(r->t[i], when, sizeof when);
    if (r->csv)
        snprintf(buf, n, "line %zu (%s)", r->line0 + i, when);
    else
        snprintf(buf, n, "data.result[%zu].values[%zu] (%s)", r->si, i, when);
    return buf;
}

static int fail(const ScnRecorded *r, SimErr *err, const char *why)
{
    return sim_err_set(err, SIM_EINVAL, "%straffic '%s': field 'from': %s: %s", r->where, r->label, r->file, why);
}

static int fail_at(const ScnRecorded *r, size_t i, SimErr *err, const char *why)
{
    char at[96], msg[300];
    snprintf(msg, sizeof msg, "%s: %s", sample_at(r, i, at, sizeof at), why);
    return fail(r, err, msg);
}

/* The run's wall-clock window must lie within the samples. */
static int check_cover(const ScnRecorded *r, int64_t start_ms, int64_t end_ms, int dated, SimErr *err)
{
    char a[40], b[40], c[40], d[40], msg[400];
    if (r->t[0] <= start_ms && r->t[r->n - 1] >= end_ms)
        return SIM_OK;
    sim_prom_time_text(r->t[0], a, sizeof a);
    sim_prom_time_text(r->t[r->n - 1], b, sizeof b);
    sim_prom_time_text(start_ms, c, sizeof c);
    sim_prom_time_text(end_ms, d, sizeof d);
    snprintf(msg, sizeof msg, "the recording (%s to %s, %zu samples) does not cover the run (%s to %s)%s", a, b,
             r->n, c, d, dated ? "" : "; the scenario has no date: set scenario { date = \"YYYY-MM-DD\" } to "
             "the recording's day");
    return fail(r, err, msg);
}

/* Every sample the run interpolates between: finite, >= 0, no wide hole. */
static int check_samples(const ScnRecorded *r, int64_t start_ms, int64_t end_ms, SimErr *err)
{
    size_t i = 0;
    while (i + 1 < r->n && r->t[i + 1] <= start_ms)
        i++;
    for (; i < r->n; i++) {
        char why[200];
        if (isnan(r->v[i]) || isinf(r->v[i]))
            return fail_at(r, i, err, isnan(r->v[i]) ? "the rate is NaN (a hole in the recording?)"
                                                     : "the rate is infinite");
        if (r->v[i] < 0) {
            snprintf(why, sizeof why, "the rate %g is negative (a counter reset read as a rate?)", r->v[i]);
            return fail_at(r, i, err, why);
        }
        if (i > 0 && r->t[i - 1] >= start_ms - (r->t[i] - r->t[i - 1]) && r->t[i] - r->t[i - 1] > r->max_gap_ms) {
            snprintf(why, sizeof why, "%.0f s since the previous sample, more than max_gap (%.0f s; the step is "
                     "%.0f s): the recording has a gap", (double)(r->t[i] - r->t[i - 1]) / 1000.0,
                     (double)r->max_gap_ms / 1000.0, (double)r->step_ms / 1000.0);
            return fail_at(r, i, err, why);
        }
        if (r->t[i] >= end_ms)
            break;
    }
    return SIM_OK;
}

int scn_rates_check(const ScnScenario *s, const ScnRecorded *r, SimErr *err)
{
    if (r->n == 0)
        return SIM_OK;
    int64_t start_ms = scn_start_unix(s) * 1000, end_ms = start_ms + s->duration / SIM_MS(1);
    int rc = check_cover(r, start_ms, end_ms, s->clock.date_set, err);
    return rc == SIM_OK ? check_samples(r, start_ms, end_ms, err) : rc;
}
