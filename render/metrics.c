/*
 * metrics.c: metrics.csv into charts. Each row `t_seconds,region,object,name,
 * metric,value` lands in the series (region, name) of the chart (object,
 * metric); both are created on first sight, so metrics added by later
 * capabilities appear without code here. Invariant: every string is interned
 * once, so charts and series compare ids, and nothing is ever iterated in
 * hash order (the page cannot depend on the table layout).
 */
#include "render/rnd_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 64

enum { COL_T, COL_REGION, COL_OBJECT, COL_NAME, COL_METRIC, COL_VALUE, COL_COUNT };
static const char *const col_names[COL_COUNT] = {
    "t_seconds", "region", "object", "name", "metric", "value",
};

/* One line split into fields; fields point into RndMetrics.line. */
typedef struct Fields {
    const char *f[MAX_COLUMNS];
    size_t n;
} Fields;

/* Where the parser is, for messages and for the column layout of the header. */
typedef struct Cursor {
    const char *name;
    long line;
    size_t ncols;
    size_t col[COL_COUNT];
    SimErr *err;
} Cursor;

void rnd_metrics_init(RndMetrics *m, SimMem *mem)
{
    memset(m, 0, sizeof *m);
    m->mem = mem;
    rnd_buf_init(&m->line, mem);
    m->tmin = INFINITY;
    m->tmax = -INFINITY;
    m->memo_t = NAN;
}

void rnd_metrics_free(RndMetrics *m)
{
    SimMem *mem = m->mem;
    for (size_t i = 0; i < m->nstrs; i++)
        sim_mem_strfree(mem, m->strs[i]);
    sim_mem_free(mem, m->strs, m->capstrs * sizeof *m->strs);
    sim_mem_free(mem, m->strslots, m->capslots * sizeof *m->strslots);
    for (size_t i = 0; i < m->ncharts; i++)
        sim_mem_free(mem, m->charts[i].series, m->charts[i].cap * sizeof(uint32_t));
    sim_mem_free(mem, m->charts, m->capcharts * sizeof *m->charts);
    for (size_t i = 0; i < m->nseries; i++)
        sim_mem_free(mem, m->series[i].pts, m->series[i].cap * sizeof(RndPoint));
    sim_mem_free(mem, m->series, m->capseries * sizeof *m->series);
    sim_mem_free(mem, m->chartmap.slots, m->chartmap.cap * sizeof(RndMapSlot));
    sim_mem_free(mem, m->seriesmap.slots, m->seriesmap.cap * sizeof(RndMapSlot));
    sim_mem_free(mem, m->memo, m->capmemo * sizeof *m->memo);
    rnd_buf_free(&m->line);
    rnd_metrics_init(m, mem);
}

const char *rnd_metrics_str(const RndMetrics *m, uint32_t id)
{
    return id < m->nstrs ? m->strs[id] : "";
}

/* ---- hashing -------------------------------------------------------------- */

static uint32_t hash_bytes(const char *s)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static uint32_t hash_key(const uint32_t k[3])
{
    uint64_t h = k[0] * 0x9E3779B97F4A7C15ull;
    h = (h ^ k[1]) * 0xC2B2AE3D27D4EB4Full;
    h = (h ^ k[2]) * 0x165667B19E3779F9ull;
    return (uint32_t)(h >> 32);
}

/* The slot for key: the one holding it, or the empty one where it belongs. */
static RndMapSlot *map_slot(const RndMap *mp, const uint32_t k[3])
{
    size_t mask = mp->cap - 1;
    for (size_t i = hash_key(k) & mask;; i = (i + 1) & mask) {
        RndMapSlot *s = &mp->slots[i];
        if (s->v1 == 0 || memcmp(s->k, k, sizeof s->k) == 0)
            return s;
    }
}

