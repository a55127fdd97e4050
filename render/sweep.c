/*
 * sweep.c: the page of a sweep, from sweep.json alone (scenarios/sweep.h
 * writes it). It answers the capacity question first (the cheapest
 * configuration that meets every expectation, and the exact command that
 * reruns it), then shows cost against the objective (SLO violation, or a
 * Job's or queue's completion time) for every configuration as a scatter
 * plot with round ticks (failing points drawn last, as crosses, so none is
 * hidden under a passing one; with seeds, whiskers to the worst seed), then
 * the whole table (means, and the worst seed's below them).
 *
 * Invariant, as for the run report: input strings reach the page only
 * through rnd_buf_esc(), and the page is a pure function of the file.
 */
#include "render/rnd_int.h"

#include "sim/json.h"
#include "sim/outdir.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 760
#define H 320
#define PAD_L 84   /* room for the longest tick label ("1,250 min") and the axis title */
#define PAD_R 40   /* half the widest dollar label: the last tick's stays inside */
#define PAD_T 12
#define PAD_B 40

static double num(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* "name=value name=value" of a row's or the answer's values. */
static void values_text(RndBuf *b, const cJSON *values, const char *sep)
{
    const cJSON *v;
    int first = 1;
    cJSON_ArrayForEach(v, values) {
        rnd_buf_str(b, first ? "" : sep);
        rnd_buf_esc(b, v->string);
        rnd_buf_str(b, "=");
        rnd_buf_esc(b, cJSON_IsString(v) ? v->valuestring : "");
        first = 0;
    }
}

static void head(RndBuf *b, const char *scenario)
{
    rnd_buf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    rnd_buf_esc(b, scenario ? scenario : "kubesim");
    rnd_buf_str(b, " sweep \xE2\x80\x94 kubesim</title><style>");
    rnd_buf_str(b, rnd_page_css);
    rnd_buf_str(b, ".pt{stroke:#fff;stroke-width:1}.pt.pass{fill:var(--pass)}.pt.fail{fill:none;stroke:var(--fail);"
                   "stroke-width:3}.whisker{stroke:#8c959f;stroke-width:1.5}.xa text.title,.ya text.title"
                   "{fill:var(--fg)}"
                   ".best{fill:none;stroke:var(--acc);stroke-width:2.5}tr.best td{font-weight:600}"
                   "</style></head>\n<body><main>\n");
}

static int count_ok(const cJSON *rows)
{
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
        n += cJSON_IsTrue(get(r, "ok"));
    return n;
}

/* The command that reruns the answer in full, as sweep.json gives it
 * (scenario path, the sweep's own --set values, the configuration's, the
 * seed); an older sweep.json without it gets the old line. */
static void rerun_line(RndBuf *b, const cJSON *root, const char *scenario)
{
    const cJSON *best = get(root, "cheapest"), *seed = get(root, "seed");
    const char *cmd = cJSON_GetStringValue(get(best, "rerun"));
    if (cmd) {
        rnd_buf_str(b, "<p class=\"fp\">Rerun it in full: <code class=\"rerun\">");
        rnd_buf_esc(b, cmd);
        rnd_buf_str(b, "</code>");
        if (num(root, "seeds") > 1)
            rnd_buf_fmt(b, " (the first of its %.0f seeds, %.0f to %.0f: --seed picks another)", num(root, "seeds"),
                        num(best, "seed"), num(best, "seed") + num(root, "seeds") - 1);
        rnd_buf_str(b, "</p>");
        return;
    }
    if (!cJSON_IsObject(best) || !scenario || !cJSON_IsNumber(seed))
        return;
    rnd_buf_str(b, "<p class=\"fp\">Rerun it in full: <code>kubesim run SCENARIO");
    rnd_buf_fmt(b, " --seed %.0f", seed->valuedouble);
    const cJSON *v;
    cJSON_ArrayForEach(v, get(best, "values")) {
        rnd_buf_str(b, " --set ");
        rnd_buf_esc(b, v->string);
        rnd_buf_str(b, "=");
        rnd_buf_esc(b, cJSON_IsString(v) ? v->valuestring : "");
    }
    rnd_buf_str(b, "</code></p>");
}

static void top(RndBuf *b, const cJSON *root, const char *scenario)
{
    const cJSON *best = get(root, "cheapest"), *rows = get(root, "rows");
    rnd_buf_str(b, "<header class=\"top\"><div class=\"kicker\">kubesim sweep</div><h1>");
    rnd_buf_esc(b, scenario ? scenario : "merged shards");
    rnd_buf_str(b, "</h1>");
    if (cJSON_IsObject(best)) {
        rnd_buf_str(b, "<span class=\"status pass\">cheapest that meets every expectation: ");
        values_text(b, get(best, "values"), ", ");
        rnd_buf_str(b, "</span>");
    } else {
        rnd_buf_str(b, "<span class=\"status fail\">no configuration meets every expectation</span>");
    }
    rnd_buf_str(b, "<dl class=\"facts\"><div><dt>Configurations</dt><dd>");
    rnd_buf_num(b, (double)cJSON_GetArraySize(rows));
    rnd_buf_str(b, "</dd></div><div><dt>Meeting every expectation</dt><dd>");
    rnd_buf_num(b, count_ok(rows));
    rnd_buf_str(b, "</dd></div>");
    if (cJSON_IsObject(best)) {
        rnd_buf_str(b, num(root, "seeds") > 1 ? "<div><dt>Its mean cost</dt><dd>" : "<div><dt>Its cost</dt><dd>");
        rnd_buf_usd(b, num(best, "cost_usd"));
        rnd_buf_str(b, "</dd></div>");
    }
    if (num(root, "seeds") > 1)
        rnd_buf_fmt(b, "<div><dt>Seeds per configuration</dt><dd>%.0f (passes: %.0f%% of them)</dd></div>",
                    num(root, "seeds"), num(root, "pass_rate") * 100);
    if (cJSON_GetStringValue(get(root, "objective"))) {
        rnd_buf_str(b, "<div><dt>Objective</dt><dd>");
        rnd_buf_esc(b, cJSON_GetStringValue(get(root, "objective")));
        rnd_buf_str(b, "</dd></div>");
    }
    RndClock clk;
    rnd_clock_read(&clk, root);
    if (clk.set) {
        char date[16], label[128];
        rnd_clock_date(&clk, 0, date, sizeof date);
        rnd_clock_label(&clk, 0, label, sizeof label);
        rnd_buf_str(b, "<div><dt>Start</dt><dd>");
        rnd_buf_esc(b, date);
        rnd_buf_str(b, " ");
        rnd_buf_esc(b, label);
        rnd_buf_str(b, "</dd></div>");
    }
    rnd_buf_str(b, "</dl>");
    rerun_line(b, root, scenario);
    rnd_buf_str(b, "</header>\n");
}

/* ---- cost against the objective ------------------------------------------------ */
/* An axis: its domain [lo, hi] runs from tick to tick, every `step` (1, 2 or
 * 5 times a power of ten of `unit`), so every tick is a round number. */
typedef struct Scale {
    double lo, hi, step, unit;
    const char *suffix;          /* of a duration's unit: " s", " min", " h"; NULL: dollars */
} Scale;

/* 1, 2 or 5 times a power of ten, the smallest at least raw. */
static double step125(double raw)
{
    double p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * p;
}

/* The range of a figure over the rows (mean and, with seeds, worst), as
 * about four round steps; from_zero pins the bottom at 0 (violation or
 * completion seconds: zero is the best there is). */
static Scale scale_of(const cJSON *rows, const char *key, int from_zero, int duration)
{
    double lo = INFINITY, hi = -INFINITY;
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        double v = num(r, key), w = num(get(r, "worst"), key);
        lo = fmin(lo, isfinite(v) ? v : INFINITY), hi = fmax(hi, isfinite(v) ? v : -INFINITY);
        hi = fmax(hi, isfinite(w) ? w : -INFINITY);
    }
    if (!(lo <= hi))
        lo = hi = 0;
    if (from_zero)
        lo = 0;
    Scale s = {.unit = 1, .suffix = duration ? " s" : NULL};
    if (duration && hi > 7200)
        s.unit = 3600, s.suffix = " h";
    else if (duration && hi > 120)
        s.unit = 60, s.suffix = " min";
    double span = (hi - lo) / s.unit;
    if (span < 1e-9)   /* one value: a step around it */
        span = fabs(hi / s.unit) > 1e-9 ? fabs(hi / s.unit) * 0.2 : 1;
    s.step = step125(span / 4) * s.unit;
    s.lo = floor(lo / s.step + 1e-9) * s.step;
    s.hi = ceil(hi / s.step - 1e-9) * s.step;
    if (s.hi <= s.lo || !from_zero || s.hi < hi + s.step * 0.02)   /* no point drawn on a frame's edge */
        s.hi += s.step;
    if (!from_zero && s.lo > lo - s.step * 0.02)
        s.lo -= s.step;
    if (from_zero && lo >= 0 && s.lo < 0)
        s.lo = 0;
    return s;
}

