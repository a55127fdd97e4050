/*
 * sweep.c: the page of a sweep, from sweep.json alone (scenarios/sweep.h
 * writes it). It answers the capacity question first (the cheapest
 * configuration that meets every expectation, and how to rerun it), then
 * shows cost against SLO violation for every configuration as a scatter
 * plot, then the whole table.
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
#define PAD_L 64
#define PAD_R 16
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
    rnd_buf_str(b, ".pt{stroke:#fff;stroke-width:1}.pt.pass{fill:var(--pass)}.pt.fail{fill:var(--fail)}"
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
        rnd_buf_str(b, "<div><dt>Its cost</dt><dd>");
        rnd_buf_usd(b, num(best, "cost_usd"));
        rnd_buf_str(b, "</dd></div>");
    }
    rnd_buf_str(b, "</dl>");
    const cJSON *seed = get(root, "seed");
    if (cJSON_IsObject(best) && scenario && cJSON_IsNumber(seed)) {
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
    rnd_buf_str(b, "</header>\n");
}

/* ---- cost against SLO violation ------------------------------------------------ */
typedef struct Scale {
    double lo, hi;
} Scale;

/* The range of a column over the rows, with a margin; from_zero pins the
 * bottom at 0 (violation seconds: zero is where the SLO is met). */
static Scale scale_of(const cJSON *rows, const char *key, int from_zero)
{
    Scale s = {INFINITY, -INFINITY};
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        double v = num(r, key);
        if (isfinite(v)) {
            s.lo = fmin(s.lo, v);
            s.hi = fmax(s.hi, v);
        }
    }
    if (!(s.lo <= s.hi))
        s.lo = s.hi = 0;
    if (from_zero)
        s.lo = 0;
    if (s.hi - s.lo < 1e-9) {
        s.lo -= s.lo > 0 ? s.lo * 0.1 : 0;
        s.hi += s.hi > 0 ? s.hi * 0.1 : 1;
    }
    double margin = (s.hi - s.lo) * 0.05;   /* no point drawn on a frame's edge */
    s.hi += margin;
    if (!from_zero)
        s.lo -= margin;
    return s;
}

static double at(Scale s, double v, double from, double to)
{
    return from + (v - s.lo) / (s.hi - s.lo) * (to - from);
}

static void axes(RndBuf *b, Scale x, Scale y)
{
    rnd_buf_str(b, "<g class=\"ya\">");
    for (int i = 0; i <= 4; i++) {
        double v = y.lo + (y.hi - y.lo) * i / 4, py = at(y, v, H - PAD_B, PAD_T);
        rnd_buf_fmt(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\">", PAD_L,
                    W - PAD_R, py, py, PAD_L - 6, py + 3.5);
        rnd_buf_duration(b, v);
        rnd_buf_str(b, "</text>");
    }
    rnd_buf_str(b, "</g><g class=\"xa\">");
    for (int i = 0; i <= 4; i++) {
        double v = x.lo + (x.hi - x.lo) * i / 4, px = at(x, v, PAD_L, W - PAD_R);
        rnd_buf_fmt(b, "<text x=\"%.1f\" y=\"%d\"%s>", px, H - PAD_B + 16,
                    i == 4 ? " style=\"text-anchor:end\"" : "");
        rnd_buf_usd(b, v);
        rnd_buf_str(b, "</text>");
    }
    rnd_buf_fmt(b, "<text x=\"%d\" y=\"%d\">cost (USD)</text></g>", (PAD_L + W - PAD_R) / 2, H - 6);
}

static void point(RndBuf *b, const cJSON *r, Scale x, Scale y, int best)
{
    double px = at(x, num(r, "cost_usd"), PAD_L, W - PAD_R);
    double py = at(y, num(r, "slo_violation_seconds"), H - PAD_B, PAD_T);
    if (!isfinite(px) || !isfinite(py))
        return;
    rnd_buf_fmt(b, "<circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"><title>configuration %.0f: ",
                cJSON_IsTrue(get(r, "ok")) ? "pass" : "fail", px, py, num(r, "config"));
    values_text(b, get(r, "values"), ", ");
    rnd_buf_str(b, "</title></circle>");
    if (best)
        rnd_buf_fmt(b, "<circle class=\"best\" cx=\"%.1f\" cy=\"%.1f\" r=\"9\"/>", px, py);
}

