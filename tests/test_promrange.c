/*
 * test_promrange.c: sim/promrange.c, the reader of Prometheus range-query
 * answers and timestamp,value CSVs (issue 20, items 1 and 3): labels and
 * samples as written, Prometheus' value strings, the refusals with the file
 * and the sample, label selection, and an out-of-memory sweep.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/promrange.h"

#include "tr.h"

static const char *const TWO =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
    "{\"metric\":{\"__name__\":\"rate\",\"job\":\"api\",\"site\":\"new-york\"},"
    "\"values\":[[1773820800,\"812.5\"],[1773820815.5,\"790\"],[1773820830,\"NaN\"]]},"
    "{\"metric\":{\"__name__\":\"rate\",\"job\":\"api\",\"site\":\"london\"},"
    "\"values\":[[1773820800,\"1e2\"],[1773820860,\"+Inf\"]]}]}}";

static int parse(const char *text, SimPromRange *r, SimErr *err)
{
    static SimMem m;
    sim_mem_init(&m);
    return sim_prom_parse_json(&m, text, strlen(text), "rates.json", r, err);
}

START_TEST(promrange_reads_labels_and_samples_as_written)
{
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(parse(TWO, &r, &err), SIM_OK);
    ck_assert_uint_eq(r.nseries, 2);
    ck_assert_str_eq(sim_prom_label(&r.series[0], "site"), "new-york");
    ck_assert_str_eq(sim_prom_label(&r.series[1], "site"), "london");
    ck_assert_ptr_null(sim_prom_label(&r.series[1], "instance"));
    ck_assert_uint_eq(r.series[0].n, 3);
    ck_assert_int_eq(r.series[0].t_ms[0], INT64_C(1773820800000));
    ck_assert_int_eq(r.series[0].t_ms[1], INT64_C(1773820815500));   /* float seconds to whole ms */
    ck_assert_double_eq(r.series[0].v[0], 812.5);
    ck_assert(isnan(r.series[0].v[2]));
    ck_assert_double_eq(r.series[1].v[0], 100.0);
    ck_assert(isinf(r.series[1].v[1]) && r.series[1].v[1] > 0);
    char buf[128];
    ck_assert_str_eq(sim_prom_where(&r, 0, 1, buf, sizeof buf), "data.result[0].values[1] (2026-03-18T08:00:15.500Z)");
    ck_assert_str_eq(sim_prom_labels_text(&r.series[1], buf, sizeof buf),
                     "{__name__=\"rate\", job=\"api\", site=\"london\"}");
    sim_prom_free(&r);
}
END_TEST

START_TEST(promrange_accepts_the_data_object_alone)
{
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(parse("{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"2\"]]}]}", &r, &err), SIM_OK);
    ck_assert_uint_eq(r.nseries, 1);
    ck_assert_uint_eq(r.series[0].nlabels, 0);
    sim_prom_free(&r);
}
END_TEST

/* Each bad answer and the words its message must carry. */
static const struct {
    const char *text, *want;
} BAD[] = {
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
     "rates.json: data.resultType: 'vector', expected 'matrix'"},
    {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}",
     "rates.json: status: the query failed (error): parse error"},
    {"{\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", "rates.json: data.result: no series"},
    {"{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"2\"],[1,\"3\"]]}]}}",
     "rates.json: data.result[0].values[1] (1970-01-01T00:00:01Z): times must strictly increase"},
    {"{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"2\"],[2,\"x3\"]]}]}}",
     "rates.json: data.result[0].values[1] (1970-01-01T00:00:02Z): the value 'x3' is not a number"},
    {"{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"2\"],[2]]}]}}",
     "rates.json: data.result[0].values[1]"},
    {"{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{}}]}}", "rates.json: data.result[0]: has no 'values'"},
    {"{\"data\":\n{\"resultType\":\"matrix\",,}}", "rates.json:2: not valid JSON"},
    {"[1, 2]", "rates.json: not a Prometheus query answer"},
};

START_TEST(promrange_refuses_bad_answers_naming_the_sample)
{
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(parse(BAD[_i].text, &r, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), BAD[_i].want) != NULL, "case %d: got '%s'", _i, sim_err_msg(&err));
    sim_prom_free(&r);
}
END_TEST

