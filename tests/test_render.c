/*
 * test_render.c: the report writer (render/, prefix rnd_). Pins what the page
 * must show and refuse: a chart per (object, metric) in capacity-first order,
 * escaped names, expectations with badges, errors that name file and line,
 * no external resource, bounded size on long runs, the same bytes for the
 * same inputs, and no leak when any allocation fails.
 */
#include "render/rnd.h"
#include "render/rnd_int.h"   /* the metrics the page is drawn from */
#include "sim/metrics.h"

#include "tr.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A summary with every key of the contract (DESIGN.md §5). */
static const char summary_full[] =
    "{\"schema\":1,\"scenario\":\"market_open_surge\",\"seed\":42,\"sim_seconds\":23400,"
    "\"wall_seconds\":1.5,\"events\":1234567,\"trace_sha256\":\"ab12\",\"cost_usd\":1234.5,"
    "\"regions\":[{\"name\":\"us-east\",\"nodes_peak\":40,\"cost_usd\":800},"
    "{\"name\":\"eu-west\",\"nodes_peak\":20,\"cost_usd\":434.5}],"
    "\"pods\":{\"created\":900,\"scheduled\":880,\"pending_peak\":37,\"preempted\":2,"
    "\"evicted\":0},"
    "\"hpa\":{\"scale_ups\":12,\"scale_downs\":4},"
    "\"autoscaler\":{\"nodes_added\":30,\"nodes_removed\":8},\"quota\":{\"rejections\":1},"
    "\"jobs\":{\"succeeded\":50,\"failed\":1},\"backtests\":{\"completed\":50,\"results\":[]},"
    "\"slo\":[{\"service\":\"quant-api\",\"region\":\"us-east\",\"latency_p95_ms\":180,"
    "\"target_ms\":250,\"violation_seconds\":0,\"error_rate\":0.001}],"
    "\"expectations\":[{\"name\":\"p95 under target\",\"passed\":true,\"detail\":\"180 ms\"},"
    "{\"name\":\"cost under budget\",\"passed\":false,\"detail\":\"$1234.50 > $1000\"}]}";

static const char csv_basic[] =
    "t_seconds,region,object,name,metric,value\n"
    "0,us-east,region,us-east,nodes,10\n"
    "0,us-east,nodegroup,cpu-general,nodes,8\n"
    "0,us-east,deployment,quant-api,replicas,4\n"
    "0,us-east,region,us-east,pods_pending,0\n"
    "0,us-east,region,us-east,cost_usd,0\n"
    "60,us-east,region,us-east,nodes,12\n"
    "60,us-east,nodegroup,cpu-general,nodes,10\n"
    "60,us-east,deployment,quant-api,replicas,6\n"
    "60,us-east,region,us-east,pods_pending,3\n"
    "60,us-east,region,us-east,cost_usd,1.25\n";

/* ---- helpers ------------------------------------------------------------------- */

typedef struct Page {
    int rc;
    char err[512];
    char *html;      /* malloc'd copy, NULL on error */
    size_t len;
} Page;

/* Renders from texts; csv may be NULL. */
static Page render(const char *json, const char *csv)
{
    Page p = {0};
    RndReport *r = rnd_report_create(NULL);
    ck_assert_ptr_nonnull(r);
    const char *html;
    p.rc = rnd_report_set_summary(r, json, strlen(json), "summary.json");
    if (p.rc == SIM_OK && csv)
        p.rc = rnd_report_set_metrics(r, csv, strlen(csv), "metrics.csv");
    if (p.rc == SIM_OK)
        p.rc = rnd_report_render(r, &html, &p.len);
    if (p.rc == SIM_OK) {
        p.html = malloc(p.len + 1);
        memcpy(p.html, html, p.len + 1);
    }
    snprintf(p.err, sizeof p.err, "%s", rnd_report_errmsg(r));
    rnd_report_destroy(r);
    return p;
}

static Page render_ok(const char *json, const char *csv)
{
    Page p = render(json, csv);
    ck_assert_msg(p.rc == SIM_OK, "render failed: %d %s", p.rc, p.err);
    ck_assert_uint_eq(strlen(p.html), p.len);
    return p;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static long pos(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    ck_assert_msg(p != NULL, "missing '%s'", needle);
    return p - hay;
}

typedef struct Dir {
    char path[64];
} Dir;

static Dir dir_make(void)
{
    Dir d;
    snprintf(d.path, sizeof d.path, "/tmp/kubesim-render-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d.path));
    return d;
}

static void dir_file(const Dir *d, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", d->path, name);
}

static void dir_put(const Dir *d, const char *name, const char *text)
{
    char path[128];
    dir_file(d, name, path, sizeof path);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void dir_remove(const Dir *d)
{
    DIR *dir = opendir(d->path);
    struct dirent *e;
    char path[384];
    while (dir && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", d->path, e->d_name);
        remove(path);
    }
    if (dir)
        closedir(dir);
    ck_assert_int_eq(rmdir(d->path), 0);
}

/* Writes the inputs, runs rnd_report_write, returns the page (or NULL). */
static char *write_report(const char *json, const char *csv, int *rc, SimErr *err)
{
    Dir d = dir_make();
    char sp[128], mp[128], op[128];
    dir_file(&d, "summary.json", sp, sizeof sp);
    dir_file(&d, "metrics.csv", mp, sizeof mp);
    dir_file(&d, "report.html", op, sizeof op);
    if (json)
        dir_put(&d, "summary.json", json);
    if (csv)
        dir_put(&d, "metrics.csv", csv);
    *rc = rnd_report_write(NULL, sp, mp, op, err);
    char *html = slurp(op);
    dir_remove(&d);
    return html;
}

/* A long CSV: `series` node groups sampled every second for `points` seconds,
 * with one spike of 999 in the first series. Caller frees. */
static char *long_csv(int series, int points)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("t_seconds,region,object,name,metric,value\n", f);
    for (int t = 0; t < points; t++)
        for (int s = 0; s < series; s++)
            fprintf(f, "%d,us-east,nodegroup,group-%d,nodes,%d\n", t, s,
                    s == 0 && t == points / 3 ? 999 : 10 + (t / 97 + s) % 7);
    fclose(f);
    return text;
}

/* ---- charts ------------------------------------------------------------------- */

START_TEST(report_has_a_chart_per_metric)
{
    int rc;
    SimErr err = SIM_ERR_INIT;
    char *html = write_report(summary_full, csv_basic, &rc, &err);
    ck_assert_msg(rc == SIM_OK, "%s", sim_err_msg(&err));
    ck_assert_ptr_nonnull(html);
    ck_assert_uint_eq(count(html, "<svg "), 6);   /* and cost per hour, derived */
    ck_assert_ptr_nonnull(strstr(html, "Nodes by region"));
    ck_assert_ptr_nonnull(strstr(html, "Nodes by node group"));
    ck_assert_ptr_nonnull(strstr(html, "Replicas by deployment"));
    ck_assert_ptr_nonnull(strstr(html, "Pending pods by region"));
    ck_assert_ptr_nonnull(strstr(html, "Cost (USD) by region"));
    ck_assert_ptr_nonnull(strstr(html, "class=\"legend\""));
    ck_assert_ptr_nonnull(strstr(html, ">0:01:00<"));   /* short runs tick in h:mm:ss */
    free(html);
}
END_TEST

/* The page reads as an answer: service levels, then cost, capacity,
 * workloads, batch. */
START_TEST(report_orders_charts_as_the_story)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,region,us-east,cost_usd,1\n"
        "0,us-east,queue,backtests,queue_length,3\n"
        "0,us-east,deployment,api,replicas,2\n"
        "0,us-east,region,us-east,pods_pending,1\n"
        "0,us-east,region,us-east,pods_running,5\n"
        "0,us-east,hpa,api,desired_replicas,2\n"
        "0,us-east,nodegroup,cpu,nodes,3\n"
        "0,us-east,region,us-east,nodes,3\n";
    Page p = render_ok(summary_full, csv);
    long a = pos(p.html, "Nodes by region"), b = pos(p.html, "Nodes by node group");
    long c = pos(p.html, "Running pods by region"), d = pos(p.html, "Pending pods by region");
    long e = pos(p.html, "Replicas by deployment"), f = pos(p.html, "Desired replicas by HPA");
    long g = pos(p.html, "Queue length by queue"), h = pos(p.html, "Cost (USD) by region");
    ck_assert(h < a && a < b && b < c && c < d && d < e && e < f && f < g);
    ck_assert(pos(p.html, "id=\"cost\"") < h && h < pos(p.html, "id=\"capacity\""));
    ck_assert(pos(p.html, "id=\"capacity\"") < a && d < pos(p.html, "id=\"workloads\""));
    ck_assert(pos(p.html, "id=\"workloads\"") < e && f < pos(p.html, "id=\"batch\""));
    ck_assert(pos(p.html, "id=\"batch\"") < g);
    free(p.html);
}
END_TEST

START_TEST(report_draws_slo_target_dashed_on_latency_chart)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,quant-api,latency_p95_ms,120\n"
        "0,us-east,service,quant-api,slo_target_ms,250\n"
        "60,us-east,service,quant-api,latency_p95_ms,300\n"
        "60,us-east,service,quant-api,slo_target_ms,250\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "<svg "), 1);
    ck_assert_ptr_nonnull(strstr(p.html, "p95 latency (ms) by service"));
    ck_assert_ptr_nonnull(strstr(p.html, "stroke-dasharray=\"7 4\""));
    ck_assert_ptr_nonnull(strstr(p.html, "SLO target \xC2\xB7 quant-api"));
    ck_assert_ptr_null(strstr(p.html, "SLO target (ms) by"));
    free(p.html);
}
END_TEST

