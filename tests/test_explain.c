/*
 * test_explain.c: `kubesim explain schedule` on the fixtures in
 * tests/fixtures/explain/. Each fixture is named after the rule of
 * k8s-behaviour.md it pins and carries an "expect" block:
 *   "selected": node name or null, "nominatedNodeName": ..., "victims": [...],
 *   "filters": {NODE: "Plugin: reason" or "passed"},
 *   "scores": {NODE: {PLUGIN: score}}, "totals": {NODE: total},
 *   "admission": "refusal message" (the pod is refused before scheduling),
 *   "message": the FitError text when nothing fits.
 * Also the bad-input contract: not JSON, unknown fields, malformed quantities
 * and taint effects are refused with the JSON path and nothing printed.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/explain.h"

#include "tf.h"
#include "tr.h"
#include "ts.h"


static TfList fixtures;

/* Runs explain on text; returns its JSON answer (caller frees) or NULL with err. */
static cJSON *explain(const char *text, size_t len, const char *name, SimErr *err)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    SimMem m;
    sim_mem_init(&m);
    int rc = sched_explain_case(&m, text, len, name, 1, f, err);
    fclose(f);
    ck_assert_msg(m.live == 0, "%s: %lld bytes leaked", name, (long long)m.live);
    cJSON *j = rc == SIM_OK ? cJSON_Parse(out) : NULL;
    if (rc != SIM_OK)
        ck_assert_msg(outlen == 0, "%s: output written despite an error", name);
    free(out);
    return j;
}

static const cJSON *node_of(const cJSON *ans, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(ans, "nodes"))
        if (strcmp(cJSON_GetObjectItem(n, "name")->valuestring, name) == 0)
            return n;
    return NULL;
}

static void check_filters(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        const cJSON *n = node_of(ans, w->string);
        ck_assert_msg(n != NULL, "%s: no node %s in the answer", fx, w->string);
        const cJSON *f = cJSON_GetObjectItem(n, "filter");
        char got[512];
        if (cJSON_IsTrue(cJSON_GetObjectItem(f, "passed")))
            snprintf(got, sizeof got, "passed");
        else
            snprintf(got, sizeof got, "%s: %s", cJSON_GetObjectItem(f, "plugin")->valuestring,
                     cJSON_GetObjectItem(f, "reason")->valuestring);
        ck_assert_msg(strcmp(got, w->valuestring) == 0, "%s: node %s: filter '%s', want '%s'", fx, w->string, got,
                      w->valuestring);
    }
}

static void check_scores(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *w, *p;
    cJSON_ArrayForEach(w, want) {
        const cJSON *n = node_of(ans, w->string);
        ck_assert_msg(n != NULL, "%s: no node %s", fx, w->string);
        cJSON_ArrayForEach(p, w) {
            const cJSON *got = cJSON_GetObjectItem(cJSON_GetObjectItem(n, "scores"), p->string);
            ck_assert_msg(cJSON_IsNumber(got), "%s: node %s has no %s score", fx, w->string, p->string);
            ck_assert_msg(got->valuedouble == p->valuedouble, "%s: node %s %s = %g, want %g", fx, w->string,
                          p->string, got->valuedouble, p->valuedouble);
        }
    }
}

static void check_totals(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        const cJSON *n = node_of(ans, w->string);
        ck_assert_msg(n != NULL, "%s: no node %s", fx, w->string);
        double got = cJSON_GetObjectItem(n, "total")->valuedouble;
        ck_assert_msg(got == w->valuedouble, "%s: node %s total %g, want %g", fx, w->string, got, w->valuedouble);
    }
}

/* A string-or-null field of the answer equals the expectation. */
static void check_name(const char *fx, const cJSON *ans, const cJSON *exp, const char *key)
{
    const cJSON *w = cJSON_GetObjectItem(exp, key), *g = cJSON_GetObjectItem(ans, key);
    if (w == NULL)
        return;
    if (cJSON_IsNull(w)) {
        ck_assert_msg(cJSON_IsNull(g), "%s: %s is %s, want null", fx, key, cJSON_IsString(g) ? g->valuestring : "?");
        return;
    }
    ck_assert_msg(cJSON_IsString(g) && strcmp(g->valuestring, w->valuestring) == 0, "%s: %s is %s, want %s", fx,
                  key, cJSON_IsString(g) ? g->valuestring : "null", w->valuestring);
}