/* Keeps the load at most one half so probes stay short and a slot is free. */
static int map_reserve(SimMem *mem, RndMap *mp)
{
    if (mp->cap && (mp->used + 1) * 2 <= mp->cap)
        return SIM_OK;
    RndMap grown = {NULL, mp->cap ? mp->cap * 2 : 64, mp->used};
    grown.slots = sim_mem_calloc(mem, grown.cap, sizeof *grown.slots);
    if (grown.slots == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < mp->cap; i++)
        if (mp->slots[i].v1)
            *map_slot(&grown, mp->slots[i].k) = mp->slots[i];
    sim_mem_free(mem, mp->slots, mp->cap * sizeof *mp->slots);
    *mp = grown;
    return SIM_OK;
}

static uint32_t *str_slot(const RndMetrics *m, const char *s)
{
    size_t mask = m->capslots - 1;
    for (size_t i = hash_bytes(s) & mask;; i = (i + 1) & mask) {
        uint32_t *slot = &m->strslots[i];
        if (*slot == 0 || strcmp(m->strs[*slot - 1], s) == 0)
            return slot;
    }
}

static int str_reserve(RndMetrics *m)
{
    if (m->capslots && (m->nstrs + 1) * 2 <= m->capslots)
        return SIM_OK;
    size_t ncap = m->capslots ? m->capslots * 2 : 64;
    uint32_t *slots = sim_mem_calloc(m->mem, ncap, sizeof *slots);
    if (slots == NULL)
        return SIM_ENOMEM;
    sim_mem_free(m->mem, m->strslots, m->capslots * sizeof *slots);
    m->strslots = slots;
    m->capslots = ncap;
    for (size_t i = 0; i < m->nstrs; i++)
        *str_slot(m, m->strs[i]) = (uint32_t)i + 1;
    return SIM_OK;
}

static int intern(RndMetrics *m, const char *s, uint32_t *id)
{
    if (str_reserve(m) != SIM_OK ||
        sim_mem_grow(m->mem, (void **)&m->strs, &m->capstrs, m->nstrs + 1, sizeof *m->strs))
        return SIM_ENOMEM;
    uint32_t *slot = str_slot(m, s);
    if (*slot == 0) {
        char *copy = sim_mem_strdup(m->mem, s);
        if (copy == NULL)
            return SIM_ENOMEM;
        m->strs[m->nstrs++] = copy;
        *slot = (uint32_t)m->nstrs;
    }
    *id = *slot - 1;
    return SIM_OK;
}

/* ---- charts and series ---------------------------------------------------- */

static int chart_for(RndMetrics *m, uint32_t object, uint32_t metric, uint32_t *out)
{
    uint32_t k[3] = {object, metric, 0};
    if (map_reserve(m->mem, &m->chartmap) != SIM_OK ||
        sim_mem_grow(m->mem, (void **)&m->charts, &m->capcharts, m->ncharts + 1,
                     sizeof *m->charts) != SIM_OK)
        return SIM_ENOMEM;
    RndMapSlot *s = map_slot(&m->chartmap, k);
    if (s->v1 == 0) {
        RndChart *c = &m->charts[m->ncharts];
        memset(c, 0, sizeof *c);
        c->object = object;
        c->metric = metric;
        c->threshold = -1;
        memcpy(s->k, k, sizeof k);
        s->v1 = (uint32_t)++m->ncharts;
        m->chartmap.used++;
    }
    *out = s->v1 - 1;
    return SIM_OK;
}

static int series_new(RndMetrics *m, uint32_t chart, uint32_t region, uint32_t name)
{
    RndChart *c = &m->charts[chart];
    if (sim_mem_grow(m->mem, (void **)&m->series, &m->capseries, m->nseries + 1,
                     sizeof *m->series) != SIM_OK ||
        sim_mem_grow(m->mem, (void **)&c->series, &c->cap, c->n + 1, sizeof *c->series))
        return SIM_ENOMEM;
    RndSeries *s = &m->series[m->nseries];
    memset(s, 0, sizeof *s);
    s->region = region;
    s->name = name;
    s->vmin = INFINITY;
    s->vmax = -INFINITY;
    s->last = NAN;
    s->minpos = NAN;
    s->integral = 1;
    c->series[c->n++] = (uint32_t)m->nseries++;
    return SIM_OK;
}

