/*
 * test_calib.c: timings fitted from a real cluster and the error reported
 * (issue 20 items 3-5), end to end through the kubesim binary.
 *
 *  - calibrate --from-prometheus recovers known distributions from series
 *    this test writes (kube-state-metrics' names and labels, range-query
 *    JSON): pod start-up and node provisioning within 10 % of the true mean
 *    and median with 200 samples each, the HPA's reaction delay within 25 %
 *    (its rises are seen at a 15 s scrape step), with the sample counts;
 *  - a run with --compare-to reports replicas (MAE) and start-up and
 *    provisioning (KS) against "observed" series made from a run with known
 *    true delays (another seed), and a run calibrated from those series has
 *    a smaller error on every figure than the uncalibrated one;
 *  - bad folders exit 2 with the file named; uncalibrated runs are unchanged.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/dist.h"
#include "tb.h"
#include "tr.h"

#define T0 1767603600.0   /* 2026-01-05 09:00 UTC: the scenario's t = 0 */

/* ---- writing range-query answers ---------------------------------------------------- */
typedef struct Out {
    FILE *f;
    int series;
} Out;

static void out_open(Out *o, const char *dir, const char *metric)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.json", tb_dir(), dir, metric);
    o->f = fopen(path, "w");
    ck_assert_msg(o->f != NULL, "cannot write %s", path);
    o->series = 0;
    fputs("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[", o->f);
}

/* Starts a series: labels is the inside of the metric object ("\"a\":\"b\",..."). */
static void series_begin(Out *o, const char *metric, const char *labels)
{
    fprintf(o->f, "%s{\"metric\":{\"__name__\":\"%s\",%s},\"values\":[", o->series++ ? "," : "", metric, labels);
}

static void sample(Out *o, int first, double t, double v)
{
    fprintf(o->f, "%s[%.3f,\"%.6f\"]", first ? "" : ",", t, v);
}

static void series_end(Out *o)
{
    fputs("]}", o->f);
}

/* A timestamp gauge: one sample at t_end valued v. */
static void gauge(Out *o, const char *metric, const char *labels, double t_end, double v)
{
    series_begin(o, metric, labels);
    sample(o, 1, t_end, v);
    series_end(o);
}

static void out_close(Out *o)
{
    fputs("]}}\n", o->f);
    ck_assert_int_eq(fclose(o->f), 0);
}

static void mkdir_in(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), dir);
    ck_assert_msg(mkdir(path, 0777) == 0, "cannot make %s", path);
}

/* ---- reading what kubesim wrote ------------------------------------------------------ */
static cJSON *json_file(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    char *t = tb_read(path, NULL);
    ck_assert_msg(t != NULL, "%s is missing", path);
    cJSON *j = cJSON_Parse(t);
    free(t);
    ck_assert_ptr_nonnull(j);
    return j;
}

static const cJSON *find_entry(const cJSON *arr, const char *key, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, key);
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return it;
    }
    return NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(n), "no number %s", key);
    return n->valuedouble;
}

static SimDist dist_of(const cJSON *o)
{
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(o, "family");
    ck_assert(cJSON_IsString(fam));
    ck_assert_str_eq(fam->valuestring, "lognormal");
    return (SimDist){.family = SIM_DIST_LOGNORMAL, .shift_s = num(o, "shift_s"), .mu = num(o, "mu"),
                     .sigma = num(o, "sigma")};
}

static void near(const char *what, double got, double want, double rel)
{
    ck_assert_msg(fabs(got - want) <= rel * want, "%s: %g, want %g within %g %%", what, got, want, rel * 100);
}

/* ---- the synthetic cluster ------------------------------------------------------------ */
static const SimDist true_startup = {.family = SIM_DIST_LOGNORMAL, .shift_s = 4, .mu = 3.0, .sigma = 0.45};
static const SimDist true_prov = {.family = SIM_DIST_LOGNORMAL, .shift_s = 40, .mu = 4.6, .sigma = 0.35};
static const SimDist true_react = {.family = SIM_DIST_LOGNORMAL, .shift_s = 3, .mu = 3.4, .sigma = 0.4};

