/*
 * diff.c: `kubesim diff RUN_A RUN_B`: what differs between two runs. The
 * summaries are walked generically (a key this file has never heard of is
 * still compared): every number that differs, with B - A and the change in
 * per cent of A; every other value that differs. Arrays of objects are
 * matched by their name (name, service, region, percentile), not by
 * position, so a job or node group present in one run only shows as such.
 * Then the metrics that differ most (diff_metrics.c) and, when both runs ran
 * the same scenario, the first decision where the traces part (diff_trace.c).
 *
 * Invariant: the answer is built whole before anything is printed, so an
 * error prints nothing but the message.
 */
#include "render/diff_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/fileio.h"
#include "sim/json.h"

#define PATH_MAX_KEY 512

/* Keys that differ in every pair of runs and say nothing about the runs. */
static int skipped(const char *key)
{
    return strcmp(key, "wall_seconds") == 0 || strcmp(key, "trace_sha256") == 0;
}

void rnd_diff_time(const RndClock *c, double t, char *buf, size_t n)
{
    if (c->set) {
        rnd_clock_fmt(c, t, 1, buf, n);
        return;
    }
    long long s = (long long)llround(t);
    snprintf(buf, n, "+%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

/* An element's name in a path: its name, service or percentile, and its
 * region when it has one besides ("open-backtests@us-east"); else its index. */
static void label(const cJSON *el, size_t i, char *buf, size_t n)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(el, "name");
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(el, "service");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(el, "region");
    const cJSON *pct = cJSON_GetObjectItemCaseSensitive(el, "percentile");
    const char *s = cJSON_IsString(name) ? name->valuestring : cJSON_IsString(svc) ? svc->valuestring : NULL;
    if (s && cJSON_IsString(reg))
        snprintf(buf, n, "%s@%s", s, reg->valuestring);
    else if (s)
        snprintf(buf, n, "%s", s);
    else if (cJSON_IsString(pct))
        snprintf(buf, n, "%s", pct->valuestring);
    else if (cJSON_IsNumber(pct))
        snprintf(buf, n, "p%g", pct->valuedouble);
    else
        snprintf(buf, n, "%zu", i);
}

static const cJSON *find_el(const cJSON *arr, const char *want)
{
    char l[256];
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
        label(x, i++, l, sizeof l);
        if (strcmp(l, want) == 0)
            return x;
    }
    return NULL;
}

static int leaf(const cJSON *x)
{
    return x != NULL && !cJSON_IsObject(x) && !cJSON_IsArray(x);
}

static cJSON *value_of(const cJSON *x)
{
    return x == NULL ? cJSON_CreateNull() : cJSON_Duplicate(x, 0);
}

/* One difference at path: the two values, and for two numbers the change. */
static void add_change(cJSON *list, const char *path, const cJSON *a, const cJSON *b)
{
    cJSON *o = sim_json_push(list, cJSON_CreateObject());
    cJSON_AddStringToObject(o, "key", path);
    sim_json_add_item(o, "a", value_of(a));
    sim_json_add_item(o, "b", value_of(b));
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        cJSON_AddNumberToObject(o, "delta", b->valuedouble - a->valuedouble);
        if (a->valuedouble != 0)
            cJSON_AddNumberToObject(o, "percent", 100.0 * (b->valuedouble - a->valuedouble) / fabs(a->valuedouble));
        else
            cJSON_AddNullToObject(o, "percent");
    }
}

static int same_leaf(const cJSON *a, const cJSON *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    return cJSON_Compare(a, b, 1);
}

static void walk(cJSON *list, const char *path, const cJSON *a, const cJSON *b);

static void sub(cJSON *list, const char *path, const char *key, const cJSON *a, const cJSON *b)
{
    char p[PATH_MAX_KEY];
    snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
    walk(list, p, a, b);
}

static void walk_object(cJSON *list, const char *path, const cJSON *a, const cJSON *b)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
        if (!skipped(x->string))
            sub(list, path, x->string, x, cJSON_GetObjectItemCaseSensitive(b, x->string));
    cJSON_ArrayForEach(x, b)
        if (!skipped(x->string) && !cJSON_HasObjectItem(a, x->string))
            sub(list, path, x->string, NULL, x);
}

/* Elements matched by label: a's in its order, then those only in b. */
static void walk_array(cJSON *list, const char *path, const cJSON *a, const cJSON *b)
{
    char l[256], p[PATH_MAX_KEY];
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        label(x, i++, l, sizeof l);
        snprintf(p, sizeof p, "%s[%s]", path, l);
        walk(list, p, x, find_el(b, l));
    }
    i = 0;
    cJSON_ArrayForEach(x, b) {
        label(x, i++, l, sizeof l);
        snprintf(p, sizeof p, "%s[%s]", path, l);
        if (find_el(a, l) == NULL)
            walk(list, p, NULL, x);
    }
}

