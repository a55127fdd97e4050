/*
 * summary.c: the sections of the page drawn from summary.json: the header,
 * the headline figures, the regions and SLO tables, the expectations and any
 * other table the summary holds. Invariant: every lookup tolerates a missing
 * key or a value of the wrong type (it shows "—" or skips), and a key this
 * file does not know still appears, as a row or a table of its own.
 */
#include "render/rnd_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#define MAX_TABLE_COLUMNS 24
#define MAX_TABLE_ROWS 200
#define DASH "\xE2\x80\x94"

/* Top-level keys with a place of their own on the page. */
static int is_placed(const char *key)
{
    static const char *const placed[] = {
        "schema", "scenario", "seed", "sim_seconds", "wall_seconds", "events",
        "trace_sha256", "cost_usd", "regions", "slo", "expectations", "timezone", "date", "clock", "observed",
    };
    for (size_t i = 0; i < sizeof placed / sizeof placed[0]; i++)
        if (strcmp(key, placed[i]) == 0)
            return 1;
    return 0;
}

static double num_or(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(it) ? it->valuedouble : dflt;
}

static int is_table(const cJSON *it)
{
    return cJSON_IsArray(it) && cJSON_IsObject(it->child);
}

static void value(RndBuf *b, const char *key, const cJSON *it);

/* A money figure the run could not price (null: a node group without a
 * price): "unknown", never $0 or a dash that reads as "none". */
static int unknown_usd(const char *key, const cJSON *it)
{
    size_t n = key ? strlen(key) : 0;
    return cJSON_IsNull(it) && n >= 4 && strcmp(key + n - 4, "_usd") == 0;
}

/* A table inside a cell (a region's node groups): one line per row, its
 * name then its other numbers, so what it holds is read, not "2 items". */
static void nested_rows(RndBuf *b, const cJSON *rows)
{
    const cJSON *row, *it;
    rnd_buf_str(b, "<ul class=\"sub\">");
    cJSON_ArrayForEach(row, rows) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(row, "name");
        cJSON_ArrayForEach(it, (name || !cJSON_IsObject(row) ? NULL : row))
            if (cJSON_IsString(it) && name == NULL)
                name = it;   /* no "name": its first text (an SLO target's "p99") */
        rnd_buf_str(b, "<li>");
        if (cJSON_IsString(name)) {
            rnd_buf_str(b, "<b>");
            rnd_buf_esc(b, name->valuestring);
            rnd_buf_str(b, "</b>");
        }
        cJSON_ArrayForEach(it, (cJSON_IsObject(row) ? row : NULL)) {
            if (it == name || !(cJSON_IsNumber(it) || unknown_usd(it->string, it)))
                continue;
            rnd_buf_str(b, " <span>");
            value(b, it->string, it);
            if (strstr(it->string, "usd") == NULL) {   /* money says what it is already */
                rnd_buf_str(b, " ");
                rnd_buf_label(b, it->string, 0);
            }
            rnd_buf_str(b, "</span>");
        }
        rnd_buf_str(b, "</li>");
    }
    rnd_buf_str(b, "</ul>");
}

/* Any JSON value as a cell: numbers by what their key says they are. */
static void value(RndBuf *b, const char *key, const cJSON *it)
{
    if (cJSON_IsNumber(it)) {
        rnd_buf_keyed(b, key, it->valuedouble);
    } else if (cJSON_IsString(it)) {
        rnd_buf_esc(b, it->valuestring);
    } else if (cJSON_IsBool(it)) {
        rnd_buf_str(b, cJSON_IsTrue(it) ? "yes" : "no");
    } else if (unknown_usd(key, it)) {
        rnd_buf_str(b, "<span class=\"unknown\">unknown</span>");
    } else if (is_table(it)) {
        nested_rows(b, it);
    } else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
        int n = cJSON_GetArraySize(it);
        rnd_buf_fmt(b, "%d %s", n, cJSON_IsArray(it) ? (n == 1 ? "item" : "items")
                                                     : (n == 1 ? "field" : "fields"));
    } else {
        rnd_buf_str(b, DASH);
    }
}

