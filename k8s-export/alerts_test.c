/*
 * alerts_test.c: a `promtool test rules` file for the rules of alerts.c
 * against one run (kx_alerts_test, kx.h): the series the rules read, taken
 * from the run's OpenMetrics text, as input_series in promtool's values
 * notation, and, per alert name, the alerts that fire at each time their set
 * changes, computed here with Prometheus' semantics.
 *
 * Invariant: the evaluator sees exactly what promtool will. Every series is
 * written on the sampling grid (step k at k × interval from time 0); a step
 * with no sample is "stale" right after a sample and "_" otherwise, so an
 * instant selector at step k returns the sample at k or nothing (the 5-minute
 * lookback never carries a value over a gap); a run written as a+bxn is one
 * whose values promtool's repeated addition gives back bit for bit. Rules are
 * evaluated every interval; an alert fires at step k when its condition held
 * at every step from its first (activeAt) and k - activeAt >= for.
 */
#include "k8s-export/alerts_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 24
#define MAX_EVALS 64                /* eval times per alert name at most (the first ones) */

typedef struct Label {
    const char *k, *v;              /* into the text copy */
} Label;

typedef struct Sample {
    size_t step;
    double v;
} Sample;

typedef struct Series {
    const char *key;                /* name{labels} as the text has it */
    const char *name;
    Label l[MAX_LABELS];
    size_t nl;
    Sample *smp;                    /* in time order */
    size_t n, cap;
    double *val;                    /* per step, once read; has[k]: step k has a sample */
    unsigned char *has;
} Series;

typedef struct Inst {               /* one alert: a rule and its series (or series pair) */
    const KxAlert *r;
    const Series *s, *hard;         /* hard: a quota's type="hard" series */
    unsigned char *firing;          /* per step */
} Inst;

typedef struct Ctx {
    SimMem *m;
    const KxAlerts *a;
    int64_t base_ms, interval_ms;
    char *text;                     /* a copy of the OpenMetrics text, cut in place */
    size_t len;
    Series *s;
    size_t ns, scap;
    size_t nsteps;
    Inst *in;
    size_t nin, icap;
    int rc;
    SimErr *err;
} Ctx;

static int oom(Ctx *c)
{
    if (c->rc == SIM_OK)
        c->rc = sim_err_set(c->err, SIM_ENOMEM, "out of memory");
    return c->rc;
}

/* ---- reading the OpenMetrics text ---------------------------------------- */

static const char *label(const Series *s, const char *k)
{
    for (size_t i = 0; i < s->nl; i++)
        if (strcmp(s->l[i].k, k) == 0)
            return s->l[i].v;
    return NULL;
}

static int matches(const Series *s, const KxAlert *r)
{
    if (strcmp(s->name, r->family) != 0)
        return 0;
    for (size_t i = 0; i < r->nmatch; i++) {
        const char *v = label(s, r->match[i].key);
        if (v == NULL || strcmp(v, r->match[i].value) != 0)
            return 0;
    }
    return 1;
}

static int wanted(const Ctx *c, const Series *s)
{
    for (size_t i = 0; i < c->a->n; i++)
        if (matches(s, &c->a->v[i]))
            return 1;
    return 0;
}

static int is_family(const Ctx *c, const char *name)
{
    for (size_t i = 0; i < c->a->n; i++)
        if (strcmp(name, c->a->v[i].family) == 0)
            return 1;
    return 0;
}

/* Cuts the labels of {k="v",...} at p in place (values unescaped); returns
 * the character after '}', or NULL if malformed. */
static char *parse_labels(char *p, Series *s)
{
    p++;
    while (*p != '}') {
        char *k = p;
        while (*p && *p != '=')
            p++;
        if (*p != '=' || p[1] != '"' || s->nl == MAX_LABELS)
            return NULL;
        *p = '\0';
        p += 2;
        char *v = p, *w = p;
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                *w++ = *p == 'n' ? '\n' : *p;
            } else {
                *w++ = *p;
            }
        }
        if (*p != '"')
            return NULL;
        *w = '\0';
        s->l[s->nl++] = (Label){k, v};
        p++;
        if (*p == ',')
            p++;
    }
    return p + 1;
}

