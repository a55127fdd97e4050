/*
 * test_openmetrics.c: `kubesim run --openmetrics` and `kubesim sweep
 * --openmetrics` end to end (issue 17): the kube-state-metrics and cAdvisor
 * names with their labels, the simulator's own counters that never go down,
 * the bound on per-pod series, the run, seed, scenario and config labels,
 * and a run that is the same run with or without the sampler. The real
 * Prometheus tools check the same files in tests/prometheus/check.py.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

/* A short run with what every family needs: a Deployment under an HPA, a
 * quota, a Job deleted by its TTL (its pods go: their phase series end with
 * a 0), more pods than the bound. */
static const char scenario[] =
    "scenario { name = \"om\", start = \"09:00\", duration = \"40m\", sample_every = \"60s\" }\n"
    "region { name = \"r\" }\nnamespace { name = \"batch\" }\n"
    "nodegroup { name = \"g\", cpu = 8, memory = \"32Gi\", min = 2, max = 4, price = 1.0 }\n"
    "quota { name = \"q\", namespace = \"batch\", region = \"r\", hard = { [\"requests.cpu\"] = \"4\", pods = 20 } }\n"
    "deployment { name = \"api\", replicas = 2, cpu = \"500m\", memory = \"256Mi\", usage = { cpu = \"250m\" } }\n"
    "hpa { name = \"api\", target = \"api\", min = 2, max = 5,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", "
    "average_utilization = 60 } } } }\n"
    "job { name = \"etl\", namespace = \"batch\", start = \"09:05\", completions = 3, parallelism = 3, "
    "duration = \"5m\", cpu = \"1\", memory = \"1Gi\", ttl_after_finished = \"5m\" }\n";

static char *read_rel(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), rel);
    char *t = tb_read(path, NULL);
    ck_assert_msg(t != NULL, "cannot read %s", path);
    return t;
}

/* The value of the last sample of the series whose line starts with prefix
 * (a family and its first labels), or -1 if there is none. */
static double last_value(const char *text, const char *prefix)
{
    double v = -1;
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, n) == 0) {
            const char *close = strstr(p, "} ");
            ck_assert_ptr_nonnull(close);
            v = strtod(close + 2, NULL);
        }
    return v;
}

static int count_lines(const char *text, const char *prefix)
{
    int k = 0;
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        k += strncmp(p, prefix, n) == 0;
    return k;
}