static const char *cell_class(const cJSON *it)
{
    return cJSON_IsNumber(it) ? " class=\"num\"" : "";
}

/* ---- header ------------------------------------------------------------------- */

static void fact(RndBuf *b, const char *label, const char *key, const cJSON *it)
{
    if (it == NULL)
        return;   /* an older or smaller summary: leave the fact out */
    rnd_buf_str(b, "<div><dt>");
    rnd_buf_str(b, label);
    rnd_buf_str(b, "</dt><dd>");
    value(b, key, it);
    rnd_buf_str(b, "</dd></div>");
}

static void status_line(RndBuf *b, const cJSON *root)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expectations");
    int total = 0, failed = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, (cJSON_IsArray(ex) ? ex : NULL)) {
        total++;
        failed += !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "passed"));
    }
    const char *plural = total > 1 ? "s" : "";
    rnd_buf_fmt(b, "<a class=\"status %s\" href=\"#expectations\">",
                total == 0 ? "none" : failed ? "fail" : "pass");
    if (total == 0)
        rnd_buf_str(b, "No expectations");
    else if (failed == 0)
        rnd_buf_fmt(b, "%s%d expectation%s passed", total > 1 ? "All " : "", total, plural);
    else
        rnd_buf_fmt(b, "%d of %d expectation%s failed", failed, total, plural);
    rnd_buf_str(b, "</a>");
}

/* The SLOs at a glance: each target of slo[] (targets[], or the entry
 * itself in an older summary) is missed when the run spent time over it
 * after its SLO clock started. Nothing without an SLO. */
static void slo_line(RndBuf *b, const cJSON *root)
{
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(root, "slo"), *row, *t;
    int total = 0, missed = 0;
    cJSON_ArrayForEach(row, (cJSON_IsArray(slo) ? slo : NULL)) {
        const cJSON *targets = cJSON_GetObjectItemCaseSensitive(row, "targets");
        if (cJSON_IsArray(targets) && cJSON_GetArraySize(targets) > 0) {
            cJSON_ArrayForEach(t, targets) {
                total++;
                missed += num_or(t, "violation_seconds", 0) > 0;
            }
        } else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "target_ms"))) {
            total++;
            missed += num_or(row, "violation_seconds", 0) > 0;
        }
    }
    if (total == 0)
        return;
    const char *plural = total > 1 ? "s" : "";
    rnd_buf_fmt(b, " <a class=\"status %s\" href=\"#slo\">", missed ? "fail" : "pass");
    if (missed == 0)
        rnd_buf_fmt(b, "%s%d SLO target%s met", total > 1 ? "All " : "", total, plural);
    else
        rnd_buf_fmt(b, "%d of %d SLO target%s missed", missed, total, plural);
    rnd_buf_str(b, "</a>");
}

static void seed_fact(RndBuf *b, const cJSON *seed)
{
    if (seed == NULL)
        return;
    rnd_buf_str(b, "<div><dt>Seed</dt><dd>");
    if (cJSON_IsNumber(seed) && fabs(seed->valuedouble) < 1e18)
        rnd_buf_fmt(b, "%.0f", seed->valuedouble);   /* an identifier: no commas */
    else
        value(b, "seed", seed);
    rnd_buf_str(b, "</dd></div>");
}

static void speed_fact(RndBuf *b, const cJSON *root)
{
    double sim = num_or(root, "sim_seconds", NAN), wall = num_or(root, "wall_seconds", NAN);
    if (!(sim > 0 && wall > 0))
        return;
    rnd_buf_str(b, "<div><dt>Speed</dt><dd>");
    rnd_buf_num(b, sim / wall >= 100 ? round(sim / wall) : sim / wall);
    rnd_buf_str(b, "\xC3\x97 real time</dd></div>");
}

/* "Start: 2026-03-18 07:00 EDT (America/New_York)" when the run has a clock;
 * its keys are shown as one fact, or as plain facts if the clock is unreadable. */
