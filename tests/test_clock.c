/*
 * test_clock.c: the scenario's clock, scenario { timezone, date }. Times of
 * day are wall times in the scenario's zone on its date (daylight-saving days
 * of 23 and 25 hours included); daily traffic may pass midnight; a run may
 * span days; the outputs (summary.json, OpenMetrics, report, replay) carry
 * the clock. Zones come from /usr/share/zoneinfo, as the CronJob tests'.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scn.h"
#include "workloads/traffic.h"

#include "tb.h"
#include "tr.h"

/* Unix times (Python's zoneinfo agrees): 07:00 New York on these dates. */
#define MAR18_0700_EDT INT64_C(1773831600)   /* 11:00 UTC, after the change to EDT on 8 March */
#define MAR02_0700_EST INT64_C(1772452800)   /* 12:00 UTC */
#define MAR08_0000_EST INT64_C(1772946000)   /* the spring-forward day: 23 hours */
#define NOV01_0000_EDT INT64_C(1793505600)   /* the fall-back day: 25 hours */

typedef struct Built {
    SimMem mem;
    ScnScenario *s;
    SimEngine *e;
    WlControllers *wl;
    SimErr err;
} Built;

static const char world[] =
    "region { name = \"r\" }\n"
    "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1 }\n";

static void load(Built *b, const char *src)
{
    sim_mem_init(&b->mem);
    b->err = (SimErr)SIM_ERR_INIT;
    ScnOptions o = {.path = tb_write("s.lua", src), .seed = 7};
    b->s = scn_load(&b->mem, &o, &b->err);
    b->e = NULL;
    b->wl = NULL;
}

static void build(Built *b, const char *src)
{
    load(b, src);
    ck_assert_msg(b->s != NULL, "%s", sim_err_msg(&b->err));
    SimConfig cfg = {.seed = 1, .end = scn_duration(b->s), .mem = &b->mem};
    b->e = sim_engine_create(&cfg);
    b->wl = wl_create(b->e);
    ck_assert_int_eq(scn_build(b->s, b->e, b->wl), SIM_OK);
}

static void unbuild(Built *b)
{
    if (b->wl)
        wl_destroy(b->wl);
    if (b->e)
        sim_engine_destroy(b->e);
    scn_free(b->s);
    ck_assert_int_eq(b->mem.live, 0);
}

static char *src3(const char *a, const char *b, const char *c)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s%s%s", a, b, c);
    return buf;
}

/* The job's start (run time) of a scenario with the given scenario {} and job start. */
static SimTime job_start(const char *scenario, const char *start, int64_t *t0)
{
    char job[256];
    snprintf(job, sizeof job, "job { name = \"j\", start = \"%s\", duration = \"5m\" }\n", start);
    Built b;
    build(&b, src3(scenario, world, job));
    SimTime v = sim_workload(b.e, 0)->start_at;
    *t0 = scn_start_unix(b.s);
    unbuild(&b);
    return v;
}

START_TEST(clock_times_of_day_are_in_the_scenario_zone)
{
    int64_t t0;
    /* 09:30 New York on 18 March 2026 (EDT, UTC-4) is 13:30 UTC. */
    SimTime v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-03-18\", start = \"07:00\" }\n",
                          "09:30", &t0);
    ck_assert_int_eq(t0, MAR18_0700_EDT);
    ck_assert_int_eq(t0 + v / SIM_NS_PER_S, INT64_C(1773840600));
    /* On 2 March (EST, UTC-5) the same 09:30 is 14:30 UTC. */
    v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-03-02\", start = \"07:00\" }\n", "09:30",
                  &t0);
    ck_assert_int_eq(t0, MAR02_0700_EST);
    ck_assert_int_eq(t0 + v / SIM_NS_PER_S, MAR02_0700_EST + 9000);
    ck_assert_int_eq((t0 + v / SIM_NS_PER_S) % 86400, 14 * 3600 + 1800);
}
END_TEST

