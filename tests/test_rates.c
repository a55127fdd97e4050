/*
 * test_rates.c: traffic from recorded rates (issue 20, item 1), end to end
 * through the kubesim binary. The test writes a Prometheus range-query answer
 * (two series, by site) and a timestamp,value CSV with a known shape, runs a
 * scenario fed by them, and checks that the simulated request rate follows
 * the recording on the scenario's clock (date and time zone), scaled by
 * factor and surges, and that its expectations pass. Bad recordings (wrong
 * resultType, NaN, a negative rate, a gap, a range that misses the run, two
 * series and no selector) exit 2 naming the file and the sample.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tb.h"
#include "tr.h"

#define T0 INT64_C(1773820800)   /* 2026-03-18T08:00:00Z */
#define STEP 15
#define N (12 * 3600 / STEP)      /* twelve hours */

/* The new-york series: 100 + 5 × (i mod 40) requests/s, a 10-minute sawtooth. */
static double ny(int i) { return 100.0 + 5.0 * (i % 40); }

/* Writes the answer with `bad` applied to new-york's sample 300
 * ("nan", "neg", "gap": samples 290..299 missing, "vector"). */
static void write_json(const char *name, const char *bad)
{
    size_t cap = (size_t)N * 64 + 4096, k = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    k += (size_t)snprintf(buf + k, cap - k, "{\"status\":\"success\",\"data\":{\"resultType\":\"%s\",\"result\":["
                          "{\"metric\":{\"__name__\":\"rps\",\"site\":\"new-york\"},\"values\":[",
                          strcmp(bad, "vector") == 0 ? "vector" : "matrix");
    for (int i = 0, first = 1; i < N; i++) {
        if (strcmp(bad, "gap") == 0 && i >= 290 && i < 300)
            continue;
        const char *v = NULL;
        char num[32];
        snprintf(num, sizeof num, "%g", ny(i));
        if (i == 300 && strcmp(bad, "nan") == 0)
            v = "NaN";
        if (i == 300 && strcmp(bad, "neg") == 0)
            v = "-3";
        k += (size_t)snprintf(buf + k, cap - k, "%s[%lld,\"%s\"]", first ? "" : ",", (long long)(T0 + STEP * i),
                              v ? v : num);
        first = 0;
    }
    k += (size_t)snprintf(buf + k, cap - k, "]},{\"metric\":{\"__name__\":\"rps\",\"site\":\"london\"},\"values\":"
                          "[[%lld,\"50\"],[%lld,\"50\"]]}]}}", (long long)T0, (long long)(T0 + 86400));
    tb_write(name, buf);
    free(buf);
}

/* A CSV of london's rate: RFC 3339 times each minute, 40 then 80 after 09:20Z. */
static void write_csv(const char *name)
{
    size_t cap = 64 * 800 + 64, k = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    k += (size_t)snprintf(buf + k, cap - k, "timestamp,value\n");
    for (int m = 0; m < 720; m++)
        k += (size_t)snprintf(buf + k, cap - k, "2026-03-18T%02d:%02d:00Z,%d\n", 8 + m / 60, m % 60,
                              m < 80 ? 40 : 80);
    tb_write(name, buf);
    free(buf);
}

/* 05:00 in New York on 2026-03-18 (EDT, UTC-4) is 09:00Z: sample 240 of the
 * JSON, where the sawtooth restarts at 100. */
static const char scenario_head[] =
    "scenario { name = \"recorded\", date = \"2026-03-18\", timezone = \"America/New_York\", start = \"05:00\",\n"
    "           duration = \"30m\", sample_every = \"60s\" }\n"
    "region { name = \"us-east\" }\n"
    "nodegroup { name = \"g1\", region = \"us-east\", cpu = 16, memory = \"64Gi\", min = 2 }\n"
    "site { name = \"new-york\" }\n"
    "site { name = \"london\" }\n"
    "latency { from = \"new-york\", to = \"us-east\", ms = 5 }\n"
    "latency { from = \"london\", to = \"us-east\", ms = 70 }\n"
    "deployment { name = \"api-us\", region = \"us-east\", replicas = 4, cpu = \"1\", startup = \"1s\",\n"
    "  serve = { service = \"quant-api\", capacity = 200, slo_p95 = \"200ms\" } }\n";

static char *scenario(const char *json, const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s"
             "traffic { site = \"new-york\", service = \"quant-api\", from = \"rec/%s\", series = '{site=\"new-york\"}',\n"
             "          factor = 2 }\n"
             "traffic { site = \"london\", service = \"quant-api\", from = \"rec/london.csv\",\n"
             "          surges = { { start = \"05:25\", hold = \"10m\", factor = 3 } } %s}\n"
             "expect(\"the recording's traffic is served\", function(r) return r.slo[1].error_rate < 0.01 end)\n",
             scenario_head, json, extra);
    return buf;
}