static void clock_fact(RndBuf *b, const cJSON *root)
{
    RndClock clk;
    char date[16], label[128];
    rnd_clock_read(&clk, root);
    if (!clk.set) {
        fact(b, "Time zone", "timezone", cJSON_GetObjectItemCaseSensitive(root, "timezone"));
        fact(b, "Date", "date", cJSON_GetObjectItemCaseSensitive(root, "date"));
        return;
    }
    rnd_clock_date(&clk, 0, date, sizeof date);
    rnd_clock_label(&clk, 0, label, sizeof label);
    rnd_buf_str(b, "<div><dt>Start</dt><dd>");
    rnd_buf_esc(b, date);
    rnd_buf_str(b, " ");
    rnd_buf_esc(b, label);
    rnd_buf_str(b, "</dd></div>");
}

static void other_facts(RndBuf *b, const cJSON *root)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        if (is_placed(it->string) || cJSON_IsObject(it) || cJSON_IsArray(it))
            continue;
        rnd_buf_str(b, "<div><dt>");
        rnd_buf_label(b, it->string, 1);
        rnd_buf_str(b, "</dt><dd>");
        value(b, it->string, it);
        rnd_buf_str(b, "</dd></div>");
    }
}

static void fingerprint(RndBuf *b, const cJSON *root)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(root, "trace_sha256");
    if (cJSON_IsString(sha) && sha->valuestring[0] == '\0')
        sha = NULL;   /* a run without a trace */
    if (!schema && !sha)
        return;
    rnd_buf_str(b, "<p class=\"fp\">");
    if (schema) {
        rnd_buf_str(b, "schema ");
        value(b, "schema", schema);
    }
    if (sha) {
        rnd_buf_str(b, schema ? " \xC2\xB7 trace SHA-256 <code>" : "trace SHA-256 <code>");
        value(b, "trace_sha256", sha);
        rnd_buf_str(b, "</code>");
    }
    rnd_buf_str(b, "</p>");
}

void rnd_sum_header(RndBuf *b, const cJSON *root)
{
    const cJSON *scn = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    rnd_buf_str(b, "<header class=\"top\" id=\"top\"><div class=\"kicker\">kubesim run report</div><h1>");
    rnd_buf_esc(b, cJSON_IsString(scn) ? scn->valuestring : "Unnamed scenario");
    rnd_buf_str(b, "</h1>");
    status_line(b, root);
    slo_line(b, root);
    rnd_buf_str(b, "<dl class=\"facts\">");
    seed_fact(b, cJSON_GetObjectItemCaseSensitive(root, "seed"));
    fact(b, "Simulated", "sim_seconds", cJSON_GetObjectItemCaseSensitive(root, "sim_seconds"));
    fact(b, "Events", "events", cJSON_GetObjectItemCaseSensitive(root, "events"));
    fact(b, "Cost", "cost_usd", cJSON_GetObjectItemCaseSensitive(root, "cost_usd"));
    fact(b, "Wall time", "wall_seconds", cJSON_GetObjectItemCaseSensitive(root, "wall_seconds"));
    speed_fact(b, root);
    clock_fact(b, root);
    other_facts(b, root);
    rnd_buf_str(b, "</dl>");
    fingerprint(b, root);
    rnd_buf_str(b, "</header>\n");
}

/* ---- headline figures ------------------------------------------------------------ */

static void figure_card(RndBuf *b, const cJSON *group)
{
    const cJSON *it;
    rnd_buf_str(b, "<table class=\"card\"><caption>");
    rnd_buf_label(b, group->string, 1);
    rnd_buf_str(b, "</caption><tbody>");
    cJSON_ArrayForEach(it, group) {
        rnd_buf_str(b, "<tr><th>");
        rnd_buf_label(b, it->string, 1);
        rnd_buf_fmt(b, "</th><td%s>", cell_class(it));
        if (is_table(it))   /* its own table further down; a card stays narrow */
            rnd_buf_fmt(b, "%d rows", cJSON_GetArraySize(it));
        else
            value(b, it->string, it);
        rnd_buf_str(b, "</td></tr>");
    }
    rnd_buf_str(b, "</tbody></table>");
}