static Series *find(Ctx *c, const char *key)
{
    for (size_t i = c->ns; i-- > 0;)
        if (strcmp(c->s[i].key, key) == 0)
            return &c->s[i];
    return NULL;
}

static Series *add_series(Ctx *c, const Series *tmp)
{
    if (sim_mem_grow(c->m, (void **)&c->s, &c->scap, c->ns + 1, sizeof *c->s) != SIM_OK) {
        oom(c);
        return NULL;
    }
    c->s[c->ns] = *tmp;
    return &c->s[c->ns++];
}

/* A sample on the grid (others are left out: promtool's input has one
 * value per interval); a second one at the same step is ignored. */
static void put(Ctx *c, Series *s, const char *value, const char *ts)
{
    char *end;
    double t = strtod(ts, &end), v = strtod(value, NULL);
    int64_t off = (int64_t)llround(t * 1000.0) - c->base_ms;
    if (end == ts || off < 0 || off % c->interval_ms != 0)
        return;
    size_t step = (size_t)(off / c->interval_ms);
    if (s->n > 0 && s->smp[s->n - 1].step >= step)
        return;
    if (sim_mem_grow(c->m, (void **)&s->smp, &s->cap, s->n + 1, sizeof *s->smp) != SIM_OK) {
        oom(c);
        return;
    }
    s->smp[s->n++] = (Sample){step, v};
    if (step + 1 > c->nsteps)
        c->nsteps = step + 1;
}

/* One sample line: name{labels} value timestamp. Lines of other families
 * are skipped before any cutting. */
static void line(Ctx *c, char *l)
{
    char *brace = strchr(l, '{'), *sp = strchr(l, ' ');
    if (brace == NULL || (sp && sp < brace))
        return;   /* no labels: no rule reads it */
    *brace = '\0';
    int fam = is_family(c, l);
    *brace = '{';
    if (!fam)
        return;
    Series tmp = {.name = l, .key = l};
    char *p = strchr(l, '}');
    char *key_end = p ? p + 1 : NULL;
    if (key_end == NULL || *key_end != ' ')
        return;
    *key_end = '\0';
    Series *s = find(c, l);
    /* the key, copied before the labels are cut (exactly its text: freed as
     * strlen + 1) */
    char *copy = s == NULL ? sim_mem_strdup(c->m, l) : NULL;
    *key_end = ' ';
    if (s == NULL) {
        if (copy == NULL) {
            oom(c);
            return;
        }
        *brace = '\0';
        tmp.key = copy;
        if (parse_labels(brace, &tmp) == NULL || !wanted(c, &tmp) || (s = add_series(c, &tmp)) == NULL) {
            sim_mem_strfree(c->m, copy);
            return;
        }
    }
    char *value = key_end + 1, *ts = strchr(value, ' ');
    if (ts == NULL)
        return;
    *ts++ = '\0';
    put(c, s, value, ts);
}