static double draw(const SimDist *d, SimRng *r)
{
    return (double)sim_dist_sample(d, r) / 1e9;
}

#define RISES 40
#define PODS_PER_RISE 5
#define STEP 15.0

/* 40 rises of an HPA's desired replicas, 5 minutes apart at a 15 s scrape
 * step, each answered by 5 pods of ReplicaSet web-7d9f8c6b5 (Deployment web)
 * created after the true reaction delay, each Ready after its true start-up;
 * 200 nodes of node group pool (EKS label), each Ready after its true
 * provisioning, seen at a 2 s step. */
static void write_synthetic(const char *dir)
{
    SimRng r;
    sim_rng_seed(&r, 2026, 1);
    mkdir_in(dir);
    double end = T0 + RISES * 300.0 + 600;
    Out created, start, ready, info, desired;
    out_open(&created, dir, "kube_pod_created");
    out_open(&start, dir, "kube_pod_start_time");
    out_open(&ready, dir, "kube_pod_status_ready_time");
    out_open(&info, dir, "kube_pod_info");
    out_open(&desired, dir, "kube_horizontalpodautoscaler_status_desired_replicas");
    double rise[RISES];
    for (int i = 0; i < RISES; i++) {
        rise[i] = T0 + 300.0 * i + 60 + sim_rng_unit(&r) * 60;   /* between two scrapes */
        double c = rise[i] + draw(&true_react, &r);
        for (int k = 0; k < PODS_PER_RISE; k++) {
            char l[256];
            snprintf(l, sizeof l, "\"namespace\":\"shop\",\"pod\":\"web-7d9f8c6b5-p%03d\"", i * PODS_PER_RISE + k);
            double s = c + 1 + k, rd = s + draw(&true_startup, &r);
            gauge(&created, "kube_pod_created", l, end, c + 0.2 * k);
            gauge(&start, "kube_pod_start_time", l, end, s);
            gauge(&ready, "kube_pod_status_ready_time", l, end, rd);
            char li[400];
            snprintf(li, sizeof li, "%s,\"created_by_kind\":\"ReplicaSet\",\"created_by_name\":\"web-7d9f8c6b5\"", l);
            gauge(&info, "kube_pod_info", li, end, 1);
        }
    }
    series_begin(&desired, "kube_horizontalpodautoscaler_status_desired_replicas",
                 "\"namespace\":\"shop\",\"horizontalpodautoscaler\":\"web-hpa\",\"scaletargetref_name\":\"web\"");
    int level = 2, k = 0;
    for (double t = T0; t <= end; t += STEP) {
        while (k < RISES && rise[k] <= t)
            level += 1 + k++ % 3;
        sample(&desired, t == T0, t, level);
    }
    series_end(&desired);
    out_close(&created);
    out_close(&start);
    out_close(&ready);
    out_close(&info);
    out_close(&desired);
    Out nc, cond, labels;
    out_open(&nc, dir, "kube_node_created");
    out_open(&cond, dir, "kube_node_status_condition");
    out_open(&labels, dir, "kube_node_labels");
    for (int i = 0; i < 200; i++) {
        char l[128], lc[256], ll[256];
        snprintf(l, sizeof l, "\"node\":\"ip-10-0-%d-%d\"", i / 100, i % 100);
        double c = T0 + 60.0 * i, rd = c + draw(&true_prov, &r);
        gauge(&nc, "kube_node_created", l, end, c);
        snprintf(ll, sizeof ll, "%s,\"label_eks_amazonaws_com_nodegroup\":\"pool\"", l);
        gauge(&labels, "kube_node_labels", ll, end, 1);
        snprintf(lc, sizeof lc, "%s,\"condition\":\"Ready\",\"status\":\"true\"", l);
        series_begin(&cond, "kube_node_status_condition", lc);
        for (double t = c - fmod(c - T0, 2.0) + 2; t <= rd + 60; t += 2.0)
            sample(&cond, t <= c + 2, t, t >= rd);
        series_end(&cond);
    }
    out_close(&nc);
    out_close(&cond);
    out_close(&labels);
}