void rnd_sum_headline(RndBuf *b, const cJSON *root)
{
    const cJSON *it;
    int any = 0;
    cJSON_ArrayForEach(it, root) {
        if (!cJSON_IsObject(it) || it->child == NULL)
            continue;
        if (!any++)
            rnd_buf_str(b, "<section id=\"figures\"><h2>Headline figures</h2>"
                           "<div class=\"cards\">");
        figure_card(b, it);
    }
    if (any)
        rnd_buf_str(b, "</div></section>\n");
}

/* ---- tables of objects ----------------------------------------------------------- */

/* Whether a row is good (0), bad (1) or neither (-1), for a status column. */
typedef int (*RowStatus)(const cJSON *row);

/* How one table of objects is shown. */
typedef struct TableSpec {
    const char *const *first;    /* preferred leading columns, NULL-terminated; may be NULL */
    const char *name_label;      /* header of the "name" column; NULL: "Name" */
    double total;                /* > 0: cost_usd cells show their share of it */
    RowStatus status;            /* not NULL: a Status column with a badge */
} TableSpec;

typedef struct Columns {
    const char *key[MAX_TABLE_COLUMNS];
    int numeric[MAX_TABLE_COLUMNS];   /* the first value seen is a number */
    size_t n;
} Columns;

static void add_column(Columns *c, const char *key, const cJSON *it)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->key[i], key) == 0)
            return;
    if (c->n < MAX_TABLE_COLUMNS) {
        c->numeric[c->n] = cJSON_IsNumber(it);
        c->key[c->n++] = key;
    }
}

/* The preferred columns that some row has, in that order, then every other
 * key in the order rows first show it. */
static void columns(Columns *c, const cJSON *rows, const char *const *first)
{
    const cJSON *row, *it;
    c->n = 0;
    for (; first && *first; first++)
        cJSON_ArrayForEach(row, rows)
            if ((it = cJSON_GetObjectItemCaseSensitive(row, *first)) != NULL)
                add_column(c, *first, it);
    cJSON_ArrayForEach(row, rows)
        cJSON_ArrayForEach(it, (cJSON_IsObject(row) ? row : NULL))
            add_column(c, it->string, it);
}

/* A money cell with a bar of its share of total (total <= 0: no bar). */
static void share_cell(RndBuf *b, const cJSON *it, double total)
{
    rnd_buf_str(b, "<td class=\"num\">");
    rnd_buf_usd(b, it->valuedouble);
    double pct = 100 * it->valuedouble / total;
    if (total > 0 && pct >= 0 && pct <= 100)
        rnd_buf_fmt(b, "<span class=\"share\"><span style=\"width:%.1f%%\"></span></span>"
                       "<small>%.0f%%</small>", pct, pct);
    rnd_buf_str(b, "</td>");
}

static void table_row(RndBuf *b, const Columns *c, const cJSON *row, const TableSpec *spec)
{
    rnd_buf_str(b, "<tr>");
    for (size_t i = 0; i < c->n; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, c->key[i]);
        if (spec->total > 0 && cJSON_IsNumber(it) && strcmp(c->key[i], "cost_usd") == 0) {
            share_cell(b, it, spec->total);
            continue;
        }
        rnd_buf_fmt(b, "<td%s>", cell_class(it));
        value(b, c->key[i], it);
        rnd_buf_str(b, "</td>");
    }
    int s = spec->status ? spec->status(row) : -1;
    if (spec->status)
        rnd_buf_str(b, s < 0 ? "<td>" DASH "</td>"
                             : s ? "<td><span class=\"badge fail\">missed</span></td>"
                                 : "<td><span class=\"badge pass\">met</span></td>");
    rnd_buf_str(b, "</tr>");
}

