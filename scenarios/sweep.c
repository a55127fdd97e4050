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

typedef struct Row {
    int have;
    int has_p95;        /* latency_p95_ms is a number (merged rows may have it empty) */
    double cost, viol, p95, err_rate;
    int64_t pending;
    int32_t passed, failed;
} Row;

struct ScnSweep {
    SimMem *m;
    Axis *ax;
    size_t nax, capax;
    size_t nconf;
    Row *rows;
    int merging;        /* axes came from a CSV header: values are recovered later */
    char *scenario;     /* a merge: the shards' scenario name and seed (NULL, -1: not known) */
    int64_t seed;
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

void scn_sweep_free(ScnSweep *w)
{
    if (w == NULL)
        return;
    for (size_t k = 0; k < w->nax; k++)
        axis_free(w->m, &w->ax[k]);
    sim_mem_free(w->m, w->ax, w->capax * sizeof *w->ax);
    if (w->rows)
        sim_mem_free(w->m, w->rows, w->nconf * sizeof *w->rows);
    if (w->scenario)
        sim_mem_strfree(w->m, w->scenario);
    sim_mem_free(w->m, w, sizeof *w);
}

size_t scn_sweep_axes(const ScnSweep *w) { return w->nax; }
size_t scn_sweep_configs(const ScnSweep *w) { return w->nconf; }

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

/* The value index of configuration i on axis k. */
static size_t digit(const ScnSweep *w, size_t i, size_t k)
{
    for (size_t j = w->nax; j-- > k + 1;)
        i /= w->ax[j].n;
    return i % w->ax[k].n;
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

/* The SLO entries, one per service and region: violation seconds add up;
 * the worst p95 and error rate stand for the configuration. */
static void slo_of(const cJSON *slo, Row *r)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, slo) {
        r->viol += num(x, "violation_seconds", 0);
        double p95 = num(x, "latency_p95_ms", NAN), e = num(x, "error_rate", 0);
        if (isfinite(p95) && (!r->has_p95 || p95 > r->p95)) {
            r->p95 = p95;
            r->has_p95 = 1;
        }
        if (e > r->err_rate)
            r->err_rate = e;
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

int scn_sweep_add_summary(ScnSweep *w, size_t config, const char *json, size_t len)
{
    SIM_ASSERT(config < w->nconf);
    cJSON *root;
    if (parse(w, json, len, &root) != SIM_OK)
        return OOM();
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(root, "cost_usd");
    if (!cJSON_IsObject(root) || !cJSON_IsNumber(cost)) {
        cJSON_Delete(root);
        return ERR("configuration %zu: its summary.json is not a kubesim summary", config);
    }
    Row *r = row_slot(w, config);
    if (r == NULL) {
        cJSON_Delete(root);
        return OOM();
    }
    memset(r, 0, sizeof *r);
    r->have = 1;
    r->cost = cost->valuedouble;
    slo_of(cJSON_GetObjectItemCaseSensitive(root, "slo"), r);
    r->pending = (int64_t)num(cJSON_GetObjectItemCaseSensitive(root, "pods"), "pending_peak", 0);
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(root, "expectations")) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "passed")))
            r->passed++;
        else
            r->failed++;
    }
    cJSON_Delete(root);
    return SIM_OK;
}

size_t scn_sweep_cheapest(const ScnSweep *w)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; w->rows && i < w->nconf; i++) {
        const Row *r = &w->rows[i];
        if (r->have && r->failed == 0 && (best == SIZE_MAX || r->cost < w->rows[best].cost))
            best = i;
    }
    return best;
}

/* ---- CSV ------------------------------------------------------------------- */
static const char *const metric_cols[] = {"cost_usd", "slo_violation_seconds", "latency_p95_ms", "error_rate",
                                          "pending_peak", "expectations_passed", "expectations_failed", "ok",
                                          NULL};
#define NMETRIC 8

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

/* The shortest of %.15g..%.17g that reads back as the same double: exact for
 * merging, and 95.5424 rather than 95.542399999999901 for people. */