static int same_files(const char *a, const char *b)
{
    size_t na, nb;
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/%s", tb_dir(), a);
    snprintf(pb, sizeof pb, "%s/%s", tb_dir(), b);
    char *x = tb_read(pa, &na), *y = tb_read(pb, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

START_TEST(om_kube_state_names_and_labels)
{
    tb_write("om.lua", scenario);
    ck_assert_msg(tb_run("run om.lua --quiet --force --out a --openmetrics a.om --openmetrics-pods 3") == 0, "%s",
                  tb_err());
    char *om = read_rel("a.om");
    const char *run = ",scenario=\"om\",seed=\"42\",run=\"";
    char want[512];
    snprintf(want, sizeof want, "kube_deployment_spec_replicas{namespace=\"default\",deployment=\"api\",region=\"r\"%s", run);
    ck_assert_msg(last_value(om, want) >= 2, "no kube_deployment_spec_replicas of api");
    snprintf(want, sizeof want, "kube_deployment_status_replicas_available{namespace=\"default\",deployment=\"api\",region=\"r\"%s", run);
    ck_assert_msg(last_value(om, want) >= 2, "no available replicas");
    ck_assert_msg(last_value(om, "kube_horizontalpodautoscaler_spec_max_replicas{namespace=\"default\","
                                 "horizontalpodautoscaler=\"api\",region=\"r\",") == 5, "HPA max");
    ck_assert_msg(last_value(om, "kube_horizontalpodautoscaler_spec_min_replicas{namespace=\"default\","
                                 "horizontalpodautoscaler=\"api\",region=\"r\",") == 2, "HPA min");
    ck_assert_msg(last_value(om, "kube_horizontalpodautoscaler_status_current_replicas{namespace=\"default\","
                                 "horizontalpodautoscaler=\"api\",") >= 2, "HPA current");
    ck_assert_msg(last_value(om, "kube_horizontalpodautoscaler_spec_target_metric{namespace=\"default\","
                                 "horizontalpodautoscaler=\"api\",region=\"r\",metric_name=\"cpu\","
                                 "metric_target_type=\"utilization\",") == 60, "HPA target");
    /* quota in cores, hard and used */
    ck_assert_msg(last_value(om, "kube_resourcequota{namespace=\"batch\",resourcequota=\"q\",region=\"r\","
                                 "resource=\"requests.cpu\",type=\"hard\",") == 4, "quota hard");
    ck_assert_msg(strstr(om, "kube_resourcequota{namespace=\"batch\",resourcequota=\"q\",region=\"r\","
                             "resource=\"requests.cpu\",type=\"used\",") != NULL, "quota used");
    /* nodes: allocatable in cores and bytes */
    ck_assert_msg(last_value(om, "kube_node_status_allocatable{node=\"g-0\",region=\"r\",resource=\"cpu\","
                                 "unit=\"core\",") == 8, "node cpu");
    ck_assert_msg(last_value(om, "kube_node_status_allocatable{node=\"g-0\",region=\"r\",resource=\"memory\","
                                 "unit=\"byte\",") == 32.0 * 1024 * 1024 * 1024, "node memory");
    ck_assert_msg(last_value(om, "kube_node_info{node=\"g-0\",") == 1, "node info");
    /* pods: requests in cores, the container, CPU seconds from the declared usage */
    ck_assert_msg(last_value(om, "kube_pod_container_resource_requests{namespace=\"default\",pod=\"api-0\","
                                 "region=\"r\",container=\"app\",node=\"g-0\",resource=\"cpu\",") == 0.5,
                  "pod request");
    /* its series of before it was bound (node="") end with a 0 */
    ck_assert_msg(last_value(om, "kube_pod_container_resource_requests{namespace=\"default\",pod=\"api-0\","
                                 "region=\"r\",container=\"app\",node=\"\",resource=\"cpu\",") == 0,
                  "the unbound series of a pod does not end at 0");
    double cpu = last_value(om, "container_cpu_usage_seconds_total{namespace=\"default\",pod=\"api-0\",");
    ck_assert_msg(cpu > 0.25 * 60 * 30 && cpu <= 0.25 * 60 * 40, "CPU seconds %g for 250m over the run", cpu);
    /* the Job: succeeded 3, then deleted by its TTL: its series end, the
     * simulator's counter stays; its pods' phase series end with a 0 */
    ck_assert_msg(strstr(om, "kube_job_status_succeeded{namespace=\"batch\",job_name=\"etl\",region=\"r\",") &&
                      strstr(om, "} 3 "), "no kube_job_status_succeeded of 3");
    ck_assert_msg(last_value(om, "kubesim_jobs_succeeded_total{namespace=\"batch\",region=\"r\",") == 1,
                  "the finished Job no longer counts after its deletion");
    ck_assert_msg(last_value(om, "kube_pod_status_phase{namespace=\"batch\",pod=\"etl-0\",region=\"r\","
                                 "phase=\"Succeeded\",") == 0, "a deleted pod's phase series does not end at 0");
    ck_assert_msg(last_value(om, "kubesim_pods_created_total{region=\"r\",") == 5, "pods created: 2 api + 3 etl");
    ck_assert_msg(last_value(om, "kubesim_region_up{region=\"r\",") == 1, "region up");
    /* the bound: 2 api pods + 3 etl pods > 3 */
    ck_assert_msg(count_lines(om, "kubesim_openmetrics_pods_omitted{region=\"r\",") > 0, "no omitted count");
    ck_assert_msg(strstr(om, "kubesim_openmetrics_pods_omitted{region=\"r\",scenario=\"om\",seed=\"42\",run=\"") &&
                      strstr(om, "\"} 2 "), "two pods over the bound of 3 were not counted");
    ck_assert_msg(!strstr(om, "pod=\"etl-2\""), "a pod over the bound has series");
    /* no row file left in the run folder */
    ck_assert_msg(!tb_exists("a/kube-state.tsv"), "kube-state.tsv left in the run folder");
    free(om);
}
END_TEST

/* The sampler only reads: the same trace and metrics.csv without it. */
START_TEST(om_sampler_leaves_the_run_unchanged)
{
    tb_write("om.lua", scenario);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out b1 --openmetrics b1.om"), 0);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out b2"), 0);
    ck_assert_msg(same_files("b1/trace.kst", "b2/trace.kst"), "the trace moved with --openmetrics");
    ck_assert_msg(same_files("b1/metrics.csv", "b2/metrics.csv"), "metrics.csv moved with --openmetrics");
}
END_TEST