START_TEST(calib_fit_recovers_known_distributions)
{
    write_synthetic("syn");
    int rc = tb_run("calibrate --from-prometheus syn --out syn.json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
    cJSON *j = json_file("syn.json");
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(j, "timings");
    const cJSON *web = find_entry(cJSON_GetObjectItemCaseSensitive(tm, "workloads"), "workload", "web");
    ck_assert_msg(web != NULL, "no workload web (the ReplicaSet's hash is cut)");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(web, "startup");
    const cJSON *re = cJSON_GetObjectItemCaseSensitive(web, "hpa_reaction");
    const cJSON *pool = find_entry(cJSON_GetObjectItemCaseSensitive(tm, "node_groups"), "node_group", "pool");
    ck_assert_ptr_nonnull(pool);
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(pool, "provisioning");
    ck_assert_double_eq(num(st, "samples"), RISES * PODS_PER_RISE);
    ck_assert_double_eq(num(re, "samples"), RISES);
    ck_assert_double_eq(num(pv, "samples"), 200);
    SimDist s = dist_of(st), p = dist_of(pv), a = dist_of(re);
    near("start-up mean", sim_dist_mean(&s), sim_dist_mean(&true_startup), 0.10);
    near("start-up median", s.shift_s + exp(s.mu), true_startup.shift_s + exp(true_startup.mu), 0.10);
    near("provisioning mean", sim_dist_mean(&p), sim_dist_mean(&true_prov), 0.10);
    near("provisioning median", p.shift_s + exp(p.mu), true_prov.shift_s + exp(true_prov.mu), 0.10);
    near("reaction mean", sim_dist_mean(&a), sim_dist_mean(&true_react), 0.25);
    ck_assert(num(st, "ks") < 0.1 && num(pv, "ks") < 0.1);
    ck_assert(num(st, "ks_p") > 0.01);
    cJSON_Delete(j);
}
END_TEST

/* ---- observed series from a run with known delays -------------------------------------- */
static const char scenario[] =
    "scenario { name = \"calib\", start = \"09:00\", duration = \"2h\", sample_every = \"60s\" }\n"
    "region { name = \"r1\", zones = { \"z1\" } }\n"
    "namespace { name = \"shop\" }\n"
    "nodegroup { name = \"pool\", region = \"r1\", instance_type = \"m\", cpu = \"8\", memory = \"32Gi\",\n"
    "            price = 1, min = 1, max = 40, size = 2, provision_delay = \"90s\" }\n"
    "deployment { name = \"api\", namespace = \"shop\", region = \"r1\", replicas = 4, cpu = \"1\",\n"
    "             memory = \"1Gi\", startup = \"10s\" }\n"
    "at(\"09:20\", function(k) k.scale(\"api\", 40) end)\n"
    "at(\"10:00\", function(k) k.scale(\"api\", 6) end)\n"
    "at(\"10:30\", function(k) k.scale(\"api\", 70) end)\n";

/* The "real cluster": start-up about 4x and provisioning about 2x the scenario's constants. */
static const char truth[] =
    "{\"timings\": {\"workloads\": [{\"namespace\": \"shop\", \"workload\": \"api\", \"startup\":\n"
    "  {\"family\": \"lognormal\", \"shift_s\": 5, \"mu\": 3.4, \"sigma\": 0.4}}],\n"
    " \"node_groups\": [{\"node_group\": \"pool\", \"provisioning\":\n"
    "  {\"family\": \"lognormal\", \"shift_s\": 60, \"mu\": 4.7, \"sigma\": 0.3}}]}}\n";

#define MAXOBJ 4096

typedef struct World {
    double pod_created[MAXOBJ], pod_bound[MAXOBJ], pod_running[MAXOBJ], pod_gone[MAXOBJ];
    char pod_name[MAXOBJ][64];
    double node_added[MAXOBJ], node_ready[MAXOBJ], node_gone[MAXOBJ];
    char node_name[MAXOBJ][64];
    int npods, nnodes;
} World;

static double num_or(const cJSON *o, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

static void world_rec(World *w, const cJSON *r)
{
    const char *kind = cJSON_GetObjectItemCaseSensitive(r, "kind")->valuestring;
    double t = T0 + num_or(r, "t_ns") / 1e9;
    int pod = (int)num_or(r, "pod"), node = (int)num_or(r, "node");
    ck_assert(pod < MAXOBJ && node < MAXOBJ);
    if (strcmp(kind, "pod_create") == 0) {
        w->pod_created[pod] = t;
        w->pod_bound[pod] = w->pod_running[pod] = w->pod_gone[pod] = -1;
        snprintf(w->pod_name[pod], sizeof w->pod_name[pod], "%s",
                 cJSON_GetObjectItemCaseSensitive(r, "name")->valuestring);
        w->npods = pod + 1 > w->npods ? pod + 1 : w->npods;
    } else if (strcmp(kind, "pod_bind") == 0)
        w->pod_bound[pod] = t;
    else if (strcmp(kind, "pod_running") == 0)
        w->pod_running[pod] = t;
    else if ((strcmp(kind, "pod_end") == 0 || strcmp(kind, "pod_delete") == 0 ||
              strcmp(kind, "pod_terminating") == 0) && w->pod_gone[pod] < 0)
        w->pod_gone[pod] = t;
    else if (strcmp(kind, "node_add") == 0) {
        w->node_added[node] = t;
        w->node_ready[node] = w->node_gone[node] = -1;
        snprintf(w->node_name[node], sizeof w->node_name[node], "%s",
                 cJSON_GetObjectItemCaseSensitive(r, "name")->valuestring);
        w->nnodes = node + 1 > w->nnodes ? node + 1 : w->nnodes;
    } else if (strcmp(kind, "node_ready") == 0)
        w->node_ready[node] = t;
    else if (strcmp(kind, "node_remove") == 0)
        w->node_gone[node] = t;
}

static void world_read(World *w, const char *run)
{
    memset(w, 0, sizeof *w);
    ck_assert_int_eq(tb_run("trace dump %s/trace.kst", run), 0);
    char *text = strdup(tb_out());
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(line);
        ck_assert_ptr_nonnull(r);
        if (cJSON_GetObjectItemCaseSensitive(r, "kind"))
            world_rec(w, r);
        cJSON_Delete(r);
    }
    free(text);
}

static void write_pods(const World *w, const char *dir, double end)
{
    Out c, s, r, a;
    out_open(&c, dir, "kube_pod_created");
    out_open(&s, dir, "kube_pod_start_time");
    out_open(&r, dir, "kube_pod_status_ready_time");
    for (int i = 0; i < w->npods; i++) {
        char l[256];
        snprintf(l, sizeof l, "\"namespace\":\"shop\",\"pod\":\"%s\"", w->pod_name[i]);
        gauge(&c, "kube_pod_created", l, end, w->pod_created[i]);
        if (w->pod_bound[i] >= 0)
            gauge(&s, "kube_pod_start_time", l, end, w->pod_bound[i]);
        if (w->pod_running[i] >= 0)
            gauge(&r, "kube_pod_status_ready_time", l, end, w->pod_running[i]);
    }
    out_close(&c);
    out_close(&s);
    out_close(&r);
    out_open(&a, dir, "kube_deployment_status_replicas_available");
    series_begin(&a, "kube_deployment_status_replicas_available", "\"namespace\":\"shop\",\"deployment\":\"api\"");
    for (double t = T0; t <= end; t += 60) {
        int n = 0;
        for (int i = 0; i < w->npods; i++)
            n += w->pod_running[i] >= 0 && w->pod_running[i] <= t && !(w->pod_gone[i] >= 0 && w->pod_gone[i] <= t);
        sample(&a, t == T0, t, n);
    }
    series_end(&a);
    out_close(&a);
}

static void write_nodes(const World *w, const char *dir, double end)
{
    Out c, cond;
    out_open(&c, dir, "kube_node_created");
    out_open(&cond, dir, "kube_node_status_condition");
    for (int i = 0; i < w->nnodes; i++) {
        char l[256], lc[320];
        snprintf(l, sizeof l, "\"node\":\"%s\",\"label_kubesim_io_node_group\":\"pool\"", w->node_name[i]);
        gauge(&c, "kube_node_created", l, end, w->node_added[i]);
        snprintf(lc, sizeof lc, "%s,\"condition\":\"Ready\",\"status\":\"true\"", l);
        series_begin(&cond, "kube_node_status_condition", lc);
        double stop = w->node_gone[i] >= 0 ? w->node_gone[i] : end;
        int first = 1;
        for (double t = T0 + 5 * ceil((w->node_added[i] - T0) / 5); t <= stop; t += 5, first = 0)
            sample(&cond, first, t, w->node_ready[i] >= 0 && w->node_ready[i] <= t);
        series_end(&cond);
    }
    out_close(&c);
    out_close(&cond);
}

static const cJSON *row_of(const cJSON *sum, const char *figure)
{
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sum, "observed"), "rows");
    ck_assert_msg(cJSON_IsArray(rows), "summary.json has no observed.rows");
    return find_entry(rows, "figure", figure);
}

