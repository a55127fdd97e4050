/*
 * report.c: report.html, the page a platform engineer reads after a run.
 * Builds the page from a loaded summary.json and metrics.csv: header,
 * headline figures, regions, service levels, expectations, other tables,
 * then one chart per (object, metric). Invariant: the page depends on the
 * two input texts only (no clock, no paths), so one run gives one page.
 */
#include "render/rnd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "render/rnd_int.h"
#include "sim/json.h"

struct RndReport {
    SimMem own;          /* the hook when the caller gives none */
    SimMem *mem;
    cJSON *summary;      /* cJSON allocates on its own: its hooks are process-wide */
    RndMetrics metrics;
    RndBuf page;
    cJSON *why;          /* rnd_why_report's answer from the run's trace, or NULL */
    int rows_rc;         /* rnd_report_metrics_row's first failure (sticky), or SIM_OK */
    char err[512];
};

/* The page's only style: system fonts, no external resource of any kind. */
const char rnd_page_css[] =
    ":root{--fg:#1f2328;--mut:#656d76;--line:#d8dee4;--soft:#f6f8fa;--pass:#1a7f37;"
    "--fail:#cf222e;--acc:#0969da}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:#eef1f4;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1320px;margin:0 auto;padding:24px 28px 48px}"
    "section,header.top{background:#fff;border:1px solid var(--line);border-radius:10px;"
    "padding:18px 22px;margin:0 0 18px}"
    "h1{font-size:26px;margin:2px 0 10px;letter-spacing:-.01em}"
    "h2{font-size:17px;margin:0 0 12px}h2 small{font-weight:400;color:var(--mut);margin-left:8px}"
    ".kicker{text-transform:uppercase;font-size:11px;letter-spacing:.08em;color:var(--mut)}"
    ".status{display:inline-block;padding:3px 10px;border-radius:999px;font-weight:600;"
    "text-decoration:none;font-size:13px}"
    ".status.pass{background:#dafbe1;color:var(--pass)}.status.fail{background:#ffebe9;"
    "color:var(--fail)}.status.none{background:var(--soft);color:var(--mut)}"
    ".facts{display:flex;flex-wrap:wrap;gap:10px 34px;margin:16px 0 0}"
    ".facts dt{font-size:12px;color:var(--mut)}.facts dd{margin:0;font-size:20px;"
    "font-weight:600;font-variant-numeric:tabular-nums}"
    ".fp{margin:14px 0 0;font-size:12px;color:var(--mut)}code{font:12px ui-monospace,"
    "SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}"
    "nav{margin:0 0 18px;font-size:13px}nav a{color:var(--acc);text-decoration:none;"
    "margin-right:16px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(230px,100%),1fr));gap:14px;"
    "align-items:start}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    "table.card{border:1px solid var(--line);border-radius:8px;border-collapse:separate;"
    "border-spacing:0;overflow:hidden}"
    ".card caption{text-align:left;font-weight:600;padding:0 0 6px}"
    ".card th,.card td{padding:5px 10px;border-top:1px solid var(--line);overflow-wrap:anywhere}"
    ".card tr:first-child th,.card tr:first-child td{border-top:0}"
    ".card th{text-align:left;font-weight:400;color:var(--mut)}.card td{text-align:right}"
    ".data th{text-align:left;font-size:12px;color:var(--mut);font-weight:600;"
    "border-bottom:2px solid var(--line);padding:6px 10px;white-space:nowrap}"
    ".data td{padding:6px 10px;border-bottom:1px solid var(--line)}"
    ".data tbody tr:nth-child(even){background:var(--soft)}"
    ".data th.num,td.num{text-align:right;white-space:nowrap}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "section{min-width:0;overflow-x:auto}.data{table-layout:auto}"
    ".data td{overflow-wrap:anywhere}.data td.num{overflow-wrap:normal}"
    "ul.sub{list-style:none;margin:0;padding:0;text-align:left}ul.sub li{white-space:nowrap}"
    "ul.sub span{color:var(--mut);margin-left:8px}"
    ".chart{min-width:0}rect.band{fill:#f28e2b;fill-opacity:.16}"
    ".legend i.band{border:0;height:10px;background:#f28e2b;opacity:.35}"
    "rect.band.fault{fill:#8250df;fill-opacity:.14}.legend i.band.fault{background:#8250df}"
    ".share{display:inline-block;width:60px;height:6px;margin:0 6px 1px 10px;"
    "background:var(--soft);border-radius:3px;vertical-align:middle}"
    ".share span{display:block;height:100%;background:var(--acc);border-radius:3px}"
    "td small{color:var(--mut);display:inline-block;width:34px}"
    ".badge{display:inline-block;min-width:46px;text-align:center;padding:2px 8px;"
    "border-radius:5px;font-size:11px;font-weight:700;letter-spacing:.04em;color:#fff}"
    ".badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}"
    ".expect{list-style:none;margin:0;padding:0}"
    ".expect li{display:flex;gap:12px;align-items:flex-start;padding:9px 0;"
    "border-top:1px solid var(--line)}.expect li:first-child{border-top:0}"
    ".expect .badge{margin-top:1px}.expect p{margin:2px 0 0;color:var(--mut)}"
    ".expect li.fail b{color:var(--fail)}"
    ".empty,.note{color:var(--mut)}.note{font-size:12px;margin:6px 0 0}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(560px,100%),1fr));gap:16px}"
    ".chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:12px 14px 10px}"
    ".chart figcaption{font-weight:600;margin:0 0 4px}"
    ".chart figcaption small{font-weight:400;color:var(--mut);margin-left:8px;font-size:12px}"
    ".chart svg{display:block;width:100%;height:auto}"
    "svg text{font-size:10.5px;fill:var(--mut)}"
    ".ya line,.xa line{stroke:#eaeef2}.ya line.zero{stroke:#afb8c1}"
    ".ya text{text-anchor:end}.xa text{text-anchor:middle}"
    ".ln path{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}"
    ".ln path.thr{stroke-width:1.4}"
    ".legend{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-wrap:wrap;"
    "gap:3px 16px;font-size:12px}"
    ".legend i{display:inline-block;width:16px;margin:0 6px 3px 0;vertical-align:middle;"
    "border-top:3px solid var(--c)}.legend i.d{border-top-style:dashed;border-top-width:2px}"
    ".legend i.o{border-top-style:dotted}"
    ".legend span{color:var(--mut)}"
    "footer{color:var(--mut);font-size:12px;text-align:center}"
    "@media print{body{background:#fff}section,header.top{break-inside:avoid}"
    ".chart{break-inside:avoid}}";

/* ---- lifetime ----------------------------------------------------------------- */

RndReport *rnd_report_create(SimMem *mem)
{
    SimMem libc;
    sim_mem_init(&libc);
    RndReport *r = sim_mem_calloc(mem ? mem : &libc, 1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->own = libc;
    r->mem = mem ? mem : &r->own;
    rnd_metrics_init(&r->metrics, r->mem);
    rnd_buf_init(&r->page, r->mem);
    return r;
}

void rnd_report_destroy(RndReport *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->summary);
    cJSON_Delete(r->why);
    rnd_metrics_free(&r->metrics);
    rnd_buf_free(&r->page);
    SimMem libc = r->own;
    sim_mem_free(r->mem == &r->own ? &libc : r->mem, r, sizeof *r);
}

const char *rnd_report_errmsg(const RndReport *r)
{
    return r->err;
}

static int set_error(RndReport *r, int code, const char *msg)
{
    snprintf(r->err, sizeof r->err, "%s", msg);
    return code;
}

/* ---- inputs -------------------------------------------------------------------- */

static long line_of(const char *text, const char *at)
{
    long line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

int rnd_report_set_summary(RndReport *r, const char *json, size_t len, const char *name)
{
    const char *end = NULL;
    SimJsonScope js;
    sim_json_begin(&js, r->mem);
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (sim_json_end(&js) != SIM_OK) {
        cJSON_Delete(root);
        return set_error(r, SIM_ENOMEM, "out of memory reading the summary");
    }
    if (root == NULL) {
        const char *at = end && end >= json && end <= json + len ? end : json;
        snprintf(r->err, sizeof r->err, "%s:%ld: not valid JSON", name, line_of(json, at));
        return SIM_EINVAL;
    }
    while (end < json + len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (end < json + len && *end) {
        cJSON_Delete(root);
        snprintf(r->err, sizeof r->err, "%s:%ld: text after the JSON value", name,
                 line_of(json, end));
        return SIM_EINVAL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(r->err, sizeof r->err, "%s:1: expected a JSON object at the top", name);
        return SIM_EINVAL;
    }
    cJSON_Delete(r->summary);
    r->summary = root;
    r->err[0] = '\0';
    return SIM_OK;
}

int rnd_report_set_metrics(RndReport *r, const char *csv, size_t len, const char *name)
{
    r->err[0] = '\0';
    SimErr why = SIM_ERR_INIT;
    int rc = rnd_metrics_parse(&r->metrics, csv, len, name, &why);
    if (rc == SIM_ENOMEM)
        return set_error(r, rc, "out of memory reading the metrics");
    if (rc != SIM_OK)
        snprintf(r->err, sizeof r->err, "%s", sim_err_msg(&why));
    return rc;
}

void rnd_report_metrics_row(void *ctx, SimTime t, const char *region, const char *object, const char *name,
                            const char *metric, double value)
{
    RndReport *r = ctx;
    if (r->rows_rc == SIM_OK)
        r->rows_rc = rnd_metrics_add_row(&r->metrics, t, region, object, name, metric, value);
}

/* ---- the page -------------------------------------------------------------------- */

static void page_head(RndBuf *b, const cJSON *root)
{
    const cJSON *scn = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    rnd_buf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<title>");
    rnd_buf_esc(b, cJSON_IsString(scn) ? scn->valuestring : "kubesim");
    rnd_buf_str(b, " \xE2\x80\x94 kubesim report</title><style>");
    rnd_buf_str(b, rnd_page_css);
    rnd_buf_str(b, "</style></head>\n<body><main>\n");
}

/* The page's parts, in the order a reader asks: are we meeting service
 * levels, what does it cost, is capacity keeping up, what did the workloads
 * and autoscalers do, did batch finish. Each part has its charts, then the
 * tables of the summary keys it owns. */
typedef enum Part { PART_SLO, PART_COST, PART_CAPACITY, PART_WORKLOADS, PART_BATCH, PART_OTHER,
                    NPARTS } Part;

static const struct {
    const char *id, *title, *blurb;
    const char *const keys[6];   /* summary keys whose tables belong here */
} parts[NPARTS] = {
    {"service-levels", "Service levels over time", "latency against its target, errors and load",
     {NULL}},
    {"cost", "Cost", "cost per hour and cumulative, by region, node group and namespace", {"namespaces", NULL}},
    {"capacity", "Capacity", "nodes per group, requested share, pending pods",
     {"pods", "autoscaler", "quota", "faults", NULL}},
    {"workloads", "Workloads and HPAs", "replicas, availability, autoscaler decisions",
     {"hpa", NULL}},
    {"batch", "Batch", "Jobs, queues and backtests", {"jobs", "queues", "backtests", NULL}},
    {"other", "Other", NULL, {NULL}},
};

static int has(const char *s, const char *word)
{
    return strstr(s, word) != NULL;
}

static Part part_of(const char *object, const char *metric)
{
    if (strcmp(object, "service") == 0)
        return PART_SLO;
    if (has(metric, "cost"))
        return PART_COST;
    if (strcmp(object, "region") == 0 || strcmp(object, "nodegroup") == 0 || has(metric, "pending"))
        return PART_CAPACITY;
    if (has(object, "job") || has(object, "queue") || has(object, "backtest"))
        return PART_BATCH;
    if (strcmp(object, "namespace") == 0)
        return PART_COST;
    return PART_WORKLOADS;
}

static void page_nav(RndBuf *b, const int *shown, int why)
{
    rnd_buf_str(b, "<nav><a href=\"#top\">Headline</a><a href=\"#expectations\">Expectations</a>");
    if (why)
        rnd_buf_str(b, "<a href=\"#why\">Why pods waited</a>");
    for (int p = 0; p < NPARTS; p++)
        if (shown[p])
            rnd_buf_fmt(b, "<a href=\"#%s\">%s</a>", parts[p].id, parts[p].title);
    rnd_buf_str(b, "</nav>\n");
}

static void axis_note(RndBuf *b, const RndClock *clk, const RndMetrics *m)
{
    if (clk->set) {
        char date[16], last[16];
        rnd_clock_date(clk, 0, date, sizeof date);
        rnd_clock_date(clk, m->tmax, last, sizeof last);
        rnd_buf_str(b, "time axis in clock time, ");
        rnd_buf_esc(b, rnd_clock_abbrev(clk, 0));
        rnd_buf_str(b, " (");
        rnd_buf_esc(b, clk->tz);
        rnd_buf_fmt(b, "), %s%s%s", date, strcmp(date, last) ? " to " : "",
                    strcmp(date, last) ? last : "");
    } else {
        rnd_buf_str(b, "time axis in hours:minutes since the start");
    }
}

/* One part: its charts (every chart shares one time axis, from the start, or
 * the first sample if earlier, to the last sample, so charts line up). */
static int page_part(RndBuf *b, const RndMetrics *m, const RndClock *clk, const uint32_t *order,
                     size_t n, Part p, const RndBands *bands)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += part_of(rnd_metrics_str(m, m->charts[order[i]].object),
                         rnd_metrics_str(m, m->charts[order[i]].metric)) == p;
    if (count == 0)
        return SIM_OK;
    rnd_buf_fmt(b, "<section id=\"%s\" class=\"part\"><h2>%s <small>", parts[p].id, parts[p].title);
    if (parts[p].blurb) {
        rnd_buf_str(b, parts[p].blurb);
        rnd_buf_str(b, "; ");
    }
    axis_note(b, clk, m);
    rnd_buf_str(b, "</small></h2><div class=\"charts\">\n");
    double t0 = m->tmin < 0 ? m->tmin : 0;
    int rc = SIM_OK;
    /* Latency, with its target line, leads: it is what an SLO is about. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n && rc == SIM_OK; i++) {
            const char *metric = rnd_metrics_str(m, m->charts[order[i]].metric);
            if (part_of(rnd_metrics_str(m, m->charts[order[i]].object), metric) == p &&
                has(metric, "latency") == !pass)
                rc = rnd_svg_chart(b, m, &m->charts[order[i]], t0, m->tmax, clk, bands);
        }
    rnd_buf_str(b, "</div></section>\n");
    return rc;
}

static void part_tables(RndBuf *b, const cJSON *root, Part p)
{
    if (p == PART_COST)
        rnd_sum_regions(b, root);
    if (p != PART_OTHER) {
        rnd_sum_extra_tables(b, root, parts[p].keys, 0);
        return;
    }
    const char *all[32];
    size_t k = 0;
    for (int q = 0; q < PART_OTHER; q++)
        for (const char *const *key = parts[q].keys; *key && k + 1 < 32; key++)
            all[k++] = *key;
    all[k] = NULL;
    rnd_sum_extra_tables(b, root, all, 1);
}

static int by_value(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Total requests per second over every service at each sample of the first
 * rps series (the sampler writes every series at the same times). */
static double *total_rps(const RndMetrics *m, const RndChart *c, size_t *n)
{
    const RndSeries *first = &m->series[c->series[0]];
    double *tot = sim_mem_calloc(m->mem, first->n ? first->n : 1, sizeof *tot);
    if (tot == NULL)
        return NULL;
    for (size_t s = 0; s < c->n; s++) {
        const RndSeries *se = &m->series[c->series[s]];
        for (size_t i = 0, j = 0; i < first->n && j < se->n; i++) {
            while (j < se->n && se->pts[j].t < first->pts[i].t)
                j++;
            if (j < se->n && se->pts[j].t == first->pts[i].t && isfinite(se->pts[j].v))
                tot[i] += se->pts[j].v;
        }
    }
    *n = first->n;
    return tot;
}

/* A surge: the samples where the services' total load is over 1.5 times its
 * median over the run (the scenario's traffic, as metrics.csv has it). */
#define SURGE_FACTOR 1.5

static void add_band(RndBands *out, double a, double z, const char *label, int fault)
{
    if (out->n >= RND_MAX_BANDS)
        return;
    out->t[out->n][0] = a;
    out->t[out->n][1] = z;
    snprintf(out->label[out->n], RND_BAND_LABEL, "%s", label);
    out->fault[out->n++] = (uint8_t)fault;
}

static void surge_bands(const RndMetrics *m, RndBands *out)
{
    const char *label = "traffic surge (load over 1.5\xC3\x97 its median)";
    const RndChart *c = NULL;
    for (size_t i = 0; i < m->ncharts && c == NULL; i++)
        if (strcmp(rnd_metrics_str(m, m->charts[i].object), "service") == 0 &&
            strcmp(rnd_metrics_str(m, m->charts[i].metric), "rps") == 0 && m->charts[i].n > 0)
            c = &m->charts[i];
    size_t n = 0;
    double *tot = c ? total_rps(m, c, &n) : NULL;
    double *sorted = tot ? sim_mem_alloc(m->mem, (n ? n : 1) * sizeof *sorted) : NULL;
    if (sorted && n > 2) {
        memcpy(sorted, tot, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, by_value);
        double limit = SURGE_FACTOR * sorted[n / 2];
        const RndPoint *pts = m->series[c->series[0]].pts;
        for (size_t i = 0; i < n && limit > 0; i++) {
            if (!(tot[i] > limit))
                continue;
            size_t j = i;
            while (j + 1 < n && tot[j + 1] > limit)
                j++;
            add_band(out, pts[i].t, j + 1 < n ? pts[j + 1].t : pts[j].t, label, 0);
            i = j;
        }
    }
    if (tot)
        sim_mem_free(m->mem, tot, (n ? n : 1) * sizeof *tot);
    if (sorted)
        sim_mem_free(m->mem, sorted, (n ? n : 1) * sizeof *sorted);
}

/* summary.json's faults.list: each fault's span, named by its kind and
 * target; one that never ended lasts to the last sample. */
static void fault_bands(const cJSON *root, const RndMetrics *m, RndBands *out)
{
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(faults, "list"), *it;
    if (!cJSON_IsArray(list))
        return;
    cJSON_ArrayForEach(it, list) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
        const cJSON *target = cJSON_GetObjectItemCaseSensitive(it, "target");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "start_seconds");
        const cJSON *z = cJSON_GetObjectItemCaseSensitive(it, "end_seconds");
        if (!cJSON_IsString(kind) || !cJSON_IsNumber(a))
            continue;
        char label[RND_BAND_LABEL];
        snprintf(label, sizeof label, "%s %s", kind->valuestring,
                 cJSON_IsString(target) ? target->valuestring : "");
        add_band(out, a->valuedouble, cJSON_IsNumber(z) ? z->valuedouble : m->tmax, label, 1);
    }
}

/* "pod-time" as hours and minutes: "3h05m", "12m", "40s". */
static void pod_time(RndBuf *b, double sec)
{
    long s = (long)(sec + 0.5);
    if (s >= 3600)
        rnd_buf_fmt(b, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        rnd_buf_fmt(b, "%ldm", s / 60);
    else
        rnd_buf_fmt(b, "%lds", s);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* "Why pods waited": pending pod-time by the scheduler's reason (a wait
 * counts under each reason its message lists), the workloads that waited
 * most, and each window a service spent over its SLO with `kubesim why`'s
 * headline. From the run's trace (rnd_why_report). */
static void why_section(RndBuf *b, const cJSON *why)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(why, "pending_by_reason");
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(why, "top_workloads");
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(why, "slo_windows"), *e;
    rnd_buf_str(b, "<section id=\"why\" class=\"part\"><h2>Why pods waited <small>pending pod-time by the "
                   "scheduler's reason (a wait counts under each reason it lists), from trace.kst; "
                   "<code>kubesim why RUN pod|workload|node|service NAME</code> tells one story</small></h2>");
    if (cJSON_GetArraySize(rs) == 0)
        rnd_buf_str(b, "<p class=\"empty\">No pod waited for a node.</p>");
    else
        rnd_buf_str(b, "<table class=\"data\"><tr><th>reason</th><th>pod-time pending</th><th>waits</th></tr>");
    cJSON_ArrayForEach(e, rs) {
        rnd_buf_str(b, "<tr><td>");
        rnd_buf_esc(b, str_of(e, "reason"));
        rnd_buf_str(b, "</td><td>");
        pod_time(b, num_of(e, "pod_seconds"));
        rnd_buf_fmt(b, "</td><td>%.0f</td></tr>", num_of(e, "waits"));
    }
    if (cJSON_GetArraySize(rs) > 0)
        rnd_buf_str(b, "</table>");
    if (cJSON_GetArraySize(ws) > 0)
        rnd_buf_str(b, "<h3>Workloads that waited most</h3><table class=\"data\"><tr><th>workload</th>"
                       "<th>namespace</th><th>region</th><th>pod-time pending</th><th>pods that waited</th>"
                       "<th>longest wait</th></tr>");
    cJSON_ArrayForEach(e, ws) {
        rnd_buf_str(b, "<tr><td>");
        rnd_buf_esc(b, str_of(e, "workload"));
        rnd_buf_str(b, "</td><td>");
        rnd_buf_esc(b, str_of(e, "namespace"));
        rnd_buf_str(b, "</td><td>");
        rnd_buf_esc(b, str_of(e, "region"));
        rnd_buf_str(b, "</td><td>");
        pod_time(b, num_of(e, "pod_seconds"));
        rnd_buf_fmt(b, "</td><td>%.0f</td><td>", num_of(e, "pods"));
        pod_time(b, num_of(e, "longest_seconds"));
        rnd_buf_str(b, "</td></tr>");
    }
    if (cJSON_GetArraySize(ws) > 0)
        rnd_buf_str(b, "</table>");
    if (cJSON_GetArraySize(slo) > 0)
        rnd_buf_str(b, "<h3>Why each SLO was missed</h3><ul class=\"why\">");
    cJSON_ArrayForEach(e, slo) {
        rnd_buf_str(b, "<li>");
        rnd_buf_esc(b, str_of(e, "headline"));
        rnd_buf_str(b, "</li>");
    }
    if (cJSON_GetArraySize(slo) > 0)
        rnd_buf_str(b, "</ul>");
    rnd_buf_str(b, "</section>\n");
}

static int page_body(RndBuf *b, const cJSON *root, const RndMetrics *m, const RndClock *clk, const cJSON *why)
{
    RndBands bands;
    bands.n = 0;
    surge_bands(m, &bands);
    fault_bands(root, m, &bands);
    uint32_t *order;
    size_t n;
    if (rnd_metrics_order(m, &order, &n) != SIM_OK)
        return SIM_ENOMEM;
    int shown[NPARTS] = {0};
    for (size_t i = 0; i < n; i++)
        shown[part_of(rnd_metrics_str(m, m->charts[order[i]].object),
                      rnd_metrics_str(m, m->charts[order[i]].metric))] = 1;
    page_nav(b, shown, why != NULL);
    rnd_sum_headline(b, root);
    rnd_sum_slo(b, root);
    if (why)
        why_section(b, why);
    rnd_sum_expectations(b, root);
    rnd_sum_observed(b, root);
    if (n == 0)
        rnd_buf_str(b, "<section id=\"charts\"><p class=\"empty\">No metrics were recorded.</p>"
                       "</section>\n");
    int rc = SIM_OK;
    for (int p = 0; p < NPARTS && rc == SIM_OK; p++) {
        rc = page_part(b, m, clk, order, n, (Part)p, &bands);
        part_tables(b, root, (Part)p);
    }
    sim_mem_free(m->mem, order, n * sizeof *order);
    return rc;
}

int rnd_report_render(RndReport *r, const char **html, size_t *len)
{
    RndBuf *b = &r->page;
    if (r->summary == NULL)
        return set_error(r, SIM_ESTATE, "no summary loaded");
    rnd_metrics_finish(&r->metrics);
    if (rnd_metrics_cost_rates(&r->metrics) != SIM_OK)
        return set_error(r, SIM_ENOMEM, "out of memory building the report");
    rnd_buf_reset(b);
    page_head(b, r->summary);
    rnd_sum_header(b, r->summary);
    RndClock clk;
    rnd_clock_read(&clk, r->summary);
    int rc = page_body(b, r->summary, &r->metrics, &clk, r->why);
    rnd_buf_str(b, r->why ? "<footer>kubesim " KUBESIM_VERSION
                            " \xC2\xB7 from summary.json, metrics.csv and trace.kst</footer>\n</main></body></html>\n"
                          : "<footer>kubesim " KUBESIM_VERSION
                            " \xC2\xB7 from summary.json and metrics.csv</footer>\n</main></body></html>\n");
    if (rc != SIM_OK || b->oom) {
        b->oom = 0;   /* the buffer is reusable once the page is abandoned */
        rnd_buf_reset(b);
        return set_error(r, SIM_ENOMEM, "out of memory building the report");
    }
    *html = b->p;
    *len = b->len;
    return SIM_OK;
}

/* ---- files ------------------------------------------------------------------------- */

/* Reads a whole file into b. SIM_EIO with a message naming the path. */
static int read_all(RndReport *r, RndBuf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(r->err, sizeof r->err, "cannot read %s: %s", path, strerror(errno));
        return SIM_EIO;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rnd_buf_add(b, chunk, n);
    int bad = ferror(f) ? errno : 0;
    fclose(f);
    if (bad) {
        snprintf(r->err, sizeof r->err, "cannot read %s: %s", path, strerror(bad));
        return SIM_EIO;
    }
    return b->oom ? set_error(r, SIM_ENOMEM, "out of memory reading the inputs") : SIM_OK;
}

static int write_all(RndReport *r, const char *path, const char *html, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        snprintf(r->err, sizeof r->err, "cannot write %s: %s", path, strerror(errno));
        return SIM_EIO;
    }
    size_t wrote = fwrite(html, 1, len, f);
    int bad = wrote != len || fflush(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        snprintf(r->err, sizeof r->err, "cannot write %s: %s", path, strerror(errno));
        remove(path);   /* no half page left behind */
        return SIM_EIO;
    }
    return SIM_OK;
}