static void scatter(RndBuf *b, const cJSON *root)
{
    const cJSON *rows = get(root, "rows"), *r;
    double best = num(get(root, "cheapest"), "config");
    Scale x = scale_of(rows, "cost_usd", 0), y = scale_of(rows, "slo_violation_seconds", 1);
    rnd_buf_str(b, "<section id=\"plot\"><h2>Cost against SLO violation<small>each point a configuration; "
                   "green meets every expectation, red does not; the ring is the cheapest that does</small>"
                   "</h2><figure class=\"chart\">");
    rnd_buf_fmt(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"cost against SLO violation\">", W, H);
    axes(b, x, y);
    cJSON_ArrayForEach(r, rows)
        point(b, r, x, y, num(r, "config") == best);
    rnd_buf_str(b, "</svg><figcaption><small>vertical: seconds any service spent over its latency "
                   "target, summed over services and regions</small></figcaption></figure></section>\n");
}

/* ---- the table --------------------------------------------------------------------- */
static void cell_num(RndBuf *b, const cJSON *r, const char *key)
{
    double v = num(r, key);
    rnd_buf_str(b, "<td class=\"num\">");
    if (isfinite(v))
        rnd_buf_keyed(b, key, v);
    else
        rnd_buf_str(b, "\xE2\x80\x94");
    rnd_buf_str(b, "</td>");
}

static void table_row(RndBuf *b, const cJSON *r, const cJSON *vary, double best)
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
                                       "pending_peak", NULL};
    for (size_t k = 0; keys[k]; k++)
        cell_num(b, r, keys[k]);
    int ok = cJSON_IsTrue(get(r, "ok"));
    rnd_buf_fmt(b, "<td class=\"num\">%.0f / %.0f</td><td><span class=\"badge %s\">%s</span></td></tr>\n",
                num(r, "expectations_passed"), num(r, "expectations_passed") + num(r, "expectations_failed"),
                ok ? "pass" : "fail", ok ? "PASS" : "FAIL");
}

static void table(RndBuf *b, const cJSON *root)
{
    const cJSON *vary = get(root, "vary"), *a, *r;
    double best = num(get(root, "cheapest"), "config");
    rnd_buf_str(b, "<section id=\"configs\"><h2>Configurations</h2><div class=\"scroll\"><table class=\"data\">"
                   "<thead><tr><th class=\"num\">#</th>");
    cJSON_ArrayForEach(a, vary) {
        rnd_buf_str(b, "<th>");
        rnd_buf_esc(b, cJSON_GetStringValue(get(a, "name")) ? cJSON_GetStringValue(get(a, "name")) : "");
        rnd_buf_str(b, "</th>");
    }
    rnd_buf_str(b, "<th class=\"num\">Cost</th><th class=\"num\">SLO violation</th><th class=\"num\">Worst p95"
                   "</th><th class=\"num\">Worst error rate</th><th class=\"num\">Peak pending pods</th>"
                   "<th class=\"num\">Expectations</th><th></th></tr></thead><tbody>\n");
    cJSON_ArrayForEach(r, get(root, "rows"))
        table_row(b, r, vary, best);
    rnd_buf_str(b, "</tbody></table></div></section>\n");
}

static int page(RndBuf *b, const cJSON *root)
{
    const char *scenario = cJSON_GetStringValue(get(root, "scenario"));
    head(b, scenario);
    top(b, root, scenario);
    scatter(b, root);
    table(b, root);
    rnd_buf_str(b, "<footer>kubesim sweep: every configuration ran with the same seed; rows as in "
                   "sweep.csv</footer>\n</main></body></html>\n");
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