START_TEST(calib_compare_reports_a_smaller_error_once_calibrated)
{
    tb_write("calib.lua", scenario);
    tb_write("truth.json", truth);
    ck_assert_int_eq(tb_run("run calib.lua --quiet --seed 7 --calibration truth.json --out real"), 0);
    static World w;
    world_read(&w, "real");
    mkdir_in("obs");
    write_pods(&w, "obs", T0 + 7200);
    write_nodes(&w, "obs", T0 + 7200);
    int rc = tb_run("calibrate --from-prometheus obs --out fitted.json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
    rc = tb_run("run calib.lua --quiet --compare-to obs --out plain");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, tb_err());
    ck_assert_int_eq(tb_run("run calib.lua --quiet --compare-to obs --calibration fitted.json --out fit"), 0);
    cJSON *plain = json_file("plain/summary.json"), *fit = json_file("fit/summary.json");
    static const char *const figs[] = {"replicas", "startup", "provisioning"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *a = row_of(plain, figs[i]), *b = row_of(fit, figs[i]);
        ck_assert_msg(a && b, "no %s row", figs[i]);
        ck_assert_msg(num(b, "value") < num(a, "value"), "%s: calibrated %g, uncalibrated %g", figs[i],
                      num(b, "value"), num(a, "value"));
    }
    /* the uncalibrated constants are far off: the KS test says so */
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(row_of(plain, "startup"), "verdict")->valuestring, "off");
    ck_assert_str_ne(cJSON_GetObjectItemCaseSensitive(row_of(fit, "startup"), "verdict")->valuestring, "off");
    ck_assert(num(row_of(plain, "replicas"), "points") >= 100);
    char *html = tb_read("fit/report.html", NULL);
    if (html == NULL) {
        char p[4096];
        snprintf(p, sizeof p, "%s/fit/report.html", tb_dir());
        html = tb_read(p, NULL);
    }
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(strstr(html, "Simulated against observed"));
    free(html);
    cJSON_Delete(plain);
    cJSON_Delete(fit);
}
END_TEST

