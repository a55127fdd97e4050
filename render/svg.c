/*
 * svg.c: one chart card per (object, metric): a title, an inline SVG line
 * chart with a grid, ticks and labels, and an HTML legend. Invariant: a card
 * draws at most RND_MAX_SERIES series of at most RND_MAX_POINTS points each,
 * so the page stays small whatever the length of the run.
 */
#include "render/rnd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The drawing area inside the SVG's viewBox. */
enum { VB_W = 640, VB_H = 270, PAD_L = 52, PAD_R = 24, PAD_T = 12, PAD_B = 28 };
#define PLOT_W ((double)(VB_W - PAD_L - PAD_R))
#define PLOT_H ((double)(VB_H - PAD_T - PAD_B))

/* Tableau 10, reordered so the first colours are the most distinct and the
 * faint yellow is darkened to stay readable on white. */
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#9c755f", "#ff9da7", "#c49a1c", "#79706e",
};
#define NPALETTE (sizeof palette / sizeof palette[0])
#define THRESHOLD_COLOUR "#6b7280"

/* A series chosen for drawing, with how it is drawn. */
typedef struct Pick {
    const RndSeries *s;
    const char *region;
    const char *name;
    const char *colour;
    int dashed;          /* 0 solid, 1 dotted (colours' second round), 2 target, 3 shared */
} Pick;

typedef struct Frame {
    double t0, t1;       /* seconds */
    double lo, hi;       /* value range, rounded to ticks */
    double step;         /* value tick step */
    double scale;        /* value tick labels are divided by this (1, 1e3, 1e6, 1e9) */
    const char *metric;  /* the chart's metric, for formatting values */
    const RndClock *clk; /* the scenario's clock: ticks at round wall times; NULL or unset: run time */
    int log;             /* log10 value axis: a 45 ms baseline and a 5 s spike both read */
} Frame;

static double fx(const Frame *f, double t)
{
    return PAD_L + (t - f->t0) / (f->t1 - f->t0) * PLOT_W;
}

static double fy(const Frame *f, double v)
{
    if (f->log) {   /* zero and below sit on the axis floor */
        double lv = log10(v > f->lo ? v : f->lo);
        return PAD_T + (log10(f->hi) - lv) / (log10(f->hi) - log10(f->lo)) * PLOT_H;
    }
    return PAD_T + (f->hi - v) / (f->hi - f->lo) * PLOT_H;
}

/* ---- choosing series -------------------------------------------------------- */

static int pick_by_label(const void *pa, const void *pb)
{
    const Pick *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->region, b->region);
}

static int pick_by_peak(const void *pa, const void *pb)
{
    const Pick *a = pa, *b = pb;
    if (a->s->vmax != b->s->vmax)
        return a->s->vmax > b->s->vmax ? -1 : 1;
    return pick_by_label(pa, pb);
}

/* Fills picks with the series of chart c (at most RND_MAX_SERIES, the highest
 * peaks win) sorted by label. Returns how many. */
static size_t choose(const RndMetrics *m, const RndChart *c, Pick *picks, Pick *all)
{
    for (size_t i = 0; i < c->n; i++) {
        const RndSeries *s = &m->series[c->series[i]];
        all[i] = (Pick){s, rnd_metrics_str(m, s->region), rnd_metrics_str(m, s->name), NULL, 0};
    }
    size_t k = c->n;
    if (k > RND_MAX_SERIES) {
        qsort(all, k, sizeof *all, pick_by_peak);
        k = RND_MAX_SERIES;
    }
    qsort(all, k, sizeof *all, pick_by_label);
    for (size_t i = 0; i < k; i++) {
        picks[i] = all[i];
        picks[i].colour = palette[i % NPALETTE];
        picks[i].dashed = i >= NPALETTE;
    }
    return k;
}

/* Adds the SLO target series of chart c, each in the colour of the latency
 * series it belongs to. Returns the new count. */