START_TEST(clock_default_is_utc_on_monday_2026_01_05)
{
    int64_t t0;
    SimTime v = job_start("scenario { start = \"07:00\", duration = \"4h\" }\n", "06:00", &t0);
    ck_assert_int_eq(t0, WL_DAY0_UNIX + 7 * 3600);
    ck_assert(v == SIM_SEC(23 * 3600));   /* before the start: the next day's, as always */
    v = job_start("scenario { timezone = \"UTC\", start = \"07:00\" }\n", "09:30", &t0);
    ck_assert_int_eq(t0, WL_DAY0_UNIX + 7 * 3600);
    ck_assert(v == SIM_SEC(9000));
}
END_TEST

START_TEST(clock_daylight_saving_days_have_23_and_25_hours)
{
    int64_t t0;
    SimTime v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-03-08\", start = \"00:00\", "
                          "duration = \"24h\" }\n", "09:30", &t0);
    ck_assert_int_eq(t0, MAR08_0000_EST);
    ck_assert(v == SIM_SEC(8 * 3600 + 1800));   /* 02:00 EST became 03:00 EDT */
    v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-03-08\", start = \"00:00\", "
                  "duration = \"30h\" }\n", "2026-03-09 00:00", &t0);
    ck_assert(v == SIM_SEC(23 * 3600));
    v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-11-01\", start = \"00:00\", "
                  "duration = \"30h\" }\n", "09:30", &t0);
    ck_assert_int_eq(t0, NOV01_0000_EDT);
    ck_assert(v == SIM_SEC(10 * 3600 + 1800));   /* 02:00 EDT became 01:00 EST */
    v = job_start("scenario { timezone = \"America/New_York\", date = \"2026-11-01\", start = \"00:00\", "
                  "duration = \"30h\" }\n", "2026-11-02 00:00", &t0);
    ck_assert(v == SIM_SEC(25 * 3600));
}
END_TEST

/* The daily curve follows the wall clock: on the spring-forward day the
 * 09:30 peak comes 8.5 hours after midnight, not 9.5. */
START_TEST(clock_daily_traffic_follows_the_wall_clock_on_a_dst_day)
{
    static const char traffic[] =
        "site { name = \"ny\" }\nlatency { from = \"ny\", to = \"r\", ms = 1 }\n"
        "deployment { name = \"api\", replicas = 1, cpu = \"100m\", memory = \"64Mi\", "
        "serve = { service = \"api\", capacity = 100 } }\n"
        "traffic { site = \"ny\", service = \"api\", rate = 100, daily = { {\"00:00\", 0.1}, {\"09:30\", 1.0}, "
        "{\"18:00\", 0.1} } }\n";
    Built b;
    build(&b, src3("scenario { timezone = \"America/New_York\", date = \"2026-03-08\", start = \"00:00\", "
                   "duration = \"24h\" }\n", world, traffic));
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(8 * 3600 + 1800)), 100, 1e-9);
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(9 * 3600 + 1800)), 100 * (1.0 - 0.9 / 8.5), 1e-9);
    unbuild(&b);
    /* Without a zone, the same curve peaks at 9.5 hours (UTC has no change). */
    build(&b, src3("scenario { start = \"00:00\", duration = \"24h\" }\n", world, traffic));
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(9 * 3600 + 1800)), 100, 1e-9);
    unbuild(&b);
}
END_TEST

/* {"22:00", 1}, {"02:00", 0.2}: a night curve through midnight; and a run
 * of two days repeats the curve. */
