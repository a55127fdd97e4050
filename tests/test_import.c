/*
 * test_import.c: `kubesim import`. Every real manifest from kubernetes/website
 * imports into a scenario that validates and runs (the legacy batch/v1beta1
 * CronJob is refused naming batch/v1); the mappings are pinned; an export
 * imported back simulates to the same summary; bad input names file, line
 * and field and writes nothing; the same input gives the same bytes; and
 * the importer survives failing allocation N for every N without leaking.
 */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "tb.h"
#include "tr.h"

static const char *shared(void)
{
    const char *s = getenv("KUBESIM_SHARED");
    return s ? s : "/work/shared";
}

static char real[4096];

static const char *manifest(const char *name)
{
    snprintf(real, sizeof real, "%s/real-manifests/kubernetes-website/%s", shared(), name);
    return real;
}

START_TEST(import_every_real_manifest_validates_and_runs)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/real-manifests/kubernetes-website/*.yaml", shared());
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 12);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        if (strstr(p, "LEGACY")) {
            ck_assert_int_eq(tb_run("import '%s' --out legacy.lua", p), 2);
            ck_assert_msg(strstr(tb_err(), "batch/v1beta1") && strstr(tb_err(), "use batch/v1"), "%.1500s", tb_err());
            ck_assert(!tb_exists("legacy.lua"));
            continue;
        }
        ck_assert_msg(tb_run("import '%s' --out real%zu.lua", p, i) == 0, "%s: %.1500s", p, tb_err());
        ck_assert_msg(tb_run("validate real%zu.lua", i) == 0, "%s: %.1500s", p, tb_err());
        ck_assert_msg(tb_run("run real%zu.lua --quiet --out real%zu", i, i) == 0, "%s: %.1500s", p, tb_err());
    }
    globfree(&g);
}
END_TEST

static char *imported(const char *args)
{
    ck_assert_msg(tb_run("import %s --out pin.lua", args) == 0, "%.1500s", tb_err());
    char path[4096];
    snprintf(path, sizeof path, "%s/pin.lua", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

START_TEST(import_pins_the_mappings)
{
    char args[9000];
    snprintf(args, sizeof args, "'%s'", manifest("application_php-apache.yaml"));
    snprintf(args + strlen(args), sizeof args - strlen(args), " '%s'", manifest("application_hpa_php-apache.yaml"));
    char *s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "deployment { name = \"php-apache\""));
    ck_assert_ptr_nonnull(strstr(s, "cpu = \"200m\", cpu_limit = \"500m\""));
    ck_assert_ptr_nonnull(strstr(s, "hpa { name = \"php-apache\", target = \"php-apache\", min = 1, max = 10"));
    ck_assert_ptr_nonnull(strstr(s, "type = \"Utilization\", average_utilization = 50"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("admin_resource_quota-mem-cpu.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "[\"requests.cpu\"] = \"1\", [\"requests.memory\"] = \"1Gi\", "
                                    "[\"limits.cpu\"] = \"2\", [\"limits.memory\"] = \"2Gi\""));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("admin_resource_memory-defaults.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "default = { memory = \"512Mi\" }, default_request = { memory = \"256Mi\" }"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("policy_zookeeper-pod-disruption-budget-minavailable.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "min_available = 2"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("service_networking_minimal-ingress.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "-- not simulated: Ingress/minimal-ingress"));
    free(s);
}
END_TEST

/* A summary without what cannot match: the run's wall time, the trace hash
 * (the trace names the scenario), the name, expectations (an import has no
 * expect) and the event count (hooks are events; an import has none). */
static void strip(char *cmd, size_t n, const char *dir)
{
    snprintf(cmd, n,
             "python3 -c \"import json,sys; d=json.load(open('%s/%s/summary.json'));"
             "[d.pop(k,None) for k in ('wall_seconds','trace_sha256','scenario','expectations','events')];"
             "d.get('namespaces',[]).sort(key=lambda n: n['name']);"
             "print(json.dumps(d,sort_keys=True))\" > %s/%s.json",
             tb_dir(), dir, tb_dir(), dir);
}