static void table_head(RndBuf *b, const Columns *c, const TableSpec *spec)
{
    rnd_buf_str(b, "<div class=\"scroll\"><table class=\"data\"><thead><tr>");
    for (size_t i = 0; i < c->n; i++) {
        rnd_buf_str(b, c->numeric[i] ? "<th class=\"num\">" : "<th>");
        if (spec->name_label && strcmp(c->key[i], "name") == 0)
            rnd_buf_str(b, spec->name_label);
        else
            rnd_buf_label(b, c->key[i], 1);
        rnd_buf_str(b, "</th>");
    }
    rnd_buf_str(b, spec->status ? "<th>Status</th></tr></thead><tbody>" : "</tr></thead><tbody>");
}

static void table(RndBuf *b, const cJSON *rows, const TableSpec *spec)
{
    Columns c;
    columns(&c, rows, spec->first);
    table_head(b, &c, spec);
    int n = 0, total_rows = cJSON_GetArraySize(rows);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
        if (cJSON_IsObject(row) && n++ < MAX_TABLE_ROWS)
            table_row(b, &c, row, spec);
    rnd_buf_str(b, "</tbody></table></div>");
    if (total_rows > MAX_TABLE_ROWS)
        rnd_buf_fmt(b, "<p class=\"note\">Showing the first %d of %d rows.</p>", MAX_TABLE_ROWS,
                    total_rows);
}

/* Which node groups have no price, when the run's cost is unknown. */
static void unpriced_note(RndBuf *b, const cJSON *root, const cJSON *regions)
{
    const cJSON *r, *g;
    int n = 0;
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "cost_usd")))
        return;
    rnd_buf_str(b, "<p class=\"note\">Cost unknown: ");
    cJSON_ArrayForEach(r, regions)
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(r, "nodegroups")) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
            if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "cost_usd")) || !cJSON_IsString(name))
                continue;
            rnd_buf_str(b, n++ ? ", " : "node group ");
            rnd_buf_esc(b, name->valuestring);
        }
    rnd_buf_str(b, n > 1 ? " have" : " has");
    rnd_buf_str(b, " no price (price = \"unknown\" in the scenario), so the cost of each, of its region, "
                   "of the namespaces whose pods ran there and the total are unknown, not $0. Give the price "
                   "(<code>kubesim import --prices FILE</code>, or <code>price =</code> on the node group).</p>");
}

void rnd_sum_regions(RndBuf *b, const cJSON *root)
{
    static const char *const first[] = {"name", "nodes_peak", "cost_usd", NULL};
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "regions");
    if (!is_table(rows))
        return;
    rnd_buf_str(b, "<section id=\"regions\"><h2>Regions</h2>");
    unpriced_note(b, root, rows);
    TableSpec spec = {first, "Region", num_or(root, "cost_usd", 0), NULL};
    table(b, rows, &spec);
    rnd_buf_str(b, "</section>\n");
}

/* An SLO is missed when the run spent time in violation or its p95 is over
 * target; without either figure there is nothing to say. */
static int slo_status(const cJSON *row)
{
    double viol = num_or(row, "violation_seconds", NAN);
    double p95 = num_or(row, "latency_p95_ms", NAN), target = num_or(row, "target_ms", NAN);
    if (isnan(viol) && (isnan(p95) || isnan(target)))
        return -1;
    return viol > 0 || p95 > target;
}

void rnd_sum_slo(RndBuf *b, const cJSON *root)
{
    static const char *const first[] = {"service", "region", "latency_p95_ms", "target_ms",
                                        "violation_seconds", "error_rate", NULL};
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "slo");
    if (!is_table(rows))
        return;
    rnd_buf_str(b, "<section id=\"slo\"><h2>Service levels</h2>");
    TableSpec spec = {first, NULL, 0, slo_status};
    table(b, rows, &spec);
    rnd_buf_str(b, "</section>\n");
}

/* ---- simulated against observed (run --compare-to) ------------------------------------ */

static int verdict_off(const cJSON *row)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, "verdict");
    return cJSON_IsString(v) ? strcmp(v->valuestring, "off") == 0 : -1;
}

