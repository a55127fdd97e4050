/*
 * test_why.c: the decisions in the trace with their reasons (issue 18 item 1)
 * and `kubesim why` (item 2), end to end through the binary: the built-in
 * scenario's open-backtests pod that waits for the autoscaler (why names the
 * scale-up and the group it chose, and the group it rejected with the
 * scheduler's taint reason), a missing name and a time outside the run
 * (exit 2, nearest names, the run's span), --at and --json, a service's SLO
 * windows with their causes, and every shipped scenario with an object of
 * each kind it has.
 */
#include <check.h>
#include <dirent.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

/* The built-in scenario's run, made once for the suite. */
static void base_run(void)
{
    if (tb_exists("base/trace.kst"))
        return;
    ck_assert_int_eq(tb_run("run --quiet --out base"), 0);
}

static void scenario_run(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/trace.kst", name);
    if (tb_exists(path))
        return;
    ck_assert_int_eq(tb_run("run \"$KUBESIM_SRC/scenarios/%s.lua\" --quiet --out %s", name, name), 0);
}

START_TEST(trace_carries_the_autoscalers_decision_and_the_hpas_syncs)
{
    base_run();
    ck_assert_int_eq(tb_run("trace dump base/trace.kst"), 0);
    const char *o = tb_out();
    /* the scale-up for open-backtests: the group chosen, the expander, the group rejected and why */
    ck_assert_ptr_nonnull(strstr(o, "\"kind\":\"ca_decision\",\"region\":0,\"group\":0,\"delta\":5,\"pods\":32,"
                                    "\"expander\":\"least-waste\",\"rejected\":\"gpu-us-east: node(s) had "
                                    "untolerated taint {nvidia.com/gpu: present}\""));
    ck_assert_ptr_nonnull(strstr(o, "\"kind\":\"hpa_sync\",\"hpa\":\"quant-api-us-east\""));
    ck_assert_ptr_nonnull(strstr(o, "\"limited_by\":\"min\",\"reason\":\"TooFewReplicas\""));
    ck_assert_ptr_nonnull(strstr(o, "\"kind\":\"serve\",\"service\":\"quant-api\",\"region\":0,\"wl\":0,"
                                    "\"slo_p95_us\":150000"));
}
END_TEST

START_TEST(trace_says_why_no_group_helps)
{
    scenario_run("gpu_training_burst");
    ck_assert_int_eq(tb_run("trace dump gpu_training_burst/trace.kst"), 0);
    const char *o = tb_out();
    /* upstream's NotTriggerScaleUp text, per group its reason, counted and sorted */
    ck_assert_ptr_nonnull(strstr(o, "\"kind\":\"ca_no_scale_up\",\"pod\":11,\"reason\":\"pod didn't trigger "
                                    "scale-up: 1 max node group size reached, 1 node(s) didn't match Pod's node "
                                    "affinity/selector\""));
    /* a later attempt failing for another reason than the first */
    ck_assert_ptr_nonnull(strstr(o, "\"kind\":\"pod_sched_fail\""));
}
END_TEST

START_TEST(why_pod_waited_for_the_autoscaler)
{
    base_run();
    ck_assert_int_eq(tb_run("why base pod open-backtests-17"), 0);
    const char *o = tb_out();
    ck_assert_ptr_nonnull(strstr(o, "pod open-backtests-17 (Job open-backtests, namespace research, region us-east)\n"
                                    "waited 1m40s for a node: unschedulable until the autoscaler scaled up +5 "
                                    "cpu-us-east (least-waste) at +2:30:10; bound to the new node cpu-us-east-10 at "
                                    "+2:31:40"));
    ck_assert_ptr_nonnull(strstr(o, "+2:30:00  scheduler      unschedulable: 0/5 nodes are available: 2 node(s) had "
                                    "untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."));
    ck_assert_ptr_nonnull(strstr(o, "+2:30:10  autoscaler     scale-up +5 cpu-us-east for 32 pending pods (expander "
                                    "least-waste); rejected: gpu-us-east: node(s) had untolerated taint"));
    ck_assert_ptr_nonnull(strstr(o, "+2:31:40  kubelet        node cpu-us-east-10 Ready"));
    ck_assert_ptr_nonnull(strstr(o, "+2:43:50  kubelet        succeeded"));
}
END_TEST

