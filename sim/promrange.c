/*
 * promrange.c: Prometheus range-query answers and timestamp,value CSVs into
 * series of (Unix ms, value) samples (see promrange.h). Invariant: every
 * series a successful parse returns has n >= 1 samples with strictly
 * increasing times; a failed parse leaves whatever it built on *out for
 * sim_prom_free, never a half-freed pointer.
 */
#include "sim/promrange.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/fileio.h"
#include "sim/json.h"

#define MS_MAX (INT64_C(253402300799) * 1000)   /* 9999-12-31T23:59:59Z */

/* ---- calendar (proleptic Gregorian, UTC) ----------------------------------- */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void sim_prom_time_text(int64_t t_ms, char *buf, size_t n)
{
    int64_t s = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000), ms = t_ms - s * 1000;
    int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400), sec = s - days * 86400, y;
    int mo, d;
    civil_from_days(days, &y, &mo, &d);
    char frac[8] = "";
    if (ms)
        snprintf(frac, sizeof frac, ".%03d", (int)ms);
    snprintf(buf, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d%sZ", y, mo, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60), frac);
}

/* n digits at *p as a number, advancing *p; -1 if not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* ".123" after the seconds: milliseconds (more digits are cut). */
static int64_t frac_ms(const char **p)
{
    int64_t ms = 0, scale = 100;
    if (**p != '.')
        return 0;
    for ((*p)++; isdigit((unsigned char)**p); (*p)++, scale /= 10)
        ms += (**p - '0') * scale;
    return ms;
}

/* "Z", "+HH:MM" or "-HH:MM": the offset east of UTC in seconds; -1 bad. */
static int64_t zone_offset(const char **p, int *bad)
{
    char c = **p;
    (*p)++;
    if (c == 'Z' || c == 'z')
        return 0;
    int h = c == '+' || c == '-' ? digits(p, 2) : -1;
    int m = h >= 0 && **p == ':' ? ((*p)++, digits(p, 2)) : -1;
    if (h < 0 || m < 0 || h > 23 || m > 59) {
        *bad = 1;
        return 0;
    }
    return (c == '-' ? -1 : 1) * (h * 3600 + m * 60);
}

static int parse_rfc3339(const char *t, int64_t *t_ms)
{
    const char *p = t;
    int y = digits(&p, 4), mo = *p == '-' ? (p++, digits(&p, 2)) : -1, d = *p == '-' ? (p++, digits(&p, 2)) : -1;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return SIM_EINVAL;
    p++;
    int h = digits(&p, 2), mi = *p == ':' ? (p++, digits(&p, 2)) : -1, s = *p == ':' ? (p++, digits(&p, 2)) : -1;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return SIM_EINVAL;
    int64_t ms = frac_ms(&p);
    int bad = 0;
    int64_t off = zone_offset(&p, &bad);
    if (bad || *p != '\0')
        return SIM_EINVAL;
    int64_t days = days_from_civil(y, mo, d);
    int mo2, d2;
    int64_t y2;
    civil_from_days(days, &y2, &mo2, &d2);
    if (mo2 != mo || d2 != d)   /* 2026-02-30 */
        return SIM_EINVAL;
    *t_ms = ((days * 86400 + h * 3600 + mi * 60 + s) - off) * 1000 + ms;
    return SIM_OK;
}

/* Unix seconds as a double into whole milliseconds. */
static int seconds_ms(double sec, int64_t *t_ms)
{
    if (!isfinite(sec) || sec < 0 || sec * 1000 > (double)MS_MAX)
        return SIM_EINVAL;
    *t_ms = llround(sec * 1000);
    return SIM_OK;
}

int sim_prom_parse_time(const char *text, int64_t *t_ms)
{
    if (strchr(text, ':') != NULL || (text[0] && strchr(text + 1, '-') != NULL))
        return parse_rfc3339(text, t_ms);
    char *end;
    errno = 0;
    double sec = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isdigit((unsigned char)text[0]))
        return SIM_EINVAL;
    return seconds_ms(sec, t_ms);
}