static int series_for(RndMetrics *m, uint32_t chart, uint32_t region, uint32_t name,
                      RndSeries **out)
{
    uint32_t k[3] = {chart, region, name};
    if (map_reserve(m->mem, &m->seriesmap) != SIM_OK)
        return SIM_ENOMEM;
    RndMapSlot *s = map_slot(&m->seriesmap, k);
    if (s->v1 == 0) {
        if (series_new(m, chart, region, name) != SIM_OK)
            return SIM_ENOMEM;
        memcpy(s->k, k, sizeof k);
        s->v1 = (uint32_t)m->nseries;
        m->seriesmap.used++;
    }
    *out = &m->series[s->v1 - 1];
    return SIM_OK;
}

/* The statistics of one more finite value, in time order. */
static void stats_add(RndSeries *s, double v)
{
    s->integral &= v == floor(v);
    s->vmin = fmin(s->vmin, v);
    s->vmax = fmax(s->vmax, v);
    s->last = v;
    if (v > 0 && !(v >= s->minpos))
        s->minpos = v;
}

static int push_point(RndMetrics *m, RndSeries *s, double t, double v)
{
    if (sim_mem_grow(m->mem, (void **)&s->pts, &s->cap, s->n + 1, sizeof *s->pts))
        return SIM_ENOMEM;
    s->pts[s->n++] = (RndPoint){t, isfinite(v) ? v : NAN};
    m->tmin = fmin(m->tmin, t);
    m->tmax = fmax(m->tmax, t);
    m->rows++;
    if (isfinite(v))
        stats_add(s, v);
    return SIM_OK;
}

/* ---- bounded series ------------------------------------------------------------- */

/* Bucket b (two points) after bucket a, merged into out: the first minimum
 * and the first maximum of their finite points in time order (as
 * rnd_downsample picks them), or a's gap when neither has a value. */
static void bucket_merge(const RndPoint a[2], const RndPoint b[2], RndPoint out[2])
{
    const RndPoint *c[4] = {&a[0], &a[1], &b[0], &b[1]};
    int lo = -1, hi = -1;
    for (int i = 0; i < 4; i++) {
        if (isnan(c[i]->v))
            continue;
        if (lo < 0 || c[i]->v < c[lo]->v)
            lo = i;
        if (hi < 0 || c[i]->v > c[hi]->v)
            hi = i;
    }
    RndPoint first = *c[0];
    if (lo < 0) {
        out[0] = out[1] = first;
        return;
    }
    out[0] = *c[lo < hi ? lo : hi];
    out[1] = *c[lo < hi ? hi : lo];
}

/* Halves the buckets: each pair becomes one of twice the width. */
static void buckets_halve(RndSeries *s)
{
    size_t nb = s->n / 2;
    for (size_t i = 0; i < nb / 2; i++) {
        RndPoint o[2];
        bucket_merge(&s->pts[4 * i], &s->pts[4 * i + 2], o);
        s->pts[2 * i] = o[0];
        s->pts[2 * i + 1] = o[1];
    }
    s->n = nb / 2 * 2;
    s->level++;
}

/* The samples of a full level-0 series become buckets of two (in place). */
static void to_buckets(RndSeries *s)
{
    for (size_t i = 0; i + 1 < s->n; i += 2) {
        RndPoint a[2] = {s->pts[i], s->pts[i]}, b[2] = {s->pts[i + 1], s->pts[i + 1]}, o[2];
        bucket_merge(a, b, o);
        s->pts[i] = o[0];
        s->pts[i + 1] = o[1];
    }
    s->level = 1;
    if (s->n / 2 >= RND_SERIES_RAW / 2)
        buckets_halve(s);
}

/* A sample of a bounded series: raw while it has room, else into the
 * bucket being filled, which joins the others when it holds 2^level. */