START_TEST(why_missing_name_or_time_exits_2)
{
    base_run();
    ck_assert_int_eq(tb_run("why base pod open-backtest-17"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "no pod named 'open-backtest-17'; nearest: open-backtests-17"));
    ck_assert_int_eq(tb_run("why base service quant-apj"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "nearest: quant-api"));
    ck_assert_int_eq(tb_run("why base pod open-backtests-17 --at 20h"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "outside the run, which spans +0:00:00 to +10:00:00"));
    ck_assert_int_eq(tb_run("why base pod"), 2);
    ck_assert_int_eq(tb_run("why base pdo x"), 2);
    ck_assert_int_eq(tb_run("why nowhere pod x"), 2);
}
END_TEST

START_TEST(why_at_tells_the_story_so_far)
{
    base_run();
    ck_assert_int_eq(tb_run("why base pod open-backtests-17 --at +2:31"), 0);
    const char *o = tb_out();
    ck_assert_ptr_nonnull(strstr(o, "pending, 1m00s without a node since +2:30:00: 0/5 nodes are available"));
    ck_assert_ptr_null(strstr(o, "bound to node"));
    ck_assert_ptr_nonnull(strstr(o, "scale-up +5 cpu-us-east"));
}
END_TEST

START_TEST(why_json_is_the_same_story)
{
    base_run();
    ck_assert_int_eq(tb_run("why base pod open-backtests-17 --json"), 0);
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring, "pod");
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(j, "headline")->valuestring, "+5 cpu-us-east (least-waste)"));
    const cJSON *tl = cJSON_GetObjectItem(j, "timeline");
    ck_assert_int_eq(cJSON_GetArraySize(tl), 8);
    const cJSON *e = cJSON_GetArrayItem(tl, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "component")->valuestring, "autoscaler");
    ck_assert_int_eq((int)cJSON_GetObjectItem(e, "t_seconds")->valuedouble, 9010);
    cJSON_Delete(j);
}
END_TEST

START_TEST(why_service_names_the_causes)
{
    base_run();
    ck_assert_int_eq(tb_run("why base service quant-api"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "quant-api over its SLO in us-east +2:30:00-+2:36:00 (p95 up to 2065 ms, "
                                           "target 150 ms): up to 3 pods pending for nodes"));
    scenario_run("region_outage");
    ck_assert_int_eq(tb_run("why region_outage service quant-api"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "HPA quant-api-eu-west limited by stabilization"));
    /* us-east back at 10:25 keeps its 19 replicas (its HPA finds no metrics at
     * its first sync, then scales on real samples): no window there. An outage
     * from 09:10 to 09:35 returns it with its pre-surge replicas into the
     * surge: a window that the outage overlaps. */
    ck_assert_ptr_null(strstr(tb_out(), "in us-east +1:2"));
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/region_outage.lua", getenv("KUBESIM_SRC"));
    char *text = tb_read(path, NULL), *at = text ? strstr(text, "at = \"09:40\"") : NULL;
    ck_assert_ptr_nonnull(at);
    memcpy(at, "at = \"09:10\"", 12);
    tb_write("early_outage.lua", text);
    free(text);
    int rc = tb_run("run early_outage.lua --set outage=25 --quiet --out early");
    ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, tb_err());   /* 1: some of its expectations fail */
    ck_assert_int_eq(tb_run("why early service quant-api"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "in us-east +0:35:00-+0:40:00 (p95 up to 2090 ms, target 150 ms): region "
                                           "us-east down"));
}
END_TEST

/* The first name of each kind the trace declares (pod, workload, node, service). */
static void first_names(const char *dump, char names[4][128])
{
    static const char *const keys[4][2] = {{"\"kind\":\"pod_create\"", "\"name\":\""},
                                           {"\"kind\":\"workload\"", "\"name\":\""},
                                           {"\"kind\":\"node_add\"", "\"name\":\""},
                                           {"\"kind\":\"serve\"", "\"service\":\""}};
    for (int k = 0; k < 4; k++) {
        names[k][0] = '\0';
        const char *p = strstr(dump, keys[k][0]);
        const char *q = p ? strstr(p, keys[k][1]) : NULL;
        if (q == NULL)
            continue;
        q += strlen(keys[k][1]);
        size_t n = strcspn(q, "\"");
        snprintf(names[k], sizeof names[k], "%.*s", (int)(n < 127 ? n : 127), q);
    }
}

