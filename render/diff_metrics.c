/*
 * diff_metrics.c: the metrics.csv series where two runs differ most. A
 * series is (region, object, name, metric); its two courses are laid side
 * by side at every sample time of either run, each holding its last value
 * (0 before its first), and the sample where |B - A| is largest is kept.
 * Series rank by that gap over the series' own largest magnitude (so pods
 * and dollars compare), then by the gap, then by name: the same inputs give
 * the same order.
 */
#include "render/diff_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/arena.h"
#include "sim/json.h"

typedef struct Pt {
    double t, v;
} Pt;

typedef struct Series {
    const char *key;             /* "us-east/region/us-east/pods_pending", in the arena */
    Pt *p[2];                    /* run A's and run B's samples, in file order */
    size_t n[2], cap[2];
    double gap, scale, at, va, vb;
} Series;

typedef struct Tab {
    SimMem *m;
    SimArena arena;
    Series *s;
    size_t n, cap;
    uint32_t *slot;              /* open addressing: series index + 1, 0 empty */
    size_t nslot;
} Tab;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}

static int rehash(Tab *t)
{
    size_t n = t->nslot ? t->nslot * 2 : 1024;
    uint32_t *slot = sim_mem_calloc(t->m, n, sizeof *slot);
    if (slot == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = (size_t)(hash(t->s[i].key) & (n - 1));
        while (slot[h])
            h = (h + 1) & (n - 1);
        slot[h] = (uint32_t)(i + 1);
    }
    sim_mem_free(t->m, t->slot, t->nslot * sizeof *t->slot);
    t->slot = slot;
    t->nslot = n;
    return SIM_OK;
}

/* The series named key, added when new; NULL on out of memory. */
static Series *series(Tab *t, const char *key)
{
    if ((t->n + 1) * 2 > t->nslot && rehash(t) != SIM_OK)
        return NULL;
    size_t h = (size_t)(hash(key) & (t->nslot - 1));
    for (; t->slot[h]; h = (h + 1) & (t->nslot - 1))
        if (strcmp(t->s[t->slot[h] - 1].key, key) == 0)
            return &t->s[t->slot[h] - 1];
    if (sim_mem_grow(t->m, (void **)&t->s, &t->cap, t->n + 1, sizeof *t->s) != SIM_OK)
        return NULL;
    Series *s = &t->s[t->n];
    memset(s, 0, sizeof *s);
    if ((s->key = sim_arena_strdup(&t->arena, key)) == NULL)
        return NULL;
    t->slot[h] = (uint32_t)++t->n;
    return s;
}