/* ---- values ---------------------------------------------------------------- */
/* Prometheus writes sample values as strings: a number, "NaN", "+Inf", "-Inf". */
static int parse_value(const char *text, double *v)
{
    if (strcmp(text, "NaN") == 0) {
        *v = NAN;
        return SIM_OK;
    }
    if (strcmp(text, "+Inf") == 0 || strcmp(text, "Inf") == 0 || strcmp(text, "-Inf") == 0) {
        *v = text[0] == '-' ? -INFINITY : INFINITY;
        return SIM_OK;
    }
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || isspace((unsigned char)text[0]) || !isfinite(x))
        return SIM_EINVAL;
    *v = x;
    return SIM_OK;
}

/* ---- messages --------------------------------------------------------------- */
const char *sim_prom_labels_text(const SimPromSeries *s, char *buf, size_t n)
{
    size_t at = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    at += (size_t)snprintf(buf, n, "{");
    for (size_t i = 0; i < s->nlabels && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s=\"%s\"", i ? ", " : "", s->labels[i].name,
                               s->labels[i].value);
    if (at < n)
        snprintf(buf + at, n - at, "}");
    return buf;
}

const char *sim_prom_where(const SimPromRange *r, size_t si, size_t i, char *buf, size_t n)
{
    const SimPromSeries *s = si < r->nseries ? &r->series[si] : NULL;
    char when[40] = "";
    if (s && i < s->n) {
        when[0] = ' ';
        when[1] = '(';
        sim_prom_time_text(s->t_ms[i], when + 2, sizeof when - 3);
        strcat(when, ")");
    }
    if (r->csv && s && i < s->n)
        snprintf(buf, n, "line %zu%s", s->line0 + i, when);
    else if (r->csv)
        snprintf(buf, n, "the series");
    else if (i == SIZE_MAX || s == NULL)
        snprintf(buf, n, "data.result[%zu]", si);
    else
        snprintf(buf, n, "data.result[%zu].values[%zu]%s", si, i, when);
    return buf;
}

/* ---- building ---------------------------------------------------------------- */
void sim_prom_free(SimPromRange *r)
{
    if (r == NULL || r->m == NULL)
        return;
    for (size_t i = 0; i < r->nseries; i++) {
        SimPromSeries *s = &r->series[i];
        for (size_t k = 0; k < s->nlabels; k++) {
            sim_mem_strfree(r->m, s->labels[k].name);
            sim_mem_strfree(r->m, s->labels[k].value);
        }
        sim_mem_free(r->m, s->labels, s->nlabels * sizeof *s->labels);
        sim_mem_free(r->m, s->t_ms, s->cap * sizeof *s->t_ms);
        sim_mem_free(r->m, s->v, s->cap * sizeof *s->v);
    }
    sim_mem_free(r->m, r->series, r->nseries * sizeof *r->series);
    sim_mem_strfree(r->m, r->file);
    memset(r, 0, sizeof *r);
}

static int begin(SimMem *m, const char *file, SimPromRange *out, int csv, SimErr *err)
{
    memset(out, 0, sizeof *out);
    out->m = m;
    out->csv = csv;
    out->file = sim_mem_strdup(m, file);
    return out->file ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "%s: out of memory", file);
}

/* Room for n series / samples, all zeroed (so a failure frees cleanly). */
static int alloc_series(SimPromRange *r, size_t n, SimErr *err)
{
    r->series = n ? sim_mem_calloc(r->m, n, sizeof *r->series) : NULL;
    if (n && r->series == NULL)
        return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", r->file);
    r->nseries = n;
    return SIM_OK;
}

