/*
 * test_scenarios.c: every shipped scenario (each .lua file in scenarios/ of
 * KUBESIM_SRC) through the real binary (KUBESIM_BIN). Each one validates,
 * lists its params as NAME=DEFAULT lines, opens with a comment that tells its
 * story (it is an example to copy), runs with exit 0 and every expectation
 * passed, and runs again with the same seed to the same trace_sha256. The six
 * scenarios issue #7 names must all be there.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb.h"
#include "tr.h"

#define MAX_SCN 64

static char scn_path[MAX_SCN][1024], scn_stem[MAX_SCN][128];
static int nscn;

static const char *const shipped[] = {"market_open_surge", "month_end_backtest_storm", "nightly_data_pipeline",
                                      "region_outage", "gpu_training_burst", "quota_contention",
                                      "market_day_volatility", NULL};

static cJSON *summary(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/summary.json", tb_dir(), dir);
    char *text = tb_read(path, NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    ck_assert_msg(j != NULL, "%s/summary.json does not parse", dir);
    return j;
}

static void find_scenarios(void)
{
    const char *src = getenv("KUBESIM_SRC");
    char pattern[1024];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/scenarios/*.lua", src ? src : ".");
    nscn = 0;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc && nscn < MAX_SCN; i++, nscn++) {
        const char *p = g.gl_pathv[i], *base = strrchr(p, '/');
        snprintf(scn_path[nscn], sizeof scn_path[nscn], "%s", p);
        snprintf(scn_stem[nscn], sizeof scn_stem[nscn], "%s", base ? base + 1 : p);
        scn_stem[nscn][strcspn(scn_stem[nscn], ".")] = '\0';
    }
    globfree(&g);
}

START_TEST(scenarios_the_six_are_shipped)
{
    for (size_t k = 0; shipped[k]; k++) {
        int found = 0;
        for (int i = 0; i < nscn; i++)
            found |= strcmp(scn_stem[i], shipped[k]) == 0;
        ck_assert_msg(found, "scenarios/%s.lua is missing", shipped[k]);
    }
}
END_TEST

/* An example to copy: a header comment naming the scenario and telling its story. */
START_TEST(scenarios_open_with_their_story)
{
    static char text[1 << 17];
    const char *name = scn_stem[_i];
    tb_slurp(scn_path[_i], text, sizeof text);
    char head[200];
    snprintf(head, sizeof head, "-- %s: ", name);
    ck_assert_msg(strncmp(text, head, strlen(head)) == 0, "%s.lua does not start with '%s'", name, head);
    int comment_lines = 0;
    for (const char *l = text; l && strncmp(l, "--", 2) == 0; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        comment_lines++;
    ck_assert_msg(comment_lines >= 8, "%s.lua's header comment has %d lines", name, comment_lines);
    ck_assert_msg(strstr(text, "What to look at") || strstr(text, "Try"), "%s.lua says nothing of what to look at",
                  name);
    ck_assert_msg(strstr(text, "expect(\"") != NULL, "%s.lua has no expectation", name);
    ck_assert_msg(strstr(text, "param(\"") != NULL, "%s.lua has no param", name);
}
END_TEST

START_TEST(scenarios_validate_and_list_params)
{
    const char *name = scn_stem[_i];
    ck_assert_msg(tb_run("validate '%s'", scn_path[_i]) == 0, "validate %s: %s", name, tb_err());
    ck_assert_msg(strstr(tb_out(), ": ok (") != NULL, "%s", tb_out());
    ck_assert_msg(tb_run("run --list-params '%s'", scn_path[_i]) == 0, "--list-params %s: %s", name, tb_err());
    const char *out_text = tb_out();
    ck_assert_msg(out_text[0] != '\0', "%s lists no params", name);
    /* Each param: a line NAME=DEFAULT, then its description. */
    int params = 0;
    for (const char *l = out_text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        size_t n = strcspn(l, "=\n"), id = strspn(l, "abcdefghijklmnopqrstuvwxyz0123456789_");
        if (l[n] == '=' && id == n && n > 0)
            params++;
    }
    ck_assert_msg(params > 0, "%s: no NAME=DEFAULT line in:\n%s", name, out_text);
    /* A param can be set back to its own default. */
    char first[256];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(out_text, " \t\n"), out_text);
    ck_assert_msg(tb_run("validate '%s' --set '%s'", scn_path[_i], first) == 0, "validate --set %s: %s", first,
                  tb_err());
}
END_TEST

