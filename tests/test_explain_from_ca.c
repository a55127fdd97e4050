/*
 * test_explain_from_ca.c: `kubesim explain autoscaler --from RUN_DIR --at
 * TIME [--region R]` agrees with the run. Every shipped scenario whose
 * autoscaler scaled up is run once; from its trace (kubesim trace dump) its
 * ca_decision records are listed, and at the first, the last and evenly
 * between, explain --from (without --region: the region whose loop scaled up
 * then) must choose the run's group and node count, and give them as the
 * run's ("run": {chosen {group, delta}}). A draw among equal expander scores
 * ("run": {"tie": true}) is the one allowed difference; no shipped scenario
 * has one today. At loops between the decisions, in every shipped scenario,
 * explain and the run agree too (mostly "no scale-up").
 * Also: --case writes a case that plain explain autoscaler answers the same
 * way; several regions without --region, an unknown region, a time outside
 * the run or before the first loop exit 2 with the reason.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

#define MAX_DECISIONS 1024

typedef struct Decision {
    long long ns;
    char t[32];                  /* seconds, to the nanosecond */
    int delta;
} Decision;

static const char *const scaling[] = {"market_open_surge", "market_day_volatility", "gpu_training_burst",
                                      "month_end_backtest_storm", "region_outage"};
/* Every shipped scenario, and a region to name when it has several. */
static const char *const all[][2] = {{"market_open_surge", "us-east"}, {"market_day_volatility", NULL},
                                     {"gpu_training_burst", NULL}, {"month_end_backtest_storm", NULL},
                                     {"nightly_data_pipeline", NULL}, {"quota_contention", NULL},
                                     {"region_outage", "eu-west"}};

static char src[1024];

/* tb_shipped_run, failing the test when the run fails. */
static const char *shipped_run(const char *scn)
{
    const char *dir = tb_shipped_run(src, scn);
    ck_assert_msg(dir != NULL, "%s: %s", scn, tb_err());
    return dir;
}

/* The ca_decision records of run dir, in trace order; *end: the last record's time. */
static size_t decisions(const char *dir, Decision *out, long long *end)
{
    ck_assert_int_eq(tb_run("trace dump %s/trace.kst", dir), 0);
    char *text = strdup(tb_out());
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItem(r, "t_ns");
        if (cJSON_IsNumber(t))
            *end = (long long)t->valuedouble;
        if (strstr(line, "\"ca_decision\"") && n < MAX_DECISIONS) {
            out[n].ns = (long long)t->valuedouble;
            snprintf(out[n].t, sizeof out[n].t, "%lld.%09lld", out[n].ns / 1000000000, out[n].ns % 1000000000);
            out[n].delta = cJSON_GetObjectItem(r, "delta")->valueint;
            n++;
        }
        cJSON_Delete(r);
    }
    free(text);
    return n;
}

static cJSON *explain_json(const char *dir, const char *scn, const char *t, const char *more)
{
    int rc = tb_run("explain autoscaler --from %s --scenario %s/scenarios/%s.lua --at %s --json %s", dir, src, scn, t,
                    more);
    ck_assert_msg(rc == 0, "%s: at %s: exit %d: %s", scn, t, rc, tb_err());
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_msg(j != NULL, "not JSON: %s", tb_out());
    return j;
}

/* explain's choice is the run's: both none, or the same group and count (a
 * tie among equal scores aside). */
static void agrees(const char *scn, const char *t, const cJSON *j)
{
    const cJSON *run = cJSON_GetObjectItem(j, "run");
    ck_assert_msg(run != NULL, "%s: no run", scn);
    const cJSON *mine = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "scaleUp"), "chosen");
    const cJSON *theirs = cJSON_GetObjectItem(run, "chosen");
    ck_assert_msg(cJSON_IsNull(mine) == cJSON_IsNull(theirs), "%s at %s: explain %s, the run %s", scn, t,
                  cJSON_IsNull(mine) ? "does not scale up" : "scales up", cJSON_IsNull(theirs) ? "did not" : "did");
    if (cJSON_IsNull(mine) || cJSON_IsTrue(cJSON_GetObjectItem(run, "tie")))
        return;
    const char *g = cJSON_GetStringValue(cJSON_GetObjectItem(mine, "group"));
    const char *rg = cJSON_GetStringValue(cJSON_GetObjectItem(theirs, "group"));
    ck_assert_msg(g && rg && strcmp(g, rg) == 0, "%s at %s: explain chooses %s, the run chose %s", scn, t, g, rg);
    ck_assert_msg(cJSON_GetObjectItem(mine, "delta")->valueint == cJSON_GetObjectItem(theirs, "delta")->valueint,
                  "%s at %s: explain adds %d nodes of %s, the run %d", scn, t,
                  cJSON_GetObjectItem(mine, "delta")->valueint, g, cJSON_GetObjectItem(theirs, "delta")->valueint);
}

