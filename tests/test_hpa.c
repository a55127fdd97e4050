/*
 * test_hpa.c: the HorizontalPodAutoscaler (k8s-behaviour.md §1).
 *  - `kubesim explain hpa` on the fixtures in tests/fixtures/explain_hpa/,
 *    one per rule of §1, each named after it and carrying an "expect" block:
 *    top-level answer fields (calculatorReplicas, stabilizedReplicas,
 *    desiredReplicas, limitedBy, reason, scalingActive) and "perMetric", a
 *    list of partial objects compared field by field with the answer's
 *    perMetric in order (numbers to 1e-12 relative, null must be null);
 *  - the bad-input contract of explain hpa (JSON path, nothing printed);
 *  - the shared normalisation's memory (recommendation slots reused);
 *  - the live controller on an engine with the scheduler: a hot Deployment
 *    scales up every 15 s as its policies allow, a quiet one scales down only
 *    once the 5 min window has passed; trace, stats and metrics.csv rows;
 *  - the Lua `hpa` declaration: its errors name file, line and field, and
 *    it builds into the engine; an out-of-memory sweep leaks nothing.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "sim/metrics.h"
#include "workloads/faults.h"
#include "workloads/gates.h"
#include "workloads/hpa.h"
#include "workloads/wl_metrics.h"

#include "tf.h"
#include "tl.h"
#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)

static TfList fixtures;
static char tmpdir[] = "/tmp/kubesim-hpa-XXXXXX";

/* Runs explain hpa on text; returns its JSON answer (caller frees) or NULL
 * with err, after checking that an error printed nothing. */
static cJSON *explain(const char *text, size_t len, const char *name, SimErr *err)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    SimMem m;
    sim_mem_init(&m);
    int rc = wl_hpa_explain_case(&m, text, len, name, 1, f, err);
    fclose(f);
    ck_assert_msg(m.live == 0, "%s: %lld bytes leaked", name, (long long)m.live);
    cJSON *j = rc == SIM_OK ? cJSON_Parse(out) : NULL;
    if (rc != SIM_OK)
        ck_assert_msg(outlen == 0, "%s: output written despite an error", name);
    else
        ck_assert_msg(j != NULL, "%s: the answer is not JSON: %s", name, out);
    free(out);
    return j;
}

/* ---- fixtures --------------------------------------------------------------- */
static void check_value(const char *fx, const char *what, const cJSON *got, const cJSON *want)
{
    ck_assert_msg(got != NULL || cJSON_IsNull(want), "%s: no %s", fx, what);
    if (cJSON_IsNull(want)) {
        ck_assert_msg(got != NULL && cJSON_IsNull(got), "%s: %s should be null", fx, what);
    } else if (cJSON_IsNumber(want)) {
        ck_assert_msg(cJSON_IsNumber(got), "%s: %s is not a number", fx, what);
        double w = want->valuedouble, g = got->valuedouble;
        ck_assert_msg(fabs(g - w) <= 1e-12 * fmax(1.0, fabs(w)), "%s: %s = %.17g, want %.17g", fx, what, g, w);
    } else if (cJSON_IsString(want)) {
        ck_assert_msg(cJSON_IsString(got) && strcmp(got->valuestring, want->valuestring) == 0,
                      "%s: %s = %s, want %s", fx, what, cJSON_IsString(got) ? got->valuestring : "(not a string)",
                      want->valuestring);
    } else if (cJSON_IsBool(want)) {
        ck_assert_msg(cJSON_IsBool(got) && cJSON_IsTrue(got) == cJSON_IsTrue(want), "%s: %s is not %s", fx, what,
                      cJSON_IsTrue(want) ? "true" : "false");
    } else if (cJSON_IsArray(want)) {   /* the same length, each item checked as below */
        ck_assert_msg(cJSON_IsArray(got) && cJSON_GetArraySize(got) == cJSON_GetArraySize(want),
                      "%s: %s has %d items, want %d", fx, what, cJSON_GetArraySize(got), cJSON_GetArraySize(want));
        for (int i = 0; i < cJSON_GetArraySize(want); i++) {
            char sub[160];
            snprintf(sub, sizeof sub, "%s[%d]", what, i);
            check_value(fx, sub, cJSON_GetArrayItem(got, i), cJSON_GetArrayItem(want, i));
        }
    } else if (cJSON_IsObject(want)) {   /* the keys given, each checked */
        const cJSON *k;
        ck_assert_msg(cJSON_IsObject(got), "%s: %s is not an object", fx, what);
        cJSON_ArrayForEach(k, want) {
            char sub[160];
            snprintf(sub, sizeof sub, "%s.%s", what, k->string);
            check_value(fx, sub, cJSON_GetObjectItem(got, k->string), k);
        }
    } else {
        ck_abort_msg("%s: unsupported expectation for %s", fx, what);
    }
}

static void check_per_metric(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *got = cJSON_GetObjectItem(ans, "perMetric");
    ck_assert_msg(cJSON_GetArraySize(got) >= cJSON_GetArraySize(want), "%s: %d metrics, want at least %d", fx,
                  cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    for (int i = 0; i < cJSON_GetArraySize(want); i++) {
        const cJSON *w = cJSON_GetArrayItem(want, i), *g = cJSON_GetArrayItem(got, i), *k;
        cJSON_ArrayForEach(k, w) {
            char what[128];
            snprintf(what, sizeof what, "perMetric[%d].%s", i, k->string);
            check_value(fx, what, cJSON_GetObjectItem(g, k->string), k);
        }
    }
}

START_TEST(explain_hpa_fixture_matches_its_expectations)
{
    const char *fx = fixtures.name[_i];
    SimErr err = SIM_ERR_INIT;
    size_t len;
    char *text = tf_read(&fixtures, _i, &len);
    cJSON *c = cJSON_Parse(text);
    ck_assert_msg(c != NULL, "%s is not JSON", fx);
    const cJSON *exp = cJSON_GetObjectItem(c, "expect"), *k;
    ck_assert_msg(exp != NULL && cJSON_GetObjectItem(exp, "desiredReplicas"), "%s has no expect.desiredReplicas", fx);
    cJSON *ans = explain(text, len, fx, &err);
    ck_assert_msg(ans != NULL, "%s: %s", fx, sim_err_msg(&err));
    cJSON_ArrayForEach(k, exp) {
        if (strcmp(k->string, "perMetric") == 0)
            check_per_metric(fx, ans, k);
        else
            check_value(fx, k->string, cJSON_GetObjectItem(ans, k->string), k);
    }
    cJSON *again = explain(text, len, fx, &err);   /* same input, same answer */
    ck_assert_msg(again && cJSON_Compare(ans, again, 1), "%s: a second run answered differently", fx);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);   /* the text form works too */
    SimMem m;
    sim_mem_init(&m);
    ck_assert_int_eq(wl_hpa_explain_case(&m, text, len, fx, 0, f, &err), SIM_OK);
    ck_assert_int_eq(m.live, 0);
    fclose(f);
    ck_assert_msg(outlen > 0 && strstr(out, "desired replicas"), "%s: no text answer", fx);
    free(out);
    cJSON_Delete(again);
    cJSON_Delete(ans);
    cJSON_Delete(c);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------ */
#define SPEC_OK "\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\"," \
                "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":50}}}]}"