static void check_victims(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *got = cJSON_GetObjectItem(ans, "victims");
    ck_assert_msg(cJSON_GetArraySize(got) == cJSON_GetArraySize(want), "%s: %d victims, want %d", fx,
                  cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    for (int i = 0; i < cJSON_GetArraySize(want); i++) {
        const char *w = cJSON_GetArrayItem(want, i)->valuestring;
        int found = 0;
        for (int k = 0; k < cJSON_GetArraySize(got); k++)
            found |= strcmp(cJSON_GetArrayItem(got, k)->valuestring, w) == 0;
        ck_assert_msg(found, "%s: victim %s missing", fx, w);
    }
}

static void check_admission(const char *fx, const cJSON *ans, const cJSON *want)
{
    const cJSON *adm = cJSON_GetObjectItem(ans, "admission");
    ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(adm, "allowed")), "%s: admission allowed the pod", fx);
    const char *got = cJSON_GetObjectItem(adm, "reason")->valuestring;
    ck_assert_msg(strcmp(got, want->valuestring) == 0, "%s: admission '%s', want '%s'", fx, got, want->valuestring);
}

START_TEST(explain_fixture_matches_its_expectations)
{
    const char *fx = fixtures.name[_i];
    SimErr err = SIM_ERR_INIT;
    size_t len;
    char *text = tf_read(&fixtures, _i, &len);
    cJSON *c = cJSON_Parse(text);
    ck_assert_msg(c != NULL, "%s is not JSON", fx);
    const cJSON *exp = cJSON_GetObjectItem(c, "expect");
    ck_assert_msg(exp != NULL, "%s has no expect block", fx);
    cJSON *ans = explain(text, len, fx, &err);
    ck_assert_msg(ans != NULL, "%s: %s", fx, sim_err_msg(&err));
    check_name(fx, ans, exp, "selected");
    check_name(fx, ans, exp, "nominatedNodeName");
    check_name(fx, ans, exp, "message");
    if (cJSON_GetObjectItem(exp, "filters"))
        check_filters(fx, ans, cJSON_GetObjectItem(exp, "filters"));
    if (cJSON_GetObjectItem(exp, "scores"))
        check_scores(fx, ans, cJSON_GetObjectItem(exp, "scores"));
    if (cJSON_GetObjectItem(exp, "totals"))
        check_totals(fx, ans, cJSON_GetObjectItem(exp, "totals"));
    if (cJSON_GetObjectItem(exp, "victims"))
        check_victims(fx, ans, cJSON_GetObjectItem(exp, "victims"));
    if (cJSON_GetObjectItem(exp, "admission"))
        check_admission(fx, ans, cJSON_GetObjectItem(exp, "admission"));
    /* Same input, same answer. */
    cJSON *again = explain(text, len, fx, &err);
    ck_assert_msg(again && cJSON_Compare(ans, again, 1), "%s: a second run answered differently", fx);
    cJSON_Delete(again);
    cJSON_Delete(ans);
    cJSON_Delete(c);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------- */
static const char node_ok[] =
    "{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\"}}}";
static const char pod_ok[] =
    "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}";

static void expect_refused(const char *text, const char *frag)
{
    SimErr err = SIM_ERR_INIT;
    cJSON *ans = explain(text, strlen(text), "case.json", &err);
    ck_assert_msg(ans == NULL, "accepted: %s", text);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "error '%s' lacks '%s'", sim_err_msg(&err), frag);
}

START_TEST(explain_not_json_names_line_and_column)
{
    expect_refused("{\n  \"nodes\": [\n    oops\n  ]\n}\n", "case.json:3:");
}
END_TEST