static double at(Scale s, double v, double from, double to)
{
    return from + (v - s.lo) / (s.hi - s.lo) * (to - from);
}

/* A tick's label: dollars with as many decimals as the step needs, or the
 * duration in the axis' unit. */
static void tick_label(RndBuf *b, Scale s, double v)
{
    double st = s.step / s.unit;
    int dec = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
    if (s.suffix)
        rnd_buf_fmt(b, "%.*f%s", dec, v / s.unit, s.suffix);
    else if (dec <= 2)
        rnd_buf_usd(b, v);
    else
        rnd_buf_fmt(b, "%s$%.*f", v < 0 ? "-" : "", dec, fabs(v));
}

static void axes(RndBuf *b, Scale x, Scale y, const char *ytitle)
{
    rnd_buf_str(b, "<g class=\"ya\">");
    for (double v = y.lo; v <= y.hi + y.step * 1e-6; v += y.step) {
        double py = at(y, v, H - PAD_B, PAD_T);
        rnd_buf_fmt(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text class=\"tick\" data-v=\"%.9g\" "
                    "x=\"%d\" y=\"%.1f\">", PAD_L, W - PAD_R, py, py, v, PAD_L - 6, py + 3.5);
        tick_label(b, y, fabs(v) < y.step * 1e-9 ? 0 : v);
        rnd_buf_str(b, "</text>");
    }
    rnd_buf_fmt(b, "<text class=\"title\" transform=\"rotate(-90)\" x=\"%d\" y=\"14\" "
                   "style=\"text-anchor:middle\">", -(PAD_T + H - PAD_B) / 2);
    rnd_buf_esc(b, ytitle);
    rnd_buf_str(b, "</text></g><g class=\"xa\">");
    for (double v = x.lo; v <= x.hi + x.step * 1e-6; v += x.step) {
        double px = at(x, v, PAD_L, W - PAD_R);
        rnd_buf_fmt(b, "<text class=\"tick\" data-v=\"%.9g\" x=\"%.1f\" y=\"%d\">", v, px, H - PAD_B + 16);
        tick_label(b, x, fabs(v) < x.step * 1e-9 ? 0 : v);
        rnd_buf_str(b, "</text>");
    }
    rnd_buf_fmt(b, "<text class=\"title\" x=\"%d\" y=\"%d\">cost (USD)</text></g>", (PAD_L + W - PAD_R) / 2, H - 6);
}