static void expect_refused(const char *text, const char *frag)
{
    SimErr err = SIM_ERR_INIT;
    cJSON *ans = explain(text, strlen(text), "case.json", &err);
    ck_assert_msg(ans == NULL, "accepted: %s", text);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "error '%s' lacks '%s'", sim_err_msg(&err), frag);
}

START_TEST(explain_hpa_not_json_names_line_and_column)
{
    expect_refused("{\n  \"currentReplicas\": 3,\n  oops\n}\n", "case.json:3:");
}
END_TEST

START_TEST(explain_hpa_unknown_field_names_json_path)
{
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"podz\":[]}", "case.json: $: unknown field \"podz\"");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"minReplica\":1},\"currentReplicas\":2}",
                   "case.json: $.hpa: unknown field \"minReplica\"");
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"pods\":[{},{\"usgae\":{}}]}",
                   "$.pods[1]: unknown field \"usgae\"");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"behavior\":{\"scaleUp\":{\"policies\":[{\"type\":\"Pods\","
                   "\"value\":1,\"period\":15}]}}},\"currentReplicas\":2}",
                   "$.hpa.behavior.scaleUp.policies[0]: unknown field \"period\"");
}
END_TEST

START_TEST(explain_hpa_malformed_quantity_names_json_path)
{
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"pods\":[{\"requests\":{\"cpu\":\"two\"}}]}",
                   "case.json: $.pods[0].requests.cpu: \"two\"");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"External\",\"external\":{\"metric\":"
                   "{\"name\":\"q\"},\"target\":{\"type\":\"Value\",\"value\":\"-3\"}}}]},\"currentReplicas\":2}",
                   "$.hpa.metrics[0].external.target.value: \"-3\"");
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"externalMetrics\":{\"q\":\"lots\"}}",
                   "$.externalMetrics.q: \"lots\" is not");
}
END_TEST

/* Item 1: a quantity longer than 63 characters was formatted into char[64]
 * through a 256-byte vsnprintf: a stack overflow (SIGSEGV in release). */
START_TEST(explain_hpa_long_quantity_refused_not_overrun)
{
    char text[2048], q[300];
    memset(q, '1', sizeof q - 1);
    q[sizeof q - 1] = '\0';
    snprintf(text, sizeof text, "{" SPEC_OK ",\"currentReplicas\":2,\"pods\":[{\"requests\":{\"cpu\":\"%s\"}}]}", q);
    expect_refused(text, "case.json: $.pods[0].requests.cpu: \"111111111111111111111111...\" is too long for a "
                         "quantity (299 characters, at most 64)");
    snprintf(text, sizeof text, "{" SPEC_OK ",\"currentReplicas\":2,\"pods\":[{\"usage\":{\"memory\":\"%.100s\"}}]}", q);
    expect_refused(text, "$.pods[0].usage.memory: \"1111");
    snprintf(text, sizeof text, "{" SPEC_OK ",\"currentReplicas\":2,\"externalMetrics\":{\"q\":[1,\"%.70sm\"]}}", q);
    expect_refused(text, "$.externalMetrics.q[1]: \"1111");
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"pods\":[{\"usage\":{\"cpu\":1e300}}]}",
                   "$.pods[0].usage.cpu: \"1e+300\" is too large");
    expect_refused("{" SPEC_OK ",\"currentReplicas\":1e300}", "$.currentReplicas: expected a whole number");
}
END_TEST

/* Item 9: pods were read with cJSON_GetArrayItem(i), a walk from the head
 * each time (40k pods 6 s, 200k over 100 s). Read in one pass, 200k pods take
 * about a second; the timeout of this test case (not a timing) catches a
 * return of the quadratic walk. */
START_TEST(explain_hpa_many_pods_read_in_one_pass)
{
    enum { N = 200000 };
    static const char pod[] = "{\"requests\":{\"cpu\":\"1\"},\"usage\":{\"cpu\":\"900m\"}},";
    static const char head[] = "{" SPEC_OK ",\"currentReplicas\":4,\"pods\":[";
    size_t cap = sizeof head + N * (sizeof pod - 1) + 8, len = 0;
    char *text = malloc(cap);
    SimErr err = SIM_ERR_INIT;
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text, cap, "%s", head);
    for (int i = 0; i < N; i++) {
        memcpy(text + len, pod, sizeof pod - 1);
        len += sizeof pod - 1;
    }
    memcpy(text + len - 1, "]}", 3);   /* over the last comma */
    len += 1;
    cJSON *ans = explain(text, len, "case.json", &err);
    ck_assert_msg(ans != NULL, "refused: %s", sim_err_msg(&err));
    const cJSON *per = cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "perMetric"), 0);
    ck_assert_int_eq((int)cJSON_GetObjectItem(per, "readyPods")->valuedouble, N);
    cJSON_Delete(ans);
    free(text);
}
END_TEST

START_TEST(explain_hpa_min_above_max_refused)
{
    expect_refused("{\"hpa\":{\"minReplicas\":6,\"maxReplicas\":5},\"currentReplicas\":2}",
                   "case.json: $.hpa.minReplicas: minReplicas (6) is greater than maxReplicas (5)");
    expect_refused("{\"hpa\":{\"minReplicas\":1},\"currentReplicas\":2}", "$.hpa.maxReplicas: is required");
    expect_refused("{\"hpa\":{\"minReplicas\":0,\"maxReplicas\":5},\"currentReplicas\":2}",
                   "$.hpa.minReplicas: 0 needs an Object or External metric");
}
END_TEST

START_TEST(explain_hpa_unknown_metric_type_refused)
{
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Cpu\"}]},\"currentReplicas\":2}",
                   "case.json: $.hpa.metrics[0].type: unknown metric type \"Cpu\"");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Pods\",\"resource\":{}}]},"
                   "\"currentReplicas\":2}", "$.hpa.metrics[0].resource: is not allowed for a metric of type Pods");
}
END_TEST

START_TEST(explain_hpa_bad_targets_refused)
{
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"r\"},"
                   "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":5}}}]},\"currentReplicas\":2}",
                   "$.hpa.metrics[0].pods.target.type: a Utilization target is not allowed");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
                   "\"target\":{\"type\":\"Utilization\"}}}]},\"currentReplicas\":2}",
                   "$.hpa.metrics[0].resource.target.averageUtilization: is required");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"gpu\","
                   "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":5}}}]},\"currentReplicas\":2}",
                   "$.hpa.metrics[0].resource.name: \"gpu\" is not one of cpu, memory");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
                   "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":0}}}]},\"currentReplicas\":2}",
                   "$.hpa.metrics[0].resource.target.averageUtilization: expected a whole number from 1");
    expect_refused("{\"hpa\":{\"maxReplicas\":5,\"behavior\":{\"scaleDown\":{\"selectPolicy\":\"Sometimes\"}}},"
                   "\"currentReplicas\":2}", "$.hpa.behavior.scaleDown.selectPolicy: \"Sometimes\" is not one of");
    expect_refused("{" SPEC_OK ",\"currentReplicas\":2,\"history\":{\"scaleEvents\":[{\"replicas\":0,"
                   "\"ageSeconds\":1}]}}", "$.history.scaleEvents[0].replicas: a scale event changes replicas");
    expect_refused("{" SPEC_OK "}", "$.currentReplicas: is required");
}
END_TEST