static int push_bounded(RndMetrics *m, RndSeries *s, double t, double v)
{
    if (s->level == 0 && s->n < RND_SERIES_RAW) {
        if (s->cap < RND_SERIES_RAW && s->n + 1 > s->cap) {   /* doubling, but never past the bound */
            size_t ncap = s->cap ? 2 * s->cap : 8;
            ncap = ncap < RND_SERIES_RAW ? ncap : RND_SERIES_RAW;
            RndPoint *q = sim_mem_realloc(m->mem, s->pts, s->cap * sizeof *q, ncap * sizeof *q);
            if (q == NULL)
                return SIM_ENOMEM;
            s->pts = q;
            s->cap = ncap;
        }
        return push_point(m, s, t, v);
    }
    if (s->level == 0)
        to_buckets(s);
    RndPoint p = {t, isfinite(v) ? v : NAN}, one[2] = {p, p};
    if (s->npend == 0)
        s->pend[0] = s->pend[1] = p;
    else
        bucket_merge(s->pend, one, s->pend);
    m->tmin = fmin(m->tmin, t);
    m->tmax = fmax(m->tmax, t);
    m->rows++;
    if (isfinite(v))
        stats_add(s, v);
    if (++s->npend < ((size_t)1 << s->level))
        return SIM_OK;
    s->pts[s->n++] = s->pend[0];   /* room: at most RND_SERIES_RAW / 2 - 1 buckets are held here */
    s->pts[s->n++] = s->pend[1];
    s->npend = 0;
    if (s->n >= RND_SERIES_RAW)
        buckets_halve(s);
    return SIM_OK;
}

/* Series drawn from every sample: the service load (the report's surge
 * bands take its median) and the cumulative costs (cost per hour is derived
 * from consecutive samples). Few, so they stay whole. */
static int keeps_every_sample(const RndMetrics *m, const uint32_t ids[4])
{
    const char *object = m->strs[ids[0]], *metric = m->strs[ids[1]];
    if (strcmp(metric, "rps") == 0 && strcmp(object, "service") == 0)
        return 1;
    return strcmp(metric, "cost_usd") == 0 &&
           (strcmp(object, "region") == 0 || strcmp(object, "nodegroup") == 0 || strcmp(object, "namespace") == 0);
}

static void emit(RndPoint *out, size_t *k, const RndPoint b[2])
{
    out[(*k)++] = b[0];
    if (!isnan(b[0].v) && (b[1].t != b[0].t || b[1].v != b[0].v))
        out[(*k)++] = b[1];
}

size_t rnd_series_draw_points(const RndSeries *s, RndPoint *out, size_t cap)
{
    if (s->level == 0)
        return rnd_downsample(s->pts, s->n, out, cap);
    size_t nb = s->n / 2 + (s->npend > 0), groups = cap / 2, k = 0;
    if (groups > nb)
        groups = nb;
    for (size_t g = 0; g < groups; g++) {
        size_t from = g * nb / groups, to = (g + 1) * nb / groups;
        RndPoint acc[2];
        for (size_t i = from; i < to; i++) {
            const RndPoint *b = i < s->n / 2 ? &s->pts[2 * i] : s->pend;
            if (i == from) {
                acc[0] = b[0];
                acc[1] = b[1];
            } else {
                bucket_merge(acc, b, acc);
            }
        }
        emit(out, &k, acc);
    }
    return k;
}

/* ids: object, metric, region, name. */
static int series_of(RndMetrics *m, const uint32_t ids[4], RndSeries **s)
{
    uint32_t chart;
    if (chart_for(m, ids[0], ids[1], &chart) != SIM_OK || series_for(m, chart, ids[2], ids[3], s) != SIM_OK)
        return SIM_ENOMEM;
    return SIM_OK;
}

static int add_point(RndMetrics *m, const uint32_t ids[4], double t, double v)
{
    RndSeries *s;
    if (series_of(m, ids, &s) != SIM_OK)
        return SIM_ENOMEM;
    return push_point(m, s, t, v);
}

/* ---- rows from the recorder ------------------------------------------------- */

/* The time as metrics.csv has it: whole seconds print as an integer, others
 * with three decimals (sim/metrics.c), and the parser reads that text. */
static double csv_seconds(SimTime t)
{
    if (t % SIM_NS_PER_S == 0)
        return (double)(t / SIM_NS_PER_S);
    char buf[48];
    snprintf(buf, sizeof buf, "%.3f", (double)t / (double)SIM_NS_PER_S);
    return strtod(buf, NULL);
}