/* What the plot's vertical axis shows: the completion time with a job: or
 * queue: objective, else the SLO violation (of the objective's service). */
typedef struct Yfig {
    const char *key, *title, *caption;
} Yfig;

static Yfig yfig_of(const cJSON *root)
{
    const char *obj = cJSON_GetStringValue(get(root, "objective"));
    if (obj && strncmp(obj, "service:", 8) != 0)
        return (Yfig){"completion_seconds", "completion time",
                      "vertical: from the first sample of the objective's Job or queue to its end (metrics "
                      "interval); a point at the top never finished"};
    return (Yfig){"slo_violation_seconds", "SLO violation",
                  obj ? "vertical: seconds the objective's service spent over its latency target, summed over "
                        "regions"
                      : "vertical: seconds any service spent over its latency target, summed over services and "
                        "regions"};
}

/* One configuration: a dot (passing) or a cross (failing, so it stays
 * distinct under a dot); with seeds, a whisker up to the worst seed. */
static void point(RndBuf *b, const cJSON *r, Scale x, Scale y, const char *ykey)
{
    double px = at(x, num(r, "cost_usd"), PAD_L, W - PAD_R), yv = num(r, ykey);
    double py = at(y, isfinite(yv) ? yv : y.hi, H - PAD_B, PAD_T);
    double wy = at(y, num(get(r, "worst"), ykey), H - PAD_B, PAD_T);
    int ok = cJSON_IsTrue(get(r, "ok"));
    if (!isfinite(px) || !isfinite(py))
        return;
    if (isfinite(wy) && wy < py - 0.5)
        rnd_buf_fmt(b, "<line class=\"whisker\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", px, px, py, wy);
    if (ok)
        rnd_buf_fmt(b, "<circle class=\"pt pass\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\">", px, py);
    else
        rnd_buf_fmt(b, "<path class=\"pt fail\" d=\"M%.1f %.1fl10 10m0 -10l-10 10\">", px - 5, py - 5);
    rnd_buf_fmt(b, "<title>configuration %.0f%s: ", num(r, "config"), isfinite(yv) ? "" : " (never finished)");
    values_text(b, get(r, "values"), ", ");
    rnd_buf_str(b, ok ? "</title></circle>" : "</title></path>");
}