START_TEST(report_draws_a_shared_slo_target_once)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,api,latency_p95_ms,120\n0,us-east,service,api,slo_target_ms,250\n"
        "0,eu-west,service,api,latency_p95_ms,90\n0,eu-west,service,api,slo_target_ms,250\n"
        "60,us-east,service,api,latency_p95_ms,130\n60,us-east,service,api,slo_target_ms,250\n"
        "60,eu-west,service,api,latency_p95_ms,95\n60,eu-west,service,api,slo_target_ms,250\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "stroke-dasharray=\"7 4\""), 1);
    ck_assert_ptr_nonnull(strstr(p.html, "SLO target <span>last 250 ms</span>"));
    ck_assert_ptr_nonnull(strstr(p.html, "max 130 ms"));
    free(p.html);
}
END_TEST

/* Every percentile's target is a dashed line on that percentile's latency
 * chart: p99 on "p99 latency", p95 once on "p95 latency" (slo_target_ms and
 * slo_p95_target_ms are the same target); a percentile without a latency
 * series (p99.9) keeps a chart of its own. */
START_TEST(report_draws_each_percentile_target_on_its_latency_chart)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,r1,service,api,latency_p95_ms,40\n0,r1,service,api,latency_p99_ms,90\n"
        "0,r1,service,api,slo_target_ms,120\n0,r1,service,api,slo_p95_target_ms,120\n"
        "0,r1,service,api,slo_p99_target_ms,250\n0,r1,service,api,slo_p99.9_target_ms,900\n"
        "60,r1,service,api,latency_p95_ms,45\n60,r1,service,api,latency_p99_ms,95\n"
        "60,r1,service,api,slo_target_ms,120\n60,r1,service,api,slo_p95_target_ms,120\n"
        "60,r1,service,api,slo_p99_target_ms,250\n60,r1,service,api,slo_p99.9_target_ms,900\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "<svg "), 3);
    ck_assert_uint_eq(count(p.html, "stroke-dasharray=\"7 4\""), 2);
    long p95 = pos(p.html, "p95 latency (ms) by service"), p99 = pos(p.html, "p99 latency (ms) by service");
    long t120 = pos(p.html, "last 120 ms"), t250 = pos(p.html, "last 250 ms");
    ck_assert_msg(p95 < t120 && t120 < p99 && p99 < t250, "each target is not on its own percentile's chart");
    ck_assert_ptr_null(strstr(p.html, "service / slo_p95_target_ms"));
    ck_assert_ptr_null(strstr(p.html, "service / slo_p99_target_ms"));
    ck_assert_ptr_null(strstr(p.html, "service / slo_target_ms"));
    ck_assert_ptr_nonnull(strstr(p.html, "service / slo_p99.9_target_ms"));
    free(p.html);
}
END_TEST

START_TEST(report_shows_slo_target_alone_without_latency)
{
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,us-east,service,api,slo_target_ms,250\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "<svg "), 1);
    ck_assert_ptr_nonnull(strstr(p.html, "SLO target (ms) by service"));
    free(p.html);
}
END_TEST

START_TEST(report_downsamples_long_series_keeping_spikes)
{
    char *csv = long_csv(5, 30000);   /* 150,000 rows */
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_lt(p.len, 400000);
    for (const char *d = strstr(p.html, " d=\"M"); d; d = strstr(d + 1, " d=\"M")) {
        size_t numbers = 0;
        for (const char *c = d + 4; *c != '"'; c++)
            numbers += (*c >= '0' && *c <= '9') && !(c[-1] >= '0' && c[-1] <= '9') &&
                       c[-1] != '.';
        ck_assert_uint_le(numbers / 2, RND_MAX_POINTS);
    }
    ck_assert_ptr_nonnull(strstr(p.html, "max 999"));
    ck_assert_uint_eq(count(p.html, "<path "), 5);
    free(csv);
    free(p.html);
}
END_TEST

START_TEST(report_caps_series_per_chart)
{
    char *csv = long_csv(RND_MAX_SERIES + 4, 3);
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "<path "), RND_MAX_SERIES);
    ck_assert_ptr_nonnull(strstr(p.html, "series with the highest peaks"));
    ck_assert_ptr_nonnull(strstr(p.html, "group-0"));   /* the spike wins a place */
    free(csv);
    free(p.html);
}
END_TEST

START_TEST(report_draws_nan_values_as_gaps)
{
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,r,queue,q,queue_length,1\n"
                              "10,r,queue,q,queue_length,2\n"
                              "20,r,queue,q,queue_length,nan\n"
                              "30,r,queue,q,queue_length,inf\n"
                              "40,r,queue,q,queue_length,3\n"
                              "50,r,queue,q,queue_length,4\n";
    Page p = render_ok(summary_full, csv);
    const char *d = strstr(p.html, " d=\"M");
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(strstr(d + 1, "M"));   /* a second subpath after the gap */
    ck_assert_ptr_nonnull(strstr(p.html, "last 4"));
    free(p.html);
}
END_TEST

START_TEST(report_accepts_quoted_fields_crlf_and_blank_lines)
{
    static const char csv[] = "\xEF\xBB\xBFt_seconds,region,object,name,metric,value\r\n"
                              "0,us-east,deployment,\"api, \"\"v2\"\"\",replicas,2\r\n"
                              "\r\n"
                              "60,us-east,deployment,\"api, \"\"v2\"\"\",replicas,3\r\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_uint_eq(count(p.html, "<svg "), 1);
    ck_assert_ptr_nonnull(strstr(p.html, "api, &quot;v2&quot;"));
    free(p.html);
}
END_TEST

START_TEST(report_reads_columns_by_name)
{
    static const char csv[] = "metric,value,extra,t_seconds,object,name,region\n"
                              "nodes,7,x,0,region,us-east,us-east\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_ptr_nonnull(strstr(p.html, "Nodes by region"));
    ck_assert_ptr_nonnull(strstr(p.html, "last 7"));
    free(p.html);
}
END_TEST

START_TEST(report_without_metrics_says_so)
{
    int rc;
    SimErr err = SIM_ERR_INIT;
    Dir d = dir_make();
    char sp[128], op[128];
    dir_file(&d, "summary.json", sp, sizeof sp);
    dir_file(&d, "report.html", op, sizeof op);
    dir_put(&d, "summary.json", summary_full);
    rc = rnd_report_write(NULL, sp, NULL, op, &err);
    char *html = slurp(op);
    dir_remove(&d);
    ck_assert_msg(rc == SIM_OK, "%s", sim_err_msg(&err));
    ck_assert_ptr_nonnull(strstr(html, "No metrics were recorded."));
    ck_assert_uint_eq(count(html, "<svg "), 0);
    free(html);
}
END_TEST

/* ---- summary -------------------------------------------------------------------- */

START_TEST(report_header_shows_run_facts)
{
    Page p = render_ok(summary_full, csv_basic);
    ck_assert_ptr_nonnull(strstr(p.html, "<h1>market_open_surge</h1>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<dd>42</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<dd>6 h 30 min</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<dd>1,234,567</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<dd>$1,234.50</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<dd>15,600\xC3\x97 real time</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<code>ab12</code>"));
    free(p.html);
}
END_TEST

/* The header says how the SLOs went beside the expectations: every target
 * of slo[] (targets[], or an older summary's entry) counted, missed when
 * the run spent time over it; the SLO table names each target's figures. */
