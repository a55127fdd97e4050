/*
 * test_explain_ca.c: `kubesim explain autoscaler` on the fixtures in
 * tests/fixtures/explain_autoscaler/. Each fixture is named after the rule of
 * k8s-behaviour.md §2 it pins and carries an "expect" block, checked against
 * the in-process answer (sched_ca_explain_case) and against the --json output
 * of the real binary (KUBESIM_BIN), which must be the same JSON:
 *   "candidates": N, "unschedulable": ["ns/name", ...],
 *   "chosen": {"group", "delta"} or null,
 *   "options": {GROUP: {nodes, pods, score} or {excluded}},
 *   "nodes": {NODE: {unneeded, reason, utilization, blockedBy: [{pod, reason}]}}.
 * Only the keys given are checked; numbers to within 1e-6.
 * Also the bad-input contract: malformed JSON, wrong types, min > max, a
 * negative price, a template without allocatable, a node without its group
 * label or naming an unknown group are refused with the file and the JSON
 * path, exit 2 and nothing on stdout.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scheduler/explain.h"

#include "tf.h"
#include "tr.h"
#include "ts.h"

#define FIXDIR "tests/fixtures/explain_autoscaler"

static TfList fixtures;
static char tmpdir[256];

static char *slurp(const char *path, size_t *len)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (f == NULL)
        return buf[0] = '\0', buf;
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* In-process explain; the JSON answer (caller frees) or NULL with err. */
static cJSON *explain(const char *text, size_t len, const char *name, SimErr *err)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    SimMem m;
    sim_mem_init(&m);
    int rc = sched_ca_explain_case(&m, text, len, name, 1, f, err);
    fclose(f);
    ck_assert_msg(m.live == 0, "%s: %lld bytes leaked", name, (long long)m.live);
    cJSON *j = rc == SIM_OK ? cJSON_Parse(out) : NULL;
    if (rc != SIM_OK)
        ck_assert_msg(outlen == 0, "%s: output written despite an error", name);
    free(out);
    return j;
}

/* Runs the binary with a printf-style argument string; returns its exit
 * status, stdout in out.txt and stderr in err.txt of tmpdir. */
static int ks(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out.txt' 2>'%s/err.txt'", getenv("KUBESIM_BIN"), args, tmpdir, tmpdir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *out_of(const char *which)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s.txt", tmpdir, which);
    return slurp(path, &len);
}

/* ---- expectations --------------------------------------------------------------- */
/* Does got match want: objects key by key (only want's keys), arrays item by
 * item and of the same length, numbers to 1e-6? path names the place. */
static void match(const char *fx, const char *path, const cJSON *want, const cJSON *got)
{
    char sub[512];
    ck_assert_msg(got != NULL, "%s: %s is missing", fx, path);
    if (cJSON_IsObject(want)) {
        const cJSON *w;
        ck_assert_msg(cJSON_IsObject(got), "%s: %s is not an object", fx, path);
        cJSON_ArrayForEach(w, want) {
            snprintf(sub, sizeof sub, "%s.%s", path, w->string);
            match(fx, sub, w, cJSON_GetObjectItemCaseSensitive(got, w->string));
        }
    } else if (cJSON_IsArray(want)) {
        ck_assert_msg(cJSON_IsArray(got) && cJSON_GetArraySize(got) == cJSON_GetArraySize(want),
                      "%s: %s has %d items, want %d", fx, path, cJSON_GetArraySize(got), cJSON_GetArraySize(want));
        for (int i = 0; i < cJSON_GetArraySize(want); i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            match(fx, sub, cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i));
        }
    } else if (cJSON_IsNumber(want)) {
        ck_assert_msg(cJSON_IsNumber(got) && fabs(got->valuedouble - want->valuedouble) <= 1e-6,
                      "%s: %s is %g, want %g", fx, path, cJSON_IsNumber(got) ? got->valuedouble : NAN,
                      want->valuedouble);
    } else {
        char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
        ck_assert_msg(cJSON_Compare(want, got, 1), "%s: %s is %s, want %s", fx, path, g, w);
        cJSON_free(g);
        cJSON_free(w);
    }
}

/* The item of array arr whose key is name. */
static const cJSON *item(const cJSON *arr, const char *key, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
        const cJSON *k = cJSON_GetObjectItem(x, key);
        if (cJSON_IsString(k) && strcmp(k->valuestring, name) == 0)
            return x;
    }
    return NULL;
}

static void check_named(const char *fx, const cJSON *want, const cJSON *arr, const char *key, const char *what)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        char path[256];
        snprintf(path, sizeof path, "%s %s", what, w->string);
        match(fx, path, w, item(arr, key, w->string));
    }
}