static void read_text(Ctx *c)
{
    char *save = NULL;
    for (char *l = strtok_r(c->text, "\n", &save); l && c->rc == SIM_OK; l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#')
            line(c, l);
}

/* The samples of every series spread on the grid of c->nsteps steps. */
static void densify(Ctx *c)
{
    for (size_t i = 0; i < c->ns && c->rc == SIM_OK; i++) {
        Series *s = &c->s[i];
        s->val = sim_mem_calloc(c->m, c->nsteps ? c->nsteps : 1, sizeof *s->val);
        s->has = sim_mem_calloc(c->m, c->nsteps ? c->nsteps : 1, 1);
        if (s->val == NULL || s->has == NULL) {
            oom(c);
            return;
        }
        for (size_t k = 0; k < s->n; k++) {
            s->val[s->smp[k].step] = s->smp[k].v;
            s->has[s->smp[k].step] = 1;
        }
    }
}

/* ---- evaluation ------------------------------------------------------------ */

/* The type="hard" twin of a quota's used series: the same labels but type. */
static const Series *hard_of(const Ctx *c, const Series *u)
{
    for (size_t i = 0; i < c->ns; i++) {
        const Series *h = &c->s[i];
        const char *t = label(h, "type");
        if (h == u || t == NULL || strcmp(t, "hard") != 0 || h->nl != u->nl || strcmp(h->name, u->name) != 0)
            continue;
        size_t k = 0;
        for (; k < u->nl; k++) {
            const char *hv = label(h, u->l[k].k);
            if (strcmp(u->l[k].k, "type") != 0 && (hv == NULL || strcmp(hv, u->l[k].v) != 0))
                break;
        }
        if (k == u->nl)
            return h;
    }
    return NULL;
}

static int cond(const Inst *in, size_t k)
{
    const Series *s = in->s;
    if (!s->has[k])
        return 0;
    if (in->hard == NULL)
        return s->val[k] > in->r->threshold;
    return in->hard->has[k] && s->val[k] / in->hard->val[k] > in->r->threshold;
}

/* Prometheus' alert states: pending from the first step the condition holds
 * (activeAt), firing once `for` has passed, gone the first step it does not. */
static void evaluate(Ctx *c, Inst *in)
{
    int active = 0;
    size_t since = 0;
    for (size_t k = 0; k < c->nsteps; k++) {
        if (!cond(in, k)) {
            active = 0;
            continue;
        }
        if (!active) {
            active = 1;
            since = k;
        }
        in->firing[k] = (int64_t)(k - since) * c->interval_ms * 1000000 >= in->r->hold;
    }
}

static void add_inst(Ctx *c, const KxAlert *r, const Series *s, const Series *hard)
{
    if (sim_mem_grow(c->m, (void **)&c->in, &c->icap, c->nin + 1, sizeof *c->in) != SIM_OK) {
        oom(c);
        return;
    }
    Inst *in = &c->in[c->nin];
    *in = (Inst){r, s, hard, sim_mem_calloc(c->m, c->nsteps ? c->nsteps : 1, 1)};
    if (in->firing == NULL) {
        oom(c);
        return;
    }
    c->nin++;
    evaluate(c, in);
}

static void instances(Ctx *c)
{
    for (size_t i = 0; i < c->a->n && c->rc == SIM_OK; i++) {
        const KxAlert *r = &c->a->v[i];
        for (size_t j = 0; j < c->ns && c->rc == SIM_OK; j++) {
            const Series *s = &c->s[j];
            if (!matches(s, r))
                continue;
            if (r->kind != KX_ALERT_QUOTA) {
                add_inst(c, r, s, NULL);
            } else {
                const char *t = label(s, "type");
                const Series *h = t && strcmp(t, "used") == 0 ? hard_of(c, s) : NULL;
                if (h != NULL)
                    add_inst(c, r, s, h);
            }
        }
    }
}

/* ---- the values notation --------------------------------------------------- */

/* A growing string through c->m (c->rc set on failure). */
typedef struct Str {
    char *p;
    size_t len, cap;
} Str;

static void str_add(Ctx *c, Str *b, const char *s)
{
    size_t n = strlen(s);
    if (c->rc != SIM_OK || sim_mem_grow(c->m, (void **)&b->p, &b->cap, b->len + n + 1, 1) != SIM_OK) {
        oom(c);
        return;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void str_free(Ctx *c, Str *b)
{
    sim_mem_free(c->m, b->p, b->cap);
    memset(b, 0, sizeof *b);
}

/* The shortest text that reads back as v (promtool parses it with Go's
 * ParseFloat: the same double), without an exponent for ordinary sizes. */
static void num(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "Inf" : "-Inf");
        return;
    }
    int plain = fabs(v) >= 1e-4 && fabs(v) < 1e15;   /* no exponent where %g can do without */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v && (!plain || strchr(buf, 'e') == NULL))
            return;
    }
}

/* How many values after i promtool's repeated addition of d to v[i] gives
 * back exactly (all present and finite). */
static size_t run_of(const Series *s, size_t i, size_t nsteps, double d)
{
    double cur = s->val[i];
    size_t m = i + 1;
    for (; m < nsteps && s->has[m] && isfinite(s->val[m]); m++) {
        cur += d;
        if (cur != s->val[m])
            break;
    }
    return m - i - 1;
}