START_TEST(calib_bad_folders_exit_2)
{
    ck_assert_int_eq(tb_run("calibrate --from-prometheus nowhere"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "nowhere"));
    mkdir_in("empty");
    ck_assert_int_eq(tb_run("calibrate --from-prometheus empty"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "none of the series files"));
    mkdir_in("bad");
    tb_write("bad/kube_pod_created.json", "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
    ck_assert_int_eq(tb_run("calibrate --from-prometheus bad"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "kube_pod_created.json"));
    mkdir_in("nolabel");
    tb_write("nolabel/kube_pod_created.json", "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                                              "[{\"metric\":{\"pod\":\"a\"},\"values\":[[1,\"1\"]]}]}}");
    ck_assert_int_eq(tb_run("calibrate --from-prometheus nolabel"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "needs the label namespace"));
    ck_assert_int_eq(tb_run("calibrate --quick --from-prometheus bad"), 2);
    tb_write("c.lua", scenario);
    ck_assert_int_eq(tb_run("run c.lua --quiet --compare-to nowhere --out x"), 2);
    ck_assert(!tb_exists("x"));
    tb_write("badcal.json", "{\"timings\": {\"workloads\": [{\"workload\": \"api\", \"startup\": {\"family\": \"gamma\"}}]}}");
    ck_assert_int_eq(tb_run("run c.lua --quiet --calibration badcal.json --out y"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "timings.workloads[0].startup.family"));
    ck_assert(!tb_exists("y"));
}
END_TEST

/* --base keeps an earlier calibration's kernel rates beside the timings; a
 * file without them is refused. */
START_TEST(calib_base_keeps_kernel_rates)
{
    mkdir_in("one");
    tb_write("one/kube_node_created.json", "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                                           "[{\"metric\":{\"node\":\"n1\"},\"values\":[[100,\"50\"]]}]}}");
    tb_write("k.json", "{\"cores\": 2, \"classes\": {\"signal\": {\"single\": {\"flops_per_s\": 1e9, \"bytes_per_s\": 2e9}},"
                       " \"rank\": {\"single\": {\"flops_per_s\": 3e9, \"bytes_per_s\": 4e9}},"
                       " \"blas\": {\"single\": {\"flops_per_s\": 5e9, \"bytes_per_s\": 6e9}}}}");
    ck_assert_int_eq(tb_run("calibrate --from-prometheus one --base k.json --out kt.json"), 0);
    cJSON *j = json_file("kt.json");
    const cJSON *rank = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "classes"), "rank");
    ck_assert_double_eq(num(cJSON_GetObjectItemCaseSensitive(rank, "single"), "flops_per_s"), 3e9);
    ck_assert_double_eq(num(j, "cores"), 2);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, "timings"));
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("calibrate --from-prometheus one --base one/kube_node_created.json"), 2);
    ck_assert_ptr_nonnull(strstr(tb_err(), "no \"classes\""));
    ck_assert_int_eq(tb_run("calibrate --base k.json"), 2);
}
END_TEST