static void walk(cJSON *list, const char *path, const cJSON *a, const cJSON *b)
{
    if (leaf(a) || leaf(b) || (a && b && cJSON_IsObject(a) != cJSON_IsObject(b))) {
        if (!same_leaf(a, b))
            add_change(list, path, leaf(a) ? a : NULL, leaf(b) ? b : NULL);
        return;
    }
    if (cJSON_IsObject(a) || cJSON_IsObject(b))
        walk_object(list, path, a, b);
    else
        walk_array(list, path, a, b);
}

/* ---- loading ----------------------------------------------------------------- */
typedef struct Run {
    const char *dir;
    char summary_path[4200], metrics_path[4200], trace_path[4200];
    char *summary, *metrics;
    size_t slen, mlen;
    cJSON *sj;
} Run;

static int exists(const char *path, const char *dir, const char *what, SimErr *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sim_err_set(err, SIM_EIO, "%s: no %s in run folder %s (a sweep keeps each configuration's with "
                                         "--keep-runs)", path, what, dir);
    fclose(f);
    return SIM_OK;
}

static int load(SimMem *m, Run *r, SimErr *err)
{
    snprintf(r->summary_path, sizeof r->summary_path, "%s/summary.json", r->dir);
    snprintf(r->metrics_path, sizeof r->metrics_path, "%s/metrics.csv", r->dir);
    snprintf(r->trace_path, sizeof r->trace_path, "%s/trace.kst", r->dir);
    FILE *d = fopen(r->dir, "r");
    if (d == NULL)
        return sim_err_set(err, SIM_EIO, "%s: no such run folder", r->dir);
    fclose(d);
    int rc = sim_file_read(m, r->summary_path, SIM_FILE_MAX_JSON, "a summary", &r->summary, &r->slen, err);
    if (rc == SIM_OK)
        rc = exists(r->metrics_path, r->dir, "metrics.csv", err);
    if (rc == SIM_OK)
        rc = exists(r->trace_path, r->dir, "trace.kst", err);
    if (rc == SIM_OK)
        rc = sim_file_read(m, r->metrics_path, SIM_FILE_MAX_CSV, "a run's metrics.csv", &r->metrics, &r->mlen, err);
    if (rc != SIM_OK)
        return rc;
    r->sj = cJSON_ParseWithLength(r->summary, r->slen);
    if (r->sj == NULL && !m->oom)
        return sim_err_set(err, SIM_EINVAL, "%s: not valid JSON", r->summary_path);
    if (r->sj != NULL && !cJSON_IsObject(r->sj))
        return sim_err_set(err, SIM_EINVAL, "%s: not a kubesim summary (not a JSON object)", r->summary_path);
    return r->sj ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "out of memory reading %s", r->summary_path);
}

static void unload(SimMem *m, Run *r)
{
    cJSON_Delete(r->sj);
    if (r->summary)
        sim_mem_free(m, r->summary, r->slen + 1);
    if (r->metrics)
        sim_mem_free(m, r->metrics, r->mlen + 1);
}

