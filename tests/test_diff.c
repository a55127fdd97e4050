/*
 * test_diff.c: `kubesim diff RUN_A RUN_B` on real runs of the built-in
 * scenario. The fixtures are made once in main: a sweep of two
 * configurations (cpu-us-east.max 8 and 16) kept whole with --keep-runs,
 * another without it, and two plain runs (surge 10 and 12).
 * Pinned: the sweep's first divergent decision (with max 16 the autoscaler
 * adds a cpu-us-east node, its ca_decision record when the trace has one,
 * where, capped at 8, the scheduler preempts), the
 * configuration line naming the varied field, the summary's signs and per
 * cents against the two summary files, the top metrics gap against the two
 * metrics.csv files, identical runs agreeing, and exit 2 naming what is
 * missing.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd.h"
#include "scenarios/scn.h"
#include "tb.h"
#include "tr.h"

/* A small run for the out-of-memory sweep: two node-group sizes. */
static const char small_scenario[] =
    "scenario { name = \"small\", duration = \"40m\", sample_every = \"5m\" }\n"
    "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
    "local mx = param(\"max\", 20, \"the pool's maximum\")\n"
    "nodegroup { name = \"pool\", cpu = \"4\", memory = \"16Gi\", min = 2, max = mx, size = 2,\n"
    "            provision_delay = \"90s\", price = 0.2 }\n"
    "deployment { name = \"web\", replicas = 4, cpu = \"1\", memory = \"1Gi\" }\n"
    "at(\"5m\", function(k) k.scale(\"web\", 30) end)\n";

static cJSON *diff_json(const char *a, const char *b)
{
    int rc = tb_run("diff %s %s --json", a, b);
    ck_assert_msg(rc == 0, "diff %s %s: exit %d: %s", a, b, rc, tb_err());
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_msg(j != NULL, "not JSON: %s", tb_out());
    return j;
}

static const char *text_of(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    ck_assert_msg(s != NULL, "no string %s", k);
    return s;
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(x), "no number %s", k);
    return x->valuedouble;
}

static const cJSON *change(const cJSON *j, const char *key)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "summary"))
        if (strcmp(text_of(x, "key"), key) == 0)
            return x;
    return NULL;
}

static double summary_num(const char *dir, const char *sect, const char *key)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/summary.json", tb_dir(), dir);
    char *t = tb_read(path, NULL);
    ck_assert_ptr_nonnull(t);
    cJSON *j = cJSON_Parse(t);
    double v = num_of(cJSON_GetObjectItemCaseSensitive(j, sect), key);
    cJSON_Delete(j);
    free(t);
    return v;
}

START_TEST(sweep_configs_name_the_first_divergent_decision)
{
    cJSON *j = diff_json("sw/configs/0", "sw/configs/1");
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(j, "divergence");
    ck_assert_msg(cJSON_IsObject(dv), "no divergence: %s", tb_out());
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(dv, "b"), *a = cJSON_GetObjectItemCaseSensitive(dv, "a");
    /* capped at 8 nodes, A has no scale-up at that instant; B (max 16) does */
    ck_assert_msg(strcmp(text_of(b, "kind"), "ca_decision") == 0 || strcmp(text_of(b, "kind"), "ca_scale_up") == 0,
                  "%s", text_of(b, "kind"));
    ck_assert_msg(strncmp(text_of(b, "text"), "autoscaler chose cpu-us-east +", 30) == 0, "%s", text_of(b, "text"));
    ck_assert_msg(strncmp(text_of(a, "kind"), "ca_", 3) != 0, "%s", text_of(a, "kind"));
    ck_assert_double_eq(num_of(a, "t_seconds"), num_of(b, "t_seconds"));
    char want[2048];
    snprintf(want, sizeof want, "first divergence %s: %s in A, %s in B", text_of(dv, "time"), text_of(a, "text"),
             text_of(b, "text"));
    ck_assert_str_eq(text_of(dv, "message"), want);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "configuration");
    ck_assert_int_eq(cJSON_GetArraySize(cfg), 1);
    ck_assert_str_eq(cJSON_GetArrayItem(cfg, 0)->valuestring, "nodegroup cpu-us-east: max 8 in A, 16 in B");
    cJSON_Delete(j);
    /* the text form says the same */
    ck_assert_int_eq(tb_run("diff sw/configs/0 sw/configs/1"), 0);
    ck_assert_msg(strstr(tb_out(), want) != NULL, "%s", tb_out());
    ck_assert_msg(strstr(tb_out(), "nodegroup cpu-us-east: max 8 in A, 16 in B") != NULL, "%s", tb_out());
}
END_TEST