/* Runs it twice with one seed: exit 0, every expectation passed, one trace. */
START_TEST(scenarios_run_pass_and_repeat)
{
    const char *name = scn_stem[_i];
    char sha[2][80];
    for (int r = 0; r < 2; r++) {
        time_t t0 = time(NULL);
        int rc = tb_run("run '%s' --quiet --seed 7 --out run-%s-%d", scn_path[_i], name, r);
        long took = (long)(time(NULL) - t0);
        char dir[200];
        snprintf(dir, sizeof dir, "run-%s-%d", name, r);
        if (rc == 1) {
            cJSON *s = summary(dir);
            const cJSON *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(s, "expectations"))
                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "passed")))
                    fprintf(stderr, "%s: expectation '%s' failed: %s\n", name,
                            cJSON_GetObjectItemCaseSensitive(x, "name")->valuestring,
                            cJSON_GetObjectItemCaseSensitive(x, "detail")->valuestring);
            cJSON_Delete(s);
        }
        ck_assert_msg(rc == 0, "kubesim run %s: exit %d\n%.2000s", name, rc, tb_err());
        ck_assert_msg(took < 120, "%s took %ld s", name, took);
        cJSON *s = summary(dir);
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(s, "expectations"), *x;
        ck_assert_msg(cJSON_GetArraySize(exp) >= 3, "%s has %d expectations", name, cJSON_GetArraySize(exp));
        cJSON_ArrayForEach(x, exp)
            ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "passed")), "%s: '%s' failed: %s", name,
                          cJSON_GetObjectItemCaseSensitive(x, "name")->valuestring,
                          cJSON_GetObjectItemCaseSensitive(x, "detail")->valuestring);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(s, "trace_sha256");
        ck_assert_msg(cJSON_IsString(h) && strlen(h->valuestring) == 64, "%s: no trace_sha256", name);
        snprintf(sha[r], sizeof sha[r], "%s", h->valuestring);
        cJSON_Delete(s);
    }
    ck_assert_msg(strcmp(sha[0], sha[1]) == 0, "%s: two runs with seed 7 differ: %s vs %s", name, sha[0], sha[1]);
}
END_TEST

/* quota_contention with count/pods 100 (k8s-behaviour.md §4.1: count/pods
 * counts every pod object, and a Job's finished pods exist until the Job is
 * deleted): New York's 240-pod sweep stops at 100 and never completes; the
 * controller keeps retrying the refused pod. */
START_TEST(scenarios_count_pods_stops_a_sweep_at_its_quota)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/scenarios/quota_contention.lua", getenv("KUBESIM_SRC"));
    ck_assert_int_eq(tb_run("run '%s' --quiet --set count_pods=100 --out cp", path), 1);
    cJSON *s = summary("cp");
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(s, "jobs");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(jobs, "succeeded")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(jobs, "failed")->valueint, 0);
    const cJSON *x;
    int failed = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(s, "expectations"))
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "passed"))) {
            failed++;
            ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(x, "name")->valuestring, "every desk's Job completes");
        }
    ck_assert_int_eq(failed, 1);
    cJSON_Delete(s);
    snprintf(path, sizeof path, "%s/cp/metrics.csv", tb_dir());
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    long last = -1;
    while (fgets(line, sizeof line, f)) {
        const char *hit = strstr(line, ",job,ny-vol-sweep,succeeded,");
        if (hit)
            last = strtol(hit + strlen(",job,ny-vol-sweep,succeeded,"), NULL, 10);
    }
    fclose(f);
    ck_assert_int_eq(last, 100);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenarios");
    TCase *tc = tcase_create("shipped");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, scenarios_the_six_are_shipped);
    tcase_add_loop_test(tc, scenarios_open_with_their_story, 0, nscn);
    tcase_add_loop_test(tc, scenarios_validate_and_list_params, 0, nscn);
    tcase_add_loop_test(tc, scenarios_run_pass_and_repeat, 0, nscn);
    tcase_add_test(tc, scenarios_count_pods_stops_a_sweep_at_its_quota);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (getenv("KUBESIM_SRC") == NULL) {
        fprintf(stderr, "test_scenarios: set KUBESIM_SRC to the source tree (ctest does)\n");
        return 2;
    }
    int rc = tb_setup("scenarios");
    if (rc != 0)
        return rc;
    find_scenarios();
    int failed = tr_run(suite(), 0);   /* forked: a hang is a timeout, not a stuck suite */
    tb_cleanup();
    return failed ? 1 : 0;
}