static size_t thresholds(const RndMetrics *m, const RndChart *c, Pick *picks, size_t k)
{
    if (c->threshold < 0)
        return k;
    const RndChart *t = &m->charts[c->threshold];
    size_t base = k;
    for (size_t i = 0; i < t->n && k < base + RND_MAX_SERIES; i++) {
        const RndSeries *s = &m->series[t->series[i]];
        const char *colour = THRESHOLD_COLOUR;
        for (size_t j = 0; j < base; j++)
            if (picks[j].s->region == s->region && picks[j].s->name == s->name)
                colour = picks[j].colour;
        picks[k++] = (Pick){s, rnd_metrics_str(m, s->region), rnd_metrics_str(m, s->name),
                            colour, 2};
    }
    return k;
}

/* Targets that are one constant value for every series (the usual case: one
 * SLO per service) are drawn once, in grey, instead of as a stack of lines. */
static size_t merge_equal_targets(Pick *picks, size_t k, size_t kt)
{
    if (kt - k < 2)
        return kt;
    for (size_t i = k; i < kt; i++) {
        const RndSeries *s = picks[i].s;
        if (!(s->vmin == s->vmax && s->vmin == picks[k].s->vmin))
            return kt;
    }
    picks[k].colour = THRESHOLD_COLOUR;
    picks[k].dashed = 3;
    return k + 1;
}

/* ---- axes --------------------------------------------------------------------- */

static double nice_step(double span, int target)
{
    double raw = span / target;
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return p * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10);
}

/* The smallest positive finite value drawn, or NaN. */
static double min_positive(const Pick *picks, size_t k)
{
    double lo = NAN;
    for (size_t i = 0; i < k; i++) {
        double v = picks[i].s->minpos;   /* over every sample, a bucketed series' too */
        if (v > 0 && isfinite(v) && !(v >= lo))
            lo = v;
    }
    return lo;
}

/* Latency spans decades in one run (a 45 ms baseline, a 5 s spike): on a
 * linear axis the baseline is a flat line at zero. Such a chart gets a log
 * axis from the decade below its smallest positive value. */
#define LOG_SPAN 20.0

static int log_range(Frame *f, const Pick *picks, size_t k)
{
    if (strstr(f->metric, "latency") == NULL)
        return 0;
    double lo = min_positive(picks, k), hi = -INFINITY;
    for (size_t i = 0; i < k; i++)
        if (picks[i].s->vmin <= picks[i].s->vmax)
            hi = fmax(hi, picks[i].s->vmax);
    if (isnan(lo) || !(hi >= LOG_SPAN * lo))
        return 0;
    f->log = 1;
    f->lo = pow(10, floor(log10(lo)));
    f->hi = pow(10, ceil(log10(hi)));
    f->step = 10;
    f->scale = 1;
    return 1;
}

static void value_range(Frame *f, const Pick *picks, size_t k)
{
    if (log_range(f, picks, k))
        return;
    double lo = 0, hi = -INFINITY;
    int integral = 1;
    for (size_t i = 0; i < k; i++) {
        if (picks[i].s->vmin > picks[i].s->vmax)
            continue;   /* no finite value */
        lo = fmin(lo, picks[i].s->vmin);
        hi = fmax(hi, picks[i].s->vmax);
        integral &= picks[i].s->integral;
    }
    if (!(hi > lo))
        hi = lo + 1;
    f->step = nice_step(hi - lo, 5);
    if (integral && f->step < 1)
        f->step = 1;   /* counts: no "2.5 nodes" ticks */
    f->lo = floor(lo / f->step) * f->step;
    f->hi = ceil(hi / f->step) * f->step;
    double top = fmax(fabs(f->lo), fabs(f->hi));
    f->scale = top >= 1e9 ? 1e9 : top >= 1e6 ? 1e6 : top >= 1e4 ? 1e3 : 1;
}