static int alloc_samples(SimPromRange *r, SimPromSeries *s, size_t n, SimErr *err)
{
    s->t_ms = sim_mem_alloc(r->m, n * sizeof *s->t_ms);
    s->v = sim_mem_alloc(r->m, n * sizeof *s->v);
    if (s->t_ms == NULL || s->v == NULL) {
        sim_mem_free(r->m, s->t_ms, n * sizeof *s->t_ms);
        sim_mem_free(r->m, s->v, n * sizeof *s->v);
        s->t_ms = NULL;
        s->v = NULL;
        return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", r->file);
    }
    s->n = s->cap = n;
    return SIM_OK;
}

/* ---- JSON --------------------------------------------------------------------- */
static size_t line_at(const char *text, const char *at)
{
    size_t line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

static int json_fail(const SimPromRange *r, size_t si, size_t i, SimErr *err, const char *why)
{
    char where[96];
    return sim_err_set(err, SIM_EINVAL, "%s: %s: %s", r->file, sim_prom_where(r, si, i, where, sizeof where), why);
}

static int json_labels(SimPromRange *r, size_t si, const cJSON *metric, SimErr *err)
{
    SimPromSeries *s = &r->series[si];
    if (metric != NULL && !cJSON_IsObject(metric))
        return json_fail(r, si, SIZE_MAX, err, "'metric' is not an object of labels");
    size_t n = (size_t)(metric ? cJSON_GetArraySize(metric) : 0);
    if (n && (s->labels = sim_mem_calloc(r->m, n, sizeof *s->labels)) == NULL)
        return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", r->file);
    s->nlabels = n;   /* zeroed entries free as nothing */
    const cJSON *l;
    size_t k = 0;
    cJSON_ArrayForEach(l, metric) {
        if (!cJSON_IsString(l))
            return json_fail(r, si, SIZE_MAX, err, "a label value is not a string");
        s->labels[k].name = sim_mem_strdup(r->m, l->string);
        s->labels[k].value = sim_mem_strdup(r->m, l->valuestring);
        if (s->labels[k].name == NULL || s->labels[k].value == NULL)
            return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", r->file);
        k++;
    }
    return SIM_OK;
}

/* One [time, "value"] pair into sample i. */
static int json_sample(SimPromRange *r, size_t si, size_t i, const cJSON *pair, SimErr *err)
{
    SimPromSeries *s = &r->series[si];
    const cJSON *t = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(t) ||
        !(cJSON_IsString(v) || cJSON_IsNumber(v)))
        return json_fail(r, si, i, err, "expected [unix_seconds, \"value\"]");
    if (seconds_ms(t->valuedouble, &s->t_ms[i]) != SIM_OK)
        return sim_err_set(err, SIM_EINVAL, "%s: data.result[%zu].values[%zu]: the time %g is not a Unix time in "
                           "seconds", r->file, si, i, t->valuedouble);
    if (cJSON_IsNumber(v))
        s->v[i] = v->valuedouble;
    else if (parse_value(v->valuestring, &s->v[i]) != SIM_OK) {
        char why[160];
        snprintf(why, sizeof why, "the value '%.60s' is not a number", v->valuestring);
        return json_fail(r, si, i, err, why);
    }
    if (i > 0 && s->t_ms[i] <= s->t_ms[i - 1])
        return json_fail(r, si, i, err, "times must strictly increase (a sample repeats or goes back)");
    return SIM_OK;
}

static int json_series(SimPromRange *r, size_t si, const cJSON *item, SimErr *err)
{
    if (!cJSON_IsObject(item))
        return json_fail(r, si, SIZE_MAX, err, "expected {\"metric\": {...}, \"values\": [...]}");
    int rc = json_labels(r, si, cJSON_GetObjectItemCaseSensitive(item, "metric"), err);
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(item, "values");
    if (rc == SIM_OK && (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) == 0))
        return json_fail(r, si, SIZE_MAX, err, cJSON_GetObjectItemCaseSensitive(item, "histograms")
                         ? "native histograms are not read (query a rate or a gauge)" : "has no 'values'");
    if (rc == SIM_OK)
        rc = alloc_samples(r, &r->series[si], (size_t)cJSON_GetArraySize(vals), err);
    size_t i = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, vals) {
        if (rc != SIM_OK)
            break;
        rc = json_sample(r, si, i++, pair, err);
    }
    return rc;
}