START_TEST(clock_daily_points_may_cross_midnight_and_runs_span_days)
{
    static const char traffic[] =
        "site { name = \"ny\" }\nlatency { from = \"ny\", to = \"r\", ms = 1 }\n"
        "deployment { name = \"api\", replicas = 1, cpu = \"100m\", memory = \"64Mi\", "
        "serve = { service = \"api\", capacity = 100 } }\n"
        "traffic { site = \"ny\", service = \"api\", rate = 100, daily = { {\"20:00\", 0.5}, {\"22:00\", 1.0}, "
        "{\"02:00\", 0.2} } }\n";
    Built b;
    build(&b, src3("scenario { timezone = \"Europe/London\", date = \"2026-06-15\", start = \"21:00\", "
                   "duration = \"48h\" }\n", world, traffic));
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(3600)), 100, 1e-9);               /* 22:00 */
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(3 * 3600)), 60, 1e-9);            /* 00:00 */
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(5 * 3600)), 20, 1e-9);            /* 02:00 */
    ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(11 * 3600)), 20 + 30 * 6.0 / 18, 1e-9);  /* 08:00 */
    for (int h = 0; h < 24; h++)
        ck_assert_double_eq_tol(wl_traffic_rate(b.wl, 0, SIM_SEC(h * 3600 + 86400)),
                                wl_traffic_rate(b.wl, 0, SIM_SEC(h * 3600)), 1e-9);
    unbuild(&b);
}
END_TEST

/* A surge at a clock time, and one dated on the second day of the run. */
START_TEST(clock_surges_at_clock_times_and_on_a_later_date)
{
    static const char rest[] =
        "site { name = \"ny\" }\nlatency { from = \"ny\", to = \"r\", ms = 1 }\n"
        "deployment { name = \"api\", replicas = 1, cpu = \"100m\", memory = \"64Mi\", "
        "serve = { service = \"api\", capacity = 100 } }\n"
        "traffic { site = \"ny\", service = \"api\", rate = 100, surges = { { start = \"09:30\", factor = 3, "
        "hold = \"10m\" }, { start = \"2026-03-19 09:30\", factor = 2, hold = \"10m\" } } }\n";
    Built b;
    build(&b, src3("scenario { timezone = \"America/New_York\", date = \"2026-03-18\", start = \"07:00\", "
                   "duration = \"30h\" }\n", world, rest));
    WlFlow f;
    const char *site;
    ck_assert_int_eq(wl_traffic_flow_get(b.wl, 0, &f, &site), SIM_OK);
    ck_assert_uint_eq(f.nsurges, 2);
    ck_assert_int_eq(MAR18_0700_EDT + f.surges[0].start / SIM_NS_PER_S, INT64_C(1773840600));   /* 13:30 UTC */
    ck_assert(f.surges[1].start == f.surges[0].start + SIM_SEC(86400));
    unbuild(&b);
}
END_TEST

static void expect_error(const char *src, const char *frag1, const char *frag2)
{
    Built b;
    load(&b, src);
    ck_assert_msg(b.s == NULL, "expected an error for: %s", src);
    ck_assert_msg(strstr(sim_err_msg(&b.err), frag1), "'%s' lacks '%s'", sim_err_msg(&b.err), frag1);
    ck_assert_msg(strstr(sim_err_msg(&b.err), frag2), "'%s' lacks '%s'", sim_err_msg(&b.err), frag2);
    unbuild(&b);
}

START_TEST(clock_bad_zone_or_date_names_line_and_field)
{
    expect_error(src3("\nscenario { timezone = \"America/Nowhere\" }\n", world, ""), "s.lua:2:",
                 "field 'timezone': unknown time zone America/Nowhere");
    expect_error(src3("scenario { date = \"2026-02-30\" }\n", world, ""), "s.lua:1:",
                 "field 'date': \"2026-02-30\" is not a date");
    expect_error(src3("scenario { date = \"18/03/2026\" }\n", world, ""), "s.lua:1:", "field 'date'");
    expect_error(src3("scenario { date = \"2026-3-18\" }\n", world, ""), "s.lua:1:", "field 'date'");
    expect_error(src3(world, "job { name = \"j\", start = \"09:30\", duration = \"5m\" }\n",
                      "scenario { timezone = \"America/New_York\" }\n"),
                 "s.lua:4:", "must come before the first time of day");
    expect_error(src3("scenario { date = \"2026-03-18\" }\n", world,
                      "job { name = \"j\", start = \"2026-03-17 09:30\", duration = \"5m\" }\n"),
                 "s.lua:4:", "before the scenario's start");
}
END_TEST