/* The value as metrics.csv has it ("%.10g", read back). An integer of up to
 * 10 digits prints exactly, so the common count needs no text. */
static double csv_value(double v)
{
    if (!isfinite(v))
        return NAN;
    if (v == trunc(v) && fabs(v) < 1e10)
        return v;
    char buf[48];
    snprintf(buf, sizeof buf, "%.10g", v);
    return strtod(buf, NULL);
}

static int memo_hit(const RndMetrics *m, const RndRowMemo *mo, const char *const str[4])
{
    for (int i = 0; i < 4; i++)
        if (strcmp(m->strs[mo->ids[i]], str[i]) != 0)
            return 0;
    return 1;
}

/* The series of a row met at position k of its sample: the memo's when the
 * row is the one seen there last, else looked up (and remembered). */
static int row_series(RndMetrics *m, size_t k, const char *const str[4], RndSeries **s)
{
    if (k < m->nmemo && memo_hit(m, &m->memo[k], str)) {
        *s = &m->series[m->memo[k].series];
        return SIM_OK;
    }
    RndRowMemo mo;
    for (int i = 0; i < 4; i++)
        if (intern(m, str[i], &mo.ids[i]) != SIM_OK)
            return SIM_ENOMEM;
    if (series_of(m, mo.ids, s) != SIM_OK)
        return SIM_ENOMEM;
    (*s)->bounded = !keeps_every_sample(m, mo.ids);
    mo.series = (uint32_t)(*s - m->series);
    if (k >= m->nmemo) {
        if (sim_mem_grow(m->mem, (void **)&m->memo, &m->capmemo, k + 1, sizeof *m->memo))
            return SIM_ENOMEM;
        m->nmemo = k + 1;
    }
    m->memo[k] = mo;
    return SIM_OK;
}

int rnd_metrics_add_row(RndMetrics *m, SimTime t, const char *region, const char *object, const char *name,
                        const char *metric, double value)
{
    const char *str[4] = {object, metric, region, name};
    double sec = csv_seconds(t);
    if (!(sec == m->memo_t)) {
        m->memo_t = sec;
        m->memo_pos = 0;
    }
    RndSeries *s;
    if (row_series(m, m->memo_pos++, str, &s) != SIM_OK)
        return SIM_ENOMEM;
    return s->bounded ? push_bounded(m, s, sec, csv_value(value)) : push_point(m, s, sec, csv_value(value));
}

/* ---- parsing -------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(const Cursor *cu, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return sim_err_set(cu->err, SIM_EINVAL, "%s:%ld: %s", cu->name, cu->line, why);
}

/* Copies one field, unquoting "a ""b""" to a "b", NUL-terminated into the
 * line buffer; leaves *pp on the comma after it or at end. Returns 0, or -1
 * on a quote out of place. */
static int field(RndBuf *b, const char **pp, const char *end)
{
    const char *p = *pp;
    if (p < end && *p == '"') {
        for (p++;; p++) {
            if (p >= end)
                return -1;
            if (*p == '"' && !(p + 1 < end && p[1] == '"'))
                break;
            rnd_buf_add(b, p, 1);
            p += *p == '"';
        }
        p++;
        if (p < end && *p != ',')
            return -1;
    } else {
        const char *q = p;
        while (p < end && *p != ',')
            p++;
        if (memchr(q, '"', (size_t)(p - q)))
            return -1;
        rnd_buf_add(b, q, (size_t)(p - q));
    }
    rnd_buf_add(b, "", 1);
    *pp = p;
    return 0;
}

/* Splits [p, end) into fields. The line buffer may move as it grows, so
 * fields are kept as offsets first and turned into pointers at the end. */
static int split(RndMetrics *m, const Cursor *cu, const char *p, const char *end, Fields *out)
{
    size_t off[MAX_COLUMNS];
    rnd_buf_reset(&m->line);
    for (out->n = 0;; p++) {
        if (out->n == MAX_COLUMNS)
            return fail(cu, "more than %d columns", MAX_COLUMNS);
        off[out->n++] = m->line.len;
        if (field(&m->line, &p, end) != 0)
            return fail(cu, "quote out of place in field %zu", out->n);
        if (p >= end)
            break;
    }
    if (m->line.oom)
        return SIM_ENOMEM;
    for (size_t i = 0; i < out->n; i++)
        out->f[i] = m->line.p + off[i];
    return SIM_OK;
}