/* The command: exit 2 and nothing on stdout for bad input, 0 and the answer
 * otherwise (the binary comes from KUBESIM_BIN). */
START_TEST(explain_hpa_command_exit_codes)
{
    const char *bin = getenv("KUBESIM_BIN");
    ck_assert_msg(bin != NULL && access(bin, X_OK) == 0, "set KUBESIM_BIN to the kubesim binary (ctest does)");
    char bad[600], out[600], cmd[2400];
    snprintf(bad, sizeof bad, "%s/bad.json", tmpdir);
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    FILE *f = fopen(bad, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"hpa\":{\"maxReplicas\":5,\"metrics\":[{\"type\":\"Cpu\"}]},\"currentReplicas\":2}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s explain hpa %s --json >%s 2>/dev/null", bin, bad, out);
    int st = system(cmd);
    ck_assert_int_eq(WEXITSTATUS(st), 2);
    size_t len;
    tf_slurp(out, &len);
    ck_assert_uint_eq(len, 0);
    snprintf(cmd, sizeof cmd, "%s explain hpa %s/tests/fixtures/explain_hpa/fast_path_ceil_of_ready_pods.json --json >%s",
             bin, getenv("KUBESIM_SRC"), out);
    st = system(cmd);
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    ck_assert_msg(strstr(tf_slurp(out, &len), "\"desiredReplicas\":\t6"), "%s", tf_slurp(out, &len));
}
END_TEST

/* ---- the normalisation's memory ------------------------------------------------ */
/* Legacy stabilisation stores each raw recommendation, reusing the slot of
 * one older than the window, so the list never outgrows the window (§1.7). */
START_TEST(legacy_recommendations_reuse_old_slots)
{
    SimMem m;
    sim_mem_init(&m);
    WlHpaMetric cpu = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 50, 0};
    WlHpaSpec spec = {.min = 1, .max = 10, .metrics = &cpu, .nmetrics = 1, .tolerance = 0.1};
    WlHpaPod pods[2];
    memset(pods, 0, sizeof pods);
    for (int i = 0; i < 2; i++) {
        pods[i] = (WlHpaPod){.phase = WL_HPA_POD_RUNNING, .ready = 1, .has_start = 1, .start = -SIM_SEC(3600),
                             .transition = -SIM_SEC(3600), .sample_window = SIM_SEC(15)};
        pods[i].has_req[WL_HPA_CPU] = pods[i].has_usage[WL_HPA_CPU] = 1;
        pods[i].req[WL_HPA_CPU] = 1000;
        pods[i].usage[WL_HPA_CPU] = 100;
    }
    WlHpaHistory h;
    wl_hpa_history_init(&h, &m);
    WlHpaMetricResult per;
    WlHpaDecision d;
    for (int k = 0; k < 100; k++) {   /* 25 min of 15 s syncs */
        SimTime now = SIM_SEC(15) * k;
        for (int i = 0; i < 2; i++)
            pods[i].sample_t = now;
        WlHpaInput in = {.now = now, .spec_replicas = 2, .status_replicas = 2, .pods = pods, .npods = 2};
        ck_assert_int_eq(wl_hpa_decide(&spec, &in, &h, &per, &d), SIM_OK);
        ck_assert_int_eq(d.desired, 1);
    }
    ck_assert_uint_le(h.nrecs, 21);   /* 300 s / 15 s + the one being replaced */
    wl_hpa_history_free(&h);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- the live controller ---------------------------------------------------------- */
typedef TwWorld World;

static World world_mem(SimMem *mem, SimTime end)
{
    TwOpts o = {.seed = 3, .end = end, .mem = mem, .alloc = {64000, 256 * GIB, 0, 110}, .max = 4, .nodes = 2};
    return tw_world(&o);
}

/* A Deployment of 1-CPU pods (2 s start-up) using `usage_m` each. */
static uint32_t deployment(World *w, const char *name, int32_t replicas, int64_t usage_m)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = SIM_WL_DEPLOYMENT;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){1000, GIB, 0, 1};
    wl.spec.startup = SIM_SEC(2);
    wl.spec.usage_cpu_m = usage_m;
    wl.replicas = replicas;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static const WlHpaMetric cpu50 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 50, 0};

/* 2 pods at 90 % of their request against a 50 % target, scaleUp Pods 2 per
 * 15 s, max 12. The first sync (t = 15 s, one period after the add) sees
 * samples younger than a window after Ready (invalid); from 30 s: 2 ->
 * 4; at 45 s the two new pods are unready and re-added at 0 flip the ratio
 * (hold); 60 s: 4 ready -> 8, the policy allows 6; 75 s: 6 with 2 unready ->
 * 3600/6000 = 60 % -> ceil(1.2 x 6) = 8; 90 s: ceil(1.34 x 8) = 11, limit 10;
 * 105 s: 15 proposed, clamped to max 12. */
START_TEST(live_hot_deployment_scales_up_as_policies_allow)
{
    World w = world_mem(NULL, SIM_SEC(600));
    uint32_t d = deployment(&w, "hot", 2, 900);
    WlHpaSpec spec = {.min = 1, .max = 12, .metrics = &cpu50, .nmetrics = 1, .has_behavior = 1, .tolerance = 0.1};
    wl_hpa_rules_default_up(&spec.up);
    wl_hpa_rules_default_down(&spec.down);
    spec.up.policies[0] = (WlHpaPolicy){0, 2, 15};
    spec.up.npolicies = 1;
    ck_assert_int_eq(wl_hpa_add(w.c, "hot", d, &spec), SIM_OK);
    static const int32_t want[] = {2, 2, 4, 4, 6, 8, 10, 12, 12, 12};
    for (int k = 0; k < 10; k++) {
        ts_run_to(w.e, SIM_SEC(15) * k);
        ck_assert_msg(sim_workload(w.e, d)->replicas == want[k], "t=%ds: %d replicas, want %d", 15 * k,
                      sim_workload(w.e, d)->replicas, want[k]);
    }
    const WlHpaDecision *dec = wl_hpa_last(w.c, 0);
    ck_assert_ptr_nonnull(dec);
    ck_assert_int_eq(dec->desired, 12);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_ups, 5);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_downs, 0);
    tw_free(&w);
}
END_TEST

/* Legacy path, 10 pods at 10 % against 50 %: from 30 s the calculator says
 * 2, but the first-sight recommendation (10 at the first sync, t = 15 s: one
 * sync period after the add, as upstream) holds it until it is strictly
 * older than 5 min: still 10 at 315 s (exactly one window old: kept), 2 at
 * 330 s. Before issue 14 the first sync was at t = 0 and this came at 315 s. */
START_TEST(live_quiet_deployment_scales_down_after_window)
{
    World w = world_mem(NULL, SIM_SEC(900));
    uint32_t d = deployment(&w, "quiet", 10, 100);
    WlHpaSpec spec = {.min = 2, .max = 20, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "quiet", d, &spec), SIM_OK);
    ts_run_to(w.e, SIM_SEC(30));
    const WlHpaDecision *dec = wl_hpa_last(w.c, 0);
    ck_assert_int_eq(dec->calc, 2);
    ck_assert_int_eq(dec->desired, 10);
    ck_assert_int_eq(dec->limited_by, WL_HPA_LIMIT_STABILIZATION);
    ts_run_to(w.e, SIM_SEC(315));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ts_run_to(w.e, SIM_SEC(330));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    ck_assert_uint_eq(wl_stats(w.c)->hpa_scale_downs, 1);
    ts_run_to(w.e, SIM_SEC(400));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    tw_free(&w);
}
END_TEST

