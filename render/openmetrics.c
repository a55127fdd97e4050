/*
 * openmetrics.c: metrics.csv as OpenMetrics text, so that Prometheus'
 * `promtool tsdb create-blocks-from openmetrics` can load a run and Grafana
 * can show it. Each (object, metric) becomes the gauge family
 * kubesim_<object>_<metric> with labels region and name; OpenMetrics wants
 * every family's samples together and each series' timestamps increasing, so
 * the rows are read whole and sorted (the CSV is written time-major).
 * Timestamps are seconds since the Unix epoch: simulated time 0 is mapped to
 * base_unix.
 */
#include "render/rnd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd_int.h"
#include "sim/fileio.h"

typedef struct Row {
    char *family;      /* kubesim_<object>_<metric> */
    char *region, *name;
    double t, v;
    size_t line;       /* keeps equal keys in file order: a stable sort */
} Row;

typedef struct Rows {
    SimMem *m;         /* every allocation below */
    Row *v;
    size_t n, cap;
    char *text;        /* the file, fields cut in place */
    size_t len;        /* of text, without its NUL */
} Rows;

/* Metric names allow [a-zA-Z0-9_:]; anything else becomes '_'. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == ':'))
            *s = '_';
}

static int split(char *line, char **f, int want)
{
    int n = 0;
    for (char *p = line; n < want; n++) {
        f[n] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL) {
            n++;
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int add_row(Rows *r, char **f, size_t line, const char *path, SimErr *err)
{
    char *end1, *end2;
    double t = strtod(f[0], &end1), v = strtod(f[5], &end2);
    if (*end1 != '\0' || *end2 != '\0' || f[0][0] == '\0' || f[5][0] == '\0')
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: not a number in t_seconds or value", path, line);
    if (sim_mem_grow(r->m, (void **)&r->v, &r->cap, r->n + 1, sizeof *r->v) != SIM_OK)
        return sim_err_set(err, SIM_ENOMEM, "%s:%zu: out of memory", path, line);
    size_t flen = strlen(f[2]) + strlen(f[4]) + 10;
    char *family = sim_mem_alloc(r->m, flen);   /* exactly the text: freed as strlen + 1 */
    if (family == NULL)
        return sim_err_set(err, SIM_ENOMEM, "%s:%zu: out of memory", path, line);
    snprintf(family, flen, "kubesim_%s_%s", f[2], f[4]);
    sanitize(family);
    r->v[r->n++] = (Row){family, f[1], f[3], t, v, line};
    return SIM_OK;
}

static int parse(Rows *r, const char *path, SimErr *err)
{
    size_t line = 1;
    char *save = NULL;
    char *l = strtok_r(r->text, "\n", &save);
    if (l == NULL || strncmp(l, "t_seconds,region,object,name,metric,value", 41) != 0)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: not a kubesim metrics.csv (header)", path, line);
    while ((l = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[6];
        line++;
        if (split(l, f, 6) != 6)
            return sim_err_set(err, SIM_EINVAL, "%s:%zu: expected 6 fields", path, line);
        int rc = add_row(r, f, line, path, err);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int row_cmp(const void *pa, const void *pb)
{
    const Row *a = pa, *b = pb;
    int c = strcmp(a->family, b->family);
    if (c == 0)
        c = strcmp(a->region, b->region);
    if (c == 0)
        c = strcmp(a->name, b->name);
    if (c == 0)
        c = (a->t > b->t) - (a->t < b->t);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* Label values escape backslash, quote and newline. */
static void label(RndBuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            rnd_buf_add(b, "\\", 1);
        rnd_buf_add(b, v, 1);
    }
}

static void write_rows(const Rows *r, RndBuf *b, int64_t base_unix)
{
    const char *family = "";
    for (size_t i = 0; i < r->n; i++) {
        const Row *x = &r->v[i];
        if (i > 0 && strcmp(x->family, r->v[i - 1].family) == 0 && strcmp(x->region, r->v[i - 1].region) == 0 &&
            strcmp(x->name, r->v[i - 1].name) == 0 && x->t == r->v[i - 1].t)
            continue;   /* one sample per series and time: the first written wins */
        if (strcmp(x->family, family) != 0) {
            family = x->family;
            rnd_buf_fmt(b, "# TYPE %s gauge\n", family);
        }
        rnd_buf_fmt(b, "%s{region=\"", x->family);
        label(b, x->region);
        rnd_buf_str(b, "\",name=\"");
        label(b, x->name);
        rnd_buf_fmt(b, "\"} %.10g %.3f\n", x->v, (double)base_unix + x->t);
    }
    rnd_buf_str(b, "# EOF\n");
}

static void rows_free(Rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        sim_mem_strfree(r->m, r->v[i].family);
    sim_mem_free(r->m, r->v, r->cap * sizeof *r->v);
    sim_mem_free(r->m, r->text, r->len + 1);
}

/* The text is built in memory and written by sim_file_replace, so a failed
 * write is reported with its reason under the name the user gave, and the
 * destination is the whole file or untouched. */
static int write_text(const Rows *r, const char *out_path, int64_t base_unix, SimErr *err)
{
    RndBuf b;
    rnd_buf_init(&b, r->m);
    write_rows(r, &b, base_unix);
    int rc = b.oom ? sim_err_set(err, SIM_ENOMEM, "%s: out of memory", out_path)
                   : sim_file_replace(out_path, b.p, b.len, err);
    rnd_buf_free(&b);
    return rc;
}

int rnd_openmetrics_write(SimMem *m, const char *metrics_csv_path, const char *out_path, int64_t base_unix,
                          SimErr *err)
{
    /* metrics.csv is kubesim's own output, read back at once; the cap is the
     * one for backtest CSVs, which no run's metrics come near. */
    Rows r = {.m = m};
    int rc = sim_file_read(m, metrics_csv_path, SIM_FILE_MAX_CSV, "a metrics CSV", &r.text, &r.len, err);
    if (rc == SIM_OK)
        rc = parse(&r, metrics_csv_path, err);
    if (rc == SIM_OK) {
        qsort(r.v, r.n, sizeof *r.v, row_cmp);
        rc = write_text(&r, out_path, base_unix, err);
    }
    rows_free(&r);
    return rc;
}