/* One token (or run) of series s from step i; returns the next step. */
static size_t token(Ctx *c, const Series *s, size_t i, Str *b)
{
    char t[128], a[40], d[40];
    if (!s->has[i]) {
        size_t j = i + (i > 0 && s->has[i - 1]);
        if (j > i) {
            str_add(c, b, " stale");
            return j;
        }
        while (j < c->nsteps && !s->has[j])
            j++;
        snprintf(t, sizeof t, j - i > 1 ? " _x%zu" : " _", j - i);
        str_add(c, b, t);
        return j;
    }
    num(s->val[i], a, sizeof a);
    size_t n = 0;
    double step = 0;
    if (isfinite(s->val[i]) && i + 1 < c->nsteps && s->has[i + 1] && isfinite(s->val[i + 1])) {
        step = s->val[i + 1] - s->val[i];
        n = run_of(s, i, c->nsteps, step);
    }
    if (n >= 1 && step == 0) {
        snprintf(t, sizeof t, " %sx%zu", a, n);
    } else if (n >= 2) {
        num(fabs(step), d, sizeof d);
        snprintf(t, sizeof t, " %s%c%sx%zu", a, step < 0 ? '-' : '+', d, n);
    } else {
        n = 0;
        snprintf(t, sizeof t, " %s", a);
    }
    str_add(c, b, t);
    return i + n + 1;
}

static void values(Ctx *c, const Series *s, Str *b)
{
    for (size_t i = 0; i < c->nsteps && c->rc == SIM_OK;)
        i = token(c, s, i, b);
}

/* ---- the test file ---------------------------------------------------------- */

static void duration_ms(int64_t ms, char *buf, size_t n)
{
    kx_prom_duration((SimTime)ms * 1000000, buf, n);
}

static void input_series(Ctx *c, KxYaml *y)
{
    kx_yaml_str(y, "input_series");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < c->ns && c->rc == SIM_OK; i++) {
        Str b = {0};
        values(c, &c->s[i], &b);
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "series", c->s[i].key);
        kx_yaml_kv_str(y, "values", b.p ? b.p + 1 : "");
        kx_yaml_map_end(y);
        str_free(c, &b);
    }
    kx_yaml_seq_end(y);
}

/* An alert's labels: its series' (a quota's without type, which the
 * division ignores), then the rule's, which win. */
static void exp_labels(const Inst *in, KxYaml *y)
{
    const KxAlert *r = in->r;
    kx_yaml_str(y, "exp_labels");
    kx_yaml_map_begin(y);
    for (size_t i = 0; i < in->s->nl; i++) {
        const char *k = in->s->l[i].k;
        int ruled = strcmp(k, "severity") == 0 || strcmp(k, "slo_percentile") == 0 ||
                    (r->kind == KX_ALERT_QUOTA && strcmp(k, "type") == 0);
        for (size_t j = 0; j < r->nmatch; j++)
            ruled |= strcmp(k, r->match[j].key) == 0 && strcmp(k, "percentile") != 0;
        if (!ruled)
            kx_yaml_kv_str(y, k, in->s->l[i].v);
    }
    kx_yaml_kv_str(y, "severity", r->severity);
    for (size_t j = 0; j < r->nmatch; j++)
        if (strcmp(r->match[j].key, "percentile") != 0)
            kx_yaml_kv_str(y, r->match[j].key, r->match[j].value);
    if (r->percentile[0])
        kx_yaml_kv_str(y, "slo_percentile", r->percentile);
    kx_yaml_map_end(y);
}

static void eval_entry(Ctx *c, KxYaml *y, const char *alert, size_t k)
{
    char et[32];
    duration_ms((int64_t)k * c->interval_ms, et, sizeof et);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "eval_time", et);
    kx_yaml_kv_str(y, "alertname", alert);
    kx_yaml_str(y, "exp_alerts");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < c->nin; i++) {
        const Inst *in = &c->in[i];
        if (strcmp(in->r->alert, alert) != 0 || !in->firing[k])
            continue;
        kx_yaml_map_begin(y);
        exp_labels(in, y);
        kx_yaml_str(y, "exp_annotations");
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "summary", in->r->summary);
        kx_yaml_map_end(y);
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
}

