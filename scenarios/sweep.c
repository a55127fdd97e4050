/*
 * sweep.c: the grid of a sweep, its rows and their CSV and JSON forms.
 *
 * Invariant: nconf is the product of the axes' value counts (at most
 * SCN_SWEEP_MAX_CONFIGS), rows has nconf entries once the first row is
 * recorded, and a row's `have` says whether configuration i ran (or was
 * merged) here. Configuration i's value on axis k is digit k of i in the
 * mixed radix of the axes' sizes, the last axis least significant.
 */
#include "scenarios/sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "sim/json.h"

typedef struct Axis {
    char *name;
    char **vals;        /* "NAME=VALUE" each, so --set takes them as they are */
    size_t n, cap;
} Axis;

/* The figures of a row, each one where more is worse; F_DONE only with a
 * job: or queue: objective, F_WAIT (the queue's p95 wait) only with a
 * queue: one. */
enum { F_COST, F_VIOL, F_P95, F_ERR, F_PEND, F_DONE, F_WAIT, NFIG };
static const char *const fig_key[NFIG] = {"cost_usd", "slo_violation_seconds", "latency_p95_ms", "error_rate",
                                          "pending_peak", "completion_seconds", "wait_p95_seconds"};

typedef struct Row {
    int have;
    int read_ok;        /* -1: ok is computed from the seeds; 0 or 1: read from a merged CSV */
    double mean[NFIG];  /* over the seeds that measured the figure (n[f] of them), kept as a running
                           mean so that equal values give exactly that value (never above the worst) */
    double worst[NFIG];
    int32_t n[NFIG];
    int32_t passed, failed;   /* expectations of the worst seed (the most failed) */
    int32_t seeds, seeds_ok;
    int unfinished;     /* a seed's Job or queue never finished (completion_seconds: none) */
} Row;

enum { OBJ_NONE, OBJ_SERVICE, OBJ_JOB, OBJ_QUEUE };

struct ScnSweep {
    SimMem *m;
    Axis *ax;
    size_t nax, capax;
    size_t nconf;
    Row *rows;
    int merging;        /* axes came from a CSV header: values are recovered later */
    char *scenario;     /* a merge: the shards' scenario name and seed (NULL, -1: not known) */
    int64_t seed;
    size_t seeds;       /* runs per configuration */
    double pass_rate;   /* fraction of them that must pass */
    int obj;            /* OBJ_*: what the rows are scoped to */
    char *objective;    /* "KIND:NAME" as given (NULL: none) */
    const char *obj_name;   /* inside objective */
    int has_done;       /* rows carry completion_seconds */
    int has_wait;       /* rows carry wait_p95_seconds (a queue: objective) */
    int xs[16], nx;     /* a merge: the extra columns of the first file */
    int has_run;        /* path and sets below are known (a merge: from the shards) */
    char *path;         /* the scenario file as given (NULL: the built-in one) */
    char **sets;        /* the sweep's own --set values */
    size_t nsets;
    char *clock;        /* the runs' "timezone", "date", "clock" as JSON text (NULL: the scenario sets none) */
    SimErr err;         /* why the last call on the sweep failed (scn_sweep_errmsg) */
};

/* Failures of the functions acting on a sweep w: the message goes on w. */
#define ERR(...) sim_err_set(&w->err, SIM_EINVAL, __VA_ARGS__)
#define OOM() sim_err_set(&w->err, SIM_ENOMEM, "out of memory")

ScnSweep *scn_sweep_new(SimMem *m)
{
    ScnSweep *w = sim_mem_calloc(m, 1, sizeof *w);
    if (w) {
        w->m = m;
        w->nconf = 1;
        w->seed = -1;
        w->seeds = 1;
        w->pass_rate = 1.0;
    }
    return w;
}

static void axis_free(SimMem *m, Axis *a)
{
    for (size_t i = 0; i < a->n; i++)
        sim_mem_strfree(m, a->vals[i]);
    sim_mem_free(m, a->vals, a->cap * sizeof *a->vals);
    sim_mem_strfree(m, a->name);
}

const char *scn_sweep_errmsg(const ScnSweep *w) { return sim_err_msg(&w->err); }

static void run_free(ScnSweep *w)
{
    for (size_t i = 0; i < w->nsets; i++)
        if (w->sets[i])
            sim_mem_strfree(w->m, w->sets[i]);
    if (w->sets)
        sim_mem_free(w->m, w->sets, w->nsets * sizeof *w->sets);
    if (w->path)
        sim_mem_strfree(w->m, w->path);
    w->sets = NULL;
    w->path = NULL;
    w->nsets = 0;
    w->has_run = 0;
}

void scn_sweep_free(ScnSweep *w)
{
    if (w && w->clock)
        sim_mem_strfree(w->m, w->clock);
    if (w == NULL)
        return;
    for (size_t k = 0; k < w->nax; k++)
        axis_free(w->m, &w->ax[k]);
    sim_mem_free(w->m, w->ax, w->capax * sizeof *w->ax);
    if (w->rows)
        sim_mem_free(w->m, w->rows, w->nconf * sizeof *w->rows);
    if (w->scenario)
        sim_mem_strfree(w->m, w->scenario);
    run_free(w);
    if (w->objective)
        sim_mem_strfree(w->m, w->objective);
    sim_mem_free(w->m, w, sizeof *w);
}

size_t scn_sweep_axes(const ScnSweep *w) { return w->nax; }
size_t scn_sweep_configs(const ScnSweep *w) { return w->nconf; }

/* The value index of configuration i on axis k. */
static size_t digit(const ScnSweep *w, size_t i, size_t k)
{
    for (size_t j = w->nax; j-- > k + 1;)
        i /= w->ax[j].n;
    return i % w->ax[k].n;
}

void scn_sweep_seeds(ScnSweep *w, size_t n, double pass_rate)
{
    SIM_ASSERT(n >= 1 && pass_rate > 0 && pass_rate <= 1);
    w->seeds = n;
    w->pass_rate = pass_rate;
}

size_t scn_sweep_nseeds(const ScnSweep *w) { return w->seeds; }

int scn_sweep_objective(ScnSweep *w, const char *spec)
{
    static const char *const kinds[] = {"service:", "job:", "queue:", NULL};
    int kind = OBJ_NONE;
    for (int k = 0; kinds[k] && kind == OBJ_NONE; k++)
        if (strncmp(spec, kinds[k], strlen(kinds[k])) == 0 && spec[strlen(kinds[k])] != '\0')
            kind = OBJ_SERVICE + k;
    if (kind == OBJ_NONE)
        return ERR("--objective %s: expected service:NAME, job:NAME or queue:NAME", spec);
    char *copy = sim_mem_strdup(w->m, spec);
    if (copy == NULL)
        return OOM();
    if (w->objective)
        sim_mem_strfree(w->m, w->objective);
    w->objective = copy;
    w->obj = kind;
    w->obj_name = strchr(copy, ':') + 1;
    w->has_done = kind != OBJ_SERVICE;
    w->has_wait = kind == OBJ_QUEUE;
    return SIM_OK;
}