static void check_expect(const char *fx, const cJSON *exp, const cJSON *ans)
{
    const cJSON *up = cJSON_GetObjectItem(ans, "scaleUp"), *down = cJSON_GetObjectItem(ans, "scaleDown"), *w;
    ck_assert_msg(cJSON_IsObject(up) && cJSON_IsObject(down), "%s: scaleUp and scaleDown are required", fx);
    ck_assert_msg(cJSON_IsArray(cJSON_GetObjectItem(up, "options")) && cJSON_IsArray(cJSON_GetObjectItem(down, "nodes")),
                  "%s: scaleUp.options and scaleDown.nodes are arrays", fx);
    ck_assert_msg(cJSON_GetObjectItem(up, "chosen") != NULL, "%s: scaleUp.chosen is required", fx);
    if ((w = cJSON_GetObjectItem(exp, "candidates")) != NULL)
        match(fx, "candidates", w, cJSON_GetObjectItem(up, "candidates"));
    if ((w = cJSON_GetObjectItem(exp, "unschedulable")) != NULL)
        match(fx, "unschedulable", w, cJSON_GetObjectItem(up, "unschedulable"));
    if ((w = cJSON_GetObjectItem(exp, "chosen")) != NULL)
        match(fx, "chosen", w, cJSON_GetObjectItem(up, "chosen"));
    if ((w = cJSON_GetObjectItem(exp, "options")) != NULL)
        check_named(fx, w, cJSON_GetObjectItem(up, "options"), "group", "option");
    if ((w = cJSON_GetObjectItem(exp, "nodes")) != NULL)
        check_named(fx, w, cJSON_GetObjectItem(down, "nodes"), "name", "node");
}

/* Every option and node verdict has the documented shape. */
static void check_shape(const char *fx, const cJSON *ans)
{
    const cJSON *x, *up = cJSON_GetObjectItem(ans, "scaleUp");
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(up, "options")) {
        ck_assert_msg(cJSON_IsString(cJSON_GetObjectItem(x, "group")), "%s: an option without group", fx);
        ck_assert_msg(cJSON_IsString(cJSON_GetObjectItem(x, "excluded")) ||
                          (cJSON_IsNumber(cJSON_GetObjectItem(x, "nodes")) &&
                           cJSON_IsNumber(cJSON_GetObjectItem(x, "pods")) &&
                           (cJSON_IsNumber(cJSON_GetObjectItem(x, "score")) ||
                            (cJSON_IsNull(cJSON_GetObjectItem(x, "score")) &&
                             cJSON_IsString(cJSON_GetObjectItem(x, "note"))))),
                      "%s: an option needs nodes, pods and score (or a null score and a note), or excluded", fx);
    }
    const cJSON *ch = cJSON_GetObjectItem(up, "chosen");
    ck_assert_msg(cJSON_IsNull(ch) || (cJSON_IsString(cJSON_GetObjectItem(ch, "group")) &&
                                       cJSON_GetObjectItem(ch, "delta")->valuedouble >= 1),
                  "%s: chosen is null or {group, delta >= 1}", fx);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(ans, "scaleDown"), "nodes")) {
        double u = cJSON_GetObjectItem(x, "utilization")->valuedouble;
        ck_assert_msg(u >= 0 && u <= 1, "%s: utilization %g outside 0..1", fx, u);
        ck_assert_msg(cJSON_IsBool(cJSON_GetObjectItem(x, "unneeded")) &&
                          cJSON_IsArray(cJSON_GetObjectItem(x, "blockedBy")),
                      "%s: a node needs unneeded and blockedBy", fx);
        ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItem(x, "unneeded")) ==
                          cJSON_IsNull(cJSON_GetObjectItem(x, "reason")),
                      "%s: a node has a reason exactly when it is not unneeded", fx);
    }
}