/* Fewest decimals that show the step exactly (0.25 -> 2). */
static int step_decimals(double step)
{
    for (int d = 0; d < 6; d++) {
        double x = step * pow(10, d);
        if (fabs(x - round(x)) < 1e-6 * x)
            return d;
    }
    return 6;
}

/* Log axis: a line at 1, 2 and 5 of every decade, labelled at 1 and 5. */
static void y_axis_log(RndBuf *b, const Frame *f)
{
    static const double mult[] = {1, 2, 5};
    rnd_buf_str(b, "<g class=\"ya log\">");
    for (double dec = f->lo; dec <= f->hi * 1.0001; dec *= 10)
        for (size_t i = 0; i < 3; i++) {
            double v = dec * mult[i], y = fy(f, v);
            if (v > f->hi * 1.0001)
                break;
            rnd_buf_fmt(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>", PAD_L,
                        VB_W - PAD_R, y, y);
            if (mult[i] == 2)
                continue;
            if (v >= 1000)
                rnd_buf_fmt(b, "<text x=\"%d\" y=\"%.1f\">%gk</text>", PAD_L - 6, y + 3.5, v / 1000);
            else
                rnd_buf_fmt(b, "<text x=\"%d\" y=\"%.1f\">%g</text>", PAD_L - 6, y + 3.5, v);
        }
    rnd_buf_fmt(b, "<text class=\"scale\" x=\"%d\" y=\"%d\" style=\"text-anchor:start\">log scale</text>",
                PAD_L + 4, PAD_T + 10);
    rnd_buf_str(b, "</g>");
}

static void y_axis(RndBuf *b, const Frame *f)
{
    if (f->log) {
        y_axis_log(b, f);
        return;
    }
    int d = step_decimals(f->step / f->scale);
    const char *suffix = f->scale == 1e9 ? "G" : f->scale == 1e6 ? "M" : f->scale == 1e3 ? "k" : "";
    long steps = lround((f->hi - f->lo) / f->step);
    rnd_buf_str(b, "<g class=\"ya\">");
    for (long i = 0; i <= steps; i++) {
        double v = f->lo + (double)i * f->step, y = fy(f, v);
        rnd_buf_fmt(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"%s/>", PAD_L,
                    VB_W - PAD_R, y, y, fabs(v) < f->step / 2 ? " class=\"zero\"" : "");
        rnd_buf_fmt(b, "<text x=\"%d\" y=\"%.1f\">%.*f%s</text>", PAD_L - 6, y + 3.5, d,
                    fabs(v) < f->step / 2 ? 0.0 : v / f->scale, suffix);
    }
    rnd_buf_str(b, "</g>");
}

/* A tick every step seconds, at most about 8 on the axis. */
static double time_step(double span)
{
    static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
                                   3600, 7200, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] <= 8)
            return steps[i];
    return 86400 * ceil(span / 86400 / 8);
}

static void time_label(RndBuf *b, double t, double step)
{
    long long s = llround(fabs(t));
    const char *sign = t < 0 && s ? "-" : "";
    if (step < 60)
        rnd_buf_fmt(b, "%s%lld:%02lld:%02lld", sign, s / 3600, (s / 60) % 60, s % 60);
    else
        rnd_buf_fmt(b, "%s%lld:%02lld", sign, s / 3600, (s / 60) % 60);
}

/* Wall time label: "14:00", or the date ("03-19") at a midnight when ticks
 * are hours apart, so a run of days reads as one. */
static void clock_label(RndBuf *b, const RndClock *clk, double t, double step)
{
    char buf[32];
    if (step >= 3600 && rnd_clock_local(clk, t) % 86400 == 0) {
        rnd_clock_date(clk, t, buf, sizeof buf);
        rnd_buf_str(b, buf + 5);
        return;
    }
    rnd_clock_fmt(clk, t, step < 60, buf, sizeof buf);
    rnd_buf_str(b, buf);
}