int scn_sweep_wants_metrics(const ScnSweep *w) { return w->obj == OBJ_JOB || w->obj == OBJ_QUEUE; }

int scn_sweep_rerun_base(ScnSweep *w, const char *path, const char *const *sets, size_t nsets, int64_t seed)
{
    run_free(w);
    w->seed = seed;
    if (path && (w->path = sim_mem_strdup(w->m, path)) == NULL)
        return OOM();
    if (nsets && (w->sets = sim_mem_calloc(w->m, nsets, sizeof *w->sets)) == NULL)
        return OOM();
    w->nsets = nsets;   /* run_free frees what was copied */
    for (size_t i = 0; i < nsets; i++)
        if ((w->sets[i] = sim_mem_strdup(w->m, sets[i])) == NULL)
            return OOM();
    w->has_run = 1;
    return SIM_OK;
}

/* Appends s to buf (used of n), quoted for a POSIX shell unless it is made
 * only of characters no shell treats specially. */
static void shell_word(char *buf, size_t n, size_t *used, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%";
    int quote = s[0] == '\0' || strspn(s, plain) != strlen(s);
    char tmp[4096];
    size_t k = 0;
    if (quote)
        tmp[k++] = '\'';
    for (; *s && k + 5 < sizeof tmp; s++) {
        if (*s == '\'') {
            memcpy(tmp + k, "'\\''", 4);
            k += 4;
        } else {
            tmp[k++] = *s;
        }
    }
    if (quote)
        tmp[k++] = '\'';
    tmp[k] = '\0';
    int r = snprintf(buf + *used, n - *used, " %s", tmp);
    *used += r > 0 && (size_t)r < n - *used ? (size_t)r : n - *used - 1;
}

void scn_sweep_rerun(const ScnSweep *w, size_t config, int64_t seed, char *buf, size_t n)
{
    char num[32];
    size_t used = 0;
    snprintf(buf, n, "kubesim run");
    used = strlen(buf);
    if (w->path)
        shell_word(buf, n, &used, w->path);
    snprintf(num, sizeof num, "%lld", (long long)seed);
    shell_word(buf, n, &used, "--seed");
    shell_word(buf, n, &used, num);
    for (size_t i = 0; i < w->nsets; i++) {
        shell_word(buf, n, &used, "--set");
        shell_word(buf, n, &used, w->sets[i]);
    }
    for (size_t k = 0; k < w->nax; k++) {
        shell_word(buf, n, &used, "--set");
        shell_word(buf, n, &used, w->ax[k].vals[digit(w, config, k)]);
    }
}

/* ---- axes ------------------------------------------------------------------ */
static Axis *axis_add(ScnSweep *w, const char *name, size_t len)
{
    if (sim_mem_grow(w->m, (void **)&w->ax, &w->capax, w->nax + 1, sizeof *w->ax) != SIM_OK)
        return NULL;
    Axis *a = &w->ax[w->nax];
    memset(a, 0, sizeof *a);
    if ((a->name = sim_mem_alloc(w->m, len + 1)) == NULL)
        return NULL;
    memcpy(a->name, name, len);
    a->name[len] = '\0';
    w->nax++;
    return a;
}

static int value_add(ScnSweep *w, Axis *a, const char *v, size_t len)
{
    size_t nl = strlen(a->name);
    if (sim_mem_grow(w->m, (void **)&a->vals, &a->cap, a->n + 1, sizeof *a->vals) != SIM_OK)
        return SIM_ENOMEM;
    char *s = sim_mem_alloc(w->m, nl + len + 2);
    if (s == NULL)
        return SIM_ENOMEM;
    snprintf(s, nl + len + 2, "%s=%.*s", a->name, (int)len, v);
    a->vals[a->n++] = s;
    return SIM_OK;
}

/* The value part of an axis' "NAME=VALUE". */
static const char *value_of(const Axis *a, size_t v)
{
    return a->vals[v] + strlen(a->name) + 1;
}

static size_t value_find(const Axis *a, const char *v, size_t len)
{
    for (size_t i = 0; i < a->n; i++)
        if (strlen(value_of(a, i)) == len && memcmp(value_of(a, i), v, len) == 0)
            return i;
    return SIZE_MAX;
}

static size_t axis_find(const ScnSweep *w, const char *name, size_t len)
{
    for (size_t k = 0; k < w->nax; k++)
        if (strlen(w->ax[k].name) == len && memcmp(w->ax[k].name, name, len) == 0)
            return k;
    return SIZE_MAX;
}

int scn_sweep_vary(ScnSweep *w, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || eq[1] == '\0')
        return ERR("--vary %s: expected NAME=V1,V2,...", spec);
    if (axis_find(w, spec, (size_t)(eq - spec)) != SIZE_MAX)
        return ERR("--vary %s: %.*s is varied twice", spec, (int)(eq - spec), spec);
    Axis *a = axis_add(w, spec, (size_t)(eq - spec));
    if (a == NULL)
        return OOM();
    for (const char *p = eq + 1;; p++) {
        size_t n = strcspn(p, ",");
        if (n == 0)
            return ERR("--vary %s: an empty value", spec);
        if (value_find(a, p, n) != SIZE_MAX)
            return ERR("--vary %s: the value '%.*s' is listed twice", spec, (int)n, p);
        if (value_add(w, a, p, n) != SIM_OK)
            return OOM();
        p += n;
        if (*p == '\0')
            break;
    }
    if (w->nconf * a->n > SCN_SWEEP_MAX_CONFIGS)
        return ERR("--vary %s: the sweep would have more than %d configurations", spec, SCN_SWEEP_MAX_CONFIGS);
    w->nconf *= a->n;
    return SIM_OK;
}

void scn_sweep_sets(const ScnSweep *w, size_t config, const char **sets)
{
    for (size_t k = 0; k < w->nax; k++)
        sets[k] = w->ax[k].vals[digit(w, config, k)];
}

void scn_sweep_label(const ScnSweep *w, size_t config, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < w->nax && used < n; k++) {
        int r = snprintf(buf + used, n - used, "%s%s", k ? " " : "", w->ax[k].vals[digit(w, config, k)]);
        used += r > 0 ? (size_t)r : 0;
    }
}