START_TEST(why_works_on_every_shipped_scenario)
{
    static const char *const kinds[] = {"pod", "workload", "node", "service"};
    char scen[32][128];
    size_t nscen = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/scenarios", getenv("KUBESIM_SRC"));
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *de; (de = readdir(d)) != NULL && nscen < 32;) {
        size_t n = strlen(de->d_name);
        if (n > 4 && n < 120 && strcmp(de->d_name + n - 4, ".lua") == 0)
            snprintf(scen[nscen++], sizeof scen[0], "%.*s", (int)(n - 4), de->d_name);
    }
    closedir(d);
    ck_assert_uint_ge(nscen, 6);   /* every shipped scenario, whatever their number */
    for (size_t i = 0; i < nscen; i++) {
        scenario_run(scen[i]);
        ck_assert_int_eq(tb_run("trace dump %s/trace.kst", scen[i]), 0);
        char *dump = strdup(tb_out());
        char names[4][128];
        first_names(dump, names);
        free(dump);
        int kinds_seen = 0;
        for (int k = 0; k < 4; k++) {
            if (names[k][0] == '\0')
                continue;
            kinds_seen++;
            ck_assert_msg(tb_run("why %s %s '%s'", scen[i], kinds[k], names[k]) == 0, "%s %s %s: %s", scen[i],
                          kinds[k], names[k], tb_err());
            ck_assert_ptr_nonnull(strstr(tb_out(), names[k]));
            ck_assert_int_eq(tb_run("why %s %s '%s' --json --at 30m", scen[i], kinds[k], names[k]), 0);
        }
        ck_assert_int_ge(kinds_seen, 3);   /* pods, workloads and nodes everywhere; services where served */
    }
}
END_TEST

START_TEST(report_says_why_pods_waited)
{
    base_run();
    char path[4096];
    snprintf(path, sizeof path, "%s/base/report.html", tb_dir());
    char *html = tb_read(path, NULL);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(strstr(html, "<a href=\"#why\">Why pods waited</a>"));
    ck_assert_ptr_nonnull(strstr(html, "<section id=\"why\" class=\"part\"><h2>Why pods waited"));
    /* pending pod-time by reason, biggest first; a wait counts under each reason it lists */
    const char *cpu = strstr(html, "<tr><td>Insufficient cpu</td><td>1h06m</td><td>49</td></tr>");
    const char *taint = strstr(html, "<tr><td>node(s) had untolerated taint {nvidia.com/gpu: present}</td><td>56m</td>");
    ck_assert_ptr_nonnull(cpu);
    ck_assert_ptr_nonnull(taint);
    ck_assert(cpu < taint);
    ck_assert_ptr_nonnull(strstr(html, "<tr><td>open-backtests</td><td>research</td><td>us-east</td><td>56m</td>"
                                       "<td>34</td><td>1m</td></tr>"));
    /* each missed SLO window with why's headline */
    ck_assert_ptr_nonnull(strstr(html, "<li>quant-api over its SLO in us-east +2:30:00-+2:36:00 (p95 up to 2065 ms, "
                                       "target 150 ms): up to 3 pods pending for nodes</li>"));
    ck_assert_ptr_nonnull(strstr(html, "from summary.json, metrics.csv and trace.kst</footer>"));
    free(html);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("why");
    TCase *t = tcase_create("why");
    tcase_add_test(t, trace_carries_the_autoscalers_decision_and_the_hpas_syncs);
    tcase_add_test(t, trace_says_why_no_group_helps);
    tcase_add_test(t, why_pod_waited_for_the_autoscaler);
    tcase_add_test(t, why_missing_name_or_time_exits_2);
    tcase_add_test(t, why_at_tells_the_story_so_far);
    tcase_add_test(t, why_json_is_the_same_story);
    tcase_add_test(t, why_service_names_the_causes);
    tcase_add_test(t, why_works_on_every_shipped_scenario);
    tcase_add_test(t, report_says_why_pods_waited);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    if (tb_setup("why") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder and its runs */
    tb_cleanup();
    return failed ? 1 : 0;
}