START_TEST(explain_autoscaler_fixture_matches_its_expectations)
{
    const char *fx = fixtures.name[_i];
    char path[800];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/%s", fixtures.dir, fx);
    size_t len;
    char *text = tf_slurp(path, &len);
    cJSON *c = cJSON_Parse(text);
    ck_assert_msg(c != NULL, "%s is not JSON", fx);
    ck_assert_msg(cJSON_IsString(cJSON_GetObjectItem(c, "description")), "%s has no description", fx);
    const cJSON *exp = cJSON_GetObjectItem(c, "expect");
    ck_assert_msg(cJSON_IsObject(exp), "%s has no expect block", fx);
    cJSON *ans = explain(text, len, fx, &err);
    ck_assert_msg(ans != NULL, "%s: %s", fx, sim_err_msg(&err));
    check_shape(fx, ans);
    check_expect(fx, exp, ans);
    cJSON *again = explain(text, len, fx, &err);
    ck_assert_msg(again && cJSON_Compare(ans, again, 1), "%s: a second run answered differently", fx);
    cJSON_Delete(again);
    /* The binary answers the same, in JSON and as text. */
    ck_assert_int_eq(ks("explain autoscaler '%s' --json", path), 0);
    cJSON *bin = cJSON_Parse(out_of("out"));
    ck_assert_msg(bin && cJSON_Compare(ans, bin, 1), "%s: --json differs from the in-process answer", fx);
    cJSON_Delete(bin);
    ck_assert_int_eq(ks("explain autoscaler '%s'", path), 0);
    const char *t = out_of("out");
    ck_assert_msg(strstr(t, "scale-up") && strstr(t, "scale-down") && strstr(t, "chosen:"), "%s: text: %s", fx, t);
    const cJSON *ch = cJSON_GetObjectItem(cJSON_GetObjectItem(ans, "scaleUp"), "chosen");
    if (cJSON_IsObject(ch)) {
        char line[256];
        snprintf(line, sizeof line, "chosen: %s, +%.0f", cJSON_GetObjectItem(ch, "group")->valuestring,
                 cJSON_GetObjectItem(ch, "delta")->valuedouble);
        ck_assert_msg(strstr(t, line), "%s: text lacks '%s': %s", fx, line, t);
    }
    cJSON_Delete(ans);
    cJSON_Delete(c);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------ */
#define TEMPLATE "{\"metadata\":{\"name\":\"t\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\"}}}"
#define GROUP "{\"name\":\"pool\",\"min\":0,\"max\":3,\"template\":" TEMPLATE "}"
#define NODE(labels) "{\"metadata\":{\"name\":\"n1\",\"labels\":" labels "},\"status\":{\"allocatable\":" \
                     "{\"cpu\":\"4\",\"memory\":\"8Gi\"}}}"

static const char *const bad_cases[][2] = {
    {"{\n  \"nodeGroups\": [\n    oops\n  ]\n}\n", "case.json:3:"},
    {"{\"nodeGroups\":[" GROUP "],\"podz\":[]}", "case.json: $: unknown field \"podz\""},
    {"{\"nodeGroups\":{}}", "case.json: $.nodeGroups: a non-empty array"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"min\":\"1\",\"max\":3,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].min: expected a whole number"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"min\":4,\"max\":3,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0]: min 4 is greater than max 3"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"pricePerHour\":-0.5,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].pricePerHour: expected a price"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"template\":{\"metadata\":{\"name\":\"t\"},\"status\":{}}}]}",
     "case.json: $.nodeGroups[0].template.status.allocatable: status.allocatable is required"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3}]}", "case.json: $.nodeGroups[0].template: is required"},
    {"{\"nodeGroups\":[" GROUP "],\"nodes\":[" NODE("{}") "]}",
     "case.json: $.nodes[0].metadata.labels: the label kubesim.io/node-group is required"},
    {"{\"nodeGroups\":[" GROUP "],\"nodes\":[" NODE("{\"kubesim.io/node-group\":\"other\"}") "]}",
     "case.json: $.nodes[0].metadata.labels: kubesim.io/node-group: \"other\" names no group"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"current\":0,\"template\":" TEMPLATE "}],\"nodes\":["
     NODE("{\"kubesim.io/node-group\":\"pool\"}") "]}",
     "case.json: $.nodeGroups[0].current: 0, but 1 nodes"},
    /* Item 9: current far above max made a node per count (minutes); now refused. */
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"current\":50,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].current: 50 is above max 3"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":2147483647,\"current\":2000000000,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].current: expected a whole number from 0 to 100000"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":0,\"template\":" TEMPLATE "}],\"nodes\":["
     NODE("{\"kubesim.io/node-group\":\"pool\"}") "]}",
     "case.json: $.nodeGroups[0].max: 0, but 1 nodes of $.nodes belong to the group"},
    /* Item 11: numbers beyond int64_t are refused before any cast. */
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"current\":1e300,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].current: expected a whole number"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":-1e300,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].max: expected a whole number"},
    {"{\"nodeGroups\":[" GROUP "],\"maxNodesTotal\":1e19}", "case.json: $.maxNodesTotal: expected a whole number"},
    {"{\"nodeGroups\":[{\"name\":\"pool\",\"max\":3,\"pricePerHour\":1e300,\"template\":" TEMPLATE "}]}",
     "case.json: $.nodeGroups[0].pricePerHour: expected a price in USD per hour, from 0 to 1e6, or null (unknown)"},
    {"{\"nodeGroups\":[" GROUP "],\"expander\":\"cheapest\"}", "case.json: $.expander: \"cheapest\" is not one of"},
    {"{\"nodeGroups\":[" GROUP "],\"expander\":[\"priority\",7]}", "case.json: $.expander[1]: expected a string"},
    {"{\"nodeGroups\":[" GROUP "],\"scaleDownUtilizationThreshold\":1.5}",
     "case.json: $.scaleDownUtilizationThreshold: expected a number from 0 to 1"},
    {"{\"nodeGroups\":[" GROUP "],\"pods\":[{\"metadata\":{\"name\":\"p\",\"annotations\":{\"a\":1}},"
     "\"spec\":{\"containers\":[{\"name\":\"c\"}]}}]}", "case.json: $.pods[0].metadata.annotations.a: expected a string"},
    {"{\"nodeGroups\":[" GROUP "],\"pods\":[{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n9\","
     "\"containers\":[{\"name\":\"c\"}]}}]}", "case.json: $.pods[0].spec.nodeName: \"n9\" names no node"},
};

