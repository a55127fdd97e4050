/*
 * test_explain_from.c: `kubesim explain schedule --from RUN_DIR --pod NAME
 * --at TIME` agrees with the run. Every shipped scenario is run once; from
 * its trace (kubesim trace dump) its pod binds are listed, and at the first,
 * the last and evenly between explain --from must name the node the run
 * bound the pod to: as its selected node, or, when the scheduler's seeded
 * draw broke a tie among equal totals, as a node with the selected node's
 * total ("run": {"node", "tie": true}). The one allowed exception is a bind
 * while pods nominated after a preemption were pending ("run": {"nominated":
 * N > 0}, which the case cannot hold); four binds per scenario must agree
 * outright.
 * Also: --case writes a case that plain explain answers the same way; a
 * missing pod, a time outside the run, a missing run folder or scenario file
 * and a misused flag exit 2 with the reason.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

#define MAX_BINDS 4096

typedef struct Bind {
    char t[32];                  /* seconds, to the nanosecond */
    char pod[128], node[128];
} Bind;

static const char *const scenarios[] = {"market_open_surge", "gpu_training_burst", "month_end_backtest_storm",
                                        "nightly_data_pipeline", "quota_contention", "region_outage"};

static char src[1024];

/* tb_shipped_run, failing the test when the run fails. */
static const char *shipped_run(const char *scn)
{
    const char *dir = tb_shipped_run(src, scn);
    ck_assert_msg(dir != NULL, "%s: %s", scn, tb_err());
    return dir;
}

static const char *name_of(char (*names)[128], size_t n, const cJSON *id)
{
    return cJSON_IsNumber(id) && id->valueint >= 0 && (size_t)id->valueint < n ? names[id->valueint] : "?";
}

/* The binds of run dir, in trace order. */
static size_t binds(const char *dir, Bind *out)
{
    static char pods[65536][128], nodes[4096][128];
    ck_assert_int_eq(tb_run("trace dump %s/trace.kst", dir), 0);
    char *text = strdup(tb_out());
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(line);
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind"));
        const cJSON *t = cJSON_GetObjectItem(r, "t_ns");
        if (kind && strcmp(kind, "pod_create") == 0 && cJSON_GetObjectItem(r, "pod")->valueint < 65536)
            snprintf(pods[cJSON_GetObjectItem(r, "pod")->valueint], 128, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(r, "name")));
        if (kind && strcmp(kind, "node_add") == 0 && cJSON_GetObjectItem(r, "node")->valueint < 4096)
            snprintf(nodes[cJSON_GetObjectItem(r, "node")->valueint], 128, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(r, "name")));
        if (kind && strcmp(kind, "pod_bind") == 0 && n < MAX_BINDS) {
            long long ns = (long long)t->valuedouble;
            snprintf(out[n].t, sizeof out[n].t, "%lld.%09lld", ns / 1000000000, ns % 1000000000);
            snprintf(out[n].pod, sizeof out[n].pod, "%s", name_of(pods, 65536, cJSON_GetObjectItem(r, "pod")));
            snprintf(out[n].node, sizeof out[n].node, "%s", name_of(nodes, 4096, cJSON_GetObjectItem(r, "node")));
            n++;
        }
        cJSON_Delete(r);
    }
    free(text);
    return n;
}

static cJSON *explain_json(const char *dir, const char *scn, const char *pod, const char *t, const char *more)
{
    int rc = tb_run("explain schedule --from %s --scenario %s/scenarios/%s.lua --pod %s --at %s --json %s", dir, src,
                    scn, pod, t, more);
    ck_assert_msg(rc == 0, "%s: %s at %s: exit %d: %s", scn, pod, t, rc, tb_err());
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_msg(j != NULL, "not JSON: %s", tb_out());
    return j;
}

/* The run's node is explain's choice, or ties with it: 1. 0 when it is
 * neither but pods nominated after a preemption were pending then (the case
 * cannot hold them, and the answer says so). */
static int agrees(const char *scn, const Bind *b, cJSON *j)
{
    const cJSON *run = cJSON_GetObjectItem(j, "run");
    const char *sel = cJSON_GetStringValue(cJSON_GetObjectItem(j, "selected"));
    ck_assert_msg(run && cJSON_GetStringValue(cJSON_GetObjectItem(run, "node")), "%s: %s: no run node", scn, b->pod);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(run, "node")), b->node);
    int ok = sel && (strcmp(sel, b->node) == 0 || cJSON_IsTrue(cJSON_GetObjectItem(run, "tie")));
    ck_assert_msg(ok || cJSON_GetObjectItem(run, "nominated")->valueint > 0,
                  "%s: %s at %s: the run bound it to %s, explain selects %s", scn, b->pod, b->t, b->node,
                  sel ? sel : "nothing");
    return ok;
}