/* The `data` object: the whole answer's, or the text itself. */
static int json_data(SimPromRange *r, const cJSON *root, const cJSON **data, SimErr *err)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (cJSON_IsString(status) && strcmp(status->valuestring, "success") != 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        return sim_err_set(err, SIM_EINVAL, "%s: status: the query failed (%s): %s", r->file, status->valuestring,
                           cJSON_IsString(e) ? e->valuestring : "no error given");
    }
    *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (*data == NULL && cJSON_GetObjectItemCaseSensitive(root, "resultType"))
        *data = root;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(*data, "resultType");
    if (!cJSON_IsObject(*data) || !cJSON_IsString(type))
        return sim_err_set(err, SIM_EINVAL, "%s: not a Prometheus query answer (no data.resultType; save what "
                           "/api/v1/query_range returns)", r->file);
    if (strcmp(type->valuestring, "matrix") != 0)
        return sim_err_set(err, SIM_EINVAL, "%s: data.resultType: '%s', expected 'matrix' (a range query, "
                           "/api/v1/query_range, not an instant query)", r->file, type->valuestring);
    return SIM_OK;
}

static int json_root(SimPromRange *r, const cJSON *root, SimErr *err)
{
    const cJSON *data = NULL;
    int rc = json_data(r, root, &data, err);
    const cJSON *res = rc == SIM_OK ? cJSON_GetObjectItemCaseSensitive(data, "result") : NULL;
    if (rc == SIM_OK && !cJSON_IsArray(res))
        return sim_err_set(err, SIM_EINVAL, "%s: data.result: expected a list of series", r->file);
    if (rc == SIM_OK && cJSON_GetArraySize(res) == 0)
        return sim_err_set(err, SIM_EINVAL, "%s: data.result: no series (the query matched nothing)", r->file);
    if (rc == SIM_OK)
        rc = alloc_series(r, (size_t)cJSON_GetArraySize(res), err);
    size_t si = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, res) {
        if (rc != SIM_OK)
            break;
        rc = json_series(r, si++, item, err);
    }
    return rc;
}

int sim_prom_parse_json(SimMem *m, const char *text, size_t len, const char *file, SimPromRange *out, SimErr *err)
{
    int rc = begin(m, file, out, 0, err);
    if (rc != SIM_OK)
        return rc;
    SimJsonScope js;
    sim_json_begin(&js, m);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL && end != NULL && end >= text && end <= text + len)
        rc = sim_err_set(err, SIM_EINVAL, "%s:%zu: not valid JSON", file, line_at(text, end));
    else if (root == NULL)
        rc = sim_err_set(err, SIM_EINVAL, "%s: not valid JSON", file);
    else
        rc = json_root(out, root, err);
    cJSON_Delete(root);
    if (sim_json_end(&js) == SIM_ENOMEM || m->oom) {
        m->oom = 0;
        rc = sim_err_set(err, SIM_ENOMEM, "%s: out of memory", file);
    }
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------- */
/* Splits one line (NUL-terminated, in place) into its two fields; 0 if not two. */
static int split2(char *line, char **a, char **b)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    char *comma = strchr(line, ',');
    if (comma == NULL || strchr(comma + 1, ',') != NULL)
        return 0;
    *comma = '\0';
    *a = line;
    *b = comma + 1;
    while (**a == ' ' || **a == '\t')
        (*a)++;
    while (**b == ' ' || **b == '\t')
        (*b)++;
    for (char *p = comma; p > *a && (p[-1] == ' ' || p[-1] == '\t'); p--)
        p[-1] = '\0';
    return 1;
}

static int is_blank(const char *l)
{
    while (*l == ' ' || *l == '\t' || *l == '\r')
        l++;
    return *l == '\0' || *l == '#';
}