static void setup_files(void)
{
    static int done;
    if (done)
        return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/rec", tb_dir());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    write_json("rec/rates.json", "");
    write_json("rec/nan.json", "nan");
    write_json("rec/neg.json", "neg");
    write_json("rec/gap.json", "gap");
    write_json("rec/vector.json", "vector");
    write_csv("rec/london.csv");
    done = 1;
}

/* metrics.csv's value of series `key` at time t (seconds), or -1. */
static double metric(const char *csv, long t, const char *key)
{
    char want[128];
    snprintf(want, sizeof want, "\n%ld,%s,", t, key);
    const char *p = strstr(csv, want);
    return p ? atof(p + strlen(want)) : -1.0;
}

START_TEST(rates_recorded_rate_drives_the_run_on_the_scenario_clock)
{
    setup_files();
    tb_write("run.lua", scenario("rates.json", ""));
    ck_assert_msg(tb_run("run run.lua --quiet --force --out out-run") == 0, "%s", tb_err());
    char path[512];
    snprintf(path, sizeof path, "%s/out-run/metrics.csv", tb_dir());
    char *csv = tb_read(path, NULL);
    ck_assert_ptr_nonnull(csv);
    /* The rps of minute [t - 60, t): new-york 2 × the sawtooth's mean over the
     * minute, london's CSV (40, 80 from 09:20Z = run 20 min), × 3 in the surge
     * (run 25 min to 35 min, held past the end). */
    for (long t = 120; t <= 1800; t += 60) {
        double lo = (double)(t - 60) / STEP, want_ny = 0;
        for (int s = 0; s < 60; s++) {   /* the exact mean of the interpolated sawtooth, by the second */
            double x = lo + s / (double)STEP + 0.5 / STEP;
            int i = 240 + (int)x;
            double f = x - (int)x;
            want_ny += (ny(i) + (ny(i + 1) - ny(i)) * f) / 60.0;
        }
        double london = t <= 20 * 60 ? 40 : 80;
        if (t - 60 >= 25 * 60)
            london *= 3;
        double want = 2 * want_ny + london, got = metric(csv, t, "us-east,service,quant-api,rps");
        if (t == 20 * 60)
            continue;   /* the minute the CSV's rate climbs from 40 to 80 (linearly, to 09:20Z) */
        ck_assert_msg(got > want * 0.97 && got < want * 1.03, "t=%ld: rps %g, want %g", t, got, want);
    }
    free(csv);   /* exit 0 above: the expectation passed */
}
END_TEST

/* Each bad recording: the JSON file, the words of the message. */
static const struct {
    const char *json, *extra, *want1, *want2;
} BAD[] = {
    {"nan.json", "", "run.lua:11: traffic 'new-york -> quant-api': field 'from': rec/nan.json: "
                     "data.result[0].values[300] (2026-03-18T09:15:00Z)", "the rate is NaN"},
    {"neg.json", "", "rec/neg.json: data.result[0].values[300] (2026-03-18T09:15:00Z)", "the rate -3 is negative"},
    {"gap.json", "", "rec/gap.json: data.result[0].values[290] (2026-03-18T09:15:00Z)", "165 s since the previous "
                                                                                          "sample, more than max_gap"},
    {"vector.json", "", "rec/vector.json: data.resultType: 'vector', expected 'matrix'", NULL},
    {"rates.json", ", max_gap = \"0s\"", "field 'max_gap'", NULL},
    {"rates.json", ", daily = { { \"00:00\", 1 } }", "field 'daily': a recorded rate has its own daily shape", NULL},
    {"rates.json", ", rate = 5", "field 'rate': give one of 'rate'", NULL},
};

START_TEST(rates_bad_recordings_exit_2_naming_file_and_sample)
{
    setup_files();
    const char *src = scenario(BAD[_i].json, BAD[_i].extra);
    if (strstr(BAD[_i].extra, "max_gap") || strstr(BAD[_i].extra, "daily") || strstr(BAD[_i].extra, "rate ="))
        src = scenario("rates.json", BAD[_i].extra);
    char name[32];
    snprintf(name, sizeof name, "run.lua");
    tb_write(name, src);
    ck_assert_int_eq(tb_run("validate run.lua"), 2);
    ck_assert_msg(strstr(tb_err(), BAD[_i].want1) != NULL, "case %d: '%s' lacks '%s'", _i, tb_err(), BAD[_i].want1);
    if (BAD[_i].want2)
        ck_assert_msg(strstr(tb_err(), BAD[_i].want2) != NULL, "case %d: '%s' lacks '%s'", _i, tb_err(),
                      BAD[_i].want2);
}
END_TEST