static void x_axis(RndBuf *b, const Frame *f)
{
    double step = time_step(f->t1 - f->t0);
    int wall = f->clk && f->clk->set;
    /* On the wall clock, ticks fall on round local times (offset at t0). */
    double shift = wall ? (double)(rnd_clock_local(f->clk, f->t0) - (int64_t)floor(f->t0)) : 0;
    rnd_buf_str(b, "<g class=\"xa\">");
    for (double t = ceil((f->t0 + shift) / step) * step - shift; t <= f->t1 + step * 1e-9; t += step) {
        double x = fx(f, t);
        rnd_buf_fmt(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>", x, x, PAD_T,
                    VB_H - PAD_B);
        rnd_buf_fmt(b, "<text x=\"%.1f\" y=\"%d\">", x, VB_H - PAD_B + 16);
        if (wall)
            clock_label(b, f->clk, t, step);
        else
            time_label(b, t, step);
        rnd_buf_str(b, "</text>");
    }
    rnd_buf_str(b, "</g>");
}

/* ---- lines ------------------------------------------------------------------- */

/* Appends to out[k...] the minimum and maximum of p[0, n) in time order, or
 * one NaN when the bucket has no finite value. Returns the new k. */
static size_t bucket(const RndPoint *p, size_t n, RndPoint *out, size_t k)
{
    size_t lo = SIZE_MAX, hi = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i].v))
            continue;
        if (lo == SIZE_MAX || p[i].v < p[lo].v)
            lo = i;
        if (hi == SIZE_MAX || p[i].v > p[hi].v)
            hi = i;
    }
    if (lo == SIZE_MAX) {
        out[k++] = (RndPoint){p[0].t, NAN};
        return k;
    }
    out[k++] = p[lo < hi ? lo : hi];
    if (lo != hi)
        out[k++] = p[lo < hi ? hi : lo];
    return k;
}

/* Buckets by index, not by time: the recorder samples at a fixed interval,
 * and index buckets need no second pass. A gap shorter than a bucket is not
 * drawn; a spike always is. */
size_t rnd_downsample(const RndPoint *in, size_t n, RndPoint *out, size_t cap)
{
    if (n <= cap) {
        memcpy(out, in, n * sizeof *in);
        return n;
    }
    size_t buckets = cap / 2, k = 0;
    for (size_t i = 0; i < buckets; i++) {
        size_t from = i * n / buckets, to = (i + 1) * n / buckets;
        k = bucket(in + from, to - from, out, k);
    }
    return k;
}

/* The path data of a series: a gap (NaN) ends a subpath; a lone point is a
 * zero-length segment, which the round line cap shows as a dot. */
static void path_data(RndBuf *b, const Frame *f, const RndPoint *p, size_t n)
{
    int state = 0;   /* 0 next point moves, 1 next point starts a line, 2 in a line */
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i].v)) {
            rnd_buf_str(b, state == 1 ? "h0" : "");
            state = 0;
            continue;
        }
        static const char *const lead[] = {"M", "L", " "};
        rnd_buf_fmt(b, "%s%.1f %.1f", lead[state], fx(f, p[i].t), fy(f, p[i].v));
        state = state == 0 ? 1 : 2;
    }
    rnd_buf_str(b, state == 1 ? "h0" : "");
}

static void series_label(RndBuf *b, const Pick *p)
{
    if (p->dashed == 3) {
        rnd_buf_str(b, "SLO target");
        return;
    }
    if (p->dashed == 2)
        rnd_buf_str(b, "SLO target \xC2\xB7 ");
    int same = strcmp(p->region, p->name) == 0 || p->region[0] == '\0';
    rnd_buf_esc(b, p->name[0] ? p->name : p->region);
    if (!same && p->name[0]) {
        rnd_buf_str(b, " \xC2\xB7 ");
        rnd_buf_esc(b, p->region);
    }
}

