/*
 * test_kube.c: the one reader of Kubernetes objects (kube/). A pod's
 * effective request is upstream's (max of the app containers' sum and the
 * largest init container, plus overhead), and the YAML importer counts the
 * same pod the same way; the reader's first problem sticks on the handle.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "kube/kube.h"

#include "tr.h"

/* One pod with every part of the formula: two app containers (500m + 250m,
 * 256Mi + 64Mi), an init container larger in CPU (1), and an overhead. */
static const char pod_json[] =
    "{\"metadata\": {\"name\": \"kata\"}, \"spec\": {"
    "\"overhead\": {\"cpu\": \"250m\", \"memory\": \"120Mi\"},"
    "\"initContainers\": [{\"name\": \"init\", \"resources\": {\"requests\": {\"cpu\": \"1\"}}}],"
    "\"containers\": [{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"500m\", \"memory\": \"256Mi\"}}},"
    "{\"name\": \"b\", \"resources\": {\"requests\": {\"cpu\": \"250m\", \"memory\": \"64Mi\"}}}]}}";

static const char pod_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kata}\n"
    "spec:\n  selector: {matchLabels: {app: kata}}\n  template:\n    metadata: {labels: {app: kata}}\n"
    "    spec:\n      overhead: {cpu: 250m, memory: 120Mi}\n"
    "      initContainers:\n      - {name: init, image: x, resources: {requests: {cpu: \"1\"}}}\n"
    "      containers:\n"
    "      - {name: a, image: x, resources: {requests: {cpu: 500m, memory: 256Mi}}}\n"
    "      - {name: b, image: x, resources: {requests: {cpu: 250m, memory: 64Mi}}}\n";

typedef struct Reader {
    SimMem mem;
    SimArena arena;
    KubeReader *r;
} Reader;

static void reader_open(Reader *rd)
{
    sim_mem_init(&rd->mem);
    sim_arena_init(&rd->arena, &rd->mem);
    rd->r = kube_reader_new(&rd->arena);
    ck_assert_ptr_nonnull(rd->r);
}

static void reader_close(Reader *rd)
{
    sim_arena_free(&rd->arena);
    ck_assert_int_eq(rd->mem.live, 0);
}