START_TEST(explain_unknown_field_names_json_path)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
             "[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}],\"nodeSelecter\":{}}}}", node_ok);
    expect_refused(text, "case.json: $.pod.spec: unknown field \"nodeSelecter\"");
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":%s,\"podz\":[]}", node_ok, pod_ok);
    expect_refused(text, "case.json: $: unknown field \"podz\"");
}
END_TEST

START_TEST(explain_malformed_quantity_names_json_path)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"nodes\":[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":"
             "{\"cpu\":\"four\",\"memory\":\"8Gi\"}}}],\"pod\":%s}", pod_ok);
    expect_refused(text, "$.nodes[0].status.allocatable.cpu: \"four\"");
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
             "[{\"name\":\"c\",\"resources\":{\"requests\":{\"memory\":\"-1Gi\"}}}]}}}", node_ok);
    expect_refused(text, "$.pod.spec.containers[0].resources.requests.memory: \"-1Gi\" must not be negative");
}
END_TEST

START_TEST(explain_bad_taint_effect_names_json_path)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"nodes\":[{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"taints\":[{\"key\":\"k\","
             "\"effect\":\"NoScheduling\"}]},\"status\":{\"allocatable\":{\"cpu\":\"4\"}}}],\"pod\":%s}", pod_ok);
    expect_refused(text, "$.nodes[0].spec.taints[0].effect: \"NoScheduling\" is not one of");
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
             "[{\"name\":\"c\"}],\"tolerations\":[{\"key\":\"k\",\"effect\":\"Sometimes\"}]}}}", node_ok);
    expect_refused(text, "$.pod.spec.tolerations[0].effect: \"Sometimes\"");
}
END_TEST

/* Item 1's class in the v1 reader (kube/): a quantity was copied into
 * char[64] and parsed cut short, so "0.000...01" (80 characters) read as 0. Now the text is parsed
 * where it is and refused when longer than 64 characters or above 2^53. */
START_TEST(explain_quantities_are_never_cut_or_overflowed)
{
    char text[4096], q[100];
    snprintf(q, sizeof q, "0.%075d1", 0);
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
             "[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}}", node_ok, q);
    expect_refused(text, "$.pod.spec.containers[0].resources.requests.cpu: \"0.0000");
    expect_refused(text, "is too long for a quantity (78 characters, at most 64)");
    snprintf(text, sizeof text, "{\"nodes\":[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":"
             "{\"cpu\":\"4\",\"memory\":\"1Ei\"}}}],\"pod\":%s}", pod_ok);
    expect_refused(text, "$.nodes[0].status.allocatable.memory: \"1Ei\" is larger than kubesim models");
    /* Each container within the limit, their sum not: refused, never wrapped. */
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
             "[{\"name\":\"a\",\"resources\":{\"requests\":{\"memory\":\"6Pi\"}}},"
             "{\"name\":\"b\",\"resources\":{\"requests\":{\"memory\":\"6Pi\"}}}]}}}", node_ok);
    expect_refused(text, "$.pod.spec.containers[1]: the pod's containers request more than kubesim models");
}
END_TEST

/* Item 11: numbers that do not fit int64_t were cast before the range check
 * (undefined; clang's UBSan stops there). They are refused with the path. */
START_TEST(explain_huge_numbers_refused_with_path)
{
    static const char *const nums[] = {"1e300", "-1e300", "9.3e18", "1e19", "2.5"};
    char text[4096];
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{"
                 "\"containers\":[{\"name\":\"c\"}],\"priority\":%s}}}", node_ok, nums[i]);
        expect_refused(text, "case.json: $.pod.spec.priority: expected a whole number");
        snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":{\"metadata\":{\"name\":\"p\"},\"spec\":{"
                 "\"containers\":[{\"name\":\"c\"}],\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\","
                 "\"tolerationSeconds\":%s}]}}}", node_ok, nums[i]);
        expect_refused(text, "$.pod.spec.tolerations[0].tolerationSeconds: expected a whole number");
        snprintf(text, sizeof text, "{\"nodes\":[%s],\"pod\":%s,\"pdbs\":[{\"metadata\":{\"name\":\"b\"},"
                 "\"spec\":{\"maxUnavailable\":%s}}]}", node_ok, pod_ok, nums[i]);
        expect_refused(text, "$.pdbs[0].spec.maxUnavailable: expected a non-negative integer or a percentage");
    }
}
END_TEST