static void draw_series(RndBuf *b, const Frame *f, const Pick *p, RndPoint *scratch)
{
    static const char *const dash[] = {"", " stroke-dasharray=\"1.5 3\"",
                                       " stroke-dasharray=\"7 4\" class=\"thr\"",
                                       " stroke-dasharray=\"7 4\" class=\"thr\""};
    size_t n = rnd_series_draw_points(p->s, scratch, RND_MAX_POINTS);
    rnd_buf_fmt(b, "<path stroke=\"%s\"%s d=\"", p->colour, dash[p->dashed]);
    path_data(b, f, scratch, n);
    rnd_buf_str(b, "\"><title>");
    series_label(b, p);
    rnd_buf_str(b, "</title></path>");
}

/* ---- the card ------------------------------------------------------------------- */

static const char *unit_suffix(const char *metric, size_t *stem)
{
    static const char *const units[][2] = {
        {"_ms", "ms"}, {"_usd", "USD"}, {"_seconds", "s"}, {"_bytes", "bytes"},
        {"_millicores", "millicores"}, {"_percent", "%"},
    };
    size_t n = strlen(metric);
    *stem = n;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t k = strlen(units[i][0]);
        if (n > k && strcmp(metric + n - k, units[i][0]) == 0) {
            *stem = n - k;
            return units[i][1];
        }
    }
    return NULL;
}

/* "p95 latency (ms) by service", "Nodes by node group". */
static void title(RndBuf *b, const char *object, const char *metric)
{
    size_t stem;
    const char *unit = unit_suffix(metric, &stem);
    const char *known = rnd_known_label(metric);
    char base[96];
    snprintf(base, sizeof base, "%.*s", (int)stem, metric);
    rnd_buf_label(b, known ? metric : base, 1);
    if (unit)
        rnd_buf_fmt(b, " (%s)", unit);
    rnd_buf_str(b, " by ");
    rnd_buf_label(b, object, 0);
}

/* Values in the legend are formatted by the metric's unit ($, ms, ...). */
static void legend_item(RndBuf *b, const Pick *p, const char *metric)
{
    rnd_buf_fmt(b, "<li><i style=\"--c:%s\"%s></i>", p->colour,
                p->dashed >= 2 ? " class=\"d\"" : p->dashed ? " class=\"o\"" : "");
    series_label(b, p);
    rnd_buf_str(b, " <span>");
    if (p->dashed < 2 && p->s->vmin <= p->s->vmax) {
        rnd_buf_str(b, "max ");
        rnd_buf_keyed(b, metric, p->s->vmax);
        rnd_buf_str(b, " \xC2\xB7 ");
    }
    rnd_buf_str(b, "last ");
    rnd_buf_keyed(b, metric, p->s->last);
    rnd_buf_str(b, "</span></li>");
}