ScnScenario *scn_sweep_load(const ScnSweep *w, size_t config, const ScnOptions *base, SimErr *err)
{
    size_t n = base->nsets + w->nax;
    char **sets = sim_mem_calloc(w->m, n + 1, sizeof *sets);
    if (sets == NULL) {
        sim_err_set(err, SIM_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < base->nsets; i++)
        sets[i] = base->sets[i];
    scn_sweep_sets(w, config, (const char **)sets + base->nsets);
    ScnOptions o = *base;
    o.sets = sets;
    o.nsets = n;
    char label[512];
    SimErr why = SIM_ERR_INIT;
    ScnScenario *s = scn_load(w->m, &o, &why);
    sim_mem_free(w->m, sets, (n + 1) * sizeof *sets);
    if (s == NULL) {
        scn_sweep_label(w, config, label, sizeof label);
        sim_err_set(err, sim_err_code(&why), "configuration %zu (%s): %s", config, label, sim_err_msg(&why));
    }
    return s;
}

/* ---- rows ------------------------------------------------------------------ */
static Row *row_slot(ScnSweep *w, size_t config)
{
    if (w->rows == NULL && (w->rows = sim_mem_calloc(w->m, w->nconf, sizeof *w->rows)) == NULL)
        return NULL;
    return &w->rows[config];
}

static double num(const cJSON *o, const char *key, double deflt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : deflt;
}

/* One seed's figures (NAN: not measured) and expectations. */
typedef struct Seed {
    double fig[NFIG];
    int32_t passed, failed;
} Seed;

/* The SLO entries, one per service and region (only the objective's
 * service's with a service: objective): violation seconds add up; the
 * worst p95 and error rate stand for the configuration. How many entries
 * counted goes to *matched. */
static void slo_of(const ScnSweep *w, const cJSON *slo, Seed *sd, int *matched)
{
    const cJSON *x;
    sd->fig[F_VIOL] = sd->fig[F_ERR] = 0;
    cJSON_ArrayForEach(x, slo) {
        const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "service"));
        if (w->obj == OBJ_SERVICE && (svc == NULL || strcmp(svc, w->obj_name) != 0))
            continue;
        ++*matched;
        sd->fig[F_VIOL] += num(x, "violation_seconds", 0);
        double p95 = num(x, "latency_p95_ms", NAN), e = num(x, "error_rate", 0);
        if (isfinite(p95) && !(p95 <= sd->fig[F_P95]))
            sd->fig[F_P95] = p95;
        if (e > sd->fig[F_ERR])
            sd->fig[F_ERR] = e;
    }
}

/* The JSON text parsed through the sweep's allocator into *root (NULL for
 * text that is not JSON). SIM_OK, or SIM_ENOMEM with *root NULL. */
static int parse(const ScnSweep *w, const char *json, size_t len, cJSON **root)
{
    SimJsonScope js;
    sim_json_begin(&js, w->m);
    *root = cJSON_ParseWithLength(json, len);
    int rc = sim_json_end(&js);
    if (rc != SIM_OK) {
        cJSON_Delete(*root);
        *root = NULL;
    }
    return rc;
}

/* ---- completion from metrics.csv --------------------------------------------- */
/* A Job's or queue's course in metrics.csv: when it first appears, and since
 * when its state (the metrics that say it is working or done) last changed. */
typedef struct Course {
    double first, since;
    double running, done, waiting;   /* running/busy_workers, succeeded/completed, queue length */
    int seen;
} Course;

static int obj_row(const ScnSweep *w, const char *kind, const char *name)
{
    const char *want = w->obj == OBJ_JOB ? "job" : "queue";
    size_t nl = strlen(w->obj_name);
    if (strcmp(kind, want) != 0 || strncmp(name, w->obj_name, nl) != 0)
        return 0;
    if (name[nl] == '\0')
        return 1;
    /* a CronJob's Jobs: NAME-<scheduled minute> */
    return w->obj == OBJ_JOB && name[nl] == '-' && name[nl + 1] &&
           strspn(name + nl + 1, "0123456789") == strlen(name + nl + 1);
}

/* A Job starts when it first appears; a queue (there from the start) when
 * something first waits in it, runs or completes. */
static void course_step(Course *c, double t, const char *metric, double v, int queue)
{
    double *slot = NULL;
    if (!strcmp(metric, "running") || !strcmp(metric, "busy_workers"))
        slot = &c->running;
    else if (!strcmp(metric, "succeeded") || !strcmp(metric, "completed"))
        slot = &c->done;
    else if (!strcmp(metric, "length"))
        slot = &c->waiting;
    if (!c->seen && (!queue || (slot && v != 0))) {
        c->seen = 1;
        c->first = c->since = t;
    }
    if (slot && *slot != v) {
        *slot = v;
        c->since = t;
    }
}

#define MAX_COURSES 64

static int csv_record(const char **p, const char *end, char *buf, size_t bufn, const char **fields, int maxf);

/* The objective's completion seconds (NAN: some Job or the queue never
 * finished) from a metrics.csv (t_seconds,region,object,name,metric,value);
 * SIM_EINVAL when it names nothing of the objective. */
static int completion(ScnSweep *w, size_t config, const char *csv, size_t len, double *out)
{
    Course cs[MAX_COURSES];
    char names[MAX_COURSES][128];
    size_t nc = 0;
    const char *p = csv, *end = csv + len, *f[8];
    char buf[1024];
    memset(cs, 0, sizeof cs);
    if (csv_record(&p, end, buf, sizeof buf, f, 8) != 6)
        return ERR("configuration %zu: its metrics.csv is not a kubesim metrics file", config);
    while (p < end) {
        if (csv_record(&p, end, buf, sizeof buf, f, 8) != 6 || !obj_row(w, f[2], f[3]))
            continue;
        size_t k = 0;
        while (k < nc && strcmp(names[k], f[3]) != 0)
            k++;
        if (k == nc && nc < MAX_COURSES)
            snprintf(names[nc++], sizeof names[0], "%s", f[3]);
        if (k < nc)
            course_step(&cs[k], strtod(f[0], NULL), f[4], strtod(f[5], NULL), w->obj == OBJ_QUEUE);
    }
    if (nc == 0)
        return ERR("--objective %s: configuration %zu's metrics.csv has no %s named %s", w->objective, config,
                   w->obj == OBJ_JOB ? "Job" : "queue", w->obj_name);
    *out = 0;
    for (size_t k = 0; k < nc && isfinite(*out); k++) {
        int finished = cs[k].seen && cs[k].running == 0 && cs[k].waiting == 0 && cs[k].done > 0;
        *out = finished ? fmax(*out, cs[k].since) : NAN;
    }
    return SIM_OK;
}

/* The objective's completion seconds from summary.json, exact where
 * metrics.csv has the sample interval's grain: when the Job (the last of its
 * CronJob's Jobs) finished or the queue's last request completed, in seconds
 * since the run's start, so that the page can put it on the scenario's clock
 * ("done by 06:00"); NAN when one never finished (a null makespan). 0 when
 * the summary lacks the keys (an older kubesim's) or names nothing of the
 * objective: the caller then reads metrics.csv. */