/* The ring around the answer, drawn last so no point covers it. */
static void ring(RndBuf *b, const cJSON *r, Scale x, Scale y, const char *ykey)
{
    double px = at(x, num(r, "cost_usd"), PAD_L, W - PAD_R), py = at(y, num(r, ykey), H - PAD_B, PAD_T);
    if (isfinite(px) && isfinite(py))
        rnd_buf_fmt(b, "<circle class=\"best\" cx=\"%.1f\" cy=\"%.1f\" r=\"9\"/>", px, py);
}

static void scatter(RndBuf *b, const cJSON *root)
{
    const cJSON *rows = get(root, "rows"), *r;
    const char *obj = cJSON_GetStringValue(get(root, "objective"));
    double best = num(get(root, "cheapest"), "config");
    Yfig yf = yfig_of(root);
    Scale x = scale_of(rows, "cost_usd", 0, 0), y = scale_of(rows, yf.key, 1, 1);
    rnd_buf_str(b, "<section id=\"plot\"><h2>Cost against ");
    rnd_buf_esc(b, yf.title);
    if (obj) {
        rnd_buf_str(b, " of ");
        rnd_buf_esc(b, obj);
    }
    rnd_buf_str(b, "<small>each point a configuration; green dots meet every expectation, red crosses do not "
                   "(drawn on top); the ring is the cheapest that does");
    if (num(root, "seeds") > 1)
        rnd_buf_str(b, "; points are means over the seeds, whiskers reach the worst seed");
    rnd_buf_str(b, "</small></h2><figure class=\"chart\">");
    rnd_buf_fmt(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"cost against ", W, H);
    rnd_buf_esc(b, yf.title);
    rnd_buf_str(b, "\">");
    axes(b, x, y, yf.title);
    for (int pass = 1; pass >= 0; pass--)   /* passing first: a failing point is never hidden under one */
        cJSON_ArrayForEach(r, rows)
            if (cJSON_IsTrue(get(r, "ok")) == pass)
                point(b, r, x, y, yf.key);
    cJSON_ArrayForEach(r, rows)
        if (num(r, "config") == best)
            ring(b, r, x, y, yf.key);
    rnd_buf_str(b, "</svg><figcaption><small>");
    rnd_buf_esc(b, yf.caption);
    rnd_buf_str(b, "</small></figcaption></figure></section>\n");
}