static void card_head(RndBuf *b, const RndMetrics *m, const RndChart *c, int log)
{
    const char *object = rnd_metrics_str(m, c->object);
    const char *metric = rnd_metrics_str(m, c->metric);
    rnd_buf_str(b, "<figure class=\"chart\"><figcaption>");
    title(b, object, metric);
    rnd_buf_str(b, "<small>");
    rnd_buf_esc(b, object);
    rnd_buf_str(b, " / ");
    rnd_buf_esc(b, metric);
    if (log)
        rnd_buf_str(b, " \xC2\xB7 log scale");
    rnd_buf_str(b, "</small></figcaption>");
    rnd_buf_fmt(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", VB_W, VB_H);
    title(b, object, metric);
    rnd_buf_str(b, "\">");
}

/* picks[0, k) are the chart's series, picks[k, kt) its SLO targets. */
/* Shaded spans behind the lines; marks in drawn[] the ones it drew and
 * returns how many. */
static size_t draw_bands(RndBuf *b, const Frame *f, const RndBands *bands, uint8_t *drawn)
{
    size_t nd = 0;
    for (size_t i = 0; bands && i < bands->n; i++) {
        double a = fmax(bands->t[i][0], f->t0), z = fmin(bands->t[i][1], f->t1);
        drawn[i] = z > a;
        if (!drawn[i])
            continue;
        if (nd++ == 0)
            rnd_buf_str(b, "<g class=\"bands\">");
        rnd_buf_fmt(b, "<rect class=\"band%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
                       "<title>", bands->fault[i] ? " fault" : "", fx(f, a), PAD_T,
                    fmax(fx(f, z) - fx(f, a), 1.0), VB_H - PAD_T - PAD_B);
        rnd_buf_esc(b, bands->label[i]);
        rnd_buf_str(b, "</title></rect>");
    }
    if (nd)
        rnd_buf_str(b, "</g>");
    return nd;
}

/* One legend entry per distinct label among the drawn bands. */
static void band_legend(RndBuf *b, const RndBands *bands, const uint8_t *drawn)
{
    for (size_t i = 0; bands && i < bands->n; i++) {
        int seen = !drawn[i];
        for (size_t j = 0; j < i && !seen; j++)
            seen = drawn[j] && strcmp(bands->label[j], bands->label[i]) == 0;
        if (seen)
            continue;
        rnd_buf_str(b, bands->fault[i] ? "<li class=\"band-key fault\"><i class=\"band fault\"></i>"
                                       : "<li class=\"band-key\"><i class=\"band\"></i>");
        rnd_buf_esc(b, bands->label[i]);
        rnd_buf_str(b, "</li>");
    }
}

static void card_body(RndBuf *b, const Frame *f, const Pick *picks, size_t k, size_t kt,
                      const RndChart *c, RndPoint *scratch, const RndBands *bands)
{
    uint8_t drawn[RND_MAX_BANDS];
    size_t nb = draw_bands(b, f, bands, drawn);
    y_axis(b, f);
    x_axis(b, f);
    rnd_buf_str(b, "<g class=\"ln\">");
    for (size_t i = k; i-- > 0;)   /* the first in the legend ends on top */
        draw_series(b, f, &picks[i], scratch);
    for (size_t i = k; i < kt; i++)   /* targets above every line, never hidden */
        draw_series(b, f, &picks[i], scratch);
    rnd_buf_str(b, "</g></svg><ul class=\"legend\">");
    for (size_t i = 0; i < kt; i++)
        legend_item(b, &picks[i], f->metric);
    if (nb)
        band_legend(b, bands, drawn);
    rnd_buf_str(b, "</ul>");
    if (c->n > RND_MAX_SERIES)
        rnd_buf_fmt(b, "<p class=\"note\">Showing the %d series with the highest peaks of %zu.</p>",
                    RND_MAX_SERIES, c->n);
    rnd_buf_str(b, "</figure>\n");
}

int rnd_svg_chart(RndBuf *b, const RndMetrics *m, const RndChart *c, double t0, double t1,
                  const RndClock *clk, const RndBands *bands)
{
    size_t nall = c->n > 0 ? c->n : 1;
    Pick *all = sim_mem_alloc(b->mem, nall * sizeof *all);
    Pick *picks = sim_mem_alloc(b->mem, 2 * RND_MAX_SERIES * sizeof *picks);
    RndPoint *scratch = sim_mem_alloc(b->mem, RND_MAX_POINTS * sizeof *scratch);
    if (all && picks && scratch) {
        Frame f = {t0, t1 > t0 ? t1 : t0 + 60, 0, 1, 1, 1, rnd_metrics_str(m, c->metric), clk, 0};
        size_t k = choose(m, c, picks, all);
        size_t kt = merge_equal_targets(picks, k, thresholds(m, c, picks, k));
        value_range(&f, picks, kt);
        card_head(b, m, c, f.log);
        card_body(b, &f, picks, k, kt, c, scratch, bands);
    } else {
        b->oom = 1;
    }
    sim_mem_free(b->mem, all, nall * sizeof *all);
    sim_mem_free(b->mem, picks, 2 * RND_MAX_SERIES * sizeof *picks);
    sim_mem_free(b->mem, scratch, RND_MAX_POINTS * sizeof *scratch);
    return b->oom ? SIM_ENOMEM : SIM_OK;
}