/* Issue 14: a new HPA is first synced one sync period after it is added
 * (upstream enqueues it with AddRateLimited, the sync period as the delay):
 * a target above max is corrected at 15 s, not at 0; one below min likewise. */
START_TEST(live_first_sync_one_period_after_add)
{
    World w = world_mem(NULL, SIM_SEC(120));
    uint32_t hi = deployment(&w, "hi", 6, 500), lo = deployment(&w, "lo", 1, 500);
    WlHpaSpec above = {.min = 1, .max = 3, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    WlHpaSpec below = {.min = 4, .max = 8, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "hi", hi, &above), SIM_OK);
    ck_assert_int_eq(wl_hpa_add(w.c, "lo", lo, &below), SIM_OK);
    ts_run_to(w.e, SIM_SEC(15) - 1);
    ck_assert_int_eq(sim_workload(w.e, hi)->replicas, 6);
    ck_assert_int_eq(sim_workload(w.e, lo)->replicas, 1);
    ck_assert_ptr_null(wl_hpa_last(w.c, 0));   /* not synced yet */
    ts_run_to(w.e, SIM_SEC(15));
    ck_assert_int_eq(sim_workload(w.e, hi)->replicas, 3);
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->limited_by, WL_HPA_LIMIT_MAX);
    ck_assert_int_eq(sim_workload(w.e, lo)->replicas, 4);
    ck_assert_int_eq(wl_hpa_last(w.c, 1)->limited_by, WL_HPA_LIMIT_MIN);
    tw_free(&w);
}
END_TEST

/* The behaviour path drops a recommendation exactly one window old (the
 * legacy path keeps it, above): with the first-sight recommendation stamped
 * at the first sync (15 s), the first scale-down is at 315 s, not 300 s. */
START_TEST(live_behavior_first_scale_down_one_window_after_first_sync)
{
    World w = world_mem(NULL, SIM_SEC(600));
    uint32_t d = deployment(&w, "quiet", 10, 100);
    WlHpaSpec spec = {.min = 2, .max = 20, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1, .has_behavior = 1};
    wl_hpa_rules_default_up(&spec.up);
    wl_hpa_rules_default_down(&spec.down);
    ck_assert_int_eq(wl_hpa_add(w.c, "quiet", d, &spec), SIM_OK);
    ts_run_to(w.e, SIM_SEC(300));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ts_run_to(w.e, SIM_SEC(315) - 1);
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 10);
    ts_run_to(w.e, SIM_SEC(315));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    tw_free(&w);
}
END_TEST

/* Each rescale is traced with its limitedBy reason, and the sampler writes
 * the HPA's rows to metrics.csv. */
START_TEST(live_decisions_traced_and_sampled)
{
    char tpath[600], mpath[600];
    SimErr err = SIM_ERR_INIT;
    snprintf(tpath, sizeof tpath, "%s/t.kst", tmpdir);
    snprintf(mpath, sizeof mpath, "%s/m.csv", tmpdir);
    SimMem m;
    sim_mem_init(&m);
    World w = world_mem(&m, SIM_SEC(120));
    SimTraceWriter *tw = sim_trace_create(&m, sim_trace_schema(w.e), tpath, "{}", &err);
    SimMetrics *mt = sim_metrics_open(&m, mpath, &err);
    ck_assert_ptr_nonnull(tw);
    ck_assert_ptr_nonnull(mt);
    sim_set_trace(w.e, tw);
    uint32_t d = deployment(&w, "api", 1, 1000);
    WlHpaSpec spec = {.min = 1, .max = 3, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "api-hpa", d, &spec), SIM_OK);
    ck_assert_int_eq(sim_metrics_attach(w.e, mt, SIM_SEC(30)), SIM_OK);
    ck_assert_int_eq(wl_hpa_add_sampler(w.c, mt), SIM_OK);   /* rows from t = 0, before the first sync */
    while (sim_step(w.e) == SIM_OK) {
    }
    sim_metrics_final(w.e);
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 3);   /* 100 % vs 50 %: ceil(2 x 1) = 2, then 3 (max) */
    char sha[65];
    ck_assert_int_eq(sim_trace_close(tw, sha), SIM_OK);
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    char *dump = NULL;
    size_t dlen = 0;
    FILE *f = open_memstream(&dump, &dlen);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    ck_assert_int_eq(sim_trace_dump(&m, &all, tpath, f, stderr), SIM_OK);
    fclose(f);
    ck_assert_msg(strstr(dump, "\"kind\":\"hpa\",\"hpa\":\"api-hpa\",\"wl\":0,\"current\":1,\"desired\":2,"
                               "\"limited_by\":\"none\""), "%s", dump);
    ck_assert_msg(strstr(dump, "\"current\":2,\"desired\":3,\"limited_by\":\"max\""), "%s", dump);
    free(dump);
    size_t len;
    char *csv = tf_slurp(mpath, &len);
    ck_assert_msg(strstr(csv, "\n0,eu,hpa,api-hpa,current_replicas,1\n"), "%s", csv);
    ck_assert_msg(strstr(csv, ",eu,hpa,api-hpa,desired_replicas,3\n"), "%s", csv);
    ck_assert_msg(strstr(csv, "\n60,eu,hpa,api-hpa,cpu_utilization,100\n"), "%s", csv);
    tw_free(&w);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- pods on NotReady nodes (k8s-behaviour.md §1.3, §7.2) ---------------------------- */
/* What the last sync read: the watcher copies its pods. */
typedef struct Seen {
    WlHpaPod pods[16];
    uint32_t ids[16];
    int has_rps[16];             /* the Pods metric "rps" had a value */
    size_t n;
    SimTime at;
} Seen;

static void seen_watch(void *ctx, WlControllers *c, size_t hpa, const WlHpaInput *in)
{
    Seen *s = ctx;
    size_t n;
    const uint32_t *ids = wl_hpa_pods(c, hpa, &n);
    ck_assert_uint_eq(n, in->npods);
    s->n = n < 16 ? n : 16;
    memcpy(s->pods, in->pods, s->n * sizeof *s->pods);
    memcpy(s->ids, ids, s->n * sizeof *s->ids);
    for (size_t i = 0; i < s->n; i++) {
        int64_t v;
        s->has_rps[i] = in->pod_metric(in->ctx, i, "rps", &v);
    }
    s->at = in->now;
}

/* A Pods metric source: every Running pod serves 10 requests/s. */
static int rps_source(void *ctx, SimEngine *e, uint32_t pod, const char *name, int64_t *milli)
{
    (void)ctx;
    (void)name;
    *milli = 10000;
    return sim_pod(e, pod)->phase == SIM_POD_RUNNING;
}

/* How many of the last sync's pods on node have an rps value. */
static int rps_on(World *w, const Seen *s, uint32_t node)
{
    int k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += sim_pod(w->e, s->ids[i])->node == node && s->has_rps[i];
    return k;
}