START_TEST(report_header_counts_slo_targets_met_and_missed)
{
    static const char sum[] =
        "{\"scenario\":\"s\",\"cost_usd\":1,\"expectations\":[],\"slo\":["
        "{\"service\":\"api\",\"region\":\"r1\",\"latency_p95_ms\":60,\"target_ms\":120,\"violation_seconds\":30,"
        "\"slo_from_seconds\":20,\"targets\":["
        "{\"percentile\":\"p95\",\"target_ms\":120,\"latency_ms\":60,\"worst_1m_ms\":70,\"worst_5m_ms\":65,"
        "\"violation_seconds\":0},"
        "{\"percentile\":\"p99\",\"target_ms\":20,\"latency_ms\":97,\"worst_1m_ms\":99,\"worst_5m_ms\":98,"
        "\"violation_seconds\":30}]},"
        "{\"service\":\"old\",\"region\":\"r1\",\"latency_p95_ms\":10,\"target_ms\":100,\"violation_seconds\":0}]}";
    Page p = render_ok(sum, csv_basic);
    ck_assert_msg(strstr(p.html, "<a class=\"status fail\" href=\"#slo\">1 of 3 SLO targets missed</a>"), "%.3000s",
                  p.html);
    ck_assert_ptr_nonnull(strstr(p.html, "Worst 1-min window"));
    ck_assert_ptr_nonnull(strstr(p.html, "Worst 5-min window"));
    ck_assert_ptr_nonnull(strstr(p.html, "SLO clock from"));
    free(p.html);
    static const char met[] = "{\"scenario\":\"s\",\"cost_usd\":1,\"slo\":[{\"service\":\"old\",\"region\":\"r1\","
                              "\"target_ms\":100,\"violation_seconds\":0}]}";
    p = render_ok(met, csv_basic);
    ck_assert_ptr_nonnull(strstr(p.html, "<a class=\"status pass\" href=\"#slo\">1 SLO target met</a>"));
    free(p.html);
    static const char none[] = "{\"scenario\":\"s\",\"cost_usd\":1,\"slo\":[]}";
    p = render_ok(none, csv_basic);
    ck_assert_ptr_null(strstr(p.html, "href=\"#slo\""));
    free(p.html);
}
END_TEST

START_TEST(report_shows_headline_regions_and_slo_tables)
{
    Page p = render_ok(summary_full, csv_basic);
    ck_assert_ptr_nonnull(strstr(p.html, "Headline figures"));
    ck_assert_ptr_nonnull(strstr(p.html, "<caption>Pods</caption>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<th>Peak pending</th><td class=\"num\">37</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<caption>HPA</caption>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<th>Nodes added</th><td class=\"num\">30</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "id=\"regions\""));
    ck_assert_ptr_nonnull(strstr(p.html, "<td>eu-west</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "id=\"slo\""));
    ck_assert_ptr_nonnull(strstr(p.html, "<span class=\"badge pass\">met</span>"));
    ck_assert(pos(p.html, "Headline figures") < pos(p.html, "id=\"slo\""));
    ck_assert(pos(p.html, "id=\"slo\"") < pos(p.html, "id=\"expectations\""));
    ck_assert(pos(p.html, "id=\"cost\"") < pos(p.html, "id=\"regions\""));
    ck_assert(pos(p.html, "id=\"expectations\"") < pos(p.html, "<svg "));
    free(p.html);
}
END_TEST

/* A region's node groups are read in its row, not counted as "2 items". */
START_TEST(report_shows_node_group_costs_in_regions_table)
{
    static const char sum[] =
        "{\"scenario\":\"x\",\"cost_usd\":10,\"regions\":[{\"name\":\"us-east\","
        "\"nodes_peak\":6,\"cost_usd\":10,\"nodegroups\":[{\"name\":\"cpu-us-east\","
        "\"nodes\":2,\"cost_usd\":3.08},{\"name\":\"gpu-us-east\",\"nodes\":1,"
        "\"cost_usd\":6.92}]}]}";
    Page p = render_ok(sum, NULL);
    long at = pos(p.html, "id=\"regions\""), end = pos(p.html + at, "</section>") + at;
    long cpu = pos(p.html, "<b>cpu-us-east</b>"), gpu = pos(p.html, "<b>gpu-us-east</b>");
    ck_assert(at < cpu && cpu < end && at < gpu && gpu < end);
    ck_assert_ptr_nonnull(strstr(p.html + cpu, "$3.08"));
    ck_assert_ptr_nonnull(strstr(p.html + gpu, "$6.92"));
    ck_assert_ptr_null(strstr(p.html, "2 items"));
    free(p.html);
}
END_TEST

/* A 45 ms baseline and a 5 s spike on one latency chart: a log axis that
 * says so, with the baseline off the floor; a flat latency stays linear. */
START_TEST(report_latency_spike_gets_log_axis)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,api,latency_p99_ms,45\n"
        "60,us-east,service,api,latency_p99_ms,5000\n"
        "120,us-east,service,api,latency_p99_ms,45\n"
        "0,us-east,service,web,latency_p50_ms,40\n"
        "60,us-east,service,web,latency_p50_ms,50\n";
    Page p = render_ok("{\"scenario\":\"x\"}", csv);
    ck_assert_uint_eq(count(p.html, "log scale</small>"), 1);
    ck_assert_uint_eq(count(p.html, "<g class=\"ya log\">"), 1);
    ck_assert_ptr_nonnull(strstr(p.html, ">10<"));
    ck_assert_ptr_nonnull(strstr(p.html, ">5k<"));
    ck_assert_ptr_nonnull(strstr(p.html, ">10k<"));
    free(p.html);
}
END_TEST

/* A traffic surge (load over 1.5x its median) is shaded on every time
 * chart, not only on the load chart, and named in each legend; and every
 * chart draws at least one line with points. */
START_TEST(report_marks_surges_on_every_chart)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,api,rps,10\n60,us-east,service,api,rps,10\n"
        "120,us-east,service,api,rps,40\n180,us-east,service,api,rps,40\n"
        "240,us-east,service,api,rps,10\n300,us-east,service,api,rps,10\n"
        "0,us-east,region,us-east,nodes,3\n300,us-east,region,us-east,nodes,5\n"
        "0,us-east,region,us-east,cost_usd,0\n300,us-east,region,us-east,cost_usd,2\n";
    Page p = render_ok("{\"scenario\":\"x\"}", csv);
    size_t charts = count(p.html, "<svg ");
    ck_assert_uint_eq(charts, 4);   /* load, nodes, cost per hour, cost */
    ck_assert_uint_eq(count(p.html, "<rect class=\"band\""), charts);
    ck_assert_uint_eq(count(p.html, "class=\"band-key\""), charts);
    ck_assert_uint_ge(count(p.html, "<path stroke=\"#"), charts);
    ck_assert_uint_eq(count(p.html, " d=\"\""), 0);   /* no line without points */
    free(p.html);
    /* steady load: nothing shaded */
    static const char flat[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,api,rps,10\n60,us-east,service,api,rps,11\n"
        "120,us-east,service,api,rps,10\n";
    p = render_ok("{\"scenario\":\"x\"}", flat);
    ck_assert_uint_eq(count(p.html, "class=\"band"), 0);
    free(p.html);
}
END_TEST

/* Each fault of summary.json's faults.list is shaded over its span on every
 * time chart, in the fault colour, with a legend entry naming its kind and
 * target; one without an end lasts to the last sample; no faults, no fault
 * band. */
START_TEST(report_marks_faults_on_every_chart)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,us-east,service,api,rps,10\n3600,us-east,service,api,rps,10\n7200,us-east,service,api,rps,10\n"
        "0,us-east,region,us-east,nodes,3\n7200,us-east,region,us-east,nodes,5\n"
        "0,us-east,region,us-east,cost_usd,0\n7200,us-east,region,us-east,cost_usd,2\n";
    static const char sum[] =
        "{\"scenario\":\"x\",\"faults\":{\"injected\":2,\"list\":["
        "{\"kind\":\"zone_outage\",\"target\":\"us-east-1a\",\"start_seconds\":3600,"
        "\"end_seconds\":5400},"
        "{\"kind\":\"node_crash\",\"target\":\"g-1\",\"start_seconds\":600,\"end_seconds\":null}]}}";
    Page p = render_ok(sum, csv);
    size_t charts = count(p.html, "<svg ");
    ck_assert_uint_ge(charts, 3);
    ck_assert_uint_eq(count(p.html, "<rect class=\"band fault\""), 2 * charts);
    ck_assert_uint_eq(count(p.html, "<title>zone_outage us-east-1a</title>"), charts);
    ck_assert_uint_eq(count(p.html, "<i class=\"band fault\"></i>zone_outage us-east-1a</li>"), charts);
    ck_assert_uint_eq(count(p.html, "<i class=\"band fault\"></i>node_crash g-1</li>"), charts);
    ck_assert_uint_eq(count(p.html, "<rect class=\"band\""), 0);   /* no surge here */
    /* the zone outage spans a quarter of the time axis, the crash to its end */
    const char *r = strstr(p.html, "<rect class=\"band fault\"");
    double x0, w0, x1, w1;
    ck_assert_int_eq(sscanf(r, "<rect class=\"band fault\" x=\"%lf\" y=\"%*d\" width=\"%lf\"", &x0, &w0), 2);
    r = strstr(r + 1, "<rect class=\"band fault\"");
    ck_assert_int_eq(sscanf(r, "<rect class=\"band fault\" x=\"%lf\" y=\"%*d\" width=\"%lf\"", &x1, &w1), 2);
    ck_assert_double_eq_tol(w1, 11 * w0 / 3, 0.5);   /* 6600 s against 1800 s */
    free(p.html);
    p = render_ok("{\"scenario\":\"x\",\"faults\":{\"injected\":0,\"list\":[]}}", csv);
    ck_assert_uint_eq(count(p.html, "band fault"), 0);
    ck_assert_uint_eq(count(p.html, "band-key"), 0);
    free(p.html);
}
END_TEST