/* The HPA's first sync (30 s: one period after its add, then the first
 * decision) scales at once uncalibrated; with a reaction delay of 60 s the
 * same decision lands 60 s later, and decisions do not overtake it. */
START_TEST(calib_hpa_reaction_delays_the_scale)
{
    tb_write("h.lua", "scenario { name = \"h\", duration = \"10m\", sample_every = \"60s\" }\n"
                      "region { name = \"r1\", zones = { \"z1\" } }\n"
                      "namespace { name = \"shop\" }\n"
                      "nodegroup { name = \"pool\", region = \"r1\", instance_type = \"m\", cpu = \"16\",\n"
                      "            memory = \"64Gi\", price = 1, min = 2, max = 2 }\n"
                      "deployment { name = \"web\", namespace = \"shop\", region = \"r1\", replicas = 2, cpu = \"1\",\n"
                      "             memory = \"1Gi\", startup = \"5s\", usage = { cpu = \"900m\" } }\n"
                      "hpa { name = \"web\", target = \"web\", min = 2, max = 10, metrics = { { type = \"Resource\",\n"
                      "      name = \"cpu\", target = { type = \"Utilization\", average_utilization = 50 } } } }\n");
    tb_write("hr.json", "{\"timings\": {\"workloads\": [{\"workload\": \"web\", \"hpa_reaction\":\n"
                        "  {\"family\": \"constant\", \"value_s\": 60}}]}}\n");
    ck_assert_int_eq(tb_run("run h.lua --quiet --out h1"), 0);
    ck_assert_int_eq(tb_run("run h.lua --quiet --out h2 --calibration hr.json"), 0);
    ck_assert_int_eq(tb_run("trace dump h1/trace.kst"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "{\"t_ns\":30000000000,\"kind\":\"hpa\",\"hpa\":\"web\",\"wl\":0,\"current\":2,"
                                           "\"desired\":4"));
    ck_assert_int_eq(tb_run("trace dump h2/trace.kst"), 0);
    const char *first = strstr(tb_out(), "\"kind\":\"hpa\"");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(strstr(tb_out(), "{\"t_ns\":90000000000,\"kind\":\"hpa\",\"hpa\":\"web\",\"wl\":0,\"current\":2,"
                                           "\"desired\":4"));
    const char *rec = first;   /* the first hpa record's line is the one at 90 s */
    while (rec > tb_out() && rec[-1] != '\n')
        rec--;
    ck_assert_int_eq(strncmp(rec, "{\"t_ns\":90000000000,", 20), 0);
}
END_TEST