static void round_trip(const char *scenario, const char *start, const char *duration, const char *tag)
{
    ck_assert_msg(tb_run("run '%s' --quiet --out %s-a", scenario, tag) <= 1, "%.1500s", tb_err());
    ck_assert_msg(tb_run("export '%s' --out %s-m --quiet", scenario, tag) == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("import %s-m --start %s --duration %s --out %s.lua", tag, start, duration, tag) == 0, "%.1500s",
                  tb_err());
    ck_assert_msg(tb_run("run %s.lua --quiet --out %s-b", tag, tag) == 0, "%.1500s", tb_err());
    char cmd[8192], a[256], b[256];
    snprintf(a, sizeof a, "%s-a", tag);
    snprintf(b, sizeof b, "%s-b", tag);
    strip(cmd, sizeof cmd, a);
    ck_assert_int_eq(system(cmd), 0);
    strip(cmd, sizeof cmd, b);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s.json %s/%s.json", tb_dir(), a, tb_dir(), b);
    ck_assert_msg(system(cmd) == 0, "%s: the summaries differ", scenario);
}

static const char small[] =
    "scenario { name = \"small\", start = \"08:00\", duration = \"3h\" }\n"
    "region { name = \"r1\", zones = { \"r1-a\", \"r1-b\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 6, price = 0.4,\n"
    "            labels = { tier = \"general\" } }\n"
    "nodegroup { name = \"tainted\", cpu = \"16\", memory = \"64Gi\", min = 0, max = 2, taints = { \"batch=yes:NoSchedule\" } }\n"
    "namespace { name = \"team\" }\n"
    "priorityclass { name = \"high\", value = 1000 }\n"
    "quota { name = \"q\", namespace = \"team\", hard = { [\"requests.cpu\"] = \"20\", pods = 50 } }\n"
    "limitrange { name = \"lr\", namespace = \"team\", default_request = { cpu = \"250m\", memory = \"256Mi\" } }\n"
    "deployment { name = \"api\", namespace = \"team\", replicas = 3, cpu = \"500m\", memory = \"512Mi\",\n"
    "             priority_class = \"high\", spread = { { max_skew = 1, topology_key = \"topology.kubernetes.io/zone\" } },\n"
    "             usage = { cpu = \"400m\" }, strategy = { max_surge = 1, max_unavailable = 0 } }\n"
    "hpa { name = \"api\", target = \"api\", min = 3, max = 8,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 50 } } },\n"
    "      behavior = { scale_down = { stabilization_window = \"60s\" } } }\n"
    "pdb { name = \"api\", namespace = \"team\", selector = { app = \"api\" }, min_available = 2 }\n"
    "statefulset { name = \"db\", replicas = 2, cpu = \"1\", memory = \"2Gi\", volume = \"10Gi\" }\n"
    "daemonset { name = \"agent\", cpu = \"100m\", memory = \"64Mi\", tolerations = { { operator = \"Exists\" } } }\n"
    "job { name = \"batch\", start = \"20m\", completions = 6, parallelism = 3, duration = \"15m\", cpu = \"2\",\n"
    "      tolerations = { \"batch=yes:NoSchedule\" }, fail = { first = 1, exit_code = 3 } }\n"
    "cronjob { name = \"nightly\", schedule = \"*/30 * * * *\", concurrency_policy = \"Forbid\",\n"
    "          job = { duration = \"5m\", cpu = \"1\" } }\n"
    /* GPUs: nvidia.com/gpu has dots, so the importer must not read it as a path. */
    "nodegroup { name = \"gpu\", cpu = \"8\", memory = \"32Gi\", gpu = 2, min = 0, max = 2, price = 2.5,\n"
    "            taints = { \"nvidia.com/gpu=present:NoSchedule\" } }\n"
    "job { name = \"train\", start = \"10m\", completions = 4, parallelism = 4, duration = \"30m\", cpu = \"2\",\n"
    "      gpu = 1, tolerations = { \"nvidia.com/gpu=present:NoSchedule\" } }\n";