/* ---- the table --------------------------------------------------------------------- */
static void figure(RndBuf *b, const cJSON *o, const char *key)
{
    double v = num(o, key);
    if (isfinite(v))
        rnd_buf_keyed(b, key, v);
    else
        rnd_buf_str(b, "\xE2\x80\x94");
}

/* A completion time on the scenario's clock: " (05:42 EST)". */
static void wall_time(RndBuf *b, const cJSON *r, const char *key, const RndClock *clk)
{
    const cJSON *v = get(r, key);
    if (!clk->set || strcmp(key, "completion_seconds") != 0 || !cJSON_IsNumber(v) || !(v->valuedouble >= 0) ||
        v->valuedouble > 1e9)
        return;
    char hm[16];
    rnd_clock_fmt(clk, v->valuedouble, 0, hm, sizeof hm);
    rnd_buf_fmt(b, " (%s ", hm);
    rnd_buf_esc(b, rnd_clock_abbrev(clk, v->valuedouble));
    rnd_buf_str(b, ")");
}

/* A figure's cell: the mean, and with seeds the worst seed's below it. */
static void cell_fig(RndBuf *b, const cJSON *r, const char *key, const RndClock *clk)
{
    const cJSON *worst = get(r, "worst");
    rnd_buf_str(b, "<td class=\"num\">");
    figure(b, r, key);
    wall_time(b, r, key, clk);
    if (cJSON_IsObject(worst)) {
        rnd_buf_str(b, "<br><small>worst ");
        figure(b, worst, key);
        wall_time(b, worst, key, clk);
        rnd_buf_str(b, "</small>");
    }
    rnd_buf_str(b, "</td>");
}

static void table_row(RndBuf *b, const cJSON *r, const cJSON *vary, double best, int done, int wait,
                      const RndClock *clk)
{
    const cJSON *a;
    rnd_buf_fmt(b, "<tr%s><td class=\"num\">%.0f</td>", num(r, "config") == best ? " class=\"best\"" : "",
                num(r, "config"));
    cJSON_ArrayForEach(a, vary) {
        const cJSON *v = get(get(r, "values"), cJSON_GetStringValue(get(a, "name")));
        rnd_buf_str(b, "<td>");
        rnd_buf_esc(b, cJSON_IsString(v) ? v->valuestring : "");
        rnd_buf_str(b, "</td>");
    }
    static const char *const keys[] = {"cost_usd", "slo_violation_seconds", "latency_p95_ms", "error_rate",
                                       "pending_peak", "completion_seconds", "wait_p95_seconds", NULL};
    for (size_t k = 0; keys[k]; k++)
        if (k < 5 || (k == 5 && done) || (k == 6 && wait))
            cell_fig(b, r, keys[k], clk);
    int ok = cJSON_IsTrue(get(r, "ok"));
    rnd_buf_fmt(b, "<td class=\"num\">%.0f / %.0f</td>", num(r, "expectations_passed"),
                num(r, "expectations_passed") + num(r, "expectations_failed"));
    if (cJSON_IsNumber(get(r, "seeds")))
        rnd_buf_fmt(b, "<td class=\"num\">%.0f / %.0f</td>", num(r, "seeds_passed"), num(r, "seeds"));
    rnd_buf_fmt(b, "<td><span class=\"badge %s\">%s</span></td></tr>\n", ok ? "pass" : "fail", ok ? "PASS" : "FAIL");
}