/* The node with the most of d's pods, and how many it holds. */
static uint32_t busiest_node(World *w, uint32_t d, int *count)
{
    int per[8] = {0};
    for (uint32_t i = 0; i < sim_pod_count(w->e); i++) {
        const SimPod *p = sim_pod(w->e, i);
        if (p->wl == d && p->phase == SIM_POD_RUNNING && p->node < 8)
            per[p->node]++;
    }
    uint32_t best = 0;
    for (uint32_t n = 1; n < 8; n++)
        if (per[n] > per[best])
            best = n;
    *count = per[best];
    return best;
}

/* The pods of the last sync on node: each is Ready (or not) with the
 * transition given and has a sample (or not). Returns how many were. */
static int check_on_node(World *w, const Seen *s, uint32_t node, int ready, SimTime transition, int sampled)
{
    int k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const SimPod *p = sim_pod(w->e, s->ids[i]);
        if (p->node != node)
            continue;
        k++;
        ck_assert_msg(s->pods[i].ready == ready, "t=%llds: pod %u ready %d, want %d", (long long)(s->at / SIM_NS_PER_S),
                      s->ids[i], s->pods[i].ready, ready);
        ck_assert_int_eq(s->pods[i].transition, transition);
        ck_assert_int_eq(s->pods[i].has_usage[WL_HPA_CPU], sampled);
        ck_assert_int_eq(s->pods[i].start, p->bound_at);
    }
    return k;
}

/* Upstream's arithmetic for a Deployment whose node crashes (groupPods,
 * GetResourceReplicas; metrics-server drops a node's pods at the first scrape
 * it fails). 6 pods of 1 CPU each using 1 CPU against a 40 % target, max 6:
 * before the crash 100 % -> ratio 2.5 -> ceil(2.5 x 6) = 15 (clamped to 6).
 * The node of 3 of them crashes at 100 s for 205 s. From the scrape at
 * 105 s those 3 have no sample: missing; on a scale-up each counts at 0:
 * 3000m / 6000m = 50 % -> 1.25 -> ceil(1.25 x 6) = 8. At 150 s (crash +
 * 50 s grace) the node is NotReady and the 3 are Ready=False since 150 s,
 * still missing. The node is back at 305 s: Ready=True again (the kubelet's
 * own condition, since they started) but metrics-server needs two scrapes
 * (315 s, 330 s) to have a CPU rate: missing at 315 s, 15 again at 330 s. */
START_TEST(live_pods_on_crashed_node_are_missing_then_back_after_two_scrapes)
{
    World w = world_mem(NULL, SIM_SEC(400));
    WlFaults *f = wl_fault_create(w.e, w.c);
    ck_assert_ptr_nonnull(f);
    uint32_t d = deployment(&w, "api", 6, 1000);
    static const WlHpaMetric cpu40 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 40, 0};
    WlHpaSpec spec = {.min = 1, .max = 6, .metrics = &cpu40, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "api", d, &spec), SIM_OK);
    Seen seen;
    memset(&seen, 0, sizeof seen);
    wl_hpa_watch(w.c, seen_watch, &seen);
    ts_run_to(w.e, SIM_SEC(90));
    int k;
    uint32_t node = busiest_node(&w, d, &k);
    ck_assert_int_eq(k, 3);   /* the scheduler spreads the 6 pods over the 2 nodes */
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 15);
    WlFault ft = {.kind = WL_FAULT_NODE_CRASH, .at = SIM_SEC(100), .duration = SIM_SEC(205),
                  .node = sim_node(w.e, node)->name, .group = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(f, &ft), SIM_OK);
    SimTime started = sim_pod(w.e, seen.ids[0])->started_at;
    ts_run_to(w.e, SIM_SEC(105));
    ck_assert_int_eq(check_on_node(&w, &seen, node, 1, started, 0), 3);   /* Ready, no sample */
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 8);
    ts_run_to(w.e, SIM_SEC(165));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_NOT_READY);
    ck_assert_int_eq(check_on_node(&w, &seen, node, 0, SIM_SEC(150), 0), 3);   /* Ready=False since 150 s */
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 8);
    ts_run_to(w.e, SIM_SEC(315));
    ck_assert_int_eq(sim_node(w.e, node)->state, SIM_NODE_READY);
    ck_assert_int_eq(check_on_node(&w, &seen, node, 1, started, 0), 3);   /* one scrape since: no rate yet */
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 8);
    ts_run_to(w.e, SIM_SEC(330));
    ck_assert_int_eq(check_on_node(&w, &seen, node, 1, started, 1), 3);
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 15);
    wl_fault_destroy(f);
    tw_free(&w);
}
END_TEST

/* A Pods metric (Prometheus scrapes the pod) is gone from the first scrape
 * after the crash (105 s) and back at the first scrape after the node's
 * return at 305 s (315 s): one point is a value, no rate to wait for. */
START_TEST(live_pods_metric_of_crashed_node_is_missing_until_the_next_scrape)
{
    World w = world_mem(NULL, SIM_SEC(400));
    WlFaults *f = wl_fault_create(w.e, w.c);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(wl_pod_metric_source(w.c, "rps", rps_source, NULL), SIM_OK);
    uint32_t d = deployment(&w, "api", 6, 500);
    static const WlHpaMetric rps = {WL_HPA_PODS, WL_HPA_AVERAGE_VALUE, WL_HPA_CPU, "rps", 0, 10000};
    WlHpaSpec spec = {.min = 1, .max = 6, .metrics = &rps, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "api", d, &spec), SIM_OK);
    Seen seen;
    memset(&seen, 0, sizeof seen);
    wl_hpa_watch(w.c, seen_watch, &seen);
    ts_run_to(w.e, SIM_SEC(90));
    int k;
    uint32_t node = busiest_node(&w, d, &k);
    ck_assert_int_eq(rps_on(&w, &seen, node), k);
    WlFault ft = {.kind = WL_FAULT_NODE_CRASH, .at = SIM_SEC(100), .duration = SIM_SEC(205),
                  .node = sim_node(w.e, node)->name, .group = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(f, &ft), SIM_OK);
    ts_run_to(w.e, SIM_SEC(105));
    ck_assert_int_eq(rps_on(&w, &seen, node), 0);
    ts_run_to(w.e, SIM_SEC(300));
    ck_assert_int_eq(rps_on(&w, &seen, node), 0);
    ts_run_to(w.e, SIM_SEC(315));
    ck_assert_int_eq(rps_on(&w, &seen, node), k);
    wl_fault_destroy(f);
    tw_free(&w);
}
END_TEST

/* The scale-down side: 6 pods using 200m of 1 CPU against 40 % (legacy path,
 * so the first-sight recommendation holds 6 replicas for 5 min). Before the
 * crash 20 % -> 0.5 -> ceil(0.5 x 6) = 3. With 3 pods missing, each counts
 * at 100 % of its request: (600m + 3000m) / 6000m = 60 % -> 1.5: the
 * direction flipped, so the calculator keeps the current 6. */