START_TEST(import_round_trips_an_export)
{
    tb_write("small.lua", small);
    round_trip("small.lua", "08:00", "3h", "small");
    char p[4096];
    snprintf(p, sizeof p, "%s/scenarios/quota_contention.lua", getenv("KUBESIM_SRC"));
    round_trip(p, "09:00", "6h", "quota");
    snprintf(p, sizeof p, "%s/scenarios/nightly_data_pipeline.lua", getenv("KUBESIM_SRC"));
    char start[16] = "", dur[16] = "";
    FILE *f = fopen(p, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (!start[0])
            (void)sscanf(line, " start = \"%15[^\"]\"", start);
        if (!dur[0])
            (void)sscanf(line, " duration = \"%15[^\"]\"", dur);
    }
    if (f)
        fclose(f);
    round_trip(p, start, dur, "nightly");
    /* GPU groups and requests, site latencies (kubesim.io/latency). */
    snprintf(p, sizeof p, "%s/scenarios/gpu_training_burst.lua", getenv("KUBESIM_SRC"));
    round_trip(p, "08:00", "5h", "gpu");
}
END_TEST

START_TEST(import_every_shipped_export_validates_and_runs)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/scenarios/*.lua", getenv("KUBESIM_SRC"));
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        ck_assert_int_eq(tb_run("export '%s' --out ship%zu --quiet", g.gl_pathv[i], i), 0);
        ck_assert_msg(tb_run("import ship%zu --out ship%zu.lua", i, i) == 0, "%s: %.1500s", g.gl_pathv[i], tb_err());
        ck_assert_msg(tb_run("validate ship%zu.lua", i) == 0, "%s: %.1500s", g.gl_pathv[i], tb_err());
        ck_assert_msg(tb_run("run ship%zu.lua --quiet --out ship%zu-run", i, i) == 0, "%s: %.1500s", g.gl_pathv[i],
                      tb_err());
    }
    globfree(&g);
}
END_TEST

START_TEST(import_refuses_bad_input)
{
    tb_write("bad.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [x\n");
    ck_assert_int_eq(tb_run("import bad.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.yaml:") && strstr(tb_err(), "malformed YAML"), "%.1500s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
    tb_write("q.yaml", "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec:\n  hard:\n"
                       "    requests.cpu: 2x\n");
    ck_assert_int_eq(tb_run("import q.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "q.yaml:7: spec.hard.requests.cpu: bad quantity '2x'"), "%.1500s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
    ck_assert_int_eq(tb_run("import missing.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "missing.yaml"), "%.1500s", tb_err());
    tb_write("pdb.yaml", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n");
    ck_assert_int_eq(tb_run("import pdb.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "pdb.yaml:1: apiVersion: ") && strstr(tb_err(), "use policy/v1"), "%.1500s",
                  tb_err());
    ck_assert(!tb_exists("bad.lua"));
}
END_TEST

/* Text from the manifests never reaches the script as code: names and
 * strings are quoted, numbers must read as numbers, and a newline in a name
 * cannot end a comment. */