void rnd_sum_observed(RndBuf *b, const cJSON *root)
{
    static const char *const first[] = {"figure", "workload", "node_group", "statistic", "value", "verdict", NULL};
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(root, "observed");
    if (!cJSON_IsObject(obs))
        return;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(obs, "rows"), *dir = cJSON_GetObjectItemCaseSensitive(obs, "dir");
    rnd_buf_str(b, "<section id=\"observed\"><h2>Simulated against observed <small>");
    rnd_buf_esc(b, cJSON_IsString(dir) ? dir->valuestring : "");
    rnd_buf_str(b, "; replicas: mean absolute error (close \xE2\x89\xA4 10 % of the observed mean, fair \xE2\x89\xA4 "
                   "25 %); start-up and provisioning: two-sample KS (close: p \xE2\x89\xA5 0.05, fair: D \xE2\x89\xA4 "
                   "0.2)</small></h2>");
    if (!is_table(rows))
        rnd_buf_str(b, "<p class=\"empty\">No workload or node group of the run is in the observed series.</p>");
    else {
        TableSpec spec = {first, NULL, 0, verdict_off};
        table(b, rows, &spec);
    }
    rnd_buf_str(b, "</section>\n");
}

/* ---- expectations ------------------------------------------------------------------ */

static void expectation(RndBuf *b, const cJSON *ex)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ex, "name");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(ex, "detail");
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ex, "passed"));
    rnd_buf_fmt(b, "<li class=\"%s\"><span class=\"badge %s\">%s</span><div><b>",
                ok ? "pass" : "fail", ok ? "pass" : "fail", ok ? "PASS" : "FAIL");
    value(b, "name", name);
    rnd_buf_str(b, "</b>");
    if (detail && !cJSON_IsNull(detail)) {
        rnd_buf_str(b, "<p>");
        value(b, "detail", detail);
        rnd_buf_str(b, "</p>");
    }
    rnd_buf_str(b, "</div></li>");
}

void rnd_sum_expectations(RndBuf *b, const cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "expectations");
    const cJSON *ex;
    int passed = 0, failed = 0;
    cJSON_ArrayForEach(ex, (cJSON_IsArray(list) ? list : NULL)) {
        int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ex, "passed"));
        passed += ok;
        failed += !ok;
    }
    rnd_buf_str(b, "<section id=\"expectations\"><h2>Expectations");
    if (passed + failed)
        rnd_buf_fmt(b, " <small>%d passed \xC2\xB7 %d failed</small>", passed, failed);
    rnd_buf_str(b, "</h2>");
    if (passed + failed == 0)
        rnd_buf_str(b, "<p class=\"empty\">The scenario declared no expectations.</p>");
    else
        rnd_buf_str(b, "<ul class=\"expect\">");
    cJSON_ArrayForEach(ex, (passed + failed ? list : NULL))
        expectation(b, ex);
    rnd_buf_str(b, passed + failed ? "</ul></section>\n" : "</section>\n");
}

/* ---- tables nobody asked for yet ----------------------------------------------------- */

static void extra_table(RndBuf *b, const cJSON *rows, const char *parent)
{
    rnd_buf_str(b, "<section class=\"extra\"><h2>");
    if (parent) {
        rnd_buf_label(b, parent, 1);
        rnd_buf_str(b, " \xE2\x80\x94 ");
        rnd_buf_label(b, rows->string, 0);
    } else {
        rnd_buf_label(b, rows->string, 1);
    }
    rnd_buf_str(b, "</h2>");
    TableSpec spec = {NULL, NULL, 0, NULL};
    table(b, rows, &spec);
    rnd_buf_str(b, "</section>\n");
}

static int in_list(const char *key, const char *const *keys)
{
    for (; keys && *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return 1;
    return 0;
}

void rnd_sum_extra_tables(RndBuf *b, const cJSON *root, const char *const *keys, int others)
{
    const cJSON *it, *sub;
    cJSON_ArrayForEach(it, root) {
        if (in_list(it->string, keys) == others)
            continue;
        if (is_table(it) && !is_placed(it->string))
            extra_table(b, it, NULL);
        if (!cJSON_IsObject(it))
            continue;
        cJSON_ArrayForEach(sub, it)
            if (is_table(sub))
                extra_table(b, sub, it->string);
    }
}