START_TEST(live_missing_pods_count_at_request_on_scale_down)
{
    World w = world_mem(NULL, SIM_SEC(200));
    WlFaults *f = wl_fault_create(w.e, w.c);
    ck_assert_ptr_nonnull(f);
    uint32_t d = deployment(&w, "api", 6, 200);
    static const WlHpaMetric cpu40 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 40, 0};
    WlHpaSpec spec = {.min = 1, .max = 6, .metrics = &cpu40, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "api", d, &spec), SIM_OK);
    ts_run_to(w.e, SIM_SEC(90));
    int k;
    uint32_t node = busiest_node(&w, d, &k);
    ck_assert_int_eq(k, 3);
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 3);
    WlFault ft = {.kind = WL_FAULT_NODE_CRASH, .at = SIM_SEC(100), .node = sim_node(w.e, node)->name,
                  .group = SIM_NONE};
    ck_assert_int_eq(wl_fault_add(f, &ft), SIM_OK);
    ts_run_to(w.e, SIM_SEC(105));
    ck_assert_int_eq(wl_hpa_last(w.c, 0)->calc, 6);
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 6);
    wl_fault_destroy(f);
    tw_free(&w);
}
END_TEST

/* pod_view's readiness mapping without the faults module: a node set
 * NotReady directly has its kubelet down from that moment. The HPA syncs at
 * 7 s + 15 k (added at 7 s); the node goes NotReady at 106 s, so the sync at
 * 112 s still sees the samples of the scrape at 105 s, with the pods
 * Ready=False since 106 s; at 127 s (after the scrape at 120 s) they have
 * no sample (missing). Ready again at 130 s: Ready=True since they started
 * (the kubelet's condition), the sample back at once (without the faults
 * module there is no record of the outage's end). */
START_TEST(pod_view_maps_not_ready_node_to_ready_false_and_missing)
{
    World w = world_mem(NULL, SIM_SEC(600));
    uint32_t d = deployment(&w, "api", 4, 500);
    ts_run_to(w.e, SIM_SEC(7));
    WlHpaSpec spec = {.min = 1, .max = 10, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "api", d, &spec), SIM_OK);
    Seen seen;
    memset(&seen, 0, sizeof seen);
    wl_hpa_watch(w.c, seen_watch, &seen);
    ts_run_to(w.e, SIM_SEC(97));
    int k;
    uint32_t node = busiest_node(&w, d, &k);
    ck_assert_int_eq(k, 2);
    SimTime started = sim_pod(w.e, seen.ids[0])->started_at;
    ck_assert_int_eq(check_on_node(&w, &seen, node, 1, started, 1), 2);
    ts_run_to(w.e, SIM_SEC(106));
    ck_assert_int_eq(sim_node_set_ready(w.e, node, 0), SIM_OK);
    ts_run_to(w.e, SIM_SEC(112));
    ck_assert_int_eq(seen.at, SIM_SEC(112));
    ck_assert_int_eq(check_on_node(&w, &seen, node, 0, SIM_SEC(106), 1), 2);
    ts_run_to(w.e, SIM_SEC(127));
    ck_assert_int_eq(check_on_node(&w, &seen, node, 0, SIM_SEC(106), 0), 2);
    ts_run_to(w.e, SIM_SEC(130));
    ck_assert_int_eq(sim_node_set_ready(w.e, node, 1), SIM_OK);
    ts_run_to(w.e, SIM_SEC(142));
    ck_assert_int_eq(check_on_node(&w, &seen, node, 1, started, 1), 2);
    tw_free(&w);
}
END_TEST

static int live_oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    uint64_t n = m->fail_at;
    m->fail_at = 0;   /* the engine, scheduler and controllers always get made */
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(90), .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    SchedScheduler *s = e ? sched_create(e) : NULL;
    WlControllers *c = s ? wl_create(e) : NULL;
    uint32_t r, ns, g, node, id;
    int rc = c ? SIM_OK : SIM_ENOMEM;
    m->fail_at = c ? n : 0;
    SimNodeGroup gr = {.name = (char *)"g", .alloc = {64000, 64 * GIB, 0, 110}, .max = 1};
    SimWorkload wl = {.name = (char *)"d", .kind = SIM_WL_DEPLOYMENT, .replicas = 2,
                      .spec = {.req = {1000, GIB, 0, 1}, .startup = SIM_SEC(1), .usage_cpu_m = 900}};
    WlHpaSpec spec = {.min = 1, .max = 8, .metrics = &cpu50, .nmetrics = 1, .has_behavior = 1, .tolerance = 0.1};
    wl_hpa_rules_default_up(&spec.up);
    wl_hpa_rules_default_down(&spec.down);
    if (rc == SIM_OK)
        rc = sim_region_add(e, "r", &r);
    if (rc == SIM_OK)
        rc = sim_namespace_add(e, "default", &ns);
    if (rc == SIM_OK)
        rc = sim_nodegroup_add(e, &gr, &g);
    if (rc == SIM_OK)
        rc = sim_node_add(e, g, 1, &node);
    if (rc == SIM_OK)
        rc = sim_workload_add(e, &wl, &id);
    if (rc == SIM_OK)
        rc = wl_start(c, id);
    if (rc == SIM_OK)
        rc = wl_hpa_add(c, "h", id, &spec);
    while (rc == SIM_OK && (rc = sim_step(e)) == SIM_OK) {
    }
    wl_destroy(c);
    sched_destroy(s);
    sim_engine_destroy(e);
    return rc != SIM_OK && rc != SIM_DONE;
}

/* Every allocation of adding an HPA and of its syncs can fail: the engine
 * reports it and nothing leaks. */
START_TEST(live_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(live_oom_run, NULL, 0, 20000);
}
END_TEST

START_TEST(live_add_refuses_bad_specs)
{
    World w = world_mem(NULL, SIM_SEC(60));
    uint32_t d = deployment(&w, "api", 2, 100);
    WlHpaSpec spec = {.min = 5, .max = 3, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "a", d, &spec), SIM_EINVAL);
    ck_assert_msg(strstr(sim_errmsg(w.e), "minReplicas"), "%s", sim_errmsg(w.e));
    spec.min = 1;
    ck_assert_int_eq(wl_hpa_add(w.c, "a", d, &spec), SIM_OK);
    ck_assert_int_eq(wl_hpa_add(w.c, "a", d, &spec), SIM_EINVAL);   /* names are unique per namespace */
    ck_assert_msg(strstr(sim_errmsg(w.e), "exists in its namespace"), "%s", sim_errmsg(w.e));
    tw_free(&w);
}
END_TEST

/* Two HPAs on one target (upstream's AmbiguousSelector, horizontal.go
 * validateAndParseSelector): both get ScalingActive False, neither scales
 * on its metrics (90 % against 50 % would double the hot deployment), but a
 * count outside [min, max] is still corrected, which upstream checks before
 * reading any metric. A lone HPA on another target scales as ever. */