START_TEST(promrange_reads_csv_with_unix_or_rfc3339_times)
{
    static const char csv[] = "timestamp,value\n1773820800,10\n2026-03-18T08:01:00Z,20.5\n"
                              "2026-03-18T09:02:00+01:00,NaN\n\n";
    SimMem m;
    sim_mem_init(&m);
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(sim_prom_parse_csv(&m, csv, strlen(csv), "r.csv", &r, &err), SIM_OK);
    ck_assert_uint_eq(r.nseries, 1);
    ck_assert_uint_eq(r.series[0].n, 3);
    ck_assert_int_eq(r.series[0].t_ms[1] - r.series[0].t_ms[0], 60000);
    ck_assert_int_eq(r.series[0].t_ms[2] - r.series[0].t_ms[0], 120000);
    ck_assert_double_eq(r.series[0].v[1], 20.5);
    char buf[96];
    ck_assert_str_eq(sim_prom_where(&r, 0, 1, buf, sizeof buf), "line 3 (2026-03-18T08:01:00Z)");
    sim_prom_free(&r);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

static const struct {
    const char *text, *want;
} BADCSV[] = {
    {"1,2\n3,4,5\n", "r.csv:2: expected two fields"},
    {"1,2\n2026-02-30T00:00:00Z,4\n", "r.csv:2: timestamp: '2026-02-30T00:00:00Z' is neither"},
    {"1,2\n2,abc\n", "r.csv:2: value: 'abc' is not a number"},
    {"5,2\n4,3\n", "r.csv:2: timestamp: times must strictly increase"},
    {"timestamp,value\n", "r.csv: no samples"},
};

START_TEST(promrange_refuses_bad_csv_naming_the_line)
{
    SimMem m;
    sim_mem_init(&m);
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(sim_prom_parse_csv(&m, BADCSV[_i].text, strlen(BADCSV[_i].text), "r.csv", &r, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), BADCSV[_i].want) != NULL, "case %d: got '%s'", _i, sim_err_msg(&err));
    sim_prom_free(&r);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(promrange_selects_one_series_by_labels)
{
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    size_t i = 99;
    ck_assert_int_eq(parse(TWO, &r, &err), SIM_OK);
    ck_assert_int_eq(sim_prom_select(&r, "{site=\"london\"}", &i, &err), SIM_OK);
    ck_assert_uint_eq(i, 1);
    ck_assert_int_eq(sim_prom_select(&r, "rate{job=\"api\", site='new-york'}", &i, &err), SIM_OK);
    ck_assert_uint_eq(i, 0);
    ck_assert_int_eq(sim_prom_select(&r, "site=london", &i, &err), SIM_OK);
    ck_assert_uint_eq(i, 1);
    ck_assert_int_eq(sim_prom_select(&r, NULL, &i, &err), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_err_msg(&err), "2 series match"));
    ck_assert_int_eq(sim_prom_select(&r, "{site=\"paris\"}", &i, &err), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_err_msg(&err), "no series matches {site=\"paris\"}; the file has {"));
    ck_assert_int_eq(sim_prom_select(&r, "{site=~\"l.*\"}", &i, &err), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_err_msg(&err), "equality matchers only"));
    sim_prom_free(&r);
}
END_TEST

START_TEST(promrange_parses_rfc3339_and_unix_times)
{
    int64_t t;
    ck_assert_int_eq(sim_prom_parse_time("2026-03-18T09:30:00Z", &t), SIM_OK);
    ck_assert_int_eq(t, INT64_C(1773826200000));
    ck_assert_int_eq(sim_prom_parse_time("2026-03-18T05:30:00.250-04:00", &t), SIM_OK);
    ck_assert_int_eq(t, INT64_C(1773826200250));
    ck_assert_int_eq(sim_prom_parse_time("1773826200.5", &t), SIM_OK);
    ck_assert_int_eq(t, INT64_C(1773826200500));
    ck_assert_int_eq(sim_prom_parse_time("-5", &t), SIM_EINVAL);
    ck_assert_int_eq(sim_prom_parse_time("2026-13-01T00:00:00Z", &t), SIM_EINVAL);
    ck_assert_int_eq(sim_prom_parse_time("2026-03-18T09:30:00", &t), SIM_EINVAL);   /* no zone: ambiguous */
    char buf[40];
    sim_prom_time_text(INT64_C(1773826200000), buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-03-18T09:30:00Z");
}
END_TEST

/* Allocation N fails for every N: SIM_ENOMEM, a message, nothing leaked. */
START_TEST(promrange_out_of_memory_leaks_nothing)
{
    static const char csv[] = "1,2\n2,3\n";
    for (uint64_t n = 1; n < 200; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        SimPromRange r;
        SimErr err = SIM_ERR_INIT;
        int rc = sim_prom_parse_json(&m, TWO, strlen(TWO), "rates.json", &r, &err);
        ck_assert(rc == SIM_OK || rc == SIM_ENOMEM);
        sim_prom_free(&r);
        ck_assert_int_eq(m.live, 0);
        sim_mem_init(&m);
        m.fail_at = n;
        rc = sim_prom_parse_csv(&m, csv, strlen(csv), "r.csv", &r, &err);
        ck_assert(rc == SIM_OK || rc == SIM_ENOMEM);
        sim_prom_free(&r);
        ck_assert_int_eq(m.live, 0);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("promrange");
    TCase *tc = tcase_create("promrange");
    tcase_add_test(tc, promrange_reads_labels_and_samples_as_written);
    tcase_add_test(tc, promrange_accepts_the_data_object_alone);
    tcase_add_loop_test(tc, promrange_refuses_bad_answers_naming_the_sample, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, promrange_reads_csv_with_unix_or_rfc3339_times);
    tcase_add_loop_test(tc, promrange_refuses_bad_csv_naming_the_line, 0, (int)(sizeof BADCSV / sizeof BADCSV[0]));
    tcase_add_test(tc, promrange_selects_one_series_by_labels);
    tcase_add_test(tc, promrange_parses_rfc3339_and_unix_times);
    tcase_add_test(tc, promrange_out_of_memory_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_run(suite(), 0) ? 1 : 0;
}