/* ---- the outputs ------------------------------------------------------------ */
static const char ny_run[] =
    "scenario { name = \"ny\", timezone = \"America/New_York\", date = \"%s\", start = \"%s\", "
    "duration = \"%s\", sample_every = \"5m\" }\n"
    "region { name = \"r\" }\n"
    "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1, max = 3, price = 1.0 }\n"
    "site { name = \"ny\" }\nlatency { from = \"ny\", to = \"r\", ms = 1 }\n"
    "deployment { name = \"api\", replicas = 2, cpu = \"500m\", memory = \"256Mi\", "
    "serve = { service = \"api\", capacity = 100 } }\n"
    "traffic { site = \"ny\", service = \"api\", rate = 50, surges = { { start = \"09:30\", factor = 3, "
    "hold = \"10m\" } } }\n"
    "at(\"09:30\", function(k) k.log(\"open\") end)\n";

static void run_ny(const char *out, const char *date, const char *start, const char *duration)
{
    char src[2048], name[64];
    snprintf(src, sizeof src, ny_run, date, start, duration);
    snprintf(name, sizeof name, "%s.lua", out);
    tb_write(name, src);
    ck_assert_int_eq(tb_run("run %s --out %s --force --openmetrics %s.om", name, out, out), 0);
}

static char *read_in(const char *fmt, const char *arg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/", tb_dir());
    snprintf(path + strlen(path), sizeof path - strlen(path), fmt, arg);
    char *text = tb_read(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

START_TEST(clock_summary_and_openmetrics_are_on_the_real_date)
{
    run_ny("o1", "2026-03-18", "07:00", "3h");
    ck_assert_msg(strstr(tb_err(), "hook +9000s (09:30:00 EDT): open"), "%s", tb_err());   /* at() on the clock */
    char *sum = read_in("%s/summary.json", "o1");
    cJSON *j = cJSON_Parse(sum);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "timezone")->valuestring, "America/New_York");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "date")->valuestring, "2026-03-18");
    const cJSON *clk = cJSON_GetObjectItem(j, "clock");
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(clk, "start_unix")->valuedouble, MAR18_0700_EDT);
    const cJSON *off = cJSON_GetArrayItem(cJSON_GetObjectItem(clk, "utc_offsets"), 0);
    ck_assert_int_eq((int)cJSON_GetObjectItem(off, "offset_seconds")->valuedouble, -4 * 3600);
    ck_assert_str_eq(cJSON_GetObjectItem(off, "abbrev")->valuestring, "EDT");
    cJSON_Delete(j);
    free(sum);
    /* Prometheus wants UTC epoch seconds: 07:00 EDT is 11:00 UTC; 09:30 EDT is 13:30 UTC. */
    char *om = read_in("%s.om", "o1");
    ck_assert_msg(strstr(om, "} 0 1773831600.000\n") || strstr(om, " 1773831600.000\n"), "no sample at 07:00 EDT");
    ck_assert_msg(strstr(om, " 1773840600.000\n"), "no sample at 09:30 EDT (13:30 UTC)");
    ck_assert_msg(!strstr(om, " 17675"), "a timestamp on the default date 2026-01-05");
    free(om);
}
END_TEST