static int summary_completion(const ScnSweep *w, const cJSON *root, double *out)
{
    const cJSON *list = w->obj == OBJ_JOB ? cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(root, "jobs"), "list")
                                          : cJSON_GetObjectItemCaseSensitive(root, "queues");
    const cJSON *x;
    int found = 0;
    *out = 0;
    cJSON_ArrayForEach(x, (cJSON_IsArray(list) ? list : NULL)) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "name"));
        const char *cron = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "cronjob"));
        if (!(name && strcmp(name, w->obj_name) == 0) && !(cron && strcmp(cron, w->obj_name) == 0))
            continue;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "makespan_seconds");
        const cJSON *done = cJSON_GetObjectItemCaseSensitive(
            x, w->obj == OBJ_JOB ? "finish_seconds" : "last_completion_seconds");
        if (m == NULL || done == NULL)
            return 0;   /* queues[] without the completion figures */
        found = 1;
        *out = cJSON_IsNumber(m) && cJSON_IsNumber(done) && isfinite(*out) ? fmax(*out, done->valuedouble) : NAN;
    }
    return found;
}

/* The queue objective's p95 wait (wait_p95_seconds of its queues[] entry in
 * summary.json); NAN when the summary has none (an older kubesim's, or no
 * request was taken). */
static double summary_wait(const ScnSweep *w, const cJSON *root)
{
    const cJSON *x, *list = cJSON_GetObjectItemCaseSensitive(root, "queues");
    cJSON_ArrayForEach(x, (cJSON_IsArray(list) ? list : NULL)) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "name"));
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, "wait_p95_seconds");
        if (name && strcmp(name, w->obj_name) == 0)
            return cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    return NAN;
}

/* Adds one seed to the row: sums and worst values, the worst seed's
 * expectations, and whether this seed passed. */
static void row_add(Row *r, const Seed *sd)
{
    for (int f = 0; f < NFIG; f++) {
        if (!isfinite(sd->fig[f]))
            continue;
        r->worst[f] = r->n[f] ? fmax(r->worst[f], sd->fig[f]) : sd->fig[f];
        r->n[f]++;
        r->mean[f] += (sd->fig[f] - r->mean[f]) / r->n[f];
    }
    if (r->seeds == 0 || sd->failed > r->failed) {
        r->passed = sd->passed;
        r->failed = sd->failed;
    }
    r->seeds++;
    r->seeds_ok += sd->failed == 0;
}

static int seed_of(ScnSweep *w, size_t config, const cJSON *root, const char *metrics, size_t mlen, Seed *sd)
{
    int matched = 0;
    for (int f = 0; f < NFIG; f++)
        sd->fig[f] = NAN;
    sd->fig[F_COST] = cJSON_GetObjectItemCaseSensitive(root, "cost_usd")->valuedouble;
    slo_of(w, cJSON_GetObjectItemCaseSensitive(root, "slo"), sd, &matched);
    if (w->obj == OBJ_SERVICE && matched == 0)
        return ERR("--objective %s: configuration %zu's summary has no SLO of service %s", w->objective, config,
                   w->obj_name);
    sd->fig[F_PEND] = num(cJSON_GetObjectItemCaseSensitive(root, "pods"), "pending_peak", 0);
    const cJSON *x;
    sd->passed = sd->failed = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(root, "expectations")) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "passed")))
            sd->passed++;
        else
            sd->failed++;
    }
    if (w->has_wait)
        sd->fig[F_WAIT] = summary_wait(w, root);
    if (!scn_sweep_wants_metrics(w) || summary_completion(w, root, &sd->fig[F_DONE]))
        return SIM_OK;
    if (metrics == NULL)
        return ERR("--objective %s: configuration %zu has no metrics.csv", w->objective, config);
    return completion(w, config, metrics, mlen, &sd->fig[F_DONE]);
}

/* The scenario's clock as the first run's summary gives it (every
 * configuration runs the same scenario{}), for sweep.json and its page. */
static int keep_clock(ScnSweep *w, const cJSON *root)
{
    static const char *const keys[] = {"timezone", "date", "clock"};
    SimJsonScope js;
    sim_json_begin(&js, w->m);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < 3; i++)
        sim_json_add_item(o, keys[i], cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, keys[i]), 1));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int rc = sim_json_end(&js);
    if (rc == SIM_OK && text)
        w->clock = sim_mem_strdup(w->m, text);
    sim_json_begin(&js, w->m);
    cJSON_free(text);
    (void)sim_json_end(&js);
    return w->clock ? SIM_OK : OOM();
}

int scn_sweep_add_run(ScnSweep *w, size_t config, const char *json, size_t len, const char *metrics, size_t mlen)
{
    SIM_ASSERT(config < w->nconf);
    cJSON *root;
    if (parse(w, json, len, &root) != SIM_OK)
        return OOM();
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(root, "cost_usd");
    int rc;
    Seed sd;
    Row *r = NULL;
    if (cJSON_IsObject(root) && cJSON_IsNull(cost))
        rc = ERR("configuration %zu: its cost is unknown (a node group has price = \"unknown\"): a sweep compares "
                 "costs, so give every group a price (--set GROUP.price=USD)", config);
    else if (!cJSON_IsObject(root) || !cJSON_IsNumber(cost))
        rc = ERR("configuration %zu: its summary.json is not a kubesim summary", config);
    else if ((r = row_slot(w, config)) == NULL)
        rc = OOM();
    else
        rc = seed_of(w, config, root, metrics, mlen, &sd);
    if (rc == SIM_OK && w->clock == NULL && cJSON_GetObjectItemCaseSensitive(root, "clock"))
        rc = keep_clock(w, root);
    if (rc == SIM_OK) {
        if (!r->have) {
            memset(r, 0, sizeof *r);
            r->have = 1;
            r->read_ok = -1;
        }
        row_add(r, &sd);
        r->unfinished |= w->has_done && !isfinite(sd.fig[F_DONE]);
    }
    cJSON_Delete(root);
    return rc;
}

int scn_sweep_add_summary(ScnSweep *w, size_t config, const char *json, size_t len)
{
    return scn_sweep_add_run(w, config, json, len, NULL, 0);
}

static double mean(const Row *r, int f)
{
    return r->n[f] ? r->mean[f] : NAN;
}

/* A row passes when at least pass_rate of the sweep's seeds passed every
 * expectation (a seed not run counts as failed). */
static int row_ok(const ScnSweep *w, const Row *r)
{
    if (r->read_ok >= 0)
        return r->read_ok;
    size_t seeds = w->seeds > (size_t)r->seeds ? w->seeds : (size_t)r->seeds;
    return (double)r->seeds_ok >= ceil(w->pass_rate * (double)seeds - 1e-9);
}