/* Counts the lines that may hold a sample (an upper bound on the samples). */
static size_t count_lines(const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n;
}

typedef struct CsvState {
    SimPromRange *r;
    size_t line, n;
    int header_ok;              /* the first data line may still be a header */
} CsvState;

static int csv_line(CsvState *c, char *line, SimErr *err)
{
    SimPromSeries *s = &c->r->series[0];
    char *ts, *val;
    if (is_blank(line))
        return SIM_OK;
    if (!split2(line, &ts, &val))
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: expected two fields, timestamp,value", c->r->file, c->line);
    double v;
    int64_t t;
    if (c->header_ok && c->n == 0 && parse_value(val, &v) != SIM_OK && strcmp(val, "NaN") != 0) {
        c->header_ok = 0;   /* a header such as timestamp,value */
        return SIM_OK;
    }
    c->header_ok = 0;
    if (sim_prom_parse_time(ts, &t) != SIM_OK)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: timestamp: '%.40s' is neither Unix seconds nor RFC 3339 "
                           "(2026-03-18T09:30:00Z)", c->r->file, c->line, ts);
    if (parse_value(val, &v) != SIM_OK)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: value: '%.40s' is not a number", c->r->file, c->line, val);
    if (c->n > 0 && t <= s->t_ms[c->n - 1])
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: timestamp: times must strictly increase (a line repeats or "
                           "goes back)", c->r->file, c->line);
    if (c->n == 0)
        s->line0 = c->line;
    else if (c->line != s->line0 + c->n)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: a blank or comment line between samples", c->r->file,
                           c->line - 1);
    s->t_ms[c->n] = t;
    s->v[c->n++] = v;
    return SIM_OK;
}

static int csv_lines(SimPromRange *r, char *copy, size_t len, SimErr *err)
{
    CsvState c = {r, 0, 0, 1};
    char *p = copy, *end = copy + len;
    int rc = SIM_OK;
    while (rc == SIM_OK && p <= end && !(p == end && c.line > 0)) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        c.line++;
        rc = csv_line(&c, p, err);
        p = stop + 1;
    }
    if (rc == SIM_OK && c.n == 0)
        rc = sim_err_set(err, SIM_EINVAL, "%s: no samples (expected timestamp,value lines)", r->file);
    r->series[0].n = c.n;
    return rc;
}

int sim_prom_parse_csv(SimMem *m, const char *text, size_t len, const char *file, SimPromRange *out, SimErr *err)
{
    int rc = begin(m, file, out, 1, err);
    size_t cap = count_lines(text, len);
    if (rc == SIM_OK)
        rc = alloc_series(out, 1, err);
    if (rc == SIM_OK)
        rc = alloc_samples(out, &out->series[0], cap, err);
    char *copy = rc == SIM_OK ? sim_mem_alloc(m, len + 1) : NULL;
    if (rc == SIM_OK && copy == NULL)
        rc = sim_err_set(err, SIM_ENOMEM, "%s: out of memory", file);
    if (rc == SIM_OK) {
        memcpy(copy, text, len);
        copy[len] = '\0';
        rc = csv_lines(out, copy, len, err);
        sim_mem_free(m, copy, len + 1);
    }
    return rc;
}

int sim_prom_read(SimMem *m, const char *path, SimPromRange *out, SimErr *err)
{
    char *text = NULL;
    size_t len = 0, pl = strlen(path);
    memset(out, 0, sizeof *out);
    int rc = sim_file_read(m, path, SIM_FILE_MAX_JSON, "a recorded series", &text, &len, err);
    if (rc != SIM_OK)
        return rc;
    if (pl >= 4 && strcasecmp(path + pl - 4, ".csv") == 0)
        rc = sim_prom_parse_csv(m, text, len, path, out, err);
    else
        rc = sim_prom_parse_json(m, text, len, path, out, err);
    sim_mem_free(m, text, len + 1);
    return rc;
}