START_TEST(summary_changes_carry_sign_and_percent_of_a)
{
    cJSON *j = diff_json("runA", "runB");
    const char *keys[][2] = {{"quota", "rejections"}, {"pods", "created"}};
    for (size_t i = 0; i < 2; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s.%s", keys[i][0], keys[i][1]);
        double va = summary_num("runA", keys[i][0], keys[i][1]), vb = summary_num("runB", keys[i][0], keys[i][1]);
        const cJSON *c = change(j, key);
        ck_assert_msg(va != vb, "%s: surge 12 should change it", key);
        ck_assert_msg(c != NULL, "%s missing from %s", key, tb_out());
        ck_assert_double_eq_tol(num_of(c, "delta"), vb - va, 1e-9);
        ck_assert_double_eq_tol(num_of(c, "percent"), 100 * (vb - va) / va, 1e-9);
    }
    ck_assert_ptr_null(change(j, "wall_seconds"));
    ck_assert_ptr_null(change(j, "trace_sha256"));
    ck_assert_ptr_null(change(j, "seed"));   /* same in both: not listed */
    /* arrays are matched by name: the SLO row of quant-api in us-east */
    ck_assert_ptr_nonnull(change(j, "slo[quant-api@us-east].violation_seconds"));
    cJSON_Delete(j);
}
END_TEST

/* The value of series (region/object/name/metric) at t in DIR/metrics.csv. */
static double csv_value(const char *dir, const char *series, double t)
{
    char path[512], want[512], copy[256];
    snprintf(path, sizeof path, "%s/%s/metrics.csv", tb_dir(), dir);
    snprintf(copy, sizeof copy, "%s", series);
    for (char *p = copy; *p; p++)
        if (*p == '/')
            *p = ',';
    snprintf(want, sizeof want, "\n%.0f,%s,", t, copy);
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    char *hit = strstr(text, want);
    double v = hit ? strtod(hit + strlen(want), NULL) : NAN;
    free(text);
    return v;
}

START_TEST(metrics_gap_is_read_from_both_files)
{
    cJSON *j = diff_json("sw/configs/0", "sw/configs/1");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "metrics");
    ck_assert_int_gt(cJSON_GetArraySize(m), 0);
    ck_assert_int_le(cJSON_GetArraySize(m), 10);
    const cJSON *x;
    cJSON_ArrayForEach(x, m) {
        double t = num_of(x, "t_seconds"), a = num_of(x, "a"), b = num_of(x, "b");
        ck_assert_double_ne(a, b);
        ck_assert_double_eq_tol(num_of(x, "delta"), b - a, 1e-9);
        double fa = csv_value("sw/configs/0", text_of(x, "series"), t);
        double fb = csv_value("sw/configs/1", text_of(x, "series"), t);
        /* a series absent at t in one run holds its last value (or 0): check the present ones */
        if (!isnan(fa))
            ck_assert_double_eq_tol(a, fa, 1e-9 * fmax(1, fabs(fa)));
        if (!isnan(fb))
            ck_assert_double_eq_tol(b, fb, 1e-9 * fmax(1, fabs(fb)));
        ck_assert_msg(!isnan(fa) || !isnan(fb), "%s at %g in neither file", text_of(x, "series"), t);
    }
    cJSON_Delete(j);
}
END_TEST

