/*
 * test_adapter.c: External metrics come with their adapter (issue 15, Export
 * 5). `kubesim export --metrics-adapter prometheus-adapter` (the default)
 * writes, beside the HPAs, Helm values whose rules.external serve each
 * External metric, outside the kustomization; `--metrics-adapter keda`
 * writes an HPA with an External metric as a KEDA ScaledObject instead (cpu
 * and memory triggers for its Resource metrics, the behavior and the HPA's
 * name under advanced), which `kubesim import` reads back to the same HPA.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

static const char *scenario =
    "scenario { name = \"adapters\", duration = \"20m\" }\n"
    "region { name = \"r1\", zones = { \"r1a\" } }\n"
    "nodegroup { name = \"g\", region = \"r1\", cpu = \"16\", memory = \"64Gi\", price = 0.5, min = 1, max = 5 }\n"
    "namespace { name = \"team\" }\n"
    "queue { name = \"jobs\", region = \"r1\" }\n"
    "deployment { name = \"workers\", namespace = \"team\", region = \"r1\", queue = \"jobs\", replicas = 1,\n"
    "             cpu = \"1\", memory = \"1Gi\" }\n"
    "deployment { name = \"web\", namespace = \"team\", region = \"r1\", replicas = 2, cpu = \"500m\", memory = \"1Gi\" }\n"
    "hpa { name = \"workers-hpa\", target = \"workers\", min = 1, max = 8,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 70 } },\n"
    "                  { type = \"Resource\", name = \"memory\", target = { type = \"AverageValue\", average_value = \"512Mi\" } },\n"
    "                  { type = \"External\", name = \"jobs/queue_length\",\n"
    "                    target = { type = \"AverageValue\", average_value = \"2500m\" } },\n"
    "                  { type = \"External\", name = \"jobs/queue_oldest_age_seconds\",\n"
    "                    target = { type = \"Value\", value = \"30\" } } },\n"
    "      behavior = { scale_down = { stabilization_window = \"60s\" } } }\n"
    "hpa { name = \"web\", target = \"web\", min = 2, max = 4,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 60 } } } }\n"
    "submit { queue = \"jobs\", start = \"1m\", count = 20, every = \"5s\", strategy = \"momentum\",\n"
    "         universe = { assets = 20, days = 300, seed = 3 }, params = { lookback = 20, hold = 5, top = 3 } }\n";

static char *read_in(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    char *t = tb_read(path, NULL);
    ck_assert_msg(t != NULL, "%s is missing", path);
    return t;
}

/* The text between the first "key" at or after from and the next "\n": a
 * YAML line's value. */
static void line_value(const char *from, const char *key, char *buf, size_t n)
{
    const char *p = strstr(from, key);
    ck_assert_msg(p != NULL, "no %s in %.400s", key, from);
    p += strlen(key);
    snprintf(buf, n, "%.*s", (int)strcspn(p, "\n"), p);
}

/* Replaces the first pat in s (n bytes) with rep. */
static void replace(char *s, size_t n, const char *pat, const char *rep)
{
    char *p = strstr(s, pat);
    ck_assert_ptr_nonnull(p);
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", p + strlen(pat));
    snprintf(p, n - (size_t)(p - s), "%s%s", rep, rest);
}