static int header(Cursor *cu, const Fields *f)
{
    cu->ncols = f->n;
    for (size_t c = 0; c < COL_COUNT; c++) {
        cu->col[c] = SIZE_MAX;
        for (size_t i = 0; i < f->n; i++)
            if (strcmp(f->f[i], col_names[c]) == 0)
                cu->col[c] = i;
        if (cu->col[c] == SIZE_MAX)
            return fail(cu, "header has no column '%s' (expected "
                        "t_seconds,region,object,name,metric,value)", col_names[c]);
    }
    return SIM_OK;
}

/* A number, or nan/inf for value (a gap); surrounding blanks are allowed. */
static int number(const Cursor *cu, const char *s, const char *what, double *out)
{
    char *end;
    *out = strtod(s, &end);
    while (end != s && (*end == ' ' || *end == '\t'))
        end++;
    if (end == s || *end != '\0')
        return fail(cu, "%s '%.40s' is not a number", what, s);
    return SIM_OK;
}

static int row(RndMetrics *m, const Cursor *cu, const Fields *f)
{
    static const int id_cols[4] = {COL_OBJECT, COL_METRIC, COL_REGION, COL_NAME};
    double t, v;
    uint32_t ids[4];
    if (f->n != cu->ncols)
        return fail(cu, "expected %zu fields, found %zu", cu->ncols, f->n);
    if (number(cu, f->f[cu->col[COL_T]], "t_seconds", &t) ||
        number(cu, f->f[cu->col[COL_VALUE]], "value", &v))
        return SIM_EINVAL;
    if (!isfinite(t))
        return fail(cu, "t_seconds '%.40s' is not finite", f->f[cu->col[COL_T]]);
    if (f->f[cu->col[COL_OBJECT]][0] == '\0' || f->f[cu->col[COL_METRIC]][0] == '\0')
        return fail(cu, "object and metric must not be empty");
    for (int i = 0; i < 4; i++)
        if (intern(m, f->f[cu->col[id_cols[i]]], &ids[i]) != SIM_OK)
            return SIM_ENOMEM;
    return add_point(m, ids, t, v);
}

static int is_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t')
            return 0;
    return 1;
}

int rnd_metrics_parse(RndMetrics *m, const char *text, size_t len, const char *name, SimErr *err)
{
    Cursor cu = {.name = name, .line = 0, .err = err};
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;   /* a byte order mark some editors add */
    int rc = SIM_OK;
    while (rc == SIM_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        cu.line++;
        const char *stop = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (!is_blank(p, stop) || cu.line == 1) {
            Fields f;
            rc = split(m, &cu, p, stop, &f);
            if (rc == SIM_OK)
                rc = cu.line == 1 ? header(&cu, &f) : row(m, &cu, &f);
        }
        p = nl ? nl + 1 : end;
    }
    if (rc == SIM_OK && cu.line == 0)
        rc = fail(&cu, "empty file, expected the header line");
    return rc;
}

/* ---- after the last row --------------------------------------------------- */

static int point_cmp(const void *pa, const void *pb)
{
    const RndPoint *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (isnan(a->v) || isnan(b->v))   /* a total order keeps sorting reproducible */
        return isnan(a->v) - isnan(b->v);
    return (a->v > b->v) - (a->v < b->v);
}

static void series_finish(RndSeries *s)
{
    if (s->level > 0)
        return;   /* in time order, its statistics kept as it grew */
    size_t i = 1;
    while (i < s->n && s->pts[i - 1].t <= s->pts[i].t)
        i++;
    if (i < s->n)   /* the recorder writes in time order; sort only if not */
        qsort(s->pts, s->n, sizeof *s->pts, point_cmp);
    s->vmin = INFINITY;
    s->vmax = -INFINITY;
    s->last = NAN;
    s->minpos = NAN;
    s->integral = 1;
    for (i = 0; i < s->n; i++)
        if (!isnan(s->pts[i].v))
            stats_add(s, s->pts[i].v);
}