static void run_label_of(const char *file, char *out, size_t n)
{
    char *om = read_rel(file);
    const char *p = strstr(om, ",run=\"");
    ck_assert_ptr_nonnull(p);
    p += 6;
    size_t len = strcspn(p, "\"");
    ck_assert_uint_lt(len, n);
    memcpy(out, p, len);
    out[len] = '\0';
    free(om);
}

/* run: stable for the same scenario, seed and sets, another for another;
 * --run-label replaces it; a bad one is refused. */
START_TEST(om_run_labels)
{
    char a[64], b[64], c[64];
    tb_write("om.lua", scenario);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c1 --openmetrics c1.om --openmetrics-pods 0"), 0);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c2 --openmetrics c2.om --openmetrics-pods 0"), 0);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c3 --seed 7 --openmetrics c3.om --openmetrics-pods 0"), 0);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c4 --run-label 'blue \"x\"' --openmetrics c4.om"), 0);
    run_label_of("c1.om", a, sizeof a);
    run_label_of("c2.om", b, sizeof b);
    run_label_of("c3.om", c, sizeof c);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_int_eq((int)strlen(a), 12);
    char *om = read_rel("c3.om");
    ck_assert_msg(strstr(om, "seed=\"7\""), "no seed label 7");
    ck_assert_msg(!strstr(om, "kube_pod_status_phase"), "per-pod series with --openmetrics-pods 0");
    free(om);
    om = read_rel("c4.om");
    ck_assert_msg(strstr(om, ",run=\"blue \\\"x\\\"\"}"), "--run-label not used or not escaped");
    free(om);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c5 --run-label '' --openmetrics c5.om"), 2);
    ck_assert_int_eq(tb_run("run om.lua --quiet --force --out c5 --openmetrics-pods x --openmetrics c5.om"), 2);
    ck_assert_msg(!tb_exists("c5"), "a refused run left a folder");
}
END_TEST

/* A sweep writes each configuration's metrics.om with its config label. */
START_TEST(om_sweep_config_label)
{
    tb_write("om.lua", scenario);
    ck_assert_msg(tb_run("sweep om.lua --quiet --force --jobs 2 --vary api.replicas=2,3 --out sw "
                         "--openmetrics") == 0, "%s", tb_err());
    char r0[64], r1[64];
    run_label_of("sw/configs/0/metrics.om", r0, sizeof r0);
    run_label_of("sw/configs/1/metrics.om", r1, sizeof r1);
    ck_assert_str_ne(r0, r1);
    char *om = read_rel("sw/configs/1/metrics.om");
    ck_assert_msg(strstr(om, ",config=\"1\"}"), "no config label 1");
    ck_assert_msg(last_value(om, "kube_deployment_spec_replicas{namespace=\"default\",deployment=\"api\",") >= 3,
                  "configuration 1 is not the one with 3 replicas");
    free(om);
    ck_assert_msg(!tb_exists("sw/configs/0/kube-state.tsv"), "kube-state.tsv left in a configuration");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("openmetrics");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, om_kube_state_names_and_labels);
    tcase_add_test(tc, om_sampler_leaves_the_run_unchanged);
    tcase_add_test(tc, om_run_labels);
    tcase_add_test(tc, om_sweep_config_label);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("openmetrics") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