static const char *str_key(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static void add_run(cJSON *answer, const char *key, const Run *r)
{
    cJSON *o = sim_json_add_item(answer, key, cJSON_CreateObject());
    cJSON_AddStringToObject(o, "dir", r->dir);
    cJSON_AddStringToObject(o, "scenario", str_key(r->sj, "scenario"));
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(r->sj, "seed");
    sim_json_add_item(o, "seed", value_of(cJSON_IsNumber(seed) ? seed : NULL));
}

static int build(SimMem *m, const SimTrSchema *schema, Run *a, Run *b, cJSON *answer, SimErr *err)
{
    RndClock clk;
    rnd_clock_read(&clk, a->sj);
    add_run(answer, "a", a);
    add_run(answer, "b", b);
    int same = strcmp(str_key(a->sj, "scenario"), str_key(b->sj, "scenario")) == 0;
    cJSON_AddBoolToObject(answer, "same_scenario", same);
    walk(sim_json_add_item(answer, "summary", cJSON_CreateArray()), "", a->sj, b->sj);
    int rc = rnd_diff_metrics(m, a->metrics, a->mlen, a->metrics_path, b->metrics, b->mlen, b->metrics_path, &clk,
                              answer, err);
    if (rc == SIM_OK && same)
        rc = rnd_diff_traces(m, schema, a->trace_path, b->trace_path, &clk, answer, err);
    return rc;
}

/* ---- printing ---------------------------------------------------------------- */
static void print_value(const cJSON *x, FILE *out)
{
    if (cJSON_IsNumber(x))
        fprintf(out, " %14.6g", x->valuedouble);
    else if (cJSON_IsString(x))
        fprintf(out, " %14s", x->valuestring);
    else if (cJSON_IsBool(x))
        fprintf(out, " %14s", cJSON_IsTrue(x) ? "true" : "false");
    else
        fprintf(out, " %14s", "(absent)");
}

static void print_summary(const cJSON *list, FILE *out)
{
    const cJSON *x;
    fprintf(out, "\nsummary (%d differences; B - A, %% of A):\n", cJSON_GetArraySize(list));
    cJSON_ArrayForEach(x, list) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(x, "delta");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "percent");
        fprintf(out, "  %-52s", str_key(x, "key"));
        print_value(cJSON_GetObjectItemCaseSensitive(x, "a"), out);
        print_value(cJSON_GetObjectItemCaseSensitive(x, "b"), out);
        if (cJSON_IsNumber(d))
            fprintf(out, " %+14.6g", d->valuedouble);
        if (cJSON_IsNumber(p))
            fprintf(out, " %+8.1f%%", p->valuedouble);
        else if (cJSON_IsNumber(d))
            fprintf(out, " %9s", "(A 0)");
        fputc('\n', out);
    }
}

static void print_metrics(const cJSON *list, FILE *out)
{
    const cJSON *x;
    if (cJSON_GetArraySize(list) == 0) {
        fprintf(out, "\nmetrics: every series agrees\n");
        return;
    }
    fprintf(out, "\nmetrics where the runs differ most (at the sample where they differ most):\n");
    cJSON_ArrayForEach(x, list) {
        fprintf(out, "  %-52s at %-10s A %-12.6g B %-12.6g (%+.6g)\n", str_key(x, "series"), str_key(x, "time"),
                cJSON_GetObjectItemCaseSensitive(x, "a")->valuedouble,
                cJSON_GetObjectItemCaseSensitive(x, "b")->valuedouble,
                cJSON_GetObjectItemCaseSensitive(x, "delta")->valuedouble);
    }
}

static void print_text(const cJSON *ans, FILE *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(ans, "a"), *b = cJSON_GetObjectItemCaseSensitive(ans, "b");
    fprintf(out, "A: %s (%s)\nB: %s (%s)\n", str_key(a, "dir"), str_key(a, "scenario"), str_key(b, "dir"),
            str_key(b, "scenario"));
    print_summary(cJSON_GetObjectItemCaseSensitive(ans, "summary"), out);
    print_metrics(cJSON_GetObjectItemCaseSensitive(ans, "metrics"), out);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(ans, "configuration"), *x;
    if (cJSON_GetArraySize(cfg) > 0) {
        fprintf(out, "\nconfiguration that differs:\n");
        cJSON_ArrayForEach(x, cfg)
            fprintf(out, "  %s\n", x->valuestring);
    }
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(ans, "divergence");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "same_scenario")))
        fprintf(out, "\nthe runs ran different scenarios: their decisions are not compared\n");
    else if (cJSON_IsObject(dv))
        fprintf(out, "\n%s\n", str_key(dv, "message"));
    else
        fprintf(out, "\nthe two runs took the same decisions\n");
}

int rnd_diff(SimMem *m, const SimTrSchema *schema, const char *run_a, const char *run_b, int as_json, FILE *out,
             SimErr *err)
{
    Run a = {.dir = run_a}, b = {.dir = run_b};
    SimJsonScope js;
    sim_json_begin(&js, m);
    cJSON *answer = cJSON_CreateObject();
    int rc = load(m, &a, err);
    if (rc == SIM_OK)
        rc = load(m, &b, err);
    if (rc == SIM_OK)
        rc = build(m, schema, &a, &b, answer, err);
    char *text = rc == SIM_OK && as_json ? cJSON_Print(answer) : NULL;
    if (sim_json_end(&js) != SIM_OK && rc == SIM_OK)
        rc = sim_err_set(err, SIM_ENOMEM, "out of memory comparing %s and %s", run_a, run_b);
    if (rc == SIM_OK && as_json)
        fprintf(out, "%s\n", text);
    else if (rc == SIM_OK)
        print_text(answer, out);
    cJSON_free(text);
    cJSON_Delete(answer);
    unload(m, &a);
    unload(m, &b);
    return rc;
}