/* ---- selection ------------------------------------------------------------------ */
const char *sim_prom_label(const SimPromSeries *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, name) == 0)
            return s->labels[i].value;
    return NULL;
}

#define SEL_MAX 16
typedef struct Matcher {
    char name[128], value[256];
} Matcher;

/* One token of the selector: a name ([A-Za-z0-9_:.-]) or a quoted value. */
static int sel_token(const char **p, char *buf, size_t n)
{
    size_t k = 0;
    while (**p == ' ')
        (*p)++;
    char q = (**p == '"' || **p == '\'') ? *(*p)++ : 0;
    while (**p && (q ? **p != q : (isalnum((unsigned char)**p) || strchr("_:.-/", **p))) && k + 1 < n)
        buf[k++] = *(*p)++;
    buf[k] = '\0';
    if (q && **p != q)
        return 0;
    if (q)
        (*p)++;
    while (**p == ' ')
        (*p)++;
    return k > 0 || q;
}

/* A leading metric name (before '{' or alone) becomes a __name__ matcher. */
static void sel_metric(const char **p, Matcher *mt, size_t *n)
{
    const char *q = *p;
    char tok[sizeof mt->value];
    if (*q == '{' || *q == '"' || *q == '\'' || !sel_token(&q, tok, sizeof tok) || (*q != '{' && *q != '\0'))
        return;
    strcpy(mt[0].name, "__name__");
    strcpy(mt[0].value, tok);
    *n = 1;
    *p = q;
}

static int sel_parse(const char *sel, Matcher *mt, size_t *n)
{
    const char *p = sel;
    *n = 0;
    while (*p == ' ')
        p++;
    sel_metric(&p, mt, n);
    int braces = *p == '{';
    p += braces;
    while (*p && *p != '}') {
        if (*n == SEL_MAX)
            return 0;
        Matcher *m = &mt[(*n)++];
        if (!sel_token(&p, m->name, sizeof m->name) || *p++ != '=' || *p == '=' || *p == '~')
            return 0;
        if (!sel_token(&p, m->value, sizeof m->value))
            return 0;
        if (*p == ',')
            p++;
        while (*p == ' ')
            p++;
    }
    if (braces && *p++ != '}')
        return 0;
    return *p == '\0' && *n > 0;
}

static int sel_match(const SimPromSeries *s, const Matcher *mt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = sim_prom_label(s, mt[i].name);
        if (strcmp(v ? v : "", mt[i].value) != 0)
            return 0;
    }
    return 1;
}

/* The series as a list for a message: "{a="x"}, {a="y"}" (the first few). */
static void list_series(const SimPromRange *r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nseries && i < 6 && at + 4 < n; i++) {
        char one[300];
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "",
                               sim_prom_labels_text(&r->series[i], one, sizeof one));
    }
    if (r->nseries > 6 && at + 8 < n)
        snprintf(buf + at, n - at, ", ...");
}

int sim_prom_select(const SimPromRange *r, const char *selector, size_t *index, SimErr *err)
{
    Matcher mt[SEL_MAX];
    size_t nm = 0, found = 0;
    char list[700];
    if (selector && *selector && !sel_parse(selector, mt, &nm))
        return sim_err_set(err, SIM_EINVAL, "'%s' is not a label selector such as {job=\"api\", "
                           "instance=\"a\"} (equality matchers only)", selector);
    for (size_t i = 0; i < r->nseries; i++)
        if (sel_match(&r->series[i], mt, nm) && found++ == 0)
            *index = i;
    if (found == 1)
        return SIM_OK;
    list_series(r, list, sizeof list);
    if (found == 0)
        return sim_err_set(err, SIM_EINVAL, "%s: no series matches %s; the file has %s", r->file,
                           selector ? selector : "", list);
    return sim_err_set(err, SIM_EINVAL, "%s: %zu series match%s%s; pick one by its labels (series = "
                       "'{job=\"...\"}'); the file has %s", r->file, found, selector && *selector ? " " : "",
                       selector ? selector : "", list);
}