START_TEST(adapter_prometheus_rule_serves_the_hpa_metric)
{
    tb_write("a.lua", scenario);
    ck_assert_msg(tb_run("export a.lua --quiet --out pa") == 0, "%s", tb_err());
    char *v = read_in("pa/r1/prometheus-adapter-values.yaml");
    char *k = read_in("pa/r1/kustomization.yaml");
    char *h = read_in("pa/r1/horizontalpodautoscalers.yaml");
    ck_assert_msg(strstr(k, "values") == NULL, "values listed as a resource: %s", k);
    ck_assert_msg(strstr(h, "name: workers-hpa") && strstr(h, "name: queue_length") && strstr(h, "queue: jobs"),
                  "%s", h);
    /* The series the application must export, with the HPA's namespace and the queue. */
    ck_assert_msg(strstr(v, "#   queue_length{namespace=\"team\",queue=\"jobs\"}   (HorizontalPodAutoscaler "
                            "team/workers-hpa)"), "%s", v);
    ck_assert_msg(strstr(v, "#   queue_oldest_age_seconds{namespace=\"team\",queue=\"jobs\"}"), "%s", v);
    ck_assert_msg(strstr(v, "prometheus:\n  url: http://prometheus.monitoring.svc\n  port: 9090\nrules:\n  external:\n"),
                  "%s", v);
    /* The rule for queue_length: discovered by its series, named as the HPA
     * asks, and its query, with the matchers the adapter adds (the HPA's
     * namespace and selector), reads the one series. */
    const char *rule = strstr(v, "  - seriesQuery: 'queue_length{namespace!=\"\"}'\n");
    ck_assert_msg(rule != NULL, "%s", v);
    char as[128], query[512];
    line_value(rule, "      as: ", as, sizeof as);
    ck_assert_str_eq(as, "\"queue_length\"");
    ck_assert_msg(strstr(rule, "      matches: \"^queue_length$\"\n") && strstr(rule, "namespace: {resource: \"namespace\"}"),
                  "%s", rule);
    line_value(rule, "    metricsQuery: ", query, sizeof query);
    replace(query, sizeof query, "<<.Series>>", "queue_length");
    replace(query, sizeof query, "<<.LabelMatchers>>", "namespace=\"team\",queue=\"jobs\"");
    ck_assert_str_eq(query, "'max by (queue) (queue_length{namespace=\"team\",queue=\"jobs\"})'");
    ck_assert_msg(strstr(v, "as: \"queue_oldest_age_seconds\""), "%s", v);
    /* One rule per metric name. */
    ck_assert_ptr_null(strstr(rule + 16, "seriesQuery: 'queue_length"));
    free(v), free(k), free(h);
    /* No External metric, no values file. */
    tb_write("plain.lua", "region { name = \"r\", zones = { \"a\" } }\n"
                          "nodegroup { name = \"g\", region = \"r\", cpu = \"4\", memory = \"16Gi\", min = 1 }\n"
                          "deployment { name = \"w\", replicas = 1, cpu = \"1\", memory = \"1Gi\" }\n"
                          "hpa { name = \"w\", target = \"w\", min = 1, max = 3 }\n");
    ck_assert_msg(tb_run("export plain.lua --quiet --out plain") == 0, "%s", tb_err());
    ck_assert(!tb_exists("plain/r/prometheus-adapter-values.yaml"));
    ck_assert(tb_exists("plain/r/horizontalpodautoscalers.yaml"));
}
END_TEST

START_TEST(adapter_bad_value_exits_2)
{
    tb_write("b.lua", scenario);
    ck_assert_int_eq(tb_run("export b.lua --metrics-adapter keda-v1 --out bad"), 2);
    ck_assert_msg(strstr(tb_err(), "--metrics-adapter takes prometheus-adapter or keda, not 'keda-v1'"), "%s",
                  tb_err());
    ck_assert(!tb_exists("bad"));
}
END_TEST