size_t scn_sweep_cheapest(const ScnSweep *w)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; w->rows && i < w->nconf; i++) {
        const Row *r = &w->rows[i];
        if (r->have && row_ok(w, r) && (best == SIZE_MAX || mean(r, F_COST) < mean(&w->rows[best], F_COST)))
            best = i;
    }
    return best;
}

/* ---- CSV ------------------------------------------------------------------- */
static const char *const metric_cols[] = {"cost_usd", "slo_violation_seconds", "latency_p95_ms", "error_rate",
                                          "pending_peak", "expectations_passed", "expectations_failed", "ok",
                                          NULL};
#define NMETRIC 8
#define MAX_EXTRA 16

static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v)
{
    char buf[SIM_NUM_LEN];
    fputs(sim_num(v, buf), f);
}

/* Columns after ok (scn_sweep_write_csv): completion_seconds with a job: or
 * queue: objective, wait_p95_seconds with a queue: one; with more than one
 * seed, seeds, seeds_passed and the worst of each figure (X_WORST + figure). */
enum { X_WAIT = -4, X_DONE = -1, X_SEEDS = -2, X_SEEDS_OK = -3, X_WORST = 0 };

/* The last figure the rows carry. */
static int last_fig(const ScnSweep *w)
{
    return w->has_wait ? F_WAIT : w->has_done ? F_DONE : F_PEND;
}

static int extras(const ScnSweep *w, int *xs)
{
    int n = 0;
    if (w->has_done)
        xs[n++] = X_DONE;
    if (w->has_wait)
        xs[n++] = X_WAIT;
    if (w->seeds <= 1)
        return n;
    xs[n++] = X_SEEDS;
    xs[n++] = X_SEEDS_OK;
    for (int f = F_COST; f <= last_fig(w); f++)
        xs[n++] = X_WORST + f;
    return n;
}

static const char *extra_name(int x, char *buf, size_t n)
{
    if (x == X_DONE || x == X_WAIT)
        return fig_key[x == X_DONE ? F_DONE : F_WAIT];
    if (x == X_SEEDS || x == X_SEEDS_OK)
        return x == X_SEEDS ? "seeds" : "seeds_passed";
    snprintf(buf, n, "%s_worst", fig_key[x - X_WORST]);
    return buf;
}

/* The extra column named name, or INT_MIN. */
static int extra_of(const char *name)
{
    char buf[64];
    for (int x = X_WAIT; x < X_WORST + NFIG; x++)
        if (strcmp(extra_name(x, buf, sizeof buf), name) == 0)
            return x;
    return INT_MIN;
}

/* A figure of a row: the mean over its seeds, or the worst seed's; NAN when
 * not measured, and for completion when some seed never finished. */
static double fig_mean(const Row *r, int f)
{
    return f == F_DONE && r->unfinished ? NAN : mean(r, f);
}

static double fig_worst(const Row *r, int f)
{
    return r->n[f] == 0 || (f == F_DONE && r->unfinished) ? NAN : r->worst[f];
}

static void put_opt(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        put_num(f, v);
}

void scn_sweep_write_csv(const ScnSweep *w, FILE *f)
{
    int xs[MAX_EXTRA];
    int nx = extras(w, xs);
    fputs("config,configs", f);
    for (size_t k = 0; k < w->nax; k++) {
        fputc(',', f);
        csv_field(f, w->ax[k].name);
    }
    for (size_t c = 0; metric_cols[c]; c++)
        fprintf(f, ",%s", metric_cols[c]);
    for (int x = 0; x < nx; x++) {
        char name[64];
        fprintf(f, ",%s", extra_name(xs[x], name, sizeof name));
    }
    fputc('\n', f);
    for (size_t i = 0; w->rows && i < w->nconf; i++) {
        const Row *r = &w->rows[i];
        if (!r->have)
            continue;
        fprintf(f, "%zu,%zu", i, w->nconf);
        for (size_t k = 0; k < w->nax; k++) {
            fputc(',', f);
            csv_field(f, value_of(&w->ax[k], digit(w, i, k)));
        }
        for (int g = F_COST; g <= F_PEND; g++)
            put_opt(f, fig_mean(r, g));
        fprintf(f, ",%d,%d,%s", (int)r->passed, (int)r->failed, row_ok(w, r) ? "true" : "false");
        for (int x = 0; x < nx; x++) {
            if (xs[x] == X_SEEDS || xs[x] == X_SEEDS_OK)
                fprintf(f, ",%d", (int)(xs[x] == X_SEEDS ? r->seeds : r->seeds_ok));
            else
                put_opt(f, xs[x] == X_DONE ? fig_mean(r, F_DONE)
                           : xs[x] == X_WAIT ? fig_mean(r, F_WAIT) : fig_worst(r, xs[x]));
        }
        fputc('\n', f);
    }
}

/* One CSV record's fields, unquoted, into a scratch buffer; returns the
 * count, or -1 for a malformed quote. *p moves past the record. */
static int csv_record(const char **p, const char *end, char *buf, size_t bufn, const char **fields, int maxf)
{
    int nf = 0;
    size_t used = 0;
    const char *s = *p;
    for (;;) {
        if (nf == maxf || used >= bufn)
            return -1;
        fields[nf++] = buf + used;
        int quoted = s < end && *s == '"';
        s += quoted;
        while (s < end && (quoted || (*s != ',' && *s != '\n' && *s != '\r'))) {
            if (quoted && *s == '"') {
                if (s + 1 < end && s[1] == '"')
                    s++;
                else {
                    quoted = 0;
                    s++;
                    continue;
                }
            }
            if (used + 1 >= bufn)
                return -1;
            buf[used++] = *s++;
        }
        if (quoted)
            return -1;
        buf[used++] = '\0';
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        while (s < end && (*s == '\r' || *s == '\n'))
            s++;
        *p = s;
        return nf;
    }
}

#define MAX_FIELDS 64

/* The header: config, configs, the axes, metric_cols, then the extra
 * columns. Sets the axes and extras (the first file) or checks them (later
 * ones). */
