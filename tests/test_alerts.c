/*
 * test_alerts.c: alert rules from a scenario (k8s-export/alerts.c,
 * `kubesim export --alerts`) and their promtool test against a run
 * (alerts_test.c, `kubesim run --alerts-test`), without promtool: the rules
 * each declaration gives, the evaluator's Prometheus semantics (`for:`,
 * resolution, gaps, a quota's used/hard) on hand-made series, the values
 * notation, and the files and flags of the binary. The real promtool checks
 * are tests/alerts/check_alerts.sh (CTest alerts_promtool).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "scenarios/scn.h"
#include "tb.h"
#include "tr.h"

/* Two regions: r1 serves api with a p95 target, p99 and p99.9 ones (p99.9
 * is not a sampled series: no rule) and has a quota; r2 serves web with no
 * SLO (no SLO rule) and has no quota. */
static const char fixture[] =
    "scenario { name = \"alerts_fixture\", duration = \"30m\", sample_every = \"60s\" }\n"
    "region { name = \"r1\", zones = { \"r1a\" } }\n"
    "region { name = \"r2\", zones = { \"r2a\" } }\n"
    "namespace { name = \"team\" }\n"
    "quota { name = \"team-q\", namespace = \"team\", region = \"r1\", hard = { pods = 10, [\"requests.cpu\"] = \"8\" } }\n"
    "nodegroup { name = \"cpu-r1\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", pods = 110, price = 1, min = 1, max = 2, size = 1 }\n"
    "nodegroup { name = \"cpu-r2\", region = \"r2\", cpu = \"8\", memory = \"32Gi\", pods = 110, price = 1, min = 1, max = 2, size = 1 }\n"
    "site { name = \"s\" }\n"
    "latency { from = \"s\", to = \"r1\", ms = 5 }\n"
    "latency { from = \"s\", to = \"r2\", ms = 50 }\n"
    "deployment { name = \"api\", namespace = \"team\", region = \"r1\", replicas = 2, cpu = \"500m\", memory = \"1Gi\",\n"
    "  serve = { service = \"api\", capacity = 100, cpu_per_request = \"1m\", service_time = \"10ms\",\n"
    "            slo_p95 = \"100ms\", slo = { p99 = \"250ms\", [\"p99.9\"] = \"1s\" }, timeout = \"2s\" } }\n"
    "deployment { name = \"web\", namespace = \"team\", region = \"r2\", replicas = 1, cpu = \"500m\", memory = \"1Gi\",\n"
    "  serve = { service = \"web\", capacity = 100, cpu_per_request = \"1m\", service_time = \"10ms\", timeout = \"2s\" } }\n"
    "traffic { site = \"s\", service = \"api\", rate = 50 }\n"
    "traffic { site = \"s\", service = \"web\", rate = 20 }\n";

typedef struct Rules {
    SimMem m;
    ScnScenario *s;
    ScnWorld *w;
    KxAlerts *a;
} Rules;

static void rules_open(Rules *r)
{
    SimErr err = SIM_ERR_INIT;
    memset(r, 0, sizeof *r);
    sim_mem_init(&r->m);
    ScnOptions so = {.path = tb_write("fixture.lua", fixture), .seed = 42};
    r->s = scn_load(&r->m, &so, &err);
    ck_assert_msg(r->s != NULL, "%s", sim_err_msg(&err));
    ScnWorldOptions wo = {.seed = 42, .mem = &r->m};
    ck_assert_int_eq(scn_world_open(&r->w, r->s, &wo), SIM_OK);
    KxAlertOptions o;
    kx_alert_defaults(&o);
    o.scenario = "alerts_fixture";
    ck_assert_int_eq(kx_alerts(scn_world_engine(r->w), scn_world_controllers(r->w), &o, &r->a), SIM_OK);
}

static void rules_close(Rules *r)
{
    kx_alerts_free(r->a);
    scn_world_close(r->w);
    scn_free(r->s);
}

/* The text of y (a copy the caller frees). */
static char *yaml_text(KxYaml *y)
{
    const char *t;
    size_t n;
    ck_assert_int_eq(kx_yaml_text(y, &t, &n), SIM_OK);
    return strdup(t);
}