static void table(RndBuf *b, const cJSON *root)
{
    const cJSON *vary = get(root, "vary"), *a, *r;
    double best = num(get(root, "cheapest"), "config");
    int done = cJSON_GetStringValue(get(root, "objective")) &&
               strncmp(cJSON_GetStringValue(get(root, "objective")), "service:", 8) != 0;
    int seeds = num(root, "seeds") > 1;
    /* a queue: objective's rows carry its p95 wait */
    int wait = cJSON_GetArraySize(get(root, "rows")) > 0 && get(cJSON_GetArrayItem(get(root, "rows"), 0),
                                                                 "wait_p95_seconds") != NULL;
    rnd_buf_str(b, "<section id=\"configs\"><h2>Configurations");
    if (seeds)
        rnd_buf_str(b, "<small>figures are means over the seeds, the worst seed's below; expectations: the "
                       "worst seed's</small>");
    rnd_buf_str(b, "</h2><div class=\"scroll\"><table class=\"data\"><thead><tr><th class=\"num\">#</th>");
    cJSON_ArrayForEach(a, vary) {
        rnd_buf_str(b, "<th>");
        rnd_buf_esc(b, cJSON_GetStringValue(get(a, "name")) ? cJSON_GetStringValue(get(a, "name")) : "");
        rnd_buf_str(b, "</th>");
    }
    rnd_buf_str(b, "<th class=\"num\">Cost</th><th class=\"num\">SLO violation</th><th class=\"num\">Worst p95"
                   "</th><th class=\"num\">Worst error rate</th><th class=\"num\">Peak pending pods</th>");
    if (done)
        rnd_buf_str(b, "<th class=\"num\">Completion</th>");
    if (wait)
        rnd_buf_str(b, "<th class=\"num\">p95 wait</th>");
    rnd_buf_str(b, "<th class=\"num\">Expectations</th>");
    if (seeds)
        rnd_buf_str(b, "<th class=\"num\">Seeds passed</th>");
    rnd_buf_str(b, "<th></th></tr></thead><tbody>\n");
    RndClock clk;
    rnd_clock_read(&clk, root);
    cJSON_ArrayForEach(r, get(root, "rows"))
        table_row(b, r, vary, best, done, wait, &clk);
    rnd_buf_str(b, "</tbody></table></div></section>\n");
}

static int page(RndBuf *b, const cJSON *root)
{
    const char *scenario = cJSON_GetStringValue(get(root, "scenario"));
    head(b, scenario);
    top(b, root, scenario);
    scatter(b, root);
    table(b, root);
    rnd_buf_str(b, num(root, "seeds") > 1 ? "<footer>kubesim sweep: every configuration ran with the same seeds; "
                                            "rows as in sweep.csv</footer>\n</main></body></html>\n"
                                          : "<footer>kubesim sweep: every configuration ran with the same seed; rows "
                                            "as in sweep.csv</footer>\n</main></body></html>\n");
    return b->oom ? SIM_ENOMEM : SIM_OK;
}

/* sweep.json parsed through m into *root (NULL for text that is not JSON);
 * SIM_ENOMEM when an allocation failed. */
static int parse(SimMem *m, const RndBuf *text, cJSON **root)
{
    SimJsonScope js;
    sim_json_begin(&js, m);
    *root = text->oom ? NULL : cJSON_ParseWithLength(text->p ? text->p : "", text->len);
    if (sim_json_end(&js) != SIM_OK || text->oom) {
        cJSON_Delete(*root);
        *root = NULL;
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

int rnd_sweep_write(SimMem *m, const char *sweep_json_path, const char *out_html_path, SimErr *err)
{
    FILE *f = fopen(sweep_json_path, "rb");
    int open_errno = errno;
    RndBuf text, html;
    rnd_buf_init(&text, m);
    rnd_buf_init(&html, m);
    char chunk[65536];
    size_t got;
    while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rnd_buf_add(&text, chunk, got);
    if (f)
        fclose(f);
    cJSON *root = NULL;
    int rc = f ? parse(m, &text, &root) : SIM_OK;
    if (rc != SIM_OK) {
        sim_err_set(err, rc, "out of memory reading %s", sweep_json_path);
    } else if (root == NULL || !cJSON_IsArray(get(root, "rows"))) {
        rc = sim_err_set(err, SIM_EINVAL, "%s: %s", sweep_json_path,
                         f ? "not a kubesim sweep.json" : strerror(open_errno));
    } else if ((rc = page(&html, root)) != SIM_OK) {
        sim_err_set(err, rc, "out of memory writing %s", out_html_path);
    } else {
        rc = sim_write_file(out_html_path, html.p, html.len, err);
    }
    cJSON_Delete(root);
    rnd_buf_free(&text);
    rnd_buf_free(&html);
    return rc;
}
