/*
 * test_names.c: names are unique per namespace and kind, as in Kubernetes
 * (issue 15, import 2). The same Deployment name in two namespaces
 * validates, runs and is scaled by each namespace's own HPA; references are
 * "NAMESPACE/NAME" or a bare name (the one in the referrer's namespace, else
 * the only one), and an ambiguous bare name is refused with the fix; the
 * import of such manifests runs; two HPAs on one target behave as upstream's
 * controller (AmbiguousSelector: neither scales on its metrics) with a
 * warning. Each test drives the kubesim binary.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

#define CPU50 "local m = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", " \
              "average_utilization = 50 } } }\n"

/* Two namespaces, each with Deployment api; team-a's pods use 90 % of their
 * request, team-b's 10 %. */
static const char two_ns[] =
    "scenario { duration = \"20m\" }\n"
    "namespace { name = \"team-a\" }\n"
    "namespace { name = \"team-b\" }\n"
    "nodegroup { name = \"cpu\", cpu = \"32\", memory = \"128Gi\", min = 2, max = 2 }\n"
    "deployment { name = \"api\", namespace = \"team-a\", replicas = 2, cpu = \"1\", memory = \"1Gi\","
    " usage = { cpu = \"900m\" } }\n"
    "deployment { name = \"api\", namespace = \"team-b\", replicas = 6, cpu = \"1\", memory = \"1Gi\","
    " usage = { cpu = \"100m\" } }\n" CPU50;

static char src[8192];

/* A file of the test folder, read whole (the caller frees it). */
static char *slurp(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    return tb_read(path, NULL);
}

static const char *scenario(const char *more)
{
    snprintf(src, sizeof src, "%s%s", two_ns, more);
    return src;
}

/* Each HPA binds to the Deployment of its own namespace: team-a's (hot)
 * scales up, team-b's (cold) down to its min, and metrics.csv tells the two
 * apart as NAMESPACE/NAME. */
START_TEST(names_same_deployment_in_two_namespaces_each_scaled_by_its_own_hpa)
{
    tb_write("two.lua", scenario(
        "hpa { name = \"api\", namespace = \"team-a\", target = \"api\", min = 1, max = 8, metrics = m }\n"
        "hpa { name = \"api\", namespace = \"team-b\", target = \"api\", min = 3, max = 8, metrics = m }\n"
        "expect(\"team-a scaled up\", function(r, k) return k.replicas(\"team-a/api\") > 2, "
        "tostring(k.replicas(\"team-a/api\")) end)\n"
        "expect(\"team-b scaled down to its min\", function(r, k) return k.replicas(\"team-b/api\") == 3, "
        "tostring(k.replicas(\"team-b/api\")) end)\n"));
    ck_assert_int_eq(tb_run("validate two.lua"), 0);
    ck_assert_int_eq(tb_run("run two.lua --quiet --out o1"), 0);
    char *csv = slurp("o1/metrics.csv");
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(strstr(csv, ",deployment,team-a/api,replicas,") && strstr(csv, ",deployment,team-b/api,replicas,"),
                  "%.600s", csv);
    ck_assert_msg(strstr(csv, ",hpa,team-a/api,") && strstr(csv, ",hpa,team-b/api,"), "%.600s", csv);
    ck_assert_ptr_null(strstr(csv, ",deployment,api,"));
    free(csv);
}
END_TEST

/* NAMESPACE/NAME in a declaration (hpa target, rollout) and in the hooks'
 * k.* functions; the bare name where it is unique. */
START_TEST(names_namespace_slash_name_references)
{
    tb_write("ref.lua", scenario(
        "deployment { name = \"solo\", namespace = \"team-b\", replicas = 1, cpu = \"1\", memory = \"1Gi\" }\n"
        "hpa { name = \"hot\", target = \"team-a/api\", min = 1, max = 8, metrics = m }\n"
        "rollout { deployment = \"team-b/api\", start = \"5m\", image = \"api:v2\" }\n"
        "at(\"10m\", function(k) k.scale(\"team-b/api\", 4) end)\n"
        "expect(\"team-b/api set by the hook\", function(r, k) return k.replicas(\"team-b/api\") == 4, "
        "tostring(k.replicas(\"team-b/api\")) end)\n"
        "expect(\"team-a/api scaled by hot\", function(r, k) return k.replicas(\"team-a/api\") > 2 end)\n"
        "expect(\"a unique bare name\", function(r, k) return k.replicas(\"solo\") == 1 end)\n"));
    ck_assert_int_eq(tb_run("run ref.lua --quiet --out o2"), 0);
    /* --set NAMESPACE/NAME.FIELD picks one of the two; a bare NAME.FIELD sets both */
    tb_write("set.lua", scenario("expect(\"a\", function(r, k) return k.replicas(\"team-a/api\") == 5 and "
                                 "k.replicas(\"team-b/api\") == 1 end)\n"));
    ck_assert_int_eq(tb_run("run set.lua --quiet --out o6 --set team-a/api.replicas=5 --set team-b/api.replicas=1 "
                            "--set scenario.duration=1m"), 0);
    ck_assert_int_eq(tb_run("run set.lua --quiet --out o7 --set api.replicas=5 --set scenario.duration=1m"), 1);
}
END_TEST

/* A bare name that several namespaces hold is refused, with the fix; so is
 * a name twice in one namespace and kind. */