static void has(const char *text, const char *want)
{
    ck_assert_msg(strstr(text, want) != NULL, "no '%s' in:\n%.4000s", want, text);
}

static void hasnt(const char *text, const char *unwanted)
{
    ck_assert_msg(strstr(text, unwanted) == NULL, "'%s' in:\n%.4000s", unwanted, text);
}

/* Each declaration gives its rule, and only declared ones do. */
START_TEST(alerts_rules_follow_the_declarations)
{
    Rules r;
    rules_open(&r);
    ck_assert_uint_eq(kx_alerts_count(r.a), 5);   /* api p95, api p99, pending r1, quota, pending r2 */
    ck_assert_uint_eq(kx_alerts_skipped(r.a), 1); /* p99.9 */
    KxYaml *y = kx_yaml_new(&r.m);
    ck_assert_int_eq(kx_alerts_rules_file(r.a, y), SIM_OK);
    char *t = yaml_text(y);
    has(t, "- name: kubesim.alerts_fixture.r1\n");
    has(t, "- name: kubesim.alerts_fixture.r2\n");
    has(t, "expr: kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\"} > 0.1\n");
    has(t, "expr: kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"99\"} > 0.25\n");
    has(t, "expr: kubesim_region_pods_pending{region=\"r2\"} > 0\n");
    has(t, "expr: kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",type=\"used\"} / "
           "ignoring(type) kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",type=\"hard\"} "
           "> 0.9\n");
    has(t, "for: \"3m\"");
    has(t, "for: \"10m\"");
    has(t, "slo_percentile: p99\n");
    hasnt(t, "service=\"web\"");    /* no SLO declared */
    hasnt(t, "percentile=\"99.9\"");   /* p99.9: no series */
    free(t);
    kx_yaml_free(y);
    rules_close(&r);
}
END_TEST

/* Hand-made series on a 60 s grid from Unix time 1000 (simulated 0). */
static const char om[] =
    "# TYPE kubesim_service_latency_seconds gauge\n"
    /* p95 of api over 0.1 at steps 1-4 (fires at 4: 3m after 1), 5 under,
     * no sample at 6, over at 7-10 (fires at 10) */
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.05 1000.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1060.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1120.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1150.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1180.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1240.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.05 1300.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1420.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1480.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1540.000\n"
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"} 0.2 1600.000\n"
    /* a percentile no rule reads */
    "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"50\",run=\"x\"} 9 1000.000\n"
    "# TYPE kubesim_region_pods_pending gauge\n"
    "kubesim_region_pods_pending{region=\"r1\",run=\"x\"} 0 1000.000\n"
    "kubesim_region_pods_pending{region=\"r1\",run=\"x\"} 1 1060.000\n"
    "kubesim_region_pods_pending{region=\"r1\",run=\"x\"} 2 1120.000\n"
    "kubesim_region_pods_pending{region=\"r1\",run=\"x\"} 3 1180.000\n"
    "# TYPE kube_resourcequota gauge\n"
    /* pods 10 hard; used 10 from step 2 to 8: over 0.9 from 2, fires at 7 and 8 (5m) */
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1000.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1060.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1120.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1180.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1240.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1300.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1360.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1420.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1480.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"hard\",run=\"x\"} 10 1540.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 5 1000.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 6 1060.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1120.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1180.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1240.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1300.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1360.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1420.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1480.000\n"
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"team-q\",resource=\"pods\",type=\"used\",run=\"x\"} 4 1540.000\n"
    /* another quota's series: no rule reads it */
    "kube_resourcequota{region=\"r1\",namespace=\"team\",resourcequota=\"other\",resource=\"pods\",type=\"used\",run=\"x\"} 10 1000.000\n"
    "# EOF\n";

static char *test_file(Rules *r, KxAlertTestResult *res)
{
    KxAlertTestInput in = {.openmetrics = om, .len = sizeof om - 1, .base_unix = 1000,
                           .interval = 60 * SIM_NS_PER_S, .rules_path = "alerts.rules.yaml"};
    SimErr err = SIM_ERR_INIT;
    KxYaml *y = kx_yaml_new(&r->m);
    ck_assert_int_eq(kx_alerts_test(r->a, &in, y, res, &err), SIM_OK);
    char *t = yaml_text(y);
    kx_yaml_free(y);
    return t;
}