/* upstream resource helpers PodRequests: max(sum(app), max(init)) + overhead. */
START_TEST(kube_pod_request_is_max_of_app_and_init_plus_overhead)
{
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(pod_json);
    ck_assert_ptr_nonnull(j);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(p.spec.req.cpu_m, 1000 + 250);          /* the init container wins, then overhead */
    ck_assert_int_eq(p.spec.req.mem, (256 + 64 + 120) << 20); /* the app containers win, then overhead */
    ck_assert_int_eq(p.spec.req.pods, 1);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

START_TEST(kube_effective_request_adds_overhead_to_cpu_and_memory)
{
    SimRes app = {700, 100, 1, 0}, init = {900, 50, 2, 0}, over = {30, 7, 5, 0};
    SimRes r = kube_effective_request(&app, &init, &over);
    ck_assert_int_eq(r.cpu_m, 930);
    ck_assert_int_eq(r.mem, 107);
    ck_assert_int_eq(r.gpu, 2);   /* a RuntimeClass's overhead is CPU and memory */
    SimRes huge = {INT64_MAX - 1, INT64_MAX, 0, 0};
    r = kube_effective_request(&huge, &init, &over);   /* never past INT64_MAX (UBSan would say) */
    ck_assert(r.cpu_m == INT64_MAX && r.mem == INT64_MAX);
}
END_TEST

static int yes(const char *s)
{
    (void)s;
    return 1;
}

/* The scenario `kubesim import` writes for yaml (region "r"), as a string
 * the caller frees; the import leaks nothing. */
static char *imported(const char *path, const char *yaml)
{
    KxImportFile f = {.path = path, .text = yaml, .len = strlen(yaml), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = yes, .is_clock = yes};
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL;
    SimErr err = SIM_ERR_INIT;
    size_t len = 0;
    ck_assert_msg(kx_import(&m, &f, 1, &o, &text, &len, &err) == SIM_OK, "%s", sim_err_msg(&err));
    char *copy = strdup(text);
    sim_mem_free(&m, text, len + 1);
    ck_assert_int_eq(m.live, 0);
    return copy;
}

/* `import` (YAML) and `explain schedule` (JSON) read the same pod to the same
 * requests: one formula, overhead included. */
START_TEST(kube_import_and_explain_agree_on_a_pods_requests)
{
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(pod_json);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert(!kube_failed(rd.r));

    char *text = imported("pod.yaml", pod_yaml), want[128];
    snprintf(want, sizeof want, "cpu = \"%lldm\", memory = %lld", (long long)p.spec.req.cpu_m,
             (long long)p.spec.req.mem);
    ck_assert_msg(strstr(text, want) != NULL, "want %s in:\n%s", want, text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* API defaulting (SetDefaults_Pod) fills a request only where the container
 * gives none: `requests: {cpu: "0"}` with a CPU limit of 2 requests 0 CPU,
 * while memory, given only as a limit, requests its limit. The JSON reader
 * once read a written 0 as absent (2000m) where import kept 0; both now ask
 * kube_container_request. */
START_TEST(kube_a_written_zero_request_is_not_defaulted_to_the_limit)
{
    static const char json[] =
        "{\"metadata\": {\"name\": \"z\"}, \"spec\": {\"containers\": [{\"name\": \"a\", \"resources\": {"
        "\"requests\": {\"cpu\": \"0\"}, \"limits\": {\"cpu\": \"2\", \"memory\": \"1Gi\"}}}]}}";
    static const char yaml[] =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: z}\n"
        "spec:\n  selector: {matchLabels: {app: z}}\n  template:\n    metadata: {labels: {app: z}}\n"
        "    spec:\n      containers:\n"
        "      - {name: a, image: x, resources: {requests: {cpu: \"0\"}, limits: {cpu: \"2\", memory: 1Gi}}}\n";
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(p.spec.req.cpu_m, 0);
    ck_assert_int_eq(p.spec.req.mem, INT64_C(1) << 30);

    char *text = imported("z.yaml", yaml);
    /* import writes no cpu when the request is 0, and the memory request. */
    ck_assert_msg(strstr(text, "image = \"x\", memory = 1073741824, cpu_limit = \"2000m\"") != NULL, "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

START_TEST(kube_container_request_defaults_absent_requests_only)
{
    KubeContainerRes c = {{0, 5, 0, 0}, {300, 9, 2, 0}, KUBE_RES_CPU | KUBE_RES_MEM, KUBE_RES_CPU | KUBE_RES_GPU};
    SimRes r = kube_container_request(&c);
    ck_assert_int_eq(r.cpu_m, 0);   /* given as 0: stays */
    ck_assert_int_eq(r.mem, 5);     /* given: stays */
    ck_assert_int_eq(r.gpu, 2);     /* absent, with a limit: the limit */
}
END_TEST

/* The message lives on the reader: the first problem sticks, later ones are
 * dropped, and lookups answer "absent" after it. */
START_TEST(kube_first_problem_sticks_on_the_reader)
{
    Reader rd;
    reader_open(&rd);
    ck_assert_str_eq(kube_errmsg(rd.r), "");
    cJSON *j = cJSON_Parse("{\"a\": \"x\", \"b\": 3, \"ok\": true}");
    char sub[KUBE_PATH];
    ck_assert_ptr_null(kube_child(rd.r, j, "a", "$", cJSON_Number, sub));
    ck_assert_str_eq(kube_errmsg(rd.r), "$.a: expected a number");
    kube_fail(rd.r, "$.b", "a second problem");
    ck_assert_str_eq(kube_errmsg(rd.r), "$.a: expected a number");
    ck_assert_ptr_null(kube_child(rd.r, j, "ok", "$", cJSON_True, sub));
    ck_assert_int_eq(kube_get_int(rd.r, j, "b", "$", -1, 0, 10), -1);
    ck_assert(kube_failed(rd.r));
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* The two wordings of a mistyped boolean the explain cases have always used:
 * v1 objects' "a boolean", an HPA case's "true or false". */
START_TEST(kube_boolean_wording_per_caller)
{
    cJSON *j = cJSON_Parse("{\"u\": 1}");
    char sub[KUBE_PATH];
    Reader rd;
    reader_open(&rd);
    (void)kube_child(rd.r, j, "u", "$", cJSON_True, sub);
    ck_assert_str_eq(kube_errmsg(rd.r), "$.u: expected a boolean");
    reader_close(&rd);
    reader_open(&rd);
    (void)kube_child(rd.r, j, "u", "$", KUBE_BOOL_TF, sub);
    ck_assert_str_eq(kube_errmsg(rd.r), "$.u: expected true or false");
    reader_close(&rd);
    cJSON_Delete(j);
}
END_TEST

START_TEST(kube_not_json_names_file_line_and_column)
{
    Reader rd;
    reader_open(&rd);
    const char *text = "{\n  \"a\": ,\n}";
    ck_assert_ptr_null(cJSON_Parse(text));
    ck_assert_int_eq(kube_fail_json(rd.r, "case.json", text, cJSON_GetErrorPtr()), SIM_EINVAL);
    ck_assert_str_eq(kube_errmsg(rd.r), "case.json:2:8: not valid JSON");
    reader_close(&rd);
}
END_TEST

/* Keeps the last document's root and counts the documents. */
typedef struct Docs {
    KubeYNode *root;
    int n;
} Docs;

static void keep_doc(void *ctx, KubeYNode *root, const char *file)
{
    Docs *d = ctx;
    (void)file;
    d->root = root;
    d->n++;
}

/* YAML through the same reader: nodes keep their lines, empty and null
 * documents are skipped as kubectl skips them, and a field of the wrong
 * shape fails on the handle with FILE:LINE: field: why. */
START_TEST(kube_yaml_names_file_line_and_field)
{
    SimMem m;
    SimArena a;
    sim_mem_init(&m);
    sim_arena_init(&a, &m);
    KubeYaml *y = kube_yaml_new(&m, &a);
    ck_assert_ptr_nonnull(y);
    Docs d = {NULL, 0};
    const char *text = "---\n--- ~\n---\nkind: Pod\nspec:\n  containers: x\n";
    ck_assert_int_eq(kube_yaml_read(y, "p.yaml", text, strlen(text), keep_doc, &d), SIM_OK);
    ck_assert_int_eq(d.n, 1);
    ck_assert_str_eq(kube_y_get_str(d.root, "kind"), "Pod");
    ck_assert_int_eq(kube_y_get(d.root, "spec.containers")->line, 6);
    ck_assert_ptr_null(kube_y_seq(y, d.root, "spec.containers"));
    ck_assert_int_eq(kube_yaml_rc(y), SIM_EINVAL);
    ck_assert_str_eq(kube_yaml_errmsg(y), "p.yaml:6: spec.containers: expected a list, not a string");
    kube_yaml_fail(y, NULL, d.root, "a second problem");
    ck_assert_str_eq(kube_yaml_errmsg(y), "p.yaml:6: spec.containers: expected a list, not a string");
    kube_yaml_free(y);
    sim_arena_free(&a);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* What `kubesim import` says about yaml: NULL when it imports, else its
 * message (the caller frees it). */
static char *import_error(const char *path, const char *yaml)
{
    KxImportFile f = {.path = path, .text = yaml, .len = strlen(yaml), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = yes, .is_clock = yes};
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL, *msg = NULL;
    SimErr err = SIM_ERR_INIT;
    size_t len = 0;
    if (kx_import(&m, &f, 1, &o, &text, &len, &err) == SIM_OK)
        sim_mem_free(&m, text, len + 1);
    else
        msg = strdup(sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
    return msg;
}

static const char hpa_deploy_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec:\n      containers:\n      - {name: a, image: x, resources: {requests: {cpu: 500m}}}\n---\n";

/* An HPA manifest (after the Deployment it scales) whose scaleDown policy
 * has the given value and period. */
static void hpa_yaml(char *buf, size_t n, const char *value, const char *period)
{
    snprintf(buf, n,
             "%sapiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
             "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
             "  minReplicas: 2\n  maxReplicas: 9\n"
             "  metrics:\n  - type: External\n    external:\n"
             "      metric: {name: depth, selector: {matchLabels: {queue: jobs}}}\n"
             "      target: {type: AverageValue, averageValue: 30}\n"
             "  behavior:\n    scaleDown:\n      policies:\n      - type: Percent\n        value: %s\n"
             "        periodSeconds: %s\n",
             hpa_deploy_yaml, value, period);
}

static void hpa_json(char *buf, size_t n, const char *value, const char *period)
{
    snprintf(buf, n,
             "{\"scaleTargetRef\": {\"kind\": \"Deployment\", \"name\": \"web\"}, \"minReplicas\": 2, "
             "\"maxReplicas\": 9, \"metrics\": [{\"type\": \"External\", \"external\": {\"metric\": {\"name\": "
             "\"depth\", \"selector\": {\"matchLabels\": {\"queue\": \"jobs\"}}}, \"target\": {\"type\": "
             "\"AverageValue\", \"averageValue\": 30}}}], \"behavior\": {\"scaleDown\": {\"policies\": [{\"type\": "
             "\"Percent\", \"value\": %s, \"periodSeconds\": %s}]}}}",
             value, period);
}

/* upstream validateScalingPolicy: a policy's value is an int32 greater than
 * 0 with no other cap, its period 1 to 1800 s. explain capped the value at
 * INT32_MAX and import at 1e9; both now read the HPA with kube_hpa_spec. */
START_TEST(kube_hpa_policy_limits_are_upstreams_for_explain_and_import)
{
    static const struct { const char *value, *period; int ok; } cases[] = {
        {"2000000000", "60", 1}, {"2147483647", "1800", 1}, {"2147483648", "60", 0},
        {"0", "60", 0}, {"5", "1801", 0}, {"5", "0", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[1024], yaml[2048];
        hpa_json(json, sizeof json, cases[i].value, cases[i].period);
        hpa_yaml(yaml, sizeof yaml, cases[i].value, cases[i].period);
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        ck_assert_ptr_nonnull(j);
        KubeHpa h;
        kube_hpa_spec(rd.r, j, "$.hpa", &h);
        ck_assert_msg((!kube_failed(rd.r)) == cases[i].ok, "explain, case %zu: %s", i, kube_errmsg(rd.r));
        char *err = import_error("h.yaml", yaml);
        ck_assert_msg((err == NULL) == cases[i].ok, "import, case %zu: %s", i, err ? err : "imported");
        if (err) {   /* the same message as explain's, at the manifest's line */
            const char *why = strstr(kube_errmsg(rd.r), ": ");
            ck_assert_msg(strstr(err, "h.yaml:") == err && strstr(err, why) != NULL, "%s / %s", err, why);
        }
        free(err);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

/* The same HPA, as an explain case's JSON and as a manifest: import writes
 * what the one reader read (the queue's series, the target as written, the
 * policy, the defaulted scale-down window). */
START_TEST(kube_import_writes_the_hpa_the_reader_read)
{
    char json[1024], yaml[2048];
    hpa_json(json, sizeof json, "50", "30");
    hpa_yaml(yaml, sizeof yaml, "50", "30");
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubeHpa h;
    kube_hpa_spec(rd.r, j, "$.hpa", &h);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(h.nmetrics, 1);
    ck_assert_int_eq(h.metrics[0].source, KUBE_HPA_EXTERNAL);
    ck_assert_int_eq(h.metrics[0].milli, 30000);
    ck_assert_str_eq(h.metrics[0].quantity, "30");
    ck_assert_int_eq(h.down.npolicies, 1);
    ck_assert(!h.down.has_window && !h.up.given);
    char *text = imported("h.yaml", yaml);
    ck_assert_msg(strstr(text, "hpa { name = \"web\", target = \"web\", min = 2, max = 9,\n    metrics = { { type = "
                               "\"External\", name = \"jobs/depth\", target = { type = \"AverageValue\", "
                               "average_value = \"30\" } } },\n    behavior = { scale_down = { stabilization_window "
                               "= 300, policies = { { type = \"Percent\", value = 50, period = 30 } } }, } }") != NULL,
                  "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* A field the reader refuses is reported at its manifest line: the reader's
 * JSON path is walked back through the YAML tree. */
START_TEST(kube_yaml_failure_from_the_json_reader_names_the_line)
{
    char yaml[2048];
    hpa_yaml(yaml, sizeof yaml, "5", "1801");
    char *err = import_error("h.yaml", yaml);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, "h.yaml:29: spec.behavior.scaleDown.policies[0].periodSeconds: "
                          "expected a whole number from 1 to 1800");
    free(err);
}
END_TEST

/* cluster-autoscaler utils/drain isLocalVolume: hostPath, or an emptyDir
 * whose medium is not Memory. A memory-backed emptyDir (a tmpfs) does not
 * keep a node from draining; explain and import both counted it once. */
START_TEST(kube_memory_emptydir_is_not_local_storage)
{
    static const char *const vols[] = {"{\"emptyDir\": {\"medium\": \"Memory\"}}", "{\"emptyDir\": {}}",
                                       "{\"emptyDir\": {\"medium\": \"\"}}", "{\"hostPath\": {\"path\": \"/x\"}}"};
    static const char *const yvols[] = {"{emptyDir: {medium: Memory}}", "{emptyDir: {}}",
                                        "{emptyDir: {medium: \"\"}}", "{hostPath: {path: /x}}"};
    static const int local[] = {0, 1, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        char json[512], yaml[1024];
        snprintf(json, sizeof json, "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"a\"}],"
                 " \"volumes\": [%.*s\"name\": \"v\", %s]}}", 1, vols[i], vols[i] + 1);
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        ck_assert_msg(j != NULL, "%s", json);
        SimPodSpec s;
        memset(&s, 0, sizeof s);
        kube_pod_eviction(rd.r, j, "$.pod", &s);
        ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
        ck_assert_msg(s.local_storage == local[i], "explain, %s", vols[i]);
        snprintf(yaml, sizeof yaml,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\n"
                 "spec:\n  selector: {matchLabels: {app: p}}\n  template:\n    metadata: {labels: {app: p}}\n"
                 "    spec:\n      containers:\n      - {name: a, image: x}\n"
                 "      volumes:\n      - {name: v, %.*s}\n", (int)strlen(yvols[i]) - 2, yvols[i] + 1);
        char *text = imported("p.yaml", yaml);
        ck_assert_msg((strstr(text, "local_storage = true") != NULL) == local[i], "import, %s:\n%s", yvols[i], text);
        free(text);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

/* Upstream merges a LimitRange's Container items: each item defaulted by
 * the API server (default from max, defaultRequest from default or min),
 * then defaults key by key with a later item winning, and every item's min
 * and max applying. The JSON reader let a later item overwrite every field
 * (a memory default of an earlier item was lost) and import took the first
 * item only; both now merge with kube_limitrange_merge. */
START_TEST(kube_limitrange_items_merge_key_by_key)
{
    static const char json[] =
        "{\"metadata\": {\"name\": \"lr\"}, \"spec\": {\"limits\": ["
        "{\"type\": \"Container\", \"default\": {\"cpu\": \"1\", \"memory\": \"1Gi\"}, \"max\": {\"cpu\": \"3\"}},"
        "{\"type\": \"Pod\", \"max\": {\"cpu\": \"100\"}},"
        "{\"type\": \"Container\", \"default\": {\"cpu\": \"2\"}, \"max\": {\"cpu\": \"4\"}, \"min\": {\"memory\": "
        "\"64Mi\"}}]}}";
    static const char yaml[] =
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\nspec:\n  limits:\n"
        "  - {type: Container, default: {cpu: \"1\", memory: 1Gi}, max: {cpu: \"3\"}}\n"
        "  - {type: Pod, max: {cpu: \"100\"}}\n"
        "  - {type: Container, default: {cpu: \"2\"}, max: {cpu: \"4\"}, min: {memory: 64Mi}}\n";
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubeMeta m;
    SimLimitRange lr;
    kube_limitrange(rd.r, j, "$.lr", &m, &lr);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(lr.deflt.cpu_m, 2000);              /* the later item's key */
    ck_assert_int_eq(lr.deflt.mem, INT64_C(1) << 30);    /* the earlier item's, which the later leaves */
    ck_assert_int_eq(lr.deflt_req.cpu_m, 2000);          /* the later item's, defaulted from its default */
    ck_assert_int_eq(lr.deflt_req.mem, 64 << 20);        /* the later item's, defaulted from its min */
    ck_assert_int_eq(lr.min.mem, 64 << 20);
    ck_assert_int_eq(lr.max.cpu_m, 3000);                /* every item's max applies: the smallest */
    char *text = imported("lr.yaml", yaml);
    ck_assert_msg(strstr(text, ", default = { cpu = \"2\", memory = \"1Gi\" }, default_request = { cpu = \"2\", "
                               "memory = \"64Mi\" }, min = { memory = \"64Mi\" }, max = { cpu = \"3\" } }") != NULL,
                  "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* A PriorityClass is read by kube_priorityclass for explain and import: its
 * value is required and its preemptionPolicy is PreemptLowerPriority or
 * Never, as upstream validates it. Import once wrote a class without a value
 * as value 0 and passed any policy on; explain took any policy as "not
 * Never". */
START_TEST(kube_priorityclass_is_read_alike_by_explain_and_import)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"globalDefault: false\n", "value is required"},
        {"value: 10\npreemptionPolicy: Sometimes\n", "\"Sometimes\" is not PreemptLowerPriority or Never"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512], json[512];
        snprintf(yaml, sizeof yaml, "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: pc}\n%s",
                 cases[i].body);
        snprintf(json, sizeof json, "{\"metadata\": {\"name\": \"pc\"}, %s}",
                 i == 0 ? "\"globalDefault\": false" : "\"value\": 10, \"preemptionPolicy\": \"Sometimes\"");
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        SimPriorityClass pc;
        kube_priorityclass(rd.r, j, "$.pc", &pc);
        ck_assert_msg(strstr(kube_errmsg(rd.r), cases[i].why) != NULL, "explain: %s", kube_errmsg(rd.r));
        char *err = import_error("pc.yaml", yaml);
        ck_assert_msg(err && strstr(err, "pc.yaml:") == err && strstr(err, cases[i].why), "import: %s",
                      err ? err : "imported");
        free(err);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, kube_pod_request_is_max_of_app_and_init_plus_overhead);
    tcase_add_test(tc, kube_effective_request_adds_overhead_to_cpu_and_memory);
    tcase_add_test(tc, kube_import_and_explain_agree_on_a_pods_requests);
    tcase_add_test(tc, kube_a_written_zero_request_is_not_defaulted_to_the_limit);
    tcase_add_test(tc, kube_container_request_defaults_absent_requests_only);
    tcase_add_test(tc, kube_first_problem_sticks_on_the_reader);
    tcase_add_test(tc, kube_boolean_wording_per_caller);
    tcase_add_test(tc, kube_not_json_names_file_line_and_column);
    tcase_add_test(tc, kube_yaml_names_file_line_and_field);
    tcase_add_test(tc, kube_hpa_policy_limits_are_upstreams_for_explain_and_import);
    tcase_add_test(tc, kube_import_writes_the_hpa_the_reader_read);
    tcase_add_test(tc, kube_yaml_failure_from_the_json_reader_names_the_line);
    tcase_add_test(tc, kube_memory_emptydir_is_not_local_storage);
    tcase_add_test(tc, kube_limitrange_items_merge_key_by_key);
    tcase_add_test(tc, kube_priorityclass_is_read_alike_by_explain_and_import);
    suite_add_tcase(s, tc);
    return tr_run(s, 0) ? 1 : 0;
}