static void put_num(FILE *f, double v)
{
    char buf[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

void scn_sweep_write_csv(const ScnSweep *w, FILE *f)
{
    fputs("config,configs", f);
    for (size_t k = 0; k < w->nax; k++) {
        fputc(',', f);
        csv_field(f, w->ax[k].name);
    }
    for (size_t c = 0; metric_cols[c]; c++)
        fprintf(f, ",%s", metric_cols[c]);
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
        fputc(',', f);
        put_num(f, r->cost);
        fputc(',', f);
        put_num(f, r->viol);
        fputc(',', f);
        if (r->has_p95)
            put_num(f, r->p95);
        fputc(',', f);
        put_num(f, r->err_rate);
        fprintf(f, ",%lld,%d,%d,%s\n", (long long)r->pending, (int)r->passed, (int)r->failed,
                r->failed == 0 ? "true" : "false");
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

/* The header: config, configs, the axes, then metric_cols. Sets the axes (the
 * first file) or checks them (later ones). */
static int csv_header(ScnSweep *w, const char **f, int nf, const char *name)
{
    int nax = nf - 2 - NMETRIC;
    if (nax < 1 || strcmp(f[0], "config") != 0 || strcmp(f[1], "configs") != 0)
        return ERR("%s:1: not a kubesim sweep.csv (expected config,configs,<axes>,%s,...)", name, metric_cols[0]);
    for (int c = 0; c < NMETRIC; c++)
        if (strcmp(f[2 + nax + c], metric_cols[c]) != 0)
            return ERR("%s:1: column %d is '%s', expected '%s'", name, 3 + nax + c, f[2 + nax + c], metric_cols[c]);
    if (w->merging) {
        if ((size_t)nax != w->nax)
            return ERR("%s:1: it varies %d names, the first file %zu", name, nax, w->nax);
        for (int k = 0; k < nax; k++)
            if (strcmp(f[2 + k], w->ax[k].name) != 0)
                return ERR("%s:1: column %d is '%s', the first file has '%s'", name, 3 + k, f[2 + k], w->ax[k].name);
        return SIM_OK;
    }
    if (w->nax != 0)
        return ERR("%s: a sweep merges into an empty grid", name);
    for (int k = 0; k < nax; k++)
        if (axis_add(w, f[2 + k], strlen(f[2 + k])) == NULL)
            return OOM();
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
    int bad = parse_num(m[0], &nr.cost) || parse_num(m[1], &nr.viol) || parse_num(m[3], &nr.err_rate);
    double pend = 0, passed = 0, failed = 0;
    bad |= parse_num(m[4], &pend) || parse_num(m[5], &passed) || parse_num(m[6], &failed);
    nr.has_p95 = m[2][0] != '\0' && parse_num(m[2], &nr.p95) == 0;
    if (bad || (m[2][0] && !nr.has_p95))
        return ERR("%s:%d: a metric column is not a number", name, line);
    nr.pending = (int64_t)pend;
    nr.passed = (int32_t)passed;
    nr.failed = (int32_t)failed;
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

static cJSON *row_json(const ScnSweep *w, size_t i)
{
    const Row *r = &w->rows[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "config", (double)i);
    sim_json_add_item(o, "values", values_json(w, i));
    cJSON_AddNumberToObject(o, "cost_usd", r->cost);
    cJSON_AddNumberToObject(o, "slo_violation_seconds", r->viol);
    if (r->has_p95)
        cJSON_AddNumberToObject(o, "latency_p95_ms", r->p95);
    else
        cJSON_AddNullToObject(o, "latency_p95_ms");
    cJSON_AddNumberToObject(o, "error_rate", r->err_rate);
    cJSON_AddNumberToObject(o, "pending_peak", (double)r->pending);
    cJSON_AddNumberToObject(o, "expectations_passed", r->passed);
    cJSON_AddNumberToObject(o, "expectations_failed", r->failed);
    cJSON_AddBoolToObject(o, "ok", r->failed == 0);
    return o;
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
    cJSON *sh = cJSON_AddObjectToObject(o, "shard");
    cJSON_AddNumberToObject(sh, "index", (double)shard);
    cJSON_AddNumberToObject(sh, "count", (double)shards);
    for (size_t i = 0; w->rows && i < w->nconf; i++)
        if (w->rows[i].have)
            sim_json_push(rows, row_json(w, i));
    sim_json_add_item(o, "rows", rows);
    size_t best = scn_sweep_cheapest(w);
    if (best == SIZE_MAX) {
        cJSON_AddNullToObject(o, "cheapest");
    } else {
        cJSON *c = cJSON_AddObjectToObject(o, "cheapest");
        cJSON_AddNumberToObject(c, "config", (double)best);
        sim_json_add_item(c, "values", values_json(w, best));
        cJSON_AddNumberToObject(c, "cost_usd", w->rows[best].cost);
    }
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