START_TEST(clock_report_labels_show_the_zone_and_wall_time)
{
    run_ny("o2", "2026-03-18", "07:00", "3h");
    char *html = read_in("%s/report.html", "o2");
    ck_assert_msg(strstr(html, "2026-03-18 07:00 EDT (America/New_York)"), "no start fact");
    ck_assert_msg(strstr(html, "time axis in clock time, EDT (America/New_York), 2026-03-18"), "no axis note");
    ck_assert_msg(strstr(html, ">09:30</text>"), "no 09:30 tick");
    ck_assert_msg(!strstr(html, "since the start"), "run-time axis on a run with a clock");
    free(html);
    /* The spring-forward night: 01:00 EST is followed by 03:00 EDT. */
    run_ny("o3", "2026-03-08", "00:00", "6h");
    html = read_in("%s/report.html", "o3");
    ck_assert_msg(strstr(html, ">01:00</text>") && strstr(html, ">03:00</text>"), "no ticks at 01:00, 03:00");
    ck_assert_msg(!strstr(html, ">02:00</text>"), "02:00 does not exist on 8 March in New York");
    free(html);
    char *sum = read_in("%s/summary.json", "o3");
    ck_assert_msg(strstr(sum, "\"t_seconds\":\t7200") || strstr(sum, "\"t_seconds\": 7200") ||
                  strstr(sum, "\"t_seconds\":7200"), "no offset change at 02:00 EST: %s", sum);
    free(sum);
}
END_TEST

/* The bytes of DIR/name, with their length. */
static char *bytes(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    char *b = tb_read(path, len);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    return b;
}

static int same_file(const char *x, const char *y)
{
    size_t lx, ly;
    char *a = bytes(x, &lx), *b = bytes(y, &ly);
    int same = lx == ly && memcmp(a, b, lx) == 0;
    free(a);
    free(b);
    return same;
}

START_TEST(clock_replay_at_clock_time_offset_and_out_of_range)
{
    run_ny("o4", "2026-03-18", "07:00", "3h");
    ck_assert_int_eq(tb_run("replay o4 --png a.png --size 320x240 --at 09:30"), 0);
    ck_assert_int_eq(tb_run("replay o4 --png b.png --size 320x240 --at +2h30m"), 0);
    ck_assert_int_eq(tb_run("replay o4 --png c.png --size 320x240 --at 10:00"), 0);
    ck_assert_msg(same_file("a.png", "b.png"), "09:30 EDT is not +2h30m after 07:00 EDT");
    ck_assert_msg(!same_file("a.png", "c.png"), "10:00 drew the same frame as 09:30");
    ck_assert_int_eq(tb_run("replay o4 --png d.png --at 06:00"), 2);
    ck_assert_msg(strstr(tb_err(), "'06:00'") && strstr(tb_err(), "outside the run") &&
                  strstr(tb_err(), "2026-03-18 07:00 EDT") && strstr(tb_err(), "2026-03-18 10:00 EDT"),
                  "%s", tb_err());
    ck_assert_int_eq(tb_run("replay o4 --png d.png --at +3h1m"), 2);
    ck_assert_msg(strstr(tb_err(), "+3:01:00") && strstr(tb_err(), "outside the run"), "%s", tb_err());
    ck_assert_int_eq(tb_exists("d.png"), 0);
}
END_TEST

/* No timezone or date: no clock keys anywhere, and --at 1:30 is the offset it always was. */
START_TEST(clock_unset_keeps_outputs_and_at_as_before)
{
    tb_write("plain.lua", "scenario { name = \"plain\", start = \"07:00\", duration = \"3h\" }\n"
                          "region { name = \"r\" }\n"
                          "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1, max = 3, price = 1.0 }\n"
                          "deployment { name = \"api\", replicas = 2, cpu = \"500m\", memory = \"256Mi\" }\n");
    ck_assert_int_eq(tb_run("run plain.lua --out p --force --quiet --openmetrics p.om"), 0);
    char *sum = read_in("%s/summary.json", "p");
    ck_assert_msg(!strstr(sum, "\"timezone\"") && !strstr(sum, "\"clock\""), "clock keys in an unset run");
    free(sum);
    char *om = read_in("%s.om", "p");
    ck_assert_msg(strstr(om, " 1767596400.000\n"), "07:00 UTC on 2026-01-05 is not the first timestamp");
    free(om);
    char *html = read_in("%s/report.html", "p");
    ck_assert_msg(strstr(html, "since the start"), "the run-time axis note went");
    free(html);
    ck_assert_int_eq(tb_run("replay p --png a.png --size 320x240 --at 1:30"), 0);
    ck_assert_int_eq(tb_run("replay p --png b.png --size 320x240 --at +90m"), 0);
    ck_assert_msg(same_file("a.png", "b.png"), "1:30 is not +90m in a run without a clock");
    ck_assert_int_eq(tb_run("replay p --png c.png --at 4h"), 2);
    ck_assert_msg(strstr(tb_err(), "outside the run"), "%s", tb_err());
}
END_TEST