START_TEST(live_two_hpas_on_one_target_neither_scales)
{
    World w = world_mem(NULL, SIM_SEC(600));
    uint32_t d = deployment(&w, "hot", 2, 900), lone = deployment(&w, "lone", 2, 900);
    WlHpaSpec spec = {.min = 1, .max = 12, .metrics = &cpu50, .nmetrics = 1, .tolerance = 0.1};
    ck_assert_int_eq(wl_hpa_add(w.c, "a", d, &spec), SIM_OK);
    ck_assert_int_eq(wl_hpa_add(w.c, "b", d, &spec), SIM_OK);
    ck_assert_int_eq(wl_hpa_add(w.c, "c", lone, &spec), SIM_OK);
    ts_run_to(w.e, SIM_SEC(300));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 2);
    ck_assert_int_gt(sim_workload(w.e, lone)->replicas, 2);
    for (size_t i = 0; i < 2; i++) {
        const WlHpaDecision *dec = wl_hpa_last(w.c, i);
        ck_assert_ptr_nonnull(dec);
        ck_assert_int_eq(dec->limited_by, WL_HPA_LIMIT_AMBIGUOUS);
        ck_assert_str_eq(dec->reason, "AmbiguousSelector");
        ck_assert_str_eq(wl_hpa_limit_name(dec->limited_by), "ambiguous-selector");
    }
    tw_free(&w);
    w = world_mem(NULL, SIM_SEC(600));
    d = deployment(&w, "hot", 2, 900);
    spec.min = 5;   /* below min: corrected to 5 all the same, then held */
    ck_assert_int_eq(wl_hpa_add(w.c, "a", d, &spec), SIM_OK);
    ck_assert_int_eq(wl_hpa_add(w.c, "b", d, &spec), SIM_OK);
    ts_run_to(w.e, SIM_SEC(300));
    ck_assert_int_eq(sim_workload(w.e, d)->replicas, 5);
    tw_free(&w);
}
END_TEST

/* ---- Lua declarations -------------------------------------------------------------- */
static const char world_src[] =
    "region { name = \"eu\" }\n"
    "nodegroup { name = \"g\", cpu = \"64\", memory = \"256Gi\", min = 2, max = 4 }\n"
    "deployment { name = \"web\", replicas = 2, cpu = \"1\", memory = \"1Gi\", usage = { cpu = \"900m\" } }\n";

static void expect_load_error(const char *decl, const char *frag)
{
    char src[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src, decl);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "s.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", decl);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag);
    ck_assert_int_eq(m.live, 0);
}

#define CPU70 "metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", " \
              "average_utilization = 70 } } }"