START_TEST(identical_runs_agree)
{
    cJSON *j = diff_json("runA", "runA");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "summary")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "metrics")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "configuration")), 0);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "divergence")));
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("diff runA runA"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "the two runs took the same decisions"));
}
END_TEST

START_TEST(missing_folders_and_files_exit_2_naming_them)
{
    ck_assert_int_eq(tb_run("diff runA no-such-run"), 2);
    ck_assert_msg(strstr(tb_err(), "no-such-run") != NULL, "%s", tb_err());
    ck_assert_str_eq(tb_out(), "");
    /* a sweep without --keep-runs keeps only summary.json */
    ck_assert_int_eq(tb_run("diff bare/configs/0 bare/configs/1"), 2);
    ck_assert_msg(strstr(tb_err(), "bare/configs/0/metrics.csv") != NULL, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "--keep-runs") != NULL, "%s", tb_err());
    ck_assert_str_eq(tb_out(), "");
    ck_assert_int_eq(tb_run("diff runA"), 2);
    ck_assert_int_eq(tb_run("diff runA runB --nope"), 2);
}
END_TEST

/* Every allocation of a diff fails in turn: SIM_ENOMEM with a message and
 * nothing printed, or the whole answer; nothing leaks either way. */
START_TEST(out_of_memory_at_every_allocation)
{
    SimTrSchema schema;
    ck_assert_int_eq(scn_trace_schema(&schema), SIM_OK);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/small6", tb_dir());
    snprintf(b, sizeof b, "%s/small20", tb_dir());
    int done = 0;
    for (uint64_t n = 1; !done && n < 200000; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        SimErr err = SIM_ERR_INIT;
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        int rc = rnd_diff(&m, &schema, a, b, 1, out, &err);
        fclose(out);
        ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "allocation %llu: rc %d: %s", (unsigned long long)n, rc,
                      err.msg);
        if (rc == SIM_ENOMEM) {
            ck_assert_msg(len == 0, "allocation %llu: printed after a failure", (unsigned long long)n);
            ck_assert_msg(strstr(err.msg, "out of memory") != NULL, "allocation %llu: %s", (unsigned long long)n,
                          err.msg);
        } else {
            ck_assert_msg(strstr(text, "\"divergence\"") != NULL, "%s", text);
            done = 1;
        }
        ck_assert_msg(m.live == 0, "allocation %llu: %lld bytes leaked", (unsigned long long)n, (long long)m.live);
        free(text);
    }
    ck_assert(done);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("diff");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sweep_configs_name_the_first_divergent_decision);
    tcase_add_test(tc, summary_changes_carry_sign_and_percent_of_a);
    tcase_add_test(tc, metrics_gap_is_read_from_both_files);
    tcase_add_test(tc, identical_runs_agree);
    tcase_add_test(tc, missing_folders_and_files_exit_2_naming_them);
    tcase_add_test(tc, out_of_memory_at_every_allocation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("diff") != 0)
        return 2;
    int ok = tb_run("sweep --vary cpu-us-east.max=8,16 --jobs 1 --keep-runs --out sw --quiet") == 0 &&
             tb_run("sweep --vary cpu-us-east.max=8,16 --jobs 1 --out bare --quiet") == 0 &&
             tb_run("run --quiet --out runA") == 0 && tb_run("run --quiet --out runB --set surge=12") == 0 &&
             tb_write("small.lua", small_scenario) != NULL &&
             tb_run("run small.lua --quiet --out small6 --set max=6") == 0 &&
             tb_run("run small.lua --quiet --out small20") == 0;
    if (!ok) {
        fprintf(stderr, "test_diff: the fixture runs failed: %s\n", tb_err());
        tb_cleanup();
        return 1;
    }
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