START_TEST(rates_range_must_cover_the_run)
{
    setup_files();
    char src[4096];
    snprintf(src, sizeof src, "%s", scenario("rates.json", ""));
    char *d = strstr(src, "duration = \"30m\"");
    ck_assert_ptr_nonnull(d);
    memcpy(d, "duration = \"20h\"", 16);
    tb_write("cover.lua", src);
    ck_assert_int_eq(tb_run("validate cover.lua"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "cover.lua:11: traffic 'new-york -> quant-api': field 'from': "
                                           "rec/rates.json: the recording (2026-03-18T08:00:00Z to "
                                           "2026-03-18T19:59:45Z, 2880 samples) does not cover the run "
                                           "(2026-03-18T09:00:00Z to 2026-03-19T05:00:00Z)"));
    /* Without a date the run is on the default day: the message says to set one. */
    snprintf(src, sizeof src, "%s", scenario("rates.json", ""));
    d = strstr(src, "date = \"2026-03-18\", ");
    memmove(d, d + 20, strlen(d + 20) + 1);
    tb_write("nodate.lua", src);
    ck_assert_int_eq(tb_run("validate nodate.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "set scenario { date = \"YYYY-MM-DD\" }") != NULL, "%s", tb_err());
    /* Two series and no selector: the message lists them. */
    snprintf(src, sizeof src, "%s", scenario("rates.json", ""));
    d = strstr(src, "series = '{site=\"new-york\"}',");
    memset(d, ' ', strlen("series = '{site=\"new-york\"}',"));
    tb_write("two.lua", src);
    ck_assert_int_eq(tb_run("validate two.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "rec/rates.json: 2 series match; pick one by its labels") != NULL, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "{__name__=\"rps\", site=\"london\"}") != NULL, "%s", tb_err());
}
END_TEST

/* ---- load from market days (issue 20, item 2) ------------------------------------------------ */

/* The shipped scenario on the real closes: rank N is the N-th largest
 * absolute DAX log return of the file (rows counted by Python from the CSV:
 * 36 is 19 August 1991, -9.63 %; 1652 is 28 October 1997, -6.01 %), and
 * the expectations pass on both. */
START_TEST(rates_market_day_scenario_picks_the_day_by_its_move)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_ptr_nonnull(src);
    static const struct {
        const char *set, *want;
    } days[] = {
        {"rank=1", "DAX row 36 (year 1991.631): log return -9.63 %"},
        {"rank=2", "DAX row 1652 (year 1997.846): log return -6.01 %"},
        {"day=100", "DAX row 100 (year 1991.877): log return -0.01 %"},
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        int rc = tb_run("run '%s/scenarios/market_day_volatility.lua' --set %s --force --out mdv-%zu", src,
                        days[i].set, i);
        ck_assert_msg(rc == 0, "%s: exit %d: %s", days[i].set, rc, tb_err());
        ck_assert_msg(strstr(tb_err(), days[i].want) != NULL, "%s: '%s' lacks '%s'", days[i].set, tb_err(),
                      days[i].want);
    }
}
END_TEST

START_TEST(rates_prices_refuses_unknown_assets_and_files)
{
    const char *src = getenv("KUBESIM_SRC");
    char text[2048];
    snprintf(text, sizeof text, "local c = prices { data = \"%s/scenarios/data/eustockmarkets.csv\", asset = \"NIKKEI\" }\n"
             "region { name = \"r\" }\n", src);
    tb_write("prices.lua", text);
    ck_assert_int_eq(tb_run("validate prices.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "prices.lua:1: prices: field 'asset': ") != NULL &&
                  strstr(tb_err(), "has no asset 'NIKKEI' (it has DAX, ...)") != NULL, "%s", tb_err());
    tb_write("prices2.lua", "local c = prices { data = \"missing.csv\" }\nregion { name = \"r\" }\n");
    ck_assert_int_eq(tb_run("validate prices2.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "prices.lua:1:") == NULL && strstr(tb_err(), "prices2.lua:1: prices: field "
                  "'data': missing.csv") != NULL, "%s", tb_err());
    snprintf(text, sizeof text, "local c = prices { data = \"%s/scenarios/data/eustockmarkets.csv\", asset = \"SMI\" }\n"
             "assert(#c == 1860 and c[1] == 1678.1 and c[1860] == 7676.3, #c)\nregion { name = \"r\" }\n", src);
    tb_write("prices3.lua", text);
    ck_assert_msg(tb_run("validate prices3.lua") == 0, "%s", tb_err());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rates");
    TCase *tc = tcase_create("recorded");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rates_recorded_rate_drives_the_run_on_the_scenario_clock);
    tcase_add_loop_test(tc, rates_bad_recordings_exit_2_naming_file_and_sample, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, rates_range_must_cover_the_run);
    tcase_add_test(tc, rates_market_day_scenario_picks_the_day_by_its_move);
    tcase_add_test(tc, rates_prices_refuses_unknown_assets_and_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("rates") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