START_TEST(explain_autoscaler_from_agrees_with_the_runs_scale_ups)
{
    static Decision d[MAX_DECISIONS];
    const char *scn = scaling[_i];
    char dir[64];
    long long end = 0;
    snprintf(dir, sizeof dir, "%s", shipped_run(scn));
    size_t n = decisions(dir, d, &end);
    ck_assert_msg(n >= 1, "%s: no scale-up traced", scn);
    for (size_t k = 0; k <= 4; k++) {   /* the first, the last and evenly between */
        const Decision *x = &d[k * (n - 1) / 4];
        cJSON *j = explain_json(dir, scn, x->t, "");
        agrees(scn, x->t, j);
        const cJSON *run = cJSON_GetObjectItem(j, "run");
        ck_assert_msg(!cJSON_IsNull(cJSON_GetObjectItem(run, "chosen")), "%s at %s: the run's loop did not scale up",
                      scn, x->t);
        ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "chosen"), "delta")->valueint, x->delta);
        ck_assert_msg((long long)(cJSON_GetObjectItem(run, "loopAt")->valuedouble * 1e9 + 0.5) == x->ns,
                      "%s: the loop taken is not the traced one (%s)", scn, x->t);
        cJSON_Delete(j);
    }
}
END_TEST

START_TEST(explain_autoscaler_from_agrees_between_the_scale_ups)
{
    static Decision d[MAX_DECISIONS];
    const char *scn = all[_i][0], *region = all[_i][1];
    char dir[64], more[64] = "";
    long long end = 0;
    snprintf(dir, sizeof dir, "%s", shipped_run(scn));
    if (region)
        snprintf(more, sizeof more, "--region %s", region);
    (void)decisions(dir, d, &end);
    for (int k = 1; k <= 3; k++) {
        char t[32];
        snprintf(t, sizeof t, "%lld", end * k / 4 / 1000000000);
        cJSON *j = explain_json(dir, scn, t, more);
        agrees(scn, t, j);
        cJSON_Delete(j);
    }
}
END_TEST

START_TEST(case_file_is_the_case_explain_autoscaler_reads)
{
    (void)shipped_run("market_open_surge");
    static Decision d[MAX_DECISIONS];
    long long end = 0;
    size_t n = decisions("run-market_open_surge", d, &end);
    ck_assert_uint_gt(n, 0);
    cJSON *j = explain_json("run-market_open_surge", "market_open_surge", d[0].t, "--case case.json");
    ck_assert_int_eq(tb_run("explain autoscaler case.json --json"), 0);
    cJSON *plain = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(plain);
    cJSON_DeleteItemFromObject(j, "run");   /* the same answer, but for the run's own part */
    ck_assert_msg(cJSON_Compare(j, plain, 1), "explain autoscaler --from and explain of its --case differ");
    cJSON_Delete(plain);
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge --scenario "
                            "%s/scenarios/market_open_surge.lua --at %s",
                            src, d[0].t), 0);
    char want[64];
    snprintf(want, sizeof want, " +%d in region us-east", d[0].delta);
    ck_assert_msg(strstr(tb_out(), "the run: scale-up ") && strstr(tb_out(), want), "%s", tb_out());
}
END_TEST

START_TEST(bad_requests_exit_2_with_the_reason)
{
    (void)shipped_run("market_open_surge");
    const char *scn = "--scenario";
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge %s %s/scenarios/market_open_surge.lua "
                            "--at 600", scn,
                            src), 2);
    ck_assert_msg(strstr(tb_err(), "--region") && strstr(tb_err(), "eu-west"), "%s", tb_err());
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge %s %s/scenarios/market_open_surge.lua "
                            "--at 600 "
                            "--region mars", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "mars") && strstr(tb_err(), "us-east"), "%s", tb_err());
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge %s %s/scenarios/market_open_surge.lua "
                            "--at 999h", scn,
                            src), 2);
    ck_assert_msg(strstr(tb_err(), "999h") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge %s %s/scenarios/market_open_surge.lua "
                            "--at 5", scn,
                            src), 2);
    ck_assert_msg(strstr(tb_err(), "no autoscaler loop") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge --hpa x --at 60"), 2);
    ck_assert_int_eq(tb_run("explain autoscaler --from run-market_open_surge --pod x --at 60"), 2);
    ck_assert_int_eq(tb_run("explain schedule --from run-market_open_surge --pod x --region us-east --at 60"), 2);
    ck_assert_str_eq(tb_out(), "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("explain_from_ca");
    TCase *tc = tcase_create("explain_from_ca");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, explain_autoscaler_from_agrees_with_the_runs_scale_ups, 0,
                        (int)(sizeof scaling / sizeof *scaling));
    tcase_add_loop_test(tc, explain_autoscaler_from_agrees_between_the_scale_ups, 0, (int)(sizeof all / sizeof *all));
    tcase_add_test(tc, case_file_is_the_case_explain_autoscaler_reads);
    tcase_add_test(tc, bad_requests_exit_2_with_the_reason);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *root = getenv("KUBESIM_SRC");
    snprintf(src, sizeof src, "%s", root ? root : ".");
    if (tb_setup("explain-from-ca") != 0)
        return 2;
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