START_TEST(lua_hpa_declaration_errors_name_file_and_line)
{
    expect_load_error("hpa { name = \"h\", target = \"web\", min = 5, max = 3 }\n",
                      "s.lua:4: hpa 'h': field 'min': min (5) is greater than max (3)");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, metrics = { { type = \"Cpu\", name = \"x\", "
                      "target = { type = \"Value\", value = 1 } } } }\n",
                      "s.lua:4: hpa 'h': field 'metrics[1]': field 'type': unknown metric type \"Cpu\"");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, metrics = { { type = \"Pods\", name = \"rps\", "
                      "target = { type = \"Utilization\", average_utilization = 50 } } } }\n",
                      "s.lua:4: hpa 'h': field 'metrics[1]': field 'target': field 'type': a Pods metric does not "
                      "take a Utilization target");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, metrics = { { type = \"External\", name = \"q\", "
                      "target = { type = \"AverageValue\", average_value = \"five\" } } } }\n",
                      "s.lua:4: hpa 'h': field 'metrics[1]': field 'target': field 'average_value': \"five\"");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, metrics = { { type = \"Resource\", name = \"cpu\", "
                      "target = { type = \"Utilization\", average_value = \"1\" } } } }\n",
                      "field 'target': field 'average_utilization': is required with a target of type Utilization");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, " CPU70 ", tolerence = 0.2 }\n",
                      "s.lua:4: unknown field 'tolerence' in hpa 'h' (did you mean 'tolerance'?)");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, metrics = { { type = \"Resource\", name = \"cpu\", "
                      "target = { type = \"Utilization\", average_utilisation = 70 } } } }\n",
                      "unknown field 'average_utilisation' in hpa 'h': field 'metrics[1]': field 'target' (did you "
                      "mean 'average_utilization'?)");
    expect_load_error("hpa { name = \"h\", target = \"api\", max = 3 }\n",
                      "s.lua:4: hpa 'h': field 'target': no deployment or statefulset named 'api' is declared before "
                      "this line");
    expect_load_error("hpa { name = \"h\", target = \"web\" }\n", "s.lua:4: hpa 'h': field 'max': is required");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, " CPU70 " }\n"
                      "hpa { name = \"h\", target = \"web\", max = 4, " CPU70 " }\n",
                      "s.lua:5: hpa 'h': field 'name': 'h' is declared twice");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, behavior = { scale_up = { policies = { { type = "
                      "\"Pods\", value = 4, period = \"1h\" } } } } }\n",
                      "s.lua:4: hpa 'h': field 'behavior': field 'scale_up': field 'policies[1]': field 'period': must "
                      "be whole seconds from 1s to 1800s");
    expect_load_error("hpa { name = \"h\", target = \"web\", max = 3, behavior = { scale_down = { select_policy = "
                      "\"Least\" } } }\n",
                      "field 'scale_down': field 'select_policy': \"Least\" is not Max, Min or Disabled");
    /* Issue 14: with HPAScaleToZero on, min 0 still needs an Object or External metric (the API's
     * validation); before, this case was refused without any gate. */
    expect_load_error("scenario { feature_gates = { HPAScaleToZero = true } }\n"
                      "hpa { name = \"h\", target = \"web\", min = 0, max = 3 }\n",
                      "s.lua:5: hpa 'h': field 'min': 0 needs an Object or External metric");
}
END_TEST

#define QUEUE_LEN "metrics = { { type = \"External\", name = \"work/queue_length\", target = { type = " \
                  "\"AverageValue\", average_value = \"5\" } } }"

/* Issue 14: min = 0 is the alpha feature gate HPAScaleToZero's: refused
 * with file:line, the field and the gate's name unless the scenario turns
 * the gate on above; an unknown gate is refused listing the known ones. */
START_TEST(lua_hpa_scale_to_zero_needs_the_gate)
{
    expect_load_error("hpa { name = \"h\", target = \"web\", min = 0, max = 3, " QUEUE_LEN " }\n",
                      "s.lua:4: hpa 'h': field 'min': 0 needs the feature gate HPAScaleToZero");
    expect_load_error("scenario { feature_gates = { HPAScaleToZero = false } }\n"
                      "hpa { name = \"h\", target = \"web\", min = 0, max = 3, " QUEUE_LEN " }\n",
                      "s.lua:5: hpa 'h': field 'min': 0 needs the feature gate HPAScaleToZero");
    expect_load_error("scenario { feature_gates = { HPAScaleToZer0 = true } }\n",
                      "s.lua:4: scenario: field 'feature_gates': unknown feature gate 'HPAScaleToZer0' (known: "
                      "HPAScaleToZero");
    expect_load_error("scenario { feature_gates = { HPAScaleToZero = \"yes\" } }\n",
                      "s.lua:4: scenario: field 'feature_gates': HPAScaleToZero: expected true or false, got string");
    expect_load_error("scenario { feature_gates = { true } }\n",
                      "s.lua:4: scenario: field 'feature_gates': keys are gate names");
    expect_load_error("scenario { feature_gates = true }\n",
                      "s.lua:4: scenario: field 'feature_gates': expected a table");
    expect_load_error("scenario { feature_gates = { HPAScaleToZero = true } }\n"
                      "queue { name = \"work\" }\n"
                      "hpa { name = \"h\", target = \"web\", min = 0, max = 3, " QUEUE_LEN " }\n"
                      "scenario { feature_gates = { HPAScaleToZero = false } }\n",
                      "s.lua:7: scenario: field 'feature_gates': HPAScaleToZero: a declaration above needs it on");
}
END_TEST

/* With the gate on, an HPA on an empty queue scales its workers to zero. */
START_TEST(lua_hpa_scale_to_zero_with_the_gate_runs)
{
    char src[4096], dir[700];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "scenario { name = \"zero\", duration = \"10m\", sample_every = \"30s\",\n"
             "           feature_gates = { HPAScaleToZero = true } }\n%s"
             "queue { name = \"work\" }\n"
             "deployment { name = \"workers\", queue = \"work\", replicas = 2, cpu = \"1\", memory = \"1Gi\" }\n"
             "hpa { name = \"workers\", target = \"workers\", min = 0, max = 4, " QUEUE_LEN " }\n", world_src);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "zero.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    ck_assert(scn_feature_gates(s) & WL_GATE_BIT(WL_GATE_HPA_SCALE_TO_ZERO));
    snprintf(dir, sizeof dir, "%s/zero", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, W_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 1, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    char path[800];
    size_t len;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    char *csv = tf_slurp(path, &len);
    ck_assert_msg(strstr(csv, ",eu,hpa,workers,current_replicas,0\n"), "the workers never reached 0");
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* A scenario with an HPA runs end to end: summary.json counts the scale-ups,
 * metrics.csv has the HPA's rows, and the trace its decisions. */
START_TEST(lua_hpa_scenario_runs_end_to_end)
{
    char src[4096], dir[700];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "scenario { name = \"hpa\", duration = \"10m\", sample_every = \"30s\" }\n%s"
             "hpa { name = \"web\", target = \"web\", min = 2, max = 8, " CPU70 ",\n"
             "      behavior = { scale_up = { stabilization_window = \"0s\", select_policy = \"Max\",\n"
             "                                policies = { { type = \"Pods\", value = 2, period = \"15s\" } } },\n"
             "                   scale_down = { stabilization_window = \"5m\" } }, tolerance = 0.1 }\n"
             "expect(\"scaled up\", function(r) return r.hpa.scale_ups >= 1 end)\n", world_src);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "run.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    snprintf(dir, sizeof dir, "%s/run", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, W_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 1, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    ck_assert_int_eq(res.expectations_failed, 0);
    char path[800];
    size_t len;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    char *csv = tf_slurp(path, &len);
    ck_assert_msg(strstr(csv, ",eu,hpa,web,desired_replicas,8\n"), "no HPA rows reaching max 8");
    ck_assert_msg(strstr(csv, ",eu,hpa,web,cpu_utilization,90\n"), "no cpu_utilization row");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *sum = cJSON_Parse(tf_slurp(path, &len));
    ck_assert_ptr_nonnull(sum);
    ck_assert_int_ge((int)cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "hpa"), "scale_ups")->valuedouble, 3);
    cJSON_Delete(sum);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(lua_hpa_load_oom_sweep_leaks_nothing)
{
    char src[4096];
    snprintf(src, sizeof src, "%shpa { name = \"h\", target = \"web\", max = 5, " CPU70 ",\n"
             "  behavior = { scale_down = { policies = { { type = \"Percent\", value = 50, period = \"1m\" } } } } }\n",
             world_src);
    tl_load_oom_sweep(tr_write(tmpdir, "oom.lua", src));
}
END_TEST

/* Allocation N fails, for every N, in each fixture (as JSON and as text): the
 * answer or "out of memory" with nothing printed, and no leak; the parse,
 * the world, the decision and the answer's cJSON tree all allocate through
 * the SimMem handed in. */
START_TEST(explain_hpa_fixture_fails_cleanly_at_every_allocation)
{
    size_t len;
    char *text = tf_read(&fixtures, _i, &len);
    ts_explain_oom_sweep(wl_hpa_explain_case, text, len);
}
END_TEST

int main(void)
{
    if (tf_src("hpa") == NULL)
        return 2;
    tf_list(&fixtures, "tests/fixtures/explain_hpa", ".json");
    Suite *s = suite_create("hpa");
    TCase *tc = tcase_create("explain");
    tcase_add_loop_test(tc, explain_hpa_fixture_matches_its_expectations, 0, fixtures.n);
    tcase_add_loop_test(tc, explain_hpa_fixture_fails_cleanly_at_every_allocation, 0, fixtures.n);
    tcase_add_test(tc, explain_hpa_not_json_names_line_and_column);
    tcase_add_test(tc, explain_hpa_unknown_field_names_json_path);
    tcase_add_test(tc, explain_hpa_malformed_quantity_names_json_path);
    tcase_add_test(tc, explain_hpa_min_above_max_refused);
    tcase_add_test(tc, explain_hpa_unknown_metric_type_refused);
    tcase_add_test(tc, explain_hpa_bad_targets_refused);
    tcase_add_test(tc, explain_hpa_command_exit_codes);
    tcase_add_test(tc, legacy_recommendations_reuse_old_slots);
    tcase_add_test(tc, explain_hpa_long_quantity_refused_not_overrun);
    TCase *big = tcase_create("explain_big");
    tcase_set_timeout(big, 60);
    tcase_add_test(big, explain_hpa_many_pods_read_in_one_pass);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, big);
    TCase *live = tcase_create("live");
    tcase_add_test(live, live_hot_deployment_scales_up_as_policies_allow);
    tcase_add_test(live, live_quiet_deployment_scales_down_after_window);
    tcase_add_test(live, live_first_sync_one_period_after_add);
    tcase_add_test(live, live_behavior_first_scale_down_one_window_after_first_sync);
    tcase_add_test(live, live_decisions_traced_and_sampled);
    tcase_add_test(live, live_oom_sweep_leaks_nothing);
    tcase_add_test(live, live_add_refuses_bad_specs);
    tcase_add_test(live, live_two_hpas_on_one_target_neither_scales);
    tcase_add_test(live, live_pods_on_crashed_node_are_missing_then_back_after_two_scrapes);
    tcase_add_test(live, live_missing_pods_count_at_request_on_scale_down);
    tcase_add_test(live, live_pods_metric_of_crashed_node_is_missing_until_the_next_scrape);
    tcase_add_test(live, pod_view_maps_not_ready_node_to_ready_false_and_missing);
    suite_add_tcase(s, live);
    TCase *lua = tcase_create("lua");
    tcase_add_test(lua, lua_hpa_declaration_errors_name_file_and_line);
    tcase_add_test(lua, lua_hpa_scale_to_zero_needs_the_gate);
    tcase_add_test(lua, lua_hpa_scale_to_zero_with_the_gate_runs);
    tcase_add_test(lua, lua_hpa_scenario_runs_end_to_end);
    tcase_add_test(lua, lua_hpa_load_oom_sweep_leaks_nothing);
    suite_add_tcase(s, lua);
    int rc = tr_main(s, tmpdir);
    printf("%d explain hpa fixtures\n", fixtures.n);
    return rc ? rc : fixtures.n == 0;
}