/* The eval_time entry of alert at minute m, from its line to the next entry. */
static char *entry(const char *t, const char *alert, int m)
{
    char head[160];
    snprintf(head, sizeof head, "- eval_time: \"%dm\"\n    alertname: %s\n", m, alert);
    const char *p = strstr(t, head);
    ck_assert_msg(p != NULL, "no test of %s at %dm in:\n%.5000s", alert, m, t);
    const char *end = strstr(p + 1, "  - eval_time");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char *e = strndup(p, n);
    return e;
}

static void fires(const char *t, const char *alert, int m, const char *label)
{
    char *e = entry(t, alert, m);
    ck_assert_msg(strstr(e, label) != NULL, "%s at %dm does not fire with '%s':\n%s", alert, m, label, e);
    free(e);
}

static void quiet(const char *t, const char *alert, int m)
{
    char *e = entry(t, alert, m);
    ck_assert_msg(strstr(e, "exp_alerts: []") != NULL, "%s fires at %dm:\n%s", alert, m, e);
    free(e);
}

/* `for: 3m`: active at the first step over, firing 3 steps later, gone the
 * first step under or without a sample; the tests sit at each change and
 * the step before it. */
START_TEST(alerts_test_follows_prometheus_for_semantics)
{
    Rules r;
    rules_open(&r);
    KxAlertTestResult res;
    char *t = test_file(&r, &res);
    const char *slo = "KubesimSLOLatencyOverTarget";
    quiet(t, slo, 3);
    fires(t, slo, 4, "service: api");
    quiet(t, slo, 5);
    quiet(t, slo, 9);
    fires(t, slo, 10, "slo_percentile: p95");
    hasnt(t, "eval_time: \"6m\"\n    alertname: KubesimSLOLatencyOverTarget");   /* no change there */
    /* quota: used/hard over 0.9 from 2, `for: 5m`: fires at 7 and 8, not at 9 */
    quiet(t, "KubesimQuotaNearLimit", 6);
    fires(t, "KubesimQuotaNearLimit", 7, "resource: pods");
    quiet(t, "KubesimQuotaNearLimit", 9);
    char *e = entry(t, "KubesimQuotaNearLimit", 7);
    ck_assert_msg(strstr(e, "type:") == NULL, "ignoring(type) drops type:\n%s", e);
    free(e);
    /* pending never lasts 10 minutes: one test at the last step, nothing firing */
    quiet(t, "KubesimPodsPending", 10);
    ck_assert_uint_eq(res.series, 4);    /* p95, pending, quota used and hard */
    ck_assert_uint_eq(res.firings, 3);   /* the SLO twice, the quota once */
    free(t);
    rules_close(&r);
}
END_TEST

/* input_series: runs as axn and a+bxn, "stale" right after a sample, "_"
 * before the first, off-grid samples left out (1150 is not on the grid). */
START_TEST(alerts_test_values_notation)
{
    Rules r;
    rules_open(&r);
    KxAlertTestResult res;
    char *t = test_file(&r, &res);
    has(t, "rule_files:\n- alerts.rules.yaml\nevaluation_interval: \"1m\"\n");
    has(t, "  - series: kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",run=\"x\"}\n"
           "    values: \"0.05 0.2x3 0.05 stale 0.2x3\"\n");
    has(t, "    values: \"0+1x3 stale _x6\"\n");          /* pending 0 1 2 3, then gone */
    has(t, "    values: \"5 6 10x6 4 stale\"\n");         /* quota used */
    has(t, "    values: \"10x9 stale\"\n");               /* quota hard */
    hasnt(t, "percentile=\"50\"");
    hasnt(t, "resourcequota=\"other\"");
    free(t);
    rules_close(&r);
}
END_TEST

static char *out_file(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", tb_dir(), name);
    char *t = tb_read(p, NULL);
    ck_assert_msg(t != NULL, "%s unreadable", name);
    return t;
}