START_TEST(adapter_keda_scaled_object_fields)
{
    tb_write("k.lua", scenario);
    ck_assert_msg(tb_run("export k.lua --metrics-adapter keda --quiet --out ka") == 0, "%s", tb_err());
    char *so = read_in("ka/r1/scaledobjects.yaml");
    char *h = read_in("ka/r1/horizontalpodautoscalers.yaml");
    char *k = read_in("ka/r1/kustomization.yaml");
    ck_assert(!tb_exists("ka/r1/prometheus-adapter-values.yaml"));
    ck_assert_msg(strstr(k, "- scaledobjects.yaml\n"), "%s", k);
    /* The HPA with External metrics is the ScaledObject, not an HPA too (two
     * HPAs on one Deployment fight); the other HPA stays. */
    ck_assert_msg(strstr(h, "name: web\n") && !strstr(h, "workers"), "%s", h);
    static const char *const want[] = {
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: workers-hpa\n  namespace: team\n",
        "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: workers\n"
        "  minReplicaCount: 1\n  maxReplicaCount: 8\n",
        "  advanced:\n    horizontalPodAutoscalerConfig:\n      name: workers-hpa\n      behavior:\n",
        "        scaleDown:\n          stabilizationWindowSeconds: 60\n",
        "  - type: cpu\n    metricType: Utilization\n    metadata:\n      value: \"70\"\n",
        "  - type: memory\n    metricType: AverageValue\n    metadata:\n      value: \"512Mi\"\n",
        "  - type: prometheus\n    metricType: AverageValue\n    metadata:\n"
        "      serverAddress: http://prometheus.monitoring.svc:9090\n"
        "      query: max(queue_length{namespace=\"team\",queue=\"jobs\"})\n      threshold: \"2.5\"\n",
        "  - type: prometheus\n    metricType: Value\n    metadata:\n"
        "      serverAddress: http://prometheus.monitoring.svc:9090\n"
        "      query: max(queue_oldest_age_seconds{namespace=\"team\",queue=\"jobs\"})\n      threshold: \"30\"\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(so, want[i]), "missing:\n%s\nin:\n%s", want[i], so);
    free(so), free(h), free(k);
}
END_TEST

/* KEDA has no trigger for a Pods or Object metric: refused, nothing written. */
START_TEST(adapter_keda_refuses_pods_metrics)
{
    tb_write("p.lua",
             "region { name = \"r\", zones = { \"a\" } }\n"
             "nodegroup { name = \"g\", region = \"r\", cpu = \"4\", memory = \"16Gi\", min = 1 }\n"
             "queue { name = \"q\" }\n"
             "deployment { name = \"w\", queue = \"q\", replicas = 1, cpu = \"1\", memory = \"1Gi\" }\n"
             "hpa { name = \"w\", target = \"w\", min = 1, max = 3, metrics = {\n"
             "  { type = \"Pods\", name = \"rps\", target = { type = \"AverageValue\", average_value = \"10\" } },\n"
             "  { type = \"External\", name = \"q/queue_length\", target = { type = \"Value\", value = \"5\" } } } }\n");
    ck_assert_int_eq(tb_run("export p.lua --metrics-adapter keda --out pk"), 2);
    ck_assert_msg(strstr(tb_err(), "hpa 'w': a Pods metric") && strstr(tb_err(), "prometheus-adapter"), "%s", tb_err());
    ck_assert(!tb_exists("pk"));
    ck_assert_msg(tb_run("export p.lua --quiet --out pp") == 0, "%s", tb_err());   /* the default serves it */
}
END_TEST

/* Removes the line of s that holds key. */
static void drop_line(char *s, const char *key)
{
    char *p = strstr(s, key);
    ck_assert_msg(p != NULL, "no %s", key);
    while (p > s && p[-1] != '\n')
        p--;
    char *end = strchr(p, '\n');
    memmove(p, end ? end + 1 : p + strlen(p), strlen(end ? end + 1 : p + strlen(p)) + 1);
}

/* Import reads the ScaledObject back to the same HPA: the scenario from a
 * KEDA export runs to the summary of the one from the default export. */
START_TEST(adapter_keda_round_trips)
{
    tb_write("rt.lua", scenario);
    ck_assert_msg(tb_run("export rt.lua --metrics-adapter keda --quiet --out rk") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("export rt.lua --quiet --out rp") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("import rk --duration 20m --out rk.lua") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("import rp --duration 20m --out rp.lua") == 0, "%s", tb_err());
    char *k = read_in("rk.lua");
    ck_assert_msg(strstr(k, "hpa { name = \"workers-hpa\", target = \"workers\", min = 1, max = 8,\n    metrics = { "
                            "{ type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", "
                            "average_utilization = 70 } }, { type = \"Resource\", name = \"memory\", target = { "
                            "type = \"AverageValue\", average_value = \"512Mi\" } }, { type = \"External\", name = "
                            "\"jobs/queue_length\", target = { type = \"AverageValue\", average_value = \"2.5\" } }, "
                            "{ type = \"External\", name = \"jobs/queue_oldest_age_seconds\", target = { type = "
                            "\"Value\", value = \"30\" } } },\n    behavior = {"), "%s", k);
    ck_assert_msg(strstr(k, "scale_down = { stabilization_window = 60,"), "%s", k);
    ck_assert_msg(strstr(k, "not simulated") == NULL, "%s", k);
    free(k);
    ck_assert_msg(tb_run("run rk.lua --quiet --out rk-run") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("run rp.lua --quiet --out rp-run") == 0, "%s", tb_err());
    char *a = read_in("rk-run/summary.json"), *b = read_in("rp-run/summary.json");
    /* wall_seconds is a measurement and the trace orders the HPAs by file: the rest is equal. */
    static const char *const keys[] = {"\"wall_seconds\"", "\"trace_sha256\""};
    for (size_t i = 0; i < 2; i++) {
        drop_line(a, keys[i]);
        drop_line(b, keys[i]);
    }
    ck_assert_str_eq(a, b);
    free(a), free(b);
}
END_TEST

/* A hand-written ScaledObject: KEDA's defaults (HPA keda-hpa-NAME, min 0),
 * a trigger kubesim does not simulate named in a comment. */
START_TEST(adapter_import_reads_a_hand_written_scaled_object)
{
    tb_write("so.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: consumer, namespace: shop}\n"
             "spec:\n  replicas: 1\n  selector: {matchLabels: {app: consumer}}\n"
             "  template:\n    metadata: {labels: {app: consumer}}\n"
             "    spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 250m, memory: 256Mi}}}]}\n"
             "---\n"
             "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: consumer, namespace: shop}\n"
             "spec:\n  scaleTargetRef: {name: consumer}\n  maxReplicaCount: 6\n  triggers:\n"
             "  - type: kafka\n    metadata: {topic: orders, lagThreshold: \"50\"}\n"
             "  - type: prometheus\n    metadata:\n      serverAddress: http://prom:9090\n"
             "      query: sum(queue_length{queue=\"orders\"})\n      threshold: \"10\"\n");
    ck_assert_msg(tb_run("import so.yaml --duration 10m --out so.lua") == 0, "%s", tb_err());
    char *t = read_in("so.lua");
    ck_assert_msg(strstr(t, "feature_gates = { HPAScaleToZero = true }"), "%s", t);
    ck_assert_msg(strstr(t, "-- ScaledObject/consumer: its kafka trigger (kubesim simulates prometheus queries of one "
                            "series, cpu and memory) is not simulated\n"), "%s", t);
    ck_assert_msg(strstr(t, "hpa { name = \"keda-hpa-consumer\", target = \"consumer\", min = 0, max = 6,\n"
                            "    metrics = { { type = \"External\", name = \"orders/queue_length\", target = { type = "
                            "\"AverageValue\", average_value = \"10\" } } } }"), "%s", t);
    free(t);
    ck_assert_msg(tb_run("validate so.lua") == 0, "%s", tb_err());
    /* A ScaledObject of another API group is refused, naming the one read. */
    tb_write("old.yaml", "apiVersion: keda.k8s.io/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {}\n");
    ck_assert_int_eq(tb_run("import old.yaml --out old.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "old.yaml:1:") && strstr(tb_err(), "keda.sh/v1alpha1"), "%s", tb_err());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("adapter");
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 300);
    tcase_add_test(bin, adapter_prometheus_rule_serves_the_hpa_metric);
    tcase_add_test(bin, adapter_bad_value_exits_2);
    tcase_add_test(bin, adapter_keda_scaled_object_fields);
    tcase_add_test(bin, adapter_keda_refuses_pods_metrics);
    tcase_add_test(bin, adapter_keda_round_trips);
    tcase_add_test(bin, adapter_import_reads_a_hand_written_scaled_object);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("adapter") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