START_TEST(explain_autoscaler_bad_input_names_file_and_path)
{
    const char *text = bad_cases[_i][0], *frag = bad_cases[_i][1];
    SimErr err = SIM_ERR_INIT;
    cJSON *ans = explain(text, strlen(text), "case.json", &err);
    ck_assert_msg(ans == NULL, "accepted: %s", text);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "error '%s' lacks '%s'", sim_err_msg(&err), frag);
}
END_TEST

/* The command: exit 2, nothing on stdout and the file and path on stderr. */
START_TEST(explain_autoscaler_command_refuses_bad_input)
{
    const char *text = bad_cases[_i][0], *frag = bad_cases[_i][1];
    char path[512];
    snprintf(path, sizeof path, "%s/case.json", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(ks("explain autoscaler '%s' --json", path), 2);
    ck_assert_msg(out_of("out")[0] == '\0', "stdout not empty: %s", out_of("out"));
    const char *e = out_of("err");
    const char *rest = strstr(frag, "case.json") == frag ? frag + strlen("case.json") : frag;
    ck_assert_msg(strstr(e, path) && strstr(e, rest), "stderr '%s' lacks '%s' and '%s'", e, path, rest);
}
END_TEST

/* Names were formatted into char[256]: a long pod name came out cut in the
 * answer (and long group names gave upcoming nodes the same name). */
START_TEST(explain_autoscaler_long_names_come_out_whole)
{
    char name[301], text[4096], want[320];
    SimErr err = SIM_ERR_INIT;
    memset(name, 'a', 300);
    name[300] = '\0';
    snprintf(text, sizeof text, "{\"nodeGroups\":[" GROUP "],\"pods\":[{\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"64\"}}}]}}]}", name);
    cJSON *ans = explain(text, strlen(text), "case.json", &err);
    ck_assert_msg(ans != NULL, "refused: %s", sim_err_msg(&err));
    const cJSON *pend = cJSON_GetObjectItem(cJSON_GetObjectItem(ans, "scaleUp"), "unschedulable");
    snprintf(want, sizeof want, "default/%s", name);
    ck_assert_int_eq(cJSON_GetArraySize(pend), 1);
    ck_assert_str_eq(cJSON_GetArrayItem(pend, 0)->valuestring, want);
    cJSON_Delete(ans);
}
END_TEST

START_TEST(explain_autoscaler_usage)
{
    ck_assert_int_eq(ks("explain --help"), 0);
    ck_assert_msg(strstr(out_of("out"), "explain autoscaler CASE.json") && strstr(out_of("out"), "nodeGroups"),
                  "%s", out_of("out"));
    ck_assert_int_eq(ks("explain autoscaler"), 2);
    ck_assert_int_eq(ks("explain autoscaler '%s/missing.json'", tmpdir), 2);
    ck_assert_msg(out_of("out")[0] == '\0', "stdout not empty");
}
END_TEST

/* Allocation N fails, for every N, in each fixture (as JSON and as text): the
 * answer or "out of memory" with nothing printed, and no leak; the parse,
 * the world, the decision and the answer's cJSON tree all allocate through
 * the SimMem handed in. */
START_TEST(explain_ca_fixture_fails_cleanly_at_every_allocation)
{
    size_t len;
    char *text = tf_read(&fixtures, _i, &len);
    ts_explain_oom_sweep(sched_ca_explain_case, text, len);
}
END_TEST

/* `explain schedule` and `explain autoscaler` build their worlds with one
 * builder (scheduler/explain_world.c): the same bad Namespace, PriorityClass,
 * PodDisruptionBudget or pod is refused with the same message by both. */
START_TEST(explain_worlds_refuse_policy_objects_alike)
{
    static const char *const objs[][2] = {
        {"namespaces", "{\"metadata\": {}}"},
        {"priorityClasses", "{\"metadata\": {\"name\": \"p\"}}"},
        {"pdbs", "{\"metadata\": {\"name\": \"b\"}, \"spec\": {\"minAvailable\": 1, \"maxUnavailable\": 1}}"},
        {"pdbs", "{\"metadata\": {\"name\": \"b\"}, \"spec\": {\"minAvailable\": \"x%\"}}"},
        {"pods", "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"a\", "
                 "\"resources\": {\"requests\": {\"cpu\": \"1q\"}}}]}}"},
    };
    static const char node[] = "{\"metadata\": {\"name\": \"n\", \"labels\": {\"kubesim.io/node-group\": \"g\"}}, "
                               "\"status\": {\"allocatable\": {\"cpu\": \"4\", \"memory\": \"8Gi\"}}}";
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        char sched[4096], ca[4096];
        SimErr e1 = SIM_ERR_INIT, e2 = SIM_ERR_INIT;
        snprintf(sched, sizeof sched, "{\"nodes\": [%s], \"pod\": {\"metadata\": {\"name\": \"x\"}, \"spec\": "
                 "{\"containers\": [{\"name\": \"a\"}]}}, \"%s\": [%s]}", node, objs[i][0], objs[i][1]);
        snprintf(ca, sizeof ca, "{\"nodeGroups\": [{\"name\": \"g\", \"max\": 3, \"template\": %s}], "
                 "\"nodes\": [%s], \"%s\": [%s]}", node, node, objs[i][0], objs[i][1]);
        FILE *f = fopen("/dev/null", "w");
        SimMem m;
        sim_mem_init(&m);
        ck_assert_int_ne(sched_explain_case(&m, sched, strlen(sched), "c.json", 1, f, &e1), SIM_OK);
        ck_assert_int_ne(sched_ca_explain_case(&m, ca, strlen(ca), "c.json", 1, f, &e2), SIM_OK);
        ck_assert_int_eq(m.live, 0);
        fclose(f);
        ck_assert_msg(strncmp(sim_err_msg(&e1), "c.json: $.", 10) == 0, "%s", sim_err_msg(&e1));
        ck_assert_msg(strcmp(sim_err_msg(&e1), sim_err_msg(&e2)) == 0, "schedule: %s\nautoscaler: %s", sim_err_msg(&e1),
                      sim_err_msg(&e2));
    }
}
END_TEST