START_TEST(names_ambiguous_bare_names_are_refused)
{
    tb_write("amb.lua", scenario("rollout { deployment = \"api\", start = \"5m\", image = \"api:v2\" }\n"));
    ck_assert_int_eq(tb_run("validate amb.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "amb.lua:8: rollout 'api': field 'deployment': several deployments are named "
                                   "'api' (in several namespaces): write \"NAMESPACE/NAME\""), "%s", tb_err());
    tb_write("amb2.lua", scenario("at(\"5m\", function(k) k.scale(\"api\", 3) end)\n"));
    ck_assert_int_eq(tb_run("run amb2.lua --quiet --out o3"), 2);
    ck_assert_msg(strstr(tb_err(), "k.scale: several workloads are named 'api'") &&
                  strstr(tb_err(), "write \"NAMESPACE/NAME\""), "%s", tb_err());
    tb_write("dup.lua", scenario("deployment { name = \"api\", namespace = \"team-b\", cpu = \"1\", memory = \"1Gi\" }\n"));
    ck_assert_int_eq(tb_run("validate dup.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "'api' is declared twice in namespace 'team-b'"), "%s", tb_err());
    /* another kind may take the name in the same namespace, as in Kubernetes */
    tb_write("kind.lua", scenario("job { name = \"api\", namespace = \"team-a\", duration = \"1m\", cpu = \"1\","
                                  " memory = \"1Gi\" }\n"));
    ck_assert_int_eq(tb_run("validate kind.lua"), 0);
    /* an hpa with namespace takes a bare target in it only */
    tb_write("hns.lua", scenario("hpa { name = \"h\", namespace = \"team-a\", target = \"team-b/api\", max = 3,"
                                 " metrics = m }\n"));
    ck_assert_int_eq(tb_run("validate hns.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "with namespace set, the target is a bare name in it"), "%s", tb_err());
}
END_TEST

/* The import of manifests with Deployment api in two namespaces, each with
 * its HPA, writes a scenario that runs: team-a's HPA raises its Deployment
 * to its min (4), team-b's lowers its own to its max (2). */
START_TEST(names_import_two_namespaces_runs)
{
    static const char yaml[] =
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: team-a}\n"
        "spec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n"
        "    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: api\n        image: api:1\n"
        "        resources: {requests: {cpu: 500m, memory: 1Gi}}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: team-b}\n"
        "spec:\n  replicas: 5\n  selector: {matchLabels: {app: api}}\n  template:\n"
        "    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: api\n        image: api:1\n"
        "        resources: {requests: {cpu: 500m, memory: 1Gi}}\n---\n"
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: team-a}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  minReplicas: 4\n"
        "  maxReplicas: 10\n  metrics:\n  - type: Resource\n"
        "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}\n---\n"
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: team-b}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  minReplicas: 1\n"
        "  maxReplicas: 2\n  metrics:\n  - type: Resource\n"
        "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}\n";
    tb_write("two.yaml", yaml);
    ck_assert_int_eq(tb_run("import two.yaml --out imp.lua --duration 10m"), 0);
    char *lua = slurp("imp.lua");
    ck_assert_ptr_nonnull(lua);
    ck_assert_msg(strstr(lua, "hpa { name = \"api\", namespace = \"team-a\", target = \"api\"") &&
                  strstr(lua, "hpa { name = \"api\", namespace = \"team-b\", target = \"api\""), "%s", lua);
    free(lua);
    ck_assert_int_eq(tb_run("run imp.lua --quiet --out o4"), 0);
    char *csv = slurp("o4/metrics.csv");
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(strstr(csv, "600,imported,deployment,team-a/api,replicas,4\n") &&
                  strstr(csv, "600,imported,deployment,team-b/api,replicas,2\n"), "%.2000s", csv);
    free(csv);
    /* the same name twice in one namespace stays refused */
    tb_write("dup.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: team-a}\n---\n"
                         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: team-a}\n");
    ck_assert_int_eq(tb_run("import dup.yaml --out dup.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "is also the name of Deployment/api in namespace 'team-a'"), "%s", tb_err());
}
END_TEST

/* Two HPAs on one target (upstream: AmbiguousSelector on both, neither
 * scales): a warning at validate and run, the pods at 90 % against 50 %
 * stay at 2, and summary.json lists both. */
START_TEST(names_two_hpas_on_one_target_neither_scales)
{
    tb_write("dual.lua", scenario(
        "hpa { name = \"by-cpu\", target = \"team-a/api\", min = 1, max = 8, metrics = m }\n"
        "hpa { name = \"by-cpu-too\", target = \"team-a/api\", min = 1, max = 8, metrics = m }\n"
        "expect(\"neither scales\", function(r, k) return k.replicas(\"team-a/api\") == 2 end)\n"));
    ck_assert_int_eq(tb_run("validate dual.lua"), 0);
    ck_assert_msg(strstr(tb_err(), "dual.lua:9: warning: hpa 'by-cpu' and hpa 'by-cpu-too' both scale team-a/api") &&
                  strstr(tb_err(), "AmbiguousSelector"), "%s", tb_err());
    ck_assert_int_eq(tb_run("run dual.lua --quiet --out o5"), 0);
    ck_assert_msg(strstr(tb_err(), "AmbiguousSelector"), "%s", tb_err());
    char *sum = slurp("o5/summary.json");
    ck_assert_ptr_nonnull(sum);
    ck_assert_msg(strstr(sum, "\"ambiguous_selector\"") && strstr(sum, "\"team-a/by-cpu\"") &&
                  strstr(sum, "\"team-a/by-cpu-too\""), "%s", sum);
    free(sum);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, names_same_deployment_in_two_namespaces_each_scaled_by_its_own_hpa);
    tcase_add_test(tc, names_namespace_slash_name_references);
    tcase_add_test(tc, names_ambiguous_bare_names_are_refused);
    tcase_add_test(tc, names_import_two_namespaces_runs);
    tcase_add_test(tc, names_two_hpas_on_one_target_neither_scales);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("names") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