/* A calibration entry that names nothing the scenario has runs (a real
 * cluster has more than a scenario models) but is named on stderr, with the
 * nearest name: a typo must not silently keep the scenario's constants. */
START_TEST(calib_unknown_names_warn)
{
    tb_write("u.lua", "scenario { name = \"u\", duration = \"2m\", sample_every = \"60s\" }\n"
                      "region { name = \"r1\", zones = { \"z1\" } }\n"
                      "namespace { name = \"shop\" }\n"
                      "nodegroup { name = \"pool\", region = \"r1\", instance_type = \"m\", cpu = \"16\",\n"
                      "            memory = \"64Gi\", price = 1, min = 1, max = 2 }\n"
                      "deployment { name = \"web\", namespace = \"shop\", region = \"r1\", replicas = 1, cpu = \"1\" }\n");
    const char *dist = "{\"family\": \"constant\", \"value_s\": 20}";
    char good[512], bad[768];
    snprintf(good, sizeof good, "{\"timings\": {\"workloads\": [{\"namespace\": \"shop\", \"workload\": \"web\", "
             "\"startup\": %s}], \"node_groups\": [{\"node_group\": \"pool\", \"provisioning\": %s}]}}\n", dist, dist);
    snprintf(bad, sizeof bad, "{\"timings\": {\"workloads\": [{\"namespace\": \"shop\", \"workload\": \"wbe\", "
             "\"startup\": %s}, {\"workload\": \"ledger\", \"startup\": %s}, {\"namespace\": \"ops\", "
             "\"workload\": \"web\", \"startup\": %s}], \"node_groups\": [{\"node_group\": \"pools\", "
             "\"provisioning\": %s}]}}\n", dist, dist, dist, dist);
    tb_write("good.json", good);
    tb_write("bad.json", bad);
    ck_assert_int_eq(tb_run("run u.lua --quiet --out u1 --calibration good.json"), 0);
    ck_assert_ptr_null(strstr(tb_err(), "warning"));
    ck_assert_int_eq(tb_run("run u.lua --quiet --out u2 --calibration bad.json"), 0);
    ck_assert_ptr_nonnull(strstr(tb_err(), "warning: --calibration bad.json: workload 'shop/wbe' is not in the "
                                           "scenario: its delays are not used (did you mean 'web'?)"));
    ck_assert_ptr_nonnull(strstr(tb_err(), "workload 'ledger' is not in the scenario: its delays are not used\n"));
    ck_assert_ptr_nonnull(strstr(tb_err(), "workload 'ops/web' is not in the scenario"));
    ck_assert_ptr_nonnull(strstr(tb_err(), "node group 'pools' is not in the scenario: its provisioning delay is "
                                           "not used (did you mean 'pool'?)"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("calib");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, calib_fit_recovers_known_distributions);
    tcase_add_test(tc, calib_compare_reports_a_smaller_error_once_calibrated);
    tcase_add_test(tc, calib_bad_folders_exit_2);
    tcase_add_test(tc, calib_hpa_reaction_delays_the_scale);
    tcase_add_test(tc, calib_unknown_names_warn);
    tcase_add_test(tc, calib_base_keeps_kernel_rates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("calib") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