/* export --alerts: a PrometheusRule per region folder, in its kustomization,
 * and alerts.rules.yaml beside the folders; without it, neither. */
START_TEST(export_alerts_files)
{
    tb_write("fixture.lua", fixture);
    ck_assert_int_eq(tb_run("export fixture.lua --out plain --quiet"), 0);
    ck_assert(!tb_exists("plain/alerts.rules.yaml"));
    ck_assert(!tb_exists("plain/r1/prometheusrules.yaml"));
    ck_assert_int_eq(tb_run("export fixture.lua --out ex --alerts"), 0);
    has(tb_out(), "5 alert rules: ex/alerts.rules.yaml");
    has(tb_out(), "1 SLO targets have no rule");
    char *k = out_file("ex/r1/kustomization.yaml"), *pr = out_file("ex/r1/prometheusrules.yaml");
    char *pr2 = out_file("ex/r2/prometheusrules.yaml"), *plain = out_file("ex/alerts.rules.yaml");
    has(k, "- prometheusrules.yaml\n");
    has(pr, "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: kubesim-alerts-fixture\n"
            "  namespace: default\n");
    has(pr, "  - name: kubesim.alerts_fixture.r1\n");
    hasnt(pr, "kubesim.alerts_fixture.r2");
    has(pr2, "  - name: kubesim.alerts_fixture.r2\n");
    hasnt(pr2, "KubesimSLOLatencyOverTarget");
    has(plain, "groups:\n- name: kubesim.alerts_fixture.r1\n");
    free(k);
    free(pr);
    free(pr2);
    free(plain);
}
END_TEST

/* run --alerts-test: the test file and the rules beside it; --alerts-rules
 * names the user's file instead (absolute) and writes no rules; a missing
 * one is bad input, and the run's folder does not appear. */
START_TEST(run_alerts_test_files)
{
    tb_write("fixture.lua", fixture);
    ck_assert_int_eq(tb_run("run fixture.lua --out run1 --alerts-test t1.yaml"), 0);
    has(tb_out(), "alerts test: t1.yaml (promtool test rules)");
    char *t = out_file("t1.yaml"), *rules = out_file("alerts.rules.yaml");
    has(t, "rule_files:\n- alerts.rules.yaml\n");
    has(t, "kubesim_service_latency_seconds{region=\"r1\",service=\"api\",percentile=\"95\",scenario=\"alerts_fixture\"");
    has(t, "kube_resourcequota{");
    has(rules, "alert: KubesimQuotaNearLimit");
    ck_assert(!tb_exists("run1/.alerts-input.om"));
    free(t);
    free(rules);
    tb_write("mine.rules.yaml", "groups: []\n");
    ck_assert_int_eq(tb_run("run fixture.lua --out run2 --alerts-test sub-t2.yaml --alerts-rules mine.rules.yaml "
                            "--quiet"), 0);
    t = out_file("sub-t2.yaml");
    char want[700];
    snprintf(want, sizeof want, "rule_files:\n- %s/mine.rules.yaml\n", tb_dir());
    has(t, want);
    free(t);
    ck_assert_int_eq(tb_run("run fixture.lua --out run3 --alerts-test t3.yaml --alerts-rules nope.yaml"), 2);
    has(tb_err(), "--alerts-rules nope.yaml: No such file or directory");
    ck_assert(!tb_exists("run3"));
    ck_assert_int_eq(tb_run("run fixture.lua --out run3 --alerts-rules mine.rules.yaml"), 2);
    has(tb_err(), "--alerts-rules goes with --alerts-test");
    ck_assert(!tb_exists("run3"));
    ck_assert(!tb_exists("t3.yaml"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("alerts");
    TCase *unit = tcase_create("rules");
    tcase_add_test(unit, alerts_rules_follow_the_declarations);
    tcase_add_test(unit, alerts_test_follows_prometheus_for_semantics);
    tcase_add_test(unit, alerts_test_values_notation);
    suite_add_tcase(s, unit);
    TCase *bin = tcase_create("binary");
    tcase_add_test(bin, export_alerts_files);
    tcase_add_test(bin, run_alerts_test_files);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("alerts") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