int main(void)
{
    if (getenv("KUBESIM_SRC") == NULL || getenv("KUBESIM_BIN") == NULL) {
        fprintf(stderr, "test_explain_ca: set KUBESIM_SRC and KUBESIM_BIN (ctest does)\n");
        return 2;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kubesim-explain-ca-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 2;
    tf_list(&fixtures, FIXDIR, ".json");
    int nbad = (int)(sizeof bad_cases / sizeof bad_cases[0]);
    Suite *s = suite_create("explain_autoscaler");
    TCase *tc = tcase_create("autoscaler");
    tcase_add_loop_test(tc, explain_autoscaler_fixture_matches_its_expectations, 0, fixtures.n);
    tcase_add_loop_test(tc, explain_ca_fixture_fails_cleanly_at_every_allocation, 0, fixtures.n);
    tcase_add_loop_test(tc, explain_autoscaler_bad_input_names_file_and_path, 0, nbad);
    tcase_add_loop_test(tc, explain_autoscaler_command_refuses_bad_input, 0, nbad);
    tcase_add_test(tc, explain_autoscaler_usage);
    tcase_add_test(tc, explain_autoscaler_long_names_come_out_whole);
    tcase_add_test(tc, explain_worlds_refuse_policy_objects_alike);
    suite_add_tcase(s, tc);
    int failed = tr_run(s, 1);   /* the tests share tmpdir's files and run in order */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_explain_ca: could not remove %s\n", tmpdir);
    printf("%d explain autoscaler fixtures\n", fixtures.n);
    return failed || fixtures.n < 10 ? 1 : 0;
}