static int csv_header(ScnSweep *w, const char **f, int nf, const char *name)
{
    int nax = 1;
    while (2 + nax + NMETRIC <= nf && strcmp(f[2 + nax], metric_cols[0]) != 0)
        nax++;
    if (2 + nax + NMETRIC > nf || strcmp(f[0], "config") != 0 || strcmp(f[1], "configs") != 0)
        return ERR("%s:1: not a kubesim sweep.csv (expected config,configs,<axes>,%s,...)", name, metric_cols[0]);
    for (int c = 0; c < NMETRIC; c++)
        if (strcmp(f[2 + nax + c], metric_cols[c]) != 0)
            return ERR("%s:1: column %d is '%s', expected '%s'", name, 3 + nax + c, f[2 + nax + c], metric_cols[c]);
    int xs[MAX_EXTRA], nx = nf - 2 - nax - NMETRIC;
    if (nx > MAX_EXTRA)
        return ERR("%s:1: %d columns after 'ok'", name, nx);
    for (int x = 0; x < nx; x++)
        if ((xs[x] = extra_of(f[2 + nax + NMETRIC + x])) == INT_MIN)
            return ERR("%s:1: column %d is '%s', not a kubesim sweep column", name, 3 + nax + NMETRIC + x,
                       f[2 + nax + NMETRIC + x]);
    if (w->merging) {
        if ((size_t)nax != w->nax)
            return ERR("%s:1: it varies %d names, the first file %zu", name, nax, w->nax);
        for (int k = 0; k < nax; k++)
            if (strcmp(f[2 + k], w->ax[k].name) != 0)
                return ERR("%s:1: column %d is '%s', the first file has '%s'", name, 3 + k, f[2 + k], w->ax[k].name);
        if (nx != w->nx || memcmp(xs, w->xs, (size_t)nx * sizeof *xs) != 0)
            return ERR("%s:1: its columns after 'ok' differ from the first file's", name);
        return SIM_OK;
    }
    if (w->nax != 0)
        return ERR("%s: a sweep merges into an empty grid", name);
    for (int k = 0; k < nax; k++)
        if (axis_add(w, f[2 + k], strlen(f[2 + k])) == NULL)
            return OOM();
    memcpy(w->xs, xs, (size_t)nx * sizeof *xs);
    w->nx = nx;
    for (int x = 0; x < nx; x++)
        w->has_done |= xs[x] == X_DONE;
    for (int x = 0; x < nx; x++)
        w->has_wait |= xs[x] == X_WAIT;
    w->merging = 1;
    w->nconf = 0;
    return SIM_OK;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *s == '\0' || *s == '-' || *end != '\0')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *s == '\0' || *end != '\0' ? -1 : 0;
}

/* A figure of a merged row: empty is "not measured" (a p95 without
 * samples, a completion that never came). */
static int merged_fig(Row *r, int f, const char *s, int worst)
{
    double v;
    if (s[0] == '\0') {
        r->unfinished |= f == F_DONE;
        return 0;
    }
    if (parse_num(s, &v) != 0)
        return -1;
    if (worst) {
        r->worst[f] = v;
        return 0;
    }
    r->mean[f] = r->worst[f] = v;
    r->n[f] = 1;
    return 0;
}

/* The columns after ok (w->xs): seeds, completion and the worst values. */
static int merged_extras(ScnSweep *w, Row *r, const char **x)
{
    double v;
    int bad = 0;
    for (int k = 0; k < w->nx && !bad; k++) {
        if (w->xs[k] == X_SEEDS || w->xs[k] == X_SEEDS_OK) {
            bad = parse_num(x[k], &v) != 0 || v < 0 || v > 1e6;
            *(w->xs[k] == X_SEEDS ? &r->seeds : &r->seeds_ok) = (int32_t)v;
        } else {
            int lone = w->xs[k] == X_DONE || w->xs[k] == X_WAIT;   /* a mean: the worst columns follow */
            bad = merged_fig(r, w->xs[k] == X_DONE ? F_DONE : w->xs[k] == X_WAIT ? F_WAIT : w->xs[k] - X_WORST, x[k],
                             !lone);
        }
    }
    if (r->seeds > 0 && (size_t)r->seeds > w->seeds)
        w->seeds = (size_t)r->seeds;
    return bad;
}

static int csv_row(ScnSweep *w, const char **f, const char *name, int line)
{
    size_t config, configs;
    if (parse_size(f[0], &config) || parse_size(f[1], &configs) || configs == 0 ||
        configs > SCN_SWEEP_MAX_CONFIGS || config >= configs)
        return ERR("%s:%d: config '%s' of '%s' is not a configuration index", name, line, f[0], f[1]);
    if (w->nconf == 0) {
        w->nconf = configs;
        for (size_t k = 0; k < w->nax; k++) {   /* room for every value, filled as rows come */
            Axis *a = &w->ax[k];
            if (sim_mem_grow(w->m, (void **)&a->vals, &a->cap, configs, sizeof *a->vals))
                return OOM();
            memset(a->vals, 0, a->cap * sizeof *a->vals);   /* a missing row leaves a hole */
        }
    } else if (configs != w->nconf) {
        return ERR("%s:%d: configs is %zu, earlier rows say %zu", name, line, configs, w->nconf);
    }
    Row *r = row_slot(w, config), nr;
    if (r == NULL)
        return OOM();
    memset(&nr, 0, sizeof nr);
    const char **m = f + 2 + w->nax;
    int bad = 0;
    for (int g = F_COST; g <= F_PEND; g++)
        bad |= merged_fig(&nr, g, m[g], 0) || (g != F_P95 && m[g][0] == '\0');
    double passed = 0, failed = 0;
    bad |= parse_num(m[5], &passed) || parse_num(m[6], &failed);
    bad |= strcmp(m[7], "true") != 0 && strcmp(m[7], "false") != 0;
    nr.passed = (int32_t)passed;
    nr.failed = (int32_t)failed;
    nr.seeds = 1;
    nr.seeds_ok = nr.failed == 0;
    nr.read_ok = strcmp(m[7], "true") == 0;
    if (bad || merged_extras(w, &nr, m + NMETRIC))
        return ERR("%s:%d: a metric column is not a number", name, line);
    nr.have = 1;
    if (r->have)
        return ERR("%s:%d: configuration %zu appears twice", name, line, config);
    *r = nr;
    return SIM_OK;
}

/* Values are kept per configuration during a merge in ax[k].vals[config]
 * (as "NAME=VALUE"); check_complete turns them into the axes' value lists. */
static int csv_values(ScnSweep *w, const char **f, size_t config)
{
    for (size_t k = 0; k < w->nax; k++) {
        size_t nl = strlen(w->ax[k].name), vl = strlen(f[2 + k]);
        char *s = sim_mem_alloc(w->m, nl + vl + 2);
        if (s == NULL)
            return SIM_ENOMEM;
        snprintf(s, nl + vl + 2, "%s=%s", w->ax[k].name, f[2 + k]);
        w->ax[k].vals[config] = s;
        if (w->ax[k].n < config + 1)
            w->ax[k].n = config + 1;
    }
    return SIM_OK;
}

int scn_sweep_add_csv(ScnSweep *w, const char *csv, size_t len, const char *name)
{
    const char *p = csv, *end = csv + len, *f[MAX_FIELDS];
    char buf[8192];
    int line = 1, nf = csv_record(&p, end, buf, sizeof buf, f, MAX_FIELDS);
    if (nf < 0)
        return ERR("%s:1: a malformed header", name);
    int rc = csv_header(w, f, nf, name);
    while (rc == SIM_OK && p < end) {
        line++;
        int n = csv_record(&p, end, buf, sizeof buf, f, MAX_FIELDS);
        if (n != nf)
            return ERR("%s:%d: %d fields, the header has %d", name, line, n, nf);
        rc = csv_row(w, f, name, line);
        if (rc == SIM_OK && csv_values(w, f, (size_t)strtoull(f[0], NULL, 10)) != SIM_OK)
            rc = OOM();
    }
    return rc;
}