START_TEST(explain_bound_pod_must_name_a_node)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"nodes\":[%s],\"pods\":[{\"metadata\":{\"name\":\"b\"},\"spec\":{\"nodeName\":"
             "\"nowhere\",\"containers\":[{\"name\":\"c\"}]}}],\"pod\":%s}", node_ok, pod_ok);
    expect_refused(text, "$.pods[0].spec.nodeName: names no node of the case");
    snprintf(text, sizeof text, "{\"nodes\":[%s]}", node_ok);
    expect_refused(text, "$.pod: the pod to place is required");
}
END_TEST

/* Allocations of one explain run on a fresh SimMem. */
static uint64_t explain_count(const char *text, int as_json)
{
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ck_assert_int_eq(sched_explain_case(&m, text, strlen(text), "case.json", as_json, f, &err), SIM_OK);
    fclose(f);
    free(out);
    ck_assert_int_eq(m.live, 0);
    return m.count;
}

/* cJSON's parse and print allocate through the SimMem handed in (so the
 * sweep above reaches them): an ignored description of 20 items costs the
 * parse at least 20 more allocations, and printing the JSON answer costs
 * more than writing the text one. */
START_TEST(explain_cjson_allocates_through_the_callers_allocator)
{
    char plain[2048], described[4096];
    snprintf(plain, sizeof plain, "{\"nodes\":[%s],\"pod\":%s}", node_ok, pod_ok);
    snprintf(described, sizeof described, "{\"description\":[%s],\"nodes\":[%s],\"pod\":%s}",
             "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", node_ok, pod_ok);
    ck_assert_uint_ge(explain_count(described, 0), explain_count(plain, 0) + 20);
    ck_assert_uint_gt(explain_count(plain, 1), explain_count(plain, 0));
}
END_TEST

/* Allocation N fails, for every N, in each fixture (as JSON and as text): the
 * answer or "out of memory" with nothing printed, and no leak; the parse,
 * the world, the decision and the answer's cJSON tree all allocate through
 * the SimMem handed in. */
START_TEST(explain_fixture_fails_cleanly_at_every_allocation)
{
    size_t len;
    char *text = tf_read(&fixtures, _i, &len);
    ts_explain_oom_sweep(sched_explain_case, text, len);
}
END_TEST

int main(void)
{
    if (tf_src("explain") == NULL)
        return 2;
    tf_list(&fixtures, "tests/fixtures/explain", ".json");
    Suite *s = suite_create("explain");
    TCase *tc = tcase_create("schedule");
    tcase_add_loop_test(tc, explain_fixture_matches_its_expectations, 0, fixtures.n);
    tcase_add_loop_test(tc, explain_fixture_fails_cleanly_at_every_allocation, 0, fixtures.n);
    tcase_add_test(tc, explain_cjson_allocates_through_the_callers_allocator);
    tcase_add_test(tc, explain_not_json_names_line_and_column);
    tcase_add_test(tc, explain_unknown_field_names_json_path);
    tcase_add_test(tc, explain_malformed_quantity_names_json_path);
    tcase_add_test(tc, explain_bad_taint_effect_names_json_path);
    tcase_add_test(tc, explain_bound_pod_must_name_a_node);
    tcase_add_test(tc, explain_quantities_are_never_cut_or_overflowed);
    tcase_add_test(tc, explain_huge_numbers_refused_with_path);
    suite_add_tcase(s, tc);
    int failed = tr_run(s, 0);
    printf("%d explain fixtures\n", fixtures.n);
    return failed || fixtures.n == 0 ? 1 : 0;
}