/* Cost per hour is the cumulative cost's derivative: a node group of 3
 * nodes at $0.5/h costs $1.5/h all along (a flat line), the region's rate
 * doubles when its cost grows twice as fast; it comes before the cumulative
 * chart, in the cost part. */
START_TEST(report_charts_cost_per_hour_from_cumulative_cost)
{
    static const char csv[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,eu,nodegroup,g,cost_usd,0\n600,eu,nodegroup,g,cost_usd,0.25\n"
        "1200,eu,nodegroup,g,cost_usd,0.5\n2400,eu,nodegroup,g,cost_usd,1\n"
        "0,eu,region,eu,cost_usd,0\n1800,eu,region,eu,cost_usd,1\n3600,eu,region,eu,cost_usd,3\n";
    RndReport *r = rnd_report_create(NULL);
    ck_assert_int_eq(rnd_report_set_summary(r, "{\"scenario\":\"x\"}", 16, "s.json"), SIM_OK);
    ck_assert_int_eq(rnd_report_set_metrics(r, csv, strlen(csv), "m.csv"), SIM_OK);
    const char *html;
    size_t len;
    ck_assert_int_eq(rnd_report_render(r, &html, &len), SIM_OK);
    ck_assert_ptr_nonnull(strstr(html, "Cost per hour (USD) by node group"));
    ck_assert_ptr_nonnull(strstr(html, "Cost per hour (USD) by region"));
    long cost = pos(html, "id=\"cost\""), rate = pos(html, "Cost per hour (USD) by region");
    ck_assert(cost >= 0 && cost < rate && rate < pos(html, "Cost (USD) by region"));
    ck_assert_int_eq(rnd_report_render(r, &html, &len), SIM_OK);   /* twice: derived once */
    ck_assert_uint_eq(count(html, "<svg "), 4);   /* per hour and cumulative, region and group */
    rnd_report_destroy(r);
    /* the values, from the metrics the page is drawn from */
    SimMem mem;
    sim_mem_init(&mem);
    RndMetrics m;
    rnd_metrics_init(&m, &mem);
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(rnd_metrics_parse(&m, csv, strlen(csv), "m.csv", &err), SIM_OK);
    rnd_metrics_finish(&m);
    ck_assert_int_eq(rnd_metrics_cost_rates(&m), SIM_OK);
    int seen = 0;
    for (size_t i = 0; i < m.ncharts; i++) {
        if (strcmp(rnd_metrics_str(&m, m.charts[i].metric), "cost_per_hour_usd") != 0)
            continue;
        const RndSeries *s = &m.series[m.charts[i].series[0]];
        if (strcmp(rnd_metrics_str(&m, m.charts[i].object), "nodegroup") == 0) {
            ck_assert_uint_eq(s->n, 3);
            for (size_t k = 0; k < s->n; k++)
                ck_assert_double_eq_tol(s->pts[k].v, 3 * 0.5, 1e-9);
            ck_assert_double_eq(s->pts[0].t, 600);
        } else {
            ck_assert_uint_eq(s->n, 2);
            ck_assert_double_eq_tol(s->pts[0].v, 2, 1e-9);
            ck_assert_double_eq_tol(s->pts[1].v, 4, 1e-9);
        }
        seen++;
    }
    ck_assert_int_eq(seen, 2);
    rnd_metrics_free(&m);
}
END_TEST

START_TEST(report_shows_slo_table_only_when_nonempty)
{
    Page p = render_ok("{\"scenario\":\"x\",\"slo\":[]}", NULL);
    ck_assert_ptr_null(strstr(p.html, "id=\"slo\""));
    free(p.html);
}
END_TEST

START_TEST(report_lists_expectations_pass_and_fail)
{
    Page p = render_ok(summary_full, csv_basic);
    ck_assert_ptr_nonnull(
        strstr(p.html, "<span class=\"badge pass\">PASS</span><div><b>p95 under target</b>"));
    ck_assert_ptr_nonnull(
        strstr(p.html, "<span class=\"badge fail\">FAIL</span><div><b>cost under budget</b>"));
    ck_assert_ptr_nonnull(strstr(p.html, "$1234.50 &gt; $1000"));
    ck_assert_ptr_nonnull(strstr(p.html, "1 of 2 expectations failed"));
    ck_assert_ptr_nonnull(strstr(p.html, "1 passed \xC2\xB7 1 failed"));
    free(p.html);
}
END_TEST

START_TEST(report_says_when_all_expectations_passed)
{
    Page p = render_ok("{\"expectations\":[{\"name\":\"a\",\"passed\":true}]}", NULL);
    ck_assert_ptr_nonnull(strstr(p.html, "status pass"));
    ck_assert_ptr_nonnull(strstr(p.html, "1 expectation passed"));
    free(p.html);
}
END_TEST

START_TEST(report_escapes_html_in_names)
{
    static const char json[] =
        "{\"scenario\":\"<script>alert(1)</script>\",\"expectations\":[{\"name\":"
        "\"<img src=x onerror=alert(2)>\",\"passed\":false,\"detail\":\"a & 'b'\"}],"
        "\"regions\":[{\"name\":\"<b>r</b>\"}],\"<i>\":{\"<u>\":1}}";
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,<r>,<script>,<script>x</script>,<svg>,1\n";
    Page p = render_ok(json, csv);
    ck_assert_ptr_null(strstr(p.html, "<script"));
    ck_assert_ptr_null(strstr(p.html, "<img"));
    ck_assert_ptr_null(strstr(p.html, "<b>r</b>"));
    ck_assert_ptr_null(strstr(p.html, "<svg>"));
    ck_assert_ptr_null(strstr(p.html, "<u>"));
    ck_assert_ptr_nonnull(strstr(p.html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(p.html, "&lt;script&gt;x&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(p.html, "a &amp; &#39;b&#39;"));
    free(p.html);
}
END_TEST

START_TEST(report_is_self_contained)
{
    char *csv = long_csv(3, 100);
    Page p = render_ok(summary_full, csv);
    ck_assert_ptr_null(strstr(p.html, "http://"));
    ck_assert_ptr_null(strstr(p.html, "https://"));
    ck_assert_ptr_null(strstr(p.html, "<script"));
    ck_assert_ptr_null(strstr(p.html, "<link"));
    ck_assert_ptr_null(strstr(p.html, "@import"));
    ck_assert_ptr_null(strstr(p.html, "url("));
    ck_assert_ptr_null(strstr(p.html, "<img"));
    ck_assert_ptr_nonnull(strstr(p.html, "<style>"));
    free(csv);
    free(p.html);
}
END_TEST

START_TEST(report_tolerates_missing_summary_keys)
{
    Page p = render_ok("{}", NULL);
    ck_assert_ptr_nonnull(strstr(p.html, "Unnamed scenario"));
    ck_assert_ptr_nonnull(strstr(p.html, "The scenario declared no expectations."));
    ck_assert_ptr_nonnull(strstr(p.html, "</html>"));
    free(p.html);
    p = render_ok("{\"scenario\":7,\"seed\":\"s\",\"regions\":{},\"slo\":3,\"pods\":[1],"
                  "\"expectations\":[{\"passed\":\"yes\"},5]}", NULL);
    ck_assert_ptr_nonnull(strstr(p.html, "2 of 2 expectations failed"));
    free(p.html);
}
END_TEST

START_TEST(report_shows_unknown_keys_and_metrics)
{
    static const char json[] =
        "{\"scenario\":\"x\",\"gpu_hours\":12.5,\"network\":{\"bytes_out\":1000000},"
        "\"backtests\":{\"completed\":2,\"results\":[{\"strategy\":\"momentum\",\"sharpe\":1.25},"
        "{\"strategy\":\"meanrev\",\"sharpe\":0.5,\"turnover\":3}]},"
        "\"faults\":[{\"kind\":\"zone_outage\",\"at_seconds\":3600}]}";
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,us-east,queue,backtests,queue_length,12\n";
    Page p = render_ok(json, csv);
    ck_assert_ptr_nonnull(strstr(p.html, "<dt>Gpu hours</dt><dd>12.5</dd>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<caption>Network</caption>"));
    ck_assert_ptr_nonnull(strstr(p.html, "1,000,000"));
    ck_assert_ptr_nonnull(strstr(p.html, "Backtests \xE2\x80\x94 results"));
    ck_assert_ptr_nonnull(strstr(p.html, "<th class=\"num\">Turnover</th>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<td>momentum</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<td>zone_outage</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "<td class=\"num\">1 h 00 min</td>"));
    ck_assert_ptr_nonnull(strstr(p.html, "Queue length by queue"));
    free(p.html);
}
END_TEST

START_TEST(report_is_deterministic)
{
    char *csv = long_csv(4, 2000);
    Page a = render_ok(summary_full, csv);
    Page b = render_ok(summary_full, csv);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(memcmp(a.html, b.html, a.len) == 0);
    free(csv);
    free(a.html);
    free(b.html);
}
END_TEST

START_TEST(report_sorts_rows_out_of_time_order)
{
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "60,r,region,r,nodes,2\n"
                              "0,r,region,r,nodes,1\n"
                              "120,r,region,r,nodes,3\n";
    Page p = render_ok(summary_full, csv);
    ck_assert_ptr_nonnull(strstr(p.html, "last 3"));
    free(p.html);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------- */

START_TEST(report_rejects_malformed_csv_with_line)
{
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,us-east,region,us-east,nodes,10\n"
                              "60,us-east,region,nodes,12\n";
    int rc;
    SimErr err = SIM_ERR_INIT;
    char *html = write_report(summary_full, csv, &rc, &err);
    ck_assert_int_eq(rc, SIM_EINVAL);
    ck_assert_ptr_null(html);   /* no page on bad input */
    ck_assert_msg(strstr(sim_err_msg(&err), "metrics.csv:3:") != NULL, "%s", sim_err_msg(&err));
    ck_assert_msg(strstr(sim_err_msg(&err), "expected 6 fields, found 5") != NULL, "%s", sim_err_msg(&err));
}
END_TEST

START_TEST(report_rejects_non_numeric_value_with_line)
{
    static const char csv[] = "t_seconds,region,object,name,metric,value\n"
                              "0,us-east,region,us-east,nodes,10\n"
                              "\n"
                              "60,us-east,region,us-east,nodes,twelve\n";
    Page p = render(summary_full, csv);
    ck_assert_int_eq(p.rc, SIM_EINVAL);
    ck_assert_str_eq(p.err, "metrics.csv:4: value 'twelve' is not a number");
    p = render(summary_full, "t_seconds,region,object,name,metric,value\nsoon,a,b,c,d,1\n");
    ck_assert_str_eq(p.err, "metrics.csv:2: t_seconds 'soon' is not a number");
    p = render(summary_full, "t_seconds,region,object,name,metric,value\n1,a,b,\"c,d,1\n");
    ck_assert_str_eq(p.err, "metrics.csv:2: quote out of place in field 4");
}
END_TEST

START_TEST(report_rejects_csv_without_required_column)
{
    Page p = render(summary_full, "t_seconds,region,object,name,value\n0,a,b,c,1\n");
    ck_assert_int_eq(p.rc, SIM_EINVAL);
    ck_assert_msg(strstr(p.err, "metrics.csv:1: header has no column 'metric'") != NULL, "%s",
                  p.err);
    p = render(summary_full, "");
    ck_assert_int_eq(p.rc, SIM_EINVAL);
    ck_assert_msg(strstr(p.err, "empty file") != NULL, "%s", p.err);
}
END_TEST

START_TEST(report_missing_summary_is_an_error)
{
    int rc;
    SimErr err = SIM_ERR_INIT;
    char *html = write_report(NULL, csv_basic, &rc, &err);
    ck_assert_int_eq(rc, SIM_EIO);
    ck_assert_ptr_null(html);
    ck_assert_msg(strstr(sim_err_msg(&err), "summary.json") != NULL && strstr(sim_err_msg(&err), "cannot read") != NULL,
                  "%s", sim_err_msg(&err));
}
END_TEST

START_TEST(report_missing_metrics_is_an_error)
{
    int rc;
    SimErr err = SIM_ERR_INIT;
    char *html = write_report(summary_full, NULL, &rc, &err);
    ck_assert_int_eq(rc, SIM_EIO);
    ck_assert_ptr_null(html);
    ck_assert_msg(strstr(sim_err_msg(&err), "metrics.csv") != NULL, "%s", sim_err_msg(&err));
}
END_TEST

START_TEST(report_rejects_invalid_json_with_line)
{
    Page p = render("{\n\"scenario\": \"x\",\n\"seed\": ,\n}", NULL);
    ck_assert_int_eq(p.rc, SIM_EINVAL);
    ck_assert_str_eq(p.err, "summary.json:3: not valid JSON");
    p = render("[1, 2]", NULL);
    ck_assert_int_eq(p.rc, SIM_EINVAL);
    ck_assert_str_eq(p.err, "summary.json:1: expected a JSON object at the top");
    p = render("{}\n{}", NULL);
    ck_assert_str_eq(p.err, "summary.json:2: text after the JSON value");
}
END_TEST

START_TEST(report_render_needs_a_summary)
{
    RndReport *r = rnd_report_create(NULL);
    const char *html;
    size_t len;
    ck_assert_int_eq(rnd_report_render(r, &html, &len), SIM_ESTATE);
    ck_assert_str_eq(rnd_report_errmsg(r), "no summary loaded");
    rnd_report_destroy(r);
}
END_TEST

START_TEST(report_unwritable_output_is_an_error)
{
    int rc;
    SimErr err = SIM_ERR_INIT;
    Dir d = dir_make();
    char sp[128];
    dir_file(&d, "summary.json", sp, sizeof sp);
    dir_put(&d, "summary.json", summary_full);
    rc = rnd_report_write(NULL, sp, NULL, "/nonexistent-dir/report.html", &err);
    dir_remove(&d);
    ck_assert_int_eq(rc, SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "cannot write /nonexistent-dir/report.html") != NULL,
                  "%s", sim_err_msg(&err));
}
END_TEST

/* Fail allocation N for N = 1, 2, ... until the whole page builds: each
 * attempt fails with SIM_ENOMEM or succeeds, and frees every byte. */
START_TEST(report_fails_cleanly_at_every_allocation)
{
    char *csv = long_csv(3, 50);
    static const char slo_csv[] = "t_seconds,region,object,name,metric,value\n"
                                  "0,r,service,s,latency_p95_ms,1\n0,r,service,s,slo_target_ms,2\n";
    int done = 0;
    for (uint64_t n = 1; !done; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        RndReport *r = rnd_report_create(&m);
        int rc = r ? rnd_report_set_summary(r, summary_full, strlen(summary_full), "s")
                   : SIM_ENOMEM;
        if (rc == SIM_OK)
            rc = rnd_report_set_metrics(r, csv, strlen(csv), "m");
        if (rc == SIM_OK)
            rc = rnd_report_set_metrics(r, slo_csv, strlen(slo_csv), "m2");
        const char *html;
        size_t len;
        if (rc == SIM_OK)
            rc = rnd_report_render(r, &html, &len);
        ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "n=%llu rc=%d", (unsigned long long)n, rc);
        ck_assert_int_eq(rc == SIM_ENOMEM, m.oom);
        done = rc == SIM_OK;
        rnd_report_destroy(r);
        ck_assert_msg(m.live == 0, "n=%llu leaked %lld bytes", (unsigned long long)n,
                      (long long)m.live);
    }
    free(csv);
}
END_TEST

/* Allocations of loading one summary text into a fresh report. */
static uint64_t summary_cost(const char *json)
{
    SimMem m;
    sim_mem_init(&m);
    RndReport *r = rnd_report_create(&m);
    ck_assert_int_eq(rnd_report_set_summary(r, json, strlen(json), "s"), SIM_OK);
    rnd_report_destroy(r);
    ck_assert_int_eq(m.live, 0);
    return m.count;
}

/* ---- the page drawn from memory ------------------------------------------------ */

static void mt_rows_region(SimMetrics *mt, SimTime t, int i, double third)
{
    sim_metrics_row(mt, t, "us-east", "region", "us-east", "nodes", 10 + i % 17);
    sim_metrics_row(mt, t, "us-east", "region", "us-east", "cost_usd", 123456789012.0 + third);
    sim_metrics_row(mt, t, "us-east", "nodegroup", "cpu", "cpu_requested_ratio", third / 700);
    sim_metrics_row(mt, t, "us-east", "region", "us-east", "pods_pending", i == 400 ? -0.0 : 12345678901.0);
}

/* Rows recorded the way a run records them, through the real recorder: to
 * metrics.csv and at the same time to the report's sink. Values the file
 * rounds (thirds, 11-digit integers, 0.1 + 0.2), gaps (NaN, infinity),
 * off-second sample times, a series that appears late, and sizes that make
 * the drawing downsample (700 samples > RND_MAX_POINTS), mark surges and
 * derive cost per hour. */
static void record_rows(SimMetrics *mt)
{
    for (int i = 0; i < 700; i++) {
        SimTime t = SIM_SEC(60) * i + (i % 7 == 3 ? SIM_SEC(1) / 3 : 0);
        double third = (double)i / 3.0;
        mt_rows_region(mt, t, i, third);
        sim_metrics_row(mt, t, "us-east", "service", "api", "rps", i >= 300 && i < 340 ? 900 + third : 100 + i % 5);
        sim_metrics_row(mt, t, "us-east", "service", "api", "latency_p95_ms", i == 500 ? 5000.0 / 3 : 40 + third / 100);
        sim_metrics_row(mt, t, "us-east", "service", "api", "slo_target_ms", 150);
        if (i >= 5)   /* a series first seen late: the rows after it shift */
            sim_metrics_row(mt, t, "us-east", "deployment", "late", "replicas", i % 11 == 0 ? (double)NAN : (double)i);
        sim_metrics_row(mt, t, "us-east", "deployment", "api", "replicas", i % 13 == 0 ? (double)INFINITY : (double)(4 + i % 3));
        sim_metrics_row(mt, t, "all", "namespace", "web", "cost_usd", 0.1 + 0.2 * i);
    }
}

/* kubesim run draws report.html from the rows it kept as they were recorded
 * (rnd_report_write_rows), not from metrics.csv read again: the page must be
 * the one the file gives, byte for byte. */
START_TEST(report_from_recorded_rows_is_the_page_of_metrics_csv)
{
    Dir d = dir_make();
    char sp[128], mp[128], o1[128], o2[128];
    dir_file(&d, "summary.json", sp, sizeof sp);
    dir_file(&d, "metrics.csv", mp, sizeof mp);
    dir_file(&d, "from-rows.html", o1, sizeof o1);
    dir_file(&d, "from-file.html", o2, sizeof o2);
    dir_put(&d, "summary.json", summary_full);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    RndReport *r = rnd_report_create(&m);
    ck_assert_ptr_nonnull(r);
    SimMetrics *mt = sim_metrics_open(&m, mp, &err);
    ck_assert_ptr_nonnull(mt);
    sim_metrics_set_sink(mt, rnd_report_metrics_row, r);
    record_rows(mt);
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    ck_assert_int_eq(rnd_report_write_rows(r, sp, NULL, NULL, o1, &err), SIM_OK);
    rnd_report_destroy(r);
    ck_assert_int_eq(rnd_report_write(&m, sp, mp, o2, &err), SIM_OK);
    ck_assert_int_eq(m.live, 0);
    char *a = slurp(o1), *b = slurp(o2);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(strstr(b, "cost_per_hour_usd"));
    ck_assert_ptr_nonnull(strstr(b, "traffic surge"));
    ck_assert_ptr_nonnull(strstr(b, "log scale"));
    ck_assert_msg(strcmp(a, b) == 0, "the page from the rows differs from the page from metrics.csv");
    free(a);
    free(b);
    dir_remove(&d);
}
END_TEST

/* A recorded series holds at most RND_SERIES_RAW points however long the
 * run (buckets of 2^level samples that merge in pairs), and still draws its
 * spike and its dip, in time order, within RND_MAX_POINTS; its statistics
 * (legend max and last, the log axis' smallest positive) cover every sample.
 * The service load and the cumulative costs keep every sample (surge bands
 * and cost per hour are computed from them). */
START_TEST(report_recorded_series_stay_bounded_and_keep_spikes)
{
    SimMem mem;
    sim_mem_init(&mem);
    RndMetrics m;
    rnd_metrics_init(&m, &mem);
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        SimTime t = SIM_SEC(60) * i;
        double v = i == 13137 ? 999 : i == 4000 ? -5 : i % 97 == 0 ? NAN : 10 + i % 7 + 0.25;
        ck_assert_int_eq(rnd_metrics_add_row(&m, t, "r", "nodegroup", "g", "nodes", v), SIM_OK);
        ck_assert_int_eq(rnd_metrics_add_row(&m, t, "r", "service", "api", "rps", 100 + i % 3), SIM_OK);
        ck_assert_int_eq(rnd_metrics_add_row(&m, t, "r", "region", "r", "cost_usd", 0.5 * i), SIM_OK);
    }
    rnd_metrics_finish(&m);
    ck_assert_uint_eq(m.nseries, 3);
    const RndSeries *g = &m.series[0];
    ck_assert_uint_gt(g->level, 0);
    ck_assert_uint_le(g->cap, RND_SERIES_RAW);
    ck_assert_double_eq(g->vmax, 999);
    ck_assert_double_eq(g->vmin, -5);
    ck_assert_double_eq(g->last, 10 + (n - 1) % 7 + 0.25);
    ck_assert_double_eq(g->minpos, 10.25);
    ck_assert(!g->integral);
    ck_assert_uint_eq(m.series[1].n, (size_t)n);
    ck_assert_uint_eq(m.series[2].n, (size_t)n);
    RndPoint out[RND_MAX_POINTS];
    size_t k = rnd_series_draw_points(g, out, RND_MAX_POINTS);
    ck_assert_uint_le(k, RND_MAX_POINTS);
    ck_assert_uint_ge(k, RND_MAX_POINTS / 4);
    int spike = 0, dip = 0;
    for (size_t i = 0; i < k; i++) {
        spike |= out[i].v == 999 && out[i].t == 60.0 * 13137;
        dip |= out[i].v == -5 && out[i].t == 60.0 * 4000;
        ck_assert(i == 0 || out[i].t >= out[i - 1].t);
    }
    ck_assert(spike && dip);
    ck_assert_double_eq(m.tmax, 60.0 * (n - 1));
    rnd_metrics_free(&m);
    ck_assert_int_eq(mem.live, 0);
}
END_TEST

/* The recorder formats rows without printf where it can (whole seconds,
 * whole values under 10^10): each line must be what
 * "%lld|%.3f,%s,%s,%s,%s,%.10g" gives, for every kind of value and time. */
START_TEST(recorder_rows_print_as_printf_would)
{
    static const double vals[] = {0, -0.0, 1, -1, 42, 9999999999.0, 10000000000.0, -9999999999.0,
                                  123456789012.0, 0.5, 1.0 / 3, -2.75, 1e-7, 6.02e23, NAN, INFINITY,
                                  -INFINITY, 4503599627370497.0, 0.1 + 0.2};
    static const SimTime times[] = {0, SIM_SEC(1), SIM_SEC(86400) * 7, SIM_SEC(1) / 3, SIM_SEC(5) + 1, -SIM_SEC(2)};
    Dir d = dir_make();
    char mp[128];
    dir_file(&d, "metrics.csv", mp, sizeof mp);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    SimMetrics *mt = sim_metrics_open(&m, mp, &err);
    ck_assert_ptr_nonnull(mt);
    char *want = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&want, &wlen);
    fputs("t_seconds,region,object,name,metric,value\n", w);
    char longname[1000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        for (size_t j = 0; j < sizeof vals / sizeof vals[0]; j++) {
            const char *name = j == 3 ? longname : "web/api";
            sim_metrics_row(mt, times[i], "eu-west", "deployment", name, "replicas", vals[j]);
            if (times[i] % SIM_NS_PER_S == 0)
                fprintf(w, "%lld", (long long)(times[i] / SIM_NS_PER_S));
            else
                fprintf(w, "%.3f", (double)times[i] / (double)SIM_NS_PER_S);
            fprintf(w, ",eu-west,deployment,%s,replicas,%.10g\n", name, vals[j]);
        }
    fclose(w);
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    char *got = slurp(mp);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    ck_assert_int_eq(m.live, 0);
    dir_remove(&d);
}
END_TEST

/* Out of memory while keeping the rows is remembered: the page is not
 * written (no half page), the error says so, and nothing leaks. */
START_TEST(report_from_recorded_rows_reports_out_of_memory)
{
    Dir d = dir_make();
    char sp[128], op[128];
    dir_file(&d, "summary.json", sp, sizeof sp);
    dir_file(&d, "report.html", op, sizeof op);
    dir_put(&d, "summary.json", summary_full);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    RndReport *r = rnd_report_create(&m);
    ck_assert_ptr_nonnull(r);
    SimMetrics *mt = sim_metrics_open(&m, NULL, &err);
    ck_assert_ptr_nonnull(mt);
    sim_metrics_set_sink(mt, rnd_report_metrics_row, r);
    m.fail_at = m.count + 20;
    record_rows(mt);
    m.fail_at = 0;
    m.oom = 0;
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    ck_assert_int_eq(rnd_report_write_rows(r, sp, NULL, NULL, op, &err), SIM_ENOMEM);
    ck_assert_ptr_nonnull(strstr(sim_err_msg(&err), "out of memory"));
    ck_assert_int_ne(access(op, F_OK), 0);
    rnd_report_destroy(r);
    ck_assert_int_eq(m.live, 0);
    dir_remove(&d);
}
END_TEST

/* The summary's cJSON tree comes from the report's SimMem (so the sweeps
 * above reach it): 20 more values cost at least 20 more allocations. */
START_TEST(report_parses_the_summary_through_its_allocator)
{
    ck_assert_uint_ge(summary_cost("{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}"),
                      summary_cost("{\"a\":[]}") + 20);
}
END_TEST

/* One file-to-file writer of render/ run through m. */
typedef int (*Writer)(SimMem *m, const Dir *d, SimErr *err);

static int write_report_in(SimMem *m, const Dir *d, SimErr *err)
{
    char sp[128], mp[128], op[128];
    dir_file(d, "summary.json", sp, sizeof sp);
    dir_file(d, "metrics.csv", mp, sizeof mp);
    dir_file(d, "out", op, sizeof op);
    return rnd_report_write(m, sp, mp, op, err);
}

static int write_openmetrics_in(SimMem *m, const Dir *d, SimErr *err)
{
    char mp[128], op[128];
    dir_file(d, "metrics.csv", mp, sizeof mp);
    dir_file(d, "out", op, sizeof op);
    RndOmRun in = {.metrics_csv = mp, .base_unix = 1700000000, .scenario = "s", .seed = 7, .run = "r1"};
    return rnd_openmetrics_write(m, &in, op, err);
}

/* metrics.csv and the kube-state sampler's rows, for a sweep's configuration. */
static int write_openmetrics_kstate_in(SimMem *m, const Dir *d, SimErr *err)
{
    char mp[128], kp[128], op[128];
    dir_file(d, "metrics.csv", mp, sizeof mp);
    dir_file(d, "kstate.tsv", kp, sizeof kp);
    dir_file(d, "out", op, sizeof op);
    RndOmRun in = {.metrics_csv = mp, .kstate = kp, .base_unix = 1700000000, .scenario = "s", .seed = 7,
                   .run = "r1", .config = "3"};
    return rnd_openmetrics_write(m, &in, op, err);
}

static const char kstate_rows[] =
    "60\tkube_node_info\tnode=\"n-0\",region=\"r\"\t1\n"
    "0\tkubesim_pods_created\tregion=\"r\"\t2\n"
    "0\tkube_node_info\tnode=\"n-0\",region=\"r\"\t1\n"
    "60\tkubesim_pods_created\tregion=\"r\"\t5\n"
    "0\tkube_future_thing\t\t34359738368\n";

static int write_sweep_in(SimMem *m, const Dir *d, SimErr *err)
{
    char sp[128], op[128];
    dir_file(d, "sweep.json", sp, sizeof sp);
    dir_file(d, "out", op, sizeof op);
    return rnd_sweep_write(m, sp, op, err);
}

/* Fails allocation N of w, for N = 1, 2, ... until it succeeds: each failure
 * is SIM_ENOMEM with "out of memory" in the message, leaves no output file
 * and leaks nothing; the output at the end is the one the C library's
 * allocator gives. The inputs are the files d holds. */
static void writer_oom_sweep(Writer w, const Dir *d)
{
    SimErr err = SIM_ERR_INIT;
    char op[128];
    dir_file(d, "out", op, sizeof op);
    SimMem libc;
    sim_mem_init(&libc);
    ck_assert_int_eq(w(&libc, d, &err), SIM_OK);
    char *want = slurp(op);
    ck_assert_ptr_nonnull(want);
    ck_assert_int_eq(remove(op), 0);
    for (uint64_t n = 1;; n++) {
        ck_assert_msg(n < 100000, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        int rc = w(&m, d, &err);
        ck_assert_msg(m.live == 0, "allocation %llu: %lld bytes leaked", (unsigned long long)n, (long long)m.live);
        ck_assert_int_eq(rc != SIM_OK, m.oom);
        if (rc == SIM_OK)
            break;
        ck_assert_msg(rc == SIM_ENOMEM && strstr(sim_err_msg(&err), "out of memory"), "allocation %llu: %d %s",
                      (unsigned long long)n, rc, sim_err_msg(&err));
        ck_assert_msg(access(op, F_OK) != 0, "allocation %llu: output written despite the failure",
                      (unsigned long long)n);
    }
    char *got = slurp(op);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
}

/* The whole report writer: reading both files, parsing summary.json (cJSON,
 * through the SimMem given), the page. */
START_TEST(report_write_fails_cleanly_at_every_allocation)
{
    Dir d = dir_make();
    dir_put(&d, "summary.json", summary_full);
    dir_put(&d, "metrics.csv", csv_basic);
    writer_oom_sweep(write_report_in, &d);
    dir_remove(&d);
}
END_TEST

START_TEST(openmetrics_fails_cleanly_at_every_allocation)
{
    Dir d = dir_make();
    dir_put(&d, "metrics.csv", csv_basic);
    writer_oom_sweep(write_openmetrics_in, &d);
    dir_remove(&d);
}
END_TEST

START_TEST(openmetrics_with_kube_state_fails_cleanly_at_every_allocation)
{
    Dir d = dir_make();
    dir_put(&d, "metrics.csv", csv_basic);
    dir_put(&d, "kstate.tsv", kstate_rows);
    writer_oom_sweep(write_openmetrics_kstate_in, &d);
    dir_remove(&d);
}
END_TEST

/* The kube-state rows join metrics.csv's: sorted into their families with
 * their metadata (a counter's samples end _total; a family outside the
 * table is a gauge), the run's labels and the config label after theirs, an
 * empty label set, whole numbers exactly. */
START_TEST(openmetrics_merges_kube_state_rows)
{
    Dir d = dir_make();
    dir_put(&d, "metrics.csv", "t_seconds,region,object,name,metric,value\n0,r,region,r,nodes,1\n");
    dir_put(&d, "kstate.tsv", kstate_rows);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    char op[128];
    ck_assert_int_eq(write_openmetrics_kstate_in(&m, &d, &err), SIM_OK);
    ck_assert_int_eq(m.live, 0);
    dir_file(&d, "out", op, sizeof op);
    char *got = slurp(op);
    const char *run = "scenario=\"s\",seed=\"7\",run=\"r1\",config=\"3\"";
    char want[4096];
    snprintf(want, sizeof want,
             "# HELP kube_future_thing kubesim kube-state sampler.\n"
             "# TYPE kube_future_thing gauge\n# UNIT kube_future_thing \n"
             "kube_future_thing{%s} 34359738368 1700000000.000\n"
             "# HELP kube_node_info Information about a cluster node.\n"
             "# TYPE kube_node_info gauge\n# UNIT kube_node_info \n"
             "kube_node_info{node=\"n-0\",region=\"r\",%s} 1 1700000000.000\n"
             "kube_node_info{node=\"n-0\",region=\"r\",%s} 1 1700000060.000\n"
             "# HELP kubesim_pods_created Pods created in the region.\n"
             "# TYPE kubesim_pods_created counter\n# UNIT kubesim_pods_created \n"
             "kubesim_pods_created_total{region=\"r\",%s} 2 1700000000.000\n"
             "kubesim_pods_created_total{region=\"r\",%s} 5 1700000060.000\n"
             "# HELP kubesim_region_nodes Nodes of the region, in any state (added and not removed).\n"
             "# TYPE kubesim_region_nodes gauge\n# UNIT kubesim_region_nodes \n"
             "kubesim_region_nodes{region=\"r\",%s} 1 1700000000.000\n"
             "# EOF\n", run, run, run, run, run, run);
    ck_assert_str_eq(got, want);
    free(got);
    /* a bad row names the file and line, and nothing is written */
    ck_assert_int_eq(remove(op), 0);
    dir_put(&d, "kstate.tsv", "0\tkube_node_info\tnode=\"n\"\t1\n0\tx\n");
    ck_assert_int_eq(write_openmetrics_kstate_in(&m, &d, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), "kstate.tsv:2: expected 4 fields"), "%s", sim_err_msg(&err));
    ck_assert_msg(access(op, F_OK) != 0, "output written despite the bad row");
    ck_assert_int_eq(m.live, 0);
    dir_remove(&d);
}
END_TEST

/* The exact text: families sorted, # HELP / # TYPE / # UNIT on each, each
 * series' samples in time order, the first of two samples at one time kept,
 * counters ending _total, milliseconds turned into seconds, object names and
 * percentiles as label values, the run's labels on every sample, label values escaped, and
 * rows the kube-state names carry (hpa) left out. */
START_TEST(openmetrics_text_is_exact)
{
    Dir d = dir_make();
    dir_put(&d, "metrics.csv", "t_seconds,region,object,name,metric,value\n"
                               "60,r,region,r,nodes,12\n0,r,region,r,nodes,10\n0,r,region,r,nodes,11\n"
                               "0,r,region,r,cost_usd,0.5\n"
                               "0,r,service,api,latency_p95_ms,250\n0,r,service,api,slo_p99.9_target_ms,300\n"
                               "0,r,hpa,api,reviews/queue_length,7\n"
                               "0,r,x\\y,n\"q,m,1.5\n");
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    char op[128];
    ck_assert_int_eq(write_openmetrics_in(&m, &d, &err), SIM_OK);
    ck_assert_int_eq(m.live, 0);
    dir_file(&d, "out", op, sizeof op);
    char *got = slurp(op);
    const char *run = "scenario=\"s\",seed=\"7\",run=\"r1\"";
    char want[4096];
    snprintf(want, sizeof want,
             "# HELP kubesim_cost_usd Cost of the region's nodes since the start of the run.\n"
             "# TYPE kubesim_cost_usd counter\n# UNIT kubesim_cost_usd usd\n"
             "kubesim_cost_usd_total{region=\"r\",%s} 0.5 1700000000.000\n"
             "# HELP kubesim_region_nodes Nodes of the region, in any state (added and not removed).\n"
             "# TYPE kubesim_region_nodes gauge\n# UNIT kubesim_region_nodes \n"
             "kubesim_region_nodes{region=\"r\",%s} 10 1700000000.000\n"
             "kubesim_region_nodes{region=\"r\",%s} 12 1700000060.000\n"
             "# HELP kubesim_service_latency_seconds Latency percentile of the service's requests over the last interval.\n"
             "# TYPE kubesim_service_latency_seconds gauge\n# UNIT kubesim_service_latency_seconds seconds\n"
             "kubesim_service_latency_seconds{region=\"r\",service=\"api\",percentile=\"95\",%s} 0.25 1700000000.000\n"
             "# HELP kubesim_service_slo_target_seconds The service's latency SLO target at that percentile.\n"
             "# TYPE kubesim_service_slo_target_seconds gauge\n# UNIT kubesim_service_slo_target_seconds seconds\n"
             "kubesim_service_slo_target_seconds{region=\"r\",service=\"api\",percentile=\"99.9\",%s} 0.3 1700000000.000\n"
             "# HELP kubesim_x_y_m metrics.csv rows of object x\\\\y, metric m.\n"
             "# TYPE kubesim_x_y_m gauge\n# UNIT kubesim_x_y_m \n"
             "kubesim_x_y_m{region=\"r\",x_y=\"n\\\"q\",%s} 1.5 1700000000.000\n"
             "# EOF\n", run, run, run, run, run, run);
    ck_assert_str_eq(got, want);
    free(got);
    dir_remove(&d);
}
END_TEST

/* sweep.html from sweep.json: the read, the parse (cJSON) and the page. */
START_TEST(sweep_page_fails_cleanly_at_every_allocation)
{
    Dir d = dir_make();
    dir_put(&d, "sweep.json",
            "{\"schema\":1,\"scenario\":\"s\",\"seed\":42,\"vary\":[{\"name\":\"a\",\"values\":[\"1\",\"2\"]}],"
            "\"configs\":2,\"shard\":{\"index\":0,\"count\":1},\"rows\":["
            "{\"config\":0,\"values\":{\"a\":\"1\"},\"cost_usd\":3,\"slo_violation_seconds\":0,"
            "\"latency_p95_ms\":null,\"error_rate\":0,\"pending_peak\":0,\"expectations_passed\":1,"
            "\"expectations_failed\":0,\"ok\":true},"
            "{\"config\":1,\"values\":{\"a\":\"2\"},\"cost_usd\":2,\"slo_violation_seconds\":5,"
            "\"latency_p95_ms\":80,\"error_rate\":0.1,\"pending_peak\":3,\"expectations_passed\":0,"
            "\"expectations_failed\":1,\"ok\":false}],"
            "\"cheapest\":{\"config\":0,\"values\":{\"a\":\"1\"},\"cost_usd\":3}}");
    writer_oom_sweep(write_sweep_in, &d);
    dir_remove(&d);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *charts = tcase_create("charts");
    tcase_add_test(charts, report_has_a_chart_per_metric);
    tcase_add_test(charts, report_orders_charts_as_the_story);
    tcase_add_test(charts, report_shows_node_group_costs_in_regions_table);
    tcase_add_test(charts, report_latency_spike_gets_log_axis);
    tcase_add_test(charts, report_marks_surges_on_every_chart);
    tcase_add_test(charts, report_marks_faults_on_every_chart);
    tcase_add_test(charts, report_charts_cost_per_hour_from_cumulative_cost);
    tcase_add_test(charts, report_draws_slo_target_dashed_on_latency_chart);
    tcase_add_test(charts, report_draws_a_shared_slo_target_once);
    tcase_add_test(charts, report_shows_slo_target_alone_without_latency);
    tcase_add_test(charts, report_draws_each_percentile_target_on_its_latency_chart);
    tcase_add_test(charts, report_downsamples_long_series_keeping_spikes);
    tcase_add_test(charts, report_caps_series_per_chart);
    tcase_add_test(charts, report_draws_nan_values_as_gaps);
    tcase_add_test(charts, report_accepts_quoted_fields_crlf_and_blank_lines);
    tcase_add_test(charts, report_reads_columns_by_name);
    tcase_add_test(charts, report_without_metrics_says_so);
    tcase_add_test(charts, report_sorts_rows_out_of_time_order);
    tcase_add_test(charts, report_from_recorded_rows_is_the_page_of_metrics_csv);
    tcase_add_test(charts, report_recorded_series_stay_bounded_and_keep_spikes);
    tcase_add_test(charts, recorder_rows_print_as_printf_would);
    suite_add_tcase(s, charts);
    TCase *summary = tcase_create("summary");
    tcase_add_test(summary, report_header_shows_run_facts);
    tcase_add_test(summary, report_header_counts_slo_targets_met_and_missed);
    tcase_add_test(summary, report_shows_headline_regions_and_slo_tables);
    tcase_add_test(summary, report_shows_slo_table_only_when_nonempty);
    tcase_add_test(summary, report_lists_expectations_pass_and_fail);
    tcase_add_test(summary, report_says_when_all_expectations_passed);
    tcase_add_test(summary, report_escapes_html_in_names);
    tcase_add_test(summary, report_is_self_contained);
    tcase_add_test(summary, report_tolerates_missing_summary_keys);
    tcase_add_test(summary, report_shows_unknown_keys_and_metrics);
    tcase_add_test(summary, report_is_deterministic);
    suite_add_tcase(s, summary);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, report_rejects_malformed_csv_with_line);
    tcase_add_test(errors, report_rejects_non_numeric_value_with_line);
    tcase_add_test(errors, report_rejects_csv_without_required_column);
    tcase_add_test(errors, report_missing_summary_is_an_error);
    tcase_add_test(errors, report_missing_metrics_is_an_error);
    tcase_add_test(errors, report_rejects_invalid_json_with_line);
    tcase_add_test(errors, report_render_needs_a_summary);
    tcase_add_test(errors, report_unwritable_output_is_an_error);
    tcase_add_test(errors, report_fails_cleanly_at_every_allocation);
    tcase_add_test(errors, report_write_fails_cleanly_at_every_allocation);
    tcase_add_test(errors, report_parses_the_summary_through_its_allocator);
    tcase_add_test(errors, openmetrics_fails_cleanly_at_every_allocation);
    tcase_add_test(errors, openmetrics_text_is_exact);
    tcase_add_test(errors, openmetrics_with_kube_state_fails_cleanly_at_every_allocation);
    tcase_add_test(errors, openmetrics_merges_kube_state_rows);
    tcase_add_test(errors, sweep_page_fails_cleanly_at_every_allocation);
    tcase_add_test(errors, report_from_recorded_rows_reports_out_of_memory);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tr_run(render_suite(), 0) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