static int str_find(const RndMetrics *m, const char *s, uint32_t *id)
{
    if (m->capslots == 0)
        return 0;
    uint32_t slot = *str_slot(m, s);
    *id = slot - 1;
    return slot != 0;
}

/* The latency metric a target metric is drawn on: slo_target_ms (the p95
 * target, the older row) on latency_p95_ms, slo_pNN_target_ms on
 * latency_pNN_ms; 0 when the metric is no target. */
static int target_host_metric(const char *metric, char *buf, size_t n)
{
    static const char pre[] = "slo_", post[] = "_target_ms";
    size_t len = strlen(metric), a = sizeof pre - 1, z = sizeof post - 1;
    if (strcmp(metric, "slo_target_ms") == 0) {
        snprintf(buf, n, "latency_p95_ms");
        return 1;
    }
    if (len <= a + z || strncmp(metric, pre, a) != 0 || strcmp(metric + len - z, post) != 0 || metric[a] != 'p')
        return 0;
    snprintf(buf, n, "latency_%.*s_ms", (int)(len - a - z), metric + a);
    return 1;
}

/* The latency chart an SLO target chart belongs on: its percentile's, of
 * the same object, else of any object; -1 when there is none (a p99.9
 * target has no latency series: it keeps a chart of its own). */
static int32_t latency_chart(const RndMetrics *m, const RndChart *target)
{
    char host[96];
    uint32_t lat;
    if (!target_host_metric(rnd_metrics_str(m, target->metric), host, sizeof host) || !str_find(m, host, &lat))
        return -1;
    uint32_t k[3] = {target->object, lat, 0};
    const RndMapSlot *s = map_slot(&m->chartmap, k);
    if (s->v1)
        return (int32_t)(s->v1 - 1);
    for (size_t i = 0; i < m->ncharts; i++)
        if (m->charts[i].metric == lat)
            return (int32_t)i;
    return -1;
}

/* Each SLO target chart is drawn dashed on its percentile's latency chart.
 * slo_target_ms and slo_p95_target_ms carry the same p95 target: the first
 * becomes the line, the other is absorbed without a second line. */
void rnd_metrics_finish(RndMetrics *m)
{
    for (size_t i = 0; i < m->nseries; i++)
        series_finish(&m->series[i]);
    for (size_t i = 0; i < m->ncharts; i++) {
        m->charts[i].threshold = -1;
        m->charts[i].absorbed = 0;
    }
    for (size_t i = 0; i < m->ncharts; i++) {
        int32_t host = latency_chart(m, &m->charts[i]);
        if (host < 0)
            continue;
        int32_t t = m->charts[host].threshold;
        if (t < 0)
            m->charts[host].threshold = (int32_t)i;
        m->charts[i].absorbed = t < 0 || m->charts[t].object == m->charts[i].object;
    }
}

/* ---- cost per hour ---------------------------------------------------------- */

#define RATE_METRIC "cost_per_hour_usd"

/* One cumulative cost series' rate: each sample after the first gets the
 * cost added since the one before, per hour of that interval. */
static int rate_series(RndMetrics *m, const uint32_t ids[4], size_t src)
{
    for (size_t i = 1; i < m->series[src].n; i++) {
        RndPoint a = m->series[src].pts[i - 1], z = m->series[src].pts[i];
        if (!(z.t > a.t))
            continue;
        double v = isnan(a.v) || isnan(z.v) ? NAN : (z.v - a.v) / (z.t - a.t) * 3600.0;
        if (add_point(m, ids, z.t, v) != SIM_OK)
            return SIM_ENOMEM;
        m->rows--;   /* derived, not read */
    }
    return SIM_OK;
}