START_TEST(import_keeps_manifest_text_out_of_the_code)
{
    tb_write("evil.yaml",
             "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \"a\\nprint('x')\"\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: \"x\\\"); os.exit(1) --\"\n"
             "        resources: {requests: {cpu: 100m, memory: 64Mi}}\n");
    ck_assert_msg(tb_run("import evil.yaml --out evil.lua") == 0, "%.1500s", tb_err());
    char p[600], text[8192];
    snprintf(p, sizeof p, "%s/evil.lua", tb_dir());
    tb_slurp(p, text, sizeof text);
    ck_assert_msg(strstr(text, "\nprint('x')") == NULL, "%.1500s", text);
    ck_assert_msg(strstr(text, "image = \"x\\034); os.exit(1) --\"") != NULL, "%.1500s", text);
    ck_assert_msg(tb_run("validate evil.lua") == 0, "%.700s\n%.700s", tb_err(), text);
    /* A name the scenario would refuse is refused by the import, naming the
     * annotation, with its control characters made harmless. */
    tb_write("svc.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "  annotations:\n    kubesim.io/serve-service: \"we\\\"b\\n\"\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: x\n");
    ck_assert_int_eq(tb_run("import svc.yaml --out svc.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "svc.yaml:6: metadata.annotations.kubesim.io/serve-service: 'we\"b?' is not a "
                                   "valid Service name") != NULL, "%.1500s", tb_err());
    ck_assert(!tb_exists("svc.lua"));
    tb_write("rate.yaml",
             "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n"
             "    kubesim.io/traffic: \"desk 10}print(1)--\"\nspec:\n  ports: [{port: 80}]\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "  annotations: {kubesim.io/serve-service: web}\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: x\n");
    ck_assert_int_eq(tb_run("import rate.yaml --out rate.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "is not a number") != NULL, "%.1500s", tb_err());
    ck_assert(!tb_exists("rate.lua"));
}
END_TEST

/* The benchmark runs (a smoke test: timings belong to kubesim bench). */
START_TEST(import_bench_reports_its_figures)
{
    ck_assert_msg(tb_run("bench --quick --only import") == 0, "%.1500s", tb_err());
    ck_assert_msg(strstr(tb_out(), "{\"bench\":\"import\",\"objects\":447,") != NULL, "%.1500s", tb_out());
    ck_assert_msg(strstr(tb_out(), "\"objects_per_s\":") != NULL, "%.1500s", tb_out());
}
END_TEST

START_TEST(import_is_deterministic)
{
    tb_write("small.lua", small);
    ck_assert_int_eq(tb_run("export small.lua --out det --quiet"), 0);
    ck_assert_int_eq(tb_run("import det --out d1.lua"), 0);
    ck_assert_int_eq(tb_run("import det --out d2.lua"), 0);
    size_t n1, n2;
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/d1.lua", tb_dir());
    snprintf(p2, sizeof p2, "%s/d2.lua", tb_dir());
    char *a = tb_read(p1, &n1), *b = tb_read(p2, &n2);
    ck_assert(a && b);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(a, b, n1), 0);
    free(a);
    free(b);
}
END_TEST

static const char oom_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\nspec:\n  replicas: 2\n"
    "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: a\n"
    "        image: nginx\n        resources: {requests: {cpu: 250m, memory: 64Mi}}\n"
    "      tolerations: [{key: k, operator: Exists}]\n---\n"
    "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: team}\nspec: {hard: {pods: \"10\"}}\n---\n"
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: in}\n";

START_TEST(import_out_of_memory_sweep)
{
    KxImportFile f = {.path = "oom.yaml", .text = oom_yaml, .len = sizeof oom_yaml - 1, .region = "r"};
    char err[256];
    int ok = 0;
    for (uint64_t n = 1; n < 10000 && !ok; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        char *text;
        size_t len;
        int rc = kx_import(&m, &f, 1, NULL, &text, &len, err, sizeof err);
        if (rc == SIM_OK) {
            sim_mem_free(&m, text, len + 1);
            ok = 1;
        } else {
            ck_assert_int_eq(rc, SIM_ENOMEM);
        }
        ck_assert_int_eq(m.live, 0);
    }
    ck_assert(ok);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("import");
    TCase *mem = tcase_create("memory");
    tcase_add_test(mem, import_out_of_memory_sweep);
    suite_add_tcase(s, mem);
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 600);
    tcase_add_test(bin, import_every_real_manifest_validates_and_runs);
    tcase_add_test(bin, import_pins_the_mappings);
    tcase_add_test(bin, import_round_trips_an_export);
    tcase_add_test(bin, import_every_shipped_export_validates_and_runs);
    tcase_add_test(bin, import_refuses_bad_input);
    tcase_add_test(bin, import_is_deterministic);
    tcase_add_test(bin, import_keeps_manifest_text_out_of_the_code);
    tcase_add_test(bin, import_bench_reports_its_figures);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("import") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