START_TEST(explain_from_agrees_with_the_run_on_every_shipped_scenario)
{
    static Bind b[MAX_BINDS];
    const char *scn = scenarios[_i];
    char dir[64];
    snprintf(dir, sizeof dir, "%s", shipped_run(scn));
    size_t n = binds(dir, b);
    ck_assert_msg(n >= 5, "%s: %zu binds", scn, n);
    /* the first, the last and evenly between, until four agree outright */
    size_t agreed = 0;
    for (size_t k = 0; k <= 8 && agreed < 4; k++) {
        const Bind *x = &b[k * (n - 1) / 8];
        cJSON *j = explain_json(dir, scn, x->pod, x->t, "");
        agreed += (size_t)agrees(scn, x, j);
        cJSON_Delete(j);
    }
    ck_assert_msg(agreed >= 4, "%s: only %zu binds checked outright", scn, agreed);
}
END_TEST

START_TEST(case_file_is_the_case_explain_reads)
{
    (void)shipped_run("market_open_surge");
    static Bind b[MAX_BINDS];
    size_t n = binds("run-market_open_surge", b);
    ck_assert_int_gt(n, 10);
    const Bind *x = &b[n / 2];
    cJSON *j = explain_json("run-market_open_surge", "market_open_surge", x->pod, x->t, "--case case.json");
    ck_assert_int_eq(tb_run("explain schedule case.json --json"), 0);
    cJSON *plain = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(plain);
    /* the same answer, but for the run's own part */
    cJSON_DeleteItemFromObject(j, "run");
    ck_assert_msg(cJSON_Compare(j, plain, 1), "explain --from and explain of its --case differ");
    cJSON_Delete(plain);
    cJSON_Delete(j);
    /* the text form names the run's node */
    ck_assert_int_eq(tb_run("explain schedule --from run-market_open_surge --pod %s --at %s", x->pod, x->t), 0);
    char want[256];
    snprintf(want, sizeof want, "the run: bound to %s", x->node);
    ck_assert_msg(strstr(tb_out(), want) != NULL, "%s", tb_out());
}
END_TEST

START_TEST(bad_requests_exit_2_with_the_reason)
{
    (void)shipped_run("nightly_data_pipeline");
    const char *scn = "--scenario";
    ck_assert_int_eq(tb_run("explain schedule --from run-nightly_data_pipeline %s "
                            "%s/scenarios/nightly_data_pipeline.lua --pod no-such-pod "
                            "--at 60", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "no-such-pod") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain schedule --from run-nightly_data_pipeline %s "
                            "%s/scenarios/nightly_data_pipeline.lua --pod x "
                            "--at 999h", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "999h") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain schedule --from no-such-run --pod x --at 60"), 2);
    ck_assert_msg(strstr(tb_err(), "no-such-run") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain schedule --from run-nightly_data_pipeline --pod x"), 2);
    ck_assert_msg(strstr(tb_err(), "--at") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain hpa --from run-nightly_data_pipeline --pod x --at 60"), 2);
    ck_assert_int_eq(tb_run("explain schedule case.json --pod x"), 2);
    /* the scenario's file is found by name when not given: here it is not */
    ck_assert_int_eq(tb_run("explain schedule --from run-nightly_data_pipeline --pod x --at 60"), 2);
    ck_assert_msg(strstr(tb_err(), "--scenario") != NULL, "%s", tb_err());
    ck_assert_str_eq(tb_out(), "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("explain_from");
    TCase *tc = tcase_create("explain_from");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, explain_from_agrees_with_the_run_on_every_shipped_scenario, 0,
                        (int)(sizeof scenarios / sizeof *scenarios));
    tcase_add_test(tc, case_file_is_the_case_explain_reads);
    tcase_add_test(tc, bad_requests_exit_2_with_the_reason);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *root = getenv("KUBESIM_SRC");
    snprintf(src, sizeof src, "%s", root ? root : ".");
    if (tb_setup("explain-from") != 0)
        return 2;
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