/* A sweep carries the clock to sweep.json and shows completion on the wall clock. */
START_TEST(clock_sweep_page_shows_start_and_completion_on_the_clock)
{
    tb_write("sw.lua", "scenario { name = \"sw\", timezone = \"America/New_York\", date = \"2026-03-18\", "
                       "start = \"05:00\", duration = \"3h\", sample_every = \"5m\" }\n"
                       "region { name = \"r\" }\n"
                       "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1, max = param(\"max\", 3), "
                       "price = 1.0 }\n"
                       "job { name = \"bt\", completions = 8, parallelism = 8, cpu = \"1\", memory = \"1Gi\", "
                       "duration = \"20m\", start = \"05:30\" }\n");
    ck_assert_int_eq(tb_run("sweep sw.lua --vary max=1,2 --objective job:bt --out swo --force --quiet"), 0);
    char *js = read_in("%s/sweep.json", "swo");
    cJSON *j = cJSON_Parse(js);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "timezone")->valuestring, "America/New_York");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "date")->valuestring, "2026-03-18");
    cJSON_Delete(j);
    free(js);
    char *html = read_in("%s/sweep.html", "swo");
    ck_assert_msg(strstr(html, "2026-03-18 05:00 EDT (America/New_York)"), "no start fact");
    /* max=2: the Job starts at 05:30 and its 8 pods finish in two waves at 3,110 s */
    ck_assert_msg(strstr(html, "51 min 50 s (05:51 EDT)"), "no completion time on the wall clock");
    /* shards merged (as export-sweep's merge Job does) keep the clock: the
     * same sweep.json and page as the whole sweep */
    ck_assert_int_eq(tb_run("sweep sw.lua --vary max=1,2 --objective job:bt --shard 0/2 --out swo0 --force --quiet"), 0);
    ck_assert_int_eq(tb_run("sweep sw.lua --vary max=1,2 --objective job:bt --shard 1/2 --out swo1 --force --quiet"), 0);
    ck_assert_int_eq(tb_run("sweep --merge swo0 swo1 --out swom --force --quiet"), 0);
    char *mjs = read_in("%s/sweep.json", "swom"), *mhtml = read_in("%s/sweep.html", "swom");
    ck_assert_msg(strcmp(mjs, js = read_in("%s/sweep.json", "swo")) == 0, "merged: %.2000s", mjs);
    ck_assert_msg(strcmp(mhtml, html) == 0, "the merged page differs from the whole sweep's");
    free(js);
    free(mjs);
    free(mhtml);
    free(html);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, clock_times_of_day_are_in_the_scenario_zone);
    tcase_add_test(tc, clock_default_is_utc_on_monday_2026_01_05);
    tcase_add_test(tc, clock_daylight_saving_days_have_23_and_25_hours);
    tcase_add_test(tc, clock_daily_traffic_follows_the_wall_clock_on_a_dst_day);
    tcase_add_test(tc, clock_daily_points_may_cross_midnight_and_runs_span_days);
    tcase_add_test(tc, clock_surges_at_clock_times_and_on_a_later_date);
    tcase_add_test(tc, clock_bad_zone_or_date_names_line_and_field);
    tcase_add_test(tc, clock_summary_and_openmetrics_are_on_the_real_date);
    tcase_add_test(tc, clock_report_labels_show_the_zone_and_wall_time);
    tcase_add_test(tc, clock_replay_at_clock_time_offset_and_out_of_range);
    tcase_add_test(tc, clock_unset_keeps_outputs_and_at_as_before);
    tcase_add_test(tc, clock_sweep_page_shows_start_and_completion_on_the_clock);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("clock") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