int rnd_metrics_cost_rates(RndMetrics *m)
{
    uint32_t cost, rate, c;
    if (!str_find(m, "cost_usd", &cost))
        return SIM_OK;
    if (intern(m, RATE_METRIC, &rate) != SIM_OK)
        return SIM_ENOMEM;
    for (size_t i = 0; i < m->ncharts; i++)
        if (m->charts[i].metric == rate)
            return SIM_OK;   /* derived already, or given */
    size_t ncharts = m->ncharts;
    for (size_t i = 0; i < ncharts; i++) {
        const char *obj = rnd_metrics_str(m, m->charts[i].object);
        if (m->charts[i].metric != cost || (strcmp(obj, "region") && strcmp(obj, "nodegroup") &&
                                             strcmp(obj, "namespace")))
            continue;
        if (chart_for(m, m->charts[i].object, rate, &c) != SIM_OK)
            return SIM_ENOMEM;
        for (size_t k = 0; k < m->charts[i].n; k++) {
            size_t src = m->charts[i].series[k];
            uint32_t ids[4] = {m->charts[i].object, rate, m->series[src].region, m->series[src].name};
            if (rate_series(m, ids, src) != SIM_OK)
                return SIM_ENOMEM;
        }
    }
    for (size_t i = ncharts; i < m->ncharts; i++)
        for (size_t k = 0; k < m->charts[i].n; k++)
            series_finish(&m->series[m->charts[i].series[k]]);
    return SIM_OK;
}

/* ---- page order ------------------------------------------------------------ */

typedef struct OrderKey {
    int rank;
    int objrank;
    const char *metric;
    const char *object;
    uint32_t idx;
} OrderKey;

/* Capacity first (nodes per region, per node group), then pods, then
 * replicas, then everything else alphabetically, and money last. */
static int metric_rank(const char *object, const char *metric)
{
    if (strcmp(metric, "nodes") == 0)
        return strcmp(object, "region") == 0 ? 0 : strcmp(object, "nodegroup") == 0 ? 1 : 2;
    if (strcmp(metric, "pods_running") == 0)
        return 3;
    if (strcmp(metric, "pods_pending") == 0)
        return 4;
    if (strcmp(metric, "replicas") == 0)
        return 5;
    if (strcmp(metric, RATE_METRIC) == 0)
        return 7;   /* what it costs now, before what it has cost */
    return strncmp(metric, "cost", 4) == 0 ? 8 : 6;
}

static int object_rank(const char *object)
{
    return strcmp(object, "region") == 0 ? 0 : strcmp(object, "nodegroup") == 0 ? 1 : 2;
}

static int order_cmp(const void *pa, const void *pb)
{
    const OrderKey *a = pa, *b = pb;
    int c = a->rank - b->rank;
    if (c == 0)
        c = strcmp(a->metric, b->metric);
    if (c == 0)
        c = a->objrank - b->objrank;
    if (c == 0)
        c = strcmp(a->object, b->object);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static size_t drawn_count(const RndMetrics *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->ncharts; i++)
        k += !m->charts[i].absorbed;
    return k;
}

int rnd_metrics_order(const RndMetrics *m, uint32_t **order, size_t *n)
{
    size_t k = drawn_count(m), j = 0;
    *order = NULL;
    *n = 0;
    if (k == 0)
        return SIM_OK;
    OrderKey *keys = sim_mem_alloc(m->mem, k * sizeof *keys);
    uint32_t *out = sim_mem_alloc(m->mem, k * sizeof *out);
    if (keys == NULL || out == NULL) {
        sim_mem_free(m->mem, keys, k * sizeof *keys);
        sim_mem_free(m->mem, out, k * sizeof *out);
        return SIM_ENOMEM;
    }
    for (uint32_t i = 0; i < m->ncharts; i++) {
        const char *obj = rnd_metrics_str(m, m->charts[i].object);
        const char *met = rnd_metrics_str(m, m->charts[i].metric);
        if (!m->charts[i].absorbed)
            keys[j++] = (OrderKey){metric_rank(obj, met), object_rank(obj), met, obj, i};
    }
    qsort(keys, k, sizeof *keys, order_cmp);
    for (size_t i = 0; i < k; i++)
        out[i] = keys[i].idx;
    sim_mem_free(m->mem, keys, k * sizeof *keys);
    *order = out;
    *n = k;
    return SIM_OK;
}