/* Splits one CSV line (no quoting in kubesim's own files, but a quoted field
 * is read whole) into at most max fields, in place. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            f[n++] = ++p;
            while (*p && *p != '"')
                p++;
            if (*p)
                *p++ = '\0';
        } else {
            f[n++] = p;
        }
        while (*p && *p != ',')
            p++;
        if (*p != ',')
            break;
        *p++ = '\0';
    }
    return n;
}

static int add_line(Tab *t, int run, char *line, const char *path, size_t lineno, SimErr *err)
{
    char *f[7], key[1024], *end, *end2;
    if (split(line, f, 7) != 6)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: expected 6 fields (t_seconds,region,object,name,metric,value)",
                           path, lineno);
    double ts = strtod(f[0], &end), v = strtod(f[5], &end2);
    if (*end || *end2 || end == f[0])
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: t_seconds and value must be numbers", path, lineno);
    snprintf(key, sizeof key, "%s/%s/%s/%s", f[1], f[2], f[3], f[4]);
    Series *s = series(t, key);
    if (s == NULL || sim_mem_grow(t->m, (void **)&s->p[run], &s->cap[run], s->n[run] + 1, sizeof *s->p[run]))
        return sim_err_set(err, SIM_ENOMEM, "out of memory reading %s", path);
    s->p[run][s->n[run]++] = (Pt){ts, isfinite(v) ? v : 0};
    return SIM_OK;
}

/* Reads one metrics.csv (a copy: lines are split in place). */
static int read_csv(Tab *t, int run, const char *text, size_t len, const char *path, SimErr *err)
{
    char *buf = sim_mem_alloc(t->m, len + 1);
    if (buf == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory reading %s", path);
    memcpy(buf, text, len);
    buf[len] = '\0';
    int rc = SIM_OK;
    size_t lineno = 0;
    for (char *line = buf, *nl; rc == SIM_OK && line && *line; line = nl ? nl + 1 : NULL) {
        if ((nl = strchr(line, '\n')) != NULL)
            *nl = '\0';
        if (++lineno == 1 && strncmp(line, "t_seconds,", 10) != 0)
            rc = sim_err_set(err, SIM_EINVAL, "%s:1: not a kubesim metrics.csv (expected the header t_seconds,...)",
                             path);
        else if (lineno > 1 && *line)
            rc = add_line(t, run, line, path, lineno, err);
    }
    sim_mem_free(t->m, buf, len + 1);
    return rc;
}

/* Walks both courses over the union of their sample times. */
static void measure(Series *s)
{
    size_t i = 0, j = 0;
    double a = 0, b = 0;
    s->gap = -1;
    while (i < s->n[0] || j < s->n[1]) {
        double ta = i < s->n[0] ? s->p[0][i].t : INFINITY, tb = j < s->n[1] ? s->p[1][j].t : INFINITY;
        double t = ta < tb ? ta : tb;
        for (; i < s->n[0] && s->p[0][i].t == t; i++)
            a = s->p[0][i].v;
        for (; j < s->n[1] && s->p[1][j].t == t; j++)
            b = s->p[1][j].v;
        s->scale = fmax(s->scale, fmax(fabs(a), fabs(b)));
        if (fabs(b - a) > s->gap) {
            s->gap = fabs(b - a);
            s->at = t, s->va = a, s->vb = b;
        }
    }
}

static int by_gap(const void *x, const void *y)
{
    const Series *a = *(const Series *const *)x, *b = *(const Series *const *)y;
    double ra = a->gap / a->scale, rb = b->gap / b->scale;
    if (ra != rb)
        return ra > rb ? -1 : 1;
    if (a->gap != b->gap)
        return a->gap > b->gap ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int report(Tab *t, const RndClock *c, cJSON *answer)
{
    Series **order = sim_mem_alloc(t->m, (t->n + 1) * sizeof *order);
    if (order == NULL)
        return SIM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        measure(&t->s[i]);
        if (t->s[i].gap > 0)
            order[k++] = &t->s[i];
    }
    if (k > 0)   /* qsort's pointer must not be NULL, even for 0 items */
        qsort(order, k, sizeof *order, by_gap);
    cJSON *list = sim_json_add_item(answer, "metrics", cJSON_CreateArray());
    char when[32];
    for (size_t i = 0; i < k && i < RND_DIFF_TOP; i++) {
        cJSON *o = sim_json_push(list, cJSON_CreateObject());
        rnd_diff_time(c, order[i]->at, when, sizeof when);
        cJSON_AddStringToObject(o, "series", order[i]->key);
        cJSON_AddNumberToObject(o, "t_seconds", order[i]->at);
        cJSON_AddStringToObject(o, "time", when);
        cJSON_AddNumberToObject(o, "a", order[i]->va);
        cJSON_AddNumberToObject(o, "b", order[i]->vb);
        cJSON_AddNumberToObject(o, "delta", order[i]->vb - order[i]->va);
    }
    sim_mem_free(t->m, order, (t->n + 1) * sizeof *order);
    return SIM_OK;
}

static void tab_free(Tab *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (int r = 0; r < 2; r++)
            sim_mem_free(t->m, t->s[i].p[r], t->s[i].cap[r] * sizeof *t->s[i].p[r]);
    sim_mem_free(t->m, t->s, t->cap * sizeof *t->s);
    sim_mem_free(t->m, t->slot, t->nslot * sizeof *t->slot);
    sim_arena_free(&t->arena);
}

int rnd_diff_metrics(SimMem *m, const char *a, size_t alen, const char *apath, const char *b, size_t blen,
                     const char *bpath, const RndClock *c, cJSON *answer, SimErr *err)
{
    Tab t = {.m = m};
    sim_arena_init(&t.arena, m);
    int rc = read_csv(&t, 0, a, alen, apath, err);
    if (rc == SIM_OK)
        rc = read_csv(&t, 1, b, blen, bpath, err);
    if (rc == SIM_OK && report(&t, c, answer) != SIM_OK)
        rc = sim_err_set(err, SIM_ENOMEM, "out of memory comparing %s and %s", apath, bpath);
    tab_free(&t);
    return rc;
}