/* The shard's scenario name (checked as scenario { name } is) and seed. */
static int meta_of(const cJSON *root, const char **scenario, int64_t *seed)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(root, "seed");
    const char *why;
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
        !kx_name_valid(name->valuestring, KX_LABEL_VALUE, &why))
        return -1;
    if (!cJSON_IsNumber(sd) || !(sd->valuedouble >= 0 && sd->valuedouble <= 9007199254740991.0) ||
        sd->valuedouble != (double)(int64_t)sd->valuedouble)
        return -2;
    *scenario = name->valuestring;
    *seed = (int64_t)sd->valuedouble;
    return 0;
}

/* What reruns a configuration, from a shard's sweep.json (keys path, set,
 * seeds, pass_rate, objective; a shard of an older kubesim has none): the
 * first shard sets it, later ones must agree. */
static int meta_run(ScnSweep *w, const cJSON *root, int64_t seed, const char *name)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(root, "path");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(root, "set"), *x;
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(root, "pass_rate");
    const char *obj = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "objective"));
    const char *p = cJSON_GetStringValue(path);
    if (!cJSON_IsArray(set))
        return SIM_OK;
    const char *sets[256];
    size_t n = 0;
    cJSON_ArrayForEach(x, set) {
        if (!cJSON_IsString(x) || n == 256)
            return ERR("%s: key 'set': not a list of NAME=VALUE strings", name);
        sets[n++] = x->valuestring;
    }
    int same = w->has_run && (p == NULL) == (w->path == NULL) && (p == NULL || !strcmp(p, w->path)) &&
               n == w->nsets;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(sets[i], w->sets[i]) == 0;
    if (w->has_run && !same)
        return ERR("%s: keys 'path' and 'set' differ from an earlier shard's: shards of different sweeps", name);
    if (w->has_run && ((obj == NULL) != (w->objective == NULL) || (obj && strcmp(obj, w->objective) != 0)))
        return ERR("%s: key 'objective' differs from an earlier shard's: shards of different sweeps", name);
    if (!w->has_run && obj && scn_sweep_objective(w, obj) != SIM_OK)
        return SIM_EINVAL;
    double ns = cJSON_IsNumber(seeds) ? seeds->valuedouble : 1, pr = cJSON_IsNumber(rate) ? rate->valuedouble : 1;
    if (!(ns >= 1 && ns <= 1e6 && ns == floor(ns)) || !(pr > 0 && pr <= 1))
        return ERR("%s: key 'seeds' or 'pass_rate' is not valid", name);
    if (w->has_run && (w->seeds != (size_t)ns || w->pass_rate != pr))
        return ERR("%s: keys 'seeds' and 'pass_rate' differ from an earlier shard's", name);
    w->seeds = (size_t)ns;
    w->pass_rate = pr;
    return w->has_run ? SIM_OK : scn_sweep_rerun_base(w, p, sets, n, seed);
}

int scn_sweep_add_meta(ScnSweep *w, const char *json, size_t len, const char *name)
{
    cJSON *root;
    if (parse(w, json, len, &root) != SIM_OK)
        return OOM();
    const char *scenario = NULL;
    int64_t seed = -1;
    int bad = cJSON_IsObject(root) ? meta_of(root, &scenario, &seed) : -3;
    int rc = SIM_OK;
    if (bad)
        rc = ERR("%s: %s", name, bad == -3 ? "not a kubesim sweep.json" : bad == -1
                 ? "key 'scenario': not a valid scenario name" : "key 'seed': not a whole number from 0 to 2^53 - 1");
    else if (w->scenario && strcmp(w->scenario, scenario) != 0)
        rc = ERR("%s: key 'scenario' is '%s', an earlier shard's is '%s': shards of different sweeps", name,
                 scenario, w->scenario);
    else if (w->scenario && w->seed != seed)
        rc = ERR("%s: key 'seed' is %lld, an earlier shard's is %lld: shards of different sweeps", name,
                 (long long)seed, (long long)w->seed);
    else if (w->scenario == NULL && (w->scenario = sim_mem_strdup(w->m, scenario)) == NULL)
        rc = OOM();
    if (rc == SIM_OK)
        w->seed = seed;
    if (rc == SIM_OK)
        rc = meta_run(w, root, seed, name);
    /* the scenario's clock, as the shards' runs gave it (the same scenario{}) */
    if (rc == SIM_OK && w->clock == NULL && cJSON_GetObjectItemCaseSensitive(root, "clock"))
        rc = keep_clock(w, root);
    cJSON_Delete(root);
    return rc;
}

/* Turns the per-configuration values of a merge into each axis' distinct
 * values in first-seen order, which is their --vary order when every row is
 * there, and checks each row sits where its values say. */
static int recover_axis(ScnSweep *w, size_t k)
{
    Axis *a = &w->ax[k];
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        size_t j = 0;
        while (j < n && strcmp(a->vals[j], a->vals[i]) != 0)
            j++;
        if (j == n)
            a->vals[n++] = a->vals[i];   /* n <= i: compacted in place (the caller kept every cell) */
    }
    a->n = n;
    return n > 0 ? SIM_OK : ERR("the merged rows give %s no value", a->name);
}

int scn_sweep_check_complete(ScnSweep *w)
{
    if (!w->merging || w->rows == NULL)
        return ERR("no rows to merge");
    for (size_t i = 0; i < w->nconf; i++)
        if (!w->rows[i].have)
            return ERR("configuration %zu of %zu is in no file (a shard is missing?)", i, w->nconf);
    /* Remember each row's values before the axes are compacted. */
    size_t cells = w->nconf * w->nax;
    char **keep = sim_mem_calloc(w->m, cells ? cells : 1, sizeof *keep);
    if (keep == NULL)
        return OOM();
    for (size_t k = 0; k < w->nax; k++)
        for (size_t i = 0; i < w->nconf; i++)
            keep[i * w->nax + k] = w->ax[k].vals[i];
    int rc = SIM_OK;
    size_t product = 1;
    for (size_t k = 0; k < w->nax && rc == SIM_OK; k++) {
        rc = recover_axis(w, k);
        product *= w->ax[k].n;
    }
    if (rc == SIM_OK && product != w->nconf)
        rc = ERR("the merged rows do not form a grid: %zu configurations, %zu combinations of values",
                 w->nconf, product);
    for (size_t i = 0; rc == SIM_OK && i < w->nconf; i++)
        for (size_t k = 0; k < w->nax && rc == SIM_OK; k++)
            if (strcmp(keep[i * w->nax + k], w->ax[k].vals[digit(w, i, k)]) != 0)
                rc = ERR("configuration %zu has %s where its index says %s", i, keep[i * w->nax + k],
                         w->ax[k].vals[digit(w, i, k)]);
    /* Free the duplicates: every kept cell that is not an axis value. */
    for (size_t c = 0; c < cells; c++) {
        size_t k = c % w->nax;
        int owned = 0;
        for (size_t v = 0; v < w->ax[k].n && !owned; v++)
            owned = w->ax[k].vals[v] == keep[c];
        if (!owned)
            sim_mem_strfree(w->m, keep[c]);
    }
    sim_mem_free(w->m, keep, (cells ? cells : 1) * sizeof *keep);
    w->merging = 0;
    return rc;
}