static int load(RndReport *r, const char *summary_path, const char *metrics_path)
{
    RndBuf text;
    rnd_buf_init(&text, r->mem);
    int rc = read_all(r, &text, summary_path);
    if (rc == SIM_OK)
        rc = rnd_report_set_summary(r, text.p ? text.p : "", text.len, summary_path);
    rnd_buf_reset(&text);
    if (rc == SIM_OK && metrics_path)
        rc = read_all(r, &text, metrics_path);
    if (rc == SIM_OK && metrics_path)
        rc = rnd_report_set_metrics(r, text.p ? text.p : "", text.len, metrics_path);
    rnd_buf_free(&text);
    return rc;
}

int rnd_report_write(SimMem *m, const char *summary_json_path, const char *metrics_csv_path,
                     const char *out_html_path, SimErr *err)
{
    return rnd_report_write_run(m, summary_json_path, metrics_csv_path, NULL, NULL, out_html_path, err);
}

/* The why section from the trace (when given), the page, the file. */
static int finish(RndReport *r, const char *trace_path, const SimTrSchema *schema, const char *out_html_path)
{
    const char *html = NULL;
    size_t len = 0;
    int rc = SIM_OK;
    if (trace_path) {
        SimErr e = SIM_ERR_INIT;
        rc = rnd_why_report(r->mem, schema, trace_path, &r->why, &e);
        if (rc != SIM_OK)
            snprintf(r->err, sizeof r->err, "%.*s", (int)sizeof r->err - 1, e.msg);   /* SimErr's may be longer */
    }
    if (rc == SIM_OK)
        rc = rnd_report_render(r, &html, &len);
    if (rc == SIM_OK)
        rc = write_all(r, out_html_path, html, len);
    return rc;
}

int rnd_report_write_run(SimMem *m, const char *summary_json_path, const char *metrics_csv_path,
                         const char *trace_path, const SimTrSchema *schema, const char *out_html_path, SimErr *err)
{
    RndReport *r = rnd_report_create(m);
    if (r == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory writing %s", out_html_path);
    int rc = load(r, summary_json_path, metrics_csv_path);
    if (rc == SIM_OK)
        rc = finish(r, trace_path, schema, out_html_path);
    if (rc != SIM_OK)
        sim_err_set(err, rc, "%s", r->err);
    rnd_report_destroy(r);
    return rc;
}

int rnd_report_write_rows(RndReport *r, const char *summary_json_path, const char *trace_path,
                          const SimTrSchema *schema, const char *out_html_path, SimErr *err)
{
    int rc = r->rows_rc;
    if (rc != SIM_OK)
        set_error(r, rc, "out of memory keeping the metrics");
    if (rc == SIM_OK)
        rc = load(r, summary_json_path, NULL);
    if (rc == SIM_OK)
        rc = finish(r, trace_path, schema, out_html_path);
    if (rc != SIM_OK)
        sim_err_set(err, rc, "%s", r->err);
    return rc;
}