/* 1 when some alert named alert fires at step k and not at j, or back. */
static int changes(const Ctx *c, const char *alert, size_t j, size_t k)
{
    for (size_t i = 0; i < c->nin; i++)
        if (strcmp(c->in[i].r->alert, alert) == 0 && c->in[i].firing[j] != c->in[i].firing[k])
            return 1;
    return 0;
}

/* Per alert name: the step before and the step of every change of what
 * fires (the first MAX_EVALS), or the last step when nothing ever fires. */
static void alert_tests(Ctx *c, KxYaml *y, const char *alert)
{
    size_t n = 0, last_written = SIZE_MAX;
    for (size_t k = 1; k < c->nsteps && n < MAX_EVALS; k++) {
        if (!changes(c, alert, k - 1, k))
            continue;
        if (last_written != k - 1) {
            eval_entry(c, y, alert, k - 1);
            n++;
        }
        eval_entry(c, y, alert, k);
        n++;
        last_written = k;
    }
    if (n == 0 && c->nsteps > 0)
        eval_entry(c, y, alert, c->nsteps - 1);
}

static int first_of_name(const KxAlerts *a, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(a->v[j].alert, a->v[i].alert) == 0)
            return 0;
    return 1;
}

static void test_file(Ctx *c, const char *rules_path, KxYaml *y)
{
    char iv[32];
    duration_ms(c->interval_ms, iv, sizeof iv);
    kx_yaml_doc_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "rule_files");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, rules_path);
    kx_yaml_seq_end(y);
    kx_yaml_kv_str(y, "evaluation_interval", iv);
    kx_yaml_str(y, "tests");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "interval", iv);
    input_series(c, y);
    kx_yaml_str(y, "alert_rule_test");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < c->a->n; i++)
        if (first_of_name(c->a, i))
            alert_tests(c, y, c->a->v[i].alert);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_yaml_doc_end(y);
}

static void ctx_free(Ctx *c)
{
    for (size_t i = 0; i < c->nin; i++)
        sim_mem_free(c->m, c->in[i].firing, c->nsteps ? c->nsteps : 1);
    sim_mem_free(c->m, c->in, c->icap * sizeof *c->in);
    for (size_t i = 0; i < c->ns; i++) {
        Series *s = &c->s[i];
        sim_mem_strfree(c->m, (char *)(uintptr_t)s->key);
        sim_mem_free(c->m, s->smp, s->cap * sizeof *s->smp);
        sim_mem_free(c->m, s->val, (c->nsteps ? c->nsteps : 1) * sizeof *s->val);
        sim_mem_free(c->m, s->has, c->nsteps ? c->nsteps : 1);
    }
    sim_mem_free(c->m, c->s, c->scap * sizeof *c->s);
    sim_mem_free(c->m, c->text, c->len + 1);
}

int kx_alerts_test(const KxAlerts *a, const KxAlertTestInput *in, KxYaml *y, KxAlertTestResult *res, SimErr *err)
{
    Ctx c = {.m = a->m, .a = a, .base_ms = in->base_unix * 1000, .interval_ms = in->interval / 1000000,
             .len = in->len, .err = err};
    memset(res, 0, sizeof *res);
    if (c.interval_ms <= 0 || in->interval % 1000000 != 0)
        return sim_err_set(err, SIM_EINVAL, "the sampling interval must be whole milliseconds");
    c.text = sim_mem_alloc(c.m, in->len + 1);
    if (c.text == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    memcpy(c.text, in->openmetrics, in->len);
    c.text[in->len] = '\0';
    read_text(&c);
    if (c.rc == SIM_OK)
        densify(&c);
    if (c.rc == SIM_OK)
        instances(&c);
    if (c.rc == SIM_OK)
        test_file(&c, in->rules_path, y);
    res->series = c.ns;
    res->alerts = c.nin;
    for (size_t i = 0; i < c.nin; i++)
        for (size_t k = 0; k < c.nsteps; k++)
            if (c.in[i].firing[k] && (k == 0 || !c.in[i].firing[k - 1]))
                res->firings++;
    int rc = c.rc;
    ctx_free(&c);
    return rc;
}