/* ---- JSON ------------------------------------------------------------------ */
static cJSON *values_json(const ScnSweep *w, size_t i)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t k = 0; o && k < w->nax; k++)
        cJSON_AddStringToObject(o, w->ax[k].name, value_of(&w->ax[k], digit(w, i, k)));
    return o;
}

static void add_fig(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* With more than one seed: how many passed, and the worst seed's figures. */
static void seeds_json(const ScnSweep *w, const Row *r, cJSON *o)
{
    cJSON_AddNumberToObject(o, "seeds", r->seeds);
    cJSON_AddNumberToObject(o, "seeds_passed", r->seeds_ok);
    cJSON *worst = cJSON_AddObjectToObject(o, "worst");
    for (int f = F_COST; worst && f <= last_fig(w); f++)
        add_fig(worst, fig_key[f], fig_worst(r, f));
}

static cJSON *row_json(const ScnSweep *w, size_t i)
{
    const Row *r = &w->rows[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "config", (double)i);
    sim_json_add_item(o, "values", values_json(w, i));
    for (int f = F_COST; f <= F_PEND; f++)
        add_fig(o, fig_key[f], fig_mean(r, f));
    cJSON_AddNumberToObject(o, "expectations_passed", r->passed);
    cJSON_AddNumberToObject(o, "expectations_failed", r->failed);
    cJSON_AddBoolToObject(o, "ok", row_ok(w, r));
    if (w->has_done)
        add_fig(o, fig_key[F_DONE], fig_mean(r, F_DONE));
    if (w->has_wait)
        add_fig(o, fig_key[F_WAIT], fig_mean(r, F_WAIT));
    if (w->seeds > 1)
        seeds_json(w, r, o);
    return o;
}

/* What the rows mean and how to rerun one: seeds, pass rate, objective, the
 * scenario path as given and the sweep's own --set values. */
static void run_json(const ScnSweep *w, cJSON *o)
{
    cJSON_AddNumberToObject(o, "seeds", (double)w->seeds);
    cJSON_AddNumberToObject(o, "pass_rate", w->pass_rate);
    if (w->objective)
        cJSON_AddStringToObject(o, "objective", w->objective);
    else
        cJSON_AddNullToObject(o, "objective");
    if (!w->has_run)
        return;
    if (w->path)
        cJSON_AddStringToObject(o, "path", w->path);
    else
        cJSON_AddNullToObject(o, "path");
    cJSON *set = cJSON_AddArrayToObject(o, "set");
    for (size_t i = 0; set && i < w->nsets; i++)
        sim_json_push(set, cJSON_CreateString(w->sets[i]));
}

static void cheapest_json(const ScnSweep *w, cJSON *o, size_t best, int64_t seed)
{
    cJSON *c = cJSON_AddObjectToObject(o, "cheapest");
    if (c == NULL)
        return;
    cJSON_AddNumberToObject(c, "config", (double)best);
    sim_json_add_item(c, "values", values_json(w, best));
    cJSON_AddNumberToObject(c, "cost_usd", mean(&w->rows[best], F_COST));
    if (!w->has_run || seed < 0)
        return;
    char cmd[8192];
    scn_sweep_rerun(w, best, seed, cmd, sizeof cmd);
    cJSON_AddNumberToObject(c, "seed", (double)seed);
    cJSON_AddStringToObject(c, "rerun", cmd);
}

static cJSON *sweep_json(const ScnSweep *w, const char *scenario, int64_t seed, size_t shard, size_t shards)
{
    cJSON *o = cJSON_CreateObject(), *vary = cJSON_CreateArray(), *rows = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "schema", 1);
    scenario = scenario ? scenario : w->scenario;
    seed = seed >= 0 ? seed : w->scenario ? w->seed : -1;
    if (scenario)
        cJSON_AddStringToObject(o, "scenario", scenario);
    else
        cJSON_AddNullToObject(o, "scenario");
    if (seed >= 0)
        cJSON_AddNumberToObject(o, "seed", (double)seed);
    else
        cJSON_AddNullToObject(o, "seed");
    for (size_t k = 0; k < w->nax; k++) {
        cJSON *a = cJSON_CreateObject(), *vals = cJSON_CreateArray();
        cJSON_AddStringToObject(a, "name", w->ax[k].name);
        for (size_t v = 0; v < w->ax[k].n; v++)
            sim_json_push(vals, cJSON_CreateString(value_of(&w->ax[k], v)));
        sim_json_add_item(a, "values", vals);
        sim_json_push(vary, a);
    }
    sim_json_add_item(o, "vary", vary);
    cJSON_AddNumberToObject(o, "configs", (double)w->nconf);
    run_json(w, o);
    cJSON *clk = w->clock ? cJSON_Parse(w->clock) : NULL, *it;
    while (clk && (it = clk->child) != NULL)
        sim_json_add_item(o, it->string, cJSON_DetachItemViaPointer(clk, it));
    cJSON_Delete(clk);
    cJSON *sh = cJSON_AddObjectToObject(o, "shard");
    cJSON_AddNumberToObject(sh, "index", (double)shard);
    cJSON_AddNumberToObject(sh, "count", (double)shards);
    for (size_t i = 0; w->rows && i < w->nconf; i++)
        if (w->rows[i].have)
            sim_json_push(rows, row_json(w, i));
    sim_json_add_item(o, "rows", rows);
    size_t best = scn_sweep_cheapest(w);
    if (best == SIZE_MAX)
        cJSON_AddNullToObject(o, "cheapest");
    else
        cheapest_json(w, o, best, seed);
    return o;
}

/* cJSON leaves out what it could not allocate: a tree built while an
 * allocation failed is discarded whole, never written with keys missing. */
cJSON *scn_sweep_json(const ScnSweep *w, const char *scenario, int64_t seed, size_t shard, size_t shards)
{
    SimJsonScope js;
    sim_json_begin(&js, w->m);
    cJSON *o = sweep_json(w, scenario, seed, shard, shards);
    if (sim_json_end(&js) != SIM_OK) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}
